"""``AssociationPair``: a requestor and an acceptor ``Association`` wired back to back, no sockets.

After h11's ConnectionPair: bytes one side writes are fed to the other with an explicit clock.
``chunker`` may cut every write into pieces (to show that chunking changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable

from dicomnet.acse import (
    AcceptorConfig,
    AsynchronousOperationsWindow,
    ProposedContext,
    RequestorConfig,
    SupportedContext,
)
from dicomnet.association import Association, AssociationEvent, Closed
from dicomnet.ul import ULConfig

VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"

Chunker = Callable[[bytes], list[bytes]]


def requestor_config(**changes: object) -> RequestorConfig:
    fields: dict[str, object] = {
        "calling_ae_title": "SCU",
        "called_ae_title": "SCP",
        "presentation_contexts": (
            ProposedContext(VERIFICATION, (IMPLICIT_LE,)),
            ProposedContext(CT_IMAGE, (EXPLICIT_LE, IMPLICIT_LE)),
        ),
    }
    fields.update(changes)
    return RequestorConfig(**fields)  # type: ignore[arg-type]


def acceptor_config(**changes: object) -> AcceptorConfig:
    fields: dict[str, object] = {
        "ae_titles": ("SCP",),
        "supported_contexts": (
            SupportedContext(VERIFICATION, (IMPLICIT_LE,)),
            SupportedContext(CT_IMAGE, (EXPLICIT_LE, IMPLICIT_LE)),
        ),
    }
    fields.update(changes)
    return AcceptorConfig(**fields)  # type: ignore[arg-type]


UNLIMITED = AsynchronousOperationsWindow(0, 0)


def asynchronous_configs() -> tuple[RequestorConfig, AcceptorConfig]:
    """Configs negotiating an unlimited asynchronous operations window (PS3.7 D.3.3.3)."""
    return (
        requestor_config(asynchronous_operations_window=UNLIMITED),
        acceptor_config(asynchronous_operations_window=UNLIMITED),
    )


class AssociationPair:
    """Requestor ``a`` and acceptor ``b``; ``events_a``/``events_b`` collect every event."""

    def __init__(
        self,
        rq_config: RequestorConfig | None = None,
        ac_config: AcceptorConfig | None = None,
        *,
        now: float = 0.0,
        chunker: Chunker | None = None,
        requestor_kwargs: dict[str, object] | None = None,
        acceptor_kwargs: dict[str, object] | None = None,
        ul_config: ULConfig | None = None,
    ) -> None:
        self.now = now
        self.chunker = chunker
        self.a = Association.requestor(
            rq_config or requestor_config(),
            ul_config=ul_config,
            now=now,
            **(requestor_kwargs or {}),  # type: ignore[arg-type]
        )
        self.b = Association.acceptor(
            ac_config or acceptor_config(),
            peer_address=("127.0.0.1", 5555),
            ul_config=ul_config,
            now=now,
            **(acceptor_kwargs or {}),  # type: ignore[arg-type]
        )
        self.events_a: list[AssociationEvent] = []
        self.events_b: list[AssociationEvent] = []
        self.wire_a: list[bytes] = []  # every byte a sent, per write
        self.wire_b: list[bytes] = []
        self.a.transport_connected(now)

    def drain_events(self) -> None:
        for assoc, sink in ((self.a, self.events_a), (self.b, self.events_b)):
            while (event := assoc.next_event()) is not None:
                sink.append(event)

    def _feed(self, dst: Association, data: bytes) -> None:
        if dst.must_close:
            return
        pieces = self.chunker(data) if self.chunker else [data]
        for piece in pieces:
            if piece:
                dst.receive_data(piece, self.now)

    def step(self) -> bool:
        """Move one batch of bytes each way; True if any byte moved."""
        moved = False
        for src, dst, wire in ((self.a, self.b, self.wire_a), (self.b, self.a, self.wire_b)):
            data = b"".join(bytes(x) for x in src.data_to_send())
            if data:
                moved = True
                wire.append(data)
                self._feed(dst, data)
        self.drain_events()
        return moved

    def run(self, max_steps: int = 100_000) -> None:
        """Exchange bytes until both sides are quiet; close transports that must close."""
        for _ in range(max_steps):
            moved = self.step()
            closed = False
            for src, dst in ((self.a, self.b), (self.b, self.a)):
                if src.must_close and not getattr(src, "_pair_closed", False):
                    # write what is left, then close: the peer sees the transport close
                    rest = b"".join(bytes(x) for x in src.data_to_send())
                    if rest:
                        self._feed(dst, rest)
                    src._pair_closed = True  # type: ignore[attr-defined]
                    if not dst.must_close:
                        dst.transport_closed(self.now)
                    closed = True
            self.drain_events()
            if (
                not moved
                and not closed
                and not self.a.has_data_to_send
                and not self.b.has_data_to_send
            ):
                return
        raise AssertionError("pair did not settle")

    def types_a(self) -> list[str]:
        return [type(e).__name__ for e in self.events_a]

    def types_b(self) -> list[str]:
        return [type(e).__name__ for e in self.events_b]

    def closed(self) -> bool:
        return any(isinstance(e, Closed) for e in self.events_a) and any(
            isinstance(e, Closed) for e in self.events_b
        )
