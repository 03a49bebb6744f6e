"""Synthetic sample studies written with dicomnet's own codec (demo data, benchmarks, tests).

:func:`generate_study` writes a patient/study/series/image hierarchy of CT or MR images (PS3.3
A.3 CT Image IOD, A.4 MR Image IOD) with the Patient, General Study, General Series, Frame of
Reference, General Equipment, General Image, Image Plane, Image Pixel, CT/MR Image, VOI LUT and
SOP Common modules, and a deterministic phantom as pixel data. :func:`generate_object` writes one
Multi-frame Grayscale Word Secondary Capture object (PS3.3 A.8.4) of a requested size, streaming
the pixel data so that a 1 GiB object never sits in memory.

Everything is derived from ``seed``: the same arguments give byte-identical files. UIDs are
name-based UUIDs under ``2.25`` (PS3.5 Annex B.2, ISO/IEC 9834-8).
"""

from __future__ import annotations

import array
import datetime
import math
import os
import random
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Literal

from dicomnet.dataset import DataElement, Dataset, WriteOptions, encode_file
from dicomnet.uid import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    TransferSyntax,
    uid_for_keyword,
)

__all__ = [
    "CT_IMAGE_STORAGE",
    "MR_IMAGE_STORAGE",
    "MULTIFRAME_GRAYSCALE_WORD_SC_IMAGE_STORAGE",
    "generate_object",
    "generate_study",
    "sample_uid",
]


def _sop_class(keyword: str) -> str:
    uid = uid_for_keyword(keyword)
    if uid is None:  # pragma: no cover - the registry always has these
        raise LookupError(keyword)
    return uid


#: PS3.4 Table B.5-1 storage SOP classes used here.
CT_IMAGE_STORAGE: Final = _sop_class("CTImageStorage")
MR_IMAGE_STORAGE: Final = _sop_class("MRImageStorage")
MULTIFRAME_GRAYSCALE_WORD_SC_IMAGE_STORAGE: Final = _sop_class(
    "MultiFrameGrayscaleWordSecondaryCaptureImageStorage"
)

_NATIVE_SYNTAXES: Final = frozenset(
    ts.uid
    for ts in (
        IMPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_BIG_ENDIAN,
        DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    )
)
_NAMESPACE: Final = uuid.UUID("6f1e3a52-9d1c-5b8e-a4f0-0d1c0e7a5a11")
_PIXEL_DATA: Final = 0x7FE00010
_CHUNK: Final = 1 << 20
_SLICE_CACHE: Final = 16 << 20

_FAMILY: Final = ("SMITH", "NGUYEN", "GARCIA", "MULLER", "ROSSI", "TANAKA", "KOWALSKI", "DUBOIS")
_GIVEN: Final = ("ALEX", "MARIA", "JOHN", "YUKI", "ANNA", "OMAR", "LENA", "PAUL")

#: Per modality: series descriptions, slice thickness (mm), field of view (mm), window
#: centre/width, and the values (rescaled units) of air, body and organ in the phantom.
_CT_SERIES: Final = (
    ("HEAD 5.0 H31s", 5.0, 250.0, (40, 80)),
    ("CHEST 1.0 B70f", 1.0, 350.0, (-600, 1500)),
    ("ABDOMEN 3.0 B30f", 3.0, 380.0, (50, 350)),
    ("PELVIS 2.0 B30f", 2.0, 400.0, (40, 400)),
)
_MR_SERIES: Final = (
    ("T1 SE AX", 5.0, 230.0, "SE", "SP", 500.0, 15.0, 1),
    ("T2 TSE AX", 5.0, 230.0, "SE", "SK\\SP", 4000.0, 100.0, 15),
    ("FLAIR AX", 5.0, 230.0, "SE\\IR", "SK\\SP\\MP", 9000.0, 120.0, 20),
    ("T1 GRE 3D", 1.0, 256.0, "GR", "SP\\SS", 20.0, 3.5, 1),
)


def sample_uid(seed: int, *path: object) -> str:
    """A deterministic UID for ``path`` under ``seed``: ``2.25.`` + a name-based UUID (SHA-1).

    PS3.5 Annex B.2 allows UIDs derived from a UUID; a version-5 UUID is one (RFC 4122 §4.3).
    """
    name = "/".join(str(part) for part in (seed, *path))
    return f"2.25.{uuid.uuid5(_NAMESPACE, name).int}"


def _ds(value: float) -> str:
    """A Decimal String (DS) of at most 16 characters (PS3.5 Table 6.2-1)."""
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def _check_syntax(transfer_syntax: TransferSyntax | str) -> str:
    uid = transfer_syntax if isinstance(transfer_syntax, str) else transfer_syntax.uid
    if uid not in _NATIVE_SYNTAXES:
        raise ValueError(
            f"transfer syntax {uid} is not an uncompressed one: dicomnet has no pixel codecs"
        )
    return uid


def _row_bytes(columns: int, segments: list[tuple[int, int]], background: int, word: bool) -> bytes:
    """One row: ``background`` with runs (end column, value) laid over it, built by repetition."""
    pack = _WORD.pack if word else _BYTE.pack
    parts: list[bytes] = []
    x = 0
    for end, value in segments:
        end = min(max(end, x), columns)
        if end > x:
            parts.append(pack(value) * (end - x))
            x = end
    if x < columns:
        parts.append(pack(background) * (columns - x))
    return b"".join(parts)


_WORD: Final = struct.Struct("<H")
_BYTE: Final = struct.Struct("<B")


def _span(centre: float, radius: float, y: float) -> tuple[float, float] | None:
    dy = abs(y)
    if dy >= radius:
        return None
    half = math.sqrt(radius * radius - dy * dy)
    return centre - half, centre + half


def phantom(
    rows: int,
    columns: int,
    position: float,
    *,
    bits_allocated: int = 16,
    levels: tuple[int, int, int, int] = (24, 1064, 1084, 2024),
) -> bytes:
    """A deterministic slice of an ellipsoid phantom, little-endian stored values.

    ``position`` in [0, 1] moves the slice through the body: the body's cross-section is a circle
    whose radius follows the ellipsoid, with an off-centre organ and a small dense "bone" inside
    it and a vertical gradient on the body. ``levels`` are the stored values of air, body, organ
    and bone. The image is built one row at a time by byte repetition (no per-pixel Python work).
    """
    word = bits_allocated == 16
    air, body, organ, bone = levels
    cx, cy = columns / 2.0, rows / 2.0
    scale = min(rows, columns) / 2.0
    t = min(max(position, 0.0), 1.0) * 2.0 - 1.0
    body_r = scale * 0.9 * math.sqrt(max(1.0 - 0.8 * t * t, 0.05))
    organ_r = body_r * 0.35
    organ_cx = cx + body_r * 0.3
    bone_r = body_r * 0.12
    bone_cx = cx - body_r * 0.45
    gradient = max((body - air) // 16, 1)
    out: list[bytes] = []
    for r in range(rows):
        y = r + 0.5 - cy
        segments: list[tuple[int, int]] = []
        span = _span(cx, body_r, y)
        if span is not None:
            b0, b1 = round(span[0]), round(span[1])
            level = body + (gradient * r) // max(rows, 1)
            inner: list[tuple[int, int, int]] = []
            for centre, radius, value in ((bone_cx, bone_r, bone), (organ_cx, organ_r, organ)):
                s = _span(centre, radius, y)
                if s is not None:
                    inner.append((max(round(s[0]), b0), min(round(s[1]), b1), value))
            segments.append((b0, air))
            for start, end, value in inner:
                segments.append((start, level))
                segments.append((end, value))
            segments.append((b1, level))
        out.append(_row_bytes(columns, segments, air, word))
    return b"".join(out)


def _levels(modality: str) -> tuple[int, int, int, int]:
    if modality == "CT":  # stored = HU + 1024: air, soft tissue, organ (liver-like), bone
        return (24, 1064, 1084, 2024)
    return (0, 600, 900, 200)


def _patient(rng: random.Random, seed: int, p: int) -> dict[str, Any]:
    birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 60))
    return {
        "PatientName": f"{rng.choice(_FAMILY)}^{rng.choice(_GIVEN)}",
        "PatientID": f"DN{seed:04d}{p + 1:04d}",
        "PatientBirthDate": birth.strftime("%Y%m%d"),
        "PatientSex": rng.choice(("M", "F", "O")),
        "PatientAge": None,
        "PatientWeight": _ds(rng.randrange(45, 110)),
    }


def _elements(values: dict[str, Any]) -> list[DataElement]:
    """Keyword -> value as data elements (VRs from the dictionary), built once per series."""
    template = Dataset()
    for key, value in values.items():
        template.set(key, value)
    return list(template.values())


def generate_study(
    out_dir: str | os.PathLike[str],
    *,
    patients: int = 1,
    studies_per_patient: int = 1,
    series_per_study: int = 3,
    images_per_series: int = 10,
    modality: Literal["CT", "MR"] = "CT",
    rows: int = 64,
    columns: int = 64,
    bits_allocated: int = 16,
    transfer_syntax: TransferSyntax | str = EXPLICIT_VR_LITTLE_ENDIAN,
    seed: int = 0,
    layout: Literal["flat", "tree"] = "flat",
) -> list[Path]:
    """Write a synthetic CT or MR hierarchy under ``out_dir``; return the files in write order.

    ``layout="flat"`` names files ``<SOPInstanceUID>.dcm``; ``"tree"`` writes
    ``PATIENTID/STUDYnn/SERIESnnn/nnnn.dcm``. The series of one study share its Frame of
    Reference; each series is an axial stack (contiguous slices). ``bits_allocated`` must be 16
    (the CT and MR Image IODs allow nothing else, PS3.3 C.8.2.1.1.4, C.8.3.1.1.4). Raises
    ``ValueError`` for counts or sizes out of range and for a transfer syntax that is not
    uncompressed, before anything is written.
    """
    ts_uid = _check_syntax(transfer_syntax)
    if modality not in ("CT", "MR"):
        raise ValueError(f"modality must be 'CT' or 'MR', not {modality!r}")
    if bits_allocated != 16:  # PS3.3 C.8.2.1.1.4 (CT), C.8.3.1.1.4 (MR): Enumerated Value 16
        raise ValueError(f"bits_allocated must be 16 for CT and MR images, not {bits_allocated}")
    for name, value, low, high in (
        ("seed", seed, 0, 10**40),
        ("patients", patients, 1, 9999),
        ("studies_per_patient", studies_per_patient, 1, 99),
        ("series_per_study", series_per_study, 1, 999),
        ("images_per_series", images_per_series, 1, 9999),
        ("rows", rows, 1, 65535),
        ("columns", columns, 1, 65535),
    ):
        if not low <= value <= high:
            raise ValueError(f"{name} must be in {low}..{high}, not {value}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    options = WriteOptions(transfer_syntax=ts_uid)
    rng = random.Random(seed)
    levels = _levels(modality)
    bits_stored = 12
    written: list[Path] = []
    # The same slice positions recur in every series: keep them when they are small.
    keep_slices = rows * columns * images_per_series * 2 <= _SLICE_CACHE
    slices: dict[int, bytes] = {}
    for p in range(patients):
        patient = _patient(rng, seed, p)
        for s in range(studies_per_patient):
            study_date = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(1800))
            study_time = datetime.time(rng.randrange(7, 19), rng.randrange(60), rng.randrange(60))
            age = study_date - datetime.date.fromisoformat(_iso(patient["PatientBirthDate"]))
            patient["PatientAge"] = f"{min(age.days // 365, 999):03d}Y"
            study_uid = sample_uid(seed, "study", p, s)
            frame_uid = sample_uid(seed, "frame", p, s)
            study = {
                **patient,
                "StudyInstanceUID": study_uid,
                "StudyDate": study_date.strftime("%Y%m%d"),
                "StudyTime": study_time.strftime("%H%M%S"),
                "AccessionNumber": f"A{seed % 1000:03d}{p + 1:04d}{s + 1:02d}",
                "StudyID": f"{s + 1}",
                "ReferringPhysicianName": f"{rng.choice(_FAMILY)}^{rng.choice(_GIVEN)}^^DR",
                "StudyDescription": "CT SAMPLE STUDY" if modality == "CT" else "MR SAMPLE STUDY",
                "FrameOfReferenceUID": frame_uid,
                "PositionReferenceIndicator": "",
            }
            for se in range(series_per_study):
                common = _series_common(
                    study, modality, seed, p, s, se, rows, columns, bits_allocated, bits_stored
                )
                series_dir = (
                    out / patient["PatientID"] / f"STUDY{s + 1:02d}" / f"SERIES{se + 1:03d}"
                )
                if layout == "tree":
                    series_dir.mkdir(parents=True, exist_ok=True)
                thickness = float(common.pop("_thickness"))
                fov = float(common.pop("_fov"))
                spacing = fov / max(rows, columns)
                common.update(
                    {
                        "AcquisitionNumber": "1",
                        "ContentDate": common["SeriesDate"],
                        "ImageOrientationPatient": ["1", "0", "0", "0", "1", "0"],
                        "PixelSpacing": [_ds(spacing), _ds(spacing)],
                        "SliceThickness": _ds(thickness),
                    }
                )
                shared = _elements(common)
                for i in range(images_per_series):
                    sop_uid = sample_uid(seed, "image", p, s, se, i)
                    z = -thickness * i
                    pixels = slices.get(i)
                    if pixels is None:
                        pixels = phantom(
                            rows,
                            columns,
                            (i + 0.5) / images_per_series,
                            levels=levels,
                        )
                        if keep_slices:
                            slices[i] = pixels
                    ds = Dataset(shared)
                    ds.set("SOPInstanceUID", sop_uid)
                    ds.set("InstanceNumber", str(i + 1))
                    ds.set("ContentTime", _later(common["SeriesTime"], i))
                    ds.set(
                        "ImagePositionPatient",
                        [_ds(-spacing * columns / 2), _ds(-spacing * rows / 2), _ds(z)],
                    )
                    ds.set("SliceLocation", _ds(z))
                    ds.set("PixelData", pixels, "OW")
                    if layout == "tree":
                        path = series_dir / f"{i + 1:04d}.dcm"
                    else:
                        path = out / f"{sop_uid}.dcm"
                    chunks = encode_file(ds, options)
                    with path.open("wb") as fp:
                        fp.writelines(chunks)
                    written.append(path)
    return written


def _iso(da: str) -> str:
    return f"{da[:4]}-{da[4:6]}-{da[6:8]}"


def _later(tm: str, seconds: int) -> str:
    base = datetime.datetime(2000, 1, 1, int(tm[:2]), int(tm[2:4]), int(tm[4:6]))
    return (base + datetime.timedelta(seconds=seconds)).strftime("%H%M%S")


def _series_common(
    study: dict[str, Any],
    modality: str,
    seed: int,
    p: int,
    s: int,
    se: int,
    rows: int,
    columns: int,
    bits_allocated: int,
    bits_stored: int,
) -> dict[str, Any]:
    """Elements shared by every image of one series (keyword -> value)."""
    series_time = _later(study["StudyTime"], 300 * (se + 1))
    common: dict[str, Any] = {
        "SpecificCharacterSet": "ISO_IR 100",
        "ImageType": ["ORIGINAL", "PRIMARY", "AXIAL"],
        "SOPClassUID": CT_IMAGE_STORAGE if modality == "CT" else MR_IMAGE_STORAGE,
        **study,
        "SeriesDate": study["StudyDate"],
        "SeriesTime": series_time,
        "Modality": modality,
        "Manufacturer": "DICOMNET",
        "InstitutionName": "DICOMNET SAMPLE HOSPITAL",
        "StationName": f"{modality}01",
        "ManufacturerModelName": "SYNTHETIC PHANTOM",
        "SoftwareVersions": "dicomnet.samples",
        "SeriesInstanceUID": sample_uid(seed, "series", p, s, se),
        "SeriesNumber": str(se + 1),
        "PatientPosition": "HFS",
        "BodyPartExamined": "",
        "SamplesPerPixel": 1,
        "PhotometricInterpretation": "MONOCHROME2",
        "Rows": rows,
        "Columns": columns,
        "BitsAllocated": bits_allocated,
        "BitsStored": bits_stored,
        "HighBit": bits_stored - 1,
        "PixelRepresentation": 0,
    }
    if modality == "CT":
        description, thickness, fov, (centre, width) = _CT_SERIES[se % len(_CT_SERIES)]
        common.update(
            {
                "SeriesDescription": description,
                "BodyPartExamined": description.split()[0],
                "KVP": "120",
                "RescaleIntercept": "-1024",
                "RescaleSlope": "1",
                "RescaleType": "HU",
                "WindowCenter": str(centre),
                "WindowWidth": str(width),
            }
        )
    else:
        description, thickness, fov, sequence, variant, tr, te, train = _MR_SERIES[
            se % len(_MR_SERIES)
        ]
        top = (1 << bits_stored) - 1
        common.update(
            {
                "SeriesDescription": description,
                "BodyPartExamined": "HEAD",
                "ScanningSequence": sequence.split("\\"),
                "SequenceVariant": variant.split("\\"),
                "ScanOptions": "",
                "MRAcquisitionType": "3D" if "3D" in description else "2D",
                "RepetitionTime": _ds(tr),
                "EchoTime": _ds(te),
                "EchoTrainLength": str(train),
                "MagneticFieldStrength": "1.5",
                "ImagedNucleus": "1H",
                "WindowCenter": str(top * 2 // 5),
                "WindowWidth": str(top * 4 // 5),
            }
        )
    common["_thickness"] = thickness
    common["_fov"] = fov
    return common


def _frame_bytes(rows: int, columns: int, big_endian: bool) -> bytes:
    """One phantom frame in the output byte order (the phantom is built little-endian)."""
    frame = phantom(rows, columns, 0.5)
    if not big_endian:
        return frame
    words = array.array("H", frame)
    words.byteswap()  # swaps each pair of bytes whatever the host's byte order
    return words.tobytes()


def generate_object(
    path: str | os.PathLike[str],
    size_bytes: int,
    *,
    rows: int = 512,
    columns: int = 512,
    transfer_syntax: TransferSyntax | str = EXPLICIT_VR_LITTLE_ENDIAN,
    seed: int = 0,
) -> Path:
    """Write one Multi-frame Grayscale Word SC object with at least ``size_bytes`` of pixel data.

    The Pixel Data (OW, defined length) holds ``ceil(size_bytes / frame)`` frames of
    ``rows`` x ``columns`` 16-bit pixels (512 x 512: 512 KiB a frame; 1 GiB is 2048 frames). The
    header is encoded with the codec, then the Pixel Data element header and the frames are
    written one at a time, so memory use is one frame whatever the size. The Pixel Data must
    stay under 4 GiB (a 32-bit length, PS3.5 §7.1). Deflated output is not possible this way
    (``ValueError``).
    """
    ts_uid = _check_syntax(transfer_syntax)
    if ts_uid == DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.uid:
        raise ValueError("generate_object cannot stream a deflated data set")
    if not (1 <= rows <= 65535 and 1 <= columns <= 65535):
        raise ValueError("rows and columns must be in 1..65535")
    if size_bytes < 0 or seed < 0:
        raise ValueError("size_bytes and seed must not be negative")
    frame_length = rows * columns * 2
    frames = max(1, -(-size_bytes // frame_length))
    length = frames * frame_length
    if length > 0xFFFFFFFE:
        raise ValueError(f"{length} bytes of pixel data do not fit a 32-bit length")
    big_endian = ts_uid == EXPLICIT_VR_BIG_ENDIAN.uid
    implicit = ts_uid == IMPLICIT_VR_LITTLE_ENDIAN.uid
    ds = Dataset()
    study_uid = sample_uid(seed, "object", size_bytes, "study")
    elements: dict[str, Any] = {
        "SpecificCharacterSet": "ISO_IR 100",
        "ImageType": ["DERIVED", "SECONDARY"],
        "SOPClassUID": MULTIFRAME_GRAYSCALE_WORD_SC_IMAGE_STORAGE,
        "SOPInstanceUID": sample_uid(seed, "object", size_bytes, "instance"),
        "StudyDate": "20240101",
        "StudyTime": "120000",
        "AccessionNumber": "",
        "Modality": "OT",
        "ConversionType": "SYN",
        "Manufacturer": "DICOMNET",
        "ReferringPhysicianName": "",
        "SeriesDescription": f"LARGE OBJECT {length} BYTES",
        "PatientName": "LARGE^OBJECT",
        "PatientID": f"DNLARGE{seed:04d}",
        "PatientBirthDate": "",
        "PatientSex": "O",
        "FrameTime": "40",
        "StudyInstanceUID": study_uid,
        "SeriesInstanceUID": sample_uid(seed, "object", size_bytes, "series"),
        "StudyID": "1",
        "SeriesNumber": "1",
        "InstanceNumber": "1",
        "PatientOrientation": "",
        "SamplesPerPixel": 1,
        "PhotometricInterpretation": "MONOCHROME2",
        "NumberOfFrames": str(frames),
        "FrameIncrementPointer": 0x00181063,
        "Rows": rows,
        "Columns": columns,
        "BitsAllocated": 16,
        "BitsStored": 12,
        "HighBit": 11,
        "PixelRepresentation": 0,
        "RescaleIntercept": "0",
        "RescaleSlope": "1",
        "RescaleType": "US",
        "PresentationLUTShape": "IDENTITY",
    }
    for key, value in elements.items():
        ds.set(key, value)
    chunks = encode_file(ds, WriteOptions(transfer_syntax=ts_uid))
    if implicit:
        header = struct.pack("<HHL", 0x7FE0, 0x0010, length)
    elif big_endian:
        header = struct.pack(">HH2sHL", 0x7FE0, 0x0010, b"OW", 0, length)
    else:
        header = struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OW", 0, length)
    frame = _frame_bytes(rows, columns, big_endian)
    target = Path(path)
    with target.open("wb") as fp:
        fp.writelines(chunks)
        fp.write(header)
        for block in _blocks(frame, frames):
            fp.write(block)
    return target


def _blocks(frame: bytes, frames: int) -> Iterator[bytes | memoryview]:
    """The frames, grouped so that each write is about 1 MiB (one frame when frames are larger)."""
    per = max(1, _CHUNK // len(frame))
    group = frame * per
    full, rest = divmod(frames, per)
    for _ in range(full):
        yield group
    if rest:
        yield memoryview(group)[: rest * len(frame)]
