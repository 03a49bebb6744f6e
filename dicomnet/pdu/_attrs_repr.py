"""Former home of the shared attrs ``__repr__``; it now lives in :mod:`dicomnet._attrs_repr`."""

from __future__ import annotations

from dicomnet._attrs_repr import attrs_repr

__all__ = ["attrs_repr"]
