"""The archive served by QRSCP over TCP: our find and DCMTK findscu; DCMTK dcmqrscp as a check.

Every query of :data:`tests.archive.data.CASES` is sent (1) with ``dicomnet.services.find`` to
``QRSCP(Archive(folder))`` served by ``dicomnet.transport.serve``, (2) with DCMTK ``findscu``
to the same server, and (3) with our find to DCMTK ``dcmqrscp`` serving the same files. (1) and
(2) must give the expected matches; (3) must agree except where dcmqrscp departs from PS3.4
(:data:`DCMQRSCP_DIFFERS`, each with the section).
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest

from dicomnet.acse import ProposedContext, RequestorConfig
from dicomnet.archive import Archive
from dicomnet.services.find import find
from dicomnet.services.qr_scp import QRSCP, qr_acceptor_config
from dicomnet.services.query import QueryModel, build_identifier
from dicomnet.transport import Timeouts, connect, serve
from tests.archive.data import CASES, PR, S11, SR, UNIQUE, write_files
from tests.peers import dcmtk_env, free_port, require_program, running

TIMEOUTS = Timeouts(connect=5, acse=10, dimse=20)
SYNTAXES = ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")

#: Queries where dcmqrscp (DCMTK 3.6) answers otherwise than PS3.4 C.2.2.2, and why.
_PN_CASE = (
    "PN matched case-sensitively by dcmqrscp; PS3.4 C.2.2.2.1 and C.2.2.2.4 let PN matching be "
    "insensitive to case, as ours is"
)
_EMPTY = "dcmqrscp has no Empty Value Matching (PS3.4 C.2.2.2.7): it takes '\"\"' literally"
DCMQRSCP_DIFFERS: dict[str, str] = {
    "pr-patient-pn-case": _PN_CASE,
    "pr-patient-pn-wild": _PN_CASE,
    "sr-study-pn-wild": _PN_CASE,
    "sr-study-referring-pn": _PN_CASE,
    "ps-patient-wild": _PN_CASE,
    "pr-patient-pn-trailing": (
        "dcmqrscp compares 'Doe^Jane^' literally; trailing empty PN components are insignificant "
        "(PS3.5 6.2, PN), so ours ignores them"
    ),
    "pr-patient-date-empty": _EMPTY,
    "sr-study-time-empty": _EMPTY,
    "sr-study-empty-desc": _EMPTY,
    "pr-study-modalities": (
        "dcmqrscp does not derive Modalities in Study (an optional key, PS3.4 C.6.1.1.3) from the "
        "series and ignores it as a matching key; ours derives and matches it"
    ),
}

Case = tuple[str, QueryModel, str, dict[str, str]]


def _config(called: str) -> RequestorConfig:
    contexts = [
        ProposedContext(m.sop_class("find"), SYNTAXES)
        for m in (QueryModel.PATIENT_ROOT, QueryModel.STUDY_ROOT, QueryModel.PATIENT_STUDY_ONLY)
    ]
    return RequestorConfig(
        calling_ae_title="QRSCU", called_ae_title=called, presentation_contexts=contexts
    )


async def _query_all(port: int, called: str, cases: list[Case]) -> dict[str, Any]:
    """Each case's (final status, set of unique key values) over one association."""
    results: dict[str, Any] = {}
    async with await connect("127.0.0.1", port, _config(called), timeouts=TIMEOUTS) as assoc:
        for name, model, level, keys in cases:
            identifier = build_identifier(keys, level=level)
            responses = [r async for r in find(assoc, identifier, model=model)]
            found = {r.identifier.get_value(UNIQUE[level]) for r in responses[:-1]}
            results[name] = (responses[-1].status, found, responses)
    return results


def _serve_and(folder: Path, client: Callable[[int], Any]) -> Any:
    async def main() -> Any:
        scp = QRSCP(Archive(folder, ae_title="ARCHIVE"))
        config = qr_acceptor_config("ARCHIVE", get=())
        async with await serve(scp, config, "127.0.0.1", 0, timeouts=TIMEOUTS) as server:
            return await client(server.port)

    return asyncio.run(asyncio.wait_for(main(), 120))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("files")
    write_files(root)
    return root


CASE_KEYS: list[Case] = [(c[0], c[1], c[2], c[3]) for c in CASES]
EXPECTED = {c[0]: c[4] for c in CASES}


def test_our_find_against_the_archive(folder: Path) -> None:
    async def client(port: int) -> dict[str, Any]:
        return await _query_all(port, "ARCHIVE", CASE_KEYS)

    results = _serve_and(folder, client)
    for name, (status, found, responses) in results.items():
        assert status == 0x0000, name
        assert found == EXPECTED[name], name
        for rsp in responses[:-1]:
            assert rsp.identifier.get_value("RetrieveAETitle") == "ARCHIVE"


def test_refused_query_is_unable_to_process(folder: Path) -> None:
    cases: list[Case] = [("bad", PR, "STUDY", {"StudyInstanceUID": ""})]

    async def client(port: int) -> dict[str, Any]:
        return await _query_all(port, "ARCHIVE", cases)

    status, found, responses = _serve_and(folder, client)["bad"]
    assert status == 0xC000
    assert found == set()
    assert "PatientID" in (responses[-1].error_comment or "")


def _findscu_args(model: QueryModel, level: str, keys: dict[str, str], out: Path) -> list[str]:
    flag = {PR: "-P", SR: "-S"}.get(model, "-O")
    args = [flag, "-aec", "ARCHIVE", "-X", "-od", str(out), "-k", f"QueryRetrieveLevel={level}"]
    for key, value in keys.items():
        args += ["-k", f"{key}={value}"]
    return args


@pytest.mark.peer
def test_dcmtk_findscu_against_the_archive(folder: Path, tmp_path: Path) -> None:
    exe = require_program("findscu")

    async def client(port: int) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for name, model, level, keys in CASE_KEYS:
            out = tmp_path / name
            out.mkdir()
            cmd = [exe, *_findscu_args(model, level, keys, out), "127.0.0.1", str(port)]
            done = await asyncio.to_thread(
                subprocess.run, cmd, env=dcmtk_env(), capture_output=True, text=True, timeout=30
            )
            assert done.returncode == 0, (name, done.stdout, done.stderr)
            responses = [pydicom.dcmread(p) for p in sorted(out.glob("rsp*.dcm"))]
            found[name] = {str(r[UNIQUE[level]].value) for r in responses}
        return found

    found = _serve_and(folder, client)
    assert found == EXPECTED


@pytest.fixture(scope="module")
def dcmqrscp(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    program = require_program("dcmqrscp")
    root = tmp_path_factory.mktemp("dcmqrscp")
    db = root / "db"
    db.mkdir()
    copies = []
    for n, path in enumerate(sorted(folder.rglob("*.dcm"))):
        copies.append(shutil.copy(path, db / f"{n:04d}.dcm"))
    port = free_port()
    cfg = root / "dcmqrscp.cfg"
    cfg.write_text(
        f"NetworkTCPPort = {port}\nMaxPDUSize = 16384\nMaxAssociations = 16\n"
        "HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\n"
        f"AETable BEGIN\nQRSCP {db} R (100, 64mb) ANY\nAETable END\n"
    )
    subprocess.run(
        [require_program("dcmqridx"), str(db), *map(str, copies)],
        check=True,
        env=dcmtk_env(),
        capture_output=True,
    )
    with running([program, "-c", str(cfg), str(port)], port=port, env=dcmtk_env()):
        yield port


@pytest.mark.peer
def test_dcmqrscp_gives_the_same_matches(dcmqrscp: int) -> None:
    results = asyncio.run(_query_all(dcmqrscp, "QRSCP", CASE_KEYS))
    differ = {}
    for name, (status, found, _) in results.items():
        if found != EXPECTED[name] or status != 0x0000:
            differ[name] = (hex(status), sorted(found), sorted(EXPECTED[name]))
    assert set(differ) == set(DCMQRSCP_DIFFERS), differ


def _serve_with_moves(
    folder: Path, destinations: dict[str, tuple[str, int]], client: Callable[[int], Any]
) -> Any:
    async def main() -> Any:
        archive = Archive(folder, ae_title="ARCHIVE", destinations=destinations)
        scp = QRSCP(archive, connect=functools.partial(connect, timeouts=TIMEOUTS))
        config = qr_acceptor_config("ARCHIVE")
        async with await serve(scp, config, "127.0.0.1", 0, timeouts=TIMEOUTS) as server:
            return await asyncio.to_thread(client, server.port)

    return asyncio.run(asyncio.wait_for(main(), 120))


def _same_elements(sent: Path, received: Path) -> None:
    a, b = pydicom.dcmread(sent), pydicom.dcmread(received)
    assert {e.tag for e in a} == {e.tag for e in b}
    for elem in a:
        assert b[elem.tag].value == elem.value, elem.tag


@pytest.mark.peer
@pytest.mark.parametrize("program", ["movescu", "getscu"])
def test_dcmtk_retrieves_a_study_from_the_archive(
    folder: Path, tmp_path: Path, program: str
) -> None:
    exe = require_program(program)
    out = tmp_path / "out"
    out.mkdir()
    port = free_port()
    args = ["-S", "-aet", "RETRIEVER", "-aec", "ARCHIVE", "-od", str(out)]
    if program == "movescu":
        args += ["-aem", "RETRIEVER", "+P", str(port)]
    args += ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={S11}"]

    def client(qr_port: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args, "127.0.0.1", str(qr_port)],
            env=dcmtk_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = _serve_with_moves(folder, {"RETRIEVER": ("127.0.0.1", port)}, client)
    assert done.returncode == 0, done.stdout + done.stderr
    received = {pydicom.dcmread(p).SOPInstanceUID: p for p in out.iterdir()}
    sent = {pydicom.dcmread(p).SOPInstanceUID: p for p in folder.rglob("*.dcm")}
    assert set(received) == {u for u in sent if u.startswith(S11 + ".")}
    assert len(received) == 3
    for uid, path in received.items():
        _same_elements(sent[uid], path)
