"""The association requestor's configuration and the A-ASSOCIATE-RQ built from it.

PS3.8 §7.1.1 (A-ASSOCIATE parameters), §9.3.2 (A-ASSOCIATE-RQ), PS3.7 Annex D.3.3 (user
information sub-items). :class:`RequestorConfig` is a frozen value; :func:`build_associate_rq`
validates it and raises :class:`NegotiationConfigError` for anything the standard forbids, so an
RQ that leaves this module is one a conformant acceptor can parse.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.errors import LocalProtocolError
from dicomnet.pdu import (
    DICOM_APPLICATION_CONTEXT,
    AAssociateRQ,
    AsynchronousOperationsWindowSubItem,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    PresentationContextRQItem,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UserIdentityRQSubItem,
    UserInformationItem,
    UserInformationSubItem,
)
from dicomnet.uid import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, is_valid_uid

__all__ = [
    "DEFAULT_MAX_PDU_LENGTH",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "MAX_PRESENTATION_CONTEXTS",
    "AsynchronousOperationsWindow",
    "NegotiationConfigError",
    "ProposedContext",
    "RequestorConfig",
    "RoleSelection",
    "UserIdentity",
    "UserIdentityType",
    "build_associate_rq",
    "strip_uid",
]

#: Largest P-DATA-TF PDU-length we receive unless configured (the UL's default, DCMTK's too).
DEFAULT_MAX_PDU_LENGTH: Final = 16384
#: PS3.8 §9.3.2.2: presentation context IDs are odd integers 1-255, so at most 128 contexts.
MAX_PRESENTATION_CONTEXTS: Final = 128


class NegotiationConfigError(LocalProtocolError, ValueError):
    """A requestor or acceptor configuration that PS3.7/PS3.8 does not allow."""


def strip_uid(value: str) -> str:
    """A UID as received with its padding (trailing NUL or spaces, PS3.5 §9.1) removed."""
    return value.rstrip("\x00 ")


def str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    """A tuple of UIDs from any iterable (a lone ``str`` is one UID, not its characters)."""
    return (values,) if isinstance(values, str) else tuple(values)


def _check_ae_title(value: str, what: str) -> None:
    """PS3.5 §6.2 (AE VR): 1-16 characters, not all spaces, no backslash or control code."""
    stripped = value.strip(" ")
    if not stripped or len(value) > 16:
        raise NegotiationConfigError(f"{what} {value!r} must have 1 to 16 significant characters")
    if any(not (0x20 <= ord(c) < 0x7F) or c == "\\" for c in value):
        raise NegotiationConfigError(f"{what} {value!r} has a non-printable character or '\\'")


def _check_uid(value: str, what: str) -> None:
    if not is_valid_uid(value):
        raise NegotiationConfigError(f"{what} {value!r} is not a valid UID (PS3.5 §9.1)")


def _check_u16(value: int, what: str) -> None:
    if not 0 <= value <= 0xFFFF:
        raise NegotiationConfigError(f"{what} must be 0-65535, got {value}")


@attrs.frozen(repr=False)
class ProposedContext:
    """One presentation context to propose (PS3.8 §7.1.1.13): abstract syntax + transfer syntaxes.

    ``context_id`` is assigned by :func:`build_associate_rq` (next free odd ID) unless given.
    The same abstract syntax may appear in several contexts (DCMTK proposes one context per
    transfer syntax so that the acceptor cannot choose for it).
    """

    __repr__ = attrs_repr

    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...] = attrs.field(converter=str_tuple)
    context_id: int | None = attrs.field(default=None, kw_only=True)

    @classmethod
    def per_transfer_syntax(
        cls, abstract_syntax: str, transfer_syntaxes: Iterable[str]
    ) -> tuple[ProposedContext, ...]:
        """One context per transfer syntax for ``abstract_syntax`` (DCMTK's proposal style)."""
        return tuple(cls(abstract_syntax, (ts,)) for ts in transfer_syntaxes)


@attrs.frozen(repr=False)
class RoleSelection:
    """SCP/SCU Role Selection (PS3.7 D.3.3.4) for one SOP class.

    In a proposal: the roles the requestor offers to play. In a reply: 1 where the acceptor
    accepts the requestor's proposal of that role, 0 where it turns it down.
    """

    __repr__ = attrs_repr

    sop_class_uid: str
    scu_role: bool
    scp_role: bool

    def to_sub_item(self) -> SCPSCURoleSelectionSubItem:
        """The SCP/SCU Role Selection sub-item (54H) carrying this selection."""
        return SCPSCURoleSelectionSubItem(
            sop_class_uid=self.sop_class_uid,
            scu_role=int(self.scu_role),
            scp_role=int(self.scp_role),
        )


@attrs.frozen(repr=False)
class AsynchronousOperationsWindow:
    """Asynchronous Operations Window (PS3.7 D.3.3.3); 0 means unlimited, absent means 1/1."""

    __repr__ = attrs_repr

    max_operations_invoked: int = 1
    max_operations_performed: int = 1

    def to_sub_item(self) -> AsynchronousOperationsWindowSubItem:
        """The Asynchronous Operations Window sub-item (53H)."""
        return AsynchronousOperationsWindowSubItem(
            self.max_operations_invoked, self.max_operations_performed
        )


class UserIdentityType(enum.IntEnum):
    """User-Identity-Type of the User Identity sub-item (PS3.7 D.3.3.7.1, Table D.3-14)."""

    USERNAME = 1
    USERNAME_AND_PASSCODE = 2
    KERBEROS = 3
    SAML = 4
    JWT = 5


@attrs.frozen(kw_only=True, repr=False)
class UserIdentity:
    """User Identity Negotiation (PS3.7 D.3.3.7): what the requestor asserts about its user.

    ``primary_field`` is the username (UTF-8), Kerberos service ticket, SAML assertion or JSON
    Web Token; ``secondary_field`` the passcode, only for :attr:`~UserIdentityType.
    USERNAME_AND_PASSCODE`. Build with the class methods rather than by hand.
    """

    __repr__ = attrs_repr

    identity_type: UserIdentityType = attrs.field(converter=UserIdentityType)
    primary_field: bytes
    secondary_field: bytes = b""
    positive_response_requested: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.primary_field:
            raise NegotiationConfigError("user identity primary field must not be empty")
        if len(self.primary_field) > 0xFFFF or len(self.secondary_field) > 0xFFFF:
            raise NegotiationConfigError("user identity fields are limited to 65535 bytes")
        two = self.identity_type is UserIdentityType.USERNAME_AND_PASSCODE
        if two and not self.secondary_field:
            raise NegotiationConfigError("username and passcode identity needs a passcode")
        if not two and self.secondary_field:
            raise NegotiationConfigError(
                f"secondary field is only sent for type 2, not {self.identity_type.name}"
            )

    @classmethod
    def username(cls, name: str, *, positive_response_requested: bool = False) -> UserIdentity:
        """Type 1: a username (UTF-8)."""
        return cls(
            identity_type=UserIdentityType.USERNAME,
            primary_field=name.encode("utf-8"),
            positive_response_requested=positive_response_requested,
        )

    @classmethod
    def username_and_passcode(
        cls, name: str, passcode: str, *, positive_response_requested: bool = False
    ) -> UserIdentity:
        """Type 2: a username and a passcode (both UTF-8)."""
        return cls(
            identity_type=UserIdentityType.USERNAME_AND_PASSCODE,
            primary_field=name.encode("utf-8"),
            secondary_field=passcode.encode("utf-8"),
            positive_response_requested=positive_response_requested,
        )

    @classmethod
    def kerberos(cls, ticket: bytes, *, positive_response_requested: bool = False) -> UserIdentity:
        """Type 3: a Kerberos service ticket (PS3.15 Annex B.6)."""
        return cls(
            identity_type=UserIdentityType.KERBEROS,
            primary_field=ticket,
            positive_response_requested=positive_response_requested,
        )

    @classmethod
    def saml(cls, assertion: bytes, *, positive_response_requested: bool = False) -> UserIdentity:
        """Type 4: a SAML assertion (PS3.15 Annex B.7)."""
        return cls(
            identity_type=UserIdentityType.SAML,
            primary_field=assertion,
            positive_response_requested=positive_response_requested,
        )

    @classmethod
    def jwt(cls, token: bytes, *, positive_response_requested: bool = False) -> UserIdentity:
        """Type 5: a JSON Web Token (PS3.15 Annex B.10)."""
        return cls(
            identity_type=UserIdentityType.JWT,
            primary_field=token,
            positive_response_requested=positive_response_requested,
        )

    def to_sub_item(self) -> UserIdentityRQSubItem:
        """The User Identity Negotiation sub-item (58H)."""
        return UserIdentityRQSubItem(
            user_identity_type=int(self.identity_type),
            primary_field=self.primary_field,
            secondary_field=self.secondary_field,
            positive_response_requested=int(self.positive_response_requested),
        )

    @classmethod
    def from_sub_item(cls, item: UserIdentityRQSubItem) -> UserIdentity | None:
        """The identity a received sub-item asserts, or ``None`` when it is not a valid one."""
        try:
            return cls(
                identity_type=item.user_identity_type,
                primary_field=bytes(item.primary_field),
                secondary_field=bytes(item.secondary_field),
                positive_response_requested=item.positive_response_requested == 1,
            )
        except ValueError:  # unknown type, empty primary field, misplaced passcode
            return None


# Typed converters: with ``converter=tuple`` mypy cannot infer the accepted argument type.
def _contexts(value: Iterable[ProposedContext]) -> tuple[ProposedContext, ...]:
    return tuple(value)


def _roles(value: Iterable[RoleSelection]) -> tuple[RoleSelection, ...]:
    return tuple(value)


def _extended(
    value: Iterable[SOPClassExtendedNegotiationSubItem],
) -> tuple[SOPClassExtendedNegotiationSubItem, ...]:
    return tuple(value)


def _common_extended(
    value: Iterable[SOPClassCommonExtendedNegotiationSubItem],
) -> tuple[SOPClassCommonExtendedNegotiationSubItem, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True, repr=False)
class RequestorConfig:
    """What the association requestor proposes (PS3.8 §7.1.1, PS3.7 Annex D.3.3).

    - ``presentation_contexts``: contexts in proposal order (1 to 128).
    - ``role_selections``: SCP/SCU Role Selection proposals, one per SOP class at most.
    - ``max_pdu_length``: the largest P-DATA-TF PDU-length we receive (0 = unlimited).
    - ``asynchronous_operations_window``: ``None`` sends no item (synchronous, 1/1).
    - ``sop_class_extended_negotiations`` / ``sop_class_common_extended_negotiations``: the
      sub-items as they are to be sent (PS3.7 D.3.3.5, D.3.3.6).
    """

    __repr__ = attrs_repr

    calling_ae_title: str
    called_ae_title: str
    presentation_contexts: tuple[ProposedContext, ...] = attrs.field(converter=_contexts)
    role_selections: tuple[RoleSelection, ...] = attrs.field(default=(), converter=_roles)
    max_pdu_length: int = DEFAULT_MAX_PDU_LENGTH
    implementation_class_uid: str = IMPLEMENTATION_CLASS_UID
    implementation_version_name: str | None = IMPLEMENTATION_VERSION_NAME
    asynchronous_operations_window: AsynchronousOperationsWindow | None = None
    user_identity: UserIdentity | None = None
    sop_class_extended_negotiations: tuple[SOPClassExtendedNegotiationSubItem, ...] = attrs.field(
        default=(), converter=_extended
    )
    sop_class_common_extended_negotiations: tuple[SOPClassCommonExtendedNegotiationSubItem, ...] = (
        attrs.field(default=(), converter=_common_extended)
    )
    application_context: str = DICOM_APPLICATION_CONTEXT


def assign_context_ids(contexts: tuple[ProposedContext, ...]) -> tuple[int, ...]:
    """Context IDs for ``contexts``: the given ones kept, the rest the next free odd IDs.

    Raises :class:`NegotiationConfigError` for more than 128 contexts, an even, out-of-range or
    repeated explicit ID (PS3.8 §9.3.2.2).
    """
    count = len(contexts)
    if count == 0:
        raise NegotiationConfigError("at least one presentation context must be proposed")
    if count > MAX_PRESENTATION_CONTEXTS:
        raise NegotiationConfigError(
            f"{count} presentation contexts proposed; PS3.8 §9.3.2.2 allows at most "
            f"{MAX_PRESENTATION_CONTEXTS} (odd context IDs 1-255)"
        )
    taken: set[int] = set()
    for cx in contexts:
        cid = cx.context_id
        if cid is None:
            continue
        if not (1 <= cid <= 255 and cid % 2 == 1):
            raise NegotiationConfigError(f"presentation context ID {cid} is not odd in 1-255")
        if cid in taken:
            raise NegotiationConfigError(f"presentation context ID {cid} is used twice")
        taken.add(cid)
    free = (n for n in range(1, 256, 2) if n not in taken)
    return tuple(cx.context_id if cx.context_id is not None else next(free) for cx in contexts)


def _user_information(config: RequestorConfig) -> UserInformationItem:
    if not 0 <= config.max_pdu_length <= 0xFFFFFFFF:
        raise NegotiationConfigError(f"max PDU length {config.max_pdu_length} is not 32-bit")
    _check_uid(config.implementation_class_uid, "implementation class UID")
    subs: list[UserInformationSubItem] = [
        MaximumLengthSubItem(config.max_pdu_length),
        ImplementationClassUIDSubItem(config.implementation_class_uid),
    ]
    window = config.asynchronous_operations_window
    if window is not None:
        _check_u16(window.max_operations_invoked, "max operations invoked")
        _check_u16(window.max_operations_performed, "max operations performed")
        subs.append(window.to_sub_item())
    seen: set[str] = set()
    for role in config.role_selections:
        _check_uid(role.sop_class_uid, "role selection SOP class UID")
        if role.sop_class_uid in seen:
            raise NegotiationConfigError(
                f"two role selections for {role.sop_class_uid} (PS3.7 D.3.3.4 allows one)"
            )
        seen.add(role.sop_class_uid)
        subs.append(role.to_sub_item())
    name = config.implementation_version_name
    if name is not None:
        if not 1 <= len(name) <= 16 or not name.isascii():
            raise NegotiationConfigError(f"implementation version name {name!r}: 1-16 ASCII chars")
        subs.append(ImplementationVersionNameSubItem(name))
    for ext in config.sop_class_extended_negotiations:
        _check_uid(ext.sop_class_uid, "extended negotiation SOP class UID")
        subs.append(ext)
    for common in config.sop_class_common_extended_negotiations:
        _check_uid(common.sop_class_uid, "common extended negotiation SOP class UID")
        _check_uid(common.service_class_uid, "common extended negotiation service class UID")
        for related in common.related_general_sop_class_uids:
            _check_uid(related, "related general SOP class UID")
        subs.append(common)
    if config.user_identity is not None:
        subs.append(config.user_identity.to_sub_item())
    return UserInformationItem(tuple(subs))


def build_associate_rq(config: RequestorConfig) -> AAssociateRQ:
    """The A-ASSOCIATE-RQ PDU (PS3.8 §9.3.2) proposing ``config``.

    User information sub-items go in the order of PS3.7 Annex D (maximum length, implementation
    class UID, asynchronous operations window, role selections, version name, extended
    negotiation, common extended negotiation, user identity). Raises
    :class:`NegotiationConfigError` for an invalid configuration.
    """
    _check_ae_title(config.calling_ae_title, "calling AE title")
    _check_ae_title(config.called_ae_title, "called AE title")
    _check_uid(config.application_context, "application context name")
    ids = assign_context_ids(config.presentation_contexts)
    items = []
    for cid, cx in zip(ids, config.presentation_contexts, strict=True):
        _check_uid(cx.abstract_syntax, f"abstract syntax of context {cid}")
        if not cx.transfer_syntaxes:
            raise NegotiationConfigError(f"presentation context {cid} has no transfer syntax")
        for ts in cx.transfer_syntaxes:
            _check_uid(ts, f"transfer syntax of context {cid}")
        items.append(
            PresentationContextRQItem(
                context_id=cid,
                abstract_syntax=cx.abstract_syntax,
                transfer_syntaxes=cx.transfer_syntaxes,
            )
        )
    return AAssociateRQ(
        called_ae_title=config.called_ae_title,
        calling_ae_title=config.calling_ae_title,
        application_context=config.application_context,
        presentation_contexts=tuple(items),
        user_information=_user_information(config),
    )
