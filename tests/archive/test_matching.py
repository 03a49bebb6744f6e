"""PS3.4 C.2.2.2 matching, unit level (dicomnet.archive.matching), with a regex-free oracle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.archive.matching import (
    is_universal,
    match_sequence,
    match_value,
    matches,
    normalise_dt,
    normalise_tm,
)


@pytest.mark.parametrize(
    ("vr", "key", "value", "expected"),
    [
        # universal (C.2.2.2.3)
        ("LO", "", "anything", True),
        ("LO", None, "", True),
        ("PN", "*", "", True),
        ("DA", "", "", True),
        ("UI", "", "1.2", True),
        # empty value matching (C.2.2.2.1, "")
        ("LO", '""', "", True),
        ("LO", '""', None, True),
        ("LO", '""', "x", False),
        ("DA", '""', "20200101", False),
        # single value (C.2.2.2.1): case-sensitive except PN
        ("LO", "PID1", "PID1", True),
        ("LO", "pid1", "PID1", False),
        ("CS", "CT", "CT", True),
        ("CS", "ct", "CT", False),
        ("PN", "DOE^JANE", "Doe^Jane", True),
        ("PN", "Doe^Jane^", "Doe^Jane", True),
        ("PN", "Doe^Jane", "Doe^Jane^^", True),
        ("PN", "Doe", "Doe^Jane", False),
        ("LO", "PID1", "", False),
        ("LO", "PID1 ", "PID1", True),
        ("IS", "2", "2", True),
        # multi-valued record: any value (Modalities in Study)
        ("CS", "MR", "CT\\MR", True),
        ("CS", "US", "CT\\MR", False),
        # wildcards (C.2.2.2.4)
        ("LO", "P*", "PID1", True),
        ("LO", "*1", "PID1", True),
        ("LO", "P?D1", "PID1", True),
        ("LO", "P?1", "PID1", False),
        ("LO", "P*D*1", "PID1", True),
        ("LO", "*ct", "Head CT", False),
        ("PN", "*mary*", "O'Brien^Mary^^Dr", True),
        ("PN", "o'brien^mary*", "O'Brien^Mary^^Dr", True),
        ("LO", "a.c", "abc", False),  # a dot is literal
        ("LO", "[ab]*", "a", False),  # brackets are literal
        ("LO", "[ab]*", "[ab]c", True),
        ("UI", "1.2*", "1.2.3", False),  # no wildcards on UI
        # list of UIDs (C.2.2.2.2)
        ("UI", "1.2\\1.3", "1.3", True),
        ("UI", "1.2\\1.3", "1.4", False),
        ("UI", "1.2", "1.2", True),
        ("UI", "1.2", "1.20", False),
        # range (C.2.2.2.5)
        ("DA", "-20200101", "20191231", True),
        ("DA", "-20200101", "20200101", True),
        ("DA", "-20200101", "20200102", False),
        ("DA", "20200101-", "20200101", True),
        ("DA", "20200101-", "20191231", False),
        ("DA", "20200101-20201231", "20200615", True),
        ("DA", "20200101-20201231", "20210101", False),
        ("DA", "20200101-20201231", "", False),
        ("DA", "20200101", "20200101", True),
        ("DA", "20200101", "2020.01.01", True),  # ACR-NEMA form
        ("DA", "20200101-", "garbage", False),
        ("TM", "1000-1200", "120059", True),
        ("TM", "1000-1200", "1201", False),
        ("TM", "1000-1200", "0959", False),
        ("TM", "10-", "100000.5", True),
        ("TM", "-08", "080000", True),
        ("TM", "-08", "090000", False),
        ("TM", "1200", "120000", True),
        ("TM", "10:00-12:00", "11:30", True),
        ("DT", "2020-", "20200101120000", True),
        ("DT", "-2020", "20201231235959", True),
        ("DT", "-2020", "20210101", False),
        ("DT", "20200601-20200630", "20200615093000.5+0100", True),
    ],
)
def test_match_value(vr: str, key: str | None, value: str | None, expected: bool) -> None:
    assert match_value(vr, key, value) is expected


def test_normalise() -> None:
    assert normalise_tm("10") == "100000.000000"
    assert normalise_tm("1030.25") == "103000.250000"
    assert normalise_tm("1x") == ""
    assert normalise_dt("2020") == "20200101000000.000000"
    assert normalise_dt("202006") == "20200601000000.000000"
    assert normalise_dt("20200615123456.789-0500") == "20200615123456.789000"
    assert normalise_dt("20") == ""


def test_is_universal() -> None:
    assert is_universal("")
    assert is_universal("**")
    assert is_universal(None)
    assert not is_universal("*a")
    assert not is_universal('""')


def test_matches_every_key() -> None:
    record = {"PatientID": "PID1", "PatientName": "Doe^Jane"}
    assert matches([("PatientID", "LO", "PID1"), ("PatientName", "PN", "doe*")], record)
    assert not matches([("PatientID", "LO", "PID1"), ("PatientName", "PN", "x*")], record)
    assert not matches([("Modality", "CS", "CT")], record)  # absent: an empty value


def test_sequence_matching() -> None:
    items = [
        {"ReferencedSOPClassUID": "1.2", "ReferencedSOPInstanceUID": "1.2.3"},
        {"ReferencedSOPClassUID": "1.4", "ReferencedSOPInstanceUID": "1.4.5"},
    ]
    both = [("ReferencedSOPClassUID", "UI", "1.4"), ("ReferencedSOPInstanceUID", "UI", "1.4.5")]
    assert match_sequence(both, items)
    mixed = [("ReferencedSOPClassUID", "UI", "1.2"), ("ReferencedSOPInstanceUID", "UI", "1.4.5")]
    assert not match_sequence(mixed, items)  # every key within one item
    assert match_sequence([("ReferencedSOPClassUID", "UI", "")], [])  # universal item
    assert not match_sequence([("ReferencedSOPClassUID", "UI", "1.2")], [])


def _oracle(key: str, value: str) -> bool:
    """Wildcard matching by dynamic programming over characters (no regex)."""
    table = [[False] * (len(value) + 1) for _ in range(len(key) + 1)]
    table[0][0] = True
    for i, k in enumerate(key, 1):
        table[i][0] = table[i - 1][0] and k == "*"
        for j, v in enumerate(value, 1):
            if k == "*":
                table[i][j] = table[i - 1][j] or table[i][j - 1]
            else:
                table[i][j] = table[i - 1][j - 1] and (k == "?" or k == v)
    return table[-1][-1]


_TEXT = st.text(alphabet="ab*?.^[", min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(key=_TEXT, value=st.text(alphabet="ab.^[", min_size=1, max_size=8))
def test_wildcards_agree_with_an_oracle(key: str, value: str) -> None:
    expected = True if set(key) == {"*"} else _oracle(key, value)
    assert match_value("LO", key, value) is expected


@settings(max_examples=200, deadline=None)
@given(
    low=st.dates().map(lambda d: d.isoformat().replace("-", "")),
    high=st.dates().map(lambda d: d.isoformat().replace("-", "")),
    value=st.dates().map(lambda d: d.isoformat().replace("-", "")),
)
def test_date_ranges_agree_with_comparison(low: str, high: str, value: str) -> None:
    assert match_value("DA", f"{low}-{high}", value) is (low <= value <= high)
    assert match_value("DA", f"-{high}", value) is (value <= high)
    assert match_value("DA", f"{low}-", value) is (low <= value)


def test_empty_value_matching_can_be_off() -> None:
    assert not match_value("LO", '""', "", empty_value_matching=False)
    assert match_value("LO", '""', '""', empty_value_matching=False)
    assert matches([("X", "LO", '""')], {"X": ""})
    assert not matches([("X", "LO", '""')], {"X": ""}, empty_value_matching=False)


@pytest.mark.parametrize("vr", ["AS", "DS", "IS", "UI", "DA"])
def test_wildcards_are_literal_outside_their_vrs(vr: str) -> None:
    assert not match_value(vr, "1*", "12")
