"""The Storage SCP (PS3.4 Annex B) over an established association, and its acceptor config.

:class:`StorageSCP` is an ``async def handler(assoc)`` for :func:`dicomnet.transport.aio.serve`:
it answers C-ECHO-RQ (PS3.4 A.4) and C-STORE-RQ on any accepted presentation context. Each
C-STORE-RQ opens a writer on the :class:`~dicomnet.services.store.StorageSink`; the data set's
fragments go to it as they arrive (PS3.7 §6.3.1, never buffered here); the last one commits it and
the C-STORE-RSP (PS3.7 §9.3.1.2) is sent at once. When the association ends before the last
fragment (A-ABORT, A-P-ABORT, a closed connection) the writer is aborted. A sink that raises is
answered with 0xA700 (Refused: Out of Resources, PS3.4 Table B.2-1) and the association goes on.
A C-STORE-RQ whose Affected SOP Class UID is not the abstract syntax of its presentation context
is answered with 0x0122 (Refused: SOP Class not supported, PS3.7 Annex C): the context was
negotiated for another SOP class (PS3.7 §9.1.1.1.2, PS3.8 §7.1.1.13).

:func:`storage_acceptor_config` builds the :class:`~dicomnet.acse.AcceptorConfig` of DCMTK's
``storescp``/``movescu``: Verification plus every Storage SOP class, with the transfer syntaxes of
a ``+x`` preference in our order (``prefer="acceptor"``).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, Protocol

from dicomnet.acse import (
    AcceptedContext,
    AcceptorConfig,
    NegotiatedAssociation,
    SupportedContext,
)
from dicomnet.association import (
    Aborted,
    AssociationEvent,
    Closed,
    DatasetFragment,
    MessageReceived,
)
from dicomnet.dimse import CEchoRQ, CStoreRQ, CStoreRSP, DimseMessage
from dicomnet.dimse.status import StatusCategory, category_of
from dicomnet.errors import AssociationAborted
from dicomnet.services.echo import VERIFICATION_SOP_CLASS, echo_response
from dicomnet.services.store import (
    CANNOT_UNDERSTAND,
    OUT_OF_RESOURCES,
    StorageSink,
    StoreRequest,
    StoreResult,
    StoreWriter,
)
from dicomnet.uid import STORAGE_SOP_CLASSES, TRANSFER_SYNTAXES

__all__ = [
    "SOP_CLASS_NOT_SUPPORTED",
    "TRANSFER_SYNTAX_PREFERENCES",
    "RefusingSink",
    "StorageSCP",
    "StoreChannel",
    "StoreNowaitSender",
    "StorePending",
    "StoreReceiver",
    "StoreSender",
    "StoredCallback",
    "preferred_transfer_syntaxes",
    "storage_acceptor_config",
]

log = logging.getLogger("dicomnet.services.storage_scp")

#: Refused: SOP Class not supported (PS3.7 Annex C.5, a general failure status).
SOP_CLASS_NOT_SUPPORTED: Final = 0x0122

_IMPLICIT: Final = "1.2.840.10008.1.2"
_EXPLICIT_LE: Final = "1.2.840.10008.1.2.1"
_EXPLICIT_BE: Final = "1.2.840.10008.1.2.2"
_DEFLATED: Final = "1.2.840.10008.1.2.1.99"

#: Explicit VR in the local byte order first, then the other one, then implicit (DCMTK's order).
_UNCOMPRESSED: Final = (
    (_EXPLICIT_LE, _EXPLICIT_BE, _IMPLICIT)
    if sys.byteorder == "little"
    else (_EXPLICIT_BE, _EXPLICIT_LE, _IMPLICIT)
)

#: DCMTK's "accept all" order: compressed syntaxes, then deflated, then uncompressed.
_ACCEPT_ALL_COMPRESSED: Final = (
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 lossless
    "1.2.840.10008.1.2.4.51",  # JPEG extended
    "1.2.840.10008.1.2.4.50",  # JPEG baseline
    "1.2.840.10008.1.2.4.70",  # JPEG lossless SV1
    "1.2.840.10008.1.2.4.81",  # JPEG-LS near-lossless
    "1.2.840.10008.1.2.4.80",  # JPEG-LS lossless
    "1.2.840.10008.1.2.5",  # RLE
)


def _accept_all() -> tuple[str, ...]:
    rest = sorted(
        ts.uid
        for ts in TRANSFER_SYNTAXES.values()
        if ts.encapsulated and not ts.retired and ts.uid not in _ACCEPT_ALL_COMPRESSED
    )
    return (*_ACCEPT_ALL_COMPRESSED, *rest, _DEFLATED, *_UNCOMPRESSED)


def _compressed_first(uid: str) -> tuple[str, ...]:
    return (uid, *_UNCOMPRESSED)


#: The ``+x`` preferences of DCMTK's storescp/movescu: option -> transfer syntaxes, ours first.
#: A compressed (or deflated) preference still accepts the uncompressed syntaxes after it.
TRANSFER_SYNTAX_PREFERENCES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "+x=": _UNCOMPRESSED,
        "+xe": (_EXPLICIT_LE, _EXPLICIT_BE, _IMPLICIT),
        "+xb": (_EXPLICIT_BE, _EXPLICIT_LE, _IMPLICIT),
        "+xs": _compressed_first("1.2.840.10008.1.2.4.70"),
        "+xy": _compressed_first("1.2.840.10008.1.2.4.50"),
        "+xx": _compressed_first("1.2.840.10008.1.2.4.51"),
        "+xv": _compressed_first("1.2.840.10008.1.2.4.90"),
        "+xw": _compressed_first("1.2.840.10008.1.2.4.91"),
        "+xt": _compressed_first("1.2.840.10008.1.2.4.80"),
        "+xu": _compressed_first("1.2.840.10008.1.2.4.81"),
        "+xm": _compressed_first("1.2.840.10008.1.2.4.100"),
        "+xh": _compressed_first("1.2.840.10008.1.2.4.101"),
        "+xn": _compressed_first("1.2.840.10008.1.2.4.102"),
        "+xl": _compressed_first("1.2.840.10008.1.2.4.103"),
        "+x2": _compressed_first("1.2.840.10008.1.2.4.104"),
        "+x3": _compressed_first("1.2.840.10008.1.2.4.105"),
        "+xo": _compressed_first("1.2.840.10008.1.2.4.106"),
        "+x4": _compressed_first("1.2.840.10008.1.2.4.107"),
        "+x5": _compressed_first("1.2.840.10008.1.2.4.108"),
        "+xr": _compressed_first("1.2.840.10008.1.2.5"),
        "+xd": _compressed_first(_DEFLATED),
        "+xi": (_IMPLICIT,),
        "+xa": _accept_all(),
    }
)


def preferred_transfer_syntaxes(preference: str | Sequence[str]) -> tuple[str, ...]:
    """The transfer syntaxes of a ``+x`` option (``"+xy"``), or the given UIDs unchanged."""
    if isinstance(preference, str):
        try:
            return TRANSFER_SYNTAX_PREFERENCES[preference]
        except KeyError:
            raise ValueError(f"unknown transfer syntax preference {preference!r}") from None
    syntaxes = tuple(preference)
    if not syntaxes:
        raise ValueError("at least one transfer syntax is needed")
    return syntaxes


def storage_acceptor_config(
    ae_title: str = "STORESCP",
    preference: str | Sequence[str] = "+x=",
    *,
    max_pdu_length: int = 16384,
    sop_classes: Iterable[str] | None = None,
    verification: bool = True,
    require_called_ae_title: bool = False,
) -> AcceptorConfig:
    """Verification and every Storage SOP class (PS3.4 B.5) in ``preference``'s syntaxes.

    ``preference`` is a ``+x`` option of DCMTK's storescp (see
    :data:`TRANSFER_SYNTAX_PREFERENCES`) or our own list of transfer syntax UIDs, best first; the
    acceptor picks the first of ours that the requestor proposed (``prefer="acceptor"``).
    ``sop_classes`` replaces the storage SOP classes (default: all of
    :data:`dicomnet.uid.STORAGE_SOP_CLASSES`).
    """
    syntaxes = preferred_transfer_syntaxes(preference)
    classes = (
        [c.uid for c in STORAGE_SOP_CLASSES]
        if sop_classes is None
        else list(dict.fromkeys(sop_classes))
    )
    contexts: list[SupportedContext] = []
    if verification:
        contexts.append(SupportedContext(VERIFICATION_SOP_CLASS, syntaxes))
    contexts.extend(
        SupportedContext(uid, syntaxes) for uid in classes if uid != VERIFICATION_SOP_CLASS
    )
    return AcceptorConfig(
        ae_titles=(ae_title,),
        require_called_ae_title=require_called_ae_title,
        supported_contexts=tuple(contexts),
        prefer="acceptor",
        max_pdu_length=max_pdu_length,
    )


class StoreSender(Protocol):
    """What :class:`StoreReceiver` needs from an association: its peer and a way to respond."""

    @property
    def peer_address(self) -> tuple[Any, ...]: ...

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        """Send ``message`` on ``context_id``."""


class StoreNowaitSender(StoreSender, Protocol):
    """A :class:`StoreSender` that can also queue a response without waiting (event hooks)."""

    def send_nowait(self, message: DimseMessage, *, context_id: int) -> None:
        """Queue ``message`` on ``context_id``; it is written when the hook returns."""


class StoreChannel(StoreSender, Protocol):
    """What the Storage SCP needs from an established association (``AsyncAssociation``)."""

    @property
    def negotiated(self) -> NegotiatedAssociation | None: ...

    def events(self) -> AsyncIterator[AssociationEvent]:
        """Every event until the association ends."""
        ...


#: Called after each C-STORE-RSP: the request and the result answered.
StoredCallback = Callable[[StoreRequest, StoreResult], None]


class _Failed:
    """Swallows the rest of a data set that will be answered with a fixed result."""

    def __init__(self, result: StoreResult) -> None:
        self.result = result

    def write(self, data: memoryview) -> None:
        """Ignore the fragment."""

    def commit(self) -> StoreResult:
        """The fixed result."""
        return self.result

    def abort(self) -> None:
        """Nothing to drop."""


class RefusingSink:
    """A sink that stores nothing: every C-STORE is answered with ``result`` (a failure)."""

    def __init__(self, result: StoreResult) -> None:
        self.result = result

    def open(self, request: StoreRequest) -> StoreWriter:
        """A writer that swallows the data set and commits to ``result``."""
        return _Failed(self.result)


class StorePending:
    """The C-STORE whose data set is arriving: its request, context and writer."""

    __slots__ = ("committed", "context_id", "failed", "request", "write", "writer")

    def __init__(self, request: StoreRequest, context_id: int, writer: StoreWriter) -> None:
        self.request = request
        self.context_id = context_id
        self.writer = writer
        self.write = writer.write  # bound once: one call per fragment on the hot path
        self.failed: StoreResult | None = None
        self.committed = False  # the writer has given its result (nothing left to abort)


_Pending = StorePending  # the name older tests import


def _peer(address: tuple[Any, ...]) -> tuple[str, int] | None:
    if len(address) >= 2:
        return (str(address[0]), int(address[1]))
    return None


class StoreReceiver:
    """Streams C-STORE-RQs into a sink: the logic shared by :class:`StorageSCP` and the Q/R SCP.

    :meth:`begin` takes a C-STORE-RQ and opens the writer (or a fixed refusal); :meth:`receive`
    writes each :class:`DatasetFragment` and, on the last, commits and sends the C-STORE-RSP;
    :meth:`abandon` aborts the writer of an association that ended mid-object. A C-STORE-RQ on a
    context where the requestor is not SCU is refused with 0x0122 (PS3.7 D.3.3.4).
    ``on_stored(request, result)`` is called after each C-STORE-RSP is sent (progress, logs).
    A sink with a ``prepare()`` method has it called after each response, before the next
    request arrives (:class:`~dicomnet.services.store.DirectorySink` makes its next file then).
    ``stored``/``failed`` count the C-STOREs answered with success/warning and with a failure.
    """

    def __init__(self, sink: StorageSink, *, on_stored: StoredCallback | None = None) -> None:
        self.sink = sink
        self.on_stored = on_stored
        self.stored = 0
        self.failed = 0
        self._prepare: Callable[[], None] | None = getattr(sink, "prepare", None)

    async def receive(
        self, assoc: StoreSender, pending: StorePending, fragment: DatasetFragment
    ) -> StorePending | None:
        """Write ``fragment``; on the last one commit and respond. The C-STORE still pending."""
        self._write(pending, fragment.data)
        if not fragment.last:
            return pending
        await self._respond(assoc, pending, self._commit(pending))
        return None

    @staticmethod
    def abandon(pending: StorePending | None) -> None:
        """Abort the writer of a C-STORE whose data set will never end (association gone)."""
        if pending is None or pending.committed:  # committed: only its response was lost
            return
        log.warning(
            "association ended during the data set of %s: dropped",
            pending.request.sop_instance_uid[:64],
        )
        pending.writer.abort()

    async def begin(
        self,
        assoc: StoreSender,
        negotiated: NegotiatedAssociation | None,
        event: MessageReceived,
    ) -> StorePending | None:
        """Start the C-STORE-RQ of ``event``; the C-STORE whose data set is to come, if any."""
        pending, answer = self._start(assoc, negotiated, event)
        if answer is not None:
            await self._respond(assoc, pending, answer)
            return None
        return pending

    def begin_nowait(
        self,
        assoc: StoreNowaitSender,
        negotiated: NegotiatedAssociation | None,
        event: MessageReceived,
    ) -> StorePending | None:
        """As :meth:`begin`, answering (if it must at once) with ``assoc.send_nowait``."""
        pending, answer = self._start(assoc, negotiated, event)
        if answer is not None:
            self._respond_nowait(assoc, pending, answer)
            return None
        return pending

    def receive_nowait(
        self, assoc: StoreNowaitSender, pending: StorePending, fragment: DatasetFragment
    ) -> StorePending | None:
        """As :meth:`receive`, answering the last fragment with ``assoc.send_nowait``."""
        self._write(pending, fragment.data)
        if not fragment.last:
            return pending
        self._respond_nowait(assoc, pending, self._commit(pending))
        return None

    def _start(
        self,
        assoc: StoreSender,
        negotiated: NegotiatedAssociation | None,
        event: MessageReceived,
    ) -> tuple[StorePending, StoreResult | None]:
        """The C-STORE begun, and the result to answer at once (a refusal without data set)."""
        message = event.message
        assert isinstance(message, CStoreRQ)
        context = None if negotiated is None else negotiated.accepted.get(event.context_id)
        transfer_syntax = "" if context is None else context.transfer_syntax
        request = StoreRequest.from_message(
            message,
            transfer_syntax,
            calling_ae_title="" if negotiated is None else negotiated.calling_ae_title,
            called_ae_title="" if negotiated is None else negotiated.called_ae_title,
            peer_address=_peer(assoc.peer_address),
        )
        refusal = self._refusal(message, context)
        if refusal is not None:
            log.warning(
                "refusing C-STORE of %s: %s",
                message.affected_sop_instance_uid[:64],
                refusal.error_comment,
            )
            pending = StorePending(request, event.context_id, _Failed(refusal))
            return pending, (None if event.has_dataset else refusal)
        try:
            writer = self.sink.open(request)
        except Exception as exc:
            log.exception(
                "the storage sink failed to open %s", message.affected_sop_instance_uid[:64]
            )
            writer = _Failed(StoreResult(OUT_OF_RESOURCES, f"storage failed: {exc}"[:64]))
        return StorePending(request, event.context_id, writer), None

    @staticmethod
    def _refusal(message: CStoreRQ, context: AcceptedContext | None) -> StoreResult | None:
        if context is None:  # pragma: no cover - the assembler checks context IDs
            return StoreResult(SOP_CLASS_NOT_SUPPORTED, "no accepted presentation context")
        if message.affected_sop_class_uid.rstrip("\x00 ") != context.abstract_syntax:
            return StoreResult(
                SOP_CLASS_NOT_SUPPORTED,
                "Affected SOP Class UID differs from the presentation context's",
            )
        if not context.requestor_is_scu:
            return StoreResult(SOP_CLASS_NOT_SUPPORTED, "the requestor is not SCU on this context")
        if not message.has_dataset:
            return StoreResult(CANNOT_UNDERSTAND, "C-STORE-RQ without a data set")
        return None

    @staticmethod
    def _write(pending: StorePending, data: memoryview) -> None:
        if pending.failed is not None:
            return
        try:
            pending.write(data)
        except Exception as exc:
            StoreReceiver._write_failed(pending, exc)

    @staticmethod
    def _write_failed(pending: StorePending, exc: Exception) -> None:
        """The writer raised: log, abort it, and answer the C-STORE with a failure."""
        if pending.failed is None:
            log.exception(
                "the storage sink failed to write %s", pending.request.sop_instance_uid[:64]
            )
            pending.failed = StoreResult(OUT_OF_RESOURCES, f"storage failed: {exc}"[:64])
            try:
                pending.writer.abort()
            except Exception:
                log.exception("the storage sink failed to abort")

    @staticmethod
    def _commit(pending: StorePending) -> StoreResult:
        pending.committed = True
        if pending.failed is not None:
            return pending.failed
        try:
            return pending.writer.commit()
        except Exception as exc:
            log.exception(
                "the storage sink failed to commit %s", pending.request.sop_instance_uid[:64]
            )
            try:
                pending.writer.abort()
            except Exception:
                log.exception("the storage sink failed to abort")
            return StoreResult(OUT_OF_RESOURCES, f"storage failed: {exc}"[:64])

    async def _respond(
        self, assoc: StoreSender, pending: StorePending, result: StoreResult
    ) -> None:
        await assoc.send(self._response(pending, result), context_id=pending.context_id)
        self._responded(pending, result)

    def _respond_nowait(
        self, assoc: StoreNowaitSender, pending: StorePending, result: StoreResult
    ) -> None:
        assoc.send_nowait(self._response(pending, result), context_id=pending.context_id)
        self._responded(pending, result)

    def _response(self, pending: StorePending, result: StoreResult) -> CStoreRSP:
        if category_of(result.status) in (StatusCategory.SUCCESS, StatusCategory.WARNING):
            self.stored += 1
        else:
            self.failed += 1
        return pending.request.response(result)

    def _responded(self, pending: StorePending, result: StoreResult) -> None:
        if self._prepare is not None:
            # The response is on its way: get the sink ready for the next object meanwhile.
            try:
                self._prepare()
            except Exception:
                log.exception("the storage sink failed to prepare")
        if self.on_stored is not None:
            self.on_stored(pending.request, result)


class StorageSCP(StoreReceiver):
    """A Storage SCP handler: ``await StorageSCP(sink)(assoc)`` serves one association.

    Answers C-ECHO-RQ; C-STORE-RQs go through :class:`StoreReceiver` (``on_stored``, ``stored``
    and ``failed`` as documented there).
    """

    async def __call__(self, assoc: StoreChannel) -> None:
        """Serve ``assoc`` until it ends (released, aborted or closed).

        When ``assoc`` takes an event hook (``AsyncAssociation.set_event_hook``), C-ECHO,
        C-STORE and data set fragments are handled as they arrive, without a task switch, while
        this coroutine is waiting for events; whatever the hook declines comes through
        :meth:`~dicomnet.transport.aio.AsyncAssociation.events` and is handled the same way.
        """
        negotiated = assoc.negotiated
        state = _Serving()
        set_hook = getattr(assoc, "set_event_hook", None)
        if set_hook is not None:
            set_hook(functools.partial(self._on_event, assoc, negotiated, state))
        try:
            async for event in assoc.events():
                state.busy = True  # the hook waits until this event is dealt with
                try:
                    if not await self._handle(assoc, negotiated, state, event):
                        break
                finally:
                    state.busy = False
        finally:
            if set_hook is not None:
                set_hook(None)
            self.abandon(state.pending)

    async def _handle(
        self,
        assoc: StoreChannel,
        negotiated: NegotiatedAssociation | None,
        state: _Serving,
        event: AssociationEvent,
    ) -> bool:
        """One event from the queue; ``False`` when the association is over."""
        if type(event) is DatasetFragment:
            if state.pending is not None:  # else the data set of a message not stored
                state.pending = await self.receive(assoc, state.pending, event)
        elif isinstance(event, MessageReceived):
            if state.pending is not None:  # pragma: no cover - the assembler forbids it
                state.pending.writer.abort()
                state.pending = None
            message = event.message
            if isinstance(message, CEchoRQ):
                await assoc.send(echo_response(message), context_id=event.context_id)
            elif isinstance(message, CStoreRQ):
                state.pending = await self.begin(assoc, negotiated, event)
            else:
                log.warning("Storage SCP ignores %s", message.message_name)
        elif isinstance(event, (Aborted, Closed)):
            return False
        return True

    def _on_event(
        self,
        assoc: Any,
        negotiated: NegotiatedAssociation | None,
        state: _Serving,
        event: AssociationEvent,
    ) -> bool:
        """The event hook: what :meth:`_handle` does, synchronously; ``False`` to decline."""
        if state.busy:
            return False
        try:
            if type(event) is DatasetFragment:
                pending = state.pending
                if pending is not None:
                    if event.last:
                        state.pending = self.receive_nowait(assoc, pending, event)
                    elif pending.failed is None:  # most fragments: straight to the writer
                        try:
                            pending.write(event.data)
                        except Exception as exc:
                            self._write_failed(pending, exc)
                return True
            if type(event) is MessageReceived and state.pending is None:
                message = event.message
                if isinstance(message, CStoreRQ):
                    state.pending = self.begin_nowait(assoc, negotiated, event)
                    return True
                if isinstance(message, CEchoRQ):
                    assoc.send_nowait(echo_response(message), context_id=event.context_id)
                    return True
        except AssociationAborted as exc:
            # The peer ended the association in the same read: its Aborted/Closed events follow
            # and end the coroutine; the response cannot go any more.
            log.info("association ended before the response: %s", exc)
            return True
        return False


class _Serving:
    """What :class:`StorageSCP` keeps per association: the C-STORE whose data set is arriving,
    and whether the coroutine is in the middle of an event (then the hook declines)."""

    __slots__ = ("busy", "pending")

    def __init__(self) -> None:
        self.pending: StorePending | None = None
        self.busy = False
