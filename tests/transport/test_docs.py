"""The first example of docs/transport.md runs as written."""

from __future__ import annotations

import pathlib
import re

import pytest

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "transport.md"


def test_echo_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/transport.md has no python example"
    exec(compile(blocks[0], str(DOC), "exec"), {"__name__": "__doc_example__"})
    assert "C-ECHO status: 0x0000" in capsys.readouterr().out
