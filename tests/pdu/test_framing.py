"""PDUFramer: same PDUs whatever the chunking; limits checked from the 6-byte header (PS3.8 D.1)."""

from __future__ import annotations

import itertools
import struct
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.errors import PDUDecodeError
from dicomnet.pdu import (
    PDATA_HARD_LIMIT,
    PDU,
    AReleaseRQ,
    PDataTF,
    PDUFramer,
    PresentationDataValue,
    encode_pdu,
)

from . import strategies as pst


def feed_in_chunks(wire: bytes, cuts: list[int], max_pdata_length: int = 0) -> list[PDU]:
    framer = PDUFramer(max_pdata_length)
    out: list[PDU] = []
    points = sorted({c % (len(wire) + 1) for c in cuts} | {0, len(wire)})
    for a, b in itertools.pairwise(points):
        framer.feed(wire[a:b])
        while (pdu := framer.next_pdu()) is not None:
            out.append(pdu)
    assert framer.buffered == 0
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(pst.pdus, max_size=6),
    st.lists(st.integers(0, 1 << 16), max_size=20),
)
def test_framing_is_independent_of_chunking(pdus: list[PDU], cuts: list[int]) -> None:
    wire = b"".join(encode_pdu(p) for p in pdus)
    assert feed_in_chunks(wire, cuts) == feed_in_chunks(wire, []) == pdus


@settings(max_examples=30, deadline=None)
@given(st.lists(pst.pdus, min_size=1, max_size=3))
def test_byte_by_byte(pdus: list[PDU]) -> None:
    wire = b"".join(encode_pdu(p) for p in pdus)
    assert feed_in_chunks(wire, list(range(len(wire)))) == pdus


def test_many_pdus_in_one_feed() -> None:
    pdu = PDataTF((PresentationDataValue(1, False, False, b"x" * 100),))
    wire = encode_pdu(pdu) * 5000
    framer = PDUFramer(16384)
    framer.feed(wire)
    count = 0
    while framer.next_pdu() is not None:
        count += 1
    assert count == 5000
    assert framer.buffered == 0


@pytest.mark.parametrize("pdu_type", [1, 2, 3, 4, 5, 6, 7])
def test_4gb_claim_rejected_after_six_bytes_with_bounded_memory(pdu_type: int) -> None:
    framer = PDUFramer(16384)
    tracemalloc.start()
    try:
        framer.feed(struct.pack(">BBL", pdu_type, 0, 0xFFFFFFFF))
        with pytest.raises(PDUDecodeError) as info:
            framer.next_pdu()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.abort_reason == 6
    assert info.value.pdu_type == pdu_type
    assert peak < 64 * 1024


def test_pdata_limit_is_the_pdu_length_field() -> None:
    body = encode_pdu(PDataTF((PresentationDataValue(1, False, True, b"a" * 994),)))
    assert len(body) == 1006  # PDU-length 1000
    framer = PDUFramer(1000)
    framer.feed(body)
    assert isinstance(framer.next_pdu(), PDataTF)
    framer = PDUFramer(999)
    framer.feed(body[:6])  # header alone is enough to refuse
    with pytest.raises(PDUDecodeError, match="exceeds the limit 999"):
        framer.next_pdu()


def test_unlimited_pdata_still_has_a_hard_cap() -> None:
    framer = PDUFramer(0)
    framer.feed(struct.pack(">BBL", 4, 0, PDATA_HARD_LIMIT))
    assert framer.next_pdu() is None  # allowed, waiting for the body
    framer = PDUFramer(0)
    framer.feed(struct.pack(">BBL", 4, 0, PDATA_HARD_LIMIT + 1))
    with pytest.raises(PDUDecodeError):
        framer.next_pdu()


def test_other_pdus_use_max_other_length() -> None:
    framer = PDUFramer(0, max_other_length=100)
    framer.feed(struct.pack(">BBL", 1, 0, 101))
    with pytest.raises(PDUDecodeError, match="limit 100"):
        framer.next_pdu()


def test_unknown_pdu_type_rejected_from_the_header() -> None:
    framer = PDUFramer(0)
    framer.feed(b"\x08\x00\x00\x00\x00\x04")
    with pytest.raises(PDUDecodeError) as info:
        framer.next_pdu()
    assert info.value.abort_reason == 1
    assert info.value.pdu_type == 8
    with pytest.raises(PDUDecodeError):  # stays failed
        framer.next_pdu()


def test_header_split_then_body() -> None:
    framer = PDUFramer(0)
    wire = encode_pdu(AReleaseRQ())
    for i in range(len(wire)):
        assert framer.next_pdu() is None
        framer.feed(wire[i : i + 1])
    assert framer.next_pdu() == AReleaseRQ()
    assert framer.next_pdu() is None


def test_pdu_inside_one_chunk_is_not_copied() -> None:
    pdu = PDataTF((PresentationDataValue(1, False, True, b"z" * 1000),))
    chunk = encode_pdu(pdu) * 2
    framer = PDUFramer(0)
    framer.feed(chunk)
    first = framer.next_pdu()
    assert isinstance(first, PDataTF)
    data = first.pdvs[0].data
    assert isinstance(data, memoryview)
    assert data.obj is chunk  # a view of the fed bytes, no copy
    assert framer.next_pdu() == pdu
    assert framer.buffered == 0


def test_mutable_input_is_copied_on_feed() -> None:
    pdu = PDataTF((PresentationDataValue(1, False, True, b"abc"),))
    buf = bytearray(encode_pdu(pdu))
    framer = PDUFramer(0)
    framer.feed(buf)
    buf[-1] = ord("X")  # the caller reuses its receive buffer
    assert framer.next_pdu() == pdu


def test_limit_checked_when_header_is_split_across_chunks() -> None:
    framer = PDUFramer(100)
    header = struct.pack(">BBL", 4, 0, 101)
    framer.feed(header[:3])
    assert framer.next_pdu() is None
    framer.feed(header[3:])
    with pytest.raises(PDUDecodeError, match="exceeds the limit 100"):
        framer.next_pdu()
    with pytest.raises(PDUDecodeError):  # stays failed, nothing consumed past the header
        framer.next_pdu()
    assert framer.buffered == 6
