"""The Q/R SCP handler over real asyncio associations, driven by raw DIMSE from our transport.

C-FIND, C-MOVE (to our own Storage SCP) and C-GET; cancels between pending responses and
sub-operations; unknown and refusing move destinations; an application that raises; a peer that
aborts between sub-operations.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.filereader import read_dataset as py_read_dataset

from dicomnet.acse import ProposedContext, RequestorConfig, RoleSelection
from dicomnet.association import Aborted, Closed, DatasetFragment, MessageReceived
from dicomnet.dataset import Dataset, WriteOptions, read_dataset, write_dataset
from dicomnet.dimse import (
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    CFindRQ,
    CGetRQ,
    CMoveRQ,
    CStoreRQ,
    CStoreRSP,
    DimseMessage,
    StatusCategory,
    category_of,
)
from dicomnet.services.qr_scp import (
    CANCEL,
    IDENTIFIER_DOES_NOT_MATCH,
    MOVE_DESTINATION_UNKNOWN,
    QRSCP,
    SUB_OPERATIONS_FAILED,
    SUB_OPERATIONS_WARNING,
    UNABLE_TO_PROCESS,
    qr_acceptor_config,
)
from dicomnet.services.storage_scp import StorageSCP, storage_acceptor_config
from dicomnet.services.store import MemorySink
from dicomnet.transport import aio
from dicomnet.uid import (
    PATIENT_ROOT_QR_FIND,
    STUDY_ROOT_QR_FIND,
    STUDY_ROOT_QR_GET,
    STUDY_ROOT_QR_MOVE,
    VERIFICATION_SOP_CLASS,
)

from .test_qr_scp_support import CT, FolderArchive, make_files

EVLE = "1.2.840.10008.1.2.1"
IVLE = "1.2.840.10008.1.2"
TIMEOUTS = aio.Timeouts(connect=5, acse=5, dimse=10)
Response = tuple[DimseMessage, Dataset | None]


def _run(factory: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(factory(), 30))


def _query(level: str = "STUDY", **keys: str) -> Dataset:
    ds = Dataset()
    ds.set("QueryRetrieveLevel", level)
    for keyword, value in keys.items():
        ds.set(keyword, value)
    return ds


def _config(*, get: bool = False, ts: str = EVLE) -> RequestorConfig:
    contexts = [
        ProposedContext(uid, (ts,))
        for uid in (VERIFICATION_SOP_CLASS, STUDY_ROOT_QR_FIND, PATIENT_ROOT_QR_FIND)
    ]
    contexts.append(ProposedContext(STUDY_ROOT_QR_MOVE, (ts,)))
    roles: list[RoleSelection] = []
    if get:
        contexts += [ProposedContext(STUDY_ROOT_QR_GET, (ts,)), ProposedContext(CT, (IVLE, EVLE))]
        roles.append(RoleSelection(CT, scu_role=False, scp_role=True))
    return RequestorConfig(
        calling_ae_title="QRSCU",
        called_ae_title="ARCHIVE",
        presentation_contexts=tuple(contexts),
        role_selections=tuple(roles),
    )


class Client:
    """Raw DIMSE over an AsyncAssociation: sends a request and reads responses to the end."""

    def __init__(self, assoc: aio.AsyncAssociation) -> None:
        self.assoc = assoc
        self.stored: dict[str, bytes] = {}
        self.stored_ts: dict[str, str] = {}

    def context(self, sop_class: str) -> int:
        negotiated = self.assoc.negotiated
        assert negotiated is not None
        cx = negotiated.context_for(sop_class)
        assert cx is not None, sop_class
        return cx.context_id

    async def call(
        self,
        message: CFindRQ | CMoveRQ | CGetRQ,
        identifier: Dataset | bytes,
        *,
        on_pending: Callable[[int], Awaitable[None]] | None = None,
        store_status: int = 0x0000,
        abort_after_stores: int | None = None,
    ) -> list[Response]:
        cid = self.context(message.affected_sop_class_uid)
        data = (
            identifier
            if isinstance(identifier, bytes)
            else write_dataset(identifier, WriteOptions(transfer_syntax=EVLE))
        )
        await self.assoc.send(message, context_id=cid, dataset=data)
        responses: list[Response] = []
        current: MessageReceived | None = None
        buf = bytearray()
        async for event in self.assoc.events():
            if isinstance(event, (Aborted, Closed)):
                raise AssertionError(f"association ended: {event!r}")
            if isinstance(event, MessageReceived):
                current, buf = event, bytearray()
                if event.has_dataset:
                    continue
            elif isinstance(event, DatasetFragment):
                buf += event.data
                if not event.last:
                    continue
            else:
                continue
            assert current is not None
            msg = current.message
            if isinstance(msg, CStoreRQ):
                self.stored[msg.affected_sop_instance_uid] = bytes(buf)
                negotiated = self.assoc.negotiated
                assert negotiated is not None
                ts = negotiated.accepted[current.context_id].transfer_syntax
                self.stored_ts[msg.affected_sop_instance_uid] = ts
                if abort_after_stores is not None and len(self.stored) >= abort_after_stores:
                    await self.assoc.abort()
                    return responses
                rsp = CStoreRSP(
                    message_id_being_responded_to=msg.message_id,
                    status=store_status,
                    affected_sop_class_uid=msg.affected_sop_class_uid,
                    affected_sop_instance_uid=msg.affected_sop_instance_uid,
                )
                await self.assoc.send(rsp, context_id=current.context_id)
                continue
            ds = read_dataset(bytes(buf), EVLE) if current.has_dataset else None
            responses.append((msg, ds))
            status = getattr(msg, "status", 0)
            if category_of(status) != StatusCategory.PENDING:
                return responses
            if on_pending is not None:
                await on_pending(len(responses))
        raise AssertionError("no final response")


async def _with_scp(
    archive: FolderArchive,
    body: Callable[[Client], Awaitable[Any]],
    *,
    get: bool = False,
    done: asyncio.Event | None = None,
) -> Any:
    scp = QRSCP(
        archive, connect=functools.partial(aio.connect, timeouts=TIMEOUTS), ae_title="ARCHIVE"
    )

    async def handler(assoc: aio.AsyncAssociation) -> None:
        try:
            await scp(assoc)
        finally:
            if done is not None:
                done.set()

    async with await aio.serve(
        handler, qr_acceptor_config("ARCHIVE"), "127.0.0.1", 0, timeouts=TIMEOUTS
    ) as server:
        assoc = await aio.connect("127.0.0.1", server.port, _config(get=get), timeouts=TIMEOUTS)
        async with assoc:
            return await body(Client(assoc))


async def _echo(client: Client) -> int:
    await client.assoc.send(
        CEchoRQ(message_id=99), context_id=client.context(VERIFICATION_SOP_CLASS)
    )
    rsp = (await client.assoc.receive_message()).message
    assert isinstance(rsp, CEchoRSP)
    return rsp.status


def _find(mid: int = 1) -> CFindRQ:
    return CFindRQ(message_id=mid, affected_sop_class_uid=STUDY_ROOT_QR_FIND)


def _move(destination: str, mid: int = 1) -> CMoveRQ:
    return CMoveRQ(
        message_id=mid, affected_sop_class_uid=STUDY_ROOT_QR_MOVE, move_destination=destination
    )


# --- C-FIND -----------------------------------------------------------------------------------


def test_find_streams_one_pending_response_per_match(tmp_path: Path) -> None:
    files = make_files(tmp_path / "a", 3, patient="PID-1", study=1)
    files += make_files(tmp_path / "b", 2, patient="PID-2", study=2)
    archive = FolderArchive(files)

    async def body(client: Client) -> list[Response]:
        query = _query("STUDY", PatientID="PID-*", StudyInstanceUID="", StudyDescription="")
        return await client.call(_find(), query)

    responses = _run(lambda: _with_scp(archive, body))
    assert [r[0].status for r in responses] == [0xFF00, 0xFF00, 0x0000]  # type: ignore[union-attr]
    studies = sorted(str(ds.get_value("StudyInstanceUID")) for _, ds in responses[:2] if ds)
    assert studies == ["1.2.826.0.1.3680043.2.1125.77.1", "1.2.826.0.1.3680043.2.1125.77.2"]
    for _, ds in responses[:2]:
        assert ds is not None
        assert ds.get_value("QueryRetrieveLevel") == "STUDY"
        assert ds.get_value("StudyDescription") == "qr scp test"
    assert responses[-1][1] is None  # no identifier in the final response
    assert archive.requests[0].calling_ae_title == "QRSCU"
    assert archive.requests[0].sop_class_uid == STUDY_ROOT_QR_FIND


def test_find_no_match_is_a_bare_success(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 2))

    async def body(client: Client) -> list[Response]:
        return await client.call(_find(), _query("STUDY", PatientID="NOBODY"))

    responses = _run(lambda: _with_scp(archive, body))
    assert len(responses) == 1
    assert responses[0][0].status == 0x0000


def test_find_cancel_between_pending_responses(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 20), slow=0.01)

    async def body(client: Client) -> list[Response]:
        async def cancel(count: int) -> None:
            if count == 1:
                await client.assoc.send(
                    CCancelRQ(message_id_being_responded_to=5),
                    context_id=client.context(STUDY_ROOT_QR_FIND),
                )

        responses = await client.call(
            _find(5), _query("IMAGE", SOPInstanceUID=""), on_pending=cancel
        )
        assert await _echo(client) == 0x0000  # the association goes on
        return responses

    responses = _run(lambda: _with_scp(archive, body))
    assert responses[-1][0].status == CANCEL  # type: ignore[union-attr]
    assert 1 <= len(responses) - 1 < 20


def test_find_application_failure_is_unable_to_process(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 4), fail_after=2)

    async def body(client: Client) -> list[Response]:
        responses = await client.call(_find(), _query("IMAGE", SOPInstanceUID=""))
        assert await _echo(client) == 0x0000
        return responses

    responses = _run(lambda: _with_scp(archive, body))
    final = responses[-1][0]
    assert [r[0].status for r in responses[:-1]] == [0xFF00, 0xFF00]  # type: ignore[union-attr]
    assert final.status == UNABLE_TO_PROCESS  # type: ignore[union-attr]
    assert "archive index unavailable" in (final.error_comment or "")  # type: ignore[union-attr]


def test_find_undecodable_identifier_is_refused(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 1))

    async def body(client: Client) -> list[Response]:
        return await client.call(_find(), b"\x08\x00\x52\x00CS\xff\x7f")

    responses = _run(lambda: _with_scp(archive, body))
    assert responses[-1][0].status == IDENTIFIER_DOES_NOT_MATCH  # type: ignore[union-attr]
    assert archive.requests == []


# --- C-MOVE -----------------------------------------------------------------------------------


async def _with_destination(
    body: Callable[[int, MemorySink], Awaitable[Any]], *, ae_title: str = "DEST"
) -> Any:
    sink = MemorySink()
    config = storage_acceptor_config(ae_title, require_called_ae_title=True)
    async with await aio.serve(StorageSCP(sink), config, "127.0.0.1", 0) as server:
        return await body(server.port, sink)


def test_move_sends_over_one_association_with_pending_counts(tmp_path: Path) -> None:
    files = make_files(tmp_path, 4)

    async def body(port: int, sink: MemorySink) -> tuple[list[Response], MemorySink]:
        archive = FolderArchive(files, {"DEST": ("127.0.0.1", port)})
        responses = await _with_scp(
            archive, lambda c: c.call(_move("DEST"), _query("STUDY", StudyInstanceUID="*"))
        )
        return responses, sink

    responses, sink = _run(lambda: _with_destination(body))
    statuses = [r[0].status for r in responses]  # type: ignore[union-attr]
    assert statuses == [0xFF00] * 3 + [0x0000]
    remaining = [r[0].number_of_remaining_sub_operations for r in responses]  # type: ignore[union-attr]
    completed = [r[0].number_of_completed_sub_operations for r in responses]  # type: ignore[union-attr]
    assert remaining == [3, 2, 1, None]
    assert completed == [1, 2, 3, 4]
    assert responses[-1][1] is None
    assert len(sink.received) == 4
    for path in files:
        original = pydicom.dcmread(path)
        stored = _stored_dataset(sink, original.SOPInstanceUID)
        for elem in original:
            assert stored[elem.tag].value == elem.value


def _stored_dataset(sink: MemorySink, uid: str) -> pydicom.Dataset:
    for request, data in sink.received:
        if request.sop_instance_uid == uid:
            assert request.calling_ae_title == "ARCHIVE"
            assert request.move_originator_ae_title == "QRSCU"
            assert request.move_originator_message_id == 1
            implicit = request.transfer_syntax_uid == IVLE
            return py_read_dataset(BytesIO(data), implicit, True)
    raise AssertionError(f"{uid} not stored")


def test_move_unknown_destination_is_a801(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 2))

    async def body(client: Client) -> list[Response]:
        responses = await client.call(_move("NOWHERE"), _query("STUDY", StudyInstanceUID="*"))
        assert await _echo(client) == 0x0000
        return responses

    responses = _run(lambda: _with_scp(archive, body))
    ((final, ds),) = responses
    assert final.status == MOVE_DESTINATION_UNKNOWN  # type: ignore[union-attr]
    assert "NOWHERE" in (final.error_comment or "")  # type: ignore[union-attr]
    assert ds is None


def test_move_destination_refusing_fails_every_sub_operation(tmp_path: Path) -> None:
    files = make_files(tmp_path, 3)

    async def body(port: int, sink: MemorySink) -> list[Response]:
        # The destination only answers to "DEST"; we call it "OTHER": it rejects the association.
        archive = FolderArchive(files, {"OTHER": ("127.0.0.1", port)})
        return await _with_scp(
            archive, lambda c: c.call(_move("OTHER"), _query("STUDY", StudyInstanceUID="*"))
        )

    responses = _run(lambda: _with_destination(body))
    ((final, ds),) = responses
    assert final.status == SUB_OPERATIONS_FAILED  # type: ignore[union-attr]
    assert final.number_of_failed_sub_operations == 3  # type: ignore[union-attr]
    assert final.number_of_completed_sub_operations == 0  # type: ignore[union-attr]
    assert "Rejected" in (final.error_comment or "")  # type: ignore[union-attr]
    assert ds is not None
    assert sorted(ds.get_value("FailedSOPInstanceUIDList")) == sorted(
        pydicom.dcmread(p).SOPInstanceUID for p in files
    )


def test_move_unreachable_destination_fails_every_sub_operation(tmp_path: Path) -> None:
    from tests.peers import free_port

    archive = FolderArchive(make_files(tmp_path, 2), {"DEST": ("127.0.0.1", free_port())})

    async def body(client: Client) -> list[Response]:
        return await client.call(_move("DEST"), _query("STUDY", StudyInstanceUID="*"))

    ((final, ds),) = _run(lambda: _with_scp(archive, body))
    assert final.status == SUB_OPERATIONS_FAILED  # type: ignore[union-attr]
    assert final.number_of_failed_sub_operations == 2  # type: ignore[union-attr]
    assert ds is not None
    assert len(ds.get_value("FailedSOPInstanceUIDList")) == 2


def test_move_with_a_bad_item_is_a_warning_with_the_failed_list(tmp_path: Path) -> None:
    files = make_files(tmp_path / "ok", 2)
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"not dicom at all" * 10)
    bad = Dataset()
    bad.set("SOPClassUID", CT)
    bad.set("SOPInstanceUID", "1.2.3.999")
    bad.set("PixelData", b"\x00\x01", "OB")  # no pixel module: the destination still stores it

    async def body(port: int, sink: MemorySink) -> list[Response]:
        archive = FolderArchive(files, {"DEST": ("127.0.0.1", port)}, bad_items=[str(junk), bad])
        return await _with_scp(
            archive, lambda c: c.call(_move("DEST"), _query("STUDY", StudyInstanceUID="*"))
        )

    responses = _run(lambda: _with_destination(body))
    final, ds = responses[-1]
    assert final.status == SUB_OPERATIONS_WARNING  # type: ignore[union-attr]
    assert final.number_of_completed_sub_operations == 3  # type: ignore[union-attr]
    assert final.number_of_failed_sub_operations == 1  # type: ignore[union-attr]
    # the junk file has no SOP Instance UID to list; the Dataset item went through
    assert ds is None


def test_move_cancel_between_sub_operations(tmp_path: Path) -> None:
    files = make_files(tmp_path, 30)

    async def body(port: int, sink: MemorySink) -> list[Response]:
        archive = FolderArchive(files, {"DEST": ("127.0.0.1", port)})

        async def run(client: Client) -> list[Response]:
            async def cancel(count: int) -> None:
                if count == 1:
                    await client.assoc.send(
                        CCancelRQ(message_id_being_responded_to=3),
                        context_id=client.context(STUDY_ROOT_QR_MOVE),
                    )

            query = _query("STUDY", StudyInstanceUID="*")
            responses = await client.call(_move("DEST", 3), query, on_pending=cancel)
            assert await _echo(client) == 0x0000
            return responses

        return await _with_scp(archive, run)

    responses = _run(lambda: _with_destination(body))
    final = responses[-1][0]
    assert final.status == CANCEL  # type: ignore[union-attr]
    done = final.number_of_completed_sub_operations  # type: ignore[union-attr]
    remaining = final.number_of_remaining_sub_operations  # type: ignore[union-attr]
    assert done is not None
    assert remaining is not None
    assert done >= 1
    assert remaining >= 1
    assert done + remaining == 30


# --- C-GET ------------------------------------------------------------------------------------


def _get(mid: int = 1) -> CGetRQ:
    return CGetRQ(message_id=mid, affected_sop_class_uid=STUDY_ROOT_QR_GET)


def test_get_sends_the_instances_back_on_the_same_association(tmp_path: Path) -> None:
    files = make_files(tmp_path, 3)
    archive = FolderArchive(files)

    async def body(client: Client) -> tuple[list[Response], Client]:
        responses = await client.call(_get(), _query("STUDY", StudyInstanceUID="*"))
        return responses, client

    responses, client = _run(lambda: _with_scp(archive, body, get=True))
    assert [r[0].status for r in responses] == [0xFF00, 0xFF00, 0x0000]  # type: ignore[union-attr]
    assert responses[-1][0].number_of_completed_sub_operations == 3  # type: ignore[union-attr]
    for path in files:
        original = pydicom.dcmread(path)
        uid = original.SOPInstanceUID
        assert client.stored_ts[uid] == EVLE  # the acceptor's choice: streamed as is
        ds = read_dataset(client.stored[uid], EVLE)
        assert ds.get_value("PatientID") == original.PatientID
        assert bytes(ds.get_value("PixelData")) == original.PixelData


def test_get_store_failures_give_a702_with_the_failed_list(tmp_path: Path) -> None:
    files = make_files(tmp_path, 2)
    archive = FolderArchive(files)

    async def body(client: Client) -> list[Response]:
        return await client.call(_get(), _query("STUDY", StudyInstanceUID="*"), store_status=0xA700)

    responses = _run(lambda: _with_scp(archive, body, get=True))
    final, ds = responses[-1]
    assert final.status == SUB_OPERATIONS_FAILED  # type: ignore[union-attr]
    assert final.number_of_failed_sub_operations == 2  # type: ignore[union-attr]
    assert ds is not None
    assert sorted(ds.get_value("FailedSOPInstanceUIDList")) == sorted(
        pydicom.dcmread(p).SOPInstanceUID for p in files
    )


def test_get_without_storage_role_fails_the_sub_operations(tmp_path: Path) -> None:
    files = make_files(tmp_path, 2)
    archive = FolderArchive(files)

    async def body(client: Client) -> list[Response]:
        return await client.call(_get(), _query("STUDY", StudyInstanceUID="*"))

    async def run() -> list[Response]:
        scp = QRSCP(archive)
        async with await aio.serve(
            scp, qr_acceptor_config("ARCHIVE"), "127.0.0.1", 0, timeouts=TIMEOUTS
        ) as server:
            config = RequestorConfig(
                calling_ae_title="QRSCU",
                called_ae_title="ARCHIVE",
                presentation_contexts=(ProposedContext(STUDY_ROOT_QR_GET, (EVLE,)),),
            )
            async with await aio.connect("127.0.0.1", server.port, config, timeouts=TIMEOUTS) as a:
                return await Client(a).call(_get(), _query("STUDY", StudyInstanceUID="*"))

    responses = _run(run)
    assert responses[-1][0].status == SUB_OPERATIONS_FAILED  # type: ignore[union-attr]


def test_get_peer_abort_between_sub_operations_ends_the_handler(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 10))
    done = asyncio.Event()

    async def run() -> bool:
        async def body(client: Client) -> None:
            await client.call(_get(), _query("STUDY", StudyInstanceUID="*"), abort_after_stores=2)
            await asyncio.wait_for(done.wait(), 5)

        await _with_scp(archive, body, get=True, done=done)
        return done.is_set()

    assert _run(run)


def test_move_peer_abort_aborts_the_sub_association(tmp_path: Path) -> None:
    files = make_files(tmp_path, 40)
    done = asyncio.Event()

    async def body(port: int, sink: MemorySink) -> int:
        archive = FolderArchive(files, {"DEST": ("127.0.0.1", port)})

        async def run(client: Client) -> None:
            async def abort(count: int) -> None:
                if count == 2:
                    await client.assoc.abort()

            with pytest.raises((AssertionError, Exception)):
                await client.call(
                    _move("DEST"), _query("STUDY", StudyInstanceUID="*"), on_pending=abort
                )
            await asyncio.wait_for(done.wait(), 5)

        await _with_scp(archive, run, done=done)
        return len(sink.received)

    stored = _run(lambda: _with_destination(body))
    assert done.is_set()
    assert 2 <= stored < 40


class _RaisingArchive(FolderArchive):
    """Its retrieve fails after listing two instances; its destination lookup fails too."""

    async def retrieve(self, request: Any) -> Any:  # type: ignore[override]
        for count, (path, _) in enumerate(self.records):
            if count == 2:
                raise OSError("archive disk went away")
            yield str(path)

    def resolve_move_destination(self, ae_title: str) -> tuple[str, int] | None:
        if ae_title == "BROKEN":
            raise KeyError("directory service down")
        return ("127.0.0.1", 9)


@pytest.mark.parametrize(("destination", "comment"), [("DEST", "disk"), ("BROKEN", "directory")])
def test_move_application_raising_is_unable_to_process(
    tmp_path: Path, destination: str, comment: str
) -> None:
    archive = _RaisingArchive(make_files(tmp_path, 4))

    async def body(client: Client) -> list[Response]:
        responses = await client.call(_move(destination), _query("STUDY", StudyInstanceUID=""))
        assert await _echo(client) == 0x0000  # the association survives
        return responses

    ((final, _),) = _run(lambda: _with_scp(archive, body))
    assert final.status == UNABLE_TO_PROCESS  # type: ignore[union-attr]
    assert comment in (final.error_comment or "")  # type: ignore[union-attr]


def test_get_cancel_between_sub_operations(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 30))

    async def body(client: Client) -> tuple[list[Response], int]:
        async def cancel(count: int) -> None:
            if count == 1:
                await client.assoc.send(
                    CCancelRQ(message_id_being_responded_to=4),
                    context_id=client.context(STUDY_ROOT_QR_GET),
                )

        query = _query("STUDY", StudyInstanceUID="")
        responses = await client.call(_get(4), query, on_pending=cancel)
        assert await _echo(client) == 0x0000
        return responses, len(client.stored)

    responses, stored = _run(lambda: _with_scp(archive, body, get=True))
    final = responses[-1][0]
    assert final.status == CANCEL  # type: ignore[union-attr]
    completed = final.number_of_completed_sub_operations  # type: ignore[union-attr]
    remaining = final.number_of_remaining_sub_operations  # type: ignore[union-attr]
    assert completed == stored
    assert remaining is not None
    assert remaining >= 1
    assert completed + remaining == 30


def test_move_without_a_connector_is_unable_to_process(tmp_path: Path) -> None:
    archive = FolderArchive(make_files(tmp_path, 1), {"DEST": ("127.0.0.1", 9)})

    async def run() -> list[Response]:
        async with (
            await aio.serve(
                QRSCP(archive), qr_acceptor_config("ARCHIVE"), "127.0.0.1", 0, timeouts=TIMEOUTS
            ) as server,
            await aio.connect("127.0.0.1", server.port, _config(), timeouts=TIMEOUTS) as assoc,
        ):
            client = Client(assoc)
            responses = await client.call(_move("DEST"), _query("STUDY", StudyInstanceUID=""))
            assert await _echo(client) == 0x0000
            return responses

    ((final, _),) = _run(run)
    assert final.status == UNABLE_TO_PROCESS  # type: ignore[union-attr]
    assert "connect" in (final.error_comment or "")  # type: ignore[union-attr]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.binary(min_size=1, max_size=120), min_size=1, max_size=8))
def test_hostile_identifiers_get_a_final_response_each(tmp_path: Path, blobs: list[bytes]) -> None:
    archive = FolderArchive(make_files(tmp_path / f"h{len(blobs)}", 1))

    async def body(client: Client) -> list[int]:
        finals = []
        for mid, blob in enumerate(blobs, start=1):
            message = _find(mid) if mid % 2 else _get(mid)
            responses = await client.call(message, blob)
            finals.append(responses[-1][0].status)  # type: ignore[union-attr]
        assert await _echo(client) == 0x0000
        return finals

    finals = _run(lambda: _with_scp(archive, body, get=True))
    assert len(finals) == len(blobs)
    for status in finals:
        assert category_of(status) is not StatusCategory.PENDING
