"""TransitionTrace: a bounded ring buffer of Transition records."""

from __future__ import annotations

import pytest

from dicomnet.ul import Action, Evt, State, Transition, TransitionTrace


def _t(i: int) -> Transition:
    return Transition(State.Sta6, Evt.Evt10, Action.DT_2, State.Sta6, float(i))


def test_ring_buffer_keeps_the_newest() -> None:
    trace = TransitionTrace(maxlen=2)
    for i in range(5):
        trace.record(_t(i))
    assert [t.at for t in trace] == [3.0, 4.0]
    assert trace[0].at == 3.0
    assert trace[-1].at == 4.0
    assert (len(trace), trace.total, trace.dropped, trace.maxlen) == (2, 5, 3, 2)
    lines = trace.format().splitlines()
    assert lines[0] == "(3 earlier transitions dropped)"
    assert "Sta6  + Evt10 -> DT-2  -> Sta6" in lines[1]
    assert "P-DATA-TF PDU" in lines[1]


def test_disabled_and_invalid() -> None:
    trace = TransitionTrace(maxlen=0)
    trace.record(_t(1))
    assert (len(trace), trace.total) == (0, 1)
    with pytest.raises(ValueError):
        TransitionTrace(maxlen=-1)
