"""The UID registry, transfer syntaxes, storage SOP classes, UID validation and generation.

pydicom's ``uid`` module and pynetdicom's ``sop_class`` are oracles; the storage TSV is the
project's own data file.
"""

from __future__ import annotations

import csv
import pathlib
import uuid
import warnings

import pytest

from dicomnet import _uid_data, uid
from dicomnet.uid import (
    SOP_CLASSES,
    STORAGE_SOP_CLASSES,
    TRANSFER_SYNTAXES,
    SOPClass,
    TransferSyntax,
    generate_uid,
    is_valid_uid,
    sop_class,
    storage_prefix,
    transfer_syntax,
    uid_for_keyword,
    uid_name,
)

pydicom_uid = pytest.importorskip("pydicom.uid")
pydicom_uid_dict = pytest.importorskip("pydicom._uid_dict")

ROOT = pathlib.Path(__file__).resolve().parent.parent
STORAGE_TSV = ROOT / "scripts" / "data" / "storage-sop-classes.tsv"
SUPPLEMENT_TSV = ROOT / "scripts" / "data" / "uid-supplement.tsv"
# UIDs newer than pydicom's registry, with their source named in the file. pynetdicom adds some of
# them to pydicom's UID_dictionary when it is imported, so the oracle below leaves them out and
# test_supplement_transfer_syntaxes checks them against the standard's encoding rules instead.
SUPPLEMENT_UIDS = {
    line.split("\t")[0]: line.split("\t")
    for line in SUPPLEMENT_TSV.read_text(encoding="utf-8").splitlines()[4:]
    if line and not line.startswith("#")
}
REGISTERED_TRANSFER_SYNTAXES = sorted(
    u
    for u, row in pydicom_uid_dict.UID_dictionary.items()
    if row[1] == "Transfer Syntax" and u not in SUPPLEMENT_UIDS
)
SUPPLEMENT_TRANSFER_SYNTAXES = sorted(
    u for u, row in SUPPLEMENT_UIDS.items() if row[2] == "Transfer Syntax"
)
SHARED_TSV = ROOT.parent / "shared" / "storage-sop-classes.tsv"


# -- UID validation and generation (PS3.5 §9.1, Annex B.2) --------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "1.2.840.10008.1.2",
        "0",
        "0.0",
        "1.0.2",
        "2.25.329800735698586629295641978511506172918",
        "1." + "2" * 62,  # exactly 64 characters
        "1.2.840.10008.5.1.4.1.1.2",
    ],
)
def test_valid_uids(value: str) -> None:
    assert is_valid_uid(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        ".",
        "1.",
        ".1",
        "1..2",
        "01.2",
        "1.02",
        "1.00",
        "1.2.a",
        "1.2.3\x00",
        "1.2.3 ",
        " 1.2.3",
        "1.2.3\n",
        "1,2,3",
        "1.-2",
        "1.+2",
        "1." + "2" * 63,  # 65 characters
        "\u0661.\u0662",  # Arabic-Indic digits are not [0-9]
        "1.2\uff13",  # a full-width digit
    ],
)
def test_invalid_uids(value: str) -> None:
    assert not is_valid_uid(value)


def test_non_str_is_not_a_uid() -> None:
    assert not is_valid_uid(b"1.2.3")  # type: ignore[arg-type]
    assert not is_valid_uid(None)  # type: ignore[arg-type]


def test_every_registered_uid_is_valid() -> None:
    """``is_valid_uid`` answers registered UIDs from the registry: check them on their own, with
    pydicom's validator, so the shortcut cannot hide an invalid table entry."""
    for value in _uid_data.UIDS:
        assert is_valid_uid(value), value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert pydicom_uid.UID(value).is_valid, value


def test_agrees_with_pydicom_validation() -> None:
    samples = ["1.2.3", "1.02.3", "1..3", "0.1", "1." + "9" * 62, "1." + "9" * 63, "1.2.3."]
    for value in samples:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns about the invalid ones
            expected = pydicom_uid.UID(value).is_valid
        assert is_valid_uid(value) == expected, value


def test_generate_uid_is_valid_and_unique() -> None:
    generated = [generate_uid() for _ in range(2000)]
    assert len(set(generated)) == len(generated)
    for value in generated:
        assert is_valid_uid(value), value
        assert value.startswith("2.25.")
        assert len(value) <= 44  # 2^128 has 39 digits
        as_uuid = uuid.UUID(int=int(value.removeprefix("2.25.")))
        assert as_uuid.version == 4  # PS3.5 Annex B.2: derived from a UUID


# -- transfer syntaxes (PS3.5 §10, Annex A) -----------------------------------------------------

# Where the standard (and DCMTK's dcxfer.cc) and pydicom disagree, the standard wins:
# - Papyrus 3 Implicit VR Little Endian is implicit VR (pydicom: explicit), not encapsulated;
# - the JPIP Referenced syntaxes carry a URL instead of pixel data (PS3.5 §8.4), so they are
#   not encapsulated, and the two "Deflate" ones deflate the data set (PS3.5 §A.6).
STANDARD_OVER_PYDICOM: dict[str, dict[str, bool]] = {
    "1.2.840.10008.1.20": {"implicit_vr": True, "encapsulated": False},
    "1.2.840.10008.1.2.4.94": {"encapsulated": False},
    "1.2.840.10008.1.2.4.95": {"encapsulated": False, "deflated": True},
    "1.2.840.10008.1.2.4.204": {"encapsulated": False},
    "1.2.840.10008.1.2.4.205": {"encapsulated": False, "deflated": True},
}


def test_every_registered_transfer_syntax_is_present() -> None:
    assert set(TRANSFER_SYNTAXES) == set(REGISTERED_TRANSFER_SYNTAXES) | set(
        SUPPLEMENT_TRANSFER_SYNTAXES
    )
    assert len(TRANSFER_SYNTAXES) >= 59


@pytest.mark.parametrize("ts_uid", REGISTERED_TRANSFER_SYNTAXES)
def test_transfer_syntax_properties_against_pydicom(ts_uid: str) -> None:
    ts = transfer_syntax(ts_uid)
    oracle = pydicom_uid.UID(ts_uid)
    expected = {
        "implicit_vr": oracle.is_implicit_VR,
        "little_endian": oracle.is_little_endian,
        "deflated": oracle.is_deflated,
        "encapsulated": oracle.is_encapsulated,
    }
    expected.update(STANDARD_OVER_PYDICOM.get(ts_uid, {}))
    actual = {key: getattr(ts, key) for key in expected}
    assert actual == expected
    assert ts.uid == ts_uid
    assert ts.name == oracle.name
    assert ts.keyword == oracle.keyword
    assert ts.retired == oracle.is_retired
    assert TRANSFER_SYNTAXES[ts_uid] is ts


def test_transfer_syntax_constants() -> None:
    assert (
        TransferSyntax(
            "1.2.840.10008.1.2",
            "Implicit VR Little Endian",
            "ImplicitVRLittleEndian",
            implicit_vr=True,
            little_endian=True,
            deflated=False,
            encapsulated=False,
            retired=False,
        )
        == uid.IMPLICIT_VR_LITTLE_ENDIAN
    )
    explicit = uid.EXPLICIT_VR_LITTLE_ENDIAN
    assert (explicit.uid, explicit.implicit_vr, explicit.encapsulated) == (
        "1.2.840.10008.1.2.1",
        False,
        False,
    )
    big = uid.EXPLICIT_VR_BIG_ENDIAN
    assert (big.uid, big.little_endian, big.retired) == ("1.2.840.10008.1.2.2", False, True)
    deflated = uid.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN
    assert (deflated.uid, deflated.deflated) == ("1.2.840.10008.1.2.1.99", True)
    for ts in (uid.JPEG_BASELINE, uid.JPEG_2000, uid.JPEG_LS_LOSSLESS, uid.RLE_LOSSLESS):
        assert ts.encapsulated
        assert not ts.implicit_vr
    assert uid.JPEG_BASELINE.uid == "1.2.840.10008.1.2.4.50"
    assert uid.RLE_LOSSLESS.uid == "1.2.840.10008.1.2.5"


def test_unknown_valid_transfer_syntax_is_explicit_little_encapsulated() -> None:
    ts = transfer_syntax("1.2.826.0.1.3680043.9.9999.1")
    assert ts == TransferSyntax(
        "1.2.826.0.1.3680043.9.9999.1", "", "", False, True, False, True, False
    )
    assert ts.uid not in TRANSFER_SYNTAXES


@pytest.mark.parametrize("value", ["", "1..2", "abc", "1.2.840.10008.1.2.01"])
def test_invalid_transfer_syntax_uid(value: str) -> None:
    with pytest.raises(ValueError, match="not a valid transfer syntax UID"):
        transfer_syntax(value)


def test_registered_non_transfer_syntax_uid_is_rejected() -> None:
    with pytest.raises(ValueError, match="SOP Class"):
        transfer_syntax("1.2.840.10008.1.1")


def test_transfer_syntax_padding_is_ignored() -> None:
    assert transfer_syntax("1.2.840.10008.1.2\x00") is uid.IMPLICIT_VR_LITTLE_ENDIAN
    assert transfer_syntax("1.2.840.10008.1.2.1 ") is uid.EXPLICIT_VR_LITTLE_ENDIAN


# -- SOP classes and storage ---------------------------------------------------------------------


def _tsv_rows(path: pathlib.Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def test_committed_tsv_is_the_shared_one() -> None:
    if not SHARED_TSV.exists():
        pytest.skip(f"{SHARED_TSV} not present beside the repository")
    assert STORAGE_TSV.read_bytes() == SHARED_TSV.read_bytes()


def test_every_tsv_uid_is_a_storage_class_with_its_prefix() -> None:
    rows = _tsv_rows(STORAGE_TSV)
    assert len(rows) > 200
    for row in rows:
        found = SOP_CLASSES[row["uid"]]
        assert found.storage, row
        assert found.prefix == row["prefix"], row
        assert storage_prefix(row["uid"]) == row["prefix"]
        assert sop_class(row["uid"]) is found


def test_storage_classes_are_exactly_the_tsv() -> None:
    tsv = {row["uid"] for row in _tsv_rows(STORAGE_TSV)}
    assert {c.uid for c in STORAGE_SOP_CLASSES} == tsv
    assert all(isinstance(c, SOPClass) and c.storage for c in STORAGE_SOP_CLASSES)
    ordered = [tuple(int(p) for p in c.uid.split(".")) for c in STORAGE_SOP_CLASSES]
    assert ordered == sorted(ordered)


def test_pynetdicom_storage_classes_are_flagged() -> None:
    sop_class_module = pytest.importorskip("pynetdicom.sop_class")
    storage = sop_class_module._STORAGE_CLASSES
    assert len(storage) > 150
    for keyword, value in storage.items():
        assert SOP_CLASSES[value].storage, (keyword, value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1.2.840.10008.1.1", "Verification"),
        ("1.2.840.10008.1.20.1", "Storage Commitment Push Model"),
        ("1.2.840.10008.1.3.10", "Media Storage Directory Storage (media only)"),
        ("1.2.840.10008.5.1.4.1.2.2.2", "Study Root Q/R MOVE"),
    ],
)
def test_non_storage_classes(value: str, why: str) -> None:
    found = SOP_CLASSES[value]
    assert not found.storage, why
    assert found.prefix is None
    assert storage_prefix(value) == "UNKNOWN"


def test_storage_prefix_of_unknown_class() -> None:
    assert storage_prefix("1.2.3.4.5") == "UNKNOWN"
    assert storage_prefix("") == "UNKNOWN"
    assert storage_prefix("1.2.840.10008.5.1.4.1.1.2\x00") == "CT"
    assert sop_class("1.2.3.4.5") is None


def test_sop_classes_agree_with_pydicom() -> None:
    for value, (name, kind, _info, retired, keyword) in pydicom_uid_dict.UID_dictionary.items():
        if kind not in ("SOP Class", "Meta SOP Class"):
            assert value not in SOP_CLASSES
            continue
        found = SOP_CLASSES[value]
        assert (found.name, found.keyword, found.retired) == (name, keyword, retired == "Retired")


def test_well_known_uid_constants_against_pynetdicom() -> None:
    sc = pytest.importorskip("pynetdicom.sop_class")
    assert uid.VERIFICATION_SOP_CLASS == sc.Verification == "1.2.840.10008.1.1"
    assert uid.APPLICATION_CONTEXT_NAME == "1.2.840.10008.3.1.1.1"
    pairs = {
        uid.PATIENT_ROOT_QR_FIND: sc.PatientRootQueryRetrieveInformationModelFind,
        uid.PATIENT_ROOT_QR_MOVE: sc.PatientRootQueryRetrieveInformationModelMove,
        uid.PATIENT_ROOT_QR_GET: sc.PatientRootQueryRetrieveInformationModelGet,
        uid.STUDY_ROOT_QR_FIND: sc.StudyRootQueryRetrieveInformationModelFind,
        uid.STUDY_ROOT_QR_MOVE: sc.StudyRootQueryRetrieveInformationModelMove,
        uid.STUDY_ROOT_QR_GET: sc.StudyRootQueryRetrieveInformationModelGet,
        uid.PATIENT_STUDY_ONLY_QR_FIND: sc.PatientStudyOnlyQueryRetrieveInformationModelFind,
        uid.PATIENT_STUDY_ONLY_QR_MOVE: sc.PatientStudyOnlyQueryRetrieveInformationModelMove,
        uid.PATIENT_STUDY_ONLY_QR_GET: sc.PatientStudyOnlyQueryRetrieveInformationModelGet,
        uid.COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE: sc.CompositeInstanceRootRetrieveMove,
        uid.COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET: sc.CompositeInstanceRootRetrieveGet,
        uid.MODALITY_WORKLIST_FIND: sc.ModalityWorklistInformationFind,
        uid.STORAGE_COMMITMENT_PUSH_MODEL: sc.StorageCommitmentPushModel,
    }
    for ours, theirs in pairs.items():
        assert ours == theirs
        assert ours in SOP_CLASSES
    assert uid.STUDY_ROOT_QR_MOVE == "1.2.840.10008.5.1.4.1.2.2.2"


def test_uid_name_and_keyword() -> None:
    assert uid_name("1.2.840.10008.1.1") == "Verification SOP Class"
    assert uid_name("1.2.840.10008.1.2\x00") == "Implicit VR Little Endian"
    assert uid_name("1.2.840.10008.5.1.4.1.1.66.7") == "Label Map Segmentation Storage"
    assert uid_name("1.2.3.4") is None
    assert uid_for_keyword("CTImageStorage") == "1.2.840.10008.5.1.4.1.1.2"
    assert uid_for_keyword("DICOMApplicationContext") == "1.2.840.10008.3.1.1.1"
    assert uid_for_keyword("NoSuchThing") is None
    assert uid_for_keyword("") is None
    for value, (name, _kind, keyword, _retired) in _uid_data.UIDS.items():
        assert uid_name(value) == name
        if keyword:
            assert uid_for_keyword(keyword) == value


def test_registry_edition() -> None:
    version = pytest.importorskip("pydicom._version")
    assert version.__dicom_version__ == uid.UID_REGISTRY_EDITION


@pytest.mark.parametrize("ts_uid", SUPPLEMENT_TRANSFER_SYNTAXES)
def test_supplement_transfer_syntaxes(ts_uid: str) -> None:
    """JPEG XL (PS3.5 §A.4.11) and Deflated Image Frame Compression (§A.4.12) encapsulate frames
    in explicit VR little endian data sets; the data set itself is not deflated."""
    ts = transfer_syntax(ts_uid)
    assert ts.name == SUPPLEMENT_UIDS[ts_uid][1]
    assert ts.keyword == SUPPLEMENT_UIDS[ts_uid][3]
    assert (ts.implicit_vr, ts.little_endian, ts.deflated, ts.encapsulated) == (
        False,
        True,
        False,
        True,
    )
