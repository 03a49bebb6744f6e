"""Reading DICOM files (PS3.10 §7.1): preamble, "DICM", File Meta Information, data set.

The File Meta Information (group 0002) is always Explicit VR Little Endian (PS3.10 §7.1); the
data set that follows is encoded in the Transfer Syntax (0002,0010) it names. Tolerances, each
applied only to the file being read (never a module flag):

- a missing 128-byte preamble (the file starts with ``DICM``);
- a missing or wrong File Meta Information Group Length (0002,0000): the meta group ends where
  group 0002 ends, as DCMTK and pydicom read it;
- a File Meta group written in Implicit VR Little Endian (detected from its first element);
- no preamble and no ``DICM`` at all (a bare data set): the encoding is detected from the first
  element (:func:`detect_encoding`); a leading group 0002 is still read as meta;
- no Transfer Syntax UID in the meta: the data set's encoding is detected the same way.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.dataset.dataset import Dataset
from dicomnet.dataset.reader import DEFAULT_MAX_DEPTH, ReadOptions, read_dataset_at
from dicomnet.dataset.vr import ALL_VRS, LONG_LENGTH_VRS
from dicomnet.errors import DatasetDecodeError

if TYPE_CHECKING:
    from dicomnet.dataset.dictionary import DataDictionary
    from dicomnet.uid import TransferSyntax

__all__ = ["FileMetaInformation", "Part10File", "detect_encoding", "read_file"]

PREAMBLE_LENGTH = 128
_HEAD_SIZE = 1 << 16  # first read of a file when stopping early
MAGIC = b"DICM"
_VR_BYTES = frozenset(vr.encode("ascii") for vr in ALL_VRS)
_LONG_VR_BYTES = frozenset(vr.encode("ascii") for vr in LONG_LENGTH_VRS)


@attrs.frozen(repr=False, kw_only=True)
class FileMetaInformation:
    """The File Meta Information elements of PS3.10 Table 7.1-1 (``None`` when absent)."""

    __repr__ = attrs_repr

    group_length: int | None = None
    version: bytes | None = None
    media_storage_sop_class_uid: str | None = None
    media_storage_sop_instance_uid: str | None = None
    transfer_syntax_uid: str | None = None
    implementation_class_uid: str | None = None
    implementation_version_name: str | None = None
    source_application_entity_title: str | None = None
    sending_application_entity_title: str | None = None
    receiving_application_entity_title: str | None = None
    source_presentation_address: str | None = None
    sending_presentation_address: str | None = None
    receiving_presentation_address: str | None = None
    private_information_creator_uid: str | None = None
    private_information: bytes | None = None

    @classmethod
    def from_dataset(cls, meta: Dataset) -> FileMetaInformation:
        """Build the view from a group 0002 data set (values decoded leniently)."""

        def text(tag: int) -> str | None:
            value = meta.get_value(tag)
            if value is None:
                return None
            if isinstance(value, list):
                return "\\".join(str(v) for v in value)
            return str(value)

        def blob(tag: int) -> bytes | None:
            value = meta.get_value(tag)
            return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else None

        group_length = meta.get_value(0x00020000)
        return cls(
            group_length=group_length if isinstance(group_length, int) else None,
            version=blob(0x00020001),
            media_storage_sop_class_uid=text(0x00020002),
            media_storage_sop_instance_uid=text(0x00020003),
            transfer_syntax_uid=text(0x00020010),
            implementation_class_uid=text(0x00020012),
            implementation_version_name=text(0x00020013),
            source_application_entity_title=text(0x00020016),
            sending_application_entity_title=text(0x00020017),
            receiving_application_entity_title=text(0x00020018),
            source_presentation_address=text(0x00020026),
            sending_presentation_address=text(0x00020027),
            receiving_presentation_address=text(0x00020028),
            private_information_creator_uid=text(0x00020100),
            private_information=blob(0x00020102),
        )


@attrs.frozen(repr=False, kw_only=True, eq=False)
class Part10File:
    """A DICOM file as read.

    - ``preamble``: the 128 bytes before ``DICM`` (None when the file has no preamble).
    - ``meta``: the group 0002 data set (empty for a bare data set); ``file_meta`` its attrs view
      (built on each access).
    - ``dataset``: the data set; ``dataset_offset`` where it starts in the file.
    - ``transfer_syntax``: from (0002,0010), or the detected one for a bare data set (None when
      the detected encoding matches no transfer syntax, i.e. implicit VR big endian).
    - ``implicit_vr``/``little_endian``/``deflated``: the data set's encoding as read.
    - ``stop_offset``: where reading stopped (end of file, or ``stop_before``); for a deflated
      file it is an offset into the inflated data set.
    """

    __repr__ = attrs_repr

    preamble: bytes | None
    meta: Dataset
    dataset: Dataset
    dataset_offset: int
    transfer_syntax: TransferSyntax | None
    implicit_vr: bool
    little_endian: bool
    deflated: bool
    stop_offset: int

    @property
    def file_meta(self) -> FileMetaInformation:
        """The File Meta Information as an attrs view (PS3.10 Table 7.1-1)."""
        return FileMetaInformation.from_dataset(self.meta)


def detect_encoding(data: bytes | bytearray | memoryview, offset: int = 0) -> tuple[bool, bool]:
    """Guess ``(implicit_vr, little_endian)`` of a data set from its first element header.

    Byte order: the reading that gives the smaller group number wins (data sets start with low
    groups such as 0002 or 0008). VR: explicit when bytes 4-5 are a VR of PS3.5 Table 6.2-1.
    """
    if len(data) - offset < 8:
        return False, True
    group_le = struct.unpack_from("<H", data, offset)[0]
    group_be = struct.unpack_from(">H", data, offset)[0]
    little = group_le <= group_be
    explicit = bytes(data[offset + 4 : offset + 6]) in _VR_BYTES
    return not explicit, little


def _meta_end(buf: memoryview, pos: int, implicit: bool) -> int:
    """Offset of the first element after ``pos`` whose group is not 0002 (or the buffer end)."""
    end = len(buf)
    while pos + 8 <= end:
        group, _element = struct.unpack_from("<HH", buf, pos)
        if group != 0x0002:
            return pos
        if implicit:
            length = struct.unpack_from("<L", buf, pos + 4)[0]
            pos += 8
        elif bytes(buf[pos + 4 : pos + 6]) in _LONG_VR_BYTES:
            if pos + 12 > end:
                return end
            length = struct.unpack_from("<L", buf, pos + 8)[0]
            pos += 12
        else:
            length = struct.unpack_from("<H", buf, pos + 6)[0]
            pos += 8
        if length == 0xFFFFFFFF:
            return end  # not valid in the meta group; the reader reports it
        pos += length
    return min(pos, end)


def _load(source: str | os.PathLike[str] | bytes | bytearray | memoryview) -> memoryview:
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        return view if view.ndim == 1 and view.itemsize == 1 else view.cast("B")
    return memoryview(Path(source).read_bytes())


def _transfer_syntax(uid: str, offset: int) -> TransferSyntax:
    from dicomnet.uid import transfer_syntax

    try:
        return transfer_syntax(uid)
    except ValueError as exc:
        raise DatasetDecodeError(str(exc), offset=offset, tag=0x00020010) from None


def _ts_for(implicit: bool, little: bool) -> TransferSyntax | None:
    from dicomnet.uid import (
        EXPLICIT_VR_BIG_ENDIAN,
        EXPLICIT_VR_LITTLE_ENDIAN,
        IMPLICIT_VR_LITTLE_ENDIAN,
    )

    if implicit:
        return IMPLICIT_VR_LITTLE_ENDIAN if little else None
    return EXPLICIT_VR_LITTLE_ENDIAN if little else EXPLICIT_VR_BIG_ENDIAN


def read_file(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
    *,
    stop_before: int | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    replace_un: bool = False,
    lazy_sequences: bool = True,
    max_inflated_size: int | None = None,
    dictionary: DataDictionary | None = None,
) -> Part10File:
    """Read a DICOM file (a path or its bytes): preamble, meta and data set (PS3.10 §7.1).

    Options are as for :func:`~dicomnet.dataset.reader.read_dataset`. With ``stop_before`` and a
    path, only the head of the file is read when it holds everything before the stop (so a header
    read does not load the pixel data). Malformed input raises
    :class:`~dicomnet.errors.DatasetDecodeError`; ``OSError`` comes only from reading ``source``.
    """
    options = ReadOptions(
        max_depth=max_depth,
        stop_before=stop_before,
        replace_un=replace_un,
        lazy_sequences=lazy_sequences,
        dictionary=dictionary,
    )
    if stop_before is None or isinstance(source, bytes | bytearray | memoryview):
        return _read(_load(source), options, max_inflated_size)
    with open(source, "rb") as fh:
        head = fh.read(_HEAD_SIZE)
        if len(head) == _HEAD_SIZE:
            try:
                found = _read(memoryview(head), options, max_inflated_size)
            except DatasetDecodeError:
                found = None  # maybe only cut short by the head: read it all below
            if found is not None and not found.deflated and found.stop_offset < len(head):
                return found
            head += fh.read()
    return _read(memoryview(head), options, max_inflated_size)


def _read(buf: memoryview, options: ReadOptions, max_inflated_size: int | None) -> Part10File:
    dictionary = options.dictionary
    meta_options = ReadOptions(max_depth=0, dictionary=dictionary)
    preamble: bytes | None = None
    pos = 0
    if len(buf) >= PREAMBLE_LENGTH + 4 and buf[PREAMBLE_LENGTH : PREAMBLE_LENGTH + 4] == MAGIC:
        preamble = bytes(buf[:PREAMBLE_LENGTH])
        pos = PREAMBLE_LENGTH + 4
    elif buf[:4] == MAGIC:
        pos = 4

    meta = Dataset()
    if len(buf) - pos >= 8 and struct.unpack_from("<H", buf, pos)[0] == 0x0002:
        meta_implicit, _ = detect_encoding(buf, pos)
        meta, pos = read_dataset_at(
            buf,
            pos,
            implicit_vr=meta_implicit,
            little_endian=True,
            end=_meta_end(buf, pos, meta_implicit),
            options=meta_options,
        )
    ts_value = meta.get_value(0x00020010) if 0x00020010 in meta else None
    ts_uid = ts_value if isinstance(ts_value, str) else None

    ts: TransferSyntax | None
    if ts_uid:
        ts = _transfer_syntax(ts_uid, pos)
        implicit, little, deflated = ts.implicit_vr, ts.little_endian, ts.deflated
        if not deflated and little:
            # Tolerance: a data set whose first element contradicts the transfer syntax's VR
            # encoding (seen in the wild, e.g. implicit VR under JPEG Baseline) is read as found.
            found_implicit, found_little = detect_encoding(buf, pos)
            if found_little and found_implicit != implicit:
                implicit = found_implicit
    else:
        implicit, little = detect_encoding(buf, pos)
        deflated = False
        ts = _ts_for(implicit, little)

    dataset_offset = pos
    data: bytes | memoryview = buf
    if deflated:
        from dicomnet.dataset.deflate import inflate

        data = inflate(buf[pos:], max_size=max_inflated_size)
        pos = 0
    dataset, stop = read_dataset_at(
        data,
        pos,
        implicit_vr=implicit,
        little_endian=little,
        options=options,
    )
    return Part10File(
        preamble=preamble,
        meta=meta,
        dataset=dataset,
        dataset_offset=dataset_offset,
        transfer_syntax=ts,
        implicit_vr=implicit,
        little_endian=little,
        deflated=deflated,
        stop_offset=stop,
    )
