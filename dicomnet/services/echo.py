"""The Verification Service Class (PS3.4 Annex A): C-ECHO as SCU and as SCP.

No IO here: :func:`echo` and :func:`verification_handler` run over any object with the small
async surface of :class:`EchoChannel` (the asyncio transport's ``AsyncAssociation`` has it), and
:func:`echo_response` is the pure SCP rule. PS3.4 A.4: the SCP answers every C-ECHO-RQ with a
C-ECHO-RSP of status Success (0000H).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any, Final, Protocol

from dicomnet.acse import NegotiatedAssociation, ProposedContext, SupportedContext
from dicomnet.association import AssociationEvent, MessageReceived
from dicomnet.dimse import CEchoRQ, CEchoRSP, DimseMessage
from dicomnet.errors import LocalProtocolError, RemoteProtocolError
from dicomnet.uid import EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN

__all__ = [
    "VERIFICATION_SOP_CLASS",
    "EchoChannel",
    "echo",
    "echo_response",
    "verification_context",
    "verification_handler",
    "verification_supported_context",
]

log = logging.getLogger("dicomnet.services.echo")

#: Verification SOP Class (PS3.4 A.4, PS3.6 Annex A).
VERIFICATION_SOP_CLASS: Final = "1.2.840.10008.1.1"

_DEFAULT_SYNTAXES: Final = (IMPLICIT_VR_LITTLE_ENDIAN.uid, EXPLICIT_VR_LITTLE_ENDIAN.uid)


def verification_context(
    transfer_syntaxes: Iterable[str] = _DEFAULT_SYNTAXES,
) -> ProposedContext:
    """The presentation context a Verification SCU proposes."""
    return ProposedContext(VERIFICATION_SOP_CLASS, tuple(transfer_syntaxes))


def verification_supported_context(
    transfer_syntaxes: Iterable[str] = _DEFAULT_SYNTAXES,
) -> SupportedContext:
    """The presentation context a Verification SCP accepts."""
    return SupportedContext(VERIFICATION_SOP_CLASS, tuple(transfer_syntaxes))


class EchoChannel(Protocol):
    """What the Verification SCU and SCP need from an established association."""

    @property
    def negotiated(self) -> NegotiatedAssociation | None: ...

    def next_message_id(self) -> int: ...

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        """Send ``message`` on ``context_id``."""

    async def receive_message(self) -> MessageReceived:
        """The next DIMSE message."""
        ...

    def events(self) -> AsyncIterator[AssociationEvent]:
        """Every event until the association ends."""
        ...


def echo_response(request: CEchoRQ) -> CEchoRSP:
    """The SCP's answer to a C-ECHO-RQ (PS3.7 §9.3.5.2): Success (0000H)."""
    return CEchoRSP(
        message_id_being_responded_to=request.message_id,
        affected_sop_class_uid=request.affected_sop_class_uid,
        status=0x0000,
    )


async def echo(assoc: EchoChannel, *, message_id: int | None = None) -> int:
    """Send a C-ECHO-RQ and return the Status (0000,0900) of the C-ECHO-RSP (PS3.7 §9.1.5).

    Raises :class:`LocalProtocolError` when no accepted context lets us be Verification SCU,
    :class:`RemoteProtocolError` when the answer is not the matching C-ECHO-RSP.
    """
    negotiated = assoc.negotiated
    context = None if negotiated is None else negotiated.context_for(VERIFICATION_SOP_CLASS)
    if context is None:
        raise LocalProtocolError("no accepted presentation context for Verification (SCU role)")
    mid = assoc.next_message_id() if message_id is None else message_id
    await assoc.send(CEchoRQ(message_id=mid), context_id=context.context_id)
    received = await assoc.receive_message()
    response = received.message
    if not isinstance(response, CEchoRSP) or response.message_id_being_responded_to != mid:
        raise RemoteProtocolError(
            f"expected the C-ECHO-RSP to message {mid}, received {response.message_name}"
        )
    return response.status


async def verification_handler(assoc: EchoChannel) -> None:
    """A Verification SCP: answer each C-ECHO-RQ until the association ends.

    Other messages are logged and ignored (an acceptor that only accepted Verification contexts
    never sees them).
    """
    async for event in assoc.events():
        if isinstance(event, MessageReceived):
            if isinstance(event.message, CEchoRQ):
                await assoc.send(echo_response(event.message), context_id=event.context_id)
            else:
                log.warning("Verification SCP ignores %s", event.message.message_name)
