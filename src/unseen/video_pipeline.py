"""The video pipeline: probe -> decode -> detect -> track -> mask -> encode -> verify -> publish.

Analyse, then render: the first pass keeps only boxes per frame (and a tiny thumbnail to find
scene cuts), the second decodes again, masks and encodes. Memory does not grow with length.
"""
from __future__ import annotations

import secrets
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from .detect.judge import MASK_RULE
from .errors import CorruptInput, OutputError, VerificationFailed
from .formats.video import VideoInfo, _is_cover_art, frame_rotation, open_container, probe_video, rgb_at, upright
from .mask import MaskStyle, apply, fill_area, mask_areas
from .model import CleanResult, Region, Verification
from .output import output_path, publish, staged
from .prefetch import prefetch
from .track import Motion, Track, TrackSettings, camera_path, held, link, render_boxes
from .names import tag_names
from .timeline import Timeline
from .timeline import cut_short
from .timeline import expected as expected_times
from .video_verify import FrameCheck, audit_frames, check_file, sampled_frames

if TYPE_CHECKING:
    from .sound_track import SoundTrack

# H.264 transforms 8x8 blocks at most: every such block a mask touches is covered whole, so no
# masked pixel carries a residue of the face beside it (16, a whole macroblock, took 30% more of
# crowded pictures for nothing: bench/video_protect.py)
VIDEO_GRID = 8
MAX_ROUNDS = 5
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
AUDIO_WARNING = "the audio track is kept: voices identify people; drop it (the default) unless everyone heard has agreed"
AUDIO_NOTICE = "audio dropped (use --audio keep to keep it, re-encoded)"
# A new shot: the 32x18 grey thumbnails of two successive frames no longer correlate (below 0.25;
# on the test footage cuts score 0.19 at most and camera moves 0.31 at least, while the mean
# difference of a dark cut, 23-26 grey levels, is below that of a fast pan over a bright crowd),
# or their mean difference is large (38 grey levels: a cut to or from a flat picture)
CUT_CORRELATION = 0.25
CUT_THRESHOLD = 38.0
FLAT = 4.0  # grey-level spread under which a thumbnail has no structure to correlate
ANALYSIS_AHEAD = 8  # frames the analysis decodes ahead of the detector (bounded memory)
# The masking rule, with more of what falls short kept as uncertain: a track of uncertain
# detections seen on three searched frames or more is masked (Analysis.face_tracks)
VIDEO_RULE = replace(MASK_RULE, uncertain_share=0.25)


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


def _video_finder():  # type: ignore[no-untyped-def]
    global _VIDEO_FINDER
    if _VIDEO_FINDER is None:
        from .detect import DetectorSettings, FaceFinder

        # no mirrored pass: time does that job (each face is seen on many frames)
        _VIDEO_FINDER = FaceFinder(DetectorSettings(threshold=0.05, flip=False))
    return _VIDEO_FINDER


_VIDEO_FINDER = None


@lru_cache(maxsize=1)
def precheck_checker():  # type: ignore[no-untyped-def]
    """The second detector for checks before encoding: one thread, since it runs beside the
    decoder, the encoder and the read-back's own checker."""
    from .detect import FaceChecker

    return FaceChecker(threads=1)


def detection_scales(width: int, height: int, key_side: int = 1920, mid_side: int = 960) -> tuple[float, float]:
    """(key, mid) frame scales: key frames bring the picture to about ``key_side`` px (small
    faces; upscaled up to 1.5x, never downscaled); mid frames run at about ``mid_side`` px."""
    long_side = max(width, height)
    return max(1.0, min(1.5, key_side / long_side)), min(1.0, mid_side / long_side)


@dataclass
class Analysis:
    """What the first pass found. ``candidates``: every detection of the main detector on each
    searched frame (the camera's motion is estimated from them); ``faces``: those the judge
    calls faces, and ``uncertain``: those that came close (tracks are linked over both, and a
    track is kept when at least one of its detections is a face); ``looked``: the scale each
    searched frame was searched at; ``cuts``: first frames of new shots; ``pts``: every
    frame's timestamp."""

    candidates: dict[int, list[Region]] = field(default_factory=dict)
    faces: dict[int, list[Region]] = field(default_factory=dict)
    uncertain: dict[int, list[Region]] = field(default_factory=dict)
    looked: dict[int, float] = field(default_factory=dict)
    cuts: set[int] = field(default_factory=set)
    pts: list[int | None] = field(default_factory=list)

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

    def face_tracks(self, settings: TrackSettings, path: list[Motion], seen: int = 3) -> list[Track]:
        """Tracks over faces and uncertain detections, kept where one of their boxes is a face
        or where the face was seen, uncertain, on ``seen`` searched frames or more (time is a
        second look of its own: a faint face in a crowd comes back frame after frame)."""
        sure = {(f, r) for f, rs in self.faces.items() for r in rs}
        tracks = link(self.linkable(), self.cuts, settings, path)
        return [t for t in tracks if len(t.boxes) >= seen or any((f, r) in sure for f, r in t.boxes.items())]


def analyse(path: Path, info: VideoInfo, vopts: VideoOptions, progress: Callable[[int], None] | None = None) -> Analysis:
    """Search key frames (and the frames half-way between) for faces, judge each candidate,
    find scene cuts and read every frame's timestamp."""
    from .detect import judge_for
    from .formats.video import iter_frames

    finder = _video_finder()
    judge = judge_for(finder, VIDEO_RULE)
    res = Analysis()
    aspect = float(info.upright_aspect)
    key_scale, mid_scale = detection_scales(round(info.width * aspect), info.height, mid_side=vopts.mid_side)
    half = vopts.detect_every // 2

    def frames() -> Iterator[tuple[int, int | None, np.ndarray | None]]:
        """(index, pts, picture at the detector's scale or None): cuts found on the way."""
        prev = None
        for fr in iter_frames(path):
            i = fr.index
            th = fr.thumbnail()
            if prev is not None and scene_cut(prev, th):
                res.cuts.add(i)
            prev = th
            scale = key_scale if i % vopts.detect_every == 0 or i in res.cuts else mid_scale if half and i % vopts.detect_every == half else 0.0
            yield i, fr.pts, fr.scaled_rgb(scale, sample_aspect=float(info.sample_aspect)) if scale else None

    sizes: set[tuple[int, int]] = set()
    # frames are decoded, thumbnailed and scaled a few ahead while the detector runs
    for i, frame_pts, small in prefetch(frames(), ANALYSIS_AHEAD):
        res.pts.append(frame_pts)
        if small is not None:
            sh, sw = small.shape[:2]
            if (sw, sh) not in sizes:  # every analysed frame has one of two sizes: compile for them
                sizes.add((sw, sh))
                finder.model.expect(sw, sh)
            found = finder.find(small, [1.0])
            verdict = judge.candidates(small, found, scale=sh / info.height)
            back = (info.width / sw, info.height / sh)
            res.candidates[i] = [r.scaled(*back) for r in found]
            res.faces[i] = [r.scaled(*back) for r in verdict.faces]
            res.uncertain[i] = [r.scaled(*back) for r in verdict.uncertain]
            res.looked[i] = sh / info.height
        if progress:
            progress(1)
    if res.n == 0:
        raise CorruptInput("video has no decodable frames")
    return res


def scene_cut(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether two successive frames' thumbnails (see DecodedFrame.thumbnail) belong to two shots."""
    if float(np.abs(after - before).mean()) > CUT_THRESHOLD:
        return True
    a, b = before - before.mean(), after - after.mean()
    spread_a, spread_b = float(np.sqrt((a * a).mean())), float(np.sqrt((b * b).mean()))
    if spread_a < FLAT or spread_b < FLAT:  # a fade or a black frame: no structure to compare
        return False
    return float((a * b).mean()) / (spread_a * spread_b) < CUT_CORRELATION


def _heads(boxes: dict[int, list[Region]]) -> dict[int, list[Region]]:
    return {f: [r.head() for r in rs] for f, rs in boxes.items()}


def fill_yuv420(planes: np.ndarray, regions: list[Region], style: MaskStyle) -> np.ndarray:
    """Solid masks drawn into a yuv420p frame (FFmpeg's layout: Y rows, then U, then V, each
    chroma plane folded into rows of the full width); shapes are whole 2x2 blocks so chroma
    samples under a mask never mix with the face. BT.601 limited range, as swscale writes."""
    h = planes.shape[0] * 2 // 3
    w = planes.shape[1]
    r, g, b = (float(c) for c in style.color)
    y = round(16 + 0.257 * r + 0.504 * g + 0.098 * b)
    u = round(128 - 0.148 * r - 0.291 * g + 0.439 * b)
    v = round(128 + 0.439 * r - 0.368 * g - 0.071 * b)
    flat = planes.reshape(-1)
    u_plane = flat[h * w : h * w + h * w // 4].reshape(h // 2, w // 2)
    v_plane = flat[h * w + h * w // 4 :].reshape(h // 2, w // 2)
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
    """The second detector run on masked frames *before* they are encoded, so a face it finds is
    covered in this render instead of the next: the encoder lags ``pad`` frames behind, and those
    frames and the next ``pad`` get the face's region too, held as a tracker holds a box.
    Finds the checker is not sure of get the same second look as the main detector's
    candidates. ``added`` keeps what was found."""

    frames: set[int]
    pad: int
    threshold: float = PRECHECK_THRESHOLD
    added: dict[int, list[Region]] = field(default_factory=dict)

    def look(self, i: int, small: np.ndarray, width: int, height: int, regions: list[Region], grid: int) -> list[Region]:
        """Heads of the faces seen on frame ``i`` (given shrunk to the checker's working size,
        see FaceChecker.find_shrunk) that ``regions`` leave uncovered."""
        from .detect import judge_for
        from .model import Detections
        from .verify import unmasked_faces
        from .video_verify import checker_faces

        # the analysis is over: the finder's model is this thread's alone for its second looks
        seen = Detections(checker_faces(precheck_checker(), judge_for(_video_finder()), small, width, height, self.threshold).faces)
        new = [Region(r.x0, r.y0, r.x1, r.y1, r.score, "verify:" + r.source) for r in unmasked_faces(seen, regions, width, height, grid)]
        if new:
            self.added.setdefault(i, []).extend(new)
        return [r.head() for r in new]


def render(src: Path, dst: Path, info: VideoInfo, masks: dict[int, list[Region]], style: MaskStyle, vopts: VideoOptions, seed: int, sound: "SoundTrack | None" = None, progress: Callable[[int], None] | None = None, on_packet: "Callable[..., None] | None" = None, precheck: PreCheck | None = None) -> bytes | None:
    """Decode again, mask, encode H.264 with the input's timestamps into a fresh MP4; ``sound``
    (read again, muted or disguised, block by block) becomes an AAC track. Every video packet is
    handed to ``on_packet`` (payload, pts, dts, time base, decoder setup) before it is muxed.
    With ``precheck``, its frames are checked before encoding and what it finds is added to
    ``masks``. Returns the encoder's decoder setup (SPS/PPS) as written to the file."""
    import av

    rng = np.random.default_rng(seed)
    with open_container(src) as inp:
        v_in = [s for s in inp.streams if s.type == "video" and not _is_cover_art(s)][0]
        v_in.thread_type = "AUTO"
        # bitexact: no "Lavf" muxer string and no creation time in the container
        out = av.open(str(dst), mode="w", format="mp4", container_options={"fflags": "+bitexact"})
        try:
            rate = v_in.average_rate or v_in.guessed_rate or Fraction(25)
            v_out = out.add_stream("libx264", rate=rate)
            v_out.width, v_out.height = info.width - info.width % 2, info.height - info.height % 2
            v_out.pix_fmt = "yuv420p"
            if info.upright_aspect != 1:  # non-square pixels: keep the picture's shape
                v_out.codec_context.sample_aspect_ratio = info.upright_aspect
            v_out.time_base = v_in.time_base
            v_out.codec_context.time_base = v_in.time_base
            v_out.codec_context.options = {"crf": str(vopts.crf), "preset": vopts.preset}
            v_out.codec_context.flags |= getattr(av.codec.context.Flags, "bitexact", 0)
            # drop x264's SEI (encoder name, version and settings) from the bitstream
            bsf = av.bitstream.BitStreamFilterContext("filter_units=remove_types=6", v_out)

            def mux_video(fp) -> None:  # type: ignore[no-untyped-def]
                if on_packet is not None:  # before muxing: the muxer takes the packet's data
                    on_packet(bytes(fp), fp.pts, fp.dts, fp.time_base, v_out.codec_context.extradata)
                out.mux(fp)
            a_out = None
            if sound is not None:
                layout = "stereo" if sound.channels == 2 else "mono"
                a_out = out.add_stream("aac", rate=sound.rate, layout=layout)
                a_out.codec_context.flags |= getattr(av.codec.context.Flags, "bitexact", 0)

            def masked(i: int, frame) -> tuple[np.ndarray, str]:  # type: ignore[no-untyped-def]
                if style.fill == "solid" and not frame_rotation(frame) and (frame.width, frame.height) == (v_out.width, v_out.height):
                    # fast path: mask the decoded planes, no round trip through RGB
                    return fill_yuv420(frame.to_ndarray(format="yuv420p"), masks.get(i, []), style), "yuv420p"
                rgb = upright(frame, frame_rotation(frame))[: v_out.height, : v_out.width]
                return apply(rgb, masks.get(i, []), style, rng), "rgb24"

            def remask(pixels: np.ndarray, fmt: str, regions: list[Region]) -> np.ndarray:
                return fill_yuv420(pixels, regions, style) if fmt == "yuv420p" else apply(pixels, regions, style, rng)

            def encode(item: tuple[int, np.ndarray, str, int | None, Fraction]) -> None:
                _, pixels, fmt, pts, time_base = item
                nf = av.VideoFrame.from_ndarray(pixels, format=fmt)
                nf.pts, nf.time_base = pts, time_base
                for pk in v_out.encode(nf):
                    for fp in bsf.filter(pk):
                        mux_video(fp)

            # the input's timestamps in its own time base, repaired where missing or out of order
            timeline = Timeline(info.time_base, info.rate)  # as check_file expects
            lag = precheck.pad if precheck is not None else 0
            # The checker runs in a thread of its own while the next frames are decoded and
            # masked; its verdict on frame g is needed only before frame g - lag is encoded, and
            # ``slack`` more frames wait so that it is rarely waited for.
            slack = PRECHECK_SLACK if precheck is not None else 0
            waiting: deque[tuple[int, np.ndarray, str, int | None, Fraction]] = deque()
            verdicts: deque[tuple[int, Future[list[Region]]]] = deque()
            checker = ThreadPoolExecutor(1, thread_name_prefix="unseen-precheck") if precheck is not None else None

            def settle(upto: int) -> None:
                """Apply the checker's verdicts on frames up to ``upto``, in order: a face found
                on frame g is covered on g - lag .. g + lag, none of which is encoded yet."""
                while verdicts and verdicts[0][0] <= upto:
                    g, verdict = verdicts.popleft()
                    new = verdict.result()
                    if not new:
                        continue
                    # held like a tracker's box: growing with the frames from where it was seen
                    around = {f: [r if f == g else held(r, abs(f - g)) for r in new] for f in range(max(0, g - lag), g + lag + 1)}
                    for f, rs in around.items():
                        masks.setdefault(f, []).extend(rs)
                    for k, (f, px, fm, pts, tb) in enumerate(waiting):  # decoded, not encoded yet
                        if f in around:
                            waiting[k] = (f, remask(px, fm, around[f]), fm, pts, tb)

            def encode_next() -> None:
                settle(waiting[0][0] + lag)
                encode(waiting.popleft())

            try:
                i = 0
                for frame in inp.decode(v_in):
                    pixels, fmt = masked(i, frame)
                    waiting.append((i, pixels, fmt, timeline.next(frame.pts), timeline.time_base))
                    if checker is not None and precheck is not None and i in precheck.frames:
                        small = rgb_at(av.VideoFrame.from_ndarray(pixels, format=fmt), *precheck_checker().working_size(v_out.width, v_out.height))
                        verdicts.append((i, checker.submit(precheck.look, i, small, v_out.width, v_out.height, list(masks.get(i, [])), style.grid)))
                    while len(waiting) > lag + slack:
                        encode_next()
                    i += 1
                    if progress:
                        progress(1)
                while waiting:
                    encode_next()
            finally:
                if checker is not None:
                    checker.shutdown(wait=True, cancel_futures=True)
            if a_out is not None and sound is not None:
                # after the video: the muxer's interleaving buffer flushes every 10 s of it
                blocks = sound.blocks()
                try:
                    for block in blocks:
                        for start in range(0, block.shape[1], 4096):
                            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(block[:, start : start + 4096]), format="fltp", layout=layout)
                            af.sample_rate = sound.rate
                            for pk in a_out.encode(af):
                                out.mux(pk)
                finally:
                    blocks.close()  # the input's reader, also when stopped part-way
            for pk in v_out.encode():
                for fp in bsf.filter(pk):
                    mux_video(fp)
            for fp in bsf.filter(None):
                mux_video(fp)
            if a_out is not None:
                for pk in a_out.encode():
                    out.mux(pk)
            extradata = v_out.codec_context.extradata
        except av.error.FFmpegError as e:
            raise CorruptInput(f"video decoding or encoding failed: {' '.join(str(e).split())}") from None
        finally:
            out.close()
    return extradata


def _bar(enabled: bool, total: int | None, desc: str):  # type: ignore[no-untyped-def]
    """A tqdm bar on stderr (frames per second and time left), or None."""
    if not enabled:
        return None
    import sys

    from tqdm import tqdm

    from .display import shown

    # the description holds the file's name: escaped like every name a person reads
    return tqdm(total=total or None, unit="frame", desc=shown(desc), file=sys.stderr, leave=False)


def _treated_sound(src: Path, voice: str, res: CleanResult) -> "SoundTrack":
    """The video's sound, streamed at render: silent (mute), disguised, or as recorded (warned)."""
    from .audio_pipeline import DISGUISE_NOTE
    from .sound_track import SoundTrack

    res.warnings.append({"mute": "sound kept as silence of the same length", "disguise": DISGUISE_NOTE}.get(voice, AUDIO_WARNING))
    return SoundTrack.open(src, voice)


def clean_video(src: Path, opts) -> CleanResult:  # type: ignore[no-untyped-def]
    from .pipeline import sha256_file

    vopts = VideoOptions(crf=opts.crf, audio=opts.audio)
    res = CleanResult(input=str(src), kind="video")
    res.input_sha256 = sha256_file(src)
    info = probe_video(src)
    res.format, res.output_format = info.format, "mp4"
    res.metadata_found = tag_names([*info.container_tags, *(f"stream:{k}" for t in info.stream_tags for k in t)]) + sorted({f"{k} stream" for k in info.stream_kinds if k not in ("video",)})
    final = output_path(src, opts.out_dir, ".mp4", (".mp4", ".m4v"))
    if final.exists() and not opts.overwrite:
        raise OutputError(f"output exists: {final} (use --overwrite)")
    sound = None
    voice = opts.voice
    # the sound is kept when asked for, or when a voice treatment other than muting is asked for
    if info.has_audio and (opts.audio == "keep" or voice in ("disguise", "keep")):
        vopts.audio = "keep"
        sound = _treated_sound(src, voice or "keep", res)
    elif info.has_audio:
        vopts.audio = "drop"
        res.warnings.append(AUDIO_NOTICE)
    else:
        vopts.audio = "drop"
    bar = _bar(opts.progress, info.frames, f"analyse {src.name}")
    found = analyse(src, info, vopts, bar.update if bar else None) if opts.faces else Analysis()
    if bar:
        bar.close()
    if not opts.faces:
        from .formats.video import iter_frames

        found.pts = [fr.pts for fr in iter_frames(src)]
        if found.n == 0:
            raise CorruptInput("video has no decodable frames")
    pts, n = found.pts, found.n
    # damaged input is refused, as for photos and sound: frames short of the declared length
    cut = cut_short(src, pts, info.time_base, info.rate)
    if cut and not getattr(opts, "salvage", False):
        raise CorruptInput(f"damaged video ({cut}); nothing written (--salvage keeps what decodes)")
    if cut:
        res.warnings.append(f"damaged input salvaged: {cut}")
    manual = list(opts.manual.get(src.name, [])) + list(opts.manual.get("*", []))
    fps = float(info.rate) if info.rate else 25.0
    settings = TrackSettings(hold=max(1, round(vopts.hold_seconds * fps)), pad=max(1, round(vopts.pad_seconds * fps)))
    # chroma is stored per 2x2 pixels: a video grid is even, so a mask's chroma never mixes with a face
    grid = opts.grid if opts.grid is not None else VIDEO_GRID
    style = MaskStyle(opts.fill, opts.color, grid if grid % 2 == 0 else 2 * grid)
    seed = secrets.randbits(64)
    rounds = 0
    checked: dict[int, list[Region]] = {}  # masks of the frames the checker already passed
    added: dict[int, list[Region]] = {}  # faces the second detector found before encoding
    with staged(final) as tmp:
        for rounds in range(1, MAX_ROUNDS + 1):
            path = camera_path(found.candidates, n, found.cuts, settings)
            tracks = found.face_tracks(settings, path)
            masks = _heads(render_boxes(tracks, n, found.cuts, settings, path, found.looked, found.candidates))
            for f in range(n):
                if manual:
                    masks.setdefault(f, []).extend(manual)
            ends = {t.first for t in tracks} | {t.last for t in tracks}
            bar = _bar(opts.progress, n, f"render {src.name}" + (f" (round {rounds})" if rounds > 1 else ""))
            # a later round re-checks faces only where the masks changed (x264 is deterministic)
            skip = {f for f, rs in checked.items() if masks.get(f, []) == rs}
            sample = sampled_frames(n, vopts.sample_every, ends) | {f for f in audit_frames(info.frames) if f < n}
            check = FrameCheck(masks, style, sample, opts.faces, skip)
            pre = PreCheck(sample - skip, settings.pad) if opts.faces else None
            try:
                extradata = render(src, tmp, info, masks, style, vopts, seed, sound, bar.update if bar else None, check.feed, pre)
            except BaseException:
                check.abort()
                raise
            finally:
                if bar:
                    bar.close()
            check.finish()
            problems = check.problems + check_file(tmp, info, pts, vopts.audio == "keep", check, extradata)
            if problems:
                raise VerificationFailed("verification failed: " + "; ".join(problems[:3]))
            unmasked, seen = check.unmasked, check.seen
            added = pre.added if pre is not None else {}
            found.add_faces(added)  # tracked from now on (a later round's tracks)
            checked.update({f: list(masks.get(f, [])) for f in seen if f not in unmasked})
            if not unmasked:
                break
            found.add_faces(unmasked)
        else:
            when = ", ".join(f"{(pts[f] or 0) * float(info.time_base):.2f}s" for f in sorted(unmasked)[:5])
            raise VerificationFailed(f"verification failed: faces still unmasked at {when}")
        publish(tmp, final, opts.overwrite)
    res.output = str(final)
    # one region per track in the result (its extent over time), not one per frame
    res.regions = [
        Region(min(r.x0 for r in t.boxes.values()), min(r.y0 for r in t.boxes.values()),
               max(r.x1 for r in t.boxes.values()), max(r.y1 for r in t.boxes.values()),
               max(r.score for r in t.boxes.values()), f"{next(iter(t.boxes.values())).source} frames {t.first}-{t.last}")
        for t in tracks
    ] + [  # faces the second detector found before encoding in the last round (not yet tracks)
        Region(r.x0, r.y0, r.x1, r.y1, r.score, f"{r.source} frame {f}") for f, rs in sorted(added.items()) for r in rs
    ]
    filled = expected_times(pts, info.time_base, info.rate)[1]
    if filled:
        res.warnings.append(f"{filled} frame timestamp(s) missing or out of order in the input: filled in a frame apart")
    res.verification = Verification(True, {
        "streams": "video only" + (" + audio" if vopts.audio == "keep" and info.has_audio else "") + ", no tags, no encoder strings",
        "timing": f"{n} frames, timestamps equal to the input's" + (f" ({filled} missing or out of order: filled in)" if filled else ""),
        "masks": f"{sum(len(v) for v in masks.values())} frame-regions from {len(tracks)} tracks",
        "faces": "second detector found no unmasked face on sampled frames, before encoding and read back" if opts.faces else "skipped (--no-faces)",
    }, rounds)
    res.models = {}
    if opts.faces:
        res.models = {w.name: w.sha256 for w in [*_video_finder().weights, *precheck_checker().weights]}
    return res
