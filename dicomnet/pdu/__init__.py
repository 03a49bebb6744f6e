"""PS3.8 §9.3 protocol data units: attrs classes, strict and loose codecs, incremental framing.

``encode_pdu``/``decode_pdu`` convert between the seven PDUs and bytes; :class:`PDUFramer` cuts a
byte stream into PDUs with length limits checked from the 6-byte header; ``encode_pdata_parts``
is the zero-copy P-DATA-TF encoder; ``encode_loose``/``to_loose`` build PDUs whose lengths lie.
"""

from __future__ import annotations

from dicomnet.pdu.exceptions import PDUEncodeError
from dicomnet.pdu.framing import DEFAULT_MAX_OTHER_LENGTH, PDATA_HARD_LIMIT, PDUFramer
from dicomnet.pdu.items import (
    DICOM_APPLICATION_CONTEXT,
    AbstractSyntaxSubItem,
    ApplicationContextItem,
    AsynchronousOperationsWindowSubItem,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    PresentationContextACItem,
    PresentationContextRQItem,
    PresentationContextSubItem,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    TransferSyntaxSubItem,
    UnknownItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
    UserInformationItem,
    UserInformationSubItem,
    decode_item,
    encode_item,
)
from dicomnet.pdu.loose import LooseItem, LoosePDU, LoosePDV, encode_loose, to_loose
from dicomnet.pdu.pdata import PDataTF, PresentationDataValue, encode_pdata_parts
from dicomnet.pdu.pdus import (
    PDU,
    PDU_TYPES,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    decode_pdu,
    encode_pdu,
)

__all__ = [
    "DEFAULT_MAX_OTHER_LENGTH",
    "DICOM_APPLICATION_CONTEXT",
    "PDATA_HARD_LIMIT",
    "PDU",
    "PDU_TYPES",
    "AAbort",
    "AAssociateAC",
    "AAssociateRJ",
    "AAssociateRQ",
    "AReleaseRP",
    "AReleaseRQ",
    "AbstractSyntaxSubItem",
    "ApplicationContextItem",
    "AsynchronousOperationsWindowSubItem",
    "ImplementationClassUIDSubItem",
    "ImplementationVersionNameSubItem",
    "LooseItem",
    "LoosePDU",
    "LoosePDV",
    "MaximumLengthSubItem",
    "PDUEncodeError",
    "PDUFramer",
    "PDataTF",
    "PresentationContextACItem",
    "PresentationContextRQItem",
    "PresentationContextSubItem",
    "PresentationDataValue",
    "SCPSCURoleSelectionSubItem",
    "SOPClassCommonExtendedNegotiationSubItem",
    "SOPClassExtendedNegotiationSubItem",
    "TransferSyntaxSubItem",
    "UnknownItem",
    "UserIdentityACSubItem",
    "UserIdentityRQSubItem",
    "UserInformationItem",
    "UserInformationSubItem",
    "decode_item",
    "decode_pdu",
    "encode_item",
    "encode_loose",
    "encode_pdata_parts",
    "encode_pdu",
    "to_loose",
]
