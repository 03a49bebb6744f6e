"""Association flows back to back (no sockets): associate, reject, C-ECHO both ways, release,
collision, abort, manual accept, local misuse (PS3.7, PS3.8 §7)."""

from __future__ import annotations

import pytest

from dicomnet.acse import (
    Accept,
    AsynchronousOperationsWindow,
    ProposedContext,
    RoleSelection,
    SupportedContext,
)
from dicomnet.association import (
    Aborted,
    Association,
    AssociationRequested,
    AssociationState,
    Closed,
    Established,
    MessageReceived,
    Rejected,
)
from dicomnet.dimse import (
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    CFindRQ,
    CFindRSP,
    CGetRQ,
    CGetRSP,
    CStoreRQ,
    CStoreRSP,
)
from dicomnet.errors import LocalProtocolError
from dicomnet.ul import State
from tests.association.helpers import (
    CT_IMAGE,
    IMPLICIT_LE,
    VERIFICATION,
    AssociationPair,
    acceptor_config,
    asynchronous_configs,
    requestor_config,
)


def established() -> AssociationPair:
    pair = AssociationPair()
    pair.run()
    assert pair.types_a() == ["Established"]
    assert pair.types_b() == ["Established"]
    return pair


def test_associate_and_negotiated_result() -> None:
    pair = established()
    assert pair.a.state is pair.b.state is AssociationState.ESTABLISHED
    assert pair.a.ul_state is pair.b.ul_state is State.Sta6
    na, nb = pair.a.negotiated, pair.b.negotiated
    assert na is not None
    assert nb is not None
    assert na.local_is_requestor
    assert not nb.local_is_requestor
    assert {c.abstract_syntax for c in na.accepted.values()} == {VERIFICATION, CT_IMAGE}
    assert na.accepted == nb.accepted
    assert isinstance(pair.events_a[0], Established)
    assert pair.events_a[0].negotiated == na


def test_requestor_states_before_established() -> None:
    a = Association.requestor(requestor_config(), now=0.0)
    assert a.state is AssociationState.CONNECTING
    assert a.next_event() is None  # TransportConnectRequested is the driver's business
    with pytest.raises(LocalProtocolError):
        a.send_message(CEchoRQ(message_id=1), context_id=1, now=0.0)
    a.transport_connected(0.0)
    assert a.state.value == "requesting"
    assert b"".join(bytes(x) for x in a.data_to_send())[:1] == b"\x01"  # A-ASSOCIATE-RQ


def echo(pair: AssociationPair, scu: str) -> None:
    """C-ECHO from ``scu`` ('a' or 'b') to the other side and back."""
    src = pair.a if scu == "a" else pair.b
    dst_events = pair.events_b if scu == "a" else pair.events_a
    src_events = pair.events_a if scu == "a" else pair.events_b
    negotiated = src.negotiated
    assert negotiated is not None
    cx = negotiated.context_for(VERIFICATION)
    assert cx is not None
    mid = src.next_message_id()
    src.send_message(CEchoRQ(message_id=mid), context_id=cx.context_id, now=1.0)
    assert src.provider is not None
    assert mid in src.provider.sent_requests
    pair.run()
    got = dst_events[-1]
    assert isinstance(got, MessageReceived)
    assert got.message == CEchoRQ(message_id=mid)
    assert not got.has_dataset
    dst = pair.b if scu == "a" else pair.a
    dst.send_message(
        CEchoRSP(message_id_being_responded_to=mid), context_id=got.context_id, now=1.0
    )
    pair.run()
    answer = src_events[-1]
    assert isinstance(answer, MessageReceived)
    assert answer.message == CEchoRSP(message_id_being_responded_to=mid)
    assert not src.provider.sent_requests  # answered: no longer outstanding


def test_echo_requestor_to_acceptor_then_release() -> None:
    pair = established()
    echo(pair, "a")
    pair.a.release(2.0)
    assert pair.a.state is AssociationState.RELEASING
    pair.run()
    assert pair.types_a() == ["Established", "MessageReceived", "Released", "Closed"]
    assert pair.types_b() == [
        "Established",
        "MessageReceived",
        "ReleaseRequested",
        "Released",
        "Closed",
    ]
    assert pair.a.must_close
    assert pair.b.must_close
    assert pair.a.state is pair.b.state is AssociationState.CLOSED


def test_echo_both_ways_with_role_selection() -> None:
    rq = requestor_config(role_selections=(RoleSelection(VERIFICATION, True, True),))
    ac = acceptor_config(
        supported_contexts=(
            SupportedContext(VERIFICATION, (IMPLICIT_LE,), scu_role=True, scp_role=True),
        )
    )
    pair = AssociationPair(rq, ac)
    pair.run()
    echo(pair, "a")
    echo(pair, "b")
    assert pair.b.next_message_id() == 2  # the acceptor's own counter moved on


def test_acceptor_cannot_invoke_without_role() -> None:
    pair = established()
    with pytest.raises(LocalProtocolError, match="not an SCU"):
        pair.b.send_message(CEchoRQ(message_id=1), context_id=1, now=1.0)
    with pytest.raises(LocalProtocolError, match="not an SCP"):
        pair.a.send_message(CEchoRSP(message_id_being_responded_to=1), context_id=1, now=1.0)
    assert pair.a.data_to_send() == []
    assert pair.b.data_to_send() == []


def test_local_misuse_changes_nothing() -> None:
    pair = AssociationPair(*asynchronous_configs())
    pair.run()
    a = pair.a
    with pytest.raises(LocalProtocolError, match="not accepted"):
        a.send_message(CEchoRQ(message_id=1), context_id=99, now=1.0)
    a.send_message(CEchoRQ(message_id=7), context_id=1, now=1.0)
    with pytest.raises(LocalProtocolError, match="already used"):
        a.send_message(CEchoRQ(message_id=7), context_id=1, now=1.0)
    with pytest.raises(LocalProtocolError, match="C-CANCEL"):
        a.send_message(CCancelRQ(message_id_being_responded_to=7), context_id=1, now=1.0)
    with pytest.raises(LocalProtocolError):  # has_dataset without a data set
        a.send_message(
            CStoreRQ(
                message_id=8, affected_sop_class_uid=CT_IMAGE, affected_sop_instance_uid="1.2"
            ),
            context_id=3,
            now=1.0,
        )
    with pytest.raises(LocalProtocolError):  # b has no request to answer
        pair.b.send_message(CEchoRSP(message_id_being_responded_to=3), context_id=1, now=1.0)
    assert a.provider is not None
    assert set(a.provider.sent_requests) == {7}
    assert a.next_message_id() == 1
    assert a.next_message_id() == 2
    pair.run()
    assert [type(e) for e in pair.events_b[1:]] == [MessageReceived]
    with pytest.raises(LocalProtocolError):
        pair.b.release_response(1.0)  # nothing to answer
    with pytest.raises(LocalProtocolError):
        pair.b.accept(1.0)  # already established


def test_release_queued_behind_messages() -> None:
    pair = established()
    pair.a.send_message(CEchoRQ(message_id=1), context_id=1, now=1.0)
    pair.a.release(1.0)  # goes after the queued message
    with pytest.raises(LocalProtocolError):
        pair.a.send_message(CEchoRQ(message_id=2), context_id=1, now=1.0)
    with pytest.raises(LocalProtocolError):
        pair.a.release(1.0)
    pair.run()
    assert pair.types_b() == [
        "Established",
        "MessageReceived",
        "ReleaseRequested",
        "Released",
        "Closed",
    ]


def test_release_by_acceptor() -> None:
    pair = established()
    pair.b.release(2.0)
    pair.run()
    assert pair.types_b() == ["Established", "Released", "Closed"]
    assert pair.types_a() == ["Established", "ReleaseRequested", "Released", "Closed"]


def test_manual_release_response_lets_acceptor_answer_first() -> None:
    pair = AssociationPair(acceptor_kwargs={"auto_release": False})
    pair.run()
    pair.a.send_message(CEchoRQ(message_id=5), context_id=1, now=1.0)
    pair.a.release(1.0)
    pair.run()
    assert pair.types_b() == ["Established", "MessageReceived", "ReleaseRequested"]
    assert pair.b.ul_state is State.Sta8
    # PS3.8 lets the acceptor still send P-DATA in Sta8 (AR-7): answer, then release.
    pair.b.send_message(CEchoRSP(message_id_being_responded_to=5), context_id=1, now=1.0)
    pair.b.release_response(1.0)
    pair.run()
    assert pair.types_a() == ["Established", "MessageReceived", "Released", "Closed"]
    assert pair.types_b()[-2:] == ["Released", "Closed"]


@pytest.mark.parametrize("auto", [True, False])
def test_release_collision(auto: bool) -> None:
    kwargs: dict[str, object] = {"auto_release": auto}
    pair = AssociationPair(requestor_kwargs=kwargs, acceptor_kwargs=kwargs)
    pair.run()
    pair.a.release(1.0)
    pair.b.release(1.0)
    assert pair.a.ul_state is State.Sta7
    assert pair.b.ul_state is State.Sta7
    pair.run()
    if not auto:
        assert pair.a.ul_state.name == "Sta9"
        assert pair.b.ul_state.name == "Sta10"
        pair.a.release_response(1.0)
        pair.run()
        assert pair.b.ul_state.name == "Sta12"
        pair.b.release_response(1.0)
        pair.run()
    assert pair.types_a() == ["Established", "ReleaseRequested", "Released", "Closed"]
    assert pair.types_b() == ["Established", "ReleaseRequested", "Released", "Closed"]


@pytest.mark.parametrize("side", ["a", "b"])
def test_abort(side: str) -> None:
    pair = established()
    pair.a.send_message(CEchoRQ(message_id=1), context_id=1, now=1.0)
    aborter = pair.a if side == "a" else pair.b
    aborter.abort(1.0)
    assert not aborter.has_data_to_send  # queued messages dropped
    aborter.abort(1.0)  # no-op
    pair.run()
    mine = pair.events_a if side == "a" else pair.events_b
    theirs = pair.events_b if side == "a" else pair.events_a
    assert mine[-2] == Aborted(0, 0, by_peer=False, detail="aborted by the local application")
    assert isinstance(mine[-1], Closed)
    assert theirs[-2] == Aborted(0, 0, by_peer=True, detail="A-ABORT from the peer's service-user")
    assert isinstance(theirs[-1], Closed)
    # the queued C-ECHO never reached b
    assert not any(isinstance(e, MessageReceived) for e in pair.events_b)


def test_transport_closed_mid_association() -> None:
    pair = established()
    pair.b.transport_closed(1.0)
    pair.drain_events()
    assert pair.events_b[-2:] == [
        Aborted(2, 0, by_peer=True, detail="transport connection closed"),
        Closed(),
    ]
    pair.b.receive_data(b"\x04", 1.0)  # after must_close: discarded, no exception


def test_connect_failure() -> None:
    a = Association.requestor(requestor_config(), now=0.0)
    a.transport_closed(0.5)
    events = [a.next_event(), a.next_event()]
    assert isinstance(events[0], Aborted)
    assert events[0].by_peer
    assert events[1] == Closed()
    assert a.must_close


REJECTIONS = [
    # (acceptor config change, requestor config change, expected result/source/reason)
    ({"denied_networks": ("127.0.0.0/8",)}, {}, (1, 1, 1)),
    ({}, {"application_context": "1.2.3.4"}, (1, 1, 2)),
    ({"allowed_calling_ae_titles": ("OTHER",)}, {}, (1, 1, 3)),
    ({"require_called_ae_title": True, "ae_titles": ("ELSEWHERE",)}, {}, (1, 1, 7)),
    ({"reject_without_accepted_contexts": True, "supported_contexts": ()}, {}, (1, 1, 1)),
]


@pytest.mark.parametrize(("ac_change", "rq_change", "expected"), REJECTIONS)
def test_policy_rejections(
    ac_change: dict[str, object], rq_change: dict[str, object], expected: tuple[int, int, int]
) -> None:
    pair = AssociationPair(requestor_config(**rq_change), acceptor_config(**ac_change))
    pair.run()
    ra, rb = pair.events_a[0], pair.events_b[0]
    assert isinstance(ra, Rejected)
    assert isinstance(rb, Rejected)
    assert (ra.result, ra.source, ra.reason) == expected == (rb.result, rb.source, rb.reason)
    assert ra.by_peer
    assert not rb.by_peer
    assert rb.detail
    assert pair.types_a() == ["Rejected", "Closed"]
    assert pair.types_b() == ["Rejected", "Closed"]
    assert pair.a.negotiated is None
    assert pair.b.negotiated is None


# Every result/source/reason combination of PS3.8 Table 9-21.
TABLE_9_21 = [
    (result, source, reason)
    for result in (1, 2)
    for source, reasons in ((1, (1, 2, 3, 7)), (2, (1, 2)), (3, (1, 2)))
    for reason in reasons
]


@pytest.mark.parametrize(("result", "source", "reason"), TABLE_9_21)
def test_manual_reject_every_reason(result: int, source: int, reason: int) -> None:
    pair = AssociationPair(acceptor_kwargs={"auto_accept": False})
    pair.run()
    requested = pair.events_b[0]
    assert isinstance(requested, AssociationRequested)
    assert isinstance(requested.decision, Accept)  # what the policy would have done
    assert pair.b.state is AssociationState.AWAITING_DECISION
    pair.b.reject(1.0, result=result, source=source, reason=reason)
    pair.run()
    got = pair.events_a[0]
    assert isinstance(got, Rejected)
    assert (got.result, got.source, got.reason) == (result, source, reason)


def test_manual_accept() -> None:
    pair = AssociationPair(acceptor_kwargs={"auto_accept": False})
    pair.run()
    assert pair.types_b() == ["AssociationRequested"]
    assert pair.types_a() == []
    with pytest.raises(LocalProtocolError):
        pair.b.send_message(CEchoRSP(message_id_being_responded_to=1), context_id=1, now=0.0)
    pair.b.accept(1.0)
    pair.run()
    assert pair.types_a() == ["Established"]
    assert pair.types_b() == ["AssociationRequested", "Established"]
    echo(pair, "a")


def test_c_cancel_bookkeeping() -> None:
    pair = established()
    a, b = pair.a, pair.b
    # C-FIND is not negotiated here: the CT context stands in (the provider checks roles only)
    find = CFindRQ(message_id=3, affected_sop_class_uid=CT_IMAGE)
    a.send_message(find, context_id=3, dataset=b"\x08\x00\x52\x00\x00\x00\x00\x00", now=1.0)
    pair.run()
    b.send_message(CFindRSP(message_id_being_responded_to=3, status=0xFF00), context_id=3, now=1.0)
    pair.run()
    assert a.provider is not None
    assert 3 in a.provider.sent_requests
    with pytest.raises(LocalProtocolError, match="context"):
        a.send_message(CCancelRQ(message_id_being_responded_to=3), context_id=1, now=1.0)
    a.send_message(CCancelRQ(message_id_being_responded_to=3), context_id=3, now=1.0)
    pair.run()
    assert b.provider is not None
    assert b.provider.cancel_requested(3)
    b.send_message(CFindRSP(message_id_being_responded_to=3, status=0xFE00), context_id=3, now=1.0)
    pair.run()
    assert not a.provider.sent_requests
    assert not b.provider.received_requests
    assert not b.provider.cancel_requested(3)
    with pytest.raises(LocalProtocolError):  # the final response ended it
        b.send_message(CFindRSP(message_id_being_responded_to=3, status=0), context_id=3, now=1.0)


def test_asynchronous_operations_window_is_enforced() -> None:
    pair = established()  # no window negotiated: one outstanding request at a time
    pair.a.send_message(CEchoRQ(message_id=1), context_id=1, now=1.0)
    with pytest.raises(LocalProtocolError, match="asynchronous operations window"):
        pair.a.send_message(CEchoRQ(message_id=2), context_id=1, now=1.0)
    pair.run()
    pair.b.send_message(CEchoRSP(message_id_being_responded_to=1), context_id=1, now=1.0)
    pair.run()
    pair.a.send_message(CEchoRQ(message_id=2), context_id=1, now=1.0)  # room again


def test_negotiated_window_allows_several() -> None:
    rq = requestor_config(asynchronous_operations_window=AsynchronousOperationsWindow(3, 1))
    ac = acceptor_config(asynchronous_operations_window=AsynchronousOperationsWindow(2, 5))
    pair = AssociationPair(rq, ac)
    pair.run()
    for mid in (1, 2):
        pair.a.send_message(CEchoRQ(message_id=mid), context_id=1, now=1.0)
    with pytest.raises(LocalProtocolError, match="allows 2"):
        pair.a.send_message(CEchoRQ(message_id=3), context_id=1, now=1.0)


def test_bad_reject_values_change_nothing() -> None:
    pair = AssociationPair(acceptor_kwargs={"auto_accept": False})
    pair.run()
    with pytest.raises(LocalProtocolError):
        pair.b.reject(1.0, reason=300)  # does not fit its byte
    assert pair.b.state is AssociationState.AWAITING_DECISION
    pair.b.accept(1.0)
    pair.run()
    assert pair.types_a() == ["Established"]


def test_c_store_sub_operations_inside_c_get() -> None:
    """PS3.4 C.4.3: the C-GET SCP invokes C-STORE on the same association; role selection makes
    the requestor the Storage SCP. The provider lets each side send only what its roles allow."""
    get = "1.2.840.10008.5.1.4.1.2.1.3"  # Patient Root Query/Retrieve - GET
    rq = requestor_config(
        presentation_contexts=(
            ProposedContext(get, (IMPLICIT_LE,)),
            ProposedContext(CT_IMAGE, (IMPLICIT_LE,)),
        ),
        role_selections=(RoleSelection(CT_IMAGE, False, True),),
    )
    ac = acceptor_config(
        supported_contexts=(
            SupportedContext(get, (IMPLICIT_LE,)),
            SupportedContext(CT_IMAGE, (IMPLICIT_LE,), scu_role=False, scp_role=True),
        )
    )
    pair = AssociationPair(rq, ac)
    pair.run()
    a, b = pair.a, pair.b
    assert a.negotiated is not None
    get_cx = a.negotiated.context_for(get)
    ct_cx = a.negotiated.context_for(CT_IMAGE, role="scp")
    assert get_cx is not None
    assert ct_cx is not None
    a.send_message(
        CGetRQ(message_id=1, affected_sop_class_uid=get),
        context_id=get_cx.context_id,
        dataset=b"\x08\x00\x52\x00\x00\x00\x00\x00",
        now=1.0,
    )
    with pytest.raises(LocalProtocolError, match="not an SCU"):  # a is only SCP for CT
        a.send_message(
            CStoreRQ(message_id=2, affected_sop_class_uid=CT_IMAGE, affected_sop_instance_uid="9"),
            context_id=ct_cx.context_id,
            dataset=b"\x00\x00",
            now=1.0,
        )
    pair.run()
    for i in (1, 2):
        store = CStoreRQ(
            message_id=b.next_message_id(),
            affected_sop_class_uid=CT_IMAGE,
            affected_sop_instance_uid=f"1.2.{i}",
            move_originator_message_id=None,
        )
        b.send_message(store, context_id=ct_cx.context_id, dataset=b"\x10" * 100, now=2.0)
        pending = CGetRSP(
            message_id_being_responded_to=1, status=0xFF00, number_of_remaining_sub_operations=2 - i
        )
        b.send_message(pending, context_id=get_cx.context_id, now=2.0)
        pair.run()
        got = [e for e in pair.events_a if isinstance(e, MessageReceived)][-2:]
        assert isinstance(got[0].message, CStoreRQ)
        assert got[0].context_id == ct_cx.context_id
        a.send_message(
            CStoreRSP(message_id_being_responded_to=store.message_id, status=0),
            context_id=ct_cx.context_id,
            now=2.0,
        )
        pair.run()
    b.send_message(CGetRSP(message_id_being_responded_to=1, status=0), context_id=1, now=3.0)
    pair.run()
    assert a.provider is not None
    assert not a.provider.sent_requests
    assert b.provider is not None
    assert not b.provider.sent_requests
    assert not b.provider.received_requests


@pytest.mark.parametrize(
    "kwargs", [{"dimse_timeout": 0.0}, {"acse_timeout": -1.0}, {"max_send_bytes": 0}]
)
def test_invalid_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        Association.requestor(requestor_config(), now=0.0, **kwargs)  # type: ignore[arg-type]


def test_ul_max_pdu_length_follows_the_announced_one() -> None:
    from dicomnet.ul import ULConfig

    a = Association.requestor(
        requestor_config(max_pdu_length=32768), ul_config=ULConfig(max_pdu_length=1), now=0.0
    )
    assert a.ul.config.max_pdu_length == 32768
    b = Association.acceptor(acceptor_config(max_pdu_length=0), now=0.0)
    assert b.ul.config.max_pdu_length == 0
