"""File names of received objects: DCMTK's table, and no peer-chosen path ever."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dicomnet.services.naming import (
    UnsafeFileNameError,
    check_file_name,
    dcmtk_file_name,
    is_safe_uid,
)

TSV = Path("/work/shared/storage-sop-classes.tsv")

HOSTILE_UIDS = [
    "",
    ".",
    "..",
    "../1.2.3",
    "1.2/../../etc/passwd",
    "/etc/passwd",
    "/1.2.3",
    "1.2.3/",
    "1.2.3\\..\\x",
    "1.2..3",
    ".1.2",
    "1.2.",
    "1.2.3\x00/x",
    "1.2.3\n",
    "1.2.\x1b3",
    "1.2.3 4",
    "1" * 65,
    "1.2.3a",
    "C:1.2",
    "１.２",  # full-width digits are not ASCII digits
]


def test_dcmtk_names_for_known_classes() -> None:
    assert dcmtk_file_name("1.2.840.10008.5.1.4.1.1.2", "1.2.3") == "CT.1.2.3"
    assert dcmtk_file_name("1.2.840.10008.5.1.4.1.1.4", "1.2.3") == "MR.1.2.3"
    assert dcmtk_file_name("1.2.840.10008.5.1.4.1.1.7", "1.2.3\x00") == "SC.1.2.3"
    assert dcmtk_file_name("1.2.840.10008.5.1.4.1.1.88.11", "9") == "SRt.9"


def test_unknown_class_is_unknown() -> None:
    assert dcmtk_file_name("1.2.3.4.5", "1.2.3") == "UNKNOWN.1.2.3"
    assert dcmtk_file_name("1.2.840.10008.1.1", "1.2.3") == "UNKNOWN.1.2.3"  # not storage


def test_every_table_row_gives_its_prefix() -> None:
    if not TSV.exists():
        pytest.skip("shared storage-sop-classes.tsv not present")
    rows = [r for r in csv.reader(TSV.open(), delimiter="\t") if r and not r[0].startswith("#")]
    checked = 0
    for uid, prefix, *_ in rows[1:]:
        assert dcmtk_file_name(uid, "1.2.3") == f"{prefix}.1.2.3", uid
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("uid", HOSTILE_UIDS)
def test_hostile_instance_uid_is_never_a_name(uid: str) -> None:
    assert not is_safe_uid(uid.rstrip("\x00 ")) or uid.rstrip("\x00 ") != uid
    with pytest.raises(UnsafeFileNameError):
        dcmtk_file_name("1.2.840.10008.5.1.4.1.1.2", uid)


def test_leading_zero_components_are_tolerated() -> None:
    # Invalid per PS3.5 §9.1 but harmless in a name: not losing such objects.
    assert dcmtk_file_name("1.2.840.10008.5.1.4.1.1.2", "1.02.3") == "CT.1.02.3"
    assert is_safe_uid("1" * 64)


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "a/b", "a\\b", "", "a\x00", "x" * 256])
def test_check_file_name_rejects(name: str) -> None:
    with pytest.raises(UnsafeFileNameError):
        check_file_name(name)


def test_check_file_name_accepts_plain() -> None:
    assert check_file_name("RB_d.1.2.3") == "RB_d.1.2.3"
