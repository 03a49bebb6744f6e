"""One C-FIND, C-MOVE or C-GET being served by the Q/R SCP (PS3.4 C.4; PS3.7 §9.1.2-9.1.4).

What the handler (:class:`dicomnet.services.qr_scp.QRSCP`) and its retrieve machinery
(:mod:`dicomnet.services.qr_scp_retrieve`) share: the request as the application sees it
(:class:`QRRequest`), what is asked of the application (:class:`QRApplication`) and of the served
association (:class:`QRSCPChannel`), the association's events read by one coroutine
(:class:`Inbox`), the operation's cancel flag (:class:`Operation`, PS3.7 §9.3.2.3) and the
responses of one request (:class:`Responder`). The Pending responses of a C-MOVE/C-GET, one per
sub-operation, are built from a constructor bound once per request, so each costs only its four
counters (PS3.7 Tables 9.3-8, 9.3-10).
"""

from __future__ import annotations

import collections
import functools
import logging
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable
from typing import Any, Final, Protocol, TypeVar, runtime_checkable

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.acse import NegotiatedAssociation, RequestorConfig
from dicomnet.association import Aborted, Closed, MessageReceived
from dicomnet.dataset import Dataset
from dicomnet.dimse import (
    CCancelRQ,
    CFindRQ,
    CFindRSP,
    CGetRQ,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    DimseMessage,
)
from dicomnet.services.qr_scp_store import (
    CANCEL,
    RetrieveItem,
    SubAssociation,
    SubOperationCounts,
    failed_identifier,
)

__all__ = [
    "IDENTIFIER_DOES_NOT_MATCH",
    "MOVE_DESTINATION_UNKNOWN",
    "PENDING",
    "UNABLE_TO_PROCESS",
    "Connector",
    "Inbox",
    "Operation",
    "PeerGone",
    "QRApplication",
    "QRRequest",
    "QRSCPChannel",
    "Responder",
    "iterate",
]

log = logging.getLogger("dicomnet.services.qr_scp")

# Statuses of PS3.4 Tables C.4-1 (C-FIND), C.4-2 (C-MOVE), C.4-3 (C-GET); the others are in
# dicomnet.services.qr_scp_store.
PENDING: Final = 0xFF00
MOVE_DESTINATION_UNKNOWN: Final = 0xA801
IDENTIFIER_DOES_NOT_MATCH: Final = 0xA900
UNABLE_TO_PROCESS: Final = 0xC000


@attrs.frozen(repr=False, kw_only=True)
class QRRequest:
    """A C-FIND, C-MOVE or C-GET request as the application sees it (PS3.7 §9.1.2-9.1.4).

    ``operation`` is ``"find"``, ``"move"`` or ``"get"``; ``sop_class_uid`` the Affected SOP Class
    (the information model); ``identifier`` the decoded query keys; ``move_destination`` the AE
    title of a C-MOVE, else ``None``.
    """

    __repr__ = attrs_repr

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


class PeerGone(Exception):
    """The requestor aborted or the connection closed during an operation."""


class Inbox:
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


class Operation:
    """One C-FIND/C-MOVE/C-GET being performed: its message ID and cancel flag (PS3.7 §9.3.2.3)."""

    def __init__(self, message_id: int, inbox: Inbox) -> None:
        self.message_id = message_id
        self.inbox = inbox
        self.cancelled = False

    def observe(self, event: Any) -> None:
        """Take note of an event that arrived during the operation."""
        if event is None or isinstance(event, (Aborted, Closed)):
            self.inbox.ended = True
            raise PeerGone("the requestor aborted or closed the connection")
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
        """Look at the events already received; True once cancelled. Raises PeerGone."""
        while not self.inbox.ended and (event := self.inbox.poll()) is not None:
            self.observe(event)
        if self.inbox.ended:
            raise PeerGone("the requestor aborted or closed the connection")
        return self.cancelled


async def iterate(source: AsyncIterable[_T] | Iterable[_T]) -> AsyncGenerator[_T, None]:
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


class Responder:
    """Builds and sends the responses of one request on its context (PS3.7 §9.3.2.2-9.3.4.2).

    ``transfer_syntax`` is the context's, for Identifiers. A C-MOVE/C-GET Pending response comes
    from a constructor bound to the request once (:meth:`progress`): only the counters change.
    """

    def __init__(
        self, assoc: QRSCPChannel, request: CFindRQ | CMoveRQ | CGetRQ, context_id: int, ts: str
    ) -> None:
        self.assoc = assoc
        self.request = request
        self.context_id = context_id
        self.transfer_syntax = ts
        self.finished = False
        self._response: type[CFindRSP | CMoveRSP | CGetRSP] = (
            CFindRSP
            if isinstance(request, CFindRQ)
            else CMoveRSP
            if isinstance(request, CMoveRQ)
            else CGetRSP
        )
        self._pending: Callable[..., CMoveRSP | CGetRSP] = functools.partial(
            CMoveRSP if isinstance(request, CMoveRQ) else CGetRSP,
            message_id_being_responded_to=request.message_id,
            status=PENDING,
            affected_sop_class_uid=request.affected_sop_class_uid,
        )

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
        if counts is not None and self._response is not CFindRSP:
            # PS3.4 C.4.2.1.4.1: no Remaining count in a final response other than Cancel
            common.update(
                number_of_remaining_sub_operations=None if status != CANCEL else counts.remaining,
                number_of_completed_sub_operations=counts.completed,
                number_of_failed_sub_operations=counts.failed,
                number_of_warning_sub_operations=counts.warning,
            )
        return self._response(**common)

    async def pending(self, identifier: list[Any]) -> None:
        """A C-FIND Pending (0xFF00) response with its Identifier."""
        message = self._message(PENDING, None, None, True)
        await self.assoc.send(message, context_id=self.context_id, dataset=identifier)

    async def progress(self, remaining: int, completed: int, failed: int, warning: int) -> None:
        """A C-MOVE/C-GET Pending (0xFF00) response with the four sub-operation counters."""
        message = self._pending(
            number_of_remaining_sub_operations=remaining,
            number_of_completed_sub_operations=completed,
            number_of_failed_sub_operations=failed,
            number_of_warning_sub_operations=warning,
        )
        await self.assoc.send(message, context_id=self.context_id)

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
