"""Our Storage SCU -> pynetdicom's storage SCP (its AE in threads of this process)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest

from dicomnet.services.storage_scu import StorageSCUOptions, astore
from tests.peers import free_port
from tests.services.test_storage_scu_support import (
    CT,
    EVBE,
    EVLE,
    IVLE,
    MR,
    connector,
    make_file,
)

pynetdicom = pytest.importorskip("pynetdicom")

pytestmark = pytest.mark.peer


def _values(ds: Any) -> dict[int, Any]:
    """Tag -> value as pydicom decodes it (sequences recursively), File Meta left out."""
    out: dict[int, Any] = {}
    for elem in ds:
        if elem.tag.group == 0x0002:
            continue
        out[int(elem.tag)] = (
            [_values(item) for item in elem.value] if elem.VR == "SQ" else elem.value
        )
    return out


class _Scp:
    def __init__(self, syntaxes: list[str], refuse: set[str]) -> None:
        self.got: list[Any] = []
        self.refuse = refuse
        ae = pynetdicom.AE(ae_title="PYNETSCP")
        for sop_class in (CT, MR):
            ae.add_supported_context(sop_class, syntaxes)
        self.port = free_port()
        self.server = ae.start_server(
            ("127.0.0.1", self.port),
            block=False,
            evt_handlers=[(pynetdicom.evt.EVT_C_STORE, self.on_store)],
        )

    def on_store(self, event: Any) -> int:
        ds = event.dataset
        ds.file_meta = event.file_meta
        self.got.append(ds)
        return 0xA700 if str(ds.SOPInstanceUID) in self.refuse else 0x0000


@pytest.fixture
def scp_factory() -> Iterator[Any]:
    started: list[_Scp] = []

    def make(syntaxes: list[str], refuse: set[str] | None = None) -> _Scp:
        scp = _Scp(syntaxes, refuse or set())
        started.append(scp)
        return scp

    yield make
    for scp in started:
        scp.server.shutdown()


def test_pynetdicom_receives_intact(tmp_path: Path, scp_factory: Any) -> None:
    files = [
        make_file(tmp_path / f"{n}.dcm", f"1.2.826.0.1.3680043.8.{n}", ts, sop_class)
        for n, (ts, sop_class) in enumerate(((EVLE, CT), (IVLE, MR), (EVBE, CT)))
    ]
    scp = scp_factory([EVLE, IVLE, EVBE])
    outcomes = asyncio.run(
        astore(connector(scp.port), files, StorageSCUOptions(called_ae_title="PYNETSCP"))
    )
    assert [o.status for o in outcomes] == [0, 0, 0]
    assert len(scp.got) == 3
    for path, got in zip(files, scp.got, strict=True):
        sent = pydicom.dcmread(path)
        assert got.file_meta.TransferSyntaxUID == sent.file_meta.TransferSyntaxUID
        assert _values(got) == _values(sent)


def test_pynetdicom_failure_status_reported(tmp_path: Path, scp_factory: Any) -> None:
    files = [make_file(tmp_path / f"{n}.dcm", f"1.2.826.0.1.3680043.8.5{n}") for n in range(3)]
    scp = scp_factory([EVLE], refuse={"1.2.826.0.1.3680043.8.51"})
    outcomes = asyncio.run(astore(connector(scp.port), files))
    assert [o.status for o in outcomes] == [0x0000, 0xA700, 0x0000]
    assert not outcomes[1].ok
    assert outcomes[1].category is not None
    assert outcomes[1].category.value == "failure"
    assert outcomes[0].ok
    assert outcomes[2].ok


def test_pynetdicom_implicit_only_converts(tmp_path: Path, scp_factory: Any) -> None:
    path = make_file(tmp_path / "be.dcm", "1.2.826.0.1.3680043.8.60", EVBE)
    scp = scp_factory([IVLE])
    (outcome,) = asyncio.run(astore(connector(scp.port), [path]))
    assert outcome.status == 0
    assert outcome.converted
    assert outcome.transfer_syntax == IVLE
    (got,) = scp.got
    assert got.file_meta.TransferSyntaxUID == IVLE
    sent = pydicom.dcmread(path)
    # decoded values agree except the 16-bit pixel data, which pydicom keeps in file byte order
    ours, theirs = _values(got), _values(sent)
    pixels = 0x7FE00010
    assert ours.pop(pixels) == bytes(
        b for pair in zip(theirs[pixels][1::2], theirs.pop(pixels)[::2], strict=True) for b in pair
    )
    assert ours == theirs
