"""``dicomnet echoscu``: the parameters and general options every command shares."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dicomnet_cli.echoscu import app

runner = CliRunner()


def test_version_needs_no_peer() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("dicomnet echoscu ")


def test_arguments_prints_the_expanded_command_line(tmp_path: Path) -> None:
    args = tmp_path / "args"
    args.write_text("-aet ME\n--version")
    result = runner.invoke(app, ["--arguments", f"@{args}"])
    assert result.exit_code == 0, result.stderr
    assert "-aet ME --version" in result.stderr


def test_missing_port_and_bad_port_are_one_line_errors() -> None:
    result = runner.invoke(app, ["127.0.0.1"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "echoscu: error: missing parameter: port"
    result = runner.invoke(app, ["127.0.0.1", "70000"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "echoscu: error: port must be 1..65535, not 70000"
