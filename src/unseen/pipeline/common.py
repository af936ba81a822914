"""What the three pipelines share: options, the input's hash, hand-drawn regions."""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..i18n import N_
from ..errors import UsageError
from ..types import Region, finite_number

# on_progress(stage, done, total): stage is "analyse", "render" or "verify"; an exception raised
# from it stops the work, and no output is left
ProgressFn = Callable[[str, int, "int | None"], None]


@dataclass
class Options:
    out_dir: Path | None = None
    fill: str = "solid"
    color: tuple[int, int, int] = (0, 0, 0)
    faces: bool = True
    manual: dict[str, list[Region]] = field(default_factory=dict)  # file name or "*" -> regions
    overwrite: bool = False
    grid: int | None = None  # None: the output codec's (media.still.BLOCK_GRID, NOISE_GRID; video 8), 1 for lossless
    audio: str | None = None  # video: drop | keep | None (drop, unless --voice disguise or keep)
    voice: str | None = None  # audio files: mute | disguise (default) | keep
    crf: int = 18  # video: x264 quality
    progress: bool = False  # per-frame progress bars (fps, time left) on stderr
    salvage: bool = False  # sound: keep what decodes of a damaged file (and say what was lost)
    output: Path | None = None  # the output's path, decided for the whole batch (see output_names)
    on_progress: ProgressFn | None = None

    def manual_for(self, src: Path) -> list[Region]:
        return list(self.manual.get(src.name, [])) + list(self.manual.get("*", []))


def sha256_file(path: Path) -> str:
    """The file's SHA-256, read once while it is unchanged (its size, change time and inode the
    same): naming the outputs, checking a plan and the pipeline all ask for it, and a video
    read three times over was read twice for nothing."""
    st = os.stat(path)
    return _sha256(os.fspath(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@lru_cache(maxsize=64)
def _sha256(path: str, size: int, mtime_ns: int, ctime_ns: int, ino: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_regions(path: Path) -> dict[str, list[Region]]:
    """Read hand-drawn boxes: ``[[x0,y0,x1,y1], ...]`` for every file, or
    ``{"file name": [[x0,y0,x1,y1], ...], "*": [...]}`` per file."""
    try:
        text = Path(path).read_bytes()
    except OSError as e:
        raise UsageError(N_("cannot read regions file {path}: {reason}").format(path=path, reason=e.strerror or e)) from None
    try:
        data = json.loads(text)
    except ValueError as e:  # the parser's words ("Expecting value: line 1 column 1") tell a person little
        line = getattr(e, "lineno", None)
        raise UsageError(N_("regions file {path} is not JSON (line {line}): it must hold a list of boxes, [[x0, y0, x1, y1], ...]").format(path=path, line=line or 1)) from None
    if isinstance(data, list):
        data = {"*": data}
    if not isinstance(data, dict):
        raise UsageError(N_("regions file must hold a list of boxes or an object of lists"))
    out: dict[str, list[Region]] = {}
    for key, boxes in data.items():
        if not isinstance(boxes, list):
            raise UsageError(N_("regions file must hold a list of boxes or an object of lists"))
        regs = []
        for b in boxes:
            if isinstance(b, dict):
                b = [b.get("x0"), b.get("y0"), b.get("x1"), b.get("y1")]
            ok = isinstance(b, list) and len(b) == 4 and all(finite_number(v) for v in b)
            if not ok or b[2] <= b[0] or b[3] <= b[1]:
                raise UsageError(N_("regions file: bad box {box} (want [x0, y0, x1, y1] in pixels)").format(box=repr(b)[:80]))
            regs.append(Region(*map(float, b), score=1.0, source="manual"))
        out[str(key)] = regs
    return out
