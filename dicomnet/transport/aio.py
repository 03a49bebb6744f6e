"""The asyncio driver of the sans-IO :class:`~dicomnet.association.Association` (DESIGN.md §3.9).

One :class:`asyncio.Protocol` per TCP (or TLS) connection feeds ``receive_data(data,
now=loop.time())``, drains the association's events into a bounded queue, writes
``data_to_send()`` with ``transport.writelines`` and re-arms ``loop.call_at(timer_deadline)``
(aioquic's ``transmit()`` pattern). Back-pressure works both ways: reading pauses while the
application has not consumed the queued events, and the association is not asked for more bytes
while the transport's write buffer is above its high-water mark. No threads, no polling.

:func:`connect` opens an association as requestor, :func:`serve` accepts them (any number at
once, in one event loop), each handled by an ``async def handler(assoc)``. Timeouts (PS3.8 does
not fix values; DCMTK's ``-to``/``-ta``/``-td``) raise the builtin :class:`TimeoutError` after
aborting the association.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
import ssl as _ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final, Self

import attrs

from dicomnet.acse import Accept, AcceptorConfig, NegotiatedAssociation, RequestorConfig
from dicomnet.association import (
    Aborted,
    Association,
    AssociationEvent,
    AssociationRequested,
    AssociationState,
    Closed,
    DatasetFragment,
    DimseTimeout,
    Established,
    MessageReceived,
    Rejected,
    Released,
)
from dicomnet.dimse import DimseMessage
from dicomnet.errors import AssociationAborted, AssociationRejected, LocalProtocolError
from dicomnet.ul import ULConfig

__all__ = [
    "Admission",
    "AsyncAssociation",
    "EventHook",
    "Handler",
    "Server",
    "Timeouts",
    "connect",
    "serve",
]

log = logging.getLogger("dicomnet.transport")

#: Reading pauses when this many events wait for the application, and resumes at half of it.
EVENT_QUEUE_HIGH: Final = 64


def _seconds(_instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not value > 0:
        raise ValueError(f"timeout {attribute.name} must be None or positive, not {value!r}")


@attrs.frozen(kw_only=True)
class Timeouts:
    """Network, ACSE and DIMSE timeouts in seconds (``None``: wait for ever).

    - ``connect``: TCP connection (and TLS handshake) establishment (DCMTK ``-to``);
    - ``acse``: waiting for the A-ASSOCIATE response and the A-RELEASE response (``-ta``);
    - ``dimse``: waiting for a DIMSE message or the rest of a data set, and for the peer to take
      what we send (``-td``).
    """

    connect: float | None = attrs.field(default=30.0, validator=_seconds)
    acse: float | None = attrs.field(default=30.0, validator=_seconds)
    dimse: float | None = attrs.field(default=None, validator=_seconds)


def _set_nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _Driver(asyncio.Protocol):
    """Moves bytes, time and events between one transport and one :class:`Association`."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        make_association: Callable[[tuple[Any, ...]], Association],
        *,
        requestor: bool,
    ) -> None:
        self.loop = loop
        self._make_association = make_association
        self._requestor = requestor
        self.assoc: Association | None = None
        self.transport: asyncio.Transport | None = None
        self.peer_address: tuple[Any, ...] = ()
        self._events: collections.deque[AssociationEvent] = collections.deque()
        self._event_waiter: asyncio.Future[None] | None = None
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._write_paused = False
        self._read_paused = False
        self._pending_output = False
        self.connection_lost_exc: BaseException | None = None
        self.aborted: Aborted | None = None
        self.closed: asyncio.Future[None] = loop.create_future()
        self.on_connected: Callable[[_Driver], None] | None = None
        self.event_hook: EventHook | None = None
        self._draining = False

    # asyncio.Protocol ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        _set_nodelay(transport)
        peer = transport.get_extra_info("peername")
        self.peer_address = tuple(peer) if isinstance(peer, tuple) else ()
        now = self.loop.time()
        if self.assoc is None:
            self.assoc = self._make_association(self.peer_address)
        if self._requestor:
            self.assoc.transport_connected(now)
        self._after_input()
        if self.on_connected is not None:
            self.on_connected(self)

    def data_received(self, data: bytes) -> None:
        assoc = self.assoc
        if assoc is None or assoc.must_close:
            return
        try:
            assoc.receive_data(data, self.loop.time())
            self._after_input()
        except Exception:  # a bug below must not leave a connection hanging
            log.exception("association failed on received data; closing the connection")
            self.abort_transport()

    def eof_received(self) -> bool | None:
        return None  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.connection_lost_exc = exc
        assoc = self.assoc
        if assoc is not None and not assoc.must_close:
            with contextlib.suppress(LocalProtocolError):  # no transport yet (never connected)
                assoc.receive_data(b"", self.loop.time())
        if assoc is not None:
            self._drain_events()
        self._cancel_timer()
        self.transport = None
        if not self.closed.done():
            self.closed.set_result(None)
        self._wake_events()
        self._wake_drain()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self.transmit()

    # plumbing -----------------------------------------------------------------------------------

    def _after_input(self) -> None:
        self._drain_events()
        self.transmit()

    def _drain_events(self) -> bool:
        """Queue the association's events (or give them to the hook); whether the hook took one
        (then what it queued is to be transmitted)."""
        assoc = self.assoc
        assert assoc is not None
        if self._draining:  # an event hook sent something: the outer call goes on
            return False
        self._draining = True
        added = consumed = False
        events = self._events
        try:
            while (event := assoc.next_event()) is not None:
                if type(event) is Aborted:
                    self.aborted = event
                hook = self.event_hook
                if (
                    hook is not None
                    and not events
                    and not self._pending_output
                    and not self._write_paused
                    and hook(event)
                ):
                    consumed = True
                    continue
                events.append(event)
                added = True
        finally:
            self._draining = False
        if added:
            self._wake_events()
        if (
            not self._read_paused
            and self.transport is not None
            and len(self._events) >= EVENT_QUEUE_HIGH
        ):
            self._read_paused = True
            self.transport.pause_reading()
        return consumed

    def transmit(self) -> None:
        """Write what the association has to send (unless paused), close if it must, re-arm."""
        assoc, transport = self.assoc, self.transport
        if assoc is None:
            return
        if transport is not None and not transport.is_closing():
            while not self._write_paused and assoc.has_output:
                chunks = assoc.data_to_send(now=self.loop.time())
                if not chunks:
                    break
                transport.writelines(chunks)  # one write (one send() while the buffer is empty)
                if not assoc.has_data_to_send:
                    break  # one call drained it all: skip a call that would find nothing
            self._pending_output = assoc.has_data_to_send
            if assoc.must_close:
                transport.close()
        if not self._pending_output:
            self._wake_drain()
        if self._drain_events():
            self.transmit()  # what the event hook queued
            return
        self._rearm()

    def _rearm(self) -> None:
        assoc = self.assoc
        deadline = None if assoc is None or self.transport is None else assoc.timer_deadline
        if deadline == self._timer_at:
            return
        self._cancel_timer()
        if deadline is not None:
            self._timer_at = deadline
            self._timer = self.loop.call_at(deadline, self._on_timer)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = None

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        assoc = self.assoc
        if assoc is None or self.transport is None:
            return
        assoc.handle_timer(self.loop.time())
        self._after_input()

    def _wake_events(self) -> None:
        waiter = self._event_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_drain(self) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # used by AsyncAssociation -------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        return self.closed.done()

    async def next_event(self) -> AssociationEvent | None:
        """The next event, waiting for one; ``None`` once the connection is gone and drained."""
        while not self._events:
            if self.closed.done():
                return None
            if self._event_waiter is not None:
                raise RuntimeError("another task is already waiting for this association's events")
            self._event_waiter = self.loop.create_future()
            try:
                await self._event_waiter
            finally:
                self._event_waiter = None
        return self._pop_event()

    def next_event_nowait(self) -> AssociationEvent | None:
        """An event already queued, or ``None``: never waits."""
        return self._pop_event() if self._events else None

    def _pop_event(self) -> AssociationEvent:
        event = self._events.popleft()
        if self._read_paused and len(self._events) <= EVENT_QUEUE_HIGH // 2:
            self._read_paused = False
            if self.transport is not None:
                self.transport.resume_reading()
        return event

    async def drained(self) -> None:
        """Wait until the association has handed over everything queued to the transport."""
        while self._pending_output and not self.closed.done():
            waiter = self.loop.create_future()
            self._drain_waiters.append(waiter)
            await waiter

    def abort_transport(self) -> None:
        if self.transport is not None:
            self.transport.abort()


#: An event hook: ``True`` when it has dealt with the event (see ``set_event_hook``).
EventHook = Callable[[AssociationEvent], bool]


def _raise_for(event: AssociationEvent) -> None:
    if isinstance(event, Rejected):
        raise AssociationRejected(event.result, event.source, event.reason)
    if isinstance(event, Aborted):
        raise AssociationAborted(event.source, event.reason, event.detail or "association aborted")


class AsyncAssociation:
    """An established association driven by asyncio: send messages, read events, release.

    Use as ``async with`` (from :func:`connect`): leaving the block releases the association, or
    aborts it when the block raised. Every wait is bounded by :class:`Timeouts`; a timeout aborts
    the association (A-ABORT, then close) and raises :class:`TimeoutError`.
    """

    def __init__(self, driver: _Driver, timeouts: Timeouts) -> None:
        self._driver = driver
        self.timeouts = timeouts
        self.negotiated: NegotiatedAssociation | None = None
        self._released = False

    @property
    def association(self) -> Association:
        """The sans-IO association underneath (for state and negotiation details)."""
        assert self._driver.assoc is not None
        return self._driver.assoc

    @property
    def peer_address(self) -> tuple[Any, ...]:
        """The peer's socket address (host, port[, flowinfo, scope_id])."""
        return self._driver.peer_address

    @property
    def is_closed(self) -> bool:
        """Whether the transport connection is gone."""
        return self._driver.is_closed

    def next_message_id(self) -> int:
        """A message ID not used by an outstanding request (PS3.7 §9.1.1.1)."""
        return self.association.next_message_id()

    async def _bounded(self, awaitable: Awaitable[Any], timeout: float | None, what: str) -> Any:
        if timeout is None:
            return await awaitable
        try:
            async with asyncio.timeout(timeout):
                return await awaitable
        except TimeoutError:
            self._abort_now()
            raise TimeoutError(f"{what} timed out after {timeout} s") from None

    def _abort_now(self) -> None:
        assoc = self._driver.assoc
        if assoc is not None and not assoc.must_close and not self._driver.is_closed:
            with contextlib.suppress(LocalProtocolError):
                assoc.abort(self._driver.loop.time())
            self._driver.transmit()
        if self._driver.transport is not None:
            self._driver.transport.close()

    async def next_event(self, timeout: float | None = None) -> AssociationEvent | None:
        """The next event (``None`` after the last), waiting at most ``timeout`` s.

        The DIMSE timeout itself runs in the association (PS3.7 response or data set awaited):
        it arrives as a :class:`DimseTimeout` event followed by :class:`Aborted`.
        """
        event: AssociationEvent | None = await self._bounded(
            self._driver.next_event(), timeout, "waiting for an event"
        )
        return event

    def next_event_nowait(self) -> AssociationEvent | None:
        """An event that has already arrived, or ``None``; never waits (for polling between steps
        of a long operation, e.g. to notice a C-CANCEL-RQ or an abort between sub-operations)."""
        return self._driver.next_event_nowait()

    def set_event_hook(self, hook: EventHook | None) -> None:
        """Let ``hook(event)`` see events as they are produced, before they are queued.

        The hook runs synchronously inside the transport's callbacks, in event order, and only
        while no event is queued for :meth:`events` and nothing waits to be written (so order and
        back-pressure hold); it returns ``True`` when it has dealt with the event (which is then
        not queued) and may answer with :meth:`send_nowait`. Anything else is queued as usual.
        This saves a task switch per event on a hot path (the Storage SCP). ``None`` removes it.
        """
        self._driver.event_hook = hook

    def send_nowait(self, message: DimseMessage, *, context_id: int) -> None:
        """Queue ``message`` (no data set) for sending without waiting for the transport.

        For event hooks (see :meth:`set_event_hook`); the bytes are written when the hook
        returns, or at once when called elsewhere. Raises as :meth:`send` does.
        """
        assoc = self.association
        if assoc.must_close or self._driver.is_closed:
            raise self._over()
        try:
            assoc.send_message(message, context_id=context_id, now=self._driver.loop.time())
        except LocalProtocolError:
            if assoc.state in (AssociationState.CLOSING, AssociationState.CLOSED):
                raise self._over() from None
            raise
        if not self._driver._draining:
            self._driver.transmit()

    async def events(self) -> AsyncIterator[AssociationEvent]:
        """Every event until the association ends (the :class:`Closed` event is the last)."""
        driver = self._driver
        while True:
            # Events already queued (most: one read holds many PDUs) are taken without a wait.
            event = driver.next_event_nowait()
            if event is None:
                event = await driver.next_event()
                if event is None:
                    return
            yield event
            if type(event) is Closed:
                return

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        """Queue ``message`` (and its data set) and wait until the transport has taken it.

        Raises :class:`AssociationAborted` when the association is already over (the peer
        aborted or closed), :class:`LocalProtocolError` for a message the association refuses.
        """
        assoc = self.association
        if assoc.must_close or self._driver.is_closed:
            raise self._over()
        try:
            assoc.send_message(
                message, context_id=context_id, dataset=dataset, now=self._driver.loop.time()
            )
        except LocalProtocolError:
            if assoc.state in (AssociationState.CLOSING, AssociationState.CLOSED):
                raise self._over() from None
            raise
        driver = self._driver
        driver.transmit()
        if driver._pending_output:  # else the transport has taken it all: nothing to wait for
            await self._bounded(driver.drained(), self.timeouts.dimse, "DIMSE send")

    def _over(self) -> AssociationAborted:
        aborted = self._driver.aborted
        if aborted is not None:
            return AssociationAborted(aborted.source, aborted.reason, aborted.detail)
        return AssociationAborted(2, 0, "the association is over")

    async def receive_message(self) -> MessageReceived:
        """The next DIMSE message (a data set's fragments are skipped; use :meth:`events`).

        Raises :class:`AssociationAborted` when the association ends meanwhile.
        """
        while True:
            event = await self.next_event()
            if event is None or isinstance(event, Closed):
                raise AssociationAborted(2, 0, "connection closed while awaiting a DIMSE message")
            if isinstance(event, DimseTimeout):
                raise TimeoutError(f"DIMSE timeout after {self.timeouts.dimse} s: {event.detail}")
            _raise_for(event)
            if isinstance(event, MessageReceived):
                return event
            if isinstance(event, Released):
                raise AssociationAborted(2, 0, "association released while awaiting a message")
            if not isinstance(event, DatasetFragment):
                log.debug("ignoring %r while awaiting a DIMSE message", event)

    async def release(self) -> None:
        """A-RELEASE (PS3.8 §7.2), waiting at most the ACSE timeout for the response."""
        if self._released or self._driver.is_closed:
            return
        self._released = True
        self.association.release(self._driver.loop.time())
        self._driver.transmit()

        async def _wait() -> None:
            while (event := await self._driver.next_event()) is not None:
                if isinstance(event, Aborted):
                    _raise_for(event)
                if isinstance(event, Closed):
                    break
            await self._driver.closed

        await self._bounded(_wait(), self.timeouts.acse, "A-RELEASE")

    async def abort(self) -> None:
        """A-ABORT (PS3.8 §7.3): send it, close the connection, wait until it is closed."""
        self._abort_now()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.timeouts.acse):
                await self._driver.closed
        self._driver.abort_transport()

    async def wait_closed(self) -> None:
        """Wait until the transport connection is closed."""
        await self._driver.closed

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._driver.is_closed:
            return
        if exc_type is None:
            await self.release()
        else:
            await self.abort()


async def _await_establishment(
    handle: AsyncAssociation, admitted: bool | None = None
) -> NegotiatedAssociation:
    """Wait for Established (returning the negotiation) or raise the typed error.

    ``admitted`` is the admission hook's answer for an acceptor that decides itself: ``False``
    answers the A-ASSOCIATE-RQ with an A-ASSOCIATE-RJ (rejected-permanent, service-user,
    no-reason-given: PS3.8 Table 9-21), ``True`` with the policy's decision.
    """

    async def _wait() -> NegotiatedAssociation:
        driver = handle._driver
        while True:
            event = await driver.next_event()
            if event is None or isinstance(event, Closed):
                raise AssociationAborted(2, 0, "connection closed during association negotiation")
            _raise_for(event)
            if isinstance(event, Established):
                return event.negotiated
            if isinstance(event, AssociationRequested):
                assoc, now = handle.association, driver.loop.time()
                if admitted is False:
                    assoc.reject(now, result=1, source=1, reason=1)
                elif isinstance(event.decision, Accept):
                    assoc.accept(now)
                else:
                    rj = event.decision.pdu
                    assoc.reject(now, result=rj.result, source=rj.source, reason=rj.reason)
                driver.transmit()

    negotiated: NegotiatedAssociation = await handle._bounded(
        _wait(), handle.timeouts.acse, "association negotiation"
    )
    handle.negotiated = negotiated
    return negotiated


async def connect(
    host: str,
    port: int,
    config: RequestorConfig,
    *,
    timeouts: Timeouts | None = None,
    ul_config: ULConfig | None = None,
    ssl: _ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    local_addr: tuple[str, int] | None = None,
) -> AsyncAssociation:
    """Open a TCP (or TLS) connection and negotiate an association as requestor.

    Raises :class:`TimeoutError` (connection or ACSE timeout), :class:`OSError` (connection
    refused, unreachable), :class:`AssociationRejected` or :class:`AssociationAborted`.
    """
    timeouts = timeouts or Timeouts()
    loop = asyncio.get_running_loop()
    ul = ul_config or ULConfig(max_pdu_length=config.max_pdu_length)
    assoc = Association.requestor(
        config, ul_config=ul, now=loop.time(), dimse_timeout=timeouts.dimse
    )
    driver = _Driver(loop, lambda _peer: assoc, requestor=True)
    driver.assoc = assoc
    try:
        async with asyncio.timeout(timeouts.connect):
            await loop.create_connection(
                lambda: driver,
                host,
                port,
                ssl=ssl,
                server_hostname=(server_hostname or host) if ssl is not None else None,
                local_addr=local_addr,
            )
    except TimeoutError:
        raise TimeoutError(
            f"TCP connection to {host}:{port} timed out after {timeouts.connect} s"
        ) from None
    handle = AsyncAssociation(driver, timeouts)
    try:
        await _await_establishment(handle)
    except BaseException:
        driver.abort_transport()
        raise
    return handle


Handler = Callable[[AsyncAssociation], Awaitable[None]]
#: Admission hook: ``await admit(peer_address)`` is ``False`` to reject the association.
Admission = Callable[[tuple[Any, ...]], Awaitable[bool]]


class Server:
    """A listening socket that serves every accepted association with ``handler``.

    Each connection gets its own :class:`Association` (acceptor) and task; a failing handler
    aborts only its own association. ``close()`` stops listening, gives open associations
    ``grace`` seconds to finish, then aborts the rest.
    """

    def __init__(
        self,
        handler: Handler,
        config: AcceptorConfig,
        *,
        timeouts: Timeouts,
        ul_config: ULConfig,
        admit: Admission | None = None,
    ) -> None:
        self._handler = handler
        self._admit = admit
        self._config = config
        self._timeouts = timeouts
        self._ul_config = ul_config
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._drivers: set[_Driver] = set()
        self.associations_served = 0
        self._port = 0

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """The listening sockets."""
        assert self._server is not None
        return tuple(self._server.sockets)

    @property
    def port(self) -> int:
        """The port of the first listening socket (useful with port 0)."""
        return self._port

    def _protocol(self) -> _Driver:
        loop = asyncio.get_running_loop()

        def make(peer: tuple[Any, ...]) -> Association:
            address = (str(peer[0]), int(peer[1])) if len(peer) >= 2 else ("", 0)
            return Association.acceptor(
                self._config,
                ul_config=self._ul_config,
                peer_address=address,
                now=loop.time(),
                dimse_timeout=self._timeouts.dimse,
                auto_accept=self._admit is None,
            )

        driver = _Driver(loop, make, requestor=False)
        driver.on_connected = self._connected
        return driver

    def _connected(self, driver: _Driver) -> None:
        self._drivers.add(driver)
        task = asyncio.get_running_loop().create_task(self._run(driver))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, driver: _Driver) -> None:
        handle = AsyncAssociation(driver, self._timeouts)
        try:
            try:
                admitted = await self._admission(handle)
                await _await_establishment(handle, admitted)
            except (AssociationRejected, AssociationAborted, TimeoutError) as exc:
                log.info("association from %s not established: %s", driver.peer_address, exc)
                return
            self.associations_served += 1
            try:
                await self._handler(handle)
            except (AssociationAborted, TimeoutError) as exc:
                log.info("association from %s ended: %s", driver.peer_address, exc)
            except Exception:
                log.exception("handler failed; aborting the association")
            if not driver.is_closed:
                await handle.abort()
        finally:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._timeouts.acse):
                    await driver.closed
            driver.abort_transport()
            self._drivers.discard(driver)

    async def _admission(self, handle: AsyncAssociation) -> bool | None:
        """The admission hook's answer (``None`` without a hook); a failing hook refuses."""
        if self._admit is None:
            return None
        try:
            admitted: bool = await handle._bounded(
                self._admit(handle.peer_address), self._timeouts.acse, "admission"
            )
        except TimeoutError:
            raise
        except Exception:
            log.exception("admission hook failed for %s; rejecting", handle.peer_address)
            return False
        if not admitted:
            log.info("association from %s refused by the admission hook", handle.peer_address)
        return bool(admitted)

    async def _start(self, host: str | None, port: int, ssl: _ssl.SSLContext | None) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol,
            host,
            port,
            ssl=ssl,
            ssl_handshake_timeout=self._timeouts.connect if ssl is not None else None,
        )
        self._port = int(self._server.sockets[0].getsockname()[1])

    async def close(self, grace: float = 5.0) -> None:
        """Stop listening; wait up to ``grace`` s for open associations, then abort them."""
        if self._server is not None:
            self._server.close()
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for driver in list(self._drivers):
                driver.abort_transport()
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._server is not None:
            await self._server.wait_closed()

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        assert self._server is not None
        await self._server.serve_forever()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        await self.close()


async def serve(
    handler: Handler,
    config: AcceptorConfig,
    host: str | None = "127.0.0.1",
    port: int = 0,
    *,
    timeouts: Timeouts | None = None,
    ul_config: ULConfig | None = None,
    ssl: _ssl.SSLContext | None = None,
    admit: Admission | None = None,
) -> Server:
    """Listen on ``host``:``port`` and serve each association with ``handler(assoc)``.

    ``host=None`` listens on every interface (IPv4 and IPv6). The handler runs once the
    association is established; reading its events until :class:`Closed` lets the peer release.
    When the handler returns with the association still open, it is aborted.

    ``admit(peer_address)``, when given, is awaited for each connection before anything else is
    decided (bounded by the ACSE timeout): ``False`` (or an exception) answers the
    A-ASSOCIATE-RQ with an A-ASSOCIATE-RJ, rejected-permanent by the service-user with no
    reason given (PS3.8 §9.3.4, Table 9-21), and the handler never runs (host access control).
    """
    server = Server(
        handler,
        config,
        timeouts=timeouts or Timeouts(),
        ul_config=ul_config or ULConfig(max_pdu_length=config.max_pdu_length),
        admit=admit,
    )
    await server._start(host, port, ssl)
    return server
