"""The tracker's camera-motion estimate against the synthetic clips' exact camera paths.

    python bench/motion.py [--clips 12] [--frames 75] [--size 1280x720]

Makes the clips of bench/video_protect.py (same seeds), runs unseen's video analysis on each
(the detections every later stage sees), and asks ``track.match_motion`` for the motion between
every two successive analysed frames of a shot that have faces. Each answer is compared with the
true motion (from the clip's geometry): right when it puts every point of a 3x3 grid over the
frame within 10 px (x + y) of where the camera took it, wrong otherwise; "none" when it declines
(the tracker then treats the camera as still).

Then the same on a real camera that does not move: opencv-doc's vtest.avi (a tripod over a
campus walkway, people walking, 768x576, 795 frames, fetched as bench/sheet.py does). There the
right answer is "none" or a motion within 10 px of standing still; people walking the same way
must not move the camera (a wrong motion carries held masks off the faces they hold).
Writes bench/results/motion.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from video_protect import camera, clip_arguments, clip_frames, crowd_clips, geometry, write_clip  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    clip_arguments(ap)
    args = ap.parse_args()
    from unseen.media.video import probe_video
    from unseen.track.tracks import Motion, match_motion
    from unseen.pipeline.video_search import VideoOptions, search

    _, names, images, size = crowd_clips(args)
    work = HERE / "out" / "motion"
    work.mkdir(parents=True, exist_ok=True)

    def truth(k: int, a: int, b: int) -> Motion:
        path = camera(k, args.frames)
        sa, oxa, oya = geometry(size, *path[a])
        sb, oxb, oyb = geometry(size, *path[b])
        s = sb / sa
        return Motion(s, oxb - s * oxa, oyb - s * oya)

    def error(m: Motion, t: Motion, frame: tuple[int, int] = size) -> float:
        grid = [(x * frame[0], y * frame[1]) for x in (0.1, 0.5, 0.9) for y in (0.1, 0.5, 0.9)]
        return max(abs((m.s - t.s) * x + m.dx - t.dx) + abs((m.s - t.s) * y + m.dy - t.dy) for x, y in grid)

    counts = {"right": 0, "none": 0, "wrong": 0}
    seconds = 0.0
    per_clip = []
    for k in range(len(names)):
        clip = work / f"clip{k:02d}.mp4"
        write_clip(clip, clip_frames(images, k, args.frames, size))
        found = search(clip, probe_video(clip), VideoOptions())
        dets, cuts = found.candidates, found.cuts
        cut_frames = {i for i, (_, geo) in enumerate(clip_frames(images, k, args.frames, size)) if geo is None}
        keys = sorted(f for f in dets if len(dets[f]) >= 3 and f not in cut_frames)
        mine = {"right": 0, "none": 0, "wrong": 0}
        for a, b in zip(keys, keys[1:]):
            if any(a < c <= b for c in cuts | cut_frames):
                continue
            t = time.perf_counter()
            m = match_motion(dets[a], dets[b])
            seconds += time.perf_counter() - t
            mine["none" if m is None else "right" if error(m, truth(k, a, b)) < 10 else "wrong"] += 1
        per_clip.append({"clip": k, "image": names[k], **mine})
        for key in counts:
            counts[key] += mine[key]
        print(k, mine)
    result = {**counts, "pairs": sum(counts.values()), "match_seconds": round(seconds, 2), "per_clip": per_clip}
    from sheet import vtest

    clip = vtest(795)
    info = probe_video(clip)
    found = search(clip, info, VideoOptions())
    dets = found.candidates
    keys = sorted(f for f in dets if len(dets[f]) >= 3)
    still = {"right": 0, "none": 0, "wrong": 0}
    for a, b in zip(keys, keys[1:]):
        if any(a < c <= b for c in found.cuts):
            continue
        m = match_motion(dets[a], dets[b])
        still["none" if m is None else "right" if error(m, Motion(), (info.width, info.height)) < 10 else "wrong"] += 1
    print("still camera (vtest.avi)", still)
    result["still_camera"] = {"clip": "opencv-doc vtest.avi", **still, "pairs": sum(still.values())}
    print(json.dumps({k: v for k, v in result.items() if k != "per_clip"}))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "motion.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
