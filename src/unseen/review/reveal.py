"""Show a safe copy in the computer's file manager: a person who never opens a terminal reads a
path as nothing, and needs the folder the copy is in to share it from."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from ..i18n import N_


def opener(path: Path, platform: str = sys.platform) -> list[str]:
    """The command that shows ``path`` in the file manager: selected in its folder where the
    system can (macOS, Windows), else its folder opened (freedesktop's xdg-open)."""
    if platform == "darwin":
        return ["open", "-R", str(path)]
    if platform.startswith("win"):
        return ["explorer", f"/select,{path}"]
    return ["xdg-open", str(path.parent)]


def reveal(path: Path) -> None:
    """Start the file manager on ``path`` (not waited for). OSError where none can be started,
    said in a line a person reads."""
    command = opener(path)
    if shutil.which(command[0]) is None:
        raise OSError(N_("no file manager could be started here ({command} is missing): the copy is at {path}").format(command=command[0], path=path))
    # no shell, nothing of the page's in the command but the copy's own path; detached, so the
    # review does not wait for the window to close
    subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
