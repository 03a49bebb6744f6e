"""PS3.8 §7.1 and PS3.7 Annex D association negotiation (ACSE), as pure functions.

Requestor: :class:`RequestorConfig` -> :func:`build_associate_rq` -> (the UL sends it) ->
:func:`negotiate_as_requestor` on the A-ASSOCIATE-AC. Acceptor: :func:`negotiate_as_acceptor`
judges an A-ASSOCIATE-RQ against an :class:`AcceptorConfig` and returns :class:`Accept` (with the
AC to send) or :class:`Reject` (with the RJ). Both sides end with a :class:`NegotiatedAssociation`.
"""

from __future__ import annotations

from dicomnet.acse.config import (
    DEFAULT_MAX_PDU_LENGTH,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    MAX_PRESENTATION_CONTEXTS,
    AsynchronousOperationsWindow,
    NegotiationConfigError,
    ProposedContext,
    RequestorConfig,
    RoleSelection,
    UserIdentity,
    UserIdentityType,
    build_associate_rq,
    strip_uid,
)
from dicomnet.acse.negotiation import choose_transfer_syntax, narrow_window, negotiate_as_acceptor
from dicomnet.acse.policy import (
    AcceptorConfig,
    AddressCheck,
    AssociationCheck,
    CommonExtendedNegotiationHook,
    ExtendedNegotiationHook,
    IdentityDecision,
    PeerAddress,
    Preference,
    SupportedContext,
    UserIdentityCheck,
    peer_ip,
)
from dicomnet.acse.requestor import NegotiationError, negotiate_as_requestor
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
    Role,
)

__all__ = [
    "DEFAULT_MAX_PDU_LENGTH",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "MAX_PRESENTATION_CONTEXTS",
    "Accept",
    "AcceptDecision",
    "AcceptedContext",
    "AcceptorConfig",
    "AddressCheck",
    "AssociationCheck",
    "AsynchronousOperationsWindow",
    "CommonExtendedNegotiationHook",
    "ContextResult",
    "ExtendedNegotiationHook",
    "IdentityDecision",
    "NegotiatedAssociation",
    "NegotiationConfigError",
    "NegotiationError",
    "NegotiationProblem",
    "PeerAddress",
    "Preference",
    "Problem",
    "ProposedContext",
    "Reject",
    "RejectedContext",
    "RequestorConfig",
    "Role",
    "RoleSelection",
    "SupportedContext",
    "UserIdentity",
    "UserIdentityCheck",
    "UserIdentityType",
    "build_associate_rq",
    "choose_transfer_syntax",
    "narrow_window",
    "negotiate_as_acceptor",
    "negotiate_as_requestor",
    "peer_ip",
    "strip_uid",
]
