"""Typer option declarations shared by several commands, spelled as DCMTK spells them."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = [
    "AcseTimeout",
    "AddCertFile",
    "AnonymousTls",
    "Arguments",
    "Debug",
    "DimseTimeout",
    "DisableTls",
    "EnableTls",
    "IgnorePeerCert",
    "MaxPdu",
    "Quiet",
    "ReadDataset",
    "ReadFile",
    "ReadFileOnly",
    "ReadXferAuto",
    "ReadXferBig",
    "ReadXferDetect",
    "ReadXferImplicit",
    "ReadXferLittle",
    "Repeat",
    "StopBefore",
    "Timeout",
    "Verbose",
    "Version",
]

# Input options of dcmdump and dcmconv (and later tools reading files).
ReadFile = Annotated[
    bool, typer.Option("+f", "--read-file", help="Read file format or data set (default).")
]
ReadFileOnly = Annotated[
    bool, typer.Option("+fo", "--read-file-only", help="Read file format only.")
]
ReadDataset = Annotated[
    bool, typer.Option("-f", "--read-dataset", help="Read a data set without meta.")
]
ReadXferAuto = Annotated[
    bool, typer.Option("-t=", "--read-xfer-auto", help="Transfer syntax recognition (default).")
]
ReadXferDetect = Annotated[
    bool, typer.Option("-td", "--read-xfer-detect", help="Ignore the meta's transfer syntax.")
]
ReadXferLittle = Annotated[
    bool, typer.Option("-te", "--read-xfer-little", help="Read explicit VR little endian.")
]
ReadXferBig = Annotated[
    bool, typer.Option("-tb", "--read-xfer-big", help="Read explicit VR big endian.")
]
ReadXferImplicit = Annotated[
    bool, typer.Option("-ti", "--read-xfer-implicit", help="Read implicit VR little endian.")
]
StopBefore = Annotated[
    str | None, typer.Option("+sb", "--stop-before-elem", help="Stop parsing before tag gggg,eeee.")
]
Arguments = Annotated[bool, typer.Option("--arguments", help="Print the expanded command line.")]

# Network options of the DCMTK network tools (echoscu, storescu, storescp, movescu, ...).
Timeout = Annotated[int | None, typer.Option("-to", "--timeout", help="Connection timeout (s).")]
AcseTimeout = Annotated[int, typer.Option("-ta", "--acse-timeout", help="ACSE timeout (s).")]
DimseTimeout = Annotated[
    int | None, typer.Option("-td", "--dimse-timeout", help="DIMSE timeout (s).")
]
MaxPdu = Annotated[
    int, typer.Option("-pdu", "--max-pdu", min=4096, max=131072, help="Max receive PDU.")
]
Repeat = Annotated[int, typer.Option("--repeat", min=1, help="Repeat n times.")]

# General options of every DCMTK tool.
Version = Annotated[bool, typer.Option("--version", help="Print version and exit.")]
Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="Print no warnings.")]
Verbose = Annotated[bool, typer.Option("-v", "--verbose", help="Processing details.")]
Debug = Annotated[bool, typer.Option("-d", "--debug", help="Debug information.")]

# Transport Layer Security (PS3.15 Annex B), as DCMTK 3.7's tools spell it.
DisableTls = Annotated[bool, typer.Option("-tls", "--disable-tls", help="Plain TCP (default).")]
EnableTls = Annotated[
    tuple[str, str] | None,
    typer.Option("+tls", "--enable-tls", help="TLS with private key and certificate files."),
]
AnonymousTls = Annotated[
    bool, typer.Option("+tla", "--anonymous-tls", help="TLS without own certificate.")
]
AddCertFile = Annotated[
    list[str] | None,
    typer.Option("+cf", "--add-cert-file", help="Trusted certificate file (PEM)."),
]
IgnorePeerCert = Annotated[
    bool, typer.Option("-ic", "--ignore-peer-cert", help="Do not verify the peer.")
]
