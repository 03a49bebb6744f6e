"""DIMSE status codes: the classes of PS3.7 Annex C and the meanings of PS3.4.

A status is a 16-bit code carried in Status (0000,0900) of every response. Its class (success,
pending, cancel, warning, failure) follows from the code alone (PS3.7 Annex C); its meaning
depends on the service (PS3.7 Annex C general codes, PS3.4 B.2.3 for Storage, C.4.1.1.4,
C.4.2.1.5 and C.4.3.1.4 for Query/Retrieve FIND, MOVE and GET). Statuses are data, never
exceptions.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from dicomnet._attrs_repr import attrs_repr

__all__ = [
    "CANCEL",
    "FIND_STATUSES",
    "GENERAL_STATUSES",
    "GET_STATUSES",
    "MOVE_STATUSES",
    "PENDING",
    "PENDING_WARNING",
    "STORAGE_STATUSES",
    "SUCCESS",
    "Service",
    "Status",
    "StatusCategory",
    "category_of",
    "is_defined_class",
    "status_name",
]

#: Success (PS3.7 C.1.1).
SUCCESS: Final = 0x0000
#: Cancel (PS3.7 C.3.1): matching or sub-operations terminated by a C-CANCEL.
CANCEL: Final = 0xFE00
#: Pending (PS3.7 C.2.1).
PENDING: Final = 0xFF00
#: Pending, with a warning: optional keys not supported (PS3.4 C.4.1.1.4).
PENDING_WARNING: Final = 0xFF01


class StatusCategory(enum.Enum):
    """The Status Classes of PS3.7 Annex C."""

    SUCCESS = "success"
    PENDING = "pending"
    CANCEL = "cancel"
    WARNING = "warning"
    FAILURE = "failure"


class Service(enum.Enum):
    """The service whose specific meanings apply when naming a status."""

    GENERAL = "general"
    STORAGE = "storage"
    FIND = "find"
    MOVE = "move"
    GET = "get"


def category_of(code: int) -> StatusCategory:
    """The Status Class of ``code`` (PS3.7 Annex C).

    Success 0000; Warning 0001, Bxxx, 0107, 0116; Failure Axxx, Cxxx, 01xx (other than 0107 and
    0116), 02xx; Cancel FE00; Pending FF00, FF01. A code outside every class (the standard
    forbids them, see :func:`is_defined_class`) is reported as FAILURE: an SCU must never take
    an unassigned code for success.
    """
    if code == 0x0000:
        return StatusCategory.SUCCESS
    high = code >> 8
    if high == 0xFF:
        return StatusCategory.PENDING if code <= 0xFF01 else StatusCategory.FAILURE
    if code == 0xFE00:
        return StatusCategory.CANCEL
    if (code >> 12) == 0xB or code in (0x0001, 0x0107, 0x0116):
        return StatusCategory.WARNING
    return StatusCategory.FAILURE


def is_defined_class(code: int) -> bool:
    """Whether ``code`` falls in one of PS3.7 Annex C's classes ("shall not use" otherwise)."""
    high = code >> 12
    return (
        code in (0x0000, 0x0001, 0xFE00, 0xFF00, 0xFF01)
        or high in (0xA, 0xB, 0xC)
        or (code >> 8) in (0x01, 0x02)
    )


#: General status codes (PS3.7 Annex C.1-C.5), meaning shared by every DIMSE service.
GENERAL_STATUSES: Final[Mapping[int, str]] = MappingProxyType(
    {
        0x0000: "Success",
        0x0001: "Warning: Requested optional Attributes are not supported",
        0x0105: "No such attribute",
        0x0106: "Invalid attribute value",
        0x0107: "Attribute list error",
        0x0110: "Processing failure",
        0x0111: "Duplicate SOP Instance",
        0x0112: "No such SOP Instance",
        0x0113: "No such event type",
        0x0114: "No such argument",
        0x0115: "Invalid argument value",
        0x0116: "Attribute value out of range",
        0x0117: "Invalid object instance",
        0x0118: "No such SOP Class",
        0x0119: "Class-instance conflict",
        0x0120: "Missing attribute",
        0x0121: "Missing attribute value",
        0x0122: "Refused: SOP Class not supported",
        0x0123: "No such action type",
        0x0124: "Refused: Not authorized",
        0x0210: "Duplicate invocation",
        0x0211: "Unrecognized operation",
        0x0212: "Mistyped argument",
        0x0213: "Resource limitation",
        0xFE00: "Cancel",
        0xFF00: "Pending",
        0xFF01: "Pending: optional keys not supported",
    }
)

#: C-STORE specific codes (PS3.4 B.2.3, Table B.2-1); ranges are in :data:`_RANGES`.
STORAGE_STATUSES: Final[Mapping[int, str]] = MappingProxyType(
    {
        0xB000: "Warning: Coercion of Data Elements",
        0xB006: "Warning: Elements Discarded",
        0xB007: "Warning: Data Set does not match SOP Class",
    }
)

#: C-FIND specific codes (PS3.4 C.4.1.1.4, Table C.4-1).
FIND_STATUSES: Final[Mapping[int, str]] = MappingProxyType(
    {
        0xA700: "Refused: Out of resources",
        0xA900: "Failed: Identifier does not match SOP Class",
        0xFE00: "Matching terminated due to Cancel request",
        0xFF00: "Pending: Matches are continuing",
        0xFF01: "Pending: Matches are continuing, one or more Optional Keys were not supported",
    }
)

#: C-MOVE specific codes (PS3.4 C.4.2.1.5, Table C.4-2).
MOVE_STATUSES: Final[Mapping[int, str]] = MappingProxyType(
    {
        0xA701: "Refused: Out of resources - Unable to calculate number of matches",
        0xA702: "Refused: Out of resources - Unable to perform sub-operations",
        0xA801: "Refused: Move Destination unknown",
        0xA900: "Failed: Identifier does not match SOP Class",
        0xB000: "Warning: Sub-operations Complete - One or more Failures or Warnings",
        0xFE00: "Sub-operations terminated due to Cancel Indication",
        0xFF00: "Pending: Sub-operations are continuing",
    }
)

#: C-GET specific codes (PS3.4 C.4.3.1.4, Table C.4-3).
GET_STATUSES: Final[Mapping[int, str]] = MappingProxyType(
    {
        0xA701: "Refused: Out of resources - Unable to calculate number of matches",
        0xA702: "Refused: Out of resources - Unable to perform sub-operations",
        0xA900: "Failed: Identifier does not match SOP Class",
        0xB000: "Warning: Sub-operations Complete - One or more Failures or Warnings",
        0xFE00: "Sub-operations terminated due to Cancel Indication",
        0xFF00: "Pending: Sub-operations are continuing",
    }
)

_SPECIFIC: Final[Mapping[Service, Mapping[int, str]]] = MappingProxyType(
    {
        Service.GENERAL: MappingProxyType({}),
        Service.STORAGE: STORAGE_STATUSES,
        Service.FIND: FIND_STATUSES,
        Service.MOVE: MOVE_STATUSES,
        Service.GET: GET_STATUSES,
    }
)

# Code ranges (high byte or high nibble) with a service-specific meaning.
_RANGES: Final[Mapping[Service, tuple[tuple[int, int, str], ...]]] = MappingProxyType(
    {
        Service.GENERAL: (),
        Service.STORAGE: (
            (0xA700, 0xA7FF, "Refused: Out of Resources"),
            (0xA900, 0xA9FF, "Error: Data Set does not match SOP Class"),
            (0xC000, 0xCFFF, "Error: Cannot understand"),
        ),
        Service.FIND: ((0xC000, 0xCFFF, "Failed: Unable to process"),),
        Service.MOVE: ((0xC000, 0xCFFF, "Failed: Unable to process"),),
        Service.GET: ((0xC000, 0xCFFF, "Failed: Unable to process"),),
    }
)

_CLASS_NAMES: Final = {
    StatusCategory.SUCCESS: "Success",
    StatusCategory.PENDING: "Pending",
    StatusCategory.CANCEL: "Cancel",
    StatusCategory.WARNING: "Warning",
    StatusCategory.FAILURE: "Failure",
}


def status_name(code: int, service: Service = Service.GENERAL) -> str:
    """The standard's meaning of ``code`` for ``service``, else its class name.

    The service-specific meaning wins over the general one (PS3.4 refines PS3.7 Annex C). A
    code with no assigned meaning is named by its class, e.g. ``"Warning (B123)"``; one outside
    every class is ``"Unknown status (D000)"``.
    """
    specific = _SPECIFIC[service].get(code)
    if specific is not None:
        return specific
    for low, high, name in _RANGES[service]:
        if low <= code <= high:
            return name
    general = GENERAL_STATUSES.get(code)
    if general is not None:
        return general
    if not is_defined_class(code):
        return f"Unknown status ({code:04X})"
    return f"{_CLASS_NAMES[category_of(code)]} ({code:04X})"


@attrs.frozen(repr=False)
class Status:
    """A DIMSE status value (PS3.7 Annex C): the code, and the service naming its meaning."""

    __repr__ = attrs_repr

    code: int = attrs.field()
    service: Service = Service.GENERAL

    @code.validator
    def _check_code(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"a status code is 16 bits, got {value}")

    @property
    def category(self) -> StatusCategory:
        """The Status Class (see :func:`category_of`)."""
        return category_of(self.code)

    @property
    def name(self) -> str:
        """The meaning of the code for :attr:`service` (see :func:`status_name`)."""
        return status_name(self.code, self.service)

    @property
    def is_success(self) -> bool:
        """Whether the class is Success."""
        return self.code == SUCCESS

    @property
    def is_pending(self) -> bool:
        """Whether the class is Pending (more responses follow)."""
        return self.category is StatusCategory.PENDING

    @property
    def is_final(self) -> bool:
        """Whether this response ends the operation (every class except Pending)."""
        return self.category is not StatusCategory.PENDING

    def __str__(self) -> str:
        return f"0x{self.code:04X} {self.category.value}: {self.name}"
