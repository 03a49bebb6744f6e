"""C-MOVE SCU against a scripted peer: counts, failed UID list, -pi/-pr, cancel, faults."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.dataset import Dataset
from dicomnet.dimse import CCancelRQ, CFindRSP, CMoveRQ, CMoveRSP, StatusCategory
from dicomnet.errors import AssociationAborted, RemoteProtocolError
from dicomnet.services.move import RetrieveOperation, move
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.uid import STUDY_ROOT_QR_MOVE
from tests.services.qr_channel import EXPLICIT_LE, ScriptedChannel, encode, message

CONTEXTS = {3: (STUDY_ROOT_QR_MOVE, EXPLICIT_LE, False)}


def _rsp(
    mid: int, status: int, remaining: int | None, completed: int, failed: int = 0, **kw: Any
) -> CMoveRSP:
    return CMoveRSP(
        message_id_being_responded_to=mid,
        status=status,
        number_of_remaining_sub_operations=remaining,
        number_of_completed_sub_operations=completed,
        number_of_failed_sub_operations=failed,
        number_of_warning_sub_operations=0,
        **kw,
    )


def _failed_list(*uids: str) -> bytes:
    ds = Dataset()
    ds.set("FailedSOPInstanceUIDList", list(uids))
    return encode(ds)


def _peer(
    total: int,
    *,
    fail: set[int] = frozenset(),
    pending_data: bool = False,
    stop_after: int | None = None,
) -> Any:  # type: ignore[assignment]
    def script(msg: Any, ch: ScriptedChannel) -> list[Any]:
        if isinstance(msg, CCancelRQ):
            return []
        if not isinstance(msg, CMoveRQ):
            return []
        mid = msg.message_id
        out: list[Any] = []
        done = failed = 0
        for n in range(total):
            if stop_after is not None and n == stop_after:
                return out  # the peer goes away between sub-operations
            if n in fail:
                failed += 1
            else:
                done += 1
            data = encode(Dataset()) if pending_data else None
            rsp = _rsp(mid, 0xFF00, total - n - 1, done, failed, has_dataset=pending_data)
            out += message(3, rsp, data)
        if failed:
            uids = [f"1.2.3.{n}" for n in sorted(fail)]
            out += message(
                3, _rsp(mid, 0xB000, 0, done, failed, has_dataset=True), _failed_list(*uids)
            )
        else:
            out += message(3, _rsp(mid, 0x0000, None, done, 0))
        return out

    return script


def _run(ch: ScriptedChannel, **kw: Any) -> list[Any]:
    identifier = build_identifier({"StudyInstanceUID": "1.2.3"}, level="STUDY")

    async def main() -> list[Any]:
        return [r async for r in move(ch, identifier, "DEST", model=QueryModel.STUDY_ROOT, **kw)]

    return asyncio.run(main())


def test_counts_and_success() -> None:
    ch = ScriptedChannel(CONTEXTS, _peer(3))
    responses = _run(ch)
    assert [r.remaining for r in responses] == [2, 1, 0, None]
    assert [r.completed for r in responses] == [1, 2, 3, 3]
    assert responses[-1].category is StatusCategory.SUCCESS
    sent = ch.sent[0][0]
    assert isinstance(sent, CMoveRQ)
    assert sent.move_destination == "DEST"


def test_failed_sop_instance_uid_list() -> None:
    ch = ScriptedChannel(CONTEXTS, _peer(4, fail={1, 3}))
    final = _run(ch)[-1]
    assert final.status == 0xB000
    assert final.category is StatusCategory.WARNING
    assert (final.completed, final.failed) == (2, 2)
    assert final.failed_uids == ("1.2.3.1", "1.2.3.3")


def test_pending_dataset_read_discards_it() -> None:
    ch = ScriptedChannel(CONTEXTS, _peer(2, pending_data=True))
    responses = _run(ch, pending_dataset="read")
    assert [r.unexpected_dataset for r in responses] == [False, False, False]
    assert responses[-1].status == 0
    assert all(r.identifier is None for r in responses)


def test_pending_dataset_ignore_reports_it() -> None:
    ch = ScriptedChannel(CONTEXTS, _peer(2, pending_data=True))
    identifier = build_identifier({"StudyInstanceUID": "1.2.3"}, level="STUDY")

    async def main() -> tuple[list[Any], Any]:
        stream = move(ch, identifier, "DEST", pending_dataset="ignore")
        return [r async for r in stream], stream.operation

    responses, op = asyncio.run(main())
    assert [r.unexpected_dataset for r in responses] == [True, True, False]
    assert op.unexpected_datasets == 2
    assert responses[-1].status == 0


def test_bad_option() -> None:
    ch = ScriptedChannel(CONTEXTS, _peer(1))
    with pytest.raises(ValueError):
        _run(ch, pending_dataset="maybe")


def test_cancel_after_n() -> None:
    ch = ScriptedChannel(CONTEXTS, _peer(5))
    _run(ch, cancel_after=2)
    cancels = [m for m, cid, _ in ch.sent if isinstance(m, CCancelRQ)]
    assert len(cancels) == 1
    assert cancels[0].message_id_being_responded_to == 1


def test_peer_aborts_between_sub_operations() -> None:
    ch = ScriptedChannel(CONTEXTS, _peer(5, stop_after=2))
    got: list[Any] = []

    async def main() -> None:
        identifier = build_identifier({"StudyInstanceUID": "1.2.3"}, level="STUDY")
        stream = move(ch, identifier, "DEST")
        async for r in stream:
            got.append(r)  # noqa: PERF401 - what arrived before the abort is what we check

    with pytest.raises(AssociationAborted):
        asyncio.run(main())
    assert len(got) == 2
    assert got[-1].remaining == 3


def test_unknown_destination() -> None:
    ch = ScriptedChannel(
        CONTEXTS,
        lambda msg, ch: message(3, _rsp(msg.message_id, 0xA801, None, 0, error_comment="who?")),
    )
    (final,) = _run(ch)
    assert final.status == 0xA801
    assert final.error_comment == "who?"
    assert final.category is StatusCategory.FAILURE


def test_wrong_message_is_remote_error() -> None:
    ch = ScriptedChannel(
        CONTEXTS,
        lambda msg, ch: message(
            3, CFindRSP(message_id_being_responded_to=msg.message_id, status=0)
        ),
    )
    with pytest.raises(RemoteProtocolError):
        _run(ch)


def test_operation_state_without_io() -> None:
    op = RetrieveOperation(7, STUDY_ROOT_QR_MOVE, "DEST")
    op.on_response(_rsp(7, 0xFF00, 1, 1), None)
    assert op.pending == 1
    assert op.latest is not None
    assert op.latest.completed == 1
    assert op.cancel() == CCancelRQ(message_id_being_responded_to=7)
    op.on_response(_rsp(7, 0xFE00, 1, 1), None)
    assert op.done
    assert op.cancel() is None


_count = st.none() | st.integers(0, 0xFFFF)


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(0, 0xFFFF),
            _count,
            _count,
            _count,
            _count,
            st.booleans(),
            st.binary(max_size=40),
        ),
        min_size=1,
        max_size=6,
    ),
    option=st.sampled_from(["ignore", "read"]),
)
def test_hostile_responses(steps: list[Any], option: str) -> None:
    """Any statuses, counts and attached bytes: typed responses or a documented error, no hang."""

    def script(msg: Any, ch: ScriptedChannel) -> list[Any]:
        if not isinstance(msg, CMoveRQ):
            return []
        out: list[Any] = []
        for status, rem, done, failed, warn, with_data, data in steps:
            rsp = CMoveRSP(
                message_id_being_responded_to=msg.message_id,
                status=status,
                number_of_remaining_sub_operations=rem,
                number_of_completed_sub_operations=done,
                number_of_failed_sub_operations=failed,
                number_of_warning_sub_operations=warn,
                has_dataset=with_data,
            )
            out += message(3, rsp, data if with_data else None)
        return out

    ch = ScriptedChannel(CONTEXTS, script)
    try:
        responses = _run(ch, pending_dataset=option)
    except (RemoteProtocolError, AssociationAborted):
        return
    assert responses[-1].is_final
    assert all(not r.is_final for r in responses[:-1])
