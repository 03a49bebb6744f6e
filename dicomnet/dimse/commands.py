"""Command set codec: group 0000, always implicit VR little endian (PS3.7 §6.3.1, Annex E).

A command set is decoded for every DIMSE message, so this is a dedicated walker over a
``memoryview`` with one precompiled ``Struct`` (``struct.unpack_from`` per element), not the
general data set reader: it checks exactly what PS3.7 requires and builds the message object
directly. Encoding computes Command Group Length (0000,0000) first and pads values to even
length by VR (PS3.5 §6.2): UI with NUL, AE and LO with a space.

Decoding is strict where a lie would change meaning: the group length must be first and agree
with the bytes; elements must be group 0000, in ascending order, inside the buffer and of the
VR's length (US 2 bytes, AT a multiple of 4, UI/LO at most 64, AE at most 16); Command Field
must be a DIMSE-C message; every mandatory field must be present. Group 0000 elements that the
message does not use (retired ones, Error ID, ...) are skipped. Any violation raises
:class:`DIMSEDecodeError`, never another exception. UI and AE values must be ASCII; Error
Comment (LO) is read and written as Latin-1 so that any byte a peer sends survives a round trip
(send ASCII to conform: a command set has no Specific Character Set).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

from dicomnet.dimse.messages import (
    NO_DATA_SET,
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    CFindRQ,
    CFindRSP,
    CGetRQ,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    CStoreRQ,
    CStoreRSP,
    DimseMessage,
    Priority,
)
from dicomnet.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "COMMAND_ELEMENTS",
    "MESSAGE_CLASSES",
    "DIMSEDecodeError",
    "DIMSEEncodeError",
    "decode_command",
    "encode_command",
]


class DIMSEDecodeError(RemoteProtocolError):
    """A received command set or PDV sequence violates PS3.7 / PS3.8 Annex E.

    ``tag`` is the command element concerned (``None`` if none) and ``offset`` the byte offset
    in the command set. DIMSE is a user of the upper layer, so the A-ABORT that answers it has
    source 0 (UL service-user) and reason 0 (PS3.8 §9.3.8).
    """

    def __init__(self, message: str, *, tag: int | None = None, offset: int | None = None) -> None:
        self.tag = tag
        self.offset = offset
        super().__init__(message, abort_source=0, abort_reason=0)


class DIMSEEncodeError(LocalProtocolError, ValueError):
    """A message or data set source given to the codec cannot be sent as asked."""


# Value kinds: the VRs used in DIMSE-C command sets (PS3.7 Annex E).
_US, _UI, _AE, _LO, _AT, _DST = range(6)
_MAX_LENGTH: Final = {_UI: 64, _AE: 16, _LO: 64}
_VR_NAME: Final = {_US: "US", _UI: "UI", _AE: "AE", _LO: "LO", _AT: "AT", _DST: "US"}

_COMMAND_GROUP_LENGTH: Final = 0x00000000
_AFFECTED_SOP_CLASS_UID: Final = 0x00000002
_COMMAND_FIELD: Final = 0x00000100
_MESSAGE_ID: Final = 0x00000110
_MESSAGE_ID_BEING_RESPONDED_TO: Final = 0x00000120
_MOVE_DESTINATION: Final = 0x00000600
_PRIORITY: Final = 0x00000700
_COMMAND_DATA_SET_TYPE: Final = 0x00000800
_STATUS: Final = 0x00000900
_OFFENDING_ELEMENT: Final = 0x00000901
_ERROR_COMMENT: Final = 0x00000902
_AFFECTED_SOP_INSTANCE_UID: Final = 0x00001000
_REMAINING: Final = 0x00001020
_COMPLETED: Final = 0x00001021
_FAILED: Final = 0x00001022
_WARNING: Final = 0x00001023
_MOVE_ORIGINATOR_AE_TITLE: Final = 0x00001030
_MOVE_ORIGINATOR_MESSAGE_ID: Final = 0x00001031

#: The command elements DIMSE-C uses: tag -> (keyword, VR) (PS3.7 Annex E, Table E.1-1).
COMMAND_ELEMENTS: Final[Mapping[int, tuple[str, str]]] = MappingProxyType(
    {
        _COMMAND_GROUP_LENGTH: ("CommandGroupLength", "UL"),
        _AFFECTED_SOP_CLASS_UID: ("AffectedSOPClassUID", "UI"),
        _COMMAND_FIELD: ("CommandField", "US"),
        _MESSAGE_ID: ("MessageID", "US"),
        _MESSAGE_ID_BEING_RESPONDED_TO: ("MessageIDBeingRespondedTo", "US"),
        _MOVE_DESTINATION: ("MoveDestination", "AE"),
        _PRIORITY: ("Priority", "US"),
        _COMMAND_DATA_SET_TYPE: ("CommandDataSetType", "US"),
        _STATUS: ("Status", "US"),
        _OFFENDING_ELEMENT: ("OffendingElement", "AT"),
        _ERROR_COMMENT: ("ErrorComment", "LO"),
        _AFFECTED_SOP_INSTANCE_UID: ("AffectedSOPInstanceUID", "UI"),
        _REMAINING: ("NumberOfRemainingSuboperations", "US"),
        _COMPLETED: ("NumberOfCompletedSuboperations", "US"),
        _FAILED: ("NumberOfFailedSuboperations", "US"),
        _WARNING: ("NumberOfWarningSuboperations", "US"),
        _MOVE_ORIGINATOR_AE_TITLE: ("MoveOriginatorApplicationEntityTitle", "AE"),
        _MOVE_ORIGINATOR_MESSAGE_ID: ("MoveOriginatorMessageID", "US"),
    }
)

# Per message class, in tag order: (tag, attribute, kind, mandatory). Command Field and
# Command Data Set Type are listed too (attributes ``command_field`` / ``has_dataset``).
_Spec = tuple[tuple[int, str, int, bool], ...]
_SUB_OPERATIONS: Final = (
    (_REMAINING, "number_of_remaining_sub_operations", _US, False),
    (_COMPLETED, "number_of_completed_sub_operations", _US, False),
    (_FAILED, "number_of_failed_sub_operations", _US, False),
    (_WARNING, "number_of_warning_sub_operations", _US, False),
)


def _spec(*fields: tuple[int, str, int, bool]) -> _Spec:
    every = (
        (_COMMAND_FIELD, "command_field", _US, True),
        (_COMMAND_DATA_SET_TYPE, "has_dataset", _DST, True),
        *fields,
    )
    return tuple(sorted(every))


def _rsp(*fields: tuple[int, str, int, bool]) -> _Spec:
    return _spec(
        (_MESSAGE_ID_BEING_RESPONDED_TO, "message_id_being_responded_to", _US, True),
        (_STATUS, "status", _US, True),
        (_OFFENDING_ELEMENT, "offending_element", _AT, False),
        (_ERROR_COMMENT, "error_comment", _LO, False),
        *fields,
    )


_SOP_CLASS_RQ: Final = (_AFFECTED_SOP_CLASS_UID, "affected_sop_class_uid", _UI, True)
_SOP_CLASS_RSP: Final = (_AFFECTED_SOP_CLASS_UID, "affected_sop_class_uid", _UI, False)
_MSG_ID: Final = (_MESSAGE_ID, "message_id", _US, True)
_PRIO: Final = (_PRIORITY, "priority", _US, True)

_SPECS: Final[Mapping[type[DimseMessage], _Spec]] = MappingProxyType(
    {
        CEchoRQ: _spec(_SOP_CLASS_RQ, _MSG_ID),
        CEchoRSP: _rsp(_SOP_CLASS_RSP),
        CStoreRQ: _spec(
            _SOP_CLASS_RQ,
            _MSG_ID,
            _PRIO,
            (_AFFECTED_SOP_INSTANCE_UID, "affected_sop_instance_uid", _UI, True),
            (_MOVE_ORIGINATOR_AE_TITLE, "move_originator_application_entity_title", _AE, False),
            (_MOVE_ORIGINATOR_MESSAGE_ID, "move_originator_message_id", _US, False),
        ),
        CStoreRSP: _rsp(
            _SOP_CLASS_RSP,
            (_AFFECTED_SOP_INSTANCE_UID, "affected_sop_instance_uid", _UI, False),
        ),
        CFindRQ: _spec(_SOP_CLASS_RQ, _MSG_ID, _PRIO),
        CFindRSP: _rsp(_SOP_CLASS_RSP),
        CGetRQ: _spec(_SOP_CLASS_RQ, _MSG_ID, _PRIO),
        CGetRSP: _rsp(_SOP_CLASS_RSP, *_SUB_OPERATIONS),
        CMoveRQ: _spec(
            _SOP_CLASS_RQ,
            _MSG_ID,
            _PRIO,
            (_MOVE_DESTINATION, "move_destination", _AE, True),
        ),
        CMoveRSP: _rsp(_SOP_CLASS_RSP, *_SUB_OPERATIONS),
        CCancelRQ: _spec(
            (_MESSAGE_ID_BEING_RESPONDED_TO, "message_id_being_responded_to", _US, True)
        ),
    }
)

#: Command Field value -> message class, for the DIMSE-C messages.
MESSAGE_CLASSES: Final[Mapping[int, type[DimseMessage]]] = MappingProxyType(
    {cls.command_field: cls for cls in _SPECS}
)

# What the decoder needs: element -> (kind, keyword argument) (group 0000, so tag == element),
# and per Command Field the arguments the class takes and those it cannot do without.
_ARGUMENTS: Final[dict[int, tuple[int, str]]] = {
    tag: (kind, attr) for spec in _SPECS.values() for tag, attr, kind, _mandatory in spec
}
_ARGUMENTS[_COMMAND_DATA_SET_TYPE] = (_US, "command_data_set_type")
_TAG_OF: Final = {attr: tag for tag, (_kind, attr) in _ARGUMENTS.items()}
_ALLOWED: Final[Mapping[int, frozenset[str]]] = {
    cls.command_field: frozenset(attr for _tag, attr, _kind, _m in spec)
    for cls, spec in _SPECS.items()
}
_MANDATORY: Final[Mapping[int, frozenset[str]]] = {
    cls.command_field: frozenset(
        attr
        for tag, attr, _kind, mandatory in spec
        if mandatory and tag != _COMMAND_FIELD and tag != _COMMAND_DATA_SET_TYPE
    )
    for cls, spec in _SPECS.items()
}

# Names of Command Field values that are valid DIMSE but not DIMSE-C (PS3.7 Annex E).
_OTHER_COMMANDS: Final = {
    0x0100: "N-EVENT-REPORT-RQ",
    0x8100: "N-EVENT-REPORT-RSP",
    0x0110: "N-GET-RQ",
    0x8110: "N-GET-RSP",
    0x0120: "N-SET-RQ",
    0x8120: "N-SET-RSP",
    0x0130: "N-ACTION-RQ",
    0x8130: "N-ACTION-RSP",
    0x0140: "N-CREATE-RQ",
    0x8140: "N-CREATE-RSP",
    0x0150: "N-DELETE-RQ",
    0x8150: "N-DELETE-RSP",
}

_HEAD = struct.Struct("<HHL")
_GROUP_LENGTH_ELEMENT = struct.Struct("<HHLL")
_UL_VALUE = struct.Struct("<L")
_US_ELEMENT = struct.Struct("<HHLH")
_PRIORITIES: Final = {p.value: p for p in Priority}


def _where(tag: int) -> str:
    name = COMMAND_ELEMENTS.get(tag, ("element", ""))[0]
    return f"{name} ({tag >> 16:04X},{tag & 0xFFFF:04X})"


def decode_command(data: bytes | bytearray | memoryview) -> DimseMessage:
    """Decode a whole command set (implicit VR LE, group 0000) into its message object.

    Raises :class:`DIMSEDecodeError` saying what is wrong for any violation (see the module
    docstring); nothing else escapes.
    """
    buf = data if isinstance(data, memoryview) else memoryview(data)
    if buf.format != "B" or buf.ndim != 1 or not buf.contiguous:
        buf = memoryview(buf.tobytes())
    end = len(buf)
    if end < 12:
        raise DIMSEDecodeError(f"command set of {end} bytes is shorter than its group length")
    group, element, length = _HEAD.unpack_from(buf, 0)
    if group != 0 or element != 0 or length != 4:
        raise DIMSEDecodeError(
            "command set does not start with CommandGroupLength (0000,0000), UL",
            tag=group << 16 | element,
            offset=0,
        )
    (group_length,) = _UL_VALUE.unpack_from(buf, 8)
    if group_length != end - 12:
        raise DIMSEDecodeError(
            f"CommandGroupLength is {group_length} but {end - 12} bytes follow it",
            tag=_COMMAND_GROUP_LENGTH,
            offset=8,
        )
    kwargs: dict[str, object] = {}
    argument_of = _ARGUMENTS.get
    unpack = _HEAD.unpack_from
    off = 12
    previous = 0
    while off < end:
        if end - off < 8:
            raise DIMSEDecodeError(f"truncated element header ({end - off} bytes left)", offset=off)
        group, element, length = unpack(buf, off)
        start = off + 8
        stop = start + length
        if group or element <= previous or stop > end:
            raise _walk_error(group, element, length, previous, off, end)
        argument = argument_of(element)
        if argument is not None:
            kind, attr = argument
            if kind == _US:
                if length == 2:
                    kwargs[attr] = buf[start] | buf[start + 1] << 8
                elif length:
                    raise DIMSEDecodeError(
                        f"{_where(element)} is US, VM 1, but has length {length}",
                        tag=element,
                        offset=off,
                    )
            else:
                kwargs[attr] = _decode_value(buf, start, length, kind, element, off)
        previous = element
        off = stop
    return _build(kwargs)


def _walk_error(
    group: int, element: int, length: int, previous: int, off: int, end: int
) -> DIMSEDecodeError:
    tag = group << 16 | element
    if group:
        message = f"element ({group:04X},{element:04X}) is not in command group 0000"
    elif element <= previous:
        message = f"{_where(tag)} is out of order or repeated (after {_where(previous)})"
    else:
        message = f"{_where(tag)} has length {length} but only {end - off - 8} bytes remain"
    return DIMSEDecodeError(message, tag=tag, offset=off)


def _decode_value(
    buf: memoryview, start: int, length: int, kind: int, tag: int, off: int
) -> object:
    if kind == _AT:
        if length % 4:
            raise DIMSEDecodeError(
                f"{_where(tag)} is AT but its length {length} is not a multiple of 4",
                tag=tag,
                offset=off,
            )
        words = struct.unpack_from(f"<{length // 2}H", buf, start)
        return tuple(words[i] << 16 | words[i + 1] for i in range(0, len(words), 2))
    if length > _MAX_LENGTH[kind]:
        raise DIMSEDecodeError(
            f"{_where(tag)} is {_VR_NAME[kind]} but has length {length} "
            f"(at most {_MAX_LENGTH[kind]})",
            tag=tag,
            offset=off,
        )
    raw = buf[start : start + length]
    if kind == _LO:
        return str(raw, "latin-1").rstrip(" \x00")
    try:
        text = str(raw, "ascii")
    except UnicodeDecodeError:
        raise DIMSEDecodeError(
            f"{_where(tag)} is {_VR_NAME[kind]} but holds non-ASCII bytes", tag=tag, offset=off
        ) from None
    return text.rstrip("\x00 ") if kind == _UI else text.strip(" \x00")


def _build(kwargs: dict[str, object]) -> DimseMessage:
    command_field = kwargs.pop("command_field", None)
    if command_field is None:
        raise DIMSEDecodeError("CommandField (0000,0100) is missing", tag=_COMMAND_FIELD)
    cls = MESSAGE_CLASSES.get(command_field)  # type: ignore[call-overload]
    if cls is None:
        other = _OTHER_COMMANDS.get(command_field)  # type: ignore[call-overload]
        what = f"{other} is not a DIMSE-C message" if other else "is not a DIMSE command"
        raise DIMSEDecodeError(f"CommandField 0x{command_field:04X} {what}", tag=_COMMAND_FIELD)
    data_set_type = kwargs.pop("command_data_set_type", None)
    if data_set_type is None:
        raise DIMSEDecodeError(
            f"{cls.message_name}: CommandDataSetType (0000,0800) is missing",
            tag=_COMMAND_DATA_SET_TYPE,
        )
    kwargs["has_dataset"] = data_set_type != NO_DATA_SET
    allowed = _ALLOWED[command_field]  # type: ignore[index]
    if not kwargs.keys() <= allowed:
        for unused in kwargs.keys() - allowed:  # elements this message does not use
            del kwargs[unused]
    missing = _MANDATORY[command_field] - kwargs.keys()  # type: ignore[index]
    if missing:
        tag = min(_TAG_OF[attr] for attr in missing)
        raise DIMSEDecodeError(f"{cls.message_name}: {_where(tag)} is missing", tag=tag)
    priority = kwargs.get("priority")
    if priority is not None:
        kwargs["priority"] = _PRIORITIES.get(priority)  # type: ignore[call-overload]
        if kwargs["priority"] is None:
            raise DIMSEDecodeError(
                f"{cls.message_name}: Priority 0x{priority:04X} is not LOW, MEDIUM or HIGH",
                tag=_PRIORITY,
            )
    message: DimseMessage = cls(**kwargs)
    return message


def _encode_text(value: object, kind: int, tag: int) -> bytes:
    if not isinstance(value, str):
        raise DIMSEEncodeError(f"{_where(tag)} must be a str, got {type(value).__name__}")
    try:
        raw = value.encode("latin-1" if kind == _LO else "ascii")
    except UnicodeEncodeError:
        what = "Latin-1" if kind == _LO else "ASCII"
        raise DIMSEEncodeError(f"{_where(tag)} must be {what}: {value!r}") from None
    if len(raw) > _MAX_LENGTH[kind]:
        raise DIMSEEncodeError(
            f"{_where(tag)} is {_VR_NAME[kind]}: at most {_MAX_LENGTH[kind]} characters, "
            f"got {len(raw)}"
        )
    if len(raw) & 1:
        raw += b"\x00" if kind == _UI else b" "
    return raw


# C-STORE-RSP templates (PS3.7 §9.3.1.2): per Affected SOP Class UID, the encoded elements
# that do not change from one response to the next; bounded (the UIDs come from peers).
_STORE_RSP_TEMPLATES: dict[str | None, tuple[bytes, bytes]] = {}
_STORE_RSP_TEMPLATES_MAX: Final = 64
_NO_DATA_SET_ELEMENT: Final = _US_ELEMENT.pack(0, _COMMAND_DATA_SET_TYPE & 0xFFFF, 2, NO_DATA_SET)


def _store_rsp_template(sop_class_uid: str | None) -> tuple[bytes, bytes]:
    """(Affected SOP Class UID + Command Field, Command Data Set Type) of a C-STORE-RSP."""
    head = b""
    if sop_class_uid is not None:
        raw = _encode_text(sop_class_uid, _UI, _AFFECTED_SOP_CLASS_UID)
        head = _HEAD.pack(0, _AFFECTED_SOP_CLASS_UID & 0xFFFF, len(raw)) + raw
    head += _US_ELEMENT.pack(0, _COMMAND_FIELD & 0xFFFF, 2, CStoreRSP.command_field)
    if len(_STORE_RSP_TEMPLATES) >= _STORE_RSP_TEMPLATES_MAX:
        _STORE_RSP_TEMPLATES.clear()
    template = _STORE_RSP_TEMPLATES[sop_class_uid] = (head, _NO_DATA_SET_ELEMENT)
    return template


def _encode_store_rsp(message: CStoreRSP) -> bytes | None:
    """The usual C-STORE-RSP from its template: only the Message ID Being Responded To, the
    Status and the Affected SOP Instance UID are encoded; ``None`` for any other form."""
    msg_id, status = message.message_id_being_responded_to, message.status
    if (
        message.offending_element is not None
        or message.error_comment is not None
        or message.has_dataset
        or type(msg_id) is not int
        or type(status) is not int
        or not 0 <= msg_id <= 0xFFFF
        or not 0 <= status <= 0xFFFF
    ):
        return None  # the general encoder, which also names what is wrong
    template = _STORE_RSP_TEMPLATES.get(message.affected_sop_class_uid)
    if template is None:
        template = _store_rsp_template(message.affected_sop_class_uid)
    head, data_set_type = template
    body = (
        head
        + _US_ELEMENT.pack(0, _MESSAGE_ID_BEING_RESPONDED_TO & 0xFFFF, 2, msg_id)
        + data_set_type
        + _US_ELEMENT.pack(0, _STATUS & 0xFFFF, 2, status)
    )
    instance = message.affected_sop_instance_uid
    if instance is not None:
        raw = _encode_text(instance, _UI, _AFFECTED_SOP_INSTANCE_UID)
        body += _HEAD.pack(0, _AFFECTED_SOP_INSTANCE_UID & 0xFFFF, len(raw)) + raw
    return _GROUP_LENGTH_ELEMENT.pack(0, 0, 4, len(body)) + body


# Templates of the send path of C-MOVE/C-GET sub-operations: per key, the encoded elements that
# do not change from one message to the next (PS3.7 §9.3.1.1, §9.3.3.2, §9.3.4.2); bounded.
_TEMPLATES: dict[tuple[object, ...], bytes] = {}
_TEMPLATES_MAX: Final = 64
_THREE_US = struct.Struct("<HHLHHHLHHHLH")
_US_ELEMENTS: Final = tuple(struct.Struct("<" + "HHLH" * n) for n in range(5))
_HAS_DATA_SET: Final = 0x0001  # what the general encoder writes for "a data set follows"


def _text_element(value: str, kind: int, tag: int) -> bytes:
    raw = _encode_text(value, kind, tag)
    return _HEAD.pack(0, tag & 0xFFFF, len(raw)) + raw


def _us(value: object) -> bool:
    return type(value) is int and 0 <= value <= 0xFFFF


def _template(key: tuple[object, ...], make: Callable[[], bytes]) -> bytes:
    if len(_TEMPLATES) >= _TEMPLATES_MAX:
        _TEMPLATES.clear()
    template = _TEMPLATES[key] = make()
    return template


def _store_rq_head(message: CStoreRQ) -> bytes:
    """Affected SOP Class UID and Command Field of a C-STORE-RQ."""
    return _text_element(
        message.affected_sop_class_uid, _UI, _AFFECTED_SOP_CLASS_UID
    ) + _US_ELEMENT.pack(0, _COMMAND_FIELD & 0xFFFF, 2, CStoreRQ.command_field)


def _store_rq_originator(message: CStoreRQ) -> bytes:
    """Move Originator Application Entity Title of a C-STORE-RQ (may be absent)."""
    title = message.move_originator_application_entity_title
    return b"" if title is None else _text_element(title, _AE, _MOVE_ORIGINATOR_AE_TITLE)


def _encode_store_rq(message: CStoreRQ) -> bytes | None:
    """A C-STORE-RQ (PS3.7 §9.3.1.1) from templates: the Affected SOP Class UID and the Move
    Originator AE Title are encoded once; ``None`` for a form the general encoder must judge."""
    msg_id, priority = message.message_id, message.priority
    originator_id = message.move_originator_message_id
    if (
        not _us(msg_id)
        or type(priority) is not Priority
        or not (originator_id is None or _us(originator_id))
    ):
        return None
    sop_class = message.affected_sop_class_uid
    title = message.move_originator_application_entity_title
    if type(sop_class) is not str or not (title is None or type(title) is str):
        return None
    try:
        head = _TEMPLATES.get((CStoreRQ, sop_class))
        if head is None:
            head = _template((CStoreRQ, sop_class), lambda: _store_rq_head(message))
        tail = _TEMPLATES.get((CStoreRQ, None, title))
        if tail is None:
            tail = _template((CStoreRQ, None, title), lambda: _store_rq_originator(message))
        instance = _text_element(message.affected_sop_instance_uid, _UI, _AFFECTED_SOP_INSTANCE_UID)
    except DIMSEEncodeError:
        return None  # the general encoder names the first element in tag order that is wrong
    body = (
        head
        + _THREE_US.pack(
            0,
            _MESSAGE_ID & 0xFFFF,
            2,
            msg_id,
            0,
            _PRIORITY & 0xFFFF,
            2,
            priority,
            0,
            _COMMAND_DATA_SET_TYPE & 0xFFFF,
            2,
            _HAS_DATA_SET if message.has_dataset else NO_DATA_SET,
        )
        + instance
        + tail
    )
    if originator_id is not None:
        body += _US_ELEMENT.pack(0, _MOVE_ORIGINATOR_MESSAGE_ID & 0xFFFF, 2, originator_id)
    return _GROUP_LENGTH_ELEMENT.pack(0, 0, 4, len(body)) + body


def _retrieve_rsp_head(message: CMoveRSP | CGetRSP) -> bytes:
    """Affected SOP Class UID (if any) and Command Field of a C-MOVE-RSP or C-GET-RSP."""
    sop_class = message.affected_sop_class_uid
    head = b"" if sop_class is None else _text_element(sop_class, _UI, _AFFECTED_SOP_CLASS_UID)
    return head + _US_ELEMENT.pack(0, _COMMAND_FIELD & 0xFFFF, 2, message.command_field)


def _encode_retrieve_rsp(message: CMoveRSP | CGetRSP) -> bytes | None:
    """A C-MOVE-RSP/C-GET-RSP without Identifier, Offending Element or Error Comment (a Pending
    response, PS3.7 §9.3.4.2, §9.3.3.2) from its template: only the Message ID Being Responded
    To, the Status and the sub-operation counters are encoded; ``None`` for any other form."""
    msg_id, status = message.message_id_being_responded_to, message.status
    if (
        message.offending_element is not None
        or message.error_comment is not None
        or message.has_dataset
        or not _us(msg_id)
        or not _us(status)
    ):
        return None
    sop_class = message.affected_sop_class_uid
    if sop_class is not None and type(sop_class) is not str:
        return None
    key = (type(message), sop_class)
    head = _TEMPLATES.get(key)
    if head is None:
        try:
            head = _template(key, lambda: _retrieve_rsp_head(message))
        except DIMSEEncodeError:
            return None
    remaining = message.number_of_remaining_sub_operations
    completed = message.number_of_completed_sub_operations
    failed = message.number_of_failed_sub_operations
    warning = message.number_of_warning_sub_operations
    if _us(remaining) and _us(completed) and _us(failed) and _us(warning):  # a Pending response
        counts = _US_ELEMENTS[4].pack(
            *(0, _REMAINING, 2, remaining, 0, _COMPLETED, 2, completed),
            *(0, _FAILED, 2, failed, 0, _WARNING, 2, warning),
        )
    else:
        values: list[int] = []
        for tag, count in (
            (_REMAINING, remaining),
            (_COMPLETED, completed),
            (_FAILED, failed),
            (_WARNING, warning),
        ):
            if count is not None:
                if not _us(count):
                    return None
                values += (0, tag, 2, count)
        counts = _US_ELEMENTS[len(values) // 4].pack(*values)
    body = (
        head
        + _THREE_US.pack(
            0,
            _MESSAGE_ID_BEING_RESPONDED_TO & 0xFFFF,
            2,
            msg_id,
            0,
            _COMMAND_DATA_SET_TYPE & 0xFFFF,
            2,
            NO_DATA_SET,
            0,
            _STATUS & 0xFFFF,
            2,
            status,
        )
        + counts
    )
    return _GROUP_LENGTH_ELEMENT.pack(0, 0, 4, len(body)) + body


def encode_command(message: DimseMessage) -> bytes:
    """Encode ``message`` as a command set: implicit VR LE, group length first, tag order.

    Fields set to ``None`` are omitted. Raises :class:`DIMSEEncodeError` for a value that
    does not fit its VR (US outside 0-FFFFH, non-ASCII or over-long text, ...). The messages
    of the retrieve send path (C-STORE-RSP, C-STORE-RQ, Pending C-MOVE-RSP and C-GET-RSP) are
    built from templates: the same bytes (see ``_encode_store_rsp`` and the functions after it).
    """
    encoded: bytes | None = None
    if type(message) is CStoreRSP:
        encoded = _encode_store_rsp(message)
    elif type(message) is CStoreRQ:
        encoded = _encode_store_rq(message)
    elif type(message) is CMoveRSP or type(message) is CGetRSP:
        encoded = _encode_retrieve_rsp(message)
    if encoded is not None:
        return encoded
    return _encode_general(message)


def _encode_general(message: DimseMessage) -> bytes:
    try:
        spec = _SPECS[type(message)]
    except KeyError:
        raise DIMSEEncodeError(f"not a DIMSE message: {type(message).__name__}") from None
    parts: list[bytes] = []
    append = parts.append
    head = _HEAD.pack
    us_element = _US_ELEMENT.pack
    total = 0
    for tag, attr, kind, _mandatory in spec:
        value = getattr(message, attr)
        if value is None:
            continue
        if kind in (_US, _DST):
            if kind == _DST:
                value = 0x0001 if value else NO_DATA_SET
            if not isinstance(value, int):
                raise DIMSEEncodeError(f"{_where(tag)} must be an int, got {value!r}")
            if not 0 <= value <= 0xFFFF:
                raise DIMSEEncodeError(f"{_where(tag)} is US: 0 to 65535, got {value}")
            append(us_element(0, tag & 0xFFFF, 2, value))
            total += 10
            continue
        if kind == _AT:
            try:
                raw = b"".join(struct.pack("<HH", t >> 16, t & 0xFFFF) for t in value)
            except (struct.error, TypeError):
                raise DIMSEEncodeError(
                    f"{_where(tag)} must be tags of 32 bits, got {value!r}"
                ) from None
        else:
            raw = _encode_text(value, kind, tag)
        append(head(0, tag & 0xFFFF, len(raw)))
        append(raw)
        total += 8 + len(raw)
    return _GROUP_LENGTH_ELEMENT.pack(0, 0, 4, total) + b"".join(parts)
