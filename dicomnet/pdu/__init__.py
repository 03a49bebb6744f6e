"""PS3.8 §9.3 protocol data units: attrs classes, strict and loose codecs, incremental framing.

``encode_pdu``/``decode_pdu`` convert between the seven PDUs and bytes; :class:`PDUFramer` cuts a
byte stream into PDUs with length limits checked from the 6-byte header; ``encode_pdata_parts``
is the zero-copy P-DATA-TF encoder; ``encode_loose``/``to_loose`` build PDUs whose lengths lie;
``precompile_layouts`` compiles the association PDU layouts up front (a server's warm-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet._lazy import lazy_exports

if TYPE_CHECKING:
    from dicomnet.pdu._layout import precompile_layouts
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
    "precompile_layouts",
    "to_loose",
]

#: Where each public name lives; loaded on first access (PEP 562), so importing one submodule
#: does not import its siblings.
_EXPORTS: Final = {
    "precompile_layouts": "dicomnet.pdu._layout",
    "PDUEncodeError": "dicomnet.pdu.exceptions",
    "DEFAULT_MAX_OTHER_LENGTH": "dicomnet.pdu.framing",
    "PDATA_HARD_LIMIT": "dicomnet.pdu.framing",
    "PDUFramer": "dicomnet.pdu.framing",
    "DICOM_APPLICATION_CONTEXT": "dicomnet.pdu.items",
    "AbstractSyntaxSubItem": "dicomnet.pdu.items",
    "ApplicationContextItem": "dicomnet.pdu.items",
    "AsynchronousOperationsWindowSubItem": "dicomnet.pdu.items",
    "ImplementationClassUIDSubItem": "dicomnet.pdu.items",
    "ImplementationVersionNameSubItem": "dicomnet.pdu.items",
    "MaximumLengthSubItem": "dicomnet.pdu.items",
    "PresentationContextACItem": "dicomnet.pdu.items",
    "PresentationContextRQItem": "dicomnet.pdu.items",
    "PresentationContextSubItem": "dicomnet.pdu.items",
    "SCPSCURoleSelectionSubItem": "dicomnet.pdu.items",
    "SOPClassCommonExtendedNegotiationSubItem": "dicomnet.pdu.items",
    "SOPClassExtendedNegotiationSubItem": "dicomnet.pdu.items",
    "TransferSyntaxSubItem": "dicomnet.pdu.items",
    "UnknownItem": "dicomnet.pdu.items",
    "UserIdentityACSubItem": "dicomnet.pdu.items",
    "UserIdentityRQSubItem": "dicomnet.pdu.items",
    "UserInformationItem": "dicomnet.pdu.items",
    "UserInformationSubItem": "dicomnet.pdu.items",
    "decode_item": "dicomnet.pdu.items",
    "encode_item": "dicomnet.pdu.items",
    "LooseItem": "dicomnet.pdu.loose",
    "LoosePDU": "dicomnet.pdu.loose",
    "LoosePDV": "dicomnet.pdu.loose",
    "encode_loose": "dicomnet.pdu.loose",
    "to_loose": "dicomnet.pdu.loose",
    "PDataTF": "dicomnet.pdu.pdata",
    "PresentationDataValue": "dicomnet.pdu.pdata",
    "encode_pdata_parts": "dicomnet.pdu.pdata",
    "PDU": "dicomnet.pdu.pdus",
    "PDU_TYPES": "dicomnet.pdu.pdus",
    "AAbort": "dicomnet.pdu.pdus",
    "AAssociateAC": "dicomnet.pdu.pdus",
    "AAssociateRJ": "dicomnet.pdu.pdus",
    "AAssociateRQ": "dicomnet.pdu.pdus",
    "AReleaseRP": "dicomnet.pdu.pdus",
    "AReleaseRQ": "dicomnet.pdu.pdus",
    "decode_pdu": "dicomnet.pdu.pdus",
    "encode_pdu": "dicomnet.pdu.pdus",
}


if not TYPE_CHECKING:  # type checkers see the imports above, never an Any-typed fallback
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)
