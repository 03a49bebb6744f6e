"""The Sta6 P-DATA-TF fast path (``PDUFramer.take_pdata`` + DT-2 inline) against the general path.

Whatever the byte stream and its chunking, a connection whose framer hands over the common
P-DATA-TFs as PDVs must produce the same events, trace, state and output as one that decodes
every PDU with ``next_pdu`` (PS3.8 §9.3.5, Table 9-10 DT-2).
"""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.pdu import AReleaseRQ, PDataTF, PDUFramer, PresentationDataValue, encode_pdu
from dicomnet.ul import PDataIndication, Role, State, ULConfig, ULEvent

from .helpers import GARBAGE, drain, drive


def _pdv(context_id: int, control: int, data: bytes) -> bytes:
    return struct.pack(">LBB", len(data) + 2, context_id, control) + data


def _pdu(body: bytes, reserved: int = 0) -> bytes:
    return struct.pack(">BBL", 0x04, reserved, len(body)) + body


_data = st.binary(min_size=0, max_size=40)
_common = st.builds(
    lambda c, ctl, d, r: _pdu(_pdv(c, ctl, d), r),
    st.integers(1, 255),
    st.integers(0, 255),
    _data,
    st.integers(0, 255),
)
_several = st.lists(
    st.tuples(st.integers(1, 255), st.integers(0, 3), _data), min_size=0, max_size=3
).map(lambda items: _pdu(b"".join(_pdv(*item) for item in items)))
_trailing = st.builds(
    lambda d, t: _pdu(_pdv(1, 2, d) + t), _data, st.binary(min_size=1, max_size=3)
)
_bad_pdv = st.builds(lambda d: _pdu(struct.pack(">LBB", len(d) + 9, 1, 0) + d), _data)
_pieces = st.one_of(
    _common,
    _common,
    _several,
    _trailing,
    _bad_pdv,
    st.just(encode_pdu(AReleaseRQ())),
    st.just(GARBAGE),
    st.just(_pdu(_pdv(1, 3, b"x" * 100))),  # above the limit of 64 below
)


def _normal(event: ULEvent) -> object:
    if isinstance(event, PDataIndication):
        return [
            (p.context_id, p.is_command, p.is_last, bytes(p.data), p.reserved_bits)
            for p in event.pdvs
        ]
    return event


def _run(chunks: list[bytes], fast: bool) -> tuple[object, ...]:
    with pytest.MonkeyPatch.context() as patch:
        if not fast:
            patch.setattr(PDUFramer, "take_pdata", lambda self: [])
        conn = drive(Role.ACCEPTOR, State.Sta6, ULConfig(max_pdu_length=64, trace_size=8))
        events: list[object] = []
        for chunk in chunks:
            if conn.must_close:
                break
            conn.receive_data(chunk, 1.0)
            events.extend(_normal(e) for e in drain(conn))
        sent = b"".join(bytes(x) for x in conn.data_to_send())
    trace = [(t.state, t.event, t.action, t.next_state, t.at) for t in conn.trace]
    return events, trace, conn.trace.total, conn.state, conn.must_close, sent


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(_pieces, max_size=12), cuts=st.lists(st.integers(0, 2000), max_size=6))
def test_fast_path_matches_general_path(pieces: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(pieces)
    bounds = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    chunks = [stream[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    assert _run(chunks, True) == _run(chunks, False)


def test_take_pdata_consumes_a_run_and_stops_at_anything_else() -> None:
    common = [_pdu(_pdv(1, 0, b"ab")), _pdu(_pdv(3, 2, b"cdef"), reserved=7)]
    release = encode_pdu(AReleaseRQ())
    framer = PDUFramer(1000)
    framer.feed(b"".join(common) + release + common[0][:5])
    framer.feed(common[0][5:])
    pdvs = framer.take_pdata()
    assert [(p.context_id, p.is_command, p.is_last, bytes(p.data)) for p in pdvs] == [
        (1, False, False, b"ab"),
        (3, False, True, b"cdef"),
    ]
    assert all(type(p.data) is memoryview for p in pdvs)  # slices of the fed chunk, no copy
    assert framer.take_pdata() == []  # the A-RELEASE-RQ is next
    assert framer.buffered == len(release) + len(common[0])
    assert framer.next_pdu() == AReleaseRQ()
    assert framer.take_pdata() == []  # split across chunks: left for next_pdu
    assert framer.next_pdu() == PDataTF((PresentationDataValue(1, False, False, b"ab"),))
    assert framer.buffered == 0
    assert framer.next_pdu() is None


def test_take_pdata_leaves_what_next_pdu_must_judge() -> None:
    too_long = _pdu(_pdv(1, 0, b"x" * 20))
    framer = PDUFramer(10)
    framer.feed(too_long)
    assert framer.take_pdata() == []
    assert framer.buffered == len(too_long)
    two = _pdu(_pdv(1, 0, b"a") + _pdv(1, 2, b"b"))
    framer = PDUFramer(100)
    framer.feed(two)
    assert framer.take_pdata() == []
    assert len(framer.next_pdu().pdvs) == 2  # type: ignore[union-attr]


def test_trace_records_each_dt2_cell_within_the_bound() -> None:
    conn = drive(Role.ACCEPTOR, State.Sta6, ULConfig(trace_size=4))
    before = conn.trace.total
    conn.receive_data(b"".join(_pdu(_pdv(1, 0, bytes([i]))) for i in range(10)), 5.0)
    assert len(drain(conn)) == 10
    assert conn.trace.total == before + 10
    assert [(t.action.value, t.at) for t in conn.trace] == [("DT-2", 5.0)] * 4
