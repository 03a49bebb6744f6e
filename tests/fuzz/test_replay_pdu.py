"""Replays fuzz/corpus/pdu/* through the PDU fuzz target (no atheris needed)."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus" / "pdu"


def _load_target() -> Callable[[bytes], None]:
    spec = importlib.util.spec_from_file_location(
        "fuzz_pdu_decode", ROOT / "fuzz" / "fuzz_pdu_decode.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz_pdu_decode", module)
    spec.loader.exec_module(module)
    assert "atheris" not in sys.modules  # the target imports it only when run as a script
    target: Callable[[bytes], None] = module.TestOneInput
    return target


TestOneInput = _load_target()
SEEDS = sorted(p for p in CORPUS.iterdir() if p.is_file())


def test_corpus_is_not_empty() -> None:
    assert len(SEEDS) >= 10


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_replay_seed(path: pathlib.Path) -> None:
    data = path.read_bytes()
    TestOneInput(data)
    TestOneInput(data + b"\x00")  # another chunk size, and a stray byte after the PDU


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_seeds(path: pathlib.Path, data: st.DataObject) -> None:
    wire = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, max(len(wire) - 1, 0)))
        wire[pos : pos + 1] = data.draw(st.binary(max_size=3))
    TestOneInput(bytes(wire))
