"""Keep C libraries' own messages off the terminal, where only unseen's lines belong."""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration: libtiff, libjpeg and FFmpeg print
    warnings there directly ("ZIPDecode: Decoding error ..."), out of Python's reach. Process-wide,
    so only around work the main thread does alone (decoding a still picture)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):  # no real stderr (captured, or closed)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)
