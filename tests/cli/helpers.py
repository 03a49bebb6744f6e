"""Shared helpers for the CLI tests: run the app, build the corpus, parse dcmdump-style listings."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from typer.testing import CliRunner, Result

from dicomnet_cli.main import app

RUNNER = CliRunner()

# (gggg,eeee) VR value # length, VM name   (value may span lines: LT/UT with CR LF)
_ENTRY = re.compile(
    r"^(?P<indent> *)\((?P<tag>[0-9a-f]{4},[0-9a-f]{4})\) (?P<vr>\S\S) (?P<value>.*?) +"
    r"# *(?P<length>u/l|\d+), *(?P<vm>\d+) (?P<name>[^\n]*)$",
    re.MULTILINE | re.DOTALL,
)


def run(*args: str) -> Result:
    """Invoke ``dicomnet`` with ``args`` (stdout and stderr kept apart)."""
    return RUNNER.invoke(app, list(args))


def parse_listing(text: str) -> list[tuple[str, str, str, str]]:
    """(tag path, VR, value, length) per element line of a dcmdump-style listing."""
    entries: list[tuple[str, str, str, str]] = []
    stack: list[str] = []
    for match in _ENTRY.finditer(text):
        depth = len(match["indent"]) // 2
        del stack[depth:]
        stack.append(match["tag"])
        vr = "UN" if match["vr"] == "??" else match["vr"]
        entries.append(("/".join(stack), vr, match["value"].rstrip(), match["length"]))
    return entries


def dataset_part(path: Path) -> bytes:
    """The bytes after the File Meta Information of a Part 10 file."""
    data = path.read_bytes()
    meta_length = struct.unpack_from("<L", data, 140)[0]
    return data[144 + meta_length :]
