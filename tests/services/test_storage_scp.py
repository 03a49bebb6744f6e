"""The Storage SCP handler over real asyncio associations (our SCU in-process) and its config."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydicom
import pytest

from dicomnet.acse import (
    AcceptedContext,
    NegotiatedAssociation,
    ProposedContext,
    RequestorConfig,
)
from dicomnet.association import Aborted, Closed, DatasetFragment, MessageReceived
from dicomnet.dimse import CEchoRQ, CEchoRSP, CStoreRQ, CStoreRSP
from dicomnet.services.echo import VERIFICATION_SOP_CLASS
from dicomnet.services.storage_scp import (
    SOP_CLASS_NOT_SUPPORTED,
    TRANSFER_SYNTAX_PREFERENCES,
    StorageSCP,
    preferred_transfer_syntaxes,
    storage_acceptor_config,
)
from dicomnet.services.store import (
    OUT_OF_RESOURCES,
    TEMP_PREFIX,
    DirectorySink,
    MemorySink,
    StoreRequest,
    StoreResult,
    StoreWriter,
)
from dicomnet.transport import aio
from dicomnet.uid import STORAGE_SOP_CLASSES

from .helpers import CT, DEFLATED, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, JPEG_BASELINE, encoded
from .helpers import dataset as make_dataset

MR = "1.2.840.10008.5.1.4.1.1.4"


def _rq(uid: str, sop_class: str = CT, mid: int = 1) -> CStoreRQ:
    return CStoreRQ(message_id=mid, affected_sop_class_uid=sop_class, affected_sop_instance_uid=uid)


def _run(coro_factory: Callable[[], Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro_factory(), 30))


async def _with_server(
    scp: StorageSCP,
    body: Callable[[int], Any],
    preference: str = "+x=",
) -> Any:
    config = storage_acceptor_config("STORESCP", preference)
    server = await aio.serve(scp, config, "127.0.0.1", 0)
    try:
        return await body(server.port)
    finally:
        await server.close(2.0)


def _requestor(*contexts: ProposedContext) -> RequestorConfig:
    return RequestorConfig(
        calling_ae_title="SCU", called_ae_title="STORESCP", presentation_contexts=contexts
    )


async def _store(
    assoc: aio.AsyncAssociation, context_id: int, rq: CStoreRQ, data: bytes
) -> CStoreRSP:
    await assoc.send(rq, context_id=context_id, dataset=data)
    rsp = (await assoc.receive_message()).message
    assert isinstance(rsp, CStoreRSP)
    return rsp


def _cid(assoc: aio.AsyncAssociation, abstract_syntax: str) -> int:
    assert assoc.negotiated is not None
    context = assoc.negotiated.context_for(abstract_syntax)
    assert context is not None
    return context.context_id


def test_echo_and_store_in_every_uncompressed_syntax(tmp_path: Path) -> None:
    scp = StorageSCP(DirectorySink(tmp_path))
    syntaxes = (EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE, DEFLATED)

    async def body(port: int) -> list[int]:
        statuses = []
        for n, ts in enumerate(syntaxes):
            config = _requestor(
                ProposedContext(CT, (ts,)), ProposedContext(VERIFICATION_SOP_CLASS, (ts,))
            )
            async with await aio.connect("127.0.0.1", port, config) as assoc:
                await assoc.send(
                    CEchoRQ(message_id=1), context_id=_cid(assoc, VERIFICATION_SOP_CLASS)
                )
                echo = (await assoc.receive_message()).message
                statuses.append(echo.status)  # type: ignore[union-attr]
                data = encoded(make_dataset(CT, f"1.2.3.{n}", name=f"Name^{n}"), ts)
                rsp = await _store(assoc, _cid(assoc, CT), _rq(f"1.2.3.{n}", mid=2), data)
                statuses.append(rsp.status)
                assert rsp.affected_sop_instance_uid == f"1.2.3.{n}"
        return statuses

    assert _run(lambda: _with_server(scp, body, "+xd")) == [0] * 8
    for n, ts in enumerate(syntaxes):
        stored = pydicom.dcmread(tmp_path / f"CT.1.2.3.{n}")
        assert stored.file_meta.TransferSyntaxUID == ts
        assert stored.PatientName == f"Name^{n}"
        assert stored.SOPInstanceUID == f"1.2.3.{n}"
        assert stored.file_meta.SourceApplicationEntityTitle == "SCU"  # the calling AE title
    assert scp.stored == 4
    assert scp.failed == 0
    assert not [p for p in os.listdir(tmp_path) if p.startswith(TEMP_PREFIX)]


def test_fragments_reach_the_sink_as_they_arrive() -> None:
    """A 2 MB data set arrives in many writes (max PDU 16 kB), never in one buffer."""
    writes: list[int] = []

    class CountingWriter:
        def write(self, data: memoryview) -> None:
            writes.append(len(data))

        def commit(self) -> StoreResult:
            return StoreResult(0)

        def abort(self) -> None:  # pragma: no cover - not expected
            raise AssertionError("aborted")

    class CountingSink:
        def open(self, request: StoreRequest) -> StoreWriter:
            return CountingWriter()

    scp = StorageSCP(CountingSink())
    payload = encoded(make_dataset(CT, "1.2.3")) + b"\x00" * 2_000_000

    async def body(port: int) -> int:
        async with await aio.connect(
            "127.0.0.1", port, _requestor(ProposedContext(CT, (EXPLICIT_LE,)))
        ) as assoc:
            return (await _store(assoc, _cid(assoc, CT), _rq("1.2.3"), payload)).status

    assert _run(lambda: _with_server(scp, body)) == 0
    assert sum(writes) == len(payload)
    assert len(writes) > 100
    assert max(writes) <= 16384


def test_sop_class_differing_from_the_context_is_refused_and_association_survives() -> None:
    sink = MemorySink()
    scp = StorageSCP(sink)

    async def body(port: int) -> list[int]:
        config = _requestor(ProposedContext(CT, (EXPLICIT_LE,)))
        async with await aio.connect("127.0.0.1", port, config) as assoc:
            cid = _cid(assoc, CT)
            wrong = await _store(
                assoc, cid, _rq("1.2.3", sop_class=MR), encoded(make_dataset(MR, "1.2.3"))
            )
            right = await _store(
                assoc, cid, _rq("1.2.4", mid=2), encoded(make_dataset(CT, "1.2.4"))
            )
            return [wrong.status, right.status]

    assert _run(lambda: _with_server(scp, body)) == [SOP_CLASS_NOT_SUPPORTED, 0]
    assert [r.sop_instance_uid for r, _ in sink.received] == ["1.2.4"]
    assert scp.failed == 1
    assert scp.stored == 1


@pytest.mark.parametrize("where", ["open", "write", "commit"])
def test_sink_exception_answers_a700_and_association_survives(where: str) -> None:
    aborted: list[str] = []
    calls = {"n": 0}

    class FlakyWriter:
        def __init__(self, fail: bool) -> None:
            self.fail = fail

        def write(self, data: memoryview) -> None:
            if self.fail and where == "write":
                raise RuntimeError("disk on fire")

        def commit(self) -> StoreResult:
            if self.fail and where == "commit":
                raise RuntimeError("disk on fire")
            return StoreResult(0)

        def abort(self) -> None:
            aborted.append("x")

    class FlakySink:
        def open(self, request: StoreRequest) -> StoreWriter:
            calls["n"] += 1
            first = calls["n"] == 1
            if first and where == "open":
                raise RuntimeError("disk on fire")
            return FlakyWriter(first)

    scp = StorageSCP(FlakySink())

    async def body(port: int) -> list[int]:
        async with await aio.connect(
            "127.0.0.1", port, _requestor(ProposedContext(CT, (EXPLICIT_LE,)))
        ) as assoc:
            cid = _cid(assoc, CT)
            first = await _store(assoc, cid, _rq("1.2.3"), encoded(make_dataset(CT, "1.2.3")))
            second = await _store(
                assoc, cid, _rq("1.2.4", mid=2), encoded(make_dataset(CT, "1.2.4"))
            )
            assert first.error_comment is not None
            assert "disk on fire" in first.error_comment
            return [first.status, second.status]

    assert _run(lambda: _with_server(scp, body)) == [OUT_OF_RESOURCES, 0]
    assert aborted == ([] if where == "open" else ["x"])


def test_preferences_and_acceptor_config() -> None:
    assert TRANSFER_SYNTAX_PREFERENCES["+xi"] == (IMPLICIT_LE,)
    assert TRANSFER_SYNTAX_PREFERENCES["+xe"][0] == EXPLICIT_LE
    assert TRANSFER_SYNTAX_PREFERENCES["+xb"][0] == EXPLICIT_BE
    jpeg = TRANSFER_SYNTAX_PREFERENCES["+xy"]
    assert jpeg[0] == JPEG_BASELINE
    assert {EXPLICIT_LE, EXPLICIT_BE, IMPLICIT_LE} <= set(jpeg)
    every = TRANSFER_SYNTAX_PREFERENCES["+xa"]
    assert len(set(every)) == len(every)
    assert every[-1] == IMPLICIT_LE
    assert DEFLATED in every
    assert JPEG_BASELINE in every
    assert preferred_transfer_syntaxes(["1.2.3"]) == ("1.2.3",)
    with pytest.raises(ValueError):
        preferred_transfer_syntaxes("+xz")
    config = storage_acceptor_config("ME", "+xy", max_pdu_length=32768)
    abstract = [c.abstract_syntax for c in config.supported_contexts]
    assert abstract[0] == VERIFICATION_SOP_CLASS
    assert set(abstract[1:]) == {c.uid for c in STORAGE_SOP_CLASSES}
    assert all(c.transfer_syntaxes == jpeg for c in config.supported_contexts)
    assert config.prefer == "acceptor"
    assert config.max_pdu_length == 32768
    assert config.ae_titles == ("ME",)


def test_acceptor_prefers_our_order() -> None:
    """storescu proposing implicit first still gets our +xe choice (explicit little)."""
    sink = MemorySink()

    async def body(port: int) -> str:
        config = _requestor(ProposedContext(CT, (IMPLICIT_LE, EXPLICIT_BE, EXPLICIT_LE)))
        async with await aio.connect("127.0.0.1", port, config) as assoc:
            assert assoc.negotiated is not None
            context = assoc.negotiated.context_for(CT)
            assert context is not None
            return context.transfer_syntax

    assert _run(lambda: _with_server(StorageSCP(sink), body, "+xe")) == EXPLICIT_LE


class _Scripted:
    """A channel replaying events and recording what the handler sends (no network)."""

    def __init__(self, events: list[Any]) -> None:
        self._events = events
        self.sent: list[Any] = []
        self.negotiated = NegotiatedAssociation(
            local_is_requestor=False,
            calling_ae_title="SCU",
            called_ae_title="STORESCP",
            accepted={
                1: AcceptedContext(context_id=1, abstract_syntax=CT, transfer_syntax=EXPLICIT_LE)
            },
        )
        self.peer_address = ("127.0.0.1", 4242)

    async def send(self, message: Any, *, context_id: int, dataset: Any = None) -> None:
        self.sent.append((message, context_id))

    async def events(self) -> Any:
        for event in self._events:
            yield event


class _RecordingSink:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.requests: list[StoreRequest] = []

    def open(self, request: StoreRequest) -> StoreWriter:
        self.requests.append(request)
        sink = self

        class Writer:
            def write(self, data: memoryview) -> None:
                sink.calls.append(f"write {bytes(data)!r}")

            def commit(self) -> StoreResult:
                sink.calls.append("commit")
                return StoreResult(0)

            def abort(self) -> None:
                sink.calls.append("abort")

        return Writer()


@pytest.mark.parametrize("end", ["aborted", "closed", "stream_ends"])
def test_association_ending_mid_data_set_aborts_the_writer(end: str) -> None:
    tail: list[Any] = {
        "aborted": [Aborted(0, 0, by_peer=True), Closed()],
        "closed": [Closed()],
        "stream_ends": [],
    }[end]
    channel = _Scripted(
        [
            MessageReceived(1, _rq("1.2.3"), True),
            DatasetFragment(1, memoryview(b"ab"), False),
            *tail,
        ]
    )
    sink = _RecordingSink()
    asyncio.run(StorageSCP(sink)(channel))
    assert sink.calls == ["write b'ab'", "abort"]
    assert channel.sent == []
    request = sink.requests[0]
    assert request.transfer_syntax_uid == EXPLICIT_LE
    assert request.calling_ae_title == "SCU"
    assert request.peer_address == ("127.0.0.1", 4242)


def test_scripted_echo_store_and_a_store_without_data_set() -> None:
    no_data = CStoreRQ(
        message_id=3,
        affected_sop_class_uid=CT,
        affected_sop_instance_uid="1.2.5",
        has_dataset=False,
    )
    channel = _Scripted(
        [
            MessageReceived(1, CEchoRQ(message_id=1), False),
            MessageReceived(1, _rq("1.2.4", mid=2), True),
            DatasetFragment(1, memoryview(b"x"), False),
            DatasetFragment(1, memoryview(b"y"), True),
            MessageReceived(1, no_data, False),
        ]
    )
    sink = _RecordingSink()
    stored: list[int] = []
    scp = StorageSCP(sink, on_stored=lambda rq, result: stored.append(result.status))
    asyncio.run(scp(channel))
    assert sink.calls == ["write b'x'", "write b'y'", "commit"]
    echo, store, refused = (message for message, _cid in channel.sent)
    assert isinstance(echo, CEchoRSP)
    assert echo.status == 0
    assert isinstance(store, CStoreRSP)
    assert (store.message_id_being_responded_to, store.status) == (2, 0)
    assert isinstance(refused, CStoreRSP)
    assert (refused.message_id_being_responded_to, refused.status) == (3, 0xC000)
    assert stored == [0, 0xC000]
    assert (scp.stored, scp.failed) == (1, 1)


class _Hooked(_Scripted):
    """A channel with an event hook, as ``AsyncAssociation`` has: each event is offered to the
    hook first and queued (given to ``events()``) only when the hook declines it. Events in
    ``during_send`` are offered while the handler awaits ``send`` (the coroutine is busy)."""

    def __init__(self, events: list[Any], during_send: list[Any] | None = None) -> None:
        super().__init__(events)
        self.hook: Callable[[Any], bool] | None = None
        self.hooked: list[Any] = []  # the events the hook dealt with
        self.queued: list[Any] = []  # the events declined (what events() yields)
        self._during_send = list(during_send or [])
        self.declined_while_busy: list[bool] = []

    def set_event_hook(self, hook: Callable[[Any], bool] | None) -> None:
        self.hook = hook

    def send_nowait(self, message: Any, *, context_id: int) -> None:
        self.sent.append((message, context_id))

    def _offer(self, event: Any) -> None:
        if not self.queued and self.hook is not None and self.hook(event):
            self.hooked.append(event)
        else:
            self.queued.append(event)

    async def send(self, message: Any, *, context_id: int, dataset: Any = None) -> None:
        self.sent.append((message, context_id))
        during, self._during_send = self._during_send, []
        for event in during:
            assert self.hook is not None
            self.declined_while_busy.append(not self.hook(event))
            self.queued.append(event)

    async def events(self) -> Any:
        while self.queued:
            yield self.queued.pop(0)
        for event in self._events:
            self._offer(event)
            while self.queued:
                yield self.queued.pop(0)


def _store_script(uid: str, mid: int, *chunks: bytes) -> list[Any]:
    fragments = [
        DatasetFragment(1, memoryview(chunk), n == len(chunks) - 1)
        for n, chunk in enumerate(chunks)
    ]
    return [MessageReceived(1, _rq(uid, mid=mid), True), *fragments]


def _outcome(channel: _Scripted, sink: _RecordingSink) -> tuple[Any, ...]:
    sent = [
        (type(m).__name__, getattr(m, "message_id_being_responded_to", None), m.status, cid)
        for m, cid in channel.sent
    ]
    return tuple(sink.calls), tuple(sent), tuple(r.sop_instance_uid for r in sink.requests)


def test_the_event_hook_does_what_the_queue_does() -> None:
    """C-ECHO, C-STOREs and a refused C-STORE: the same writes, commits and responses whether
    the events reach the SCP through its hook (no task switch) or through events()."""
    no_data = CStoreRQ(
        message_id=9,
        affected_sop_class_uid=CT,
        affected_sop_instance_uid="1.2.9",
        has_dataset=False,
    )
    script = [
        MessageReceived(1, CEchoRQ(message_id=1), False),
        *_store_script("1.2.4", 2, b"a", b"b", b"c"),
        *_store_script("1.2.5", 3, b"d"),
        MessageReceived(1, no_data, False),
        Closed(),
    ]
    plain, plain_sink = _Scripted(script), _RecordingSink()
    asyncio.run(StorageSCP(plain_sink)(plain))
    hooked, hooked_sink = _Hooked(script), _RecordingSink()
    scp = StorageSCP(hooked_sink)
    asyncio.run(scp(hooked))
    assert _outcome(hooked, hooked_sink) == _outcome(plain, plain_sink)
    writes = ["write b'a'", "write b'b'", "write b'c'", "commit", "write b'd'", "commit"]
    assert hooked_sink.calls == writes
    assert hooked.queued == []
    m, f = "MessageReceived", "DatasetFragment"
    # everything but Closed, which ends the coroutine
    assert [type(e).__name__ for e in hooked.hooked] == [m, m, f, f, f, m, f, m]
    assert hooked.hook is None  # removed when the association ends
    assert (scp.stored, scp.failed) == (2, 1)


def test_the_event_hook_declines_while_the_coroutine_is_busy() -> None:
    """An event queued first (here: an unknown message) is handled by the coroutine; events
    offered while it awaits a send are declined and queued, so the order is kept."""
    first = MessageReceived(1, CEchoRQ(message_id=1), False)
    later = _store_script("1.2.6", 2, b"x", b"y")
    channel = _Hooked([Closed()], during_send=later)
    channel.queued.append(first)  # reaches the coroutine: it sends the C-ECHO-RSP
    sink = _RecordingSink()
    scp = StorageSCP(sink)
    asyncio.run(scp(channel))
    assert channel.declined_while_busy == [True, True, True]  # offered during that send
    assert channel.hooked == []
    assert sink.calls == ["write b'x'", "write b'y'", "commit"]
    assert [type(m).__name__ for m, _cid in channel.sent] == ["CEchoRSP", "CStoreRSP"]


def test_the_event_hook_tolerates_a_peer_gone_before_the_response() -> None:
    class Gone(_Hooked):
        def send_nowait(self, message: Any, *, context_id: int) -> None:
            from dicomnet.errors import AssociationAborted

            raise AssociationAborted(0, 0, "aborted by the peer")

    channel = Gone([*_store_script("1.2.7", 2, b"z"), Aborted(0, 0, by_peer=True), Closed()])
    sink = _RecordingSink()
    asyncio.run(StorageSCP(sink)(channel))
    assert sink.calls == ["write b'z'", "commit"]  # stored; the response could not go
    assert channel.sent == []


def test_a_response_lost_after_commit_does_not_abort_the_writer() -> None:
    """Without a hook the send raises out of the handler; the committed writer stays."""
    from dicomnet.errors import AssociationAborted

    class Gone(_Scripted):
        async def send(self, message: Any, *, context_id: int, dataset: Any = None) -> None:
            raise AssociationAborted(0, 0, "aborted by the peer")

    sink = _RecordingSink()
    with pytest.raises(AssociationAborted):
        asyncio.run(StorageSCP(sink)(Gone(_store_script("1.2.8", 2, b"w"))))
    assert sink.calls == ["write b'w'", "commit"]
