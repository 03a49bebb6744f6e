"""Archive.find / retrieve in process: every matching type at every level of the three models."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomnet.archive import ATTRIBUTES, Archive, ArchiveQueryError
from dicomnet.dataset import read_file
from dicomnet.errors import DicomNetError
from dicomnet.services.qr_scp import QRApplication, QRRequest
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.services.store import StoreRequest
from tests.archive.data import CASES, PR, PS, S11, S12, SR, UNIQUE, image_uid, write_files


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    folder = tmp_path_factory.mktemp("archive")
    write_files(folder)
    return Archive(folder, ae_title="ARCH")


def request(model: QueryModel, level: str, keys: dict[str, str], op: str = "find") -> QRRequest:
    sop_class = model.sop_class(op)
    assert sop_class is not None
    return QRRequest(
        operation=op,
        message_id=1,
        sop_class_uid=sop_class,
        identifier=build_identifier(keys, level=level),
    )


def test_is_a_qr_application(archive: Archive) -> None:
    assert isinstance(archive, QRApplication)
    assert len(archive.index) == 7


@pytest.mark.parametrize(
    ("name", "model", "level", "keys", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_find_matches(
    archive: Archive,
    name: str,
    model: QueryModel,
    level: str,
    keys: dict[str, str],
    expected: set[str],
) -> None:
    found = list(archive.find(request(model, level, keys)))
    values = [r.get_value(UNIQUE[level]) for r in found]
    assert len(values) == len(set(values)), "one response per entity"
    assert set(values) == expected


def test_only_requested_keys_are_returned(archive: Archive) -> None:
    keys = {"StudyInstanceUID": S11, "PatientName": "", "StudyDate": "", "FrameOfReferenceUID": ""}
    (found,) = archive.find(request(SR, "STUDY", keys))
    names = {found.vr_of(t) and t for t in found}
    assert names == {
        0x00080005,
        0x00080052,
        0x00080054,
        0x00100010,
        0x00080020,
        0x0020000D,
        0x00200052,
    }
    assert found.get_value("QueryRetrieveLevel") == "STUDY"
    assert found.get_value("RetrieveAETitle") == "ARCH"
    assert found.get_value("PatientName") == "Doe^Jane"
    assert found.get_value("FrameOfReferenceUID") is None  # not supported: returned empty
    assert found.get_value("SpecificCharacterSet") == "ISO_IR 100"


def test_derived_counts_and_modalities(archive: Archive) -> None:
    keys = {
        "PatientID": "PID1",
        "StudyInstanceUID": S11,
        "ModalitiesInStudy": "",
        "NumberOfStudyRelatedSeries": "",
        "NumberOfStudyRelatedInstances": "",
    }
    (found,) = archive.find(request(PR, "STUDY", keys))
    assert found.get_value("ModalitiesInStudy") == ["CT", "MR"]
    assert found.get_value("NumberOfStudyRelatedSeries") == "2"
    assert found.get_value("NumberOfStudyRelatedInstances") == "3"
    (patient,) = archive.find(
        request(PR, "PATIENT", {"PatientID": "PID1", "NumberOfPatientRelatedStudies": ""})
    )
    assert patient.get_value("NumberOfPatientRelatedStudies") == "2"


@pytest.mark.parametrize(
    ("model", "level", "keys"),
    [
        (PR, "STUDY", {"StudyInstanceUID": ""}),  # no PatientID above the level
        (PR, "SERIES", {"PatientID": "PID1", "StudyInstanceUID": "1.2*"}),  # not a single value
        (PR, "STUDY", {"PatientID": "PID*", "StudyInstanceUID": ""}),
        (SR, "SERIES", {"StudyInstanceUID": f"{S11}\\{S12}", "SeriesInstanceUID": ""}),
        (SR, "STUDY", {"StudyInstanceUID": "", "Modality": "CT"}),  # a key below the level
        (SR, "PATIENT", {"PatientID": ""}),  # no patient level in the study root
        (PS, "SERIES", {"PatientID": "PID1", "StudyInstanceUID": S11, "SeriesInstanceUID": ""}),
    ],
)
def test_hierarchical_checks(
    archive: Archive, model: QueryModel, level: str, keys: dict[str, str]
) -> None:
    with pytest.raises(ArchiveQueryError):
        list(archive.find(request(model, level, keys)))


def test_relational_lifts_the_unique_key_requirement(tmp_path: Path) -> None:
    write_files(tmp_path)
    relational = Archive(tmp_path, relational=True)
    found = list(
        relational.find(request(PR, "SERIES", {"SeriesInstanceUID": "", "Modality": "MR"}))
    )
    assert len(found) == 2


def test_retrieve_gives_the_files_of_the_entities(archive: Archive) -> None:
    paths = archive.retrieve(request(SR, "STUDY", {"StudyInstanceUID": S11}, "move"))
    assert sorted(read_file(p).dataset.get_value("SOPInstanceUID") for p in paths) == sorted(
        [image_uid(1, 1, 1, 1), image_uid(1, 1, 1, 2), image_uid(1, 1, 2, 1)]
    )
    paths = archive.retrieve(request(PR, "PATIENT", {"PatientID": "PID3"}, "get"))
    assert len(paths) == 2
    with pytest.raises(ArchiveQueryError):
        archive.retrieve(request(SR, "STUDY", {"StudyInstanceUID": ""}, "move"))
    with pytest.raises(ArchiveQueryError):
        archive.retrieve(
            request(SR, "STUDY", {"StudyInstanceUID": S11, "StudyDate": "2020"}, "move")
        )


def test_move_destinations(tmp_path: Path) -> None:
    archive = Archive(tmp_path, destinations={"DEST": ("127.0.0.1", 11112)})
    assert archive.resolve_move_destination("DEST ") == ("127.0.0.1", 11112)
    assert archive.resolve_move_destination("OTHER") is None


def test_storage_sink_indexes_what_it_writes(tmp_path: Path, archive: Archive) -> None:
    (tmp_path / "new").mkdir()
    target = Archive(tmp_path / "new", database=tmp_path / "index.sqlite")
    source = archive.retrieve(request(SR, "STUDY", {"StudyInstanceUID": S12}, "move"))[0]
    part10 = read_file(source)
    data = Path(source).read_bytes()[part10.dataset_offset :]
    sink = target.storage_sink()
    writer = sink.open(
        StoreRequest(
            sop_class_uid=part10.dataset.get_value("SOPClassUID"),
            sop_instance_uid=part10.dataset.get_value("SOPInstanceUID"),
            transfer_syntax_uid=part10.transfer_syntax.uid,
        )
    )
    writer.write(memoryview(data))
    result = writer.commit()
    assert result.status == 0x0000
    assert len(target.index) == 1
    (found,) = target.find(
        request(SR, "STUDY", {"StudyInstanceUID": "", "PatientName": "doe^JANE"})
    )
    assert found.get_value("StudyInstanceUID") == S12


def test_odd_identifiers_are_refused_or_answered_never_crash(archive: Archive) -> None:
    sequence = build_identifier(
        {"StudyInstanceUID": "", "ReferencedStudySequence[0].ReferencedSOPClassUID": ""},
        level="STUDY",
    )
    found = list(
        archive.find(
            QRRequest(
                operation="find",
                message_id=1,
                sop_class_uid=SR.sop_class("find"),
                identifier=sequence,
            )
        )
    )
    assert len(found) == 5  # a sequence key is not indexed: returned empty, not matched
    assert all(r.get_value("ReferencedStudySequence") in (None, []) for r in found)
    no_level = QRRequest(
        operation="find",
        message_id=1,
        sop_class_uid=SR.sop_class("find"),
        identifier=build_identifier({"PatientID": ""}),
    )
    with pytest.raises(ArchiveQueryError):
        list(archive.find(no_level))
    worklist = QRRequest(
        operation="find",
        message_id=1,
        sop_class_uid="1.2.840.10008.5.1.4.31",
        identifier=build_identifier({}, level="STUDY"),
    )
    with pytest.raises(ArchiveQueryError):
        list(archive.find(worklist))
    many = "\\".join(f"1.2.{n}" for n in range(5000))
    assert list(archive.find(request(SR, "STUDY", {"StudyInstanceUID": many}))) == []
    odd = {
        "StudyInstanceUID": "",
        "StudyDescription": "(*[a-z]+\\)?",
        "StudyDate": "2020-2019-x",
        "StudyTime": "-",
    }
    assert list(archive.find(request(SR, "STUDY", odd))) == []


_KEYWORDS = sorted(
    [*ATTRIBUTES, "ModalitiesInStudy", "NumberOfStudyRelatedInstances", "InstanceAvailability"]
)
_VALUES = st.text(alphabet='0123456789.-*?\\"^ abAB', max_size=20)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    model=st.sampled_from([PR, SR, PS]),
    level=st.sampled_from(["PATIENT", "STUDY", "SERIES", "IMAGE", "", "x"]),
    keys=st.dictionaries(st.sampled_from(_KEYWORDS), _VALUES, max_size=6),
    relational=st.booleans(),
    op=st.sampled_from(["find", "move"]),
)
def test_random_identifiers_give_matches_or_a_refusal(
    archive: Archive, model: QueryModel, level: str, keys: dict[str, str], relational: bool, op: str
) -> None:
    archive.relational = relational
    try:
        sop_class = model.sop_class(op)
        assert sop_class is not None
        try:
            identifier = build_identifier({"QueryRetrieveLevel": level, **keys})
        except DicomNetError:
            return  # not encodable (e.g. "?" in a US key): nothing to send
        req = QRRequest(operation=op, message_id=1, sop_class_uid=sop_class, identifier=identifier)
        try:
            result = list(archive.find(req)) if op == "find" else archive.retrieve(req)
        except ArchiveQueryError:
            return
        assert len(result) <= 7
    finally:
        archive.relational = False
