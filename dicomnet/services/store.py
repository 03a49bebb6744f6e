"""Storage SCP sinks (PS3.4 Annex B; PS3.7 §9.1.1): where received C-STORE data sets go.

A C-STORE SCP calls ``sink.open(StoreRequest(...))`` when the C-STORE-RQ arrives,
``writer.write(fragment)`` for each data set fragment as it arrives, then ``writer.commit()`` on
the last one, whose :class:`StoreResult` gives the C-STORE-RSP status; ``writer.abort()`` when the
association dies first. Sinks take plain values and never see sockets.

This module holds the request/result values, the :class:`StorageSink`/:class:`StoreWriter`
protocols and the in-memory sinks. :class:`DirectorySink` (files in a directory, streamed and
renamed atomically) lives in :mod:`dicomnet.services.directory_sink` and is re-exported here,
loaded on first access. See ``docs/storage-scp.md``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet._lazy import lazy_exports
from dicomnet.dimse.messages import CStoreRQ, CStoreRSP
from dicomnet.dimse.status import SUCCESS
from dicomnet.services.store_check import (
    CANNOT_UNDERSTAND,
    DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
    OUT_OF_RESOURCES,
    DatasetHead,
)
from dicomnet.uid import transfer_syntax

if TYPE_CHECKING:
    from dicomnet.services.directory_sink import (
        SPARE_FILES,
        TEMP_PREFIX,
        WRITE_BATCH,
        DirectorySink,
        OutputDirectoryError,
    )

__all__ = [
    "CANNOT_UNDERSTAND",
    "DATA_SET_DOES_NOT_MATCH_SOP_CLASS",
    "OUT_OF_RESOURCES",
    "SPARE_FILES",
    "TEMP_PREFIX",
    "WRITE_BATCH",
    "CallbackSink",
    "DirectorySink",
    "MemorySink",
    "OutputDirectoryError",
    "StorageSink",
    "StoreRequest",
    "StoreResult",
    "StoreWriter",
]

logger = logging.getLogger("dicomnet.services.store")

#: Names re-exported from :mod:`dicomnet.services.directory_sink`, imported on first access
#: (PEP 562): that module imports this one, and a user of the protocols alone does not need
#: its file machinery (tempfile, mmap, threads, the encoders).
_DIRECTORY_SINK_NAMES: Final = dict.fromkeys(
    ("SPARE_FILES", "TEMP_PREFIX", "WRITE_BATCH", "DirectorySink", "OutputDirectoryError"),
    "dicomnet.services.directory_sink",
)


if not TYPE_CHECKING:  # type checkers see the imports above, never an Any-typed fallback
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _DIRECTORY_SINK_NAMES, __all__)


_LO_UNSAFE: Final = re.compile(r"[^\x20-\x5b\x5d-\x7e]")
_UID_CHARS: Final = re.compile(r"[0-9.]{1,64}")


def _echo_uid(uid: str) -> str | None:
    value = uid.rstrip("\x00 ")
    return value if _UID_CHARS.fullmatch(value) else None


@attrs.frozen(repr=False, kw_only=True)
class StoreRequest:
    """What a Storage SCP knows when a C-STORE-RQ arrives (PS3.7 §9.3.1.1, PS3.8 §7.1.1).

    ``transfer_syntax_uid`` is the one accepted for the presentation context the request came on;
    ``calling_ae_title`` (the peer's) becomes the Source Application Entity Title of the File Meta
    Information (PS3.10 §7.1); ``peer_address`` is ``(host, port)`` when known.
    """

    __repr__ = attrs_repr

    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    calling_ae_title: str = ""
    called_ae_title: str = ""
    message_id: int = 0
    priority: int = 0
    move_originator_ae_title: str | None = None
    move_originator_message_id: int | None = None
    peer_address: tuple[str, int] | None = None

    @classmethod
    def from_message(
        cls,
        message: CStoreRQ,
        transfer_syntax_uid: str,
        *,
        calling_ae_title: str = "",
        called_ae_title: str = "",
        peer_address: tuple[str, int] | None = None,
    ) -> StoreRequest:
        """The request for a received C-STORE-RQ on a context of ``transfer_syntax_uid``."""
        return cls(
            sop_class_uid=message.affected_sop_class_uid,
            sop_instance_uid=message.affected_sop_instance_uid,
            transfer_syntax_uid=transfer_syntax_uid,
            calling_ae_title=calling_ae_title,
            called_ae_title=called_ae_title,
            message_id=message.message_id,
            priority=int(message.priority),
            move_originator_ae_title=message.move_originator_application_entity_title,
            move_originator_message_id=message.move_originator_message_id,
            peer_address=peer_address,
        )

    def response(self, result: StoreResult) -> CStoreRSP:
        """The C-STORE-RSP answering this request with ``result`` (PS3.7 §9.3.1.2).

        The Affected SOP Class/Instance UIDs are echoed when they are encodable UIDs (they are
        optional in the response); the Error Comment is cut to an LO value (64 printable
        ASCII characters, no backslash).
        """
        comment = result.error_comment
        if comment:
            comment = _LO_UNSAFE.sub("?", comment)[:64].strip(" ")
        return CStoreRSP(
            message_id_being_responded_to=self.message_id,
            status=result.status,
            affected_sop_class_uid=_echo_uid(self.sop_class_uid),
            affected_sop_instance_uid=_echo_uid(self.sop_instance_uid),
            error_comment=comment or None,
        )


@attrs.frozen(repr=False)
class StoreResult:
    """The C-STORE-RSP status (PS3.4 Table B.2-1), its Error Comment, and the file written."""

    __repr__ = attrs_repr

    status: int
    error_comment: str | None = None
    path: Path | None = None


class StoreWriter(Protocol):
    """Receives one data set: ``write`` each fragment, then ``commit`` or ``abort`` once."""

    def write(self, data: memoryview) -> None:
        """Take the next fragment (the view is only valid during the call)."""

    def commit(self) -> StoreResult:
        """The data set is complete: store it and return the status to answer."""

    def abort(self) -> None:
        """The association died: drop everything received."""


class StorageSink(Protocol):
    """Where a Storage SCP puts received data sets."""

    def open(self, request: StoreRequest) -> StoreWriter:
        """Start receiving the data set of ``request``."""


@attrs.define(repr=False)
class _RefusedWriter:
    """A writer that swallows the data set and answers a fixed result (``--ignore``, refusals)."""

    __repr__ = attrs_repr

    result: StoreResult

    def write(self, data: memoryview) -> None:
        """Ignore the fragment."""

    def commit(self) -> StoreResult:
        """The fixed result."""
        return self.result

    def abort(self) -> None:
        """Nothing to drop."""


# -- Memory and callback sinks ---------------------------------------------------------------


@attrs.define(repr=False)
class _BufferWriter:
    __repr__ = attrs_repr

    request: StoreRequest
    done: Callable[[StoreRequest, bytes], StoreResult]
    chunks: list[bytes] = attrs.Factory(list)

    def write(self, data: memoryview) -> None:
        self.chunks.append(bytes(data))

    def commit(self) -> StoreResult:
        data = b"".join(self.chunks)
        self.chunks = []
        return self.done(self.request, data)

    def abort(self) -> None:
        self.chunks = []


class MemorySink:
    """Collects ``(request, data set bytes)`` in :attr:`received`; for tests and small scripts.

    With ``check_uids`` the UID check of PS3.4 §B.2.3 is applied (0xA900/0xC000; only checked
    data sets are kept). The data set bytes are as received (deflated ones stay deflated).
    """

    def __init__(self, *, check_uids: bool = False) -> None:
        self.received: list[tuple[StoreRequest, bytes]] = []
        self._check = check_uids

    def open(self, request: StoreRequest) -> StoreWriter:
        """A writer that buffers the data set in memory."""
        return _BufferWriter(request, self._done)

    def _done(self, request: StoreRequest, data: bytes) -> StoreResult:
        if self._check:
            try:
                ts = transfer_syntax(request.transfer_syntax_uid)
            except ValueError as exc:
                return StoreResult(CANNOT_UNDERSTAND, str(exc))
            head = DatasetHead(ts, limit=max(len(data), 1))
            head.feed(data)
            check = head.check(request.sop_class_uid, request.sop_instance_uid)
            if not check.ok:
                return StoreResult(check.status, check.error_comment)
        self.received.append((request, data))
        return StoreResult(SUCCESS)


class CallbackSink:
    """Adapter: buffers each data set and calls ``handler(request, data)`` on commit.

    The handler returns a status (``int``) or a :class:`StoreResult`; an exception it raises is
    logged and answered with 0xC000 (the peer should not see our bugs as a dead association).
    Data sets are held in memory: for large objects write a :class:`StorageSink` instead.
    """

    def __init__(self, handler: Callable[[StoreRequest, bytes], int | StoreResult]) -> None:
        self._handler = handler

    def open(self, request: StoreRequest) -> StoreWriter:
        """A writer that buffers the data set, then calls the handler."""
        return _BufferWriter(request, self._done)

    def _done(self, request: StoreRequest, data: bytes) -> StoreResult:
        try:
            answer = self._handler(request, data)
        except Exception as exc:
            logger.exception("storage handler failed for %s", request.sop_instance_uid[:64])
            return StoreResult(CANNOT_UNDERSTAND, f"handler failed: {type(exc).__name__}")
        return answer if isinstance(answer, StoreResult) else StoreResult(int(answer))
