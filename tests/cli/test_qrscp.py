"""``dicomnet qrscp``: options, configuration file, exit codes, signals, and its services."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dicomnet.acse import ProposedContext, RequestorConfig
from dicomnet.archive import Archive
from dicomnet.dataset import read_file
from dicomnet.samples import generate_study
from dicomnet.services.echo import echo
from dicomnet.services.find import find
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.services.store import DirectorySink
from dicomnet.transport import connect
from dicomnet.transport.retrieve import MoveOutcome, retrieve
from dicomnet_cli.dcmtk_args import normalise
from dicomnet_cli.qrscp import (
    EXIT_BAD_FOLDER,
    EXIT_NETWORK_INIT,
    QRSCP_OPTIONS,
    ConfigError,
    app,
    parse_destination,
    qrscp_acceptor_config,
    read_config,
    run_qrscp,
)
from dicomnet_cli.storescp import preference_of
from tests.peers import free_port, wait_for_port

runner = CliRunner()
VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("archive")
    files = generate_study(folder, series_per_study=2, images_per_series=3, rows=32, columns=32)
    return folder, files


def test_parse_destination() -> None:
    assert parse_destination("STORE=127.0.0.1:104") == ("STORE", ("127.0.0.1", 104))
    assert parse_destination(" X =[::1]:11112") == ("X", ("::1", 11112))
    for bad in ("STORE", "=h:1", "A=h", "A=h:0", "A=h:70000", "A=:104", "A" * 17 + "=h:1"):
        with pytest.raises(ConfigError):
            parse_destination(bad)


def test_read_config(tmp_path: Path) -> None:
    path = tmp_path / "qrscp.toml"
    path.write_text(
        'ae_title = "ARCH"\nbind = "::1"\nmax_pdu = 65536\n'
        '[destinations]\nSTORE = "127.0.0.1:104"\nOTHER = "[::1]:11112"\n'
    )
    settings = read_config(path)
    assert settings.ae_title == "ARCH"
    assert settings.bind == "::1"
    assert settings.max_pdu == 65536
    assert settings.database is None
    assert settings.destinations == {"STORE": ("127.0.0.1", 104), "OTHER": ("::1", 11112)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ae_title = 3\n", "ae_title"),
        ("colour = 'red'\n", "unknown setting"),
        ("[destinations]\nX = 104\n", "HOST:PORT"),
        ("[destinations]\nX = 'host'\n", "HOST:PORT"),
        ("max_pdu = 'big'\n", "max_pdu"),
        ("destinations = 'x'\n", "table"),
        ("ae_title = \n", "qrscp.toml"),
    ],
)
def test_bad_config_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "qrscp.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_config(path)
    result = runner.invoke(app, ["--config", str(path), str(tmp_path), "104"])
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_config(tmp_path / "nope.toml")


def test_preference_orders_the_get_storage_contexts() -> None:
    argv = normalise(["+xe", "folder", "104", "+xi"], QRSCP_OPTIONS)
    assert preference_of(argv) == "+xi"
    implicit = qrscp_acceptor_config("A", "+xi")
    ct = next(c for c in implicit.supported_contexts if c.abstract_syntax == CT_IMAGE_STORAGE)
    assert ct.transfer_syntaxes == (IMPLICIT_VR_LITTLE_ENDIAN,)
    assert ct.scp_role is True
    explicit = qrscp_acceptor_config("A", "+xe")
    ct = next(c for c in explicit.supported_contexts if c.abstract_syntax == CT_IMAGE_STORAGE)
    assert ct.transfer_syntaxes[0] == EXPLICIT_VR_LITTLE_ENDIAN
    assert len(ct.transfer_syntaxes) > 3
    find_root = QueryModel.STUDY_ROOT.sop_class("find")
    same = [c for c in explicit.supported_contexts if c.abstract_syntax == find_root]
    assert same
    assert same[0].scp_role is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dest", "NOPORT", "F", "104"], "--dest"),
        (["-pdu", "100", "F", "104"], "max-pdu"),
        (["--bogus", "F", "104"], "--bogus"),
        (["F"], "port"),
        (["-v"], "folder"),
    ],
)
def test_command_line_errors_exit_1(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_missing_folder_exits_45(tmp_path: Path) -> None:
    result = runner.invoke(app, [str(tmp_path / "missing"), "104"])
    assert result.exit_code == EXIT_BAD_FOLDER
    assert "does not exist" in result.output
    assert result.output.count("\n") == 1


def test_port_in_use_exits_60(study: tuple[Path, list[Path]]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, [str(study[0]), str(port)])
    assert result.exit_code == EXIT_NETWORK_INIT, result.output
    assert "cannot listen" in result.output
    assert result.output.count("\n") == 1


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "dicomnet qrscp" in result.output


async def _query_and_echo(port: int, ae: str) -> list[str]:
    model = QueryModel.STUDY_ROOT
    config = RequestorConfig(
        calling_ae_title="ME",
        called_ae_title=ae,
        presentation_contexts=[
            ProposedContext(VERIFICATION, (EXPLICIT_VR_LITTLE_ENDIAN,)),
            ProposedContext(model.sop_class("find"), (EXPLICIT_VR_LITTLE_ENDIAN,)),
        ],
    )
    query = build_identifier(
        {"StudyInstanceUID": "", "NumberOfStudyRelatedInstances": ""}, level="STUDY"
    )
    answers = []
    async with await connect("127.0.0.1", port, config) as assoc:
        assert await echo(assoc) == 0
        async for rsp in find(assoc, query, model=model):
            if rsp.identifier is not None:
                answers.append(rsp.identifier.get_value("NumberOfStudyRelatedInstances"))
            else:
                assert rsp.status == 0
    return answers


def test_run_qrscp_answers_echo_and_find(study: tuple[Path, list[Path]]) -> None:
    archive = Archive(study[0], ae_title="ARCH")

    async def main() -> int:
        stop = asyncio.Event()
        ports: asyncio.Queue[int] = asyncio.Queue()
        server = asyncio.create_task(
            run_qrscp(0, archive, ae_title="ARCH", stop=stop, on_listening=ports.put_nowait)
        )
        port = await asyncio.wait_for(ports.get(), 10)
        assert await _query_and_echo(port, "ARCH") == ["6"]
        stop.set()
        return await asyncio.wait_for(server, 10)

    assert asyncio.run(main()) == 1


def _start(args: list[str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dicomnet_cli.qrscp", *args, str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc


def _stop(proc: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> bytes:
    try:
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly(study: tuple[Path, list[Path]], sig: signal.Signals) -> None:
    port = free_port()
    proc = _start(["-aet", "ARCH", str(study[0])], port)
    out = _stop(proc, sig)
    assert proc.returncode == 0, out
    assert b"Traceback" not in out


def test_move_to_a_destination_of_the_config_file(
    study: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    folder, files = study
    port, dest_port = free_port(), free_port()
    config = tmp_path / "qrscp.toml"
    config.write_text(
        f'ae_title = "FROMFILE"\ndatabase = "{tmp_path / "index.sqlite"}"\n'
        f'[destinations]\nME = "127.0.0.1:{dest_port}"\n'
    )
    # the command line's -aet wins over the file's ae_title; the file's destination is used
    proc = _start(["--config", str(config), "-aet", "ARCH", "-v", str(folder)], port)
    study_uid = read_file(files[0]).dataset.get_value("StudyInstanceUID")
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    async def main() -> list[MoveOutcome]:
        sink = DirectorySink(out_dir)
        try:
            events = [
                event
                async for event in retrieve(
                    "127.0.0.1",
                    port,
                    [build_identifier({"StudyInstanceUID": study_uid}, level="STUDY")],
                    sink=sink,
                    listen_port=dest_port,
                    calling_ae_title="ME",
                    called_ae_title="ARCH",
                    move_destination="ME",
                    model=QueryModel.STUDY_ROOT,
                )
            ]
        finally:
            sink.close()
        return [event for event in events if isinstance(event, MoveOutcome)]

    try:
        outcomes = asyncio.run(main())
    finally:
        out = _stop(proc)
    assert proc.returncode == 0, out
    assert [o.status for o in outcomes] == [0x0000], out
    assert outcomes[0].received == len(files)
    assert (tmp_path / "index.sqlite").stat().st_size > 0
    got = {read_file(p).dataset.get_value("SOPInstanceUID") for p in out_dir.iterdir()}
    assert got == {read_file(p).dataset.get_value("SOPInstanceUID") for p in files}


def test_sighup_picks_up_new_files(tmp_path: Path) -> None:
    generate_study(tmp_path, series_per_study=1, images_per_series=2, rows=8, columns=8)
    port = free_port()
    proc = _start(["-aet", "ARCH", str(tmp_path)], port)
    try:
        assert asyncio.run(_query_and_echo(port, "ARCH")) == ["2"]
        generate_study(tmp_path, series_per_study=1, images_per_series=3, rows=8, columns=8, seed=1)
        assert asyncio.run(_query_and_echo(port, "ARCH")) == ["2"]  # not before the signal
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while (answers := sorted(asyncio.run(_query_and_echo(port, "ARCH")))) != ["2", "3"]:
            assert time.monotonic() < deadline, answers
            time.sleep(0.05)
    finally:
        out = _stop(proc)
    assert proc.returncode == 0, out
