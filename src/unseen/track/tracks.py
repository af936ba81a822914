"""Regions across video frames: association, camera motion, gap bridging, holding in time.

Only boxes are kept (never pixels), so memory does not grow with the video's length or
resolution. A scene cut ends every track: a mask is never dragged into the next shot.

Boxes outside the frames a face was detected on follow the camera: the motion between analysed
frames (scale and shift) is estimated from the faces found on both (match_motion), so a crowd
filmed by a panning, zooming camera stays covered between and beyond detections. Beyond a
track's ends a face stays covered until the evidence says it left: a cut, or a frame the
detector searched at a zoom where that face would have been plain to see and found nothing
(a confident miss), unless the detector also missed it while it was there. Without such
evidence (small faces, frames not searched) it is held for a set time.

A hand-held camera shakes faster than the frames searched: where the analysis measured the
whole picture's shift on every frame (track.shake), a box bridged between two sightings or held
beyond them is moved with it, sightings are averaged where it took them, and the tracker links
a face to where the picture moved it when the faces tell no path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from ..detect.boxes import iou_matrix
from ..types import Region
from .shake import positions


@dataclass(frozen=True)
class TrackSettings:
    iou: float = 0.15  # association threshold between a track's last box and a new detection
    max_gap: int = 12  # frames a track may go undetected and still be bridged
    pad: int = 6  # frames held before and after a track seen on one analysed frame only, without a confident miss
    hold: int = 50  # the same for a track seen on two or more (the video pipeline sets seconds)
    grow: float = 0.05  # margin on bridged and held boxes (the tracker's box is an estimate)
    grow_per_frame: float = 0.005  # and more the further a held box is from its detection (the person moves)
    max_grow: float = 0.25
    smooth: int = 2  # detections on each side averaged for a steadier box
    min_pairs: int = 3  # faces agreeing between two analysed frames needed to trust a camera motion
    # a face at least this tall at the detector's input (its apparent height: see _apparent) is
    # found nearly always: a frame searched at such a zoom with no detection there means the
    # face has gone (turned, hidden, left)
    sure_miss: float = 40.0
    # ...unless the detector already missed this face at such a zoom while it was there (between
    # two sightings): a squeezed, turned or dim face it finds one frame in two. Such a face is
    # held the whole hold (synthetic clips: 91 -> 81 faces ever exposed, many on a clip's first
    # frame, the one a messenger shows as the preview, for 0.9 points more collateral)
    distrust_misses: bool = True


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


def _centres(boxes: list[Region]) -> np.ndarray:
    """(centre x, centre y, height) of each box."""
    return np.array([[(r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2, r.height] for r in boxes], dtype=np.float64).reshape(-1, 3)


def _fit(a: np.ndarray, b: np.ndarray, min_pairs: int) -> Motion | None:
    """The motion carrying centres ``a`` onto ``b`` (matched rows), or None when they disagree.

    The zoom comes from how the distances between faces grow or shrink: box heights alone mislead,
    because the detector's boxes change size with the scale it ran at (key frames run upscaled:
    their boxes come out about 13% taller than the same faces' on the frames between)."""
    if len(a) < min_pairs:
        return None
    height = float(np.median(np.concatenate([a[:, 2], b[:, 2]])))
    if len(a) > 150:  # a sample of the pairs of faces is enough for a median
        rng = np.random.default_rng(0)
        p, q = rng.integers(0, len(a), 20000), rng.integers(0, len(a), 20000)
    else:
        p, q = np.triu_indices(len(a), 1)
    da = np.hypot(*(a[p, :2] - a[q, :2]).T)
    db = np.hypot(*(b[p, :2] - b[q, :2]).T)
    far = da > 3 * height  # faces far enough apart for their distance to tell the zoom
    if int(far.sum()) >= min_pairs:
        s = float(np.median(db[far] / da[far]))
    else:
        s = float(np.median(b[:, 2] / np.maximum(a[:, 2], 1e-6)))
    s = float(np.clip(s, 0.67, 1.5))
    shift = np.median(b[:, :2] - s * a[:, :2], axis=0)
    err = np.hypot(*(b[:, :2] - s * a[:, :2] - shift).T) / np.maximum(b[:, 2], 1.0)
    if float(np.median(err)) > 0.25:
        return None
    return Motion(s, float(shift[0]), float(shift[1]))


def estimate_motion(pairs: list[tuple[Region, Region]], min_pairs: int = 3) -> Motion | None:
    """The camera motion that carries boxes ``a`` onto boxes ``b``, or None when the faces do
    not agree (people moving on their own) or are too few to tell."""
    return _fit(_centres([p for p, _ in pairs]), _centres([q for _, q in pairs]), min_pairs)


def _agreeing(m: Motion, ca: np.ndarray, cb: np.ndarray, tolerance: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``ca`` and ``cb`` that ``m`` carries onto each other (within ``tolerance`` of a
    face's height), one to one, closest first."""
    moved = ca[:, :2] * m.s + (m.dx, m.dy)
    dist = np.hypot(moved[:, None, 0] - cb[None, :, 0], moved[:, None, 1] - cb[None, :, 1]) / np.maximum(cb[None, :, 2], 1.0)
    nearest = dist.argmin(1)
    gap = dist[np.arange(len(ca)), nearest]
    taken = np.zeros(len(cb), dtype=bool)
    ii, jj = [], []
    for i in np.argsort(gap, kind="stable"):
        if gap[i] >= tolerance:
            break
        if not taken[nearest[i]]:
            taken[nearest[i]] = True
            ii.append(int(i))
            jj.append(int(nearest[i]))
    return np.array(ii, dtype=int), np.array(jj, dtype=int)


VOTE_SCALES = np.exp(np.linspace(np.log(0.8), np.log(1.25), 31))  # zooms tried between two analysed frames (1.5% apart)
VOTERS = 80  # the best-scored faces of each frame vote (false detections score low)
STILL_SUPPORT = 1.0  # a still camera is kept when it carries this share of the faces a motion carries
# A camera's motion moves most of what is in view. One carried by fewer than this share of the
# sparser frame's detections is believed as a pan at most, never as a zoom: on a tripod clip
# (opencv-doc's vtest.avi) two couples walking their own ways were fitted as a zoom, and the
# "camera" drifted 2.5x out over the clip with every held mask (60 of 264 analysed-frame pairs
# wrong, 8 now, each a few pixels' pan: bench/motion.py). Declining such motions outright fixed
# more of them, but also declined real pans of a few faces among flickering faint detections.
MOTION_SHARE = 0.4


def match_motion(a: list[Region], b: list[Region], min_pairs: int = 3) -> Motion | None:
    """The camera motion between two frames' detections, without knowing which face is which.

    Every pairing of a face in ``a`` with a face of similar size in ``b`` votes for the shift it
    implies, at each zoom tried; the cell with the most faces agreeing wins (a Hough vote: it
    finds the camera's motion among hundreds of crowd faces and false detections, where sampling
    pairings at random rarely hits a right one), and the motion is then fitted to all the faces
    it carries onto one another (only as a pan when they are under ``MOTION_SHARE`` of the
    detections). None when fewer than ``min_pairs`` agree, or a still camera explains as much."""
    if len(a) < min_pairs or len(b) < min_pairs:
        return None
    ca, cb = _centres(a), _centres(b)
    va = ca[np.argsort([-r.score for r in a], kind="stable")[:VOTERS]]
    vb = cb[np.argsort([-r.score for r in b], kind="stable")[:VOTERS]]
    ratio = vb[None, :, 2] / np.maximum(va[:, None, 2], 1e-6)
    ii, jj = np.nonzero((ratio > 0.67) & (ratio < 1.5))
    if len(ii) < min_pairs:
        return None
    cell = max(4.0, 0.3 * float(np.median(np.concatenate([ca[:, 2], cb[:, 2]]))))
    votes, best = 0, Motion()
    for s in VOTE_SCALES:
        shift = vb[jj, :2] - s * va[ii, :2]
        for offset in (0.0, 0.5):  # two staggered grids: a peak on one grid's cell edge is whole in the other
            k = np.floor(shift / cell + offset).astype(np.int64) + 100000
            cells = np.unique((k[:, 0] * 200001 + k[:, 1]) * 1000 + ii) // 1000  # one vote per face of ``a``
            found, counts = np.unique(cells, return_counts=True)
            top = int(counts.argmax())
            if counts[top] > votes:
                kx, ky = divmod(int(found[top]), 200001)
                votes = int(counts[top])
                best = Motion(float(s), (kx - 100000 + 0.5 - offset) * cell, (ky - 100000 + 0.5 - offset) * cell)
    if votes < min_pairs:
        return None
    m: Motion | None = best
    for tolerance in (0.6, 0.3, 0.3):  # refit over every face the motion carries onto another, closer each time
        i, j = _agreeing(m, ca, cb, tolerance)
        if len(i) < min_pairs:
            return None
        m = _fit(ca[i], cb[j], min_pairs)
        if m is None:
            return None
    # A still camera explains as much: keep it. Faces that walk the same way (a crowd towards
    # the camera) agree on a "motion" of their own, and small false motions add up along the path.
    i, j = _agreeing(m, ca, cb)
    if len(i) < MOTION_SHARE * min(len(a), len(b)):
        # a few faces: believed as a pan at most (their median shift), never as a zoom
        shift = np.median(cb[j, :2] - ca[i, :2], axis=0)
        m = Motion(1.0, float(shift[0]), float(shift[1]))
        i, j = _agreeing(m, ca, cb)
        if len(i) < min_pairs:
            return None
    if len(_agreeing(Motion(), ca, cb)[0]) >= STILL_SUPPORT * len(i):
        return None
    return m


# a camera path that changes scale by less than this between two frames does not zoom: a
# picture's measured shift is taken for every face's in it
ZOOMLESS = 0.01


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


def link(detections: dict[int, list[Region]], cuts: set[int], s: TrackSettings = TrackSettings(), path: list[Motion] | None = None, moves: list[tuple[float, ...]] | None = None) -> list[Track]:
    """Greedy association, frame by frame; ``cuts`` holds the first frame of every new shot.
    With the camera ``path``, a track's last box is first carried to where the camera took it;
    with the picture's measured ``moves`` (track.shake.Moves), also to where the picture moved
    (a hand-held camera: the faces a frame apart were too few or too shaken to tell the path)."""
    pos, unsure = positions(moves) if moves else (None, None)
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
            used_t: set[int] = set()
            _pair(active, free, f, (last, moved), used_t, used_d, s)
            # then, for what is left, where the picture's measured moves took it, where every
            # one was sure and the faces told no motion (in a crowd whose faces give the
            # camera's path, the picture's own shift linked neighbours' sightings together)
            if pos is not None and f < len(pos) and len(used_t) < len(active) and len(used_d) < len(free):
                shifted = [
                    Motion(1.0, *(pos[f] - pos[t.last])).apply(r) if unsure[f] == unsure[t.last] and (path is None or path[f] == path[t.last]) else r
                    for t, r in zip(active, last)
                ]
                _pair(active, free, f, (shifted,), used_t, used_d, s)
        for j, d in enumerate(free):
            if j not in used_d:
                t = Track({f: d})
                tracks.append(t)
                active.append(t)
    return tracks


def _pair(active: list[Track], free: list[Region], f: int, where: tuple[list[Region], ...], used_t: set[int], used_d: set[int], s: TrackSettings) -> None:
    """Link tracks not yet used to detections on frame ``f`` not yet used, best overlap first,
    each track's last box taken at the best of its places ``where``."""
    new = np.array([[r.x0, r.y0, r.x1, r.y1] for r in free], dtype=np.float32)
    ious = np.maximum.reduce([iou_matrix(np.array([[r.x0, r.y0, r.x1, r.y1] for r in rs], dtype=np.float32), new) for rs in where])
    for flat in np.argsort(-ious, axis=None, kind="stable"):
        i, j = divmod(int(flat), len(free))
        score = ious[i, j]
        if score <= 0:
            break
        if i in used_t or j in used_d:
            continue
        if score >= s.iou or any(_centre_close(rs[i], free[j]) for rs in where):
            active[i].boxes[f] = free[j]
            used_t.add(i)
            used_d.add(j)


def render_boxes(tracks: list[Track], n_frames: int, cuts: set[int], s: TrackSettings = TrackSettings(), path: list[Motion] | None = None, looked: dict[int, float] | None = None, seen: dict[int, list[Region]] | None = None, moves: list[tuple[float, ...]] | None = None) -> dict[int, list[Region]]:
    """Per-frame boxes to mask, every track's together (see track_boxes)."""
    out: dict[int, list[Region]] = {}
    for boxes in track_boxes(tracks, n_frames, cuts, s, path, looked, seen, moves):
        for f, r in boxes.items():
            out.setdefault(f, []).append(r)
    return out


def track_boxes(tracks: list[Track], n_frames: int, cuts: set[int], s: TrackSettings = TrackSettings(), path: list[Motion] | None = None, looked: dict[int, float] | None = None, seen: dict[int, list[Region]] | None = None, moves: list[tuple[float, ...]] | None = None, followed: list[set[int]] | None = None) -> list[dict[int, Region]]:
    """Each track's box on every frame it masks: smoothed (never smaller than the detection),
    bridged and held along the camera ``path`` (see camera_path; a still camera when None).
    ``moves``: the picture's measured shift on every frame (track.shake.Moves): between two
    sightings a bridged box is moved as far off their straight line as the picture strayed
    (a hand-held camera's shake, faster than the frames searched), where every shift on the
    way was sure, the face's own move between them is the picture's (within half its height:
    a near passer-by can move most of the picture while the faces behind stay put) and the
    faces' path does not zoom there; a box held beyond the sightings goes where the picture
    moved since (where every shift was sure and the path does not zoom); ``followed``, when
    given, gets for each track the frames its box is where the face is, shaken camera or not:
    its sightings and those bridged so.
    ``looked``: the frames the detector searched, with the scale it searched them at; ``seen``:
    everything it found there, whatever its score. A track's hold ends at a searched frame
    where the face would have been at least ``s.sure_miss`` px tall and nothing at all was
    found near it, unless (``s.distrust_misses``) the detector missed the face so on a frame
    between two of its sightings."""
    path = path or [Motion()] * n_frames
    pos, unsure = positions(moves) if moves and len(moves) >= n_frames else (None, None)
    looked = looked or {}
    seen = seen or {}
    shots = _shots(n_frames, cuts)

    def shot_of(f: int) -> tuple[int, int]:
        return next((a, b) for a, b in shots if a <= f < b)

    def carried(r: Region, f: int, m: int) -> Region:
        """Box ``r`` seen on frame ``f``, where the camera has taken it by frame ``m``."""
        return path[m].after(path[f].inverse()).apply(r)

    def shifted(r: Region, f: int, m: int) -> Region:
        """Box ``r`` of frame ``f`` carried to frame ``m``, centred where the picture's measured
        moves took it when every one on the way was sure and the faces' path does not zoom
        (a shift measured at the picture's middle is not a face's off it, under a zoom): a
        shaken camera's sightings average to the face, not to a box spread over the shake."""
        c = carried(r, f, m)
        if pos is None or unsure[max(f, m)] != unsure[min(f, m)] or abs(path[m].s / path[f].s - 1.0) > ZOOMLESS:
            return c
        return _recentred(c, r, *(pos[m] - pos[f]))

    def missed(there: Region, m: int) -> bool:
        """Frame ``m`` was searched at a zoom where a face at ``there`` is plain to see, and
        nothing at all was found near it."""
        return m in looked and _apparent(there) * looked[m] >= s.sure_miss and not any(there.iou(r) > 0.1 for r in seen.get(m, []))

    def missed_while_there(t: Track) -> bool:
        """The detector missed this face at such a zoom on a frame between two of its sightings:
        for this face, a miss is no evidence that it left (a squeezed, turned or dim face)."""
        keys = sorted(t.boxes)
        for f, g in pairwise(keys):
            for m in range(f + 1, g):
                if m in looked and missed(_lerp(carried(t.boxes[f], f, m), carried(t.boxes[g], g, m), (m - f) / (g - f)), m):
                    return True
        return False

    def hold_until(t: Track, step: int) -> tuple[int, int]:
        """The last frame (step -1: the first) a track's face is held to beyond its end: where
        a confident miss ends it, and where the set hold would."""
        end = t.last if step > 0 else t.first
        lo, hi = shot_of(end)
        reach = s.hold if len(t.boxes) > 1 else s.pad
        limit = min(hi - 1, end + reach) if step > 0 else max(lo, end - reach)
        for m in range(end + step, limit + step, step):
            if missed(shifted(t.boxes[end], end, m), m):
                return m - step, limit  # searched where the face would show, and nothing there: it left
        return limit, limit

    result = []
    for t in tracks:
        out: dict[int, Region] = {}
        keys = sorted(t.boxes)
        steady = set(keys)
        for idx, f in enumerate(keys):
            window = [shifted(t.boxes[k], k, f) for k in keys[max(0, idx - s.smooth) : idx + s.smooth + 1]]
            avg = Region(
                sum(r.x0 for r in window) / len(window), sum(r.y0 for r in window) / len(window),
                sum(r.x1 for r in window) / len(window), sum(r.y1 for r in window) / len(window),
                t.boxes[f].score, t.boxes[f].source,
            )
            out[f] = _union(avg, t.boxes[f])
            if idx + 1 < len(keys):
                g = keys[idx + 1]
                shaken = pos is not None and _moved_with_picture(t.boxes[f], t.boxes[g], pos[g] - pos[f]) and unsure[g] == unsure[f]
                shaken = shaken and all(abs(path[m].s / path[f].s - 1.0) <= ZOOMLESS for m in range(f + 1, g + 1))
                if shaken:
                    steady.update(range(f + 1, g))
                for m in range(f + 1, g):
                    a, b = carried(t.boxes[f], f, m), carried(t.boxes[g], g, m)
                    box = _lerp(a, b, (m - f) / (g - f))
                    if shaken:  # centred where the picture took the face, off the sightings' line
                        plain = _lerp(t.boxes[f], t.boxes[g], (m - f) / (g - f))
                        box = _recentred(box, plain, *(pos[m] - pos[f] - (pos[g] - pos[f]) * (m - f) / (g - f)))
                    out[m] = _grow(box, s.grow)
        (first, first_set), (last, last_set) = hold_until(t, -1), hold_until(t, 1)
        # the (costlier) look between sightings only where a miss would cut a hold short
        if s.distrust_misses and (first, last) != (first_set, last_set) and missed_while_there(t):
            first, last = first_set, last_set
        # held boxes go where the picture's measured moves took the face, as sightings do (a
        # hand-held camera shook held faces out of their boxes; plans alone, bench/walkers.py
        # --shake 20: 134 -> 113 face-frames exposed, 19 -> 18 faces; video_collateral.py,
        # squeezed: 62 -> 54 faces ever exposed, but 1349 -> 1440 face-frames, the banner clip's
        # zoom, which the few faces found there do not tell, moving its held faces off the
        # picture's middle; collateral a little lower on every set)
        for m in range(first, t.first):
            out[m] = held(shifted(t.boxes[t.first], t.first, m), t.first - m, s)
        for m in range(t.last + 1, last + 1):
            out[m] = held(shifted(t.boxes[t.last], t.last, m), m - t.last, s)
        result.append(out)
        if followed is not None:
            followed.append(steady)
    return result


# CenterFace boxes faces in their true shape at least this wide for their height (95 in 100
# sure faces of WIDER photos): a narrower box is a face squeezed sideways (a banner filmed at an
# angle), which the detector finds only as well as a face of its width
FACE_ASPECT = 0.7


def _apparent(r: Region) -> float:
    """The height of a face as the detector can see it: its box's, or less when squeezed."""
    return min(r.height, r.width / FACE_ASPECT)


def _recentred(box: Region, like: Region, dx: float, dy: float) -> Region:
    """``box`` moved so that its centre is ``like``'s moved by (dx, dy)."""
    return Motion(1.0, (like.x0 + like.x1 - box.x0 - box.x1) / 2 + dx, (like.y0 + like.y1 - box.y0 - box.y1) / 2 + dy).apply(box)


def _moved_with_picture(a: Region, b: Region, picture: np.ndarray) -> bool:
    """Face ``a`` moved to ``b`` as the whole picture moved (within half the face's height)."""
    dx = (b.x0 + b.x1 - a.x0 - a.x1) / 2 - picture[0]
    dy = (b.y0 + b.y1 - a.y0 - a.y1) / 2 - picture[1]
    return bool(np.hypot(dx, dy) <= 0.5 * max(a.height, b.height))


def held(r: Region, frames_away: int, s: TrackSettings = TrackSettings()) -> Region:
    """A box held ``frames_away`` frames from where it was seen, grown a little for the motion
    not seen (capped: a box that keeps growing blacks out the film, not the face)."""
    return _grow(r, min(s.max_grow, s.grow + s.grow_per_frame * frames_away))
