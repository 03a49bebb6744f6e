"""A scripted Q/R channel for the SCU tests: events in, messages out, no network."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from dicomnet.acse import AcceptedContext, NegotiatedAssociation
from dicomnet.association import (
    Aborted,
    AssociationEvent,
    Closed,
    DatasetFragment,
    MessageReceived,
)
from dicomnet.dataset import Dataset, WriteOptions, write_dataset
from dicomnet.dimse import DimseMessage

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"

Script = Callable[[DimseMessage, "ScriptedChannel"], Iterable[AssociationEvent]]


class ScriptedChannel:
    """Answers each message sent with the events ``script(message, channel)`` returns.

    ``sent`` lists ``(message, context_id, dataset)``. Once the script's events run out, the
    channel reports ``Aborted`` then ``Closed`` (a peer that went away), never a hang.
    """

    def __init__(
        self, contexts: dict[int, tuple[str, str, bool]], script: Script, *, ts: str = EXPLICIT_LE
    ) -> None:
        self.negotiated = NegotiatedAssociation(
            local_is_requestor=True,
            calling_ae_title="SCU",
            called_ae_title="SCP",
            accepted={
                cid: AcceptedContext(
                    context_id=cid,
                    abstract_syntax=sop,
                    transfer_syntax=syntax,
                    requestor_is_scu=not scp_only,
                    requestor_is_scp=scp_only,
                )
                for cid, (sop, syntax, scp_only) in contexts.items()
            },
        )
        self.script = script
        self.sent: list[tuple[DimseMessage, int, Any]] = []
        self.queue: list[AssociationEvent] = []
        self._mid = 0
        self.ts = ts

    def next_message_id(self) -> int:
        self._mid += 1
        return self._mid

    async def send(self, message: DimseMessage, *, context_id: int, dataset: Any = None) -> None:
        self.sent.append((message, context_id, dataset))
        self.queue.extend(self.script(message, self))

    async def next_event(self, timeout: float | None = None) -> AssociationEvent | None:
        if not self.queue:
            self.queue.extend([Aborted(0, 0, True, "scripted peer ran out"), Closed()])
        return self.queue.pop(0)


def message(cid: int, msg: DimseMessage, data: bytes | None = None, pieces: int = 2) -> list[Any]:
    """``msg`` on ``cid`` followed by ``data`` cut in ``pieces`` fragments."""
    out: list[Any] = [MessageReceived(cid, msg, data is not None)]
    if data is not None:
        step = max(1, -(-len(data) // pieces))
        chunks = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
        for n, chunk in enumerate(chunks):
            out.append(DatasetFragment(cid, memoryview(chunk), n == len(chunks) - 1))
    return out


def encode(ds: Dataset, ts: str = EXPLICIT_LE) -> bytes:
    return write_dataset(ds, WriteOptions(transfer_syntax=ts))
