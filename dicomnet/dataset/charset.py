"""Specific Character Set (0008,0005): decoding and encoding of text values (PS3.5 §6.1).

The attribute names the character repertoires of SH, LO, ST, LT, PN, UC and UT values
(PS3.5 §6.1.2.3, PS3.3 C.12.1.1.2). Three cases (PS3.5 §6.1.2.5.4):

- a single value without code extensions (default repertoire, ``ISO_IR 100`` ... ``ISO_IR 166``,
  ``ISO_IR 13``, ``ISO_IR 192``, ``GB18030``, ``GBK``): one codec for the whole value;
- several values, or one ``ISO 2022 IR n`` value: ISO/IEC 2022 code extensions. G0 and G1 start
  with the sets of value 1 (ISO-IR 6 and no G1 when value 1 is empty); escape sequences designate
  other sets (PS3.3 Tables C.12-3, C.12-4); the initial sets are active again after every control
  character except ESC, after backslash in multi-valued VRs, and after ``^`` and ``=`` in PN
  (PS3.5 §6.1.2.5.3);
- unknown or misplaced terms are recorded in :attr:`SpecificCharacterSet.problems`, never raised.

Decoding never raises: bytes that the sets in force do not define become U+FFFD; bytes in GR while
no G1 set is designated (and any byte above 0x7F in the default repertoire) are read as Latin-1;
an unrecognised or truncated escape sequence becomes one U+FFFD. Encoding raises
:class:`~dicomnet.errors.DatasetEncodeError` when a character is in none of the sets.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.errors import DatasetEncodeError

__all__ = ["DEFAULT_CHARSET", "SpecificCharacterSet", "is_charset_sensitive"]

Buffer = bytes | bytearray | memoryview

_CHARSET_VRS: Final = frozenset({"SH", "LO", "ST", "LT", "PN", "UC", "UT"})
_REPLACEMENT: Final = "\ufffd"
_UNDEFINED: Final = "\ufffe"  # charmap tables: "no character here", decoded as U+FFFD
_ESC: Final = 0x1B


def is_charset_sensitive(vr: str) -> bool:
    """True for the VRs whose values use the Specific Character Set (PS3.5 §6.1.2.3)."""
    return vr in _CHARSET_VRS


# --- graphic character sets (ISO/IEC 2022 94-, 96- and 94x94-sets) ---------------------------


class _GraphicSet:
    """One graphic character set: its final byte, size and character table.

    Single-byte sets hold ``chars``: 94 characters for 0x21..0x7E, or 96 for 0x20..0x7F (only
    valid in G1, where they sit at 0xA0..0xFF). Two-byte sets decode through a Python EUC-style
    codec fed with the GR form (both bytes 0xA1..0xFE).
    """

    __slots__ = ("_chars", "_encode_map", "_upper_codec", "codec", "final", "name", "size")

    def __init__(
        self,
        name: str,
        final: bytes,
        size: int,
        chars: str = "",
        codec: str = "",
        upper_codec: str = "",
    ) -> None:
        self.name = name
        self.final = final
        self.size = size  # 94, 96, or 9494 (two bytes, 94 x 94)
        # A 96-set's table is read from ``upper_codec`` on first use: building the eleven
        # ISO 8859-style tables (and importing their codecs) at import would cost every process
        # that never meets such a character set.
        self._chars: str | None = chars if not upper_codec else None
        self._upper_codec = upper_codec
        self.codec = codec
        self._encode_map: dict[str, bytes] | None = None

    @property
    def chars(self) -> str:
        """The single-byte table (see the class docstring); built on first use for 96-sets."""
        if self._chars is None:
            self._chars = _upper_half(self._upper_codec)
        return self._chars

    @property
    def double(self) -> bool:
        return self.size == 9494

    def designation(self, slot: int) -> bytes:
        """The escape sequence designating this set to G0 (slot 0) or G1 (slot 1)."""
        if self.size == 94:
            return b"\x1b" + (b"(" if slot == 0 else b")") + self.final
        if self.size == 96:
            return b"\x1b-" + self.final
        if slot == 0:
            return b"\x1b$" + (self.final if self.final in b"@AB" else b"(" + self.final)
        return b"\x1b$)" + self.final

    def _euc(self, gr: bytes) -> bytes:
        """GR-form pairs as bytes of ``self.codec`` (JIS X 0212 needs the 0x8F prefix)."""
        if self.final == b"D":
            return _PAIRS.sub(b"\x8f\\g<0>", gr)
        return gr

    def decode_gr(self, gr: bytes) -> str:
        """Two-byte set: decode GR-form bytes; a bad or odd pair becomes one U+FFFD."""
        try:
            return self._euc(gr).decode(self.codec)
        except UnicodeDecodeError:
            pass
        out = []
        for i in range(0, len(gr) - 1, 2):
            try:
                text = self._euc(gr[i : i + 2]).decode(self.codec)
            except UnicodeDecodeError:
                text = _REPLACEMENT
            out.append(text)
        if len(gr) % 2:
            out.append(_REPLACEMENT)
        return "".join(out)

    def encode_map(self) -> dict[str, bytes]:
        """Character -> its 7-bit (GL) code, built once from the decoding direction."""
        if self._encode_map is None:
            table: dict[str, bytes] = {}
            if self.double:
                for b1 in range(0xA1, 0xFF):
                    for b2 in range(0xA1, 0xFF):
                        try:
                            ch = self._euc(bytes((b1, b2))).decode(self.codec)
                        except UnicodeDecodeError:
                            continue
                        if len(ch) == 1:
                            table.setdefault(ch, bytes((b1 & 0x7F, b2 & 0x7F)))
            else:
                first = 0x21 if self.size == 94 else 0x20
                for i, ch in enumerate(self.chars):
                    if ch != _UNDEFINED:
                        table.setdefault(ch, bytes((first + i,)))
                if self.size == 94 and self.chars[0] == "!":  # ISO-IR 6 / 14 in G0: SPACE, DEL
                    table[" "], table["\x7f"] = b" ", b"\x7f"
            self._encode_map = table
        return self._encode_map


_PAIRS: Final = re.compile(rb"..", re.DOTALL)


def _upper_half(codec: str) -> str:
    """The 96 characters of an ISO 8859-style codec at 0xA0..0xFF (undefined -> U+FFFE)."""
    out = []
    for byte in range(0xA0, 0x100):
        try:
            out.append(bytes((byte,)).decode(codec))
        except UnicodeDecodeError:
            out.append(_UNDEFINED)
    return "".join(out)


_ASCII_GL: Final = "".join(chr(i) for i in range(0x21, 0x7F))
# ISO-IR 14 differs from ISO-IR 6 only at 05/12 (YEN SIGN) and 07/14 (OVERLINE); like pydicom
# and Python's shift_jis we keep them as BACKSLASH and TILDE so that 05/12 stays a delimiter.
_KATAKANA_GL: Final = "".join(chr(0xFF61 + i) for i in range(63)) + _UNDEFINED * 31

_IR_6: Final = _GraphicSet("ISO-IR 6", b"B", 94, _ASCII_GL)
_IR_14: Final = _GraphicSet("ISO-IR 14", b"J", 94, _ASCII_GL)
_IR_13: Final = _GraphicSet("ISO-IR 13", b"I", 94, _KATAKANA_GL)
_UPPER_HALVES: Final = {
    # ISO-IR number: (final byte, Python codec) -- PS3.3 Table C.12-3
    100: (b"A", "latin_1"),
    101: (b"B", "iso8859_2"),
    109: (b"C", "iso8859_3"),
    110: (b"D", "iso8859_4"),
    144: (b"L", "iso8859_5"),
    127: (b"G", "iso8859_6"),
    126: (b"F", "iso8859_7"),
    138: (b"H", "iso8859_8"),
    148: (b"M", "iso8859_9"),
    203: (b"b", "iso8859_15"),
    166: (b"T", "tis_620"),
}
_SETS_96: Final = {
    number: _GraphicSet(f"ISO-IR {number}", final, 96, upper_codec=codec)
    for number, (final, codec) in _UPPER_HALVES.items()
}
_IR_87: Final = _GraphicSet("ISO-IR 87", b"B", 9494, codec="euc_jp")
_IR_159: Final = _GraphicSet("ISO-IR 159", b"D", 9494, codec="euc_jp")
_IR_149: Final = _GraphicSet("ISO-IR 149", b"C", 9494, codec="euc_kr")
_IR_58: Final = _GraphicSet("ISO-IR 58", b"A", 9494, codec="gb2312")

# Escape sequence (without ESC) -> (slot, set). Beyond the PS3.3 tables this also accepts the
# other designations of the same sets that ISO 2022 allows (ESC $ @, ESC $ ( B, ...).
_DESIGNATIONS: Final[dict[bytes, tuple[int, _GraphicSet]]] = {}
for _gset in (_IR_6, _IR_14, _IR_13):
    _DESIGNATIONS[b"(" + _gset.final] = (0, _gset)
    _DESIGNATIONS[b")" + _gset.final] = (1, _gset)
for _gset in _SETS_96.values():
    _DESIGNATIONS[b"-" + _gset.final] = (1, _gset)
for _gset in (_IR_87, _IR_159, _IR_149, _IR_58):
    _DESIGNATIONS[b"$(" + _gset.final] = (0, _gset)
    _DESIGNATIONS[b"$)" + _gset.final] = (1, _gset)
    if _gset.final in b"@AB":
        _DESIGNATIONS[b"$" + _gset.final] = (0, _gset)
_DESIGNATIONS[b"$@"] = (0, _IR_87)  # JIS C 6226-1978, read as JIS X 0208
_DESIGNATIONS[b"$(@"] = (0, _IR_87)
del _gset

_ESCAPE: Final = re.compile(rb"\x1b([\x20-\x2f]{0,3}[\x30-\x7e])")
_CHUNKS: Final = re.compile(rb"[\x21-\x7e]+|[\xa1-\xfe]+|[^\x21-\x7e\xa1-\xfe]+")
_TO_GR: Final = bytes(i | 0x80 for i in range(256))  # GL code -> the same code in GR

# --- defined terms (PS3.3 Tables C.12-2 .. C.12-5) -------------------------------------------

_SetPair = tuple[_GraphicSet, _GraphicSet | None]
_CODE_EXTENSION_TERMS: Final[dict[str, _SetPair]] = {
    "ISO 2022 IR 6": (_IR_6, None),
    "ISO 2022 IR 13": (_IR_14, _IR_13),
    "ISO 2022 IR 87": (_IR_87, None),
    "ISO 2022 IR 159": (_IR_159, None),
    "ISO 2022 IR 149": (_IR_6, _IR_149),
    "ISO 2022 IR 58": (_IR_6, _IR_58),
    **{f"ISO 2022 IR {n}": (_IR_6, gset) for n, gset in _SETS_96.items()},
}
_PLAIN_CODECS: Final[dict[str, str]] = {
    **{f"ISO_IR {n}": codec for n, (_final, codec) in _UPPER_HALVES.items()},
    "ISO_IR 192": "utf_8",
    "GB18030": "gb18030",
    "GBK": "gbk",
}
_STAND_ALONE: Final = frozenset({"ISO_IR 192", "GB18030", "GBK"})
_KNOWN: Final = frozenset({*_CODE_EXTENSION_TERMS, *_PLAIN_CODECS, "ISO_IR 13"})


def _sb_table(g0: _GraphicSet | None, g1: _GraphicSet | None) -> str:
    """A 256-entry charmap decoding table for single-byte G0/G1 sets (PS3.5 §6.1.2.3 Note 1).

    C0 and C1 controls map to themselves; GR without a designated single-byte G1 reads as
    Latin-1 (the documented fallback); two-byte sets are handled elsewhere (placeholders here).
    """
    gl = g0.chars if g0 is not None and g0.size == 94 else _ASCII_GL
    table = "".join(chr(i) for i in range(0x21)) + gl + "\x7f"
    table += "".join(chr(i) for i in range(0x80, 0xA0))
    if g1 is None or g1.double:
        table += "".join(chr(i) for i in range(0xA0, 0x100))
    elif g1.size == 96:
        table += g1.chars
    else:
        table += _UNDEFINED + g1.chars + _UNDEFINED
    return table


# --- engines ------------------------------------------------------------------------------


class _Plain:
    """No code extensions: one Python codec for the whole value (PS3.5 §6.1.2.5.4 a, b, d)."""

    __slots__ = ("decode_codec", "encode_codec")

    def __init__(self, decode_codec: str, encode_codec: str) -> None:
        self.decode_codec = decode_codec
        self.encode_codec = encode_codec

    def decode(self, raw: Buffer, vr: str) -> str:
        return str(raw, self.decode_codec, "replace")

    def encode(self, value: str, vr: str) -> bytes:
        try:
            return value.encode(self.encode_codec)
        except UnicodeEncodeError as exc:
            raise _encode_error(value, exc.start, self.encode_codec) from None


class _Charmap:
    """No code extensions, JIS X 0201 (``ISO_IR 13``): ISO-IR 14 in GL, ISO-IR 13 in GR."""

    __slots__ = ("encoding", "table")

    def __init__(self, table: str) -> None:
        self.table = table
        self.encoding = codecs.charmap_build(table)

    def decode(self, raw: Buffer, vr: str) -> str:
        return codecs.charmap_decode(raw, "replace", self.table)[0]

    def encode(self, value: str, vr: str) -> bytes:
        try:
            return codecs.charmap_encode(value, "strict", self.encoding)[0]
        except UnicodeEncodeError as exc:
            raise _encode_error(value, exc.start, "ISO_IR 13") from None


def _encode_error(value: str, index: int, where: str) -> DatasetEncodeError:
    char = value[index] if 0 <= index < len(value) else ""
    return DatasetEncodeError(
        f"character {char!r} (U+{ord(char or ' '):04X}) at index {index} of {value!r} "
        f"is not in the Specific Character Set ({where})"
    )


_CONTROLS: Final = "".join(chr(i) for i in range(0x20) if i != _ESC)
_DELIMITER_CHARS: Final = {"PN": _CONTROLS + "\\^=", "SH": _CONTROLS + "\\"}
_DELIMITER_CHARS["LO"] = _DELIMITER_CHARS["UC"] = _DELIMITER_CHARS["SH"]
_DELIMITER_BYTES: Final = {
    vr: re.compile(b"[" + re.escape(chars.encode("ascii")) + b"]")
    for vr, chars in _DELIMITER_CHARS.items()
}
_CONTROL_BYTES: Final = re.compile(rb"[\x00-\x1a\x1c-\x1f]")

_Decoder = Callable[[bytes], str]
_DECODERS: Final[dict[_SetPair, _Decoder]] = {}  # at most |G0 sets| x |G1 sets| entries
_NOT_GL: Final = re.compile(rb"[^\x21-\x7e]")


def _decoder(g0: _GraphicSet, g1: _GraphicSet | None) -> _Decoder:
    """The decoder of a run of bytes (no ESC inside) while ``g0`` and ``g1`` are designated."""
    found = _DECODERS.get((g0, g1))
    if found is not None:
        return found
    table = _sb_table(None if g0.double else g0, g1)

    def generic(run: bytes) -> str:
        out = []
        for match in _CHUNKS.finditer(run):
            chunk = match.group()
            first = chunk[0]
            if g0.double and 0x21 <= first <= 0x7E:
                out.append(g0.decode_gr(chunk.translate(_TO_GR)))
            elif g1 is not None and g1.double and 0xA1 <= first <= 0xFE:
                out.append(g1.decode_gr(chunk))
            else:
                out.append(codecs.charmap_decode(chunk, "replace", table)[0])
        return "".join(out)

    def single_bytes(run: bytes) -> str:
        return codecs.charmap_decode(run, "replace", table)[0]

    g1_codec = g1.codec if g1 is not None else ""

    def ascii_and_g1(run: bytes) -> str:
        # EUC-KR and GB 2312 are exactly ISO-IR 6 in GL plus the two-byte set in GR
        try:
            return run.decode(g1_codec)
        except UnicodeDecodeError:
            return generic(run)

    def double_g0(run: bytes) -> str:
        if _NOT_GL.search(run) is None:
            return g0.decode_gr(run.translate(_TO_GR))
        return generic(run)

    decoder: _Decoder
    if not g0.double and (g1 is None or not g1.double):
        decoder = single_bytes
    elif g0 in (_IR_6, _IR_14) and g1 in (_IR_149, _IR_58):
        decoder = ascii_and_g1
    elif g0.double:
        decoder = double_g0
    else:
        decoder = generic
    _DECODERS[g0, g1] = decoder
    return decoder


class _Iso2022:
    """ISO/IEC 2022 code extensions as DICOM restricts them (PS3.5 §6.1.2.5)."""

    __slots__ = ("candidates", "init")

    def __init__(
        self, init: _SetPair, candidates: list[tuple[int, _GraphicSet, _GraphicSet]]
    ) -> None:
        self.init = init
        # (slot, set, the single-byte G0 of the same term): in the order of the terms
        self.candidates = candidates

    # decoding ----------------------------------------------------------------------------

    def decode(self, raw: Buffer, vr: str) -> str:
        data = bytes(raw)
        init_g0, init_g1 = self.init
        if _ESC not in data:
            return _decoder(init_g0, init_g1)(data)
        delimiters = _DELIMITER_BYTES.get(vr, _CONTROL_BYTES)
        out: list[str] = []
        g0, g1 = init_g0, init_g1
        pos, size = 0, len(data)
        while pos < size:
            esc = data.find(b"\x1b", pos)
            end = size if esc < 0 else esc
            while pos < end:
                if g0 is init_g0 and g1 is init_g1:
                    out.append(_decoder(g0, g1)(data[pos:end]))
                    pos = end
                    break
                # a delimiter reasserts the initial sets (PS3.5 §6.1.2.5.3); inside a two-byte G0
                # only control characters can be recognised
                found = (_CONTROL_BYTES if g0.double else delimiters).search(data, pos, end)
                stop = end if found is None else found.start()
                if stop > pos:
                    out.append(_decoder(g0, g1)(data[pos:stop]))
                pos = stop
                if found is not None:
                    g0, g1 = init_g0, init_g1
            if esc < 0:
                break
            designation = _DESIGNATIONS.get(data[esc + 1 : esc + 3])
            pos = esc + 3
            if designation is None:
                designation = _DESIGNATIONS.get(data[esc + 1 : esc + 4])
                pos = esc + 4
            if designation is None:
                # not one we know: skip a well-formed sequence, or the lone ESC
                match = _ESCAPE.match(data, esc)
                pos = esc + 1 if match is None else match.end()
                out.append(_REPLACEMENT)
            elif designation[0] == 0:
                g0 = designation[1]
            else:
                g1 = designation[1]
        return "".join(out)

    # encoding ----------------------------------------------------------------------------

    def encode(self, value: str, vr: str) -> bytes:
        if value.isascii() and "\x1b" not in value:
            return value.encode("ascii")  # initial G0 is ISO-IR 6 or 14: ASCII bytes as is
        delimiters = _DELIMITER_CHARS.get(vr, _CONTROLS)
        init_g0, init_g1 = self.init
        g0, g1 = init_g0, init_g1
        g0_map, g1_map = g0.encode_map(), g1.encode_map() if g1 is not None else {}
        redesignate_g1 = False
        out = bytearray()
        for index, char in enumerate(value):
            if char in delimiters:
                if g0 is not init_g0:
                    out += init_g0.designation(0)
                out.append(ord(char))
                g0, g1, redesignate_g1 = init_g0, init_g1, False
                g0_map, g1_map = g0.encode_map(), g1.encode_map() if g1 is not None else {}
                continue
            code = g0_map.get(char)
            if code is not None:
                out += code
                continue
            if not g0.double:
                code = g1_map.get(char)
                if code is not None:
                    if redesignate_g1 and g1 is not None:
                        out += g1.designation(1)
                        redesignate_g1 = False
                    out += code.translate(_TO_GR)
                    continue
            for slot, gset, term_g0 in self.candidates:
                code = gset.encode_map().get(char)
                if code is None:
                    continue
                # After leaving a two-byte G0 set, the next G1 character re-designates G1 even
                # if G1 still holds its set: decoders that track one active set rather than G0
                # and G1 (DCMTK) read ESC ( B as "ISO-IR 6 only".
                if slot == 0:
                    redesignate_g1 = redesignate_g1 or (g0.double and not gset.double)
                    out += gset.designation(0)
                    g0, g0_map = gset, gset.encode_map()
                    out += code
                else:
                    if g0.double:  # leave the two-byte G0 first
                        out += term_g0.designation(0)
                        g0, g0_map = term_g0, term_g0.encode_map()
                        redesignate_g1 = True
                    if gset is not g1 or redesignate_g1:
                        out += gset.designation(1)
                        g1, g1_map, redesignate_g1 = gset, gset.encode_map(), False
                    out += code.translate(_TO_GR)
                break
            else:
                names = ", ".join(dict.fromkeys(g.name for _, g, _ in self.candidates))
                raise _encode_error(value, index, names)
        if g0 is not init_g0:
            out += init_g0.designation(0)
        return bytes(out)


_Engine = _Plain | _Charmap | _Iso2022
_DEFAULT_ENGINE: Final = _Plain("latin_1", "ascii")
_JIS_X_0201: Final = _Charmap(_sb_table(_IR_14, _IR_13))


def _engine_for(terms: tuple[str, ...]) -> _Engine:
    """Build the codec for normalised terms (see :meth:`SpecificCharacterSet.from_value`)."""
    if not terms:
        return _DEFAULT_ENGINE
    if len(terms) == 1 and terms[0] in _PLAIN_CODECS:
        codec = _PLAIN_CODECS[terms[0]]
        return _Plain(codec, codec)
    if len(terms) == 1 and terms[0] == "ISO_IR 13":
        return _JIS_X_0201
    first_g0, first_g1 = _CODE_EXTENSION_TERMS.get(terms[0] or "ISO 2022 IR 6", (_IR_6, None))
    init = (_IR_6 if first_g0.double else first_g0, first_g1)
    candidates: list[tuple[int, _GraphicSet, _GraphicSet]] = []
    for term in (terms[0] or "ISO 2022 IR 6", *terms[1:]):
        if term not in _CODE_EXTENSION_TERMS:
            continue
        g0, g1 = _CODE_EXTENSION_TERMS[term]
        term_g0 = _IR_6 if g0.double else g0
        candidates.append((0, g0, term_g0))
        if g1 is not None:
            candidates.append((1, g1, term_g0))
    if all(gset is not init[0] for _, gset, _ in candidates):  # value 1 was not single-byte
        candidates.insert(0, (0, init[0], init[0]))
    return _Iso2022(init, candidates)


# --- term normalisation -------------------------------------------------------------------

_IR_SPELLING: Final = re.compile(r"ISO[ _-]?IR[ _-]?(\d+)")
_IR_2022_SPELLING: Final = re.compile(r"ISO[ _-]?2022[ _-]?IR[ _-]?(\d+)")
_GB_SPELLING: Final = re.compile(r"(GB)[ _-]?(18030)|(GBK)")


def _correct(term: str) -> str | None:
    """A known defined term for a common misspelling (as pydicom accepts), else ``None``."""
    upper = term.upper()
    if upper in _KNOWN:
        return upper
    match = _IR_2022_SPELLING.fullmatch(upper)
    if match is not None:
        candidate = f"ISO 2022 IR {match.group(1)}"
    elif (match := _IR_SPELLING.fullmatch(upper)) is not None:
        candidate = f"ISO_IR {match.group(1)}"
    elif (match := _GB_SPELLING.fullmatch(upper)) is not None:
        candidate = "GBK" if match.group(3) else "GB18030"
    elif upper in {"UTF-8", "UTF8"}:
        candidate = "ISO_IR 192"
    else:
        return None
    return candidate if candidate in _KNOWN else None


def _bounded(problems: list[str], limit: int = 16) -> tuple[str, ...]:
    """At most ``limit`` problem sentences (a hostile attribute may have thousands of values)."""
    if len(problems) <= limit:
        return tuple(problems)
    return (*problems[:limit], f"... and {len(problems) - limit} more problems")


def _normalise(values: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(terms in effect, problems) for the raw (0008,0005) values."""
    problems: list[str] = []
    terms: list[str] = []
    for position, raw in enumerate(values):
        term = raw.strip(" \x00")
        if not term:
            if position == 0:
                terms.append("")
            continue
        if term == "ISO_IR 6":
            problems.append("'ISO_IR 6' is not a defined term; default repertoire assumed")
            term = "" if position == 0 else "ISO 2022 IR 6"
        elif term not in _KNOWN:
            corrected = _correct(term)
            if corrected is None:
                problems.append(f"unknown Specific Character Set term {term!r} ignored")
                term = ""
                if position > 0:
                    continue
            else:
                problems.append(f"{term!r} is not a defined term; {corrected!r} assumed")
                term = corrected
        terms.append(term)
    while len(terms) > 1 and terms[-1] == "":
        terms.pop()
    if not any(terms):
        return (), _bounded(problems)
    if len(terms) == 1:
        if terms[0] in ("ISO 2022 IR 87", "ISO 2022 IR 159"):
            problems.append(f"{terms[0]!r} cannot be value 1; ISO-IR 6 assumed as initial G0")
        return tuple(terms), _bounded(problems)
    if terms[0] in _STAND_ALONE:
        problems.append(f"{terms[0]!r} allows no code extensions; other values ignored")
        return (terms[0],), _bounded(problems)
    effective: list[str] = []
    for position, term in enumerate(terms):
        if term in _STAND_ALONE:
            problems.append(f"{term!r} cannot be used as a code extension; ignored")
            continue
        if term.startswith("ISO_IR "):
            extended = "ISO 2022 IR " + term[7:]
            problems.append(f"{term!r} in a multi-valued attribute; {extended!r} assumed")
            term = extended
        if position == 0 and term in ("ISO 2022 IR 87", "ISO 2022 IR 159"):
            problems.append(f"{term!r} cannot be value 1; ISO-IR 6 assumed as initial G0")
        elif position == 0 and term in ("ISO 2022 IR 149", "ISO 2022 IR 58"):
            problems.append(f"{term!r} should not be value 1; used as the initial G1 set")
        if term not in effective:
            effective.append(term)
    return tuple(effective), _bounded(problems)


# --- public type --------------------------------------------------------------------------


@attrs.frozen(repr=False)
class SpecificCharacterSet:
    """The character sets named by (0008,0005), ready to decode and encode text values.

    Build it with :meth:`from_value` (cached). ``terms`` are the defined terms in effect (an empty
    first term means the default repertoire as value 1; ``()`` is the default repertoire alone);
    ``problems`` describes what was corrected or ignored in the attribute as read.
    """

    __repr__ = attrs_repr

    terms: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    _engine: _Engine = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_engine", _engine_for(self.terms))

    def __reduce__(self) -> tuple[type[SpecificCharacterSet], tuple[tuple[str, ...], ...]]:
        # the codec is rebuilt from the terms (its character sets are compared by identity)
        return (SpecificCharacterSet, (self.terms, self.problems))

    @classmethod
    def from_value(cls, value: str | Sequence[str] | None) -> SpecificCharacterSet:
        """The character set for a (0008,0005) value as read; never raises.

        ``value`` is ``None``, one string (backslash-separated values allowed) or a sequence of
        strings. Misspelled terms are corrected, unknown ones ignored (the default repertoire
        replaces an unknown value 1); either is noted in :attr:`problems`.
        """
        if value is None:
            return DEFAULT_CHARSET
        if isinstance(value, bytes | bytearray | memoryview):
            value = str(bytes(value), "latin_1")
        if isinstance(value, str):
            key = tuple(value.split("\\"))
        else:
            key = tuple(v if isinstance(v, str) else _as_text(v) for v in value)
        return _cached(key)

    @property
    def uses_code_extensions(self) -> bool:
        """True when ISO 2022 escape sequences are interpreted (PS3.5 §6.1.2.5)."""
        return isinstance(self._engine, _Iso2022)

    def decode(self, raw: Buffer, vr: str) -> str:
        """Decode a whole value field of VR ``vr``; undecodable bytes become U+FFFD."""
        try:
            return self._engine.decode(raw, vr)
        except (ValueError, TypeError, LookupError):  # pragma: no cover - defensive
            return str(bytes(raw), "latin_1")

    def encode(self, value: str, vr: str) -> bytes:
        """Encode a value (all values, backslash-joined) of VR ``vr``, without padding.

        Raises :class:`~dicomnet.errors.DatasetEncodeError` if a character is in none of the sets.
        """
        return self._engine.encode(value, vr)


def _as_text(item: object) -> str:
    if isinstance(item, bytes | bytearray | memoryview):
        return str(bytes(item), "latin_1")
    return str(item)


@lru_cache(maxsize=256)
def _cached(values: tuple[str, ...]) -> SpecificCharacterSet:
    terms, problems = _normalise(values)
    if not terms and not problems:
        return DEFAULT_CHARSET
    return SpecificCharacterSet(terms, problems)


DEFAULT_CHARSET: Final = SpecificCharacterSet()
