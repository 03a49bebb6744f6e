"""Data set reader (PS3.5 §7): an iterative element walker over a ``memoryview``.

Element headers are walked eagerly with precompiled ``struct.Struct.unpack_from``, one walker per
(implicit/explicit VR, byte order); values stay in the source buffer (:class:`RawElement` keeps
offsets) until asked for. Sequences (PS3.5 §7.5) are walked with an explicit stack, so nesting
depth is a checked limit (``max_depth``), never a ``RecursionError``. A sequence with a defined
length is, by default, kept raw too and parsed when first accessed (``lazy_sequences``); sequences
of undefined length must be walked to find their end.

Every length is checked against the bytes actually available before it is used, so hostile input
raises :class:`~dicomnet.errors.DatasetDecodeError` (with offset and tag) and never allocates more
than the input. Tolerances (fixed, documented in ``docs/dataset.md``): odd value lengths; unknown
explicit VRs made of two upper-case letters (read with the 4-byte length form, as UN, the VR
bytes kept in ``RawElement.vr_bytes``); duplicate tags (the first is kept, as DCMTK does).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.dataset.dataset import Dataset, Entry
from dicomnet.dataset.element import UNDEFINED_LENGTH, DataElement, RawElement
from dicomnet.dataset.encaps import scan_items
from dicomnet.dataset.tag import (
    ITEM,
    ITEM_DELIMITATION_ITEM,
    PIXEL_DATA,
    SEQUENCE_DELIMITATION_ITEM,
    format_tag,
)
from dicomnet.dataset.vr import ALL_VRS, LONG_LENGTH_VRS
from dicomnet.errors import DatasetDecodeError

if TYPE_CHECKING:
    from dicomnet.dataset.dictionary import DataDictionary, DictEntry
    from dicomnet.uid import TransferSyntax

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "ReadOptions",
    "decode_sequence",
    "read_dataset",
    "read_dataset_at",
]

DEFAULT_MAX_DEPTH: Final = 64
_NO_STOP: Final = 0x1_0000_0000

Buffer = bytes | bytearray | memoryview

# Walker results
_END: Final = 0
_ITEM_END: Final = 1
_SEQUENCE: Final = 2
_STOP: Final = 3

_VR_INFO: dict[bytes, tuple[str, bool]] = {
    vr.encode("ascii"): (vr, vr in LONG_LENGTH_VRS) for vr in ALL_VRS
}
_ENCAPSULATED_VRS: Final = frozenset({"OB", "OW", "OB or OW", "US or OW", "US or SS or OW"})


@attrs.frozen(repr=False)
class ReadOptions:
    """Per-call reading options (never module flags).

    - ``max_depth``: deepest sequence nesting accepted (default 64); deeper raises
      :class:`DatasetDecodeError`.
    - ``stop_before``: stop at the first top-level element whose tag is >= this tag (e.g.
      ``0x7FE00010`` to skip Pixel Data); ``None`` reads everything.
    - ``replace_un``: give UN elements with a defined length whose tag the dictionary knows the
      dictionary VR (what pydicom does by default); a dictionary VR of SQ is then read as an
      Implicit VR Little Endian sequence (PS3.5 §6.2.2). Off by default: UN stays UN, as DCMTK.
    - ``lazy_sequences``: keep defined-length sequences raw until accessed (default True);
      False walks every sequence at read time, so all structural errors surface at once.
    - ``dictionary``: the data dictionary for implicit VR (default: ``default_dictionary()``).
    """

    __repr__ = attrs_repr

    max_depth: int = DEFAULT_MAX_DEPTH
    stop_before: int | None = None
    replace_un: bool = False
    lazy_sequences: bool = True
    dictionary: DataDictionary | None = attrs.field(default=None, eq=False)


_DEFAULT_OPTIONS = ReadOptions()


def _dictionary_vr_function(options: ReadOptions, eager: bool) -> Callable[[int], str]:
    """The dictionary's ``vr`` lookup; unless ``eager``, the default one loads on first use."""
    if options.dictionary is not None:
        return options.dictionary.vr
    from dicomnet.dataset.dictionary import default_dictionary

    if eager:
        return default_dictionary().vr
    lookup: list[Callable[[int], str]] = []

    def vr(tag: int) -> str:
        if not lookup:
            lookup.append(default_dictionary().vr)
        return lookup[0](tag)

    return vr


PrivateVR = Callable[[int, "dict[int, Entry]"], str]


def _private_vr_function(options: ReadOptions) -> PrivateVR:
    """VR of a private data element from the dictionary's private entries (as DCMTK does).

    The creator is the Private Creator element reserving the element's block in the same data
    set (PS3.5 §7.8.1); "UN" when it is absent or the dictionary has no entry for it.
    """
    lookup: list[Callable[[int, str], DictEntry | None]] = []
    if options.dictionary is not None:
        lookup.append(options.dictionary.private_entry)

    def private_vr(tag: int, entries: dict[int, Entry]) -> str:
        creator = entries.get((tag & 0xFFFF0000) | ((tag >> 8) & 0xFF))
        if creator is None:
            return "UN"
        if type(creator) is RawElement:
            name = str(creator.value_bytes, "latin-1").strip(" \x00")
        else:
            name = str(creator.value).strip()  # type: ignore[union-attr]
        if not lookup:
            from dicomnet.dataset.dictionary import default_dictionary

            lookup.append(default_dictionary().private_entry)
        entry = lookup[0](tag, name)
        return "UN" if entry is None else entry.vr

    return private_vr


class _SequenceInfo:
    """A sequence header met by a walker: where it is and how its items are encoded."""

    __slots__ = ("implicit", "length", "little", "offset", "tag", "value_offset", "vr_bytes")

    def __init__(
        self,
        tag: int,
        vr_bytes: bytes,
        length: int,
        offset: int,
        value_offset: int,
        implicit: bool,
        little: bool,
    ) -> None:
        self.tag = tag
        self.vr_bytes = vr_bytes
        self.length = length
        self.offset = offset
        self.value_offset = value_offset
        self.implicit = implicit
        self.little = little


Walker = Callable[
    [
        memoryview,
        int,
        int,
        dict[int, Entry],
        bool,
        int,
        Callable[[int], str],
        PrivateVR,
        ReadOptions,
    ],
    tuple[int, int, "_SequenceInfo | None"],
]


def _unknown_vr(vr_b: bytes, tag: int, offset: int) -> str:
    if all(0x41 <= c <= 0x5A for c in vr_b):
        return "UN"
    raise DatasetDecodeError(f"impossible VR bytes {vr_b!r}", offset=offset, tag=tag)


def _delimiter(tag: int, length: int, offset: int, in_item: bool) -> None:
    """Check an (FFFE,xxxx) tag met among elements: only an expected Item Delimitation Item."""
    if tag == ITEM_DELIMITATION_ITEM and in_item:
        if length != 0:
            raise DatasetDecodeError(
                f"Item Delimitation Item with length {length}", offset=offset, tag=tag
            )
        return
    raise DatasetDecodeError(
        f"{format_tag(tag)} out of place in a data set", offset=offset, tag=tag
    )


def _past_end(length: int, offset: int, left: int, tag: int) -> DatasetDecodeError:
    return DatasetDecodeError(
        f"value length {length} runs past the end ({left} bytes left)", offset=offset, tag=tag
    )


def _make_walker(implicit: bool, little: bool) -> Walker:
    """Build the element walker for one encoding, with its own precompiled Structs."""
    endian = "<" if little else ">"
    unpack_implicit = struct.Struct(endian + "HHL").unpack_from
    unpack_explicit = struct.Struct(endian + "HH2sH").unpack_from
    unpack_ul = struct.Struct(endian + "L").unpack_from
    new_raw = tuple.__new__
    vr_info = _VR_INFO
    encapsulated_vrs = _ENCAPSULATED_VRS

    def walk_explicit(
        buf: memoryview,
        pos: int,
        end: int,
        entries: dict[int, Entry],
        in_item: bool,
        stop_before: int,
        dictionary_vr: Callable[[int], str],
        private_vr: PrivateVR,
        options: ReadOptions,
    ) -> tuple[int, int, _SequenceInfo | None]:
        lazy = options.lazy_sequences
        replace_un = options.replace_un
        while pos < end:
            if pos + 8 > end:
                raise DatasetDecodeError(
                    f"truncated element header ({end - pos} bytes)", offset=pos
                )
            group, elem, vr_b, length = unpack_explicit(buf, pos)
            tag = (group << 16) | elem
            if group == 0xFFFE:
                # Items and delimiters have no VR (PS3.5 §7.5): tag and a 4-byte length.
                _delimiter(tag, unpack_ul(buf, pos + 4)[0], pos, in_item)
                return pos + 8, _ITEM_END, None
            if tag >= stop_before:
                return pos, _STOP, None
            info = vr_info.get(vr_b)
            if info is None:
                vr = _unknown_vr(vr_b, tag, pos)
                long_form = True
            else:
                vr, long_form = info
            if long_form:
                if pos + 12 > end:
                    raise DatasetDecodeError("truncated element header", offset=pos, tag=tag)
                length = unpack_ul(buf, pos + 8)[0]
                value_pos = pos + 12
            else:
                value_pos = pos + 8
            if length == UNDEFINED_LENGTH:
                if vr == "SQ":
                    return (
                        value_pos,
                        _SEQUENCE,
                        _SequenceInfo(tag, vr_b, length, pos, value_pos, False, little),
                    )
                if vr == "UN":
                    # UN of undefined length: an Implicit VR Little Endian sequence (§6.2.2).
                    return (
                        value_pos,
                        _SEQUENCE,
                        _SequenceInfo(tag, vr_b, length, pos, value_pos, True, True),
                    )
                if vr in encapsulated_vrs or tag == PIXEL_DATA:
                    delimiter = scan_items(buf, value_pos, end, little, tag)
                    if tag not in entries:
                        entries[tag] = new_raw(
                            RawElement,
                            (tag, vr, length, pos, value_pos, delimiter - value_pos, buf, little,
                             False, vr_b),
                        )  # fmt: skip
                    pos = delimiter + 8
                    continue
                raise DatasetDecodeError(
                    f"undefined length is not allowed for VR {vr}", offset=pos, tag=tag
                )
            value_end = value_pos + length
            if value_end > end:
                raise _past_end(length, pos, end - value_pos, tag)
            if vr == "SQ":
                if not lazy:
                    return (
                        value_pos,
                        _SEQUENCE,
                        _SequenceInfo(tag, vr_b, length, pos, value_pos, False, little),
                    )
            elif vr == "UN" and replace_un:
                known = dictionary_vr(tag)
                if known == "UN" and group & 1 and elem >= 0x1000:
                    known = private_vr(tag, entries)
                if known == "SQ" and not lazy:
                    return (
                        value_pos,
                        _SEQUENCE,
                        _SequenceInfo(tag, vr_b, length, pos, value_pos, True, True),
                    )
                if known != "UN":
                    vr = known
            if tag not in entries:
                entries[tag] = new_raw(
                    RawElement,
                    (tag, vr, length, pos, value_pos, length, buf, little, False, vr_b),
                )
            pos = value_end
        return pos, _END, None

    def walk_implicit(
        buf: memoryview,
        pos: int,
        end: int,
        entries: dict[int, Entry],
        in_item: bool,
        stop_before: int,
        dictionary_vr: Callable[[int], str],
        private_vr: PrivateVR,
        options: ReadOptions,
    ) -> tuple[int, int, _SequenceInfo | None]:
        lazy = options.lazy_sequences
        while pos < end:
            if pos + 8 > end:
                raise DatasetDecodeError(
                    f"truncated element header ({end - pos} bytes)", offset=pos
                )
            group, elem, length = unpack_implicit(buf, pos)
            tag = (group << 16) | elem
            if group == 0xFFFE:
                _delimiter(tag, length, pos, in_item)
                return pos + 8, _ITEM_END, None
            if tag >= stop_before:
                return pos, _STOP, None
            vr = dictionary_vr(tag)
            if vr == "UN" and group & 1 and elem >= 0x1000:
                vr = private_vr(tag, entries)
            value_pos = pos + 8
            if length == UNDEFINED_LENGTH:
                if vr == "SQ" or (vr == "UN" and tag != PIXEL_DATA):
                    # Unknown tags of undefined length are sequences (PS3.5 §6.2.2, §7.5.1).
                    return (
                        value_pos,
                        _SEQUENCE,
                        _SequenceInfo(tag, b"", length, pos, value_pos, True, little),
                    )
                if vr in encapsulated_vrs or tag == PIXEL_DATA:
                    delimiter = scan_items(buf, value_pos, end, little, tag)
                    if tag not in entries:
                        entries[tag] = new_raw(
                            RawElement,
                            (tag, vr, length, pos, value_pos, delimiter - value_pos, buf, little,
                             True, b""),
                        )  # fmt: skip
                    pos = delimiter + 8
                    continue
                raise DatasetDecodeError(
                    f"undefined length is not allowed for VR {vr}", offset=pos, tag=tag
                )
            value_end = value_pos + length
            if value_end > end:
                raise _past_end(length, pos, end - value_pos, tag)
            if vr == "SQ" and not lazy:
                return (
                    value_pos,
                    _SEQUENCE,
                    _SequenceInfo(tag, b"", length, pos, value_pos, True, little),
                )
            if tag not in entries:
                entries[tag] = new_raw(
                    RawElement, (tag, vr, length, pos, value_pos, length, buf, little, True, b"")
                )
            pos = value_end
        return pos, _END, None

    return walk_implicit if implicit else walk_explicit


_WALKERS: dict[tuple[bool, bool], Walker] = {
    (implicit, little): _make_walker(implicit, little)
    for implicit in (True, False)
    for little in (True, False)
}
_ITEM_HEADER = {
    True: struct.Struct("<HHL").unpack_from,
    False: struct.Struct(">HHL").unpack_from,
}


class _DatasetFrame:
    """A data set or item being walked."""

    __slots__ = ("dataset", "depth", "end", "entries", "implicit", "in_item", "little", "sequence")

    def __init__(
        self,
        dataset: Dataset,
        end: int,
        in_item: bool,
        implicit: bool,
        little: bool,
        sequence: _SequenceFrame | None,
        depth: int,
    ) -> None:
        self.dataset = dataset
        self.entries: dict[int, Entry] = dataset._elements
        self.end = end
        self.in_item = in_item
        self.implicit = implicit
        self.little = little
        self.sequence = sequence
        self.depth = depth


class _SequenceFrame:
    """A sequence being walked: its header and the items read so far."""

    __slots__ = ("end", "info", "items", "parent")

    def __init__(self, info: _SequenceInfo, end: int, parent: _DatasetFrame) -> None:
        self.info = info
        self.end = end
        self.items: list[Dataset] = []
        self.parent = parent


def _finish_dataset(frame: _DatasetFrame) -> None:
    """Put the entries of a finished data set in tag order (they usually already are)."""
    entries = frame.entries
    if not entries:
        return
    tags = list(entries)
    ds = frame.dataset
    if tags != sorted(tags):
        object.__setattr__(ds, "_elements", dict(sorted(entries.items())))
        object.__setattr__(ds, "_last_tag", max(tags))
    else:
        object.__setattr__(ds, "_last_tag", tags[-1])


def _run(
    buf: memoryview,
    pos: int,
    frame: _DatasetFrame,
    seq: _SequenceFrame | None,
    options: ReadOptions,
    dictionary_vr: Callable[[int], str],
    private_vr: PrivateVR,
    stop_before: int,
) -> tuple[int, int]:
    """Walk from ``frame`` (or, if ``seq`` is given, from the next item of ``seq``) until the
    bottom frame (one without an enclosing sequence) ends; return its end offset and event."""
    max_depth = options.max_depth
    walkers = _WALKERS
    if seq is not None:
        pos, item = _next_item(buf, pos, seq, options)
        frame = seq.parent if item is None else item
    while True:
        pos, event, info = walkers[frame.implicit, frame.little](
            buf,
            pos,
            frame.end,
            frame.entries,
            frame.in_item,
            stop_before if frame.sequence is None else _NO_STOP,
            dictionary_vr,
            private_vr,
            options,
        )
        if event == _SEQUENCE:
            assert info is not None
            if frame.depth >= max_depth:
                raise DatasetDecodeError(
                    f"sequences nested deeper than max_depth={max_depth}",
                    offset=info.offset,
                    tag=info.tag,
                )
            seq_end = frame.end if info.length == UNDEFINED_LENGTH else pos + info.length
            seq = _SequenceFrame(info, seq_end, frame)
        else:
            seq = frame.sequence
            if seq is None:
                _finish_dataset(frame)
                return pos, event
            # End of an item: its defined length (_END) or its delimiter (_ITEM_END).
            if event == _END and frame.in_item:
                raise DatasetDecodeError(
                    "undefined-length item ends without an Item Delimitation Item",
                    offset=pos,
                    tag=seq.info.tag,
                )
            _finish_dataset(frame)
        pos, item = _next_item(buf, pos, seq, options)
        frame = seq.parent if item is None else item


def _next_item(
    buf: memoryview, pos: int, seq: _SequenceFrame, options: ReadOptions
) -> tuple[int, _DatasetFrame | None]:
    """Read the next item header of ``seq`` and return its frame, or close the sequence.

    Returns ``(offset after the item header, item frame)``, or ``(offset after the sequence,
    None)`` when the sequence ended (its DataElement is then stored in the enclosing data set).
    """
    info = seq.info
    little = info.little
    undefined = info.length == UNDEFINED_LENGTH
    if not undefined and pos == seq.end:
        _close_sequence(buf, seq, pos)
        return pos, None
    if pos + 8 > seq.end:
        raise DatasetDecodeError(
            "sequence ends without a Sequence Delimitation Item"
            if undefined
            else "sequence ends inside an item header",
            offset=pos,
            tag=info.tag,
        )
    group, elem, length = _ITEM_HEADER[little](buf, pos)
    tag = (group << 16) | elem
    if tag == ITEM:
        if length == UNDEFINED_LENGTH:
            item_end = seq.end
            in_item = True
        else:
            item_end = pos + 8 + length
            if item_end > seq.end:
                raise DatasetDecodeError(
                    f"item length {length} runs past the end of its sequence",
                    offset=pos,
                    tag=info.tag,
                )
            in_item = False
        parent = seq.parent
        depth = parent.depth + 1
        item = Dataset._from_entries(
            {}, little, info.implicit, parent.dataset, options, depth, in_item, pos
        )
        seq.items.append(item)
        return pos + 8, _DatasetFrame(item, item_end, in_item, info.implicit, little, seq, depth)
    if tag == SEQUENCE_DELIMITATION_ITEM and undefined:
        if length != 0:
            raise DatasetDecodeError(
                f"Sequence Delimitation Item with length {length}", offset=pos, tag=info.tag
            )
        _close_sequence(buf, seq, pos + 8)
        return pos + 8, None
    raise DatasetDecodeError(
        f"expected an item in sequence, found {format_tag(tag)}", offset=pos, tag=info.tag
    )


def _close_sequence(buf: memoryview, seq: _SequenceFrame, pos_after: int) -> None:
    info = seq.info
    undefined = info.length == UNDEFINED_LENGTH
    value_length = (pos_after - 8 if undefined else pos_after) - info.value_offset
    parent = seq.parent
    raw = RawElement(
        info.tag,
        "SQ",
        info.length,
        info.offset,
        info.value_offset,
        value_length,
        buf,
        parent.little,
        parent.implicit,
        info.vr_bytes,
    )
    element = DataElement(info.tag, "SQ", seq.items, undefined_length=undefined, raw=raw)
    entries = parent.entries
    existing = entries.get(info.tag)
    if existing is None or (type(existing) is RawElement and existing.offset == info.offset):
        entries[info.tag] = element


def decode_sequence(raw: RawElement, parent: Dataset) -> DataElement:
    """Parse the items of a sequence the reader kept raw (``raw.vr == "SQ"``) in ``parent``.

    Uses the options of the read that produced ``parent``; the nesting limit counts from
    ``parent``'s depth. A sequence whose wire VR was UN is read as Implicit VR Little Endian
    (PS3.5 §6.2.2).
    """
    options = parent._options or _DEFAULT_OPTIONS
    if raw.vr_bytes == b"UN":
        implicit, little = True, True
    else:
        implicit, little = raw.implicit_vr, raw.little_endian
    if parent._depth >= options.max_depth:
        raise DatasetDecodeError(
            f"sequences nested deeper than max_depth={options.max_depth}",
            offset=raw.offset,
            tag=raw.tag,
        )
    end = raw.end if raw.is_undefined_length else raw.value_offset + raw.value_length
    holder = Dataset._from_entries(
        {raw.tag: raw}, raw.little_endian, raw.implicit_vr, None, options, parent._depth
    )
    base = _DatasetFrame(holder, end, False, implicit, little, None, parent._depth)
    info = _SequenceInfo(raw.tag, raw.vr_bytes, raw.length, raw.offset, raw.value_offset, implicit,
                         little)  # fmt: skip
    seq = _SequenceFrame(info, end, base)
    dictionary_vr = _dictionary_vr_function(options, False)
    private_vr = _private_vr_function(options)
    _run(raw.source, raw.value_offset, base, seq, options, dictionary_vr, private_vr, _NO_STOP)
    element = holder._elements[raw.tag]
    assert isinstance(element, DataElement)
    for item in element.value:
        object.__setattr__(item, "parent", parent)
    return DataElement(
        raw.tag, "SQ", element.value, undefined_length=element.undefined_length, raw=raw
    )


def read_dataset_at(
    data: Buffer,
    offset: int = 0,
    *,
    implicit_vr: bool,
    little_endian: bool,
    end: int | None = None,
    options: ReadOptions | None = None,
) -> tuple[Dataset, int]:
    """Read a data set from ``data[offset:end]``; return it and the offset where reading stopped.

    Reading stops at ``end`` (default: the end of ``data``) or before the first top-level element
    at or after ``options.stop_before``.
    """
    opts = options if options is not None else _DEFAULT_OPTIONS
    if opts.max_depth < 0:
        raise ValueError("max_depth must be >= 0")
    buf = data if isinstance(data, memoryview) else memoryview(data)
    if buf.ndim != 1 or buf.itemsize != 1:
        buf = buf.cast("B")
    limit = len(buf) if end is None else min(end, len(buf))
    if not 0 <= offset <= limit:
        raise DatasetDecodeError(f"start offset {offset} outside the buffer", offset=offset)
    dictionary_vr = _dictionary_vr_function(opts, implicit_vr)
    stop_before = _NO_STOP if opts.stop_before is None else opts.stop_before
    root = Dataset._from_entries({}, little_endian, implicit_vr, None, opts, 0)
    frame = _DatasetFrame(root, limit, False, implicit_vr, little_endian, None, 0)
    private_vr = _private_vr_function(opts)
    pos, _event = _run(buf, offset, frame, None, opts, dictionary_vr, private_vr, stop_before)
    return root, pos


def read_dataset(
    data: Buffer,
    transfer_syntax: TransferSyntax | str | None = None,
    *,
    implicit_vr: bool | None = None,
    little_endian: bool | None = None,
    deflated: bool | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    stop_before: int | None = None,
    replace_un: bool = False,
    lazy_sequences: bool = True,
    max_inflated_size: int | None = None,
    dictionary: DataDictionary | None = None,
) -> Dataset:
    """Read a whole data set (no File Meta) encoded in ``transfer_syntax``.

    The encoding comes from ``transfer_syntax`` (a :class:`~dicomnet.uid.TransferSyntax` or its
    UID) or from ``implicit_vr``/``little_endian``/``deflated`` (default: explicit VR little
    endian). A deflated data set (PS3.5 §A.5) is inflated first, bounded by
    ``max_inflated_size`` (see :mod:`dicomnet.dataset.deflate`); offsets in the result then refer
    to the inflated bytes. See :class:`ReadOptions` for the other options.
    """
    implicit, little, is_deflated = _encoding(transfer_syntax, implicit_vr, little_endian, deflated)
    if is_deflated:
        from dicomnet.dataset.deflate import inflate

        data = inflate(data, max_size=max_inflated_size)
    options = ReadOptions(
        max_depth=max_depth,
        stop_before=stop_before,
        replace_un=replace_un,
        lazy_sequences=lazy_sequences,
        dictionary=dictionary,
    )
    ds, _ = read_dataset_at(data, implicit_vr=implicit, little_endian=little, options=options)
    return ds


def _encoding(
    transfer_syntax: TransferSyntax | str | None,
    implicit_vr: bool | None,
    little_endian: bool | None,
    deflated: bool | None,
) -> tuple[bool, bool, bool]:
    if transfer_syntax is not None:
        if isinstance(transfer_syntax, str):
            from dicomnet.uid import transfer_syntax as lookup

            try:
                ts = lookup(transfer_syntax)
            except ValueError as exc:
                raise DatasetDecodeError(str(exc)) from None
        else:
            ts = transfer_syntax
        return ts.implicit_vr, ts.little_endian, ts.deflated
    return bool(implicit_vr), little_endian is not False, bool(deflated)
