"""Data sets stream both ways: fragmented within the peer's maximum PDU length as the driver
drains ``data_to_send()`` (back-pressure), received as ``DatasetFragment`` slices, never whole in
memory (PS3.8 §9.3.5, Annex D.1; DESIGN §3.6)."""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import tracemalloc
from collections.abc import Iterator
from typing import Any

from dicomnet.acse import RoleSelection, SupportedContext
from dicomnet.association import (
    Association,
    Closed,
    DatasetFragment,
    MessageReceived,
    Released,
)
from dicomnet.dimse import CStoreRQ, CStoreRSP
from tests.association.helpers import (
    CT_IMAGE,
    EXPLICIT_LE,
    IMPLICIT_LE,
    UNLIMITED,
    AssociationPair,
    acceptor_config,
    asynchronous_configs,
    requestor_config,
)


def store_rq(message_id: int = 1) -> CStoreRQ:
    return CStoreRQ(
        message_id=message_id,
        affected_sop_class_uid=CT_IMAGE,
        affected_sop_instance_uid=f"1.2.3.{message_id}",
    )


def pdu_lengths(wire: bytes) -> list[tuple[int, int]]:
    """(PDU type, PDU length) of every PDU in a byte stream."""
    out = []
    offset = 0
    while offset < len(wire):
        pdu_type, length = wire[offset], struct.unpack_from(">L", wire, offset + 2)[0]
        out.append((pdu_type, length))
        offset += 6 + length
    assert offset == len(wire)
    return out


def test_large_store_fragmented_under_small_max_pdu() -> None:
    pair = AssociationPair(ac_config=acceptor_config(max_pdu_length=4096))
    pair.run()
    data = os.urandom(300_001)
    pair.a.send_message(store_rq(), context_id=3, dataset=data, now=1.0)
    pair.run()
    received = [e for e in pair.events_b if isinstance(e, MessageReceived | DatasetFragment)]
    assert isinstance(received[0], MessageReceived)
    assert received[0].has_dataset
    fragments = received[1:]
    assert all(isinstance(f, DatasetFragment) and f.context_id == 3 for f in fragments)
    assert [f.last for f in fragments] == [False] * (len(fragments) - 1) + [True]  # type: ignore[union-attr]
    assert all(len(f.data) == 4090 for f in fragments[:-1])  # type: ignore[union-attr]
    assert b"".join(bytes(f.data) for f in fragments) == data  # type: ignore[union-attr]
    assert len(fragments) == -(-len(data) // 4090)
    pdata_lengths = [n for t, n in pdu_lengths(b"".join(pair.wire_a[1:])) if t == 4]
    assert max(pdata_lengths) <= 4096
    # the SCP answers; then release
    pair.b.send_message(CStoreRSP(message_id_being_responded_to=1, status=0), context_id=3, now=1.0)
    pair.a.release(1.0)  # queued: the store response is awaited, release goes after it
    pair.run()
    assert isinstance(pair.events_a[-3], MessageReceived)
    assert pair.events_a[-2:] == [Released(), Closed()]


def test_store_from_acceptor_side_max_pdu_of_requestor() -> None:
    """Fragments honour the *peer's* maximum: the requestor's 8192 bounds the acceptor's PDUs."""
    rq = requestor_config(
        max_pdu_length=8192, role_selections=(RoleSelection(CT_IMAGE, True, True),)
    )
    ac = acceptor_config(
        supported_contexts=(
            SupportedContext(CT_IMAGE, (EXPLICIT_LE, IMPLICIT_LE), scu_role=True, scp_role=True),
        )
    )
    pair = AssociationPair(rq, ac)
    pair.run()
    data = os.urandom(50_000)
    pair.b.send_message(store_rq(), context_id=3, dataset=data, now=1.0)
    pair.run()
    lengths = [n for t, n in pdu_lengths(b"".join(pair.wire_b[1:])) if t == 4]
    assert max(lengths) == 8192
    frags = [e for e in pair.events_a if isinstance(e, DatasetFragment)]
    assert b"".join(bytes(f.data) for f in frags) == data


def test_data_to_send_is_bounded_per_call() -> None:
    pair = AssociationPair(
        ac_config=acceptor_config(max_pdu_length=16384),
        requestor_kwargs={"max_send_bytes": 40_000},
    )
    pair.run()
    a = pair.a
    a.send_message(store_rq(), context_id=3, dataset=b"\x01" * 1_000_000, now=1.0)
    sizes = []
    while a.has_data_to_send:
        chunk = a.data_to_send()
        sizes.append(sum(len(x) for x in chunk))
    assert len(sizes) > 20
    assert max(sizes) <= 40_000 + 16384 + 6
    assert sum(sizes) > 1_000_000


def _drive_without_keeping(pair: AssociationPair, digest: Any) -> int:
    """Move bytes a -> b and b -> a, hashing fragments b receives; keep no event."""
    total = 0
    for _ in range(1_000_000):
        moved = False
        for src, dst in ((pair.a, pair.b), (pair.b, pair.a)):
            for part in src.data_to_send():
                moved = True
                dst.receive_data(bytes(part), 1.0)
        while (event := pair.b.next_event()) is not None:
            if isinstance(event, DatasetFragment):
                digest.update(event.data)
                total += len(event.data)
                if event.last:
                    return total
        while pair.a.next_event() is not None:
            pass
        if not moved:
            break
    raise AssertionError("the data set did not arrive")


def test_file_source_is_drained_incrementally_with_bounded_memory() -> None:
    size = 32 * 1024 * 1024
    block = os.urandom(1 << 20)
    with tempfile.TemporaryFile() as f:
        expected = hashlib.sha256()
        for _ in range(size // len(block)):
            f.write(block)
            expected.update(block)
        f.seek(0)
        pair = AssociationPair(ac_config=acceptor_config(max_pdu_length=65536))
        pair.run()
        pair.drain_events()
        got = hashlib.sha256()
        tracemalloc.start()
        try:
            pair.a.send_message(store_rq(), context_id=3, dataset=f, now=1.0)
            total = _drive_without_keeping(pair, got)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert total == size
    assert got.hexdigest() == expected.hexdigest()
    print(f"peak {peak} bytes while streaming {size}")
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while streaming {size}"


def test_iterable_source_chunks_recut() -> None:
    pair = AssociationPair(ac_config=acceptor_config(max_pdu_length=1000))
    pair.run()

    def chunks() -> Iterator[bytes]:
        for i in range(200):
            yield bytes([i]) * (i + 1)

    expected = b"".join(chunks())
    pair.a.send_message(store_rq(), context_id=3, dataset=chunks(), now=1.0)
    pair.run()
    frags = [e for e in pair.events_b if isinstance(e, DatasetFragment)]
    assert b"".join(bytes(f.data) for f in frags) == expected
    assert all(len(f.data) == 994 for f in frags[:-1])


def test_several_messages_queued_keep_their_order() -> None:
    rq_config, _ = asynchronous_configs()
    ac_config = acceptor_config(max_pdu_length=2048, asynchronous_operations_window=UNLIMITED)
    pair = AssociationPair(rq_config, ac_config)
    pair.run()
    payloads = [os.urandom(n) for n in (10, 5000, 1, 7000)]
    for i, data in enumerate(payloads, start=1):
        pair.a.send_message(store_rq(i), context_id=3, dataset=data, now=1.0)
    pair.run()
    messages: list[tuple[int, bytes]] = []
    current = b""
    for e in pair.events_b:
        if isinstance(e, MessageReceived):
            mid = e.message.message_id  # type: ignore[union-attr]
        elif isinstance(e, DatasetFragment):
            current += bytes(e.data)
            if e.last:
                messages.append((mid, current))
                current = b""
    assert messages == list(enumerate(payloads, start=1))
    assert pair.b.provider is not None
    assert set(pair.b.provider.received_requests) == {1, 2, 3, 4}


def test_association_repr_and_state() -> None:
    a = Association.requestor(requestor_config(), now=0.0)
    assert "requestor" in repr(a)
    assert "Sta4" in repr(a)


def test_small_messages_are_cut_when_queued_and_sent_in_order() -> None:
    """A message with a small ``bytes`` data set (or none) is cut into its PDUs when queued
    (one list, handed to the upper layer in one pass); a streamed one is cut lazily. Mixed,
    they leave in queue order, within the peer's maximum length and the per-call bound."""
    rq = asynchronous_configs()[0]
    ac = acceptor_config(max_pdu_length=16384, asynchronous_operations_window=UNLIMITED)
    pair = AssociationPair(rq_config=rq, ac_config=ac, requestor_kwargs={"max_send_bytes": 40_000})
    pair.run()
    a = pair.a
    small = b"\x02" * 9_000
    a.send_message(store_rq(1), context_id=3, dataset=small, now=1.0)
    assert isinstance(a._outgoing[-1], list)  # cut now: the command PDU and one data PDU
    assert len(a._outgoing[-1]) == 2
    a.send_message(store_rq(2), context_id=3, dataset=iter([b"\x03" * 30_000]), now=1.0)
    assert not isinstance(a._outgoing[-1], list)  # an iterable: cut as it is drained
    a.send_message(store_rq(3), context_id=3, dataset=b"\x04" * 50_000, now=1.0)  # > one PDU
    assert not isinstance(a._outgoing[-1], list)
    a.send_message(store_rq(4), context_id=3, dataset=small, now=1.0)
    sizes = []
    stream = b""
    while a.has_data_to_send:
        chunk = b"".join(bytes(x) for x in a.data_to_send(now=2.0))
        sizes.append(len(chunk))
        stream += chunk
        pair.b.receive_data(chunk, 2.0)
    assert max(sizes) <= 40_000 + 16384 + 6
    assert all(n <= 16384 for t, n in pdu_lengths(stream) if t == 4)
    received: list[tuple[int, bytes]] = []
    current = 0
    while (event := pair.b.next_event()) is not None:
        if isinstance(event, MessageReceived):
            current = event.message.message_id  # type: ignore[union-attr]
            received.append((current, b""))
        elif isinstance(event, DatasetFragment):
            received[-1] = (current, received[-1][1] + bytes(event.data))
    assert received == [
        (1, small),
        (2, b"\x03" * 30_000),
        (3, b"\x04" * 50_000),
        (4, small),
    ]


def test_a_small_message_queued_then_aborted_never_leaves() -> None:
    pair = AssociationPair()
    pair.run()
    pair.a.send_message(store_rq(1), context_id=3, dataset=b"\x01" * 100, now=1.0)
    assert pair.a.has_output
    pair.a.abort(1.0)
    pair.run()
    assert not any(isinstance(e, MessageReceived) for e in pair.events_b)
