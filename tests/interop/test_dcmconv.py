"""dicomnet's writer against DCMTK ``dcmconv``: byte-for-byte equal data sets, option by option.

For every corpus file (tests/dataset/corpus.py) and every output option of the acceptance list
(``+te +tb +ti +g -g -e +p 256 16``, plus the default, ``-u`` and ``+td``), ``dcmconv`` writes a
file and dicomnet encodes the data set it read with the equivalent :class:`WriteOptions`. The data
set parts (everything after the File Meta Information) must be equal byte for byte. The file
padding of ``+p`` depends on the length of what precedes the data set, so dicomnet is given
DCMTK's meta length (``instance_length``); our own files are checked to be padded in
tests/dataset/test_write_part10.py. pydicom's bundled test and character-set files are compared
too, wherever dcmconv converts them.

Two deliberate differences, checked explicitly, where dcmconv departs from PS3.5: it pads an
odd-length value it *read* with NUL whatever the VR (the terminator of its buffer), while PS3.5
§6.2 pads text VRs with a space; and it leaves an odd-length deflated stream odd, while PS3.5 §A.5
adds one trailing NUL. dicomnet follows PS3.5. Encapsulated data to a native transfer syntax fails
in both.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from dicomnet.dataset import Dataset, RawElement
from dicomnet.dataset.part10 import Part10File, read_file
from dicomnet.dataset.vr import padding_byte
from dicomnet.dataset.writer import (
    GroupLength,
    LengthEncoding,
    Padding,
    WriteOptions,
    encode_dataset,
)
from dicomnet.errors import DatasetDecodeError, DatasetEncodeError
from tests.dataset.corpus import (
    CorpusFile,
    build_corpus,
    pydicom_charset_files,
    pydicom_test_files,
)
from tests.peers import require_program

pytestmark = pytest.mark.peer

DEFLATED = "1.2.840.10008.1.2.1.99"

OPTIONS: dict[str, tuple[list[str], WriteOptions]] = {
    "-p": (["-p"], WriteOptions(padding=Padding.OFF)),
    "default": ([], WriteOptions()),
    "+te": (["+te"], WriteOptions(transfer_syntax="1.2.840.10008.1.2.1")),
    "+tb": (["+tb"], WriteOptions(transfer_syntax="1.2.840.10008.1.2.2")),
    "+ti": (["+ti"], WriteOptions(transfer_syntax="1.2.840.10008.1.2")),
    "+td": (["+td"], WriteOptions(transfer_syntax="1.2.840.10008.1.2.1.99")),
    "+g": (["+g"], WriteOptions(group_length=GroupLength.CREATE)),
    "-g": (["-g"], WriteOptions(group_length=GroupLength.REMOVE)),
    "-e": (["-e"], WriteOptions(length_encoding=LengthEncoding.UNDEFINED)),
    "-u": (["-u"], WriteOptions(new_vrs=False)),
    "+p 256 16": (
        ["+p", "256", "16"],
        WriteOptions(padding=Padding.CREATE, file_padding=256, item_padding=16),
    ),
    "+g -e +p 64 8 +tb": (
        ["+g", "-e", "+p", "64", "8", "+tb"],
        WriteOptions(
            transfer_syntax="1.2.840.10008.1.2.2",
            group_length=GroupLength.CREATE,
            length_encoding=LengthEncoding.UNDEFINED,
            padding=Padding.CREATE,
            file_padding=64,
            item_padding=8,
        ),
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[CorpusFile]:
    return build_corpus(tmp_path_factory.mktemp("corpus-dcmconv"))


def _split(path: Path) -> tuple[int, bytes]:
    """(length of preamble + DICM + meta, data set bytes) of a DCMTK-written file."""
    data = path.read_bytes()
    assert data[128:132] == b"DICM"
    assert data[132:136] == b"\x02\x00\x00\x00"  # (0002,0000) first
    meta_end = 144 + struct.unpack_from("<L", data, 140)[0]
    return meta_end, data[meta_end:]


def _odd_text_values(ds: Dataset) -> Iterator[RawElement]:
    """Elements read with an odd length whose PS3.5 padding byte is a space."""
    for entry in ds.entries():
        if isinstance(entry, RawElement):
            if entry.value_length % 2 and padding_byte(ds.vr_of(entry.tag)) == b" ":
                yield entry
        elif entry.vr == "SQ":
            for item in entry.value:
                yield from _odd_text_values(item)


def _dcmconv(args: list[str], src: Path, dst: Path) -> subprocess.CompletedProcess[str]:
    exe = require_program("dcmconv")
    return subprocess.run([exe, *args, str(src), str(dst)], capture_output=True, text=True)


def _assert_same_but_documented(
    source: Part10File, options: WriteOptions, out: Path, what: object
) -> None:
    """Our encoding of ``source`` equals dcmconv's ``out`` but for the documented differences."""
    meta_length, theirs = _split(out)
    output_ts = options.transfer_syntax or (source.transfer_syntax and source.transfer_syntax.uid)
    deflated = output_ts == DEFLATED
    if deflated and len(theirs) % 2:
        # PS3.5 §A.5: an odd deflated stream ends with one NUL; dcmconv 3.6.7 omits it.
        theirs += b"\x00"
    ours = b"".join(
        encode_dataset(
            source.dataset,
            options,
            source_transfer_syntax=source.transfer_syntax,
            instance_length=meta_length,
        )
    )
    odd = list(_odd_text_values(source.dataset))
    if not odd:
        assert ours == theirs, what
        return
    if deflated:  # compare the inflated streams
        ours, theirs = zlib.decompressobj(-15).decompress(ours), zlib.decompress(theirs, -15)
    # dcmconv pads odd text values it read with NUL (PS3.5 §6.2: space).
    assert len(ours) == len(theirs), what
    differing = [i for i in range(len(ours)) if ours[i] != theirs[i]]
    assert len(differing) == len(odd), (what, differing)
    assert all(ours[i] == 0x20 and theirs[i] == 0x00 for i in differing), what


@pytest.mark.parametrize("option", list(OPTIONS))
def test_dataset_equals_dcmconv(corpus: list[CorpusFile], option: str, tmp_path: Path) -> None:
    args, options = OPTIONS[option]
    compared = 0
    for cf in corpus:
        out = tmp_path / f"{cf.name}.dcm"
        result = _dcmconv(args, cf.path, out)
        source = read_file(cf.path)
        if result.returncode != 0:
            # DCMTK cannot convert encapsulated pixel data to another transfer syntax: neither can
            # we (no codecs; pass-through only).
            assert "encapsulated" in cf.features, (cf.name, result.stderr)
            with pytest.raises(DatasetEncodeError):
                encode_dataset(
                    source.dataset, options, source_transfer_syntax=source.transfer_syntax
                )
            continue
        _assert_same_but_documented(source, options, out, (cf.name, option))
        compared += 1
    assert compared >= 10


# dcmconv's codecs read Image Type of these encapsulated files, and DCMTK's automatic data
# correction then drops the value's extra trailing spaces ("OTHER  " -> "OTHER"): a legal
# re-encoding of a value we were not asked to change, which dicomnet keeps as read.
_DCMTK_REWRITES_VALUES = {"SC_rgb_gdcm_KY.dcm", "examples_ybr_color.dcm"}


@pytest.mark.parametrize("option", ["default", "+tb", "+p 256 16"])
def test_pydicom_files_equal_dcmconv(option: str, tmp_path: Path) -> None:
    """pydicom's bundled test and character-set files, where dcmconv converts them."""
    args, options = OPTIONS[option]
    compared = 0
    for path in pydicom_test_files() + pydicom_charset_files():
        if path.stat().st_size > 200_000 or path.name in _DCMTK_REWRITES_VALUES:
            continue
        try:
            source = read_file(path)
        except DatasetDecodeError:
            continue  # the reader's tests say which files and why
        out = tmp_path / path.name
        if _dcmconv(args, path, out).returncode != 0 or out.read_bytes()[128:132] != b"DICM":
            continue  # dcmconv refuses it (e.g. encapsulated to native, or unreadable)
        _assert_same_but_documented(source, options, out, (path.name, option))
        compared += 1
    assert compared >= 40


def test_corpus_has_the_features_compared(corpus: list[CorpusFile]) -> None:
    """The comparison above covers what the acceptance names (not vacuous)."""
    features = {f for cf in corpus for f in cf.features}
    assert {"encapsulated", "odd-length", "charset", "un-undefined", "sequences"} <= features
    transfer_syntaxes = {cf.transfer_syntax for cf in corpus}
    assert {
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.2",
        "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.4.50",
    } <= transfer_syntaxes


def test_odd_text_padding_difference_is_real(corpus: list[CorpusFile], tmp_path: Path) -> None:
    """dcmconv really writes NUL after an odd-length LO read from a file; dicomnet a space."""
    raw = next(cf for cf in corpus if cf.name == "raw_explicit_le")
    out = tmp_path / "raw.dcm"
    assert _dcmconv([], raw.path, out).returncode == 0
    _, theirs = _split(out)
    ours = b"".join(encode_dataset(read_file(raw.path).dataset))
    # StudyDescription (0008,1030) LO "abc" (odd, written raw in the corpus)
    header = struct.pack("<HH", 0x0008, 0x1030) + b"LO" + struct.pack("<H", 4)
    assert header + b"abc\x00" in theirs
    assert header + b"abc " in ours


def test_odd_deflated_stream_gets_its_nul(corpus: list[CorpusFile], tmp_path: Path) -> None:
    """dcmconv leaves some deflated streams odd (PS3.5 §A.5 wants a trailing NUL); we add it."""
    odd = 0
    for cf in corpus:
        out = tmp_path / f"{cf.name}.dcm"
        if _dcmconv(["+td"], cf.path, out).returncode != 0:
            continue
        _, theirs = _split(out)
        source = read_file(cf.path)
        ours = b"".join(encode_dataset(source.dataset, OPTIONS["+td"][1]))
        assert len(ours) % 2 == 0
        if len(theirs) % 2:
            odd += 1
            assert ours[-1:] == b"\x00"
    assert odd > 0  # the corpus exercises the case


def _el(tag: int, vr: bytes, value: bytes, *, undefined: bool = False) -> bytes:
    length = 0xFFFFFFFF if undefined else len(value)
    if vr in (b"OB", b"SQ", b"UN"):
        return struct.pack("<HH2sHL", tag >> 16, tag & 0xFFFF, vr, 0, length) + value
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr, length) + value


def _item(body: bytes, *, undefined: bool = False) -> bytes:
    if undefined:
        return struct.pack("<HHL", 0xFFFE, 0xE000, 0xFFFFFFFF) + body + _ITEM_END
    return struct.pack("<HHL", 0xFFFE, 0xE000, len(body)) + body


_ITEM_END = struct.pack("<HHL", 0xFFFE, 0xE00D, 0)
_SEQ_END = struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)


def _meta(ts: bytes) -> bytes:
    body = (
        _el(0x00020001, b"OB", b"\x00\x01")
        + _el(0x00020002, b"UI", b"1.2.840.10008.5.1.4.1.1.7\x00")
        + _el(0x00020003, b"UI", b"1.2.3.4\x00")
        + _el(0x00020010, b"UI", ts)
    )
    return bytes(128) + b"DICM" + _el(0x00020000, b"UL", struct.pack("<L", len(body))) + body


def _edge_case_file(path: Path) -> None:
    """Group lengths inside items (one wrong), padding elements in an item and at the end, an
    (FFFC,0000), undefined-length sequences and items, an empty item, a 70,000-byte LT."""
    inner = _item(
        _el(0x00080000, b"UL", struct.pack("<L", 5))
        + _el(0x00080100, b"SH", b"12")
        + _el(0xFFFCFFFC, b"OB", b"\x00\x00"),
        undefined=True,
    )
    outer = _item(
        _el(0x00080000, b"UL", bytes(4))
        + _el(0x00081150, b"UI", b"1.2\x00")
        + _el(0x00089215, b"SQ", b"", undefined=True)
        + inner
        + _SEQ_END,
        undefined=True,
    )
    data = (
        _el(0x00080000, b"UL", struct.pack("<L", 999))
        + _el(0x00080016, b"UI", b"1.2.3\x00")
        + _el(0x00081140, b"SQ", b"", undefined=True)
        + outer
        + _item(b"")
        + _SEQ_END
        + _el(0x00100010, b"PN", b"Do")
        + _el(0x00204000, b"UN", b"x" * 70000)
        + _el(0xFFFC0000, b"UL", bytes(4))
        + _el(0xFFFCFFFC, b"OB", bytes(6))
    )
    path.write_bytes(_meta(b"1.2.840.10008.1.2.1\x00") + data)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["+g"],
        ["-g"],
        ["-p"],
        ["+g", "-p"],
        ["+p", "64", "8"],
        ["+g", "+p", "64", "8"],
        ["+ti", "+p", "32", "8"],
        ["-e", "+p", "32", "8"],
        ["+tb", "-u", "-e"],
    ],
    ids=" ".join,
)
def test_edge_cases_equal_dcmconv(args: list[str], tmp_path: Path) -> None:
    source_path = tmp_path / "edge.dcm"
    _edge_case_file(source_path)
    out = tmp_path / "out.dcm"
    result = _dcmconv(args, source_path, out)
    assert result.returncode == 0, result.stderr
    meta_length, theirs = _split(out)
    options: dict[str, object] = {}
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        if flag == "+p":
            options.update(padding=Padding.CREATE, file_padding=int(rest.pop(0)))
            options.update(item_padding=int(rest.pop(0)))
        else:
            options.update(attrs.asdict(OPTIONS[flag][1], recurse=False, filter=_changed))
    source = read_file(source_path)
    ours = encode_dataset(
        source.dataset,
        WriteOptions(**options),  # type: ignore[arg-type]
        source_transfer_syntax=source.transfer_syntax,
        instance_length=meta_length,
    )
    assert b"".join(ours) == theirs


def _changed(attribute: attrs.Attribute[object], value: object) -> bool:
    return bool(value != attribute.default)
