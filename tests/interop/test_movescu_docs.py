"""The Python examples of docs/movescu.md run as written, against DCMTK's dcmqrscp.

Only the settings block is pointed at the peer started here (dcmqrscp knows our AE ``MOVESCU``).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest

from tests.interop.test_qr_scu_support import QRSCP, ROOT
from tests.peers import dcmtk_env, free_port, require_program, running

pytestmark = pytest.mark.peer

DOC = Path(__file__).resolve().parents[2] / "docs" / "movescu.md"


def test_movescu_doc_example_runs(tmp_path: Path) -> None:
    require_program("dcmqrscp")
    our_port = free_port()
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "pacs").mkdir()
    scp = QRSCP(tmp_path / "pacs", {"MOVESCU": our_port})
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 2
    assert "PACS_PORT" in blocks[0]
    study = f"{ROOT}.1.2"
    blocks[0] = (
        f'PACS_HOST, PACS_PORT, PACS_AE = "127.0.0.1", {scp.port}, "QRSCP"\n'
        f'OUR_AE, OUR_PORT = "MOVESCU", {our_port}\n'
        f"OUTPUT = {str(out)!r}\n"
        f"STUDY_UID = {study!r}\n"
    )
    namespace: dict[str, Any] = {}
    printed = io.StringIO()
    with (
        running(["dcmqrscp", "-c", str(scp.cfg), str(scp.port)], port=scp.port, env=dcmtk_env()),
        contextlib.redirect_stdout(printed),
    ):
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)
    expected = {u for u in scp.files if u.startswith(study + ".")}
    assert "status 0x0000: 4 objects received" in printed.getvalue()
    assert {p.name.removeprefix("CT.") for p in out.iterdir()} == expected
