"""Video speed and peak memory, metrics.md section 3: unseen and deface alternating, same clip.

    python bench/video_speed.py [--runs 3] [--clips street_1080p.mp4 stage_360p.mp4 vtest.mp4]
                                [--unseen-args "..."] [--skip-deface]

Clips come from ../shared/eval/video, except vtest.mp4: opencv-doc's vtest.avi (a camera on a
tripod over a campus walkway, people walking, faces 6-15 px tall; 768x576, 10 fps, 795 frames),
fetched and converted as bench/sheet.py does: a still camera with small faces, which the eval clips lack.

Also times FFmpeg decoding alone (the floor), checks that unseen's peak memory does not grow
with length (the 1080p clip and the same clip three times over), and reports for each clip how
much of the picture each tool's output leaves dark (masked share: mean share per frame of pixels
with every channel <= 16), beside the input's own dark share (the same measure on the input), so
that "masked share at most the input's dark share plus 15 points" can be judged; and the share
newly darkened (dark in the output, not dark in the same input frame). Writes
bench/results/video_speed.json and prints a table.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
EVAL = HERE.parent.parent / "shared" / "eval" / "video"
PACKAGE_CLIPS = ("vtest.mp4",)


def clip_path(name: str) -> Path:
    """An eval clip by name, or a package clip made on first use (see the module's docstring)."""
    if name in PACKAGE_CLIPS:
        from sheet import vtest

        return vtest(795)
    return EVAL / name


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (GB) of the command and its children, exit status."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code:
        print(f"  {cmd[0]} exited {code}: {err.strip().splitlines()[-1:]}")
    return wall, usage.ru_maxrss / 1e6, code


def masked_share(path: Path) -> float:
    """Mean share of each frame's pixels that are black in every channel (<= 16): how much of
    the picture unseen's solid masks cover (on an input: the input's own dark share)."""
    import av

    total, n = 0.0, 0
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            total += float((f.to_ndarray(format="rgb24") <= 16).all(-1).mean())
            n += 1
    return total / max(1, n)


def dark_shares(out_path: Path, in_path: Path) -> dict:
    """Output against input: mean dark share of the output's frames (masked share) and mean share
    of pixels dark in an output frame but not in the input frame shown at the same time (newly
    dark). Frames are paired by timestamp, not by index: deface writes constant-rate video and
    repeats frames where the input's timing has gaps (300 frames for stage_360p's 275). An output
    of another size (deface writes 1080 lines as 1088) is scaled back first."""
    import av

    if not out_path.exists():
        return {"masked_share": None, "newly_dark_share": None, "frames": 0}
    times, darks = [], []
    with av.open(str(in_path)) as ci:
        for fi in ci.decode(video=0):
            times.append(float(fi.time or 0.0))
            darks.append((fi.to_ndarray(format="rgb24") <= 16).all(-1))
    t_in = np.array(times)
    h, w = darks[0].shape
    dark = new = 0.0
    n = 0
    with av.open(str(out_path)) as co:
        for fo in co.decode(video=0):
            b = fo.to_ndarray(format="rgb24") if (fo.width, fo.height) == (w, h) else fo.to_ndarray(width=w, height=h, format="rgb24", interpolation="BILINEAR")
            d = (b <= 16).all(-1)
            j = int(np.abs(t_in - float(fo.time or 0.0)).argmin())
            dark += float(d.mean())
            new += float((d & ~darks[j]).mean())
            n += 1
    return {"masked_share": dark / max(1, n), "newly_dark_share": new / max(1, n), "frames": n}


def frames_of(path: Path) -> int:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    return int(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clips", nargs="+", default=["street_1080p.mp4", "stage_360p.mp4", *PACKAGE_CLIPS])
    ap.add_argument("--unseen", default=shutil.which("unseen") or "unseen")
    ap.add_argument("--deface", default=str(HERE / ".venv-deface" / "bin" / "deface"))
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--unseen-args", default="", help="extra arguments for `unseen clean`, one shell-quoted string")
    args = ap.parse_args()
    extra = shlex.split(args.unseen_args)
    work = HERE / "out" / "video_speed"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    results: dict = {}
    clips = {name: clip_path(name) for name in args.clips}  # fetched before anything is timed
    for name, clip in clips.items():
        n = frames_of(clip)
        runs: dict[str, list[tuple[float, float]]] = {"unseen": [], "deface": [], "ffmpeg-decode": []}
        for r in range(args.runs):
            w, m, _ = timed([args.unseen, "clean", str(clip), "-o", str(work), "--overwrite", "-q", *extra])
            runs["unseen"].append((w, m))
            if not args.skip_deface:
                w, m, _ = timed([args.deface, str(clip), "--replacewith", "solid", "-o", str(work / f"deface_{name}")])
                runs["deface"].append((w, m))
            w, m, _ = timed(["ffmpeg", "-v", "error", "-i", str(clip), "-f", "null", "-"])
            runs["ffmpeg-decode"].append((w, m))
        res = {"frames": n}
        for tool, rs in runs.items():
            if rs:
                med = statistics.median(w for w, _ in rs)
                res[tool] = {"median_s": med, "fps": n / med, "runs_s": [round(w, 2) for w, _ in rs], "peak_rss_gb": max(m for _, m in rs)}
        if "deface" in res:
            res["speedup_vs_deface"] = res["unseen"]["fps"] / res["deface"]["fps"]
        dark_in = masked_share(clip)
        res["input_dark_share"] = dark_in
        res["input_black_share"] = dark_in  # the same figure, under its earlier name
        outs = {"unseen": work / (clip.stem + ".unseen.mp4")}
        if "deface" in res:
            outs["deface"] = work / f"deface_{name}"
        for tool, out in outs.items():
            sh = dark_shares(out, clip)
            res[tool]["masked_share"] = sh["masked_share"]
            res[tool]["newly_dark_share"] = sh["newly_dark_share"]
            if sh["masked_share"] is not None:
                res[tool]["masked_minus_input_dark_points"] = 100 * (sh["masked_share"] - dark_in)
                res[tool]["masked_within_dark_plus_15"] = sh["masked_share"] <= dark_in + 0.15
        results[name] = res
        print(name, json.dumps(res))
    # memory flat in length: the first clip, and the same clip three times over
    first = clips[args.clips[0]]
    triple = work / "triple.mp4"
    lst = work / "list.txt"
    lst.write_text(f"file '{first}'\n" * 3)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(lst), "-c", "copy", str(triple)], check=True)
    _, m1, _ = timed([args.unseen, "clean", str(first), "-o", str(work), "--overwrite", "-q", *extra])
    _, m3, _ = timed([args.unseen, "clean", str(triple), "-o", str(work), "--overwrite", "-q", *extra])
    results["memory_flat"] = {"clip_frames": frames_of(first), "peak_rss_gb": m1, "triple_frames": frames_of(triple), "triple_peak_rss_gb": m3}
    print("memory", json.dumps(results["memory_flat"]))
    (HERE / "results").mkdir(exist_ok=True)
    results["unseen_args"] = args.unseen_args
    (HERE / "results" / "video_speed.json").write_text(json.dumps(results, indent=2))

    def pct(v) -> str:  # type: ignore[no-untyped-def]
        return "-" if v is None else f"{v:.1%}"

    tools = [t for t in ("unseen", "deface") if any(t in results[c] for c in args.clips)]
    print("\n| clip | input dark share | " + " | ".join(f"{t} fps | {t} masked share (newly dark)" for t in tools) + " | unseen within dark + 15 points |")
    print("|---|---|" + "---|---|" * len(tools) + "---|")
    for c in args.clips:
        r = results[c]
        cells = []
        for t in tools:
            x = r.get(t, {})
            cells += [f"{x['fps']:.1f}" if "fps" in x else "-", f"{pct(x.get('masked_share'))} ({pct(x.get('newly_dark_share'))})"]
        print(f"| {c} ({r['frames']} frames) | {pct(r['input_dark_share'])} | " + " | ".join(cells) + f" | {r['unseen'].get('masked_within_dark_plus_15')} |")
    for c in args.clips:
        if "speedup_vs_deface" in results[c]:
            print(f"{c}: unseen {results[c]['speedup_vs_deface']:.1f}x deface's fps")


if __name__ == "__main__":
    main()
