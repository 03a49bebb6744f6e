"""What the index keeps for sending a file (issue 7): the head as inspect_file reads it, versioned.

The row of each file describes it as :func:`dicomnet.services.storage_scu.inspect_file` does (the
oracle: the Storage SCU's own reading of the file head), for uncompressed, implicit VR, deflated
and compressed files; :meth:`Archive.retrieve` hands those descriptions to the Q/R SCP. A row
that cannot describe its file (no SOP Class UID in the data set, a corrupt value) gives the plain
path instead. A database of another schema version is rebuilt, not read with the wrong columns.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset as PyDataset
from pydicom.dataset import FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import ExplicitVRLittleEndian

from dicomnet.archive import Archive, Index
from dicomnet.archive.index import SCHEMA_VERSION
from dicomnet.dataset import Dataset
from dicomnet.samples import generate_study
from dicomnet.services.qr_scp import QRRequest
from dicomnet.services.qr_scp_store import IndexedFile
from dicomnet.services.storage_scu import inspect_file
from dicomnet.uid import STUDY_ROOT_QR_MOVE

RLE = "1.2.840.10008.1.2.5"  # RLE Lossless: encapsulated pixel data
SYNTAXES = [
    "1.2.840.10008.1.2.1",  # explicit VR little endian
    "1.2.840.10008.1.2",  # implicit VR little endian
    "1.2.840.10008.1.2.2",  # explicit VR big endian (retired, still readable)
    "1.2.840.10008.1.2.1.99",  # deflated explicit VR little endian
    RLE,
]


def _move(study: str) -> QRRequest:
    ds = Dataset()
    ds.set("QueryRetrieveLevel", "STUDY")
    ds.set("StudyInstanceUID", study)
    return QRRequest(
        operation="move", message_id=1, sop_class_uid=STUDY_ROOT_QR_MOVE, identifier=ds
    )


def _encapsulated(files: list[Path]) -> None:
    """Rewrite ``files`` with their pixel data as one RLE Lossless fragment (not decoded here)."""
    for path in files:
        ds = pydicom.dcmread(path)
        ds.PixelData = encapsulate([b"\x00" * 64])
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = RLE
        ds.save_as(path, enforce_file_format=True)


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_rows_describe_files_as_inspect_file_does(tmp_path: Path, syntax: str) -> None:
    files = generate_study(
        tmp_path,
        series_per_study=1,
        images_per_series=2,
        rows=8,
        columns=8,
        transfer_syntax=syntax if syntax != RLE else "1.2.840.10008.1.2.1",
    )
    if syntax == RLE:
        _encapsulated(files)
    index = Index()
    assert index.scan(tmp_path) == 2
    for row in index.records():
        described = Index.store_file(row)
        assert described is not None
        assert described.file == inspect_file(row["path"])
        assert described.mtime_ns == os.stat(row["path"]).st_mtime_ns
        assert os.fspath(described) == row["path"]
        assert described.file.transfer_syntax == syntax
        assert described.file.encapsulated is (syntax == RLE)
    archive = Archive(tmp_path)
    study = pydicom.dcmread(files[0], stop_before_pixels=True).StudyInstanceUID
    items = archive.retrieve(_move(study))
    assert all(isinstance(i, IndexedFile) for i in items)
    assert sorted(os.fspath(i) for i in items) == sorted(os.path.realpath(f) for f in files)


def test_implicit_vr_under_an_explicit_meta_is_not_streamed_as_is(tmp_path: Path) -> None:
    """A data set whose VR encoding contradicts its meta is re-encoded when sent (stream_as_is)."""
    ds = PyDataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4.5.1"
    ds.StudyInstanceUID = "1.2.3.4.5"
    ds.SeriesInstanceUID = "1.2.3.4.5.0"
    ds.PatientID = "P"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta, body = DicomBytesIO(), DicomBytesIO()
    write_file_meta_info(meta, ds.file_meta)
    body.is_little_endian, body.is_implicit_VR = True, True
    write_dataset(body, ds)  # implicit VR, while the meta says explicit
    path = tmp_path / "mismatch.dcm"
    path.write_bytes(b"\x00" * 128 + b"DICM" + meta.getvalue() + body.getvalue())
    index = Index()
    assert index.scan(tmp_path) == 1
    (row,) = index.records()
    described = Index.store_file(row)
    assert described is not None
    assert described.file == inspect_file(path)
    assert described.file.stream_as_is is False


def test_a_row_that_cannot_describe_its_file_gives_the_path(tmp_path: Path) -> None:
    ds = PyDataset()  # no SOP Class UID in the data set: only in the meta
    ds.SOPInstanceUID = "1.2.3.4.6.1"
    ds.StudyInstanceUID = "1.2.3.4.6"
    ds.SeriesInstanceUID = "1.2.3.4.6.0"
    ds.PatientID = "P"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = tmp_path / "no-class.dcm"
    ds.save_as(path, enforce_file_format=True)
    archive = Archive(tmp_path)
    assert archive.retrieve(_move("1.2.3.4.6")) == [os.path.realpath(path)]
    assert inspect_file(path).sop_class_uid == "1.2.840.10008.5.1.4.1.1.7"  # read when sent


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("SOPClassUID", ""),
        ("SOPClassUID", "1.2.x"),
        ("SOPInstanceUID", "01.2"),
        ("transfer_syntax", "1.2.3.4"),
        ("file_size", ""),
        ("dataset_offset", "abc"),
        ("mtime", "1e9"),
        ("dataset_offset", "-1"),
        ("file_size", "10"),  # smaller than the data set offset
    ],
)
def test_store_file_refuses_a_corrupt_row(tmp_path: Path, column: str, value: str) -> None:
    generate_study(tmp_path, series_per_study=1, images_per_series=1, rows=8, columns=8)
    index = Index()
    index.scan(tmp_path)
    (row,) = index.records()
    assert Index.store_file(row) is not None
    row[column] = value
    assert Index.store_file(row) is None


def _columns(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[1] for r in conn.execute("PRAGMA table_info(instance)")}


@pytest.mark.parametrize("version", [0, 1, SCHEMA_VERSION + 1])
def test_a_database_of_another_schema_is_rebuilt(tmp_path: Path, version: int) -> None:
    files = generate_study(
        tmp_path / "a", series_per_study=1, images_per_series=2, rows=8, columns=8
    )
    db = tmp_path / "index.sqlite"
    with sqlite3.connect(db) as conn:  # the layout before issue 7: no size, no data set offset
        columns = ", ".join(
            f"\"{c}\" TEXT NOT NULL DEFAULT ''"
            for c in ("SOPInstanceUID", "StudyInstanceUID", "path", "transfer_syntax", "mtime")
        )
        conn.execute(f"CREATE TABLE instance ({columns})")
        conn.execute(
            "INSERT INTO instance VALUES ('1.2.3', '1.2', ?, '1.2.840.10008.1.2.1', ?)",
            (os.path.realpath(files[0]), str(os.stat(files[0]).st_mtime_ns)),
        )
        conn.execute(f"PRAGMA user_version = {version}")
    index = Index(db)
    assert len(index) == 0  # the old rows are gone with the old table
    assert {"file_size", "dataset_offset", "stream_as_is"} <= _columns(db)
    assert index.scan(tmp_path / "a") == 2  # nothing is taken as already indexed
    assert all(Index.store_file(row) is not None for row in index.records())
    index.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    reopened = Index(db)  # the current version is kept as it is
    assert len(reopened) == 2
    assert reopened.scan(tmp_path / "a") == 0


def test_a_table_that_is_not_an_index_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE instance (name TEXT)")
        conn.execute("INSERT INTO instance VALUES ('kept')")
    with pytest.raises(sqlite3.DatabaseError, match="not an archive index"):
        Index(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM instance").fetchall() == [("kept",)]
