"""ULConnection against DCMTK over real sockets on 127.0.0.1 (minimal blocking test driver).

``echoscu`` associates with our acceptor, sends a C-ECHO and releases; our requestor does the same
against ``storescp``. Both must complete the association, the C-ECHO and the release.
"""

from __future__ import annotations

import socket
import subprocess
import threading

import pytest

from dicomnet.ul import (
    AAssociateIndication,
    AReleaseIndication,
    PDataIndication,
    TransportClosed,
    ULEvent,
)
from tests.peers import dcmtk_env, free_port, require_program, running
from tests.ul.socket_driver import echo_and_release, serve_one

pytestmark = pytest.mark.peer


def test_echoscu_against_our_acceptor() -> None:
    echoscu = require_program("echoscu")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(20)
        port = listener.getsockname()[1]
        result: list[ULEvent] = []
        errors: list[BaseException] = []

        def serve() -> None:
            try:
                result.extend(serve_one(listener))
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        proc = subprocess.run(
            [echoscu, "-aet", "ECHOSCU", "-aec", "ANY-SCP", "127.0.0.1", str(port)],
            env=dcmtk_env(),
            capture_output=True,
            timeout=30,
        )
        thread.join(20)
    assert not errors, errors
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kinds = [type(e) for e in result]
    assert kinds[0] is AAssociateIndication
    assert PDataIndication in kinds  # the C-ECHO-RQ, answered by the test driver
    assert AReleaseIndication in kinds
    assert kinds[-1] is TransportClosed
    rq = result[0].pdu  # type: ignore[union-attr]
    assert rq.calling_ae_title == "ECHOSCU"
    assert rq.called_ae_title == "ANY-SCP"


def test_our_requestor_against_storescp(tmp_path: object) -> None:
    storescp = require_program("storescp")
    port = free_port()
    with running(
        [storescp, "--aetitle", "STORESCP", str(port)],
        port=port,
        env=dcmtk_env(),
        cwd=str(tmp_path),
    ):
        ac, status, events = echo_and_release(port, "STORESCP")
    assert status == 0x0000
    assert ac.max_length is not None
    assert ac.max_length > 0
    assert events[-1] == TransportClosed()
