"""Changes to a video's tracks that need its frames: a new track from one box, a keyframe that
corrects a track's path, a track's start and end moved."""
from __future__ import annotations

from typing import Callable

from ..plan import Plan, PlanTrack, Source
from .follow import Box, Candidates, Frames, between, detector_candidates, follow


def new_track(plan: Plan, frames: Frames, frame: int, box: Box, *, face: bool = False, candidates: Candidates = detector_candidates, on_frame: Callable[[int], None] | None = None) -> PlanTrack:
    """A person's box on ``frame`` followed forwards and backwards: a new track, switched on.
    ``face``: the box is a spot worth a look the person masked (listed as a face they chose to
    hide, not a box they drew); its whole box is masked either way (a spot's box is already a
    head's, and where the follow is unsure a box covers more than the head's round shape)."""
    boxes = follow(frames, frame, box, candidates=candidates, on_frame=on_frame)
    t = PlanTrack(plan.new_id("p"), boxes, kind="face" if face else "manual", on=True, shape="box", source=Source("person"), keyframes={frame})
    plan.tracks.append(t)
    return t


def set_key(plan: Plan, frames: Frames, track_id: str, frame: int, box: Box, *, candidates: Candidates = detector_candidates, on_frame: Callable[[int], None] | None = None) -> PlanTrack:
    """The person's box on ``frame`` is exact; between keyframes the box moves in a straight
    line. A person's track is followed again past its first and last keyframes; a detector's
    track keeps its own boxes there (and reaches a key set past its end in a straight line)."""
    t = plan.find(track_id)
    if not isinstance(t, PlanTrack):
        raise KeyError(track_id)
    t.keyframes.add(frame)
    t.boxes[frame] = box
    keys = {k: t.boxes[k] for k in sorted(t.keyframes)}
    first, last = min(keys), max(keys)
    if t.source.by == "person":
        boxes = {f: b for f, b in follow(frames, first, keys[first], stop=(0, first), candidates=candidates, on_frame=on_frame).items() if f <= first}
        boxes.update({f: b for f, b in follow(frames, last, keys[last], stop=(last, frames.count - 1), candidates=candidates, on_frame=on_frame).items() if f >= last})
        boxes.update(between(keys))
        t.boxes = boxes
    else:
        ends = dict(keys)
        for f in (min(t.boxes), max(t.boxes)):
            ends.setdefault(f, t.boxes[f])
        # a key before the track's start or after its end: joined to the track in a straight line
        for f, b in between({k: ends[k] for k in sorted(ends)}).items():
            if f not in t.boxes or min(keys) <= f <= max(keys):
                t.boxes[f] = b
    return t


def set_span(plan: Plan, track_id: str, first: int, last: int) -> PlanTrack:
    """Move a track's start and end: frames outside are dropped, new ones hold the nearest box."""
    t = plan.find(track_id)
    if plan.input.frames:  # a field left empty or typed past the end: the video's own first or last frame
        first, last = max(0, first), min(plan.input.frames - 1, last)
    if not isinstance(t, PlanTrack) or first > last:
        raise KeyError(track_id)
    old_first, old_last = t.first, t.last
    boxes = {f: b for f, b in t.boxes.items() if first <= f <= last}
    for f in range(first, min(old_first, last + 1)):
        boxes[f] = t.boxes[old_first]
    for f in range(max(old_last + 1, first), last + 1):
        boxes[f] = t.boxes[old_last]
    if not boxes:
        raise KeyError(track_id)
    t.boxes = dict(sorted(boxes.items()))
    t.keyframes = {k for k in t.keyframes if k in t.boxes}
    return t
