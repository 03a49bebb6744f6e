"""Fixtures for the data set tests: the pydicom-built corpus (see corpus.py)."""

from __future__ import annotations

import pytest

from tests.dataset.corpus import CorpusFile, build_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[CorpusFile]:
    """The corpus of tests/dataset/corpus.py, built once per test session (per xdist worker)."""
    return build_corpus(tmp_path_factory.mktemp("corpus"))
