"""The loose building path: lengths that lie, on purpose (DESIGN §3.1 principle 5)."""

from __future__ import annotations

import struct

import attrs
import pytest
from hypothesis import given, settings

from dicomnet.errors import PDUDecodeError
from dicomnet.pdu import (
    PDU,
    AAssociateRQ,
    LooseItem,
    LoosePDU,
    LoosePDV,
    PDUEncodeError,
    PresentationContextRQItem,
    decode_pdu,
    encode_loose,
    encode_pdu,
    to_loose,
)

from . import strategies as pst

RQ = AAssociateRQ(
    called_ae_title="SCP",
    calling_ae_title="SCU",
    presentation_contexts=(
        PresentationContextRQItem(
            context_id=1,
            abstract_syntax="1.2.840.10008.1.1",
            transfer_syntaxes=("1.2.840.10008.1.2",),
        ),
    ),
)


@settings(max_examples=60, deadline=None)
@given(pst.pdus)
def test_to_loose_encodes_to_the_same_bytes(pdu: PDU) -> None:
    assert encode_loose(to_loose(pdu)) == encode_pdu(pdu)


def test_wrong_pdu_length() -> None:
    tree = to_loose(RQ)
    wire = encode_loose(attrs.evolve(tree, length=5))
    assert struct.unpack_from(">L", wire, 2)[0] == 5
    assert wire[6:] == encode_pdu(RQ)[6:]
    with pytest.raises(PDUDecodeError, match="does not match"):
        decode_pdu(wire)


def test_wrong_item_length_inside_presentation_context() -> None:
    tree = to_loose(RQ)
    pc = tree.parts[2]
    assert isinstance(pc, LooseItem)
    assert pc.item_type == 0x20
    abstract = pc.parts[1]
    assert isinstance(abstract, LooseItem)
    assert abstract.item_type == 0x30
    bad_abstract = attrs.evolve(abstract, length=200)
    bad = attrs.evolve(
        tree,
        parts=(*tree.parts[:2], attrs.evolve(pc, parts=(pc.parts[0], bad_abstract, *pc.parts[2:]))),
    )
    wire = encode_loose(bad)
    assert len(wire) == len(encode_pdu(RQ))
    with pytest.raises(PDUDecodeError, match=r"offset 107 \(type 0x30\) has length 200"):
        decode_pdu(wire)


def test_loose_pdv_lengths_and_reserved_bits() -> None:
    pdu = LoosePDU(pdu_type=4, parts=(LoosePDV(context_id=1, control=0xFF, data=b"abc", length=1),))
    wire = encode_loose(pdu)
    assert wire == b"\x04\x00\x00\x00\x00\x09" + b"\x00\x00\x00\x01\x01\xffabc"
    with pytest.raises(PDUDecodeError, match="length 1"):
        decode_pdu(wire)


def test_loose_fields_out_of_range() -> None:
    with pytest.raises(PDUEncodeError):
        encode_loose(LooseItem(item_type=0x10, length=70000))
    with pytest.raises(PDUEncodeError):
        encode_loose(LoosePDV(context_id=256, control=0))
    with pytest.raises(PDUEncodeError):
        encode_loose(LoosePDU(pdu_type=1, length=-1))
