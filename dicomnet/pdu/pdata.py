"""P-DATA-TF and its PDVs, hand-written over ``memoryview`` (PS3.8 §9.3.5, Annex E.2).

This is the hot path: one ``struct.unpack_from`` per PDV and ``memoryview`` slices of the PDU
bytes, no copy of the data. The construct declaration ``_layout.PDATA_BODY`` is its oracle: a
differential test checks that both agree on what they accept and produce.
"""

from __future__ import annotations

import struct
from typing import Final

import attrs

from dicomnet.errors import PDUDecodeError
from dicomnet.pdu.exceptions import PDUEncodeError

__all__ = [
    "PDATA_TF",
    "PDataTF",
    "PresentationDataValue",
    "decode_pdata_tf",
    "encode_pdata_parts",
]

#: PDU-type of P-DATA-TF (PS3.8 Table 9-22).
PDATA_TF: Final = 0x04

_HEADER = struct.Struct(">BBL")
_PDV_HEAD = struct.Struct(">LBB")
_PDU_AND_PDV_HEAD = struct.Struct(">BBLLBB")
_LENGTH = struct.Struct(">L")
_MAX_LENGTH: Final = 0xFFFFFFFF


@attrs.frozen(unsafe_hash=False)
class PresentationDataValue:
    """PDV item (PS3.8 §9.3.5.1) with its Message Control Header (PS3.8 Annex E.2).

    ``data`` is a ``memoryview`` slice of the received PDU (no copy) or any bytes-like value to
    send. ``reserved_bits`` are the six upper bits of the control header (zero on the wire;
    kept for fuzzing). Instances are not hashable (they may hold a memoryview).
    """

    context_id: int
    is_command: bool
    is_last: bool
    data: bytes | memoryview
    reserved_bits: int = 0

    @property
    def message_control_header(self) -> int:
        """The control byte: bit 0 command, bit 1 last fragment, plus ``reserved_bits``."""
        return (1 if self.is_command else 0) | (2 if self.is_last else 0) | self.reserved_bits


@attrs.frozen(unsafe_hash=False)
class PDataTF:
    """P-DATA-TF PDU, type 04H (PS3.8 §9.3.5, Table 9-22).

    ``reserved`` is the header's reserved byte; ``trailing`` holds bytes after the last PDV too
    short to be a PDV item header (fewer than 4), reported rather than rejected.
    """

    pdvs: tuple[PresentationDataValue, ...]
    reserved: int = attrs.field(default=0, kw_only=True)
    trailing: bytes = attrs.field(default=b"", kw_only=True)


def _nbytes(data: bytes | bytearray | memoryview) -> int:
    if isinstance(data, memoryview):
        return data.nbytes
    if isinstance(data, bytes | bytearray):
        return len(data)
    raise PDUEncodeError(f"PDV data must be bytes-like, not {type(data).__name__}")


def encode_pdata_parts(pdu: PDataTF) -> list[bytes | memoryview]:
    """The wire form of a P-DATA-TF as a list of buffers, for ``writelines``/``sendmsg``.

    The PDV data objects are passed through untouched (no copy); headers are small ``bytes``.
    Raises :class:`PDUEncodeError` for a field the wire cannot hold.
    """
    try:
        pdvs = pdu.pdvs
        trailing = pdu.trailing
        if len(pdvs) == 1 and not trailing:  # the usual case: one PDV filling the PDU
            pdv = pdvs[0]
            data = pdv.data
            n = len(data) if type(data) is bytes else _nbytes(data)
            control = (1 if pdv.is_command else 0) | (2 if pdv.is_last else 0) | pdv.reserved_bits
            return [
                _PDU_AND_PDV_HEAD.pack(
                    PDATA_TF, pdu.reserved, n + 6, n + 2, pdv.context_id, control
                ),
                data,
            ]
        total = sum(_nbytes(p.data) for p in pdvs) + 6 * len(pdvs) + _nbytes(trailing)
        if total > _MAX_LENGTH:
            raise PDUEncodeError(f"P-DATA-TF body of {total} bytes exceeds the 32-bit length")
        parts: list[bytes | memoryview] = []
        append = parts.append
        pack = _PDV_HEAD.pack
        for i, pdv in enumerate(pdvs):
            control = (1 if pdv.is_command else 0) | (2 if pdv.is_last else 0) | pdv.reserved_bits
            length = _nbytes(pdv.data) + 2
            if i == 0:
                append(
                    _PDU_AND_PDV_HEAD.pack(
                        PDATA_TF, pdu.reserved, total, length, pdv.context_id, control
                    )
                )
            else:
                append(pack(length, pdv.context_id, control))
            append(pdv.data)
        if not pdvs:
            append(_HEADER.pack(PDATA_TF, pdu.reserved, total))
        if trailing:
            append(bytes(trailing))
    except PDUEncodeError:
        raise
    except (struct.error, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise PDUEncodeError(f"cannot encode P-DATA-TF: {exc}") from None
    return parts


def decode_pdata_tf(pdu: memoryview, reserved: int) -> PDataTF:
    """Decode a P-DATA-TF from a memoryview of the whole PDU (header included, length checked).

    PDV data are slices of ``pdu``. A PDV item whose length is below 2 or runs past the PDU
    raises :class:`PDUDecodeError` (abort reason 6); fewer than 4 bytes left after the last PDV
    are returned as ``trailing``.
    """
    end = len(pdu)
    if end >= 12:  # the usual case: exactly one PDV filling the PDU
        length, context_id, control = _PDV_HEAD.unpack_from(pdu, 6)
        if length == end - 10 and length >= 2:
            pdv = PresentationDataValue(
                context_id, control & 1 == 1, control & 2 == 2, pdu[12:end], control & 0xFC
            )
            return PDataTF((pdv,), reserved=reserved)
    off = 6
    pdvs: list[PresentationDataValue] = []
    append = pdvs.append
    unpack = _PDV_HEAD.unpack_from
    while end - off >= 6:
        length, context_id, control = unpack(pdu, off)
        stop = off + 4 + length
        if length < 2 or stop > end:
            raise PDUDecodeError(
                f"PDV item at offset {off} has length {length} (bytes left: {end - off - 4})",
                offset=off,
                pdu_type=PDATA_TF,
                abort_reason=6,
            )
        append(
            PresentationDataValue(
                context_id,
                control & 1 == 1,
                control & 2 == 2,
                pdu[off + 6 : stop],
                control & 0xFC,
            )
        )
        off = stop
    if end - off >= 4:  # 4 or 5 bytes: a PDV header whose length cannot fit
        (length,) = _LENGTH.unpack_from(pdu, off)
        raise PDUDecodeError(
            f"PDV item at offset {off} has length {length} (bytes left: {end - off - 4})",
            offset=off,
            pdu_type=PDATA_TF,
            abort_reason=6,
        )
    return PDataTF(tuple(pdvs), reserved=reserved, trailing=bytes(pdu[off:]) if off < end else b"")
