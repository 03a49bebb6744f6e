"""The ``dicomnet`` command: one typer app with a sub-command per tool."""

from __future__ import annotations

import importlib.metadata
from typing import Annotated

import typer

import dicomnet
from dicomnet_cli.convert import CONVERT_COMMAND, convert
from dicomnet_cli.dump import DUMP_COMMAND, dump
from dicomnet_cli.echoscu import ECHOSCU_COMMAND, echoscu
from dicomnet_cli.errors import run_console_script
from dicomnet_cli.findscu import FINDSCU_COMMAND, findscu
from dicomnet_cli.getscu import GETSCU_COMMAND, getscu
from dicomnet_cli.movescu import MOVESCU_COMMAND, movescu
from dicomnet_cli.qrscp import QRSCP_COMMAND, qrscp
from dicomnet_cli.sample import SAMPLE_COMMAND, sample
from dicomnet_cli.storescp import STORESCP_COMMAND, storescp
from dicomnet_cli.storescu import STORESCU_COMMAND, storescu

app = typer.Typer(
    name="dicomnet",
    help="DICOM network and file tools built on the dicomnet library.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
)


def _version_text() -> str:
    parts = [f"dicomnet {dicomnet.__version__}"]
    for dist in ("attrs", "construct", "typer"):
        try:
            parts.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - broken install
            parts.append(f"{dist} (not installed)")
    return "\n".join(parts)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(_version_text())
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the versions of dicomnet and its dependencies, then exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """DICOM network and file tools built on the dicomnet library."""


app.command("dump", cls=DUMP_COMMAND)(dump)
app.command("convert", cls=CONVERT_COMMAND)(convert)
app.command("echoscu", cls=ECHOSCU_COMMAND)(echoscu)
app.command("storescu", cls=STORESCU_COMMAND)(storescu)
app.command("storescp", cls=STORESCP_COMMAND)(storescp)
app.command("findscu", cls=FINDSCU_COMMAND)(findscu)
app.command("getscu", cls=GETSCU_COMMAND)(getscu)
app.command("movescu", cls=MOVESCU_COMMAND)(movescu)
app.command("qrscp", cls=QRSCP_COMMAND)(qrscp)
app.command("sample", cls=SAMPLE_COMMAND)(sample)


def main() -> None:
    """Console-script entry point."""
    run_console_script(app)
