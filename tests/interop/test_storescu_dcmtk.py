"""Our Storage SCU -> DCMTK ``storescp``: every uncompressed syntax, conversion, compressed data,
a folder with ``+sd +r``, and a large object streamed from its file."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pydicom
import pytest

from dicomnet.dataset import DataElement, WriteOptions, read_file, write_file
from dicomnet.services.storage_scu import Proposal, StorageSCUOptions, StoreOutcome, astore
from tests.peers import dcmtk_env, free_port, require_program, running
from tests.services.test_storage_scu_support import (
    CT,
    EVBE,
    EVLE,
    IVLE,
    JPEG_BASELINE,
    connector,
    elements,
    make_dataset,
    make_file,
    make_jpeg_file,
)

pytestmark = pytest.mark.peer


def _storescp(out: Path, port: int, *options: str) -> list[str]:
    return [require_program("storescp"), *options, "-od", str(out), str(port)]


def _send(
    port: int, paths: list[Path], options: StorageSCUOptions | None = None
) -> list[StoreOutcome]:
    return asyncio.run(astore(connector(port), paths, options))


def _received(out: Path) -> dict[str, Path]:
    """Files storescp wrote, by SOP Instance UID (read with pydicom, an independent reader)."""
    found: dict[str, Path] = {}
    for path in out.iterdir():
        ds = pydicom.dcmread(path)
        found[str(ds.SOPInstanceUID)] = path
    return found


def _assert_same(sent: Path, stored: Path, ts: str) -> None:
    got = read_file(stored)
    assert got.transfer_syntax is not None
    assert got.transfer_syntax.uid == ts
    assert elements(got.dataset) == elements(read_file(sent).dataset)
    # pydicom agrees on the stored file's syntax and identity
    ds = pydicom.dcmread(stored)
    assert ds.file_meta.TransferSyntaxUID == ts
    assert ds.PatientName == "Doe^Jane"


def test_every_uncompressed_syntax_stored_as_is(tmp_path: Path) -> None:
    src = tmp_path / "src"
    out = tmp_path / "out"
    src.mkdir()
    out.mkdir()
    files = {
        ts: make_file(src / f"{n}.dcm", f"1.2.826.0.1.3680043.9.{n}", ts)
        for n, ts in enumerate((EVLE, IVLE, EVBE))
    }
    port = free_port()
    with running(_storescp(out, port), port=port, env=dcmtk_env()):
        outcomes = _send(port, list(files.values()))
    assert [(o.status, o.converted) for o in outcomes] == [(0, False)] * 3
    stored = _received(out)
    for ts, path in files.items():
        _assert_same(path, stored[read_file(path).dataset.SOPInstanceUID], ts)


def test_implicit_only_peer_gets_converted_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    files = [
        make_file(tmp_path / "le.dcm", "1.2.826.0.1.3680043.9.10", EVLE),
        make_file(tmp_path / "be.dcm", "1.2.826.0.1.3680043.9.11", EVBE),
    ]
    port = free_port()
    with running(_storescp(out, port, "+xi"), port=port, env=dcmtk_env()):
        outcomes = _send(port, files, StorageSCUOptions(proposal=Proposal.LITTLE))
    assert [(o.status, o.transfer_syntax, o.converted) for o in outcomes] == [(0, IVLE, True)] * 2
    stored = _received(out)
    for path in files:
        _assert_same(path, stored[read_file(path).dataset.SOPInstanceUID], IVLE)


def test_compressed_stored_unchanged_or_refused(tmp_path: Path) -> None:
    jpeg = make_jpeg_file(tmp_path / "j.dcm", "1.2.826.0.1.3680043.9.20")
    plain = make_file(tmp_path / "p.dcm", "1.2.826.0.1.3680043.9.21", EVLE)
    accepting = tmp_path / "all"
    accepting.mkdir()
    port = free_port()
    with running(_storescp(accepting, port, "+xa"), port=port, env=dcmtk_env()):
        outcomes = _send(port, [jpeg, plain])
    assert [o.status for o in outcomes] == [0, 0]
    stored = _received(accepting)["1.2.826.0.1.3680043.9.20"]
    _assert_same(jpeg, stored, JPEG_BASELINE)
    sent_pixels = read_file(jpeg).dataset[0x7FE00010].value
    assert read_file(stored).dataset[0x7FE00010].value == sent_pixels  # the fragments as sent

    refusing = tmp_path / "plain"
    refusing.mkdir()
    port = free_port()
    with running(_storescp(refusing, port), port=port, env=dcmtk_env()):
        outcomes = _send(port, [jpeg, plain])
    assert outcomes[0].status is None
    assert "own transfer syntax" in (outcomes[0].reason or "")
    assert outcomes[1].status == 0
    assert list(_received(refusing)) == ["1.2.826.0.1.3680043.9.21"]


def test_folder_scan_recursive_skips_non_dicom(tmp_path: Path) -> None:
    """The CLI, as a user runs it: ``storescu +sd +r PEER PORT DIR``."""
    src = tmp_path / "src"
    (src / "deeper").mkdir(parents=True)
    make_file(src / "a.dcm", "1.2.826.0.1.3680043.9.30", EVLE)
    make_file(src / "deeper" / "b.dcm", "1.2.826.0.1.3680043.9.31", IVLE)
    make_jpeg_file(src / "deeper" / "c.dcm", "1.2.826.0.1.3680043.9.32")
    (src / "README.txt").write_text("not a DICOM file\n")
    out = tmp_path / "out"
    out.mkdir()
    port = free_port()
    with running(_storescp(out, port, "+xa"), port=port, env=dcmtk_env()):
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from dicomnet_cli.storescu import app; app()",
                "+sd",
                "+r",
                "-aec",
                "STORESCP",
                "127.0.0.1",
                str(port),
                str(src),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    assert "README.txt" in proc.stderr  # reported, then skipped
    assert sorted(_received(out)) == [
        "1.2.826.0.1.3680043.9.30",
        "1.2.826.0.1.3680043.9.31",
        "1.2.826.0.1.3680043.9.32",
    ]


def test_large_object_streamed_from_file(tmp_path: Path) -> None:
    size = 48 * 1024 * 1024
    ds = make_dataset("1.2.826.0.1.3680043.9.40", CT, rows=4096, cols=6144)
    ds[0x7FE00010] = DataElement(0x7FE00010, "OW", b"\x01\x02" * (size // 2))
    path = tmp_path / "big.dcm"
    write_file(path, ds, WriteOptions(transfer_syntax=EVLE))
    del ds
    gc.collect()
    out = tmp_path / "out"
    out.mkdir()
    port = free_port()
    with running(_storescp(out, port, "-pdu", "131072"), port=port, env=dcmtk_env()):
        tracemalloc.start()
        try:
            outcomes = _send(port, [path])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert outcomes[0].status == 0
    assert not outcomes[0].converted
    assert peak < size // 8, f"peak {peak} bytes for a {size}-byte object"
    (stored,) = out.iterdir()
    assert stored.stat().st_size >= size
    raw = read_file(stored, stop_before=0x7FE00010)
    assert raw.dataset.SOPInstanceUID == "1.2.826.0.1.3680043.9.40"
