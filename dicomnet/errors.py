"""The dicomnet exception hierarchy.

Every error that dicomnet raises on purpose derives from :class:`DicomNetError`, so callers can
catch one class. Errors say whose fault they are (h11's model): :class:`LocalProtocolError` means
the caller asked for something the standard forbids now; :class:`RemoteProtocolError` means the
peer misbehaved. DIMSE statuses are data, not exceptions.
"""

from __future__ import annotations

__all__ = [
    "AssociationAborted",
    "AssociationRejected",
    "DatasetDecodeError",
    "DatasetEncodeError",
    "DicomNetError",
    "DictionaryError",
    "LocalProtocolError",
    "PDUDecodeError",
    "ProtocolError",
    "RemoteProtocolError",
]


class DicomNetError(Exception):
    """Base class of every exception dicomnet raises on purpose."""


class DatasetDecodeError(DicomNetError, ValueError):
    """Encoded data violates PS3.5 or a configured limit.

    ``offset`` is the byte offset in the buffer being decoded (``None`` when unknown) and ``tag``
    the element being decoded when the error was found (``None`` when not inside an element).
    """

    def __init__(self, message: str, *, offset: int | None = None, tag: int | None = None) -> None:
        self.message = message
        self.offset = offset
        self.tag = tag
        where = []
        if tag is not None:
            where.append(f"tag ({tag >> 16:04X},{tag & 0xFFFF:04X})")
        if offset is not None:
            where.append(f"offset {offset}")
        super().__init__(f"{message} [{', '.join(where)}]" if where else message)


class DatasetEncodeError(DicomNetError, ValueError):
    """A value cannot be encoded with the requested VR, character set or transfer syntax."""


class DictionaryError(DicomNetError):
    """A data dictionary cannot be loaded or a keyword is unknown."""


class ProtocolError(DicomNetError):
    """Base of the upper-layer and DIMSE protocol errors (PS3.7, PS3.8)."""


class LocalProtocolError(ProtocolError):
    """The local user asked for something that PS3.7/PS3.8 forbids in the current state.

    Raised before anything changes: the connection's state is as it was before the call.
    """


class RemoteProtocolError(ProtocolError):
    """The peer sent something that violates PS3.7/PS3.8.

    ``abort_source`` and ``abort_reason`` are the A-ABORT values (PS3.8 §9.3.8) that answer it.
    """

    def __init__(self, message: str, *, abort_source: int = 2, abort_reason: int = 0) -> None:
        self.abort_source = abort_source
        self.abort_reason = abort_reason
        super().__init__(message)


class PDUDecodeError(RemoteProtocolError):
    """Bytes that do not form a valid PDU (PS3.8 §9.3); ``offset`` is relative to the PDU start."""

    def __init__(
        self,
        message: str,
        *,
        offset: int | None = None,
        pdu_type: int | None = None,
        abort_reason: int = 0,
    ) -> None:
        self.offset = offset
        self.pdu_type = pdu_type
        super().__init__(message, abort_source=2, abort_reason=abort_reason)


class AssociationRejected(DicomNetError):
    """The peer rejected our A-ASSOCIATE-RQ (PS3.8 §9.3.4): result, source and reason."""

    def __init__(self, result: int, source: int, reason: int) -> None:
        self.result = result
        self.source = source
        self.reason = reason
        super().__init__(
            f"association rejected (result {result}, source {source}, reason {reason})"
        )


class AssociationAborted(DicomNetError):
    """The association was aborted (A-ABORT or A-P-ABORT, PS3.8 §7.3, §7.4)."""

    def __init__(self, source: int, reason: int, message: str = "association aborted") -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{message} (source {source}, reason {reason})")
