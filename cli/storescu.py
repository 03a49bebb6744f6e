"""``dicomnet storescu PEER PORT FILE...``: a Storage SCU (C-STORE, PS3.4 Annex B), DCMTK spelling.

Sends the files (with ``+sd``: every file of the directories given, ``+r`` recursively, ``+sp``
a name pattern) over one association (several when more than 128 presentation contexts are
needed), then releases it. Options follow DCMTK's ``storescu``: ``-aet``/``-aec``; the proposal
``-x=`` (default), ``-xe``, ``-xb``, ``-xi``, ``-xd`` and ``+C`` (combine syntaxes in one context);
``-pdu``; ``-to``/``-ta``/``-td``; ``--repeat n``; ``-nh`` (do not halt after a failed store);
``-v``/``-d``/``-q``. Files are streamed as they are when the peer accepted their transfer syntax,
converted between uncompressed syntaxes otherwise; compressed files go only in their own syntax.

Files that are not DICOM are reported (``W:``) and skipped. Exit 0 when every DICOM file was
stored (status Success or Warning), 1 otherwise: a command-line error, no DICOM file to send, an
association that could not be established, or a file not stored (DCMTK 3.6.7's ``storescu``
exits 1 in all these cases too).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Annotated, Final, NoReturn

import typer

from dicomnet.acse import RequestorConfig
from dicomnet.errors import AssociationAborted, AssociationRejected, DicomNetError
from dicomnet.services.storage_scu import (
    Proposal,
    StorageAssociation,
    StorageSCUOptions,
    StoreOutcome,
    astore,
    collect_files,
)
from dicomnet.transport import aio
from dicomnet_cli.dcmtk_args import (
    Option,
    OptionTable,
    Requires,
    dcmtk_command,
    standalone_app,
    start_command,
)
from dicomnet_cli.options import (
    AcseTimeout,
    Arguments,
    Debug,
    DimseTimeout,
    MaxPdu,
    Quiet,
    Repeat,
    Timeout,
    Verbose,
    Version,
)

__all__ = ["STORESCU_COMMAND", "STORESCU_OPTIONS", "app", "run_storescu", "storescu"]

log = logging.getLogger("dicomnet.storescu")

STORESCU_OPTIONS: Final = OptionTable(
    (
        Option(("--version",)),
        Option(("--arguments",)),
        Option(("-q", "--quiet"), group="log"),
        Option(("-v", "--verbose"), group="log"),
        Option(("-d", "--debug"), group="log"),
        Option(("+sd", "--scan-directories")),
        Option(("+sp", "--scan-pattern"), nargs=1),
        Option(("-r", "--no-recurse"), group="recurse"),
        Option(("+r", "--recurse"), group="recurse"),
        Option(("-aet", "--aetitle"), nargs=1),
        Option(("-aec", "--call"), nargs=1),
        Option(("-x=", "--propose-uncompr"), group="propose"),
        Option(("-xe", "--propose-little"), group="propose"),
        Option(("-xb", "--propose-big"), group="propose"),
        Option(("-xi", "--propose-implicit"), group="propose"),
        Option(("-xd", "--propose-deflated"), group="propose"),
        Option(("+C", "--combine")),
        Option(("-to", "--timeout"), nargs=1),
        Option(("-ta", "--acse-timeout"), nargs=1),
        Option(("-td", "--dimse-timeout"), nargs=1),
        Option(("-pdu", "--max-pdu"), nargs=1),
        Option(("--repeat",), nargs=1),
        Option(("-nh", "--no-halt")),
    ),
    requires=(Requires("+sp", ("+sd",)),),
)

STORESCU_COMMAND: Final = dcmtk_command(STORESCU_OPTIONS)


def _report(outcome: StoreOutcome) -> None:
    if outcome.ok:
        log.info("Stored %s (status 0x%04X)", outcome.path, outcome.status)
    elif outcome.status is None and (outcome.reason or "").startswith(("not DICOM", "cannot read")):
        log.warning("%s", outcome.describe())
    else:
        log.error("%s", outcome.describe())


async def run_storescu(
    peer: str,
    port: int,
    files: list[str],
    options: StorageSCUOptions,
    *,
    timeouts: aio.Timeouts,
    repeat: int = 1,
) -> list[StoreOutcome]:
    """Send ``files`` ``repeat`` times (one run of associations each); every outcome."""

    async def connect(config: RequestorConfig) -> StorageAssociation:
        log.info("Requesting Association")
        assoc = await aio.connect(peer, port, config, timeouts=timeouts)
        if assoc.negotiated is not None:
            log.info(
                "Association Accepted (Max Send PDU: %d)", assoc.negotiated.peer_max_pdu_length
            )
        return assoc

    outcomes: list[StoreOutcome] = []
    for _ in range(repeat):
        outcomes += await astore(functools.partial(connect), files, options, on_result=_report)
    return outcomes


def _seconds(value: int | None) -> float | None:
    return None if value is None or value <= 0 else float(value)


def storescu(
    ctx: typer.Context,
    peer: Annotated[str, typer.Argument(help="Hostname or address of the DICOM peer.")],
    port: Annotated[int, typer.Argument(help="TCP/IP port number of the peer.")],
    files: Annotated[list[str], typer.Argument(help="DICOM files (or directories with +sd).")],
    version: Version = False,
    arguments: Arguments = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
    scan_directories: Annotated[
        bool, typer.Option("+sd", "--scan-directories", help="Scan directories for files.")
    ] = False,
    scan_pattern: Annotated[
        str | None, typer.Option("+sp", "--scan-pattern", help="File name pattern (with +sd).")
    ] = None,
    no_recurse: Annotated[
        bool, typer.Option("-r", "--no-recurse", help="Do not recurse (default).")
    ] = False,
    recurse: Annotated[bool, typer.Option("+r", "--recurse", help="Recurse into directories.")] = (
        False
    ),
    aetitle: Annotated[
        str, typer.Option("-aet", "--aetitle", help="Our calling AE title.")
    ] = "STORESCU",
    call: Annotated[str, typer.Option("-aec", "--call", help="The peer's AE title.")] = "ANY-SCP",
    propose_uncompr: Annotated[
        bool, typer.Option("-x=", "--propose-uncompr", help="All uncompressed (default).")
    ] = False,
    propose_little: Annotated[
        bool, typer.Option("-xe", "--propose-little", help="Uncompressed, explicit LE first.")
    ] = False,
    propose_big: Annotated[
        bool, typer.Option("-xb", "--propose-big", help="Uncompressed, explicit BE first.")
    ] = False,
    propose_implicit: Annotated[
        bool, typer.Option("-xi", "--propose-implicit", help="Implicit VR LE only.")
    ] = False,
    propose_deflated: Annotated[
        bool, typer.Option("-xd", "--propose-deflated", help="Deflated, then uncompressed.")
    ] = False,
    combine: Annotated[
        bool, typer.Option("+C", "--combine", help="Combine syntaxes in one context.")
    ] = False,
    timeout: Timeout = None,
    acse_timeout: AcseTimeout = 30,
    dimse_timeout: DimseTimeout = None,
    max_pdu: MaxPdu = 16384,
    repeat: Repeat = 1,
    no_halt: Annotated[
        bool, typer.Option("-nh", "--no-halt", help="Go on after an unsuccessful store.")
    ] = False,
) -> None:
    """DICOM storage (C-STORE) SCU."""
    start_command(
        ctx,
        "storescu",
        version=version,
        arguments=arguments,
        quiet=quiet,
        verbose=verbose,
        debug=debug,
    )
    proposal = Proposal.UNCOMPRESSED
    for flag, value in (
        (propose_little, Proposal.LITTLE),
        (propose_big, Proposal.BIG),
        (propose_implicit, Proposal.IMPLICIT),
        (propose_deflated, Proposal.DEFLATED),
    ):
        if flag:
            proposal = value
    found, problems = collect_files(
        files, scan_directories=scan_directories, recurse=recurse, pattern=scan_pattern
    )
    for problem in problems:
        log.error("cannot access %s", problem)
    if problems:
        _fail("cannot access input files")
    if not found:
        _fail("no input files")
    try:
        options = StorageSCUOptions(
            calling_ae_title=aetitle,
            called_ae_title=call,
            proposal=proposal,
            combine=combine,
            max_pdu_length=max_pdu,
            halt_on_failure=not no_halt,
        )
        timeouts = aio.Timeouts(
            connect=_seconds(timeout), acse=_seconds(acse_timeout), dimse=_seconds(dimse_timeout)
        )
        outcomes = asyncio.run(
            run_storescu(peer, port, found, options, timeouts=timeouts, repeat=repeat)
        )
    except AssociationRejected as exc:
        _fail(f"Association Rejected: {exc}")
    except AssociationAborted as exc:
        _fail(f"Association Aborted: {exc}")
    except TimeoutError as exc:
        _fail(f"Timeout: {exc}")
    except (DicomNetError, OSError, ValueError) as exc:
        _fail(f"Association Request Failed: {exc}")
    dicom = [o for o in outcomes if o.sop_instance_uid is not None]
    if not dicom:
        _fail("no DICOM files to send")
    failed = [o for o in dicom if not o.ok]
    if failed:
        _fail(f"{len(failed)} of {len(dicom)} files not stored")


def _fail(message: str) -> NoReturn:
    typer.echo(f"F: {message}", err=True)
    raise typer.Exit(1)


app = standalone_app("storescu", "DICOM storage (C-STORE) SCU.", STORESCU_COMMAND, storescu)
