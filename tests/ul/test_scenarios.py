"""Whole conversations between a requestor and an acceptor, back to back (no sockets, no sleeps)."""

from __future__ import annotations

import struct
import tracemalloc

import pytest

from dicomnet.errors import LocalProtocolError
from dicomnet.pdu import (
    AAbort,
    AAssociateRJ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PresentationDataValue,
)
from dicomnet.ul import (
    AAbortIndication,
    AAssociateRejected,
    Action,
    APAbortIndication,
    AReleaseConfirmation,
    AReleaseIndication,
    Evt,
    PDataIndication,
    Role,
    State,
    TransportClosed,
    TransportConnectRequested,
    ULConfig,
    ULConnection,
)
from tests.ul.helpers import (
    GARBAGE,
    ConnectionPair,
    assert_unchanged,
    drain,
    drive,
    make_pdata,
    make_rq,
    sent_pdus,
    wire,
)

# -- association and release ---------------------------------------------------------------


@pytest.mark.parametrize("releaser", [Role.REQUESTOR, Role.ACCEPTOR])
def test_associate_exchange_data_and_release(releaser: Role) -> None:
    pair = ConnectionPair()
    pair.associate()
    req, acc = pair.requestor, pair.acceptor

    events = pair.send(req, make_pdata(b"command!"))
    assert len(events) == 1
    assert isinstance(events[0], PDataIndication)
    assert bytes(events[0].pdvs[0].data) == b"command!"
    events = pair.send(acc, make_pdata(b"response"))
    assert isinstance(events[0], PDataIndication)

    first, second = (req, acc) if releaser is Role.REQUESTOR else (acc, req)
    assert pair.send(first, AReleaseRQ()) == [AReleaseIndication()]
    assert (first.state, second.state) == (State.Sta7, State.Sta8)
    # the releasing side may still receive data in Sta7 (AR-6); the other may send in Sta8 (AR-7)
    events = pair.send(second, make_pdata(b"late"))
    assert isinstance(events[0], PDataIndication)
    assert first.state is State.Sta7

    events = pair.send(second, AReleaseRP())
    assert events == [AReleaseConfirmation(), TransportClosed()]
    assert first.must_close
    assert first.state is State.Sta1
    assert second.state is State.Sta13
    assert second.timer_deadline == pair.now + second.config.artim_timeout
    # the releaser closes the transport; the other side sees Evt17 -> AR-5
    assert pair.close(first) == [TransportClosed()]
    assert second.state is State.Sta1
    assert second.timer_deadline is None
    assert [t.action.value for t in second.trace][-2:] == ["AR-4", "AR-5"]


def test_requestor_connect_flow_and_trace() -> None:
    conn = ULConnection(Role.REQUESTOR, now=0.0)
    rq = make_rq()
    conn.send(rq, now=1.0)
    assert conn.state is State.Sta4
    assert conn.next_event() == TransportConnectRequested()
    assert conn.data_to_send() == []  # nothing before the transport is up
    conn.transport_connected(now=2.0)
    assert conn.state is State.Sta5
    assert sent_pdus(conn) == [rq]
    assert [(t.event, t.action.value, t.at) for t in conn.trace] == [
        (Evt.Evt1, "AE-1", 1.0),
        (Evt.Evt2, "AE-2", 2.0),
    ]
    assert "Sta4" in conn.trace.format()


def test_transport_connect_failure_is_a_provider_abort() -> None:
    conn = ULConnection(Role.REQUESTOR, now=0.0)
    conn.send(make_rq(), now=0.0)
    drain(conn)
    conn.receive_data(b"", now=1.0)  # Evt17 in Sta4: AA-4
    events = drain(conn)
    assert isinstance(events[0], APAbortIndication)
    assert events[1:] == [TransportClosed()]
    assert conn.must_close


def test_abort_before_the_transport_is_up() -> None:
    conn = ULConnection(Role.REQUESTOR, now=0.0)
    conn.send(make_rq(), now=0.0)
    drain(conn)
    conn.send(AAbort(0, 0), now=1.0)  # Evt15 in Sta4: AA-2, nothing on the wire
    assert conn.data_to_send() == []
    assert drain(conn) == [TransportClosed()]
    assert conn.state is State.Sta1


# -- reject ------------------------------------------------------------------------------------

# PS3.8 Table 9-21: source -> reasons
REJECT_REASONS = {1: (1, 2, 3, 7), 2: (1, 2), 3: (1, 2)}
REJECTS = [
    (result, source, reason)
    for result in (1, 2)
    for source, reasons in REJECT_REASONS.items()
    for reason in reasons
]


@pytest.mark.parametrize(("result", "source", "reason"), REJECTS)
def test_reject(result: int, source: int, reason: int) -> None:
    pair = ConnectionPair(ULConfig(artim_timeout=10.0), now=100.0)
    req, acc = pair.requestor, pair.acceptor
    req.send(make_rq(), pair.now)
    drain(req)
    req.transport_connected(pair.now)
    pair.flush(req)
    drain(acc)
    events = pair.send(acc, AAssociateRJ(result, source, reason))
    assert len(events) == 2
    rejected, closed = events
    assert isinstance(rejected, AAssociateRejected)
    assert (rejected.result, rejected.source, rejected.reason) == (result, source, reason)
    assert closed == TransportClosed()
    assert req.state is State.Sta1
    assert req.must_close
    assert acc.state is State.Sta13
    assert acc.timer_deadline == 110.0
    assert pair.close(req) == [TransportClosed()]
    assert acc.state is State.Sta1


def test_provider_rejects_an_unsupported_protocol_version() -> None:
    conn = ULConnection(Role.ACCEPTOR, now=0.0)
    conn.receive_data(wire(make_rq(protocol_version=2)), now=1.0)  # bit 0 clear
    assert conn.state is State.Sta13
    assert drain(conn) == []  # no indication (PS3.8 §7.1.2.6)
    assert sent_pdus(conn) == [AAssociateRJ(1, 2, 2)]
    assert conn.timer_deadline == 31.0
    ok = ULConnection(Role.ACCEPTOR, now=0.0)
    ok.receive_data(wire(make_rq(protocol_version=3)), now=1.0)  # only bit 0 is tested
    assert ok.state is State.Sta3


# -- abort ---------------------------------------------------------------------------------


def _pair_in(state: str) -> ConnectionPair:
    """A pair in a joint state: 'establishing', 'established', 'releasing', 'collision'."""
    pair = ConnectionPair()
    req, acc = pair.requestor, pair.acceptor
    if state == "establishing":
        req.send(make_rq(), pair.now)
        drain(req)
        req.transport_connected(pair.now)
        pair.flush(req)
        drain(acc)
        assert (req.state, acc.state) == (State.Sta5, State.Sta3)
        return pair
    pair.associate()
    if state == "releasing":
        pair.send(req, AReleaseRQ())
        assert (req.state, acc.state) == (State.Sta7, State.Sta8)
    elif state == "collision":
        req.send(AReleaseRQ(), pair.now)
        acc.send(AReleaseRQ(), pair.now)
        pair.flush(req)
        pair.flush(acc)
        drain(req)
        drain(acc)
        assert (req.state, acc.state) == (State.Sta9, State.Sta10)
    return pair


@pytest.mark.parametrize("joint", ["establishing", "established", "releasing", "collision"])
@pytest.mark.parametrize("aborter", [Role.REQUESTOR, Role.ACCEPTOR])
@pytest.mark.parametrize(("source", "reason"), [(0, 0), (2, 6), (2, 1)])
def test_abort_in_every_joint_state(joint: str, aborter: Role, source: int, reason: int) -> None:
    pair = _pair_in(joint)
    a = pair.requestor if aborter is Role.REQUESTOR else pair.acceptor
    b = pair.peer(a)
    events = pair.send(a, AAbort(source, reason))  # AA-1 on a, AA-3 on b
    assert a.state is State.Sta13
    assert a.timer_deadline is not None
    if source == 0:
        assert events == [AAbortIndication(0, reason), TransportClosed()]
    else:
        assert len(events) == 2
        assert isinstance(events[0], APAbortIndication)
        assert events[0].reason == reason
    assert b.must_close
    assert pair.close(b) == [TransportClosed()]  # AR-5 on a
    assert a.state is State.Sta1


def test_abort_in_sta2_closes_at_once() -> None:
    conn = drive(Role.ACCEPTOR, State.Sta2)
    conn.receive_data(wire(AAbort(0, 0)), now=1.0)  # Evt16 in Sta2: AA-2
    assert drain(conn) == [TransportClosed()]
    assert conn.timer_deadline is None


def test_unexpected_pdu_in_sta2_gets_a_service_user_abort() -> None:
    conn = drive(Role.ACCEPTOR, State.Sta2)
    conn.receive_data(wire(AReleaseRQ()), now=1.0)  # Evt12 in Sta2: AA-1
    assert sent_pdus(conn) == [AAbort(0, 0)]
    assert conn.state is State.Sta13
    assert conn.timer_deadline == 31.0


def test_unexpected_pdu_when_established_is_a_provider_abort() -> None:
    conn = drive(Role.REQUESTOR, State.Sta6)
    conn.receive_data(wire(make_rq()), now=2.0)  # Evt6 in Sta6: AA-8
    assert sent_pdus(conn) == [AAbort(2, 2)]  # unexpected-PDU
    events = drain(conn)
    assert len(events) == 1
    assert isinstance(events[0], APAbortIndication)
    assert events[0].reason == 2
    assert conn.state is State.Sta13


def test_sta13_ignores_pdus_and_aborts_requests() -> None:
    conn = drive(Role.ACCEPTOR, State.Sta13)
    conn.receive_data(wire(make_pdata()) + wire(AReleaseRP()), now=1.0)  # AA-6 twice
    assert conn.data_to_send() == []
    conn.receive_data(wire(make_rq()), now=2.0)  # AA-7
    assert sent_pdus(conn) == [AAbort(2, 2)]
    assert drain(conn) == []
    assert conn.state is State.Sta13


# -- release collision -------------------------------------------------------------------------


def test_release_collision_requestor_and_acceptor() -> None:
    pair = _pair_in("collision")
    req, acc = pair.requestor, pair.acceptor
    # PS3.8 §7.2: the requestor answers first
    assert_unchanged(acc, lambda: acc.send(AReleaseRP(), pair.now))  # Sta10 waits for the RP
    events = pair.send(req, AReleaseRP())  # AR-9 -> Sta11; acceptor AR-10 -> Sta12
    assert events == [AReleaseConfirmation()]
    assert (req.state, acc.state) == (State.Sta11, State.Sta12)
    events = pair.send(acc, AReleaseRP())  # AR-4 -> Sta13; requestor AR-3 -> Sta1
    assert events == [AReleaseConfirmation(), TransportClosed()]
    assert (req.state, acc.state) == (State.Sta1, State.Sta13)
    assert pair.close(req) == [TransportClosed()]
    assert acc.state is State.Sta1
    assert [t.action.value for t in req.trace] == [
        "AE-1", "AE-2", "AE-3", "AR-1", "AR-8", "AR-9", "AR-3",
    ]  # fmt: skip
    assert [t.action.value for t in acc.trace] == [
        "AE-5", "AE-6", "AE-7", "AR-1", "AR-8", "AR-10", "AR-4", "AR-5",
    ]  # fmt: skip


# -- ARTIM ---------------------------------------------------------------------------------


def test_artim_expires_in_sta2() -> None:
    conn = ULConnection(Role.ACCEPTOR, ULConfig(artim_timeout=30.0), now=0.0)  # AE-5 -> Sta2
    assert conn.timer_deadline == 30.0
    conn.handle_timer(now=29.999)
    assert conn.state is State.Sta2
    conn.handle_timer(now=30.0)  # Evt18: AA-2
    assert conn.state is State.Sta1
    assert conn.must_close
    assert conn.timer_deadline is None
    assert drain(conn) == [TransportClosed()]
    assert conn.data_to_send() == []


def test_artim_stops_when_the_request_arrives() -> None:
    conn = ULConnection(Role.ACCEPTOR, now=0.0)
    conn.receive_data(wire(make_rq()), now=29.0)
    assert conn.timer_deadline is None
    conn.handle_timer(now=1000.0)
    assert conn.state is State.Sta3


@pytest.mark.parametrize("how", ["reject", "release", "abort", "invalid"])
def test_artim_expires_in_sta13(how: str) -> None:
    config = ULConfig(artim_timeout=30.0)
    if how == "reject":
        conn = drive(Role.ACCEPTOR, State.Sta3, config)
        conn.send(AAssociateRJ(1, 1, 1), now=2.0)  # AE-8
    elif how == "release":
        conn = drive(Role.ACCEPTOR, State.Sta8, config)
        conn.send(AReleaseRP(), now=2.0)  # AR-4
    elif how == "abort":
        conn = drive(Role.REQUESTOR, State.Sta6, config)
        conn.send(AAbort(0, 0), now=2.0)  # AA-1
    else:
        conn = drive(Role.REQUESTOR, State.Sta6, config)
        conn.receive_data(GARBAGE, now=2.0)  # AA-8
    assert conn.state is State.Sta13
    assert conn.timer_deadline == 32.0
    conn.handle_timer(now=31.0)
    assert conn.state is State.Sta13
    conn.handle_timer(now=32.0)  # Evt18: AA-2
    assert conn.state is State.Sta1
    assert conn.must_close
    assert drain(conn)[-1] == TransportClosed()


# -- invalid input (Evt19) -----------------------------------------------------------------


def test_unknown_pdu_type_is_evt19_with_unrecognized_pdu() -> None:
    conn = drive(Role.ACCEPTOR, State.Sta6)
    conn.receive_data(GARBAGE + wire(make_pdata()), now=1.0)
    assert sent_pdus(conn) == [AAbort(2, 1)]  # unrecognized-PDU
    events = drain(conn)
    assert len(events) == 1
    assert isinstance(events[0], APAbortIndication)
    assert events[0].reason == 1
    assert conn.trace[-1].event is Evt.Evt19
    # the stream cannot be delimited any more: later bytes are discarded, not answered
    conn.receive_data(wire(make_rq()), now=2.0)
    assert conn.data_to_send() == []
    assert conn.state is State.Sta13


def test_oversize_pdata_is_refused_from_its_header() -> None:
    conn = drive(Role.ACCEPTOR, State.Sta6, ULConfig(max_pdu_length=16384))
    conn.receive_data(struct.pack(">BBL", 4, 0, 16385), now=1.0)  # header only, no body
    assert sent_pdus(conn) == [AAbort(2, 6)]
    assert conn.state is State.Sta13
    ok = drive(Role.ACCEPTOR, State.Sta6, ULConfig(max_pdu_length=16384))
    ok.receive_data(wire(make_pdata(b"x" * (16384 - 6 - 4))), now=1.0)  # exactly the limit
    assert ok.state is State.Sta6
    assert isinstance(drain(ok)[0], PDataIndication)


def test_a_header_claiming_4_gb_costs_no_memory() -> None:
    conn = drive(Role.ACCEPTOR, State.Sta6, ULConfig(max_pdu_length=0))  # unlimited
    tracemalloc.start()
    try:
        conn.receive_data(struct.pack(">BBL", 4, 0, 0xFFFFFFFF) + b"\x00" * 64, now=1.0)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert conn.state is State.Sta13
    assert sent_pdus(conn) == [AAbort(2, 6)]


def test_bytes_after_the_end_in_the_same_chunk_are_dropped() -> None:
    conn = drive(Role.REQUESTOR, State.Sta6)
    conn.receive_data(wire(AAbort(0, 3)) + wire(make_pdata()) + GARBAGE, now=1.0)
    assert drain(conn) == [AAbortIndication(0, 3), TransportClosed()]
    assert conn.data_to_send() == []


@pytest.mark.parametrize("role", [Role.REQUESTOR, Role.ACCEPTOR])
def test_byte_by_byte_equals_whole(role: Role) -> None:
    """The same bytes give the same events and transitions whatever the chunking."""
    stream = wire(make_pdata(b"a" * 100)) + wire(make_pdata(b"b" * 3)) + wire(AReleaseRQ())

    def run(chunks: list[bytes]) -> tuple[list[object], list[str]]:
        conn = drive(role, State.Sta6)
        events: list[object] = []
        for chunk in chunks:
            conn.receive_data(chunk, now=1.0)
            events.extend(
                [bytes(p.data) for p in e.pdvs] if isinstance(e, PDataIndication) else e
                for e in drain(conn)
            )
        return events, [t.action.value for t in conn.trace]

    whole = run([stream])
    assert run([stream[i : i + 1] for i in range(len(stream))]) == whole
    assert run([stream[:7], stream[7:100], stream[100:]]) == whole
    assert whole[1][-3:] == ["DT-2", "DT-2", "AR-2"]


# -- local misuse and zero copy ------------------------------------------------------------


def test_local_misuse_changes_nothing() -> None:
    conn = drive(Role.ACCEPTOR, State.Sta2)
    error = assert_unchanged(conn, lambda: conn.send(make_pdata(), now=1.0))
    assert "Evt9" in str(error)
    assert "Sta2" in str(error)
    conn6 = drive(Role.REQUESTOR, State.Sta6)
    assert_unchanged(conn6, lambda: conn6.send(make_rq(), now=1.0))
    assert_unchanged(conn6, lambda: conn6.send("not a PDU", now=1.0))  # type: ignore[arg-type]
    assert_unchanged(conn6, lambda: conn6.transport_connected(now=1.0))


def test_an_unencodable_pdu_is_a_local_error_that_changes_nothing() -> None:
    conn = ULConnection(Role.REQUESTOR, now=0.0)
    assert_unchanged(conn, lambda: conn.send(make_rq(called_ae_title="X" * 17), now=1.0))
    conn6 = drive(Role.REQUESTOR, State.Sta6)
    bad = PDataTF((PresentationDataValue(300, True, True, b"x"),))  # context ID > 255
    assert_unchanged(conn6, lambda: conn6.send(bad, now=1.0))


def test_pdata_is_sent_and_received_without_copies() -> None:
    pair = ConnectionPair()
    pair.associate()
    payload = memoryview(bytearray(b"y" * 4096))
    pair.requestor.send(make_pdata(payload), pair.now)  # type: ignore[arg-type]
    chunks = pair.requestor.data_to_send()
    assert any(
        chunk is payload or chunk.obj is payload.obj
        for chunk in chunks
        if isinstance(chunk, memoryview)
    )
    pair.acceptor.receive_data(b"".join(bytes(c) for c in chunks), pair.now)
    (event,) = drain(pair.acceptor)
    assert isinstance(event, PDataIndication)
    assert isinstance(event.pdvs[0].data, memoryview)
    assert bytes(event.pdvs[0].data) == bytes(payload)


def test_trace_is_bounded() -> None:
    pair = ConnectionPair(ULConfig(trace_size=3))
    pair.associate()
    for _ in range(5):
        pair.send(pair.requestor, make_pdata())
    trace = pair.acceptor.trace
    assert len(trace) == 3
    assert trace.total == 8
    assert trace.dropped == 5
    assert [t.action.value for t in trace] == ["DT-2", "DT-2", "DT-2"]
    assert "(5 earlier transitions dropped)" in trace.format()
    off = ConnectionPair(ULConfig(trace_size=0))
    off.associate()
    assert len(off.acceptor.trace) == 0
    assert off.acceptor.trace.total == 3


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        ULConfig(artim_timeout=0)
    with pytest.raises(ValueError):
        ULConfig(max_pdu_length=-1)


def test_data_with_no_transport_is_driver_misuse() -> None:
    conn = ULConnection(Role.REQUESTOR, now=0.0)
    assert_unchanged(conn, lambda: conn.receive_data(wire(make_pdata()), now=0.0))
    with pytest.raises(LocalProtocolError):
        conn.receive_data(b"", now=0.0)  # Evt17 in Sta1: blank


def test_send_pdata_is_dt1_per_pdu_in_one_call() -> None:
    """Several P-DATA-TFs in one call: the same bytes and trace as one ``send`` each (Evt9,
    DT-1, Sta6 -> Sta6)."""
    pdus = [make_pdata(b"a" * 10), make_pdata(b"b" * 4, context_id=3), make_pdata(b"c" * 2)]
    one_by_one = drive(Role.REQUESTOR, State.Sta6)
    at_once = drive(Role.REQUESTOR, State.Sta6)
    one_by_one.data_to_send()
    at_once.data_to_send()
    before = at_once.trace.total
    for pdu in pdus:
        one_by_one.send(pdu, now=2.0)
    assert not at_once.has_data_to_send
    at_once.send_pdata(pdus, now=2.0)
    assert at_once.has_data_to_send
    expected = b"".join(bytes(c) for c in one_by_one.data_to_send())
    assert b"".join(bytes(c) for c in at_once.data_to_send()) == expected
    assert not at_once.has_data_to_send
    assert at_once.trace.total == before + 3
    assert list(at_once.trace)[-3:] == list(one_by_one.trace)[-3:]
    assert all(t.event is Evt.Evt9 and t.action is Action.DT_1 for t in list(at_once.trace)[-3:])


def test_send_pdata_refused_or_unencodable_changes_nothing() -> None:
    conn = drive(Role.ACCEPTOR, State.Sta2)
    error = assert_unchanged(conn, lambda: conn.send_pdata([make_pdata()], now=1.0))
    assert "Evt9" in str(error)
    conn6 = drive(Role.REQUESTOR, State.Sta6)
    bad = PDataTF((PresentationDataValue(300, True, True, b"x"),))  # context ID > 255
    assert_unchanged(conn6, lambda: conn6.send_pdata([make_pdata(), bad], now=1.0))
