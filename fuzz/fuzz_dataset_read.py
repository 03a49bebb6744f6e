"""Fuzz target: the data set reader (PS3.5 §7) in every transfer syntax.

The first byte picks the encoding (implicit VR LE, explicit VR LE, explicit VR BE, deflated
explicit VR LE) and the reading options; the rest is the data set. Invariant: the bytes either
decode, and then every value can be accessed (recursively through sequences), or
``DatasetDecodeError`` is raised; nothing else escapes and nothing hangs.

Run: ``.venv/bin/python fuzz/fuzz_dataset_read.py fuzz/corpus/dataset -max_total_time=60``
(needs ``pip install atheris==3.0.0``); ``tests/fuzz/test_replay_dataset.py`` replays the corpus.
"""

from __future__ import annotations

import sys

from dicomnet.dataset import Dataset, read_dataset
from dicomnet.errors import DatasetDecodeError

ENCODINGS = (
    "1.2.840.10008.1.2",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    "1.2.840.10008.1.2.2",  # Explicit VR Big Endian
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
)
MAX_INFLATED = 1 << 20


def touch(ds: Dataset) -> int:
    """Decode every value of ``ds`` and of its items; return the number of elements seen."""
    count = 0
    for tag in ds:
        element = ds[tag]
        count += 1
        _ = element.vm
        if element.vr == "SQ":
            for item in element.value:
                count += touch(item)
    _ = str(ds)
    return count


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    selector = data[0]
    ts = ENCODINGS[selector & 3]
    replace_un = bool(selector & 4)
    max_depth = 8 if selector & 8 else 64
    stop_before = 0x7FE00010 if selector & 16 else None
    try:
        ds = read_dataset(
            data[1:],
            ts,
            replace_un=replace_un,
            max_depth=max_depth,
            stop_before=stop_before,
            max_inflated_size=MAX_INFLATED,
        )
        touch(ds)
    except DatasetDecodeError:
        pass


def main() -> None:
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
