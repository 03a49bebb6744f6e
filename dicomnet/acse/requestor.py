"""The requestor's side of association negotiation (PS3.8 §9.3.3; PS3.7 Annex D.3.3).

:func:`negotiate_as_requestor` checks the A-ASSOCIATE-AC received against the A-ASSOCIATE-RQ we
sent and returns the agreed :class:`NegotiatedAssociation`: tolerant of the deviations real
devices show (each reported as a :class:`NegotiationProblem`), or strict on request.
"""

from __future__ import annotations

from typing import Final

from dicomnet.acse.config import AsynchronousOperationsWindow, UserIdentity, strip_uid
from dicomnet.acse.negotiation import narrow_window, window_of
from dicomnet.acse.result import (
    AcceptedContext,
    ContextResult,
    NegotiatedAssociation,
    NegotiationProblem,
    Problem,
    RejectedContext,
)
from dicomnet.errors import RemoteProtocolError
from dicomnet.pdu import (
    DICOM_APPLICATION_CONTEXT,
    AAssociateAC,
    AAssociateRQ,
    PresentationContextACItem,
    SOPClassExtendedNegotiationSubItem,
)

__all__ = ["NegotiationError", "negotiate_as_requestor"]

_RESULTS: Final = frozenset(int(r) for r in ContextResult)
#: Problems that are the peer's free choice, not deviations: never fatal in strict mode.
_INFORMATIONAL: Final = frozenset({Problem.NO_ROLE})


class NegotiationError(RemoteProtocolError):
    """The A-ASSOCIATE-AC deviates from PS3.7/PS3.8 and ``strict`` was asked for.

    ``problems`` lists every deviation found. The answer is an A-ABORT from the service-user
    (source 0, reason 0; PS3.8 §9.3.8).
    """

    def __init__(self, problems: tuple[NegotiationProblem, ...]) -> None:
        self.problems = problems
        text = "; ".join(p.message for p in problems)
        super().__init__(f"A-ASSOCIATE-AC rejected: {text}", abort_source=0, abort_reason=0)


def negotiate_as_requestor(
    rq: AAssociateRQ, ac: AAssociateAC, *, strict: bool = False
) -> NegotiatedAssociation:
    """Check the A-ASSOCIATE-AC ``ac`` against our ``rq`` (PS3.8 §9.3.3, PS3.7 D.3.3).

    Tolerant by default: a context ID we did not propose is ignored; a proposed context missing
    from ``ac``, an accepted one with a transfer syntax we did not propose (padding aside) or no
    transfer syntax, or an invalid result counts as rejected (result 2); role replies for roles
    we did not propose are ignored (PS3.7 D.3.3.4). Each is listed in ``problems``. With
    ``strict``, any of them raises :class:`NegotiationError` instead.
    """
    problems: list[NegotiationProblem] = []
    ours = {
        strip_uid(r.sop_class_uid): (r.scu_role != 0, r.scp_role != 0) for r in rq.role_selections
    }
    replies: dict[str, tuple[bool, bool]] = {}
    for role in ac.role_selections:
        uid = strip_uid(role.sop_class_uid)
        if uid not in ours:
            problems.append(
                NegotiationProblem(Problem.ROLE_NOT_PROPOSED, f"role reply for {uid} not proposed")
            )
        elif uid in replies:
            problems.append(
                NegotiationProblem(Problem.DUPLICATE_ROLE_SELECTION, f"two role replies for {uid}")
            )
        else:
            replies[uid] = (role.scu_role == 1, role.scp_role == 1)

    proposed = {pc.context_id: pc for pc in rq.presentation_contexts}
    results: dict[int, PresentationContextACItem] = {}
    for result in ac.presentation_contexts:
        cid = result.context_id
        if cid not in proposed:
            problems.append(
                NegotiationProblem(Problem.UNKNOWN_CONTEXT_ID, f"context {cid} not proposed", cid)
            )
        elif cid in results:
            problems.append(
                NegotiationProblem(Problem.DUPLICATE_CONTEXT_ID, f"context {cid} repeated", cid)
            )
        else:
            results[cid] = result

    accepted: dict[int, AcceptedContext] = {}
    rejected: list[RejectedContext] = []
    for cid, pc in proposed.items():
        abstract = strip_uid(pc.abstract_syntax)
        item = results.get(cid)
        problem: NegotiationProblem | None = None
        if item is None:
            problem = NegotiationProblem(Problem.MISSING_CONTEXT, f"context {cid}: no result", cid)
        elif item.result not in _RESULTS:
            problem = NegotiationProblem(
                Problem.INVALID_RESULT, f"context {cid}: result {item.result}", cid
            )
        elif item.result != ContextResult.ACCEPTANCE:
            rejected.append(
                RejectedContext(
                    context_id=cid, abstract_syntax=abstract, result=ContextResult(item.result)
                )
            )
            continue
        elif item.transfer_syntax is None:
            problem = NegotiationProblem(Problem.NO_TRANSFER_SYNTAX, f"context {cid}: no TS", cid)
        elif strip_uid(item.transfer_syntax) not in {strip_uid(t) for t in pc.transfer_syntaxes}:
            problem = NegotiationProblem(
                Problem.TRANSFER_SYNTAX_NOT_PROPOSED,
                f"context {cid}: transfer syntax {item.transfer_syntax!r} was not proposed",
                cid,
            )
        if problem is not None or item is None or item.transfer_syntax is None:
            if problem is not None:
                problems.append(problem)
            rejected.append(
                RejectedContext(
                    context_id=cid, abstract_syntax=abstract, result=ContextResult.NO_REASON
                )
            )
            continue
        roles = _requestor_roles(abstract, ours, replies, cid, problems)
        accepted[cid] = AcceptedContext(
            context_id=cid,
            abstract_syntax=abstract,
            transfer_syntax=strip_uid(item.transfer_syntax),
            requestor_is_scu=roles[0],
            requestor_is_scp=roles[1],
        )

    window = _requestor_window(rq, ac, problems)
    identity_response = _identity_response(rq, ac, problems)
    offered_ext = {strip_uid(e.sop_class_uid) for e in rq.sop_class_extended_negotiations}
    extended: list[SOPClassExtendedNegotiationSubItem] = []
    for ext in ac.sop_class_extended_negotiations:
        if strip_uid(ext.sop_class_uid) in offered_ext:
            extended.append(ext)
        else:
            problems.append(
                NegotiationProblem(
                    Problem.EXTENDED_NEGOTIATION_NOT_PROPOSED,
                    f"extended negotiation reply for {ext.sop_class_uid} not proposed",
                )
            )
    app = ac.application_context
    if app is None or strip_uid(app.name) != strip_uid(
        rq.application_context.name if rq.application_context else DICOM_APPLICATION_CONTEXT
    ):
        problems.append(
            NegotiationProblem(Problem.APPLICATION_CONTEXT_CHANGED, "application context differs")
        )
    peer_max = ac.max_length
    if peer_max is None:
        problems.append(NegotiationProblem(Problem.MISSING_MAXIMUM_LENGTH, "AC has no max length"))
    if strict:
        fatal = tuple(p for p in problems if p.problem not in _INFORMATIONAL)
        if fatal:
            raise NegotiationError(fatal)
    identity_item = rq.user_information.user_identity_rq if rq.user_information else None
    return NegotiatedAssociation(
        local_is_requestor=True,
        calling_ae_title=rq.calling_ae_title.strip(" "),
        called_ae_title=rq.called_ae_title.strip(" "),
        accepted=accepted,
        rejected=tuple(sorted(rejected, key=lambda r: r.context_id)),
        peer_max_pdu_length=peer_max or 0,
        local_max_pdu_length=rq.max_length or 0,
        peer_implementation_class_uid=ac.implementation_class_uid,
        peer_implementation_version_name=ac.implementation_version_name,
        asynchronous_operations_window=window,
        user_identity=None if identity_item is None else UserIdentity.from_sub_item(identity_item),
        user_identity_response=identity_response,
        sop_class_extended_negotiations=tuple(extended),
        sop_class_common_extended_negotiations=rq.sop_class_common_extended_negotiations,
        problems=tuple(problems),
    )


def _requestor_roles(
    abstract: str,
    ours: dict[str, tuple[bool, bool]],
    replies: dict[str, tuple[bool, bool]],
    cid: int,
    problems: list[NegotiationProblem],
) -> tuple[bool, bool]:
    """PS3.7 D.3.3.4: a role is ours when we proposed it and the acceptor returned 1 for it."""
    offer, reply = ours.get(abstract), replies.get(abstract)
    if offer is None or reply is None:
        return True, False  # no item either way: requestor SCU, acceptor SCP
    if (reply[0] and not offer[0]) or (reply[1] and not offer[1]):
        problems.append(
            NegotiationProblem(
                Problem.ROLE_NOT_PROPOSED, f"{abstract}: a role not proposed was accepted", cid
            )
        )
    roles = (offer[0] and reply[0], offer[1] and reply[1])
    if roles == (False, False):
        problems.append(
            NegotiationProblem(Problem.NO_ROLE, f"context {cid}: no role left for us", cid)
        )
    return roles


def _requestor_window(
    rq: AAssociateRQ, ac: AAssociateAC, problems: list[NegotiationProblem]
) -> AsynchronousOperationsWindow:
    offered, answer = window_of(rq), window_of(ac)
    if answer is None:
        return AsynchronousOperationsWindow()
    if offered is None:
        problems.append(NegotiationProblem(Problem.WINDOW_NOT_PROPOSED, "window not proposed"))
        return AsynchronousOperationsWindow()
    agreed = narrow_window(offered, answer)
    if agreed != answer:
        problems.append(
            NegotiationProblem(Problem.WINDOW_WIDENED, f"window {answer} wider than {offered}")
        )
    return agreed


def _identity_response(
    rq: AAssociateRQ, ac: AAssociateAC, problems: list[NegotiationProblem]
) -> bytes | None:
    asked = rq.user_information.user_identity_rq if rq.user_information else None
    answer = ac.user_information.user_identity_ac if ac.user_information else None
    if answer is None:
        return None
    if asked is None or asked.positive_response_requested != 1:
        problems.append(
            NegotiationProblem(Problem.USER_IDENTITY_NOT_REQUESTED, "unrequested identity response")
        )
    return bytes(answer.server_response)
