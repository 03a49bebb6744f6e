"""Errors at the command boundary: one clear line on stderr and an exit code, never a traceback.

Exit codes follow DCMTK's ranges (``ofstd/ofexit.h``): 1 command line, 20-39 input files, 40-59
output files. :func:`command_boundary` turns the dicomnet exceptions (DESIGN.md §3.5) and
``OSError`` into ``<command>: error: <what>: <why>`` and ``typer.Exit(code)``.
"""

from __future__ import annotations

import contextlib
import enum
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import NoReturn, TypeVar

import typer

from dicomnet.errors import (
    DatasetDecodeError,
    DatasetEncodeError,
    DicomNetError,
    DictionaryError,
)

__all__ = ["ExitCode", "command_boundary", "describe", "fail", "run_console_script", "startup_done"]


_R = TypeVar("_R")


class ExitCode(enum.IntEnum):
    """Exit codes of the ``dicomnet`` commands (DCMTK ranges)."""

    OK = 0
    COMMAND_LINE = 1
    """Bad command line, conflicting options (DCMTK ``EXITCODE_COMMANDLINE_SYNTAX_ERROR``)."""
    DICTIONARY = 3
    """The data dictionary (``DCMDICTPATH``) cannot be loaded."""
    CANNOT_READ_INPUT = 20
    """The input file cannot be opened or read (missing, no permission, a directory)."""
    INVALID_INPUT = 22
    """The input is not a valid DICOM file or data set (a ``DatasetDecodeError``)."""
    CANNOT_WRITE_OUTPUT = 40
    """The output cannot be encoded with the options given, or cannot be written."""
    INTERNAL = 70
    """A bug in dicomnet (an unexpected exception); the message says which."""


class Stage(enum.Enum):
    """What the command was doing when the error happened."""

    READ = "reading"
    WRITE = "writing"


def _oserror_reason(exc: OSError) -> str:
    if exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def describe(exc: BaseException, stage: Stage, subject: str) -> tuple[str, ExitCode]:
    """One line (no newline) and the exit code for ``exc`` raised while ``stage`` ``subject``."""
    if isinstance(exc, DatasetDecodeError):
        what = "not valid DICOM" if stage is Stage.READ else "the input is not valid DICOM"
        return f"{stage.value} {subject}: {what}: {exc}", ExitCode.INVALID_INPUT
    if isinstance(exc, DatasetEncodeError):
        return f"{stage.value} {subject}: cannot encode: {exc}", ExitCode.CANNOT_WRITE_OUTPUT
    if isinstance(exc, DictionaryError):
        return f"data dictionary: {exc}", ExitCode.DICTIONARY
    if isinstance(exc, OSError):
        code = ExitCode.CANNOT_READ_INPUT if stage is Stage.READ else ExitCode.CANNOT_WRITE_OUTPUT
        return f"{stage.value} {subject}: {_oserror_reason(exc)}", code
    if isinstance(exc, DicomNetError):
        code = ExitCode.INVALID_INPUT if stage is Stage.READ else ExitCode.CANNOT_WRITE_OUTPUT
        return f"{stage.value} {subject}: {exc}", code
    if isinstance(exc, ValueError) and stage is Stage.WRITE:
        # Option combinations refused by the writer (for example +B with a conversion).
        return f"{stage.value} {subject}: {exc}", ExitCode.CANNOT_WRITE_OUTPUT
    name = type(exc).__name__
    return (
        f"internal error while {stage.value} {subject}: {name}: {exc} (please report this)",
        ExitCode.INTERNAL,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def fail(command: str, message: str, code: int) -> NoReturn:
    """Print ``<command>: error: <message>`` on stderr and exit with ``code``."""
    typer.echo(f"{command}: error: {_one_line(message)}", err=True)
    raise typer.Exit(int(code))


def peer_address(command: str, peer: str | None, port: int | None) -> tuple[str, int]:
    """The ``peer port`` parameters of an SCU, both given and the port in range, else exit 1 with
    one line (DCMTK: "missing parameter"). They are optional to typer so that ``--version``
    works alone."""
    if peer is None or port is None:
        fail(command, "missing parameter: " + ("peer" if peer is None else "port"), 1)
    if not 0 < port <= 65535:
        fail(command, f"port must be 1..65535, not {port}", 1)
    return peer, port


@contextlib.contextmanager
def command_boundary(command: str, stage: Stage, subject: str | os.PathLike[str]) -> Iterator[None]:
    """Turn any exception of the block into one line on stderr and ``typer.Exit(code)``.

    ``typer.Exit`` passes through; ``KeyboardInterrupt`` exits 130 quietly.
    """
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as exc:
        message, code = describe(exc, stage, os.fspath(subject))
        fail(command, message, code)


def exit_with_worst(
    command: str, results: Iterable[_R], exit_code_of: Callable[[_R], tuple[int, str | None]]
) -> NoReturn:
    """Print one error line per failed operation and exit with the highest code (0 if none).

    Used by the commands that run several operations (``--repeat``, several query files): the
    worst outcome decides, so a script can trust exit 0.
    """
    code = 0
    for result in results:
        result_code, message = exit_code_of(result)
        if message is not None:
            typer.echo(f"{command}: error: {message}", err=True)
        code = max(code, result_code)
    raise typer.Exit(code)


_console_script = False


def run_console_script(app: Callable[[], object], *, pause_gc: bool = False) -> NoReturn:
    """Run a typer ``app`` as a console script and leave the process without tearing it down.

    At the end the process exits with :func:`os._exit` once output and log handlers are
    flushed, instead of freeing the ~200,000 objects of a loaded process one by one (about
    35 ms of CPU per ``movescu`` run; mypy exits the same way). With ``pause_gc`` the cyclic
    garbage collector is off during start-up until the command calls :func:`startup_done`
    (only for commands that do): about 7 ms of CPU less, for about 1 MB of start-up garbage
    (some 4,000 objects, such as the classes attrs replaces by slotted ones) that is frozen
    with the rest instead of collected. Use it only for the process's own entry point: code
    after it never runs.
    """
    global _console_script
    _console_script = True
    if pause_gc:
        gc.disable()
    try:
        app()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, exit status 1
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def startup_done() -> None:
    """The command has loaded what it needs: resume garbage collection, with everything
    allocated so far frozen (:func:`gc.freeze`), so collections during the work never walk it.
    Does nothing unless :func:`run_console_script` started the process."""
    if _console_script:
        gc.freeze()
        gc.enable()
