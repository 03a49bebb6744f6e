"""Sans-IO association: upper layer, ACSE and DIMSE composed (PS3.7, PS3.8).

:class:`Association` is the one object an IO adapter drives for a DICOM association (see
``docs/association.md``); :mod:`~dicomnet.association.events` holds its events and
:mod:`~dicomnet.association.provider` the DIMSE bookkeeping (message IDs, outstanding requests).
"""

from __future__ import annotations

from dicomnet.association.association import DEFAULT_MAX_SEND_BYTES, Association
from dicomnet.association.events import (
    Aborted,
    AcseTimeout,
    AssociationEvent,
    AssociationRequested,
    Closed,
    DatasetFragment,
    DimseTimeout,
    Established,
    MessageReceived,
    Rejected,
    Released,
    ReleaseRequested,
)
from dicomnet.association.provider import DimseProvider, OutstandingRequest
from dicomnet.association.states import AssociationState

__all__ = [
    "DEFAULT_MAX_SEND_BYTES",
    "Aborted",
    "AcseTimeout",
    "Association",
    "AssociationEvent",
    "AssociationRequested",
    "AssociationState",
    "Closed",
    "DatasetFragment",
    "DimseProvider",
    "DimseTimeout",
    "Established",
    "MessageReceived",
    "OutstandingRequest",
    "Rejected",
    "ReleaseRequested",
    "Released",
]
