"""DCMTK ``storescu`` -> ``dicomnet storescp`` (a subprocess): the data arrives intact.

Each received file is read back with pydicom (the independent oracle) and compared with the sent
one element by element; when no conversion happened the data set bytes are compared too.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
)

from tests.peers import dcmtk_env, free_port, require_program, running

pytestmark = pytest.mark.peer

CT = "1.2.840.10008.5.1.4.1.1.2"
SC = "1.2.840.10008.5.1.4.1.1.7"
PREFIX = {CT: "CT", SC: "SC"}


def make_object(
    path: Path, uid: str, ts: str = ExplicitVRLittleEndian, *, rows: int = 64, cols: int = 64
) -> Path:
    """A small CT image (16-bit pixels) or, for JPEG baseline, an 8-bit encapsulated SC image."""
    ds = Dataset()
    jpeg = ts == JPEGBaseline8Bit
    ds.SOPClassUID = SC if jpeg else CT
    ds.SOPInstanceUID = uid
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.2.1125.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.2.1125.2"
    ds.Modality = "OT" if jpeg else "CT"
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "PID-" + uid[-4:]
    ds.StudyDescription = "dicomnet storescp interop ü"
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelRepresentation = 0
    seq_item = Dataset()
    seq_item.ReferencedSOPClassUID = CT
    seq_item.ReferencedSOPInstanceUID = uid + ".9"
    ds.ReferencedImageSequence = [seq_item]
    if jpeg:
        ds.BitsAllocated = ds.BitsStored = 8
        ds.HighBit = 7
        # JPEG baseline frame bytes (SOI ... EOI); stored as received, never decoded.
        frames = [b"\xff\xd8\xff\xe0" + bytes(range(256)) * 9 + b"\xff\xd9"]
        ds.PixelData = encapsulate(frames)
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        ds.NumberOfFrames = 1
    else:
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelData = bytes((i * 7) & 0xFF for i in range(rows * cols * 2))
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = uid
    meta.TransferSyntaxUID = ts
    ds.file_meta = meta
    ds.save_as(path, enforce_file_format=True)
    return path


def data_set_bytes(path: Path) -> bytes:
    """The bytes after the File Meta Information of a Part 10 file."""
    raw = path.read_bytes()
    assert raw[128:132] == b"DICM"
    group_length = int.from_bytes(raw[140:144], "little")
    return raw[144 + group_length :]


def assert_same_object(sent: Path, received: Path) -> None:
    """Element by element equality (pydicom), pixel data by value whatever the byte order."""
    a, b = pydicom.dcmread(sent), pydicom.dcmread(received)
    assert b.file_meta.MediaStorageSOPInstanceUID == a.SOPInstanceUID
    assert b.file_meta.MediaStorageSOPClassUID == a.SOPClassUID
    tags = sorted(set(a.keys()) | set(b.keys()))
    for tag in tags:
        ea, eb = a[tag], b[tag]
        if tag == 0x7FE00010 and ea.VR in ("OW", "OB or OW") and not a.is_little_endian:
            continue  # compared below
        assert ea.value == eb.value, f"{tag} differs: {ea.value!r} != {eb.value!r}"
    if not b.file_meta.TransferSyntaxUID.is_compressed:
        pa, pb = a.PixelData, b.PixelData
        if a.is_little_endian != b.is_little_endian:
            pb = b"".join(pb[i + 1 : i + 2] + pb[i : i + 1] for i in range(0, len(pb), 2))
        assert pa == pb


@contextlib.contextmanager
def our_storescp(out: Path, *options: str, port: int | None = None) -> Iterator[int]:
    """``dicomnet storescp`` listening on 127.0.0.1 in a subprocess; yields the port."""
    port = port or free_port()
    args = [sys.executable, "-m", "dicomnet_cli.storescp", "--bind", "127.0.0.1"]
    with running([*args, "-od", str(out), *options, str(port)], port=port):
        yield port


def storescu(port: int, files: Sequence[Path], *options: str, timeout: float = 60) -> None:
    """Send ``files`` with DCMTK's storescu; every C-STORE must succeed (exit 0)."""
    exe = require_program("storescu")
    proc = subprocess.run(
        [exe, *options, "-aec", "STORESCP", "127.0.0.1", str(port), *map(str, files)],
        env=dcmtk_env(),
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    text = proc.stdout.decode() + proc.stderr.decode()
    assert "Store Failed" not in text, text


@pytest.mark.parametrize(
    ("file_ts", "proposal", "preference", "stored_ts"),
    [
        (ExplicitVRLittleEndian, "-xe", "+x=", ExplicitVRLittleEndian),
        (ExplicitVRLittleEndian, "-xi", "+x=", ImplicitVRLittleEndian),
        (ExplicitVRBigEndian, "-xb", "+xb", ExplicitVRBigEndian),
        (ExplicitVRLittleEndian, "-xb", "+xb", ExplicitVRLittleEndian),
        (ImplicitVRLittleEndian, "-xe", "+xi", ImplicitVRLittleEndian),
        (DeflatedExplicitVRLittleEndian, "-xd", "+xd", DeflatedExplicitVRLittleEndian),
        (ExplicitVRLittleEndian, "-xd", "+xd", DeflatedExplicitVRLittleEndian),
        (JPEGBaseline8Bit, "-xy", "+xy", JPEGBaseline8Bit),
        (JPEGBaseline8Bit, "-xy", "+xa", JPEGBaseline8Bit),
    ],
)
def test_storescu_to_our_storescp(
    tmp_path: Path, file_ts: str, proposal: str, preference: str, stored_ts: str
) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    files = [
        make_object(src / f"f{i}.dcm", f"1.2.826.0.1.3680043.2.1125.7.{i}", file_ts)
        for i in range(3)
    ]
    with our_storescp(out, preference) as port:
        storescu(port, files, proposal)
    for path in files:
        sent = pydicom.dcmread(path)
        received = out / f"{PREFIX[sent.SOPClassUID]}.{sent.SOPInstanceUID}"
        assert received.is_file(), sorted(os.listdir(out))
        stored = pydicom.dcmread(received)
        assert stored.file_meta.TransferSyntaxUID == stored_ts
        assert stored.file_meta.SourceApplicationEntityTitle == "STORESCU"
        assert_same_object(path, received)
        if stored_ts == file_ts:
            assert data_set_bytes(received) == data_set_bytes(path)  # stored as received
    assert sorted(os.listdir(out)) == sorted(
        f"{PREFIX[pydicom.dcmread(p).SOPClassUID]}.{pydicom.dcmread(p).SOPInstanceUID}"
        for p in files
    )


def test_bit_preserving_and_dataset_only(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    path = make_object(src / "a.dcm", "1.2.826.0.1.3680043.2.1125.8.1")
    with our_storescp(out, "+B", "-F") as port:
        storescu(port, [path], "-xe")
    received = out / "CT.1.2.826.0.1.3680043.2.1125.8.1"
    assert received.read_bytes() == data_set_bytes(path)


def test_output_conversion_matches_pydicom(tmp_path: Path) -> None:
    """``+ti -g``: the received explicit VR object is written implicit, element values equal."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    path = make_object(src / "a.dcm", "1.2.826.0.1.3680043.2.1125.8.2")
    with our_storescp(out, "+ti") as port:
        storescu(port, [path], "-xe")
    received = out / "CT.1.2.826.0.1.3680043.2.1125.8.2"
    assert pydicom.dcmread(received).file_meta.TransferSyntaxUID == ImplicitVRLittleEndian
    assert_same_object(path, received)


def test_twenty_concurrent_associations_of_fifty_objects(tmp_path: Path) -> None:
    """20 storescu processes at once, 50 objects each: every object arrives, none lost."""
    src, out = tmp_path / "src", tmp_path / "out"
    out.mkdir()
    groups: list[list[Path]] = []
    for g in range(20):
        folder = src / str(g)
        folder.mkdir(parents=True)
        groups.append(
            [
                make_object(
                    folder / f"{i}.dcm", f"1.2.826.0.1.3680043.2.1125.9.{g}.{i}", rows=16, cols=16
                )
                for i in range(50)
            ]
        )
    with our_storescp(out) as port, ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda files: storescu(port, files, "-xe", timeout=120), groups))
    expected = {f"CT.1.2.826.0.1.3680043.2.1125.9.{g}.{i}" for g in range(20) for i in range(50)}
    assert set(os.listdir(out)) == expected
    for name in ("CT.1.2.826.0.1.3680043.2.1125.9.0.0", "CT.1.2.826.0.1.3680043.2.1125.9.19.49"):
        g, i = name.rsplit(".", 2)[-2:]
        assert pydicom.dcmread(out / name).SOPInstanceUID == name[3:]
        assert_same_object(groups[int(g)][int(i)], out / name)
