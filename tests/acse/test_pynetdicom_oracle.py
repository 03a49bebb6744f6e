"""pynetdicom as an independent oracle for negotiation (DESIGN §1.5, §3.12).

``pynetdicom.presentation.negotiate_as_acceptor`` / ``negotiate_as_requestor`` must agree with
ours on result codes, chosen transfer syntax and roles. pynetdicom's acceptor takes the first of
ITS OWN transfer syntaxes that was proposed, i.e. our ``prefer="acceptor"`` (DCMTK's ``+x``
too); for ``prefer="requestor"`` it is given, context by context, our list re-ordered by the
proposal, which is what that policy means. pynetdicom's PDU decoder also reads our RQs and ACs.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pynetdicom import pdu as pdu_mod
from pynetdicom.presentation import PresentationContext
from pynetdicom.presentation import negotiate_as_acceptor as their_acceptor
from pynetdicom.presentation import negotiate_as_requestor as their_requestor

from dicomnet.acse import (
    Accept,
    AcceptorConfig,
    IdentityDecision,
    ProposedContext,
    RequestorConfig,
    RoleSelection,
    SupportedContext,
    UserIdentity,
    build_associate_rq,
    negotiate_as_acceptor,
    negotiate_as_requestor,
)
from dicomnet.pdu import (
    AAssociateAC,
    AAssociateRQ,
    ImplementationClassUIDSubItem,
    MaximumLengthSubItem,
    PresentationContextACItem,
    SCPSCURoleSelectionSubItem,
    UserInformationItem,
    UserInformationSubItem,
    encode_pdu,
)
from tests.acse import strategies as ast

SETTINGS = settings(max_examples=150, deadline=None)


def _context(cid: int | None, abstract: str, tss: tuple[str, ...] | list[str]) -> Any:
    cx = PresentationContext()
    cx.context_id = cid
    cx.abstract_syntax = abstract
    cx.transfer_syntax = list(tss)
    return cx


def _their_rq_roles(rq: AAssociateRQ) -> dict[str, tuple[bool, bool]]:
    return {r.sop_class_uid: (bool(r.scu_role), bool(r.scp_role)) for r in rq.role_selections}


def _their_supported(acceptor: AcceptorConfig, order: tuple[str, ...] | None) -> list[Any]:
    out = []
    for s in acceptor.supported_contexts:
        tss = list(s.transfer_syntaxes)
        if order is not None:  # requestor preference: their order, restricted to ours
            tss = [ts for ts in order if ts in tss] + [ts for ts in tss if ts not in order]
        cx = _context(None, s.abstract_syntax, tss)
        cx.scu_role, cx.scp_role = s.scu_role, s.scp_role
        out.append(cx)
    return out


@SETTINGS
@given(ast.requestor_configs(), ast.acceptor_configs())
def test_acceptor_agrees_with_pynetdicom(
    requestor: RequestorConfig, acceptor: AcceptorConfig
) -> None:
    rq = build_associate_rq(requestor)
    decision = negotiate_as_acceptor(rq, acceptor)
    assert isinstance(decision, Accept)
    ours = {i.context_id: i for i in decision.pdu.presentation_contexts}
    roles = _their_rq_roles(rq)
    their_replies: dict[str, tuple[bool, bool]] = {}
    for pc in rq.presentation_contexts:
        order = pc.transfer_syntaxes if acceptor.prefer == "requestor" else None
        supported = _their_supported(acceptor, order)
        results, replies = their_acceptor(
            [_context(pc.context_id, pc.abstract_syntax, pc.transfer_syntaxes)],
            supported,
            roles or None,
        )
        (theirs,) = results
        mine = ours[pc.context_id]
        assert mine.result == theirs.result, (pc, acceptor)
        if theirs.result == 0:
            assert mine.transfer_syntax == theirs.transfer_syntax[0]
            cx = decision.negotiated.accepted[pc.context_id]
            assert (cx.acceptor_is_scu, cx.acceptor_is_scp) == (theirs.as_scu, theirs.as_scp)
        for reply in replies:
            their_replies[reply.sop_class_uid] = (reply.scu_role, reply.scp_role)
    my_replies = {
        r.sop_class_uid: (bool(r.scu_role), bool(r.scp_role)) for r in decision.pdu.role_selections
    }
    assert my_replies == their_replies


@st.composite
def acs_for(draw: st.DrawFn, rq: AAssociateRQ) -> AAssociateAC:
    """A conformant-looking AC for ``rq`` with random results and random role replies."""
    items = []
    for pc in rq.presentation_contexts:
        result = draw(st.integers(0, 4))
        ts = draw(st.sampled_from(pc.transfer_syntaxes))
        items.append(
            PresentationContextACItem(context_id=pc.context_id, result=result, transfer_syntax=ts)
        )
    subs: list[UserInformationSubItem] = [
        MaximumLengthSubItem(16384),
        ImplementationClassUIDSubItem("1.2.3"),
    ]
    for r in rq.role_selections:
        if draw(st.booleans()):
            scu, scp = draw(ast.roles)
            subs.append(
                SCPSCURoleSelectionSubItem(
                    sop_class_uid=r.sop_class_uid, scu_role=int(scu), scp_role=int(scp)
                )
            )
    return AAssociateAC(
        called_ae_title=rq.called_ae_title,
        calling_ae_title=rq.calling_ae_title,
        presentation_contexts=tuple(items),
        user_information=UserInformationItem(tuple(subs)),
    )


@SETTINGS
@given(ast.requestor_configs(), st.data())
def test_requestor_agrees_with_pynetdicom(requestor: RequestorConfig, data: st.DataObject) -> None:
    rq = build_associate_rq(requestor)
    ac = data.draw(acs_for(rq))
    neg = negotiate_as_requestor(rq, ac)
    proposals = _their_rq_roles(rq)
    rq_contexts = []
    for pc in rq.presentation_contexts:
        cx = _context(pc.context_id, pc.abstract_syntax, pc.transfer_syntaxes)
        cx.scu_role, cx.scp_role = proposals.get(pc.abstract_syntax, (None, None))
        rq_contexts.append(cx)
    ac_contexts = [
        _context(i.context_id, "", [i.transfer_syntax]) for i in ac.presentation_contexts
    ]
    for cx, item in zip(ac_contexts, ac.presentation_contexts, strict=True):
        cx.result = item.result
    replies = {r.sop_class_uid: (bool(r.scu_role), bool(r.scp_role)) for r in ac.role_selections}
    for theirs in their_requestor(rq_contexts, ac_contexts, replies or None):
        cid = theirs.context_id
        if theirs.result == 0:
            mine = neg.accepted[cid]
            assert mine.transfer_syntax == theirs.transfer_syntax[0]
            assert (mine.requestor_is_scu, mine.requestor_is_scp) == (theirs.as_scu, theirs.as_scp)
        else:
            (mine_rejected,) = [r for r in neg.rejected if r.context_id == cid]
            assert mine_rejected.result == theirs.result


def _their_primitive(wire: bytes, kind: type[Any]) -> Any:
    pdu = kind()
    pdu.decode(wire)
    return pdu.to_primitive()


def test_pynetdicom_reads_our_rq_user_information() -> None:
    ct = "1.2.840.10008.5.1.4.1.1.2"
    config = RequestorConfig(
        calling_ae_title="OURSCU",
        called_ae_title="THEIRSCP",
        presentation_contexts=[ProposedContext(ct, ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])],
        role_selections=[RoleSelection(ct, False, True)],
        max_pdu_length=65536,
        user_identity=UserIdentity.username_and_passcode(
            "alice", "pw", positive_response_requested=True
        ),
    )
    prim = _their_primitive(encode_pdu(build_associate_rq(config)), pdu_mod.A_ASSOCIATE_RQ)
    assert prim.calling_ae_title == "OURSCU"
    assert prim.called_ae_title == "THEIRSCP"
    assert prim.maximum_length_received == 65536
    by_type = {type(i).__name__: i for i in prim.user_information}
    ident = by_type["UserIdentityNegotiation"]
    assert (ident.user_identity_type, ident.primary_field, ident.secondary_field) == (
        2,
        b"alice",
        b"pw",
    )
    assert ident.positive_response_requested is True
    role = by_type["SCP_SCU_RoleSelectionNegotiation"]
    assert (role.sop_class_uid, role.scu_role, role.scp_role) == (ct, False, True)
    assert (
        by_type["ImplementationVersionNameNotification"].implementation_version_name
        == "DICOMNET_0.1.0"
    )
    (cx,) = prim.presentation_context_definition_list
    assert cx.transfer_syntax == ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]


def test_pynetdicom_reads_our_ac() -> None:
    ct = "1.2.840.10008.5.1.4.1.1.2"
    rq = build_associate_rq(
        RequestorConfig(
            calling_ae_title="GETSCU",
            called_ae_title="ARCHIVE",
            presentation_contexts=[ProposedContext(ct, ["1.2.840.10008.1.2"])],
            role_selections=[RoleSelection(ct, False, True)],
            user_identity=UserIdentity.jwt(b"a.b.c", positive_response_requested=True),
        )
    )
    config = AcceptorConfig(
        supported_contexts=[
            SupportedContext(ct, ["1.2.840.10008.1.2"], scu_role=True, scp_role=True)
        ],
        user_identity_check=lambda ident, ae: IdentityDecision(True, b"token"),
    )
    decision = negotiate_as_acceptor(rq, config)
    assert isinstance(decision, Accept)
    prim = _their_primitive(encode_pdu(decision.pdu), pdu_mod.A_ASSOCIATE_AC)
    (cx,) = prim.presentation_context_definition_results_list
    assert (cx.context_id, cx.result, cx.transfer_syntax) == (1, 0, ["1.2.840.10008.1.2"])
    by_type = {type(i).__name__: i for i in prim.user_information}
    role = by_type["SCP_SCU_RoleSelectionNegotiation"]
    assert (role.scu_role, role.scp_role) == (False, True)
    assert by_type["UserIdentityNegotiation"].server_response == b"token"
    assert prim.maximum_length_received == 16384
