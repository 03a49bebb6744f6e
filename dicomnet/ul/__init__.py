"""PS3.8 §9.2 upper-layer protocol state machine, sans-IO.

``ULConnection(role, config, now=...)`` runs PS3.8 Table 9-10 for one transport connection: feed it
bytes (``receive_data``), time (``handle_timer``) and the user's primitives (``send``); read back
events (``next_event``), bytes (``data_to_send``), ``timer_deadline`` and ``must_close``.
"""

from __future__ import annotations

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
