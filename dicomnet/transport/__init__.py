"""Network IO: the only package that touches sockets (asyncio driver, blocking API, TLS).

- :mod:`dicomnet.transport.aio`: :func:`connect`, :func:`serve`, :class:`AsyncAssociation`;
- :mod:`dicomnet.transport.blocking`: the same for synchronous scripts;
- :mod:`dicomnet.transport.tls`: PS3.15 Annex B TLS contexts.
"""

from __future__ import annotations

from dicomnet.transport.aio import AsyncAssociation, Handler, Server, Timeouts, connect, serve
from dicomnet.transport.tls import client_context, server_context

__all__ = [
    "AsyncAssociation",
    "Handler",
    "Server",
    "Timeouts",
    "client_context",
    "connect",
    "serve",
    "server_context",
]
