"""DICOM services (PS3.4) over an association: verification, storage, query/retrieve.

Service logic here is IO-free: it drives an association handle given by the transport. The
operations keep their module names: :func:`dicomnet.services.echo.echo`,
:func:`dicomnet.services.find.find`, :func:`dicomnet.services.move.move`,
:func:`dicomnet.services.get.get`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet._lazy import lazy_exports

if TYPE_CHECKING:
    from dicomnet.services.directory_sink import DirectorySink, OutputDirectoryError
    from dicomnet.services.echo import (
        echo_response,
        verification_context,
        verification_handler,
        verification_supported_context,
    )
    from dicomnet.services.find import FindResponse
    from dicomnet.services.get import get_contexts
    from dicomnet.services.move import RetrieveResponse
    from dicomnet.services.naming import UnsafeFileNameError, dcmtk_file_name
    from dicomnet.services.qr_scp import (
        QRSCP,
        QRApplication,
        QRRequest,
        RetrieveItem,
        qr_acceptor_config,
    )
    from dicomnet.services.query import (
        IdentifierError,
        QueryModel,
        QueryRetrieveLevel,
        build_identifier,
    )
    from dicomnet.services.storage_scp import StorageSCP, storage_acceptor_config
    from dicomnet.services.storage_scu import StorageSCUOptions, StoreOutcome, astore
    from dicomnet.services.store import (
        CallbackSink,
        MemorySink,
        StorageSink,
        StoreRequest,
        StoreResult,
        StoreWriter,
    )

__all__ = [
    "QRSCP",
    "CallbackSink",
    "DirectorySink",
    "FindResponse",
    "IdentifierError",
    "MemorySink",
    "OutputDirectoryError",
    "QRApplication",
    "QRRequest",
    "QueryModel",
    "QueryRetrieveLevel",
    "RetrieveItem",
    "RetrieveResponse",
    "StorageSCP",
    "StorageSCUOptions",
    "StorageSink",
    "StoreOutcome",
    "StoreRequest",
    "StoreResult",
    "StoreWriter",
    "UnsafeFileNameError",
    "astore",
    "build_identifier",
    "dcmtk_file_name",
    "echo_response",
    "get_contexts",
    "qr_acceptor_config",
    "storage_acceptor_config",
    "verification_context",
    "verification_handler",
    "verification_supported_context",
]

#: Where each public name lives; loaded on first access (PEP 562), so importing one submodule
#: does not import its siblings.
_EXPORTS: Final = {
    "DirectorySink": "dicomnet.services.directory_sink",
    "OutputDirectoryError": "dicomnet.services.directory_sink",
    "echo_response": "dicomnet.services.echo",
    "verification_context": "dicomnet.services.echo",
    "verification_handler": "dicomnet.services.echo",
    "verification_supported_context": "dicomnet.services.echo",
    "FindResponse": "dicomnet.services.find",
    "get_contexts": "dicomnet.services.get",
    "RetrieveResponse": "dicomnet.services.move",
    "UnsafeFileNameError": "dicomnet.services.naming",
    "dcmtk_file_name": "dicomnet.services.naming",
    "QRSCP": "dicomnet.services.qr_scp",
    "QRApplication": "dicomnet.services.qr_scp",
    "QRRequest": "dicomnet.services.qr_scp",
    "RetrieveItem": "dicomnet.services.qr_scp",
    "qr_acceptor_config": "dicomnet.services.qr_scp",
    "IdentifierError": "dicomnet.services.query",
    "QueryModel": "dicomnet.services.query",
    "QueryRetrieveLevel": "dicomnet.services.query",
    "build_identifier": "dicomnet.services.query",
    "StorageSCP": "dicomnet.services.storage_scp",
    "storage_acceptor_config": "dicomnet.services.storage_scp",
    "StorageSCUOptions": "dicomnet.services.storage_scu",
    "StoreOutcome": "dicomnet.services.storage_scu",
    "astore": "dicomnet.services.storage_scu",
    "CallbackSink": "dicomnet.services.store",
    "MemorySink": "dicomnet.services.store",
    "StorageSink": "dicomnet.services.store",
    "StoreRequest": "dicomnet.services.store",
    "StoreResult": "dicomnet.services.store",
    "StoreWriter": "dicomnet.services.store",
}


if not TYPE_CHECKING:  # type checkers see the imports above, never an Any-typed fallback
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)
