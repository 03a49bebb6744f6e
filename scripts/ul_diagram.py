"""Draw the PS3.8 upper-layer state machine from ``dicomnet.ul.table`` (Mermaid or Graphviz text).

The diagram is generated from ``TRANSITIONS`` and ``ACTION_SPECS``, never drawn by hand, so it
cannot drift from the code (h11's make-state-diagrams.py idea). Usage:

    python scripts/ul_diagram.py [--format mermaid|dot] [--no-aborts] > ul.mmd

``--no-aborts`` leaves out the AA-* edges (protocol errors and aborts), which otherwise connect
every state to Sta1/Sta13 and hide the normal flow.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

from dicomnet.ul import ACTION_SPECS, TRANSITIONS, Action, Evt, State


def edges(include_aborts: bool = True) -> dict[tuple[State, State], list[str]]:
    """``{(from, to): ["Evt3 AE-3", ...]}``: one edge per (state, next state) pair."""
    out: dict[tuple[State, State], list[str]] = defaultdict(list)
    for (state, evt), action in sorted(
        TRANSITIONS.items(), key=lambda kv: (kv[0][0].value, kv[0][1].value)
    ):
        if not include_aborts and action.value.startswith("AA-"):
            continue
        for target in sorted(ACTION_SPECS[action].next_states, key=lambda s: s.value):
            out[(state, target)].append(f"{evt.name} {action.value}")
    return dict(out)


def _label(labels: list[str], sep: str) -> str:
    return sep.join(labels if len(labels) <= 4 else [*labels[:3], "..."])


def mermaid(include_aborts: bool = True) -> str:
    """The machine as a Mermaid ``stateDiagram-v2``."""
    lines = ["stateDiagram-v2"]
    lines += [f"    {s.name} : {s.name} {s.description}" for s in State]
    lines.append("    [*] --> Sta1")
    for (src, dst), labels in edges(include_aborts).items():
        lines.append(f"    {src.name} --> {dst.name} : {_label(labels, '; ')}")
    return "\n".join(lines) + "\n"


def dot(include_aborts: bool = True) -> str:
    """The machine as a Graphviz ``digraph``."""
    lines = ["digraph ul {", "    rankdir=LR;", '    node [shape=box, fontname="Helvetica"];']
    for s in State:
        text = s.description.replace('"', "'")
        lines.append(f'    {s.name} [label="{s.name}\\n{text}"];')
    for (src, dst), labels in edges(include_aborts).items():
        style = ", style=dashed" if all(" AA-" in x for x in labels) else ""
        label = _label(labels, "\\n")
        lines.append(f'    {src.name} -> {dst.name} [label="{label}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def legend() -> str:
    """Events and actions with the standard's text, for the page that shows the diagram."""
    lines = [f"{e.name}: {e.description}" for e in Evt]
    lines += [f"{a.value}: {ACTION_SPECS[a].description}" for a in Action]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--format", choices=("mermaid", "dot", "legend"), default="mermaid")
    parser.add_argument("--no-aborts", action="store_true", help="leave out the AA-* edges")
    args = parser.parse_args(argv)
    include = not args.no_aborts
    text = {"mermaid": mermaid, "dot": dot}.get(args.format)
    sys.stdout.write(text(include) if text else legend())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
