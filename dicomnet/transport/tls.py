"""TLS contexts for DICOM secure transport connections (PS3.15 Annex B).

The current profiles of PS3.15 Annex B (the BCP 195 profile, its non-downgrading and extended
variants) require TLS 1.2 or later with the cipher suites that BCP 195 (RFC 7525, RFC 9325)
recommends: ephemeral (EC)DH key exchange with AES-GCM. TLS 1.3 suites are all AEAD and are left
at OpenSSL's defaults. Contexts are plain :class:`ssl.SSLContext` objects, handed to
:func:`dicomnet.transport.connect` / :func:`~dicomnet.transport.serve` (``ssl=``); the sans-IO
core never sees TLS. DICOM's registered TLS port is 2762 (PS3.15 Annex B; DCMTK's default for
``+tls``), plain DICOM's 104.
"""

from __future__ import annotations

import os
import ssl
from typing import Final

__all__ = [
    "BCP195_CIPHERS",
    "DICOM_TLS_PORT",
    "client_context",
    "server_context",
]

#: The registered port for DICOM over TLS (PS3.15 Annex B).
DICOM_TLS_PORT: Final = 2762

#: TLS 1.2 cipher suites recommended by BCP 195 (RFC 7525 §4.2, RFC 9325 §4.2), OpenSSL names.
BCP195_CIPHERS: Final = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:"
    "DHE-RSA-AES128-GCM-SHA256:"
    "DHE-RSA-AES256-GCM-SHA384"
)

StrPath = str | os.PathLike[str]


def _harden(context: ssl.SSLContext) -> ssl.SSLContext:
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(BCP195_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION
    return context


def client_context(
    *,
    cafile: StrPath | None = None,
    certfile: StrPath | None = None,
    keyfile: StrPath | None = None,
    password: str | None = None,
    verify: bool = True,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """A requestor's context: TLS 1.2+, BCP 195 ciphers, the peer's certificate verified.

    ``cafile`` holds the trusted certificates (the system store when ``None``); ``certfile`` /
    ``keyfile`` our own certificate for client authentication (PS3.15 B.9 lets the acceptor ask
    for it). ``verify=False`` disables verification entirely (DCMTK's ``-ic``): only for tests.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _harden(context)
    if verify:
        context.check_hostname = check_hostname
        context.verify_mode = ssl.CERT_REQUIRED
        if cafile is not None:
            context.load_verify_locations(cafile=cafile)
        else:
            context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if certfile is not None:
        context.load_cert_chain(certfile, keyfile, password)
    return context


def server_context(
    certfile: StrPath,
    keyfile: StrPath | None = None,
    *,
    password: str | None = None,
    cafile: StrPath | None = None,
    require_client_certificate: bool = False,
) -> ssl.SSLContext:
    """An acceptor's context: our certificate, TLS 1.2+, BCP 195 ciphers.

    With ``cafile`` the requestor's certificate is asked for and verified against it; with
    ``require_client_certificate`` a requestor without one is refused (mutual authentication).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _harden(context)
    context.load_cert_chain(certfile, keyfile, password)
    if cafile is not None:
        context.load_verify_locations(cafile=cafile)
        context.verify_mode = ssl.CERT_REQUIRED if require_client_certificate else ssl.CERT_OPTIONAL
    elif require_client_certificate:
        raise ValueError("require_client_certificate needs a cafile to verify against")
    return context
