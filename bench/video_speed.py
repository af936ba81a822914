"""Video speed and peak memory, metrics.md section 3: unseen and deface alternating, same clip.

    python bench/video_speed.py [--runs 3] [--clips street_1080p.mp4 stage_360p.mp4]

Also times FFmpeg decoding alone (the floor), checks that unseen's peak memory does not grow
with length (the 1080p clip and the same clip three times over), and reports how much of the
picture unseen's masks cover (mean share of black pixels per frame). Writes
bench/results/video_speed.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVAL = HERE.parent.parent / "shared" / "eval" / "video"


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
    the picture unseen's solid masks cover (the inputs here have almost no such pixels)."""
    import av

    total, n = 0.0, 0
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            total += float((f.to_ndarray(format="rgb24") <= 16).all(-1).mean())
            n += 1
    return total / max(1, n)


def frames_of(path: Path) -> int:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    return int(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clips", nargs="+", default=["street_1080p.mp4", "stage_360p.mp4"])
    ap.add_argument("--unseen", default=shutil.which("unseen") or "unseen")
    ap.add_argument("--deface", default=str(HERE / ".venv-deface" / "bin" / "deface"))
    ap.add_argument("--skip-deface", action="store_true")
    args = ap.parse_args()
    work = HERE / "out" / "video_speed"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    results: dict = {}
    for name in args.clips:
        clip = EVAL / name
        n = frames_of(clip)
        runs: dict[str, list[tuple[float, float]]] = {"unseen": [], "deface": [], "ffmpeg-decode": []}
        for r in range(args.runs):
            w, m, _ = timed([args.unseen, "clean", str(clip), "-o", str(work), "--overwrite", "-q"])
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
        res["unseen"]["masked_share"] = masked_share(work / (Path(name).stem + ".unseen.mp4"))
        res["input_black_share"] = masked_share(clip)
        results[name] = res
        print(name, json.dumps(res))
    # memory flat in length: the first clip, and the same clip three times over
    first = EVAL / args.clips[0]
    triple = work / "triple.mp4"
    lst = work / "list.txt"
    lst.write_text(f"file '{first}'\n" * 3)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(lst), "-c", "copy", str(triple)], check=True)
    _, m1, _ = timed([args.unseen, "clean", str(first), "-o", str(work), "--overwrite", "-q"])
    _, m3, _ = timed([args.unseen, "clean", str(triple), "-o", str(work), "--overwrite", "-q"])
    results["memory_flat"] = {"clip_frames": frames_of(first), "peak_rss_gb": m1, "triple_frames": frames_of(triple), "triple_peak_rss_gb": m3}
    print("memory", json.dumps(results["memory_flat"]))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "video_speed.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
