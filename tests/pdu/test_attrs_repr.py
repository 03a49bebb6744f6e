"""The shared ``attrs_repr`` prints what attrs' generated ``__repr__`` prints (the oracle)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from dicomnet._attrs_repr import attrs_repr
from dicomnet.pdu import MaximumLengthSubItem


@pytest.mark.parametrize("options", [{}, {"kw_only": True}])
def test_same_text_as_the_generated_repr(options: dict[str, Any]) -> None:
    @attrs.frozen(**options)
    class Sample:
        items: list[object]
        name: str = "x"
        hidden: int = attrs.field(default=0, repr=False)
        custom: int = attrs.field(default=5, repr=lambda v: f"<{v:04x}>")
        _private: bytes = b"\x00"

    generated = Sample

    @attrs.frozen(repr=False, **options)
    class Sample:  # type: ignore[no-redef]
        __repr__ = attrs_repr

        items: list[object]
        name: str = "x"
        hidden: int = attrs.field(default=0, repr=False)
        custom: int = attrs.field(default=5, repr=lambda v: f"<{v:04x}>")
        _private: bytes = b"\x00"

    shared = Sample
    for kwargs in ({}, {"name": "it's", "hidden": 3, "custom": 300, "private": b"\xff"}):
        a = generated(items=[1, "two"], **kwargs)
        b = shared(items=[1, "two"], **kwargs)
        assert repr(b) == repr(a)
        assert "hidden" not in repr(b)
    # a recursive reference prints as "..." instead of recursing
    a, b = generated(items=[]), shared(items=[])
    a.items.append(a)
    b.items.append(b)
    assert repr(b) == repr(a)
    assert "..." in repr(b)


def test_a_pdu_item_prints_its_fields() -> None:
    text = "MaximumLengthSubItem(maximum_length=16384, reserved=0)"
    assert repr(MaximumLengthSubItem(16384)) == text


def test_the_former_path_is_the_same_function() -> None:
    from dicomnet.pdu import _attrs_repr as former

    assert former.attrs_repr is attrs_repr
