"""Replays the DIMSE fuzz target over its corpus, and over hypothesis inputs, without atheris."""

from __future__ import annotations

import importlib.util
import pathlib
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus" / "dimse"


def _load_target() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fuzz_dimse_assembler", ROOT / "fuzz" / "fuzz_dimse_assembler.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TARGET = _load_target()
SEEDS = sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []


def test_corpus_is_present_and_current() -> None:
    assert SEEDS, "fuzz/corpus/dimse is empty"
    names = {p.name for p in SEEDS}
    for name, seed in TARGET.seeds().items():
        assert name in names
        assert (CORPUS / name).read_bytes() == seed, f"{name} is stale: --write-corpus"


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_replay_corpus(path: pathlib.Path) -> None:
    TARGET.TestOneInput(path.read_bytes())


def test_seeds_exercise_both_outcomes() -> None:
    """The corpus holds inputs that assemble whole messages and inputs that are rejected."""
    completed = rejected = 0
    for path in SEEDS:
        assembler = TARGET.MessageAssembler()
        try:
            for pdv in TARGET.records(path.read_bytes()):
                assembler.receive(pdv)
        except TARGET.DIMSEDecodeError:
            rejected += 1
        else:
            completed += assembler.idle and assembler.current_message is not None
    assert completed >= 10
    assert rejected >= 4


@settings(max_examples=200, deadline=None)
@given(
    seed=st.sampled_from(SEEDS) if SEEDS else st.nothing(),
    edits=st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 700),
)
def test_mutated_seeds(seed: pathlib.Path, edits: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(seed.read_bytes())
    for position, value in edits:
        if position < len(data):
            data[position] = value
    TARGET.TestOneInput(bytes(data[: max(cut, 3)]))
    TARGET.TestOneInput(bytes(data))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_inputs(data: bytes) -> None:
    TARGET.TestOneInput(data)
