"""PS3.5 data set codec: tags, VRs, elements, data sets, reading and writing, Part 10 files."""

from __future__ import annotations

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
