"""The outcome of association negotiation as typed values (PS3.8 §7.1.1, PS3.7 Annex D.3.3).

:class:`NegotiatedAssociation` is what both sides know once the A-ASSOCIATE-AC has been sent or
received: the accepted presentation contexts with their transfer syntax and roles, the rejected
ones with their reason, the peer's limits and implementation, and the negotiated extensions.
:class:`Accept` / :class:`Reject` are the acceptor's decision, each carrying the PDU to send.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from typing import Literal

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.acse.config import AsynchronousOperationsWindow, UserIdentity
from dicomnet.pdu import (
    AAssociateAC,
    AAssociateRJ,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
)

__all__ = [
    "Accept",
    "AcceptDecision",
    "AcceptedContext",
    "ContextResult",
    "NegotiatedAssociation",
    "NegotiationProblem",
    "Problem",
    "Reject",
    "RejectedContext",
    "Role",
]

Role = Literal["scu", "scp"]


class ContextResult(enum.IntEnum):
    """Presentation context Result/Reason (PS3.8 §9.3.3.2, Table 9-18)."""

    ACCEPTANCE = 0
    USER_REJECTION = 1
    NO_REASON = 2  # provider rejection
    ABSTRACT_SYNTAX_NOT_SUPPORTED = 3
    TRANSFER_SYNTAXES_NOT_SUPPORTED = 4


class Problem(enum.Enum):
    """Deviations from PS3.7/PS3.8 found while judging an A-ASSOCIATE-RQ or -AC."""

    DUPLICATE_CONTEXT_ID = "duplicate presentation context ID"
    EVEN_CONTEXT_ID = "even presentation context ID"
    UNKNOWN_CONTEXT_ID = "context ID that was not proposed"
    MISSING_CONTEXT = "proposed context without a result"
    INVALID_RESULT = "presentation context result outside 0-4"
    TRANSFER_SYNTAX_NOT_PROPOSED = "accepted transfer syntax that was not proposed"
    NO_TRANSFER_SYNTAX = "context without a transfer syntax"
    ROLE_NOT_PROPOSED = "role selection reply for a role or SOP class not proposed"
    DUPLICATE_ROLE_SELECTION = "two role selections for one SOP class"
    NO_ROLE = "accepted context in which the requestor has no role"
    MISSING_MAXIMUM_LENGTH = "no maximum length sub-item"
    APPLICATION_CONTEXT_CHANGED = "application context name differs from the proposal"
    WINDOW_NOT_PROPOSED = "asynchronous operations window reply without a proposal"
    WINDOW_WIDENED = "asynchronous operations window larger than proposed"
    USER_IDENTITY_NOT_REQUESTED = "user identity response that was not requested"
    INVALID_USER_IDENTITY = "user identity sub-item with invalid fields"
    EXTENDED_NEGOTIATION_NOT_PROPOSED = "extended negotiation reply for a SOP class not proposed"


@attrs.frozen(repr=False)
class NegotiationProblem:
    """One :class:`Problem`, with the context ID or UID it concerns and a readable message."""

    __repr__ = attrs_repr

    problem: Problem
    message: str
    context_id: int | None = None


@attrs.frozen(kw_only=True, repr=False)
class AcceptedContext:
    """An accepted presentation context (PS3.8 §7.1.1.13) and the roles played on it.

    ``requestor_is_scu`` / ``requestor_is_scp`` come from SCP/SCU Role Selection (PS3.7
    D.3.3.4), default SCU only. The acceptor plays the opposite roles: SCP when the requestor is
    SCU, SCU when the requestor is SCP (both when both).
    """

    __repr__ = attrs_repr

    context_id: int
    abstract_syntax: str
    transfer_syntax: str
    requestor_is_scu: bool = True
    requestor_is_scp: bool = False

    @property
    def acceptor_is_scu(self) -> bool:
        """Whether the acceptor may invoke operations on this context (requestor is SCP)."""
        return self.requestor_is_scp

    @property
    def acceptor_is_scp(self) -> bool:
        """Whether the acceptor performs operations on this context (requestor is SCU)."""
        return self.requestor_is_scu


@attrs.frozen(kw_only=True, repr=False)
class RejectedContext:
    """A presentation context that cannot be used, with the reason the acceptor gave."""

    __repr__ = attrs_repr

    context_id: int
    abstract_syntax: str
    result: ContextResult


def _frozen_mapping(value: Mapping[int, AcceptedContext]) -> Mapping[int, AcceptedContext]:
    return types.MappingProxyType(dict(value))


@attrs.frozen(kw_only=True, unsafe_hash=False, repr=False)
class NegotiatedAssociation:
    """What was agreed (PS3.8 §7.1.1, PS3.7 Annex D.3.3), seen from ``local_is_requestor``'s side.

    - ``accepted``: accepted contexts by ID; ``rejected``: the others in ID order.
    - ``peer_max_pdu_length`` / ``local_max_pdu_length``: largest P-DATA-TF PDU-length each side
      receives; 0 means unlimited.
    - ``asynchronous_operations_window``: the window agreed for the requestor (invoked /
      performed); ``1/1`` when not negotiated.
    - ``user_identity``: the identity the requestor asserted (``None`` when none);
      ``user_identity_response``: the acceptor's server response (``None`` when not sent).
    - ``sop_class_extended_negotiations``: the acceptor's replies (PS3.7 D.3.3.5);
      ``sop_class_common_extended_negotiations``: the requestor's items (D.3.3.6).
    - ``problems``: deviations tolerated on the way.
    """

    __repr__ = attrs_repr

    local_is_requestor: bool
    calling_ae_title: str
    called_ae_title: str
    accepted: Mapping[int, AcceptedContext] = attrs.field(converter=_frozen_mapping)
    rejected: tuple[RejectedContext, ...] = ()
    peer_max_pdu_length: int = 0
    local_max_pdu_length: int = 0
    peer_implementation_class_uid: str | None = None
    peer_implementation_version_name: str | None = None
    asynchronous_operations_window: AsynchronousOperationsWindow = attrs.field(
        factory=AsynchronousOperationsWindow
    )
    user_identity: UserIdentity | None = None
    user_identity_response: bytes | None = None
    sop_class_extended_negotiations: tuple[SOPClassExtendedNegotiationSubItem, ...] = ()
    sop_class_common_extended_negotiations: tuple[
        SOPClassCommonExtendedNegotiationSubItem, ...
    ] = ()
    problems: tuple[NegotiationProblem, ...] = ()

    def _plays(self, cx: AcceptedContext, role: Role) -> bool:
        if self.local_is_requestor:
            return cx.requestor_is_scu if role == "scu" else cx.requestor_is_scp
        return cx.acceptor_is_scu if role == "scu" else cx.acceptor_is_scp

    def context_for(
        self, abstract_syntax: str, transfer_syntax: str | None = None, role: Role | None = "scu"
    ) -> AcceptedContext | None:
        """The lowest-ID accepted context for ``abstract_syntax`` in which we play ``role``.

        ``transfer_syntax`` narrows to contexts with that transfer syntax; ``role`` is *our*
        role (``None``: any). ``None`` when no context matches.
        """
        for cid in sorted(self.accepted):
            cx = self.accepted[cid]
            if cx.abstract_syntax != abstract_syntax:
                continue
            if transfer_syntax is not None and cx.transfer_syntax != transfer_syntax:
                continue
            if role is not None and not self._plays(cx, role):
                continue
            return cx
        return None

    def accepted_transfer_syntaxes(self, abstract_syntax: str) -> tuple[str, ...]:
        """Each transfer syntax accepted for ``abstract_syntax``, in context ID order, once."""
        found: dict[str, None] = {}
        for cid in sorted(self.accepted):
            cx = self.accepted[cid]
            if cx.abstract_syntax == abstract_syntax:
                found.setdefault(cx.transfer_syntax)
        return tuple(found)


@attrs.frozen(kw_only=True, unsafe_hash=False, repr=False)
class Accept:
    """The acceptor accepts: send ``pdu``; ``negotiated`` is the agreed association."""

    __repr__ = attrs_repr

    pdu: AAssociateAC
    negotiated: NegotiatedAssociation


@attrs.frozen(kw_only=True, repr=False)
class Reject:
    """The acceptor rejects: send ``pdu`` (PS3.8 §9.3.4); ``message`` says why, for logs."""

    __repr__ = attrs_repr

    pdu: AAssociateRJ
    message: str


AcceptDecision = Accept | Reject
