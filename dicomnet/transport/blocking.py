"""A synchronous API for scripts, on top of the asyncio driver (DESIGN.md §3.9).

Each :class:`BlockingAssociation` owns a private event loop (an :class:`asyncio.Runner`) that
runs in the calling thread only while a call is in progress: no background thread, no polling.
Calls cannot be made from inside a running event loop (use :mod:`dicomnet.transport.aio`).

    with connect("pacs", 104, config) as assoc:
        status = assoc.echo()
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl as _ssl
from collections.abc import Coroutine, Iterable
from typing import Any, Self, TypeVar

from dicomnet.acse import AcceptorConfig, NegotiatedAssociation, RequestorConfig
from dicomnet.association import AssociationEvent, MessageReceived
from dicomnet.dimse import DimseMessage
from dicomnet.services import echo as _echo
from dicomnet.services.storage_scu import StorageSCUOptions, StoreOutcome, astore
from dicomnet.transport import aio
from dicomnet.ul import ULConfig

__all__ = ["BlockingAssociation", "connect", "echo", "serve_forever", "store"]

T = TypeVar("T")


class BlockingAssociation:
    """An established association used from synchronous code; see :class:`aio.AsyncAssociation`.

    A context manager: leaving the block releases the association (aborts it on an exception)
    and closes the private event loop.
    """

    def __init__(self, runner: asyncio.Runner, assoc: aio.AsyncAssociation) -> None:
        self._runner = runner
        self.aio = assoc

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coro)

    @property
    def negotiated(self) -> NegotiatedAssociation | None:
        """What was agreed (contexts, maximum PDU lengths, roles)."""
        return self.aio.negotiated

    @property
    def is_closed(self) -> bool:
        """Whether the transport connection is gone."""
        return self.aio.is_closed

    def next_message_id(self) -> int:
        """A message ID not used by an outstanding request."""
        return self.aio.next_message_id()

    def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        """Send a DIMSE message (and its data set); returns once the transport took it."""
        self.run(self.aio.send(message, context_id=context_id, dataset=dataset))

    def next_event(self, timeout: float | None = None) -> AssociationEvent | None:
        """The next event, waiting at most ``timeout`` s (default: the DIMSE timeout)."""
        if timeout is None:
            return self.run(self.aio.next_event())
        return self.run(self.aio.next_event(timeout))

    def receive_message(self) -> MessageReceived:
        """The next DIMSE message."""
        return self.run(self.aio.receive_message())

    def echo(self) -> int:
        """C-ECHO (Verification SCU): the response's status."""
        return self.run(_echo.echo(self.aio))

    def release(self) -> None:
        """A-RELEASE, then close."""
        try:
            self.run(self.aio.release())
        finally:
            self.close()

    def abort(self) -> None:
        """A-ABORT, then close."""
        try:
            self.run(self.aio.abort())
        finally:
            self.close()

    def close(self) -> None:
        """Close the private event loop (the association must be over)."""
        self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if not self.aio.is_closed:
                if exc_type is None:
                    self.run(self.aio.release())
                else:
                    self.run(self.aio.abort())
        finally:
            self.close()


def connect(
    host: str,
    port: int,
    config: RequestorConfig,
    *,
    timeouts: aio.Timeouts | None = None,
    ul_config: ULConfig | None = None,
    ssl: _ssl.SSLContext | None = None,
    server_hostname: str | None = None,
) -> BlockingAssociation:
    """Open an association (see :func:`aio.connect` for the errors raised)."""
    runner = asyncio.Runner()
    try:
        assoc = runner.run(
            aio.connect(
                host,
                port,
                config,
                timeouts=timeouts,
                ul_config=ul_config,
                ssl=ssl,
                server_hostname=server_hostname,
            )
        )
    except BaseException:
        runner.close()
        raise
    return BlockingAssociation(runner, assoc)


def echo(
    host: str,
    port: int,
    *,
    calling_ae_title: str = "ECHOSCU",
    called_ae_title: str = "ANY-SCP",
    timeouts: aio.Timeouts | None = None,
    ssl: _ssl.SSLContext | None = None,
) -> int:
    """Associate, send one C-ECHO, release; return the status (0 is Success)."""
    config = RequestorConfig(
        calling_ae_title=calling_ae_title,
        called_ae_title=called_ae_title,
        presentation_contexts=(_echo.verification_context(),),
    )
    with connect(host, port, config, timeouts=timeouts, ssl=ssl) as assoc:
        return assoc.echo()


def store(
    host: str,
    port: int,
    paths: Iterable[str | os.PathLike[str]],
    options: StorageSCUOptions | None = None,
    *,
    timeouts: aio.Timeouts | None = None,
    ssl: _ssl.SSLContext | None = None,
) -> list[StoreOutcome]:
    """Storage SCU for scripts: send the files at ``paths`` to ``host:port``, one outcome each.

    See :func:`dicomnet.services.storage_scu.astore` for the rules (contexts proposed per SOP
    class, streaming from the file, conversion between uncompressed transfer syntaxes). Raises what
    :func:`dicomnet.transport.aio.connect` raises when an association cannot be established.
    """
    connect = functools.partial(aio.connect, host, port, timeouts=timeouts, ssl=ssl)
    return asyncio.run(astore(connect, paths, options))


def serve_forever(
    handler: aio.Handler,
    config: AcceptorConfig,
    host: str | None = "127.0.0.1",
    port: int = 104,
    *,
    timeouts: aio.Timeouts | None = None,
    ssl: _ssl.SSLContext | None = None,
) -> None:
    """Serve associations with ``handler`` until interrupted (Ctrl-C), then stop cleanly."""

    async def _main() -> None:
        server = await aio.serve(handler, config, host, port, timeouts=timeouts, ssl=ssl)
        async with server:
            await server.serve_forever()

    asyncio.run(_main())
