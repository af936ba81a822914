"""Face protection in video, metrics.md section 2: synthetic camera motion over annotated stills.

    python bench/video_protect.py [--clips 12] [--frames 75] [--size 1280x720] [--results NAME.json]
                                  [--unseen-args "..."] [--skip-deface] [--skip-unseen] [--true-aspect]
                                  [--tripod] [--score-only | --plan-only]

Each clip places one WIDER FACE image (the ones with the most faces) on a canvas and moves a
seeded camera over it: smooth pan, zoom between 0.8x and 1.6x, small shake; every fourth clip
cuts to another image for 5 frames (--tripod: the camera stands still at the middle of its path,
the crowd filmed from a tripod). Ground-truth boxes follow exactly the same geometry.
unseen and deface run on the same clips; writes bench/results/video_protect.json (or --results).

Per clip and overall, per tool: exposed face-frames, faces ever exposed, and collateral: the
share of bright pixels (input luma > 40) outside every ground-truth box enlarged 1.8x about its
centre that are masked (every channel <= 16 in the output), over every frame (the cut frames
with the boxes of the photo they show). Overall collateral pools the pixels of all clips; the
mean and maximum over clips are reported too.
"""
from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from faces import load_gt, true_aspect  # noqa: E402


# --tripod: every clip's camera stands still at its path's middle (a crowd filmed from a tripod:
# the same pixels frame after frame, the case where repeated sightings prove least)
TRIPOD = False


def camera(seed: int, frames: int) -> list[tuple[float, float, float]]:
    """(zoom, pan_x, pan_y) per frame: smooth curves plus a little smoothed shake (or, with
    TRIPOD, the middle of that path on every frame)."""
    if TRIPOD:
        return [_moving_camera(seed, frames)[frames // 2]] * frames
    return _moving_camera(seed, frames)


def _moving_camera(seed: int, frames: int) -> list[tuple[float, float, float]]:
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, frames)
    z0, z1 = rng.uniform(0.8, 1.6, 2)
    zoom = z0 + (z1 - z0) * (1 - np.cos(np.pi * t)) / 2
    px0, px1, py0, py1 = rng.uniform(-0.25, 0.25, 4)
    pan_x = px0 + (px1 - px0) * t
    pan_y = py0 + (py1 - py0) * t
    shake = np.convolve(rng.normal(0, 0.006, (frames + 4)), np.ones(5) / 5, mode="valid")[:frames]
    return [(float(zoom[i]), float(pan_x[i] + shake[i]), float(pan_y[i] - shake[i])) for i in range(frames)]


def geometry(size: tuple[int, int], zoom: float, px: float, py: float, img_side: int = 416, img_w: int | None = None) -> tuple[float, float, float]:
    """(scale, x offset, y offset) placing an ``img_side`` px tall picture (``img_w`` wide,
    square by default) centred on the canvas, zoomed and panned."""
    W, H = size
    s = H / img_side * zoom
    ox = W / 2 - (img_w or img_side) * s / 2 + px * W
    oy = H / 2 - img_side * s / 2 + py * H
    return s, ox, oy


def render_frame(img: Image.Image, size: tuple[int, int], s: float, ox: float, oy: float) -> np.ndarray:
    return np.asarray(img.transform(size, Image.AFFINE, (1 / s, 0, -ox / s, 0, 1 / s, -oy / s), Image.BILINEAR, fillcolor=(96, 96, 96)))


def clip_frames(images: list[Image.Image], k: int, frames: int, size: tuple[int, int]):  # type: ignore[no-untyped-def]
    """Yield (frame RGB, boxes in frame pixels or None during a cut) for clip k."""
    path = camera(k, frames)
    cut = range(frames // 2, frames // 2 + 5) if k % 4 == 3 else range(0)
    for i, (z, px, py) in enumerate(path):
        shown = images[(k + 1) % len(images)] if i in cut else images[k]
        s, ox, oy = geometry(size, z, px, py, img_w=shown.width)
        yield render_frame(shown, size, s, ox, oy), None if i in cut else (s, ox, oy)


def write_clip(path: Path, frames_iter) -> None:  # type: ignore[no-untyped-def]
    out = av.open(str(path), "w")
    v = out.add_stream("libx264", rate=25)
    first = True
    for i, (rgb, _) in enumerate(frames_iter):
        if first:
            v.height, v.width = rgb.shape[:2]
            v.pix_fmt = "yuv420p"
            v.codec_context.options = {"crf": "12", "preset": "veryfast"}
            first = False
        f = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        f.pts = i
        f.time_base = Fraction(1, 25)
        for p in v.encode(f):
            out.mux(p)
    for p in v.encode():
        out.mux(p)
    out.close()


def near_faces(shape: tuple[int, int], boxes, s: float, ox: float, oy: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Pixels inside any ground-truth box (image coordinates, mapped by s, ox, oy) enlarged 1.8x
    about its centre (metrics.md section 1 step 6, section 2)."""
    H, W = shape
    near = np.zeros((H, W), bool)
    for x, y, w, h in boxes:
        cx, cy, hw, hh = (x + w / 2) * s + ox, (y + h / 2) * s + oy, 0.9 * w * s, 0.9 * h * s
        x0, y0 = max(0, int(np.floor(cx - hw))), max(0, int(np.floor(cy - hh)))
        x1, y1 = min(W, int(np.ceil(cx + hw))), min(H, int(np.ceil(cy + hh)))
        if x1 > x0 and y1 > y0:
            near[y0:y1, x0:x1] = True
    return near


def face_shares(boxes, geo: tuple[float, float, float], bright: np.ndarray, masked: np.ndarray):  # type: ignore[no-untyped-def]
    """(face index, share of its bright pixels masked) for every face at least 16 px tall in the
    frame; the share is None where under a quarter of its box is bright enough to judge."""
    s, ox, oy = geo
    H, W = masked.shape
    for j, (x, y, w, h) in enumerate(boxes):
        x0, y0 = int(np.floor(x * s + ox)), int(np.floor(y * s + oy))
        x1, y1 = int(np.ceil((x + w) * s + ox)), int(np.ceil((y + h) * s + oy))
        if h * s < 16:
            continue
        cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        elig = bright[cy0:cy1, cx0:cx1]
        if elig.sum() < 0.25 * (x1 - x0) * (y1 - y0):
            yield j, None
            continue
        yield j, float(masked[cy0:cy1, cx0:cx1][elig].mean())


def kept_analysis(src: Path, info, cache: Path, reuse: bool = True):  # type: ignore[no-untyped-def]
    """The video pipeline's analysis of ``src``, read from ``cache`` when it is there (and
    ``reuse``), otherwise searched and written there."""
    import pickle

    from unseen.pipeline.video_search import VideoOptions, search

    if reuse and cache.exists():
        return pickle.loads(cache.read_bytes())
    found = search(src, info, VideoOptions())
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(found))
    return found


def plan_masks(src: Path, cache: Path, edit=None):  # type: ignore[no-untyped-def]
    """Per frame, what the plan of ``src`` masks (as the render draws it), without rendering:
    the analysis is kept in ``cache`` (a tracker change is then scored in seconds). ``edit``:
    a change made to the plan first, as a person would on the review page."""
    from unseen.mask import mask_areas
    from unseen.media.video import probe_video
    from unseen.pipeline.video import VIDEO_GRID, plan_from
    from unseen.pipeline.video_search import VideoOptions

    info = probe_video(src)
    found = kept_analysis(src, info, cache)
    plan = plan_from(found, info, "0" * 64, [], VideoOptions())
    if edit is not None:
        edit(plan)
    for i in range(found.n):
        masked = np.zeros((info.height, info.width), bool)
        for (x0, y0, x1, y1), inside in mask_areas([t.region_at(i) for t in plan.tracks if t.on and i in t.boxes], info.width, info.height, VIDEO_GRID):
            masked[y0:y1, x0:x1] |= True if inside is None else inside
        yield masked


# what an analysis depends on (paths under the unseen package): a kept analysis made by other
# code is made again; the tracker and the plan (what --plan-only tries out) are not in it
# (track/shake.py: the moves are part of it; media/panorama.py: a 360 video's poles are searched)
ANALYSIS_CODE = ("detect", "pipeline/video_search.py", "media/video.py", "media/panorama.py", "track/cuts.py", "track/shake.py")


def plan_work(work: Path, **settings) -> None:  # type: ignore[no-untyped-def]
    """Keep ``work``'s clips and kept analyses only where they were made with these settings and
    this analysis code; otherwise empty it."""
    import hashlib

    import unseen

    root = Path(unseen.__file__).parent
    digest = hashlib.sha256()
    for part in ANALYSIS_CODE:
        for f in sorted((root / part).rglob("*.py")) if (root / part).is_dir() else [root / part]:
            digest.update(f.read_bytes())
    stamp = json.dumps({**settings, "analysis_code": digest.hexdigest()}, sort_keys=True)
    mark = work / "plan_only.json"
    if not mark.exists() or mark.read_text() != stamp:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        mark.write_text(stamp)


def plan_clips(work: Path, args: argparse.Namespace, names: list[str], images, size) -> None:  # type: ignore[no-untyped-def]
    """The clips of a --plan-only working folder (kept while settings and analysis code hold)."""
    plan_work(work, images=names, frames=args.frames, size=args.size, true_aspect=args.true_aspect, tripod=args.tripod)
    (work / "clips").mkdir(parents=True, exist_ok=True)
    for k in range(len(names)):
        if not (work / "clips" / f"clip{k:02d}.mp4").exists():
            write_clip(work / "clips" / f"clip{k:02d}.mp4", clip_frames(images, k, args.frames, size))


MISSING = {"face_frames": 0, "exposed": 0, "faces": 0, "faces_ever_exposed": 0, "bright_away": 0, "masked_away": 0, "collateral": None, "missing": True}


def score(out_path: Path, images, k: int, frames: int, size, boxes, cut_boxes=()) -> dict:  # type: ignore[no-untyped-def]
    """Exposure of the faces of clip k and collateral; cut_boxes: the ground truth of the photo
    shown during the clip's cut (used for collateral only)."""
    if not out_path.exists():
        return dict(MISSING)
    try:  # a tool stopped midway can leave a file with no video stream
        with av.open(str(out_path)) as c:
            if not c.streams.video:
                return dict(MISSING)
    except (av.FFmpegError, IndexError, ValueError):
        return dict(MISSING)
    resized = False

    def picture(f) -> np.ndarray:  # type: ignore[no-untyped-def]
        # deface writes 1080-line video as 1088 lines (its writer scales frames to a multiple of
        # 16): scored after scaling back to the input's size
        nonlocal resized
        if (f.width, f.height) == tuple(size):
            return f.to_ndarray(format="rgb24")
        resized = True
        return f.to_ndarray(width=size[0], height=size[1], format="rgb24", interpolation="BILINEAR")

    with av.open(str(out_path)) as c:
        out = score_masks(((picture(f) <= 16).all(-1) for f in c.decode(video=0)), images, k, frames, size, boxes, cut_boxes)
    return {**out, "output_resized": resized}


def score_masks(masks, images, k: int, frames: int, size, boxes, cut_boxes=()) -> dict:  # type: ignore[no-untyped-def]
    """score() given each frame's masked pixels (an output's, or a plan's as plan_masks draws
    them)."""
    face_frames = exposed = skipped = 0
    ever = [False] * len(boxes)
    counted = [False] * len(boxes)
    bright_away = masked_away = 0
    path = camera(k, frames)
    for i, ((rgb, geo), masked) in enumerate(zip(clip_frames(images, k, frames, size), masks)):
        luma = rgb @ np.array([0.299, 0.587, 0.114])
        H, W = masked.shape
        bright = luma > 40
        # collateral: bright pixels away from every face (1.8x boxes) that came out masked
        away = bright & ~near_faces((H, W), boxes if geo is not None else cut_boxes, *(geo or geometry(size, *path[i], img_w=images[(k + 1) % len(images)].width)))
        bright_away += int(away.sum())
        masked_away += int((away & masked).sum())
        if geo is None:
            continue
        for j, share in face_shares(boxes, geo, bright, masked):
            if share is None:
                skipped += 1
                continue
            face_frames += 1
            counted[j] = True
            if share < 0.9:
                exposed += 1
                ever[j] = True
    return {
        "face_frames": face_frames,
        "exposed": exposed,
        "faces": sum(counted),
        "faces_ever_exposed": sum(ever),
        "skipped": skipped,
        "bright_away": bright_away,
        "masked_away": masked_away,
        "collateral": masked_away / bright_away if bright_away else None,
    }


def clip_arguments(ap: argparse.ArgumentParser) -> None:
    """The options that choose the synthetic clips (shared with bench/motion.py)."""
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "eval" / "faces-wider")
    ap.add_argument("--clips", type=int, default=12)
    ap.add_argument("--frames", type=int, default=75)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--true-aspect", action="store_true", help="restore each photo's original proportions (the 416x416 copies squeezed most faces to about half their width)")
    ap.add_argument("--tripod", action="store_true", help="a camera that stands still (each clip at its path's middle), cuts kept")


def crowd_clips(args: argparse.Namespace) -> tuple[dict, list[str], list[Image.Image], tuple[int, int]]:
    """Ground truth, the crowd photos (most faces at least 12 px tall in the 416x416 image), their
    pictures and the canvas size."""
    gt = load_gt(args.data)
    names = sorted(gt, key=lambda n: (-sum(1 for b in gt[n] if b[3] >= 12), n))[: args.clips]
    images = [Image.open(args.data / "images" / n).convert("RGB") for n in names]
    if args.true_aspect:  # the photos in their original proportions (see bench/faces.py)
        for k, n in enumerate(names):
            images[k], gt[n] = true_aspect(args.data, n, images[k], gt[n])
    w, h = (int(v) for v in args.size.split("x"))
    return gt, names, images, (w, h)


def main() -> None:
    ap = argparse.ArgumentParser()
    clip_arguments(ap)
    ap.add_argument("--unseen", default=shutil.which("unseen") or "unseen")
    ap.add_argument("--deface", default=str(HERE / ".venv-deface" / "bin" / "deface"))
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--skip-unseen", action="store_true")
    ap.add_argument("--unseen-args", default="", help="extra arguments for `unseen clean`, one shell-quoted string")
    ap.add_argument("--results", help="file name under bench/results/ (default: video_protect.json, or video_protect_true_aspect.json with --true-aspect)")
    ap.add_argument("--score-only", action="store_true", help="score the outputs already in the working folder (no clips made, no tool run, no timing)")
    ap.add_argument("--plan-only", action="store_true", help="unseen only, scored from its plan without rendering (the analysis of each clip is kept in WORK/analysis and made again when the clips or the analysis code change: a tracker change is scored in a minute); no checks before encoding, no deface, no timing; results in video_protect_plan.json unless --results")
    ap.add_argument("--work", type=Path, help="working folder, emptied first unless --score-only or --plan-only (default: bench/out/video_protect, or bench/out/RESULTS-STEM for another --results, so that runs with different results files do not clobber each other)")
    args = ap.parse_args()
    if args.plan_only and args.unseen_args:
        ap.error("--unseen-args does not apply to --plan-only (the plan is drawn with unseen's defaults)")
    global TRIPOD
    TRIPOD = args.tripod
    args.results = args.results or ("video_protect" + ("_true_aspect" if args.true_aspect else "") + ("_tripod" if args.tripod else "")) + ("_plan.json" if args.plan_only else ".json")
    gt, names, images, size = crowd_clips(args)
    work = args.work or HERE / "out" / ("video_protect" if args.results == "video_protect.json" else Path(args.results).stem)
    if args.plan_only:
        args.skip_deface = True
        plan_clips(work, args, names, images, size)
    elif not args.score_only:
        shutil.rmtree(work, ignore_errors=True)
        (work / "clips").mkdir(parents=True)
        (work / "unseen").mkdir()
        (work / "deface").mkdir()
        for k in range(len(names)):
            write_clip(work / "clips" / f"clip{k:02d}.mp4", clip_frames(images, k, args.frames, size))
    results: dict = {"clips": len(names), "frames": args.frames, "size": args.size, "tripod": args.tripod, "unseen_args": args.unseen_args, "score_only": args.score_only, "plan_only": args.plan_only, "images": names}
    t = time.perf_counter()
    if not args.skip_unseen and not args.score_only and not args.plan_only:
        subprocess.run([args.unseen, "clean", str(work / "clips"), "-o", str(work / "unseen"), "-q", *shlex.split(args.unseen_args)])
    results["unseen_seconds"] = time.perf_counter() - t
    tools = {"unseen": lambda k: work / "unseen" / f"clip{k:02d}.unseen.mp4"}
    if args.skip_unseen:
        tools.pop("unseen")
    if not args.skip_deface:
        t = time.perf_counter()
        for k in range(len(names) if not args.score_only else 0):
            subprocess.run([args.deface, str(work / "clips" / f"clip{k:02d}.mp4"), "--replacewith", "solid", "-o", str(work / "deface" / f"clip{k:02d}.mp4")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        results["deface_seconds"] = time.perf_counter() - t
        tools["deface"] = lambda k: work / "deface" / f"clip{k:02d}.mp4"
    for tool, out_of in tools.items():
        tot = {"face_frames": 0, "exposed": 0, "faces": 0, "faces_ever_exposed": 0, "bright_away": 0, "masked_away": 0}
        per_clip = []
        for k, n in enumerate(names):
            if args.plan_only:
                masks = plan_masks(work / "clips" / f"clip{k:02d}.mp4", work / "analysis" / f"clip{k:02d}.pkl")
                r = score_masks(masks, images, k, args.frames, size, list(gt[n]), gt[names[(k + 1) % len(names)]])
            else:
                r = score(out_of(k), images, k, args.frames, size, list(gt[n]), gt[names[(k + 1) % len(names)]])
            per_clip.append({"clip": k, "image": n, **r})
            for key in tot:
                tot[key] += r.get(key, 0)
        tot["exposed_face_frames_share"] = tot["exposed"] / max(1, tot["face_frames"])
        tot["faces_ever_exposed_share"] = tot["faces_ever_exposed"] / max(1, tot["faces"])
        tot["collateral"] = tot["masked_away"] / max(1, tot["bright_away"])
        clip_coll = [c["collateral"] for c in per_clip if c.get("collateral") is not None]
        tot["collateral_mean_per_clip"] = float(np.mean(clip_coll)) if clip_coll else None
        tot["collateral_max_per_clip"] = float(np.max(clip_coll)) if clip_coll else None
        tot["missing_outputs"] = sum(1 for c in per_clip if c.get("missing"))
        results[tool] = tot
        results[f"{tool}_per_clip"] = per_clip
        print(tool, json.dumps(tot))
    frames_total = len(names) * args.frames
    if args.score_only or args.plan_only:
        for tool in tools:
            results[f"{tool}_seconds"] = None
    for tool in tools:
        results[tool]["fps"] = None if args.score_only or args.plan_only else frames_total / results[f"{tool}_seconds"]
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / args.results).write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k != "images" and not k.endswith("_per_clip")}, indent=1))
    shown = list(tools)
    print(f"\n| clip ({args.size}, {args.frames} frames) | " + " | ".join(f"{t} exposed face-frames | {t} faces ever exposed | {t} collateral" for t in shown) + " |")
    print("|---|" + "---|---|---|" * len(shown))

    def pct(v) -> str:  # type: ignore[no-untyped-def]
        return "-" if v is None else f"{v:.1%}"

    for k, n in enumerate(names):
        cells = []
        for t in shown:
            c = results[f"{t}_per_clip"][k]
            cells += [f"{c['exposed']}/{c['face_frames']}", f"{c['faces_ever_exposed']}/{c['faces']}", pct(c.get("collateral"))]
        print(f"| {k}: {n.split('/')[-1]} | " + " | ".join(cells) + " |")
    cells = []
    for t in shown:
        r = results[t]
        cells += [f"**{r['exposed_face_frames_share']:.1%}** ({r['exposed']}/{r['face_frames']})", f"**{r['faces_ever_exposed']}/{r['faces']}** ({r['faces_ever_exposed_share']:.1%})", f"**{r['collateral']:.1%}** (clip max {pct(r['collateral_max_per_clip'])})"]
    print("| **all** | " + " | ".join(cells) + " |")
    print("| fps | " + " | ".join(f"{pct(None) if results[t]['fps'] is None else format(results[t]['fps'], '.1f')} | |" for t in shown) + " |")


if __name__ == "__main__":
    main()
