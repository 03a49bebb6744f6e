"""construct declarations of the PS3.8 §9.3 PDUs and items: the only module importing construct.

Two families of layouts live here:

* **Strict** layouts parse untrusted bytes. They are never compiled, every length is a
  ``Prefixed`` field (so construct recomputes it on build and checks it on parse), and every
  struct that must use all of its bytes ends with ``Terminated``.
* **Loose** layouts build bytes for fuzzing: each length field is a plain ``Int16ub``/``Int32ub``
  that the caller sets, so it can be wrong on purpose (DESIGN §3.8).

The P-DATA-TF declaration (:data:`PDATA_BODY`) is the oracle of the hand-written fast path in
``pdata.py``; the two are compared by a differential test.

Other modules call :func:`parse` and :func:`build`, which turn construct's exceptions into
:class:`LayoutError` / :class:`~dicomnet.pdu.exceptions.PDUEncodeError` and construct
``Container`` objects into plain dicts, so construct types never leave this module.
"""

from __future__ import annotations

import reprlib
import struct
from typing import Any

import construct as cs

from dicomnet.pdu.exceptions import PDUEncodeError

__all__ = [
    "COMPILE_AFTER",
    "PDATA_BODY",
    "PDU",
    "AAbortBody",
    "AAssociateBody",
    "AAssociateFixed",
    "AAssociateRJBody",
    "AReleaseBody",
    "AsynchronousOperationsWindowBody",
    "Item",
    "ItemRun",
    "LayoutError",
    "LooseItem",
    "LoosePDU",
    "MaximumLengthBody",
    "PDUHeader",
    "PresentationContextACBody",
    "PresentationContextRQBody",
    "SCPSCURoleSelectionBody",
    "SOPClassCommonExtendedNegotiationBody",
    "SOPClassExtendedNegotiationBody",
    "UserIdentityACBody",
    "UserIdentityRQBody",
    "build",
    "build_compiled",
    "compiled",
    "parse",
    "precompile_layouts",
]

Layout = Any  # construct.Construct[...]: construct-typing generics are not worth spelling here


class LayoutError(Exception):
    """A strict layout rejected its input; ``offset`` is relative to the parsed buffer."""

    def __init__(self, message: str, offset: int | None) -> None:
        super().__init__(message)
        self.offset = offset


# --- common pieces --------------------------------------------------------------------------

#: Item and sub-item header (PS3.8 §9.3.2.1 ff.): type, reserved, 16-bit length, value.
Item: Layout = cs.Struct(
    "item_type" / cs.Int8ub,
    "reserved" / cs.Int8ub,
    "data" / cs.Prefixed(cs.Int16ub, cs.GreedyBytes),
)

#: A run of items followed by whatever could not be read as an item: the oracle of
#: ``items.walk_items`` (the hand-written walker that the decoder uses).
ItemRun: Layout = cs.Struct(
    "variable_items" / cs.GreedyRange(Item),
    "trailing" / cs.GreedyBytes,
    cs.Terminated,
)

_Uid16: Layout = cs.Prefixed(cs.Int16ub, cs.GreedyBytes)

# --- PDUs (PS3.8 Tables 9-11 to 9-26) -------------------------------------------------------

#: The 6-byte PDU header: PDU-type, reserved, PDU-length (PS3.8 §9.3.1).
PDUHeader: Layout = cs.Struct(
    "pdu_type" / cs.Int8ub,
    "reserved" / cs.Int8ub,
    "length" / cs.Int32ub,
)

#: A whole PDU: header with its PDU-length recomputed from the body.
PDU: Layout = cs.Struct(
    "pdu_type" / cs.Int8ub,
    "reserved" / cs.Int8ub,
    "body" / cs.Prefixed(cs.Int32ub, cs.GreedyBytes),
    cs.Terminated,
)

#: The fixed part of an A-ASSOCIATE-RQ / -AC body (PS3.8 Tables 9-11 and 9-17).
AAssociateFixed: Layout = cs.Struct(
    "protocol_version" / cs.Int16ub,
    "reserved1" / cs.Int16ub,
    "called_ae_title" / cs.Bytes(16),
    "calling_ae_title" / cs.Bytes(16),
    "reserved2" / cs.Bytes(32),
    cs.Terminated,
)

#: A-ASSOCIATE-RQ / -AC body after the header (PS3.8 Tables 9-11 and 9-17); builds the body, and
#: is the parse oracle of ``AAssociateFixed`` + ``items.walk_items``.
AAssociateBody: Layout = cs.Struct(
    "protocol_version" / cs.Int16ub,
    "reserved1" / cs.Int16ub,
    "called_ae_title" / cs.Bytes(16),
    "calling_ae_title" / cs.Bytes(16),
    "reserved2" / cs.Bytes(32),
    "variable_items" / cs.GreedyRange(Item),
    "trailing" / cs.GreedyBytes,
    cs.Terminated,
)

#: A-ASSOCIATE-RJ body (PS3.8 Table 9-21).
AAssociateRJBody: Layout = cs.Struct(
    "reserved" / cs.Int8ub,
    "result" / cs.Int8ub,
    "source" / cs.Int8ub,
    "reason" / cs.Int8ub,
    "trailing" / cs.GreedyBytes,
    cs.Terminated,
)

#: A-RELEASE-RQ / -RP body (PS3.8 Tables 9-24 and 9-25).
AReleaseBody: Layout = cs.Struct(
    "reserved" / cs.Int32ub,
    "trailing" / cs.GreedyBytes,
    cs.Terminated,
)

#: A-ABORT body (PS3.8 Table 9-26).
AAbortBody: Layout = cs.Struct(
    "reserved1" / cs.Int8ub,
    "reserved2" / cs.Int8ub,
    "source" / cs.Int8ub,
    "reason" / cs.Int8ub,
    "trailing" / cs.GreedyBytes,
    cs.Terminated,
)

#: Presentation Data Value item (PS3.8 §9.3.5.1) with its message control header (Annex E.2).
PDV: Layout = cs.Struct(
    "data"
    / cs.Prefixed(
        cs.Int32ub,
        cs.Struct(
            "context_id" / cs.Int8ub,
            "control" / cs.Int8ub,
            "value" / cs.GreedyBytes,
        ),
    ),
)

#: P-DATA-TF body (PS3.8 Table 9-22): the oracle of the hand-written ``pdata.py``.
PDATA_BODY: Layout = cs.Struct(
    "pdvs" / cs.GreedyRange(PDV),
    "trailing" / cs.GreedyBytes,
    cs.Terminated,
)

# --- item bodies (PS3.8 §9.3.2.2 ff., PS3.7 Annex D.3.3) -----------------------------------

#: Presentation Context item value in an A-ASSOCIATE-RQ (PS3.8 Table 9-13).
PresentationContextRQBody: Layout = cs.Struct(
    "context_id" / cs.Int8ub,
    "reserved1" / cs.Int8ub,
    "reserved2" / cs.Int8ub,
    "reserved3" / cs.Int8ub,
    "sub_items" / cs.GreedyRange(Item),
    cs.Terminated,
)

#: Presentation Context item value in an A-ASSOCIATE-AC (PS3.8 Table 9-18).
PresentationContextACBody: Layout = cs.Struct(
    "context_id" / cs.Int8ub,
    "reserved1" / cs.Int8ub,
    "result" / cs.Int8ub,
    "reserved2" / cs.Int8ub,
    "sub_items" / cs.GreedyRange(Item),
    cs.Terminated,
)

#: User Information item value: a run of sub-items (PS3.8 Table 9-16).
UserInformationBody: Layout = cs.Struct(
    "sub_items" / cs.GreedyRange(Item),
    cs.Terminated,
)

#: Maximum Length sub-item value (PS3.8 Table D.3-1).
MaximumLengthBody: Layout = cs.Struct("maximum_length" / cs.Int32ub, cs.Terminated)

#: Asynchronous Operations Window sub-item value (PS3.7 Table D.3-7).
AsynchronousOperationsWindowBody: Layout = cs.Struct(
    "max_operations_invoked" / cs.Int16ub,
    "max_operations_performed" / cs.Int16ub,
    cs.Terminated,
)

#: SCP/SCU Role Selection sub-item value (PS3.7 Table D.3-9).
SCPSCURoleSelectionBody: Layout = cs.Struct(
    "sop_class_uid" / _Uid16,
    "scu_role" / cs.Int8ub,
    "scp_role" / cs.Int8ub,
    cs.Terminated,
)

#: SOP Class Extended Negotiation sub-item value (PS3.7 Table D.3-11).
SOPClassExtendedNegotiationBody: Layout = cs.Struct(
    "sop_class_uid" / _Uid16,
    "service_class_application_information" / cs.GreedyBytes,
    cs.Terminated,
)

#: SOP Class Common Extended Negotiation sub-item value (PS3.7 Table D.3-12, D.3-13).
SOPClassCommonExtendedNegotiationBody: Layout = cs.Struct(
    "sop_class_uid" / _Uid16,
    "service_class_uid" / _Uid16,
    "related_general_sop_class_uids"
    / cs.Prefixed(cs.Int16ub, cs.Struct("uids" / cs.GreedyRange(_Uid16), cs.Terminated)),
    cs.Terminated,
)

#: User Identity Negotiation sub-item value in an A-ASSOCIATE-RQ (PS3.7 Table D.3-14).
UserIdentityRQBody: Layout = cs.Struct(
    "user_identity_type" / cs.Int8ub,
    "positive_response_requested" / cs.Int8ub,
    "primary_field" / _Uid16,
    "secondary_field" / _Uid16,
    cs.Terminated,
)

#: User Identity Negotiation sub-item value in an A-ASSOCIATE-AC (PS3.7 Table D.3-15).
UserIdentityACBody: Layout = cs.Struct("server_response" / _Uid16, cs.Terminated)

# --- loose layouts for fuzzing (lengths set by the caller) ----------------------------------

#: An item whose item-length is whatever the caller says.
LooseItem: Layout = cs.Struct(
    "item_type" / cs.Int8ub,
    "reserved" / cs.Int8ub,
    "length" / cs.Int16ub,
    "value" / cs.GreedyBytes,
)

#: A PDU whose PDU-length is whatever the caller says.
LoosePDU: Layout = cs.Struct(
    "pdu_type" / cs.Int8ub,
    "reserved" / cs.Int8ub,
    "length" / cs.Int32ub,
    "body" / cs.GreedyBytes,
)

COMPILE_AFTER = 32
"""Builds of a layout with the plain construct before :func:`build_compiled` compiles it.

Compiling a flat layout costs 0.5-1 ms of CPU and saves 10-20 µs per build (DESIGN §1.7), so it
pays off only after a few dozen builds: a command that sends a handful of association PDUs never
compiles anything (about 2.5 ms less before its first PDU), a server compiles its layouts once
they are in steady use or up front with :func:`precompile_layouts`."""

_COMPILED: dict[int, Layout] = {}
_BUILDS: dict[int, tuple[Layout, int]] = {}  # id(layout) -> (layout, plain builds so far)


def _plain(obj: Any) -> Any:
    """Turn construct Containers/ListContainers into dicts/lists (drops the ``_io`` keys)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 80


def _short(value: object) -> str:
    return _REPR.repr(value) if not isinstance(value, BaseException) else _REPR.repr(str(value))


def parse(layout: Layout, data: bytes | memoryview) -> dict[str, Any]:
    """Parse ``data`` with a strict (non-compiled) layout; raise :class:`LayoutError`."""
    try:
        result = layout.parse(bytes(data))
    except cs.ConstructError as exc:
        offset = None
        message = str(exc)
        raise LayoutError(
            message.splitlines()[0] if message else type(exc).__name__, offset
        ) from None
    plain = _plain(result)
    if not isinstance(plain, dict):  # pragma: no cover - every strict layout is a Struct
        raise LayoutError("layout did not produce a struct", None)
    return plain


def build(layout: Layout, value: dict[str, Any]) -> bytes:
    """Build bytes with a layout; out-of-range values raise :class:`PDUEncodeError`."""
    try:
        out = layout.build(value)
    except (cs.ConstructError, struct.error, OverflowError, TypeError, ValueError) as exc:
        raise PDUEncodeError(f"cannot encode {_short(value)}: {_short(exc)}") from None
    return bytes(out)


def compiled(layout: Layout) -> Layout:
    """The compiled form of a flat layout, compiled on the first call (DESIGN §3.8)."""
    form = _COMPILED.get(id(layout))
    if form is None:
        form = _COMPILED[id(layout)] = layout.compile()
        _BUILDS.pop(id(layout), None)
    return form


def precompile_layouts() -> int:
    """Compile every layout :func:`build_compiled` has built so far (a server's warm-up, after
    one association in memory); return how many were compiled now."""
    pending = [layout for layout, _count in list(_BUILDS.values())]
    for layout in pending:
        compiled(layout)
    return len(pending)


def build_compiled(layout: Layout, value: dict[str, Any]) -> bytes:
    """Build with the compiled form of a flat layout (measured faster; tested equal to plain),
    once the layout has been built :data:`COMPILE_AFTER` times with the plain one."""
    form = _COMPILED.get(id(layout))
    if form is None:
        count = _BUILDS.get(id(layout), (layout, 0))[1] + 1
        if count < COMPILE_AFTER:
            _BUILDS[id(layout)] = (layout, count)
            return build(layout, value)
        form = compiled(layout)
    try:
        out = form.build(value)
    except (cs.ConstructError, struct.error, OverflowError, TypeError, ValueError) as exc:
        raise PDUEncodeError(f"cannot encode {_short(value)}: {_short(exc)}") from None
    return bytes(out)
