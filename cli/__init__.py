"""dicomnet's command-line tools (installed as ``dicomnet_cli``)."""

from __future__ import annotations

import gc
import os
import sys

# The ``movescu`` console script runs its start-up with the cyclic garbage collector paused
# (errors.run_console_script(pause_gc=True), resumed by errors.startup_done()). Its entry script
# imports the command module, typer and attrs before it can call that, so the pause starts here,
# as this package is first imported: collections over import-time objects cost ~5 ms of CPU.
if sys.argv and os.path.basename(sys.argv[0]) == "movescu":
    gc.disable()
