"""``movescu``'s progress display: a live bar on a terminal, log lines otherwise, a summary line.

The counts come from each C-MOVE-RSP (PS3.4 C.4.2.1.6: remaining, completed, failed, warning),
the objects and bytes from our own Storage SCP. rich is imported only when a bar is drawn (a
terminal, or ``MOVESCU_PROGRESS=always``), so a scripted run never pays for it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Final, Self

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

    from dicomnet.services.store import StoreRequest, StoreResult
    from dicomnet.transport.retrieve import MoveOutcome, MoveProgress

__all__ = [
    "PROGRESS_ENV",
    "ConsoleHandler",
    "Progress",
    "progress_console",
    "size_text",
    "status_text",
    "summary_line",
]

log = logging.getLogger("dicomnet.movescu")

PROGRESS_ENV: Final = "MOVESCU_PROGRESS"
"""``always`` draws the progress bar even when stderr is not a terminal, ``never`` never draws it;
unset or ``auto``: a bar when stderr is a terminal, INFO log lines (``-v``) otherwise."""

#: Environment variables with which rich treats a non-terminal as a terminal.
_RICH_TERMINAL_ENV: Final = ("FORCE_COLOR", "TTY_COMPATIBLE")


def size_text(n: int) -> str:
    """``n`` bytes as ``"1.5 MB"`` (decimal units)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


#: Statuses of C-MOVE-RSP (PS3.4 C.4.2.1.5) that status_name() knows only by their class.
_MOVE_STATUS: Final = {
    0xA701: "Refused: Out of Resources - Unable to calculate number of matches",
    0xA702: "Refused: Out of Resources - Unable to perform sub-operations",
    0xA801: "Refused: Move Destination unknown",
    0xA900: "Failed: Identifier does not match SOP Class",
    0xB000: "Warning: Sub-operations Complete - One or more Failures or Warnings",
}


def status_text(status: int) -> str:
    """A C-MOVE-RSP status by name, with its code (PS3.4 C.4.2.1.5, PS3.7 Annex C)."""
    from dicomnet.dimse.status import status_name

    name = _MOVE_STATUS.get(status) or status_name(status)
    return name if f"{status:04X}" in name.upper() else f"{name} (0x{status:04X})"


def _log_stored(request: StoreRequest, result: StoreResult) -> None:
    if result.status == 0x0000:
        log.info("stored %s", result.path or request.sop_instance_uid[:64])
    else:
        log.warning(
            "C-STORE of %s answered 0x%04X: %s",
            request.sop_instance_uid[:64],
            result.status,
            result.error_comment,
        )


def _log_progress(event: MoveProgress) -> None:
    rsp = event.response
    log.info(
        "move %d: %s, remaining %s, completed %s, failed %s, warning %s; received %d objects (%s)",
        event.index,
        status_text(rsp.status),
        _count(rsp.remaining),  # a final response may omit them (PS3.7 9.3.4.2): "-"
        _count(rsp.completed),
        _count(rsp.failed),
        _count(rsp.warning),
        event.received,
        size_text(event.received_bytes),
    )


def progress_console(quiet: bool) -> Console | None:
    """The rich console for the live bar on stderr, or None for plain log lines."""
    mode = os.environ.get(PROGRESS_ENV, "auto").lower()
    if quiet or mode == "never":
        return None
    if mode != "always" and not _may_be_terminal():
        return None  # rich would say "not a terminal": do not import it
    from rich.console import Console

    console = Console(stderr=True, force_terminal=True if mode == "always" else None)
    return console if console.is_terminal else None


def _may_be_terminal() -> bool:
    if any(os.environ.get(name) for name in _RICH_TERMINAL_ENV):
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


class ConsoleHandler(logging.Handler):
    """Log records printed above the live bar (plain text, no rich markup)."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.print(self.format(record), markup=False, highlight=False, soft_wrap=True)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


class Progress:
    """Progress of the moves from the sub-operation counts of each C-MOVE-RSP (PS3.4 C.4.2.1.6).

    On a terminal a live rich bar (completed+failed+warning of the total, objects and bytes
    received, rate); otherwise one INFO log line per response.
    """

    def __init__(self, console: Console | None) -> None:
        self.console = console
        self.start = time.monotonic()
        self.objects = 0
        self.bytes = 0
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        self._last: MoveProgress | None = None
        self._move_bytes: dict[int, int] = {}

    def __enter__(self) -> Self:
        if self.console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as RichProgress
            from rich.table import Column

            self._bar = RichProgress(
                TextColumn("{task.description}", table_column=Column(no_wrap=True)),
                MofNCompleteColumn(table_column=Column(no_wrap=True)),
                BarColumn(bar_width=12),
                TextColumn("{task.fields[detail]}", table_column=Column(ratio=1)),
                console=self.console,
                refresh_per_second=8,
            )
            self._task = self._bar.add_task("move", total=None, detail="waiting")
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._redraw()
            self._bar.stop()

    def stored(self, request: StoreRequest, result: StoreResult) -> None:
        """on_stored: count the object at once (bytes come with the next response)."""
        self.objects += 1
        _log_stored(request, result)
        if self._bar is not None:
            self._redraw()

    def update(self, event: MoveProgress) -> None:
        """One C-MOVE-RSP."""
        self._last = event
        self._move_bytes[event.index] = event.received_bytes
        self.bytes = sum(self._move_bytes.values())
        if self._bar is None:
            _log_progress(event)
        else:
            self._redraw()

    def finished(self, outcome: MoveOutcome) -> None:
        """The move's final response: its counts complete the bar (remaining 0)."""
        self._move_bytes[outcome.index] = outcome.received_bytes
        self.bytes = sum(self._move_bytes.values())
        if self._bar is None or outcome.status is None:
            return
        from dicomnet.services.move import RetrieveResponse
        from dicomnet.transport.retrieve import MoveProgress

        rsp = RetrieveResponse(
            status=outcome.status,
            remaining=0,
            completed=outcome.completed,
            failed=outcome.failed,
            warning=outcome.warning,
        )
        self._last = MoveProgress(outcome.index, rsp, outcome.received, outcome.received_bytes)
        self._redraw()

    def pending_objects(self, outcomes: list[MoveOutcome]) -> int:
        """Objects stored during the move that had not ended (after ``outcomes``)."""
        return max(self.objects - sum(o.received for o in outcomes), 0)

    def _redraw(self) -> None:
        assert self._bar is not None
        assert self._task is not None
        seconds = max(time.monotonic() - self.start, 1e-9)
        detail = (
            f"{self.objects} objects, {size_text(self.bytes)}, "
            f"{self.objects / seconds:.1f} objects/s, {self.bytes / 1e6 / seconds:.1f} MB/s"
        )
        event = self._last
        if event is None:
            self._bar.update(self._task, detail=detail)
            return
        rsp = event.response
        done = sum(n or 0 for n in (rsp.completed, rsp.failed, rsp.warning))
        total = None if rsp.remaining is None else done + rsp.remaining
        description = f"move {event.index}"
        detail = (
            f"remaining {_count(rsp.remaining)}, completed {_count(rsp.completed)}, failed "
            f"{_count(rsp.failed)}, warning {_count(rsp.warning)}; {detail}"
        )
        self._bar.update(
            self._task, description=description, total=total, completed=done, detail=detail
        )


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def summary_line(outcomes: list[MoveOutcome], seconds: float) -> str:
    """The one-line summary printed at the end: moves, objects, bytes, time and rates."""
    objects = sum(o.received for o in outcomes)
    size = sum(o.received_bytes for o in outcomes)
    rate = objects / seconds if seconds > 0 else 0.0
    return (
        f"{len(outcomes)} move(s): {objects} objects, {size_text(size)} received in "
        f"{seconds:.2f} s ({rate:.1f} objects/s, {size / 1e6 / max(seconds, 1e-9):.1f} MB/s)"
    )
