"""C-GET SCU (PS3.4 C.4.3, PS3.7 §9.1.3, §9.3.3): sub-operations arrive on the same association.

The SCU proposes the storage SOP classes it expects with SCP/SCU Role Selection (PS3.7 D.3.3.4,
:func:`get_contexts`). While the C-GET is pending, the peer sends C-STORE-RQs on those contexts;
each is streamed to a :class:`~dicomnet.services.store.StorageSink` (``open``/``write``/
``commit``/``abort``, the same sinks as the Storage SCP) and answered at once. A C-STORE on a
context whose abstract syntax differs, or where we are not SCP, is refused (0122H) without
touching the sink. A sink failure answers A700H. The association ending mid-object aborts the
writer, so no partial file is left under a final name.

    async for rsp in get(assoc, identifier, DirectorySink(out), model=QueryModel.STUDY_ROOT):
        print(rsp.status, rsp.completed)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.acse import ProposedContext, RoleSelection
from dicomnet.dataset import Dataset
from dicomnet.dimse import CStoreRQ, Priority
from dicomnet.errors import LocalProtocolError
from dicomnet.services.move import RetrieveOperation, RetrieveResponse, read_response
from dicomnet.services.query import (
    QRChannel,
    QueryModel,
    ReceivedMessage,
    accepted_context,
    next_fragment,
    read_message,
    send_cancel,
    send_request,
)
from dicomnet.services.store import StorageSink, StoreRequest, StoreResult, StoreWriter
from dicomnet.uid import EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN

__all__ = ["GetStream", "StoredObject", "get", "get_contexts"]

log = logging.getLogger("dicomnet.services.get")

#: Refused: SOP Class not supported (PS3.4 Table B.2-1).
SOP_CLASS_NOT_SUPPORTED = 0x0122
#: Refused: Out of Resources (PS3.4 Table B.2-1).
OUT_OF_RESOURCES = 0xA700

_DEFAULT_SYNTAXES = (EXPLICIT_VR_LITTLE_ENDIAN.uid, IMPLICIT_VR_LITTLE_ENDIAN.uid)


def get_contexts(
    model: QueryModel,
    storage_sop_classes: Iterable[str],
    transfer_syntaxes: Iterable[str] = _DEFAULT_SYNTAXES,
) -> tuple[list[ProposedContext], list[RoleSelection]]:
    """The contexts and role selections a C-GET SCU proposes (PS3.4 C.4.3, PS3.7 D.3.3.4).

    The model's GET SOP class (SCU), and each storage SOP class with the role selection that
    makes us its SCP (``scu_role=False, scp_role=True``).
    """
    syntaxes = tuple(transfer_syntaxes)
    contexts = [ProposedContext(model.sop_class("get"), syntaxes)]
    roles: list[RoleSelection] = []
    for uid in dict.fromkeys(storage_sop_classes):
        contexts.append(ProposedContext(uid, syntaxes))
        roles.append(RoleSelection(uid, scu_role=False, scp_role=True))
    return contexts, roles


@attrs.frozen(repr=False)
class StoredObject:
    """A C-STORE sub-operation received during the C-GET and the status we answered."""

    __repr__ = attrs_repr

    request: StoreRequest
    result: StoreResult


class _Refused:
    def __init__(self, result: StoreResult) -> None:
        self.result = result

    def write(self, data: memoryview) -> None:
        return None

    def commit(self) -> StoreResult:
        return self.result

    def abort(self) -> None:
        return None


class GetStream:
    """``async for rsp in get(...)``: the C-GET-RSPs, the final one last.

    C-STOREs in between go to the sink; ``stored`` lists them with our answers.
    ``await stream.cancel()`` sends C-CANCEL-RQ; ``operation`` has the state and counts.
    """

    def __init__(
        self,
        assoc: QRChannel,
        identifier: Dataset,
        sink: StorageSink,
        *,
        model: QueryModel,
        priority: Priority,
        cancel_after: int | None,
        message_id: int | None,
    ) -> None:
        self._assoc = assoc
        self._identifier = identifier
        self._sink = sink
        sop_class = model.sop_class("get")
        self._context_id = accepted_context(assoc, sop_class)
        mid = assoc.next_message_id() if message_id is None else message_id
        self.operation = RetrieveOperation(mid, sop_class, None, priority)
        self._cancel_after = cancel_after
        self._started = False
        self.stored: list[StoredObject] = []

    def __aiter__(self) -> AsyncIterator[RetrieveResponse]:
        return self._run()

    async def cancel(self) -> None:
        """Send C-CANCEL-RQ for this C-GET (once; nothing when it is over)."""
        await send_cancel(self._assoc, self._context_id, self.operation.cancel())

    async def _run(self) -> AsyncIterator[RetrieveResponse]:
        if self._started:
            raise LocalProtocolError("a C-GET stream can be iterated once")
        self._started = True
        op = self.operation
        await send_request(self._assoc, self._context_id, op.request(), self._identifier)
        while not op.done:
            received = await read_message(self._assoc, keep_dataset=False)
            if isinstance(received.message, CStoreRQ):
                await self._store(received, received.message)
                continue
            yield await read_response(self._assoc, op, "read", received)
            if self._cancel_after is not None and op.pending >= self._cancel_after:
                await self.cancel()

    def _refusal(self, message: CStoreRQ, context_id: int) -> StoreResult | None:
        negotiated = self._assoc.negotiated
        context = None if negotiated is None else negotiated.accepted.get(context_id)
        if context is None or context.abstract_syntax != message.affected_sop_class_uid.rstrip(
            "\x00 "
        ):
            return StoreResult(SOP_CLASS_NOT_SUPPORTED, "no accepted context for this SOP class")
        if not context.requestor_is_scp:
            return StoreResult(SOP_CLASS_NOT_SUPPORTED, "SCP role not negotiated for this class")
        return None

    async def _store(self, received: ReceivedMessage, message: CStoreRQ) -> None:
        negotiated = self._assoc.negotiated
        context = None if negotiated is None else negotiated.accepted.get(received.context_id)
        request = StoreRequest.from_message(
            message,
            "" if context is None else context.transfer_syntax,
            calling_ae_title="" if negotiated is None else negotiated.called_ae_title,
            called_ae_title="" if negotiated is None else negotiated.calling_ae_title,
        )
        refusal = self._refusal(message, received.context_id)
        writer: StoreWriter
        if refusal is not None:
            log.warning("refusing C-STORE of %s: %s", request.sop_instance_uid[:64], refusal)
            writer = _Refused(refusal)
        else:
            try:
                writer = self._sink.open(request)
            except Exception as exc:
                log.exception("the storage sink failed to open %s", request.sop_instance_uid[:64])
                writer = _Refused(StoreResult(OUT_OF_RESOURCES, f"storage failed: {exc}"[:64]))
        result = await self._receive(received, writer)
        self.stored.append(StoredObject(request, result))
        await self._assoc.send(request.response(result), context_id=received.context_id)

    async def _receive(self, received: ReceivedMessage, writer: StoreWriter) -> StoreResult:
        """Stream the data set into ``writer``; abort it when anything goes wrong."""
        if not received.has_dataset:
            writer.abort()
            return StoreResult(0xC000, "C-STORE-RQ without a data set")
        failed: StoreResult | None = None
        try:
            while True:
                fragment = await next_fragment(self._assoc)
                if failed is None:
                    try:
                        writer.write(fragment.data)
                    except Exception as exc:
                        log.exception("the storage sink failed to write")
                        failed = StoreResult(OUT_OF_RESOURCES, f"storage failed: {exc}"[:64])
                        writer.abort()
                if fragment.last:
                    break
        except BaseException:
            if failed is None:
                writer.abort()
            raise
        if failed is not None:
            return failed
        try:
            return writer.commit()
        except Exception as exc:
            log.exception("the storage sink failed to commit")
            writer.abort()
            return StoreResult(OUT_OF_RESOURCES, f"storage failed: {exc}"[:64])


def get(
    assoc: QRChannel,
    identifier: Dataset,
    sink: StorageSink,
    *,
    model: QueryModel = QueryModel.STUDY_ROOT,
    priority: Priority = Priority.MEDIUM,
    cancel_after: int | None = None,
    message_id: int | None = None,
) -> GetStream:
    """C-GET ``identifier`` in ``model`` (PS3.4 C.4.3), the instances going to ``sink``.

    Iterate the result for the C-GET-RSPs. The association must have been negotiated with
    :func:`get_contexts` (or equivalent role selections). Raises :class:`LocalProtocolError` at
    once when no accepted context lets us be the model's GET SCU.
    """
    return GetStream(
        assoc,
        identifier,
        sink,
        model=model,
        priority=priority,
        cancel_after=cancel_after,
        message_id=message_id,
    )
