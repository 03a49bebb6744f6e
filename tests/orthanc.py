"""Orthanc as a test peer: a private Orthanc process on loopback, driven over its REST API.

:class:`OrthancPeer` is a plain context manager (no conftest, no fixtures needed): it writes its own
JSON configuration and storage folder into a directory the test gives it, starts ``Orthanc`` with
it, waits until the REST API answers, and stops the process by its id on exit. Data goes in and
out over HTTP with the standard library's client (``urllib.request``).

Orthanc is a DICOM peer (PS3.4 Annex A, B, C): Verification, Storage and Query/Retrieve SCP, and a
Storage SCU for C-MOVE and for REST ``/modalities/{name}/store``. See ``docs/orthanc.md``.

A missing Orthanc skips the test (``apt-get install -y orthanc``), or fails it under
``DICOMNET_REQUIRE_PEERS=1``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from dicomnet.dataset import DataElement, Dataset, WriteOptions, write_file
from tests.peers import free_port, peer_missing, wait_for_port

ORTHANC_AET = "ORTHANC"
START_TIMEOUT = 20.0
HTTP_TIMEOUT = 30.0


def orthanc_program() -> str:
    """The path of the ``Orthanc`` binary (Debian puts it in /usr/sbin), or skip/fail."""
    path = shutil.which("Orthanc") or shutil.which("Orthanc", path="/usr/sbin:/usr/local/sbin")
    if path is None:
        peer_missing("program 'Orthanc' not found", "install Orthanc: apt-get install -y orthanc")
        raise AssertionError("unreachable")  # pragma: no cover
    return path


@dataclass(frozen=True)
class Modality:
    """A DICOM peer Orthanc knows (its ``DicomModalities`` entry): AE title, host, port."""

    aet: str
    port: int
    host: str = "127.0.0.1"

    def config(self) -> dict[str, Any]:
        """The entry in Orthanc's object syntax; every DIMSE service allowed."""
        return {"AET": self.aet, "Host": self.host, "Port": self.port}


def add_hierarchy(ds: Dataset, study_uid: str, series_uid: str) -> Dataset:
    """Give ``ds`` the Study and Series Instance UIDs Orthanc requires to store it (in place)."""
    ds[0x0020000D] = DataElement(0x0020000D, "UI", study_uid)
    ds[0x0020000E] = DataElement(0x0020000E, "UI", series_uid)
    return ds


CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
CORPUS_ROOT = "1.2.826.0.1.3680043.9.7200"


@dataclass(frozen=True)
class CorpusInstance:
    """One file of :func:`write_corpus` and its place in the Q/R hierarchy (PS3.4 C.6)."""

    path: Path
    patient_id: str
    study_uid: str
    series_uid: str
    sop_instance_uid: str
    sop_class_uid: str


def _corpus_dataset(
    patient: tuple[str, str, str],
    study: tuple[str, str, str, str],
    series: tuple[str, str, int],
    instance: tuple[str, str, int],
) -> Dataset:
    ds = Dataset()

    def put(tag: int, vr: str, value: object) -> None:
        ds[tag] = DataElement(tag, vr, value)

    put(0x00080005, "CS", "ISO_IR 192")
    put(0x00080016, "UI", instance[1])
    put(0x00080018, "UI", instance[0])
    put(0x00080020, "DA", study[1])
    put(0x00080030, "TM", "101500")
    put(0x00080050, "SH", study[2])
    put(0x00080060, "CS", series[1])
    put(0x00081030, "LO", study[3])
    put(0x00100010, "PN", patient[1])
    put(0x00100020, "LO", patient[0])
    put(0x00100030, "DA", patient[2])
    put(0x0020000D, "UI", study[0])
    put(0x0020000E, "UI", series[0])
    put(0x00200010, "SH", study[2][-4:])
    put(0x00200011, "IS", str(series[2]))
    put(0x00200013, "IS", str(instance[2]))
    for tag, value in ((0x00280002, 1), (0x00280010, 4), (0x00280011, 4), (0x00280100, 16)):
        put(tag, "US", value)
    for tag, value in ((0x00280101, 16), (0x00280102, 15), (0x00280103, 0)):
        put(tag, "US", value)
    put(0x00280004, "CS", "MONOCHROME2")
    put(0x7FE00010, "OW", bytes(range(instance[2], instance[2] + 32)))
    return ds


def write_corpus(directory: str | os.PathLike[str]) -> list[CorpusInstance]:
    """A small Q/R test corpus as Part 10 files (explicit VR little endian) in ``directory``.

    Two patients (one with a non-ASCII name); patient 1 has two studies (CT: one series of two
    images; MR: two series of one image), patient 2 one CT study of one image: 2 patients,
    3 studies, 4 series, 5 instances. UIDs are under ``CORPUS_ROOT``.
    """
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    patients = [("DNP1", "Doe^Jane", "19700101"), ("DNP2", "Müller^Jürgen", "19800202")]
    layout = [  # patient index, study date, accession, description, [(modality, images)]
        (0, "20240105", "ACC0001", "CT chest", [("CT", 2)]),
        (0, "20240611", "ACC0002", "MR head", [("MR", 1), ("MR", 1)]),
        (1, "20231120", "ACC0003", "CT abdomen", [("CT", 1)]),
    ]
    out: list[CorpusInstance] = []
    for s, (p, date, accession, description, series_list) in enumerate(layout, start=1):
        study_uid = f"{CORPUS_ROOT}.{s}"
        for r, (modality, images) in enumerate(series_list, start=1):
            series_uid = f"{study_uid}.{r}"
            sop_class = CT_IMAGE_STORAGE if modality == "CT" else MR_IMAGE_STORAGE
            for i in range(1, images + 1):
                uid = f"{series_uid}.{i}"
                ds = _corpus_dataset(
                    patients[p],
                    (study_uid, date, accession, description),
                    (series_uid, modality, r),
                    (uid, sop_class, i),
                )
                path = root / f"{uid}.dcm"
                write_file(path, ds, WriteOptions(transfer_syntax=EXPLICIT_VR_LITTLE_ENDIAN))
                out.append(
                    CorpusInstance(path, patients[p][0], study_uid, series_uid, uid, sop_class)
                )
    return out


class OrthancError(AssertionError):
    """Orthanc failed to start, or a REST call answered an HTTP error (status and body kept)."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message if not body else f"{message}: {body[:2000]}")
        self.status = status
        self.body = body


class OrthancPeer:
    """A private Orthanc: its own configuration, storage, DICOM and HTTP ports on 127.0.0.1.

    ``modalities`` (name -> :class:`Modality`) are the peers Orthanc accepts associations from
    (the calling AE title and the host are checked) and may send to (C-MOVE destination,
    ``/modalities/{name}/store``); more can be added while it runs (:meth:`add_modality`).
    ``config`` entries override the generated configuration. Use as ``with OrthancPeer(dir) as
    orthanc:``; ``orthanc.log_text()`` holds its log (verbose DICOM category) for diagnosis.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        aet: str = ORTHANC_AET,
        modalities: Mapping[str, Modality] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.aet = aet
        self.modalities = dict(modalities or {})
        self.dicom_port = free_port()
        self.http_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.http_port}"
        self.extra_config = dict(config or {})
        self.config_path = self.directory / "orthanc.json"
        self.log_path = self.directory / "orthanc.log"
        self._proc: subprocess.Popen[bytes] | None = None
        # Loopback only: a proxy from the environment must never see these requests.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # -- configuration and process ---------------------------------------------------------

    def configuration(self) -> dict[str, Any]:
        """The JSON configuration this peer runs with (Orthanc Book, "Configuration")."""
        storage = self.directory / "storage"
        config: dict[str, Any] = {
            "Name": f"dicomnet-test-{self.http_port}",
            "StorageDirectory": str(storage),
            "IndexDirectory": str(storage),
            "StorageCompression": False,
            "Plugins": [],
            "LuaScripts": [],
            "HttpServerEnabled": True,
            "HttpPort": self.http_port,
            "RemoteAccessAllowed": False,  # HTTP answers loopback clients only
            "AuthenticationEnabled": False,
            "SslEnabled": False,
            "WebDavEnabled": False,
            "ExecuteLuaEnabled": False,
            "DicomServerEnabled": True,
            "DicomAet": self.aet,
            "DicomPort": self.dicom_port,
            "DicomCheckCalledAet": True,
            # Orthanc 1.10 has no bind address for its DICOM port: only the registered
            # modalities, from their own host (127.0.0.1), may use any DIMSE service.
            "DicomAlwaysAllowEcho": False,
            "DicomAlwaysAllowStore": False,
            "DicomAlwaysAllowFind": False,
            "DicomAlwaysAllowFindWorklist": False,
            "DicomAlwaysAllowGet": False,
            "DicomAlwaysAllowMove": False,
            "DicomCheckModalityHost": True,
            "DicomModalities": {name: m.config() for name, m in self.modalities.items()},
            "DicomModalitiesInDatabase": False,
            "DicomScuTimeout": 10,
            "DicomAssociationCloseDelay": 0,
            "DicomThreadsCount": 4,
            "HttpThreadsCount": 8,
            "ConcurrentJobs": 2,
            "SaveJobs": False,
            "JobsHistorySize": 10,
            "OverwriteInstances": True,
            "StableAge": 3600,
            "CheckRevisions": False,
        }
        config.update(self.extra_config)
        return config

    def start(self) -> Self:
        """Write the configuration, start Orthanc, wait for its REST API and DICOM port."""
        program = orthanc_program()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.configuration(), indent=2), encoding="utf-8")
        args = [program, "--no-jobs", "--verbose-dicom", f"--logfile={self.log_path}"]
        self._proc = subprocess.Popen(
            [*args, str(self.config_path)],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        assert self._proc is not None
        while True:
            if self._proc.poll() is not None:
                raise OrthancError(
                    f"Orthanc exited with code {self._proc.returncode} during start-up",
                    body=self.log_text(),
                )
            try:
                self.get("/system")
                break
            except (OSError, OrthancError):
                if time.monotonic() > deadline:
                    raise OrthancError(
                        f"Orthanc's REST API did not answer within {START_TIMEOUT} s",
                        body=self.log_text(),
                    ) from None
                time.sleep(0.02)
        wait_for_port(self.dicom_port, self._proc, timeout=max(deadline - time.monotonic(), 1))

    def stop(self, *, graceful: bool = False) -> None:
        """Stop Orthanc by its process id.

        The storage folder is throw-away, so by default the process is killed (SIGKILL): a clean
        shutdown (``graceful``: SIGTERM, SIGKILL after 10 s) spends ~3.5 s in Orthanc's internal
        polling loops (HTTP server, DICOM server, jobs engine).
        """
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM if graceful else signal.SIGKILL)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()

    @property
    def pid(self) -> int | None:
        """The Orthanc process id while it runs."""
        return None if self._proc is None else self._proc.pid

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log_text(self) -> str:
        """Orthanc's log so far (empty when none was written)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    # -- REST --------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> bytes:
        """One REST call on 127.0.0.1; an HTTP error raises :class:`OrthancError`."""
        headers = {"Content-Type": content_type} if body is not None else {}
        req = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers=headers
        )
        try:
            with self._opener.open(req, timeout=HTTP_TIMEOUT) as rsp:
                data: bytes = rsp.read()
                return data
        except urllib.error.HTTPError as err:
            text = err.read().decode("utf-8", "replace")
            raise OrthancError(f"{method} {path} -> HTTP {err.code}", err.code, text) from None

    def get(self, path: str) -> Any:
        """GET and decode JSON."""
        return json.loads(self.request("GET", path))

    def post(self, path: str, payload: Any) -> Any:
        """POST a JSON payload and decode the JSON answer."""
        return json.loads(self.request("POST", path, json.dumps(payload).encode()))

    def upload(self, data: str | os.PathLike[str] | bytes) -> str:
        """Store a Part 10 file (a path or its bytes) with POST /instances; its Orthanc id."""
        if not isinstance(data, bytes):
            data = Path(data).read_bytes()
        answer = json.loads(self.request("POST", "/instances", data, "application/dicom"))
        if answer.get("Status") not in ("Success", "AlreadyStored"):
            raise OrthancError(f"upload not stored: {answer}")
        return str(answer["ID"])

    def upload_corpus(self, directory: str | os.PathLike[str]) -> list[CorpusInstance]:
        """Write :func:`write_corpus` into ``directory`` and upload every file."""
        corpus = write_corpus(directory)
        for item in corpus:
            self.upload(item.path)
        return corpus

    def instances(self) -> list[str]:
        """The Orthanc ids of every stored instance."""
        return [str(i) for i in self.get("/instances")]

    def instance_file(self, instance_id: str) -> bytes:
        """The stored Part 10 file, as Orthanc serves it (GET /instances/{id}/file)."""
        return self.request("GET", f"/instances/{urllib.parse.quote(instance_id)}/file")

    def instance_tags(self, instance_id: str) -> dict[str, Any]:
        """The main tags of an instance by keyword (GET /instances/{id}/simplified-tags)."""
        tags: dict[str, Any] = self.get(
            f"/instances/{urllib.parse.quote(instance_id)}/simplified-tags"
        )
        return tags

    def lookup(self, uid: str) -> list[dict[str, Any]]:
        """Resources with this DICOM UID (POST /tools/lookup): [{"Type", "ID", "Path"}]."""
        found: list[dict[str, Any]] = json.loads(
            self.request("POST", "/tools/lookup", uid.encode(), "text/plain")
        )
        return found

    def instance_id(self, sop_instance_uid: str) -> str:
        """The Orthanc id of the instance with this SOP Instance UID (OrthancError if none)."""
        for found in self.lookup(sop_instance_uid):
            if found["Type"] == "Instance":
                return str(found["ID"])
        raise OrthancError(f"no instance with SOP Instance UID {sop_instance_uid}")

    def find(self, level: str, query: Mapping[str, str], *, expand: bool = True) -> list[Any]:
        """Orthanc's own search (POST /tools/find), to cross-check C-FIND results.

        ``level`` is Patient, Study, Series or Instance; ``query`` maps keywords to Orthanc's
        matching values (wildcards ``*``/``?``, date ranges). With ``expand`` each answer is the
        resource's JSON (``MainDicomTags``, ``ID``, ...), else its id.
        """
        payload = {"Level": level, "Query": dict(query), "Expand": expand}
        found: list[Any] = self.post("/tools/find", payload)
        return found

    def add_modality(self, name: str, modality: Modality) -> None:
        """Register (or replace) a DICOM peer while Orthanc runs (PUT /modalities/{name})."""
        body = json.dumps(modality.config()).encode()
        self.request("PUT", f"/modalities/{urllib.parse.quote(name)}", body)
        self.modalities[name] = modality

    def echo_modality(self, name: str) -> bool:
        """Orthanc's C-ECHO SCU to a registered modality; True when it answered Success."""
        try:
            self.request("POST", f"/modalities/{urllib.parse.quote(name)}/echo", b"{}")
        except OrthancError:
            return False
        return True

    def store_to(self, name: str, resources: Sequence[str]) -> dict[str, Any]:
        """Orthanc's C-STORE SCU: send resources (any level) to a modality, synchronously.

        Returns the job's answer (``InstancesCount``, ``FailedInstancesCount``, ...); an
        association or store failure is an :class:`OrthancError`.
        """
        payload = {"Resources": list(resources), "Synchronous": True}
        answer: dict[str, Any] = self.post(f"/modalities/{urllib.parse.quote(name)}/store", payload)
        return answer
