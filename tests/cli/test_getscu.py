"""``dicomnet getscu``: its command line, and its C-GET against DCMTK ``dcmqrscp``.

The archive is the study set of ``tests/interop/test_qr_scu_support.py``, indexed by
``dcmqridx`` and served by ``dcmqrscp`` as AE ``QRSCP``; every file received is compared
element by element with the archive's original.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dicomnet.dataset import read_file
from dicomnet.services.query import QueryModel
from dicomnet_cli.getscu import app, requestor_config, storage_classes
from tests.interop.test_qr_scu_support import CT, QRSCP, elements
from tests.peers import dcmtk_env, free_port, require_program, running

RUNNER = CliRunner()
ROOT = "1.2.826.0.1.3680043.9"


def getscu(*args: str) -> Result:
    return RUNNER.invoke(app, list(args))


@pytest.fixture(scope="module")
def qrscp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QRSCP]:
    require_program("dcmqrscp")
    scp = QRSCP(tmp_path_factory.mktemp("qr"), {})
    with running(["dcmqrscp", "-c", str(scp.cfg), str(scp.port)], port=scp.port, env=dcmtk_env()):
        yield scp


def _peer(scp: QRSCP) -> list[str]:
    return ["-aec", "QRSCP", "127.0.0.1", str(scp.port)]


def _assert_received(scp: QRSCP, directory: Path, uids: set[str]) -> None:
    """``directory`` holds exactly ``uids`` under DCMTK's names, each file intact."""
    assert sorted(p.name for p in directory.iterdir()) == sorted(f"CT.{u}" for u in uids)
    for uid in uids:
        got = read_file(directory / f"CT.{uid}")
        assert got.dataset.get_value("SOPInstanceUID") == uid
        assert elements(got.dataset) == elements(read_file(scp.files[uid]).dataset)


# --- command line, no peer ----------------------------------------------------------------------


def test_missing_port_is_a_command_line_error() -> None:
    result = getscu("127.0.0.1")
    assert result.exit_code == 1
    assert "missing parameter: port" in result.stderr


def test_bad_output_directory_exits_45(tmp_path: Path) -> None:
    result = getscu("-od", str(tmp_path / "nowhere"), "127.0.0.1", "104")
    assert result.exit_code == 45


def test_unreadable_query_file_exits_20(tmp_path: Path) -> None:
    result = getscu("-od", str(tmp_path), "127.0.0.1", "104", str(tmp_path / "missing.dcm"))
    assert result.exit_code == 20


def test_connection_refused_exits_61(tmp_path: Path) -> None:
    result = getscu("-od", str(tmp_path), "-k", "PatientID=X", "127.0.0.1", str(free_port()))
    assert result.exit_code == 61


def test_proposal_fits_128_contexts_with_role_selection() -> None:
    classes = storage_classes()
    assert classes[0] == CT
    assert len(classes) == len(set(classes)) == 127
    config = requestor_config(
        QueryModel.STUDY_ROOT, "+xi", calling_ae_title="GETSCU", called_ae_title="QRSCP"
    )
    contexts = list(config.presentation_contexts)
    assert len(contexts) == 128
    assert contexts[0].abstract_syntax == QueryModel.STUDY_ROOT.get_sop_class
    assert "1.2.840.10008.1.2.1" in contexts[0].transfer_syntaxes
    assert all(tuple(c.transfer_syntaxes) == ("1.2.840.10008.1.2",) for c in contexts[1:])
    roles = list(config.role_selections)
    assert {r.sop_class_uid for r in roles} == set(classes)
    assert all(r.scp_role and not r.scu_role for r in roles)


# --- against dcmqrscp ---------------------------------------------------------------------------


@pytest.mark.peer
def test_series_level_study_root(qrscp: QRSCP, tmp_path: Path) -> None:
    series = f"{ROOT}.1.1.2"
    args = ["-S", "-od", str(tmp_path), "-k", "QueryRetrieveLevel=SERIES"]
    args += ["-k", f"StudyInstanceUID={ROOT}.1.1", "-k", f"SeriesInstanceUID={series}"]
    result = getscu(*args, *_peer(qrscp))
    assert result.exit_code == 0, result.stderr
    _assert_received(qrscp, tmp_path, qrscp.uids("SERIES", series))


@pytest.mark.parametrize("preference", ["+xe", "+xi", "+xb"])
@pytest.mark.peer
def test_patient_level_patient_root(qrscp: QRSCP, tmp_path: Path, preference: str) -> None:
    args = ["-P", preference, "-od", str(tmp_path), "-k", "QueryRetrieveLevel=PATIENT"]
    result = getscu(*args, "-k", "PatientID=PID2", *_peer(qrscp))
    assert result.exit_code == 0, result.stderr
    uids = {u for u in qrscp.files if u.startswith(f"{ROOT}.2.")}
    assert len(uids) == 8
    _assert_received(qrscp, tmp_path, uids)


@pytest.mark.peer
def test_final_failure_exits_69(qrscp: QRSCP, tmp_path: Path) -> None:
    # An unknown Query/Retrieve Level: dcmqrscp answers 0xC000, nothing is written.
    args = ["-S", "-od", str(tmp_path), "-k", "QueryRetrieveLevel=BOGUS"]
    result = getscu(*args, *_peer(qrscp))
    assert result.exit_code == 69, result.stderr
    assert "C-GET failed: Failure (C000) (0xC000)" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.peer
def test_ignore_stores_nothing(qrscp: QRSCP, tmp_path: Path) -> None:
    args = ["-S", "--ignore", "-v", "-od", str(tmp_path), "-k", "QueryRetrieveLevel=STUDY"]
    result = getscu(*args, "-k", f"StudyInstanceUID={ROOT}.1.2", *_peer(qrscp))
    assert result.exit_code == 0, result.stderr
    assert list(tmp_path.iterdir()) == []
    assert "completed 4" in result.stderr


@pytest.mark.peer
def test_cancel_during_get(qrscp: QRSCP, tmp_path: Path) -> None:
    args = ["-S", "-v", "--cancel", "1", "-od", str(tmp_path), "-k", "QueryRetrieveLevel=SERIES"]
    args += ["-k", f"StudyInstanceUID={ROOT}.3.1", "-k", f"SeriesInstanceUID={ROOT}.3.1.1"]
    result = getscu(*args, *_peer(qrscp))
    assert result.exit_code == 0, result.stderr
    received = {p.name.removeprefix("CT.") for p in tmp_path.iterdir()}
    assert received <= qrscp.uids("SERIES", f"{ROOT}.3.1.1")
    # The SCP reads the C-CANCEL-RQ between sub-operations; should it finish first, Success.
    if "Received Get Response (Cancel, 0xFE00)" in result.stderr:
        assert 1 <= len(received) < 40
    else:
        assert "Received Get Response (Success, 0x0000)" in result.stderr
        assert len(received) == 40


@pytest.mark.peer
def test_wrong_called_ae_title_is_rejected(qrscp: QRSCP, tmp_path: Path) -> None:
    result = getscu("-od", str(tmp_path), "-aec", "NOBODY", "127.0.0.1", str(qrscp.port))
    assert result.exit_code == 61
    assert "Association Rejected" in result.stderr
