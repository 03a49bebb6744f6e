"""Deflated Explicit VR Little Endian (PS3.5 §A.5): raw deflate of the encoded data set.

The data set (after the File Meta Information, which is never deflated) is compressed with the
deflate algorithm of RFC 1951 with no zlib header or checksum (``wbits=-15``). Inflating is
streamed through ``zlib.decompressobj`` with a cap on the output, so a deflate bomb raises
:class:`~dicomnet.errors.DatasetDecodeError` instead of exhausting memory. Tolerance: a stream
that starts with a zlib header (RFC 1950, written by some non-conformant encoders) is accepted.
"""

from __future__ import annotations

import zlib

from dicomnet.errors import DatasetDecodeError

__all__ = ["DEFAULT_MAX_INFLATED_SIZE", "deflate", "inflate"]

DEFAULT_MAX_INFLATED_SIZE = 1 << 30
"""Default cap on the inflated size of a deflated data set: 1 GiB."""

_CHUNK = 1 << 20


def deflate(data: bytes | bytearray | memoryview, level: int = 6) -> bytes:
    """Raw-deflate ``data`` (PS3.5 §A.5) at compression ``level`` 0..9."""
    if not 0 <= level <= 9:
        raise ValueError(f"deflate level must be 0..9, not {level}")
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _looks_like_zlib(data: bytes | bytearray | memoryview) -> bool:
    if len(data) < 2:
        return False
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf * 256 + flg) % 31 == 0


def inflate(data: bytes | bytearray | memoryview, max_size: int | None = None) -> bytes:
    """Inflate a raw-deflated data set, producing at most ``max_size`` bytes.

    Raises :class:`DatasetDecodeError` when the stream is corrupt or truncated, or when the output
    would exceed ``max_size`` (default :data:`DEFAULT_MAX_INFLATED_SIZE`); ``offset`` is then the
    number of compressed bytes consumed.
    """
    limit = DEFAULT_MAX_INFLATED_SIZE if max_size is None else max_size
    try:
        return _inflate(data, limit, -zlib.MAX_WBITS)
    except DatasetDecodeError:
        if _looks_like_zlib(data):
            return _inflate(data, limit, zlib.MAX_WBITS)
        raise


def _inflate(data: bytes | bytearray | memoryview, limit: int, wbits: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    view = memoryview(data)
    out: list[bytes] = []
    produced = 0
    pending = view
    try:
        while True:
            room = limit - produced
            # Ask for one byte more than allowed, so overflow is detected without storing it.
            chunk = decompressor.decompress(pending, min(_CHUNK, room + 1))
            produced += len(chunk)
            if produced > limit:
                raise DatasetDecodeError(
                    f"deflated data set inflates beyond {limit} bytes",
                    offset=len(view) - len(decompressor.unconsumed_tail),
                )
            out.append(chunk)
            if decompressor.eof:
                break
            pending = memoryview(decompressor.unconsumed_tail)
            if not pending and not chunk:
                raise DatasetDecodeError("deflated data set is truncated", offset=len(view))
    except zlib.error as exc:
        raise DatasetDecodeError(f"corrupt deflated data: {exc}", offset=None) from None
    return b"".join(out)
