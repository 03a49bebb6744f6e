"""RequestorConfig and build_associate_rq (PS3.8 §9.3.2, PS3.7 Annex D.3.3)."""

from __future__ import annotations

import uuid

import pytest

import dicomnet
from dicomnet.acse import (
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    AsynchronousOperationsWindow,
    NegotiationConfigError,
    ProposedContext,
    RequestorConfig,
    RoleSelection,
    UserIdentity,
    UserIdentityType,
    build_associate_rq,
)
from dicomnet.errors import LocalProtocolError
from dicomnet.pdu import (
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    decode_pdu,
    encode_pdu,
)
from dicomnet.uid import is_valid_uid

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
IVLE, EVLE, EVBE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"


def config(**kw: object) -> RequestorConfig:
    fields: dict[str, object] = {
        "calling_ae_title": "SCU",
        "called_ae_title": "ANY-SCP",
        "presentation_contexts": [ProposedContext(VERIFICATION, [IVLE])],
    }
    fields.update(kw)
    return RequestorConfig(**fields)  # type: ignore[arg-type]


def test_defaults_identify_dicomnet() -> None:
    derived = uuid.uuid5(uuid.NAMESPACE_URL, "dicomnet:implementation-class-uid").int
    assert f"2.25.{derived}" == IMPLEMENTATION_CLASS_UID
    assert is_valid_uid(IMPLEMENTATION_CLASS_UID)
    assert f"DICOMNET_{dicomnet.__version__}" == IMPLEMENTATION_VERSION_NAME
    assert len(IMPLEMENTATION_VERSION_NAME) <= 16


def test_minimal_rq_fields_and_sub_item_order() -> None:
    rq = build_associate_rq(config())
    assert rq.called_ae_title == "ANY-SCP"
    assert rq.calling_ae_title == "SCU"
    assert rq.application_context is not None
    assert rq.application_context.name == "1.2.840.10008.3.1.1.1"
    assert rq.max_length == 16384
    assert rq.implementation_class_uid == IMPLEMENTATION_CLASS_UID
    assert rq.implementation_version_name == IMPLEMENTATION_VERSION_NAME
    assert rq.asynchronous_operations_window is None
    assert rq.user_identity is None
    (pc,) = rq.presentation_contexts
    assert (pc.context_id, pc.abstract_syntax, pc.transfer_syntaxes) == (1, VERIFICATION, (IVLE,))
    assert decode_pdu(encode_pdu(rq)) == rq


def test_full_rq_round_trips_with_every_sub_item_in_annex_d_order() -> None:
    cfg = config(
        presentation_contexts=[
            ProposedContext(VERIFICATION, [EVLE, IVLE]),
            *ProposedContext.per_transfer_syntax(CT, [EVLE, IVLE, EVBE]),
        ],
        role_selections=[RoleSelection(CT, True, True)],
        max_pdu_length=0,
        asynchronous_operations_window=AsynchronousOperationsWindow(0, 5),
        user_identity=UserIdentity.jwt(b"eyJ.x.y", positive_response_requested=True),
        sop_class_extended_negotiations=[SOPClassExtendedNegotiationSubItem(CT, b"\x01\x00")],
        sop_class_common_extended_negotiations=[
            SOPClassCommonExtendedNegotiationSubItem(
                sop_class_uid=CT,
                service_class_uid="1.2.840.10008.4.2",
                related_general_sop_class_uids=("1.2.840.10008.5.1.4.1.1.2.1",),
            )
        ],
    )
    rq = build_associate_rq(cfg)
    assert [pc.context_id for pc in rq.presentation_contexts] == [1, 3, 5, 7]
    assert [pc.transfer_syntaxes for pc in rq.presentation_contexts[1:]] == [
        (EVLE,),
        (IVLE,),
        (EVBE,),
    ]
    assert rq.user_information is not None
    types = [type(s).__name__ for s in rq.user_information.sub_items]
    assert types == [
        "MaximumLengthSubItem",
        "ImplementationClassUIDSubItem",
        "AsynchronousOperationsWindowSubItem",
        "SCPSCURoleSelectionSubItem",
        "ImplementationVersionNameSubItem",
        "SOPClassExtendedNegotiationSubItem",
        "SOPClassCommonExtendedNegotiationSubItem",
        "UserIdentityRQSubItem",
    ]
    assert rq.max_length == 0
    assert decode_pdu(encode_pdu(rq)) == rq


def test_explicit_context_ids_are_kept_and_the_rest_fill_free_odd_ids() -> None:
    cfg = config(
        presentation_contexts=[
            ProposedContext(VERIFICATION, [IVLE]),
            ProposedContext(CT, [IVLE], context_id=1),
            ProposedContext(CT, [EVLE], context_id=5),
            ProposedContext(CT, [EVBE]),
        ]
    )
    assert [pc.context_id for pc in build_associate_rq(cfg).presentation_contexts] == [3, 1, 5, 7]


def test_128_contexts_fit_and_129_name_the_count() -> None:
    many = [ProposedContext(VERIFICATION, [IVLE])] * 128
    rq = build_associate_rq(config(presentation_contexts=many))
    assert rq.presentation_contexts[-1].context_id == 255
    with pytest.raises(NegotiationConfigError, match="129 presentation contexts") as info:
        build_associate_rq(config(presentation_contexts=[*many, many[0]]))
    assert isinstance(info.value, LocalProtocolError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"presentation_contexts": []}, "at least one"),
        ({"presentation_contexts": [ProposedContext(CT, [IVLE], context_id=2)]}, "not odd"),
        ({"presentation_contexts": [ProposedContext(CT, [IVLE], context_id=257)]}, "not odd"),
        (
            {
                "presentation_contexts": [
                    ProposedContext(CT, [IVLE], context_id=3),
                    ProposedContext(CT, [EVLE], context_id=3),
                ]
            },
            "used twice",
        ),
        ({"presentation_contexts": [ProposedContext(CT, [])]}, "no transfer syntax"),
        ({"presentation_contexts": [ProposedContext("1.2.03", [IVLE])]}, "abstract syntax"),
        ({"presentation_contexts": [ProposedContext(CT, ["x"])]}, "transfer syntax"),
        ({"calling_ae_title": ""}, "calling AE title"),
        ({"calling_ae_title": "    "}, "calling AE title"),
        ({"called_ae_title": "A" * 17}, "called AE title"),
        ({"called_ae_title": "BAD\\AE"}, "called AE title"),
        ({"called_ae_title": "CAFÉ"}, "called AE title"),
        ({"max_pdu_length": -1}, "32-bit"),
        ({"max_pdu_length": 1 << 32}, "32-bit"),
        ({"implementation_class_uid": "1.2.3."}, "implementation class UID"),
        ({"implementation_version_name": "X" * 17}, "version name"),
        ({"implementation_version_name": ""}, "version name"),
        ({"asynchronous_operations_window": AsynchronousOperationsWindow(70000, 1)}, "65535"),
        (
            {"role_selections": [RoleSelection(CT, True, False), RoleSelection(CT, True, True)]},
            "two role selections",
        ),
        ({"role_selections": [RoleSelection("nope", True, False)]}, "role selection"),
        ({"application_context": "1..2"}, "application context"),
    ],
)
def test_invalid_configurations_raise(kw: dict[str, object], match: str) -> None:
    with pytest.raises(NegotiationConfigError, match=match):
        build_associate_rq(config(**kw))


def test_version_name_can_be_left_out() -> None:
    rq = build_associate_rq(config(implementation_version_name=None))
    assert rq.implementation_version_name is None


@pytest.mark.parametrize(
    ("identity", "kind", "primary", "secondary"),
    [
        (UserIdentity.username("bob"), 1, b"bob", b""),
        (UserIdentity.username_and_passcode("bob", "s3cret"), 2, b"bob", b"s3cret"),
        (UserIdentity.kerberos(b"\x01ticket"), 3, b"\x01ticket", b""),
        (UserIdentity.saml(b"<saml/>"), 4, b"<saml/>", b""),
        (UserIdentity.jwt(b"a.b.c", positive_response_requested=True), 5, b"a.b.c", b""),
    ],
)
def test_every_user_identity_type_is_sent(
    identity: UserIdentity, kind: int, primary: bytes, secondary: bytes
) -> None:
    rq = decode_pdu(encode_pdu(build_associate_rq(config(user_identity=identity))))
    item = rq.user_identity  # type: ignore[union-attr]
    assert item is not None
    assert (item.user_identity_type, item.primary_field, item.secondary_field) == (
        kind,
        primary,
        secondary,
    )
    assert item.positive_response_requested == int(identity.positive_response_requested)
    assert UserIdentity.from_sub_item(item) == identity  # type: ignore[arg-type]


def test_user_identity_rules() -> None:
    with pytest.raises(NegotiationConfigError, match="passcode"):
        UserIdentity(identity_type=UserIdentityType.USERNAME_AND_PASSCODE, primary_field=b"bob")
    with pytest.raises(NegotiationConfigError, match="only sent for type 2"):
        UserIdentity(identity_type=1, primary_field=b"bob", secondary_field=b"pw")
    with pytest.raises(NegotiationConfigError, match="empty"):
        UserIdentity.username("")
    with pytest.raises(ValueError):
        UserIdentity(identity_type=6, primary_field=b"x")
    assert UserIdentity.username("jörg").primary_field == "jörg".encode()


def test_registered_uids_are_valid_by_an_independent_check() -> None:
    # is_valid_uid answers registered UIDs from the registry without its regex: the registry
    # itself must then be valid UIDs (PS3.5 §9.1), checked here by pydicom, not by dicomnet.
    import pydicom.uid

    from dicomnet import _uid_data

    bad = [u for u in _uid_data.UIDS if not pydicom.uid.UID(u).is_valid]
    assert bad == []
    assert all(is_valid_uid(u) for u in _uid_data.UIDS)


def test_an_invalid_transfer_syntax_is_refused_in_any_supported_context() -> None:
    from dicomnet.acse import AcceptorConfig, SupportedContext

    ts = ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")
    good = [SupportedContext(f"1.2.3.{n}", ts) for n in range(1, 4)]
    AcceptorConfig(supported_contexts=good)  # the shared transfer syntaxes are checked once
    for bad_uid in ("1.2.03", "1..2", "1.2.3 "):
        bad = SupportedContext("1.2.3.9", (*ts, bad_uid))
        with pytest.raises(NegotiationConfigError, match="not a valid UID"):
            AcceptorConfig(supported_contexts=[*good, bad])
