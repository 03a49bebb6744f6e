"""Value decoding helpers (PS3.5 §6.2): PN components, DA/TM/DT, DS/IS, converter table."""

from __future__ import annotations

import datetime
import decimal

import pytest

from dicomnet.dataset.values import (
    CONVERTERS,
    PersonName,
    decode_value,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_float,
    parse_int,
    parse_time,
)
from dicomnet.dataset.vr import ALL_VRS
from dicomnet.errors import DatasetDecodeError


def test_converter_table_covers_every_vr_but_sq() -> None:
    assert set(CONVERTERS) == ALL_VRS - {"SQ"}


def test_person_name_components() -> None:
    pn = PersonName("Yamada^Tarou^M^Dr^Jr=山田^太郎=やまだ^たろう")
    assert pn == "Yamada^Tarou^M^Dr^Jr=山田^太郎=やまだ^たろう"  # still the text
    assert pn.alphabetic == "Yamada^Tarou^M^Dr^Jr"
    assert pn.ideographic == "山田^太郎"
    assert pn.phonetic == "やまだ^たろう"
    assert (pn.family_name, pn.given_name, pn.middle_name) == ("Yamada", "Tarou", "M")
    assert (pn.name_prefix, pn.name_suffix) == ("Dr", "Jr")
    assert pn.components(1) == ("山田", "太郎", "", "", "")
    short = PersonName("Doe")
    assert short.groups == ("Doe", "", "")
    assert short.given_name == ""


def test_pn_multi_value_and_padding() -> None:
    assert decode_value("PN", b"A^B\\C^D ") == ["A^B", "C^D"]
    assert decode_value("PN", b"A^B\0") == "A^B"


def test_string_padding_rules() -> None:
    assert decode_value("UI", b"1.2.3\0") == "1.2.3"
    assert decode_value("CS", b" A\\B ") == [" A", "B"]  # leading space of CS kept, as read
    assert decode_value("AE", b"  AE1 ") == "AE1"
    assert decode_value("DS", b" 1.5\\ -2 ") == ["1.5", "-2"]
    assert decode_value("LT", b"  indented text  ") == "  indented text"
    assert decode_value("UR", b"http://a b ") == "http://a b"
    assert decode_value("LO", b"") == ""


def test_numbers_and_tags_both_byte_orders() -> None:
    assert decode_value("US", b"\x01\x02", True) == 0x0201
    assert decode_value("US", b"\x01\x02", False) == 0x0102
    assert decode_value("SL", b"\xff\xff\xff\xff", True) == -1
    assert decode_value("FD", b"\x00" * 16, True) == [0.0, 0.0]
    assert decode_value("AT", b"\x10\x00\x20\x00", True) == 0x00100020
    assert decode_value("AT", b"\x00\x10\x00\x20", False) == 0x00100020
    assert decode_value("UV", b"") is None
    with pytest.raises(DatasetDecodeError, match="multiple of 4"):
        decode_value("UL", b"\0\0\0")


def test_other_vrs_swapped_from_big_endian() -> None:
    assert decode_value("OW", b"\x01\x02\x03\x04", False) == b"\x02\x01\x04\x03"
    assert decode_value("OL", b"\x01\x02\x03\x04", False) == b"\x04\x03\x02\x01"
    assert decode_value("OD", bytes(range(8)), False) == bytes(range(7, -1, -1))
    assert decode_value("OW", b"\x01\x02\x03", False) == b"\x02\x01\x03"  # odd: tail kept
    assert decode_value("OB", b"\x01\x02", False) == b"\x01\x02"
    assert decode_value("XX", b"\x01\x02", False) == b"\x01\x02"  # unknown VR: bytes


def test_date_time_helpers() -> None:
    assert parse_date("20240229") == datetime.date(2024, 2, 29)
    assert parse_date("2024.02.29") == datetime.date(2024, 2, 29)
    assert parse_time("1011") == datetime.time(10, 11)
    assert parse_time("101112.5") == datetime.time(10, 11, 12, 500000)
    assert parse_time("10:11:12") == datetime.time(10, 11, 12)
    assert parse_time("235960") == datetime.time(23, 59, 59, 999999)
    aware = parse_datetime("20240102030405.123456+0100")
    assert aware == datetime.datetime(
        2024, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    assert parse_datetime("2024") == datetime.datetime(2024, 1, 1)
    for bad, parse in (("20240230", parse_date), ("2460", parse_time), ("2024-01", parse_datetime)):
        with pytest.raises(DatasetDecodeError):
            parse(bad)  # type: ignore[operator]


def test_number_string_helpers() -> None:
    assert parse_decimal(" 1.50 ") == decimal.Decimal("1.50")
    assert parse_float("-2.5e3") == -2500.0
    assert parse_float(".5") == 0.5
    assert parse_int(" +12 ") == 12
    for bad in ("1.2.3", "abc", ""):
        with pytest.raises(DatasetDecodeError):
            parse_decimal(bad)
    with pytest.raises(DatasetDecodeError):
        parse_int("1.0")
