"""P-DATA-TF encode/decode throughput: dicomnet against pynetdicom's ``P_DATA_TF``, in one run.

For PDU-lengths of 16 KiB and 128 KiB (one PDV filling the PDU, as a DIMSE fragmenter sends),
prints MB/s for each side and the ratio. dicomnet decodes with ``decode_pdu`` (memoryview slices)
and encodes with ``encode_pdu`` (one joined ``bytes``) and ``encode_pdata_parts`` (zero copy).
"receive" feeds 64 PDUs through ``PDUFramer`` in 64 KiB chunks, against pynetdicom's
``dul._read_pdu_data`` byte handling (recv(6), recv(length) into a bytearray, decode), no socket.

Run: ``.venv/bin/python benchmarks/bench_pdata.py`` (target: dicomnet >= 10x pynetdicom).
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from functools import partial
from typing import cast

from pynetdicom.pdu import P_DATA_TF
from pynetdicom.pdu_items import PresentationDataValueItem

from dicomnet.pdu import (
    PDataTF,
    PDUFramer,
    PresentationDataValue,
    decode_pdu,
    encode_pdata_parts,
    encode_pdu,
)


def best_seconds(fn: Callable[[], object], number: int) -> float:
    """Best per-call time over 5 repeats."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def their_pdu(data: bytes) -> P_DATA_TF:
    pdu = P_DATA_TF()
    item = PresentationDataValueItem()
    item.presentation_context_id = 1
    item.presentation_data_value = b"\x02" + data  # control header: dataset, last fragment
    pdu.presentation_data_value_items.append(item)
    return pdu


def their_decode(wire: bytes) -> P_DATA_TF:
    pdu = P_DATA_TF()
    pdu.decode(wire)
    return pdu


def our_receive(stream: bytes, recv_size: int) -> int:
    """Feed a stream as ``recv`` would return it; count the decoded PDUs."""
    framer = PDUFramer(0)
    count = 0
    for i in range(0, len(stream), recv_size):
        framer.feed(stream[i : i + recv_size])
        while framer.next_pdu() is not None:
            count += 1
    return count


def their_receive(stream: bytes, pdu_size: int) -> int:
    """pynetdicom's ``dul._read_pdu_data`` byte handling, sockets aside: recv(6), recv(length)."""
    count = 0
    for off in range(0, len(stream), pdu_size):
        bytestream = bytearray()
        bytestream.extend(stream[off : off + 6])  # socket.recv(6)
        bytestream += stream[off + 6 : off + pdu_size]  # socket.recv(pdu_length)
        P_DATA_TF().decode(cast(bytes, bytestream))  # pynetdicom passes its bytearray
        count += 1
    return count


def main() -> None:
    print(f"{'case':<26}{'dicomnet MB/s':>15}{'pynetdicom MB/s':>17}{'ratio':>9}")
    for pdu_length in (16 * 1024, 128 * 1024):
        data = bytes(range(256)) * ((pdu_length - 6) // 256) + bytes((pdu_length - 6) % 256)
        ours = PDataTF((PresentationDataValue(1, False, True, data),))
        wire = encode_pdu(ours)
        theirs = their_pdu(data)
        assert theirs.encode() == wire
        value = their_decode(wire).presentation_data_value_items[0].presentation_data_value
        assert value is not None
        assert bytes(value[1:]) == data
        decoded = decode_pdu(wire)
        assert isinstance(decoded, PDataTF)
        assert decoded.pdvs[0].data == data
        number = 20000 if pdu_length < 65536 else 4000
        size_mb = len(wire) / 1e6
        kib = pdu_length // 1024
        cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            (f"decode {kib} KiB", partial(decode_pdu, wire), partial(their_decode, wire)),
            (f"encode {kib} KiB (bytes)", partial(encode_pdu, ours), theirs.encode),
            (f"encode {kib} KiB (parts)", partial(encode_pdata_parts, ours), theirs.encode),
        ]
        stream = wire * 64
        assert our_receive(stream, 65536) == their_receive(stream, len(wire)) == 64
        cases.append(
            (
                f"receive {kib} KiB x64",
                partial(our_receive, stream, 65536),
                partial(their_receive, stream, len(wire)),
            )
        )
        for name, mine, other in cases:
            per_call = len(stream) / 1e6 if name.startswith("receive") else size_mb
            if name.startswith("receive"):
                t_ours = best_seconds(mine, max(number // 64, 20))
                t_theirs = best_seconds(other, max(number // 640, 10))
                print(
                    f"{name:<26}{per_call / t_ours:>15,.0f}{per_call / t_theirs:>17,.0f}"
                    f"{t_theirs / t_ours:>8.1f}x"
                )
                continue
            t_ours = best_seconds(mine, number)
            t_theirs = best_seconds(other, max(number // 10, 200))
            print(
                f"{name:<26}{size_mb / t_ours:>15,.0f}{size_mb / t_theirs:>17,.0f}"
                f"{t_theirs / t_ours:>8.1f}x"
            )


if __name__ == "__main__":
    main()
