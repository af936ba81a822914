"""Box geometry shared by the detectors."""
from __future__ import annotations

import numpy as np


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-6)


def overlap_of_smaller(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over the smaller box's area: 1 when one box lies wholly inside the other."""
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return ix * iy / np.maximum(np.minimum(area_a[:, None], area_b[None, :]), 1e-6)


def span(boxes: np.ndarray) -> np.ndarray:
    """The one box spanning ``boxes`` (x0, y0, x1, y1 rows)."""
    return np.array([boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()])


def voted(box: np.ndarray, boxes: np.ndarray, scores: np.ndarray, iou: float = 0.5) -> np.ndarray | None:
    """Box voting: the score-weighted mean of the ``boxes`` overlapping ``box`` by ``iou`` or
    more (every pass of the pyramid, mirrored or not, boxes the same face a little differently;
    their mean is nearer the face than the best one alone). None when none overlaps."""
    if not len(boxes):
        return None
    near = iou_matrix(box[None, :4], boxes)[0] >= iou
    if not near.any():
        return None
    w = scores[near].astype(np.float64)
    return (boxes[near] * w[:, None]).sum(axis=0) / max(float(w.sum()), 1e-9)
