"""The main detector on a few places of a picture, each zoomed so that a head there is about a
third of a 128-px crop: where a tracked face is on a frame the analysis did not search.

Between searched frames a track's box follows the camera's path as the analysis estimated it
from the frames it searched (one in three): a camera shaken faster than that, as a hand-held
phone is, moves a small face out from under its box for a frame or two, and the whole-frame
search before encoding, at the analysis's mid-frame size, is too coarse to see a face that
small. Searching only around each tracked head, at that head's zoom, finds it at a few
crops' cost (`bench/walkers.py --shake`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from typing import TYPE_CHECKING

from ..types import Detections, Region
from .centerface import CenterFace

if TYPE_CHECKING:
    from .judge import FaceJudge

# model input side of one crop (a multiple of 32: no padding), a head a third of it (a face of
# about 26 px; at 96 px, a face of 19, a 40-px head shaken at 1080p was bare on 10 frames of 50
# instead of none); and crops per model run, few shapes: each is compiled once
SIDE = 128
BATCHES = (4, 16, 64)
CONTEXT = 3.0  # crop side in head heights: the head and a head's height of travel each side
# a face found in a crop is the tracked one when about its size: the detector's face box is
# about 1/1.65 of the head a track masks (see Region.head)
FACE_OF_HEAD = 1 / 1.65
SIZE_RANGE = (0.5, 2.0)


@dataclass
class Crops:
    """Tracked heads and the crops they are looked for in: ``group[k]`` is head k's crop. Heads
    over one face (a face the tracker lost and found again, held both ways) share the crop of
    the smallest of them: its zoom shows the others' faces at least as large."""

    heads: list[Region]
    boxes: list[tuple[float, float, float, float]]
    group: list[int]
    pixels: np.ndarray


def _shares(h: Region, c: Region) -> bool:
    """Whether head ``h`` is looked for in the crop of ``c`` (no larger): centred near it and
    not much larger (its face in full view there)."""
    return h.height <= c.height / 0.6 and abs((h.x0 + h.x1 - c.x0 - c.x1) / 2) <= 0.5 * c.height and abs((h.y0 + h.y1 - c.y0 - c.y1) / 2) <= 0.5 * c.height


def shrink(heads: list[Region]) -> float:
    """The scale the picture may be shrunk by before its crops are cut: no crop is then brought
    up to SIDE from fewer pixels than it had (a 4K frame need not be copied whole)."""
    return min(1.0, SIDE / (CONTEXT * max(1.0, min(h.height for h in heads))))


def crops(rgb: np.ndarray, heads: list[Region], aspect: float = 1.0, scale: float = 1.0) -> Crops:
    """The heads' crops, each square as shown (``aspect``: the upright picture's pixels' width
    as shown), CONTEXT head heights a side, resized to SIDE x SIDE (outside the picture reads
    as black, as the detector's own padding does). ``rgb``: the upright picture shrunk by
    ``scale`` (see shrink); heads and crop boxes are in the picture's own pixels."""
    order = sorted(range(len(heads)), key=lambda k: heads[k].area)
    group = [-1] * len(heads)
    boxes: list[tuple[float, float, float, float]] = []
    for k in order:
        if group[k] >= 0:
            continue
        c = heads[k]
        for j in order:
            if group[j] < 0 and _shares(heads[j], c):
                group[j] = len(boxes)
        cx, cy = (c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2
        half_h = CONTEXT * max(c.height, 1.0) / 2
        boxes.append((cx - half_h / aspect, cy - half_h, cx + half_h / aspect, cy + half_h))
    img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))
    pixels = np.zeros((len(boxes), SIDE, SIDE, 3), np.uint8)
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        x0, y0, x1, y1 = x0 * scale, y0 * scale, x1 * scale, y1 * scale
        box = (round(x0), round(y0), max(round(x1), round(x0) + 1), max(round(y1), round(y0) + 1))
        pixels[k] = np.asarray(img.crop(box).resize((SIDE, SIDE), Image.BILINEAR, reducing_gap=3.0))
    return Crops(heads, boxes, group, pixels)


def refound(model: CenterFace, c: Crops, threshold: float = 0.15) -> list[Region | None]:
    """For each head (tracked there, not seen there), the face the detector finds in its crop
    of about the tracked face's size, the one nearest where the track put it; None where there
    is none. Boxes in the picture's pixels."""
    found: list[list[Region]] = []
    for start in range(0, len(c.boxes), BATCHES[-1]):
        part = c.pixels[start : start + BATCHES[-1]]
        size = next(b for b in BATCHES if b >= len(part))
        blob = np.zeros((size, SIDE, SIDE, 3), np.uint8)
        blob[: len(part)] = part
        for k, faces in enumerate(model.detect_batch(blob, threshold)[: len(part)]):
            x0, y0, x1, y1 = c.boxes[start + k]
            found.append([r.scaled((x1 - x0) / SIDE, (y1 - y0) / SIDE).shifted(x0, y0) for r in faces])
    out: list[Region | None] = []
    for head, g in zip(c.heads, c.group):
        face = head.height * FACE_OF_HEAD
        cx, cy = (head.x0 + head.x1) / 2, (head.y0 + head.y1) / 2
        near = [r for r in found[g] if SIZE_RANGE[0] * face <= r.height <= SIZE_RANGE[1] * face]
        out.append(min(near, key=lambda r: ((r.x0 + r.x1) / 2 - cx) ** 2 + ((r.y0 + r.y1) / 2 - cy) ** 2, default=None))
    return out


def judged(judge: "FaceJudge", c: Crops, faces: list[tuple[int, Region]]) -> list[Region]:
    """Of ``faces`` (head index, face found for it by ``refound``), those the judge calls faces
    on their crop, as it judges any candidate of their size in the picture: a track's box can
    lie on a coat or a crest, and its crop then holds nothing better than another such."""
    by_crop: dict[int, list[Region]] = {}
    for k, face in faces:
        by_crop.setdefault(c.group[k], []).append(face)
    out = []
    for g, found in by_crop.items():
        x0, y0, x1, y1 = c.boxes[g]
        sx, sy = SIDE / (x1 - x0), SIDE / (y1 - y0)
        found = list(dict.fromkeys(found))  # heads over one face found it once
        local = [face.shifted(-x0, -y0).scaled(sx, sy) for face in found]
        # the judge relabels what it looked at twice: its faces are told apart by their place
        verdict = judge.candidates(c.pixels[g], Detections(local), scale=sy)
        kept = {(r.x0, r.y0, r.x1, r.y1) for r in verdict.faces}
        out += [face for face, r in zip(found, local) if (r.x0, r.y0, r.x1, r.y1) in kept]
    return out
