"""Which candidates are faces: the one rule ``clean`` masks by, verifies by, and ``audit`` reports by.

The main detector runs with a low threshold, so it returns every face it can and many things
that are not (leaves, windows, crests). A candidate is a face when its score, plus what a
second look at it zoomed and mirrored says (see second_look.py), reaches the bar for its size.
Small candidates get a lower bar: a missed face is a person exposed, and a small false mask
costs little of the picture; a large false mask blacks out a document, so large candidates
must convince. The bars were chosen on ``bench/faces.py`` and ``bench/people_free.py`` (see
the README's figures). Candidates that fall short but come within half of the bar are
*uncertain spots*: never masked, never called faces, reported for a person to look at.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model import Detections, Region
from .second_look import SecondLook


@dataclass(frozen=True)
class Rule:
    # (box height below which, bar for score + second look); heights in the picture's pixels
    bars: tuple[tuple[float, float], ...] = ((16.0, 0.1), (32.0, 0.2), (float("inf"), 0.35))
    # the second detector's score above which its find is a face without a second look
    # (BlazeFace scores a cat's face or a round pattern 0.5-0.6, real faces mostly above 0.8)
    checker_sure: float = 0.75
    uncertain_share: float = 0.5  # of the bar: what comes this close is an uncertain spot

    def bar(self, height: float) -> float:
        return next(b for h, b in self.bars if height < h)


# What is masked, and what verification and ``audit`` call a visible face: masks go a little
# beyond what the check demands (hysteresis). A candidate's score changes when a neighbour is
# masked (the black shape is part of what the detector sees); with one bar for both, each
# round of verification found new faces beside the last round's masks, until whole crowds
# were black (60 of the 200 pictures of bench/faces.py never converged in 4 rounds).
MASK_RULE = Rule()
VISIBLE_RULE = Rule(((16.0, 0.3), (32.0, 0.4), (float("inf"), 0.55)), uncertain_share=0.3)


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

    def candidates(self, rgb: np.ndarray, found: Detections) -> Judgement:
        """Judge the main detector's candidates; only those below their bar cost a second look."""
        rule = self.rule
        regions = list(found)
        bars = np.array([rule.bar(r.height) for r in regions], dtype=np.float32)
        scores = found.scores() if regions else np.zeros(0, dtype=np.float32)
        unsure = np.nonzero(scores < bars)[0]
        total = scores.copy()
        total[unsure] += self.look.scores(rgb, [regions[i] for i in unsure])
        out = Judgement()
        for i, r in enumerate(regions):
            if total[i] >= bars[i]:
                out.faces.append(r if scores[i] >= bars[i] else _relabel(r, "+second-look"))
            elif total[i] >= rule.uncertain_share * bars[i]:
                out.uncertain.append(r)
        return out

    def checker_finds(self, rgb: np.ndarray, found: Detections) -> Judgement:
        """Judge the second detector's finds: sure ones are faces; the others are faces when the
        main detector, looking at them zoomed, agrees (a face both models see is masked)."""
        regions = list(found)
        sure = [r.score >= self.rule.checker_sure for r in regions]
        unsure = [r for r, s in zip(regions, sure) if not s]
        looks = iter(self.look.scores(rgb, unsure))
        out = Judgement()
        for r, s in zip(regions, sure):
            if s:
                out.faces.append(r)
            elif next(looks) >= self.rule.bar(r.height):
                out.faces.append(_relabel(r, "+second-look"))
            else:
                out.uncertain.append(r)
        return out


def _relabel(r: Region, suffix: str) -> Region:
    return Region(r.x0, r.y0, r.x1, r.y1, r.score, r.source + suffix, r.shape)
