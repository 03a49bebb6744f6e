"""States, events and actions of the DICOM upper-layer state machine (PS3.8 §9.2).

The members carry the standard's numbering and names: ``State.Sta6.value == 6``,
``Evt.Evt9.value == 9`` and ``Action.DT_1.value == "DT-1"``, so the table in :mod:`.table` reads
like PS3.8 Table 9-10. ``description`` gives the standard's definition of each member.
"""

from __future__ import annotations

import enum

__all__ = ["Action", "Evt", "EvtSource", "Role", "State"]


class Role(enum.Enum):
    """Which end of the association this upper layer plays (PS3.8 §7.1)."""

    REQUESTOR = "requestor"
    ACCEPTOR = "acceptor"


class State(enum.Enum):
    """Upper-layer states Sta1..Sta13 (PS3.8 §9.2.1, Tables 9-1 to 9-5)."""

    Sta1 = 1
    Sta2 = 2
    Sta3 = 3
    Sta4 = 4
    Sta5 = 5
    Sta6 = 6
    Sta7 = 7
    Sta8 = 8
    Sta9 = 9
    Sta10 = 10
    Sta11 = 11
    Sta12 = 12
    Sta13 = 13

    # Members are singletons: identity hashing (in C) keeps table look-ups off the hot path.
    __hash__ = object.__hash__

    @property
    def description(self) -> str:
        """The standard's definition of the state."""
        return _STATE_TEXT[self.value]


class EvtSource(enum.Enum):
    """Where an event comes from: it decides how an undefined (state, event) cell is treated."""

    LOCAL_USER = "local user"  # a primitive from our user: an undefined cell is API misuse
    TRANSPORT = "local transport service"  # from the IO adapter (connect, close) or the timer
    PEER = "peer PDU"  # bytes received from the peer: never an exception


class Evt(enum.Enum):
    """Upper-layer events Evt1..Evt19 (PS3.8 §9.2.3, Table 9-10 rows)."""

    Evt1 = 1
    Evt2 = 2
    Evt3 = 3
    Evt4 = 4
    Evt5 = 5
    Evt6 = 6
    Evt7 = 7
    Evt8 = 8
    Evt9 = 9
    Evt10 = 10
    Evt11 = 11
    Evt12 = 12
    Evt13 = 13
    Evt14 = 14
    Evt15 = 15
    Evt16 = 16
    Evt17 = 17
    Evt18 = 18
    Evt19 = 19

    __hash__ = object.__hash__

    @property
    def description(self) -> str:
        """The standard's name of the event."""
        return _EVT_TEXT[self.value][0]

    @property
    def source(self) -> EvtSource:
        """Whether the event comes from the local user, the transport/timer or the peer."""
        return _EVT_TEXT[self.value][1]


class Action(enum.Enum):
    """State machine actions (PS3.8 §9.2.2, Tables 9-6 to 9-9)."""

    AE_1 = "AE-1"
    AE_2 = "AE-2"
    AE_3 = "AE-3"
    AE_4 = "AE-4"
    AE_5 = "AE-5"
    AE_6 = "AE-6"
    AE_7 = "AE-7"
    AE_8 = "AE-8"
    DT_1 = "DT-1"
    DT_2 = "DT-2"
    AR_1 = "AR-1"
    AR_2 = "AR-2"
    AR_3 = "AR-3"
    AR_4 = "AR-4"
    AR_5 = "AR-5"
    AR_6 = "AR-6"
    AR_7 = "AR-7"
    AR_8 = "AR-8"
    AR_9 = "AR-9"
    AR_10 = "AR-10"
    AA_1 = "AA-1"
    AA_2 = "AA-2"
    AA_3 = "AA-3"
    AA_4 = "AA-4"
    AA_5 = "AA-5"
    AA_6 = "AA-6"
    AA_7 = "AA-7"
    AA_8 = "AA-8"

    __hash__ = object.__hash__


_STATE_TEXT: dict[int, str] = {
    1: "Idle",
    2: "Transport connection open (Awaiting A-ASSOCIATE-RQ PDU)",
    3: "Awaiting local A-ASSOCIATE response primitive (from local user)",
    4: "Awaiting transport connection opening to complete (from local transport service)",
    5: "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
    6: "Association established and ready for data transfer",
    7: "Awaiting A-RELEASE-RP PDU",
    8: "Awaiting local A-RELEASE response primitive (from local user)",
    9: "Release collision requestor side; awaiting A-RELEASE response (from local user)",
    10: "Release collision acceptor side; awaiting A-RELEASE-RP PDU",
    11: "Release collision requestor side; awaiting A-RELEASE-RP PDU",
    12: "Release collision acceptor side; awaiting A-RELEASE response primitive (from local user)",
    13: "Awaiting Transport Connection Close Indication (Association no longer exists)",
}

_U, _T, _P = EvtSource.LOCAL_USER, EvtSource.TRANSPORT, EvtSource.PEER
_EVT_TEXT: dict[int, tuple[str, EvtSource]] = {
    1: ("A-ASSOCIATE Request (local user)", _U),
    2: ("Transport Conn. Confirm (local transport service)", _T),
    3: ("A-ASSOCIATE-AC PDU (received on transport connection)", _P),
    4: ("A-ASSOCIATE-RJ PDU (received on transport connection)", _P),
    5: ("Transport Connection Indication (local transport service)", _T),
    6: ("A-ASSOCIATE-RQ PDU (received on transport connection)", _P),
    7: ("A-ASSOCIATE response primitive (accept)", _U),
    8: ("A-ASSOCIATE response primitive (reject)", _U),
    9: ("P-DATA request primitive", _U),
    10: ("P-DATA-TF PDU", _P),
    11: ("A-RELEASE Request primitive", _U),
    12: ("A-RELEASE-RQ PDU (received on open transport connection)", _P),
    13: ("A-RELEASE-RP PDU (received on transport connection)", _P),
    14: ("A-RELEASE Response primitive", _U),
    15: ("A-ABORT Request primitive", _U),
    16: ("A-ABORT PDU (received on open transport connection)", _P),
    17: ("Transport connection closed indication (local transport service)", _T),
    18: ("ARTIM timer expired (Association reject/release timer)", _T),
    19: ("Unrecognized or invalid PDU received", _P),
}
