"""PDVs -> DIMSE message events, streaming the data set (PS3.7 §6.3.1, PS3.8 Annex E).

A message is its command fragments (PDVs with the command bit set, the last one flagged), then,
if Command Data Set Type says so, its data set fragments (the last one flagged), all on one
presentation context; no fragment of another message may come in between (PS3.8 §9.3.5.1). The
assembler turns that into h11-style events: :class:`CommandReceived` once the command set is
complete, then one :class:`DatasetFragment` per data PDV. Fragment data are the PDVs' own
``memoryview`` slices of the PDU bytes, never copied, so a store SCP can write them straight to
a sink. Only the command set, which is small and bounded, is joined when it spans several PDVs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Final, final

import attrs

from dicomnet.dimse.commands import DIMSEDecodeError, decode_command
from dicomnet.dimse.messages import DimseMessage
from dicomnet.pdu.pdata import PresentationDataValue

__all__ = [
    "DEFAULT_MAX_COMMAND_LENGTH",
    "CommandReceived",
    "DatasetFragment",
    "DimseEvent",
    "MessageAssembler",
]

#: Largest command set accepted (bytes). Real DIMSE-C command sets are a few hundred bytes.
DEFAULT_MAX_COMMAND_LENGTH: Final = 64 * 1024


@final
@attrs.frozen
class CommandReceived:
    """A complete command set arrived on ``context_id``; data set fragments follow if
    ``message.has_dataset``."""

    context_id: int
    message: DimseMessage


@final
@attrs.frozen(unsafe_hash=False)
class DatasetFragment:
    """One fragment of the data set of the current message (a slice of the PDU, no copy);
    ``last`` marks the end of the message."""

    context_id: int
    data: memoryview
    last: bool


DimseEvent = CommandReceived | DatasetFragment


class MessageAssembler:
    """Sans-IO reassembly of DIMSE messages from the PDVs of received P-DATA-TF PDUs.

    Feed every PDV in order with :meth:`receive` (or a batch with :meth:`receive_pdvs`).
    ``context_ids``, when given, are the accepted presentation contexts: a PDV on any other is
    an error (PS3.8 §9.3.5.1). A violation of PS3.8 Annex E / PS3.7 §6.3.1 raises
    :class:`DIMSEDecodeError` (the association should then be aborted); the assembler is
    unusable afterwards.
    """

    __slots__ = (
        "_command_context",
        "_context_ids",
        "_data_context",
        "_failed",
        "_fragments",
        "_length",
        "_max_command_length",
        "_message",
    )

    def __init__(
        self,
        *,
        context_ids: Collection[int] | None = None,
        max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH,
    ) -> None:
        self._context_ids = context_ids
        self._max_command_length = max_command_length
        self._fragments: list[memoryview | bytes] = []
        self._length = 0
        self._command_context: int | None = None  # a command set is being received
        self._data_context: int | None = None  # a data set is being received
        self._message: DimseMessage | None = None  # the last complete command
        self._failed = False

    @property
    def idle(self) -> bool:
        """Whether the last message is complete (a new one may start with a command PDV)."""
        return self._command_context is None and self._data_context is None

    @property
    def current_message(self) -> DimseMessage | None:
        """The command of the message being received (or the last one), if any."""
        return self._message

    def receive_pdvs(self, pdvs: Iterable[PresentationDataValue]) -> list[DimseEvent]:
        """:meth:`receive` each PDV in turn; the events in order."""
        events: list[DimseEvent] = []
        for pdv in pdvs:
            event = self.receive(pdv)
            if event is not None:
                events.append(event)
        return events

    def receive(self, pdv: PresentationDataValue) -> DimseEvent | None:
        """Take one PDV; the event it completes, or ``None`` (a non-last command fragment)."""
        context_id = pdv.context_id
        if context_id == self._data_context and not pdv.is_command and not self._failed:
            # The common case, a data set fragment continuing the current message: every
            # check of _data holds (the context was accepted when the command came).
            data = pdv.data
            view = data if type(data) is memoryview else memoryview(data)
            if pdv.is_last:
                self._data_context = None
                return DatasetFragment(context_id, view, True)
            return DatasetFragment(context_id, view, False)
        if self._failed:
            raise DIMSEDecodeError("the DIMSE message stream already failed")
        try:
            if self._context_ids is not None and pdv.context_id not in self._context_ids:
                raise DIMSEDecodeError(
                    f"PDV on presentation context {pdv.context_id}, which was not accepted"
                )
            if pdv.is_command:
                return self._command(pdv)
            return self._data(pdv)
        except DIMSEDecodeError:
            self._failed = True
            raise

    def _command(self, pdv: PresentationDataValue) -> CommandReceived | None:
        context_id = pdv.context_id
        if self._data_context is not None:
            raise DIMSEDecodeError(
                f"command fragment on context {context_id} before the last data set fragment "
                f"of the {self._name()} on context {self._data_context}"
            )
        if self._command_context is None:
            self._command_context = context_id
        elif context_id != self._command_context:
            raise DIMSEDecodeError(
                f"command fragment on context {context_id} in the middle of a command set "
                f"on context {self._command_context}"
            )
        data = pdv.data
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        self._length += size
        if self._length > self._max_command_length:
            raise DIMSEDecodeError(
                f"command set exceeds {self._max_command_length} bytes without its last fragment"
            )
        if not pdv.is_last:
            self._fragments.append(data)
            return None
        if self._fragments:
            self._fragments.append(data)
            data = b"".join(self._fragments)
            self._fragments = []
        self._length = 0
        self._command_context = None
        message = decode_command(data)
        self._message = message
        if message.has_dataset:
            self._data_context = context_id
        return CommandReceived(context_id, message)

    def _data(self, pdv: PresentationDataValue) -> DatasetFragment:
        context_id = pdv.context_id
        if self._command_context is not None:
            raise DIMSEDecodeError(
                f"data set fragment on context {context_id} before the last command fragment"
            )
        if self._data_context is None:
            if self._message is not None and not self._message.has_dataset:
                raise DIMSEDecodeError(
                    f"data set fragment on context {context_id} after a {self._name()} whose "
                    "CommandDataSetType says no data set follows"
                )
            raise DIMSEDecodeError(
                f"data set fragment on context {context_id} with no command before it"
            )
        if context_id != self._data_context:
            raise DIMSEDecodeError(
                f"data set fragment on context {context_id} in the middle of the {self._name()} "
                f"data set on context {self._data_context}"
            )
        data = pdv.data
        view = data if isinstance(data, memoryview) else memoryview(data)
        if pdv.is_last:
            self._data_context = None
            return DatasetFragment(context_id, view, True)
        return DatasetFragment(context_id, view, False)

    def _name(self) -> str:
        return self._message.message_name if self._message is not None else "message"
