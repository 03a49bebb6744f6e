"""Events the upper layer hands to its user: the PS3.8 §7 service primitives, as typed values.

Each class is an indication or confirmation primitive named as in the standard (PS3.8 §7.1-§7.6),
plus two transport events: :class:`TransportConnectRequested` (AE-1 asks the IO adapter to open
the connection) and :class:`TransportClosed` (the association is over and the transport must be
closed; always the last event of a connection). ``ULEvent`` is the closed union, so
``match`` + ``typing.assert_never`` is exhaustive. Don't subclass these.
"""

from __future__ import annotations

from typing import TypeAlias, final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.pdu import AAssociateAC, AAssociateRJ, AAssociateRQ, PresentationDataValue

__all__ = [
    "AAbortIndication",
    "AAssociateAccepted",
    "AAssociateIndication",
    "AAssociateRejected",
    "APAbortIndication",
    "AReleaseConfirmation",
    "AReleaseIndication",
    "PDataIndication",
    "TransportClosed",
    "TransportConnectRequested",
    "ULEvent",
]


@final
@attrs.frozen(repr=False)
class TransportConnectRequested:
    """TRANSPORT CONNECT request primitive (AE-1, PS3.8 §9.1.2): open the connection now."""

    __repr__ = attrs_repr


@final
@attrs.frozen(repr=False)
class AAssociateIndication:
    """A-ASSOCIATE indication (PS3.8 §7.1, AE-6): the peer's A-ASSOCIATE-RQ, to accept or reject."""

    __repr__ = attrs_repr

    pdu: AAssociateRQ


@final
@attrs.frozen(repr=False)
class AAssociateAccepted:
    """A-ASSOCIATE confirmation, accepted (PS3.8 §7.1, AE-3): the peer's A-ASSOCIATE-AC."""

    __repr__ = attrs_repr

    pdu: AAssociateAC


@final
@attrs.frozen(repr=False)
class AAssociateRejected:
    """A-ASSOCIATE confirmation, rejected (PS3.8 §7.1, AE-4): the peer's A-ASSOCIATE-RJ."""

    __repr__ = attrs_repr

    pdu: AAssociateRJ

    @property
    def result(self) -> int:
        """1 rejected-permanent, 2 rejected-transient (PS3.8 Table 9-21)."""
        return self.pdu.result

    @property
    def source(self) -> int:
        """1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation)."""
        return self.pdu.source

    @property
    def reason(self) -> int:
        """Reason/Diag. (PS3.8 Table 9-21), meaningful together with ``source``."""
        return self.pdu.reason


@final
@attrs.frozen(repr=False, unsafe_hash=False)
class PDataIndication:
    """P-DATA indication (PS3.8 §7.6, DT-2 and AR-6): the PDVs of one received P-DATA-TF PDU.

    The PDV data are ``memoryview`` slices of the received PDU (no copy); not hashable.
    """

    __repr__ = attrs_repr

    pdvs: tuple[PresentationDataValue, ...]


@final
@attrs.frozen(repr=False)
class AReleaseIndication:
    """A-RELEASE indication (PS3.8 §7.2, AR-2 and AR-8): answer with an A-RELEASE-RP."""

    __repr__ = attrs_repr


@final
@attrs.frozen(repr=False)
class AReleaseConfirmation:
    """A-RELEASE confirmation (PS3.8 §7.2, AR-3 and AR-10): the peer's A-RELEASE-RP arrived."""

    __repr__ = attrs_repr


@final
@attrs.frozen(repr=False)
class AAbortIndication:
    """A-ABORT indication (PS3.8 §7.3, AA-3): the peer's service-user aborted (source 0)."""

    __repr__ = attrs_repr

    source: int
    reason: int


@final
@attrs.frozen(repr=False)
class APAbortIndication:
    """A-P-ABORT indication (PS3.8 §7.4; AA-3, AA-4, AA-8): the association ended abnormally.

    ``reason`` uses the A-ABORT PDU's Reason/Diag. values (PS3.8 Table 9-26: 0 not specified,
    1 unrecognized PDU, 2 unexpected PDU, 4 unrecognized PDU parameter, 5 unexpected PDU
    parameter, 6 invalid PDU parameter value); ``detail`` says what happened, for logs.
    """

    __repr__ = attrs_repr

    reason: int
    detail: str = ""


@final
@attrs.frozen(repr=False)
class TransportClosed:
    """The association no longer exists and the transport connection is (to be) closed."""

    __repr__ = attrs_repr


ULEvent: TypeAlias = (
    TransportConnectRequested
    | AAssociateIndication
    | AAssociateAccepted
    | AAssociateRejected
    | PDataIndication
    | AReleaseIndication
    | AReleaseConfirmation
    | AAbortIndication
    | APAbortIndication
    | TransportClosed
)
