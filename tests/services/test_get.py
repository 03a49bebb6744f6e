"""C-GET SCU against a scripted peer: C-STOREs on the same association, refusals, faults."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from dicomnet.dataset import Dataset, read_file
from dicomnet.dimse import CGetRQ, CGetRSP, CStoreRQ, CStoreRSP
from dicomnet.errors import AssociationAborted
from dicomnet.services.get import get, get_contexts
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.services.store import DirectorySink, MemorySink, StoreRequest, StoreWriter
from dicomnet.uid import STUDY_ROOT_QR_GET
from tests.services.qr_channel import CT, EXPLICIT_LE, MR, ScriptedChannel, encode, message

CONTEXTS = {
    1: (STUDY_ROOT_QR_GET, EXPLICIT_LE, False),
    3: (CT, EXPLICIT_LE, True),
    5: (MR, EXPLICIT_LE, False),
}


def _instance(uid: str, sop_class: str = CT) -> Dataset:
    ds = Dataset()
    ds.set("SOPClassUID", sop_class)
    ds.set("SOPInstanceUID", uid)
    ds.set("PatientName", "Doe^Jane")
    ds.set("PixelData", bytes(range(16)), vr="OB")
    return ds


def _peer(objects: list[tuple[int, str, str]], *, cut_at: int | None = None) -> Any:
    """Sends one C-STORE-RQ per object on its context, waits for each answer, then the final."""
    state = {"n": 0, "mid": 0, "done": 0, "failed": 0}

    def store(n: int) -> list[Any]:
        cid, uid, sop_class = objects[n]
        rq = CStoreRQ(
            message_id=100 + n, affected_sop_class_uid=sop_class, affected_sop_instance_uid=uid
        )
        events = message(cid, rq, encode(_instance(uid, sop_class)), pieces=4)
        if cut_at == n:
            return events[:3]  # the peer aborts in the middle of the object
        return events

    def final() -> list[Any]:
        status = 0x0000 if not state["failed"] else 0xB000
        return message(
            1,
            CGetRSP(
                message_id_being_responded_to=state["mid"],
                status=status,
                number_of_remaining_sub_operations=0,
                number_of_completed_sub_operations=state["done"],
                number_of_failed_sub_operations=state["failed"],
                number_of_warning_sub_operations=0,
            ),
        )

    def script(msg: Any, ch: ScriptedChannel) -> list[Any]:
        if isinstance(msg, CGetRQ):
            state["mid"] = msg.message_id
            return store(0) if objects else final()
        if isinstance(msg, CStoreRSP):
            if msg.status == 0:
                state["done"] += 1
            else:
                state["failed"] += 1
            state["n"] += 1
            n = state["n"]
            pending = message(
                1,
                CGetRSP(
                    message_id_being_responded_to=state["mid"],
                    status=0xFF00,
                    number_of_remaining_sub_operations=len(objects) - n,
                    number_of_completed_sub_operations=state["done"],
                    number_of_failed_sub_operations=state["failed"],
                    number_of_warning_sub_operations=0,
                ),
            )
            return pending + (store(n) if n < len(objects) else final())
        return []

    return script


def _run(ch: ScriptedChannel, sink: Any) -> tuple[list[Any], Any]:
    identifier = build_identifier({"StudyInstanceUID": "1.2.3"}, level="STUDY")

    async def main() -> tuple[list[Any], Any]:
        stream = get(ch, identifier, sink, model=QueryModel.STUDY_ROOT)
        return [r async for r in stream], stream

    return asyncio.run(main())


def test_get_stores_into_sink() -> None:
    sink = MemorySink()
    ch = ScriptedChannel(CONTEXTS, _peer([(3, "1.2.3.1", CT), (3, "1.2.3.2", CT)]))
    responses, stream = _run(ch, sink)
    assert [r.remaining for r in responses] == [1, 0, 0]
    assert responses[-1].status == 0
    assert responses[-1].completed == 2
    assert [req.sop_instance_uid for req, _ in sink.received] == ["1.2.3.1", "1.2.3.2"]
    assert sink.received[0][1] == encode(_instance("1.2.3.1"))
    answers = [m for m, _, _ in ch.sent if isinstance(m, CStoreRSP)]
    assert [(a.message_id_being_responded_to, a.status) for a in answers] == [(100, 0), (101, 0)]
    assert [s.result.status for s in stream.stored] == [0, 0]


def test_store_on_context_without_scp_role_is_refused() -> None:
    sink = MemorySink()
    ch = ScriptedChannel(CONTEXTS, _peer([(5, "1.2.3.1", MR), (3, "1.2.3.2", MR)]))
    responses, _ = _run(ch, sink)
    answers = [m.status for m, _, _ in ch.sent if isinstance(m, CStoreRSP)]
    assert answers == [0x0122, 0x0122]  # no SCP role on 5; 3 is CT, not MR
    assert sink.received == []
    assert responses[-1].failed == 2
    assert responses[-1].status == 0xB000


class _BrokenSink:
    def open(self, request: StoreRequest) -> StoreWriter:
        raise OSError("disk full")


def test_sink_failure_answers_out_of_resources() -> None:
    ch = ScriptedChannel(CONTEXTS, _peer([(3, "1.2.3.1", CT)]))
    _run(ch, _BrokenSink())
    answers = [m.status for m, _, _ in ch.sent if isinstance(m, CStoreRSP)]
    assert answers == [0xA700]


def test_abort_mid_object_leaves_no_file(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    ch = ScriptedChannel(CONTEXTS, _peer([(3, "1.2.3.1", CT), (3, "1.2.3.2", CT)], cut_at=1))
    with pytest.raises(AssociationAborted):
        _run(ch, sink)
    names = sorted(os.listdir(tmp_path))
    assert names == ["CT.1.2.3.1"]
    assert read_file(tmp_path / "CT.1.2.3.1").dataset.get_value("SOPInstanceUID") == "1.2.3.1"


def test_get_contexts_role_selection() -> None:
    contexts, roles = get_contexts(QueryModel.PATIENT_ROOT, [CT, MR, CT])
    assert [c.abstract_syntax for c in contexts][1:] == [CT, MR]
    assert all(r.scp_role and not r.scu_role for r in roles)
    assert contexts[0].abstract_syntax == QueryModel.PATIENT_ROOT.get_sop_class


class _FailingWriter:
    aborted = 0

    def write(self, data: memoryview) -> None:
        raise OSError("disk full")

    def commit(self) -> Any:
        raise AssertionError("never committed after a failed write")

    def abort(self) -> None:
        _FailingWriter.aborted += 1


class _WriteFailSink:
    def open(self, request: StoreRequest) -> StoreWriter:
        return _FailingWriter()


def test_sink_write_failure_aborts_once_and_answers_a700() -> None:
    _FailingWriter.aborted = 0
    ch = ScriptedChannel(CONTEXTS, _peer([(3, "1.2.3.1", CT), (3, "1.2.3.2", CT)]))
    responses, _ = _run(ch, _WriteFailSink())
    answers = [m.status for m, _, _ in ch.sent if isinstance(m, CStoreRSP)]
    assert answers == [0xA700, 0xA700]
    assert _FailingWriter.aborted == 2
    assert responses[-1].failed == 2
