"""``Association``: the upper layer, ACSE and DIMSE composed for one association, sans-IO.

wsproto's ``WSConnection`` shape (DESIGN §1.2): one object the IO adapter drives, which hands
its input to small layers that are each complete on their own. :class:`~dicomnet.ul.ULConnection`
runs PS3.8 Table 9-10; :func:`~dicomnet.acse.negotiate_as_acceptor` /
:func:`~dicomnet.acse.negotiate_as_requestor` judge the A-ASSOCIATE exchange (PS3.7 Annex D);
:class:`~dicomnet.dimse.MessageAssembler` and :func:`~dicomnet.dimse.fragment_message` carry DIMSE
messages over P-DATA (PS3.8 Annex E); :class:`~dicomnet.association.provider.DimseProvider` keeps
the message IDs and outstanding requests (PS3.7 §9.1). No clock, no socket: ``now`` is an input.

Outgoing messages are queued as PDU generators and pulled lazily by :meth:`Association.data_to_send`
(at most ``max_send_bytes`` of P-DATA per call, at least one PDU), so a data set read from a file is
fragmented only as fast as the driver writes it. A message with no data set or a ``bytes`` one that
fits one P-DATA-TF is cut into its PDUs when queued and handed to the upper layer in one pass (no
generator to resume: its bytes are already in memory).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Final

import attrs

from dicomnet.acse import (
    Accept,
    AcceptDecision,
    AcceptorConfig,
    NegotiatedAssociation,
    NegotiationError,
    PeerAddress,
    Reject,
    RequestorConfig,
    build_associate_rq,
    negotiate_as_acceptor,
    negotiate_as_requestor,
)
from dicomnet.association.events import (
    Aborted,
    AcseTimeout,
    AssociationEvent,
    AssociationRequested,
    Closed,
    DimseTimeout,
    Established,
    MessageReceived,
    Rejected,
    Released,
    ReleaseRequested,
)
from dicomnet.association.provider import DimseProvider
from dicomnet.association.states import (
    ACSE_TIMER_STATES,
    CAN_ANSWER_RELEASE,
    CAN_SEND_DATA,
    DIMSE_TIMER_STATES,
    STATES,
    AssociationState,
)
from dicomnet.dimse import (
    CommandReceived,
    DatasetSource,
    DIMSEDecodeError,
    DimseMessage,
    MessageAssembler,
    fragment_message,
    max_fragment_size,
)
from dicomnet.errors import LocalProtocolError
from dicomnet.pdu import AAbort, AAssociateRJ, AAssociateRQ, AReleaseRP, AReleaseRQ, PDataTF
from dicomnet.ul import (
    TRANSITIONS,
    AAbortIndication,
    AAssociateAccepted,
    AAssociateIndication,
    AAssociateRejected,
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
    ULEvent,
)

__all__ = ["DEFAULT_MAX_SEND_BYTES", "Association"]

#: Default bound on the P-DATA bytes one ``data_to_send()`` call produces (at least one PDU).
DEFAULT_MAX_SEND_BYTES: Final = 256 * 1024

_SOURCE_USER: Final = 0
_SOURCE_PROVIDER: Final = 2


def _ul_config(ul_config: ULConfig | None, max_pdu_length: int) -> ULConfig:
    base = ULConfig() if ul_config is None else ul_config
    # The UL refuses P-DATA above what we announce in the Maximum Length sub-item (PS3.7 D.1).
    return attrs.evolve(base, max_pdu_length=max_pdu_length)


class Association:
    """One DICOM association, requestor or acceptor, without IO (PS3.7, PS3.8).

    Create one with :meth:`requestor` or :meth:`acceptor`. Inputs: :meth:`receive_data`,
    :meth:`handle_timer`, :meth:`transport_connected`, :meth:`transport_closed` and the user's
    requests (:meth:`send_message`, :meth:`release`, :meth:`abort`, ...). Outputs:
    :meth:`next_event`, :meth:`data_to_send`, :attr:`timer_deadline`, :attr:`must_close`.
    Whatever the peer sends becomes events (a protocol error: an A-ABORT and :class:`Aborted`);
    local misuse raises :class:`~dicomnet.errors.LocalProtocolError` and changes nothing.
    """

    def __init__(
        self,
        ul: ULConnection,
        *,
        requestor_config: RequestorConfig | None,
        acceptor_config: AcceptorConfig | None,
        peer_address: PeerAddress,
        dimse_timeout: float | None,
        acse_timeout: float | None,
        auto_accept: bool,
        auto_release: bool,
        strict: bool,
        max_send_bytes: int,
        now: float,
    ) -> None:
        """Use :meth:`requestor` or :meth:`acceptor`."""
        if dimse_timeout is not None and not dimse_timeout > 0:
            raise ValueError(f"dimse_timeout must be > 0 or None, got {dimse_timeout}")
        if acse_timeout is not None and not acse_timeout > 0:
            raise ValueError(f"acse_timeout must be > 0 or None, got {acse_timeout}")
        if max_send_bytes < 1:
            raise ValueError(f"max_send_bytes must be >= 1, got {max_send_bytes}")
        self._ul = ul
        self._requestor_config = requestor_config
        self._acceptor_config = acceptor_config
        self._peer_address = peer_address
        self._dimse_timeout = dimse_timeout
        self._acse_timeout = acse_timeout
        self._acse_since = now
        self._auto_accept = auto_accept
        self._auto_release = auto_release
        self._strict = strict
        self._max_send_bytes = max_send_bytes
        self._now = now
        self._events: deque[AssociationEvent] = deque()
        self._rq: AAssociateRQ | None = None
        self._decision: AcceptDecision | None = None
        self._negotiated: NegotiatedAssociation | None = None
        self._provider: DimseProvider | None = None
        self._assembler: MessageAssembler | None = None
        self._outgoing: deque[Iterator[PDataTF] | list[PDataTF]] = deque()
        self._release_wanted = False  # release() called while messages were queued
        self._peer_release = False  # A-RELEASE indication received, RP not yet sent
        self._answer_release = False  # release_response() called
        self._ended = False  # Rejected / Released / Aborted emitted
        self._discarding = False  # we aborted: later UL events of the batch are moot
        self._dimse_since = now
        self._artim_expired = False

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def requestor(
        cls,
        config: RequestorConfig,
        *,
        ul_config: ULConfig | None = None,
        now: float,
        dimse_timeout: float | None = None,
        acse_timeout: float | None = None,
        auto_release: bool = True,
        strict: bool = False,
        max_send_bytes: int = DEFAULT_MAX_SEND_BYTES,
    ) -> Association:
        """An association requestor: builds the A-ASSOCIATE-RQ from ``config`` (PS3.8 §7.1).

        Open the transport connection, then call :meth:`transport_connected` (which sends the
        RQ), or :meth:`transport_closed` if it failed. ``ul_config.max_pdu_length`` is replaced
        by ``config.max_pdu_length``, the value announced. ``strict`` aborts (source 0) on an
        A-ASSOCIATE-AC that deviates from PS3.7/PS3.8 (see ``negotiate_as_requestor``).
        ``dimse_timeout`` / ``acse_timeout`` (seconds, ``None`` = none): see :meth:`handle_timer`
        and ``docs/association.md``.
        Raises :class:`~dicomnet.acse.NegotiationConfigError` for an invalid configuration.
        """
        rq = build_associate_rq(config)
        ul = ULConnection(Role.REQUESTOR, _ul_config(ul_config, config.max_pdu_length), now=now)
        self = cls(
            ul,
            requestor_config=config,
            acceptor_config=None,
            peer_address=None,
            dimse_timeout=dimse_timeout,
            acse_timeout=acse_timeout,
            auto_accept=True,
            auto_release=auto_release,
            strict=strict,
            max_send_bytes=max_send_bytes,
            now=now,
        )
        self._rq = rq
        ul.send(rq, now)  # AE-1: asks for the transport connection
        self._pump(now)
        return self

    @classmethod
    def acceptor(
        cls,
        config: AcceptorConfig,
        *,
        peer_address: PeerAddress = None,
        ul_config: ULConfig | None = None,
        now: float,
        dimse_timeout: float | None = None,
        acse_timeout: float | None = None,
        auto_accept: bool = True,
        auto_release: bool = True,
        max_send_bytes: int = DEFAULT_MAX_SEND_BYTES,
    ) -> Association:
        """An association acceptor for a transport connection just accepted (Evt5; ARTIM runs).

        With ``auto_accept`` the A-ASSOCIATE-RQ is answered by ``negotiate_as_acceptor(rq,
        config, peer_address)`` as it arrives; otherwise an :class:`AssociationRequested` event
        carries the request and that decision, and the user answers with :meth:`accept` or
        :meth:`reject`. ``ul_config.max_pdu_length`` is replaced by ``config.max_pdu_length``.
        ``acse_timeout`` bounds the wait for the peer's A-RELEASE-RP after our release request;
        the wait for the A-ASSOCIATE-RQ is ARTIM's (``ul_config.artim_timeout``).
        """
        ul = ULConnection(Role.ACCEPTOR, _ul_config(ul_config, config.max_pdu_length), now=now)
        return cls(
            ul,
            requestor_config=None,
            acceptor_config=config,
            peer_address=peer_address,
            dimse_timeout=dimse_timeout,
            acse_timeout=acse_timeout,
            auto_accept=auto_accept,
            auto_release=auto_release,
            strict=False,
            max_send_bytes=max_send_bytes,
            now=now,
        )

    # -- what the caller reads ------------------------------------------------------------------

    @property
    def ul(self) -> ULConnection:
        """The upper-layer connection (for its ``trace``; do not drive it directly)."""
        return self._ul

    @property
    def is_requestor(self) -> bool:
        """Whether this side requested the association."""
        return self._ul.role is Role.REQUESTOR

    @property
    def state(self) -> AssociationState:
        """The association's state (derived from the UL state)."""
        if self._ul.must_close:
            return AssociationState.CLOSED
        return STATES[self._ul.state]

    @property
    def ul_state(self) -> State:
        """The PS3.8 upper-layer state, Sta1..Sta13."""
        return self._ul.state

    @property
    def negotiated(self) -> NegotiatedAssociation | None:
        """What was agreed, once :class:`Established` (else ``None``)."""
        return self._negotiated

    @property
    def provider(self) -> DimseProvider | None:
        """The DIMSE bookkeeping (outstanding requests, C-CANCEL), once established."""
        return self._provider

    @property
    def must_close(self) -> bool:
        """True once the association is over: write ``data_to_send()``, then close."""
        return self._ul.must_close

    @property
    def has_data_to_send(self) -> bool:
        """Whether queued messages remain to be pulled by :meth:`data_to_send`."""
        return bool(self._outgoing) or self._release_wanted

    @property
    def has_output(self) -> bool:
        """Whether :meth:`data_to_send` has anything to give: queued messages or bytes."""
        return bool(self._outgoing) or self._release_wanted or self._ul.has_data_to_send

    @property
    def timer_deadline(self) -> float | None:
        """The earliest of ARTIM, the ACSE and the DIMSE timeouts; call :meth:`handle_timer`."""
        deadline = self._ul.timer_deadline
        for other in (
            None if self._dimse_timeout is None else self._dimse_deadline(),
            None if self._acse_timeout is None else self._acse_deadline(),
        ):
            if other is not None and (deadline is None or other < deadline):
                deadline = other
        return deadline

    def next_event(self) -> AssociationEvent | None:
        """The next event, or ``None`` until more input (bytes, time, a call) arrives."""
        return self._events.popleft() if self._events else None

    def next_message_id(self) -> int:
        """A Message ID not used by any outstanding request of ours (PS3.7 §9.1.1.1)."""
        return self._require_provider("allocate a Message ID").next_message_id()

    # -- inputs ---------------------------------------------------------------------------------

    def transport_connected(self, now: float) -> None:
        """The requestor's transport connection is open (Evt2): the A-ASSOCIATE-RQ is sent."""
        self._now = self._acse_since = now
        self._ul.transport_connected(now)
        self._pump(now)

    def transport_closed(self, now: float) -> None:
        """The transport connection closed or could not be opened (Evt17)."""
        self._now = now
        self._ul.transport_closed(now)
        self._pump(now)

    def receive_data(self, data: bytes, now: float) -> None:
        """Bytes from the peer (``b""``: the transport closed). Never raises for what they hold.

        After ``must_close`` bytes are discarded. Raises LocalProtocolError only for bytes
        before :meth:`transport_connected` (a driver bug).
        """
        self._now = now
        if self._ul.must_close:
            return
        self._ul.receive_data(data, now)
        self._pump(now)

    def handle_timer(self, now: float) -> None:
        """Expire ARTIM or the DIMSE timeout if ``now`` has reached them; else nothing.

        An expired DIMSE timeout gives :class:`DimseTimeout`, an expired ACSE timeout
        :class:`AcseTimeout`; then an A-ABORT (source 0) is sent and :class:`Aborted` follows.
        """
        self._now = now
        if self._ul.must_close:
            return
        if self._ul.timer_deadline is not None and now >= self._ul.timer_deadline:
            self._artim_expired = True
        self._ul.handle_timer(now)
        self._pump(now)
        deadline = self._dimse_deadline()
        if deadline is not None and now >= deadline:
            waiting = tuple(sorted(self._provider.sent_requests)) if self._provider else ()
            detail = (
                f"DIMSE timeout: no response to Message ID(s) {list(waiting)} "
                if waiting
                else "DIMSE timeout: the rest of a data set "
            ) + f"within {self._dimse_timeout} s"
            self._events.append(DimseTimeout(waiting, detail))
            self._local_abort(_SOURCE_USER, 0, detail, now)
            self._pump(now)
            return
        deadline = self._acse_deadline()
        if deadline is not None and now >= deadline:
            awaited = "A-ASSOCIATE-AC/RJ" if self._ul.state is State.Sta5 else "A-RELEASE-RP"
            detail = f"ACSE timeout: no {awaited} within {self._acse_timeout} s"
            self._events.append(AcseTimeout(detail))
            self._local_abort(_SOURCE_USER, 0, detail, now)
            self._pump(now)

    # -- the user's requests --------------------------------------------------------------------

    def accept(self, now: float, decision: Accept | None = None) -> None:
        """Accept the pending A-ASSOCIATE-RQ (``auto_accept=False``): send the AC (PS3.8 §7.1).

        ``decision`` defaults to the policy's, which must then be an :class:`Accept`.
        """
        chosen = self._decision if decision is None else decision
        if self.state is not AssociationState.AWAITING_DECISION or self._decision is None:
            raise LocalProtocolError("accept(): no A-ASSOCIATE-RQ awaits a decision")
        if not isinstance(chosen, Accept):
            raise LocalProtocolError(
                "accept(): the policy rejects this request; pass an Accept or call reject()"
            )
        self._now = now
        self._respond(chosen, now)
        self._pump(now)

    def reject(self, now: float, *, result: int = 1, source: int = 1, reason: int = 1) -> None:
        """Reject the pending A-ASSOCIATE-RQ with an A-ASSOCIATE-RJ (PS3.8 Table 9-21)."""
        if self.state is not AssociationState.AWAITING_DECISION or self._decision is None:
            raise LocalProtocolError("reject(): no A-ASSOCIATE-RQ awaits a decision")
        pdu = AAssociateRJ(result=result, source=source, reason=reason)
        self._now = now
        self._respond(Reject(pdu=pdu, message="rejected by the application"), now)
        self._pump(now)

    def send_message(
        self,
        message: DimseMessage,
        *,
        context_id: int,
        dataset: DatasetSource | None = None,
        now: float,
    ) -> None:
        """Queue a DIMSE message (and its data set) on ``context_id`` (PS3.7 §9.3, PS3.8 Annex E).

        Checked first, raising LocalProtocolError and queuing nothing: the association is
        established (or the peer's release is not yet answered), we did not ask to release, the
        context was accepted and our role on it allows the message, a request's Message ID is
        not in use, a response answers an outstanding request of the peer (see
        :class:`DimseProvider`), the data set agrees with ``has_dataset``. The PDUs are produced
        by :meth:`data_to_send` as the driver drains them; a source that fails then aborts.
        """
        provider = self._require_provider("send a DIMSE message")
        if self._ul.state not in CAN_SEND_DATA or self._ended or self._discarding:
            raise LocalProtocolError(
                f"cannot send {message.message_name}: the association is "
                f"{self.state.value} ({self._ul.state.name})"
            )
        if self._release_wanted or self._answer_release:
            raise LocalProtocolError(
                f"cannot send {message.message_name}: the association is being released"
            )
        provider.check_send(message, context_id)
        peer_max = self._peer_max_pdu_length()
        pdus = fragment_message(context_id, message, dataset, max_pdu_length=peer_max)
        if dataset is None or (
            type(dataset) is bytes and len(dataset) <= max_fragment_size(peer_max)
        ):
            # In memory, one data PDU at most: cut now (a bytes source cannot fail), and handed
            # to the upper layer in one pass by data_to_send().
            self._outgoing.append(list(pdus))
        else:
            self._outgoing.append(pdus)
        provider.sent(message, context_id)
        self._now = self._dimse_since = now

    def release(self, now: float) -> None:
        """Ask to release the association (A-RELEASE request, PS3.8 §7.2).

        Queued messages are sent first; the A-RELEASE-RQ follows them. :class:`Released` comes
        when the peer's A-RELEASE-RP arrives.
        """
        if self._ul.state is not State.Sta6 or self._release_wanted or self._discarding:
            raise LocalProtocolError(
                f"release(): the association is {self.state.value} ({self._ul.state.name})"
            )
        self._now = now
        self._release_wanted = True
        self._flush_release(now)

    def release_response(self, now: float) -> None:
        """Answer the peer's A-RELEASE request (``auto_release=False``) once queued data is sent."""
        if not self._peer_release or self._answer_release:
            raise LocalProtocolError("release_response(): no A-RELEASE request awaits an answer")
        self._now = now
        self._answer_release = True
        self._flush_release(now)
        self._pump(now)

    def abort(self, now: float) -> None:
        """Abort the association (A-ABORT, source 0, PS3.8 §7.3); queued messages are dropped.

        Gives :class:`Aborted` (``by_peer=False``). A no-op once the association is over.
        """
        self._now = now
        if self._ended or self._discarding or self._ul.must_close:
            return
        self._local_abort(_SOURCE_USER, 0, "aborted by the local application", now)
        self._pump(now)

    def data_to_send(self, now: float | None = None) -> list[bytes | memoryview]:
        """Bytes to write, in order (for ``writelines``/``sendmsg``).

        Queued messages are fragmented lazily here: at most ``max_send_bytes`` of P-DATA (and
        at least one PDU) per call, so call again while :attr:`has_data_to_send`. When the
        queue empties, a pending A-RELEASE-RQ/RP goes out, which may queue an event
        (:class:`Released`); a data set source that raises aborts the association
        (:class:`Aborted`). Check :meth:`next_event` after this call too.

        Pass ``now`` when sending may take long (a large data set): the DIMSE and ACSE
        timeouts start when our last byte of a message is produced, and without ``now`` that
        is taken as the time of the last input (``receive_data``, ``send_message``, ...).
        """
        if now is not None:
            self._now = now
        ul = self._ul
        out = ul.data_to_send()
        produced = 0
        outgoing = self._outgoing
        while outgoing and produced < self._max_send_bytes and ul.state in CAN_SEND_DATA:
            ready = outgoing[0]
            if isinstance(ready, list):  # a small message, cut when queued: all its PDUs at once
                ul.send_pdata(ready, self._now)
                outgoing.popleft()
                for cut in ready:
                    produced += len(cut.pdvs[0].data) + 6
                out.extend(ul.data_to_send())
                if not outgoing:
                    self._dimse_since = self._now
                continue
            try:
                pdu = next(ready, None)
            except Exception as exc:
                self._local_abort(
                    _SOURCE_USER, 0, f"the data set source failed: {exc!r}", self._now
                )
                self._pump(self._now)
                return out + ul.data_to_send()
            if pdu is None:
                outgoing.popleft()
                if not outgoing:
                    self._dimse_since = self._now
                continue
            ul.send(pdu, self._now)
            for pdv in pdu.pdvs:
                produced += len(pdv.data) + 6
            out.extend(ul.data_to_send())
        if not outgoing and (self._release_wanted or self._peer_release):
            self._flush_release(self._now)
            self._pump(self._now)
            out.extend(ul.data_to_send())
        return out

    # -- internals ------------------------------------------------------------------------------

    def _require_provider(self, what: str) -> DimseProvider:
        if self._provider is None:
            raise LocalProtocolError(f"cannot {what}: the association is not established")
        return self._provider

    def _peer_max_pdu_length(self) -> int:
        assert self._negotiated is not None
        return self._negotiated.peer_max_pdu_length

    def _dimse_deadline(self) -> float | None:
        if self._dimse_timeout is None or self._provider is None or self._outgoing:
            return None
        if self._ended or self._discarding or self._ul.state not in DIMSE_TIMER_STATES:
            return None
        assembler = self._assembler
        waiting = self._provider.awaiting_response or (assembler is not None and not assembler.idle)
        return self._dimse_since + self._dimse_timeout if waiting else None

    def _acse_deadline(self) -> float | None:
        if self._acse_timeout is None or self._ul.must_close or self._discarding:
            return None
        if self._ul.state not in ACSE_TIMER_STATES:
            return None
        return self._acse_since + self._acse_timeout

    def _flush_release(self, now: float) -> None:
        """Send a release request or response that waited for the queue to empty."""
        if self._outgoing:
            return
        ul = self._ul
        if self._release_wanted:
            self._release_wanted = False
            if ul.state is State.Sta6:
                ul.send(AReleaseRQ(), now)
                self._acse_since = now
            else:  # the peer asked first (Sta8): answering it releases, as we wanted
                self._answer_release = self._peer_release
        if (
            self._peer_release
            and (self._auto_release or self._answer_release)
            and ul.state in CAN_ANSWER_RELEASE
        ):
            self._peer_release = False
            self._answer_release = False
            ul.send(AReleaseRP(), now)
            if ul.state is State.Sta13:
                self._end(Released())

    def _end(self, event: AssociationEvent) -> None:
        if not self._ended:
            self._ended = True
            self._events.append(event)

    def _local_abort(self, source: int, reason: int, detail: str, now: float) -> None:
        """Abort because of something on this side (a protocol error we found, a timeout)."""
        self._outgoing.clear()
        self._release_wanted = False
        ul = self._ul
        if not ul.must_close:
            if (ul.state, Evt.Evt15) in TRANSITIONS:
                ul.send(AAbort(source=source, reason=reason), now)
            elif ul.state is State.Sta2:
                # No association yet, so no A-ABORT to send (Table 9-10): close the transport.
                ul.transport_closed(now)
        self._discarding = True
        self._end(Aborted(source, reason, by_peer=False, detail=detail))

    def _respond(self, decision: AcceptDecision, now: float) -> None:
        # ul.send raises LocalProtocolError for a PDU it cannot encode, before any change.
        if isinstance(decision, Accept):
            self._ul.send(decision.pdu, now)
            self._decision = None
            self._establish(decision.negotiated, now)
        else:
            rj = decision.pdu
            self._ul.send(rj, now)
            self._decision = None
            self._end(
                Rejected(rj.result, rj.source, rj.reason, by_peer=False, detail=decision.message)
            )

    def _establish(self, negotiated: NegotiatedAssociation, now: float) -> None:
        self._negotiated = negotiated
        self._provider = DimseProvider(negotiated)
        self._assembler = MessageAssembler(context_ids=frozenset(negotiated.accepted))
        self._dimse_since = now
        self._events.append(Established(negotiated))

    def _pump(self, now: float) -> None:
        """Turn the UL's events into ours."""
        ul = self._ul
        next_event = ul.next_event
        while (event := next_event()) is not None:
            if type(event) is PDataIndication and not self._discarding:
                self._on_pdata(event, now)  # the common case, without the match below
                continue
            if self._discarding and not isinstance(event, TransportClosed):
                continue
            self._on_ul_event(event, now)
        if ul.state is State.Sta13 and not self._ended and not self._discarding:
            # The UL ended it in Sta2 without an indication: AA-1 (a PDU other than the
            # A-ASSOCIATE-RQ) or AE-6's provider reject (unsupported protocol version).
            detail = "the upper layer refused the peer's first PDU (see ul.trace)"
            self._end(Aborted(_SOURCE_USER, 0, by_peer=False, detail=detail))
        if ul.must_close or ul.state is State.Sta13:
            self._outgoing.clear()  # the association is over: queued messages cannot go
            self._release_wanted = False
        if self._peer_release:
            self._flush_release(now)

    def _on_ul_event(self, event: ULEvent, now: float) -> None:
        match event:
            case PDataIndication():  # first: the common case
                self._on_pdata(event, now)
            case TransportConnectRequested():
                pass  # the driver connects because it created a requestor
            case AAssociateIndication(pdu=rq):
                if self._ul.state is not State.Sta3:
                    return  # later PDUs of the same input already ended it (AA-8)
                self._rq = rq
                assert self._acceptor_config is not None
                decision = negotiate_as_acceptor(rq, self._acceptor_config, self._peer_address)
                if self._auto_accept:
                    self._respond(decision, now)
                else:
                    self._decision = decision
                    self._events.append(AssociationRequested(rq, decision))
            case AAssociateAccepted(pdu=ac):
                assert self._rq is not None
                try:
                    negotiated = negotiate_as_requestor(self._rq, ac, strict=self._strict)
                except NegotiationError as exc:
                    self._local_abort(exc.abort_source, exc.abort_reason, str(exc), now)
                    return
                self._establish(negotiated, now)
            case AAssociateRejected():
                self._end(Rejected(event.result, event.source, event.reason, by_peer=True))
            case AReleaseIndication():
                self._peer_release = True
                self._events.append(ReleaseRequested())
            case AReleaseConfirmation():
                if self._ul.state is not State.Sta12:
                    self._end(Released())
            case AAbortIndication(source=source, reason=reason):
                detail = "A-ABORT from the peer's service-user"
                self._end(Aborted(source, reason, by_peer=True, detail=detail))
            case APAbortIndication(reason=reason, detail=detail):
                # AA-8 (we sent the A-ABORT) leaves Sta13; AA-3/AA-4 (the peer) leave Sta1.
                by_peer = self._ul.state is not State.Sta13
                self._end(Aborted(_SOURCE_PROVIDER, reason, by_peer=by_peer, detail=detail))
            case TransportClosed():
                if not self._ended:  # no A-ABORT: ARTIM expired (AA-2) in Sta2, or Sta4
                    expired = self._artim_expired
                    detail = "ARTIM timer expired" if expired else "transport connection closed"
                    self._end(Aborted(_SOURCE_PROVIDER, 0, by_peer=not expired, detail=detail))
                self._outgoing.clear()
                self._events.append(Closed())

    def _on_pdata(self, event: PDataIndication, now: float) -> None:
        assembler, provider = self._assembler, self._provider
        if assembler is None or provider is None:  # pragma: no cover - the UL forbids it
            return
        events = self._events
        self._dimse_since = now
        for pdv in event.pdvs:
            try:
                received = assembler.receive(pdv)
            except DIMSEDecodeError as exc:
                self._local_abort(
                    exc.abort_source, exc.abort_reason, f"DIMSE protocol error: {exc}", now
                )
                return
            if received is None:
                continue
            if isinstance(received, CommandReceived):
                message = received.message
                provider.received(message, received.context_id)
                events.append(MessageReceived(received.context_id, message, message.has_dataset))
            else:
                events.append(received)

    def __repr__(self) -> str:
        return f"<Association {self._ul.role.value} {self.state.value} {self._ul.state.name}>"
