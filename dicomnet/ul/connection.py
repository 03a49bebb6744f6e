"""``ULConnection``: the PS3.8 §9.2 upper-layer state machine for one transport connection, sans-IO.

Bytes, time and the user's requests go in; events, bytes and a timer deadline come out. Nothing
here reads a clock, touches a socket or starts a thread (DESIGN §3.4, after h11 and aioquic):

- ``send(pdu, now)`` is a local primitive: A-ASSOCIATE-RQ Evt1, -AC Evt7, -RJ Evt8, P-DATA-TF Evt9,
  A-RELEASE-RQ Evt11, -RP Evt14, A-ABORT Evt15;
- ``transport_connected(now)`` is Evt2, ``receive_data(data, now)`` feeds the received PDUs
  (Evt3/4/6/10/12/13/16, and Evt19 for anything invalid), ``receive_data(b"", now)`` is Evt17,
  ``handle_timer(now)`` past ``timer_deadline`` is Evt18; an acceptor is created by Evt5;
- ``next_event()`` returns the indications and confirmations, ``data_to_send()`` the bytes to write,
  and ``must_close`` says when to close the transport connection.

A local request with no cell in Table 9-10 raises :class:`~dicomnet.errors.LocalProtocolError`
and changes nothing. Whatever the peer sends becomes an event; ``receive_data`` never raises for it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Final, NoReturn

from dicomnet.errors import LocalProtocolError, PDUDecodeError
from dicomnet.pdu import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PDUEncodeError,
    PDUFramer,
    encode_pdata_parts,
    encode_pdu,
)
from dicomnet.ul.actions import ACTIONS, ActionFunction, Stimulus
from dicomnet.ul.config import ULConfig
from dicomnet.ul.events import PDataIndication, TransportClosed, ULEvent
from dicomnet.ul.states import Action, Evt, Role, State
from dicomnet.ul.table import ACTION_SPECS, TRANSITIONS
from dicomnet.ul.trace import TransitionTrace

__all__ = ["ULConnection"]

# PDU received -> event (PS3.8 §9.2.3)
_RECEIVED: Final[dict[type, Evt]] = {
    AAssociateAC: Evt.Evt3,
    AAssociateRJ: Evt.Evt4,
    AAssociateRQ: Evt.Evt6,
    PDataTF: Evt.Evt10,
    AReleaseRQ: Evt.Evt12,
    AReleaseRP: Evt.Evt13,
    AAbort: Evt.Evt16,
}
# PDU the local user sends -> the request/response primitive's event
_SENT: Final[dict[type, Evt]] = {
    AAssociateRQ: Evt.Evt1,
    AAssociateAC: Evt.Evt7,
    AAssociateRJ: Evt.Evt8,
    PDataTF: Evt.Evt9,
    AReleaseRQ: Evt.Evt11,
    AReleaseRP: Evt.Evt14,
    AAbort: Evt.Evt15,
}
# Plain dicts of the table for the per-PDU path (the public mappings are read-only views).
_CELLS: Final[dict[tuple[State, Evt], Action]] = dict(TRANSITIONS)
_RUN: Final[dict[Action, tuple[ActionFunction, frozenset[State]]]] = {
    action: (ACTIONS[action], ACTION_SPECS[action].next_states) for action in ACTIONS
}
# The per-PDU cell, run inline by receive_data: (Sta6, Evt10) -> DT-2, whose only effect is the
# P-DATA indication (PS3.8 Table 9-7). Checked here so the table stays the one source of truth.
if _CELLS.get((State.Sta6, Evt.Evt10)) is not Action.DT_2:  # pragma: no cover
    raise AssertionError("Table 9-10 (Sta6, Evt10) is expected to be DT-2")
# Likewise the per-PDU sending cell, run inline by send: (Sta6, Evt9) -> DT-1, whose only effect
# is sending the P-DATA-TF (PS3.8 Table 9-7).
if _CELLS.get((State.Sta6, Evt.Evt9)) is not Action.DT_1:  # pragma: no cover
    raise AssertionError("Table 9-10 (Sta6, Evt9) is expected to be DT-1")
# The DT-2 cell as the trace records it (PS3.8 Table 9-10).
_DT_2_CELL: Final = (State.Sta6, Evt.Evt10, Action.DT_2, State.Sta6)
# States without a transport connection: no byte can arrive in them.
_NO_TRANSPORT: Final = frozenset({State.Sta1, State.Sta4})


class _Recorder:
    """The :class:`~dicomnet.ul.actions.Effects` an action sees: it only records.

    Within one action only the order of the sends, the order of the events and the last timer
    operation matter (AE-6 stops ARTIM and may start it again), so that is what is kept.
    """

    __slots__ = ("close", "events", "request", "role", "sends", "timer")

    def __init__(self, role: Role) -> None:
        self.role = role
        self.sends: list[PDU] = []
        self.events: list[ULEvent] = []
        self.timer: bool | None = None  # True: (re)start ARTIM, False: stop it, None: untouched
        self.request: AAssociateRQ | None = None
        self.close = False

    def send_pdu(self, pdu: PDU) -> None:
        self.sends.append(pdu)

    def emit(self, event: ULEvent) -> None:
        self.events.append(event)

    def start_artim(self) -> None:
        self.timer = True

    def stop_artim(self) -> None:
        self.timer = False

    def request_connect(self, request: AAssociateRQ) -> None:
        self.request = request

    def close_transport(self) -> None:
        self.close = True


def _encode(pdu: PDU) -> list[bytes | memoryview]:
    """The PDU's bytes (P-DATA-TF data passed through uncopied); bad values are the user's error."""
    try:
        if isinstance(pdu, PDataTF):
            return encode_pdata_parts(pdu)
        return [encode_pdu(pdu)]
    except PDUEncodeError as exc:
        raise LocalProtocolError(f"cannot encode {type(pdu).__name__}: {exc}") from exc


class ULConnection:
    """One association's upper layer, as requestor or acceptor (PS3.8 §9.2), without IO.

    ``now`` is the caller's monotonic time in seconds; the acceptor's ARTIM timer starts from it.
    """

    __slots__ = (
        "_config",
        "_deadline",
        "_events",
        "_framer",
        "_input_broken",
        "_must_close",
        "_outgoing",
        "_request",
        "_request_wire",
        "_role",
        "_state",
        "_trace",
    )

    def __init__(self, role: Role, config: ULConfig | None = None, *, now: float) -> None:
        self._role = role
        self._config = ULConfig() if config is None else config
        self._state = State.Sta1
        self._framer = PDUFramer(
            self._config.max_pdu_length, self._config.max_association_pdu_length
        )
        self._events: deque[ULEvent] = deque()
        self._outgoing: list[bytes | memoryview] = []
        self._deadline: float | None = None
        self._must_close = False
        self._input_broken = False
        self._request: AAssociateRQ | None = None
        self._request_wire: list[bytes | memoryview] | None = None
        self._trace = TransitionTrace(self._config.trace_size)
        if role is Role.ACCEPTOR:
            # An acceptor exists because a transport connection was accepted: Evt5, AE-5.
            self._fire(Stimulus(Evt.Evt5), now)

    # -- what the caller reads ------------------------------------------------------------

    @property
    def role(self) -> Role:
        """Requestor or acceptor."""
        return self._role

    @property
    def config(self) -> ULConfig:
        """The configuration this connection was created with."""
        return self._config

    @property
    def state(self) -> State:
        """The current state, Sta1..Sta13."""
        return self._state

    @property
    def timer_deadline(self) -> float | None:
        """When ARTIM expires (call ``handle_timer`` then), or None if it is not running."""
        return self._deadline

    @property
    def must_close(self) -> bool:
        """True once the association is over: write ``data_to_send()``, then close the transport."""
        return self._must_close

    @property
    def trace(self) -> TransitionTrace:
        """The last ``config.trace_size`` transitions."""
        return self._trace

    def next_event(self) -> ULEvent | None:
        """The next indication/confirmation for the user, or None until more input arrives."""
        return self._events.popleft() if self._events else None

    @property
    def has_data_to_send(self) -> bool:
        """Whether :meth:`data_to_send` would return bytes."""
        return bool(self._outgoing)

    def data_to_send(self) -> list[bytes | memoryview]:
        """The bytes queued for the peer since the last call, in order (for ``writelines``)."""
        out, self._outgoing = self._outgoing, []
        return out

    # -- inputs -------------------------------------------------------------------------------

    def send(self, pdu: PDU, now: float) -> None:
        """Issue a local primitive, carried by its PDU (Evt1, 7, 8, 9, 11, 14 or 15).

        Raises LocalProtocolError, changing nothing, if Table 9-10 has no cell for it in the
        current state, if the connection is finished, or if the PDU cannot be encoded.
        """
        if type(pdu) is PDataTF and self._state is State.Sta6 and not self._must_close:
            # DT-1 inline (see _CELLS above): encoded first, so a bad PDU changes nothing.
            self._outgoing.extend(_encode(pdu))
            self._trace.record_cell(State.Sta6, Evt.Evt9, Action.DT_1, State.Sta6, now)
            return
        evt = _SENT.get(type(pdu))
        if evt is None:
            raise LocalProtocolError(f"{type(pdu).__name__} is not a PDU the upper layer sends")
        self._check_open(evt)
        if (self._state, evt) not in _CELLS:
            self._refuse(evt)
        self._fire(Stimulus(evt, pdu, wire=_encode(pdu)), now)

    def send_pdata(self, pdus: Sequence[PDataTF], now: float) -> None:
        """Send several P-DATA-TFs in order, as ``send`` would one by one (Evt9 each).

        In Sta6 (the usual case) all are encoded first, then each is the DT-1 cell inline, as in
        :meth:`send`: a PDU that cannot be encoded raises LocalProtocolError and nothing is sent.
        In any other state each goes through :meth:`send` in turn (the table decides).
        """
        if self._state is not State.Sta6 or self._must_close:
            for pdu in pdus:
                self.send(pdu, now)  # the table decides (DT-1 in Sta8, refusal elsewhere)
            return
        wire: list[bytes | memoryview] = []
        for pdu in pdus:
            wire.extend(_encode(pdu))
        self._outgoing.extend(wire)
        record = self._trace.record_cell
        for _pdu in pdus:
            record(State.Sta6, Evt.Evt9, Action.DT_1, State.Sta6, now)

    def transport_connected(self, now: float) -> None:
        """The transport connection requested by AE-1 is open (Evt2): AE-2 sends the request."""
        self._check_open(Evt.Evt2)
        self._fire(Stimulus(Evt.Evt2, self._request, wire=self._request_wire), now)

    def transport_closed(self, now: float) -> None:
        """The transport connection closed or failed to open (Evt17); as ``receive_data(b"")``.

        Once ``must_close`` is true the transport is already being closed, so this is a no-op
        (an adapter may report the close it caused); before any connection it is misuse.
        """
        if self._must_close:
            return
        self._fire(Stimulus(Evt.Evt17), now)

    def receive_data(self, data: bytes, now: float) -> None:
        """Bytes received from the peer; ``b""`` means the transport connection closed (Evt17).

        Every complete PDU is run through the state machine at once; anything invalid is Evt19
        and answered as Table 9-10 says (A-ABORT). After an invalid PDU the byte stream cannot be
        trusted to delimit PDUs, so later bytes are discarded (the machine is then in Sta13,
        waiting for the close). Bytes after the association ended in the same call are dropped.
        Raises LocalProtocolError only for driver misuse: data with no transport connection
        (Sta1, Sta4) or after ``must_close`` (``b""`` after ``must_close`` is a no-op).
        """
        if not data:
            self.transport_closed(now)
            return
        self._check_open(Evt.Evt19)
        if self._state in _NO_TRANSPORT:
            raise LocalProtocolError(
                f"bytes received in {self._state.name} ({self._state.description}): "
                "there is no transport connection"
            )
        if self._input_broken:
            return
        framer = self._framer
        framer.feed(data)
        next_pdu = framer.next_pdu
        take_pdata = framer.take_pdata
        append_event = self._events.append
        record = self._trace.record_cell
        while not self._must_close:
            if self._state is State.Sta6:
                # DT-2 inline (see _CELLS above) for the common P-DATA-TFs in a row, taken
                # straight from the framer as their PDVs: no PDataTF, no recorder, no stimulus.
                pdvs = take_pdata()
                if pdvs:
                    for pdv in pdvs:
                        append_event(PDataIndication((pdv,)))
                    self._trace.record_cells(_DT_2_CELL, len(pdvs), now)
            try:
                pdu = next_pdu()
            except PDUDecodeError as exc:
                self._input_broken = True
                self._fire(Stimulus(Evt.Evt19, reason=exc.abort_reason, detail=str(exc)), now)
                return
            if pdu is None:
                return
            if self._state is State.Sta6 and type(pdu) is PDataTF:
                # DT-2 inline (see _CELLS above): no recorder, no stimulus for the common PDU.
                append_event(PDataIndication(pdu.pdvs))
                record(State.Sta6, Evt.Evt10, Action.DT_2, State.Sta6, now)
                continue
            self._fire(Stimulus(_RECEIVED[type(pdu)], pdu), now)

    def handle_timer(self, now: float) -> None:
        """Fire ARTIM expiry (Evt18) if ``now`` has reached ``timer_deadline``; else nothing."""
        if self._deadline is not None and now >= self._deadline:
            self._fire(Stimulus(Evt.Evt18), now)

    # -- the machine ----------------------------------------------------------------------------

    def _check_open(self, evt: Evt) -> None:
        if self._must_close:
            raise LocalProtocolError(
                f"{evt.name} ({evt.description}) after the association ended: the connection is "
                "finished, use a new ULConnection"
            )

    def _refuse(self, evt: Evt) -> NoReturn:
        state = self._state
        raise LocalProtocolError(
            f"{evt.name} ({evt.description}) is not allowed in {state.name} ({state.description})"
        )

    def _fire(self, stim: Stimulus, now: float) -> None:
        """Run the cell (state, event) of Table 9-10, or raise LocalProtocolError if blank."""
        state, evt = self._state, stim.event
        action = _CELLS.get((state, evt))
        if action is None:
            self._refuse(evt)
        function, allowed = _RUN[action]
        recorder = _Recorder(self._role)
        next_state = function(recorder, stim)
        if next_state not in allowed:  # pragma: no cover - a bug in an action
            raise AssertionError(f"{action.value} returned {next_state.name}")
        if recorder.sends:
            # Encode first: a PDU that cannot be encoded raises before anything has changed.
            wire: list[bytes | memoryview] = []
            for pdu in recorder.sends:
                if pdu is stim.pdu and stim.wire is not None:
                    wire.extend(stim.wire)
                else:
                    wire.extend(_encode(pdu))
            self._outgoing.extend(wire)
        if recorder.events:
            self._events.extend(recorder.events)
        if recorder.timer is not None:
            self._deadline = now + self._config.artim_timeout if recorder.timer else None
        if recorder.request is not None:
            self._request, self._request_wire = recorder.request, stim.wire
        self._trace.record_cell(state, evt, action, next_state, now)
        self._state = next_state
        if recorder.close:
            self._must_close = True
            self._request = self._request_wire = None
            self._events.append(TransportClosed())

    def __repr__(self) -> str:
        return (
            f"<ULConnection {self._role.value} {self._state.name} "
            f"deadline={self._deadline} must_close={self._must_close}>"
        )
