"""``dicomnet sample OUT_DIR``: write a synthetic CT/MR study (or one large object) with dicomnet.

Thin over :mod:`dicomnet.samples`: ``--patients/--studies/--series/--images`` set the hierarchy,
``--modality``, ``--rows``, ``--columns``, ``--seed``, ``--tree`` (a
``PATIENTID/STUDYnn/SERIESnnn/nnnn.dcm`` layout instead of ``<SOPInstanceUID>.dcm``) and the
output transfer syntax in DCMTK's spelling (``+te`` default, ``+ti``, ``+tb``, ``+td``).
``--size BYTES`` (suffixes k, M, G: powers of 1024) writes one Multi-frame Grayscale Word SC
object with at least that much pixel data instead, streamed to disk. Prints the number of files
and bytes written; exit 0, or 1 with one line on a bad value or a write error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final

import typer

from dicomnet.samples import generate_object, generate_study
from dicomnet.uid import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
)
from dicomnet_cli.dcmtk_args import Option, OptionTable, dcmtk_command, standalone_app

__all__ = ["SAMPLE_COMMAND", "SAMPLE_OPTIONS", "app", "parse_size", "sample"]

SAMPLE_OPTIONS: Final = OptionTable(
    (
        Option(("--patients",), nargs=1),
        Option(("--studies",), nargs=1),
        Option(("--series",), nargs=1),
        Option(("--images",), nargs=1),
        Option(("--modality",), nargs=1),
        Option(("--rows",), nargs=1),
        Option(("--columns",), nargs=1),
        Option(("--seed",), nargs=1),
        Option(("--tree",)),
        Option(("--size",), nargs=1),
        Option(("+te", "--write-xfer-little"), group="xfer"),
        Option(("+tb", "--write-xfer-big"), group="xfer"),
        Option(("+ti", "--write-xfer-implicit"), group="xfer"),
        Option(("+td", "--write-xfer-deflated"), group="xfer"),
        Option(("-q", "--quiet")),
    )
)

SAMPLE_COMMAND: Final = dcmtk_command(SAMPLE_OPTIONS)

_SIZE = re.compile(r"\s*(\d+)\s*([kKmMgG]?)(?:i?[bB])?\s*")
_UNITS: Final = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_size(text: str) -> int:
    """``"1G"`` -> 1073741824: a byte count with an optional k/M/G (1024-based) suffix."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (e.g. 64M, 1G)")
    return int(match[1]) * _UNITS[match[2].lower()]


def sample(
    out_dir: Annotated[Path, typer.Argument(help="Output directory (created if missing).")],
    patients: Annotated[int, typer.Option("--patients", help="Number of patients.")] = 1,
    studies: Annotated[int, typer.Option("--studies", help="Studies per patient.")] = 1,
    series: Annotated[int, typer.Option("--series", help="Series per study.")] = 3,
    images: Annotated[int, typer.Option("--images", help="Images per series.")] = 10,
    modality: Annotated[str, typer.Option("--modality", help="CT or MR.")] = "CT",
    rows: Annotated[int | None, typer.Option("--rows", help="Rows per image.")] = None,
    columns: Annotated[int | None, typer.Option("--columns", help="Columns per image.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed: same seed, same bytes.")] = 0,
    tree: Annotated[
        bool, typer.Option("--tree", help="PATIENTID/STUDYnn/SERIESnnn/nnnn.dcm layout.")
    ] = False,
    size: Annotated[
        str | None, typer.Option("--size", help="One object with this much pixel data (1G).")
    ] = None,
    write_xfer_little: Annotated[
        bool, typer.Option("+te", "--write-xfer-little", help="Explicit VR LE (default).")
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
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print nothing.")] = False,
) -> None:
    """Write a synthetic DICOM study (or one large object) with dicomnet's own codec."""
    syntax = EXPLICIT_VR_LITTLE_ENDIAN
    if write_xfer_big:
        syntax = EXPLICIT_VR_BIG_ENDIAN
    elif write_xfer_implicit:
        syntax = IMPLICIT_VR_LITTLE_ENDIAN
    elif write_xfer_deflated:
        syntax = DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN
    try:
        if size is not None:
            target = out_dir / "large.dcm"
            out_dir.mkdir(parents=True, exist_ok=True)
            files = [
                generate_object(
                    target,
                    parse_size(size),
                    rows=512 if rows is None else rows,
                    columns=512 if columns is None else columns,
                    transfer_syntax=syntax,
                    seed=seed,
                )
            ]
        else:
            if modality not in ("CT", "MR"):
                raise ValueError(f"--modality must be CT or MR, not {modality!r}")
            files = generate_study(
                out_dir,
                patients=patients,
                studies_per_patient=studies,
                series_per_study=series,
                images_per_series=images,
                modality="CT" if modality == "CT" else "MR",
                rows=64 if rows is None else rows,
                columns=64 if columns is None else columns,
                transfer_syntax=syntax,
                seed=seed,
                layout="tree" if tree else "flat",
            )
    except (ValueError, OSError) as exc:
        typer.echo(f"F: {exc}", err=True)
        raise typer.Exit(1) from None
    if not quiet:
        total = sum(path.stat().st_size for path in files)
        typer.echo(f"{len(files)} files, {total} bytes in {out_dir}")


app = standalone_app(
    "sample", "Write a synthetic DICOM study with dicomnet's own codec.", SAMPLE_COMMAND, sample
)
