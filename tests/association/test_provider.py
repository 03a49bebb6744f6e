"""``DimseProvider`` on its own: Message ID allocation and the outstanding-request tables
(PS3.7 §9.1.1.1, §9.3)."""

from __future__ import annotations

import pytest

from dicomnet.acse import AcceptedContext, NegotiatedAssociation
from dicomnet.association import DimseProvider
from dicomnet.dimse import CEchoRQ, CEchoRSP, CFindRQ, CFindRSP, CMoveRQ
from dicomnet.errors import LocalProtocolError
from tests.association.helpers import VERIFICATION


def provider(local_is_requestor: bool = True) -> DimseProvider:
    cx = AcceptedContext(
        context_id=1,
        abstract_syntax=VERIFICATION,
        transfer_syntax="1.2.840.10008.1.2",
        requestor_is_scu=True,
        requestor_is_scp=True,
    )
    negotiated = NegotiatedAssociation(
        local_is_requestor=local_is_requestor,
        calling_ae_title="A",
        called_ae_title="B",
        accepted={1: cx},
    )
    return DimseProvider(negotiated)


def test_message_ids_skip_outstanding_and_wrap() -> None:
    p = provider()
    assert [p.next_message_id() for _ in range(3)] == [1, 2, 3]
    p.sent(CEchoRQ(message_id=4), 1)
    assert p.next_message_id() == 5  # 4 is outstanding
    for _ in range(65535 - 5):
        p.next_message_id()
    assert p.next_message_id() == 1  # wrapped after 65535
    p.sent(CEchoRQ(message_id=2), 1)
    assert p.next_message_id() == 3


def test_no_free_message_id() -> None:
    p = provider()
    for mid in range(1, 65536):
        p.sent(CEchoRQ(message_id=mid), 1)
    with pytest.raises(LocalProtocolError, match="no Message ID"):
        p.next_message_id()


def test_pending_keeps_a_request_outstanding() -> None:
    p = provider()
    p.check_send(CFindRQ(message_id=9, affected_sop_class_uid=VERIFICATION), 1)
    p.sent(CFindRQ(message_id=9, affected_sop_class_uid=VERIFICATION), 1)
    p.received(CFindRSP(message_id_being_responded_to=9, status=0xFF01), 1)
    assert p.awaiting_response
    p.received(CFindRSP(message_id_being_responded_to=9, status=0xA700), 1)
    assert not p.awaiting_response
    p.received(CEchoRSP(message_id_being_responded_to=77), 1)  # unknown: tolerated


def test_responses_need_a_request_from_the_peer() -> None:
    p = provider(local_is_requestor=False)
    with pytest.raises(LocalProtocolError, match="no request"):
        p.check_send(CEchoRSP(message_id_being_responded_to=1), 1)
    p.received(CMoveRQ(message_id=1, affected_sop_class_uid=VERIFICATION, move_destination="X"), 1)
    p.check_send(CEchoRSP(message_id_being_responded_to=1), 1)
    assert set(p.received_requests) == {1}
    assert p.received_requests[1].request.message_name == "C-MOVE-RQ"
