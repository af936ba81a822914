"""People walking past a still camera: face protection and collateral in video, metrics.md section 2.

    python bench/walkers.py [--clips 8] [--frames 100] [--fps 25] [--walkers 8] [--results NAME.json]
                            [--unseen-args "..."] [--skip-deface] [--score-only] [--shake PX]

bench/video_protect.py moves a camera over still crowds; the commonest footage of all, a camera
held still while people walk through it (a street, a riverbank, a hall), is not in it. Each clip
here is a people-free photo from a package (bench/people_free.py's set) on a 1280x720 canvas,
with walkers crossing it: a face from WIDER FACE (in its true proportions, at least 30 px tall in
the 416-px copy) above a plain coat, 18-64 px tall on screen, walking 1-5 face heights a second
(people seen from the side cross several of their heads a second), some stopping for a second or
so on the way, some entering or leaving the frame. Seeded: every run makes the same clips.
``--shake PX`` holds the camera in a hand instead: the whole picture, walkers and all, moves by
a seeded shake of two tremors a clip (one of 1.5-3 Hz, one of 4-7 Hz, on each axis) reaching
about PX pixels (results in walkers_shake.json unless --results).

Both tools run on the same clips in the same run; exposure and collateral as in
bench/video_protect.py: a face (16 px tall or more in the frame, and 90% of it in the picture:
since the release that added --shake, whose walkers entering and leaving counted before) is
exposed on a frame when under 90% of its box's bright pixels are masked; collateral is the share of bright pixels away from
every face box enlarged 1.8x that come out masked. Writes bench/results/walkers.json.
"""
from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from faces import load_gt, true_aspect  # noqa: E402
from people_free import prepare  # noqa: E402
from video_protect import face_shares, near_faces, plan_masks, plan_work, write_clip  # noqa: E402

BACKGROUNDS = ("picos", "bridge", "stream", "motorcycle", "summit", "dragonfly", "rocket", "brushes")
SIZE = (1280, 720)


def sprites(data: Path, count: int, seed: int) -> list[tuple[Image.Image, Image.Image, tuple[float, float, float, float]]]:
    """(head picture, its alpha, face box within it as fractions) for ``count`` faces."""
    gt = load_gt(data)
    rng = np.random.default_rng(seed)
    pool = [(n, b) for n in sorted(gt) for b in gt[n] if b[3] >= 30]
    out = []
    for i in rng.choice(len(pool), count, replace=False):
        name, box = pool[int(i)]
        img, [b] = true_aspect(data, name, Image.open(data / "images" / name).convert("RGB"), [box])
        x, y, w, h = b
        # the head: the face with its hair and ears, as a rounded cut-out
        hx0, hy0, hx1, hy1 = x - 0.3 * w, y - 0.35 * h, x + 1.3 * w, y + 1.15 * h
        head = img.crop((round(hx0), round(hy0), round(hx1), round(hy1)))
        alpha = Image.new("L", head.size, 0)
        ImageDraw.Draw(alpha).ellipse((0, 0, head.width - 1, head.height - 1), fill=255)
        alpha = alpha.filter(ImageFilter.GaussianBlur(1.5))
        hw, hh = head.size
        out.append((head, alpha, ((x - round(hx0)) / hw, (y - round(hy0)) / hh, w / hw, h / hh)))
    return out


def walkers(k: int, n: int, frames: int, fps: float) -> list[dict]:
    """Each walker's path: face height on screen, start, velocity (px/frame), stop."""
    rng = np.random.default_rng(1000 + k)
    out = []
    for _ in range(n):
        height = float(rng.uniform(18, 64))
        speed = float(rng.uniform(1, 5)) * height / fps
        angle = float(rng.uniform(-0.5, 0.5)) + (np.pi if rng.random() < 0.5 else 0.0)
        vx, vy = speed * np.cos(angle), speed * np.sin(angle)
        # start so that the walk crosses the middle of the frame part-way through the clip
        t_mid = float(rng.uniform(0.2, 0.8)) * frames
        cx, cy = float(rng.uniform(0.2, 0.8)) * SIZE[0], float(rng.uniform(0.25, 0.75)) * SIZE[1]
        stop = (int(rng.integers(frames // 5, frames // 2)), int(rng.integers(fps * 0.6, fps * 1.6))) if rng.random() < 0.35 else None
        out.append({"height": height, "x": cx - vx * t_mid, "y": cy - vy * t_mid, "vx": vx, "vy": vy, "stop": stop, "coat": tuple(int(c) for c in rng.integers(30, 160, 3))})
    return out


def position(w: dict, i: int) -> tuple[float, float]:
    """Where walker ``w``'s face centre is on frame ``i`` (it stands still during its stop)."""
    t = i
    if w["stop"] is not None:
        start, length = w["stop"]
        t = i if i < start else max(start, i - length)
    return w["x"] + w["vx"] * t, w["y"] + w["vy"] * t


def shake(k: int, frames: int, fps: float, amplitude: float) -> list[tuple[int, int]]:
    """Clip ``k``'s hand-held camera: the picture's shift (dx, dy) on each frame, two tremors a
    clip on each axis (1.5-3 Hz and 4-7 Hz, 60% and 40% of ``amplitude``), seeded."""
    if amplitude <= 0:
        return [(0, 0)] * frames
    rng = np.random.default_rng(5000 + k)
    t = np.arange(frames) / fps
    axes = []
    for _ in range(2):
        slow, fast = rng.uniform(1.5, 3.0), rng.uniform(4.0, 7.0)
        phase = rng.uniform(0, 2 * np.pi, 2)
        axes.append(amplitude * (0.6 * np.sin(2 * np.pi * slow * t + phase[0]) + 0.4 * np.sin(2 * np.pi * fast * t + phase[1])))
    return [(int(round(x)), int(round(y))) for x, y in zip(*axes)]


def shaken(rgb: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """The picture moved by (dx, dy), its edge pixels repeated where it leaves a gap."""
    if not dx and not dy:
        return rgb
    pad = max(abs(dx), abs(dy))
    big = np.pad(rgb, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    h, w = rgb.shape[:2]
    return np.ascontiguousarray(big[pad - dy : pad - dy + h, pad - dx : pad - dx + w])


def clip_frames(k: int, args: argparse.Namespace, backgrounds: list[Image.Image], heads: list):  # type: ignore[no-untyped-def]
    """Yield (frame RGB, face boxes (x, y, w, h) in frame pixels, one per walker: None where the
    face is off screen or less than 90% in view behind nearer walkers)."""
    moves = shake(k, args.frames, args.fps, getattr(args, "shake", 0.0))
    bg = backgrounds[k % len(backgrounds)]
    people = walkers(k, args.walkers, args.frames, args.fps)
    mine = heads[k * args.walkers : (k + 1) * args.walkers]
    scaled = []
    for w, (head, alpha, (fx, fy, fw, fh)) in zip(people, mine):
        s = w["height"] / (fh * head.height)  # the face, not the head, is ``height`` tall
        size = (max(1, round(head.width * s)), max(1, round(head.height * s)))
        scaled.append((head.resize(size, Image.BICUBIC), alpha.resize(size, Image.BILINEAR), (fx, fy, fw, fh)))
    # front to back: the larger (nearer) walkers drawn last
    order = sorted(range(len(people)), key=lambda j: people[j]["height"])
    for i in range(args.frames):
        frame = bg.copy()
        draw = ImageDraw.Draw(frame)
        owner = Image.new("I", SIZE, -1)  # which walker each pixel shows (-1: the background)
        mark = ImageDraw.Draw(owner)
        boxes: list[tuple[float, float, float, float] | None] = [None] * len(people)
        for j in order:
            w, (head, alpha, (fx, fy, fw, fh)) = people[j], scaled[j]
            cx, cy = position(w, i)
            # the head's top-left so that the face's centre is at (cx, cy); a little bob as they walk
            moving = w["stop"] is None or not (w["stop"][0] <= i < w["stop"][0] + w["stop"][1])
            bob = 0.04 * w["height"] * np.sin(i * 0.6) if moving else 0.0
            hx, hy = cx - (fx + fw / 2) * head.width, cy + bob - (fy + fh / 2) * head.height
            # a coat below the head, then the head over it
            coat = (hx - 0.25 * head.width, hy + 0.9 * head.height, hx + 1.25 * head.width, hy + 3.4 * head.height)
            draw.rounded_rectangle(coat, radius=0.3 * head.width, fill=w["coat"])
            mark.rounded_rectangle(coat, radius=0.3 * head.width, fill=j)
            frame.paste(head, (round(hx), round(hy)), alpha)
            owner.paste(j, (round(hx), round(hy)), alpha.point(lambda a: 255 if a >= 128 else 0))
            boxes[j] = (round(hx) + fx * head.width, round(hy) + fy * head.height, fw * head.width, fh * head.height)
        shows = np.asarray(owner)
        for j, box in enumerate(boxes):
            # a face counts where it is in the frame and not behind a nearer walker (90% in view)
            if box is None:
                continue
            x0, y0 = max(0, int(np.floor(box[0]))), max(0, int(np.floor(box[1])))
            x1, y1 = min(SIZE[0], int(np.ceil(box[0] + box[2]))), min(SIZE[1], int(np.ceil(box[1] + box[3])))
            if x1 <= x0 or y1 <= y0 or float((shows[y0:y1, x0:x1] == j).mean()) < 0.9:
                boxes[j] = None
        dx, dy = moves[i]
        moved = [None if b is None else (b[0] + dx, b[1] + dy, b[2], b[3]) for b in boxes]
        # a face the shake carries partly out of the picture counts where 90% of it is in view
        moved = [None if b is None or min(b[0] + b[2], SIZE[0]) - max(b[0], 0) < 0.9 * b[2] or min(b[1] + b[3], SIZE[1]) - max(b[1], 0) < 0.9 * b[3] else b for b in moved]
        yield shaken(np.asarray(frame), dx, dy), moved


def output_masks(out_path: Path):  # type: ignore[no-untyped-def]
    """Per frame, the pixels a tool's output blacked out."""
    with av.open(str(out_path)) as c:
        for f in c.decode(video=0):
            yield (f.to_ndarray(width=SIZE[0], height=SIZE[1], format="rgb24") <= 16).all(-1)


def score(masks, k: int, args: argparse.Namespace, backgrounds: list[Image.Image], heads: list) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Exposure and collateral of clip ``k`` given each frame's masked pixels (None: no output)."""
    face_frames = exposed = 0
    ever: set[int] = set()
    counted: set[int] = set()
    bright_away = masked_away = 0
    if masks is None:
        return {"missing": True, "face_frames": 0, "exposed": 0, "faces": 0, "faces_ever_exposed": 0, "bright_away": 0, "masked_away": 0}
    for (rgb, boxes), masked in zip(clip_frames(k, args, backgrounds, heads), masks):
        luma = rgb @ np.array([0.299, 0.587, 0.114])
        bright = luma > 40
        shown = [b for b in boxes if b is not None]
        away = bright & ~near_faces(masked.shape, shown, 1.0, 0.0, 0.0)
        bright_away += int(away.sum())
        masked_away += int((away & masked).sum())
        ids = [j for j, b in enumerate(boxes) if b is not None]
        for idx, share in face_shares(shown, (1.0, 0.0, 0.0), bright, masked):
            if share is None:
                continue
            face_frames += 1
            counted.add(ids[idx])
            if share < 0.9:
                exposed += 1
                ever.add(ids[idx])
    return {"face_frames": face_frames, "exposed": exposed, "faces": len(counted), "faces_ever_exposed": len(ever), "bright_away": bright_away, "masked_away": masked_away, "collateral": masked_away / bright_away if bright_away else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "eval" / "faces-wider")
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--walkers", type=int, default=8)
    ap.add_argument("--unseen", default=shutil.which("unseen") or "unseen")
    ap.add_argument("--deface", default=str(HERE / ".venv-deface" / "bin" / "deface"))
    ap.add_argument("--unseen-args", default="", help="extra arguments for `unseen clean`, one shell-quoted string")
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--score-only", action="store_true", help="score the outputs already in the working folder")
    ap.add_argument("--only", type=int, nargs="+", help="these clips only (numbers)")
    ap.add_argument("--plan-only", action="store_true", help="unseen only, scored from its plan (the analysis kept in the working folder, made again when the clips or the analysis code change): no render, no checks before encoding, no deface; results in walkers_plan.json unless --results")
    ap.add_argument("--shake", type=float, default=0.0, help="a hand-held camera shaking about this many pixels (see shake())")
    ap.add_argument("--results")
    args = ap.parse_args()
    if args.plan_only and args.unseen_args:
        ap.error("--unseen-args does not apply to --plan-only (the plan is drawn with unseen's defaults)")
    args.results = args.results or ("walkers_plan.json" if args.plan_only else "walkers_shake.json" if args.shake else "walkers.json")
    work = HERE / "out" / Path(args.results).stem
    inputs = prepare(list(BACKGROUNDS))
    backgrounds = []
    for name in BACKGROUNDS:
        im = Image.open(inputs / f"{name}.png").convert("RGB")
        k = max(SIZE[0] / im.width, SIZE[1] / im.height)  # cover the canvas, centred
        im = im.resize((round(im.width * k), round(im.height * k)), Image.BICUBIC)
        x, y = (im.width - SIZE[0]) // 2, (im.height - SIZE[1]) // 2
        backgrounds.append(im.crop((x, y, x + SIZE[0], y + SIZE[1])))
    heads = sprites(args.data, args.clips * args.walkers, seed=7)
    results: dict = {"clips": args.clips, "frames": args.frames, "fps": args.fps, "walkers": args.walkers, "shake": args.shake, "unseen_args": args.unseen_args, "backgrounds": [BACKGROUNDS[k % len(BACKGROUNDS)] for k in range(args.clips)]}
    tools = {"unseen": lambda k: work / "unseen" / f"walk{k:02d}.unseen.mp4"}
    if not args.skip_deface:
        tools["deface"] = lambda k: work / "deface" / f"walk{k:02d}.mp4"
    clips = args.only if args.only is not None else list(range(args.clips))
    if args.plan_only:
        plan_work(work, clips=args.clips, frames=args.frames, fps=args.fps, walkers=args.walkers, shake=args.shake, data=str(args.data))
        (work / "clips").mkdir(parents=True, exist_ok=True)
        for k in clips:
            if not (work / "clips" / f"walk{k:02d}.mp4").exists():
                write_clip(work / "clips" / f"walk{k:02d}.mp4", ((rgb, None) for rgb, _ in clip_frames(k, args, backgrounds, heads)))
    elif not args.score_only:
        shutil.rmtree(work, ignore_errors=True)
        for d in ("clips", "unseen", "deface"):
            (work / d).mkdir(parents=True)
        for k in clips:
            write_clip(work / "clips" / f"walk{k:02d}.mp4", ((rgb, None) for rgb, _ in clip_frames(k, args, backgrounds, heads)))
        t = time.perf_counter()
        subprocess.run([args.unseen, "clean", str(work / "clips"), "-o", str(work / "unseen"), "-q", *shlex.split(args.unseen_args)])
        results["unseen_seconds"] = time.perf_counter() - t
        if not args.skip_deface:
            t = time.perf_counter()
            for k in clips:
                subprocess.run([args.deface, str(work / "clips" / f"walk{k:02d}.mp4"), "--replacewith", "solid", "-o", str(tools["deface"](k))], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            results["deface_seconds"] = time.perf_counter() - t
    if args.plan_only:
        tools = {"unseen": lambda k: work / "clips" / f"walk{k:02d}.mp4"}
    for tool, out_of in tools.items():
        if args.plan_only:
            per = [{"clip": k, **score(plan_masks(out_of(k), work / "analysis" / f"walk{k:02d}.pkl"), k, args, backgrounds, heads)} for k in clips]
        else:
            per = [{"clip": k, **score(output_masks(out_of(k)) if out_of(k).exists() else None, k, args, backgrounds, heads)} for k in clips]
        tot = {key: sum(c[key] for c in per) for key in ("face_frames", "exposed", "faces", "faces_ever_exposed", "bright_away", "masked_away")}
        tot["exposed_face_frames_share"] = tot["exposed"] / max(1, tot["face_frames"])
        tot["collateral"] = tot["masked_away"] / max(1, tot["bright_away"])
        tot["missing_outputs"] = sum(1 for c in per if c.get("missing"))
        results[tool], results[f"{tool}_per_clip"] = tot, per
        print(f"{tool}: exposed face-frames {tot['exposed']}/{tot['face_frames']} ({tot['exposed_face_frames_share']:.1%}), faces ever exposed {tot['faces_ever_exposed']}/{tot['faces']}, collateral {tot['collateral']:.2%}")
        for c in per:
            print(f"  clip {c['clip']}: exposed {c['exposed']}/{c['face_frames']}, ever {c['faces_ever_exposed']}/{c['faces']}, collateral {c.get('collateral') or 0:.2%}")
    results["only"] = args.only
    results["plan_only"] = args.plan_only
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / args.results).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
