"""The state machine actions of PS3.8 §9.2.2 (Tables 9-6 to 9-9), one small function each.

An action gets a narrow :class:`Effects` interface and the :class:`Stimulus` (the event and what
came with it), records what must happen (send a PDU, emit an event, start/stop ARTIM, request the
transport connection, close it) and returns the next state. Actions do no IO and hold no state;
the connection applies the recorded effects afterwards. Only AE-6 and AR-8 choose their next state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final, NamedTuple, Protocol, TypeVar

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
from dicomnet.ul.events import (
    AAbortIndication,
    AAssociateAccepted,
    AAssociateIndication,
    AAssociateRejected,
    APAbortIndication,
    AReleaseConfirmation,
    AReleaseIndication,
    PDataIndication,
    TransportConnectRequested,
    ULEvent,
)
from dicomnet.ul.states import Action, Evt, Role, State

__all__ = [
    "ABORT_SOURCE_PROVIDER",
    "ABORT_SOURCE_USER",
    "ACTIONS",
    "REASON_NOT_SPECIFIED",
    "REASON_UNEXPECTED_PDU",
    "ActionFunction",
    "Effects",
    "Stimulus",
    "provider_rejection",
]

# A-ABORT PDU Source and Reason/Diag. values (PS3.8 §9.3.8, Table 9-26).
ABORT_SOURCE_USER: Final = 0
ABORT_SOURCE_PROVIDER: Final = 2
REASON_NOT_SPECIFIED: Final = 0
REASON_UNEXPECTED_PDU: Final = 2

# A-ASSOCIATE-RJ values (PS3.8 §9.3.4, Table 9-21) for a provider rejection in AE-6.
_RJ_PERMANENT: Final = 1
_RJ_SOURCE_ACSE: Final = 2
_RJ_PROTOCOL_VERSION_NOT_SUPPORTED: Final = 2


class Stimulus(NamedTuple):
    """An event of Table 9-10 with its payload.

    ``pdu`` is the PDU received (Evt3/4/6/10/12/13/16), the PDU the user asked to send
    (Evt1/7/8/9/11/14/15) or, for Evt2, the A-ASSOCIATE-RQ stored by AE-1. For Evt19, ``reason``
    is the A-ABORT Reason/Diag. that answers the invalid PDU and ``detail`` says why. ``wire``
    is ``pdu`` already encoded (local sends are encoded before anything changes).
    """

    event: Evt
    pdu: PDU | None = None
    reason: int = REASON_NOT_SPECIFIED
    detail: str = ""
    wire: list[bytes | memoryview] | None = None


class Effects(Protocol):
    """What an action may do. Effects are recorded in order and applied by the connection."""

    @property
    def role(self) -> Role:
        """Whether we are the association-requestor or the acceptor (AR-8 needs it)."""
        ...

    def send_pdu(self, pdu: PDU) -> None:
        """Queue a PDU for the peer."""

    def emit(self, event: ULEvent) -> None:
        """Queue an event (a primitive) for the local user."""

    def start_artim(self) -> None:
        """Start, or restart, the ARTIM timer."""

    def stop_artim(self) -> None:
        """Stop the ARTIM timer if it is running."""

    def request_connect(self, request: AAssociateRQ) -> None:
        """Ask the transport service to connect; keep ``request`` for AE-2."""

    def close_transport(self) -> None:
        """The association is over: the transport connection must be closed (or released)."""


ActionFunction = Callable[[Effects, Stimulus], State]
_T = TypeVar("_T")


def _expect(pdu: PDU | None, kind: type[_T]) -> _T:
    if not isinstance(pdu, kind):  # the connection maps PDU types to events: cannot happen
        raise TypeError(f"expected {kind.__name__}, got {type(pdu).__name__}")
    return pdu


def provider_rejection(request: AAssociateRQ) -> AAssociateRJ | None:
    """The A-ASSOCIATE-RJ the UL service-provider answers with, or None if acceptable (AE-6).

    PS3.8 §9.3.2: a receiver implementing only version 1 tests only that bit 0 of the
    Protocol-version is set; otherwise the request is rejected, permanent, by the service-provider
    (ACSE related function) with "protocol-version-not-supported" (Table 9-21).
    """
    if request.protocol_version & 1:
        return None
    return AAssociateRJ(
        result=_RJ_PERMANENT, source=_RJ_SOURCE_ACSE, reason=_RJ_PROTOCOL_VERSION_NOT_SUPPORTED
    )


def _provider_reason(stim: Stimulus) -> int:
    """Reason/Diag. for a provider abort: the decoder's for Evt19, else unexpected-PDU."""
    return stim.reason if stim.event is Evt.Evt19 else REASON_UNEXPECTED_PDU


def _provider_detail(stim: Stimulus) -> str:
    if stim.event is Evt.Evt19:
        return f"invalid PDU received: {stim.detail}" if stim.detail else "invalid PDU received"
    return f"unexpected {type(stim.pdu).__name__} received ({stim.event.name})"


# Table 9-6: association establishment related actions


def ae_1(fx: Effects, stim: Stimulus) -> State:
    """Issue TRANSPORT CONNECT request primitive to local transport service."""
    fx.request_connect(_expect(stim.pdu, AAssociateRQ))
    fx.emit(TransportConnectRequested())
    return State.Sta4


def ae_2(fx: Effects, stim: Stimulus) -> State:
    """Send A-ASSOCIATE-RQ-PDU."""
    fx.send_pdu(_expect(stim.pdu, AAssociateRQ))
    return State.Sta5


def ae_3(fx: Effects, stim: Stimulus) -> State:
    """Issue A-ASSOCIATE confirmation (accept) primitive."""
    fx.emit(AAssociateAccepted(_expect(stim.pdu, AAssociateAC)))
    return State.Sta6


def ae_4(fx: Effects, stim: Stimulus) -> State:
    """Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection."""
    fx.emit(AAssociateRejected(_expect(stim.pdu, AAssociateRJ)))
    fx.close_transport()
    return State.Sta1


def ae_5(fx: Effects, stim: Stimulus) -> State:
    """Issue Transport connection response primitive; start ARTIM timer."""
    fx.start_artim()
    return State.Sta2


def ae_6(fx: Effects, stim: Stimulus) -> State:
    """Stop ARTIM; indicate A-ASSOCIATE, or send A-ASSOCIATE-RJ and start ARTIM if unacceptable."""
    request = _expect(stim.pdu, AAssociateRQ)
    fx.stop_artim()
    rejection = provider_rejection(request)
    if rejection is None:
        fx.emit(AAssociateIndication(request))
        return State.Sta3
    fx.send_pdu(rejection)
    fx.start_artim()
    return State.Sta13


def ae_7(fx: Effects, stim: Stimulus) -> State:
    """Send A-ASSOCIATE-AC PDU."""
    fx.send_pdu(_expect(stim.pdu, AAssociateAC))
    return State.Sta6


def ae_8(fx: Effects, stim: Stimulus) -> State:
    """Send A-ASSOCIATE-RJ PDU and start ARTIM timer."""
    fx.send_pdu(_expect(stim.pdu, AAssociateRJ))
    fx.start_artim()
    return State.Sta13


# Table 9-7: data transfer related actions


def dt_1(fx: Effects, stim: Stimulus) -> State:
    """Send P-DATA-TF PDU."""
    fx.send_pdu(_expect(stim.pdu, PDataTF))
    return State.Sta6


def dt_2(fx: Effects, stim: Stimulus) -> State:
    """Send P-DATA indication primitive."""
    fx.emit(PDataIndication(tuple(_expect(stim.pdu, PDataTF).pdvs)))
    return State.Sta6


# Table 9-8: association release related actions


def ar_1(fx: Effects, stim: Stimulus) -> State:
    """Send A-RELEASE-RQ PDU."""
    fx.send_pdu(_expect(stim.pdu, AReleaseRQ))
    return State.Sta7


def ar_2(fx: Effects, stim: Stimulus) -> State:
    """Issue A-RELEASE indication primitive."""
    fx.emit(AReleaseIndication())
    return State.Sta8


def ar_3(fx: Effects, stim: Stimulus) -> State:
    """Issue A-RELEASE confirmation primitive, and close transport connection."""
    fx.emit(AReleaseConfirmation())
    fx.close_transport()
    return State.Sta1


def ar_4(fx: Effects, stim: Stimulus) -> State:
    """Issue A-RELEASE-RP PDU and start ARTIM timer."""
    fx.send_pdu(_expect(stim.pdu, AReleaseRP))
    fx.start_artim()
    return State.Sta13


def ar_5(fx: Effects, stim: Stimulus) -> State:
    """Stop ARTIM timer (the peer closed the transport connection in Sta13)."""
    fx.stop_artim()
    fx.close_transport()
    return State.Sta1


def ar_6(fx: Effects, stim: Stimulus) -> State:
    """Issue P-DATA indication."""
    fx.emit(PDataIndication(tuple(_expect(stim.pdu, PDataTF).pdvs)))
    return State.Sta7


def ar_7(fx: Effects, stim: Stimulus) -> State:
    """Issue P-DATA-TF PDU."""
    fx.send_pdu(_expect(stim.pdu, PDataTF))
    return State.Sta8


def ar_8(fx: Effects, stim: Stimulus) -> State:
    """Issue A-RELEASE indication (release collision): Sta9 if requestor, else Sta10."""
    fx.emit(AReleaseIndication())
    return State.Sta9 if fx.role is Role.REQUESTOR else State.Sta10


def ar_9(fx: Effects, stim: Stimulus) -> State:
    """Send A-RELEASE-RP PDU."""
    fx.send_pdu(_expect(stim.pdu, AReleaseRP))
    return State.Sta11


def ar_10(fx: Effects, stim: Stimulus) -> State:
    """Issue A-RELEASE confirmation primitive."""
    fx.emit(AReleaseConfirmation())
    return State.Sta12


# Table 9-9: association abort related actions


def aa_1(fx: Effects, stim: Stimulus) -> State:
    """Send A-ABORT PDU (service-user source) and start (or restart) ARTIM timer.

    For Evt15 the user's own A-ABORT is sent as given. For a PDU received in Sta2, the standard's
    AA-1 still names the service-user source, so the A-ABORT carries source 0, reason 0.
    """
    if stim.event is Evt.Evt15:
        fx.send_pdu(_expect(stim.pdu, AAbort))
    else:
        fx.send_pdu(AAbort(source=ABORT_SOURCE_USER, reason=REASON_NOT_SPECIFIED))
    fx.start_artim()
    return State.Sta13


def aa_2(fx: Effects, stim: Stimulus) -> State:
    """Stop ARTIM timer if running. Close transport connection."""
    fx.stop_artim()
    fx.close_transport()
    return State.Sta1


def aa_3(fx: Effects, stim: Stimulus) -> State:
    """Issue A-ABORT (service-user source) or A-P-ABORT indication; close transport connection."""
    abort = _expect(stim.pdu, AAbort)
    if abort.source == ABORT_SOURCE_USER:
        fx.emit(AAbortIndication(source=abort.source, reason=abort.reason))
    else:
        detail = f"A-ABORT received from the peer's service-provider (source {abort.source})"
        fx.emit(APAbortIndication(reason=abort.reason, detail=detail))
    fx.close_transport()
    return State.Sta1


def aa_4(fx: Effects, stim: Stimulus) -> State:
    """Issue A-P-ABORT indication primitive (the transport connection closed)."""
    fx.emit(APAbortIndication(reason=REASON_NOT_SPECIFIED, detail="transport connection closed"))
    fx.close_transport()
    return State.Sta1


def aa_5(fx: Effects, stim: Stimulus) -> State:
    """Stop ARTIM timer (the transport connection closed in Sta2)."""
    fx.stop_artim()
    fx.close_transport()
    return State.Sta1


def aa_6(fx: Effects, stim: Stimulus) -> State:
    """Ignore PDU."""
    return State.Sta13


def aa_7(fx: Effects, stim: Stimulus) -> State:
    """Send A-ABORT PDU (service-provider source, with the reason for the offending PDU)."""
    fx.send_pdu(AAbort(source=ABORT_SOURCE_PROVIDER, reason=_provider_reason(stim)))
    return State.Sta13


def aa_8(fx: Effects, stim: Stimulus) -> State:
    """Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, start ARTIM."""
    reason = _provider_reason(stim)
    fx.send_pdu(AAbort(source=ABORT_SOURCE_PROVIDER, reason=reason))
    fx.emit(APAbortIndication(reason=reason, detail=_provider_detail(stim)))
    fx.start_artim()
    return State.Sta13


ACTIONS: Final[Mapping[Action, ActionFunction]] = MappingProxyType(
    {
        Action.AE_1: ae_1,
        Action.AE_2: ae_2,
        Action.AE_3: ae_3,
        Action.AE_4: ae_4,
        Action.AE_5: ae_5,
        Action.AE_6: ae_6,
        Action.AE_7: ae_7,
        Action.AE_8: ae_8,
        Action.DT_1: dt_1,
        Action.DT_2: dt_2,
        Action.AR_1: ar_1,
        Action.AR_2: ar_2,
        Action.AR_3: ar_3,
        Action.AR_4: ar_4,
        Action.AR_5: ar_5,
        Action.AR_6: ar_6,
        Action.AR_7: ar_7,
        Action.AR_8: ar_8,
        Action.AR_9: ar_9,
        Action.AR_10: ar_10,
        Action.AA_1: aa_1,
        Action.AA_2: aa_2,
        Action.AA_3: aa_3,
        Action.AA_4: aa_4,
        Action.AA_5: aa_5,
        Action.AA_6: aa_6,
        Action.AA_7: aa_7,
        Action.AA_8: aa_8,
    }
)
