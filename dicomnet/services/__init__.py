"""DICOM services (PS3.4) over an association: verification, storage, query/retrieve.

Service logic here is IO-free: it drives an association handle given by the transport. The
Verification SCU is :func:`dicomnet.services.echo.echo` (the module keeps its name).
"""

from __future__ import annotations

from dicomnet.services.echo import (
    echo_response,
    verification_context,
    verification_handler,
    verification_supported_context,
)
from dicomnet.services.naming import UnsafeFileNameError, dcmtk_file_name
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
    "CallbackSink",
    "DirectorySink",
    "MemorySink",
    "OutputDirectoryError",
    "StorageSCP",
    "StorageSCUOptions",
    "StorageSink",
    "StoreOutcome",
    "StoreRequest",
    "StoreResult",
    "StoreWriter",
    "UnsafeFileNameError",
    "astore",
    "dcmtk_file_name",
    "echo_response",
    "storage_acceptor_config",
    "verification_context",
    "verification_handler",
    "verification_supported_context",
]
