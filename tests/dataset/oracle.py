"""Element-by-element comparison of a dicomnet Dataset with a pydicom Dataset (the oracle).

``differences(ours, theirs)`` walks both data sets recursively and returns human-readable
differences (empty when they agree). Value normalisation covers representation choices, not
meaning: pydicom's DSfloat/IS/PersonName/UID/MultiValue become float/int/str/list; dicomnet keeps
DS/IS as str (compared as numbers); empty values (None, "", b"", []) are equal.

Documented exceptions, each where pydicom's reading differs from PS3.5:

- OW/OF/OD/OL/OV in big endian: pydicom returns the wire bytes; dicomnet returns them in
  little-endian order (PS3.5 §7.3: the value is a stream of 16/32/64-bit words in the transfer
  syntax's byte order). The comparison swaps pydicom's bytes.
- Private data elements in implicit VR: pydicom takes a VR from its built-in private dictionary
  for creators it knows; dicomnet has none built in (PS3.5 §6.2.2: the VR of an unknown private
  element is UN), so they stay UN. The comparison then checks the raw value bytes instead.
"""

from __future__ import annotations

from typing import Any

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset as PDataset
from pydicom.multival import MultiValue
from pydicom.valuerep import DSdecimal, DSfloat, PersonName

from dicomnet.dataset import Dataset
from dicomnet.dataset.tag import format_tag

_SWAP = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | bytes | list | tuple) and len(value) == 0)


def _swap(data: bytes, vr: str) -> bytes:
    size = _SWAP[vr]
    whole = len(data) - len(data) % size
    words = [data[i : i + size][::-1] for i in range(0, whole, size)]
    return b"".join(words) + data[whole:]


def _norm_scalar(vr: str, value: Any) -> Any:
    if isinstance(value, PersonName):
        value = str(value)
    if vr in ("DS", "IS"):
        try:
            return float(value) if str(value).strip() else None
        except ValueError:
            return str(value).strip()  # invalid number: compare the text
    if vr == "PN":
        # pydicom drops trailing empty component groups ("A^B=" -> "A^B"); PS3.5 §6.2.1 lets
        # trailing delimiters be omitted, so both spell the same name.
        return str(value).rstrip("=")
    if isinstance(value, DSfloat | DSdecimal):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value


def _norm(vr: str, value: Any) -> Any:
    if isinstance(value, PersonName):
        value = str(value)
    if _empty(value):
        return None
    if isinstance(value, MultiValue | list):
        items = [_norm_scalar(vr, v) for v in value]
        return items[0] if len(items) == 1 else items
    return _norm_scalar(vr, value)


def differences(
    ours: Dataset, theirs: PDataset, *, little_endian: bool, where: str = ""
) -> list[str]:
    """Differences between dicomnet's and pydicom's view of the same data set."""
    out: list[str] = []
    their_raw = {tag: theirs.get_item(tag) for tag in theirs.keys()}  # noqa: SIM118
    our_tags = list(ours)
    their_tags = sorted(int(t) for t in theirs.keys())  # noqa: SIM118
    if our_tags != their_tags:
        out.append(
            f"{where}: tags differ: only ours {[format_tag(t) for t in set(our_tags) - set(their_tags)]}"
            f" only theirs {[format_tag(t) for t in set(their_tags) - set(our_tags)]}"
        )
    for tag in sorted(set(our_tags) & set(their_tags)):
        here = f"{where}{format_tag(tag)}"
        raw = their_raw[tag]
        elem = theirs[tag]
        mine = ours[tag]
        if mine.vr == "UN" and elem.VR != "UN" and (tag >> 16) & 1:
            # Exception 2 (module docstring): compare the raw value bytes.
            raw_value = raw.value if isinstance(raw, RawDataElement) else None
            if raw_value is not None and bytes(mine.value) != bytes(raw_value):
                out.append(f"{here}: raw bytes differ")
            continue
        if mine.vr != elem.VR:
            out.append(f"{here}: VR {mine.vr} != pydicom {elem.VR}")
            continue
        if mine.vr == "SQ":
            if len(mine.value) != len(elem.value):
                out.append(f"{here}: {len(mine.value)} items != {len(elem.value)}")
                continue
            for number, (a, b) in enumerate(zip(mine.value, elem.value, strict=True)):
                out.extend(
                    differences(a, b, little_endian=little_endian, where=f"{here}[{number}]")
                )
            continue
        their_value = elem.value
        if not little_endian and mine.vr in _SWAP and isinstance(their_value, bytes):
            their_value = _swap(their_value, mine.vr)  # exception 1
        a, b = _norm(mine.vr, mine.value), _norm(mine.vr, their_value)
        if a != b:
            out.append(f"{here} {mine.vr}: {a!r} != pydicom {b!r}")
    return out
