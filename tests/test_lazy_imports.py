"""Lazy imports: importing one module loads only what it needs (start-up counts on small moves).

The package ``__init__`` files resolve their public names on first access (PEP 562) and list
them for type checkers under ``TYPE_CHECKING``; the ``movescu`` command imports rich, pydantic,
TLS, access control, logging.config and importlib.metadata only when an option asks for them.
Each check runs in a fresh interpreter and inspects its ``sys.modules``.
"""

from __future__ import annotations

import ast
import importlib
import json
import pathlib
import subprocess
import sys

import pytest

from tests.peers import free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = sorted(
    ".".join(p.relative_to(ROOT).parent.parts)
    for p in (ROOT / "dicomnet").rglob("__init__.py")
    if p.parent != ROOT / "dicomnet"
)


def _modules_after(code: str, env: dict[str, str] | None = None) -> tuple[object, set[str]]:
    """Run ``code`` in a fresh interpreter; its ``result`` variable and the modules it loaded."""
    script = (
        f"import json, sys\nresult = None\n{code}\nprint(json.dumps([result, sorted(sys.modules)]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    result, modules = json.loads(out.stdout.splitlines()[-1])
    return result, set(modules)


def _exports(package: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(TYPE_CHECKING imports, _EXPORTS, __all__) of a package's ``__init__.py``, by its AST."""
    path = ROOT.joinpath(*package.split("."), "__init__.py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_imports: dict[str, str] = {}
    exports: dict[str, str] = {}
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom), ast.unparse(imp)
                assert imp.module, ast.unparse(imp)
                typing_imports.update({alias.name: imp.module for alias in imp.names})
        target = getattr(node, "target", None) or next(iter(getattr(node, "targets", [])), None)
        if isinstance(target, ast.Name) and target.id == "_EXPORTS":
            exports = ast.literal_eval(node.value)  # type: ignore[arg-type]
        if isinstance(target, ast.Name) and target.id == "__all__":
            names = ast.literal_eval(node.value)  # type: ignore[arg-type]
    return typing_imports, exports, names


@pytest.mark.parametrize("package", PACKAGES)
def test_type_checking_imports_match_the_lazy_table(package: str) -> None:
    typing_imports, exports, names = _exports(package)
    assert exports, f"{package}/__init__.py has no _EXPORTS table"
    assert typing_imports == exports
    assert sorted(names) == sorted(exports)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves_in_a_fresh_interpreter(package: str) -> None:
    code = (
        f"import importlib\npkg = importlib.import_module({package!r})\n"
        "missing = [n for n in pkg.__all__ if getattr(pkg, n, None) is None]\n"
        "undir = sorted(set(pkg.__all__) - set(dir(pkg)))\n"
        "result = [missing, undir]"
    )
    result, _modules = _modules_after(code)
    assert result == [[], []]


@pytest.mark.parametrize("package", PACKAGES)
def test_importing_a_package_loads_none_of_its_submodules(package: str) -> None:
    _result, modules = _modules_after(f"import {package}")
    loaded = {m for m in modules if m.startswith(package + ".")}
    assert not loaded


def test_a_lazy_name_is_the_submodules_object_and_unknown_names_raise() -> None:
    services = importlib.import_module("dicomnet.services")
    store = importlib.import_module("dicomnet.services.store")
    assert services.DirectorySink is store.DirectorySink
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        _ = services.NoSuchThing
    from dicomnet.services import DirectorySink  # the spelling users write

    assert DirectorySink is store.DirectorySink


# What a retrieve must not load: other services, the archive, TLS, access control unless asked.
_NOT_FOR_A_RETRIEVE = {
    "dicomnet.services.qr_scp",
    "dicomnet.services.qr_scp_store",
    "dicomnet.services.find",
    "dicomnet.services.get",
    "dicomnet.services.storage_scu",
    "dicomnet.archive",
    "dicomnet.transport.tls",
    "dicomnet.transport.access",
    "dicomnet.transport.blocking",
    "dicomnet.pdu.loose",
    "sqlite3",
}


def test_services_move_loads_no_sibling_service() -> None:
    _result, modules = _modules_after("import dicomnet.services.move")
    assert not modules & (_NOT_FOR_A_RETRIEVE | {"dicomnet.services.storage_scp", "asyncio"})


def test_transport_retrieve_loads_only_what_a_retrieve_needs() -> None:
    _result, modules = _modules_after("import dicomnet.transport.retrieve")
    assert not modules & _NOT_FOR_A_RETRIEVE


_RUN_MOVESCU = """
from dicomnet_cli.movescu import app
try:
    app({args!r})
except SystemExit as exc:
    result = exc.code
"""

# Never needed before a move's first PDU (rich: only on a terminal; pydantic: typer's converters
# are replaced by cli/params.py; the character sets and decimal: only for text outside ISO 646
# and DS values read as Decimal; the others: only with -lc, --version, +tls, +ac).
_NOT_AT_START_UP = {
    "rich",
    "pydantic",
    "typer._adapters",
    "logging.config",
    "importlib.metadata",
    "dicomnet.dataset.charset",
    "decimal",
}


def test_movescu_retrieve_path_loads_nothing_it_does_not_use() -> None:
    port = free_port()  # nothing listens: the association fails after everything is loaded
    args = ["-S", "+P", "0", "-k", "StudyInstanceUID=1.2.3", "127.0.0.1", str(port)]
    code, modules = _modules_after(_RUN_MOVESCU.format(args=args))
    assert code == 61
    assert "dicomnet.transport.retrieve" in modules
    assert not modules & (_NOT_FOR_A_RETRIEVE | _NOT_AT_START_UP)


def test_movescu_version_loads_neither_the_library_nor_asyncio() -> None:
    code, modules = _modules_after(_RUN_MOVESCU.format(args=["--version"]))
    assert code == 0
    assert "importlib.metadata" in modules
    heavy = {"asyncio", "construct", "pydantic", "rich", "dicomnet.transport", "dicomnet.dataset"}
    assert not modules & heavy


def test_movescu_plus_ac_loads_access_control() -> None:
    port = free_port()
    args = ["+ac", "-k", "PatientID=1", "127.0.0.1", str(port)]
    code, modules = _modules_after(_RUN_MOVESCU.format(args=args))
    assert code == 61
    assert "dicomnet.transport.access" in modules


def test_storing_a_received_object_loads_no_character_set_module() -> None:
    # The File Meta Information is ASCII (PS3.10 §7.1): writing it needs no character set.
    code = (
        "from dicomnet.dataset.part10_writer import encode_file_meta\n"
        "head = encode_file_meta('1.2.840.10008.5.1.4.1.1.7', '1.2.3.4', '1.2.840.10008.1.2.1',"
        " source_ae_title='OURMOVE')\n"
        "result = len(head)"
    )
    size, modules = _modules_after(code)
    assert isinstance(size, int)
    assert size > 132
    assert "dicomnet.dataset.part10_writer" in modules
    assert "dicomnet.dataset.charset" not in modules


@pytest.mark.parametrize(("argv0", "paused"), [("/venv/bin/movescu", True), ("other", False)])
def test_the_movescu_console_script_pauses_gc_from_its_first_import(
    argv0: str, paused: bool
) -> None:
    code = f"import gc, sys\nsys.argv[0] = {argv0!r}\nimport dicomnet_cli\nresult = gc.isenabled()"
    enabled, _modules = _modules_after(code)
    assert enabled is not paused
