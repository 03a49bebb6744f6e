"""``dicomnet echoscu PEER PORT``: a Verification SCU (C-ECHO, PS3.4 Annex A), spelled like DCMTK's.

Associates with the peer, sends one C-ECHO-RQ (``--repeat n``: n of them), then releases the
association (``--abort``: aborts it). Options follow DCMTK's ``echoscu``: ``-aet``/``-aec`` (AE
titles), ``-to``/``-ta``/``-td`` (connection, ACSE and DIMSE timeouts in seconds), ``-pdu``,
``-pts`` (number of transfer syntaxes proposed), ``-ppc`` (number of presentation contexts),
``-v``/``-d``/``-q``, and TLS: ``+tls KEY CERT``, ``+tla`` (no own certificate), ``+cf FILE``
(trusted certificate), ``-ic`` (do not verify the peer). Exit 0 when every C-ECHO succeeded, 1
otherwise (DCMTK's ``echoscu`` uses 1 for every failure too).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Annotated, Final

import typer

from dicomnet.acse import ProposedContext, RequestorConfig
from dicomnet.dimse import status_name
from dicomnet.errors import AssociationAborted, AssociationRejected, DicomNetError
from dicomnet.services.echo import VERIFICATION_SOP_CLASS, echo
from dicomnet.transport import aio
from dicomnet.transport.tls import client_context
from dicomnet.uid import TRANSFER_SYNTAXES
from dicomnet_cli.dcmtk_args import (
    TLS_OPTIONS,
    Option,
    OptionTable,
    dcmtk_command,
    standalone_app,
    start_command,
)
from dicomnet_cli.errors import peer_address
from dicomnet_cli.options import (
    AcseTimeout,
    AddCertFile,
    AnonymousTls,
    Arguments,
    Debug,
    DimseTimeout,
    DisableTls,
    EnableTls,
    IgnorePeerCert,
    MaxPdu,
    Quiet,
    Repeat,
    Timeout,
    Verbose,
    Version,
)

__all__ = ["ECHOSCU_COMMAND", "ECHOSCU_OPTIONS", "app", "echoscu", "run_echoscu"]

log = logging.getLogger("dicomnet.echoscu")

ECHOSCU_OPTIONS: Final = OptionTable(
    (
        Option(("--version",)),
        Option(("--arguments",)),
        Option(("-q", "--quiet"), group="log"),
        Option(("-v", "--verbose"), group="log"),
        Option(("-d", "--debug"), group="log"),
        Option(("-aet", "--aetitle"), nargs=1),
        Option(("-aec", "--call"), nargs=1),
        Option(("-pts", "--propose-ts"), nargs=1),
        Option(("-ppc", "--propose-pc"), nargs=1),
        Option(("-to", "--timeout"), nargs=1),
        Option(("-ta", "--acse-timeout"), nargs=1),
        Option(("-td", "--dimse-timeout"), nargs=1),
        Option(("-pdu", "--max-pdu"), nargs=1),
        Option(("--repeat",), nargs=1),
        Option(("--abort",)),
        *TLS_OPTIONS,
        Option(("+pw", "--use-passwd"), nargs=1),
    )
)

ECHOSCU_COMMAND: Final = dcmtk_command(ECHOSCU_OPTIONS)

#: Transfer syntaxes proposed with ``-pts n``, in DCMTK's order: the uncompressed ones first.
_PROPOSE_ORDER: Final = (
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    *sorted(
        uid
        for uid in TRANSFER_SYNTAXES
        if uid not in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2")
    ),
)


def _contexts(n_syntaxes: int, n_contexts: int) -> tuple[ProposedContext, ...]:
    syntaxes = _PROPOSE_ORDER[:n_syntaxes]
    return tuple(ProposedContext(VERIFICATION_SOP_CLASS, syntaxes) for _ in range(n_contexts))


def _tls_context(
    enable: tuple[str, str] | None,
    anonymous: bool,
    cert_files: list[str],
    ignore_peer: bool,
    password: str | None,
) -> ssl.SSLContext | None:
    if enable is None and not anonymous:
        return None
    context = client_context(verify=not ignore_peer, check_hostname=False)
    for cert in cert_files:
        context.load_verify_locations(cafile=cert)
    if enable is not None:
        key, cert = enable
        context.load_cert_chain(cert, key, password)
    return context


async def run_echoscu(
    peer: str,
    port: int,
    config: RequestorConfig,
    *,
    timeouts: aio.Timeouts,
    repeat: int = 1,
    abort: bool = False,
    tls: ssl.SSLContext | None = None,
) -> list[int]:
    """Associate, C-ECHO ``repeat`` times, release (or abort); return the statuses."""
    assoc = await aio.connect(peer, port, config, timeouts=timeouts, ssl=tls)
    negotiated = assoc.negotiated
    if negotiated is not None:
        log.info("Association Accepted (Max Send PDU: %d)", negotiated.peer_max_pdu_length)
    statuses: list[int] = []
    try:
        for _ in range(repeat):
            message_id = assoc.next_message_id()
            log.info("Sending Echo Request (MsgID %d)", message_id)
            status = await echo(assoc, message_id=message_id)
            log.info("Received Echo Response (%s, 0x%04X)", status_name(status), status)
            statuses.append(status)
    except BaseException:
        await assoc.abort()
        raise
    if abort:
        log.info("Aborting Association")
        await assoc.abort()
    else:
        log.info("Releasing Association")
        await assoc.release()
    return statuses


def _seconds(value: int | None) -> float | None:
    return None if value is None or value <= 0 else float(value)


def echoscu(
    ctx: typer.Context,
    peer: Annotated[
        str | None, typer.Argument(help="Hostname or address of the DICOM peer.")
    ] = None,
    port: Annotated[int | None, typer.Argument(help="TCP/IP port number of the peer.")] = None,
    version: Version = False,
    arguments: Arguments = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
    aetitle: Annotated[
        str, typer.Option("-aet", "--aetitle", help="Our calling AE title.")
    ] = "ECHOSCU",
    call: Annotated[str, typer.Option("-aec", "--call", help="The peer's AE title.")] = "ANY-SCP",
    propose_ts: Annotated[
        int,
        typer.Option("-pts", "--propose-ts", min=1, max=len(_PROPOSE_ORDER), help="Propose n TS."),
    ] = 1,
    propose_pc: Annotated[
        int, typer.Option("-ppc", "--propose-pc", min=1, max=128, help="Propose n contexts.")
    ] = 1,
    timeout: Timeout = None,
    acse_timeout: AcseTimeout = 30,
    dimse_timeout: DimseTimeout = None,
    max_pdu: MaxPdu = 16384,
    repeat: Repeat = 1,
    abort: Annotated[bool, typer.Option("--abort", help="Abort instead of releasing.")] = False,
    disable_tls: DisableTls = False,
    enable_tls: EnableTls = None,
    anonymous_tls: AnonymousTls = False,
    add_cert_file: AddCertFile = None,
    ignore_peer_cert: IgnorePeerCert = False,
    use_passwd: Annotated[
        str | None, typer.Option("+pw", "--use-passwd", help="Private key password.")
    ] = None,
) -> None:
    """DICOM verification (C-ECHO) SCU."""
    start_command(
        ctx,
        "echoscu",
        version=version,
        arguments=arguments,
        quiet=quiet,
        verbose=verbose,
        debug=debug,
    )
    peer, port = peer_address("echoscu", peer, port)
    if disable_tls:
        enable_tls, anonymous_tls = None, False
    try:
        config = RequestorConfig(
            calling_ae_title=aetitle,
            called_ae_title=call,
            presentation_contexts=_contexts(propose_ts, propose_pc),
            max_pdu_length=max_pdu,
        )
        tls = _tls_context(
            enable_tls, anonymous_tls, add_cert_file or [], ignore_peer_cert, use_passwd
        )
        timeouts = aio.Timeouts(
            connect=_seconds(timeout), acse=_seconds(acse_timeout), dimse=_seconds(dimse_timeout)
        )
        log.info("Requesting Association")
        statuses = asyncio.run(
            run_echoscu(peer, port, config, timeouts=timeouts, repeat=repeat, abort=abort, tls=tls)
        )
    except AssociationRejected as exc:
        _fail(f"Association Rejected: {exc}")
    except AssociationAborted as exc:
        _fail(f"Association Aborted: {exc}")
    except TimeoutError as exc:
        _fail(f"Timeout: {exc}")
    except (DicomNetError, OSError, ValueError) as exc:
        _fail(f"Association Request Failed: {exc}")
    if any(status != 0x0000 for status in statuses):
        _fail("C-ECHO status: " + ", ".join(f"0x{s:04X}" for s in statuses))


def _fail(message: str) -> None:
    typer.echo(f"F: {message}", err=True)
    raise typer.Exit(1)


app = standalone_app("echoscu", "DICOM verification (C-ECHO) SCU.", ECHOSCU_COMMAND, echoscu)
