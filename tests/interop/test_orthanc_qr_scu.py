"""Our C-FIND and C-MOVE SCUs (``dicomnet.transport.qr``) against Orthanc (PS3.4 Annex C).

The set-up of ``test_orthanc_qr_dcmtk.py`` with our SCU in place of DCMTK's ``findscu`` and
``movescu``: C-FIND at patient, study, series and image level, each answer set checked against
Orthanc's REST ``/tools/find``; C-MOVE of a series and of a study to a third party (DCMTK
``storescp`` registered in Orthanc as a modality), every received file equal element by element
to the uploaded original; a move to an AE title Orthanc does not know (Orthanc answers 0xC000,
where PS3.4 C.4.2.1.5 has 0xA801).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pydicom
import pytest

from dicomnet.acse import ProposedContext, RequestorConfig
from dicomnet.dataset import Dataset, read_file
from dicomnet.dimse import StatusCategory
from dicomnet.services.find import FindResponse
from dicomnet.services.move import RetrieveResponse
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.transport import Timeouts, blocking, qr
from tests.orthanc import ORTHANC_AET, CorpusInstance, Modality, OrthancPeer
from tests.peers import dcmtk_env, free_port, require_program, running
from tests.services.test_storage_scu_support import elements

pytestmark = pytest.mark.peer

OUR_AET = "DICOMNET"
THIRD_PARTY_AET = "STORESCP"
SYNTAXES = ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")
TIMEOUTS = Timeouts(connect=10, acse=10, dimse=30)


class Archive:
    """The module's Orthanc, its corpus, and the port of the third-party storescp."""

    def __init__(self, orthanc: OrthancPeer, corpus: list[CorpusInstance], port: int) -> None:
        self.orthanc = orthanc
        self.corpus = corpus
        self.storescp_port = port


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    port = free_port()
    modalities = {"dicomnet": Modality(OUR_AET, 1)}
    with OrthancPeer(tmp_path_factory.mktemp("orthanc"), modalities=modalities) as orthanc:
        corpus = orthanc.upload_corpus(tmp_path_factory.mktemp("corpus"))
        # Registered while Orthanc runs, as an operator would add a destination.
        orthanc.add_modality("storescp", Modality(THIRD_PARTY_AET, port))
        yield Archive(orthanc, corpus, port)


def _config(sop_class: str | None) -> RequestorConfig:
    assert sop_class is not None
    return RequestorConfig(
        calling_ae_title=OUR_AET,
        called_ae_title=ORTHANC_AET,
        presentation_contexts=[ProposedContext(sop_class, SYNTAXES)],
    )


def _find(
    archive: Archive, model: QueryModel, level: str, keys: Mapping[str, str]
) -> tuple[list[Dataset], FindResponse]:
    """The matches (Pending identifiers, in order) and the final response."""
    identifier = build_identifier(keys, level=level)
    port = archive.orthanc.dicom_port
    with blocking.connect("127.0.0.1", port, _config(model.find_sop_class), timeouts=TIMEOUTS) as a:
        responses = list(qr.find(a, identifier, model=model))
    *pending, final = responses
    assert all(not r.is_final and r.status in (0xFF00, 0xFF01) for r in pending)
    assert final.is_final
    found = [r.identifier for r in pending if r.identifier is not None]
    assert len(found) == len(pending)
    return found, final


def _move(
    archive: Archive, level: str, keys: Mapping[str, str], destination: str
) -> list[RetrieveResponse]:
    model = QueryModel.STUDY_ROOT
    identifier = build_identifier(keys, level=level)
    port = archive.orthanc.dicom_port
    with blocking.connect("127.0.0.1", port, _config(model.move_sop_class), timeouts=TIMEOUTS) as a:
        return list(qr.move(a, identifier, destination, model=model))


def test_find_patient_root_patient_level_wildcard_and_charset(archive: Archive) -> None:
    keys = {
        "PatientName": "M*",
        "PatientID": "",
        "PatientBirthDate": "",
        "SpecificCharacterSet": "",
    }
    found, final = _find(archive, QueryModel.PATIENT_ROOT, "PATIENT", keys)
    assert final.status == 0x0000
    got = [(ds.get_value("PatientID"), ds.get_value("PatientName")) for ds in found]
    assert got == [("DNP2", "Müller^Jürgen")]
    assert found[0].get_value("PatientBirthDate") == "19800202"


def test_find_patient_root_all_patients(archive: Archive) -> None:
    found, final = _find(archive, QueryModel.PATIENT_ROOT, "PATIENT", {"PatientID": ""})
    assert final.status == 0x0000
    rest = {p["MainDicomTags"]["PatientID"] for p in archive.orthanc.find("Patient", {})}
    assert sorted(ds.get_value("PatientID") for ds in found) == sorted(rest) == ["DNP1", "DNP2"]


def test_find_study_root_study_level(archive: Archive) -> None:
    keys = {"PatientID": "DNP1", "StudyInstanceUID": "", "StudyDate": "", "AccessionNumber": ""}
    found, final = _find(archive, QueryModel.STUDY_ROOT, "STUDY", keys)
    assert final.status == 0x0000
    got = {
        (ds.get_value("StudyInstanceUID"), ds.get_value("StudyDate"),
         ds.get_value("AccessionNumber"))
        for ds in found
    }  # fmt: skip
    rest = {
        (s["MainDicomTags"]["StudyInstanceUID"], s["MainDicomTags"]["StudyDate"],
         s["MainDicomTags"]["AccessionNumber"])
        for s in archive.orthanc.find("Study", {"PatientID": "DNP1"})
    }  # fmt: skip
    assert got == rest
    assert {uid for uid, _, _ in got} == {
        i.study_uid for i in archive.corpus if i.patient_id == "DNP1"
    }


def test_find_study_root_series_level(archive: Archive) -> None:
    study = archive.corpus[2].study_uid  # the MR study: two series
    keys = {"StudyInstanceUID": study, "SeriesInstanceUID": "", "Modality": ""}
    found, final = _find(archive, QueryModel.STUDY_ROOT, "SERIES", keys)
    assert final.status == 0x0000
    got = {(ds.get_value("SeriesInstanceUID"), ds.get_value("Modality")) for ds in found}
    assert got == {(i.series_uid, "MR") for i in archive.corpus if i.study_uid == study}
    assert len(got) == 2


def test_find_study_root_image_level(archive: Archive) -> None:
    first = archive.corpus[0]
    keys = {
        "StudyInstanceUID": first.study_uid,
        "SeriesInstanceUID": first.series_uid,
        "SOPInstanceUID": "",
        "SOPClassUID": "",
    }
    found, final = _find(archive, QueryModel.STUDY_ROOT, "IMAGE", keys)
    assert final.status == 0x0000
    assert {(ds.get_value("SOPInstanceUID"), ds.get_value("SOPClassUID")) for ds in found} == {
        (i.sop_instance_uid, i.sop_class_uid)
        for i in archive.corpus
        if i.series_uid == first.series_uid
    }
    assert len(found) == 2


def test_find_cancel_after_first_match(archive: Archive) -> None:
    identifier = build_identifier({"PatientID": ""}, level="PATIENT")
    model = QueryModel.PATIENT_ROOT
    port = archive.orthanc.dicom_port
    with blocking.connect("127.0.0.1", port, _config(model.find_sop_class), timeouts=TIMEOUTS) as a:
        responses = list(qr.find(a, identifier, model=model, cancel_after=1))
    # Orthanc may have sent every match before it reads the C-CANCEL-RQ: a final status ends it.
    assert responses[-1].is_final
    assert responses[-1].status in (0x0000, 0xFE00)
    assert 1 <= len(responses) - 1 <= 2


def _received(directory: Path) -> dict[str, Path]:
    return {str(pydicom.dcmread(p).SOPInstanceUID): p for p in directory.iterdir()}


def _assert_intact(received: dict[str, Path], expected: list[CorpusInstance]) -> None:
    assert set(received) == {i.sop_instance_uid for i in expected}
    for item in expected:
        got = read_file(received[item.sop_instance_uid]).dataset
        assert elements(got) == elements(read_file(item.path).dataset)


def test_move_series_to_third_party_storescp(archive: Archive, tmp_path: Path) -> None:
    target = next(i for i in archive.corpus if i.series_uid.endswith(".2.2"))
    keys = {"StudyInstanceUID": target.study_uid, "SeriesInstanceUID": target.series_uid}
    storescp = [require_program("storescp"), "-aet", THIRD_PARTY_AET, "-od", str(tmp_path)]
    port = archive.storescp_port
    with running([*storescp, str(port)], port=port, env=dcmtk_env()):
        responses = _move(archive, "SERIES", keys, THIRD_PARTY_AET)
    final = responses[-1]
    assert final.status == 0x0000, final
    assert final.failed in (0, None)
    assert final.failed_uids == ()
    assert final.completed in (1, None)
    _assert_intact(_received(tmp_path), [target])


def test_move_study_to_third_party_storescp(archive: Archive, tmp_path: Path) -> None:
    study = archive.corpus[0].study_uid  # the CT study: one series, two images
    storescp = [require_program("storescp"), "-aet", THIRD_PARTY_AET, "-od", str(tmp_path)]
    port = archive.storescp_port
    with running([*storescp, str(port)], port=port, env=dcmtk_env()):
        responses = _move(archive, "STUDY", {"StudyInstanceUID": study}, THIRD_PARTY_AET)
    *pending, final = responses
    assert final.status == 0x0000, final
    assert all(r.status == 0xFF00 and not r.unexpected_dataset for r in pending)
    expected = [i for i in archive.corpus if i.study_uid == study]
    assert len(expected) == 2
    _assert_intact(_received(tmp_path), expected)


def test_move_to_unknown_destination(archive: Archive) -> None:
    # PS3.4 C.4.2.1.5: 0xA801 (Refused: Move Destination unknown); Orthanc 1.10 answers 0xC000
    # (Failed: Unable to process). Either way the SCU yields one final failure response.
    responses = _move(archive, "STUDY", {"StudyInstanceUID": archive.corpus[0].study_uid}, "NOBODY")
    [final] = responses
    assert final.status == 0xC000
    assert final.is_final
    assert final.category is StatusCategory.FAILURE
    assert "Unknown modality for AET: NOBODY" in archive.orthanc.log_text()
