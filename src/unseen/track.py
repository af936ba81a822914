"""Regions across video frames: association, gap bridging, padding in time, smoothing.

Only boxes are kept (never pixels), so memory does not grow with the video's resolution and
stays small per frame. A scene cut ends every track: a mask is never dragged into the next shot.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .detect.boxes import iou_matrix
from .model import Region


@dataclass(frozen=True)
class TrackSettings:
    iou: float = 0.15  # association threshold between a track's last box and a new detection
    max_gap: int = 12  # frames a track may go undetected and still be bridged
    pad: int = 6  # frames masked before a track's first and after its last detection
    grow: float = 0.10  # extra margin on bridged and padded boxes (motion we did not see)
    smooth: int = 2  # detections on each side averaged for a steadier box


@dataclass
class Track:
    boxes: dict[int, Region] = field(default_factory=dict)  # filled in increasing frame order

    @property
    def first(self) -> int:
        return next(iter(self.boxes))

    @property
    def last(self) -> int:
        return next(reversed(self.boxes))


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


def link(detections: dict[int, list[Region]], cuts: set[int], s: TrackSettings = TrackSettings()) -> list[Track]:
    """Greedy association, frame by frame; ``cuts`` holds the first frame of every new shot."""
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
            ious = iou_matrix(
                np.array([[r.x0, r.y0, r.x1, r.y1] for r in last], dtype=np.float32),
                np.array([[r.x0, r.y0, r.x1, r.y1] for r in free], dtype=np.float32),
            )
            used_t: set[int] = set()
            for flat in np.argsort(-ious, axis=None, kind="stable"):
                i, j = divmod(int(flat), len(free))
                score = ious[i, j]
                if score <= 0:
                    break
                if i in used_t or j in used_d:
                    continue
                if score >= s.iou or _centre_close(last[i], free[j]):
                    active[i].boxes[f] = free[j]
                    used_t.add(i)
                    used_d.add(j)
        for j, d in enumerate(free):
            if j not in used_d:
                t = Track({f: d})
                tracks.append(t)
                active.append(t)
    return tracks


def render_boxes(tracks: list[Track], n_frames: int, cuts: set[int], s: TrackSettings = TrackSettings()) -> dict[int, list[Region]]:
    """Per-frame boxes to mask: smoothed (never smaller than the detection), bridged, padded."""
    out: dict[int, list[Region]] = {}
    bounds = sorted({0, *cuts, n_frames})

    def shot_of(f: int) -> tuple[int, int]:
        for a, b in zip(bounds, bounds[1:]):
            if a <= f < b:
                return a, b
        return 0, n_frames

    for t in tracks:
        keys = sorted(t.boxes)
        for idx, f in enumerate(keys):
            window = [t.boxes[k] for k in keys[max(0, idx - s.smooth) : idx + s.smooth + 1]]
            avg = Region(
                sum(r.x0 for r in window) / len(window), sum(r.y0 for r in window) / len(window),
                sum(r.x1 for r in window) / len(window), sum(r.y1 for r in window) / len(window),
                t.boxes[f].score, t.boxes[f].source,
            )
            out.setdefault(f, []).append(_union(avg, t.boxes[f]))
            if idx + 1 < len(keys):
                g = keys[idx + 1]
                a, b = t.boxes[f], t.boxes[g]
                for m in range(f + 1, g):
                    out.setdefault(m, []).append(_grow(_lerp(a, b, (m - f) / (g - f)), s.grow))
        lo, hi = shot_of(t.first)
        first, last = t.boxes[keys[0]], t.boxes[keys[-1]]
        for m in range(max(lo, t.first - s.pad), t.first):
            out.setdefault(m, []).append(_grow(first, s.grow))
        lo, hi = shot_of(t.last)
        for m in range(t.last + 1, min(hi, t.last + s.pad + 1)):
            out.setdefault(m, []).append(_grow(last, s.grow))
    return out
