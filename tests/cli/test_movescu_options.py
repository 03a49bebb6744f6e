"""``movescu``: progress display (live bar on a terminal, log lines otherwise) and logging options."""

from __future__ import annotations

import io
import logging
import ssl
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

import dicomnet_cli.movescu as movescu_module
from dicomnet.services.move import RetrieveResponse
from dicomnet.transport.access import (
    ALLOW_PATH_ENV,
    DENY_PATH_ENV,
    HostAccess,
    client_matches,
    parse_rules,
)
from dicomnet.transport.retrieve import MoveProgress
from dicomnet_cli.dcmtk_args import normalise
from dicomnet_cli.movescu import (
    MOVESCU_OPTIONS,
    PROGRESS_ENV,
    TRACE,
    _configure_logging,
    _tls_contexts,
    app,
)
from dicomnet_cli.movescu_progress import Progress as _Progress
from dicomnet_cli.movescu_progress import progress_console as _progress_console
from tests.transport.helpers import make_certificate

runner = CliRunner()


def _event(
    remaining: int | None,
    completed: int,
    failed: int = 0,
    received_bytes: int = 0,
    status: int = 0xFF00,
) -> MoveProgress:
    rsp = RetrieveResponse(
        status=status, remaining=remaining, completed=completed, failed=failed, warning=0
    )
    return MoveProgress(index=1, response=rsp, received=completed, received_bytes=received_bytes)


def test_live_bar_on_a_terminal_shows_counts_bytes_and_rate() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=200)
    with _Progress(console) as progress:
        progress.update(_event(3, 1, received_bytes=2_500_000))
        progress.update(_event(1, 2, failed=1, received_bytes=5_000_000))
    text = buffer.getvalue()
    assert "\x1b[" in text  # drawn as a live terminal display
    assert "remaining 1, completed 2, failed 1, warning 0" in text
    assert "3/4" in text  # completed + failed of the total
    assert "5.0 MB" in text
    assert "objects/s" in text
    assert "MB/s" in text


def test_plain_log_lines_without_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="dicomnet.movescu")
    with _Progress(None) as progress:
        progress.update(_event(3, 1, received_bytes=1000))
    (record,) = [r for r in caplog.records if r.name == "dicomnet.movescu"]
    assert "remaining 3, completed 1, failed 0, warning 0" in record.getMessage()
    assert "1.0 kB" in record.getMessage()


def test_plain_log_line_of_a_final_response_without_remaining(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A final response carries no Number of Remaining Sub-operations (PS3.7 9.3.4.2): the
    line says "-", not "None"."""
    caplog.set_level(logging.INFO, logger="dicomnet.movescu")
    with _Progress(None) as progress:
        progress.update(_event(None, 4, status=0x0000))
    (record,) = [r for r in caplog.records if r.name == "dicomnet.movescu"]
    assert "Success (0x0000), remaining -, completed 4, failed 0, warning 0" in record.getMessage()


def test_progress_console_env_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROGRESS_ENV, "always")
    console = _progress_console(quiet=False)
    assert console is not None
    assert console.is_terminal
    assert _progress_console(quiet=True) is None
    monkeypatch.setenv(PROGRESS_ENV, "never")
    assert _progress_console(quiet=False) is None
    monkeypatch.setenv(PROGRESS_ENV, "auto")
    assert _progress_console(quiet=False) is None  # pytest's stderr is not a terminal


@pytest.mark.parametrize(
    ("args", "level"),
    [
        ((), logging.WARNING),
        (("-q",), logging.CRITICAL),
        (("-v",), logging.INFO),
        (("-d",), logging.DEBUG),
        (("-ll", "fatal"), logging.CRITICAL),
        (("-ll", "error"), logging.ERROR),
        (("-ll", "warn"), logging.WARNING),
        (("-ll", "info"), logging.INFO),
        (("-ll", "debug"), logging.DEBUG),
        (("-ll", "trace"), TRACE),
        (("-q", "-v"), logging.INFO),  # rightmost wins
        (("-v", "-ll", "error"), logging.ERROR),
        (("-ll", "error", "-d"), logging.DEBUG),
    ],
)
def test_log_levels(args: tuple[str, ...], level: int) -> None:
    argv = normalise([*args, "host", "104"], MOVESCU_OPTIONS)
    log_level = args[args.index("-ll") + 1] if "-ll" in args else None
    root = logging.getLogger()
    saved = root.level, root.handlers[:]
    try:
        _configure_logging(argv, log_level, None, None)
        assert root.level == level
        assert logging.getLevelName(TRACE) == "TRACE"
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]


def test_unknown_log_level_is_a_command_line_error() -> None:
    result = runner.invoke(app, ["-ll", "loud", "host", "104"])
    assert result.exit_code == 1
    assert "loud" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_or_invalid_log_config_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["-lc", str(tmp_path / "none.cfg"), "host", "104"])
    assert result.exit_code == 1
    assert "none.cfg" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.cfg"
    bad.write_text("[loggers]\nkeys=root\n")  # no [logger_root] section
    result = runner.invoke(app, ["--log-config", str(bad), "host", "104"])
    assert result.exit_code == 1
    assert "bad.cfg" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


LOG_CONFIG = """\
[loggers]
keys=root

[handlers]
keys=file

[formatters]
keys=plain

[logger_root]
level=INFO
handlers=file

[handler_file]
class=FileHandler
formatter=plain
args=({path!r}, "w")

[formatter_plain]
format=%(name)s %(levelname)s %(message)s
"""


def test_log_config_file_is_applied(tmp_path: Path) -> None:
    log_file = tmp_path / "movescu.log"
    cfg = tmp_path / "log.cfg"
    cfg.write_text(LOG_CONFIG.format(path=str(log_file)))
    root = logging.getLogger()
    saved = root.level, root.handlers[:]
    try:
        argv = normalise(["host", "104"], MOVESCU_OPTIONS)
        _configure_logging(argv, None, str(cfg), None)
        logging.getLogger("dicomnet.movescu").info("hello from the test")
        for handler in root.handlers:
            handler.flush()
        assert "dicomnet.movescu INFO hello from the test" in log_file.read_text()
    finally:
        for handler in root.handlers:
            if handler not in saved[1]:
                handler.close()
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]


# --- host access control (dicomnet.transport.access), used by +ac --------------------------------

HOSTS_ALLOW = """\
# comment line
movescu: 10.0.0.7, 192.168.1. , 172.16.0.0/255.255.0.0 \\
    , [2001:db8::]/32
storescp: ALL
movescu: ALL EXCEPT 10.9.9.9 : spawn echo ignored
"""


def test_parse_rules_continuation_comments_and_options() -> None:
    rules = parse_rules(HOSTS_ALLOW)
    assert [r.daemons for r in rules] == [("movescu",), ("storescp",), ("movescu",)]
    assert rules[0].clients == (
        "10.0.0.7",
        "192.168.1.",
        "172.16.0.0/255.255.0.0",
        "[2001:db8::]/32",
    )
    assert rules[2].clients == ("ALL", "EXCEPT", "10.9.9.9")
    assert parse_rules("no colon here\n\n#x: y\n") == ()


@pytest.mark.parametrize(
    ("pattern", "address", "hostname", "expected"),
    [
        ("ALL", "10.1.2.3", None, True),
        ("10.1.2.3", "10.1.2.3", None, True),
        ("10.1.2.3", "10.1.2.4", None, False),
        ("10.1.2.3", "::ffff:10.1.2.3", None, True),  # IPv4-mapped IPv6 peer
        ("10.1.", "10.1.2.3", None, True),
        ("10.1.", "10.10.2.3", None, False),
        ("10.1.0.0/255.255.0.0", "10.1.200.3", None, True),
        ("10.1.0.0/255.255.0.0", "10.2.0.1", None, False),
        ("10.1.0.0/16", "10.1.9.9", None, True),
        ("[::1]", "::1", None, True),
        ("[2001:db8::]/32", "2001:db8:5::1", None, True),
        ("[2001:db8::]/32", "2001:db9::1", None, False),
        ("[2001:db8::]/32", "10.0.0.1", None, False),
        ("LOCAL", "10.0.0.1", "pacs", True),
        ("LOCAL", "10.0.0.1", "pacs.example.org", False),
        ("LOCAL", "10.0.0.1", None, False),
        ("KNOWN", "10.0.0.1", "pacs", True),
        ("UNKNOWN", "10.0.0.1", None, True),
        (".example.org", "10.0.0.1", "PACS.Example.org", True),
        (".example.org", "10.0.0.1", None, False),  # names only match when looked up
        ("pacs.example.org", "10.0.0.1", "pacs.example.org", True),
        ("pacs.example.org", "10.0.0.1", None, False),
        ("10.0.0.*", "10.0.0.42", None, True),
        ("*.example.org", "10.0.0.1", "a.example.org", True),
        ("@netgroup", "10.0.0.1", "a", False),
        ("PARANOID", "10.0.0.1", "a", False),
        ("10.0.0.0/garbage", "10.0.0.1", None, False),
        ("10.0.0.1", "not-an-address", None, False),
    ],
)
def test_client_patterns(pattern: str, address: str, hostname: str | None, expected: bool) -> None:
    assert client_matches(pattern, address, hostname) is expected


def test_allow_first_then_deny_else_allow() -> None:
    access = HostAccess(
        allow=parse_rules("movescu: 10.0.0.7\n"),
        deny=parse_rules("movescu: 10.0.0.\nALL: 192.168. EXCEPT 192.168.5.\n"),
    )
    assert access.permits("movescu", "10.0.0.7")  # allowed before the deny rule is looked at
    assert not access.permits("movescu", "10.0.0.8")
    assert not access.permits("movescu", "192.168.1.1")
    assert access.permits("movescu", "192.168.5.1")  # EXCEPT
    assert access.permits("movescu", "172.16.0.1")  # no rule: allowed
    assert access.permits("storescp", "10.0.0.8")  # other daemons' rules do not apply
    assert HostAccess().permits("movescu", "1.2.3.4")


def test_load_reads_paths_from_env_and_missing_files_have_no_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow, deny = tmp_path / "allow", tmp_path / "deny"
    allow.write_text("movescu: 127.0.0.1\n")
    deny.write_text("ALL: ALL\n")
    monkeypatch.setenv(ALLOW_PATH_ENV, str(allow))
    monkeypatch.setenv(DENY_PATH_ENV, str(deny))
    access = HostAccess.load()
    assert access.permits("movescu", "127.0.0.1")
    assert not access.permits("movescu", "127.0.0.2")
    empty = HostAccess.load(tmp_path / "none1", tmp_path / "none2")
    assert empty == HostAccess()


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.text(max_size=40))
def test_hostile_rules_never_raise(text: str, address: str) -> None:
    access = HostAccess(allow=(), deny=parse_rules(text))
    assert isinstance(access.permits("movescu", address, address or None), bool)


def test_access_options_parse_rightmost_wins() -> None:
    argv = normalise(["+ac", "-ac", "-dhl", "host", "104"], MOVESCU_OPTIONS)
    assert argv.has("--access-full")
    assert not argv.has("--access-control")
    assert argv.has("--disable-host-lookup")
    argv = normalise(["-ac", "+ac", "host", "104"], MOVESCU_OPTIONS)
    assert argv.has("--access-control")


# --- TLS, --retrieve-timeout (parsing; behaviour in tests/interop/test_movescu_options.py) --------


def test_tls_options_rightmost_wins() -> None:
    argv = normalise(["+tls", "k.pem", "c.pem", "-tls", "host", "104"], MOVESCU_OPTIONS)
    assert argv.has("--disable-tls")
    assert not argv.has("--enable-tls")
    argv = normalise(["-tls", "+tla", "+cf", "a", "+cf", "b", "host", "104"], MOVESCU_OPTIONS)
    assert argv.has("--anonymous-tls")


def test_tls_contexts(tmp_path: Path) -> None:
    assert _tls_contexts(None, False, [], False) == (None, None)
    key, cert = make_certificate(tmp_path)
    client, server = _tls_contexts(None, True, [str(cert)], False)
    assert client is not None
    assert client.verify_mode is ssl.CERT_REQUIRED
    assert server is None  # +tla: no certificate of ours, incoming stays plain
    client, server = _tls_contexts((str(key), str(cert)), False, [str(cert)], False)
    assert client is not None
    assert server is not None
    assert server.verify_mode is ssl.CERT_OPTIONAL
    client, server = _tls_contexts((str(key), str(cert)), False, [], True)
    assert client is not None
    assert client.verify_mode is ssl.CERT_NONE
    assert server is not None
    assert server.verify_mode is ssl.CERT_NONE


def test_unreadable_tls_files_exit_1(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pem")
    result = runner.invoke(app, ["+P", "0", "+tls", missing, missing, "host", "104"])
    assert result.exit_code == 1
    assert "missing.pem" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_retrieve_timeout_must_be_positive() -> None:
    result = runner.invoke(app, ["--retrieve-timeout", "0", "host", "104"])
    assert result.exit_code == 1
    assert "--retrieve-timeout" in result.stderr


def test_move_destination_defaults_to_our_ae_title_as_dcmtk_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DCMTK's movescu sends its calling AE title (-aet) as Move Destination without -aem."""
    seen: dict[str, object] = {}

    async def fake_run(*args: object, **kwargs: object) -> list[object]:
        seen.update(kwargs)
        return []

    monkeypatch.setattr(movescu_module, "_run", fake_run)
    runner = CliRunner()
    runner.invoke(movescu_module.app, ["-aet", "ME", "-k", "PatientID=1", "127.0.0.1", "104"])
    assert seen["move_destination"] == "ME"
    seen.clear()
    runner.invoke(
        movescu_module.app, ["-aet", "ME", "-aem", "THEM", "-k", "PatientID=1", "127.0.0.1", "104"]
    )
    assert seen["move_destination"] == "THEM"
