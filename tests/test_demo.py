"""``scripts/demo.py`` (``make demo``): the README's main job end to end, and its checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dicomnet.dataset import DataElement, encode_file, read_file
from dicomnet.samples import generate_study
from scripts.demo import DemoError, compare, wait_listening

ROOT = Path(__file__).resolve().parent.parent


def test_demo_retrieves_the_study(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all 15 objects arrived intact" in result.stdout
    assert "stopped, exit code 0" in result.stdout
    assert "Success (0x0000)" in result.stderr  # movescu's progress and summary are shown
    received = sorted((tmp_path / "demo-out").iterdir())
    originals = sorted((tmp_path / "demo" / "archive").glob("*.dcm"))
    assert len(received) == len(originals) == 15
    uids = {read_file(p).dataset.get_value("SOPInstanceUID") for p in received}
    assert uids == {read_file(p).dataset.get_value("SOPInstanceUID") for p in originals}


def test_compare_finds_a_changed_element(tmp_path: Path) -> None:
    original = generate_study(tmp_path, series_per_study=1, images_per_series=1, rows=8, columns=8)[
        0
    ]
    assert compare(original, original) is None
    part10 = read_file(original)
    part10.dataset[0x00100010] = DataElement(0x00100010, "PN", "Someone^Else")
    copy = tmp_path / "copy.dcm"
    copy.write_bytes(b"".join(bytes(chunk) for chunk in encode_file(part10)))
    assert compare(original, copy) == "element (0010,0010) differs"


def test_an_archive_that_exits_early_is_a_demo_error() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    with pytest.raises(DemoError, match="exited with code 3"):
        wait_listening(proc, 1, 5.0)
