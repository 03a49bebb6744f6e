"""ULConnection against pynetdicom over real sockets on 127.0.0.1 (minimal blocking test driver).

pynetdicom's AE serves Verification in a thread while our requestor associates, echoes and
releases; then pynetdicom's AE, as SCU, associates with our acceptor, echoes and releases.
"""

from __future__ import annotations

import socket
import threading

import pytest

from dicomnet.ul import (
    AAssociateIndication,
    AReleaseIndication,
    PDataIndication,
    TransportClosed,
    ULEvent,
)
from tests.peers import free_port
from tests.ul.socket_driver import VERIFICATION, echo_and_release, serve_one

pynetdicom = pytest.importorskip("pynetdicom")

pytestmark = pytest.mark.peer


def test_our_requestor_against_pynetdicom_scp() -> None:
    ae = pynetdicom.AE(ae_title="PYNETSCP")
    ae.add_supported_context(VERIFICATION)
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False)
    try:
        ac, status, events = echo_and_release(port, "PYNETSCP")
    finally:
        server.shutdown()
    assert status == 0x0000
    assert ac.presentation_contexts[0].result == 0
    assert events[-1] == TransportClosed()


def test_pynetdicom_scu_against_our_acceptor() -> None:
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
        ae = pynetdicom.AE(ae_title="PYNETSCU")
        ae.add_requested_context(VERIFICATION)
        assoc = ae.associate("127.0.0.1", port, ae_title="DICOMNET")
        assert assoc.is_established
        status = assoc.send_c_echo()
        assoc.release()
        assert assoc.is_released
        thread.join(20)
        ae.shutdown()
    assert not errors, errors
    assert status.Status == 0x0000
    kinds = [type(e) for e in result]
    assert kinds[0] is AAssociateIndication
    assert PDataIndication in kinds  # the C-ECHO-RQ, answered by the test driver
    assert AReleaseIndication in kinds
    assert kinds[-1] is TransportClosed
