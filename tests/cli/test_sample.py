"""``dicomnet sample``: the command writes what dicomnet.samples writes, with DCMTK-style syntax."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from typer.testing import CliRunner, Result

from dicomnet.samples import generate_study
from dicomnet_cli.sample import app, parse_size

RUNNER = CliRunner()


def run(*args: str) -> Result:
    return RUNNER.invoke(app, list(args))


def test_study_counts_and_summary(tmp_path: Path) -> None:
    result = run(str(tmp_path), "--patients", "2", "--series", "2", "--images", "3")
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("*.dcm"))
    assert len(files) == 12
    total = sum(f.stat().st_size for f in files)
    assert result.stdout.strip() == f"12 files, {total} bytes in {tmp_path}"
    datasets = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    assert len({d.PatientID for d in datasets}) == 2
    assert len({d.SeriesInstanceUID for d in datasets}) == 4


def test_same_files_as_the_library(tmp_path: Path) -> None:
    result = run(str(tmp_path / "cli"), "--series", "1", "--images", "2", "--seed", "5", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    expected = generate_study(tmp_path / "lib", series_per_study=1, images_per_series=2, seed=5)
    for f in expected:
        assert (tmp_path / "cli" / f.name).read_bytes() == f.read_bytes()


@pytest.mark.parametrize(
    ("option", "syntax"),
    [
        ("+ti", "1.2.840.10008.1.2"),
        ("+te", "1.2.840.10008.1.2.1"),
        ("+tb", "1.2.840.10008.1.2.2"),
        ("--write-xfer-deflated", "1.2.840.10008.1.2.1.99"),
    ],
)
def test_transfer_syntax_options(tmp_path: Path, option: str, syntax: str) -> None:
    result = run(option, str(tmp_path), "--series", "1", "--images", "1")
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*.dcm")
    assert pydicom.dcmread(path).file_meta.TransferSyntaxUID == syntax


def test_rightmost_syntax_wins_and_mr_tree(tmp_path: Path) -> None:
    result = run(
        str(tmp_path), "+tb", "+ti", "--modality", "MR", "--tree", "--series", "1",
        "--images", "2", "--rows", "32", "--columns", "48",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.rglob("*.dcm"))
    assert [f.name for f in files] == ["0001.dcm", "0002.dcm"]
    d = pydicom.dcmread(files[0])
    assert d.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2"
    assert (d.Modality, d.Rows, d.Columns) == ("MR", 32, 48)
    assert len(d.PixelData) == 32 * 48 * 2


def test_size_writes_one_large_object(tmp_path: Path) -> None:
    result = run(str(tmp_path), "--size", "1M", "--rows", "256", "--columns", "256")
    assert result.exit_code == 0, result.output
    d = pydicom.dcmread(tmp_path / "large.dcm")
    assert int(d.NumberOfFrames) == 8
    assert len(d.PixelData) == 1 << 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--modality", "US"], "--modality must be CT or MR"),
        (["--rows", "0"], "rows"),
        (["--images", "0"], "images_per_series"),
        (["--size", "lots"], "not a size"),
        (["--size", "1M", "+td"], "deflated"),
    ],
)
def test_bad_values_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = run(str(tmp_path), *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("F: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert not list(tmp_path.rglob("*.dcm"))


def test_parse_size() -> None:
    assert parse_size("512") == 512
    assert parse_size("64k") == 64 << 10
    assert parse_size("64M") == 64 << 20
    assert parse_size("1G") == 1 << 30
    assert parse_size("2GiB") == 2 << 30
    with pytest.raises(ValueError, match="not a size"):
        parse_size("1T")
