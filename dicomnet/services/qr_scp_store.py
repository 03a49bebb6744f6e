"""The C-STORE sub-operations of the Q/R SCP's C-MOVE and C-GET (PS3.4 C.4.2.2, C.4.3.2).

:func:`perform_sub_operations` sends each instance over a :class:`SubOperationStore` (the
sub-association to a C-MOVE destination, :class:`MoveStore`, or the C-GET requestor's own
association), keeping the :class:`SubOperationCounts` of the responses (PS3.7 §9.3.3.2,
§9.3.4.2). Each instance is a file (sent in its own transfer syntax when accepted: a data set up
to :data:`READ_WHOLE` bytes read in one call, a larger one streamed from disk; else re-encoded into
an accepted uncompressed one, as :func:`~dicomnet.services.storage_scu.choose_context` decides),
an :class:`IndexedFile` (a file whose head the application already read, e.g. into its index:
sent without reading it again, unless its size or modification time changed since) or a
:class:`~dicomnet.dataset.Dataset`. :func:`final_status` gives the status of the final response.
The handler itself is :class:`dicomnet.services.qr_scp.QRSCP`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Protocol

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.acse import NegotiatedAssociation
from dicomnet.association import MessageReceived
from dicomnet.dataset import Dataset, WriteOptions, encode_dataset, read_file
from dicomnet.dimse import CStoreRQ, CStoreRSP, DimseMessage, StatusCategory, category_of
from dicomnet.errors import AssociationAborted, DicomNetError, RemoteProtocolError
from dicomnet.services.storage_scu import NotDicomError, StoreFile, choose_context, inspect_file
from dicomnet.uid import EXPLICIT_VR_LITTLE_ENDIAN, is_valid_uid

__all__ = [
    "CANCEL",
    "SUB_OPERATIONS_FAILED",
    "SUB_OPERATIONS_WARNING",
    "IndexedFile",
    "Instance",
    "MoveStore",
    "Progress",
    "RetrieveItem",
    "SubAssociation",
    "SubOperationCounts",
    "SubOperationStore",
    "dataset_bytes",
    "failed_identifier",
    "final_status",
    "instance_of",
    "perform_sub_operations",
]

log = logging.getLogger("dicomnet.services.qr_scp")

#: Cancel: sub-operations terminated due to Cancel indication (PS3.4 Tables C.4-2, C.4-3).
CANCEL: Final = 0xFE00
#: Warning: sub-operations complete, one or more failures or warnings.
SUB_OPERATIONS_WARNING: Final = 0xB000
#: Refused: Out of Resources, unable to perform sub-operations.
SUB_OPERATIONS_FAILED: Final = 0xA702

_EVLE: Final = EXPLICIT_VR_LITTLE_ENDIAN.uid
#: A file's data set up to this size is read in one call and sent from memory; a larger one is
#: streamed from the file a fragment at a time.
READ_WHOLE: Final = 1024 * 1024
_pread: Final[Callable[[int, int, int], bytes] | None] = getattr(os, "pread", None)  # not Windows
_O_BINARY: Final[int] = getattr(os, "O_BINARY", 0)
_FAILED_SOP_INSTANCE_UID_LIST: Final = 0x00080058


@attrs.frozen(repr=False)
class IndexedFile:
    """A file to send whose head was read before (by an index, or
    :func:`~dicomnet.services.storage_scu.inspect_file`): ``file`` as read then, ``mtime_ns`` the
    file's modification time then.

    The sub-operation uses ``file`` as is while the file's size
    (``file.dataset_offset + file.dataset_length``) and modification time are unchanged, and
    inspects the file again otherwise. It is path-like (``os.fspath`` gives ``file.path``).
    """

    __repr__ = attrs_repr

    file: StoreFile
    mtime_ns: int

    def __fspath__(self) -> str:
        return self.file.path


#: What a retrieve yields: a DICOM file's path, an :class:`IndexedFile`, or a Dataset carrying SOP
#: Class/Instance UIDs (sent in an uncompressed transfer syntax the destination accepted).
RetrieveItem = str | os.PathLike[str] | IndexedFile | Dataset


@attrs.define(repr=False)
class SubOperationCounts:
    """The sub-operation counters of C-MOVE/C-GET responses, and the failed instances' UIDs."""

    __repr__ = attrs_repr

    remaining: int = 0
    completed: int = 0
    failed: int = 0
    warning: int = 0
    failed_uids: list[str] = attrs.Factory(list)

    def fail(self, uid: str | None) -> None:
        """Count one failed sub-operation (listed when its SOP Instance UID is known)."""
        self.failed += 1
        if uid:
            self.failed_uids.append(uid)


def final_status(counts: SubOperationCounts, cancelled: bool) -> int:
    """The final C-MOVE/C-GET status: Cancel, all failed, some failed or warned, or Success."""
    if cancelled:
        return CANCEL
    if counts.failed and not counts.completed and not counts.warning:
        return SUB_OPERATIONS_FAILED
    if counts.failed or counts.warning:
        return SUB_OPERATIONS_WARNING
    return 0x0000


def dataset_bytes(ds: Dataset, transfer_syntax: str) -> list[Any]:
    """``ds`` encoded in ``transfer_syntax``, as buffers to send."""
    return list(encode_dataset(ds, WriteOptions(transfer_syntax=transfer_syntax)))


def failed_identifier(uids: Sequence[str], transfer_syntax: str) -> list[Any]:
    """The Identifier of a final response: Failed SOP Instance UID List (PS3.4 C.4.2.1.4.2)."""
    ds = Dataset()
    ds.set(_FAILED_SOP_INSTANCE_UID_LIST, list(uids), "UI")
    return dataset_bytes(ds, transfer_syntax)


@attrs.frozen(repr=False)
class Instance:
    """A sub-operation's instance: the file's head (or the UIDs of a Dataset) and the Dataset."""

    __repr__ = attrs_repr

    file: StoreFile
    dataset: Dataset | None = None


def instance_of(item: RetrieveItem) -> Instance | str:
    """The instance to send for ``item``, or why it cannot be sent."""
    if isinstance(item, IndexedFile):
        head = item.file
        try:
            stat = os.stat(head.path)
        except OSError as exc:
            return f"{head.path}: {exc.strerror or exc}"
        if (
            stat.st_mtime_ns == item.mtime_ns
            and stat.st_size == head.dataset_offset + head.dataset_length
        ):
            return Instance(head)
        log.debug("%s changed since it was indexed: reading its head again", head.path)
        item = head.path
    if isinstance(item, Dataset):
        sop_class = item.get_value("SOPClassUID")
        sop_instance = item.get_value("SOPInstanceUID")
        if not (isinstance(sop_class, str) and is_valid_uid(sop_class)):
            return "data set without a valid SOP Class UID"
        if not (isinstance(sop_instance, str) and is_valid_uid(sop_instance)):
            return "data set without a valid SOP Instance UID"
        head = StoreFile(
            path="",
            sop_class_uid=sop_class,
            sop_instance_uid=sop_instance,
            transfer_syntax=_EVLE,
            dataset_offset=0,
            dataset_length=0,
            encapsulated=False,
            stream_as_is=False,  # always encoded for the chosen context
        )
        return Instance(head, item)
    try:
        return Instance(inspect_file(item))
    except (NotDicomError, DicomNetError) as exc:
        return f"{os.fspath(item)}: {exc}"
    except OSError as exc:
        return f"{os.fspath(item)}: {exc.strerror or exc}"


class SubAssociation(Protocol):
    """What a C-MOVE needs from the association it opens (``AsyncAssociation``)."""

    @property
    def negotiated(self) -> NegotiatedAssociation | None: ...

    def next_message_id(self) -> int: ...

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        """Send ``message``."""

    async def receive_message(self) -> MessageReceived:
        """The next DIMSE message."""
        ...

    async def release(self) -> None:
        """A-RELEASE."""

    async def abort(self) -> None:
        """A-ABORT."""


class SubOperationStore(Protocol):
    """Where the C-STOREs go: sends a request, then reads the C-STORE-RSP to it."""

    @property
    def negotiated(self) -> NegotiatedAssociation | None: ...

    def next_message_id(self) -> int: ...

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any) -> None:
        """Send ``message``."""

    async def response(self, message_id: int) -> CStoreRSP:
        """The C-STORE-RSP to ``message_id``."""
        ...


class MoveStore:
    """C-STOREs over the sub-association to a move destination."""

    def __init__(self, assoc: SubAssociation) -> None:
        self.assoc = assoc
        self.negotiated = assoc.negotiated

    def next_message_id(self) -> int:
        """A new message ID on the sub-association."""
        return self.assoc.next_message_id()

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any) -> None:
        """Send ``message``."""
        await self.assoc.send(message, context_id=context_id, dataset=dataset)

    async def response(self, message_id: int) -> CStoreRSP:
        """The next message, which must be the C-STORE-RSP to ``message_id``."""
        received = await self.assoc.receive_message()
        rsp = received.message
        if not isinstance(rsp, CStoreRSP) or rsp.message_id_being_responded_to != message_id:
            raise RemoteProtocolError(f"expected the C-STORE-RSP to {message_id}")
        return rsp


class _Lost(Exception):
    """The association carrying the C-STOREs ended."""


def _payload(instance: Instance, ts: str, convert: bool) -> list[Any] | str | None:
    """The encoded data set, ``None`` to stream the file as is, or why it cannot be encoded."""
    try:
        if instance.dataset is not None:
            return dataset_bytes(instance.dataset, ts)
        if convert:
            part = read_file(instance.file.path)
            options = WriteOptions(transfer_syntax=ts)
            return list(encode_dataset(part.dataset, options, skip_file_meta=True))
    except (DicomNetError, ValueError, OSError) as exc:
        return f"cannot encode: {exc}"
    return None


def _file_bytes(f: StoreFile) -> bytes | str | None:
    """The data set of ``f`` in one read (``None``: stream it from the file), or why not.

    Up to :data:`READ_WHOLE` bytes are read with one ``pread``; the file must still hold exactly
    ``dataset_length`` bytes after ``dataset_offset``, else it changed since its head was read.
    """
    if _pread is None or f.dataset_length > READ_WHOLE:
        return None
    if f.dataset_length <= 0:
        return "empty data set"
    try:
        fd = os.open(f.path, os.O_RDONLY | _O_BINARY)
        try:
            data = _pread(fd, f.dataset_length + 1, f.dataset_offset)
        finally:
            os.close(fd)
    except OSError as exc:
        return f"cannot read {f.path}: {exc.strerror or exc}"
    if len(data) != f.dataset_length:
        return f"{f.path} changed since its head was read"
    return data


#: A sub-operation's context choice, per (SOP class, transfer syntax, encapsulated, as is).
_Choices = dict[tuple[str, str, bool, bool], tuple[int, str, bool] | str]


@attrs.frozen(repr=False)
class _Ready:
    """A sub-operation ready to send: its context and its data set (``None``: stream the file)."""

    __repr__ = attrs_repr

    context_id: int
    payload: list[Any] | bytes | None


def _prepare(
    negotiated: NegotiatedAssociation | None, instance: Instance, choices: _Choices
) -> _Ready | None:
    """The context and data set of ``instance``; ``None`` (logged) when it cannot be sent."""
    f = instance.file
    key = (f.sop_class_uid, f.transfer_syntax, f.encapsulated, f.stream_as_is)
    choice = choices.get(key)
    if choice is None:
        choice = choose_context(negotiated, f) if negotiated is not None else "not established"
        choices[key] = choice
    if isinstance(choice, str):
        log.warning("cannot send %s: %s", f.sop_instance_uid, choice)
        return None
    context_id, ts, convert = choice
    payload: list[Any] | bytes | str | None = _payload(instance, ts, convert)
    if payload is None:
        payload = _file_bytes(f)
    if isinstance(payload, str):
        log.warning("cannot send %s: %s", f.sop_instance_uid, payload)
        return None
    return _Ready(context_id, payload)


async def _send_request(
    store: SubOperationStore, f: StoreFile, ready: _Ready, originator: tuple[str, int] | None
) -> int | None:
    """Send the C-STORE-RQ of one sub-operation; its Message ID, ``None`` when it cannot be sent."""
    message_id = store.next_message_id()
    rq = CStoreRQ(
        message_id=message_id,
        affected_sop_class_uid=f.sop_class_uid,
        affected_sop_instance_uid=f.sop_instance_uid,
        move_originator_application_entity_title=originator[0] if originator else None,
        move_originator_message_id=originator[1] if originator else None,
    )
    context_id = ready.context_id
    try:
        if ready.payload is not None:
            await store.send(rq, context_id=context_id, dataset=ready.payload)
        else:
            try:
                fh = open(f.path, "rb")  # noqa: SIM115 - closed below, after the await
            except OSError as exc:
                log.warning("cannot read %s: %s", f.path, exc)
                return None
            with fh:
                fh.seek(f.dataset_offset)
                await store.send(rq, context_id=context_id, dataset=fh)
    except (AssociationAborted, TimeoutError, RemoteProtocolError) as exc:
        raise _Lost(str(exc) or type(exc).__name__) from exc
    return message_id


async def _status(store: SubOperationStore, message_id: int) -> int:
    """The status of the C-STORE-RSP to ``message_id``."""
    try:
        rsp = await store.response(message_id)
    except (AssociationAborted, TimeoutError, RemoteProtocolError) as exc:
        raise _Lost(str(exc) or type(exc).__name__) from exc
    return rsp.status


#: Sends a Pending response with (remaining, completed, failed, warning).
Progress = Callable[[int, int, int, int], Awaitable[None]]


async def perform_sub_operations(
    store: SubOperationStore,
    instances: Sequence[Instance],
    counts: SubOperationCounts,
    *,
    cancelled: Callable[[], bool],
    pending: Progress,
    originator: tuple[str, int] | None = None,
) -> str | None:
    """C-STORE each instance, updating ``counts``; why the store association was lost, or None.

    ``cancelled()`` is asked before each sub-operation (a C-CANCEL-RQ stops them).
    ``pending(remaining, completed, failed, warning)`` sends the Pending response of each
    sub-operation but the last, with the counters as that sub-operation left them. While the
    destination stores an instance, this side works ahead: the previous sub-operation's Pending
    response goes out once the C-STORE-RQ is on its way, then the next instance is read. The
    context of each SOP class and transfer syntax is chosen once. ``originator`` is the C-MOVE's
    (AE title, message ID) for the C-STORE-RQs (PS3.7 §9.3.1.1). Once the association is lost,
    every remaining sub-operation is counted failed.
    """
    negotiated = store.negotiated
    choices: _Choices = {}
    lost: str | None = None
    due: tuple[int, int, int, int] | None = None  # the Pending response not yet sent
    ready: _Ready | None = None
    last = len(instances) - 1
    for index, instance in enumerate(instances):
        if cancelled():
            break
        counts.remaining -= 1
        status: int | None = None
        if lost is None:
            if index == 0:
                ready = _prepare(negotiated, instance, choices)
            try:
                message_id = None
                if ready is not None:
                    message_id = await _send_request(store, instance.file, ready, originator)
                if due is not None:
                    await pending(*due)
                    due = None
                ready = (
                    None if index == last else _prepare(negotiated, instances[index + 1], choices)
                )
                if message_id is not None:
                    status = await _status(store, message_id)
            except _Lost as exc:
                lost = str(exc)
        if due is not None:  # not sent above: the association carrying the C-STOREs was lost
            await pending(*due)
            due = None
        category = None if status is None else category_of(status)
        if category is StatusCategory.SUCCESS:
            counts.completed += 1
        elif category is StatusCategory.WARNING:
            counts.warning += 1
        else:
            counts.fail(instance.file.sop_instance_uid)
        if counts.remaining and lost is None:
            due = (counts.remaining, counts.completed, counts.failed, counts.warning)
    return lost
