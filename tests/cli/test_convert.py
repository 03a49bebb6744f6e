"""``dicomnet convert``: DCMTK output options, byte equality with dcmconv, error paths."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dicomnet.dataset.part10 import read_file
from tests.cli.helpers import dataset_part, run
from tests.dataset.corpus import CorpusFile, build_corpus
from tests.peers import require_program

ORACLE_OPTIONS = ["+te", "+tb", "+ti", "+g", "-g", "-e", "-u", "+td", "+F"]


@pytest.mark.peer
def test_write_dataset_equals_dcmconv(corpus: list[CorpusFile], tmp_path: Path) -> None:
    for item in _rich(corpus):
        ours, theirs = tmp_path / "ours", tmp_path / "theirs"
        assert run("convert", str(item.path), str(ours), "-F", "+te").exit_code == 0
        _dcmconv(item.path, theirs, "-F", "+te")
        assert ours.read_bytes() == theirs.read_bytes(), item.name


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[CorpusFile]:
    return build_corpus(tmp_path_factory.mktemp("cli-corpus"))


def _rich(corpus: list[CorpusFile]) -> list[CorpusFile]:
    return [f for f in corpus if f.name.startswith("rich_") or f.name == "charset_utf8"]


def _oracle_files(corpus: list[CorpusFile], option: str) -> list[CorpusFile]:
    """The corpus files compared with dcmconv for ``option``.

    ``raw_*`` files are left out: they hold odd-length values, which the writer pads by PS3.5
    rules where dcmconv pads with NUL (docs/writing.md; tests/interop/test_dcmconv.py shows the
    difference). Encapsulated files only for options that keep their transfer syntax (neither
    tool decompresses pixel data).
    """
    keeps_ts = option not in ("+te", "+tb", "+ti", "+td")
    return [
        f
        for f in corpus
        if f.name.startswith(("rich_", "charset_")) or (f.name.startswith("encaps_") and keeps_ts)
    ]


def _by_name(corpus: list[CorpusFile], name: str) -> Path:
    return next(f.path for f in corpus if f.name == name)


def _dcmconv(source: Path, target: Path, *options: str) -> None:
    dcmconv = require_program("dcmconv")
    subprocess.run([dcmconv, *options, str(source), str(target)], check=True, capture_output=True)


@pytest.mark.peer
@pytest.mark.parametrize("option", ORACLE_OPTIONS)
def test_convert_equals_dcmconv(corpus: list[CorpusFile], tmp_path: Path, option: str) -> None:
    """The data set part (after the meta) is byte for byte what dcmconv writes."""
    for item in _oracle_files(corpus, option):
        ours, theirs = tmp_path / f"{item.name}.ours", tmp_path / f"{item.name}.theirs"
        result = run("convert", str(item.path), str(ours), option)
        assert result.exit_code == 0, result.output
        _dcmconv(item.path, theirs, option)
        a, b = dataset_part(ours), dataset_part(theirs)
        if read_file(ours).deflated and len(a) == len(b) + 1 and a[-1] == 0:
            # PS3.5 §A.5 pads an odd-length deflated stream with one NUL; DCMTK 3.6.7 omits it
            # (docs/writing.md). The stream itself must be the same.
            a = a[:-1]
        assert a == b, (item.name, option)


@pytest.mark.peer
@pytest.mark.parametrize("extra", [[], ["+te"], ["-e", "+tb"]])
def test_padding_equals_dcmconv(corpus: list[CorpusFile], tmp_path: Path, extra: list[str]) -> None:
    """+p 256 16: items padded as dcmconv does, the file a multiple of 256 bytes.

    The trailing (FFFC,FFFC) element's length depends on the meta header before the data set,
    which names the writer (ours: dicomnet, theirs: OFFIS), so the comparison stops there.
    """
    for item in _rich(corpus):
        if "deflated" in item.name:
            continue
        ours, theirs = tmp_path / f"{item.name}.ours", tmp_path / f"{item.name}.theirs"
        result = run("convert", str(item.path), str(ours), "+p", "256", "16", *extra)
        assert result.exit_code == 0, result.output
        _dcmconv(item.path, theirs, "+p", "256", "16", *extra)
        prefixes = []
        for path in (ours, theirs):
            assert path.stat().st_size % 256 == 0
            part10 = read_file(path)
            raw = part10.dataset.raw_element(0xFFFCFFFC)
            assert raw is not None
            prefixes.append(path.read_bytes()[part10.dataset_offset : raw.offset])
        assert prefixes[0] == prefixes[1], item.name


def test_default_and_write_xfer_same_keep_the_transfer_syntax(
    corpus: list[CorpusFile], tmp_path: Path
) -> None:
    for item in _rich(corpus):
        for options in ([], ["+t="], ["+te", "+t="]):
            out = tmp_path / "out.dcm"
            assert run("convert", str(item.path), str(out), *options).exit_code == 0
            assert read_file(out).file_meta.transfer_syntax_uid == item.transfer_syntax


@pytest.mark.parametrize(
    ("option", "uid"),
    [
        ("+te", "1.2.840.10008.1.2.1"),
        ("--write-xfer-big", "1.2.840.10008.1.2.2"),
        ("+ti", "1.2.840.10008.1.2"),
        ("+td", "1.2.840.10008.1.2.1.99"),
    ],
)
def test_output_transfer_syntax(
    corpus: list[CorpusFile], tmp_path: Path, option: str, uid: str
) -> None:
    source = _by_name(corpus, "rich_explicit_le")
    out = tmp_path / "out.dcm"
    assert run("convert", str(source), str(out), option).exit_code == 0
    written = read_file(out)
    assert written.file_meta.transfer_syntax_uid == uid
    original = read_file(source).dataset
    assert written.dataset["PatientName"].value == original["PatientName"].value
    assert written.dataset["AcquisitionMatrix"].value == [0, 256, 256, 0]


def test_rightmost_transfer_syntax_wins(corpus: list[CorpusFile], tmp_path: Path) -> None:
    out = tmp_path / "out.dcm"
    source = _by_name(corpus, "rich_explicit_le")
    assert run("convert", "+te", str(source), "+tb", str(out), "+ti").exit_code == 0
    assert read_file(out).file_meta.transfer_syntax_uid == "1.2.840.10008.1.2"


def test_group_length_create_and_remove(corpus: list[CorpusFile], tmp_path: Path) -> None:
    source = _by_name(corpus, "rich_explicit_le")
    created, removed = tmp_path / "c.dcm", tmp_path / "r.dcm"
    assert run("convert", str(source), str(created), "+g").exit_code == 0
    assert run("convert", str(source), str(removed), "-g").exit_code == 0
    with_gl = read_file(created).dataset
    assert 0x00080000 in with_gl
    assert 0x00100000 in with_gl
    item = with_gl["ReferencedImageSequence"].value[0]
    assert 0x00080000 in item  # DCMTK creates group lengths in items too
    assert not [t for t in read_file(removed).dataset if t & 0xFFFF == 0]


def test_length_undefined(corpus: list[CorpusFile], tmp_path: Path) -> None:
    out = tmp_path / "out.dcm"
    source = _by_name(corpus, "rich_explicit_le")
    assert run("convert", str(source), str(out), "-e").exit_code == 0
    ds = read_file(out).dataset
    sequence = ds["ReferencedImageSequence"]
    assert sequence.undefined_length
    assert all(item.is_undefined_length for item in sequence.value)
    out2 = tmp_path / "back.dcm"
    assert run("convert", str(out), str(out2), "+e").exit_code == 0
    assert not read_file(out2).dataset["ReferencedImageSequence"].undefined_length


def test_disable_new_vr_writes_ob(corpus: list[CorpusFile], tmp_path: Path) -> None:
    out = tmp_path / "out.dcm"
    source = _by_name(corpus, "rich_explicit_le")
    assert run("convert", str(source), str(out), "-u").exit_code == 0
    raw = read_file(out).dataset.raw_element("TextValue")  # UT
    assert raw is not None
    assert raw.vr_bytes == b"OB"
    out2 = tmp_path / "out2.dcm"
    assert run("convert", str(source), str(out2), "-u", "+u").exit_code == 0
    raw2 = read_file(out2).dataset.raw_element("TextValue")
    assert raw2 is not None
    assert raw2.vr_bytes == b"UT"


def test_compression_level(corpus: list[CorpusFile], tmp_path: Path) -> None:
    source = _by_name(corpus, "rich_explicit_le")
    sizes = []
    for level in ("0", "9"):
        out = tmp_path / f"l{level}.dcm"
        assert run("convert", str(source), str(out), "+td", "+cl", level).exit_code == 0
        assert read_file(out).dataset["PatientID"].value == "ID-0001"
        sizes.append(out.stat().st_size)
    assert sizes[0] > sizes[1]


def test_write_dataset_and_read_dataset(corpus: list[CorpusFile], tmp_path: Path) -> None:
    source = _by_name(corpus, "rich_explicit_be")
    bare = tmp_path / "bare.ds"
    assert run("convert", str(source), str(bare), "-F", "+B").exit_code == 0
    data = bare.read_bytes()
    assert data[128:132] != b"DICM"
    assert data == dataset_part(source)  # bit-preserving: the data set as it was
    assert run("convert", str(source), str(bare), "-F").exit_code == 0
    assert bare.read_bytes()[128:132] != b"DICM"
    again = tmp_path / "again.dcm"
    assert run("convert", "-f", "-tb", str(bare), str(again), "+te").exit_code == 0
    written = read_file(again)
    assert written.file_meta.transfer_syntax_uid == "1.2.840.10008.1.2.1"
    assert (
        written.file_meta.media_storage_sop_instance_uid == read_file(source).dataset.SOPInstanceUID
    )
    # auto detection of a bare data set (default +f) gives the same result
    auto = tmp_path / "auto.dcm"
    assert run("convert", str(bare), str(auto), "+te").exit_code == 0
    assert auto.read_bytes() == again.read_bytes()


def test_bit_preserving_is_byte_identical(corpus: list[CorpusFile], tmp_path: Path) -> None:
    for item in corpus:
        out = tmp_path / "out.dcm"
        result = run("convert", str(item.path), str(out), "+B")
        assert result.exit_code == 0, (item.name, result.output)
        assert out.read_bytes() == item.path.read_bytes(), item.name


def test_bit_preserving_deflated(corpus: list[CorpusFile], tmp_path: Path) -> None:
    source = _by_name(corpus, "rich_deflated")
    out = tmp_path / "out.dcm"
    assert run("convert", str(source), str(out), "+B").exit_code == 0
    assert out.read_bytes() == source.read_bytes()


def test_write_file_keeps_meta_but_names_the_writer(tmp_path: Path) -> None:
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.7")
    meta.MediaStorageSOPInstanceUID = UID("1.2.3.4")
    meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.1")
    meta.ImplementationClassUID = UID("1.2.3.999")
    meta.SourceApplicationEntityTitle = "SOURCE_AE"
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = "1.2.3.4"
    ds.PatientID = "X"
    source = tmp_path / "in.dcm"
    pydicom.dcmwrite(source, ds, enforce_file_format=True)
    kept, fresh = tmp_path / "kept.dcm", tmp_path / "fresh.dcm"
    assert run("convert", str(source), str(kept), "+F").exit_code == 0
    assert run("convert", str(source), str(fresh), "+Fm").exit_code == 0
    kept_meta, fresh_meta = read_file(kept).file_meta, read_file(fresh).file_meta
    assert kept_meta.source_application_entity_title == "SOURCE_AE"
    assert fresh_meta.source_application_entity_title is None
    for m in (kept_meta, fresh_meta):
        assert m.implementation_class_uid != "1.2.3.999"
        assert m.media_storage_sop_instance_uid == "1.2.3.4"


def test_response_file_and_arguments(corpus: list[CorpusFile], tmp_path: Path) -> None:
    source = _by_name(corpus, "rich_explicit_le")
    out = tmp_path / "out.dcm"
    args = tmp_path / "args"
    args.write_text(f"+tb\n{source}\n{out}\n", encoding="utf-8")
    result = run("convert", f"@{args}", "--arguments")
    assert result.exit_code == 0, result.output
    assert f"+tb {source} {out}" in result.stderr
    assert read_file(out).file_meta.transfer_syntax_uid == "1.2.840.10008.1.2.2"


# --- errors: one line on stderr, a documented exit code, never a traceback -----------------------


def _assert_one_line_error(result: object, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output  # type: ignore[attr-defined]
    stderr = result.stderr  # type: ignore[attr-defined]
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    assert isinstance(result.exception, SystemExit)  # type: ignore[attr-defined]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["+te", "+B"], ["+te and +B"]),
        (["+B", "-g"], ["+B and -g"]),
        (["+p", "256", "16", "-F"], ["+p and -F"]),
        (["+cl", "9"], ["+cl only with +td"]),
        (["+xq"], ["unknown option +xq"]),
        (["+p", "256"], ["+p needs 2 arguments"]),
        (["+p", "255", "16"], ["even"]),
        (["+td", "+cl", "10"], ["0..9"]),
        (["@/nonexistent/args"], ["cannot read response file"]),
    ],
)
def test_command_line_errors(
    corpus: list[CorpusFile], tmp_path: Path, options: list[str], fragments: list[str]
) -> None:
    source = _by_name(corpus, "rich_explicit_le")
    out = tmp_path / "out.dcm"
    result = run("convert", str(source), str(out), *options)
    _assert_one_line_error(result, 1, *fragments)
    assert not out.exists()


def test_typer_usage_errors_are_one_line_too(tmp_path: Path) -> None:
    result = run("convert", str(tmp_path / "in.dcm"))
    _assert_one_line_error(result, 1, "dicomnet convert: error: Missing argument")
    result = run("convert", "a", "b", "+td", "+cl", "nine")
    _assert_one_line_error(result, 1, "+cl", "integer")


def test_no_arguments_prints_help() -> None:
    result = run("convert")
    assert result.exit_code == 0
    assert "dcmconv" in result.stdout


def test_missing_input(tmp_path: Path) -> None:
    result = run("convert", str(tmp_path / "nope.dcm"), str(tmp_path / "out.dcm"))
    _assert_one_line_error(result, 20, "reading", "nope.dcm", "No such file")


def test_input_is_a_directory(tmp_path: Path) -> None:
    result = run("convert", str(tmp_path), str(tmp_path / "out.dcm"))
    _assert_one_line_error(result, 20, "reading")


def test_garbage_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\x08\x00\x20\x00DA\xff\x7f" + b"x" * 20)
    result = run("convert", str(bad), str(tmp_path / "out.dcm"))
    _assert_one_line_error(result, 22, "not valid DICOM", "(0008,0020)")
    assert not (tmp_path / "out.dcm").exists()


def test_truncated_file(corpus: list[CorpusFile], tmp_path: Path) -> None:
    data = _by_name(corpus, "rich_explicit_le").read_bytes()
    for cut in (140, 300, len(data) // 2, len(data) - 3):
        bad = tmp_path / "cut.dcm"
        bad.write_bytes(data[:cut])
        result = run("convert", str(bad), str(tmp_path / "out.dcm"))
        _assert_one_line_error(result, 22, "not valid DICOM", "offset")


def test_read_file_only_rejects_a_bare_data_set(corpus: list[CorpusFile], tmp_path: Path) -> None:
    bare = tmp_path / "bare.ds"
    bare.write_bytes(dataset_part(_by_name(corpus, "rich_explicit_le")))
    result = run("convert", "+fo", str(bare), str(tmp_path / "out.dcm"))
    _assert_one_line_error(result, 22, "+fo")


def test_unwritable_output(corpus: list[CorpusFile], tmp_path: Path) -> None:
    source = _by_name(corpus, "rich_explicit_le")
    result = run("convert", str(source), str(tmp_path / "no" / "such" / "dir.dcm"))
    _assert_one_line_error(result, 40, "writing", "No such file")
    result = run("convert", str(source), str(tmp_path))
    _assert_one_line_error(result, 40, "writing")


def test_unencodable_output_leaves_no_file(corpus: list[CorpusFile], tmp_path: Path) -> None:
    out = tmp_path / "out.dcm"
    result = run("convert", str(_by_name(corpus, "encaps_bot")), str(out), "+te")
    _assert_one_line_error(result, 40, "cannot encode", "encapsulated")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_replaced(corpus: list[CorpusFile], tmp_path: Path) -> None:
    out = tmp_path / "out.dcm"
    out.write_bytes(b"old")
    source = _by_name(corpus, "rich_explicit_le")
    assert run("convert", str(source), str(out), "+B").exit_code == 0
    assert out.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.dcm"]


def test_output_through_a_symlink_and_to_dev_null(corpus: list[CorpusFile], tmp_path: Path) -> None:
    source = _by_name(corpus, "rich_explicit_le")
    target = tmp_path / "target.dcm"
    target.write_bytes(b"old")
    link = tmp_path / "link.dcm"
    link.symlink_to(target)
    assert run("convert", str(source), str(link), "+B").exit_code == 0
    assert link.is_symlink()
    assert target.read_bytes() == source.read_bytes()
    assert run("convert", str(source), "/dev/null").exit_code == 0


def test_existing_file_keeps_its_mode(corpus: list[CorpusFile], tmp_path: Path) -> None:
    out = tmp_path / "out.dcm"
    out.write_bytes(b"old")
    out.chmod(0o640)
    assert run("convert", str(_by_name(corpus, "rich_explicit_le")), str(out)).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o640
