"""DirectorySink, MemorySink and CallbackSink: streaming, atomicity, UID checks, faults."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pydicom
import pytest

from dicomnet.dataset import DataElement, GroupLength, WriteOptions, read_file
from dicomnet.services import directory_sink, store
from dicomnet.services.store import (
    CallbackSink,
    DirectorySink,
    MemorySink,
    OutputDirectoryError,
    StoreResult,
)
from dicomnet.uid import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from tests.peers import require_program
from tests.services.helpers import (
    CT,
    DEFLATED,
    EXPLICIT_BE,
    EXPLICIT_LE,
    IMPLICIT_LE,
    JPEG_BASELINE,
    dataset,
    encoded,
    feed,
    request,
)
from tests.services.test_naming import HOSTILE_UIDS

UNCOMPRESSED = [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE, DEFLATED]


def _files(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def _meta_length(data: bytes) -> int:
    assert data[128:132] == b"DICM"
    return 144 + int.from_bytes(data[140:144], "little")


@pytest.mark.parametrize("ts", UNCOMPRESSED)
@pytest.mark.parametrize("bit_preserving", [True, False])
def test_streamed_file_is_meta_plus_received_bytes(
    tmp_path: Path, ts: str, bit_preserving: bool
) -> None:
    data = encoded(dataset(), ts)
    sink = DirectorySink(tmp_path, bit_preserving=bit_preserving)
    result = feed(sink.open(request(ts=ts)), data, size=5)
    assert result == StoreResult(0x0000, None, tmp_path / "CT.1.2.3.4")
    assert _files(tmp_path) == ["CT.1.2.3.4"]
    written = (tmp_path / "CT.1.2.3.4").read_bytes()
    assert written[_meta_length(written) :] == data  # byte-identical data set part
    # The meta header as MOVESCU.md describes it (read by pydicom, an independent reader).
    fds = pydicom.dcmread(tmp_path / "CT.1.2.3.4")
    meta = fds.file_meta
    assert meta.MediaStorageSOPClassUID == CT
    assert meta.MediaStorageSOPInstanceUID == "1.2.3.4"
    assert meta.TransferSyntaxUID == ts
    assert meta.ImplementationClassUID == IMPLEMENTATION_CLASS_UID
    assert meta.ImplementationVersionName == IMPLEMENTATION_VERSION_NAME
    assert meta.SourceApplicationEntityTitle.strip() == "STORESCU"
    assert fds.PatientName == "Doe^Jane"
    assert fds.SOPInstanceUID == "1.2.3.4"


@pytest.mark.parametrize("ts", UNCOMPRESSED)
def test_dcmdump_reads_stored_file_cleanly(tmp_path: Path, ts: str) -> None:
    dcmdump = require_program("dcmdump")
    sink = DirectorySink(tmp_path)
    assert feed(sink.open(request(ts=ts)), encoded(dataset(), ts)).status == 0
    out = subprocess.run(
        [dcmdump, "-q", "-dc", str(tmp_path / "CT.1.2.3.4")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "E:" not in out.stderr, out.stderr
    assert "W:" not in out.stderr, out.stderr
    assert "(0002,0016) AE [STORESCU]" in out.stdout
    assert "(0010,0010) PN [Doe^Jane]" in out.stdout


def test_write_dataset_only(tmp_path: Path) -> None:
    data = encoded(dataset(), IMPLICIT_LE)
    sink = DirectorySink(tmp_path, write_file_format=False)
    assert feed(sink.open(request(ts=IMPLICIT_LE)), data).status == 0
    assert (tmp_path / "CT.1.2.3.4").read_bytes() == data


def test_compressed_is_stored_as_received_even_when_conversion_is_asked(tmp_path: Path) -> None:
    ds = dataset()
    ds[0x7FE00010] = DataElement(0x7FE00010, "OB", [b"\xff\xd8\xff\xd9"])
    ds = dataset()
    # Encapsulated pixel data written by hand: item with a fragment, then the delimiter.
    data = encoded(ds) + (
        b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff"
        b"\xfe\xff\x00\xe0\x00\x00\x00\x00"
        b"\xfe\xff\x00\xe0\x04\x00\x00\x00\xff\xd8\xff\xd9"
        b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    )
    sink = DirectorySink(tmp_path, options=WriteOptions(transfer_syntax=EXPLICIT_BE))
    assert feed(sink.open(request(ts=JPEG_BASELINE)), data).status == 0
    written = (tmp_path / "CT.1.2.3.4").read_bytes()
    assert written[_meta_length(written) :] == data
    assert read_file(tmp_path / "CT.1.2.3.4").transfer_syntax.uid == JPEG_BASELINE


def test_abort_mid_object_leaves_nothing(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path, unnamed_temp_files=False)  # a named temporary file, visible
    writer = sink.open(request())
    writer.write(memoryview(encoded(dataset()))[:20])
    assert any(name.startswith(directory_sink.TEMP_PREFIX) for name in _files(tmp_path))
    writer.abort()
    assert _files(tmp_path) == []
    writer.abort()  # twice is harmless
    assert writer.commit().status == 0xA700  # a commit after abort stores nothing
    assert _files(tmp_path) == []


def test_abort_in_conversion_mode_leaves_nothing(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path, options=WriteOptions(transfer_syntax=EXPLICIT_BE))
    writer = sink.open(request())
    writer.write(memoryview(encoded(dataset())))
    writer.abort()
    assert _files(tmp_path) == []


@pytest.mark.parametrize("convert", [False, True])
@pytest.mark.parametrize(
    ("ds_class", "ds_instance", "status"),
    [(CT, "1.2.3.5", 0xA900), ("1.2.840.10008.5.1.4.1.1.4", "1.2.3.4", 0xA900)],
)
def test_uid_mismatch_is_a900_and_nothing_stored(
    tmp_path: Path, convert: bool, ds_class: str, ds_instance: str, status: int
) -> None:
    options = WriteOptions(transfer_syntax=IMPLICIT_LE) if convert else None
    sink = DirectorySink(tmp_path, options=options)
    result = feed(sink.open(request()), encoded(dataset(ds_class, ds_instance)))
    assert result.status == status
    assert result.path is None
    assert result.error_comment
    assert _files(tmp_path) == []


@pytest.mark.parametrize("convert", [False, True])
@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x08\x00",
        b"\x08\x00\x16\x00UI\xff\x00short",
        b"\x10\x00\x10\x00PN\x04\x00Doe^",  # no UIDs at all
        b"\x08\x00\x16\x00\x00\x00" * 10,  # not a data set
    ],
)
def test_undecodable_is_c000(tmp_path: Path, convert: bool, data: bytes) -> None:
    options = WriteOptions(group_length=GroupLength.CREATE) if convert else None
    sink = DirectorySink(tmp_path, options=options)
    result = feed(sink.open(request()), data)
    assert result.status == 0xC000
    assert _files(tmp_path) == []


def test_corrupt_deflated_is_c000(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    result = feed(sink.open(request(ts=DEFLATED)), b"\xff\xff\xff\xff" * 50)
    assert result.status == 0xC000
    assert _files(tmp_path) == []


def test_deflated_with_zlib_header_is_tolerated(tmp_path: Path) -> None:
    raw = encoded(dataset(), EXPLICIT_LE)
    sink = DirectorySink(tmp_path)
    assert feed(sink.open(request(ts=DEFLATED)), zlib.compress(raw)).status == 0


def test_uids_after_the_head_limit_are_c000(tmp_path: Path) -> None:
    ds = dataset()
    ds[0x00080005] = DataElement(0x00080005, "CS", "ISO_IR 100")
    ds[0x00080008] = DataElement(0x00080008, "CS", ["X" * 16] * 1000)  # 17 kB before the UIDs
    data = encoded(ds)
    sink = DirectorySink(tmp_path, head_limit=4096)
    assert feed(sink.open(request()), data, size=1000).status == 0xC000
    sink = DirectorySink(tmp_path)  # the default 64 KiB holds them
    assert feed(sink.open(request()), data, size=1000).status == 0


@pytest.mark.parametrize("ts", [EXPLICIT_LE, IMPLICIT_LE, DEFLATED])
def test_head_cut_inside_a_later_element(tmp_path: Path, ts: str) -> None:
    ds = dataset()
    ds[0x00081030] = DataElement(0x00081030, "LO", "x" * 60)
    ds[0x7FE00010] = DataElement(0x7FE00010, "OB", bytes(range(256)) * 2000)
    data = encoded(ds, ts)
    for limit in range(256, 420, 3):  # cuts inside every header and value after (0008,0018)
        sink = DirectorySink(tmp_path, head_limit=limit)
        assert feed(sink.open(request(ts=ts)), data, size=4096).status == 0, limit


def test_uid_padding_fix(tmp_path: Path) -> None:
    data = encoded(dataset(sop_instance="1.2.3.4 "))  # space-padded (wrongly)
    assert feed(DirectorySink(tmp_path).open(request()), data).status == 0xA900
    sink = DirectorySink(tmp_path, uid_padding_fix=True)
    assert feed(sink.open(request()), data).status == 0
    assert _files(tmp_path) == ["CT.1.2.3.4"]


class _DiskFull:
    """os.write replacement that fails with ENOSPC after ``budget`` bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget

    def __call__(self, fd: int, data: memoryview | bytes) -> int:
        if len(data) > self.budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.budget -= len(data)
        return os.write(fd, data)

    def writev(self, fd: int, parts: list[memoryview | bytes]) -> int:
        """os.writev replacement: the same budget (the sink gathers fragments)."""
        size = sum(len(part) for part in parts)
        if size > self.budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.budget -= size
        return os.writev(fd, parts)


@pytest.mark.parametrize("budget", [0, 200, 300])
@pytest.mark.parametrize("convert", [False, True])
def test_disk_full_is_a700_and_no_file_remains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int, convert: bool
) -> None:
    options = WriteOptions(transfer_syntax=EXPLICIT_BE) if convert else None
    sink = DirectorySink(tmp_path, options=options)
    full = _DiskFull(budget)
    monkeypatch.setattr(directory_sink.os, "write", full)
    monkeypatch.setattr(directory_sink.os, "writev", full.writev)
    result = feed(sink.open(request()), encoded(dataset()), size=50)
    monkeypatch.undo()
    assert result.status == 0xA700
    assert "No space left" in (result.error_comment or "")
    assert _files(tmp_path) == []


def test_temp_file_cannot_be_created_is_a700(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = DirectorySink(tmp_path, unnamed_temp_files=False)

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(directory_sink.tempfile, "mkstemp", refuse)
    result = feed(sink.open(request()), encoded(dataset()))
    assert result.status == 0xA700
    assert _files(tmp_path) == []


def test_unnamed_temp_file_cannot_be_created_is_a700(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = DirectorySink(tmp_path)
    if not sink.unnamed_temp_files:
        pytest.skip("this file system has no O_TMPFILE; the named path is tested above")
    real_open = directory_sink.os.open

    def refuse(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & directory_sink._O_TMPFILE == directory_sink._O_TMPFILE:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(directory_sink.os, "open", refuse)
    result = feed(sink.open(request()), encoded(dataset()))
    assert result.status == 0xA700
    assert _files(tmp_path) == []


def test_final_name_is_a_directory_is_a700(tmp_path: Path) -> None:
    (tmp_path / "CT.1.2.3.4").mkdir()
    result = feed(DirectorySink(tmp_path).open(request()), encoded(dataset()))
    assert result.status == 0xA700
    assert _files(tmp_path) == ["CT.1.2.3.4"]


def test_overwrite_warns_and_calls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Path] = []
    sink = DirectorySink(tmp_path, on_overwrite=seen.append)
    assert feed(sink.open(request()), encoded(dataset(name="First"))).status == 0
    assert seen == []
    assert feed(sink.open(request()), encoded(dataset(name="Second"))).status == 0
    assert seen == [tmp_path / "CT.1.2.3.4"]
    assert "overwriting" in caplog.text
    assert b"Second" in (tmp_path / "CT.1.2.3.4").read_bytes()


def test_ignore_writes_nothing(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path, ignore=True)
    assert feed(sink.open(request()), encoded(dataset())).status == 0
    assert feed(sink.open(request("../../x")), b"garbage").status == 0
    assert _files(tmp_path) == []


@pytest.mark.parametrize("uid", HOSTILE_UIDS)
def test_hostile_uid_never_writes_outside_root(tmp_path: Path, uid: str) -> None:
    root = tmp_path / "out"
    root.mkdir()
    outside_before = _files(tmp_path)
    sink = DirectorySink(root)
    result = feed(sink.open(request(uid)), encoded(dataset()))
    assert result.status == 0xC000
    assert result.path is None
    assert _files(root) == []
    assert _files(tmp_path) == outside_before


def test_symlink_planted_in_root_does_not_redirect(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    (root / "CT.1.2.3.4").symlink_to(victim)
    result = feed(DirectorySink(root).open(request()), encoded(dataset()))
    assert result.status == 0
    assert victim.read_bytes() == b"precious"
    assert not (root / "CT.1.2.3.4").is_symlink()
    assert (root / "CT.1.2.3.4").read_bytes()[128:132] == b"DICM"


def test_root_given_through_a_symlink_is_resolved(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    sink = DirectorySink(tmp_path / "link")
    result = feed(sink.open(request()), encoded(dataset()))
    assert result.path == real / "CT.1.2.3.4"


def test_custom_naming_is_checked(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path, naming=lambda rq: f"{rq.calling_ae_title}.dcm")
    assert feed(sink.open(request()), encoded(dataset())).path == tmp_path / "STORESCU.dcm"
    bad = DirectorySink(tmp_path, naming=lambda rq: "../escape")
    assert feed(bad.open(request()), encoded(dataset())).status == 0xC000
    assert not (tmp_path.parent / "escape").exists()


def test_bad_output_directory(tmp_path: Path) -> None:
    with pytest.raises(OutputDirectoryError):
        DirectorySink(tmp_path / "missing")
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OutputDirectoryError):
        DirectorySink(tmp_path / "file")


def test_bit_preserving_excludes_conversions(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bit_preserving"):
        DirectorySink(
            tmp_path, bit_preserving=True, options=WriteOptions(transfer_syntax=IMPLICIT_LE)
        )


def test_unknown_transfer_syntax_is_c000(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    assert feed(sink.open(request(ts="1.2.840.10008.5.1.4.1.1.2")), b"").status == 0xC000


def test_file_mode_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        sink = DirectorySink(tmp_path)
    finally:
        os.umask(old)
    feed(sink.open(request()), encoded(dataset()))
    assert (tmp_path / "CT.1.2.3.4").stat().st_mode & 0o777 == 0o640


def test_memory_sink_collects_and_checks() -> None:
    sink = MemorySink(check_uids=True)
    data = encoded(dataset())
    assert feed(sink.open(request()), data).status == 0
    assert feed(sink.open(request("1.2.3.9")), data).status == 0xA900
    writer = sink.open(request())
    writer.write(memoryview(data))
    writer.abort()
    assert [(rq.sop_instance_uid, got) for rq, got in sink.received] == [("1.2.3.4", data)]


def test_callback_sink() -> None:
    got: list[bytes] = []

    def handler(rq: store.StoreRequest, data: bytes) -> int:
        got.append(data)
        if rq.sop_instance_uid == "9":
            raise RuntimeError("bug")
        return 0xB000

    sink = CallbackSink(handler)
    assert feed(sink.open(request()), b"abc").status == 0xB000
    assert feed(sink.open(request("9")), b"").status == 0xC000
    assert got == [b"abc", b""]


def test_request_from_message_and_response_encode() -> None:
    from dicomnet.dimse import CStoreRQ, Priority, decode_command, encode_command

    rq = CStoreRQ(
        message_id=5,
        affected_sop_class_uid=CT,
        affected_sop_instance_uid="1.2.3",
        priority=Priority.HIGH,
        move_originator_application_entity_title="PACS",
        move_originator_message_id=9,
    )
    req = store.StoreRequest.from_message(
        rq, EXPLICIT_LE, calling_ae_title="PACS", peer_address=("127.0.0.1", 104)
    )
    assert (req.message_id, req.priority, req.move_originator_message_id) == (5, 1, 9)
    assert req.move_originator_ae_title == "PACS"
    rsp = req.response(StoreResult(0xA900, "SOP Instance UID '１.２' does not match\\x" * 3))
    assert rsp.message_id_being_responded_to == 5
    assert rsp.affected_sop_instance_uid == "1.2.3"
    assert rsp.error_comment is not None
    assert len(rsp.error_comment) == 64
    assert decode_command(encode_command(rsp)) == rsp


@pytest.mark.parametrize("uid", HOSTILE_UIDS)
def test_response_to_hostile_request_is_encodable(uid: str) -> None:
    from dicomnet.dimse import decode_command, encode_command

    result = feed(DirectorySink(Path("."), ignore=True).open(request(uid)), b"")
    rsp = request(uid).response(StoreResult(0xC000, f"bad {uid}"))
    assert result.status == 0
    assert decode_command(encode_command(rsp)) == rsp


@pytest.mark.parametrize("uid", ["", "1.2/3", "x" * 100, "1.2.3\x00/"])
def test_hostile_sop_class_uid_is_c000(tmp_path: Path, uid: str) -> None:
    result = feed(DirectorySink(tmp_path).open(request(sop_class=uid)), encoded(dataset()))
    assert result.status == 0xC000
    assert _files(tmp_path) == []


_MOVED = ["DirectorySink", "OutputDirectoryError", "SPARE_FILES", "TEMP_PREFIX", "WRITE_BATCH"]


@pytest.mark.parametrize("name", _MOVED)
def test_directory_sink_names_are_re_exported_by_store(name: str) -> None:
    assert getattr(store, name) is getattr(directory_sink, name)
    assert name in store.__all__
    assert name in dir(store)


def test_store_has_no_other_lazy_names() -> None:
    with pytest.raises(AttributeError, match="no attribute '_FileWriter'"):
        _ = store._FileWriter  # private helpers are not re-exported


def _fresh(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter from the repository root; its printed lines."""
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    return run.stdout.splitlines()


def test_directory_sink_imported_first_has_no_cycle() -> None:
    lines = _fresh(
        "import dicomnet.services.directory_sink as d\n"
        "from dicomnet.services.store import DirectorySink\n"
        "print(DirectorySink is d.DirectorySink)"
    )
    assert lines == ["True"]


def test_the_protocols_alone_do_not_load_the_file_machinery() -> None:
    lines = _fresh(
        "import sys\n"
        "from dicomnet.services.store import MemorySink, StoreRequest\n"
        "print(sorted({'dicomnet.services.directory_sink', 'tempfile', 'mmap'} & set(sys.modules)))"
    )
    assert lines == ["[]"]
