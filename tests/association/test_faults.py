"""Hostile or broken peers and timers: every fault ends as events, never as an exception from
``receive_data`` (PS3.8 §9.2 Evt19 / A-ABORT, PS3.7 §6.3.1)."""

from __future__ import annotations

import struct

import pytest

from dicomnet.association import (
    Aborted,
    AcseTimeout,
    Association,
    AssociationEvent,
    Closed,
    DatasetFragment,
    DimseTimeout,
    MessageReceived,
)
from dicomnet.dimse import CEchoRQ, CStoreRQ, encode_command
from dicomnet.pdu import (
    AAbort,
    AAssociateAC,
    MaximumLengthSubItem,
    PDataTF,
    PresentationContextACItem,
    PresentationDataValue,
    UserInformationItem,
    decode_pdu,
    encode_pdu,
)
from dicomnet.ul import State
from tests.association.helpers import CT_IMAGE, AssociationPair, acceptor_config, requestor_config


def established(**kwargs: object) -> AssociationPair:
    pair = AssociationPair(**kwargs)  # type: ignore[arg-type]
    pair.run()
    assert pair.types_a() == ["Established"]
    assert pair.types_b() == ["Established"]
    return pair


def pdata(*pdvs: tuple[int, bool, bool, bytes]) -> bytes:
    return encode_pdu(PDataTF(tuple(PresentationDataValue(*p) for p in pdvs)))


def sent_abort(assoc: Association) -> AAbort:
    wire = b"".join(bytes(x) for x in assoc.data_to_send())
    pdu = decode_pdu(wire)
    assert isinstance(pdu, AAbort)
    return pdu


def events(assoc: Association) -> list[AssociationEvent]:
    out: list[AssociationEvent] = []
    while (event := assoc.next_event()) is not None:
        out.append(event)
    return out


def acceptor_after_established(pair: AssociationPair) -> Association:
    b = pair.b
    assert b.ul_state is State.Sta6
    return b


def check_local_abort(assoc: Association, source: int, reason: int, text: str) -> Aborted:
    got = events(assoc)
    assert len(got) == 1, got
    aborted = got[0]
    assert isinstance(aborted, Aborted)
    assert (aborted.source, aborted.reason, aborted.by_peer) == (source, reason, False)
    assert text in aborted.detail
    pdu = sent_abort(assoc)
    assert (pdu.source, pdu.reason) == (source, reason)
    assert assoc.ul_state is State.Sta13
    assoc.receive_data(b"", 9.0)  # the peer closes
    assert events(assoc) == [Closed()]
    assert assoc.must_close
    return aborted


def test_peer_garbage_when_established() -> None:
    b = acceptor_after_established(established())
    b.receive_data(b"\x99\x00\x00\x00\x00\x02ab", 1.0)  # unknown PDU type
    check_local_abort(b, 2, 1, "")


def test_peer_garbage_before_the_request() -> None:
    b = Association.acceptor(acceptor_config(), now=0.0)
    b.receive_data(b"\x04\x00\x00\x00\x00\x00", 0.5)  # a P-DATA-TF before any A-ASSOCIATE-RQ
    got = events(b)
    assert len(got) == 1
    assert isinstance(got[0], Aborted)
    assert not got[0].by_peer
    assert b.ul_state is State.Sta13
    b.handle_timer(b.timer_deadline or 0.0)  # ARTIM: give up waiting for the close
    assert events(b) == [Closed()]
    assert b.must_close


def test_local_abort_before_the_request_closes() -> None:
    b = Association.acceptor(acceptor_config(), now=0.0)
    b.abort(0.1)
    got = events(b)
    assert isinstance(got[0], Aborted)
    assert got[1] == Closed()
    assert b.must_close


def test_oversize_pdu_claim_is_refused_from_its_header() -> None:
    b = acceptor_after_established(established())
    b.receive_data(b"\x04\x00" + struct.pack(">L", 0xFFFFFFF0), 1.0)  # claims ~4 GB
    check_local_abort(b, 2, 6, "")


def test_pdu_just_above_our_maximum() -> None:
    pair = established(ac_config=acceptor_config(max_pdu_length=4096))
    b = pair.b
    body = pdata((1, True, True, b"\x00" * 4092))  # PDU length 4098 > 4096
    b.receive_data(body, 1.0)
    check_local_abort(b, 2, 6, "")


def test_malformed_command_set() -> None:
    b = acceptor_after_established(established())
    b.receive_data(pdata((1, True, True, b"\x00\x00\x00\x00\x04\x00\x00\x00garb")), 1.0)
    check_local_abort(b, 0, 0, "DIMSE protocol error")


def test_pdv_for_unknown_context() -> None:
    b = acceptor_after_established(established())
    command = encode_command(CEchoRQ(message_id=1))
    b.receive_data(pdata((99, True, True, command)), 1.0)
    aborted = check_local_abort(b, 0, 0, "was not accepted")
    assert "99" in aborted.detail


def test_data_where_the_command_said_none() -> None:
    b = acceptor_after_established(established())
    command = encode_command(CEchoRQ(message_id=1))
    b.receive_data(pdata((1, True, True, command), (1, False, True, b"\x00\x00")), 1.0)
    got = events(b)
    assert isinstance(got[0], MessageReceived)
    assert isinstance(got[1], Aborted)
    assert "says no data set" in got[1].detail
    assert sent_abort(b).source == 0


def test_error_in_the_middle_of_a_chunk_drops_the_rest() -> None:
    """A DIMSE error aborts; a valid release request later in the same bytes is ignored."""
    b = acceptor_after_established(established())
    release_rq = b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00"
    b.receive_data(pdata((1, True, True, b"\x01\x02")) + release_rq, 1.0)
    got = events(b)
    assert [type(e) for e in got] == [Aborted]


def test_peer_provider_abort() -> None:
    pair = established()
    pair.a.receive_data(encode_pdu(AAbort(source=2, reason=6)), 1.0)
    got = events(pair.a)
    assert isinstance(got[0], Aborted)
    assert got[0].by_peer
    assert (got[0].source, got[0].reason) == (2, 6)
    assert got[1] == Closed()


def test_data_set_source_failing_mid_message_aborts() -> None:
    pair = established(ac_config=acceptor_config(max_pdu_length=1024))

    def chunks() -> object:
        yield b"\x00" * 5000
        raise OSError("disk gone")

    rq = CStoreRQ(message_id=1, affected_sop_class_uid=CT_IMAGE, affected_sop_instance_uid="1.2")
    pair.a.send_message(rq, context_id=3, dataset=chunks(), now=1.0)  # type: ignore[arg-type]
    pair.run()
    aborted = [e for e in pair.events_a if isinstance(e, Aborted)]
    assert len(aborted) == 1
    assert "disk gone" in aborted[0].detail
    assert not aborted[0].by_peer
    b_types = pair.types_b()
    assert b_types[-2:] == ["Aborted", "Closed"]
    assert "MessageReceived" in b_types
    assert "DatasetFragment" in b_types


def test_dimse_timeout_awaiting_a_response() -> None:
    pair = established(requestor_kwargs={"dimse_timeout": 5.0})
    a = pair.a
    assert a.timer_deadline is None  # nothing awaited
    a.send_message(CEchoRQ(message_id=1), context_id=1, now=1.0)
    assert a.timer_deadline is None  # not while the request is still queued
    pair.run()  # b receives it and never answers
    assert a.timer_deadline == 6.0
    a.handle_timer(5.99)
    assert a.next_event() is None
    a.handle_timer(6.0)
    got = events(a)
    assert isinstance(got[0], DimseTimeout)
    assert got[0].message_ids == (1,)
    assert isinstance(got[1], Aborted)
    assert got[1].detail.startswith("DIMSE timeout")
    assert sent_abort(a).source == 0
    assert a.timer_deadline is not None  # ARTIM now bounds the wait for the close


def test_dimse_timeout_mid_data_set() -> None:
    pair = established(acceptor_kwargs={"dimse_timeout": 3.0})
    b = pair.b
    command = encode_command(
        CStoreRQ(message_id=1, affected_sop_class_uid=CT_IMAGE, affected_sop_instance_uid="1.2")
    )
    b.receive_data(pdata((3, True, True, command), (3, False, False, b"\x00" * 10)), 2.0)
    got = events(b)
    assert [type(e) for e in got] == [MessageReceived, DatasetFragment]
    assert b.timer_deadline == 5.0
    b.receive_data(pdata((3, False, False, b"\x00" * 10)), 4.0)  # progress restarts it
    assert b.timer_deadline == 7.0
    assert [type(e) for e in events(b)] == [DatasetFragment]
    b.handle_timer(7.0)
    got = events(b)
    assert [type(e) for e in got] == [DimseTimeout, Aborted]
    timeout = got[0]
    assert isinstance(timeout, DimseTimeout)
    assert timeout.message_ids == ()
    assert "data set" in got[-1].detail  # type: ignore[union-attr]


def test_strict_requestor_aborts_on_a_deviating_ac() -> None:
    a = Association.requestor(requestor_config(), now=0.0, strict=True)
    a.transport_connected(0.0)
    a.data_to_send()
    ac = AAssociateAC(
        called_ae_title="SCP",
        calling_ae_title="SCU",
        presentation_contexts=(
            PresentationContextACItem(context_id=1, result=0, transfer_syntax="1.2.3"),
        ),
        user_information=UserInformationItem((MaximumLengthSubItem(0),)),
    )
    a.receive_data(encode_pdu(ac), 0.1)
    got = events(a)
    assert [type(e) for e in got] == [Aborted]
    assert "A-ASSOCIATE-AC rejected" in got[0].detail  # type: ignore[union-attr]
    assert sent_abort(a).source == 0


@pytest.mark.parametrize("garbage", [b"\x01", b"\x07\x00\x00\x00\x00\x04\x00\x00\x00\x00" * 3])
def test_garbage_to_the_requestor_awaiting_ac(garbage: bytes) -> None:
    a = Association.requestor(requestor_config(), now=0.0)
    a.transport_connected(0.0)
    a.data_to_send()
    a.receive_data(garbage, 0.1)
    a.receive_data(b"", 0.2)
    got = events(a)
    assert got[-1] == Closed()
    assert any(isinstance(e, Aborted) for e in got)


def test_artim_expires_awaiting_the_request() -> None:
    b = Association.acceptor(acceptor_config(), now=0.0)
    assert b.timer_deadline == 30.0
    b.handle_timer(29.0)
    assert b.next_event() is None
    b.handle_timer(30.0)
    assert events(b) == [Aborted(2, 0, by_peer=False, detail="ARTIM timer expired"), Closed()]
    assert b.must_close


def test_acse_timeout_awaiting_the_ac() -> None:
    a = Association.requestor(requestor_config(), now=0.0, acse_timeout=4.0)
    assert a.timer_deadline is None  # connecting: the driver's connect timeout
    a.transport_connected(1.0)
    a.data_to_send()
    assert a.timer_deadline == 5.0
    a.handle_timer(5.0)
    got = events(a)
    assert [type(e) for e in got] == [AcseTimeout, Aborted]
    assert "A-ASSOCIATE-AC" in got[1].detail  # type: ignore[union-attr]
    assert sent_abort(a).source == 0


def test_acse_timeout_awaiting_the_release_response() -> None:
    pair = established(
        requestor_kwargs={"acse_timeout": 2.0}, acceptor_kwargs={"auto_release": False}
    )
    pair.now = 10.0
    pair.a.release(10.0)
    pair.run()
    assert pair.types_b()[-1] == "ReleaseRequested"
    assert pair.a.timer_deadline == 12.0
    pair.a.handle_timer(12.0)
    pair.run()
    assert pair.types_a()[-3:] == ["AcseTimeout", "Aborted", "Closed"]
    assert pair.types_b()[-2:] == ["Aborted", "Closed"]


def test_request_and_data_in_one_read() -> None:
    """P-DATA before our A-ASSOCIATE-AC (Sta3) is AA-8: the RQ is then not answered."""
    pair = AssociationPair()
    rq = b"".join(bytes(x) for x in pair.a.data_to_send())
    b = pair.b
    b.receive_data(rq + pdata((1, True, True, encode_command(CEchoRQ(message_id=1)))), 0.5)
    got = events(b)
    assert [type(e) for e in got] == [Aborted]
    assert sent_abort(b).reason == 2  # unexpected PDU, and no A-ASSOCIATE-AC before it


def test_dimse_timeout_starts_when_the_last_byte_is_produced() -> None:
    """A long send does not eat the response's time: the timer starts at data_to_send(now)."""
    pair = established(
        requestor_kwargs={"dimse_timeout": 5.0, "max_send_bytes": 20_000},
        ac_config=acceptor_config(max_pdu_length=4096),
    )
    a = pair.a
    rq = CStoreRQ(message_id=1, affected_sop_class_uid=CT_IMAGE, affected_sop_instance_uid="1.2")
    a.send_message(rq, context_id=3, dataset=b"\x00" * 200_000, now=1.0)
    t = 1.0
    while a.has_data_to_send:
        assert a.timer_deadline is None  # still sending: no DIMSE timer
        t += 10.0
        for part in a.data_to_send(now=t):
            pair.b.receive_data(bytes(part), t)
    assert t > 50.0
    assert a.timer_deadline == t + 5.0
    a.handle_timer(t + 4.9)
    assert a.next_event() is None
