"""PS3.8 Table 9-10 (DICOM Upper Layer Protocol State Transition Table) as data.

``TRANSITIONS[(state, event)]`` is the action of every defined cell; a pair that is absent is a
blank cell of the standard. ``ACTION_SPECS[action]`` holds the action's definition (PS3.8 §9.2.2,
Tables 9-6 to 9-9) and the set of states it may lead to: one state for every action except AE-6
and AR-8, which choose. Nothing here knows which role we play or how actions are carried out
(h11's rule: everything that decides a transition is in this file).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.ul.states import Action, Evt, State

__all__ = ["ACTION_SPECS", "TRANSITIONS", "ActionSpec"]

A, E, S = Action, Evt, State

# Table 9-10, one row per event as in the standard; a state missing from a row is a blank cell.
# fmt: off
_ROWS: dict[Evt, dict[State, Action]] = {
    # A-ASSOCIATE request (local user)
    E.Evt1: {S.Sta1: A.AE_1},
    # Transport connection confirm (local transport service)
    E.Evt2: {S.Sta4: A.AE_2},
    # A-ASSOCIATE-AC PDU (received on transport connection)
    E.Evt3: {
        S.Sta2: A.AA_1, S.Sta3: A.AA_8, S.Sta5: A.AE_3, S.Sta6: A.AA_8, S.Sta7: A.AA_8,
        S.Sta8: A.AA_8, S.Sta9: A.AA_8, S.Sta10: A.AA_8, S.Sta11: A.AA_8, S.Sta12: A.AA_8,
        S.Sta13: A.AA_6,
    },
    # A-ASSOCIATE-RJ PDU (received on transport connection)
    E.Evt4: {
        S.Sta2: A.AA_1, S.Sta3: A.AA_8, S.Sta5: A.AE_4, S.Sta6: A.AA_8, S.Sta7: A.AA_8,
        S.Sta8: A.AA_8, S.Sta9: A.AA_8, S.Sta10: A.AA_8, S.Sta11: A.AA_8, S.Sta12: A.AA_8,
        S.Sta13: A.AA_6,
    },
    # Transport connection indication (local transport service)
    E.Evt5: {S.Sta1: A.AE_5},
    # A-ASSOCIATE-RQ PDU (received on transport connection)
    E.Evt6: {
        S.Sta2: A.AE_6, S.Sta3: A.AA_8, S.Sta5: A.AA_8, S.Sta6: A.AA_8, S.Sta7: A.AA_8,
        S.Sta8: A.AA_8, S.Sta9: A.AA_8, S.Sta10: A.AA_8, S.Sta11: A.AA_8, S.Sta12: A.AA_8,
        S.Sta13: A.AA_7,
    },
    # A-ASSOCIATE response primitive (accept)
    E.Evt7: {S.Sta3: A.AE_7},
    # A-ASSOCIATE response primitive (reject)
    E.Evt8: {S.Sta3: A.AE_8},
    # P-DATA request primitive
    E.Evt9: {S.Sta6: A.DT_1, S.Sta8: A.AR_7},
    # P-DATA-TF PDU
    E.Evt10: {
        S.Sta2: A.AA_1, S.Sta3: A.AA_8, S.Sta5: A.AA_8, S.Sta6: A.DT_2, S.Sta7: A.AR_6,
        S.Sta8: A.AA_8, S.Sta9: A.AA_8, S.Sta10: A.AA_8, S.Sta11: A.AA_8, S.Sta12: A.AA_8,
        S.Sta13: A.AA_6,
    },
    # A-RELEASE request primitive
    E.Evt11: {S.Sta6: A.AR_1},
    # A-RELEASE-RQ PDU (received on open transport connection)
    E.Evt12: {
        S.Sta2: A.AA_1, S.Sta3: A.AA_8, S.Sta5: A.AA_8, S.Sta6: A.AR_2, S.Sta7: A.AR_8,
        S.Sta8: A.AA_8, S.Sta9: A.AA_8, S.Sta10: A.AA_8, S.Sta11: A.AA_8, S.Sta12: A.AA_8,
        S.Sta13: A.AA_6,
    },
    # A-RELEASE-RP PDU (received on transport connection)
    E.Evt13: {
        S.Sta2: A.AA_1, S.Sta3: A.AA_8, S.Sta5: A.AA_8, S.Sta6: A.AA_8, S.Sta7: A.AR_3,
        S.Sta8: A.AA_8, S.Sta9: A.AA_8, S.Sta10: A.AR_10, S.Sta11: A.AR_3, S.Sta12: A.AA_8,
        S.Sta13: A.AA_6,
    },
    # A-RELEASE response primitive
    E.Evt14: {S.Sta8: A.AR_4, S.Sta9: A.AR_9, S.Sta12: A.AR_4},
    # A-ABORT request primitive
    E.Evt15: {
        S.Sta3: A.AA_1, S.Sta4: A.AA_2, S.Sta5: A.AA_1, S.Sta6: A.AA_1, S.Sta7: A.AA_1,
        S.Sta8: A.AA_1, S.Sta9: A.AA_1, S.Sta10: A.AA_1, S.Sta11: A.AA_1, S.Sta12: A.AA_1,
    },
    # A-ABORT PDU (received on open transport connection)
    E.Evt16: {
        S.Sta2: A.AA_2, S.Sta3: A.AA_3, S.Sta5: A.AA_3, S.Sta6: A.AA_3, S.Sta7: A.AA_3,
        S.Sta8: A.AA_3, S.Sta9: A.AA_3, S.Sta10: A.AA_3, S.Sta11: A.AA_3, S.Sta12: A.AA_3,
        S.Sta13: A.AA_2,
    },
    # Transport connection closed indication (local transport service)
    E.Evt17: {
        S.Sta2: A.AA_5, S.Sta3: A.AA_4, S.Sta4: A.AA_4, S.Sta5: A.AA_4, S.Sta6: A.AA_4,
        S.Sta7: A.AA_4, S.Sta8: A.AA_4, S.Sta9: A.AA_4, S.Sta10: A.AA_4, S.Sta11: A.AA_4,
        S.Sta12: A.AA_4, S.Sta13: A.AR_5,
    },
    # ARTIM timer expired (association reject/release timer)
    E.Evt18: {S.Sta2: A.AA_2, S.Sta13: A.AA_2},
    # Unrecognized or invalid PDU received
    E.Evt19: {
        S.Sta2: A.AA_1, S.Sta3: A.AA_8, S.Sta5: A.AA_8, S.Sta6: A.AA_8, S.Sta7: A.AA_8,
        S.Sta8: A.AA_8, S.Sta9: A.AA_8, S.Sta10: A.AA_8, S.Sta11: A.AA_8, S.Sta12: A.AA_8,
        S.Sta13: A.AA_7,
    },
}
# fmt: on

TRANSITIONS: Final[Mapping[tuple[State, Evt], Action]] = MappingProxyType(
    {(state, evt): action for evt, row in _ROWS.items() for state, action in row.items()}
)


@attrs.frozen(repr=False)
class ActionSpec:
    """An action's definition (PS3.8 §9.2.2) and the states it may lead to."""

    __repr__ = attrs_repr

    description: str
    next_states: frozenset[State]


def _spec(description: str, *next_states: State) -> ActionSpec:
    return ActionSpec(description, frozenset(next_states))


ACTION_SPECS: Final[Mapping[Action, ActionSpec]] = MappingProxyType(
    {
        # Table 9-6: association establishment related actions
        A.AE_1: _spec(
            "Issue TRANSPORT CONNECT request primitive to local transport service", S.Sta4
        ),
        A.AE_2: _spec("Send A-ASSOCIATE-RQ-PDU", S.Sta5),
        A.AE_3: _spec("Issue A-ASSOCIATE confirmation (accept) primitive", S.Sta6),
        A.AE_4: _spec(
            "Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection",
            S.Sta1,
        ),
        A.AE_5: _spec("Issue Transport connection response primitive; start ARTIM timer", S.Sta2),
        A.AE_6: _spec(
            "Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider issue "
            "A-ASSOCIATE indication primitive, otherwise issue A-ASSOCIATE-RJ-PDU and start "
            "ARTIM timer",
            S.Sta3,
            S.Sta13,
        ),
        A.AE_7: _spec("Send A-ASSOCIATE-AC PDU", S.Sta6),
        A.AE_8: _spec("Send A-ASSOCIATE-RJ PDU and start ARTIM timer", S.Sta13),
        # Table 9-7: data transfer related actions
        A.DT_1: _spec("Send P-DATA-TF PDU", S.Sta6),
        A.DT_2: _spec("Send P-DATA indication primitive", S.Sta6),
        # Table 9-8: association release related actions
        A.AR_1: _spec("Send A-RELEASE-RQ PDU", S.Sta7),
        A.AR_2: _spec("Issue A-RELEASE indication primitive", S.Sta8),
        A.AR_3: _spec(
            "Issue A-RELEASE confirmation primitive, and close transport connection", S.Sta1
        ),
        A.AR_4: _spec("Issue A-RELEASE-RP PDU and start ARTIM timer", S.Sta13),
        A.AR_5: _spec("Stop ARTIM timer", S.Sta1),
        A.AR_6: _spec("Issue P-DATA indication", S.Sta7),
        A.AR_7: _spec("Issue P-DATA-TF PDU", S.Sta8),
        A.AR_8: _spec(
            "Issue A-RELEASE indication (release collision): Sta9 if association-requestor, "
            "Sta10 if not",
            S.Sta9,
            S.Sta10,
        ),
        A.AR_9: _spec("Send A-RELEASE-RP PDU", S.Sta11),
        A.AR_10: _spec("Issue A-RELEASE confirmation primitive", S.Sta12),
        # Table 9-9: association abort related actions
        A.AA_1: _spec(
            "Send A-ABORT PDU (service-user source) and start (or restart if already started) "
            "ARTIM timer",
            S.Sta13,
        ),
        A.AA_2: _spec("Stop ARTIM timer if running. Close transport connection", S.Sta1),
        A.AA_3: _spec(
            "If (service-user initiated abort) issue A-ABORT indication and close transport "
            "connection, otherwise (service-provider initiated abort) issue A-P-ABORT "
            "indication and close transport connection",
            S.Sta1,
        ),
        A.AA_4: _spec("Issue A-P-ABORT indication primitive", S.Sta1),
        A.AA_5: _spec("Stop ARTIM timer", S.Sta1),
        A.AA_6: _spec("Ignore PDU", S.Sta13),
        A.AA_7: _spec("Send A-ABORT PDU", S.Sta13),
        A.AA_8: _spec(
            "Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and "
            "start ARTIM timer",
            S.Sta13,
        ),
    }
)
