"""Generate ``dicomnet/_uid_data.py``: the UID registry (PS3.6 Annex A) with storage flags.

Sources, all committed or pinned:

- pydicom's generated UID table (``pydicom._uid_dict.UID_dictionary``), which pydicom builds from
  the standard's PS3.6 DocBook XML (Table A-1); the edition is pydicom's ``__dicom_version__``.
- ``scripts/data/storage-sop-classes.tsv``: the Storage SOP classes and the file-name prefixes that
  DCMTK's storescp/movescu use (facts from DCMTK's dcmdata modality table).
- ``scripts/data/uid-supplement.tsv``: names of the few TSV classes newer than pydicom's registry.

Rules applied here (documented in docs/dictionary.md):

- A SOP class is a Storage SOP class when its name, without a trailing " SOP Class" and a trailing
  " - Trial" / " - For Presentation" / " - For Processing", ends in " Storage"; Media Storage
  Directory Storage (PS3.4 Annex I, media only) is not one. Every TSV UID must come out flagged.
- Transfer syntax encodings follow PS3.5 Annex A: Implicit VR only for Implicit VR Little Endian
  (and the retired Papyrus 3 Implicit VR Little Endian), big endian only for Explicit VR Big
  Endian, deflated for Deflated Explicit VR Little Endian and the two JPIP Referenced Deflate
  syntaxes (PS3.5 §A.5, §A.6), pixel data not encapsulated for the native and JPIP Referenced
  syntaxes (PS3.5 §8.4: pixel data is referenced by URL), encapsulated for all others (§A.4).

Usage (from the repository root)::

    python scripts/gen_uids.py                 # rewrite the committed module
    python scripts/gen_uids.py --output FILE   # write elsewhere (the currency test does)
"""

from __future__ import annotations

import argparse
import csv
import pathlib
import sys
from collections.abc import Mapping, Sequence

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "dicomnet" / "_uid_data.py"
STORAGE_TSV = ROOT / "scripts" / "data" / "storage-sop-classes.tsv"
SUPPLEMENT_TSV = ROOT / "scripts" / "data" / "uid-supplement.tsv"

Row = tuple[str, str, str, str, str]  # pydicom's (Name, Type, Info, Retired, Keyword)

IMPLICIT_VR = frozenset({"1.2.840.10008.1.2", "1.2.840.10008.1.20"})
BIG_ENDIAN = frozenset({"1.2.840.10008.1.2.2"})
DEFLATED = frozenset(
    {"1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.95", "1.2.840.10008.1.2.4.205"}
)
NOT_ENCAPSULATED = frozenset(
    {
        "1.2.840.10008.1.2",  # Implicit VR Little Endian
        "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
        "1.2.840.10008.1.2.2",  # Explicit VR Big Endian
        "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
        "1.2.840.10008.1.20",  # Papyrus 3 Implicit VR Little Endian (retired)
        "1.2.840.10008.1.2.4.94",  # JPIP Referenced
        "1.2.840.10008.1.2.4.95",  # JPIP Referenced Deflate
        "1.2.840.10008.1.2.4.204",  # JPIP HTJ2K Referenced
        "1.2.840.10008.1.2.4.205",  # JPIP HTJ2K Referenced Deflate
    }
)
SOP_CLASS_TYPES = ("SOP Class", "Meta SOP Class")
NOT_STORAGE = frozenset({"1.2.840.10008.1.3.10"})  # Media Storage Directory Storage
_STORAGE_SUFFIXES = (" - Trial", " - For Presentation", " - For Processing")


def quote(text: str) -> str:
    """A Python string literal for ``text``, double-quoted unless that needs escapes."""
    if '"' in text or "\\" in text or not text.isprintable():
        return repr(text)
    return f'"{text}"'


def uid_sort_key(uid: str) -> tuple[int, ...]:
    """Numeric order of UID components."""
    return tuple(int(part) for part in uid.split("."))


def is_storage_name(name: str) -> bool:
    """Whether a SOP class name marks a Storage SOP class (PS3.4 Annex B naming)."""
    base = name.removesuffix(" SOP Class")
    for suffix in _STORAGE_SUFFIXES:
        base = base.removesuffix(suffix)
    return base.endswith(" Storage")


def read_tsv(path: pathlib.Path) -> list[dict[str, str]]:
    """Rows of a tab-separated file: '#' lines are comments, the first row names columns."""
    with path.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def build(
    registry: Mapping[str, Row],
    storage_rows: Sequence[Mapping[str, str]],
    supplement_rows: Sequence[Mapping[str, str]],
) -> tuple[
    dict[str, tuple[str, str, str, bool]],
    dict[str, tuple[bool, bool, bool, bool]],
    dict[str, tuple[bool, str | None]],
]:
    """The UID table, the transfer syntax encodings and the SOP class storage flags."""
    uids: dict[str, tuple[str, str, str, bool]] = {}
    for uid, (name, kind, _info, retired, keyword) in registry.items():
        if retired not in ("", "Retired"):
            raise ValueError(f"{uid}: unexpected retired marker {retired!r}")
        uids[uid] = (name, kind, keyword, retired == "Retired")
    for row in supplement_rows:
        if row["uid"] in uids:
            raise ValueError(f"{row['uid']}: in the supplement and in the registry; drop it")
        uids[row["uid"]] = (row["name"], row["type"], row["keyword"], row["retired"] == "Retired")

    encodings = {
        uid: (
            uid in IMPLICIT_VR,
            uid not in BIG_ENDIAN,
            uid in DEFLATED,
            uid not in NOT_ENCAPSULATED,
        )
        for uid, (_n, kind, _k, _r) in uids.items()
        if kind == "Transfer Syntax"
    }

    prefixes = {row["uid"]: row["prefix"] for row in storage_rows}
    sop_classes: dict[str, tuple[bool, str | None]] = {}
    for uid, (name, kind, _k, _r) in uids.items():
        if kind not in SOP_CLASS_TYPES:
            continue
        storage = is_storage_name(name) and uid not in NOT_STORAGE
        if uid in prefixes and not storage:
            raise ValueError(f"{uid} ({name}) is in the storage TSV but not named a storage class")
        sop_classes[uid] = (storage, prefixes.get(uid))
    missing = sorted(set(prefixes) - set(sop_classes), key=uid_sort_key)
    if missing:
        raise ValueError(f"storage TSV UIDs missing from the registry and supplement: {missing}")
    return uids, encodings, sop_classes


def render(registry: Mapping[str, Row], edition: str, source: str) -> str:
    """The text of the generated module."""
    uids, encodings, sop_classes = build(registry, read_tsv(STORAGE_TSV), read_tsv(SUPPLEMENT_TSV))
    lines = [
        f'"""The UID registry of DICOM {edition} (PS3.6 Annex A) with Storage SOP class flags.',
        "",
        f"auto-generated by scripts/gen_uids.py from {source}; do not edit.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        f"EDITION = {quote(edition)}",
        f"SOURCE = {quote(source)}",
        "",
        "# fmt: off",
        "# UID: (name, type, keyword, retired)",
        "UIDS: dict[str, tuple[str, str, str, bool]] = {",
    ]
    for uid in sorted(uids, key=uid_sort_key):
        name, kind, keyword, retired = uids[uid]
        lines.append(
            f"    {quote(uid)}: ({quote(name)}, {quote(kind)}, {quote(keyword)}, {retired}),"
        )
    lines += [
        "}",
        "",
        "# transfer syntax UID: (implicit_vr, little_endian, deflated, encapsulated)",
        "TRANSFER_SYNTAX_ENCODINGS: dict[str, tuple[bool, bool, bool, bool]] = {",
    ]
    lines.extend(
        f"    {quote(uid)}: ({', '.join(str(flag) for flag in encodings[uid])}),"
        for uid in sorted(encodings, key=uid_sort_key)
    )
    lines += [
        "}",
        "",
        "# SOP class UID: (storage, DCMTK file-name prefix or None)",
        "SOP_CLASS_STORAGE: dict[str, tuple[bool, str | None]] = {",
    ]
    for uid in sorted(sop_classes, key=uid_sort_key):
        storage, prefix = sop_classes[uid]
        prefix_text = "None" if prefix is None else quote(prefix)
        lines.append(f"    {quote(uid)}: ({storage}, {prefix_text}),")
    lines += ["}", "# fmt: on", ""]
    return "\n".join(lines)


def generate() -> str:
    """Render the module from the installed pydicom and the committed TSV files."""
    import pydicom
    from pydicom._uid_dict import UID_dictionary
    from pydicom._version import __dicom_version__

    source = (
        f"pydicom {pydicom.__version__} (pydicom._uid_dict, generated from the"
        f" DICOM {__dicom_version__} PS3.6 XML), scripts/data/storage-sop-classes.tsv"
        " and scripts/data/uid-supplement.tsv"
    )
    return render(UID_dictionary, __dicom_version__, source)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=pathlib.Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    args.output.write_text(generate(), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
