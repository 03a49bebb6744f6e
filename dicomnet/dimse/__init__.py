"""PS3.7 DIMSE messages over P-DATA, sans-IO: command sets, statuses, streaming assembly.

- :mod:`~dicomnet.dimse.messages`: one frozen class per DIMSE-C message (PS3.7 §9.3).
- :mod:`~dicomnet.dimse.commands`: command set codec (group 0000, implicit VR LE).
- :mod:`~dicomnet.dimse.status`: status codes, classes and meanings (PS3.7 Annex C, PS3.4).
- :mod:`~dicomnet.dimse.assembler`: PDVs -> ``CommandReceived`` / ``DatasetFragment`` events.
- :mod:`~dicomnet.dimse.fragmenter`: a message and its data set -> P-DATA-TF PDUs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet._lazy import lazy_exports

if TYPE_CHECKING:
    from dicomnet.dimse.assembler import (
        DEFAULT_MAX_COMMAND_LENGTH,
        CommandReceived,
        DatasetFragment,
        DimseEvent,
        MessageAssembler,
    )
    from dicomnet.dimse.commands import (
        DIMSEDecodeError,
        DIMSEEncodeError,
        decode_command,
        encode_command,
    )
    from dicomnet.dimse.fragmenter import (
        PDV_OVERHEAD,
        UNLIMITED_PDU_BOUND,
        DatasetSource,
        fragment_message,
        max_fragment_size,
    )
    from dicomnet.dimse.messages import (
        NO_DATA_SET,
        CCancelRQ,
        CEchoRQ,
        CEchoRSP,
        CFindRQ,
        CFindRSP,
        CGetRQ,
        CGetRSP,
        CMoveRQ,
        CMoveRSP,
        CStoreRQ,
        CStoreRSP,
        DimseMessage,
        DimseRequest,
        DimseResponse,
        Priority,
    )
    from dicomnet.dimse.status import (
        Service,
        Status,
        StatusCategory,
        category_of,
        status_name,
    )

__all__ = [
    "DEFAULT_MAX_COMMAND_LENGTH",
    "NO_DATA_SET",
    "PDV_OVERHEAD",
    "UNLIMITED_PDU_BOUND",
    "CCancelRQ",
    "CEchoRQ",
    "CEchoRSP",
    "CFindRQ",
    "CFindRSP",
    "CGetRQ",
    "CGetRSP",
    "CMoveRQ",
    "CMoveRSP",
    "CStoreRQ",
    "CStoreRSP",
    "CommandReceived",
    "DIMSEDecodeError",
    "DIMSEEncodeError",
    "DatasetFragment",
    "DatasetSource",
    "DimseEvent",
    "DimseMessage",
    "DimseRequest",
    "DimseResponse",
    "MessageAssembler",
    "Priority",
    "Service",
    "Status",
    "StatusCategory",
    "category_of",
    "decode_command",
    "encode_command",
    "fragment_message",
    "max_fragment_size",
    "status_name",
]

#: Where each public name lives; loaded on first access (PEP 562), so importing one submodule
#: does not import its siblings.
_EXPORTS: Final = {
    "DEFAULT_MAX_COMMAND_LENGTH": "dicomnet.dimse.assembler",
    "CommandReceived": "dicomnet.dimse.assembler",
    "DatasetFragment": "dicomnet.dimse.assembler",
    "DimseEvent": "dicomnet.dimse.assembler",
    "MessageAssembler": "dicomnet.dimse.assembler",
    "DIMSEDecodeError": "dicomnet.dimse.commands",
    "DIMSEEncodeError": "dicomnet.dimse.commands",
    "decode_command": "dicomnet.dimse.commands",
    "encode_command": "dicomnet.dimse.commands",
    "PDV_OVERHEAD": "dicomnet.dimse.fragmenter",
    "UNLIMITED_PDU_BOUND": "dicomnet.dimse.fragmenter",
    "DatasetSource": "dicomnet.dimse.fragmenter",
    "fragment_message": "dicomnet.dimse.fragmenter",
    "max_fragment_size": "dicomnet.dimse.fragmenter",
    "NO_DATA_SET": "dicomnet.dimse.messages",
    "CCancelRQ": "dicomnet.dimse.messages",
    "CEchoRQ": "dicomnet.dimse.messages",
    "CEchoRSP": "dicomnet.dimse.messages",
    "CFindRQ": "dicomnet.dimse.messages",
    "CFindRSP": "dicomnet.dimse.messages",
    "CGetRQ": "dicomnet.dimse.messages",
    "CGetRSP": "dicomnet.dimse.messages",
    "CMoveRQ": "dicomnet.dimse.messages",
    "CMoveRSP": "dicomnet.dimse.messages",
    "CStoreRQ": "dicomnet.dimse.messages",
    "CStoreRSP": "dicomnet.dimse.messages",
    "DimseMessage": "dicomnet.dimse.messages",
    "DimseRequest": "dicomnet.dimse.messages",
    "DimseResponse": "dicomnet.dimse.messages",
    "Priority": "dicomnet.dimse.messages",
    "Service": "dicomnet.dimse.status",
    "Status": "dicomnet.dimse.status",
    "StatusCategory": "dicomnet.dimse.status",
    "category_of": "dicomnet.dimse.status",
    "status_name": "dicomnet.dimse.status",
}


if not TYPE_CHECKING:  # type checkers see the imports above, never an Any-typed fallback
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)
