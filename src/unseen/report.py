"""The JSON report of a clean run: what was done to each file, never what the file said."""
from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

from . import __version__
from .errors import OutputError, UsageError
from .i18n import N_
from .results import CleanResult


def check_report_path(path: Path) -> None:
    """Refuse, before any file is cleaned, a report that could not be written: its folder
    missing, or the path a folder (the run's work would be done and its record lost)."""
    folder = path.parent if str(path.parent) else Path(".")
    reason = errno.EISDIR if path.is_dir() else errno.ENOENT if not folder.is_dir() else None
    if reason is not None:
        raise UsageError(N_("cannot write {path}: {reason}").format(path=path, reason=os.strerror(reason)))


def write_report(path: Path, results: list[CleanResult]) -> None:
    doc = {
        "tool": f"unseen {__version__}",
        "files": [r.to_dict() for r in results],
    }
    from .detect.weights import BLAZEFACE_FULL, BLAZEFACE_SHORT, CENTERFACE

    doc["model_licences"] = {w.name: w.licence for w in (CENTERFACE, BLAZEFACE_FULL, BLAZEFACE_SHORT)}
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".unseen-report-", dir=folder)
    except OSError as e:
        raise OutputError(N_("cannot write {path}: {reason}").format(path=path, reason=e.strerror)) from None
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=2)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(N_("cannot write {path}: {reason}").format(path=path, reason=e.strerror)) from None
