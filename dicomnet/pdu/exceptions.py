"""The PDU layer's own exception: a local value that cannot be encoded (PS3.8 §9.3)."""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from dicomnet.errors import DicomNetError

__all__ = ["PDUEncodeError", "encoder"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class PDUEncodeError(DicomNetError, ValueError):
    """A PDU or item field cannot be put on the wire by the strict encoder.

    Raised by :func:`~dicomnet.pdu.encode_pdu` (and the item encoders) for values the wire format
    cannot hold: an AE title longer than 16 bytes or with non-ASCII characters, a context ID or
    result above 255, a UID or field longer than its 16-bit length allows, a body longer than the
    32-bit PDU-length, a field of the wrong type. Never raised for a value the standard merely
    forbids but the wire can carry (those are the UL's or the user's business); use the loose
    path to go further.
    """


_WRONG_VALUE = (TypeError, ValueError, AttributeError, OverflowError, KeyError, struct.error)


def encoder(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Make an encoder raise :class:`PDUEncodeError` for any wrongly typed or ranged field."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return func(*args, **kwargs)
        except PDUEncodeError:
            raise
        except _WRONG_VALUE as exc:
            raise PDUEncodeError(f"cannot encode: {type(exc).__name__}: {exc}") from None

    return wrapper
