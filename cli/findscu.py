"""``dicomnet findscu [options] peer port [query-file...]``: C-FIND SCU (PS3.4 C.4.1), as DCMTK's.

Sends one C-FIND per query file (a DICOM data set or Part 10 file with the ``-k`` overrides
applied; with no file, the ``-k`` keys alone) over one association, ``--repeat n`` times, then
releases it (``--abort``: aborts). Options follow DCMTK's ``findscu``: ``-k`` (keyword or
``gggg,eeee``, dotted sequence paths, ``=value`` optional), the model ``-W`` (modality worklist,
the default as in DCMTK), ``-P``, ``-S``, ``-O``; ``-aet``/``-aec``;
``-x=``/``-xe``/``-xb``/``-xi``; ``-to``/``-ta``/``-td``; ``-pdu``; ``--cancel n`` (C-CANCEL-RQ
after n matches); ``-X`` writes each response identifier as ``rsp0001.dcm``, ``rsp0002.dcm``, ...
(numbered across the whole run) into ``-od``; ``-v``/``-d``/``-q``.

Each match is printed on stdout as a dcmdump-style listing (``cli/dump.py``) under a
``Find Response: n (Pending)`` line; ``-q`` prints none. (DCMTK prints them only with ``-v``.)

Exit codes (DCMTK's where it has one): 0 every C-FIND ended with Success or Cancel; 1 command
line (a bad ``-k`` included); 20 a query file cannot be read or is not DICOM; 40 a ``-X`` file
cannot be written; 45 ``-od`` is not a writable directory; 61 association rejected or failed;
62 a C-FIND that did not complete (abort, close, timeout, protocol error); 65 the peer accepted
no presentation context for the model; 68 a final Warning; 69 a final Failure or Refused status
(DCMTK exits 0 there; we say what happened).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Final, NoReturn

import attrs
import typer

from dicomnet.acse import ProposedContext, RequestorConfig
from dicomnet.dataset import DataElement, Dataset, WriteOptions, read_file, write_file
from dicomnet.dataset.part10 import Part10File
from dicomnet.dimse import StatusCategory, status_name
from dicomnet.errors import (
    AssociationAborted,
    AssociationRejected,
    DicomNetError,
    LocalProtocolError,
)
from dicomnet.services.find import FindResponse, find
from dicomnet.services.query import (
    IdentifierError,
    QueryModel,
    accepted_context,
    build_identifier,
)
from dicomnet.transport import aio
from dicomnet.uid import TRANSFER_SYNTAXES, generate_uid
from dicomnet_cli.dcmtk_args import (
    Option,
    OptionTable,
    dcmtk_command,
    standalone_app,
    start_command,
)
from dicomnet_cli.dump import dump_lines
from dicomnet_cli.errors import exit_with_worst, fail, peer_address
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

__all__ = [
    "EXIT_ASSOCIATION",
    "EXIT_BAD_OUTPUT_DIRECTORY",
    "EXIT_FAILURE",
    "EXIT_INCOMPLETE",
    "EXIT_NO_CONTEXT",
    "EXIT_WARNING",
    "FINDSCU_COMMAND",
    "FINDSCU_OPTIONS",
    "FindRun",
    "app",
    "findscu",
    "listing",
    "output_directory_or_exit",
    "proposed_syntaxes",
    "query_identifiers",
    "run_exit_code",
    "run_findscu",
]

COMMAND: Final = "findscu"
EXIT_QUERY_FILE: Final = 20
EXIT_CANNOT_WRITE: Final = 40
EXIT_BAD_OUTPUT_DIRECTORY: Final = 45
EXIT_ASSOCIATION: Final = 61
EXIT_INCOMPLETE: Final = 62
EXIT_NO_CONTEXT: Final = 65
EXIT_WARNING: Final = 68
EXIT_FAILURE: Final = 69

EVLE: Final = "1.2.840.10008.1.2.1"
EVBE: Final = "1.2.840.10008.1.2.2"
IVLE: Final = "1.2.840.10008.1.2"

log = logging.getLogger("dicomnet.findscu")

FINDSCU_OPTIONS: Final = OptionTable(
    (
        Option(("--version",)),
        Option(("--arguments",)),
        Option(("-q", "--quiet"), group="log"),
        Option(("-v", "--verbose"), group="log"),
        Option(("-d", "--debug"), group="log"),
        Option(("-k", "--key"), nargs=1, repeatable=True),
        Option(("-W", "--worklist"), group="model"),
        Option(("-P", "--patient"), group="model"),
        Option(("-S", "--study"), group="model"),
        Option(("-O", "--psonly"), group="model"),
        Option(("-aet", "--aetitle"), nargs=1),
        Option(("-aec", "--call"), nargs=1),
        Option(("-x=", "--propose-uncompr"), group="propose"),
        Option(("-xe", "--propose-little"), group="propose"),
        Option(("-xb", "--propose-big"), group="propose"),
        Option(("-xi", "--propose-implicit"), group="propose"),
        Option(("-to", "--timeout"), nargs=1),
        Option(("-ta", "--acse-timeout"), nargs=1),
        Option(("-td", "--dimse-timeout"), nargs=1),
        Option(("-pdu", "--max-pdu"), nargs=1),
        Option(("--repeat",), nargs=1),
        Option(("--abort",)),
        Option(("--cancel",), nargs=1),
        Option(("-X", "--extract")),
        Option(("-od", "--output-directory"), nargs=1),
    )
)
"""``findscu``'s options (DCMTK findscu spellings)."""

FINDSCU_COMMAND: Final = dcmtk_command(FINDSCU_OPTIONS)


def proposed_syntaxes(propose: str) -> tuple[str, ...]:
    """The transfer syntaxes proposed for ``-x=`` (default), ``-xe``, ``-xb`` or ``-xi``."""
    if propose == "-xi":
        return (IVLE,)
    if propose == "-xb":
        return (EVBE, EVLE, IVLE)
    return (EVLE, EVBE, IVLE)  # local byte order (little endian) first


def listing(identifier: Dataset, transfer_syntax: str) -> list[str]:
    """A dcmdump-style listing of one response identifier (no meta header)."""
    ts = TRANSFER_SYNTAXES.get(transfer_syntax)
    part10 = Part10File(
        preamble=None,
        meta=Dataset(),
        dataset=identifier,
        dataset_offset=0,
        transfer_syntax=ts,
        implicit_vr=transfer_syntax == IVLE,
        little_endian=transfer_syntax != EVBE,
        deflated=False,
        stop_offset=0,
    )
    lines, _bad = dump_lines(part10)
    return lines


@attrs.frozen
class FindRun:
    """What one C-FIND gave: its matches and its final response (None if it did not end)."""

    matches: int
    final: FindResponse | None
    error: str | None = None


def _rsp_file(directory: Path, number: int, identifier: Dataset, sop_class: str) -> Path:
    """Write one response identifier as ``rsp%04d.dcm`` (explicit VR little endian, Part 10).

    An identifier has no SOP Class/Instance UID: the meta header names the C-FIND SOP class and
    a new UID, as DCMTK fills in a generic class for such files.
    """
    path = directory / f"rsp{number:04d}.dcm"
    meta = Dataset()
    meta[0x00020002] = DataElement(0x00020002, "UI", sop_class)
    meta[0x00020003] = DataElement(0x00020003, "UI", generate_uid())
    write_file(path, identifier, WriteOptions(transfer_syntax=EVLE), file_meta=meta)
    return path


async def run_findscu(
    peer: str,
    port: int,
    identifiers: Sequence[Dataset],
    config: RequestorConfig,
    *,
    model: QueryModel,
    timeouts: aio.Timeouts,
    repeat: int = 1,
    cancel_after: int | None = None,
    abort: bool = False,
    on_match: Callable[[int, Dataset, str], None] | None = None,
) -> list[FindRun]:
    """Associate, run each C-FIND ``repeat`` times, release (or abort); one FindRun per C-FIND.

    ``on_match(n, identifier, transfer_syntax)`` is called for every match, ``n`` counting from
    1 across the whole run. Association errors propagate (``AssociationRejected``, ...); a
    C-FIND that breaks off is a FindRun with ``error`` set and ends the run.
    """
    assoc = await aio.connect(peer, port, config, timeouts=timeouts)
    negotiated = assoc.negotiated
    if negotiated is not None:
        log.info("Association Accepted (Max Send PDU: %d)", negotiated.peer_max_pdu_length)
    runs: list[FindRun] = []
    number = 0
    try:
        for _ in range(repeat):
            for identifier in identifiers:
                stream = find(assoc, identifier, model=model, cancel_after=cancel_after)
                context = accepted_context(assoc, model.sop_class("find"))
                ts = assoc.negotiated.accepted[context].transfer_syntax  # type: ignore[union-attr]
                log.info("Sending Find Request (MsgID %d)", stream.operation.message_id)
                matches = 0
                final: FindResponse | None = None
                try:
                    async for rsp in stream:
                        if rsp.is_final:
                            final = rsp
                        elif rsp.identifier is not None:
                            matches += 1
                            number += 1
                            if on_match is not None:
                                on_match(number, rsp.identifier, ts)
                except (AssociationAborted, TimeoutError, DicomNetError, OSError) as exc:
                    runs.append(FindRun(matches, None, f"{type(exc).__name__}: {exc}"))
                    return runs
                assert final is not None
                log.info(
                    "Received Final Find Response (%s, 0x%04X)",
                    status_name(final.status),
                    final.status,
                )
                runs.append(FindRun(matches, final))
    except BaseException:
        await assoc.abort()
        raise
    if abort or assoc.is_closed:
        await assoc.abort()
    else:
        await assoc.release()
    return runs


def run_exit_code(run: FindRun) -> tuple[int, str | None]:
    """The exit code of one C-FIND and the line saying what went wrong (None when it went well)."""
    if run.final is None:
        return EXIT_INCOMPLETE, f"C-FIND did not complete: {run.error}"
    final = run.final
    name = f"{status_name(final.status)} (0x{final.status:04X})"
    comment = f": {final.error_comment}" if final.error_comment else ""
    if final.category in (StatusCategory.SUCCESS, StatusCategory.CANCEL):
        return 0, None
    if final.category is StatusCategory.WARNING:
        return EXIT_WARNING, f"C-FIND ended with warning {name}{comment}"
    return EXIT_FAILURE, f"C-FIND failed: {name}{comment}"


def _seconds(value: int | None) -> float | None:
    return None if value is None or value <= 0 else float(value)


def _read_query(command: str, path: str) -> Dataset:
    try:
        return read_file(path).dataset
    except OSError as exc:
        fail(command, f"cannot read query file {path}: {exc.strerror or exc}", EXIT_QUERY_FILE)
    except DicomNetError as exc:
        fail(command, f"query file {path} is not DICOM: {exc}", EXIT_QUERY_FILE)


def query_identifiers(command: str, keys: list[str], files: list[str]) -> list[Dataset]:
    """One Identifier per query file with the ``-k`` keys applied (the keys alone: no file).

    Exits 20 for a query file that cannot be read or is not DICOM, 1 for a bad ``-k``.
    """
    try:
        if not files:
            return [build_identifier(keys)]
        return [build_identifier(keys, base=_read_query(command, path)) for path in files]
    except IdentifierError as exc:
        fail(command, f"-k: {exc}", 1)


def output_directory_or_exit(command: str, path: str) -> Path:
    """``-od``: an existing writable directory, or exit 45."""
    directory = Path(path)
    if not directory.is_dir() or not os.access(directory, os.W_OK):
        fail(command, f"-od: not a writable directory: {path}", EXIT_BAD_OUTPUT_DIRECTORY)
    return directory


def _model(worklist: bool, patient: bool, study: bool, psonly: bool) -> QueryModel:
    if patient:
        return QueryModel.PATIENT_ROOT
    if study:
        return QueryModel.STUDY_ROOT
    if psonly:
        return QueryModel.PATIENT_STUDY_ONLY
    return QueryModel.MODALITY_WORKLIST


def findscu(
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
    worklist: Annotated[
        bool, typer.Option("-W", "--worklist", help="Modality worklist model (default).")
    ] = False,
    patient: Annotated[bool, typer.Option("-P", "--patient", help="Patient root model.")] = False,
    study: Annotated[bool, typer.Option("-S", "--study", help="Study root model.")] = False,
    psonly: Annotated[
        bool, typer.Option("-O", "--psonly", help="Patient/study only model.")
    ] = False,
    aetitle: Annotated[str, typer.Option("-aet", "--aetitle", help="Our AE title.")] = "FINDSCU",
    call: Annotated[str, typer.Option("-aec", "--call", help="Called AE title.")] = "ANY-SCP",
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
    timeout: Timeout = None,
    acse_timeout: AcseTimeout = 30,
    dimse_timeout: DimseTimeout = None,
    max_pdu: MaxPdu = 16384,
    repeat: Repeat = 1,
    abort: Annotated[bool, typer.Option("--abort", help="Abort instead of release.")] = False,
    cancel: Annotated[
        int | None, typer.Option("--cancel", min=1, help="C-CANCEL after n matches.")
    ] = None,
    extract: Annotated[
        bool, typer.Option("-X", "--extract", help="Write responses as rsp0001.dcm ...")
    ] = False,
    output_directory: Annotated[
        str, typer.Option("-od", "--output-directory", help="Directory for -X files.")
    ] = ".",
) -> None:
    """DICOM query (C-FIND) SCU."""
    start_command(
        ctx,
        "findscu",
        version=version,
        arguments=arguments,
        quiet=quiet,
        verbose=verbose,
        debug=debug,
    )
    peer, port = peer_address(COMMAND, peer, port)
    model = _model(worklist, patient, study, psonly)
    identifiers = query_identifiers(COMMAND, key or [], query_files or [])
    directory = output_directory_or_exit(COMMAND, output_directory) if extract else None
    propose = "-xb" if propose_big else "-xi" if propose_implicit else "-x="
    sop_class = model.sop_class("find")
    config = RequestorConfig(
        calling_ae_title=aetitle,
        called_ae_title=call,
        presentation_contexts=[ProposedContext(sop_class, proposed_syntaxes(propose))],
        max_pdu_length=max_pdu,
    )
    written: list[Path] = []

    def on_match(number: int, identifier: Dataset, ts: str) -> None:
        if not quiet:
            typer.echo("---------------------------")
            typer.echo(f"Find Response: {number} (Pending)")
            typer.echo("\n".join(listing(identifier, ts)))
        if directory is not None:
            try:
                written.append(_rsp_file(directory, number, identifier, sop_class))
            except (OSError, DicomNetError) as exc:
                raise _WriteError(f"cannot write response {number}: {exc}") from exc

    try:
        timeouts = aio.Timeouts(
            connect=_seconds(timeout), acse=_seconds(acse_timeout), dimse=_seconds(dimse_timeout)
        )
        log.info("Requesting Association")
        runs = asyncio.run(
            run_findscu(
                peer,
                port,
                identifiers,
                config,
                model=model,
                timeouts=timeouts,
                repeat=repeat,
                cancel_after=cancel,
                abort=abort,
                on_match=on_match,
            )
        )
    except _WriteError as exc:
        fail(COMMAND, str(exc), EXIT_CANNOT_WRITE)
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
    for path in written:
        log.info("wrote %s", path)
    _finish(runs)


class _WriteError(Exception):
    """A ``-X`` file could not be written (exit 40)."""


def _finish(runs: list[FindRun]) -> NoReturn:
    exit_with_worst(COMMAND, runs, run_exit_code)


app = standalone_app("findscu", "DICOM query (C-FIND) SCU.", FINDSCU_COMMAND, findscu)
