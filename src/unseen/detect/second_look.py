"""A second look at uncertain face candidates: the main detector again, on each candidate
zoomed so that a face there would be large, with its surroundings.

A leaf or a window that fooled the detector at one zoom rarely does so again at another, while
a face keeps scoring (see the README's figures and ../shared/docs/precision-notes.md). The
crops are batched: a few model runs for every candidate of a picture. A mirrored crop as well
separated faces from the rest by one point more, at twice the cost: left out.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
from PIL import Image

from ..types import Region
from .centerface import CenterFace

CROP = 96  # model input side of one crop: a candidate's box becomes a third of it (32 px)
CONTEXT = 3.0  # crop side in candidate box sides: the face with its surroundings
SEEN = 8192  # crops remembered by their pixels (a few pictures' worth)
BATCHES = (8, 16, 32, 64)  # crops per model run: few shapes, each compiled once; 64 bounds memory


def _crop(img: Image.Image, r: Region) -> np.ndarray:
    cx, cy = (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2
    half = CONTEXT * max(r.width, r.height, 1.0) / 2
    box = (round(cx - half), round(cy - half), round(cx + half), round(cy + half))
    # outside the picture reads as black, as the detector's own padding does; crop then resize
    # costs a third of an affine transform per crop
    return np.asarray(img.crop(box).resize((CROP, CROP), Image.BILINEAR, reducing_gap=3.0))


class SecondLook:
    """``scores(rgb, regions)``: for each region, the main detector's best score near the centre
    of its zoomed crop (0 to 1)."""

    def __init__(self, model: CenterFace) -> None:
        self.model = model
        self._seen: OrderedDict[bytes, float] = OrderedDict()  # crop pixels' digest -> score
        self._side = -(-CROP // 32) * 32
        # the heatmap (stride 4) cells whose peak means "a face centred on the candidate"
        self._centre = slice(CROP // 12, -(-CROP * 2 // 12))

    def scores(self, rgb: np.ndarray, regions: list[Region], memo: dict[Region, float] | None = None) -> np.ndarray:
        """``memo``: scores already taken on this same picture (the masking and the visibility
        rule look at many of the same candidates); filled with the new ones. Crops are also
        remembered by their pixels: the rendered picture differs from the input only around its
        masks, so its check looks again only there."""
        memo = {} if memo is None else memo
        todo = list(dict.fromkeys(r for r in regions if r not in memo))
        if todo:
            img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))
            crops = [_crop(img, r) for r in todo]
            keys = [hashlib.blake2b(c.tobytes(), digest_size=16).digest() for c in crops]
            new = [k for k, key in enumerate(keys) if key not in self._seen]
            for start in range(0, len(new), BATCHES[-1]):
                part = new[start : start + BATCHES[-1]]
                size = next(b for b in BATCHES if b >= len(part))
                blob = np.zeros((size, self._side, self._side, 3), dtype=np.uint8)
                for k, i in enumerate(part):
                    blob[k, :CROP, :CROP] = crops[i]
                heat = self.model.run(blob)[0][: len(part), 0, self._centre, self._centre]
                for i, score in zip(part, heat.reshape(len(part), -1).max(axis=1).tolist()):
                    self._seen[keys[i]] = score
            memo.update((r, self._seen[key]) for r, key in zip(todo, keys))
            while len(self._seen) > SEEN:
                self._seen.popitem(last=False)
        return np.array([memo[r] for r in regions], dtype=np.float32)
