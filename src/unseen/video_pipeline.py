"""The video pipeline: probe -> decode -> detect -> track -> mask -> encode -> verify -> publish.

Analyse, then render: the first pass keeps only boxes per frame (and a tiny thumbnail to find
scene cuts), the second decodes again, masks and encodes. Memory does not grow with length.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import CorruptInput, OutputError, VerificationFailed
from .formats.video import VideoInfo, frame_rotation, open_container, probe_video, upright, _is_cover_art
from .mask import MaskStyle, apply, coverage
from .model import CleanResult, Region, Verification
from .output import output_path, publish, staged
from .track import TrackSettings, link, render_boxes

VIDEO_GRID = 16  # H.264 macroblocks
MAX_ROUNDS = 5
# The checker's threshold on video: 0.5 (its still-image setting) fires on hands and stage
# lights in crowded footage, every round adding boxes that create new edges; 0.6 keeps real
# faces (BlazeFace scores frontal faces above 0.8) and converges.
VIDEO_CHECK_THRESHOLD = 0.6
AUDIO_WARNING = "the audio track is kept: voices identify people; drop it (the default) unless everyone heard has agreed"
AUDIO_NOTICE = "audio dropped (use --audio keep to keep it, re-encoded)"
CUT_THRESHOLD = 38.0  # mean absolute difference of 32x18 grey thumbnails that marks a new shot
_ALLOWED_CONTAINER_TAGS = {"major_brand", "minor_version", "compatible_brands"}
_ALLOWED_STREAM_TAGS = {"language", "handler_name", "vendor_id"}
_GENERIC_HANDLERS = {"VideoHandler", "SoundHandler", ""}


@dataclass
class VideoOptions:
    crf: int = 18
    preset: str = "veryfast"
    audio: str = "drop"  # drop | keep
    # detect on one frame in three (and on every scene cut); the tracker bridges and pads the
    # rest. On the synthetic clips this exposed as few faces as detecting every frame.
    detect_every: int = 3
    sample_every: int = 12  # verification samples one frame in this many, plus track ends


def _video_finder():  # type: ignore[no-untyped-def]
    global _VIDEO_FINDER
    if _VIDEO_FINDER is None:
        from .detect import DetectorSettings, FaceFinder

        # Full resolution up to 1920 px, mirrored, the still-image threshold; no upscaled pass.
        # Measured on synthetic clips (bench/video_protect.py): a single 1024-px pass at 0.1
        # left 21% of faces exposed at least once; this setting, 2%.
        _VIDEO_FINDER = FaceFinder(DetectorSettings(threshold=0.07, detail_scale=0.0, overview_side=1920, flip=True))
    return _VIDEO_FINDER


_VIDEO_FINDER = None


def _thumb(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    ys = np.linspace(0, h - 1, 18).astype(int)
    xs = np.linspace(0, w - 1, 32).astype(int)
    return rgb[ys][:, xs].mean(-1)


def analyse(path: Path, info: VideoInfo, vopts: VideoOptions, progress: Callable[[int], None] | None = None) -> tuple[dict[int, list[Region]], set[int], list[int | None], int]:
    """Detections per analysed frame, scene cuts, and every frame's pts."""
    from .formats.video import iter_frames

    finder = _video_finder()
    dets: dict[int, list[Region]] = {}
    cuts: set[int] = set()
    pts: list[int | None] = []
    prev = None
    n = 0
    for i, p, _tb, rgb in iter_frames(path):
        pts.append(p)
        th = _thumb(rgb)
        if prev is not None and float(np.abs(th - prev).mean()) > CUT_THRESHOLD:
            cuts.add(i)
        prev = th
        if i % vopts.detect_every == 0 or i in cuts:
            dets[i] = list(finder.find(rgb))
        n = i + 1
        if progress:
            progress(1)
    if n == 0:
        raise CorruptInput("video has no decodable frames")
    return dets, cuts, pts, n


def _heads(boxes: dict[int, list[Region]]) -> dict[int, list[Region]]:
    return {f: [r.head() for r in rs] for f, rs in boxes.items()}


def render(src: Path, dst: Path, info: VideoInfo, masks: dict[int, list[Region]], style: MaskStyle, vopts: VideoOptions, seed: int, sound: "tuple[np.ndarray, int] | None" = None, progress: Callable[[int], None] | None = None) -> None:
    """Decode again, mask, encode H.264 with the input's timestamps into a fresh MP4; ``sound``
    (samples, rate), already muted or disguised, becomes an AAC track."""
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
            v_out.time_base = v_in.time_base
            v_out.codec_context.time_base = v_in.time_base
            v_out.codec_context.options = {"crf": str(vopts.crf), "preset": vopts.preset}
            v_out.codec_context.flags |= getattr(av.codec.context.Flags, "bitexact", 0)
            # drop x264's SEI (encoder name, version and settings) from the bitstream
            bsf = av.bitstream.BitStreamFilterContext("filter_units=remove_types=6", v_out)
            a_out = None
            if sound is not None:
                layout = "stereo" if sound[0].shape[0] == 2 else "mono"
                a_out = out.add_stream("aac", rate=sound[1], layout=layout)
                a_out.codec_context.flags |= getattr(av.codec.context.Flags, "bitexact", 0)
            i = 0
            for frame in inp.decode(v_in):
                rgb = upright(frame, frame_rotation(frame))[: v_out.height, : v_out.width]
                rgb = apply(rgb, masks.get(i, []), style, rng)
                nf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                nf.pts = frame.pts if frame.pts is not None else i
                nf.time_base = frame.time_base or v_in.time_base
                for pk in v_out.encode(nf):
                    for fp in bsf.filter(pk):
                        out.mux(fp)
                i += 1
                if progress:
                    progress(1)
            if a_out is not None:
                samples, rate = sound
                for start in range(0, samples.shape[1], 4096):
                    af = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, start : start + 4096]), format="fltp", layout=layout)
                    af.sample_rate = rate
                    for pk in a_out.encode(af):
                        out.mux(pk)
            for pk in v_out.encode():
                for fp in bsf.filter(pk):
                    out.mux(fp)
            for fp in bsf.filter(None):
                out.mux(fp)
            if a_out is not None:
                for pk in a_out.encode():
                    out.mux(pk)
        except av.error.FFmpegError as e:
            raise CorruptInput(f"video decoding or encoding failed: {' '.join(str(e).split())}") from None
        finally:
            out.close()


def verify_video(path: Path, info: VideoInfo, pts_in: list[int | None], masks: dict[int, list[Region]], style: MaskStyle, vopts: VideoOptions, faces: bool, tracks_ends: set[int]) -> tuple[list[str], dict[int, list[Region]]]:
    """Read the output back: streams and tags exactly as meant, same frames and timestamps,
    masks present on sampled frames, and no face the second detector sees outside them."""
    problems: list[str] = []
    unmasked: dict[int, list[Region]] = {}
    raw = path.read_bytes()
    for needle in (b"x264 - core", b"Lavf", b"Lavc", b"libx264"):
        if needle in raw:
            problems.append(f"encoder string {needle.decode()!r} in output")
    want = {"video"} | ({"audio"} if vopts.audio == "keep" else set())
    with open_container(path) as c:
        kinds = [s.type for s in c.streams]
        if sorted(kinds) != sorted(want):
            problems.append(f"output streams {kinds}, expected {sorted(want)}")
        extra = {k for k in c.metadata if k not in _ALLOWED_CONTAINER_TAGS}
        if extra:
            problems.append(f"container tags in output: {sorted(extra)}")
        for s in c.streams:
            bad = {k for k in s.metadata if k not in _ALLOWED_STREAM_TAGS}
            if s.metadata.get("handler_name", "") not in _GENERIC_HANDLERS:
                bad.add("handler_name")
            if bad:
                problems.append(f"stream tags in output: {sorted(bad)}")
        chapters = c.chapters() if callable(getattr(c, "chapters", None)) else []
        if chapters:
            problems.append("chapters in output")
        v = c.streams.video[0]
        n_in = len(pts_in)
        ends = sorted(tracks_ends)
        if len(ends) > n_in // 4:  # crowded footage: every frame is some track's end; thin them
            ends = ends[:: max(1, len(ends) // max(1, n_in // 4))]
        sample = set(range(0, n_in, max(1, vopts.sample_every))) | {0, n_in - 1} | set(ends)
        checker = None
        if faces:
            from .detect import face_checker

            checker = face_checker()
        pts_out: list[int | None] = []
        for i, frame in enumerate(c.decode(v)):
            pts_out.append(frame.pts)
            if i not in sample:
                continue
            rgb = frame.to_ndarray(format="rgb24")
            h, w = rgb.shape[:2]
            for r in masks.get(i, []):
                x0, y0, x1, y1 = r.pixel_box(w, h, style.grid)
                if x1 > x0 and y1 > y0 and style.fill == "solid":
                    patch = rgb[y0:y1, x0:x1].astype(int)
                    near = (np.abs(patch - np.array(style.color)) <= 40).all(-1).mean()
                    if near < 0.97:
                        problems.append(f"mask not present in frame {i} at ({x0},{y0})")
            if checker is not None:
                cov = coverage(masks.get(i, []), w, h, style.grid)
                for r in checker.find(rgb):
                    if r.score < VIDEO_CHECK_THRESHOLD:
                        continue
                    bx0, by0, bx1, by1 = r.pixel_box(w, h)
                    if bx1 > bx0 and by1 > by0 and cov[by0:by1, bx0:bx1].mean() < 0.8:
                        unmasked.setdefault(i, []).append(Region(r.x0, r.y0, r.x1, r.y1, r.score, "verify:" + r.source))
    tb_ok = len(pts_out) == len(pts_in)
    if not tb_ok:
        problems.append(f"output has {len(pts_out)} frames, input {len(pts_in)}")
    elif any(a is not None and a != b for a, b in zip(pts_in, pts_out)):
        problems.append("output timestamps differ from the input's")
    return problems, unmasked


def _bar(enabled: bool, total: int | None, desc: str):  # type: ignore[no-untyped-def]
    """A tqdm bar on stderr (frames per second and time left), or None."""
    if not enabled:
        return None
    import sys

    from tqdm import tqdm

    return tqdm(total=total or None, unit="frame", desc=desc, file=sys.stderr, leave=False)


def _treated_sound(src: Path, voice: str, res: CleanResult) -> tuple[np.ndarray, int]:
    """The video's sound as samples: silent (mute), disguised, or as recorded (warned)."""
    from .audio_pipeline import DISGUISE_NOTE
    from .formats.audio import decode_audio
    from .voice import Disguise, disguise

    sound = decode_audio(src)
    if voice == "mute":
        res.warnings.append("sound kept as silence of the same length")
        return np.zeros_like(sound.samples), sound.rate
    if voice == "disguise":
        params = Disguise.random()
        res.warnings.append(DISGUISE_NOTE)
        return np.stack([disguise(ch, sound.rate, params) for ch in sound.samples]), sound.rate
    res.warnings.append(AUDIO_WARNING)
    return sound.samples, sound.rate


def clean_video(src: Path, opts) -> CleanResult:  # type: ignore[no-untyped-def]
    from .pipeline import sha256_file

    vopts = VideoOptions(crf=opts.crf, audio=opts.audio)
    res = CleanResult(input=str(src), kind="video")
    res.input_sha256 = sha256_file(src)
    info = probe_video(src)
    res.format, res.output_format = info.format, "mp4"
    res.metadata_found = sorted(set(info.container_tags) | {f"stream:{k}" for t in info.stream_tags for k in t} | {f"{k} stream" for k in info.stream_kinds if k not in ("video",)})
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
    dets, cuts, pts, n = analyse(src, info, vopts, bar.update if bar else None) if opts.faces else ({}, set(), [], 0)
    if bar:
        bar.close()
    if not opts.faces:
        from .formats.video import iter_frames

        pts = [p for _, p, _, _ in iter_frames(src)]
        n = len(pts)
        if n == 0:
            raise CorruptInput("video has no decodable frames")
    manual = list(opts.manual.get(src.name, [])) + list(opts.manual.get("*", []))
    settings = TrackSettings()
    style = MaskStyle(opts.fill, opts.color, opts.grid if opts.grid is not None else VIDEO_GRID)
    seed = secrets.randbits(64)
    rounds = 0
    with staged(final) as tmp:
        for rounds in range(1, MAX_ROUNDS + 1):
            tracks = link(dets, cuts, settings)
            masks = _heads(render_boxes(tracks, n, cuts, settings))
            for f in range(n):
                if manual:
                    masks.setdefault(f, []).extend(manual)
            ends = {t.first for t in tracks} | {t.last for t in tracks}
            bar = _bar(opts.progress, n, f"render {src.name}" + (f" (round {rounds})" if rounds > 1 else ""))
            render(src, tmp, info, masks, style, vopts, seed, sound, bar.update if bar else None)
            if bar:
                bar.close()
            problems, unmasked = verify_video(tmp, info, pts, masks, style, vopts, opts.faces, ends)
            if problems:
                raise VerificationFailed("verification failed: " + "; ".join(problems[:3]))
            if not unmasked:
                break
            for f, rs in unmasked.items():
                dets.setdefault(f, []).extend(rs)
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
    ]
    res.verification = Verification(True, {
        "streams": "video only" + (" + audio" if vopts.audio == "keep" and info.has_audio else "") + ", no tags, no encoder strings",
        "timing": f"{n} frames, timestamps equal to the input's",
        "masks": f"{sum(len(v) for v in masks.values())} frame-regions from {len(tracks)} tracks",
        "faces": "second detector found no unmasked face on sampled frames" if opts.faces else "skipped (--no-faces)",
    }, rounds)
    res.models = {}
    if opts.faces:
        from .detect import face_checker

        res.models = {w.name: w.sha256 for w in [*_video_finder().weights, *face_checker().weights]}
    return res
