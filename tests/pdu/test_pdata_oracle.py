"""The hand-written P-DATA-TF path (pdata.py) against its construct declaration (_layout.py).

Also: compiled construct builds equal plain ones wherever ``build_compiled`` is used (DESIGN §3.8).
"""

from __future__ import annotations

import struct
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.errors import PDUDecodeError
from dicomnet.pdu import PDU, AAssociateRQ, PDataTF, PDUEncodeError, decode_pdu, encode_pdu
from dicomnet.pdu import _layout as layout

from . import strategies as pst

SETTINGS = settings(max_examples=200, deadline=None)


def oracle_encode(pdu: PDataTF) -> bytes:
    body = layout.build(
        layout.PDATA_BODY,
        {
            "pdvs": [
                {
                    "data": {
                        "context_id": p.context_id,
                        "control": p.message_control_header,
                        "value": bytes(p.data),
                    }
                }
                for p in pdu.pdvs
            ],
            "trailing": pdu.trailing,
        },
    )
    return layout.build(layout.PDU, {"pdu_type": 4, "reserved": pdu.reserved, "body": body})


def oracle_decode(body: bytes) -> dict[str, Any] | None:
    """The construct view of a body, or None where the hand path must reject it."""
    parsed = layout.parse(layout.PDATA_BODY, body)
    if len(parsed["trailing"]) >= 4:  # a PDV item header that does not frame a PDV
        return None
    return parsed


@SETTINGS
@given(pst.p_data_tf)
def test_encode_agrees(pdu: PDataTF) -> None:
    assert encode_pdu(pdu) == oracle_encode(pdu)


@SETTINGS
@given(pst.p_data_tf)
def test_decode_agrees(pdu: PDataTF) -> None:
    wire = encode_pdu(pdu)
    ours = decode_pdu(wire)
    assert isinstance(ours, PDataTF)
    theirs = oracle_decode(wire[6:])
    assert theirs is not None
    assert [(p.context_id, p.message_control_header, bytes(p.data)) for p in ours.pdvs] == [
        (d["data"]["context_id"], d["data"]["control"], d["data"]["value"]) for d in theirs["pdvs"]
    ]
    assert ours.trailing == theirs["trailing"]


def _pdv_soup() -> st.SearchStrategy[bytes]:
    """Bodies made of PDV-like pieces with lengths often slightly wrong."""
    piece = st.builds(
        lambda n, delta, ctx, data: struct.pack(">LBB", max(0, n + delta), ctx, 3) + data,
        st.integers(0, 8),
        st.integers(-3, 3),
        st.integers(0, 255),
        st.binary(max_size=8),
    )
    return st.lists(piece, max_size=5).map(b"".join) | st.binary(max_size=40)


@SETTINGS
@given(_pdv_soup())
def test_both_reject_the_same_inputs(body: bytes) -> None:
    wire = struct.pack(">BBL", 4, 0, len(body)) + body
    expected = oracle_decode(body)
    try:
        ours = decode_pdu(wire)
    except PDUDecodeError:
        assert expected is None
        return
    assert expected is not None
    assert isinstance(ours, PDataTF)
    assert [bytes(p.data) for p in ours.pdvs] == [d["data"]["value"] for d in expected["pdvs"]]
    assert ours.trailing == expected["trailing"]


@SETTINGS
@given(st.one_of(pst.a_associate_rj, pst.a_abort, pst.a_release_rq))
def test_compiled_build_equals_plain(pdu: object) -> None:
    wire = encode_pdu(pdu)  # type: ignore[arg-type]
    body = wire[6:]
    layout_for = {3: layout.AAssociateRJBody, 5: layout.AReleaseBody, 7: layout.AAbortBody}
    fixed = layout_for[wire[0]]
    value = layout.parse(fixed, body)
    assert bytes(layout.compiled(fixed).build(value)) == layout.build(fixed, value) == body


@SETTINGS
@given(
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=300),
)
def test_compiled_item_and_pdu_wrappers_equal_plain(
    item_type: int, reserved: int, data: bytes
) -> None:
    item = {"item_type": item_type, "reserved": reserved, "data": data}
    assert bytes(layout.compiled(layout.Item).build(item)) == layout.build(layout.Item, item)
    pdu = {"pdu_type": item_type, "reserved": reserved, "body": data}
    assert bytes(layout.compiled(layout.PDU).build(pdu)) == layout.build(layout.PDU, pdu)


@settings(max_examples=100, deadline=None)
@given(pst.pdus)
def test_every_compiled_build_equals_plain(pdu: PDU) -> None:
    with mock.patch.object(layout, "COMPILE_AFTER", 1):  # compile at the first build
        compiled = encode_pdu(pdu)
    with mock.patch.object(layout, "build_compiled", layout.build):
        plain = encode_pdu(pdu)
    assert compiled == plain


def test_compiled_fixed_bytes_are_length_checked_by_hand() -> None:
    rq = AAssociateRQ(called_ae_title="B", calling_ae_title="A", reserved2=b"x")
    with pytest.raises(PDUEncodeError, match="32 bytes"):
        encode_pdu(rq)
