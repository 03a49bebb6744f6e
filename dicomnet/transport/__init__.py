"""Network IO: the only package that touches sockets (asyncio driver, blocking API, TLS).

- :mod:`dicomnet.transport.aio`: :func:`connect`, :func:`serve`, :class:`AsyncAssociation`;
- :mod:`dicomnet.transport.blocking`: the same for synchronous scripts;
- :mod:`dicomnet.transport.tls`: PS3.15 Annex B TLS contexts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet._lazy import lazy_exports

if TYPE_CHECKING:
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

#: Where each public name lives; loaded on first access (PEP 562), so importing one submodule
#: does not import its siblings.
_EXPORTS: Final = {
    "AsyncAssociation": "dicomnet.transport.aio",
    "Handler": "dicomnet.transport.aio",
    "Server": "dicomnet.transport.aio",
    "Timeouts": "dicomnet.transport.aio",
    "connect": "dicomnet.transport.aio",
    "serve": "dicomnet.transport.aio",
    "client_context": "dicomnet.transport.tls",
    "server_context": "dicomnet.transport.tls",
}


if not TYPE_CHECKING:  # type checkers see the imports above, never an Any-typed fallback
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)
