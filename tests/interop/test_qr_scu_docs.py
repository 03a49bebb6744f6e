"""The Python examples of docs/query-retrieve-scu.md run as written, against DCMTK's dcmqrscp.

Only the settings block's names are pointed at the peers started here: dcmqrscp (which knows
our AE ``MOVESCU`` and DCMTK's ``storescp`` as ``STORESCP``) and a ``storescp`` third party.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest

from dicomnet.dataset import read_file
from tests.interop.test_qr_scu_support import QRSCP, ROOT
from tests.peers import dcmtk_env, free_port, require_program, running

pytestmark = pytest.mark.peer

DOC = Path(__file__).resolve().parents[2] / "docs" / "query-retrieve-scu.md"


def test_qr_scu_doc_examples_run(tmp_path: Path) -> None:
    require_program("dcmqrscp")
    storescp = require_program("storescp")
    our_port, third_port = free_port(), free_port()
    third_dir = tmp_path / "third"
    third_dir.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "pacs").mkdir()
    scp = QRSCP(tmp_path / "pacs", {"MOVESCU": our_port, "STORESCP": third_port})
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 6
    settings = blocks[1]
    assert "PACS_PORT" in settings
    blocks[1] = (
        f'PACS_HOST, PACS_PORT, PACS_AE = "127.0.0.1", {scp.port}, "QRSCP"\n'
        f'OUR_AE, OUR_PORT = "MOVESCU", {our_port}\n'
        'THIRD_PARTY_AE = "STORESCP"\n'
        f"OUTPUT = {str(out)!r}\n"
    )
    blocks[4] = blocks[4].replace('"0.0.0.0"', '"127.0.0.1"')  # loopback only in tests
    namespace: dict[str, Any] = {}
    printed = io.StringIO()
    with (
        running(["dcmqrscp", "-c", str(scp.cfg), str(scp.port)], port=scp.port, env=dcmtk_env()),
        running(
            [storescp, "-od", str(third_dir), str(third_port)], port=third_port, env=dcmtk_env()
        ),
        contextlib.redirect_stdout(printed),
    ):
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)
    text = printed.getvalue()
    assert "5 studies" in text
    assert "third-party move: 0x0000" in text
    study_uids = namespace["study_uids"]
    assert isinstance(study_uids, list)
    study = study_uids[0]
    expected = {u for u in scp.files if u.startswith(study + ".")}
    # moved to ourselves, then fetched again by C-GET into the same directory
    assert {p.name.removeprefix("CT.") for p in out.iterdir()} == expected
    assert {p.name.removeprefix("CT.") for p in third_dir.iterdir()} == expected
    for path in out.iterdir():
        assert read_file(path).dataset.get_value("SOPInstanceUID") == path.name[3:]
    assert study.startswith(ROOT)
