"""PS3.8 §7.1 and PS3.7 Annex D association negotiation (ACSE), as pure functions.

Requestor: :class:`RequestorConfig` -> :func:`build_associate_rq` -> (the UL sends it) ->
:func:`negotiate_as_requestor` on the A-ASSOCIATE-AC. Acceptor: :func:`negotiate_as_acceptor`
judges an A-ASSOCIATE-RQ against an :class:`AcceptorConfig` and returns :class:`Accept` (with the
AC to send) or :class:`Reject` (with the RJ). Both sides end with a :class:`NegotiatedAssociation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet._lazy import lazy_exports

if TYPE_CHECKING:
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
    from dicomnet.acse.negotiation import (
        choose_transfer_syntax,
        narrow_window,
        negotiate_as_acceptor,
    )
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

#: Where each public name lives; loaded on first access (PEP 562), so importing one submodule
#: does not import its siblings.
_EXPORTS: Final = {
    "DEFAULT_MAX_PDU_LENGTH": "dicomnet.acse.config",
    "IMPLEMENTATION_CLASS_UID": "dicomnet.acse.config",
    "IMPLEMENTATION_VERSION_NAME": "dicomnet.acse.config",
    "MAX_PRESENTATION_CONTEXTS": "dicomnet.acse.config",
    "AsynchronousOperationsWindow": "dicomnet.acse.config",
    "NegotiationConfigError": "dicomnet.acse.config",
    "ProposedContext": "dicomnet.acse.config",
    "RequestorConfig": "dicomnet.acse.config",
    "RoleSelection": "dicomnet.acse.config",
    "UserIdentity": "dicomnet.acse.config",
    "UserIdentityType": "dicomnet.acse.config",
    "build_associate_rq": "dicomnet.acse.config",
    "strip_uid": "dicomnet.acse.config",
    "choose_transfer_syntax": "dicomnet.acse.negotiation",
    "narrow_window": "dicomnet.acse.negotiation",
    "negotiate_as_acceptor": "dicomnet.acse.negotiation",
    "AcceptorConfig": "dicomnet.acse.policy",
    "AddressCheck": "dicomnet.acse.policy",
    "AssociationCheck": "dicomnet.acse.policy",
    "CommonExtendedNegotiationHook": "dicomnet.acse.policy",
    "ExtendedNegotiationHook": "dicomnet.acse.policy",
    "IdentityDecision": "dicomnet.acse.policy",
    "PeerAddress": "dicomnet.acse.policy",
    "Preference": "dicomnet.acse.policy",
    "SupportedContext": "dicomnet.acse.policy",
    "UserIdentityCheck": "dicomnet.acse.policy",
    "peer_ip": "dicomnet.acse.policy",
    "NegotiationError": "dicomnet.acse.requestor",
    "negotiate_as_requestor": "dicomnet.acse.requestor",
    "Accept": "dicomnet.acse.result",
    "AcceptDecision": "dicomnet.acse.result",
    "AcceptedContext": "dicomnet.acse.result",
    "ContextResult": "dicomnet.acse.result",
    "NegotiatedAssociation": "dicomnet.acse.result",
    "NegotiationProblem": "dicomnet.acse.result",
    "Problem": "dicomnet.acse.result",
    "Reject": "dicomnet.acse.result",
    "RejectedContext": "dicomnet.acse.result",
    "Role": "dicomnet.acse.result",
}


if not TYPE_CHECKING:  # type checkers see the imports above, never an Any-typed fallback
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)
