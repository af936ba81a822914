"""Progress of one stage of one file, as the options ask: a bar on the terminal when
``opts.progress``, and ``opts.on_progress`` (see unseen.progress)."""
from __future__ import annotations

from ..progress import Progress
from .common import Options


class Stage(Progress):
    """One stage of one file ("analyse", "render", "verify"): ``tick(n)`` as work is done.
    An exception raised by the callback (the page's stop) passes through and stops the work."""

    def __init__(self, opts: Options, name: str, total: int | None, desc: str, unit: str = "frame") -> None:
        super().__init__(name, total, desc, unit, bar=opts.progress, callback=opts.on_progress)
