"""Fuzz target: a ULConnection requestor fed fuzzer bytes as the acceptor's answer (PS3.8 §9.2).

The connection first sends its A-ASSOCIATE-RQ and gets its transport connection (Sta5), then the
input is read as in ``fuzz_ul_acceptor.py``: steps ``[op][dt][len_hi][len_lo][len bytes]`` of
elapsed time, a received chunk and the local user's reaction (send P-DATA, request or answer a
release, abort). The invariants are the acceptor target's: only LocalProtocolError from local
sends, only valid PDUs queued, the table's A-ABORT for every invalid PDU, bounded memory.
``tests/fuzz/test_replay_ul.py`` replays ``fuzz/corpus/ul_requestor/``.

Run: ``.venv/bin/python fuzz/fuzz_ul_requestor.py fuzz/corpus/ul_requestor -max_total_time=60``
"""

from __future__ import annotations

import pathlib
import struct
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from fuzz_ul_acceptor import CONFIG, make_steps, run

from dicomnet.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    ImplementationClassUIDSubItem,
    MaximumLengthSubItem,
    PDataTF,
    PresentationContextACItem,
    PresentationContextRQItem,
    PresentationDataValue,
    UserInformationItem,
    encode_pdu,
)
from dicomnet.ul import Role, ULConnection

__all__ = ["REQUEST", "TestOneInput", "make_steps"]

REQUEST = AAssociateRQ(
    called_ae_title="ANY-SCP",
    calling_ae_title="FUZZ-SCU",
    presentation_contexts=(
        PresentationContextRQItem(
            context_id=1,
            abstract_syntax="1.2.840.10008.1.1",
            transfer_syntaxes=("1.2.840.10008.1.2",),
        ),
    ),
    user_information=UserInformationItem(
        (MaximumLengthSubItem(16384), ImplementationClassUIDSubItem("1.2.826.0.1.3680043.9.7.1"))
    ),
)


def TestOneInput(data: bytes) -> None:
    """One fuzz input, as the association-requestor waiting in Sta5."""
    conn = ULConnection(Role.REQUESTOR, CONFIG, now=0.0)
    conn.send(REQUEST, 0.0)  # Evt1: AE-1
    conn.transport_connected(0.0)  # Evt2: AE-2
    run(conn, data)


def seeds() -> dict[str, bytes]:
    """The seed corpus (``fuzz/corpus/ul_requestor/``), rebuilt by ``--write-seeds DIR``."""
    ac = encode_pdu(
        AAssociateAC(
            called_ae_title="ANY-SCP",
            calling_ae_title="FUZZ-SCU",
            presentation_contexts=(
                PresentationContextACItem(
                    context_id=1, result=0, transfer_syntax="1.2.840.10008.1.2"
                ),
            ),
            user_information=UserInformationItem((MaximumLengthSubItem(16384),)),
        )
    )
    echo_rsp = encode_pdu(PDataTF((PresentationDataValue(1, True, True, bytes(80)),)))
    rel_rq, rel_rp = encode_pdu(AReleaseRQ()), encode_pdu(AReleaseRP())
    return {
        "normal": make_steps([(8, 1, ac), (32, 1, echo_rsp), (0, 1, rel_rp)]),
        "ac_byte_by_byte": make_steps([(0, 0, ac[i : i + 1]) for i in range(len(ac))]),
        "reject": make_steps([(0, 1, encode_pdu(AAssociateRJ(2, 3, 1)))]),
        "peer_abort": make_steps([(0, 1, ac), (0, 1, encode_pdu(AAbort(0, 0)))]),
        "provider_abort_in_sta5": make_steps([(0, 1, encode_pdu(AAbort(2, 1)))]),
        "peer_releases": make_steps([(0, 1, ac), (0, 1, rel_rq)]),
        "release_collision": make_steps([(32, 1, ac), (0, 1, rel_rq), (0, 1, rel_rp)]),
        "garbage_in_sta5": make_steps([(0, 1, b"\x00" * 10)]),
        "garbage_in_sta6": make_steps([(0, 1, ac), (0, 1, b"\x07\x00\x00\x00\x00\x02\x00\x00")]),
        "claims_4gb": make_steps([(0, 1, struct.pack(">BBL", 2, 0, 0xFFFFFFFF))]),
        "abort_then_artim": make_steps([(192, 1, ac), (0, 40, b"\x05")]),
        "rq_in_sta6": make_steps([(0, 1, ac), (0, 1, encode_pdu(REQUEST))]),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write-seeds"]:
        for name, seed in seeds().items():
            (pathlib.Path(sys.argv[2]) / name).write_bytes(seed)
        raise SystemExit(0)
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
