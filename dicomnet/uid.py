"""UIDs (PS3.5 §9): validation, generation, and the registry of PS3.6 Annex A.

The registry comes from the generated :mod:`dicomnet._uid_data` (see ``docs/dictionary.md``):
transfer syntaxes with their encoding (PS3.5 §10, Annex A), SOP classes with their Storage flag and
the file-name prefix DCMTK's storescp/movescu give received objects, and every other registered
UID by name. A UID is a plain ``str``.
"""

from __future__ import annotations

import re
import types
import uuid
from collections.abc import Mapping
from typing import Final

import attrs

from dicomnet import __version__, _uid_data
from dicomnet._attrs_repr import attrs_repr

__all__ = [
    "APPLICATION_CONTEXT_NAME",
    "COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET",
    "COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE",
    "DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN",
    "EXPLICIT_VR_BIG_ENDIAN",
    "EXPLICIT_VR_LITTLE_ENDIAN",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "IMPLICIT_VR_LITTLE_ENDIAN",
    "JPEG_2000",
    "JPEG_2000_LOSSLESS",
    "JPEG_BASELINE",
    "JPEG_EXTENDED",
    "JPEG_LOSSLESS_SV1",
    "JPEG_LS_LOSSLESS",
    "MODALITY_WORKLIST_FIND",
    "PATIENT_ROOT_QR_FIND",
    "PATIENT_ROOT_QR_GET",
    "PATIENT_ROOT_QR_MOVE",
    "PATIENT_STUDY_ONLY_QR_FIND",
    "PATIENT_STUDY_ONLY_QR_GET",
    "PATIENT_STUDY_ONLY_QR_MOVE",
    "RLE_LOSSLESS",
    "SOP_CLASSES",
    "STORAGE_COMMITMENT_PUSH_MODEL",
    "STORAGE_SOP_CLASSES",
    "STUDY_ROOT_QR_FIND",
    "STUDY_ROOT_QR_GET",
    "STUDY_ROOT_QR_MOVE",
    "TRANSFER_SYNTAXES",
    "UID_REGISTRY_EDITION",
    "UNKNOWN_STORAGE_PREFIX",
    "VERIFICATION_SOP_CLASS",
    "SOPClass",
    "TransferSyntax",
    "generate_uid",
    "is_valid_uid",
    "sop_class",
    "storage_prefix",
    "transfer_syntax",
    "uid_for_keyword",
    "uid_name",
]

#: dicomnet's Implementation Class UID (PS3.7 §D.3.3.2, PS3.10 §7.1): ``"2.25."`` followed by the
#: integer of ``uuid.uuid5(uuid.NAMESPACE_URL, "dicomnet:implementation-class-uid")`` (PS3.5 §B.2).
#: Used in A-ASSOCIATE user information and in the File Meta Information of files we write.
IMPLEMENTATION_CLASS_UID: Final = "2.25.31193363447454135139687757038078446288"
#: dicomnet's Implementation Version Name (SH, at most 16 characters): ``DICOMNET_`` + version.
IMPLEMENTATION_VERSION_NAME: Final = f"DICOMNET_{__version__}"[:16]

UID_REGISTRY_EDITION: str = _uid_data.EDITION
"""The edition of the standard the registry was generated from (e.g. ``"2024c"``)."""

UNKNOWN_STORAGE_PREFIX = "UNKNOWN"
"""File-name prefix for SOP classes without a DCMTK modality code (as DCMTK's storescp uses)."""

MAX_UID_LENGTH = 64
"""PS3.5 §9.1: a UID is at most 64 characters."""

_UID_RE = r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*"  # compiled (and cached) on first use


def is_valid_uid(value: str) -> bool:
    """Whether ``value`` is a valid UID (PS3.5 §9.1).

    At most 64 characters, only digits and ``.``; components are non-empty and have no leading
    zero unless the component is exactly ``0``. Padding (a trailing NUL or space) is not part of
    the UID, so a padded value is not valid: strip it first.
    """
    if not isinstance(value, str):
        return False
    if value in _uid_data.UIDS:  # registered, hence valid (tests check every one): no regex
        return True
    return len(value) <= MAX_UID_LENGTH and re.fullmatch(_UID_RE, value, re.ASCII) is not None


def generate_uid() -> str:
    """A new UID in the ``2.25`` arc from a random UUID (PS3.5 Annex B.2; ISO/IEC 9834-8)."""
    return f"2.25.{uuid.uuid4().int}"


def _strip_padding(value: str) -> str:
    return value.rstrip("\x00 ")


@attrs.frozen(repr=False)
class TransferSyntax:
    """A transfer syntax and how it encodes a data set (PS3.5 §10, Annex A).

    ``encapsulated`` means the Pixel Data is encapsulated (PS3.5 §A.4); ``deflated`` means the
    whole data set is deflated (PS3.5 §A.5). The command set is always Implicit VR Little Endian
    whatever the transfer syntax (PS3.7 §6.3.1).
    """

    __repr__ = attrs_repr

    uid: str
    name: str
    keyword: str
    implicit_vr: bool
    little_endian: bool
    deflated: bool
    encapsulated: bool
    retired: bool


@attrs.frozen(repr=False)
class SOPClass:
    """A SOP class or meta SOP class of the registry (PS3.6 Annex A).

    ``storage`` flags Storage SOP classes (PS3.4 Annex B); ``prefix`` is the file-name prefix
    DCMTK gives received instances of a storage class (``None`` where DCMTK has none).
    """

    __repr__ = attrs_repr

    uid: str
    name: str
    keyword: str
    storage: bool
    prefix: str | None
    retired: bool


def _build_transfer_syntaxes() -> dict[str, TransferSyntax]:
    result: dict[str, TransferSyntax] = {}
    for uid, (implicit, little, deflated, encaps) in _uid_data.TRANSFER_SYNTAX_ENCODINGS.items():
        name, _kind, keyword, retired = _uid_data.UIDS[uid]
        result[uid] = TransferSyntax(
            uid, name, keyword, implicit, little, deflated, encaps, retired
        )
    return result


def _build_sop_classes() -> dict[str, SOPClass]:
    result: dict[str, SOPClass] = {}
    for uid, (storage, prefix) in _uid_data.SOP_CLASS_STORAGE.items():
        name, _kind, keyword, retired = _uid_data.UIDS[uid]
        result[uid] = SOPClass(uid, name, keyword, storage, prefix, retired)
    return result


TRANSFER_SYNTAXES: Mapping[str, TransferSyntax] = types.MappingProxyType(_build_transfer_syntaxes())
"""Every registered transfer syntax by UID."""

SOP_CLASSES: Mapping[str, SOPClass] = types.MappingProxyType(_build_sop_classes())
"""Every registered SOP class and meta SOP class by UID."""

STORAGE_SOP_CLASSES: tuple[SOPClass, ...] = tuple(c for c in SOP_CLASSES.values() if c.storage)
"""The Storage SOP classes, in UID order."""

_KEYWORDS: dict[str, str] = {
    keyword: uid for uid, (_n, _t, keyword, _r) in _uid_data.UIDS.items() if keyword
}


def transfer_syntax(uid: str) -> TransferSyntax:
    """The transfer syntax ``uid`` (trailing NUL/space padding is ignored).

    A valid UID that is not registered is a private transfer syntax (PS3.5 §10 allows them but
    does not describe their encoding). dicomnet assumes the common case: explicit VR, little
    endian, not deflated, pixel data encapsulated; name and keyword are empty. An invalid UID,
    or one registered as something else (a SOP class...), raises ``ValueError``.
    """
    value = _strip_padding(uid)
    found = TRANSFER_SYNTAXES.get(value)
    if found is not None:
        return found
    if not is_valid_uid(value):
        raise ValueError(f"not a valid transfer syntax UID: {uid!r}")
    registered = _uid_data.UIDS.get(value)
    if registered is not None:
        raise ValueError(f"{value} is a registered {registered[1]}, not a transfer syntax")
    return TransferSyntax(value, "", "", False, True, False, True, False)


def sop_class(uid: str) -> SOPClass | None:
    """The registered SOP class ``uid`` (padding ignored), or ``None``."""
    return SOP_CLASSES.get(_strip_padding(uid))


def storage_prefix(sop_class_uid: str) -> str:
    """DCMTK's file-name prefix for instances of ``sop_class_uid`` (e.g. ``"CT"``).

    ``"UNKNOWN"`` for classes without one, as DCMTK's storescp names them.
    """
    found = SOP_CLASSES.get(_strip_padding(sop_class_uid))
    if found is None or found.prefix is None:
        return UNKNOWN_STORAGE_PREFIX
    return found.prefix


def uid_name(uid: str) -> str | None:
    """The registered name of ``uid`` (padding ignored), e.g. ``"Verification SOP Class"``."""
    row = _uid_data.UIDS.get(_strip_padding(uid))
    return None if row is None else row[0]


def uid_for_keyword(keyword: str) -> str | None:
    """The UID whose PS3.6 keyword is ``keyword`` (e.g. ``"CTImageStorage"``), or ``None``."""
    return _KEYWORDS.get(keyword)


def _registered(keyword: str) -> str:
    uid = _KEYWORDS.get(keyword)
    if uid is None:  # pragma: no cover - the generated registry is checked by tests
        raise RuntimeError(f"UID keyword {keyword!r} missing from the generated registry")
    return uid


IMPLICIT_VR_LITTLE_ENDIAN = TRANSFER_SYNTAXES["1.2.840.10008.1.2"]
"""Implicit VR Little Endian, the default transfer syntax (PS3.5 §A.1)."""
EXPLICIT_VR_LITTLE_ENDIAN = TRANSFER_SYNTAXES["1.2.840.10008.1.2.1"]
"""Explicit VR Little Endian (PS3.5 §A.2)."""
EXPLICIT_VR_BIG_ENDIAN = TRANSFER_SYNTAXES["1.2.840.10008.1.2.2"]
"""Explicit VR Big Endian, retired (PS3.5 §A.3)."""
DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = TRANSFER_SYNTAXES["1.2.840.10008.1.2.1.99"]
"""Deflated Explicit VR Little Endian (PS3.5 §A.5)."""
JPEG_BASELINE = TRANSFER_SYNTAXES["1.2.840.10008.1.2.4.50"]
"""JPEG Baseline (Process 1) (PS3.5 §A.4.1)."""
JPEG_EXTENDED = TRANSFER_SYNTAXES["1.2.840.10008.1.2.4.51"]
"""JPEG Extended (Process 2 and 4) (PS3.5 §A.4.1)."""
JPEG_LOSSLESS_SV1 = TRANSFER_SYNTAXES["1.2.840.10008.1.2.4.70"]
"""JPEG Lossless, Non-Hierarchical, First-Order Prediction (PS3.5 §A.4.1)."""
JPEG_LS_LOSSLESS = TRANSFER_SYNTAXES["1.2.840.10008.1.2.4.80"]
"""JPEG-LS Lossless Image Compression (PS3.5 §A.4.3)."""
JPEG_2000_LOSSLESS = TRANSFER_SYNTAXES["1.2.840.10008.1.2.4.90"]
"""JPEG 2000 Image Compression (Lossless Only) (PS3.5 §A.4.4)."""
JPEG_2000 = TRANSFER_SYNTAXES["1.2.840.10008.1.2.4.91"]
"""JPEG 2000 Image Compression (PS3.5 §A.4.4)."""
RLE_LOSSLESS = TRANSFER_SYNTAXES["1.2.840.10008.1.2.5"]
"""RLE Lossless (PS3.5 §A.4.2)."""

APPLICATION_CONTEXT_NAME = _registered("DICOMApplicationContext")
"""The DICOM Application Context Name, 1.2.840.10008.3.1.1.1 (PS3.7 Annex A.2.1)."""
VERIFICATION_SOP_CLASS = _registered("Verification")
"""Verification SOP Class, 1.2.840.10008.1.1 (PS3.4 Annex A)."""
STORAGE_COMMITMENT_PUSH_MODEL = _registered("StorageCommitmentPushModel")
"""Storage Commitment Push Model SOP Class (PS3.4 Annex J)."""
PATIENT_ROOT_QR_FIND = _registered("PatientRootQueryRetrieveInformationModelFind")
"""Patient Root Query/Retrieve Information Model - FIND (PS3.4 Annex C.6.1)."""
PATIENT_ROOT_QR_MOVE = _registered("PatientRootQueryRetrieveInformationModelMove")
"""Patient Root Query/Retrieve Information Model - MOVE (PS3.4 Annex C.6.1)."""
PATIENT_ROOT_QR_GET = _registered("PatientRootQueryRetrieveInformationModelGet")
"""Patient Root Query/Retrieve Information Model - GET (PS3.4 Annex C.6.1)."""
STUDY_ROOT_QR_FIND = _registered("StudyRootQueryRetrieveInformationModelFind")
"""Study Root Query/Retrieve Information Model - FIND (PS3.4 Annex C.6.2)."""
STUDY_ROOT_QR_MOVE = _registered("StudyRootQueryRetrieveInformationModelMove")
"""Study Root Query/Retrieve Information Model - MOVE (PS3.4 Annex C.6.2)."""
STUDY_ROOT_QR_GET = _registered("StudyRootQueryRetrieveInformationModelGet")
"""Study Root Query/Retrieve Information Model - GET (PS3.4 Annex C.6.2)."""
PATIENT_STUDY_ONLY_QR_FIND = _registered("PatientStudyOnlyQueryRetrieveInformationModelFind")
"""Patient/Study Only Query/Retrieve Information Model - FIND, retired (PS3.4 Annex C.6.3)."""
PATIENT_STUDY_ONLY_QR_MOVE = _registered("PatientStudyOnlyQueryRetrieveInformationModelMove")
"""Patient/Study Only Query/Retrieve Information Model - MOVE, retired (PS3.4 Annex C.6.3)."""
PATIENT_STUDY_ONLY_QR_GET = _registered("PatientStudyOnlyQueryRetrieveInformationModelGet")
"""Patient/Study Only Query/Retrieve Information Model - GET, retired (PS3.4 Annex C.6.3)."""
COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE = _registered("CompositeInstanceRootRetrieveMove")
"""Composite Instance Root Retrieve - MOVE (PS3.4 Annex Y)."""
COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET = _registered("CompositeInstanceRootRetrieveGet")
"""Composite Instance Root Retrieve - GET (PS3.4 Annex Y)."""
MODALITY_WORKLIST_FIND = _registered("ModalityWorklistInformationModelFind")
"""Modality Worklist Information Model - FIND (PS3.4 Annex K.6.1)."""
