"""Encapsulated Pixel Data (PS3.5 §A.4): items of fragments, kept and never decoded.

An encapsulated Pixel Data element has undefined length; its value is a sequence of items
``(FFFE,E000)``: the first is the Basic Offset Table (possibly empty), each following one a
fragment of compressed data, closed by a Sequence Delimitation Item ``(FFFE,E0DD)``.

In dicomnet the decoded value of such an element is the bytes of the items (headers included) up to
but excluding the Sequence Delimitation Item. This module scans that structure (for the reader),
iterates it (:func:`iter_items`, :func:`basic_offset_table`, :func:`fragments`) and builds it
(:func:`encapsulate`).
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterable, Iterator, Sequence

from dicomnet.dataset.tag import ITEM, SEQUENCE_DELIMITATION_ITEM
from dicomnet.errors import DatasetDecodeError

__all__ = [
    "basic_offset_table",
    "encapsulate",
    "fragments",
    "frames",
    "iter_items",
    "scan_items",
]

_HEADER = {True: struct.Struct("<HHL"), False: struct.Struct(">HHL")}
_ITEM_BYTES = {True: struct.pack("<HH", 0xFFFE, 0xE000), False: struct.pack(">HH", 0xFFFE, 0xE000)}
_LE_UL = struct.Struct("<L")


def scan_items(
    buf: memoryview, pos: int, end: int, little_endian: bool = True, tag: int = 0
) -> int:
    """Walk items from ``pos`` to the Sequence Delimitation Item; return the delimiter's offset.

    Raises :class:`DatasetDecodeError` (with ``tag`` and the offset) on a truncated item, an item
    length past ``end``, an undefined-length item, or any tag other than an item or the delimiter.
    """
    unpack = _HEADER[little_endian].unpack_from
    while True:
        if pos + 8 > end:
            raise DatasetDecodeError(
                "encapsulated data ends without a Sequence Delimitation Item", offset=pos, tag=tag
            )
        group, element, length = unpack(buf, pos)
        item_tag = (group << 16) | element
        if item_tag == SEQUENCE_DELIMITATION_ITEM:
            return pos
        if item_tag != ITEM:
            raise DatasetDecodeError(
                f"expected an item in encapsulated data, found ({group:04X},{element:04X})",
                offset=pos,
                tag=tag,
            )
        if length == 0xFFFFFFFF:
            raise DatasetDecodeError("fragment with undefined length", offset=pos, tag=tag)
        if pos + 8 + length > end:
            raise DatasetDecodeError(
                f"fragment length {length} runs past the end", offset=pos, tag=tag
            )
        pos += 8 + length


def iter_items(value: bytes | memoryview, little_endian: bool = True) -> Iterator[memoryview]:
    """The item values (no headers) of an encapsulated value, Basic Offset Table first.

    ``value`` is the item sequence as held in ``DataElement.value``; a trailing Sequence
    Delimitation Item, if present, ends the iteration.
    """
    buf = memoryview(value)
    end = len(buf)
    unpack = _HEADER[little_endian].unpack_from
    pos = 0
    while pos < end:
        if pos + 8 > end:
            raise DatasetDecodeError("truncated item header in encapsulated data", offset=pos)
        group, element, length = unpack(buf, pos)
        item_tag = (group << 16) | element
        if item_tag == SEQUENCE_DELIMITATION_ITEM:
            return
        if item_tag != ITEM or length == 0xFFFFFFFF or pos + 8 + length > end:
            raise DatasetDecodeError("malformed item in encapsulated data", offset=pos)
        yield buf[pos + 8 : pos + 8 + length]
        pos += 8 + length


def basic_offset_table(value: bytes | memoryview) -> list[int]:
    """The Basic Offset Table entries (PS3.5 §A.4, Table A.4-1); empty when the table is empty."""
    first = next(iter_items(value), None)
    if first is None:
        return []
    count, rest = divmod(len(first), 4)
    if rest:
        raise DatasetDecodeError(f"Basic Offset Table length {len(first)} is not a multiple of 4")
    return list(struct.unpack_from(f"<{count}L", first))


def fragments(value: bytes | memoryview) -> list[memoryview]:
    """The fragments (every item after the Basic Offset Table), as views into ``value``."""
    items = iter_items(value)
    next(items, None)
    return list(items)


def frames(value: bytes | memoryview, number_of_frames: int | None = None) -> list[bytes]:
    """The compressed frames of an encapsulated value (PS3.5 §A.4), each as one ``bytes``.

    With a Basic Offset Table, fragments are grouped by the table's offsets (relative to the first
    fragment's item header). Without one: one frame per fragment when ``number_of_frames`` equals
    the number of fragments (or is None), all fragments as one frame when it is 1; any other case is
    ambiguous without decoding the compressed stream and raises :class:`DatasetDecodeError`.
    """
    items = list(iter_items(value))
    if not items:
        return []
    table = basic_offset_table(value)
    pieces = items[1:]
    if not table:
        if number_of_frames is None or number_of_frames == len(pieces):
            return [bytes(p) for p in pieces]
        if number_of_frames == 1:
            return [b"".join(pieces)]
        raise DatasetDecodeError(
            f"{len(pieces)} fragments for {number_of_frames} frames and no Basic Offset Table"
        )
    starts: list[int] = []
    position = 0
    for piece in pieces:
        starts.append(position)
        position += 8 + len(piece)
    if table[0] != 0 or any(b <= a for a, b in itertools.pairwise(table)):
        raise DatasetDecodeError(f"Basic Offset Table offsets not increasing from 0: {table}")
    result: list[bytes] = []
    for number, offset in enumerate(table):
        if offset not in starts:
            raise DatasetDecodeError(f"Basic Offset Table offset {offset} is not a fragment start")
        stop = table[number + 1] if number + 1 < len(table) else position
        result.append(
            b"".join(p for p, s in zip(pieces, starts, strict=True) if offset <= s < stop)
        )
    return result


def encapsulate(
    frames_or_fragments: Iterable[bytes | memoryview], *, offset_table: Sequence[int] | bool = False
) -> bytes:
    """Build an encapsulated value: Basic Offset Table item, then one item per fragment.

    ``offset_table``: False for an empty table, True to compute one entry per fragment (one
    fragment per frame), or explicit offsets. Odd fragments are padded with a NUL (PS3.5 §A.4).
    The result excludes the Sequence Delimitation Item, like ``DataElement.value``.
    """
    items: list[bytes | memoryview] = []
    offsets: list[int] = []
    position = 0
    for fragment in frames_or_fragments:
        data = bytes(fragment)
        if len(data) % 2:
            data += b"\x00"
        offsets.append(position)
        items.append(_ITEM_BYTES[True] + _LE_UL.pack(len(data)))
        items.append(data)
        position += 8 + len(data)
    if offset_table is True:
        table = offsets
    elif offset_table is False:
        table = []
    else:
        table = list(offset_table)
    bot = struct.pack(f"<{len(table)}L", *table)
    return b"".join([_ITEM_BYTES[True], _LE_UL.pack(len(bot)), bot, *items])
