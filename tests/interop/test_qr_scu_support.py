"""Shared pieces of the Q/R SCU interop tests: a dicomnet Storage SCP in a thread, study data."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset as PyDataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from dicomnet.dataset import Dataset, read_dataset, read_file
from dicomnet.services.storage_scp import StorageSCP, storage_acceptor_config
from dicomnet.services.store import MemorySink
from tests.peers import dcmtk_env, free_port, require_program

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
ROOT = "1.2.826.0.1.3680043.9"
#: 2 patients, 2 studies each, 2 series each, 2 images each; patient 3 has one 40-image series.
SMALL = [(p, st, se, im) for p in (1, 2) for st in (1, 2) for se in (1, 2) for im in (1, 2)]
BIG = [(3, 1, 1, im) for im in range(1, 41)]


def instance(p: int, st: int, se: int, im: int, sop_class: str = CT) -> PyDataset:
    """A small image of patient ``p``, study ``st``, series ``se``, number ``im``."""
    ds = PyDataset()
    ds.PatientID = f"PID{p}"
    ds.PatientName = f"Doe^P{p}"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyInstanceUID = f"{ROOT}.{p}.{st}"
    ds.StudyID = f"S{st}"
    ds.StudyDate = "20240102"
    ds.StudyTime = "101010"
    ds.AccessionNumber = f"A{p}{st}"
    ds.SeriesInstanceUID = f"{ROOT}.{p}.{st}.{se}"
    ds.SeriesNumber = se
    ds.Modality = "CT" if sop_class == CT else "MR"
    ds.SOPInstanceUID = f"{ROOT}.{p}.{st}.{se}.{im}"
    ds.SOPClassUID = sop_class
    ds.InstanceNumber = im
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 2
    ds.Columns = 2
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = bytes([p, st, se, im, 1, 2, 3, 4])
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def write(ds: PyDataset, path: Path) -> Path:
    """``ds`` as a Part 10 file."""
    ds.save_as(path, enforce_file_format=True)
    return path


def elements(ds: Dataset) -> dict[int, Any]:
    """Tag -> decoded value, group 0002 left out (what "intact element by element" compares)."""
    return {int(tag): ds[tag].value for tag in ds if tag >> 16 != 0x0002}


def assert_intact(received: tuple[Any, bytes], original: Path) -> None:
    """The received data set equals the original file's, element by element."""
    request, data = received
    got = read_dataset(data, request.transfer_syntax_uid)
    want = read_file(original).dataset
    assert elements(got) == elements(want)


class Destination:
    """A dicomnet Storage SCP (AE ``DEST``) in a thread with its own event loop."""

    def __init__(self, sop_classes: list[str]) -> None:
        self.sink = MemorySink()
        self._ready = threading.Event()
        self._sop_classes = sop_classes
        self.port = 0
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the destination Storage SCP did not start")

    async def _main(self) -> None:
        config = storage_acceptor_config("DEST", sop_classes=self._sop_classes)
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with await asyncio.wait_for(_serve(config, self.sink), timeout=10) as server:
            self.port = server.port
            self._ready.set()
            await self._stop.wait()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


async def _serve(config: Any, sink: MemorySink) -> Any:
    from dicomnet.transport import serve

    return await serve(StorageSCP(sink), config, "127.0.0.1", 0)


def destination(sop_classes: list[str]) -> Iterator[Destination]:
    """Fixture body: a running :class:`Destination`, closed afterwards."""
    dest = Destination(sop_classes)
    try:
        yield dest
    finally:
        dest.close()


class QRSCP:
    """A study set indexed for dcmqrscp (AE ``QRSCP``) and its configuration; ``hosts`` are the
    move destinations (AE title -> port on 127.0.0.1)."""

    def __init__(self, root: Path, hosts: dict[str, int]) -> None:
        self.port = free_port()
        self.files: dict[str, Path] = {}
        db = root / "db"
        db.mkdir()
        for key in SMALL + BIG:
            ds = instance(*key)
            self.files[ds.SOPInstanceUID] = write(ds, db / f"{ds.SOPInstanceUID}.dcm")
        cfg = root / "dcmqrscp.cfg"
        cfg.write_text(
            f"NetworkTCPPort = {self.port}\nMaxPDUSize = 16384\nMaxAssociations = 16\n"
            "HostTable BEGIN\n"
            + "".join(
                f"h{n} = ({ae}, 127.0.0.1, {port})\n" for n, (ae, port) in enumerate(hosts.items())
            )
            + "HostTable END\n"
            "VendorTable BEGIN\nVendorTable END\n"
            "AETable BEGIN\n"
            f"QRSCP {db} RW (500, 1024mb) ANY\n"
            "AETable END\n"
        )
        subprocess.run(
            [require_program("dcmqridx"), str(db), *map(str, self.files.values())],
            check=True,
            env=dcmtk_env(),
            capture_output=True,
        )
        self.cfg = cfg

    def uids(self, level: str, value: str) -> set[str]:
        """The SOP Instance UIDs under the entity ``value`` of ``level``."""
        if level == "IMAGE":
            return {value}
        return {u for u in self.files if u.startswith(value + ".")}


assert pydicom.__version__
