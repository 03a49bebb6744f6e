"""Part 10 reading (PS3.10 §7.1): preamble, DICM, File Meta Information, tolerated deviations."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicomnet.dataset.part10 import detect_encoding, read_file
from dicomnet.uid import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
)
from tests.dataset.corpus import CorpusFile
from tests.dataset.wire import element


def _meta(ts: str, *, group_length: bool = True, implicit: bool = False) -> bytes:
    uid = ts.encode() + (b"\0" if len(ts) % 2 else b"")
    body = (
        element(0x00020001, "OB", b"\0\1", implicit=implicit)
        + element(0x00020002, "UI", b"1.2.840.10008.5.1.4.1.1.7\0", implicit=implicit)
        + element(0x00020003, "UI", b"1.2.3.4\0", implicit=implicit)
        + element(0x00020010, "UI", uid, implicit=implicit)
        + element(0x00020012, "UI", b"1.2.3.5\0", implicit=implicit)
    )
    if not group_length:
        return body
    return element(0x00020000, "UL", len(body).to_bytes(4, "little"), implicit=implicit) + body


DATA_LE = element(0x00100010, "PN", b"Doe^John") + element(0x00100020, "LO", b"ID")
DATA_IMPLICIT = element(0x00100010, "PN", b"Doe^John", implicit=True) + element(
    0x00100020, "LO", b"ID", implicit=True
)
DATA_BE = element(0x00100010, "PN", b"Doe^John", little=False) + element(
    0x00100020, "LO", b"ID", little=False
)


def test_full_file(tmp_path: Path) -> None:
    data = b"\x01" * 128 + b"DICM" + _meta(EXPLICIT_VR_LITTLE_ENDIAN.uid) + DATA_LE
    path = tmp_path / "f.dcm"
    path.write_bytes(data)
    for source in (path, str(path), data, memoryview(data), bytearray(data)):
        f = read_file(source)
        assert f.preamble == b"\x01" * 128
        assert f.transfer_syntax == EXPLICIT_VR_LITTLE_ENDIAN
        assert (f.implicit_vr, f.little_endian, f.deflated) == (False, True, False)
        assert f.dataset.PatientName == "Doe^John"
        assert f.dataset_offset == len(data) - len(DATA_LE)
        assert f.stop_offset == len(data)
        meta = f.file_meta
        assert meta.group_length == len(_meta(EXPLICIT_VR_LITTLE_ENDIAN.uid)) - 12
        assert meta.version == b"\0\1"
        assert meta.media_storage_sop_class_uid == "1.2.840.10008.5.1.4.1.1.7"
        assert meta.media_storage_sop_instance_uid == "1.2.3.4"
        assert meta.transfer_syntax_uid == EXPLICIT_VR_LITTLE_ENDIAN.uid
        assert meta.implementation_class_uid == "1.2.3.5"
        assert meta.implementation_version_name is None
        assert list(f.meta) == [
            0x00020000,
            0x00020001,
            0x00020002,
            0x00020003,
            0x00020010,
            0x00020012,
        ]


@pytest.mark.parametrize(
    ("ts", "data"),
    [
        (IMPLICIT_VR_LITTLE_ENDIAN, DATA_IMPLICIT),
        (EXPLICIT_VR_BIG_ENDIAN, DATA_BE),
        (EXPLICIT_VR_LITTLE_ENDIAN, DATA_LE),
    ],
)
def test_tolerated_deviations(ts: object, data: bytes) -> None:
    uid = ts.uid  # type: ignore[attr-defined]
    variants = {
        "no preamble": b"DICM" + _meta(uid) + data,
        "no group length": b"\0" * 128 + b"DICM" + _meta(uid, group_length=False) + data,
        "implicit meta": b"\0" * 128 + b"DICM" + _meta(uid, implicit=True) + data,
        "meta without DICM": _meta(uid) + data,
    }
    for name, raw in variants.items():
        f = read_file(raw)
        assert f.transfer_syntax == ts, name
        assert f.dataset.PatientID == "ID", name
        assert f.file_meta.transfer_syntax_uid == uid, name


def test_wrong_group_length_is_ignored() -> None:
    meta = _meta(IMPLICIT_VR_LITTLE_ENDIAN.uid)
    meta = meta[:8] + (5).to_bytes(4, "little") + meta[12:]
    f = read_file(b"\0" * 128 + b"DICM" + meta + DATA_IMPLICIT)
    assert f.file_meta.group_length == 5
    assert f.dataset.PatientID == "ID"


@pytest.mark.parametrize(
    ("data", "implicit", "little", "ts"),
    [
        (DATA_IMPLICIT, True, True, IMPLICIT_VR_LITTLE_ENDIAN),
        (DATA_LE, False, True, EXPLICIT_VR_LITTLE_ENDIAN),
        (DATA_BE, False, False, EXPLICIT_VR_BIG_ENDIAN),
    ],
)
def test_bare_data_set_detection(data: bytes, implicit: bool, little: bool, ts: object) -> None:
    assert detect_encoding(data) == (implicit, little)
    for prefix in (b"", b"\0" * 128 + b"DICM"):
        f = read_file(prefix + data)
        assert f.preamble == (None if not prefix else b"\0" * 128)
        assert len(f.meta) == 0
        assert f.transfer_syntax == ts
        assert (f.implicit_vr, f.little_endian) == (implicit, little)
        assert f.dataset.PatientName == "Doe^John"


def test_meta_without_transfer_syntax_detects() -> None:
    meta = element(0x00020001, "OB", b"\0\1") + element(0x00020012, "UI", b"1.2\0")
    f = read_file(b"\0" * 128 + b"DICM" + meta + DATA_BE)
    assert f.transfer_syntax == EXPLICIT_VR_BIG_ENDIAN
    assert f.dataset.PatientID == "ID"


def test_explicit_syntax_with_implicit_data_set_is_read_as_found() -> None:
    f = read_file(b"\0" * 128 + b"DICM" + _meta("1.2.840.10008.1.2.4.50") + DATA_IMPLICIT)
    assert f.implicit_vr
    assert f.dataset.PatientName == "Doe^John"


def test_empty_and_tiny_inputs() -> None:
    assert len(read_file(b"").dataset) == 0
    assert len(read_file(b"DICM").dataset) == 0


def test_corpus_files(corpus: list[CorpusFile]) -> None:
    for entry in corpus:
        f = read_file(entry.path)
        assert f.preamble is not None
        assert f.file_meta.transfer_syntax_uid == entry.transfer_syntax
        assert f.transfer_syntax is not None
        assert f.transfer_syntax.uid == entry.transfer_syntax
        assert len(f.dataset) > 0
    deflated = next(
        e for e in corpus if e.transfer_syntax == DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.uid
    )
    f = read_file(deflated.path)
    assert f.deflated
    assert f.dataset.PatientID == "ID-0001"
    raw = f.dataset.raw_element("PatientID")
    assert raw is not None
    assert raw.offset < f.stop_offset  # offsets refer to the inflated data set


def test_stop_before_in_files(corpus: list[CorpusFile]) -> None:
    path = next(e.path for e in corpus if e.name == "rich_explicit_le")
    f = read_file(path, stop_before=0x7FE00010)
    assert 0x7FE00010 not in f.dataset
    assert max(f.dataset) < 0x7FE00010
    full = read_file(path)
    assert 0x7FE00010 in full.dataset
    assert f.stop_offset == full.dataset.raw_element(0x7FE00010).offset  # type: ignore[union-attr]


@pytest.mark.parametrize("blob", [0, 65_000, 65_238, 65_242, 65_246, 65_270, 70_000, 200_000])
def test_stop_before_reads_only_what_it_needs(tmp_path: Path, blob: int) -> None:
    """A header read of a path gives the same result wherever the 64 KiB head boundary falls."""
    data = (
        b"\0" * 128
        + b"DICM"
        + _meta(EXPLICIT_VR_LITTLE_ENDIAN.uid)
        + DATA_LE
        + element(0x00420011, "OB", b"\x01" * blob)
        + element(0x7FE00010, "OW", b"\0" * 300_000)
    )
    path = tmp_path / "big.dcm"
    path.write_bytes(data)
    head = read_file(path, stop_before=0x7FE00010)
    whole = read_file(data, stop_before=0x7FE00010)
    assert list(head.dataset) == list(whole.dataset) == [0x00100010, 0x00100020, 0x00420011]
    assert head.dataset[0x00420011].value == b"\x01" * blob
    assert head.stop_offset == whole.stop_offset
    source = head.dataset.raw_element(0x00100010).source  # type: ignore[union-attr]
    assert len(source) == (1 << 16 if whole.stop_offset + 8 <= 1 << 16 else len(data))
    everything = read_file(path)
    assert len(everything.dataset[0x7FE00010].value) == 300_000
