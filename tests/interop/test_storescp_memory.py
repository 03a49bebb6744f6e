"""Peak RSS of ``dicomnet storescp`` receiving a 1 GiB object from DCMTK ``storescu``: < 80 MB.

The object is a Part 10 file whose 1 GiB of Pixel Data is a sparse hole (made with ``truncate``).
The SCP runs as a child process; its peak resident set is ``VmHWM`` of ``/proc/PID/status``,
read once the object is stored (not ``ru_maxrss``: Linux carries the parent's high-water mark
over ``fork``/``exec`` into it, so a large test process would be measured instead). The received file must have the full size and the sent bytes' tail.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from tests.peers import free_port, wait_for_port

from .test_storescp_dcmtk import make_object, storescu

pytestmark = pytest.mark.peer

PIXELS = 1 << 30
LIMIT_KB = 80_000_000 // 1024  # 80 MB in the KiB units of /proc (and ru_maxrss)


def _big_object(path: Path) -> Path:
    small = make_object(
        path.with_suffix(".small"), "1.2.826.0.1.3680043.2.1125.15.1", rows=1, cols=1
    )
    ds = pydicom.dcmread(small)
    del ds.PixelData
    ds.Rows, ds.Columns, ds.NumberOfFrames = 16384, 16384, 2
    ds.save_as(path, enforce_file_format=True)
    with path.open("ab") as f:
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, PIXELS))
        end = f.tell() + PIXELS
    os.truncate(path, end - 4)
    with path.open("ab") as f:
        f.write(b"TAIL")  # the last 4 bytes, so the tail is checked
    return path


def _data_set_size(path: Path) -> int:
    with path.open("rb") as f:
        head = f.read(144)
    assert head[128:132] == b"DICM"
    return path.stat().st_size - 144 - int.from_bytes(head[140:144], "little")


def _vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


def test_one_gib_object_peak_rss(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    path = _big_object(src / "big.dcm")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dicomnet_cli.storescp",
            "--bind",
            "127.0.0.1",
            "-od",
            str(out),
            "-pdu",
            "131072",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc)
        storescu(port, [path], "-xe", timeout=300)
        peak_kb = _vm_hwm_kb(proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == 0
    received = out / "CT.1.2.826.0.1.3680043.2.1125.15.1"
    assert _data_set_size(received) == _data_set_size(path)
    with received.open("rb") as f:
        f.seek(-4, os.SEEK_END)
        assert f.read() == b"TAIL"
    assert peak_kb < LIMIT_KB, f"peak RSS {peak_kb} kB"
    print(f"peak RSS (VmHWM) of dicomnet storescp receiving 1 GiB: {peak_kb * 1024 / 1e6:.1f} MB")
