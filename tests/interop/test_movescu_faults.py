"""``movescu`` against a scripted, misbehaving C-MOVE SCP: every move that did not complete
exits non-zero with one line saying what happened (stricter than DCMTK's movescu)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from dicomnet.acse import AcceptorConfig, SupportedContext
from dicomnet.association import DatasetFragment, MessageReceived
from dicomnet.dataset import Dataset, encode_dataset
from dicomnet.dimse import CMoveRQ, CMoveRSP
from dicomnet.services.echo import VERIFICATION_SOP_CLASS
from dicomnet.transport import serve
from dicomnet.uid import PATIENT_ROOT_QR_MOVE
from dicomnet_cli.movescu import (
    EXIT_FAILURE,
    EXIT_NO_CONTEXT,
    EXIT_WARNING,
    app,
)

runner = CliRunner()
LE = "1.2.840.10008.1.2.1"


class ScriptedSCP:
    """A C-MOVE SCP in a thread that answers each C-MOVE-RQ as ``mode`` says."""

    def __init__(self, mode: str, sop_class: str = PATIENT_ROOT_QR_MOVE) -> None:
        self.mode = mode
        self.sop_class = sop_class
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the scripted SCP did not start")

    async def _main(self) -> None:
        config = AcceptorConfig(
            ae_titles=("ANY-SCP",),
            supported_contexts=(SupportedContext(self.sop_class, (LE,)),),
        )
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with await serve(self._handle, config, "127.0.0.1", 0) as server:
            self.port = server.port
            self._ready.set()
            await self._stop.wait()

    async def _handle(self, assoc: Any) -> None:
        request: CMoveRQ | None = None
        context_id = 0
        async for event in assoc.events():
            if isinstance(event, MessageReceived) and isinstance(event.message, CMoveRQ):
                request, context_id = event.message, event.context_id
            elif isinstance(event, DatasetFragment) and event.last and request is not None:
                await self._answer(assoc, request, context_id)
                if self.mode in ("abort", "close"):
                    return

    async def _answer(self, assoc: Any, rq: CMoveRQ, context_id: int) -> None:
        def rsp(status: int, **kw: Any) -> CMoveRSP:
            return CMoveRSP(
                message_id_being_responded_to=rq.message_id,
                status=status,
                affected_sop_class_uid=rq.affected_sop_class_uid,
                **kw,
            )

        pending = rsp(
            0xFF00,
            number_of_remaining_sub_operations=2,
            number_of_completed_sub_operations=0,
            number_of_failed_sub_operations=0,
            number_of_warning_sub_operations=0,
        )
        if self.mode == "abort":
            await assoc.send(pending, context_id=context_id)
            await assoc.abort()
        elif self.mode == "close":
            await assoc.send(pending, context_id=context_id)
            assoc._driver.abort_transport()
        elif self.mode == "pending-dataset":
            ds = Dataset()
            ds.set(0x00100020, "PID1")
            data = encode_dataset(ds, source_transfer_syntax=LE)
            await assoc.send(
                attrs_evolve(pending, has_dataset=True), context_id=context_id, dataset=data
            )
            await assoc.send(
                rsp(
                    0x0000,
                    number_of_completed_sub_operations=0,
                    number_of_failed_sub_operations=0,
                    number_of_warning_sub_operations=0,
                ),
                context_id=context_id,
            )
        elif self.mode == "silent":
            return  # never answers: the DIMSE timeout must end the move
        elif self.mode == "unknown":
            await assoc.send(
                rsp(0xA801, error_comment="no such AE: MOVESCU"), context_id=context_id
            )
        elif self.mode == "warning":
            await assoc.send(
                rsp(
                    0xB000,
                    number_of_completed_sub_operations=1,
                    number_of_failed_sub_operations=1,
                    number_of_warning_sub_operations=0,
                    error_comment="one object failed",
                ),
                context_id=context_id,
            )

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def attrs_evolve(message: CMoveRSP, **changes: Any) -> CMoveRSP:
    import attrs

    return attrs.evolve(message, **changes)


@pytest.fixture
def scripted(request: pytest.FixtureRequest) -> Iterator[ScriptedSCP]:
    scp = ScriptedSCP(*request.param)
    yield scp
    scp.close()


def _run(scp: ScriptedSCP, tmp_path: Path, *args: str) -> Result:
    return runner.invoke(
        app,
        [
            "-od",
            str(tmp_path),
            "-to",
            "5",
            "-ta",
            "5",
            "-td",
            "5",
            "-k",
            "PatientID=X",
            *args,
            "127.0.0.1",
            str(scp.port),
        ],
    )


@pytest.mark.parametrize("scripted", [("abort",)], indirect=True)
def test_peer_abort_mid_move_exits_69(scripted: ScriptedSCP, tmp_path: Path) -> None:
    result = _run(scripted, tmp_path)
    assert result.exit_code == EXIT_FAILURE, result.stderr
    assert "did not complete" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("scripted", [("close",)], indirect=True)
def test_peer_closes_mid_move_exits_69(scripted: ScriptedSCP, tmp_path: Path) -> None:
    result = _run(scripted, tmp_path)
    assert result.exit_code == EXIT_FAILURE, result.stderr
    assert "did not complete" in result.stderr


@pytest.mark.parametrize("scripted", [("pending-dataset",)], indirect=True)
def test_dataset_on_pending_fails_under_pi_and_passes_under_pr(
    scripted: ScriptedSCP, tmp_path: Path
) -> None:
    result = _run(scripted, tmp_path)
    assert result.exit_code == EXIT_FAILURE, result.stderr
    assert "-pr" in result.stderr
    result = _run(scripted, tmp_path, "-pr")
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("scripted", [("warning",)], indirect=True)
def test_final_warning_exits_68_with_comment(scripted: ScriptedSCP, tmp_path: Path) -> None:
    result = _run(scripted, tmp_path)
    assert result.exit_code == EXIT_WARNING, result.stderr
    assert "one object failed" in result.stderr


@pytest.mark.parametrize("scripted", [("warning", VERIFICATION_SOP_CLASS)], indirect=True)
def test_no_move_context_exits_66(scripted: ScriptedSCP, tmp_path: Path) -> None:
    result = _run(scripted, tmp_path)
    assert result.exit_code in (EXIT_NO_CONTEXT,), result.stderr
    assert "presentation context" in result.stderr


@pytest.mark.parametrize("scripted", [("unknown",)], indirect=True)
def test_move_destination_unknown_exits_69_with_comment(
    scripted: ScriptedSCP, tmp_path: Path
) -> None:
    result = _run(scripted, tmp_path)
    assert result.exit_code == EXIT_FAILURE, result.stderr
    assert "Move Destination unknown" in result.stderr
    assert "no such AE: MOVESCU" in result.stderr


@pytest.mark.parametrize("scripted", [("silent",)], indirect=True)
def test_dimse_timeout_exits_69(scripted: ScriptedSCP, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["-od", str(tmp_path), "-td", "1", "-k", "PatientID=X", "127.0.0.1", str(scripted.port)],
    )
    assert result.exit_code == EXIT_FAILURE, result.stderr
    assert "timeout" in result.stderr.lower()


@pytest.mark.parametrize("scripted", [("warning",)], indirect=True)
def test_outgoing_syntax_option_is_what_is_proposed(scripted: ScriptedSCP, tmp_path: Path) -> None:
    """The scripted SCP accepts explicit VR little endian only: -xi proposes implicit alone."""
    assert _run(scripted, tmp_path, "-xi").exit_code == EXIT_NO_CONTEXT
    assert _run(scripted, tmp_path, "-xi", "-xe").exit_code == EXIT_WARNING
