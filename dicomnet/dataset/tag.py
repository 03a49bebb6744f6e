"""Data element tags (PS3.5 §7.1): a tag is a plain ``int`` ``(group << 16) | element``.

Helpers to build, split, format and classify tags, and the item/delimiter tags of PS3.5 §7.5.
"""

from __future__ import annotations

import re

__all__ = [
    "FILE_META_GROUP",
    "ITEM",
    "ITEM_DELIMITATION_ITEM",
    "PIXEL_DATA",
    "SEQUENCE_DELIMITATION_ITEM",
    "SPECIFIC_CHARACTER_SET",
    "Tag",
    "element_of",
    "format_tag",
    "group_of",
    "is_group_length",
    "is_private",
    "is_private_creator",
    "make_tag",
    "parse_tag",
    "private_creator_tag",
]

Tag = int
"""A data element tag: ``(group << 16) | element`` (PS3.5 §7.1.1)."""

ITEM = 0xFFFEE000
"""Item (FFFE,E000), PS3.5 §7.5."""
ITEM_DELIMITATION_ITEM = 0xFFFEE00D
"""Item Delimitation Item (FFFE,E00D), PS3.5 §7.5."""
SEQUENCE_DELIMITATION_ITEM = 0xFFFEE0DD
"""Sequence Delimitation Item (FFFE,E0DD), PS3.5 §7.5."""
PIXEL_DATA = 0x7FE00010
"""Pixel Data (7FE0,0010)."""
SPECIFIC_CHARACTER_SET = 0x00080005
"""Specific Character Set (0008,0005), PS3.5 §6.1.2.5."""
FILE_META_GROUP = 0x0002
"""Group of the File Meta Information (PS3.10 §7.1)."""

_TAG_TEXT = r"^\(?\s*([0-9A-Fa-f]{4})\s*,\s*([0-9A-Fa-f]{4})\s*\)?$"  # compiled on first use


def make_tag(group: int, element: int) -> int:
    """The tag ``(group, element)``; both must fit in 16 bits."""
    if not (0 <= group <= 0xFFFF and 0 <= element <= 0xFFFF):
        raise ValueError(f"group/element out of range: {group:#x}, {element:#x}")
    return (group << 16) | element


def group_of(tag: int) -> int:
    """Group number of ``tag``."""
    return tag >> 16


def element_of(tag: int) -> int:
    """Element number of ``tag``."""
    return tag & 0xFFFF


def format_tag(tag: int) -> str:
    """``(GGGG,EEEE)`` in upper-case hex, as PS3.6 and DCMTK print tags."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def parse_tag(value: int | str | tuple[int, int]) -> int:
    """A tag from an int, a ``(group, element)`` pair, or text ``"(0010,0020)"``/``"00100020"``."""
    if isinstance(value, int):
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"tag out of range: {value:#x}")
        return value
    if isinstance(value, tuple):
        return make_tag(value[0], value[1])
    text = value.strip()
    m = re.match(_TAG_TEXT, text)
    if m:
        return make_tag(int(m.group(1), 16), int(m.group(2), 16))
    if len(text) == 8 and all(c in "0123456789abcdefABCDEF" for c in text):
        return int(text, 16)
    raise ValueError(f"not a tag: {value!r}")


def is_private(tag: int) -> bool:
    """True for a tag in an odd group (PS3.5 §7.8), except groups 0001, 0003, 0005, 0007, FFFF."""
    group = tag >> 16
    return bool(group & 1) and group not in (0x0001, 0x0003, 0x0005, 0x0007, 0xFFFF)


def is_private_creator(tag: int) -> bool:
    """True for a Private Creator element (gggg,0010-00FF) with gggg odd (PS3.5 §7.8.1)."""
    return is_private(tag) and 0x0010 <= (tag & 0xFFFF) <= 0x00FF


def private_creator_tag(tag: int) -> int | None:
    """The Private Creator tag reserving the block of private ``tag`` (PS3.5 §7.8.1).

    ``(gggg,xxyy)`` with ``xx`` in 10-FF is reserved by ``(gggg,00xx)``; None for tags that are not
    private data elements (public tags, creators themselves, private group lengths).
    """
    if not is_private(tag):
        return None
    block = (tag & 0xFFFF) >> 8
    if block < 0x10:
        return None
    return (tag & 0xFFFF0000) | block


def is_group_length(tag: int) -> bool:
    """True for a Group Length element (gggg,0000), PS3.5 §7.2."""
    return (tag & 0xFFFF) == 0 and tag >> 16 != 0xFFFE
