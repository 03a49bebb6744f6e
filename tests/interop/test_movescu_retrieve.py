"""``dicomnet.transport.retrieve.retrieve`` with a scripted C-MOVE SCP that performs the
sub-operations itself: several incoming associations served at once, counts in the outcome."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dicomnet.acse import AcceptorConfig, ProposedContext, RequestorConfig, SupportedContext
from dicomnet.association import DatasetFragment, MessageReceived
from dicomnet.dataset import read_file
from dicomnet.dimse import CMoveRQ, CMoveRSP, CStoreRQ
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.services.store import DirectorySink
from dicomnet.transport import connect, serve
from dicomnet.transport.retrieve import MoveOutcome, MoveProgress, retrieve
from dicomnet.uid import STUDY_ROOT_QR_MOVE
from tests.interop.test_qr_scu_support import CT, elements, instance, write
from tests.peers import free_port

LE = "1.2.840.10008.1.2.1"


def _objects(tmp: Path, n: int) -> list[tuple[str, bytes, Path]]:
    out = []
    for im in range(1, n + 1):
        path = write(instance(5, 1, 1, im), tmp / f"src{im}.dcm")
        part10 = read_file(path)
        uid = str(part10.dataset.get_value("SOPInstanceUID"))
        out.append((uid, path.read_bytes()[part10.dataset_offset :], path))
    return out


async def _store(port: int, objects: list[tuple[str, bytes, Path]], gate: asyncio.Barrier) -> None:
    config = RequestorConfig(
        calling_ae_title="QRSCP",
        called_ae_title="MOVESCU",
        presentation_contexts=(ProposedContext(CT, (LE,)),),
    )
    assoc = await connect("127.0.0.1", port, config)
    await gate.wait()  # every sub-association is established before any object is sent
    context_id = next(iter(assoc.negotiated.accepted))  # type: ignore[union-attr]
    for uid, data, _path in objects:
        rq = CStoreRQ(
            message_id=assoc.next_message_id(),
            affected_sop_class_uid=CT,
            affected_sop_instance_uid=uid,
        )
        await assoc.send(rq, context_id=context_id, dataset=data)
        rsp = await assoc.receive_message()
        assert rsp.message.status == 0
    await assoc.release()


def test_concurrent_incoming_associations(tmp_path: Path) -> None:
    objects = _objects(tmp_path, 4)
    listen = free_port()
    out = tmp_path / "out"
    out.mkdir()

    async def handle(assoc: Any) -> None:
        request: CMoveRQ | None = None
        async for event in assoc.events():
            if isinstance(event, MessageReceived) and isinstance(event.message, CMoveRQ):
                request, context_id = event.message, event.context_id
            elif isinstance(event, DatasetFragment) and event.last and request is not None:
                gate = asyncio.Barrier(2)
                await asyncio.gather(
                    _store(listen, objects[:2], gate), _store(listen, objects[2:], gate)
                )
                rsp = CMoveRSP(
                    message_id_being_responded_to=request.message_id,
                    status=0x0000,
                    affected_sop_class_uid=request.affected_sop_class_uid,
                    number_of_completed_sub_operations=4,
                    number_of_failed_sub_operations=0,
                    number_of_warning_sub_operations=0,
                )
                await assoc.send(rsp, context_id=context_id)

    async def main() -> list[MoveProgress | MoveOutcome]:
        config = AcceptorConfig(
            ae_titles=("QRSCP",), supported_contexts=(SupportedContext(STUDY_ROOT_QR_MOVE, (LE,)),)
        )
        async with await serve(handle, config, "127.0.0.1", 0) as server:
            sink = DirectorySink(out)
            try:
                identifier = build_identifier({"StudyInstanceUID": "1.2"}, level="STUDY")
                events = retrieve(
                    "127.0.0.1",
                    server.port,
                    [identifier],
                    sink=sink,
                    listen_port=listen,
                    listen_host="127.0.0.1",
                    called_ae_title="QRSCP",
                    model=QueryModel.STUDY_ROOT,
                )
                async with asyncio.timeout(20):
                    return [event async for event in events]
            finally:
                sink.close()

    events = asyncio.run(main())
    outcome = events[-1]
    assert isinstance(outcome, MoveOutcome)
    assert outcome.complete
    assert outcome.status == 0x0000
    assert outcome.completed == 4
    assert outcome.received == 4
    assert outcome.received_bytes == sum(len(data) for _uid, data, _path in objects)
    for uid, _data, path in objects:
        got = read_file(out / f"CT.{uid}")
        assert elements(got.dataset) == elements(read_file(path).dataset)
