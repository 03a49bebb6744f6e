"""``movescu`` options and issue 6 acceptance cases that no other test exercised end to end
(the audit of MOVESCU.md, option by option).

- Output options (``+t=/+te/+tb/+ti/+td``, ``+cl``, ``+g=/+g/-g``, ``+e/-e``, ``-p/+p``,
  ``+u/-u``, ``-B``, ``+F/-F``): the same move from dcmqrscp received by DCMTK's movescu and by
  ours with the same options gives the same data set bytes (DCMTK as the oracle).
- Incoming ``+x`` preferences for every compressed transfer syntax and ``+xa``: what our Storage
  SCP accepts on the sub-association that pynetdicom's Q/R SCP opens.
- Verification and every Storage SOP class of ``storage-sop-classes.tsv`` accepted on ``+P``.
- ``--no-port`` (rightmost wins over ``+P``), ``-up``, ``DCMDICTPATH``, ``-k`` sequence paths,
  ``-to`` and ``-ta`` firing, exit 67 (release failed).
- Faults with a scripted C-MOVE SCP: hostile SOP Instance UIDs never name a file (inside or
  outside ``-od``); a sub-association aborted mid-object leaves no file and the exit code says
  so; a write failure is 0xA700 and leaves nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from typer.testing import CliRunner, Result

from dicomnet.acse import AcceptorConfig, ProposedContext, RequestorConfig, SupportedContext
from dicomnet.association import DatasetFragment, MessageReceived
from dicomnet.dataset import DataElement, Dataset, WriteOptions, write_dataset
from dicomnet.dimse import CMoveRQ, CMoveRSP, CStoreRQ
from dicomnet.dimse.commands import encode_command
from dicomnet.services.query import IdentifierError, build_identifier
from dicomnet.transport import connect, serve
from dicomnet.uid import STUDY_ROOT_QR_MOVE
from dicomnet_cli.movescu import app
from tests.interop.test_movescu_pynetdicom import (
    CT,
    ELE,
    ILE,
    PyQRSCP,
    _check_files,
    _identifier,
    _keys,
    module_scp,
    scp,
)
from tests.interop.test_movescu_vs_dcmtk import Setup, _split
from tests.interop.test_qr_scu_support import ROOT
from tests.interop.test_storescp_faults import _associate as _raw_associate
from tests.interop.test_storescp_faults import _pdata, _pdv
from tests.peers import dcmtk_env, free_port, peer_missing, require_program, running

pynetdicom = pytest.importorskip("pynetdicom")

__all__ = ["module_scp", "scp"]  # pynetdicom's Q/R SCP fixtures

pytestmark = pytest.mark.peer

ROOT_DIR = Path(__file__).resolve().parents[2]
VERIFICATION = "1.2.840.10008.1.1"
DEFLATED = "1.2.840.10008.1.2.1.99"


@pytest.fixture(scope="module")
def dcmqrscp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    require_program("dcmqrscp")
    require_program("movescu")
    s = Setup(tmp_path_factory.mktemp("audit"), "dcmqrscp")
    with running(s.command(), port=s.port, env=dcmtk_env()):
        yield s


def _side_by_side(s: Setup, tmp_path: Path, options: tuple[str, ...]) -> tuple[Path, Path]:
    """Patient 4 (a sequence, a UT, odd lengths) moved by ours and by DCMTK with ``options``."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    peer = ["127.0.0.1", str(s.port), s.queries[1]]
    our_args = ["-aet", "OURMOVE", "+P", str(s.ours), "-aec", "QRSCP", "-od", str(ours)]
    mine = subprocess.run(
        [sys.executable, "-m", "dicomnet_cli.movescu", *our_args, *options, *peer],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert mine.returncode == 0, mine.stderr
    their_args = ["-aet", "DCMTKMOVE", "+P", str(s.dcmtk), "-aec", "QRSCP", "-od", str(theirs)]
    dcmtk = subprocess.run(
        ["movescu", *their_args, *options, *peer],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=dcmtk_env(),
    )
    assert dcmtk.returncode == 0, dcmtk.stderr
    assert set(os.listdir(ours)) == set(os.listdir(theirs)) == _patient4(s)
    return ours, theirs


def _patient4(s: Setup) -> set[str]:
    return {name for name in s.expected if name.startswith(f"CT.{ROOT}.4.")}


def _inflate(data: bytes) -> bytes:
    return zlib.decompress(data, -15)


@pytest.mark.parametrize(
    ("options", "syntax"),
    [
        (("+t=", "-B", "+F", "+u", "+g=", "+e", "-p"), None),  # every default, spelled out
        (("+te",), "1.2.840.10008.1.2.1"),
        (("+tb",), "1.2.840.10008.1.2.2"),
        (("+ti", "+g"), "1.2.840.10008.1.2"),
        (("+td",), DEFLATED),
        (("+td", "+cl", "1"), DEFLATED),
        (("-g", "-e"), None),
        (("+p", "256", "64"), None),
        (("-u",), None),
    ],
)
def test_output_options_as_dcmtk_writes_them(
    dcmqrscp: Setup, tmp_path: Path, options: tuple[str, ...], syntax: str | None
) -> None:
    ours, theirs = _side_by_side(dcmqrscp, tmp_path, options)
    for name in _patient4(dcmqrscp):
        our_data = _split(ours / name)[2]
        their_data = _split(theirs / name)[2]
        mine = pydicom.dcmread(ours / name, stop_before_pixels=True).file_meta
        dcmtk = pydicom.dcmread(theirs / name, stop_before_pixels=True).file_meta
        assert mine.TransferSyntaxUID == dcmtk.TransferSyntaxUID, name
        if syntax is not None:
            assert mine.TransferSyntaxUID == syntax
        if syntax == DEFLATED:  # zlib streams may differ in framing; the inflated bytes may not
            assert _inflate(our_data) == _inflate(their_data), name
        elif "+p" in options:
            # the file is padded to a multiple of 256 bytes (PS3.10 7.2): the trailing padding
            # makes up for the meta headers' different lengths, everything before it is equal
            assert len((ours / name).read_bytes()) % 256 == 0
            assert len((theirs / name).read_bytes()) % 256 == 0
            assert _unpadded(our_data) == _unpadded(their_data), name
        else:
            assert our_data == their_data, (name, options)


def test_dataset_only_files_are_byte_identical(dcmqrscp: Setup, tmp_path: Path) -> None:
    """``-F``: no meta header, so the whole files are what both tools received."""
    ours, theirs = _side_by_side(dcmqrscp, tmp_path, ("-F",))
    for name in _patient4(dcmqrscp):
        data = (ours / name).read_bytes()
        assert data[128:132] != b"DICM"
        assert data == (theirs / name).read_bytes(), name


def _unpadded(data: bytes) -> bytes:
    """The data set without its top-level Data Set Trailing Padding (FFFC,FFFC), explicit VR
    little endian, which must be the last element."""
    start = data.rfind(b"\xfc\xff\xfc\xffOB\x00\x00")
    assert start >= 0
    (length,) = struct.unpack_from("<I", data, start + 8)
    assert start + 12 + length == len(data)
    return data[:start]


# --- incoming +x preferences and accepted SOP classes, pynetdicom's Q/R SCP as the peer ---------

runner = CliRunner()

#: DCMTK's compressed +x options and the transfer syntax each prefers (movescu --help).
COMPRESSED = {
    "+xs": "1.2.840.10008.1.2.4.70",
    "+xy": "1.2.840.10008.1.2.4.50",
    "+xx": "1.2.840.10008.1.2.4.51",
    "+xv": "1.2.840.10008.1.2.4.90",
    "+xw": "1.2.840.10008.1.2.4.91",
    "+xt": "1.2.840.10008.1.2.4.80",
    "+xu": "1.2.840.10008.1.2.4.81",
    "+xm": "1.2.840.10008.1.2.4.100",
    "+xh": "1.2.840.10008.1.2.4.101",
    "+xn": "1.2.840.10008.1.2.4.102",
    "+xl": "1.2.840.10008.1.2.4.103",
    "+x2": "1.2.840.10008.1.2.4.104",
    "+x3": "1.2.840.10008.1.2.4.105",
    "+xo": "1.2.840.10008.1.2.4.106",
    "+x4": "1.2.840.10008.1.2.4.107",
    "+x5": "1.2.840.10008.1.2.4.108",
    "+xr": "1.2.840.10008.1.2.5",
}


def _invoke(scp: PyQRSCP, out: Path, *args: str) -> Result:
    """Our movescu in this process (CliRunner), receiving on a free port registered as MOVESCU."""
    listen = free_port()
    scp.destinations["MOVESCU"] = listen
    argv = ["-aec", "PYQRSCP", "+P", str(listen), "-od", str(out), "-to", "10", "-td", "30"]
    return runner.invoke(app, [*argv, *args, "127.0.0.1", str(scp.port)])


@pytest.mark.parametrize("option", sorted(COMPRESSED))
def test_compressed_preference_accepts_its_syntax(
    scp: PyQRSCP, tmp_path: Path, option: str
) -> None:
    """pynetdicom proposes the option's syntax alone in one context and uncompressed syntaxes in
    another: both are accepted (a compressed preference keeps the uncompressed alternatives), and
    the objects come through the uncompressed one intact."""
    syntax = COMPRESSED[option]
    scp.sub_contexts = [(CT, [syntax]), (CT, [ILE, ELE])]
    keys = _keys(scp, "-P", "IMAGE")
    result = _invoke(scp, tmp_path, option, *keys)
    assert result.exit_code == 0, result.stderr
    assert scp.accepted == [sorted([(CT, syntax), (CT, ELE)])]
    _check_files(scp, tmp_path, scp.select(_identifier(keys)))


def test_accept_all_and_uncompressed_only(scp: PyQRSCP, tmp_path: Path) -> None:
    """``+xa`` accepts every compressed proposal; ``+x=`` (the default) none of them."""
    scp.sub_contexts = [(CT, [COMPRESSED["+xy"]]), (CT, [COMPRESSED["+xr"]]), (CT, [ILE, ELE])]
    keys = _keys(scp, "-P", "IMAGE")
    result = _invoke(scp, tmp_path, "+xa", *keys)
    assert result.exit_code == 0, result.stderr
    expected = [(CT, COMPRESSED["+xy"]), (CT, COMPRESSED["+xr"]), (CT, ELE)]
    assert scp.accepted == [sorted(expected)]
    scp.reset()
    scp.sub_contexts = [(CT, [COMPRESSED["+xy"]]), (CT, [COMPRESSED["+xr"]]), (CT, [ILE, ELE])]
    again = tmp_path / "again"
    again.mkdir()
    result = _invoke(scp, again, "+x=", *keys)
    assert result.exit_code == 0, result.stderr
    assert scp.accepted == [[(CT, ELE)]]


def _storage_classes() -> list[str]:
    rows = (ROOT_DIR / "scripts" / "data" / "storage-sop-classes.tsv").read_text().splitlines()
    return [row.split("\t")[0] for row in rows if row and not row.startswith(("#", "uid\t"))]


def test_verification_and_every_storage_sop_class_accepted_on_the_port(
    scp: PyQRSCP, tmp_path: Path
) -> None:
    """Before storing, pynetdicom's move handler opens associations to our ``+P`` port proposing
    Verification and every Storage SOP class of the table (127 contexts at most per association,
    PS3.8 9.3.2.2): all are accepted and a C-ECHO succeeds."""
    classes = _storage_classes()
    assert len(classes) > 200
    accepted: set[str] = set()
    echoes: list[int] = []

    def probe(port: int) -> None:
        wanted = [VERIFICATION, *classes]
        for start in range(0, len(wanted), 127):
            ae = pynetdicom.AE(ae_title="PYQRSCP")
            ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
            for uid in wanted[start : start + 127]:
                ae.add_requested_context(uid, [ELE, ILE])
            assoc = ae.associate("127.0.0.1", port, ae_title="MOVESCU")
            assert assoc.is_established
            accepted.update(str(cx.abstract_syntax) for cx in assoc.accepted_contexts)
            if start == 0:
                echoes.append(int(assoc.send_c_echo().Status))
            assoc.release()

    scp.before_store = probe
    result = _invoke(scp, tmp_path, *_keys(scp, "-P", "IMAGE"))
    assert result.exit_code == 0, result.stderr
    assert echoes == [0x0000]
    assert accepted == {VERIFICATION, *classes}
    assert len(os.listdir(tmp_path)) == 1


def test_release_failure_exits_67(scp: PyQRSCP, tmp_path: Path) -> None:
    """The peer never answers the A-RELEASE-RQ (its ACSE handler stalls past our ``-ta 1``): the
    moves succeeded but the association did not end properly, exit 67."""
    scp.stall_release = 3.0
    result = _invoke(scp, tmp_path, "-ta", "1", *_keys(scp, "-P", "IMAGE"))
    assert result.exit_code == 67, result.stderr
    assert "release" in result.stderr
    assert len(os.listdir(tmp_path)) == 1


# --- a scripted C-MOVE SCP performing its own sub-operations (faults, -up) ----------------------

LE = "1.2.840.10008.1.2.1"
SubOperations = Callable[[int], Awaitable[list[int]]]


def _scripted_move(
    out: Path, sub_operations: SubOperations, *args: str, abort: bool = False
) -> tuple[Result, list[int]]:
    """Our movescu against a C-MOVE SCP whose sub-operations are ``sub_operations(+P port)``
    (returning the C-STORE-RSP statuses); its final response reports them (PS3.4 C.4.2.1.5:
    0xB000 when any failed), or with ``abort`` it aborts the C-MOVE association instead."""
    listen = free_port()
    statuses: list[int] = []

    async def handle(assoc: Any) -> None:
        request: CMoveRQ | None = None
        context_id = 0
        async for event in assoc.events():
            if isinstance(event, MessageReceived) and isinstance(event.message, CMoveRQ):
                request, context_id = event.message, event.context_id
            elif isinstance(event, DatasetFragment) and event.last and request is not None:
                statuses.extend(await sub_operations(listen))
                if abort:
                    await assoc.abort()
                    return
                failed = sum(1 for status in statuses if status != 0)
                rsp = CMoveRSP(
                    message_id_being_responded_to=request.message_id,
                    status=0xB000 if failed else 0x0000,
                    affected_sop_class_uid=request.affected_sop_class_uid,
                    number_of_completed_sub_operations=len(statuses) - failed,
                    number_of_failed_sub_operations=failed,
                    number_of_warning_sub_operations=0,
                )
                await assoc.send(rsp, context_id=context_id)

    async def main() -> Result:
        config = AcceptorConfig(
            ae_titles=("QRSCP",), supported_contexts=(SupportedContext(STUDY_ROOT_QR_MOVE, (LE,)),)
        )
        async with await serve(handle, config, "127.0.0.1", 0) as server:
            argv = ["-S", "-aec", "QRSCP", "+P", str(listen), "-od", str(out), "-to", "5"]
            argv += ["-td", "10", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2"]
            argv += [*args, "127.0.0.1", str(server.port)]
            return await asyncio.to_thread(runner.invoke, app, argv)

    return asyncio.run(asyncio.wait_for(main(), 60)), statuses


def _store_back(objects: list[tuple[str, bytes]]) -> SubOperations:
    """C-STOREs of (Affected SOP Instance UID, data set bytes) over one sub-association."""

    async def run(port: int) -> list[int]:
        config = RequestorConfig(
            calling_ae_title="QRSCP",
            called_ae_title="MOVESCU",
            presentation_contexts=(ProposedContext(CT, (LE,)),),
        )
        statuses = []
        async with await connect("127.0.0.1", port, config) as assoc:
            context_id = next(iter(assoc.negotiated.accepted))  # type: ignore[union-attr]
            for uid, data in objects:
                rq = CStoreRQ(
                    message_id=assoc.next_message_id(),
                    affected_sop_class_uid=CT,
                    affected_sop_instance_uid=uid,
                )
                await assoc.send(rq, context_id=context_id, dataset=data)
                statuses.append((await assoc.receive_message()).message.status)
        return statuses

    return run


def _small(uid: str) -> bytes:
    ds = Dataset()
    ds[0x00080016] = DataElement(0x00080016, "UI", CT)
    ds[0x00080018] = DataElement(0x00080018, "UI", uid)
    ds[0x00100020] = DataElement(0x00100020, "LO", "PID-UP")
    return write_dataset(ds, WriteOptions(transfer_syntax=LE))


def test_uid_padding_fix_end_to_end(tmp_path: Path) -> None:
    """The peer space-pads the data set's SOP Instance UID (wrongly; PS3.5 6.2 pads UI with
    NUL): answered 0xA900 and not stored by default (exit 68 from the peer's Warning); ``-up``
    accepts and stores it under the request's UID."""
    data = _small("1.2.3.4 ")
    out = tmp_path / "plain"
    out.mkdir()
    result, statuses = _scripted_move(out, _store_back([("1.2.3.4", data)]))
    assert statuses == [0xA900]
    assert result.exit_code == 68, result.stderr
    assert os.listdir(out) == []
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    result, statuses = _scripted_move(fixed, _store_back([("1.2.3.4", data)]), "-up")
    assert statuses == [0x0000]
    assert result.exit_code == 0, result.stderr
    assert os.listdir(fixed) == ["CT.1.2.3.4"]


HOSTILE = ["../1.2.3", "1.2/../../evil", "/tmp/evil", "1.2.3\\..\\x", "..", "1.2.\x1b3"]


def test_hostile_sop_instance_uids_never_name_a_file(tmp_path: Path) -> None:
    """Request and data set carry the same hostile SOP Instance UID: every C-STORE is refused
    (0xC000), nothing is written inside or outside ``-od``, the move ends with a Warning."""
    out = tmp_path / "out"
    out.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    objects = [(uid, _small(uid)) for uid in HOSTILE] + [("1.2.3.5", _small("1.2.3.5"))]
    result, statuses = _scripted_move(out, _store_back(objects))
    assert statuses == [0xC000] * len(HOSTILE) + [0x0000]
    assert result.exit_code == 68, result.stderr
    assert os.listdir(out) == ["CT.1.2.3.5"]
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not Path("/tmp/evil").exists()


@pytest.mark.parametrize(("abort", "code"), [(False, 68), (True, 69)])
def test_sub_association_aborted_mid_object_leaves_no_file(
    tmp_path: Path, abort: bool, code: int
) -> None:
    """The storing peer sends the C-STORE-RQ and half of the data set, then A-ABORT: no file under
    a final name nor a temporary one. The C-MOVE then ends with a Warning (exit 68), or the
    peer aborts the C-MOVE association too (exit 69, the move did not complete)."""
    data = _small("1.2.3.6") + bytes(4000)  # the tail never arrives

    async def half_then_abort(port: int) -> list[int]:
        def raw() -> None:
            sock, context_id = _raw_associate(port)
            with sock:
                rq = CStoreRQ(
                    message_id=1, affected_sop_class_uid=CT, affected_sop_instance_uid="1.2.3.6"
                )
                sock.sendall(_pdata(_pdv(context_id, 0x03, encode_command(rq))))
                sock.sendall(_pdata(_pdv(context_id, 0x00, data[: len(data) // 2])))
                sock.sendall(b"\x07\x00\x00\x00\x00\x04\x00\x00\x00\x00")  # A-ABORT

        await asyncio.to_thread(raw)
        return [0xA700]  # the sub-operation failed, as a real SCP would count it

    result, _statuses = _scripted_move(tmp_path, half_then_abort, abort=abort)
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == []


def test_no_port_rightmost_wins_and_a_move_to_ourselves_fails(
    dcmqrscp: Setup, tmp_path: Path
) -> None:
    """``+P n --no-port``: the rightmost wins, nothing listens, dcmqrscp cannot store to us; the
    move does not succeed and nothing is written."""
    argv = ["-aet", "OURMOVE", "-aec", "QRSCP", "+P", str(dcmqrscp.ours), "--no-port"]
    argv += ["-od", str(tmp_path), "-to", "10", "-td", "30"]
    result = runner.invoke(app, [*argv, "127.0.0.1", str(dcmqrscp.port), dcmqrscp.queries[1]])
    assert result.exit_code == 69, result.stderr  # dcmqrscp: 0xA702, every sub-operation failed
    assert "move 1 failed" in result.stderr
    assert "failed 2" in result.stderr
    assert os.listdir(tmp_path) == []


def _dcmtk_dictionary() -> Path:
    found = sorted(Path("/usr/share").glob("libdcmtk*/dicom.dic"))
    if not found:
        peer_missing("DCMTK's dicom.dic not found under /usr/share/libdcmtk*")
    return found[-1]


def test_dcmdictpath_replaces_the_dictionary(
    scp: PyQRSCP, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With DCMTK's own dictionary in ``DCMDICTPATH`` the keywords resolve and the retrieve
    works; a dictionary without Patient ID makes ``-k PatientID=...`` a one-line error."""
    monkeypatch.setenv("DCMDICTPATH", str(_dcmtk_dictionary()))
    keys = _keys(scp, "-P", "IMAGE")
    result = _invoke(scp, tmp_path, *keys)
    assert result.exit_code == 0, result.stderr
    assert len(os.listdir(tmp_path)) == 1
    small = tmp_path / "small.dic"
    small.write_text("(0008,0052)\tCS\tQueryRetrieveLevel\t1\tdicom\n")
    monkeypatch.setenv("DCMDICTPATH", str(small))
    result = _invoke(scp, tmp_path, *keys)
    assert result.exit_code == 1, result.stderr
    assert "PatientID" in result.stderr
    assert "Traceback" not in result.stderr


def _console(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / name), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_unloadable_dictionary_is_one_line(tmp_path: Path) -> None:
    """MOVESCU.md: an unloadable dictionary is an error; a user mistake is one clear line
    (the ``-k`` key cannot be resolved: exit 1)."""
    env = dict(os.environ, DCMDICTPATH=str(tmp_path / "missing.dic"))
    done = _console("movescu", "-k", "PatientID=X", "127.0.0.1", "104", env=env)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "missing.dic" in done.stderr


def test_build_identifier_reports_an_unloadable_dictionary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DCMDICTPATH", str(tmp_path / "missing.dic"))
    with pytest.raises(IdentifierError, match=r"missing\.dic"):
        build_identifier(["PatientID=X"])
    with pytest.raises(IdentifierError, match=r"missing\.dic"):
        build_identifier(["0010,0020=X"])


def test_dicomnet_findscu_with_an_unloadable_dictionary_is_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, DCMDICTPATH=str(tmp_path / "missing.dic"))
    done = _console("dicomnet", "findscu", "-S", "-k", "PatientID=X", "127.0.0.1", "104", env=env)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_write_failure_is_a700_and_leaves_nothing(tmp_path: Path) -> None:
    """The final name is taken by a directory: the C-STORE is answered 0xA700 (Out of Resources),
    no temporary file stays, the directory is untouched; the other object is stored."""
    (tmp_path / "CT.1.2.3.7").mkdir()
    objects = [("1.2.3.7", _small("1.2.3.7")), ("1.2.3.8", _small("1.2.3.8"))]
    result, statuses = _scripted_move(tmp_path, _store_back(objects))
    assert statuses == [0xA700, 0x0000]
    assert result.exit_code == 68, result.stderr
    assert sorted(os.listdir(tmp_path)) == ["CT.1.2.3.7", "CT.1.2.3.8"]
    assert os.listdir(tmp_path / "CT.1.2.3.7") == []


def test_key_paths_into_sequences_reach_the_peer(scp: PyQRSCP, tmp_path: Path) -> None:
    """Beyond DCMTK: ``-k`` paths into sequence items, with keyword and tag spellings and an
    empty value, arrive in the C-MOVE identifier as pynetdicom decodes it."""
    keys = _keys(scp, "-S", "STUDY")
    extra = [
        "-k", "ReferencedStudySequence[0].ReferencedSOPClassUID=1.2.840.10008.3.1.2.3.1",
        "-k", "ReferencedStudySequence[1].(0008,1155)=1.2.3.4",
        "-k", "0010,0010",
    ]  # fmt: skip
    result = _invoke(scp, tmp_path, "-S", *keys, *extra)
    assert result.exit_code == 0, result.stderr
    (move,) = scp.moves
    identifier = move["identifier"]
    assert identifier.QueryRetrieveLevel == "STUDY"
    items = identifier.ReferencedStudySequence
    assert len(items) == 2
    assert items[0].ReferencedSOPClassUID == "1.2.840.10008.3.1.2.3.1"
    assert items[1].ReferencedSOPInstanceUID == "1.2.3.4"
    assert identifier.PatientName == ""
    assert len(os.listdir(tmp_path)) == 4


def test_connection_and_acse_timeouts(tmp_path: Path) -> None:
    """``-to``: a listener whose backlog is full never completes the TCP handshake; ``-ta``: a
    listener that accepts but never answers the A-ASSOCIATE-RQ. Both exit 61 within seconds."""
    with socket.socket() as silent, socket.socket() as full:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the backlog; nobody reads them
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        fillers = []
        for _ in range(3):  # fill the backlog: further SYNs are dropped (Linux)
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(full.getsockname())
            fillers.append(filler)
        try:
            for port, args, what in [
                (full.getsockname()[1], ["-to", "1"], "timed out after 1.0 s"),
                (silent.getsockname()[1], ["-ta", "1"], "timed out"),
            ]:
                start = time.monotonic()
                result = runner.invoke(
                    app, [*args, "-od", str(tmp_path), "-k", "PatientID=X", "127.0.0.1", str(port)]
                )
                assert time.monotonic() - start < 10
                assert result.exit_code == 61, result.stderr
                assert what in result.stderr
                assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        finally:
            for filler in fillers:
                filler.close()
