"""An embedded DICOM archive: index of a folder of files and PS3.4 C.2.2.2 matching for the Q/R SCP."""

from __future__ import annotations
