"""The JSON report of a clean run: what was done to each file, never what the file said."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from . import __version__
from .results import CleanResult


def write_report(path: Path, results: list[CleanResult]) -> None:
    doc = {
        "tool": f"unseen {__version__}",
        "files": [r.to_dict() for r in results],
    }
    from .detect.weights import BLAZEFACE_FULL, BLAZEFACE_SHORT, CENTERFACE

    doc["model_licences"] = {w.name: w.licence for w in (CENTERFACE, BLAZEFACE_FULL, BLAZEFACE_SHORT)}
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".unseen-report-", dir=folder)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=2)
    os.replace(tmp, path)
