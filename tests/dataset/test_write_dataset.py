"""The data set encoder: element headers, sequences, and each DCMTK output option, checked on bytes.

Expected bytes are written out by hand from PS3.5 §7.1 (element encoding), §7.5 (sequences and
items), §7.2 (group length) and PS3.10 §7.2 (Data Set Trailing Padding); the DCMTK equivalence of
each option is checked on a whole corpus in tests/interop/test_dcmconv.py.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from dicomnet.dataset import DataElement, Dataset, read_dataset
from dicomnet.dataset.encaps import encapsulate
from dicomnet.dataset.writer import (
    GroupLength,
    LengthEncoding,
    Padding,
    WriteOptions,
    encode_dataset,
    output_vr,
    write_dataset,
    write_dataset_to,
)
from dicomnet.errors import DatasetEncodeError
from dicomnet.uid import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    JPEG_BASELINE,
)

ELE = EXPLICIT_VR_LITTLE_ENDIAN
ILE = IMPLICIT_VR_LITTLE_ENDIAN
EBE = EXPLICIT_VR_BIG_ENDIAN


def el(tag: int, vr: str, value: bytes, *, long: bool = False, undefined: bool = False) -> bytes:
    """An explicit VR LE element, written out by hand (PS3.5 §7.1.2)."""
    length = 0xFFFFFFFF if undefined else len(value)
    if long:
        return struct.pack("<HH2sHL", tag >> 16, tag & 0xFFFF, vr.encode(), 0, length) + value
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), length) + value


def iel(tag: int, value: bytes, *, undefined: bool = False) -> bytes:
    """An implicit VR LE element (PS3.5 §7.1.3)."""
    length = 0xFFFFFFFF if undefined else len(value)
    return struct.pack("<HHL", tag >> 16, tag & 0xFFFF, length) + value


def item(body: bytes, *, undefined: bool = False) -> bytes:
    if undefined:
        return struct.pack("<HHL", 0xFFFE, 0xE000, 0xFFFFFFFF) + body + ITEM_DELIM
    return struct.pack("<HHL", 0xFFFE, 0xE000, len(body)) + body


ITEM_DELIM = struct.pack("<HHL", 0xFFFE, 0xE00D, 0)
SEQ_DELIM = struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)


def ds_of(*elements: DataElement) -> Dataset:
    return Dataset(elements)


def write(ds: Dataset, ts: object = ELE, **options: object) -> bytes:
    return write_dataset(ds, WriteOptions(**options), source_transfer_syntax=ts)  # type: ignore[arg-type]


def sample() -> Dataset:
    """(0008,0016) UI, a sequence of two items, a private element, a US."""
    first = ds_of(DataElement(0x00081150, "UI", "1.2"), DataElement(0x00081155, "UI", "1.3"))
    second = ds_of(DataElement(0x00100020, "LO", "ID"))
    return ds_of(
        DataElement(0x00080016, "UI", "1.2.3"),
        DataElement(0x00081140, "SQ", [first, second]),
        DataElement(0x00090010, "LO", "ACME"),
        DataElement(0x00091001, "OB", b"\x01\x02"),
        DataElement(0x00280010, "US", 512),
    )


FIRST = el(0x00081150, "UI", b"1.2\x00") + el(0x00081155, "UI", b"1.3\x00")
SECOND = el(0x00100020, "LO", b"ID")
TAIL = (
    el(0x00090010, "LO", b"ACME")
    + el(0x00091001, "OB", b"\x01\x02", long=True)
    + el(0x00280010, "US", b"\x00\x02")
)


def test_explicit_little_endian_with_explicit_lengths() -> None:
    body = item(FIRST) + item(SECOND)
    expected = el(0x00080016, "UI", b"1.2.3\x00") + el(0x00081140, "SQ", body, long=True) + TAIL
    assert write(sample()) == expected


def test_undefined_lengths() -> None:
    body = item(FIRST, undefined=True) + item(SECOND, undefined=True)
    expected = (
        el(0x00080016, "UI", b"1.2.3\x00")
        + el(0x00081140, "SQ", b"", long=True, undefined=True)
        + body
        + SEQ_DELIM
        + TAIL
    )
    assert write(sample(), length_encoding=LengthEncoding.UNDEFINED) == expected


def test_implicit_little_endian() -> None:
    first = iel(0x00081150, b"1.2\x00") + iel(0x00081155, b"1.3\x00")
    body = item(first) + item(iel(0x00100020, b"ID"))
    expected = (
        iel(0x00080016, b"1.2.3\x00")
        + iel(0x00081140, body)
        + iel(0x00090010, b"ACME")
        + iel(0x00091001, b"\x01\x02")
        + iel(0x00280010, b"\x00\x02")
    )
    assert write(sample(), ILE) == expected


def test_explicit_big_endian_swaps_headers_and_numbers() -> None:
    ds = ds_of(
        DataElement(0x00280010, "US", 512),
        DataElement(0x00281201, "OW", b"\x01\x02\x03\x04"),
        DataElement(0x00420011, "OB", b"\x01\x02"),
    )
    assert write(ds, EBE) == (
        b"\x00\x28\x00\x10US\x00\x02\x02\x00"
        b"\x00\x28\x12\x01OW\x00\x00\x00\x00\x00\x04\x02\x01\x04\x03"
        b"\x00\x42\x00\x11OB\x00\x00\x00\x00\x00\x02\x01\x02"
    )


def test_empty_sequence_and_empty_item() -> None:
    ds = ds_of(DataElement(0x00081115, "SQ", []), DataElement(0x00081140, "SQ", [Dataset()]))
    assert write(ds) == el(0x00081115, "SQ", b"", long=True) + el(
        0x00081140, "SQ", item(b""), long=True
    )
    assert write(ds, length_encoding=LengthEncoding.UNDEFINED) == (
        el(0x00081115, "SQ", b"", long=True, undefined=True)
        + SEQ_DELIM
        + el(0x00081140, "SQ", b"", long=True, undefined=True)
        + item(b"", undefined=True)
        + SEQ_DELIM
    )


def test_elements_are_written_in_tag_order() -> None:
    ds = ds_of(DataElement(0x00280010, "US", 1), DataElement(0x00080016, "UI", "1.2"))
    assert write(ds) == el(0x00080016, "UI", b"1.2\x00") + el(0x00280010, "US", b"\x01\x00")


# --- group length (PS3.5 §7.2; DCMTK +g= +g -g) -----------------------------------------------


def _with_lengths() -> Dataset:
    inner = ds_of(DataElement(0x00080000, "UL", 999), DataElement(0x00081150, "UI", "1.2"))
    return ds_of(
        DataElement(0x00080000, "UL", 0),
        DataElement(0x00080016, "UI", "1.2.3"),
        DataElement(0x00081140, "SQ", [inner]),
        DataElement(0x00100020, "LO", "ID"),
    )


def test_group_length_recalc_updates_existing_ones() -> None:
    inner = el(0x00080000, "UL", struct.pack("<L", 12)) + el(0x00081150, "UI", b"1.2\x00")
    sq = el(0x00081140, "SQ", item(inner), long=True)
    group8 = el(0x00080016, "UI", b"1.2.3\x00") + sq
    expected = el(0x00080000, "UL", struct.pack("<L", len(group8))) + group8 + SECOND
    assert write(_with_lengths()) == expected


def test_group_length_create_adds_one_per_group_in_items_too() -> None:
    inner_body = el(0x00081150, "UI", b"1.2\x00")
    inner = el(0x00080000, "UL", struct.pack("<L", len(inner_body))) + inner_body
    sq = el(0x00081140, "SQ", item(inner), long=True)
    group8 = el(0x00080016, "UI", b"1.2.3\x00") + sq
    expected = (
        el(0x00080000, "UL", struct.pack("<L", len(group8)))
        + group8
        + el(0x00100000, "UL", struct.pack("<L", len(SECOND)))
        + SECOND
    )
    assert write(_with_lengths(), group_length=GroupLength.CREATE) == expected


def test_group_length_remove() -> None:
    sq = el(0x00081140, "SQ", item(el(0x00081150, "UI", b"1.2\x00")), long=True)
    expected = el(0x00080016, "UI", b"1.2.3\x00") + sq + SECOND
    assert write(_with_lengths(), group_length=GroupLength.REMOVE) == expected


def test_group_length_counts_the_output_encoding() -> None:
    """In implicit VR and with undefined lengths the lengths differ; the group length follows."""
    for ts, lengths in ((ILE, LengthEncoding.EXPLICIT), (ELE, LengthEncoding.UNDEFINED)):
        data = write(_with_lengths(), ts, length_encoding=lengths)
        ds = read_dataset(data, ts)
        group8 = len(data) - 12 - len(SECOND if ts is ELE else iel(0x00100020, b"ID"))
        assert ds[0x00080000].value == group8


# --- padding (PS3.10 §7.2 Data Set Trailing Padding; DCMTK +p F I) ------------------------------


def test_file_padding_aligns_instance_plus_data_set() -> None:
    ds = ds_of(DataElement(0x00100020, "LO", "ID"))  # 10 bytes
    for instance in (0, 100, 250):
        data = b"".join(
            encode_dataset(
                ds,
                WriteOptions(padding=Padding.CREATE, file_padding=64),
                instance_length=instance,
            )
        )
        assert (instance + len(data)) % 64 == 0
        pad = data[10:]
        assert pad[:8] == b"\xfc\xff\xfc\xffOB\x00\x00"
        assert struct.unpack_from("<L", pad, 8)[0] == len(pad) - 12
        assert pad[12:] == bytes(len(pad) - 12)


def test_padding_grows_by_a_whole_unit_when_the_header_does_not_fit() -> None:
    ds = ds_of(DataElement(0x00100020, "LO", "ID"))  # 10 bytes: 6 to go to 16, header is 12
    data = write(ds, padding=Padding.CREATE, file_padding=16)
    assert len(data) == 32
    assert data[10:22] == b"\xfc\xff\xfc\xffOB\x00\x00\x0a\x00\x00\x00"
    implicit = write(ds, ILE, padding=Padding.CREATE, file_padding=16)  # 10 + 8 header = 18
    assert len(implicit) == 32
    assert implicit[10:18] == b"\xfc\xff\xfc\xff\x0e\x00\x00\x00"


def test_item_padding_pads_non_empty_items_only() -> None:
    ds = ds_of(
        DataElement(0x00081140, "SQ", [ds_of(DataElement(0x00100020, "LO", "ID")), Dataset()])
    )
    data = write(ds, padding=Padding.CREATE, item_padding=16)
    padded_item = SECOND + el(0xFFFCFFFC, "OB", bytes(10), long=True)  # 10 + 22 = 32
    assert data == el(0x00081140, "SQ", item(padded_item) + item(b""), long=True)


def test_padding_retain_off_create() -> None:
    ds = ds_of(DataElement(0x00100020, "LO", "ID"), DataElement(0xFFFCFFFC, "OB", bytes(4)))
    assert write(ds) == SECOND + el(0xFFFCFFFC, "OB", bytes(4), long=True)
    assert write(ds, padding=Padding.OFF) == SECOND
    created = write(ds, padding=Padding.CREATE, file_padding=32)
    assert len(created) == 32
    assert created.count(b"\xfc\xff\xfc\xff") == 1


# --- new VRs (DCMTK -u), long values, unknown VRs ----------------------------------------------


def test_new_vrs_disabled_writes_ob() -> None:
    for vr in ("UN", "UT", "OF", "OD", "OL", "UR", "UC", "OV", "SV", "UV"):
        assert output_vr(vr, new_vrs=False) == "OB"
        assert output_vr(vr) == vr
    for vr in ("OB", "OW", "SQ", "LO", "US"):
        assert output_vr(vr, new_vrs=False) == vr
    assert output_vr("XX") == "UN"
    ds = ds_of(
        DataElement(0x00181030, "UT", "text"), DataElement(0x00660023, "OF", b"\x01\x02\x03\x04")
    )
    assert write(ds, new_vrs=False) == el(0x00181030, "OB", b"text", long=True) + el(
        0x00660023, "OB", b"\x01\x02\x03\x04", long=True
    )
    # in big endian an OF written as OB keeps little-endian byte order, as DCMTK writes it
    assert write(ds, EBE, new_vrs=False)[-4:] == b"\x01\x02\x03\x04"
    assert write(ds, EBE)[-4:] == b"\x04\x03\x02\x01"


def test_a_short_form_value_over_64k_is_written_as_un() -> None:
    ds = ds_of(DataElement(0x00100020, "LO", "x" * 70000))
    data = write(ds)
    assert data[:12] == b"\x10\x00\x20\x00UN\x00\x00" + struct.pack("<L", 70000)
    assert write(ds, new_vrs=False)[4:6] == b"OB"
    assert write(ds, ILE)[:8] == b"\x10\x00\x20\x00" + struct.pack("<L", 70000)


# --- values read from bytes: raw pass-through, swapping, odd lengths ---------------------------


def test_raw_values_are_converted_between_byte_orders() -> None:
    source = sample()
    del source[0x00091001]  # private: its VR does not survive implicit VR (PS3.5 §6.2.2)
    del source[0x00090010]
    source[0x00281201] = DataElement(0x00281201, "OW", b"\x01\x02\x03\x04")
    source[0x00280009] = DataElement(0x00280009, "AT", 0x00181063)
    for ts in (ELE, ILE, EBE):
        data = write(source, ts)
        back = read_dataset(data, ts)
        for other in (ELE, ILE, EBE):
            converted = write(back, other)
            assert converted == write(source, other), (ts.keyword, other.keyword)


def test_odd_length_values_read_are_padded_by_vr() -> None:
    data = (
        el(0x00080016, "UI", b"1.2.3")
        + el(0x00091001, "OB", b"\x01\x02\x03", long=True)
        + el(0x00100020, "LO", b"ABC")
    )
    ds = read_dataset(data, ELE)
    assert write(ds) == (
        el(0x00080016, "UI", b"1.2.3\x00")
        + el(0x00091001, "OB", b"\x01\x02\x03\x00", long=True)
        + el(0x00100020, "LO", b"ABC ")
    )
    assert write(ds, bit_preserving=True) == data


def test_un_of_undefined_length_is_written_as_a_sequence() -> None:
    """CP-246 UN (PS3.5 §6.2.2): DCMTK writes it as SQ; bit-preserving keeps UN and its bytes."""
    items = item(iel(0x00100020, b"ID"), undefined=True)
    data = el(0x00091010, "UN", b"", long=True, undefined=True) + items + SEQ_DELIM
    ds = read_dataset(data, ELE)
    assert write(ds) == el(0x00091010, "SQ", item(SECOND), long=True)
    assert write(ds, bit_preserving=True) == data


def test_unknown_vr_is_written_as_un() -> None:
    data = struct.pack("<HH2sHL", 0x0009, 0x1001, b"ZZ", 0, 2) + b"\x01\x02"
    ds = read_dataset(data, ELE)
    assert write(ds) == el(0x00091001, "UN", b"\x01\x02", long=True)


# --- bit-preserving ----------------------------------------------------------------------------


def test_bit_preserving_keeps_lengths_forms_and_group_length_values() -> None:
    inner = item(el(0x00081150, "UI", b"1.2\x00"), undefined=True)
    data = (
        el(0x00080000, "UL", struct.pack("<L", 1234))  # wrong on purpose
        + el(0x00080016, "UI", b"1.2.3")  # odd on purpose
        + el(0x00081140, "SQ", b"", long=True, undefined=True)
        + inner
        + SEQ_DELIM
        + el(0x00081199, "SQ", item(SECOND), long=True)
    )
    ds = read_dataset(data, ELE)
    assert write(ds, bit_preserving=True) == data
    normal = write(ds)
    assert normal != data
    assert read_dataset(normal, ELE)[0x00080000].value == len(normal) - 12


def test_bit_preserving_after_a_change_reencodes_only_what_changed() -> None:
    data = el(0x00080016, "UI", b"1.2.3") + el(0x00100020, "LO", b"ABC")
    ds = read_dataset(data, ELE)
    ds[0x00100020] = DataElement(0x00100020, "LO", "XYZW")
    assert write(ds, bit_preserving=True) == el(0x00080016, "UI", b"1.2.3") + el(
        0x00100020, "LO", b"XYZW"
    )


def test_bit_preserving_refuses_conversions() -> None:
    for conflict in (
        {"transfer_syntax": "1.2.840.10008.1.2"},
        {"group_length": GroupLength.CREATE},
        {"length_encoding": LengthEncoding.UNDEFINED},
        {"padding": Padding.OFF},
        {"new_vrs": False},
    ):
        with pytest.raises(ValueError, match="bit_preserving"):
            WriteOptions(bit_preserving=True, **conflict)  # type: ignore[arg-type]
    ds = read_dataset(el(0x00100020, "LO", b"AB"), ELE)
    with pytest.raises(ValueError, match="read with"):
        write(ds, ILE, bit_preserving=True)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError):
        WriteOptions(padding=Padding.CREATE, file_padding=3)
    with pytest.raises(ValueError):
        WriteOptions(file_padding=256)  # needs Padding.CREATE
    with pytest.raises(ValueError):
        WriteOptions(deflate_level=10)
    with pytest.raises(ValueError):
        WriteOptions(max_depth=1000)  # the encoder recurses: bounded well inside the stack
    assert WriteOptions(transfer_syntax=EBE).transfer_syntax == EBE.uid


# --- encapsulated and deflated -----------------------------------------------------------------


def _encapsulated_dataset() -> Dataset:
    value = encapsulate([b"\xff\xd8frame\xff\xd9"], offset_table=True)
    return ds_of(
        DataElement(0x00080016, "UI", "1.2"),
        DataElement(0x7FE00010, "OB", value, undefined_length=True),
    )


def test_encapsulated_pixel_data_passes_through() -> None:
    ds = _encapsulated_dataset()
    items = ds[0x7FE00010].value
    expected = (
        el(0x00080016, "UI", b"1.2\x00")
        + el(0x7FE00010, "OB", b"", long=True, undefined=True)
        + items
        + SEQ_DELIM
    )
    assert write(ds, JPEG_BASELINE) == expected
    again = read_dataset(expected, JPEG_BASELINE)
    assert write(again, JPEG_BASELINE) == expected
    assert write(again, JPEG_BASELINE, length_encoding=LengthEncoding.UNDEFINED) == expected


def test_no_conversion_between_native_and_encapsulated() -> None:
    with pytest.raises(DatasetEncodeError, match="encapsulated transfer syntax"):
        write(_encapsulated_dataset(), ELE)
    native = ds_of(DataElement(0x7FE00010, "OW", b"\x00\x01"))
    with pytest.raises(DatasetEncodeError, match="native"):
        write(native, JPEG_BASELINE)


def test_deflated_is_raw_deflate_of_explicit_little_endian() -> None:
    ds = sample()
    explicit = write(ds)
    for level in (0, 1, 6, 9):
        deflated = write(ds, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, deflate_level=level)
        assert zlib.decompress(deflated, -15) == explicit
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        stream = compressor.compress(explicit) + compressor.flush()
        assert deflated == stream + b"\x00" * (len(stream) % 2)  # PS3.5 §A.5: even length


# --- misc ----------------------------------------------------------------------------------------


def test_write_to_a_file_object() -> None:
    fp = io.BytesIO()
    count = write_dataset_to(fp, sample(), source_transfer_syntax=ELE)
    assert fp.getvalue() == write(sample())
    assert count == len(fp.getvalue())


def test_encode_returns_source_slices_without_copying() -> None:
    data = el(0x00091001, "OB", bytes(1000), long=True)
    ds = read_dataset(data, ELE)
    chunks = encode_dataset(ds)
    assert any(isinstance(chunk, memoryview) and len(chunk) == 1000 for chunk in chunks)


def test_transfer_syntax_defaults_to_the_source_encoding() -> None:
    data = iel(0x00100020, b"ID")
    ds = read_dataset(data, ILE)
    assert write_dataset(ds) == data
    assert write_dataset(Dataset([DataElement(0x00100020, "LO", "ID")])) == SECOND


def test_nesting_deeper_than_max_depth_is_an_encode_error() -> None:
    ds = Dataset()
    for _ in range(10):
        ds = ds_of(DataElement(0x00081140, "SQ", [ds]))
    assert write(ds, max_depth=10)
    with pytest.raises(DatasetEncodeError, match="deeper"):
        write(ds, max_depth=9)
    for _ in range(600):
        ds = ds_of(DataElement(0x00081140, "SQ", [ds]))
    with pytest.raises(DatasetEncodeError):
        write(ds)


def test_bit_preserving_recomputes_lengths_around_a_changed_item() -> None:
    data = (
        el(0x00080016, "UI", b"1.2.3")  # odd, kept
        + el(0x00081140, "SQ", item(el(0x00081150, "UI", b"1.2\x00")), long=True)
        + el(0x00081199, "SQ", b"", long=True, undefined=True)
        + item(SECOND, undefined=True)
        + SEQ_DELIM
    )
    ds = read_dataset(data, ELE)
    assert write(ds, bit_preserving=True) == data  # untouched sequences are copied whole
    first_item = ds[0x00081140].value[0]
    first_item[0x00081150] = DataElement(0x00081150, "UI", "1.2.840.10008.5.1.4.1.1.7")
    new_body = el(0x00081150, "UI", b"1.2.840.10008.5.1.4.1.1.7\x00")
    assert write(ds, bit_preserving=True) == (
        el(0x00080016, "UI", b"1.2.3")
        + el(0x00081140, "SQ", item(new_body), long=True)
        + el(0x00081199, "SQ", b"", long=True, undefined=True)
        + item(SECOND, undefined=True)
        + SEQ_DELIM
    )


def test_a_sequence_item_must_be_a_dataset() -> None:
    ds = ds_of(DataElement(0x00081140, "SQ", ["not a data set"]))
    with pytest.raises(DatasetEncodeError, match="not a Dataset"):
        write(ds)


def test_text_set_in_code_uses_the_character_set_in_effect() -> None:
    """(0008,0005) of the data set applies to its items unless an item has its own (PS3.5 §7.5.3)."""
    own = ds_of(
        DataElement(0x00080005, "CS", "ISO_IR 100"), DataElement(0x00100010, "PN", "Jérôme")
    )
    inherited = ds_of(DataElement(0x00100010, "PN", "王^小東"))
    ds = ds_of(
        DataElement(0x00080005, "CS", "ISO_IR 192"),
        DataElement(0x00100010, "PN", "王^小東"),
        DataElement(0x00101002, "SQ", [inherited, own]),
    )
    data = write(ds)
    assert "王^小東".encode() in data
    assert "Jérôme".encode("latin-1") in data
    back = read_dataset(data, ELE)
    assert back[0x00101002].value[0][0x00100010].value == "王^小東"
    assert back[0x00101002].value[1][0x00100010].value == "Jérôme"
