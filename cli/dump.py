"""``dicomnet dump FILE...``: a readable element listing in the manner of DCMTK's ``dcmdump``.

One line per element: ``(gggg,eeee) VR value  # length, VM keyword``, sequences and items indented
(PS3.5 §7.5) with their delimitation items, the File Meta Information (PS3.10 §7.1) first. Values
longer than 64 characters are shortened with ``...`` unless ``+L`` is given; UIDs are shown by
their registered keyword (``=CTImageStorage``) unless ``-Un`` is given. The input options
(``+f +fo -f``, ``-t= -td -te -tb -ti``) are shared with ``dicomnet convert``.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Final

import attrs
import typer

from dicomnet.dataset import DataElement, Dataset, keyword_for, parse_tag
from dicomnet.dataset.element import UNDEFINED_LENGTH, RawElement
from dicomnet.dataset.encaps import iter_items
from dicomnet.dataset.part10 import Part10File, detect_encoding, read_file
from dicomnet.dataset.reader import ReadOptions, read_dataset_at
from dicomnet.dataset.tag import PIXEL_DATA, is_private, is_private_creator
from dicomnet.dataset.vr import NUMBER_FORMATS, STRING_VRS
from dicomnet.errors import DatasetDecodeError
from dicomnet.uid import SOP_CLASSES, TRANSFER_SYNTAXES, TransferSyntax, transfer_syntax
from dicomnet_cli.dcmtk_args import NormalisedArgv, Option, OptionTable, dcmtk_command
from dicomnet_cli.errors import ExitCode, Stage, command_boundary, fail
from dicomnet_cli.options import (
    Arguments,
    ReadDataset,
    ReadFile,
    ReadFileOnly,
    ReadXferAuto,
    ReadXferBig,
    ReadXferDetect,
    ReadXferImplicit,
    ReadXferLittle,
    StopBefore,
)

__all__ = [
    "DUMP_OPTIONS",
    "INPUT_OPTIONS",
    "DumpOptions",
    "InputFormat",
    "InputTransferSyntax",
    "dump",
    "dump_lines",
    "read_input",
]

MAX_VALUE_LENGTH: Final = 64
"""Printed values longer than this are shortened (DCMTK's ``DCM_OptPrintValueLength``)."""
VALUE_COLUMN: Final = 40
_SHORT_BINARY_ITEMS: Final = 48
"""Binary values are formatted from at most this many units when printing short."""


class InputFormat(enum.Enum):
    """DCMTK ``+f`` (file or data set, default), ``+fo`` (file only), ``-f`` (data set only)."""

    AUTO = "auto"
    FILE_ONLY = "file-only"
    DATASET = "dataset"


class InputTransferSyntax(enum.Enum):
    """DCMTK ``-t=`` (auto), ``-td`` (detect, ignore the meta), ``-te``, ``-tb``, ``-ti``."""

    AUTO = "auto"
    DETECT = "detect"
    LITTLE = "1.2.840.10008.1.2.1"
    BIG = "1.2.840.10008.1.2.2"
    IMPLICIT = "1.2.840.10008.1.2"


INPUT_OPTIONS: Final = (
    Option(("+f", "--read-file"), group="input-format"),
    Option(("+fo", "--read-file-only"), group="input-format"),
    Option(("-f", "--read-dataset"), group="input-format"),
    Option(("-t=", "--read-xfer-auto"), group="input-xfer"),
    Option(("-td", "--read-xfer-detect"), group="input-xfer"),
    Option(("-te", "--read-xfer-little"), group="input-xfer"),
    Option(("-tb", "--read-xfer-big"), group="input-xfer"),
    Option(("-ti", "--read-xfer-implicit"), group="input-xfer"),
    Option(("+sb", "--stop-before-elem"), nargs=1),
    Option(("--arguments",)),
)
"""The input options shared by ``dump`` and ``convert`` (spelled as DCMTK spells them)."""

DUMP_OPTIONS: Final = OptionTable(
    (
        *INPUT_OPTIONS,
        Option(("+L", "--print-all"), group="print-length"),
        Option(("-L", "--print-short"), group="print-length"),
        Option(("+Un", "--map-uid-names"), group="uid-names"),
        Option(("-Un", "--no-uid-names"), group="uid-names"),
        Option(("+F", "--print-filename")),
        Option(("+P", "--search"), nargs=1, repeatable=True),
    )
)


def input_format(argv: NormalisedArgv | None) -> InputFormat:
    """The input format chosen on the (normalised) command line."""
    if argv is not None and argv.has("--read-file-only"):
        return InputFormat.FILE_ONLY
    if argv is not None and argv.has("--read-dataset"):
        return InputFormat.DATASET
    return InputFormat.AUTO


def input_transfer_syntax(argv: NormalisedArgv | None) -> InputTransferSyntax:
    """The input transfer syntax chosen on the (normalised) command line."""
    for name, choice in (
        ("--read-xfer-detect", InputTransferSyntax.DETECT),
        ("--read-xfer-little", InputTransferSyntax.LITTLE),
        ("--read-xfer-big", InputTransferSyntax.BIG),
        ("--read-xfer-implicit", InputTransferSyntax.IMPLICIT),
    ):
        if argv is not None and argv.has(name):
            return choice
    return InputTransferSyntax.AUTO


def _ts_for(implicit: bool, little: bool) -> TransferSyntax | None:
    if implicit:
        return transfer_syntax("1.2.840.10008.1.2") if little else None
    return transfer_syntax("1.2.840.10008.1.2.1" if little else "1.2.840.10008.1.2.2")


def read_input(
    path: Path,
    fmt: InputFormat = InputFormat.AUTO,
    xfer: InputTransferSyntax = InputTransferSyntax.AUTO,
    *,
    stop_before: int | None = None,
) -> Part10File:
    """Read ``path`` as DCMTK's input options say (PS3.10 §7.1 file or bare data set).

    ``+f`` (AUTO) reads a Part 10 file or a bare data set; ``+fo`` requires the preamble and
    ``DICM``; ``-f`` reads a data set without meta. ``-te/-tb/-ti`` set the encoding of a data set
    that has no meta transfer syntax (or of any data set with ``-f``); ``-td`` ignores the meta's
    transfer syntax and detects the encoding from the first element.
    """
    data = path.read_bytes()
    if fmt is InputFormat.FILE_ONLY and data[128:132] != b"DICM":
        raise DatasetDecodeError("no preamble and DICM prefix: not a DICOM file (+fo)", offset=128)
    if fmt is InputFormat.DATASET:
        if xfer in (InputTransferSyntax.AUTO, InputTransferSyntax.DETECT):
            implicit, little = detect_encoding(data)
        else:
            ts = transfer_syntax(xfer.value)
            implicit, little = ts.implicit_vr, ts.little_endian
        return _dataset_file(data, 0, implicit, little, stop_before, None)
    if xfer is InputTransferSyntax.AUTO:
        return read_file(data, stop_before=stop_before)
    probe = read_file(data, stop_before=0)  # the meta only: the data set is read below
    if probe.deflated:
        return read_file(data, stop_before=stop_before)  # the encoding inside is fixed
    if xfer is InputTransferSyntax.DETECT:
        implicit, little = detect_encoding(data, probe.dataset_offset)
    elif probe.file_meta.transfer_syntax_uid:
        return read_file(data, stop_before=stop_before)  # the meta's transfer syntax wins
    else:
        ts = transfer_syntax(xfer.value)
        implicit, little = ts.implicit_vr, ts.little_endian
    return _dataset_file(data, probe.dataset_offset, implicit, little, stop_before, probe)


def _dataset_file(
    data: bytes,
    offset: int,
    implicit: bool,
    little: bool,
    stop_before: int | None,
    part10: Part10File | None,
) -> Part10File:
    dataset, stop = read_dataset_at(
        data,
        offset,
        implicit_vr=implicit,
        little_endian=little,
        options=ReadOptions(stop_before=stop_before),
    )
    ts = _ts_for(implicit, little)
    if part10 is not None:
        return attrs.evolve(
            part10,
            dataset=dataset,
            transfer_syntax=ts,
            implicit_vr=implicit,
            little_endian=little,
            deflated=False,
            stop_offset=stop,
        )
    return Part10File(
        preamble=None,
        meta=Dataset(),
        dataset=dataset,
        dataset_offset=offset,
        transfer_syntax=ts,
        implicit_vr=implicit,
        little_endian=little,
        deflated=False,
        stop_offset=stop,
    )


# --- formatting --------------------------------------------------------------------------------


@attrs.frozen
class DumpOptions:
    """How ``dump_lines`` prints: ``print_all`` (``+L``), ``uid_names`` (``+Un``/``-Un``),
    ``search`` (``+P``: print only these tags, at any depth)."""

    print_all: bool = False
    uid_names: bool = True
    search: frozenset[int] = frozenset()


@attrs.define
class _State:
    options: DumpOptions
    bad_values: list[str] = attrs.field(factory=list)


def _name(tag: int) -> str:
    if tag & 0xFFFF == 0:
        return keyword_for(tag) or "GenericGroupLength"
    if is_private(tag):
        return "PrivateCreator" if is_private_creator(tag) else "Unknown Tag & Data"
    return keyword_for(tag) or "Unknown Tag & Data"


def _tag_text(tag: int) -> str:
    return f"({tag >> 16:04x},{tag & 0xFFFF:04x})"


def _line(depth: int, tag: int, vr: str, value: str, length: str, vm: int, name: str) -> str:
    indent = "  " * depth
    return f"{indent}{_tag_text(tag)} {vr} {value:<{VALUE_COLUMN}} # {length:>3},{vm:>2} {name}"


def _shorten(text: str, options: DumpOptions) -> str:
    if not options.print_all and len(text) > MAX_VALUE_LENGTH:
        return text[: MAX_VALUE_LENGTH - 3] + "..."
    return text


def _number_text(value: Any, vr: str) -> str:
    if isinstance(value, float):
        return format(value, ".9g" if vr == "FL" else ".17g")
    return str(value)


def _binary_text(data: bytes, vr: str, limit: int | None) -> str:
    """OB/UN as hex bytes, OW as hex words, OL/OV as integers, OF/OD as floats (dcmdump)."""
    if vr in ("OB", "UN") or len(data) == 0:
        return (data if limit is None else data[:limit]).hex("\\")
    fmt, size = {"OW": ("H", 2), "OL": ("L", 4), "OV": ("Q", 8), "OF": ("f", 4)}.get(vr, ("d", 8))
    count = len(data) // size
    if limit is not None:
        count = min(count, limit)
    values = struct.unpack_from(f"<{count}{fmt}", data)
    if vr == "OW":
        text = "\\".join(f"{v:04x}" for v in values)
    else:
        text = "\\".join(_number_text(v, "FL" if vr == "OF" else "FD") for v in values)
    if count * size < len(data) and limit is None:
        text += "\\" + data[count * size :].hex("\\")
    return text


def _uid_keyword(uid: str) -> str | None:
    """The PS3.6 keyword of a registered SOP class or transfer syntax UID (dcmdump ``+Un``)."""
    found = SOP_CLASSES.get(uid) or TRANSFER_SYNTAXES.get(uid)
    return found.keyword if found is not None and found.keyword else None


def _value_text(element: DataElement, options: DumpOptions) -> tuple[str, int]:
    """The printed value and the VM, as dcmdump prints them."""
    vr, value = element.vr, element.value
    if value is None or value == "" or value == b"" or value == []:
        return "(no value available)", 0
    if vr in STRING_VRS or vr == "PN":
        values = value if isinstance(value, list) else [value]
        if vr == "UI" and options.uid_names and len(values) == 1:
            keyword = _uid_keyword(str(values[0]))
            if keyword:
                return "=" + keyword, 1
        return _shorten("[" + "\\".join(str(v) for v in values) + "]", options), len(values)
    if vr in NUMBER_FORMATS:
        values = value if isinstance(value, list) else [value]
        return _shorten("\\".join(_number_text(v, vr) for v in values), options), len(values)
    if vr == "AT":
        values = value if isinstance(value, list) else [value]
        return _shorten("\\".join(_tag_text(v) for v in values), options), len(values)
    limit = None if options.print_all else _SHORT_BINARY_ITEMS
    return _shorten(_binary_text(bytes(value), vr, limit), options), 1


def _length_text(raw: RawElement | None, fallback: int) -> str:
    if raw is None:
        return str(fallback)
    if raw.length == UNDEFINED_LENGTH:
        return "u/l"
    return str(raw.length)


def _item_length(item: Dataset, raw: RawElement | None) -> int | None:
    """The item's length field, read from its header in the source (None: unknown)."""
    if raw is None or item.item_offset is None:
        return None
    fmt = "<L" if raw.little_endian else ">L"
    length: int = struct.unpack_from(fmt, raw.source, item.item_offset + 4)[0]
    return length


def _dataset_lines(ds: Dataset, depth: int, state: _State) -> Iterator[str]:
    for tag in ds:
        yield from _element_lines(ds, tag, depth, state)


def _element_lines(ds: Dataset, tag: int, depth: int, state: _State) -> Iterator[str]:
    """The line(s) of element ``tag`` of ``ds``: one, or a sequence with its items."""
    try:
        element = ds[tag]
    except DatasetDecodeError as exc:
        raw = ds.raw_element(tag)
        state.bad_values.append(str(exc))
        vr = raw.vr[:2] if raw is not None else "??"
        length = _length_text(raw, 0)
        yield _line(depth, tag, vr, f"(invalid value: {exc.message})", length, 0, _name(tag))
        return
    if element.vr == "SQ":
        yield from _sequence_lines(element, depth, state)
    elif element.undefined_length and tag == PIXEL_DATA:
        yield from _pixel_sequence_lines(element, depth, state)
    else:
        text, vm = _value_text(element, state.options)
        value_length = len(element.value) if isinstance(element.value, bytes) else 0
        length = _length_text(element.raw, value_length)
        yield _line(depth, tag, element.vr, text, length, vm, _name(tag))


def _sequence_lines(element: DataElement, depth: int, state: _State) -> Iterator[str]:
    items: list[Dataset] = element.value
    raw = element.raw
    undefined = element.undefined_length
    form = "undefined" if undefined else "explicit"
    vr = "SQ" if raw is None or raw.vr_bytes != b"UN" else "UN"
    yield _line(
        depth,
        element.tag,
        vr,
        f"(Sequence with {form} length #={len(items)})",
        _length_text(raw, 0),
        1,
        _name(element.tag),
    )
    for item in items:
        item_length = _item_length(item, raw)
        item_undefined = item.is_undefined_length
        item_form = "undefined" if item_undefined else "explicit"
        length = "u/l" if item_undefined else str(item_length if item_length is not None else 0)
        yield _line(
            depth + 1,
            0xFFFEE000,
            "na",
            f"(Item with {item_form} length #={len(item)})",
            length,
            1,
            "Item",
        )
        yield from _dataset_lines(item, depth + 2, state)
        note = (
            "(ItemDelimitationItem)" if item_undefined else "(ItemDelimitationItem for re-encoding)"
        )
        yield _line(depth + 1, 0xFFFEE00D, "na", note, "0", 0, "ItemDelimitationItem")
    note = "(SequenceDelimitationItem)" if undefined else "(SequenceDelimitationItem for re-encod.)"
    yield _line(depth, 0xFFFEE0DD, "na", note, "0", 0, "SequenceDelimitationItem")


def _pixel_sequence_lines(element: DataElement, depth: int, state: _State) -> Iterator[str]:
    items = list(iter_items(element.value))
    yield _line(
        depth,
        element.tag,
        element.vr,
        f"(PixelSequence #={len(items)})",
        "u/l",
        1,
        _name(element.tag),
    )
    limit = None if state.options.print_all else _SHORT_BINARY_ITEMS
    for fragment in items:
        data = bytes(fragment if limit is None else fragment[:limit])
        text = (
            "(no value available)"
            if not data
            else _shorten(_binary_text(data, "OB", None), state.options)
        )
        yield _line(depth + 1, 0xFFFEE000, "pi", text, str(len(fragment)), 1, "Item")
    yield _line(
        depth, 0xFFFEE0DD, "na", "(SequenceDelimitationItem)", "0", 0, "SequenceDelimitationItem"
    )


def _search_lines(ds: Dataset, state: _State) -> Iterator[str]:
    """``+P``: every element whose tag is searched, at any depth, printed unindented."""
    for tag in ds:
        if tag in state.options.search:
            yield from _element_lines(ds, tag, 0, state)
        try:
            element = ds[tag]
        except DatasetDecodeError:
            continue
        if element.vr == "SQ":
            for item in element.value:
                yield from _search_lines(item, state)


def _ts_description(ts: TransferSyntax | None, implicit: bool, little: bool) -> str:
    if ts is not None and ts.name:
        return ts.name
    if ts is not None:
        return ts.uid
    return f"{'Implicit' if implicit else 'Explicit'} VR {'Little' if little else 'Big'} Endian"


def dump_lines(
    part10: Part10File, options: DumpOptions = DumpOptions()
) -> tuple[list[str], list[str]]:
    """The listing of a file as read, and the messages of values that could not be decoded."""
    state = _State(options)
    lines: list[str] = []
    if options.search:
        lines.extend(_search_lines(part10.meta, state))
        lines.extend(_search_lines(part10.dataset, state))
        return lines, state.bad_values
    lines.append("")
    if len(part10.meta):
        lines += ["# Dicom-File-Format", "", "# Dicom-Meta-Information-Header"]
        lines.append("# Used TransferSyntax: Explicit VR Little Endian")
        lines.extend(_dataset_lines(part10.meta, 0, state))
        lines.append("")
    lines.append("# Dicom-Data-Set")
    description = _ts_description(part10.transfer_syntax, part10.implicit_vr, part10.little_endian)
    lines.append(f"# Used TransferSyntax: {description}")
    lines.extend(_dataset_lines(part10.dataset, 0, state))
    return lines, state.bad_values


def _parse_tags(values: list[str]) -> frozenset[int]:
    return frozenset(parse_tag_or_keyword(value, "+P", "dicomnet dump") for value in values)


def parse_tag_or_keyword(value: str, option: str, command: str) -> int:
    """``gggg,eeee`` or a dictionary keyword (as DCMTK's ``+P``/``+sb`` take)."""
    from dicomnet.dataset import tag_for

    try:
        return parse_tag(value)
    except (ValueError, TypeError):
        pass
    try:
        return tag_for(value)
    except KeyError:
        fail(command, f"{option}: {value!r} is neither gggg,eeee nor a known keyword", 1)


def stop_before_tag(value: str | None, command: str) -> int | None:
    """The ``+sb`` tag, or None."""
    return None if value is None else parse_tag_or_keyword(value, "+sb", command)


def dump(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="DICOM files or data sets to list.")],
    read_file_: ReadFile = False,
    read_file_only: ReadFileOnly = False,
    read_dataset: ReadDataset = False,
    read_xfer_auto: ReadXferAuto = False,
    read_xfer_detect: ReadXferDetect = False,
    read_xfer_little: ReadXferLittle = False,
    read_xfer_big: ReadXferBig = False,
    read_xfer_implicit: ReadXferImplicit = False,
    stop_before: StopBefore = None,
    arguments: Arguments = False,
    print_all: Annotated[
        bool, typer.Option("+L", "--print-all", help="Print long values completely.")
    ] = False,
    print_short: Annotated[
        bool, typer.Option("-L", "--print-short", help="Shorten long values (default).")
    ] = False,
    map_uid_names: Annotated[
        bool, typer.Option("+Un", "--map-uid-names", help="Show UIDs by keyword (default).")
    ] = False,
    no_uid_names: Annotated[
        bool, typer.Option("-Un", "--no-uid-names", help="Show UIDs as numbers.")
    ] = False,
    print_filename: Annotated[
        bool, typer.Option("+F", "--print-filename", help="Print a header with each file name.")
    ] = False,
    search: Annotated[
        list[str] | None,
        typer.Option("+P", "--search", help="Print only tag gggg,eeee or keyword (repeatable)."),
    ] = None,
) -> None:
    """List the elements of DICOM files (like dcmdump)."""
    argv: NormalisedArgv | None = ctx.meta.get("dcmtk_argv")
    if arguments and argv is not None:
        typer.echo(" ".join(argv.expanded), err=True)
    fmt = input_format(argv)
    xfer = input_transfer_syntax(argv)
    options = DumpOptions(
        print_all=print_all, uid_names=not no_uid_names, search=_parse_tags(search or [])
    )
    stop = stop_before_tag(stop_before, "dicomnet dump")
    worst = 0
    for number, path in enumerate(files, 1):
        try:
            with command_boundary("dicomnet dump", Stage.READ, path):
                part10 = read_input(path, fmt, xfer, stop_before=stop)
                lines, bad = dump_lines(part10, options)
        except typer.Exit as exc:
            worst = max(worst, exc.exit_code)
            continue
        if print_filename:
            typer.echo(f"# dicomnet dump ({number}/{len(files)}): {path}")
        typer.echo("\n".join(lines))
        if bad:
            typer.echo(
                f"dicomnet dump: error: reading {path}: {len(bad)} value(s) could not be "
                f"decoded, first: {bad[0]}",
                err=True,
            )
            worst = max(worst, int(ExitCode.INVALID_INPUT))
    if worst:
        raise typer.Exit(worst)


DUMP_COMMAND: Final = dcmtk_command(DUMP_OPTIONS)
