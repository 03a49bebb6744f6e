"""A bounded record of state machine transitions, the raw material of conformance reports.

Each :class:`Transition` is one cell of PS3.8 Table 9-10 being run: the state before, the event,
the action, the state after and the time (the ``now`` the caller passed in).
:class:`TransitionTrace` keeps the last ``maxlen`` of them in a ring buffer, so a long
association costs bounded memory. The ring holds plain tuples (the connection records one per
PDU, so that path stays cheap); :class:`Transition` objects are made only when read.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.ul.states import Action, Evt, State

__all__ = ["Transition", "TransitionTrace"]

_Cell = tuple[State, Evt, Action, State, float]


@attrs.frozen(repr=False)
class Transition:
    """One transition: ``state`` + ``event`` -> ``action`` -> ``next_state`` at time ``at``."""

    __repr__ = attrs_repr

    state: State
    event: Evt
    action: Action
    next_state: State
    at: float

    def __str__(self) -> str:
        return (
            f"{self.at:12.6f}  {self.state.name:<5} + {self.event.name:<5} -> "
            f"{self.action.value:<5} -> {self.next_state.name:<5}  {self.event.description}"
        )


class TransitionTrace:
    """Ring buffer of the last ``maxlen`` transitions (``maxlen=0`` records nothing)."""

    __slots__ = ("_items", "_total")

    def __init__(self, maxlen: int = 256) -> None:
        if maxlen < 0:
            raise ValueError("maxlen must be >= 0")
        self._items: deque[_Cell] = deque(maxlen=maxlen)
        self._total = 0

    def record(self, transition: Transition) -> None:
        """Append a transition, dropping the oldest one when full."""
        t = transition
        self.record_cell(t.state, t.event, t.action, t.next_state, t.at)

    def record_cell(
        self, state: State, event: Evt, action: Action, next_state: State, at: float
    ) -> None:
        """As :meth:`record`, from the parts (no :class:`Transition` is built)."""
        self._items.append((state, event, action, next_state, at))
        self._total += 1

    def record_cells(self, cell: tuple[State, Evt, Action, State], count: int, at: float) -> None:
        """Record the same transition ``count`` times at ``at`` (a run of DT-2 cells)."""
        items = self._items
        keep = count if items.maxlen is None else min(count, items.maxlen)
        if keep == 1:
            items.append((*cell, at))
        elif keep:
            items.extend(itertools.repeat((*cell, at), keep))
        self._total += count

    @property
    def maxlen(self) -> int:
        """How many transitions are kept."""
        maxlen = self._items.maxlen
        return 0 if maxlen is None else maxlen

    @property
    def total(self) -> int:
        """How many transitions were recorded since the start, kept or dropped."""
        return self._total

    @property
    def dropped(self) -> int:
        """How many of the oldest transitions were dropped to keep the bound."""
        return self._total - len(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Transition]:
        return (Transition(*cell) for cell in self._items)

    def __getitem__(self, index: int) -> Transition:
        return Transition(*self._items[index])

    def format(self) -> str:
        """The kept transitions, one a line, oldest first, for a conformance report."""
        lines = [f"({self.dropped} earlier transitions dropped)"] if self.dropped else []
        lines.extend(str(t) for t in self)
        return "\n".join(lines)
