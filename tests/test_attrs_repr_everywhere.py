"""Every dicomnet attrs class sharing ``attrs_repr`` prints what attrs' generated repr prints.

For each such class, an attrs-generated twin with the same fields (names, ``repr`` settings,
qualified name) is the oracle: both get the same field values and must give the same text.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import attrs
import pytest

import dicomnet
from dicomnet import uid
from dicomnet._attrs_repr import attrs_repr
from dicomnet.dimse.messages import CEchoRQ
from dicomnet.dimse.status import Status
from dicomnet.ul.events import AAbortIndication


def _attrs_classes() -> list[type]:
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(dicomnet.__path__, "dicomnet."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and attrs.has(value) and value.__module__ == info.name:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


_ALL = _attrs_classes()
_SHARED = [cls for cls in _ALL if cls.__repr__ is attrs_repr]


def _twin(cls: type) -> type:
    """The same fields in a class whose ``__repr__`` attrs generates itself."""
    fields = {
        f.name: attrs.field(repr=f.repr, default=None, alias=f.alias) for f in attrs.fields(cls)
    }
    return attrs.make_class(cls.__qualname__, fields, kw_only=True, repr=True, slots=True)


def _values(cls: type) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for index, f in enumerate(attrs.fields(cls)):
        if isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
            values[f.name] = None if f.default.takes_self else f.default.factory()
        elif f.default is not attrs.NOTHING:
            values[f.name] = f.default
        else:
            values[f.name] = f"v{index}'\n"
    return values


def _bare_instance(cls: type, values: dict[str, Any]) -> Any:
    """An instance with these field values, bypassing ``__init__`` and its validators."""
    obj = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


def test_the_shared_repr_is_used_widely() -> None:
    # most of the package's attrs classes share it (the rest print their own text, or are in modules edited elsewhere)
    assert len(_SHARED) >= 110
    assert len(_SHARED) >= 0.9 * len(_ALL)


@pytest.mark.parametrize("cls", _SHARED, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_same_text_as_attrs_generated_repr(cls: type) -> None:
    values = _values(cls)
    shared = _bare_instance(cls, values)
    twin = _twin(cls)(**{f.alias: values[f.name] for f in attrs.fields(cls)})
    assert repr(shared) == repr(twin)
    assert repr(shared).startswith(cls.__qualname__ + "(")


def test_representative_instances() -> None:
    echo = CEchoRQ(message_id=7, affected_sop_class_uid=uid.VERIFICATION_SOP_CLASS)
    assert repr(echo).startswith("CEchoRQ(message_id=7, ")
    assert repr(echo) == repr(_twin(CEchoRQ)(**attrs.asdict(echo, recurse=False)))
    assert repr(Status(0)) == repr(_twin(Status)(**attrs.asdict(Status(0), recurse=False)))
    abort = AAbortIndication(source=2, reason=1)
    assert repr(abort) == "AAbortIndication(source=2, reason=1)"
    assert repr(uid.IMPLICIT_VR_LITTLE_ENDIAN).startswith(
        "TransferSyntax(uid='1.2.840.10008.1.2', "
    )
