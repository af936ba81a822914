"""Stopping signals: SIGTERM and SIGHUP stop the command the way Ctrl-C does.

In the command's process each raises ``Interrupted`` (a ``KeyboardInterrupt``) in the main
thread, so the ``finally`` blocks on the way out remove every temporary file and nothing partial
is left. A batch's worker processes ignore SIGINT (the terminal sends Ctrl-C to all of them; the
parent alone decides) and are stopped by the parent with SIGTERM: a worker removes the
temporary files it is writing (``removed_if_stopped``) and exits at once. Neither prints a
traceback.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from types import FrameType
from typing import Iterator

STOPS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP; ``signum`` says which (the exit status is 128 + signum)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(e: BaseException) -> int:
    """128 + the signal's number, as shells report a process a signal stopped (130 for Ctrl-C)."""
    return 128 + int(getattr(e, "signum", signal.SIGINT))


_pending = 0  # the stop signal the command got, until the command ends


def _stop(signum: int, frame: FrameType | None) -> None:
    global _pending
    for s in STOPS:  # a second signal must not cut the clean-up short
        signal.signal(s, signal.SIG_IGN)
    _pending = signum
    raise Interrupted(signum)


def checkpoint() -> None:
    """Raise the stop again if one came and the command is still at work (main thread only).
    Raised inside a finaliser or a weakref callback, ``Interrupted`` is printed as "ignored" and
    swallowed, and with the stop signals now ignored the command would go on and publish; the
    work's progress ticks and the publishing of an output call this."""
    if _pending and threading.current_thread() is threading.main_thread():
        raise Interrupted(_pending)


@contextlib.contextmanager
def stops_handled() -> Iterator[None]:
    """While the command runs (main thread only): SIGINT, SIGTERM and SIGHUP raise ``Interrupted``;
    the previous handlers come back afterwards (the API may run inside another program)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    global _pending
    saved = {s: signal.getsignal(s) for s in STOPS}
    try:
        for s in STOPS:
            if saved[s] != signal.SIG_IGN:  # nohup's choice stands
                signal.signal(s, _stop)
        yield
    finally:
        _pending = 0
        for s, handler in saved.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def children_ignore_ctrl_c() -> Iterator[None]:
    """Processes started inside inherit an ignored SIGINT from their first instruction (a handler
    set later would leave their start-up open to Ctrl-C, and its traceback). The parent does not
    hear Ctrl-C for these few milliseconds."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, saved)


_temporary: set[str] = set()  # this process's temporary outputs, not yet published


@contextlib.contextmanager
def removed_if_stopped(path: str | os.PathLike[str]) -> Iterator[None]:
    """While inside, a stopped batch worker removes ``path`` on its way out."""
    name = os.fspath(path)
    _temporary.add(name)
    try:
        yield
    finally:
        _temporary.discard(name)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Stop signals wait until the block is done (POSIX; elsewhere they do not wait)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    saved = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, saved)


def _worker_stop(signum: int, frame: FrameType | None) -> None:
    # No exception raised here: it could land in a weakref callback or a __del__, where Python
    # prints it ("Exception ignored in ...", seen in CI) and the worker goes on cleaning the file
    # the parent has already reported as not done. The worker removes its temporary files itself.
    for name in list(_temporary):
        with contextlib.suppress(OSError):
            os.unlink(name)
    os._exit(128 + signum)


def worker_setup() -> None:
    """In a batch worker: Ctrl-C is the parent's to handle; SIGTERM and SIGHUP stop the worker
    at once, leaving no temporary file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for s in STOPS[1:]:
        signal.signal(s, _worker_stop)
