"""Data sets (PS3.5 §7): a mutable mapping from tag to element, ordered by tag, decoded lazily.

A :class:`Dataset` stores, per tag, either a :class:`~dicomnet.dataset.element.RawElement` (as
read, not decoded) or a :class:`~dicomnet.dataset.element.DataElement`. Reading ``ds[tag]``
decodes a raw element once (through :mod:`dicomnet.dataset.values`) and keeps the result, with
its raw view in ``DataElement.raw``. Keys are tags (``int``) or dictionary keywords; ``ds.Keyword``
reads and writes values. Iteration is in ascending tag order (PS3.5 §7.1) whatever the insertion
order. Sequence items are ``Dataset`` objects whose ``parent`` is the enclosing data set, so the
Specific Character Set (0008,0005) and Pixel Representation (0028,0103) of an enclosing data set
apply to them unless they carry their own (PS3.5 §7.5.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any, Final

from dicomnet.dataset.element import DataElement, RawElement
from dicomnet.dataset.tag import PIXEL_DATA, SPECIFIC_CHARACTER_SET, format_tag, private_creator_tag
from dicomnet.dataset.values import CONVERTERS, decode_value
from dicomnet.dataset.vr import CHARSET_VRS
from dicomnet.errors import DatasetDecodeError

if TYPE_CHECKING:
    from dicomnet.dataset.charset import SpecificCharacterSet
    from dicomnet.dataset.dictionary import DataDictionary
    from dicomnet.dataset.reader import ReadOptions

__all__ = ["Dataset", "keyword_for", "resolve_vr", "tag_for"]

PIXEL_REPRESENTATION: Final = 0x00280103
LUT_DESCRIPTOR: Final = 0x00283002
LUT_DATA: Final = 0x00283006

Entry = DataElement | RawElement


def _dictionary() -> DataDictionary:
    from dicomnet.dataset.dictionary import default_dictionary

    return default_dictionary()


def _tag_for_keyword(keyword: str) -> int | None:
    return _dictionary().tag_for_keyword(keyword)


def tag_for(key: int | str) -> int:
    """The tag for ``key``: an ``int`` tag as is, or a dictionary keyword (KeyError if unknown)."""
    if isinstance(key, int):
        return key
    tag = _tag_for_keyword(key)
    if tag is None:
        raise KeyError(f"unknown keyword {key!r}")
    return tag


def keyword_for(tag: int) -> str | None:
    """The dictionary keyword of ``tag``, None when unknown."""
    return _dictionary().keyword(tag)


def _default_charset() -> SpecificCharacterSet:
    from dicomnet.dataset.charset import DEFAULT_CHARSET

    return DEFAULT_CHARSET


def _charset_from(value: Any) -> SpecificCharacterSet:
    from dicomnet.dataset.charset import SpecificCharacterSet

    return SpecificCharacterSet.from_value(value)


def resolve_vr(tag: int, vr: str, ds: Dataset | None, *, undefined_length: bool = False) -> str:
    """Resolve an ambiguous dictionary VR (``"US or SS"``, ``"OB or OW"``, ...) by context.

    Used for implicit VR data, where the VR comes from the dictionary (PS3.5 Annex A.1):

    - Pixel Data: OB when encapsulated (undefined length, PS3.5 §A.4), else OW (PS3.5 §A.1);
    - other ``OB or OW`` (Overlay Data, waveform data): OW, the implicit VR form (PS3.5 §8.1.2);
    - LUT Data ``US or OW``: US when the first LUT Descriptor value is 1, else OW (PS3.3
      C.11.1.1.1), as pydicom and DCMTK do;
    - ``US or SS``: SS when Pixel Representation (0028,0103) of the nearest enclosing data set
      that has it is 1, else US;
    - anything else: the first alternative.
    """
    if " or " not in vr:
        return vr
    choices = vr.split(" or ")
    if tag in (PIXEL_REPRESENTATION, LUT_DESCRIPTOR) and "US" in choices:
        # the context elements themselves (a custom dictionary could make them ambiguous):
        # never resolve them through themselves
        return "US" if tag == PIXEL_REPRESENTATION else _us_or_ss(ds)
    if tag == PIXEL_DATA:
        return "OB" if undefined_length else "OW"
    if tag == LUT_DATA and ds is not None:
        descriptor = ds._nearest_value(LUT_DESCRIPTOR)
        first = descriptor[0] if isinstance(descriptor, list) else descriptor
        return "US" if first == 1 else "OW"
    if "US" in choices and "SS" in choices:
        return _us_or_ss(ds)
    if "OW" in choices:
        return "OW"
    return choices[0]


def _us_or_ss(ds: Dataset | None) -> str:
    pixel_rep = ds._nearest_value(PIXEL_REPRESENTATION) if ds is not None else None
    return "SS" if pixel_rep == 1 else "US"


class Dataset(MutableMapping[int, DataElement]):
    """A DICOM data set or sequence item (PS3.5 §7): tag -> :class:`DataElement`, lazily decoded.

    ``ds[tag]``, ``ds["Keyword"]`` give the :class:`DataElement`; ``ds.Keyword`` its value;
    ``tag in ds`` and ``"Keyword" in ds`` test presence. Assign a ``DataElement`` (or a
    ``RawElement``) with ``ds[tag] = element``, or a value with ``ds.Keyword = value`` (VR from
    the dictionary). ``raw_element(tag)`` gives the wire view without decoding.

    Attributes set by the reader: ``little_endian``/``implicit_vr`` (the encoding of the source;
    ``None`` when built in code), ``is_undefined_length`` (an item read with undefined length),
    ``item_offset`` (offset of the item header in the source), ``parent`` (enclosing data set).
    """

    __slots__ = (
        "_charset",
        "_depth",
        "_elements",
        "_last_tag",
        "_options",
        "_sorted",
        "implicit_vr",
        "is_undefined_length",
        "item_offset",
        "little_endian",
        "parent",
    )

    _elements: dict[int, Entry]
    _sorted: bool
    _last_tag: int
    _charset: SpecificCharacterSet | None
    _options: ReadOptions | None
    _depth: int
    parent: Dataset | None
    is_undefined_length: bool
    little_endian: bool | None
    implicit_vr: bool | None
    item_offset: int | None

    def __init__(self, elements: Iterable[Entry] = (), *, parent: Dataset | None = None) -> None:
        object.__setattr__(self, "_elements", {})
        object.__setattr__(self, "_sorted", True)
        object.__setattr__(self, "_last_tag", -1)
        object.__setattr__(self, "_charset", None)
        object.__setattr__(self, "_options", None)
        object.__setattr__(self, "_depth", 0 if parent is None else parent._depth + 1)
        object.__setattr__(self, "parent", parent)
        object.__setattr__(self, "is_undefined_length", False)
        object.__setattr__(self, "little_endian", None)
        object.__setattr__(self, "implicit_vr", None)
        object.__setattr__(self, "item_offset", None)
        for element in elements:
            self._store(element)

    # --- construction by the reader (no checks, tags arrive in file order) -------------------

    @classmethod
    def _from_entries(
        cls,
        entries: dict[int, Entry],
        little_endian: bool,
        implicit_vr: bool,
        parent: Dataset | None,
        options: ReadOptions | None,
        depth: int,
        is_undefined_length: bool = False,
        item_offset: int | None = None,
    ) -> Dataset:
        ds = cls.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(ds, "_elements", entries)
        setattr_(ds, "_sorted", True)
        setattr_(ds, "_last_tag", -1)
        setattr_(ds, "_charset", None)
        setattr_(ds, "_options", options)
        setattr_(ds, "_depth", depth)
        setattr_(ds, "parent", parent)
        setattr_(ds, "is_undefined_length", is_undefined_length)
        setattr_(ds, "little_endian", little_endian)
        setattr_(ds, "implicit_vr", implicit_vr)
        setattr_(ds, "item_offset", item_offset)
        return ds

    # --- mapping protocol ------------------------------------------------------------------

    def __getitem__(self, key: int | str) -> DataElement:
        tag = key if isinstance(key, int) else tag_for(key)
        entry = self._elements[tag]
        if type(entry) is RawElement:
            entry = self._decode(entry)
            self._elements[tag] = entry
        return entry  # type: ignore[return-value]

    def __setitem__(self, key: int | str, element: Entry) -> None:
        tag = tag_for(key)
        if not isinstance(element, DataElement | RawElement):
            raise TypeError(f"a Dataset holds DataElement or RawElement, not {type(element)!r}")
        if element.tag != tag:
            raise ValueError(f"key {format_tag(tag)} differs from element tag {element.tag:#010x}")
        self._store(element)

    def __delitem__(self, key: int | str) -> None:
        tag = tag_for(key)
        del self._elements[tag]
        if tag == SPECIFIC_CHARACTER_SET:
            object.__setattr__(self, "_charset", None)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            tag = _tag_for_keyword(key)
            return tag is not None and tag in self._elements
        return key in self._elements

    def __iter__(self) -> Iterator[int]:
        self._sort()
        return iter(list(self._elements))

    def __len__(self) -> int:
        return len(self._elements)

    def __repr__(self) -> str:
        return f"Dataset({len(self)} elements)"

    def __str__(self) -> str:
        return "\n".join(self._lines(0))

    def _lines(self, depth: int) -> Iterator[str]:
        indent = "  " * depth
        for tag in self:
            element = self[tag]
            name = keyword_for(tag) or "?"
            if element.vr == "SQ":
                yield f"{indent}{format_tag(tag)} SQ {name}: {len(element.value)} item(s)"
                for number, item in enumerate(element.value, 1):
                    yield f"{indent}  item {number}"
                    yield from item._lines(depth + 2)
            else:
                text = repr(element.value)
                if len(text) > 80:
                    text = text[:77] + "..."
                yield f"{indent}{format_tag(tag)} {element.vr} {name}: {text}"

    def _store(self, element: Entry) -> None:
        tag = element.tag
        self._elements[tag] = element
        if tag > self._last_tag:
            object.__setattr__(self, "_last_tag", tag)
        elif tag != self._last_tag:
            object.__setattr__(self, "_sorted", False)
        if tag == SPECIFIC_CHARACTER_SET:
            object.__setattr__(self, "_charset", None)
        if isinstance(element, DataElement) and element.vr == "SQ" and element.value:
            for item in element.value:
                if isinstance(item, Dataset):
                    object.__setattr__(item, "parent", self)
                    object.__setattr__(item, "_depth", self._depth + 1)

    def _sort(self) -> None:
        if not self._sorted:
            object.__setattr__(self, "_elements", dict(sorted(self._elements.items())))
            object.__setattr__(self, "_sorted", True)
            object.__setattr__(self, "_last_tag", next(reversed(self._elements), -1))

    # --- keyword attributes ----------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name[:1].isupper():
            tag = _tag_for_keyword(name)
            if tag is not None and tag in self._elements:
                return self[tag].value
        raise AttributeError(f"{type(self).__name__!s} has no attribute or element {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name[:1].isupper():
            tag = _tag_for_keyword(name)
            if tag is None:
                raise AttributeError(f"unknown keyword {name!r}")
            self.set(tag, value)
            return
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name[:1].isupper():
            tag = _tag_for_keyword(name)
            if tag is not None and tag in self._elements:
                del self[tag]
                return
            raise AttributeError(name)
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        keywords = [kw for kw in (keyword_for(tag) for tag in self._elements) if kw]
        return sorted(set(super().__dir__()) | set(keywords))

    # --- convenience ---------------------------------------------------------------------

    def set(self, key: int | str, value: Any, vr: str | None = None) -> DataElement:
        """Set element ``key`` to ``value`` (VR from the dictionary unless given); return it."""
        tag = tag_for(key)
        if vr is None:
            vr = resolve_vr(tag, _dictionary().vr(tag), self)
        if vr == "SQ" and value is None:
            value = []
        element = DataElement(tag, vr, value)
        self._store(element)
        return element

    def get_value(self, key: int | str, default: Any = None) -> Any:
        """The decoded value of ``key``, or ``default`` when absent."""
        try:
            return self[key].value
        except KeyError:
            return default

    def raw_element(self, key: int | str) -> RawElement | None:
        """The wire view of ``key`` (without decoding it), None if absent or built in code."""
        entry = self._elements.get(tag_for(key))
        if entry is None:
            return None
        return entry if type(entry) is RawElement else entry.raw  # type: ignore[union-attr]

    def entries(self) -> Iterator[Entry]:
        """Stored entries in tag order, without decoding: ``RawElement`` or ``DataElement``."""
        self._sort()
        return iter(list(self._elements.values()))

    def vr_of(self, key: int | str) -> str:
        """The VR of ``key`` with ambiguity resolved by context (see :func:`resolve_vr`)."""
        entry = self._elements[tag_for(key)]
        if type(entry) is RawElement:
            return self._resolved_raw_vr(entry)
        return entry.vr

    def private_creator(self, key: int | str) -> str | None:
        """The Private Creator reserving private element ``key`` (PS3.5 §7.8.1), if present."""
        creator_tag = private_creator_tag(tag_for(key))
        if creator_tag is None or creator_tag not in self._elements:
            return None
        value = self[creator_tag].value
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value) if value is not None else None

    @property
    def character_set(self) -> SpecificCharacterSet:
        """The Specific Character Set in effect: this data set's (0008,0005), else the parent's."""
        # Iterative (nesting may be deep). Only a data set that declares (0008,0005) caches its
        # character set, so changing it is seen at once by every nested item.
        ds: Dataset = self
        while True:
            if SPECIFIC_CHARACTER_SET in ds._elements:
                cached = ds._charset
                if cached is None:
                    cached = _charset_from(ds._charset_terms())
                    object.__setattr__(ds, "_charset", cached)
                return cached
            parent = ds.parent
            if parent is None:
                return _default_charset()
            ds = parent

    def _charset_terms(self) -> str | list[str]:
        """The defined terms of this data set's (0008,0005), read as CS whatever the VR found.

        The value is in the default repertoire (PS3.5 §6.1.2.5.3), so it is decoded from its raw
        bytes without any character set (never through ``self[...]``, which would need one).
        """
        entry = self._elements[SPECIFIC_CHARACTER_SET]
        raw = entry if isinstance(entry, RawElement) else entry.raw
        if raw is not None:
            text = str(raw.value_bytes, "latin-1").rstrip(" \x00")
            return text.split("\\") if "\\" in text else text
        assert isinstance(entry, DataElement)
        value = entry.value
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        return ""

    def _nearest_value(self, tag: int) -> Any:
        ds: Dataset | None = self
        while ds is not None:
            if tag in ds._elements:
                try:
                    return ds[tag].value
                except DatasetDecodeError:
                    return None
            ds = ds.parent
        return None

    def _resolved_raw_vr(self, raw: RawElement) -> str:
        vr = raw.vr
        if " or " in vr:
            return resolve_vr(raw.tag, vr, self, undefined_length=raw.is_undefined_length)
        return vr

    def _decode(self, raw: RawElement) -> DataElement:
        vr = raw.vr
        if vr == "SQ":
            # A defined-length sequence deferred by the reader: parse its items now.
            from dicomnet.dataset.reader import decode_sequence

            return decode_sequence(raw, self)
        if vr not in CONVERTERS:
            vr = self._resolved_raw_vr(raw)
        creator = self.private_creator(raw.tag) if (raw.tag >> 16) & 1 else None
        if raw.is_undefined_length:
            # Encapsulated pixel data: the item sequence, never decoded (PS3.5 §A.4).
            value: Any = bytes(raw.value_bytes)
            return DataElement(
                raw.tag, vr, value, undefined_length=True, raw=raw, private_creator=creator
            )
        charset = (
            self.character_set if vr in CHARSET_VRS and raw.tag != SPECIFIC_CHARACTER_SET else None
        )
        try:
            value = decode_value(vr, raw.value_bytes, raw.little_endian, charset)
        except DatasetDecodeError as exc:
            raise DatasetDecodeError(exc.message, offset=raw.offset, tag=raw.tag) from None
        return DataElement(raw.tag, vr, value, raw=raw, private_creator=creator)
