"""Names of a module loaded from other modules on first use (PEP 562 ``__getattr__``/``__dir__``).

The package ``__init__`` files re-export their public names this way, so importing one name does
not import every submodule (start-up counts for short-lived commands such as ``movescu``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    module_name: str,
    namespace: dict[str, Any],
    exports: Mapping[str, str],
    public: Iterable[str],
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the module ``module_name`` whose globals are ``namespace``.

    ``exports`` maps each lazily loaded name to the module that defines it; a name is imported on
    first access and then kept in ``namespace``, so later lookups are plain attribute reads.
    """
    names = tuple(public)

    def __getattr__(name: str) -> Any:
        source = exports.get(name)
        if source is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *names})

    return __getattr__, __dir__
