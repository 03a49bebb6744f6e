"""Cost of the Association composition on the receiving (SCP) side, against the bare layers.

Run: ``.venv/bin/python benchmarks/bench_association.py`` from the repository root. A requestor
queues N C-STOREs (unlimited asynchronous window); its byte stream is captured once. Then, best
of 5 process-CPU times: (1) an acceptor ``Association`` fed that stream in 64 KiB reads, answering
each C-STORE with a C-STORE-RSP and draining data_to_send(); (2) the same work on the bare
layers (ULConnection + negotiate_as_acceptor + MessageAssembler + fragment_message), as the
association would do it by hand. Ratio = association / bare (1.0 = no composition overhead).
"""

from __future__ import annotations

import itertools
import time

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
