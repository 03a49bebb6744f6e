"""Shared helpers for the Storage SCU tests: test files, an in-process storage SCP, comparison.

Holds no tests; the interop and CLI tests import it too.
"""

from __future__ import annotations

import contextlib
import functools
import struct
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from dicomnet.acse import AcceptorConfig, RequestorConfig, SupportedContext
from dicomnet.association import MessageReceived
from dicomnet.dataset import (
    DataElement,
    Dataset,
    WriteOptions,
    encapsulate,
    read_dataset,
    write_file,
)
from dicomnet.dimse import CStoreRQ, CStoreRSP, DatasetFragment
from dicomnet.services.storage_scu import StorageAssociation
from dicomnet.transport import AsyncAssociation, Timeouts, connect, serve

CT = "1.2.840.10008.5.1.4.1.1.2"
SC = "1.2.840.10008.5.1.4.1.1.7"
MR = "1.2.840.10008.5.1.4.1.1.4"
IVLE = "1.2.840.10008.1.2"
EVLE = "1.2.840.10008.1.2.1"
EVBE = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
UNCOMPRESSED = (EVLE, IVLE, EVBE)


def make_dataset(
    sop_instance: str, sop_class: str = CT, *, rows: int = 8, cols: int = 8
) -> Dataset:
    """A small image: text, numbers, a sequence and 16-bit pixel data (byte order matters)."""
    ds = Dataset()
    ds[0x00080016] = DataElement(0x00080016, "UI", sop_class)
    ds[0x00080018] = DataElement(0x00080018, "UI", sop_instance)
    ds[0x00080060] = DataElement(0x00080060, "CS", "CT")
    ds[0x00100010] = DataElement(0x00100010, "PN", "Doe^Jane")
    ds[0x00100020] = DataElement(0x00100020, "LO", "PID-" + sop_instance[-4:])
    item = Dataset()
    item[0x00081150] = DataElement(0x00081150, "UI", SC)
    item[0x00081155] = DataElement(0x00081155, "UI", "1.2.3.99")
    ds[0x00081140] = DataElement(0x00081140, "SQ", [item])
    ds[0x00280002] = DataElement(0x00280002, "US", 1)
    ds[0x00280010] = DataElement(0x00280010, "US", rows)
    ds[0x00280011] = DataElement(0x00280011, "US", cols)
    ds[0x00280100] = DataElement(0x00280100, "US", 16)
    ds[0x00280101] = DataElement(0x00280101, "US", 16)
    ds[0x00280102] = DataElement(0x00280102, "US", 15)
    ds[0x00280103] = DataElement(0x00280103, "US", 0)
    ds[0x00281050] = DataElement(0x00281050, "DS", ["40", "50.5"])
    pixels = struct.pack(f"<{rows * cols}H", *(i * 257 % 65536 for i in range(rows * cols)))
    ds[0x7FE00010] = DataElement(0x7FE00010, "OW", pixels)
    return ds


def make_file(
    path: Path, sop_instance: str, ts: str = EVLE, sop_class: str = CT, **kw: int
) -> Path:
    """Write a Part 10 file holding :func:`make_dataset` in ``ts``."""
    write_file(path, make_dataset(sop_instance, sop_class, **kw), WriteOptions(transfer_syntax=ts))
    return path


def make_jpeg_file(path: Path, sop_instance: str, sop_class: str = SC) -> Path:
    """A Part 10 file in JPEG Baseline with a (tiny, opaque) encapsulated frame."""
    ds = make_dataset(sop_instance, sop_class)
    ds[0x00280100] = DataElement(0x00280100, "US", 8)
    ds[0x00280101] = DataElement(0x00280101, "US", 8)
    ds[0x00280102] = DataElement(0x00280102, "US", 7)
    frame = b"\xff\xd8\xff\xe0" + bytes(range(60)) + b"\xff\xd9"
    ds[0x7FE00010] = DataElement(0x7FE00010, "OB", encapsulate([frame]), undefined_length=True)
    write_file(path, ds, WriteOptions(transfer_syntax=JPEG_BASELINE))
    return path


def elements(ds: Dataset) -> dict[int, Any]:
    """Tag -> decoded value, recursively (sequences as lists of dicts), group 0002 left out."""
    out: dict[int, Any] = {}
    for tag in ds:
        if tag >> 16 == 0x0002:
            continue
        value = ds[tag].value
        if isinstance(value, list) and value and isinstance(value[0], Dataset):
            value = [elements(item) for item in value]
        elif isinstance(value, memoryview | bytearray):
            value = bytes(value)
        out[tag] = value
    return out


@attrs.define
class Received:
    """One data set an :func:`collecting_scp` received."""

    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: str
    data: bytes

    def dataset(self) -> Dataset:
        return read_dataset(self.data, self.transfer_syntax)


def storage_handler(
    received: list[Received], status: Callable[[CStoreRQ], int] = lambda rq: 0x0000
) -> Callable[[AsyncAssociation], Any]:
    """A minimal C-STORE SCP handler collecting every data set in memory."""

    async def handler(assoc: AsyncAssociation) -> None:
        current: tuple[CStoreRQ, int, bytearray] | None = None
        async for event in assoc.events():
            if isinstance(event, MessageReceived) and isinstance(event.message, CStoreRQ):
                current = (event.message, event.context_id, bytearray())
            elif isinstance(event, DatasetFragment) and current is not None:
                current[2].extend(event.data)
                if event.last:
                    rq, cid, data = current
                    current = None
                    assert assoc.negotiated is not None
                    ts = assoc.negotiated.accepted[cid].transfer_syntax
                    received.append(
                        Received(
                            rq.affected_sop_class_uid, rq.affected_sop_instance_uid, ts, bytes(data)
                        )
                    )
                    code = status(rq)
                    await assoc.send(
                        CStoreRSP(
                            message_id_being_responded_to=rq.message_id,
                            affected_sop_class_uid=rq.affected_sop_class_uid,
                            affected_sop_instance_uid=rq.affected_sop_instance_uid,
                            status=code,
                            error_comment="refused by test" if code else None,
                        ),
                        context_id=cid,
                    )

    return handler


@contextlib.asynccontextmanager
async def collecting_scp(
    syntaxes: Sequence[str] = UNCOMPRESSED,
    sop_classes: Sequence[str] = (CT, SC, MR),
    status: Callable[[CStoreRQ], int] = lambda rq: 0x0000,
    *,
    require_called_ae_title: bool = False,
) -> AsyncIterator[tuple[int, list[Received]]]:
    """An in-process storage SCP on 127.0.0.1 accepting ``syntaxes``: (port, received)."""
    received: list[Received] = []
    config = AcceptorConfig(
        ae_titles=["STORE-SCP"],
        require_called_ae_title=require_called_ae_title,
        supported_contexts=[SupportedContext(uid, tuple(syntaxes)) for uid in sop_classes],
    )
    async with await serve(storage_handler(received, status), config, "127.0.0.1", 0) as server:
        yield server.port, received


def connector(port: int) -> Callable[[RequestorConfig], Any]:
    """The Storage SCU's connector for 127.0.0.1:port."""

    async def _connect(config: RequestorConfig) -> StorageAssociation:
        return await connect(
            "127.0.0.1", port, config, timeouts=Timeouts(connect=5, acse=5, dimse=10)
        )

    return functools.partial(_connect)
