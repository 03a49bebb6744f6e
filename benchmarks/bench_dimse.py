"""DIMSE hot paths, dicomnet against pynetdicom: command set encode/decode, 1 MiB fragmenting.

Run: ``.venv/bin/python benchmarks/bench_dimse.py``. Prints microseconds per call (best of 5,
process CPU time, which other work on a shared machine disturbs less than wall time) and the
ratio pynetdicom / dicomnet (above 1 means dicomnet is faster). Also times the general data set
reader on the same command bytes, the alternative to the dedicated decoder.
"""

from __future__ import annotations

import io
import time
import timeit
from collections.abc import Callable

from pynetdicom.dimse_messages import C_MOVE_RSP, C_STORE_RQ, C_STORE_RSP, DIMSEMessage
from pynetdicom.dimse_primitives import C_MOVE, C_STORE
from pynetdicom.dsutils import decode, encode
from pynetdicom.pdu import P_DATA_TF
from pynetdicom.pdu_primitives import P_DATA

from dicomnet.dataset import read_dataset
from dicomnet.dimse import (
    CMoveRSP,
    CStoreRQ,
    CStoreRSP,
    MessageAssembler,
    decode_command,
    encode_command,
    fragment_message,
)
from dicomnet.dimse.commands import _encode_general
from dicomnet.pdu.pdata import PresentationDataValue, encode_pdata_parts

MESSAGE = CStoreRQ(
    message_id=1,
    affected_sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
    affected_sop_instance_uid="1.2.826.0.1.3680043.8.498.12345678901234567890",
    move_originator_application_entity_title="MOVESCU",
    move_originator_message_id=7,
)
COMMAND = encode_command(MESSAGE)
RESPONSE = CStoreRSP(
    message_id_being_responded_to=1,
    status=0,
    affected_sop_class_uid=MESSAGE.affected_sop_class_uid,
    affected_sop_instance_uid=MESSAGE.affected_sop_instance_uid,
)
PENDING = CMoveRSP(
    message_id_being_responded_to=1,
    status=0xFF00,
    affected_sop_class_uid="1.2.840.10008.5.1.4.1.2.2.2",
    number_of_remaining_sub_operations=400,
    number_of_completed_sub_operations=99,
    number_of_failed_sub_operations=0,
    number_of_warning_sub_operations=0,
)
DATASET = bytes(range(256)) * 4096  # 1 MiB
MAX_PDU = 16384


def best(fn: Callable[[], object], number: int) -> float:
    """Best of 5 repeats, in microseconds of this process's CPU time per call."""
    return min(timeit.repeat(fn, number=number, repeat=5, timer=time.process_time)) / number * 1e6


def pynetdicom_primitive() -> C_STORE:
    primitive = C_STORE()
    primitive.MessageID = MESSAGE.message_id
    primitive.AffectedSOPClassUID = MESSAGE.affected_sop_class_uid
    primitive.AffectedSOPInstanceUID = MESSAGE.affected_sop_instance_uid
    primitive.Priority = 0
    primitive.MoveOriginatorApplicationEntityTitle = "MOVESCU"
    primitive.MoveOriginatorMessageID = 7
    primitive.DataSet = io.BytesIO(DATASET)
    return primitive


def pynetdicom_encode() -> bytes:
    msg = C_STORE_RQ()
    msg.primitive_to_message(pynetdicom_primitive())
    data = encode(msg.command_set, True, True)
    assert data is not None
    return data


def pynetdicom_encode_rsp() -> bytes:
    primitive = C_STORE()
    primitive.MessageIDBeingRespondedTo = 1
    primitive.AffectedSOPClassUID = RESPONSE.affected_sop_class_uid
    primitive.AffectedSOPInstanceUID = RESPONSE.affected_sop_instance_uid
    primitive.Status = 0
    msg = C_STORE_RSP()
    msg.primitive_to_message(primitive)
    data = encode(msg.command_set, True, True)
    assert data is not None
    return data


def pynetdicom_encode_pending() -> bytes:
    primitive = C_MOVE()
    primitive.MessageIDBeingRespondedTo = PENDING.message_id_being_responded_to
    primitive.AffectedSOPClassUID = PENDING.affected_sop_class_uid
    primitive.Status = PENDING.status
    primitive.NumberOfRemainingSuboperations = PENDING.number_of_remaining_sub_operations
    primitive.NumberOfCompletedSuboperations = PENDING.number_of_completed_sub_operations
    primitive.NumberOfFailedSuboperations = PENDING.number_of_failed_sub_operations
    primitive.NumberOfWarningSuboperations = PENDING.number_of_warning_sub_operations
    msg = C_MOVE_RSP()
    msg.primitive_to_message(primitive)
    data = encode(msg.command_set, True, True)
    assert data is not None
    return data


def pynetdicom_decode_msg() -> object:
    p_data = P_DATA()
    p_data.presentation_data_value_list = [[1, b"\x03" + COMMAND]]  # type: ignore[list-item]
    msg = DIMSEMessage()
    msg.decode_msg(p_data)
    return msg.message_to_primitive()


def ours_assemble() -> object:
    return MessageAssembler().receive(PresentationDataValue(1, True, True, COMMAND))


def pynetdicom_fragment() -> int:
    msg = C_STORE_RQ()
    msg.primitive_to_message(pynetdicom_primitive())
    total = 0
    for primitive in msg.encode_msg(1, MAX_PDU):
        pdu = P_DATA_TF()
        pdu.from_primitive(primitive)
        total += len(pdu.encode())
    return total


def ours_fragment() -> int:
    total = 0
    for pdu in fragment_message(1, MESSAGE, DATASET, max_pdu_length=MAX_PDU):
        for part in encode_pdata_parts(pdu):
            total += len(part)
    return total


def main() -> None:
    assert pynetdicom_encode() == COMMAND
    assert pynetdicom_encode_rsp() == encode_command(RESPONSE)
    assert pynetdicom_encode_pending() == encode_command(PENDING) == _encode_general(PENDING)
    assert ours_fragment() == pynetdicom_fragment()
    rows = [
        (
            "command set encode (C-STORE-RQ, from its templates)",
            best(lambda: encode_command(MESSAGE), 20000),
            best(pynetdicom_encode, 1000),
        ),
        (
            "command set encode (C-STORE-RQ, general encoder)",
            best(lambda: _encode_general(MESSAGE), 20000),
            best(pynetdicom_encode, 1000),
        ),
        (
            "command set encode (Pending C-MOVE-RSP, from its template)",
            best(lambda: encode_command(PENDING), 20000),
            best(pynetdicom_encode_pending, 1000),
        ),
        (
            "command set encode (Pending C-MOVE-RSP, general encoder)",
            best(lambda: _encode_general(PENDING), 20000),
            best(pynetdicom_encode_pending, 1000),
        ),
        (
            "command set encode (C-STORE-RSP, from its template)",
            best(lambda: encode_command(RESPONSE), 20000),
            best(pynetdicom_encode_rsp, 1000),
        ),
        (
            "command set decode (bytes -> message)",
            best(lambda: decode_command(COMMAND), 20000),
            best(lambda: decode(io.BytesIO(COMMAND), True, True), 1000),
        ),
        (
            "command PDV -> message (assembler / decode_msg)",
            best(ours_assemble, 20000),
            best(pynetdicom_decode_msg, 1000),
        ),
        (
            f"fragment 1 MiB to PDU bytes, max PDU {MAX_PDU}",
            best(ours_fragment, 20),
            best(pynetdicom_fragment, 5),
        ),
    ]
    print(f"{'operation':60} {'dicomnet us':>12} {'pynetdicom us':>14} {'ratio':>8}")
    for name, ours, theirs in rows:
        print(f"{name:60} {ours:12.2f} {theirs:14.2f} {theirs / ours:7.1f}x")
    walk = best(lambda: read_dataset(COMMAND, implicit_vr=True, little_endian=True), 5000)
    ours = rows[2][1]
    print(
        f"\ngeneral data set reader on the same bytes (no message built): {walk:.2f} us "
        f"= {walk / ours:.1f}x the dedicated decoder"
    )


if __name__ == "__main__":
    main()
