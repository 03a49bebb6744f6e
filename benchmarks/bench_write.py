"""Write speed: dicomnet vs pydicom on the same files (proposed benchmarks/bench_write.py, by h2w).

Run from the repository root: .venv/bin/python benchmarks/bench_write.py [N]
Builds N files (default 500) with tests/dataset/corpus.py's rich data set (explicit VR LE),
reads each with both libraries (not timed), then times writing every file to memory:
same transfer syntax, and converted to implicit VR little endian (pydicom 3 refuses to
convert little to big endian). Prints side-by-side ratios.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

import pydicom
from pydicom.filewriter import dcmwrite
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomnet.dataset.part10 import read_file
from dicomnet.dataset.part10_writer import encode_file
from dicomnet.dataset.writer import WriteOptions
from tests.dataset.corpus import _save, rich_dataset


def _best(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(n):
            path = Path(tmp) / f"f{i}.dcm"
            _save(rich_dataset(i + 1), ExplicitVRLittleEndian, path)
            paths.append(path)
        ours = [read_file(p) for p in paths]
        theirs = [pydicom.dcmread(p) for p in paths]
        implicit = WriteOptions(transfer_syntax="1.2.840.10008.1.2")

        def ours_same() -> None:
            for f in ours:
                b"".join(encode_file(f))

        def theirs_same() -> None:
            for ds in theirs:
                ds.save_as(io.BytesIO())

        def ours_implicit() -> None:
            for f in ours:
                b"".join(encode_file(f, implicit))

        def theirs_implicit() -> None:
            for ds in theirs:
                ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
                dcmwrite(io.BytesIO(), ds, implicit_vr=True, little_endian=True)
                ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian

        for label, a, b in (
            ("write, same TS", ours_same, theirs_same),
            ("write, to implicit VR LE", ours_implicit, theirs_implicit),
        ):
            t_ours, t_theirs = _best(a), _best(b)
            print(
                f"{label:24s} dicomnet {t_ours * 1000:8.1f} ms   pydicom {t_theirs * 1000:8.1f} ms"
                f"   ratio {t_theirs / t_ours:5.1f}x  ({n} files)"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
