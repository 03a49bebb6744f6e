"""``movescu``: DCMTK argv conventions, option mapping and the exit codes found before any move."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dicomnet.services.query import QueryModel
from dicomnet.transport.retrieve import MoveOutcome
from dicomnet_cli.dcmtk_args import NormalisedArgv, normalise
from dicomnet_cli.movescu import (
    EXIT_ASSOCIATION,
    EXIT_BAD_OUTPUT_DIRECTORY,
    EXIT_FAILURE,
    EXIT_NETWORK_INIT,
    EXIT_QUERY_FILE,
    EXIT_WARNING,
    MOVESCU_OPTIONS,
    _identifiers,
    _model,
    _outgoing,
    app,
    outcome_exit_code,
)
from dicomnet_cli.storescp import preference_of
from tests.peers import free_port

runner = CliRunner()


def _argv(*args: str) -> NormalisedArgv:
    return normalise([*args, "host", "104"], MOVESCU_OPTIONS)


def test_model_rightmost_wins() -> None:
    assert _model(_argv()) is QueryModel.PATIENT_ROOT
    assert _model(_argv("-S")) is QueryModel.STUDY_ROOT
    assert _model(_argv("-S", "-O")) is QueryModel.PATIENT_STUDY_ONLY
    assert _model(_argv("-O", "--patient")) is QueryModel.PATIENT_ROOT


def test_outgoing_and_incoming_syntax_options() -> None:
    assert _outgoing(_argv()) == "-x="
    assert _outgoing(_argv("-xi", "-xb")) == "-xb"
    assert _outgoing(_argv("-xd")) == "-xd"
    assert preference_of(_argv("+xe", "+xi")) == "+xi"
    assert preference_of(_argv("+xs")) == "+xs"
    # +xd (incoming deflated) and -xd (outgoing deflated) are different options
    argv = _argv("+xd", "-xe")
    assert preference_of(argv) == "+xd"
    assert _outgoing(argv) == "-xe"


def test_port_group_and_pending_rightmost() -> None:
    argv = _argv("+P", "1234", "--no-port")
    assert argv.has("--no-port")
    assert not argv.has("--port")
    argv = _argv("--no-port", "+P", "1234", "-pr", "-pi")
    assert argv.has("--port")
    assert argv.has("--pending-ignore")
    assert not argv.has("--pending-read")


def test_keys_build_identifier_by_keyword_tag_and_empty_value() -> None:
    (ds,) = _identifiers(["QueryRetrieveLevel=STUDY", "0010,0020=PID1", "PatientName"], [])
    assert ds.get_value(0x00080052) == "STUDY"
    assert ds.get_value(0x00100020) == "PID1"
    assert 0x00100010 in ds
    assert not ds.get_value(0x00100010)


def test_query_file_with_key_override(tmp_path: Path) -> None:
    path = tmp_path / "q.dcm"
    path.write_bytes(_part10())
    (got,) = _identifiers(["PatientID=NEW"], [str(path)])
    assert got.get_value(0x00100020) == "NEW"
    assert got.get_value(0x00080052) == "PATIENT"


def _part10() -> bytes:
    import io

    import pydicom
    from pydicom.dataset import Dataset as PyDataset
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    py = PyDataset()
    py.QueryRetrieveLevel = "PATIENT"
    py.PatientID = "OLD"
    py.file_meta = FileMetaDataset()
    py.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    py.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.2.1.2"
    py.file_meta.MediaStorageSOPInstanceUID = "1.2.3"
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, py, enforce_file_format=True)
    return buf.getvalue()


def test_unreadable_query_file_exits_20(tmp_path: Path) -> None:
    result = runner.invoke(app, ["host", "104", str(tmp_path / "missing.dcm")])
    assert result.exit_code == EXIT_QUERY_FILE
    assert "missing.dcm" in result.stderr
    assert "Traceback" not in result.stderr
    garbage = tmp_path / "garbage.dcm"
    garbage.write_bytes(b"\xff" * 7)
    result = runner.invoke(app, ["host", "104", str(garbage)])
    assert result.exit_code == EXIT_QUERY_FILE, result.stderr
    assert "garbage.dcm" in result.stderr


def test_bad_output_directory_exits_45(tmp_path: Path) -> None:
    result = runner.invoke(app, ["-od", str(tmp_path / "nope"), "+P", "0", "host", "104"])
    assert result.exit_code == EXIT_BAD_OUTPUT_DIRECTORY
    assert "nope" in result.stderr
    afile = tmp_path / "file"
    afile.write_text("x")
    result = runner.invoke(app, ["-od", str(afile), "host", "104"])
    assert result.exit_code == EXIT_BAD_OUTPUT_DIRECTORY


def test_conflict_names_both_options(tmp_path: Path) -> None:
    result = runner.invoke(app, ["+B", "+te", "-od", str(tmp_path), "host", "104"])
    assert result.exit_code == 1
    assert "+B" in result.stderr
    assert "+te" in result.stderr


def test_command_line_errors_exit_1(tmp_path: Path) -> None:
    assert runner.invoke(app, ["--bogus", "host", "104"]).exit_code == 1
    assert runner.invoke(app, ["-pdu", "100", "host", "104"]).exit_code == 1
    assert runner.invoke(app, ["host"]).exit_code == 1
    assert runner.invoke(app, ["-ll", "loud", "host", "104"]).exit_code == 1
    assert runner.invoke(app, ["+cl", "5", "host", "104"]).exit_code == 1  # +cl needs +td
    result = runner.invoke(app, ["-k", "NoSuchKeyword=1", "host", "104"])
    assert result.exit_code == 1
    assert "NoSuchKeyword" in result.stderr


def test_version_help_and_arguments(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "dicomnet" in result.stdout
    assert "attrs" in result.stdout
    result = runner.invoke(app, ["-h"])
    assert result.exit_code == 0
    assert "C-MOVE" in result.stdout
    args = tmp_path / "args"
    args.write_text("--version")
    result = runner.invoke(app, ["--arguments", f"@{args}"])
    assert result.exit_code == 0
    assert "--version" in result.stderr


def test_port_in_use_exits_60_naming_the_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["+P", str(port), "-od", str(tmp_path), "127.0.0.1", "104"])
    assert result.exit_code == EXIT_NETWORK_INIT, result.stderr
    assert str(port) in result.stderr
    assert "Traceback" not in result.stderr


def test_connection_refused_exits_61(tmp_path: Path) -> None:
    port = free_port()
    result = runner.invoke(app, ["-od", str(tmp_path), "-to", "5", "127.0.0.1", str(port)])
    assert result.exit_code == EXIT_ASSOCIATION, result.stderr
    assert "association request failed" in result.stderr


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        (MoveOutcome(index=1, status=0x0000, completed=3), 0),
        (MoveOutcome(index=1, status=0xFE00, cancelled=True), 0),
        (MoveOutcome(index=1, status=0xB000, failed=1), EXIT_WARNING),
        (MoveOutcome(index=1, status=0xA801, error_comment="no such AE"), EXIT_FAILURE),
        (MoveOutcome(index=1, status=0xC000), EXIT_FAILURE),
        (MoveOutcome(index=1, status=0xA702), EXIT_FAILURE),
        (MoveOutcome(index=1, status=None, error="association aborted"), EXIT_FAILURE),
        (MoveOutcome(index=1, status=0x0000, error="data set on Pending"), EXIT_FAILURE),
    ],
)
def test_outcome_exit_codes(outcome: MoveOutcome, code: int) -> None:
    got, message = outcome_exit_code(outcome)
    assert got == code
    assert (message is None) == (code == 0)
    if outcome.error_comment:
        assert message is not None
        assert outcome.error_comment in message
    if outcome.error:
        assert message is not None
        assert outcome.error in message
