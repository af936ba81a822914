"""Video rendering, the mask and encode stages: decode again, mask every frame, check sampled
frames for faces before they are encoded, and encode H.264 into a fresh MP4."""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

from ..i18n import N_
from ..errors import CorruptInput
from ..mask import MaskStyle, apply, fill_area, mask_areas
from ..media.audio import aac_rate
from ..media.timeline import Timeline
from ..media.video import Colour, DecodedFrame, VideoInfo, _is_cover_art, decode, frame_rotation, open_container, rgb_at, size_changed, upright, upright_yuv420, yuv420_planes
from ..plan import as_box
from ..track.shake import JERK, OFF_LINE, REACH, SIDE as SHAKE_SIDE, Shake
from ..track.tracks import held
from ..types import Region
from .video_search import VIDEO_RULE, VideoOptions, video_finder

if TYPE_CHECKING:
    from ..detect import FaceChecker
    from ..detect.zoom import Crops
    from .sound_track import SoundTrack

# Hysteresis: frames are checked before encoding at a lower score than the read-back uses, so a
# face near the read-back's threshold is covered in the same render (rounds cost a whole render).
# 0.55: every synthetic clip still verifies in one render (at 0.6, 2 of 12 needed two), and the
# checker's false finds on masked frames (hands, microphones, mask edges), each held half a
# second each side, cover less: stage_360p 69% of the picture masked instead of 76% at 0.5.
PRECHECK_THRESHOLD = 0.55
# frames decoded ahead of the encoder beyond the half second a pre-check's find reaches back,
# so the checker's thread finishes before its verdict is needed (at 1080p a check takes two to
# three frames' worth of decoding, masking and encoding)
PRECHECK_SLACK = 6
# Tracked heads under this many pixels tall at the mid frames' size (80 px at 1080p, 53 at 720p)
# are the ones the whole-frame search before encoding sees too rarely to catch one its box lost:
# they are looked for at their zoom (detect.zoom) where the camera strayed from its straight
# line (track.shake), and a face found so must be this well covered where it is, else its
# head is masked there
FOLLOW_HEAD = 40.0
FOLLOW_COVER = 0.97
# a face found so is judged as any candidate of its size, in company: its track's own sightings
# vouch for it as sure faces of its size beside it would (alone, a 24-px face on a shaken
# frame fell short on 9 frames of 50; a track's box on a coat or a crest finds nothing better)
FOLLOW_RULE = replace(VIDEO_RULE, bars=tuple((h, bar, bar) for h, bar, _ in VIDEO_RULE.bars))


@lru_cache(maxsize=1)
def precheck_checker() -> FaceChecker:
    """The second detector for checks before encoding: one thread, since it runs beside the
    decoder, the encoder and the read-back's own checker."""
    from ..detect import FaceChecker

    return FaceChecker(threads=1)


# (Kr, Kb) of the matrices that turn R'G'B' into Y'CbCr, by H.273 code; others (and none
# said) as BT.601, which is what FFmpeg assumes
MATRICES = {1: (0.2126, 0.0722), 4: (0.30, 0.11), 5: (0.299, 0.114), 6: (0.299, 0.114), 7: (0.212, 0.087), 9: (0.2627, 0.0593), 10: (0.2627, 0.0593)}
# the matrices FFmpeg's scaler converts with (PyAV's Colorspace); it reads others (YCgCo, ICtCp:
# rare) as BT.601, and the RGB path writes them back so: the values come back as they were
SCALER_MATRICES = {1: "ITU709", 4: "FCC", 5: "ITU601", 6: "ITU601", 7: "SMPTE240M", 9: "BT2020", 10: "BT2020"}


def yuv_of(color: tuple[int, int, int], colour: Colour = Colour()) -> tuple[int, int, int]:
    """An RGB colour as Y'CbCr values in the matrix and range ``colour`` describes."""
    kr, kb = MATRICES.get(colour.matrix, MATRICES[6])
    r, g, b = (float(c) for c in color)
    y = kr * r + (1 - kr - kb) * g + kb * b
    cb, cr = (b - y) / (2 * (1 - kb)), (r - y) / (2 * (1 - kr))
    if colour.full_range:
        return round(y), round(128 + cb), round(128 + cr)
    return round(16 + y * 219 / 255), round(128 + cb * 224 / 255), round(128 + cr * 224 / 255)


def fill_yuv420(planes: np.ndarray, regions: list[Region], style: MaskStyle, colour: Colour = Colour()) -> np.ndarray:
    """Solid masks drawn into a yuv420p frame (FFmpeg's layout: Y rows, then U, then V, each
    chroma plane folded into rows of the full width); shapes are whole 2x2 blocks so chroma
    samples under a mask never mix with the face. The colour in the frame's own matrix and
    range (``colour``; BT.601 limited range when it says none, as swscale writes)."""
    h = planes.shape[0] * 2 // 3
    w = planes.shape[1]
    y, u, v = yuv_of(style.color, colour)
    _, u_plane, v_plane = yuv420_planes(planes)
    for area in mask_areas(regions, w, h, style.grid if style.grid % 2 == 0 else 2 * style.grid):
        fill_area(planes, area, y)
        (x0, y0, x1, y1), inside = area
        # the grid is at least 2, so the shape is whole 2x2 blocks: one chroma sample each
        half = ((x0 // 2, y0 // 2, (x1 + 1) // 2, (y1 + 1) // 2), None if inside is None else inside[::2, ::2])
        fill_area(u_plane, half, u)
        fill_area(v_plane, half, v)
    return planes


@dataclass
class PreCheck:
    """Masked frames looked at *before* they are encoded, so a face found there is covered in
    this render instead of the next: the encoder lags ``pad`` frames behind, and those frames
    and the next ``pad`` get the face's region too, held as a tracker holds a box. Two looks:
    the frames the analysis did not search (``search``) are searched as it would have, before
    they are masked (a face a mask left behind on a shaken camera's frame is half a face to a
    detector), by the main detector at the size the analysis searches its mid frames
    (``search_scale``), judged as the analysis judges; the masked frames of the read-back's
    sample (``sample``) get the second detector, as the read-back will. ``added`` keeps what
    was found."""

    sample: set[int]
    pad: int
    kept: Callable[[int], list[Region]] = lambda frame: []  # what a person switched off there
    threshold: float = PRECHECK_THRESHOLD
    added: dict[int, list[Region]] = field(default_factory=dict)
    search: set[int] = field(default_factory=set)
    # (scale, stored pixels' aspect) of the main detector's picture, as the analysis makes it
    search_scale: tuple[float, float] | None = None
    # tracked heads under ``follow_below`` px are looked for at their zoom where the camera
    # strays, on frames not searched at full detail; ``followed`` keeps (the tracked head, the
    # face found off it)
    follow_below: float = 0.0
    full_detail: set[int] = field(default_factory=set)
    follow_aspect: float = 1.0  # the upright picture's pixels' width as shown
    # how far the camera strayed from its straight line on each frame (track.shake.off_line),
    # where the analysis recorded its moves; without it the render measures how it jerks
    off_line: list[float] | None = None
    # head boxes (as the plan holds them) per frame that the plan moves with the camera's
    # measured shake (track.tracks.track_boxes' ``followed``): not looked for
    steady: dict[int, set[tuple[float, float, float, float]]] = field(default_factory=dict)
    followed: dict[int, list[tuple[Region, Region]]] = field(default_factory=dict)

    def look(self, i: int, small: "np.ndarray | None", found_at: "np.ndarray | None", width: int, height: int, regions: list[Region], grid: int, follow: "Crops | None" = None) -> tuple[list[Region], list[Region]]:
        """Heads of the faces seen on frame ``i`` that ``regions`` leave uncovered: by the
        second detector in ``small`` (the masked frame shrunk to its working size, see
        FaceChecker.find_shrunk), by the main detector in ``found_at`` (the frame before
        masking, upright at ``search_scale``) and around the tracked heads of ``follow``, at
        their zoom. Returns (heads to hold a while each side, heads for this frame alone: a
        tracked face found where it is)."""
        from ..detect import judge_for
        from ..detect.zoom import judged, refound
        from ..mask import coverage
        from ..types import Detections
        from ..verify.still import covered_by, left_visible, unmasked_faces
        from ..verify.video import checker_faces

        # the analysis is over: the finder's model is this thread's alone
        kept = self.kept(i)
        here: list[Region] = []
        if follow is not None:
            finder = video_finder()
            found = refound(finder.model, follow)
            cov = coverage(regions, width, height, grid) if any(f is not None for f in found) else None
            off: list[tuple[int, Region]] = []  # faces found where the masks leave part of them
            # a switched-off track's box is off its face as much as the others' (held: grown)
            off_boxes = [held(r, REACH) for r in kept]
            for k, face in enumerate(found):
                if face is not None and cov is not None and not covered_by(cov, face, width, height, FOLLOW_COVER) and not any(left_visible(face.head(), r) for r in off_boxes):
                    off.append((k, face))
            sure = judged(judge_for(finder, FOLLOW_RULE), follow, off) if off else []
            for k, face in off:
                if face in sure:
                    sure.remove(face)  # heads over one face find it once
                    face = Region(face.x0, face.y0, face.x1, face.y1, face.score, "verify:" + face.source)
                    self.followed.setdefault(i, []).append((follow.heads[k], face))
                    h = face.head()  # drawn as the released plan holds it (a tenth of a pixel)
                    here.append(Region(*as_box((h.x0, h.y0, h.x1, h.y1)), h.score, h.source, h.shape))
            regions = regions + here
        seen: list[Region] = []
        if small is not None:
            seen += checker_faces(precheck_checker(), judge_for(video_finder()), small, width, height, self.threshold).faces
        if found_at is not None:
            seen += searched_faces(found_at, width, height, regions, grid)
        new = [Region(r.x0, r.y0, r.x1, r.y1, r.score, "verify:" + r.source) for r in unmasked_faces(Detections(seen), regions, width, height, grid)]
        new = [r for r in new if not any(left_visible(r.head(), k) for k in kept)]
        if new:
            self.added.setdefault(i, []).extend(new)
        return [r.head() for r in new], here


def searched_faces(rgb: np.ndarray, width: int, height: int, regions: list[Region] = [], grid: int = 1) -> list[Region]:
    """Faces the analysis would call faces on a frame it searched at ``rgb``'s size (none lying
    on a fill), a 360 video's poles too; boxes in the ``width`` x ``height`` frame's pixels.
    Candidates ``regions`` already cover get no second look (most of a crowd's, frame after
    frame) unless an uncovered one of about their size is there, which they may vouch for."""
    from ..detect import FILL_SHARE, fill_share, judge_for
    from ..mask import coverage
    from ..types import Detections
    from ..verify.still import covered_by
    from .video_search import VIDEO_RULE, pole_faces

    finder = video_finder()
    judge = judge_for(finder, VIDEO_RULE)
    h, w = rgb.shape[:2]
    kx, ky = width / w, height / h
    found = [r for r in finder.find(rgb, [1.0]) if fill_share(rgb, r) < FILL_SHARE]
    unsure = [r for r in found if r.score < judge.rule.solo(r.height * ky)]
    if unsure and regions:
        cov = coverage(regions, width, height, grid)
        covered = {id(r) for r in unsure if covered_by(cov, r.scaled(kx, ky), width, height)}
        bare = [r.height for r in unsure if id(r) not in covered]
        company = judge.rule.company
        idle = {id(r) for r in unsure if id(r) in covered and not any(1 / company < r.height / b < company for b in bare)}
        found = [r for r in found if id(r) not in idle]
    faces = judge.candidates(rgb, Detections(found), scale=h / height).faces + pole_faces(finder, judge, rgb, h / height).faces  # (a 360 video's poles)
    return [r.scaled(kx, ky) for r in faces]


class _Writer:
    """The fresh MP4: an H.264 stream on ``clock`` (see media.timeline; x264's SEI dropped, no
    muxer strings or creation time), and an AAC track when there is ``sound``. Every video
    packet is handed to ``on_packet`` (payload, pts, dts, time base, decoder setup) before it is
    muxed."""

    def __init__(self, dst: Path, v_in: Any, info: VideoInfo, vopts: VideoOptions, sound: "SoundTrack | None", on_packet: "Callable[..., None] | None", clock: Fraction, colour: Colour) -> None:
        import av

        # bitexact: no "Lavf" muxer string and no creation time in the container
        self.out = av.open(str(dst), mode="w", format="mp4", container_options={"fflags": "+bitexact"})
        self.on_packet, self.sound = on_packet, sound
        v = self.out.add_stream("libx264", rate=v_in.average_rate or v_in.guessed_rate or Fraction(25))
        v.width, v.height = info.width - info.width % 2, info.height - info.height % 2
        v.pix_fmt = "yuv420p"
        if info.upright_aspect != 1:  # non-square pixels: keep the picture's shape
            v.codec_context.sample_aspect_ratio = info.upright_aspect
        v.time_base = v.codec_context.time_base = clock
        v.codec_context.options = {"crf": str(vopts.crf), "preset": vopts.preset}
        # how the values are to be shown, as the input said (see media.video.Colour)
        cc = v.codec_context
        self.colour = colour
        cc.color_primaries, cc.color_trc, cc.colorspace = colour.primaries, colour.transfer, colour.matrix
        cc.color_range = 2 if colour.full_range else 1
        v.codec_context.flags |= getattr(av.codec.context.Flags, "bitexact", 0)
        self.video = v
        # drop x264's SEI (encoder name, version and settings) from the bitstream
        self.bsf = av.bitstream.BitStreamFilterContext("filter_units=remove_types=6", v)
        self.audio = None
        if sound is not None:
            self.layout = "stereo" if sound.channels == 2 else "mono"
            self.audio = self.out.add_stream("aac", rate=aac_rate(sound.rate), layout=self.layout)  # PyAV resamples
            self.audio.codec_context.flags |= getattr(av.codec.context.Flags, "bitexact", 0)

    @property
    def size(self) -> tuple[int, int]:
        return self.video.width, self.video.height

    def _mux_video(self, packets: Any) -> None:
        for pk in packets:
            for fp in self.bsf.filter(pk):
                if self.on_packet is not None:  # before muxing: the muxer takes the packet's data
                    self.on_packet(bytes(fp), fp.pts, fp.dts, fp.time_base, self.video.codec_context.extradata)
                self.out.mux(fp)

    def frame(self, item: "_Frame") -> None:
        import av

        _, pixels, fmt, pts, time_base = item
        nf = av.VideoFrame.from_ndarray(pixels, format=fmt)
        if fmt != "yuv420p":  # into the matrix and range the stream says, not the scaler's default
            c = self.colour
            nf = nf.reformat(format="yuv420p", dst_colorspace=SCALER_MATRICES.get(c.matrix, "ITU601"), dst_color_range=2 if c.full_range else 1)
        nf.pts, nf.time_base = pts, time_base
        self._mux_video(self.video.encode(nf))

    def finish(self, shift: Fraction = Fraction(0), end: Fraction = Fraction(0)) -> bytes | None:
        """The sound (after the video: the muxer's interleaving buffer flushes every 10 s of
        it), then the encoders' last packets; returns the decoder setup (SPS/PPS) as written.
        The sound is written from zero: a track that starts later than the picture in the input
        (``shift``: what the picture's times were moved by) is led in by silence, one that starts
        earlier loses what comes before the picture, so it stays in step with it (a start more
        than the picture's length ``end`` away is taken as a clock of its own: written from zero)."""
        import av

        if self.audio is not None and self.sound is not None:
            lead = self.sound.start + shift
            lead_samples = round(lead * self.sound.rate) if -end <= lead <= end else 0
            blocks = _led_in(self.sound.blocks(), lead_samples, self.sound.channels)
            try:
                for block in blocks:
                    for start in range(0, block.shape[1], 4096):
                        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(block[:, start : start + 4096]), format="fltp", layout=self.layout)
                        af.sample_rate = self.sound.rate
                        for pk in self.audio.encode(af):
                            self.out.mux(pk)
            finally:
                blocks.close()  # the input's reader, also when stopped part-way
        self._mux_video(self.video.encode())
        self._mux_video([None])  # flushes the filter
        if self.audio is not None:
            for pk in self.audio.encode():
                self.out.mux(pk)
        return self.video.codec_context.extradata


def _led_in(blocks: Iterator[np.ndarray], lead: int, channels: int) -> Iterator[np.ndarray]:
    """``blocks`` after ``lead`` samples of silence, or without their first ``-lead`` samples."""
    try:
        for start in range(0, max(0, lead), 1 << 16):
            yield np.zeros((channels, min(1 << 16, lead - start)), dtype=np.float32)
        skip = max(0, -lead)
        for block in blocks:
            if skip:
                cut, skip = min(skip, block.shape[1]), skip - min(skip, block.shape[1])
                block = block[:, cut:]
            if block.shape[1]:
                yield block
    finally:
        blocks.close()  # type: ignore[attr-defined]


# (index, pixels, pixel format, pts, time base) of a masked frame waiting to be encoded
_Frame = tuple[int, np.ndarray, str, "int | None", Fraction]


class _Masker:
    """Masks drawn into decoded frames: on the upright yuv420p planes when it can (the input's
    own values, no round trip through RGB: a turned phone video too), else on the upright RGB
    picture (noise, blur, pixelate; odd sizes)."""

    def __init__(self, masks: dict[int, list[Region]], style: MaskStyle, size: tuple[int, int], seed: int, colour: Colour = Colour()) -> None:
        self.masks, self.style, self.size, self.colour = masks, style, size, colour
        self.rng = np.random.default_rng(seed)

    def masked(self, i: int, frame: Any) -> tuple[np.ndarray, str]:
        rotation = frame_rotation(frame)
        turned = (frame.height, frame.width) if rotation % 180 else (frame.width, frame.height)
        if self.style.fill == "solid" and rotation % 90 == 0 and turned == self.size:
            return fill_yuv420(upright_yuv420(frame, rotation, self.colour.full_range), self.masks.get(i, []), self.style, self.colour), "yuv420p"
        rgb = upright(frame, rotation)
        h, w = rgb.shape[:2]
        if (w - w % 2, h - h % 2) != self.size:  # the output is the first frame's size, to an even number of pixels
            raise size_changed(i, self.size, (w, h))
        return apply(rgb[: self.size[1], : self.size[0]], self.masks.get(i, []), self.style, self.rng), "rgb24"

    def again(self, pixels: np.ndarray, fmt: str, regions: list[Region]) -> np.ndarray:
        return fill_yuv420(pixels, regions, self.style, self.colour) if fmt == "yuv420p" else apply(pixels, regions, self.style, self.rng)


class _Queue:
    """Masked frames waiting to be encoded while the checker looks at some of them in a thread
    of its own: its verdict on frame g is needed only before frame g - lag is encoded, and
    PRECHECK_SLACK more frames wait so that it is rarely waited for. A face it finds on frame g
    is covered on g - lag .. g + lag, none of which is encoded yet."""

    def __init__(self, precheck: PreCheck | None, masker: _Masker, writer: _Writer) -> None:
        self.precheck, self.masker, self.writer = precheck, masker, writer
        self.lag = precheck.pad if precheck is not None else 0
        self.depth = self.lag + (PRECHECK_SLACK if precheck is not None else 0)
        self.waiting: deque[_Frame] = deque()
        self.verdicts: deque[tuple[int, Future[tuple[list[Region], list[Region]]]]] = deque()
        self.checker = ThreadPoolExecutor(1, thread_name_prefix="unseen-precheck") if precheck is not None else None
        self.shake = Shake()

    def to_search(self, i: int, frame: Any) -> "tuple[np.ndarray | None, Crops | None]":
        """The unmasked frame, upright at the main detector's size, where it is to be searched;
        and the crops of its small tracked heads (detect.zoom)."""
        pre = self.precheck
        if self.checker is None or pre is None or pre.search_scale is None:
            return None, None
        decoded = DecodedFrame(i, frame, frame.time_base)
        heads: list[Region] = []
        if pre.follow_below:
            if pre.off_line is not None:  # how far the camera strayed, from the analysis's record
                reach = pre.off_line[i] / OFF_LINE if i < len(pre.off_line) else 0.0
            else:  # a plan alone: how hard the picture jerked lately (fed every frame)
                reach = self.shake.feed(*decoded.grey(SHAKE_SIDE)) / JERK
            if i not in pre.full_detail:
                here = pre.steady.get(i, set())
                heads = [r for r in self.masker.masks.get(i, []) if r.shape == "head" and r.height < pre.follow_below and r.height <= reach and (r.x0, r.y0, r.x1, r.y1) not in here]
        follow = None
        if heads:
            from ..detect.zoom import crops, shrink

            scale = shrink(heads)
            follow = crops(decoded.scaled_rgb(scale), heads, pre.follow_aspect, scale)
        return (decoded.scaled_rgb(*pre.search_scale) if i in pre.search else None), follow

    def tagged(self, frame: Any) -> Any:
        """A masked yuv420p frame told its range and matrix (they come as bare numbers), so it is
        read as the read-back will read the encoded one."""
        if frame.format.name == "yuv420p":
            c = self.writer.colour
            frame.color_range = 2 if c.full_range else 1
            frame.colorspace = c.matrix
        return frame

    def put(self, item: _Frame, found_at: "np.ndarray | None" = None, follow: "Crops | None" = None) -> None:
        import av

        self.waiting.append(item)
        i, pixels, fmt = item[0], item[1], item[2]
        pre = self.precheck
        if self.checker is not None and pre is not None and (i in pre.sample or found_at is not None or follow is not None):
            w, h = self.writer.size
            small = rgb_at(self.tagged(av.VideoFrame.from_ndarray(pixels, format=fmt)), *precheck_checker().working_size(w, h)) if i in pre.sample else None
            regions = list(self.masker.masks.get(i, []))
            self.verdicts.append((i, self.checker.submit(pre.look, i, small, found_at, w, h, regions, self.masker.style.grid, follow)))
        while len(self.waiting) > self.depth:
            self._encode_next()

    def drain(self) -> None:
        while self.waiting:
            self._encode_next()

    def close(self) -> None:
        if self.checker is not None:
            self.checker.shutdown(wait=True, cancel_futures=True)

    def _encode_next(self) -> None:
        self._settle(self.waiting[0][0] + self.lag)
        self.writer.frame(self.waiting.popleft())

    def _settle(self, upto: int) -> None:
        """Apply the checker's verdicts on frames up to ``upto``, in order."""
        masks = self.masker.masks
        while self.verdicts and self.verdicts[0][0] <= upto:
            g, verdict = self.verdicts.popleft()
            new, here = verdict.result()
            # held like a tracker's box: growing with the frames from where it was seen
            around = {f: [r if f == g else held(r, abs(f - g)) for r in new] for f in range(max(0, g - self.lag), g + self.lag + 1)} if new else {}
            if here:  # a tracked face found where it is: on this frame alone
                around[g] = around.get(g, []) + here
            for f, rs in around.items():
                masks.setdefault(f, []).extend(rs)
            for k, (f, px, fm, pts, tb) in enumerate(self.waiting):  # decoded, not encoded yet
                if f in around:
                    self.waiting[k] = (f, self.masker.again(px, fm, around[f]), fm, pts, tb)


def encode(src: Path, dst: Path, info: VideoInfo, masks: dict[int, list[Region]], style: MaskStyle, vopts: VideoOptions, seed: int, sound: "SoundTrack | None" = None, progress: Callable[[int], None] | None = None, on_packet: "Callable[..., None] | None" = None, precheck: PreCheck | None = None, clock: Fraction | None = None) -> bytes | None:
    """Decode again, mask, encode H.264 with the input's timestamps into a fresh MP4, on
    ``clock`` (media.timeline.output_clock; the input's own if None); ``sound`` (read again,
    muted or disguised, block by block) becomes an AAC track. Every video packet is handed to
    ``on_packet`` before it is muxed. With ``precheck``, its frames are checked before encoding
    and what it finds is added to ``masks``. Returns the decoder setup as written."""
    import av

    with open_container(src) as inp:
        v_in = [s for s in inp.streams if s.type == "video" and not _is_cover_art(s)][0]
        v_in.thread_type = "AUTO"
        clock = Fraction(clock or info.time_base)
        writer = _Writer(dst, v_in, info, vopts, sound, on_packet, clock, info.colour.written())
        try:
            masker = _Masker(masks, style, writer.size, seed, writer.colour)
            queue = _Queue(precheck, masker, writer)
            # the input's timestamps in its own time base, repaired where missing or out of order
            timeline = Timeline(info.time_base, info.rate, clock)  # as check_file expects
            try:
                for i, frame in enumerate(decode(inp, v_in)):  # (an empty packet: the frame before, again)
                    found_at, follow = queue.to_search(i, frame)  # before the masks are drawn
                    pixels, fmt = masker.masked(i, frame)
                    queue.put((i, pixels, fmt, timeline.next(frame.pts), timeline.time_base), found_at, follow)
                    if progress:
                        progress(1)
                queue.drain()
            finally:
                queue.close()
            return writer.finish(timeline.shift_seconds, (timeline.last or 0) * timeline.time_base)
        except av.error.FFmpegError as e:
            raise CorruptInput(N_("video decoding or encoding failed: {reason}").format(reason=" ".join(str(e).split()))) from None
        finally:
            writer.out.close()
