"""``dicomnet findscu``: its command line, and its C-FIND against DCMTK ``dcmqrscp``.

The archive is the study set of ``tests/interop/test_qr_scu_support.py`` (2 patients with 2
studies of 2 series of 2 images, a third patient with one 40-image series), indexed by
``dcmqridx`` and served by ``dcmqrscp`` as AE ``QRSCP``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from typer.testing import CliRunner, Result

from dicomnet.dataset import DataElement, Dataset, WriteOptions, read_file, write_file
from dicomnet.services.query import QueryModel
from dicomnet_cli.dcmtk_args import normalise
from dicomnet_cli.findscu import (
    EVBE,
    EVLE,
    FINDSCU_OPTIONS,
    IVLE,
    app,
    listing,
    proposed_syntaxes,
)
from tests.interop.test_qr_scu_support import QRSCP
from tests.peers import dcmtk_env, free_port, require_program, running

RUNNER = CliRunner()


def findscu(*args: str) -> Result:
    return RUNNER.invoke(app, list(args))


@pytest.fixture(scope="module")
def qrscp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QRSCP]:
    require_program("dcmqrscp")
    scp = QRSCP(tmp_path_factory.mktemp("qr"), {})
    with running(["dcmqrscp", "-c", str(scp.cfg), str(scp.port)], port=scp.port, env=dcmtk_env()):
        yield scp


def _peer(scp: QRSCP) -> list[str]:
    return ["-aec", "QRSCP", "127.0.0.1", str(scp.port)]


def _responses(directory: Path) -> list[pydicom.Dataset]:
    return [pydicom.dcmread(p) for p in sorted(directory.glob("rsp*.dcm"))]


# --- command line, no peer ----------------------------------------------------------------------


def test_missing_port_is_a_command_line_error() -> None:
    result = findscu("127.0.0.1")
    assert result.exit_code == 1
    assert "missing parameter: port" in result.stderr


def test_unknown_option_is_a_command_line_error() -> None:
    result = findscu("--no-such-option", "127.0.0.1", "104")
    assert result.exit_code == 1


def test_bad_key_is_a_command_line_error() -> None:
    result = findscu("-S", "-k", "NoSuchKeyword=1", "127.0.0.1", "104")
    assert result.exit_code == 1
    assert "-k" in result.stderr


def test_unreadable_query_file_exits_20(tmp_path: Path) -> None:
    result = findscu("-S", "127.0.0.1", "104", str(tmp_path / "missing.dcm"))
    assert result.exit_code == 20
    assert "cannot read query file" in result.stderr


def test_extract_needs_a_writable_directory(tmp_path: Path) -> None:
    result = findscu("-S", "-X", "-od", str(tmp_path / "nowhere"), "127.0.0.1", "104")
    assert result.exit_code == 45


def test_connection_refused_exits_61() -> None:
    result = findscu("-S", "-k", "QueryRetrieveLevel=STUDY", "127.0.0.1", str(free_port()))
    assert result.exit_code == 61
    assert "Association Request Failed" in result.stderr


def test_models_are_exclusive_rightmost_wins() -> None:
    argv = normalise(["-P", "-S", "-W", "-O", "peer", "104"], FINDSCU_OPTIONS)
    assert argv.has("--psonly")
    assert not any(argv.has(name) for name in ("--patient", "--study", "--worklist"))


def test_proposed_syntaxes() -> None:
    assert proposed_syntaxes("-x=") == (EVLE, EVBE, IVLE)
    assert proposed_syntaxes("-xb")[0] == EVBE
    assert proposed_syntaxes("-xi") == (IVLE,)


def test_listing_is_dcmdump_style() -> None:
    ds = Dataset()
    ds[0x00100020] = DataElement(0x00100020, "LO", "PID1")
    lines = listing(ds, EVLE)
    assert "# Used TransferSyntax: Explicit VR Little Endian" in lines
    assert any(line.startswith("(0010,0020) LO [PID1]") for line in lines)


# --- against dcmqrscp ---------------------------------------------------------------------------


@pytest.mark.peer
def test_study_root_study_level_printed_and_extracted(qrscp: QRSCP, tmp_path: Path) -> None:
    result = findscu(
        "-S",
        "-X",
        "-od",
        str(tmp_path),
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        "PatientID=PID1",
        "-k",
        "StudyInstanceUID",
        *_peer(qrscp),
    )
    assert result.exit_code == 0, result.stderr
    found = _responses(tmp_path)
    assert sorted(str(r.StudyInstanceUID) for r in found) == [
        "1.2.826.0.1.3680043.9.1.1",
        "1.2.826.0.1.3680043.9.1.2",
    ]
    assert all(r.PatientID == "PID1" for r in found)
    assert found[0].file_meta.MediaStorageSOPClassUID == QueryModel.STUDY_ROOT.find_sop_class
    assert result.stdout.count("Find Response:") == 2
    assert "(0020,000d) UI [1.2.826.0.1.3680043.9.1.1]" in result.stdout
    # The -X file holds exactly what came over the wire.
    assert read_file(sorted(tmp_path.glob("rsp*.dcm"))[0]).dataset.get_value(0x00100020) == "PID1"


@pytest.mark.peer
@pytest.mark.parametrize(
    ("model", "level", "keys", "expected"),
    [
        ("-P", "PATIENT", ["PatientID", "PatientName"], 3),
        (
            "-P",
            "SERIES",
            ["PatientID=PID2", "StudyInstanceUID=1.2.826.0.1.3680043.9.2.1", "SeriesInstanceUID"],
            2,
        ),
        (
            "-S",
            "IMAGE",
            [
                "StudyInstanceUID=1.2.826.0.1.3680043.9.3.1",
                "SeriesInstanceUID=1.2.826.0.1.3680043.9.3.1.1",
                "SOPInstanceUID",
            ],
            40,
        ),
        ("-O", "STUDY", ["PatientID=PID2", "StudyInstanceUID"], 2),
    ],
)
def test_levels_and_models(
    qrscp: QRSCP, tmp_path: Path, model: str, level: str, keys: list[str], expected: int
) -> None:
    args = [model, "-q", "-X", "-od", str(tmp_path), "-k", f"QueryRetrieveLevel={level}"]
    for key in keys:
        args += ["-k", key]
    result = findscu(*args, *_peer(qrscp))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # -q
    found = _responses(tmp_path)
    assert len(found) == expected
    assert {r.QueryRetrieveLevel for r in found} == {level}
    if level == "IMAGE":
        assert {str(r.SOPInstanceUID) for r in found} == qrscp.uids(
            "SERIES", "1.2.826.0.1.3680043.9.3.1.1"
        )


@pytest.mark.peer
def test_query_file_with_key_override(qrscp: QRSCP, tmp_path: Path) -> None:
    query = Dataset()
    query[0x00080052] = DataElement(0x00080052, "CS", "STUDY")
    query[0x00100020] = DataElement(0x00100020, "LO", "PID1")
    query[0x0020000D] = DataElement(0x0020000D, "UI", "")
    path = tmp_path / "query.dcm"
    write_file(path, query, WriteOptions(transfer_syntax=IVLE), file_meta=_meta())
    out = tmp_path / "out"
    out.mkdir()
    result = findscu("-S", "-X", "-od", str(out), "-k", "PatientID=PID2", *_peer(qrscp), str(path))
    assert result.exit_code == 0, result.stderr
    assert {r.PatientID for r in _responses(out)} == {"PID2"}


def _meta() -> Dataset:
    meta = Dataset()
    meta[0x00020002] = DataElement(0x00020002, "UI", QueryModel.STUDY_ROOT.find_sop_class)
    meta[0x00020003] = DataElement(0x00020003, "UI", "1.2.826.0.1.3680043.9.99")
    return meta


@pytest.mark.peer
def test_repeat_numbers_responses_across_runs(qrscp: QRSCP, tmp_path: Path) -> None:
    args = ["-S", "-q", "--repeat", "2", "-X", "-od", str(tmp_path)]
    args += ["-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=PID1", "-k", "StudyInstanceUID"]
    result = findscu(*args, *_peer(qrscp))
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in sorted(tmp_path.glob("rsp*.dcm"))] == [
        f"rsp{n:04d}.dcm" for n in range(1, 5)
    ]


@pytest.mark.peer
def test_cancel_after_first_match(qrscp: QRSCP, tmp_path: Path) -> None:
    args = ["-S", "-v", "--cancel", "1", "-X", "-od", str(tmp_path)]
    args += ["-k", "QueryRetrieveLevel=IMAGE", "-k", "StudyInstanceUID=1.2.826.0.1.3680043.9.3.1"]
    args += ["-k", "SeriesInstanceUID=1.2.826.0.1.3680043.9.3.1.1", "-k", "SOPInstanceUID"]
    result = findscu(*args, *_peer(qrscp))
    assert result.exit_code == 0, result.stderr
    # dcmqrscp may have sent every match before it reads the C-CANCEL-RQ (the responses are
    # small): then it ends with Success; otherwise with Cancel and fewer matches.
    written = len(list(tmp_path.glob("rsp*.dcm")))
    if "Received Final Find Response (Cancel, 0xFE00)" in result.stderr:
        assert 1 <= written < 40
    else:
        assert "Received Final Find Response (Success, 0x0000)" in result.stderr
        assert written == 40


@pytest.mark.peer
def test_worklist_not_supported_exits_65(qrscp: QRSCP) -> None:
    # -W is the default model; dcmqrscp has no worklist SOP class and rejects the context.
    result = findscu("-k", "PatientID", *_peer(qrscp))
    assert result.exit_code == 65, result.stderr
    assert "No acceptable presentation context" in result.stderr


@pytest.mark.peer
def test_wrong_called_ae_title_is_rejected(qrscp: QRSCP) -> None:
    result = findscu("-S", "-aec", "NOBODY", "127.0.0.1", str(qrscp.port))
    assert result.exit_code == 61
    assert "Association Rejected" in result.stderr
