"""Real A-ASSOCIATE-RQs from DCMTK tools, captured by a raw socket listener and decoded.

echoscu, storescu (with user identity) and getscu (with SCP/SCU role selection) connect to a
one-shot listener on 127.0.0.1 that reads one PDU, answers A-ASSOCIATE-RJ and closes.
"""

from __future__ import annotations

import pathlib
import socket
import subprocess

import pytest

from dicomnet.pdu import (
    AAssociateRJ,
    AAssociateRQ,
    PDUFramer,
    UserIdentityRQSubItem,
    decode_pdu,
    encode_pdu,
)
from tests.peers import dcmtk_env, require_program

CORPUS = pathlib.Path(__file__).resolve().parents[2] / "fuzz" / "corpus" / "pdu"


def _accept(server: socket.socket, proc: subprocess.Popen[bytes]) -> socket.socket:
    server.settimeout(0.2)
    for _ in range(100):
        try:
            return server.accept()[0]
        except TimeoutError:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else b""
                raise AssertionError(
                    f"tool exited with {proc.returncode}: {out[-2000:]!r}"
                ) from None
    raise AssertionError("tool never connected")


def capture_rq(args: list[str], files: tuple[str, ...] = ()) -> bytes:
    """Run a DCMTK tool against a raw listener; return the first PDU it sends, as bytes."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        proc = subprocess.Popen(
            [*args, "127.0.0.1", str(port), *files],
            env=dcmtk_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            conn = _accept(server, proc)
            with conn:
                conn.settimeout(20)
                framer = PDUFramer(0)
                chunks: list[bytes] = []
                pdu = None
                while pdu is None:
                    data = conn.recv(65536)
                    assert data, "peer closed before sending a whole PDU"
                    chunks.append(data)
                    framer.feed(data)
                    pdu = framer.next_pdu()
                conn.sendall(encode_pdu(AAssociateRJ(1, 1, 1)))
            wire = b"".join(chunks)
        finally:
            try:
                proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
    return wire


def _check(wire: bytes, calling: str, called: str, name: str) -> AAssociateRQ:
    rq = decode_pdu(wire)
    assert isinstance(rq, AAssociateRQ)
    assert (rq.calling_ae_title, rq.called_ae_title) == (calling, called)
    assert rq.application_context is not None
    assert rq.application_context.name == "1.2.840.10008.3.1.1.1"
    assert rq.max_length is not None
    assert rq.max_length > 0
    assert rq.implementation_class_uid is not None
    assert rq.warnings == ()
    assert encode_pdu(rq) == wire  # faithful round trip of a real PDU
    seed = CORPUS / name  # committed fuzz seed captured from the same tool
    if seed.exists():
        assert decode_pdu(seed.read_bytes()) == rq
    return rq


@pytest.mark.peer
def test_echoscu_association_request() -> None:
    echoscu = require_program("echoscu")
    wire = capture_rq([echoscu, "-aet", "ECHOSCU", "-aec", "ANY-SCP"])
    rq = _check(wire, "ECHOSCU", "ANY-SCP", "dcmtk_echoscu_rq.bin")
    assert [pc.abstract_syntax for pc in rq.presentation_contexts] == ["1.2.840.10008.1.1"]
    assert rq.implementation_version_name is not None
    assert rq.implementation_version_name.startswith("OFFIS_DCMTK")


@pytest.mark.peer
def test_storescu_with_user_identity(tmp_path: pathlib.Path) -> None:
    storescu = require_program("storescu")
    pydicom = pytest.importorskip("pydicom")
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = pydicom.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Test^Capture"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = tmp_path / "sc.dcm"
    ds.save_as(path, enforce_file_format=True)
    wire = capture_rq(
        [
            storescu,
            "-aet",
            "STORESCU",
            "-aec",
            "STORESCP",
            "--user",
            "alice",
            "--password",
            "s3cret",
        ],
        (str(path),),
    )
    rq = _check(wire, "STORESCU", "STORESCP", "dcmtk_storescu_user_identity_rq.bin")
    assert rq.user_identity == UserIdentityRQSubItem(
        user_identity_type=2, primary_field=b"alice", secondary_field=b"s3cret"
    )
    assert "1.2.840.10008.5.1.4.1.1.7" in {pc.abstract_syntax for pc in rq.presentation_contexts}


@pytest.mark.peer
def test_getscu_with_role_selection() -> None:
    getscu = require_program("getscu")
    wire = capture_rq(
        [getscu, "-aet", "GETSCU", "-aec", "QRSCP", "-k", "QueryRetrieveLevel=PATIENT"]
    )
    rq = _check(wire, "GETSCU", "QRSCP", "dcmtk_getscu_role_selection_rq.bin")
    assert len(rq.presentation_contexts) > 10
    roles = rq.role_selections
    assert roles
    assert all(r.scp_role == 1 for r in roles)
