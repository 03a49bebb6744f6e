"""PDVs -> CommandReceived / DatasetFragment (PS3.7 §6.3.1, PS3.8 Annex E)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.dimse import (
    CEchoRQ,
    CEchoRSP,
    CommandReceived,
    CStoreRQ,
    DatasetFragment,
    DIMSEDecodeError,
    DimseEvent,
    DimseMessage,
    MessageAssembler,
    encode_command,
)
from dicomnet.pdu.pdata import PDataTF, PresentationDataValue, decode_pdata_tf, encode_pdata_parts
from tests.dimse.strategies import messages

STORE = CStoreRQ(
    message_id=3,
    affected_sop_class_uid="1.2.840.10008.5.1.4.1.1.7",
    affected_sop_instance_uid="1.2.3",
)
ECHO = CEchoRQ(message_id=1)


def pdv(
    context_id: int, is_command: bool, is_last: bool, data: bytes | memoryview = b""
) -> PresentationDataValue:
    return PresentationDataValue(context_id, is_command, is_last, data)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    pieces = [data[a:b] for a, b in itertools.pairwise(points)]
    return pieces or [b""]


def message_pdvs(
    context_id: int,
    message: DimseMessage,
    dataset: bytes,
    command_cuts: list[int],
    data_cuts: list[int],
) -> list[PresentationDataValue]:
    command = split(encode_command(message), command_cuts)
    out = [pdv(context_id, True, i == len(command) - 1, piece) for i, piece in enumerate(command)]
    if message.has_dataset:
        pieces = split(dataset, data_cuts)
        out += [
            pdv(context_id, False, i == len(pieces) - 1, piece) for i, piece in enumerate(pieces)
        ]
    return out


def collapse(events: list[DimseEvent]) -> list[tuple[int, object, bytes]]:
    """Events with the data set fragments of each message joined."""
    out: list[tuple[int, object, bytes]] = []
    for event in events:
        if isinstance(event, CommandReceived):
            out.append((event.context_id, event.message, b""))
        else:
            context_id, message, data = out[-1]
            assert context_id == event.context_id
            out[-1] = (context_id, message, data + bytes(event.data))
    return out


@settings(max_examples=100, deadline=None)
@given(
    batch=st.lists(
        st.tuples(st.integers(1, 255), messages, st.binary(min_size=1, max_size=300)),
        min_size=1,
        max_size=4,
    ),
    cuts=st.lists(st.lists(st.integers(0, 1000), max_size=6), min_size=8, max_size=8),
)
def test_events_do_not_depend_on_the_chunking(
    batch: list[tuple[int, DimseMessage, bytes]], cuts: list[list[int]]
) -> None:
    whole: list[PresentationDataValue] = []
    chunked: list[PresentationDataValue] = []
    for i, (context_id, message, dataset) in enumerate(batch):
        whole += message_pdvs(context_id, message, dataset, [], [])
        chunked += message_pdvs(context_id, message, dataset, cuts[2 * i], cuts[2 * i + 1])
    expected = [(c, m, d if m.has_dataset else b"") for c, m, d in batch]
    for pdvs in (whole, chunked):
        assembler = MessageAssembler()
        events = assembler.receive_pdvs(pdvs)
        assert collapse(events) == expected
        assert assembler.idle
        last = [e for e in events if isinstance(e, DatasetFragment)]
        assert [e.last for e in last].count(True) == sum(m.has_dataset for _, m, _ in batch)


def test_one_event_per_pdv_and_the_last_flag() -> None:
    assembler = MessageAssembler()
    command = encode_command(STORE)
    assert assembler.receive(pdv(5, True, False, command[:10])) is None
    assert not assembler.idle
    event = assembler.receive(pdv(5, True, True, command[10:]))
    assert event == CommandReceived(5, STORE)
    assert assembler.current_message == STORE
    first = assembler.receive(pdv(5, False, False, b"ab"))
    assert isinstance(first, DatasetFragment)
    assert (first.context_id, bytes(first.data), first.last) == (5, b"ab", False)
    last = assembler.receive(pdv(5, False, True, b"cd"))
    assert isinstance(last, DatasetFragment)
    assert last.last
    assert assembler.idle


def test_fragments_are_slices_of_the_pdu_not_copies() -> None:
    command = encode_command(STORE)
    wire = b"".join(
        bytes(p)
        for p in encode_pdata_parts(
            PDataTF((pdv(1, True, True, command), pdv(1, False, True, b"x" * 1000)))
        )
    )
    pdu = memoryview(wire)
    events = MessageAssembler().receive_pdvs(decode_pdata_tf(pdu, 0).pdvs)
    fragment = events[1]
    assert isinstance(fragment, DatasetFragment)
    assert fragment.data.obj is wire
    assert bytes(fragment.data) == b"x" * 1000


def test_single_pdv_command_is_decoded_without_joining() -> None:
    assembler = MessageAssembler()
    event = assembler.receive(pdv(1, True, True, memoryview(encode_command(ECHO))))
    assert event == CommandReceived(1, ECHO)
    assert assembler.idle


def test_no_data_set_message_then_next_message() -> None:
    assembler = MessageAssembler()
    events = assembler.receive_pdvs(
        [
            pdv(1, True, True, encode_command(ECHO)),
            pdv(3, True, True, encode_command(CEchoRSP(message_id_being_responded_to=1))),
        ]
    )
    assert events == [
        CommandReceived(1, ECHO),
        CommandReceived(3, CEchoRSP(message_id_being_responded_to=1)),
    ]


STORE_COMMAND = encode_command(STORE)
ECHO_COMMAND = encode_command(ECHO)
BAD_SEQUENCES = {
    "data PDV with no command": ([pdv(1, False, True, b"x")], "no command before it"),
    "data set where the command says none": (
        [pdv(1, True, True, ECHO_COMMAND), pdv(1, False, True, b"x")],
        "says no data set follows",
    ),
    "data before the last command fragment": (
        [pdv(1, True, False, STORE_COMMAND[:8]), pdv(1, False, True, b"x")],
        "before the last command fragment",
    ),
    "command before the last data fragment": (
        [
            pdv(1, True, True, STORE_COMMAND),
            pdv(1, False, False, b"x"),
            pdv(1, True, True, ECHO_COMMAND),
        ],
        "before the last data set fragment",
    ),
    "command right after a data set command": (
        [pdv(1, True, True, STORE_COMMAND), pdv(1, True, True, ECHO_COMMAND)],
        "before the last data set fragment",
    ),
    "command fragment on another context": (
        [pdv(1, True, False, STORE_COMMAND[:8]), pdv(3, True, True, STORE_COMMAND[8:])],
        "in the middle of a command set",
    ),
    "data fragment on another context": (
        [pdv(1, True, True, STORE_COMMAND), pdv(1, False, False, b"x"), pdv(3, False, True, b"y")],
        "in the middle of the C-STORE-RQ data set",
    ),
    "first data fragment on another context": (
        [pdv(1, True, True, STORE_COMMAND), pdv(3, False, True, b"y")],
        "in the middle of the C-STORE-RQ data set",
    ),
    "malformed command": ([pdv(1, True, True, b"\x00" * 12)], "CommandGroupLength"),
    "command never ends": (
        [pdv(1, True, False, b"\x00" * 40000), pdv(1, True, False, b"\x00" * 40000)],
        "exceeds",
    ),
}


@pytest.mark.parametrize(("pdvs", "needle"), BAD_SEQUENCES.values(), ids=BAD_SEQUENCES.keys())
def test_bad_pdv_sequences_raise_the_typed_error(
    pdvs: list[PresentationDataValue], needle: str
) -> None:
    assembler = MessageAssembler()
    with pytest.raises(DIMSEDecodeError, match=needle):
        assembler.receive_pdvs(pdvs)
    with pytest.raises(DIMSEDecodeError, match="already failed"):
        assembler.receive(pdv(1, True, True, ECHO_COMMAND))


def test_pdv_on_a_context_that_was_not_accepted() -> None:
    assembler = MessageAssembler(context_ids={1, 3})
    assert assembler.receive(pdv(3, True, True, ECHO_COMMAND)) == CommandReceived(3, ECHO)
    with pytest.raises(DIMSEDecodeError, match="context 5, which was not accepted"):
        assembler.receive(pdv(5, True, True, ECHO_COMMAND))


def test_max_command_length_is_configurable() -> None:
    assembler = MessageAssembler(max_command_length=10)
    with pytest.raises(DIMSEDecodeError, match="exceeds 10 bytes"):
        assembler.receive(pdv(1, True, True, ECHO_COMMAND))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.booleans(),
            st.booleans(),
            st.sampled_from(
                [b"", b"x", ECHO_COMMAND, STORE_COMMAND, STORE_COMMAND[:20], STORE_COMMAND[20:]]
            ),
        ),
        max_size=12,
    )
)
def test_arbitrary_pdv_sequences_only_raise_the_typed_error(
    seq: list[tuple[int, bool, bool, bytes]],
) -> None:
    assembler = MessageAssembler()
    try:
        for context_id, is_command, is_last, data in seq:
            assembler.receive(pdv(context_id, is_command, is_last, data))
    except DIMSEDecodeError:
        pass
