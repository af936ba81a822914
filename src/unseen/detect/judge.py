"""Which candidates are faces: the one rule ``clean`` masks by, verifies by, and ``audit`` reports by.

The main detector runs with a low threshold, so it returns every face it can and many things
that are not (leaves, windows, crests). A candidate is a face when its score, plus what a
second look at it zoomed says (see second_look.py), reaches the bar for its size:
- small candidates get lower bars: a missed face is a person exposed, and a small false mask
  costs little of the picture; a large false mask blacks out a document, so large candidates
  must convince;
- below its size's *solo* bar a candidate is a face only in company: when the same picture
  holds two other sure faces (0.6 and up) of about its size (within 2x). A crowd's faint faces keep
  their masks; a lone pattern in a garage or a tree does not.
The bars were chosen on ``bench/faces.py`` and ``bench/people_free.py`` (see the README's
figures). Candidates that fall short but come within ``uncertain_share`` of the bar are
*uncertain spots*: never masked, never called faces, reported for a person to look at.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..types import Detections, Region
from .second_look import SecondLook

INF = float("inf")


@dataclass(frozen=True)
class Rule:
    # (box height below which, bar in company, solo bar) for score + second look; heights in the
    # picture's pixels
    bars: tuple[tuple[float, float, float], ...] = ((16.0, 0.1, 0.3), (32.0, 0.2, 0.35), (64.0, 0.35, 0.5), (INF, 0.5, 0.6))
    sure: float = 0.6  # a face this sure vouches for faint ones of its size
    company: float = 2.0  # how much larger or smaller a vouching face may be
    vouchers: int = 2  # sure faces needed (one false "face" in a tree vouched for the leaves)
    # the second detector's score above which its find is a face without a second look
    # (BlazeFace scores a cat's face, a round pattern or a mountain ridge 0.5-0.61, real faces
    # mostly above 0.8); it is the independent check, so the bar stays below that
    checker_sure: float = 0.7
    uncertain_share: float = 0.5  # of the bar: what comes this close is an uncertain spot

    def bar(self, height: float) -> float:
        return next(b for h, b, _ in self.bars if height < h)

    def solo(self, height: float) -> float:
        return next(s for h, _, s in self.bars if height < h)


# What is masked, and what verification and ``audit`` call a visible face: masks go beyond what
# the check demands (hysteresis). A candidate's score changes when a neighbour is masked (a
# round black mask above skin looks like dark hair to a detector); with one rule for both, each
# round of verification found new "faces" beside the last round's masks (on bench/faces.py, 60
# of 200 crowd pictures never converged in 4 rounds; with these bars nearly all pass at once).
MASK_RULE = Rule()
VISIBLE_RULE = Rule(((16.0, 0.3, 0.3), (32.0, 0.4, 0.4), (64.0, 0.55, 0.55), (INF, 0.6, 0.6)), checker_sure=0.75, uncertain_share=0.3)


@dataclass
class Judgement:
    """Face boxes (the detector's eyes-to-chin boxes, not heads) and uncertain spots."""

    faces: list[Region] = field(default_factory=list)
    uncertain: list[Region] = field(default_factory=list)

    def __add__(self, other: "Judgement") -> "Judgement":
        return Judgement(self.faces + other.faces, self.uncertain + other.uncertain)


class FaceJudge:
    def __init__(self, look: SecondLook, rule: Rule = MASK_RULE) -> None:
        self.look = look
        self.rule = rule

    def candidates(self, rgb: np.ndarray, found: Detections, memo: dict[Region, float] | None = None, scale: float = 1.0) -> Judgement:
        """Judge the main detector's candidates; only those below their solo bar cost a second
        look (``memo``: see SecondLook.scores). ``scale``: of ``rgb`` against the picture whose
        pixels the bars' heights count (a video frame searched upscaled or shrunk)."""
        rule = self.rule
        regions = list(found)
        if not regions:
            return Judgement()
        heights = np.array([r.height / scale for r in regions], dtype=np.float32)
        bars = np.array([rule.bar(h) for h in heights], dtype=np.float32)
        solo = np.array([rule.solo(h) for h in heights], dtype=np.float32)
        scores = found.scores()
        unsure = np.nonzero(scores < solo)[0]
        total = scores.copy()
        total[unsure] += self.look.scores(rgb, [regions[i] for i in unsure], memo)
        sure = total >= rule.sure
        ratio = heights[:, None] / np.maximum(heights[None, sure], 1e-6)
        # sure faces of about its size, itself not counted
        vouchers = ((ratio < rule.company) & (ratio > 1 / rule.company)).sum(axis=1) - sure
        vouched = vouchers >= rule.vouchers
        face = (total >= solo) | ((total >= bars) & vouched)
        out = Judgement()
        for i, r in enumerate(regions):
            if face[i]:
                out.faces.append(r if scores[i] >= solo[i] else _relabel(r, "+second-look"))
            elif total[i] >= rule.uncertain_share * bars[i]:
                out.uncertain.append(r)
        return out

    def checker_finds(self, rgb: np.ndarray, found: Detections, memo: dict[Region, float] | None = None, scale: float = 1.0) -> Judgement:
        """Judge the second detector's finds: sure ones are faces; the others are faces when the
        main detector, looking at them zoomed, agrees (a face both models see is masked)."""
        regions = list(found)
        sure = [r.score >= self.rule.checker_sure for r in regions]
        unsure = [r for r, s in zip(regions, sure) if not s]
        looks = iter(self.look.scores(rgb, unsure, memo))
        out = Judgement()
        for r, s in zip(regions, sure):
            if s:
                out.faces.append(r)
            elif next(looks) >= self.rule.bar(r.height / scale):
                out.faces.append(_relabel(r, "+second-look"))
            else:
                out.uncertain.append(r)
        return out


def _relabel(r: Region, suffix: str) -> Region:
    return Region(r.x0, r.y0, r.x1, r.y1, r.score, r.source + suffix, r.shape)
