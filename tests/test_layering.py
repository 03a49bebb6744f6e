"""The import direction of DESIGN.md §3.2, checked mechanically.

Lower layers never import higher ones, and the sans-IO core never imports network modules.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "dicomnet"

# Each layer may import itself and the layers listed for it (transitively lower ones).
_BASE = {"errors", "uid", "_uid_data", "_attrs_repr", "_lazy"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "uid": {"errors", "_uid_data", "_attrs_repr"},
    "_uid_data": set(),
    "_attrs_repr": set(),
    "_lazy": set(),
    "dataset": _BASE,
    "pdu": _BASE,
    "ul": _BASE | {"pdu"},
    "dimse": _BASE | {"dataset", "pdu"},
    "acse": _BASE | {"pdu"},
    "association": _BASE | {"dataset", "pdu", "ul", "dimse", "acse"},
    "services": _BASE | {"dataset", "pdu", "ul", "dimse", "acse", "association"},
    "samples": _BASE | {"dataset"},
    "archive": _BASE | {"dataset", "pdu", "dimse", "acse", "association", "services"},
    "transport": _BASE | {"dataset", "pdu", "ul", "dimse", "acse", "association", "services"},
}
# Only the transport touches the network (DESIGN.md §3.1).
NETWORK_LAYERS = {"transport"}
NETWORK_MODULES = {"socket", "selectors", "asyncio", "ssl"}


def _layer_of(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py")


def _dicomnet_imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = ".".join(("dicomnet", *path.relative_to(ROOT).parent.parts))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                names = [".".join([*base, node.module] if node.module else base)]
            elif node.module:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "dicomnet" and len(parts) > 1:
                found.add(parts[1])
            elif parts[0] in NETWORK_MODULES:
                found.add("!" + parts[0])
    return found


def _modules() -> list[pathlib.Path]:
    return sorted(p for p in ROOT.rglob("*.py") if _layer_of(p) in ALLOWED)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_only_lower_layers(path: pathlib.Path) -> None:
    layer = _layer_of(path)
    imported = _dicomnet_imports(path) - {layer}
    network = {n for n in imported if n.startswith("!")}
    if layer not in NETWORK_LAYERS:
        assert not network, f"{path} imports a network module"
    assert imported - network <= ALLOWED[layer], (
        f"{path} imports {sorted(imported - ALLOWED[layer])}"
    )


def test_importing_the_sans_io_core_loads_no_network_module() -> None:
    code = (
        "import sys, dicomnet.dataset, dicomnet.pdu, dicomnet.ul, dicomnet.dimse, dicomnet.acse,"
        " dicomnet.association, dicomnet.services\n"
        "print(sorted(m for m in ('socket', 'selectors', 'asyncio', 'ssl') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
