"""Hostile data sets: whatever the bytes and fragmenting, only a status comes back (never an
exception), and the root holds either nothing or exactly the final file (never a temporary)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.dataset import GroupLength, WriteOptions
from dicomnet.services.store import DirectorySink
from tests.services.helpers import (
    DEFLATED,
    EXPLICIT_BE,
    EXPLICIT_LE,
    IMPLICIT_LE,
    JPEG_BASELINE,
    dataset,
    encoded,
    request,
)

SYNTAXES = [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE, DEFLATED, JPEG_BASELINE]
OPTIONS = [
    None,
    WriteOptions(transfer_syntax=IMPLICIT_LE),
    WriteOptions(group_length=GroupLength.CREATE),
]


@st.composite
def received(draw: st.DrawFn) -> tuple[str, bytes]:
    ts = draw(st.sampled_from(SYNTAXES))
    valid = encoded(dataset(), EXPLICIT_LE if ts == JPEG_BASELINE else ts)
    kind = draw(st.sampled_from(["random", "mutated", "truncated", "appended"]))
    if kind == "random":
        return ts, draw(st.binary(max_size=600))
    if kind == "truncated":
        return ts, valid[: draw(st.integers(0, len(valid)))]
    if kind == "appended":
        return ts, valid + draw(st.binary(max_size=200))
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return ts, bytes(data)


@settings(max_examples=150, deadline=None)
@given(
    received(),
    st.sampled_from(OPTIONS),
    st.integers(1, 300),
    st.sampled_from([256, 1024, 65536]),
    st.booleans(),
)
def test_hostile_bytes_only_give_a_status(
    case: tuple[str, bytes], options: WriteOptions | None, size: int, limit: int, abort: bool
) -> None:
    ts, data = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sink = DirectorySink(root, options=options, head_limit=limit)
        writer = sink.open(request(ts=ts))
        view = memoryview(data)
        for start in range(0, len(view), size):
            writer.write(view[start : start + size])
        if abort:
            writer.abort()
            assert list(root.iterdir()) == []
            return
        result = writer.commit()
        assert result.status in (0x0000, 0xA900, 0xC000, 0xA700), hex(result.status)
        names = [p.name for p in root.iterdir()]
        if result.status == 0:
            assert names == ["CT.1.2.3.4"]
            assert result.path == root / "CT.1.2.3.4"
        else:
            assert names == []
            assert result.error_comment
