"""``_layout.build_compiled``: plain builds first, compiled after ``COMPILE_AFTER`` (DESIGN §3.8)."""

from __future__ import annotations

from unittest import mock

import construct as cs
import pytest

from dicomnet.pdu import PDUEncodeError, _layout, precompile_layouts


def _fresh_layout() -> _layout.Layout:
    return cs.Struct("pdu_type" / cs.Int8ub, "reserved" / cs.Int8ub, "body" / cs.Bytes(2))


VALUE = {"pdu_type": 5, "reserved": 0, "body": b"ab"}


def test_a_layout_is_compiled_only_after_steady_use() -> None:
    layout = _fresh_layout()
    with mock.patch.object(_layout, "COMPILE_AFTER", 4):
        for _ in range(3):
            assert _layout.build_compiled(layout, VALUE) == b"\x05\x00ab"
            assert id(layout) not in _layout._COMPILED  # a command's handful: never compiled
        assert _layout.build_compiled(layout, VALUE) == b"\x05\x00ab"
        assert id(layout) in _layout._COMPILED
        assert _layout.build_compiled(layout, VALUE) == b"\x05\x00ab"


def test_precompile_layouts_compiles_what_was_built() -> None:
    used, unused = _fresh_layout(), _fresh_layout()
    _layout.build_compiled(used, VALUE)
    assert id(used) not in _layout._COMPILED
    assert precompile_layouts() >= 1
    assert id(used) in _layout._COMPILED
    assert id(unused) not in _layout._COMPILED
    assert precompile_layouts() == 0  # nothing left
    assert _layout.build_compiled(used, VALUE) == b"\x05\x00ab"


def test_both_forms_refuse_out_of_range_values_alike() -> None:
    layout = _fresh_layout()
    bad = dict(VALUE, pdu_type=256)
    with pytest.raises(PDUEncodeError):
        _layout.build_compiled(layout, bad)  # plain
    _layout.compiled(layout)
    with pytest.raises(PDUEncodeError):
        _layout.build_compiled(layout, bad)  # compiled
