"""A DIMSE message -> P-DATA-TF PDUs within the peer's maximum length (PS3.8 §9.3.5, Annex D.1).

The peer's Maximum Length (PS3.8 D.1) bounds the variable field of each P-DATA-TF: its PDV
items, each 4 bytes of item length, 1 of context ID, 1 of message control header, then the
fragment. One PDV per PDU therefore carries at most ``max_pdu_length - 6`` bytes. The command
set goes first, in PDUs of its own; the data set follows in PDUs of one PDV each, every fragment
full except the last. Fragments of a ``bytes``/``memoryview``/``mmap`` source are ``memoryview``
slices of it (no copy); a file object is read one fragment at a time and an iterable of chunks is
re-cut (a fragment is copied only where it straddles two chunks), so a 2 GB object never sits in
memory: at most two fragments are held at once.
"""

from __future__ import annotations

import functools
import mmap
from collections.abc import Iterable, Iterator
from typing import Final, Protocol

from dicomnet.dimse.commands import DIMSEEncodeError, encode_command
from dicomnet.dimse.messages import DimseMessage
from dicomnet.pdu.pdata import PDataTF, PresentationDataValue

__all__ = [
    "PDV_OVERHEAD",
    "UNLIMITED_PDU_BOUND",
    "DatasetSource",
    "Readable",
    "fragment_message",
    "max_fragment_size",
]

#: Bytes of a PDV item that are not the fragment: item length (4), context ID, control header.
PDV_OVERHEAD: Final = 6
#: The P-DATA-TF length used when the peer declares 0 (no limit, PS3.8 D.1): 1 MiB keeps the
#: 12 bytes of headers negligible while bounding what one PDU holds in memory.
UNLIMITED_PDU_BOUND: Final = 1024 * 1024


class Readable(Protocol):
    """A binary file-like object read in chunks (``read(n)`` returns at most ``n`` bytes,
    ``b""`` at the end)."""

    def read(self, size: int, /) -> bytes: ...


Buffer = bytes | bytearray | memoryview | mmap.mmap
#: What a message's data set may come from: one buffer, a file object, or chunks.
DatasetSource = Buffer | Readable | Iterable[bytes | bytearray | memoryview]


def max_fragment_size(max_pdu_length: int) -> int:
    """The largest fragment one PDV can carry in a P-DATA-TF of the peer's maximum length.

    ``max_pdu_length`` is the peer's Maximum Length sub-item value; 0 means no limit and uses
    :data:`UNLIMITED_PDU_BOUND`. Below 7 no fragment fits: :class:`DIMSEEncodeError`.
    """
    if max_pdu_length == 0:
        max_pdu_length = UNLIMITED_PDU_BOUND
    if not PDV_OVERHEAD < max_pdu_length <= 0xFFFFFFFF:
        raise DIMSEEncodeError(
            f"maximum PDU length {max_pdu_length} cannot carry a PDV "
            f"(needs {PDV_OVERHEAD + 1} to 4294967295, or 0)"
        )
    return max_pdu_length - PDV_OVERHEAD


def _as_bytes_view(chunk: object) -> memoryview:
    try:
        view = memoryview(chunk)  # type: ignore[arg-type]
    except TypeError:
        raise DIMSEEncodeError(
            f"data set chunks must be bytes-like, got {type(chunk).__name__}"
        ) from None
    if not view.contiguous:
        raise DIMSEEncodeError("data set chunks must be contiguous buffers")
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view


def _windows(source: DatasetSource, size: int) -> Iterator[memoryview]:
    """Cut ``source`` into non-empty windows of exactly ``size`` bytes, the last shorter."""
    if isinstance(source, bytes | bytearray | memoryview | mmap.mmap):
        view = _as_bytes_view(source)
        for start in range(0, len(view), size):
            yield view[start : start + size]
        return
    read = getattr(source, "read", None)
    chunks: Iterable[object]
    if callable(read):
        # One read of a fragment's size at a time; short or long reads are re-cut below.
        chunks = iter(functools.partial(read, size), b"")
    elif isinstance(source, Iterable):
        chunks = source
    else:
        raise DIMSEEncodeError(f"not a data set source: {type(source).__name__}")
    pending: list[memoryview] = []
    held = 0
    for chunk in chunks:
        view = _as_bytes_view(chunk)
        if held:
            take = size - held
            pending.append(view[:take])
            held += min(take, len(view))
            view = view[take:]
            if held < size:
                continue
            yield memoryview(b"".join(pending))
            pending, held = [], 0
        whole = len(view) - len(view) % size
        for start in range(0, whole, size):
            yield view[start : start + size]
        if whole < len(view):
            pending.append(view[whole:])
            held = len(view) - whole
    if held:
        yield pending[0] if len(pending) == 1 else memoryview(b"".join(pending))


def fragment_message(
    context_id: int,
    message: DimseMessage,
    dataset: DatasetSource | None = None,
    *,
    max_pdu_length: int,
) -> Iterator[PDataTF]:
    """The P-DATA-TF PDUs carrying ``message`` (and its data set) on ``context_id``.

    ``max_pdu_length`` is the Maximum Length the peer declared (0: no limit, see
    :data:`UNLIMITED_PDU_BOUND`); every PDU's variable field stays within it. ``dataset`` must
    be given exactly when ``message.has_dataset``, and must not be empty. Checks run and the
    first data set fragment is read before the first PDU is produced, so a bad call raises
    :class:`DIMSEEncodeError` before anything could have been sent; a source that fails later
    raises its own exception mid-message (abort the association then).
    """
    command = memoryview(encode_command(message))
    if not 0 <= context_id <= 255:
        raise DIMSEEncodeError(f"presentation context ID {context_id} is not 0-255")
    size = max_fragment_size(max_pdu_length)
    if message.has_dataset and dataset is None:
        raise DIMSEEncodeError(f"{message.message_name} says a data set follows; none given")
    if not message.has_dataset and dataset is not None:
        raise DIMSEEncodeError(f"{message.message_name} says no data set follows; one given")
    windows: Iterator[memoryview] | None = None
    first: memoryview | None = None
    if dataset is not None:
        windows = _windows(dataset, size)
        first = next(windows, None)
        if first is None:
            raise DIMSEEncodeError(f"the data set of the {message.message_name} is empty")
    return _pdus(context_id, command, size, first, windows)


def _pdus(
    context_id: int,
    command: memoryview,
    size: int,
    first: memoryview | None,
    windows: Iterator[memoryview] | None,
) -> Iterator[PDataTF]:
    pdv = PresentationDataValue
    pdu = PDataTF
    length = len(command)
    for start in range(0, length, size):
        yield pdu((pdv(context_id, True, start + size >= length, command[start : start + size]),))
    if first is None or windows is None:
        return
    held = first
    for window in windows:
        yield pdu((pdv(context_id, False, False, held),))
        held = window
    yield pdu((pdv(context_id, False, True, held),))
