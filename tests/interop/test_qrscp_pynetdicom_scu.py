"""pynetdicom's SCUs (C-ECHO, C-FIND, C-MOVE, C-GET) against the ``dicomnet qrscp`` command.

The archive runs as the command (a subprocess, as a user runs it) over a generated study (two
patients, two studies each, two series, two images); pynetdicom's AE runs in the test process,
one association at a time (its threads race under load). C-FIND answers are checked against the
archive's files, and what arrives by C-MOVE (at a pynetdicom Storage SCP named in ``--dest``) or
C-GET (SCP role negotiated by role selection, PS3.7 D.3.3.4) is compared with the files element
by element, pydicom as the oracle.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset as PyDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomnet.samples import generate_study
from dicomnet.uid import (
    PATIENT_ROOT_QR_FIND,
    PATIENT_ROOT_QR_GET,
    PATIENT_ROOT_QR_MOVE,
    PATIENT_STUDY_ONLY_QR_FIND,
    PATIENT_STUDY_ONLY_QR_GET,
    PATIENT_STUDY_ONLY_QR_MOVE,
    STUDY_ROOT_QR_FIND,
    STUDY_ROOT_QR_GET,
    STUDY_ROOT_QR_MOVE,
)
from tests.interop.test_qrscp_dcmtk import Archive
from tests.peers import free_port, running

pynetdicom = pytest.importorskip("pynetdicom")

pytestmark = pytest.mark.peer

CT = "1.2.840.10008.5.1.4.1.1.2"
VERIFICATION = "1.2.840.10008.1.1"
SYNTAXES = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
DEST = "PYSTORE"


class Store:
    """A pynetdicom Storage SCP (AE ``PYSTORE``), the archive's move destination."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[PyDataset] = []
        self.calling: list[str] = []
        self._lock = threading.Lock()
        ae = pynetdicom.AE(ae_title=DEST)
        ae.add_supported_context(CT, SYNTAXES)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
        self.server = ae.start_server(
            ("127.0.0.1", self.port),
            block=False,
            evt_handlers=[(pynetdicom.evt.EVT_C_STORE, self._on_store)],
        )

    def _on_store(self, event: Any) -> int:
        ds = event.dataset
        ds.file_meta = event.file_meta
        with self._lock:
            self.received.append(ds)
            self.calling.append(event.assoc.requestor.ae_title)
        return 0x0000

    def take(self) -> tuple[list[PyDataset], set[str]]:
        """What arrived since the last call, and the calling AE titles it came from."""
        with self._lock:
            got, self.received = self.received, []
            calling, self.calling = set(self.calling), []
        return got, calling


class Served(Archive):
    """The running archive, its headers by SOP Instance UID, and the destination SCP."""

    def __init__(self, folder: Path, port: int, store: Store) -> None:
        super().__init__(folder, port, {DEST: store.port})
        self.store = store
        self.headers = {
            uid: pydicom.dcmread(path, stop_before_pixels=True) for uid, path in self.files.items()
        }

    def under(self, **keys: str) -> set[str]:
        """SOP Instance UIDs of the files whose attributes equal ``keys``."""
        return {
            uid
            for uid, ds in self.headers.items()
            if all(str(ds.get(k, "")) == v for k, v in keys.items())
        }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("archive")
    generate_study(
        folder,
        patients=2,
        studies_per_patient=2,
        series_per_study=2,
        images_per_series=2,
        rows=16,
        columns=16,
    )
    store = Store()
    port = free_port()
    args = [sys.executable, "-m", "dicomnet_cli.qrscp", "-aet", "ARCHIVE", "--bind", "127.0.0.1"]
    args += ["--dest", f"{DEST}=127.0.0.1:{store.port}", str(folder), str(port)]
    try:
        with running(args, port=port):
            yield Served(folder, port, store)
    finally:
        store.server.shutdown()


def _ae(*contexts: str) -> Any:
    ae = pynetdicom.AE(ae_title="PYSCU")
    for uid in contexts:
        ae.add_requested_context(uid, SYNTAXES)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
    return ae


def _associate(ae: Any, port: int, **kw: Any) -> Any:
    assoc = ae.associate("127.0.0.1", port, ae_title="ARCHIVE", **kw)
    assert assoc.is_established
    return assoc


def _query(level: str, **keys: str) -> PyDataset:
    ds = PyDataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


def _assert_same(archive: Served, received: list[PyDataset], expected: set[str]) -> None:
    """``received`` are the archive's files ``expected``, element by element (group 0002 aside)."""
    by_uid = {ds.SOPInstanceUID: ds for ds in received}
    assert len(by_uid) == len(received)
    assert set(by_uid) == expected
    for uid, got in by_uid.items():
        sent = pydicom.dcmread(archive.files[uid])
        assert {e.tag for e in got} == {e.tag for e in sent}, uid
        for elem in sent:
            assert got[elem.tag].value == elem.value, (uid, elem.tag)
            assert got[elem.tag].VR == elem.VR or elem.tag == 0x7FE00010, (uid, elem.tag)


def test_echo(served: Served) -> None:
    assoc = _associate(_ae(VERIFICATION), served.port)
    try:
        status = assoc.send_c_echo()
    finally:
        assoc.release()
    assert int(status.Status) == 0x0000


# --- C-FIND ----------------------------------------------------------------------------------

#: Return keys asked at each level, with the attribute the archive's files are grouped by.
RETURN_KEYS = {
    "PATIENT": ("PatientID", ["PatientName", "PatientBirthDate", "PatientSex"]),
    "STUDY": ("StudyInstanceUID", ["StudyDate", "StudyDescription", "AccessionNumber"]),
    "SERIES": ("SeriesInstanceUID", ["Modality", "SeriesNumber", "SeriesDescription"]),
    "IMAGE": ("SOPInstanceUID", ["InstanceNumber", "SOPClassUID"]),
}
LEVELS = ("PATIENT", "STUDY", "SERIES", "IMAGE")


def _find(served: Served, model: str, query: PyDataset) -> list[tuple[int, PyDataset | None]]:
    assoc = _associate(_ae(model), served.port)
    try:
        return [(int(s.Status), ident) for s, ident in assoc.send_c_find(query, model)]
    finally:
        assoc.release()


def _anchor(served: Served) -> PyDataset:
    """The file with the greatest name (any one would do): its keys scope the queries."""
    return served.headers[max(served.headers, key=lambda u: served.files[u].name)]


@pytest.mark.parametrize(
    ("model", "level"),
    [
        (PATIENT_ROOT_QR_FIND, "PATIENT"),
        (PATIENT_ROOT_QR_FIND, "STUDY"),
        (PATIENT_ROOT_QR_FIND, "SERIES"),
        (PATIENT_ROOT_QR_FIND, "IMAGE"),
        (STUDY_ROOT_QR_FIND, "STUDY"),
        (STUDY_ROOT_QR_FIND, "SERIES"),
        (STUDY_ROOT_QR_FIND, "IMAGE"),
        (PATIENT_STUDY_ONLY_QR_FIND, "PATIENT"),
        (PATIENT_STUDY_ONLY_QR_FIND, "STUDY"),
    ],
)
def test_find_each_level(served: Served, model: str, level: str) -> None:
    """Unique keys of the levels above pin the parent entity (hierarchical query, PS3.4
    C.4.1.3.1); the level's unique key is universal; the answers are exactly the entities below
    that parent, with the requested return keys holding the files' values."""
    anchor = _anchor(served)
    above = LEVELS[: LEVELS.index(level)]
    if model == STUDY_ROOT_QR_FIND:
        above = tuple(lv for lv in above if lv != "PATIENT")
    keys = {RETURN_KEYS[lv][0]: str(anchor[RETURN_KEYS[lv][0]].value) for lv in above}
    unique, wanted = RETURN_KEYS[level]
    query = _query(level, **keys, **{unique: ""}, **dict.fromkeys(wanted, ""))
    results = _find(served, model, query)
    assert [s for s, _ in results[:-1]] == [0xFF00] * (len(results) - 1)
    assert results[-1] == (0x0000, None)
    answers = [ident for _s, ident in results[:-1]]
    scope = served.under(**keys)
    expected = {str(served.headers[uid][unique].value) for uid in scope}
    assert sorted(str(a[unique].value) for a in answers) == sorted(expected)
    for answer in answers:
        assert answer is not None
        assert answer.QueryRetrieveLevel == level
        sample = served.headers[min(served.under(**{unique: str(answer[unique].value)}))]
        for keyword in wanted:
            assert answer[keyword].value == sample[keyword].value, keyword
        for keyword, value in keys.items():
            assert str(answer[keyword].value) == value
        # only the requested keys come back (plus Specific Character Set and Retrieve AE Title)
        asked = {"QueryRetrieveLevel", unique, *wanted, *keys}
        extra = {e.keyword for e in answer} - asked
        assert extra <= {"SpecificCharacterSet", "RetrieveAETitle"}, extra


def test_find_wildcard_across_patients(served: Served) -> None:
    """A wildcard on Patient's Name with a universal Patient ID, patient root, patient level."""
    names = {str(ds.PatientName) for ds in served.headers.values()}
    first = sorted(names)[0]
    query = _query("PATIENT", PatientID="", PatientName=first[:3] + "*")
    results = _find(served, PATIENT_ROOT_QR_FIND, query)
    found = {str(ident.PatientName) for _s, ident in results if ident is not None}
    assert found == {n for n in names if n.startswith(first[:3])}
    assert results[-1][0] == 0x0000


# --- C-MOVE ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "level"),
    [
        (PATIENT_ROOT_QR_MOVE, "PATIENT"),
        (PATIENT_ROOT_QR_MOVE, "STUDY"),
        (PATIENT_ROOT_QR_MOVE, "SERIES"),
        (PATIENT_ROOT_QR_MOVE, "IMAGE"),
        (STUDY_ROOT_QR_MOVE, "STUDY"),
        (STUDY_ROOT_QR_MOVE, "SERIES"),
        (STUDY_ROOT_QR_MOVE, "IMAGE"),
        (PATIENT_STUDY_ONLY_QR_MOVE, "PATIENT"),
        (PATIENT_STUDY_ONLY_QR_MOVE, "STUDY"),
    ],
)
def test_move_each_level(served: Served, model: str, level: str) -> None:
    anchor = _anchor(served)
    levels = LEVELS[: LEVELS.index(level) + 1]
    if model == STUDY_ROOT_QR_MOVE:
        levels = tuple(lv for lv in levels if lv != "PATIENT")
    keys = {RETURN_KEYS[lv][0]: str(anchor[RETURN_KEYS[lv][0]].value) for lv in levels}
    expected = served.under(**keys)
    served.store.take()
    assoc = _associate(_ae(model), served.port)
    try:
        statuses = [s for s, _ident in assoc.send_c_move(_query(level, **keys), DEST, model)]
    finally:
        assoc.release()
    final = statuses[-1]
    assert int(final.Status) == 0x0000
    assert final.NumberOfCompletedSuboperations == len(expected)
    assert final.NumberOfFailedSuboperations == 0
    assert all(int(s.Status) == 0xFF00 for s in statuses[:-1])
    if len(statuses) > 1:
        assert statuses[0].NumberOfRemainingSuboperations == len(expected) - 1
    received, calling = served.store.take()
    assert calling == {"ARCHIVE"}  # the sub-association is requested with the archive's -aet
    _assert_same(served, received, expected)


def test_move_unknown_destination(served: Served) -> None:
    assoc = _associate(_ae(STUDY_ROOT_QR_MOVE), served.port)
    try:
        query = _query("STUDY", StudyInstanceUID=str(_anchor(served).StudyInstanceUID))
        statuses = [s for s, _ in assoc.send_c_move(query, "NOWHERE", STUDY_ROOT_QR_MOVE)]
    finally:
        assoc.release()
    assert [int(s.Status) for s in statuses] == [0xA801]
    assert "NOWHERE" in statuses[0].ErrorComment


# --- C-GET -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "level", "syntax"),
    [
        (STUDY_ROOT_QR_GET, "SERIES", ExplicitVRLittleEndian),
        (PATIENT_ROOT_QR_GET, "PATIENT", ImplicitVRLittleEndian),
        (PATIENT_ROOT_QR_GET, "IMAGE", ExplicitVRLittleEndian),
        (PATIENT_STUDY_ONLY_QR_GET, "STUDY", ExplicitVRLittleEndian),
    ],
)
def test_get_with_role_selection(served: Served, model: str, level: str, syntax: str) -> None:
    anchor = _anchor(served)
    levels = LEVELS[: LEVELS.index(level) + 1]
    if model == STUDY_ROOT_QR_GET:
        levels = tuple(lv for lv in levels if lv != "PATIENT")
    keys = {RETURN_KEYS[lv][0]: str(anchor[RETURN_KEYS[lv][0]].value) for lv in levels}
    expected = served.under(**keys)
    received: list[PyDataset] = []
    syntaxes: list[str] = []

    def on_store(event: Any) -> int:
        ds = event.dataset
        ds.file_meta = event.file_meta
        received.append(ds)
        syntaxes.append(str(event.context.transfer_syntax))
        return 0x0000

    ae = _ae(model)
    ae.add_requested_context(CT, [syntax])
    assoc = _associate(
        ae,
        served.port,
        ext_neg=[pynetdicom.build_role(CT, scp_role=True)],
        evt_handlers=[(pynetdicom.evt.EVT_C_STORE, on_store)],
    )
    try:
        statuses = [s for s, _ident in assoc.send_c_get(_query(level, **keys), model)]
    finally:
        assoc.release()
    final = statuses[-1]
    assert int(final.Status) == 0x0000
    assert final.NumberOfCompletedSuboperations == len(expected)
    assert final.NumberOfFailedSuboperations == 0
    assert set(syntaxes) == {syntax}  # the context we proposed, in the SCP role
    _assert_same(served, received, expected)


def test_get_without_role_selection_fails_the_sub_operations(served: Served) -> None:
    """No SCP role offered for CT: the archive cannot store back (PS3.4 C.4.3.3.1), so every
    sub-operation fails and nothing arrives."""
    anchor = _anchor(served)
    received: list[Any] = []
    ae = _ae(STUDY_ROOT_QR_GET)
    ae.add_requested_context(CT, SYNTAXES)
    assoc = _associate(
        ae,
        served.port,
        evt_handlers=[(pynetdicom.evt.EVT_C_STORE, lambda e: received.append(e) or 0)],
    )
    try:
        query = _query(
            "SERIES",
            StudyInstanceUID=str(anchor.StudyInstanceUID),
            SeriesInstanceUID=str(anchor.SeriesInstanceUID),
        )
        statuses = [(s, ident) for s, ident in assoc.send_c_get(query, STUDY_ROOT_QR_GET)]
    finally:
        assoc.release()
    final, ident = statuses[-1]
    expected = served.under(SeriesInstanceUID=str(anchor.SeriesInstanceUID))
    # every sub-operation failed: Warning 0xB000 or Refused 0xA702 (PS3.4 C.4.3.1.4)
    assert int(final.Status) in (0xA702, 0xB000)
    assert final.NumberOfFailedSuboperations == len(expected)
    assert final.NumberOfCompletedSuboperations == 0
    assert ident is not None
    failed = ident.FailedSOPInstanceUIDList
    assert set([failed] if isinstance(failed, str) else failed) == expected
    assert received == []
