"""The asyncio driver against our own server and scripted raw-socket peers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

import pytest

from dicomnet.association import Aborted, Closed, MessageReceived
from dicomnet.dimse import CEchoRQ
from dicomnet.errors import AssociationAborted, AssociationRejected
from dicomnet.services.echo import echo, verification_handler
from dicomnet.transport import aio

from .helpers import (
    acceptor_config,
    associate_rq_bytes,
    echo_server,
    ipv6_available,
    raw_peer,
    read_pdu,
    requestor_config,
)


def test_echo_round_trip_and_nodelay() -> None:
    async def main() -> None:
        async with echo_server() as server:
            async with await aio.connect("127.0.0.1", server.port, requestor_config()) as assoc:
                assert assoc.negotiated is not None
                assert [await echo(assoc) for _ in range(5)] == [0, 0, 0, 0, 0]
                sock = assoc._driver.transport.get_extra_info("socket")  # type: ignore[union-attr]
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            assert assoc.is_closed
            assert server.associations_served == 1

    asyncio.run(main())


def test_ipv6_loopback() -> None:
    if not ipv6_available():
        pytest.skip("::1 is not available on this host")

    async def main() -> None:
        async with (
            echo_server(host="::1") as server,
            await aio.connect("::1", server.port, requestor_config()) as assoc,
        ):
            assert await echo(assoc) == 0
            assert ":" in assoc.peer_address[0]

    asyncio.run(main())


def test_many_concurrent_associations_on_one_server() -> None:
    async def one(port: int) -> list[int]:
        async with await aio.connect("127.0.0.1", port, requestor_config()) as assoc:
            return [await echo(assoc) for _ in range(3)]

    async def main() -> None:
        async with echo_server() as server:
            results = await asyncio.gather(*(one(server.port) for _ in range(30)))
            assert results == [[0, 0, 0]] * 30
            assert server.associations_served == 30

    asyncio.run(main())


def test_rejected_association_raises_typed_error() -> None:
    async def main() -> None:
        async with echo_server(require_called_ae_title=True) as server:
            with pytest.raises(AssociationRejected) as info:
                await aio.connect("127.0.0.1", server.port, requestor_config("SOMEONE-ELSE"))
            # PS3.8 Table 9-21: rejected-permanent, service-user, called AE title not recognized.
            assert (info.value.result, info.value.source, info.value.reason) == (1, 1, 7)
            # the server is still serving
            async with await aio.connect("127.0.0.1", server.port, requestor_config()) as assoc:
                assert await echo(assoc) == 0

    asyncio.run(main())


def test_connection_refused_is_oserror() -> None:
    async def main() -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # bound, not listening: refused
            with pytest.raises(OSError):
                await aio.connect("127.0.0.1", port, requestor_config())

    asyncio.run(main())


def _full_backlog_listener() -> tuple[socket.socket, list[socket.socket]]:
    """A listening socket that never accepts, its backlog filled so further SYNs go unanswered."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(8):
        s = socket.socket()
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            s.connect(listener.getsockname())
        fillers.append(s)
    return listener, fillers


def test_connect_timeout_fires_within_bound() -> None:
    listener, fillers = _full_backlog_listener()

    async def main() -> None:
        start = time.monotonic()
        with pytest.raises(TimeoutError, match=r"TCP connection .* timed out"):
            await aio.connect(
                "127.0.0.1",
                listener.getsockname()[1],
                requestor_config(),
                timeouts=aio.Timeouts(connect=0.3, acse=5),
            )
        elapsed = time.monotonic() - start
        assert 0.25 <= elapsed < 3.0, elapsed

    try:
        asyncio.run(main())
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_acse_timeout_against_a_silent_peer() -> None:
    received = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await read_pdu(reader))
        await reader.read()  # never answers; waits for our close
        writer.close()

    async def main() -> None:
        async with raw_peer(silent) as port:
            start = time.monotonic()
            with pytest.raises(TimeoutError, match="association negotiation"):
                await aio.connect(
                    "127.0.0.1", port, requestor_config(), timeouts=aio.Timeouts(acse=0.4)
                )
            elapsed = time.monotonic() - start
            assert 0.35 <= elapsed < 3.0, elapsed
            await asyncio.sleep(0.05)
        assert received[0][0] == 0x01  # the A-ASSOCIATE-RQ did go out

    asyncio.run(main())


def test_dimse_timeout_aborts_and_peer_sees_the_abort() -> None:
    seen: list[object] = []

    async def mute(assoc: aio.AsyncAssociation) -> None:
        seen.extend([event async for event in assoc.events()])

    async def main() -> None:
        async with echo_server(mute) as server:
            assoc = await aio.connect(
                "127.0.0.1", server.port, requestor_config(), timeouts=aio.Timeouts(dimse=0.4)
            )
            start = time.monotonic()
            with pytest.raises(TimeoutError, match="DIMSE"):
                await echo(assoc)
            assert 0.35 <= time.monotonic() - start < 3.0
            await asyncio.wait_for(assoc.wait_closed(), 2)
            for _ in range(100):
                if any(isinstance(e, Closed) for e in seen):
                    break
                await asyncio.sleep(0.01)
        assert isinstance(seen[0], MessageReceived)
        assert isinstance(seen[0].message, CEchoRQ)
        aborted = [e for e in seen if isinstance(e, Aborted)]
        assert aborted
        assert aborted[0].by_peer

    asyncio.run(main())


def test_peer_that_aborts() -> None:
    async def aborter(assoc: aio.AsyncAssociation) -> None:
        await assoc.receive_message()
        await assoc.abort()

    async def main() -> None:
        async with echo_server(aborter) as server:
            assoc = await aio.connect("127.0.0.1", server.port, requestor_config())
            with pytest.raises(AssociationAborted) as info:
                await echo(assoc)
            assert info.value.source == 0  # service-user, PS3.8 §9.3.8
            assert assoc.is_closed or await asyncio.wait_for(assoc.wait_closed(), 2) is None

    asyncio.run(main())


def test_peer_that_closes_during_negotiation() -> None:
    async def closer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_pdu(reader)
        writer.close()

    async def main() -> None:
        async with raw_peer(closer) as port:
            with pytest.raises(AssociationAborted):
                await aio.connect("127.0.0.1", port, requestor_config())

    asyncio.run(main())


def test_peer_that_closes_after_establishment() -> None:
    async def closer(assoc: aio.AsyncAssociation) -> None:
        await assoc.receive_message()
        assoc._driver.abort_transport()

    async def main() -> None:
        async with echo_server(closer) as server:
            assoc = await aio.connect("127.0.0.1", server.port, requestor_config())
            with pytest.raises(AssociationAborted):
                await echo(assoc)

    asyncio.run(main())


async def _raw_associate(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(associate_rq_bytes())
    pdu_type, _ = await read_pdu(reader)
    assert pdu_type == 0x02  # A-ASSOCIATE-AC
    return reader, writer


def test_oversize_pdu_claim_is_aborted_and_server_survives() -> None:
    async def main() -> None:
        async with echo_server() as server:
            reader, writer = await _raw_associate(server.port)
            writer.write(b"\x04\x00" + (0xFFFFFFF0).to_bytes(4, "big"))  # P-DATA-TF of ~4 GiB
            pdu_type, body = await asyncio.wait_for(read_pdu(reader), 2)
            assert pdu_type == 0x07  # A-ABORT
            assert body[2] == 2  # source: service-provider
            assert body[3] == 6  # reason: invalid-PDU-parameter value
            writer.close()  # PS3.8 AA-8: the aborting side waits (ARTIM) for the peer to close
            for _ in range(200):
                if not server._drivers:
                    break
                await asyncio.sleep(0.01)
            assert not server._drivers
            async with await aio.connect("127.0.0.1", server.port, requestor_config()) as assoc:
                assert await echo(assoc) == 0

    asyncio.run(main())


def test_garbage_before_association_is_aborted() -> None:
    async def main() -> None:
        async with echo_server() as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"\xee\x00\x00\x00\x00\x04abcd")
            pdu_type, _body = await asyncio.wait_for(read_pdu(reader), 2)
            assert pdu_type == 0x07  # A-ABORT (PS3.8 AA-1 in Sta2)
            writer.close()

    asyncio.run(main())


def test_server_close_aborts_open_associations_after_grace() -> None:
    async def main() -> None:
        server = await aio.serve(
            lambda assoc: assoc.wait_closed(),  # never releases by itself
            acceptor_config(),
        )
        assoc = await aio.connect("127.0.0.1", server.port, requestor_config())
        start = time.monotonic()
        await server.close(grace=0.2)
        assert time.monotonic() - start < 2
        await asyncio.wait_for(assoc.wait_closed(), 2)
        with pytest.raises(OSError):
            await aio.connect("127.0.0.1", server.port, requestor_config())

    asyncio.run(main())


def _raw_acceptor(reply: bytes) -> object:
    """A scripted acceptor: accepts Verification, then answers the first P-DATA with ``reply``."""
    from dicomnet.acse import Accept, negotiate_as_acceptor
    from dicomnet.pdu import AAssociateRQ, decode_pdu, encode_pdu

    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pdu_type, body = await read_pdu(reader)
        header = bytes([pdu_type, 0]) + len(body).to_bytes(4, "big")
        rq = decode_pdu(header + body)
        assert isinstance(rq, AAssociateRQ)
        decision = negotiate_as_acceptor(rq, acceptor_config())
        assert isinstance(decision, Accept)
        writer.write(encode_pdu(decision.pdu))
        pdu_type, _ = await read_pdu(reader)
        assert pdu_type == 0x04
        writer.write(reply)
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            behaviour.answers.append(await read_pdu(reader))  # type: ignore[attr-defined]
        writer.close()

    behaviour.answers = []  # type: ignore[attr-defined]
    return behaviour


def _pdata(context_id: int, control: int, data: bytes) -> bytes:
    pdv = (len(data) + 2).to_bytes(4, "big") + bytes([context_id, control]) + data
    return b"\x04\x00" + len(pdv).to_bytes(4, "big") + pdv


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(_pdata(1, 0x03, b"\x00\x00\x00\x00\x04\x00\x00\x00\xff"), id="malformed"),
        pytest.param(_pdata(99, 0x03, b"\x00" * 12), id="unknown-context"),
        pytest.param(b"\x77\x00\x00\x00\x00\x02xx", id="unknown-pdu-type"),
    ],
)
def test_bad_answer_to_echo_aborts_with_typed_error(reply: bytes) -> None:
    behaviour = _raw_acceptor(reply)

    async def main() -> None:
        async with raw_peer(behaviour) as port:  # type: ignore[arg-type]
            assoc = await aio.connect("127.0.0.1", port, requestor_config())
            with pytest.raises(AssociationAborted):
                await echo(assoc)
            await asyncio.wait_for(assoc.wait_closed(), 2)

    asyncio.run(main())
    answers = behaviour.answers  # type: ignore[attr-defined]
    assert answers
    assert answers[0][0] == 0x07


def test_failing_handler_aborts_only_its_own_association() -> None:
    calls = 0

    async def flaky(assoc: aio.AsyncAssociation) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("application bug")
        await verification_handler(assoc)

    async def main() -> None:
        async with echo_server(flaky) as server:
            first = await aio.connect("127.0.0.1", server.port, requestor_config())
            with pytest.raises(AssociationAborted):
                await echo(first)
            async with await aio.connect("127.0.0.1", server.port, requestor_config()) as second:
                assert await echo(second) == 0

    asyncio.run(main())


def test_timeouts_must_be_positive_or_none() -> None:
    assert aio.Timeouts(connect=None, acse=1, dimse=0.5).acse == 1
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="timeout"):
            aio.Timeouts(dimse=bad)


def test_an_event_hook_sees_events_in_order_and_declined_ones_are_queued() -> None:
    """The hook answers odd Message IDs itself (send_nowait); even ones are declined and reach
    events(), so every following one is queued too until the coroutine has taken them."""
    from dicomnet.dimse import CEchoRSP
    from dicomnet.services.echo import echo_response

    hooked: list[int] = []
    handled: list[int] = []

    async def handler(assoc: aio.AsyncAssociation) -> None:
        def hook(event: object) -> bool:
            if isinstance(event, MessageReceived) and event.message.message_id % 2:
                assert isinstance(event.message, CEchoRQ)
                hooked.append(event.message.message_id)
                assoc.send_nowait(echo_response(event.message), context_id=event.context_id)
                return True
            return False

        assoc.set_event_hook(hook)
        async for event in assoc.events():
            if isinstance(event, MessageReceived):
                assert isinstance(event.message, CEchoRQ)
                handled.append(event.message.message_id)
                await assoc.send(echo_response(event.message), context_id=event.context_id)
        assoc.set_event_hook(None)

    async def main() -> list[int]:
        answered: list[int] = []
        async with (
            echo_server(handler) as server,
            await aio.connect("127.0.0.1", server.port, requestor_config()) as assoc,
        ):
            for mid in range(1, 9):  # one at a time: the hook is offered every odd one
                await assoc.send(CEchoRQ(message_id=mid), context_id=1)
                rsp = (await assoc.receive_message()).message
                assert isinstance(rsp, CEchoRSP)
                answered.append(rsp.message_id_being_responded_to)
        return answered

    assert asyncio.run(asyncio.wait_for(main(), 30)) == list(range(1, 9))
    assert hooked == [1, 3, 5, 7]
    assert handled == [2, 4, 6, 8]


def test_send_nowait_outside_a_hook_writes_at_once() -> None:
    from dicomnet.dimse import CEchoRSP
    from dicomnet.services.echo import echo_response

    async def handler(assoc: aio.AsyncAssociation) -> None:
        async for event in assoc.events():
            if isinstance(event, MessageReceived):
                assert isinstance(event.message, CEchoRQ)
                assoc.send_nowait(echo_response(event.message), context_id=event.context_id)

    async def main() -> int:
        async with (
            echo_server(handler) as server,
            await aio.connect("127.0.0.1", server.port, requestor_config()) as assoc,
        ):
            await assoc.send(CEchoRQ(message_id=5), context_id=1)
            rsp = (await assoc.receive_message()).message
            assert isinstance(rsp, CEchoRSP)
            return rsp.message_id_being_responded_to

    assert asyncio.run(asyncio.wait_for(main(), 30)) == 5


def _admission_server(admit: aio.Admission, **kw: Any) -> Any:
    config = acceptor_config(require_called_ae_title=True)
    return aio.serve(verification_handler, config, admit=admit, **kw)


@pytest.mark.parametrize("how", ["false", "raises"])
def test_admission_refused_is_an_a_associate_rj(how: str) -> None:
    """PS3.8 §9.3.4: rejected-permanent (1), service-user (1), no-reason-given (1)."""
    served: list[object] = []

    async def admit(peer: tuple[Any, ...]) -> bool:
        assert peer[0] == "127.0.0.1"
        if how == "raises":
            raise RuntimeError("lookup failed")
        return False

    async def main() -> AssociationRejected:
        server = await _admission_server(admit)
        async with server:
            with pytest.raises(AssociationRejected) as info:
                await aio.connect("127.0.0.1", server.port, requestor_config())
            served.append(server.associations_served)
            return info.value

    rejected = asyncio.run(asyncio.wait_for(main(), 30))
    assert (rejected.result, rejected.source, rejected.reason) == (1, 1, 1)
    assert served == [0]


def test_admitted_peers_get_the_policy_decision() -> None:
    async def admit(peer: tuple[Any, ...]) -> bool:
        return True

    async def main() -> tuple[int, AssociationRejected]:
        server = await _admission_server(admit)
        async with server:
            async with await aio.connect("127.0.0.1", server.port, requestor_config()) as assoc:
                status = await echo(assoc)
            with pytest.raises(AssociationRejected) as info:  # the policy: called AE title
                await aio.connect("127.0.0.1", server.port, requestor_config("NOT-OURS"))
            return status, info.value

    status, rejected = asyncio.run(asyncio.wait_for(main(), 30))
    assert status == 0
    assert (rejected.result, rejected.source, rejected.reason) == (1, 1, 7)


def test_a_slow_admission_is_bounded_by_the_acse_timeout() -> None:
    async def admit(peer: tuple[Any, ...]) -> bool:
        await asyncio.sleep(30)
        return True  # pragma: no cover - cancelled by the timeout

    async def main() -> float:
        server = await _admission_server(admit, timeouts=aio.Timeouts(acse=0.3))
        async with server:
            start = time.monotonic()
            with pytest.raises((AssociationAborted, TimeoutError)):
                await aio.connect(
                    "127.0.0.1", server.port, requestor_config(), timeouts=aio.Timeouts(acse=10)
                )
            return time.monotonic() - start

    assert asyncio.run(asyncio.wait_for(main(), 30)) < 5
