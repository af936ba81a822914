"""Video analysis, the detect stage: search key frames (once more stretched sideways) and the
frames half-way between for faces, judge each candidate, find scene cuts and read every
frame's timestamp. It keeps only boxes per frame and a tiny thumbnail of the last frame: memory
does not grow with length."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from ..i18n import N_
from ..detect.judge import MASK_RULE
from ..errors import CorruptInput
from ..media.panorama import brought_back, pole_views
from ..media.video import VideoInfo, iter_frames
from ..prefetch import prefetch
from ..track.cuts import scene_cut
from ..track.shake import SIDE as SHAKE_SIDE, Moves
from ..track.tracks import Motion, Track, TrackSettings, link
from ..types import Region

if TYPE_CHECKING:
    from ..detect import FaceFinder, Judgement
    from ..detect.judge import FaceJudge

ANALYSIS_AHEAD = 8  # frames the analysis decodes ahead of the detector (bounded memory)
# The masking rule, with more of what falls short kept as uncertain: a track of small uncertain
# detections seen on three searched frames or more is masked (Analysis.face_tracks)
VIDEO_RULE = replace(MASK_RULE, uncertain_share=0.25)
# Time vouches for faint faces only while they are small as the detector sees them on key frames
# (median over the sightings; 48 px of a 720p frame, 72 of a 1080p one): a small face in a crowd
# is often uncertain frame after frame, but one this large the detector either sees or does not.
# Large uncertain tracks were helmets, fists, banners and sleeves held masked for whole clips
# (bench/results/video_collateral_true_aspect_before.json); they stay in the plan as uncertain
# spots, and the checks before encoding still look at the masked frames
FAINT_HEIGHT = 72.0


@dataclass
class VideoOptions:
    crf: int = 18
    # superfast: 1.6x the encoding speed of veryfast at the same quality (crf) for files about
    # 40% larger (street_1080p: 2.1 s vs 3.4 s, 4.0 MB vs 2.8 MB)
    preset: str = "superfast"
    audio: str = "drop"  # drop | keep
    # Key frames (one in six, and every scene cut) are searched at full detail, the frames
    # half-way between them once more at a lower resolution for large, fast faces; the tracker
    # carries boxes along the camera's motion in between and holds them seconds beyond.
    # On the synthetic clips this exposes fewer faces than searching one frame in three,
    # mirrored, with short padding (bench/video_protect.py), at a quarter of the cost.
    detect_every: int = 6
    # mid frames at 960 px: with the tracker following the camera (bench/motion.py) the frames
    # between key frames need only catch large, fast faces. On the synthetic clips 960 px exposed
    # as many faces as 1280 px (720p canvas: 36 vs 37, 1080p: 53 vs 52) at less cost; with the
    # earlier tracker it exposed 39% more face-frames.
    mid_side: int = 960
    sample_every: int = 12  # verification samples one frame in this many, plus track ends
    # Beyond its track a face stays masked until a confident miss (see track.py), or at most
    # this long when there is none: seen on two analysed frames or more, and seen once
    hold_seconds: float = 1.5
    pad_seconds: float = 0.5
    sideways: bool = True  # key frames searched stretched sideways too (see sideways_scale)


@lru_cache(maxsize=1)
def video_finder() -> FaceFinder:
    """The main detector for video: no mirrored pass, since time does that job (each face is
    seen on many frames)."""
    from ..detect import DetectorSettings, FaceFinder

    return FaceFinder(DetectorSettings(threshold=0.05, flip=False))


# The sideways search (detect.SIDEWAYS: a banner of portraits filmed at an angle, a squashed
# clip) runs on key frames, on the frame stretched twice as wide, one model tile wide at most
# and this many pixels at most: one run with no tiling, about half a key frame's (a 1080p
# frame: 2048x576 against 1920x1080)
SIDEWAYS_PIXELS = 1.2e6


def sideways_scale(width: int, height: int, key_scale: float) -> float:
    """The scale (of the height) a key frame is searched stretched sideways at: as the key
    frame's, down to one tile's width and SIDEWAYS_PIXELS."""
    from ..detect import OVERLAP, SIDEWAYS, TILE

    return min(key_scale, (TILE + OVERLAP) / (SIDEWAYS * width), float(np.sqrt(SIDEWAYS_PIXELS / (SIDEWAYS * width * height))))


def detection_scales(width: int, height: int, key_side: int = 1920, mid_side: int = 960) -> tuple[float, float]:
    """(key, mid) frame scales: key frames bring the picture to about ``key_side`` px (small
    faces; upscaled up to 1.5x, never downscaled); mid frames run at about ``mid_side`` px."""
    long_side = max(width, height)
    return max(1.0, min(1.5, key_side / long_side)), min(1.0, mid_side / long_side)


@dataclass
class Analysis:
    """What the first pass found. ``candidates``: every detection of the main detector on each
    searched frame (the camera's motion is estimated from them); ``faces``: those the judge
    calls faces, and ``uncertain``: those that came close (tracks are linked over both: see
    face_tracks for which are kept); ``looked``: the scale each searched frame was searched at;
    ``cuts``: first frames of new shots; ``pts``: every frame's timestamp; ``moves``: every
    frame's shift from the one before, and how sure it is (track.shake)."""

    candidates: dict[int, list[Region]] = field(default_factory=dict)
    faces: dict[int, list[Region]] = field(default_factory=dict)
    uncertain: dict[int, list[Region]] = field(default_factory=dict)
    looked: dict[int, float] = field(default_factory=dict)
    cuts: set[int] = field(default_factory=set)
    pts: list[int | None] = field(default_factory=list)
    # the whole picture's shift from the frame before (track.shake): where a shaken camera strays
    moves: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.pts)

    def linkable(self) -> dict[int, list[Region]]:
        return {f: self.faces.get(f, []) + self.uncertain.get(f, []) for f in self.looked}

    def add_faces(self, found: dict[int, list[Region]]) -> None:
        """Faces a later check found (the second detector): they are tracked from now on."""
        for f, rs in found.items():
            self.faces.setdefault(f, []).extend(rs)
            self.candidates.setdefault(f, []).extend(rs)
            self.looked.setdefault(f, 0.0)  # a frame not searched by the detector: no miss evidence

    def face_tracks(self, settings: TrackSettings, path: list[Motion], seen: int = 3, faint: float = FAINT_HEIGHT) -> list[Track]:
        """Tracks over faces and uncertain detections, kept where one of their boxes is a face
        or where a small face (median height under ``faint`` px at the key frames' detector
        scale) was seen, uncertain, on ``seen`` searched frames or more (time is a second look
        of its own: a faint face in a crowd comes back frame after frame)."""
        sure = {(f, r) for f, rs in self.faces.items() for r in rs}
        key = max(self.looked.values(), default=1.0) or 1.0  # key frames are searched at the largest scale
        moves = self.moves if len(self.moves) == self.n else None
        return [t for t in link(self.linkable(), self.cuts, settings, path, moves) if _vouched(t, sure, seen, faint / key)]


def _vouched(t: Track, sure: set[tuple[int, Region]], seen: int, faint: float) -> bool:
    """A track is a face when the judge called one of its detections a face, or when it is a
    small face (median height under ``faint`` frame px) seen, uncertain, on ``seen`` searched
    frames or more."""
    if any((f, r) in sure for f, r in t.boxes.items()):
        return True
    return len(t.boxes) >= seen and float(np.median([r.height for r in t.boxes.values()])) < faint


def pole_faces(finder: FaceFinder, judge: FaceJudge, rgb: np.ndarray, scale: float) -> Judgement:
    """Faces near a 360 video's poles, found on its squeezed bands and caps, in ``rgb``'s
    coordinates (none for other videos). Not camera-motion evidence: not candidates."""
    from ..detect import Judgement

    out = Judgement()
    for view in pole_views(rgb.shape[1], rgb.shape[0]):
        px = view.pixels(rgb)
        seen = judge.candidates(px, finder.find(px, [1.0]), scale=scale)
        # the head where the face was found, brought back (a face round the pole is a strip of
        # every longitude): the plan grows it again, as it grows every face
        out = out + Judgement(brought_back(view, [r.head() for r in seen.faces]), brought_back(view, [r.head() for r in seen.uncertain]))
    return out


def search(path: Path, info: VideoInfo, vopts: VideoOptions, progress: Callable[[int], None] | None = None) -> Analysis:
    """Search key frames (once more stretched sideways) and the frames half-way between for
    faces, judge each candidate, find scene cuts and read every frame's timestamp."""
    from ..detect import SIDEWAYS, judge_for, stretched_faces

    finder = video_finder()
    judge = judge_for(finder, VIDEO_RULE)
    res = Analysis()
    aspect = float(info.upright_aspect)
    key_scale, mid_scale = detection_scales(round(info.width * aspect), info.height, mid_side=vopts.mid_side)
    half = vopts.detect_every // 2

    wide_scale = sideways_scale(round(info.width * aspect), info.height, key_scale) if vopts.sideways else 0.0
    sample = float(info.sample_aspect)

    def frames() -> Iterator[tuple[int, int | None, np.ndarray | None, np.ndarray | None]]:
        """(index, pts, picture at the detector's scale or None, the key frame stretched
        sideways or None): cuts found on the way."""
        prev = None
        moves = Moves()
        for fr in iter_frames(path, one_size=True):
            i = fr.index
            th = fr.thumbnail()
            if prev is not None and scene_cut(prev, th):
                res.cuts.add(i)
            prev = th
            res.moves.append(moves.feed(*fr.grey(SHAKE_SIDE), cut=i in res.cuts))
            key = i % vopts.detect_every == 0 or i in res.cuts
            scale = key_scale if key else mid_scale if half and i % vopts.detect_every == half else 0.0
            wide = fr.scaled_rgb(wide_scale, sample_aspect=sample, stretch=SIDEWAYS) if key and wide_scale else None
            yield i, fr.pts, fr.scaled_rgb(scale, sample_aspect=sample) if scale else None, wide

    sizes: set[tuple[int, int]] = set()
    # frames are decoded, thumbnailed and scaled a few ahead while the detector runs
    for i, frame_pts, small, wide in prefetch(frames(), ANALYSIS_AHEAD):
        res.pts.append(frame_pts)
        if small is not None:
            sh, sw = small.shape[:2]
            for pic in (small, wide):  # every analysed frame has one of three sizes: compile for them
                if pic is not None and (pic.shape[1], pic.shape[0]) not in sizes:
                    sizes.add((pic.shape[1], pic.shape[0]))
                    finder.model.expect(pic.shape[1], pic.shape[0])
            found = finder.find(small, [1.0])
            verdict = judge.candidates(small, found, scale=sh / info.height)
            # a 360 video's poles (see media.panorama), on every frame searched: the tracker
            # takes a frame searched with nothing near a face as the face gone
            verdict = verdict + pole_faces(finder, judge, small, sh / info.height)
            back = (info.width / sw, info.height / sh)
            res.candidates[i] = [r.scaled(*back) for r in found]
            res.faces[i] = [r.scaled(*back) for r in verdict.faces]
            res.uncertain[i] = [r.scaled(*back) for r in verdict.uncertain]
            res.looked[i] = sh / info.height
            if wide is not None:
                # faces squeezed sideways, judged as the key frame's candidates are, that no face
                # found on the key frame lies on. Its uncertain spots are left out: tracked, they
                # masked 1.6 points more of the squeezed clips (bench/video_protect.py) for 4
                # faces, and in true proportions 0.45 more for none. Not left out where the key
                # frame's pass saw any candidate: 9 more squeezed faces stayed bare so
                wh, ww = wide.shape[:2]
                extra = stretched_faces(finder, wide, wh / info.height, (info.width / ww, info.height / wh), res.faces[i], VIDEO_RULE)
                res.faces[i] += extra
                res.candidates[i] += extra
        if progress:
            progress(1)
    if res.n == 0:
        raise CorruptInput(N_("video has no decodable frames"))
    return res


