"""C-ECHO over real sockets on 127.0.0.1: dicomnet against DCMTK and pynetdicom.

Run: ``.venv/bin/python benchmarks/bench_echo.py [N] [REPEATS]`` (default 500 and 5). Prints the
median wall time of each case and the ratio to dicomnet (above 1 means dicomnet is faster).

SCU side, every SCU against DCMTK ``storescp`` (``TCP_NODELAY=1``):
- ``N echoes / 1 association``: DCMTK ``echoscu --repeat N`` (a process: includes its start-up),
  ``dicomnet echoscu --repeat N`` (also a process), dicomnet in-process (asyncio API),
  pynetdicom in-process;
- ``N/10 associations x 1 echo``: dicomnet and pynetdicom in-process (DCMTK would be N/10
  processes, shown too).

SCP side, DCMTK ``echoscu --repeat N`` against ``storescp``, our SCP and pynetdicom's, each in its
own process.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dicomnet.acse import RequestorConfig  # noqa: E402
from dicomnet.services.echo import echo, verification_context  # noqa: E402
from dicomnet.transport import aio  # noqa: E402
from tests.peers import dcmtk_env, free_port, running  # noqa: E402

VERIFICATION = "1.2.840.10008.1.1"

OUR_SCP = """
import sys
from dicomnet.acse import AcceptorConfig
from dicomnet.services.echo import verification_handler, verification_supported_context
from dicomnet.transport.blocking import serve_forever
serve_forever(verification_handler, AcceptorConfig(
    supported_contexts=[verification_supported_context()]), "127.0.0.1", int(sys.argv[1]))
"""

PYNETDICOM_SCP = """
import sys
from pynetdicom import AE
ae = AE(ae_title="PYNETSCP")
ae.add_supported_context("1.2.840.10008.1.1")
ae.start_server(("127.0.0.1", int(sys.argv[1])), block=True)
"""

OUR_CLI = "from dicomnet_cli.echoscu import app; app()"


def median_wall(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def config() -> RequestorConfig:
    return RequestorConfig(
        calling_ae_title="BENCH",
        called_ae_title="ANY-SCP",
        presentation_contexts=(verification_context(),),  # type: ignore[arg-type]
    )


def ours_one_association(port: int, n: int) -> None:
    async def main() -> None:
        async with await aio.connect("127.0.0.1", port, config()) as assoc:
            for _ in range(n):
                assert await echo(assoc) == 0

    asyncio.run(main())


def ours_many_associations(port: int, n: int) -> None:
    async def main() -> None:
        for _ in range(n):
            async with await aio.connect("127.0.0.1", port, config()) as assoc:
                assert await echo(assoc) == 0

    asyncio.run(main())


def pynetdicom_one_association(port: int, n: int) -> None:
    from pynetdicom import AE

    ae = AE(ae_title="BENCH")
    ae.add_requested_context(VERIFICATION)
    assoc = ae.associate("127.0.0.1", port)
    assert assoc.is_established
    for _ in range(n):
        assert assoc.send_c_echo().Status == 0
    assoc.release()


def pynetdicom_many_associations(port: int, n: int) -> None:
    from pynetdicom import AE

    ae = AE(ae_title="BENCH")
    ae.add_requested_context(VERIFICATION)
    for _ in range(n):
        assoc = ae.associate("127.0.0.1", port)
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0
        assoc.release()


def process(args: list[str]) -> None:
    subprocess.run(args, check=True, env=dcmtk_env(), capture_output=True)


def row(name: str, seconds: float, reference: float) -> None:
    print(f"  {name:<44} {seconds * 1000:9.1f} ms   x{seconds / reference:6.2f}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    few = max(1, n // 10)
    python = sys.executable
    echoscu = "echoscu"
    env = dcmtk_env()
    os.environ["TCP_NODELAY"] = "1"

    port = free_port()
    with running(["storescp", str(port)], port=port, env=env):
        print(f"SCU side, against DCMTK storescp; median of {repeats}; ratio = case / dicomnet")
        print(f" {n} echoes on one association")
        ours = median_wall(lambda: ours_one_association(port, n), repeats)
        row("dicomnet (asyncio API, in-process)", ours, ours)
        row(
            "dicomnet echoscu --repeat (process)",
            median_wall(
                lambda: process(
                    [python, "-c", OUR_CLI, "--repeat", str(n), "127.0.0.1", str(port)]
                ),
                repeats,
            ),
            ours,
        )
        row(
            "DCMTK echoscu --repeat (process)",
            median_wall(
                lambda: process([echoscu, "--repeat", str(n), "127.0.0.1", str(port)]), repeats
            ),
            ours,
        )
        row(
            "pynetdicom (in-process)",
            median_wall(lambda: pynetdicom_one_association(port, n), repeats),
            ours,
        )
        print(f" {few} associations x 1 echo each")
        ours = median_wall(lambda: ours_many_associations(port, few), repeats)
        row("dicomnet (asyncio API, in-process)", ours, ours)
        row(
            "DCMTK echoscu, one process each",
            median_wall(
                lambda: [process([echoscu, "127.0.0.1", str(port)]) for _ in range(few)], repeats
            ),
            ours,
        )
        row(
            "pynetdicom (in-process)",
            median_wall(lambda: pynetdicom_many_associations(port, few), repeats),
            ours,
        )

    print(f"SCP side: DCMTK echoscu --repeat {n} against each SCP (own process)")
    results: dict[str, float] = {}
    scps = {
        "dicomnet SCP": [python, "-c", OUR_SCP],
        "DCMTK storescp": ["storescp"],
        "pynetdicom SCP": [python, "-c", PYNETDICOM_SCP],
    }
    for name, command in scps.items():
        port = free_port()
        with running([*command, str(port)], port=port, env=env):
            args = [echoscu, "--repeat", str(n), "127.0.0.1", str(port)]
            results[name] = median_wall(lambda args=args: process(args), repeats)  # type: ignore[misc]
    for name, seconds in results.items():
        row(name, seconds, results["dicomnet SCP"])


if __name__ == "__main__":
    main()
