"""Writing DICOM files (PS3.10 §7.1): preamble, "DICM", File Meta Information, data set.

The File Meta Information (group 0002) is always Explicit VR Little Endian with explicit lengths and
a computed File Meta Information Group Length (0002,0000); the data set follows in the output
transfer syntax (see :mod:`dicomnet.dataset.writer`), deflated for Deflated Explicit VR Little
Endian (PS3.5 §A.5). The meta is built from the data set (SOP Class/Instance UID), or taken from a
given meta (a group 0002 :class:`Dataset` such as ``Part10File.meta``, or a
:class:`FileMetaInformation`) with missing elements filled in and the Transfer Syntax UID set to
the one written.

Everything is encoded in memory first, so an encoding error never leaves a partial file.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Final

from dicomnet.dataset.dataset import Dataset
from dicomnet.dataset.element import DataElement
from dicomnet.dataset.part10 import FileMetaInformation, Part10File
from dicomnet.dataset.writer import (
    DEFAULT_WRITE_OPTIONS,
    Buffer,
    GroupLength,
    WriteOptions,
    _Encoder,
    encode_dataset,
    resolve_transfer_syntax,
)
from dicomnet.errors import DatasetEncodeError
from dicomnet.uid import (
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    TransferSyntax,
)

__all__ = [
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "build_file_meta",
    "encode_file",
    "encode_file_meta",
    "write_file",
]


PREAMBLE_LENGTH: Final = 128
MAGIC: Final = b"DICM"

_META_FIELDS: Final = (
    ("version", 0x00020001, "OB"),
    ("media_storage_sop_class_uid", 0x00020002, "UI"),
    ("media_storage_sop_instance_uid", 0x00020003, "UI"),
    ("transfer_syntax_uid", 0x00020010, "UI"),
    ("implementation_class_uid", 0x00020012, "UI"),
    ("implementation_version_name", 0x00020013, "SH"),
    ("source_application_entity_title", 0x00020016, "AE"),
    ("sending_application_entity_title", 0x00020017, "AE"),
    ("receiving_application_entity_title", 0x00020018, "AE"),
    ("source_presentation_address", 0x00020026, "UR"),
    ("sending_presentation_address", 0x00020027, "UR"),
    ("receiving_presentation_address", 0x00020028, "UR"),
    ("private_information_creator_uid", 0x00020100, "UI"),
    ("private_information", 0x00020102, "OB"),
)
"""The File Meta Information elements of PS3.10 Table 7.1-1 with their VRs."""

_SOP_CLASS_UID: Final = 0x00080016
_SOP_INSTANCE_UID: Final = 0x00080018
_META_GROUP_END: Final = 0x00030000

_META_TEMPLATES: dict[tuple[str, str, str | None], tuple[bytes, bytes] | None] = {}
"""(SOP Class UID, transfer syntax UID, source AE title) -> the encoded meta around (0002,0003)."""
_META_TEMPLATES_MAX: Final = 256
_GROUP_LENGTH: Final = struct.Struct("<4s2sHI")
_INSTANCE_UID_HEADER: Final = struct.Struct("<4s2sH")
_META_HEAD: Final = bytes(PREAMBLE_LENGTH) + MAGIC
_META_START: Final = PREAMBLE_LENGTH + len(MAGIC) + _GROUP_LENGTH.size
_LONG_LENGTH_VRS: Final = frozenset(
    (b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV")
)


def _text_value(ds: Dataset, tag: int) -> str | None:
    value = ds.get_value(tag)
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else None


def build_file_meta(
    ds: Dataset | None,
    transfer_syntax: TransferSyntax | str,
    *,
    file_meta: Dataset | FileMetaInformation | None = None,
    source_ae_title: str | None = None,
    implementation_class_uid: str = IMPLEMENTATION_CLASS_UID,
    implementation_version_name: str = IMPLEMENTATION_VERSION_NAME,
) -> Dataset:
    """The File Meta Information of a file holding ``ds`` in ``transfer_syntax`` (PS3.10 §7.1).

    Starts from ``file_meta`` (or the group 0002 elements of ``ds``), keeps what it holds, fills
    what is missing: version 00\\01, Media Storage SOP Class/Instance UID from the data set's SOP
    Class/Instance UID (0008,0016)/(0008,0018), the implementation class UID and version name;
    sets Transfer Syntax UID to ``transfer_syntax`` and, when given, Source Application Entity
    Title. (0002,0000) is computed when the meta is encoded. Raises :class:`DatasetEncodeError`
    when the SOP Class or Instance UID is unknown.
    """
    ts_uid = transfer_syntax.uid if isinstance(transfer_syntax, TransferSyntax) else transfer_syntax
    meta = Dataset()
    if isinstance(file_meta, FileMetaInformation):
        for name, tag, vr in _META_FIELDS:
            value = getattr(file_meta, name)
            if value is not None:
                meta[tag] = DataElement(tag, vr, value)
    else:
        source = file_meta if file_meta is not None else ds
        if source is not None:
            for entry in source.entries():
                if entry.tag >= _META_GROUP_END:
                    break
                if entry.tag >> 16 == 0x0002 and entry.tag != 0x00020000:
                    meta[entry.tag] = entry

    def fill(tag: int, vr: str, value: Any) -> None:
        if tag not in meta or meta.get_value(tag) in (None, "", b""):
            meta[tag] = DataElement(tag, vr, value)

    fill(0x00020001, "OB", b"\x00\x01")
    for tag, source_tag, what in (
        (0x00020002, _SOP_CLASS_UID, "Media Storage SOP Class UID (0002,0002)"),
        (0x00020003, _SOP_INSTANCE_UID, "Media Storage SOP Instance UID (0002,0003)"),
    ):
        if _text_value(meta, tag) is None:
            value = _text_value(ds, source_tag) if ds is not None else None
            if value is None:
                raise DatasetEncodeError(
                    f"{what} is unknown: give file_meta or set it in the data set"
                )
            meta[tag] = DataElement(tag, "UI", value)
    if _text_value(meta, 0x00020010) != ts_uid:
        meta[0x00020010] = DataElement(0x00020010, "UI", ts_uid)
    if _text_value(meta, 0x00020012) is None:
        meta[0x00020012] = DataElement(0x00020012, "UI", implementation_class_uid)
        meta[0x00020013] = DataElement(0x00020013, "SH", implementation_version_name)
    if source_ae_title is not None:
        meta[0x00020016] = DataElement(0x00020016, "AE", source_ae_title)
    return meta


def _plain_uid(value: str) -> bool:
    """1 to 64 characters, digits and dots only: spliced into a cached meta template as is."""
    return 0 < len(value) <= 64 and not value.strip("0123456789.")


def _encode_meta(meta: Dataset, *, bit_preserving: bool, preamble: bytes | None) -> list[Buffer]:
    """Preamble, "DICM" and the meta group: explicit VR LE, (0002,0000) computed."""
    if preamble is None:
        preamble = bytes(PREAMBLE_LENGTH)
    if len(preamble) != PREAMBLE_LENGTH:
        raise DatasetEncodeError(f"a preamble is {PREAMBLE_LENGTH} bytes, not {len(preamble)}")
    encoder = _Encoder(WriteOptions(group_length=GroupLength.CREATE), EXPLICIT_VR_LITTLE_ENDIAN)
    encoder.bit_preserving = bit_preserving
    chunks, _ = encoder.dataset(meta, encoder.form, 0, 0, 0)
    return [bytes(preamble), MAGIC, *chunks]


def encode_file_meta(
    sop_class_uid: str,
    sop_instance_uid: str,
    transfer_syntax: TransferSyntax | str,
    *,
    source_ae_title: str | None = None,
    preamble: bytes | None = None,
) -> bytes:
    """Preamble, "DICM" and a new File Meta Information, for writing a data set's bytes after.

    For storing a received data set without decoding it (PS3.10 §7.1, PS3.4 Annex B). A Storage
    SCP calls this once per object: the encoding is cached per SOP class, transfer syntax and AE
    title, and only the SOP Instance UID and the group length are spliced in (same bytes).
    """
    if preamble is None and _plain_uid(sop_instance_uid):
        ts_uid = (
            transfer_syntax.uid if isinstance(transfer_syntax, TransferSyntax) else transfer_syntax
        )
        key = (sop_class_uid, ts_uid, source_ae_title)
        try:
            template = _META_TEMPLATES[key]
        except KeyError:
            template = _meta_template(sop_class_uid, ts_uid, source_ae_title)
            if len(_META_TEMPLATES) >= _META_TEMPLATES_MAX:
                _META_TEMPLATES.clear()
            _META_TEMPLATES[key] = template
        if template is not None:
            before, after = template
            value = sop_instance_uid.encode("ascii")
            if len(value) & 1:
                value += b"\x00"
            length = len(before) + _INSTANCE_UID_HEADER.size + len(value) + len(after)
            return b"".join(
                (
                    _META_HEAD,
                    _GROUP_LENGTH.pack(b"\x02\x00\x00\x00", b"UL", 4, length),
                    before,
                    _INSTANCE_UID_HEADER.pack(b"\x02\x00\x03\x00", b"UI", len(value)),
                    value,
                    after,
                )
            )
    return _encode_file_meta(
        sop_class_uid, sop_instance_uid, transfer_syntax, source_ae_title, preamble
    )


def _meta_template(
    sop_class_uid: str, ts_uid: str, source_ae_title: str | None
) -> tuple[bytes, bytes] | None:
    """The meta encoded around a placeholder (0002,0003), or ``None`` if it cannot be spliced."""
    try:
        encoded = _encode_file_meta(sop_class_uid, "1", ts_uid, source_ae_title, None)
    except DatasetEncodeError:
        return None
    offset = _META_START
    while offset + 8 <= len(encoded):
        tag, vr = encoded[offset : offset + 4], encoded[offset + 4 : offset + 6]
        if vr in _LONG_LENGTH_VRS:
            if offset + 12 > len(encoded):
                return None
            end = offset + 12 + int.from_bytes(encoded[offset + 8 : offset + 12], "little")
        else:
            end = offset + 8 + int.from_bytes(encoded[offset + 6 : offset + 8], "little")
        if tag == b"\x02\x00\x03\x00":
            if vr != b"UI" or encoded[offset + 6 : end] != b"\x02\x001\x00":
                return None
            before, after = encoded[_META_START:offset], encoded[end:]
            # The group length written must be what the splice computes.
            if (
                encoded[_META_START - 4 : _META_START]
                != (len(before) + 10 + len(after)).to_bytes(4, "little")
                or encoded[: _META_START - 4] != _META_HEAD + b"\x02\x00\x00\x00UL\x04\x00"
            ):
                return None
            return before, after
        offset = end
    return None


def _encode_file_meta(
    sop_class_uid: str,
    sop_instance_uid: str,
    transfer_syntax: TransferSyntax | str,
    source_ae_title: str | None,
    preamble: bytes | None,
) -> bytes:
    meta = Dataset()
    meta[0x00020002] = DataElement(0x00020002, "UI", sop_class_uid)
    meta[0x00020003] = DataElement(0x00020003, "UI", sop_instance_uid)
    built = build_file_meta(None, transfer_syntax, file_meta=meta, source_ae_title=source_ae_title)
    return b"".join(_encode_meta(built, bit_preserving=False, preamble=preamble))


def encode_file(
    source: Dataset | Part10File,
    options: WriteOptions = DEFAULT_WRITE_OPTIONS,
    *,
    file_meta: Dataset | FileMetaInformation | None = None,
    source_transfer_syntax: TransferSyntax | str | None = None,
    preamble: bytes | None = None,
    source_ae_title: str | None = None,
) -> list[Buffer]:
    """A whole Part 10 file as a list of buffers.

    ``source`` is a data set or a :class:`Part10File` as read (its meta, preamble and transfer
    syntax are then the defaults of ``file_meta``, ``preamble`` and ``source_transfer_syntax``).
    The output transfer syntax is ``options.transfer_syntax``, else the source's. With
    ``options.bit_preserving`` a file read with :func:`~dicomnet.dataset.part10.read_file` is
    written back byte for byte (as long as its elements are in ascending order and its
    (0002,0000) is right).
    """
    if isinstance(source, Part10File):
        ds = source.dataset
        if file_meta is None:
            file_meta = source.meta
        if preamble is None:
            preamble = source.preamble
        if source_transfer_syntax is None:
            source_transfer_syntax = source.transfer_syntax
    else:
        ds = source
    if source_transfer_syntax is None:
        given = file_meta if file_meta is not None else ds
        uid = (
            given.transfer_syntax_uid
            if isinstance(given, FileMetaInformation)
            else _text_value(given, 0x00020010)
        )
        source_transfer_syntax = uid
    ts = resolve_transfer_syntax(options, source_transfer_syntax, ds)
    meta = build_file_meta(ds, ts, file_meta=file_meta, source_ae_title=source_ae_title)
    head = _encode_meta(meta, bit_preserving=options.bit_preserving, preamble=preamble)
    body = encode_dataset(
        ds,
        options,
        source_transfer_syntax=ts,
        instance_length=sum(len(chunk) for chunk in head),
        skip_file_meta=True,
    )
    return head + body


def write_file(
    target: str | os.PathLike[str] | IO[bytes],
    source: Dataset | Part10File,
    options: WriteOptions = DEFAULT_WRITE_OPTIONS,
    *,
    file_meta: Dataset | FileMetaInformation | None = None,
    source_transfer_syntax: TransferSyntax | str | None = None,
    preamble: bytes | None = None,
    source_ae_title: str | None = None,
) -> int:
    """Write a Part 10 file to a path or a binary file object; return the number of bytes.

    See :func:`encode_file` for the arguments. The file is encoded completely before the first
    byte is written.
    """
    chunks = encode_file(
        source,
        options,
        file_meta=file_meta,
        source_transfer_syntax=source_transfer_syntax,
        preamble=preamble,
        source_ae_title=source_ae_title,
    )
    if isinstance(target, str | os.PathLike):
        with Path(target).open("wb") as fp:
            _write_all(fp, chunks)
    else:
        _write_all(target, chunks)
    return sum(len(chunk) for chunk in chunks)


def _write_all(fp: IO[bytes], chunks: Iterable[Buffer]) -> None:
    fp.writelines(chunks)
