"""Reader behaviour on hand-built encodings (PS3.5 §7): VRs, byte orders, sequences, UN, private."""

from __future__ import annotations

import struct

import pytest

from dicomnet.dataset import DataElement, Dataset, RawElement, read_dataset, read_dataset_at
from dicomnet.dataset.reader import ReadOptions
from dicomnet.dataset.values import PersonName
from tests.dataset.wire import UNDEF, delimiter, element, item, sequence

ENCODINGS = [(False, True), (False, False), (True, True)]  # (implicit, little)


def _read(data: bytes, implicit: bool = False, little: bool = True, **kw: object) -> Dataset:
    return read_dataset(data, implicit_vr=implicit, little_endian=little, **kw)  # type: ignore[arg-type]


# value bytes per VR, in the given byte order, with the expected decoded value
def _cases(little: bool) -> list[tuple[int, str, bytes, object]]:
    e = "<" if little else ">"
    return [
        (0x00080054, "AE", b" AE_ONE \\AE2 ", ["AE_ONE", "AE2"]),
        (0x00101010, "AS", b"045Y", "045Y"),
        (0x00280009, "AT", struct.pack(e + "4H", 0x0018, 0x1063, 0x0018, 0x1065),
         [0x00181063, 0x00181065]),
        (0x00080008, "CS", b"ORIGINAL\\PRIMARY ", ["ORIGINAL", "PRIMARY"]),
        (0x00080020, "DA", b"20240102", "20240102"),
        (0x00101030, "DS", b" 72.5 ", "72.5"),
        (0x0008002A, "DT", b"20240102030405.1+0100 ", "20240102030405.1+0100"),
        (0x00189089, "FD", struct.pack(e + "3d", 0.5, -0.25, 1.0), [0.5, -0.25, 1.0]),
        (0x00109431, "FL", struct.pack(e + "f", 12.5), 12.5),
        (0x00200013, "IS", b"7 ", "7"),
        (0x00100020, "LO", b"ID-1\\ID-2 ", ["ID-1", "ID-2"]),
        (0x00204000, "LT", b"a\\b\r\nc ", "a\\b\r\nc"),
        (0x00420011, "OB", b"\x01\x02\x03\x00", b"\x01\x02\x03\x00"),
        (0x7FE00009, "OD", struct.pack(e + "d", 1.5), struct.pack("<d", 1.5)),
        (0x7FE00008, "OF", struct.pack(e + "f", 1.5), struct.pack("<f", 1.5)),
        (0x00660040, "OL", struct.pack(e + "2L", 1, 2), struct.pack("<2L", 1, 2)),
        (0x7FE00001, "OV", struct.pack(e + "Q", 7), struct.pack("<Q", 7)),
        (0x00281201, "OW", struct.pack(e + "2H", 1, 0xFFFE), struct.pack("<2H", 1, 0xFFFE)),
        (0x00100010, "PN", b"Doe^John=^=", "Doe^John=^="),
        (0x00080050, "SH", b"ACC ", "ACC"),
        (0x00186020, "SL", struct.pack(e + "l", -5), -5),
        (0x00189219, "SS", struct.pack(e + "h", -12), -12),
        (0x00080081, "ST", b"Street 1\\2 ", "Street 1\\2"),
        (0x00720082, "SV", struct.pack(e + "2q", -1, 2**40), [-1, 2**40]),
        (0x00080030, "TM", b"101112.123 ", "101112.123"),
        (0x00080119, "UC", b"long code ", "long code"),
        (0x00080016, "UI", b"1.2.840.10008.5.1.4.1.1.7\x00", "1.2.840.10008.5.1.4.1.1.7"),
        (0x0040A132, "UL", struct.pack(e + "3L", 1, 2, 70000), [1, 2, 70000]),
        (0x00091001, "UN", b"\x01\x02", b"\x01\x02"),
        (0x00081190, "UR", b"http://x/y ", "http://x/y"),
        (0x00181310, "US", struct.pack(e + "4H", 0, 256, 256, 0), [0, 256, 256, 0]),
        (0x0040A160, "UT", b"text\\with backslash ", "text\\with backslash"),
        (0x00720083, "UV", struct.pack(e + "Q", 2**63 + 5), 2**63 + 5),
    ]  # fmt: skip


@pytest.mark.parametrize(("implicit", "little"), ENCODINGS)
def test_every_vr_decodes(implicit: bool, little: bool) -> None:
    cases = _cases(little)
    if implicit:
        # implicit VR takes the VR from the dictionary: skip the private UN, keep the rest
        cases = [c for c in cases if c[1] != "UN"]
    data = b"".join(
        element(tag, vr, value, implicit=implicit, little=little)
        for tag, vr, value, _ in sorted(cases)
    )
    ds = _read(data, implicit, little)
    assert list(ds) == sorted(c[0] for c in cases)
    for tag, vr, _value, expected in cases:
        assert ds[tag].vr == vr, hex(tag)
        assert ds[tag].value == expected, (vr, ds[tag].value)
    assert isinstance(ds[0x00100010].value, PersonName)


def test_raw_view_offsets_and_no_copy() -> None:
    data = bytearray(element(0x00100010, "PN", b"Doe^John") + element(0x00280010, "US", b"\0\2"))
    ds = read_dataset(data)
    raw = ds.raw_element(0x00280010)
    assert isinstance(raw, RawElement)
    assert (raw.offset, raw.value_offset, raw.value_length, raw.length) == (16, 24, 2, 2)
    assert bytes(raw.encoded) == data[16:]
    assert raw.value_bytes.obj is data  # a view of the caller's buffer, not a copy
    assert ds[0x00280010].value == 512
    assert ds[0x00280010].raw == raw


def test_empty_values() -> None:
    data = (
        element(0x00100010, "PN", b"")
        + element(0x00100020, "LO", b"")
        + element(0x00280010, "US", b"")
        + element(0x00280009, "AT", b"")
        + element(0x00420011, "OB", b"")
    )
    ds = read_dataset(data)
    assert [ds[t].value for t in ds] == ["", "", None, None, b""]
    assert [ds[t].vm for t in ds] == [0, 0, 0, 0, 0]


def test_odd_length_values_are_read() -> None:
    data = element(0x00100010, "PN", b"Odd") + element(0x00100020, "LO", b"abc")
    ds = read_dataset(data)
    assert ds.PatientName == "Odd"
    assert ds.PatientID == "abc"


@pytest.mark.parametrize(("implicit", "little"), ENCODINGS)
@pytest.mark.parametrize("lazy", [True, False])
def test_sequences_both_length_forms(implicit: bool, little: bool, lazy: bool) -> None:
    kw = {"implicit": implicit, "little": little}
    leaf = element(0x00080100, "SH", b"CV1 ", **kw)
    inner = sequence(0x00400008, [item(leaf, little=little)], undefined=True, **kw)
    items = [
        item(element(0x00081155, "UI", b"1.2.3\0", **kw), little=little),
        item(element(0x00081155, "UI", b"1.2.4\0", **kw) + inner, undefined=True, little=little),
        item(b"", little=little),
    ]
    data = (
        sequence(0x00081140, items, **kw)
        + sequence(0x00081115, [], undefined=True, **kw)
        + element(0x00100020, "LO", b"after ", **kw)
    )
    ds = _read(data, implicit, little, lazy_sequences=lazy)
    seq = ds[0x00081140]
    assert seq.vr == "SQ"
    assert not seq.undefined_length
    assert [len(i) for i in seq.value] == [1, 2, 0]
    assert seq.value[0].ReferencedSOPInstanceUID == "1.2.3"
    second = seq.value[1]
    assert second.is_undefined_length
    assert not seq.value[0].is_undefined_length
    assert second[0x00400008].undefined_length
    assert second[0x00400008].value[0].CodeValue == "CV1"
    assert second[0x00400008].value[0].parent is second
    assert second.parent is ds
    assert ds[0x00081115].value == []
    assert ds[0x00081115].undefined_length
    assert ds.PatientID == "after"
    raw = seq.raw
    assert raw is not None
    assert bytes(raw.encoded) == data[: raw.end]


def test_lazy_sequence_is_raw_until_accessed() -> None:
    data = sequence(0x00081140, [item(element(0x00081155, "UI", b"1.2\0"))])
    ds = read_dataset(data)
    entry = next(ds.entries())
    assert isinstance(entry, RawElement)
    assert entry.vr == "SQ"
    assert ds[0x00081140].value[0].ReferencedSOPInstanceUID == "1.2"
    assert isinstance(next(ds.entries()), DataElement)
    eager = read_dataset(data, lazy_sequences=False)
    assert isinstance(next(eager.entries()), DataElement)


def test_un_undefined_length_is_implicit_le_sequence() -> None:
    """PS3.5 §6.2.2: UN of undefined length holds an Implicit VR LE sequence, in any TS."""
    for little in (True, False):
        inner = element(0x00080100, "SH", b"CV1 ", implicit=True) + element(
            0x00080104, "LO", b"Meaning ", implicit=True
        )
        body = item(inner, undefined=True) + delimiter(0xFFFEE0DD)
        e = "<" if little else ">"
        header = struct.pack(e + "HH", 0x0040, 0x0260) + b"UN\0\0" + struct.pack(e + "L", UNDEF)
        after = element(0x00400275, "SQ", b"", little=little)
        ds = read_dataset(header + body + after, little_endian=little)
        seq = ds[0x00400260]
        assert seq.vr == "SQ"
        assert seq.raw is not None
        assert seq.raw.vr_bytes == b"UN"
        assert seq.value[0].CodeValue == "CV1"
        assert seq.value[0].CodeMeaning == "Meaning"
        assert seq.value[0].implicit_vr
        assert ds[0x00400275].value == []


def test_un_defined_length_replace_un() -> None:
    items = item(element(0x00080100, "SH", b"CV1 ", implicit=True))
    data = element(0x00180015, "UN", b"HEAD") + element(0x00400260, "UN", items)
    kept = read_dataset(data)
    assert (kept[0x00180015].vr, kept[0x00180015].value) == ("UN", b"HEAD")
    assert kept[0x00400260].value == items
    for lazy in (True, False):
        ds = read_dataset(data, replace_un=True, lazy_sequences=lazy)
        assert (ds[0x00180015].vr, ds[0x00180015].value) == ("CS", "HEAD")
        assert ds[0x00400260].value[0].CodeValue == "CV1"


def test_implicit_private_sequence_of_undefined_length() -> None:
    """A private tag of undefined length in implicit VR is read as a sequence (§6.2.2, §7.5.1)."""
    items = item(element(0x00100020, "LO", b"P1", implicit=True), undefined=True)
    data = (
        element(0x00190010, "LO", b"ACME", implicit=True)
        + sequence(0x00191001, [items], undefined=True, implicit=True)
        + element(0x00191002, "US", b"\x2a\x00", implicit=True)
    )
    ds = read_dataset(data, implicit_vr=True)
    assert ds[0x00191001].vr == "SQ"
    assert ds[0x00191001].value[0].PatientID == "P1"
    assert ds[0x00191002].vr == "UN"
    assert ds[0x00191002].value == b"\x2a\x00"
    assert ds[0x00191002].private_creator == "ACME"
    assert ds.private_creator(0x00191001) == "ACME"


def test_private_creators_per_block() -> None:
    data = (
        element(0x00090010, "LO", b"ACME 1.0")
        + element(0x00090011, "LO", b"OTHER ")
        + element(0x00091001, "LO", b"one ")
        + element(0x00091101, "SH", b"two ")
        + element(0x00091201, "SH", b"none")
    )
    ds = read_dataset(data)
    assert ds[0x00091001].private_creator == "ACME 1.0"
    assert ds[0x00091101].private_creator == "OTHER"
    assert ds[0x00091201].private_creator is None
    assert ds.private_creator(0x00090010) is None  # a creator is not itself reserved


def test_group_length_kept() -> None:
    data = element(0x00080000, "UL", b"\x10\x00\x00\x00") + element(0x00080020, "DA", b"20240101")
    ds = read_dataset(data)
    assert list(ds) == [0x00080000, 0x00080020]
    assert ds[0x00080000].value == 16


def test_implicit_ambiguous_vrs_resolved_by_context() -> None:
    """US or SS by Pixel Representation (also from an enclosing data set); Pixel Data OW."""
    signed = struct.pack("<h", -100)
    data = (
        element(0x00280103, "US", b"\x01\x00", implicit=True)
        + element(0x00280106, "", signed, implicit=True)
        + sequence(
            0x00400275,
            [item(element(0x00280106, "", signed, implicit=True))],
            implicit=True,
        )
        + element(0x60003000, "", b"\x01\x00\x02\x00", implicit=True)
        + element(0x7FE00010, "", b"\x01\x00\x02\x00", implicit=True)
    )
    ds = read_dataset(data, implicit_vr=True)
    assert (ds[0x00280106].vr, ds[0x00280106].value) == ("SS", -100)
    nested = ds[0x00400275].value[0]
    assert (nested[0x00280106].vr, nested[0x00280106].value) == ("SS", -100)
    assert ds[0x60003000].vr == "OW"
    assert ds[0x7FE00010].vr == "OW"
    unsigned = read_dataset(element(0x00280106, "", signed, implicit=True), implicit_vr=True)
    assert (unsigned[0x00280106].vr, unsigned[0x00280106].value) == ("US", 65436)
    lut = element(0x00283002, "", struct.pack("<3H", 1, 0, 16), implicit=True) + element(
        0x00283006, "", b"\x05\x00", implicit=True
    )
    assert read_dataset(lut, implicit_vr=True)[0x00283006].vr == "US"


def test_encapsulated_pixel_data() -> None:
    from dicomnet.dataset.encaps import basic_offset_table, encapsulate, fragments

    value = encapsulate([b"frame-1", b"frame2"], offset_table=True)
    data = (
        element(0x00280010, "US", b"\x04\x00")
        + element(0x7FE00010, "OB", value + delimiter(0xFFFEE0DD), length=UNDEF)
        + element(0xFFFCFFFC, "OB", b"\0\0")
    )
    ds = read_dataset(data)
    pixel = ds[0x7FE00010]
    assert pixel.undefined_length
    assert pixel.vr == "OB"
    assert pixel.value == value
    assert basic_offset_table(pixel.value) == [0, 16]
    assert [bytes(f) for f in fragments(pixel.value)] == [b"frame-1\0", b"frame2"]
    assert list(ds) == [0x00280010, 0x7FE00010, 0xFFFCFFFC]


def test_stop_before() -> None:
    data = (
        element(0x00100020, "LO", b"ID")
        + element(0x00280010, "US", b"\x04\x00")
        + element(0x7FE00010, "OW", b"\0" * 64)
    )
    ds, stop = read_dataset_at(
        data, implicit_vr=False, little_endian=True, options=ReadOptions(stop_before=0x7FE00010)
    )
    assert list(ds) == [0x00100020, 0x00280010]
    assert stop == len(data) - 76
    assert list(read_dataset(data, stop_before=0x00280010)) == [0x00100020]


def test_out_of_order_and_duplicate_tags() -> None:
    data = (
        element(0x00100020, "LO", b"ID")
        + element(0x00080020, "DA", b"20240101")
        + element(0x00100020, "LO", b"DUP ")
    )
    ds = read_dataset(data)
    assert list(ds) == [0x00080020, 0x00100020]
    assert ds.PatientID == "ID"  # the first occurrence is kept, as DCMTK does


def test_unknown_explicit_vr_read_as_un_with_long_length() -> None:
    data = element(0x00091001, "ZZ", b"abcd") + element(0x00100020, "LO", b"ID")
    ds = read_dataset(data)
    raw = ds.raw_element(0x00091001)
    assert raw is not None
    assert (raw.vr, raw.vr_bytes) == ("UN", b"ZZ")
    assert ds[0x00091001].value == b"abcd"
    assert ds.PatientID == "ID"


def test_big_endian_bytes_values_swapped_to_little_endian() -> None:
    data = element(0x00281201, "OW", struct.pack(">2H", 1, 2), little=False)
    ds = read_dataset(data, little_endian=False)
    assert ds[0x00281201].value == struct.pack("<2H", 1, 2)
    assert bytes(ds.raw_element(0x00281201).value_bytes) == struct.pack(">2H", 1, 2)  # type: ignore[union-attr]


def test_read_dataset_by_transfer_syntax_uid() -> None:
    data = element(0x00280010, "US", b"\x00\x04", little=False)
    assert read_dataset(data, "1.2.840.10008.1.2.2").Rows == 4
    implicit = element(0x00280010, "US", b"\x04\x00", implicit=True)
    assert read_dataset(implicit, "1.2.840.10008.1.2").Rows == 4


def test_read_dataset_deflated() -> None:
    from dicomnet.dataset.deflate import deflate

    data = element(0x00100020, "LO", b"DEFLATED") * 1
    ds = read_dataset(deflate(data), "1.2.840.10008.1.2.1.99")
    assert ds.PatientID == "DEFLATED"


def test_private_vr_from_a_dcmtk_private_dictionary() -> None:
    """Implicit VR: a private element's VR comes from the private dictionary, keyed by its creator
    (PS3.5 §7.8.1), as DCMTK does; without an entry it stays UN."""
    import glob

    from dicomnet.dataset.dictionary import DataDictionary
    from tests.peers import peer_missing

    found = sorted(glob.glob("/usr/share/libdcmtk*/private.dic"))
    if not found:
        peer_missing("DCMTK's private.dic (apt-get install -y dcmtk)")
    base = found[-1].replace("private.dic", "dicom.dic")
    dictionary = DataDictionary.from_dcmtk_files([base, found[-1]])
    kw = {"implicit": True}
    data = (
        element(0x00090010, "LO", b"GEMS_IDEN_01", **kw)
        + element(0x00090011, "LO", b"UNKNOWN VENDOR", **kw)
        + element(0x00091001, "LO", b"full", **kw)
        + element(0x0009101A, "US", b"\x2a\x00", **kw)
        + element(0x00091101, "US", b"\x2a\x00", **kw)
    )
    ds = read_dataset(data, implicit_vr=True, dictionary=dictionary)
    assert (ds[0x00091001].vr, ds[0x00091001].value) == ("LO", "full")
    assert (ds[0x0009101A].vr, ds[0x0009101A].value) == ("US", 42)
    assert (ds[0x00091101].vr, ds[0x00091101].value) == ("UN", b"\x2a\x00")
    plain = read_dataset(data, implicit_vr=True)  # the built-in dictionary has no private part
    assert plain[0x0009101A].vr == "UN"
