"""Our Q/R SCUs against a hostile Q/R SCP over TCP (dicomnet's own acceptor, scripted).

The peer attaches data sets to Pending C-MOVE responses (movescu's ``-pr`` reads them, ``-pi``
reports them), aborts between sub-operations, answers with a final failure, and during a C-GET
sends a C-STORE on a context where we are not SCP: always a typed result or error, never a hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from dicomnet.acse import AcceptorConfig, ProposedContext, RequestorConfig, SupportedContext
from dicomnet.association import Closed, DatasetFragment, MessageReceived
from dicomnet.dataset import Dataset, write_dataset
from dicomnet.dimse import CGetRQ, CGetRSP, CMoveRQ, CMoveRSP, CStoreRQ, CStoreRSP, StatusCategory
from dicomnet.errors import AssociationAborted
from dicomnet.services.get import get, get_contexts
from dicomnet.services.move import move
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.services.store import DirectorySink
from dicomnet.transport import Timeouts, connect, serve

EVLE = "1.2.840.10008.1.2.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MOVE = QueryModel.STUDY_ROOT.sop_class("move")
GET = QueryModel.STUDY_ROOT.sop_class("get")
Handler = Callable[[Any, Any, int], Awaitable[None]]


def _rsp(kind: type, mid: int, status: int, remaining: int | None, done: int, **kw: Any) -> Any:
    return kind(
        message_id_being_responded_to=mid,
        status=status,
        number_of_remaining_sub_operations=remaining,
        number_of_completed_sub_operations=done,
        number_of_failed_sub_operations=0,
        number_of_warning_sub_operations=0,
        **kw,
    )


def _small() -> bytes:
    ds = Dataset()
    ds.set("PatientID", "X")
    return write_dataset(ds)


async def _serve_script(on_request: Handler, work: Callable[[Any], Awaitable[Any]], op: str) -> Any:
    """Serve ``on_request(assoc, request, context_id)`` and run ``work`` against it."""

    async def handler(assoc: Any) -> None:
        request = None
        async for event in assoc.events():
            if isinstance(event, MessageReceived) and isinstance(event.message, (CMoveRQ, CGetRQ)):
                request, cid = event.message, event.context_id
            elif isinstance(event, DatasetFragment) and event.last and request is not None:
                await on_request(assoc, request, cid)
                request = None
            elif isinstance(event, Closed):
                return

    scp_config = AcceptorConfig(
        ae_titles=["HOSTILE"],
        supported_contexts=[
            SupportedContext(MOVE, (EVLE,)),
            SupportedContext(GET, (EVLE,)),
            SupportedContext(CT, (EVLE,), scu_role=False, scp_role=True),
        ],
    )
    timeouts = Timeouts(connect=5, acse=5, dimse=5)
    async with await serve(handler, scp_config, "127.0.0.1", 0, timeouts=timeouts) as server:
        if op == "get":
            contexts, roles = get_contexts(QueryModel.STUDY_ROOT, [CT], (EVLE,))
        else:
            contexts, roles = [ProposedContext(MOVE, (EVLE,))], []
        config = RequestorConfig(
            calling_ae_title="SCU",
            called_ae_title="HOSTILE",
            presentation_contexts=contexts,
            role_selections=roles,
        )
        async with await connect("127.0.0.1", server.port, config, timeouts=timeouts) as assoc:
            return await work(assoc)


def _move_all(**kw: Any) -> Callable[[Any], Awaitable[Any]]:
    async def work(assoc: Any) -> Any:
        identifier = build_identifier({"StudyInstanceUID": "1.2.3"}, level="STUDY")
        stream = move(assoc, identifier, "DEST", **kw)
        return [r async for r in stream], stream.operation

    return work


async def _pending_with_data(assoc: Any, rq: Any, cid: int) -> None:
    for n in range(2):
        rsp = _rsp(CMoveRSP, rq.message_id, 0xFF00, 1 - n, n + 1, has_dataset=True)
        await assoc.send(rsp, context_id=cid, dataset=_small())
    await assoc.send(_rsp(CMoveRSP, rq.message_id, 0x0000, None, 2), context_id=cid)


@pytest.mark.parametrize("option", ["read", "ignore"])
def test_pending_responses_with_data_sets(option: str) -> None:
    responses, op = asyncio.run(
        _serve_script(_pending_with_data, _move_all(pending_dataset=option), "move")
    )
    assert [r.status for r in responses] == [0xFF00, 0xFF00, 0x0000]
    assert [r.completed for r in responses] == [1, 2, 2]
    flagged = option == "ignore"
    assert [r.unexpected_dataset for r in responses] == [flagged, flagged, False]
    assert op.unexpected_datasets == (2 if flagged else 0)


async def _abort_after_one(assoc: Any, rq: Any, cid: int) -> None:
    await assoc.send(_rsp(CMoveRSP, rq.message_id, 0xFF00, 3, 1), context_id=cid)
    await assoc.abort()


def test_peer_aborts_between_sub_operations() -> None:
    got: list[Any] = []

    async def work(assoc: Any) -> None:
        identifier = build_identifier({"StudyInstanceUID": "1.2.3"}, level="STUDY")
        async for r in move(assoc, identifier, "DEST"):
            got.append(r)  # noqa: PERF401 - what arrived before the abort is what we check

    with pytest.raises(AssociationAborted):
        asyncio.run(_serve_script(_abort_after_one, work, "move"))
    assert [r.remaining for r in got] == [3]


async def _refuse(assoc: Any, rq: Any, cid: int) -> None:
    rsp = _rsp(CMoveRSP, rq.message_id, 0xA702, 0, 0, error_comment="sub-association refused")
    await assoc.send(rsp, context_id=cid)


def test_final_failure_is_a_result() -> None:
    responses, op = asyncio.run(_serve_script(_refuse, _move_all(), "move"))
    (final,) = responses
    assert final.category is StatusCategory.FAILURE
    assert final.error_comment == "sub-association refused"
    assert op.final == final


def _stored_ct(uid: str) -> bytes:
    ds = Dataset()
    ds.set("SOPClassUID", CT)
    ds.set("SOPInstanceUID", uid)
    ds.set("PatientID", "X")
    return write_dataset(ds)


def test_get_peer_aborts_after_a_sub_operation(tmp_path: Path) -> None:
    """(A C-STORE on a context where we are not SCP cannot be sent through dicomnet's own
    acceptor; tests/services/test_get.py feeds it to the SCU directly: 0122H.)"""
    answers: list[int] = []

    async def on_get(assoc: Any, rq: Any, cid: int) -> None:
        ct_cid = next(c for c, cx in assoc.negotiated.accepted.items() if cx.abstract_syntax == CT)
        good = CStoreRQ(
            message_id=51, affected_sop_class_uid=CT, affected_sop_instance_uid="1.2.3.2"
        )
        await assoc.send(good, context_id=ct_cid, dataset=_stored_ct("1.2.3.2"))
        async for event in assoc.events():
            if isinstance(event, MessageReceived) and isinstance(event.message, CStoreRSP):
                answers.append(event.message.status)
                if len(answers) == 1:
                    break
        await assoc.send(_rsp(CGetRSP, rq.message_id, 0xFF00, 1, 1), context_id=cid)
        await assoc.abort()  # the peer goes away before the last sub-operation

    async def work(assoc: Any) -> Any:
        identifier = build_identifier({"StudyInstanceUID": "1.2.3"}, level="STUDY")
        stream = get(assoc, identifier, DirectorySink(tmp_path))
        return [r async for r in stream]

    with pytest.raises(AssociationAborted):
        asyncio.run(_serve_script(on_get, work, "get"))
    assert answers == [0x0000]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CT.1.2.3.2"]
