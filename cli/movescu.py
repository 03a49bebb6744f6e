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

import logging
import time
from typing import TYPE_CHECKING, Annotated, Final

import typer
import typer.core

from dicomnet.errors import DicomNetError
from dicomnet_cli.dcmtk_args import (
    TLS_OPTIONS,
    Conflict,
    NormalisedArgv,
    Option,
    OptionTable,
    Requires,
    dcmtk_command,
    standalone_app,
)
from dicomnet_cli.errors import (
    exit_with_worst,
    fail,
    peer_address,
    run_console_script,
    startup_done,
)
from dicomnet_cli.movescu_progress import (
    PROGRESS_ENV,
    ConsoleHandler,
    Progress,
    progress_console,
    status_text,
    summary_line,
)
from dicomnet_cli.options import (
    AddCertFile,
    AnonymousTls,
    Arguments,
    Debug,
    DisableTls,
    EnableTls,
    IgnorePeerCert,
    Quiet,
    Verbose,
    Version,
)
from dicomnet_cli.storescp import OUTPUT_FLAGS, PREFERENCE_OPTIONS, preference_of, write_options

if TYPE_CHECKING:
    import ssl

    from rich.console import Console

    from dicomnet.dataset import Dataset
    from dicomnet.services.query import QueryModel
    from dicomnet.services.store import DirectorySink
    from dicomnet.transport.access import HostAccess
    from dicomnet.transport.retrieve import MoveOutcome

__all__ = ["MOVESCU_COMMAND", "MOVESCU_OPTIONS", "PROGRESS_ENV", "app", "main", "movescu"]

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

#: ``-P/-S/-O`` and the :class:`~dicomnet.services.query.QueryModel` member each selects.
_MODELS: Final = (
    ("-P", "--patient", "PATIENT_ROOT"),
    ("-S", "--study", "STUDY_ROOT"),
    ("-O", "--psonly", "PATIENT_STUDY_ONLY"),
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
    ("-ac", "--access-full", "access"),
    ("+ac", "--access-control", "access"),
    ("-dhl", "--disable-host-lookup", "host-lookup"),
)

_CONVERSIONS: Final = ("+te", "+tb", "+ti", "+td", "+g", "-g", "-e", "+p", "-u")

TRACE: Final = 5
"""DCMTK's ``trace`` log level: below DEBUG, named TRACE in log records."""

_LOG_LEVELS: Final = {
    "fatal": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": TRACE,
}

MOVESCU_OPTIONS: Final = OptionTable(
    (
        Option(("--version",)),
        Option(("--arguments",)),
        Option(("-q", "--quiet"), group="log"),
        Option(("-v", "--verbose"), group="log"),
        Option(("-d", "--debug"), group="log"),
        Option(("-ll", "--log-level"), nargs=1, group="log"),
        Option(("-lc", "--log-config"), nargs=1),
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
        Option(("--retrieve-timeout",), nargs=1),
        *TLS_OPTIONS,
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
    from dicomnet.services.query import QueryModel

    return QueryModel[next((m for _s, long, m in _MODELS if argv.has(long)), "PATIENT_ROOT")]


def _outgoing(argv: NormalisedArgv) -> str:
    return next((short for short, long in _OUTGOING if argv.has(long)), "-x=")


def _seconds(value: int | None) -> float | None:
    return None if value is None or value <= 0 else float(value)


def _read_query(path: str) -> Dataset:
    """A query file: Part 10 or a bare data set (detected); exit 20 when it cannot be read."""
    from dicomnet.dataset import read_file

    try:
        return read_file(path).dataset
    except OSError as exc:
        fail(COMMAND, f"cannot read query file {path}: {exc.strerror or exc}", EXIT_QUERY_FILE)
    except DicomNetError as exc:
        fail(COMMAND, f"query file {path} is not DICOM: {exc}", EXIT_QUERY_FILE)


def _identifiers(keys: list[str], files: list[str]) -> list[Dataset]:
    from dicomnet.services.query import IdentifierError, build_identifier

    try:
        if not files:
            return [build_identifier(keys)]
        return [build_identifier(keys, base=_read_query(path)) for path in files]
    except IdentifierError as exc:
        fail(COMMAND, f"-k: {exc}", 1)


def _version_text() -> str:
    import importlib.metadata

    import dicomnet

    parts = [f"movescu (dicomnet {dicomnet.__version__})"]
    for dist in ("attrs", "construct", "typer"):
        try:
            parts.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - broken install
            parts.append(f"{dist} (not installed)")
    return "\n".join(parts)


def outcome_exit_code(outcome: MoveOutcome) -> tuple[int, str | None]:
    """The exit code of one move and the line saying what went wrong (None when it went well)."""
    from dicomnet.dimse.status import StatusCategory

    if outcome.error is not None:
        return EXIT_FAILURE, f"move {outcome.index} did not complete: {outcome.error}"
    assert outcome.status is not None
    category = outcome.category
    counts = f"completed {outcome.completed}, failed {outcome.failed}, warning {outcome.warning}"
    comment = f": {outcome.error_comment}" if outcome.error_comment else ""
    name = status_text(outcome.status)
    if category in (StatusCategory.SUCCESS, StatusCategory.CANCEL):
        return 0, None
    if category is StatusCategory.WARNING:
        return EXIT_WARNING, f"move {outcome.index} ended with warning {name}{comment}; {counts}"
    return EXIT_FAILURE, f"move {outcome.index} failed: {name}{comment}; {counts}"


class _RetrieveTimeout(DicomNetError):
    """``--retrieve-timeout`` expired: the run was aborted."""


async def _run(
    peer: str,
    port: int,
    identifiers: list[Dataset],
    sink: DirectorySink | None,
    progress: Progress,
    total_timeout: float | None = None,
    **kw: object,
) -> list[MoveOutcome]:
    import asyncio

    from dicomnet.transport.retrieve import MoveProgress, retrieve

    outcomes: list[MoveOutcome] = []
    events = retrieve(peer, port, identifiers, sink=sink, on_stored=progress.stored, **kw)  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(total_timeout):
            async for event in events:
                if isinstance(event, MoveProgress):
                    progress.update(event)
                else:
                    progress.finished(event)
                    outcomes.append(event)
    except TimeoutError:
        done = sum(o.received for o in outcomes) + progress.pending_objects(outcomes)
        raise _RetrieveTimeout(
            f"--retrieve-timeout: the retrieve took longer than {total_timeout:g} s and was"
            f" aborted after {len(outcomes)} complete move(s), {done} object(s) received"
        ) from None
    finally:
        await events.aclose()
    return outcomes


def _tls_contexts(
    enable: tuple[str, str] | None, anonymous: bool, cert_files: list[str], ignore_peer: bool
) -> tuple[ssl.SSLContext | None, ssl.SSLContext | None]:
    """``+tls KEY CERT`` / ``+tla``, ``+cf``, ``-ic``: the C-MOVE (client) and incoming (server)
    contexts (PS3.15 B.9). Incoming associations use TLS only with our own certificate (``+tls``);
    ``+tla`` secures the outgoing association alone. A bad file exits 1 with one line."""
    if enable is None and not anonymous:
        return None, None
    import ssl

    from dicomnet.transport.tls import client_context, server_context

    for path in (*(enable or ()), *cert_files):
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            fail(COMMAND, f"TLS: cannot read {path}: {exc.strerror or exc}", 1)
    try:
        client = client_context(verify=not ignore_peer, check_hostname=False)
        for cert in cert_files:
            client.load_verify_locations(cafile=cert)
        if enable is None:
            return client, None
        key, cert = enable
        client.load_cert_chain(cert, key)
        server = server_context(cert, key)
        if not ignore_peer and cert_files:
            for trusted in cert_files:
                server.load_verify_locations(cafile=trusted)
            server.verify_mode = ssl.CERT_OPTIONAL  # a certificate sent must verify
    except (OSError, ssl.SSLError, ValueError) as exc:
        fail(COMMAND, f"TLS: {exc}", 1)
    return client, server


#: Exit code per :class:`~dicomnet.transport.retrieve.Stage` value.
_STAGE_EXIT: Final = {
    "listen": EXIT_NETWORK_INIT,
    "association": EXIT_ASSOCIATION,
    "presentation-context": EXIT_NO_CONTEXT,
    "release": EXIT_RELEASE,
}


def movescu(
    ctx: typer.Context,
    peer: Annotated[str | None, typer.Argument(help="Hostname of the DICOM peer.")] = None,
    port: Annotated[int | None, typer.Argument(help="TCP/IP port number of the peer.")] = None,
    query_files: Annotated[
        list[str] | None, typer.Argument(help="Query files (DICOM data set or file).")
    ] = None,
    version: Version = False,
    arguments: Arguments = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
    log_level: Annotated[
        str | None, typer.Option("-ll", "--log-level", help="fatal error warn info debug trace.")
    ] = None,
    log_config: Annotated[
        str | None,
        typer.Option("-lc", "--log-config", help="Logging config file (fileConfig INI)."),
    ] = None,
    key: Annotated[
        list[str] | None, typer.Option("-k", "--key", help="Query key gggg,eeee=v or keyword=v.")
    ] = None,
    aetitle: Annotated[str, typer.Option("-aet", "--aetitle", help="Our AE title.")] = "MOVESCU",
    call: Annotated[str, typer.Option("-aec", "--call", help="Called AE title.")] = "ANY-SCP",
    move_destination: Annotated[
        str | None,
        typer.Option(
            "-aem", "--move", help="Move destination AE title (default: our AE title, -aet)."
        ),
    ] = None,
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
    retrieve_timeout: Annotated[
        float | None,
        typer.Option("--retrieve-timeout", help="Bound the whole run (s); exceeded: abort, 69."),
    ] = None,
    disable_tls: DisableTls = False,
    enable_tls: EnableTls = None,
    anonymous_tls: AnonymousTls = False,
    add_cert_file: AddCertFile = None,
    ignore_peer_cert: IgnorePeerCert = False,
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
    Access: -ac (default) / +ac (hosts.allow/hosts.deny, daemon movescu); -dhl: no host lookup.

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
    if ctx.meta.get("dcmtk_argv") is not None:
        quiet = argv.has("--quiet")  # the rightmost of -q/-v/-d/-ll wins
    console = progress_console(quiet)
    _configure_logging(argv, log_level, log_config, console)
    peer, port = peer_address(COMMAND, peer, port)
    if listen_port is not None and not 0 <= listen_port <= 65535:
        fail(COMMAND, f"+P: port must be 0..65535, not {listen_port}", 1)
    if not 0 <= compression_level <= 9:
        fail(COMMAND, f"+cl: compression level must be 0..9, not {compression_level}", 1)
    identifiers = _identifiers(key or [], query_files or [])
    # The rest of the library is loaded only here: --help, --version and command-line errors
    # never pay for it (start-up counts on small moves; docs/cli.md).
    import asyncio

    from dicomnet.services.store import DirectorySink, OutputDirectoryError
    from dicomnet.transport.aio import Timeouts
    from dicomnet.transport.retrieve import RetrieveError

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
    if retrieve_timeout is not None and retrieve_timeout <= 0:
        fail(COMMAND, f"--retrieve-timeout must be positive, not {retrieve_timeout}", 1)
    # -tls / +tls / +tla: the rightmost wins (the normalised argv keeps only that one)
    anonymous_tls = argv.has("--anonymous-tls")
    if not argv.has("--enable-tls"):
        enable_tls = None
    tls, server_tls = _tls_contexts(
        enable_tls, anonymous_tls, add_cert_file or [], ignore_peer_cert
    )
    startup_done()
    start = time.monotonic()
    try:
        timeouts = Timeouts(
            connect=_seconds(timeout), acse=_seconds(acse_timeout), dimse=_seconds(dimse_timeout)
        )
        with Progress(console) as progress:
            outcomes = asyncio.run(
                _run(
                    peer,
                    port,
                    identifiers,
                    sink,
                    progress,
                    listen_port=listen_port,
                    calling_ae_title=aetitle,
                    called_ae_title=call,
                    # DCMTK's movescu moves to its own AE title unless -aem names another one.
                    move_destination=aetitle if move_destination is None else move_destination,
                    model=_model(argv),
                    preference=preference_of(argv),
                    outgoing=_outgoing(argv),
                    max_pdu_length=max_pdu,
                    timeouts=timeouts,
                    pending_dataset="read" if argv.has("--pending-read") else "ignore",
                    cancel_after=cancel,
                    repeat=repeat,
                    abort=abort,
                    access=_host_access() if argv.has("--access-control") else None,
                    host_lookup=not argv.has("--disable-host-lookup"),
                    tls=tls,
                    server_tls=server_tls,
                    total_timeout=retrieve_timeout,
                )
            )
    except RetrieveError as exc:
        fail(COMMAND, str(exc), _STAGE_EXIT[exc.stage.value])
    except _RetrieveTimeout as exc:
        fail(COMMAND, str(exc), EXIT_FAILURE)
    except KeyboardInterrupt:
        fail(COMMAND, "interrupted", 130)
    except (DicomNetError, OSError, ValueError) as exc:
        fail(COMMAND, f"{type(exc).__name__}: {exc}", EXIT_FAILURE)
    finally:
        sink.close()
    _finish(outcomes, time.monotonic() - start, quiet)


def _configure_logging(
    argv: NormalisedArgv, log_level: str | None, log_config: str | None, console: Console | None
) -> None:
    """``-q/-v/-d/-ll`` (the rightmost wins) set the level; ``-lc FILE`` replaces the whole set-up.

    The file is a :func:`logging.config.fileConfig` INI file (Python's analogue of DCMTK's
    log4cplus configuration); the command's logger is ``dicomnet.movescu``, the library's
    ``dicomnet``. An unreadable or invalid file exits 1 with one line.
    """
    logging.addLevelName(TRACE, "TRACE")
    level = logging.WARNING
    if argv.has("--quiet"):
        level = logging.CRITICAL
    elif argv.has("--verbose"):
        level = logging.INFO
    elif argv.has("--debug"):
        level = logging.DEBUG
    elif log_level is not None:
        if log_level.lower() not in _LOG_LEVELS:
            fail(COMMAND, f"-ll: unknown log level {log_level!r}", 1)
        level = _LOG_LEVELS[log_level.lower()]
    handler: logging.Handler = (
        logging.StreamHandler() if console is None else ConsoleHandler(console)
    )
    handler.setFormatter(logging.Formatter("%(levelname).1s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    if log_config is None:
        return
    from logging import config as logging_config

    try:
        with open(log_config, encoding="utf-8") as stream:
            logging_config.fileConfig(stream, disable_existing_loggers=False)
    except OSError as exc:
        fail(COMMAND, f"-lc: cannot read {log_config}: {exc.strerror or exc}", 1)
    except Exception as exc:  # fileConfig raises KeyError, ValueError, configparser errors...
        fail(COMMAND, f"-lc: invalid logging configuration {log_config}: {exc!r}", 1)


def _host_access() -> HostAccess:
    """``+ac``: hosts.allow/hosts.deny, read at start-up (only then is the module imported)."""
    from dicomnet.transport.access import HostAccess

    return HostAccess.load()


def _finish(outcomes: list[MoveOutcome], seconds: float, quiet: bool) -> None:
    """Print the summary line and exit with the worst move's code."""
    if not quiet:
        typer.echo(summary_line(outcomes, seconds), err=True)
    exit_with_worst(COMMAND, outcomes, outcome_exit_code)


app = standalone_app("movescu", "DICOM retrieve (C-MOVE) SCU.", MOVESCU_COMMAND, movescu)


def main() -> None:
    """Console-script entry point: ``movescu [options] peer port [query-file...]``."""
    run_console_script(app, pause_gc=True)


if __name__ == "__main__":
    main()
