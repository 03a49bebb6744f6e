"""Query/Retrieve SCU for synchronous code: iterators over a :class:`BlockingAssociation`.

The same operations as :mod:`dicomnet.services.find` / ``move`` / ``get`` (PS3.4 Annex C), each
response produced while the association's private event loop runs in the calling thread::

    with blocking.connect("pacs", 104, config) as assoc:
        for rsp in qr.find(assoc, identifier, model=QueryModel.STUDY_ROOT):
            print(rsp.status, rsp.identifier)

Each call returns a :class:`BlockingStream`: iterate it once; ``stream.cancel()`` sends
C-CANCEL-RQ from the loop body; ``stream.operation`` has the state and counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Generic, Protocol, TypeVar

from dicomnet.dataset import Dataset
from dicomnet.dimse import Priority
from dicomnet.services import find as _find
from dicomnet.services import get as _get
from dicomnet.services import move as _move
from dicomnet.services.query import QueryModel
from dicomnet.services.store import StorageSink
from dicomnet.transport.blocking import BlockingAssociation

__all__ = ["BlockingStream", "find", "get", "move"]

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class _Stream(Protocol[R_co]):
    @property
    def operation(self) -> Any: ...

    def __aiter__(self) -> AsyncIterator[R_co]: ...

    async def cancel(self) -> None: ...


async def _next(iterator: AsyncIterator[R]) -> tuple[bool, R | None]:
    try:
        return True, await anext(iterator)
    except StopAsyncIteration:
        return False, None


class BlockingStream(Generic[R]):
    """The responses of one operation, produced synchronously (the final one last)."""

    def __init__(self, assoc: BlockingAssociation, stream: _Stream[R]) -> None:
        self._assoc = assoc
        self._stream = stream
        self.operation = stream.operation

    def __iter__(self) -> Iterator[R]:
        iterator = aiter(self._stream)
        try:
            while True:
                more, item = self._assoc.run(_next(iterator))
                if not more:
                    return
                yield item  # type: ignore[misc]
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None and not self._assoc.is_closed:
                self._assoc.run(close())

    def cancel(self) -> None:
        """Send C-CANCEL-RQ (once; nothing when the operation is over)."""
        self._assoc.run(self._stream.cancel())


def find(
    assoc: BlockingAssociation,
    identifier: Dataset,
    *,
    model: QueryModel = QueryModel.STUDY_ROOT,
    priority: Priority = Priority.MEDIUM,
    cancel_after: int | None = None,
) -> BlockingStream[_find.FindResponse]:
    """C-FIND (see :func:`dicomnet.services.find.find`)."""
    stream = _find.find(
        assoc.aio, identifier, model=model, priority=priority, cancel_after=cancel_after
    )
    return BlockingStream(assoc, stream)


def move(
    assoc: BlockingAssociation,
    identifier: Dataset,
    destination: str,
    *,
    model: QueryModel = QueryModel.STUDY_ROOT,
    priority: Priority = Priority.MEDIUM,
    pending_dataset: _move.PendingDataset = "ignore",
    cancel_after: int | None = None,
) -> BlockingStream[_move.RetrieveResponse]:
    """C-MOVE (see :func:`dicomnet.services.move.move`); the destination receives elsewhere."""
    stream = _move.move(
        assoc.aio,
        identifier,
        destination,
        model=model,
        priority=priority,
        pending_dataset=pending_dataset,
        cancel_after=cancel_after,
    )
    return BlockingStream(assoc, stream)


def get(
    assoc: BlockingAssociation,
    identifier: Dataset,
    sink: StorageSink,
    *,
    model: QueryModel = QueryModel.STUDY_ROOT,
    priority: Priority = Priority.MEDIUM,
    cancel_after: int | None = None,
) -> BlockingStream[_move.RetrieveResponse]:
    """C-GET (see :func:`dicomnet.services.get.get`); negotiate with ``get_contexts``."""
    stream = _get.get(
        assoc.aio, identifier, sink, model=model, priority=priority, cancel_after=cancel_after
    )
    return BlockingStream(assoc, stream)
