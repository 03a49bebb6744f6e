"""Storage SCU (dicomnet.services.storage_scu) against an in-process storage SCP."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomnet.acse import (
    AcceptedContext,
    AcceptorConfig,
    NegotiatedAssociation,
    RequestorConfig,
    SupportedContext,
)
from dicomnet.association import MessageReceived
from dicomnet.dataset import read_file
from dicomnet.dimse import CStoreRQ, CStoreRSP, DatasetFragment
from dicomnet.errors import AssociationRejected, DatasetDecodeError
from dicomnet.services.storage_scu import (
    MAX_CONTEXTS,
    NotDicomError,
    Proposal,
    StorageSCUOptions,
    StoreFile,
    StoreOutcome,
    astore,
    choose_context,
    collect_files,
    inspect_file,
    plan_associations,
    propose_contexts,
)
from dicomnet.transport import AsyncAssociation, Timeouts, connect, serve
from tests.services.test_storage_scu_support import (
    CT,
    DEFLATED,
    EVBE,
    EVLE,
    IVLE,
    JPEG_BASELINE,
    MR,
    SC,
    collecting_scp,
    connector,
    elements,
    make_file,
    make_jpeg_file,
)


def _sf(sop_class: str, ts: str, n: int = 1, encapsulated: bool = False) -> StoreFile:
    return StoreFile(f"f{n}", sop_class, f"1.2.3.{n}", ts, 132, 100, encapsulated)


def _negotiated(*accepted: tuple[int, str, str]) -> NegotiatedAssociation:
    return NegotiatedAssociation(
        local_is_requestor=True,
        calling_ae_title="A",
        called_ae_title="B",
        accepted={
            cid: AcceptedContext(context_id=cid, abstract_syntax=sop, transfer_syntax=ts)
            for cid, sop, ts in accepted
        },
    )


def test_inspect_file_reads_uids_and_offset(tmp_path: Path) -> None:
    path = make_file(tmp_path / "a.dcm", "1.2.826.0.1.1", EVBE)
    f = inspect_file(path)
    part = read_file(path)
    assert (f.sop_class_uid, f.sop_instance_uid, f.transfer_syntax) == (CT, "1.2.826.0.1.1", EVBE)
    assert f.dataset_offset == part.dataset_offset
    assert f.dataset_length == path.stat().st_size - part.dataset_offset
    assert f.stream_as_is
    assert not f.encapsulated
    jpeg = inspect_file(make_jpeg_file(tmp_path / "j.dcm", "1.2.826.0.1.2"))
    assert jpeg.encapsulated
    assert jpeg.transfer_syntax == JPEG_BASELINE


def test_inspect_file_rejects_non_dicom(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not DICOM at all\n" * 10)
    with pytest.raises(NotDicomError):
        inspect_file(text)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(NotDicomError):
        inspect_file(empty)


def test_proposal_dcmtk_style_one_context_per_syntax() -> None:
    files = [
        _sf(CT, EVLE, 1),
        _sf(CT, IVLE, 2),
        _sf(SC, JPEG_BASELINE, 3, True),
        _sf(MR, DEFLATED, 4),
    ]
    got = [(c.abstract_syntax, c.transfer_syntaxes) for c in propose_contexts(files)]
    assert got == [
        (CT, (EVLE,)),
        (CT, (EVBE,)),
        (CT, (IVLE,)),
        (SC, (JPEG_BASELINE,)),  # compressed: only its own syntax
        (MR, (EVLE,)),
        (MR, (EVBE,)),
        (MR, (IVLE,)),
        (MR, (DEFLATED,)),
    ]
    implicit = propose_contexts([_sf(CT, EVLE)], Proposal.IMPLICIT)
    assert [c.transfer_syntaxes for c in implicit] == [(IVLE,), (EVLE,)]  # + the file's own
    combined = propose_contexts(files, combine=True)
    assert [(c.abstract_syntax, c.transfer_syntaxes) for c in combined][:2] == [
        (CT, (EVLE, EVBE, IVLE)),
        (SC, (JPEG_BASELINE,)),
    ]


def test_more_than_128_contexts_split_over_associations() -> None:
    classes = [f"1.2.3.4.{i}" for i in range(50)]  # 3 contexts each: 150
    files = [_sf(uid, EVLE, n) for n, uid in enumerate(classes)]
    plans = plan_associations(files)
    assert len(plans) == 2
    assert all(len(contexts) <= MAX_CONTEXTS for contexts, _ in plans)
    assert [f for _, group in plans for f in group] == files
    assert len(plans[0][0]) == 126
    assert len(plans[1][0]) == 24


def test_choose_context_rules() -> None:
    neg = _negotiated((1, CT, IVLE), (3, SC, EVLE))
    assert choose_context(neg, _sf(CT, IVLE)) == (1, IVLE, False)  # as is
    assert choose_context(neg, _sf(CT, EVBE)) == (1, IVLE, True)  # converted
    reason = choose_context(neg, _sf(SC, JPEG_BASELINE, encapsulated=True))
    assert isinstance(reason, str)
    assert "own transfer syntax" in reason
    reason = choose_context(neg, _sf(MR, EVLE))
    assert isinstance(reason, str)
    assert "not accepted" in reason


@pytest.mark.parametrize("source", [EVLE, IVLE, EVBE, DEFLATED])
@pytest.mark.parametrize("accepted", [EVLE, IVLE, EVBE])
def test_store_every_uncompressed_pair_arrives_intact(
    tmp_path: Path, source: str, accepted: str
) -> None:
    path = make_file(tmp_path / "x.dcm", "1.2.826.0.9.1", source)

    async def main() -> None:
        async with collecting_scp([accepted]) as (port, received):
            outcomes = await astore(connector(port), [path])
        assert [o.status for o in outcomes] == [0x0000], outcomes
        assert outcomes[0].transfer_syntax == accepted
        assert outcomes[0].converted == (source != accepted)
        (got,) = received
        assert got.transfer_syntax == accepted
        assert elements(got.dataset()) == elements(read_file(path).dataset)
        if source == accepted:  # streamed as is: the very bytes of the file
            raw = path.read_bytes()[read_file(path).dataset_offset :]
            assert got.data == raw

    asyncio.run(main())


def test_compressed_stored_as_is_or_refused_cleanly(tmp_path: Path) -> None:
    jpeg = make_jpeg_file(tmp_path / "j.dcm", "1.2.826.0.9.2")
    plain = make_file(tmp_path / "p.dcm", "1.2.826.0.9.3", EVLE)

    async def main() -> None:
        async with collecting_scp([JPEG_BASELINE, EVLE]) as (port, received):
            outcomes = await astore(connector(port), [jpeg, plain])
        assert [o.status for o in outcomes] == [0, 0]
        raw = jpeg.read_bytes()[read_file(jpeg).dataset_offset :]
        assert received[0].transfer_syntax == JPEG_BASELINE
        assert received[0].data == raw
        async with collecting_scp([EVLE]) as (port, received):
            outcomes = await astore(connector(port), [jpeg, plain])
        assert outcomes[0].status is None
        assert "own transfer syntax" in (outcomes[0].reason or "")
        assert outcomes[1].ok
        assert len(received) == 1

    asyncio.run(main())


def test_failure_status_reported_and_rest_continue(tmp_path: Path) -> None:
    paths = [make_file(tmp_path / f"{i}.dcm", f"1.2.826.0.8.{i}") for i in range(3)]

    async def main() -> None:
        refuse = {"1.2.826.0.8.1"}
        async with collecting_scp(
            status=lambda rq: 0xA700 if rq.affected_sop_instance_uid in refuse else 0
        ) as (port, received):
            outcomes = await astore(connector(port), paths)
            assert [o.status for o in outcomes] == [0x0000, 0xA700, 0x0000]
            assert outcomes[1].error_comment == "refused by test"
            assert not outcomes[1].ok
            halted = await astore(connector(port), paths, StorageSCUOptions(halt_on_failure=True))
        assert [o.status for o in halted] == [0x0000, 0xA700, None]
        assert halted[2].reason == "halted after a failure"
        assert len(received) == 5

    asyncio.run(main())


def test_non_dicom_skipped_and_reported(tmp_path: Path) -> None:
    good = make_file(tmp_path / "a.dcm", "1.2.826.0.7.1", IVLE)
    bad = tmp_path / "b.txt"
    bad.write_text("not dicom\n" * 20)
    seen: list[str] = []

    async def serve_and_store() -> None:
        async with collecting_scp() as (port, received):
            outcomes = await astore(
                connector(port), [bad, good], on_result=lambda o: seen.append(o.path)
            )
        assert outcomes[0].status is None
        assert "not DICOM" in (outcomes[0].reason or "")
        assert outcomes[1].ok
        assert [r.sop_instance_uid for r in received] == ["1.2.826.0.7.1"]

    asyncio.run(serve_and_store())
    assert sorted(seen) == sorted([str(bad), str(good)])


def test_rejected_association_raises(tmp_path: Path) -> None:
    path = make_file(tmp_path / "a.dcm", "1.2.826.0.6.1")

    async def main() -> None:
        async with collecting_scp(require_called_ae_title=True) as (port, received):
            with pytest.raises(AssociationRejected):
                await astore(connector(port), [path], StorageSCUOptions(called_ae_title="WRONG"))
        assert received == []

    asyncio.run(main())


def test_collect_files_scan_and_recurse(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    a = tmp_path / "a.dcm"
    b = tmp_path / "sub" / "b.dcm"
    a.write_bytes(b"x")
    b.write_bytes(b"y")
    files, problems = collect_files([tmp_path])
    assert files == []
    assert "is a directory" in problems[0]
    files, problems = collect_files([tmp_path], scan_directories=True)
    assert files == [str(a)]
    assert problems == []
    files, _ = collect_files([tmp_path], scan_directories=True, recurse=True)
    assert files == [str(a), str(b)]
    files, _ = collect_files([tmp_path], scan_directories=True, recurse=True, pattern="b*")
    assert files == [str(b)]
    files, problems = collect_files([tmp_path / "missing"])
    assert files == []
    assert "no such file" in problems[0]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from([b"", b"\x00" * 128 + b"DICM", b"\x08\x00", b"\x02\x00"]),
    body=st.binary(max_size=300),
)
def test_inspect_file_hostile_bytes(tmp_path: Path, prefix: bytes, body: bytes) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(prefix + body)
    try:
        f = inspect_file(path)
    except (NotDicomError, DatasetDecodeError):
        return
    assert 0 <= f.dataset_offset <= path.stat().st_size


def test_inspect_file_truncated_real_file(tmp_path: Path) -> None:
    data = make_file(tmp_path / "a.dcm", "1.2.826.0.5.1").read_bytes()
    cut = tmp_path / "cut.dcm"
    for end in range(0, len(data), 7):
        cut.write_bytes(data[:end])
        try:
            f = inspect_file(cut)
        except (NotDicomError, DatasetDecodeError):
            continue
        assert f.sop_instance_uid == "1.2.826.0.5.1"  # only once the UIDs are whole


def _misbehaving_handler(mode: str) -> Any:
    """An SCP that answers the first C-STORE, then aborts or goes silent on the second."""

    async def handler(assoc: AsyncAssociation) -> None:
        seen = 0
        async for event in assoc.events():
            if isinstance(event, MessageReceived) and isinstance(event.message, CStoreRQ):
                seen += 1
                rq, cid = event.message, event.context_id
            elif isinstance(event, DatasetFragment) and event.last:
                if seen == 1:
                    await assoc.send(
                        CStoreRSP(message_id_being_responded_to=rq.message_id, status=0),
                        context_id=cid,
                    )
                elif mode == "abort":
                    await assoc.abort()
                    return
                # "silent": never answer

    return handler


@pytest.mark.parametrize("mode", ["abort", "silent"])
def test_association_lost_mid_run(tmp_path: Path, mode: str) -> None:
    paths = [make_file(tmp_path / f"{i}.dcm", f"1.2.826.0.4.{i}") for i in range(4)]

    async def main() -> list[StoreOutcome]:
        config = AcceptorConfig(supported_contexts=[SupportedContext(CT, (EVLE,))])
        async with await serve(_misbehaving_handler(mode), config, "127.0.0.1", 0) as server:

            async def open_assoc(cfg: RequestorConfig) -> Any:
                timeouts = Timeouts(connect=5, acse=5, dimse=0.5)
                return await connect("127.0.0.1", server.port, cfg, timeouts=timeouts)

            return await asyncio.wait_for(astore(open_assoc, paths), 10)

    start = time.monotonic()
    outcomes = asyncio.run(main())
    assert time.monotonic() - start < 8
    assert outcomes[0].status == 0
    assert [o.status for o in outcomes[1:]] == [None] * 3
    assert all((o.reason or "").startswith("association ended") for o in outcomes[1:])
    assert ("timeout" in (outcomes[1].reason or "").lower()) == (mode == "silent")


def test_deflated_proposal_converts_into_deflated(tmp_path: Path) -> None:
    path = make_file(tmp_path / "x.dcm", "1.2.826.0.9.9", EVBE)

    async def main() -> None:
        async with collecting_scp([DEFLATED]) as (port, received):
            default = await astore(connector(port), [path])
            deflated = await astore(
                connector(port), [path], StorageSCUOptions(proposal=Proposal.DEFLATED)
            )
        assert default[0].status is None  # deflated not proposed by -x=
        assert deflated[0].status == 0
        assert deflated[0].transfer_syntax == DEFLATED
        assert deflated[0].converted
        (got,) = received
        assert elements(got.dataset()) == elements(read_file(path).dataset)

    asyncio.run(main())


def test_over_128_contexts_uses_several_associations(tmp_path: Path) -> None:
    classes = [f"1.2.826.0.1.3680043.6.{i}" for i in range(50)]  # 3 contexts each: 150
    paths = [
        make_file(tmp_path / f"{i}.dcm", f"1.2.826.0.3.{i}", EVLE, uid)
        for i, uid in enumerate(classes)
    ]
    opened: list[int] = []

    async def main() -> list[StoreOutcome]:
        async with collecting_scp(sop_classes=classes) as (port, received):
            inner = connector(port)

            async def counting(config: RequestorConfig) -> Any:
                opened.append(len(config.presentation_contexts))
                return await inner(config)

            outcomes = await astore(counting, paths)
        assert sorted(r.sop_instance_uid for r in received) == sorted(
            f"1.2.826.0.3.{i}" for i in range(50)
        )
        return outcomes

    outcomes = asyncio.run(main())
    assert opened == [126, 24]
    assert [o.sop_instance_uid for o in outcomes] == [f"1.2.826.0.3.{i}" for i in range(50)]
    assert all(o.ok for o in outcomes)
