"""Incremental PDU framing: a byte stream in, whole decoded PDUs out (PS3.8 §9.3.1, Annex D.1).

The 6-byte header is checked as soon as it arrives, before any of the body is awaited: an
unknown PDU-type or a PDU-length above the configured limit raises at once, so a peer claiming a
4 GiB PDU costs six bytes of memory. Nothing is ever allocated from a length field. Fed chunks
are queued as ``memoryview``s and consumed from the front; each byte is copied at most once
(only when its PDU is split across chunks), so the work stays O(n) in the bytes fed.
"""

from __future__ import annotations

import struct
from collections import deque
from typing import Final

from dicomnet.errors import PDUDecodeError
from dicomnet.pdu.pdata import PDATA_TF, PresentationDataValue, decode_pdata_tf
from dicomnet.pdu.pdus import PDU, check_header, decode_pdu

__all__ = ["DEFAULT_MAX_OTHER_LENGTH", "PDATA_HARD_LIMIT", "PDUFramer"]

#: Default limit on the PDU-length of every PDU other than P-DATA-TF (1 MiB). A-ASSOCIATE-RQ/AC
#: with hundreds of presentation contexts stay far below it.
DEFAULT_MAX_OTHER_LENGTH: Final = 1 << 20
#: Limit on a P-DATA-TF PDU-length when ``max_pdata_length`` is 0 ("unlimited", PS3.8 D.1):
#: 64 MiB, far above what any implementation sends, small enough to bound memory.
PDATA_HARD_LIMIT: Final = 1 << 26

_HEADER = struct.Struct(">BBL")
_PDU_AND_PDV_HEAD = struct.Struct(">BBLLBB")


class PDUFramer:
    """Cut a byte stream into PDUs and decode them.

    ``max_pdata_length`` bounds the PDU-length field of a received P-DATA-TF: the Maximum Length
    we announced (PS3.8 Annex D.1), or 0 for no limit, which is then :data:`PDATA_HARD_LIMIT`.
    ``max_other_length`` bounds every other PDU. Both are plain attributes and may be changed
    between calls. Each call of :meth:`next_pdu` raises :class:`PDUDecodeError` or returns.

    Fed ``bytes`` are kept as they are (other buffers are copied once, to be immutable). A PDU
    lying wholly inside one fed chunk is decoded from a ``memoryview`` of it without a copy (its
    PDV data keep that chunk alive); a PDU split across chunks is joined once.
    """

    __slots__ = (
        "_need",
        "_partial",
        "_partial_len",
        "_pending",
        "_pending_len",
        "_pos",
        "max_other_length",
        "max_pdata_length",
    )

    def __init__(
        self, max_pdata_length: int, max_other_length: int = DEFAULT_MAX_OTHER_LENGTH
    ) -> None:
        self.max_pdata_length = max_pdata_length
        self.max_other_length = max_other_length
        self._pending: deque[memoryview] = deque()  # fed and not yet consumed, in order
        self._pos = 0  # bytes of pending[0] already consumed
        self._pending_len = 0  # unconsumed bytes in pending
        self._partial: list[memoryview] = []  # pieces of a PDU split across chunks
        self._partial_len = 0
        self._need = 0  # size (6 + PDU-length) of the partial PDU once its header is checked

    @property
    def buffered(self) -> int:
        """Bytes fed and not yet returned as a PDU."""
        return self._pending_len + self._partial_len

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append received bytes (any chunking)."""
        if not data:
            return
        view = memoryview(data if type(data) is bytes else bytes(data))
        self._pending.append(view)
        self._pending_len += len(view)

    def _limit(self, pdu_type: int) -> int:
        if pdu_type != PDATA_TF:
            return self.max_other_length
        return self.max_pdata_length or PDATA_HARD_LIMIT

    def _check(self, data: bytes | memoryview, offset: int = 0) -> int:
        """The whole size (6 + PDU-length) of the PDU whose header is at ``offset``, checked."""
        pdu_type, _, length = check_header(data, offset)
        limit = self._limit(pdu_type)
        if length > limit:
            raise PDUDecodeError(
                f"PDU-length {length} of PDU type {pdu_type:#04x} exceeds the limit {limit}",
                offset=2,
                pdu_type=pdu_type,
                abort_reason=6,
            )
        return 6 + length

    def _take(self, count: int) -> memoryview:
        """Up to ``count`` bytes from the front of the pending chunks (``pending`` non-empty)."""
        front, pos = self._pending[0], self._pos
        end = pos + count
        if end >= len(front):
            self._pending.popleft()
            self._pos = 0
            piece = front[pos:]
        else:
            self._pos = end
            piece = front[pos:end]
        self._pending_len -= len(piece)
        return piece

    def take_pdata(self) -> list[PresentationDataValue]:
        """The PDVs of the common P-DATA-TFs at the front of the stream, one per PDU, in order.

        A common P-DATA-TF lies wholly in the front fed chunk, is within the limit and holds
        exactly one PDV filling it (PS3.8 §9.3.5). Those in a row are consumed and their PDVs
        returned (data ``memoryview`` slices, no copy), as :meth:`next_pdu` would decode them,
        without building :class:`~dicomnet.pdu.pdata.PDataTF` objects. It stops at anything
        else (another PDU, another P-DATA-TF layout, a PDU split across chunks, an invalid
        header), which is left for :meth:`next_pdu`; the list is then possibly empty.
        """
        pdvs: list[PresentationDataValue] = []
        pending = self._pending
        if self._partial_len or not pending:
            return pdvs
        append = pdvs.append
        unpack = _PDU_AND_PDV_HEAD.unpack_from
        limit = self.max_pdata_length or PDATA_HARD_LIMIT
        while pending:
            front, pos = pending[0], self._pos
            size = len(front)
            while pos + 12 <= size:
                pdu_type, _, length, pdv_length, context_id, control = unpack(front, pos)
                end = pos + 6 + length
                if (
                    pdu_type != PDATA_TF
                    or pdv_length != length - 4
                    or pdv_length < 2
                    or end > size
                    or length > limit
                ):
                    break
                append(
                    PresentationDataValue(
                        context_id,
                        control & 1 == 1,
                        control & 2 == 2,
                        front[pos + 12 : end],
                        control & 0xFC,
                    )
                )
                self._pending_len -= end - pos
                pos = end
            if pos == size:  # the chunk is used up: on to the next one
                pending.popleft()
                self._pos = 0
                continue
            self._pos = pos
            break
        return pdvs

    def next_pdu(self) -> PDU | None:
        """The next whole PDU, or ``None`` until more bytes are fed.

        Raises :class:`PDUDecodeError` for an unknown PDU-type (abort reason 1), a PDU-length
        over the limit (reason 6, raised from the header alone) or a malformed body.
        """
        pending = self._pending
        if not self._partial_len:
            if not pending:
                return None
            front, pos = pending[0], self._pos
            available = len(front) - pos
            size = 0
            if available >= 6:
                pdu_type, reserved, length = _HEADER.unpack_from(front, pos)
                pdata = pdu_type == PDATA_TF
                if pdata and length <= (self.max_pdata_length or PDATA_HARD_LIMIT):
                    size = 6 + length
                else:
                    size = self._check(front, pos)
                if size <= available:  # the usual case: a whole PDU inside one chunk
                    end = pos + size
                    if end == len(front):
                        pending.popleft()
                        self._pos = 0
                    else:
                        self._pos = end
                    self._pending_len -= size
                    view = front[pos:end] if size != len(front) else front
                    if pdata:  # header checked above: straight to the P-DATA-TF decoder
                        return decode_pdata_tf(view, reserved)
                    return decode_pdu(view)
            piece = self._take(available)
            self._partial, self._partial_len, self._need = [piece], len(piece), size
        while True:  # finishing a PDU split across chunks
            if not self._need and self._partial_len >= 6:
                header = b"".join(self._partial)
                self._partial = [memoryview(header)]
                self._need = self._check(header)
            want = (self._need or 6) - self._partial_len
            if want == 0:
                data = b"".join(self._partial)
                self._partial, self._partial_len, self._need = [], 0, 0
                return decode_pdu(data)
            if not pending:
                return None
            piece = self._take(want)
            self._partial.append(piece)
            self._partial_len += len(piece)
