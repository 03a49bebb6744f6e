"""Shared pieces of the transport tests: configs, an echo server, raw-socket peers."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from dicomnet.acse import AcceptorConfig, RequestorConfig, build_associate_rq
from dicomnet.pdu import encode_pdu
from dicomnet.services.echo import (
    verification_context,
    verification_handler,
    verification_supported_context,
)
from dicomnet.transport import aio

SCP_AET = "DICOMNET-SCP"


def requestor_config(called: str = SCP_AET, *, max_pdu_length: int = 16384) -> RequestorConfig:
    """A Verification SCU proposal."""
    return RequestorConfig(
        calling_ae_title="ECHOSCU",
        called_ae_title=called,
        presentation_contexts=[verification_context()],
        max_pdu_length=max_pdu_length,
    )


def acceptor_config(**kwargs: object) -> AcceptorConfig:
    """A Verification SCP policy."""
    return AcceptorConfig(
        ae_titles=(SCP_AET,),
        supported_contexts=[verification_supported_context()],
        **kwargs,  # type: ignore[arg-type]
    )


def associate_rq_bytes(called: str = SCP_AET) -> bytes:
    """An encoded A-ASSOCIATE-RQ proposing Verification."""
    return encode_pdu(build_associate_rq(requestor_config(called)))


@contextlib.asynccontextmanager
async def echo_server(
    handler: aio.Handler = verification_handler,
    *,
    host: str = "127.0.0.1",
    timeouts: aio.Timeouts | None = None,
    **config: object,
) -> AsyncIterator[aio.Server]:
    """Our Verification SCP on an ephemeral port."""
    server = await aio.serve(
        handler, acceptor_config(**config), host, 0, timeouts=timeouts or aio.Timeouts()
    )
    async with server:
        yield server


@contextlib.asynccontextmanager
async def raw_peer(
    behaviour: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    host: str = "127.0.0.1",
) -> AsyncIterator[int]:
    """A scripted peer: ``behaviour(reader, writer)`` runs for each accepted connection."""
    server = await asyncio.start_server(behaviour, host, 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


async def read_pdu(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One whole PDU: its type and its body."""
    header = await reader.readexactly(6)
    length = int.from_bytes(header[2:6], "big")
    return header[0], await reader.readexactly(length)


def ipv6_available() -> bool:
    """Whether ::1 can be bound here."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed RSA certificate for localhost / 127.0.0.1 (key, cert), made with openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return key, cert
