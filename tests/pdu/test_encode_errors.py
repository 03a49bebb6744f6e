"""Values the wire cannot hold raise PDUEncodeError, never construct or struct errors."""

from __future__ import annotations

from typing import Any, cast

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.errors import DicomNetError
from dicomnet.pdu import (
    PDU,
    AAbort,
    AAssociateRJ,
    AAssociateRQ,
    MaximumLengthSubItem,
    PDataTF,
    PDUEncodeError,
    PresentationContextRQItem,
    PresentationDataValue,
    SCPSCURoleSelectionSubItem,
    UnknownItem,
    UserInformationItem,
    encode_pdata_parts,
    encode_pdu,
)

from . import strategies as pst

BAD_INTS = st.one_of(st.integers(max_value=-1), st.integers(min_value=1 << 32))


@pytest.mark.parametrize(
    "pdu",
    [
        AAssociateRQ(called_ae_title="X" * 17, calling_ae_title="A"),
        AAssociateRQ(called_ae_title="ÉCHO", calling_ae_title="A"),
        AAssociateRQ(
            called_ae_title="B",
            calling_ae_title="A",
            presentation_contexts=(
                PresentationContextRQItem(
                    context_id=256, abstract_syntax="1", transfer_syntaxes=()
                ),
            ),
        ),
        AAssociateRQ(
            called_ae_title="B",
            calling_ae_title="A",
            extra_items=(UnknownItem(0x99, bytes(70000)),),
        ),
        AAssociateRQ(called_ae_title="B", calling_ae_title="A", item_order=(0x10, 0x10)),
        AAssociateRQ(called_ae_title="B", calling_ae_title="A", item_order=()),
        AAssociateRQ(
            called_ae_title="B",
            calling_ae_title="A",
            user_information=UserInformationItem((MaximumLengthSubItem(1 << 32),)),
        ),
        AAssociateRQ(
            called_ae_title="B",
            calling_ae_title="A",
            user_information=UserInformationItem(
                (SCPSCURoleSelectionSubItem(sop_class_uid="1.2", scu_role=-1, scp_role=0),)
            ),
        ),
        AAssociateRJ(1, 1, 256),
        AAbort(2, -1),
        PDataTF((PresentationDataValue(300, True, True, b""),)),
        PDataTF((PresentationDataValue(1, True, True, "text"),)),  # type: ignore[arg-type]
    ],
)
def test_bad_values(pdu: PDU) -> None:
    with pytest.raises(PDUEncodeError) as info:
        encode_pdu(pdu)
    assert isinstance(info.value, DicomNetError)
    assert isinstance(info.value, ValueError)


@settings(max_examples=80, deadline=None)
@given(pst.pdus, st.data())
def test_any_int_field_out_of_range(pdu: PDU, data: st.DataObject) -> None:
    names = [
        a.name
        for a in attrs.fields(type(pdu))
        if a.type in ("int", int)
        or a.name in ("reserved", "reserved1", "result", "source", "reason")
    ]
    names = [n for n in names if isinstance(getattr(pdu, n), int)]
    if not names:
        return
    name = data.draw(st.sampled_from(names))
    bad = attrs.evolve(cast(Any, pdu), **{name: data.draw(BAD_INTS)})
    with pytest.raises(PDUEncodeError):
        encode_pdu(bad)


WRONG_VALUES = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.floats(allow_nan=False),
    st.just([1, 2]),
    st.integers(-(1 << 70), 1 << 70),
    st.binary(max_size=3),
    st.just(object()),
)


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every attrs field and tuple element reachable in a PDU, as a path of names/indexes."""
    out: list[tuple[object, ...]] = []
    if attrs.has(type(value)):
        for a in attrs.fields(cast(Any, type(value))):
            if a.name == "warnings":
                continue
            out.append((*path, a.name))
            out += _paths(getattr(value, a.name), (*path, a.name))
    elif isinstance(value, tuple):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


def _replace(value: Any, path: tuple[object, ...], new: object) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, tuple):
        assert isinstance(head, int)
        return (*value[:head], _replace(value[head], rest, new), *value[head + 1 :])
    assert isinstance(head, str)
    return attrs.evolve(value, **{head: _replace(getattr(value, head), rest, new)})


@settings(max_examples=150, deadline=None)
@given(pst.pdus, st.data())
def test_any_field_with_any_value_encodes_or_raises_pdu_encode_error(
    pdu: PDU, data: st.DataObject
) -> None:
    paths = _paths(pdu)
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    try:
        bad = _replace(pdu, path, data.draw(WRONG_VALUES))
    except (TypeError, ValueError):  # attrs refused the value (a converter, say): fine
        return
    try:
        wire = encode_pdu(bad)
    except PDUEncodeError:
        wire = None
    assert wire is None or isinstance(wire, bytes)
    if isinstance(bad, PDataTF):
        try:
            parts = encode_pdata_parts(bad)
        except PDUEncodeError:
            parts = None
        if wire is not None:
            assert parts is not None
            assert b"".join(parts) == wire
