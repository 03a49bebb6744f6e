"""``python -m dicomnet_cli``: the ``dicomnet`` command."""

from __future__ import annotations

from dicomnet_cli.main import main

main()
