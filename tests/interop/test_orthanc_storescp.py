"""Orthanc as a Storage SCU to our ``StorageSCP`` (``tests/orthanc.py`` runs Orthanc on loopback).

Data is uploaded over REST, then sent to us by Orthanc: with REST ``/modalities/{name}/store``,
and as C-MOVE sub-operations when DCMTK's ``movescu`` asks Orthanc to move a study to our AE
title (PS3.4 C.4.2). Each file our ``DirectorySink`` wrote is compared element by element with the
uploaded original, with dicomnet's reader and pydicom's.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest

from dicomnet.dataset import DataElement, WriteOptions, read_file, write_file
from dicomnet.services.storage_scp import StorageSCP, storage_acceptor_config
from dicomnet.services.store import DirectorySink
from dicomnet.transport import aio
from tests.orthanc import ORTHANC_AET, Modality, OrthancError, OrthancPeer, add_hierarchy
from tests.peers import dcmtk_env, free_port, require_program
from tests.services.test_storage_scu_support import EVBE, EVLE, IVLE, elements, make_dataset

pytestmark = pytest.mark.peer

OUR_AET = "DICOMNET"
STUDY = "1.2.826.0.1.3680043.9.7100.1"
SERIES = STUDY + ".1"
OTHER_STUDY = "1.2.826.0.1.3680043.9.7100.2"


def _make(path: Path, uid: str, ts: str, study: str = STUDY) -> Path:
    """A small image; one patient per study (Orthanc files a study under its patient)."""
    ds = add_hierarchy(make_dataset(uid), study, study + ".1")
    ds[0x00100020] = DataElement(0x00100020, "LO", "PID-" + study[-1])
    write_file(path, ds, WriteOptions(transfer_syntax=ts))
    return path


class Archive:
    """A module's Orthanc with a known set of uploaded files, and the port our SCP will use."""

    def __init__(self, orthanc: OrthancPeer, our_port: int, files: dict[str, Path]) -> None:
        self.orthanc = orthanc
        self.our_port = our_port
        self.files = files  # SOP Instance UID -> original file


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    source = tmp_path_factory.mktemp("source")
    files = {
        f"{STUDY}.1.{n}": _make(source / f"{n}.dcm", f"{STUDY}.1.{n}", ts)
        for n, ts in enumerate((EVLE, IVLE, EVBE))
    }
    files[f"{OTHER_STUDY}.1.1"] = _make(
        source / "other.dcm", f"{OTHER_STUDY}.1.1", EVLE, OTHER_STUDY
    )
    our_port = free_port()
    modalities = {"dicomnet": Modality(OUR_AET, our_port), "movescu": Modality("MOVESCU", 1)}
    with OrthancPeer(tmp_path_factory.mktemp("orthanc"), modalities=modalities) as orthanc:
        for path in files.values():
            orthanc.upload(path)
        yield Archive(orthanc, our_port, files)


def _run_scp_during(port: int, out: Path, action: object) -> StorageSCP:
    """Serve our Storage SCP on 127.0.0.1:port while ``action()`` runs in a thread."""
    assert callable(action)

    async def main() -> StorageSCP:
        scp = StorageSCP(DirectorySink(out))
        config = storage_acceptor_config(OUR_AET, "+xa")
        async with await aio.serve(scp, config, "127.0.0.1", port):
            await asyncio.to_thread(action)
        return scp

    return asyncio.run(main())


def _assert_received(out: Path, expected: dict[str, Path]) -> None:
    """Every expected instance is in ``out`` (and nothing else), intact element by element."""
    got = {str(pydicom.dcmread(p).SOPInstanceUID): p for p in out.iterdir()}
    assert set(got) == set(expected)
    for uid, original in expected.items():
        stored = read_file(got[uid])
        assert elements(stored.dataset) == elements(read_file(original).dataset)
        theirs, ours = pydicom.dcmread(got[uid]), pydicom.dcmread(original)
        assert theirs.PixelData == ours.PixelData
        assert theirs.ReferencedImageSequence[0].ReferencedSOPInstanceUID == "1.2.3.99"


def test_rest_store_to_our_scp(archive: Archive, tmp_path: Path) -> None:
    orthanc = archive.orthanc
    study_id = next(f["ID"] for f in orthanc.lookup(STUDY) if f["Type"] == "Study")
    answers: list[dict[str, object]] = []
    scp = _run_scp_during(
        archive.our_port, tmp_path, lambda: answers.append(orthanc.store_to("dicomnet", [study_id]))
    )
    assert answers[0]["InstancesCount"] == 3
    assert answers[0]["FailedInstancesCount"] == 0
    assert (scp.stored, scp.failed) == (3, 0)
    _assert_received(tmp_path, {u: p for u, p in archive.files.items() if u.startswith(STUDY)})


def test_orthanc_echo_to_our_scp(archive: Archive, tmp_path: Path) -> None:
    results: list[bool] = []
    _run_scp_during(
        archive.our_port,
        tmp_path,
        lambda: results.append(archive.orthanc.echo_modality("dicomnet")),
    )
    assert results == [True]
    assert list(tmp_path.iterdir()) == []
    # and with nobody listening, Orthanc's echo fails (the check above can fail)
    assert archive.orthanc.echo_modality("dicomnet") is False


def test_rest_store_fails_when_nobody_listens(archive: Archive) -> None:
    instance = archive.orthanc.instance_id(f"{OTHER_STUDY}.1.1")
    with pytest.raises(OrthancError):
        archive.orthanc.store_to("dicomnet", [instance])


def test_movescu_moves_a_study_to_our_scp(archive: Archive, tmp_path: Path) -> None:
    # DCMTK movescu (the Q/R SCU) asks Orthanc (the Q/R SCP) to move a study to our AE title:
    # Orthanc resolves DICOMNET through DicomModalities and stores into our SCP.
    movescu = require_program("movescu")
    cmd = [
        movescu,
        "-S",
        "-aet",
        "MOVESCU",
        "-aec",
        ORTHANC_AET,
        "-aem",
        OUR_AET,
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        f"StudyInstanceUID={OTHER_STUDY}",
        "127.0.0.1",
        str(archive.orthanc.dicom_port),
    ]
    done: list[subprocess.CompletedProcess[str]] = []

    def move() -> None:
        done.append(
            subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=dcmtk_env())
        )

    scp = _run_scp_during(archive.our_port, tmp_path, move)
    assert done[0].returncode == 0, done[0].stderr + done[0].stdout
    assert (scp.stored, scp.failed) == (1, 0)
    _assert_received(tmp_path, {f"{OTHER_STUDY}.1.1": archive.files[f"{OTHER_STUDY}.1.1"]})
