"""C-MOVE from ``dicomnet qrscp`` against DCMTK ``dcmqrscp``, retrieved by DCMTK ``movescu``.

Run: ``.venv/bin/python benchmarks/bench_qrscp.py [--repeats N] [--images N] [--keep DIR]``.

One command (issue 7): generates a 500-object study with :func:`dicomnet.samples.generate_study`
(5 series of 100 64x64 16-bit CT images, ~9.6 kB each), indexes the same files with ``dcmqridx``
for ``dcmqrscp`` (default fork mode) and serves them with ``dicomnet qrscp`` (the command, as a
subprocess), both on free 127.0.0.1 ports with the same move destination. DCMTK ``movescu``
moves the whole study (study root, STUDY level) to one DCMTK ``storescp`` (``--receiver
movescu``: to movescu itself, ``+P``), taking turns between the two archives within every
repeat, after one untimed warm-up per archive. Every DCMTK process runs with ``TCP_NODELAY=1``.

Why storescp by default: with ``+P``, movescu after sending the C-MOVE-RQ waits up to 1 s for a
response on the C-MOVE association before it looks at its listening socket again (seen with
``strace``: ``poll`` of the association with a 1000 ms timeout), so every retrieval from either
archive takes about 1 s more than its work, which hides the archives' difference.

Each run is checked: exit status 0, the number of received files and their SOP Instance UIDs
equal the study's. Printed per archive: medians of wall time of the retrieval, of the archive's
CPU time during it (``utime + stime + cutime + cstime`` of the server from ``/proc/<pid>/stat``;
for ``dcmqrscp`` the forked per-association child is counted once it is reaped, which this
script waits for) and of movescu's CPU time, objects/s, and the ratios ours/DCMTK (below 1:
ours is faster); then the archives' mean CPU time per retrieval (finer than the median of
clock-tick counts). ``--profile FILE`` attaches ``py-spy record`` to our archive for the timed runs
(speedscope format); its timings are then not comparable.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for entry in (ROOT, HERE):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from bench_movescu import Study, _program, _python_env, _run, _verify  # noqa: E402

from dicomnet.samples import generate_study  # noqa: E402
from tests.peers import dcmtk_env, free_port, running, wait_for_port  # noqa: E402

ARCHIVES = ("dcmqrscp", "dicomnet")
MOVE_AE = "BENCHMOVE"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3 onwards)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def _cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its reaped children (utime, stime, cutime, cstime)."""
    fields = _stat_fields(pid)
    # Fields 14-17 of proc(5); the list starts at field 3.
    return sum(int(v) for v in fields[11:15]) / CLK_TCK


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (zombies included: not yet reaped)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def _settle(pid: int, timeout: float = 5.0) -> None:
    """Wait until ``pid`` has reaped its forked children (dcmqrscp does so between accepts)."""
    deadline = time.monotonic() + timeout
    while _children(pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def _dcmqrscp_config(work: Path, files: list[Path], port: int, dest_port: int) -> Path:
    db = work / "db"
    db.mkdir()
    cfg = work / "dcmqrscp.cfg"
    cfg.write_text(
        f"NetworkTCPPort = {port}\nMaxPDUSize = 16384\nMaxAssociations = 16\n"
        f"HostTable BEGIN\nmove = ({MOVE_AE}, 127.0.0.1, {dest_port})\nHostTable END\n"
        "VendorTable BEGIN\nVendorTable END\n"
        f"AETable BEGIN\nQRSCP {db} RW (10, 1024mb) ANY\nAETable END\n"
    )
    for i in range(0, len(files), 200):
        batch = [str(f) for f in files[i : i + 200]]
        subprocess.run(
            [_program("dcmqridx"), str(db), *batch],
            check=True,
            env=dcmtk_env(),
            capture_output=True,
        )
    return cfg


def _movescu(study: Study, qr_port: int, dest_port: int | None, out: Path) -> list[str]:
    """The movescu command: receiving itself on ``dest_port``, or (None) only asking."""
    keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study.study_uid}"]
    head = [_program("movescu"), "-S", "-aet", "BENCHSCU", "-aem", MOVE_AE, "-aec", "QRSCP"]
    if dest_port is not None:
        head += ["-aet", MOVE_AE, "+P", str(dest_port), "-od", str(out)]
    return [*head, *keys, "127.0.0.1", str(qr_port)]


Row = tuple[float, float, float]


def _bench(
    study: Study,
    servers: dict[str, tuple[int, int]],
    repeats: int,
    dest_port: int | None,
    work: Path,
    out: Path,
    label: str = "run",
) -> dict[str, list[Row]]:
    """``repeats`` alternating retrievals; per archive (wall s, archive CPU s, movescu CPU s)."""
    results: dict[str, list[Row]] = {name: [] for name in servers}
    for n in range(repeats):
        for name, (pid, port) in servers.items():
            for entry in out.iterdir():
                entry.unlink()
            cmd = _movescu(study, port, dest_port, out)
            _settle(pid)
            before = _cpu(pid)
            wall, scu_cpu, _rss, code = _run(cmd, dcmtk_env(), work)
            if code != 0:
                sys.exit(f"movescu from {name} exited {code}: {' '.join(cmd)}")
            _settle(pid)
            server_cpu = _cpu(pid) - before
            _verify(name, study, out)
            results[name].append((wall, server_cpu, scu_cpu))
            print(
                f"  {label} {n + 1}/{repeats} {name:<9} wall {wall:6.2f} s  "
                f"archive cpu {server_cpu:6.2f} s  movescu cpu {scu_cpu:5.2f} s",
                flush=True,
            )
    return results


def _report(study: Study, results: dict[str, list[Row]]) -> None:
    print()
    header = f"{'archive':<10} {'wall s':>7} {'arch cpu s':>10} {'scu cpu s':>9} {'obj/s':>8}"
    print(f"{len(study.uids)} objects, {study.bytes / 1e6:.1f} MB, medians:")
    print(header)
    print("-" * len(header))
    med: dict[str, list[float]] = {}
    for name, rows in results.items():
        med[name] = [statistics.median(row[i] for row in rows) for i in range(3)]
        wall, arch, scu = med[name]
        print(f"{name:<10} {wall:7.2f} {arch:10.2f} {scu:9.2f} {len(study.uids) / wall:8.1f}")
    ours, theirs = med["dicomnet"], med["dcmqrscp"]
    ratio = [a / b if b else float("inf") for a, b in zip(ours, theirs, strict=True)]
    print(
        f"ours/dcmqrscp: wall {ratio[0]:.2f}x  archive cpu {ratio[1]:.2f}x  "
        f"movescu cpu {ratio[2]:.2f}x"
    )
    # CPU times come in clock ticks (10 ms): the mean over the runs resolves finer than a median.
    mean = {name: statistics.fmean(row[1] for row in rows) for name, rows in results.items()}
    print(
        f"archive cpu, mean per retrieval: dcmqrscp {mean['dcmqrscp'] * 1e3:.1f} ms, "
        f"dicomnet {mean['dicomnet'] * 1e3:.1f} ms "
        f"({mean['dicomnet'] / mean['dcmqrscp'] if mean['dcmqrscp'] else float('inf'):.2f}x)"
    )


def _profiler(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """``py-spy record`` attached to our archive (speedscope format), until SIGINT."""
    spy = str(Path(sys.executable).parent / "py-spy")
    cmd = [spy, "record", "--pid", str(pid), "-f", "speedscope", "-o", str(out), "-r", "250"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per archive (default 5)")
    parser.add_argument("--images", type=int, default=100, help="images per series (5 series)")
    parser.add_argument("--keep", type=Path, help="work in this (new) directory and keep it")
    parser.add_argument(
        "--receiver",
        choices=("storescp", "movescu"),
        default="storescp",
        help="the move destination: a DCMTK storescp (default) or movescu itself (+P)",
    )
    parser.add_argument("--profile", type=Path, help="py-spy record our archive into FILE")
    args = parser.parse_args()
    if args.repeats < 1 or args.images < 1:
        parser.error("--repeats and --images must be at least 1")
    for program in ("dcmqrscp", "dcmqridx", "movescu"):
        _program(program)
    with tempfile.TemporaryDirectory(prefix="bench-qrscp-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print("generating the study ...", flush=True)
        files = generate_study(
            work / "archive", series_per_study=5, images_per_series=args.images, rows=64, columns=64
        )
        study = Study(f"{len(files)}x64x64", files)
        out = work / "out"
        out.mkdir()
        dest_port = free_port()
        theirs_port, ours_port = free_port(), free_port()
        cfg = _dcmqrscp_config(work, files, theirs_port, dest_port)
        theirs_cmd = [_program("dcmqrscp"), "-c", str(cfg), str(theirs_port)]
        ours_cmd = [sys.executable, "-m", "dicomnet_cli.qrscp", "-aet", "QRSCP"]
        ours_cmd += ["--dest", f"{MOVE_AE}=127.0.0.1:{dest_port}"]
        ours_cmd += [str(work / "archive"), str(ours_port)]
        print(
            f"dcmqrscp on 127.0.0.1:{theirs_port}, dicomnet qrscp on 127.0.0.1:{ours_port}; "
            f"{args.repeats} alternating runs",
            flush=True,
        )
        with (
            running(theirs_cmd, port=theirs_port, env=dcmtk_env()) as theirs,
            running(ours_cmd, env=_python_env(work)) as ours,
        ):
            wait_for_port(ours_port, ours, timeout=30)
            servers = {"dcmqrscp": (theirs.pid, theirs_port), "dicomnet": (ours.pid, ours_port)}
            with contextlib.ExitStack() as stack:
                scu_port: int | None = dest_port
                if args.receiver == "storescp":
                    scu_port = None
                    receiver = [_program("storescp"), "-aet", MOVE_AE, "-od", str(out)]
                    stack.enter_context(
                        running([*receiver, str(dest_port)], port=dest_port, env=dcmtk_env())
                    )
                _bench(study, servers, 1, scu_port, work, out, label="warm-up")
                spy = _profiler(ours.pid, args.profile) if args.profile is not None else None
                results = _bench(study, servers, args.repeats, scu_port, work, out)
                if spy is not None:
                    spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
                    spy.wait(timeout=60)
        _report(study, results)


if __name__ == "__main__":
    main()
