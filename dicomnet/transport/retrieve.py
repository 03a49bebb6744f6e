"""C-MOVE retrieval with our own Storage SCP on the same event loop (PS3.4 C.4.2, Annex B).

:func:`retrieve` is what ``movescu`` is a thin layer over: it starts a Storage SCP listener on
``listen_port`` (when given; a third-party move needs none), opens the C-MOVE association, sends
one C-MOVE per identifier (``repeat`` times over), and yields :class:`MoveProgress` for each
C-MOVE-RSP and a :class:`MoveOutcome` when each move is over. Incoming associations are served
concurrently, each by :class:`~dicomnet.services.storage_scp.StorageSCP` over the caller's sink.
Before a move's outcome is yielded, the incoming associations still open are given up to the
ACSE timeout to end, so every object the peer reported as stored is on disk.

A move that did not complete (the association aborted or closed, a timeout, a protocol error, a
Pending response whose data-set flag disagrees with ``pending_dataset="ignore"``) is an outcome
with ``error`` set, never an exception; failures to set up (listening, association, presentation
context, release) raise :class:`RetrieveError` with a ``stage``.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import socket
import sys
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from dicomnet._attrs_repr import attrs_repr
from dicomnet.acse import ProposedContext, RequestorConfig
from dicomnet.dataset import Dataset
from dicomnet.dimse import Priority, StatusCategory, category_of
from dicomnet.errors import (
    AssociationAborted,
    AssociationRejected,
    DicomNetError,
    LocalProtocolError,
    RemoteProtocolError,
)
from dicomnet.services.move import PendingDataset, RetrieveResponse, move
from dicomnet.services.query import QueryModel
from dicomnet.services.storage_scp import StorageSCP, storage_acceptor_config
from dicomnet.services.store import StorageSink, StoreRequest, StoreResult, StoreWriter
from dicomnet.transport.aio import AsyncAssociation, Server, Timeouts, connect, serve

if TYPE_CHECKING:
    import ssl as _ssl

    from dicomnet.transport.access import HostAccess  # +ac only: the caller loads it

__all__ = [
    "OUTGOING_SYNTAXES",
    "MoveOutcome",
    "MoveProgress",
    "RetrieveError",
    "Stage",
    "retrieve",
]

log = logging.getLogger("dicomnet.retrieve")

_IMPLICIT = "1.2.840.10008.1.2"
_LITTLE = "1.2.840.10008.1.2.1"
_BIG = "1.2.840.10008.1.2.2"
_DEFLATED = "1.2.840.10008.1.2.1.99"
_LOCAL_FIRST = (_LITTLE, _BIG) if sys.byteorder == "little" else (_BIG, _LITTLE)

#: Transfer syntaxes proposed for the C-MOVE context by DCMTK's ``-x`` options (best first).
OUTGOING_SYNTAXES: dict[str, tuple[str, ...]] = {
    "-x=": (*_LOCAL_FIRST, _IMPLICIT),
    "-xe": (_LITTLE, _BIG, _IMPLICIT),
    "-xb": (_BIG, _LITTLE, _IMPLICIT),
    "-xd": (_DEFLATED, *_LOCAL_FIRST, _IMPLICIT),
    "-xi": (_IMPLICIT,),
}


class Stage(enum.Enum):
    """Where a retrieval failed before any move could run (or at its end)."""

    LISTEN = "listen"
    """The Storage SCP port cannot be opened (in use, no permission)."""
    ASSOCIATION = "association"
    """The C-MOVE association was rejected or could not be established."""
    PRESENTATION_CONTEXT = "presentation-context"
    """The peer accepted no presentation context for the model's MOVE SOP class."""
    RELEASE = "release"
    """A-RELEASE (or A-ABORT) at the end failed."""


class RetrieveError(DicomNetError):
    """A retrieval failed at ``stage`` (see :class:`Stage`); the message says why."""

    def __init__(self, stage: Stage, message: str) -> None:
        super().__init__(message)
        self.stage = stage


@attrs.frozen(repr=False)
class MoveProgress:
    """One C-MOVE-RSP of move ``index`` with the objects and bytes received so far."""

    __repr__ = attrs_repr

    index: int
    response: RetrieveResponse
    received: int
    received_bytes: int


@attrs.frozen(repr=False)
class MoveOutcome:
    """How move ``index`` ended (PS3.4 C.4.2.1.5, C.4.2.1.6).

    ``status`` and the counts are the final response's (``None`` when none came); ``error`` says
    why the move did not complete; ``received``/``received_bytes`` count the objects stored by
    our Storage SCP during this move (``stored_failed`` those answered with a failure).
    """

    __repr__ = attrs_repr

    index: int
    status: int | None
    completed: int | None = None
    failed: int | None = None
    warning: int | None = None
    remaining: int | None = None
    failed_uids: tuple[str, ...] = ()
    error_comment: str | None = None
    error: str | None = None
    cancelled: bool = False
    received: int = 0
    received_bytes: int = 0
    stored_failed: int = 0
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """True when the final response arrived and nothing went wrong on the way."""
        return self.error is None and self.status is not None

    @property
    def category(self) -> StatusCategory | None:
        """The final status' class, ``None`` when the move did not complete."""
        return None if self.status is None else category_of(self.status)


@attrs.define(repr=False)
class _Counts:
    __repr__ = attrs_repr

    objects: int = 0
    bytes: int = 0
    failed: int = 0


class _CountingWriter:
    def __init__(self, writer: StoreWriter, counts: _Counts) -> None:
        self._writer = writer
        self._counts = counts
        self._size = 0

    def write(self, data: memoryview) -> None:
        self._size += len(data)
        self._writer.write(data)

    def commit(self) -> StoreResult:
        result = self._writer.commit()
        if category_of(result.status) is StatusCategory.FAILURE:
            self._counts.failed += 1
        else:
            self._counts.objects += 1
            self._counts.bytes += self._size
        return result

    def abort(self) -> None:
        self._writer.abort()


class _CountingSink:
    """Forwards to ``sink`` and counts what was stored (and keeps ``prepare`` when it has one)."""

    def __init__(self, sink: StorageSink, counts: _Counts) -> None:
        self._sink = sink
        self._counts = counts
        prepare: Callable[[], None] | None = getattr(sink, "prepare", None)
        if prepare is not None:
            self.prepare = prepare

    def open(self, request: StoreRequest) -> StoreWriter:
        return _CountingWriter(self._sink.open(request), self._counts)


async def _host_name(peer: tuple[object, ...], timeout: float | None) -> str | None:
    """The peer's name by reverse lookup (None when it has none or the lookup fails)."""
    if len(peer) < 2:
        return None
    try:
        async with asyncio.timeout(timeout):
            name, _port = await asyncio.get_running_loop().getnameinfo(
                peer[:2] if len(peer) == 2 else peer[:4],  # type: ignore[arg-type]
                socket.NI_NAMEREQD,
            )
    except (OSError, TimeoutError, ValueError):
        return None
    return name


class _Incoming:
    """The handler of incoming associations: counts the open ones so a move can wait for them.

    With ``access``, a peer that :meth:`HostAccess.permits` refuses (daemon name ``daemon``) has
    its association aborted at once. ``host_lookup`` resolves peer names for the log and for
    host-name rules (DCMTK's ``-dhl`` turns it off).
    """

    def __init__(
        self,
        scp: StorageSCP,
        access: HostAccess | None = None,
        *,
        daemon: str = "movescu",
        host_lookup: bool = True,
        lookup_timeout: float | None = 5.0,
    ) -> None:
        self._scp = scp
        self._access = access
        self._daemon = daemon
        self._lookup = host_lookup
        self._lookup_timeout = lookup_timeout
        self.open = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def admit(self, peer: tuple[Any, ...]) -> bool:
        """:func:`serve`'s admission hook under host access control: a refused peer is answered
        A-ASSOCIATE-RJ (PS3.8 9.3.4) before anything else is done with its request."""
        address = str(peer[0]) if peer else ""
        wanted = self._access is not None or log.isEnabledFor(logging.INFO)
        name = await _host_name(peer, self._lookup_timeout) if self._lookup and wanted else None
        who = f"{name} ({address})" if name else address
        if self._access is not None and not self._access.permits(self._daemon, address, name):
            log.warning("refused incoming association from %s: host access control", who)
            return False
        log.info("incoming association from %s", who)
        return True

    async def __call__(self, assoc: AsyncAssociation) -> None:
        if self._access is None:  # no admission hook was installed: only log the peer
            await self.admit(assoc.peer_address)
        self.open += 1
        self._idle.clear()
        try:
            await self._scp(assoc)
        finally:
            self.open -= 1
            if self.open == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float | None) -> bool:
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True


def _describe(exc: BaseException) -> str:
    if isinstance(exc, AssociationAborted):
        return f"the association ended during the move: {exc}"
    if isinstance(exc, TimeoutError):
        return f"timeout during the move: {exc}"
    if isinstance(exc, RemoteProtocolError):
        return f"the peer broke the protocol: {exc}"
    if isinstance(exc, OSError):
        return f"connection failed during the move: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


async def _open(
    host: str,
    port: int,
    config: RequestorConfig,
    timeouts: Timeouts,
    tls: _ssl.SSLContext | None,
) -> AsyncAssociation:
    try:
        return await connect(host, port, config, timeouts=timeouts, ssl=tls)
    except AssociationRejected as exc:
        raise RetrieveError(Stage.ASSOCIATION, f"association rejected: {exc}") from None
    except (AssociationAborted, TimeoutError, RemoteProtocolError) as exc:
        raise RetrieveError(Stage.ASSOCIATION, f"association request failed: {exc}") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RetrieveError(
            Stage.ASSOCIATION, f"association request failed: {host}:{port}: {reason}"
        ) from None


async def retrieve(
    host: str,
    port: int,
    identifiers: Sequence[Dataset],
    *,
    sink: StorageSink | None = None,
    listen_port: int | None = None,
    listen_host: str | None = None,
    calling_ae_title: str = "MOVESCU",
    called_ae_title: str = "ANY-SCP",
    move_destination: str = "MOVESCU",
    model: QueryModel = QueryModel.PATIENT_ROOT,
    preference: str = "+x=",
    outgoing: str | Sequence[str] = "-x=",
    max_pdu_length: int = 16384,
    timeouts: Timeouts | None = None,
    pending_dataset: PendingDataset = "ignore",
    cancel_after: int | None = None,
    repeat: int = 1,
    abort: bool = False,
    priority: Priority = Priority.MEDIUM,
    on_stored: Callable[[StoreRequest, StoreResult], None] | None = None,
    access: HostAccess | None = None,
    host_lookup: bool = True,
    tls: _ssl.SSLContext | None = None,
    server_tls: _ssl.SSLContext | None = None,
) -> AsyncGenerator[MoveProgress | MoveOutcome, None]:
    """Run one C-MOVE per identifier (``repeat`` times) on one association to ``host:port``.

    With ``listen_port`` (0: any free port) and a ``sink``, a Storage SCP accepting Verification
    and every storage SOP class in ``preference``'s transfer syntaxes (a ``+x`` option) receives
    the sub-operations. ``outgoing`` is a ``-x`` option or a list of transfer syntax UIDs for the
    C-MOVE context. The association is released at the end (``abort=True``: aborted).
    ``access`` (hosts.allow/hosts.deny rules, daemon name ``movescu``) aborts incoming
    associations from refused peers; ``host_lookup=False`` never reverse-resolves peer addresses.
    ``tls`` secures the C-MOVE association, ``server_tls`` the incoming ones (PS3.15 B.9). An
    IPv6 ``host`` may be bracketed (``[::1]``). Cancelling the consumer (a total timeout) aborts
    the C-MOVE association and closes the listener.
    """
    timeouts = timeouts or Timeouts(connect=None)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    assoc: AsyncAssociation | None = None
    syntaxes = tuple(OUTGOING_SYNTAXES[outgoing] if isinstance(outgoing, str) else outgoing)
    sop_class = model.sop_class("move")
    counts = _Counts()
    server: Server | None = None
    incoming: _Incoming | None = None
    if listen_port is not None:
        if sink is None:
            raise ValueError("listen_port needs a sink for the objects received")
        scp = StorageSCP(_CountingSink(sink, counts), on_stored=on_stored)
        incoming = _Incoming(
            scp, access, host_lookup=host_lookup, lookup_timeout=timeouts.acse or 5.0
        )
        config = storage_acceptor_config(
            calling_ae_title,
            preference,
            max_pdu_length=max_pdu_length,
        )
        try:
            server = await serve(
                incoming,
                config,
                listen_host,
                listen_port,
                timeouts=timeouts,
                ssl=server_tls,
                admit=incoming.admit if access is not None else None,
            )
        except OSError as exc:
            raise RetrieveError(
                Stage.LISTEN, f"cannot listen on port {listen_port}: {exc.strerror or exc}"
            ) from None
    try:
        requestor = RequestorConfig(
            calling_ae_title=calling_ae_title,
            called_ae_title=called_ae_title,
            presentation_contexts=(ProposedContext(sop_class, syntaxes),),
            max_pdu_length=max_pdu_length,
        )
        assoc = await _open(host, port, requestor, timeouts, tls)
        negotiated = assoc.negotiated
        if negotiated is None or not any(
            c.abstract_syntax == sop_class for c in negotiated.accepted.values()
        ):
            await assoc.abort()
            raise RetrieveError(
                Stage.PRESENTATION_CONTEXT,
                f"no acceptable presentation context for {model.name} MOVE ({sop_class})",
            )
        broken = False
        index = 0
        for _round in range(repeat):
            for identifier in identifiers:
                index += 1
                start = time.monotonic()
                before = _Counts(counts.objects, counts.bytes, counts.failed)
                stream = move(
                    assoc,
                    identifier,
                    move_destination,
                    model=model,
                    priority=priority,
                    pending_dataset=pending_dataset,
                    cancel_after=cancel_after,
                )
                error: str | None = None
                try:
                    async for rsp in stream:
                        yield MoveProgress(
                            index, rsp, counts.objects - before.objects, counts.bytes - before.bytes
                        )
                except (DicomNetError, TimeoutError, OSError) as exc:
                    error = _describe(exc)
                    broken = True
                busy = error is None and incoming is not None and incoming.open > 0
                if busy and incoming is not None and not await incoming.wait_idle(timeouts.acse):
                    log.warning("incoming associations still open after the move")
                op = stream.operation
                final = op.final
                if error is None and op.unexpected_datasets and pending_dataset == "ignore":
                    error = (
                        f"{op.unexpected_datasets} Pending C-MOVE response(s) carried a data set"
                        " (use -pr to read and discard it)"
                    )
                yield MoveOutcome(
                    index=index,
                    status=None if final is None else final.status,
                    completed=None if final is None else final.completed,
                    failed=None if final is None else final.failed,
                    warning=None if final is None else final.warning,
                    remaining=None if final is None else final.remaining,
                    failed_uids=() if final is None else final.failed_uids,
                    error_comment=None if final is None else final.error_comment,
                    error=error,
                    cancelled=op.cancelled,
                    received=counts.objects - before.objects,
                    received_bytes=counts.bytes - before.bytes,
                    stored_failed=counts.failed - before.failed,
                    seconds=time.monotonic() - start,
                )
                if broken:
                    break
            if broken:
                break
        if broken or assoc.is_closed or abort:
            await assoc.abort()
        else:
            try:
                await assoc.release()
            except (AssociationAborted, TimeoutError, LocalProtocolError, OSError) as exc:
                raise RetrieveError(Stage.RELEASE, f"release failed: {exc}") from None
    except BaseException:  # cancelled (a total timeout) or closed early: never leave it open
        if assoc is not None and not assoc.is_closed:
            try:
                await assoc.abort()
            except (DicomNetError, OSError):
                log.debug("abort after cancellation failed", exc_info=True)
        raise
    finally:
        if server is not None:
            await server.close(timeouts.acse or 5.0)
