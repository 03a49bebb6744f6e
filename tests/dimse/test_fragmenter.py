"""Message -> P-DATA-TF PDUs under the peer's maximum length (PS3.8 §9.3.5, Annex D.1)."""

from __future__ import annotations

import io
import mmap
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.dimse import (
    PDV_OVERHEAD,
    UNLIMITED_PDU_BOUND,
    CEchoRQ,
    CommandReceived,
    CStoreRQ,
    DatasetFragment,
    DIMSEEncodeError,
    DimseMessage,
    MessageAssembler,
    encode_command,
    fragment_message,
    max_fragment_size,
)
from dicomnet.pdu.pdata import PDataTF, decode_pdata_tf, encode_pdata_parts
from tests.dimse.strategies import messages

STORE = CStoreRQ(
    message_id=3,
    affected_sop_class_uid="1.2.840.10008.5.1.4.1.1.7",
    affected_sop_instance_uid="1.2.3",
)
ECHO = CEchoRQ(message_id=1)


def variable_field_length(pdu: PDataTF) -> int:
    """The P-DATA-TF PDU-length field as encoded on the wire."""
    header = bytes(encode_pdata_parts(pdu)[0][:6])
    return int.from_bytes(header[2:6], "big")


def reassemble(pdus: list[PDataTF]) -> tuple[list[CommandReceived], bytes]:
    """Through the wire form and the assembler: (commands, data set bytes)."""
    assembler = MessageAssembler()
    commands: list[CommandReceived] = []
    data = bytearray()
    for pdu in pdus:
        wire = b"".join(bytes(p) for p in encode_pdata_parts(pdu))
        for event in assembler.receive_pdvs(decode_pdata_tf(memoryview(wire), 0).pdvs):
            if isinstance(event, CommandReceived):
                commands.append(event)
            else:
                assert isinstance(event, DatasetFragment)
                data += event.data
    assert assembler.idle
    return commands, bytes(data)


def check(pdus: list[PDataTF], max_pdu: int, message: DimseMessage, dataset: bytes | None) -> None:
    limit = max_pdu or UNLIMITED_PDU_BOUND
    for pdu in pdus:
        assert variable_field_length(pdu) <= limit
        assert len(pdu.pdvs) == 1
    commands, data = reassemble(pdus)
    assert commands == [CommandReceived(7, message)]
    assert data == (dataset or b"")
    full = max_fragment_size(max_pdu)
    data_pdvs = [p.pdvs[0] for p in pdus if not p.pdvs[0].is_command]
    assert all(len(p.data) == full for p in data_pdvs[:-1])  # every data fragment full but the last


@settings(max_examples=150, deadline=None)
@given(
    message=messages,
    max_pdu=st.one_of(st.integers(7, 300), st.just(0)),
    size=st.integers(1, 2000),
)
def test_pdus_stay_within_the_maximum_and_reassemble(
    message: DimseMessage, max_pdu: int, size: int
) -> None:
    dataset = bytes(range(256)) * (size // 256) + bytes(size % 256) if message.has_dataset else None
    pdus = list(fragment_message(7, message, dataset, max_pdu_length=max_pdu))
    check(pdus, max_pdu, message, dataset)


@pytest.mark.parametrize("max_pdu", [7, 8, 100, 16384])
def test_sizes_around_fragment_boundaries(max_pdu: int) -> None:
    full = max_pdu - PDV_OVERHEAD
    for size in sorted(
        {1, full - 1, full, full + 1, 2 * full - 1, 2 * full, 2 * full + 1, 3 * full} - {0}
    ):
        dataset = bytes(i % 251 for i in range(size))
        pdus = list(fragment_message(7, STORE, dataset, max_pdu_length=max_pdu))
        check(pdus, max_pdu, STORE, dataset)
        data_pdus = [p for p in pdus if not p.pdvs[0].is_command]
        assert len(data_pdus) == -(-size // full)


def test_command_split_over_several_pdus_when_the_maximum_is_tiny() -> None:
    pdus = list(fragment_message(7, STORE, b"xy", max_pdu_length=20))
    command = [p.pdvs[0] for p in pdus if p.pdvs[0].is_command]
    assert len(command) == -(-len(encode_command(STORE)) // 14)
    assert [p.is_last for p in command] == [False] * (len(command) - 1) + [True]
    check(pdus, 20, STORE, b"xy")


def test_unlimited_uses_the_documented_bound() -> None:
    assert max_fragment_size(0) == UNLIMITED_PDU_BOUND - PDV_OVERHEAD
    dataset = bytes(UNLIMITED_PDU_BOUND + 10)
    pdus = list(fragment_message(7, STORE, dataset, max_pdu_length=0))
    assert [len(p.pdvs[0].data) for p in pdus[1:]] == [UNLIMITED_PDU_BOUND - 6, 16]


def chunked(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    position = 0
    for size in sizes:
        yield data[position : position + size]
        position += size
    if position < len(data):
        yield data[position:]


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(1, 3000),
    sizes=st.lists(st.integers(0, 700), max_size=12),
    max_pdu=st.integers(7, 600),
    kind=st.sampled_from(
        ["bytes", "bytearray", "memoryview", "file", "chunks", "bytearray chunks"]
    ),
)
def test_every_source_kind_gives_the_same_pdus(
    size: int, sizes: list[int], max_pdu: int, kind: str
) -> None:
    dataset = bytes((i * 7) % 256 for i in range(size))
    source: object = {
        "bytes": dataset,
        "bytearray": bytearray(dataset),
        "memoryview": memoryview(dataset),
        "file": io.BytesIO(dataset),
        "chunks": chunked(dataset, sizes),
        "bytearray chunks": (bytearray(c) for c in chunked(dataset, sizes)),
    }[kind]
    pdus = list(fragment_message(7, STORE, source, max_pdu_length=max_pdu))  # type: ignore[arg-type]
    reference = list(fragment_message(7, STORE, dataset, max_pdu_length=max_pdu))
    assert [bytes(p.pdvs[0].data) for p in pdus] == [bytes(p.pdvs[0].data) for p in reference]
    assert [p.pdvs[0].is_last for p in pdus] == [p.pdvs[0].is_last for p in reference]
    check(pdus, max_pdu, STORE, dataset)


class ShortReads(io.RawIOBase):
    """A file whose reads return at most 5 bytes (a pipe or socket-backed file)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(size, 5))


def test_short_reads_still_give_full_fragments() -> None:
    dataset = bytes(range(200))
    pdus = list(fragment_message(7, STORE, ShortReads(dataset), max_pdu_length=70))
    check(pdus, 70, STORE, dataset)


def test_buffer_fragments_are_slices_without_copy(tmp_path: object) -> None:
    dataset = bytes(1000)
    pdus = list(fragment_message(7, STORE, dataset, max_pdu_length=106))
    data = [p.pdvs[0].data for p in pdus if not p.pdvs[0].is_command]
    assert all(isinstance(d, memoryview) and d.obj is dataset for d in data)
    chunks = [bytes(300), bytes(300)]
    pdus = list(fragment_message(7, STORE, iter(chunks), max_pdu_length=106))
    data = [p.pdvs[0].data for p in pdus if not p.pdvs[0].is_command]
    assert data[0].obj is chunks[0]  # type: ignore[union-attr]


def test_mmap_source(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "ds.bin"  # type: ignore[operator]
    dataset = bytes(range(256)) * 40
    path.write_bytes(dataset)
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        pdus = list(fragment_message(7, STORE, mapped, max_pdu_length=4096))
        check(pdus, 4096, STORE, dataset)
        del pdus


def test_file_source_is_read_one_fragment_at_a_time() -> None:
    reads: list[int] = []

    class Spy(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(-1 if size is None else size)
            return super().read(size)

    dataset = bytes(10_000)
    iterator = fragment_message(7, STORE, Spy(dataset), max_pdu_length=1006)
    assert reads == [1000]  # the first fragment is read before anything is produced
    next(iterator)  # the command
    next(iterator)  # first data PDU: needs one read ahead to know it is not the last
    assert len(reads) == 2
    rest = list(iterator)
    assert len(rest) == 9
    assert max(reads) == 1000


@pytest.mark.parametrize(
    ("context_id", "message", "dataset", "max_pdu", "needle"),
    [
        (1, STORE, None, 100, "says a data set follows"),
        (1, ECHO, b"x", 100, "says no data set follows"),
        (1, STORE, b"", 100, "is empty"),
        (1, STORE, iter([b"", b""]), 100, "is empty"),
        (1, STORE, b"x", 6, "cannot carry a PDV"),
        (1, STORE, b"x", 1, "cannot carry a PDV"),
        (1, STORE, b"x", 1 << 32, "cannot carry a PDV"),
        (256, STORE, b"x", 100, "context ID"),
        (-1, STORE, b"x", 100, "context ID"),
        (1, STORE, 12345, 100, "not a data set source"),
        (1, STORE, iter(["text"]), 100, "bytes-like"),
        (1, STORE, memoryview(bytes(10))[::2], 100, "contiguous"),
    ],
)
def test_bad_calls_raise_before_any_pdu(
    context_id: int, message: DimseMessage, dataset: object, max_pdu: int, needle: str
) -> None:
    with pytest.raises(DIMSEEncodeError, match=needle):
        fragment_message(context_id, message, dataset, max_pdu_length=max_pdu)  # type: ignore[arg-type]
