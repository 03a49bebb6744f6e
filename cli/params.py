"""Command-line values converted without pydantic: the start-up cost of our typer commands.

typer (0.2x) converts every parameter that is not a flag through a pydantic ``TypeAdapter`` built
on first use, so a ``movescu`` run imported pydantic and built about twenty adapters (some 70 ms
of CPU) before its first PDU. Our commands' parameters are ``str``, ``int`` and ``float`` (with
``min``/``max``) and lists or pairs of them: :func:`install` gives each of those a converter with
the same results and the same messages (pydantic's wording, which typer prints). Any other kind
(``Path``, enums, ``clamp``, a custom parser) keeps typer's own conversion, and a typer without
this mechanism (older versions convert with cheap click types) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, get_args, get_origin

import typer

__all__ = ["converter_for", "install", "parse_bool", "parse_float", "parse_int"]

Convert = Callable[[Any], Any]

#: What pydantic strips around a number (Unicode White_Space; unlike ``str.strip()``, not the
#: separators U+001C..U+001F).
_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_INT: Final = re.compile(r"[+-]?[0-9](?:_?[0-9])*(?:\.0+)?")
_NOT_INT: Final = "Input should be a valid integer, unable to parse string as an integer"
_NOT_NUMBER: Final = "Input should be a valid number, unable to parse string as a number"


def parse_int(value: Any) -> int:
    """An ``int`` from the command line as pydantic's lax mode reads it (``" 12"``, ``"1_000"``,
    ``"12.0"``; not ``"12.5"``, ``"1e3"``, ``"0x10"`` or non-ASCII digits); ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = value.strip(_WHITESPACE) if isinstance(value, str) else None
    if text is None or not text.isascii() or _INT.fullmatch(text) is None:
        raise ValueError(_NOT_INT)
    return int(text.partition(".")[0])


def parse_float(value: Any) -> float:
    """A ``float`` from the command line as pydantic reads it (``"nan"``, ``"inf"``, ``"1e3"``;
    surrounding white space; ASCII digits only); ValueError otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = value.strip(_WHITESPACE) if isinstance(value, str) else ""
    if not text.isascii() or text != text.strip():  # float() would strip U+001C..U+001F
        raise ValueError(_NOT_NUMBER)
    if "_" in text:  # single underscores anywhere inside, as pydantic allows ("in_f", "1_e3")
        if text.startswith("_") or text.endswith("_") or "__" in text:
            raise ValueError(_NOT_NUMBER)
        text = text.replace("_", "")
    try:
        return float(text)
    except ValueError:
        raise ValueError(_NOT_NUMBER) from None


_BOOLS: Final = {
    **dict.fromkeys(("0", "off", "f", "false", "n", "no"), False),
    **dict.fromkeys(("1", "on", "t", "true", "y", "yes"), True),
}


def parse_bool(value: Any) -> bool:
    """A ``bool`` as typer reads one (``""`` is False; ``yes``/``no``, ``1``/``0``, ...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return False
        known = _BOOLS.get(text.lower())
        if known is not None:
            return known
    elif isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError("Input should be a valid boolean, unable to interpret input")


def _parse_str(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _bounded(parse: Convert, minimum: float | None, maximum: float | None) -> Convert:
    if minimum is None and maximum is None:
        return parse

    def convert(value: Any) -> Any:
        number = parse(value)
        if minimum is not None and number < minimum:
            raise ValueError(f"Input should be greater than or equal to {minimum}")
        if maximum is not None and number > maximum:
            raise ValueError(f"Input should be less than or equal to {maximum}")
        return number

    return convert


def _leaf(annotation: Any, info: Any) -> Convert | None:
    if annotation is str:
        return _parse_str
    if annotation is bool:
        return parse_bool
    if annotation is int or annotation is float:
        if getattr(info, "clamp", False):
            return None
        parse = parse_int if annotation is int else parse_float
        return _bounded(parse, getattr(info, "min", None), getattr(info, "max", None))
    return None


def converter_for(annotation: Any, info: Any) -> Convert | None:
    """The converter for a parameter of type ``annotation`` (typer's ``ParameterInfo`` ``info``),
    or None when typer's own conversion must run (an unknown kind or a custom parser)."""
    if getattr(info, "parser", None) is not None:
        return None
    origin = get_origin(annotation)
    if origin is None:
        return _leaf(annotation, info)
    args = get_args(annotation)
    if origin is list and len(args) == 1:
        item = _leaf(args[0], info)
        if item is None:
            return None
        convert_item = item

        def convert_list(value: Any) -> list[Any]:
            items = value if isinstance(value, (list, tuple)) else [value]
            return [convert_item(v) for v in items]

        return convert_list
    if origin is tuple and args and Ellipsis not in args:
        parts = [_leaf(arg, info) for arg in args]
        if any(part is None for part in parts):
            return None
        converters: list[Convert] = [part for part in parts if part is not None]

        def convert_tuple(value: Any) -> tuple[Any, ...]:
            if not isinstance(value, (list, tuple)):
                raise ValueError("value is not a valid tuple")
            if len(value) != len(converters):
                raise ValueError(f"{len(converters)} values are required, but {len(value)} given.")
            return tuple(c(v) for c, v in zip(converters, value, strict=True))

        return convert_tuple
    return None


class _Runtime:
    """Stands in for typer's runtime conversion of one parameter (its ``coerce`` contract)."""

    __slots__ = ("_convert",)

    def __init__(self, convert: Convert) -> None:
        self._convert = convert

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multiple = bool(param.multiple) or param.nargs == -1
        if value is None:
            return () if multiple else None
        if multiple and isinstance(value, str):
            raise typer.BadParameter("Value must be an iterable.", ctx=ctx, param=param)
        try:
            return self._convert(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), ctx=ctx, param=param) from None


def install(command: Any, ctx: Any) -> None:
    """Give each parameter of the typer ``command`` (``--help`` included: ``ctx`` names it) that
    we can convert a pydantic-free converter.

    Parameters whose conversion typer already built, and typers without the lazily built runtime
    conversion (no ``_runtime_param`` attribute), are left as they are.
    """
    for param in command.get_params(ctx):
        if getattr(param, "_runtime_param", False) is not None:
            continue
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None:
            continue
        convert = converter_for(descriptor.annotation, descriptor.parameter_info)
        if convert is not None:
            param._runtime_param = _Runtime(convert)
