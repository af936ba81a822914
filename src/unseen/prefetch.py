"""Run an iterator ahead of its consumer in a thread of its own, a bounded number of items ahead.

The video analysis decodes and converts the next frames while the detector works on this one
(FFmpeg and the runtimes release the GIL), instead of leaving a core idle between calls.
"""
from __future__ import annotations

import queue
import threading
from typing import Iterator, TypeVar

T = TypeVar("T")
_END = object()


def prefetch(items: Iterator[T], depth: int) -> Iterator[T]:
    """Yield what ``items`` yields, produced up to ``depth`` items ahead in a thread. An error in
    the producer is raised here, at the item where it happened; a consumer that stops early
    (break, error, Ctrl-C) stops the producer at its next item."""
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as e:  # handed to the consumer, raised there
            put((_END, e))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="unseen-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = q.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
