"""Storage SCPs receiving from DCMTK ``storescu``: DCMTK ``storescp``, pynetdicom, dicomnet.

Run: ``.venv/bin/python benchmarks/bench_storescp.py [REPEATS]`` (default 5).

Two sets, sent by one ``storescu`` process over one association (``TCP_NODELAY=1`` in every DCMTK
process's environment): 500 small objects (~9.6 kB each) and 100 objects of 512x512 16-bit
pixels (~512 kB each). Each receiver is a separate process writing files to a fresh directory:
DCMTK ``storescp``, a small pynetdicom AE with an ``EVT_C_STORE`` handler writing each data set
(``event.encoded_dataset()``, no decoding), and ``dicomnet storescp``. The receivers take turns in
each repeat. Printed: median wall time of the sender (``storescu`` start to exit) and median CPU
time of the receiver (user + system, from ``wait4``, its start-up included), and the ratios to
DCMTK (below 1 means faster than DCMTK). The Python receivers run with their bytecode cached under
the work directory, as a pip install has it (the first repeat compiles it; the medians do not
see it). ``BENCH_RECEIVERS=dcmtk,dicomnet`` leaves pynetdicom
out (quicker runs while tuning).

The received files are kept until the end and deleted then: on ext4 without a journal, as here,
inode allocation skips every recently deleted inode of the block group one by one (the kernel's
``recently_deleted()``), so deleting each run's output would make the next receiver's file
creation slower and slower (measured: 250 us instead of 13 us per file in a directory where
thousands of files had just been deleted). The first line printed is the cost of creating a file
in the work directory (``BENCH_DIR``, default the system temporary directory): when it is far
above ~20 us, the file system, not the receivers, dominates the figures.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CT = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"

PYNETDICOM_SCP = textwrap.dedent(
    """
    import sys
    from pynetdicom import AE, evt, AllStoragePresentationContexts
    from pynetdicom.sop_class import Verification

    out, port = sys.argv[1], int(sys.argv[2])

    def on_store(event):
        name = f"{out}/{event.request.AffectedSOPInstanceUID}"
        with open(name, "wb") as f:
            f.write(event.encoded_dataset())
        return 0x0000

    ae = AE(ae_title="STORESCP")
    ae.supported_contexts = AllStoragePresentationContexts
    ae.add_supported_context(Verification)
    ae.maximum_pdu_size = 16384
    ae.start_server(("127.0.0.1", port), evt_handlers=[(evt.EVT_C_STORE, on_store)])
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"receiver exited early ({proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listening on {port}")


def _make_set(folder: Path, count: int, rows: int, cols: int, pad: int = 0) -> None:
    import pydicom  # benchmarks may use the test-side libraries to make their data
    from pydicom.dataset import Dataset, FileMetaDataset

    folder.mkdir(parents=True)
    pixels = bytes((i * 7) & 0xFF for i in range(rows * cols * 2))
    for i in range(count):
        ds = Dataset()
        ds.SOPClassUID = CT
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.2.1125.99.{rows}.{i}"
        ds.PatientName = "Bench^Mark"
        ds.PatientID = "BENCH"
        ds.Modality = "CT"
        ds.StudyInstanceUID = "1.2.826.0.1.3680043.2.1125.99.1"
        ds.SeriesInstanceUID = "1.2.826.0.1.3680043.2.1125.99.2"
        if pad:
            ds.ImageComments = "x" * pad
        ds.Rows, ds.Columns = rows, cols
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.PixelData = pixels
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CT
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        meta.TransferSyntaxUID = EXPLICIT_LE
        ds.file_meta = meta
        ds.save_as(folder / f"{i:04d}.dcm", enforce_file_format=True)
    del pydicom


def _receiver(kind: str, out: Path, port: int, env: dict[str, str]) -> list[str]:
    if kind == "dcmtk":
        return [shutil.which("storescp") or "storescp", "-od", str(out), str(port)]
    if kind == "pynetdicom":
        return [sys.executable, "-c", PYNETDICOM_SCP, str(out), str(port)]
    return [
        sys.executable,
        "-m",
        "dicomnet_cli.storescp",
        "--bind",
        "127.0.0.1",
        "-od",
        str(out),
        str(port),
    ]


def _file_creation_cost(work: Path, count: int = 200) -> float:
    """Microseconds of CPU to create, write (9.6 kB) and close one file in ``work``."""
    scratch = Path(tempfile.mkdtemp(dir=work))
    data = bytes(9600)
    start = time.process_time()
    for i in range(count):
        fd = os.open(scratch / str(i), os.O_CREAT | os.O_WRONLY, 0o600)
        os.write(fd, data)
        os.close(fd)
    cost = (time.process_time() - start) / count * 1e6
    return cost


def _run_once(kind: str, files: Path, work: Path, count: int) -> tuple[float, float]:
    env = dict(os.environ, TCP_NODELAY="1")
    if kind != "dcmtk":
        # Bytecode cached under the work directory, as a pip install has it compiled, whatever
        # PYTHONDONTWRITEBYTECODE says (else every start recompiles every module: ~0.3 s of CPU).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    out = Path(tempfile.mkdtemp(dir=work))
    port = _free_port()
    proc = subprocess.Popen(
        _receiver(kind, out, port, env),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc)
        start = time.perf_counter()
        subprocess.run(
            ["storescu", "-xe", "+sd", "-aec", "STORESCP", "127.0.0.1", str(port), str(files)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
    finally:
        proc.send_signal(signal.SIGTERM if kind != "pynetdicom" else signal.SIGKILL)
        _pid, _status, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
    received = len(os.listdir(out))
    if received != count:
        raise RuntimeError(f"{kind}: {received} files received, {count} sent")
    return wall, usage.ru_utime + usage.ru_stime  # out is deleted with work, at the end


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    # BENCH_RECEIVERS=dcmtk,dicomnet skips pynetdicom (quicker runs); DCMTK is always the base.
    wanted = os.environ.get("BENCH_RECEIVERS", "dcmtk,pynetdicom,dicomnet").split(",")
    kinds = tuple(k for k in ("dcmtk", "pynetdicom", "dicomnet") if k in wanted or k == "dcmtk")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        print(f"creating a 9.6 kB file in {tmp}: {_file_creation_cost(work):.0f} us CPU")
        sets = {
            "500 x 9.6 kB": (work / "small", 500),
            "100 x 512x512x16": (work / "large", 100),
        }
        _make_set(work / "small", 500, 64, 64, pad=800)
        _make_set(work / "large", 100, 512, 512)
        size = os.path.getsize(work / "small" / "0000.dcm")
        print(f"small object: {size} bytes; repeats: {repeats}")
        print(
            f"{'set':18} {'receiver':11} {'sender wall s':>14} {'recv CPU s':>11}"
            f" {'wall/DCMTK':>11} {'CPU/DCMTK':>10}"
        )
        for label, (folder, count) in sets.items():
            walls: dict[str, list[float]] = {k: [] for k in kinds}
            cpus: dict[str, list[float]] = {k: [] for k in kinds}
            for _ in range(repeats):
                for kind in kinds:
                    wall, cpu = _run_once(kind, folder, work, count)
                    walls[kind].append(wall)
                    cpus[kind].append(cpu)
            base_wall = statistics.median(walls["dcmtk"])
            base_cpu = statistics.median(cpus["dcmtk"])
            for kind in kinds:
                wall = statistics.median(walls[kind])
                cpu = statistics.median(cpus[kind])
                print(
                    f"{label:18} {kind:11} {wall:14.3f} {cpu:11.3f}"
                    f" {wall / base_wall:11.2f} {cpu / base_cpu:10.2f}"
                )


if __name__ == "__main__":
    main()
