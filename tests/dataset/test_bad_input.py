"""Hostile input: only DatasetDecodeError (with offset and tag), no big allocations, no hangs."""

from __future__ import annotations

import contextlib
import struct
import tracemalloc
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomnet.dataset import Dataset, read_dataset
from dicomnet.dataset.deflate import deflate, inflate
from dicomnet.dataset.part10 import read_file
from dicomnet.errors import DatasetDecodeError
from tests.dataset.wire import UNDEF, delimiter, element, item, sequence


def _decode_error(data: bytes, **kw: Any) -> DatasetDecodeError:
    with pytest.raises(DatasetDecodeError) as info:
        _touch(read_dataset(data, **kw))
    return info.value


def _touch(ds: Dataset) -> None:
    """Decode every value, recursively (lazy sequences and values raise only when touched)."""
    stack = [ds]
    while stack:
        current = stack.pop()
        for tag in current:
            element = current[tag]
            if element.vr == "SQ":
                stack.extend(element.value)


GOOD = element(0x00100020, "LO", b"ID")


@pytest.mark.parametrize(
    ("data", "tag", "offset"),
    [
        pytest.param(GOOD + b"\x10\x00\x10", None, 10, id="truncated-header"),
        pytest.param(GOOD + element(0x00420011, "OB", b"")[:10], 0x00420011, 10, id="truncated-long-header"),
        pytest.param(GOOD + element(0x00100010, "PN", b"abc", length=30), 0x00100010, 10, id="length-past-end"),
        pytest.param(element(0x00420011, "OB", b"x" * 88, length=0xFFFFFFF0), 0x00420011, 0, id="4GB-claim"),
        pytest.param(GOOD + element(0x00100010, "\x01\x02", b"ab"), 0x00100010, 10, id="impossible-VR"),
        pytest.param(GOOD + delimiter(0xFFFEE00D), 0xFFFEE00D, 10, id="item-delimiter-top-level"),
        pytest.param(GOOD + delimiter(0xFFFEE0DD), 0xFFFEE0DD, 10, id="sequence-delimiter-top-level"),
        pytest.param(GOOD + item(b""), 0xFFFEE000, 10, id="item-top-level"),
    ],
)  # fmt: skip
def test_structural_errors(data: bytes, tag: int | None, offset: int) -> None:
    error = _decode_error(data)
    assert error.tag == tag
    assert error.offset == offset
    assert "offset" in str(error)


def test_undefined_length_on_a_binary_vr() -> None:
    data = GOOD + element(0x00280010, "US", b"", implicit=True, length=UNDEF)
    data = element(0x00100020, "LO", b"ID", implicit=True) + data[10:]
    error = _decode_error(data, implicit_vr=True)
    assert (error.tag, error.offset) == (0x00280010, 10)


SQ_TAG = 0x00081140


@pytest.mark.parametrize("lazy", [True, False])
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(sequence(SQ_TAG, [GOOD]), id="non-item-in-sequence"),
        pytest.param(sequence(SQ_TAG, [struct.pack("<HHL", 0xFFFE, 0xE000, 50) + GOOD]), id="item-longer-than-sequence"),
        pytest.param(sequence(SQ_TAG, [item(GOOD)[:4]]), id="truncated-item-header"),
        pytest.param(sequence(SQ_TAG, [item(GOOD)]).replace(b"\xfe\xff\x00\xe0", b"\xfe\xff\xdd\xe0"), id="sequence-delimiter-in-defined-sequence"),
    ],
)  # fmt: skip
def test_defined_sequence_errors(data: bytes, lazy: bool) -> None:
    error = _decode_error(data, lazy_sequences=lazy)
    assert error.tag == SQ_TAG
    assert error.offset is not None


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(sequence(SQ_TAG, [item(GOOD)], undefined=True)[:-8], id="no-sequence-delimiter"),
        pytest.param(sequence(SQ_TAG, [struct.pack("<HHL", 0xFFFE, 0xE000, 99) + GOOD], undefined=True), id="item-length-past-end"),
        pytest.param(sequence(SQ_TAG, [item(GOOD, undefined=True)[:-8]], undefined=True)[:-8], id="no-item-delimiter"),
        pytest.param(sequence(SQ_TAG, [item(GOOD, undefined=True)[:-8] + delimiter(0xFFFEE0DD)], undefined=True), id="sequence-delimiter-for-item"),
        pytest.param(sequence(SQ_TAG, [item(GOOD, undefined=True)[:-8] + delimiter(0xFFFEE00D, 4) + b"abcd"], undefined=True), id="item-delimiter-with-length"),
        pytest.param(sequence(SQ_TAG, [item(GOOD)], undefined=True)[:-8] + delimiter(0xFFFEE0DD, 2), id="sequence-delimiter-with-length"),
    ],
)  # fmt: skip
def test_undefined_sequence_errors(data: bytes) -> None:
    error = _decode_error(data)
    assert error.offset is not None
    assert error.tag in (SQ_TAG, 0xFFFEE0DD, 0xFFFEE00D)


@pytest.mark.parametrize(
    "fragments",
    [
        pytest.param(item(b"") + item(b"abcd"), id="no-delimiter"),
        pytest.param(item(b"") + struct.pack("<HHL", 0xFFFE, 0xE000, UNDEF), id="undefined-fragment"),
        pytest.param(item(b"") + struct.pack("<HHL", 0xFFFE, 0xE000, 100) + b"ab", id="fragment-past-end"),
        pytest.param(item(b"") + GOOD + delimiter(0xFFFEE0DD), id="element-among-fragments"),
    ],
)  # fmt: skip
def test_encapsulated_errors(fragments: bytes) -> None:
    error = _decode_error(element(0x7FE00010, "OB", fragments, length=UNDEF))
    assert error.tag == 0x7FE00010
    assert error.offset is not None


def test_value_errors_surface_on_access_with_tag_and_offset() -> None:
    ds = read_dataset(
        GOOD + element(0x00280010, "US", b"\x01\x02\x03") + element(0x00280009, "AT", b"\0\0")
    )
    with pytest.raises(DatasetDecodeError) as info:
        _ = ds[0x00280010]
    assert (info.value.tag, info.value.offset) == (0x00280010, 10)
    with pytest.raises(DatasetDecodeError):
        _ = ds[0x00280009]


def _nested(depth: int, undefined: bool) -> bytes:
    data = GOOD
    for _ in range(depth):
        data = sequence(SQ_TAG, [item(data, undefined=undefined)], undefined=undefined)
    return data


def test_3000_nested_undefined_sequences_is_a_decode_error() -> None:
    data = _nested(3000, undefined=True)
    assert len(data) < 120_000
    error = _decode_error(data)
    assert error.tag == SQ_TAG
    assert "max_depth=64" in str(error)
    # the walker is iterative: a larger bound reads it without recursion
    ds = read_dataset(data, max_depth=3000)
    for _ in range(3000):
        ds = ds[SQ_TAG].value[0]
    assert ds.PatientID == "ID"


@pytest.mark.parametrize("lazy", [True, False])
def test_deep_defined_sequences_respect_max_depth(lazy: bool) -> None:
    data = _nested(70, undefined=False)
    with pytest.raises(DatasetDecodeError, match="max_depth"):
        _touch(read_dataset(data, lazy_sequences=lazy))
    ds = read_dataset(_nested(64, undefined=False), lazy_sequences=lazy)
    _touch(ds)
    with pytest.raises(DatasetDecodeError, match="max_depth=3"):
        _touch(read_dataset(_nested(4, undefined=False), max_depth=3, lazy_sequences=lazy))


def test_4gb_claim_allocates_nothing_large() -> None:
    data = element(0x00100010, "PN", b"") + element(0x7FE00010, "OB", b"\0" * 70, length=0xFFFFFFF0)
    assert len(data) < 100
    tracemalloc.start()
    try:
        with pytest.raises(DatasetDecodeError):
            read_dataset(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200_000


def test_deflate_bomb_is_bounded() -> None:
    bomb = deflate(b"\0" * (20 << 20), level=9)
    assert len(bomb) < 50_000
    tracemalloc.start()
    try:
        with pytest.raises(DatasetDecodeError, match="inflates beyond"):
            inflate(bomb, max_size=1 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20
    with pytest.raises(DatasetDecodeError):
        read_dataset(bomb, deflated=True, max_inflated_size=1 << 20)


def test_corrupt_and_truncated_deflate() -> None:
    good = deflate(GOOD * 100)
    assert inflate(good) == GOOD * 100
    with pytest.raises(DatasetDecodeError):
        inflate(b"\xff\xff\xff\xff garbage")
    with pytest.raises(DatasetDecodeError, match="truncated"):
        inflate(good[: len(good) // 2])


def test_bad_transfer_syntax_uid_in_meta() -> None:
    meta = element(0x00020010, "UI", b"not-a-uid!")
    with pytest.raises(DatasetDecodeError) as info:
        read_file(b"\0" * 128 + b"DICM" + meta + GOOD)
    assert info.value.tag == 0x00020010


def _valid_sample() -> bytes:
    inner = element(0x00080100, "SH", b"CV1 ") + element(0x00100010, "PN", b"A^B")
    return (
        element(0x00080005, "CS", b"ISO_IR 100")
        + element(0x00280010, "US", b"\x04\x00")
        + sequence(SQ_TAG, [item(inner), item(inner, undefined=True)], undefined=True)
        + sequence(0x00400275, [item(inner)])
        + element(0x00091001, "UN", b"abcd")
        + element(0x7FE00010, "OB", item(b"") + item(b"ab") + delimiter(0xFFFEE0DD), length=UNDEF)
    )


SAMPLE = _valid_sample()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, len(SAMPLE)),
    implicit=st.booleans(),
    little=st.booleans(),
    lazy=st.booleans(),
    replace_un=st.booleans(),
)
def test_mutated_input_raises_only_decode_error(
    edits: list[tuple[int, int]],
    cut: int,
    implicit: bool,
    little: bool,
    lazy: bool,
    replace_un: bool,
) -> None:
    data = bytearray(SAMPLE)
    for position, value in edits:
        data[position] = value
    with contextlib.suppress(DatasetDecodeError):
        ds = read_dataset(
            bytes(data[:cut]),
            implicit_vr=implicit,
            little_endian=little,
            lazy_sequences=lazy,
            replace_un=replace_un,
        )
        _touch(ds)
        str(ds)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_as_file(data: bytes) -> None:
    for prefix in (b"", b"\0" * 128 + b"DICM", b"DICM"):
        with contextlib.suppress(DatasetDecodeError):
            _touch(read_file(prefix + data).dataset)


@pytest.mark.parametrize("vr", ["LO", "PN", "SH", "UT", "US", "OB"])
def test_specific_character_set_with_any_vr(vr: str) -> None:
    """(0008,0005) is read as CS from its bytes whatever its VR (found by fuzzing: a charset-
    sensitive VR used to recurse through the character set it defines)."""
    data = element(0x00080005, vr, b"ISO_IR 192") + element(0x00100010, "PN", "Müller".encode())
    ds = read_dataset(data)
    _ = ds[0x00080005]
    assert ds.character_set.terms == ("ISO_IR 192",)
    assert ds.PatientName == "Müller"
    short = read_dataset(bytes.fromhex("08000500") + b"LO" + bytes([2, 0]) + b"AB")
    assert short[0x00080005].value == "AB"
