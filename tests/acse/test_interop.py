"""Negotiation against software nobody here wrote: DCMTK and pynetdicom over 127.0.0.1.

Our config-built RQ goes to DCMTK ``storescp`` (with its ``+x`` preference options) and to a
pynetdicom acceptor (role selection, user identity); their ACs are judged by
``negotiate_as_requestor(strict=True)``. DCMTK's captured RQs (fuzz corpus) are judged by our
acceptor, and ``echoscu`` reports our A-ASSOCIATE-RJ reasons as it understands them.
"""

from __future__ import annotations

import pathlib
import socket
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from dicomnet.acse import (
    Accept,
    AcceptorConfig,
    NegotiatedAssociation,
    ProposedContext,
    Reject,
    RequestorConfig,
    RoleSelection,
    SupportedContext,
    UserIdentity,
    UserIdentityType,
    build_associate_rq,
    negotiate_as_acceptor,
    negotiate_as_requestor,
)
from dicomnet.pdu import (
    PDU,
    AAssociateAC,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDUFramer,
    decode_pdu,
    encode_pdu,
)
from tests.peers import dcmtk_env, free_port, require_program, running

pytestmark = pytest.mark.peer

CORPUS = pathlib.Path(__file__).resolve().parents[2] / "fuzz" / "corpus" / "pdu"
VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
IVLE, EVLE, EVBE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"


def _read_pdu(sock: socket.socket) -> PDU:
    framer = PDUFramer(0)
    while (pdu := framer.next_pdu()) is None:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("peer closed before a whole PDU arrived")
        framer.feed(chunk)
    return pdu


def associate(port: int, rq: AAssociateRQ) -> PDU:
    """Send ``rq``; return the answer; release the association when accepted."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(encode_pdu(rq))
        answer = _read_pdu(sock)
        if isinstance(answer, AAssociateAC):
            sock.sendall(encode_pdu(AReleaseRQ()))
            assert isinstance(_read_pdu(sock), AReleaseRP)
        return answer


def _config(*contexts: ProposedContext, **kw: Any) -> RequestorConfig:
    return RequestorConfig(
        calling_ae_title="DICOMNET",
        called_ae_title="PEER",
        presentation_contexts=contexts,
        **kw,
    )


@pytest.fixture(scope="module")
def storescp_prefer_little() -> Iterator[int]:
    storescp = require_program("storescp")
    port = free_port()
    with running([storescp, "+xe", "--ignore", str(port)], port=port, env=dcmtk_env()):
        yield port


def _negotiate_with(port: int, config: RequestorConfig) -> NegotiatedAssociation:
    rq = build_associate_rq(config)
    ac = associate(port, rq)
    assert isinstance(ac, AAssociateAC), ac
    return negotiate_as_requestor(rq, ac, strict=True)


def test_storescp_prefers_its_own_order(storescp_prefer_little: int) -> None:
    config = _config(
        ProposedContext(CT, [IVLE, EVBE, EVLE]),
        ProposedContext(VERIFICATION, [IVLE]),
        ProposedContext("1.2.3.4.5.6", [IVLE]),
    )
    neg = _negotiate_with(storescp_prefer_little, config)
    assert neg.accepted[1].transfer_syntax == EVLE  # DCMTK +xe: acceptor preference
    assert neg.accepted[3].transfer_syntax == IVLE
    assert [(r.context_id, int(r.result)) for r in neg.rejected] == [(5, 3)]
    assert neg.peer_max_pdu_length > 0
    assert neg.peer_implementation_class_uid is not None
    assert neg.peer_implementation_class_uid.startswith("1.2.276.0.7230010.3")


def test_storescp_answers_one_context_per_transfer_syntax(storescp_prefer_little: int) -> None:
    config = _config(
        *ProposedContext.per_transfer_syntax(CT, [IVLE, EVLE, "1.2.840.10008.1.2.4.50"])
    )
    neg = _negotiate_with(storescp_prefer_little, config)
    assert neg.accepted_transfer_syntaxes(CT) == (IVLE, EVLE)
    assert [(r.context_id, int(r.result)) for r in neg.rejected] == [(5, 4)]
    cx = neg.context_for(CT, EVLE)
    assert cx is not None
    assert cx.context_id == 3


def test_storescp_accepts_128_contexts(storescp_prefer_little: int) -> None:
    neg = _negotiate_with(storescp_prefer_little, _config(*[ProposedContext(CT, [IVLE])] * 128))
    assert sorted(neg.accepted) == list(range(1, 256, 2))


def test_pynetdicom_acceptor_sees_our_roles_and_identity() -> None:
    pynetdicom = pytest.importorskip("pynetdicom")
    seen: list[tuple[int, bytes, bytes]] = []

    def on_user_id(event: Any) -> tuple[bool, bytes]:
        seen.append((event.user_id_type, event.primary_field, event.secondary_field))
        return True, b"welcome"

    ae = pynetdicom.AE(ae_title="PYSCP")
    ae.add_supported_context(CT, [EVLE, IVLE], scu_role=True, scp_role=True)
    ae.add_supported_context(VERIFICATION, [IVLE])
    port = free_port()
    server = ae.start_server(
        ("127.0.0.1", port), block=False, evt_handlers=[(pynetdicom.evt.EVT_USER_ID, on_user_id)]
    )
    try:
        config = _config(
            ProposedContext(CT, [IVLE, EVLE]),
            ProposedContext(VERIFICATION, [IVLE]),
            role_selections=[RoleSelection(CT, False, True)],
            user_identity=UserIdentity.jwt(b"h.p.s", positive_response_requested=True),
        )
        neg = _negotiate_with(port, config)
    finally:
        server.shutdown()
    assert seen == [(5, b"h.p.s", b"")]
    # pynetdicom answers types 3-5 only; PS3.7 D.3.3.7.2 also wants an empty answer for 1-2
    assert neg.user_identity_response == b"welcome"
    ct = neg.accepted[1]
    assert ct.transfer_syntax == EVLE  # pynetdicom: its own order too
    assert (ct.requestor_is_scu, ct.requestor_is_scp) == (False, True)
    assert neg.context_for(CT, role="scp") == ct
    assert neg.context_for(CT, role="scu") is None
    assert neg.peer_implementation_version_name is not None


def _corpus_rq(name: str) -> AAssociateRQ:
    rq = decode_pdu((CORPUS / name).read_bytes())
    assert isinstance(rq, AAssociateRQ)
    return rq


def test_dcmtk_getscu_role_selection_is_answered() -> None:
    rq = _corpus_rq("dcmtk_getscu_role_selection_rq.bin")
    offered = {r.sop_class_uid for r in rq.role_selections}
    assert CT in offered
    storage = [
        SupportedContext(uid, [EVLE, IVLE], scu_role=False, scp_role=True)
        for uid in sorted(offered)
    ]
    qr = {pc.abstract_syntax for pc in rq.presentation_contexts} - offered
    config = AcceptorConfig(
        supported_contexts=[*storage, *(SupportedContext(uid, [IVLE]) for uid in sorted(qr))]
    )
    decision = negotiate_as_acceptor(rq, config, "127.0.0.1")
    assert isinstance(decision, Accept)
    neg = decision.negotiated
    for pc in rq.presentation_contexts:
        cx = neg.accepted[pc.context_id]
        if pc.abstract_syntax in offered:  # getscu is the storage SCP; we are its SCU
            assert (cx.acceptor_is_scu, cx.acceptor_is_scp) == (True, False)
        else:
            assert (cx.acceptor_is_scu, cx.acceptor_is_scp) == (False, True)
    assert {r.sop_class_uid for r in decision.pdu.role_selections} == offered
    assert all((r.scu_role, r.scp_role) == (0, 1) for r in decision.pdu.role_selections)
    assert negotiate_as_requestor(rq, decision.pdu, strict=True).accepted == neg.accepted


def test_dcmtk_storescu_user_identity_reaches_the_hook() -> None:
    rq = _corpus_rq("dcmtk_storescu_user_identity_rq.bin")
    seen: list[UserIdentity | None] = []

    def check(identity: UserIdentity | None, calling: str) -> Any:
        from dicomnet.acse import IdentityDecision

        seen.append(identity)
        return IdentityDecision(identity is not None and identity.primary_field != b"")

    uids = sorted({pc.abstract_syntax for pc in rq.presentation_contexts})
    supported = [SupportedContext(uid, [IVLE, EVLE]) for uid in uids]
    decision = negotiate_as_acceptor(
        rq, AcceptorConfig(supported_contexts=supported, user_identity_check=check)
    )
    assert isinstance(decision, Accept)
    (identity,) = seen
    assert identity is not None
    assert identity.identity_type in set(UserIdentityType)
    assert decision.negotiated.user_identity == identity


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (
            AcceptorConfig(ae_titles=["OTHER"], require_called_ae_title=True),
            "Called AE Title Not Recognized",
        ),
        (AcceptorConfig(allowed_calling_ae_titles=["NOBODY"]), "Calling AE Title Not Recognized"),
        (AcceptorConfig(allowed_networks=["10.0.0.0/8"]), "No Reason"),
    ],
)
def test_echoscu_reports_our_reject_reasons(config: AcceptorConfig, words: str) -> None:
    echoscu = require_program("echoscu")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(20)
        port = listener.getsockname()[1]
        decisions: list[object] = []

        def serve() -> None:
            conn, peer = listener.accept()
            with conn:
                conn.settimeout(20)
                rq = _read_pdu(conn)
                assert isinstance(rq, AAssociateRQ)
                decision = negotiate_as_acceptor(rq, config, peer)
                decisions.append(decision)
                conn.sendall(encode_pdu(decision.pdu))
                conn.recv(1)  # echoscu closes after the reject

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        proc = subprocess.run(
            [echoscu, "-aet", "ECHOSCU", "-aec", "ANY-SCP", "127.0.0.1", str(port)],
            env=dcmtk_env(),
            capture_output=True,
            timeout=30,
        )
        thread.join(20)
    assert proc.returncode != 0
    assert isinstance(decisions[0], Reject)
    output = (proc.stdout + proc.stderr).decode(errors="replace")
    assert words.lower() in output.lower(), output
