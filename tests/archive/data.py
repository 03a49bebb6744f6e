"""Hand-made edge-case files for the archive tests (written by pydicom) and the query cases.

Three patients with mixed-case names, a PN with empty components, empty birth date, study
description and time, date ranges around 2020, CT and MR series (PS3.4 C.2.2.2 edge cases).
"""

from __future__ import annotations

from pathlib import Path

from pydicom.dataset import Dataset as PyDataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from dicomnet.services.query import QueryModel

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
ROOT = "1.2.826.0.1.3680043.2.1125.99"

PATIENTS = {
    1: ("PID1", "Doe^Jane", "19800101", "F"),
    2: ("PID2", "doe^john", "", "M"),
    3: ("PID3", "O'Brien^Mary^^Dr", "19991231", "O"),
}
# (patient, study): date, time, accession, description, referring physician
STUDIES = {
    (1, 1): ("20191231", "235959", "ACC1", "Head CT", "Smith^John"),
    (1, 2): ("20200101", "080000", "ACC2", "chest ct", ""),
    (2, 1): ("20200615", "1200", "ACC3", "", "Jones"),
    (3, 1): ("20201231", "100000.5", "ACC4", "Head MR", ""),
    (3, 2): ("20210101", "", "ACC5", "Abdomen", ""),
}
# (patient, study, series): modality, number of images
SERIES = {
    (1, 1, 1): ("CT", 2),
    (1, 1, 2): ("MR", 1),
    (1, 2, 1): ("CT", 1),
    (2, 1, 1): ("CT", 1),
    (3, 1, 1): ("MR", 1),
    (3, 2, 1): ("CT", 1),
}


def study_uid(p: int, s: int) -> str:
    return f"{ROOT}.{p}.{s}"


def series_uid(p: int, s: int, se: int) -> str:
    return f"{ROOT}.{p}.{s}.{se}"


def image_uid(p: int, s: int, se: int, im: int) -> str:
    return f"{ROOT}.{p}.{s}.{se}.{im}"


def write_files(folder: Path) -> list[Path]:
    """The edge-case files, in nested folders under ``folder``."""
    paths = []
    for (p, s, se), (modality, count) in SERIES.items():
        pid, name, birth, sex = PATIENTS[p]
        date, time, accession, description, physician = STUDIES[(p, s)]
        for im in range(1, count + 1):
            ds = PyDataset()
            ds.SpecificCharacterSet = "ISO_IR 100"
            ds.SOPClassUID = CT if modality == "CT" else MR
            ds.SOPInstanceUID = image_uid(p, s, se, im)
            ds.PatientName = name
            ds.PatientID = pid
            ds.PatientBirthDate = birth
            ds.PatientSex = sex
            ds.StudyInstanceUID = study_uid(p, s)
            ds.StudyDate = date
            ds.StudyTime = time
            ds.AccessionNumber = accession
            ds.StudyDescription = description
            ds.ReferringPhysicianName = physician
            ds.StudyID = f"S{s}"
            ds.SeriesInstanceUID = series_uid(p, s, se)
            ds.Modality = modality
            ds.SeriesNumber = se
            ds.InstanceNumber = im
            ds.Rows = ds.Columns = 4
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.BitsAllocated = ds.BitsStored = 16
            ds.HighBit = 15
            ds.PixelRepresentation = 0
            ds.PixelData = bytes(range(32))
            ds.file_meta = FileMetaDataset()
            ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            path = folder / pid / f"st{s}" / f"se{se}" / f"{im}.dcm"
            path.parent.mkdir(parents=True, exist_ok=True)
            ds.save_as(path, enforce_file_format=True)
            paths.append(path)
    return paths


S11, S12, S21, S31, S32 = (study_uid(*k) for k in STUDIES)
PR, SR, PS = QueryModel.PATIENT_ROOT, QueryModel.STUDY_ROOT, QueryModel.PATIENT_STUDY_ONLY
ALL_PATIENTS = {"PID1", "PID2", "PID3"}

#: (id, model, level, keys, expected unique key values at the level). Each matching type
#: (PS3.4 C.2.2.2) at each level of the three models.
CASES: list[tuple[str, QueryModel, str, dict[str, str], set[str]]] = [
    # patient level (patient root, patient/study only)
    ("pr-patient-universal", PR, "PATIENT", {"PatientID": ""}, ALL_PATIENTS),
    ("pr-patient-single", PR, "PATIENT", {"PatientID": "PID2"}, {"PID2"}),
    ("pr-patient-pn-case", PR, "PATIENT", {"PatientID": "", "PatientName": "DOE^JANE"}, {"PID1"}),
    (
        "pr-patient-pn-wild",
        PR,
        "PATIENT",
        {"PatientID": "", "PatientName": "doe*"},
        {"PID1", "PID2"},
    ),
    (
        "pr-patient-pn-trailing",
        PR,
        "PATIENT",
        {"PatientID": "", "PatientName": "Doe^Jane^"},
        {"PID1"},
    ),
    (
        "pr-patient-pn-components",
        PR,
        "PATIENT",
        {"PatientID": "", "PatientName": "O'Brien^Mary*"},
        {"PID3"},
    ),
    ("pr-patient-question", PR, "PATIENT", {"PatientID": "PI?1"}, {"PID1"}),
    ("pr-patient-all-stars", PR, "PATIENT", {"PatientID": "***"}, ALL_PATIENTS),
    (
        "pr-patient-date-upto",
        PR,
        "PATIENT",
        {"PatientID": "", "PatientBirthDate": "-19991231"},
        {"PID1", "PID3"},
    ),
    (
        "pr-patient-date-from",
        PR,
        "PATIENT",
        {"PatientID": "", "PatientBirthDate": "19850101-"},
        {"PID3"},
    ),
    (
        "pr-patient-date-single",
        PR,
        "PATIENT",
        {"PatientID": "", "PatientBirthDate": "19800101"},
        {"PID1"},
    ),
    ("pr-patient-date-empty", PR, "PATIENT", {"PatientID": "", "PatientBirthDate": '""'}, {"PID2"}),
    ("pr-patient-cs-case", PR, "PATIENT", {"PatientID": "", "PatientSex": "f"}, set()),
    ("pr-patient-cs", PR, "PATIENT", {"PatientID": "", "PatientSex": "F"}, {"PID1"}),
    # study level
    ("pr-study-universal", PR, "STUDY", {"PatientID": "PID1", "StudyInstanceUID": ""}, {S11, S12}),
    (
        "pr-study-from",
        PR,
        "STUDY",
        {"PatientID": "PID1", "StudyInstanceUID": "", "StudyDate": "20200101-"},
        {S12},
    ),
    (
        "pr-study-upto",
        PR,
        "STUDY",
        {"PatientID": "PID1", "StudyInstanceUID": "", "StudyDate": "-20200101"},
        {S11, S12},
    ),
    (
        "pr-study-uid-list",
        PR,
        "STUDY",
        {"PatientID": "PID1", "StudyInstanceUID": f"{S11}\\{S21}"},
        {S11},
    ),
    (
        "pr-study-wild-case",
        PR,
        "STUDY",
        {"PatientID": "PID1", "StudyInstanceUID": "", "StudyDescription": "*ct"},
        {S12},
    ),
    (
        "pr-study-modalities",
        PR,
        "STUDY",
        {"PatientID": "PID1", "StudyInstanceUID": "", "ModalitiesInStudy": "MR"},
        {S11},
    ),
    # series and image levels
    (
        "pr-series-single",
        PR,
        "SERIES",
        {"PatientID": "PID1", "StudyInstanceUID": S11, "SeriesInstanceUID": "", "Modality": "MR"},
        {series_uid(1, 1, 2)},
    ),
    (
        "pr-series-universal",
        PR,
        "SERIES",
        {"PatientID": "PID1", "StudyInstanceUID": S11, "SeriesInstanceUID": ""},
        {series_uid(1, 1, 1), series_uid(1, 1, 2)},
    ),
    (
        "pr-image-single",
        PR,
        "IMAGE",
        {
            "PatientID": "PID1",
            "StudyInstanceUID": S11,
            "SeriesInstanceUID": series_uid(1, 1, 1),
            "SOPInstanceUID": "",
            "InstanceNumber": "2",
        },
        {image_uid(1, 1, 1, 2)},
    ),
    (
        "pr-image-uid-list",
        PR,
        "IMAGE",
        {
            "PatientID": "PID1",
            "StudyInstanceUID": S11,
            "SeriesInstanceUID": series_uid(1, 1, 1),
            "SOPInstanceUID": f"{image_uid(1, 1, 1, 1)}\\{image_uid(1, 1, 1, 2)}\\{image_uid(2, 1, 1, 1)}",
        },
        {image_uid(1, 1, 1, 1), image_uid(1, 1, 1, 2)},
    ),
    # study root
    (
        "sr-study-range",
        SR,
        "STUDY",
        {"StudyInstanceUID": "", "StudyDate": "20200101-20201231"},
        {S12, S21, S31},
    ),
    ("sr-study-upto", SR, "STUDY", {"StudyInstanceUID": "", "StudyDate": "-20200101"}, {S11, S12}),
    (
        "sr-study-from",
        SR,
        "STUDY",
        {"StudyInstanceUID": "", "StudyDate": "20200101-"},
        {S12, S21, S31, S32},
    ),
    (
        "sr-study-time-range",
        SR,
        "STUDY",
        {"StudyInstanceUID": "", "StudyTime": "1000-1200"},
        {S21, S31},
    ),
    ("sr-study-time-empty", SR, "STUDY", {"StudyInstanceUID": "", "StudyTime": '""'}, {S32}),
    (
        "sr-study-pn-wild",
        SR,
        "STUDY",
        {"StudyInstanceUID": "", "PatientName": "*mary*"},
        {S31, S32},
    ),
    ("sr-study-empty-desc", SR, "STUDY", {"StudyInstanceUID": "", "StudyDescription": '""'}, {S21}),
    (
        "sr-study-wild",
        SR,
        "STUDY",
        {"StudyInstanceUID": "", "StudyDescription": "Head*"},
        {S11, S31},
    ),
    ("sr-study-single", SR, "STUDY", {"StudyInstanceUID": "", "AccessionNumber": "ACC1"}, {S11}),
    (
        "sr-study-referring-pn",
        SR,
        "STUDY",
        {"StudyInstanceUID": "", "ReferringPhysicianName": "smith^john"},
        {S11},
    ),
    (
        "sr-series-single",
        SR,
        "SERIES",
        {"StudyInstanceUID": S11, "SeriesInstanceUID": "", "Modality": "CT"},
        {series_uid(1, 1, 1)},
    ),
    (
        "sr-series-wild",
        SR,
        "SERIES",
        {"StudyInstanceUID": S11, "SeriesInstanceUID": "", "Modality": "?R"},
        {series_uid(1, 1, 2)},
    ),
    (
        "sr-image-uid-list",
        SR,
        "IMAGE",
        {
            "StudyInstanceUID": S11,
            "SeriesInstanceUID": series_uid(1, 1, 1),
            "SOPInstanceUID": f"{image_uid(1, 1, 1, 2)}\\1.2.3",
        },
        {image_uid(1, 1, 1, 2)},
    ),
    # patient/study only
    ("ps-patient-single", PS, "PATIENT", {"PatientID": "", "PatientSex": "M"}, {"PID2"}),
    ("ps-patient-wild", PS, "PATIENT", {"PatientID": "", "PatientName": "*^mary*"}, {"PID3"}),
    (
        "ps-study-universal",
        PS,
        "STUDY",
        {"PatientID": "PID3", "StudyInstanceUID": "", "StudyDate": ""},
        {S31, S32},
    ),
    (
        "ps-study-range",
        PS,
        "STUDY",
        {"PatientID": "PID3", "StudyInstanceUID": "", "StudyDate": "20201231-20201231"},
        {S31},
    ),
]

UNIQUE = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
