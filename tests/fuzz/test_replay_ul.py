"""Replays fuzz/corpus/ul_acceptor/* and ul_requestor/* through the UL fuzz targets (no atheris).

Each seed must hold the targets' invariants (they raise otherwise) and must reach the part of
PS3.8 Table 9-10 it was written for, so the corpus keeps covering the machine. Random mutations
of the seeds are replayed too.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.ul import Role, ULConnection

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "fuzz" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    assert "atheris" not in sys.modules  # the targets import it only when run as scripts
    return sys.modules[name]


ACCEPTOR = _load("fuzz_ul_acceptor")
REQUESTOR = _load("fuzz_ul_requestor")
TARGETS = {"ul_acceptor": ACCEPTOR, "ul_requestor": REQUESTOR}
SEEDS = [
    (target, path)
    for target in TARGETS
    for path in sorted((ROOT / "fuzz" / "corpus" / target).iterdir())
    if path.is_file()
]

# seed -> actions (PS3.8 §9.2.2) its run must include
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("ul_acceptor", "normal"): {"AE-5", "AE-6", "AE-7", "DT-2", "DT-1", "AR-2", "AR-4", "AR-5"},
    ("ul_acceptor", "rq_byte_by_byte"): {"AE-6", "AE-7"},
    ("ul_acceptor", "reject"): {"AE-8", "AR-5"},
    ("ul_acceptor", "local_abort"): {"AA-1"},
    ("ul_acceptor", "peer_abort"): {"AA-3"},
    ("ul_acceptor", "provider_abort"): {"AA-3"},
    ("ul_acceptor", "garbage_in_sta2"): {"AA-1"},
    ("ul_acceptor", "garbage_in_sta6"): {"AA-8"},
    ("ul_acceptor", "unexpected_ac_in_sta2"): {"AA-1"},
    ("ul_acceptor", "protocol_version_2"): {"AE-6", "AR-5"},
    ("ul_acceptor", "claims_4gb"): {"AA-8"},
    ("ul_acceptor", "artim_in_sta2"): {"AA-2"},
    ("ul_acceptor", "artim_in_sta13"): {"AE-8", "AA-2"},
    ("ul_acceptor", "release_collision"): {"AR-1", "AR-8", "AR-10", "AR-4"},
    ("ul_acceptor", "pdata_then_release_together"): {"DT-2", "AR-2", "AR-4"},
    ("ul_requestor", "normal"): {"AE-3", "DT-1", "DT-2", "AR-1", "AR-3"},
    ("ul_requestor", "ac_byte_by_byte"): {"AE-3"},
    ("ul_requestor", "reject"): {"AE-4"},
    ("ul_requestor", "peer_abort"): {"AA-3"},
    ("ul_requestor", "provider_abort_in_sta5"): {"AA-3"},
    ("ul_requestor", "peer_releases"): {"AR-2", "AR-4", "AR-5"},
    ("ul_requestor", "release_collision"): {"AR-1", "AR-8", "AR-9", "AR-3"},
    ("ul_requestor", "garbage_in_sta5"): {"AA-8"},
    ("ul_requestor", "garbage_in_sta6"): {"AA-8"},
    ("ul_requestor", "claims_4gb"): {"AA-8"},
    ("ul_requestor", "abort_then_artim"): {"AA-1", "AA-2"},
    ("ul_requestor", "rq_in_sta6"): {"AA-8"},
}


def _actions(target: str, data: bytes) -> list[str]:
    module = TARGETS[target]
    if target == "ul_acceptor":
        conn = ULConnection(Role.ACCEPTOR, module.CONFIG, now=0.0)
    else:
        conn = ULConnection(Role.REQUESTOR, module.CONFIG, now=0.0)
        conn.send(module.REQUEST, 0.0)
        conn.transport_connected(0.0)
    module.run(conn, data)
    assert conn.must_close
    return [t.action.value for t in conn.trace]


def test_corpus_matches_the_seed_generators() -> None:
    for target, module in TARGETS.items():
        on_disk = {p.name: p.read_bytes() for p in (ROOT / "fuzz" / "corpus" / target).iterdir()}
        assert on_disk == module.seeds(), f"regenerate: python fuzz/fuzz_{target}.py --write-seeds"
    assert {(t, p.name) for t, p in SEEDS} == set(EXPECTED)


@pytest.mark.parametrize(("target", "path"), SEEDS, ids=lambda v: getattr(v, "name", v))
def test_replay_seed(target: str, path: pathlib.Path) -> None:
    data = path.read_bytes()
    TARGETS[target].TestOneInput(data)
    actions = _actions(target, data)
    assert EXPECTED[(target, path.name)] <= set(actions), actions


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_seeds(seed: tuple[str, pathlib.Path], data: st.DataObject) -> None:
    target, path = seed
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        raw[pos : pos + 1] = data.draw(st.binary(max_size=3))
    TARGETS[target].TestOneInput(bytes(raw))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(TARGETS)), st.binary(max_size=512))
def test_random_inputs(target: str, data: bytes) -> None:
    TARGETS[target].TestOneInput(data)
