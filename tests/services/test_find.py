"""C-FIND SCU against a scripted peer: pending identifiers, final statuses, cancel, faults."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.dataset import Dataset
from dicomnet.dimse import CCancelRQ, CFindRQ, CFindRSP, CMoveRSP, StatusCategory
from dicomnet.errors import AssociationAborted, LocalProtocolError, RemoteProtocolError
from dicomnet.services.find import FindOperation, find
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.uid import PATIENT_ROOT_QR_FIND, STUDY_ROOT_QR_FIND
from tests.services.qr_channel import EXPLICIT_LE, IMPLICIT_LE, ScriptedChannel, encode, message


def _match(name: str) -> Dataset:
    ds = Dataset()
    ds.set("QueryRetrieveLevel", "PATIENT")
    ds.set("PatientName", name)
    return ds


def _peer(names: list[str], final: int = 0x0000, ts: str = EXPLICIT_LE) -> Any:
    def script(msg: Any, ch: ScriptedChannel) -> list[Any]:
        if isinstance(msg, CFindRQ):
            out: list[Any] = []
            for name in names:
                rsp = CFindRSP(
                    message_id_being_responded_to=msg.message_id, status=0xFF00, has_dataset=True
                )
                out += message(1, rsp, encode(_match(name), ts), pieces=3)
            out += message(1, CFindRSP(message_id_being_responded_to=msg.message_id, status=final))
            return out
        return []

    return script


def _run(ch: ScriptedChannel, **kw: Any) -> list[Any]:
    identifier = build_identifier({"PatientName": ""}, level="PATIENT")

    async def main() -> list[Any]:
        return [r async for r in find(ch, identifier, model=QueryModel.PATIENT_ROOT, **kw)]

    return asyncio.run(main())


@pytest.mark.parametrize("ts", [EXPLICIT_LE, IMPLICIT_LE])
def test_pending_identifiers_then_success(ts: str) -> None:
    ch = ScriptedChannel({1: (PATIENT_ROOT_QR_FIND, ts, False)}, _peer(["A^B", "C^D"], ts=ts))
    responses = _run(ch)
    assert [r.category for r in responses] == [StatusCategory.PENDING] * 2 + [
        StatusCategory.SUCCESS
    ]
    assert [str(r.identifier.get_value("PatientName")) for r in responses[:2]] == ["A^B", "C^D"]
    assert responses[-1].identifier is None
    assert responses[-1].is_final
    sent, cid, data = ch.sent[0]
    assert isinstance(sent, CFindRQ)
    assert cid == 1
    assert sent.affected_sop_class_uid == PATIENT_ROOT_QR_FIND
    assert b"".join(bytes(b) for b in data)  # the identifier went along


@pytest.mark.parametrize("status", [0xA700, 0xC001, 0x0122, 0xFE00, 0x1234])
def test_final_failure_is_a_response(status: int) -> None:
    ch = ScriptedChannel(
        {1: (PATIENT_ROOT_QR_FIND, EXPLICIT_LE, False)}, _peer(["A"], final=status)
    )
    responses = _run(ch)
    assert responses[-1].status == status
    assert responses[-1].category in (StatusCategory.FAILURE, StatusCategory.CANCEL)


def test_cancel_after_first_pending() -> None:
    ch = ScriptedChannel({1: (PATIENT_ROOT_QR_FIND, EXPLICIT_LE, False)}, _peer(["A", "B", "C"]))
    _run(ch, cancel_after=1)
    cancels = [m for m, _, _ in ch.sent if isinstance(m, CCancelRQ)]
    assert len(cancels) == 1
    assert cancels[0].message_id_being_responded_to == 1


def test_no_context_is_local_error() -> None:
    ch = ScriptedChannel({1: (STUDY_ROOT_QR_FIND, EXPLICIT_LE, False)}, _peer([]))
    with pytest.raises(LocalProtocolError):
        _run(ch)


def test_peer_aborts_midway() -> None:
    def script(msg: Any, ch: ScriptedChannel) -> list[Any]:
        if isinstance(msg, CFindRQ):
            rsp = CFindRSP(
                message_id_being_responded_to=msg.message_id, status=0xFF00, has_dataset=True
            )
            return message(1, rsp, encode(_match("A")))[:-1]  # then the peer goes away
        return []

    ch = ScriptedChannel({1: (PATIENT_ROOT_QR_FIND, EXPLICIT_LE, False)}, script)
    with pytest.raises(AssociationAborted):
        _run(ch)


@pytest.mark.parametrize(
    "bad",
    [
        CMoveRSP(message_id_being_responded_to=1, status=0),
        CFindRSP(message_id_being_responded_to=9, status=0),
    ],
)
def test_wrong_response_is_remote_error(bad: Any) -> None:
    ch = ScriptedChannel(
        {1: (PATIENT_ROOT_QR_FIND, EXPLICIT_LE, False)},
        lambda msg, ch: message(1, bad) if isinstance(msg, CFindRQ) else [],
    )
    with pytest.raises(RemoteProtocolError):
        _run(ch)


def test_undecodable_identifier_is_remote_error() -> None:
    def script(msg: Any, ch: ScriptedChannel) -> list[Any]:
        rsp = CFindRSP(
            message_id_being_responded_to=msg.message_id, status=0xFF00, has_dataset=True
        )
        return message(1, rsp, b"\x10\x00\x10\x00PN\xff\xffjunk")

    ch = ScriptedChannel({1: (PATIENT_ROOT_QR_FIND, EXPLICIT_LE, False)}, script)
    with pytest.raises(RemoteProtocolError):
        _run(ch)


def test_operation_state() -> None:
    op = FindOperation(5, PATIENT_ROOT_QR_FIND)
    assert op.request().message_id == 5
    op.on_response(CFindRSP(message_id_being_responded_to=5, status=0xFF01), None)
    assert op.matches == 1
    assert not op.done
    assert op.cancel() is not None
    assert op.cancel() is None
    op.on_response(CFindRSP(message_id_being_responded_to=5, status=0xFE00), None)
    assert op.done
    assert op.final is not None
    assert op.final.category is StatusCategory.CANCEL
    with pytest.raises(LocalProtocolError):
        op.on_response(CFindRSP(message_id_being_responded_to=5, status=0), None)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=200), status=st.integers(0, 0xFFFF))
def test_hostile_identifier_bytes(data: bytes, status: int) -> None:
    """Any identifier bytes and any final status: responses or RemoteProtocolError, nothing else."""

    def script(msg: Any, ch: ScriptedChannel) -> list[Any]:
        rsp = CFindRSP(
            message_id_being_responded_to=msg.message_id, status=0xFF00, has_dataset=True
        )
        final = CFindRSP(message_id_being_responded_to=msg.message_id, status=status)
        return message(1, rsp, data, pieces=3) + message(1, final)

    ch = ScriptedChannel({1: (PATIENT_ROOT_QR_FIND, EXPLICIT_LE, False)}, script)
    try:
        responses = _run(ch)
    except RemoteProtocolError:
        return
    except AssociationAborted:
        assert status in (0xFF00, 0xFF01)  # the peer never sent a final response
        return
    assert responses[-1].status == status
