"""Our ``movescu`` command against pynetdicom's Q/R SCP: every level with each model, the
negotiation options as the peer saw them, and the run options (query files from ``findscu -X``,
``--repeat``, ``--cancel``, ``--abort``, ``--ignore``, a third-party move to DCMTK's storescp).

The SCP is a pynetdicom AE in this process (C-FIND and C-MOVE handlers over a generated study);
its move handler looks the move destination up in a table (AE title -> port, plus the contexts
its sub-association proposes), then yields the data sets. ``movescu`` runs as the installed
console script (a subprocess, as a user runs it), receiving on its ``+P`` port. pynetdicom's
event handlers record the A-ASSOCIATE-RQ of the C-MOVE association (PS3.8 9.3.2), the C-MOVE
request (PS3.4 C.4.2.1), and the contexts our Storage SCP accepted on the sub-association.
Received files are named as DCMTK names them and compared with the originals element by element
(pydicom as the oracle).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset as PyDataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGLosslessSV1,
)

from dicomnet.samples import generate_study
from dicomnet.uid import (
    PATIENT_ROOT_QR_FIND,
    PATIENT_ROOT_QR_MOVE,
    PATIENT_STUDY_ONLY_QR_FIND,
    PATIENT_STUDY_ONLY_QR_MOVE,
    STUDY_ROOT_QR_FIND,
    STUDY_ROOT_QR_MOVE,
)
from tests.peers import dcmtk_env, free_port, require_program, running

pynetdicom = pytest.importorskip("pynetdicom")

pytestmark = pytest.mark.peer

CT = "1.2.840.10008.5.1.4.1.1.2"
ELE, EBE, ILE = ExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian
DEFLATED = DeflatedExplicitVRLittleEndian
UNCOMPRESSED = [ELE, EBE, ILE]
LOCAL_FIRST = [ELE, EBE] if sys.byteorder == "little" else [EBE, ELE]
MOVESCU = Path(sys.executable).parent / "movescu"
UNIQUE = ("PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
LEVELS = ("PATIENT", "STUDY", "SERIES", "IMAGE")
MODELS = {"-P": PATIENT_ROOT_QR_MOVE, "-S": STUDY_ROOT_QR_MOVE, "-O": PATIENT_STUDY_ONLY_QR_MOVE}
FINDS = (PATIENT_ROOT_QR_FIND, STUDY_ROOT_QR_FIND, PATIENT_STUDY_ONLY_QR_FIND)
#: pynetdicom accepts the first of its own syntaxes that was proposed: this order makes the
#: C-MOVE run in deflated or big endian whenever proposed (the less common encodings).
SCP_SYNTAXES = [DEFLATED, EBE, ILE, ELE]


class PyQRSCP:
    """pynetdicom's Q/R SCP (AE ``PYQRSCP``) over ``files``; what it saw is kept per test."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files
        self.headers = {
            uid: pydicom.dcmread(path, stop_before_pixels=True) for uid, path in files.items()
        }
        self.port = free_port()
        self.lock = threading.Lock()
        self.reset()
        ae = pynetdicom.AE(ae_title="PYQRSCP")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
        for sop in (*MODELS.values(), *FINDS):
            ae.add_supported_context(sop, SCP_SYNTAXES)
        self.server = ae.start_server(
            ("127.0.0.1", self.port),
            block=False,
            evt_handlers=[
                (pynetdicom.evt.EVT_ACSE_RECV, self._on_acse),
                (pynetdicom.evt.EVT_C_FIND, self._on_find),
                (pynetdicom.evt.EVT_C_MOVE, self._on_move),
            ],
        )

    def reset(self) -> None:
        """Forget the previous test: no destinations, default sub-association contexts."""
        self.destinations: dict[str, int] = {}
        self.third_party: dict[str, int] = {}
        self.sub_contexts: list[tuple[str, list[str]]] = [(CT, [ILE, EBE, ELE])]
        self.transform: Callable[[PyDataset], PyDataset] = lambda ds: ds
        self.wait_cancel = False
        self.before_store: Callable[[int], None] | None = None
        self.stall_release = 0.0
        self.cancelled = False
        self.requests: list[Any] = []
        self.acse: list[str] = []
        self.moves: list[dict[str, Any]] = []
        self.accepted: list[list[tuple[str, str]]] = []

    def select(self, identifier: PyDataset) -> list[str]:
        """SOP Instance UIDs whose unique keys equal the identifier's non-empty ones."""
        keys = {k: str(identifier[k].value) for k in UNIQUE if identifier.get(k, "") != ""}
        return sorted(
            uid
            for uid, ds in self.headers.items()
            if all(str(ds[k].value) == v for k, v in keys.items())
        )

    def _on_acse(self, event: Any) -> None:
        primitive = event.primitive
        if type(primitive).__name__ == "A_RELEASE" and self.stall_release:
            time.sleep(self.stall_release)  # the peer's reactor stalls: no A-RELEASE-RP in time
        with self.lock:
            self.acse.append(type(primitive).__name__)
            if type(primitive).__name__ == "A_ASSOCIATE" and primitive.result is None:
                self.requests.append(primitive)

    def _on_find(self, event: Any) -> Iterator[Any]:
        identifier = event.identifier
        key = UNIQUE[LEVELS.index(identifier.QueryRetrieveLevel)]
        entities = {str(self.headers[uid][key].value): uid for uid in self.select(identifier)}
        for uid in entities.values():
            answer = PyDataset()
            for elem in identifier:
                answer[elem.tag] = self.headers[uid].get(elem.tag, elem)
            yield 0xFF00, answer

    def _on_sub_accepted(self, event: Any) -> None:
        accepted = [
            (str(cx.abstract_syntax), str(cx.transfer_syntax[0]))
            for cx in event.assoc.accepted_contexts
        ]
        with self.lock:
            self.accepted.append(sorted(accepted))

    def _on_move(self, event: Any) -> Iterator[Any]:
        identifier = event.identifier
        with self.lock:
            self.moves.append(
                {
                    "destination": event.move_destination,
                    "sop_class": str(event.context.abstract_syntax),
                    "syntax": str(event.context.transfer_syntax),
                    "level": identifier.QueryRetrieveLevel,
                    "identifier": identifier,
                }
            )
        contexts = [pynetdicom.build_context(sop, syntaxes) for sop, syntaxes in self.sub_contexts]
        handlers = [(pynetdicom.evt.EVT_ACCEPTED, self._on_sub_accepted)]
        port = self.destinations.get(event.move_destination)
        if port is None and event.move_destination in self.third_party:
            port = self.third_party[event.move_destination]
            contexts = [pynetdicom.build_context(CT, [ELE])]  # what DCMTK's storescp accepts
        if port is None:
            yield None, None
            return
        if self.before_store is not None:
            self.before_store(port)
        yield "127.0.0.1", port, {"contexts": contexts, "evt_handlers": handlers}
        uids = self.select(identifier)
        yield len(uids)
        for n, uid in enumerate(uids):
            if n and self.wait_cancel and _cancelled(event):
                self.cancelled = True
                yield 0xFE00, None
                return
            yield 0xFF00, self.transform(pydicom.dcmread(self.files[uid]))


def _cancelled(event: Any) -> bool:
    """Give the SCU up to 5 s to send its C-CANCEL-RQ (so that the test does not race)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if event.is_cancelled:
            return True
        time.sleep(0.01)
    return False


@pytest.fixture(scope="module")
def module_scp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PyQRSCP]:
    folder = tmp_path_factory.mktemp("pyqr")
    paths = generate_study(
        folder,
        patients=2,
        studies_per_patient=2,
        series_per_study=2,
        images_per_series=2,
        rows=16,
        columns=16,
    )
    scp = PyQRSCP({pydicom.dcmread(p).SOPInstanceUID: p for p in paths})
    try:
        yield scp
    finally:
        scp.server.shutdown()


@pytest.fixture
def scp(module_scp: PyQRSCP) -> PyQRSCP:
    module_scp.reset()
    return module_scp


def _movescu(
    scp: PyQRSCP, out: Path, *args: str, dest: str = "MOVESCU", files: tuple[str, ...] = ()
) -> tuple[int, str]:
    """Run the console script, receiving on a free ``+P`` port registered as ``dest``."""
    if not MOVESCU.exists():
        pytest.fail(f"the movescu console script is not installed next to {sys.executable}")
    listen = free_port()
    scp.destinations[dest] = listen
    done = subprocess.run(
        [
            str(MOVESCU),
            "-aec",
            "PYQRSCP",
            "+P",
            str(listen),
            "-od",
            str(out),
            "-to",
            "10",
            "-td",
            "30",
            *args,
            "127.0.0.1",
            str(scp.port),
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stderr


def _keys(scp: PyQRSCP, model: str, level: str) -> list[str]:
    """``-k`` options naming the last file's entity at ``level`` (its parents' keys too, except
    the patient in the study root)."""
    anchor = scp.headers[max(scp.headers, key=lambda uid: scp.files[uid].name)]
    keys = [f"QueryRetrieveLevel={level}"]
    for lv, keyword in list(zip(LEVELS, UNIQUE, strict=True))[: LEVELS.index(level) + 1]:
        if not (model == "-S" and lv == "PATIENT"):
            keys.append(f"{keyword}={anchor[keyword].value}")
    return [arg for key in keys for arg in ("-k", key)]


def _check_files(scp: PyQRSCP, out: Path, uids: list[str], syntax: str = ELE) -> None:
    """DCMTK's names ``CT.<uid>``; data sets equal element by element; the meta header."""
    assert sorted(os.listdir(out)) == sorted(f"CT.{uid}" for uid in uids)
    for uid in uids:
        got = pydicom.dcmread(out / f"CT.{uid}")
        sent = pydicom.dcmread(scp.files[uid])
        assert {e.tag for e in got} == {e.tag for e in sent}, uid
        for elem in sent:
            assert got[elem.tag].value == elem.value, (uid, elem.tag)
        meta = got.file_meta
        assert meta.MediaStorageSOPClassUID == CT
        assert meta.MediaStorageSOPInstanceUID == uid
        assert meta.TransferSyntaxUID == syntax
        assert meta.SourceApplicationEntityTitle == "PYQRSCP"


@pytest.mark.parametrize(
    ("model", "level"),
    [
        ("-P", "PATIENT"),
        ("-P", "STUDY"),
        ("-P", "SERIES"),
        ("-P", "IMAGE"),
        ("-S", "STUDY"),
        ("-S", "SERIES"),
        ("-S", "IMAGE"),
        ("-O", "PATIENT"),
        ("-O", "STUDY"),
    ],
)
def test_retrieve_each_level_with_each_model(
    scp: PyQRSCP, tmp_path: Path, model: str, level: str
) -> None:
    keys = _keys(scp, model, level)
    code, stderr = _movescu(scp, tmp_path, model, *keys)
    assert code == 0, stderr
    (move,) = scp.moves
    assert move["sop_class"] == MODELS[model]
    assert move["level"] == level
    uids = scp.select(_identifier(keys))
    expected = {"PATIENT": 8, "STUDY": 4, "SERIES": 2, "IMAGE": 1}[level]
    assert len(uids) == expected
    _check_files(scp, tmp_path, uids)
    assert f"1 move(s): {expected} objects" in stderr


def _identifier(keys: list[str]) -> PyDataset:
    ds = PyDataset()
    for arg in keys[1::2]:
        keyword, value = arg.split("=", 1)
        setattr(ds, keyword, value)
    return ds


def _proposed(request: Any) -> dict[str, list[str]]:
    """Abstract syntax -> proposed transfer syntaxes of an A-ASSOCIATE-RQ primitive."""
    return {
        str(cx.abstract_syntax): [str(ts) for ts in cx.transfer_syntax]
        for cx in request.presentation_context_definition_list
    }


def test_defaults_as_the_peer_saw_them(scp: PyQRSCP, tmp_path: Path) -> None:
    """No -aet/-aem/-pdu/-x: calling and move destination MOVESCU, max PDU 16384, local byte
    order explicit VR first; the called AE title is -aec."""
    code, stderr = _movescu(scp, tmp_path, *_keys(scp, "-P", "IMAGE"))
    assert code == 0, stderr
    (request,) = scp.requests
    assert request.calling_ae_title == "MOVESCU"
    assert request.called_ae_title == "PYQRSCP"
    assert request.maximum_length_received == 16384
    assert _proposed(request) == {PATIENT_ROOT_QR_MOVE: [*LOCAL_FIRST, ILE]}
    assert scp.moves[0]["destination"] == "MOVESCU"
    assert scp.moves[0]["syntax"] == EBE


@pytest.mark.parametrize(
    ("option", "syntaxes"),
    [
        ("-x=", [*LOCAL_FIRST, ILE]),
        ("-xe", [ELE, EBE, ILE]),
        ("-xb", [EBE, ELE, ILE]),
        ("-xd", [DEFLATED, *LOCAL_FIRST, ILE]),
        ("-xi", [ILE]),
    ],
)
def test_outgoing_options_as_the_peer_saw_them(
    scp: PyQRSCP, tmp_path: Path, option: str, syntaxes: list[str]
) -> None:
    """-aet, -aec, -aem, -pdu and the -x option in the A-ASSOCIATE-RQ and the C-MOVE-RQ; the
    C-MOVE runs in the syntax pynetdicom picked (the first proposed) and the move completes."""
    args = ["-S", "-aet", "OURSCU", "-aem", "OURDEST", "-pdu", "32768", option]
    code, stderr = _movescu(scp, tmp_path, *args, *_keys(scp, "-S", "SERIES"), dest="OURDEST")
    assert code == 0, stderr
    (request,) = scp.requests
    assert request.calling_ae_title == "OURSCU"
    assert request.called_ae_title == "PYQRSCP"
    assert request.maximum_length_received == 32768
    assert _proposed(request) == {STUDY_ROOT_QR_MOVE: syntaxes}
    (move,) = scp.moves
    assert move["destination"] == "OURDEST"
    assert move["syntax"] == next(ts for ts in SCP_SYNTAXES if ts in syntaxes)
    assert len(os.listdir(tmp_path)) == 2


def _big_endian(ds: PyDataset) -> PyDataset:
    """The data set re-encoded in explicit VR big endian (pydicom keeps OW bytes as they are),
    so that pynetdicom sends it in that syntax."""
    ds.file_meta.TransferSyntaxUID = EBE
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, implicit_vr=False, little_endian=False, force_encoding=True)
    buffer.seek(0)
    return pydicom.dcmread(buffer)


@pytest.mark.parametrize(
    ("option", "accepted"),
    [
        ("+x=", LOCAL_FIRST[0]),
        ("+xe", ELE),
        ("+xb", EBE),
        ("+xi", ILE),
        ("+xd", DEFLATED),
    ],
)
def test_incoming_preference_on_the_sub_association(
    scp: PyQRSCP, tmp_path: Path, option: str, accepted: str
) -> None:
    """pynetdicom proposes every uncompressed syntax (implicit first) in one context; our Storage
    SCP accepts its own first choice (DCMTK's +x order), and the file is written in it."""
    scp.sub_contexts = [(CT, [ILE, EBE, ELE, DEFLATED])]
    if accepted == EBE:
        scp.transform = _big_endian
    code, stderr = _movescu(scp, tmp_path, option, *_keys(scp, "-P", "SERIES"))
    assert code == 0, stderr
    assert scp.accepted == [[(CT, accepted)]]
    keys = _keys(scp, "-P", "SERIES")
    _check_files(scp, tmp_path, scp.select(_identifier(keys)), syntax=accepted)


@pytest.mark.parametrize(("option", "jpeg"), [("+xs", True), ("+x=", False), ("+xv", False)])
def test_incoming_compressed_preference(
    scp: PyQRSCP, tmp_path: Path, option: str, jpeg: bool
) -> None:
    """A context proposing JPEG Lossless SV1 alone is accepted under +xs only; the uncompressed
    context beside it is accepted under every option and carries the objects."""
    scp.sub_contexts = [(CT, [JPEGLosslessSV1]), (CT, [ILE, ELE])]
    code, stderr = _movescu(scp, tmp_path, option, *_keys(scp, "-P", "IMAGE"))
    assert code == 0, stderr
    expected = [(CT, ELE), (CT, JPEGLosslessSV1)] if jpeg else [(CT, ELE)]
    assert scp.accepted == [sorted(expected)]
    keys = _keys(scp, "-P", "IMAGE")
    _check_files(scp, tmp_path, scp.select(_identifier(keys)))


def test_unknown_move_destination_exits_69(scp: PyQRSCP, tmp_path: Path) -> None:
    """pynetdicom answers 0xA801 for a destination its table does not know."""
    code, stderr = _movescu(scp, tmp_path, "-aem", "STRANGER", *_keys(scp, "-P", "STUDY"))
    assert code == 69, stderr
    assert "Move Destination unknown" in stderr
    assert scp.moves[0]["destination"] == "STRANGER"
    assert os.listdir(tmp_path) == []


def test_query_files_from_findscu_and_repeat(scp: PyQRSCP, tmp_path: Path) -> None:
    """DCMTK's workflow: ``findscu -X`` writes one response file per series (pynetdicom's C-FIND
    handler answering), ``movescu --repeat 2`` sends one C-MOVE per file, twice."""
    anchor = scp.headers[max(scp.headers, key=lambda uid: scp.files[uid].name)]
    rsp = tmp_path / "rsp"
    rsp.mkdir()
    find = subprocess.run(
        [
            str(MOVESCU.parent / "dicomnet"),
            "findscu",
            "-S",
            "-aec",
            "PYQRSCP",
            "-X",
            "-od",
            str(rsp),
            "-k",
            "QueryRetrieveLevel=SERIES",
            "-k",
            f"StudyInstanceUID={anchor.StudyInstanceUID}",
            "-k",
            "SeriesInstanceUID",
            "127.0.0.1",
            str(scp.port),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert find.returncode == 0, find.stderr
    queries = sorted(str(p) for p in rsp.iterdir())
    assert len(queries) == 2
    out = tmp_path / "out"
    out.mkdir()
    code, stderr = _movescu(scp, out, "-S", "--repeat", "2", files=tuple(queries))
    assert code == 0, stderr
    assert [m["level"] for m in scp.moves] == ["SERIES"] * 4
    assert "4 move(s): 8 objects" in stderr
    assert stderr.count("W: overwriting existing file") == 4  # the second round, as DCMTK warns
    study = scp.select(_identifier(["-k", f"StudyInstanceUID={anchor.StudyInstanceUID}"]))
    _check_files(scp, out, study)


def test_cancel_after_the_first_response(scp: PyQRSCP, tmp_path: Path) -> None:
    """``--cancel 1``: C-CANCEL-RQ after the first Pending response; pynetdicom's handler stops
    and answers Cancel (0xFE00), which exits 0 with fewer objects than matched."""
    scp.wait_cancel = True
    code, stderr = _movescu(scp, tmp_path, "--cancel", "1", "-v", *_keys(scp, "-P", "PATIENT"))
    assert code == 0, stderr
    assert scp.cancelled
    assert "Cancel (0xFE00)" in stderr
    assert len(os.listdir(tmp_path)) == 1


def test_release_abort_and_ignore(scp: PyQRSCP, tmp_path: Path) -> None:
    """The association ends with A-RELEASE by default, with A-ABORT under ``--abort`` (exit 0
    both); ``--ignore`` receives every object, answers success and writes nothing."""
    keys = _keys(scp, "-S", "SERIES")
    code, stderr = _movescu(scp, tmp_path, "-S", *keys)
    assert code == 0, stderr
    assert scp.acse[1:] == ["A_RELEASE"]
    assert len(os.listdir(tmp_path)) == 2
    scp.reset()
    aborted = tmp_path / "aborted"
    aborted.mkdir()
    code, stderr = _movescu(scp, aborted, "-S", "--abort", *keys)
    assert code == 0, stderr
    assert scp.acse[1:] == ["A_ABORT"]
    assert len(os.listdir(aborted)) == 2
    scp.reset()
    ignored = tmp_path / "ignored"
    ignored.mkdir()
    code, stderr = _movescu(scp, ignored, "-S", "--ignore", *keys)
    assert code == 0, stderr
    assert os.listdir(ignored) == []
    assert "1 move(s): 2 objects" in stderr


def test_third_party_move_to_dcmtk_storescp(scp: PyQRSCP, tmp_path: Path) -> None:
    """``-aem STORESCP`` with no ``+P``: pynetdicom stores to DCMTK's storescp, our movescu only
    follows the counts."""
    storescp = require_program("storescp")
    port = free_port()
    scp.third_party["STORESCP"] = port
    out = tmp_path / "third"
    out.mkdir()
    keys = _keys(scp, "-P", "STUDY")
    cmd = [storescp, "-aet", "STORESCP", "-od", str(out), str(port)]
    args = ["-aec", "PYQRSCP", "-aem", "STORESCP", "-to", "10", "-td", "30", *keys]
    with running(cmd, port=port, env=dcmtk_env()):
        done = subprocess.run(
            [str(MOVESCU), *args, "127.0.0.1", str(scp.port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    expected = scp.select(_identifier(keys))
    assert sorted(os.listdir(out)) == sorted(f"CT.{uid}" for uid in expected)
    assert "1 move(s): 0 objects" in done.stderr
