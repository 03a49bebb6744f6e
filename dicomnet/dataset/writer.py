"""Encoding a :class:`~dicomnet.dataset.dataset.Dataset` into bytes (PS3.5 §7, Annex A).

The encoder produces a ``list[bytes | memoryview]``: headers are packed with precompiled
``struct.Struct`` objects per (VR form, endianness) and values are, whenever possible, slices of the
buffer the data set was read from (no copy, no decode). The list is joined once
(:func:`write_dataset`) or written straight to a binary file (:func:`write_dataset_to`).

:class:`WriteOptions` mirrors DCMTK's output options (``dcmconv``/``storescp``): output transfer
syntax (``+t= +te +tb +ti +td``), group length (``+g= +g -g``), sequence/item length (``+e -e``),
padding (``-p= -p +p F I``), new VRs (``+u -u``), deflate level (``+cl``) and bit-preserving output
(``+B``). ``docs/writing.md`` lists the rules and the few deliberate differences from DCMTK.
"""

from __future__ import annotations

import datetime
import enum
import struct
import sys
import zlib
from array import array
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any, Final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.dataset.dataset import Dataset
from dicomnet.dataset.element import UNDEFINED_LENGTH, DataElement, RawElement
from dicomnet.dataset.tag import PIXEL_DATA
from dicomnet.dataset.vr import (
    ALL_VRS,
    BYTES_VRS,
    CHARSET_VRS,
    LONG_LENGTH_VRS,
    NUMBER_FORMATS,
    padding_byte,
    swap_size,
)
from dicomnet.errors import DatasetEncodeError
from dicomnet.uid import (
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    TransferSyntax,
    transfer_syntax,
)

if TYPE_CHECKING:
    import decimal

    from dicomnet.dataset.charset import SpecificCharacterSet

__all__ = [
    "DEFAULT_WRITE_OPTIONS",
    "MAX_WRITE_DEPTH",
    "GroupLength",
    "LengthEncoding",
    "Padding",
    "WriteOptions",
    "encode_dataset",
    "encode_value",
    "output_vr",
    "resolve_transfer_syntax",
    "write_dataset",
    "write_dataset_to",
]

Buffer = bytes | memoryview

DATA_SET_TRAILING_PADDING: Final = 0xFFFCFFFC
"""Data Set Trailing Padding (FFFC,FFFC), PS3.10 §7.2 / PS3.5 §7.1."""

NEW_VRS: Final = frozenset({"UN", "UT", "OF", "OD", "OL", "UR", "UC", "OV", "SV", "UV"})
"""VRs written as OB when new VRs are disabled (DCMTK ``-u``: ``dcmDisableGenerationOfNewVRs``)."""

_MAX_EXPLICIT: Final = 0xFFFFFFFE
"""Largest value a 32-bit length field can hold besides Undefined Length (PS3.5 §7.1.1)."""


class GroupLength(enum.Enum):
    """Group length handling (DCMTK ``+g=``, ``+g``, ``-g``; PS3.5 §7.2)."""

    RECALC = "recalc"
    """Recalculate the value of group length elements that are present (``+g=``, default)."""
    CREATE = "create"
    """Write a group length (gggg,0000) for every group, in the data set and in items (``+g``)."""
    REMOVE = "remove"
    """Write no group length elements (``-g``); Part 10 File Meta keeps its (0002,0000)."""


class LengthEncoding(enum.Enum):
    """Length of sequences and items (DCMTK ``+e``, ``-e``; PS3.5 §7.5)."""

    EXPLICIT = "explicit"
    """Explicit lengths (``+e``, default); a length over 0xFFFFFFFE falls back to undefined."""
    UNDEFINED = "undefined"
    """Undefined lengths closed by delimitation items (``-e``)."""


class Padding(enum.Enum):
    """Data Set Trailing Padding (FFFC,FFFC) handling (DCMTK ``-p=``, ``-p``, ``+p F I``)."""

    RETAIN = "retain"
    """Keep existing padding elements as they are (``-p=``, default)."""
    OFF = "off"
    """Remove padding elements (``-p``)."""
    CREATE = "create"
    """Pad the file to a multiple of ``file_padding`` and items to ``item_padding`` (``+p F I``)."""


def _check_padding(instance: WriteOptions, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0 or value % 2:
        raise ValueError(f"{attribute.name} must be an even number >= 0, not {value}")


def _check_level(instance: WriteOptions, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 9:
        raise ValueError(f"deflate_level must be 0..9, not {value}")


MAX_WRITE_DEPTH: Final = 256
"""Deepest sequence nesting the (recursive) encoder accepts: well inside Python's stack limit."""


def _check_depth(instance: WriteOptions, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= MAX_WRITE_DEPTH:
        raise ValueError(f"max_depth must be 0..{MAX_WRITE_DEPTH}, not {value}")


def _uid_of(value: TransferSyntax | str | None) -> str | None:
    return value.uid if isinstance(value, TransferSyntax) else value


@attrs.frozen(repr=False, kw_only=True)
class WriteOptions:
    """How a data set is written: DCMTK's output options as one frozen value.

    - ``transfer_syntax``: output transfer syntax UID, ``None`` for "same as the source"
      (``+t=``); ``+te`` is 1.2.840.10008.1.2.1, ``+tb`` …1.2.2, ``+ti`` …1.2, ``+td`` …1.2.1.99
      (a :class:`~dicomnet.uid.TransferSyntax` is accepted and kept as its UID).
    - ``group_length``: :class:`GroupLength` (``+g=`` recalc by default).
    - ``length_encoding``: :class:`LengthEncoding` of sequences and items (``+e`` explicit).
    - ``padding``: :class:`Padding`; with ``CREATE``, ``file_padding`` (F) and ``item_padding`` (I)
      are even byte counts (0: none at that level), as ``+p F I``.
    - ``new_vrs``: ``False`` writes UN UT OF OD OL UR UC OV SV UV as OB in explicit VR (``-u``).
    - ``deflate_level``: zlib level 0..9 for Deflated Explicit VR Little Endian (``+cl``).
    - ``bit_preserving``: write elements that still carry their original bytes exactly as read,
      including odd lengths, group length values and sequence/item length forms (``+B``). It
      excludes any conversion: combining it with another non-default option is a ``ValueError``.
    - ``max_depth``: sequence nesting bound, at most :data:`MAX_WRITE_DEPTH` (256); a deeper data
      set raises ``DatasetEncodeError``, never ``RecursionError``.
    """

    __repr__ = attrs_repr

    transfer_syntax: str | None = attrs.field(default=None, converter=_uid_of)
    group_length: GroupLength = GroupLength.RECALC
    length_encoding: LengthEncoding = LengthEncoding.EXPLICIT
    padding: Padding = Padding.RETAIN
    file_padding: int = attrs.field(default=0, validator=_check_padding)
    item_padding: int = attrs.field(default=0, validator=_check_padding)
    new_vrs: bool = True
    deflate_level: int = attrs.field(default=6, validator=_check_level)
    bit_preserving: bool = False
    max_depth: int = attrs.field(default=MAX_WRITE_DEPTH, validator=_check_depth)

    def __attrs_post_init__(self) -> None:
        if self.padding is not Padding.CREATE and (self.file_padding or self.item_padding):
            raise ValueError("file_padding/item_padding need padding=Padding.CREATE (+p F I)")
        if self.bit_preserving:
            conflicts = [
                name
                for name, value, default in (
                    ("transfer_syntax", self.transfer_syntax, None),
                    ("group_length", self.group_length, GroupLength.RECALC),
                    ("length_encoding", self.length_encoding, LengthEncoding.EXPLICIT),
                    ("padding", self.padding, Padding.RETAIN),
                    ("new_vrs", self.new_vrs, True),
                )
                if value != default
            ]
            if conflicts:
                raise ValueError(
                    f"bit_preserving (+B) cannot be combined with {', '.join(conflicts)}"
                )


DEFAULT_WRITE_OPTIONS: Final = WriteOptions()


def resolve_transfer_syntax(
    options: WriteOptions,
    source: TransferSyntax | str | None,
    ds: Dataset | None = None,
) -> TransferSyntax:
    """The output transfer syntax: ``options.transfer_syntax``, else ``source``, else the data
    set's own encoding (``ds.implicit_vr``/``ds.little_endian``), else Explicit VR Little Endian."""
    if options.transfer_syntax is not None:
        return transfer_syntax(options.transfer_syntax)
    if isinstance(source, TransferSyntax):
        return source
    if source is not None:
        return transfer_syntax(source)
    if ds is not None and ds.implicit_vr is not None:
        if ds.implicit_vr:
            return IMPLICIT_VR_LITTLE_ENDIAN
        return EXPLICIT_VR_LITTLE_ENDIAN if ds.little_endian else EXPLICIT_VR_BIG_ENDIAN
    return EXPLICIT_VR_LITTLE_ENDIAN


def output_vr(vr: str, *, new_vrs: bool = True) -> str:
    """The VR written in explicit VR for an element of VR ``vr``.

    Unknown VRs become UN (PS3.5 §6.2, DCMTK's ``+vr`` default); with ``new_vrs=False`` the
    post-1993 VRs become OB, as DCMTK's ``-u`` does (``DcmVR::getValidEVR``).
    """
    if vr not in ALL_VRS:
        vr = "UN"
    if not new_vrs and vr in NEW_VRS:
        return "OB"
    return vr


# --- value encoding ----------------------------------------------------------------------------

_ARRAY_CODES: Final = {2: "H", 4: "L" if array("L").itemsize == 4 else "I", 8: "Q"}


def _swap(data: Buffer, unit: int) -> Buffer:
    """``data`` byte-swapped in units of ``unit`` bytes (a trailing partial unit is kept)."""
    if unit == 1 or not data:
        return data
    whole = len(data) - len(data) % unit
    arr = array(_ARRAY_CODES[unit])
    arr.frombytes(data[:whole])
    arr.byteswap()
    if whole == len(data):
        return arr.tobytes()
    return arr.tobytes() + bytes(data[whole:])


def _is_decimal(value: object) -> bool:
    """Whether ``value`` is a ``decimal.Decimal``, without importing :mod:`decimal` (a Decimal
    can only exist once something else has)."""
    module = sys.modules.get("decimal")
    return module is not None and isinstance(value, module.Decimal)


def _format_ds(value: float | decimal.Decimal) -> str:
    """A DS string of at most 16 characters (PS3.5 Table 6.2-1)."""
    if isinstance(value, int):
        text = str(value)
    else:
        text = str(value) if _is_decimal(value) else repr(float(value))
        if text.endswith(".0"):
            text = text[:-2]
    if len(text) <= 16:
        return text
    for digits in range(16, 0, -1):
        text = f"{float(value):.{digits}g}"
        if len(text) <= 16:
            return text
    raise DatasetEncodeError(f"cannot write {value!r} as a DS of 16 characters")


def _text_item(vr: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise DatasetEncodeError(f"a bool is not a valid {vr} value")
    if vr == "DS" and (isinstance(value, int | float) or _is_decimal(value)):
        return _format_ds(value)
    if vr == "IS" and isinstance(value, int):
        return str(value)
    if vr == "DA" and isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.strftime("%Y%m%d")
    if vr == "TM" and isinstance(value, datetime.time):
        return value.strftime("%H%M%S.%f" if value.microsecond else "%H%M%S")
    if vr == "DT" and isinstance(value, datetime.datetime):
        text = value.strftime("%Y%m%d%H%M%S.%f" if value.microsecond else "%Y%m%d%H%M%S")
        return text + value.strftime("%z") if value.tzinfo is not None else text
    raise DatasetEncodeError(f"cannot write {type(value).__name__} {value!r} as {vr}")


def _ascii_text(value: Any) -> bool:
    """True for text (a string or a list of strings) in ISO 646 only.

    File Meta Information is in the default repertoire (PS3.10 §7.1): such text in it is written
    as its ASCII bytes without consulting a character set (so storing a received object never
    loads :mod:`dicomnet.dataset.charset`); other text takes the checked path.
    """
    if isinstance(value, str):
        return value.isascii()
    return isinstance(value, list) and all(isinstance(v, str) and v.isascii() for v in value)


def encode_value(
    vr: str,
    value: Any,
    little_endian: bool = True,
    charset: SpecificCharacterSet | None = None,
) -> bytes:
    """The value field of a non-SQ element of VR ``vr``, padded to even length (PS3.5 §6.2, §7.3).

    Accepts the value types :mod:`dicomnet.dataset.values` produces (``str``/``list[str]``, numbers,
    tags, little-endian ``bytes`` for OB/OW/...), plus ``bytes`` for any VR (taken as the encoded
    value, little-endian for binary VRs), ``int``/``float``/``Decimal`` for DS and IS, and
    ``date``/``time``/``datetime`` for DA/TM/DT. Text in SH LO ST LT PN UC UT is encoded with
    ``charset`` (the default repertoire when ``None``); other text must be ISO 646/Latin-1.
    Raises :class:`DatasetEncodeError` for a value that cannot be written with ``vr``.
    """
    if value is None:
        return b""
    data: Buffer
    try:
        if vr in NUMBER_FORMATS:
            fmt, size = NUMBER_FORMATS[vr]
            if isinstance(value, bytes | bytearray | memoryview):
                data = _swap(bytes(value), size) if not little_endian else bytes(value)
            else:
                values = value if isinstance(value, list | tuple) else (value,)
                data = struct.pack(f"{'<' if little_endian else '>'}{len(values)}{fmt}", *values)
        elif vr == "AT":
            if isinstance(value, bytes | bytearray | memoryview):
                data = _swap(bytes(value), 2) if not little_endian else bytes(value)
            else:
                tags = value if isinstance(value, list | tuple) else (value,)
                halves = [half for tag in tags for half in (tag >> 16, tag & 0xFFFF)]
                data = struct.pack(f"{'<' if little_endian else '>'}{len(halves)}H", *halves)
        elif vr in BYTES_VRS or vr not in ALL_VRS:
            if not isinstance(value, bytes | bytearray | memoryview):
                raise DatasetEncodeError(f"a {vr} value must be bytes, not {type(value).__name__}")
            data = bytes(value) if little_endian else _swap(bytes(value), swap_size(vr))
        elif vr == "SQ":
            raise DatasetEncodeError("a sequence has no value field of its own")
        elif isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
        else:
            items = value if isinstance(value, list | tuple) else (value,)
            text = "\\".join(_text_item(vr, item) for item in items)
            if vr in CHARSET_VRS and charset is not None:
                data = charset.encode(text, vr)
            else:
                data = text.encode("latin-1")
    except (struct.error, OverflowError, UnicodeEncodeError, TypeError) as exc:
        raise DatasetEncodeError(f"cannot write {value!r} as {vr}: {exc}") from None
    if len(data) % 2:
        return bytes(data) + padding_byte(vr)
    return bytes(data)


# --- the structural encoder --------------------------------------------------------------------


@attrs.frozen(repr=False)
class _Form:
    """Precompiled packers of one encoding: (implicit/explicit VR, endianness)."""

    __repr__ = attrs_repr

    implicit: bool
    little: bool
    short: Callable[..., bytes]
    long: Callable[..., bytes]
    plain: Callable[..., bytes]
    ul: Callable[..., bytes]


def _form(implicit: bool, little: bool) -> _Form:
    e = "<" if little else ">"
    return _Form(
        implicit=implicit,
        little=little,
        short=struct.Struct(e + "HH2sH").pack,
        long=struct.Struct(e + "HH2s2xL").pack,
        plain=struct.Struct(e + "HHL").pack,
        ul=struct.Struct(e + "L").pack,
    )


_FORMS: Final = {(i, le): _form(i, le) for i in (True, False) for le in (True, False)}
_VR_BYTES: Final = {vr: vr.encode("ascii") for vr in ALL_VRS}


class _Encoder:
    """One encoding run: options and output form fixed, walks the data set recursively."""

    def __init__(self, options: WriteOptions, ts: TransferSyntax) -> None:
        self.options = options
        self.form = _FORMS[ts.implicit_vr, ts.little_endian]
        self.encapsulated = ts.encapsulated
        self.bit_preserving = options.bit_preserving
        self.new_vrs = options.new_vrs
        self.group_length = None if options.bit_preserving else options.group_length
        self.padding = options.padding
        self.undefined = options.length_encoding is LengthEncoding.UNDEFINED

    # element headers

    def header(self, form: _Form, tag: int, vr: str, length: int) -> bytes:
        if form.implicit:
            return form.plain(tag >> 16, tag & 0xFFFF, length)
        if vr in LONG_LENGTH_VRS:
            return form.long(tag >> 16, tag & 0xFFFF, _VR_BYTES[vr], length)
        return form.short(tag >> 16, tag & 0xFFFF, _VR_BYTES[vr], length)

    def delimiter(self, form: _Form, tag: int) -> bytes:
        return form.plain(0xFFFE, tag & 0xFFFF, 0)

    # data sets and items

    def dataset(
        self, ds: Dataset, form: _Form, depth: int, pad_to: int, instance: int, min_tag: int = 0
    ) -> tuple[list[Buffer], int]:
        """Encode the elements of ``ds`` (tags >= ``min_tag``); return the chunks and length."""
        if depth > self.options.max_depth:
            raise DatasetEncodeError(f"sequence nesting deeper than {self.options.max_depth}")
        out: list[Buffer] = []
        total = 0
        group_length = self.group_length
        create = group_length is GroupLength.CREATE
        drop_lengths = create or group_length is GroupLength.REMOVE
        drop_padding = self.padding is not Padding.RETAIN and not self.bit_preserving
        gl_slot = -1
        gl_start = 0
        current = -1
        had_entries = False
        for entry in ds.entries():
            tag = entry.tag
            if tag < min_tag:
                continue
            had_entries = True
            is_length = (tag & 0xFFFF) == 0 and tag >> 16 != 0xFFFE
            if (is_length and drop_lengths) or (tag == DATA_SET_TRAILING_PADDING and drop_padding):
                continue
            group = tag >> 16
            if group != current:
                if gl_slot >= 0:
                    total = self._close_group(out, form, gl_slot, current, total, gl_start)
                    gl_slot = -1
                current = group
                if create:
                    out.append(b"")
                    gl_slot = len(out) - 1
                    total += 12
                    gl_start = total
            if is_length and group_length is GroupLength.RECALC:
                out.append(b"")
                gl_slot = len(out) - 1
                total += 12
                gl_start = total
                continue
            total += self.element(ds, entry, form, depth, out)
        if gl_slot >= 0 and current != 0xFFFC:
            total = self._close_group(out, form, gl_slot, current, total, gl_start)
            gl_slot = -1
        if pad_to and had_entries and self.padding is Padding.CREATE:
            # DCMTK counts the new padding into an existing (FFFC,0000) only.
            total += self._pad(out, form, total + instance, pad_to)
        if gl_slot >= 0:
            total = self._close_group(out, form, gl_slot, current, total, gl_start)
        return out, total

    def _close_group(
        self, out: list[Buffer], form: _Form, slot: int, group: int, total: int, start: int
    ) -> int:
        length = total - start
        if length > 0xFFFFFFFF:  # DCMTK drops a group length that cannot be written
            out[slot] = b""
            return total - 12
        out[slot] = self.header(form, group << 16, "UL", 4) + form.ul(length)
        return total

    def _pad(self, out: list[Buffer], form: _Form, length: int, pad_to: int) -> int:
        """Append (FFFC,FFFC) so that ``length`` becomes a multiple of ``pad_to`` (DCMTK +p)."""
        padding = pad_to - length % pad_to
        if padding == pad_to:
            return 0
        header_length = 8 if form.implicit else 12
        while header_length > padding:
            padding += pad_to
        value_length = padding - header_length
        out.append(self.header(form, DATA_SET_TRAILING_PADDING, "OB", value_length))
        if value_length:
            out.append(bytes(value_length))
        return padding

    def sequence(
        self, ds: Dataset, element: DataElement, form: _Form, depth: int, out: list[Buffer]
    ) -> int:
        """Encode a sequence (PS3.5 §7.5) from its item data sets; return its encoded length."""
        raw = element.raw
        tag = element.tag
        vr = "SQ"
        item_form = form
        if self.bit_preserving:
            undefined = element.undefined_length
            if raw is not None and raw.vr_bytes == b"UN" and not form.implicit:
                # UN of undefined length: the items stay implicit VR LE (PS3.5 §6.2.2).
                vr, item_form = "UN", _FORMS[True, True]
        else:
            undefined = self.undefined
        pad_to = self.options.item_padding
        body: list[Buffer] = []
        length = 0
        items: Sequence[Dataset] = element.value or ()
        for item in items:
            if not isinstance(item, Dataset):
                raise DatasetEncodeError(
                    f"an item of sequence {tag >> 16:04X},{tag & 0xFFFF:04X} is a "
                    f"{type(item).__name__}, not a Dataset"
                )
            chunks, item_length = self.dataset(item, item_form, depth + 1, pad_to, 0)
            item_undefined = item.is_undefined_length if self.bit_preserving else undefined
            if not item_undefined and item_length > _MAX_EXPLICIT:
                item_undefined = True
            if item_undefined:
                body.append(item_form.plain(0xFFFE, 0xE000, UNDEFINED_LENGTH))
                body.extend(chunks)
                body.append(self.delimiter(item_form, 0xFFFEE00D))
                length += item_length + 16
            else:
                body.append(item_form.plain(0xFFFE, 0xE000, item_length))
                body.extend(chunks)
                length += item_length + 8
        if not undefined and length > _MAX_EXPLICIT:
            undefined = True
        if undefined:
            out.append(self.header(form, tag, vr, UNDEFINED_LENGTH))
            out.extend(body)
            out.append(self.delimiter(item_form, 0xFFFEE0DD))
            return length + (8 if form.implicit else 12) + 8
        out.append(self.header(form, tag, vr, length))
        out.extend(body)
        return length + (8 if form.implicit else 12)

    def element(
        self,
        ds: Dataset,
        entry: DataElement | RawElement,
        form: _Form,
        depth: int,
        out: list[Buffer],
    ) -> int:
        """Encode one element into ``out``; return its encoded length."""
        tag = entry.tag
        raw: RawElement | None
        if type(entry) is RawElement:
            raw = entry
            if (
                self.bit_preserving
                and raw.little_endian == form.little
                and raw.implicit_vr == form.implicit
            ):  # never decoded, so never changed: a sequence is copied whole
                data = raw.encoded
                out.append(data)
                return len(data)
            vr = raw.vr
            if " or " in vr:
                vr = ds.vr_of(tag)
            if vr == "SQ" or (raw.is_undefined_length and tag != PIXEL_DATA and vr != "OB"):
                entry = ds[tag]
                raw = entry.raw
                vr = entry.vr
        else:
            raw = entry.raw  # type: ignore[union-attr]
            vr = entry.vr
        if type(entry) is DataElement and (
            vr == "SQ" or (vr == "UN" and isinstance(entry.value, list))
        ):
            return self.sequence(ds, entry, form, depth, out)
        if raw is not None and raw.is_undefined_length:
            return self._encapsulated(raw.tag, raw.value_bytes, form, out, depth)
        if type(entry) is DataElement and entry.undefined_length:
            return self._encapsulated(tag, memoryview(entry.value), form, out, depth)
        if depth == 0 and tag == PIXEL_DATA and self.encapsulated:
            raise DatasetEncodeError(
                "native (defined length) Pixel Data cannot be written in an encapsulated "
                "transfer syntax: compressing pixel data is not supported"
            )
        if raw is not None:
            if (
                self.bit_preserving
                and raw.little_endian == form.little
                and raw.implicit_vr == form.implicit
            ):
                data = raw.encoded
                out.append(data)
                return len(data)
            value = self._raw_value(raw, vr, form)
        else:
            charset = None
            if vr in CHARSET_VRS and (tag >> 16 != 2 or not _ascii_text(entry.value)):  # type: ignore[union-attr]
                charset = ds.character_set
            little = form.little
            if not little and not self.new_vrs and output_vr(vr, new_vrs=False) != vr:
                little = True  # written as OB: little-endian byte order, as DCMTK does
            value = encode_value(vr, entry.value, little, charset)  # type: ignore[union-attr]
        length = len(value)
        if form.implicit:
            out.append(form.plain(tag >> 16, tag & 0xFFFF, length))
            out.append(value)
            return length + 8
        written = output_vr(vr, new_vrs=self.new_vrs)
        if written in LONG_LENGTH_VRS:
            out.append(form.long(tag >> 16, tag & 0xFFFF, _VR_BYTES[written], length))
            out.append(value)
            return length + 12
        if length > 0xFFFF:  # DCMTK writes such values as UN (OB without new VRs)
            written = "UN" if self.new_vrs else "OB"
            out.append(form.long(tag >> 16, tag & 0xFFFF, _VR_BYTES[written], length))
            out.append(value)
            return length + 12
        out.append(form.short(tag >> 16, tag & 0xFFFF, _VR_BYTES[written], length))
        out.append(value)
        return length + 8

    def _raw_value(self, raw: RawElement, vr: str, form: _Form) -> Buffer:
        """The original value bytes in the output byte order, padded to even length.

        Bytes are swapped by the unit of the element's VR to reach little endian, then by the unit
        of the written VR for big endian output: an OF written as OB (``-u``) keeps the
        little-endian byte order, as DCMTK writes it.
        """
        data: Buffer = raw.source[raw.value_offset : raw.value_offset + raw.value_length]
        if raw.little_endian != form.little or (
            not self.new_vrs and not form.implicit and vr in NEW_VRS
        ):
            unit = swap_size(vr)
            written = unit
            if not self.new_vrs and not form.implicit:
                written = swap_size(output_vr(vr, new_vrs=False))
            little = data if raw.little_endian else _swap(data, unit)
            data = little if form.little else _swap(little, written)
        if len(data) % 2:
            return bytes(data) + padding_byte(vr)
        return data

    def _encapsulated(
        self, tag: int, items: memoryview, form: _Form, out: list[Buffer], depth: int
    ) -> int:
        """Encapsulated Pixel Data (PS3.5 §A.4): items passed through, never decoded."""
        if not self.encapsulated and not self.bit_preserving:
            raise DatasetEncodeError(
                "encapsulated Pixel Data needs an encapsulated transfer syntax: "
                "decompressing pixel data is not supported"
            )
        if form.implicit or not form.little:
            raise DatasetEncodeError("encapsulated data can only be written in explicit VR LE")
        out.append(form.long(tag >> 16, tag & 0xFFFF, b"OB", UNDEFINED_LENGTH))
        out.append(items)
        out.append(form.plain(0xFFFE, 0xE0DD, 0))
        return len(items) + 20


def encode_dataset(
    ds: Dataset,
    options: WriteOptions = DEFAULT_WRITE_OPTIONS,
    *,
    source_transfer_syntax: TransferSyntax | str | None = None,
    instance_length: int = 0,
    skip_file_meta: bool = False,
) -> list[Buffer]:
    """Encode ``ds`` into a list of buffers (slices of the source where possible).

    The output transfer syntax is ``options.transfer_syntax``, else ``source_transfer_syntax``
    (what the data set was read with), else the data set's own encoding. ``instance_length`` is
    the number of bytes that precede the data set in the file (preamble, "DICM" and File Meta
    Information), used by file padding (DCMTK's instance length); ``skip_file_meta`` leaves out
    group 0002 elements (they belong in the File Meta Information, PS3.10 §7.1). A deflated
    transfer syntax gives the raw deflate stream (PS3.5 §A.5) of the explicit VR LE encoding.
    """
    ts = resolve_transfer_syntax(options, source_transfer_syntax, ds)
    if options.bit_preserving and (
        ds.implicit_vr is not None
        and (ds.implicit_vr != ts.implicit_vr or ds.little_endian != ts.little_endian)
    ):
        raise ValueError("bit_preserving (+B) needs the transfer syntax the data set was read with")
    encoder = _Encoder(options, ts)
    form = encoder.form
    min_tag = 0x00030000 if skip_file_meta else 0
    chunks, _ = encoder.dataset(ds, form, 0, _file_padding(options), instance_length, min_tag)
    if ts.deflated:
        return _deflate(chunks, options.deflate_level)
    return chunks


def _file_padding(options: WriteOptions) -> int:
    return options.file_padding if options.padding is Padding.CREATE else 0


def _deflate(chunks: list[Buffer], level: int) -> list[Buffer]:
    """Raw deflate (no zlib header) as DCMTK: windowBits -15, memLevel 8, default strategy.

    PS3.5 §A.5: an odd-length deflated stream gets a single trailing NUL (DCMTK 3.6.7 omits it).
    """
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, 8, zlib.Z_DEFAULT_STRATEGY)
    out: list[Buffer] = []
    total = 0
    for chunk in chunks:
        if chunk:
            piece = compressor.compress(chunk)
            if piece:
                out.append(piece)
                total += len(piece)
    tail = compressor.flush()
    total += len(tail)
    out.append(tail + b"\x00" if total % 2 else tail)
    return out


def write_dataset(
    ds: Dataset,
    options: WriteOptions = DEFAULT_WRITE_OPTIONS,
    *,
    source_transfer_syntax: TransferSyntax | str | None = None,
) -> bytes:
    """The encoded data set as one ``bytes`` (see :func:`encode_dataset`)."""
    return b"".join(encode_dataset(ds, options, source_transfer_syntax=source_transfer_syntax))


def write_dataset_to(
    fp: IO[bytes],
    ds: Dataset,
    options: WriteOptions = DEFAULT_WRITE_OPTIONS,
    *,
    source_transfer_syntax: TransferSyntax | str | None = None,
) -> int:
    """Write the encoded data set to the binary file ``fp``; return the number of bytes written."""
    chunks = encode_dataset(ds, options, source_transfer_syntax=source_transfer_syntax)
    fp.writelines(chunks)
    return sum(len(chunk) for chunk in chunks)
