"""However TCP cuts the byte stream, both sides see the same events (PS3.8 §9.3: PDUs are
delimited by their length fields, not by reads)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.association import AssociationEvent, DatasetFragment, MessageReceived
from dicomnet.dimse import CEchoRQ, CEchoRSP, CStoreRQ, CStoreRSP
from tests.association.helpers import (
    CT_IMAGE,
    UNLIMITED,
    AssociationPair,
    Chunker,
    acceptor_config,
    asynchronous_configs,
)

DATA = bytes(range(256)) * 80  # 20 480 bytes: several PDUs at 4096


def normalise(events: list[AssociationEvent]) -> list[object]:
    out: list[object] = []
    for e in events:
        if isinstance(e, DatasetFragment):
            out.append(("fragment", e.context_id, bytes(e.data), e.last))
        else:
            out.append(e)
    return out


def scenario(chunker: Chunker | None) -> tuple[list[object], list[object]]:
    rq_config, _ = asynchronous_configs()
    ac_config = acceptor_config(max_pdu_length=4096, asynchronous_operations_window=UNLIMITED)
    pair = AssociationPair(rq_config, ac_config, chunker=chunker)
    pair.run()
    pair.a.send_message(CEchoRQ(message_id=1), context_id=1, now=1.0)
    rq = CStoreRQ(message_id=2, affected_sop_class_uid=CT_IMAGE, affected_sop_instance_uid="1.2")
    pair.a.send_message(rq, context_id=3, dataset=DATA, now=1.0)
    pair.run()
    for e in list(pair.events_b):
        if isinstance(e, MessageReceived):
            if isinstance(e.message, CEchoRQ):
                pair.b.send_message(
                    CEchoRSP(message_id_being_responded_to=1), context_id=1, now=2.0
                )
            elif isinstance(e.message, CStoreRQ):
                pair.b.send_message(
                    CStoreRSP(message_id_being_responded_to=2, status=0), context_id=3, now=2.0
                )
    pair.a.release(2.0)
    pair.run()
    return normalise(pair.events_a), normalise(pair.events_b)


BASELINE = scenario(None)


def test_baseline_is_complete() -> None:
    events_a, events_b = BASELINE
    names_b = [type(e).__name__ if not isinstance(e, tuple) else e[0] for e in events_b]
    assert names_b[:3] == ["Established", "MessageReceived", "MessageReceived"]
    assert names_b.count("fragment") == 6
    assert names_b[-3:] == ["ReleaseRequested", "Released", "Closed"]
    assert [type(e).__name__ for e in events_a] == [
        "Established",
        "MessageReceived",
        "MessageReceived",
        "Released",
        "Closed",
    ]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 64))
def test_random_chunkings_give_the_same_events(seed: int, max_piece: int) -> None:
    rng = random.Random(seed)

    def chunker(data: bytes) -> list[bytes]:
        pieces = []
        offset = 0
        while offset < len(data):
            n = rng.randint(1, max_piece) if rng.random() < 0.9 else rng.randint(1, 9000)
            pieces.append(data[offset : offset + n])
            offset += n
        return pieces

    assert scenario(chunker) == BASELINE
