"""Fuse detections from several passes (scales, flips, tiles) into one set of faces.

A true face answers consistently across passes; background noise at a low threshold rarely
does. So clusters are scored by the mean over passes of their best score (a pass that missed
counts as zero), which lets a weak but repeated response through and drops lone flickers.
"""
from __future__ import annotations

import numpy as np

from ..model import Detections, Region


def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-6)


def fuse(passes: list[Detections], accept: float, accept_single: float, iou: float = 0.3) -> Detections:
    """Cluster boxes across passes; keep a cluster when its pass-mean score >= ``accept`` or
    any one member scores >= ``accept_single``. The kept box spans its confident members."""
    tagged = [(r, k) for k, p in enumerate(passes) for r in p]
    if not tagged:
        return Detections()
    tagged.sort(key=lambda t: -t[0].score)
    boxes = np.array([[r.x0, r.y0, r.x1, r.y1] for r, _ in tagged], dtype=np.float32)
    ious = _iou_matrix(boxes, boxes)
    taken = np.zeros(len(tagged), dtype=bool)
    out: list[Region] = []
    n = len(passes)
    for i in range(len(tagged)):
        if taken[i]:
            continue
        members = np.nonzero((ious[i] >= iou) & ~taken)[0]
        taken[members] = True
        best = np.zeros(n, dtype=np.float32)
        for m in members:
            r, k = tagged[m]
            best[k] = max(best[k], r.score)
        top = tagged[i][0]
        mean = float(best.sum() / n)
        if mean < accept and top.score < accept_single:
            continue
        # members scoring at least half the top one shape the box; weaker ones are often misplaced
        strong = [tagged[m][0] for m in members if tagged[m][0].score >= 0.5 * top.score]
        wts = np.array([r.score for r in strong])
        b = np.array([[r.x0, r.y0, r.x1, r.y1] for r in strong])
        x0, y0, x1, y1 = (b * wts[:, None]).sum(0) / wts.sum()
        out.append(Region(float(x0), float(y0), float(x1), float(y1), max(mean, top.score), top.source))
    return Detections(out)
