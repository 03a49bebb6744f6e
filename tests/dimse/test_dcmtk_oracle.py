"""DCMTK's dcmdump, reading our command sets as implicit VR LE data sets, sees what we wrote."""

from __future__ import annotations

import pathlib
import re
import subprocess

import attrs

from dicomnet.dimse import (
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    CFindRQ,
    CFindRSP,
    CGetRQ,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    CStoreRQ,
    CStoreRSP,
    DimseMessage,
    Priority,
    encode_command,
)
from dicomnet.dimse.commands import COMMAND_ELEMENTS
from tests.dimse.oracles import KEYWORDS
from tests.peers import require_program

SOP = "1.2.840.10008.5.1.4.1.1.2"
MESSAGES: list[DimseMessage] = [
    CEchoRQ(message_id=1),
    CEchoRSP(message_id_being_responded_to=1, status=0x0122, error_comment="refused"),
    CStoreRQ(
        message_id=65535,
        affected_sop_class_uid=SOP,
        affected_sop_instance_uid="1.2.826.0.1.3680043.2.1125.1.123",
        priority=Priority.LOW,
        move_originator_application_entity_title="MOVESCU",
        move_originator_message_id=12,
    ),
    CStoreRSP(
        message_id_being_responded_to=2,
        status=0xB000,
        affected_sop_class_uid=SOP,
        affected_sop_instance_uid="1.2.3",
        offending_element=(0x00100010, 0x7FE00010),
        error_comment="coerced",
    ),
    CFindRQ(
        message_id=3, affected_sop_class_uid="1.2.840.10008.5.1.4.1.2.2.1", priority=Priority.HIGH
    ),
    CFindRSP(
        message_id_being_responded_to=3, status=0xFF00, affected_sop_class_uid=SOP, has_dataset=True
    ),
    CGetRQ(message_id=4, affected_sop_class_uid="1.2.840.10008.5.1.4.1.2.2.3"),
    CGetRSP(
        message_id_being_responded_to=4,
        status=0xFF00,
        number_of_remaining_sub_operations=9,
        number_of_completed_sub_operations=1,
        number_of_failed_sub_operations=0,
        number_of_warning_sub_operations=2,
    ),
    CMoveRQ(
        message_id=5,
        affected_sop_class_uid="1.2.840.10008.5.1.4.1.2.2.2",
        move_destination="STORESCP",
    ),
    CMoveRSP(message_id_being_responded_to=5, status=0xA801, error_comment="who?"),
    CCancelRQ(message_id_being_responded_to=5),
]
LINE = re.compile(r"^\((\w{4}),(\w{4})\) (\w\w) (.*?)\s+#\s*(\d+), (\d+) (\w+)$")


def expected_value(message: DimseMessage, keyword: str) -> str:
    if keyword == "CommandField":
        return str(message.command_field)
    if keyword == "CommandDataSetType":
        return "1" if message.has_dataset else "257"
    attr = {v: k for k, v in KEYWORDS.items()}[keyword]
    value = getattr(message, attr)
    if isinstance(value, tuple):
        return "\\".join(f"({t >> 16:04x},{t & 0xFFFF:04x})" for t in value)
    if isinstance(value, str):
        return f"[{value}]"
    return str(int(value))


def test_dcmdump_reads_every_field(tmp_path: pathlib.Path) -> None:
    dcmdump = require_program("dcmdump")
    paths = []
    for i, message in enumerate(MESSAGES):
        path = tmp_path / f"{i}.bin"
        path.write_bytes(encode_command(message))
        paths.append(path)
    for message, path in zip(MESSAGES, paths, strict=True):
        out = subprocess.run(
            [dcmdump, "-f", "-ti", "-Un", "+L", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        lines = [LINE.match(line) for line in out.splitlines() if line.startswith("(")]
        assert all(lines), out
        seen = {m.group(7): m for m in lines if m is not None}
        written = [
            k
            for f in attrs.fields(type(message))
            if f.name in KEYWORDS and getattr(message, f.name) is not None
            for k in [KEYWORDS[f.name]]
        ]
        assert set(seen) == {
            "CommandGroupLength",
            "CommandField",
            "CommandDataSetType",
            *written,
        }, out
        assert seen["CommandGroupLength"].group(4) == str(path.stat().st_size - 12)
        for keyword, match in seen.items():
            tag = int(match.group(1) + match.group(2), 16)
            assert COMMAND_ELEMENTS[tag] == (keyword, match.group(3))
            if keyword != "CommandGroupLength":
                assert match.group(4).lower() == expected_value(message, keyword).lower(), keyword
