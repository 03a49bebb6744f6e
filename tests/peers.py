"""Helpers for tests that need an external peer (DCMTK, pynetdicom) on 127.0.0.1.

A missing peer skips the test with a clear reason, unless ``DICOMNET_REQUIRE_PEERS=1`` is set
(as ``.ci/run`` does), in which case it fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence

import pytest

REQUIRE_PEERS = os.environ.get("DICOMNET_REQUIRE_PEERS") == "1"


def peer_missing(reason: str, hint: str = "install DCMTK: apt-get install -y dcmtk") -> None:
    """Skip (or fail under DICOMNET_REQUIRE_PEERS=1) because a peer is missing."""
    if REQUIRE_PEERS:
        pytest.fail(f"required peer missing: {reason}")
    pytest.skip(f"peer missing: {reason} ({hint})")


def require_program(name: str) -> str:
    """Return the path of an external program, or skip/fail when it is not installed."""
    path = shutil.which(name)
    if path is None:
        peer_missing(f"program {name!r} not found on PATH")
        raise AssertionError("unreachable")  # pragma: no cover
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dcmtk_env() -> dict[str, str]:
    """Environment for DCMTK processes: Nagle off (TCP_NODELAY=1), or loopback is ~20x slower."""
    env = dict(os.environ)
    env["TCP_NODELAY"] = "1"
    return env


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 10.0
) -> None:
    """Wait until something listens on 127.0.0.1:port (or the process exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"peer exited early with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


@contextlib.contextmanager
def running(
    args: Sequence[str],
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a peer process, wait for its port, and stop it by its process id afterwards.

    The peer's output goes to an unlinked temporary file, never to a pipe nobody drains (a full
    pipe blocks a chatty peer such as storescp after a few hundred lines).
    """
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(list(args), env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            if port is not None:
                wait_for_port(port, proc)
            yield proc
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
