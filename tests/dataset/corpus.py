"""A corpus of DICOM files written by pydicom, for oracle, writer and benchmark tests.

``build_corpus(directory)`` writes the files and returns one :class:`CorpusFile` per file:

- ``rich_<ts>.dcm`` for Implicit VR LE, Explicit VR LE, Explicit VR BE and Deflated Explicit VR
  LE: every VR of PS3.5 at least once, multi-valued elements, sequences with defined and
  undefined lengths (items of both forms, nested, an empty sequence and an empty item), private
  elements under two private creators (incl. a private sequence), UN elements (a private one; in
  the explicit VR LE/BE files also a known public tag, (0018,0015), re-encoded as UN), a group length element, Pixel Data with an ambiguous-VR companion
  ((0028,0106) with Pixel Representation 1).
- ``raw_explicit_le.dcm`` / ``raw_implicit_le.dcm``: odd-length values written raw (no padding),
  a UN element with undefined length holding an implicit VR LE sequence (PS3.5 §6.2.2, explicit
  only), a private sequence of undefined length, written through pydicom raw elements.
- ``encaps_bot.dcm`` / ``encaps_nobot.dcm``: JPEG Baseline transfer syntax with fake fragments,
  with and without a Basic Offset Table (3 frames; one frame split in two fragments).
- ``charset_<name>.dcm``: several Specific Character Sets (Latin-1, UTF-8, Cyrillic, Greek,
  GB18030, ISO 2022 Japanese), including a sequence item that declares its own character set.

It is usable by any test (the ``corpus`` session fixture in ``tests/dataset/conftest.py``) and by
the benchmarks. :func:`pydicom_test_files` and :func:`pydicom_charset_files` list pydicom's own
bundled files.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pydicom.data
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
)

__all__ = [
    "UNCOMPRESSED_TRANSFER_SYNTAXES",
    "CorpusFile",
    "build_corpus",
    "pydicom_charset_files",
    "pydicom_test_files",
    "rich_dataset",
]

UNCOMPRESSED_TRANSFER_SYNTAXES = {
    "implicit_le": ImplicitVRLittleEndian,
    "explicit_le": ExplicitVRLittleEndian,
    "explicit_be": ExplicitVRBigEndian,
    "deflated": DeflatedExplicitVRLittleEndian,
}

SOP_CLASS = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture Image Storage


@dataclass(frozen=True)
class CorpusFile:
    """One corpus file: where it is, what it is, its transfer syntax UID."""

    path: Path
    name: str
    transfer_syntax: str
    features: tuple[str, ...] = ()


def _item(**values: object) -> Dataset:
    ds = Dataset()
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


def rich_dataset(index: int = 1) -> Dataset:
    """A data set with every VR, multi-values, sequences, private tags, UN and pixel data."""
    ds = Dataset()
    ds.add_new(0x00080000, "UL", 0)  # a group length element, kept as an element
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]  # CS, VM 3
    ds.SOPClassUID = SOP_CLASS
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.2.1125.1.{index}"
    ds.StudyDate = "20240102"  # DA
    ds.AcquisitionDateTime = "20240102030405.123456+0100"  # DT
    ds.StudyTime = "101112.123"  # TM
    ds.AccessionNumber = "ACC-1"  # SH
    ds.RetrieveAETitle = ["AE_ONE", "AE2"]  # AE, VM 2
    ds.InstitutionAddress = "Rue de la Paix 1\\Étage 2"  # ST (backslash is text)
    ds.LongCodeValue = "A long code value that is UC"  # UC
    ds.RetrieveURL = "http://example.org/wado?x=1"  # UR
    ds.PerformingPhysicianName = ["Müller^Hans", "Smith^Jane^Q^Dr^III"]  # PN, VM 2
    ds.PatientName = "Doe^John^Middle^Mr^Jr"
    ds.PatientID = "ID-0001"  # LO
    ds.PatientAge = "045Y"  # AS
    ds.PatientWeight = "72.5"  # DS
    ds.SliceThickness = "1.25"
    ds.AcquisitionMatrix = [0, 256, 256, 0]  # US, VM 4
    ds.ReferencePixelX0 = -5  # SL
    ds.TagAngleSecondAxis = -12  # SS
    ds.DiffusionBValue = 1000.5  # FD
    ds.DiffusionGradientOrientation = [0.5, -0.25, 1.0]  # FD, VM 3
    ds.LocalizingCursorPosition = [0.5, 0.75]  # FL, VM 2
    ds.ExaminedBodyThickness = 12.5  # FL
    ds.InstanceNumber = "7"  # IS
    ds.ImageComments = "line one\r\nline two with \\ backslash"  # LT
    ds.TextValue = "Unlimited text " * 4  # UT
    ds.SelectorSVValue = [-1, 2**40]  # SV
    ds.SelectorUVValue = [2**63 + 5]  # UV
    ds.FrameIncrementPointer = [0x00181063, 0x00181065]  # AT, VM 2
    ds.ReferencedSamplePositions = [1, 2, 70000]  # UL
    ds.EncapsulatedDocument = b"%PDF-1.4 fake\x00\x01"  # OB
    ds.LongPrimitivePointIndexList = struct.pack("<3L", 1, 2, 3)  # OL
    ds.RedPaletteColorLookupTableData = struct.pack("<4H", 0, 100, 200, 65535)  # OW
    ds.FloatPixelData = struct.pack("<2f", 1.5, -2.0)  # OF
    ds.DoubleFloatPixelData = struct.pack("<2d", 1.5, -2.0)  # OD
    ds.ExtendedOffsetTable = struct.pack("<2Q", 0, 1024)  # OV
    ds.BodyPartExamined = "HEAD"  # rewritten as UN in the explicit VR files (_public_un)
    ds.PixelRepresentation = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 2
    ds.Columns = 3
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.add_new(0x00280106, "SS", -100)  # Smallest Image Pixel Value: "US or SS"
    ds.add_new(0x00280107, "SS", 2000)
    ds.PixelData = struct.pack("<6h", -100, 0, 1, 2, 3, 2000)  # OW

    # Sequences: defined length with two defined-length items
    ds.ReferencedImageSequence = Sequence(
        [
            _item(ReferencedSOPClassUID=SOP_CLASS, ReferencedSOPInstanceUID="1.2.3.4"),
            _item(ReferencedSOPClassUID=SOP_CLASS, ReferencedSOPInstanceUID="1.2.3.5"),
        ]
    )
    # undefined-length sequence, undefined-length items, nested defined/undefined sequences
    code = _item(CodeValue="T-1", CodingSchemeDesignator="DCM", CodeMeaning="Code One")
    code2 = _item(CodeValue="T-2", CodingSchemeDesignator="DCM", CodeMeaning="Code Two")
    code2.is_undefined_length_sequence_item = True
    inner = Sequence([code, code2])
    request = _item(RequestedProcedureID="RP-1", ScheduledProcedureStepID="SPS-1")
    request.ScheduledProtocolCodeSequence = inner
    request.is_undefined_length_sequence_item = True
    deeper = _item(RequestedProcedureID="RP-2")
    deeper.ScheduledProtocolCodeSequence = Sequence(
        [_item(CodeValue="T-3", CodingSchemeDesignator="99X", CodeMeaning="Three")]
    )
    deeper["ScheduledProtocolCodeSequence"].is_undefined_length = True
    ds.RequestAttributesSequence = Sequence([request, deeper, Dataset()])
    ds["RequestAttributesSequence"].is_undefined_length = True
    ds.ReferencedSeriesSequence = Sequence([])  # empty sequence
    ds.ReferencedStudySequence = Sequence([Dataset()])  # one empty item

    # Private elements: two creators in group 0009, a private sequence
    ds.add_new(0x00090010, "LO", "ACME 1.0")
    ds.add_new(0x00090011, "LO", "OTHER CREATOR")
    ds.add_new(0x00091001, "LO", "private text")
    ds.add_new(0x00091002, "US", 42)
    ds.add_new(0x00091003, "SQ", Sequence([_item(PatientID="IN-PRIVATE")]))
    ds[0x00091003].is_undefined_length = True
    ds.add_new(0x00091101, "SH", "other block")
    ds.add_new(0x00091102, "UN", b"\x01\x02\x03\x04")
    return ds


def _file_meta(ds: Dataset, ts: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.get("SOPClassUID", SOP_CLASS)
    meta.MediaStorageSOPInstanceUID = ds.get("SOPInstanceUID", "1.2.3")
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.9.9999.1"
    meta.ImplementationVersionName = "DICOMNET_TEST"
    return meta


def _save(ds: Dataset, ts: str, path: Path) -> None:
    ds.file_meta = _file_meta(ds, ts)
    ds.save_as(path, enforce_file_format=True)


def _raw(
    tag: int, vr: str, value: bytes, *, implicit: bool, undefined: bool = False
) -> RawDataElement:
    length = 0xFFFFFFFF if undefined else len(value)
    return RawDataElement(Tag(tag), vr, length, value, 0, implicit, True)


def _implicit_items(*items: list[tuple[int, bytes]]) -> bytes:
    """Implicit VR LE items of undefined length (each ends with an Item Delimitation Item)."""
    out = b""
    for elements in items:
        out += struct.pack("<HHL", 0xFFFE, 0xE000, 0xFFFFFFFF)
        for tag, value in elements:
            out += struct.pack("<HHL", tag >> 16, tag & 0xFFFF, len(value)) + value
        out += struct.pack("<HHL", 0xFFFE, 0xE00D, 0)
    return out


def _raw_dataset(implicit: bool) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = SOP_CLASS
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.2.1125.2.1"
    ds.PatientID = "RAW"
    # Odd-length values: written padded here, then the padding is cut out of the file bytes
    # (see _ODD_VALUES / _cut_padding); PS3.5 §7.1.1 requires even lengths, readers tolerate odd.
    ds.PatientName = "Odd^Len"
    ds.StudyDescription = "abc"
    ds.SeriesNumber = "1"
    ds.add_new(0x00190010, "LO", "RAWPRIV")
    ds.add_new(0x00191001, "UN" if not implicit else "OB", b"xyz")
    if not implicit:
        # UN with undefined length: an implicit VR LE sequence inside (PS3.5 §6.2.2)
        items = _implicit_items(
            [(0x00080100, b"CV1 "), (0x00080104, b"Meaning ")],
            [(0x00080100, b"CV2 ")],
        )
        ds[0x00400260] = _raw(0x00400260, "UN", items, implicit=False, undefined=True)
    # A private sequence with undefined length (in implicit VR a reader must infer SQ)
    ds.add_new(0x00190011, "LO", "PRIVSEQ")
    seq = DataElement(0x00191101, "SQ", Sequence([_item(PatientID="P1"), _item(PatientID="P2")]))
    seq.is_undefined_length = True
    ds[0x00191101] = seq
    return ds


_ODD_VALUES: dict[int, tuple[str, bytes]] = {
    0x00100010: ("PN", b"Odd^Len"),
    0x00081030: ("LO", b"abc"),
    0x00200011: ("IS", b"1"),
    0x00191001: ("UN", b"xyz"),
}


def _cut_padding(path: Path, implicit: bool) -> None:
    """Rewrite each element of ``_ODD_VALUES`` with its odd-length value (padding removed)."""
    data = path.read_bytes()
    for tag, (vr, odd) in _ODD_VALUES.items():
        pad = b"\x00" if vr == "UN" else b" "
        if implicit and vr == "UN":
            vr = "OB"
        head = struct.pack("<HH", tag >> 16, tag & 0xFFFF)
        if implicit:
            old = head + struct.pack("<L", len(odd) + 1) + odd + pad
            new = head + struct.pack("<L", len(odd)) + odd
        elif vr == "UN":
            old = head + b"UN\x00\x00" + struct.pack("<L", len(odd) + 1) + odd + pad
            new = head + b"UN\x00\x00" + struct.pack("<L", len(odd)) + odd
        else:
            old = head + vr.encode() + struct.pack("<H", len(odd) + 1) + odd + pad
            new = head + vr.encode() + struct.pack("<H", len(odd)) + odd
        if data.count(new) == 1 and old not in data:
            continue  # pydicom wrote it unpadded already (UN/OB values)
        assert data.count(old) == 1, (path, hex(tag))
        data = data.replace(old, new)
    path.write_bytes(data)


def _public_un(path: Path, little: bool) -> None:
    """Re-encode Body Part Examined (0018,0015) CS as UN: a known public tag with VR UN."""
    e = "<" if little else ">"
    head = struct.pack(e + "HH", 0x0018, 0x0015)
    old = head + b"CS" + struct.pack(e + "H", 4) + b"HEAD"
    new = head + b"UN\x00\x00" + struct.pack(e + "L", 4) + b"HEAD"
    data = path.read_bytes()
    assert data.count(old) == 1, path
    path.write_bytes(data.replace(old, new))


def _encapsulated(with_bot: bool) -> Dataset:
    from pydicom.encaps import encapsulate

    ds = Dataset()
    ds.SOPClassUID = SOP_CLASS
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.2.1125.3.{int(with_bot)}"
    ds.PatientName = "Encaps^Test"
    ds.Rows = 4
    ds.Columns = 4
    ds.SamplesPerPixel = 1
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = "3"
    frames = [
        b"\xff\xd8fake-jpeg-frame-1\xff\xd9",
        b"\xff\xd8frame2\xff\xd9",
        b"\xff\xd8f3!\xff\xd9",
    ]
    if with_bot:
        value = encapsulate(frames, has_bot=True)
    else:
        # no BOT; the first frame split into two fragments
        value = encapsulate([frames[0][:5]], has_bot=False)
        tail = b"".join(
            struct.pack("<HHL", 0xFFFE, 0xE000, len(f) + len(f) % 2) + f + b"\x00" * (len(f) % 2)
            for f in (frames[0][5:], frames[1], frames[2])
        )
        value += tail
    ds.PixelData = value
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


_CHARSETS: dict[str, tuple[str | list[str], str, str]] = {
    "latin1": ("ISO_IR 100", "Buc^Jérôme", "Société Générale"),
    "utf8": ("ISO_IR 192", "Wang^XiaoDong=王^小東=", "Ελληνικά και 日本語"),
    "cyrillic": ("ISO_IR 144", "Люкceмбypг", "Иванов"),
    "greek": ("ISO_IR 126", "Διονυσιος", "Αθήνα"),
    "gb18030": ("GB18030", "Wang^XiaoDong=王^小东=", "中文描述"),
    "japanese": (
        ["", "ISO 2022 IR 87"],
        "Yamada^Tarou=山田^太郎=やまだ^たろう",
        "山田",
    ),
}


def _charset_dataset(name: str) -> Dataset:
    charset, person, text = _CHARSETS[name]
    ds = Dataset()
    ds.SpecificCharacterSet = charset
    ds.SOPClassUID = SOP_CLASS
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.2.1125.4.{len(name)}{ord(name[0])}"
    ds.PatientName = person
    ds.InstitutionName = text  # LO
    ds.StudyDescription = text  # LO
    ds.ImageComments = text + "\r\n" + text  # LT
    item = Dataset()
    item.PatientName = person
    other = Dataset()
    other.SpecificCharacterSet = "ISO_IR 192"  # an item with its own character set
    other.PatientName = "Über^Straße=石田^太郎"
    ds.OtherPatientIDsSequence = Sequence([item, other])
    return ds


def build_corpus(directory: Path) -> list[CorpusFile]:
    """Write the corpus into ``directory`` (created if missing) and describe each file."""
    directory.mkdir(parents=True, exist_ok=True)
    files: list[CorpusFile] = []
    for number, (name, ts) in enumerate(UNCOMPRESSED_TRANSFER_SYNTAXES.items(), 1):
        path = directory / f"rich_{name}.dcm"
        _save(rich_dataset(number), ts, path)
        if name in ("explicit_le", "explicit_be"):
            _public_un(path, name == "explicit_le")
        files.append(CorpusFile(path, path.stem, ts, ("all-vrs", "sequences", "private", "un")))
    for name, ts, implicit in (
        ("explicit_le", ExplicitVRLittleEndian, False),
        ("implicit_le", ImplicitVRLittleEndian, True),
    ):
        path = directory / f"raw_{name}.dcm"
        _save(_raw_dataset(implicit), ts, path)
        _cut_padding(path, implicit)
        features = ("odd-length", "private-sq-undefined") + (() if implicit else ("un-undefined",))
        files.append(CorpusFile(path, path.stem, ts, features))
    for with_bot in (True, False):
        path = directory / f"encaps_{'bot' if with_bot else 'nobot'}.dcm"
        _save(_encapsulated(with_bot), JPEGBaseline8Bit, path)
        files.append(CorpusFile(path, path.stem, JPEGBaseline8Bit, ("encapsulated",)))
    for name in _CHARSETS:
        path = directory / f"charset_{name}.dcm"
        _save(_charset_dataset(name), ExplicitVRLittleEndian, path)
        files.append(CorpusFile(path, path.stem, ExplicitVRLittleEndian, ("charset",)))
    return files


def _data_dir(sub: str) -> Path:
    return Path(pydicom.data.__file__).parent / sub


def pydicom_test_files() -> list[Path]:
    """pydicom's bundled test files (``pydicom/data/test_files``), DICOM files only."""
    root = _data_dir("test_files")
    return sorted(p for p in root.rglob("*.dcm") if p.is_file())


def pydicom_charset_files() -> list[Path]:
    """pydicom's bundled character-set files (``pydicom/data/charset_files``)."""
    return sorted(_data_dir("charset_files").glob("*.dcm"))
