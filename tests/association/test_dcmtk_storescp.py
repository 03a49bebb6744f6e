"""The composition against software nobody here wrote: our requestor ``Association`` driven by a
raw blocking socket loop stores a data set in DCMTK ``storescp``, which writes it to disk; pydicom
then compares it element by element (PS3.4 Annex B, PS3.7 §9.3.1, PS3.8)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import generate_uid

from dicomnet.acse import ProposedContext
from dicomnet.association import (
    Aborted,
    Association,
    AssociationEvent,
    Closed,
    Established,
    MessageReceived,
    Released,
)
from dicomnet.dimse import CStoreRQ, CStoreRSP
from tests.association.helpers import CT_IMAGE, EXPLICIT_LE, requestor_config
from tests.association.socket_driver import drive
from tests.peers import dcmtk_env, free_port, require_program, running

pytestmark = pytest.mark.peer


def ct_dataset() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CT_IMAGE
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Assoc^Test"
    ds.PatientID = "H10"
    ds.Modality = "CT"
    ds.Rows = 64
    ds.Columns = 64
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(256)) * 32  # 64 x 64 x 2 bytes
    return ds


def explicit_le_bytes(ds: Dataset) -> bytes:
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    write_dataset(fp, ds)
    return fp.getvalue()


def test_store_to_dcmtk_storescp(tmp_path: Path) -> None:
    storescp = require_program("storescp")
    port = free_port()
    ds = ct_dataset()
    data = explicit_le_bytes(ds)
    config = requestor_config(
        calling_ae_title="H10SCU",
        called_ae_title="STORESCP",
        presentation_contexts=[ProposedContext(CT_IMAGE, [EXPLICIT_LE])],
    )
    events: list[AssociationEvent] = []
    with running(
        [storescp, "--aetitle", "STORESCP", "-od", str(tmp_path), "--max-pdu", "4096", str(port)],
        port=port,
        env=dcmtk_env(),
    ):
        now = time.monotonic()
        assoc = Association.requestor(config, now=now, dimse_timeout=10.0)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            assoc.transport_connected(time.monotonic())

            def on_event(event: AssociationEvent) -> None:
                events.append(event)
                if isinstance(event, Established):
                    cx = event.negotiated.context_for(CT_IMAGE)
                    assert cx is not None
                    rq = CStoreRQ(
                        message_id=assoc.next_message_id(),
                        affected_sop_class_uid=CT_IMAGE,
                        affected_sop_instance_uid=ds.SOPInstanceUID,
                    )
                    assoc.send_message(
                        rq, context_id=cx.context_id, dataset=data, now=time.monotonic()
                    )
                elif isinstance(event, MessageReceived):
                    assoc.release(time.monotonic())

            drive(assoc, sock, on_event)
    names = [type(e).__name__ for e in events]
    assert names == ["Established", "MessageReceived", "Released", "Closed"], events
    rsp = events[1]
    assert isinstance(rsp, MessageReceived)
    assert isinstance(rsp.message, CStoreRSP)
    assert rsp.message.status == 0
    assert isinstance(events[2], Released)
    assert isinstance(events[3], Closed)
    assert not any(isinstance(e, Aborted) for e in events)
    negotiated = assoc.negotiated
    assert negotiated is not None
    assert negotiated.peer_max_pdu_length == 4096  # so the 8 KiB of pixels went in fragments
    stored = list(tmp_path.iterdir())
    assert len(stored) == 1
    got = pydicom.dcmread(stored[0])
    assert got.file_meta.TransferSyntaxUID == EXPLICIT_LE
    assert got.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    for element in ds:
        assert got[element.tag].value == element.value, element.keyword
    assert len(got) == len(ds)
