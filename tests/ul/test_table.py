"""The module's Table 9-10 against an independent transcription and against pynetdicom's."""

from __future__ import annotations

import pytest

from dicomnet.ul import ACTION_SPECS, TRANSITIONS, Action, Evt, EvtSource, State
from dicomnet.ul.actions import ACTIONS
from tests.ul import table_9_10


def ours() -> dict[tuple[int, int], str]:
    return {(s.value, e.value): a.value for (s, e), a in TRANSITIONS.items()}


def test_enums_cover_the_standard() -> None:
    assert [s.value for s in State] == list(range(1, 14))
    assert [e.value for e in Evt] == list(range(1, 20))
    expected = (
        [f"AE-{i}" for i in range(1, 9)]
        + ["DT-1", "DT-2"]
        + [f"AR-{i}" for i in range(1, 11)]
        + [f"AA-{i}" for i in range(1, 9)]
    )
    assert [a.value for a in Action] == expected
    assert all(s.description for s in State)
    assert all(e.description for e in Evt)


def test_event_sources() -> None:
    user = {e.value for e in Evt if e.source is EvtSource.LOCAL_USER}
    transport = {e.value for e in Evt if e.source is EvtSource.TRANSPORT}
    peer = {e.value for e in Evt if e.source is EvtSource.PEER}
    assert user == {1, 7, 8, 9, 11, 14, 15}
    assert transport == {2, 5, 17, 18}
    assert peer == {3, 4, 6, 10, 12, 13, 16, 19}


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.name)
@pytest.mark.parametrize("evt", list(Evt), ids=lambda e: e.name)
def test_every_cell_matches_the_transcription(state: State, evt: Evt) -> None:
    expected = table_9_10.cells().get((state.value, evt.value))
    got = TRANSITIONS.get((state, evt))
    assert (got.value if got else None) == expected


def test_whole_table_matches_the_transcription() -> None:
    assert ours() == table_9_10.cells()
    assert len(TRANSITIONS) == 123


def test_table_matches_pynetdicom() -> None:
    """Independent oracle: pynetdicom's transcription uses ("EvtN", "StaN") -> "XX-N" strings.

    No cell deviates: pynetdicom 3.0.4's TRANSITION_TABLE equals PS3.8 Table 9-10 exactly.
    """
    fsm = pytest.importorskip("pynetdicom.fsm")
    theirs = fsm.TRANSITION_TABLE
    mine = {(f"Evt{e.value}", f"Sta{s.value}"): a.value for (s, e), a in TRANSITIONS.items()}
    assert mine == theirs


def test_action_next_states_match_pynetdicom() -> None:
    fsm = pytest.importorskip("pynetdicom.fsm")
    for action, spec in ACTION_SPECS.items():
        _desc, _fn, their_next = fsm.ACTIONS[action.value]
        theirs = {their_next} if isinstance(their_next, str) else set(their_next)
        assert {f"Sta{s.value}" for s in spec.next_states} == theirs, action


def test_action_specs() -> None:
    assert set(ACTION_SPECS) == set(Action) == set(ACTIONS)
    for action, spec in ACTION_SPECS.items():
        assert spec.description
        assert {s.value for s in spec.next_states} == table_9_10.NEXT_STATES[action.value]
    choosers = {a for a, spec in ACTION_SPECS.items() if len(spec.next_states) > 1}
    assert choosers == {Action.AE_6, Action.AR_8}


def test_every_action_is_used() -> None:
    assert set(TRANSITIONS.values()) == set(Action)


def test_local_user_events_only_where_a_user_can_act() -> None:
    """Sta2 (no request yet), Sta13 (no association) and Sta1 except Evt1 take no user primitive."""
    for state, evt in TRANSITIONS:
        if evt.source is EvtSource.LOCAL_USER:
            assert state not in (State.Sta2, State.Sta13)
            assert state is not State.Sta1 or evt is Evt.Evt1


def test_no_peer_event_without_a_transport_connection() -> None:
    for state, evt in TRANSITIONS:
        if evt.source is EvtSource.PEER:
            assert state not in (State.Sta1, State.Sta4)
