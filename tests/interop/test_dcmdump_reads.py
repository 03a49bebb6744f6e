"""Files written by dicomnet are read without complaint by DCMTK ``dcmdump`` and by pydicom.

Every corpus file (tests/dataset/corpus.py) is read with dicomnet and written back as a Part 10
file under several option sets; ``dcmdump`` must exit 0 with no ``E:``/``W:``/``F:`` line, and
pydicom must read it (every value accessed, warnings turned into errors) with the same element
values as the original, in the order written.
"""

from __future__ import annotations

import subprocess
import warnings
from array import array
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset as PDataset

from dicomnet.dataset.part10 import read_file
from dicomnet.dataset.part10_writer import write_file
from dicomnet.dataset.writer import GroupLength, LengthEncoding, Padding, WriteOptions
from tests.dataset.corpus import CorpusFile, build_corpus
from tests.peers import require_program

NATIVE_OPTIONS: dict[str, WriteOptions] = {
    "default": WriteOptions(),
    "+te": WriteOptions(transfer_syntax="1.2.840.10008.1.2.1"),
    "+tb -e": WriteOptions(
        transfer_syntax="1.2.840.10008.1.2.2", length_encoding=LengthEncoding.UNDEFINED
    ),
    "+ti +g": WriteOptions(transfer_syntax="1.2.840.10008.1.2", group_length=GroupLength.CREATE),
    "+td +cl 9": WriteOptions(transfer_syntax="1.2.840.10008.1.2.1.99", deflate_level=9),
    "-g +p 512 8": WriteOptions(
        group_length=GroupLength.REMOVE, padding=Padding.CREATE, file_padding=512, item_padding=8
    ),
    "-u": WriteOptions(new_vrs=False),
    "+B": WriteOptions(bit_preserving=True),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[CorpusFile]:
    return build_corpus(tmp_path_factory.mktemp("corpus-dcmdump"))


def _options_for(cf: CorpusFile, name: str) -> WriteOptions | None:
    options = NATIVE_OPTIONS[name]
    if "encapsulated" in cf.features and options.transfer_syntax is not None:
        return None  # encapsulated data is passed through in its own transfer syntax only
    if name == "+B" and "odd-length" in cf.features:
        return None  # bit-preserving keeps the odd lengths, which dcmdump rightly reports
    return options


def _written(corpus: list[CorpusFile], tmp_path: Path, name: str) -> list[tuple[CorpusFile, Path]]:
    out = []
    for cf in corpus:
        options = _options_for(cf, name)
        if options is None:
            continue
        path = tmp_path / f"{cf.name}.dcm"
        write_file(path, read_file(cf.path), options)
        out.append((cf, path))
    return out


@pytest.mark.peer
@pytest.mark.parametrize("name", list(NATIVE_OPTIONS))
def test_dcmdump_reads_without_complaint(
    corpus: list[CorpusFile], tmp_path: Path, name: str
) -> None:
    exe = require_program("dcmdump")
    for cf, path in _written(corpus, tmp_path, name):
        result = subprocess.run(
            [exe, "+L", str(path)], capture_output=True, text=True, errors="replace"
        )
        complaints = [
            line
            for line in (result.stdout + result.stderr).splitlines()
            if line[:2] in ("E:", "W:", "F:")
        ]
        assert result.returncode == 0, (cf.name, name, result.stderr)
        if name == "+B":  # the original bytes: dcmdump says about them what it says of the source
            source = subprocess.run(
                [exe, "+L", str(cf.path)], capture_output=True, text=True, errors="replace"
            )
            assert complaints == [
                line
                for line in (source.stdout + source.stderr).splitlines()
                if line[:2] in ("E:", "W:", "F:")
            ]
        else:
            assert not complaints, (cf.name, name, complaints)
        assert "# Dicom-Data-Set" in result.stdout


_BIG = "1.2.840.10008.1.2.2"
_IMPLICIT = "1.2.840.10008.1.2"
_WORDS = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
_CODES = {2: "H", 4: "I", 8: "Q"}


def _values(ds: PDataset, *, skip_private: bool) -> list[tuple[int, str, Any]]:
    """(tag, VR, value) of every element, recursively, values accessed (and so validated)."""
    out: list[tuple[int, str, Any]] = []
    for element in ds:
        tag = int(element.tag)
        if skip_private and (tag >> 16) % 2:
            continue
        if element.VR == "SQ":
            out.append((tag, "SQ", len(element.value)))
            for item in element.value:
                out.extend(_values(item, skip_private=skip_private))
        else:
            out.append((tag, element.VR, element.value))
    return out


def _swapped(value: bytes, vr: str) -> bytes:
    arr = array(_CODES[_WORDS[vr]])
    arr.frombytes(value[: len(value) - len(value) % arr.itemsize])
    arr.byteswap()
    return arr.tobytes()


@pytest.mark.parametrize("name", list(NATIVE_OPTIONS))
def test_pydicom_reads_what_we_write(corpus: list[CorpusFile], tmp_path: Path, name: str) -> None:
    options = NATIVE_OPTIONS[name]
    for cf, path in _written(corpus, tmp_path, name):
        output_ts = options.transfer_syntax or cf.transfer_syntax
        # In implicit VR a private sequence of explicit length cannot be told from bytes: private
        # elements are compared only where both files carry their VR.
        skip_private = _IMPLICIT in (output_ts, cf.transfer_syntax)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            theirs = pydicom.dcmread(path)
            ours_values = _values(theirs, skip_private=skip_private)
        expected = _values(pydicom.dcmread(cf.path), skip_private=skip_private)
        if options.group_length is not GroupLength.RECALC:
            ours_values = [v for v in ours_values if v[0] & 0xFFFF]
            expected = [v for v in expected if v[0] & 0xFFFF]
        ours_values = [v for v in ours_values if v[0] != 0xFFFCFFFC]
        assert [v[0] for v in ours_values] == [v[0] for v in expected], (cf.name, name)
        swap = (output_ts == _BIG) != (cf.transfer_syntax == _BIG)
        for (tag, vr, value), (_, vr0, value0) in zip(ours_values, expected, strict=True):
            if not options.new_vrs and vr == "OB" and vr0 != "OB":
                continue  # -u: written as OB; compared with dcmconv's bytes in test_dcmconv.py
            if swap and vr0 in ("OW", "OF", "OD", "OL", "OV") and isinstance(value0, bytes):
                value0 = _swapped(value0, vr0)  # pydicom keeps big-endian words as wire bytes
            if isinstance(value0, bytes) and len(value0) % 2:
                value0 = value0 + b"\x00"  # odd binary value padded on write (PS3.5 §6.2)
            assert value == value0, (cf.name, name, hex(tag), vr)
        assert theirs.file_meta.TransferSyntaxUID == output_ts
