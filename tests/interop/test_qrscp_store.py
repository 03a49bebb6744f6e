"""C-STORE into ``dicomnet qrscp`` (a subprocess), then found and retrieved by DCMTK.

DCMTK ``storescu`` and our ``storescu`` store a new study into the running archive; DCMTK
``findscu`` finds its instances at once (the sink indexes each stored file) and ``movescu``
retrieves them, compared with the originals element by element (pydicom as the oracle). A raw peer
that aborts in the middle of a data set leaves no file in the archive folder.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pydicom
import pytest

from dicomnet.samples import generate_study
from tests.peers import dcmtk_env, free_port, require_program, running

from .test_storescp_faults import _associate, _command, _pdata, _pdv

pytestmark = pytest.mark.peer

CT = "1.2.840.10008.5.1.4.1.1.2"


class Server:
    """The running archive: its folder, port and the move destination's port."""

    def __init__(self, folder: Path, port: int, dest_port: int) -> None:
        self.folder = folder
        self.port = port
        self.dest_port = dest_port

    def files(self) -> set[Path]:
        return {p for p in self.folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_program("storescu")
    folder = tmp_path_factory.mktemp("archive")
    generate_study(folder, series_per_study=1, images_per_series=2, rows=16, columns=16)
    port, dest_port = free_port(), free_port()
    args = [sys.executable, "-m", "dicomnet_cli.qrscp", "-aet", "ARCHIVE", "--bind", "127.0.0.1"]
    args += ["--dest", f"MOVEDEST=127.0.0.1:{dest_port}", str(folder), str(port)]
    with running(args, port=port):
        yield Server(folder, port, dest_port)


def _run(program: str, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    exe = require_program(program)
    return subprocess.run(
        [exe, *args], env=dcmtk_env(), capture_output=True, text=True, timeout=60, check=False
    )


def _new_study(folder: Path, seed: int) -> dict[str, Path]:
    generate_study(folder, series_per_study=1, images_per_series=3, rows=16, columns=16, seed=seed)
    return {str(pydicom.dcmread(p).SOPInstanceUID): p for p in sorted(folder.iterdir())}


def _find_images(server: Server, tmp: Path, sample: Path) -> set[str]:
    ds = pydicom.dcmread(sample, stop_before_pixels=True)
    out = tmp / "find"
    out.mkdir()
    args = ["-S", "-aec", "ARCHIVE", "-X", "-od", str(out)]
    for key in (
        "QueryRetrieveLevel=IMAGE",
        f"StudyInstanceUID={ds.StudyInstanceUID}",
        f"SeriesInstanceUID={ds.SeriesInstanceUID}",
        "SOPInstanceUID",
    ):
        args += ["-k", key]
    done = _run("findscu", [*args, "127.0.0.1", str(server.port)])
    assert done.returncode == 0, done.stdout + done.stderr
    return {str(pydicom.dcmread(p).SOPInstanceUID) for p in out.iterdir()}


def _move_and_compare(server: Server, tmp: Path, originals: dict[str, Path]) -> None:
    study = pydicom.dcmread(next(iter(originals.values())), stop_before_pixels=True)
    out = tmp / "moved"
    out.mkdir()
    args = ["-S", "-aet", "MOVEDEST", "-aem", "MOVEDEST", "-aec", "ARCHIVE"]
    args += ["+P", str(server.dest_port), "-od", str(out), "-k", "QueryRetrieveLevel=STUDY"]
    args += ["-k", f"StudyInstanceUID={study.StudyInstanceUID}", "127.0.0.1", str(server.port)]
    done = _run("movescu", args)
    assert done.returncode == 0, done.stdout + done.stderr
    received = {str(pydicom.dcmread(p).SOPInstanceUID): pydicom.dcmread(p) for p in out.iterdir()}
    assert set(received) == set(originals)
    for uid, got in received.items():
        sent = pydicom.dcmread(originals[uid])
        assert {e.tag for e in got} == {e.tag for e in sent}
        for elem in sent:
            assert got[elem.tag].value == elem.value, (uid, elem.tag)


def test_dcmtk_storescu_then_findscu_and_movescu(server: Server, tmp_path: Path) -> None:
    require_program("movescu")
    originals = _new_study(tmp_path / "src", seed=11)
    done = _run(
        "storescu",
        ["-aec", "ARCHIVE", "127.0.0.1", str(server.port), *map(str, originals.values())],
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _find_images(server, tmp_path, next(iter(originals.values()))) == set(originals)
    _move_and_compare(server, tmp_path, originals)


def test_our_storescu_then_findscu_and_movescu(server: Server, tmp_path: Path) -> None:
    require_program("movescu")
    originals = _new_study(tmp_path / "src", seed=12)
    code = "from dicomnet_cli.storescu import app; app()"
    args = [sys.executable, "-c", code, "-aec", "ARCHIVE", "127.0.0.1", str(server.port)]
    done = subprocess.run(
        [*args, *map(str, originals.values())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _find_images(server, tmp_path, next(iter(originals.values()))) == set(originals)
    _move_and_compare(server, tmp_path, originals)


def test_abort_mid_object_leaves_no_file(server: Server, tmp_path: Path) -> None:
    require_program("echoscu")
    originals = _new_study(tmp_path / "src", seed=13)
    raw = next(iter(originals.values())).read_bytes()
    dataset = raw[len(raw) // 3 :]  # the bytes matter little: only part of them is sent
    before = server.files()
    sock, cid = _associate(server.port)  # a CT context, requestor SCU (no role selection)
    with sock:
        sock.sendall(_pdata(_command(cid)))  # C-STORE-RQ of a CT image
        sock.sendall(_pdata(_pdv(cid, 0x00, dataset[: len(dataset) // 2])))
        time.sleep(0.2)  # the test peer, not the library: let the archive open its writer
        sock.sendall(struct.pack(">BBIBBBB", 0x07, 0, 4, 0, 0, 0, 0))  # A-ABORT
    done = _run("echoscu", ["-aec", "ARCHIVE", "127.0.0.1", str(server.port)])
    assert done.returncode == 0, done.stdout + done.stderr  # the archive goes on serving
    for _ in range(100):  # the archive handles the abort asynchronously
        if server.files() == before:
            break
        time.sleep(0.02)
    assert server.files() == before
