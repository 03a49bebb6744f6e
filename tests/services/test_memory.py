"""A large object streamed through DirectorySink keeps Python memory flat (tracemalloc).

The object is generated: a small data set head (with the UIDs) and a Pixel Data (OB) element whose
value is streamed as 16 KiB fragments of one reused buffer, so the only memory the test itself
uses is that buffer. Two sizes: 256 MiB (about 1 s) and the 1 GiB of the acceptance list (marked ``slow``: 2 to 6 s
here, depending on disk write-back). Peak traced memory must stay under 1 MiB whatever the size
(measured: 75 kB, mostly the 64 KiB head kept for the UID check).
"""

from __future__ import annotations

import struct
import tracemalloc
from pathlib import Path

import pytest

from dicomnet.services.store import DirectorySink
from tests.services.helpers import dataset, encoded, request

FRAGMENT = 16 * 1024


@pytest.mark.parametrize(
    "size", [256 << 20, pytest.param(1 << 30, marks=pytest.mark.slow)], ids=["256MiB", "1GiB"]
)
def test_large_object_streams_with_flat_memory(tmp_path: Path, size: int) -> None:
    head = encoded(dataset())
    value_length = size - len(head) - 12
    value_length -= value_length % FRAGMENT
    head += struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OB", 0, value_length)
    zeros = memoryview(bytes(FRAGMENT))
    sink = DirectorySink(tmp_path)
    warm = sink.open(request())  # one-time costs (lazy imports, dictionary) before measuring
    warm.write(memoryview(encoded(dataset())))
    assert warm.commit().status == 0
    tracemalloc.start()
    try:
        writer = sink.open(request())
        writer.write(memoryview(head))
        for _ in range(value_length // FRAGMENT):
            writer.write(zeros)
        result = writer.commit()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == 0, result
    assert result.path is not None
    stored = result.path.stat().st_size
    assert stored > len(head) + value_length  # meta + everything received
    assert peak < 1 << 20, f"peak {peak} bytes while streaming {stored} bytes"
    result.path.unlink()
