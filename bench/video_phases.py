"""Where the time of one `unseen clean` of a video goes, phase by phase, wall and CPU seconds.

    python bench/video_phases.py [CLIP] [--runs 3]

Runs the video pipeline in this process with its stages timed: analysis (decode, CenterFace),
tracking (camera path, linking, boxes), render (decode, mask, encode, checks before encoding,
the read-back's frame checks beside the encoder), the wait for the read-back's last frames and
the file check. Prints one line per run; CPU seconds over wall seconds says how busy the cores
were. The first run loads and compiles the models as every `unseen clean` does; later runs in
this process reuse them (about 0.3 s less).
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clip", nargs="?", type=Path, default=HERE.parent.parent / "shared" / "eval" / "video" / "street_1080p.mp4")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    import unseen.pipeline.video as vp
    import unseen.verify.video as vv
    from unseen.cli import main as cli

    times: dict[str, list[float]] = {}

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def timed(owner, name: str, label: str) -> None:  # type: ignore[no-untyped-def]
        real = getattr(owner, name)

        def wrapper(*a, **k):  # type: ignore[no-untyped-def]
            t, c = time.perf_counter(), cpu()
            try:
                return real(*a, **k)
            finally:
                w = times.setdefault(label, [0.0, 0.0])
                w[0] += time.perf_counter() - t
                w[1] += cpu() - c

        setattr(owner, name, wrapper)

    timed(vp, "search", "analysis")
    for name in ("camera_path", "track_boxes"):
        timed(vp, name, "tracking")
    timed(vp, "encode", "render")
    timed(vv.FrameCheck, "finish", "read-back wait")
    timed(vp, "check_file", "file check")
    out = HERE / "out" / "video_phases"
    out.mkdir(parents=True, exist_ok=True)
    for _ in range(args.runs):
        times.clear()
        t, c = time.perf_counter(), cpu()
        cli(["clean", str(args.clip), "-o", str(out), "--overwrite", "-q"])
        total = (time.perf_counter() - t, cpu() - c)
        print(json.dumps({k: {"wall_s": round(v[0], 2), "cpu_s": round(v[1], 2)} for k, v in {**times, "total": list(total)}.items()}))


if __name__ == "__main__":
    main()
