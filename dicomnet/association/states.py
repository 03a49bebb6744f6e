"""The association's states (PS3.8 §7 level) and the UL state sets the association acts on.

:class:`AssociationState` summarises PS3.8 Table 9-10's thirteen states for an application; the
frozensets name the states in which a request, a response or a timer is allowed (Table 9-10).
"""

from __future__ import annotations

import enum
from typing import Final

from dicomnet.ul import State

__all__ = [
    "ACSE_TIMER_STATES",
    "CAN_ANSWER_RELEASE",
    "CAN_SEND_DATA",
    "DIMSE_TIMER_STATES",
    "STATES",
    "AssociationState",
]


class AssociationState(enum.Enum):
    """Where the association is, at the level of PS3.8 §7 (the UL state is ``ul_state``)."""

    CONNECTING = "connecting"  # requestor: awaiting the transport connection (Sta4)
    REQUESTING = "requesting"  # requestor: A-ASSOCIATE-RQ sent, awaiting AC/RJ (Sta5)
    AWAITING_REQUEST = "awaiting request"  # acceptor: awaiting the A-ASSOCIATE-RQ (Sta2)
    AWAITING_DECISION = "awaiting decision"  # acceptor: the user decides (Sta3)
    ESTABLISHED = "established"  # data transfer (Sta6)
    RELEASING = "releasing"  # A-RELEASE in progress (Sta7-Sta12)
    CLOSING = "closing"  # over; awaiting the peer's transport close (Sta13)
    CLOSED = "closed"  # over; close the transport (Sta1)


STATES: Final[dict[State, AssociationState]] = {
    State.Sta1: AssociationState.CLOSED,
    State.Sta2: AssociationState.AWAITING_REQUEST,
    State.Sta3: AssociationState.AWAITING_DECISION,
    State.Sta4: AssociationState.CONNECTING,
    State.Sta5: AssociationState.REQUESTING,
    State.Sta6: AssociationState.ESTABLISHED,
    State.Sta7: AssociationState.RELEASING,
    State.Sta8: AssociationState.RELEASING,
    State.Sta9: AssociationState.RELEASING,
    State.Sta10: AssociationState.RELEASING,
    State.Sta11: AssociationState.RELEASING,
    State.Sta12: AssociationState.RELEASING,
    State.Sta13: AssociationState.CLOSING,
}
#: UL states in which we may send P-DATA (PS3.8 Table 9-10, Evt9: DT-1, AR-7).
CAN_SEND_DATA: Final = frozenset({State.Sta6, State.Sta8})
#: UL states in which the A-RELEASE-RP answers the peer (Evt14: AR-4, AR-9).
CAN_ANSWER_RELEASE: Final = frozenset({State.Sta8, State.Sta9, State.Sta12})
#: UL states awaiting the peer's A-ASSOCIATE-AC/RJ or A-RELEASE-RP: the ACSE timeout runs.
ACSE_TIMER_STATES: Final = frozenset({State.Sta5, State.Sta7, State.Sta10, State.Sta11})
#: UL states in which the DIMSE timeout runs.
DIMSE_TIMER_STATES: Final = frozenset(
    {State.Sta6, State.Sta7, State.Sta8, State.Sta9, State.Sta10, State.Sta11, State.Sta12}
)
