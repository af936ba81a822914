"""Following a box through frames, and the track edits built on it (no browser, no detector:
frames are arrays made here, candidates are given or none)."""
from __future__ import annotations

import numpy as np

from unseen.plan import InputInfo, Plan, PlanTrack, Source
from unseen.review.follow import LOST_AFTER, between, follow
from unseen.review.tracks import set_key, set_span

W, H, N, SIDE = 320, 200, 40, 40


class Frames:
    """A texture moving right 4 px a frame over grey; gone (grey) on the frames in ``hidden``."""

    def __init__(self, hidden: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        rng = np.random.default_rng(1)
        self.tex = rng.integers(0, 255, (SIDE // 4, SIDE // 4, 3), dtype=np.uint8).repeat(4, 0).repeat(4, 1)
        self.hidden, self.count, self.asked = hidden, N, []

    def box(self, i: int) -> tuple[float, float, float, float]:
        return (10 + 4 * i, 80, 10 + 4 * i + SIDE, 80 + SIDE)

    def rgb(self, i: int) -> np.ndarray:
        self.asked.append(i)
        f = np.full((H, W, 3), 90, np.uint8)
        if i not in self.hidden:
            x0, y0, x1, y1 = map(int, self.box(i))
            f[y0:y1, x0:x1] = self.tex
        return f


def none(crop: np.ndarray) -> list[tuple[float, float, float, float]]:
    return []


def test_pixels_followed_both_ways_from_one_box() -> None:
    fr = Frames()
    boxes = follow(fr, 20, fr.box(20), candidates=none)
    assert sorted(boxes) == list(range(N))
    for i in (0, 7, 20, 33, 39):
        assert all(abs(a - b) <= 2 for a, b in zip(boxes[i], fr.box(i))), (i, boxes[i])


def test_backwards_decodes_in_rising_blocks() -> None:
    fr = Frames()
    follow(fr, 30, fr.box(30), candidates=none)
    # frames before the start are asked for in rising runs (a decoder goes forwards), not falling
    before = [i for i in fr.asked if i < 30]
    rises = sum(1 for a, b in zip(before, before[1:]) if b == a + 1)
    falls = sum(1 for a, b in zip(before, before[1:]) if b == a - 1)
    assert 0 in before and rises > 20 and falls == 0


def test_a_face_lost_for_good_ends_the_track_where_it_was_last_seen() -> None:
    fr = Frames(hidden=set(range(25, N)))
    boxes = follow(fr, 10, fr.box(10), candidates=none)
    assert max(boxes) == 24 and min(boxes) == 0


def test_a_face_lost_briefly_is_held_then_found_again() -> None:
    fr = Frames(hidden={15, 16})
    assert LOST_AFTER > 2
    boxes = follow(fr, 10, fr.box(10), candidates=none)
    assert max(boxes) == N - 1
    assert boxes[15] == boxes[14] and boxes[16] == boxes[14]  # held where last seen
    assert all(abs(a - b) <= 2 for a, b in zip(boxes[17], fr.box(17)))


def test_detector_candidates_carry_the_box_where_the_pixels_change() -> None:
    """On frames 15-17 the patch shows other pixels (a face turning): the pixels alone lose it
    and hold the box; the detector's candidate (the patch's middle) carries it on, and the box
    keeps its place around the candidate."""
    fr = Frames()
    other = np.random.default_rng(9).integers(0, 255, fr.tex.shape, dtype=np.uint8)
    plain = fr.rgb

    def rgb(i: int) -> np.ndarray:
        f = plain(i)
        if 15 <= i <= 17:
            x0, y0, x1, y1 = map(int, fr.box(i))
            f[y0:y1, x0:x1] = other
        return f

    fr.rgb = rgb  # type: ignore[method-assign]

    def cands(crop: np.ndarray) -> list[tuple[float, float, float, float]]:
        ys, xs = np.nonzero((crop != 90).any(-1))
        if not len(xs):
            return []
        return [(xs.min() + 8.0, ys.min() + 8.0, xs.max() + 1 - 8.0, ys.max() + 1 - 8.0)]

    held = follow(fr, 10, fr.box(10), candidates=none)
    assert held[15] == held[14]  # pixels only: held where last seen
    boxes = follow(fr, 10, fr.box(10), candidates=cands)
    for i in (15, 16, 17, 25):
        assert all(abs(a - b) <= 1 for a, b in zip(boxes[i], fr.box(i))), (i, boxes[i], fr.box(i))


def _plan() -> Plan:
    info = InputInfo("0" * 64, "video", "mp4", W, H, N, "1/10", list(range(N)))
    return Plan(info)


def test_keyframes_are_exact_and_straight_between() -> None:
    fr = Frames()
    plan = _plan()
    t = PlanTrack("p1", follow(fr, 5, fr.box(5), candidates=none), kind="manual", shape="box", source=Source("person"), keyframes={5})
    plan.tracks.append(t)
    moved = (100.0, 60.0, 140.0, 100.0)
    set_key(plan, fr, "p1", 25, moved, candidates=none)
    assert t.keyframes == {5, 25} and t.boxes[25] == moved
    mid = tuple((a + b) / 2 for a, b in zip(t.boxes[5], moved))
    assert all(abs(a - b) < 1e-6 for a, b in zip(t.boxes[15], mid))


def test_span_moved_and_held() -> None:
    plan = _plan()
    t = PlanTrack("t1", {f: (10.0, 10.0, 50.0, 50.0) for f in range(10, 20)}, keyframes={12})
    plan.tracks.append(t)
    set_span(plan, "t1", 5, 14)
    assert min(t.boxes) == 5 and max(t.boxes) == 14 and t.keyframes == {12}
    assert between({0: (0, 0, 10, 10), 4: (4, 0, 14, 10)})[2] == (2.0, 0.0, 12.0, 10.0)
