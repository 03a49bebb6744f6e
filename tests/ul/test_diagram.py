"""scripts/ul_diagram.py draws every transition of the table, and nothing else."""

from __future__ import annotations

import importlib.util
import pathlib
from types import ModuleType

from dicomnet.ul import ACTION_SPECS, TRANSITIONS

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "ul_diagram.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ul_diagram", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_edges_are_the_table() -> None:
    diagram = _load()
    labels = {label for ls in diagram.edges().values() for label in ls}
    assert labels == {f"{e.name} {a.value}" for (_s, e), a in TRANSITIONS.items()}
    expected = {(s, t) for (s, _e), a in TRANSITIONS.items() for t in ACTION_SPECS[a].next_states}
    assert set(diagram.edges()) == expected
    no_aborts = diagram.edges(include_aborts=False)
    assert all("AA-" not in label for ls in no_aborts.values() for label in ls)


def test_outputs() -> None:
    diagram = _load()
    mermaid = diagram.mermaid(include_aborts=False)
    assert mermaid.startswith("stateDiagram-v2\n")
    assert "Sta7 --> Sta9 : Evt12 AR-8" in mermaid
    dot = diagram.dot()
    assert dot.startswith("digraph ul {")
    assert dot.rstrip().endswith("}")
    assert 'Sta13 -> Sta1 [label="Evt16 AA-2\\nEvt17 AR-5\\nEvt18 AA-2"];' in dot
    assert "AA-8:" in diagram.legend()
