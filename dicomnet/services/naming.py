"""File names for received SOP instances: DCMTK's ``<prefix>.<SOPInstanceUID>``, made safe.

DCMTK's storescp and movescu name a received object after the modality prefix of its Affected SOP
Class UID (``storage-sop-classes.tsv``, :func:`dicomnet.uid.storage_prefix`; ``UNKNOWN`` for a
class without one) and its Affected SOP Instance UID, taken from the C-STORE-RQ as sent by the
peer (PS3.7 §9.3.1.1). DCMTK pastes the UID into the path unchecked. dicomnet is stricter: the UID
must look like a UID (PS3.5 §9.1: digits and dots, at most 64 characters, no empty component) before
it becomes part of a name, so a peer can never name a path (``/``, ``..``, an absolute path,
control characters, NUL) or an over-long component. Leading zeros in a component, which PS3.5
forbids but which are harmless in a file name, are tolerated so that such objects are not lost.
"""

from __future__ import annotations

import re
from typing import Final

from dicomnet.errors import DicomNetError
from dicomnet.uid import MAX_UID_LENGTH, storage_prefix

__all__ = [
    "UnsafeFileNameError",
    "check_file_name",
    "dcmtk_file_name",
    "is_safe_uid",
]

_UID_NAME_RE: Final = re.compile(r"[0-9]+(?:\.[0-9]+)*", re.ASCII)
_FILE_NAME_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*", re.ASCII)
MAX_FILE_NAME_LENGTH: Final = 255
"""The longest file name accepted (the usual NAME_MAX)."""


class UnsafeFileNameError(DicomNetError, ValueError):
    """A peer-supplied value cannot be used as (part of) a file name."""


def _strip_padding(value: str) -> str:
    return value.rstrip("\x00 ")


def is_safe_uid(value: str) -> bool:
    """Whether ``value`` (padding stripped by the caller) may become part of a file name.

    Digits and single dots only, starting and ending with a digit, 1 to 64 characters.
    """
    return len(value) <= MAX_UID_LENGTH and _UID_NAME_RE.fullmatch(value) is not None


def check_file_name(name: str) -> str:
    """Return ``name`` if it is a single, plain path component; raise otherwise.

    Letters, digits, ``.``, ``_``, ``+``, ``-``; starts with a letter or digit (so never ``.``,
    ``..`` or a hidden name); at most 255 characters; no separator of any platform.
    """
    if len(name) > MAX_FILE_NAME_LENGTH or _FILE_NAME_RE.fullmatch(name) is None:
        raise UnsafeFileNameError(f"unsafe file name {name!r}")
    return name


def dcmtk_file_name(sop_class_uid: str, sop_instance_uid: str) -> str:
    """DCMTK's name for a received instance: ``<prefix>.<SOPInstanceUID>`` (e.g. ``CT.1.2.3``).

    Trailing NUL/space padding of either UID is ignored. Raises :class:`UnsafeFileNameError` when
    the SOP Instance UID is not safe as a name (see :func:`is_safe_uid`).
    """
    instance = _strip_padding(sop_instance_uid)
    if not is_safe_uid(instance):
        raise UnsafeFileNameError(
            f"SOP Instance UID {sop_instance_uid[:80]!r} is not a valid UID, not used as a name"
        )
    return check_file_name(f"{storage_prefix(sop_class_uid)}.{instance}")
