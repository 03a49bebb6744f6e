"""Value Representations of PS3.5 §6.2 (Table 6.2-1) and their wire facts.

A VR is kept as a two-letter ``str`` everywhere (``VR`` is a ``StrEnum``, so ``VR.US == "US"``).
Wire facts: which VRs use the 4-byte length form in explicit VR (PS3.5 Table 7.1-1/7.1-2), the
padding byte of odd-length values (PS3.5 §6.2: space for text, NUL for UI and binary), the fixed
item size of binary numbers, and which text VRs are multi-valued (backslash-delimited).
"""

from __future__ import annotations

import enum

__all__ = [
    "ALL_VRS",
    "BINARY_VRS",
    "BYTES_VRS",
    "CHARSET_VRS",
    "LONG_LENGTH_VRS",
    "NUMBER_FORMATS",
    "SINGLE_VALUE_TEXT_VRS",
    "STRING_VRS",
    "VR",
    "is_known_vr",
    "padding_byte",
    "swap_size",
    "uses_long_length",
]


class VR(enum.StrEnum):
    """The 34 VRs of current PS3.5 Table 6.2-1."""

    AE = "AE"
    AS = "AS"
    AT = "AT"
    CS = "CS"
    DA = "DA"
    DS = "DS"
    DT = "DT"
    FD = "FD"
    FL = "FL"
    IS = "IS"
    LO = "LO"
    LT = "LT"
    OB = "OB"
    OD = "OD"
    OF = "OF"
    OL = "OL"
    OV = "OV"
    OW = "OW"
    PN = "PN"
    SH = "SH"
    SL = "SL"
    SQ = "SQ"
    SS = "SS"
    ST = "ST"
    SV = "SV"
    TM = "TM"
    UC = "UC"
    UI = "UI"
    UL = "UL"
    UN = "UN"
    UR = "UR"
    US = "US"
    UT = "UT"
    UV = "UV"


ALL_VRS: frozenset[str] = frozenset(v.value for v in VR)

LONG_LENGTH_VRS: frozenset[str] = frozenset(
    {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
)
"""VRs whose explicit-VR header has 2 reserved bytes and a 4-byte length (PS3.5 Table 7.1-1)."""

STRING_VRS: frozenset[str] = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI"}
    | {"UR", "UT"}
)
"""VRs whose value is character data."""

SINGLE_VALUE_TEXT_VRS: frozenset[str] = frozenset({"LT", "ST", "UT", "UR"})
"""Text VRs where backslash is an ordinary character: VM is always 1 (PS3.5 §6.2)."""

CHARSET_VRS: frozenset[str] = frozenset({"SH", "LO", "ST", "LT", "PN", "UC", "UT"})
"""VRs whose value is affected by Specific Character Set (PS3.5 §6.1.2.3)."""

NUMBER_FORMATS: dict[str, tuple[str, int]] = {
    "US": ("H", 2),
    "SS": ("h", 2),
    "UL": ("L", 4),
    "SL": ("l", 4),
    "UV": ("Q", 8),
    "SV": ("q", 8),
    "FL": ("f", 4),
    "FD": ("d", 8),
}
"""``struct`` format letter and item size of the binary numeric VRs (PS3.5 Table 6.2-1)."""

BYTES_VRS: frozenset[str] = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
"""VRs whose decoded value is ``bytes`` (byte swapping of OW/OD/... is done on read)."""

BINARY_VRS: frozenset[str] = BYTES_VRS | frozenset(NUMBER_FORMATS) | {"AT"}
"""VRs padded with NUL (with UI) rather than space."""

_OTHER_ITEM_SIZE = {"OB": 1, "UN": 1, "OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


def is_known_vr(vr: str) -> bool:
    """True if ``vr`` is one of the VRs of PS3.5 Table 6.2-1."""
    return vr in ALL_VRS


def uses_long_length(vr: str) -> bool:
    """True if explicit VR encodes ``vr`` with the 4-byte length form (PS3.5 §7.1.2)."""
    return vr in LONG_LENGTH_VRS


def padding_byte(vr: str) -> bytes:
    """The byte that pads an odd-length value to even length (PS3.5 §6.2)."""
    return b"\x00" if vr in BINARY_VRS or vr == "UI" else b" "


def swap_size(vr: str) -> int:
    """Size of the unit that is byte-swapped in big endian for ``vr`` (1: no swapping)."""
    if vr in NUMBER_FORMATS:
        return NUMBER_FORMATS[vr][1]
    if vr == "AT":
        return 2
    return _OTHER_ITEM_SIZE.get(vr, 1)
