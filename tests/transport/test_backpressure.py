"""Back-pressure both ways: a slow application pauses reading; a slow peer pauses writing."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from dicomnet.acse import AcceptorConfig, ProposedContext, RequestorConfig, SupportedContext
from dicomnet.association import DatasetFragment, MessageReceived
from dicomnet.dimse import CStoreRQ, CStoreRSP
from dicomnet.transport import aio
from dicomnet.transport.aio import EVENT_QUEUE_HIGH

CT = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT = "1.2.840.10008.1.2"
SIZE = 24 * 1024 * 1024
PAYLOAD = bytes(range(256)) * (SIZE // 256)


def test_slow_sink_pauses_reading_and_slow_reader_pauses_writing() -> None:
    stats: dict[str, Any] = {"max_queue": 0, "read_paused": False, "digest": None, "count": 0}

    async def slow_sink(assoc: aio.AsyncAssociation) -> None:
        digest = hashlib.sha256()
        driver = assoc._driver
        stalled = False
        async for event in assoc.events():
            stats["max_queue"] = max(stats["max_queue"], len(driver._events))
            stats["read_paused"] |= driver._read_paused
            if isinstance(event, DatasetFragment):
                if not stalled:  # the application is slow: the network must wait for it
                    stalled = True
                    await asyncio.sleep(0.5)
                digest.update(event.data)
                stats["count"] += 1
                if event.last:
                    stats["digest"] = digest.hexdigest()
                    await assoc.send(
                        CStoreRSP(
                            message_id_being_responded_to=1,
                            status=0,
                            affected_sop_class_uid=CT,
                            affected_sop_instance_uid="1.2.3.4",
                        ),
                        context_id=event.context_id,
                    )
            elif isinstance(event, MessageReceived):
                assert isinstance(event.message, CStoreRQ)

    async def main() -> tuple[int, int, bool]:
        config = AcceptorConfig(
            supported_contexts=[SupportedContext(CT, (IMPLICIT,))], max_pdu_length=65536
        )
        async with await aio.serve(slow_sink, config) as server:
            rq = RequestorConfig(
                calling_ae_title="SCU",
                called_ae_title="SCP",
                presentation_contexts=(ProposedContext(CT, (IMPLICIT,)),),  # type: ignore[arg-type]
            )
            assoc = await aio.connect("127.0.0.1", server.port, rq)
            driver = assoc._driver
            transport = driver.transport
            assert transport is not None
            peak = 0
            paused_seen = False
            original = transport.writelines

            def recording_writelines(chunks: Any) -> None:
                nonlocal peak, paused_seen
                original(chunks)
                peak = max(peak, transport.get_write_buffer_size())
                paused_seen |= driver._write_paused

            transport.writelines = recording_writelines  # type: ignore[method-assign]
            async with assoc:
                await assoc.send(
                    CStoreRQ(
                        message_id=1, affected_sop_class_uid=CT, affected_sop_instance_uid="1.2.3.4"
                    ),
                    context_id=1,
                    dataset=memoryview(PAYLOAD),
                )
                response = await assoc.receive_message()
                assert isinstance(response.message, CStoreRSP)
                assert response.message.status == 0
            return peak, transport.get_write_buffer_limits()[1], paused_seen

    peak, high_water, paused_seen = asyncio.run(main())
    assert stats["digest"] == hashlib.sha256(PAYLOAD).hexdigest()  # intact, in order
    assert stats["read_paused"]  # the slow application paused reading ...
    assert stats["max_queue"] <= EVENT_QUEUE_HIGH + 64  # ... so the queue stayed bounded
    assert paused_seen  # the slow peer paused writing ...
    # ... and the write buffer never held more than the high-water mark plus one pull
    assert peak <= high_water + 2 * 256 * 1024, (peak, high_water)
