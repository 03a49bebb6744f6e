"""The acceptor's side of association negotiation (PS3.8 §7.1, §9.3.2-9.3.4; PS3.7 D.3.3).

:func:`negotiate_as_acceptor` judges an A-ASSOCIATE-RQ against an :class:`AcceptorConfig` and
returns the A-ASSOCIATE-AC or -RJ to send, with the agreed :class:`NegotiatedAssociation`. Pure:
no IO, no state; the upper layer carries the PDUs. The requestor's side is ``requestor.py``.
"""

from __future__ import annotations

from typing import Final

from dicomnet.acse.config import (
    AsynchronousOperationsWindow,
    RoleSelection,
    UserIdentity,
    strip_uid,
)
from dicomnet.acse.policy import AcceptorConfig, PeerAddress, Preference, SupportedContext
from dicomnet.acse.result import (
    Accept,
    AcceptDecision,
    AcceptedContext,
    ContextResult,
    NegotiatedAssociation,
    NegotiationProblem,
    Problem,
    Reject,
    RejectedContext,
)
from dicomnet.pdu import (
    DICOM_APPLICATION_CONTEXT,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    PresentationContextACItem,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UserIdentityACSubItem,
    UserInformationItem,
    UserInformationSubItem,
)

__all__ = [
    "choose_transfer_syntax",
    "narrow_window",
    "negotiate_as_acceptor",
    "window_of",
]

# PS3.8 §9.3.4, Table 9-21: result / source / reason of an A-ASSOCIATE-RJ.
REJECTED_PERMANENT: Final = 1
SOURCE_SERVICE_USER: Final = 1
REASON_NO_REASON: Final = 1
REASON_APPLICATION_CONTEXT_NOT_SUPPORTED: Final = 2
REASON_CALLING_AE_NOT_RECOGNIZED: Final = 3
REASON_CALLED_AE_NOT_RECOGNIZED: Final = 7

_IMPLICIT_VR_LE: Final = "1.2.840.10008.1.2"


def choose_transfer_syntax(
    supported: tuple[str, ...], proposed: tuple[str, ...], prefer: Preference
) -> str | None:
    """The transfer syntax to accept, or ``None`` when none of ``proposed`` is ``supported``.

    ``prefer="acceptor"``: the first of ``supported`` that was proposed (our order wins);
    ``"requestor"``: the first of ``proposed`` that is supported (the proposal's order wins).
    """
    if prefer == "acceptor":
        offered = set(proposed)
        return next((ts for ts in supported if ts in offered), None)
    ours = set(supported)
    return next((ts for ts in proposed if ts in ours), None)


def _min0(a: int, b: int) -> int:
    """The smaller of two window sizes where 0 means unlimited."""
    if a == 0:
        return b
    if b == 0:
        return a
    return min(a, b)


def narrow_window(
    proposed: AsynchronousOperationsWindow, ours: AsynchronousOperationsWindow
) -> AsynchronousOperationsWindow:
    """The window an acceptor answers (PS3.7 D.3.3.3): never wider than proposed; 0 unlimited."""
    return AsynchronousOperationsWindow(
        _min0(proposed.max_operations_invoked, ours.max_operations_invoked),
        _min0(proposed.max_operations_performed, ours.max_operations_performed),
    )


def _reject(reason: int, message: str) -> Reject:
    return Reject(
        pdu=AAssociateRJ(REJECTED_PERMANENT, SOURCE_SERVICE_USER, reason), message=message
    )


def _role_proposals(
    items: tuple[SCPSCURoleSelectionSubItem, ...], problems: list[NegotiationProblem]
) -> dict[str, tuple[bool, bool]]:
    roles: dict[str, tuple[bool, bool]] = {}
    for item in items:
        uid = strip_uid(item.sop_class_uid)
        if uid in roles:
            problems.append(
                NegotiationProblem(Problem.DUPLICATE_ROLE_SELECTION, f"two role items for {uid}")
            )
            continue
        roles[uid] = (item.scu_role != 0, item.scp_role != 0)
    return roles


def window_of(rq_or_ac: AAssociateRQ | AAssociateAC) -> AsynchronousOperationsWindow | None:
    """The Asynchronous Operations Window sub-item of an RQ or AC as a value, or ``None``."""
    item = rq_or_ac.asynchronous_operations_window
    if item is None:
        return None
    return AsynchronousOperationsWindow(item.max_operations_invoked, item.max_operations_performed)


def _check_peer(rq: AAssociateRQ, config: AcceptorConfig, peer: PeerAddress) -> Reject | None:
    """Steps 1-4 of :class:`AcceptorConfig`'s checks."""
    if not config.address_allowed(peer):
        return _reject(REASON_NO_REASON, f"peer address {peer!r} is not allowed")
    app = rq.application_context
    if app is None or strip_uid(app.name) != DICOM_APPLICATION_CONTEXT:
        name = None if app is None else app.name
        return _reject(
            REASON_APPLICATION_CONTEXT_NOT_SUPPORTED, f"application context {name!r} unsupported"
        )
    called = rq.called_ae_title.strip(" ")
    if config.require_called_ae_title and called not in config.ae_titles:
        return _reject(REASON_CALLED_AE_NOT_RECOGNIZED, f"called AE title {called!r} is not ours")
    calling = rq.calling_ae_title.strip(" ")
    allowed = config.allowed_calling_ae_titles
    if allowed is not None and calling not in allowed:
        return _reject(
            REASON_CALLING_AE_NOT_RECOGNIZED, f"calling AE title {calling!r} is not allowed"
        )
    return None


def _check_identity(
    rq: AAssociateRQ, config: AcceptorConfig, problems: list[NegotiationProblem]
) -> Reject | tuple[UserIdentity | None, bytes | None]:
    """Step 5: the identity asserted and the server response to send (``None``: no sub-item)."""
    item = rq.user_information.user_identity_rq if rq.user_information is not None else None
    if item is None:
        if config.require_user_identity:
            return _reject(REASON_NO_REASON, "no user identity and one is required")
        return None, None
    identity = UserIdentity.from_sub_item(item)
    if identity is None:
        problems.append(
            NegotiationProblem(
                Problem.INVALID_USER_IDENTITY,
                f"user identity sub-item of type {item.user_identity_type} has invalid fields",
            )
        )
    if config.user_identity_check is None:
        if config.require_user_identity and identity is None:
            return _reject(REASON_NO_REASON, "user identity is invalid and one is required")
        return identity, None  # not verified: no positive response (PS3.7 D.3.3.7.2)
    decision = config.user_identity_check(identity, rq.calling_ae_title.strip(" "))
    if not decision.accepted:
        return _reject(REASON_NO_REASON, "user identity not accepted")
    if item.positive_response_requested != 1:
        return identity, None
    # PS3.7 D.3.3.7.2: the server response is empty for username (and passcode) identities
    return identity, b"" if item.user_identity_type in (1, 2) else decision.server_response


def _policy_for(
    abstract: str,
    supported: dict[str, SupportedContext],
    common: dict[str, SOPClassCommonExtendedNegotiationSubItem],
    config: AcceptorConfig,
) -> SupportedContext | None:
    """The policy for ``abstract``: its own, or the one the common extended negotiation hook
    maps it to (PS3.7 D.3.3.6)."""
    policy = supported.get(abstract)
    hook = config.sop_class_common_extended_negotiation
    if policy is not None or hook is None or abstract not in common:
        return policy
    alias = hook(common[abstract])
    return None if alias is None else supported.get(alias)


def negotiate_as_acceptor(
    rq: AAssociateRQ, config: AcceptorConfig, peer_address: PeerAddress = None
) -> AcceptDecision:
    """Judge ``rq`` (PS3.8 §7.1.1, §9.3.2) against ``config``: :class:`Accept` or :class:`Reject`.

    Each presentation context gets a result (PS3.8 Table 9-18): 3 when the abstract syntax is
    not supported, 4 when no proposed transfer syntax is, 1 when role selection leaves the
    requestor no role, else 0 with the transfer syntax ``config.prefer`` picks. Repeated context
    IDs are answered once (the first); UIDs are compared without their padding.
    """
    refused = _check_peer(rq, config, peer_address)
    if refused is not None:
        return refused
    problems: list[NegotiationProblem] = []
    identity_result = _check_identity(rq, config, problems)
    if isinstance(identity_result, Reject):
        return identity_result
    identity, identity_response = identity_result
    if config.association_check is not None:
        rj = config.association_check(rq, peer_address)
        if rj is not None:
            return Reject(pdu=rj, message="refused by association_check")

    supported = {cx.abstract_syntax: cx for cx in config.supported_contexts}
    proposals = _role_proposals(rq.role_selections, problems)
    items: list[PresentationContextACItem] = []
    accepted: dict[int, AcceptedContext] = {}
    rejected: list[RejectedContext] = []
    replies: dict[str, RoleSelection] = {}
    common: dict[str, SOPClassCommonExtendedNegotiationSubItem] = {}
    for item in rq.sop_class_common_extended_negotiations:
        common.setdefault(strip_uid(item.sop_class_uid), item)
    answered: set[int] = set()
    for pc in rq.presentation_contexts:
        cid = pc.context_id
        if cid in answered:
            problems.append(
                NegotiationProblem(Problem.DUPLICATE_CONTEXT_ID, f"context ID {cid} repeated", cid)
            )
            continue
        if cid % 2 == 0:
            problems.append(
                NegotiationProblem(Problem.EVEN_CONTEXT_ID, f"context ID {cid} is even", cid)
            )
        answered.add(cid)
        abstract = strip_uid(pc.abstract_syntax)
        proposed = tuple(strip_uid(ts) for ts in pc.transfer_syntaxes)
        if not proposed:
            problems.append(
                NegotiationProblem(Problem.NO_TRANSFER_SYNTAX, f"context {cid}: no TS", cid)
            )
        policy = _policy_for(abstract, supported, common, config)
        chosen = None
        if policy is None:
            result = ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED
        else:
            chosen = choose_transfer_syntax(policy.transfer_syntaxes, proposed, config.prefer)
            result = (
                ContextResult.ACCEPTANCE
                if chosen is not None
                else ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED
            )
        roles = (True, False)
        if chosen is not None and policy is not None and policy.scu_role is not None:
            offer = proposals.get(abstract)
            if offer is not None:
                roles = (offer[0] and bool(policy.scu_role), offer[1] and bool(policy.scp_role))
                if roles == (False, False):
                    result = ContextResult.USER_REJECTION
                else:
                    replies[abstract] = RoleSelection(abstract, *roles)
        if result is ContextResult.ACCEPTANCE and chosen is not None:
            accepted[cid] = AcceptedContext(
                context_id=cid,
                abstract_syntax=abstract,
                transfer_syntax=chosen,
                requestor_is_scu=roles[0],
                requestor_is_scp=roles[1],
            )
            echo = chosen
        else:
            rejected.append(
                RejectedContext(context_id=cid, abstract_syntax=abstract, result=result)
            )
            echo = pc.transfer_syntaxes[0] if pc.transfer_syntaxes else _IMPLICIT_VR_LE
        items.append(
            PresentationContextACItem(context_id=cid, result=int(result), transfer_syntax=echo)
        )

    if config.reject_without_accepted_contexts and not accepted:
        return _reject(REASON_NO_REASON, "no presentation context accepted")

    subs: list[UserInformationSubItem] = [
        MaximumLengthSubItem(config.max_pdu_length),
        ImplementationClassUIDSubItem(config.implementation_class_uid),
    ]
    window = AsynchronousOperationsWindow()
    proposed_window = window_of(rq)
    if proposed_window is not None and config.asynchronous_operations_window is not None:
        window = narrow_window(proposed_window, config.asynchronous_operations_window)
        subs.append(window.to_sub_item())
    subs.extend(role.to_sub_item() for role in replies.values())
    if config.implementation_version_name is not None:
        subs.append(ImplementationVersionNameSubItem(config.implementation_version_name))
    extended = _extended_replies(rq, config, accepted)
    subs.extend(extended)
    if identity_response is not None:
        subs.append(UserIdentityACSubItem(identity_response))

    peer_max = rq.max_length
    if peer_max is None:
        problems.append(NegotiationProblem(Problem.MISSING_MAXIMUM_LENGTH, "RQ has no max length"))
    ac = AAssociateAC(
        called_ae_title=rq.called_ae_title,
        calling_ae_title=rq.calling_ae_title,
        presentation_contexts=tuple(items),
        user_information=UserInformationItem(tuple(subs)),
    )
    negotiated = NegotiatedAssociation(
        local_is_requestor=False,
        calling_ae_title=rq.calling_ae_title.strip(" "),
        called_ae_title=rq.called_ae_title.strip(" "),
        accepted=accepted,
        rejected=tuple(sorted(rejected, key=lambda r: r.context_id)),
        peer_max_pdu_length=peer_max or 0,
        local_max_pdu_length=config.max_pdu_length,
        peer_implementation_class_uid=rq.implementation_class_uid,
        peer_implementation_version_name=rq.implementation_version_name,
        asynchronous_operations_window=window,
        user_identity=identity,
        user_identity_response=identity_response,
        sop_class_extended_negotiations=tuple(extended),
        sop_class_common_extended_negotiations=rq.sop_class_common_extended_negotiations,
        problems=tuple(problems),
    )
    return Accept(pdu=ac, negotiated=negotiated)


def _extended_replies(
    rq: AAssociateRQ, config: AcceptorConfig, accepted: dict[int, AcceptedContext]
) -> list[SOPClassExtendedNegotiationSubItem]:
    """PS3.7 D.3.3.5: at most one reply per proposed SOP class, only for accepted ones."""
    hook = config.sop_class_extended_negotiation
    if hook is None:
        return []
    usable = {cx.abstract_syntax for cx in accepted.values()}
    out: dict[str, SOPClassExtendedNegotiationSubItem] = {}
    for item in rq.sop_class_extended_negotiations:
        uid = strip_uid(item.sop_class_uid)
        if uid not in usable or uid in out:
            continue
        info = hook(item)
        if info is not None:
            out[uid] = SOPClassExtendedNegotiationSubItem(uid, info)
    return list(out.values())
