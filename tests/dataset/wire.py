"""Hand-rolled PS3.5 encoding helpers for reader tests (independent of dicomnet's writer)."""

from __future__ import annotations

import struct

LONG = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
UNDEF = 0xFFFFFFFF
SHORT = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL"}
SHORT |= {"SS", "ST", "TM", "UI", "UL", "US"}


def element(
    tag: int,
    vr: str,
    value: bytes,
    *,
    implicit: bool = False,
    little: bool = True,
    length: int | None = None,
) -> bytes:
    """One element: header (PS3.5 §7.1.2/§7.1.3) then ``value``; ``length`` overrides the field."""
    e = "<" if little else ">"
    n = len(value) if length is None else length
    head = struct.pack(e + "HH", tag >> 16, tag & 0xFFFF)
    if implicit:
        return head + struct.pack(e + "L", n) + value
    if vr not in SHORT:  # the 4-byte form, also for unknown VRs
        return head + vr.encode("latin-1") + b"\0\0" + struct.pack(e + "L", n) + value
    return head + vr.encode() + struct.pack(e + "H", n) + value


def item(content: bytes, *, undefined: bool = False, little: bool = True) -> bytes:
    """An item (FFFE,E000) with defined length, or undefined length plus its delimiter."""
    e = "<" if little else ">"
    if undefined:
        return (
            struct.pack(e + "HHL", 0xFFFE, 0xE000, UNDEF)
            + content
            + struct.pack(e + "HHL", 0xFFFE, 0xE00D, 0)
        )
    return struct.pack(e + "HHL", 0xFFFE, 0xE000, len(content)) + content


def sequence(
    tag: int,
    items: list[bytes],
    *,
    undefined: bool = False,
    implicit: bool = False,
    little: bool = True,
    vr: str = "SQ",
) -> bytes:
    """A sequence element holding already-encoded ``items``."""
    e = "<" if little else ">"
    body = b"".join(items)
    if undefined:
        body += struct.pack(e + "HHL", 0xFFFE, 0xE0DD, 0)
        return element(tag, vr, body, implicit=implicit, little=little, length=UNDEF)
    return element(tag, vr, body, implicit=implicit, little=little)


def delimiter(tag: int, length: int = 0, little: bool = True) -> bytes:
    """A bare (FFFE,xxxx) header."""
    e = "<" if little else ">"
    return struct.pack(e + "HHL", tag >> 16, tag & 0xFFFF, length)
