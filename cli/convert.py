"""``dicomnet convert IN OUT [options]``: re-encode a DICOM file like DCMTK's ``dcmconv``.

The output options are DCMTK's, spelled as DCMTK spells them (``dcmconv``, ``storescp``): file
format ``+Fm +F -F``, transfer syntax ``+t= +te +tb +ti +td`` (PS3.5 §10, Annex A), new VRs
``+u -u``, group length ``+g= +g -g`` (PS3.5 §7.2), sequence/item length ``+e -e`` (PS3.5 §7.5),
padding ``-p= -p +p F I`` (PS3.10 §7.2), deflate level ``+cl N`` (PS3.5 §A.5) and bit-preserving
``-B +B``. They map one to one onto :class:`dicomnet.dataset.writer.WriteOptions`. The input
options are those of ``dicomnet dump``. The output is encoded completely, then written to a
temporary file next to ``OUT`` and renamed, so a failure never leaves a partial file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Annotated, Final

import typer

from dicomnet.dataset import Dataset
from dicomnet.dataset.part10 import Part10File
from dicomnet.dataset.part10_writer import encode_file
from dicomnet.dataset.writer import (
    Buffer,
    GroupLength,
    LengthEncoding,
    Padding,
    WriteOptions,
    encode_dataset,
)
from dicomnet_cli.dcmtk_args import (
    Conflict,
    NormalisedArgv,
    Option,
    OptionTable,
    Requires,
    dcmtk_command,
)
from dicomnet_cli.dump import (
    INPUT_OPTIONS,
    input_format,
    input_transfer_syntax,
    read_input,
    stop_before_tag,
)
from dicomnet_cli.errors import Stage, command_boundary, fail
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

__all__ = ["CONVERT_COMMAND", "CONVERT_OPTIONS", "convert", "write_options"]

COMMAND: Final = "dicomnet convert"

OUTPUT_TRANSFER_SYNTAXES: Final = {
    "--write-xfer-little": "1.2.840.10008.1.2.1",
    "--write-xfer-big": "1.2.840.10008.1.2.2",
    "--write-xfer-implicit": "1.2.840.10008.1.2",
    "--write-xfer-deflated": "1.2.840.10008.1.2.1.99",
}
"""``+te +tb +ti +td``: the output transfer syntax UIDs (PS3.5 §10)."""

_CONVERSIONS: Final = ("+te", "+tb", "+ti", "+td", "+g", "-g", "-e", "-p", "+p", "-u")

CONVERT_OPTIONS: Final = OptionTable(
    (
        *INPUT_OPTIONS,
        Option(("+Fm", "--write-new-meta-info"), group="output-format"),
        Option(("+F", "--write-file"), group="output-format"),
        Option(("-F", "--write-dataset"), group="output-format"),
        Option(("+t=", "--write-xfer-same"), group="output-xfer"),
        Option(("+te", "--write-xfer-little"), group="output-xfer"),
        Option(("+tb", "--write-xfer-big"), group="output-xfer"),
        Option(("+ti", "--write-xfer-implicit"), group="output-xfer"),
        Option(("+td", "--write-xfer-deflated"), group="output-xfer"),
        Option(("+u", "--enable-new-vr"), group="new-vr"),
        Option(("-u", "--disable-new-vr"), group="new-vr"),
        Option(("+g=", "--group-length-recalc"), group="group-length"),
        Option(("+g", "--group-length-create"), group="group-length"),
        Option(("-g", "--group-length-remove"), group="group-length"),
        Option(("+e", "--length-explicit"), group="length"),
        Option(("-e", "--length-undefined"), group="length"),
        Option(("-p=", "--padding-retain"), group="padding"),
        Option(("-p", "--padding-off"), group="padding"),
        Option(("+p", "--padding-create"), nargs=2, group="padding"),
        Option(("+cl", "--compression-level"), nargs=1),
        Option(("-B", "--normal"), group="bit-preserving"),
        Option(("+B", "--bit-preserving"), group="bit-preserving"),
    ),
    conflicts=(Conflict(("+B",), _CONVERSIONS), Conflict(("-F",), ("+p", "-p="))),
    requires=(Requires("+cl", ("+td",)),),
)
"""``dicomnet convert``'s options: the input options plus DCMTK's output options."""


def write_options(
    argv: NormalisedArgv, padding: tuple[int, int] | None, level: int
) -> WriteOptions:
    """The :class:`WriteOptions` the (normalised) command line asks for."""
    ts = next((uid for name, uid in OUTPUT_TRANSFER_SYNTAXES.items() if argv.has(name)), None)
    group_length = GroupLength.RECALC
    if argv.has("--group-length-create"):
        group_length = GroupLength.CREATE
    elif argv.has("--group-length-remove"):
        group_length = GroupLength.REMOVE
    pad = Padding.RETAIN
    file_pad = item_pad = 0
    if argv.has("--padding-off") or (
        argv.has("--write-dataset")
        and not argv.has("--padding-retain")
        and not argv.has("--bit-preserving")
    ):
        pad = Padding.OFF
    elif argv.has("--padding-create") and padding is not None:
        pad = Padding.CREATE
        file_pad, item_pad = padding
    return WriteOptions(
        transfer_syntax=ts,
        group_length=group_length,
        length_encoding=(
            LengthEncoding.UNDEFINED if argv.has("--length-undefined") else LengthEncoding.EXPLICIT
        ),
        padding=pad,
        file_padding=file_pad,
        item_padding=item_pad,
        new_vrs=not argv.has("--disable-new-vr"),
        deflate_level=level,
        bit_preserving=argv.has("--bit-preserving"),
    )


def encode_output(part10: Part10File, options: WriteOptions, argv: NormalisedArgv) -> list[Buffer]:
    """The bytes of the output file: Part 10 (``+Fm``/``+F``) or data set only (``-F``)."""
    if argv.has("--write-dataset"):
        return encode_dataset(
            part10.dataset,
            options,
            source_transfer_syntax=part10.transfer_syntax,
            skip_file_meta=True,
        )
    if options.bit_preserving:
        return encode_file(part10, options, file_meta=part10.meta)
    meta = Dataset()
    if argv.has("--write-file"):
        # +F keeps the input's meta elements but, as DCMTK does, names the writer of the file.
        for entry in part10.meta.entries():
            if entry.tag not in (0x00020012, 0x00020013):
                meta[entry.tag] = entry
    return encode_file(part10, options, file_meta=meta)


def write_atomically(path: Path, chunks: list[Buffer]) -> None:
    """Write ``chunks`` to ``path`` through a temporary file in the same directory and a rename.

    A symbolic link is written through (its target is replaced). A path that exists and is not
    a regular file (``/dev/null``, a FIFO), or an existing file in a directory where no
    temporary file can be made, is written in place.
    """
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file():
        _write_in_place(path, chunks)
        return
    directory = path.parent if str(path.parent) else Path()
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    except PermissionError:
        if not path.is_file():
            raise
        _write_in_place(path, chunks)
        return
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.writelines(chunks)
        if path.exists():
            mode = path.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_in_place(path: Path, chunks: list[Buffer]) -> None:
    with path.open("wb") as fp:
        fp.writelines(chunks)


def _padding(values: tuple[int, int] | None) -> tuple[int, int] | None:
    if values is None:
        return None
    for value in values:
        if value < 0 or value % 2:
            fail(COMMAND, f"+p: padding must be an even number >= 0, not {value}", 1)
    return values


def convert(
    ctx: typer.Context,
    dcmfile_in: Annotated[Path, typer.Argument(help="DICOM input file.")],
    dcmfile_out: Annotated[Path, typer.Argument(help="DICOM output file.")],
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
    write_new_meta_info: Annotated[
        bool, typer.Option("+Fm", "--write-new-meta-info", help="Part 10, new meta (default).")
    ] = False,
    write_file: Annotated[
        bool, typer.Option("+F", "--write-file", help="Part 10, keeping the input's meta.")
    ] = False,
    write_dataset: Annotated[
        bool, typer.Option("-F", "--write-dataset", help="Data set without meta information.")
    ] = False,
    write_xfer_same: Annotated[
        bool, typer.Option("+t=", "--write-xfer-same", help="Same transfer syntax (default).")
    ] = False,
    write_xfer_little: Annotated[
        bool, typer.Option("+te", "--write-xfer-little", help="Explicit VR little endian.")
    ] = False,
    write_xfer_big: Annotated[
        bool, typer.Option("+tb", "--write-xfer-big", help="Explicit VR big endian.")
    ] = False,
    write_xfer_implicit: Annotated[
        bool, typer.Option("+ti", "--write-xfer-implicit", help="Implicit VR little endian.")
    ] = False,
    write_xfer_deflated: Annotated[
        bool, typer.Option("+td", "--write-xfer-deflated", help="Deflated explicit VR LE.")
    ] = False,
    enable_new_vr: Annotated[
        bool, typer.Option("+u", "--enable-new-vr", help="Write new VRs (default).")
    ] = False,
    disable_new_vr: Annotated[
        bool, typer.Option("-u", "--disable-new-vr", help="Write UN/UT/... as OB.")
    ] = False,
    group_length_recalc: Annotated[
        bool, typer.Option("+g=", "--group-length-recalc", help="Recalculate (default).")
    ] = False,
    group_length_create: Annotated[
        bool, typer.Option("+g", "--group-length-create", help="Write every group length.")
    ] = False,
    group_length_remove: Annotated[
        bool, typer.Option("-g", "--group-length-remove", help="Write no group lengths.")
    ] = False,
    length_explicit: Annotated[
        bool, typer.Option("+e", "--length-explicit", help="Explicit lengths (default).")
    ] = False,
    length_undefined: Annotated[
        bool, typer.Option("-e", "--length-undefined", help="Undefined lengths.")
    ] = False,
    padding_retain: Annotated[
        bool, typer.Option("-p=", "--padding-retain", help="Keep padding (default).")
    ] = False,
    padding_off: Annotated[bool, typer.Option("-p", "--padding-off", help="No padding.")] = False,
    padding_create: Annotated[
        tuple[int, int] | None,
        typer.Option("+p", "--padding-create", help="Pad file to F, items to I bytes."),
    ] = None,
    compression_level: Annotated[
        int, typer.Option("+cl", "--compression-level", help="Deflate level 0..9 (default 6).")
    ] = 6,
    normal: Annotated[
        bool, typer.Option("-B", "--normal", help="Decode and re-encode (default).")
    ] = False,
    bit_preserving: Annotated[
        bool, typer.Option("+B", "--bit-preserving", help="Write the bytes as read.")
    ] = False,
) -> None:
    """Convert the encoding of a DICOM file (like dcmconv)."""
    argv: NormalisedArgv | None = ctx.meta.get("dcmtk_argv")
    if argv is None:  # called without the pre-pass (as a plain function): nothing chosen
        argv = NormalisedArgv(args=[], expanded=[], spelled={})
    if arguments:
        typer.echo(" ".join(argv.expanded), err=True)
    if not 0 <= compression_level <= 9:
        fail(COMMAND, f"+cl: compression level must be 0..9, not {compression_level}", 1)
    options = write_options(argv, _padding(padding_create), compression_level)
    stop = stop_before_tag(stop_before, COMMAND)
    with command_boundary(COMMAND, Stage.READ, dcmfile_in):
        part10 = read_input(
            dcmfile_in, input_format(argv), input_transfer_syntax(argv), stop_before=stop
        )
    with command_boundary(COMMAND, Stage.WRITE, dcmfile_out):
        chunks = encode_output(part10, options, argv)
        write_atomically(dcmfile_out, chunks)


CONVERT_COMMAND: Final = dcmtk_command(CONVERT_OPTIONS)
