"""DIMSE-C messages (PS3.7 §9.3): one frozen attrs class per command set.

Field names are the PS3.7 Annex E keywords in snake_case. ``has_dataset`` stands for Command
Data Set Type (0000,0800): ``False`` is 0101H (no data set), ``True`` any other value. Command
Group Length and Command Field are computed by the codec (:mod:`dicomnet.dimse.commands`), and
the data set (identifier, SOP instance) never lives in these objects: it travels as the
message's data set fragments, so it can stream.
"""

from __future__ import annotations

import enum
from typing import ClassVar, Final, final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.uid import VERIFICATION_SOP_CLASS

__all__ = [
    "C_CANCEL_RQ",
    "C_ECHO_RQ",
    "C_ECHO_RSP",
    "C_FIND_RQ",
    "C_FIND_RSP",
    "C_GET_RQ",
    "C_GET_RSP",
    "C_MOVE_RQ",
    "C_MOVE_RSP",
    "C_STORE_RQ",
    "C_STORE_RSP",
    "NO_DATA_SET",
    "CCancelRQ",
    "CEchoRQ",
    "CEchoRSP",
    "CFindRQ",
    "CFindRSP",
    "CGetRQ",
    "CGetRSP",
    "CMoveRQ",
    "CMoveRSP",
    "CStoreRQ",
    "CStoreRSP",
    "DimseMessage",
    "DimseRequest",
    "DimseResponse",
    "Priority",
]

# Command Field (0000,0100) values (PS3.7 Annex E, Table E.1-1).
C_STORE_RQ: Final = 0x0001
C_STORE_RSP: Final = 0x8001
C_GET_RQ: Final = 0x0010
C_GET_RSP: Final = 0x8010
C_FIND_RQ: Final = 0x0020
C_FIND_RSP: Final = 0x8020
C_MOVE_RQ: Final = 0x0021
C_MOVE_RSP: Final = 0x8021
C_ECHO_RQ: Final = 0x0030
C_ECHO_RSP: Final = 0x8030
C_CANCEL_RQ: Final = 0x0FFF

#: Command Data Set Type (0000,0800) meaning "no data set" (PS3.7 Annex E).
NO_DATA_SET: Final = 0x0101


class Priority(enum.IntEnum):
    """Priority (0000,0700) of a C-STORE, C-FIND, C-GET or C-MOVE request (PS3.7 Annex E)."""

    MEDIUM = 0x0000
    HIGH = 0x0001
    LOW = 0x0002


@final
@attrs.frozen(repr=False, kw_only=True)
class CEchoRQ:
    """C-ECHO-RQ (PS3.7 §9.3.5.1, Table 9.3-12)."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_ECHO_RQ
    message_name: ClassVar[str] = "C-ECHO-RQ"

    message_id: int
    affected_sop_class_uid: str = VERIFICATION_SOP_CLASS
    has_dataset: bool = False


@final
@attrs.frozen(repr=False, kw_only=True)
class CEchoRSP:
    """C-ECHO-RSP (PS3.7 §9.3.5.2, Table 9.3-13; status fields of Annex C)."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_ECHO_RSP
    message_name: ClassVar[str] = "C-ECHO-RSP"

    message_id_being_responded_to: int
    status: int = 0x0000
    affected_sop_class_uid: str | None = VERIFICATION_SOP_CLASS
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    has_dataset: bool = False


@final
@attrs.frozen(repr=False, kw_only=True)
class CStoreRQ:
    """C-STORE-RQ (PS3.7 §9.3.1.1, Table 9.3-1); the SOP Instance is the data set."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_STORE_RQ
    message_name: ClassVar[str] = "C-STORE-RQ"

    message_id: int
    affected_sop_class_uid: str
    affected_sop_instance_uid: str
    priority: Priority = Priority.MEDIUM
    move_originator_application_entity_title: str | None = None
    move_originator_message_id: int | None = None
    has_dataset: bool = True


@final
@attrs.frozen(repr=False, kw_only=True)
class CStoreRSP:
    """C-STORE-RSP (PS3.7 §9.3.1.2, Table 9.3-2)."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_STORE_RSP
    message_name: ClassVar[str] = "C-STORE-RSP"

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    has_dataset: bool = False


@final
@attrs.frozen(repr=False, kw_only=True)
class CFindRQ:
    """C-FIND-RQ (PS3.7 §9.3.2.1, Table 9.3-3); the Identifier is the data set."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_FIND_RQ
    message_name: ClassVar[str] = "C-FIND-RQ"

    message_id: int
    affected_sop_class_uid: str
    priority: Priority = Priority.MEDIUM
    has_dataset: bool = True


@final
@attrs.frozen(repr=False, kw_only=True)
class CFindRSP:
    """C-FIND-RSP (PS3.7 §9.3.2.2, Table 9.3-4); a Pending response carries an Identifier."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_FIND_RSP
    message_name: ClassVar[str] = "C-FIND-RSP"

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    has_dataset: bool = False


@final
@attrs.frozen(repr=False, kw_only=True)
class CGetRQ:
    """C-GET-RQ (PS3.7 §9.3.3.1, Table 9.3-6); the Identifier is the data set."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_GET_RQ
    message_name: ClassVar[str] = "C-GET-RQ"

    message_id: int
    affected_sop_class_uid: str
    priority: Priority = Priority.MEDIUM
    has_dataset: bool = True


@final
@attrs.frozen(repr=False, kw_only=True)
class CGetRSP:
    """C-GET-RSP (PS3.7 §9.3.3.2, Table 9.3-7), with the sub-operation counters."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_GET_RSP
    message_name: ClassVar[str] = "C-GET-RSP"

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    number_of_remaining_sub_operations: int | None = None
    number_of_completed_sub_operations: int | None = None
    number_of_failed_sub_operations: int | None = None
    number_of_warning_sub_operations: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    has_dataset: bool = False


@final
@attrs.frozen(repr=False, kw_only=True)
class CMoveRQ:
    """C-MOVE-RQ (PS3.7 §9.3.4.1, Table 9.3-9); the Identifier is the data set."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_MOVE_RQ
    message_name: ClassVar[str] = "C-MOVE-RQ"

    message_id: int
    affected_sop_class_uid: str
    move_destination: str
    priority: Priority = Priority.MEDIUM
    has_dataset: bool = True


@final
@attrs.frozen(repr=False, kw_only=True)
class CMoveRSP:
    """C-MOVE-RSP (PS3.7 §9.3.4.2, Table 9.3-10), with the sub-operation counters."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_MOVE_RSP
    message_name: ClassVar[str] = "C-MOVE-RSP"

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    number_of_remaining_sub_operations: int | None = None
    number_of_completed_sub_operations: int | None = None
    number_of_failed_sub_operations: int | None = None
    number_of_warning_sub_operations: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    has_dataset: bool = False


@final
@attrs.frozen(repr=False, kw_only=True)
class CCancelRQ:
    """C-CANCEL-RQ (PS3.7 §9.3.2.3, §9.3.3.3, §9.3.4.3; Tables 9.3-5, 9.3-8, 9.3-11)."""

    __repr__ = attrs_repr

    command_field: ClassVar[int] = C_CANCEL_RQ
    message_name: ClassVar[str] = "C-CANCEL-RQ"

    message_id_being_responded_to: int
    has_dataset: bool = False


DimseRequest = CEchoRQ | CStoreRQ | CFindRQ | CGetRQ | CMoveRQ | CCancelRQ
DimseResponse = CEchoRSP | CStoreRSP | CFindRSP | CGetRSP | CMoveRSP
#: The closed set of DIMSE-C messages (``match`` + ``assert_never`` is exhaustive).
DimseMessage = DimseRequest | DimseResponse
