"""Identifiers and models (PS3.4 C.4.1.1.3, C.6): build_identifier, parse_key, QueryModel."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.dataset import read_dataset, write_dataset
from dicomnet.errors import LocalProtocolError
from dicomnet.services.query import (
    IdentifierError,
    QueryModel,
    QueryRetrieveLevel,
    build_identifier,
    parse_key,
)
from dicomnet.uid import PATIENT_ROOT_QR_FIND, STUDY_ROOT_QR_GET, STUDY_ROOT_QR_MOVE


def test_keywords_tags_and_level() -> None:
    ds = build_identifier(
        {"PatientName": "DOE*", "0010,0020": None, "(0020,000D)": "", 0x00080060: "CT"},
        level="study",
    )
    assert ds.get_value("QueryRetrieveLevel") == "STUDY"
    assert ds.get_value("PatientName") == "DOE*"
    assert ds.get_value("PatientID") == ""
    assert ds.vr_of("StudyInstanceUID") == "UI"
    assert ds.get_value(0x00080060) == "CT"
    back = read_dataset(write_dataset(ds))
    assert [int(t) for t in back] == [0x00080052, 0x00080060, 0x00100010, 0x00100020, 0x0020000D]


def test_sequence_paths() -> None:
    ds = build_identifier(
        [
            ("ReferencedStudySequence[1].ReferencedSOPInstanceUID", "1.2.3"),
            ("ReferencedStudySequence[0].ReferencedSOPClassUID", ""),
            ("ProcedureCodeSequence", None),
        ]
    )
    items = ds.get_value("ReferencedStudySequence")
    assert len(items) == 2
    assert items[1].get_value("ReferencedSOPInstanceUID") == "1.2.3"
    assert items[0].get_value("ReferencedSOPClassUID") == ""
    assert ds.get_value("ProcedureCodeSequence") == []
    back = read_dataset(write_dataset(ds))
    assert (
        back.get_value("ReferencedStudySequence")[1].get_value("ReferencedSOPInstanceUID")
        == "1.2.3"
    )


def test_dash_k_strings_and_numbers() -> None:
    ds = build_identifier(["PatientID=X", "ModalitiesInStudy=CT\\MR", "Rows=512", "00280011="])
    assert ds.get_value("PatientID") == "X"
    assert ds.get_value("Rows") == 512
    assert ds.get_value("Columns") is None
    assert parse_key("StudyDate=20200101-") == ("StudyDate", "20200101-")
    assert parse_key("PatientName") == ("PatientName", "")


@pytest.mark.parametrize(
    "key",
    [
        "NoSuchKeyword",
        "0010,002",
        "PatientName[0]",
        "PatientID.PatientName",
        "A[b]",
        "=x",
        "ReferencedStudySequence[99999].ReferencedSOPInstanceUID",
        "Rows=abc",
    ],
)
def test_bad_keys(key: str) -> None:
    with pytest.raises(IdentifierError):
        build_identifier([key] if "=" in key else [(key, "v" if "[0]" in key else "")])


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_any_key_text_raises_only_identifier_error(text: str) -> None:
    with contextlib.suppress(IdentifierError):
        build_identifier([text])


def test_models() -> None:
    assert QueryModel.PATIENT_ROOT.sop_class("find") == PATIENT_ROOT_QR_FIND
    assert QueryModel.STUDY_ROOT.move_sop_class == STUDY_ROOT_QR_MOVE
    assert QueryModel.STUDY_ROOT.get_sop_class == STUDY_ROOT_QR_GET
    assert QueryRetrieveLevel.PATIENT not in QueryModel.STUDY_ROOT.levels
    assert QueryModel.PATIENT_STUDY_ONLY.levels == (
        QueryRetrieveLevel.PATIENT,
        QueryRetrieveLevel.STUDY,
    )
    with pytest.raises(LocalProtocolError):
        QueryModel.COMPOSITE_INSTANCE_ROOT.sop_class("find")
    with pytest.raises(LocalProtocolError):
        QueryModel.MODALITY_WORKLIST.sop_class("move")


def test_private_and_unknown_tags() -> None:
    ds = build_identifier(["0011,0010=CREATOR", "0009,1001=abc"])
    assert ds.vr_of(0x00110010) == "LO"
    assert ds.get_value(0x00090001 | 0x1000) == b"abc "
    back = read_dataset(write_dataset(ds))
    assert back.get_value(0x00110010) == "CREATOR"
