"""pynetdicom's ``AE.send_c_store`` -> ``dicomnet storescp``, with user identity and role selection."""

from __future__ import annotations

import os
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from .test_storescp_dcmtk import CT, assert_same_object, make_object, our_storescp

pynetdicom = pytest.importorskip("pynetdicom")

pytestmark = pytest.mark.peer


def _ae() -> object:
    ae = pynetdicom.AE(ae_title="PYSCU")
    ae.add_requested_context(CT, [ImplicitVRLittleEndian, ExplicitVRLittleEndian])
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
    return ae


def test_send_c_store_with_user_identity_and_role_selection(tmp_path: Path) -> None:
    from pynetdicom.pdu_primitives import (
        SCP_SCU_RoleSelectionNegotiation,
        UserIdentityNegotiation,
    )

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    files = [make_object(src / f"{i}.dcm", f"1.2.826.0.1.3680043.2.1125.11.{i}") for i in range(3)]
    identity = UserIdentityNegotiation()
    identity.user_identity_type = 2
    identity.primary_field = b"alice"
    identity.secondary_field = b"secret"
    identity.positive_response_requested = False
    role = SCP_SCU_RoleSelectionNegotiation()
    role.sop_class_uid = CT
    role.scu_role = True
    role.scp_role = False
    with our_storescp(out, "+xe") as port:
        assoc = _ae().associate(  # type: ignore[attr-defined]
            "127.0.0.1", port, ae_title="STORESCP", ext_neg=[identity, role]
        )
        assert assoc.is_established
        try:
            context = assoc.accepted_contexts[0]
            assert context.abstract_syntax == CT
            assert context.transfer_syntax[0] == ExplicitVRLittleEndian  # our +xe choice
            assert context.as_scu  # pynetdicom plays SCU (the default roles apply)
            assert not context.as_scp
            for path in files:
                status = assoc.send_c_store(pydicom.dcmread(path))
                assert status.Status == 0x0000
        finally:
            assoc.release()
    assert sorted(os.listdir(out)) == sorted(
        f"CT.{pydicom.dcmread(p).SOPInstanceUID}" for p in files
    )
    for path in files:
        received = out / f"CT.{pydicom.dcmread(path).SOPInstanceUID}"
        assert pydicom.dcmread(received).file_meta.SourceApplicationEntityTitle == "PYSCU"
        assert_same_object(path, received)
