"""Video: analyse (search -> track -> plan), then render (mask -> encode -> verify -> publish).

The analysis keeps only boxes per frame; the render decodes again, masks what the plan switches
on, checks sampled frames before encoding and reads the written file back. What verification
still finds is masked in another round and recorded in the released plan. Memory does not grow
with the video's length.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import N_
from ..errors import CorruptInput, OutputError, VerificationFailed
from ..mask import MaskStyle
from ..media.timeline import cut_short
from ..media.timeline import expected as expected_times, output_clock
from ..media.video import VideoInfo, iter_frames, probe_video
from ..names import tag_names, tells_nothing
from ..output import output_path, publish, staged
from ..plan import InputInfo, Plan, PlanTrack, as_box, in_picture, source_of
from ..track.shake import off_line
from ..track.tracks import TrackSettings, camera_path, held, track_boxes
from ..results import CleanResult, Verification
from ..types import Region
from ..verify.still import left_visible
from ..verify.video import FrameCheck, check_file, readback_frames
from .common import Options
from .progress import Stage
from .video_encode import FOLLOW_HEAD, PreCheck, encode, precheck_checker
from .video_search import Analysis, VideoOptions, detection_scales, search, video_finder

if TYPE_CHECKING:
    from .sound_track import SoundTrack

# H.264 transforms 8x8 blocks at most: every such block a mask touches is covered whole, so no
# masked pixel carries a residue of the face beside it (16, a whole macroblock, took 30% more of
# crowded pictures for nothing: bench/video_protect.py)
VIDEO_GRID = 8
MAX_ROUNDS = 5
AUDIO_WARNING = N_("the audio track is kept: voices identify people; drop it (the default) unless everyone heard has agreed")
AUDIO_NOTICE = N_("audio dropped (use --audio keep to keep it, re-encoded)")
MAX_UNCERTAIN = 2000  # uncertain spots a plan lists (the most likely first)


@dataclass
class VideoAnalysed:
    """A video's plan, with what the analysis found (``clean`` derives later rounds from it)."""

    plan: Plan
    info: VideoInfo
    found: Analysis
    # the plan's head boxes, per frame, that move with the camera's measured shake (filled by
    # plan_from): the render need not look for those faces off their boxes
    steady: dict[int, set[tuple[float, float, float, float]]] = field(default_factory=dict)


def _settings(info: VideoInfo, vopts: VideoOptions) -> TrackSettings:
    fps = float(info.rate) if info.rate else 25.0
    return TrackSettings(hold=max(1, round(vopts.hold_seconds * fps)), pad=max(1, round(vopts.pad_seconds * fps)))


def analyse(src: Path, sha256: str, opts: Options) -> VideoAnalysed:
    """Search, track, and write the plan: a track per face with its (head) box on every frame it
    masks; uncertain detections outside every track as switched-off regions of one frame."""
    info = probe_video(src)
    vopts = VideoOptions(crf=opts.crf, audio=opts.audio or "drop")
    if opts.faces:
        with Stage(opts, "analyse", info.frames, N_("analyse {name}").format(name=src.name)) as stage:
            found = search(src, info, vopts, stage.tick)
    else:
        found = Analysis(pts=[fr.pts for fr in iter_frames(src, one_size=True)])
        if found.n == 0:
            raise CorruptInput(N_("video has no decodable frames"))
    steady: dict[int, set[tuple[float, float, float, float]]] = {}
    return VideoAnalysed(plan_from(found, info, sha256, opts.manual_for(src), vopts, opts.faces, steady), info, found, steady)


def plan_from(found: Analysis, info: VideoInfo, sha256: str, manual: list[Region], vopts: VideoOptions, faces: bool = True, steady: dict[int, set[tuple[float, float, float, float]]] | None = None) -> Plan:
    """The plan an analysis gives: the person's regions, a track per face, and (when faces were
    searched) the uncertain spots no track masks. ``steady``: see _tracks."""
    plan = Plan(InputInfo(sha256, "video", info.format, info.width, info.height, found.n, f"{info.time_base.numerator}/{info.time_base.denominator}", list(found.pts)))
    for r in manual:
        plan.add_drawn(r)
    plan.tracks = _tracks(found, info, vopts, steady=steady)
    if faces:
        _add_uncertain(plan, found)
    return plan


def _tracks(found: Analysis, info: VideoInfo, vopts: VideoOptions, prefix: str = "t", steady: dict[int, set[tuple[float, float, float, float]]] | None = None) -> list[PlanTrack]:
    """The plan's tracks, derived from the analysis (deterministic: the same file gives the same).
    ``steady``, when given, is filled with the head boxes, per frame, that are where their face
    is whatever the camera did (see track_boxes): the render need not look for those."""
    if not found.looked:
        return []
    settings = _settings(info, vopts)
    path = camera_path(found.candidates, found.n, found.cuts, settings)
    tracks = found.face_tracks(settings, path)
    moves = found.moves if len(found.moves) == found.n else None
    out = []
    followed: list[set[int]] = []
    for t, boxes, kept in zip(tracks, track_boxes(tracks, found.n, found.cuts, settings, path, found.looked, found.candidates, moves, followed), followed):
        best = max(t.boxes.values(), key=lambda r: r.score)
        heads = {}
        for f, r in boxes.items():
            h = r.head()
            # a box held or bridged along the camera's path can leave the frame: it masks nothing
            fitted = in_picture(as_box((h.x0, h.y0, h.x1, h.y1)), info.width, info.height) if 0 <= f < found.n else None
            if fitted is not None:
                heads[f] = fitted
        if heads:
            out.append(PlanTrack(f"{prefix}{len(out) + 1}", heads, source=source_of(best)))
            if steady is not None and moves is not None:
                for f in kept & heads.keys():
                    steady.setdefault(f, set()).add(heads[f])
    return out


def _add_uncertain(plan: Plan, found: Analysis) -> None:
    """Uncertain detections no track masks: worth a look, switched off."""
    masked = plan.frame_masks()
    spots = [(r.score, f, r) for f, rs in found.uncertain.items() for r in rs if not any(r.head().iou(m) > 0.3 for m in masked.get(f, []))]
    for _, f, r in sorted(spots, key=lambda s: -s[0])[:MAX_UNCERTAIN]:
        plan.add_found(r.head(), shape="head", frames=(f, f), on=False, uncertain=True, prefix="u")


def _treated_sound(src: Path, voice: str, res: CleanResult) -> "SoundTrack":
    """The video's sound, streamed at render: silent (mute), disguised, or as recorded (warned)."""
    from .audio import DISGUISE_NOTE
    from .sound_track import SoundTrack

    res.warnings.append({"mute": N_("sound kept as silence of the same length"), "disguise": DISGUISE_NOTE}.get(voice, AUDIO_WARNING))
    return SoundTrack.open(src, voice)


def _sound(src: Path, info: VideoInfo, opts: Options, vopts: VideoOptions, res: CleanResult) -> "SoundTrack | None":
    """The sound is kept when asked for, or when a voice treatment other than muting is and
    ``--audio drop`` was not said (in a batch of videos and recordings it drops the videos'
    sound while the recordings' voices are disguised)."""
    vopts.audio = "drop"
    if info.has_audio and (opts.audio == "keep" or (opts.audio is None and opts.voice in ("disguise", "keep"))):
        vopts.audio = "keep"
        return _treated_sound(src, opts.voice or "keep", res)
    if info.has_audio:
        res.warnings.append(AUDIO_NOTICE)
    return None


def _held_track(plan: Plan, frame: int, r: Region, reach: int, n: int, prefix: str) -> PlanTrack:
    """A face verification found on ``frame``: its head held ``reach`` frames each side, growing
    with the distance as a tracker's held box does."""
    head = r.head()
    boxes = {}
    for f in range(max(0, frame - reach), min(n, frame + reach + 1)):
        h = head if f == frame else held(head, abs(f - frame))
        fitted = in_picture(as_box((h.x0, h.y0, h.x1, h.y1)), plan.input.width or 0, plan.input.height or 0)
        if fitted is not None:  # as a plan holds boxes (see Plan.add_found)
            boxes[f] = fitted
    return PlanTrack(plan.new_id(prefix), boxes, source=source_of(r))


def render(src: Path, plan: Plan, opts: Options, analysed: VideoAnalysed | None = None) -> CleanResult:
    """Render ``plan`` with full verification. With ``analysed`` (``clean`` in one go) faces
    verification finds are tracked with the analysis, as the first render's were; with a plan
    alone they are held a few seconds around where they were found."""
    vopts = VideoOptions(crf=opts.crf, audio=opts.audio or "drop")
    res = CleanResult(input=str(src), kind="video", input_sha256=plan.input.sha256)
    info = analysed.info if analysed is not None else probe_video(src)
    res.format, res.output_format = info.format, "mp4"
    tags = [*info.container_tags.items(), *((f"stream:{k}", v) for t in info.stream_tags for k, v in t.items())]
    res.metadata_found = tag_names(k for k, v in tags if not tells_nothing(k, v)) + sorted({f"{k} stream" for k in info.stream_kinds if k not in ("video",)} | ({"second video stream"} if info.stream_kinds.count("video") > 1 else set()))
    if info.stream_kinds.count("video") > 1:
        res.warnings.append(N_("a second video stream is left out (another camera or a preview): the copy holds the first picture alone"))
    final = output_path(src, opts.out_dir, ".mp4", (".mp4", ".m4v"), opts.output)
    if final.exists() and not opts.overwrite:
        raise OutputError(N_("output exists: {path} (use --overwrite)").format(path=final))
    sound = _sound(src, info, opts, vopts, res)
    pts = list(plan.input.pts or [])
    n = len(pts)
    # damaged input is refused, as for photos and sound: frames short of the declared length
    cut = cut_short(src, pts, info.time_base, info.rate)
    if cut and not opts.salvage:
        raise CorruptInput(N_("damaged video ({reason}); nothing written (--salvage keeps what decodes)").format(reason=cut))
    if cut:
        res.warnings.append(N_("damaged input salvaged: {reason}").format(reason=cut))
    settings = _settings(info, vopts)
    clock = output_clock(pts, info.time_base, info.rate)  # not the input's (it tells the device)
    # the frames the analysis did not search are searched as its mid frames are (video_search.search)
    mid = detection_scales(round(info.width * float(info.upright_aspect)), info.height, mid_side=vopts.mid_side)[1]
    search_scale = (mid, float(info.sample_aspect))
    # chroma is stored per 2x2 pixels: a video grid is even, so a mask's chroma never mixes with a face
    grid = opts.grid if opts.grid is not None else VIDEO_GRID
    style = MaskStyle(opts.fill, opts.color, grid if grid % 2 == 0 else 2 * grid)
    released = plan.copy()
    if plan.switched_off():
        res.warnings.append(N_("regions or tracks left visible as the plan says (switched off by a person); audit reports any face among them"))
    # a plan straight from this analysis (``clean`` in one go) is re-derived from it each round
    derive = analysed if analysed is not None and analysed.plan is plan else None
    seed = secrets.randbits(64)
    checked: dict[int, list[Region]] = {}  # masks of the frames the checker already passed
    looked = analysed.found.looked if analysed is not None else {}
    searched = {f for f, scale in looked.items() if scale > 0}
    key = max(looked.values(), default=0.0)  # the key frames' scale: full detail
    # how far the camera strayed from the straight line between frames searched in full detail
    full_detail = {f for f, scale in looked.items() if scale >= key > 0}
    stray = off_line(analysed.found.moves, sorted(full_detail)) if analysed is not None and len(analysed.found.moves) == n else None
    # ...but not for heads the analysis's plan already moves with the camera's measured shake
    # (matched by their boxes: a person's changes to a track are looked for)
    steady = analysed.steady if analysed is not None else {}
    with staged(final) as tmp:
        for rounds in range(1, MAX_ROUNDS + 1):
            masks = released.frame_masks()
            ends = {t.first for t in released.tracks if t.on} | {t.last for t in released.tracks if t.on}
            # a later round re-checks faces only where the masks changed (x264 is deterministic)
            skip = {f for f, rs in checked.items() if masks.get(f, []) == rs}
            sample = readback_frames(n, vopts.sample_every, ends, info.frames)
            check = FrameCheck(masks, style, sample, opts.faces, skip)
            # every frame the analysis did not search is searched before it is encoded, by the main
            # detector at the analysis's mid-frame size (the second detector's shrunken look let
            # faces under about 100 px at 1080p through), and the read-back's sample has the second
            # detector's look: the analysis searches one frame in three, so a face shown for a
            # frame or two between them (a turn to the camera, a flash cut, a shaken camera) was
            # never seen. A plan alone does not say which were searched.
            # small tracked heads are looked for at their zoom where the camera strayed from its
            # straight line (a hand-held camera), on frames not searched at full detail
            pre = PreCheck(sample - skip, settings.pad, released.switched_off, search=set(range(n)) - searched, search_scale=search_scale, follow_below=FOLLOW_HEAD / mid, full_detail=full_detail, follow_aspect=float(info.upright_aspect), off_line=stray, steady=steady) if opts.faces else None
            desc = N_("render {name} (round {round})").format(name=src.name, round=rounds) if rounds > 1 else N_("render {name}").format(name=src.name)
            with Stage(opts, "render", n, desc) as stage:
                try:
                    extradata = encode(src, tmp, info, masks, style, vopts, seed, sound, stage.tick, check.feed, pre, clock)
                except BaseException:
                    check.abort()
                    raise
            check.finish()
            unmasked = _not_kept(check.unmasked, released)
            problems = check.problems + check_file(tmp, info, pts, vopts.audio == "keep", check, extradata, clock)
            if problems:
                raise VerificationFailed(N_("verification failed: {problems}").format(problems="; ".join(problems[:3])))
            added = pre.added if pre is not None else {}
            for f, rs in sorted(added.items()):  # masked in this render already, held +-pad
                for r in rs:
                    released.tracks.append(_held_track(released, f, r, settings.pad, n, "p"))
            followed = pre.followed if pre is not None else {}
            _add_followed(released, followed)
            checked.update({f: list(masks.get(f, [])) for f in check.seen | (pre.sample if pre is not None else set()) if f not in unmasked})  # (the second detector's looks)
            if not unmasked:
                break
            released = _next_round(released, derive, added, unmasked, settings, vopts, n)
        else:
            when = ", ".join(f"{(pts[f] or 0) * float(info.time_base):.2f}s" for f in sorted(unmasked)[:5])
            raise VerificationFailed(N_("verification failed: faces still unmasked at {when}").format(when=when))
        publish(tmp, final, opts.overwrite)
    res.output, res.plan, res.verification = str(final), released, _verification(released, masks, n, pts, info, vopts, opts, rounds)
    res.regions = [_extent(t) for t in released.tracks if t.on] + [r.region() for r in released.regions if r.on]
    res.uncertain = [r.region() for r in released.uncertain if not r.on]
    filled = expected_times(pts, info.time_base, info.rate)[1]
    if filled:
        res.warnings.append(N_("{n} frame timestamp(s) missing or out of order in the input: filled in a frame apart").format(n=filled))
    if opts.faces:
        res.models = {w.name: w.sha256 for w in [*video_finder().weights, *precheck_checker().weights]}
    return res


def _add_followed(plan: Plan, followed: dict[int, list[tuple[Region, Region]]]) -> None:
    """Tracked faces found off their track's box (masked where found, on that frame alone): a
    track beside each track they were found off, on those frames."""
    owner = {(f, as_box((r.x0, r.y0, r.x1, r.y1))): t.id for t in plan.tracks if t.on for f in t.boxes if (r := t.region_at(f)) is not None}
    beside: dict[str, PlanTrack] = {}
    for f, pairs in sorted(followed.items()):
        for head, face in pairs:
            h = face.head()
            fitted = in_picture(as_box((h.x0, h.y0, h.x1, h.y1)), plan.input.width or 0, plan.input.height or 0)
            if fitted is None:
                continue
            key = owner.get((f, as_box((head.x0, head.y0, head.x1, head.y1))), f"{f}:{head}")
            if key not in beside:
                beside[key] = PlanTrack(plan.new_id("p"), {}, source=source_of(face))
                plan.tracks.append(beside[key])
            beside[key].boxes[f] = fitted


def _not_kept(found: dict[int, list[Region]], plan: Plan) -> dict[int, list[Region]]:
    """Faces verification found, less those a person switched off (theirs is the last word)."""
    out = {}
    for f, rs in found.items():
        kept = plan.switched_off(f)
        left = [r for r in rs if not any(left_visible(r.head(), k) for k in kept)]
        if left:
            out[f] = left
    return out


def _next_round(released: Plan, derive: VideoAnalysed | None, added: dict[int, list[Region]], unmasked: dict[int, list[Region]], settings: TrackSettings, vopts: VideoOptions, n: int) -> Plan:
    """The plan for the next round: faces found by verification tracked from now on (with the
    analysis, when the plan is its own: as the first render's faces were)."""
    if derive is not None:
        # (faces found by following a track are not: judged in its company, they would vouch
        # for all of a false track in the next round; the next render follows again)
        derive.found.add_faces(added)
        derive.found.add_faces(unmasked)
        derive.steady.clear()
        return Plan(released.input, list(released.regions), _tracks(derive.found, derive.info, vopts, steady=derive.steady))
    out = released.copy()
    for f, rs in sorted(unmasked.items()):
        for r in rs:
            out.tracks.append(_held_track(out, f, r, settings.hold, n, "v"))
    return out


def _extent(t: PlanTrack) -> Region:
    """One region per track in the result: its extent over time."""
    bs = list(t.boxes.values())
    return Region(min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs), t.source.score or 1.0, f"{t.source.label()} frames {t.first}-{t.last}", t.shape)


def _verification(released: Plan, masks: dict[int, list[Region]], n: int, pts: list[int | None], info: VideoInfo, vopts: VideoOptions, opts: Options, rounds: int) -> Verification:
    filled = expected_times(pts, info.time_base, info.rate)[1]
    return Verification(True, {
        "streams": "video only" + (" + audio" if vopts.audio == "keep" and info.has_audio else "") + ", no tags, no encoder strings",
        "timing": f"{n} frames, timestamps equal to the input's, counted from its first" + (f" ({filled} missing or out of order: filled in)" if filled else ""),
        "masks": f"{sum(len(v) for v in masks.values())} frame-regions from {sum(t.on for t in released.tracks)} tracks",
        "faces": "second detector found no unmasked face on sampled frames, before encoding and read back" if opts.faces else "skipped (--no-faces)",
    }, rounds)
