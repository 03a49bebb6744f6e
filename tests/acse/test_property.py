"""Properties of negotiation over random requestor and acceptor configurations (hypothesis)."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.acse import (
    Accept,
    AcceptorConfig,
    RequestorConfig,
    build_associate_rq,
    negotiate_as_acceptor,
    negotiate_as_requestor,
    strip_uid,
)
from dicomnet.errors import DicomNetError
from dicomnet.pdu import AAssociateRQ, decode_pdu, encode_pdu
from tests.acse import strategies as ast
from tests.pdu import strategies as pst

SETTINGS = settings(max_examples=150, deadline=None)


@SETTINGS
@given(ast.requestor_configs(), ast.acceptor_configs())
def test_ac_answers_each_proposed_context_within_what_was_proposed_and_supported(
    requestor: RequestorConfig, acceptor: AcceptorConfig
) -> None:
    rq = build_associate_rq(requestor)
    assert decode_pdu(encode_pdu(rq)) == rq
    decision = negotiate_as_acceptor(rq, acceptor)
    assert isinstance(decision, Accept)
    ac = decision.pdu
    assert decode_pdu(encode_pdu(ac)) == ac
    proposed = {pc.context_id: pc for pc in rq.presentation_contexts}
    supported = {s.abstract_syntax: s for s in acceptor.supported_contexts}
    # every context answered exactly once, same IDs, same order
    assert [i.context_id for i in ac.presentation_contexts] == list(proposed)
    for item in ac.presentation_contexts:
        pc = proposed[item.context_id]
        policy = supported.get(pc.abstract_syntax)
        if item.result == 0:
            assert policy is not None
            assert item.transfer_syntax in pc.transfer_syntaxes
            assert item.transfer_syntax in policy.transfer_syntaxes
        elif item.result == 3:
            assert policy is None
        elif item.result == 4:
            assert policy is not None
            assert not set(pc.transfer_syntaxes) & set(policy.transfer_syntaxes)
        else:
            assert item.result == 1
            assert policy is not None
            assert policy.scu_role is not None
    # the preferred side's first acceptable syntax was chosen
    for item in ac.presentation_contexts:
        if item.result != 0:
            continue
        pc = proposed[item.context_id]
        ours = supported[pc.abstract_syntax].transfer_syntaxes
        first = ours if acceptor.prefer == "acceptor" else pc.transfer_syntaxes
        other = set(pc.transfer_syntaxes) if acceptor.prefer == "acceptor" else set(ours)
        assert item.transfer_syntax == next(ts for ts in first if ts in other)
    # role replies only for proposed roles, never 1 where 0 was proposed (PS3.7 D.3.3.4)
    offers = {r.sop_class_uid: r for r in requestor.role_selections}
    for reply in ac.role_selections:
        offer = offers[reply.sop_class_uid]
        assert reply.scu_role <= offer.scu_role
        assert reply.scp_role <= offer.scp_role
    # a window reply only when proposed and never wider
    if ac.asynchronous_operations_window is not None:
        assert requestor.asynchronous_operations_window is not None
    # the requestor reads our AC back to the same agreement, without problems
    mine = negotiate_as_requestor(rq, ac, strict=True)
    theirs = decision.negotiated
    assert mine.accepted == theirs.accepted
    assert mine.rejected == theirs.rejected
    assert mine.asynchronous_operations_window == theirs.asynchronous_operations_window
    assert mine.peer_max_pdu_length == acceptor.max_pdu_length
    assert theirs.peer_max_pdu_length == requestor.max_pdu_length


@SETTINGS
@given(pst.a_associate_rq, ast.acceptor_configs(), st.booleans())
def test_any_decodable_rq_gets_an_encodable_answer(
    rq: AAssociateRQ, acceptor: AcceptorConfig, strict: bool
) -> None:
    decision = negotiate_as_acceptor(rq, acceptor, "127.0.0.1")
    wire = encode_pdu(decision.pdu)
    assert decode_pdu(wire) == decision.pdu
    if isinstance(decision, Accept):
        ids = [i.context_id for i in decision.pdu.presentation_contexts]
        assert len(ids) == len(set(ids))
        assert set(ids) <= {pc.context_id for pc in rq.presentation_contexts}
        for item in decision.pdu.presentation_contexts:
            if item.result == 0:
                pc = next(p for p in rq.presentation_contexts if p.context_id == item.context_id)
                assert item.transfer_syntax in {strip_uid(t) for t in pc.transfer_syntaxes}
        # and reading that AC back as the requestor never raises anything but our errors
        with contextlib.suppress(DicomNetError):
            negotiate_as_requestor(rq, decision.pdu, strict=strict)


@SETTINGS
@given(ast.requestor_configs(), pst.a_associate_ac)
def test_any_decodable_ac_is_judged_without_crashing(
    requestor: RequestorConfig, ac: object
) -> None:
    rq = build_associate_rq(requestor)
    neg = negotiate_as_requestor(rq, ac)  # type: ignore[arg-type]
    proposed = {pc.context_id: pc for pc in rq.presentation_contexts}
    assert set(neg.accepted) | {r.context_id for r in neg.rejected} == set(proposed)
    for cid, cx in neg.accepted.items():
        assert cx.transfer_syntax in proposed[cid].transfer_syntaxes
