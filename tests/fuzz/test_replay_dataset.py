"""Replays fuzz/corpus/{dataset,part10} through the data set and Part 10 fuzz targets (no atheris)."""

from __future__ import annotations

import importlib.util
import pathlib
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "fuzz" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DATASET = _load("fuzz_dataset_read")
PART10 = _load("fuzz_part10")
DATASET_SEEDS = sorted((ROOT / "fuzz" / "corpus" / "dataset").iterdir())
PART10_SEEDS = sorted((ROOT / "fuzz" / "corpus" / "part10").iterdir())


def test_corpora_are_present_and_small() -> None:
    for seeds in (DATASET_SEEDS, PART10_SEEDS):
        assert len(seeds) >= 5
        assert sum(p.stat().st_size for p in seeds) < 16_384


@pytest.mark.parametrize("path", DATASET_SEEDS, ids=lambda p: p.name)
def test_replay_dataset_corpus(path: pathlib.Path) -> None:
    DATASET.TestOneInput(path.read_bytes())


@pytest.mark.parametrize("path", PART10_SEEDS, ids=lambda p: p.name)
def test_replay_part10_corpus(path: pathlib.Path) -> None:
    PART10.TestOneInput(path.read_bytes())


def test_seeds_decode() -> None:
    """The valid seeds really decode (so the fuzzer starts from deep inside the reader)."""
    from dicomnet.dataset import read_dataset

    data = (ROOT / "fuzz" / "corpus" / "dataset" / "rich_explicit_be.bin").read_bytes()
    ds = read_dataset(data[1:], DATASET.ENCODINGS[data[0] & 3])
    assert DATASET.touch(ds) > 50


@settings(max_examples=150, deadline=None)
@given(
    seed=st.sampled_from(DATASET_SEEDS),
    cut=st.integers(0, 4000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=4),
)
def test_mutated_seeds_keep_the_invariant(
    seed: pathlib.Path, cut: int, flips: list[tuple[int, int]]
) -> None:
    """Truncated and byte-flipped seeds: decode or DatasetDecodeError, through both targets."""
    data = bytearray(seed.read_bytes()[: max(cut, 1)])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    DATASET.TestOneInput(bytes(data))
    PART10.TestOneInput(bytes(data[1:]))
