"""A tiny folder archive for the Q/R SCP tests (matching lives here, not in the SCP), and its checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset as PyDataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from dicomnet.dataset import Dataset, read_file
from dicomnet.services.qr_scp import (
    FIND_SOP_CLASSES,
    GET_SOP_CLASSES,
    MOVE_SOP_CLASSES,
    QRApplication,
    QRRequest,
    RetrieveItem,
    qr_acceptor_config,
)
from dicomnet.uid import PATIENT_ROOT_QR_FIND, STUDY_ROOT_QR_GET

CT = "1.2.840.10008.5.1.4.1.1.2"
_LEVEL_KEYS = {
    "PATIENT": ("PatientID",),
    "STUDY": ("PatientID", "StudyInstanceUID"),
    "SERIES": ("PatientID", "StudyInstanceUID", "SeriesInstanceUID"),
    "IMAGE": ("PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"),
}


def make_file(folder: Path, index: int, *, patient: str = "PID-1", study: int = 1) -> Path:
    """A small CT image with text, a sequence and 16-bit pixels (written by pydicom)."""
    uid = f"1.2.826.0.1.3680043.2.1125.77.{study}.{index}"
    ds = PyDataset()
    ds.SOPClassUID = CT
    ds.SOPInstanceUID = uid
    ds.PatientID = patient
    ds.PatientName = "Doe^Jane"
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.2.1125.77.{study}"
    ds.SeriesInstanceUID = f"1.2.826.0.1.3680043.2.1125.77.{study}.0"
    ds.StudyDescription = "qr scp test"
    ds.Modality = "CT"
    ds.InstanceNumber = index
    item = PyDataset()
    item.ReferencedSOPClassUID = CT
    item.ReferencedSOPInstanceUID = uid + ".9"
    ds.ReferencedImageSequence = [item]
    ds.Rows = ds.Columns = 16
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = bytes((i * 7 + index) & 0xFF for i in range(16 * 16 * 2))
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CT
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = folder / f"{index:04d}.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def make_files(folder: Path, count: int, **kw: Any) -> list[Path]:
    """``count`` files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [make_file(folder, i, **kw) for i in range(1, count + 1)]


def _matches(value: Any, key: Any) -> bool:
    if key in (None, "", "*"):
        return True
    if isinstance(key, str) and key.endswith("*"):
        return str(value).startswith(key[:-1])
    return str(value) == str(key)


class FolderArchive:
    """Q/R application over a list of files: single-value/wildcard matching on the level keys.

    ``fail_after`` makes ``find`` raise after that many matches; ``bad_items`` are added to
    every retrieve (unreadable paths); ``destinations`` maps AE titles to addresses.
    """

    def __init__(
        self,
        files: list[Path],
        destinations: dict[str, tuple[str, int]] | None = None,
        *,
        fail_after: int | None = None,
        bad_items: list[RetrieveItem] | None = None,
        slow: float = 0.0,
    ) -> None:
        self.records = [(path, read_file(path).dataset) for path in files]
        self.destinations = destinations or {}
        self.fail_after = fail_after
        self.bad_items = bad_items or []
        self.requests: list[QRRequest] = []
        self.slow = slow

    def _selected(self, request: QRRequest) -> Iterator[tuple[Path, Dataset]]:
        query = request.identifier
        level = str(query.get_value("QueryRetrieveLevel") or "IMAGE").strip()
        keys = _LEVEL_KEYS.get(level, _LEVEL_KEYS["IMAGE"])
        seen: set[tuple[str, ...]] = set()
        for path, ds in self.records:
            if not all(_matches(ds.get_value(k), query.get_value(k)) for k in keys if k in query):
                continue
            if not all(
                _matches(ds.get_value(tag), query.get_value(tag))
                for tag in query
                if tag != 0x00080052
                and tag in ds
                and query.get_value(tag) not in (None, "")
                and query.vr_of(tag) != "SQ"
            ):
                continue
            unique = tuple(str(ds.get_value(k)) for k in keys)
            if request.operation == "find" and unique in seen:
                continue
            seen.add(unique)
            yield path, ds

    async def find(self, request: QRRequest) -> AsyncIterator[Dataset]:
        """Identifiers with the requested keys filled from each match."""
        self.requests.append(request)
        for count, (_, ds) in enumerate(self._selected(request)):
            if self.fail_after is not None and count >= self.fail_after:
                raise RuntimeError("archive index unavailable")
            out = Dataset()
            for tag in request.identifier:
                if tag in ds:
                    out[tag] = ds[tag]
                else:
                    out[tag] = request.identifier[tag]
            yield out
            if self.slow:
                await asyncio.sleep(self.slow)

    def retrieve(self, request: QRRequest) -> list[RetrieveItem]:
        """The matching files' paths, then ``bad_items``."""
        self.requests.append(request)
        return [str(path) for path, _ in self._selected(request)] + self.bad_items

    def resolve_move_destination(self, ae_title: str) -> tuple[str, int] | None:
        """From ``destinations``."""
        return self.destinations.get(ae_title)


def test_folder_archive_is_a_qr_application(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 1))
    assert isinstance(archive, QRApplication)


def test_acceptor_config_offers_the_models_and_storage_roles_for_get() -> None:
    config = qr_acceptor_config("ARCHIVE")
    by_uid = {cx.abstract_syntax: cx for cx in config.supported_contexts}
    for uid in (*FIND_SOP_CLASSES, *MOVE_SOP_CLASSES, *GET_SOP_CLASSES):
        assert by_uid[uid].scp_role is None
    assert by_uid[CT].scp_role is True
    assert by_uid[CT].scu_role is True
    assert by_uid[CT].transfer_syntaxes[0] == ExplicitVRLittleEndian
    without_get = qr_acceptor_config("ARCHIVE", get=())
    uids = {cx.abstract_syntax for cx in without_get.supported_contexts}
    assert CT not in uids
    assert STUDY_ROOT_QR_GET not in uids
    assert PATIENT_ROOT_QR_FIND in uids


def read_back(path: Path) -> pydicom.Dataset:
    """pydicom's reading of ``path``."""
    return pydicom.dcmread(path)
