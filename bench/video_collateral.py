"""Where video collateral comes from: the synthetic clips of bench/video_protect.py, cleaned in
this process, every masked pixel away from the faces attributed to what masked it.

    python bench/video_collateral.py [--only 6 9] [--cached] [--no-render] [--true-aspect] [--results NAME.json]

Per clip, the video pipeline runs as `unseen clean` does (search, tracks, render with its checks);
the analysis is kept (bench/out/video_collateral/analysis/) so that --cached reruns only tracking
and rendering, and --no-render scores the plan straight from the analysis (no checks before
encoding: a quick look at tracking alone). The masks are drawn from the released plan (the
same head shapes on the same 8 px grid as the render), so the figures are collateral and exposure
as bench/video_protect.py measures them, less the codec's blur (on these clips the two agreed
to 0.1 point). --true-aspect: the photos in their original proportions (see bench/faces.py).

Every track of the plan is labelled by its *origin*: ``judged`` (one of its detections the judge
called a face), ``uncertain`` (kept for being seen, uncertain, on enough searched frames),
``checker`` (tracked after the checker found the face), ``precheck`` (a find of the checks before
encoding, held +-pad); by *truth*: ``true`` when most of its sightings lie within a ground-truth
face box enlarged 1.8x; and each of its frames by *kind*: ``det`` (a frame the face was detected
on), ``between`` (bridged between detections), ``held`` (before its first or after its last). A
masked pixel away from every face goes to the first label covering it, in the order true before
false, det before between before held, judged before checker, precheck and uncertain: what a
label owns is what removing it would give back. Writes bench/results/video_collateral.json with
the per-label pixels, and every track (origin, truth, sightings, scores, pixels owned) to
tracks.json in its working folder.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from video_protect import camera, clip_arguments, clip_frames, crowd_clips, face_shares, geometry, kept_analysis, near_faces, write_clip  # noqa: E402

ORIGINS = ("judged", "checker", "precheck", "uncertain", "other")
TRUTHS = ("true", "false")
KINDS = ("det", "between", "held")
LABELS = [f"{t}/{k}/{o}" for t in TRUTHS for k in KINDS for o in ORIGINS]  # in order of ownership


def label(origin: str, truth: str, kind: str) -> int:
    return LABELS.index(f"{truth}/{kind}/{origin}")


def gt_boxes(boxes: list[list[float]], s: float, ox: float, oy: float) -> np.ndarray:
    """Ground-truth boxes (x0, y0, x1, y1) enlarged 1.8x about their centres, in frame pixels."""
    out = [((x + w / 2) * s + ox - 0.9 * w * s, (y + h / 2) * s + oy - 0.9 * h * s, (x + w / 2) * s + ox + 0.9 * w * s, (y + h / 2) * s + oy + 0.9 * h * s) for x, y, w, h in boxes]
    return np.array(out, dtype=np.float64).reshape(-1, 4)


def on_face(r, near: np.ndarray) -> bool:  # type: ignore[no-untyped-def]
    cx, cy = (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2
    return bool(((near[:, 0] <= cx) & (cx <= near[:, 2]) & (near[:, 1] <= cy) & (cy <= near[:, 3])).any())


def analysed_clip(src: Path, cache: Path, cached: bool):  # type: ignore[no-untyped-def]
    """The clip's VideoAnalysed as `unseen clean` makes it, the analysis read from ``cache``
    when asked (and written there when searched)."""
    from unseen.media.video import probe_video
    from unseen.pipeline.common import sha256_file
    from unseen.pipeline.video import VideoAnalysed, plan_from
    from unseen.pipeline.video_search import VideoOptions

    info = probe_video(src)
    found = kept_analysis(src, info, cache, reuse=cached)
    steady: dict = {}
    return VideoAnalysed(plan_from(found, info, sha256_file(src), [], VideoOptions(), steady=steady), info, found, steady)


def origins(analysed, released) -> dict[str, tuple[str, object]]:  # type: ignore[no-untyped-def]
    """Each plan track's origin, and for the analysis's tracks the tracker's Track (sightings)."""
    from unseen.pipeline.video import _settings
    from unseen.pipeline.video_search import VideoOptions
    from unseen.track.tracks import camera_path

    found, info = analysed.found, analysed.info
    settings = _settings(info, VideoOptions())
    path = camera_path(found.candidates, found.n, found.cuts, settings)
    tracks = found.face_tracks(settings, path)
    sure = {(f, r) for f, rs in found.faces.items() for r in rs}
    out: dict[str, tuple[str, object]] = {}
    for k, t in enumerate(tracks, 1):
        if any(r.source.startswith("verify:") for r in t.boxes.values()):
            o = "checker"
        elif any((f, r) in sure for f, r in t.boxes.items()):
            o = "judged"
        else:
            o = "uncertain"
        out[f"t{k}"] = (o, t)
    for t in released.tracks:
        if t.id not in out:
            out[t.id] = ("precheck" if t.id.startswith("p") else "other", None)
    return out


def attribute(k: int, args: argparse.Namespace, gt: dict, names: list[str], images: list, size: tuple[int, int], analysed, released) -> dict:  # type: ignore[no-untyped-def]
    """Masked pixels away from the faces, per label and per track, and exposure from the plan."""
    from unseen.mask import mask_areas
    from unseen.pipeline.video import VIDEO_GRID

    W, H = size
    kinds = origins(analysed, released)
    found = analysed.found
    boxes, cut_boxes = gt[names[k]], gt[names[(k + 1) % len(names)]]
    path = camera(k, args.frames)
    cut = range(args.frames // 2, args.frames // 2 + 5) if k % 4 == 3 else range(0)  # as clip_frames
    near_of = [gt_boxes(cut_boxes if i in cut else boxes, *geometry(size, *path[i], img_w=images[(k + 1) % len(images) if i in cut else k].width)) for i in range(args.frames)]
    truth: dict[str, str] = {}
    for t in released.tracks:
        o, tr = kinds[t.id]
        seen = list(tr.boxes.items()) if tr is not None else [((t.first + t.last) // 2, t.region_at((t.first + t.last) // 2))]
        hits = sum(on_face(r, near_of[f]) for f, r in seen if f < len(near_of))
        truth[t.id] = "true" if 2 * hits >= len(seen) else "false"
    per_label = np.zeros(len(LABELS), np.int64)
    only = np.zeros(len(LABELS), np.int64)
    per_track = Counter()
    bright_away = masked_away = face_frames = exposed = 0
    ever: set[int] = set()
    counted: set[int] = set()
    order = {t.id: i for i, t in enumerate(released.tracks)}
    for i, (rgb, geo) in enumerate(clip_frames(images, k, args.frames, size)):
        luma = rgb @ np.array([0.299, 0.587, 0.114])
        bright = luma > 40
        away = bright & ~near_faces((H, W), boxes if geo is not None else cut_boxes, *(geo or geometry(size, *path[i], img_w=images[(k + 1) % len(images)].width)))
        painted: list[tuple[tuple[int, int], str, int, object]] = []
        for t in released.tracks:
            if not t.on or i not in t.boxes:
                continue
            o, tr = kinds[t.id]
            if tr is not None:
                kind = "det" if i in tr.boxes else "between" if tr.first < i < tr.last else "held"
            else:
                kind = "det" if i == (t.first + t.last) // 2 else "held"
            lab = label(o, truth[t.id], kind)
            painted.append(((lab, order[t.id]), t.id, lab, t.region_at(i)))
        painted.sort(key=lambda p: p[0])
        owner = np.full((H, W), -1, np.int32)
        count = np.zeros((H, W), np.int16)
        ids = [p[1] for p in painted]
        for j, (_, _, _, r) in enumerate(painted):
            for (x0, y0, x1, y1), inside in mask_areas([r], W, H, VIDEO_GRID):
                sel = np.ones((y1 - y0, x1 - x0), bool) if inside is None else inside
                o_view = owner[y0:y1, x0:x1]
                o_view[sel & (o_view < 0)] = j
                count[y0:y1, x0:x1][sel] += 1
        covered = owner >= 0
        bright_away += int(away.sum())
        masked_away += int((away & covered).sum())
        labs = np.array([p[2] for p in painted] or [0])
        if painted:
            got = owner[away & covered]
            per_j = np.bincount(got, minlength=len(painted))
            np.add.at(per_label, labs, per_j)
            for j, n in enumerate(per_j):
                if n:
                    per_track[ids[j]] += int(n)
            solo = owner[away & (count == 1)]
            np.add.at(only, labs, np.bincount(solo, minlength=len(painted)))
        if geo is None:
            continue
        for j, share in face_shares(boxes, geo, bright, covered):
            if share is None:
                continue
            face_frames += 1
            counted.add(j)
            if share < 0.9:
                exposed += 1
                ever.add(j)
    tracks = []
    for t in released.tracks:
        o, tr = kinds[t.id]
        sightings = sorted(tr.boxes.items()) if tr is not None else []
        tracks.append({
            "id": t.id, "origin": o, "truth": truth[t.id], "frames": [t.first, t.last], "masked_frames": len(t.boxes),
            "sightings": len(sightings), "faces": sum(r in found.faces.get(f, []) for f, r in sightings),
            "scores": [round(r.score, 3) for _, r in sightings], "heights": [round(r.height, 1) for _, r in sightings],
            "looked": [round(found.looked.get(f, 0.0), 3) for f, _ in sightings], "sighting_frames": [f for f, _ in sightings],
            "pixels": per_track.get(t.id, 0),
        })
    return {
        "clip": k, "bright_away": bright_away, "masked_away": masked_away, "collateral": masked_away / max(1, bright_away),
        "face_frames": face_frames, "exposed": exposed, "faces_ever_exposed": len(ever), "faces": len(counted),
        "labels": {LABELS[j]: int(per_label[j]) for j in range(len(LABELS)) if per_label[j]},
        "only": {LABELS[j]: int(only[j]) for j in range(len(LABELS)) if only[j]},
        "tracks": tracks,
    }


def summary(clips: list[dict]) -> dict:
    away = sum(c["bright_away"] for c in clips)
    lab = Counter()
    for c in clips:
        lab.update(c["labels"])
    ntr = Counter((t["origin"], t["truth"]) for c in clips for t in c["tracks"])
    return {
        "collateral": sum(c["masked_away"] for c in clips) / max(1, away),
        "exposed_face_frames": f"{sum(c['exposed'] for c in clips)}/{sum(c['face_frames'] for c in clips)}",
        "faces_ever_exposed": f"{sum(c['faces_ever_exposed'] for c in clips)}/{sum(c['faces'] for c in clips)}",
        "labels_points": {k: round(100 * v / away, 2) for k, v in sorted(lab.items(), key=lambda kv: -kv[1])},
        "tracks": {f"{o}/{t}": n for (o, t), n in sorted(ntr.items())},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    clip_arguments(ap)
    ap.add_argument("--only", type=int, nargs="*", help="clip numbers (default: all)")
    ap.add_argument("--cached", action="store_true", help="reuse the kept analyses")
    ap.add_argument("--no-render", action="store_true", help="score the plan from the analysis alone")
    ap.add_argument("--results", default="video_collateral.json")
    args = ap.parse_args()
    from unseen.pipeline.common import Options
    from unseen.pipeline.video import render

    gt, names, images, size = crowd_clips(args)
    work = HERE / "out" / ("video_collateral_true_aspect" if args.true_aspect else "video_collateral")
    (work / "clips").mkdir(parents=True, exist_ok=True)
    (work / "unseen").mkdir(exist_ok=True)
    clips = []
    for k in args.only if args.only is not None else range(len(names)):
        src = work / "clips" / f"clip{k:02d}.mp4"
        if not src.exists():
            write_clip(src, clip_frames(images, k, args.frames, size))
        analysed = analysed_clip(src, work / "analysis" / f"clip{k:02d}.pkl", args.cached)
        if args.no_render:
            released = analysed.plan
        else:
            res = render(src, analysed.plan, Options(out_dir=work / "unseen", overwrite=True), analysed)
            released = res.plan
        c = attribute(k, args, gt, names, images, size, analysed, released)
        clips.append(c)
        print(f"clip {k}: collateral {c['collateral']:.1%}, exposed {c['exposed']}/{c['face_frames']}, ever {c['faces_ever_exposed']}/{c['faces']}, tracks {len(c['tracks'])}", flush=True)
    out = {"summary": summary(clips), "summary_without_7": summary([c for c in clips if c["clip"] != 7]), "clips": clips}
    # every track (megabytes) stays beside the clips; the results keep the figures
    (work / "tracks.json").write_text(json.dumps({c["clip"]: c["tracks"] for c in clips}))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / args.results).write_text(json.dumps({**out, "clips": [{k: v for k, v in c.items() if k != "tracks"} for c in clips]}, indent=1))
    print(json.dumps({k: out[k] for k in ("summary", "summary_without_7")}, indent=1))


if __name__ == "__main__":
    main()
