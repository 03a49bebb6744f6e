"""encode_value: per-VR value fields (PS3.5 §6.2 Table 6.2-1, §7.3 byte order), even padding."""

from __future__ import annotations

import datetime
import decimal
import struct

import pytest

from dicomnet.dataset.charset import SpecificCharacterSet
from dicomnet.dataset.values import decode_value
from dicomnet.dataset.writer import encode_value
from dicomnet.errors import DatasetEncodeError


@pytest.mark.parametrize(
    ("vr", "value", "le", "be"),
    [
        ("US", 1, b"\x01\x00", b"\x00\x01"),
        ("US", [1, 2], b"\x01\x00\x02\x00", b"\x00\x01\x00\x02"),
        ("SS", -2, b"\xfe\xff", b"\xff\xfe"),
        ("UL", 0x01020304, b"\x04\x03\x02\x01", b"\x01\x02\x03\x04"),
        ("SL", -1, b"\xff" * 4, b"\xff" * 4),
        ("UV", 2**63 + 5, struct.pack("<Q", 2**63 + 5), struct.pack(">Q", 2**63 + 5)),
        ("SV", [-1, 2**40], struct.pack("<2q", -1, 2**40), struct.pack(">2q", -1, 2**40)),
        ("FL", 1.5, struct.pack("<f", 1.5), struct.pack(">f", 1.5)),
        ("FD", [0.5, -2.0], struct.pack("<2d", 0.5, -2.0), struct.pack(">2d", 0.5, -2.0)),
        ("AT", 0x00100020, b"\x10\x00\x20\x00", b"\x00\x10\x00\x20"),
        (
            "AT",
            [0x7FE00010, 1],
            b"\xe0\x7f\x10\x00\x00\x00\x01\x00",
            b"\x7f\xe0\x00\x10\x00\x00\x00\x01",
        ),
        ("OW", b"\x01\x02\x03\x04", b"\x01\x02\x03\x04", b"\x02\x01\x04\x03"),
        ("OF", b"\x01\x02\x03\x04", b"\x01\x02\x03\x04", b"\x04\x03\x02\x01"),
        ("OD", bytes(range(8)), bytes(range(8)), bytes(range(7, -1, -1))),
        ("OB", b"\x01\x02", b"\x01\x02", b"\x01\x02"),
        ("UN", b"\x01\x02", b"\x01\x02", b"\x01\x02"),
    ],
)
def test_binary_values_in_both_byte_orders(vr: str, value: object, le: bytes, be: bytes) -> None:
    assert encode_value(vr, value, True) == le
    assert encode_value(vr, value, False) == be
    # and the reader decodes them back (binary VRs come back in little-endian order)
    assert decode_value(vr, encode_value(vr, value, False), False) == value


@pytest.mark.parametrize(
    ("vr", "value", "encoded"),
    [
        ("LO", "ABC", b"ABC "),  # odd text: trailing space (PS3.5 §6.2)
        ("UI", "1.2.3", b"1.2.3\x00"),  # UI: trailing NUL
        ("OB", b"\x01\x02\x03", b"\x01\x02\x03\x00"),  # binary: NUL
        ("CS", ["A", "BC"], b"A\\BC"),  # multi-value: backslash
        ("PN", "Doe^John", b"Doe^John"),
        ("ST", "a\\b", b"a\\b "),  # backslash is text in ST
        ("DS", 1.25, b"1.25"),
        ("DS", 3, b"3 "),
        ("DS", decimal.Decimal("-0.5"), b"-0.5"),
        ("DS", [1.0, 2.5], b"1\\2.5 "),
        ("DS", 1 / 3, b"0.33333333333333"),  # at most 16 characters
        ("IS", [1, -20], b"1\\-20 "),
        ("DA", datetime.date(2024, 1, 2), b"20240102"),
        ("TM", datetime.time(1, 2, 3), b"010203"),
        ("TM", datetime.time(1, 2, 3, 500), b"010203.000500 "),
        ("DT", datetime.datetime(2024, 1, 2, 3, 4, 5), b"20240102030405"),
        (
            "DT",
            datetime.datetime(
                2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
            ),
            b"20240102030405+0100 ",
        ),
        ("LO", b"raw", b"raw "),  # bytes: already encoded text
        ("LO", "", b""),
        ("US", None, b""),
        ("US", [], b""),
    ],
)
def test_values_and_padding(vr: str, value: object, encoded: bytes) -> None:
    assert encode_value(vr, value) == encoded
    assert len(encoded) % 2 == 0


def test_text_uses_the_character_set() -> None:
    latin1 = SpecificCharacterSet.from_value("ISO_IR 100")
    utf8 = SpecificCharacterSet.from_value("ISO_IR 192")
    assert encode_value("PN", "Buc^Jérôme", charset=latin1) == "Buc^Jérôme".encode("latin-1")
    assert encode_value("LO", "王", charset=utf8) == "王".encode() + b" "
    jis = SpecificCharacterSet.from_value(["", "ISO 2022 IR 87"])
    assert encode_value("PN", "Yamada^Tarou=山田^太郎", charset=jis) == (
        b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B"
    )
    # the character set does not apply to VRs it does not affect (PS3.5 §6.1.2.3)
    assert encode_value("CS", "ABC", charset=utf8) == b"ABC "


@pytest.mark.parametrize(
    ("vr", "value"),
    [
        ("US", 70000),
        ("US", -1),
        ("US", "1"),
        ("SS", 1.5),
        ("OB", "text"),
        ("SQ", []),
        ("LO", "王"),  # default repertoire cannot encode it
        ("DS", object()),
        ("IS", True),
        ("AT", "x"),
    ],
)
def test_values_that_cannot_be_written(vr: str, value: object) -> None:
    with pytest.raises(DatasetEncodeError):
        encode_value(vr, value)


def test_charset_refusal_is_an_encode_error() -> None:
    latin1 = SpecificCharacterSet.from_value("ISO_IR 100")
    with pytest.raises(DatasetEncodeError):
        encode_value("LO", "王", charset=latin1)
