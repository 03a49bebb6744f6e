"""Per-association DIMSE bookkeeping (PS3.7 §9.1, §9.3): message IDs, outstanding requests,
C-CANCEL, and which presentation context a message may go on.

No IO and no upper layer here: :class:`DimseProvider` only checks and records. The association
asks it before queuing a message (``check_send``: a violation is the local user's
:class:`~dicomnet.errors.LocalProtocolError`, raised before anything changes) and tells it what
was sent and received, so it knows which of our requests still await a response and which of the
peer's requests we still owe one.
"""

from __future__ import annotations

from typing import Final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.acse import NegotiatedAssociation
from dicomnet.dimse import (
    CCancelRQ,
    CEchoRQ,
    CFindRQ,
    CGetRQ,
    CMoveRQ,
    CStoreRQ,
    DimseMessage,
    DimseRequest,
    StatusCategory,
    category_of,
)
from dicomnet.errors import LocalProtocolError

__all__ = ["DimseProvider", "OutstandingRequest"]

_REQUESTS: Final = (CEchoRQ, CStoreRQ, CFindRQ, CGetRQ, CMoveRQ, CCancelRQ)
#: Requests that C-CANCEL may cancel (PS3.7 §9.3.2.3, §9.3.3.3, §9.3.4.3).
_CANCELLABLE: Final = (CFindRQ, CGetRQ, CMoveRQ)
_MAX_MESSAGE_ID: Final = 0xFFFF


@attrs.frozen(repr=False)
class OutstandingRequest:
    """A request awaiting its final response: on ``context_id``, the ``request`` itself."""

    __repr__ = attrs_repr

    context_id: int
    request: DimseRequest


def _is_request(message: DimseMessage) -> bool:
    return isinstance(message, _REQUESTS)


def _is_final(message: DimseMessage) -> bool:
    status: int = getattr(message, "status", 0)
    return category_of(status) is not StatusCategory.PENDING


class DimseProvider:
    """DIMSE message bookkeeping for one association (PS3.7 §9.1.1 message IDs, §9.3 C-CANCEL).

    - ``sent_requests``: our requests awaiting a final response, by Message ID;
    - ``received_requests``: the peer's requests we have not answered finally, by Message ID;
    - ``cancelled``: Message IDs of the peer's requests for which a C-CANCEL-RQ arrived.
    A response with a Pending status keeps the request outstanding; any other status ends it.
    """

    __slots__ = ("_cancelled", "_invoke_limit", "_negotiated", "_next_id", "_received", "_sent")

    def __init__(self, negotiated: NegotiatedAssociation) -> None:
        self._negotiated = negotiated
        window = negotiated.asynchronous_operations_window
        # The window is the requestor's: it invokes up to max_operations_invoked and the
        # acceptor up to max_operations_performed (PS3.7 D.3.3.3); 0 means unlimited.
        self._invoke_limit = (
            window.max_operations_invoked
            if negotiated.local_is_requestor
            else window.max_operations_performed
        )
        self._next_id = 1
        self._sent: dict[int, OutstandingRequest] = {}
        self._received: dict[int, OutstandingRequest] = {}
        self._cancelled: set[int] = set()

    @property
    def sent_requests(self) -> dict[int, OutstandingRequest]:
        """Our requests awaiting a final response (a copy), by Message ID."""
        return dict(self._sent)

    @property
    def received_requests(self) -> dict[int, OutstandingRequest]:
        """The peer's requests still owed a final response (a copy), by Message ID."""
        return dict(self._received)

    @property
    def awaiting_response(self) -> bool:
        """Whether any of our requests awaits a response."""
        return bool(self._sent)

    def cancel_requested(self, message_id: int) -> bool:
        """Whether the peer sent a C-CANCEL-RQ for its request ``message_id`` (PS3.7 §9.3.2.3)."""
        return message_id in self._cancelled

    def next_message_id(self) -> int:
        """A Message ID (1-65535) not used by any outstanding request of ours (PS3.7 §9.1.1.1)."""
        if len(self._sent) >= _MAX_MESSAGE_ID:
            raise LocalProtocolError("65535 requests outstanding: no Message ID is free")
        candidate = self._next_id
        while candidate in self._sent:
            candidate = candidate % _MAX_MESSAGE_ID + 1
        self._next_id = candidate % _MAX_MESSAGE_ID + 1
        return candidate

    def check_send(self, message: DimseMessage, context_id: int) -> None:
        """Raise LocalProtocolError if ``message`` may not be sent on ``context_id`` now.

        The context must be accepted, and we must play the SCU role on it for a request and the
        SCP role for a response (PS3.7 D.3.3.4). A request's Message ID must not be in use by
        another outstanding request, and the number outstanding must stay within the
        asynchronous operations window (PS3.7 D.3.3.3: 1 when none was negotiated, 0 means
        unlimited). A C-CANCEL-RQ must name an outstanding C-FIND/GET/MOVE of ours on the same
        context; a response must answer a request the peer sent on it.
        """
        context = self._negotiated.accepted.get(context_id)
        if context is None:
            raise LocalProtocolError(
                f"{message.message_name} on presentation context {context_id}, "
                "which was not accepted"
            )
        requestor = self._negotiated.local_is_requestor
        if _is_request(message):
            is_scu = context.requestor_is_scu if requestor else context.acceptor_is_scu
            if not is_scu:
                raise LocalProtocolError(
                    f"{message.message_name} on context {context_id}: we are not an SCU of "
                    f"{context.abstract_syntax} on it (role selection, PS3.7 D.3.3.4)"
                )
            if isinstance(message, CCancelRQ):
                target = self._sent.get(message.message_id_being_responded_to)
                if target is None or not isinstance(target.request, _CANCELLABLE):
                    raise LocalProtocolError(
                        f"C-CANCEL-RQ for Message ID {message.message_id_being_responded_to}: "
                        "no C-FIND/C-GET/C-MOVE request of ours with that ID is outstanding"
                    )
                if target.context_id != context_id:
                    raise LocalProtocolError(
                        f"C-CANCEL-RQ on context {context_id}, but the request it cancels went "
                        f"on context {target.context_id}"
                    )
                return
            limit = self._invoke_limit
            if limit and len(self._sent) >= limit:
                raise LocalProtocolError(
                    f"{message.message_name}: {len(self._sent)} request(s) of ours already "
                    f"await a response and the asynchronous operations window allows {limit} "
                    "(PS3.7 D.3.3.3)"
                )
            message_id: int = getattr(message, "message_id")  # noqa: B009
            if message_id in self._sent:
                raise LocalProtocolError(
                    f"Message ID {message_id} is already used by an outstanding "
                    f"{self._sent[message_id].request.message_name}"
                )
            return
        is_scp = context.requestor_is_scp if requestor else context.acceptor_is_scp
        if not is_scp:
            raise LocalProtocolError(
                f"{message.message_name} on context {context_id}: we are not an SCP of "
                f"{context.abstract_syntax} on it (role selection, PS3.7 D.3.3.4)"
            )
        answered: int = getattr(message, "message_id_being_responded_to")  # noqa: B009
        pending = self._received.get(answered)
        if pending is None or pending.context_id != context_id:
            raise LocalProtocolError(
                f"{message.message_name} answers Message ID {answered}, but no request of the "
                f"peer with that ID is outstanding on context {context_id}"
            )

    def sent(self, message: DimseMessage, context_id: int) -> None:
        """Record that ``message`` was queued on ``context_id`` (after :meth:`check_send`)."""
        if isinstance(message, CCancelRQ):
            return
        if _is_request(message):
            request: DimseRequest = message  # type: ignore[assignment]
            message_id: int = getattr(message, "message_id")  # noqa: B009
            self._sent[message_id] = OutstandingRequest(context_id, request)
        elif _is_final(message):
            answered: int = getattr(message, "message_id_being_responded_to")  # noqa: B009
            self._received.pop(answered, None)
            self._cancelled.discard(answered)

    def received(self, message: DimseMessage, context_id: int) -> None:
        """Record a message the peer sent. Unknown responses are tolerated (nothing to end)."""
        if isinstance(message, CCancelRQ):
            if message.message_id_being_responded_to in self._received:
                self._cancelled.add(message.message_id_being_responded_to)
            return
        if _is_request(message):
            request: DimseRequest = message  # type: ignore[assignment]
            message_id: int = getattr(message, "message_id")  # noqa: B009
            self._received[message_id] = OutstandingRequest(context_id, request)
        elif _is_final(message):
            answered: int = getattr(message, "message_id_being_responded_to")  # noqa: B009
            self._sent.pop(answered, None)
