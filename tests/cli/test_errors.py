"""cli/errors.py: each exception class gives one line and its exit code; no traceback ever."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.errors import (
    DatasetDecodeError,
    DatasetEncodeError,
    DictionaryError,
    PDUDecodeError,
)
from dicomnet_cli.errors import ExitCode, Stage, command_boundary, describe
from tests.cli.helpers import run


@pytest.mark.parametrize(
    ("exc", "stage", "code", "fragment"),
    [
        (DatasetDecodeError("truncated", offset=12, tag=0x00100010), Stage.READ, 22, "(0010,0010)"),
        (DatasetDecodeError("bad", offset=3), Stage.WRITE, 22, "input is not valid DICOM"),
        (DatasetEncodeError("cannot"), Stage.WRITE, 40, "cannot encode"),
        (DictionaryError("bad line 3"), Stage.READ, 3, "data dictionary"),
        (FileNotFoundError(2, "No such file or directory"), Stage.READ, 20, "No such file"),
        (PermissionError(13, "Permission denied"), Stage.WRITE, 40, "Permission denied"),
        (IsADirectoryError(21, "Is a directory"), Stage.WRITE, 40, "Is a directory"),
        (OSError("disk on fire"), Stage.READ, 20, "disk on fire"),
        (PDUDecodeError("bad pdu"), Stage.READ, 22, "bad pdu"),
        (ValueError("bit_preserving (+B) cannot"), Stage.WRITE, 40, "+B"),
        (IndexError("oops"), Stage.READ, 70, "internal error"),
        (RecursionError("deep"), Stage.READ, 70, "RecursionError"),
    ],
)
def test_describe(exc: Exception, stage: Stage, code: int, fragment: str) -> None:
    message, exit_code = describe(exc, stage, "x.dcm")
    assert exit_code == code
    assert fragment in message
    assert "\n" not in message


def test_boundary_prints_one_line_and_exits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as info, command_boundary("dicomnet t", Stage.READ, Path("f")):
        raise DatasetDecodeError("multi\nline\nmessage", offset=1)
    assert info.value.exit_code == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("dicomnet t: error: reading f: not valid DICOM: multi line message")


def test_boundary_lets_exit_through_and_maps_interrupt() -> None:
    with pytest.raises(typer.Exit) as info, command_boundary("t", Stage.READ, "f"):
        raise typer.Exit(5)
    assert info.value.exit_code == 5
    with pytest.raises(typer.Exit) as info, command_boundary("t", Stage.READ, "f"):
        raise KeyboardInterrupt
    assert info.value.exit_code == 130


def test_real_process_has_no_traceback(tmp_path: Path) -> None:
    """Through the console entry point (typer pretty exceptions off): one line, exit 22."""
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(bytes(128) + b"DICM" + b"\x02\x00\x10\x00UI\xff\x00" + b"1.2")
    done = subprocess.run(
        [sys.executable, "-m", "dicomnet_cli", "dump", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 22
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""


_SEEDS = sorted((Path(__file__).resolve().parents[2] / "fuzz" / "corpus" / "part10").iterdir())


@settings(max_examples=120, deadline=None)
@given(
    seed=st.sampled_from(_SEEDS),
    cut=st.integers(0, 4000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=4),
)
def test_mutated_files_never_crash_the_commands(
    seed: Path, cut: int, flips: list[tuple[int, int]]
) -> None:
    """Damaged files: dump and convert exit 0, 22 (invalid input) or 40 (cannot encode)."""
    data = bytearray(seed.read_bytes()[: max(cut, 1)])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.dcm"
        source.write_bytes(bytes(data))
        dumped = run("dump", str(source))
        assert dumped.exit_code in (0, 22), dumped.stderr
        converted = run("convert", str(source), str(Path(tmp) / "out.dcm"), "+te")
        assert converted.exit_code in (0, 22, 40), converted.stderr
        for result in (dumped, converted):
            assert len(result.stderr.strip().splitlines()) <= 1


# --- run_console_script: the console scripts' exit without interpreter teardown ---------------

_SCRIPT = """
import gc, logging, sys
from dicomnet_cli.errors import run_console_script, startup_done
logging.basicConfig(filename={log!r}, level=logging.INFO)

def app():
    print("buffered output", end="")  # a pipe: block-buffered until flushed
    logging.getLogger("t").info("logged line")
    print("paused" if not gc.isenabled() else "running", file=sys.stderr)
    startup_done()
    print("resumed" if gc.isenabled() else "still paused", file=sys.stderr)
    {ending}

run_console_script(app, pause_gc=True)
print("never reached")
"""


@pytest.mark.parametrize(
    ("ending", "code", "message"),
    [
        ("raise SystemExit(3)", 3, ""),
        ("return None", 0, ""),
        ("sys.exit('bad thing')", 1, "bad thing"),
        ("raise SystemExit(None)", 0, ""),
    ],
)
def test_console_script_exit_flushes_output_and_logs(
    tmp_path: Path, ending: str, code: int, message: str
) -> None:
    log = tmp_path / "t.log"
    script = _SCRIPT.format(log=str(log), ending=ending)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == code
    assert done.stdout == "buffered output"
    assert done.stderr.splitlines()[:2] == ["paused", "resumed"]
    assert message in done.stderr
    assert "logged line" in log.read_text()


def test_console_script_exceptions_still_show_a_traceback() -> None:
    script = (
        "from dicomnet_cli.errors import run_console_script\n"
        "def app():\n    raise RuntimeError('boom')\n"
        "run_console_script(app)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 1
    assert "RuntimeError: boom" in done.stderr


def test_startup_done_is_a_no_op_in_process() -> None:
    """Under CliRunner (no console script) the collector is left alone, nothing is frozen."""
    import gc

    from dicomnet_cli.errors import startup_done

    frozen = gc.get_freeze_count()
    startup_done()
    assert gc.get_freeze_count() == frozen
    assert gc.isenabled()
