"""Directory sink (DCMTK storescp/movescu ``-od``): each received data set to a file in a root.

:class:`DirectorySink` writes files atomically (temporary file in the root, then ``os.replace``;
with ``unnamed_temp_files`` an unnamed Linux ``O_TMPFILE`` inode linked under its final name,
made ahead by a helper thread), streaming the received bytes to disk behind a File Meta
Information built from the request (PS3.10 §7.1), and checking the SOP Class/Instance UIDs from a
bounded head of the data set only (PS3.4 §B.2.3, :mod:`dicomnet.services.store_check`). Only when
an output conversion is asked is the data set decoded and re-encoded. The sink protocol it
implements is in :mod:`dicomnet.services.store`; see ``docs/storage-scp.md`` for where it is
stricter than DCMTK.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from dicomnet.dataset import (
    DataElement,
    Dataset,
    GroupLength,
    LengthEncoding,
    Padding,
    WriteOptions,
    encode_dataset,
    encode_file,
    encode_file_meta,
    read_dataset,
)
from dicomnet.dimse.status import SUCCESS
from dicomnet.errors import DatasetDecodeError, DatasetEncodeError, DicomNetError
from dicomnet.services.naming import (
    UnsafeFileNameError,
    check_file_name,
    dcmtk_file_name,
    is_safe_uid,
)
from dicomnet.services.store import StoreRequest, StoreResult, StoreWriter, _RefusedWriter
from dicomnet.services.store_check import (
    CANNOT_UNDERSTAND,
    DEFAULT_HEAD_LIMIT,
    OUT_OF_RESOURCES,
    DatasetHead,
    check_uids,
)
from dicomnet.uid import TransferSyntax, transfer_syntax

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = [
    "SPARE_FILES",
    "TEMP_PREFIX",
    "WRITE_BATCH",
    "DirectorySink",
    "OutputDirectoryError",
]

# The sink's records keep the logger name they had before the module was split off.
logger = logging.getLogger("dicomnet.services.store")

TEMP_PREFIX: Final = ".dicomnet-"
"""Prefix of the temporary files a :class:`DirectorySink` creates in its root."""

#: Unnamed files a :class:`DirectorySink`'s helper thread makes in one go (one hand-over to
#: the thread per this many objects); it is asked again when at most a quarter are left.
SPARE_FILES: Final = 8


class OutputDirectoryError(DicomNetError, OSError):
    """The output directory of a :class:`DirectorySink` is missing or not writable."""


def _output_options(options: WriteOptions, ts: TransferSyntax) -> WriteOptions | None:
    """The options to re-encode with, or ``None`` when the received bytes can be stored as is.

    Compressed (encapsulated) data is never converted to another transfer syntax, nor is
    anything converted to a compressed one (there are no codecs): the syntax is then kept.
    Padding "off" needs no re-encoding: received (FFFC,FFFC) padding is kept (documented).
    """
    target = options.transfer_syntax
    if target is not None and target != ts.uid:
        if ts.encapsulated or transfer_syntax(target).encapsulated:
            logger.warning("not converting %s to %s: stored as received", ts.uid, target)
            options = attrs.evolve(options, transfer_syntax=None)
    elif target is not None:
        options = attrs.evolve(options, transfer_syntax=None)
    if (
        options.transfer_syntax is None
        and options.group_length is GroupLength.RECALC
        and options.length_encoding is LengthEncoding.EXPLICIT
        and options.padding is not Padding.CREATE
        and options.new_vrs
    ):
        return None
    return options


def _write_all(fd: int, data: memoryview | bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


_O_TMPFILE: Final = getattr(os, "O_TMPFILE", 0)
_ANCHOR: list[int] = []


def _link_fd(fd: int, target: str) -> None:
    """Give the unnamed file ``fd`` the name ``target`` (``linkat`` through ``/proc/self/fd``).

    ``os.link`` only calls ``linkat`` with ``AT_SYMLINK_FOLLOW`` when a directory fd is given;
    the source path is absolute, so the one given (of ``/``) is not used.
    """
    if not _ANCHOR:
        _ANCHOR.append(os.open("/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
    os.link(f"/proc/self/fd/{fd}", target, src_dir_fd=_ANCHOR[0], follow_symlinks=True)


def _unnamed_temp_files_work(root: str) -> bool:
    """Whether ``root`` takes ``O_TMPFILE`` files and they can be linked (probed once)."""
    if not _O_TMPFILE:
        return False
    try:
        fd = os.open(root, _O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except OSError:
        return False
    try:
        probe = os.path.join(root, f"{TEMP_PREFIX}probe-{os.getpid()}-{os.urandom(6).hex()}")
        _link_fd(fd, probe)
        os.unlink(probe)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _writev_all(fd: int, parts: list[bytes | memoryview], total: int) -> None:
    """Write ``parts`` (``total`` bytes) with as few system calls as the kernel allows."""
    written = os.writev(fd, parts)
    if written >= total:
        return
    for part in parts:  # a short write (rare): finish part by part
        size = len(part)
        if written >= size:
            written -= size
            continue
        _write_all(fd, memoryview(part)[written:])
        written = 0


#: Fragments are gathered up to this many bytes and written with one ``writev`` (PDUs are
#: 16 KiB from most peers: one system call per 4 of them instead of one each, which saves
#: ~40% of the write CPU here; larger batches save little more and leave more to write at
#: commit, just before the response).
WRITE_BATCH: Final = 64 * 1024
_IOV_MAX: Final = 512  # below every platform's IOV_MAX (1024 on Linux)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class DirectorySink:
    """Writes each received data set to a file in ``root`` (DCMTK storescp/movescu ``-od``).

    - ``naming``: ``"dcmtk"`` for ``<prefix>.<SOPInstanceUID>`` (:mod:`~dicomnet.services.naming`),
      or a function of the request returning a file name (checked to be a plain component).
      A request whose UID cannot be a safe name is answered 0xC000 and nothing is written.
    - ``write_file_format``: Part 10 with File Meta Information (``+F``), else data set only
      (``-F``).
    - ``bit_preserving``: store the bytes exactly as received (``+B``); ``options`` must then be
      the default. ``options``: a :class:`WriteOptions` for normal mode (``-B``); when it asks for
      a conversion the data set is spooled, decoded and re-encoded, else it is streamed as is.
    - ``ignore``: answer success and write nothing (``--ignore``).
    - ``uid_padding_fix``: tolerate space-padded UIDs in the check (``-up``).
    - ``on_overwrite``: called with the path before an existing file is replaced (a warning is
      logged in any case).
    - ``head_limit``: bytes of the data set kept for the UID check.
    - ``unnamed_temp_files``: where Linux supports it (``O_TMPFILE``, probed once), stream each
      data set into an unnamed file in ``root`` and link it under its final name at commit: one
      directory operation per object instead of two (create, rename), and nothing to clean up
      after a crash. Elsewhere, and when a conversion is asked, a named temporary file is used.
      :meth:`prepare` then makes the next one ahead of time (a Storage SCP calls it after each
      response, while the peer sends the next object); :meth:`close` drops it.
    - ``prepare_in_thread``: with unnamed files, :meth:`prepare` leaves the making to one helper
      thread, :data:`SPARE_FILES` at a time, while the caller goes on (the inode allocation is
      the costly step of receiving a small object when the file system is busy, and the system
      call runs without the GIL); :meth:`open` takes a ready one and asks for more when few
      are left. Without it, :meth:`prepare` makes one in the caller's thread. :meth:`close`
      waits for the helper and drops what it made.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        naming: str | Callable[[StoreRequest], str] = "dcmtk",
        write_file_format: bool = True,
        bit_preserving: bool = False,
        options: WriteOptions | None = None,
        ignore: bool = False,
        uid_padding_fix: bool = False,
        on_overwrite: Callable[[Path], None] | None = None,
        head_limit: int = DEFAULT_HEAD_LIMIT,
        unnamed_temp_files: bool = True,
        prepare_in_thread: bool = True,
    ) -> None:
        if naming != "dcmtk" and not callable(naming):
            raise ValueError(f"unknown naming {naming!r} (use 'dcmtk' or a function)")
        opts = options if options is not None else WriteOptions()
        if bit_preserving and opts != WriteOptions(bit_preserving=opts.bit_preserving):
            raise ValueError("bit_preserving (+B) excludes every output conversion option")
        if opts.bit_preserving:
            opts = attrs.evolve(opts, bit_preserving=False)
        if head_limit < 256:
            raise ValueError("head_limit must be at least 256 bytes")
        real = os.path.realpath(root)
        if not ignore:
            if not os.path.isdir(real):
                raise OutputDirectoryError(f"output directory {os.fspath(root)!r} does not exist")
            if not os.access(real, os.W_OK | os.X_OK):
                raise OutputDirectoryError(f"output directory {os.fspath(root)!r} is not writable")
        self.root = Path(real)
        self.naming = naming
        self.write_file_format = write_file_format
        self.bit_preserving = bit_preserving
        self.options = opts
        self.ignore = ignore
        self.uid_padding_fix = uid_padding_fix
        self.on_overwrite = on_overwrite
        self.head_limit = head_limit
        self._file_mode = 0o666 & ~_umask()
        self.unnamed_temp_files = (
            unnamed_temp_files and not ignore and _unnamed_temp_files_work(real)
        )
        self.prepare_in_thread = prepare_in_thread
        self._spares: list[int] = []  # unnamed files made ahead, ready to take
        self._lock = threading.Lock()  # guards _spares, _queued, _state with the helper thread
        self._queued = 0  # files asked of the helper thread and not yet made
        self._state = _HelperState()
        # A sink dropped without close() must not keep its files open or its thread alive.
        weakref.finalize(self, _release_spares, self._state, self._spares, self._lock)

    @property
    def _helper(self) -> ThreadPoolExecutor | None:
        return self._state.helper

    def _unnamed_file(self) -> int:
        """A new unnamed file in the root, already with the final file mode (it has no name)."""
        fd = os.open(self.root, _O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, self._file_mode)
        except OSError:
            os.close(fd)
            raise
        return fd

    def _take_unnamed_file(self) -> int:
        with self._lock:
            fd = self._spares.pop() if self._spares else -1
        if fd < 0:
            fd = self._unnamed_file()
        if self.prepare_in_thread:
            self.prepare()  # the next object's file is made while this one arrives
        return fd

    def prepare(self) -> None:
        """Make the next object's unnamed file now, off the critical path (see the class doc).

        Does nothing without ``unnamed_temp_files``, or when enough are ready or on their way;
        errors are left to :meth:`open`.
        """
        if not self.unnamed_temp_files:
            return
        if not self.prepare_in_thread:
            if not self._spares:
                try:
                    self._spares.append(self._unnamed_file())
                except OSError as exc:
                    logger.debug("cannot prepare a file in %s: %s", self.root, exc)
            return
        with self._lock:
            if self._queued or len(self._spares) > SPARE_FILES // 4:
                return
            count = SPARE_FILES - len(self._spares)
            helper = self._state.helper
            if helper is None:
                from concurrent.futures import ThreadPoolExecutor  # only when used

                helper = ThreadPoolExecutor(1, thread_name_prefix="dicomnet-sink")
                self._state.helper = helper
            self._queued = count
        helper.submit(self._make_spares, count)

    def _make_spares(self, count: int) -> None:
        """In the helper thread: make ``count`` unnamed files, each ready as soon as made."""
        for made in range(count):
            try:
                fd = self._unnamed_file()
            except OSError as exc:
                logger.debug("cannot prepare a file in %s: %s", self.root, exc)
                with self._lock:
                    self._queued -= count - made
                return
            with self._lock:
                self._queued -= 1
                if self._state.released:  # the sink was dropped meanwhile
                    os.close(fd)
                else:
                    self._spares.append(fd)

    def close(self) -> None:
        """Drop the files made ahead by :meth:`prepare` (they have no name: nothing remains).

        Waits for the helper thread first; the sink stays usable (a later :meth:`prepare`
        starts a new helper).
        """
        with self._lock:
            helper, self._state.helper = self._state.helper, None
        if helper is not None:
            helper.shutdown(wait=True)
        with self._lock:
            spares = self._spares[:]
            self._spares.clear()  # the same list: the finalizer holds it
        for fd in spares:
            with contextlib.suppress(OSError):
                os.close(fd)

    def file_name(self, request: StoreRequest) -> str:
        """The file name for ``request``; raises :class:`UnsafeFileNameError` when unsafe."""
        if callable(self.naming):
            return check_file_name(self.naming(request))
        return dcmtk_file_name(request.sop_class_uid, request.sop_instance_uid)

    def open(self, request: StoreRequest) -> StoreWriter:
        """Start a file for ``request`` (a refusal writer when it cannot be stored)."""
        if self.ignore:
            return _RefusedWriter(StoreResult(SUCCESS))
        try:
            if not is_safe_uid(request.sop_class_uid.rstrip("\x00 ")):
                raise UnsafeFileNameError(
                    f"Affected SOP Class UID {request.sop_class_uid[:80]!r} is not a valid UID"
                )
            name = self.file_name(request)
        except UnsafeFileNameError as exc:
            logger.warning("refusing C-STORE: %s", exc)
            return _RefusedWriter(StoreResult(CANNOT_UNDERSTAND, str(exc)[:1024]))
        try:
            ts = transfer_syntax(request.transfer_syntax_uid)
        except ValueError as exc:
            return _RefusedWriter(StoreResult(CANNOT_UNDERSTAND, str(exc)[:1024]))
        convert = None if self.bit_preserving else _output_options(self.options, ts)
        try:
            return _FileWriter(self, request, name, ts, convert)
        except OSError as exc:
            logger.error("cannot create a file in %s: %s", self.root, exc)
            return _RefusedWriter(StoreResult(OUT_OF_RESOURCES, f"cannot write: {exc.strerror}"))


class _HelperState:
    """A :class:`DirectorySink`'s helper thread, and whether the sink is gone."""

    __slots__ = ("helper", "released")

    def __init__(self) -> None:
        self.helper: ThreadPoolExecutor | None = None
        self.released = False


def _release_spares(state: _HelperState, spares: list[int], lock: threading.Lock) -> None:
    """Finalizer of a :class:`DirectorySink`: close its spare files, let its thread end.

    It may run in any thread (the helper's too), so it never waits for the helper: a file the
    helper makes afterwards is closed by the helper itself (``released``).
    """
    with lock:
        state.released = True
        helper, state.helper = state.helper, None
        dropped = spares[:]
        spares.clear()
    if helper is not None:
        helper.shutdown(wait=False)
    for fd in dropped:
        with contextlib.suppress(OSError):
            os.close(fd)


class _FileWriter:
    """One data set on its way to ``root/name`` through a temporary file."""

    def __init__(
        self,
        sink: DirectorySink,
        request: StoreRequest,
        name: str,
        ts: TransferSyntax,
        convert: WriteOptions | None,
    ) -> None:
        self._sink = sink
        self._request = request
        self._ts = ts
        self._convert = convert
        self._final = os.path.join(sink.root, name)
        self._head = DatasetHead(ts, sink.head_limit) if convert is None else None
        self._error: OSError | None = None
        self._closed = False
        self._converted: str | None = None
        self._temp: str | None = None
        if convert is None and sink.unnamed_temp_files:
            self._fd = sink._take_unnamed_file()
        else:
            self._fd, self._temp = tempfile.mkstemp(
                dir=sink.root, prefix=TEMP_PREFIX, suffix=".part"
            )
        # Written with the first fragments (one system call for both).
        self._meta_bytes = b""
        self._batch: list[bytes | memoryview] = []  # gathered, not yet written
        self._batch_size = 0
        if convert is None and sink.write_file_format:
            try:
                self._meta_bytes = self._meta(ts)
            except DatasetEncodeError as exc:
                self._drop()
                raise OSError(None, str(exc)) from exc

    def _meta(self, ts: TransferSyntax) -> bytes:
        request = self._request
        return encode_file_meta(
            request.sop_class_uid.rstrip("\x00 "),
            request.sop_instance_uid.rstrip("\x00 "),
            ts,
            source_ae_title=request.calling_ae_title or None,
        )

    def write(self, data: memoryview) -> None:
        """Append the fragment to the temporary file (a write error is answered at commit).

        Fragments that are views of immutable ``bytes`` (what the association hands over) are
        gathered and written together (:data:`WRITE_BATCH`); any other buffer is written now.
        """
        if self._error is not None or self._closed:
            return
        if self._head is not None:
            self._head.feed(data)
        batch = self._batch
        meta = self._meta_bytes
        if meta:
            self._meta_bytes = b""
            batch.append(meta)
            self._batch_size += len(meta)
        batch.append(data)
        self._batch_size += len(data)
        if (
            self._batch_size >= WRITE_BATCH
            or len(batch) >= _IOV_MAX
            or type(getattr(data, "obj", data)) is not bytes
        ):
            self._flush()

    def _flush(self) -> None:
        """Write the gathered fragments; a failure is kept for commit and drops the file."""
        batch, size = self._batch, self._batch_size
        if not batch:
            return
        self._batch, self._batch_size = [], 0
        try:
            _writev_all(self._fd, batch, size)
        except OSError as exc:
            logger.error("write to %s failed: %s", self._temp or self._final + " (unnamed)", exc)
            self._error = exc
            self._drop()

    def abort(self) -> None:
        """Remove the temporary file; nothing appears under the final name."""
        self._drop()

    def _drop(self) -> None:
        self._batch, self._batch_size = [], 0
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                os.close(self._fd)
        for path in (self._temp, self._converted):
            if path is None:
                continue
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as exc:  # pragma: no cover - the root became unwritable
                logger.error("cannot remove %s: %s", path, exc)

    def _refuse(self, status: int, comment: str | None) -> StoreResult:
        self._drop()
        logger.warning(
            "C-STORE of %s answered 0x%04X: %s",
            self._request.sop_instance_uid[:64],
            status,
            comment,
        )
        return StoreResult(status, comment)

    def commit(self) -> StoreResult:
        """Check the UIDs, then move the file under its final name (0xA700 on write errors)."""
        if self._error is not None:
            return StoreResult(OUT_OF_RESOURCES, f"cannot write: {self._error.strerror}")
        if self._closed:
            return StoreResult(OUT_OF_RESOURCES, "the data set was aborted")
        self._flush()
        if self._error is not None:
            return StoreResult(OUT_OF_RESOURCES, f"cannot write: {self._error.strerror}")
        request = self._request
        try:
            if self._head is not None:
                check = self._head.check(
                    request.sop_class_uid,
                    request.sop_instance_uid,
                    uid_padding_fix=self._sink.uid_padding_fix,
                )
                if not check.ok:
                    return self._refuse(check.status, check.error_comment)
                if self._meta_bytes:  # an empty data set: no write came
                    _write_all(self._fd, self._meta_bytes)
                    self._meta_bytes = b""
                if self._temp is None:
                    self._link_unnamed()
                    os.close(self._fd)
                    self._closed = True
                    return StoreResult(SUCCESS, None, Path(self._final))
                source = self._temp
            else:
                result = self._convert_spool()
                if result is not None:
                    return result
                assert self._converted is not None
                source = self._converted
            os.fchmod(self._fd, self._sink._file_mode)
            os.close(self._fd)
            self._closed = True
            self._replace(source)
        except OSError as exc:
            self._drop()
            logger.error("storing %s failed: %s", self._final, exc)
            return StoreResult(OUT_OF_RESOURCES, f"cannot write: {exc.strerror or exc}")
        return StoreResult(SUCCESS, None, Path(self._final))

    def _link_unnamed(self) -> None:
        """Name the unnamed file: link it under the final name (replacing one already there)."""
        try:
            _link_fd(self._fd, self._final)
            return
        except FileExistsError:
            pass
        self._overwriting()
        for _attempt in range(100):
            temp = os.path.join(self._sink.root, f"{TEMP_PREFIX}{os.urandom(6).hex()}.part")
            try:
                _link_fd(self._fd, temp)
            except FileExistsError:  # pragma: no cover - 48 random bits taken
                continue
            try:
                os.replace(temp, self._final)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
            return
        raise FileExistsError(f"no free temporary name in {self._sink.root}")  # pragma: no cover

    def _overwriting(self) -> None:
        logger.warning("overwriting existing file %s", self._final)
        if self._sink.on_overwrite is not None:
            self._sink.on_overwrite(Path(self._final))

    def _replace(self, source: str) -> None:
        if os.path.lexists(self._final):
            self._overwriting()
        os.replace(source, self._final)
        if source != self._temp and self._temp is not None:
            self._converted = None
            try:
                os.unlink(self._temp)
            except OSError as exc:  # pragma: no cover - the root became unwritable
                logger.error("cannot remove %s: %s", self._temp, exc)

    def _convert_spool(self) -> StoreResult | None:
        """Decode the spooled data set and write the converted file next to it (normal mode)."""
        options = self._convert
        assert options is not None
        request = self._request
        size = os.fstat(self._fd).st_size
        mapped = mmap.mmap(self._fd, size, access=mmap.ACCESS_READ) if size else None
        fd, self._converted = tempfile.mkstemp(dir=self._sink.root, prefix=TEMP_PREFIX)
        try:
            try:
                ds = read_dataset(memoryview(mapped) if mapped is not None else b"", self._ts)
                check = check_uids(
                    ds,
                    request.sop_class_uid,
                    request.sop_instance_uid,
                    uid_padding_fix=self._sink.uid_padding_fix,
                )
                if not check.ok:
                    return self._refuse(check.status, check.error_comment)
                chunks = self._encode(ds, options)
            except DatasetDecodeError as exc:
                return self._refuse(CANNOT_UNDERSTAND, f"cannot decode the data set: {exc}"[:1024])
            except (DatasetEncodeError, ValueError) as exc:
                return self._refuse(OUT_OF_RESOURCES, f"cannot encode the data set: {exc}"[:1024])
            for chunk in chunks:
                _write_all(fd, chunk)
            os.fchmod(fd, self._sink._file_mode)
            del ds, chunks
            return None
        finally:
            os.close(fd)
            if mapped is not None:
                # Views still alive in reference cycles keep it open: the GC closes it then.
                with contextlib.suppress(BufferError):
                    mapped.close()

    def _encode(self, ds: Dataset, options: WriteOptions) -> list[bytes | memoryview]:
        request = self._request
        if not self._sink.write_file_format:
            return encode_dataset(ds, options, source_transfer_syntax=self._ts)
        meta = Dataset()
        meta[0x00020002] = DataElement(0x00020002, "UI", request.sop_class_uid.rstrip("\x00 "))
        meta[0x00020003] = DataElement(0x00020003, "UI", request.sop_instance_uid.rstrip("\x00 "))
        return encode_file(
            ds,
            options,
            file_meta=meta,
            source_transfer_syntax=self._ts,
            source_ae_title=request.calling_ae_title or None,
        )
