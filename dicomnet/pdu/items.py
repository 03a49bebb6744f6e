"""Items and sub-items of the A-ASSOCIATE PDUs (PS3.8 §9.3.2-9.3.3, PS3.7 Annex D.3.3).

Each class is a frozen attrs value named after the standard. Text fields (UIDs, names) are ``str``
decoded from ASCII with ``surrogateescape``, so any byte survives a decode/encode round trip
unchanged (a UID with a trailing NUL keeps it). The item header's reserved byte is the
``reserved`` field of every item: ignored on receipt, settable for fuzzing. Unknown item types
are kept as :class:`UnknownItem`.

:func:`encode_item` and :func:`decode_item` convert between these classes and the item bytes,
through the strict construct layouts of ``_layout.py``.
"""

from __future__ import annotations

import struct
from typing import Any, Final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.errors import PDUDecodeError
from dicomnet.pdu import _layout
from dicomnet.pdu.exceptions import PDUEncodeError, encoder

__all__ = [
    "DICOM_APPLICATION_CONTEXT",
    "AbstractSyntaxSubItem",
    "ApplicationContextItem",
    "AsynchronousOperationsWindowSubItem",
    "ImplementationClassUIDSubItem",
    "ImplementationVersionNameSubItem",
    "MaximumLengthSubItem",
    "PresentationContextACItem",
    "PresentationContextRQItem",
    "PresentationContextSubItem",
    "SCPSCURoleSelectionSubItem",
    "SOPClassCommonExtendedNegotiationSubItem",
    "SOPClassExtendedNegotiationSubItem",
    "UnknownItem",
    "UserIdentityACSubItem",
    "UserIdentityRQSubItem",
    "UserInformationItem",
    "UserInformationSubItem",
    "decode_item",
    "encode_item",
]

#: The DICOM Application Context Name (PS3.7 Annex A.2.1).
DICOM_APPLICATION_CONTEXT: Final = "1.2.840.10008.3.1.1.1"

# Item types (PS3.8 §9.3.2, §9.3.3; PS3.7 Annex D.3.3).
APPLICATION_CONTEXT: Final = 0x10
PRESENTATION_CONTEXT_RQ: Final = 0x20
PRESENTATION_CONTEXT_AC: Final = 0x21
ABSTRACT_SYNTAX: Final = 0x30
TRANSFER_SYNTAX: Final = 0x40
USER_INFORMATION: Final = 0x50
MAXIMUM_LENGTH: Final = 0x51
IMPLEMENTATION_CLASS_UID: Final = 0x52
ASYNCHRONOUS_OPERATIONS_WINDOW: Final = 0x53
SCP_SCU_ROLE_SELECTION: Final = 0x54
IMPLEMENTATION_VERSION_NAME: Final = 0x55
SOP_CLASS_EXTENDED_NEGOTIATION: Final = 0x56
SOP_CLASS_COMMON_EXTENDED_NEGOTIATION: Final = 0x57
USER_IDENTITY_RQ: Final = 0x58
USER_IDENTITY_AC: Final = 0x59

_INVALID_VALUE: Final = 6  # PS3.8 Table 9-26: invalid-PDU-parameter value


def text(raw: bytes) -> str:
    """Bytes of a UID/name field as ``str``, losslessly (ASCII + surrogateescape)."""
    return raw.decode("ascii", "surrogateescape")


def raw_text(value: str, what: str) -> bytes:
    """The wire bytes of a text field; non-ASCII characters raise :class:`PDUEncodeError`."""
    try:
        return value.encode("ascii", "surrogateescape")
    except (UnicodeEncodeError, AttributeError) as exc:
        raise PDUEncodeError(f"{what} {value!r} is not ASCII") from exc


def raw_bytes(value: bytes | bytearray | memoryview, what: str) -> bytes:
    """A bytes field as ``bytes``; anything not bytes-like raises :class:`PDUEncodeError`."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise PDUEncodeError(f"{what} must be bytes, not {type(value).__name__}")


@attrs.frozen(repr=False)
class UnknownItem:
    """An item or sub-item of a type this codec does not know, kept as raw bytes."""

    __repr__ = attrs_repr

    item_type: int
    data: bytes
    reserved: int = 0


@attrs.frozen(repr=False)
class ApplicationContextItem:
    """Application Context item, type 10H (PS3.8 §9.3.2.1, Table 9-12)."""

    __repr__ = attrs_repr

    name: str = DICOM_APPLICATION_CONTEXT
    reserved: int = 0


@attrs.frozen(repr=False)
class AbstractSyntaxSubItem:
    """Abstract Syntax sub-item, type 30H (PS3.8 §9.3.2.2.1, Table 9-14)."""

    __repr__ = attrs_repr

    name: str
    reserved: int = 0


@attrs.frozen(repr=False)
class TransferSyntaxSubItem:
    """Transfer Syntax sub-item, type 40H (PS3.8 §9.3.2.2.2, Table 9-15)."""

    __repr__ = attrs_repr

    name: str
    reserved: int = 0


PresentationContextSubItem = AbstractSyntaxSubItem | TransferSyntaxSubItem | UnknownItem


@attrs.frozen(kw_only=True, repr=False)
class PresentationContextRQItem:
    """Presentation Context item in an A-ASSOCIATE-RQ, type 20H (PS3.8 §9.3.2.2, Table 9-13).

    ``sub_items`` is ``None`` for the canonical wire form (one abstract syntax then the transfer
    syntaxes, reserved bytes zero). When set, it is the exact sub-item sequence on the wire and
    the encoder uses it instead of ``abstract_syntax``/``transfer_syntaxes`` (which the decoder
    still fills in: the first abstract syntax, or ``""``, and every transfer syntax).
    """

    __repr__ = attrs_repr

    context_id: int
    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...]
    reserved: int = 0
    reserved1: int = 0
    reserved2: int = 0
    reserved3: int = 0
    sub_items: tuple[PresentationContextSubItem, ...] | None = None

    @classmethod
    def from_sub_items(
        cls, context_id: int, sub_items: tuple[PresentationContextSubItem, ...], **reserved: int
    ) -> PresentationContextRQItem:
        """Build from the wire's sub-item sequence, keeping it only when not canonical."""
        abstract = [s.name for s in sub_items if isinstance(s, AbstractSyntaxSubItem)]
        transfer = tuple(s.name for s in sub_items if isinstance(s, TransferSyntaxSubItem))
        canonical = (
            len(sub_items) >= 1
            and isinstance(sub_items[0], AbstractSyntaxSubItem)
            and all(isinstance(s, TransferSyntaxSubItem) for s in sub_items[1:])
            and all(s.reserved == 0 for s in sub_items)
        )
        return cls(
            context_id=context_id,
            abstract_syntax=abstract[0] if abstract else "",
            transfer_syntaxes=transfer,
            sub_items=None if canonical else sub_items,
            **reserved,
        )

    def wire_sub_items(self) -> tuple[PresentationContextSubItem, ...]:
        """The sub-items as sent: ``sub_items`` if set, else the canonical sequence."""
        if self.sub_items is not None:
            return self.sub_items
        return (
            AbstractSyntaxSubItem(self.abstract_syntax),
            *(TransferSyntaxSubItem(ts) for ts in self.transfer_syntaxes),
        )


@attrs.frozen(kw_only=True, repr=False)
class PresentationContextACItem:
    """Presentation Context item in an A-ASSOCIATE-AC, type 21H (PS3.8 §9.3.3.2, Table 9-18).

    ``result`` is the Result/Reason field (0 acceptance, 1 user-rejection, 2 no-reason,
    3 abstract syntax not supported, 4 transfer syntaxes not supported). ``transfer_syntax`` is
    ``None`` when no Transfer Syntax sub-item was sent (tolerated for rejected contexts).
    ``sub_items`` works as in :class:`PresentationContextRQItem`.
    """

    __repr__ = attrs_repr

    context_id: int
    result: int
    transfer_syntax: str | None
    reserved: int = 0
    reserved1: int = 0
    reserved2: int = 0
    sub_items: tuple[PresentationContextSubItem, ...] | None = None

    @classmethod
    def from_sub_items(
        cls,
        context_id: int,
        result: int,
        sub_items: tuple[PresentationContextSubItem, ...],
        **reserved: int,
    ) -> PresentationContextACItem:
        """Build from the wire's sub-item sequence, keeping it only when not canonical."""
        transfer = [s.name for s in sub_items if isinstance(s, TransferSyntaxSubItem)]
        canonical = (
            len(sub_items) <= 1
            and all(isinstance(s, TransferSyntaxSubItem) for s in sub_items)
            and all(s.reserved == 0 for s in sub_items)
        )
        return cls(
            context_id=context_id,
            result=result,
            transfer_syntax=transfer[0] if transfer else None,
            sub_items=None if canonical else sub_items,
            **reserved,
        )

    def wire_sub_items(self) -> tuple[PresentationContextSubItem, ...]:
        """The sub-items as sent: ``sub_items`` if set, else the canonical sequence."""
        if self.sub_items is not None:
            return self.sub_items
        if self.transfer_syntax is None:
            return ()
        return (TransferSyntaxSubItem(self.transfer_syntax),)


@attrs.frozen(repr=False)
class MaximumLengthSubItem:
    """Maximum Length sub-item, type 51H (PS3.8 Annex D.1, Table D.1-1); 0 means unlimited."""

    __repr__ = attrs_repr

    maximum_length: int
    reserved: int = 0


@attrs.frozen(repr=False)
class ImplementationClassUIDSubItem:
    """Implementation Class UID sub-item, type 52H (PS3.7 Annex D.3.3.2)."""

    __repr__ = attrs_repr

    implementation_class_uid: str
    reserved: int = 0


@attrs.frozen(repr=False)
class AsynchronousOperationsWindowSubItem:
    """Asynchronous Operations Window sub-item, type 53H (PS3.7 Annex D.3.3.3)."""

    __repr__ = attrs_repr

    max_operations_invoked: int
    max_operations_performed: int
    reserved: int = 0


@attrs.frozen(kw_only=True, repr=False)
class SCPSCURoleSelectionSubItem:
    """SCP/SCU Role Selection sub-item, type 54H (PS3.7 Annex D.3.3.4); roles are 0 or 1."""

    __repr__ = attrs_repr

    sop_class_uid: str
    scu_role: int
    scp_role: int
    reserved: int = 0


@attrs.frozen(repr=False)
class ImplementationVersionNameSubItem:
    """Implementation Version Name sub-item, type 55H (PS3.7 Annex D.3.3.2)."""

    __repr__ = attrs_repr

    implementation_version_name: str
    reserved: int = 0


@attrs.frozen(repr=False)
class SOPClassExtendedNegotiationSubItem:
    """SOP Class Extended Negotiation sub-item, type 56H (PS3.7 Annex D.3.3.5)."""

    __repr__ = attrs_repr

    sop_class_uid: str
    service_class_application_information: bytes
    reserved: int = 0


@attrs.frozen(kw_only=True, repr=False)
class SOPClassCommonExtendedNegotiationSubItem:
    """SOP Class Common Extended Negotiation sub-item, type 57H (PS3.7 Annex D.3.3.6).

    The item header's second byte is the Sub-Item-version (0 in this version of the standard).
    """

    __repr__ = attrs_repr

    sop_class_uid: str
    service_class_uid: str
    related_general_sop_class_uids: tuple[str, ...] = ()
    sub_item_version: int = 0


@attrs.frozen(kw_only=True, repr=False)
class UserIdentityRQSubItem:
    """User Identity Negotiation sub-item in an A-ASSOCIATE-RQ, type 58H (PS3.7 D.3.3.7.1).

    ``user_identity_type``: 1 username, 2 username and passcode, 3 Kerberos ticket, 4 SAML
    assertion, 5 JSON Web Token. ``secondary_field`` is the passcode for type 2, else empty.
    """

    __repr__ = attrs_repr

    user_identity_type: int
    primary_field: bytes
    secondary_field: bytes = b""
    positive_response_requested: int = 0
    reserved: int = 0


@attrs.frozen(repr=False)
class UserIdentityACSubItem:
    """User Identity Negotiation sub-item in an A-ASSOCIATE-AC, type 59H (PS3.7 D.3.3.7.2)."""

    __repr__ = attrs_repr

    server_response: bytes = b""
    reserved: int = 0


UserInformationSubItem = (
    MaximumLengthSubItem
    | ImplementationClassUIDSubItem
    | AsynchronousOperationsWindowSubItem
    | SCPSCURoleSelectionSubItem
    | ImplementationVersionNameSubItem
    | SOPClassExtendedNegotiationSubItem
    | SOPClassCommonExtendedNegotiationSubItem
    | UserIdentityRQSubItem
    | UserIdentityACSubItem
    | UnknownItem
)


@attrs.frozen(repr=False)
class UserInformationItem:
    """User Information item, type 50H (PS3.8 §9.3.2.3, Table 9-16): sub-items in wire order."""

    __repr__ = attrs_repr

    sub_items: tuple[UserInformationSubItem, ...] = ()
    reserved: int = 0

    def _first(self, kind: type[Any]) -> Any:
        return next((s for s in self.sub_items if isinstance(s, kind)), None)

    @property
    def maximum_length(self) -> int | None:
        """The first Maximum Length sub-item's value, or ``None`` when absent."""
        item = self._first(MaximumLengthSubItem)
        return None if item is None else int(item.maximum_length)

    @property
    def implementation_class_uid(self) -> str | None:
        """The Implementation Class UID, or ``None`` when absent."""
        item = self._first(ImplementationClassUIDSubItem)
        return None if item is None else str(item.implementation_class_uid)

    @property
    def implementation_version_name(self) -> str | None:
        """The Implementation Version Name, or ``None`` when absent."""
        item = self._first(ImplementationVersionNameSubItem)
        return None if item is None else str(item.implementation_version_name)

    @property
    def asynchronous_operations_window(self) -> AsynchronousOperationsWindowSubItem | None:
        """The Asynchronous Operations Window sub-item, or ``None`` when absent."""
        item = self._first(AsynchronousOperationsWindowSubItem)
        return item if isinstance(item, AsynchronousOperationsWindowSubItem) else None

    @property
    def role_selections(self) -> tuple[SCPSCURoleSelectionSubItem, ...]:
        """Every SCP/SCU Role Selection sub-item, in wire order."""
        return tuple(s for s in self.sub_items if isinstance(s, SCPSCURoleSelectionSubItem))

    @property
    def sop_class_extended_negotiations(self) -> tuple[SOPClassExtendedNegotiationSubItem, ...]:
        """Every SOP Class Extended Negotiation sub-item, in wire order."""
        return tuple(s for s in self.sub_items if isinstance(s, SOPClassExtendedNegotiationSubItem))

    @property
    def sop_class_common_extended_negotiations(
        self,
    ) -> tuple[SOPClassCommonExtendedNegotiationSubItem, ...]:
        """Every SOP Class Common Extended Negotiation sub-item, in wire order."""
        return tuple(
            s for s in self.sub_items if isinstance(s, SOPClassCommonExtendedNegotiationSubItem)
        )

    @property
    def user_identity_rq(self) -> UserIdentityRQSubItem | None:
        """The User Identity (RQ) sub-item, or ``None``."""
        item = self._first(UserIdentityRQSubItem)
        return item if isinstance(item, UserIdentityRQSubItem) else None

    @property
    def user_identity_ac(self) -> UserIdentityACSubItem | None:
        """The User Identity (AC) sub-item, or ``None``."""
        item = self._first(UserIdentityACSubItem)
        return item if isinstance(item, UserIdentityACSubItem) else None


AnyItem = (
    ApplicationContextItem
    | PresentationContextRQItem
    | PresentationContextACItem
    | UserInformationItem
    | PresentationContextSubItem
    | UserInformationSubItem
)

# --- encoding ----------------------------------------------------------------------------------


def _item(item_type: int, reserved: int, value: bytes) -> bytes:
    """Item header and value (PS3.8 §9.3.2.1 ff.), packed by hand with ``_layout.Item`` as its
    oracle (``tests/pdu/test_item_header.py``): every item and sub-item of an association PDU
    goes through here, ~125 for an A-ASSOCIATE-AC accepting 60 contexts, and the plain construct
    build cost ~7 µs each against ~0.2 µs."""
    if len(value) > 0xFFFF:
        raise PDUEncodeError(f"an item value of {len(value)} bytes exceeds the 16-bit item length")
    try:
        return _ITEM_HEADER.pack(item_type, reserved, len(value)) + value
    except struct.error as exc:  # item type or reserved byte out of 0..255
        raise PDUEncodeError(f"cannot encode item type {item_type!r}: {exc}") from None


def _pc_head(*fields: int) -> bytes:
    """The 4 bytes before a presentation context's sub-items (PS3.8 Tables 9-13 and 9-18),
    packed by hand with ``_layout.PresentationContextRQBody``/``ACBody`` as oracles: one per
    context, and compiling those layouts for one association costs more than it saves."""
    try:
        return _PC_HEADER.pack(*fields)
    except struct.error as exc:
        raise PDUEncodeError(f"cannot encode presentation context fields {fields}: {exc}") from None


def item_value(item: AnyItem) -> tuple[int, int, bytes]:
    """``(item_type, reserved byte, value bytes)`` of an item: what follows its length field."""
    b = _layout.build_compiled  # flat layouts: measured 2-4x faster; tested equal to plain
    match item:
        case UnknownItem(item_type=t, data=data, reserved=r):
            return t, r, raw_bytes(data, "unknown item data")
        case ApplicationContextItem(name=name, reserved=r):
            return APPLICATION_CONTEXT, r, raw_text(name, "application context name")
        case AbstractSyntaxSubItem(name=name, reserved=r):
            return ABSTRACT_SYNTAX, r, raw_text(name, "abstract syntax")
        case TransferSyntaxSubItem(name=name, reserved=r):
            return TRANSFER_SYNTAX, r, raw_text(name, "transfer syntax")
        case PresentationContextRQItem():
            head = _pc_head(item.context_id, item.reserved1, item.reserved2, item.reserved3)
            subs = b"".join(encode_item(s) for s in item.wire_sub_items())
            return PRESENTATION_CONTEXT_RQ, item.reserved, head + subs
        case PresentationContextACItem():
            head = _pc_head(item.context_id, item.reserved1, item.result, item.reserved2)
            subs = b"".join(encode_item(s) for s in item.wire_sub_items())
            return PRESENTATION_CONTEXT_AC, item.reserved, head + subs
        case UserInformationItem(sub_items=subs, reserved=r):
            return USER_INFORMATION, r, b"".join(encode_item(s) for s in subs)
        case MaximumLengthSubItem(maximum_length=n, reserved=r):
            return MAXIMUM_LENGTH, r, b(_layout.MaximumLengthBody, {"maximum_length": n})
        case ImplementationClassUIDSubItem(implementation_class_uid=uid, reserved=r):
            return IMPLEMENTATION_CLASS_UID, r, raw_text(uid, "implementation class UID")
        case ImplementationVersionNameSubItem(implementation_version_name=name, reserved=r):
            return IMPLEMENTATION_VERSION_NAME, r, raw_text(name, "implementation version name")
        case AsynchronousOperationsWindowSubItem(reserved=r):
            value = b(
                _layout.AsynchronousOperationsWindowBody,
                {
                    "max_operations_invoked": item.max_operations_invoked,
                    "max_operations_performed": item.max_operations_performed,
                },
            )
            return ASYNCHRONOUS_OPERATIONS_WINDOW, r, value
        case SCPSCURoleSelectionSubItem(reserved=r):
            value = b(
                _layout.SCPSCURoleSelectionBody,
                {
                    "sop_class_uid": raw_text(item.sop_class_uid, "SOP class UID"),
                    "scu_role": item.scu_role,
                    "scp_role": item.scp_role,
                },
            )
            return SCP_SCU_ROLE_SELECTION, r, value
        case SOPClassExtendedNegotiationSubItem(reserved=r):
            value = b(
                _layout.SOPClassExtendedNegotiationBody,
                {
                    "sop_class_uid": raw_text(item.sop_class_uid, "SOP class UID"),
                    "service_class_application_information": raw_bytes(
                        item.service_class_application_information,
                        "service class application information",
                    ),
                },
            )
            return SOP_CLASS_EXTENDED_NEGOTIATION, r, value
        case SOPClassCommonExtendedNegotiationSubItem():
            related = [
                raw_text(u, "related general SOP class UID")
                for u in item.related_general_sop_class_uids
            ]
            value = b(
                _layout.SOPClassCommonExtendedNegotiationBody,
                {
                    "sop_class_uid": raw_text(item.sop_class_uid, "SOP class UID"),
                    "service_class_uid": raw_text(item.service_class_uid, "service class UID"),
                    "related_general_sop_class_uids": {"uids": related},
                },
            )
            return SOP_CLASS_COMMON_EXTENDED_NEGOTIATION, item.sub_item_version, value
        case UserIdentityRQSubItem(reserved=r):
            value = b(
                _layout.UserIdentityRQBody,
                {
                    "user_identity_type": item.user_identity_type,
                    "positive_response_requested": item.positive_response_requested,
                    "primary_field": raw_bytes(item.primary_field, "primary field"),
                    "secondary_field": raw_bytes(item.secondary_field, "secondary field"),
                },
            )
            return USER_IDENTITY_RQ, r, value
        case UserIdentityACSubItem(server_response=resp, reserved=r):
            value = b(
                _layout.UserIdentityACBody, {"server_response": raw_bytes(resp, "server response")}
            )
            return USER_IDENTITY_AC, r, value
    raise PDUEncodeError(f"not an item: {item!r}")


@encoder
def encode_item(item: AnyItem) -> bytes:
    """The wire bytes of one item or sub-item, header included (strict: lengths computed)."""
    item_type, reserved, value = item_value(item)
    return _item(item_type, reserved, value)


# --- decoding ----------------------------------------------------------------------------------


def _fail(message: str, offset: int | None, reason: int = _INVALID_VALUE) -> PDUDecodeError:
    return PDUDecodeError(message, offset=offset, abort_reason=reason)


def _body(layout: Any, data: bytes, what: str, offset: int) -> dict[str, Any]:
    try:
        return _layout.parse(layout, data)
    except _layout.LayoutError as exc:
        raise _fail(f"malformed {what} at offset {offset}: {exc}", offset) from None


_ITEM_HEADER = struct.Struct(">BBH")
_PC_HEADER = struct.Struct(">BBBB")


def walk_items(data: bytes, offset: int) -> tuple[list[tuple[int, int, bytes, int]], bytes]:
    """Split a run of items: ``([(item_type, reserved, value, item_offset), ...], trailing)``.

    Hand-written over ``struct`` (hostile input may hold a quarter of a million empty items);
    ``_layout.ItemRun`` is its construct oracle. An item header whose item-length runs past the
    end raises :class:`PDUDecodeError`; fewer than 4 bytes left over are returned as trailing.
    """
    items: list[tuple[int, int, bytes, int]] = []
    append = items.append
    unpack = _ITEM_HEADER.unpack_from
    pos, end = 0, len(data)
    while end - pos >= 4:
        item_type, reserved, length = unpack(data, pos)
        stop = pos + 4 + length
        if stop > end:
            raise _fail(
                f"item at offset {offset + pos} (type {item_type:#04x}) has length {length} "
                f"but {end - pos - 4} bytes remain",
                offset + pos,
            )
        append((item_type, reserved, data[pos + 4 : stop], offset + pos))
        pos = stop
    return items, data[pos:]


def _sub_items(data: bytes, offset: int, allowed: frozenset[int], what: str) -> list[AnyItem]:
    raw, trailing = walk_items(data, offset)
    if trailing:
        raise _fail(f"{len(trailing)} stray bytes at the end of the {what}", offset)
    return [decode_item(t, r, value, at, allowed) for t, r, value, at in raw]


_PC_SUBS: Final = frozenset({ABSTRACT_SYNTAX, TRANSFER_SYNTAX})
_UI_SUBS: Final = frozenset(range(MAXIMUM_LENGTH, USER_IDENTITY_AC + 1))
#: Item types known at the top level of an A-ASSOCIATE-RQ / -AC.
RQ_ITEMS: Final = frozenset({APPLICATION_CONTEXT, PRESENTATION_CONTEXT_RQ, USER_INFORMATION})
AC_ITEMS: Final = frozenset({APPLICATION_CONTEXT, PRESENTATION_CONTEXT_AC, USER_INFORMATION})


def decode_item(
    item_type: int, reserved: int, data: bytes, offset: int, allowed: frozenset[int]
) -> AnyItem:
    """Decode one item value; types outside ``allowed`` become :class:`UnknownItem`.

    ``offset`` is the item's offset in the PDU (for error messages). A known item whose value
    does not match its layout raises :class:`PDUDecodeError` (abort reason 6, PS3.8 Table 9-26).
    """
    if item_type not in allowed:
        return UnknownItem(item_type, data, reserved)
    inner = offset + 4
    if item_type == APPLICATION_CONTEXT:
        return ApplicationContextItem(text(data), reserved)
    if item_type == ABSTRACT_SYNTAX:
        return AbstractSyntaxSubItem(text(data), reserved)
    if item_type == TRANSFER_SYNTAX:
        return TransferSyntaxSubItem(text(data), reserved)
    if item_type in (PRESENTATION_CONTEXT_RQ, PRESENTATION_CONTEXT_AC):
        if len(data) < 4:
            raise _fail(f"presentation context item at offset {offset} is under 4 bytes", offset)
        context_id, b1, b2, b3 = _PC_HEADER.unpack_from(data, 0)
        what = f"presentation context item at offset {offset}"
        subs = tuple(
            s for s in _sub_items(data[4:], inner + 4, _PC_SUBS, what) if isinstance(s, _PC_TYPES)
        )
        if item_type == PRESENTATION_CONTEXT_RQ:
            return PresentationContextRQItem.from_sub_items(
                context_id, subs, reserved=reserved, reserved1=b1, reserved2=b2, reserved3=b3
            )
        return PresentationContextACItem.from_sub_items(
            context_id, b2, subs, reserved=reserved, reserved1=b1, reserved2=b3
        )
    if item_type == USER_INFORMATION:
        what = f"user information item at offset {offset}"
        subs_ui = _sub_items(data, inner, _UI_SUBS, what)
        return UserInformationItem(tuple(s for s in subs_ui if isinstance(s, _UI_TYPES)), reserved)
    return _decode_user_sub_item(item_type, reserved, data, offset)


def _decode_user_sub_item(item_type: int, reserved: int, data: bytes, offset: int) -> AnyItem:
    if item_type == IMPLEMENTATION_CLASS_UID:
        return ImplementationClassUIDSubItem(text(data), reserved)
    if item_type == IMPLEMENTATION_VERSION_NAME:
        return ImplementationVersionNameSubItem(text(data), reserved)
    if item_type == MAXIMUM_LENGTH:
        v = _body(_layout.MaximumLengthBody, data, "maximum length sub-item", offset)
        return MaximumLengthSubItem(v["maximum_length"], reserved)
    if item_type == ASYNCHRONOUS_OPERATIONS_WINDOW:
        v = _body(_layout.AsynchronousOperationsWindowBody, data, "async ops sub-item", offset)
        return AsynchronousOperationsWindowSubItem(
            v["max_operations_invoked"], v["max_operations_performed"], reserved
        )
    if item_type == SCP_SCU_ROLE_SELECTION:
        v = _body(_layout.SCPSCURoleSelectionBody, data, "role selection sub-item", offset)
        return SCPSCURoleSelectionSubItem(
            sop_class_uid=text(v["sop_class_uid"]),
            scu_role=v["scu_role"],
            scp_role=v["scp_role"],
            reserved=reserved,
        )
    if item_type == SOP_CLASS_EXTENDED_NEGOTIATION:
        v = _body(_layout.SOPClassExtendedNegotiationBody, data, "extended negotiation", offset)
        return SOPClassExtendedNegotiationSubItem(
            text(v["sop_class_uid"]), v["service_class_application_information"], reserved
        )
    if item_type == SOP_CLASS_COMMON_EXTENDED_NEGOTIATION:
        v = _body(
            _layout.SOPClassCommonExtendedNegotiationBody, data, "common ext. negotiation", offset
        )
        return SOPClassCommonExtendedNegotiationSubItem(
            sop_class_uid=text(v["sop_class_uid"]),
            service_class_uid=text(v["service_class_uid"]),
            related_general_sop_class_uids=tuple(
                text(u) for u in v["related_general_sop_class_uids"]["uids"]
            ),
            sub_item_version=reserved,
        )
    if item_type == USER_IDENTITY_RQ:
        v = _body(_layout.UserIdentityRQBody, data, "user identity sub-item", offset)
        return UserIdentityRQSubItem(
            user_identity_type=v["user_identity_type"],
            positive_response_requested=v["positive_response_requested"],
            primary_field=v["primary_field"],
            secondary_field=v["secondary_field"],
            reserved=reserved,
        )
    if item_type == USER_IDENTITY_AC:
        v = _body(_layout.UserIdentityACBody, data, "user identity sub-item", offset)
        return UserIdentityACSubItem(v["server_response"], reserved)
    return UnknownItem(item_type, data, reserved)  # pragma: no cover - callers pass known types


_PC_TYPES: Final = (AbstractSyntaxSubItem, TransferSyntaxSubItem, UnknownItem)
_UI_TYPES: Final = (
    MaximumLengthSubItem,
    ImplementationClassUIDSubItem,
    AsynchronousOperationsWindowSubItem,
    SCPSCURoleSelectionSubItem,
    ImplementationVersionNameSubItem,
    SOPClassExtendedNegotiationSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    UserIdentityRQSubItem,
    UserIdentityACSubItem,
    UnknownItem,
)
