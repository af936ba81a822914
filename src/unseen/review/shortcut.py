"""A desktop shortcut for people who never open a terminal: an ``unseen review`` entry in the
applications menu and an icon on the desktop (freedesktop.org desktop entries: GNOME, KDE, Xfce,
Tails). Opening it starts the review page; it ends by itself when the page is closed."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..i18n import gettext as _

ENTRY = """[Desktop Entry]
Type=Application
Name=unseen review
Name[ko]=unseen 공유 전 확인
Comment={comment}
Comment[ko]=사진과 동영상에서 얼굴은 가리고 숨은 정보는 지운 안전한 사본을 만들어요
Exec={exec} %F
Terminal=false
Categories=Graphics;Utility;
MimeType=image/jpeg;image/png;image/heic;image/webp;video/mp4;video/quicktime;
"""


def launcher() -> str:
    """The ``unseen-review`` command beside this Python (installed with the package)."""
    here = Path(sys.executable).parent / "unseen-review"
    found = str(here) if here.exists() else shutil.which("unseen-review")
    return found or f"{sys.executable} -c 'from unseen.review.launcher import gui_main; gui_main()'"


def install(home: Path | None = None) -> list[Path]:
    """Write the desktop entry to the applications menu and, where there is one, the desktop."""
    xdg = os.environ.get("XDG_DATA_HOME") if home is None else None  # a home given: everything below it
    home = home or Path.home()
    data = Path(xdg) if xdg else home / ".local" / "share"
    command = launcher()
    if " " in command and not command.startswith(sys.executable + " -c"):
        command = '"' + command.replace("\\", "\\\\").replace('"', '\\"') + '"'  # the desktop entry's quoting
    text = ENTRY.format(comment=_("Make a safe copy of photos and videos: faces and hidden details removed"), exec=command)
    written = []
    for folder in (data / "applications", home / "Desktop"):
        if folder.name == "Desktop" and not folder.is_dir():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "unseen-review.desktop"
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755)  # a desktop icon must be executable to be trusted by file managers
        written.append(path)
    return written
