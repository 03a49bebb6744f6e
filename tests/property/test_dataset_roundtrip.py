"""Hypothesis round trips of the data set codec: write -> read gives the data set back.

Random data sets hold every VR of PS3.5 (on public tags whose dictionary VR it is, so implicit VR
reads them back with the same VR), multi-values, nested sequences with defined and undefined
lengths (sequences and items), and private elements (any VR in explicit VR; UN in implicit VR,
where a private element's VR cannot be known, PS3.5 §6.2.2). In each uncompressed transfer syntax
and deflated:

- written with the length forms the data set asks for (``bit_preserving``), read back equal,
  including every sequence's and item's length form;
- canonical bytes (default options) are a fixed point: ``write(read(b)) == b``.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomnet.dataset import DataElement, Dataset, read_dataset
from dicomnet.dataset._dictionary_data import ENTRIES
from dicomnet.dataset.vr import ALL_VRS
from dicomnet.dataset.writer import LengthEncoding, WriteOptions, write_dataset
from dicomnet.uid import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    TransferSyntax,
)

TRANSFER_SYNTAXES = [
    IMPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
]


def _tags_by_vr() -> dict[str, list[int]]:
    pools: dict[str, list[int]] = {}
    for tag, (vr, _vm, _name, _keyword, retired) in ENTRIES.items():
        if not isinstance(tag, int) or retired or tag & 0xFFFF == 0:
            continue
        if tag >> 16 in (0x0000, 0x0002) or tag == 0x00080005 or vr not in ALL_VRS:
            continue
        pools.setdefault(vr, []).append(tag)
    return {vr: sorted(tags)[:40] for vr, tags in pools.items()}


TAGS = _tags_by_vr()
VALUE_VRS = sorted(vr for vr in TAGS if vr != "SQ")

_PRINTABLE = "".join(c for c in string.printable if c not in "\\\t\n\r\x0b\x0c")
_UPPER = string.ascii_uppercase + string.digits + "_"


def _text(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    """Text without leading/trailing spaces (not significant in some VRs, PS3.5 Table 6.2-1)."""
    return st.text(alphabet, max_size=max_size).map(lambda s: s.strip(" "))


_SINGLE: dict[str, st.SearchStrategy[str]] = {
    "AE": _text(_UPPER, 16),
    "AS": st.builds(lambda n, u: f"{n:03d}{u}", st.integers(0, 999), st.sampled_from("DWMY")),
    "CS": _text(_UPPER + " ", 16),
    "DA": st.integers(0, 99999999).map(lambda n: f"{n:08d}"),
    "DS": st.integers(-(10**9), 10**9).map(str) | st.just("1.25e3"),
    "DT": st.integers(0, 10**14 - 1).map(str),
    "IS": st.integers(-(2**31), 2**31 - 1).map(str),
    "LO": _text(_PRINTABLE, 40),
    "PN": st.lists(st.text(string.ascii_letters, min_size=1, max_size=8), max_size=5).map("^".join),
    "SH": _text(_PRINTABLE, 16),
    "TM": st.integers(0, 235959).map(lambda n: f"{n:06d}"),
    "UC": _text(_PRINTABLE, 40),
    "UI": st.lists(st.integers(0, 99999).map(str), min_size=2, max_size=6).map(".".join),
}
_UNLIMITED: dict[str, st.SearchStrategy[str]] = {
    "LT": _text(string.printable.replace("\x0b", "").replace("\x0c", ""), 64),
    "ST": _text(_PRINTABLE + "\\", 64),
    "UT": _text(_PRINTABLE + "\\\r\n", 80),
    "UR": st.text(string.ascii_lowercase, max_size=20).map(lambda s: "http://h/" + s),
}
_NUMBERS: dict[str, st.SearchStrategy[Any]] = {
    "US": st.integers(0, 2**16 - 1),
    "SS": st.integers(-(2**15), 2**15 - 1),
    "UL": st.integers(0, 2**32 - 1),
    "SL": st.integers(-(2**31), 2**31 - 1),
    "UV": st.integers(0, 2**64 - 1),
    "SV": st.integers(-(2**63), 2**63 - 1),
    "FL": st.floats(width=32, allow_nan=False),
    "FD": st.floats(allow_nan=False),
    "AT": st.integers(0, 2**32 - 1),
}
_UNITS = {"OB": 2, "UN": 2, "OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


def _binary(vr: str) -> st.SearchStrategy[bytes]:
    unit = _UNITS[vr]
    return st.integers(0, 12).flatmap(lambda n: st.binary(min_size=n * unit, max_size=n * unit))


def value_for(vr: str) -> st.SearchStrategy[Any]:
    """A decoded value of VR ``vr`` as the reader returns it (scalar for VM 1, list for VM > 1)."""
    if vr in _SINGLE:
        single = _SINGLE[vr]
        return single | st.lists(single, min_size=2, max_size=4)
    if vr in _UNLIMITED:
        return _UNLIMITED[vr]
    if vr in _NUMBERS:
        number = _NUMBERS[vr]
        return st.none() | number | st.lists(number, min_size=2, max_size=4)
    return _binary(vr)


def _element(tag: int, vr: str) -> st.SearchStrategy[DataElement]:
    return value_for(vr).map(lambda value: DataElement(tag, vr, value))


@st.composite
def datasets(draw: st.DrawFn, implicit: bool, depth: int = 0) -> Dataset:
    """A random data set; sequences nest up to 2 levels."""
    elements: dict[int, DataElement] = {}
    for vr in draw(st.lists(st.sampled_from(VALUE_VRS), max_size=10)):
        tag = draw(st.sampled_from(TAGS[vr]))
        elements[tag] = draw(_element(tag, vr))
    if draw(st.booleans()):  # private block: creator + data elements
        elements[0x00090010] = DataElement(0x00090010, "LO", "ACME 1.0")
        for offset in draw(st.lists(st.integers(0, 0xFF), max_size=4, unique=True)):
            tag = 0x00091000 | offset
            vr = "UN" if implicit else draw(st.sampled_from([*VALUE_VRS, "UN"]))
            elements[tag] = draw(_element(tag, vr))
    if depth < 2:
        for tag in draw(st.lists(st.sampled_from(TAGS["SQ"]), max_size=2, unique=True)):
            items = draw(st.lists(datasets(implicit, depth + 1), max_size=2))
            for item in items:
                item.is_undefined_length = draw(st.booleans())
            undefined = draw(st.booleans())
            elements[tag] = DataElement(tag, "SQ", items, undefined_length=undefined)
    return Dataset(elements.values())


def _same(a: Dataset, b: Dataset) -> None:
    """Equal elements and equal length forms, recursively."""
    assert list(a) == list(b)
    for tag in a:
        x, y = a[tag], b[tag]
        assert (x.tag, x.vr) == (y.tag, y.vr), hex(tag)
        if x.vr == "SQ":
            assert x.undefined_length == y.undefined_length, hex(tag)
            assert len(x.value) == len(y.value), hex(tag)
            for i, j in zip(x.value, y.value, strict=True):
                assert i.is_undefined_length == j.is_undefined_length, hex(tag)
                _same(i, j)
        else:
            assert x.value == y.value, (hex(tag), x.vr, x.value, y.value)


_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("ts", TRANSFER_SYNTAXES, ids=lambda ts: ts.keyword)
@_SETTINGS
@given(data=st.data())
def test_write_read_equals_original(ts: TransferSyntax, data: st.DataObject) -> None:
    ds = data.draw(datasets(ts.implicit_vr))
    encoded = write_dataset(ds, WriteOptions(bit_preserving=True), source_transfer_syntax=ts)
    _same(ds, read_dataset(encoded, ts))


@pytest.mark.parametrize("ts", TRANSFER_SYNTAXES, ids=lambda ts: ts.keyword)
@_SETTINGS
@given(data=st.data())
def test_canonical_bytes_are_a_fixed_point(ts: TransferSyntax, data: st.DataObject) -> None:
    lengths = data.draw(st.sampled_from(LengthEncoding))
    ds = data.draw(datasets(ts.implicit_vr))
    options = WriteOptions(length_encoding=lengths)
    canonical = write_dataset(ds, options, source_transfer_syntax=ts)
    again = read_dataset(canonical, ts)
    assert write_dataset(again, options, source_transfer_syntax=ts) == canonical
    assert write_dataset(again, WriteOptions(bit_preserving=True), source_transfer_syntax=ts) == (
        canonical
    )


def test_tag_pools_cover_every_vr() -> None:
    """The strategies draw every VR of PS3.5 Table 6.2-1 (UN through private elements)."""
    assert set(TAGS) | {"UN"} >= ALL_VRS
    assert set(_SINGLE) | set(_UNLIMITED) | set(_NUMBERS) | set(_UNITS) | {"SQ"} == ALL_VRS
