"""The C-STORE UID check, from a bounded head of the received data set (PS3.4 §B.2.3).

A Storage SCP answers 0xA900 ("Data Set does not match SOP Class") when the SOP Class UID
(0008,0016) or SOP Instance UID (0008,0018) of the data set differs from the Affected SOP Class /
Instance UID of the C-STORE-RQ, and 0xC000 ("Cannot understand") when it cannot decode them. Both
elements sit near the start of any data set, so :class:`DatasetHead` keeps only the first bytes
(:data:`DEFAULT_HEAD_LIMIT`, 64 KiB) as the fragments stream by (a deflated data set, PS3.5 §A.5,
is inflated incrementally up to the same bound) and reads them with the codec, stopping after
(0008,0018). Nothing else of the data set is kept or parsed. The common case (plain elements of
defined length before the UIDs, and the UIDs matching) is settled by a ``struct`` scan of the
element headers; anything else, and every refusal, goes through the codec.
"""

from __future__ import annotations

import struct
import zlib
from typing import Final

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.dataset import Dataset, ReadOptions, read_dataset_at
from dicomnet.dimse.status import SUCCESS
from dicomnet.errors import DatasetDecodeError
from dicomnet.uid import TransferSyntax

__all__ = [
    "CANNOT_UNDERSTAND",
    "DATA_SET_DOES_NOT_MATCH_SOP_CLASS",
    "DEFAULT_HEAD_LIMIT",
    "OUT_OF_RESOURCES",
    "DatasetHead",
    "UIDCheck",
    "check_uids",
]

OUT_OF_RESOURCES: Final = 0xA700
"""C-STORE "Refused: Out of Resources" (PS3.4 Table B.2-1)."""
DATA_SET_DOES_NOT_MATCH_SOP_CLASS: Final = 0xA900
"""C-STORE "Error: Data Set does not match SOP Class" (PS3.4 Table B.2-1)."""
CANNOT_UNDERSTAND: Final = 0xC000
"""C-STORE "Error: Cannot understand" (PS3.4 Table B.2-1)."""

DEFAULT_HEAD_LIMIT: Final = 64 * 1024
"""Bytes of the (inflated) data set kept for the UID check: the UIDs must lie within them."""

_SOP_CLASS_UID: Final = 0x00080016
_SOP_INSTANCE_UID: Final = 0x00080018
_HEAD_OPTIONS: Final = ReadOptions(stop_before=_SOP_INSTANCE_UID + 1, max_depth=8)

_EXPLICIT_HEADER: Final = {True: struct.Struct("<HH2sH"), False: struct.Struct(">HH2sH")}
_IMPLICIT_HEADER: Final = {True: struct.Struct("<HHL"), False: struct.Struct(">HHL")}
_UL: Final = {True: struct.Struct("<L"), False: struct.Struct(">L")}
#: Explicit VRs the scan steps over (PS3.5 Table 7.1-1, 7.1-2); SQ and UN go to the codec.
_SHORT_VRS: Final = frozenset(
    (b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"PN",
     b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US")
)  # fmt: skip
_LONG_VRS: Final = frozenset(
    (b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SV", b"UC", b"UR", b"UT", b"UV")
)
_LANGUAGE_CODE_SEQUENCE: Final = 0x00080006


def _scan_uids(
    head: bytearray, implicit_vr: bool, little_endian: bool
) -> tuple[bytes, bytes] | None:
    """The raw SOP Class/Instance UID values, found by stepping over element headers.

    ``None`` whenever the codec might see it differently: a sequence, UN, an undefined length,
    an item tag, a header or value cut by the end of the head, a UID not encoded as UI.
    In implicit VR only group 0008 is stepped over (its only sequence, (0008,0006), excluded).
    """
    end = len(head)
    pos = 0
    found: dict[int, bytes] = {}
    if implicit_vr:
        unpack = _IMPLICIT_HEADER[little_endian].unpack_from
        while pos + 8 <= end:
            group, elem, length = unpack(head, pos)
            tag = (group << 16) | elem
            if group == 0xFFFE:
                return None
            if tag > _SOP_INSTANCE_UID:
                break
            if group != 0x0008 or tag == _LANGUAGE_CODE_SEQUENCE:
                return None
            value_end = pos + 8 + length
            if value_end > end:
                return None
            if tag in (_SOP_CLASS_UID, _SOP_INSTANCE_UID) and tag not in found:
                found[tag] = bytes(head[pos + 8 : value_end])
            pos = value_end
    else:
        unpack = _EXPLICIT_HEADER[little_endian].unpack_from
        unpack_ul = _UL[little_endian].unpack_from
        while pos + 8 <= end:
            group, elem, vr, length = unpack(head, pos)
            tag = (group << 16) | elem
            if group == 0xFFFE:
                return None
            if tag > _SOP_INSTANCE_UID:
                break
            if vr in _SHORT_VRS:
                value_pos = pos + 8
            elif vr in _LONG_VRS and pos + 12 <= end:
                length = unpack_ul(head, pos + 8)[0]
                value_pos = pos + 12
            else:
                return None
            value_end = value_pos + length
            if value_end > end:
                return None
            if tag in (_SOP_CLASS_UID, _SOP_INSTANCE_UID) and tag not in found:
                if vr != b"UI":
                    return None
                found[tag] = bytes(head[value_pos:value_end])
            pos = value_end
    if pos + 8 > end and pos != end:
        return None  # a cut header: the codec decides
    sop_class = found.get(_SOP_CLASS_UID)
    sop_instance = found.get(_SOP_INSTANCE_UID)
    if sop_class is None or sop_instance is None:
        return None
    return sop_class, sop_instance


@attrs.frozen(repr=False)
class UIDCheck:
    """Outcome of the UID check: a C-STORE status and, unless success, an Error Comment."""

    __repr__ = attrs_repr

    status: int
    error_comment: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the data set matches the request."""
        return self.status == SUCCESS


def _text(ds: Dataset, tag: int, strip_spaces: bool) -> str | None:
    """The UID as written (trailing NULs dropped), so space padding is seen as DCMTK sees it."""
    raw = ds.raw_element(tag)
    if raw is not None:
        value: object = str(raw.value_bytes, "latin-1")
    else:
        try:
            value = ds.get_value(tag)
        except (DatasetDecodeError, ValueError, UnicodeError):
            return None
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
    if not isinstance(value, str):
        return None
    value = value.rstrip("\x00")
    return value.rstrip(" ") if strip_spaces else value


def check_uids(
    ds: Dataset,
    sop_class_uid: str,
    sop_instance_uid: str,
    *,
    uid_padding_fix: bool = False,
) -> UIDCheck:
    """Compare the data set's SOP Class/Instance UIDs with the request's (PS3.4 §B.2.3).

    Trailing NUL padding is ignored; with ``uid_padding_fix`` (DCMTK ``-up``) trailing space
    padding too, on both sides. A missing or undecodable UID gives 0xC000, a different one 0xA900.
    """
    found_class = _text(ds, _SOP_CLASS_UID, uid_padding_fix)
    found_instance = _text(ds, _SOP_INSTANCE_UID, uid_padding_fix)
    if not found_class or not found_instance:
        return UIDCheck(CANNOT_UNDERSTAND, "SOP Class/Instance UID (0008,0016)/(0008,0018) missing")
    want_class = sop_class_uid.rstrip("\x00")
    want_instance = sop_instance_uid.rstrip("\x00")
    if uid_padding_fix:
        want_class, want_instance = want_class.rstrip(" "), want_instance.rstrip(" ")
    if found_class != want_class:
        return UIDCheck(
            DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
            f"SOP Class UID {found_class[:64]!r} does not match the request",
        )
    if found_instance != want_instance:
        return UIDCheck(
            DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
            f"SOP Instance UID {found_instance[:64]!r} does not match the request",
        )
    return UIDCheck(SUCCESS)


_MATCH: Final = UIDCheck(SUCCESS)


def _matches(
    scanned: tuple[bytes, bytes], sop_class_uid: str, sop_instance_uid: str, strip_spaces: bool
) -> bool:
    """Whether the scanned UIDs are the request's, compared as :func:`check_uids` does."""
    found_class = str(scanned[0], "latin-1").rstrip("\x00")
    found_instance = str(scanned[1], "latin-1").rstrip("\x00")
    want_class = sop_class_uid.rstrip("\x00")
    want_instance = sop_instance_uid.rstrip("\x00")
    if strip_spaces:
        found_class, found_instance = found_class.rstrip(" "), found_instance.rstrip(" ")
        want_class, want_instance = want_class.rstrip(" "), want_instance.rstrip(" ")
    return (
        bool(found_class and found_instance)
        and found_class == want_class
        and found_instance == want_instance
    )


class DatasetHead:
    """The first ``limit`` bytes of a data set arriving in fragments, inflated if deflated."""

    __slots__ = ("_broken", "_buffer", "_inflater", "_limit", "_truncated", "_ts")

    def __init__(self, ts: TransferSyntax, limit: int = DEFAULT_HEAD_LIMIT) -> None:
        self._ts = ts
        self._limit = limit
        self._buffer = bytearray()
        self._truncated = False
        self._broken: str | None = None
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS) if ts.deflated else None

    def feed(self, data: memoryview | bytes) -> None:
        """Take the next fragment (only what fits under the limit is kept)."""
        if self._truncated or self._broken is not None or not data:
            return
        room = self._limit - len(self._buffer)
        if self._inflater is None:
            if len(data) > room:
                self._truncated = True
            self._buffer += data[:room]
            return
        if self._inflater.eof:
            return
        try:
            out = self._inflater.decompress(data, room)
        except zlib.error as exc:
            if not self._buffer and self._looks_like_zlib(data):
                # Tolerated as in dicomnet.dataset.deflate: a zlib header before the stream.
                self._inflater = zlib.decompressobj(zlib.MAX_WBITS)
                self.feed(data)
                return
            self._broken = f"corrupt deflated data: {exc}"
            return
        self._buffer += out
        if self._inflater.unconsumed_tail or len(self._buffer) >= self._limit:
            self._truncated = True

    @staticmethod
    def _looks_like_zlib(data: memoryview | bytes) -> bool:
        return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0

    def check(
        self, sop_class_uid: str, sop_instance_uid: str, *, uid_padding_fix: bool = False
    ) -> UIDCheck:
        """The UID check of the head against the request (see :func:`check_uids`)."""
        if self._broken is not None:
            return UIDCheck(CANNOT_UNDERSTAND, self._broken)
        ts = self._ts
        scanned = _scan_uids(self._buffer, ts.implicit_vr, ts.little_endian)
        if scanned is not None and _matches(
            scanned, sop_class_uid, sop_instance_uid, uid_padding_fix
        ):
            return _MATCH
        end: int | None = None
        for _attempt in range(2):
            try:
                ds, _ = read_dataset_at(
                    self._buffer,
                    implicit_vr=ts.implicit_vr,
                    little_endian=ts.little_endian,
                    end=end,
                    options=_HEAD_OPTIONS,
                )
            except DatasetDecodeError as exc:
                # A head cut by the limit ends inside an element: read up to that element.
                if self._truncated and end is None and exc.offset:
                    end = exc.offset
                    continue
                return UIDCheck(CANNOT_UNDERSTAND, f"cannot decode the data set: {exc}"[:1024])
            break
        else:  # pragma: no cover - the loop breaks or returns
            raise AssertionError
        result = check_uids(ds, sop_class_uid, sop_instance_uid, uid_padding_fix=uid_padding_fix)
        if not result.ok and self._truncated and result.status == CANNOT_UNDERSTAND:
            return UIDCheck(
                CANNOT_UNDERSTAND,
                f"SOP Class/Instance UID not found in the first {self._limit} bytes",
            )
        return result
