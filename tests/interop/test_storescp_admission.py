"""``serve(admit=...)``: a refused peer gets an A-ASSOCIATE-RJ (PS3.8 §9.3.4), seen by DCMTK.

DCMTK's own TCP-wrapper check (``dcmnet/libsrc/dul.cc``) closes the socket right after
``accept()``, before any PDU; ours reads the A-ASSOCIATE-RQ and answers rejected-permanent,
service-user, no-reason-given, so the peer learns it was refused rather than cut off.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from typing import Any

import pytest

from dicomnet.services.echo import verification_handler
from dicomnet.services.storage_scp import StorageSCP, storage_acceptor_config
from dicomnet.services.store import MemorySink
from dicomnet.transport import aio
from tests.peers import dcmtk_env, require_program
from tests.transport.helpers import SCP_AET, acceptor_config

pytestmark = pytest.mark.peer


async def _run(program: str, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        require_program(program),
        "-v",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=dcmtk_env(),
    )
    out, _ = await proc.communicate()
    return int(proc.returncode or 0), out.decode(errors="replace")


def _refuse_all() -> tuple[aio.Admission, list[tuple[Any, ...]]]:
    seen: list[tuple[Any, ...]] = []

    async def admit(peer: tuple[Any, ...]) -> bool:
        seen.append(peer)
        return False

    return admit, seen


def test_echoscu_sees_the_rejection() -> None:
    require_program("echoscu")
    admit, seen = _refuse_all()

    async def main() -> tuple[int, str, int]:
        server = await aio.serve(verification_handler, acceptor_config(), admit=admit)
        async with server:
            code, out = await _run("echoscu", "-aec", SCP_AET, "127.0.0.1", str(server.port))
            return code, out, server.associations_served

    code, out, served = asyncio.run(asyncio.wait_for(main(), 60))
    assert code != 0, out
    assert "Association Rejected" in out, out
    assert "Rejected Permanent" in out, out
    assert "Service User" in out, out
    assert "Reason: No Reason" in out, out  # DCMTK's words for reason 1, no-reason-given
    assert served == 0
    assert seen
    assert seen[0][0] == "127.0.0.1"


def test_storescu_sees_the_rejection_and_admitted_peers_store() -> None:
    require_program("storescu")
    from tests.services.helpers import CT, dataset, encoded

    allowed = {"ok": False}

    async def admit(peer: tuple[Any, ...]) -> bool:
        return allowed["ok"]

    sink = MemorySink()
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/ct.dcm"
        import pydicom

        ds = pydicom.dcmread(io.BytesIO(encoded(dataset(CT, "1.2.3.4"))), force=True)
        ds.file_meta = pydicom.dataset.FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = CT
        ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
        ds.save_as(path, enforce_file_format=True)

        async def main() -> tuple[tuple[int, str], tuple[int, str]]:
            server = await aio.serve(StorageSCP(sink), storage_acceptor_config(), admit=admit)
            async with server:
                args = ("-aec", "STORESCP", "127.0.0.1", str(server.port), path)
                refused = await _run("storescu", *args)
                allowed["ok"] = True
                stored = await _run("storescu", *args)
                return refused, stored

        (code, out), (code2, out2) = asyncio.run(asyncio.wait_for(main(), 60))
    assert code != 0, out
    assert "Association Rejected" in out, out
    assert "Rejected Permanent" in out, out
    assert code2 == 0, out2
    assert [request.sop_instance_uid for request, _data in sink.received] == ["1.2.3.4"]
