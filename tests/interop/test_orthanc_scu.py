"""Our SCUs against Orthanc (a private process on loopback, ``tests/orthanc.py``).

C-ECHO (and the rejections Orthanc's configuration promises), C-STORE with the blocking
``store()`` and with ``dicomnet storescu``: the instance Orthanc stored, downloaded over REST, is
compared element by element with the original (dicomnet's reader, then pydicom's).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest

from dicomnet.dataset import WriteOptions, read_file, write_file
from dicomnet.errors import AssociationRejected
from dicomnet.services.storage_scu import StorageSCUOptions
from dicomnet.transport import Timeouts, blocking
from tests.orthanc import ORTHANC_AET, Modality, OrthancPeer, add_hierarchy
from tests.services.test_storage_scu_support import (
    CT,
    EVBE,
    EVLE,
    IVLE,
    SC,
    elements,
    make_dataset,
    make_jpeg_file,
)

pytestmark = pytest.mark.peer

OUR_AET = "DICOMNET"
TIMEOUTS = Timeouts(connect=5, acse=5, dimse=10)


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancPeer]:
    """One Orthanc for the module; our AE title is its only known modality."""
    directory = tmp_path_factory.mktemp("orthanc")
    # The port is never used here (nothing is moved to us in this module).
    with OrthancPeer(directory, modalities={"dicomnet": Modality(OUR_AET, 1)}) as peer:
        yield peer


STUDY = "1.2.826.0.1.3680043.9.7000.1"
SERIES = "1.2.826.0.1.3680043.9.7000.1.1"


def make_file(path: Path, sop_instance: str, ts: str = EVLE, sop_class: str = CT) -> Path:
    """A small image in a study and series (Orthanc refuses instances without them)."""
    ds = add_hierarchy(make_dataset(sop_instance, sop_class), STUDY, SERIES)
    write_file(path, ds, WriteOptions(transfer_syntax=ts))
    return path


def make_compressed_file(path: Path, sop_instance: str) -> Path:
    """A JPEG Baseline image in the same study, its own series."""
    make_jpeg_file(path, sop_instance, SC)
    parsed = read_file(path)
    ds = add_hierarchy(parsed.dataset, STUDY, SERIES + ".2")
    write_file(path, ds, WriteOptions(transfer_syntax="1.2.840.10008.1.2.4.50"))
    return path


def _options() -> StorageSCUOptions:
    return StorageSCUOptions(calling_ae_title=OUR_AET, called_ae_title=ORTHANC_AET)


def _assert_stored_intact(orthanc: OrthancPeer, sent: Path, tmp_path: Path) -> None:
    """Orthanc's copy (GET /instances/{id}/file) equals ``sent`` element by element."""
    original = read_file(sent)
    uid = original.dataset.SOPInstanceUID
    stored_path = tmp_path / f"orthanc-{uid}.dcm"
    stored_path.write_bytes(orthanc.instance_file(orthanc.instance_id(uid)))
    stored = read_file(stored_path)
    assert elements(stored.dataset) == elements(original.dataset)
    # pydicom, the independent reader, agrees on identity and pixels
    ours = pydicom.dcmread(sent)
    theirs = pydicom.dcmread(stored_path)
    assert theirs.SOPInstanceUID == ours.SOPInstanceUID
    assert theirs.SOPClassUID == ours.SOPClassUID
    assert theirs.PatientName == ours.PatientName
    assert theirs.ReferencedImageSequence[0].ReferencedSOPInstanceUID == "1.2.3.99"
    assert theirs.PixelData == ours.PixelData


def test_echo(orthanc: OrthancPeer) -> None:
    status = blocking.echo(
        "127.0.0.1",
        orthanc.dicom_port,
        calling_ae_title=OUR_AET,
        called_ae_title=ORTHANC_AET,
        timeouts=TIMEOUTS,
    )
    assert status == 0x0000


def test_unknown_calling_ae_title_is_rejected(orthanc: OrthancPeer) -> None:
    # DicomAlwaysAllow* false: only registered modalities are served (PS3.8 Table 9-21:
    # rejected-permanent, service-user, calling-AE-title-not-recognized).
    with pytest.raises(AssociationRejected) as info:
        blocking.echo(
            "127.0.0.1",
            orthanc.dicom_port,
            calling_ae_title="STRANGER",
            called_ae_title=ORTHANC_AET,
            timeouts=TIMEOUTS,
        )
    assert (info.value.result, info.value.source, info.value.reason) == (1, 1, 3)


def test_wrong_called_ae_title_is_rejected(orthanc: OrthancPeer) -> None:
    with pytest.raises(AssociationRejected) as info:
        blocking.echo(
            "127.0.0.1",
            orthanc.dicom_port,
            calling_ae_title=OUR_AET,
            called_ae_title="NOT-ORTHANC",
            timeouts=TIMEOUTS,
        )
    assert (info.value.result, info.value.source, info.value.reason) == (1, 1, 7)


def _local_non_loopback_address() -> str | None:
    """An IPv4 address of this machine other than loopback (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: only selects the outgoing interface
        except OSError:
            return None
        address = str(s.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_only_loopback_clients_are_served(orthanc: OrthancPeer) -> None:
    # Orthanc 1.10 listens on every interface (no bind-address option): the configuration must
    # keep other hosts out. Reach it through this machine's own non-loopback address.
    address = _local_non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(urllib.error.HTTPError) as http:
        opener.open(f"http://{address}:{orthanc.http_port}/system", timeout=5)
    assert http.value.code in (401, 403)  # RemoteAccessAllowed: false
    with pytest.raises(AssociationRejected) as dicom:
        blocking.echo(
            address,
            orthanc.dicom_port,
            calling_ae_title=OUR_AET,  # a known AE title, but registered for 127.0.0.1 only
            called_ae_title=ORTHANC_AET,
            timeouts=TIMEOUTS,
        )
    assert dicom.value.reason == 3  # calling AE title not recognized (DicomCheckModalityHost)


def test_blocking_store_every_uncompressed_syntax(orthanc: OrthancPeer, tmp_path: Path) -> None:
    files = [
        make_file(tmp_path / f"{n}.dcm", f"1.2.826.0.1.3680043.9.7001.{n}", ts)
        for n, ts in enumerate((EVLE, IVLE, EVBE))
    ]
    outcomes = blocking.store(
        "127.0.0.1",
        orthanc.dicom_port,
        files,
        _options(),
        timeouts=TIMEOUTS,
    )
    assert [o.status for o in outcomes] == [0x0000] * 3, [o.describe() for o in outcomes]
    assert [(o.transfer_syntax, o.converted) for o in outcomes] == [
        (EVLE, False),
        (IVLE, False),
        (EVBE, False),
    ]
    for path in files:
        _assert_stored_intact(orthanc, path, tmp_path)
    # Orthanc's own index agrees: the three instances in their series, each under its patient
    found = orthanc.find("Instance", {"SeriesInstanceUID": SERIES, "PatientID": "PID-01.*"})
    uids = {f["MainDicomTags"]["SOPInstanceUID"] for f in found}
    assert uids == {f"1.2.826.0.1.3680043.9.7001.{n}" for n in range(3)}


def test_blocking_store_compressed_as_is(orthanc: OrthancPeer, tmp_path: Path) -> None:
    path = make_compressed_file(tmp_path / "jpeg.dcm", "1.2.826.0.1.3680043.9.7002.1")
    outcomes = blocking.store(
        "127.0.0.1", orthanc.dicom_port, [path], _options(), timeouts=TIMEOUTS
    )
    assert [o.status for o in outcomes] == [0x0000]
    assert outcomes[0].transfer_syntax == "1.2.840.10008.1.2.4.50"
    _assert_stored_intact(orthanc, path, tmp_path)
    stored = orthanc.get(
        f"/instances/{orthanc.instance_id('1.2.826.0.1.3680043.9.7002.1')}/metadata?expand"
    )
    assert stored["TransferSyntax"] == "1.2.840.10008.1.2.4.50"


def test_storescu_command(orthanc: OrthancPeer, tmp_path: Path) -> None:
    path = make_file(tmp_path / "cli.dcm", "1.2.826.0.1.3680043.9.7003.1", EVLE, CT)
    before = set(orthanc.instances())
    cmd = [
        sys.executable,
        "-m",
        "dicomnet_cli",
        "storescu",
        "-aet",
        OUR_AET,
        "-aec",
        ORTHANC_AET,
        "127.0.0.1",
        str(orthanc.dicom_port),
        str(path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    added = set(orthanc.instances()) - before
    assert len(added) == 1
    assert orthanc.instance_tags(added.pop())["SOPInstanceUID"] == "1.2.826.0.1.3680043.9.7003.1"
    _assert_stored_intact(orthanc, path, tmp_path)


def test_rest_upload_then_lookup(orthanc: OrthancPeer, tmp_path: Path) -> None:
    # The REST side used by the Q/R tests: upload a file, find it again by UID and by keyword.
    path = make_file(tmp_path / "up.dcm", "1.2.826.0.1.3680043.9.7004.1", IVLE)
    instance = orthanc.upload(path)
    assert orthanc.instance_id("1.2.826.0.1.3680043.9.7004.1") == instance
    assert orthanc.upload(path.read_bytes()) == instance  # AlreadyStored: same id
    ids = orthanc.find("Instance", {"SOPInstanceUID": "1.2.826.0.1.3680043.9.7004.1"}, expand=False)
    assert ids == [instance]
    _assert_stored_intact(orthanc, path, tmp_path)
