"""Starting the review without a terminal: a desktop shortcut, and a review that ends by itself
once its page has been closed (no terminal to press Ctrl-C in)."""
from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from unseen.review.server import ReviewServer
from unseen.review.shortcut import install


def _alive(server: ReviewServer) -> bool:
    return server.thread is not None and server.thread.is_alive()


def test_review_ends_by_itself_when_the_page_stops_asking(tmp_path: Path) -> None:
    server = ReviewServer([], tmp_path, idle_exit=1.0)
    server.start_thread()
    try:
        # an open page asks every two seconds (here faster): the review stays
        for _ in range(8):
            with urllib.request.urlopen(server.url, timeout=5) as r:
                assert r.status == 200
            time.sleep(0.3)
        assert _alive(server)
        # the page is closed: nothing asks any more, and the review ends on its own
        deadline = time.monotonic() + 15
        while _alive(server) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(server)
    finally:
        server.stop()


def test_a_review_started_from_a_terminal_does_not_end_by_itself(tmp_path: Path) -> None:
    server = ReviewServer([], tmp_path)
    server.start_thread()
    try:
        time.sleep(2.5)
        assert _alive(server)
    finally:
        server.stop()


def test_shortcut_opens_the_review_without_a_terminal(tmp_path: Path) -> None:
    (tmp_path / "Desktop").mkdir()
    written = install(tmp_path)
    assert [p.parent.name for p in written] == ["applications", "Desktop"]
    entry = written[0].read_text(encoding="utf-8")
    assert "Terminal=false" in entry and "unseen-review" in entry and "Name[ko]=" in entry
    assert written[1].stat().st_mode & 0o111
