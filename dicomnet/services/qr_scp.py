"""Query/Retrieve SCP (PS3.4 Annex C.4): C-FIND, C-MOVE and C-GET served for an application.

:class:`QRSCP` is an ``async def handler(assoc)`` for :func:`dicomnet.transport.aio.serve`. It
reads the association's events, answers C-ECHO, and hands each C-FIND/C-MOVE/C-GET request (its
Identifier decoded into a :class:`~dicomnet.dataset.Dataset`) to an application object following
:class:`QRApplication`. Matching is the application's job; this module owns the protocol:

- C-FIND (PS3.4 C.4.1): one Pending (0xFF00) response per identifier the application yields, sent
  as it is yielded; then Success, or Cancel (0xFE00) once a C-CANCEL-RQ arrived (checked between
  yields), or 0xC000 (Unable to process) when the application raises.
- C-MOVE (PS3.4 C.4.2): the destination AE title is resolved by the application; unknown gives
  0xA801 (Refused: Move Destination unknown) with an error comment. The instances the application
  returns are sent over ONE new association to the destination, contexts proposed per SOP class and
  transfer syntax (:func:`~dicomnet.services.storage_scu.propose_contexts`), each C-STORE-RQ
  carrying the Move Originator AE Title and Message ID (PS3.7 §9.1.1.1). A destination that cannot
  be reached or refuses the association is not "unknown": every sub-operation fails and the final
  status is 0xA702 (Refused: Out of resources - Unable to perform sub-operations) with the counts,
  the Failed SOP Instance UID List and an error comment saying why (dcmqrscp answers 0xB000 with
  every sub-operation failed, pynetdicom 0xA801).
- C-GET (PS3.4 C.4.3): the same sub-operations on the requesting association, on the contexts where
  the requestor took the SCP role for the storage class (PS3.7 D.3.3.4).
- C-STORE (PS3.4 B.2): streamed into the ``sink`` as the
  :class:`~dicomnet.services.storage_scp.StorageSCP` does (the same
  :class:`~dicomnet.services.storage_scp.StoreReceiver`), on contexts where the requestor is SCU;
  without a sink answered 0x0122 (Refused: SOP Class not supported).

For C-MOVE and C-GET a Pending response with the four counters follows each sub-operation; the
final status is Success (none failed or warned), Warning 0xB000 (some failed or warned), 0xA702
(all failed) or Cancel 0xFE00 (a C-CANCEL-RQ arrived; checked between sub-operations). Whenever a
sub-operation failed, the final response's Identifier holds the Failed SOP Instance UID List
(0008,0058). An application that raises while listing instances gets 0xC000 with an error comment;
one that yields an unreadable file gets that sub-operation counted as failed. The association
survives both. A peer that aborts ends the operation at the next check (no hang; the
sub-association to a move destination is aborted too).

One coroutine serves the association: an operation runs inline and, between yields and
sub-operations, takes the events already received without waiting (C-CANCEL-RQ, A-ABORT); the
services layer starts no task and does no IO (C-MOVE sub-associations are opened by the
``connect`` the caller gives, as :func:`~dicomnet.services.storage_scu.astore` does).
"""

from __future__ import annotations

import collections
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable
from typing import Any, Final, Protocol, TypeVar, runtime_checkable

import attrs

from dicomnet.acse import (
    AcceptorConfig,
    NegotiatedAssociation,
    RequestorConfig,
    SupportedContext,
)
from dicomnet.association import Aborted, Closed, DatasetFragment, MessageReceived
from dicomnet.dataset import Dataset, read_dataset
from dicomnet.dimse import (
    CCancelRQ,
    CEchoRQ,
    CFindRQ,
    CFindRSP,
    CGetRQ,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    CStoreRQ,
    CStoreRSP,
    DimseMessage,
    StatusCategory,
    category_of,
)
from dicomnet.errors import AssociationAborted, DicomNetError, RemoteProtocolError
from dicomnet.services.echo import VERIFICATION_SOP_CLASS, echo_response
from dicomnet.services.qr_scp_store import (
    CANCEL,
    SUB_OPERATIONS_FAILED,
    SUB_OPERATIONS_WARNING,
    Instance,
    MoveStore,
    RetrieveItem,
    SubAssociation,
    SubOperationCounts,
    SubOperationStore,
    dataset_bytes,
    failed_identifier,
    final_status,
    instance_of,
    perform_sub_operations,
)
from dicomnet.services.storage_scp import (
    SOP_CLASS_NOT_SUPPORTED,
    RefusingSink,
    StoreReceiver,
)
from dicomnet.services.storage_scp import StorePending as _StorePending
from dicomnet.services.storage_scu import propose_contexts
from dicomnet.services.store import StorageSink, StoreResult
from dicomnet.uid import (
    COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET,
    COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    MODALITY_WORKLIST_FIND,
    PATIENT_ROOT_QR_FIND,
    PATIENT_ROOT_QR_GET,
    PATIENT_ROOT_QR_MOVE,
    PATIENT_STUDY_ONLY_QR_FIND,
    PATIENT_STUDY_ONLY_QR_GET,
    PATIENT_STUDY_ONLY_QR_MOVE,
    STORAGE_SOP_CLASSES,
    STUDY_ROOT_QR_FIND,
    STUDY_ROOT_QR_GET,
    STUDY_ROOT_QR_MOVE,
    TRANSFER_SYNTAXES,
)

__all__ = [
    "CANCEL",
    "FIND_SOP_CLASSES",
    "GET_SOP_CLASSES",
    "IDENTIFIER_DOES_NOT_MATCH",
    "MAX_IDENTIFIER_LENGTH",
    "MOVE_DESTINATION_UNKNOWN",
    "MOVE_SOP_CLASSES",
    "PENDING",
    "QRSCP",
    "SUB_OPERATIONS_FAILED",
    "SUB_OPERATIONS_WARNING",
    "UNABLE_TO_PROCESS",
    "Connector",
    "QRApplication",
    "QRRequest",
    "RetrieveItem",
    "SubOperationCounts",
    "qr_acceptor_config",
]

log = logging.getLogger("dicomnet.services.qr_scp")

# Statuses of PS3.4 Tables C.4-1 (C-FIND), C.4-2 (C-MOVE), C.4-3 (C-GET); the others are in
# dicomnet.services.qr_scp_store.
PENDING: Final = 0xFF00
MOVE_DESTINATION_UNKNOWN: Final = 0xA801
IDENTIFIER_DOES_NOT_MATCH: Final = 0xA900
UNABLE_TO_PROCESS: Final = 0xC000

FIND_SOP_CLASSES: Final = (
    PATIENT_ROOT_QR_FIND,
    STUDY_ROOT_QR_FIND,
    PATIENT_STUDY_ONLY_QR_FIND,
    MODALITY_WORKLIST_FIND,
)
MOVE_SOP_CLASSES: Final = (
    PATIENT_ROOT_QR_MOVE,
    STUDY_ROOT_QR_MOVE,
    PATIENT_STUDY_ONLY_QR_MOVE,
    COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE,
)
GET_SOP_CLASSES: Final = (
    PATIENT_ROOT_QR_GET,
    STUDY_ROOT_QR_GET,
    PATIENT_STUDY_ONLY_QR_GET,
    COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET,
)

_IVLE: Final = IMPLICIT_VR_LITTLE_ENDIAN.uid
_EVLE: Final = EXPLICIT_VR_LITTLE_ENDIAN.uid
_EVBE: Final = EXPLICIT_VR_BIG_ENDIAN.uid
_UNCOMPRESSED: Final = (_EVLE, _EVBE, _IVLE)
#: Largest C-FIND/C-MOVE/C-GET Identifier accepted (a query is a few hundred bytes).
MAX_IDENTIFIER_LENGTH: Final = 4 * 1024 * 1024
_FAILED_SOP_INSTANCE_UID_LIST: Final = 0x00080058


@attrs.frozen(kw_only=True)
class QRRequest:
    """A C-FIND, C-MOVE or C-GET request as the application sees it (PS3.7 §9.1.2-9.1.4).

    ``operation`` is ``"find"``, ``"move"`` or ``"get"``; ``sop_class_uid`` the Affected SOP Class
    (the information model); ``identifier`` the decoded query keys; ``move_destination`` the AE
    title of a C-MOVE, else ``None``.
    """

    operation: str
    message_id: int
    sop_class_uid: str
    identifier: Dataset
    priority: int = 0
    move_destination: str | None = None
    calling_ae_title: str = ""
    called_ae_title: str = ""
    peer_address: tuple[Any, ...] = ()


_T = TypeVar("_T")


@runtime_checkable
class QRApplication(Protocol):
    """What the Q/R SCP asks of the application (the archive); matching happens here.

    ``find`` yields the identifiers that match (an async or plain iterable); ``retrieve`` gives the
    instances of a C-MOVE or C-GET (all are listed before the first sub-operation, since each
    Pending response carries the number remaining); ``resolve_move_destination`` maps a C-MOVE
    destination AE title to ``(host, port)``, ``None`` when unknown.
    """

    def find(self, request: QRRequest) -> AsyncIterable[Dataset] | Iterable[Dataset]:
        """The matches of a C-FIND."""
        ...

    def retrieve(self, request: QRRequest) -> AsyncIterable[RetrieveItem] | Iterable[RetrieveItem]:
        """The instances of a C-MOVE or C-GET."""
        ...

    def resolve_move_destination(self, ae_title: str) -> tuple[str, int] | None:
        """The address of a move destination, ``None`` when unknown."""
        ...


#: Opens the sub-association to a move destination: ``connect(host, port, config)``, e.g.
#: :func:`dicomnet.transport.connect` or a ``functools.partial`` of it (timeouts, TLS).
Connector = Callable[[str, int, RequestorConfig], Awaitable[SubAssociation]]


class QRSCPChannel(Protocol):
    """What the Q/R SCP needs from the association it serves (``AsyncAssociation``)."""

    @property
    def negotiated(self) -> NegotiatedAssociation | None: ...

    @property
    def peer_address(self) -> tuple[Any, ...]: ...

    def next_message_id(self) -> int: ...

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        """Send ``message`` on ``context_id``."""

    async def next_event(self) -> Any:
        """The next event (``None`` after the last)."""

    def next_event_nowait(self) -> Any:
        """An event that has already arrived, or ``None``; never waits."""


def qr_acceptor_config(
    ae_title: str = "QRSCP",
    *,
    find: Iterable[str] = FIND_SOP_CLASSES,
    move: Iterable[str] = MOVE_SOP_CLASSES,
    get: Iterable[str] = GET_SOP_CLASSES,
    storage_for_get: Iterable[str] | None = None,
    storage: bool = False,
    max_pdu_length: int = 16384,
    require_called_ae_title: bool = False,
) -> AcceptorConfig:
    """Verification, the Q/R models, and (when ``get`` or ``storage``) the storage classes.

    The Q/R contexts accept the uncompressed transfer syntaxes; each storage class (default: all
    of :data:`dicomnet.uid.STORAGE_SOP_CLASSES`) accepts every transfer syntax, uncompressed first,
    and lets the requestor take the SCP role, so the C-STORE sub-operations of a C-GET can go back
    on the same association (PS3.4 C.4.3.1, PS3.7 D.3.3.4); without role selection the requestor is
    SCU on them, so ``storage=True`` (for a :class:`QRSCP` with a sink) needs no other context.
    """
    contexts = [SupportedContext(VERIFICATION_SOP_CLASS, _UNCOMPRESSED)]
    qr = list(dict.fromkeys([*find, *move, *get]))
    contexts += [SupportedContext(uid, _UNCOMPRESSED) for uid in qr]
    get_classes = list(get)
    if get_classes or storage:
        others = sorted(
            ts.uid for ts in TRANSFER_SYNTAXES.values() if not ts.retired and ts.uid not in qr
        )
        syntaxes = (*_UNCOMPRESSED, *(ts for ts in others if ts not in _UNCOMPRESSED))
        classes = (
            [c.uid for c in STORAGE_SOP_CLASSES] if storage_for_get is None else storage_for_get
        )
        contexts += [
            SupportedContext(uid, syntaxes, scu_role=True, scp_role=bool(get_classes))
            for uid in dict.fromkeys(classes)
            if uid not in qr and uid != VERIFICATION_SOP_CLASS
        ]
    return AcceptorConfig(
        ae_titles=(ae_title,),
        require_called_ae_title=require_called_ae_title,
        supported_contexts=tuple(contexts),
        prefer="acceptor",
        max_pdu_length=max_pdu_length,
    )


class _PeerGone(Exception):
    """The requestor aborted or the connection closed during an operation."""


class _Inbox:
    """The served association's events, read by the one coroutine serving it.

    An operation looks at what is already queued between yields and sub-operations
    (:meth:`poll`, never waiting) and waits only for the C-STORE-RSPs of a C-GET; what it does not
    consume is kept in ``backlog`` for the handler's loop.
    """

    def __init__(self, assoc: QRSCPChannel) -> None:
        self.assoc = assoc
        self.backlog: collections.deque[Any] = collections.deque()
        self.ended = False

    async def next(self) -> Any:
        """The next event for the handler's loop (``None`` once the association is over)."""
        if self.backlog:
            return self.backlog.popleft()
        if self.ended:
            return None
        return await self.assoc.next_event()

    async def wait(self) -> Any:
        """The next event from the association, waiting for it."""
        return await self.assoc.next_event()

    def poll(self) -> Any:
        """An event already received, else ``None`` (never waits)."""
        return self.assoc.next_event_nowait()


class _Operation:
    """One C-FIND/C-MOVE/C-GET being performed: its message ID and cancel flag (PS3.7 §9.3.2.3)."""

    def __init__(self, message_id: int, inbox: _Inbox) -> None:
        self.message_id = message_id
        self.inbox = inbox
        self.cancelled = False

    def observe(self, event: Any) -> None:
        """Take note of an event that arrived during the operation."""
        if event is None or isinstance(event, (Aborted, Closed)):
            self.inbox.ended = True
            raise _PeerGone("the requestor aborted or closed the connection")
        message = event.message if isinstance(event, MessageReceived) else None
        if (
            isinstance(message, CCancelRQ)
            and message.message_id_being_responded_to == self.message_id
        ):
            log.info("C-CANCEL-RQ for message %d", self.message_id)
            self.cancelled = True
        else:
            self.inbox.backlog.append(event)

    def check(self) -> bool:
        """Look at the events already received; True once cancelled. Raises _PeerGone."""
        while not self.inbox.ended and (event := self.inbox.poll()) is not None:
            self.observe(event)
        if self.inbox.ended:
            raise _PeerGone("the requestor aborted or closed the connection")
        return self.cancelled


class _Incoming:
    """A request whose Identifier is arriving."""

    def __init__(self, event: MessageReceived) -> None:
        self.event = event
        self.data = bytearray()
        self.too_long = False


async def _iterate(source: AsyncIterable[_T] | Iterable[_T]) -> AsyncGenerator[_T, None]:
    """Items of a plain or async iterable; an async generator left early is closed."""
    if isinstance(source, AsyncIterable):
        try:
            async for item in source:
                yield item
        finally:
            close = getattr(source, "aclose", None)
            if close is not None:
                await close()
    else:
        for item in source:
            yield item


class QRSCP:
    """A Query/Retrieve SCP handler: ``await QRSCP(app)(assoc)`` serves one association.

    ``connect(host, port, config)`` opens the sub-association of a C-MOVE (see
    :data:`Connector`; pass :func:`dicomnet.transport.connect`, or a ``functools.partial`` of it
    with timeouts or TLS: this layer does no IO); without it a C-MOVE is answered 0xC000.
    ``ae_title`` is the calling AE title of those sub-associations (default: the called AE title
    the requestor used). C-STOREs go to ``sink`` (a :class:`~dicomnet.services.store.StorageSink`;
    none: refused); ``receiver`` is the :class:`StoreReceiver` (``stored``/``failed`` counts).
    """

    def __init__(
        self,
        application: QRApplication,
        *,
        connect: Connector | None = None,
        ae_title: str | None = None,
        max_pdu_length: int = 16384,
        sink: StorageSink | None = None,
    ) -> None:
        self.application = application
        self.receiver = StoreReceiver(
            RefusingSink(StoreResult(SOP_CLASS_NOT_SUPPORTED, "this Q/R SCP does not store"))
            if sink is None
            else sink
        )
        self.connect = connect
        self.ae_title = ae_title
        self.max_pdu_length = max_pdu_length

    async def __call__(self, assoc: QRSCPChannel) -> None:
        """Serve ``assoc`` until it ends (released, aborted or closed)."""
        inbox = _Inbox(assoc)
        incoming: _Incoming | None = None
        storing: _StorePending | None = None
        receiver = self.receiver
        try:
            while (event := await inbox.next()) is not None:
                if isinstance(event, DatasetFragment):
                    if storing is not None:
                        storing = await receiver.receive(assoc, storing, event)
                        continue
                    if incoming is None:
                        continue
                    if len(incoming.data) + len(event.data) > MAX_IDENTIFIER_LENGTH:
                        incoming.too_long = True
                    elif not incoming.too_long:
                        incoming.data += event.data
                    if event.last:
                        done, incoming = incoming, None
                        await self._perform(assoc, inbox, done)
                elif isinstance(event, MessageReceived):
                    if isinstance(event.message, CStoreRQ):
                        storing = await receiver.begin(assoc, assoc.negotiated, event)
                    else:
                        incoming = await self._on_message(assoc, inbox, event)
                elif isinstance(event, (Aborted, Closed)):
                    break
        finally:
            StoreReceiver.abandon(storing)

    async def _on_message(
        self, assoc: QRSCPChannel, inbox: _Inbox, event: MessageReceived
    ) -> _Incoming | None:
        message = event.message
        if isinstance(message, CEchoRQ):
            await assoc.send(echo_response(message), context_id=event.context_id)
        elif isinstance(message, (CFindRQ, CMoveRQ, CGetRQ)):
            if event.has_dataset:
                return _Incoming(event)
            await self._perform(assoc, inbox, _Incoming(event))
        elif isinstance(message, CCancelRQ):
            log.debug(
                "C-CANCEL-RQ for message %d, no longer outstanding",
                message.message_id_being_responded_to,
            )
        else:
            log.warning("Q/R SCP ignores %s", message.message_name)
        return None

    async def _perform(self, assoc: QRSCPChannel, inbox: _Inbox, incoming: _Incoming) -> None:
        message = incoming.event.message
        assert isinstance(message, (CFindRQ, CMoveRQ, CGetRQ))
        op = _Operation(message.message_id, inbox)
        respond = _Responder(assoc, message, incoming.event.context_id, _EVLE)
        try:
            await self._operate(assoc, incoming, op, respond)
        except (AssociationAborted, RemoteProtocolError, TimeoutError, _PeerGone) as exc:
            log.warning("%s %d ended: %s", message.message_name, op.message_id, exc)
        except Exception as exc:
            log.exception("%s %d failed", message.message_name, op.message_id)
            if not respond.finished:
                with contextlib.suppress(DicomNetError, TimeoutError):
                    await respond.final(UNABLE_TO_PROCESS, comment=f"failed: {exc}")

    async def _operate(
        self, assoc: QRSCPChannel, incoming: _Incoming, op: _Operation, respond: _Responder
    ) -> None:
        event = incoming.event
        message = event.message
        assert isinstance(message, (CFindRQ, CMoveRQ, CGetRQ))
        negotiated = assoc.negotiated
        context = None if negotiated is None else negotiated.accepted.get(event.context_id)
        if context is not None:
            respond.transfer_syntax = context.transfer_syntax
        if message.affected_sop_class_uid.rstrip("\x00 ") != (
            context.abstract_syntax if context else None
        ):
            await respond.final(0x0122, comment="SOP class differs from the context's")
            return
        if incoming.too_long or not event.has_dataset:
            await respond.final(IDENTIFIER_DOES_NOT_MATCH, comment="identifier missing or too long")
            return
        try:
            identifier = read_dataset(bytes(incoming.data), respond.transfer_syntax)
        except (DicomNetError, ValueError) as exc:
            await respond.final(IDENTIFIER_DOES_NOT_MATCH, comment=f"bad identifier: {exc}")
            return
        request = QRRequest(
            operation={CFindRQ: "find", CMoveRQ: "move", CGetRQ: "get"}[type(message)],
            message_id=message.message_id,
            sop_class_uid=message.affected_sop_class_uid,
            identifier=identifier,
            priority=int(message.priority),
            move_destination=message.move_destination if isinstance(message, CMoveRQ) else None,
            calling_ae_title="" if negotiated is None else negotiated.calling_ae_title,
            called_ae_title="" if negotiated is None else negotiated.called_ae_title,
            peer_address=tuple(assoc.peer_address),
        )
        if isinstance(message, CFindRQ):
            await self._find(request, respond, op)
        else:
            await self._retrieve(assoc, request, respond, op)

    async def _find(self, request: QRRequest, respond: _Responder, op: _Operation) -> None:
        try:
            async with contextlib.aclosing(_iterate(self.application.find(request))) as matches:
                async for match in matches:
                    if op.check():
                        break
                    identifier = dataset_bytes(match, respond.transfer_syntax)
                    await respond.pending(identifier=identifier)
                    if op.check():
                        break
        except (AssociationAborted, _PeerGone):
            raise
        except Exception as exc:
            log.exception("the application failed during C-FIND %d", request.message_id)
            await respond.final(UNABLE_TO_PROCESS, comment=f"query failed: {exc}")
            return
        await respond.final(CANCEL if op.cancelled else 0x0000)

    async def _retrieve(
        self, assoc: QRSCPChannel, request: QRRequest, respond: _Responder, op: _Operation
    ) -> None:
        destination: tuple[str, int] | None = None
        if request.operation == "move":
            title = (request.move_destination or "").strip()
            try:
                destination = self.application.resolve_move_destination(title)
            except Exception as exc:
                log.exception("the application failed to resolve %r", title)
                await respond.final(UNABLE_TO_PROCESS, comment=f"destination lookup: {exc}")
                return
            if destination is None:
                await respond.final(
                    MOVE_DESTINATION_UNKNOWN, comment=f"unknown move destination {title!r}"[:64]
                )
                return
        try:
            items = [item async for item in _iterate(self.application.retrieve(request))]
        except (AssociationAborted, _PeerGone):
            raise
        except Exception as exc:
            log.exception("the application failed listing the instances of %d", op.message_id)
            await respond.final(UNABLE_TO_PROCESS, comment=f"retrieve failed: {exc}")
            return
        counts = SubOperationCounts(remaining=len(items))
        instances: list[Instance] = []
        for item in items:
            got = instance_of(item)
            if isinstance(got, str):
                log.warning("sub-operation not possible: %s", got)
                counts.remaining -= 1
                uid = item.get_value("SOPInstanceUID") if isinstance(item, Dataset) else None
                counts.fail(uid if isinstance(uid, str) else None)
            else:
                instances.append(got)
        if destination is None:
            await self._sub_operations(
                _GetStore(assoc, op), instances, request, respond, op, counts
            )
            return
        config = RequestorConfig(
            calling_ae_title=self.ae_title or request.called_ae_title or "QRSCP",
            called_ae_title=(request.move_destination or "").strip(),
            presentation_contexts=tuple(propose_contexts([i.file for i in instances]))[:128],
            max_pdu_length=self.max_pdu_length,
        )
        if not instances:
            await respond.final(final_status(counts, False), counts=counts)
            return
        if self.connect is None:
            await respond.final(UNABLE_TO_PROCESS, comment="C-MOVE is not configured (no connect)")
            return
        try:
            sub = await self.connect(destination[0], destination[1], config)
        except (OSError, TimeoutError, DicomNetError) as exc:
            log.warning("move destination %s refused: %s", destination, exc)
            for i in instances:
                counts.fail(i.file.sop_instance_uid)
            counts.remaining = 0
            text = f"move destination: {type(exc).__name__}: {exc}"
            await respond.final(SUB_OPERATIONS_FAILED, counts=counts, comment=text[:64])
            return
        try:
            lost = await self._sub_operations(
                MoveStore(sub), instances, request, respond, op, counts
            )
        except BaseException:
            await sub.abort()
            raise
        if lost:
            await sub.abort()
        else:
            try:
                await sub.release()
            except (DicomNetError, TimeoutError, OSError):
                log.warning("the move destination did not release cleanly")

    async def _sub_operations(
        self,
        store: SubOperationStore,
        instances: list[Instance],
        request: QRRequest,
        respond: _Responder,
        op: _Operation,
        counts: SubOperationCounts,
    ) -> bool:
        """The sub-operations, Pending responses between them, the final response.

        True when the association carrying the C-STOREs was lost.
        """
        originator = (
            (request.calling_ae_title, request.message_id) if request.operation == "move" else None
        )
        lost = await perform_sub_operations(
            store,
            instances,
            counts,
            cancelled=op.check,
            pending=lambda: respond.pending(counts=counts),
            originator=originator,
        )
        cancelled = op.cancelled and counts.remaining > 0
        comment = f"store association lost: {lost}"[:64] if lost else None
        await respond.final(final_status(counts, cancelled), counts=counts, comment=comment)
        return lost is not None


class _GetStore:
    """C-STOREs back over the requesting association; responses come through the handler."""

    def __init__(self, assoc: QRSCPChannel, op: _Operation) -> None:
        self.assoc = assoc
        self.op = op
        self.negotiated = assoc.negotiated

    def next_message_id(self) -> int:
        return self.assoc.next_message_id()

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any) -> None:
        await self.assoc.send(message, context_id=context_id, dataset=dataset)

    async def response(self, message_id: int) -> CStoreRSP:
        """Read the requestor's messages until the C-STORE-RSP to ``message_id``."""
        while True:
            event = await self.op.inbox.wait()
            if isinstance(event, MessageReceived) and isinstance(event.message, CStoreRSP):
                if event.message.message_id_being_responded_to == message_id:
                    return event.message
                log.warning(
                    "ignoring a C-STORE-RSP to %d", event.message.message_id_being_responded_to
                )
                continue
            try:
                self.op.observe(event)
            except _PeerGone as exc:
                raise AssociationAborted(2, 0, str(exc)) from None


class _Responder:
    """Builds and sends the responses of one request on its context."""

    def __init__(
        self, assoc: QRSCPChannel, request: CFindRQ | CMoveRQ | CGetRQ, context_id: int, ts: str
    ) -> None:
        self.assoc = assoc
        self.request = request
        self.context_id = context_id
        self.transfer_syntax = ts
        self.finished = False

    def _message(
        self, status: int, counts: SubOperationCounts | None, comment: str | None, has_ds: bool
    ) -> DimseMessage:
        rq = self.request
        common: dict[str, Any] = {
            "message_id_being_responded_to": rq.message_id,
            "status": status,
            "affected_sop_class_uid": rq.affected_sop_class_uid,
            "error_comment": comment,
            "has_dataset": has_ds,
        }
        if isinstance(rq, CFindRQ):
            return CFindRSP(**common)
        if counts is not None:
            final = category_of(status) != StatusCategory.PENDING
            common.update(
                number_of_remaining_sub_operations=(
                    None if final and status != CANCEL else counts.remaining
                ),
                number_of_completed_sub_operations=counts.completed,
                number_of_failed_sub_operations=counts.failed,
                number_of_warning_sub_operations=counts.warning,
            )
        if isinstance(rq, CMoveRQ):
            return CMoveRSP(**common)
        return CGetRSP(**common)

    async def pending(
        self, *, identifier: list[Any] | None = None, counts: SubOperationCounts | None = None
    ) -> None:
        """A Pending (0xFF00) response, with an Identifier (C-FIND) or the counters."""
        message = self._message(PENDING, counts, None, identifier is not None)
        await self.assoc.send(message, context_id=self.context_id, dataset=identifier)

    async def final(
        self,
        status: int,
        *,
        counts: SubOperationCounts | None = None,
        comment: str | None = None,
    ) -> None:
        """The final response; the Failed SOP Instance UID List when a sub-operation failed."""
        identifier = None
        if counts is not None and counts.failed_uids:
            identifier = failed_identifier(counts.failed_uids, self.transfer_syntax)
        if comment is not None:
            comment = comment.encode("ascii", "replace").decode()[:64]
        message = self._message(status, counts, comment, identifier is not None)
        self.finished = True
        await self.assoc.send(message, context_id=self.context_id, dataset=identifier)
