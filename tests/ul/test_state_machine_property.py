"""Hypothesis rule-based test: random event sequences against one ULConnection.

Local sends, received PDUs (valid, mutated, garbage, any chunking), timers and transport events
arrive in any order. Only LocalProtocolError may be raised, only for local requests the table
refuses (or bytes fed with no transport connection), and then nothing changes. Invariants after
every step: ARTIM runs exactly in Sta2/Sta13, ``must_close`` exactly in Sta1 once something
happened, every transition is a cell of Table 9-10 leading to one of its action's states, every
byte queued for the peer is a valid PDU, and TransportClosed is the last event ever emitted.
"""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from dicomnet.errors import LocalProtocolError, PDUDecodeError
from dicomnet.pdu import (
    PDU,
    AAbort,
    AAssociateRJ,
    AReleaseRP,
    AReleaseRQ,
    PDUFramer,
    encode_pdu,
)
from dicomnet.ul import (
    ACTION_SPECS,
    TRANSITIONS,
    Evt,
    Role,
    State,
    TransportClosed,
    ULConfig,
    ULConnection,
    ULEvent,
)
from tests.pdu.strategies import pdus
from tests.ul.helpers import PATHS, drive, make_ac, make_pdata, make_rq, snapshot

CONFIG = ULConfig(artim_timeout=30.0, max_pdu_length=4096, trace_size=16)

# Canonical PDUs by the events they are when sent (local) and received (peer).
LOCAL: dict[Evt, PDU] = {
    Evt.Evt1: make_rq(),
    Evt.Evt7: make_ac(),
    Evt.Evt8: AAssociateRJ(1, 1, 1),
    Evt.Evt9: make_pdata(),
    Evt.Evt11: AReleaseRQ(),
    Evt.Evt14: AReleaseRP(),
    Evt.Evt15: AAbort(0, 0),
}
PEER: dict[Evt, PDU] = {
    Evt.Evt3: make_ac(),
    Evt.Evt4: AAssociateRJ(2, 3, 1),
    Evt.Evt6: make_rq(),
    Evt.Evt10: make_pdata(),
    Evt.Evt12: AReleaseRQ(),
    Evt.Evt13: AReleaseRP(),
    Evt.Evt16: AAbort(2, 0),
}


class ULMachine(RuleBasedStateMachine):
    conn: ULConnection
    now: float
    events: list[ULEvent]
    seen: int

    @initialize(start=st.sampled_from(sorted(PATHS, key=lambda k: (k[0].value, k[1].value))))
    def start(self, start: tuple[Role, State]) -> None:
        """Begin in any state either role can reach (driven there by real events at time 0)."""
        self.now = 0.0
        self.conn = drive(*start, config=CONFIG)
        self.events = []
        self.seen = 0
        self.framer = PDUFramer(0, 1 << 20)  # decodes everything we send

    def _local(self, call: object) -> None:
        before = snapshot(self.conn)
        try:
            call()  # type: ignore[operator]
        except LocalProtocolError:
            assert snapshot(self.conn) == before
        self._collect()

    def _feed(self, data: bytes) -> None:
        conn = self.conn
        if data:
            misuse = conn.must_close or conn.state in (State.Sta1, State.Sta4)
        else:  # closing twice is harmless; closing what never opened is misuse
            misuse = not conn.must_close and (conn.state, Evt.Evt17) not in TRANSITIONS
        before = snapshot(conn)
        try:
            conn.receive_data(data, self.now)
        except LocalProtocolError:
            assert misuse, "receive_data raised for peer input"
            assert snapshot(conn) == before
        else:
            assert not misuse
        self._collect()

    def _collect(self) -> None:
        while (event := self.conn.next_event()) is not None:
            assert TransportClosed() not in self.events, "event after TransportClosed"
            self.events.append(event)
        for chunk in self.conn.data_to_send():
            self.framer.feed(bytes(chunk))
            try:
                while self.framer.next_pdu() is not None:
                    pass
            except PDUDecodeError as exc:  # pragma: no cover - a failure
                raise AssertionError(f"we sent an invalid PDU: {exc}") from exc

    @rule(evt=st.sampled_from(sorted(LOCAL, key=lambda e: e.value)))
    def local_send_canonical(self, evt: Evt) -> None:
        self._local(lambda: self.conn.send(LOCAL[evt], self.now))

    @rule(evt=st.sampled_from(sorted(PEER, key=lambda e: e.value)))
    def receive_canonical(self, evt: Evt) -> None:
        self._feed(encode_pdu(PEER[evt]))

    @rule(choice=st.integers(0, 7))
    def progress(self, choice: int) -> None:
        """Take one of the steps that do not abort from this state (drives the machine deep)."""
        state = self.conn.state
        options = [
            evt
            for (s, evt), action in TRANSITIONS.items()
            if s is state and not action.value.startswith("AA-") and (evt in LOCAL or evt in PEER)
        ]
        if state is State.Sta4:
            self._local(lambda: self.conn.transport_connected(self.now))
        elif options and not self.conn.must_close:
            evt = options[choice % len(options)]
            if evt in LOCAL:
                self._local(lambda: self.conn.send(LOCAL[evt], self.now))
            else:
                self._feed(encode_pdu(PEER[evt]))

    @rule(pdu=pdus)
    def local_send(self, pdu: PDU) -> None:
        self._local(lambda: self.conn.send(pdu, self.now))

    @rule()
    def transport_connected(self) -> None:
        self._local(lambda: self.conn.transport_connected(self.now))

    @rule(pdu=pdus, cut=st.integers(0, 64))
    def receive_pdu(self, pdu: PDU, cut: int) -> None:
        data = encode_pdu(pdu)
        cut = min(cut, len(data) - 1)
        self._feed(data[: cut + 1])
        if cut + 1 < len(data) and not self.conn.must_close:
            self._feed(data[cut + 1 :])

    @rule(pdu=pdus, index=st.integers(0, 200), value=st.integers(0, 255))
    def receive_mutated_pdu(self, pdu: PDU, index: int, value: int) -> None:
        data = bytearray(encode_pdu(pdu))
        data[index % len(data)] = value
        self._feed(bytes(data))

    @rule(data=st.binary(min_size=1, max_size=64))
    def receive_garbage(self, data: bytes) -> None:
        self._feed(data)

    @rule()
    def transport_closed(self) -> None:
        self._feed(b"")

    @rule(delta=st.floats(0, 40, allow_nan=False))
    def time_passes(self, delta: float) -> None:
        self.now += delta
        if self.conn.must_close:
            return
        self.conn.handle_timer(self.now)
        self._collect()

    @invariant()
    def record_state(self) -> None:
        event(f"reached {self.conn.role.value} {self.conn.state.name}")

    @invariant()
    def artim_runs_exactly_in_sta2_and_sta13(self) -> None:
        running = self.conn.timer_deadline is not None
        assert running == (self.conn.state in (State.Sta2, State.Sta13))

    @invariant()
    def closed_exactly_in_sta1(self) -> None:
        conn = self.conn
        if conn.must_close:
            assert conn.state is State.Sta1
            assert conn.next_event() is None
            assert not self.events or self.events[-1] == TransportClosed()
        elif conn.state is State.Sta1:
            assert conn.role is Role.REQUESTOR
            assert conn.trace.total == 0

    @invariant()
    def transitions_are_cells_of_the_table(self) -> None:
        trace = self.conn.trace
        assert len(trace) <= CONFIG.trace_size
        for t in trace:
            assert TRANSITIONS[(t.state, t.event)] is t.action
            assert t.next_state in ACTION_SPECS[t.action].next_states


TestULMachine = ULMachine.TestCase
TestULMachine.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
