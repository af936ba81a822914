"""How the picture moved from one frame to the next, to tell a shaken camera from a steady one.

A track's box moves in a straight line between the frames the analysis searches in full
detail, along the camera's path as those frames show it; a hand-held camera shaking faster than
that carries a small face out from under its box for a frame or two. The render looks for
tracked faces at their zoom where the camera strayed from that line (detect.zoom); this says
where: the whole picture's shift between successive frames by phase correlation of 320-px-wide
luma copies, summed into the camera's position, and its distance from the straight line
between the frames searched in full detail around each frame.

The same record moves the masks themselves (track.tracks): between two sightings of a face, a
hand-held camera shakes it with the whole picture, so its bridged box is moved by the
picture's measured stray from the straight line between them, where every shift on the way
was sure (a dark stage lit by moving lights has no clear single peak); and the tracker links
a face to where the picture moved.
"""
from __future__ import annotations

from collections import deque

import numpy as np

SIDE = 320  # long side of the luma copy: a shift to about a pixel of a 1080p frame's 6
# A box off its face by less than this share of its head's height still covers nearly all of
# the face (a head reaches 0.3 of the face's width beyond it at each side, 0.35 of its height
# above, and a bridged box is grown): where the camera strays further from its straight line
# than that, the faces are looked for (at 0.15, on two of bench/video_protect.py's gently
# shaken pans, 6,800 looks found 9 faces the masks left a sliver of, at the cost of a render
# that took twice as long on the whole set; at 0.25 they are 1,500). Without the analysis's
# record (a plan alone) the render can only look back: it looks where the frame-to-frame
# shift changes by JERK of a head's height in a frame (a similar stray over REACH frames,
# the analysed frames' spacing). A track's own turns are no such sign: a small face's box
# jitters from one detection to the next (following them on opencv's tripod campus clip took
# unseen from 0.93x deface's speed to 0.84x).
OFF_LINE = 0.25
JERK = 0.2
REACH = 3
# A shift is trusted when the correlation's peak stands this many times above the next one
# away from it: on real footage (street, campus, walkers shaken by hand, crowds) 19 in 20
# frame pairs score above 6; on a dark stage under moving lights 1 in 20 scores under 1.5,
# two shifts nearly as likely as each other.
SURE_PEAK = 3.0


def shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(dx, dy) that moves picture ``a`` onto ``b`` (phase correlation, sub-pixel peak), and
    how sure: the peak's height over the highest value outside its 5x5 neighbourhood."""
    fa, fb = np.fft.rfft2(a), np.fft.rfft2(b)
    cross = fb * np.conj(fa)
    cross /= np.abs(cross) + 1e-9
    r = np.fft.irfft2(cross, s=a.shape)
    y, x = np.unravel_index(int(np.argmax(r)), r.shape)
    h, w = r.shape

    def fine(m: float, c: float, p: float) -> float:  # parabola through the peak and its neighbours
        d = m - 2 * c + p
        return 0.0 if d == 0 else 0.5 * (m - p) / d

    dy = y + fine(r[(y - 1) % h, x], r[y, x], r[(y + 1) % h, x])
    dx = x + fine(r[y, (x - 1) % w], r[y, x], r[y, (x + 1) % w])
    peak = float(r[y, x])
    r[np.ix_(np.arange(y - 2, y + 3) % h, np.arange(x - 2, x + 3) % w)] = -np.inf
    sure = peak / max(float(r.max()), 1e-9)
    return (dx - w if dx > w / 2 else dx), (dy - h if dy > h / 2 else dy), sure


class Moves:
    """Fed every frame's luma in order (``DecodedFrame.grey``), gives the picture's shift from
    the frame before, in the frame's pixels, and how sure it is (see ``shift``; (0, 0, inf)
    for the first frame of a shot)."""

    def __init__(self) -> None:
        self._prev: np.ndarray | None = None
        self._window: np.ndarray | None = None

    def feed(self, grey: np.ndarray, scale: float, cut: bool = False) -> tuple[float, float, float]:
        g = grey.astype(np.float32)
        if self._window is None or self._window.shape != g.shape:
            self._window = np.outer(np.hanning(g.shape[0]), np.hanning(g.shape[1])).astype(np.float32)
            self._prev = None
        g = (g - g.mean()) * self._window
        prev, self._prev = self._prev, g
        if prev is None or cut:
            return 0.0, 0.0, float("inf")
        dx, dy, sure = shift(prev, g)
        return dx / scale, dy / scale, sure


def positions(moves: list[tuple[float, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """The camera's position on every frame (the sum of its shifts, frame pixels), and how many
    of the shifts up to it were unsure: two frames' positions compare where that count is the
    same on both. (A record of two numbers a frame, from before shifts were rated, is sure.)"""
    m = np.array([tuple(v)[:3] if len(v) > 2 else (*v, np.inf) for v in moves], dtype=np.float64).reshape(-1, 3)
    return np.cumsum(m[:, :2], axis=0), np.cumsum(~(m[:, 2] >= SURE_PEAK))  # (a NaN is unsure)


def off_line(moves: list[tuple[float, ...]], anchors: list[int]) -> list[float]:
    """For every frame, how far (frame pixels) the camera's position lies from the straight line
    through the ``anchors`` (the frames searched in full detail) before and after it; beyond
    the last, from that line carried on (as the tracker carries boxes on)."""
    pos = positions(moves)[0]
    keys = sorted(a for a in anchors if 0 <= a < len(pos))
    if not keys:
        return [float(np.hypot(*(p - pos[0]))) for p in pos]
    out = []
    for i in range(len(pos)):
        k = int(np.searchsorted(keys, i, side="right"))
        a, b = (keys[k - 1], keys[k]) if 0 < k < len(keys) else (keys[-2], keys[-1]) if k and len(keys) > 1 else (keys[0], keys[0])
        line = pos[a] + (pos[b] - pos[a]) * (i - a) / (b - a) if b != a else pos[a]
        out.append(float(np.hypot(*(pos[i] - line))))
    return out


class Shake:
    """Without the analysis's record (a plan alone): fed every frame's luma in order, says how
    hard the picture jerked lately, the largest change of its frame-to-frame shift over the
    last REACH frames, in frame pixels."""

    def __init__(self) -> None:
        self._moves = Moves()
        self._recent: deque[tuple[float, float, float]] = deque(maxlen=REACH + 1)

    def feed(self, grey: np.ndarray, scale: float, cut: bool = False) -> float:
        if cut:
            self._recent.clear()
        self._recent.append(self._moves.feed(grey, scale, cut))
        m = list(self._recent)
        return max((float(np.hypot(b[0] - a[0], b[1] - a[1])) for a, b in zip(m, m[1:])), default=0.0)
