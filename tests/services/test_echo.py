"""Verification SCU/SCP logic over a scripted channel (no network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from dicomnet.acse import AcceptedContext, NegotiatedAssociation
from dicomnet.association import AssociationEvent, Closed, MessageReceived
from dicomnet.dimse import CEchoRQ, CEchoRSP, CStoreRSP, DimseMessage
from dicomnet.errors import LocalProtocolError, RemoteProtocolError
from dicomnet.services.echo import (
    VERIFICATION_SOP_CLASS,
    echo,
    echo_response,
    verification_handler,
)


def _negotiated(abstract_syntax: str = VERIFICATION_SOP_CLASS) -> NegotiatedAssociation:
    return NegotiatedAssociation(
        local_is_requestor=True,
        calling_ae_title="A",
        called_ae_title="B",
        accepted={
            3: AcceptedContext(
                context_id=3, abstract_syntax=abstract_syntax, transfer_syntax="1.2.840.10008.1.2"
            )
        },
    )


class ScriptedChannel:
    """Records what is sent; answers from a script."""

    def __init__(self, replies: list[AssociationEvent], negotiated: NegotiatedAssociation) -> None:
        self.replies = replies
        self.sent: list[tuple[DimseMessage, int]] = []
        self.negotiated: NegotiatedAssociation | None = negotiated
        self._next_id = 7

    def next_message_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        self.sent.append((message, context_id))

    async def receive_message(self) -> MessageReceived:
        event = self.replies.pop(0)
        assert isinstance(event, MessageReceived)
        return event

    async def events(self) -> AsyncIterator[AssociationEvent]:
        while self.replies:
            yield self.replies.pop(0)


def test_echo_response_is_success_and_answers_the_request() -> None:
    rsp = echo_response(CEchoRQ(message_id=42))
    assert rsp == CEchoRSP(
        message_id_being_responded_to=42, affected_sop_class_uid=VERIFICATION_SOP_CLASS, status=0
    )


@pytest.mark.parametrize("status", [0x0000, 0x0211, 0xC000])
def test_echo_returns_the_response_status(status: int) -> None:
    reply = MessageReceived(3, CEchoRSP(message_id_being_responded_to=8, status=status), False)
    channel = ScriptedChannel([reply], _negotiated())
    assert asyncio.run(echo(channel)) == status
    assert channel.sent == [(CEchoRQ(message_id=8), 3)]


def test_echo_rejects_a_response_to_another_message() -> None:
    wrong_id = MessageReceived(3, CEchoRSP(message_id_being_responded_to=99), False)
    with pytest.raises(RemoteProtocolError, match="C-ECHO-RSP"):
        asyncio.run(echo(ScriptedChannel([wrong_id], _negotiated())))
    wrong_type = MessageReceived(
        3,
        CStoreRSP(
            message_id_being_responded_to=8,
            status=0,
            affected_sop_class_uid="1.2.3",
            affected_sop_instance_uid="1.2.3.4",
        ),
        False,
    )
    with pytest.raises(RemoteProtocolError, match="C-STORE-RSP"):
        asyncio.run(echo(ScriptedChannel([wrong_type], _negotiated())))


def test_echo_needs_a_verification_context() -> None:
    channel = ScriptedChannel([], _negotiated("1.2.840.10008.5.1.4.1.1.2"))
    with pytest.raises(LocalProtocolError, match="Verification"):
        asyncio.run(echo(channel))
    assert channel.sent == []


def test_scp_answers_each_echo_until_closed() -> None:
    script: list[AssociationEvent] = [
        MessageReceived(1, CEchoRQ(message_id=1), False),
        MessageReceived(1, CEchoRQ(message_id=2), False),
        Closed(),
    ]
    channel = ScriptedChannel(script, _negotiated())
    asyncio.run(verification_handler(channel))
    assert [(m.message_id_being_responded_to, cid) for m, cid in channel.sent] == [(1, 1), (2, 1)]  # type: ignore[union-attr]
