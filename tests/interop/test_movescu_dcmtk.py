"""``movescu`` against DCMTK's dcmqrscp (default fork mode), storescp and movescu.

The study set and the dcmqrscp configuration come from :mod:`tests.interop.test_qr_scu_support`;
the move destination ``MOVESCU`` is our own ``+P`` port, ``STORESCP`` a DCMTK storescp (third-party
move) and ``DCMTKMOVE`` DCMTK's movescu (side by side).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom.dataset import Dataset as PyDataset
from typer.testing import CliRunner, Result

from dicomnet.dataset import read_dataset, read_file
from dicomnet_cli.movescu import EXIT_FAILURE, app
from tests.interop.test_qr_scu_support import QRSCP, ROOT, elements
from tests.peers import dcmtk_env, free_port, require_program, running

pytestmark = pytest.mark.peer

runner = CliRunner()


class Setup:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.third = free_port()
        self.dcmtk = free_port()
        self.qr = QRSCP(
            root,
            {"MOVESCU": self.port, "STORESCP": self.third, "DCMTKMOVE": self.dcmtk, "NOWHERE": 9},
        )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    require_program("dcmqrscp")
    s = Setup(tmp_path_factory.mktemp("qr"))
    cmd = ["dcmqrscp", "-c", str(s.qr.cfg), str(s.qr.port)]
    with running(cmd, port=s.qr.port, env=dcmtk_env()):
        yield s


def _movescu(s: Setup, out: Path, *args: str, files: tuple[str, ...] = ()) -> Result:
    return runner.invoke(
        app,
        [
            "-aec",
            "QRSCP",
            "+P",
            str(s.port),
            "-od",
            str(out),
            "-to",
            "10",
            "-td",
            "30",
            *args,
            "127.0.0.1",
            str(s.qr.port),
            *files,
        ],
    )


def _keys(level: str, value: str, *, patient: bool = True) -> list[str]:
    """``-k`` options selecting the entity ``value`` (ROOT.p.st.se.im) at ``level``."""
    p, st, se, _im = [*value[len(ROOT) + 1 :].split("."), "", "", ""][:4]
    keys = [f"QueryRetrieveLevel={level}"]
    if patient:
        keys.append(f"PatientID=PID{p}")
    if level in ("STUDY", "SERIES", "IMAGE"):
        keys.append(f"StudyInstanceUID={ROOT}.{p}.{st}")
    if level in ("SERIES", "IMAGE"):
        keys.append(f"SeriesInstanceUID={ROOT}.{p}.{st}.{se}")
    if level == "IMAGE":
        keys.append(f"SOPInstanceUID={value}")
    return [arg for key in keys for arg in ("-k", key)]


def _check_files(s: Setup, out: Path, expected: set[str]) -> None:
    assert set(os.listdir(out)) == {f"CT.{uid}" for uid in expected}
    for uid in expected:
        got = read_file(out / f"CT.{uid}")
        want = read_file(s.qr.files[uid])
        assert elements(got.dataset) == elements(want.dataset)
        assert got.meta.get_value(0x00020003) == uid
        assert got.meta.get_value(0x00020016) == "QRSCP"


@pytest.mark.parametrize(
    ("model", "level", "value"),
    [
        ("-P", "PATIENT", f"{ROOT}.1"),
        ("-P", "STUDY", f"{ROOT}.1.2"),
        ("-P", "SERIES", f"{ROOT}.2.1.2"),
        ("-P", "IMAGE", f"{ROOT}.2.2.1.2"),
        ("-S", "STUDY", f"{ROOT}.2.1"),
        ("-S", "SERIES", f"{ROOT}.1.1.1"),
        ("-S", "IMAGE", f"{ROOT}.1.2.2.1"),
        ("-O", "PATIENT", f"{ROOT}.2"),
        ("-O", "STUDY", f"{ROOT}.1.1"),
    ],
)
def test_retrieve_to_ourselves(
    setup: Setup, tmp_path: Path, model: str, level: str, value: str
) -> None:
    keys = _keys(level, value, patient=model != "-S")  # no patient level in the study root
    result = _movescu(setup, tmp_path, model, *keys)
    assert result.exit_code == 0, result.stderr
    expected = setup.qr.uids(level, value)
    _check_files(setup, tmp_path, expected)
    assert f"{len(expected)} objects" in result.stderr


def test_query_file_and_repeat(setup: Setup, tmp_path: Path) -> None:
    query = PyDataset()
    query.QueryRetrieveLevel = "SERIES"
    query.StudyInstanceUID = f"{ROOT}.1.1"
    query.SeriesInstanceUID = "1.2.3.4.5"  # replaced by -k
    path = tmp_path / "query.dcm"
    query.save_as(path, implicit_vr=True, little_endian=True)
    out = tmp_path / "out"
    out.mkdir()
    key = f"SeriesInstanceUID={ROOT}.1.1.2"
    result = _movescu(setup, out, "-S", "--repeat", "2", "-k", key, files=(str(path),))
    assert result.exit_code == 0, result.stderr
    _check_files(setup, out, setup.qr.uids("SERIES", f"{ROOT}.1.1.2"))
    assert "2 move(s): 4 objects" in result.stderr


def test_bit_preserving_and_dataset_only(setup: Setup, tmp_path: Path) -> None:
    uid = f"{ROOT}.1.1.1.1"
    result = _movescu(setup, tmp_path, "+B", "-F", *_keys("IMAGE", uid))
    assert result.exit_code == 0, result.stderr
    data = (tmp_path / f"CT.{uid}").read_bytes()
    assert data[128:132] != b"DICM"
    got = read_dataset(data, "1.2.840.10008.1.2.1")
    assert elements(got) == elements(read_file(setup.qr.files[uid]).dataset)


def test_ignore_writes_nothing(setup: Setup, tmp_path: Path) -> None:
    result = _movescu(setup, tmp_path, "--ignore", *_keys("SERIES", f"{ROOT}.1.1.1"))
    assert result.exit_code == 0, result.stderr
    assert os.listdir(tmp_path) == []


def test_cancel(setup: Setup, tmp_path: Path) -> None:
    result = _movescu(setup, tmp_path, "--cancel", "1", "-v", *_keys("SERIES", f"{ROOT}.3.1.1"))
    assert result.exit_code == 0, result.stderr
    assert "Cancel (0xFE00)" in result.stderr
    assert 0 < len(os.listdir(tmp_path)) < 40


def test_unknown_destination_exits_69_with_comment(setup: Setup, tmp_path: Path) -> None:
    result = _movescu(setup, tmp_path, "-aem", "UNKNOWN", *_keys("STUDY", f"{ROOT}.1.1"))
    assert result.exit_code == EXIT_FAILURE, result.stderr
    assert "A801" in result.stderr
    assert "Move Destination unknown" in result.stderr  # dcmqrscp sends no Error Comment
    assert "Traceback" not in result.stderr


def test_third_party_move_to_dcmtk_storescp(setup: Setup, tmp_path: Path) -> None:
    require_program("storescp")
    out = tmp_path / "third"
    out.mkdir()
    cmd = ["storescp", "-aet", "STORESCP", "-od", str(out), str(setup.third)]
    with running(cmd, port=setup.third, env=dcmtk_env()):
        result = runner.invoke(
            app,
            [
                "-aec",
                "QRSCP",
                "-aem",
                "STORESCP",
                "-S",
                *_keys("STUDY", f"{ROOT}.2.2", patient=False),
                "127.0.0.1",
                str(setup.qr.port),
            ],
        )
    assert result.exit_code == 0, result.stderr
    expected = setup.qr.uids("STUDY", f"{ROOT}.2.2")
    assert set(os.listdir(out)) == {f"CT.{uid}" for uid in expected}


def test_same_file_names_as_dcmtk_movescu(setup: Setup, tmp_path: Path) -> None:
    require_program("movescu")
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    keys = _keys("PATIENT", f"{ROOT}.2")
    result = _movescu(setup, ours, *keys)
    assert result.exit_code == 0, result.stderr
    dcmtk = subprocess.run(
        [
            "movescu",
            "-aet",
            "DCMTKMOVE",
            "-aem",
            "DCMTKMOVE",
            "-aec",
            "QRSCP",
            "+P",
            str(setup.dcmtk),
            "-od",
            str(theirs),
            *keys,
            "127.0.0.1",
            str(setup.qr.port),
        ],
        env=dcmtk_env(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert dcmtk.returncode == 0, dcmtk.stderr
    assert sorted(os.listdir(ours)) == sorted(os.listdir(theirs))
    assert len(os.listdir(ours)) == 8
    for name in os.listdir(ours):
        assert elements(read_file(ours / name).dataset) == elements(
            read_file(theirs / name).dataset
        )


def test_abort_instead_of_release(setup: Setup, tmp_path: Path) -> None:
    result = _movescu(setup, tmp_path, "--abort", *_keys("IMAGE", f"{ROOT}.2.1.1.1"))
    assert result.exit_code == 0, result.stderr
    assert os.listdir(tmp_path) == [f"CT.{ROOT}.2.1.1.1"]
