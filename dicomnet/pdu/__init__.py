"""PS3.8 §9.3 protocol data units: construct layouts, attrs classes, framing."""

from __future__ import annotations
