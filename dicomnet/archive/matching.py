"""C-FIND attribute matching (PS3.4 C.2.2.2) as pure functions over text values; no IO.

A key value and a record value are the attribute's text as decoded, several values joined with
``\\`` (PS3.5 §6.4); an empty record value is ``""`` or ``None``. The kinds of matching:

- universal (C.2.2.2.3): a zero-length key, or a key made only of ``*``, matches every record;
- empty value matching (C.2.2.2.7, the key ``""`` of two QUOTATION MARKs): only empty values
  (``empty_value_matching=False`` makes ``""`` an ordinary value);
- list of UIDs (C.2.2.2.2): a UI key with several values matches any one of them;
- range (C.2.2.2.5): ``A-B``, ``-B``, ``A-`` on DA, TM and DT (a DA/TM/DT key without ``-`` is
  single value matching);
- wildcard (C.2.2.2.4): ``*`` any run of characters (even none), ``?`` exactly one, on the VRs
  AE, CS, LO, LT, PN, SH, ST, UC, UR and UT (elsewhere they are literal);
- single value (C.2.2.2.1) otherwise: exact and case-sensitive, except PN, which is matched
  without regard to case (the standard leaves PN case to the implementation);
- sequence (C.2.2.2.6): a key item matches a record when one of the record's items matches every
  key in the item (:func:`match_sequence`).

A record attribute with several values matches when any of its values does (e.g. Modalities in
Study, PS3.4 C.6.2.1.2). A non-universal key never matches an empty record value, except with
empty value matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Final

__all__ = [
    "DATE_TIME_VRS",
    "EMPTY_VALUE",
    "is_universal",
    "match_sequence",
    "match_value",
    "matches",
    "normalise_dt",
    "normalise_tm",
]

#: The key value that asks for Empty Value Matching (PS3.4 C.2.2.2.7).
EMPTY_VALUE: Final = '""'
#: VRs with range matching (PS3.4 C.2.2.2.5).
DATE_TIME_VRS: Final = frozenset({"DA", "TM", "DT"})
# The VRs with wild card matching (PS3.4 C.2.2.2.4).
_WILDCARD_VRS: Final = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"})
_PADDING: Final = " \x00"


def _text(value: str | None) -> str:
    return "" if value is None else value.strip(_PADDING)


def is_universal(key: str | None) -> bool:
    """True for a key that matches everything: zero length or only ``*`` (PS3.4 C.2.2.2.3)."""
    text = _text(key)
    return text == "" or set(text) == {"*"}


def normalise_tm(value: str) -> str:
    """A TM value as ``HHMMSS.FFFFFF`` for ordering (PS3.5 §6.2 TM); ``""`` when malformed.

    Accepts the ACR-NEMA ``HH:MM:SS`` form too. Missing components count as zero.
    """
    text = value.strip(_PADDING).replace(":", "")
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or len(whole) not in (2, 4, 6) or (fraction and not fraction.isdigit()):
        return ""
    return whole.ljust(6, "0") + "." + fraction[:6].ljust(6, "0")


def normalise_dt(value: str) -> str:
    """A DT value as ``YYYYMMDDHHMMSS.FFFFFF`` for ordering (PS3.5 §6.2 DT); ``""`` if malformed.

    The UTC offset suffix is dropped (values are compared as written, in their own local time).
    """
    text = value.strip(_PADDING)
    for sign in "+-":
        cut = text.find(sign, 4)
        if cut != -1:
            text = text[:cut]
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or len(whole) not in (4, 6, 8, 10, 12, 14):
        return ""
    if fraction and not fraction.isdigit():
        return ""
    padded = whole + "0101000000"[len(whole) - 4 :] if len(whole) < 8 else whole.ljust(14, "0")
    return padded.ljust(14, "0") + "." + fraction[:6].ljust(6, "0")


def _normalise_da(value: str) -> str:
    text = value.strip(_PADDING).replace(".", "")
    return text if len(text) == 8 and text.isdigit() else ""


_NORMALISE: Final = {"DA": _normalise_da, "TM": normalise_tm, "DT": normalise_dt}


def _in_range(vr: str, key: str, value: str) -> bool:
    low, _, high = key.partition("-")
    norm = _NORMALISE[vr]
    point = norm(value)
    if not point:
        return False
    if low.strip(_PADDING):
        start = norm(low)
        if not start or point < start:
            return False
    if high.strip(_PADDING):
        end = norm(high)
        if vr == "DT":
            end = _dt_upper(high)
        elif vr == "TM":
            end = _tm_upper(high)
        if not end or point > end:
            return False
    return True


def _tm_upper(value: str) -> str:
    """The last instant a truncated TM upper bound covers: ``10`` is 10:59:59.999999."""
    text = value.strip(_PADDING).replace(":", "")
    whole, _, fraction = text.partition(".")
    if not normalise_tm(value):
        return ""
    return (whole + "5959"[: 6 - len(whole)]).ljust(6, "9") + "." + fraction[:6].ljust(6, "9")


def _dt_upper(value: str) -> str:
    """The last instant a truncated DT upper bound covers (``2020`` covers all of 2020)."""
    base = normalise_dt(value)
    if not base:
        return ""
    text = value.strip(_PADDING)
    for sign in "+-":
        cut = text.find(sign, 4)
        if cut != -1:
            text = text[:cut]
    whole, _, fraction = text.partition(".")
    tail = "1231235959"[len(whole) - 4 :] if len(whole) < 14 else ""
    return (whole + tail)[:14] + "." + fraction[:6].ljust(6, "9")


@lru_cache(maxsize=512)
def _wildcard_pattern(key: str, fold_case: bool) -> re.Pattern[str]:
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in key]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if fold_case else 0))


def _one_value(vr: str, key: str, value: str) -> bool:
    """``key`` (one value, not universal, not empty-value) against one non-empty record value."""
    fold = vr == "PN"
    if vr in DATE_TIME_VRS and "-" in key:
        return _in_range(vr, key, value)
    if vr in DATE_TIME_VRS:
        norm = _NORMALISE[vr]
        return bool(norm(value)) and norm(key) == norm(value)
    if vr in _WILDCARD_VRS and ("*" in key or "?" in key):
        return _wildcard_pattern(key, fold).fullmatch(value) is not None
    if fold:
        return key.casefold() == value.casefold()
    return key == value


def _values(text: str) -> list[str]:
    return [v.strip(_PADDING) for v in text.split("\\")]


def match_value(
    vr: str, key: str | None, value: str | None, *, empty_value_matching: bool = True
) -> bool:
    """Whether a record's ``value`` of VR ``vr`` matches the C-FIND ``key`` (PS3.4 C.2.2.2)."""
    if is_universal(key):
        return True
    key_text = _text(key)
    value_text = _text(value)
    if key_text == EMPTY_VALUE and empty_value_matching:
        return value_text == ""
    if value_text == "":
        return False
    record = [v for v in _values(value_text) if v]
    if vr == "UI":
        wanted = {v for v in _values(key_text) if v}
        return any(v in wanted for v in record)
    if vr == "PN":
        record = [_pn_trimmed(v) for v in record]
        key_text = _pn_trimmed(key_text)
    return any(_one_value(vr, key_text, v) for v in record)


def _pn_trimmed(text: str) -> str:
    """A PN value without trailing empty components or groups (``Doe^`` is ``Doe``; PS3.5 §6.2)."""
    groups = [g.rstrip("^ ") for g in text.split("=")]
    while len(groups) > 1 and not groups[-1]:
        groups.pop()
    return "=".join(groups)


def matches(
    keys: Iterable[tuple[str, str, str | None]],
    record: Mapping[str, str | None],
    *,
    empty_value_matching: bool = True,
) -> bool:
    """Whether ``record`` (keyword -> text) matches every ``(keyword, vr, key)`` of a query.

    A keyword absent from ``record`` is an empty value there.
    """
    return all(
        match_value(vr, key, record.get(keyword), empty_value_matching=empty_value_matching)
        for keyword, vr, key in keys
    )


def match_sequence(
    item_keys: Iterable[tuple[str, str, str | None]],
    record_items: Sequence[Mapping[str, str | None]],
) -> bool:
    """Sequence matching (PS3.4 C.2.2.2.6): a key item against a record's sequence items.

    An item with no keys, or with only universal keys, matches any record (even one without
    items); otherwise some record item must match every key.
    """
    keys = list(item_keys)
    if all(is_universal(key) for _, _, key in keys):
        return True
    return any(matches(keys, item) for item in record_items)
