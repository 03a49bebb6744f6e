"""dicomnet.samples: generated studies read by pydicom and DCMTK, hierarchy, determinism, streaming."""

from __future__ import annotations

import itertools
import subprocess
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Literal

import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.dataset import read_file
from dicomnet.samples import (
    CT_IMAGE_STORAGE,
    MR_IMAGE_STORAGE,
    MULTIFRAME_GRAYSCALE_WORD_SC_IMAGE_STORAGE,
    generate_object,
    generate_study,
    phantom,
    sample_uid,
)
from dicomnet.uid import is_valid_uid
from tests.peers import require_program

SYNTAXES = (
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
)


def _words(data: bytes, big_endian: bool = False) -> list[int]:
    order: Literal["big", "little"] = "big" if big_endian else "little"
    return [int.from_bytes(data[i : i + 2], order) for i in range(0, len(data), 2)]


def test_default_study_read_by_pydicom(tmp_path: Path) -> None:
    files = generate_study(tmp_path)
    assert len(files) == 30
    assert sorted(files) == sorted(tmp_path.glob("*.dcm"))
    datasets = [pydicom.dcmread(f) for f in files]
    ds = datasets[0]
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert ds.file_meta.MediaStorageSOPClassUID == CT_IMAGE_STORAGE == ds.SOPClassUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert files[0].name == f"{ds.SOPInstanceUID}.dcm"
    vrs = {
        "PatientName": "PN",
        "PatientID": "LO",
        "PatientBirthDate": "DA",
        "PatientSex": "CS",
        "StudyInstanceUID": "UI",
        "StudyDate": "DA",
        "StudyTime": "TM",
        "AccessionNumber": "SH",
        "StudyID": "SH",
        "ReferringPhysicianName": "PN",
        "StudyDescription": "LO",
        "Modality": "CS",
        "SeriesInstanceUID": "UI",
        "SeriesNumber": "IS",
        "SeriesDescription": "LO",
        "FrameOfReferenceUID": "UI",
        "Manufacturer": "LO",
        "InstanceNumber": "IS",
        "ImagePositionPatient": "DS",
        "ImageOrientationPatient": "DS",
        "PixelSpacing": "DS",
        "SliceThickness": "DS",
        "SamplesPerPixel": "US",
        "PhotometricInterpretation": "CS",
        "Rows": "US",
        "Columns": "US",
        "BitsAllocated": "US",
        "BitsStored": "US",
        "HighBit": "US",
        "PixelRepresentation": "US",
        "RescaleIntercept": "DS",
        "RescaleSlope": "DS",
        "WindowCenter": "DS",
        "WindowWidth": "DS",
        "ImageType": "CS",
        "KVP": "DS",
        "PixelData": "OW",
    }
    for keyword, vr in vrs.items():
        assert vr == ds[keyword].VR, keyword
    assert ds.Modality == "CT"
    assert "^" in str(ds.PatientName)
    assert len(ds.PatientBirthDate) == 8
    assert ds.PatientSex in ("M", "F", "O")
    assert (ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit) == (
        64,
        64,
        16,
        12,
        11,
    )
    assert ds.PhotometricInterpretation == "MONOCHROME2"
    assert ds.SamplesPerPixel == 1
    assert float(ds.RescaleIntercept) == -1024.0
    assert float(ds.RescaleSlope) == 1.0
    assert [float(v) for v in ds.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
    assert len(ds.ImagePositionPatient) == 3
    assert len(ds.PixelSpacing) == 2
    for d in datasets:
        assert len(d.PixelData) == d.Rows * d.Columns * 2
        assert max(_words(d.PixelData)) < 1 << d.BitsStored


def test_hierarchy_consistent(tmp_path: Path) -> None:
    files = generate_study(
        tmp_path, patients=2, studies_per_patient=2, series_per_study=3, images_per_series=4
    )
    assert len(files) == 48
    datasets = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    uids = [d.SOPInstanceUID for d in datasets]
    assert len(set(uids)) == 48
    by_study: dict[str, set[str]] = {}
    for d in datasets:
        by_study.setdefault(d.StudyInstanceUID, set()).add(d.SeriesInstanceUID)
        for uid in (
            d.SOPInstanceUID,
            d.StudyInstanceUID,
            d.SeriesInstanceUID,
            d.FrameOfReferenceUID,
        ):
            assert is_valid_uid(uid), uid
    assert len(by_study) == 4
    assert all(len(series) == 3 for series in by_study.values())
    assert len({d.PatientID for d in datasets}) == 2
    # One patient per study, one study per series, one frame of reference per study.
    for key, parent in (
        ("StudyInstanceUID", "PatientID"),
        ("SeriesInstanceUID", "StudyInstanceUID"),
        ("FrameOfReferenceUID", "StudyInstanceUID"),
    ):
        pairs = {(getattr(d, key), getattr(d, parent)) for d in datasets}
        assert len(pairs) == len({getattr(d, key) for d in datasets}), key
    for frame in {d.FrameOfReferenceUID for d in datasets}:
        studies = {d.StudyInstanceUID for d in datasets if d.FrameOfReferenceUID == frame}
        assert len(studies) == 1
    # Each series is a contiguous axial stack, instance numbers 1..n.
    series = Counter(d.SeriesInstanceUID for d in datasets)
    assert set(series.values()) == {4}
    for uid in series:
        stack = sorted((int(d.InstanceNumber), d) for d in datasets if d.SeriesInstanceUID == uid)
        assert [n for n, _ in stack] == [1, 2, 3, 4]
        z = [float(d.ImagePositionPatient[2]) for _, d in stack]
        steps = {round(b - a, 3) for a, b in itertools.pairwise(z)}
        assert steps == {-float(stack[0][1].SliceThickness)}


def test_tree_layout(tmp_path: Path) -> None:
    files = generate_study(tmp_path, series_per_study=2, images_per_series=3, layout="tree")
    rel = sorted(str(f.relative_to(tmp_path)) for f in files)
    patient = pydicom.dcmread(files[0], stop_before_pixels=True).PatientID
    assert rel == [
        f"{patient}/STUDY01/SERIES{s:03d}/{i:04d}.dcm" for s in (1, 2) for i in (1, 2, 3)
    ]
    for f in files:
        d = pydicom.dcmread(f, stop_before_pixels=True)
        assert f.name == f"{int(d.InstanceNumber):04d}.dcm"
        assert f.parent.name == f"SERIES{int(d.SeriesNumber):03d}"


def test_same_seed_same_bytes_other_seed_other_uids(tmp_path: Path) -> None:
    a = generate_study(tmp_path / "a", series_per_study=2, images_per_series=3, seed=7)
    b = generate_study(tmp_path / "b", series_per_study=2, images_per_series=3, seed=7)
    c = generate_study(tmp_path / "c", series_per_study=2, images_per_series=3, seed=8)
    assert [f.name for f in a] == [f.name for f in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))
    assert not {f.name for f in a} & {f.name for f in c}
    assert sample_uid(7, "study", 0, 0) == sample_uid(7, "study", 0, 0)
    assert sample_uid(7, "study", 0, 0) != sample_uid(8, "study", 0, 0)


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_every_uncompressed_syntax_same_pixels(tmp_path: Path, syntax: str) -> None:
    reference = generate_study(tmp_path / "ref", series_per_study=1, images_per_series=2)
    files = generate_study(
        tmp_path / "out", series_per_study=1, images_per_series=2, transfer_syntax=syntax
    )
    for ref, f in zip(reference, files, strict=True):
        d = pydicom.dcmread(f)
        assert d.file_meta.TransferSyntaxUID == syntax
        assert d.PatientName == pydicom.dcmread(ref).PatientName
        ours = read_file(f)
        assert ours.transfer_syntax is not None
        assert ours.transfer_syntax.uid == syntax
        assert ours.dataset.PixelData == read_file(ref).dataset.PixelData
        if syntax == "1.2.840.10008.1.2.2":
            assert _words(d.PixelData, big_endian=True) == _words(ours.dataset.PixelData)


def test_mr_series(tmp_path: Path) -> None:
    files = generate_study(tmp_path, modality="MR", series_per_study=4, images_per_series=2)
    datasets = [pydicom.dcmread(f) for f in files]
    assert {d.SOPClassUID for d in datasets} == {MR_IMAGE_STORAGE}
    assert len({d.SeriesDescription for d in datasets}) == 4
    d = datasets[0]
    assert d.Modality == "MR"
    assert d["RepetitionTime"].VR == "DS"
    assert d["EchoTime"].VR == "DS"
    assert d["ScanningSequence"].VR == "CS"
    assert d.MRAcquisitionType in ("2D", "3D")
    assert "RescaleIntercept" not in d


def test_phantom_content() -> None:
    image = _words(phantom(64, 64, 0.5))
    assert len(image) == 64 * 64
    assert image[0] == 24  # air (-1000 HU) in the corner
    assert image[32 * 64 + 20] >= 1064  # body at the centre row
    assert 2024 in image  # the bone
    assert 1084 in image  # the organ
    # Slices differ through the volume (the body's cross-section changes).
    assert phantom(64, 64, 0.1) != phantom(64, 64, 0.5)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.integers(1, 40),
    columns=st.integers(1, 40),
    position=st.floats(0, 1),
    bits=st.sampled_from([8, 16]),
)
def test_phantom_size_and_levels(rows: int, columns: int, position: float, bits: int) -> None:
    levels = (1, 2, 3, 4)
    data = phantom(rows, columns, position, bits_allocated=bits, levels=levels)
    width = bits // 8
    assert len(data) == rows * columns * width
    values = set(data) if width == 1 else set(_words(data))
    assert values <= {1, 2, 3, 4}
    if min(rows, columns) >= 8:
        first = data[0] if width == 1 else _words(data[:2])[0]
        assert first == 1  # the corner is air


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"modality": "US"}, "modality"),
        ({"bits_allocated": 8}, "bits_allocated"),
        ({"bits_allocated": 8, "modality": "MR"}, "bits_allocated"),
        ({"transfer_syntax": "1.2.840.10008.1.2.4.50"}, "uncompressed"),
        ({"images_per_series": 0}, "images_per_series"),
        ({"rows": 70000}, "rows"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_study(tmp_path, **kwargs)  # type: ignore[arg-type]
    assert not list(tmp_path.rglob("*.dcm"))


def test_dcmdump_reads_without_warnings(tmp_path: Path) -> None:
    dcmdump = require_program("dcmdump")
    files = [
        *generate_study(tmp_path / "ct", series_per_study=1, images_per_series=1),
        *generate_study(tmp_path / "mr", modality="MR", series_per_study=1, images_per_series=1),
        *(
            generate_study(
                tmp_path / s, series_per_study=1, images_per_series=1, transfer_syntax=s
            )[0]
            for s in SYNTAXES
        ),
        generate_object(tmp_path / "large.dcm", 3 << 20),
        generate_object(tmp_path / "large-be.dcm", 1 << 20, transfer_syntax=SYNTAXES[2]),
        generate_object(tmp_path / "large-im.dcm", 1 << 20, transfer_syntax=SYNTAXES[0]),
    ]
    result = subprocess.run(
        [dcmdump, "-ll", "warn", *map(str, files)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Error" not in result.stdout
    assert "error" not in result.stdout
    assert result.stdout.count("(7fe0,0010) OW") == len(files)


@pytest.mark.parametrize("syntax", SYNTAXES[:3])
def test_generate_object_layout(tmp_path: Path, syntax: str) -> None:
    path = generate_object(
        tmp_path / "o.dcm", 3 * 64 * 64 * 2 - 5, rows=64, columns=64, transfer_syntax=syntax
    )
    d = pydicom.dcmread(path)
    assert d.SOPClassUID == MULTIFRAME_GRAYSCALE_WORD_SC_IMAGE_STORAGE
    assert d.file_meta.TransferSyntaxUID == syntax
    assert (int(d.NumberOfFrames), d.Rows, d.Columns, d.BitsAllocated) == (3, 64, 64, 16)
    assert len(d.PixelData) == 3 * 64 * 64 * 2
    ours = read_file(path)
    frame = ours.dataset.PixelData[: 64 * 64 * 2]
    assert frame == phantom(64, 64, 0.5)
    assert ours.dataset.PixelData == frame * 3
    header = read_file(path, stop_before=0x7FE00010)
    element_header = 8 if syntax == SYNTAXES[0] else 12
    assert path.stat().st_size == header.stop_offset + element_header + 3 * 64 * 64 * 2


def test_generate_object_streams(tmp_path: Path) -> None:
    size = 64 << 20
    tracemalloc.start()
    try:
        path = generate_object(tmp_path / "big.dcm", size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, peak
    total = path.stat().st_size
    assert size < total < size + 4096
    part = read_file(path, stop_before=0x7FE00010)
    assert int(part.dataset.NumberOfFrames) == size // (512 * 512 * 2)
    with path.open("rb") as fp:
        fp.seek(part.stop_offset)
        header = fp.read(12)
    assert header[:6] == b"\xe0\x7f\x10\x00OW"
    assert int.from_bytes(header[8:], "little") == size == total - part.stop_offset - 12


def test_generate_object_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="deflated"):
        generate_object(tmp_path / "x.dcm", 10, transfer_syntax=SYNTAXES[3])
    with pytest.raises(ValueError, match="32-bit"):
        generate_object(tmp_path / "x.dcm", 5 << 30)
    with pytest.raises(ValueError, match="negative"):
        generate_object(tmp_path / "x.dcm", -1)
    assert not (tmp_path / "x.dcm").exists()
