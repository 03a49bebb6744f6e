"""The hand-packed item header and presentation context head equal the construct layouts
(``_layout.Item``, ``PresentationContextRQBody``/``ACBody``), their oracles (DESIGN §3.8)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.pdu import PDUEncodeError, _layout
from dicomnet.pdu.items import _item, _pc_head

BYTE = st.integers(min_value=0, max_value=255)


@settings(max_examples=150, deadline=None)
@given(item_type=BYTE, reserved=BYTE, value=st.binary(max_size=300))
def test_item_header_matches_the_layout(item_type: int, reserved: int, value: bytes) -> None:
    fields = {"item_type": item_type, "reserved": reserved, "data": value}
    assert _item(item_type, reserved, value) == _layout.build(_layout.Item, fields)


def test_the_longest_item_value_and_one_byte_more() -> None:
    longest = bytes(0xFFFF)
    fields = {"item_type": 0x40, "reserved": 0, "data": longest}
    assert _item(0x40, 0, longest) == _layout.build(_layout.Item, fields)
    with pytest.raises(PDUEncodeError):
        _item(0x40, 0, longest + b"\x00")
    with pytest.raises(PDUEncodeError):
        _layout.build(_layout.Item, dict(fields, data=longest + b"\x00"))


@pytest.mark.parametrize(("item_type", "reserved"), [(256, 0), (-1, 0), (0x40, 256), (0x40, -1)])
def test_out_of_range_header_fields_raise_like_the_layout(item_type: int, reserved: int) -> None:
    with pytest.raises(PDUEncodeError):
        _item(item_type, reserved, b"x")
    with pytest.raises(PDUEncodeError):
        _layout.build(_layout.Item, {"item_type": item_type, "reserved": reserved, "data": b"x"})


@settings(max_examples=150, deadline=None)
@given(fields=st.tuples(BYTE, BYTE, BYTE, BYTE))
def test_presentation_context_heads_match_the_layouts(fields: tuple[int, int, int, int]) -> None:
    a, b, c, d = fields
    rq = {"context_id": a, "reserved1": b, "reserved2": c, "reserved3": d, "sub_items": []}
    ac = {"context_id": a, "reserved1": b, "result": c, "reserved2": d, "sub_items": []}
    assert _pc_head(a, b, c, d) == _layout.build(_layout.PresentationContextRQBody, rq)
    assert _pc_head(a, b, c, d) == _layout.build(_layout.PresentationContextACBody, ac)


@pytest.mark.parametrize("bad", [256, -1])
def test_an_out_of_range_context_field_raises(bad: int) -> None:
    with pytest.raises(PDUEncodeError):
        _pc_head(bad, 0, 0, 0)
    with pytest.raises(PDUEncodeError):
        _pc_head(1, 0, bad, 0)
