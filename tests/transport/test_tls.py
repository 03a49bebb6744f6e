"""TLS (PS3.15 Annex B) between our client and our server, with a certificate made in the test."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from dicomnet.errors import AssociationAborted
from dicomnet.services.echo import echo, verification_handler
from dicomnet.transport import aio, client_context, server_context
from dicomnet.transport.tls import BCP195_CIPHERS

from .helpers import acceptor_config, make_certificate, requestor_config


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed RSA certificate for localhost / 127.0.0.1 and its key."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


def test_contexts_follow_the_bcp195_profile(certificate: tuple[Path, Path]) -> None:
    key, cert = certificate
    for context in (client_context(cafile=cert), server_context(cert, key)):
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
        tls12 = {c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"}
        assert tls12 <= set(BCP195_CIPHERS.split(":"))
        assert tls12  # at least one suite is available
    with pytest.raises(ValueError, match="cafile"):
        server_context(cert, key, require_client_certificate=True)


def test_tls_echo_between_our_client_and_server(certificate: tuple[Path, Path]) -> None:
    key, cert = certificate

    async def main() -> None:
        server = await aio.serve(
            verification_handler, acceptor_config(), ssl=server_context(cert, key)
        )
        async with server:
            async with await aio.connect(
                "127.0.0.1", server.port, requestor_config(), ssl=client_context(cafile=cert)
            ) as assoc:
                assert await echo(assoc) == 0
                tls = assoc._driver.transport.get_extra_info("ssl_object")  # type: ignore[union-attr]
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
            assert server.associations_served == 1

    asyncio.run(main())


def test_mutual_tls_and_untrusted_server(certificate: tuple[Path, Path]) -> None:
    key, cert = certificate

    async def main() -> None:
        server = await aio.serve(
            verification_handler,
            acceptor_config(),
            ssl=server_context(cert, key, cafile=cert, require_client_certificate=True),
        )
        async with server:
            mutual = client_context(cafile=cert, certfile=cert, keyfile=key)
            async with await aio.connect(
                "127.0.0.1", server.port, requestor_config(), ssl=mutual
            ) as assoc:
                assert await echo(assoc) == 0
            # a client that does not trust the server's certificate refuses it
            with pytest.raises(ssl.SSLCertVerificationError):
                await aio.connect(
                    "127.0.0.1", server.port, requestor_config(), ssl=client_context()
                )
            # a client without a certificate is refused by the server (during or after the
            # handshake, depending on the TLS version)
            with pytest.raises((ssl.SSLError, AssociationAborted, ConnectionError)):
                async with await aio.connect(
                    "127.0.0.1", server.port, requestor_config(), ssl=client_context(cafile=cert)
                ) as assoc:
                    await echo(assoc)

    asyncio.run(main())


def test_cli_echoscu_over_tls(certificate: tuple[Path, Path]) -> None:
    from typer.testing import CliRunner

    from dicomnet_cli.echoscu import app

    key, cert = certificate

    async def main() -> list[tuple[int, str]]:
        server = await aio.serve(
            verification_handler, acceptor_config(), ssl=server_context(cert, key)
        )
        async with server:
            runner = CliRunner()
            results = []
            for extra in (["+tla", "+cf", str(cert)], ["+tls", str(key), str(cert), "-ic"], []):
                args = [*extra, "-aec", "DICOMNET-SCP", "-ta", "5", "127.0.0.1", str(server.port)]
                result = await asyncio.to_thread(runner.invoke, app, args)
                results.append((result.exit_code, result.output))
            return results

    trusted, ignoring, plain = asyncio.run(main())
    assert trusted[0] == 0, trusted[1]
    assert ignoring[0] == 0, ignoring[1]
    assert plain[0] == 1  # plain TCP to a TLS port fails cleanly
