"""The association acceptor's policy (PS3.8 §7.1.1, PS3.7 Annex D.3.3) as a frozen value.

:class:`AcceptorConfig` says whom we talk to (AE titles, peer addresses, user identity), what we
support (abstract syntaxes, each with the transfer syntaxes we accept in our order of preference,
and the SCP/SCU roles we let the requestor take) and what we announce (maximum PDU length,
implementation, asynchronous operations window). Hooks are plain callables; nothing is global.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Literal

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.acse.config import (
    DEFAULT_MAX_PDU_LENGTH,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    AsynchronousOperationsWindow,
    NegotiationConfigError,
    UserIdentity,
    str_tuple,
)
from dicomnet.pdu import (
    AAssociateRJ,
    AAssociateRQ,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
)
from dicomnet.uid import is_valid_uid

__all__ = [
    "AcceptorConfig",
    "AddressCheck",
    "AssociationCheck",
    "CommonExtendedNegotiationHook",
    "ExtendedNegotiationHook",
    "IPNetwork",
    "IdentityDecision",
    "PeerAddress",
    "Preference",
    "SupportedContext",
    "UserIdentityCheck",
    "peer_ip",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: A peer address as a transport reports it: ``"host"``, ``(host, port)`` or IPv6's 4-tuple.
PeerAddress = str | tuple[str, int] | tuple[str, int, int, int] | None
Preference = Literal["acceptor", "requestor"]


@attrs.frozen(repr=False)
class IdentityDecision:
    """The user identity hook's verdict (PS3.7 D.3.3.7).

    ``server_response`` is sent in the User Identity AC sub-item when the requestor asked for a
    positive response (for Kerberos, SAML and JWT it carries the server's token; for types 1
    and 2 the standard wants it empty).
    """

    __repr__ = attrs_repr

    accepted: bool
    server_response: bytes = b""


#: ``(peer_ip or None, peer_address as given) -> allowed``.
AddressCheck = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address | None, PeerAddress], bool]
#: ``(identity or None when the sub-item is malformed, calling AE title) -> decision``.
UserIdentityCheck = Callable[[UserIdentity | None, str], IdentityDecision]
#: A proposed SOP Class Extended Negotiation item -> the reply's application information, or
#: ``None`` to send no reply for that SOP class (PS3.7 D.3.3.5).
ExtendedNegotiationHook = Callable[[SOPClassExtendedNegotiationSubItem], bytes | None]
#: A SOP Class Common Extended Negotiation item for an abstract syntax we do not support ->
#: the supported abstract syntax whose policy to apply to it, or ``None`` (PS3.7 D.3.3.6).
CommonExtendedNegotiationHook = Callable[[SOPClassCommonExtendedNegotiationSubItem], str | None]
#: Last word on an otherwise acceptable RQ: an A-ASSOCIATE-RJ to send, or ``None`` to go on.
AssociationCheck = Callable[[AAssociateRQ, PeerAddress], AAssociateRJ | None]


def _networks(values: Iterable[str | IPNetwork] | None) -> tuple[IPNetwork, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = (values,)
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def _denied(values: Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    return _networks(values) or ()


def peer_ip(peer_address: PeerAddress) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address in ``peer_address``; IPv4-mapped IPv6 addresses become IPv4; ``None`` when
    there is none or it is not an IP literal."""
    host = peer_address[0] if isinstance(peer_address, tuple) else peer_address
    if not isinstance(host, str):
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _roles_pair(instance: SupportedContext, _attribute: object, value: bool | None) -> None:
    if (instance.scu_role is None) != (instance.scp_role is None):
        raise NegotiationConfigError(
            f"{instance.abstract_syntax}: set both scu_role and scp_role, or neither"
        )


@attrs.frozen(repr=False)
class SupportedContext:
    """An abstract syntax we accept, with its transfer syntaxes in OUR order of preference.

    ``scu_role`` / ``scp_role`` are the SCP/SCU Role Selection policy (PS3.7 D.3.3.4): whether we
    accept the requestor's proposal to act as SCU / as SCP for this SOP class. ``None`` for both
    (the default) means no role negotiation: proposals are not answered and the default roles
    apply (requestor SCU, acceptor SCP).
    """

    __repr__ = attrs_repr

    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...] = attrs.field(converter=str_tuple)
    scu_role: bool | None = attrs.field(default=None, kw_only=True)
    scp_role: bool | None = attrs.field(default=None, kw_only=True, validator=_roles_pair)


def _supported(values: Iterable[SupportedContext]) -> tuple[SupportedContext, ...]:
    out = tuple(values)
    seen: set[str] = set()
    valid: set[str] = set()  # the same transfer syntaxes recur in every context: check each once
    for cx in out:
        for uid in (cx.abstract_syntax, *cx.transfer_syntaxes):
            if uid not in valid:
                if not is_valid_uid(uid):
                    raise NegotiationConfigError(
                        f"{uid!r} in supported contexts is not a valid UID"
                    )
                valid.add(uid)
        if cx.abstract_syntax in seen:
            raise NegotiationConfigError(f"abstract syntax {cx.abstract_syntax} listed twice")
        seen.add(cx.abstract_syntax)
    return out


def _ae_titles(values: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = (values,)
    return tuple(v.strip(" ") for v in values)


def _optional_ae_titles(values: Iterable[str] | str | None) -> frozenset[str] | None:
    return None if values is None else frozenset(_ae_titles(values))


@attrs.frozen(kw_only=True, repr=False)
class AcceptorConfig:
    """What the association acceptor accepts (PS3.8 §7.1.1, PS3.7 Annex D.3.3).

    Checks, in order, each rejecting with PS3.8 Table 9-21's result/source/reason:

    1. peer address (``denied_networks``, ``allowed_networks``, ``address_check``): 1/1/1;
    2. application context name is DICOM's: 1/1/2;
    3. called AE title is one of ``ae_titles`` (only when ``require_called_ae_title``): 1/1/7;
    4. calling AE title is in ``allowed_calling_ae_titles`` (``None``: any): 1/1/3;
    5. user identity (``user_identity_check``; ``require_user_identity``): 1/1/1;
    6. ``association_check`` (any RJ it returns);
    7. with ``reject_without_accepted_contexts``, no context accepted: 1/1/1.

    ``prefer`` picks the transfer syntax when several are acceptable: ``"acceptor"`` (DCMTK's
    ``+x`` options; our order in ``supported_contexts`` wins) or ``"requestor"`` (the first
    acceptable one in the proposal's order).
    """

    __repr__ = attrs_repr

    ae_titles: tuple[str, ...] = attrs.field(default=(), converter=_ae_titles)
    require_called_ae_title: bool = False
    allowed_calling_ae_titles: frozenset[str] | None = attrs.field(
        default=None, converter=_optional_ae_titles
    )
    allowed_networks: tuple[IPNetwork, ...] | None = attrs.field(default=None, converter=_networks)
    denied_networks: tuple[IPNetwork, ...] = attrs.field(default=(), converter=_denied)
    address_check: AddressCheck | None = None
    supported_contexts: tuple[SupportedContext, ...] = attrs.field(default=(), converter=_supported)
    prefer: Preference = attrs.field(default="acceptor")
    max_pdu_length: int = DEFAULT_MAX_PDU_LENGTH
    implementation_class_uid: str = IMPLEMENTATION_CLASS_UID
    implementation_version_name: str | None = IMPLEMENTATION_VERSION_NAME
    asynchronous_operations_window: AsynchronousOperationsWindow | None = None
    user_identity_check: UserIdentityCheck | None = None
    require_user_identity: bool = False
    sop_class_extended_negotiation: ExtendedNegotiationHook | None = None
    sop_class_common_extended_negotiation: CommonExtendedNegotiationHook | None = None
    association_check: AssociationCheck | None = None
    reject_without_accepted_contexts: bool = False

    @prefer.validator
    def _check_prefer(self, _attribute: object, value: str) -> None:
        if value not in ("acceptor", "requestor"):
            raise NegotiationConfigError(f"prefer must be 'acceptor' or 'requestor', not {value!r}")

    def __attrs_post_init__(self) -> None:
        if self.require_called_ae_title and not self.ae_titles:
            raise NegotiationConfigError("require_called_ae_title needs at least one AE title")
        if not 0 <= self.max_pdu_length <= 0xFFFFFFFF:
            raise NegotiationConfigError(f"max PDU length {self.max_pdu_length} is not 32-bit")
        name = self.implementation_version_name
        if name is not None and (not 1 <= len(name) <= 16 or not name.isascii()):
            raise NegotiationConfigError(f"implementation version name {name!r}: 1-16 ASCII chars")

    def address_allowed(self, peer_address: PeerAddress) -> bool:
        """Whether ``peer_address`` passes the deny list, the allow list and the hook.

        An address that is not an IP literal passes only when no network list is set.
        """
        ip = peer_ip(peer_address)
        if self.denied_networks or self.allowed_networks is not None:
            if ip is None:
                return False
            if any(ip in net for net in self.denied_networks):
                return False
            if self.allowed_networks is not None and not any(
                ip in net for net in self.allowed_networks
            ):
                return False
        return self.address_check is None or bool(self.address_check(ip, peer_address))
