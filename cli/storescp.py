"""``dicomnet storescp [options] PORT``: a Storage SCP (PS3.4 Annex B) spelled like DCMTK's.

Listens on PORT, accepts Verification and every Storage SOP class in the transfer syntaxes of the
``+x`` preference (``+x= +xe +xb +xs +xy +xx +xv +xw +xt +xu +xm +xh +xn +xl +x2 +x3 +xo +x4 +x5
+xr +xd +xi +xa``; a compressed preference still accepts the uncompressed syntaxes), and writes
each received object to ``-od`` under DCMTK's name ``<prefix>.<SOPInstanceUID>`` through
:class:`~dicomnet.services.store.DirectorySink` (a temporary file, then a rename). Output options
are DCMTK's: ``+B/-B``, ``+F/-F``, ``+t= +te +tb +ti +td``, ``+g= +g -g``, ``+e/-e``, ``-p/+p F
I``, ``+u/-u``, ``+cl N``, ``-up``; ``--ignore`` receives and stores nothing. Network: ``-aet``,
``-pdu``, ``-to``/``-ts`` (TLS handshake), ``-ta``, ``-td``; ``--bind ADDRESS`` (not DCMTK's)
listens on one address instead of all. Runs until SIGINT or SIGTERM, then
stops listening, lets open associations finish for a moment and exits 0.

Exit codes: 0 after a signal; 1 command line; 45 bad output directory; 60 the port cannot be
opened (in use, no permission).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import signal
from typing import TYPE_CHECKING, Annotated, Final

import typer
import typer.core

from dicomnet_cli.dcmtk_args import (
    Conflict,
    NormalisedArgv,
    Option,
    OptionTable,
    Requires,
    dcmtk_command,
    standalone_app,
    start_command,
)
from dicomnet_cli.errors import fail
from dicomnet_cli.options import Arguments, Debug, Quiet, Verbose, Version

# The library is imported where it is used: ``movescu``, which shares the option tables and
# write_options() below, prints --help and --version without loading it.
if TYPE_CHECKING:
    import asyncio

    from dicomnet.acse import AcceptorConfig
    from dicomnet.dataset import WriteOptions
    from dicomnet.services.storage_scp import StorageSCP
    from dicomnet.services.store import StoreRequest, StoreResult
    from dicomnet.transport import aio

__all__ = ["STORESCP_COMMAND", "STORESCP_OPTIONS", "app", "run_storescp", "storescp"]

COMMAND: Final = "dicomnet storescp"
EXIT_BAD_OUTPUT_DIRECTORY: Final = 45
EXIT_NETWORK_INIT: Final = 60

log = logging.getLogger("dicomnet.storescp")

#: ``+x`` options: DCMTK's short and long spellings and the preference key they select.
PREFERENCE_OPTIONS: Final = (
    ("+x=", "--prefer-uncompr", "prefer explicit VR local byte order (default)"),
    ("+xe", "--prefer-little", "prefer explicit VR little endian"),
    ("+xb", "--prefer-big", "prefer explicit VR big endian"),
    ("+xs", "--prefer-lossless", "prefer JPEG lossless SV1"),
    ("+xy", "--prefer-jpeg8", "prefer JPEG baseline (8 bit)"),
    ("+xx", "--prefer-jpeg12", "prefer JPEG extended (12 bit)"),
    ("+xv", "--prefer-j2k-lossless", "prefer JPEG 2000 lossless"),
    ("+xw", "--prefer-j2k-lossy", "prefer JPEG 2000"),
    ("+xt", "--prefer-jls-lossless", "prefer JPEG-LS lossless"),
    ("+xu", "--prefer-jls-lossy", "prefer JPEG-LS near-lossless"),
    ("+xm", "--prefer-mpeg2", "prefer MPEG2 MP@ML"),
    ("+xh", "--prefer-mpeg2-high", "prefer MPEG2 MP@HL"),
    ("+xn", "--prefer-mpeg4", "prefer MPEG-4 AVC HP@4.1"),
    ("+xl", "--prefer-mpeg4-bd", "prefer MPEG-4 AVC BD-compatible"),
    ("+x2", "--prefer-mpeg4-2-2d", "prefer MPEG-4 AVC HP@4.2 2D"),
    ("+x3", "--prefer-mpeg4-2-3d", "prefer MPEG-4 AVC HP@4.2 3D"),
    ("+xo", "--prefer-mpeg4-2-st", "prefer MPEG-4 AVC Stereo HP@4.2"),
    ("+x4", "--prefer-hevc", "prefer HEVC Main@5.1"),
    ("+x5", "--prefer-hevc10", "prefer HEVC Main 10@5.1"),
    ("+xr", "--prefer-rle", "prefer RLE lossless"),
    ("+xd", "--prefer-deflated", "prefer deflated explicit VR little endian"),
    ("+xi", "--implicit", "accept implicit VR little endian only"),
    ("+xa", "--accept-all", "accept all supported transfer syntaxes"),
)

#: Output flags read from the normalised argv (canonical name, spellings, help, group).
OUTPUT_FLAGS: Final = (
    ("+B", "--bit-preserving", "write data exactly as received", "bit-preserving"),
    ("-B", "--normal", "allow format conversions (default)", "bit-preserving"),
    ("+F", "--write-file", "write file format (default)", "format"),
    ("-F", "--write-dataset", "write data set without meta information", "format"),
    ("+t=", "--write-xfer-same", "same transfer syntax as received (default)", "xfer"),
    ("+te", "--write-xfer-little", "write explicit VR little endian", "xfer"),
    ("+tb", "--write-xfer-big", "write explicit VR big endian", "xfer"),
    ("+ti", "--write-xfer-implicit", "write implicit VR little endian", "xfer"),
    ("+td", "--write-xfer-deflated", "write deflated explicit VR little endian", "xfer"),
    ("+u", "--enable-new-vr", "new VRs (default)", "new-vr"),
    ("-u", "--disable-new-vr", "write UN/UT/... as OB", "new-vr"),
    ("+g=", "--group-length-recalc", "recalculate group lengths (default)", "group-length"),
    ("+g", "--group-length-create", "always write group lengths", "group-length"),
    ("-g", "--group-length-remove", "never write group lengths", "group-length"),
    ("+e", "--length-explicit", "explicit sequence/item lengths (default)", "length"),
    ("-e", "--length-undefined", "undefined sequence/item lengths", "length"),
    ("-p", "--padding-off", "no padding (default)", "padding"),
    ("-up", "--uid-padding", "silently correct space-padded UIDs", None),
)

_OUTPUT_XFER: Final = {
    "--write-xfer-little": "1.2.840.10008.1.2.1",
    "--write-xfer-big": "1.2.840.10008.1.2.2",
    "--write-xfer-implicit": "1.2.840.10008.1.2",
    "--write-xfer-deflated": "1.2.840.10008.1.2.1.99",
}

_CONVERSIONS: Final = ("+te", "+tb", "+ti", "+td", "+g", "-g", "-e", "+p", "-u")

STORESCP_OPTIONS: Final = OptionTable(
    (
        Option(("--version",)),
        Option(("--arguments",)),
        Option(("-q", "--quiet"), group="log"),
        Option(("-v", "--verbose"), group="log"),
        Option(("-d", "--debug"), group="log"),
        Option(("-aet", "--aetitle"), nargs=1),
        Option(("-od", "--output-directory"), nargs=1),
        Option(("-pdu", "--max-pdu"), nargs=1),
        Option(("-to", "-ts", "--timeout"), nargs=1),
        Option(("-ta", "--acse-timeout"), nargs=1),
        Option(("-td", "--dimse-timeout"), nargs=1),
        Option(("--ignore",)),
        Option(("--bind",), nargs=1),
        *(Option((short, long), group="preference") for short, long, _ in PREFERENCE_OPTIONS),
        *(Option((short, long), group=group) for short, long, _, group in OUTPUT_FLAGS),
        Option(("+p", "--padding-create"), nargs=2, group="padding"),
        Option(("+cl", "--compression-level"), nargs=1),
    ),
    conflicts=(Conflict(("+B",), _CONVERSIONS),),
    requires=(Requires("+cl", ("+td",)),),
)
"""``dicomnet storescp``'s options (DCMTK storescp spellings)."""


_FLAG_NAMES: Final = frozenset(
    [long for _short, long, _help in PREFERENCE_OPTIONS]
    + [long for _short, long, _help, _group in OUTPUT_FLAGS]
)


class _DropFlags(typer.core.TyperCommand):
    """Removes the flags read from ``ctx.meta["dcmtk_argv"]`` before typer parses the rest."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        end = args.index("--") if "--" in args else len(args)
        kept = [arg for arg in args[:end] if arg not in _FLAG_NAMES] + args[end:]
        return super().parse_args(ctx, kept)


_DcmtkCommand = dcmtk_command(STORESCP_OPTIONS)


class _StorescpCommand(_DcmtkCommand, _DropFlags):  # type: ignore[misc,valid-type]
    """The DCMTK pre-pass; the ``+x`` and output flags are read from the normalised argv."""


STORESCP_COMMAND: Final[type[typer.core.TyperCommand]] = _StorescpCommand


def preference_of(argv: NormalisedArgv) -> str:
    """The ``+x`` option in effect (``"+x="`` by default)."""
    for short, long, _ in PREFERENCE_OPTIONS:
        if argv.has(long):
            return short
    return "+x="


def write_options(
    argv: NormalisedArgv, padding: tuple[int, int] | None, level: int
) -> WriteOptions:
    """The normal-mode :class:`WriteOptions` of the command line (storescp's defaults)."""
    from dicomnet.dataset import GroupLength, LengthEncoding, Padding, WriteOptions

    ts = next((uid for name, uid in _OUTPUT_XFER.items() if argv.has(name)), None)
    group_length = GroupLength.RECALC
    if argv.has("--group-length-create"):
        group_length = GroupLength.CREATE
    elif argv.has("--group-length-remove"):
        group_length = GroupLength.REMOVE
    pad, file_pad, item_pad = Padding.OFF, 0, 0
    if padding is not None:
        pad = Padding.CREATE
        file_pad, item_pad = padding
    return WriteOptions(
        transfer_syntax=ts,
        group_length=group_length,
        length_encoding=(
            LengthEncoding.UNDEFINED if argv.has("--length-undefined") else LengthEncoding.EXPLICIT
        ),
        padding=pad,
        file_padding=file_pad,
        item_padding=item_pad,
        new_vrs=not argv.has("--disable-new-vr"),
        deflate_level=level,
    )


def _log_stored(request: StoreRequest, result: StoreResult) -> None:
    if result.status == 0x0000:
        log.info("Stored %s", result.path or request.sop_instance_uid)
    else:
        log.warning(
            "C-STORE of %s answered 0x%04X: %s",
            request.sop_instance_uid[:64],
            result.status,
            result.error_comment,
        )


async def run_storescp(
    port: int,
    scp: StorageSCP,
    *,
    ae_title: str = "STORESCP",
    preference: str = "+x=",
    max_pdu: int = 16384,
    timeouts: aio.Timeouts | None = None,
    host: str | None = None,
    stop: asyncio.Event | None = None,
    grace: float = 5.0,
) -> int:
    """Serve ``scp`` on ``port`` until ``stop`` is set (or SIGINT/SIGTERM); the number served."""
    import asyncio

    from dicomnet.services.storage_scp import storage_acceptor_config
    from dicomnet.transport import aio

    config = storage_acceptor_config(ae_title, preference, max_pdu_length=max_pdu)
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    _warm_up(config)
    try:
        server = await aio.serve(scp, config, host, port, timeouts=timeouts)
        log.info("listening on port %d", server.port)
        try:
            await stop.wait()
        finally:
            await server.close(grace)
        return server.associations_served
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _warm_up(config: AcceptorConfig) -> None:
    """Run one association in memory (negotiation, C-ECHO, release) before listening.

    The PDU codec compiles its layouts and the negotiation builds its tables on first use (tens
    of milliseconds); paid here, they are not paid inside the first peer's association. Never
    raises: a failed warm-up only leaves that cost where it was.
    """
    try:
        _warm_up_association(config)
    except Exception:
        log.debug("warm-up association failed", exc_info=True)
    from dicomnet.pdu import precompile_layouts

    precompile_layouts()  # the layouts that association built: compiled before the first peer


def _warm_up_association(config: AcceptorConfig) -> None:
    from dicomnet.acse import ProposedContext, RequestorConfig
    from dicomnet.association import Association
    from dicomnet.dimse import CEchoRQ
    from dicomnet.services.echo import echo_response

    now = 0.0
    syntaxes = [ts for context in config.supported_contexts[:1] for ts in context.transfer_syntaxes]
    contexts = [ProposedContext(c.abstract_syntax, syntaxes) for c in config.supported_contexts[:2]]
    requestor = Association.requestor(
        RequestorConfig(
            calling_ae_title="WARMUP",
            called_ae_title=config.ae_titles[0] if config.ae_titles else "ANY-SCP",
            presentation_contexts=contexts,
        ),
        now=now,
    )
    acceptor = Association.acceptor(config, peer_address=("127.0.0.1", 0), now=now)
    requestor.transport_connected(now)

    def pump() -> None:
        for _round in range(8):
            moved = False
            for source, target in ((requestor, acceptor), (acceptor, requestor)):
                for chunk in source.data_to_send(now):
                    target.receive_data(bytes(chunk), now)
                    moved = True
            for assoc in (requestor, acceptor):
                while assoc.next_event() is not None:
                    pass
            if not moved:
                return

    pump()
    negotiated = acceptor.negotiated
    if negotiated is not None and negotiated.accepted:
        context_id = next(iter(negotiated.accepted))
        rq = CEchoRQ(message_id=1)
        requestor.send_message(rq, context_id=context_id, now=now)
        pump()
        acceptor.send_message(echo_response(rq), context_id=context_id, now=now)
        pump()
    requestor.release(now)
    pump()


#: Modules the first C-STORE would import (the UID check reads the data set's head): loaded
#: before listening, so the first association does not pay for them.
_PRELOAD: Final = ("dicomnet.dataset.dictionary", "dicomnet.dataset.charset")


def _seconds(value: int | None) -> float | None:
    return None if value is None or value <= 0 else float(value)


def storescp(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Argument(help="TCP/IP port number to listen on.")] = None,
    version: Version = False,
    arguments: Arguments = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
    aetitle: Annotated[str, typer.Option("-aet", "--aetitle", help="Our AE title.")] = "STORESCP",
    output_directory: Annotated[
        str, typer.Option("-od", "--output-directory", help="Write received objects here.")
    ] = ".",
    max_pdu: Annotated[
        int, typer.Option("-pdu", "--max-pdu", min=4096, max=131072, help="Max receive PDU.")
    ] = 16384,
    timeout: Annotated[
        int | None, typer.Option("-to", "--timeout", help="TLS handshake timeout (s).")
    ] = None,
    acse_timeout: Annotated[
        int, typer.Option("-ta", "--acse-timeout", help="ACSE timeout (s).")
    ] = 30,
    dimse_timeout: Annotated[
        int | None, typer.Option("-td", "--dimse-timeout", help="DIMSE timeout (s).")
    ] = None,
    ignore: Annotated[bool, typer.Option("--ignore", help="Receive data, store nothing.")] = False,
    bind: Annotated[
        str | None, typer.Option("--bind", help="Listen on this address only (default: all).")
    ] = None,
    padding_create: Annotated[
        tuple[int, int] | None,
        typer.Option("+p", "--padding-create", help="Pad file to F, items to I bytes."),
    ] = None,
    compression_level: Annotated[
        int, typer.Option("+cl", "--compression-level", help="Deflate level 0..9 (default 6).")
    ] = 6,
) -> None:
    """DICOM storage (C-STORE) SCP.

    Preferred transfer syntaxes (rightmost wins): +x= (default) +xe +xb +xs +xy +xx +xv +xw +xt
    +xu +xm +xh +xn +xl +x2 +x3 +xo +x4 +x5 +xr +xd +xi (implicit only) +xa (accept all).

    Output: +B/-B (bit-preserving / normal), +F/-F (file / data set only), +t= +te +tb +ti +td
    (output transfer syntax), +g= +g -g (group lengths), +e/-e (sequence lengths), -p / +p F I
    (padding), +u/-u (new VRs), +cl N (deflate level), -up (fix space-padded UIDs).
    """
    argv = start_command(
        ctx,
        "storescp",
        version=version,
        arguments=arguments,
        quiet=quiet,
        verbose=verbose,
        debug=debug,
    )
    if not 0 <= compression_level <= 9:
        fail(COMMAND, f"+cl: compression level must be 0..9, not {compression_level}", 1)
    if port is None:
        fail(COMMAND, "missing parameter: port", 1)
    if not 0 < port <= 65535:
        fail(COMMAND, f"port must be 1..65535, not {port}", 1)
    import asyncio

    from dicomnet.services.storage_scp import StorageSCP
    from dicomnet.services.store import DirectorySink, OutputDirectoryError
    from dicomnet.transport import aio

    try:
        sink = DirectorySink(
            output_directory,
            write_file_format=not argv.has("--write-dataset"),
            bit_preserving=argv.has("--bit-preserving"),
            options=None
            if argv.has("--bit-preserving")
            else write_options(argv, padding_create, compression_level),
            ignore=ignore,
            uid_padding_fix=argv.has("--uid-padding"),
            unnamed_temp_files=True,
        )
    except OutputDirectoryError as exc:
        fail(COMMAND, str(exc), EXIT_BAD_OUTPUT_DIRECTORY)
    except ValueError as exc:
        fail(COMMAND, str(exc), 1)
    scp = StorageSCP(sink, on_stored=_log_stored)
    for module in _PRELOAD:
        importlib.import_module(module)
    try:
        timeouts = aio.Timeouts(
            connect=_seconds(timeout), acse=_seconds(acse_timeout), dimse=_seconds(dimse_timeout)
        )
        asyncio.run(
            run_storescp(
                port,
                scp,
                ae_title=aetitle,
                preference=preference_of(argv),
                max_pdu=max_pdu,
                timeouts=timeouts,
                host=bind,
            )
        )
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        fail(COMMAND, f"cannot listen on port {port}: {exc.strerror or exc}", EXIT_NETWORK_INIT)
    except ValueError as exc:
        fail(COMMAND, str(exc), 1)
    finally:
        sink.close()


app = standalone_app("storescp", "DICOM storage (C-STORE) SCP.", STORESCP_COMMAND, storescp)

if __name__ == "__main__":
    app()
