"""dicomnet: a sans-IO DICOM network protocol library.

Layers, each usable alone: :mod:`dicomnet.dataset` (PS3.5 codec), :mod:`dicomnet.pdu` (PS3.8 PDUs),
:mod:`dicomnet.ul` (PS3.8 upper-layer state machine), and the association, DIMSE, transport and
service layers built on them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
