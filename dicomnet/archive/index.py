"""The archive's index: one row per instance, in SQLite (standard library), from file headers.

Each file's header is read up to Pixel Data (``read_file(..., stop_before=PIXEL_DATA)``), and the
attributes of the Q/R information models' required and optional keys (PS3.4 C.6.1.1, C.6.2.1)
are kept as text with the file's path, transfer syntax, size, modification time and where its data
set starts, which is all a C-STORE sub-operation needs to stream the file without reading its head
again (:meth:`Index.store_file`). The per-level counts and Modalities in Study are derived from the
rows at query time (:mod:`dicomnet.archive.archive`). The database carries
:data:`SCHEMA_VERSION` (``PRAGMA user_version``); one of another version is emptied and rebuilt by
the next scan, never read with the wrong columns.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

from dicomnet.dataset import PIXEL_DATA, Dataset, read_file
from dicomnet.dataset.dictionary import builtin_dictionary
from dicomnet.errors import DicomNetError
from dicomnet.services.qr_scp_store import IndexedFile
from dicomnet.services.storage_scu import StoreFile
from dicomnet.uid import TRANSFER_SYNTAXES, is_valid_uid

__all__ = ["ATTRIBUTES", "SCHEMA_VERSION", "Index", "Record"]

#: The layout of the ``instance`` table; a database of another version is rebuilt.
SCHEMA_VERSION: Final = 2

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
# Bookkeeping columns (not attributes): where the instance is, how it is encoded, its charset,
# the file's size and mtime (ns) when read, where its data set starts, whether its bytes are in
# its transfer syntax exactly ("1"; "0" when the VR encoding contradicts the meta).
_EXTRA: Final = (
    "path",
    "transfer_syntax",
    "specific_character_set",
    "mtime",
    "file_size",
    "dataset_offset",
    "stream_as_is",
)
_COLUMNS: Final = (*ATTRIBUTES, *_EXTRA)


def _tag_of(keyword: str) -> int:
    tag = builtin_dictionary().tag_for_keyword(keyword)
    if tag is None:  # pragma: no cover - ATTRIBUTES are PS3.6 keywords, checked by the tests
        raise AssertionError(f"{keyword} is not in the built-in dictionary")
    return tag


# The index's columns are standard attributes: their tags come from the built-in PS3.6
# dictionary, whatever dictionary ``DCMDICTPATH`` names for the rest of the process.
_TAGS: Final = {keyword: _tag_of(keyword) for keyword in ATTRIBUTES}
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
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        if version != SCHEMA_VERSION:
            found = {row[1] for row in self.db.execute("PRAGMA table_info(instance)")}
            if found and not {"path", "mtime", "SOPInstanceUID"} <= found:
                self.db.close()
                raise sqlite3.DatabaseError(
                    f"{os.fspath(database)}: its table 'instance' is not an archive index"
                )
            self.db.execute("DROP TABLE IF EXISTS instance")  # its indexes go with it
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
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
        row["file_size"] = str(stat.st_size)
        row["dataset_offset"] = str(part10.dataset_offset)
        as_is = part10.transfer_syntax is not None and (
            part10.implicit_vr == part10.transfer_syntax.implicit_vr
            and part10.little_endian == part10.transfer_syntax.little_endian
        )
        row["stream_as_is"] = "1" if as_is else "0"
        return row

    #: The columns :meth:`store_file` reads.
    STORE_FILE_COLUMNS: Final = (
        "path",
        "SOPClassUID",
        "SOPInstanceUID",
        "transfer_syntax",
        "file_size",
        "dataset_offset",
        "mtime",
        "stream_as_is",
    )

    @staticmethod
    def store_file(row: Record) -> IndexedFile | None:
        """What a C-STORE sub-operation needs of the row's file, as read at indexing time.

        ``None`` when the row cannot describe it (no valid SOP Class UID in the data set, a
        transfer syntax unknown here): the file is then inspected when sent.
        """
        sop_class, sop_instance = row["SOPClassUID"], row["SOPInstanceUID"]
        ts = TRANSFER_SYNTAXES.get(row["transfer_syntax"])
        if ts is None or not (is_valid_uid(sop_class) and is_valid_uid(sop_instance)):
            return None
        try:
            size, offset, mtime = (
                int(row["file_size"]),
                int(row["dataset_offset"]),
                int(row["mtime"]),
            )
        except ValueError:
            return None
        if not 0 <= offset < size:
            return None
        head = StoreFile(
            path=row["path"],
            sop_class_uid=sop_class,
            sop_instance_uid=sop_instance,
            transfer_syntax=ts.uid,
            dataset_offset=offset,
            dataset_length=size - offset,
            encapsulated=ts.encapsulated,
            stream_as_is=row["stream_as_is"] == "1",
        )
        return IndexedFile(head, mtime)

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
        self,
        where: dict[str, list[str]] | None = None,
        *,
        first_of: list[str] | None = None,
        columns: Iterable[str] | None = None,
    ) -> list[Record]:
        """The rows, optionally only those whose column is one of the given values.

        ``first_of``: only the first row (in indexing order) of each group of equal values of
        these columns, e.g. one row per study. ``columns``: only these columns in each row
        (default: all).
        """
        selected = "*"
        if columns is not None:
            wanted = list(dict.fromkeys(columns))
            for column in wanted:
                if column not in _COLUMNS:
                    raise KeyError(column)
            selected = ", ".join(f'"{c}"' for c in wanted)
        sql = f"SELECT {selected} FROM instance"
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
            sql = sql.replace(
                f"SELECT {selected}", f"SELECT {selected}, MIN(rowid) AS first_rowid", 1
            )
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
