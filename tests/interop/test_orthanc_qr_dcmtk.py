"""Orthanc as the Q/R SCP (PS3.4 Annex C), proven with DCMTK's SCUs: the set-up our own
``find``/``move`` SCU tests reuse (issue 5).

A corpus (``tests.orthanc.write_corpus``: 2 patients, 3 studies, 4 series, 5 instances) is
uploaded over REST; DCMTK ``findscu`` answers are checked against Orthanc's REST ``/tools/find``,
and DCMTK ``movescu`` moves a series to a third party (DCMTK ``storescp``), the files arriving
intact element by element.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest

from dicomnet.dataset import read_file
from tests.orthanc import ORTHANC_AET, CorpusInstance, Modality, OrthancPeer
from tests.peers import dcmtk_env, free_port, require_program, running
from tests.services.test_storage_scu_support import elements

pytestmark = pytest.mark.peer


class Archive:
    """The module's Orthanc, its corpus, and the port of the third-party storescp."""

    def __init__(self, orthanc: OrthancPeer, corpus: list[CorpusInstance], port: int) -> None:
        self.orthanc = orthanc
        self.corpus = corpus
        self.storescp_port = port


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    port = free_port()
    modalities = {
        "findscu": Modality("FINDSCU", 1),
        "movescu": Modality("MOVESCU", 1),
        "storescp": Modality("STORESCP", port),
    }
    with OrthancPeer(tmp_path_factory.mktemp("orthanc"), modalities=modalities) as orthanc:
        corpus = orthanc.upload_corpus(tmp_path_factory.mktemp("corpus"))
        yield Archive(orthanc, corpus, port)


def _findscu(archive: Archive, out: Path, model: str, *keys: str) -> list[pydicom.Dataset]:
    """Run findscu with ``keys``; its responses (``-X``), in order."""
    cmd = [require_program("findscu"), model, "-aet", "FINDSCU", "-aec", ORTHANC_AET, "-X"]
    cmd += ["-od", str(out)]
    for key in keys:
        cmd += ["-k", key]
    cmd += ["127.0.0.1", str(archive.orthanc.dicom_port)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=dcmtk_env())
    assert done.returncode == 0, done.stderr + done.stdout
    return [pydicom.dcmread(p) for p in sorted(out.glob("rsp*.dcm"))]


def test_rest_index_holds_the_corpus(archive: Archive) -> None:
    orthanc = archive.orthanc
    counts = {level: len(orthanc.find(level, {}, expand=False)) for level in ("Patient", "Study")}
    counts |= {
        level: len(orthanc.find(level, {}, expand=False)) for level in ("Series", "Instance")
    }
    assert counts == {"Patient": 2, "Study": 3, "Series": 4, "Instance": 5}
    [patient] = orthanc.find("Patient", {"PatientID": "DNP2"})
    assert patient["MainDicomTags"]["PatientName"] == "Müller^Jürgen"


def test_findscu_study_root_study_level(archive: Archive, tmp_path: Path) -> None:
    found = _findscu(
        archive,
        tmp_path,
        "-S",
        "QueryRetrieveLevel=STUDY",
        "PatientID=DNP1",
        "StudyInstanceUID",
        "StudyDate",
        "AccessionNumber",
    )
    got = {(str(r.StudyInstanceUID), r.StudyDate, r.AccessionNumber) for r in found}
    rest = archive.orthanc.find("Study", {"PatientID": "DNP1"})
    expected = {
        (s["MainDicomTags"]["StudyInstanceUID"], s["MainDicomTags"]["StudyDate"],
         s["MainDicomTags"]["AccessionNumber"])
        for s in rest
    }  # fmt: skip
    assert got == expected
    assert {uid for uid, _, _ in got} == {
        i.study_uid for i in archive.corpus if i.patient_id == "DNP1"
    }


def test_findscu_patient_root_wildcard_and_charset(archive: Archive, tmp_path: Path) -> None:
    found = _findscu(
        archive,
        tmp_path,
        "-P",
        "QueryRetrieveLevel=PATIENT",
        "PatientName=M*",
        "PatientID",
        "PatientBirthDate",
        "SpecificCharacterSet",
    )
    assert [(r.PatientID, str(r.PatientName), r.PatientBirthDate) for r in found] == [
        ("DNP2", "Müller^Jürgen", "19800202")
    ]


def test_findscu_image_level(archive: Archive, tmp_path: Path) -> None:
    series = archive.corpus[0].series_uid
    found = _findscu(
        archive,
        tmp_path,
        "-S",
        "QueryRetrieveLevel=IMAGE",
        f"StudyInstanceUID={archive.corpus[0].study_uid}",
        f"SeriesInstanceUID={series}",
        "SOPInstanceUID",
    )
    assert {str(r.SOPInstanceUID) for r in found} == {
        i.sop_instance_uid for i in archive.corpus if i.series_uid == series
    }


def test_movescu_series_to_third_party_storescp(archive: Archive, tmp_path: Path) -> None:
    target = next(i for i in archive.corpus if i.series_uid.endswith(".2.2"))
    storescp = [require_program("storescp"), "-aet", "STORESCP", "-od", str(tmp_path)]
    movescu = [require_program("movescu"), "-S", "-aet", "MOVESCU", "-aec", ORTHANC_AET]
    movescu += ["-aem", "STORESCP", "-k", "QueryRetrieveLevel=SERIES"]
    movescu += ["-k", f"StudyInstanceUID={target.study_uid}"]
    movescu += ["-k", f"SeriesInstanceUID={target.series_uid}"]
    movescu += ["127.0.0.1", str(archive.orthanc.dicom_port)]
    port = archive.storescp_port
    with running([*storescp, str(port)], port=port, env=dcmtk_env()):
        done = subprocess.run(movescu, capture_output=True, text=True, timeout=60, env=dcmtk_env())
    assert done.returncode == 0, done.stderr + done.stdout
    [received] = list(tmp_path.iterdir())
    assert str(pydicom.dcmread(received).SOPInstanceUID) == target.sop_instance_uid
    assert elements(read_file(received).dataset) == elements(read_file(target.path).dataset)


def test_move_to_unknown_destination_fails(archive: Archive) -> None:
    # PS3.4 C.4.2.1.5 has 0xA801 (Refused: Move Destination unknown) for this; Orthanc 1.10
    # answers 0xC000 (Failed: Unable to process) instead. Our move SCU must cope with either.
    cmd = [require_program("movescu"), "-d", "-S", "-aet", "MOVESCU", "-aec", ORTHANC_AET]
    cmd += ["-aem", "NOBODY", "-k", "QueryRetrieveLevel=STUDY"]
    cmd += ["-k", f"StudyInstanceUID={archive.corpus[0].study_uid}"]
    cmd += ["127.0.0.1", str(archive.orthanc.dicom_port)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=dcmtk_env())
    statuses = re.findall(r"DIMSE Status\s*:\s*(0x[0-9a-f]{4})", done.stdout + done.stderr)
    assert statuses == ["0xc000"], done.stderr + done.stdout
    assert "Unknown modality for AET: NOBODY" in archive.orthanc.log_text()
