"""Hostile input: PDUDecodeError and nothing else; tolerated oddities are decoded and reported."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.errors import PDUDecodeError
from dicomnet.pdu import (
    PDU,
    AAssociateAC,
    AAssociateRQ,
    AReleaseRP,
    MaximumLengthSubItem,
    PDataTF,
    PDUFramer,
    PresentationContextACItem,
    UserInformationItem,
    decode_pdu,
    encode_pdu,
)

from . import strategies as pst

RQ = AAssociateRQ(
    called_ae_title="STORESCP",
    calling_ae_title="STORESCU",
    user_information=UserInformationItem((MaximumLengthSubItem(16384),)),
)


def decode_or_error(data: bytes) -> PDU | None:
    """Decode whole and through the framer (whole and byte by byte); only PDUDecodeError."""
    results: list[object] = []
    try:
        results.append(decode_pdu(data))
    except PDUDecodeError:
        results.append("error")
    for step in (len(data) or 1, 1, 7):
        framer = PDUFramer(0)
        got: list[object] = []
        try:
            for i in range(0, len(data), step):
                framer.feed(data[i : i + step])
                while (pdu := framer.next_pdu()) is not None:
                    got.append(pdu)
        except PDUDecodeError:
            got.append("error")
        if results[0] != "error":
            assert got == [results[0]]
    return None if results[0] == "error" else results[0]  # type: ignore[return-value]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    decode_or_error(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([1, 2, 3, 4, 5, 6, 7]))
def test_random_bodies_with_valid_header(body: bytes, pdu_type: int) -> None:
    decode_or_error(struct.pack(">BBL", pdu_type, 0, len(body)) + body)


@settings(max_examples=100, deadline=None)
@given(pst.pdus, st.data())
def test_mutated_valid_pdus(pdu: PDU, data: st.DataObject) -> None:
    wire = bytearray(encode_pdu(pdu))
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert", "length"]))
        pos = data.draw(st.integers(0, max(len(wire) - 1, 0)))
        if kind == "flip" and wire:
            wire[pos] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del wire[pos:]
        elif kind == "insert":
            wire[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
        elif len(wire) >= 6:  # keep PDU-length consistent so the body parser is reached
            wire[2:6] = struct.pack(">L", len(wire) - 6)
    decode_or_error(bytes(wire))


def _assoc_with(items: bytes, pdu_type: int = 1) -> bytes:
    body = struct.pack(">HH16s16s32s", 1, 0, b"A".ljust(16), b"B".ljust(16), bytes(32)) + items
    return struct.pack(">BBL", pdu_type, 0, len(body)) + body


@pytest.mark.parametrize(
    ("wire", "match"),
    [
        (b"\x01\x00\x00\x00\x00", "too few"),
        (b"\x09\x00\x00\x00\x00\x00", "unrecognized PDU type"),
        (b"\x05\x00\x00\x00\x00\x05\x00\x00\x00\x00", "does not match"),
        (b"\x03\x00\x00\x00\x00\x03\x00\x01\x01", "under 4"),
        (b"\x01\x00\x00\x00\x00\x10" + bytes(16), "under 68"),
        (_assoc_with(b"\x10\x00\x00\x09abc"), "length 9"),
        (
            _assoc_with(b"\x50\x00\x00\x0a\x51\x00\x00\x06\x00\x00\x40\x00\x00\x00"),
            "maximum length",
        ),
        (_assoc_with(b"\x20\x00\x00\x02\x01\x00"), "presentation context"),
        (_assoc_with(b"\x50\x00\x00\x05\x54\x00\x00\x01\x00"), "role selection"),
        (_assoc_with(b"\x50\x00\x00\x05\x54\x00\x00\x02\x00"), r"\(type 0x54\) has length 2"),
        (
            _assoc_with(b"\x50\x00\x00\x02\x54\x00"),
            "stray bytes at the end of the user information",
        ),
        (
            _assoc_with(b"\x20\x00\x00\x06\x01\x00\x00\x00\x30\x00"),
            "stray bytes at the end of the presentation",
        ),
        (b"\x04\x00\x00\x00\x00\x05\x00\x00\x00\x01\x01", "length 1"),
        (b"\x04\x00\x00\x00\x00\x08\x00\x00\x00\x09\x01\x02\xaa\xbb", "length 9"),
        (b"\x04\x00\x00\x00\x00\x04\x00\x00\x00\x02", "length 2"),
    ],
)
def test_malformed_cases(wire: bytes, match: str) -> None:
    with pytest.raises(PDUDecodeError, match=match) as info:
        decode_pdu(wire)
    assert info.value.abort_reason in (1, 6)


def test_abort_reasons_and_pdu_type() -> None:
    with pytest.raises(PDUDecodeError) as info:
        decode_pdu(_assoc_with(b"\x20\x00\x00\x02\x01\x00"))
    assert (info.value.abort_reason, info.value.pdu_type, info.value.abort_source) == (6, 1, 2)


def test_all_space_and_non_ascii_ae_titles_are_reported() -> None:
    body = struct.pack(">HH16s16s32s", 1, 0, b" " * 16, b"\xc9CHO\x00".ljust(16), bytes(32))
    wire = struct.pack(">BBL", 1, 0, len(body)) + body
    pdu = decode_pdu(wire)
    assert isinstance(pdu, AAssociateRQ)
    assert pdu.called_ae_title == ""
    assert pdu.calling_ae_title == "\udcc9CHO\x00"
    assert len(pdu.warnings) == 2
    assert encode_pdu(pdu) == wire


def test_rejected_context_without_transfer_syntax() -> None:
    item = b"\x21\x00\x00\x04\x01\x00\x03\x00"
    pdu = decode_pdu(_assoc_with(b"\x10\x00\x00\x03abc" + item, pdu_type=2))
    assert isinstance(pdu, AAssociateAC)
    assert pdu.presentation_contexts == (
        PresentationContextACItem(context_id=1, result=3, transfer_syntax=None),
    )


def test_trailing_bytes_are_reported_and_kept() -> None:
    wire = _assoc_with(b"\x10\x00\x00\x03abc\x00\x00")
    pdu = decode_pdu(wire)
    assert isinstance(pdu, AAssociateRQ)
    assert pdu.trailing == b"\x00\x00"
    assert any("trailing" in w for w in pdu.warnings)
    assert encode_pdu(pdu) == wire
    release = decode_pdu(b"\x06\x00\x00\x00\x00\x06\x00\x00\x00\x00\xff\xff")
    assert release == AReleaseRP(trailing=b"\xff\xff")
    pdata = decode_pdu(b"\x04\x00\x00\x00\x00\x09\x00\x00\x00\x03\x01\x02z\x00\x00")
    assert isinstance(pdata, PDataTF)
    assert pdata.trailing == b"\x00\x00"


def test_memoryview_input_and_non_byte_views() -> None:
    wire = encode_pdu(RQ)
    assert decode_pdu(memoryview(wire)) == RQ
    assert decode_pdu(memoryview(wire)[0:]) == RQ
    with pytest.raises(PDUDecodeError):
        decode_pdu(memoryview(bytes(8)).cast("I"))  # 2 items of 4 bytes: cast to B works
