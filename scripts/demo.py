"""dicomnet's main job in one command (``make demo``): retrieve a study from an archive with C-MOVE.

1. generates a small multi-series CT study with :func:`dicomnet.samples.generate_study` into
   ``demo/`` (under ``--workdir``, default the current directory);
2. starts ``dicomnet qrscp`` (this interpreter, ``-m dicomnet_cli.qrscp``) on a free loopback
   port with a ``--dest`` for movescu's own port;
3. runs our ``movescu`` (``-m dicomnet_cli.movescu``) to move the study into ``demo-out/``,
   showing its progress and summary;
4. checks that every object arrived with every data element equal to the original, prints where
   the files are, and stops the archive by PID (SIGTERM).

Exits 0 on success, 1 with one ``demo: error: ...`` line on any failure.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from dicomnet.dataset import read_file
from dicomnet.samples import generate_study

ARCHIVE_AE = "ARCHIVE"
MOVESCU_AE = "DEMOMOVE"


class DemoError(Exception):
    """A step of the demo failed."""


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(process: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    """Wait until ``port`` accepts connections; fail when the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"the archive exited with code {process.returncode} before listening")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        time.sleep(0.05)
    raise DemoError(f"the archive did not listen on port {port} within {timeout:.0f} s")


@contextlib.contextmanager
def archive(folder: Path, port: int, dest_port: int, log: Path) -> Iterator[int]:
    """Run ``dicomnet qrscp`` for the block; yields its PID, stops it with SIGTERM after."""
    command = [
        sys.executable,
        "-m",
        "dicomnet_cli.qrscp",
        "-aet",
        ARCHIVE_AE,
        "--dest",
        f"{MOVESCU_AE}=127.0.0.1:{dest_port}",
        "--bind",
        "127.0.0.1",
        "-v",
        str(folder),
        str(port),
    ]
    with open(log, "wb") as stream:
        process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT)
    try:
        wait_listening(process, port, 30.0)
        yield process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        print(f"archive (PID {process.pid}) stopped, exit code {process.returncode}", flush=True)


def compare(original: Path, received: Path) -> str | None:
    """``None`` when both files hold the same data elements with the same values."""
    a = read_file(original).dataset
    b = read_file(received).dataset
    tags_a, tags_b = list(a), list(b)
    if tags_a != tags_b:
        return f"different elements: {sorted(set(tags_a) ^ set(tags_b))[:5]}"
    for tag in tags_a:
        if a[tag].value != b[tag].value:
            return f"element ({tag >> 16:04X},{tag & 0xFFFF:04X}) differs"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path.cwd(), help="where demo/ goes")
    parser.add_argument("--series", type=int, default=3, help="series in the study")
    parser.add_argument("--images", type=int, default=5, help="images per series")
    args = parser.parse_args(argv)
    work: Path = args.workdir.resolve()
    source, output = work / "demo" / "archive", work / "demo-out"
    for folder in (source, output):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    try:
        files = generate_study(
            source,
            series_per_study=args.series,
            images_per_series=args.images,
            rows=128,
            columns=128,
        )
        originals = {read_file(path).dataset.get_value("SOPInstanceUID"): path for path in files}
        study_uid = read_file(files[0]).dataset.get_value("StudyInstanceUID")
        print(
            f"1. generated {len(files)} CT images in {args.series} series in {source}", flush=True
        )
        qr_port, move_port = free_port(), free_port()
        with archive(source, qr_port, move_port, work / "demo" / "qrscp.log") as pid:
            print(
                f"2. dicomnet qrscp (PID {pid}) serves {source} on 127.0.0.1:{qr_port}", flush=True
            )
            print(f"3. movescu retrieves study {study_uid} into {output}", flush=True)
            command = [
                sys.executable,
                "-m",
                "dicomnet_cli.movescu",
                "-v",
                "-S",
                "-aet",
                MOVESCU_AE,
                "-aec",
                ARCHIVE_AE,
                "-aem",
                MOVESCU_AE,
                "+P",
                str(move_port),
                "-od",
                str(output),
                "-k",
                "QueryRetrieveLevel=STUDY",
                "-k",
                f"StudyInstanceUID={study_uid}",
                "127.0.0.1",
                str(qr_port),
            ]
            started = time.monotonic()
            result = subprocess.run(command, timeout=120, check=False)
            elapsed = time.monotonic() - started
            if result.returncode != 0:
                raise DemoError(f"movescu exited with code {result.returncode}")
        received = {}
        for path in sorted(output.iterdir()):
            received[read_file(path).dataset.get_value("SOPInstanceUID")] = path
        missing = sorted(set(originals) - set(received))
        if missing:
            raise DemoError(
                f"{len(missing)} of {len(originals)} objects missing, e.g. {missing[0]}"
            )
        for uid, path in originals.items():
            problem = compare(path, received[uid])
            if problem is not None:
                raise DemoError(f"{received[uid].name}: {problem}")
        print(
            f"4. all {len(originals)} objects arrived intact in {elapsed:.2f} s; "
            f"the files are in {output}"
        )
    except DemoError as exc:
        print(f"demo: error: {exc}", file=sys.stderr, flush=True)
        return 1
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        print(f"demo: error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
