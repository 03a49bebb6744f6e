"""Hypothesis strategies for sane negotiation inputs: requestor and acceptor configurations."""

from __future__ import annotations

from hypothesis import strategies as st

from dicomnet.acse import (
    AcceptorConfig,
    AsynchronousOperationsWindow,
    ProposedContext,
    RequestorConfig,
    RoleSelection,
    SupportedContext,
    UserIdentity,
)

#: A small pool so that proposals and support overlap often.
ABSTRACT_SYNTAXES = (
    "1.2.840.10008.1.1",
    "1.2.840.10008.5.1.4.1.1.2",
    "1.2.840.10008.5.1.4.1.1.4",
    "1.2.840.10008.5.1.4.1.1.7",
    "1.2.840.10008.5.1.4.1.2.2.3",
    "1.2.840.10008.5.1.4.1.1.88.11",
)
TRANSFER_SYNTAXES = (
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.5",
)

abstract_syntaxes = st.sampled_from(ABSTRACT_SYNTAXES)
ts_lists = st.lists(st.sampled_from(TRANSFER_SYNTAXES), min_size=1, max_size=5, unique=True)
roles = st.tuples(st.booleans(), st.booleans())
windows = st.builds(AsynchronousOperationsWindow, st.integers(0, 20), st.integers(0, 20))
ae_titles = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"), min_size=1, max_size=16
)

proposed_contexts = st.lists(
    st.builds(ProposedContext, abstract_syntaxes, ts_lists), min_size=1, max_size=24
)
identities = st.one_of(
    st.none(),
    st.builds(
        UserIdentity.username,
        st.text(min_size=1, max_size=8),
        positive_response_requested=st.booleans(),
    ),
    st.builds(
        UserIdentity.username_and_passcode,
        st.text(min_size=1, max_size=8),
        st.text(min_size=1, max_size=8),
        positive_response_requested=st.booleans(),
    ),
    st.builds(
        UserIdentity.kerberos,
        st.binary(min_size=1, max_size=32),
        positive_response_requested=st.booleans(),
    ),
    st.builds(
        UserIdentity.saml,
        st.binary(min_size=1, max_size=32),
        positive_response_requested=st.booleans(),
    ),
    st.builds(
        UserIdentity.jwt,
        st.binary(min_size=1, max_size=32),
        positive_response_requested=st.booleans(),
    ),
)


@st.composite
def requestor_configs(draw: st.DrawFn) -> RequestorConfig:
    role_uids = draw(st.lists(abstract_syntaxes, unique=True, max_size=4))
    return RequestorConfig(
        calling_ae_title=draw(ae_titles),
        called_ae_title=draw(ae_titles),
        presentation_contexts=draw(proposed_contexts),
        role_selections=[RoleSelection(uid, *draw(roles)) for uid in role_uids],
        max_pdu_length=draw(st.sampled_from([0, 4096, 16384, 1 << 20])),
        asynchronous_operations_window=draw(st.none() | windows),
        user_identity=draw(identities),
    )


@st.composite
def supported_contexts(draw: st.DrawFn) -> list[SupportedContext]:
    uids = draw(st.lists(abstract_syntaxes, unique=True, max_size=len(ABSTRACT_SYNTAXES)))
    out = []
    for uid in uids:
        pair = draw(st.none() | roles)
        scu, scp = pair if pair is not None else (None, None)
        tss = draw(st.lists(st.sampled_from(TRANSFER_SYNTAXES), max_size=5, unique=True))
        out.append(SupportedContext(uid, tss, scu_role=scu, scp_role=scp))
    return out


@st.composite
def acceptor_configs(draw: st.DrawFn) -> AcceptorConfig:
    return AcceptorConfig(
        supported_contexts=draw(supported_contexts()),
        prefer=draw(st.sampled_from(["acceptor", "requestor"])),
        max_pdu_length=draw(st.sampled_from([0, 16384, 65536])),
        asynchronous_operations_window=draw(st.none() | windows),
    )
