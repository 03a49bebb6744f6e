"""``movescu`` progress, logging and host access options in real retrieves from DCMTK's dcmqrscp."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from dicomnet.acse import AcceptorConfig, ProposedContext, RequestorConfig, SupportedContext
from dicomnet.association import DatasetFragment, MessageReceived
from dicomnet.dataset import read_file
from dicomnet.dimse import CMoveRQ, CMoveRSP, CStoreRQ
from dicomnet.errors import AssociationRejected, DicomNetError
from dicomnet.transport import connect, serve
from dicomnet.transport.access import ALLOW_PATH_ENV, DENY_PATH_ENV
from dicomnet.transport.tls import client_context, server_context
from dicomnet.uid import STUDY_ROOT_QR_MOVE
from dicomnet_cli.movescu import PROGRESS_ENV, app
from tests.interop.test_movescu_dcmtk import Setup, _keys, _movescu, setup
from tests.interop.test_qr_scu_support import CT, ROOT, instance, write
from tests.peers import free_port
from tests.transport.helpers import make_certificate

pytestmark = pytest.mark.peer

__all__ = ["setup"]  # the module-scoped dcmqrscp fixture

runner = CliRunner()


def test_live_progress_bar_when_forced(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROGRESS_ENV, "always")
    result = _movescu(setup, tmp_path, *_keys("STUDY", f"{ROOT}.1.1"))
    assert result.exit_code == 0, result.stderr
    n = len(setup.qr.uids("STUDY", f"{ROOT}.1.1"))
    assert len(os.listdir(tmp_path)) == n
    assert "\x1b[" in result.stderr  # a live terminal display
    assert f"{n}/{n}" in result.stderr
    assert "objects/s" in result.stderr
    assert f"{n} objects" in result.stderr


def test_plain_progress_lines_when_not_a_terminal(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROGRESS_ENV, "auto")
    result = _movescu(setup, tmp_path, "-v", *_keys("STUDY", f"{ROOT}.1.1"))
    assert result.exit_code == 0, result.stderr
    assert "\x1b[" not in result.stderr
    assert "I: move 1: Success" in result.stderr
    assert "I: stored " in result.stderr


def test_log_config_file_receives_the_run(setup: Setup, tmp_path: Path) -> None:
    log_file = tmp_path / "run.log"
    cfg = tmp_path / "log.cfg"
    cfg.write_text(
        "[loggers]\nkeys=root\n[handlers]\nkeys=file\n[formatters]\nkeys=plain\n"
        "[logger_root]\nlevel=INFO\nhandlers=file\n"
        f"[handler_file]\nclass=FileHandler\nformatter=plain\nargs=({str(log_file)!r},)\n"
        "[formatter_plain]\nformat=%(levelname)s %(message)s\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    result = _movescu(setup, out, "-lc", str(cfg), *_keys("SERIES", f"{ROOT}.1.1.1"))
    assert result.exit_code == 0, result.stderr
    logging_text = log_file.read_text()
    assert "INFO move 1: Success" in logging_text
    assert "INFO stored " in logging_text
    assert "move 1: Success" not in result.stderr  # went to the file, not the console


def _hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, allow: str, deny: str) -> None:
    (tmp_path / "hosts.allow").write_text(allow)
    (tmp_path / "hosts.deny").write_text(deny)
    monkeypatch.setenv(ALLOW_PATH_ENV, str(tmp_path / "hosts.allow"))
    monkeypatch.setenv(DENY_PATH_ENV, str(tmp_path / "hosts.deny"))


def test_access_control_refuses_a_denied_peer(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hosts(tmp_path, monkeypatch, "", "movescu: 127.0.0.1\n")
    out = tmp_path / "out"
    out.mkdir()
    result = _movescu(setup, out, "+ac", "-dhl", *_keys("SERIES", f"{ROOT}.1.1.1"))
    assert result.exit_code != 0, result.stderr
    assert os.listdir(out) == []
    assert "refused incoming association from 127.0.0.1: host access control" in result.stderr
    # -ac (the default, rightmost wins) ignores the files
    result = _movescu(setup, out, "+ac", "-ac", *_keys("SERIES", f"{ROOT}.1.1.1"))
    assert result.exit_code == 0, result.stderr
    assert len(os.listdir(out)) == len(setup.qr.uids("SERIES", f"{ROOT}.1.1.1"))


def test_access_control_answers_a_refused_peer_with_a_associate_rj(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refused peer learns it was refused: A-ASSOCIATE-RJ rejected-permanent, service-user,
    no-reason-given (PS3.8 9.3.4), not an accept followed by an abort."""
    _hosts(tmp_path, monkeypatch, "", "movescu: 127.0.0.1\n")
    result, _objects, seen = _scripted_run(tmp_path, ["+ac", "-dhl"])
    error = seen.get("store_back")
    assert isinstance(error, AssociationRejected), error
    assert (error.result, error.source, error.reason) == (1, 1, 1)
    assert os.listdir(tmp_path / "out") == []
    assert result.exit_code != 0
    assert "refused incoming association from 127.0.0.1: host access control" in result.stderr


def test_access_control_allow_before_deny(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hosts(tmp_path, monkeypatch, "movescu: 127.0.0.0/255.0.0.0\n", "ALL: ALL\n")
    out = tmp_path / "out"
    out.mkdir()
    result = _movescu(setup, out, "+ac", "-v", *_keys("SERIES", f"{ROOT}.1.1.1"))
    assert result.exit_code == 0, result.stderr
    assert len(os.listdir(out)) == len(setup.qr.uids("SERIES", f"{ROOT}.1.1.1"))
    assert "incoming association from" in result.stderr


def test_host_lookup_names_the_peer_unless_dhl(setup: Setup, tmp_path: Path) -> None:
    keys = _keys("IMAGE", f"{ROOT}.1.1.1.1")
    result = _movescu(setup, tmp_path, "-v", *keys)
    assert result.exit_code == 0, result.stderr
    if socket.getnameinfo(("127.0.0.1", 0), socket.NI_NAMEREQD)[0] != "127.0.0.1":
        assert "incoming association from localhost (127.0.0.1)" in result.stderr
    result = _movescu(setup, tmp_path, "-v", "-dhl", *keys)
    assert result.exit_code == 0, result.stderr
    assert "incoming association from 127.0.0.1\n" in result.stderr


# --- beyond DCMTK 3.6.7: TLS, IPv6, --retrieve-timeout, with a scripted C-MOVE SCP --------------

LE = "1.2.840.10008.1.2.1"


async def _store_back(
    host: str, port: int, objects: list[tuple[str, bytes]], tls: ssl.SSLContext | None
) -> None:
    config = RequestorConfig(
        calling_ae_title="QRSCP",
        called_ae_title="MOVESCU",
        presentation_contexts=(ProposedContext(CT, (LE,)),),
    )
    assoc = await connect(host, port, config, ssl=tls, server_hostname="localhost")
    context_id = next(iter(assoc.negotiated.accepted))  # type: ignore[union-attr]
    for uid, data in objects:
        rq = CStoreRQ(
            message_id=assoc.next_message_id(),
            affected_sop_class_uid=CT,
            affected_sop_instance_uid=uid,
        )
        await assoc.send(rq, context_id=context_id, dataset=data)
        rsp = await assoc.receive_message()
        assert rsp.message.status == 0
    await assoc.release()


def _scripted_run(
    tmp_path: Path,
    args: list[str],
    *,
    host: str = "127.0.0.1",
    server_tls: ssl.SSLContext | None = None,
    client_tls: ssl.SSLContext | None = None,
    hang: bool = False,
) -> tuple[Result, list[tuple[str, bytes]], dict[str, Any]]:
    """Run our movescu against a C-MOVE SCP on ``host`` that stores 3 objects back to ``+P``."""
    objects = []
    for im in range(1, 4):
        path = write(instance(6, 1, 1, im), tmp_path / f"src{im}.dcm")
        part10 = read_file(path)
        uid = str(part10.dataset.get_value("SOPInstanceUID"))
        objects.append((uid, path.read_bytes()[part10.dataset_offset :]))
    listen = free_port()
    seen: dict[str, Any] = {}

    async def handle(assoc: Any) -> None:
        seen["peer"] = assoc.peer_address[0]
        request: CMoveRQ | None = None
        async for event in assoc.events():
            if isinstance(event, MessageReceived) and isinstance(event.message, CMoveRQ):
                request, context_id = event.message, event.context_id
            elif isinstance(event, DatasetFragment) and event.last and request is not None:
                if hang:
                    await asyncio.sleep(60)
                try:
                    await _store_back(host, listen, objects, client_tls)
                except DicomNetError as exc:
                    seen["store_back"] = exc
                failed = 3 if "store_back" in seen else 0
                rsp = CMoveRSP(
                    message_id_being_responded_to=request.message_id,
                    status=0xA702 if failed else 0x0000,
                    affected_sop_class_uid=request.affected_sop_class_uid,
                    number_of_completed_sub_operations=3 - failed,
                    number_of_failed_sub_operations=failed,
                    number_of_warning_sub_operations=0,
                )
                await assoc.send(rsp, context_id=context_id)

    async def main() -> Result:
        config = AcceptorConfig(
            ae_titles=("QRSCP",), supported_contexts=(SupportedContext(STUDY_ROOT_QR_MOVE, (LE,)),)
        )
        async with await serve(handle, config, host, 0, ssl=server_tls) as server:
            peer = f"[{host}]" if ":" in host else host
            argv = ["-S", "-aec", "QRSCP", "+P", str(listen), "-od", str(tmp_path / "out"),
                    "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2",
                    *args, peer, str(server.port)]  # fmt: skip
            return await asyncio.to_thread(runner.invoke, app, argv)

    (tmp_path / "out").mkdir()
    return asyncio.run(main()), objects, seen


def _check_received(tmp_path: Path, objects: list[tuple[str, bytes]]) -> None:
    assert sorted(os.listdir(tmp_path / "out")) == sorted(f"CT.{uid}" for uid, _ in objects)


def test_ipv6_peer_in_brackets(tmp_path: Path) -> None:
    result, objects, seen = _scripted_run(tmp_path, [], host="::1")
    assert result.exit_code == 0, result.stderr
    assert seen["peer"] == "::1"
    _check_received(tmp_path, objects)


def test_tls_both_ways(tmp_path: Path) -> None:
    key, cert = make_certificate(tmp_path)
    result, objects, _ = _scripted_run(
        tmp_path,
        ["+tls", str(key), str(cert), "+cf", str(cert)],
        server_tls=server_context(cert, key),
        client_tls=client_context(cafile=cert),
    )
    assert result.exit_code == 0, result.stderr
    _check_received(tmp_path, objects)


def test_anonymous_tls_with_unverified_peer(tmp_path: Path) -> None:
    key, cert = make_certificate(tmp_path)
    result, objects, _ = _scripted_run(
        tmp_path, ["+tla", "-ic"], server_tls=server_context(cert, key), client_tls=None
    )
    assert result.exit_code == 0, result.stderr  # +tla: incoming associations stay plain TCP
    _check_received(tmp_path, objects)


def test_tls_untrusted_peer_fails(tmp_path: Path) -> None:
    key, cert = make_certificate(tmp_path)
    result, _objects, _ = _scripted_run(
        tmp_path, ["+tla"], server_tls=server_context(cert, key)
    )  # no +cf: the self-signed certificate is not trusted
    assert result.exit_code == 61, result.stderr
    assert "Traceback" not in result.stderr


def test_retrieve_timeout_bounds_the_run(tmp_path: Path) -> None:
    start = time.monotonic()
    result, _objects, _ = _scripted_run(tmp_path, ["--retrieve-timeout", "1.5"], hang=True)
    assert time.monotonic() - start < 15
    assert result.exit_code == 69, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--retrieve-timeout" in lines[0]
    assert "1.5 s" in lines[0]
    assert os.listdir(tmp_path / "out") == []
