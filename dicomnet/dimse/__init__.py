"""PS3.7 DIMSE messages over P-DATA, sans-IO: command sets, statuses, streaming assembly.

- :mod:`~dicomnet.dimse.messages`: one frozen class per DIMSE-C message (PS3.7 §9.3).
- :mod:`~dicomnet.dimse.commands`: command set codec (group 0000, implicit VR LE).
- :mod:`~dicomnet.dimse.status`: status codes, classes and meanings (PS3.7 Annex C, PS3.4).
- :mod:`~dicomnet.dimse.assembler`: PDVs -> ``CommandReceived`` / ``DatasetFragment`` events.
- :mod:`~dicomnet.dimse.fragmenter`: a message and its data set -> P-DATA-TF PDUs.
"""

from __future__ import annotations

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
