"""Every (state, event) cell of PS3.8 Table 9-10, run on a real ULConnection.

The state is reached by real events (``helpers.PATHS``), for each role that can reach it; then the
event is triggered through the public API. A defined cell runs its action: the trace shows the cell
(from the independent transcription in ``table_9_10``), the next state is the action's, and the
action's effects (PDU sent, events emitted, ARTIM) are checked. A blank cell for a local event
raises LocalProtocolError and changes nothing. Evt5 has no input method (an acceptor is created by
it), and Evt18 outside Sta2/Sta13 cannot happen because ARTIM runs only there.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dicomnet.pdu import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
)
from dicomnet.ul import (
    AAbortIndication,
    AAssociateAccepted,
    AAssociateIndication,
    AAssociateRejected,
    Action,
    APAbortIndication,
    AReleaseConfirmation,
    AReleaseIndication,
    Evt,
    EvtSource,
    PDataIndication,
    Role,
    State,
    Transition,
    TransportClosed,
    TransportConnectRequested,
    ULConfig,
    ULConnection,
)
from tests.ul import table_9_10
from tests.ul.helpers import (
    GARBAGE,
    PATHS,
    assert_unchanged,
    drain,
    drive,
    make_ac,
    make_pdata,
    make_rq,
    sent_pdus,
    snapshot,
    wire,
)

NOW = 5.0
CONFIG = ULConfig(artim_timeout=30.0)
CELLS = table_9_10.cells()


def _trigger(evt: Evt) -> Callable[[ULConnection], None]:
    def send(pdu: PDU) -> Callable[[ULConnection], None]:
        return lambda c: c.send(pdu, NOW)

    def recv(data: bytes) -> Callable[[ULConnection], None]:
        return lambda c: c.receive_data(data, NOW)

    triggers: dict[Evt, Callable[[ULConnection], None]] = {
        Evt.Evt1: send(make_rq()),
        Evt.Evt2: lambda c: c.transport_connected(NOW),
        Evt.Evt3: recv(wire(make_ac())),
        Evt.Evt4: recv(wire(AAssociateRJ(1, 1, 1))),
        Evt.Evt6: recv(wire(make_rq())),
        Evt.Evt7: send(make_ac()),
        Evt.Evt8: send(AAssociateRJ(1, 1, 1)),
        Evt.Evt9: send(make_pdata()),
        Evt.Evt10: recv(wire(make_pdata())),
        Evt.Evt11: send(AReleaseRQ()),
        Evt.Evt12: recv(wire(AReleaseRQ())),
        Evt.Evt13: recv(wire(AReleaseRP())),
        Evt.Evt14: send(AReleaseRP()),
        Evt.Evt15: send(AAbort(0, 0)),
        Evt.Evt16: recv(wire(AAbort(0, 0))),
        Evt.Evt17: recv(b""),
        Evt.Evt18: lambda c: c.handle_timer(NOW if c.timer_deadline is None else c.timer_deadline),
        Evt.Evt19: recv(GARBAGE),
    }
    return triggers[evt]


# action -> (type of the PDU sent or None, types of the events emitted, ARTIM afterwards)
# ARTIM: "start" = deadline is now + timeout, "stop" = None, "keep" = as before.
EFFECTS: dict[str, tuple[type | None, list[type], str]] = {
    "AE-1": (None, [TransportConnectRequested], "keep"),
    "AE-2": (AAssociateRQ, [], "keep"),
    "AE-3": (None, [AAssociateAccepted], "keep"),
    "AE-4": (None, [AAssociateRejected, TransportClosed], "keep"),
    "AE-5": (None, [], "start"),
    "AE-6": (None, [AAssociateIndication], "stop"),  # acceptable request: indication
    "AE-7": (AAssociateAC, [], "keep"),
    "AE-8": (AAssociateRJ, [], "start"),
    "DT-1": (PDataTF, [], "keep"),
    "DT-2": (None, [PDataIndication], "keep"),
    "AR-1": (AReleaseRQ, [], "keep"),
    "AR-2": (None, [AReleaseIndication], "keep"),
    "AR-3": (None, [AReleaseConfirmation, TransportClosed], "keep"),
    "AR-4": (AReleaseRP, [], "start"),
    "AR-5": (None, [TransportClosed], "stop"),
    "AR-6": (None, [PDataIndication], "keep"),
    "AR-7": (PDataTF, [], "keep"),
    "AR-8": (None, [AReleaseIndication], "keep"),
    "AR-9": (AReleaseRP, [], "keep"),
    "AR-10": (None, [AReleaseConfirmation], "keep"),
    "AA-1": (AAbort, [], "start"),
    "AA-2": (None, [TransportClosed], "stop"),
    "AA-3": (None, [AAbortIndication, TransportClosed], "stop"),
    "AA-4": (None, [APAbortIndication, TransportClosed], "stop"),
    "AA-5": (None, [TransportClosed], "stop"),
    "AA-6": (None, [], "keep"),
    "AA-7": (AAbort, [], "keep"),
    "AA-8": (AAbort, [APAbortIndication], "start"),
}

CASES = [
    (role, state, evt)
    for (role, state) in PATHS
    for evt in Evt
    if evt is not Evt.Evt5 and not (role is Role.ACCEPTOR and state is State.Sta1)
]


def _id(case: tuple[Role, State, Evt]) -> str:
    role, state, evt = case
    return f"{role.value}-{state.name}-{evt.name}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_cell(case: tuple[Role, State, Evt]) -> None:
    role, state, evt = case
    conn = drive(role, state, CONFIG)
    deadline_before = conn.timer_deadline
    action = CELLS.get((state.value, evt.value))
    trigger = _trigger(evt)

    if action is None:
        if evt is Evt.Evt18:  # ARTIM is not running outside Sta2/Sta13: nothing can fire
            assert deadline_before is None
            before = (conn.state, conn.trace.total)
            trigger(conn)
            assert (conn.state, conn.trace.total) == before
            return
        # A blank cell: a local event is refused; a peer event cannot occur without a transport
        # connection (Sta1, Sta4), so feeding bytes there is driver misuse. Both change nothing.
        assert evt.source is not EvtSource.PEER or state in (State.Sta1, State.Sta4)
        assert_unchanged(conn, lambda: trigger(conn))
        return

    at = deadline_before if evt is Evt.Evt18 else NOW
    trigger(conn)
    last = conn.trace[-1]
    assert (last.state, last.event, last.action.value) == (state, evt, action)
    assert last.at == at
    assert last.next_state is conn.state
    assert conn.state.value in table_9_10.NEXT_STATES[action]
    if action == "AR-8":
        assert conn.state is (State.Sta9 if role is Role.REQUESTOR else State.Sta10)
    if action == "AE-6":
        assert conn.state is State.Sta3

    pdu_type, event_types, artim = EFFECTS[action]
    sent = sent_pdus(conn)
    assert [type(p) for p in sent] == ([pdu_type] if pdu_type else [])
    assert [type(e) for e in drain(conn)] == event_types
    if artim == "start":
        assert conn.timer_deadline == at + CONFIG.artim_timeout
    elif artim == "stop":
        assert conn.timer_deadline is None
    else:
        assert conn.timer_deadline == deadline_before
    # invariants of every cell
    assert (conn.timer_deadline is not None) == (conn.state in (State.Sta2, State.Sta13))
    assert conn.must_close == (conn.state is State.Sta1)


def test_evt5_is_the_acceptor_constructor() -> None:
    conn = ULConnection(Role.ACCEPTOR, CONFIG, now=NOW)
    assert list(conn.trace) == [Transition(State.Sta1, Evt.Evt5, Action.AE_5, State.Sta2, NOW)]
    assert conn.timer_deadline == NOW + CONFIG.artim_timeout
    assert drain(conn) == []
    assert conn.data_to_send() == []


def test_all_defined_cells_are_exercised() -> None:
    exercised = {
        (state.value, evt.value) for role, state, evt in CASES if (state.value, evt.value) in CELLS
    }
    assert exercised | {(1, 5)} == set(CELLS)


def test_finished_connection_refuses_everything() -> None:
    conn = drive(Role.ACCEPTOR, State.Sta1)
    assert conn.must_close
    for evt in Evt:
        if evt in (Evt.Evt5, Evt.Evt17, Evt.Evt18):
            continue
        assert_unchanged(conn, lambda evt=evt: _trigger(evt)(conn))  # type: ignore[misc]
    before = snapshot(conn)
    conn.handle_timer(1e9)  # no timer runs
    conn.receive_data(b"", NOW)  # the close the adapter itself caused: harmless
    conn.transport_closed(NOW)
    assert snapshot(conn) == before
    assert conn.next_event() is None
