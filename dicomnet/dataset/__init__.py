"""PS3.5 data set codec: tags, VRs, elements, data sets, Part 10 files."""

from __future__ import annotations
