"""C-STORE into the Q/R SCP's sink (PS3.4 B.2): stored, indexed, found by the next C-FIND.

Over real asyncio associations (our Storage SCU, raw DIMSE from our transport) into an
:class:`~dicomnet.archive.Archive` sink, and over a scripted channel for the corner cases: an
association that ends mid-object leaves no file, a context where the requestor is not SCU and a
SOP class that differs from the context's are refused with 0x0122, a sink that fails gives 0xA700.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset

from dicomnet.acse import (
    AcceptedContext,
    NegotiatedAssociation,
    ProposedContext,
    RequestorConfig,
    RoleSelection,
)
from dicomnet.archive import Archive
from dicomnet.association import Aborted, Closed, DatasetFragment, MessageReceived
from dicomnet.dimse import CFindRQ, CStoreRQ, CStoreRSP, DimseMessage
from dicomnet.samples import generate_study
from dicomnet.services.qr_scp import QRSCP, qr_acceptor_config
from dicomnet.services.storage_scu import StorageSCUOptions, astore
from dicomnet.services.store import StoreRequest
from dicomnet.transport import aio
from dicomnet.uid import STUDY_ROOT_QR_FIND

from .test_qr_scp import Client, _query

EVLE = "1.2.840.10008.1.2.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
TIMEOUTS = aio.Timeouts(connect=5, acse=5, dimse=10)


def _run(factory: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(factory(), 30))


@pytest.fixture
def incoming(tmp_path: Path) -> list[Path]:
    """Three CT images of one new study, outside the archive folder."""
    out = tmp_path / "incoming"
    generate_study(out, series_per_study=1, images_per_series=3, rows=16, columns=16, seed=7)
    return sorted(out.iterdir())


def _uids(path: Path) -> tuple[str, str]:
    """Study and Series Instance UIDs."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)


async def _serve(archive: Archive, body: Callable[[int], Awaitable[Any]], **config: Any) -> Any:
    scp = QRSCP(archive, ae_title="ARCHIVE", sink=archive.storage_sink())
    acceptor = qr_acceptor_config("ARCHIVE", **config)
    async with await aio.serve(scp, acceptor, "127.0.0.1", 0, timeouts=TIMEOUTS) as server:
        return await body(server.port)


def test_storescu_into_the_archive_then_find(tmp_path: Path, incoming: list[Path]) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    archive = Archive(folder)

    async def body(port: int) -> tuple[list[Any], list[Any]]:
        connect = functools.partial(aio.connect, "127.0.0.1", port, timeouts=TIMEOUTS)
        outcomes = await astore(connect, incoming, StorageSCUOptions(called_ae_title="ARCHIVE"))
        config = RequestorConfig(
            calling_ae_title="QRSCU",
            called_ae_title="ARCHIVE",
            presentation_contexts=(ProposedContext(STUDY_ROOT_QR_FIND, (EVLE,)),),
        )
        async with await aio.connect("127.0.0.1", port, config, timeouts=TIMEOUTS) as assoc:
            find = CFindRQ(message_id=1, affected_sop_class_uid=STUDY_ROOT_QR_FIND)
            study, series = _uids(incoming[0])
            query = _query(
                "IMAGE", StudyInstanceUID=study, SeriesInstanceUID=series, SOPInstanceUID=""
            )
            responses = await Client(assoc).call(find, query)
        return outcomes, responses

    # Stores with only the storage contexts (no C-GET role contexts at all).
    outcomes, responses = _run(lambda: _serve(archive, body, get=(), storage=True))
    assert [o.status for o in outcomes] == [0, 0, 0]
    expected = {str(pydicom.dcmread(p).SOPInstanceUID) for p in incoming}
    found = {ds.get_value("SOPInstanceUID") for _, ds in responses if ds is not None}
    assert found == expected
    stored = {str(pydicom.dcmread(p).SOPInstanceUID): p for p in folder.rglob("*") if p.is_file()}
    assert set(stored) == expected
    for path in incoming:
        sent = pydicom.dcmread(path)
        got = pydicom.dcmread(stored[str(sent.SOPInstanceUID)])
        assert {e.tag for e in got} == {e.tag for e in sent}
        for elem in sent:
            assert got[elem.tag].value == elem.value


def test_without_storage_or_get_the_storage_classes_are_not_accepted() -> None:
    config = qr_acceptor_config("ARCHIVE", get=())
    assert CT not in {c.abstract_syntax for c in config.supported_contexts}
    with_store = qr_acceptor_config("ARCHIVE", get=(), storage=True)
    ct = [c for c in with_store.supported_contexts if c.abstract_syntax == CT]
    assert len(ct) == 1
    assert ct[0].scu_role
    assert not ct[0].scp_role
    both = qr_acceptor_config("ARCHIVE", storage=True)
    ct = [c for c in both.supported_contexts if c.abstract_syntax == CT]
    assert len(ct) == 1
    assert ct[0].scu_role
    assert ct[0].scp_role


@pytest.mark.parametrize(("scu", "scp"), [(True, True), (False, True)], ids=["both", "scp-only"])
def test_roles_on_one_abstract_syntax_in_two_contexts(
    tmp_path: Path, incoming: list[Path], scu: bool, scp: bool
) -> None:
    """Role selection is per SOP class (PS3.7 D.3.3.4): it applies to every context of CT.

    SCU and SCP both: a C-STORE-RQ from the requestor is stored on either context (and a C-GET
    could store back); SCP only: the requestor may not send one (our SCU refuses to).
    """
    folder = tmp_path / "archive"
    folder.mkdir()
    archive = Archive(folder)
    sop_class = str(pydicom.dcmread(incoming[0]).SOPClassUID)
    data = _dataset_bytes(incoming[0])

    async def body(port: int) -> tuple[list[tuple[bool, bool]], list[int]]:
        config = RequestorConfig(
            calling_ae_title="SCU",
            called_ae_title="ARCHIVE",
            presentation_contexts=(ProposedContext(sop_class, (EVLE,)),) * 2,
            role_selections=(RoleSelection(sop_class, scu_role=scu, scp_role=scp),),
        )
        statuses: list[int] = []
        async with await aio.connect("127.0.0.1", port, config, timeouts=TIMEOUTS) as assoc:
            negotiated = assoc.negotiated
            assert negotiated is not None
            contexts = sorted(negotiated.accepted.values(), key=lambda c: c.context_id)
            roles = [(c.requestor_is_scu, c.requestor_is_scp) for c in contexts]
            if contexts[0].requestor_is_scu:
                for n, context in enumerate(contexts):
                    rq = CStoreRQ(
                        message_id=n + 1,
                        affected_sop_class_uid=sop_class,
                        affected_sop_instance_uid="1.2.9",
                    )
                    await assoc.send(rq, context_id=context.context_id, dataset=data)
                    async for event in assoc.events():
                        if isinstance(event, MessageReceived):
                            assert isinstance(event.message, CStoreRSP)
                            statuses.append(event.message.status)
                            break
        return roles, statuses

    roles, statuses = _run(lambda: _serve(archive, body, storage=True))
    assert roles == [(scu, scp)] * 2
    assert statuses == ([0, 0] if scu else [])
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) == (1 if scu else 0)


class _Channel:
    """A scripted association: the events given, then Aborted/Closed; what is sent is kept."""

    def __init__(self, events: list[Any], *, requestor_is_scu: bool = True) -> None:
        self.negotiated = NegotiatedAssociation(
            local_is_requestor=False,
            calling_ae_title="SCU",
            called_ae_title="ARCHIVE",
            accepted={
                1: AcceptedContext(
                    context_id=1,
                    abstract_syntax=CT,
                    transfer_syntax=EVLE,
                    requestor_is_scu=requestor_is_scu,
                    requestor_is_scp=not requestor_is_scu,
                )
            },
        )
        self.peer_address = ("127.0.0.1", 1)
        self.events = list(events)
        self.sent: list[DimseMessage] = []

    def next_message_id(self) -> int:
        return 1

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        self.sent.append(message)

    async def next_event(self) -> Any:
        return self.events.pop(0) if self.events else None

    def next_event_nowait(self) -> Any:
        return None


def _store_events(data: bytes, *, sop_class: str = CT, complete: bool = True) -> list[Any]:
    rq = CStoreRQ(message_id=5, affected_sop_class_uid=sop_class, affected_sop_instance_uid="1.2.9")
    half = len(data) // 2
    events: list[Any] = [
        MessageReceived(1, rq, True),
        DatasetFragment(1, memoryview(data[:half]), False),
    ]
    if complete:
        events.append(DatasetFragment(1, memoryview(data[half:]), True))
    return [*events, Aborted(0, 0, True, "gone"), Closed()]


def _dataset_bytes(path: Path) -> bytes:
    ds = pydicom.dcmread(path)
    ds.SOPInstanceUID = "1.2.9"
    out = DicomBytesIO()
    out.is_little_endian, out.is_implicit_VR = True, False
    write_dataset(out, ds)
    return out.getvalue()


def test_abort_mid_object_leaves_no_file(tmp_path: Path, incoming: list[Path]) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    archive = Archive(folder)
    data = _dataset_bytes(incoming[0])
    channel = _Channel(_store_events(data, complete=False))
    # Named temporary files (not O_TMPFILE): a writer left open would show in the folder.
    scp = QRSCP(archive, sink=archive.storage_sink(unnamed_temp_files=False))
    asyncio.run(scp(channel))  # type: ignore[arg-type]
    assert channel.sent == []
    assert [p for p in folder.rglob("*") if p.is_file()] == []
    assert scp.receiver.stored == 0

    # The same object, whole, is stored, indexed and answered with success.
    channel = _Channel(_store_events(data))
    asyncio.run(scp(channel))  # type: ignore[arg-type]
    assert [(type(m), getattr(m, "status", None)) for m in channel.sent] == [(CStoreRSP, 0)]
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert [str(pydicom.dcmread(p).SOPInstanceUID) for p in files] == ["1.2.9"]
    assert scp.receiver.stored == 1


@pytest.mark.parametrize(
    ("requestor_is_scu", "sop_class"), [(False, CT), (True, MR)], ids=["role", "sop-class"]
)
def test_refused_c_store_is_0122_and_stores_nothing(
    tmp_path: Path, incoming: list[Path], requestor_is_scu: bool, sop_class: str
) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    archive = Archive(folder)
    channel = _Channel(
        _store_events(_dataset_bytes(incoming[0]), sop_class=sop_class),
        requestor_is_scu=requestor_is_scu,
    )
    asyncio.run(QRSCP(archive, sink=archive.storage_sink())(channel))  # type: ignore[arg-type]
    assert [getattr(m, "status", None) for m in channel.sent] == [0x0122]
    assert [p for p in folder.rglob("*") if p.is_file()] == []


def test_sink_failure_is_a700_and_the_association_goes_on(
    tmp_path: Path, incoming: list[Path]
) -> None:
    class Broken:
        def open(self, request: StoreRequest) -> Any:
            raise OSError("disk full")

    data = _dataset_bytes(incoming[0])
    events = _store_events(data)[:-2] + _store_events(data)
    channel = _Channel(events)
    archive = Archive(tmp_path)
    asyncio.run(QRSCP(archive, sink=Broken())(channel))  # type: ignore[arg-type]
    assert [getattr(m, "status", None) for m in channel.sent] == [0xA700, 0xA700]


def test_without_a_sink_c_store_is_refused(tmp_path: Path, incoming: list[Path]) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    channel = _Channel(_store_events(_dataset_bytes(incoming[0])))
    scp = QRSCP(Archive(folder))
    asyncio.run(scp(channel))  # type: ignore[arg-type]
    assert [getattr(m, "status", None) for m in channel.sent] == [0x0122]
    assert scp.receiver.failed == 1
    assert [p for p in folder.rglob("*") if p.is_file()] == []
