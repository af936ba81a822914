"""Progress where people wait: a bar on the terminal (frames or steps per second, time left)
and the caller's callback (the review page), fed from one place."""
from __future__ import annotations

import sys
from typing import Any

from ..display import shown
from .common import Options


class Stage:
    """One stage of one file ("analyse", "render", "verify"): ``tick(n)`` as work is done.
    An exception raised by the callback (the page's stop) passes through and stops the work."""

    def __init__(self, opts: Options, name: str, total: int | None, desc: str, unit: str = "frame") -> None:
        self.name, self.total, self.done = name, total, 0
        self.callback = opts.on_progress
        self.bar: Any = None
        if opts.progress:
            from tqdm import tqdm

            # the description holds the file's name: escaped like every name a person reads
            self.bar = tqdm(total=total or None, unit=unit, desc=shown(desc), file=sys.stderr, leave=False)
        if self.callback is not None:
            self.callback(name, 0, total)

    def tick(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        if self.callback is not None:
            self.callback(self.name, self.done, self.total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "Stage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
