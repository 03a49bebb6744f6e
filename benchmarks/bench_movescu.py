"""C-MOVE retrieve from DCMTK ``dcmqrscp``: DCMTK ``movescu``, pynetdicom's movescu, dicomnet's.

Run: ``.venv/bin/python benchmarks/bench_movescu.py [--repeats N] [--large] [--tools ...]``.

``--startup`` measures start-up alone (no studies, no dcmqrscp): the CPU each tool spends on
``--version``, ``--help``, up to its A-ASSOCIATE-RQ (read from ``/proc/<pid>/schedstat`` when
that PDU has arrived at a peer of this script's, the Storage SCP listening) and in total once
the peer rejects the association; medians and the ratio ours/DCMTK.

One command: generates two studies with :func:`dicomnet.samples.generate_study` (500 objects of
64x64 16-bit pixels, ~9.6 kB each; 100 objects of 512x512, ~530 kB each), indexes them with
``dcmqridx`` and starts ``dcmqrscp`` (default fork mode) on 127.0.0.1 with an AE table naming
each retriever's port. Then each retriever moves each study to itself (study root, STUDY level),
taking turns within every repeat: DCMTK ``movescu``, ``python -m pynetdicom movescu --store``,
and the ``movescu`` console script next to ``sys.executable``. Every DCMTK process runs with
``TCP_NODELAY=1`` (Debian's build leaves Nagle on; ~20x slower on loopback otherwise). One
untimed warm-up run per tool comes first (page cache; bytecode of the Python tools cached under
the work directory, as a pip install would have it, whatever ``PYTHONDONTWRITEBYTECODE`` says).

Each run is checked: exit status 0, the number of files and their SOP Instance UIDs equal the
study's. Printed per set and tool: medians of wall time, CPU time (user + system) of the
retrieving process and its peak RSS (``wait4`` rusage, via GNU ``time``), objects/s and MB/s,
and the ratios ours/DCMTK and ours/pynetdicom (below 1: ours is faster or smaller). ``--large`` adds
one move of a single 1 GiB object (:func:`dicomnet.samples.generate_object`) for the peak-RSS
check (DCMTK and ours unless ``--large-tools`` says otherwise).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pydicom

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dicomnet.samples import generate_object, generate_study  # noqa: E402
from tests.peers import dcmtk_env, free_port, running  # noqa: E402

TOOLS = ("dcmtk", "pynetdicom", "dicomnet")
AE = {"dcmtk": "DCMTKMOVE", "pynetdicom": "PYNDMOVE", "dicomnet": "OURMOVE"}


class Study:
    """One generated study: its UID, the SOP Instance UIDs and the total file size."""

    def __init__(self, name: str, files: list[Path]) -> None:
        self.name = name
        self.files = files
        self.uids = {_uid(f) for f in files}
        first = pydicom.dcmread(files[0], stop_before_pixels=True)
        self.study_uid = str(first.StudyInstanceUID)
        self.bytes = sum(f.stat().st_size for f in files)


def _uid(path: Path) -> str:
    """The SOP Instance UID of a Part 10 file, read by pydicom (an independent oracle)."""
    ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"])
    return str(ds.SOPInstanceUID)


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(f"{name} not found on PATH (install DCMTK: apt-get install -y dcmtk)")
    return path


def _command(tool: str, study_uid: str, qr_port: int, port: int, out: Path) -> list[str]:
    """The command line with which ``tool`` moves study ``study_uid`` to itself on ``port``."""
    keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study_uid}"]
    ae = AE[tool]
    if tool == "dcmtk":
        head = [_program("movescu"), "-S", "-aet", ae, "-aem", ae, "-aec", "QRSCP"]
        return [*head, "+P", str(port), "-od", str(out), *keys, "127.0.0.1", str(qr_port)]
    if tool == "pynetdicom":
        store = ["--store", "--store-port", str(port), "--store-aet", ae]
        head = [sys.executable, "-m", "pynetdicom", "movescu", "127.0.0.1", str(qr_port)]
        return [
            *head,
            "-S",
            "-aet",
            ae,
            "-aem",
            ae,
            "-aec",
            "QRSCP",
            *store,
            "-od",
            str(out),
            *keys,
        ]
    ours = str(Path(sys.executable).parent / "movescu")
    head = [ours, "-S", "-aet", ae, "-aem", ae, "-aec", "QRSCP", "+P", str(port)]
    return [*head, "-od", str(out), *keys, "127.0.0.1", str(qr_port)]


def _run(cmd: list[str], env: dict[str, str] | None, work: Path) -> tuple[float, float, int, int]:
    """Run ``cmd``; return (wall s, CPU s of the process, peak RSS bytes, exit status).

    The tool is started by GNU ``time``, which reports its child's ``wait4`` rusage: Linux keeps
    the parent's RSS high-water mark across fork and exec, so a tool forked straight from this
    (larger) Python process would show this process's RSS as its own peak.
    """
    usage = work / "rusage"
    timed = [_program("time"), "-o", str(usage), "-f", "%U %S %M", *cmd]
    start = time.perf_counter()
    proc = subprocess.run(timed, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
    user, system, max_kb = usage.read_text().split()[-3:]
    return wall, float(user) + float(system), int(max_kb) * 1024, proc.returncode


def _python_env(work: Path) -> dict[str, str]:
    """Environment of the Python retrievers: bytecode cached (in ``work``, not the checkout).

    An installed package has its bytecode compiled by pip; with ``PYTHONDONTWRITEBYTECODE`` set
    (as in some shells) an editable install would recompile every module at each start.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def _verify(tool: str, study: Study, out: Path) -> None:
    """Every object arrived: the file count and the set of SOP Instance UIDs match."""
    files = [p for p in out.rglob("*") if p.is_file()]
    got = {_uid(p) for p in files}
    if len(files) != len(study.uids) or got != study.uids:
        missing = len(study.uids - got)
        sys.exit(
            f"{tool} on {study.name}: {len(files)} files, {missing} of {len(study.uids)} "
            "objects missing"
        )


def _median(rows: list[tuple[float, float, int]], index: int) -> float:
    return statistics.median(row[index] for row in rows)


def _bench(
    studies: list[Study],
    tools: list[str],
    repeats: int,
    qr_port: int,
    ports: dict[str, int],
    work: Path,
    verify: Callable[[str, Study, Path], None] = _verify,
) -> dict[tuple[str, str], list[tuple[float, float, int]]]:
    results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    python_env = _python_env(work)
    for study in studies:
        for n in range(repeats):
            for tool in tools:
                out = work / f"out-{tool}"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                cmd = _command(tool, study.study_uid, qr_port, ports[tool], out)
                env = dcmtk_env() if tool == "dcmtk" else python_env
                wall, cpu, rss, code = _run(cmd, env, work)
                if code != 0:
                    sys.exit(f"{tool} on {study.name} exited {code}: {' '.join(cmd)}")
                verify(tool, study, out)
                shutil.rmtree(out)
                results.setdefault((study.name, tool), []).append((wall, cpu, rss))
                print(
                    f"  {study.name:<10} run {n + 1}/{repeats} {tool:<10} wall {wall:6.2f} s  "
                    f"cpu {cpu:6.2f} s  rss {rss / 1e6:6.1f} MB",
                    flush=True,
                )
    return results


def _report(
    studies: list[Study],
    tools: list[str],
    results: dict[tuple[str, str], list[tuple[float, float, int]]],
) -> None:
    print()
    header = (
        f"{'set':<10} {'tool':<10} {'wall s':>7} {'cpu s':>7} {'RSS MB':>7} "
        f"{'obj/s':>8} {'MB/s':>8}"
    )
    print(header)
    print("-" * len(header))
    for study in studies:
        medians: dict[str, tuple[float, float, float]] = {}
        for tool in tools:
            rows = results[(study.name, tool)]
            wall, cpu, rss = (_median(rows, i) for i in range(3))
            medians[tool] = (wall, cpu, rss)
            print(
                f"{study.name:<10} {tool:<10} {wall:7.2f} {cpu:7.2f} {rss / 1e6:7.1f} "
                f"{len(study.uids) / wall:8.1f} {study.bytes / 1e6 / wall:8.1f}"
            )
        if "dicomnet" in medians:
            ours = medians["dicomnet"]
            for other in ("dcmtk", "pynetdicom"):
                if other in medians:
                    theirs = medians[other]
                    print(
                        f"{study.name:<10} {'ours/' + other:<18} wall {ours[0] / theirs[0]:5.2f}x"
                        f"  cpu {ours[1] / theirs[1]:5.2f}x  rss {ours[2] / theirs[2]:5.2f}x"
                    )
        print()


# --- start-up: what a small move pays before its first PDU -------------------------------------

#: A-ASSOCIATE-RJ (PS3.8 §9.3.4): rejected-permanent, by the service user, no reason given.
_ASSOCIATE_RJ = bytes([0x03, 0, 0, 0, 0, 4, 0, 1, 1, 1])


def _cpu_seconds_of(pid: int) -> float | None:
    """CPU time so far of a running process (``/proc/<pid>/schedstat``, ns), None if unknown."""
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _read_pdu(conn: socket.socket) -> bytes:
    """One PDU from ``conn`` (its 6-byte header says how long), or what came before EOF."""
    data = b""
    while len(data) < 6 or len(data) < 6 + int.from_bytes(data[2:6], "big"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _cpu_at_associate_rq(
    cmd: list[str], env: dict[str, str], server: socket.socket
) -> tuple[float | None, float]:
    """Run ``cmd`` against ``server``: its CPU when its A-ASSOCIATE-RQ has arrived (read from
    /proc while it waits for the answer) and in total, once rejected (``wait4`` rusage)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server.settimeout(30)
        conn, _addr = server.accept()
        with conn:
            rq = _read_pdu(conn)
            at_rq = _cpu_seconds_of(proc.pid)
            if rq[:1] != b"\x01":
                sys.exit(f"{cmd[0]} sent no A-ASSOCIATE-RQ: {rq[:16].hex()}")
            conn.sendall(_ASSOCIATE_RJ)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return at_rq, total


def _cpu_of(cmd: list[str], env: dict[str, str]) -> float:
    """CPU (user + system) of one run of ``cmd``, which must exit 0."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = subprocess.run(cmd, env=env, capture_output=True).returncode
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} exited {code}")
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _startup(tools: list[str], repeats: int, work: Path) -> None:
    """Medians of the CPU each tool spends on ``--version``, ``--help``, up to its first PDU
    (A-ASSOCIATE-RQ, with its Storage SCP listening), and in total when that is rejected."""
    python_env = _python_env(work)
    rows: dict[str, dict[str, list[float]]] = {}
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        peer_port = server.getsockname()[1]
        for n in range(repeats + 1):  # the first round warms the page and bytecode caches
            for tool in tools:
                env = dcmtk_env() if tool == "dcmtk" else python_env
                cmd = _command(tool, "1.2.3", peer_port, free_port(), work)
                at_rq, total = _cpu_at_associate_rq(cmd, env, server)
                probes = {"at A-ASSOCIATE-RQ": at_rq, "rejected, total": total}
                if tool != "pynetdicom":  # its movescu has no --version, and --help needs a peer
                    probes["--version"] = _cpu_of([cmd[0], "--version"], env)
                    probes["--help"] = _cpu_of([cmd[0], "--help"], env)
                if n:
                    for name, value in probes.items():
                        if value is not None:
                            rows.setdefault(tool, {}).setdefault(name, []).append(value)
    names = ("--version", "--help", "at A-ASSOCIATE-RQ", "rejected, total")
    print(f"\nstart-up CPU (user + system), median of {repeats}, seconds")
    header = f"{'tool':<12}" + "".join(f"{name:>19}" for name in names)
    print(header)
    print("-" * len(header))
    medians = {
        tool: {name: statistics.median(v) for name, v in rows.get(tool, {}).items()}
        for tool in tools
    }
    for tool in tools:
        cells = (medians[tool].get(name) for name in names)
        print(f"{tool:<12}" + "".join("-".rjust(19) if c is None else f"{c:19.3f}" for c in cells))
    if "dicomnet" in medians and "dcmtk" in medians:
        ours, theirs = medians["dicomnet"], medians["dcmtk"]
        ratios = (
            ours[name] / theirs[name] if name in ours and theirs.get(name) else None
            for name in names
        )
        print(
            f"{'ours/dcmtk':<12}"
            + "".join("-".rjust(19) if r is None else f"{r:18.1f}x" for r in ratios)
        )


def _write_config(
    root: Path, db: Path, qr_port: int, ports: dict[str, int], files: list[Path]
) -> Path:
    cfg = root / "dcmqrscp.cfg"
    hosts = "".join(f"h{tool} = ({AE[tool]}, 127.0.0.1, {port})\n" for tool, port in ports.items())
    cfg.write_text(
        f"NetworkTCPPort = {qr_port}\nMaxPDUSize = 16384\nMaxAssociations = 16\n"
        f"HostTable BEGIN\n{hosts}HostTable END\n"
        "VendorTable BEGIN\nVendorTable END\n"
        f"AETable BEGIN\nQRSCP {db} RW (10, 1024mb) ANY\nAETable END\n"
    )
    # dcmqridx takes the files in batches (command-line length).
    for i in range(0, len(files), 200):
        batch = [str(f) for f in files[i : i + 200]]
        subprocess.run(
            [_program("dcmqridx"), str(db), *batch],
            check=True,
            env=dcmtk_env(),
            capture_output=True,
        )
    return cfg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per tool and set (default 5)")
    parser.add_argument("--large", action="store_true", help="also move one 1 GiB object")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset")
    parser.add_argument(
        "--large-tools", default="dcmtk,dicomnet", help="tools for --large (default dcmtk,dicomnet)"
    )
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    parser.add_argument(
        "--startup",
        action="store_true",
        help="only the start-up probes (--version, --help, CPU up to the A-ASSOCIATE-RQ)",
    )
    args = parser.parse_args()
    tools = [t for t in args.tools.split(",") if t]
    if not tools or any(t not in TOOLS for t in tools):
        parser.error(f"--tools must name some of {', '.join(TOOLS)}")
    if args.startup:
        with tempfile.TemporaryDirectory(prefix="bench-movescu-") as tmp:
            _startup(tools, args.repeats, Path(tmp))
        return
    _program("dcmqrscp")
    with tempfile.TemporaryDirectory(prefix="bench-movescu-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db = work / "db"
        db.mkdir(exist_ok=True)
        src = work / "src"
        print("generating studies ...", flush=True)
        small = Study(
            "500x9.6kB",
            generate_study(
                src / "small", series_per_study=5, images_per_series=100, rows=64, columns=64
            ),
        )
        big = Study(
            "100x530kB",
            generate_study(
                src / "big",
                series_per_study=1,
                images_per_series=100,
                rows=512,
                columns=512,
                seed=1,
            ),
        )
        studies = [small, big]
        files = small.files + big.files
        large: Study | None = None
        if args.large:
            # dcmqrscp stores at most 1 GiB per study (maxBytesPerStudy), header included: the
            # pixel data is 1 GiB less one 512 KiB frame.
            print("generating a 1 GiB object ...", flush=True)
            size = (1 << 30) - (512 << 10)
            large = Study("1x1GiB", [generate_object(src / "large.dcm", size, seed=2)])
            files.append(large.files[0])
        for study in (*studies, *([large] if large else [])):
            print(
                f"  {study.name}: {len(study.uids)} objects, {study.bytes / 1e6:.1f} MB, "
                f"mean {study.bytes / len(study.uids) / 1e3:.1f} kB",
                flush=True,
            )
        qr_port = free_port()
        ports = {tool: free_port() for tool in TOOLS}
        cfg = _write_config(work, db, qr_port, ports, files)
        cmd = [_program("dcmqrscp"), "-c", str(cfg), str(qr_port)]
        print(
            f"dcmqrscp on 127.0.0.1:{qr_port}; {args.repeats} alternating runs per set", flush=True
        )
        with running(cmd, port=qr_port, env=dcmtk_env()):
            print("warm-up (not counted): one run per tool, bytecode cached", flush=True)
            _bench([small], tools, 1, qr_port, ports, work)
            results = _bench(studies, tools, args.repeats, qr_port, ports, work)
            large_results = {}
            large_tools = [t for t in args.large_tools.split(",") if t in tools]
            if large is not None:
                large_results = _bench([large], large_tools, 1, qr_port, ports, work)
        _report(studies, tools, results)
        if large is not None:
            _report([large], large_tools, large_results)
        if args.keep is None:
            shutil.rmtree(work / "src")


if __name__ == "__main__":
    main()
