"""Run as a new user would: ``pip install .`` into a fresh virtual environment, then ``movescu``.

The source tree is copied to a temporary directory (no build files land in the checkout), a
new virtual environment is made with ``python -m venv``, and ``pip install <copy>`` pulls the
runtime dependencies (attrs, construct, typer) from the package index. Then that environment's
``movescu`` prints its help and version, and retrieves a study from DCMTK's ``dcmqrscp``
(study root, STUDY level) to itself, run from a directory outside the checkout and with no
``PYTHONPATH``, so nothing is imported from the working tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dicomnet
from tests.interop.test_qr_scu_support import QRSCP, ROOT
from tests.peers import dcmtk_env, free_port, require_program, running

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
#: Not part of what a user checks out (or build output that must not leak into the install).
_SKIP = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
)


def _clean_env() -> dict[str, str]:
    """The environment without anything pointing Python at the checkout or the dev venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with dicomnet installed from a copy of the source tree."""
    root = tmp_path_factory.mktemp("fresh")
    src = root / "dicomnet-src"
    shutil.copytree(REPO, src, ignore=_SKIP)
    env_dir = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, env=_clean_env())
    pip = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(src)],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=root,
        timeout=600,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return env_dir / "bin"


def _run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "movescu"), *args],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=cwd,
        timeout=120,
    )


def test_installed_package_comes_from_the_new_environment(venv: Path, tmp_path: Path) -> None:
    code = (
        "import dicomnet, dicomnet_cli, attrs, construct, typer; "
        "print(dicomnet.__file__); print(dicomnet_cli.__file__)"
    )
    out = subprocess.run(
        [str(venv / "python"), "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_env(),
        cwd=tmp_path,
    )
    site = venv.parent.resolve()
    for line in out.stdout.split():
        assert Path(line).resolve().is_relative_to(site), line
    # py.typed ships with the package (PEP 561).
    assert (Path(out.stdout.split()[0]).parent / "py.typed").is_file()


def test_help_exits_0_and_names_the_options(venv: Path, tmp_path: Path) -> None:
    result = _run(venv, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for option in ("-aet", "-aec", "-aem", "+P", "-od", "-k", "--key", "-S", "-to", "--version"):
        assert option in result.stdout, option


def test_version_names_dicomnet_and_its_dependencies(venv: Path, tmp_path: Path) -> None:
    result = _run(venv, "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = result.stdout + result.stderr
    assert f"dicomnet {dicomnet.__version__}" in text
    for dep in ("attrs", "construct", "typer"):
        assert dep in text, dep


@pytest.mark.peer
def test_real_retrieve_from_dcmqrscp(venv: Path, tmp_path: Path) -> None:
    require_program("dcmqrscp")
    port = free_port()
    (tmp_path / "qr").mkdir()
    qr = QRSCP(tmp_path / "qr", {"MOVESCU": port})
    out = tmp_path / "out"
    out.mkdir()
    study = f"{ROOT}.3.1"
    expected = qr.uids("STUDY", study)
    assert len(expected) == 40
    cmd = ["dcmqrscp", "-c", str(qr.cfg), str(qr.port)]
    with running(cmd, port=qr.port, env=dcmtk_env()):
        result = _run(
            venv,
            "-S",
            "-aec",
            "QRSCP",
            "+P",
            str(port),
            "-od",
            str(out),
            "-to",
            "10",
            "-td",
            "30",
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            f"StudyInstanceUID={study}",
            "127.0.0.1",
            str(qr.port),
            cwd=tmp_path,
        )
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == sorted(f"CT.{uid}" for uid in expected)
    for uid in expected:
        assert (out / f"CT.{uid}").read_bytes()[128:132] == b"DICM"
