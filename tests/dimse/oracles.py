"""pynetdicom as an independent oracle: its primitives and messages for our message objects."""

from __future__ import annotations

import io
from typing import Any

import attrs
from pynetdicom import dimse_messages, dimse_primitives
from pynetdicom.dsutils import encode

from dicomnet.dimse import CCancelRQ, DimseMessage

KEYWORDS = {
    "message_id": "MessageID",
    "message_id_being_responded_to": "MessageIDBeingRespondedTo",
    "affected_sop_class_uid": "AffectedSOPClassUID",
    "affected_sop_instance_uid": "AffectedSOPInstanceUID",
    "priority": "Priority",
    "move_destination": "MoveDestination",
    "move_originator_application_entity_title": "MoveOriginatorApplicationEntityTitle",
    "move_originator_message_id": "MoveOriginatorMessageID",
    "status": "Status",
    "offending_element": "OffendingElement",
    "error_comment": "ErrorComment",
    "number_of_remaining_sub_operations": "NumberOfRemainingSuboperations",
    "number_of_completed_sub_operations": "NumberOfCompletedSuboperations",
    "number_of_failed_sub_operations": "NumberOfFailedSuboperations",
    "number_of_warning_sub_operations": "NumberOfWarningSuboperations",
}
# Which message types can carry a data set in pynetdicom, and the primitive attribute for it.
DATASET_KEYWORDS: dict[str, str] = dimse_messages._DATASET_KEYWORDS


def message_class_name(message: DimseMessage) -> str:
    return message.message_name.replace("-", "_")


def pynetdicom_can_express(message: DimseMessage) -> bool:
    """pynetdicom has no OffendingElement on C-ECHO-RSP and ties the data set to the type."""
    if message.message_name == "C-ECHO-RSP" and message.offending_element is not None:  # type: ignore[union-attr]
        return False
    return not message.has_dataset or message_class_name(message) in DATASET_KEYWORDS


def to_primitive(message: DimseMessage) -> Any:
    if isinstance(message, CCancelRQ):
        primitive: Any = dimse_primitives.C_CANCEL()
    else:
        service = message.message_name.rsplit("-", 1)[0].replace("-", "_")
        primitive = getattr(dimse_primitives, service)()
    for field in attrs.fields(type(message)):
        if field.name == "has_dataset":
            continue
        value = getattr(message, field.name)
        if value is None:
            continue
        if field.name == "priority":
            value = int(value)
        elif field.name == "offending_element":
            value = list(value)
        setattr(primitive, KEYWORDS[field.name], value)
    if message.has_dataset:
        setattr(primitive, DATASET_KEYWORDS[message_class_name(message)], io.BytesIO(b"\x00\x00"))
    return primitive


def pynetdicom_message(message: DimseMessage) -> Any:
    msg = getattr(dimse_messages, message_class_name(message))()
    msg.primitive_to_message(to_primitive(message))
    return msg


def pynetdicom_command_bytes(message: DimseMessage) -> bytes:
    """The command set pynetdicom encodes for the same message."""
    data = encode(pynetdicom_message(message).command_set, True, True)
    assert data is not None
    return data
