"""C-MOVE SCU (PS3.4 C.4.2, PS3.7 §9.1.4, §9.3.4): a sans-IO operation and an async iterator.

:class:`RetrieveOperation` tracks one C-MOVE or C-GET: Pending and final responses, the
sub-operation counts (Remaining/Completed/Failed/Warning, PS3.4 C.4.2.1.6), the Failed SOP
Instance UID List (0008,0058) of a final response's Identifier, and C-CANCEL. :func:`move` runs
it over a :class:`~dicomnet.services.query.QRChannel`::

    async for rsp in move(assoc, identifier, "STORESCP", model=QueryModel.PATIENT_ROOT):
        print(rsp.status, rsp.remaining, rsp.completed, rsp.failed, rsp.warning)

A Pending C-MOVE-RSP carries no data set (PS3.4 C.4.2.1.4.2). Some peers attach one anyway:
``pending_dataset="read"`` (movescu's ``-pr``) reads and discards it; ``"ignore"`` (``-pi``, the
default) expects none and, if one arrives, drops it unread and flags the response
(``unexpected_dataset``; the operation counts them) so that the caller can report it. A final
failure status is a response like any other, never an exception.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.dataset import Dataset
from dicomnet.dimse import (
    CCancelRQ,
    CGetRQ,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    Priority,
    StatusCategory,
    category_of,
)
from dicomnet.errors import LocalProtocolError, RemoteProtocolError
from dicomnet.services.query import (
    FAILED_SOP_INSTANCE_UID_LIST,
    QRChannel,
    QueryModel,
    accepted_context,
    collect_dataset,
    decode_identifier,
    read_message,
    send_cancel,
    send_request,
    skip_dataset,
)

__all__ = ["MoveStream", "PendingDataset", "RetrieveOperation", "RetrieveResponse", "move"]

PendingDataset = Literal["ignore", "read"]


def _failed_uids(identifier: Dataset | None) -> tuple[str, ...]:
    if identifier is None or FAILED_SOP_INSTANCE_UID_LIST not in identifier:
        return ()
    value = identifier.get_value(FAILED_SOP_INSTANCE_UID_LIST)
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else list(value)
    return tuple(str(v) for v in values if v)


@attrs.frozen(repr=False)
class RetrieveResponse:
    """One C-MOVE-RSP or C-GET-RSP (PS3.7 §9.3.4.2, §9.3.3.2) as the SCU sees it.

    Counts are ``None`` when the response leaves them out (they are optional in a final one).
    ``failed_uids`` is the Failed SOP Instance UID List of the Identifier (PS3.4 C.4.2.1.4.2);
    ``unexpected_dataset`` is True when a data set came with a Pending response.
    """

    __repr__ = attrs_repr

    status: int
    remaining: int | None = None
    completed: int | None = None
    failed: int | None = None
    warning: int | None = None
    identifier: Dataset | None = attrs.field(default=None, eq=False)
    failed_uids: tuple[str, ...] = ()
    error_comment: str | None = None
    offending_element: tuple[int, ...] | None = None
    unexpected_dataset: bool = False

    @property
    def category(self) -> StatusCategory:
        """The Status Class (PS3.7 Annex C); an unassigned code counts as failure."""
        return category_of(self.status)

    @property
    def is_final(self) -> bool:
        """True for the last response of the operation (anything but Pending)."""
        return self.category is not StatusCategory.PENDING


@attrs.define(repr=False)
class RetrieveOperation:
    """The state of one C-MOVE or C-GET as SCU (PS3.4 C.4.2.2, C.4.3.2), with no IO.

    ``responses`` counts all responses so far, ``pending`` the Pending ones; ``latest`` is the
    last response (its counts are the peer's latest word); ``final`` the last one once it came.
    ``unexpected_datasets`` counts data sets that came with Pending responses.
    """

    __repr__ = attrs_repr

    message_id: int
    sop_class_uid: str
    move_destination: str | None = None
    priority: Priority = Priority.MEDIUM
    responses: int = 0
    pending: int = 0
    unexpected_datasets: int = 0
    cancelled: bool = False
    latest: RetrieveResponse | None = None
    final: RetrieveResponse | None = None

    @property
    def done(self) -> bool:
        """True once the final response arrived."""
        return self.final is not None

    @property
    def is_move(self) -> bool:
        """True for C-MOVE (a destination), False for C-GET."""
        return self.move_destination is not None

    def request(self) -> CMoveRQ | CGetRQ:
        """The C-MOVE-RQ (PS3.7 §9.3.4.1) or C-GET-RQ (§9.3.3.1); its data set is the Identifier."""
        if self.move_destination is not None:
            return CMoveRQ(
                message_id=self.message_id,
                affected_sop_class_uid=self.sop_class_uid,
                move_destination=self.move_destination,
                priority=self.priority,
            )
        return CGetRQ(
            message_id=self.message_id,
            affected_sop_class_uid=self.sop_class_uid,
            priority=self.priority,
        )

    def cancel(self) -> CCancelRQ | None:
        """The C-CANCEL-RQ to send (PS3.7 §9.3.4.3), or None when there is nothing to cancel."""
        if self.cancelled or self.done:
            return None
        self.cancelled = True
        return CCancelRQ(message_id_being_responded_to=self.message_id)

    def is_response(self, message: Any) -> bool:
        """True when ``message`` is a response to this operation."""
        expected = CMoveRSP if self.is_move else CGetRSP
        return (
            isinstance(message, expected)
            and message.message_id_being_responded_to == self.message_id
        )

    def on_response(
        self, rsp: Any, identifier: Dataset | None, *, unexpected_dataset: bool = False
    ) -> RetrieveResponse:
        """Account for a response; RemoteProtocolError when it is not ours."""
        if self.done:
            raise LocalProtocolError("the operation is over")
        if not self.is_response(rsp):
            raise RemoteProtocolError(
                f"expected a {'C-MOVE' if self.is_move else 'C-GET'}-RSP to message "
                f"{self.message_id}, received {rsp.message_name}"
            )
        response = RetrieveResponse(
            status=rsp.status,
            remaining=rsp.number_of_remaining_sub_operations,
            completed=rsp.number_of_completed_sub_operations,
            failed=rsp.number_of_failed_sub_operations,
            warning=rsp.number_of_warning_sub_operations,
            identifier=identifier,
            failed_uids=_failed_uids(identifier),
            error_comment=rsp.error_comment,
            offending_element=rsp.offending_element,
            unexpected_dataset=unexpected_dataset,
        )
        self.responses += 1
        self.latest = response
        if unexpected_dataset:
            self.unexpected_datasets += 1
        if response.is_final:
            self.final = response
        else:
            self.pending += 1
        return response


async def read_response(
    assoc: QRChannel, op: RetrieveOperation, pending_dataset: PendingDataset, received: Any
) -> RetrieveResponse:
    """Turn ``received`` (a :class:`~dicomnet.services.query.ReceivedMessage` read without its
    data set) into a response, reading or skipping the data set as the options say."""
    message = received.message
    pending = category_of(getattr(message, "status", 0)) is StatusCategory.PENDING
    identifier: Dataset | None = None
    unexpected = False
    if received.has_dataset:
        if pending:
            await skip_dataset(assoc)
            unexpected = pending_dataset == "ignore"
        else:
            data = (await collect_dataset(assoc)) if op.is_response(message) else None
            if data is not None:
                identifier = decode_identifier(data, assoc.negotiated, received.context_id)
    return op.on_response(message, identifier, unexpected_dataset=unexpected)


class MoveStream:
    """``async for rsp in move(...)``: the C-MOVE-RSPs, the final one last.

    ``await stream.cancel()`` sends C-CANCEL-RQ; ``operation`` has the state and counts.
    """

    def __init__(
        self,
        assoc: QRChannel,
        identifier: Dataset,
        destination: str,
        *,
        model: QueryModel,
        priority: Priority,
        pending_dataset: PendingDataset,
        cancel_after: int | None,
        message_id: int | None,
    ) -> None:
        if pending_dataset not in ("ignore", "read"):
            raise ValueError(f"pending_dataset must be 'ignore' or 'read', not {pending_dataset!r}")
        self._assoc = assoc
        self._identifier = identifier
        sop_class = model.sop_class("move")
        self._context_id = accepted_context(assoc, sop_class)
        mid = assoc.next_message_id() if message_id is None else message_id
        self.operation = RetrieveOperation(mid, sop_class, destination, priority)
        self._pending_dataset = pending_dataset
        self._cancel_after = cancel_after
        self._started = False

    def __aiter__(self) -> AsyncIterator[RetrieveResponse]:
        return self._run()

    async def cancel(self) -> None:
        """Send C-CANCEL-RQ for this C-MOVE (once; nothing when it is over)."""
        await send_cancel(self._assoc, self._context_id, self.operation.cancel())

    async def _run(self) -> AsyncIterator[RetrieveResponse]:
        if self._started:
            raise LocalProtocolError("a C-MOVE stream can be iterated once")
        self._started = True
        op = self.operation
        await send_request(self._assoc, self._context_id, op.request(), self._identifier)
        while not op.done:
            received = await read_message(self._assoc, keep_dataset=False)
            yield await read_response(self._assoc, op, self._pending_dataset, received)
            if self._cancel_after is not None and op.pending >= self._cancel_after:
                await self.cancel()


def move(
    assoc: QRChannel,
    identifier: Dataset,
    destination: str,
    *,
    model: QueryModel = QueryModel.STUDY_ROOT,
    priority: Priority = Priority.MEDIUM,
    pending_dataset: PendingDataset = "ignore",
    cancel_after: int | None = None,
    message_id: int | None = None,
) -> MoveStream:
    """C-MOVE ``identifier`` in ``model`` to the AE ``destination`` (PS3.4 C.4.2).

    Iterate the result for the responses. ``cancel_after=N`` sends C-CANCEL-RQ after the N-th
    Pending response (movescu's ``--cancel N``). Raises :class:`LocalProtocolError` at once when no
    accepted context lets us be the model's MOVE SCU.
    """
    return MoveStream(
        assoc,
        identifier,
        destination,
        model=model,
        priority=priority,
        pending_dataset=pending_dataset,
        cancel_after=cancel_after,
        message_id=message_id,
    )
