"""PS3.8 §9.2 upper-layer protocol state machine, sans-IO.

``ULConnection(role, config, now=...)`` runs PS3.8 Table 9-10 for one transport connection: feed it
bytes (``receive_data``), time (``handle_timer``) and the user's primitives (``send``); read back
events (``next_event``), bytes (``data_to_send``), ``timer_deadline`` and ``must_close``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet._lazy import lazy_exports

if TYPE_CHECKING:
    from dicomnet.ul.config import ULConfig
    from dicomnet.ul.connection import ULConnection
    from dicomnet.ul.events import (
        AAbortIndication,
        AAssociateAccepted,
        AAssociateIndication,
        AAssociateRejected,
        APAbortIndication,
        AReleaseConfirmation,
        AReleaseIndication,
        PDataIndication,
        TransportClosed,
        TransportConnectRequested,
        ULEvent,
    )
    from dicomnet.ul.states import Action, Evt, EvtSource, Role, State
    from dicomnet.ul.table import ACTION_SPECS, TRANSITIONS, ActionSpec
    from dicomnet.ul.trace import Transition, TransitionTrace

__all__ = [
    "ACTION_SPECS",
    "TRANSITIONS",
    "AAbortIndication",
    "AAssociateAccepted",
    "AAssociateIndication",
    "AAssociateRejected",
    "APAbortIndication",
    "AReleaseConfirmation",
    "AReleaseIndication",
    "Action",
    "ActionSpec",
    "Evt",
    "EvtSource",
    "PDataIndication",
    "Role",
    "State",
    "Transition",
    "TransitionTrace",
    "TransportClosed",
    "TransportConnectRequested",
    "ULConfig",
    "ULConnection",
    "ULEvent",
]

#: Where each public name lives; loaded on first access (PEP 562), so importing one submodule
#: does not import its siblings.
_EXPORTS: Final = {
    "ULConfig": "dicomnet.ul.config",
    "ULConnection": "dicomnet.ul.connection",
    "AAbortIndication": "dicomnet.ul.events",
    "AAssociateAccepted": "dicomnet.ul.events",
    "AAssociateIndication": "dicomnet.ul.events",
    "AAssociateRejected": "dicomnet.ul.events",
    "APAbortIndication": "dicomnet.ul.events",
    "AReleaseConfirmation": "dicomnet.ul.events",
    "AReleaseIndication": "dicomnet.ul.events",
    "PDataIndication": "dicomnet.ul.events",
    "TransportClosed": "dicomnet.ul.events",
    "TransportConnectRequested": "dicomnet.ul.events",
    "ULEvent": "dicomnet.ul.events",
    "Action": "dicomnet.ul.states",
    "Evt": "dicomnet.ul.states",
    "EvtSource": "dicomnet.ul.states",
    "Role": "dicomnet.ul.states",
    "State": "dicomnet.ul.states",
    "ACTION_SPECS": "dicomnet.ul.table",
    "TRANSITIONS": "dicomnet.ul.table",
    "ActionSpec": "dicomnet.ul.table",
    "Transition": "dicomnet.ul.trace",
    "TransitionTrace": "dicomnet.ul.trace",
}


if not TYPE_CHECKING:  # type checkers see the imports above, never an Any-typed fallback
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)
