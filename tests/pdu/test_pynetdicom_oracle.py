"""pynetdicom's PDU classes as an independent oracle (DESIGN §3.12), in both directions.

Our encoded PDUs decode with ``pynetdicom.pdu`` with equal field values; pynetdicom-encoded PDUs
(re-encoded from ours, and built from pynetdicom primitives) decode with ours.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.pdu import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    AsynchronousOperationsWindowSubItem,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    PDataTF,
    PresentationContextACItem,
    PresentationContextRQItem,
    PresentationDataValue,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
    UserInformationItem,
    decode_pdu,
    encode_pdu,
)

pdu_mod = pytest.importorskip("pynetdicom.pdu")
pdu_items = pytest.importorskip("pynetdicom.pdu_items")

SETTINGS = settings(max_examples=50, deadline=None)

uid = st.from_regex(r"1\.2(\.[1-9][0-9]{0,4}){1,6}", fullmatch=True)
ae = st.from_regex(r"[A-Z][A-Z0-9_]{0,15}", fullmatch=True)
u8 = st.integers(0, 255)
nonzero_bytes = st.binary(min_size=1, max_size=30)

rq_sub_items = st.one_of(
    st.builds(MaximumLengthSubItem, st.integers(0, 0xFFFFFFFF)),
    st.builds(ImplementationClassUIDSubItem, uid),
    st.builds(ImplementationVersionNameSubItem, ae),
    st.builds(AsynchronousOperationsWindowSubItem, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)),
    st.builds(
        SCPSCURoleSelectionSubItem,
        sop_class_uid=uid,
        scu_role=st.integers(0, 1),
        scp_role=st.integers(0, 1),
    ),
    st.builds(SOPClassExtendedNegotiationSubItem, uid, nonzero_bytes),
    st.builds(
        SOPClassCommonExtendedNegotiationSubItem,
        sop_class_uid=uid,
        service_class_uid=uid,
        related_general_sop_class_uids=st.lists(uid, max_size=3).map(tuple),
    ),
    st.builds(
        UserIdentityRQSubItem,
        user_identity_type=st.integers(1, 5),
        primary_field=nonzero_bytes,
        secondary_field=nonzero_bytes,
        positive_response_requested=st.integers(0, 1),
    ),
)
ac_sub_items = st.one_of(
    st.builds(MaximumLengthSubItem, st.integers(0, 0xFFFFFFFF)),
    st.builds(ImplementationClassUIDSubItem, uid),
    st.builds(ImplementationVersionNameSubItem, ae),
    st.builds(
        SCPSCURoleSelectionSubItem,
        sop_class_uid=uid,
        scu_role=st.integers(0, 1),
        scp_role=st.integers(0, 1),
    ),
    st.builds(UserIdentityACSubItem, nonzero_bytes),
)


def _user_info(subs: st.SearchStrategy[Any]) -> st.SearchStrategy[UserInformationItem]:
    head = st.tuples(
        st.builds(MaximumLengthSubItem, st.integers(0, 0xFFFFFFFF)),
        st.builds(ImplementationClassUIDSubItem, uid),
    )
    return st.builds(
        lambda h, rest: UserInformationItem((*h, *rest)), head, st.lists(subs, max_size=4)
    )


sane_rq = st.builds(
    AAssociateRQ,
    called_ae_title=ae,
    calling_ae_title=ae,
    presentation_contexts=st.lists(
        st.builds(
            PresentationContextRQItem,
            context_id=st.integers(0, 127).map(lambda n: 2 * n + 1),
            abstract_syntax=uid,
            transfer_syntaxes=st.lists(uid, min_size=1, max_size=3).map(tuple),
        ),
        min_size=1,
        max_size=4,
    ).map(tuple),
    user_information=_user_info(rq_sub_items),
)
sane_ac = st.builds(
    AAssociateAC,
    called_ae_title=ae,
    calling_ae_title=ae,
    presentation_contexts=st.lists(
        st.builds(
            PresentationContextACItem,
            context_id=st.integers(0, 127).map(lambda n: 2 * n + 1),
            result=st.integers(0, 4),
            transfer_syntax=uid,
        ),
        min_size=1,
        max_size=4,
    ).map(tuple),
    user_information=_user_info(ac_sub_items),
)
sane_pdata = st.builds(
    PDataTF,
    st.lists(
        st.builds(PresentationDataValue, u8, st.booleans(), st.booleans(), st.binary(max_size=50)),
        min_size=1,
        max_size=4,
    ).map(tuple),
)
sane_pdus = st.one_of(
    sane_rq,
    sane_ac,
    sane_pdata,
    st.builds(AAssociateRJ, st.integers(1, 2), st.integers(1, 3), st.integers(1, 2)),
    st.just(AReleaseRQ()),
    st.just(AReleaseRP()),
    st.builds(AAbort, st.sampled_from([0, 2]), st.integers(0, 6)),
)


def _theirs_sub(item: Any) -> tuple[Any, ...]:

    m = pdu_items
    if isinstance(item, m.MaximumLengthSubItem):
        return ("max", item.maximum_length_received)
    if isinstance(item, m.ImplementationClassUIDSubItem):
        return ("icuid", str(item.implementation_class_uid))
    if isinstance(item, m.ImplementationVersionNameSubItem):
        return ("ivn", str(item.implementation_version_name))
    if isinstance(item, m.AsynchronousOperationsWindowSubItem):
        return (
            "async",
            item.maximum_number_operations_invoked,
            item.maximum_number_operations_performed,
        )
    if isinstance(item, m.SCP_SCU_RoleSelectionSubItem):
        return ("role", str(item.sop_class_uid), int(item.scu_role), int(item.scp_role))
    if isinstance(item, m.SOPClassExtendedNegotiationSubItem):
        return ("ext", str(item.sop_class_uid), bytes(item.service_class_application_information))
    if isinstance(item, m.SOPClassCommonExtendedNegotiationSubItem):
        return (
            "common",
            str(item.sop_class_uid),
            str(item.service_class_uid),
            tuple(str(u) for u in item.related_general_sop_class_identification),
        )
    if isinstance(item, m.UserIdentitySubItemRQ):
        return (
            "uid-rq",
            item.user_identity_type,
            int(item.positive_response_requested),
            bytes(item.primary_field),
            bytes(item.secondary_field or b""),
        )
    if isinstance(item, m.UserIdentitySubItemAC):
        return ("uid-ac", bytes(item.server_response))
    raise AssertionError(type(item).__name__)


def _ours_sub(item: Any) -> tuple[Any, ...]:
    match item:
        case MaximumLengthSubItem():
            return ("max", item.maximum_length)
        case ImplementationClassUIDSubItem():
            return ("icuid", item.implementation_class_uid)
        case ImplementationVersionNameSubItem():
            return ("ivn", item.implementation_version_name)
        case AsynchronousOperationsWindowSubItem():
            return ("async", item.max_operations_invoked, item.max_operations_performed)
        case SCPSCURoleSelectionSubItem():
            return ("role", item.sop_class_uid, item.scu_role, item.scp_role)
        case SOPClassExtendedNegotiationSubItem():
            return ("ext", item.sop_class_uid, item.service_class_application_information)
        case SOPClassCommonExtendedNegotiationSubItem():
            return (
                "common",
                item.sop_class_uid,
                item.service_class_uid,
                item.related_general_sop_class_uids,
            )
        case UserIdentityRQSubItem():
            return (
                "uid-rq",
                item.user_identity_type,
                item.positive_response_requested,
                item.primary_field,
                item.secondary_field,
            )
        case UserIdentityACSubItem():
            return ("uid-ac", item.server_response)
    raise AssertionError(item)


def ours(pdu: PDU) -> tuple[Any, ...]:
    """A comparable summary of one of our PDUs."""
    match pdu:
        case AAssociateRQ():
            assert pdu.user_information is not None
            assert pdu.application_context is not None
            return (
                "rq",
                pdu.protocol_version,
                pdu.called_ae_title,
                pdu.calling_ae_title,
                pdu.application_context.name,
                tuple(
                    (p.context_id, p.abstract_syntax, p.transfer_syntaxes)
                    for p in pdu.presentation_contexts
                ),
                tuple(_ours_sub(s) for s in pdu.user_information.sub_items),
            )
        case AAssociateAC():
            assert pdu.user_information is not None
            assert pdu.application_context is not None
            return (
                "ac",
                pdu.protocol_version,
                pdu.called_ae_title,
                pdu.calling_ae_title,
                pdu.application_context.name,
                tuple(
                    (p.context_id, p.result, p.transfer_syntax) for p in pdu.presentation_contexts
                ),
                tuple(_ours_sub(s) for s in pdu.user_information.sub_items),
            )
        case AAssociateRJ():
            return ("rj", pdu.result, pdu.source, pdu.reason)
        case PDataTF():
            return (
                "pdata",
                tuple(
                    (p.context_id, bytes([p.message_control_header]) + bytes(p.data))
                    for p in pdu.pdvs
                ),
            )
        case AReleaseRQ():
            return ("release-rq",)
        case AReleaseRP():
            return ("release-rp",)
        case AAbort():
            return ("abort", pdu.source, pdu.reason)
    raise AssertionError(pdu)


def theirs(pdu: Any) -> tuple[Any, ...]:
    """The same summary of a pynetdicom PDU."""
    if isinstance(pdu, pdu_mod.A_ASSOCIATE_RQ | pdu_mod.A_ASSOCIATE_AC):
        is_rq = isinstance(pdu, pdu_mod.A_ASSOCIATE_RQ)
        called = pdu.called_ae_title if is_rq else pdu.reserved_aet
        calling = pdu.calling_ae_title if is_rq else pdu.reserved_aec
        pcs = tuple(
            (p.context_id, str(p.abstract_syntax), tuple(str(t) for t in p.transfer_syntax))
            if is_rq
            else (
                p.context_id,
                p.result,
                None if p.transfer_syntax is None else str(p.transfer_syntax),
            )
            for p in pdu.presentation_context
        )
        return (
            "rq" if is_rq else "ac",
            pdu.protocol_version,
            str(called).strip(),
            str(calling).strip(),
            str(pdu.application_context_name),
            pcs,
            tuple(_theirs_sub(s) for s in pdu.user_information.user_data),
        )
    if isinstance(pdu, pdu_mod.A_ASSOCIATE_RJ):
        return ("rj", pdu.result, pdu.source, pdu.reason_diagnostic)
    if isinstance(pdu, pdu_mod.P_DATA_TF):
        return (
            "pdata",
            tuple(
                (p.presentation_context_id, bytes(p.presentation_data_value))
                for p in pdu.presentation_data_value_items
            ),
        )
    if isinstance(pdu, pdu_mod.A_RELEASE_RQ):
        return ("release-rq",)
    if isinstance(pdu, pdu_mod.A_RELEASE_RP):
        return ("release-rp",)
    if isinstance(pdu, pdu_mod.A_ABORT_RQ):
        return ("abort", pdu.source, pdu.reason_diagnostic)
    raise AssertionError(pdu)


CLASSES = {
    1: "A_ASSOCIATE_RQ",
    2: "A_ASSOCIATE_AC",
    3: "A_ASSOCIATE_RJ",
    4: "P_DATA_TF",
    5: "A_RELEASE_RQ",
    6: "A_RELEASE_RP",
    7: "A_ABORT_RQ",
}


def pynetdicom_decode(wire: bytes) -> Any:
    their = getattr(pdu_mod, CLASSES[wire[0]])()
    their.decode(wire)
    return their


@SETTINGS
@given(sane_pdus)
def test_ours_decode_with_pynetdicom(pdu: PDU) -> None:
    wire = encode_pdu(pdu)
    their = pynetdicom_decode(wire)
    assert theirs(their) == ours(pdu)
    assert their.encode() == wire


@SETTINGS
@given(sane_pdus)
def test_pynetdicom_encoded_decode_with_ours(pdu: PDU) -> None:
    their = pynetdicom_decode(encode_pdu(pdu))
    decoded = decode_pdu(their.encode())
    assert ours(decoded) == theirs(their)


def test_pynetdicom_built_from_primitives() -> None:
    from pynetdicom.pdu_primitives import (
        A_ASSOCIATE,
        ImplementationClassUIDNotification,
        MaximumLengthNotification,
        SCP_SCU_RoleSelectionNegotiation,
        SOPClassCommonExtendedNegotiation,
        SOPClassExtendedNegotiation,
        UserIdentityNegotiation,
    )
    from pynetdicom.presentation import build_context

    primitive = A_ASSOCIATE()
    primitive.calling_ae_title = "FINDSCU"
    primitive.called_ae_title = "ANY-SCP"
    primitive.application_context_name = "1.2.840.10008.3.1.1.1"
    ctx = build_context("1.2.840.10008.5.1.4.1.2.1.1", ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"])
    ctx.context_id = 1
    primitive.presentation_context_definition_list = [ctx]
    max_len = MaximumLengthNotification()
    max_len.maximum_length_received = 32768
    impl = ImplementationClassUIDNotification()
    impl.implementation_class_uid = "1.2.826.0.1.3680043.9.3811.3.0.4"
    role = SCP_SCU_RoleSelectionNegotiation()
    role.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2"
    role.scu_role = False
    role.scp_role = True
    ext = SOPClassExtendedNegotiation()
    ext.sop_class_uid = "1.2.840.10008.5.1.4.1.2.1.1"
    ext.service_class_application_information = b"\x01\x01"
    common = SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = "1.2.840.10008.5.1.4.1.1.88.40"
    common.service_class_uid = "1.2.840.10008.4.2"
    common.related_general_sop_class_identification = ["1.2.840.10008.5.1.4.1.1.88.22"]
    identity = UserIdentityNegotiation()
    identity.user_identity_type = 2
    identity.positive_response_requested = True
    identity.primary_field = b"alice"
    identity.secondary_field = b"secret"
    primitive.user_information = [max_len, impl, role, ext, common, identity]
    their = pdu_mod.A_ASSOCIATE_RQ()
    their.from_primitive(primitive)
    wire = their.encode()

    rq = decode_pdu(wire)
    assert isinstance(rq, AAssociateRQ)
    assert ours(rq) == theirs(their)
    assert rq.max_length == 32768
    assert rq.role_selections == (
        SCPSCURoleSelectionSubItem(
            sop_class_uid="1.2.840.10008.5.1.4.1.1.2", scu_role=0, scp_role=1
        ),
    )
    assert rq.user_identity == UserIdentityRQSubItem(
        user_identity_type=2,
        primary_field=b"alice",
        secondary_field=b"secret",
        positive_response_requested=1,
    )
    assert rq.sop_class_common_extended_negotiations[0].related_general_sop_class_uids == (
        "1.2.840.10008.5.1.4.1.1.88.22",
    )
    assert encode_pdu(rq) == wire
