"""Sans-IO association: upper layer, ACSE and DIMSE composed (PS3.7, PS3.8).

:class:`Association` is the one object an IO adapter drives for a DICOM association (see
``docs/association.md``); :mod:`~dicomnet.association.events` holds its events and
:mod:`~dicomnet.association.provider` the DIMSE bookkeeping (message IDs, outstanding requests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet._lazy import lazy_exports

if TYPE_CHECKING:
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

#: Where each public name lives; loaded on first access (PEP 562), so importing one submodule
#: does not import its siblings.
_EXPORTS: Final = {
    "DEFAULT_MAX_SEND_BYTES": "dicomnet.association.association",
    "Association": "dicomnet.association.association",
    "Aborted": "dicomnet.association.events",
    "AcseTimeout": "dicomnet.association.events",
    "AssociationEvent": "dicomnet.association.events",
    "AssociationRequested": "dicomnet.association.events",
    "Closed": "dicomnet.association.events",
    "DatasetFragment": "dicomnet.association.events",
    "DimseTimeout": "dicomnet.association.events",
    "Established": "dicomnet.association.events",
    "MessageReceived": "dicomnet.association.events",
    "Rejected": "dicomnet.association.events",
    "Released": "dicomnet.association.events",
    "ReleaseRequested": "dicomnet.association.events",
    "DimseProvider": "dicomnet.association.provider",
    "OutstandingRequest": "dicomnet.association.provider",
    "AssociationState": "dicomnet.association.states",
}


if not TYPE_CHECKING:  # type checkers see the imports above, never an Any-typed fallback
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)
