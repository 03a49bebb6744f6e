"""The DCMTK argv pre-pass: @file expansion, canonical names, rightmost wins, conflicts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dicomnet_cli.dcmtk_args import (
    ArgvError,
    Conflict,
    Option,
    OptionTable,
    Requires,
    dcmtk_command,
    expand_response_files,
    normalise,
    split_words,
)

TABLE = OptionTable(
    (
        Option(("+te", "--write-xfer-little"), group="xfer"),
        Option(("+tb", "--write-xfer-big"), group="xfer"),
        Option(("+t=", "--write-xfer-same"), group="xfer"),
        Option(("+td", "--write-xfer-deflated"), group="xfer"),
        Option(("+p", "--padding-create"), nargs=2, group="padding"),
        Option(("-p", "--padding-off"), group="padding"),
        Option(("-k", "--key"), nargs=1, repeatable=True),
        Option(("+cl", "--compression-level"), nargs=1),
        Option(("+B", "--bit-preserving"), group="bit"),
        Option(("-B", "--normal"), group="bit"),
        Option(("-aet", "--aetitle"), nargs=1),
        Option(("--arguments",)),
    ),
    conflicts=(Conflict(("+B",), ("+te", "+tb", "+td", "+p", "-p")),),
    requires=(Requires("+cl", ("+td",)),),
)


def test_short_and_long_spellings_become_canonical() -> None:
    result = normalise(["in.dcm", "+te", "out.dcm", "--padding-off"], TABLE)
    assert result.args == ["--write-xfer-little", "--padding-off", "--", "in.dcm", "out.dcm"]
    assert result.spelled == {"--write-xfer-little": "+te", "--padding-off": "--padding-off"}
    assert result.has("--write-xfer-little")
    assert not result.has("--write-xfer-big")


def test_option_arguments_are_kept_with_their_option() -> None:
    result = normalise(["+p", "256", "16", "a", "-aet", "-X-", "b"], TABLE)
    assert result.args == ["--padding-create", "256", "16", "--aetitle", "-X-", "--", "a", "b"]


def test_long_option_with_equals_value() -> None:
    result = normalise(["--aetitle=ME", "x"], TABLE)
    assert result.args == ["--aetitle", "ME", "--", "x"]


def test_equals_inside_a_short_spelling_is_not_split() -> None:
    assert normalise(["+t="], TABLE).args == ["--write-xfer-same"]


@pytest.mark.parametrize(
    ("argv", "kept"),
    [
        (["+te", "+tb"], ["--write-xfer-big"]),
        (["+tb", "+te"], ["--write-xfer-little"]),
        (["+te", "+t=", "+tb", "+t="], ["--write-xfer-same"]),
        (["+p", "2", "4", "-p"], ["--padding-off"]),
        (["-p", "+p", "2", "4"], ["--padding-create", "2", "4"]),
        (["-aet", "A", "-aet", "B"], ["--aetitle", "B"]),
    ],
)
def test_rightmost_wins(argv: list[str], kept: list[str]) -> None:
    assert normalise(argv, TABLE).args == kept


def test_repeatable_options_keep_every_occurrence_in_order() -> None:
    result = normalise(["-k", "PatientID=1", "x", "-k", "0010,0010="], TABLE)
    assert result.args == ["--key", "PatientID=1", "--key", "0010,0010=", "--", "x"]


def test_conflict_names_both_options_as_spelled() -> None:
    with pytest.raises(ArgvError, match=r"\+te and \+B"):
        normalise(["+te", "in", "+B"], TABLE)
    with pytest.raises(ArgvError, match=r"--bit-preserving and --padding-off"):
        normalise(["--bit-preserving", "--padding-off"], TABLE)


def test_conflict_is_checked_after_rightmost_resolution() -> None:
    # +te is overridden by +t=, which is compatible with +B; -B overridden by +B.
    result = normalise(["+te", "-B", "+t=", "+B"], TABLE)
    assert result.args == ["--write-xfer-same", "--bit-preserving"]
    # and the other way round: +B overridden by -B leaves no conflict
    assert normalise(["+B", "+te", "-B"], TABLE).args == ["--write-xfer-little", "--normal"]


def test_requires() -> None:
    with pytest.raises(ArgvError, match=r"\+cl only with \+td"):
        normalise(["+cl", "9", "+te"], TABLE)
    assert normalise(["+cl", "9", "+td"], TABLE).args == [
        "--compression-level",
        "9",
        "--write-xfer-deflated",
    ]


@pytest.mark.parametrize("bad", ["+xz", "-zz", "--no-such-option", "--aetitlex=1"])
def test_unknown_option(bad: str) -> None:
    with pytest.raises(ArgvError, match="unknown option"):
        normalise(["in", bad], TABLE)


def test_missing_option_arguments() -> None:
    with pytest.raises(ArgvError, match=r"\+p needs 2 arguments"):
        normalise(["+p", "256"], TABLE)
    with pytest.raises(ArgvError, match=r"-aet needs 1 argument$"):
        normalise(["-aet"], TABLE)


def test_double_dash_ends_options_and_lone_dash_is_positional() -> None:
    result = normalise(["+te", "--", "+tb", "-"], TABLE)
    assert result.args == ["--write-xfer-little", "--", "+tb", "-"]
    assert normalise(["-"], TABLE).args == ["--", "-"]


def test_help_is_added() -> None:
    assert normalise(["-h"], TABLE).args == ["--help"]


def test_response_file_expansion(tmp_path: Path) -> None:
    words = tmp_path / "args.txt"
    words.write_text("+te  -aet 'MY AE'\n\t-k \"PatientName=Doe^J\" @other\n", encoding="utf-8")
    result = normalise([f"@{words}", "in.dcm"], TABLE)
    assert result.expanded == [
        "+te",
        "-aet",
        "MY AE",
        "-k",
        "PatientName=Doe^J",
        "@other",
        "in.dcm",
    ]
    # one level only: the @other word from the file is a positional, not expanded
    assert result.args == [
        "--write-xfer-little",
        "--aetitle",
        "MY AE",
        "--key",
        "PatientName=Doe^J",
        "--",
        "@other",
        "in.dcm",
    ]


def test_response_file_options_take_part_in_rightmost_wins(tmp_path: Path) -> None:
    words = tmp_path / "args"
    words.write_text("+tb", encoding="utf-8")
    assert normalise(["+te", f"@{words}"], TABLE).args == ["--write-xfer-big"]
    assert normalise([f"@{words}", "+te"], TABLE).args == ["--write-xfer-little"]


def test_unreadable_response_file(tmp_path: Path) -> None:
    with pytest.raises(ArgvError, match="cannot read response file"):
        normalise([f"@{tmp_path / 'missing'}"], TABLE)
    with pytest.raises(ArgvError, match="cannot read response file"):
        normalise([f"@{tmp_path}"], TABLE)


def test_at_sign_alone_and_after_double_dash_are_literal() -> None:
    def never(name: str) -> str:
        raise AssertionError(name)

    assert expand_response_files(["@", "--", "@x"], read=never) == ["@", "--", "@x"]


def test_split_words_quotes() -> None:
    assert split_words("a 'b c' \"d 'e'\" f''g ''") == ["a", "b c", "d 'e'", "fg", ""]
    with pytest.raises(ArgvError, match="unbalanced"):
        split_words("a 'b")


def test_table_rejects_bad_definitions() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        OptionTable((Option(("+a",)), Option(("+a", "--aa"))))
    with pytest.raises(ValueError, match="must start"):
        Option(("x",))
    with pytest.raises(ValueError, match="unknown option"):
        OptionTable((Option(("+a",)),), conflicts=(Conflict(("+a",), ("+b",)),))


_TOKENS = st.sampled_from(
    ["+te", "+tb", "+t=", "+td", "-p", "+B", "-B", "--arguments", "x", "y.dcm", "-k", "+p", "1"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TOKENS, max_size=12))
def test_normalise_is_total_and_idempotent(argv: list[str]) -> None:
    """Any argv either normalises or raises ArgvError; normalising the result changes nothing."""
    try:
        first = normalise(argv, TABLE)
    except ArgvError:
        return
    second = normalise(first.args, TABLE)
    assert second.args == first.args
    kept_groups = [TABLE.lookup(a) for a in first.args if a.startswith("--") and a != "--"]
    named = [o.group for o in kept_groups if o is not None and o.group is not None]
    assert len(named) == len(set(named))  # at most one option per exclusive group


def _glue_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)

    @app.callback()
    def _root() -> None:
        """Test root."""

    def tool(
        ctx: typer.Context,
        files: Annotated[list[str], typer.Argument()],
        aetitle: Annotated[str, typer.Option("-aet", "--aetitle")] = "ME",
        little: Annotated[bool, typer.Option("+te", "--write-xfer-little")] = False,
        big: Annotated[bool, typer.Option("+tb", "--write-xfer-big")] = False,
    ) -> None:
        """A tool."""
        typer.echo(f"{files} {aetitle} {little} {big} {ctx.meta['dcmtk_argv'].spelled}")

    table = OptionTable(
        (
            Option(("-aet", "--aetitle"), nargs=1),
            Option(("+te", "--write-xfer-little"), group="xfer"),
            Option(("+tb", "--write-xfer-big"), group="xfer"),
        )
    )
    app.command("tool", cls=dcmtk_command(table))(tool)
    return app


def test_typer_glue_parses_the_normalised_argv() -> None:
    runner = CliRunner()
    app = _glue_app()
    result = runner.invoke(app, ["tool", "+te", "a", "-aet", "X", "+tb", "-x.dcm", "--", "+b"])
    assert result.exit_code == 1  # -x.dcm looks like an option
    assert "unknown option -x.dcm" in result.stderr
    result = runner.invoke(app, ["tool", "+te", "a", "-aet", "-h", "+tb", "--", "-x.dcm"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "['a', '-x.dcm'] -h False True {'--aetitle': '-aet', '--write-xfer-big': '+tb'}"
    )
    assert runner.invoke(app, ["tool", "+zz", "-h"]).exit_code == 0  # help wins over errors
    assert "Usage" in runner.invoke(app, ["tool"]).stdout
