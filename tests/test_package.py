from __future__ import annotations

import pathlib
import subprocess
import sys

from typer.testing import CliRunner

import dicomnet
from dicomnet_cli.main import app


def test_version_names_dicomnet_and_its_dependencies() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert f"dicomnet {dicomnet.__version__}" in result.output
    for dep in ("attrs", "construct", "typer"):
        assert dep in result.output


def test_cli_package_is_namespaced_not_top_level_cli(tmp_path: pathlib.Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import importlib.util as u; print(u.find_spec('cli') is None)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert out.stdout.strip() == "True"


def test_every_package_directory_is_listed_in_pyproject() -> None:
    import tomllib

    root = pathlib.Path(__file__).resolve().parent.parent
    listed = set(
        tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(root).parts) for p in (root / "dicomnet").rglob("__init__.py")
    }
    found |= {"dicomnet_cli"}
    assert found == listed
