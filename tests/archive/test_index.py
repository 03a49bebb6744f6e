"""The archive index (dicomnet.archive.index): scan, add, rescan, header-only reads, bad files."""

from __future__ import annotations

import os
from pathlib import Path

from dicomnet.archive import Index
from dicomnet.samples import generate_study
from tests.archive.data import image_uid, write_files


def test_scan_is_recursive_and_keeps_paths_and_syntax(tmp_path: Path) -> None:
    paths = write_files(tmp_path)
    (tmp_path / "notes.txt").write_text("not DICOM")
    (tmp_path / "PID1" / "empty.dcm").write_bytes(b"")
    index = Index()
    assert index.scan(tmp_path) == len(paths) == 7
    rows = {r["SOPInstanceUID"]: r for r in index.records()}
    row = rows[image_uid(1, 1, 1, 2)]
    assert row["path"] == os.path.realpath(tmp_path / "PID1" / "st1" / "se1" / "2.dcm")
    assert row["transfer_syntax"] == "1.2.840.10008.1.2.1"
    assert row["PatientName"] == "Doe^Jane"
    assert row["PatientBirthDate"] == "19800101"
    assert row["InstanceNumber"] == "2"
    assert row["specific_character_set"] == "ISO_IR 100"
    assert rows[image_uid(2, 1, 1, 1)]["PatientBirthDate"] == ""


def test_header_only_read_indexes_a_truncated_pixel_data(tmp_path: Path) -> None:
    (path,) = generate_study(tmp_path, images_per_series=1, series_per_study=1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1000])  # pixel data cut short: the header is intact
    index = Index()
    assert index.scan(tmp_path) == 1


def test_add_rescan_and_removal(tmp_path: Path) -> None:
    files = generate_study(tmp_path / "a", series_per_study=2, images_per_series=2)
    index = Index(tmp_path / "index.sqlite")
    assert index.scan(tmp_path / "a") == 4
    assert index.scan(tmp_path / "a") == 0  # unchanged files are not read again
    files[0].unlink()
    more = generate_study(tmp_path / "a" / "more", series_per_study=1, images_per_series=1, seed=5)
    assert index.rescan() == 1
    assert len(index) == 4
    extra = generate_study(tmp_path / "b", series_per_study=1, images_per_series=1, seed=6)
    row = index.add(extra[0])
    assert row is not None
    assert len(index) == 5
    assert index.add(extra[0]) is not None
    assert len(index) == 5  # re-adding replaces
    assert index.add(tmp_path / "index.sqlite") is None
    index.remove(more[0])
    assert len(index) == 4
    index.close()
    reopened = Index(tmp_path / "index.sqlite")
    assert len(reopened) == 4


def test_records_filter(tmp_path: Path) -> None:
    write_files(tmp_path)
    index = Index()
    index.scan(tmp_path)
    rows = index.records({"PatientID": ["PID1", "PID3"]})
    assert {r["PatientID"] for r in rows} == {"PID1", "PID3"}
    assert len(rows) == 6


def test_first_row_of_each_group(tmp_path: Path) -> None:
    write_files(tmp_path)
    index = Index()
    index.scan(tmp_path)
    studies = index.records(first_of=["StudyInstanceUID"])
    assert len(studies) == 5
    assert len({r["StudyInstanceUID"] for r in studies}) == 5
    series = index.records(
        {"PatientID": ["PID1"]}, first_of=["StudyInstanceUID", "SeriesInstanceUID"]
    )
    assert len(series) == 3
    assert "first_rowid" not in series[0]
