"""Benchmark: reading a generated CT-like study with dicomnet and with pydicom ``dcmread``.

Generates ``--files`` (default 500) Part 10 files with pydicom into a temporary directory: a
realistic CT header (~100 elements incl. a few sequences, private tags, multi-valued numbers) and
a small 64x64 16-bit Pixel Data. Then, in one run, reads the whole study with each library,
alternating, ``--repeat`` times, for

- headers only: dicomnet ``read_file(p, stop_before=PixelData)``, pydicom
  ``dcmread(p, stop_before_pixels=True)``, nothing decoded;
- full access: the whole file, every element's value decoded, recursively through sequences.

Prints the median time per study and the ratios (pydicom / dicomnet: > 1 means dicomnet is
faster). Targets (issue 2): >= 2x for headers, >= 1.5x for full access.

Run: ``.venv/bin/python benchmarks/bench_dataset_read.py [--files N] [--repeat R]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset as PydicomDataset
from pydicom.dataset import FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from dicomnet.dataset import Dataset
from dicomnet.dataset.part10 import read_file

PIXEL_DATA = 0x7FE00010
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"


def _code(value: str, scheme: str, meaning: str) -> PydicomDataset:
    item = PydicomDataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def ct_dataset(study: str, series: str, number: int) -> PydicomDataset:
    """A CT image header of about 100 elements with sequences, and 64x64 16-bit pixels."""
    ds = PydicomDataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.InstanceCreationDate = "20240315"
    ds.InstanceCreationTime = "101500"
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.SOPInstanceUID = generate_uid(entropy_srcs=[study, str(number)])
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = "20240315"
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = "101500.123456"
    ds.AccessionNumber = "ACC123456"
    ds.Modality = "CT"
    ds.Manufacturer = "ACME Medical"
    ds.InstitutionName = "General Hospital"
    ds.InstitutionAddress = "1 Main Street\\Springfield"
    ds.ReferringPhysicianName = "Welby^Marcus^^Dr"
    ds.StationName = "CT01"
    ds.StudyDescription = "CT CHEST WITH CONTRAST"
    ds.SeriesDescription = "AXIAL 1.25mm"
    ds.InstitutionalDepartmentName = "Radiology"
    ds.OperatorsName = ["Tech^One", "Tech^Two"]
    ds.ManufacturerModelName = "Scanner 3000"
    ds.ProcedureCodeSequence = Sequence([_code("CTCHEST", "99LOCAL", "CT Chest")])
    ds.ReferencedStudySequence = Sequence([PydicomDataset() for _ in range(1)])
    ds.ReferencedStudySequence[0].ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    ds.ReferencedStudySequence[0].ReferencedSOPInstanceUID = study + ".9"
    ds.PatientName = "Doe^Jane^Q"
    ds.PatientID = "PID-000123"
    ds.IssuerOfPatientID = "HOSP"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.PatientAge = "054Y"
    ds.PatientSize = "1.68"
    ds.PatientWeight = "61.5"
    ds.ContrastBolusAgent = "IOHEXOL"
    ds.BodyPartExamined = "CHEST"
    ds.ScanOptions = "HELICAL MODE"
    ds.SliceThickness = "1.25"
    ds.KVP = "120"
    ds.SpacingBetweenSlices = "1.25"
    ds.DataCollectionDiameter = "500.0"
    ds.SoftwareVersions = ["1.2.3", "build 456"]
    ds.ProtocolName = "CHEST_ROUTINE"
    ds.ReconstructionDiameter = "360.0"
    ds.DistanceSourceToDetector = "949.075"
    ds.DistanceSourceToPatient = "541.0"
    ds.GantryDetectorTilt = "0.0"
    ds.TableHeight = "160.0"
    ds.RotationDirection = "CW"
    ds.ExposureTime = "500"
    ds.XRayTubeCurrent = "250"
    ds.Exposure = "125"
    ds.FilterType = "BODY FILTER"
    ds.GeneratorPower = "30000"
    ds.FocalSpots = "1.2"
    ds.ConvolutionKernel = "STANDARD"
    ds.PatientPosition = "HFS"
    ds.RevolutionTime = 0.5
    ds.SingleCollimationWidth = 0.625
    ds.TotalCollimationWidth = 40.0
    ds.TableSpeed = 78.75
    ds.TableFeedPerRotation = 39.375
    ds.SpiralPitchFactor = 0.984375
    ds.CTDIvol = 12.5
    ds.CTDIPhantomTypeCodeSequence = Sequence(
        [_code("113691", "DCM", "IEC Body Dosimetry Phantom")]
    )
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.StudyID = "1"
    ds.SeriesNumber = "3"
    ds.AcquisitionNumber = "1"
    ds.InstanceNumber = str(number)
    ds.ImagePositionPatient = ["-180.0", "-180.0", f"{-number * 1.25:.2f}"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = study + ".1"
    ds.PositionReferenceIndicator = "SN"
    ds.SliceLocation = f"{-number * 1.25:.2f}"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 64
    ds.Columns = 64
    ds.PixelSpacing = ["0.703125", "0.703125"]
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.WindowCenter = ["40", "-600"]
    ds.WindowWidth = ["400", "1500"]
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.WindowCenterWidthExplanation = ["WINDOW1", "WINDOW2"]
    ds.RequestAttributesSequence = Sequence([PydicomDataset(), PydicomDataset()])
    for index, item in enumerate(ds.RequestAttributesSequence):
        item.RequestedProcedureID = f"RP{index}"
        item.ScheduledProcedureStepID = f"SPS{index}"
        item.ScheduledProtocolCodeSequence = Sequence([_code("P1", "99LOCAL", "Protocol")])
    ds.PerformedProcedureStepStartDate = "20240315"
    ds.PerformedProcedureStepStartTime = "101000"
    ds.PerformedProcedureStepID = "PPS1"
    ds.PerformedProcedureStepDescription = "CT CHEST"
    ds.add_new(0x00090010, "LO", "ACME_PRIVATE")
    ds.add_new(0x00091001, "LO", "private value")
    ds.add_new(0x00091002, "DS", "1.5\\2.5")
    ds.add_new(0x00091003, "SL", [1, 2, 3, 4])
    ds.add_new(0x00091004, "FD", [0.1, 0.2])
    ds.add_new(0x00431010, "OB", bytes(range(64)))
    ds.PixelData = bytes((number + i) & 0xFF for i in range(64 * 64 * 2))
    return ds


def generate(directory: Path, count: int) -> list[Path]:
    study = f"1.2.826.0.1.3680043.10.543.{time.time_ns() // 1000}"
    series = study + ".3"
    paths = []
    for number in range(1, count + 1):
        ds = ct_dataset(study, series, number)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta = meta
        path = directory / f"CT{number:05d}.dcm"
        pydicom.dcmwrite(path, ds, enforce_file_format=True)
        paths.append(path)
    return paths


# --- the readers ------------------------------------------------------------------------------


def _touch_dicomnet(ds: Dataset) -> int:
    count = 0
    for tag in ds:
        element = ds[tag]
        count += 1
        if element.vr == "SQ":
            for item in element.value:
                count += _touch_dicomnet(item)
    return count


def _touch_pydicom(ds: PydicomDataset) -> int:
    count = 0
    for element in ds:
        value = element.value
        count += 1
        if element.VR == "SQ":
            for item in value:
                count += _touch_pydicom(item)
    return count


def dicomnet_headers(paths: list[Path]) -> int:
    return sum(len(read_file(p, stop_before=PIXEL_DATA).dataset) for p in paths)


def pydicom_headers(paths: list[Path]) -> int:
    return sum(len(pydicom.dcmread(p, stop_before_pixels=True)) for p in paths)


def dicomnet_full(paths: list[Path]) -> int:
    total = 0
    for p in paths:
        part10 = read_file(p)
        total += _touch_dicomnet(part10.meta) + _touch_dicomnet(part10.dataset)
    return total


def pydicom_full(paths: list[Path]) -> int:
    total = 0
    for p in paths:
        ds = pydicom.dcmread(p)
        total += _touch_pydicom(ds.file_meta) + _touch_pydicom(ds)
    return total


def _time(function: Callable[[list[Path]], int], paths: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    result = function(paths)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dicomnet-bench-") as tmp:
        paths = generate(Path(tmp), args.files)
        size = sum(p.stat().st_size for p in paths)
        print(f"study: {len(paths)} files, {size / 1e6:.1f} MB, pydicom {pydicom.__version__}")
        cases = {
            "headers": (dicomnet_headers, pydicom_headers),
            "full access": (dicomnet_full, pydicom_full),
        }
        for functions in cases.values():  # warm the caches (dictionary, imports, page cache)
            for function in functions:
                function(paths[:20])
        print(
            f"{'case':<12} {'dicomnet':>10} {'pydicom':>10} {'ratio':>7}  (median of {args.repeat})"
        )
        for name, (ours, theirs) in cases.items():
            times: dict[str, list[float]] = {"dicomnet": [], "pydicom": []}
            counts: dict[str, int] = {}
            for _ in range(args.repeat):
                for label, function in (("dicomnet", ours), ("pydicom", theirs)):
                    elapsed, count = _time(function, paths)
                    times[label].append(elapsed)
                    counts[label] = count
            a = statistics.median(times["dicomnet"])
            b = statistics.median(times["pydicom"])
            print(
                f"{name:<12} {a * 1e3:>8.1f}ms {b * 1e3:>8.1f}ms {b / a:>6.2f}x  "
                f"(elements: dicomnet {counts['dicomnet']}, pydicom {counts['pydicom']})"
            )


if __name__ == "__main__":
    main()
