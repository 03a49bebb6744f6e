"""A blocking socket loop around an ``Association``, for the interop tests only (the library's
transports live in ``dicomnet.transport``): write what it produces, feed what the socket gives,
fire its timers, hand each event to a callback."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable

from dicomnet.association import Association, AssociationEvent


def drive(
    assoc: Association,
    sock: socket.socket,
    on_event: Callable[[AssociationEvent], None],
    limit: float = 10.0,
) -> None:
    """Run ``assoc`` on ``sock`` until it must close (or ``limit`` seconds pass)."""
    end = time.monotonic() + limit
    while not assoc.must_close:
        if time.monotonic() > end:
            raise TimeoutError("association did not finish")
        for part in assoc.data_to_send():
            sock.sendall(part)
        while (event := assoc.next_event()) is not None:
            on_event(event)
        if assoc.must_close or assoc.has_data_to_send:
            continue
        deadline = assoc.timer_deadline
        timeout = 0.5 if deadline is None else max(0.0, deadline - time.monotonic())
        if select.select([sock], [], [], timeout)[0]:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            assoc.receive_data(data, time.monotonic())
        else:
            assoc.handle_timer(time.monotonic())
    for part in assoc.data_to_send():
        sock.sendall(part)
    while (event := assoc.next_event()) is not None:
        on_event(event)
