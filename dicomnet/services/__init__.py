"""DICOM services (PS3.4) over an association: verification, storage, query/retrieve.

Service logic here is IO-free: it drives an association handle given by the transport. The
operations keep their module names: :func:`dicomnet.services.echo.echo`,
:func:`dicomnet.services.find.find`, :func:`dicomnet.services.move.move`,
:func:`dicomnet.services.get.get`.
"""

from __future__ import annotations

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
    DirectorySink,
    MemorySink,
    OutputDirectoryError,
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
