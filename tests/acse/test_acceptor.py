"""negotiate_as_acceptor: every reject reason, every context result, roles and extensions."""

from __future__ import annotations

import ipaddress

import pytest

from dicomnet.acse import (
    Accept,
    AcceptorConfig,
    AsynchronousOperationsWindow,
    ContextResult,
    IdentityDecision,
    NegotiationConfigError,
    Problem,
    ProposedContext,
    Reject,
    RequestorConfig,
    RoleSelection,
    SupportedContext,
    UserIdentity,
    build_associate_rq,
    negotiate_as_acceptor,
    negotiate_as_requestor,
)
from dicomnet.pdu import (
    AAssociateRJ,
    AAssociateRQ,
    MaximumLengthSubItem,
    PresentationContextRQItem,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
    UserInformationItem,
    decode_pdu,
    encode_pdu,
)

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"
IVLE, EVLE, EVBE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"
JPEG = "1.2.840.10008.1.2.4.50"

SUPPORTED = (
    SupportedContext(VERIFICATION, [IVLE]),
    SupportedContext(CT, [EVLE, IVLE]),
)


def rq_for(*contexts: ProposedContext, **kw: object) -> AAssociateRQ:
    fields: dict[str, object] = {
        "calling_ae_title": "STORESCU",
        "called_ae_title": "ARCHIVE",
        "presentation_contexts": contexts or (ProposedContext(VERIFICATION, [IVLE]),),
    }
    fields.update(kw)
    return build_associate_rq(RequestorConfig(**fields))  # type: ignore[arg-type]


def accept(rq: AAssociateRQ, config: AcceptorConfig, peer: object = None) -> Accept:
    decision = negotiate_as_acceptor(rq, config, peer)  # type: ignore[arg-type]
    assert isinstance(decision, Accept), decision
    assert decode_pdu(encode_pdu(decision.pdu)) == decision.pdu
    return decision


def reject(rq: AAssociateRQ, config: AcceptorConfig, peer: object = None) -> AAssociateRJ:
    decision = negotiate_as_acceptor(rq, config, peer)  # type: ignore[arg-type]
    assert isinstance(decision, Reject), decision
    assert decode_pdu(encode_pdu(decision.pdu)) == decision.pdu
    return decision.pdu


def results(decision: Accept) -> list[tuple[int, int, str | None]]:
    return [(i.context_id, i.result, i.transfer_syntax) for i in decision.pdu.presentation_contexts]


# --- association-level checks (PS3.8 §9.3.4, Table 9-21) ---------------------------------------


def test_called_ae_title_not_recognised_is_1_1_7() -> None:
    cfg = AcceptorConfig(
        ae_titles=["PACS"], require_called_ae_title=True, supported_contexts=SUPPORTED
    )
    assert reject(rq_for(), cfg) == AAssociateRJ(1, 1, 7)
    assert isinstance(negotiate_as_acceptor(rq_for(called_ae_title="  PACS"), cfg), Accept)


def test_called_ae_title_is_not_checked_unless_asked() -> None:
    cfg = AcceptorConfig(ae_titles=["PACS"], supported_contexts=SUPPORTED)
    accept(rq_for(), cfg)


def test_calling_ae_title_not_recognised_is_1_1_3() -> None:
    cfg = AcceptorConfig(allowed_calling_ae_titles=["MODALITY"], supported_contexts=SUPPORTED)
    assert reject(rq_for(), cfg) == AAssociateRJ(1, 1, 3)
    accept(rq_for(calling_ae_title="MODALITY"), cfg)


def test_application_context_not_supported_is_1_1_2() -> None:
    rq = rq_for(application_context="1.2.3.4")
    assert reject(rq, AcceptorConfig(supported_contexts=SUPPORTED)) == AAssociateRJ(1, 1, 2)
    padded = rq_for(application_context="1.2.840.10008.3.1.1.1")
    padded = AAssociateRQ(
        called_ae_title=padded.called_ae_title,
        calling_ae_title=padded.calling_ae_title,
        application_context="1.2.840.10008.3.1.1.1\x00",
        presentation_contexts=padded.presentation_contexts,
        user_information=padded.user_information,
    )
    accept(padded, AcceptorConfig(supported_contexts=SUPPORTED))


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        ("10.1.2.3", True),
        (("10.1.2.3", 40000), True),
        (("::ffff:10.1.2.3", 40000, 0, 0), True),
        ("10.9.9.9", False),
        ("192.168.0.1", False),
        ("fd00::1", True),
        ("fd00::bad", False),
        ("pacs.example", False),
        (None, False),
    ],
)
def test_peer_address_lists_reject_with_1_1_1(peer: object, allowed: bool) -> None:
    cfg = AcceptorConfig(
        allowed_networks=["10.0.0.0/8", "fd00::/64"],
        denied_networks=["10.9.0.0/16", ipaddress.ip_network("fd00::bad/128")],
        supported_contexts=SUPPORTED,
    )
    if allowed:
        accept(rq_for(), cfg, peer)
    else:
        assert reject(rq_for(), cfg, peer) == AAssociateRJ(1, 1, 1)


def test_peer_address_hook_sees_the_ip_and_the_raw_address() -> None:
    seen: list[object] = []

    def check(ip: object, raw: object) -> bool:
        seen.append((ip, raw))
        return raw != ("127.0.0.2", 1)

    cfg = AcceptorConfig(address_check=check, supported_contexts=SUPPORTED)
    accept(rq_for(), cfg, ("127.0.0.1", 1))
    assert reject(rq_for(), cfg, ("127.0.0.2", 1)) == AAssociateRJ(1, 1, 1)
    assert seen[0] == (ipaddress.ip_address("127.0.0.1"), ("127.0.0.1", 1))
    accept(rq_for(), AcceptorConfig(supported_contexts=SUPPORTED), "not-an-ip")  # no lists: fine


def test_association_check_can_send_any_rj() -> None:
    busy = AAssociateRJ(2, 3, 2)  # transient, presentation provider, local limit exceeded
    cfg = AcceptorConfig(association_check=lambda rq, peer: busy, supported_contexts=SUPPORTED)
    assert reject(rq_for(), cfg) == busy


def test_no_accepted_context_rejects_only_when_asked() -> None:
    rq = rq_for(ProposedContext(MR, [IVLE]))
    decision = accept(rq, AcceptorConfig(supported_contexts=SUPPORTED))
    assert results(decision) == [(1, 3, IVLE)]
    assert not decision.negotiated.accepted
    cfg = AcceptorConfig(supported_contexts=SUPPORTED, reject_without_accepted_contexts=True)
    assert reject(rq, cfg) == AAssociateRJ(1, 1, 1)


# --- presentation contexts (PS3.8 §9.3.3.2, Table 9-18) -----------------------------------------


def test_each_context_result() -> None:
    rq = rq_for(
        ProposedContext(VERIFICATION, [EVLE, IVLE]),
        ProposedContext(CT, [JPEG]),
        ProposedContext(MR, [IVLE]),
        ProposedContext(CT, [IVLE, EVLE]),
    )
    decision = accept(rq, AcceptorConfig(supported_contexts=SUPPORTED))
    assert results(decision) == [(1, 0, IVLE), (3, 4, JPEG), (5, 3, IVLE), (7, 0, EVLE)]
    neg = decision.negotiated
    assert sorted(neg.accepted) == [1, 7]
    assert [(r.context_id, r.result) for r in neg.rejected] == [
        (3, ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED),
        (5, ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED),
    ]
    assert neg.accepted_transfer_syntaxes(CT) == (EVLE,)
    assert neg.context_for(CT) is None  # we are the acceptor: SCP, not SCU
    cx = neg.context_for(CT, role="scp")
    assert cx is not None
    assert cx.context_id == 7
    assert neg.context_for(CT, IVLE, role=None) is None


def test_preference_acceptor_vs_requestor() -> None:
    rq = rq_for(ProposedContext(CT, [IVLE, EVLE]))
    ours = accept(rq, AcceptorConfig(supported_contexts=SUPPORTED))
    theirs = accept(rq, AcceptorConfig(supported_contexts=SUPPORTED, prefer="requestor"))
    assert results(ours) == [(1, 0, EVLE)]  # our order: EVLE first
    assert results(theirs) == [(1, 0, IVLE)]  # their order: IVLE first
    with pytest.raises(NegotiationConfigError):
        AcceptorConfig(prefer="whoever")  # type: ignore[arg-type]


def test_dcmtk_style_one_context_per_transfer_syntax() -> None:
    rq = rq_for(*ProposedContext.per_transfer_syntax(CT, [JPEG, EVLE, IVLE]))
    decision = accept(rq, AcceptorConfig(supported_contexts=SUPPORTED))
    assert results(decision) == [(1, 4, JPEG), (3, 0, EVLE), (5, 0, IVLE)]
    assert decision.negotiated.accepted_transfer_syntaxes(CT) == (EVLE, IVLE)
    cx = decision.negotiated.context_for(CT, IVLE, role="scp")
    assert cx is not None
    assert cx.context_id == 5


def test_padded_uids_match_and_duplicate_or_even_ids_are_reported() -> None:
    rq = AAssociateRQ(
        called_ae_title="A",
        calling_ae_title="B",
        presentation_contexts=(
            PresentationContextRQItem(
                context_id=1, abstract_syntax=CT + "\x00", transfer_syntaxes=(EVLE + "\x00",)
            ),
            PresentationContextRQItem(context_id=1, abstract_syntax=CT, transfer_syntaxes=(IVLE,)),
            PresentationContextRQItem(context_id=2, abstract_syntax=CT, transfer_syntaxes=()),
        ),
        user_information=None,
    )
    decision = accept(rq, AcceptorConfig(supported_contexts=SUPPORTED))
    assert results(decision) == [(1, 0, EVLE), (2, 4, IVLE)]
    kinds = [p.problem for p in decision.negotiated.problems]
    assert kinds == [
        Problem.DUPLICATE_CONTEXT_ID,
        Problem.EVEN_CONTEXT_ID,
        Problem.NO_TRANSFER_SYNTAX,
        Problem.MISSING_MAXIMUM_LENGTH,
    ]
    assert decision.negotiated.peer_max_pdu_length == 0


def test_hostile_rq_with_many_items_is_answered_once_per_id() -> None:
    pcs = tuple(
        PresentationContextRQItem(context_id=i % 256, abstract_syntax=CT, transfer_syntaxes=(IVLE,))
        for i in range(60000)
    )
    common = tuple(
        SOPClassCommonExtendedNegotiationSubItem(sop_class_uid=f"1.2.{i}", service_class_uid="1.2")
        for i in range(20000)
    )
    rq = AAssociateRQ(
        called_ae_title="A",
        calling_ae_title="B",
        presentation_contexts=pcs,
        user_information=UserInformationItem((MaximumLengthSubItem(0), *common)),
    )
    cfg = AcceptorConfig(
        supported_contexts=SUPPORTED, sop_class_common_extended_negotiation=lambda item: None
    )
    decision = accept(rq, cfg)  # linear work: quadratic would take minutes here, not 0.3 s
    assert [i.context_id for i in decision.pdu.presentation_contexts] == list(range(256))
    problems = [p.problem for p in decision.negotiated.problems]
    assert problems.count(Problem.DUPLICATE_CONTEXT_ID) == 60000 - 256
    assert problems.count(Problem.EVEN_CONTEXT_ID) == 128


# --- SCP/SCU role selection (PS3.7 D.3.3.4) ------------------------------------------------------


@pytest.mark.parametrize(
    ("proposed", "policy", "reply", "requestor_roles", "result"),
    [
        ((True, False), (True, True), (True, False), (True, False), 0),
        ((False, True), (True, True), (False, True), (False, True), 0),
        ((True, True), (True, True), (True, True), (True, True), 0),
        ((True, True), (True, False), (True, False), (True, False), 0),
        ((True, True), (False, True), (False, True), (False, True), 0),
        ((True, True), (False, False), None, None, 1),
        ((False, True), (True, False), None, None, 1),
        ((False, False), (True, True), None, None, 1),
        ((True, True), None, None, (True, False), 0),
    ],
)
def test_role_selection(
    proposed: tuple[bool, bool],
    policy: tuple[bool, bool] | None,
    reply: tuple[bool, bool] | None,
    requestor_roles: tuple[bool, bool] | None,
    result: int,
) -> None:
    scu, scp = policy if policy is not None else (None, None)
    cfg = AcceptorConfig(
        supported_contexts=[SupportedContext(CT, [IVLE], scu_role=scu, scp_role=scp)]
    )
    rq = rq_for(ProposedContext(CT, [IVLE]), role_selections=[RoleSelection(CT, *proposed)])
    decision = accept(rq, cfg)
    assert decision.pdu.presentation_contexts[0].result == result
    replies = [(r.scu_role, r.scp_role) for r in decision.pdu.role_selections]
    assert replies == ([] if reply is None else [tuple(int(v) for v in reply)])
    if requestor_roles is None:
        assert not decision.negotiated.accepted
        return
    cx = decision.negotiated.accepted[1]
    assert (cx.requestor_is_scu, cx.requestor_is_scp) == requestor_roles
    assert (cx.acceptor_is_scp, cx.acceptor_is_scu) == requestor_roles
    back = negotiate_as_requestor(rq, decision.pdu, strict=True).accepted[1]
    assert (back.requestor_is_scu, back.requestor_is_scp) == requestor_roles


def test_roles_without_proposal_are_not_answered() -> None:
    cfg = AcceptorConfig(
        supported_contexts=[SupportedContext(CT, [IVLE], scu_role=True, scp_role=True)]
    )
    decision = accept(rq_for(ProposedContext(CT, [IVLE])), cfg)
    assert decision.pdu.role_selections == ()
    assert decision.negotiated.accepted[1].requestor_is_scu


def test_role_policy_needs_both_roles() -> None:
    with pytest.raises(NegotiationConfigError, match="both"):
        SupportedContext(CT, [IVLE], scu_role=True)


def test_duplicate_role_items_use_the_first() -> None:
    rq = rq_for(ProposedContext(CT, [IVLE]))
    assert rq.user_information is not None
    subs = (
        *rq.user_information.sub_items,
        SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=0, scp_role=1),
        SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=1, scp_role=0),
    )
    rq = AAssociateRQ(
        called_ae_title="A",
        calling_ae_title="B",
        presentation_contexts=rq.presentation_contexts,
        user_information=UserInformationItem(subs),
    )
    cfg = AcceptorConfig(
        supported_contexts=[SupportedContext(CT, [IVLE], scu_role=True, scp_role=True)]
    )
    decision = accept(rq, cfg)
    assert decision.negotiated.accepted[1].requestor_is_scp
    assert [p.problem for p in decision.negotiated.problems] == [Problem.DUPLICATE_ROLE_SELECTION]


# --- user information (PS3.7 D.3.3) -------------------------------------------------------------


def test_max_length_and_implementation_are_exchanged() -> None:
    rq = rq_for(max_pdu_length=32768, implementation_version_name="PEER_1")
    cfg = AcceptorConfig(supported_contexts=SUPPORTED, max_pdu_length=0)
    decision = accept(rq, cfg)
    assert decision.pdu.max_length == 0
    neg = decision.negotiated
    assert (neg.peer_max_pdu_length, neg.local_max_pdu_length) == (32768, 0)
    assert neg.peer_implementation_version_name == "PEER_1"
    assert neg.calling_ae_title == "STORESCU"
    assert neg.called_ae_title == "ARCHIVE"


@pytest.mark.parametrize(
    ("proposed", "ours", "agreed"),
    [
        ((5, 3), (2, 10), (2, 3)),
        ((0, 0), (4, 0), (4, 0)),
        ((1, 1), (0, 0), (1, 1)),
        ((0, 7), (0, 0), (0, 7)),
    ],
)
def test_async_window_is_negotiated_down(
    proposed: tuple[int, int], ours: tuple[int, int], agreed: tuple[int, int]
) -> None:
    rq = rq_for(asynchronous_operations_window=AsynchronousOperationsWindow(*proposed))
    cfg = AcceptorConfig(
        supported_contexts=SUPPORTED,
        asynchronous_operations_window=AsynchronousOperationsWindow(*ours),
    )
    decision = accept(rq, cfg)
    window = decision.pdu.asynchronous_operations_window
    assert window is not None
    assert (window.max_operations_invoked, window.max_operations_performed) == agreed
    assert decision.negotiated.asynchronous_operations_window == AsynchronousOperationsWindow(
        *agreed
    )


def test_async_window_is_not_answered_unless_proposed_and_supported() -> None:
    ours = AsynchronousOperationsWindow(4, 4)
    plain = accept(
        rq_for(), AcceptorConfig(supported_contexts=SUPPORTED, asynchronous_operations_window=ours)
    )
    assert plain.pdu.asynchronous_operations_window is None
    rq = rq_for(asynchronous_operations_window=ours)
    sync = accept(rq, AcceptorConfig(supported_contexts=SUPPORTED))
    assert sync.pdu.asynchronous_operations_window is None
    assert sync.negotiated.asynchronous_operations_window == AsynchronousOperationsWindow(1, 1)


@pytest.mark.parametrize("positive", [False, True])
def test_user_identity_hook_accepts_with_response_only_when_requested(positive: bool) -> None:
    calls: list[tuple[UserIdentity | None, str]] = []

    def check(identity: UserIdentity | None, calling: str) -> IdentityDecision:
        calls.append((identity, calling))
        return IdentityDecision(True, b"server-ticket")

    ident = UserIdentity.kerberos(b"ticket", positive_response_requested=positive)
    cfg = AcceptorConfig(supported_contexts=SUPPORTED, user_identity_check=check)
    decision = accept(rq_for(user_identity=ident), cfg)
    assert calls == [(ident, "STORESCU")]
    expected = UserIdentityACSubItem(b"server-ticket") if positive else None
    assert decision.pdu.user_identity == expected
    assert decision.negotiated.user_identity == ident
    assert decision.negotiated.user_identity_response == (b"server-ticket" if positive else None)


def test_user_identity_rejections_are_1_1_1() -> None:
    deny = AcceptorConfig(
        supported_contexts=SUPPORTED, user_identity_check=lambda i, ae: IdentityDecision(False)
    )
    ident = UserIdentity.username_and_passcode("bob", "wrong")
    assert reject(rq_for(user_identity=ident), deny) == AAssociateRJ(1, 1, 1)
    need = AcceptorConfig(supported_contexts=SUPPORTED, require_user_identity=True)
    assert reject(rq_for(), need) == AAssociateRJ(1, 1, 1)
    accept(rq_for(user_identity=ident), need)


def test_user_identity_without_hook_is_ignored_and_malformed_is_reported() -> None:
    cfg = AcceptorConfig(supported_contexts=SUPPORTED)
    ident = UserIdentity.username("bob", positive_response_requested=True)
    assert accept(rq_for(user_identity=ident), cfg).pdu.user_identity is None
    rq = rq_for()
    assert rq.user_information is not None
    bad = UserIdentityRQSubItem(user_identity_type=9, primary_field=b"")
    rq = AAssociateRQ(
        called_ae_title="A",
        calling_ae_title="B",
        presentation_contexts=rq.presentation_contexts,
        user_information=UserInformationItem((*rq.user_information.sub_items, bad)),
    )
    decision = accept(rq, cfg)
    assert decision.negotiated.user_identity is None
    assert [p.problem for p in decision.negotiated.problems] == [Problem.INVALID_USER_IDENTITY]
    assert reject(rq, AcceptorConfig(supported_contexts=SUPPORTED, require_user_identity=True))


def test_sop_class_extended_negotiation_hook() -> None:
    proposals = [
        SOPClassExtendedNegotiationSubItem(CT, b"\x01"),
        SOPClassExtendedNegotiationSubItem(MR, b"\x01"),  # MR is not accepted: never answered
        SOPClassExtendedNegotiationSubItem(VERIFICATION, b"\x02"),
    ]
    rq = rq_for(
        ProposedContext(VERIFICATION, [IVLE]),
        ProposedContext(CT, [IVLE]),
        ProposedContext(MR, [IVLE]),
        sop_class_extended_negotiations=proposals,
    )
    seen: list[str] = []

    def hook(item: SOPClassExtendedNegotiationSubItem) -> bytes | None:
        seen.append(item.sop_class_uid)
        return (
            None
            if item.sop_class_uid == VERIFICATION
            else b"\x00" + item.service_class_application_information
        )

    decision = accept(
        rq, AcceptorConfig(supported_contexts=SUPPORTED, sop_class_extended_negotiation=hook)
    )
    assert seen == [CT, VERIFICATION]
    assert decision.pdu.sop_class_extended_negotiations == (
        SOPClassExtendedNegotiationSubItem(CT, b"\x00\x01"),
    )
    assert decision.negotiated.sop_class_extended_negotiations == (
        SOPClassExtendedNegotiationSubItem(CT, b"\x00\x01"),
    )
    plain = accept(rq, AcceptorConfig(supported_contexts=SUPPORTED))
    assert plain.pdu.sop_class_extended_negotiations == ()


def test_common_extended_negotiation_hook_maps_a_specialisation() -> None:
    common = SOPClassCommonExtendedNegotiationSubItem(
        sop_class_uid=ENHANCED_CT,
        service_class_uid="1.2.840.10008.4.2",
        related_general_sop_class_uids=(CT,),
    )
    rq = rq_for(
        ProposedContext(ENHANCED_CT, [IVLE]),
        sop_class_common_extended_negotiations=[common],
    )

    def related(item: SOPClassCommonExtendedNegotiationSubItem) -> str | None:
        return next(iter(item.related_general_sop_class_uids), None)

    with_hook = AcceptorConfig(
        supported_contexts=SUPPORTED, sop_class_common_extended_negotiation=related
    )
    decision = accept(rq, with_hook)
    assert results(decision) == [(1, 0, IVLE)]
    assert decision.negotiated.accepted[1].abstract_syntax == ENHANCED_CT
    assert decision.negotiated.sop_class_common_extended_negotiations == (common,)
    assert results(accept(rq, AcceptorConfig(supported_contexts=SUPPORTED))) == [(1, 3, IVLE)]


def test_acceptor_config_validation() -> None:
    with pytest.raises(NegotiationConfigError, match="listed twice"):
        AcceptorConfig(
            supported_contexts=[SupportedContext(CT, [IVLE]), SupportedContext(CT, [EVLE])]
        )
    with pytest.raises(NegotiationConfigError, match="not a valid UID"):
        AcceptorConfig(supported_contexts=[SupportedContext(CT, ["1.2.840.10008.1.2 "])])
    with pytest.raises(NegotiationConfigError, match="AE title"):
        AcceptorConfig(require_called_ae_title=True)
    with pytest.raises(NegotiationConfigError, match="32-bit"):
        AcceptorConfig(max_pdu_length=-1)
    with pytest.raises(NegotiationConfigError, match="version name"):
        AcceptorConfig(implementation_version_name="x" * 17)
    with pytest.raises(ValueError):
        AcceptorConfig(allowed_networks=["not a network"])
    assert AcceptorConfig(ae_titles="PACS ").ae_titles == ("PACS",)
