"""Oracle: every corpus file and pydicom's bundled files read by dicomnet equal pydicom's reading.

The comparison (tests/dataset/oracle.py) is element by element, recursively through sequences:
tag, VR and value. Its docstring lists where pydicom's interpretation differs from PS3.5.
Files pydicom reads only by silently accepting truncated data are expected to raise
DatasetDecodeError here (PS3.5 §7.1.1: a value length beyond the data is an error).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pydicom
import pytest

from dicomnet.dataset.part10 import read_file
from dicomnet.errors import DatasetDecodeError
from tests.dataset.corpus import CorpusFile, pydicom_charset_files, pydicom_test_files
from tests.dataset.oracle import differences

# pydicom accepts these by truncating a value or misreading a stray byte; PS3.5 makes them errors.
TRUNCATED = {
    "MR_truncated.dcm": 0x7FE00010,  # Pixel Data value length past the end of the file
    "rtplan_truncated.dcm": 0x300A00B0,  # Beam Sequence length past the end
    "no_meta.dcm": 0x08200500,  # a stray leading byte: the first length is 173 MB
}

PYDICOM_FILES = pydicom_test_files() + pydicom_charset_files()


def _pydicom_read(path: Path) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, force=True)


def _compare(path: Path) -> list[str]:
    ours = read_file(path, replace_un=True)
    theirs = _pydicom_read(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = differences(ours.dataset, theirs, little_endian=ours.little_endian)
        found += differences(ours.meta, theirs.file_meta, little_endian=True, where="meta ")
    return found


def test_corpus_has_every_vr(corpus: list[CorpusFile]) -> None:
    rich = next(f for f in corpus if f.name == "rich_explicit_le")
    ds = read_file(rich.path).dataset
    seen: set[str] = set()

    def walk(d: object) -> None:
        assert hasattr(d, "entries")
        for entry in d.entries():  # type: ignore[attr-defined]
            seen.add(entry.vr)
            element = d[entry.tag]  # type: ignore[index]
            if element.vr == "SQ":
                for item in element.value:
                    walk(item)

    walk(ds)
    from dicomnet.dataset.vr import ALL_VRS

    assert seen >= ALL_VRS


@pytest.mark.parametrize("name", ["rich_explicit_le", "rich_explicit_be", "rich_implicit_le"])
def test_corpus_oracle_both_sequence_modes(corpus: list[CorpusFile], name: str) -> None:
    path = next(f.path for f in corpus if f.name == name)
    theirs = _pydicom_read(path)
    for lazy in (True, False):
        ours = read_file(path, replace_un=True, lazy_sequences=lazy)
        assert differences(ours.dataset, theirs, little_endian=ours.little_endian) == []


def test_corpus_oracle(corpus: list[CorpusFile]) -> None:
    failures = {f.name: d for f in corpus if (d := _compare(f.path))}
    assert failures == {}


@pytest.mark.parametrize("path", PYDICOM_FILES, ids=lambda p: p.name)
def test_pydicom_files_oracle(path: Path) -> None:
    if path.name in TRUNCATED:
        with pytest.raises(DatasetDecodeError) as info:
            read_file(path)
        assert info.value.tag == TRUNCATED[path.name]
        assert info.value.offset is not None
        return
    assert _compare(path) == []


def test_un_kept_by_default(corpus: list[CorpusFile]) -> None:
    """Without replace_un, a UN element stays UN with its bytes (DCMTK's choice, PS3.5 §6.2.2)."""
    path = next(f.path for f in corpus if f.name == "rich_explicit_le")
    ds = read_file(path).dataset
    assert ds[0x00180015].vr == "UN"
    assert ds[0x00180015].value == b"HEAD"
    replaced = read_file(path, replace_un=True).dataset
    assert replaced[0x00180015].vr == "CS"
    assert replaced[0x00180015].value == "HEAD"
