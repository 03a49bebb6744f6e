"""Query/Retrieve common parts (PS3.4 Annex C): models, levels, identifiers, the response reader.

- :class:`QueryModel`: the Information Models sharing the C-FIND/C-MOVE/C-GET messages, where
  only the SOP Class differs (PS3.4 C.6.1-C.6.3, Annex Y, Annex K).
- :func:`build_identifier`: an Identifier (PS3.4 C.4.1.1.3) from keyword/tag -> value pairs,
  including sequence paths such as ``ReferencedStudySequence[0].ReferencedSOPInstanceUID``.
- :class:`QRChannel` and :func:`read_message`: what the SCU operations need from an established
  association, and the reading of one DIMSE message with its data set (IO-free: an
  ``async def`` over the channel's ``next_event``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.acse import NegotiatedAssociation
from dicomnet.association import (
    Aborted,
    AssociationEvent,
    Closed,
    DatasetFragment,
    DimseTimeout,
    MessageReceived,
    Released,
)
from dicomnet.dataset import Dataset, encode_dataset, read_dataset, tag_for
from dicomnet.dataset.dictionary import default_dictionary
from dicomnet.dataset.tag import is_private_creator, parse_tag
from dicomnet.dimse import DimseMessage
from dicomnet.errors import (
    AssociationAborted,
    DicomNetError,
    DictionaryError,
    LocalProtocolError,
    RemoteProtocolError,
)
from dicomnet.uid import (
    COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET,
    COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE,
    MODALITY_WORKLIST_FIND,
    PATIENT_ROOT_QR_FIND,
    PATIENT_ROOT_QR_GET,
    PATIENT_ROOT_QR_MOVE,
    PATIENT_STUDY_ONLY_QR_FIND,
    PATIENT_STUDY_ONLY_QR_GET,
    PATIENT_STUDY_ONLY_QR_MOVE,
    STUDY_ROOT_QR_FIND,
    STUDY_ROOT_QR_GET,
    STUDY_ROOT_QR_MOVE,
)

__all__ = [
    "DEFAULT_MAX_IDENTIFIER_SIZE",
    "FAILED_SOP_INSTANCE_UID_LIST",
    "IdentifierError",
    "QRChannel",
    "QueryModel",
    "QueryRetrieveLevel",
    "ReceivedMessage",
    "build_identifier",
    "parse_key",
    "read_message",
]

#: Query/Retrieve Level (0008,0052), PS3.4 C.4.1.1.3.
QUERY_RETRIEVE_LEVEL = 0x00080052
#: Failed SOP Instance UID List (0008,0058), PS3.4 C.4.2.1.4 / C.4.3.1.3.
FAILED_SOP_INSTANCE_UID_LIST = 0x00080058
#: The largest identifier data set kept in memory (responses are small; PACS lists can grow).
DEFAULT_MAX_IDENTIFIER_SIZE = 64 * 1024 * 1024


class IdentifierError(DicomNetError, ValueError):
    """A query key that names no element, or a value that does not fit it."""


class QueryRetrieveLevel(enum.StrEnum):
    """Query/Retrieve Level (0008,0052) values (PS3.4 C.6.1.1.1, C.6.2.1.1)."""

    PATIENT = "PATIENT"
    STUDY = "STUDY"
    SERIES = "SERIES"
    IMAGE = "IMAGE"


@attrs.frozen(repr=False)
class _Model:
    __repr__ = attrs_repr

    find: str | None
    move: str | None
    get: str | None
    levels: tuple[QueryRetrieveLevel, ...]


_ALL = tuple(QueryRetrieveLevel)
_NO_PATIENT = (QueryRetrieveLevel.STUDY, QueryRetrieveLevel.SERIES, QueryRetrieveLevel.IMAGE)


class QueryModel(enum.Enum):
    """A Query/Retrieve Information Model and its FIND/MOVE/GET SOP Classes (PS3.4 C.6).

    ``None`` where the model has no such SOP Class (Composite Instance Root has no FIND,
    Modality Worklist only FIND).
    """

    PATIENT_ROOT = _Model(PATIENT_ROOT_QR_FIND, PATIENT_ROOT_QR_MOVE, PATIENT_ROOT_QR_GET, _ALL)
    STUDY_ROOT = _Model(STUDY_ROOT_QR_FIND, STUDY_ROOT_QR_MOVE, STUDY_ROOT_QR_GET, _NO_PATIENT)
    PATIENT_STUDY_ONLY = _Model(
        PATIENT_STUDY_ONLY_QR_FIND,
        PATIENT_STUDY_ONLY_QR_MOVE,
        PATIENT_STUDY_ONLY_QR_GET,
        (QueryRetrieveLevel.PATIENT, QueryRetrieveLevel.STUDY),
    )
    COMPOSITE_INSTANCE_ROOT = _Model(
        None,
        COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE,
        COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET,
        _NO_PATIENT,
    )
    MODALITY_WORKLIST = _Model(MODALITY_WORKLIST_FIND, None, None, ())

    @property
    def find_sop_class(self) -> str | None:
        """The C-FIND SOP Class UID of this model."""
        return self.value.find

    @property
    def move_sop_class(self) -> str | None:
        """The C-MOVE SOP Class UID of this model."""
        return self.value.move

    @property
    def get_sop_class(self) -> str | None:
        """The C-GET SOP Class UID of this model."""
        return self.value.get

    @property
    def levels(self) -> tuple[QueryRetrieveLevel, ...]:
        """The Query/Retrieve Levels the model defines (empty: no level, e.g. worklist)."""
        return self.value.levels

    def sop_class(self, operation: str) -> str:
        """The SOP Class UID for ``operation`` ("find", "move", "get"); LocalProtocolError: none."""
        uid: str | None = getattr(self.value, operation)
        if uid is None:
            raise LocalProtocolError(f"the {self.name} model has no {operation.upper()} SOP class")
        return uid


# --- identifiers -----------------------------------------------------------------------------

_SEGMENT = re.compile(
    r"^\s*(\(?[0-9A-Fa-f]{4},[0-9A-Fa-f]{4}\)?|[0-9A-Fa-f]{8}|[A-Za-z][A-Za-z0-9]*)\s*(?:\[(\d+)\])?\s*$"
)
_INT_VRS = frozenset({"US", "SS", "UL", "SL", "UV", "SV", "AT"})
_FLOAT_VRS = frozenset({"FL", "FD"})


def _split_path(path: str) -> list[tuple[int, int | None]]:
    """``A[0].B`` -> [(tag A, 0), (tag B, None)]; keywords, ``gggg,eeee`` or 8 hex digits."""
    out: list[tuple[int, int | None]] = []
    for segment in path.split("."):
        m = _SEGMENT.match(segment)
        if m is None:
            raise IdentifierError(f"bad query key {path!r}: cannot read {segment!r}")
        name, index = m.group(1), m.group(2)
        try:
            tag = tag_for(name)
        except KeyError:
            try:
                tag = parse_tag(name)
            except ValueError:
                raise IdentifierError(f"bad query key {path!r}: unknown keyword {name!r}") from None
        except DictionaryError as exc:  # DCMDICTPATH names a dictionary that cannot be loaded
            raise IdentifierError(f"bad query key {path!r}: {exc}") from None
        out.append((tag, None if index is None else int(index)))
    return out


def _vr(tag: int, ds: Dataset) -> str:
    try:
        return ds.vr_of(tag) if tag in ds else default_dictionary().vr(tag)
    except (KeyError, ValueError):
        return "UN"


def _convert(vr: str, value: Any, key: str) -> Any:
    """Text given for a numeric VR (a ``-k`` value) becomes a number; empty means zero length."""
    if value is None or value == "":
        return [] if vr == "SQ" else (None if vr in _INT_VRS | _FLOAT_VRS else "")
    if isinstance(value, str) and vr in _INT_VRS | _FLOAT_VRS:
        parts = value.split("\\")
        try:
            if vr == "AT":
                nums: list[Any] = [parse_tag(p) for p in parts]
            elif vr in _INT_VRS:
                nums = [int(p, 0) for p in parts]
            else:
                nums = [float(p) for p in parts]
        except ValueError:
            raise IdentifierError(f"bad value for {key} ({vr}): {value!r}") from None
        return nums[0] if len(nums) == 1 else nums
    return value


def _set_path(root: Dataset, key: str, value: Any) -> None:
    steps = _split_path(key)
    ds = root
    for tag, index in steps[:-1]:
        if tag not in ds or ds.vr_of(tag) != "SQ":
            if _vr(tag, ds) not in ("SQ", "UN"):
                raise IdentifierError(f"bad query key {key!r}: {tag:08X} is not a sequence")
            ds.set(tag, [], vr="SQ")
        items: list[Dataset] = ds[tag].value
        want = 0 if index is None else index
        if want > 1024:
            raise IdentifierError(f"bad query key {key!r}: item index {want} too large")
        while len(items) <= want:
            items.append(Dataset(parent=ds))
        ds = items[want]
    tag, index = steps[-1]
    vr = _vr(tag, ds)
    if index is not None:
        if vr != "SQ":
            raise IdentifierError(f"bad query key {key!r}: {tag:08X} is not a sequence")
        if tag not in ds:
            ds.set(tag, [], vr="SQ")
        items = ds[tag].value
        if index > 1024:
            raise IdentifierError(f"bad query key {key!r}: item index {index} too large")
        while len(items) <= index:
            items.append(Dataset(parent=ds))
        if value not in (None, ""):
            raise IdentifierError(f"bad query key {key!r}: a sequence item takes no value")
        return
    if vr == "SQ" and tag in ds and value in (None, ""):
        return  # keep the items made by an earlier path
    if vr == "UN" and isinstance(value, str):
        if is_private_creator(tag):
            vr = "LO"  # PS3.5 §7.8.1
        else:  # an element the dictionary does not know: its text as bytes, even length
            raw = value.encode("utf-8")
            value = raw + b" " if len(raw) % 2 else raw
    try:
        ds.set(tag, _convert(vr, value, key), vr=vr if vr in ("UN", "LO") else None)
    except (TypeError, ValueError) as exc:
        raise IdentifierError(f"bad value for {key!r}: {exc}") from None


def parse_key(text: str) -> tuple[str, str]:
    """``"PatientName=DOE*"`` -> (path, value); ``"PatientID"`` -> (path, "") (DCMTK's ``-k``)."""
    path, _, value = text.partition("=")
    if not path.strip():
        raise IdentifierError(f"bad query key {text!r}")
    return path.strip(), value


def build_identifier(
    keys: Mapping[str | int, Any] | Iterable[tuple[str | int, Any]] | Iterable[str] = (),
    *,
    level: QueryRetrieveLevel | str | None = None,
    base: Dataset | None = None,
) -> Dataset:
    """An Identifier (PS3.4 C.4.1.1.3): ``keys`` set in order on ``base`` (in place) or a new one.

    Keys are keywords, tags (int, ``gggg,eeee``, ``(gggg,eeee)``) or dotted sequence paths
    (``ReferencedStudySequence[0].ReferencedSOPInstanceUID``); a plain string item is a
    ``-k`` style ``path=value``. ``None`` or ``""`` gives a zero-length value (universal matching,
    a return key). ``level`` sets Query/Retrieve Level (0008,0052). Values are sent as given.
    """
    ds = base if base is not None else Dataset()
    pairs: Iterable[Any] = keys.items() if isinstance(keys, Mapping) else keys
    if level is not None:
        ds.set(QUERY_RETRIEVE_LEVEL, str(QueryRetrieveLevel(str(level).upper())))
    for pair in pairs:
        if isinstance(pair, str):
            key, value = parse_key(pair)
        else:
            key, value = pair
        if isinstance(key, int):
            key = f"{key:08X}"
        _set_path(ds, str(key), value)
    return ds


# --- reading responses --------------------------------------------------------------------


class QRChannel(Protocol):
    """What the Q/R SCU operations need from an established association (``AsyncAssociation``)."""

    @property
    def negotiated(self) -> NegotiatedAssociation | None: ...

    def next_message_id(self) -> int: ...

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        """Send ``message`` (and its data set) on ``context_id``."""

    async def next_event(self, timeout: float | None = None) -> AssociationEvent | None:
        """The next association event, ``None`` after the last."""
        ...


@attrs.frozen(repr=False)
class ReceivedMessage:
    """A DIMSE message and its data set bytes (``None``: no data set, or it was skipped)."""

    __repr__ = attrs_repr

    context_id: int
    message: DimseMessage
    has_dataset: bool
    dataset: bytes | None


def _ended(event: AssociationEvent | None) -> Exception | None:
    if event is None or isinstance(event, Closed):
        return AssociationAborted(2, 0, "connection closed while awaiting a response")
    if isinstance(event, Aborted):
        return AssociationAborted(event.source, event.reason, event.detail or "association aborted")
    if isinstance(event, DimseTimeout):
        return TimeoutError(f"DIMSE timeout: {event.detail}")
    if isinstance(event, Released):
        return AssociationAborted(2, 0, "association released while awaiting a response")
    return None


async def read_message(
    assoc: QRChannel,
    *,
    keep_dataset: bool = True,
    max_dataset_size: int = DEFAULT_MAX_IDENTIFIER_SIZE,
) -> ReceivedMessage:
    """The next DIMSE message and, with ``keep_dataset``, its whole data set.

    Raises :class:`AssociationAborted` when the association ends first (abort, close, release)
    and :class:`TimeoutError` on the DIMSE timeout. A data set larger than ``max_dataset_size``
    is a :class:`~dicomnet.errors.RemoteProtocolError`. Used for responses and for C-GET's
    C-STORE-RQs, whose data sets the caller reads with :func:`next_fragment`.
    """
    while True:
        event = await assoc.next_event()
        problem = _ended(event)
        if problem is not None:
            raise problem
        if isinstance(event, MessageReceived):
            break
    if not event.has_dataset or not keep_dataset:
        return ReceivedMessage(event.context_id, event.message, event.has_dataset, None)
    data = await collect_dataset(assoc, max_dataset_size)
    return ReceivedMessage(event.context_id, event.message, True, data)


async def collect_dataset(assoc: QRChannel, max_size: int = DEFAULT_MAX_IDENTIFIER_SIZE) -> bytes:
    """The rest of the data set being received, as bytes (RemoteProtocolError past ``max_size``)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        fragment = await next_fragment(assoc)
        total += len(fragment.data)
        if total > max_size:
            raise RemoteProtocolError(f"data set larger than {max_size} bytes")
        chunks.append(bytes(fragment.data))
        if fragment.last:
            return b"".join(chunks)


async def next_fragment(assoc: QRChannel) -> DatasetFragment:
    """The next :class:`DatasetFragment` of the data set being received."""
    while True:
        event = await assoc.next_event()
        problem = _ended(event)
        if problem is not None:
            raise problem
        if isinstance(event, DatasetFragment):
            return event
        if isinstance(event, MessageReceived):  # pragma: no cover - the assembler forbids it
            raise RemoteProtocolError("a message arrived inside a data set")


async def skip_dataset(assoc: QRChannel) -> int:
    """Read and drop the fragments of the data set being received; return its size."""
    total = 0
    while True:
        fragment = await next_fragment(assoc)
        total += len(fragment.data)
        if fragment.last:
            return total


def decode_identifier(
    data: bytes, negotiated: NegotiatedAssociation | None, context_id: int
) -> Dataset:
    """The Identifier in ``data``, encoded in the transfer syntax of context ``context_id``.

    Raises :class:`~dicomnet.errors.RemoteProtocolError` when it does not decode.
    """
    context = None if negotiated is None else negotiated.accepted.get(context_id)
    ts = None if context is None else context.transfer_syntax
    try:
        ds = (
            read_dataset(data, ts)
            if ts
            else read_dataset(data, implicit_vr=True, little_endian=True)
        )
        for _ in ds.values():  # decode now: a bad value is the peer's fault, raised here
            pass
    except DicomNetError as exc:
        raise RemoteProtocolError(f"undecodable identifier: {exc}") from None
    return ds


async def send_request(
    assoc: QRChannel, context_id: int, request: DimseMessage, identifier: Dataset
) -> None:
    """Send a C-FIND/C-MOVE/C-GET-RQ with its identifier in the context's transfer syntax."""
    negotiated = assoc.negotiated
    if negotiated is None or context_id not in negotiated.accepted:
        raise LocalProtocolError(f"presentation context {context_id} is not accepted")
    ts = negotiated.accepted[context_id].transfer_syntax
    data = encode_dataset(identifier, source_transfer_syntax=ts)
    await assoc.send(request, context_id=context_id, dataset=data)


async def send_cancel(assoc: QRChannel, context_id: int, cancel: DimseMessage | None) -> None:
    """Send the C-CANCEL-RQ an operation gave (PS3.7 §9.3.2.3); ``None`` sends nothing.

    A cancel refused locally because the final response is already in (queued, not yet read)
    has nothing left to cancel, so it is dropped.
    """
    if cancel is None:
        return
    try:
        await assoc.send(cancel, context_id=context_id)
    except LocalProtocolError:
        return


def accepted_context(assoc: QRChannel, sop_class: str) -> int:
    """The ID of an accepted context where we are SCU of ``sop_class`` (else LocalProtocolError)."""
    negotiated = assoc.negotiated
    context = None if negotiated is None else negotiated.context_for(sop_class)
    if context is None:
        raise LocalProtocolError(f"no accepted presentation context for {sop_class} (SCU role)")
    return context.context_id
