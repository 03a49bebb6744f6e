"""Encapsulated Pixel Data helpers (PS3.5 §A.4) and raw deflate (PS3.5 §A.5)."""

from __future__ import annotations

import struct
import zlib

import pytest

from dicomnet.dataset.deflate import deflate, inflate
from dicomnet.dataset.encaps import (
    basic_offset_table,
    encapsulate,
    fragments,
    frames,
    iter_items,
    scan_items,
)
from dicomnet.errors import DatasetDecodeError
from tests.dataset.wire import delimiter, item


def test_encapsulate_layout() -> None:
    value = encapsulate([b"abc", b"defg"], offset_table=True)
    assert value == (
        item(struct.pack("<2L", 0, 12)) + item(b"abc\0") + item(b"defg")
    )  # odd fragment padded with NUL
    assert encapsulate([b"ab"]) == item(b"") + item(b"ab")
    assert basic_offset_table(encapsulate([b"ab"], offset_table=[0])) == [0]


def test_iterate_items_and_fragments() -> None:
    value = encapsulate([b"f1", b"f2"], offset_table=True)
    assert [bytes(i) for i in iter_items(value)] == [struct.pack("<2L", 0, 10), b"f1", b"f2"]
    assert [bytes(f) for f in fragments(value + delimiter(0xFFFEE0DD))] == [b"f1", b"f2"]
    assert fragments(b"") == []
    assert basic_offset_table(b"") == []
    with pytest.raises(DatasetDecodeError):
        list(iter_items(item(b"ab")[:6]))
    with pytest.raises(DatasetDecodeError):
        basic_offset_table(item(b"abc\0\0\0"))


def test_frames_with_and_without_offset_table() -> None:
    two_fragment_frame = item(struct.pack("<2L", 0, 20)) + item(b"a1") + item(b"a2") + item(b"b1b2")
    assert frames(two_fragment_frame) == [b"a1a2", b"b1b2"]
    no_bot = encapsulate([b"x1", b"x2", b"x3"])
    assert frames(no_bot) == [b"x1", b"x2", b"x3"]
    assert frames(no_bot, 3) == [b"x1", b"x2", b"x3"]
    assert frames(no_bot, 1) == [b"x1x2x3"]
    assert frames(b"") == []
    with pytest.raises(DatasetDecodeError, match="no Basic Offset Table"):
        frames(no_bot, 2)
    with pytest.raises(DatasetDecodeError):
        frames(item(struct.pack("<2L", 0, 3)) + item(b"a1") + item(b"b1"))
    with pytest.raises(DatasetDecodeError):
        frames(item(struct.pack("<2L", 4, 0)) + item(b"a1") + item(b"b1"))


def test_scan_items_reports_delimiter_offset() -> None:
    data = memoryview(item(b"") + item(b"abcd") + delimiter(0xFFFEE0DD) + b"tail")
    assert scan_items(data, 0, len(data)) == 20
    big = memoryview(item(b"", little=False) + delimiter(0xFFFEE0DD, little=False))
    assert scan_items(big, 0, len(big), little_endian=False) == 8


def test_deflate_is_raw_rfc1951() -> None:
    data = b"DICOM data set " * 50
    packed = deflate(data, level=9)
    assert zlib.decompress(packed, -15) == data
    assert inflate(packed) == data
    assert inflate(deflate(b"")) == b""
    for level in (0, 1, 6):
        assert inflate(deflate(data, level)) == data
    with pytest.raises(ValueError):
        deflate(data, level=10)


def test_inflate_tolerates_zlib_header() -> None:
    data = b"zlib wrapped by a non-conformant writer" * 10
    assert inflate(zlib.compress(data)) == data


def test_inflate_limit_is_exact() -> None:
    data = b"x" * 5000
    assert inflate(deflate(data), max_size=5000) == data
    with pytest.raises(DatasetDecodeError):
        inflate(deflate(data), max_size=4999)
