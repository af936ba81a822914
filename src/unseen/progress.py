"""Progress where people wait: a bar on the terminal (steps or frames per second, time left)
and a caller's callback (the review page), fed from one place. Shared by the pipelines (see
pipeline.progress) and ``audit``."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Self

from .display import shown
from .i18n import N_, localize
from .signals import checkpoint

UNITS = (N_("frame"), N_("step"))  # the units bars count in, for the catalogue

# callback(stage, done, total); an exception raised from it stops the work
Callback = Callable[[str, int, int | None], None]


class Progress:
    """One stage of one file: ``tick(n)`` as work is done, ``note(text)`` to say what runs now
    (a long step that cannot tick inside, such as an encoder's one call). ``bar``: show a tqdm
    bar on stderr (the caller decides: a terminal, and not ``--json``/``-q``)."""

    def __init__(self, name: str, total: int | None, desc: str, unit: str = "frame", *, bar: bool = False, callback: Callback | None = None) -> None:
        self.name, self.total, self.done = name, total, 0
        self.callback = callback
        self.bar: Any = None
        if bar:
            from tqdm import tqdm

            # the description holds the file's name: escaped like every name a person reads
            # the bar is read, not parsed: its words in the reader's language
            self.bar = tqdm(total=total or None, unit=localize(unit), desc=shown(localize(desc)), file=sys.stderr, leave=False)
        if self.callback is not None:
            self.callback(name, 0, total)

    def tick(self, n: int = 1) -> None:
        checkpoint()  # a stop swallowed by a finaliser is raised again here
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        if self.callback is not None:
            self.callback(self.name, self.done, self.total)

    def grow(self, n: int) -> None:
        """More work than first counted (another verification round)."""
        if self.total is not None:
            self.total += n
            if self.bar is not None:
                self.bar.total = self.total
                self.bar.refresh()

    def note(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(shown(localize(text)))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
