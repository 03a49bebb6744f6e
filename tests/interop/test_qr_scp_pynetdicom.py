"""pynetdicom's Q/R SCUs (send_c_find / send_c_move / send_c_get) against our Q/R SCP.

Our SCP runs in this process's event loop; pynetdicom's blocking calls run in a worker thread.
Move destinations and the C-GET storage role are pynetdicom storage SCPs; what arrives is compared
with the archive's files element by element (pydicom as the oracle).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset as PyDataset

from dicomnet.services.qr_scp import QRSCP, qr_acceptor_config
from dicomnet.transport import aio
from dicomnet.uid import STUDY_ROOT_QR_FIND, STUDY_ROOT_QR_GET, STUDY_ROOT_QR_MOVE
from tests.peers import free_port
from tests.services.test_qr_scp_support import CT, FolderArchive, make_files

pynetdicom = pytest.importorskip("pynetdicom")

pytestmark = pytest.mark.peer

TIMEOUTS = aio.Timeouts(connect=5, acse=10, dimse=20)


def _serve_and(archive: FolderArchive, client: Callable[[int], Any]) -> Any:
    async def main() -> Any:
        config = qr_acceptor_config("ARCHIVE")
        scp = QRSCP(archive, connect=functools.partial(aio.connect, timeouts=TIMEOUTS))
        async with await aio.serve(scp, config, "127.0.0.1", 0, timeouts=TIMEOUTS) as server:
            return await asyncio.to_thread(client, server.port)

    return asyncio.run(asyncio.wait_for(main(), 60))


def _ae(*contexts: str) -> Any:
    ae = pynetdicom.AE(ae_title="PYQRSCU")
    for uid in contexts:
        ae.add_requested_context(uid)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
    return ae


def _query(level: str, **keys: str) -> PyDataset:
    ds = PyDataset()
    ds.QueryRetrieveLevel = level
    for k, v in keys.items():
        setattr(ds, k, v)
    return ds


def _assert_same(sent: Path, received: PyDataset) -> None:
    original = pydicom.dcmread(sent)
    assert {e.tag for e in original} == {e.tag for e in received}
    for elem in original:
        assert received[elem.tag].value == elem.value, elem.tag


def test_pynetdicom_find(tmp_path: Path) -> None:
    files = make_files(tmp_path / "a", 2, patient="PID-1", study=1)
    files += make_files(tmp_path / "b", 3, patient="PID-2", study=2)

    def client(port: int) -> list[tuple[int, PyDataset | None]]:
        assoc = _ae(STUDY_ROOT_QR_FIND).associate("127.0.0.1", port, ae_title="ARCHIVE")
        assert assoc.is_established
        try:
            query = _query("SERIES", PatientID="PID-2", SeriesInstanceUID="", Modality="")
            return [
                (int(status.Status), ident)
                for status, ident in assoc.send_c_find(query, STUDY_ROOT_QR_FIND)
            ]
        finally:
            assoc.release()

    results = _serve_and(FolderArchive(files), client)
    assert [s for s, _ in results] == [0xFF00, 0x0000]
    ident = results[0][1]
    assert ident is not None
    assert ident.SeriesInstanceUID == "1.2.826.0.1.3680043.2.1125.77.2.0"
    assert ident.Modality == "CT"
    assert ident.QueryRetrieveLevel == "SERIES"


def _storage_server(received: list[PyDataset]) -> tuple[Any, int]:
    def on_store(event: Any) -> int:
        ds = event.dataset
        ds.file_meta = event.file_meta
        received.append(ds)
        return 0x0000

    ae = pynetdicom.AE(ae_title="PYSTORE")
    ae.add_supported_context(
        CT, [pydicom.uid.ExplicitVRLittleEndian, pydicom.uid.ImplicitVRLittleEndian]
    )
    port = free_port()
    server = ae.start_server(
        ("127.0.0.1", port), block=False, evt_handlers=[(pynetdicom.evt.EVT_C_STORE, on_store)]
    )
    return server, port


def test_pynetdicom_move_to_a_third_party(tmp_path: Path) -> None:
    files = make_files(tmp_path, 3)
    received: list[PyDataset] = []
    server, port = _storage_server(received)
    archive = FolderArchive(files, {"PYSTORE": ("127.0.0.1", port)})

    def client(qr_port: int) -> list[PyDataset | Any]:
        assoc = _ae(STUDY_ROOT_QR_MOVE).associate("127.0.0.1", qr_port, ae_title="ARCHIVE")
        assert assoc.is_established
        try:
            query = _query("STUDY", StudyInstanceUID="1.2.826.0.1.3680043.2.1125.77.1")
            return [s for s, _ in assoc.send_c_move(query, "PYSTORE", STUDY_ROOT_QR_MOVE)]
        finally:
            assoc.release()

    try:
        statuses = _serve_and(archive, client)
    finally:
        server.shutdown()
    assert [int(s.Status) for s in statuses] == [0xFF00, 0xFF00, 0x0000]
    assert statuses[-1].NumberOfCompletedSuboperations == 3
    assert statuses[0].NumberOfRemainingSuboperations == 2
    by_uid = {ds.SOPInstanceUID: ds for ds in received}
    for path in files:
        _assert_same(path, by_uid[pydicom.dcmread(path).SOPInstanceUID])


def test_pynetdicom_move_unknown_destination(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 1))

    def client(port: int) -> list[Any]:
        assoc = _ae(STUDY_ROOT_QR_MOVE).associate("127.0.0.1", port, ae_title="ARCHIVE")
        try:
            query = _query("STUDY", StudyInstanceUID="")
            return [s for s, _ in assoc.send_c_move(query, "NOWHERE", STUDY_ROOT_QR_MOVE)]
        finally:
            assoc.release()

    (status,) = _serve_and(archive, client)
    assert int(status.Status) == 0xA801
    assert "NOWHERE" in status.ErrorComment


def test_pynetdicom_get_with_storage_role(tmp_path: Path) -> None:
    from pynetdicom.sop_class import CTImageStorage  # type: ignore[attr-defined]

    files = make_files(tmp_path, 3)
    received: list[PyDataset] = []

    def on_store(event: Any) -> int:
        ds = event.dataset
        ds.file_meta = event.file_meta
        received.append(ds)
        return 0x0000

    def client(port: int) -> list[Any]:
        ae = _ae(STUDY_ROOT_QR_GET)
        ae.add_requested_context(CTImageStorage)
        role = pynetdicom.build_role(CTImageStorage, scp_role=True)
        assoc = ae.associate(
            "127.0.0.1",
            port,
            ae_title="ARCHIVE",
            ext_neg=[role],
            evt_handlers=[(pynetdicom.evt.EVT_C_STORE, on_store)],
        )
        assert assoc.is_established
        try:
            query = _query("SERIES", SeriesInstanceUID="1.2.826.0.1.3680043.2.1125.77.1.0")
            return [s for s, _ in assoc.send_c_get(query, STUDY_ROOT_QR_GET)]
        finally:
            assoc.release()

    statuses = _serve_and(FolderArchive(files), client)
    assert [int(s.Status) for s in statuses] == [0xFF00, 0xFF00, 0x0000]
    assert statuses[-1].NumberOfCompletedSuboperations == 3
    assert len(received) == 3
    by_uid = {ds.SOPInstanceUID: ds for ds in received}
    for path in files:
        _assert_same(path, by_uid[pydicom.dcmread(path).SOPInstanceUID])


def test_pynetdicom_get_failing_store_gives_warning_and_failed_list(tmp_path: Path) -> None:
    from pynetdicom.sop_class import CTImageStorage  # type: ignore[attr-defined]

    files = make_files(tmp_path, 3)
    calls: list[str] = []

    def on_store(event: Any) -> int:
        calls.append(event.request.AffectedSOPInstanceUID)
        return 0xA700 if len(calls) == 2 else 0x0000

    def client(port: int) -> list[tuple[Any, Any]]:
        ae = _ae(STUDY_ROOT_QR_GET)
        ae.add_requested_context(CTImageStorage)
        assoc = ae.associate(
            "127.0.0.1",
            port,
            ae_title="ARCHIVE",
            ext_neg=[pynetdicom.build_role(CTImageStorage, scp_role=True)],
            evt_handlers=[(pynetdicom.evt.EVT_C_STORE, on_store)],
        )
        try:
            query = _query("STUDY", StudyInstanceUID="")
            return list(assoc.send_c_get(query, STUDY_ROOT_QR_GET))
        finally:
            assoc.release()

    results = _serve_and(FolderArchive(files), client)
    status, ident = results[-1]
    assert int(status.Status) == 0xB000
    assert status.NumberOfFailedSuboperations == 1
    assert status.NumberOfCompletedSuboperations == 2
    assert ident is not None
    assert ident.FailedSOPInstanceUIDList == calls[1]
