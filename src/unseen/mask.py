"""Opaque masks over regions: a rounded head shape over each face (a box for hand-drawn
regions); on lossy codecs every block the shape touches is covered whole."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageFilter

from .i18n import N_
from .types import Region

FILLS = ("solid", "noise", "blur", "pixelate")
WEAK_FILLS = {"blur", "pixelate"}
WEAK_WARNING = N_(
    "blur and pixelate are not protection: trained networks recognise faces hidden that way "
    "and can partly reverse them; use --fill solid or --fill noise for anyone at risk"
)


@dataclass(frozen=True)
class MaskStyle:
    fill: str = "solid"
    color: tuple[int, int, int] = (0, 0, 0)
    grid: int = 1  # block size masks grow out to; the handler picks it per output codec
    # the output keeps a palette of at most 256 colours (GIF): noise is drawn in greys, which
    # the palette keeps nearly exactly (random colours came back 20 levels off on average)
    palette: bool = False

    def __post_init__(self) -> None:
        if self.fill not in FILLS:
            raise ValueError(f"unknown fill {self.fill!r}; choose one of {', '.join(FILLS)}")


# The head shape: a superellipse |x|^n + |y|^n <= 1 inscribed in the head box. n = 2 is an
# ellipse (78.5% of the box); 3 keeps more of the corners, where hair and a tilted chin reach
# (88%): see bench/faces.py and the README for the figures that chose it.
HEAD_EXPONENT = 3.0

Area = tuple[tuple[int, int, int, int], "np.ndarray | None"]
CACHED_CELLS = 1 << 16  # larger shapes (a close-up at pixel precision) are computed afresh


def _axis(lo: int, hi: int, centre: float, half: float, step: int) -> np.ndarray:
    """Along one axis, for each cell of ``step`` pixels from ``lo`` to ``hi``: the shape's
    normalised distance from ``centre`` to the cell's nearest point, to the power of the shape's
    exponent (0 where the cell holds the centre)."""
    starts = np.arange(lo, hi, step, dtype=np.float64)
    ends = np.minimum(starts + step, hi)
    # pixel centres with half a pixel of slack: a cell's pixels reach from its start to its end
    near = np.clip(centre, starts, ends)
    return (np.abs(near - centre) / half) ** HEAD_EXPONENT


def region_mask(r: Region, width: int, height: int, grid: int) -> Area:
    """The pixels ``r`` covers: its box grown to the grid and clipped, and within it the shape
    (None: the whole box). A head's shape is computed from the unclipped box, so a face at the
    picture's edge is covered as far as it shows. With a grid, every block (aligned to the
    picture's origin) the shape touches is covered whole: on a lossy codec a block holding part
    of a face would carry its residue past the mask's edge. The shape is convex and symmetric,
    so a cell touches it exactly when the cell's point nearest the centre lies inside."""
    box = r.pixel_box(width, height, grid)
    x0, y0, x1, y1 = box
    if r.shape != "head" or x1 <= x0 or y1 <= y0:
        return box, None
    small = (-(-(x1 - x0) // grid)) * (-(-(y1 - y0) // grid)) <= CACHED_CELLS
    cells = _cells(r, box, grid) if small else _cells.__wrapped__(r, box, grid)
    inside = np.repeat(np.repeat(cells, grid, axis=0), grid, axis=1)[: y1 - y0, : x1 - x0] if grid > 1 else cells
    return box, inside


@lru_cache(maxsize=1024)  # a render, its verification and the face check ask for the same regions
def _cells(r: Region, box: tuple[int, int, int, int], grid: int) -> np.ndarray:
    """Which grid cells of ``box`` the head shape touches (a few KB: the cache stays small)."""
    x0, y0, x1, y1 = box
    cx, cy = (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2
    ax, ay = max(r.width / 2, 0.5), max(r.height / 2, 0.5)
    cells = _axis(y0, y1, cy, ay, grid)[:, None] + _axis(x0, x1, cx, ax, grid)[None, :] <= 1.0
    cells.setflags(write=False)  # shared through the cache
    return cells


def mask_areas(regions: list[Region], width: int, height: int, grid: int) -> list[Area]:
    """What each region covers (see region_mask); empty ones dropped."""
    out = []
    for r in regions:
        box, inside = region_mask(r, width, height, grid)
        # a head whose shape misses the picture altogether (its corner box clipped in) covers nothing
        if box[2] > box[0] and box[3] > box[1] and (inside is None or inside.any()):
            out.append((box, inside))
    return out


def coverage(regions: list[Region], width: int, height: int, grid: int) -> np.ndarray:
    m = np.zeros((height, width), dtype=bool)
    for (x0, y0, x1, y1), inside in mask_areas(regions, width, height, grid):
        if inside is None:
            m[y0:y1, x0:x1] = True
        else:
            m[y0:y1, x0:x1] |= inside
    return m


def fill_area(plane: np.ndarray, area: Area, value: "np.ndarray | int") -> None:
    """Write ``value`` into ``plane`` (H x W or H x W x C) wherever ``area`` covers."""
    (x0, y0, x1, y1), inside = area
    if inside is None:
        plane[y0:y1, x0:x1] = value
    else:
        plane[y0:y1, x0:x1][inside] = value


def _noise(covered: np.ndarray, style: MaskStyle, rng: np.random.Generator) -> np.ndarray:
    """Random values for the covered pixels, independent of the original ones (``rng`` is seeded
    from the OS entropy pool): one value for each block of the grid, so that a lossy codec
    carries the noise through (noise that changes from pixel to pixel came back from JPEG,
    WebP, HEIC and AVIF 45 levels off on average, and the read-back check refused every such
    output; a flat block comes back within a few levels)."""
    g = max(1, style.grid)
    channels = 1 if style.palette else 3
    ys, xs = np.nonzero(covered)
    if g == 1:  # a value a pixel: only the covered ones are drawn
        return np.broadcast_to(rng.integers(0, 256, size=(len(ys), channels), dtype=np.uint8), (len(ys), 3))
    h, w = covered.shape
    cells = rng.integers(0, 256, size=(-(-h // g), -(-w // g), channels), dtype=np.uint8)
    return np.broadcast_to(cells[ys // g, xs // g], (len(ys), 3))


def apply(frame: np.ndarray, regions: list[Region], style: MaskStyle, rng: np.random.Generator) -> np.ndarray:
    """Return a copy of ``frame`` with every region covered. Alpha is made opaque under a mask,
    so no transparent hole can show what is behind the image when it is composited."""
    out = frame.copy()
    h, w = frame.shape[:2]
    if style.fill == "solid":
        # fast path (video frames): fill each region's area directly, no full-frame mask needed
        color = np.array(style.color, dtype=np.uint8)
        for area in mask_areas(regions, w, h, style.grid):
            fill_area(out[..., :3], area, color)
            if out.shape[2] == 4:
                fill_area(out[..., 3], area, 255)
        return out
    covered = coverage(regions, w, h, style.grid)
    if not covered.any():
        return out
    rgb = out[..., :3]
    if style.fill == "noise":
        rgb[covered] = _noise(covered, style, rng)
    else:
        for (x0, y0, x1, y1), inside in mask_areas(regions, w, h, style.grid):
            patch = Image.fromarray(np.ascontiguousarray(frame[y0:y1, x0:x1, :3]))
            if style.fill == "blur":
                radius = max(4.0, 0.25 * max(x1 - x0, y1 - y0))
                patch = patch.filter(ImageFilter.GaussianBlur(radius))
            else:
                cells = max(1, min(x1 - x0, y1 - y0) // 8)
                small = patch.resize((max(1, (x1 - x0) // cells), max(1, (y1 - y0) // cells)), Image.BILINEAR)
                patch = small.resize(patch.size, Image.NEAREST)
            fill_area(rgb, ((x0, y0, x1, y1), inside), np.asarray(patch) if inside is None else np.asarray(patch)[inside])
    if out.shape[2] == 4:
        out[..., 3][covered] = 255
    return out
