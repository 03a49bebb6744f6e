"""DCMTK command-line conventions as a pure pre-pass over argv (DCMTK ``OFCommandLine`` style).

DCMTK tools take options that begin with ``-`` or ``+`` (``+te``, ``-g``, ``+p 256 16``) anywhere
on the line, expand ``@file`` arguments to the whitespace-separated words of that file (one level:
an ``@word`` read from a file stays a word), and resolve mutually exclusive options to the
rightmost one. Typer gives each flag its own parameter, so this module normalises argv first:

1. ``@file`` expansion (:func:`expand_response_files`);
2. each known option spelling (short or long) is replaced by its canonical long name, followed by
   its arguments; an unknown option or a missing option argument is an :class:`ArgvError`;
3. rightmost wins: of the options of one exclusive group only the last is kept, and a repeated
   single option keeps its last occurrence (unless ``repeatable``);
4. remaining conflicts (pairs of options that may not be combined) are reported naming both
   options as the user spelled them, and an option that needs another (``+cl`` only with ``+td``)
   is reported when that one is missing;
5. positional arguments follow a ``--`` so typer never reads them as options.

:func:`normalise` is pure; :func:`dcmtk_command` makes a typer command class that runs it before
typer parses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import typer
import typer.core

from dicomnet.pdu._attrs_repr import attrs_repr
from dicomnet_cli.params import install as install_converters

__all__ = [
    "ArgvError",
    "Conflict",
    "NormalisedArgv",
    "Option",
    "OptionTable",
    "Requires",
    "dcmtk_command",
    "expand_response_files",
    "normalise",
    "split_words",
]

HELP = ("-h", "--help")


class ArgvError(ValueError):
    """A command-line error found by the pre-pass (DCMTK exits 1 for these)."""


@attrs.frozen(repr=False)
class Option:
    """One option: its spellings (``("+te", "--write-xfer-little")``; the ``--`` one is canonical).

    ``nargs`` is the number of arguments that follow it; ``group`` names the exclusive group it
    belongs to (rightmost wins within a group); ``repeatable`` options keep every occurrence.
    """

    __repr__ = attrs_repr

    names: tuple[str, ...]
    nargs: int = 0
    group: str | None = None
    repeatable: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.names:
            raise ValueError("an option needs at least one name")
        for name in self.names:
            if len(name) < 2 or name[0] not in "+-":
                raise ValueError(f"option name {name!r} must start with '-' or '+'")
        if self.nargs < 0:
            raise ValueError("nargs must be >= 0")

    @property
    def canonical(self) -> str:
        """The name handed to typer: the first ``--`` spelling, else the first spelling."""
        for name in self.names:
            if name.startswith("--"):
                return name
        return self.names[0]


@attrs.frozen(repr=False)
class Conflict:
    """Options of ``first`` may not be combined with options of ``second`` (any spellings)."""

    __repr__ = attrs_repr

    first: tuple[str, ...]
    second: tuple[str, ...]


@attrs.frozen(repr=False)
class Requires:
    """``option`` (any spelling) may only be given together with one of ``any_of``."""

    __repr__ = attrs_repr

    option: str
    any_of: tuple[str, ...]


@attrs.frozen(repr=False)
class _Occurrence:
    __repr__ = attrs_repr

    option: Option
    spelled: str
    args: tuple[str, ...]


class OptionTable:
    """The options of one command, indexed by every spelling, and its conflicts."""

    def __init__(
        self,
        options: Iterable[Option],
        conflicts: Iterable[Conflict] = (),
        requires: Iterable[Requires] = (),
        *,
        add_help: bool = True,
    ) -> None:
        opts = list(options)
        if add_help and not any("--help" in o.names for o in opts):
            opts.append(Option(HELP))
        self.options: tuple[Option, ...] = tuple(opts)
        self._by_name: dict[str, Option] = {}
        for option in opts:
            for name in option.names:
                if name in self._by_name:
                    raise ValueError(f"option name {name!r} defined twice")
                self._by_name[name] = option
        self._conflicts: list[tuple[frozenset[str], frozenset[str]]] = [
            (self._canonicals(c.first), self._canonicals(c.second)) for c in conflicts
        ]
        self._requires: list[tuple[str, frozenset[str], str]] = [
            (
                next(iter(self._canonicals((r.option,)))),
                self._canonicals(r.any_of),
                " or ".join(r.any_of),
            )
            for r in requires
        ]

    def _canonicals(self, names: Sequence[str]) -> frozenset[str]:
        try:
            return frozenset(self._by_name[name].canonical for name in names)
        except KeyError as exc:
            raise ValueError(f"conflict names unknown option {exc.args[0]!r}") from None

    def lookup(self, name: str) -> Option | None:
        """The option spelled ``name``, or None."""
        return self._by_name.get(name)

    @property
    def conflicts(self) -> list[tuple[frozenset[str], frozenset[str]]]:
        """The conflicts as pairs of canonical-name sets."""
        return list(self._conflicts)

    @property
    def requires(self) -> list[tuple[str, frozenset[str], str]]:
        """The dependencies: (canonical name, canonical names it needs one of, their spelling)."""
        return list(self._requires)


@attrs.frozen(repr=False)
class NormalisedArgv:
    """The result of :func:`normalise`.

    ``args`` is what typer parses; ``expanded`` is argv after ``@file`` expansion (what DCMTK's
    ``--arguments`` prints); ``spelled`` maps each kept option's canonical name to the spelling
    the user wrote.
    """

    __repr__ = attrs_repr

    args: list[str]
    expanded: list[str]
    spelled: dict[str, str]

    def has(self, canonical: str) -> bool:
        """True if the option with this canonical name is in effect."""
        return canonical in self.spelled


def split_words(text: str) -> list[str]:
    """Split response-file text into words: whitespace separates, quotes group (no escapes)."""
    words: list[str] = []
    current: list[str] = []
    in_word = False
    quote: str | None = None
    for char in text:
        if quote is not None:
            if char == quote:
                quote = None
            else:
                current.append(char)
        elif char in "\"'":
            quote = char
            in_word = True
        elif char.isspace():
            if in_word:
                words.append("".join(current))
                current = []
                in_word = False
        else:
            current.append(char)
            in_word = True
    if quote is not None:
        raise ArgvError(f"unbalanced {quote} quote in response file")
    if in_word:
        words.append("".join(current))
    return words


def _read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8", errors="surrogateescape")


def expand_response_files(
    argv: Sequence[str], read: Callable[[str], str] = _read_text
) -> list[str]:
    """Replace each ``@file`` argument by the words of that file (one level, no nesting).

    A lone ``@`` is an ordinary argument; arguments after ``--`` are never expanded.
    """
    out: list[str] = []
    literal = False
    for arg in argv:
        if literal or arg == "@" or not arg.startswith("@"):
            out.append(arg)
            literal = literal or arg == "--"
            continue
        name = arg[1:]
        try:
            text = read(name)
        except (OSError, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ArgvError(f"cannot read response file {name!r}: {reason}") from None
        out.extend(split_words(text))
    return out


def _looks_like_option(arg: str) -> bool:
    return len(arg) > 1 and arg[0] in "+-"


def normalise(argv: Sequence[str], table: OptionTable) -> NormalisedArgv:
    """Apply the DCMTK conventions to ``argv`` (see the module docstring)."""
    expanded = expand_response_files(argv)
    occurrences: list[_Occurrence] = []
    positionals: list[str] = []
    index = 0
    while index < len(expanded):
        arg = expanded[index]
        index += 1
        if arg == "--":
            positionals.extend(expanded[index:])
            break
        option = table.lookup(arg)
        inline: tuple[str, ...] = ()
        if option is None and arg.startswith("--") and "=" in arg:
            name, _, value = arg.partition("=")
            candidate = table.lookup(name)
            if candidate is not None and candidate.nargs == 1:
                option, inline, arg = candidate, (value,), name
        if option is None:
            if _looks_like_option(arg):
                raise ArgvError(f"unknown option {arg}")
            positionals.append(arg)
            continue
        needed = option.nargs - len(inline)
        values = tuple(expanded[index : index + needed])
        if len(values) < needed:
            plural = "s" if option.nargs != 1 else ""
            raise ArgvError(f"option {arg} needs {option.nargs} argument{plural}")
        index += needed
        occurrences.append(_Occurrence(option, arg, inline + values))

    kept = _rightmost(occurrences)
    spelled = {occ.option.canonical: occ.spelled for occ in kept}
    for first, second in table.conflicts:
        a = next((i for i, occ in enumerate(kept) if occ.option.canonical in first), None)
        b = next((i for i, occ in enumerate(kept) if occ.option.canonical in second), None)
        if a is not None and b is not None:
            one, two = kept[min(a, b)].spelled, kept[max(a, b)].spelled
            raise ArgvError(f"conflicting options: {one} and {two} cannot be used together")
    for canonical, partners, spelling in table.requires:
        if canonical in spelled and not partners & spelled.keys():
            raise ArgvError(f"option {spelled[canonical]} only with {spelling}")

    args: list[str] = []
    for occ in kept:
        args.append(occ.option.canonical)
        args.extend(occ.args)
    if positionals:
        args.append("--")
        args.extend(positionals)
    return NormalisedArgv(args=args, expanded=list(expanded), spelled=spelled)


def _rightmost(occurrences: list[_Occurrence]) -> list[_Occurrence]:
    """Keep the last occurrence of each exclusive group and of each non-repeatable option."""
    last: dict[str, int] = {}
    for position, occ in enumerate(occurrences):
        if occ.option.repeatable:
            continue
        key = f"group:{occ.option.group}" if occ.option.group else occ.option.canonical
        last[key] = position
    keep = set(last.values())
    return [
        occ for position, occ in enumerate(occurrences) if occ.option.repeatable or position in keep
    ]


def dcmtk_command(table: OptionTable) -> type[typer.core.TyperCommand]:
    """A typer command class whose argv goes through :func:`normalise` first.

    Pre-pass errors and typer's own usage errors (a missing file name, a bad integer) print one
    line, ``<command>: error: <message>``, on stderr and exit 1, as DCMTK's do; no arguments or
    ``-h`` print the help and exit 0. The result is in ``ctx.meta["dcmtk_argv"]``.
    """

    class DcmtkCommand(typer.core.TyperCommand):
        def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
            install_converters(self, ctx)  # no pydantic at start-up (cli/params.py)
            if not args:
                return super().parse_args(ctx, ["--help"])  # DCMTK: usage, exit 0
            try:
                parsed = normalise(args, table)
            except ArgvError as exc:
                options = args[: args.index("--")] if "--" in args else args
                if any(arg in HELP for arg in options):
                    return super().parse_args(ctx, ["--help"])
                typer.echo(f"{ctx.command_path}: error: {exc}", err=True)
                raise typer.Exit(1) from None
            if parsed.has("--help"):
                return super().parse_args(ctx, ["--help"])
            ctx.meta["dcmtk_argv"] = parsed
            try:
                return super().parse_args(ctx, parsed.args)
            except typer.TyperException as exc:
                typer.echo(f"{ctx.command_path}: error: {exc.format_message()}", err=True)
                raise typer.Exit(1) from None

    DcmtkCommand.__name__ = "DcmtkCommand"
    return DcmtkCommand


def standalone_app(
    name: str,
    help_text: str,
    command_class: type[typer.core.TyperCommand],
    function: Callable[..., Any],
) -> typer.Typer:
    """A one-command typer app for a tool (``python -m dicomnet_cli.<name>``, console scripts).

    The same command is mounted under ``dicomnet`` by ``cli/main.py``.
    """
    app = typer.Typer(
        name=name, help=help_text, pretty_exceptions_enable=False, add_completion=False
    )
    app.command(name, cls=command_class)(function)
    return app


def start_command(
    ctx: typer.Context,
    tool: str,
    *,
    version: bool,
    arguments: bool,
    quiet: bool,
    verbose: bool,
    debug: bool,
) -> NormalisedArgv:
    """What every command does first, as DCMTK's tools do: ``--arguments`` prints the expanded
    command line, ``--version`` prints the version and exits, ``-q/-v/-d`` set the log level
    (``F: message`` style lines on stderr). Returns the normalised argv (empty outside the
    DCMTK pre-pass, e.g. when a test invokes the typer app directly)."""
    argv: NormalisedArgv | None = ctx.meta.get("dcmtk_argv")
    if argv is None:
        argv = NormalisedArgv(args=[], expanded=[], spelled={})
    if arguments:
        typer.echo(" ".join(argv.expanded), err=True)
    if version:
        import dicomnet

        typer.echo(f"dicomnet {tool} {dicomnet.__version__}")
        raise typer.Exit(0)
    import logging

    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    if quiet:
        level = logging.CRITICAL
    logging.basicConfig(format="%(levelname).1s: %(message)s", level=level, force=True)
    return argv


#: The TLS options (PS3.15 Annex B) of the network tools, for their option tables.
TLS_OPTIONS: tuple[Option, ...] = (
    Option(("-tls", "--disable-tls"), group="tls"),
    Option(("+tls", "--enable-tls"), nargs=2, group="tls"),
    Option(("+tla", "--anonymous-tls"), group="tls"),
    Option(("+cf", "--add-cert-file"), nargs=1, repeatable=True),
    Option(("-ic", "--ignore-peer-cert"), group="verify"),
)
