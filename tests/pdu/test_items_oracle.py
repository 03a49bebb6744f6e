"""The hand-written item walker (items.walk_items) against its construct oracle (_layout.ItemRun).

Also: hostile runs of many tiny items decode (in bounded, linear time) rather than hang.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.errors import PDUDecodeError
from dicomnet.pdu import AAssociateRQ, PresentationContextRQItem, decode_pdu, encode_pdu
from dicomnet.pdu import _layout as layout
from dicomnet.pdu.items import walk_items

from . import strategies as pst

SETTINGS = settings(max_examples=200, deadline=None)


def _item_soup() -> st.SearchStrategy[bytes]:
    piece = st.builds(
        lambda t, n, delta, data: struct.pack(">BBH", t, 0, max(0, min(0xFFFF, n + delta))) + data,
        st.integers(0, 255),
        st.integers(0, 6),
        st.integers(-2, 2),
        st.binary(max_size=6),
    )
    return st.lists(piece, max_size=6).map(b"".join) | st.binary(max_size=30)


@SETTINGS
@given(_item_soup())
def test_walker_agrees_with_construct(body: bytes) -> None:
    oracle = layout.parse(layout.ItemRun, body)
    try:
        items, trailing = walk_items(body, 0)
    except PDUDecodeError:
        assert len(oracle["trailing"]) >= 4
        return
    assert len(oracle["trailing"]) < 4
    assert trailing == oracle["trailing"]
    assert [(t, r, v) for t, r, v, _ in items] == [
        (i["item_type"], i["reserved"], i["data"]) for i in oracle["variable_items"]
    ]


@settings(max_examples=50, deadline=None)
@given(st.one_of(pst.a_associate_rq, pst.a_associate_ac))
def test_fixed_part_and_walker_agree_with_the_whole_body_layout(pdu: AAssociateRQ) -> None:
    body = encode_pdu(pdu)[6:]
    whole = layout.parse(layout.AAssociateBody, body)
    fixed = layout.parse(layout.AAssociateFixed, body[:68])
    items, trailing = walk_items(body[68:], 74)
    assert {k: whole[k] for k in fixed} == fixed
    assert trailing == whole["trailing"]
    assert [(t, r, v) for t, r, v, _ in items] == [
        (i["item_type"], i["reserved"], i["data"]) for i in whole["variable_items"]
    ]
    if items:
        assert items[0][3] == 74  # offsets are PDU-relative


def _assoc(items: bytes) -> bytes:
    body = struct.pack(">HH16s16s32s", 1, 0, b"A".ljust(16), b"B".ljust(16), bytes(32)) + items
    return struct.pack(">BBL", 1, 0, len(body)) + body


@pytest.mark.parametrize(
    ("items", "count"),
    [
        (b"\x77\x00\x00\x00" * 30000, 30000),  # 120 KB of empty unknown items
        (b"\x20\x00\x00\x04\x01\x00\x00\x00" * 15000, 15000),  # empty presentation contexts
    ],
)
def test_many_tiny_items(items: bytes, count: int) -> None:
    pdu = decode_pdu(_assoc(items))
    assert isinstance(pdu, AAssociateRQ)
    assert len(pdu.extra_items) + len(pdu.presentation_contexts) == count
    if pdu.presentation_contexts:
        assert pdu.presentation_contexts[0] == PresentationContextRQItem(
            context_id=1, abstract_syntax="", transfer_syntaxes=(), sub_items=()
        )
