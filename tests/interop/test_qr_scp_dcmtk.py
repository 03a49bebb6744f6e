"""DCMTK ``findscu``, ``movescu`` and ``getscu`` against our Q/R SCP (served in this process).

Files received by DCMTK (``movescu +P``, a third-party ``storescp``, ``getscu -od``) are compared
with the archive's files element by element (pydicom as the oracle); ``movescu --cancel 1`` ends
a many-object move early with a Cancel status.
"""

from __future__ import annotations

import asyncio
import functools
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pydicom
import pytest

from dicomnet.services.qr_scp import QRSCP, qr_acceptor_config
from dicomnet.transport import aio
from tests.peers import dcmtk_env, free_port, require_program, running
from tests.services.test_qr_scp_support import FolderArchive, make_files

pytestmark = pytest.mark.peer

TIMEOUTS = aio.Timeouts(connect=5, acse=10, dimse=20)
STUDY_1 = "1.2.826.0.1.3680043.2.1125.77.1"


def _serve_and(archive: FolderArchive, client: Callable[[int], Any]) -> Any:
    async def main() -> Any:
        scp = QRSCP(archive, connect=functools.partial(aio.connect, timeouts=TIMEOUTS))
        config = qr_acceptor_config("ARCHIVE")
        async with await aio.serve(scp, config, "127.0.0.1", 0, timeouts=TIMEOUTS) as server:
            return await asyncio.to_thread(client, server.port)

    return asyncio.run(asyncio.wait_for(main(), 90))


def _dcmtk(program: str, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    exe = require_program(program)
    return subprocess.run(
        [exe, *args],
        env=dcmtk_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _assert_same(sent: Path, received: Path) -> None:
    a, b = pydicom.dcmread(sent), pydicom.dcmread(received)
    assert {e.tag for e in a} == {e.tag for e in b}
    for elem in a:
        assert b[elem.tag].value == elem.value, elem.tag


def _received(folder: Path) -> dict[str, Path]:
    return {pydicom.dcmread(p).SOPInstanceUID: p for p in folder.iterdir() if p.is_file()}


def test_findscu(tmp_path: Path) -> None:
    files = make_files(tmp_path / "a", 2, patient="PID-1", study=1)
    files += make_files(tmp_path / "b", 2, patient="PID-2", study=2)
    out = tmp_path / "rsp"
    out.mkdir()
    args = ["-S", "-aec", "ARCHIVE", "-X", "-od", str(out)]
    keys = ["QueryRetrieveLevel=STUDY", "PatientID=PID-*", "StudyInstanceUID", "StudyDescription"]
    for key in keys:
        args += ["-k", key]

    def client(port: int) -> subprocess.CompletedProcess[str]:
        return _dcmtk("findscu", [*args, "127.0.0.1", str(port)])

    done = _serve_and(FolderArchive(files), client)
    assert done.returncode == 0, done.stdout + done.stderr
    responses = [pydicom.dcmread(p) for p in sorted(out.glob("rsp*.dcm"))]
    assert len(responses) == 2
    assert sorted(r.StudyInstanceUID for r in responses) == [STUDY_1, STUDY_1[:-1] + "2"]
    assert {r.StudyDescription for r in responses} == {"qr scp test"}


def test_movescu_to_itself(tmp_path: Path) -> None:
    files = make_files(tmp_path / "src", 3)
    out = tmp_path / "out"
    out.mkdir()
    port = free_port()
    archive = FolderArchive(files, {"MOVESCU": ("127.0.0.1", port)})
    args = ["-S", "-aet", "MOVESCU", "-aec", "ARCHIVE", "-aem", "MOVESCU", "+P", str(port)]
    args += ["-od", str(out), "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={STUDY_1}"]

    def client(qr_port: int) -> subprocess.CompletedProcess[str]:
        return _dcmtk("movescu", [*args, "127.0.0.1", str(qr_port)])

    done = _serve_and(archive, client)
    assert done.returncode == 0, done.stdout + done.stderr
    received = _received(out)
    assert len(received) == 3
    for path in files:
        _assert_same(path, received[pydicom.dcmread(path).SOPInstanceUID])


def test_movescu_to_a_third_party_storescp(tmp_path: Path) -> None:
    files = make_files(tmp_path / "src", 3)
    out = tmp_path / "out"
    out.mkdir()
    port = free_port()
    storescp = [require_program("storescp"), "-aet", "DEST", "-od", str(out), str(port)]
    archive = FolderArchive(files, {"DEST": ("127.0.0.1", port)})
    args = ["-S", "-aec", "ARCHIVE", "-aem", "DEST", "-k", "QueryRetrieveLevel=STUDY"]
    args += ["-k", f"StudyInstanceUID={STUDY_1}", "-v"]

    def client(qr_port: int) -> subprocess.CompletedProcess[str]:
        return _dcmtk("movescu", [*args, "127.0.0.1", str(qr_port)])

    with running(storescp, port=port, env=dcmtk_env()):
        done = _serve_and(archive, client)
    assert done.returncode == 0, done.stdout + done.stderr
    received = _received(out)
    assert len(received) == 3
    for path in files:
        _assert_same(path, received[pydicom.dcmread(path).SOPInstanceUID])


def test_movescu_unknown_destination(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 1))
    args = ["-S", "-aec", "ARCHIVE", "-aem", "NOWHERE", "-k", "QueryRetrieveLevel=STUDY", "-v"]
    args += ["-k", f"StudyInstanceUID={STUDY_1}"]

    def client(qr_port: int) -> subprocess.CompletedProcess[str]:
        return _dcmtk("movescu", [*args, "127.0.0.1", str(qr_port)])

    done = _serve_and(archive, client)
    text = done.stdout + done.stderr
    assert "Received Final Move Response (Refused: MoveDestinationUnknown)" in text, text


def test_movescu_cancel_after_one_response(tmp_path: Path) -> None:
    files = make_files(tmp_path / "src", 40)
    out = tmp_path / "out"
    out.mkdir()
    port = free_port()
    archive = FolderArchive(files, {"MOVESCU": ("127.0.0.1", port)})
    args = ["-S", "-aet", "MOVESCU", "-aec", "ARCHIVE", "-aem", "MOVESCU", "+P", str(port)]
    args += ["-od", str(out), "--cancel", "1", "-v"]
    args += ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={STUDY_1}"]

    def client(qr_port: int) -> subprocess.CompletedProcess[str]:
        return _dcmtk("movescu", [*args, "127.0.0.1", str(qr_port)])

    done = _serve_and(archive, client)
    text = done.stdout + done.stderr
    assert done.returncode == 0, text
    assert "Received Final Move Response (Cancel: " in text, text
    assert 1 <= len(list(out.iterdir())) < 40


def test_getscu(tmp_path: Path) -> None:
    files = make_files(tmp_path / "src", 3)
    out = tmp_path / "out"
    out.mkdir()
    args = ["-S", "-aec", "ARCHIVE", "-od", str(out), "-k", "QueryRetrieveLevel=SERIES"]
    args += ["-k", f"SeriesInstanceUID={STUDY_1}.0"]

    def client(qr_port: int) -> subprocess.CompletedProcess[str]:
        return _dcmtk("getscu", [*args, "127.0.0.1", str(qr_port)])

    done = _serve_and(FolderArchive(files), client)
    assert done.returncode == 0, done.stdout + done.stderr
    received = _received(out)
    assert len(received) == 3
    for path in files:
        _assert_same(path, received[pydicom.dcmread(path).SOPInstanceUID])
