"""The types every stage shares: regions to hide, detections, and what a file gives away."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable, Iterator

import numpy as np


def finite_number(v: object) -> bool:
    """Whether a value read from JSON is a number a box may hold: an int or float (not a bool),
    finite, and small enough for a float (a JSON integer may have 400 digits; JSON readers also
    let NaN and Infinity through)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e15 and math.isfinite(v)


@dataclass(frozen=True)
class Region:
    """An axis-aligned box in output-pixel coordinates (x0, y0 inclusive; x1, y1 exclusive).

    ``source`` names what produced it (a detector, ``"manual"``, ``"verify:<detector>"``) so
    reports can say which stage found each masked area. ``shape`` is what the mask covers inside
    the box: the whole box (hand-drawn regions) or a rounded head (see mask.region_mask).
    """

    x0: float
    y0: float
    x1: float
    y1: float
    score: float = 1.0
    source: str = "manual"
    shape: str = "box"  # box | head

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    def scaled(self, sx: float, sy: float | None = None) -> "Region":
        sy = sx if sy is None else sy
        return replace(self, x0=self.x0 * sx, y0=self.y0 * sy, x1=self.x1 * sx, y1=self.y1 * sy)

    def shifted(self, dx: float, dy: float) -> "Region":
        return replace(self, x0=self.x0 + dx, y0=self.y0 + dy, x1=self.x1 + dx, y1=self.y1 + dy)

    def head(self, margin: float = 1.0) -> "Region":
        """Grow a face box to the whole head: hair above, ears at the sides, chin below.

        Face detectors box the eyes-to-chin area. Small faces get generous margins (recall
        first: a small box is an uncertain box, and on bench/faces.py every tenth of a width
        less lost about a point of protection): 30% of the width at each side, 35% of the height
        above, 30% below. A large face is boxed well, and its margins are most of what a mask
        takes from a close-up: they shrink to three quarters from 64 px to 160 px tall.
        ``margin`` scales them (see pipeline.still.VOTED_MARGIN).
        """
        w, h = self.width, self.height
        k = (1.0 - 0.25 * min(1.0, max(0.0, (h - 64.0) / 96.0))) * margin
        return Region(self.x0 - 0.30 * k * w, self.y0 - 0.35 * k * h, self.x1 + 0.30 * k * w, self.y1 + 0.30 * k * h, self.score, self.source, "head")

    def clipped(self, width: int, height: int) -> "Region":
        return replace(
            self,
            x0=min(max(self.x0, 0.0), width),
            y0=min(max(self.y0, 0.0), height),
            x1=min(max(self.x1, 0.0), width),
            y1=min(max(self.y1, 0.0), height),
        )

    def pixel_box(self, width: int, height: int, grid: int = 1) -> tuple[int, int, int, int]:
        """Integer box grown outward to a multiple of ``grid`` and clipped to the image."""
        x0 = int(np.floor(self.x0 / grid) * grid)
        y0 = int(np.floor(self.y0 / grid) * grid)
        x1 = int(np.ceil(self.x1 / grid) * grid)
        y1 = int(np.ceil(self.y1 / grid) * grid)
        return max(0, x0), max(0, y0), min(width, x1), min(height, y1)

    def iou(self, other: "Region") -> float:
        ix = max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))
        iy = max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("x0", "y0", "x1", "y1"):
            d[k] = round(float(d[k]), 1)
        d["score"] = round(float(d["score"]), 3)
        return d


class Detections:
    """An ordered collection of regions: what detectors return and masks consume."""

    def __init__(self, regions: Iterable[Region] = ()) -> None:
        self._regions = list(regions)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._regions)

    def __len__(self) -> int:
        return len(self._regions)

    def __getitem__(self, i: int) -> Region:
        return self._regions[i]

    def __add__(self, other: "Detections") -> "Detections":
        return Detections([*self._regions, *other._regions])

    def __repr__(self) -> str:
        return f"Detections({self._regions!r})"

    def map(self, fn: Any) -> "Detections":
        return Detections(fn(r) for r in self._regions)

    def boxes(self) -> np.ndarray:
        if not self._regions:
            return np.zeros((0, 4), dtype=np.float32)
        return np.array([[r.x0, r.y0, r.x1, r.y1] for r in self._regions], dtype=np.float32)

    def scores(self) -> np.ndarray:
        return np.array([r.score for r in self._regions], dtype=np.float32)


@dataclass
class Finding:
    """One thing a file gives away. ``value`` is shown to the user of ``audit`` only."""

    category: str  # location | time | device | owner | software | hidden-picture | trailer | face | other
    name: str
    value: str
    identifying: bool = True
