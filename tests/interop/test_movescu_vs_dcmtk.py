"""Side by side with DCMTK: the same C-MOVEs received by DCMTK's ``movescu`` and by ours, in
``+B`` (bit-preserving) and in the default mode, from dcmqrscp (fork mode) and from our qrscp.

What "identical" can honestly mean: the data set part of each file (everything after the File
Meta Information, PS3.10 7.1) is the received bytes in ``+B`` mode, so it must be byte-identical;
the meta header is written by each tool, so it is equal except the fields that name the
implementation (Implementation Class UID (0002,0012), Implementation Version Name (0002,0013))
and hence the group length (0002,0000). In the default mode the data sets are equal element by
element. DCMTK's movescu then writes a new meta header (``EWM_createNewMeta``) that drops Source
Application Entity Title (0002,0016), which MOVESCU.md requires of ours.

dcmqrscp re-encodes what it sends (explicit lengths), so there the default-mode data sets are
byte-identical too. Our qrscp sends the stored bytes, here an undefined-length sequence: ``+B``
keeps them in both tools (byte-identical to the archive's file), while in the default mode
DCMTK's ``+e`` (explicit lengths, the default) re-encodes the sequence and ours, which streams
unless a conversion is asked, keeps it as received: equal element by element, not byte for byte.

DCMTK 3.6.7's ``movescu +B`` ignores ``-od`` and writes into its working directory (fixed after
3.6.7, "Make movescu respect output dir with +B"): it runs with its output folder as working
directory, so either version writes there.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset as PyDataset
from pydicom.sequence import Sequence

from tests.interop.test_qr_scu_support import QRSCP, ROOT, SMALL, instance, write
from tests.peers import dcmtk_env, free_port, require_program, running

pytestmark = pytest.mark.peer

#: Meta header elements that name the writing implementation (and the group length they change).
IMPLEMENTATION = {0x00020000, 0x00020012, 0x00020013}
SOURCE_AE = 0x00020016
DCMTK_CLASS_UID = "1.2.276.0.7230010.3.0.3.6.7"


def _extra(folder: Path) -> list[Path]:
    """Patient 4: two objects with an undefined-length sequence and item, an odd-length text
    (padded) and a UT element (a VR that ``-u`` rewrites), stored as pydicom writes them."""
    paths = []
    for im in (1, 2):
        ds = instance(4, 1, 1, im)
        item = PyDataset()
        item.ReferencedSOPClassUID = ds.SOPClassUID
        item.ReferencedSOPInstanceUID = f"{ROOT}.4.1.1.9"
        item.is_undefined_length_sequence_item = True
        ds.ReferencedImageSequence = Sequence([item])
        ds["ReferencedImageSequence"].is_undefined_length = True
        ds.ImageComments = "odd"
        ds.TextValue = "unlimited text"
        paths.append(write(ds, folder / f"extra{im}.dcm"))
    return paths


class Setup:
    """A Q/R SCP (AE ``QRSCP``) serving patients 1 and 4 (and, for dcmqrscp, the rest of the
    support study set), with the move destinations ``OURMOVE`` and ``DCMTKMOVE``."""

    def __init__(self, root: Path, source: str) -> None:
        self.source = source
        self.ours = free_port()
        self.dcmtk = free_port()
        hosts = {"OURMOVE": self.ours, "DCMTKMOVE": self.dcmtk}
        if source == "dcmqrscp":
            qr = QRSCP(root, hosts)
            self.port, self.cfg, self.files, self.folder = qr.port, qr.cfg, qr.files, root / "db"
        else:
            self.port, self.folder, self.files = free_port(), root / "archive", {}
            self.folder.mkdir()
            for key in SMALL[:8]:
                ds = instance(*key)
                self.files[ds.SOPInstanceUID] = write(ds, self.folder / f"{ds.SOPInstanceUID}.dcm")
        extra = _extra(self.folder)
        self.files.update({pydicom.dcmread(path).SOPInstanceUID: path for path in extra})
        if source == "dcmqrscp":
            subprocess.run(
                [require_program("dcmqridx"), str(self.folder), *map(str, extra)],
                check=True,
                env=dcmtk_env(),
                capture_output=True,
            )
        self.queries = []
        for n, pid in enumerate(("PID1", "PID4")):
            query = PyDataset()
            query.QueryRetrieveLevel = "PATIENT"
            query.PatientID = pid
            path = root / f"query{n}.dcm"
            query.save_as(path, implicit_vr=True, little_endian=True)
            self.queries.append(str(path))
        self.expected = {f"CT.{uid}" for uid in self.files if uid.split(".")[-4] in ("1", "4")}
        assert len(self.expected) == 10

    def command(self) -> list[str]:
        if self.source == "dcmqrscp":
            return ["dcmqrscp", "-c", str(self.cfg), str(self.port)]
        dests = [
            f"--dest=OURMOVE=127.0.0.1:{self.ours}",
            f"--dest=DCMTKMOVE=127.0.0.1:{self.dcmtk}",
        ]
        qrscp = [sys.executable, "-m", "dicomnet_cli.qrscp", "-aet", "QRSCP"]
        return [*qrscp, *dests, str(self.folder), str(self.port)]


@pytest.fixture(scope="module", params=["dcmqrscp", "qrscp"])
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    """dcmqrscp (fork mode), which re-encodes what it sends (explicit lengths), and our qrscp,
    which sends the stored bytes (the undefined-length sequence reaches the movescus)."""
    require_program("dcmqrscp")
    require_program("movescu")
    s = Setup(tmp_path_factory.mktemp("vs"), request.param)
    with running(s.command(), port=s.port, env=dcmtk_env()):
        yield s


def _both(s: Setup, tmp_path: Path, *mode: str) -> tuple[Path, Path]:
    """The same moves (two query files, one C-MOVE each) with our movescu and DCMTK's."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    peer = ["127.0.0.1", str(s.port), *s.queries]
    our_args = ["-aet", "OURMOVE", "+P", str(s.ours), "-od", str(ours), "-aec", "QRSCP", *mode]
    mine = subprocess.run(
        [sys.executable, "-m", "dicomnet_cli.movescu", *our_args, *peer],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert mine.returncode == 0, mine.stderr
    their_args = ["-aet", "DCMTKMOVE", "+P", str(s.dcmtk), "-od", str(theirs), "-aec", "QRSCP"]
    dcmtk = subprocess.run(
        ["movescu", *their_args, *mode, *peer],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=dcmtk_env(),
        cwd=theirs,  # DCMTK 3.6.7 +B writes here whatever -od says
    )
    assert dcmtk.returncode == 0, dcmtk.stderr
    assert set(os.listdir(ours)) == s.expected
    assert set(os.listdir(theirs)) == s.expected
    return ours, theirs


def _split(path: Path) -> tuple[bytes, bytes, bytes]:
    """A Part 10 file's preamble with prefix, meta header and data set bytes (PS3.10 7.1)."""
    data = path.read_bytes()
    assert data[128:132] == b"DICM"
    assert data[132:140] == b"\x02\x00\x00\x00UL\x04\x00"
    (length,) = struct.unpack_from("<I", data, 140)
    end = 144 + length
    return data[:132], data[132:end], data[end:]


def _meta(path: Path) -> dict[int, Any]:
    return {int(e.tag): e.value for e in pydicom.dcmread(path, stop_before_pixels=True).file_meta}


def test_bit_preserving_data_set_bytes_identical(setup: Setup, tmp_path: Path) -> None:
    ours, theirs = _both(setup, tmp_path, "+B")
    for name in setup.expected:
        our_preamble, _our_meta, our_data = _split(ours / name)
        their_preamble, _their_meta, their_data = _split(theirs / name)
        assert our_data == their_data, name
        if setup.source == "qrscp":  # our archive sends the stored bytes: they are what +B keeps
            uid = name.removeprefix("CT.")
            assert our_data == _split(setup.files[uid])[2], name
        assert our_preamble == their_preamble == bytes(128) + b"DICM"
        mine, dcmtk = _meta(ours / name), _meta(theirs / name)
        assert set(mine) == set(dcmtk), name
        assert {t: v for t, v in mine.items() if t not in IMPLEMENTATION} == {
            t: v for t, v in dcmtk.items() if t not in IMPLEMENTATION
        }
        assert mine[SOURCE_AE] == "QRSCP"
        assert dcmtk[0x00020012] == DCMTK_CLASS_UID
        assert mine[0x00020012] != DCMTK_CLASS_UID
        assert str(mine[0x00020013]).startswith("DICOMNET")


def test_default_mode_equal_element_by_element(setup: Setup, tmp_path: Path) -> None:
    ours, theirs = _both(setup, tmp_path)
    for name in setup.expected:
        mine, dcmtk = pydicom.dcmread(ours / name), pydicom.dcmread(theirs / name)
        assert [e.tag for e in mine] == [e.tag for e in dcmtk], name
        for elem in dcmtk:
            assert mine[elem.tag].VR == elem.VR, (name, elem.tag)
            assert mine[elem.tag].value == elem.value, (name, elem.tag)
        if setup.source == "dcmqrscp":  # explicit lengths on the wire: nothing to re-encode
            assert _split(ours / name)[2] == _split(theirs / name)[2], name
        meta_mine, meta_dcmtk = _meta(ours / name), _meta(theirs / name)
        # DCMTK's movescu writes a new meta header without Source Application Entity Title
        assert SOURCE_AE not in meta_dcmtk
        assert meta_mine.pop(SOURCE_AE) == "QRSCP"
        assert {t: v for t, v in meta_mine.items() if t not in IMPLEMENTATION} == {
            t: v for t, v in meta_dcmtk.items() if t not in IMPLEMENTATION
        }
    # and both equal the archive's originals (patient 4: a sequence, an odd-length text)
    for uid, path in setup.files.items():
        if f"CT.{uid}" in setup.expected:
            sent, got = pydicom.dcmread(path), pydicom.dcmread(ours / f"CT.{uid}")
            assert [e.tag for e in got] == [e.tag for e in sent], uid
            for elem in sent:
                assert got[elem.tag].value == elem.value, (uid, elem.tag)
