"""Fuzz target: PDVs -> MessageAssembler -> messages, plus the command set codec (atheris).

Invariant: whatever the input, the DIMSE layer raises nothing but ``DIMSEDecodeError``; every
command it accepts re-encodes to a command that decodes to the same message, and fragmenting
that message again reassembles to it.

The input is self-describing so it replays without atheris (``tests/fuzz/test_replay_dimse.py``):
a sequence of records ``flags:u8 length:u16le data[length]`` (a short last record takes what is
left). ``flags`` bit 0 = command, bit 1 = last fragment, bits 2-3 pick the context ID (1, 3, 5,
7). The whole input is also given to ``decode_command`` as one command set.

Run: ``python fuzz/fuzz_dimse_assembler.py fuzz/corpus/dimse`` (needs atheris);
regenerate the seeds with ``python fuzz/fuzz_dimse_assembler.py --write-corpus fuzz/corpus/dimse``.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterator
from pathlib import Path

from dicomnet.dimse import (
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    CFindRQ,
    CFindRSP,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    CommandReceived,
    CStoreRQ,
    CStoreRSP,
    DatasetFragment,
    DIMSEDecodeError,
    DimseMessage,
    MessageAssembler,
    decode_command,
    encode_command,
    fragment_message,
)
from dicomnet.pdu.pdata import PresentationDataValue

_RECORD = struct.Struct("<BH")


def records(data: bytes) -> Iterator[PresentationDataValue]:
    """The PDVs an input describes (see the module docstring)."""
    view = memoryview(data)
    off = 0
    while len(view) - off >= 3:
        flags, length = _RECORD.unpack_from(view, off)
        start = off + 3
        stop = min(start + length, len(view))
        yield PresentationDataValue(
            1 + 2 * ((flags >> 2) & 3), bool(flags & 1), bool(flags & 2), view[start:stop]
        )
        off = stop


def _check_message(context_id: int, message: DimseMessage, max_pdu: int) -> None:
    encoded = encode_command(message)
    assert decode_command(encoded) == message
    dataset = b"\x08\x00\x16\x00\x00\x00\x00\x00" if message.has_dataset else None
    again = MessageAssembler()
    events = []
    for pdu in fragment_message(context_id, message, dataset, max_pdu_length=max_pdu):
        events += again.receive_pdvs(pdu.pdvs)
    assert events[0] == CommandReceived(context_id, message)
    assert b"".join(bytes(e.data) for e in events[1:] if isinstance(e, DatasetFragment)) == (
        dataset or b""
    )
    assert again.idle


def TestOneInput(data: bytes) -> None:
    try:
        message = decode_command(data)
    except DIMSEDecodeError:
        pass
    else:
        _check_message(1, message, 7 + len(data) % 64)
    assembler = MessageAssembler()
    try:
        for pdv in records(data):
            event = assembler.receive(pdv)
            if isinstance(event, CommandReceived):
                _check_message(event.context_id, event.message, 7 + len(data) % 200)
    except DIMSEDecodeError:
        pass


def _record(flags: int, payload: bytes) -> bytes:
    return _RECORD.pack(flags, len(payload)) + payload


def seeds() -> dict[str, bytes]:
    """A small corpus: every message type, split commands, data sets, and broken sequences."""
    store = CStoreRQ(
        message_id=1,
        affected_sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
        affected_sop_instance_uid="1.2.826.0.1.3680043.2.1125.1",
        move_originator_application_entity_title="MOVESCU",
        move_originator_message_id=9,
    )
    messages: dict[str, DimseMessage] = {
        "echo-rq": CEchoRQ(message_id=1),
        "echo-rsp": CEchoRSP(message_id_being_responded_to=1),
        "store-rq": store,
        "store-rsp": CStoreRSP(
            message_id_being_responded_to=1,
            status=0xA900,
            offending_element=(0x00100010,),
            error_comment="bad",
        ),
        "find-rq": CFindRQ(message_id=2, affected_sop_class_uid="1.2.840.10008.5.1.4.1.2.2.1"),
        "find-rsp": CFindRSP(message_id_being_responded_to=2, status=0xFF00, has_dataset=True),
        "move-rq": CMoveRQ(
            message_id=3,
            affected_sop_class_uid="1.2.840.10008.5.1.4.1.2.2.2",
            move_destination="STORESCP",
        ),
        "move-rsp": CMoveRSP(
            message_id_being_responded_to=3,
            status=0xFF00,
            number_of_remaining_sub_operations=4,
            number_of_completed_sub_operations=1,
            number_of_failed_sub_operations=0,
            number_of_warning_sub_operations=0,
        ),
        "get-rsp": CGetRSP(message_id_being_responded_to=4, status=0xB000),
        "cancel": CCancelRQ(message_id_being_responded_to=2),
    }
    out: dict[str, bytes] = {}
    dataset = b"\x08\x00\x18\x00\x1c\x00\x00\x001.2.826.0.1.3680043.2.1125.1\x00"
    for name, message in messages.items():
        command = encode_command(message)
        out[f"command-{name}"] = command
        seq = _record(3, command)
        if message.has_dataset:
            seq += _record(0, dataset[:10]) + _record(2, dataset[10:])
        out[f"pdvs-{name}"] = seq
    command = encode_command(store)
    out["pdvs-split-command"] = (
        _record(1, command[:7])
        + _record(1, command[7:50])
        + _record(3, command[50:])
        + _record(2, dataset)
    )
    out["bad-data-first"] = _record(2, dataset)
    out["bad-context-switch"] = _record(3, command) + _record(4, dataset[:8]) + _record(6, b"x")
    out["bad-echo-with-data"] = _record(3, encode_command(CEchoRQ(message_id=1))) + _record(2, b"x")
    out["bad-group-length"] = b"\x00\x00\x00\x00\x04\x00\x00\x00\xff\x00\x00\x00" + command[12:]
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write-corpus":
        target = Path(sys.argv[2])
        target.mkdir(parents=True, exist_ok=True)
        for name, seed in seeds().items():
            (target / name).write_bytes(seed)
        sys.exit(0)
    import atheris  # type: ignore[import-untyped]  # only here: the replay runs without it

    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
