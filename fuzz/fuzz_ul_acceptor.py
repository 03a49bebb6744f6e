"""Fuzz target: a ULConnection acceptor fed fuzzer bytes as the peer's stream (PS3.8 §9.2).

The input is a list of steps ``[op][dt][len_hi][len_lo][len bytes]``: ``dt % 41`` seconds pass (so
ARTIM can fire), then the chunk is received, then the local user reacts to each event as ``op``
says (accept/reject/abort an association, answer P-DATA, answer or abort a release). At the end
the transport closes (Evt17).

Invariants (any failure raises): nothing but LocalProtocolError escapes, and that only from a
local send; every byte we queue is a valid PDU; every invalid PDU (Evt19) is answered by the
table's A-ABORT (AA-1, AA-7 or AA-8); no event follows TransportClosed; ARTIM runs exactly in
Sta2/Sta13; memory stays bounded (a header claiming 4 GB is refused after its 6 bytes).
``import atheris`` happens only when run as a script, so pytest can import ``TestOneInput``
(``tests/fuzz/test_replay_ul.py`` replays ``fuzz/corpus/ul_acceptor/``).

Run: ``.venv/bin/python fuzz/fuzz_ul_acceptor.py fuzz/corpus/ul_acceptor -max_total_time=60``
"""

from __future__ import annotations

import contextlib
import struct
import sys

from dicomnet.errors import LocalProtocolError, PDUDecodeError
from dicomnet.pdu import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    MaximumLengthSubItem,
    PDataTF,
    PDUFramer,
    PresentationContextACItem,
    PresentationContextRQItem,
    PresentationDataValue,
    UserInformationItem,
    encode_pdu,
)
from dicomnet.ul import (
    AAssociateAccepted,
    AAssociateIndication,
    Action,
    AReleaseConfirmation,
    AReleaseIndication,
    Evt,
    PDataIndication,
    Role,
    State,
    TransportClosed,
    ULConfig,
    ULConnection,
    ULEvent,
)

CONFIG = ULConfig(artim_timeout=30.0, max_pdu_length=16384, trace_size=1 << 16)
ABORTS = {Action.AA_1, Action.AA_7, Action.AA_8}


class Steps:
    """Reads the step format; missing bytes read as zero."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def chunk(self) -> bytes:
        length = ((self.byte() << 8) | self.byte()) % 4096 + 1
        out = self.data[self.pos : self.pos + length]
        self.pos += len(out)
        return out


def make_steps(steps: list[tuple[int, int, bytes]]) -> bytes:
    """Encode ``[(op, dt, chunk)]`` in the input format (chunks of 1..4096 bytes): for seeds."""
    out = bytearray()
    for op, dt, chunk in steps:
        assert 1 <= len(chunk) <= 4096
        out += struct.pack(">BBH", op, dt, len(chunk) - 1) + chunk
    return bytes(out)


class Checker:
    """Drains a connection after every input and checks the invariants."""

    def __init__(self, conn: ULConnection) -> None:
        self.conn = conn
        self.framer = PDUFramer(0, 1 << 20)
        self.seen = conn.trace.total
        self.closed = False

    def drain(self) -> list[ULEvent]:
        conn = self.conn
        events: list[ULEvent] = []
        while (event := conn.next_event()) is not None:
            if self.closed:
                raise AssertionError(f"{event!r} after TransportClosed")
            self.closed = isinstance(event, TransportClosed)
            events.append(event)
        sent: list[PDU] = []
        for chunk in conn.data_to_send():
            self.framer.feed(bytes(chunk))
            try:
                while (pdu := self.framer.next_pdu()) is not None:
                    sent.append(pdu)
            except PDUDecodeError as exc:
                raise AssertionError(f"we queued an invalid PDU: {exc}") from exc
        new = (
            list(conn.trace)[-(conn.trace.total - self.seen) :]
            if conn.trace.total > self.seen
            else []
        )
        self.seen = conn.trace.total
        for t in new:
            if t.event is Evt.Evt19:
                if t.action not in ABORTS:
                    raise AssertionError(f"Evt19 in {t.state.name} ran {t.action.value}")
                if not any(isinstance(p, AAbort) for p in sent):
                    raise AssertionError("an invalid PDU was not answered by an A-ABORT")
        if (conn.timer_deadline is not None) != (conn.state in (State.Sta2, State.Sta13)):
            raise AssertionError(f"ARTIM {conn.timer_deadline} in {conn.state.name}")
        if conn.must_close != (conn.state is State.Sta1 and conn.trace.total > 0):
            raise AssertionError(f"must_close {conn.must_close} in {conn.state.name}")
        return events


def send(conn: ULConnection, pdu: PDU, now: float) -> None:
    """A local send: LocalProtocolError is allowed (the table may refuse it), nothing else."""
    with contextlib.suppress(LocalProtocolError):
        conn.send(pdu, now)


def react(conn: ULConnection, events: list[ULEvent], op: int, now: float) -> None:
    """The local user's answer to each event, chosen by ``op``."""
    for event in events:
        if isinstance(event, AAssociateIndication):
            choice = op % 4
            if choice == 0:
                contexts = tuple(
                    PresentationContextACItem(
                        context_id=pc.context_id, result=0, transfer_syntax="1.2.840.10008.1.2"
                    )
                    for pc in event.pdu.presentation_contexts[:8]
                )
                ac = AAssociateAC(
                    called_ae_title="FUZZ", calling_ae_title="FUZZ", presentation_contexts=contexts
                )
                send(conn, ac, now)
            elif choice == 1:
                send(conn, AAssociateRJ(1, 1, 1), now)
            elif choice == 2:
                send(conn, AAbort(0, 0), now)
        elif isinstance(event, (PDataIndication, AAssociateAccepted)) and op & 8:
            send(conn, PDataTF((PresentationDataValue(1, True, True, bytes(op % 32)),)), now)
        elif isinstance(event, AReleaseIndication):
            send(conn, AAbort(0, 0) if op & 16 else AReleaseRP(), now)
        elif isinstance(event, AReleaseConfirmation):  # Sta12 (collision, acceptor) answers
            send(conn, AReleaseRP(), now)
    if op & 32:
        send(conn, AReleaseRQ(), now)
    if op & 64 and op & 128:
        send(conn, AAbort(2, op % 7), now)


def run(conn: ULConnection, data: bytes) -> Checker:
    """Feed the steps in ``data`` to ``conn``, checking the invariants throughout."""
    steps = Steps(data)
    checker = Checker(conn)
    now = 0.0
    react(conn, checker.drain(), 0, now)
    while steps.remaining() and not conn.must_close:
        op = steps.byte()
        now += steps.byte() % 41
        conn.handle_timer(now)
        react(conn, checker.drain(), 0, now)
        chunk = steps.chunk()
        if conn.must_close or not chunk:
            break
        if conn.state in (State.Sta1, State.Sta4):  # no transport yet: nothing can arrive
            break
        conn.receive_data(chunk, now)
        react(conn, checker.drain(), op, now)
    if not conn.must_close and conn.state not in (State.Sta1,):
        conn.receive_data(b"", now)  # Evt17
        checker.drain()
    return checker


def TestOneInput(data: bytes) -> None:
    """One fuzz input, as the association-acceptor."""
    run(ULConnection(Role.ACCEPTOR, CONFIG, now=0.0), data)


def seeds() -> dict[str, bytes]:
    """The seed corpus (``fuzz/corpus/ul_acceptor/``), rebuilt by ``--write-seeds DIR``."""
    rq = encode_pdu(
        AAssociateRQ(
            called_ae_title="ANY-SCP",
            calling_ae_title="ECHOSCU",
            presentation_contexts=(
                PresentationContextRQItem(
                    context_id=1,
                    abstract_syntax="1.2.840.10008.1.1",
                    transfer_syntaxes=("1.2.840.10008.1.2",),
                ),
            ),
            user_information=UserInformationItem((MaximumLengthSubItem(16384),)),
        )
    )
    echo = encode_pdu(PDataTF((PresentationDataValue(1, True, True, bytes(68)),)))
    rel_rq, rel_rp = encode_pdu(AReleaseRQ()), encode_pdu(AReleaseRP())
    return {
        "normal": make_steps([(0, 1, rq), (8, 1, echo), (0, 1, rel_rq)]),
        "rq_byte_by_byte": make_steps([(0, 0, rq[i : i + 1]) for i in range(len(rq))]),
        "reject": make_steps([(1, 1, rq)]),
        "local_abort": make_steps([(2, 1, rq)]),
        "peer_abort": make_steps([(0, 1, rq), (0, 1, encode_pdu(AAbort(0, 0)))]),
        "provider_abort": make_steps([(0, 1, rq), (0, 1, encode_pdu(AAbort(2, 6)))]),
        "garbage_in_sta2": make_steps([(0, 1, b"\x99\x00\x00\x00\x00\x00")]),
        "garbage_in_sta6": make_steps(
            [(0, 1, rq), (0, 1, b"\x04\x00\x00\x00\x00\x06\x00\x00\x00\x64\x01\x03")]
        ),
        "unexpected_ac_in_sta2": make_steps([(0, 1, rq.replace(b"\x01", b"\x02", 1))]),
        "protocol_version_2": make_steps([(0, 1, rq[:6] + b"\x00\x02" + rq[8:])]),
        "claims_4gb": make_steps([(0, 1, rq), (0, 1, struct.pack(">BBL", 4, 0, 0xFFFFFFFF))]),
        "artim_in_sta2": make_steps([(0, 40, b"\x01")]),
        "artim_in_sta13": make_steps([(1, 1, rq), (0, 40, b"\x07")]),
        "release_collision": make_steps([(32, 1, rq), (0, 1, rel_rq), (0, 1, rel_rp)]),
        "pdata_then_release_together": make_steps([(0, 1, rq), (8, 1, echo + echo + rel_rq)]),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write-seeds"]:
        import pathlib

        for name, seed in seeds().items():
            (pathlib.Path(sys.argv[2]) / name).write_bytes(seed)
        raise SystemExit(0)
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
