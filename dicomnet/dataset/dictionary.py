"""The data dictionary (PS3.6 §6-8): tag to VR, VM, name and keyword, and back.

The built-in dictionary is the generated :mod:`dicomnet.dataset._dictionary_data` (the PS3.6
registry, including retired entries and the repeating groups 50xx, 60xx, 7Fxx, (1000,xxxy) ...).
Dictionaries in DCMTK's text format can be loaded instead, and ``DCMDICTPATH`` picks them the way
DCMTK does (see ``docs/dictionary.md``).

Lookup order for a tag (:meth:`DataDictionary.entry`):

1. an exact entry;
2. a repeating-group entry (PS3.5 §7.6; the ``x`` digits of PS3.6 match any hex digit, but a
   pattern with ``x`` in its group matches even groups only, since odd groups are private
   (PS3.5 §7.8), and one with ``x`` in its element never matches element 0000);
3. a group length (gggg,0000), PS3.5 §7.2: UL ``GenericGroupLength``;
4. a private creator (odd gggg, 0010-00FF), PS3.5 §7.8.1: LO ``PrivateCreator``;
5. otherwise ``None`` (unknown, including private data elements).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.dataset import _dictionary_data
from dicomnet.errors import DictionaryError

__all__ = [
    "DICTIONARY_EDITION",
    "DataDictionary",
    "DictEntry",
    "builtin_dictionary",
    "default_dictionary",
    "keyword_for_tag",
    "tag_for_keyword",
]

DICTIONARY_EDITION: str = _dictionary_data.EDITION
"""The edition of PS3.6 the built-in dictionary was generated from (e.g. ``"2024c"``)."""

_Row = tuple[str, str, str, str, bool]  # (VR, VM, name, keyword, retired)

_GROUP_INDEX_LIMIT = 512  # a pattern spanning more groups than this is not indexed by group
_BASE_TAG_TRIES = 64  # tags tried when looking for a repeating-group entry's own tag
_GROUP_LENGTH: _Row = ("UL", "1", "Generic Group Length", "GenericGroupLength", False)
_PRIVATE_CREATOR: _Row = ("LO", "1", "Private Creator", "PrivateCreator", False)


@attrs.frozen(repr=False)
class DictEntry:
    """One data dictionary entry (PS3.6 Table 6-1 columns).

    ``tag`` is ``(group << 16) | element``; for a repeating-group entry it is the pattern's base
    tag: its ``x`` digits as 0, e.g. 0x60000010 for (60xx,0010), or, where that tag is a group
    length or has an entry of its own, the next tag that looks up to the pattern, e.g.
    0x00280410 for (0028,04x0) since (0028,0400) is Transform Label. ``vr`` is spelled as in
    PS3.6 (``"US or SS"``, ``"OB or OW"``, ``"NONE"`` for the item and delimitation tags).
    """

    __repr__ = attrs_repr

    tag: int
    vr: str
    vm: str
    name: str
    keyword: str
    retired: bool


@attrs.frozen(repr=False)
class _Pattern:
    """A repeating-group entry: group and element ranges, a parity rule each, a bit mask.

    A tag matches when ``tag & mask == value``, its group is in ``group_lo..group_hi`` and has
    the parity ``group_parity`` (0 any, 1 odd, 2 even), and likewise for its element.
    """

    __repr__ = attrs_repr

    group_lo: int
    group_hi: int
    group_parity: int
    element_lo: int
    element_hi: int
    element_parity: int
    mask: int
    value: int
    row: _Row
    creator: str | None = None

    @property
    def base_tag(self) -> int:
        """The pattern's tag: its ``x`` digits as 0 (the low bounds of a DCMTK range).

        For a PS3.6 pattern whose element would come out as 0000 (a group length, which the
        pattern excludes), the lowest element the pattern matches is used instead, e.g.
        (1000,0010) for (1000,xxx0).
        """
        if self.mask == 0:
            return self.group_lo << 16 | self.element_lo
        element = self.value & 0xFFFF
        if element < self.element_lo:
            free = ~self.mask & 0xFFFF
            element |= free & -free
        return (self.value & 0xFFFF0000) | element

    @property
    def size(self) -> int:
        """About how many tags the pattern admits (exact for DCMTK ranges and PS3.6 masks).

        Used only to try more specific patterns first, as DCMTK does.
        """
        return self._count(
            self.group_lo, self.group_hi, self.group_parity, self.mask >> 16
        ) * self._count(self.element_lo, self.element_hi, self.element_parity, self.mask & 0xFFFF)

    @staticmethod
    def _count(lo: int, hi: int, parity: int, mask: int) -> int:
        if mask == 0:
            return (hi - lo) // (2 if parity else 1) + 1
        free = 1 << bin(~mask & 0xFFFF).count("1")
        return max(1, free // 2 if parity else free)

    def groups(self, limit: int) -> list[int]:
        """The groups the pattern can match, or ``[]`` when there are more than ``limit``."""
        gmask = self.mask >> 16
        gvalue = self.value >> 16
        if gmask == 0:
            step = 2 if self.group_parity else 1
            lo = self.group_lo
            if self.group_parity and (lo & 1) != (self.group_parity & 1):
                lo += 1
            if (self.group_hi - lo) // step + 1 > limit:
                return []
            return list(range(lo, self.group_hi + 1, step))
        free = ~gmask & 0xFFFF
        if (1 << bin(free).count("1")) > 2 * limit:
            return []
        if free & (free + 1) == 0 and gvalue & free == 0:  # x digits at the end: a range
            start = gvalue + (1 if self.group_parity == 1 else 0)
            step = 2 if self.group_parity else 1
            candidates = range(start, gvalue + free + 1, step)
            found = [g for g in candidates if self.group_lo <= g <= self.group_hi]
            return found if len(found) <= limit else []
        found = []
        subset = free
        while True:
            group = gvalue | subset
            if self.group_lo <= group <= self.group_hi and (
                not self.group_parity or (group & 1) == (self.group_parity & 1)
            ):
                found.append(group)
            if subset == 0:
                break
            subset = (subset - 1) & free
        found.sort()
        return found if len(found) <= limit else []

    def tags(self, groups: Iterable[int], limit: int) -> Iterator[int]:
        """Up to ``limit`` tags the pattern matches in ``groups`` (ascending), in order."""
        element_bits = [bit for bit in range(16) if not (self.mask >> bit) & 1]
        produced = 0
        for group in groups:
            if self.mask:
                candidates: Iterable[int] = (
                    self.value & 0xFFFF
                    | sum(1 << b for i, b in enumerate(element_bits) if k >> i & 1)
                    for k in range(1 << len(element_bits))
                )
            else:
                step = 2 if self.element_parity else 1
                lo = self.element_lo
                if self.element_parity and (lo & 1) != (self.element_parity & 1):
                    lo += 1
                candidates = range(lo, self.element_hi + 1, step)
            for element in candidates:
                if produced >= limit:
                    return
                if self.matches(group, element):
                    produced += 1
                    yield group << 16 | element

    def matches(self, group: int, element: int) -> bool:
        if ((group << 16) | element) & self.mask != self.value:
            return False
        if not (self.group_lo <= group <= self.group_hi):
            return False
        if not (self.element_lo <= element <= self.element_hi):
            return False
        if self.group_parity and (group & 1) != (self.group_parity & 1):
            return False
        return not (self.element_parity and (element & 1) != (self.element_parity & 1))

    @property
    def range_key(self) -> tuple[int, int, int, int, int, int, int, int, str | None]:
        """Everything but the row: entries with equal keys replace each other (DCMTK)."""
        return (
            self.group_lo,
            self.group_hi,
            self.group_parity,
            self.element_lo,
            self.element_hi,
            self.element_parity,
            self.mask,
            self.value,
            self.creator,
        )


def _pattern_from_ps36(pattern: str, row: _Row) -> _Pattern:
    """A PS3.6 repeating-group pattern such as ``"60xx0010"`` or ``"1000xxx0"``."""
    mask = int("".join("0" if c == "x" else "F" for c in pattern), 16)
    value = int(pattern.replace("x", "0"), 16)
    x_in_group = "x" in pattern[:4]
    x_in_element = "x" in pattern[4:]
    return _Pattern(
        group_lo=0,
        group_hi=0xFFFF,
        group_parity=2 if x_in_group else 0,
        element_lo=1 if x_in_element else 0,
        element_hi=0xFFFF,
        element_parity=0,
        mask=mask,
        value=value,
        row=row,
    )


class _GroupIndex(NamedTuple):
    """The repeating-group patterns by group (see :meth:`DataDictionary._group_index`)."""

    by_group: dict[int, tuple[tuple[int, _Pattern], ...]]
    wide: tuple[tuple[int, _Pattern], ...]
    groups_of: dict[int, list[int]]


class DataDictionary:
    """An immutable data dictionary; see the module docstring for the lookup order."""

    __slots__ = (
        "_by_keyword",
        "_exact",
        "_groups",
        "_named",
        "_patterns",
        "_private",
        "_private_patterns",
        "_vrs",
    )

    def __init__(
        self,
        exact: Mapping[int, _Row],
        patterns: Iterable[_Pattern] = (),
        private: Mapping[tuple[int, str, int], _Row] | None = None,
        private_patterns: Iterable[_Pattern] = (),
    ) -> None:
        """Internal: use :func:`builtin_dictionary`, :meth:`from_entries` or a loader.

        Only the exact entries are indexed here (VR and keyword); the repeating-group indexes
        are built on the first lookup that needs them (:meth:`_group_index`, :meth:`_names`),
        which a command looking up a few well-known keywords never makes.
        """
        self._exact: Mapping[int, _Row] = exact
        self._vrs: dict[int, str] = {tag: row[0] for tag, row in exact.items()}
        # Most specific first (stable sort: on a tie the earlier entry wins), as DCMTK orders.
        self._patterns: tuple[_Pattern, ...] = tuple(sorted(patterns, key=lambda p: p.size))
        self._private: Mapping[tuple[int, str, int], _Row] = private or {}
        self._private_patterns: tuple[_Pattern, ...] = tuple(
            sorted(private_patterns, key=lambda p: p.size)
        )
        # Exact keywords win over repeating-group ones (see tag_for_keyword).
        self._by_keyword: dict[str, int] = {row[3]: tag for tag, row in exact.items() if row[3]}
        self._groups: _GroupIndex | None = None
        self._named: tuple[dict[int, int], dict[str, int]] | None = None

    def _group_index(self) -> _GroupIndex:
        """Patterns indexed by the groups they can match, each with its rank in ``_patterns``;
        the few spanning more groups than _GROUP_INDEX_LIMIT are tried for every tag."""
        if self._groups is not None:
            return self._groups
        by_group: dict[int, list[tuple[int, _Pattern]]] = {}
        wide: list[tuple[int, _Pattern]] = []
        groups_of: dict[int, list[int]] = {}
        for rank, pattern in enumerate(self._patterns):
            groups = groups_of[id(pattern)] = pattern.groups(limit=_GROUP_INDEX_LIMIT)
            if not groups:
                wide.append((rank, pattern))
            for group in groups:
                by_group.setdefault(group, []).append((rank, pattern))
        index = _GroupIndex(
            {group: tuple(ranked) for group, ranked in by_group.items()}, tuple(wide), groups_of
        )
        self._groups = index
        return index

    def _names(self) -> tuple[dict[int, int], dict[str, int]]:
        """Each pattern's tag (by ``id``) and the repeating-group keywords' tags.

        A pattern's tag is the first tag it matches that no exact or more specific entry
        shadows (so that looking the tag up gives the pattern back).
        """
        if self._named is not None:
            return self._named
        groups_of = self._group_index().groups_of
        pattern_tags: dict[int, int] = {}
        for pattern in self._patterns:
            pattern_tags[id(pattern)] = next(
                (
                    t
                    for t in pattern.tags(groups_of[id(pattern)], limit=_BASE_TAG_TRIES)
                    if t not in self._exact and self._match(t >> 16, t & 0xFFFF) is pattern
                ),
                pattern.base_tag,
            )
        keywords: dict[str, int] = {}
        for pattern in reversed(self._patterns):  # the most specific pattern's keyword wins
            if pattern.row[3]:
                keywords[pattern.row[3]] = pattern_tags[id(pattern)]
        self._named = (pattern_tags, keywords)
        return self._named

    @classmethod
    def from_entries(cls, entries: Iterable[DictEntry]) -> DataDictionary:
        """A dictionary of exact entries (later entries replace earlier ones with the same tag)."""
        return cls({e.tag: (e.vr, e.vm, e.name, e.keyword, e.retired) for e in entries})

    @classmethod
    def from_dcmtk_files(cls, paths: Sequence[str | os.PathLike[str]]) -> DataDictionary:
        """Load dictionaries in DCMTK's format (e.g. ``/usr/share/libdcmtk17/dicom.dic``).

        Files are read in order and later entries replace earlier ones, as DCMTK does; the item
        and delimitation tags are always present (DCMTK's skeleton dictionary). Private entries
        such as ``(0019,"SIEMENS",08)`` are kept for :meth:`private_entry`. A file that cannot be
        read or a malformed line raises :class:`~dicomnet.errors.DictionaryError` naming the file
        and line.
        """
        exact: dict[int, _Row] = {
            0xFFFEE000: ("NONE", "1", "Item", "Item", False),
            0xFFFEE00D: ("NONE", "1", "Item Delimitation Item", "ItemDelimitationItem", False),
            0xFFFEE0DD: (
                "NONE",
                "1",
                "Sequence Delimitation Item",
                "SequenceDelimitationItem",
                False,
            ),
        }
        # Repeating entries keyed by their ranges: a later one replaces an earlier one in place.
        patterns: dict[tuple[object, ...], _Pattern] = {}
        private: dict[tuple[int, str, int], _Row] = {}
        for path in paths:
            for pattern in _parse_dcmtk_file(path):
                single = (
                    pattern.group_lo == pattern.group_hi
                    and pattern.element_lo == pattern.element_hi
                )
                if not single:
                    patterns[pattern.range_key] = pattern
                elif pattern.creator is not None:
                    key = (pattern.group_lo, pattern.creator, pattern.element_lo & 0xFF)
                    private[key] = pattern.row
                else:
                    exact[pattern.group_lo << 16 | pattern.element_lo] = pattern.row
        return cls(
            exact,
            [p for p in patterns.values() if p.creator is None],
            private,
            [p for p in patterns.values() if p.creator is not None],
        )

    def entry(self, tag: int) -> DictEntry | None:
        """The entry for ``tag``, or ``None`` when unknown (see the module docstring)."""
        row = self._exact.get(tag)
        if row is not None:
            return DictEntry(tag, *row)
        return self._fallback(tag)

    def _fallback(self, tag: int) -> DictEntry | None:
        found = self._fallback_row(tag)
        return None if found is None else DictEntry(found[0], *found[1])

    def _fallback_row(self, tag: int) -> tuple[int, _Row] | None:
        """Steps 2-4 of the lookup: (the entry's tag, its row), or ``None``."""
        group = tag >> 16
        element = tag & 0xFFFF
        if self._patterns:
            pattern = self._match(group, element)
            if pattern is not None:
                return self._names()[0][id(pattern)], pattern.row
        if element == 0:
            return tag, _GROUP_LENGTH
        if group & 1 and 0x0010 <= element <= 0x00FF:
            return tag, _PRIVATE_CREATOR
        return None

    def _match(self, group: int, element: int) -> _Pattern | None:
        """The most specific repeating-group pattern matching the tag, or ``None``."""
        index = self._group_index()
        best_rank = len(self._patterns)
        best: _Pattern | None = None
        for rank, pattern in index.by_group.get(group, ()):
            if pattern.matches(group, element):
                best_rank, best = rank, pattern
                break
        for rank, pattern in index.wide:
            if rank >= best_rank:
                break
            if pattern.matches(group, element):
                return pattern
        return best

    def vr(self, tag: int) -> str:
        """The VR of ``tag`` as PS3.6 spells it, or ``"UN"`` when the tag is unknown."""
        vr = self._vrs.get(tag)
        if vr is not None:
            return vr
        found = self._fallback_row(tag)
        return "UN" if found is None else found[1][0]

    def keyword(self, tag: int) -> str | None:
        """The keyword of ``tag`` (e.g. ``"PatientName"``), or ``None``."""
        entry = self.entry(tag)
        return entry.keyword if entry is not None and entry.keyword else None

    def tag_for_keyword(self, keyword: str) -> int | None:
        """The tag of ``keyword``; for a repeating-group keyword its base tag; else ``None``."""
        tag = self._by_keyword.get(keyword)
        if tag is None and self._patterns:
            return self._names()[1].get(keyword)
        return tag

    def private_entry(self, tag: int, creator: str) -> DictEntry | None:
        """The private dictionary entry for ``tag`` reserved by private creator ``creator``.

        Private entries come from DCMTK dictionaries (the built-in one has none); they are keyed
        by group, creator and the low byte of the element (PS3.5 §7.8.1), and the entry's tag
        holds that low byte as its element.
        """
        group = tag >> 16
        low = tag & 0xFF
        row = self._private.get((group, creator, low))
        if row is not None:
            return DictEntry(group << 16 | low, *row)
        for pattern in self._private_patterns:
            if pattern.creator == creator and pattern.matches(group, low):
                return DictEntry(pattern.base_tag, *pattern.row)
        return None

    def entries(self) -> Iterator[DictEntry]:
        """Every exact entry in tag order, then every repeating-group entry."""
        for tag in sorted(self._exact):
            yield DictEntry(tag, *self._exact[tag])
        pattern_tags = self._names()[0] if self._patterns else {}
        for pattern in self._patterns:
            yield DictEntry(pattern_tags[id(pattern)], *pattern.row)

    def __len__(self) -> int:
        return len(self._exact) + len(self._patterns)

    def __contains__(self, tag: object) -> bool:
        return isinstance(tag, int) and self.entry(tag) is not None

    def __repr__(self) -> str:
        return f"<DataDictionary: {len(self._exact)} entries, {len(self._patterns)} repeating>"


@functools.cache
def builtin_dictionary() -> DataDictionary:
    """The built-in PS3.6 dictionary (edition :data:`DICTIONARY_EDITION`), built once."""
    patterns = [_pattern_from_ps36(text, row) for text, row in _dictionary_data.REPEATERS.items()]
    return DataDictionary(_dictionary_data.ENTRIES, patterns)


def default_dictionary() -> DataDictionary:
    """The dictionary in force: ``DCMDICTPATH``'s files if it names any, else the built-in one.

    As in DCMTK, ``DCMDICTPATH`` lists dictionary files separated by ``os.pathsep`` (``:`` on
    POSIX); empty entries are ignored, and the files replace the built-in dictionary rather
    than extend it. A file that cannot be loaded raises
    :class:`~dicomnet.errors.DictionaryError`. The result is cached per ``DCMDICTPATH`` value.
    """
    return _dictionary_for(os.environ.get("DCMDICTPATH", ""))


@functools.lru_cache(maxsize=8)
def _dictionary_for(dcmdictpath: str) -> DataDictionary:
    paths = [p for p in dcmdictpath.split(os.pathsep) if p]
    if not paths:
        return builtin_dictionary()
    return DataDictionary.from_dcmtk_files(paths)


def tag_for_keyword(keyword: str) -> int | None:
    """The tag of ``keyword`` in :func:`default_dictionary`, or ``None``."""
    return default_dictionary().tag_for_keyword(keyword)


def keyword_for_tag(tag: int) -> str | None:
    """The keyword of ``tag`` in :func:`default_dictionary`, or ``None``."""
    return default_dictionary().keyword(tag)


# DCMTK's own VR names for PS3.6's multi-VR entries and internal VRs (dcmdata/libsrc/dcvr.cc).
_DCMTK_VRS = {
    "ox": "OB or OW",
    "px": "OB or OW",
    "xs": "US or SS",
    "lt": "US or SS or OW",
    "na": "NONE",
    "up": "UL",
    "pi": "OB",
}
_STANDARD_VRS = frozenset(
    {
        *("AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD"),
        *("OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI"),
        *("UL", "UN", "UR", "US", "UT", "UV"),
    }
)
# DCMTK dictionary files only: compiled (and cached by ``re``) when one is read.
_VM_RE = r"[0-9]+(?:-(?:[0-9]+|[0-9]*[nN]))?|[0-9]*[nN]"
_HEX_RE = r"[0-9A-Fa-f]{1,4}"
_PARITY = {"": 2, "e": 2, "E": 2, "o": 1, "O": 1, "u": 0, "U": 0}


def _parse_tag_part(text: str) -> tuple[int, int, int] | None:
    """``gggg``, ``gggg-hhhh`` (even), ``gggg-o-hhhh`` / ``-e-`` / ``-u-``: lo, hi, parity."""
    parts = [p.strip() for p in text.split("-")]
    if len(parts) == 1:
        if not re.fullmatch(_HEX_RE, parts[0], re.ASCII):
            return None
        value = int(parts[0], 16)
        return value, value, 0
    if len(parts) == 2:
        lo_text, restrictor, hi_text = parts[0], "", parts[1]
    elif len(parts) == 3:
        lo_text, restrictor, hi_text = parts
        if restrictor not in _PARITY or not restrictor:
            return None
    else:
        return None
    if not (re.fullmatch(_HEX_RE, lo_text, re.ASCII) and re.fullmatch(_HEX_RE, hi_text, re.ASCII)):
        return None
    lo, hi = int(lo_text, 16), int(hi_text, 16)
    if lo > hi:
        return None
    return lo, hi, _PARITY[restrictor]


def _parse_tag_field(text: str) -> tuple[tuple[int, int, int], tuple[int, int, int], str | None]:
    """``(gggg,eeee)``, with ranges, or ``(gggg,"creator",ee)``; raises ``ValueError``."""
    if not (text.startswith("(") and text.endswith(")")):
        raise ValueError("not in parentheses")
    inner = text[1:-1]
    creator: str | None = None
    if '"' in inner:
        first = inner.index('"')
        last = inner.rindex('"')
        if first == last:
            raise ValueError("unterminated private creator")
        creator = inner[first + 1 : last]
        before, after = inner[:first].strip(), inner[last + 1 :].strip()
        if not (before.endswith(",") and after.startswith(",")):
            raise ValueError("private creator not between group and element")
        group_text, element_text = before[:-1], after[1:]
    else:
        pieces = inner.split(",")
        if len(pieces) != 2:
            raise ValueError("expected (group,element)")
        group_text, element_text = pieces
    group = _parse_tag_part(group_text)
    element = _parse_tag_part(element_text)
    if group is None or element is None:
        raise ValueError("bad group or element")
    return group, element, creator


def _parse_dcmtk_line(line: str) -> _Pattern:
    """One entry line: tag, VR, name, [VM, [version]] separated by tabs; raises ``ValueError``."""
    fields = [f.strip() for f in line.split("\t")]
    if len(fields) < 3:
        raise ValueError("too few fields")
    if len(fields) > 5:
        raise ValueError("too many fields")
    tag_text, vr_text, name = fields[0], fields[1], fields[2]
    vm = fields[3] if len(fields) > 3 else "1"
    version = fields[4] if len(fields) > 4 else "DICOM"
    if not re.fullmatch(_VM_RE, vm, re.ASCII):
        raise ValueError(f"bad VM field {vm!r}")
    try:
        group, element, creator = _parse_tag_field(tag_text)
    except ValueError as exc:
        raise ValueError(f"bad tag field {tag_text!r}: {exc}") from None
    if vr_text in _STANDARD_VRS:
        vr = vr_text
    elif vr_text in _DCMTK_VRS:
        vr = _DCMTK_VRS[vr_text]
    else:
        raise ValueError(f"bad VR field {vr_text!r}")
    if not name:
        raise ValueError("empty name field")
    retired = name.startswith("RETIRED_") or "retired" in version.lower()
    row: _Row = (vr, vm, name, name.removeprefix("RETIRED_"), retired)
    (g_lo, g_hi, g_par), (e_lo, e_hi, e_par) = group, element
    if g_lo == g_hi:
        g_par = 0
    if e_lo == e_hi:
        e_par = 0
    return _Pattern(g_lo, g_hi, g_par, e_lo, e_hi, e_par, 0, 0, row, creator)


def _parse_dcmtk_file(path: str | os.PathLike[str]) -> list[_Pattern]:
    """Every entry of a DCMTK dictionary file; errors name the file and line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise DictionaryError(f"{os.fsdecode(path)}: cannot read dictionary: {exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    result: list[_Pattern] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            result.append(_parse_dcmtk_line(line))
        except ValueError as exc:
            raise DictionaryError(f"{os.fsdecode(path)}:{number}: {exc}: {line!r}") from None
    return result
