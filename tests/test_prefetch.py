"""The read-ahead thread the video analysis decodes in: order, errors, early stops."""
from __future__ import annotations

import threading
import time

import pytest

from unseen.prefetch import prefetch


def test_items_arrive_in_order_and_bounded() -> None:
    made: list[int] = []

    def items():  # type: ignore[no-untyped-def]
        for i in range(50):
            made.append(i)
            yield i

    got = []
    for x in prefetch(items(), 4):
        time.sleep(0.001)
        # the producer never runs more than the queue, plus the item in its hand, ahead
        assert len(made) - len(got) <= 4 + 2
        got.append(x)
    assert got == list(range(50))


def test_producer_error_is_raised_at_its_item() -> None:
    def items():  # type: ignore[no-untyped-def]
        yield 1
        yield 2
        raise ValueError("corrupt frame 3")

    got = []
    with pytest.raises(ValueError, match="corrupt frame 3"):
        for x in prefetch(items(), 8):
            got.append(x)
    assert got == [1, 2]


def test_consumer_stopping_early_stops_and_closes_the_producer() -> None:
    closed = threading.Event()

    def items():  # type: ignore[no-untyped-def]
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    before = threading.active_count()
    with pytest.raises(RuntimeError):
        for x in prefetch(items(), 2):
            if x == 3:
                raise RuntimeError("consumer failed")
    assert closed.wait(2), "the source iterator was not closed"
    assert threading.active_count() == before
