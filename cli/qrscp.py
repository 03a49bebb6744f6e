"""``dicomnet qrscp [options] FOLDER PORT``: an embedded Query/Retrieve archive (PS3.4 Annex C).

Indexes FOLDER at start (:class:`~dicomnet.archive.Archive`: SQLite in memory, or ``--database
FILE``) and serves it with :class:`~dicomnet.services.qr_scp.QRSCP`: C-ECHO, and C-FIND, C-MOVE
and C-GET in the patient root, study root and patient/study only models, and C-STORE into FOLDER
(:meth:`~dicomnet.archive.Archive.storage_sink`: each stored file is indexed at once, so the next
C-FIND finds it; an object whose association ends mid-way leaves no file). C-MOVE destinations come
from ``--dest AE=HOST:PORT`` (repeatable) and/or ``--config FILE`` (TOML, see ``docs/qrscp.md``);
the command line wins over the file. ``+x`` options (DCMTK's storescp spellings) order the
transfer syntaxes of the storage contexts (C-STOREs received, and those a C-GET requestor proposes
for its SCP role). Network:
``-aet``, ``-pdu``, ``-to`` (connection timeout of the C-MOVE sub-associations), ``-ta``, ``-td``;
``--bind ADDRESS`` listens on one address (default ``127.0.0.1``: an archive is not published on
the network unless asked; ``--bind 0.0.0.0`` or ``--bind ::`` for every interface).

SIGHUP re-indexes FOLDER (new, changed and removed files). Runs in the foreground until SIGINT or
SIGTERM, then stops listening, lets open associations finish for a moment and exits 0. Exit codes:
0 after a signal; 1 command line or configuration file; 45 FOLDER missing or unreadable; 60 the
port cannot be opened (in use, no permission).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import tomllib
from pathlib import Path
from typing import Annotated, Any, Final

import attrs
import typer
import typer.core

from dicomnet.acse import AcceptorConfig
from dicomnet.archive import Archive
from dicomnet.services.qr_scp import QRSCP, qr_acceptor_config
from dicomnet.services.storage_scp import preferred_transfer_syntaxes
from dicomnet.transport import aio
from dicomnet_cli.dcmtk_args import (
    Option,
    OptionTable,
    dcmtk_command,
    standalone_app,
    start_command,
)
from dicomnet_cli.errors import fail
from dicomnet_cli.options import Arguments, Debug, Quiet, Verbose, Version
from dicomnet_cli.storescp import PREFERENCE_OPTIONS, preference_of

__all__ = [
    "QRSCP_COMMAND",
    "QRSCP_OPTIONS",
    "QRSCPSettings",
    "app",
    "parse_destination",
    "qrscp",
    "qrscp_acceptor_config",
    "read_config",
    "run_qrscp",
]

COMMAND: Final = "dicomnet qrscp"
EXIT_BAD_FOLDER: Final = 45
EXIT_NETWORK_INIT: Final = 60
DEFAULT_BIND: Final = "127.0.0.1"

log = logging.getLogger("dicomnet.qrscp")

QRSCP_OPTIONS: Final = OptionTable(
    (
        Option(("--version",)),
        Option(("--arguments",)),
        Option(("-q", "--quiet"), group="log"),
        Option(("-v", "--verbose"), group="log"),
        Option(("-d", "--debug"), group="log"),
        Option(("-aet", "--aetitle"), nargs=1),
        Option(("--dest",), nargs=1, repeatable=True),
        Option(("--config",), nargs=1),
        Option(("--database",), nargs=1),
        Option(("-pdu", "--max-pdu"), nargs=1),
        Option(("-to", "--timeout"), nargs=1),
        Option(("-ta", "--acse-timeout"), nargs=1),
        Option(("-td", "--dimse-timeout"), nargs=1),
        Option(("--bind",), nargs=1),
        *(Option((short, long), group="preference") for short, long, _ in PREFERENCE_OPTIONS),
    )
)
"""``dicomnet qrscp``'s options (DCMTK spellings where DCMTK has one)."""

_FLAG_NAMES: Final = frozenset(long for _short, long, _help in PREFERENCE_OPTIONS)


class _DropPreferenceFlags(typer.core.TyperCommand):
    """Removes the ``+x`` flags (read from ``ctx.meta["dcmtk_argv"]``) before typer parses."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        end = args.index("--") if "--" in args else len(args)
        kept = [arg for arg in args[:end] if arg not in _FLAG_NAMES] + args[end:]
        return super().parse_args(ctx, kept)


class _QrscpCommand(dcmtk_command(QRSCP_OPTIONS), _DropPreferenceFlags):  # type: ignore[misc]
    """The DCMTK pre-pass; the ``+x`` flags are read from the normalised argv."""


QRSCP_COMMAND: Final[type[typer.core.TyperCommand]] = _QrscpCommand


class ConfigError(ValueError):
    """A bad ``--dest`` value or configuration file (exit 1)."""


@attrs.frozen
class QRSCPSettings:
    """What a ``--config`` file may set (every field optional; the command line wins)."""

    ae_title: str | None = None
    bind: str | None = None
    database: str | None = None
    max_pdu: int | None = None
    destinations: dict[str, tuple[str, int]] = attrs.Factory(dict)


def parse_destination(text: str) -> tuple[str, tuple[str, int]]:
    """``AE=HOST:PORT`` -> ``(AE, (HOST, PORT))``; an IPv6 host is written ``[::1]:104``."""
    ae, sep, address = text.partition("=")
    ae = ae.strip()
    if not sep or not ae or len(ae) > 16:
        raise ConfigError(f"--dest {text!r}: expected AE=HOST:PORT with an AE title of 1-16 chars")
    host, colon, port_text = address.rpartition(":")
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not colon or not host or not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        raise ConfigError(f"--dest {text!r}: expected AE=HOST:PORT with a port of 1..65535")
    return ae, (host, int(port_text))


def _str_setting(table: dict[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{key} must be a string")
    return value


def read_config(path: str | os.PathLike[str]) -> QRSCPSettings:
    """Read a TOML configuration file (``docs/qrscp.md``); raises :class:`ConfigError`."""
    try:
        with open(path, "rb") as stream:
            table = tomllib.load(stream)
    except OSError as exc:
        raise ConfigError(f"cannot read {os.fspath(path)}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{os.fspath(path)}: {exc}") from None
    known = {"ae_title", "bind", "database", "max_pdu", "destinations"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{os.fspath(path)}: unknown setting {unknown[0]!r}")
    max_pdu = table.get("max_pdu")
    if max_pdu is not None and (not isinstance(max_pdu, int) or isinstance(max_pdu, bool)):
        raise ConfigError("max_pdu must be an integer")
    raw = table.get("destinations", {})
    if not isinstance(raw, dict):
        raise ConfigError('[destinations] must be a table of AE = "HOST:PORT"')
    destinations: dict[str, tuple[str, int]] = {}
    for ae, address in raw.items():
        if not isinstance(address, str):
            raise ConfigError(f'destination {ae!r} must be a "HOST:PORT" string')
        name, target = parse_destination(f"{ae}={address}")
        destinations[name] = target
    return QRSCPSettings(
        ae_title=_str_setting(table, "ae_title"),
        bind=_str_setting(table, "bind"),
        database=_str_setting(table, "database"),
        max_pdu=max_pdu,
        destinations=destinations,
    )


def qrscp_acceptor_config(
    ae_title: str, preference: str = "+x=", *, max_pdu_length: int = 16384
) -> AcceptorConfig:
    """:func:`qr_acceptor_config` with the storage contexts ordered by ``preference``.

    The ``+x`` syntaxes come first; the others the Q/R SCP accepts follow, except for ``+xi``
    (implicit VR little endian only), which keeps only its own.
    """
    config = qr_acceptor_config(ae_title, storage=True, max_pdu_length=max_pdu_length)
    preferred = preferred_transfer_syntaxes(preference)
    contexts = []
    for context in config.supported_contexts:
        if context.scu_role:  # the storage contexts (C-STORE, C-GET sub-operations)
            rest = () if preference == "+xi" else context.transfer_syntaxes
            syntaxes = tuple(dict.fromkeys((*preferred, *rest)))
            context = attrs.evolve(context, transfer_syntaxes=syntaxes)
        contexts.append(context)
    return attrs.evolve(config, supported_contexts=tuple(contexts))


async def run_qrscp(
    port: int,
    archive: Archive,
    *,
    ae_title: str = "QRSCP",
    preference: str = "+x=",
    max_pdu: int = 16384,
    timeouts: aio.Timeouts | None = None,
    host: str | None = DEFAULT_BIND,
    stop: asyncio.Event | None = None,
    grace: float = 5.0,
    on_listening: Any = None,
) -> int:
    """Serve ``archive`` on ``port`` until ``stop`` is set (or SIGINT/SIGTERM); the number served.

    SIGHUP re-indexes the folder (:meth:`Archive.rescan`) between operations.

    ``on_listening(port)`` is called once the port is open (the port actually bound).
    """
    config = qrscp_acceptor_config(ae_title, preference, max_pdu_length=max_pdu)
    scp = QRSCP(
        archive,
        connect=functools.partial(aio.connect, timeouts=timeouts),
        ae_title=ae_title,
        max_pdu_length=max_pdu,
        sink=archive.storage_sink(),
    )
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError, AttributeError):
        loop.add_signal_handler(signal.SIGHUP, _rescan, archive)
        installed.append(signal.SIGHUP)
    try:
        server = await aio.serve(scp, config, host, port, timeouts=timeouts)
        log.info("listening on %s port %d", host or "every interface", server.port)
        if on_listening is not None:
            on_listening(server.port)
        try:
            await stop.wait()
        finally:
            await server.close(grace)
        return server.associations_served
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _rescan(archive: Archive) -> None:
    """SIGHUP: pick up files added, changed or removed since the last scan."""
    try:
        count = archive.rescan()
    except Exception:
        log.exception("re-indexing failed")
        return
    log.info("re-indexed: %d files (re)read", count)


def _seconds(value: int | None) -> float | None:
    return None if value is None or value <= 0 else float(value)


def qrscp(
    ctx: typer.Context,
    folder: Annotated[
        str | None, typer.Argument(help="Folder of DICOM files to serve (indexed at start).")
    ] = None,
    port: Annotated[int | None, typer.Argument(help="TCP/IP port number to listen on.")] = None,
    version: Version = False,
    arguments: Arguments = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
    aetitle: Annotated[
        str | None, typer.Option("-aet", "--aetitle", help="Our AE title (default QRSCP).")
    ] = None,
    dest: Annotated[
        list[str] | None,
        typer.Option("--dest", help="C-MOVE destination AE=HOST:PORT (repeatable)."),
    ] = None,
    config: Annotated[
        str | None, typer.Option("--config", help="TOML file: settings and destinations.")
    ] = None,
    database: Annotated[
        str | None, typer.Option("--database", help="SQLite index file (default: in memory).")
    ] = None,
    max_pdu: Annotated[
        int | None,
        typer.Option("-pdu", "--max-pdu", min=4096, max=131072, help="Max receive PDU."),
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
    bind: Annotated[
        str | None, typer.Option("--bind", help="Listen on this address (default 127.0.0.1).")
    ] = None,
) -> None:
    """Embedded DICOM archive: C-ECHO, C-FIND, C-MOVE, C-GET and C-STORE over a folder.

    Preferred transfer syntaxes for C-STORE and C-GET sub-operations (rightmost wins): +x=
    (default) +xe +xb +xs +xy +xx +xv +xw +xt +xu +xm +xh +xn +xl +x2 +x3 +xo +x4 +x5 +xr +xd
    +xi +xa.
    """
    argv = start_command(
        ctx,
        "qrscp",
        version=version,
        arguments=arguments,
        quiet=quiet,
        verbose=verbose,
        debug=debug,
    )
    if folder is None:
        fail(COMMAND, "missing parameter: folder", 1)
    if port is None:
        fail(COMMAND, "missing parameter: port", 1)
    if not 0 <= port <= 65535:
        fail(COMMAND, f"port must be 0..65535, not {port}", 1)
    try:
        settings = read_config(config) if config is not None else QRSCPSettings()
        destinations = dict(settings.destinations)
        destinations.update(parse_destination(text) for text in dest or ())
    except ConfigError as exc:
        fail(COMMAND, str(exc), 1)
    ae_title = aetitle or settings.ae_title or "QRSCP"
    pdu = max_pdu or settings.max_pdu or 16384
    if not 4096 <= pdu <= 131072:
        fail(COMMAND, f"max PDU must be 4096..131072, not {pdu}", 1)
    host = (
        bind if bind is not None else settings.bind if settings.bind is not None else DEFAULT_BIND
    )
    if not Path(folder).is_dir():
        fail(COMMAND, f"folder {folder} does not exist or is not a directory", EXIT_BAD_FOLDER)
    try:
        archive = Archive(
            folder,
            database=database or settings.database or ":memory:",
            destinations=destinations,
            ae_title=ae_title,
        )
    except OSError as exc:
        fail(COMMAND, f"cannot index {folder}: {exc.strerror or exc}", EXIT_BAD_FOLDER)
    except Exception as exc:  # sqlite3.Error for a bad --database file, among others
        fail(COMMAND, f"cannot index {folder}: {exc}", EXIT_BAD_FOLDER)
    log.info("indexed %s", folder)
    try:
        timeouts = aio.Timeouts(
            connect=_seconds(timeout), acse=_seconds(acse_timeout), dimse=_seconds(dimse_timeout)
        )
        asyncio.run(
            run_qrscp(
                port,
                archive,
                ae_title=ae_title,
                preference=preference_of(argv),
                max_pdu=pdu,
                timeouts=timeouts,
                host=host or None,
            )
        )
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        fail(COMMAND, f"cannot listen on port {port}: {exc.strerror or exc}", EXIT_NETWORK_INIT)
    except ValueError as exc:
        fail(COMMAND, str(exc), 1)


app = standalone_app("qrscp", "Embedded DICOM archive (Q/R SCP).", QRSCP_COMMAND, qrscp)

if __name__ == "__main__":
    app()
