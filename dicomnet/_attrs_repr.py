"""One ``__repr__`` shared by attrs classes, instead of one generated and compiled per class.

attrs compiles a ``__repr__`` for each class it builds: about a third of the cost of defining a
class (some 0.12 ms of CPU each with attrs 26), paid at import by every process, and there are
dozens of classes on the way to a command's first PDU. A class declared with ``repr=False`` and
``__repr__ = attrs_repr`` prints the same ``Name(field=value, ...)`` text, honouring each field's
``repr`` setting, with ``...`` for a recursive reference as attrs writes it.
"""

from __future__ import annotations

import reprlib

import attrs

__all__ = ["attrs_repr"]


@reprlib.recursive_repr()
def attrs_repr(self: attrs.AttrsInstance) -> str:
    """``Name(field=value, ...)`` for an attrs instance, as attrs' generated ``__repr__``."""
    cls = type(self)
    parts = []
    for field in attrs.fields(cls):
        if field.repr is False:
            continue
        value = getattr(self, field.name)
        text = field.repr(value) if callable(field.repr) else repr(value)
        parts.append(f"{field.name}={text}")
    return f"{cls.__qualname__.rsplit('>.', 1)[-1]}({', '.join(parts)})"
