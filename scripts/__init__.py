"""Developer scripts: generators of dicomnet's data modules (run from the repository root)."""

from __future__ import annotations
