"""Helpers for the storage sink tests: small encoded data sets and fragment feeding."""

from __future__ import annotations

from dicomnet.dataset import DataElement, Dataset, WriteOptions, write_dataset
from dicomnet.services.store import StoreRequest, StoreResult, StoreWriter

CT = "1.2.840.10008.5.1.4.1.1.2"
SC = "1.2.840.10008.5.1.4.1.1.7"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"


def dataset(sop_class: str = CT, sop_instance: str = "1.2.3.4", **extra: str) -> Dataset:
    """A small data set with the given UIDs and a few text elements."""
    ds = Dataset()
    ds[0x00080016] = DataElement(0x00080016, "UI", sop_class)
    ds[0x00080018] = DataElement(0x00080018, "UI", sop_instance)
    ds[0x00080060] = DataElement(0x00080060, "CS", extra.get("modality", "CT"))
    ds[0x00100010] = DataElement(0x00100010, "PN", extra.get("name", "Doe^Jane"))
    ds[0x00100020] = DataElement(0x00100020, "LO", extra.get("patient_id", "PID-1"))
    return ds


def encoded(ds: Dataset, ts: str = EXPLICIT_LE) -> bytes:
    """``ds`` encoded in ``ts`` (deflated for the deflated syntax)."""
    return write_dataset(ds, WriteOptions(transfer_syntax=ts))


def request(
    sop_instance: str = "1.2.3.4", sop_class: str = CT, ts: str = EXPLICIT_LE, **kw: object
) -> StoreRequest:
    """A StoreRequest as a C-STORE SCP would build it."""
    return StoreRequest(
        sop_class_uid=sop_class,
        sop_instance_uid=sop_instance,
        transfer_syntax_uid=ts,
        calling_ae_title=str(kw.get("calling", "STORESCU")),
        called_ae_title="MOVESCU",
        message_id=7,
    )


def feed(writer: StoreWriter, data: bytes, size: int = 7) -> StoreResult:
    """Write ``data`` in fragments of ``size`` bytes, then commit."""
    view = memoryview(data)
    for start in range(0, len(view), size):
        writer.write(view[start : start + size])
    return writer.commit()
