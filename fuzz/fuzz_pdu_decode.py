"""Fuzz target: PDUFramer + decode_pdu on arbitrary bytes (PS3.8 §9.3).

Invariant: any bytes either parse or raise ``PDUDecodeError``, the same whether fed whole, byte by
byte or in fuzzer-chosen chunks; whatever parses re-encodes to bytes that decode to an equal PDU.
``import atheris`` happens only when run as a script, so pytest can import :func:`TestOneInput`
(``tests/fuzz/test_replay_pdu.py`` replays ``fuzz/corpus/pdu/``).

Run on a copy of the corpus (libFuzzer adds new inputs to the first directory)::

    cp -r fuzz/corpus/pdu /tmp/pdu-corpus
    .venv/bin/python fuzz/fuzz_pdu_decode.py /tmp/pdu-corpus -max_len=4096 -max_total_time=60
"""

from __future__ import annotations

import sys

from dicomnet.errors import PDUDecodeError
from dicomnet.pdu import PDU, PDUFramer, decode_pdu, encode_pdu


def _frame(data: bytes, step: int, max_pdata_length: int) -> list[PDU | str]:
    framer = PDUFramer(max_pdata_length, max_other_length=1 << 16)
    out: list[PDU | str] = []
    try:
        for i in range(0, len(data), step):
            framer.feed(data[i : i + step])
            while (pdu := framer.next_pdu()) is not None:
                out.append(pdu)
    except PDUDecodeError:
        out.append("error")
    return out


def _check_round_trip(pdu: PDU) -> None:
    again = decode_pdu(encode_pdu(pdu))
    if again != pdu:
        raise AssertionError(f"round trip changed the PDU: {pdu!r} -> {again!r}")


def TestOneInput(data: bytes) -> None:
    """One fuzz input: the whole input is the stream; its length picks a chunk size (1-17)."""
    step = len(data) % 17 + 1
    stream = data
    try:
        pdu: PDU | None = decode_pdu(stream)
    except PDUDecodeError:
        pdu = None
    if pdu is not None:
        _check_round_trip(pdu)
    whole = _frame(stream, len(stream) or 1, 0)
    for result in whole:
        if not isinstance(result, str):
            _check_round_trip(result)
    if _frame(stream, step, 0) != whole:
        raise AssertionError("framing depends on chunking")
    if len(stream) <= 1024 and _frame(stream, 1, 0) != whole:  # byte by byte: small inputs only
        raise AssertionError("framing byte by byte differs")
    _frame(stream, step, 16384)  # a negotiated limit: must also only raise PDUDecodeError


def main() -> None:
    import atheris  # type: ignore[import-untyped]

    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
