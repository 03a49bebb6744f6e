"""C-MOVE and C-GET of the Q/R SCP: the instances listed, their sub-operations, the final status.

:func:`retrieve` serves one C-MOVE (PS3.4 C.4.2) or C-GET (PS3.4 C.4.3) for
:class:`dicomnet.services.qr_scp.QRSCP`: the move destination resolved by the application (unknown:
0xA801), the instances listed by it (all before the first sub-operation, since each Pending
response carries the number remaining), the C-STOREs sent over ONE new association to the
destination (:class:`~dicomnet.services.qr_scp_store.MoveStore`; contexts proposed per SOP class
and transfer syntax, PS3.7 §9.1.1.1 Move Originator in each request) or back over the requestor's
own association (:class:`GetStore`, PS3.7 D.3.3.4 role selection), a Pending response per
sub-operation (:func:`~dicomnet.services.qr_scp_store.perform_sub_operations`) and the final one.
A destination that cannot be reached fails every sub-operation: 0xA702 with the counts, the
Failed SOP Instance UID List and an error comment.
"""

from __future__ import annotations

import logging
from typing import Any

from dicomnet.acse import RequestorConfig
from dicomnet.association import MessageReceived
from dicomnet.dataset import Dataset
from dicomnet.dimse import CStoreRSP, DimseMessage
from dicomnet.errors import AssociationAborted, DicomNetError
from dicomnet.services.qr_scp_operation import (
    MOVE_DESTINATION_UNKNOWN,
    UNABLE_TO_PROCESS,
    Connector,
    Operation,
    PeerGone,
    QRApplication,
    QRRequest,
    QRSCPChannel,
    Responder,
    iterate,
)
from dicomnet.services.qr_scp_store import (
    SUB_OPERATIONS_FAILED,
    IndexedFile,
    Instance,
    MoveStore,
    RetrieveItem,
    SubOperationCounts,
    SubOperationStore,
    final_status,
    instance_of,
    perform_sub_operations,
)
from dicomnet.services.storage_scu import propose_contexts

__all__ = ["GetStore", "retrieve"]

log = logging.getLogger("dicomnet.services.qr_scp")


def _uid_of(item: RetrieveItem) -> str | None:
    """The SOP Instance UID of an item that cannot be sent, when known without reading it."""
    if isinstance(item, IndexedFile):
        return item.file.sop_instance_uid
    if isinstance(item, Dataset):
        uid = item.get_value("SOPInstanceUID")
        return uid if isinstance(uid, str) else None
    return None


async def retrieve(
    application: QRApplication,
    assoc: QRSCPChannel,
    request: QRRequest,
    respond: Responder,
    op: Operation,
    *,
    connect: Connector | None,
    ae_title: str | None,
    max_pdu_length: int,
) -> None:
    """Perform the C-MOVE or C-GET ``request`` and send its responses (final included)."""
    destination: tuple[str, int] | None = None
    if request.operation == "move":
        title = (request.move_destination or "").strip()
        try:
            destination = application.resolve_move_destination(title)
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
        items = [item async for item in iterate(application.retrieve(request))]
    except (AssociationAborted, PeerGone):
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
            counts.fail(_uid_of(item))
        else:
            instances.append(got)
    if destination is None:
        await _sub_operations(GetStore(assoc, op), instances, request, respond, op, counts)
        return
    if not instances:
        await respond.final(final_status(counts, False), counts=counts)
        return
    if connect is None:
        await respond.final(UNABLE_TO_PROCESS, comment="C-MOVE is not configured (no connect)")
        return
    config = RequestorConfig(
        calling_ae_title=ae_title or request.called_ae_title or "QRSCP",
        called_ae_title=(request.move_destination or "").strip(),
        presentation_contexts=tuple(propose_contexts([i.file for i in instances]))[:128],
        max_pdu_length=max_pdu_length,
    )
    try:
        sub = await connect(destination[0], destination[1], config)
    except (OSError, TimeoutError, DicomNetError) as exc:
        log.warning("move destination %s refused: %s", destination, exc)
        for i in instances:
            counts.fail(i.file.sop_instance_uid)
        counts.remaining = 0
        text = f"move destination: {type(exc).__name__}: {exc}"
        await respond.final(SUB_OPERATIONS_FAILED, counts=counts, comment=text[:64])
        return
    try:
        lost = await _sub_operations(MoveStore(sub), instances, request, respond, op, counts)
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
    store: SubOperationStore,
    instances: list[Instance],
    request: QRRequest,
    respond: Responder,
    op: Operation,
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
        pending=respond.progress,
        originator=originator,
    )
    cancelled = op.cancelled and counts.remaining > 0
    comment = f"store association lost: {lost}"[:64] if lost else None
    await respond.final(final_status(counts, cancelled), counts=counts, comment=comment)
    return lost is not None


class GetStore:
    """C-STOREs back over the C-GET requestor's association; its responses come through ``op``."""

    def __init__(self, assoc: QRSCPChannel, op: Operation) -> None:
        self.assoc = assoc
        self.op = op
        self.negotiated = assoc.negotiated

    def next_message_id(self) -> int:
        """A new message ID on the requestor's association."""
        return self.assoc.next_message_id()

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any) -> None:
        """Send ``message``."""
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
            except PeerGone as exc:
                raise AssociationAborted(2, 0, str(exc)) from None
