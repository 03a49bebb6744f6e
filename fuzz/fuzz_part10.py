"""Fuzz target: the Part 10 file reader (PS3.10 §7.1: preamble, DICM, File Meta, data set).

Invariant: the bytes either read as a file (or a bare data set with detected encoding), and then
every value of the meta and of the data set can be accessed, or ``DatasetDecodeError`` is
raised; nothing else escapes and nothing hangs.

Run: ``.venv/bin/python fuzz/fuzz_part10.py fuzz/corpus/part10 -max_total_time=60``
(needs ``pip install atheris==3.0.0``); ``tests/fuzz/test_replay_dataset.py`` replays the corpus.
"""

from __future__ import annotations

import sys

from dicomnet.dataset import Dataset
from dicomnet.dataset.part10 import read_file
from dicomnet.errors import DatasetDecodeError

MAX_INFLATED = 1 << 20


def touch(ds: Dataset) -> int:
    """Decode every value of ``ds`` and of its items; return the number of elements seen."""
    count = 0
    for tag in ds:
        element = ds[tag]
        count += 1
        if element.vr == "SQ":
            for item in element.value:
                count += touch(item)
    return count


def TestOneInput(data: bytes) -> None:
    try:
        part10 = read_file(data, max_inflated_size=MAX_INFLATED)
        touch(part10.meta)
        _ = part10.file_meta
        touch(part10.dataset)
    except DatasetDecodeError:
        pass


def main() -> None:
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
