"""Per-VR value decoding (PS3.5 §6.2, Table 6.2-1) through a converter table ``{VR: decoder}``.

Decoders take the value bytes (a ``memoryview`` slice of the source, never copied before this
point), the byte order and the Specific Character Set in effect, and return plain Python values:

- text: ``str`` (``list[str]`` for VM > 1). Trailing padding (space, NUL) is removed; for AE,
  DS and IS, leading spaces too (they are not significant, PS3.5 Table 6.2-1). SH LO ST LT PN UC
  UT are decoded with the character set (PS3.5 §6.1.2.3); the others with the default repertoire
  (bytes above 0x7F are kept as Latin-1 characters rather than rejected).
- PN: :class:`PersonName`, a ``str`` with accessors for component groups and components (§6.2.1).
- DA DT TM DS IS stay ``str``; :func:`parse_date`, :func:`parse_time`, :func:`parse_datetime`,
  :func:`parse_decimal`, :func:`parse_float`, :func:`parse_int` convert on request.
- binary numbers: ``int``/``float`` via ``struct.unpack_from`` with a count; ``None`` when empty.
- AT: tag ``int`` (``(group << 16) | element``).
- OB OD OF OL OV OW UN: ``bytes`` in little-endian order (big-endian input is byte-swapped by the
  VR's unit size, PS3.5 §7.3).
"""

from __future__ import annotations

import datetime
import re
import struct
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dicomnet.dataset.vr import NUMBER_FORMATS, swap_size
from dicomnet.errors import DatasetDecodeError

if TYPE_CHECKING:
    import decimal

    from dicomnet.dataset.charset import SpecificCharacterSet

__all__ = [
    "CONVERTERS",
    "PersonName",
    "decode_value",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_float",
    "parse_int",
    "parse_time",
]

Buffer = bytes | memoryview
Decoder = Callable[[Buffer, bool, "SpecificCharacterSet | None", str], Any]


class PersonName(str):
    """A PN value (PS3.5 §6.2.1): the text as decoded, with component accessors.

    Up to three component groups separated by ``=`` (alphabetic, ideographic, phonetic), each of
    up to five components separated by ``^`` (family name, given name, middle name, prefix,
    suffix). Missing groups and components are ``""``.
    """

    __slots__ = ()

    @property
    def groups(self) -> tuple[str, str, str]:
        """The alphabetic, ideographic and phonetic component groups."""
        parts = self.split("=")
        parts += [""] * (3 - len(parts))
        return parts[0], parts[1], parts[2]

    @property
    def alphabetic(self) -> str:
        """The alphabetic (single-byte) component group."""
        return self.groups[0]

    @property
    def ideographic(self) -> str:
        """The ideographic component group."""
        return self.groups[1]

    @property
    def phonetic(self) -> str:
        """The phonetic component group."""
        return self.groups[2]

    def components(self, group: int = 0) -> tuple[str, str, str, str, str]:
        """The five components (family, given, middle, prefix, suffix) of component ``group``."""
        parts = self.groups[group].split("^")
        parts += [""] * (5 - len(parts))
        return parts[0], parts[1], parts[2], parts[3], parts[4]

    @property
    def family_name(self) -> str:
        """Family name of the alphabetic group."""
        return self.components()[0]

    @property
    def given_name(self) -> str:
        """Given name of the alphabetic group."""
        return self.components()[1]

    @property
    def middle_name(self) -> str:
        """Middle name of the alphabetic group."""
        return self.components()[2]

    @property
    def name_prefix(self) -> str:
        """Name prefix of the alphabetic group."""
        return self.components()[3]

    @property
    def name_suffix(self) -> str:
        """Name suffix of the alphabetic group."""
        return self.components()[4]


def _latin1(data: Buffer) -> str:
    return str(data, "latin-1")


def _split(text: str) -> str | list[str]:
    if "\\" not in text:
        return text
    return text.split("\\")


def _plain(data: Buffer, le: bool, cs: SpecificCharacterSet | None, vr: str) -> Any:
    """AS CS DA DT TM: default repertoire, trailing padding removed, then split."""
    return _split(str(data, "latin-1").rstrip(" \x00"))


def _stripped(data: Buffer, le: bool, cs: SpecificCharacterSet | None, vr: str) -> Any:
    """AE DS IS: leading and trailing spaces are not significant in each value."""
    text = str(data, "latin-1").rstrip(" \x00")
    if "\\" not in text:
        return text.strip(" ")
    return [v.strip(" ") for v in text.split("\\")]


def _ui(data: Buffer, le: bool, cs: SpecificCharacterSet | None, vr: str) -> Any:
    return _split(str(data, "latin-1").rstrip("\x00 "))


def _ur(data: Buffer, le: bool, cs: SpecificCharacterSet | None, vr: str) -> Any:
    return str(data, "latin-1").rstrip(" \x00")


def _decode_text(data: Buffer, cs: SpecificCharacterSet | None, vr: str) -> str:
    if cs is None:
        return str(data, "latin-1")
    return cs.decode(data, vr)


def _multi_text(data: Buffer, le: bool, cs: SpecificCharacterSet | None, vr: str) -> Any:
    """SH LO UC: character set, split on backslash, trailing padding removed per value."""
    text = _decode_text(data, cs, vr)
    if "\\" not in text:
        return text.rstrip("\x00 ")
    return [v.rstrip("\x00 ") for v in text.split("\\")]


def _single_text(data: Buffer, le: bool, cs: SpecificCharacterSet | None, vr: str) -> Any:
    """ST LT UT: character set, one value (backslash is ordinary text), trailing padding removed."""
    return _decode_text(data, cs, vr).rstrip("\x00 ")


def _pn(data: Buffer, le: bool, cs: SpecificCharacterSet | None, vr: str) -> Any:
    raw = bytes(data).rstrip(b"\x00 ")
    text = _decode_text(raw, cs, vr)
    if "\\" not in text:
        return PersonName(text)
    return [PersonName(v) for v in text.split("\\")]


_NUMBER_STRUCTS: dict[tuple[str, bool], tuple[str, int]] = {
    (vr, le): (("<" if le else ">") + "{}" + fmt, size)
    for vr, (fmt, size) in NUMBER_FORMATS.items()
    for le in (True, False)
}


def _number(data: Buffer, le: bool, cs: SpecificCharacterSet | None, vr: str) -> Any:
    fmt, size = _NUMBER_STRUCTS[vr, le]
    count, rest = divmod(len(data), size)
    if rest:
        raise DatasetDecodeError(f"{vr} value length {len(data)} is not a multiple of {size}")
    if count == 0:
        return None
    if count == 1:
        return struct.unpack_from(fmt.format(""), data)[0]
    return list(struct.unpack_from(fmt.format(count), data))


def _at(data: Buffer, le: bool, cs: SpecificCharacterSet | None, vr: str) -> Any:
    count, rest = divmod(len(data), 4)
    if rest:
        raise DatasetDecodeError(f"AT value length {len(data)} is not a multiple of 4")
    if count == 0:
        return None
    halves = struct.unpack_from(("<" if le else ">") + f"{2 * count}H", data)
    tags = [(halves[i] << 16) | halves[i + 1] for i in range(0, 2 * count, 2)]
    return tags[0] if count == 1 else tags


_ARRAY_CODES = {2: "H", 4: "L" if array("L").itemsize == 4 else "I", 8: "Q"}


def _swap(data: Buffer, unit: int) -> bytes:
    """Byte-swap ``data`` in units of ``unit`` bytes; a trailing partial unit is kept as is."""
    whole = len(data) - len(data) % unit
    arr = array(_ARRAY_CODES[unit])
    arr.frombytes(data[:whole])
    arr.byteswap()
    return arr.tobytes() + bytes(data[whole:])


def _other(data: Buffer, le: bool, cs: SpecificCharacterSet | None, vr: str) -> Any:
    if le:
        return bytes(data)
    unit = swap_size(vr)
    if unit == 1:
        return bytes(data)
    return _swap(data, unit)


CONVERTERS: dict[str, Decoder] = {
    "AE": _stripped,
    "AS": _plain,
    "AT": _at,
    "CS": _plain,
    "DA": _plain,
    "DS": _stripped,
    "DT": _plain,
    "FD": _number,
    "FL": _number,
    "IS": _stripped,
    "LO": _multi_text,
    "LT": _single_text,
    "OB": _other,
    "OD": _other,
    "OF": _other,
    "OL": _other,
    "OV": _other,
    "OW": _other,
    "PN": _pn,
    "SH": _multi_text,
    "SL": _number,
    "SS": _number,
    "ST": _single_text,
    "SV": _number,
    "TM": _plain,
    "UC": _multi_text,
    "UI": _ui,
    "UL": _number,
    "UN": _other,
    "UR": _ur,
    "US": _number,
    "UT": _single_text,
    "UV": _number,
}
"""The converter table: VR -> decoder(data, little_endian, charset, vr)."""


def decode_value(
    vr: str,
    data: Buffer,
    little_endian: bool = True,
    charset: SpecificCharacterSet | None = None,
) -> Any:
    """Decode the value bytes of a non-SQ element of VR ``vr`` (unknown VRs decode as UN)."""
    decoder = CONVERTERS.get(vr, _other)
    return decoder(data, little_endian, charset, vr)


# --- helpers: DA, TM, DT, DS, IS (PS3.5 Table 6.2-1) ------------------------------------------

# Patterns, not compiled ones: ``re`` compiles each on its first use and caches it, so importing
# this module (every process that touches a data set) compiles none of them.
_DA = r"^(\d{4})(\d{2})(\d{2})$"
_DA_LEGACY = r"^(\d{4})\.(\d{2})\.(\d{2})$"  # ACR-NEMA 300 form (PS3.5 §6.2, note)
_TM = r"^(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?$"
_TM_LEGACY = r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$"
_DT = (
    r"^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?)?)?)?"
    r"([+-]\d{4})?$"
)


def _bad(kind: str, text: str) -> DatasetDecodeError:
    return DatasetDecodeError(f"not a valid {kind} value: {text!r}")


def parse_date(text: str) -> datetime.date:
    """A DA value ``YYYYMMDD`` (also the ACR-NEMA ``YYYY.MM.DD`` form) as a ``date``."""
    m = re.match(_DA, text.strip()) or re.match(_DA_LEGACY, text.strip())
    if not m:
        raise _bad("DA", text)
    try:
        return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _bad("DA", text) from None


def _fraction(text: str | None) -> int:
    return int(text.ljust(6, "0")) if text else 0


def parse_time(text: str) -> datetime.time:
    """A TM value ``HH[MM[SS[.F{1,6}]]]`` (also ``HH:MM[:SS]``) as a ``time``.

    A leap second (SS = 60) is clamped to 59.999999 since ``datetime.time`` cannot hold it.
    """
    stripped = text.strip()
    m = re.match(_TM, stripped) or re.match(_TM_LEGACY, stripped)
    if not m:
        raise _bad("TM", text)
    hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    micro = _fraction(m.group(4))
    if second == 60:
        second, micro = 59, 999999
    try:
        return datetime.time(hour, minute, second, micro)
    except ValueError:
        raise _bad("TM", text) from None


def parse_datetime(text: str) -> datetime.datetime:
    """A DT value ``YYYY[MM[DD[HH[MM[SS[.F]]]]]][&ZZXX]`` as a ``datetime`` (aware with offset)."""
    m = re.match(_DT, text.strip())
    if not m:
        raise _bad("DT", text)
    g = m.groups()
    tz: datetime.tzinfo | None = None
    if g[7]:
        sign = -1 if g[7][0] == "-" else 1
        offset = datetime.timedelta(hours=int(g[7][1:3]), minutes=int(g[7][3:5]))
        try:
            tz = datetime.timezone(sign * offset)
        except ValueError:
            raise _bad("DT", text) from None
    second = int(g[5] or 0)
    micro = _fraction(g[6])
    if second == 60:
        second, micro = 59, 999999
    try:
        return datetime.datetime(
            int(g[0]),
            int(g[1] or 1),
            int(g[2] or 1),
            int(g[3] or 0),
            int(g[4] or 0),
            second,
            micro,
            tzinfo=tz,
        )
    except ValueError:
        raise _bad("DT", text) from None


_DS = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def parse_decimal(text: str) -> decimal.Decimal:
    """A DS value as an exact ``Decimal`` (PS3.5 Table 6.2-1)."""
    import decimal  # on first use: most processes never read a DS as a Decimal

    stripped = text.strip()
    if not re.match(_DS, stripped):
        raise _bad("DS", text)
    return decimal.Decimal(stripped)


def parse_float(text: str) -> float:
    """A DS value as a ``float``."""
    return float(parse_decimal(text))


_IS = r"^[+-]?\d+$"


def parse_int(text: str) -> int:
    """An IS value as an ``int``."""
    stripped = text.strip()
    if not re.match(_IS, stripped):
        raise _bad("IS", text)
    return int(stripped)
