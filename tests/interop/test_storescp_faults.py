"""Faults against ``dicomnet storescp`` from a scripted raw-socket peer (PS3.8 §9.3, Table 9-10).

The peer negotiates normally (its A-ASSOCIATE-RQ comes from dicomnet's sans-IO requestor), then
misbehaves with hand-made P-DATA-TF PDUs. Each time: the association is aborted (A-ABORT from the
SCP, or the SCP keeps nothing after the peer's abort), no file is left under a final name nor a
temporary file, and a concurrent well-behaved association on the same server is unaffected.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from pathlib import Path

import pydicom
import pytest

from dicomnet.acse import ProposedContext, RequestorConfig
from dicomnet.association import Association
from dicomnet.dimse import CStoreRQ
from dicomnet.dimse.commands import encode_command

from .test_storescp_dcmtk import CT, make_object, our_storescp, storescu

pytestmark = pytest.mark.peer

EXPLICIT_LE = "1.2.840.10008.1.2.1"
UID = "1.2.826.0.1.3680043.2.1125.13.1"


def _pdv(context_id: int, control: int, data: bytes) -> bytes:
    return struct.pack(">IBB", len(data) + 2, context_id, control) + data


def _pdata(*pdvs: bytes) -> bytes:
    body = b"".join(pdvs)
    return struct.pack(">BBI", 0x04, 0, len(body)) + body


def _associate(port: int) -> tuple[socket.socket, int]:
    """Connect and negotiate a CT context; return the socket and the accepted context ID."""
    config = RequestorConfig(
        calling_ae_title="RAWSCU",
        called_ae_title="STORESCP",
        presentation_contexts=(ProposedContext(CT, (EXPLICIT_LE,)),),
    )
    assoc = Association.requestor(config, now=0.0)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    assoc.transport_connected(0.0)
    for part in assoc.data_to_send():
        sock.sendall(part)
    header = _recv_exact(sock, 6)
    assert header[0] == 0x02, f"expected A-ASSOCIATE-AC, got PDU type {header[0]:#x}"
    body = _recv_exact(sock, struct.unpack(">I", header[2:6])[0])
    assoc.receive_data(header + body, 0.0)
    negotiated = assoc.negotiated
    assert negotiated is not None
    context = negotiated.context_for(CT)
    assert context is not None
    return sock, context.context_id


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _next_pdu_type(sock: socket.socket) -> int | None:
    """The type of the next PDU the SCP sends, or None when it just closes."""
    try:
        header = _recv_exact(sock, 6)
    except (ConnectionError, OSError):
        return None
    _recv_exact(sock, struct.unpack(">I", header[2:6])[0])
    return header[0]


def _command(context_id: int) -> bytes:
    rq = CStoreRQ(message_id=1, affected_sop_class_uid=CT, affected_sop_instance_uid=UID)
    return _pdv(context_id, 0x03, encode_command(rq))


def _only_final_files(out: Path) -> list[str]:
    for _ in range(100):  # the SCP handles the abort asynchronously
        names = sorted(os.listdir(out))
        if not any(name.startswith(".") for name in names):
            return names
        time.sleep(0.02)
    return sorted(os.listdir(out))


def _well_behaved_store(port: int, src: Path, results: list[str]) -> None:
    files = [
        make_object(src / f"ok{i}.dcm", f"1.2.826.0.1.3680043.2.1125.14.{i}") for i in range(20)
    ]
    try:
        storescu(port, files, "-xe")
        results.append("ok")
    except AssertionError as exc:  # pragma: no cover - reported by the test
        results.append(str(exc))


@pytest.mark.parametrize("fault", ["abort", "close", "unknown_context", "bad_command"])
def test_fault_mid_data_set(tmp_path: Path, fault: str) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    dataset = (make_object(src / "x.dcm", UID)).read_bytes()[132:]  # roughly a data set's size
    with our_storescp(out) as port:
        results: list[str] = []
        sock, cid = _associate(port)
        with sock:
            other = threading.Thread(target=_well_behaved_store, args=(port, src, results))
            other.start()
            if fault == "bad_command":
                # A command set that is not a valid one (wrong VR/length for CommandField).
                junk = struct.pack("<HHI", 0x0000, 0x0100, 4) + b"\x01\x00"
                sock.sendall(_pdata(_pdv(cid, 0x03, junk)))
            else:
                sock.sendall(_pdata(_command(cid)))
                sock.sendall(_pdata(_pdv(cid, 0x00, dataset[: len(dataset) // 2])))
                if fault == "abort":
                    sock.sendall(struct.pack(">BBIBBBB", 0x07, 0, 4, 0, 0, 0, 0))
                elif fault == "unknown_context":
                    sock.sendall(_pdata(_pdv(cid + 2, 0x02, dataset[len(dataset) // 2 :])))
            if fault in ("unknown_context", "bad_command"):
                assert _next_pdu_type(sock) == 0x07  # the SCP aborts (A-ABORT), PS3.8 §9.3.8
            elif fault == "close":
                sock.shutdown(socket.SHUT_WR)
            other.join(60)
        assert results == ["ok"]
        names = _only_final_files(out)
    assert f"CT.{UID}" not in names
    assert names == sorted(f"CT.1.2.826.0.1.3680043.2.1125.14.{i}" for i in range(20))
    assert pydicom.dcmread(out / names[0]).SOPInstanceUID == names[0][3:]


def test_complete_store_over_raw_socket_then_abort(tmp_path: Path) -> None:
    """Control: the same scripted peer, sending the whole data set, gets a C-STORE-RSP."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    path = make_object(src / "x.dcm", UID)
    raw = path.read_bytes()
    group_length = int.from_bytes(raw[140:144], "little")
    dataset = raw[144 + group_length :]
    with our_storescp(out) as port:
        sock, cid = _associate(port)
        with sock:
            sock.sendall(_pdata(_command(cid)))
            sock.sendall(_pdata(_pdv(cid, 0x02, dataset)))
            assert _next_pdu_type(sock) == 0x04  # P-DATA-TF: the C-STORE-RSP
            sock.sendall(struct.pack(">BBIBBBB", 0x07, 0, 4, 0, 0, 0, 0))
        names = _only_final_files(out)
    assert names == [f"CT.{UID}"]
