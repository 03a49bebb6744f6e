"""Round trips of every PDU and item (PS3.8 §9.3): decode(encode(x)) == x, bytes stable."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.pdu import (
    PDU,
    AAssociateAC,
    AAssociateRQ,
    PDataTF,
    PresentationContextRQItem,
    TransferSyntaxSubItem,
    UnknownItem,
    decode_item,
    decode_pdu,
    encode_item,
    encode_pdata_parts,
    encode_pdu,
)
from dicomnet.pdu.items import RQ_ITEMS

from . import strategies as pst

SETTINGS = settings(max_examples=80, deadline=None)


@SETTINGS
@given(pst.pdus)
def test_pdu_round_trip(pdu: PDU) -> None:
    wire = encode_pdu(pdu)
    decoded = decode_pdu(wire)
    assert decoded == pdu
    assert encode_pdu(decoded) == wire


@SETTINGS
@given(st.one_of(pst.a_associate_rq, pst.a_associate_ac))
def test_associate_round_trip_keeps_item_order(pdu: AAssociateRQ | AAssociateAC) -> None:
    decoded = decode_pdu(encode_pdu(pdu))
    assert isinstance(decoded, AAssociateRQ | AAssociateAC)
    assert decoded.wire_items() == pdu.wire_items()
    assert decoded.item_order == pdu.item_order


@SETTINGS
@given(pst.p_data_tf)
def test_pdata_parts_join_to_encode_pdu(pdu: PDataTF) -> None:
    parts = encode_pdata_parts(pdu)
    assert b"".join(parts) == encode_pdu(pdu)
    for pdv in pdu.pdvs:
        if len(pdv.data):
            assert any(p is pdv.data for p in parts)  # passed through, not copied


@SETTINGS
@given(
    st.one_of(
        pst.presentation_context_rq_items,
        pst.user_information_items,
        pst.user_information_sub_items,
    )
)
def test_item_round_trip(item: object) -> None:
    wire = encode_item(item)  # type: ignore[arg-type]
    allowed = frozenset({0x20, 0x50, *range(0x51, 0x5A)})
    decoded = decode_item(wire[0], wire[1], wire[4:], 0, allowed)
    assert decoded == item
    assert int.from_bytes(wire[2:4], "big") == len(wire) - 4


def test_non_canonical_presentation_context_is_kept() -> None:
    subs = (TransferSyntaxSubItem("1.2.840.10008.1.2"), UnknownItem(0x99, b"x"))
    pc = PresentationContextRQItem.from_sub_items(3, subs)
    assert pc.sub_items == subs
    assert pc.abstract_syntax == ""
    assert pc.transfer_syntaxes == ("1.2.840.10008.1.2",)
    rq = AAssociateRQ(called_ae_title="B", calling_ae_title="A", presentation_contexts=(pc,))
    assert decode_pdu(encode_pdu(rq)) == rq
    assert 0x20 in RQ_ITEMS


def test_item_order_is_kept_for_a_non_canonical_wire() -> None:
    rq = AAssociateRQ(
        called_ae_title="B",
        calling_ae_title="A",
        presentation_contexts=(
            PresentationContextRQItem(context_id=1, abstract_syntax="1.2", transfer_syntaxes=()),
        ),
        extra_items=(UnknownItem(0x77, b"\x01"),),
        item_order=(0x77, 0x20, 0x10),
    )
    wire = encode_pdu(rq)
    assert wire[74] == 0x77
    decoded = decode_pdu(wire)
    assert decoded == rq
