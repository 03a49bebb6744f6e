"""A minimal blocking socket driver for ULConnection, for the interop tests only.

The library has no transport layer yet; this is the smallest loop that moves bytes between a
socket and a sans-IO ``ULConnection`` with ``time.monotonic()`` as the clock, plus hand-built
C-ECHO command sets (implicit VR little endian group 0000, PS3.7 §9.3.5 and Annex E) so that a
real peer's association can carry a C-ECHO. It is not library code.
"""

from __future__ import annotations

import select
import socket
import struct
import time

from dicomnet.pdu import (
    AAssociateAC,
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
)
from dicomnet.ul import (
    AAssociateAccepted,
    AAssociateIndication,
    AReleaseConfirmation,
    AReleaseIndication,
    PDataIndication,
    Role,
    TransportClosed,
    TransportConnectRequested,
    ULConfig,
    ULConnection,
    ULEvent,
)

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLEMENTATION_UID = "1.2.826.0.1.3680043.9.7.1"

# -- hand-built DIMSE command sets (the DIMSE layer does not exist yet) ---------------------------


def _element(group: int, elem: int, value: bytes) -> bytes:
    return struct.pack("<HHL", group, elem, len(value)) + value


def _command(elements: list[bytes]) -> bytes:
    body = b"".join(elements)
    return _element(0x0000, 0x0000, struct.pack("<L", len(body))) + body


def _uid(uid: str) -> bytes:
    raw = uid.encode("ascii")
    return raw + b"\x00" if len(raw) % 2 else raw


def c_echo_rq(message_id: int) -> bytes:
    """C-ECHO-RQ command set (PS3.7 Table 9.3-12)."""
    return _command(
        [
            _element(0x0000, 0x0002, _uid(VERIFICATION)),
            _element(0x0000, 0x0100, struct.pack("<H", 0x0030)),
            _element(0x0000, 0x0110, struct.pack("<H", message_id)),
            _element(0x0000, 0x0800, struct.pack("<H", 0x0101)),
        ]
    )


def c_echo_rsp(message_id: int, status: int = 0) -> bytes:
    """C-ECHO-RSP command set (PS3.7 Table 9.3-13)."""
    return _command(
        [
            _element(0x0000, 0x0002, _uid(VERIFICATION)),
            _element(0x0000, 0x0100, struct.pack("<H", 0x8030)),
            _element(0x0000, 0x0120, struct.pack("<H", message_id)),
            _element(0x0000, 0x0800, struct.pack("<H", 0x0101)),
            _element(0x0000, 0x0900, struct.pack("<H", status)),
        ]
    )


def read_command(data: bytes) -> dict[int, bytes]:
    """``{element number: value}`` of an implicit VR LE group 0000 command set."""
    out: dict[int, bytes] = {}
    offset = 0
    while offset + 8 <= len(data):
        group, elem, length = struct.unpack_from("<HHL", data, offset)
        assert group == 0x0000, hex(group)
        out[elem] = data[offset + 8 : offset + 8 + length]
        offset += 8 + length
    return out


def ushort(value: bytes) -> int:
    return int(struct.unpack("<H", value)[0])


# -- the driver -------------------------------------------------------------------------------


class Driver:
    """Pump one ULConnection over one blocking socket."""

    def __init__(self, conn: ULConnection, sock: socket.socket | None = None) -> None:
        self.conn = conn
        self.sock = sock
        self.log: list[ULEvent] = []

    def flush(self) -> None:
        assert self.sock is not None
        for chunk in self.conn.data_to_send():
            self.sock.sendall(chunk)
        if self.conn.must_close:
            self.sock.close()

    def next_event(self, timeout: float = 10.0) -> ULEvent:
        """Write what is queued, then read until the connection has an event for us."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.conn.next_event()
            if event is not None:
                self.log.append(event)
                if self.sock is not None and self.conn.must_close:
                    self.flush()
                return event
            assert self.sock is not None
            self.flush()
            now = time.monotonic()
            if now >= deadline:
                raise TimeoutError(f"no event within {timeout} s in {self.conn.state.name}")
            wait = deadline - now
            if self.conn.timer_deadline is not None:
                wait = max(0.0, min(wait, self.conn.timer_deadline - now))
            readable, _, _ = select.select([self.sock], [], [], wait)
            now = time.monotonic()
            if readable:
                try:
                    data = self.sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                self.conn.receive_data(data, now)
            else:
                self.conn.handle_timer(now)

    def send(self, pdu: object) -> None:
        self.conn.send(pdu, time.monotonic())  # type: ignore[arg-type]
        self.flush()


def accept_ac(rq: AAssociateRQ, config: ULConfig) -> AAssociateAC:
    """Accept Verification contexts (implicit or explicit VR LE), reject every other one."""
    contexts = []
    for pc in rq.presentation_contexts:
        offered = [ts.rstrip("\x00 ") for ts in pc.transfer_syntaxes]
        chosen = next((ts for ts in (IMPLICIT_LE, EXPLICIT_LE) if ts in offered), None)
        if pc.abstract_syntax.rstrip("\x00 ") == VERIFICATION and chosen is not None:
            contexts.append(
                PresentationContextACItem(
                    context_id=pc.context_id, result=0, transfer_syntax=chosen
                )
            )
        else:  # 3: abstract-syntax-not-supported (provider rejection)
            contexts.append(
                PresentationContextACItem(
                    context_id=pc.context_id, result=3, transfer_syntax=IMPLICIT_LE
                )
            )
    return AAssociateAC(
        called_ae_title=rq.called_ae_title,
        calling_ae_title=rq.calling_ae_title,
        presentation_contexts=tuple(contexts),
        user_information=UserInformationItem(
            (
                MaximumLengthSubItem(config.max_pdu_length),
                ImplementationClassUIDSubItem(IMPLEMENTATION_UID),
            )
        ),
    )


def serve_one(listener: socket.socket, config: ULConfig | None = None) -> list[ULEvent]:
    """Accept one connection and act as a Verification SCP until the association ends."""
    config = ULConfig() if config is None else config
    sock, _addr = listener.accept()
    with sock:
        driver = Driver(ULConnection(Role.ACCEPTOR, config, now=time.monotonic()), sock)
        command: dict[int, bytearray] = {}
        while True:
            event = driver.next_event()
            if isinstance(event, AAssociateIndication):
                driver.send(accept_ac(event.pdu, config))
            elif isinstance(event, PDataIndication):
                for pdv in event.pdvs:
                    if not pdv.is_command:
                        continue
                    buf = command.setdefault(pdv.context_id, bytearray())
                    buf += pdv.data
                    if pdv.is_last:
                        fields = read_command(bytes(command.pop(pdv.context_id)))
                        assert ushort(fields[0x0100]) == 0x0030, "only C-ECHO is expected"
                        rsp = c_echo_rsp(ushort(fields[0x0110]))
                        pdu = PDataTF((PresentationDataValue(pdv.context_id, True, True, rsp),))
                        driver.send(pdu)
            elif isinstance(event, AReleaseIndication):
                driver.send(AReleaseRP())
            elif isinstance(event, TransportClosed):
                return driver.log


def echo_rq(called: str, calling: str = "DICOMNET") -> AAssociateRQ:
    return AAssociateRQ(
        called_ae_title=called,
        calling_ae_title=calling,
        presentation_contexts=(
            PresentationContextRQItem(
                context_id=1, abstract_syntax=VERIFICATION, transfer_syntaxes=(IMPLICIT_LE,)
            ),
        ),
        user_information=UserInformationItem(
            (MaximumLengthSubItem(16384), ImplementationClassUIDSubItem(IMPLEMENTATION_UID))
        ),
    )


def echo_and_release(port: int, called: str) -> tuple[AAssociateAC, int, list[ULEvent]]:
    """As requestor: associate, send one C-ECHO, release. Returns (AC, C-ECHO status, events)."""
    driver = Driver(ULConnection(Role.REQUESTOR, now=time.monotonic()))
    driver.conn.send(echo_rq(called), time.monotonic())
    assert driver.next_event() == TransportConnectRequested()
    driver.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        driver.conn.transport_connected(time.monotonic())
        accepted = driver.next_event()
        assert isinstance(accepted, AAssociateAccepted), accepted
        context = accepted.pdu.presentation_contexts[0]
        assert context.result == 0, context
        driver.send(PDataTF((PresentationDataValue(context.context_id, True, True, c_echo_rq(7)),)))
        response = driver.next_event()
        assert isinstance(response, PDataIndication), response
        data = b"".join(bytes(p.data) for p in response.pdvs if p.is_command)
        fields = read_command(data)
        assert ushort(fields[0x0100]) == 0x8030
        assert ushort(fields[0x0120]) == 7
        status = ushort(fields[0x0900])
        driver.send(AReleaseRQ())
        assert driver.next_event() == AReleaseConfirmation()
        assert driver.next_event() == TransportClosed()
        assert driver.conn.must_close
        return accepted.pdu, status, driver.log
    finally:
        driver.sock.close()
