"""A 360-degree picture's poles, as a face detector can see them.

An equirectangular picture (what 360-degree cameras save: twice as wide as tall, longitude
across, latitude down) stretches everything sideways by 1 / cos(latitude). A face 75 degrees
below the horizon (the person holding the camera on a stick overhead, looking up at it) comes
out four times its width, and the detectors miss a face stretched past about three times. The
bands towards each pole are therefore also searched squeezed sideways back to about their true
shape, and each pole's cap (where a face is bent round the pole as well) as a camera looking
straight up or down would see it; each view with the way back to the picture's own coordinates.
The seam (longitude 180) is bridged by repeating the picture's first columns after its last.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterable

import numpy as np

from ..types import Region

# (from, to) degrees from the horizon, and the squeeze: 1/3 leaves faces at 56-80 degrees
# (stretched 1.8x to 5.8x) between 0.6x and 1.9x their width, 1/6 those at 68-90 degrees
# (2.7x and more, 10x at 84). The bands overlap by a face's height (about 12 degrees at this
# distance), so a face on a band's edge is whole in the other.
BANDS = ((56.0, 80.0, 1 / 3), (68.0, 90.0, 1 / 6))
SEAM = 1 / 8  # the share of the width repeated after the last column
CAP = 32.0  # degrees from each pole a cap view shows (a face at 80 degrees is bent round it)


def is_panorama(width: int, height: int) -> bool:
    """Twice as wide as tall (to a pixel or two), as equirectangular pictures are."""
    return height >= 256 and abs(width - 2 * height) <= 2


@dataclass(frozen=True)
class Band:
    """Rows ``y0``..``y1`` of a ``width`` px wide frame, its first ``pad`` columns repeated after
    its last, squeezed sideways by ``squeeze``."""

    y0: int
    y1: int
    squeeze: float
    width: int
    pad: int

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the squeezed band."""
        return max(1, round((self.width + self.pad) * self.squeeze)), self.y1 - self.y0

    def pixels(self, rgb: np.ndarray) -> np.ndarray:
        from PIL import Image

        rows = rgb[self.y0 : self.y1]
        wide = np.concatenate([rows, rows[:, : self.pad]], axis=1)
        # a box filter: every column of the band counts, so a mask squeezed stays a mask
        return np.asarray(Image.fromarray(np.ascontiguousarray(wide)).resize(self.size, Image.BOX))

    def back(self, r: Region) -> list[Region]:
        """A box on the squeezed band in the frame's coordinates: split in two where it
        crosses the seam (a head grown past the band's left edge crosses it too)."""
        x0, x1 = r.x0 / self.squeeze, min(r.x1 / self.squeeze, self.width + self.pad)
        return _around(r, x0, r.y0 + self.y0, x1, r.y1 + self.y0, self.width)


@dataclass(frozen=True)
class Cap:
    """A pole of a ``width`` x ``height`` panorama as a camera pointed straight at it sees it
    (a gnomonic view ``CAP`` degrees round, ``side`` px square); ``down``: the nadir."""

    width: int
    height: int
    side: int
    down: bool

    @property
    def size(self) -> tuple[int, int]:
        return self.side, self.side

    def _plane(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Picture (x, y) of view points (u, v) in view pixels."""
        t = np.tan(np.radians(CAP))
        a, b = (u / self.side * 2 - 1) * t, (v / self.side * 2 - 1) * t
        lat = np.arctan2(1.0, np.hypot(a, b)) * (-1 if self.down else 1)
        lon = np.arctan2(b if self.down else -b, a)
        return (lon + np.pi) / (2 * np.pi) * self.width, (np.pi / 2 - lat) / np.pi * self.height

    def pixels(self, rgb: np.ndarray) -> np.ndarray:
        from scipy.ndimage import map_coordinates

        where = _cap_samples(self)
        out = np.empty((self.side, self.side, 3), np.uint8)
        for c in range(3):  # bilinear, round the seam
            out[..., c] = map_coordinates(rgb[..., c], where, order=1, mode="grid-wrap")
        return out

    def back(self, r: Region) -> list[Region]:
        """The picture's box over every point of a view box (a head: see Region.head): all
        longitudes when it holds the pole; split in two where it crosses the seam."""
        k = np.linspace(0.0, 1.0, 9)
        u = np.concatenate([r.x0 + (r.x1 - r.x0) * k, np.full(9, r.x1), r.x0 + (r.x1 - r.x0) * k, np.full(9, r.x0)])
        v = np.concatenate([np.full(9, r.y0), r.y0 + (r.y1 - r.y0) * k, np.full(9, r.y1), r.y0 + (r.y1 - r.y0) * k])
        x, y = self._plane(u, v)
        pole = r.x0 <= self.side / 2 <= r.x1 and r.y0 <= self.side / 2 <= r.y1
        if self.down:
            y0, y1 = float(y.min()), float(self.height if pole else y.max())
        else:
            y0, y1 = float(0 if pole else y.min()), float(y.max())
        if pole:  # a strip round the pole: a rounded shape would bare its ends
            return [replace(r, x0=0.0, y0=y0, x1=float(self.width), y1=y1, shape="box")]
        cx, _ = self._plane(np.array([(r.x0 + r.x1) / 2]), np.array([(r.y0 + r.y1) / 2]))
        x = (x - cx[0] + self.width / 2) % self.width + cx[0] - self.width / 2  # unwrapped round the centre
        return _around(r, float(x.min()), y0, float(x.max()), y1, self.width)


@lru_cache(maxsize=4)
def _cap_samples(cap: Cap) -> np.ndarray:
    """Where in the picture each pixel of a cap view lies (rows, columns): the same for every
    frame of a 360 video, made once."""
    v, u = np.mgrid[0 : cap.side, 0 : cap.side].astype(np.float64) + 0.5
    x, y = cap._plane(u, v)
    return np.stack([np.clip(y - 0.5, 0, cap.height - 1), x - 0.5])


PoleView = Band | Cap


def brought_back(view: PoleView, regions: Iterable[Region]) -> list[Region]:
    """Boxes found on a pole view, in the picture's coordinates."""
    return [b for r in regions for b in view.back(r)]


def _around(r: Region, x0: float, y0: float, x1: float, y1: float, width: int) -> list[Region]:
    """``r`` (its score, source and shape kept) moved to this box of a picture ``width`` px
    round: split in two where it crosses the seam on either side."""
    if x0 >= width:
        x0, x1 = x0 - width, x1 - width
    elif x0 < 0 and x1 <= width:
        x0, x1 = x0 + width, x1 + width
    if x1 <= width:
        return [replace(r, x0=x0, y0=y0, x1=x1, y1=y1)]
    if x1 - x0 >= width:  # all the way round
        return [replace(r, x0=0.0, y0=y0, x1=float(width), y1=y1, shape="box")]
    # each half is a box: a rounded shape fitted to a half would leave the seam's corners bare
    return [replace(r, x0=x0, y0=y0, x1=float(width), y1=y1, shape="box"), replace(r, x0=0.0, y0=y0, x1=x1 - width, y1=y1, shape="box")]


def pole_views(width: int, height: int) -> list[PoleView]:
    """The pole views of a panorama (none for any other picture): squeezed bands north and
    south, then the two caps."""
    if not is_panorama(width, height):
        return []
    pad = round(width * SEAM)
    row = lambda degrees: round(height * degrees / 180.0)  # noqa: E731 - rows from the top
    out = []
    for lo, hi, squeeze in BANDS:
        out.append(Band(row(90 - hi), row(90 - lo), squeeze, width, pad))  # towards the zenith
        out.append(Band(row(90 + lo), row(90 + hi), squeeze, width, pad))  # towards the nadir
    # as many pixels a degree at the pole's centre as the picture has down its height
    side = max(64, round(height / 180 * 2 * np.tan(np.radians(CAP)) / np.radians(1)))
    return out + [Cap(width, height, side, False), Cap(width, height, side, True)]
