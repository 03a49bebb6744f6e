"""Events an :class:`~dicomnet.association.Association` hands to its user (PS3.7 §7, PS3.8 §7).

The association composes the upper layer, ACSE and DIMSE, so its events are theirs at the level
an application cares about: the association was established, rejected, released or aborted; a
DIMSE message arrived, then its data set in fragments (:class:`DatasetFragment` is the DIMSE
assembler's own event, a ``memoryview`` slice of the received PDU, never copied); the transport
must be closed. ``AssociationEvent`` is the closed union: ``match`` + ``typing.assert_never`` is
exhaustive.
"""

from __future__ import annotations

from typing import TypeAlias, final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.acse import AcceptDecision, NegotiatedAssociation
from dicomnet.dimse import DatasetFragment, DimseMessage
from dicomnet.pdu import AAssociateRQ

__all__ = [
    "Aborted",
    "AcseTimeout",
    "AssociationEvent",
    "AssociationRequested",
    "Closed",
    "DatasetFragment",
    "DimseTimeout",
    "Established",
    "MessageReceived",
    "Rejected",
    "ReleaseRequested",
    "Released",
]


@final
@attrs.frozen(repr=False)
class AssociationRequested:
    """An A-ASSOCIATE-RQ arrived and the acceptor decides itself (``auto_accept=False``).

    ``decision`` is what the :class:`~dicomnet.acse.AcceptorConfig` policy would answer; reply
    with ``assoc.accept(now)`` (that decision, or another ``Accept``) or ``assoc.reject(now)``.
    """

    __repr__ = attrs_repr

    request: AAssociateRQ
    decision: AcceptDecision


@final
@attrs.frozen(repr=False)
class Established:
    """The association is established (A-ASSOCIATE-AC sent or received, PS3.8 §7.1)."""

    __repr__ = attrs_repr

    negotiated: NegotiatedAssociation


@final
@attrs.frozen(repr=False)
class Rejected:
    """The association was rejected (A-ASSOCIATE-RJ, PS3.8 §9.3.4, Table 9-21).

    ``by_peer`` is True on the requestor (the peer rejected us), False on the acceptor (we
    rejected the peer). ``detail`` says why when we know.
    """

    __repr__ = attrs_repr

    result: int
    source: int
    reason: int
    by_peer: bool = True
    detail: str = ""


@final
@attrs.frozen(repr=False)
class MessageReceived:
    """A complete DIMSE command set arrived on ``context_id`` (PS3.7 §6.3.1).

    When ``has_dataset`` is True, :class:`DatasetFragment` events follow, the last flagged.
    """

    __repr__ = attrs_repr

    context_id: int
    message: DimseMessage
    has_dataset: bool


@final
@attrs.frozen(repr=False)
class ReleaseRequested:
    """The peer asked to release the association (A-RELEASE indication, PS3.8 §7.2).

    With ``auto_release`` (the default) the association answers by itself once its queued
    messages are sent; otherwise answer with ``assoc.release_response(now)``.
    """

    __repr__ = attrs_repr


@final
@attrs.frozen(repr=False)
class Released:
    """The association was released in order (A-RELEASE-RP sent or received, PS3.8 §7.2)."""

    __repr__ = attrs_repr


@final
@attrs.frozen(repr=False)
class Aborted:
    """The association was aborted (A-ABORT or A-P-ABORT, PS3.8 §7.3, §7.4, Table 9-26).

    ``source``: 0 service-user, 2 service-provider. ``by_peer``: the peer (or its transport)
    ended it, as opposed to this side (``abort()``, a protocol error we detected, a timeout).
    ``detail`` says what happened, for logs.
    """

    __repr__ = attrs_repr

    source: int
    reason: int
    by_peer: bool
    detail: str = ""


@final
@attrs.frozen(repr=False)
class DimseTimeout:
    """A DIMSE response or the rest of a data set was awaited longer than ``dimse_timeout``.

    Always followed by :class:`Aborted` (this side aborts the association, PS3.8 §7.3).
    ``message_ids`` are our requests still awaiting a response.
    """

    __repr__ = attrs_repr

    message_ids: tuple[int, ...]
    detail: str = ""


@final
@attrs.frozen(repr=False)
class AcseTimeout:
    """The peer's A-ASSOCIATE-AC/RJ or A-RELEASE-RP was awaited longer than ``acse_timeout``.

    Always followed by :class:`Aborted` (this side aborts the association, PS3.8 §7.3).
    """

    __repr__ = attrs_repr

    detail: str = ""


@final
@attrs.frozen(repr=False)
class Closed:
    """The association is over: write ``data_to_send()``, then close the transport. Always last."""

    __repr__ = attrs_repr


AssociationEvent: TypeAlias = (
    AssociationRequested
    | Established
    | Rejected
    | MessageReceived
    | DatasetFragment
    | ReleaseRequested
    | Released
    | Aborted
    | DimseTimeout
    | AcseTimeout
    | Closed
)
