"""Test helpers for the upper layer: PDU factories, a back-to-back ConnectionPair, state drivers.

``ConnectionPair`` (h11's helper of the same name, aioquic's ``client_and_server``) wires a
requestor and an acceptor ``ULConnection`` together with an explicit clock and no sockets.
"""

from __future__ import annotations

from collections.abc import Callable

from dicomnet.errors import LocalProtocolError
from dicomnet.pdu import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    ImplementationClassUIDSubItem,
    MaximumLengthSubItem,
    PDataTF,
    PresentationContextACItem,
    PresentationContextRQItem,
    PresentationDataValue,
    UserInformationItem,
    decode_pdu,
    encode_pdu,
)
from dicomnet.ul import (
    AAssociateAccepted,
    AAssociateIndication,
    Role,
    State,
    TransportConnectRequested,
    ULConfig,
    ULConnection,
    ULEvent,
)

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
GARBAGE = b"\x99\x00\x00\x00\x00\x00"  # unknown PDU type: Evt19


def make_rq(**changes: object) -> AAssociateRQ:
    fields: dict[str, object] = {
        "called_ae_title": "ANY-SCP",
        "calling_ae_title": "ECHOSCU",
        "presentation_contexts": (
            PresentationContextRQItem(
                context_id=1, abstract_syntax=VERIFICATION, transfer_syntaxes=(IMPLICIT_LE,)
            ),
        ),
        "user_information": UserInformationItem(
            (MaximumLengthSubItem(16384), ImplementationClassUIDSubItem("1.2.826.0.1.3680043.9"))
        ),
    }
    fields.update(changes)
    return AAssociateRQ(**fields)  # type: ignore[arg-type]


def make_ac(**changes: object) -> AAssociateAC:
    fields: dict[str, object] = {
        "called_ae_title": "ANY-SCP",
        "calling_ae_title": "ECHOSCU",
        "presentation_contexts": (
            PresentationContextACItem(context_id=1, result=0, transfer_syntax=IMPLICIT_LE),
        ),
        "user_information": UserInformationItem(
            (MaximumLengthSubItem(16384), ImplementationClassUIDSubItem("1.2.826.0.1.3680043.9"))
        ),
    }
    fields.update(changes)
    return AAssociateAC(**fields)  # type: ignore[arg-type]


def make_pdata(data: bytes = b"\x00" * 8, context_id: int = 1) -> PDataTF:
    return PDataTF((PresentationDataValue(context_id, True, True, data),))


def wire(pdu: PDU) -> bytes:
    return encode_pdu(pdu)


def drain(conn: ULConnection) -> list[ULEvent]:
    events: list[ULEvent] = []
    while (event := conn.next_event()) is not None:
        events.append(event)
    return events


def sent_pdus(conn: ULConnection) -> list[PDU]:
    """Decode what the connection queued for the peer (one PDU per ``encode`` call)."""
    data = b"".join(bytes(chunk) for chunk in conn.data_to_send())
    pdus: list[PDU] = []
    offset = 0
    while offset < len(data):
        length = int.from_bytes(data[offset + 2 : offset + 6], "big")
        pdus.append(decode_pdu(data[offset : offset + 6 + length]))
        offset += 6 + length
    return pdus


class ConnectionPair:
    """A requestor and an acceptor wired back to back, with an explicit clock."""

    def __init__(self, config: ULConfig | None = None, now: float = 0.0) -> None:
        self.now = now
        self.requestor = ULConnection(Role.REQUESTOR, config, now=now)
        self.acceptor = ULConnection(Role.ACCEPTOR, config, now=now)
        self.transcript: list[tuple[Role, bytes]] = []

    def peer(self, conn: ULConnection) -> ULConnection:
        return self.acceptor if conn is self.requestor else self.requestor

    def flush(self, conn: ULConnection) -> None:
        """Move everything ``conn`` queued to its peer (as one TCP segment)."""
        data = b"".join(bytes(chunk) for chunk in conn.data_to_send())
        if data:
            self.transcript.append((conn.role, data))
            peer = self.peer(conn)
            if not peer.must_close:
                peer.receive_data(data, self.now)

    def send(self, conn: ULConnection, pdu: PDU) -> list[ULEvent]:
        """``conn`` sends ``pdu``; the bytes reach the peer; return the peer's new events."""
        conn.send(pdu, self.now)
        self.flush(conn)
        return drain(self.peer(conn))

    def close(self, conn: ULConnection) -> list[ULEvent]:
        """``conn`` closes its end (after flushing): the peer sees Evt17. Peer's events back."""
        assert conn.must_close
        self.flush(conn)
        peer = self.peer(conn)
        if peer.must_close:
            return []
        peer.receive_data(b"", self.now)
        return drain(peer)

    def associate(self, rq: AAssociateRQ | None = None, ac: AAssociateAC | None = None) -> None:
        """Establish the association: both ends in Sta6."""
        rq = make_rq() if rq is None else rq
        self.requestor.send(rq, self.now)
        assert drain(self.requestor) == [TransportConnectRequested()]
        self.requestor.transport_connected(self.now)
        self.flush(self.requestor)
        events = drain(self.acceptor)
        assert events == [AAssociateIndication(rq)], events
        ac = make_ac() if ac is None else ac
        self.acceptor.send(ac, self.now)
        self.flush(self.acceptor)
        assert drain(self.requestor) == [AAssociateAccepted(ac)]
        assert self.requestor.state is State.Sta6
        assert self.acceptor.state is State.Sta6


# -- driving one connection into a given state ------------------------------------------------

Step = Callable[[ULConnection], None]


def _send(pdu: PDU) -> Step:
    return lambda c: c.send(pdu, 0.0)


def _recv(pdu: PDU) -> Step:
    return lambda c: c.receive_data(encode_pdu(pdu), 0.0)


def _connected(c: ULConnection) -> None:
    c.transport_connected(0.0)


def _eof(c: ULConnection) -> None:
    c.receive_data(b"", 0.0)


_REQ_TO_6: list[Step] = [_send(make_rq()), _connected, _recv(make_ac())]
_ACC_TO_6: list[Step] = [_recv(make_rq()), _send(make_ac())]

PATHS: dict[tuple[Role, State], list[Step]] = {
    (Role.REQUESTOR, State.Sta1): [],
    (Role.REQUESTOR, State.Sta4): [_send(make_rq())],
    (Role.REQUESTOR, State.Sta5): [_send(make_rq()), _connected],
    (Role.REQUESTOR, State.Sta6): _REQ_TO_6,
    (Role.REQUESTOR, State.Sta7): [*_REQ_TO_6, _send(AReleaseRQ())],
    (Role.REQUESTOR, State.Sta8): [*_REQ_TO_6, _recv(AReleaseRQ())],
    (Role.REQUESTOR, State.Sta9): [*_REQ_TO_6, _send(AReleaseRQ()), _recv(AReleaseRQ())],
    (Role.REQUESTOR, State.Sta11): [
        *_REQ_TO_6,
        _send(AReleaseRQ()),
        _recv(AReleaseRQ()),
        _send(AReleaseRP()),
    ],
    (Role.REQUESTOR, State.Sta13): [*_REQ_TO_6, _send(AAbort(0, 0))],
    (Role.ACCEPTOR, State.Sta1): [_eof],
    (Role.ACCEPTOR, State.Sta2): [],
    (Role.ACCEPTOR, State.Sta3): [_recv(make_rq())],
    (Role.ACCEPTOR, State.Sta6): _ACC_TO_6,
    (Role.ACCEPTOR, State.Sta7): [*_ACC_TO_6, _send(AReleaseRQ())],
    (Role.ACCEPTOR, State.Sta8): [*_ACC_TO_6, _recv(AReleaseRQ())],
    (Role.ACCEPTOR, State.Sta10): [*_ACC_TO_6, _send(AReleaseRQ()), _recv(AReleaseRQ())],
    (Role.ACCEPTOR, State.Sta12): [
        *_ACC_TO_6,
        _send(AReleaseRQ()),
        _recv(AReleaseRQ()),
        _recv(AReleaseRP()),
    ],
    (Role.ACCEPTOR, State.Sta13): [_recv(make_rq()), _send(AAssociateRJ(1, 1, 1))],
}


def drive(role: Role, state: State, config: ULConfig | None = None) -> ULConnection:
    """A connection of ``role`` in ``state``, reached by real events at time 0, queues drained."""
    conn = ULConnection(role, config, now=0.0)
    for step in PATHS[(role, state)]:
        step(conn)
    assert conn.state is state, (role, state, conn.state)
    drain(conn)
    conn.data_to_send()
    return conn


def snapshot(conn: ULConnection) -> tuple[object, ...]:
    """Everything a rejected local request must leave unchanged."""
    return (
        conn.state,
        conn.timer_deadline,
        conn.must_close,
        conn.trace.total,
        tuple(conn.trace),
    )


def assert_unchanged(conn: ULConnection, call: Callable[[], object]) -> LocalProtocolError:
    """``call`` raises LocalProtocolError and leaves ``conn`` exactly as it was."""
    before = snapshot(conn)
    try:
        call()
    except LocalProtocolError as exc:
        error = exc
    else:
        raise AssertionError("expected LocalProtocolError")
    assert snapshot(conn) == before
    assert conn.next_event() is None
    assert conn.data_to_send() == []
    return error
