"""An embedded DICOM archive: a folder index and PS3.4 C.2.2.2 matching for the Q/R SCP."""

from __future__ import annotations

from dicomnet.archive.archive import MODELS, UNIQUE_KEYS, Archive, ArchiveQueryError, ArchiveSink
from dicomnet.archive.index import ATTRIBUTES, Index, Record
from dicomnet.archive.matching import (
    EMPTY_VALUE,
    is_universal,
    match_sequence,
    match_value,
    matches,
)

__all__ = [
    "ATTRIBUTES",
    "EMPTY_VALUE",
    "MODELS",
    "UNIQUE_KEYS",
    "Archive",
    "ArchiveQueryError",
    "ArchiveSink",
    "Index",
    "Record",
    "is_universal",
    "match_sequence",
    "match_value",
    "matches",
]
