"""The ``unseen-review`` launcher, apart from command.py: it calls the command line, which imports
command.py to build its parser (no import cycle)."""
from __future__ import annotations

import sys


def gui_main() -> None:
    """The ``unseen-review`` launcher (a desktop shortcut, or a double-click where Python's GUI
    scripts have no console): the page opens in the browser, and the review ends by itself once
    the page has been closed a while. Files are added from the page."""
    import os

    from ..cli import main

    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # no console at all (pythonw): nowhere to print
            setattr(sys, name, open(os.devnull, "w"))
    sys.exit(main(["review", "--exit-when-closed", *sys.argv[1:]]))
