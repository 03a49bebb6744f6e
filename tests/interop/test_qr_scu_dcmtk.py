"""Our C-FIND/C-MOVE/C-GET SCUs against DCMTK's dcmqrscp (default fork mode).

The test writes a ``dcmqrscp.cfg`` (AE ``QRSCP`` over a storage area in tmp, move destination
``DEST`` = a dicomnet Storage SCP in a thread), indexes a small study set with ``dcmqridx`` and
checks find, move and get at every level of each model, the data arriving intact element by
element, and C-CANCEL during a move of many objects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from dicomnet.acse import ProposedContext, RequestorConfig
from dicomnet.dimse import StatusCategory
from dicomnet.services.find import find
from dicomnet.services.get import get, get_contexts
from dicomnet.services.move import move
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.services.store import MemorySink
from dicomnet.transport import Timeouts, connect
from tests.interop.test_qr_scu_support import (
    CT,
    QRSCP,
    ROOT,
    Destination,
    assert_intact,
)
from tests.peers import dcmtk_env, require_program, running

pytestmark = pytest.mark.peer

SYNTAXES = ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")


@pytest.fixture(scope="module")
def dest() -> Iterator[Destination]:
    d = Destination([CT])
    yield d
    d.close()


@pytest.fixture(scope="module")
def qrscp(tmp_path_factory: pytest.TempPathFactory, dest: Destination) -> Iterator[QRSCP]:
    require_program("dcmqrscp")
    scp = QRSCP(tmp_path_factory.mktemp("qr"), {"DEST": dest.port, "NOWHERE": 9})
    with running(["dcmqrscp", "-c", str(scp.cfg), str(scp.port)], port=scp.port, env=dcmtk_env()):
        yield scp


def _config(model: QueryModel, op: str) -> RequestorConfig:
    if op == "get":
        contexts, roles = get_contexts(model, [CT], SYNTAXES)
        return RequestorConfig(
            calling_ae_title="QRSCU",
            called_ae_title="QRSCP",
            presentation_contexts=contexts,
            role_selections=roles,
        )
    return RequestorConfig(
        calling_ae_title="QRSCU",
        called_ae_title="QRSCP",
        presentation_contexts=[ProposedContext(model.sop_class(op), SYNTAXES)],
    )


def _run(scp: QRSCP, model: QueryModel, op: str, work: Any) -> Any:
    async def main() -> Any:
        timeouts = Timeouts(connect=5, acse=10, dimse=20)
        async with await connect("127.0.0.1", scp.port, _config(model, op), timeouts=timeouts) as a:
            return await work(a)

    return asyncio.run(main())


P1 = f"{ROOT}.1.2"  # patient 1, study 2
KEYS: dict[str, dict[str, str]] = {
    "PATIENT": {"PatientID": "PID1"},
    "STUDY": {"PatientID": "PID1", "StudyInstanceUID": P1},
    "SERIES": {"PatientID": "PID1", "StudyInstanceUID": P1, "SeriesInstanceUID": f"{P1}.2"},
    "IMAGE": {
        "PatientID": "PID1",
        "StudyInstanceUID": P1,
        "SeriesInstanceUID": f"{P1}.2",
        "SOPInstanceUID": f"{P1}.2.1",
    },
}
UNIQUE = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
CASES = [
    (model, level)
    for model in QueryModel
    for level in model.levels
    if model.move_sop_class and model.find_sop_class
]


def _keys(model: QueryModel, level: str) -> dict[str, str]:
    keys = dict(KEYS[level])
    if model is not QueryModel.PATIENT_ROOT and model is not QueryModel.PATIENT_STUDY_ONLY:
        keys.pop("PatientID", None)
    return keys


@pytest.mark.parametrize(("model", "level"), CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_find(qrscp: QRSCP, model: QueryModel, level: str) -> None:
    keys = _keys(model, str(level))
    unique = UNIQUE[str(level)]
    keys[unique] = ""  # universal matching on this level's key
    keys["PatientName"] = "" if str(level) == "PATIENT" else keys.get("PatientName", "")
    if str(level) == "PATIENT":
        keys = {"PatientID": "", "PatientName": ""}
    identifier = build_identifier(keys, level=str(level))

    async def work(assoc: Any) -> list[Any]:
        return [r async for r in find(assoc, identifier, model=model)]

    responses = _run(qrscp, model, "find", work)
    assert responses[-1].status == 0x0000
    found = {r.identifier.get_value(unique) for r in responses[:-1]}
    expected = {
        "PATIENT": {"PID1", "PID2", "PID3"},
        "STUDY": {f"{ROOT}.1.1", f"{ROOT}.1.2"}
        if "PatientID" in keys
        else {f"{ROOT}.1.1", f"{ROOT}.1.2", f"{ROOT}.2.1", f"{ROOT}.2.2", f"{ROOT}.3.1"},
        "SERIES": {f"{P1}.1", f"{P1}.2"},
        "IMAGE": {f"{P1}.2.1", f"{P1}.2.2"},
    }[str(level)]
    assert found == expected


@pytest.mark.parametrize(("model", "level"), CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_move(qrscp: QRSCP, dest: Destination, model: QueryModel, level: str) -> None:
    keys = _keys(model, str(level))
    identifier = build_identifier(keys, level=str(level))
    want = qrscp.uids(
        str(level), keys[UNIQUE[str(level)]] if str(level) != "PATIENT" else f"{ROOT}.1"
    )
    before = len(dest.sink.received)

    async def work(assoc: Any) -> list[Any]:
        return [r async for r in move(assoc, identifier, "DEST", model=model)]

    responses = _run(qrscp, model, "move", work)
    final = responses[-1]
    assert final.status == 0x0000, final
    assert final.completed == len(want)
    assert not final.failed
    new = dest.sink.received[before:]
    assert {req.sop_instance_uid for req, _ in new} == want
    for received in new:
        assert_intact(received, qrscp.files[received[0].sop_instance_uid])


@pytest.mark.parametrize(("model", "level"), CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_get(qrscp: QRSCP, model: QueryModel, level: str) -> None:
    keys = _keys(model, str(level))
    identifier = build_identifier(keys, level=str(level))
    want = qrscp.uids(
        str(level), keys[UNIQUE[str(level)]] if str(level) != "PATIENT" else f"{ROOT}.1"
    )
    sink = MemorySink()

    async def work(assoc: Any) -> list[Any]:
        return [r async for r in get(assoc, identifier, sink, model=model)]

    responses = _run(qrscp, model, "get", work)
    final = responses[-1]
    assert final.status == 0x0000, final
    assert final.completed == len(want)
    assert {req.sop_instance_uid for req, _ in sink.received} == want
    for received in sink.received:
        assert_intact(received, qrscp.files[received[0].sop_instance_uid])


def test_move_cancel(qrscp: QRSCP, dest: Destination) -> None:
    identifier = build_identifier(
        {"StudyInstanceUID": f"{ROOT}.3.1", "SeriesInstanceUID": f"{ROOT}.3.1.1"}, level="SERIES"
    )

    async def work(assoc: Any) -> list[Any]:
        stream = move(assoc, identifier, "DEST", model=QueryModel.STUDY_ROOT, cancel_after=1)
        return [r async for r in stream]

    responses = _run(qrscp, QueryModel.STUDY_ROOT, "move", work)
    final = responses[-1]
    assert final.status == 0xFE00, final
    assert final.category is StatusCategory.CANCEL
    assert (final.completed or 0) < 40


def test_move_destination_refuses(qrscp: QRSCP) -> None:
    """NOWHERE (port 9) refuses the sub-association: a failure result, never a hang."""
    identifier = build_identifier({"StudyInstanceUID": P1}, level="STUDY")

    async def work(assoc: Any) -> list[Any]:
        return [r async for r in move(assoc, identifier, "NOWHERE", model=QueryModel.STUDY_ROOT)]

    responses = _run(qrscp, QueryModel.STUDY_ROOT, "move", work)
    assert responses[-1].category is StatusCategory.FAILURE


def test_move_unknown_destination(qrscp: QRSCP) -> None:
    identifier = build_identifier({"StudyInstanceUID": P1}, level="STUDY")

    async def work(assoc: Any) -> list[Any]:
        return [r async for r in move(assoc, identifier, "UNKNOWN", model=QueryModel.STUDY_ROOT)]

    (final,) = _run(qrscp, QueryModel.STUDY_ROOT, "move", work)
    assert final.status == 0xA801


def test_blocking_find_move_get(qrscp: QRSCP, dest: Destination) -> None:
    """The synchronous iterators of dicomnet.transport.qr, with a cancel from the loop body."""
    from dicomnet.transport import blocking, qr

    model = QueryModel.STUDY_ROOT
    timeouts = Timeouts(connect=5, acse=10, dimse=20)
    identifier = build_identifier({"StudyInstanceUID": ""}, level="STUDY")
    with blocking.connect("127.0.0.1", qrscp.port, _config(model, "find"), timeouts=timeouts) as a:
        stream = qr.find(a, identifier, model=model)
        studies = [r.identifier.get_value("StudyInstanceUID") for r in stream if r.identifier]
        assert stream.operation.final.status == 0x0000
    assert len(studies) == 5

    big = build_identifier({"StudyInstanceUID": f"{ROOT}.3.1"}, level="STUDY")
    with blocking.connect("127.0.0.1", qrscp.port, _config(model, "move"), timeouts=timeouts) as a:
        stream = qr.move(a, big, "DEST", model=model)
        for rsp in stream:
            if rsp.completed == 1:
                stream.cancel()
        assert rsp.status == 0xFE00
        assert (rsp.completed or 0) < 40

    sink = MemorySink()
    one = build_identifier({"StudyInstanceUID": P1}, level="STUDY")
    with blocking.connect("127.0.0.1", qrscp.port, _config(model, "get"), timeouts=timeouts) as a:
        final = list(qr.get(a, one, sink, model=model))[-1]
    assert final.status == 0x0000
    assert final.completed == len(sink.received) == 4
