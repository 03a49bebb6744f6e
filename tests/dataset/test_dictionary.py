"""The data dictionary: built-in PS3.6 table, lookup rules, DCMTK loader, DCMDICTPATH.

pydicom's ``datadict`` is the oracle for the built-in table; DCMTK's own ``dicom.dic`` exercises
the loader.
"""

from __future__ import annotations

import glob
import os
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.dataset import dictionary
from dicomnet.dataset._dictionary_data import ENTRIES, REPEATERS
from dicomnet.dataset.dictionary import (
    DataDictionary,
    DictEntry,
    builtin_dictionary,
    default_dictionary,
    keyword_for_tag,
    tag_for_keyword,
)
from dicomnet.errors import DictionaryError
from tests.peers import require_program

datadict = pytest.importorskip("pydicom.datadict")


@pytest.fixture
def builtin() -> DataDictionary:
    return builtin_dictionary()


@pytest.fixture(autouse=True)
def _no_dcmdictpath(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DCMDICTPATH", raising=False)


def _expand(pattern: str, digit: str) -> int:
    return int(pattern.replace("x", digit), 16)


# -- the built-in table against pydicom ---------------------------------------------------------


def test_every_exact_tag_agrees_with_pydicom(builtin: DataDictionary) -> None:
    assert len(ENTRIES) > 5000
    for tag in datadict.DicomDictionary:
        entry = builtin.entry(tag)
        assert entry is not None, hex(tag)
        assert entry.tag == tag
        assert entry.vr == datadict.dictionary_VR(tag), hex(tag)
        assert entry.vm == datadict.dictionary_VM(tag), hex(tag)
        assert entry.retired == datadict.dictionary_is_retired(tag), hex(tag)
        assert entry.name == datadict.dictionary_description(tag), hex(tag)
        assert (entry.keyword or "") == datadict.dictionary_keyword(tag), hex(tag)
        assert builtin.vr(tag) == entry.vr


@pytest.mark.parametrize("pattern", sorted(REPEATERS))
def test_every_repeating_group_mask_agrees_with_pydicom(
    builtin: DataDictionary, pattern: str
) -> None:
    assert pattern in datadict.RepeatersDictionary
    # Expand the x digits several ways; in the group an expansion must stay even (PS3.5 §7.6).
    for digit in "02468ACE":
        tag = _expand(pattern, digit)
        if tag & 0xFFFF == 0 or tag in ENTRIES:
            continue  # a group length, or an exact entry that takes precedence
        entry = builtin.entry(tag)
        assert entry is not None, hex(tag)
        assert entry.vr == datadict.dictionary_VR(tag), hex(tag)
        assert entry.vm == datadict.dictionary_VM(tag), hex(tag)
        assert entry.keyword == datadict.keyword_for_tag(tag), hex(tag)
        assert entry.retired == datadict.dictionary_is_retired(tag), hex(tag)
        assert builtin.vr(tag) == entry.vr
        # The entry's tag is the pattern's base tag, which itself looks up to the same entry.
        assert builtin.entry(entry.tag) == entry
        assert builtin.tag_for_keyword(entry.keyword) == entry.tag
    if "x" in pattern[:4]:
        # An odd group is private: neither pydicom nor dicomnet applies the pattern there.
        odd = _expand(pattern, "1")
        with pytest.raises(KeyError):
            datadict.get_entry(odd)
        found = builtin.entry(odd)
        assert found is None or found.keyword in ("PrivateCreator", "GenericGroupLength")


@pytest.mark.parametrize(
    ("tag", "keyword", "vr"),
    [
        (0x50000005, "CurveDimensions", "US"),
        (0x501E3000, "CurveData", "OB or OW"),
        (0x60000010, "OverlayRows", "US"),
        (0x601E3000, "OverlayData", "OB or OW"),
        (0x60FE0011, "OverlayColumns", "US"),
        (0x7F000010, "VariablePixelData", "OB or OW"),
        (0x7FFE0011, "VariableNextDataGroup", "US"),
        (0x10000010, "EscapeTriplet", "US"),
        (0x1000FFF5, "ShiftTableTriplet", "US"),
        (0x10100001, "ZonalMap", "US"),
        (0x00203100, "SourceImageIDs", "CS"),
        (0x002031FF, "SourceImageIDs", "CS"),
        (0x00280410, "RowsForNthOrderCoefficients", "US"),
        (0x002804F3, "CoefficientCodingPointers", "AT"),
        (0x002808F0, "CodeLabel", "CS"),
        (0x002808F8, "ImageDataLocation", "AT"),
    ],
)
def test_repeating_group_examples(builtin: DataDictionary, tag: int, keyword: str, vr: str) -> None:
    entry = builtin.entry(tag)
    assert entry is not None
    assert (entry.keyword, entry.vr) == (keyword, vr)
    assert builtin.vr(tag) == vr
    assert builtin.keyword(tag) == keyword


def test_exact_entries_take_precedence_over_repeating_groups(builtin: DataDictionary) -> None:
    pixel_data = builtin.entry(0x7FE00010)
    assert pixel_data is not None
    assert pixel_data.keyword == "PixelData"  # not (7Fxx,0010) Variable Pixel Data
    assert builtin.keyword(0x7FE00010) == "PixelData"


def test_odd_groups_are_private_not_repeating(builtin: DataDictionary) -> None:
    # (6001,0010) is a private creator, not Overlay Rows; (6001,3000) is private data.
    assert builtin.keyword(0x60010010) == "PrivateCreator"
    assert builtin.vr(0x60010010) == "LO"
    assert builtin.entry(0x60013000) is None
    assert builtin.vr(0x50013000) == "UN"


@pytest.mark.parametrize("tag", [0x00080000, 0x00090000, 0x10000000, 0x10100000, 0x60000000])
def test_group_length(builtin: DataDictionary, tag: int) -> None:
    entry = builtin.entry(tag)
    assert entry == DictEntry(tag, "UL", "1", "Generic Group Length", "GenericGroupLength", False)
    assert builtin.vr(tag) == "UL"


def test_command_and_file_meta_group_lengths_are_exact(builtin: DataDictionary) -> None:
    assert builtin.keyword(0x00000000) == "CommandGroupLength"
    assert builtin.keyword(0x00020000) == "FileMetaInformationGroupLength"


@pytest.mark.parametrize("tag", [0x00090010, 0x000900FF, 0x00290050, 0xFFFD0010, 0x00110011])
def test_private_creator(builtin: DataDictionary, tag: int) -> None:
    entry = builtin.entry(tag)
    assert entry is not None
    assert (entry.tag, entry.vr, entry.keyword) == (tag, "LO", "PrivateCreator")


@pytest.mark.parametrize("tag", [0x00090100, 0x0009000F, 0x00091010, 0x00291234, 0x00990001])
def test_private_data_elements_are_unknown(builtin: DataDictionary, tag: int) -> None:
    assert builtin.entry(tag) is None
    assert builtin.vr(tag) == "UN"
    assert builtin.keyword(tag) is None
    assert tag not in builtin


@pytest.mark.parametrize("tag", [0x00080002, 0x00100011, 0xFFFF0001, 0x00020099])
def test_unknown_public_tags(builtin: DataDictionary, tag: int) -> None:
    assert builtin.entry(tag) is None
    assert builtin.vr(tag) == "UN"


def test_item_tags(builtin: DataDictionary) -> None:
    for tag, keyword in [
        (0xFFFEE000, "Item"),
        (0xFFFEE00D, "ItemDelimitationItem"),
        (0xFFFEE0DD, "SequenceDelimitationItem"),
    ]:
        assert builtin.keyword(tag) == keyword
        assert builtin.vr(tag) == "NONE"


def test_keyword_round_trip_over_the_whole_table(builtin: DataDictionary) -> None:
    count = 0
    for entry in builtin.entries():
        if not entry.keyword:
            assert builtin.keyword(entry.tag) is None
            continue
        assert builtin.tag_for_keyword(entry.keyword) == entry.tag, entry
        assert builtin.keyword(entry.tag) == entry.keyword
        count += 1
    assert count == len(builtin) - sum(1 for row in ENTRIES.values() if not row[3])
    assert builtin.tag_for_keyword("NoSuchKeyword") is None
    assert builtin.tag_for_keyword("") is None


def test_keywords_are_unique(builtin: DataDictionary) -> None:
    keywords = [e.keyword for e in builtin.entries() if e.keyword]
    assert len(keywords) == len(set(keywords))


def test_len_and_contains(builtin: DataDictionary) -> None:
    assert len(builtin) == len(ENTRIES) + len(REPEATERS)
    assert 0x00100010 in builtin
    assert 0x60020010 in builtin
    assert 0x00091000 not in builtin
    assert "PatientName" not in builtin


def test_module_level_helpers() -> None:
    assert tag_for_keyword("PatientName") == 0x00100010
    assert tag_for_keyword("StudyInstanceUID") == 0x0020000D
    assert keyword_for_tag(0x00100020) == "PatientID"
    assert keyword_for_tag(0x00091000) is None
    assert default_dictionary() is builtin_dictionary()
    assert dictionary.DICTIONARY_EDITION == "2024c"


def test_from_entries() -> None:
    small = DataDictionary.from_entries(
        [
            DictEntry(0x00100010, "PN", "1", "Patient's Name", "PatientName", False),
            DictEntry(0x00100010, "LO", "1", "Replaced", "Replaced", False),
        ]
    )
    assert len(small) == 1
    assert small.vr(0x00100010) == "LO"
    assert small.tag_for_keyword("Replaced") == 0x00100010
    assert small.vr(0x00100020) == "UN"
    assert small.vr(0x00090000) == "UL"  # group length rule still applies


# -- the DCMTK loader -------------------------------------------------------------------------


def _write(tmp_path: pathlib.Path, name: str, text: str) -> pathlib.Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dcmtk_loader_small_file(tmp_path: pathlib.Path) -> None:
    path = _write(
        tmp_path,
        "small.dic",
        "# comment\n"
        "   # indented comment\n"
        "\n"
        "(0010,0010)\tPN\tPatientName\t1\tDICOM\n"
        "(0008,0005)\tCS\tSpecificCharacterSet\t1-n\n"  # 4 fields: version defaults
        "(0008,0008)\tCS\tImageType\n"  # 3 fields: VM defaults to 1
        "(0028,1200)\tlt\tRETIRED_GrayLookupTableData\t1-n\tDICOM/retired\n"
        "(6000-60FF,0010)\tUS\tOverlayRows\t1\tDICOM\n"
        "(6001-o-60ff,3000)\tox\tOddOverlay\t1\tPRIVATE\n"
        "(0020,3100-31FF)\tCS\tRETIRED_SourceImageIDs\t1-n\tDICOM/retired\n"
        "(0021-u-0023,1000)\tUS\tBothParities\t2-2n\tTEST\n"
        '(0019,"ACME 1.0",08)\tDS\tAcmeValue\t1\tPrivateTag\n'
        '(6001-o-60ff,"ACME 1.0",10)\tUS\tAcmeRows\t1\tPrivateTag\n',
    )
    d = DataDictionary.from_dcmtk_files([path])
    assert d.entry(0x00100010) == DictEntry(
        0x00100010, "PN", "1", "PatientName", "PatientName", False
    )
    assert d.entry(0x00080005) == DictEntry(
        0x00080005, "CS", "1-n", "SpecificCharacterSet", "SpecificCharacterSet", False
    )
    assert d.vr(0x00080008) == "CS"
    gray = d.entry(0x00281200)
    assert gray is not None
    assert (gray.vr, gray.keyword, gray.retired) == ("US or SS or OW", "GrayLookupTableData", True)
    # (gggg-hhhh,...) means even groups only, -o- odd only, -u- both.
    assert d.keyword(0x60020010) == "OverlayRows"
    assert d.keyword(0x60FE0010) == "OverlayRows"
    assert d.keyword(0x60030010) == "PrivateCreator"
    assert d.keyword(0x60033000) == "OddOverlay"
    assert d.vr(0x60033000) == "OB or OW"
    assert d.entry(0x60023000) is None
    # An element range defaults to even elements too.
    assert d.keyword(0x00203102) == "SourceImageIDs"
    assert d.entry(0x00203103) is None
    assert d.keyword(0x00221000) == "BothParities"
    assert d.keyword(0x00211000) == "BothParities"
    assert d.entry(0x00241000) is None
    assert d.tag_for_keyword("OverlayRows") == 0x60000010
    # Private entries are kept under their creator (element low byte).
    acme = d.private_entry(0x00191008, "ACME 1.0")
    assert acme is not None
    assert (acme.vr, acme.keyword) == ("DS", "AcmeValue")
    assert d.private_entry(0x00191108, "ACME 1.0") is not None  # block 11 maps the same
    assert d.private_entry(0x00191008, "OTHER") is None
    assert d.private_entry(0x60051010, "ACME 1.0") is not None
    assert d.private_entry(0x60041010, "ACME 1.0") is None  # even group: not in the range
    assert d.entry(0x00191008) is None  # without its creator a private tag stays unknown
    # Skeleton entries are always present.
    assert d.vr(0xFFFEE000) == "NONE"
    assert d.vr(0x00100020) == "UN"


def test_dcmtk_later_files_override(tmp_path: pathlib.Path) -> None:
    first = _write(tmp_path, "a.dic", "(0010,0010)\tPN\tPatientName\t1\n(6000-60FF,0010)\tUS\tA\n")
    second = _write(tmp_path, "b.dic", "(0010,0010)\tLO\tOverridden\t1\n(6000-60FF,0010)\tSS\tB\n")
    d = DataDictionary.from_dcmtk_files([first, second])
    assert d.vr(0x00100010) == "LO"
    assert d.keyword(0x00100010) == "Overridden"
    assert d.vr(0x60020010) == "SS"
    assert len(d) == 3 + 1 + 1  # skeleton items, one exact, one repeating


def test_dcmtk_more_specific_range_wins(tmp_path: pathlib.Path) -> None:
    path = _write(
        tmp_path,
        "r.dic",
        "(0000-u-FFFF,0000)\tUL\tGenericGroupLength\n(0009-o-FFFF,0000)\tUL\tPrivateGroupLength\n",
    )
    d = DataDictionary.from_dcmtk_files([path])
    assert d.keyword(0x00090000) == "PrivateGroupLength"
    assert d.keyword(0x00080000) == "GenericGroupLength"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("(0010,0010)\tPN", "too few fields"),
        ("(0010,0010)\tPN\tName\t1\tDICOM\textra", "too many fields"),
        ("(0010,0010)\tZZ\tName\t1", "bad VR field"),
        ("(0010,0010)\tPN\tName\tone", "bad VM field"),
        ("(0010,0010)\tPN\tName\t1-", "bad VM field"),
        ("0010,0010\tPN\tName\t1", "bad tag field"),
        ("(0010)\tPN\tName\t1", "bad tag field"),
        ("(00G0,0010)\tPN\tName\t1", "bad tag field"),
        ("(12345,0010)\tPN\tName\t1", "bad tag field"),
        ("(6010-6000,0010)\tPN\tName\t1", "bad tag field"),
        ("(6000-x-60FF,0010)\tPN\tName\t1", "bad tag field"),
        ('(0019,"ACME,08)\tDS\tName\t1', "bad tag field"),
        ("(0010,0010)\tPN\t\t1", "empty name field"),
    ],
)
def test_dcmtk_malformed_lines(tmp_path: pathlib.Path, line: str, message: str) -> None:
    path = _write(tmp_path, "bad.dic", f"# header\n(0008,0005)\tCS\tSpecificCharacterSet\n{line}\n")
    with pytest.raises(DictionaryError, match=message) as info:
        DataDictionary.from_dcmtk_files([path])
    assert f"{path}:3" in str(info.value)


def test_dcmtk_missing_file(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "nope.dic"
    with pytest.raises(DictionaryError, match=r"nope\.dic"):
        DataDictionary.from_dcmtk_files([missing])
    with pytest.raises(DictionaryError, match="cannot read"):
        DataDictionary.from_dcmtk_files([tmp_path])  # a directory


def test_dcmtk_binary_garbage_is_a_dictionary_error(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "garbage.dic"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DictionaryError, match=r"garbage\.dic:1"):
        DataDictionary.from_dcmtk_files([path])


def _dcmtk_dicom_dic() -> str:
    require_program("dcmdump")
    found = sorted(glob.glob("/usr/share/libdcmtk*/dicom.dic"))
    if not found:
        pytest.skip("DCMTK is installed but ships no dicom.dic (built-in dictionary build)")
    return found[-1]


def test_dcmtk_own_dictionary_agrees_with_builtin(builtin: DataDictionary) -> None:
    path = _dcmtk_dicom_dic()
    dcmtk = DataDictionary.from_dcmtk_files([path])
    assert len(dcmtk) > 4500
    exact = [e for e in dcmtk.entries() if e.tag in ENTRIES]
    assert len(exact) > 4500
    # DCMTK's file is an older edition (2022b in DCMTK 3.6.7): allow the few entries the
    # standard changed since (retirements, one VM), and DCMTK's "lt" spelling of LUT Data's VR.
    keyword_diff = [e for e in exact if e.keyword != ENTRIES[e.tag][3]]
    vr_diff = [e for e in exact if e.vr != ENTRIES[e.tag][0]]
    vm_diff = [e for e in exact if e.vm != ENTRIES[e.tag][1]]
    retired_diff = [e for e in exact if e.retired != ENTRIES[e.tag][4]]
    assert len(keyword_diff) <= 5, keyword_diff
    assert {e.tag for e in vr_diff} <= {0x00283006}, vr_diff
    assert len(vm_diff) <= 5, vm_diff
    assert len(retired_diff) <= 30, retired_diff
    # Its repeating groups, and the entries it lists singly that PS3.6 lists as repeating groups,
    # agree with ours by keyword (a few entries were removed from the standard since).
    missing = []
    for entry in dcmtk.entries():
        if entry.tag in ENTRIES or entry.keyword.startswith(("Illegal", "Private", "Generic")):
            continue
        ours = builtin.entry(entry.tag)
        if ours is None:
            missing.append(entry)
            continue
        assert ours.keyword == entry.keyword, entry
    assert len(missing) <= 3, missing
    for tag in (0x60020010, 0x50100005, 0x7F020010):
        assert dcmtk.keyword(tag) == builtin.keyword(tag)


def test_dcmtk_all_shipped_dictionaries_load() -> None:
    path = _dcmtk_dicom_dic()
    files = sorted(glob.glob(os.path.join(os.path.dirname(path), "*.dic")))
    d = DataDictionary.from_dcmtk_files(files)
    assert d.vr(0x00100010) == "PN"


# -- DCMDICTPATH --------------------------------------------------------------------------------


def test_dcmdictpath_replaces_the_builtin(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = _write(tmp_path, "one.dic", "(0010,0010)\tLO\tMyName\t1\n")
    two = _write(tmp_path, "two.dic", "(0011,0010)\tLO\tOther\t1\n")
    monkeypatch.setenv("DCMDICTPATH", f"{one}{os.pathsep}{os.pathsep}{two}{os.pathsep}")
    d = default_dictionary()
    assert d is not builtin_dictionary()
    assert d.keyword(0x00100010) == "MyName"
    assert d.keyword(0x00110010) == "Other"
    assert d.entry(0x00100020) is None  # the built-in entries are gone, not merged
    assert tag_for_keyword("PatientID") is None
    assert keyword_for_tag(0x00100010) == "MyName"
    assert default_dictionary() is d  # cached per value
    monkeypatch.setenv("DCMDICTPATH", str(one))
    assert default_dictionary() is not d
    monkeypatch.delenv("DCMDICTPATH")
    assert default_dictionary() is builtin_dictionary()
    assert keyword_for_tag(0x00100010) == "PatientName"


@pytest.mark.parametrize("value", ["", os.pathsep, os.pathsep * 3])
def test_empty_dcmdictpath_means_builtin(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DCMDICTPATH", value)
    assert default_dictionary() is builtin_dictionary()


def test_dcmdictpath_unloadable_file_raises(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _write(tmp_path, "good.dic", "(0010,0010)\tLO\tMyName\t1\n")
    monkeypatch.setenv("DCMDICTPATH", f"{good}{os.pathsep}{tmp_path / 'missing.dic'}")
    with pytest.raises(DictionaryError, match=r"missing\.dic"):
        default_dictionary()
    with pytest.raises(DictionaryError):
        tag_for_keyword("PatientName")


@settings(max_examples=200, deadline=None)
@given(tag=st.integers(min_value=0, max_value=0xFFFFFFFF))
def test_any_tag_looks_up_consistently(tag: int) -> None:
    d = builtin_dictionary()
    entry = d.entry(tag)
    assert d.vr(tag) == ("UN" if entry is None else entry.vr)
    assert (tag in d) == (entry is not None)
    if entry is not None:
        assert d.entry(entry.tag) == entry  # an entry's own tag looks up to it
        if entry.keyword and entry.keyword not in ("PrivateCreator", "GenericGroupLength"):
            assert d.tag_for_keyword(entry.keyword) == entry.tag
    if tag >> 16 & 1 and (tag & 0xFFFF) > 0x00FF:
        assert entry is None  # private data elements are unknown without their creator


def _fresh_builtin() -> DataDictionary:
    from dicomnet.dataset import _dictionary_data
    from dicomnet.dataset.dictionary import _pattern_from_ps36

    patterns = [_pattern_from_ps36(t, row) for t, row in _dictionary_data.REPEATERS.items()]
    return DataDictionary(_dictionary_data.ENTRIES, patterns)


def test_exact_lookups_do_not_build_the_repeating_group_indexes() -> None:
    """A command looking up a few keywords (movescu -k) never pays for the pattern indexes."""
    d = _fresh_builtin()
    assert d.tag_for_keyword("StudyInstanceUID") == 0x0020000D
    assert d.vr(0x0020000D) == "UI"
    assert d._groups is None
    assert d._named is None
    assert d.tag_for_keyword("OverlayData") == 0x60003000  # a repeating-group keyword
    assert d._named is not None


@pytest.mark.parametrize("first", ["keyword", "vr", "entries", "entry"])
def test_lazy_indexes_give_the_same_answers_whatever_is_asked_first(first: str) -> None:
    d = _fresh_builtin()
    if first == "keyword":
        d.tag_for_keyword("OverlayRows")
    elif first == "vr":
        d.vr(0x60023000)
    elif first == "entries":
        list(d.entries())
    else:
        d.entry(0x50200010)
    reference = builtin_dictionary()
    for tag in (0x60023000, 0x50200010, 0x00280410, 0x7F110010, 0x60000000, 0x00091001):
        assert d.entry(tag) == reference.entry(tag)
        assert d.vr(tag) == reference.vr(tag)
    for keyword in ("OverlayRows", "CurveData", "VariablePixelData", "PatientName", "Nope"):
        assert d.tag_for_keyword(keyword) == reference.tag_for_keyword(keyword)
    assert list(d.entries()) == list(reference.entries())
