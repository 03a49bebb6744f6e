"""The loose building path: PDUs whose every length can be wrong on purpose (for fuzzing).

A :class:`LoosePDU` is a PDU header plus a body made of raw ``bytes`` and loose items; each
:class:`LooseItem` / :class:`LoosePDV` is a header plus parts. Every length field is ``None``
(computed, correct) or an ``int`` written as given, whatever the content. Encoding uses the loose
construct layouts of ``_layout.py``, whose length fields are plain ``Int16ub``/``Int32ub``.

:func:`to_loose` turns any valid PDU into its loose tree, so a fuzzer starts from a real PDU and
changes one field with ``attrs.evolve``::

    tree = to_loose(rq)
    bad = attrs.evolve(tree, length=tree_length + 7)
    wire = encode_loose(bad)
"""

from __future__ import annotations

import struct

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.pdu import _layout
from dicomnet.pdu.exceptions import PDUEncodeError, encoder
from dicomnet.pdu.items import (
    AnyItem,
    PresentationContextACItem,
    PresentationContextRQItem,
    UserInformationItem,
    item_value,
)
from dicomnet.pdu.pdata import PDataTF
from dicomnet.pdu.pdus import PDU, AAssociateAC, AAssociateRQ, encode_pdu

__all__ = ["LooseItem", "LoosePDU", "LoosePDV", "encode_loose", "to_loose"]


@attrs.frozen(repr=False, kw_only=True)
class LooseItem:
    """An item or sub-item: type, reserved byte, 16-bit item-length (``None`` = computed), parts."""

    __repr__ = attrs_repr

    item_type: int
    parts: tuple[bytes | LooseItem, ...] = ()
    reserved: int = 0
    length: int | None = None


@attrs.frozen(repr=False, kw_only=True)
class LoosePDV:
    """A PDV item: 32-bit item-length (``None`` = computed), context ID, control byte, data."""

    __repr__ = attrs_repr

    context_id: int
    control: int
    data: bytes = b""
    length: int | None = None


@attrs.frozen(repr=False, kw_only=True)
class LoosePDU:
    """A PDU: type, reserved byte, 32-bit PDU-length (``None`` = computed), body parts."""

    __repr__ = attrs_repr

    pdu_type: int
    parts: tuple[bytes | LooseItem | LoosePDV, ...] = ()
    reserved: int = 0
    length: int | None = None


def _part(part: bytes | LooseItem | LoosePDV) -> bytes:
    if isinstance(part, LooseItem):
        value = b"".join(_part(p) for p in part.parts)
        length = len(value) if part.length is None else part.length
        fields = {
            "item_type": part.item_type,
            "reserved": part.reserved,
            "length": length,
            "value": value,
        }
        return _layout.build(_layout.LooseItem, fields)
    if isinstance(part, LoosePDV):
        length = len(part.data) + 2 if part.length is None else part.length
        try:
            head = struct.pack(">LBB", length, part.context_id, part.control)
        except struct.error as exc:
            raise PDUEncodeError(f"cannot encode {part!r}: {exc}") from None
        return head + bytes(part.data)
    return bytes(part)


@encoder
def encode_loose(pdu: LoosePDU | LooseItem | LoosePDV) -> bytes:
    """The bytes of a loose tree: given lengths are written as they are, ``None`` computed."""
    if not isinstance(pdu, LoosePDU):
        return _part(pdu)
    body = b"".join(_part(p) for p in pdu.parts)
    length = len(body) if pdu.length is None else pdu.length
    fields = {"pdu_type": pdu.pdu_type, "reserved": pdu.reserved, "length": length, "body": body}
    return _layout.build(_layout.LoosePDU, fields)


def _loose_item(item: AnyItem) -> LooseItem:
    item_type, reserved, value = item_value(item)
    if isinstance(item, PresentationContextRQItem | PresentationContextACItem):
        subs = tuple(_loose_item(s) for s in item.wire_sub_items())
        return LooseItem(item_type=item_type, reserved=reserved, parts=(value[:4], *subs))
    if isinstance(item, UserInformationItem):
        subs = tuple(_loose_item(s) for s in item.sub_items)
        return LooseItem(item_type=item_type, reserved=reserved, parts=subs)
    return LooseItem(item_type=item_type, reserved=reserved, parts=(value,))


@encoder
def to_loose(pdu: PDU) -> LoosePDU:
    """The loose tree of a PDU; ``encode_loose(to_loose(p)) == encode_pdu(p)``."""
    wire = encode_pdu(pdu)
    pdu_type, reserved = wire[0], wire[1]
    parts: list[bytes | LooseItem | LoosePDV] = []
    if isinstance(pdu, AAssociateRQ | AAssociateAC):
        parts.append(wire[6:74])
        parts.extend(_loose_item(i) for i in pdu.wire_items())
    elif isinstance(pdu, PDataTF):
        parts.extend(
            LoosePDV(context_id=p.context_id, control=p.message_control_header, data=bytes(p.data))
            for p in pdu.pdvs
        )
    else:
        parts.append(wire[6 : len(wire) - len(pdu.trailing)])
    if pdu.trailing:
        parts.append(bytes(pdu.trailing))
    return LoosePDU(pdu_type=pdu_type, reserved=reserved, parts=tuple(parts))
