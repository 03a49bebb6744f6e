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

For C-MOVE and C-GET a Pending response with the four counters follows each sub-operation but
the last (sent once the next C-STORE-RQ is on its way, so the two overlap); the final status is
Success (none failed or warned), Warning 0xB000 (some failed or warned), 0xA702 (all failed) or
Cancel 0xFE00 (a C-CANCEL-RQ arrived; checked between sub-operations). Whenever a sub-operation
failed, the final response's Identifier holds the Failed SOP Instance UID List
(0008,0058). An application that raises while listing instances gets 0xC000 with an error comment;
one that yields an unreadable file gets that sub-operation counted as failed. The association
survives both. A peer that aborts ends the operation at the next check (no hang; the
sub-association to a move destination is aborted too).

One coroutine serves the association: an operation runs inline and, between yields and
sub-operations, takes the events already received without waiting (C-CANCEL-RQ, A-ABORT); the
services layer starts no task and does no IO (C-MOVE sub-associations are opened by the
``connect`` the caller gives, as :func:`~dicomnet.services.storage_scu.astore` does).

This module is the handler, the C-FIND loop and the acceptor configuration; the request, the
application protocol and the responses are in :mod:`dicomnet.services.qr_scp_operation`, C-MOVE
and C-GET in :mod:`dicomnet.services.qr_scp_retrieve`, the C-STORE sub-operations in
:mod:`dicomnet.services.qr_scp_store`. The public names of all four are importable from here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Final

from dicomnet.acse import AcceptorConfig, SupportedContext
from dicomnet.association import Aborted, Closed, DatasetFragment, MessageReceived
from dicomnet.dataset import read_dataset
from dicomnet.dimse import CCancelRQ, CEchoRQ, CFindRQ, CGetRQ, CMoveRQ, CStoreRQ
from dicomnet.errors import AssociationAborted, DicomNetError, RemoteProtocolError
from dicomnet.services.echo import VERIFICATION_SOP_CLASS, echo_response
from dicomnet.services.qr_scp_operation import (
    IDENTIFIER_DOES_NOT_MATCH,
    MOVE_DESTINATION_UNKNOWN,
    PENDING,
    UNABLE_TO_PROCESS,
    Connector,
    Inbox,
    Operation,
    PeerGone,
    QRApplication,
    QRRequest,
    QRSCPChannel,
    Responder,
    iterate,
)
from dicomnet.services.qr_scp_retrieve import retrieve
from dicomnet.services.qr_scp_store import (
    CANCEL,
    SUB_OPERATIONS_FAILED,
    SUB_OPERATIONS_WARNING,
    IndexedFile,
    RetrieveItem,
    SubOperationCounts,
    dataset_bytes,
)
from dicomnet.services.storage_scp import (
    SOP_CLASS_NOT_SUPPORTED,
    RefusingSink,
    StoreReceiver,
)
from dicomnet.services.storage_scp import StorePending as _StorePending
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
    "IndexedFile",
    "QRApplication",
    "QRRequest",
    "QRSCPChannel",
    "RetrieveItem",
    "SubOperationCounts",
    "qr_acceptor_config",
]

log = logging.getLogger("dicomnet.services.qr_scp")

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


class _Incoming:
    """A request whose Identifier is arriving."""

    def __init__(self, event: MessageReceived) -> None:
        self.event = event
        self.data = bytearray()
        self.too_long = False


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
        inbox = Inbox(assoc)
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
        self, assoc: QRSCPChannel, inbox: Inbox, event: MessageReceived
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

    async def _perform(self, assoc: QRSCPChannel, inbox: Inbox, incoming: _Incoming) -> None:
        message = incoming.event.message
        assert isinstance(message, (CFindRQ, CMoveRQ, CGetRQ))
        op = Operation(message.message_id, inbox)
        respond = Responder(assoc, message, incoming.event.context_id, _EVLE)
        try:
            await self._operate(assoc, incoming, op, respond)
        except (AssociationAborted, RemoteProtocolError, TimeoutError, PeerGone) as exc:
            log.warning("%s %d ended: %s", message.message_name, op.message_id, exc)
        except Exception as exc:
            log.exception("%s %d failed", message.message_name, op.message_id)
            if not respond.finished:
                with contextlib.suppress(DicomNetError, TimeoutError):
                    await respond.final(UNABLE_TO_PROCESS, comment=f"failed: {exc}")

    async def _operate(
        self, assoc: QRSCPChannel, incoming: _Incoming, op: Operation, respond: Responder
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
            await retrieve(
                self.application,
                assoc,
                request,
                respond,
                op,
                connect=self.connect,
                ae_title=self.ae_title,
                max_pdu_length=self.max_pdu_length,
            )

    async def _find(self, request: QRRequest, respond: Responder, op: Operation) -> None:
        try:
            async with contextlib.aclosing(iterate(self.application.find(request))) as matches:
                async for match in matches:
                    if op.check():
                        break
                    identifier = dataset_bytes(match, respond.transfer_syntax)
                    await respond.pending(identifier)
                    if op.check():
                        break
        except (AssociationAborted, PeerGone):
            raise
        except Exception as exc:
            log.exception("the application failed during C-FIND %d", request.message_id)
            await respond.final(UNABLE_TO_PROCESS, comment=f"query failed: {exc}")
            return
        await respond.final(CANCEL if op.cancelled else 0x0000)
