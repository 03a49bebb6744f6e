"""``dicomnet storescp``: DCMTK argv conventions, option mapping, exit codes, signals."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dicomnet.dataset import GroupLength, LengthEncoding, Padding
from dicomnet_cli.dcmtk_args import normalise
from dicomnet_cli.storescp import (
    EXIT_BAD_OUTPUT_DIRECTORY,
    EXIT_NETWORK_INIT,
    STORESCP_OPTIONS,
    app,
    preference_of,
    write_options,
)
from tests.peers import free_port, wait_for_port

runner = CliRunner()


def test_rightmost_preference_wins() -> None:
    argv = normalise(["+xy", "104", "+xe", "-od", "x", "+xi"], STORESCP_OPTIONS)
    assert preference_of(argv) == "+xi"
    assert preference_of(normalise(["104"], STORESCP_OPTIONS)) == "+x="
    assert preference_of(normalise(["--prefer-rle", "104"], STORESCP_OPTIONS)) == "+xr"


def test_output_options_map_to_write_options() -> None:
    argv = normalise(["+ti", "-g", "-e", "-u", "104"], STORESCP_OPTIONS)
    options = write_options(argv, None, 6)
    assert options.transfer_syntax == "1.2.840.10008.1.2"
    assert options.group_length is GroupLength.REMOVE
    assert options.length_encoding is LengthEncoding.UNDEFINED
    assert options.new_vrs is False
    assert options.padding is Padding.OFF  # storescp's default (-p)
    padded = write_options(normalise(["+p", "256", "16", "1"], STORESCP_OPTIONS), (256, 16), 6)
    assert (padded.padding, padded.file_padding, padded.item_padding) == (Padding.CREATE, 256, 16)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["+B", "+te", "104"], "+B and +te"),
        (["+cl", "3", "104"], "+cl"),
        (["-pdu", "100", "104"], "max-pdu"),
        (["--bogus", "104"], "--bogus"),
    ],
)
def test_command_line_errors_exit_1(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_bad_output_directory_exits_45(tmp_path: Path) -> None:
    result = runner.invoke(app, ["-od", str(tmp_path / "missing"), "104"])
    assert result.exit_code == EXIT_BAD_OUTPUT_DIRECTORY
    assert "does not exist" in result.output


def test_port_in_use_exits_60(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["--bind", "127.0.0.1", "-od", str(tmp_path), str(port)])
    assert result.exit_code == EXIT_NETWORK_INIT, result.output
    assert "cannot listen" in result.output


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dicomnet_cli.storescp",
            "--bind",
            "127.0.0.1",
            "-od",
            str(tmp_path),
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert b"Traceback" not in out


def test_version_needs_no_port_and_a_missing_port_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "dicomnet storescp" in result.output
    missing = runner.invoke(app, ["-od", str(tmp_path)])
    assert missing.exit_code == 1
    assert "port" in missing.output
