"""Hypothesis oracle: random data sets written by pydicom read back by dicomnet equal pydicom."""

from __future__ import annotations

import io
import string
import warnings

import pydicom
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset as PDataset
from pydicom.dataset import FileMetaDataset
from pydicom.sequence import Sequence

from dicomnet.dataset.part10 import read_file
from tests.dataset.corpus import UNCOMPRESSED_TRANSFER_SYNTAXES
from tests.dataset.oracle import differences

TEXT = st.text(string.ascii_letters + string.digits + " ._-", max_size=12).map(str.strip)
CODE = st.text(string.ascii_uppercase + string.digits + "_", min_size=1, max_size=10)
U16 = st.integers(0, 0xFFFF)
S32 = st.integers(-(2**31), 2**31 - 1)
FLOAT = st.floats(allow_nan=False, allow_infinity=False, width=32)

# keyword -> strategy of values (VM 1 or lists)
FIELDS = {
    "PatientID": TEXT,
    "PatientName": st.lists(CODE, min_size=1, max_size=3).map("^".join),
    "ImageType": st.lists(CODE, min_size=1, max_size=4),
    "StudyDescription": TEXT,
    "AccessionNumber": CODE,
    "InstitutionAddress": TEXT,
    "Rows": U16,
    "AcquisitionMatrix": st.lists(U16, min_size=4, max_size=4),
    "ReferencePixelX0": S32,
    "DiffusionBValue": st.floats(allow_nan=False, allow_infinity=False),
    "LocalizingCursorPosition": st.lists(FLOAT, min_size=2, max_size=2),
    "SliceThickness": st.integers(0, 10**6).map(lambda i: f"{i / 100:g}"),
    "InstanceNumber": st.integers(-(10**8), 10**8).map(str),
    "RedPaletteColorLookupTableData": st.binary(max_size=16).map(lambda b: b[: len(b) // 2 * 2]),
    "EncapsulatedDocument": st.binary(max_size=15),
    "FrameIncrementPointer": st.lists(st.sampled_from([0x00181063, 0x00181065]), min_size=1),
}


@st.composite
def datasets(draw: st.DrawFn, depth: int = 0) -> PDataset:
    ds = PDataset()
    for keyword in draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=len(FIELDS))):
        setattr(ds, keyword, draw(FIELDS[keyword]))
    if depth < 2 and draw(st.booleans()):
        items = draw(st.lists(datasets(depth + 1), max_size=3))
        for item in items:
            item.is_undefined_length_sequence_item = draw(st.booleans())
        ds.ReferencedImageSequence = Sequence(items)
        ds["ReferencedImageSequence"].is_undefined_length = draw(st.booleans())
    return ds


@settings(max_examples=120, deadline=None)
@given(ds=datasets(), ts_name=st.sampled_from(sorted(UNCOMPRESSED_TRANSFER_SYNTAXES)))
def test_random_datasets_match_pydicom(ds: PDataset, ts_name: str) -> None:
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UNCOMPRESSED_TRANSFER_SYNTAXES[ts_name]
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(buffer, enforce_file_format=True)
        theirs = pydicom.dcmread(io.BytesIO(buffer.getvalue()))
    for lazy in (True, False):
        ours = read_file(buffer.getvalue(), lazy_sequences=lazy)
        assert differences(ours.dataset, theirs, little_endian=ours.little_endian) == []
