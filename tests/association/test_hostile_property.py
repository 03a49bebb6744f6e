"""Hostile byte streams, in any state and any chunking: ``receive_data`` never raises, and the
association always ends with exactly one of Rejected / Released / Aborted, then Closed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.association import (
    Aborted,
    Association,
    AssociationEvent,
    Closed,
    Established,
    Rejected,
    Released,
)
from dicomnet.dimse import CEchoRQ, CEchoRSP, CStoreRQ, encode_command
from dicomnet.pdu import (
    AAbort,
    AAssociateRJ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PresentationDataValue,
    encode_pdu,
)
from dicomnet.ul import State
from tests.association.helpers import CT_IMAGE, AssociationPair, acceptor_config, requestor_config


def _pdata(context_id: int, command: bool, last: bool, data: bytes) -> bytes:
    return encode_pdu(PDataTF((PresentationDataValue(context_id, command, last, data),)))


def _captured_rq_ac() -> tuple[bytes, bytes]:
    pair = AssociationPair()
    rq = b"".join(bytes(x) for x in pair.a.data_to_send())
    pair.b.receive_data(rq, 0.0)
    ac = b"".join(bytes(x) for x in pair.b.data_to_send())
    return rq, ac


RQ_BYTES, AC_BYTES = _captured_rq_ac()
STORE = encode_command(
    CStoreRQ(message_id=1, affected_sop_class_uid=CT_IMAGE, affected_sop_instance_uid="1.2")
)
PIECES = [
    RQ_BYTES,
    AC_BYTES,
    encode_pdu(AAssociateRJ(result=1, source=1, reason=1)),
    encode_pdu(AReleaseRQ()),
    encode_pdu(AReleaseRP()),
    encode_pdu(AAbort(source=0, reason=0)),
    encode_pdu(AAbort(source=2, reason=6)),
    _pdata(1, True, True, encode_command(CEchoRQ(message_id=1))),
    _pdata(1, True, True, encode_command(CEchoRSP(message_id_being_responded_to=1))),
    _pdata(3, True, True, STORE),
    _pdata(3, False, False, b"\x00" * 100),
    _pdata(3, False, True, b"\x01" * 7),
    _pdata(5, True, True, STORE),
    _pdata(1, True, False, STORE[:10]),
    b"\x04\x00\xff\xff\xff\xff",
]
piece = st.one_of(st.sampled_from(PIECES), st.binary(max_size=40))


def start(kind: str) -> Association:
    if kind == "acceptor":
        return Association.acceptor(acceptor_config(), now=0.0, dimse_timeout=5.0)
    if kind == "requestor":
        a = Association.requestor(requestor_config(), now=0.0, dimse_timeout=5.0)
        a.transport_connected(0.0)
        return a
    pair = AssociationPair(requestor_kwargs={"dimse_timeout": 5.0})
    pair.run()
    side = pair.a if kind == "established requestor" else pair.b
    if kind == "established requestor":
        side.send_message(CEchoRQ(message_id=1), context_id=1, now=0.0)
    return side


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["acceptor", "requestor", "established requestor", "established acceptor"]),
    st.lists(piece, max_size=8),
    st.lists(st.one_of(st.integers(1, 64), st.integers(64, 4000)), min_size=1, max_size=10),
    st.booleans(),
)
def test_hostile_streams(kind: str, pieces: list[bytes], cuts: list[int], timer: bool) -> None:
    assoc = start(kind)
    events: list[AssociationEvent] = []

    def drain() -> None:
        assoc.data_to_send()
        while (event := assoc.next_event()) is not None:
            events.append(event)

    drain()
    stream = b"".join(pieces)
    offset, i = 0, 0
    while offset < len(stream):
        n = cuts[i % len(cuts)]
        assoc.receive_data(stream[offset : offset + n], 1.0)
        drain()
        offset, i = offset + n, i + 1
    if timer and assoc.timer_deadline is not None:
        assoc.handle_timer(assoc.timer_deadline)
        drain()
    assoc.receive_data(b"", 100.0)
    drain()
    if not assoc.must_close:  # Sta13 after our reject/abort/release: ARTIM ends it
        assert assoc.ul_state is State.Sta1 or assoc.timer_deadline is not None
        assoc.handle_timer(1000.0)
        drain()
    assert assoc.must_close
    assert isinstance(events[-1], Closed)
    assert events.count(Closed()) == 1
    terminal = [e for e in events if isinstance(e, Rejected | Released | Aborted)]
    assert len(terminal) == 1, events
    assert events[-2] is terminal[0]
    established = [i for i, e in enumerate(events) if isinstance(e, Established)]
    assert len(established) <= 1
    if established:
        assert established[0] < events.index(terminal[0])
