"""A box a person drew on one frame becomes a track that follows the face.

From the frame the box was drawn on, outwards frame by frame in each direction: the main
detector looks in a window around where the box was (its candidates, at a low threshold, find a
face even where the masking rule did not take it); a candidate of about the box's size near it
moves the box with it. Where the detector sees nothing there, the box's own pixels are looked
for (normalised cross-correlation, so a face the detector cannot see at all is still followed).
When neither finds it for a while, the track ends there.

Keyframes (boxes a person set) are kept exactly; between two of them the box moves in a
straight line.
"""
from __future__ import annotations

from typing import Callable, Protocol

import numpy as np
from scipy.signal import fftconvolve

Box = tuple[float, float, float, float]
LOST_AFTER = 6  # frames without the face (neither detector nor pixels) before a track ends
MATCH = 0.6  # correlation the box's pixels must reach to count as found
WORK = 40.0  # the box's shorter side, in pixels, at which the pixels are compared
REACH = 900  # frames followed each way at most (30 s at 30 fps: the page waits meanwhile)


class Frames(Protocol):
    count: int

    def rgb(self, i: int) -> np.ndarray: ...


Candidates = Callable[[np.ndarray], list[Box]]


def detector_candidates(crop: np.ndarray) -> list[Box]:
    """Every candidate of the main detector in ``crop`` (one pass, not mirrored)."""
    from ..detect import face_finder

    h, w = crop.shape[:2]
    scale = min(2.0, 640 / max(h, w))
    return [(r.x0, r.y0, r.x1, r.y1) for r in face_finder().find(crop, [scale], flip=False)]


def _grey(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _shrink(a: np.ndarray, k: int) -> np.ndarray:
    if k <= 1:
        return a
    h, w = (a.shape[0] // k) * k, (a.shape[1] // k) * k
    return a[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3))


def _ncc(image: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Normalised cross-correlation of ``template`` at every position inside ``image``."""
    th, tw = template.shape
    t = template - template.mean()
    tn = np.sqrt((t * t).sum()) or 1.0
    num = fftconvolve(image, t[::-1, ::-1], mode="valid")
    ones = np.ones_like(template)
    s = fftconvolve(image, ones, mode="valid")
    s2 = fftconvolve(image * image, ones, mode="valid")
    var = np.maximum(s2 - s * s / (th * tw), 1e-6)
    return num / (np.sqrt(var) * tn)


def _clip(b: Box, w: int, h: int) -> Box:
    x0, y0, x1, y1 = b
    bw, bh = x1 - x0, y1 - y0
    x0 = min(max(x0, -bw / 2), w - bw / 2)
    y0 = min(max(y0, -bh / 2), h - bh / 2)
    return (x0, y0, x0 + bw, y0 + bh)


class Follower:
    """Follows one box through frames; ``step`` finds it in the next frame or returns None."""

    def __init__(self, frames: Frames, start: int, box: Box, candidates: Candidates = detector_candidates) -> None:
        self.frames, self.candidates = frames, candidates
        rgb = frames.rgb(start)
        self.h, self.w = rgb.shape[:2]
        self.box = box
        bw, bh = box[2] - box[0], box[3] - box[1]
        self.k = max(1, int(min(bw, bh) / WORK))
        self.template = self._patch(rgb, box)
        # how the person's box sits on the detector's face (a box drawn round a head is larger)
        self.anchor = self._nearest(self._look(rgb, box), box)

    def _patch(self, rgb: np.ndarray, b: Box) -> np.ndarray:
        x0, y0, x1, y1 = (int(round(v)) for v in b)
        x0, y0 = max(x0, 0), max(y0, 0)
        return _shrink(_grey(rgb[y0:max(y1, y0 + 1), x0:max(x1, x0 + 1)]), self.k)

    def _window(self, b: Box, grow: float = 1.0) -> tuple[int, int, int, int]:
        bw, bh = b[2] - b[0], b[3] - b[1]
        return (max(0, int(b[0] - grow * bw)), max(0, int(b[1] - grow * bh)), min(self.w, int(b[2] + grow * bw)), min(self.h, int(b[3] + grow * bh)))

    def _look(self, rgb: np.ndarray, b: Box) -> list[Box]:
        x0, y0, x1, y1 = self._window(b)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return []
        return [(c[0] + x0, c[1] + y0, c[2] + x0, c[3] + y0) for c in self.candidates(np.ascontiguousarray(rgb[y0:y1, x0:x1]))]

    @staticmethod
    def _nearest(cands: list[Box], b: Box) -> Box | None:
        """The candidate of about ``b``'s size (or a face inside it) whose centre is nearest."""
        bw, bh = b[2] - b[0], b[3] - b[1]
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        best, dist = None, 0.6 * max(bw, bh)
        for c in cands:
            ch = c[3] - c[1]
            if not 0.25 * bh <= ch <= 1.6 * bh:
                continue
            d = float(np.hypot((c[0] + c[2]) / 2 - cx, (c[1] + c[3]) / 2 - cy))
            if d < dist:
                best, dist = c, d
        return best

    def _by_detector(self, rgb: np.ndarray) -> Box | None:
        if self.anchor is None:
            return None
        a, b = self.anchor, self.box
        # predicted face where the anchor was relative to the box, then the nearest candidate
        c = self._nearest(self._look(rgb, b), a)
        if c is None:
            return None
        s = (c[3] - c[1]) / max(a[3] - a[1], 1e-6)
        s = min(max(s, 0.8), 1.25)  # a face does not change size much from one frame to the next
        ax, ay = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
        cx, cy = (c[0] + c[2]) / 2, (c[1] + c[3]) / 2
        new = (cx + (b[0] - ax) * s, cy + (b[1] - ay) * s, cx + (b[2] - ax) * s, cy + (b[3] - ay) * s)
        self.anchor = c
        return new

    def _by_pixels(self, rgb: np.ndarray) -> Box | None:
        b = self.box
        x0, y0, x1, y1 = self._window(b, 0.6)
        image = _shrink(_grey(rgb[y0:y1, x0:x1]), self.k)
        t = self.template
        if image.shape[0] < t.shape[0] or image.shape[1] < t.shape[1] or t.size < 16:
            return None
        score = _ncc(image, t)
        j, i = np.unravel_index(int(np.argmax(score)), score.shape)
        if score[j, i] < MATCH:
            return None
        nx, ny = x0 + i * self.k, y0 + j * self.k
        return (nx, ny, nx + (b[2] - b[0]), ny + (b[3] - b[1]))

    def step(self, i: int) -> Box | None:
        rgb = self.frames.rgb(i)
        found = self._by_detector(rgb)
        if found is None:
            found = self._by_pixels(rgb)
            if found is not None and self.anchor is not None:
                # the face moved with the box: the detector, when it sees it again, looks there
                dx, dy = found[0] - self.box[0], found[1] - self.box[1]
                a = self.anchor
                self.anchor = (a[0] + dx, a[1] + dy, a[2] + dx, a[3] + dy)
        if found is not None:
            self.box = _clip(found, self.w, self.h)
        return None if found is None else self.box


class Backwards:
    """Frames asked for in falling order, decoded in rising blocks (a decoder only goes forwards:
    one frame back would cost a seek from the keyframe before it, every time)."""

    BLOCK = 12

    def __init__(self, frames: Frames) -> None:
        self.frames, self.count = frames, frames.count
        self.block: dict[int, np.ndarray] = {}

    def rgb(self, i: int) -> np.ndarray:
        if i not in self.block:
            lo = max(0, i - self.BLOCK + 1)
            self.block = {j: self.frames.rgb(j) for j in range(lo, i + 1)}
        return self.block[i]


def follow(frames: Frames, start: int, box: Box, *, stop: tuple[int, int] | None = None, candidates: Candidates = detector_candidates, on_frame: Callable[[int], None] | None = None) -> dict[int, Box]:
    """The box on every frame the face can be followed to, both ways from ``start``, within
    ``stop`` (first, last) when given. A face lost for a few frames is held where it was last
    seen until it is found again; lost for LOST_AFTER frames, the track ends where it was last seen."""
    lo, hi = stop if stop is not None else (0, frames.count - 1)
    lo, hi = max(lo, start - REACH), min(hi, start + REACH)
    out: dict[int, Box] = {start: box}
    for direction, end in ((1, hi), (-1, lo)):
        f = Follower(frames if direction > 0 else Backwards(frames), start, box, candidates)
        missed: list[int] = []
        i = start + direction
        while (i <= end) if direction > 0 else (i >= end):
            if on_frame is not None:
                on_frame(i)
            found = f.step(i)
            if found is None:
                missed.append(i)
                if len(missed) >= LOST_AFTER:
                    break
            else:
                for m in missed:  # the frames it was lost on keep the box it was last seen at
                    out[m] = out[m - direction]
                missed = []
                out[i] = found
            i += direction
    return out


def between(keys: dict[int, Box]) -> dict[int, Box]:
    """Every frame from the first keyframe to the last, in a straight line between each two."""
    frames = sorted(keys)
    out: dict[int, Box] = {}
    for a, b in zip(frames, frames[1:]):
        for f in range(a, b + 1):
            t = (f - a) / (b - a)
            out[f] = tuple(float(p + (q - p) * t) for p, q in zip(keys[a], keys[b]))  # type: ignore[assignment]
    if frames:
        out[frames[-1]] = keys[frames[-1]]
    return out
