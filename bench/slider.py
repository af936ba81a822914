"""What the review page's slider gives a person who moves it: faces protected against picture lost
at each position, on the photos of bench/faces.py and the synthetic clips of bench/video_protect.py.

    python bench/slider.py [--shares 0 0.25 0.5 0.75 1] [--skip-stills] [--skip-video] [--true-aspect]
                           [--data ../shared/eval/faces-wider] [--results NAME.json]

The slider (static/app.js) switches off the masks the detector was unsure of (Plan.doubtful:
face masks it scored under plan.DOUBT), the least sure first. For each share of them switched
off, as a person would leave the slider, with nothing else changed:
- stills: every photo analysed once in this process, its plan edited, then rendered and
  verified exactly as `unseen clean --plan` does; scored as bench/faces.py scores (protected at
  cover 0.9, faces at least 12 px; over-masking; collateral);
- video: each clip's plan (bench/video_protect.py --plan-only, same kept analyses) drawn with
  the share switched off, scored as that does (exposed face-frames, faces ever exposed,
  collateral); no checks before encoding, which a person's switch-off binds as well.
The figures say what the person's own eye has to catch: every face left bare at a position is
one they must see on the page and switch back on. Writes bench/results/slider.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path


HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from faces import flat, load_gt, score, write_inputs  # noqa: E402


def switched(plan, share: float):  # type: ignore[no-untyped-def]
    """A copy of ``plan`` with the least sure ``share`` of its doubtful masks switched off."""
    from unseen.plan import Plan

    out = Plan.from_json(plan.to_json())  # scores rounded as the page reads them: the same order
    doubt = out.doubtful()
    for r in doubt[: round(share * len(doubt))]:
        r.on = False
    return out


def stills(args: argparse.Namespace) -> dict:
    import unseen

    gt = load_gt(args.data)
    work = HERE / "out" / "slider" / ("stills_true_aspect" if args.true_aspect else "stills")
    inputs = work / "input"
    shutil.rmtree(work, ignore_errors=True)
    inputs.mkdir(parents=True)
    write_inputs(args.data, gt, inputs, args.true_aspect)
    t = time.perf_counter()
    plans = {name: unseen.analyse(inputs / flat(name)) for name in gt}
    out: dict = {"analyse_seconds": time.perf_counter() - t, "doubtful_masks": sum(len(p.doubtful()) for p in plans.values()), "masks": sum(sum(r.on for r in p.regions) for p in plans.values())}
    for share in args.shares:
        dest = work / f"off_{share:g}"
        dest.mkdir()
        failed = 0
        for name, plan in plans.items():
            res = unseen.render(inputs / flat(name), switched(plan, share), output=dest / flat(name))
            failed += res.status != "ok"
        out[f"{share:g}"] = {"failed": failed, **score(inputs, {n: dest / flat(n) for n in gt}, gt)}
        r = out[f"{share:g}"]
        print(f"stills, {share:.0%} of doubtful masks off: protected {r['protected_90']:.1%} ({r['protected_90_count']}/{r['faces']}), over-masking {r['overmasking']:.3f}, collateral {r['collateral']:.2%}", flush=True)
    return out


def video(args: argparse.Namespace) -> dict:
    from unseen.media.video import probe_video
    from unseen.pipeline.video import plan_from
    from unseen.pipeline.video_search import VideoOptions
    from video_protect import crowd_clips, kept_analysis, plan_clips, plan_masks, score_masks

    args.clips, args.frames = 12, 75
    gt, names, images, size = crowd_clips(args)
    # the kept analyses of bench/video_protect.py --plan-only (made there, or here, the same way)
    work = HERE / "out" / ("video_protect_true_aspect_plan" if args.true_aspect else "video_protect_plan")
    plan_clips(work, args, names, images, size)
    counts = [0, 0]
    for k in range(len(names)):
        clip = work / "clips" / f"clip{k:02d}.mp4"
        info = probe_video(clip)
        plan = plan_from(kept_analysis(clip, info, work / "analysis" / f"clip{k:02d}.pkl"), info, "0" * 64, [], VideoOptions())
        counts[0] += len(plan.doubtful())
        counts[1] += len(plan.tracks)
    out: dict = {"size": args.size, "doubtful_tracks": counts[0], "tracks": counts[1]}
    for share in args.shares:
        tot = {"face_frames": 0, "exposed": 0, "faces": 0, "faces_ever_exposed": 0, "bright_away": 0, "masked_away": 0}
        for k, n in enumerate(names):
            masks = plan_masks(work / "clips" / f"clip{k:02d}.mp4", work / "analysis" / f"clip{k:02d}.pkl", edit=lambda p: _off(p, share))
            r = score_masks(masks, images, k, args.frames, size, list(gt[n]), gt[names[(k + 1) % len(names)]])
            for key in tot:
                tot[key] += r[key]
        tot["collateral"] = tot["masked_away"] / max(1, tot["bright_away"])
        out[f"{share:g}"] = tot
        print(f"video, {share:.0%} of doubtful tracks off: exposed face-frames {tot['exposed']}/{tot['face_frames']}, faces ever exposed {tot['faces_ever_exposed']}/{tot['faces']}, collateral {tot['collateral']:.1%}", flush=True)
    return out


def _off(plan, share: float) -> None:  # type: ignore[no-untyped-def]
    """``switched`` in place, for plan_masks' edit."""
    plan.tracks[:] = switched(plan, share).tracks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "eval" / "faces-wider")
    ap.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--true-aspect", action="store_true", help="the photos in their original proportions (see bench/faces.py)")
    ap.add_argument("--skip-stills", action="store_true")
    ap.add_argument("--skip-video", action="store_true")
    ap.add_argument("--results", help="file name under bench/results/ (default: slider.json, or slider_true_aspect.json)")
    args = ap.parse_args()
    results: dict = {"shares": args.shares, "true_aspect": args.true_aspect}
    if not args.skip_stills:
        results["stills"] = stills(args)
    if not args.skip_video:
        results["video"] = video(args)
    name = args.results or ("slider_true_aspect.json" if args.true_aspect else "slider.json")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / name).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
