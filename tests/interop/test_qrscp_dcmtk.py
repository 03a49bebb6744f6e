"""DCMTK ``findscu``, ``movescu`` and ``getscu``, and our ``movescu``, against ``dicomnet qrscp``.

The archive runs as the command (a subprocess, as a user runs it) over a generated two-patient
folder; received files are compared with the archive's element by element (pydicom as the
oracle). Ten DCMTK ``movescu`` retrieve the same study at once, each into its own folder.
"""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pydicom
import pytest

from dicomnet.samples import generate_study
from tests.peers import dcmtk_env, free_port, require_program, running

pytestmark = pytest.mark.peer

CONCURRENT = 10


class Archive:
    """The running ``dicomnet qrscp``: its port, files, and the move destination ports."""

    def __init__(self, folder: Path, port: int, dest_ports: dict[str, int]) -> None:
        self.folder = folder
        self.port = port
        self.dest_ports = dest_ports
        self.files = {pydicom.dcmread(p).SOPInstanceUID: p for p in folder.iterdir()}
        headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in self.files.values()]
        self.studies: dict[str, set[str]] = {}
        self.patients: dict[str, set[str]] = {}
        for ds in headers:
            self.studies.setdefault(ds.StudyInstanceUID, set()).add(ds.SOPInstanceUID)
            self.patients.setdefault(ds.PatientID, set()).add(ds.SOPInstanceUID)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    require_program("movescu")
    folder = tmp_path_factory.mktemp("qrscp")
    generate_study(folder, patients=2, series_per_study=2, images_per_series=3, rows=32, columns=32)
    port = free_port()
    dest_ports = {f"MOVE{i}": free_port() for i in range(CONCURRENT)}
    dest_ports["OURMOVE"] = free_port()
    args = [sys.executable, "-m", "dicomnet_cli.qrscp", "-aet", "ARCHIVE", "--bind", "127.0.0.1"]
    for ae, dest in dest_ports.items():
        args += ["--dest", f"{ae}=127.0.0.1:{dest}"]
    with running([*args, str(folder), str(port)], port=port):
        yield Archive(folder, port, dest_ports)


def _run(program: str, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    exe = require_program(program)
    return subprocess.run(
        [exe, *args], env=dcmtk_env(), capture_output=True, text=True, timeout=60, check=False
    )


def _assert_intact(archive: Archive, folder: Path, expected: set[str]) -> None:
    received = {}
    for path in folder.iterdir():
        ds = pydicom.dcmread(path)
        received[ds.SOPInstanceUID] = ds
    assert set(received) == expected
    for uid, got in received.items():
        sent = pydicom.dcmread(archive.files[uid])
        assert {e.tag for e in got} == {e.tag for e in sent}
        for elem in sent:
            assert got[elem.tag].value == elem.value, (uid, elem.tag)


@pytest.mark.parametrize(
    ("model", "extra"), [("-S", []), ("-P", ["PatientID"]), ("-O", ["PatientID"])]
)
def test_findscu_studies(archive: Archive, tmp_path: Path, model: str, extra: list[str]) -> None:
    out = tmp_path / "rsp"
    out.mkdir()
    pid = next(iter(archive.patients))
    keys = ["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientName", "StudyDate"]
    keys += [f"{key}={pid}" for key in extra]
    keys += ["NumberOfStudyRelatedInstances"]
    args = [model, "-aec", "ARCHIVE", "-X", "-od", str(out)]
    for key in keys:
        args += ["-k", key]
    done = _run("findscu", [*args, "127.0.0.1", str(archive.port)])
    assert done.returncode == 0, done.stdout + done.stderr
    responses = [pydicom.dcmread(p) for p in sorted(out.iterdir())]
    wanted = (
        archive.studies
        if not extra
        else {
            study: uids for study, uids in archive.studies.items() if uids <= archive.patients[pid]
        }
    )
    assert {r.StudyInstanceUID for r in responses} == set(wanted)
    for rsp in responses:
        assert int(rsp.NumberOfStudyRelatedInstances) == len(wanted[rsp.StudyInstanceUID])
        sent = pydicom.dcmread(next(iter(archive.files.values())), stop_before_pixels=True)
        assert "StudyDate" in rsp
        assert "Modality" not in rsp  # only the requested keys come back
        if rsp.StudyInstanceUID == sent.StudyInstanceUID:
            assert rsp.PatientName == sent.PatientName
            assert rsp.StudyDate == sent.StudyDate


def test_movescu_study_root(archive: Archive, tmp_path: Path) -> None:
    study, uids = next(iter(archive.studies.items()))
    args = [
        "-S",
        "-aet",
        "MOVE0",
        "-aem",
        "MOVE0",
        "-aec",
        "ARCHIVE",
        "+P",
        str(archive.dest_ports["MOVE0"]),
    ]
    args += ["-od", str(tmp_path), "-k", "QueryRetrieveLevel=STUDY"]
    args += ["-k", f"StudyInstanceUID={study}", "127.0.0.1", str(archive.port)]
    done = _run("movescu", args)
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_intact(archive, tmp_path, uids)


def test_movescu_patient_root_patient_level(archive: Archive, tmp_path: Path) -> None:
    pid, uids = sorted(archive.patients.items())[-1]
    args = [
        "-P",
        "-aet",
        "MOVE1",
        "-aem",
        "MOVE1",
        "-aec",
        "ARCHIVE",
        "+P",
        str(archive.dest_ports["MOVE1"]),
    ]
    args += ["-od", str(tmp_path), "-k", "QueryRetrieveLevel=PATIENT", "-k", f"PatientID={pid}"]
    done = _run("movescu", [*args, "127.0.0.1", str(archive.port)])
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_intact(archive, tmp_path, uids)


def test_movescu_unknown_destination(archive: Archive, tmp_path: Path) -> None:
    study = next(iter(archive.studies))
    args = [
        "-S",
        "-aet",
        "NOBODY",
        "-aem",
        "NOBODY",
        "-aec",
        "ARCHIVE",
        "+P",
        str(free_port()),
        "-od",
    ]
    args += [str(tmp_path), "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}"]
    done = _run("movescu", [*args, "127.0.0.1", str(archive.port)])
    assert done.returncode != 0
    assert "MoveDestinationUnknown" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("model", ["-S", "-O"])
def test_getscu(archive: Archive, tmp_path: Path, model: str) -> None:
    study, uids = sorted(archive.studies.items())[-1]
    pid = next(p for p, patient_uids in archive.patients.items() if uids <= patient_uids)
    keys = ["QueryRetrieveLevel=STUDY", f"StudyInstanceUID={study}"]
    if model == "-O":
        keys.append(f"PatientID={pid}")
    args = [model, "-aec", "ARCHIVE", "-od", str(tmp_path)]
    for key in keys:
        args += ["-k", key]
    done = _run("getscu", [*args, "127.0.0.1", str(archive.port)])
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_intact(archive, tmp_path, uids)


def test_ten_concurrent_dcmtk_movescu(archive: Archive, tmp_path: Path) -> None:
    study, uids = next(iter(archive.studies.items()))

    def one(i: int) -> tuple[int, subprocess.CompletedProcess[str]]:
        out = tmp_path / f"out{i}"
        out.mkdir()
        ae = f"MOVE{i}"
        args = ["-S", "-aet", ae, "-aem", ae, "-aec", "ARCHIVE", "+P", str(archive.dest_ports[ae])]
        args += ["-od", str(out), "-k", "QueryRetrieveLevel=STUDY"]
        args += ["-k", f"StudyInstanceUID={study}", "127.0.0.1", str(archive.port)]
        return i, _run("movescu", args)

    with concurrent.futures.ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(one, range(CONCURRENT)))
    for i, done in results:
        assert done.returncode == 0, (i, done.stdout + done.stderr)
        _assert_intact(archive, tmp_path / f"out{i}", uids)


def test_our_movescu(archive: Archive, tmp_path: Path) -> None:
    study, uids = next(iter(archive.studies.items()))
    args = [
        sys.executable,
        "-m",
        "dicomnet_cli.movescu",
        "-S",
        "-aet",
        "OURMOVE",
        "-aem",
        "OURMOVE",
    ]
    args += ["-aec", "ARCHIVE", "+P", str(archive.dest_ports["OURMOVE"]), "-od", str(tmp_path)]
    args += ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}"]
    done = subprocess.run(
        [*args, "127.0.0.1", str(archive.port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_intact(archive, tmp_path, uids)
