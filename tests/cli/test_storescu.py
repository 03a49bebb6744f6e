"""``dicomnet storescu``: DCMTK spelling, proposals, folders and exit codes (pynetdicom as peer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dicomnet.services.storage_scu import StorageSCUOptions
from dicomnet.transport import Timeouts
from dicomnet.transport.blocking import store as send_files
from dicomnet_cli.storescu import app
from tests.peers import free_port
from tests.services.test_storage_scu_support import CT, EVBE, EVLE, IVLE, make_file

pynetdicom = pytest.importorskip("pynetdicom")

runner = CliRunner()


class _Peer:
    def __init__(self, syntaxes: list[str], status: int = 0) -> None:
        self.uids: list[str] = []
        self.syntaxes: list[str] = []
        self.status = status
        ae = pynetdicom.AE(ae_title="ANY-SCP")
        ae.add_supported_context(CT, syntaxes)
        self.port = free_port()
        self.server = ae.start_server(
            ("127.0.0.1", self.port),
            block=False,
            evt_handlers=[(pynetdicom.evt.EVT_C_STORE, self.on_store)],
        )

    def on_store(self, event: Any) -> int:
        self.uids.append(str(event.request.AffectedSOPInstanceUID))
        self.syntaxes.append(str(event.context.transfer_syntax))
        return self.status


@pytest.fixture
def peer() -> Iterator[Any]:
    started: list[_Peer] = []

    def make(syntaxes: list[str], status: int = 0) -> _Peer:
        p = _Peer(syntaxes, status)
        started.append(p)
        return p

    yield make
    for p in started:
        p.server.shutdown()


def _run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_store_files_and_folder(tmp_path: Path, peer: Any) -> None:
    (tmp_path / "sub").mkdir()
    a = make_file(tmp_path / "a.dcm", "1.2.826.0.1.3680043.7.1", EVLE)
    make_file(tmp_path / "sub" / "b.dcm", "1.2.826.0.1.3680043.7.2", IVLE)
    (tmp_path / "junk.bin").write_bytes(b"\x00junk" * 50)
    p = peer([EVLE, IVLE])
    result = _run("127.0.0.1", str(p.port), str(a))
    assert result.exit_code == 0, result.output
    result = _run("+sd", "127.0.0.1", str(p.port), str(tmp_path))  # no +r: top level only
    assert result.exit_code == 0, result.output
    assert "junk.bin" in result.output  # reported and skipped
    result = _run("+r", "-v", "+sd", "127.0.0.1", str(p.port), str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Stored" in result.output
    assert p.uids == ["1.2.826.0.1.3680043.7.1"] * 3 + ["1.2.826.0.1.3680043.7.2"]
    result = _run("--repeat", "2", "127.0.0.1", str(p.port), str(a))
    assert result.exit_code == 0, result.output
    assert len(p.uids) == 6


def test_proposal_options(tmp_path: Path, peer: Any) -> None:
    a = make_file(tmp_path / "a.dcm", "1.2.826.0.1.3680043.7.3", EVLE)
    p = peer([EVBE])
    result = _run("127.0.0.1", str(p.port), str(a))  # -x=: EVBE proposed, file converted
    assert result.exit_code == 0, result.output
    result = _run("-xe", "-xi", "127.0.0.1", str(p.port), str(a))  # rightmost wins: -xi
    assert result.exit_code == 1
    assert "not accepted" in result.output
    assert p.syntaxes == [EVBE]
    result = _run("-xi", "-xb", "+C", "127.0.0.1", str(p.port), str(a))
    assert result.exit_code == 0, result.output
    assert p.syntaxes == [EVBE, EVBE]


def test_failure_status_and_halt(tmp_path: Path, peer: Any) -> None:
    files = [str(make_file(tmp_path / f"{n}.dcm", f"1.2.826.0.1.3680043.7.1{n}")) for n in range(3)]
    p = peer([EVLE], status=0xA700)
    result = _run("127.0.0.1", str(p.port), *files)
    assert result.exit_code == 1
    assert "0xA700" in result.output
    assert len(p.uids) == 1  # DCMTK default: halt after an unsuccessful store
    result = _run("-nh", "127.0.0.1", str(p.port), *files)
    assert result.exit_code == 1
    assert "3 of 3 files not stored" in result.output
    assert len(p.uids) == 4


def test_command_line_errors(tmp_path: Path) -> None:
    a = make_file(tmp_path / "a.dcm", "1.2.826.0.1.3680043.7.20")
    result = _run("+sp", "*.dcm", "127.0.0.1", "104", str(a))
    assert result.exit_code == 1
    assert "+sp only with +sd" in result.output
    result = _run("127.0.0.1", "104", str(tmp_path / "missing.dcm"))
    assert result.exit_code == 1
    assert "missing.dcm" in result.output
    result = _run("127.0.0.1", "104", str(tmp_path))  # a directory without +sd
    assert result.exit_code == 1
    assert "+sd" in result.output
    result = _run("--arguments", "+sd", "127.0.0.1", "104", str(tmp_path / "none"))
    assert "--arguments +sd 127.0.0.1 104" in result.output
    result = _run("-pdu", "100", "127.0.0.1", "104", str(a))
    assert result.exit_code == 1
    assert _run().exit_code == 0  # no arguments: help


def test_unreachable_peer(tmp_path: Path) -> None:
    a = make_file(tmp_path / "a.dcm", "1.2.826.0.1.3680043.7.21")
    result = _run("-to", "5", "127.0.0.1", str(free_port()), str(a))
    assert result.exit_code == 1
    assert "Association Request Failed" in result.output


def test_send_files_synchronous(tmp_path: Path, peer: Any) -> None:
    a = make_file(tmp_path / "a.dcm", "1.2.826.0.1.3680043.7.30", EVLE)
    p = peer([IVLE])
    (outcome,) = send_files(
        "127.0.0.1", p.port, [str(a)], StorageSCUOptions(), timeouts=Timeouts(connect=5)
    )
    assert outcome.ok
    assert outcome.converted
    assert p.syntaxes == [IVLE]
