"""C-MOVE/C-GET sub-operations from described files (issue 7): no head re-read, changes noticed.

An :class:`~dicomnet.services.qr_scp_store.IndexedFile` is sent as described while its file's
size and modification time are unchanged (shown with a description the file does not match), and
inspected again otherwise; a file that changed between its description and the send fails its
sub-operation. End to end, a C-GET from an :class:`~dicomnet.archive.Archive` whose files were
rewritten after indexing delivers each file as it is now (bytes and transfer syntax), and the
Pending response of each sub-operation follows the next C-STORE-RQ with the counters that
sub-operation left.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
import pydicom
import pytest
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset

from dicomnet.archive import Archive
from dicomnet.dataset import read_file
from dicomnet.dimse import CGetRQ, CGetRSP
from dicomnet.services import qr_scp_retrieve, qr_scp_store
from dicomnet.services.qr_scp import QRSCP, IndexedFile, qr_acceptor_config
from dicomnet.services.qr_scp_store import Instance, instance_of
from dicomnet.services.storage_scu import inspect_file
from dicomnet.transport import aio
from dicomnet.uid import STUDY_ROOT_QR_GET

from .test_qr_scp import Client, _config, _query
from .test_qr_scp_support import make_files

IVLE = "1.2.840.10008.1.2"
TIMEOUTS = aio.Timeouts(connect=5, acse=5, dimse=10)
STUDY = "1.2.826.0.1.3680043.2.1125.77.1"


def _run(factory: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(factory(), 30))


def _described(path: Path) -> IndexedFile:
    return IndexedFile(inspect_file(path), os.stat(path).st_mtime_ns)


def test_an_unchanged_file_is_sent_as_described(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (path,) = make_files(tmp_path, 1)
    known = _described(path)
    forged = attrs.evolve(known, file=attrs.evolve(known.file, sop_instance_uid="1.2.3.999"))

    def no_reading(_: object) -> None:
        raise AssertionError("the file's head was read again")

    monkeypatch.setattr(qr_scp_store, "inspect_file", no_reading)
    got = instance_of(forged)
    assert isinstance(got, Instance)
    assert got.file.sop_instance_uid == "1.2.3.999"  # the description, not the file


@pytest.mark.parametrize("change", ["mtime", "size"])
def test_a_changed_file_is_inspected_again(tmp_path: Path, change: str) -> None:
    (path,) = make_files(tmp_path, 1)
    known = _described(path)
    head = attrs.evolve(known.file, sop_instance_uid="1.2.3.999")
    if change == "mtime":
        stale = IndexedFile(head, known.mtime_ns - 1)
    else:
        stale = IndexedFile(
            attrs.evolve(head, dataset_length=head.dataset_length + 2), known.mtime_ns
        )
    got = instance_of(stale)
    assert isinstance(got, Instance)
    assert got.file == inspect_file(path)


def test_a_vanished_file_cannot_be_sent(tmp_path: Path) -> None:
    (path,) = make_files(tmp_path, 1)
    known = _described(path)
    path.unlink()
    got = instance_of(known)
    assert isinstance(got, str)
    assert str(path) in got


def test_the_data_set_is_read_in_one_call_and_checked(tmp_path: Path) -> None:
    (path,) = make_files(tmp_path, 1)
    head = inspect_file(path)
    data = path.read_bytes()
    assert qr_scp_store._file_bytes(head) == data[head.dataset_offset :]
    path.write_bytes(data + b"\x00\x00")  # grew since its head was read
    assert "changed" in str(qr_scp_store._file_bytes(head))
    path.write_bytes(data[:-2])  # shrank
    assert "changed" in str(qr_scp_store._file_bytes(head))
    big = attrs.evolve(head, dataset_length=qr_scp_store.READ_WHOLE + 1)
    assert qr_scp_store._file_bytes(big) is None  # streamed from the file instead
    assert qr_scp_store._file_bytes(attrs.evolve(head, dataset_length=0)) == "empty data set"
    path.unlink()
    assert "cannot read" in str(qr_scp_store._file_bytes(head))


async def _get(archive: Archive, client_body: Callable[[Client], Awaitable[Any]]) -> Any:
    scp = QRSCP(archive, connect=functools.partial(aio.connect, timeouts=TIMEOUTS))
    config = qr_acceptor_config("ARCHIVE")
    async with await aio.serve(scp, config, "127.0.0.1", 0, timeouts=TIMEOUTS) as server:
        assoc = await aio.connect("127.0.0.1", server.port, _config(get=True), timeouts=TIMEOUTS)
        async with assoc:
            return await client_body(Client(assoc))


def _get_rq() -> CGetRQ:
    return CGetRQ(message_id=7, affected_sop_class_uid=STUDY_ROOT_QR_GET)


@pytest.mark.parametrize("read_whole", [True, False])
def test_get_sends_files_as_they_are_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_whole: bool
) -> None:
    if not read_whole:
        monkeypatch.setattr(qr_scp_store, "READ_WHOLE", 64)  # every data set streamed
    files = make_files(tmp_path / "archive", 4)
    archive = Archive(tmp_path / "archive")
    # After indexing: one file gets a longer name (size and mtime change), one is rewritten in
    # implicit VR (its transfer syntax changes); the index still describes the old files.
    ds = pydicom.dcmread(files[1])
    ds.PatientName = "Doe^Jane^Changed^After^Indexing"
    ds.save_as(files[1], enforce_file_format=True)
    ds = pydicom.dcmread(files[2])
    ds.file_meta.TransferSyntaxUID = IVLE
    ds.save_as(files[2], enforce_file_format=True)
    os.utime(files[2], ns=(0, 1_000_000_000))  # a different mtime, whatever the clock says

    async def body(client: Client) -> tuple[list[Any], dict[str, bytes], dict[str, str]]:
        responses = await client.call(_get_rq(), _query("STUDY", StudyInstanceUID=STUDY))
        return responses, client.stored, client.stored_ts

    responses, stored, stored_ts = _run(lambda: _get(archive, body))
    assert [r[0].status for r in responses] == [0xFF00] * 3 + [0x0000]
    assert len(stored) == 4
    for path in files:
        part = read_file(path)
        uid = part.dataset.get_value("SOPInstanceUID")
        assert part.transfer_syntax is not None
        if stored_ts[uid] == part.transfer_syntax.uid:  # streamed as is: the file's bytes now
            assert stored[uid] == path.read_bytes()[part.dataset_offset :]
        else:  # re-encoded for the accepted syntax: the same elements as the file now
            implicit = stored_ts[uid] == IVLE
            received = read_dataset(DicomBytesIO(stored[uid]), implicit, True)
            original = pydicom.dcmread(path)
            assert [(e.tag, e.value) for e in received] == [(e.tag, e.value) for e in original]
    assert pydicom.dcmread(files[1]).PatientName == "Doe^Jane^Changed^After^Indexing"


def test_a_file_changed_during_the_get_fails_its_sub_operation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = make_files(tmp_path / "archive", 3)
    archive = Archive(tmp_path / "archive")
    described = qr_scp_retrieve.instance_of
    target = os.path.realpath(files[1])

    def describe_then_truncate(item: Any) -> Any:
        got = described(item)  # checked unchanged and described: then the file is cut short
        if os.fspath(item) == target:
            files[1].write_bytes(files[1].read_bytes()[:-10])
        return got

    monkeypatch.setattr(qr_scp_retrieve, "instance_of", describe_then_truncate)

    async def body(client: Client) -> tuple[list[Any], dict[str, bytes]]:
        responses = await client.call(_get_rq(), _query("STUDY", StudyInstanceUID=STUDY))
        return responses, client.stored

    responses, stored = _run(lambda: _get(archive, body))
    final, identifier = responses[-1]
    assert isinstance(final, CGetRSP)
    assert final.status == 0xB000  # some sub-operations failed
    assert (final.number_of_completed_sub_operations, final.number_of_failed_sub_operations) == (
        2,
        1,
    )
    bad = pydicom.dcmread(files[1], stop_before_pixels=True).SOPInstanceUID
    assert bad not in stored
    assert identifier is not None
    assert identifier.get_value("FailedSOPInstanceUIDList") == bad


def test_each_pending_response_follows_the_next_store(tmp_path: Path) -> None:
    make_files(tmp_path / "archive", 4)
    archive = Archive(tmp_path / "archive")

    async def body(client: Client) -> tuple[list[Any], list[int]]:
        seen: list[int] = []

        async def on_pending(_: int) -> None:
            seen.append(len(client.stored))

        responses = await client.call(
            _get_rq(), _query("STUDY", StudyInstanceUID=STUDY), on_pending=on_pending
        )
        return responses, seen

    responses, stores_seen = _run(lambda: _get(archive, body))
    counts = [
        (r.number_of_remaining_sub_operations, r.number_of_completed_sub_operations)
        for r, _ in responses
    ]
    assert counts == [(3, 1), (2, 2), (1, 3), (None, 4)]
    assert stores_seen == [2, 3, 4]  # C-STORE-RQ n+1 arrived before the Pending of n
