"""Configuration of one upper-layer connection (frozen, passed to the constructor, never global)."""

from __future__ import annotations

import attrs

from dicomnet._attrs_repr import attrs_repr

__all__ = ["DEFAULT_MAX_ASSOCIATION_PDU_LENGTH", "DEFAULT_MAX_PDU_LENGTH", "ULConfig"]

DEFAULT_MAX_PDU_LENGTH = 16384
"""Maximum P-DATA-TF PDU length we receive by default (DCMTK's default receive maximum)."""

DEFAULT_MAX_ASSOCIATION_PDU_LENGTH = 1 << 20
"""Bound on the other PDUs (A-ASSOCIATE-RQ/AC/RJ, release, abort): no real one comes near it."""


def _non_negative(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value}")


def _positive(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value}")


@attrs.frozen(repr=False, kw_only=True)
class ULConfig:
    """Limits and timers of the upper layer (PS3.8 §9.1.2, §9.2, Annex D.1).

    - ``artim_timeout``: seconds the ARTIM timer runs (Sta2: awaiting the A-ASSOCIATE-RQ;
      Sta13: awaiting the peer's close after a reject, release or abort).
    - ``max_pdu_length``: the largest P-DATA-TF PDU-length we accept, i.e. the value we send in
      the Maximum Length sub-item (PS3.7 Annex D.1); 0 means unlimited (the PDU framer still
      applies its own hard cap). A larger P-DATA-TF is an invalid PDU (Evt19: A-ABORT), detected
      from its 6-byte header before anything is buffered.
    - ``max_association_pdu_length``: the same bound for every other PDU type.
    - ``trace_size``: how many transitions the connection's trace keeps (0 keeps none).
    """

    __repr__ = attrs_repr

    artim_timeout: float = attrs.field(default=30.0, validator=_positive)
    max_pdu_length: int = attrs.field(default=DEFAULT_MAX_PDU_LENGTH, validator=_non_negative)
    max_association_pdu_length: int = attrs.field(
        default=DEFAULT_MAX_ASSOCIATION_PDU_LENGTH, validator=_non_negative
    )
    trace_size: int = attrs.field(default=256, validator=_non_negative)
