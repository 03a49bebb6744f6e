"""``dicomnet getscu [options] peer port [query-file...]``: C-GET SCU (PS3.4 C.4.3), as DCMTK's.

Sends one C-GET per query file (a DICOM data set or Part 10 file with the ``-k`` overrides
applied; with no file, the ``-k`` keys alone) over one association and stores the C-STORE
sub-operations that arrive on it into ``-od`` through :class:`DirectorySink` (DCMTK's file names,
``CT.1.2.3...``; a temporary name until the object is complete). The association proposes the
model's GET SOP class and, with SCP/SCU Role Selection (PS3.7 D.3.3.4), the storage SOP classes
(at most 127: the common ones first), each with the ``+x`` preference's transfer syntaxes
(storescp's: ``+x=`` default, ``+xe``, ``+xb``, ``+xs``, ``+xy``, ... ``+xi``, ``+xa``).

Options: ``-k``, ``-P`` (patient root, default as in DCMTK), ``-S``, ``-O``; ``-aet``/``-aec``;
``-od``; ``--ignore`` (answer the C-STOREs, write nothing); ``-to``/``-ta``/``-td``; ``-pdu``;
``--repeat n``; ``--abort``; ``--cancel n`` (C-CANCEL-RQ after n Pending responses);
``-v``/``-d``/``-q``.

Exit codes (as ``dicomnet findscu``): 0 every C-GET ended with Success or Cancel; 1 command line;
20 a query file cannot be read; 45 ``-od`` is not a writable directory; 61 association rejected
or failed; 62 a C-GET that did not complete (abort, close, timeout, protocol error); 65 no
accepted context for the model's GET SOP class; 68 a final Warning (some sub-operations failed);
69 a final Failure or Refused status.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Annotated, Final, NoReturn

import attrs
import typer
import typer.core

from dicomnet.acse import ProposedContext, RequestorConfig
from dicomnet.dataset import Dataset
from dicomnet.dimse import StatusCategory, status_name
from dicomnet.errors import (
    AssociationAborted,
    AssociationRejected,
    DicomNetError,
    LocalProtocolError,
)
from dicomnet.services.get import StoredObject, get, get_contexts
from dicomnet.services.move import RetrieveResponse
from dicomnet.services.query import QueryModel
from dicomnet.services.storage_scp import preferred_transfer_syntaxes
from dicomnet.services.store import DirectorySink, OutputDirectoryError, StorageSink
from dicomnet.transport import aio
from dicomnet.uid import STORAGE_SOP_CLASSES
from dicomnet_cli.dcmtk_args import (
    Option,
    OptionTable,
    dcmtk_command,
    standalone_app,
    start_command,
)
from dicomnet_cli.errors import exit_with_worst, fail, peer_address
from dicomnet_cli.findscu import (
    EXIT_ASSOCIATION,
    EXIT_BAD_OUTPUT_DIRECTORY,
    EXIT_FAILURE,
    EXIT_INCOMPLETE,
    EXIT_NO_CONTEXT,
    EXIT_WARNING,
    output_directory_or_exit,
    query_identifiers,
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
from dicomnet_cli.storescp import PREFERENCE_OPTIONS, preference_of

__all__ = [
    "GETSCU_COMMAND",
    "GETSCU_OPTIONS",
    "GetRun",
    "app",
    "get_exit_code",
    "getscu",
    "requestor_config",
    "run_getscu",
    "storage_classes",
]

COMMAND: Final = "getscu"
MAX_STORAGE_CONTEXTS: Final = 127

log = logging.getLogger("dicomnet.getscu")

#: Proposed first (DCMTK getscu proposes a similar short list of the common classes).
_COMMON: Final = (
    "1.2.840.10008.5.1.4.1.1.2",  # CT Image
    "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT Image
    "1.2.840.10008.5.1.4.1.1.4",  # MR Image
    "1.2.840.10008.5.1.4.1.1.4.1",  # Enhanced MR Image
    "1.2.840.10008.5.1.4.1.1.1",  # Computed Radiography Image
    "1.2.840.10008.5.1.4.1.1.1.1",  # Digital X-Ray Image - For Presentation
    "1.2.840.10008.5.1.4.1.1.1.2",  # Digital Mammography X-Ray Image - For Presentation
    "1.2.840.10008.5.1.4.1.1.6.1",  # Ultrasound Image
    "1.2.840.10008.5.1.4.1.1.3.1",  # Ultrasound Multi-frame Image
    "1.2.840.10008.5.1.4.1.1.7",  # Secondary Capture Image
    "1.2.840.10008.5.1.4.1.1.12.1",  # X-Ray Angiographic Image
    "1.2.840.10008.5.1.4.1.1.20",  # Nuclear Medicine Image
    "1.2.840.10008.5.1.4.1.1.128",  # Positron Emission Tomography Image
    "1.2.840.10008.5.1.4.1.1.481.1",  # RT Image
    "1.2.840.10008.5.1.4.1.1.88.11",  # Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.104.1",  # Encapsulated PDF
    "1.2.840.10008.5.1.4.1.1.11.1",  # Grayscale Softcopy Presentation State
)

_MODELS: Final = (
    ("-P", "--patient", QueryModel.PATIENT_ROOT),
    ("-S", "--study", QueryModel.STUDY_ROOT),
    ("-O", "--psonly", QueryModel.PATIENT_STUDY_ONLY),
)

GETSCU_OPTIONS: Final = OptionTable(
    (
        Option(("--version",)),
        Option(("--arguments",)),
        Option(("-q", "--quiet"), group="log"),
        Option(("-v", "--verbose"), group="log"),
        Option(("-d", "--debug"), group="log"),
        Option(("-k", "--key"), nargs=1, repeatable=True),
        *(Option((short, long), group="model") for short, long, _ in _MODELS),
        Option(("-aet", "--aetitle"), nargs=1),
        Option(("-aec", "--call"), nargs=1),
        *(Option((short, long), group="preference") for short, long, _ in PREFERENCE_OPTIONS),
        Option(("-to", "--timeout"), nargs=1),
        Option(("-ta", "--acse-timeout"), nargs=1),
        Option(("-td", "--dimse-timeout"), nargs=1),
        Option(("-pdu", "--max-pdu"), nargs=1),
        Option(("--repeat",), nargs=1),
        Option(("--abort",)),
        Option(("--cancel",), nargs=1),
        Option(("--ignore",)),
        Option(("-od", "--output-directory"), nargs=1),
    )
)
"""``getscu``'s options (DCMTK getscu spellings)."""

_FLAG_NAMES: Final = frozenset(
    [long for _s, long, _m in _MODELS] + [long for _s, long, _h in PREFERENCE_OPTIONS]
)


class _DropFlags(typer.core.TyperCommand):
    """Removes the switches read from ``ctx.meta["dcmtk_argv"]`` before typer parses the rest."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        end = args.index("--") if "--" in args else len(args)
        kept = [arg for arg in args[:end] if arg not in _FLAG_NAMES] + args[end:]
        return super().parse_args(ctx, kept)


class _GetscuCommand(dcmtk_command(GETSCU_OPTIONS), _DropFlags):  # type: ignore[misc]
    """The DCMTK pre-pass; the model and ``+x`` switches are read from the normalised argv."""


GETSCU_COMMAND: Final[type[typer.core.TyperCommand]] = _GetscuCommand


def storage_classes(limit: int = MAX_STORAGE_CONTEXTS) -> list[str]:
    """The storage SOP classes proposed: the common ones, then the others, ``limit`` in all."""
    others = [c.uid for c in STORAGE_SOP_CLASSES if c.uid not in _COMMON]
    return [*_COMMON, *others][:limit]


def requestor_config(
    model: QueryModel,
    preference: str,
    *,
    calling_ae_title: str,
    called_ae_title: str,
    max_pdu_length: int = 16384,
) -> RequestorConfig:
    """The association getscu proposes: GET (uncompressed) plus storage with role selection."""
    contexts, roles = get_contexts(
        model, storage_classes(), preferred_transfer_syntaxes(preference)
    )
    contexts[0] = ProposedContext(model.sop_class("get"), preferred_transfer_syntaxes("+x="))
    return RequestorConfig(
        calling_ae_title=calling_ae_title,
        called_ae_title=called_ae_title,
        presentation_contexts=contexts,
        role_selections=roles,
        max_pdu_length=max_pdu_length,
    )


@attrs.frozen
class GetRun:
    """What one C-GET gave: its responses, the objects stored, an error if it broke off."""

    responses: tuple[RetrieveResponse, ...]
    stored: tuple[StoredObject, ...]
    error: str | None = None

    @property
    def final(self) -> RetrieveResponse | None:
        """The final response (None when the C-GET did not end)."""
        if self.responses and self.responses[-1].is_final:
            return self.responses[-1]
        return None


async def run_getscu(
    peer: str,
    port: int,
    identifiers: Sequence[Dataset],
    config: RequestorConfig,
    sink: StorageSink,
    *,
    model: QueryModel,
    timeouts: aio.Timeouts,
    repeat: int = 1,
    cancel_after: int | None = None,
    abort: bool = False,
) -> list[GetRun]:
    """Associate, run each C-GET ``repeat`` times into ``sink``, release (or abort)."""
    assoc = await aio.connect(peer, port, config, timeouts=timeouts)
    if assoc.negotiated is not None:
        log.info("Association Accepted (Max Send PDU: %d)", assoc.negotiated.peer_max_pdu_length)
    runs: list[GetRun] = []
    try:
        for _ in range(repeat):
            for identifier in identifiers:
                stream = get(assoc, identifier, sink, model=model, cancel_after=cancel_after)
                log.info("Sending Get Request (MsgID %d)", stream.operation.message_id)
                responses: list[RetrieveResponse] = []
                try:
                    async for rsp in stream:
                        responses.append(rsp)
                        log.info(
                            "Received Get Response (%s, 0x%04X): remaining %s, completed %s, "
                            "failed %s, warning %s",
                            status_name(rsp.status),
                            rsp.status,
                            rsp.remaining,
                            rsp.completed,
                            rsp.failed,
                            rsp.warning,
                        )
                except (AssociationAborted, TimeoutError, DicomNetError, OSError) as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    runs.append(GetRun(tuple(responses), tuple(stream.stored), error))
                    return runs
                for item in stream.stored:
                    if item.result.status == 0x0000:
                        log.info("stored %s", item.result.path or item.request.sop_instance_uid)
                    else:
                        log.warning(
                            "C-STORE of %s answered 0x%04X: %s",
                            item.request.sop_instance_uid,
                            item.result.status,
                            item.result.error_comment,
                        )
                runs.append(GetRun(tuple(responses), tuple(stream.stored)))
    except BaseException:
        await assoc.abort()
        raise
    if abort or assoc.is_closed:
        await assoc.abort()
    else:
        await assoc.release()
    return runs


def get_exit_code(run: GetRun) -> tuple[int, str | None]:
    """The exit code of one C-GET and the line saying what went wrong (None when it went well)."""
    final = run.final
    if final is None:
        return EXIT_INCOMPLETE, f"C-GET did not complete: {run.error or 'no final response'}"
    name = f"{status_name(final.status)} (0x{final.status:04X})"
    comment = f": {final.error_comment}" if final.error_comment else ""
    counts = f"completed {final.completed}, failed {final.failed}, warning {final.warning}"
    if final.category in (StatusCategory.SUCCESS, StatusCategory.CANCEL):
        return 0, None
    if final.category is StatusCategory.WARNING:
        return EXIT_WARNING, f"C-GET ended with warning {name}{comment}; {counts}"
    return EXIT_FAILURE, f"C-GET failed: {name}{comment}; {counts}"


def _seconds(value: int | None) -> float | None:
    return None if value is None or value <= 0 else float(value)


def getscu(
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
    key: Annotated[
        list[str] | None, typer.Option("-k", "--key", help="Key gggg,eeee=v or keyword=v.")
    ] = None,
    aetitle: Annotated[str, typer.Option("-aet", "--aetitle", help="Our AE title.")] = "GETSCU",
    call: Annotated[str, typer.Option("-aec", "--call", help="Called AE title.")] = "ANY-SCP",
    timeout: Timeout = None,
    acse_timeout: AcseTimeout = 30,
    dimse_timeout: DimseTimeout = None,
    max_pdu: MaxPdu = 16384,
    repeat: Repeat = 1,
    abort: Annotated[bool, typer.Option("--abort", help="Abort instead of release.")] = False,
    cancel: Annotated[
        int | None, typer.Option("--cancel", min=1, help="C-CANCEL after n responses.")
    ] = None,
    ignore: Annotated[bool, typer.Option("--ignore", help="Receive data, store nothing.")] = False,
    output_directory: Annotated[
        str, typer.Option("-od", "--output-directory", help="Write received objects here.")
    ] = ".",
) -> None:
    """DICOM retrieve (C-GET) SCU.

    Models: -P (patient root, default) -S (study root) -O (patient/study only). Storage
    transfer syntaxes: +x= (default) +xe +xb +xs +xy +xx +xv +xw +xt +xu +xm +xh +xn +xl +x2
    +x3 +xo +x4 +x5 +xr +xd +xi +xa.
    """
    argv = start_command(
        ctx,
        "getscu",
        version=version,
        arguments=arguments,
        quiet=quiet,
        verbose=verbose,
        debug=debug,
    )
    peer, port = peer_address(COMMAND, peer, port)
    model = next((m for _s, long, m in _MODELS if argv.has(long)), QueryModel.PATIENT_ROOT)
    identifiers = query_identifiers(COMMAND, key or [], query_files or [])
    output_directory_or_exit(COMMAND, output_directory)
    try:
        sink = DirectorySink(output_directory, ignore=ignore)
    except OutputDirectoryError as exc:
        fail(COMMAND, str(exc), EXIT_BAD_OUTPUT_DIRECTORY)
    config = requestor_config(
        model,
        preference_of(argv),
        calling_ae_title=aetitle,
        called_ae_title=call,
        max_pdu_length=max_pdu,
    )
    try:
        timeouts = aio.Timeouts(
            connect=_seconds(timeout), acse=_seconds(acse_timeout), dimse=_seconds(dimse_timeout)
        )
        log.info("Requesting Association")
        runs = asyncio.run(
            run_getscu(
                peer,
                port,
                identifiers,
                config,
                sink,
                model=model,
                timeouts=timeouts,
                repeat=repeat,
                cancel_after=cancel,
                abort=abort,
            )
        )
    except AssociationRejected as exc:
        fail(COMMAND, f"Association Rejected: {exc}", EXIT_ASSOCIATION)
    except LocalProtocolError as exc:
        fail(COMMAND, f"No acceptable presentation context: {exc}", EXIT_NO_CONTEXT)
    except AssociationAborted as exc:
        fail(COMMAND, f"Association Aborted: {exc}", EXIT_ASSOCIATION)
    except TimeoutError as exc:
        fail(COMMAND, f"Association Request Failed: timeout {exc}", EXIT_ASSOCIATION)
    except (DicomNetError, OSError, ValueError) as exc:
        fail(COMMAND, f"Association Request Failed: {exc}", EXIT_ASSOCIATION)
    except KeyboardInterrupt:
        fail(COMMAND, "interrupted", 130)
    finally:
        sink.close()
    _finish(runs)


def _finish(runs: list[GetRun]) -> NoReturn:
    exit_with_worst(COMMAND, runs, get_exit_code)


app = standalone_app("getscu", "DICOM retrieve (C-GET) SCU.", GETSCU_COMMAND, getscu)
