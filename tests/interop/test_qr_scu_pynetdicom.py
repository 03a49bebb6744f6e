"""Our C-FIND/C-MOVE/C-GET SCUs against pynetdicom's Q/R SCP (its AE in threads of this process).

The SCP's handlers search a small in-memory study set (2 patients, 2 studies each, 2 series,
2 images); the destination of moves is a dicomnet Storage SCP served in the test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset as PyDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomnet.acse import ProposedContext, RequestorConfig
from dicomnet.dataset import read_dataset
from dicomnet.dimse import StatusCategory
from dicomnet.services.find import find
from dicomnet.services.get import get, get_contexts
from dicomnet.services.move import move
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.services.storage_scp import StorageSCP, storage_acceptor_config
from dicomnet.services.store import MemorySink
from dicomnet.transport import Timeouts, connect, serve
from tests.peers import free_port

pynetdicom = pytest.importorskip("pynetdicom")

pytestmark = pytest.mark.peer

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
SYNTAXES = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
LEVELS = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}


def _instance(p: int, st: int, se: int, im: int, sop_class: str = CT) -> PyDataset:
    ds = PyDataset()
    ds.PatientID = f"PID{p}"
    ds.PatientName = f"Doe^P{p}"
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.9.{p}.{st}"
    ds.SeriesInstanceUID = f"1.2.826.0.1.3680043.9.{p}.{st}.{se}"
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.9.{p}.{st}.{se}.{im}"
    ds.SOPClassUID = sop_class
    ds.Modality = "CT"
    ds.InstanceNumber = im
    ds.Rows = 2
    ds.Columns = 2
    ds.BitsAllocated = 16
    ds.PixelData = bytes(range(8))
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.set_original_encoding(False, True)
    return ds


INSTANCES = [
    _instance(p, st, se, im) for p in (1, 2) for st in (1, 2) for se in (1, 2) for im in (1, 2)
]


def _wait_cancel(event: Any) -> bool:
    """Give the SCU up to 2 s to cancel after the first response (so the test does not race)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if event.is_cancelled:  # pynetdicom forgets the C-CANCEL once it said so
            return True
        time.sleep(0.005)
    return False


def _match(query: PyDataset) -> list[PyDataset]:
    level = query.QueryRetrieveLevel
    found = []
    for inst in INSTANCES:
        ok = True
        for elem in query:
            if elem.keyword in LEVELS.values() and elem.value not in (None, ""):
                pattern = str(elem.value)
                ok &= pattern == "*" or str(inst[elem.tag].value) == pattern
        if ok:
            found.append(inst)
    if level == "IMAGE":
        return found
    key = LEVELS[level]
    unique: dict[str, PyDataset] = {}
    for inst in found:
        unique.setdefault(str(inst[key].value), inst)
    return list(unique.values())


class _QRScp:
    """pynetdicom's Q/R SCP; ``fail_after`` sends an MR after one CT, which the destination refuses."""

    def __init__(
        self, move_to: int | None = None, *, mixed: bool = False, slow: bool = False
    ) -> None:
        self.move_to = move_to
        self.slow = slow
        self.mixed = mixed
        self.cancelled = False
        ae = pynetdicom.AE(ae_title="PYQRSCP")
        for sop in (
            pynetdicom.sop_class.PatientRootQueryRetrieveInformationModelFind,
            pynetdicom.sop_class.StudyRootQueryRetrieveInformationModelFind,
            pynetdicom.sop_class.PatientRootQueryRetrieveInformationModelMove,
            pynetdicom.sop_class.StudyRootQueryRetrieveInformationModelMove,
            pynetdicom.sop_class.PatientRootQueryRetrieveInformationModelGet,
            pynetdicom.sop_class.StudyRootQueryRetrieveInformationModelGet,
        ):
            ae.add_supported_context(sop, SYNTAXES)
        for sop in (CT, MR):
            ae.add_supported_context(sop, SYNTAXES, scu_role=True, scp_role=True)
            ae.add_requested_context(sop, SYNTAXES)
        self.port = free_port()
        self.server = ae.start_server(
            ("127.0.0.1", self.port),
            block=False,
            evt_handlers=[
                (pynetdicom.evt.EVT_C_FIND, self.on_find),
                (pynetdicom.evt.EVT_C_MOVE, self.on_move),
                (pynetdicom.evt.EVT_C_GET, self.on_get),
            ],
        )

    def _results(self, query: PyDataset) -> list[PyDataset]:
        """Every instance under the matching entities of the query's level."""
        key = LEVELS[query.QueryRetrieveLevel]
        wanted = {str(m[key].value) for m in _match(query)}
        return [i for i in INSTANCES if str(i[key].value) in wanted]

    def on_find(self, event: Any) -> Iterator[Any]:
        query = event.identifier
        for n, match in enumerate(_match(query)):
            if n == 1 and self.slow and _wait_cancel(event):
                self.cancelled = True
                yield 0xFE00, None
                return
            rsp = PyDataset()
            rsp.QueryRetrieveLevel = query.QueryRetrieveLevel
            for elem in query:
                if elem.keyword != "QueryRetrieveLevel":
                    rsp[elem.tag] = match.get(elem.tag, elem)
            yield 0xFF00, rsp

    def _sub_ops(self, event: Any) -> list[PyDataset]:
        found = self._results(event.identifier)
        if self.mixed:
            mr = _instance(9, 9, 9, 9, MR)
            found = [found[0], mr, *found[1:]]
        return found

    def on_move(self, event: Any) -> Iterator[Any]:
        yield "127.0.0.1", self.move_to
        found = self._sub_ops(event)
        yield len(found)
        for n, inst in enumerate(found):
            if n == 1 and self.slow and _wait_cancel(event):
                self.cancelled = True
                yield 0xFE00, None
                return
            yield 0xFF00, inst

    def on_get(self, event: Any) -> Iterator[Any]:
        found = self._sub_ops(event)
        yield len(found)
        for inst in found:
            if event.is_cancelled:
                yield 0xFE00, None
                return
            yield 0xFF00, inst


@pytest.fixture
def destination() -> Iterator[tuple[MemorySink, int]]:
    """A dicomnet Storage SCP (CT only) on a free port, run in its own event loop thread."""
    import threading

    sink = MemorySink()
    ready = threading.Event()
    state: dict[str, Any] = {}

    def run() -> None:
        async def main() -> None:
            config = storage_acceptor_config("DEST", sop_classes=[CT])
            async with await serve(StorageSCP(sink), config, "127.0.0.1", 0) as server:
                state["port"] = server.port
                state["stop"] = asyncio.Event()
                state["loop"] = asyncio.get_running_loop()
                ready.set()
                await state["stop"].wait()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    yield sink, state["port"]
    state["loop"].call_soon_threadsafe(state["stop"].set)
    thread.join(10)


def _config(model: QueryModel, op: str) -> RequestorConfig:
    if op == "get":
        contexts, roles = get_contexts(model, [CT, MR])
        return RequestorConfig(
            calling_ae_title="QRSCU",
            called_ae_title="PYQRSCP",
            presentation_contexts=contexts,
            role_selections=roles,
        )
    return RequestorConfig(
        calling_ae_title="QRSCU",
        called_ae_title="PYQRSCP",
        presentation_contexts=[ProposedContext(model.sop_class(op), SYNTAXES)],
    )


async def _run(scp: _QRScp, model: QueryModel, op: str, work: Any) -> Any:
    timeouts = Timeouts(connect=5, acse=5, dimse=10)
    async with await connect("127.0.0.1", scp.port, _config(model, op), timeouts=timeouts) as a:
        return await work(a)


@pytest.fixture
def qr_scp() -> Iterator[Any]:
    started: list[_QRScp] = []

    def make(move_to: int | None = None, **kw: Any) -> _QRScp:
        scp = _QRScp(move_to, **kw)
        started.append(scp)
        return scp

    yield make
    for scp in started:
        scp.server.shutdown()


@pytest.mark.parametrize(
    ("model", "level", "key", "expected"),
    [
        (QueryModel.PATIENT_ROOT, "PATIENT", {"PatientID": "*"}, 2),
        (QueryModel.PATIENT_ROOT, "STUDY", {"PatientID": "PID1", "StudyInstanceUID": ""}, 2),
        (QueryModel.STUDY_ROOT, "STUDY", {"StudyInstanceUID": ""}, 4),
        (QueryModel.STUDY_ROOT, "SERIES", {"SeriesInstanceUID": ""}, 8),
        (QueryModel.STUDY_ROOT, "IMAGE", {"SOPInstanceUID": "", "InstanceNumber": ""}, 16),
    ],
)
def test_find(
    qr_scp: Any, model: QueryModel, level: str, key: dict[str, Any], expected: int
) -> None:
    scp = qr_scp()
    identifier = build_identifier({**key, "PatientName": ""}, level=level)

    async def work(assoc: Any) -> list[Any]:
        return [rsp async for rsp in find(assoc, identifier, model=model)]

    responses = asyncio.run(_run(scp, model, "find", work))
    pending = [r for r in responses if r.category is StatusCategory.PENDING]
    assert len(pending) == expected
    assert responses[-1].status == 0x0000
    assert responses[-1].is_final
    names = {str(r.identifier.get_value("PatientName")) for r in pending}
    assert names <= {"Doe^P1", "Doe^P2"}
    assert names
    if level == "IMAGE":
        numbers = sorted(r.identifier.get_value("InstanceNumber") for r in pending)
        assert numbers == ["1"] * 8 + ["2"] * 8


def test_find_cancel(qr_scp: Any) -> None:
    scp = qr_scp(slow=True)
    identifier = build_identifier({"SOPInstanceUID": ""}, level="IMAGE")

    async def work(assoc: Any) -> list[Any]:
        stream = find(assoc, identifier, model=QueryModel.STUDY_ROOT, cancel_after=1)
        return [rsp async for rsp in stream]

    responses = asyncio.run(_run(scp, QueryModel.STUDY_ROOT, "find", work))
    assert responses[-1].status == 0xFE00, (len(responses), scp.cancelled)
    assert len(responses) == 2
    assert scp.cancelled


@pytest.mark.parametrize(
    ("model", "level", "value", "count"),
    [
        (QueryModel.PATIENT_ROOT, "PATIENT", "PID1", 8),
        (QueryModel.PATIENT_ROOT, "STUDY", "1.2.826.0.1.3680043.9.2.1", 4),
        (QueryModel.STUDY_ROOT, "SERIES", "1.2.826.0.1.3680043.9.1.2.1", 2),
        (QueryModel.STUDY_ROOT, "IMAGE", "1.2.826.0.1.3680043.9.2.2.2.1", 1),
    ],
)
def test_move(
    qr_scp: Any, destination: Any, model: QueryModel, level: str, value: str, count: int
) -> None:
    sink, port = destination
    scp = qr_scp(port)
    identifier = build_identifier({LEVELS[level]: value}, level=level)

    async def work(assoc: Any) -> list[Any]:
        return [r async for r in move(assoc, identifier, "DEST", model=model)]

    responses = asyncio.run(_run(scp, model, "move", work))
    final = responses[-1]
    assert final.status == 0x0000, final
    assert final.completed == count
    assert final.failed == 0
    assert [r.remaining for r in responses[:-1]] == list(range(count - 1, -1, -1))
    got = {req.sop_instance_uid: data for req, data in sink.received}
    assert len(got) == count
    for uid, data in got.items():
        original = next(i for i in INSTANCES if i.SOPInstanceUID == uid)
        ts = next(
            req.transfer_syntax_uid for req, _ in sink.received if req.sop_instance_uid == uid
        )
        ours = read_dataset(data, ts)
        assert ours.get_value("PatientID") == original.PatientID
        assert bytes(ours.get_value("PixelData")) == original.PixelData
        assert ours.get_value("InstanceNumber") == str(original.InstanceNumber)


def test_move_partial_failure(qr_scp: Any, destination: Any) -> None:
    """The second sub-operation (an MR) is refused by the CT-only destination: counts + list."""
    sink, port = destination
    scp = qr_scp(port, mixed=True)
    identifier = build_identifier(
        {"SeriesInstanceUID": "1.2.826.0.1.3680043.9.1.1.1"}, level="SERIES"
    )

    async def work(assoc: Any) -> list[Any]:
        return [r async for r in move(assoc, identifier, "DEST", model=QueryModel.STUDY_ROOT)]

    responses = asyncio.run(_run(scp, QueryModel.STUDY_ROOT, "move", work))
    final = responses[-1]
    assert final.category in (StatusCategory.WARNING, StatusCategory.FAILURE), final
    assert final.failed == 1
    assert final.completed == 2
    assert final.failed_uids == ("1.2.826.0.1.3680043.9.9.9.9.9",)
    assert len(sink.received) == 2


def test_move_unknown_destination(qr_scp: Any) -> None:
    scp = qr_scp(None)
    identifier = build_identifier({"PatientID": "PID1"}, level="PATIENT")

    async def work(assoc: Any) -> list[Any]:
        return [r async for r in move(assoc, identifier, "NOWHERE", model=QueryModel.PATIENT_ROOT)]

    responses = asyncio.run(_run(scp, QueryModel.PATIENT_ROOT, "move", work))
    assert len(responses) == 1
    assert responses[0].status == 0xA801
    assert responses[0].category is StatusCategory.FAILURE


def test_move_cancel(qr_scp: Any, destination: Any) -> None:
    sink, port = destination
    scp = qr_scp(port, slow=True)
    identifier = build_identifier({"PatientID": "PID2"}, level="PATIENT")

    async def work(assoc: Any) -> list[Any]:
        stream = move(assoc, identifier, "DEST", model=QueryModel.PATIENT_ROOT, cancel_after=1)
        return [r async for r in stream]

    responses = asyncio.run(_run(scp, QueryModel.PATIENT_ROOT, "move", work))
    assert responses[-1].status == 0xFE00
    assert scp.cancelled
    assert len(sink.received) == 1
    assert responses[-1].completed == 1
    assert responses[-1].remaining == 7


@pytest.mark.parametrize(
    ("model", "level", "value", "count"),
    [
        (QueryModel.PATIENT_ROOT, "PATIENT", "PID2", 8),
        (QueryModel.STUDY_ROOT, "STUDY", "1.2.826.0.1.3680043.9.1.1", 4),
        (QueryModel.STUDY_ROOT, "IMAGE", "1.2.826.0.1.3680043.9.1.1.1.2", 1),
    ],
)
def test_get(qr_scp: Any, model: QueryModel, level: str, value: str, count: int) -> None:
    scp = qr_scp()
    sink = MemorySink()
    identifier = build_identifier({LEVELS[level]: value}, level=level)

    async def work(assoc: Any) -> tuple[list[Any], Any]:
        stream = get(assoc, identifier, sink, model=model)
        return [r async for r in stream], stream

    responses, stream = asyncio.run(_run(scp, model, "get", work))
    final = responses[-1]
    assert final.status == 0x0000, final
    assert final.completed == count
    assert len(sink.received) == count == len(stream.stored)
    for req, data in sink.received:
        original = next(i for i in INSTANCES if i.SOPInstanceUID == req.sop_instance_uid)
        ours = read_dataset(data, req.transfer_syntax_uid)
        assert ours.get_value("PatientName") == str(original.PatientName)
        assert bytes(ours.get_value("PixelData")) == original.PixelData
    assert pydicom.__version__
