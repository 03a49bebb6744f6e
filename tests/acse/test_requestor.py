"""negotiate_as_requestor: the AC judged against our RQ (PS3.8 §9.3.3, PS3.7 D.3.3)."""

from __future__ import annotations

import pytest

from dicomnet.acse import (
    AsynchronousOperationsWindow,
    ContextResult,
    NegotiationError,
    Problem,
    ProposedContext,
    RequestorConfig,
    RoleSelection,
    UserIdentity,
    build_associate_rq,
    negotiate_as_requestor,
)
from dicomnet.errors import RemoteProtocolError
from dicomnet.pdu import (
    AAssociateAC,
    AAssociateRQ,
    AsynchronousOperationsWindowSubItem,
    ImplementationClassUIDSubItem,
    MaximumLengthSubItem,
    PresentationContextACItem,
    SCPSCURoleSelectionSubItem,
    SOPClassExtendedNegotiationSubItem,
    UserIdentityACSubItem,
    UserInformationItem,
    UserInformationSubItem,
)

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
IVLE, EVLE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"


def our_rq(**kw: object) -> AAssociateRQ:
    fields: dict[str, object] = {
        "calling_ae_title": "MOVESCU",
        "called_ae_title": "PACS",
        "presentation_contexts": [
            ProposedContext(VERIFICATION, [IVLE]),
            ProposedContext(CT, [EVLE, IVLE]),
            ProposedContext(MR, [IVLE]),
        ],
    }
    fields.update(kw)
    return build_associate_rq(RequestorConfig(**fields))  # type: ignore[arg-type]


def ac_with(
    *contexts: PresentationContextACItem,
    extra: tuple[UserInformationSubItem, ...] = (),
    max_length: int | None = 32768,
    application_context: str = "1.2.840.10008.3.1.1.1",
) -> AAssociateAC:
    subs: list[UserInformationSubItem] = []
    if max_length is not None:
        subs.append(MaximumLengthSubItem(max_length))
    subs.append(ImplementationClassUIDSubItem("1.2.276.0.7230010.3.0.3.6.8"))
    subs.extend(extra)
    return AAssociateAC(
        called_ae_title="PACS",
        calling_ae_title="MOVESCU",
        application_context=application_context,
        presentation_contexts=contexts,
        user_information=UserInformationItem(tuple(subs)),
    )


def pc(cid: int, result: int, ts: str | None) -> PresentationContextACItem:
    return PresentationContextACItem(context_id=cid, result=result, transfer_syntax=ts)


GOOD = (pc(1, 0, IVLE), pc(3, 0, EVLE), pc(5, 3, IVLE))


def test_conformant_ac() -> None:
    neg = negotiate_as_requestor(our_rq(), ac_with(*GOOD), strict=True)
    assert neg.local_is_requestor
    assert neg.problems == ()
    assert sorted(neg.accepted) == [1, 3]
    assert neg.accepted[3].transfer_syntax == EVLE
    assert neg.rejected[0].result is ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED
    assert (neg.peer_max_pdu_length, neg.local_max_pdu_length) == (32768, 16384)
    assert neg.peer_implementation_class_uid == "1.2.276.0.7230010.3.0.3.6.8"
    assert neg.asynchronous_operations_window == AsynchronousOperationsWindow(1, 1)
    cx = neg.context_for(CT)
    assert cx is not None
    assert cx.context_id == 3
    assert neg.context_for(CT, role="scp") is None
    assert neg.context_for(MR) is None
    assert neg.accepted_transfer_syntaxes(CT) == (EVLE,)


@pytest.mark.parametrize(
    ("contexts", "problem", "rejected_id"),
    [
        ((*GOOD, pc(7, 0, IVLE)), Problem.UNKNOWN_CONTEXT_ID, None),
        ((pc(1, 0, IVLE), pc(5, 3, IVLE)), Problem.MISSING_CONTEXT, 3),
        (
            (pc(1, 0, IVLE), pc(3, 0, "1.2.840.10008.1.2.2"), pc(5, 3, IVLE)),
            Problem.TRANSFER_SYNTAX_NOT_PROPOSED,
            3,
        ),
        ((pc(1, 0, IVLE), pc(3, 0, None), pc(5, 3, IVLE)), Problem.NO_TRANSFER_SYNTAX, 3),
        ((pc(1, 0, IVLE), pc(3, 9, EVLE), pc(5, 3, IVLE)), Problem.INVALID_RESULT, 3),
        ((*GOOD, pc(3, 0, IVLE)), Problem.DUPLICATE_CONTEXT_ID, None),
    ],
)
def test_context_deviations_are_tolerated_and_reported(
    contexts: tuple[PresentationContextACItem, ...], problem: Problem, rejected_id: int | None
) -> None:
    neg = negotiate_as_requestor(our_rq(), ac_with(*contexts))
    assert [p.problem for p in neg.problems] == [problem]
    if rejected_id is not None:
        assert rejected_id not in neg.accepted
        (bad,) = [r for r in neg.rejected if r.context_id == rejected_id]
        assert bad.result is ContextResult.NO_REASON
    else:
        assert neg.accepted[3].transfer_syntax == EVLE  # the first answer wins
    with pytest.raises(NegotiationError) as info:
        negotiate_as_requestor(our_rq(), ac_with(*contexts), strict=True)
    assert [p.problem for p in info.value.problems] == [problem]
    assert isinstance(info.value, RemoteProtocolError)
    assert (info.value.abort_source, info.value.abort_reason) == (0, 0)


def test_padded_transfer_syntax_is_accepted() -> None:
    neg = negotiate_as_requestor(
        our_rq(),
        ac_with(pc(1, 0, IVLE + "\x00"), pc(3, 0, EVLE + " "), pc(5, 3, None)),
        strict=True,
    )
    assert neg.accepted[1].transfer_syntax == IVLE
    assert neg.accepted[3].transfer_syntax == EVLE


def test_missing_max_length_and_changed_application_context() -> None:
    neg = negotiate_as_requestor(
        our_rq(), ac_with(*GOOD, max_length=None, application_context="1.2.3")
    )
    assert [p.problem for p in neg.problems] == [
        Problem.APPLICATION_CONTEXT_CHANGED,
        Problem.MISSING_MAXIMUM_LENGTH,
    ]
    assert neg.peer_max_pdu_length == 0


@pytest.mark.parametrize(
    ("proposed", "reply", "roles", "problems"),
    [
        ((True, True), None, (True, False), []),
        ((True, True), (1, 1), (True, True), []),
        ((True, True), (0, 1), (False, True), []),
        ((True, False), (1, 0), (True, False), []),
        ((False, True), (0, 1), (False, True), []),
        ((True, False), (1, 1), (True, False), [Problem.ROLE_NOT_PROPOSED]),
        ((True, True), (0, 0), (False, False), [Problem.NO_ROLE]),
        (None, (0, 1), (True, False), [Problem.ROLE_NOT_PROPOSED]),
    ],
)
def test_role_replies(
    proposed: tuple[bool, bool] | None,
    reply: tuple[int, int] | None,
    roles: tuple[bool, bool],
    problems: list[Problem],
) -> None:
    selections = [] if proposed is None else [RoleSelection(CT, *proposed)]
    extra = (
        ()
        if reply is None
        else (SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=reply[0], scp_role=reply[1]),)
    )
    neg = negotiate_as_requestor(our_rq(role_selections=selections), ac_with(*GOOD, extra=extra))
    cx = neg.accepted[3]
    assert (cx.requestor_is_scu, cx.requestor_is_scp) == roles
    assert [p.problem for p in neg.problems] == problems
    assert (neg.context_for(CT, role="scu") is not None) == roles[0]
    assert (neg.context_for(CT, role="scp") is not None) == roles[1]
    if problems == [Problem.NO_ROLE]:  # the acceptor's right: not a deviation
        negotiate_as_requestor(
            our_rq(role_selections=selections), ac_with(*GOOD, extra=extra), strict=True
        )


@pytest.mark.parametrize(
    ("proposed", "reply", "agreed", "problems"),
    [
        ((4, 4), None, (1, 1), []),
        ((4, 4), (2, 4), (2, 4), []),
        ((0, 0), (0, 9), (0, 9), []),
        ((2, 2), (3, 0), (2, 2), [Problem.WINDOW_WIDENED]),
        (None, (3, 3), (1, 1), [Problem.WINDOW_NOT_PROPOSED]),
    ],
)
def test_async_window_reply(
    proposed: tuple[int, int] | None,
    reply: tuple[int, int] | None,
    agreed: tuple[int, int],
    problems: list[Problem],
) -> None:
    window = None if proposed is None else AsynchronousOperationsWindow(*proposed)
    extra = () if reply is None else (AsynchronousOperationsWindowSubItem(*reply),)
    neg = negotiate_as_requestor(
        our_rq(asynchronous_operations_window=window), ac_with(*GOOD, extra=extra)
    )
    assert neg.asynchronous_operations_window == AsynchronousOperationsWindow(*agreed)
    assert [p.problem for p in neg.problems] == problems


def test_user_identity_response() -> None:
    ident = UserIdentity.saml(b"<a/>", positive_response_requested=True)
    answer = (UserIdentityACSubItem(b"<response/>"),)
    neg = negotiate_as_requestor(
        our_rq(user_identity=ident), ac_with(*GOOD, extra=answer), strict=True
    )
    assert neg.user_identity == ident
    assert neg.user_identity_response == b"<response/>"
    silent = negotiate_as_requestor(our_rq(user_identity=ident), ac_with(*GOOD))
    assert silent.user_identity_response is None
    unasked = negotiate_as_requestor(
        our_rq(user_identity=UserIdentity.username("bob")), ac_with(*GOOD, extra=answer)
    )
    assert [p.problem for p in unasked.problems] == [Problem.USER_IDENTITY_NOT_REQUESTED]


def test_extended_negotiation_replies() -> None:
    rq = our_rq(sop_class_extended_negotiations=[SOPClassExtendedNegotiationSubItem(CT, b"\x01")])
    ok = SOPClassExtendedNegotiationSubItem(CT, b"\x00")
    stray = SOPClassExtendedNegotiationSubItem(MR, b"\x00")
    neg = negotiate_as_requestor(rq, ac_with(*GOOD, extra=(ok, stray)))
    assert neg.sop_class_extended_negotiations == (ok,)
    assert [p.problem for p in neg.problems] == [Problem.EXTENDED_NEGOTIATION_NOT_PROPOSED]
