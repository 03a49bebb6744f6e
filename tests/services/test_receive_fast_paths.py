"""The Storage SCP receive path's shortcuts give exactly what the general code gives.

- ``encode_file_meta``'s cached template: the same bytes as building the meta from scratch;
- the UID check's header scan: the same status and comment as decoding the head;
- ``DirectorySink(unnamed_temp_files=True)``: the same files, no temporary name ever visible,
  overwrites and faults as with named temporary files, ``prepare``/``close``;
- ``dicomnet storescp``'s in-memory warm-up association.
"""

from __future__ import annotations

import logging
import os
import struct
import time
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomnet.dataset import DataElement, part10_writer
from dicomnet.services import directory_sink, store_check
from dicomnet.services.storage_scp import StorageSCP, storage_acceptor_config
from dicomnet.services.store import DirectorySink, StoreResult
from dicomnet.services.store_check import DatasetHead
from dicomnet.uid import transfer_syntax
from tests.services.helpers import (
    CT,
    DEFLATED,
    EXPLICIT_BE,
    EXPLICIT_LE,
    IMPLICIT_LE,
    dataset,
    encoded,
    feed,
    request,
)

UID_TEXT = st.text(alphabet="0123456789.", min_size=1, max_size=64)
ANY_UID = st.one_of(UID_TEXT, st.text(max_size=70), st.just(""))
SYNTAXES = [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE, DEFLATED]


# -- File Meta Information template --------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    sop_class=ANY_UID,
    sop_instance=ANY_UID,
    ts=st.sampled_from([*SYNTAXES, "1.2.840.10008.1.2.4.50"]),
    ae=st.one_of(st.none(), st.just(""), st.text(max_size=18)),
)
def test_meta_template_gives_the_bytes_of_a_full_build(
    sop_class: str, sop_instance: str, ts: str, ae: str | None
) -> None:
    def outcome(fast: bool) -> bytes | str:
        try:
            if fast:
                return part10_writer.encode_file_meta(
                    sop_class, sop_instance, ts, source_ae_title=ae
                )
            return part10_writer._encode_file_meta(sop_class, sop_instance, ts, ae, None)
        except Exception as exc:  # the same error either way
            return f"{type(exc).__name__}: {exc}"

    assert outcome(True) == outcome(False)
    assert outcome(True) == outcome(True)  # from the cache this time


def test_meta_template_is_used_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(part10_writer, "_META_TEMPLATES", {})
    monkeypatch.setattr(part10_writer, "_META_TEMPLATES_MAX", 3)
    calls: list[str] = []
    real = part10_writer._encode_file_meta

    def counting(*args: object) -> bytes:
        calls.append(str(args[1]))
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(part10_writer, "_encode_file_meta", counting)
    for n in range(5):
        part10_writer.encode_file_meta(CT, f"1.2.{n}", EXPLICIT_LE, source_ae_title="SCU")
    assert calls == ["1"]  # one template build, then splices only
    for n in range(4):
        part10_writer.encode_file_meta(CT, "1.2.3", EXPLICIT_LE, source_ae_title=f"AE{n}")
    assert len(part10_writer._META_TEMPLATES) <= 3
    # A given preamble or a non-UID instance takes the general path.
    part10_writer.encode_file_meta(CT, "1.2.3", EXPLICIT_LE, preamble=b"\x01" * 128)
    part10_writer.encode_file_meta(CT, "1.2.3 ", EXPLICIT_LE)
    assert calls[-2:] == ["1.2.3", "1.2.3 "]


# -- UID check: header scan versus the codec ------------------------------------------------


def _check(data: bytes, ts: str, want: tuple[str, str], limit: int, fix: bool) -> object:
    head = DatasetHead(transfer_syntax(ts), limit=limit)
    for start in range(0, len(data), 97):
        head.feed(memoryview(data)[start : start + 97])
    return head.check(*want, uid_padding_fix=fix)


def _both(
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    ts: str,
    want: tuple[str, str],
    limit: int = 65536,
    fix: bool = False,
) -> object:
    fast = _check(data, ts, want, limit, fix)
    with monkeypatch.context() as m:
        m.setattr(store_check, "_scan_uids", lambda *_args: None)
        slow = _check(data, ts, want, limit, fix)
    assert fast == slow
    return fast


def _element(tag: int, vr: str, value: bytes, ts: str) -> bytes:
    little = ts != EXPLICIT_BE
    end = "<" if little else ">"
    head = struct.pack(end + "HH", tag >> 16, tag & 0xFFFF)
    if ts == IMPLICIT_LE:
        return head + struct.pack("<L", len(value)) + value
    if vr in ("OB", "OW", "UN", "SQ", "UT", "UC", "UR"):
        return head + vr.encode() + b"\0\0" + struct.pack(end + "L", len(value)) + value
    return head + vr.encode() + struct.pack(end + "H", len(value)) + value


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ts=st.sampled_from(SYNTAXES),
    found=st.tuples(UID_TEXT, UID_TEXT),
    wanted=st.tuples(UID_TEXT, UID_TEXT),
    same=st.booleans(),
    padding=st.sampled_from(["", "\0", " "]),
    fix=st.booleans(),
)
def test_scan_agrees_with_the_codec_on_data_sets(
    monkeypatch: pytest.MonkeyPatch,
    ts: str,
    found: tuple[str, str],
    wanted: tuple[str, str],
    same: bool,
    padding: str,
    fix: bool,
) -> None:
    ds = dataset(found[0] + padding, found[1] + padding)
    want = found if same else wanted
    _both(monkeypatch, encoded(ds, ts), ts, want, fix=fix)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ts=st.sampled_from([EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE]),
    cut=st.integers(0, 200),
    flip=st.tuples(st.integers(0, 200), st.integers(0, 255)),
    limit=st.sampled_from([256, 300, 65536]),
)
def test_scan_agrees_with_the_codec_on_damaged_heads(
    monkeypatch: pytest.MonkeyPatch,
    ts: str,
    cut: int,
    flip: tuple[int, int],
    limit: int,
) -> None:
    ds = dataset(CT, "1.2.3.4")
    ds[0x00080005] = DataElement(0x00080005, "CS", "ISO_IR 100")
    ds[0x00080008] = DataElement(0x00080008, "CS", ["ORIGINAL", "PRIMARY"])
    data = bytearray(encoded(ds, ts))
    if flip[0] < len(data):
        data[flip[0]] = flip[1]
    _both(monkeypatch, bytes(data[: len(data) - cut]), ts, (CT, "1.2.3.4"), limit=limit)


@pytest.mark.parametrize("ts", [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE])
def test_scan_leaves_the_unusual_to_the_codec(monkeypatch: pytest.MonkeyPatch, ts: str) -> None:
    uids = _element(0x00080016, "UI", CT.encode() + b"\0", ts) + _element(
        0x00080018, "UI", b"1.2.3.4\0", ts
    )
    cases = [
        uids,
        _element(0x00080006, "SQ", b"", ts) + uids,  # a sequence before the UIDs
        _element(0x00080005, "UN", b"AB", ts) + uids,
        _element(0x00020010, "UI", b"1.2\0", ts) + uids,  # group 0002 in a data set
        uids + _element(0x00080018, "UI", b"9.9\0", ts),  # a duplicate: the first counts
        _element(0x00080018, "UI", b"1.2.3.4\0", ts) + uids[: len(uids) // 2],
        uids + b"\xfe\xff\x00\xe0\0\0\0\0",  # an item tag at the top level
        uids + b"\x08\x00",  # a cut header after the UIDs
        _element(0x00080016, "CS", CT.encode() + b"\0", ts) + uids[len(uids) // 2 :],
    ]
    results = [_both(monkeypatch, data, ts, (CT, "1.2.3.4")) for data in cases]
    assert results[0] == store_check.UIDCheck(0x0000)


def test_scan_is_what_answers_a_matching_head(monkeypatch: pytest.MonkeyPatch) -> None:
    """The common case never reaches the codec (the point of the scan)."""

    def no_codec(*_args: object, **_kw: object) -> object:
        raise AssertionError("the codec was used")

    monkeypatch.setattr(store_check, "read_dataset_at", no_codec)
    for ts in SYNTAXES:
        assert _check(encoded(dataset(), ts), ts, (CT, "1.2.3.4"), 65536, False).ok  # type: ignore[attr-defined]


# -- Unnamed temporary files ---------------------------------------------------------------

needs_tmpfile = pytest.mark.skipif(
    not getattr(os, "O_TMPFILE", 0), reason="O_TMPFILE is Linux only"
)


def _sink(root: Path, **kw: object) -> DirectorySink:
    sink = DirectorySink(root, unnamed_temp_files=True, **kw)  # type: ignore[arg-type]
    if not sink.unnamed_temp_files:
        pytest.skip("this file system takes no O_TMPFILE files")
    return sink


@needs_tmpfile
@pytest.mark.parametrize("ts", SYNTAXES)
@pytest.mark.parametrize("write_file_format", [True, False])
def test_unnamed_files_store_the_same_bytes(
    tmp_path: Path, ts: str, write_file_format: bool
) -> None:
    named, unnamed = tmp_path / "named", tmp_path / "unnamed"
    named.mkdir()
    unnamed.mkdir()
    data = encoded(dataset(), ts)
    for root, sink in (
        (named, DirectorySink(named, write_file_format=write_file_format)),
        (unnamed, _sink(unnamed, write_file_format=write_file_format)),
    ):
        assert feed(sink.open(request(ts=ts)), data, size=50).status == 0
        assert os.listdir(root) == ["CT.1.2.3.4"]
    assert (named / "CT.1.2.3.4").read_bytes() == (unnamed / "CT.1.2.3.4").read_bytes()
    mode = (named / "CT.1.2.3.4").stat().st_mode
    assert (unnamed / "CT.1.2.3.4").stat().st_mode == mode


@needs_tmpfile
def test_unnamed_file_is_never_visible_and_abort_leaves_nothing(tmp_path: Path) -> None:
    sink = _sink(tmp_path)
    writer = sink.open(request())
    writer.write(memoryview(encoded(dataset()))[:40])
    assert os.listdir(tmp_path) == []
    writer.abort()
    assert writer.commit().status == 0xA700
    assert os.listdir(tmp_path) == []


@needs_tmpfile
def test_unnamed_file_replaces_an_existing_one(tmp_path: Path) -> None:
    seen: list[Path] = []
    sink = _sink(tmp_path, on_overwrite=seen.append)
    (tmp_path / "CT.1.2.3.4").write_bytes(b"old")
    result = feed(sink.open(request()), encoded(dataset()))
    assert result == StoreResult(0, None, tmp_path / "CT.1.2.3.4")
    assert seen == [tmp_path / "CT.1.2.3.4"]
    assert os.listdir(tmp_path) == ["CT.1.2.3.4"]
    assert (tmp_path / "CT.1.2.3.4").read_bytes()[128:132] == b"DICM"


@needs_tmpfile
def test_unnamed_file_refusals_and_empty_data_sets(tmp_path: Path) -> None:
    sink = _sink(tmp_path)
    assert feed(sink.open(request()), encoded(dataset(CT, "9.9"))).status == 0xA900
    assert sink.open(request()).commit().status == 0xC000  # no data set at all
    assert os.listdir(tmp_path) == []


@needs_tmpfile
def test_link_failure_is_out_of_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = _sink(tmp_path)
    writer = sink.open(request())

    def broken(_fd: int, _target: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(directory_sink, "_link_fd", broken)
    result = feed(writer, encoded(dataset()))
    assert result.status == 0xA700
    assert os.listdir(tmp_path) == []


@needs_tmpfile
def test_prepare_makes_one_file_ahead_and_close_drops_it(tmp_path: Path) -> None:
    sink = _sink(tmp_path, prepare_in_thread=False)
    sink.prepare()
    sink.prepare()
    assert len(sink._spares) == 1
    spare = sink._spares[0]
    writer = sink.open(request())
    assert writer._fd == spare  # type: ignore[attr-defined]
    assert feed(writer, encoded(dataset())).status == 0
    sink.prepare()
    sink.close()
    assert sink._spares == []
    assert os.listdir(tmp_path) == ["CT.1.2.3.4"]


def _wait_for_spares(sink: DirectorySink, count: int) -> None:
    for _ in range(2000):  # the helper thread makes them; 10 s at most
        with sink._lock:
            if len(sink._spares) >= count and not sink._queued:
                return
        time.sleep(0.005)
    raise AssertionError(f"the helper thread made {len(sink._spares)} of {count} files")


@needs_tmpfile
def test_the_helper_thread_keeps_files_ready_and_close_drops_them(tmp_path: Path) -> None:
    sink = _sink(tmp_path)
    assert sink.prepare_in_thread
    for _ in range(5):
        sink.prepare()  # one batch of SPARE_FILES asked for, never more
    _wait_for_spares(sink, directory_sink.SPARE_FILES)
    assert len(sink._spares) == directory_sink.SPARE_FILES
    spares = set(sink._spares)
    writer = sink.open(request())
    assert writer._fd in spares  # type: ignore[attr-defined]
    assert feed(writer, encoded(dataset())).status == 0
    quarter = directory_sink.SPARE_FILES // 4
    for _ in range(directory_sink.SPARE_FILES - 2 - quarter):  # one more than a quarter left
        sink.open(request()).abort()
    with sink._lock:
        assert (len(sink._spares), sink._queued) == (quarter + 1, 0)
    sink.open(request()).abort()  # a quarter left: the rest of a batch is asked for at once
    _wait_for_spares(sink, directory_sink.SPARE_FILES)
    sink.close()
    assert sink._spares == []
    assert sink._helper is None
    assert os.listdir(tmp_path) == ["CT.1.2.3.4"]  # unnamed spares leave nothing behind
    sink.prepare()  # usable after close: a new helper
    _wait_for_spares(sink, 1)
    sink.close()
    assert os.listdir(tmp_path) == ["CT.1.2.3.4"]


@needs_tmpfile
def test_dropped_sinks_release_their_files_and_threads(tmp_path: Path) -> None:
    """A sink dropped without close() closes its spare files and lets its thread end (many
    sinks in one process must not pile up descriptors: select() fails above 1023)."""
    import gc
    import threading

    def helpers() -> int:
        return sum(t.name.startswith("dicomnet-sink") for t in threading.enumerate())

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    gc.collect()
    files_before, helpers_before = open_files(), helpers()
    for n in range(30):
        root = tmp_path / str(n)
        root.mkdir()
        sink = _sink(root)
        sink.open(request()).abort()  # a helper thread starts making SPARE_FILES files
        del sink
    gc.collect()
    for _ in range(2000):  # 10 s at most for the helpers to finish their batches
        if open_files() <= files_before + 2 and helpers() <= helpers_before:
            break
        time.sleep(0.005)
    assert open_files() <= files_before + 2
    assert helpers() <= helpers_before


@needs_tmpfile
def test_the_helper_thread_failing_leaves_open_to_make_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = _sink(tmp_path)

    def refused(self: DirectorySink) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(DirectorySink, "_unnamed_file", refused)
    sink.prepare()
    for _ in range(2000):
        with sink._lock:
            if not sink._queued:
                break
        time.sleep(0.005)
    assert sink._spares == []
    monkeypatch.undo()
    assert feed(sink.open(request()), encoded(dataset())).status == 0
    sink.close()
    assert os.listdir(tmp_path) == ["CT.1.2.3.4"]


@pytest.mark.parametrize("unnamed", [True, False])
@pytest.mark.parametrize("size", [1, 4096, 16372, 100_000])
def test_gathered_writes_give_the_same_file(tmp_path: Path, unnamed: bool, size: int) -> None:
    """Fragments gathered into one writev (WRITE_BATCH) or written one by one: same bytes."""
    body = bytes(range(256)) * 3000  # 768,000 bytes: several batches
    ds = dataset()
    ds[0x7FE00010] = DataElement(0x7FE00010, "OB", body)
    data = encoded(ds)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    gathered = DirectorySink(tmp_path / "a", unnamed_temp_files=unnamed)
    one_by_one = DirectorySink(tmp_path / "b", unnamed_temp_files=unnamed)
    writer = gathered.open(request())
    view = memoryview(data)  # views of bytes: gathered
    for start in range(0, len(data), size):
        writer.write(view[start : start + size])
    assert writer.commit().status == 0
    writer = one_by_one.open(request())
    for start in range(0, len(data), size):  # views of a bytearray: written at once
        writer.write(memoryview(bytearray(data[start : start + size])))
    assert writer.commit().status == 0
    gathered.close()
    one_by_one.close()
    a = (tmp_path / "a" / "CT.1.2.3.4").read_bytes()
    assert a == (tmp_path / "b" / "CT.1.2.3.4").read_bytes()
    assert a.endswith(data)


def test_a_short_writev_is_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.writev

    def short(fd: int, parts: list[memoryview | bytes]) -> int:
        first = memoryview(parts[0])
        return real(fd, [first[: max(1, len(first) // 3)]])  # a third of the first buffer only

    monkeypatch.setattr(directory_sink.os, "writev", short)
    data = encoded(dataset())
    sink = DirectorySink(tmp_path)
    writer = sink.open(request())
    writer.write(memoryview(data)[:100])
    writer.write(memoryview(data)[100:])
    assert writer.commit().status == 0
    sink.close()
    assert (tmp_path / "CT.1.2.3.4").read_bytes().endswith(data)


def test_without_o_tmpfile_the_named_path_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directory_sink, "_O_TMPFILE", 0)
    sink = DirectorySink(tmp_path, unnamed_temp_files=True)
    assert not sink.unnamed_temp_files
    sink.prepare()  # a no-op
    writer = sink.open(request())
    writer.write(memoryview(encoded(dataset()))[:20])
    assert any(name.startswith(directory_sink.TEMP_PREFIX) for name in os.listdir(tmp_path))
    writer.abort()
    assert os.listdir(tmp_path) == []


@needs_tmpfile
def test_conversion_still_goes_through_a_named_file(tmp_path: Path) -> None:
    from dicomnet.dataset import WriteOptions

    sink = _sink(tmp_path, options=WriteOptions(transfer_syntax=EXPLICIT_BE))
    assert feed(sink.open(request()), encoded(dataset())).status == 0
    assert os.listdir(tmp_path) == ["CT.1.2.3.4"]


def test_storage_scp_asks_the_sink_to_prepare() -> None:
    class Sink:
        prepared = 0

        def open(self, request: object) -> object:
            raise AssertionError

        def prepare(self) -> None:
            Sink.prepared += 1
            raise OSError("boom")  # logged, never fatal

    class Channel:
        async def send(self, message: object, *, context_id: int, dataset: object = None) -> None:
            pass

    import asyncio

    from dicomnet.services.storage_scp import _Failed, _Pending

    scp = StorageSCP(Sink())  # type: ignore[arg-type]
    pending = _Pending(request(), 1, _Failed(StoreResult(0)))
    asyncio.run(scp._respond(Channel(), pending, StoreResult(0)))  # type: ignore[arg-type]
    assert Sink.prepared == 1
    assert scp.stored == 1


# -- storescp warm-up ----------------------------------------------------------------------


def test_storescp_warm_up_runs_a_whole_association(caplog: pytest.LogCaptureFixture) -> None:
    from dicomnet.pdu import _layout
    from dicomnet_cli.storescp import _warm_up

    caplog.set_level(logging.DEBUG, logger="dicomnet.storescp")
    _warm_up(storage_acceptor_config("STORESCP", "+xe"))
    assert "warm-up association failed" not in caplog.text
    assert _layout._COMPILED  # the PDU layouts are compiled now


def test_storescp_warm_up_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    from dicomnet_cli.storescp import _warm_up

    caplog.set_level(logging.DEBUG, logger="dicomnet.storescp")
    config = storage_acceptor_config("STORESCP", "+xe")
    empty = attrs.evolve(config, supported_contexts=())
    _warm_up(empty)  # nothing to propose: the requestor refuses, the warm-up shrugs
    assert "warm-up association failed" in caplog.text
