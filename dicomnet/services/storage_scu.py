"""The Storage SCU (PS3.4 Annex B; C-STORE, PS3.7 §9.1.1): send DICOM files to a storage SCP.

Each file is looked at only as far as its SOP Class/Instance UIDs (its File Meta Information and
the head of its data set, :func:`inspect_file`). Presentation contexts are proposed DCMTK style
(:func:`propose_contexts`): for every SOP class present, one context per transfer syntax of the
:class:`Proposal` (the uncompressed ones), plus one per other transfer syntax the files of that
class are in; compressed (encapsulated) files are proposed only in their own syntax. A SOP class
set needing more than 128 contexts (PS3.8 §9.3.2.2) is split over several associations, one
after the other (:func:`plan_associations`).

Per file (:func:`choose_context`): when the file's own transfer syntax was accepted, its data set
bytes are streamed from the file (a file object positioned after the File Meta Information; the
file is never read whole); otherwise, for uncompressed data, the file is decoded and re-encoded in
an accepted uncompressed syntax; compressed data whose syntax was not accepted fails with a clear
reason while the other files go on. Every file gives a :class:`StoreOutcome` (status, error
comment, or why it was not sent), in input order.

Entry points: :func:`astore` (asyncio; the caller's connector opens the associations, since this
layer does no IO), :func:`store_on` (over an association the caller opened), :func:`collect_files`
(DCMTK's ``+sd``/``+r`` scanning). The synchronous form is
:func:`dicomnet.transport.blocking.store`.
"""

from __future__ import annotations

import enum
import fnmatch
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.acse import NegotiatedAssociation, ProposedContext, RequestorConfig
from dicomnet.association import MessageReceived
from dicomnet.dataset import WriteOptions, encode_dataset, read_file
from dicomnet.dimse import CStoreRQ, CStoreRSP, DimseMessage, Priority, StatusCategory, category_of
from dicomnet.errors import (
    AssociationAborted,
    DatasetDecodeError,
    DatasetEncodeError,
    DicomNetError,
    RemoteProtocolError,
)
from dicomnet.uid import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    TRANSFER_SYNTAXES,
    is_valid_uid,
    uid_name,
)

__all__ = [
    "MAX_CONTEXTS",
    "Connector",
    "NotDicomError",
    "Proposal",
    "StorageAssociation",
    "StorageChannel",
    "StorageSCUOptions",
    "StoreFile",
    "StoreOutcome",
    "astore",
    "choose_context",
    "collect_files",
    "inspect_file",
    "plan_associations",
    "propose_contexts",
    "store_on",
]

log = logging.getLogger("dicomnet.services.storage_scu")

#: At most 128 presentation contexts in one A-ASSOCIATE-RQ (odd IDs 1-255, PS3.8 §9.3.2.2).
MAX_CONTEXTS: Final = 128

_IVLE: Final = IMPLICIT_VR_LITTLE_ENDIAN.uid
_EVLE: Final = EXPLICIT_VR_LITTLE_ENDIAN.uid
_EVBE: Final = EXPLICIT_VR_BIG_ENDIAN.uid
_DEFL: Final = DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.uid
#: Syntaxes an uncompressed data set can be re-encoded into.
_CONVERTIBLE: Final = (_EVLE, _IVLE, _EVBE, _DEFL)
#: The data set head read to learn the SOP Class/Instance UIDs: stop before (0008,0019).
_STOP_AFTER_SOP_INSTANCE: Final = 0x00080019


class NotDicomError(DicomNetError, ValueError):
    """A file is not a DICOM file or data set the Storage SCU can send."""


class Proposal(enum.Enum):
    """DCMTK ``storescu``'s transfer syntax proposal options (PS3.5 §10, Annex A)."""

    UNCOMPRESSED = "-x="
    """All uncompressed, explicit VR in the local byte order first (little endian here)."""
    LITTLE = "-xe"
    """All uncompressed, explicit VR little endian first."""
    BIG = "-xb"
    """All uncompressed, explicit VR big endian first."""
    IMPLICIT = "-xi"
    """Implicit VR little endian only."""
    DEFLATED = "-xd"
    """Deflated explicit VR little endian, then all uncompressed."""

    @property
    def transfer_syntaxes(self) -> tuple[str, ...]:
        """The proposed syntaxes in order of preference."""
        return _PROPOSALS[self]


_PROPOSALS: Final[dict[Proposal, tuple[str, ...]]] = {
    Proposal.UNCOMPRESSED: (_EVLE, _EVBE, _IVLE),
    Proposal.LITTLE: (_EVLE, _EVBE, _IVLE),
    Proposal.BIG: (_EVBE, _EVLE, _IVLE),
    Proposal.IMPLICIT: (_IVLE,),
    Proposal.DEFLATED: (_DEFL, _EVLE, _EVBE, _IVLE),
}


@attrs.frozen(repr=False)
class StoreFile:
    """What the Storage SCU knows about one file after reading its head.

    ``dataset_offset`` is where the data set starts in the file; ``stream_as_is`` says its bytes
    are in ``transfer_syntax`` exactly (False when the file's VR encoding contradicts its meta,
    which is read tolerantly and must be re-encoded).
    """

    __repr__ = attrs_repr

    path: str
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: str
    dataset_offset: int
    dataset_length: int
    encapsulated: bool
    stream_as_is: bool = True


@attrs.frozen(repr=False)
class StoreOutcome:
    """The result for one input file.

    ``status``/``error_comment`` come from the C-STORE-RSP (PS3.7 §9.3.1.2); ``status`` is
    ``None`` when no request was sent, and ``reason`` then says why. ``transfer_syntax`` is the
    syntax used on the wire, ``converted`` whether the data set was re-encoded for it.
    """

    __repr__ = attrs_repr

    path: str
    sop_class_uid: str | None = None
    sop_instance_uid: str | None = None
    status: int | None = None
    error_comment: str | None = None
    reason: str | None = None
    transfer_syntax: str | None = None
    converted: bool = False

    @property
    def category(self) -> StatusCategory | None:
        """The status class of ``status`` (PS3.7 Annex C), ``None`` when nothing was sent."""
        return None if self.status is None else category_of(self.status)

    @property
    def ok(self) -> bool:
        """Stored: the peer answered Success or Warning."""
        return self.category in (StatusCategory.SUCCESS, StatusCategory.WARNING)

    def describe(self) -> str:
        """One line for logs and the command line."""
        if self.status is None:
            return f"{self.path}: not sent: {self.reason}"
        category = self.category.value if self.category is not None else ""
        text = f"{self.path}: status 0x{self.status:04X} ({category})"
        if self.error_comment:
            text += f": {self.error_comment}"
        return text


@attrs.frozen(repr=False, kw_only=True)
class StorageSCUOptions:
    """How the Storage SCU associates and proposes (DCMTK ``storescu`` options in brackets).

    ``combine`` puts all proposed syntaxes of a SOP class in one context (``+C``; the default
    is one context per syntax). ``halt_on_failure`` stops after the first file that was not
    stored (DCMTK's default; ``-nh`` turns it off). ``template`` gives the other association
    settings (user identity, ...): its AE titles, contexts and PDU length are replaced.
    """

    __repr__ = attrs_repr

    calling_ae_title: str = "STORESCU"  # -aet
    called_ae_title: str = "ANY-SCP"  # -aec
    proposal: Proposal = Proposal.UNCOMPRESSED  # -x= -xe -xb -xi -xd
    combine: bool = False  # +C
    max_pdu_length: int = 16384  # -pdu
    priority: Priority = Priority.MEDIUM
    halt_on_failure: bool = False
    template: RequestorConfig | None = None


def _first_group(head: bytes) -> int:
    return min(int.from_bytes(head[0:2], "little"), int.from_bytes(head[0:2], "big"))


def inspect_file(path: str | os.PathLike[str]) -> StoreFile:
    """Read the head of ``path`` (meta and data set up to SOP Instance UID) into a StoreFile.

    Raises :class:`NotDicomError` (not DICOM, no valid SOP Class/Instance UID),
    :class:`~dicomnet.errors.DatasetDecodeError` (malformed) or ``OSError`` (unreadable).
    """
    name = os.fspath(path)
    size = os.path.getsize(name)
    with open(name, "rb") as fh:
        head = fh.read(132)
    # A bare data set starts with a low even group (0002, 0008, ...; PS3.5 §7.1): anything else
    # is not worth reading further (a large non-DICOM file would be read whole).
    if (
        head[128:132] != b"DICM"
        and head[:4] != b"DICM"
        and (len(head) < 8 or not 0x0002 <= _first_group(head) <= 0x0010 or _first_group(head) % 2)
    ):
        raise NotDicomError("not a DICOM file or data set")
    part = read_file(name, stop_before=_STOP_AFTER_SOP_INSTANCE)
    ts = part.transfer_syntax
    if ts is None:
        raise NotDicomError("data set in implicit VR big endian (no such transfer syntax)")

    def uid(tag: int, meta_tag: int) -> str | None:
        # The data set's (0008,0016)/(0008,0018), else the meta's (0002,0002)/(0002,0003).
        for ds, key in ((part.dataset, tag), (part.meta, meta_tag)):
            value = ds.get_value(key) if key in ds else None
            if isinstance(value, str) and value:
                return value
        return None

    sop_class = uid(0x00080016, 0x00020002)
    sop_instance = uid(0x00080018, 0x00020003)
    if sop_class is None or sop_instance is None:
        raise NotDicomError("no SOP Class UID or SOP Instance UID")
    for label, value in (("SOP Class UID", sop_class), ("SOP Instance UID", sop_instance)):
        if not is_valid_uid(value):
            raise NotDicomError(f"invalid {label} {value!r}")
    as_is = part.implicit_vr == ts.implicit_vr and part.little_endian == ts.little_endian
    return StoreFile(
        path=name,
        sop_class_uid=sop_class,
        sop_instance_uid=sop_instance,
        transfer_syntax=ts.uid,
        dataset_offset=part.dataset_offset,
        dataset_length=size - part.dataset_offset,
        encapsulated=ts.encapsulated,
        stream_as_is=as_is,
    )


def _syntaxes_for(files: Iterable[StoreFile], proposal: Proposal) -> dict[str, list[str]]:
    """Per SOP class (first-seen order): the proposal's syntaxes when an uncompressed file of the
    class is present, and each file's own syntax."""
    out: dict[str, list[str]] = {}
    for f in files:
        syntaxes = out.setdefault(f.sop_class_uid, [])
        wanted = ((*proposal.transfer_syntaxes,) if not f.encapsulated else ()) + (
            f.transfer_syntax,
        )
        syntaxes += [ts for ts in dict.fromkeys(wanted) if ts not in syntaxes]
    return out


def _contexts_of(sop_class: str, syntaxes: Sequence[str], combine: bool) -> list[ProposedContext]:
    if not combine:
        return list(ProposedContext.per_transfer_syntax(sop_class, syntaxes))
    plain = [ts for ts in syntaxes if not TRANSFER_SYNTAXES[ts].encapsulated]
    contexts = [ProposedContext(sop_class, plain)] if plain else []
    contexts += [
        ProposedContext(sop_class, (ts,)) for ts in syntaxes if TRANSFER_SYNTAXES[ts].encapsulated
    ]
    return contexts


def propose_contexts(
    files: Iterable[StoreFile], proposal: Proposal = Proposal.UNCOMPRESSED, *, combine: bool = False
) -> list[ProposedContext]:
    """The presentation contexts for ``files`` (may exceed 128: see :func:`plan_associations`).

    For each SOP class: the proposal's uncompressed syntaxes when an uncompressed file of that
    class is present, and each file's own syntax; one context per syntax (DCMTK's default) or,
    with ``combine``, the uncompressed ones in one context.
    """
    contexts: list[ProposedContext] = []
    for sop_class, syntaxes in _syntaxes_for(files, proposal).items():
        contexts += _contexts_of(sop_class, syntaxes, combine)
    return contexts


def plan_associations(
    files: Sequence[StoreFile], proposal: Proposal = Proposal.UNCOMPRESSED, *, combine: bool = False
) -> list[tuple[list[ProposedContext], list[StoreFile]]]:
    """Split ``files`` into groups whose contexts fit one association (at most 128 each).

    SOP classes are packed in order of first appearance; each group is one association, and the
    files keep their relative order within it. An empty input gives no group.
    """
    per_class: dict[str, list[StoreFile]] = {}
    for f in files:
        per_class.setdefault(f.sop_class_uid, []).append(f)
    plans: list[tuple[list[ProposedContext], list[StoreFile]]] = []
    contexts: list[ProposedContext] = []
    members: list[StoreFile] = []
    for group in per_class.values():
        needed = propose_contexts(group, proposal, combine=combine)
        if len(needed) > MAX_CONTEXTS:  # pragma: no cover - fewer transfer syntaxes exist
            raise ValueError(f"one SOP class needs {len(needed)} presentation contexts (max 128)")
        if len(contexts) + len(needed) > MAX_CONTEXTS:
            plans.append((contexts, members))
            contexts, members = [], []
        contexts += needed
        members += group
    if members:
        plans.append((contexts, members))
    order = {id(f): i for i, f in enumerate(files)}
    return [(cx, sorted(fs, key=lambda f: order[id(f)])) for cx, fs in plans]


def _ts_label(uid: str) -> str:
    return uid_name(uid) or uid


def choose_context(
    negotiated: NegotiatedAssociation, f: StoreFile, proposal: Proposal = Proposal.UNCOMPRESSED
) -> tuple[int, str, bool] | str:
    """``(context_id, transfer_syntax, convert)`` for sending ``f``, or why it cannot be sent.

    The file's own syntax, accepted, streams the file as is; otherwise uncompressed data is
    re-encoded into an accepted uncompressed syntax (the proposal's order); compressed data goes
    only in its own syntax.
    """
    own = negotiated.context_for(f.sop_class_uid, f.transfer_syntax)
    if own is not None:
        return own.context_id, own.transfer_syntax, not f.stream_as_is
    accepted = negotiated.accepted_transfer_syntaxes(f.sop_class_uid)
    if f.encapsulated:
        return (
            f"compressed data ({_ts_label(f.transfer_syntax)}) is sent only in its own transfer "
            f"syntax, which the peer did not accept for {_ts_label(f.sop_class_uid)}"
        )
    if not accepted:
        return f"SOP class {_ts_label(f.sop_class_uid)} not accepted by the peer"
    preference = [*proposal.transfer_syntaxes, *_CONVERTIBLE]
    for ts in sorted(
        (ts for ts in accepted if ts in _CONVERTIBLE), key=lambda ts: preference.index(ts)
    ):
        cx = negotiated.context_for(f.sop_class_uid, ts)
        if cx is not None:
            return cx.context_id, ts, True
    return f"no accepted uncompressed transfer syntax for {_ts_label(f.sop_class_uid)}"


class StorageChannel(Protocol):
    """What the Storage SCU needs from an established association (``AsyncAssociation``)."""

    @property
    def negotiated(self) -> NegotiatedAssociation | None: ...

    def next_message_id(self) -> int: ...

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        """Send ``message`` with its data set."""

    async def receive_message(self) -> MessageReceived:
        """The next DIMSE message."""
        ...


class _AssociationLost(Exception):
    """The association ended or misbehaved: the remaining files cannot be sent on it."""


def _encode(f: StoreFile, ts: str) -> list[Any]:
    part = read_file(f.path)
    return list(encode_dataset(part.dataset, WriteOptions(transfer_syntax=ts), skip_file_meta=True))


async def _store_one(
    assoc: StorageChannel, f: StoreFile, choice: tuple[int, str, bool], priority: Priority
) -> StoreOutcome:
    context_id, ts, convert = choice
    base = StoreOutcome(
        path=f.path,
        sop_class_uid=f.sop_class_uid,
        sop_instance_uid=f.sop_instance_uid,
        transfer_syntax=ts,
        converted=convert,
    )
    chunks: list[Any] | None = None
    if convert:
        try:
            chunks = _encode(f, ts)
        except (DatasetDecodeError, DatasetEncodeError, ValueError, OSError) as exc:
            return attrs.evolve(base, reason=f"cannot convert to {_ts_label(ts)}: {exc}")
        if not any(len(c) for c in chunks):
            return attrs.evolve(base, reason="empty data set")
    elif f.dataset_length <= 0:
        return attrs.evolve(base, reason="empty data set")
    message_id = assoc.next_message_id()
    request = CStoreRQ(
        message_id=message_id,
        affected_sop_class_uid=f.sop_class_uid,
        affected_sop_instance_uid=f.sop_instance_uid,
        priority=priority,
    )
    log.info("Sending C-STORE-RQ (MsgID %d, %s) %s", message_id, _ts_label(ts), f.path)
    try:
        if chunks is not None:
            await assoc.send(request, context_id=context_id, dataset=chunks)
        else:
            try:
                fh = open(f.path, "rb")  # noqa: SIM115 - closed below, after the await
            except OSError as exc:
                return attrs.evolve(base, reason=f"cannot read: {exc.strerror or exc}")
            with fh:
                fh.seek(f.dataset_offset)
                await assoc.send(request, context_id=context_id, dataset=fh)
        received = await assoc.receive_message()
    except (AssociationAborted, TimeoutError, RemoteProtocolError) as exc:
        raise _AssociationLost(str(exc) or type(exc).__name__) from exc
    response = received.message
    if not isinstance(response, CStoreRSP) or response.message_id_being_responded_to != message_id:
        raise _AssociationLost(
            f"expected the C-STORE-RSP to message {message_id}, received {response.message_name}"
        )
    log.info("Received C-STORE-RSP (status 0x%04X)", response.status)
    return attrs.evolve(base, status=response.status, error_comment=response.error_comment)


async def store_on(
    assoc: StorageChannel,
    files: Iterable[StoreFile],
    *,
    proposal: Proposal = Proposal.UNCOMPRESSED,
    priority: Priority = Priority.MEDIUM,
    halt_on_failure: bool = False,
    on_result: Callable[[StoreOutcome], object] | None = None,
) -> list[StoreOutcome]:
    """C-STORE each of ``files`` over an established association; one outcome per file.

    A file that cannot be sent (no suitable context, conversion failure) is reported and the
    others go on. When the association ends or the peer misbehaves, the file being sent and the
    rest are reported as not stored and :class:`AssociationAborted` is not raised: the outcomes
    say so (the caller should abort the association then; :func:`astore` does).
    """
    negotiated = assoc.negotiated
    outcomes: list[StoreOutcome] = []
    pending = list(files)
    lost: str | None = None
    halted = False
    for f in pending:
        if lost is not None or halted:
            why = f"association ended: {lost}" if lost is not None else "halted after a failure"
            outcome = StoreOutcome(f.path, f.sop_class_uid, f.sop_instance_uid, reason=why)
        else:
            choice = (
                choose_context(negotiated, f, proposal)
                if negotiated is not None
                else "association not established"
            )
            if isinstance(choice, str):
                outcome = StoreOutcome(f.path, f.sop_class_uid, f.sop_instance_uid, reason=choice)
            else:
                try:
                    outcome = await _store_one(assoc, f, choice, priority)
                except _AssociationLost as exc:
                    lost = str(exc)
                    outcome = StoreOutcome(
                        f.path,
                        f.sop_class_uid,
                        f.sop_instance_uid,
                        reason=f"association ended: {lost}",
                    )
            halted = halt_on_failure and not outcome.ok
        outcomes.append(outcome)
        if on_result is not None:
            on_result(outcome)
    return outcomes


def _config(options: StorageSCUOptions, contexts: list[ProposedContext]) -> RequestorConfig:
    changes: dict[str, Any] = {
        "calling_ae_title": options.calling_ae_title,
        "called_ae_title": options.called_ae_title,
        "presentation_contexts": tuple(contexts),
        "max_pdu_length": options.max_pdu_length,
    }
    if options.template is not None:
        return attrs.evolve(options.template, **changes)
    return RequestorConfig(**changes)


class StorageAssociation(StorageChannel, Protocol):
    """An association :func:`astore` opened through its connector: it also releases/aborts."""

    async def release(self) -> None:
        """A-RELEASE."""

    async def abort(self) -> None:
        """A-ABORT."""


#: Opens an association for a configuration: ``functools.partial(dicomnet.transport.connect,
#: host, port, timeouts=..., ssl=...)``.
Connector = Callable[[RequestorConfig], Awaitable[StorageAssociation]]


async def astore(
    connect: Connector,
    paths: Iterable[str | os.PathLike[str]],
    options: StorageSCUOptions | None = None,
    *,
    on_result: Callable[[StoreOutcome], object] | None = None,
) -> list[StoreOutcome]:
    """Send the files ``paths`` to a storage SCP; one outcome per path, in input order.

    ``connect(config)`` opens each association (see :data:`Connector`; the services layer does
    no IO of its own). Files that are not DICOM are reported (``reason``) and skipped. What
    ``connect`` raises (``OSError``, ``TimeoutError``, ``AssociationRejected``,
    ``AssociationAborted``) propagates; a file that ended its association is reported as not
    stored, and so is every file after it on that association.
    """
    options = options or StorageSCUOptions()
    outcomes: dict[int, StoreOutcome] = {}
    readable: list[tuple[int, StoreFile]] = []
    names = [os.fspath(p) for p in paths]
    for index, name in enumerate(names):
        try:
            readable.append((index, inspect_file(name)))
        except (NotDicomError, DatasetDecodeError) as exc:
            outcomes[index] = StoreOutcome(name, reason=f"not DICOM: {exc}")
        except OSError as exc:
            outcomes[index] = StoreOutcome(name, reason=f"cannot read: {exc.strerror or exc}")
        if index in outcomes:
            log.debug("%s", outcomes[index].describe())
            if on_result is not None:
                on_result(outcomes[index])
    index_of = {id(f): i for i, f in readable}
    halted = False
    for contexts, group in plan_associations(
        [f for _, f in readable], options.proposal, combine=options.combine
    ):
        if halted:
            for f in group:
                outcome = StoreOutcome(
                    f.path, f.sop_class_uid, f.sop_instance_uid, reason="halted after a failure"
                )
                outcomes[index_of[id(f)]] = outcome
                if on_result is not None:
                    on_result(outcome)
            continue
        config = _config(options, contexts)
        assoc = await connect(config)
        try:
            results = await store_on(
                assoc,
                group,
                proposal=options.proposal,
                priority=options.priority,
                halt_on_failure=options.halt_on_failure,
                on_result=on_result,
            )
        except BaseException:
            await assoc.abort()
            raise
        if any(r.reason and r.reason.startswith("association ended") for r in results):
            await assoc.abort()
        else:
            await assoc.release()
        for f, result in zip(group, results, strict=True):
            outcomes[index_of[id(f)]] = result
        halted = options.halt_on_failure and not all(r.ok for r in results)
    return [outcomes[i] for i in range(len(names))]


def _walk(root: Path, recurse: bool) -> Iterator[Path]:
    entries = sorted(root.iterdir())
    for entry in entries:
        if entry.is_dir():
            if recurse:
                yield from _walk(entry, recurse)
        elif entry.is_file():
            yield entry


def collect_files(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    scan_directories: bool = False,
    recurse: bool = False,
    pattern: str | None = None,
) -> tuple[list[str], list[str]]:
    """The files to send from ``inputs`` (DCMTK ``+sd``, ``+r``, ``+sp``), and the problems.

    Without ``scan_directories`` a directory is a problem; with it its files are taken (sorted,
    subdirectories only with ``recurse``, names matching ``pattern`` only). A missing input is a
    problem. Returns ``(files, problems)``; problems are one line each.
    """
    files: list[str] = []
    problems: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            if not scan_directories:
                problems.append(f"{path}: is a directory (use +sd to scan directories)")
                continue
            try:
                files.extend(
                    str(found)
                    for found in _walk(path, recurse)
                    if pattern is None or fnmatch.fnmatch(found.name, pattern)
                )
            except OSError as exc:
                problems.append(f"{path}: {exc.strerror or exc}")
        elif path.exists():
            files.append(str(path))
        else:
            problems.append(f"{path}: no such file or directory")
    return files, problems
