"""pynetdicom's SCU against our acceptor ``Association`` (raw blocking socket loop in a thread):
user identity with a positive response, SCP/SCU role selection as pynetdicom reads it, C-ECHO,
and a C-STORE whose reassembled fragments decode to the data set pynetdicom sent."""

from __future__ import annotations

import socket
import threading
import time
from io import BytesIO
from typing import Any

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filereader import read_dataset
from pydicom.uid import UID, generate_uid

from dicomnet.acse import IdentityDecision, SupportedContext, UserIdentity
from dicomnet.association import (
    Association,
    AssociationEvent,
    DatasetFragment,
    Established,
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

pynetdicom = pytest.importorskip("pynetdicom")

pytestmark = pytest.mark.peer


def test_pynetdicom_scu_to_our_acceptor() -> None:
    from pynetdicom import AE, build_role

    identities: list[tuple[UserIdentity | None, str]] = []

    def check(identity: UserIdentity | None, calling: str) -> IdentityDecision:
        identities.append((identity, calling))
        return IdentityDecision(True)

    config = acceptor_config(
        supported_contexts=(
            SupportedContext(VERIFICATION, (IMPLICIT_LE,)),
            SupportedContext(CT_IMAGE, (EXPLICIT_LE, IMPLICIT_LE), scu_role=True, scp_role=True),
        ),
        user_identity_check=check,
        max_pdu_length=4096,
    )
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    events: list[AssociationEvent] = []
    stored: list[tuple[str, bytes]] = []
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            listener.settimeout(10)
            sock, address = listener.accept()
            with sock:
                assoc = Association.acceptor(config, peer_address=address, now=time.monotonic())
                parts: list[bytes] = []
                store: list[CStoreRQ] = []

                def on_event(event: AssociationEvent) -> None:
                    now = time.monotonic()
                    if not isinstance(event, DatasetFragment):
                        events.append(event)
                    if isinstance(event, MessageReceived):
                        if isinstance(event.message, CEchoRQ):
                            rsp = CEchoRSP(message_id_being_responded_to=event.message.message_id)
                            assoc.send_message(rsp, context_id=event.context_id, now=now)
                        elif isinstance(event.message, CStoreRQ):
                            store.append(event.message)
                    elif isinstance(event, DatasetFragment):
                        parts.append(bytes(event.data))
                        if event.last:
                            negotiated = assoc.negotiated
                            assert negotiated is not None
                            ts = negotiated.accepted[event.context_id].transfer_syntax
                            stored.append((ts, b"".join(parts)))
                            rq = store.pop()
                            store_rsp = CStoreRSP(
                                message_id_being_responded_to=rq.message_id,
                                status=0,
                                affected_sop_class_uid=rq.affected_sop_class_uid,
                                affected_sop_instance_uid=rq.affected_sop_instance_uid,
                            )
                            assoc.send_message(store_rsp, context_id=event.context_id, now=now)

                drive(assoc, sock, on_event)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    ds = Dataset()
    ds.SOPClassUID = CT_IMAGE
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Pynet^Dicom"
    ds.PatientID = "H10-3"
    ds.PixelData = bytes(range(256)) * 40
    ds.BitsAllocated = 8
    ds.Rows = 80
    ds.Columns = 128
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(EXPLICIT_LE)

    ae = AE(ae_title="PYNETSCU")
    ae.add_requested_context(VERIFICATION)
    ae.add_requested_context(CT_IMAGE, [EXPLICIT_LE])
    from pynetdicom.pdu_primitives import UserIdentityNegotiation

    identity = UserIdentityNegotiation()
    identity.user_identity_type = 1
    identity.primary_field = b"alice"
    identity.positive_response_requested = True
    ext: list[Any] = [build_role(CT_IMAGE, scu_role=True, scp_role=True), identity]
    assoc = ae.associate("127.0.0.1", port, ae_title="SCP", ext_neg=ext)
    try:
        assert assoc.is_established
        ct = [cx for cx in assoc.accepted_contexts if cx.abstract_syntax == CT_IMAGE]
        assert len(ct) == 1
        assert ct[0].as_scu
        assert ct[0].as_scp  # pynetdicom reads our role selection reply
        echo_status = assoc.send_c_echo()
        assert echo_status.Status == 0
        store_status = assoc.send_c_store(ds)
        assert store_status.Status == 0
        assert assoc.acceptor.maximum_length == 4096
    finally:
        assoc.release()
    thread.join(15)
    assert not thread.is_alive()
    assert not errors, errors
    assert identities == [
        (UserIdentity.username("alice", positive_response_requested=True), "PYNETSCU")
    ]
    established = events[0]
    assert isinstance(established, Established)
    assert established.negotiated.user_identity == identities[0][0]
    assert established.negotiated.user_identity_response == b""
    cx = established.negotiated.context_for(CT_IMAGE, role="scu")
    assert cx is not None  # the acceptor may also invoke C-STORE on it
    names = [type(e).__name__ for e in events]
    assert names == [
        "Established",
        "MessageReceived",
        "MessageReceived",
        "ReleaseRequested",
        "Released",
        "Closed",
    ]
    ((ts, data),) = stored
    assert ts == EXPLICIT_LE
    got = read_dataset(BytesIO(data), is_implicit_VR=False, is_little_endian=True)
    for element in ds:
        assert got[element.tag].value == element.value, element.keyword
    assert len(got) == len(ds)
