"""Verification against DCMTK: our SCU -> ``storescp``, ``echoscu`` -> our SCP, our CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dicomnet.services.echo import echo, verification_handler
from dicomnet.transport import aio, blocking, client_context, server_context
from dicomnet_cli.echoscu import app
from tests.peers import dcmtk_env, free_port, require_program, running
from tests.transport.helpers import SCP_AET, acceptor_config, make_certificate, requestor_config

pytestmark = pytest.mark.peer


def _storescp(tmp_path: Path, port: int) -> list[str]:
    return [require_program("storescp"), "--aetitle", "STORESCP", "-od", str(tmp_path), str(port)]


def test_our_echo_to_storescp(tmp_path: Path) -> None:
    port = free_port()

    async def main() -> list[int]:
        async with await aio.connect("127.0.0.1", port, requestor_config("STORESCP")) as assoc:
            assert assoc.negotiated is not None
            assert assoc.negotiated.peer_implementation_class_uid is not None
            return [await echo(assoc) for _ in range(10)]

    with running(_storescp(tmp_path, port), port=port, env=dcmtk_env()):
        assert asyncio.run(main()) == [0] * 10
        # the synchronous API, same peer
        assert blocking.echo("127.0.0.1", port, called_ae_title="STORESCP") == 0
        with blocking.connect("127.0.0.1", port, requestor_config("STORESCP")) as assoc:
            assert assoc.echo() == 0
            assert assoc.echo() == 0
        assert assoc.is_closed


async def _echoscu(port: int, *extra: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        require_program("echoscu"),
        "-aec",
        SCP_AET,
        "-v",
        *extra,
        "127.0.0.1",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=dcmtk_env(),
    )
    out, _ = await proc.communicate()
    return int(proc.returncode or 0), out.decode(errors="replace")


def test_dcmtk_echoscu_to_our_scp() -> None:
    require_program("echoscu")

    async def main() -> None:
        server = await aio.serve(verification_handler, acceptor_config())
        async with server:
            code, out = await _echoscu(server.port, "--repeat", "3")
            assert code == 0, out
            assert out.count("Received Echo Response (Success)") == 3, out
            code, out = await _echoscu(server.port, "--abort")
            assert code == 0, out
            assert server.associations_served == 2

    asyncio.run(main())


def test_twenty_concurrent_echoscu_on_one_server() -> None:
    require_program("echoscu")

    async def main() -> None:
        server = await aio.serve(verification_handler, acceptor_config())
        async with server:
            results = await asyncio.gather(*(_echoscu(server.port) for _ in range(20)))
            for code, out in results:
                assert code == 0, out
                assert "Received Echo Response (Success)" in out
            assert server.associations_served == 20

    asyncio.run(main())


def test_cli_echoscu_against_storescp(tmp_path: Path) -> None:
    port = free_port()
    runner = CliRunner()
    with running(_storescp(tmp_path, port), port=port, env=dcmtk_env()):
        result = runner.invoke(
            app, ["-aec", "STORESCP", "-v", "--repeat", "2", "127.0.0.1", str(port)]
        )
        assert result.exit_code == 0, result.output
        assert result.output.count("Received Echo Response (Success, 0x0000)") == 2, result.output
        result = runner.invoke(app, ["-aec", "STORESCP", "--abort", "127.0.0.1", str(port)])
        assert result.exit_code == 0, result.output


def test_cli_echoscu_failures() -> None:
    runner = CliRunner()
    refused = free_port()
    result = runner.invoke(app, ["-to", "2", "127.0.0.1", str(refused)])
    assert result.exit_code == 1
    assert "Association Request Failed" in result.output
    result = runner.invoke(app, ["-pdu", "100", "127.0.0.1", "104"])  # out of DCMTK's range
    assert result.exit_code == 1
    result = runner.invoke(app, ["--frobnicate", "127.0.0.1", "104"])
    assert result.exit_code == 1
    assert "frobnicate" in result.output


def test_cli_echoscu_rejected_by_our_scp() -> None:
    async def main() -> tuple[int, str]:
        server = await aio.serve(
            verification_handler, acceptor_config(require_called_ae_title=True)
        )
        async with server:
            runner = CliRunner()
            start = time.monotonic()
            result = await asyncio.to_thread(
                runner.invoke, app, ["-aec", "NOBODY", "127.0.0.1", str(server.port)]
            )
            assert time.monotonic() - start < 10
            return result.exit_code, result.output

    code, out = asyncio.run(main())
    assert code == 1
    assert "Association Rejected" in out


def test_real_process_run(tmp_path: Path) -> None:
    """The command in its own process, as users run it, against storescp."""
    port = free_port()
    code = "from dicomnet_cli.echoscu import app; app()"
    with running(_storescp(tmp_path, port), port=port, env=dcmtk_env()):
        run = subprocess.run(
            [sys.executable, "-c", code, "-aec", "STORESCP", "-v", "127.0.0.1", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert run.returncode == 0, run.stderr
    assert "Received Echo Response (Success, 0x0000)" in run.stderr


def test_tls_dcmtk_echoscu_to_our_scp_and_our_echo_to_tls_storescp(tmp_path: Path) -> None:
    """PS3.15 Annex B: DCMTK's default BCP 195 non-downgrading profile against our contexts."""
    require_program("echoscu")
    key, cert = make_certificate(tmp_path)

    async def main() -> tuple[int, str]:
        server = await aio.serve(
            verification_handler, acceptor_config(), ssl=server_context(cert, key)
        )
        async with server:
            return await _echoscu(server.port, "+tla", "+cf", str(cert))

    code, out = asyncio.run(main())
    assert code == 0, out
    assert "Received Echo Response (Success)" in out

    port = free_port()
    storescp = [
        require_program("storescp"),
        "--aetitle",
        "STORESCP",
        "+tls",
        str(key),
        str(cert),
        "-ic",
        "-od",
        str(tmp_path),
        str(port),
    ]

    async def ours() -> int:
        context = client_context(cafile=cert)
        async with await aio.connect(
            "127.0.0.1", port, requestor_config("STORESCP"), ssl=context
        ) as assoc:
            return await echo(assoc)

    with running(storescp, port=port, env=dcmtk_env()):
        assert asyncio.run(ours()) == 0
