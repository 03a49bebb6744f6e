"""PS3.5 data set codec: tags, VRs, elements, data sets, reading and writing, Part 10 files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet._lazy import lazy_exports

if TYPE_CHECKING:
    from dicomnet.dataset.dataset import Dataset, keyword_for, resolve_vr, tag_for
    from dicomnet.dataset.deflate import deflate, inflate
    from dicomnet.dataset.element import UNDEFINED_LENGTH, DataElement, RawElement
    from dicomnet.dataset.encaps import basic_offset_table, encapsulate, fragments, frames
    from dicomnet.dataset.part10 import FileMetaInformation, Part10File, detect_encoding, read_file
    from dicomnet.dataset.part10_writer import (
        build_file_meta,
        encode_file,
        encode_file_meta,
        write_file,
    )
    from dicomnet.dataset.reader import ReadOptions, read_dataset, read_dataset_at
    from dicomnet.dataset.tag import (
        ITEM,
        ITEM_DELIMITATION_ITEM,
        PIXEL_DATA,
        SEQUENCE_DELIMITATION_ITEM,
        Tag,
        format_tag,
        make_tag,
        parse_tag,
    )
    from dicomnet.dataset.values import PersonName, decode_value
    from dicomnet.dataset.vr import VR
    from dicomnet.dataset.writer import (
        GroupLength,
        LengthEncoding,
        Padding,
        WriteOptions,
        encode_dataset,
        encode_value,
        write_dataset,
        write_dataset_to,
    )

__all__ = [
    "ITEM",
    "ITEM_DELIMITATION_ITEM",
    "PIXEL_DATA",
    "SEQUENCE_DELIMITATION_ITEM",
    "UNDEFINED_LENGTH",
    "VR",
    "DataElement",
    "Dataset",
    "FileMetaInformation",
    "GroupLength",
    "LengthEncoding",
    "Padding",
    "Part10File",
    "PersonName",
    "RawElement",
    "ReadOptions",
    "Tag",
    "WriteOptions",
    "basic_offset_table",
    "build_file_meta",
    "decode_value",
    "deflate",
    "detect_encoding",
    "encapsulate",
    "encode_dataset",
    "encode_file",
    "encode_file_meta",
    "encode_value",
    "format_tag",
    "fragments",
    "frames",
    "inflate",
    "keyword_for",
    "make_tag",
    "parse_tag",
    "read_dataset",
    "read_dataset_at",
    "read_file",
    "resolve_vr",
    "tag_for",
    "write_dataset",
    "write_dataset_to",
    "write_file",
]

#: Where each public name lives; loaded on first access (PEP 562), so importing one submodule
#: does not import its siblings.
_EXPORTS: Final = {
    "Dataset": "dicomnet.dataset.dataset",
    "keyword_for": "dicomnet.dataset.dataset",
    "resolve_vr": "dicomnet.dataset.dataset",
    "tag_for": "dicomnet.dataset.dataset",
    "deflate": "dicomnet.dataset.deflate",
    "inflate": "dicomnet.dataset.deflate",
    "UNDEFINED_LENGTH": "dicomnet.dataset.element",
    "DataElement": "dicomnet.dataset.element",
    "RawElement": "dicomnet.dataset.element",
    "basic_offset_table": "dicomnet.dataset.encaps",
    "encapsulate": "dicomnet.dataset.encaps",
    "fragments": "dicomnet.dataset.encaps",
    "frames": "dicomnet.dataset.encaps",
    "FileMetaInformation": "dicomnet.dataset.part10",
    "Part10File": "dicomnet.dataset.part10",
    "detect_encoding": "dicomnet.dataset.part10",
    "read_file": "dicomnet.dataset.part10",
    "build_file_meta": "dicomnet.dataset.part10_writer",
    "encode_file": "dicomnet.dataset.part10_writer",
    "encode_file_meta": "dicomnet.dataset.part10_writer",
    "write_file": "dicomnet.dataset.part10_writer",
    "ReadOptions": "dicomnet.dataset.reader",
    "read_dataset": "dicomnet.dataset.reader",
    "read_dataset_at": "dicomnet.dataset.reader",
    "ITEM": "dicomnet.dataset.tag",
    "ITEM_DELIMITATION_ITEM": "dicomnet.dataset.tag",
    "PIXEL_DATA": "dicomnet.dataset.tag",
    "SEQUENCE_DELIMITATION_ITEM": "dicomnet.dataset.tag",
    "Tag": "dicomnet.dataset.tag",
    "format_tag": "dicomnet.dataset.tag",
    "make_tag": "dicomnet.dataset.tag",
    "parse_tag": "dicomnet.dataset.tag",
    "PersonName": "dicomnet.dataset.values",
    "decode_value": "dicomnet.dataset.values",
    "VR": "dicomnet.dataset.vr",
    "GroupLength": "dicomnet.dataset.writer",
    "LengthEncoding": "dicomnet.dataset.writer",
    "Padding": "dicomnet.dataset.writer",
    "WriteOptions": "dicomnet.dataset.writer",
    "encode_dataset": "dicomnet.dataset.writer",
    "encode_value": "dicomnet.dataset.writer",
    "write_dataset": "dicomnet.dataset.writer",
    "write_dataset_to": "dicomnet.dataset.writer",
}


if not TYPE_CHECKING:  # type checkers see the imports above, never an Any-typed fallback
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)
