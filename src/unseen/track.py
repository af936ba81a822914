"""Regions across video frames: association, camera motion, gap bridging, holding in time.

Only boxes are kept (never pixels), so memory does not grow with the video's length or
resolution. A scene cut ends every track: a mask is never dragged into the next shot.

Boxes outside the frames a face was detected on follow the camera: the motion between analysed
frames (scale and shift) is estimated from the faces found on both (match_motion), so a crowd
filmed by a panning, zooming camera stays covered between and beyond detections.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from .detect.boxes import iou_matrix
from .model import Region


@dataclass(frozen=True)
class TrackSettings:
    iou: float = 0.15  # association threshold between a track's last box and a new detection
    max_gap: int = 12  # frames a track may go undetected and still be bridged
    pad: int = 6  # frames masked before and after a track seen on one analysed frame only
    hold: int = 50  # the same for a track seen on two or more (the video pipeline sets 3 s)
    grow: float = 0.10  # extra margin on bridged and held boxes (motion we did not see)
    grow_per_frame: float = 0.01  # and more the further a held box is from its detection
    max_grow: float = 0.5
    smooth: int = 2  # detections on each side averaged for a steadier box
    min_pairs: int = 3  # faces agreeing between two analysed frames needed to trust a camera motion


@dataclass
class Track:
    boxes: dict[int, Region] = field(default_factory=dict)  # filled in increasing frame order

    @property
    def first(self) -> int:
        return next(iter(self.boxes))

    @property
    def last(self) -> int:
        return next(reversed(self.boxes))


@dataclass(frozen=True)
class Motion:
    """Camera motion without rotation: x' = s * x + dx, y' = s * y + dy."""

    s: float = 1.0
    dx: float = 0.0
    dy: float = 0.0

    def apply(self, r: Region) -> Region:
        return Region(r.x0 * self.s + self.dx, r.y0 * self.s + self.dy, r.x1 * self.s + self.dx, r.y1 * self.s + self.dy, r.score, r.source)

    def inverse(self) -> Motion:
        return Motion(1.0 / self.s, -self.dx / self.s, -self.dy / self.s)

    def after(self, first: Motion) -> Motion:
        """This motion applied after ``first``."""
        return Motion(self.s * first.s, self.s * first.dx + self.dx, self.s * first.dy + self.dy)

    def part(self, t: float) -> Motion:
        """The share ``t`` (0..1) of this motion, for frames between two analysed ones."""
        return Motion(1.0 + (self.s - 1.0) * t, self.dx * t, self.dy * t)


def estimate_motion(pairs: list[tuple[Region, Region]], min_pairs: int = 3) -> Motion | None:
    """The camera motion that carries boxes ``a`` onto boxes ``b``, or None when the faces do
    not agree (people moving on their own) or are too few to tell."""
    if len(pairs) < min_pairs:
        return None
    a = np.array([[(p.x0 + p.x1) / 2, (p.y0 + p.y1) / 2, p.height] for p, _ in pairs])
    b = np.array([[(q.x0 + q.x1) / 2, (q.y0 + q.y1) / 2, q.height] for _, q in pairs])
    s = float(np.clip(np.median(b[:, 2] / np.maximum(a[:, 2], 1e-6)), 0.67, 1.5))
    shift = np.median(b[:, :2] - s * a[:, :2], axis=0)
    err = np.hypot(*(b[:, :2] - s * a[:, :2] - shift).T) / np.maximum(b[:, 2], 1.0)
    if float(np.median(err)) > 0.25:
        return None
    return Motion(s, float(shift[0]), float(shift[1]))


def match_motion(a: list[Region], b: list[Region], min_pairs: int = 3, tries: int = 200) -> Motion | None:
    """The camera motion between two frames' detections, without knowing which face is which:
    each candidate pairing proposes a motion, the one most faces agree with wins (RANSAC), and
    it is refined over the faces that agree. None when fewer than ``min_pairs`` agree."""
    if len(a) < min_pairs or len(b) < min_pairs:
        return None
    ca = np.array([[(r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2, r.height] for r in a])
    cb = np.array([[(r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2, r.height] for r in b])
    ii, jj = np.nonzero((cb[None, :, 2] / np.maximum(ca[:, None, 2], 1e-6) > 0.67) & (cb[None, :, 2] / np.maximum(ca[:, None, 2], 1e-6) < 1.5))
    if len(ii) == 0:
        return None
    rng = np.random.default_rng(0)  # deterministic: the same video gives the same masks
    pick = rng.choice(len(ii), size=min(tries, len(ii)), replace=False)
    best: tuple[int, list[tuple[int, int]]] = (0, [])
    for k in pick:
        i, j = ii[k], jj[k]
        sc = cb[j, 2] / ca[i, 2]
        moved = ca[:, :2] * sc + (cb[j, :2] - sc * ca[i, :2])
        dist = np.hypot(moved[:, None, 0] - cb[None, :, 0], moved[:, None, 1] - cb[None, :, 1]) / np.maximum(cb[None, :, 2], 1.0)
        nearest = dist.argmin(1)
        ok = np.nonzero(dist[np.arange(len(a)), nearest] < 0.3)[0]
        if len(ok) > best[0]:
            best = (len(ok), [(int(x), int(nearest[x])) for x in ok])
    if best[0] < min_pairs:
        return None
    return estimate_motion([(a[x], b[y]) for x, y in best[1]], min_pairs)


def _shots(n_frames: int, cuts: set[int]) -> list[tuple[int, int]]:
    bounds = sorted({0, *(c for c in cuts if 0 < c < n_frames), n_frames})
    return list(pairwise(bounds))


def camera_path(detections: dict[int, list[Region]], n_frames: int, cuts: set[int], s: TrackSettings = TrackSettings()) -> list[Motion]:
    """For every frame, the motion from the first frame of its shot to it, from the faces found
    on analysed frames. Where they do not tell (too few, or moving on their own) the camera is
    taken as still."""
    path = [Motion()] * n_frames
    for lo, hi in _shots(n_frames, cuts):
        keys = [f for f in sorted(detections) if lo <= f < hi and len(detections[f]) >= s.min_pairs]
        keys = [lo] + [f for f in keys if f > lo]
        step, span = Motion(), 1
        for a, b in pairwise(keys):
            step, span = match_motion(detections.get(a, []), detections[b], s.min_pairs) or Motion(), b - a
            for f in range(a + 1, b + 1):
                path[f] = step.part((f - a) / span).after(path[a])
        # after the last analysed frame the camera keeps its last motion for a while
        end = keys[-1]
        for f in range(end + 1, hi):
            path[f] = step.part(min(f - end, 2 * span) / span).after(path[end])
    return path


def _grow(r: Region, k: float) -> Region:
    dx, dy = r.width * k, r.height * k
    return Region(r.x0 - dx, r.y0 - dy, r.x1 + dx, r.y1 + dy, r.score, r.source)


def _union(a: Region, b: Region) -> Region:
    return Region(min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1), max(a.score, b.score), a.source)


def _lerp(a: Region, b: Region, t: float) -> Region:
    return Region(
        a.x0 + (b.x0 - a.x0) * t, a.y0 + (b.y0 - a.y0) * t, a.x1 + (b.x1 - a.x1) * t, a.y1 + (b.y1 - a.y1) * t,
        min(a.score, b.score), a.source,
    )


def _centre_close(a: Region, b: Region) -> bool:
    """A fast face moves more than its width between analysed frames; accept a near centre."""
    ax, ay = (a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2
    bx, by = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
    size = max(a.width, a.height, b.width, b.height)
    ratio = max(a.height, b.height) / max(1e-6, min(a.height, b.height))
    return abs(ax - bx) < 0.8 * size and abs(ay - by) < 0.8 * size and ratio < 1.6


def link(detections: dict[int, list[Region]], cuts: set[int], s: TrackSettings = TrackSettings(), path: list[Motion] | None = None) -> list[Track]:
    """Greedy association, frame by frame; ``cuts`` holds the first frame of every new shot.
    With the camera ``path``, a track's last box is first carried to where the camera took it."""
    tracks: list[Track] = []
    active: list[Track] = []
    prev = -1
    for f in sorted(detections):
        if any(prev < c <= f for c in cuts):
            active = []
        prev = f
        active = [t for t in active if f - t.last <= s.max_gap]
        free = list(detections[f])
        used_d: set[int] = set()
        if active and free:
            last = [t.boxes[t.last] for t in active]
            # where the camera took the last box, or where it was: the better of the two, so a
            # wrong camera estimate never links worse than none
            moved = last if path is None else [path[f].after(path[t.last].inverse()).apply(r) for t, r in zip(active, last)]
            new = np.array([[r.x0, r.y0, r.x1, r.y1] for r in free], dtype=np.float32)
            ious = np.maximum(
                iou_matrix(np.array([[r.x0, r.y0, r.x1, r.y1] for r in last], dtype=np.float32), new),
                iou_matrix(np.array([[r.x0, r.y0, r.x1, r.y1] for r in moved], dtype=np.float32), new),
            )
            used_t: set[int] = set()
            for flat in np.argsort(-ious, axis=None, kind="stable"):
                i, j = divmod(int(flat), len(free))
                score = ious[i, j]
                if score <= 0:
                    break
                if i in used_t or j in used_d:
                    continue
                if score >= s.iou or _centre_close(last[i], free[j]) or _centre_close(moved[i], free[j]):
                    active[i].boxes[f] = free[j]
                    used_t.add(i)
                    used_d.add(j)
        for j, d in enumerate(free):
            if j not in used_d:
                t = Track({f: d})
                tracks.append(t)
                active.append(t)
    return tracks


def render_boxes(tracks: list[Track], n_frames: int, cuts: set[int], s: TrackSettings = TrackSettings(), path: list[Motion] | None = None) -> dict[int, list[Region]]:
    """Per-frame boxes to mask: smoothed (never smaller than the detection), bridged and held
    along the camera ``path`` (see camera_path; a still camera when None)."""
    out: dict[int, list[Region]] = {}
    path = path or [Motion()] * n_frames
    shots = _shots(n_frames, cuts)

    def shot_of(f: int) -> tuple[int, int]:
        return next((a, b) for a, b in shots if a <= f < b)

    def carried(r: Region, f: int, m: int) -> Region:
        """Box ``r`` seen on frame ``f``, where the camera has taken it by frame ``m``."""
        return path[m].after(path[f].inverse()).apply(r)

    def both(r: Region, f: int, m: int) -> list[Region]:
        """Where the camera took it, and where it was (recall first: an estimate can be wrong)."""
        moved = carried(r, f, m)
        return [moved] if moved == r else [moved, r]

    for t in tracks:
        keys = sorted(t.boxes)
        for idx, f in enumerate(keys):
            window = [carried(t.boxes[k], k, f) for k in keys[max(0, idx - s.smooth) : idx + s.smooth + 1]]
            avg = Region(
                sum(r.x0 for r in window) / len(window), sum(r.y0 for r in window) / len(window),
                sum(r.x1 for r in window) / len(window), sum(r.y1 for r in window) / len(window),
                t.boxes[f].score, t.boxes[f].source,
            )
            out.setdefault(f, []).append(_union(avg, t.boxes[f]))
            if idx + 1 < len(keys):
                g = keys[idx + 1]
                for m in range(f + 1, g):
                    a, b = carried(t.boxes[f], f, m), carried(t.boxes[g], g, m)
                    out.setdefault(m, []).append(_grow(_lerp(a, b, (m - f) / (g - f)), s.grow))
                    if path[m] != path[f] or path[m] != path[g]:
                        out[m].append(_grow(_lerp(t.boxes[f], t.boxes[g], (m - f) / (g - f)), s.grow))
        reach = s.hold if len(keys) > 1 else s.pad
        lo, hi = shot_of(t.first)
        for m in range(max(lo, t.first - reach), t.first):
            out.setdefault(m, []).extend(held(r, t.first - m, s) for r in both(t.boxes[t.first], t.first, m))
        lo, hi = shot_of(t.last)
        for m in range(t.last + 1, min(hi, t.last + reach + 1)):
            out.setdefault(m, []).extend(held(r, m - t.last, s) for r in both(t.boxes[t.last], t.last, m))
    return out


def held(r: Region, frames_away: int, s: TrackSettings = TrackSettings()) -> Region:
    """A box held ``frames_away`` frames from where it was seen, grown for the motion not seen."""
    return _grow(r, min(s.max_grow, s.grow + s.grow_per_frame * frames_away))
