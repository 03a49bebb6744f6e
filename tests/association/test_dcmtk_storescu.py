"""DCMTK ``storescu`` and ``echoscu`` against our acceptor ``Association`` (a raw blocking socket
loop in a thread): the C-ECHO is answered, the C-STORE data set arrives as fragments that
reassemble to what pydicom reads from the file, element by element (PS3.4 Annex B, PS3.8)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from io import BytesIO
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filereader import read_dataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from dicomnet.acse import SupportedContext
from dicomnet.association import (
    Association,
    AssociationEvent,
    DatasetFragment,
    MessageReceived,
)
from dicomnet.dimse import CEchoRQ, CEchoRSP, CStoreRQ, CStoreRSP
from tests.association.helpers import (
    CT_IMAGE,
    EXPLICIT_LE,
    IMPLICIT_LE,
    VERIFICATION,
    acceptor_config,
)
from tests.association.socket_driver import drive
from tests.peers import dcmtk_env, free_port, require_program

pytestmark = pytest.mark.peer


class Scp:
    """Our acceptor on one accepted connection, in a thread; records what arrived."""

    def __init__(self, max_pdu_length: int) -> None:
        self.port = free_port()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.config = acceptor_config(
            max_pdu_length=max_pdu_length,
            supported_contexts=(
                SupportedContext(VERIFICATION, (IMPLICIT_LE,)),
                SupportedContext(CT_IMAGE, (EXPLICIT_LE, IMPLICIT_LE)),
            ),
        )
        self.events: list[AssociationEvent] = []
        self.datasets: list[tuple[str, bytes]] = []  # (transfer syntax, bytes)
        self.fragment_sizes: list[int] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.listener.settimeout(10)
            sock, address = self.listener.accept()
            with sock:
                now = time.monotonic()
                assoc = Association.acceptor(self.config, peer_address=address, now=now)
                parts: list[bytes] = []
                pending: list[CStoreRQ] = []

                def on_event(event: AssociationEvent) -> None:
                    if not isinstance(event, DatasetFragment):
                        self.events.append(event)
                    t = time.monotonic()
                    if isinstance(event, MessageReceived):
                        message = event.message
                        if isinstance(message, CEchoRQ):
                            rsp = CEchoRSP(message_id_being_responded_to=message.message_id)
                            assoc.send_message(rsp, context_id=event.context_id, now=t)
                        elif isinstance(message, CStoreRQ):
                            pending.append(message)
                    elif isinstance(event, DatasetFragment):
                        parts.append(bytes(event.data))
                        self.fragment_sizes.append(len(event.data))
                        if event.last:
                            rq = pending.pop()
                            negotiated = assoc.negotiated
                            assert negotiated is not None
                            ts = negotiated.accepted[event.context_id].transfer_syntax
                            self.datasets.append((ts, b"".join(parts)))
                            parts.clear()
                            store_rsp = CStoreRSP(
                                message_id_being_responded_to=rq.message_id,
                                status=0,
                                affected_sop_class_uid=rq.affected_sop_class_uid,
                                affected_sop_instance_uid=rq.affected_sop_instance_uid,
                            )
                            assoc.send_message(store_rsp, context_id=event.context_id, now=t)

                drive(assoc, sock, on_event)
        except BaseException as exc:  # reported by join()
            self.error = exc
        finally:
            self.listener.close()

    def join(self) -> None:
        self.thread.join(15)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


def write_ct(path: Path) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CT_IMAGE
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Store^Scu"
    ds.PatientID = "H10-2"
    ds.Modality = "CT"
    ds.Rows = 128
    ds.Columns = 128
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(256)) * 128  # 128 x 128 x 2
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = pydicom.uid.UID(CT_IMAGE)
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.save_as(path, enforce_file_format=True)
    return ds


def test_dcmtk_storescu_to_our_acceptor(tmp_path: Path) -> None:
    storescu = require_program("storescu")
    path = tmp_path / "ct.dcm"
    original = write_ct(path)
    scp = Scp(max_pdu_length=8192)
    result = subprocess.run(
        [
            storescu,
            "-aec",
            "SCP",
            "-aet",
            "STORESCU",
            "--max-pdu",
            "16384",
            "127.0.0.1",
            str(scp.port),
            str(path),
        ],
        env=dcmtk_env(),
        capture_output=True,
        timeout=30,
        check=False,
    )
    scp.join()
    assert result.returncode == 0, result.stdout + result.stderr
    names = [type(e).__name__ for e in scp.events]
    assert names == ["Established", "MessageReceived", "ReleaseRequested", "Released", "Closed"]
    assert max(scp.fragment_sizes) <= 8192 - 6  # storescu honoured our maximum
    ((ts, data),) = scp.datasets
    got = read_dataset(BytesIO(data), is_implicit_VR=ts == IMPLICIT_LE, is_little_endian=True)
    expected = pydicom.dcmread(path)
    for element in expected:
        assert got[element.tag].value == element.value, element.keyword
    assert len(got) == len(expected)
    assert got.SOPInstanceUID == original.SOPInstanceUID


def test_dcmtk_echoscu_to_our_acceptor() -> None:
    echoscu = require_program("echoscu")
    scp = Scp(max_pdu_length=16384)
    result = subprocess.run(
        [echoscu, "-aec", "SCP", "127.0.0.1", str(scp.port)],
        env=dcmtk_env(),
        capture_output=True,
        timeout=30,
        check=False,
    )
    scp.join()
    assert result.returncode == 0, result.stdout + result.stderr
    names = [type(e).__name__ for e in scp.events]
    assert names == ["Established", "MessageReceived", "ReleaseRequested", "Released", "Closed"]
