"""The Python example of docs/query-retrieve-scp.md runs as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "query-retrieve-scp.md"


def test_query_retrieve_scp_doc_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], str(DOC), "exec"), {"__name__": "__doc_example__"})
    assert out.getvalue().splitlines() == ["['1.2.3.1', '1.2.3.2']", "C-GET: 0x0000, 2 completed"]
