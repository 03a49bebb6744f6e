"""An embedded DICOM archive: a folder index and PS3.4 C.2.2.2 matching for the Q/R SCP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet._lazy import lazy_exports

if TYPE_CHECKING:
    from dicomnet.archive.archive import (
        MODELS,
        UNIQUE_KEYS,
        Archive,
        ArchiveQueryError,
        ArchiveSink,
    )
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

#: Where each public name lives; loaded on first access (PEP 562), so importing one submodule
#: does not import its siblings.
_EXPORTS: Final = {
    "MODELS": "dicomnet.archive.archive",
    "UNIQUE_KEYS": "dicomnet.archive.archive",
    "Archive": "dicomnet.archive.archive",
    "ArchiveQueryError": "dicomnet.archive.archive",
    "ArchiveSink": "dicomnet.archive.archive",
    "ATTRIBUTES": "dicomnet.archive.index",
    "Index": "dicomnet.archive.index",
    "Record": "dicomnet.archive.index",
    "EMPTY_VALUE": "dicomnet.archive.matching",
    "is_universal": "dicomnet.archive.matching",
    "match_sequence": "dicomnet.archive.matching",
    "match_value": "dicomnet.archive.matching",
    "matches": "dicomnet.archive.matching",
}


if not TYPE_CHECKING:  # type checkers see the imports above, never an Any-typed fallback
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)
