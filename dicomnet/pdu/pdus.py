"""The seven PDUs of PS3.8 §9.3 as attrs values, with :func:`encode_pdu` and :func:`decode_pdu`.

Association-phase PDUs go through the strict construct layouts of ``_layout.py``; P-DATA-TF
through the hand-written ``pdata.py``. Every reserved field is a field (ignored on receipt,
settable for fuzzing). Tolerated oddities are decoded and reported rather than rejected: AE
titles that are all spaces or not ASCII (``warnings``), and bytes after the last item that are too
few to form an item header (``trailing``, which the encoder sends back).
"""

from __future__ import annotations

import struct
from typing import Any, Final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.errors import PDUDecodeError
from dicomnet.pdu import _layout
from dicomnet.pdu.exceptions import PDUEncodeError, encoder
from dicomnet.pdu.items import (
    AC_ITEMS,
    APPLICATION_CONTEXT,
    PRESENTATION_CONTEXT_AC,
    PRESENTATION_CONTEXT_RQ,
    RQ_ITEMS,
    USER_INFORMATION,
    AnyItem,
    ApplicationContextItem,
    AsynchronousOperationsWindowSubItem,
    PresentationContextACItem,
    PresentationContextRQItem,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UnknownItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
    UserInformationItem,
    decode_item,
    encode_item,
    item_value,
    raw_bytes,
    raw_text,
    text,
    walk_items,
)
from dicomnet.pdu.pdata import PDATA_TF, PDataTF, decode_pdata_tf, encode_pdata_parts

__all__ = [
    "PDU",
    "PDU_TYPES",
    "AAbort",
    "AAssociateAC",
    "AAssociateRJ",
    "AAssociateRQ",
    "AReleaseRP",
    "AReleaseRQ",
    "decode_pdu",
    "encode_pdu",
]

A_ASSOCIATE_RQ: Final = 0x01
A_ASSOCIATE_AC: Final = 0x02
A_ASSOCIATE_RJ: Final = 0x03
A_RELEASE_RQ: Final = 0x05
A_RELEASE_RP: Final = 0x06
A_ABORT: Final = 0x07
#: Every PDU-type of PS3.8 §9.3.1.
PDU_TYPES: Final = frozenset(
    {A_ASSOCIATE_RQ, A_ASSOCIATE_AC, A_ASSOCIATE_RJ, PDATA_TF, A_RELEASE_RQ, A_RELEASE_RP, A_ABORT}
)
_HEADER = struct.Struct(">BBL")
_UNRECOGNIZED_PDU: Final = 1
_INVALID_VALUE: Final = 6


def _application_context(
    value: ApplicationContextItem | str | None,
) -> ApplicationContextItem | None:
    return ApplicationContextItem(value) if isinstance(value, str) else value


class _UserInformationHelpers:
    """Common reads of the User Information item, shared by A-ASSOCIATE-RQ and -AC."""

    __slots__ = ()
    user_information: UserInformationItem | None

    @property
    def max_length(self) -> int | None:
        """Maximum Length (PS3.8 D.1): the largest P-DATA-TF PDU-length the sender accepts."""
        ui = self.user_information
        return None if ui is None else ui.maximum_length

    @property
    def implementation_class_uid(self) -> str | None:
        """Implementation Class UID (PS3.7 D.3.3.2), or ``None``."""
        ui = self.user_information
        return None if ui is None else ui.implementation_class_uid

    @property
    def implementation_version_name(self) -> str | None:
        """Implementation Version Name (PS3.7 D.3.3.2), or ``None``."""
        ui = self.user_information
        return None if ui is None else ui.implementation_version_name

    @property
    def asynchronous_operations_window(self) -> AsynchronousOperationsWindowSubItem | None:
        """Asynchronous Operations Window (PS3.7 D.3.3.3), or ``None``."""
        ui = self.user_information
        return None if ui is None else ui.asynchronous_operations_window

    @property
    def role_selections(self) -> tuple[SCPSCURoleSelectionSubItem, ...]:
        """SCP/SCU Role Selection sub-items (PS3.7 D.3.3.4)."""
        ui = self.user_information
        return () if ui is None else ui.role_selections

    @property
    def sop_class_extended_negotiations(self) -> tuple[SOPClassExtendedNegotiationSubItem, ...]:
        """SOP Class Extended Negotiation sub-items (PS3.7 D.3.3.5)."""
        ui = self.user_information
        return () if ui is None else ui.sop_class_extended_negotiations

    @property
    def sop_class_common_extended_negotiations(
        self,
    ) -> tuple[SOPClassCommonExtendedNegotiationSubItem, ...]:
        """SOP Class Common Extended Negotiation sub-items (PS3.7 D.3.3.6)."""
        ui = self.user_information
        return () if ui is None else ui.sop_class_common_extended_negotiations

    @property
    def user_identity(self) -> UserIdentityRQSubItem | UserIdentityACSubItem | None:
        """The User Identity sub-item (RQ form in a request, AC form in an accept), or ``None``."""
        ui = self.user_information
        if ui is None:
            return None
        return ui.user_identity_rq or ui.user_identity_ac


def _split_items(items: tuple[AnyItem, ...], pc_kind: type[Any]) -> dict[str, Any]:
    """Assign wire-ordered items to fields (first 10H/50H win; the rest are extra items)."""
    app: ApplicationContextItem | None = None
    pcs: list[Any] = []
    ui: UserInformationItem | None = None
    extra: list[UnknownItem] = []
    types: list[int] = []
    for item in items:
        if isinstance(item, ApplicationContextItem) and app is None:
            app, t = item, APPLICATION_CONTEXT
        elif isinstance(item, pc_kind):
            pcs.append(item)
            t = PRESENTATION_CONTEXT_RQ if pc_kind is PresentationContextRQItem else 0x21
        elif isinstance(item, UserInformationItem) and ui is None:
            ui, t = item, USER_INFORMATION
        elif isinstance(item, UnknownItem):
            t = item.item_type
            extra.append(item)
        else:  # a second application context / user information item
            t, reserved, data = item_value(item)
            extra.append(UnknownItem(t, data, reserved))
        types.append(t)
    canonical = (
        ([APPLICATION_CONTEXT] if app is not None else [])
        + [PRESENTATION_CONTEXT_RQ if pc_kind is PresentationContextRQItem else 0x21] * len(pcs)
        + ([USER_INFORMATION] if ui is not None else [])
        + [e.item_type for e in extra]
    )
    return {
        "application_context": app,
        "presentation_contexts": tuple(pcs),
        "user_information": ui,
        "extra_items": tuple(extra),
        "item_order": None if canonical == types else tuple(types),
    }


class _AssociateMixin(_UserInformationHelpers):
    __slots__ = ()
    application_context: ApplicationContextItem | None
    presentation_contexts: tuple[Any, ...]
    extra_items: tuple[UnknownItem, ...]
    item_order: tuple[int, ...] | None
    _PC_TYPE: int = 0

    def wire_items(self) -> list[AnyItem]:
        """The variable items in wire order (``item_order`` applied)."""
        app = [self.application_context] if self.application_context is not None else []
        pcs = list(self.presentation_contexts)
        ui = [self.user_information] if self.user_information is not None else []
        extra = list(self.extra_items)
        if self.item_order is None:
            return [*app, *pcs, *ui, *extra]
        out: list[AnyItem] = []
        for t in self.item_order:
            if t == APPLICATION_CONTEXT and app:
                out.append(app.pop())
            elif t == self._PC_TYPE and pcs:
                out.append(pcs.pop(0))
            elif t == USER_INFORMATION and ui:
                out.append(ui.pop())
            elif extra and extra[0].item_type == t:
                out.append(extra.pop(0))
            else:
                raise PDUEncodeError(f"item_order names item type {t!r} with no item left")
        if app or pcs or ui or extra:
            raise PDUEncodeError("item_order leaves items out")
        return out


_ASSOC_DOC = """

    ``item_order`` is ``None`` when the variable items are in the canonical order (application
    context, presentation contexts, user information, extra items); otherwise the item types in
    wire order, which the encoder follows. A second application context or user information
    item is kept in ``extra_items`` as an :class:`UnknownItem`. ``warnings`` (not compared) lists
    tolerated oddities found when decoding.
"""


@attrs.frozen(kw_only=True, repr=False)
class AAssociateRQ(_AssociateMixin):
    __doc__ = "A-ASSOCIATE-RQ PDU, type 01H (PS3.8 §9.3.2, Table 9-11)." + _ASSOC_DOC
    __repr__ = attrs_repr

    called_ae_title: str
    calling_ae_title: str
    application_context: ApplicationContextItem | None = attrs.field(
        default=ApplicationContextItem(), converter=_application_context
    )
    presentation_contexts: tuple[PresentationContextRQItem, ...] = ()
    user_information: UserInformationItem | None = None
    extra_items: tuple[UnknownItem, ...] = ()
    item_order: tuple[int, ...] | None = None
    protocol_version: int = 1
    reserved: int = 0
    reserved1: int = 0
    reserved2: bytes = bytes(32)
    trailing: bytes = b""
    warnings: tuple[str, ...] = attrs.field(default=(), eq=False)
    _PC_TYPE = PRESENTATION_CONTEXT_RQ

    @classmethod
    def from_items(cls, items: tuple[AnyItem, ...], **fields: Any) -> AAssociateRQ:
        """Build from variable items in wire order (sets ``item_order`` when not canonical)."""
        return cls(**_split_items(items, PresentationContextRQItem), **fields)


@attrs.frozen(kw_only=True, repr=False)
class AAssociateAC(_AssociateMixin):
    __doc__ = (
        "A-ASSOCIATE-AC PDU, type 02H (PS3.8 §9.3.3, Table 9-17); the AE titles are the "
        "RQ's echoed back." + _ASSOC_DOC
    )
    __repr__ = attrs_repr

    called_ae_title: str
    calling_ae_title: str
    application_context: ApplicationContextItem | None = attrs.field(
        default=ApplicationContextItem(), converter=_application_context
    )
    presentation_contexts: tuple[PresentationContextACItem, ...] = ()
    user_information: UserInformationItem | None = None
    extra_items: tuple[UnknownItem, ...] = ()
    item_order: tuple[int, ...] | None = None
    protocol_version: int = 1
    reserved: int = 0
    reserved1: int = 0
    reserved2: bytes = bytes(32)
    trailing: bytes = b""
    warnings: tuple[str, ...] = attrs.field(default=(), eq=False)
    _PC_TYPE = PRESENTATION_CONTEXT_AC

    @classmethod
    def from_items(cls, items: tuple[AnyItem, ...], **fields: Any) -> AAssociateAC:
        """Build from variable items in wire order (sets ``item_order`` when not canonical)."""
        return cls(**_split_items(items, PresentationContextACItem), **fields)


@attrs.frozen(repr=False)
class AAssociateRJ:
    """A-ASSOCIATE-RJ PDU, type 03H (PS3.8 §9.3.4, Table 9-21).

    ``result`` 1 permanent / 2 transient; ``source`` 1 service-user, 2 service-provider (ACSE),
    3 service-provider (presentation); ``reason`` per source (Table 9-21).
    """

    __repr__ = attrs_repr

    result: int
    source: int
    reason: int
    reserved: int = attrs.field(default=0, kw_only=True)
    reserved1: int = attrs.field(default=0, kw_only=True)
    trailing: bytes = attrs.field(default=b"", kw_only=True)


@attrs.frozen(kw_only=True, repr=False)
class AReleaseRQ:
    """A-RELEASE-RQ PDU, type 05H (PS3.8 §9.3.6, Table 9-24)."""

    __repr__ = attrs_repr

    reserved: int = 0
    reserved1: int = 0
    trailing: bytes = b""


@attrs.frozen(kw_only=True, repr=False)
class AReleaseRP:
    """A-RELEASE-RP PDU, type 06H (PS3.8 §9.3.7, Table 9-25)."""

    __repr__ = attrs_repr

    reserved: int = 0
    reserved1: int = 0
    trailing: bytes = b""


@attrs.frozen(repr=False)
class AAbort:
    """A-ABORT PDU, type 07H (PS3.8 §9.3.8, Table 9-26).

    ``source`` 0 service-user, 2 service-provider; ``reason`` (provider only) 0 not specified,
    1 unrecognized PDU, 2 unexpected PDU, 4 unrecognized PDU parameter, 5 unexpected PDU
    parameter, 6 invalid PDU parameter value.
    """

    __repr__ = attrs_repr

    source: int = 0
    reason: int = 0
    reserved: int = attrs.field(default=0, kw_only=True)
    reserved1: int = attrs.field(default=0, kw_only=True)
    reserved2: int = attrs.field(default=0, kw_only=True)
    trailing: bytes = attrs.field(default=b"", kw_only=True)


PDU = AAssociateRQ | AAssociateAC | AAssociateRJ | PDataTF | AReleaseRQ | AReleaseRP | AAbort

# --- encoding ----------------------------------------------------------------------------------


def _ae_title(value: str, what: str) -> bytes:
    raw = raw_text(value, what)
    if len(raw) > 16:
        raise PDUEncodeError(f"{what} {value!r} is longer than 16 bytes")
    return raw.ljust(16, b" ")


def _wrap(pdu_type: int, reserved: int, body: bytes) -> bytes:
    fields = {"pdu_type": pdu_type, "reserved": reserved, "body": body}
    return _layout.build_compiled(_layout.PDU, fields)


def _encode_associate(pdu: AAssociateRQ | AAssociateAC, pdu_type: int) -> bytes:
    reserved2 = raw_bytes(pdu.reserved2, "reserved2")
    if len(reserved2) != 32:  # checked by hand: the compiled build would not
        raise PDUEncodeError(f"reserved2 must be 32 bytes, not {len(reserved2)}")
    fixed = _layout.build_compiled(
        _layout.AAssociateFixed,
        {
            "protocol_version": pdu.protocol_version,
            "reserved1": pdu.reserved1,
            "called_ae_title": _ae_title(pdu.called_ae_title, "called AE title"),
            "calling_ae_title": _ae_title(pdu.calling_ae_title, "calling AE title"),
            "reserved2": reserved2,
        },
    )
    items = b"".join(encode_item(item) for item in pdu.wire_items())
    return _wrap(pdu_type, pdu.reserved, fixed + items + raw_bytes(pdu.trailing, "trailing"))


@encoder
def encode_pdu(pdu: PDU) -> bytes:
    """The wire bytes of a PDU (PS3.8 §9.3); lengths are computed.

    Raises :class:`~dicomnet.pdu.exceptions.PDUEncodeError` for a value the wire cannot hold.
    """
    build = _layout.build_compiled
    match pdu:
        case PDataTF():
            return b"".join(encode_pdata_parts(pdu))
        case AAssociateRQ():
            return _encode_associate(pdu, A_ASSOCIATE_RQ)
        case AAssociateAC():
            return _encode_associate(pdu, A_ASSOCIATE_AC)
        case AAssociateRJ():
            fields = {
                "reserved": pdu.reserved1,
                "result": pdu.result,
                "source": pdu.source,
                "reason": pdu.reason,
                "trailing": raw_bytes(pdu.trailing, "trailing"),
            }
            return _wrap(A_ASSOCIATE_RJ, pdu.reserved, build(_layout.AAssociateRJBody, fields))
        case AReleaseRQ() | AReleaseRP():
            fields = {"reserved": pdu.reserved1, "trailing": raw_bytes(pdu.trailing, "trailing")}
            pdu_type = A_RELEASE_RQ if isinstance(pdu, AReleaseRQ) else A_RELEASE_RP
            return _wrap(pdu_type, pdu.reserved, build(_layout.AReleaseBody, fields))
        case AAbort():
            fields = {
                "reserved1": pdu.reserved1,
                "reserved2": pdu.reserved2,
                "source": pdu.source,
                "reason": pdu.reason,
                "trailing": raw_bytes(pdu.trailing, "trailing"),
            }
            return _wrap(A_ABORT, pdu.reserved, build(_layout.AAbortBody, fields))
    raise PDUEncodeError(f"not a PDU: {pdu!r}")


# --- decoding ----------------------------------------------------------------------------------


def _error(message: str, pdu_type: int, offset: int | None, reason: int) -> PDUDecodeError:
    return PDUDecodeError(message, offset=offset, pdu_type=pdu_type, abort_reason=reason)


def _parse(layout: Any, body: memoryview, pdu_type: int, what: str) -> dict[str, Any]:
    try:
        return _layout.parse(layout, body)
    except _layout.LayoutError as exc:
        raise _error(f"malformed {what}: {exc}", pdu_type, 6, _INVALID_VALUE) from None


def _decode_ae_title(raw: bytes, what: str, warnings: list[str]) -> str:
    if raw.strip(b" ") == b"":
        warnings.append(f"{what} is all spaces")
    if any(b > 0x7E or b < 0x20 for b in raw):
        warnings.append(f"{what} has bytes outside printable ASCII: {raw!r}")
    return text(raw).rstrip(" ")


def _decode_associate(body: memoryview, pdu_type: int, reserved: int) -> PDU:
    name = "A-ASSOCIATE-RQ" if pdu_type == A_ASSOCIATE_RQ else "A-ASSOCIATE-AC"
    if len(body) < 68:
        raise _error(f"{name} body of {len(body)} bytes is under 68", pdu_type, 6, _INVALID_VALUE)
    v = _parse(_layout.AAssociateFixed, body[:68], pdu_type, name)
    allowed = RQ_ITEMS if pdu_type == A_ASSOCIATE_RQ else AC_ITEMS
    items: list[AnyItem] = []
    seen: set[int] = set()
    try:
        raw_items, trailing = walk_items(bytes(body[68:]), 74)
        for t, r, value, offset in raw_items:
            if t in (APPLICATION_CONTEXT, USER_INFORMATION):
                items.append(decode_item(t, r, value, offset, allowed - seen))
                seen.add(t)
            else:
                items.append(decode_item(t, r, value, offset, allowed))
    except PDUDecodeError as exc:
        exc.pdu_type = pdu_type
        raise
    warnings: list[str] = []
    called = _decode_ae_title(v["called_ae_title"], "called AE title", warnings)
    calling = _decode_ae_title(v["calling_ae_title"], "calling AE title", warnings)
    if trailing:
        warnings.append(f"{len(trailing)} trailing bytes after the last item")
    fields: dict[str, Any] = {
        "called_ae_title": called,
        "calling_ae_title": calling,
        "protocol_version": v["protocol_version"],
        "reserved": reserved,
        "reserved1": v["reserved1"],
        "reserved2": v["reserved2"],
        "trailing": trailing,
        "warnings": tuple(warnings),
    }
    if pdu_type == A_ASSOCIATE_RQ:
        return AAssociateRQ.from_items(tuple(items), **fields)
    return AAssociateAC.from_items(tuple(items), **fields)


def _decode_fixed(body: memoryview, pdu_type: int, reserved: int) -> PDU:
    if len(body) < 4:
        raise _error(f"PDU body of {len(body)} bytes is under 4", pdu_type, 6, _INVALID_VALUE)
    if pdu_type == A_ASSOCIATE_RJ:
        v = _parse(_layout.AAssociateRJBody, body, pdu_type, "A-ASSOCIATE-RJ")
        return AAssociateRJ(
            v["result"],
            v["source"],
            v["reason"],
            reserved=reserved,
            reserved1=v["reserved"],
            trailing=v["trailing"],
        )
    if pdu_type == A_ABORT:
        v = _parse(_layout.AAbortBody, body, pdu_type, "A-ABORT")
        return AAbort(
            v["source"],
            v["reason"],
            reserved=reserved,
            reserved1=v["reserved1"],
            reserved2=v["reserved2"],
            trailing=v["trailing"],
        )
    v = _parse(_layout.AReleaseBody, body, pdu_type, "A-RELEASE")
    kind = AReleaseRQ if pdu_type == A_RELEASE_RQ else AReleaseRP
    return kind(reserved=reserved, reserved1=v["reserved"], trailing=v["trailing"])


def check_header(data: bytes | bytearray | memoryview, offset: int = 0) -> tuple[int, int, int]:
    """``(pdu_type, reserved, pdu_length)`` of the 6-byte header at ``offset``.

    The caller guarantees 6 bytes are there.

    Raises :class:`PDUDecodeError` with abort reason 1 (unrecognized PDU, PS3.8 Table 9-26).
    """
    pdu_type, reserved, length = _HEADER.unpack_from(data, offset)
    if pdu_type not in PDU_TYPES:
        raise _error(f"unrecognized PDU type {pdu_type:#04x}", pdu_type, 0, _UNRECOGNIZED_PDU)
    return pdu_type, reserved, length


def decode_pdu(data: bytes | memoryview) -> PDU:
    """Decode exactly one PDU (PS3.8 §9.3); raises :class:`PDUDecodeError` and nothing else.

    P-DATA-TF PDV data are ``memoryview`` slices of ``data`` (pass immutable bytes, or copy).
    """
    if type(data) is bytes:
        view = memoryview(data)
    elif type(data) is memoryview and data.format == "B" and data.c_contiguous:
        view = data
    else:
        try:
            view = memoryview(data).cast("B")
        except (TypeError, ValueError) as exc:
            raise PDUDecodeError(f"not a byte buffer: {exc}") from None
    if len(view) >= 6:  # fast path: a well-framed P-DATA-TF
        pdu_type, reserved, length = _HEADER.unpack_from(view, 0)
        if pdu_type == PDATA_TF and length == len(view) - 6:
            return decode_pdata_tf(view, reserved)
    if len(view) < 6:
        raise PDUDecodeError(
            f"{len(view)} bytes are too few for a PDU header", offset=0, abort_reason=_INVALID_VALUE
        )
    pdu_type, reserved, length = check_header(view)
    if length != len(view) - 6:
        raise _error(
            f"PDU-length {length} does not match the {len(view) - 6} bytes after the header",
            pdu_type,
            2,
            _INVALID_VALUE,
        )
    if pdu_type == PDATA_TF:
        return decode_pdata_tf(view, reserved)
    body = view[6:]
    if pdu_type in (A_ASSOCIATE_RQ, A_ASSOCIATE_AC):
        return _decode_associate(body, pdu_type, reserved)
    return _decode_fixed(body, pdu_type, reserved)
