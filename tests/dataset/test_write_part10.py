"""Part 10 files (PS3.10 §7.1): preamble, "DICM", File Meta Information, data set."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pydicom
import pytest

from dicomnet.dataset import DataElement, Dataset
from dicomnet.dataset.part10 import FileMetaInformation, read_file
from dicomnet.dataset.part10_writer import (
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    build_file_meta,
    encode_file,
    encode_file_meta,
    write_file,
)
from dicomnet.dataset.writer import Padding, WriteOptions, write_dataset
from dicomnet.errors import DatasetEncodeError
from dicomnet.uid import is_valid_uid
from tests.dataset.corpus import CorpusFile

SC = "1.2.840.10008.5.1.4.1.1.7"


def simple() -> Dataset:
    ds = Dataset()
    ds[0x00080016] = DataElement(0x00080016, "UI", SC)
    ds[0x00080018] = DataElement(0x00080018, "UI", "1.2.3.4")
    ds[0x00100010] = DataElement(0x00100010, "PN", "Doe^John")
    ds[0x00100020] = DataElement(0x00100020, "LO", "ID1")
    return ds


def _meta_elements(data: bytes) -> tuple[int, dict[int, bytes]]:
    """Walk the explicit VR LE meta group by hand: (end offset, tag -> value)."""
    assert data[128:132] == b"DICM"
    pos = 132
    values: dict[int, bytes] = {}
    while pos < len(data) and struct.unpack_from("<H", data, pos)[0] == 0x0002:
        group, element, vr = struct.unpack_from("<HH2s", data, pos)
        if vr in (b"OB", b"UN", b"UT", b"UR", b"SQ", b"UC"):
            length = struct.unpack_from("<L", data, pos + 8)[0]
            start = pos + 12
        else:
            length = struct.unpack_from("<H", data, pos + 6)[0]
            start = pos + 8
        values[(group << 16) | element] = data[start : start + length]
        pos = start + length
    return pos, values


def test_new_file_has_preamble_magic_and_complete_meta(tmp_path: Path) -> None:
    path = tmp_path / "a.dcm"
    count = write_file(path, simple(), source_ae_title="STORESCU")
    data = path.read_bytes()
    assert count == len(data)
    assert data[:128] == bytes(128)
    end, meta = _meta_elements(data)
    assert struct.unpack("<L", meta[0x00020000])[0] == end - 144  # after (0002,0000) itself
    assert meta[0x00020001] == b"\x00\x01"
    assert meta[0x00020002] == SC.encode() + b"\x00"
    assert meta[0x00020003] == b"1.2.3.4\x00"
    assert meta[0x00020010] == b"1.2.840.10008.1.2.1\x00"
    assert meta[0x00020012].rstrip(b"\x00").decode() == IMPLEMENTATION_CLASS_UID
    assert meta[0x00020013].rstrip(b" ").decode() == IMPLEMENTATION_VERSION_NAME
    assert meta[0x00020016] == b"STORESCU"
    assert data[end:] == write_dataset(simple())
    theirs = pydicom.dcmread(path)
    assert theirs.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert theirs.PatientName == "Doe^John"
    assert is_valid_uid(IMPLEMENTATION_CLASS_UID)
    assert len(IMPLEMENTATION_VERSION_NAME) <= 16


@pytest.mark.parametrize(
    "ts", ["1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"]
)
def test_output_transfer_syntax_is_recorded_and_readable(tmp_path: Path, ts: str) -> None:
    path = tmp_path / "b.dcm"
    write_file(path, simple(), WriteOptions(transfer_syntax=ts))
    end, meta = _meta_elements(path.read_bytes())
    assert meta[0x00020010].rstrip(b"\x00").decode() == ts
    back = read_file(path)
    assert back.transfer_syntax is not None
    assert back.transfer_syntax.uid == ts
    assert dict(back.dataset.items()) == dict(simple().items())
    assert pydicom.dcmread(path).PatientID == "ID1"
    if ts.endswith(".99"):  # the meta stays uncompressed, the data set is raw deflate
        assert zlib.decompress(path.read_bytes()[end:], -15) == write_dataset(simple())


def test_file_padding_makes_the_file_a_multiple(tmp_path: Path) -> None:
    for ts in ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2"):
        options = WriteOptions(
            transfer_syntax=ts, padding=Padding.CREATE, file_padding=256, item_padding=16
        )
        data = b"".join(encode_file(simple(), options))
        assert len(data) % 256 == 0
        assert pydicom.dcmread(io.BytesIO(data)).PatientID == "ID1"


def test_meta_from_the_data_set_group_0002_is_moved_out_of_it() -> None:
    ds = simple()
    ds[0x00020002] = DataElement(0x00020002, "UI", "1.2.840.10008.5.1.4.1.1.2")
    ds[0x00020016] = DataElement(0x00020016, "AE", "ORIGIN")
    data = b"".join(encode_file(ds))
    end, meta = _meta_elements(data)
    assert meta[0x00020002] == b"1.2.840.10008.5.1.4.1.1.2\x00"
    assert meta[0x00020016] == b"ORIGIN"
    assert data[end:] == write_dataset(simple())


def test_meta_from_file_meta_information() -> None:
    info = FileMetaInformation(
        media_storage_sop_class_uid=SC,
        media_storage_sop_instance_uid="9.8.7",
        transfer_syntax_uid="1.2.840.10008.1.2",
        implementation_class_uid="1.2.3.99",
        implementation_version_name="OTHER_1",
    )
    meta = build_file_meta(simple(), "1.2.840.10008.1.2.1", file_meta=info)
    assert meta.get_value(0x00020003) == "9.8.7"
    assert meta.get_value(0x00020010) == "1.2.840.10008.1.2.1"  # what is written wins
    assert meta.get_value(0x00020012) == "1.2.3.99"  # kept
    assert meta.get_value(0x00020013) == "OTHER_1"
    data = b"".join(encode_file(simple(), file_meta=info))
    assert data[
        -len(write_dataset(simple(), source_transfer_syntax=info.transfer_syntax_uid)) :
    ] == (write_dataset(simple(), source_transfer_syntax="1.2.840.10008.1.2"))


def test_missing_sop_uids_are_an_error_and_leave_no_file(tmp_path: Path) -> None:
    ds = simple()
    del ds[0x00080018]
    path = tmp_path / "none.dcm"
    with pytest.raises(DatasetEncodeError, match=r"Instance UID"):
        write_file(path, ds)
    assert not path.exists()


def test_encode_file_meta_for_a_stored_data_set() -> None:
    head = encode_file_meta(SC, "1.2.3.4", "1.2.840.10008.1.2", source_ae_title="MOVESCU")
    body = write_dataset(simple(), source_transfer_syntax="1.2.840.10008.1.2")
    theirs = pydicom.dcmread(io.BytesIO(head + body))
    assert theirs.file_meta.SourceApplicationEntityTitle == "MOVESCU"
    assert theirs.file_meta.MediaStorageSOPInstanceUID == "1.2.3.4"
    assert theirs.PatientID == "ID1"


def test_preamble_is_written_and_checked() -> None:
    preamble = bytes(range(128))
    assert b"".join(encode_file(simple(), preamble=preamble))[:132] == preamble + b"DICM"
    with pytest.raises(DatasetEncodeError):
        encode_file(simple(), preamble=b"short")


def test_write_to_a_file_object() -> None:
    fp = io.BytesIO()
    count = write_file(fp, simple())
    assert count == len(fp.getvalue()) == len(b"".join(encode_file(simple())))


def test_bit_preserving_rewrites_every_corpus_file_identically(
    corpus: list[CorpusFile], tmp_path: Path
) -> None:
    """read_file -> write_file(+B) gives the file back byte for byte (odd lengths included)."""
    assert len(corpus) >= 10
    for cf in corpus:
        original = cf.path.read_bytes()
        out = tmp_path / cf.path.name
        write_file(out, read_file(cf.path), WriteOptions(bit_preserving=True))
        assert out.read_bytes() == original, cf.name


def test_default_rewrite_keeps_the_source_transfer_syntax(corpus: list[CorpusFile]) -> None:
    for cf in corpus:
        source = read_file(cf.path)
        data = b"".join(encode_file(source))
        again = read_file(data)
        assert again.transfer_syntax == source.transfer_syntax, cf.name
        assert again.preamble == source.preamble
        # a second rewrite is a fixed point
        assert b"".join(encode_file(again)) == data, cf.name


def test_meta_text_in_the_default_repertoire_is_written_as_ascii() -> None:
    info = FileMetaInformation(
        media_storage_sop_class_uid=SC,
        media_storage_sop_instance_uid="9.8.7",
        transfer_syntax_uid="1.2.840.10008.1.2",
        implementation_class_uid="1.2.3.99",
        implementation_version_name="ABC_1",
    )
    data = b"".join(encode_file(simple(), file_meta=info))
    assert b"\x02\x00\x13\x00SH\x06\x00ABC_1 " in data  # (0002,0013), padded to even length
    assert pydicom.dcmread(io.BytesIO(data)).file_meta.ImplementationVersionName == "ABC_1"


def test_meta_text_outside_the_default_repertoire_is_still_refused() -> None:
    # PS3.10 §7.1: the meta group is ISO 646; the ASCII shortcut must not let Latin-1 through.
    info = FileMetaInformation(
        media_storage_sop_class_uid=SC,
        media_storage_sop_instance_uid="9.8.7",
        transfer_syntax_uid="1.2.840.10008.1.2",
        implementation_class_uid="1.2.3.99",
        implementation_version_name="ÄBC",
    )
    with pytest.raises(DatasetEncodeError):
        encode_file(simple(), file_meta=info)


@pytest.mark.parametrize("uid", ["1.2.3.4", "1.2.3.45", "1.2." + "3" * 60])
def test_encode_file_meta_templates_splice_only_plain_uids(uid: str) -> None:
    head = encode_file_meta(SC, uid, "1.2.840.10008.1.2.1")
    theirs = pydicom.dcmread(io.BytesIO(head + write_dataset(simple())))
    assert theirs.file_meta.MediaStorageSOPInstanceUID == uid
    assert theirs.file_meta.FileMetaInformationGroupLength == len(head) - 144
