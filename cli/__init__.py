"""dicomnet's command-line tools (installed as ``dicomnet_cli``)."""

from __future__ import annotations
