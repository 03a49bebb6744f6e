"""cli/params.py: our pydantic-free converters give typer's (pydantic's) results and messages.

The oracle is typer's own conversion (``typer._adapters``, pydantic-based since typer 0.2x); with
a typer that converts with click types instead, cli/params.py installs nothing and this module
is skipped.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.models import OptionInfo
from typer.testing import CliRunner

from dicomnet_cli.movescu import app as movescu_app
from dicomnet_cli.params import converter_for, parse_bool, parse_float, parse_int

typer_adapters = pytest.importorskip("typer._adapters")  # the oracle: typer's own conversion
ValidationError = pytest.importorskip("pydantic").ValidationError

runner = CliRunner()

_ORACLES = {
    kind: typer_adapters.try_build_adapter(kind, OptionInfo()) for kind in (int, float, bool)
}
_OURS = {int: parse_int, float: parse_float, bool: parse_bool}

# Command-line text that exercises signs, separators, exponents, spaces, words and non-ASCII.
_TEXT = st.one_of(
    st.text(alphabet="0123456789+-. eExXaniftyonrsNO\t\n", max_size=8),
    st.text(max_size=4).filter(lambda text: "_" not in text),
    st.tuples(
        st.sampled_from(["", " ", "\x1f", "\xa0", "\u3000", "\x0b", "\u2028"]),
        st.sampled_from(["12", "1.5", "nan", "1e3", "-0", "x"]),
        st.sampled_from(["", " ", "\x1c", "\x85", "\u2000"]),
    ).map("".join),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False).map(repr),
)


def _oracle(kind: type, text: str) -> tuple[str, Any]:
    try:
        return "ok", _ORACLES[kind].validate_python(text)
    except ValidationError as exc:
        return "error", exc.errors()[0]["msg"]


def _ours(kind: type, text: str) -> tuple[str, Any]:
    try:
        return "ok", _OURS[kind](text)
    except ValueError as exc:
        return "error", str(exc)


@pytest.mark.parametrize("kind", [int, float])
@settings(max_examples=150, deadline=None)
@given(text=_TEXT)
def test_numbers_convert_as_pydantic_does(kind: type, text: str) -> None:
    # pydantic-core reads "0-1" as the int -1 (leading zeros dropped before a sign); we refuse
    # a sign after a digit, as int() does, so such text is left out of the comparison. Digit
    # separators ("_") have their own cases below: pydantic's rules for them are irregular.
    assume(re.search(r"[0-9.][+-]", text) is None)
    expected, got = _oracle(kind, text), _ours(kind, text)
    if expected[0] == "ok" and kind is float and expected[1] != expected[1]:
        assert got[1] != got[1]  # nan
    else:
        assert got == expected


@pytest.mark.parametrize(
    "text", ["0", "1", "yes", "No", "TRUE", "off", "t", "y", "2", "maybe", " yes", "", "  "]
)
def test_bools_convert_as_pydantic_does(text: str) -> None:
    assert _ours(bool, text) == _oracle(bool, text)


@pytest.mark.parametrize(
    "text", ["1_000", "1__000", "_1", "1_", "1_0.5", "in_f", "1_e3", "0_.", "10_0.0_0"]
)
def test_digit_separators(text: str) -> None:
    for kind in (int, float):
        assert _ours(kind, text) == _oracle(kind, text)


@pytest.mark.parametrize(
    ("text", "value"), [("12", 12), (" 12 ", 12), ("+7", 7), ("1_000", 1000), ("12.00", 12)]
)
def test_int_accepts_what_pydantic_accepts(text: str, value: int) -> None:
    assert parse_int(text) == value


@pytest.mark.parametrize(
    "text", ["12.5", "1e3", "0x10", "", "١٢", "1__0", "_1", "1 2", "0.", "12\x1f", "0-1"]
)
def test_int_refuses_what_pydantic_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="valid integer"):
        parse_int(text)


class _Info:
    """The ParameterInfo attributes converter_for reads."""

    def __init__(self, **kw: Any) -> None:
        self.parser = kw.get("parser")
        self.min = kw.get("min")
        self.max = kw.get("max")
        self.clamp = kw.get("clamp", False)


def test_bounds_lists_and_pairs() -> None:
    bounded = converter_for(int, _Info(min=4096, max=131072))
    assert bounded is not None
    assert bounded("16384") == 16384
    with pytest.raises(ValueError, match="greater than or equal to 4096"):
        bounded("100")
    with pytest.raises(ValueError, match="less than or equal to 131072"):
        bounded("200000")
    keys = converter_for(list[str], _Info())
    assert keys is not None
    assert keys(("a", "b")) == ["a", "b"]
    pair = converter_for(tuple[int, int], _Info())
    assert pair is not None
    assert pair(("2", "4")) == (2, 4)
    with pytest.raises(ValueError, match="2 values are required, but 1 given"):
        pair(("2",))


def test_kinds_left_to_typer() -> None:
    from pathlib import Path

    assert converter_for(Path, _Info()) is None
    assert converter_for(int, _Info(clamp=True)) is None
    assert converter_for(str, _Info(parser=str.upper)) is None
    assert converter_for(list[Path], _Info()) is None
    assert converter_for(tuple[int, ...], _Info()) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-pdu", "100"], "'-pdu' / '--max-pdu': Input should be greater than or equal to 4096"),
        (["-pdu", "x"], "unable to parse string as an integer"),
        (["--repeat", "0"], "'--repeat': Input should be greater than or equal to 1"),
        (["--retrieve-timeout", "soon"], "Input should be a valid number"),
        (["+p", "2", "x"], "'+p' / '--padding-create': Input should be a valid integer"),
    ],
)
def test_command_line_errors_keep_typers_wording(args: list[str], message: str) -> None:
    result = runner.invoke(movescu_app, [*args, "host", "104"])
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_port_argument() -> None:
    result = runner.invoke(movescu_app, ["host", "port"])
    assert result.exit_code == 1
    assert "Invalid value for 'port': Input should be a valid integer" in result.stderr
