"""``movescu [options] peer port [query-file...]``: a C-MOVE SCU (PS3.4 C.4.2) spelled like DCMTK's.

Sends one C-MOVE per query file (a DICOM data set or Part 10 file, with the ``-k`` overrides
applied; with no file, the ``-k`` keys alone) and, with ``+P port``, receives the moved objects
with its own Storage SCP on the same event loop, several incoming associations at once, writing
DCMTK-named files to ``-od`` (``+B/-B``, ``+F/-F`` and storescp's output options). A thin layer
over :func:`dicomnet.transport.retrieve.retrieve`.

Exit codes (MOVESCU.md): 0 success or cancel; 1 command line; 20 a query file cannot be read or
is not DICOM; 45 bad output directory; 60 the port cannot be opened; 61 association rejected or
failed; 66 no acceptable presentation context; 67 release/abort failed; 68 a final Warning;
69 a final Failure or Refused status (the peer's Error Comment printed), and, stricter than
DCMTK, any move that did not complete (abort, close, timeout, protocol error, a data set on a
Pending response under ``-pi``).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import time
from typing import Annotated, Final

import typer
import typer.core

from dicomnet.dataset import Dataset, read_file
from dicomnet.dimse import StatusCategory, status_name
from dicomnet.errors import DicomNetError
from dicomnet.services.query import IdentifierError, QueryModel, build_identifier
from dicomnet.services.store import DirectorySink, OutputDirectoryError, StoreRequest, StoreResult
from dicomnet.transport.aio import Timeouts
from dicomnet.transport.retrieve import (
    MoveOutcome,
    MoveProgress,
    RetrieveError,
    Stage,
    retrieve,
)
from dicomnet_cli.dcmtk_args import (
    Conflict,
    NormalisedArgv,
    Option,
    OptionTable,
    Requires,
    dcmtk_command,
)
from dicomnet_cli.errors import fail
from dicomnet_cli.storescp import OUTPUT_FLAGS, PREFERENCE_OPTIONS, preference_of, write_options

__all__ = ["MOVESCU_COMMAND", "MOVESCU_OPTIONS", "app", "main", "movescu"]

COMMAND: Final = "movescu"
EXIT_QUERY_FILE: Final = 20
EXIT_BAD_OUTPUT_DIRECTORY: Final = 45
EXIT_NETWORK_INIT: Final = 60
EXIT_ASSOCIATION: Final = 61
EXIT_NO_CONTEXT: Final = 66
EXIT_RELEASE: Final = 67
EXIT_WARNING: Final = 68
EXIT_FAILURE: Final = 69

log = logging.getLogger("dicomnet.movescu")

_MODELS: Final = (
    ("-P", "--patient", QueryModel.PATIENT_ROOT),
    ("-S", "--study", QueryModel.STUDY_ROOT),
    ("-O", "--psonly", QueryModel.PATIENT_STUDY_ONLY),
)

#: ``-x`` options for the C-MOVE association (DCMTK's spellings) and their retrieve() keys.
_OUTGOING: Final = (
    ("-x=", "--propose-uncompr"),
    ("-xe", "--propose-little"),
    ("-xb", "--propose-big"),
    ("-xd", "--propose-deflated"),
    ("-xi", "--propose-implicit"),
)

_SWITCHES: Final = (
    *((short, long, "model") for short, long, _ in _MODELS),
    *((short, long, "outgoing") for short, long in _OUTGOING),
    ("-pi", "--pending-ignore", "pending"),
    ("-pr", "--pending-read", "pending"),
    ("--no-port", "--no-port", "port"),
)

_CONVERSIONS: Final = ("+te", "+tb", "+ti", "+td", "+g", "-g", "-e", "+p", "-u")

_LOG_LEVELS: Final = {
    "fatal": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": logging.DEBUG,
}

MOVESCU_OPTIONS: Final = OptionTable(
    (
        Option(("--version",)),
        Option(("--arguments",)),
        Option(("-q", "--quiet"), group="log"),
        Option(("-v", "--verbose"), group="log"),
        Option(("-d", "--debug"), group="log"),
        Option(("-ll", "--log-level"), nargs=1, group="log"),
        Option(("-k", "--key"), nargs=1, repeatable=True),
        Option(("-aet", "--aetitle"), nargs=1),
        Option(("-aec", "--call"), nargs=1),
        Option(("-aem", "--move"), nargs=1),
        Option(("+P", "--port"), nargs=1, group="port"),
        *(
            Option((short,) if short == long else (short, long), group=group)
            for short, long, group in _SWITCHES
        ),
        Option(("-to", "--timeout"), nargs=1),
        Option(("-ta", "--acse-timeout"), nargs=1),
        Option(("-td", "--dimse-timeout"), nargs=1),
        Option(("-pdu", "--max-pdu"), nargs=1),
        Option(("--repeat",), nargs=1),
        Option(("--abort",)),
        Option(("--ignore",)),
        Option(("--cancel",), nargs=1),
        Option(("-od", "--output-directory"), nargs=1),
        *(Option((short, long), group="preference") for short, long, _ in PREFERENCE_OPTIONS),
        *(Option((short, long), group=group) for short, long, _, group in OUTPUT_FLAGS),
        Option(("+p", "--padding-create"), nargs=2, group="padding"),
        Option(("+cl", "--compression-level"), nargs=1),
    ),
    conflicts=(Conflict(("+B",), _CONVERSIONS),),
    requires=(Requires("+cl", ("+td",)),),
)
"""``movescu``'s options (DCMTK movescu spellings)."""

_FLAG_NAMES: Final = frozenset(
    [long for _short, long, _group in _SWITCHES]
    + [long for _short, long, _help in PREFERENCE_OPTIONS]
    + [long for _short, long, _help, _group in OUTPUT_FLAGS]
)


class _DropFlags(typer.core.TyperCommand):
    """Removes the flags read from ``ctx.meta["dcmtk_argv"]`` before typer parses the rest."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        end = args.index("--") if "--" in args else len(args)
        kept = [arg for arg in args[:end] if arg not in _FLAG_NAMES] + args[end:]
        return super().parse_args(ctx, kept)


class _MovescuCommand(dcmtk_command(MOVESCU_OPTIONS), _DropFlags):  # type: ignore[misc]
    """The DCMTK pre-pass; switches and output flags are read from the normalised argv."""


MOVESCU_COMMAND: Final[type[typer.core.TyperCommand]] = _MovescuCommand


def _model(argv: NormalisedArgv) -> QueryModel:
    return next((m for _s, long, m in _MODELS if argv.has(long)), QueryModel.PATIENT_ROOT)


def _outgoing(argv: NormalisedArgv) -> str:
    return next((short for short, long in _OUTGOING if argv.has(long)), "-x=")


def _seconds(value: int | None) -> float | None:
    return None if value is None or value <= 0 else float(value)


def _read_query(path: str) -> Dataset:
    """A query file: Part 10 or a bare data set (detected); exit 20 when it cannot be read."""
    try:
        return read_file(path).dataset
    except OSError as exc:
        fail(COMMAND, f"cannot read query file {path}: {exc.strerror or exc}", EXIT_QUERY_FILE)
    except DicomNetError as exc:
        fail(COMMAND, f"query file {path} is not DICOM: {exc}", EXIT_QUERY_FILE)


def _identifiers(keys: list[str], files: list[str]) -> list[Dataset]:
    try:
        if not files:
            return [build_identifier(keys)]
        return [build_identifier(keys, base=_read_query(path)) for path in files]
    except IdentifierError as exc:
        fail(COMMAND, f"-k: {exc}", 1)


def _version_text() -> str:
    import dicomnet

    parts = [f"movescu (dicomnet {dicomnet.__version__})"]
    for dist in ("attrs", "construct", "typer"):
        try:
            parts.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - broken install
            parts.append(f"{dist} (not installed)")
    return "\n".join(parts)


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


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


#: Statuses of C-MOVE-RSP (PS3.4 C.4.2.1.5) that status_name() knows only by their class.
_MOVE_STATUS: Final = {
    0xA701: "Refused: Out of Resources - Unable to calculate number of matches",
    0xA702: "Refused: Out of Resources - Unable to perform sub-operations",
    0xA801: "Refused: Move Destination unknown",
    0xA900: "Failed: Identifier does not match SOP Class",
    0xB000: "Warning: Sub-operations Complete - One or more Failures or Warnings",
}


def _status(status: int) -> str:
    name = _MOVE_STATUS.get(status) or status_name(status)
    return name if f"{status:04X}" in name.upper() else f"{name} (0x{status:04X})"


def _log_progress(event: MoveProgress) -> None:
    rsp = event.response
    log.info(
        "move %d: %s, remaining %s, completed %s, failed %s, warning %s; received %d objects (%s)",
        event.index,
        _status(rsp.status),
        rsp.remaining,
        rsp.completed,
        rsp.failed,
        rsp.warning,
        event.received,
        _size(event.received_bytes),
    )


def outcome_exit_code(outcome: MoveOutcome) -> tuple[int, str | None]:
    """The exit code of one move and the line saying what went wrong (None when it went well)."""
    if outcome.error is not None:
        return EXIT_FAILURE, f"move {outcome.index} did not complete: {outcome.error}"
    assert outcome.status is not None
    category = outcome.category
    counts = f"completed {outcome.completed}, failed {outcome.failed}, warning {outcome.warning}"
    comment = f": {outcome.error_comment}" if outcome.error_comment else ""
    name = _status(outcome.status)
    if category in (StatusCategory.SUCCESS, StatusCategory.CANCEL):
        return 0, None
    if category is StatusCategory.WARNING:
        return EXIT_WARNING, f"move {outcome.index} ended with warning {name}{comment}; {counts}"
    return EXIT_FAILURE, f"move {outcome.index} failed: {name}{comment}; {counts}"


async def _run(
    peer: str, port: int, identifiers: list[Dataset], sink: DirectorySink | None, **kw: object
) -> list[MoveOutcome]:
    outcomes: list[MoveOutcome] = []
    async for event in retrieve(peer, port, identifiers, sink=sink, **kw):  # type: ignore[arg-type]
        if isinstance(event, MoveProgress):
            _log_progress(event)
        else:
            outcomes.append(event)
    return outcomes


_STAGE_EXIT: Final = {
    Stage.LISTEN: EXIT_NETWORK_INIT,
    Stage.ASSOCIATION: EXIT_ASSOCIATION,
    Stage.PRESENTATION_CONTEXT: EXIT_NO_CONTEXT,
    Stage.RELEASE: EXIT_RELEASE,
}


def movescu(
    ctx: typer.Context,
    peer: Annotated[str | None, typer.Argument(help="Hostname of the DICOM peer.")] = None,
    port: Annotated[int | None, typer.Argument(help="TCP/IP port number of the peer.")] = None,
    query_files: Annotated[
        list[str] | None, typer.Argument(help="Query files (DICOM data set or file).")
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Print version and exit.")] = False,
    arguments: Annotated[
        bool, typer.Option("--arguments", help="Print the expanded command line.")
    ] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print no warnings.")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Processing details.")] = False,
    debug: Annotated[bool, typer.Option("-d", "--debug", help="Debug information.")] = False,
    log_level: Annotated[
        str | None, typer.Option("-ll", "--log-level", help="fatal error warn info debug trace.")
    ] = None,
    key: Annotated[
        list[str] | None, typer.Option("-k", "--key", help="Query key gggg,eeee=v or keyword=v.")
    ] = None,
    aetitle: Annotated[str, typer.Option("-aet", "--aetitle", help="Our AE title.")] = "MOVESCU",
    call: Annotated[str, typer.Option("-aec", "--call", help="Called AE title.")] = "ANY-SCP",
    move_destination: Annotated[
        str, typer.Option("-aem", "--move", help="Move destination AE title.")
    ] = "MOVESCU",
    listen_port: Annotated[
        int | None, typer.Option("+P", "--port", help="Port for incoming associations.")
    ] = None,
    timeout: Annotated[
        int | None, typer.Option("-to", "--timeout", help="Connection timeout (s).")
    ] = None,
    acse_timeout: Annotated[
        int, typer.Option("-ta", "--acse-timeout", help="ACSE timeout (s).")
    ] = 30,
    dimse_timeout: Annotated[
        int | None, typer.Option("-td", "--dimse-timeout", help="DIMSE timeout (s).")
    ] = None,
    max_pdu: Annotated[
        int, typer.Option("-pdu", "--max-pdu", min=4096, max=131072, help="Max receive PDU.")
    ] = 16384,
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="Repeat the moves n times.")] = 1,
    abort: Annotated[bool, typer.Option("--abort", help="Abort instead of release.")] = False,
    ignore: Annotated[bool, typer.Option("--ignore", help="Receive data, store nothing.")] = False,
    cancel: Annotated[
        int | None, typer.Option("--cancel", min=0, help="C-CANCEL after n responses.")
    ] = None,
    output_directory: Annotated[
        str, typer.Option("-od", "--output-directory", help="Write received objects here.")
    ] = ".",
    padding_create: Annotated[
        tuple[int, int] | None,
        typer.Option("+p", "--padding-create", help="Pad file to F, items to I bytes."),
    ] = None,
    compression_level: Annotated[
        int, typer.Option("+cl", "--compression-level", help="Deflate level 0..9 (default 6).")
    ] = 6,
) -> None:
    """DICOM retrieve (C-MOVE) SCU.

    Models: -P (patient root, default) -S (study root) -O (patient/study only). Incoming: +P
    port / --no-port (default); +x= +xe +xb +xs +xy +xx +xv +xw +xt +xu +xm +xh +xn +xl +x2 +x3
    +xo +x4 +x5 +xr +xd +xi +xa. Outgoing: -x= -xe -xb -xd -xi. Pending: -pi (default) / -pr.

    Output: +B/-B, +F/-F, +t= +te +tb +ti +td, +g= +g -g, +e/-e, -p / +p F I, +u/-u, +cl N, -up.
    """
    argv: NormalisedArgv | None = ctx.meta.get("dcmtk_argv")
    if argv is None:
        argv = NormalisedArgv(args=[], expanded=[], spelled={})
    if arguments:
        typer.echo(" ".join(argv.expanded), err=True)
    if version:
        typer.echo(_version_text())
        raise typer.Exit(0)
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    if quiet:
        level = logging.CRITICAL
    if log_level is not None:
        if log_level.lower() not in _LOG_LEVELS:
            fail(COMMAND, f"-ll: unknown log level {log_level!r}", 1)
        level = _LOG_LEVELS[log_level.lower()]
    logging.basicConfig(format="%(levelname).1s: %(message)s", level=level, force=True)
    if peer is None or port is None:
        fail(COMMAND, "missing parameter: " + ("peer" if peer is None else "port"), 1)
    if not 0 < port <= 65535:
        fail(COMMAND, f"port must be 1..65535, not {port}", 1)
    if listen_port is not None and not 0 <= listen_port <= 65535:
        fail(COMMAND, f"+P: port must be 0..65535, not {listen_port}", 1)
    if not 0 <= compression_level <= 9:
        fail(COMMAND, f"+cl: compression level must be 0..9, not {compression_level}", 1)
    identifiers = _identifiers(key or [], query_files or [])
    bit_preserving = argv.has("--bit-preserving")
    try:
        sink = DirectorySink(
            output_directory,
            write_file_format=not argv.has("--write-dataset"),
            bit_preserving=bit_preserving,
            options=None
            if bit_preserving
            else write_options(argv, padding_create, compression_level),
            ignore=ignore,
            uid_padding_fix=argv.has("--uid-padding"),
        )
    except OutputDirectoryError as exc:
        fail(COMMAND, str(exc), EXIT_BAD_OUTPUT_DIRECTORY)
    except ValueError as exc:
        fail(COMMAND, str(exc), 1)
    start = time.monotonic()
    try:
        timeouts = Timeouts(
            connect=_seconds(timeout), acse=_seconds(acse_timeout), dimse=_seconds(dimse_timeout)
        )
        outcomes = asyncio.run(
            _run(
                peer,
                port,
                identifiers,
                sink,
                listen_port=listen_port,
                calling_ae_title=aetitle,
                called_ae_title=call,
                move_destination=move_destination,
                model=_model(argv),
                preference=preference_of(argv),
                outgoing=_outgoing(argv),
                max_pdu_length=max_pdu,
                timeouts=timeouts,
                pending_dataset="read" if argv.has("--pending-read") else "ignore",
                cancel_after=cancel,
                repeat=repeat,
                abort=abort,
                on_stored=_log_stored,
            )
        )
    except RetrieveError as exc:
        fail(COMMAND, str(exc), _STAGE_EXIT[exc.stage])
    except KeyboardInterrupt:
        fail(COMMAND, "interrupted", 130)
    except (DicomNetError, OSError, ValueError) as exc:
        fail(COMMAND, f"{type(exc).__name__}: {exc}", EXIT_FAILURE)
    finally:
        sink.close()
    _finish(outcomes, time.monotonic() - start, quiet)


def _finish(outcomes: list[MoveOutcome], seconds: float, quiet: bool) -> None:
    """Print the summary line and exit with the worst move's code."""
    objects = sum(o.received for o in outcomes)
    size = sum(o.received_bytes for o in outcomes)
    rate = objects / seconds if seconds > 0 else 0.0
    if not quiet:
        typer.echo(
            f"{len(outcomes)} move(s): {objects} objects, {_size(size)} received in "
            f"{seconds:.2f} s ({rate:.1f} objects/s, {size / 1e6 / max(seconds, 1e-9):.1f} MB/s)",
            err=True,
        )
    code = 0
    for outcome in outcomes:
        outcome_code, message = outcome_exit_code(outcome)
        if message is not None:
            typer.echo(f"{COMMAND}: error: {message}", err=True)
        code = max(code, outcome_code)
    raise typer.Exit(code)


app = typer.Typer(
    name="movescu",
    help="DICOM retrieve (C-MOVE) SCU.",
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("movescu", cls=MOVESCU_COMMAND)(movescu)


def main() -> None:
    """Console-script entry point: ``movescu [options] peer port [query-file...]``."""
    app()


if __name__ == "__main__":
    main()
