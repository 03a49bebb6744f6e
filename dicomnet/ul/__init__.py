"""PS3.8 §9.2 upper-layer protocol state machine, sans-IO."""

from __future__ import annotations
