"""Both directions against pynetdicom's DIMSE message layer (an independent implementation)."""

from __future__ import annotations

import io

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from pynetdicom import dimse_messages
from pynetdicom.pdu import P_DATA_TF

from dicomnet.dimse import (
    CommandReceived,
    DatasetFragment,
    DimseMessage,
    MessageAssembler,
    fragment_message,
)
from dicomnet.pdu.pdata import PresentationDataValue, encode_pdata_parts
from tests.dimse.oracles import KEYWORDS, pynetdicom_can_express, pynetdicom_message
from tests.dimse.strategies import messages


def _dataset(size: int) -> bytes:
    return bytes((i * 13) % 256 for i in range(size))


@settings(max_examples=100, deadline=None)
@given(message=messages, max_pdu=st.integers(20, 400), size=st.integers(1, 1500))
def test_pynetdicom_fragments_decode_with_our_assembler(
    message: DimseMessage, max_pdu: int, size: int
) -> None:
    if not pynetdicom_can_express(message):
        return
    msg = pynetdicom_message(message)
    dataset = _dataset(size) if message.has_dataset else b""
    if message.has_dataset:
        msg.data_set = io.BytesIO(dataset)
    assembler = MessageAssembler()
    events = []
    for primitive in msg.encode_msg(5, max_pdu):
        for context_id, value in primitive.presentation_data_value_list:
            control = value[0]
            pdv = PresentationDataValue(
                context_id, bool(control & 1), bool(control & 2), memoryview(value)[1:]
            )
            event = assembler.receive(pdv)
            if event is not None:
                events.append(event)
    assert events[0] == CommandReceived(5, message)
    received = b"".join(bytes(e.data) for e in events[1:] if isinstance(e, DatasetFragment))
    assert received == dataset
    assert assembler.idle


@settings(max_examples=100, deadline=None)
@given(message=messages, max_pdu=st.integers(20, 400), size=st.integers(1, 1500))
def test_our_pdus_decode_with_pynetdicom(message: DimseMessage, max_pdu: int, size: int) -> None:
    if not pynetdicom_can_express(message):
        return
    dataset = _dataset(size) if message.has_dataset else None
    theirs = dimse_messages.DIMSEMessage()
    done = False
    for pdu in fragment_message(9, message, dataset, max_pdu_length=max_pdu):
        wire = b"".join(bytes(part) for part in encode_pdata_parts(pdu))
        decoded = P_DATA_TF()
        decoded.decode(wire)
        assert not done
        done = theirs.decode_msg(decoded.to_primitive())
    assert done
    assert theirs.context_id == 9
    assert type(theirs).__name__ == message.message_name.replace("-", "_")
    primitive = theirs.message_to_primitive()
    for field in attrs.fields(type(message)):
        if field.name == "has_dataset":
            continue
        ours = getattr(message, field.name)
        value = getattr(primitive, KEYWORDS[field.name], None)
        if field.name == "offending_element" and value is not None:
            value = (value,) if isinstance(value, int) else tuple(value)
        if ours == "" or ours == ():
            ours = None
        if value in ("", [], ()):
            value = None
        assert value == ours, field.name
    assert (theirs.command_set.CommandDataSetType != 0x0101) == message.has_dataset
    if dataset is not None:
        assert theirs.data_set is not None
        assert theirs.data_set.getvalue() == dataset
