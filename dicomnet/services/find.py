"""C-FIND SCU (PS3.4 C.4.1, PS3.7 §9.1.2, §9.3.2): a sans-IO operation and an async iterator.

:class:`FindOperation` tracks one C-FIND: the request, each response in turn (Pending responses
carry an Identifier, PS3.4 C.4.1.1.4), the final status, and C-CANCEL (PS3.7 §9.3.2.3).
:func:`find` runs it over a :class:`~dicomnet.services.query.QRChannel`::

    async for rsp in find(assoc, identifier, model=QueryModel.STUDY_ROOT):
        print(rsp.status, rsp.identifier)

A final failure status is a :class:`FindResponse` like any other (``rsp.category``), never an
exception; only the association ending or a malformed answer raise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.dataset import Dataset
from dicomnet.dimse import CCancelRQ, CFindRQ, CFindRSP, Priority, StatusCategory, category_of
from dicomnet.errors import LocalProtocolError, RemoteProtocolError
from dicomnet.services.query import (
    QRChannel,
    QueryModel,
    accepted_context,
    decode_identifier,
    read_message,
    send_cancel,
    send_request,
)

__all__ = ["FindOperation", "FindResponse", "FindStream", "find"]


@attrs.frozen(repr=False)
class FindResponse:
    """One C-FIND-RSP (PS3.7 §9.3.2.2) and its Identifier (Pending responses, PS3.4 C.4.1.1.4)."""

    __repr__ = attrs_repr

    status: int
    identifier: Dataset | None = attrs.field(eq=False)
    error_comment: str | None = None
    offending_element: tuple[int, ...] | None = None

    @property
    def category(self) -> StatusCategory:
        """The Status Class (PS3.7 Annex C); an unassigned code counts as failure."""
        return category_of(self.status)

    @property
    def is_final(self) -> bool:
        """True for the last response of the operation (anything but Pending)."""
        return self.category is not StatusCategory.PENDING


@attrs.define(repr=False)
class FindOperation:
    """The state of one C-FIND as SCU (PS3.4 C.4.1.2), with no IO.

    ``request()`` gives the C-FIND-RQ, ``on_response()`` checks each C-FIND-RSP, ``cancel()`` gives
    the C-CANCEL-RQ once (None when already cancelled or finished). ``matches`` counts the
    Pending responses, ``final`` is the last response once it arrived.
    """

    __repr__ = attrs_repr

    message_id: int
    sop_class_uid: str
    priority: Priority = Priority.MEDIUM
    matches: int = 0
    cancelled: bool = False
    final: FindResponse | None = None

    @property
    def done(self) -> bool:
        """True once the final response arrived."""
        return self.final is not None

    def request(self) -> CFindRQ:
        """The C-FIND-RQ (PS3.7 §9.3.2.1); its data set is the Identifier."""
        return CFindRQ(
            message_id=self.message_id,
            affected_sop_class_uid=self.sop_class_uid,
            priority=self.priority,
        )

    def cancel(self) -> CCancelRQ | None:
        """The C-CANCEL-RQ to send (PS3.7 §9.3.2.3), or None when there is nothing to cancel."""
        if self.cancelled or self.done:
            return None
        self.cancelled = True
        return CCancelRQ(message_id_being_responded_to=self.message_id)

    def on_response(self, rsp: Any, identifier: Dataset | None) -> FindResponse:
        """Account for a received message; RemoteProtocolError when it is not our C-FIND-RSP."""
        if self.done:
            raise LocalProtocolError("the C-FIND is over")
        if not isinstance(rsp, CFindRSP):
            raise RemoteProtocolError(f"expected a C-FIND-RSP, received {rsp.message_name}")
        if rsp.message_id_being_responded_to != self.message_id:
            raise RemoteProtocolError(
                f"C-FIND-RSP to message {rsp.message_id_being_responded_to}, "
                f"expected {self.message_id}"
            )
        response = FindResponse(rsp.status, identifier, rsp.error_comment, rsp.offending_element)
        if response.is_final:
            self.final = response
        else:
            self.matches += 1
        return response


class FindStream:
    """``async for rsp in find(...)``: the responses of one C-FIND, the final one last.

    ``await stream.cancel()`` sends C-CANCEL-RQ (between responses, or from the loop body); the
    peer then ends with a Cancel (FE00) or another final status. ``operation`` has the state.
    """

    def __init__(
        self,
        assoc: QRChannel,
        identifier: Dataset,
        *,
        model: QueryModel,
        priority: Priority,
        cancel_after: int | None,
        message_id: int | None,
    ) -> None:
        self._assoc = assoc
        self._identifier = identifier
        self._context_id = accepted_context(assoc, model.sop_class("find"))
        mid = assoc.next_message_id() if message_id is None else message_id
        self.operation = FindOperation(mid, model.sop_class("find"), priority)
        self._cancel_after = cancel_after
        self._started = False

    def __aiter__(self) -> AsyncIterator[FindResponse]:
        return self._run()

    async def cancel(self) -> None:
        """Send C-CANCEL-RQ for this C-FIND (once; nothing when it is over)."""
        await send_cancel(self._assoc, self._context_id, self.operation.cancel())

    async def _run(self) -> AsyncIterator[FindResponse]:
        if self._started:
            raise LocalProtocolError("a C-FIND stream can be iterated once")
        self._started = True
        op = self.operation
        await send_request(self._assoc, self._context_id, op.request(), self._identifier)
        while not op.done:
            received = await read_message(self._assoc)
            identifier = None
            if received.dataset is not None:
                identifier = decode_identifier(
                    received.dataset, self._assoc.negotiated, received.context_id
                )
            response = op.on_response(received.message, identifier)
            yield response
            if self._cancel_after is not None and op.matches >= self._cancel_after:
                await self.cancel()


def find(
    assoc: QRChannel,
    identifier: Dataset,
    *,
    model: QueryModel = QueryModel.STUDY_ROOT,
    priority: Priority = Priority.MEDIUM,
    cancel_after: int | None = None,
    message_id: int | None = None,
) -> FindStream:
    """C-FIND ``identifier`` in ``model`` (PS3.4 C.4.1); iterate the result for the responses.

    ``cancel_after=N`` sends C-CANCEL-RQ after the N-th Pending response. Raises
    :class:`LocalProtocolError` at once when no accepted context lets us be the model's FIND SCU.
    """
    return FindStream(
        assoc,
        identifier,
        model=model,
        priority=priority,
        cancel_after=cancel_after,
        message_id=message_id,
    )
