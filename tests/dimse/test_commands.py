"""Command set codec (PS3.7 §6.3.1, Annex E): round trips, oracles, and every malformed case."""

from __future__ import annotations

import contextlib
import io
import struct
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.filereader import read_dataset

from dicomnet.dimse import (
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    CFindRSP,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    CStoreRQ,
    CStoreRSP,
    DIMSEDecodeError,
    DIMSEEncodeError,
    DimseMessage,
    Priority,
    decode_command,
    encode_command,
)
from dicomnet.errors import LocalProtocolError, RemoteProtocolError
from tests.dimse.oracles import KEYWORDS, pynetdicom_can_express, pynetdicom_command_bytes
from tests.dimse.strategies import MESSAGE_TYPES, message_strategy, messages

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

STORE = CStoreRQ(
    message_id=7,
    affected_sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
    affected_sop_instance_uid="1.2.3.4",
    move_originator_application_entity_title="MOVESCU",
    move_originator_message_id=3,
)


def element(tag: int, value: bytes) -> bytes:
    return struct.pack("<HHL", tag >> 16, tag & 0xFFFF, len(value)) + value


def us(tag: int, value: int) -> bytes:
    return element(tag, struct.pack("<H", value))


def command(*elements: bytes) -> bytes:
    body = b"".join(elements)
    return element(0, struct.pack("<L", len(body))) + body


ECHO_BODY = (
    element(0x00000002, b"1.2.840.10008.1.1\x00"),
    us(0x00000100, 0x0030),
    us(0x00000110, 1),
    us(0x00000800, 0x0101),
)


@pytest.mark.parametrize("cls", MESSAGE_TYPES, ids=lambda c: c.message_name)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_message_round_trips(cls: type[DimseMessage], data: st.DataObject) -> None:
    message = data.draw(message_strategy(cls))
    encoded = encode_command(message)
    assert decode_command(encoded) == message
    assert decode_command(memoryview(encoded)) == message
    assert len(encoded) % 2 == 0


@SETTINGS
@given(message=messages)
def test_pydicom_reads_the_same_values(message: DimseMessage) -> None:
    """pydicom, reading our bytes as implicit VR LE, sees every field we wrote."""
    encoded = encode_command(message)
    ds = read_dataset(io.BytesIO(encoded), True, True)
    assert ds.CommandGroupLength == len(encoded) - 12
    assert ds.CommandField == message.command_field
    assert ds.CommandDataSetType == (0x0101 if not message.has_dataset else 0x0001)
    seen = {elem.keyword for elem in ds}
    for field in attrs.fields(type(message)):
        if field.name == "has_dataset":
            continue
        value = getattr(message, field.name)
        keyword = KEYWORDS[field.name]
        if value is None:
            assert keyword not in seen
            continue
        theirs = ds[keyword].value
        if field.name == "offending_element":
            if isinstance(theirs, int):
                theirs = (theirs,)
            else:
                theirs = () if theirs in (None, b"", "") else tuple(theirs)
        elif isinstance(value, str):
            theirs = "" if theirs is None else str(theirs).rstrip(" ")
        assert theirs == value, field.name
    assert list(ds.keys()) == sorted(ds.keys())


@SETTINGS
@given(message=messages)
def test_bytes_equal_pynetdicom(message: DimseMessage) -> None:
    """pynetdicom building the same command produces the same bytes.

    Documented difference: pynetdicom has no OffendingElement on C-ECHO-RSP (PS3.7 Annex C lets
    any failure carry it), and only some message types may carry a data set there.
    """
    if not pynetdicom_can_express(message):
        return
    assert encode_command(message) == pynetdicom_command_bytes(message)


def test_known_bytes() -> None:
    encoded = encode_command(CEchoRQ(message_id=1))
    assert encoded == command(*ECHO_BODY)
    assert decode_command(encoded) == CEchoRQ(message_id=1)


def test_padding_by_vr() -> None:
    encoded = encode_command(
        CMoveRQ(message_id=1, affected_sop_class_uid="1.2.3", move_destination="ABC")
    )
    assert element(0x00000002, b"1.2.3\x00") in encoded  # UI: NUL
    assert element(0x00000600, b"ABC ") in encoded  # AE: space
    rsp = encode_command(
        CStoreRSP(message_id_being_responded_to=1, status=0xC000, error_comment="bad")
    )
    assert element(0x00000902, b"bad ") in rsp  # LO: space


def test_decoder_tolerates_unused_group_0000_elements() -> None:
    """Retired or N-service elements (Error ID here) are skipped, not an error."""
    data = command(
        element(0x00000002, b"1.2.840.10008.1.1\x00"),
        us(0x00000100, 0x8030),
        us(0x00000120, 5),
        us(0x00000800, 0x0101),
        us(0x00000900, 0),
        us(0x00000903, 77),
    )
    assert decode_command(data) == CEchoRSP(message_id_being_responded_to=5)


def test_error_comment_keeps_any_byte() -> None:
    data = command(
        us(0x100, 0x8001),
        us(0x120, 1),
        us(0x800, 0x101),
        us(0x900, 0xC000),
        element(0x902, b"caf\xe9"),
    )
    decoded = decode_command(data)
    assert decoded == CStoreRSP(
        message_id_being_responded_to=1, status=0xC000, error_comment="caf\xe9"
    )
    assert encode_command(decoded) == data


def test_any_non_0101_data_set_type_means_a_data_set() -> None:
    body = list(ECHO_BODY)
    body[3] = us(0x00000800, 0xFEFE)
    assert decode_command(command(*body)).has_dataset


def test_optional_fields_absent_or_empty() -> None:
    data = command(
        us(0x00000100, 0x8001),
        us(0x00000120, 9),
        us(0x00000800, 0x0101),
        us(0x00000900, 0),
        element(0x00000901, b""),
        element(0x00001000, b""),
    )
    assert decode_command(data) == CStoreRSP(
        message_id_being_responded_to=9,
        status=0,
        offending_element=(),
        affected_sop_instance_uid="",
    )


MALFORMED = {
    "empty": b"",
    "too short": b"\x00\x00\x00\x00\x04\x00",
    "no group length": command(*ECHO_BODY)[12:],
    "group length too big": element(0, struct.pack("<L", 999)) + b"".join(ECHO_BODY),
    "group length too small": element(0, struct.pack("<L", 4)) + b"".join(ECHO_BODY),
    "group length wrong size": element(0, struct.pack("<H", 0)) + b"".join(ECHO_BODY),
    "truncated header": command(*ECHO_BODY, b"\x00\x00\x00"),
    "value past end": command(*ECHO_BODY[:3], struct.pack("<HHL", 0, 0x800, 200)),
    "undefined length": command(*ECHO_BODY[:3], struct.pack("<HHL", 0, 0x800, 0xFFFFFFFF)),
    "non-group-0000": command(*ECHO_BODY, element(0x00080018, b"1.2\x00")),
    "out of order": command(ECHO_BODY[1], ECHO_BODY[0], *ECHO_BODY[2:]),
    "repeated": command(*ECHO_BODY[:3], ECHO_BODY[2], ECHO_BODY[3]),
    "US of 4 bytes": command(
        *ECHO_BODY[:2], element(0x00000110, b"\x01\x00\x00\x00"), ECHO_BODY[3]
    ),
    "US of 1 byte": command(*ECHO_BODY[:2], element(0x00000110, b"\x01"), ECHO_BODY[3]),
    "UI too long": command(element(0x00000002, b"1." * 33), *ECHO_BODY[1:]),
    "UI not ASCII": command(element(0x00000002, b"1.\xff"), *ECHO_BODY[1:]),
    "AT length 6": command(
        us(0x100, 0x8001),
        us(0x120, 1),
        us(0x800, 0x101),
        us(0x900, 0xC000),
        element(0x901, bytes(6)),
    ),
    "LO too long": command(
        us(0x100, 0x8001), us(0x120, 1), us(0x800, 0x101), us(0x900, 0), element(0x902, b"x" * 66)
    ),
    "missing command field": command(ECHO_BODY[0], *ECHO_BODY[2:]),
    "missing message id": command(*ECHO_BODY[:2], ECHO_BODY[3]),
    "missing data set type": command(*ECHO_BODY[:3]),
    "missing sop class": command(*ECHO_BODY[1:]),
    "missing status": command(us(0x100, 0x8030), us(0x120, 1), us(0x800, 0x101)),
    "missing priority": command(
        element(0x2, b"1.2\x00"),
        us(0x100, 0x0001),
        us(0x110, 1),
        us(0x800, 1),
        element(0x1000, b"1.3\x00"),
    ),
    "missing move destination": command(
        element(0x2, b"1.2\x00"), us(0x100, 0x0021), us(0x110, 1), us(0x700, 0), us(0x800, 1)
    ),
    "unknown command field": command(ECHO_BODY[0], us(0x100, 0x1234), *ECHO_BODY[2:]),
    "N-service command field": command(ECHO_BODY[0], us(0x100, 0x0130), *ECHO_BODY[2:]),
    "AE too long": command(
        element(0x2, b"1.2\x00"),
        us(0x100, 0x21),
        us(0x110, 1),
        element(0x600, b"A" * 18),
        us(0x700, 0),
        us(0x800, 1),
    ),
    "unknown priority": command(
        element(0x2, b"1.2\x00"), us(0x100, 0x0020), us(0x110, 1), us(0x700, 9), us(0x800, 1)
    ),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_command_sets_raise_the_typed_error(data: bytes) -> None:
    with pytest.raises(DIMSEDecodeError) as info:
        decode_command(data)
    assert isinstance(info.value, RemoteProtocolError)
    assert (info.value.abort_source, info.value.abort_reason) == (0, 0)
    assert str(info.value)


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("non-group-0000", "not in command group 0000"),
        ("missing message id", "MessageID (0000,0110) is missing"),
        ("N-service command field", "N-ACTION-RQ is not a DIMSE-C message"),
        ("US of 4 bytes", "US, VM 1, but has length 4"),
        ("group length too big", "CommandGroupLength is 999"),
    ],
)
def test_errors_say_what_is_wrong(name: str, needle: str) -> None:
    with pytest.raises(DIMSEDecodeError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        decode_command(MALFORMED[name])


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_decode_or_raise_the_typed_error(data: bytes) -> None:
    with contextlib.suppress(DIMSEDecodeError):
        decode_command(data)


@settings(max_examples=200, deadline=None)
@given(
    message=messages,
    edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
    cut=st.integers(0, 400),
)
def test_mutated_command_sets_decode_or_raise_the_typed_error(
    message: DimseMessage, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(encode_command(message))
    for position, value in edits:
        if position < len(data):
            data[position] = value
    for candidate in (bytes(data), bytes(data[:cut])):
        try:
            decoded = decode_command(candidate)
        except DIMSEDecodeError:
            continue
        assert decode_command(encode_command(decoded)) == decoded


@pytest.mark.parametrize(
    "message",
    [
        CEchoRQ(message_id=70000),
        CEchoRQ(message_id=-1),
        CStoreRSP(message_id_being_responded_to=1, status=0x10000),
        CMoveRQ(message_id=1, affected_sop_class_uid="1.2", move_destination="A" * 17),
        CMoveRQ(message_id=1, affected_sop_class_uid="1.2", move_destination="Ä"),
        CEchoRQ(message_id=1, affected_sop_class_uid="1" * 65),
        CFindRSP(message_id_being_responded_to=1, status=0, error_comment="x" * 65),
        CFindRSP(message_id_being_responded_to=1, status=0, error_comment="\u20ac"),
        CGetRSP(message_id_being_responded_to=1, status=0, offending_element=(1 << 32,)),
        CGetRSP(message_id_being_responded_to=1, status=0, offending_element=(-1,)),
        CCancelRQ(message_id_being_responded_to="1"),  # type: ignore[arg-type]
        CEchoRQ(message_id=1, affected_sop_class_uid=5),  # type: ignore[arg-type]
    ],
)
def test_unencodable_values_raise_a_local_error(message: DimseMessage) -> None:
    with pytest.raises(DIMSEEncodeError) as info:
        encode_command(message)
    assert isinstance(info.value, LocalProtocolError)
    assert isinstance(info.value, ValueError)


def test_any_buffer_shape_decodes() -> None:
    encoded = encode_command(STORE)
    doubled = bytes(b for byte in encoded for b in (byte, 0))
    assert decode_command(memoryview(doubled)[::2]) == STORE
    assert decode_command(memoryview(encoded).cast("H")) == STORE
    assert decode_command(bytearray(encoded)) == STORE


def test_not_a_message() -> None:
    with pytest.raises(DIMSEEncodeError):
        encode_command("C-ECHO")  # type: ignore[arg-type]


def test_priority_and_defaults() -> None:
    assert STORE.priority is Priority.MEDIUM
    assert STORE.has_dataset
    assert not CEchoRQ(message_id=1).has_dataset
    decoded = decode_command(encode_command(attrs.evolve(STORE, priority=Priority.LOW)))
    assert decoded.priority is Priority.LOW  # type: ignore[union-attr]


_UIDS = st.one_of(st.none(), st.text(alphabet="0123456789.", min_size=1, max_size=64))


@settings(max_examples=200, deadline=None)
@given(
    message_id=st.integers(-2, 0x10001),
    status=st.integers(-2, 0x10001),
    sop_class=_UIDS,
    sop_instance=_UIDS,
    comment=st.one_of(st.none(), st.text(alphabet="abc xyz", max_size=10)),
)
def test_c_store_rsp_template_gives_the_general_encoding(
    message_id: int,
    status: int,
    sop_class: str | None,
    sop_instance: str | None,
    comment: str | None,
) -> None:
    """The C-STORE-RSP template (PS3.7 §9.3.1.2) produces exactly the general encoder's bytes,
    and the same error for a value that does not fit."""
    from dicomnet.dimse import commands

    message = CStoreRSP(
        message_id_being_responded_to=message_id,
        status=status,
        affected_sop_class_uid=sop_class,
        affected_sop_instance_uid=sop_instance,
        error_comment=comment,
    )
    try:
        expected: bytes | str = commands._encode_general(message)
    except DIMSEEncodeError as exc:
        expected = str(exc)
    for _ in range(2):  # the template made, then reused
        try:
            got: bytes | str = encode_command(message)
        except DIMSEEncodeError as exc:
            got = str(exc)
        assert got == expected
    if isinstance(expected, bytes) and comment is None:  # the template's case round-trips
        assert decode_command(expected) == message


def test_c_store_rsp_templates_are_bounded() -> None:
    from dicomnet.dimse import commands

    for n in range(commands._STORE_RSP_TEMPLATES_MAX * 3):
        encode_command(
            CStoreRSP(message_id_being_responded_to=1, status=0, affected_sop_class_uid=f"1.2.{n}")
        )
    assert len(commands._STORE_RSP_TEMPLATES) <= commands._STORE_RSP_TEMPLATES_MAX


def _encoded_or_error(encode: Any, message: DimseMessage) -> bytes | str:
    try:
        encoded: bytes = encode(message)
    except DIMSEEncodeError as exc:
        return str(exc)
    return encoded


_AE_TITLES = st.one_of(st.none(), st.text(alphabet="ABC XYZ_\u00e9", min_size=0, max_size=18))
_US_OR_NOT = st.one_of(st.integers(-2, 0x10001), st.sampled_from([True, 0x0001]))


@settings(max_examples=200, deadline=None)
@given(
    message_id=_US_OR_NOT,
    sop_class=st.text(alphabet="0123456789.", min_size=1, max_size=66),
    sop_instance=st.text(alphabet="0123456789.\u00e9", min_size=1, max_size=66),
    priority=st.one_of(st.sampled_from(list(Priority)), st.integers(-1, 3)),
    title=_AE_TITLES,
    originator_id=st.one_of(st.none(), _US_OR_NOT),
    has_dataset=st.booleans(),
)
def test_c_store_rq_template_gives_the_general_encoding(
    message_id: int,
    sop_class: str,
    sop_instance: str,
    priority: int,
    title: str | None,
    originator_id: int | None,
    has_dataset: bool,
) -> None:
    """The C-STORE-RQ templates (PS3.7 §9.3.1.1) produce exactly the general encoder's bytes, and
    the same error for a value that does not fit (the first in tag order)."""
    from dicomnet.dimse import commands

    message = CStoreRQ(
        message_id=message_id,
        affected_sop_class_uid=sop_class,
        affected_sop_instance_uid=sop_instance,
        priority=priority,  # type: ignore[arg-type]
        move_originator_application_entity_title=title,
        move_originator_message_id=originator_id,
        has_dataset=has_dataset,
    )
    expected = _encoded_or_error(commands._encode_general, message)
    for _ in range(2):  # the templates made, then reused
        assert _encoded_or_error(encode_command, message) == expected
    plain_title = title is None or (title and title == title.strip())  # AE strips spaces
    if isinstance(expected, bytes) and type(priority) is Priority and plain_title:
        assert decode_command(expected) == message


@settings(max_examples=200, deadline=None)
@given(
    cls=st.sampled_from([CMoveRSP, CGetRSP]),
    message_id=_US_OR_NOT,
    status=st.one_of(st.just(0xFF00), _US_OR_NOT),
    sop_class=_UIDS,
    counts=st.lists(st.one_of(st.none(), _US_OR_NOT), min_size=4, max_size=4),
    comment=st.one_of(st.none(), st.just("no")),
    has_dataset=st.booleans(),
)
def test_retrieve_rsp_template_gives_the_general_encoding(
    cls: type[CMoveRSP | CGetRSP],
    message_id: int,
    status: int,
    sop_class: str | None,
    counts: list[int | None],
    comment: str | None,
    has_dataset: bool,
) -> None:
    """The C-MOVE-RSP/C-GET-RSP template (Pending, PS3.7 §9.3.4.2, §9.3.3.2) produces exactly the
    general encoder's bytes, and the same error for a value that does not fit."""
    from dicomnet.dimse import commands

    remaining, completed, failed, warning = counts
    message = cls(
        message_id_being_responded_to=message_id,
        status=status,
        affected_sop_class_uid=sop_class,
        number_of_remaining_sub_operations=remaining,
        number_of_completed_sub_operations=completed,
        number_of_failed_sub_operations=failed,
        number_of_warning_sub_operations=warning,
        error_comment=comment,
        has_dataset=has_dataset,
    )
    expected = _encoded_or_error(commands._encode_general, message)
    for _ in range(2):
        assert _encoded_or_error(encode_command, message) == expected
    if isinstance(expected, bytes) and not has_dataset:
        assert decode_command(expected) == message


def test_send_path_templates_are_bounded_and_used() -> None:
    from dicomnet.dimse import commands

    for n in range(commands._TEMPLATES_MAX * 3):
        rq = CStoreRQ(
            message_id=n,
            affected_sop_class_uid=f"1.2.{n}",
            affected_sop_instance_uid="1.2.3",
            move_originator_application_entity_title=f"AE{n}",
            move_originator_message_id=7,
        )
        assert commands._encode_store_rq(rq) == commands._encode_general(rq)
        rsp = CMoveRSP(
            message_id_being_responded_to=n,
            status=0xFF00,
            affected_sop_class_uid=f"1.2.{n}",
            number_of_remaining_sub_operations=3,
            number_of_completed_sub_operations=n,
            number_of_failed_sub_operations=0,
            number_of_warning_sub_operations=0,
        )
        assert commands._encode_retrieve_rsp(rsp) == commands._encode_general(rsp)
    assert len(commands._TEMPLATES) <= commands._TEMPLATES_MAX
