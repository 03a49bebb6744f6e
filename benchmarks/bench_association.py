"""Cost of the Association composition on the receiving (SCP) side, against the bare layers.

Run: ``.venv/bin/python benchmarks/bench_association.py`` from the repository root. A requestor
queues N C-STOREs (unlimited asynchronous window); its byte stream is captured once. Then, best
of 5 process-CPU times: (1) an acceptor ``Association`` fed that stream in 64 KiB reads, answering
each C-STORE with a C-STORE-RSP and draining data_to_send(); (2) the same work on the bare
layers (ULConnection + negotiate_as_acceptor + MessageAssembler + fragment_message), as the
association would do it by hand. Ratio = association / bare (1.0 = no composition overhead).

Then the whole receiving side of ``dicomnet storescp`` in this process, per object: the asyncio
driver (``transport.aio``) over a fake transport, the Association, ``StorageSCP`` and a
``DirectorySink`` with ``ignore=True`` (no file system: that cost is the kernel's), fed one
object at a time as a ``storescu`` peer sends them (each object's PDUs in 256 KiB reads, then
the loop runs until the C-STORE-RSP is written), max PDU 16 KiB. Best of 5, process CPU time.

Last, the sending side of a C-MOVE in the archive (``dicomnet qrscp``), per sub-operation:
``perform_sub_operations`` over a sub-association (driver + Association, fake transport) to a
destination that answers each C-STORE-RQ with its C-STORE-RSP at once (bytes prepared before the
clock starts), the Pending C-MOVE-RSPs through ``Responder.progress`` on the C-MOVE association
(fake transport), 500 files of the sample study (64x64 CT, ~9.6 kB) read with ``pread``.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from typing import Any

from dicomnet.acse import (
    AcceptorConfig,
    AsynchronousOperationsWindow,
    ProposedContext,
    RequestorConfig,
    SupportedContext,
    negotiate_as_acceptor,
)
from dicomnet.association import Association, DatasetFragment, MessageReceived
from dicomnet.dimse import CommandReceived, CStoreRQ, CStoreRSP, MessageAssembler, fragment_message
from dicomnet.ul import AAssociateIndication, PDataIndication, Role, ULConfig, ULConnection

CT = "1.2.840.10008.5.1.4.1.1.2"
ELE = "1.2.840.10008.1.2.1"
W = AsynchronousOperationsWindow(0, 0)
RQ = RequestorConfig(
    calling_ae_title="SCU",
    called_ae_title="SCP",
    presentation_contexts=[ProposedContext(CT, [ELE])],
    asynchronous_operations_window=W,
)
AC = AcceptorConfig(
    supported_contexts=[SupportedContext(CT, [ELE])], asynchronous_operations_window=W
)
READ = 65536


def capture(n: int, size: int) -> bytes:
    a = Association.requestor(RQ, now=0.0)
    b = Association.acceptor(AC, now=0.0)
    a.transport_connected(0.0)
    b.receive_data(b"".join(a.data_to_send()), 0.0)
    a.receive_data(b"".join(b.data_to_send()), 0.0)
    payload = bytes(range(256)) * (size // 256)
    for i in range(1, n + 1):
        a.send_message(
            CStoreRQ(
                message_id=i, affected_sop_class_uid=CT, affected_sop_instance_uid=f"1.2.3.{i}"
            ),
            context_id=1,
            dataset=payload,
            now=0.0,
        )
    parts = []
    while a.has_data_to_send:
        parts.extend(bytes(x) for x in a.data_to_send())
    first = Association.requestor(RQ, now=0.0)
    first.transport_connected(0.0)
    return b"".join(bytes(x) for x in first.data_to_send()), b"".join(parts)


def run_association(streams: tuple[bytes, bytes]) -> int:
    b = Association.acceptor(AC, now=0.0)
    b.receive_data(streams[0], 0.0)
    b.data_to_send()
    stream = streams[1]
    total = 0
    for start in range(0, len(stream), READ):
        b.receive_data(stream[start : start + READ], 0.0)
        while (ev := b.next_event()) is not None:
            if isinstance(ev, DatasetFragment):
                total += len(ev.data)
            elif isinstance(ev, MessageReceived):
                rq = ev.message
            # answer every completed message
            if isinstance(ev, DatasetFragment) and ev.last:
                b.send_message(
                    CStoreRSP(message_id_being_responded_to=rq.message_id, status=0),
                    context_id=ev.context_id,
                    now=0.0,
                )
        while b.has_data_to_send:
            b.data_to_send()
        b.data_to_send()
    return total


def run_bare(streams: tuple[bytes, bytes]) -> int:
    ul = ULConnection(Role.ACCEPTOR, ULConfig(max_pdu_length=AC.max_pdu_length), now=0.0)
    asm: MessageAssembler | None = None
    peer_max = 0
    total = 0
    rq_bytes, stream = streams
    chunks = itertools.chain(
        [rq_bytes], (stream[i : i + READ] for i in range(0, len(stream), READ))
    )
    for chunk in chunks:
        ul.receive_data(chunk, 0.0)
        while (ev := ul.next_event()) is not None:
            if isinstance(ev, AAssociateIndication):
                d = negotiate_as_acceptor(ev.pdu, AC, None)
                ul.send(d.pdu, 0.0)  # type: ignore[union-attr]
                asm = MessageAssembler(context_ids=frozenset(d.negotiated.accepted))  # type: ignore[union-attr]
                peer_max = d.negotiated.peer_max_pdu_length  # type: ignore[union-attr]
            elif isinstance(ev, PDataIndication):
                for pdv in ev.pdvs:
                    e = asm.receive(pdv)  # type: ignore[union-attr]
                    if isinstance(e, CommandReceived):
                        rq = e.message
                    elif e is not None:
                        total += len(e.data)
                        if e.last:
                            for pdu in fragment_message(
                                e.context_id,
                                CStoreRSP(message_id_being_responded_to=rq.message_id, status=0),
                                max_pdu_length=peer_max,
                            ):
                                ul.send(pdu, 0.0)
        ul.data_to_send()
    return total


def best(fn, stream: tuple[bytes, bytes]) -> float:
    times = []
    for _ in range(5):
        t = time.process_time()
        fn(stream)
        times.append(time.process_time() - t)
    return min(times)


class _FakeTransport(asyncio.Transport):
    """Counts what the driver writes; no socket."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def write(self, data: Any) -> None:
        self.written += len(data)

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.written += len(data)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def capture_objects(n: int, size: int) -> tuple[bytes, list[bytes]]:
    """The A-ASSOCIATE-RQ and each C-STORE's PDUs as a storescu-like peer sends them."""
    from dicomnet.services.storage_scp import storage_acceptor_config

    config = storage_acceptor_config("STORESCP", "+x=", max_pdu_length=16384)
    rq_config = RequestorConfig(
        calling_ae_title="STORESCU",
        called_ae_title="STORESCP",
        presentation_contexts=[ProposedContext(CT, [ELE])],
    )
    a = Association.requestor(rq_config, now=0.0)
    b = Association.acceptor(config, now=0.0)
    a.transport_connected(0.0)
    rq = b"".join(bytes(x) for x in a.data_to_send())
    b.receive_data(rq, 0.0)
    a.receive_data(b"".join(bytes(x) for x in b.data_to_send()), 0.0)
    body = bytes(size)
    objects = []
    for i in range(1, n + 1):
        uid = f"1.2.3.{i}".encode()
        uid += b"\0" * (len(uid) & 1)
        sop_class = CT.encode() + b"\0"
        dataset = (
            b"\x08\x00\x16\x00UI" + len(sop_class).to_bytes(2, "little") + sop_class
            + b"\x08\x00\x18\x00UI" + len(uid).to_bytes(2, "little") + uid
            + b"\xe0\x7f\x10\x00OW\0\0" + len(body).to_bytes(4, "little") + body
        )  # fmt: skip
        rq_message = CStoreRQ(
            message_id=i, affected_sop_class_uid=CT, affected_sop_instance_uid=f"1.2.3.{i}"
        )
        a.send_message(rq_message, context_id=1, dataset=dataset, now=0.0)
        parts: list[bytes] = []
        while a.has_data_to_send:
            parts.extend(bytes(x) for x in a.data_to_send())
        objects.append(b"".join(parts))
        b.receive_data(objects[-1], 0.0)
        while b.next_event() is not None:
            pass
        b.send_message(CStoreRSP(message_id_being_responded_to=i, status=0), context_id=1, now=0.0)
        a.receive_data(b"".join(bytes(x) for x in b.data_to_send()), 0.0)
        while a.next_event() is not None:
            pass
    return rq, objects


async def _serve_objects(rq: bytes, objects: list[bytes]) -> tuple[float, int]:
    from dicomnet.services.storage_scp import StorageSCP, storage_acceptor_config
    from dicomnet.services.store import DirectorySink
    from dicomnet.transport import aio

    config = storage_acceptor_config("STORESCP", "+x=", max_pdu_length=16384)
    with tempfile.TemporaryDirectory() as out:
        scp = StorageSCP(DirectorySink(out, ignore=True))
        server = aio.Server(
            scp, config, timeouts=aio.Timeouts(), ul_config=ULConfig(max_pdu_length=16384)
        )
        driver = server._protocol()
        transport = _FakeTransport()
        driver.connection_made(transport)
        driver.data_received(rq)
        for _ in range(3):
            await asyncio.sleep(0)
        start = time.process_time()
        for data in objects:
            for begin in range(0, len(data), 262144):
                driver.data_received(data[begin : begin + 262144])
            for _ in range(3):  # the handler task's turn (when the event hook is not used)
                await asyncio.sleep(0)
        elapsed = time.process_time() - start
        driver.connection_lost(None)
        for _ in range(3):
            await asyncio.sleep(0)
        assert scp.stored == len(objects), scp.stored
        return elapsed, transport.written


def stack_per_object(n: int, size: int) -> float:
    """Best of 5: microseconds of CPU per object through the whole receiving stack."""
    rq, objects = capture_objects(n, size)
    return min(asyncio.run(_serve_objects(rq, objects))[0] for _ in range(5)) / n * 1e6


class _Destination(_FakeTransport):
    """A move destination that answers each C-STORE-RQ (one ``writelines`` each) at once."""

    def __init__(self, loop: asyncio.AbstractEventLoop, answers: dict[int, bytes]) -> None:
        super().__init__()
        self.loop = loop
        self.answers = answers
        self.driver: Any = None

    def writelines(self, list_of_data: Any) -> None:
        super().writelines(list_of_data)
        provider = None if self.driver is None else self.driver.assoc.provider
        if provider is not None and provider.sent_requests:
            message_id = next(iter(provider.sent_requests))
            self.loop.call_soon(self.driver.data_received, self.answers[message_id])


def _pdata(message: Any, context_id: int, dataset: bytes | None = None) -> bytes:
    from dicomnet.pdu.pdata import encode_pdata_parts

    return b"".join(
        bytes(part)
        for pdu in fragment_message(context_id, message, dataset, max_pdu_length=16384)
        for part in encode_pdata_parts(pdu)
    )


async def _send_side(files: list[Any]) -> float:
    from dicomnet.dimse import CMoveRQ
    from dicomnet.services.qr_scp_operation import Responder
    from dicomnet.services.qr_scp_store import (
        Instance,
        MoveStore,
        SubOperationCounts,
        perform_sub_operations,
    )
    from dicomnet.services.storage_scu import inspect_file
    from dicomnet.transport import aio

    loop = asyncio.get_running_loop()
    move_model = "1.2.840.10008.5.1.4.1.2.2.2"
    instances = [Instance(inspect_file(f)) for f in files]
    # The C-MOVE association (acceptor), with the C-MOVE-RQ received.
    move_ac = AcceptorConfig(supported_contexts=[SupportedContext(move_model, [ELE])])
    move_rq = RequestorConfig(
        calling_ae_title="MOVESCU",
        called_ae_title="QRSCP",
        presentation_contexts=[ProposedContext(move_model, [ELE])],
    )
    scu = Association.requestor(move_rq, now=0.0)
    scu.transport_connected(0.0)
    server = aio.Server(
        lambda _a: asyncio.sleep(0), move_ac, timeouts=aio.Timeouts(), ul_config=ULConfig()
    )
    driver = aio._Driver(loop, server._protocol()._make_association, requestor=False)
    driver.connection_made(_FakeTransport())
    driver.data_received(b"".join(bytes(x) for x in scu.data_to_send()))
    request = CMoveRQ(message_id=1, affected_sop_class_uid=move_model, move_destination="DEST")
    driver.data_received(_pdata(request, 1, b"\x08\x00\x52\x00CS\x06\x00STUDY "))
    move = aio.AsyncAssociation(driver, aio.Timeouts())
    while not isinstance(driver._events.popleft(), MessageReceived):
        pass
    responder = Responder(move, request, 1, ELE)  # type: ignore[arg-type]
    # The sub-association to the destination (requestor).
    sub_rq = RequestorConfig(
        calling_ae_title="QRSCP",
        called_ae_title="DEST",
        presentation_contexts=[ProposedContext(CT, [ELE])],
    )
    peer = Association.acceptor(AC, now=0.0)
    assoc = Association.requestor(sub_rq, now=loop.time())
    sub_driver = aio._Driver(loop, lambda _peer: assoc, requestor=True)
    sub_driver.assoc = assoc
    answers = {
        i: _pdata(
            CStoreRSP(message_id_being_responded_to=i, status=0, affected_sop_class_uid=CT), 1
        )
        for i in range(1, len(files) + 2)
    }
    destination = _Destination(loop, answers)
    sub_driver.connection_made(destination)
    # The A-ASSOCIATE-RQ the driver wrote went to the fake transport; a peer answers the same one.
    probe = Association.requestor(sub_rq, now=0.0)
    probe.transport_connected(0.0)
    peer.receive_data(b"".join(bytes(x) for x in probe.data_to_send()), 0.0)
    destination.driver = sub_driver
    sub_driver.data_received(b"".join(bytes(x) for x in peer.data_to_send()))
    sub = aio.AsyncAssociation(sub_driver, aio.Timeouts())
    sub.negotiated = assoc.negotiated
    while sub_driver._events:
        sub_driver._events.popleft()
    counts = SubOperationCounts(remaining=len(instances))
    start = time.process_time()
    lost = await perform_sub_operations(
        MoveStore(sub),
        instances,
        counts,
        cancelled=lambda: False,
        pending=responder.progress,
        originator=("MOVESCU", 1),
    )
    elapsed = time.process_time() - start
    assert lost is None, lost
    assert counts.completed == len(instances), counts
    return elapsed


def send_side_per_sub_operation(n: int) -> float:
    """Best of 5: microseconds of CPU per C-MOVE sub-operation on the archive's sending side."""
    from pathlib import Path

    from dicomnet.samples import generate_study

    with tempfile.TemporaryDirectory() as tmp:
        files = generate_study(
            Path(tmp), series_per_study=5, images_per_series=n // 5, rows=64, columns=64
        )
        return min(asyncio.run(_send_side(files)) for _ in range(5)) / len(files) * 1e6


for n, size in ((500, 9728), (100, 512 * 512 * 2), (1, 256 * 1024 * 1024)):
    stream = capture(n, size)
    assert run_association(stream) == run_bare(stream) == n * (size // 256 * 256)
    ta, tb = best(run_association, stream), best(run_bare, stream)
    mb = len(stream[1]) / 1e6
    print(
        f"{n:4d} x {size:>9d} B ({mb:7.1f} MB): association {ta * 1e3:8.1f} ms "
        f"({ta / n * 1e6:8.1f} us/object, {mb / ta:7.0f} MB/s)  bare layers {tb * 1e3:8.1f} ms  "
        f"ratio {ta / tb:.2f}"
    )

print("\nwhole receiving side of dicomnet storescp (driver + Association + StorageSCP, --ignore):")
for n, size in ((500, 9000), (100, 512 * 512 * 2)):
    per_object = stack_per_object(n, size)
    pdus = -(-(size + 100) // 16378) + 1  # data PDUs (16 KiB max PDU) + the command PDU
    print(
        f"{n:4d} x {size:>9d} B: {per_object:7.1f} us/object "
        f"({per_object / pdus:5.1f} us per received PDU, {pdus} PDUs an object)"
    )

print("\nsending side of a C-MOVE in dicomnet qrscp (sub-association + Pending responses):")
print(f" 500 x 64x64 CT: {send_side_per_sub_operation(500):7.1f} us/sub-operation")
