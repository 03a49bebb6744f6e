"""The archive's index: one row per instance, in SQLite (standard library), from file headers.

Each file's header is read up to Pixel Data (``read_file(..., stop_before=PIXEL_DATA)``), and the
attributes of the Q/R information models' required and optional keys (PS3.4 C.6.1.1, C.6.2.1)
are kept as text with the file's path and transfer syntax. The per-level counts and Modalities in
Study are derived from the rows at query time (:mod:`dicomnet.archive.archive`).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from dicomnet.dataset import PIXEL_DATA, Dataset, read_file, tag_for
from dicomnet.errors import DicomNetError

__all__ = ["ATTRIBUTES", "Index", "Record"]

#: Indexed attributes: keyword -> (patient-root level, VR) (PS3.4 C.6.1.1.2-C.6.1.1.5).
ATTRIBUTES: Final[dict[str, tuple[str, str]]] = {
    "PatientName": ("PATIENT", "PN"),
    "PatientID": ("PATIENT", "LO"),
    "IssuerOfPatientID": ("PATIENT", "LO"),
    "OtherPatientIDs": ("PATIENT", "LO"),
    "PatientBirthDate": ("PATIENT", "DA"),
    "PatientBirthTime": ("PATIENT", "TM"),
    "PatientSex": ("PATIENT", "CS"),
    "EthnicGroup": ("PATIENT", "SH"),
    "PatientComments": ("PATIENT", "LT"),
    "StudyInstanceUID": ("STUDY", "UI"),
    "StudyDate": ("STUDY", "DA"),
    "StudyTime": ("STUDY", "TM"),
    "AccessionNumber": ("STUDY", "SH"),
    "StudyID": ("STUDY", "SH"),
    "ReferringPhysicianName": ("STUDY", "PN"),
    "StudyDescription": ("STUDY", "LO"),
    "PatientAge": ("STUDY", "AS"),
    "PatientSize": ("STUDY", "DS"),
    "PatientWeight": ("STUDY", "DS"),
    "SeriesInstanceUID": ("SERIES", "UI"),
    "Modality": ("SERIES", "CS"),
    "SeriesNumber": ("SERIES", "IS"),
    "SeriesDescription": ("SERIES", "LO"),
    "SeriesDate": ("SERIES", "DA"),
    "SeriesTime": ("SERIES", "TM"),
    "BodyPartExamined": ("SERIES", "CS"),
    "SOPInstanceUID": ("IMAGE", "UI"),
    "SOPClassUID": ("IMAGE", "UI"),
    "InstanceNumber": ("IMAGE", "IS"),
    "ContentDate": ("IMAGE", "DA"),
    "ContentTime": ("IMAGE", "TM"),
    "Rows": ("IMAGE", "US"),
    "Columns": ("IMAGE", "US"),
}
# Bookkeeping columns (not attributes): where the instance is, how it is encoded, its charset.
_EXTRA: Final = ("path", "transfer_syntax", "specific_character_set", "mtime")
_COLUMNS: Final = (*ATTRIBUTES, *_EXTRA)
_TAGS: Final = {keyword: tag_for(keyword) for keyword in ATTRIBUTES}
_SPECIFIC_CHARACTER_SET: Final = 0x00080005

#: One indexed instance: keyword (or bookkeeping column) -> text, ``""`` when absent.
Record = dict[str, str]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\\".join(_text(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return str(value).strip(" \x00")


class Index:
    """Instances of a folder of DICOM files, in SQLite (``database``: a file, or ``:memory:``).

    :meth:`scan` walks folders recursively, :meth:`add` indexes one file (replacing its previous
    row and any row with the same SOP Instance UID), :meth:`rescan` picks up new and changed files
    and drops rows of vanished ones. Files that are not DICOM or lack the UIDs are skipped.
    """

    def __init__(self, database: str | os.PathLike[str] = ":memory:") -> None:
        self.db = sqlite3.connect(os.fspath(database), check_same_thread=False)
        columns = ", ".join(f"\"{c}\" TEXT NOT NULL DEFAULT ''" for c in _COLUMNS)
        self.db.execute(f"CREATE TABLE IF NOT EXISTS instance ({columns})")
        self.db.execute("CREATE UNIQUE INDEX IF NOT EXISTS by_path ON instance(path)")
        for key in ("PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
            self.db.execute(f'CREATE INDEX IF NOT EXISTS "by_{key}" ON instance("{key}")')
        self.db.commit()
        self.folders: list[Path] = []

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM instance").fetchone()[0])

    @staticmethod
    def read(path: str | os.PathLike[str]) -> Record | None:
        """The row of one file, ``None`` when it is not a readable DICOM file with the UIDs."""
        try:
            part10 = read_file(path, stop_before=PIXEL_DATA)
            stat = os.stat(path)
        except (DicomNetError, OSError, ValueError):
            return None
        ds: Dataset = part10.dataset
        row: Record = {}
        for keyword in ATTRIBUTES:
            try:
                tag = _TAGS[keyword]
                row[keyword] = _text(ds.get_value(tag)) if tag in ds else ""
            except (DicomNetError, ValueError):
                row[keyword] = ""
        if not row["SOPInstanceUID"] or not row["StudyInstanceUID"]:
            return None
        if not row["SeriesInstanceUID"]:
            return None
        row["path"] = os.path.realpath(path)
        row["transfer_syntax"] = (
            "" if part10.transfer_syntax is None else part10.transfer_syntax.uid
        )
        try:
            charset = ds.get_value(_SPECIFIC_CHARACTER_SET, "")
        except (DicomNetError, ValueError):
            charset = ""
        row["specific_character_set"] = _text(charset)
        row["mtime"] = str(stat.st_mtime_ns)
        return row

    def add(self, path: str | os.PathLike[str]) -> Record | None:
        """Index ``path`` (replacing what was there); its row, or ``None`` when not indexable."""
        row = self.read(path)
        if row is None:
            return None
        self._put(row)
        self.db.commit()
        return row

    def _put(self, row: Record) -> None:
        self.db.execute(
            'DELETE FROM instance WHERE path = ? OR "SOPInstanceUID" = ?',
            (row["path"], row["SOPInstanceUID"]),
        )
        names = ", ".join(f'"{c}"' for c in _COLUMNS)
        marks = ", ".join("?" for _ in _COLUMNS)
        self.db.execute(
            f"INSERT INTO instance ({names}) VALUES ({marks})", [row[c] for c in _COLUMNS]
        )

    def remove(self, path: str | os.PathLike[str]) -> None:
        """Drop the row of ``path``."""
        self.db.execute("DELETE FROM instance WHERE path = ?", (os.path.realpath(path),))
        self.db.commit()

    def scan(self, folder: str | os.PathLike[str]) -> int:
        """Index every file under ``folder`` (recursively); the number of instances indexed."""
        root = Path(os.path.realpath(folder))
        if root not in self.folders:
            self.folders.append(root)
        known = dict(self.db.execute("SELECT path, mtime FROM instance").fetchall())
        count = 0
        for path in _walk(root):
            try:
                mtime = str(os.stat(path).st_mtime_ns)
            except OSError:
                continue
            if known.get(path) == mtime:
                continue
            row = self.read(path)
            if row is not None:
                self._put(row)
                count += 1
        self.db.commit()
        return count

    def rescan(self) -> int:
        """Drop rows of vanished files; index new or changed files under the scanned folders."""
        paths = [p for (p,) in self.db.execute("SELECT path FROM instance").fetchall()]
        gone = [(p,) for p in paths if not os.path.isfile(p)]
        self.db.executemany("DELETE FROM instance WHERE path = ?", gone)
        self.db.commit()
        return sum(self.scan(folder) for folder in list(self.folders))

    def records(
        self, where: dict[str, list[str]] | None = None, *, first_of: list[str] | None = None
    ) -> list[Record]:
        """The rows, optionally only those whose column is one of the given values.

        ``first_of``: only the first row (in indexing order) of each group of equal values of
        these columns, e.g. one row per study.
        """
        sql = "SELECT * FROM instance"
        params: list[str] = []
        clauses = []
        for column, values in (where or {}).items():
            if column not in _COLUMNS:
                raise KeyError(column)
            clauses.append(f'"{column}" IN ({", ".join("?" for _ in values)})')
            params += values
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        if first_of:
            for column in first_of:
                if column not in _COLUMNS:
                    raise KeyError(column)
            groups = ", ".join(f'"{c}"' for c in first_of)
            # SQLite takes the bare columns from the row that gives MIN(rowid)
            sql = sql.replace("SELECT *", "SELECT *, MIN(rowid) AS first_rowid", 1)
            sql += f" GROUP BY {groups}"
            cursor = self.db.execute(sql + " ORDER BY first_rowid", params)
        else:
            cursor = self.db.execute(sql + " ORDER BY rowid", params)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:
            row.pop("first_rowid", None)
        return rows


def _walk(root: Path) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            yield os.path.realpath(os.path.join(folder, name))
