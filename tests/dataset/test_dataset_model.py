"""The data model: Dataset mapping semantics, keywords, ordering, elements, charset inheritance."""

from __future__ import annotations

import pytest

from dicomnet.dataset import (
    ITEM,
    UNDEFINED_LENGTH,
    VR,
    DataElement,
    Dataset,
    RawElement,
    format_tag,
    make_tag,
    parse_tag,
    read_dataset,
)
from dicomnet.dataset.tag import (
    is_group_length,
    is_private,
    is_private_creator,
    private_creator_tag,
)
from dicomnet.dataset.vr import ALL_VRS, LONG_LENGTH_VRS, padding_byte, swap_size, uses_long_length
from tests.dataset.wire import element, item, sequence


def test_iteration_is_in_tag_order_whatever_the_insertion_order() -> None:
    ds = Dataset()
    for tag in (0x00100020, 0x00080016, 0x7FE00010, 0x00100010, 0x00080005):
        ds[tag] = DataElement(tag, "LO", "x")
    assert list(ds) == [0x00080005, 0x00080016, 0x00100010, 0x00100020, 0x7FE00010]
    assert [e.tag for e in ds.entries()] == list(ds)
    assert len(ds) == 5
    ds[0x00090001] = DataElement(0x00090001, "LO", "y")
    assert list(ds)[2] == 0x00090001


def test_keyword_access() -> None:
    ds = Dataset()
    ds.PatientID = "ID1"
    ds.Rows = 512
    assert ds[0x00100020] == DataElement(0x00100020, "LO", "ID1")
    assert ds["PatientID"].value == "ID1"
    assert ds.PatientID == "ID1"
    assert ds[0x00280010].vr == "US"
    assert "PatientID" in ds
    assert 0x00100020 in ds
    assert "PatientName" not in ds
    assert "NotAKeyword" not in ds
    with pytest.raises(AttributeError):
        _ = ds.PatientName
    with pytest.raises(AttributeError):
        ds.NotAKeyword = 1
    with pytest.raises(KeyError):
        _ = ds["NotAKeyword"]
    del ds.PatientID
    assert "PatientID" not in ds
    del ds["Rows"]
    assert len(ds) == 0
    assert "PatientID" in dir(Dataset([DataElement(0x00100020, "LO", "x")]))


def test_set_resolves_ambiguous_vr_and_sequences() -> None:
    ds = Dataset()
    ds.PixelRepresentation = 1
    ds.SmallestImagePixelValue = -3
    assert ds[0x00280106].vr == "SS"
    item1 = Dataset()
    item1.ReferencedSOPInstanceUID = "1.2.3"
    ds.ReferencedImageSequence = [item1]
    assert ds[0x00081140].vr == "SQ"
    assert item1.parent is ds
    element = ds.set("PatientName", "A^B", vr="PN")
    assert element == DataElement(0x00100010, "PN", "A^B")


def test_setitem_checks() -> None:
    ds = Dataset()
    with pytest.raises(ValueError):
        ds[0x00100020] = DataElement(0x00100010, "PN", "x")
    with pytest.raises(TypeError):
        ds[0x00100020] = "value"  # type: ignore[assignment]


def test_get_value_and_mapping_get() -> None:
    ds = Dataset([DataElement(0x00100020, "LO", "ID")])
    assert ds.get_value("PatientID") == "ID"
    assert ds.get_value("PatientName", "none") == "none"
    assert ds.get(0x00100010) is None
    assert ds.get(0x00100020) == DataElement(0x00100020, "LO", "ID")


def test_data_element_equality_ignores_raw_and_creator() -> None:
    a = DataElement(0x00091001, "LO", "x", private_creator="ACME")
    b = DataElement(0x00091001, "LO", "x")
    assert a == b
    assert DataElement(0x00081140, "SQ", [], undefined_length=True) != DataElement(
        0x00081140, "SQ", []
    )
    assert "(0009,1001)" in repr(a)
    assert a.keyword is None
    assert b.vm == 1
    assert DataElement(0x00280009, "AT", [1, 2]).vm == 2
    assert DataElement(0x00081140, "SQ", [Dataset(), Dataset()]).vm == 1


def test_datasets_compare_by_decoded_content() -> None:
    data = element(0x00100010, "PN", b"A^B ") + element(0x00100020, "LO", b"ID")
    built = Dataset([DataElement(0x00100020, "LO", "ID"), DataElement(0x00100010, "PN", "A^B")])
    assert read_dataset(data) == built


def test_charset_inheritance_and_override() -> None:
    latin = "Müller".encode("latin-1")
    utf8 = "Müller".encode()
    data = (
        element(0x00080005, "CS", b"ISO_IR 100")
        + element(0x00100010, "PN", latin)
        + sequence(
            0x00101002,
            [
                item(element(0x00100010, "PN", latin)),
                item(element(0x00080005, "CS", b"ISO_IR 192") + element(0x00100010, "PN", utf8)),
            ],
        )
    )
    ds = read_dataset(data)
    assert ds.PatientName == "Müller"
    first, second = ds[0x00101002].value
    assert first.PatientName == "Müller"
    assert second.PatientName == "Müller"
    assert second.character_set.terms != ds.character_set.terms
    # changing the enclosing character set is seen by nested items (no stale cache)
    ds[0x00080005] = DataElement(0x00080005, "CS", "ISO_IR 192")
    fresh = read_dataset(data)
    fresh[0x00080005] = DataElement(0x00080005, "CS", "ISO_IR 192")
    assert fresh[0x00101002].value[0].character_set.terms == ("ISO_IR 192",)


def test_str_lists_elements() -> None:
    ds = Dataset([DataElement(0x00100020, "LO", "ID")])
    ds.ReferencedImageSequence = [Dataset([DataElement(0x00081155, "UI", "1.2")])]
    text = str(ds)
    assert "(0010,0020) LO PatientID: 'ID'" in text
    assert "ReferencedImageSequence: 1 item(s)" in text
    assert "(0008,1155) UI" in text
    assert repr(ds) == "Dataset(2 elements)"


def test_raw_element_of_decoded_and_built() -> None:
    ds = read_dataset(element(0x00100020, "LO", b"ID"))
    raw = ds.raw_element("PatientID")
    assert isinstance(raw, RawElement)
    _ = ds["PatientID"]
    assert ds.raw_element("PatientID") == raw
    assert ds.vr_of("PatientID") == "LO"
    ds.PatientID = "NEW"
    assert ds.raw_element("PatientID") is None
    assert ds.raw_element("PatientName") is None


def test_tag_helpers() -> None:
    assert make_tag(0x0010, 0x0020) == 0x00100020
    assert format_tag(0x7FE00010) == "(7FE0,0010)"
    assert parse_tag("(0010,0020)") == parse_tag("00100020") == parse_tag((0x10, 0x20))
    with pytest.raises(ValueError):
        parse_tag("bogus")
    with pytest.raises(ValueError):
        make_tag(0x10000, 0)
    assert is_private(0x00091001)
    assert not is_private(0x00100010)
    assert is_private_creator(0x00090010)
    assert not is_private_creator(0x00091001)
    assert private_creator_tag(0x00091201) == 0x00090012
    assert private_creator_tag(0x00090010) is None
    assert private_creator_tag(0x00100010) is None
    assert is_group_length(0x00080000)
    assert not is_group_length(ITEM)


def test_vr_facts() -> None:
    assert len(ALL_VRS) == 34
    assert VR.US == "US"
    assert uses_long_length("UT")
    assert not uses_long_length("LO")
    expected = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
    assert expected == LONG_LENGTH_VRS
    assert padding_byte("UI") == b"\0"
    assert padding_byte("OB") == b"\0"
    assert padding_byte("LO") == b" "
    assert swap_size("OW") == 2
    assert swap_size("OD") == 8
    assert swap_size("OB") == 1
    assert UNDEFINED_LENGTH == 0xFFFFFFFF
