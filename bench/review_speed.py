"""How fast the review page is on a 1080p video, in Debian's chromium (headless, Playwright).

    python bench/review_speed.py [VIDEO] [--seeks 30] [--json bench/results/review_speed.json]

VIDEO defaults to ../shared/eval/video/street_1080p.mp4 (read in place, never copied), or a
generated 1080p clip (10 s, one keyframe) when that is absent. Plans and outputs go to a
temporary folder. Measures:

- first frame: from opening the page until the video's first frame is drawn (the file is still
  being analysed then);
- seek: from asking for a frame (the page's own showFrame) until it is drawn, for random frames,
  while the analysis runs and after it;
- publish: from the Publish key until the page shows the verified output, in turns with
  ``unseen clean --plan`` on the same plan (its own process: model loading included), and once
  ``unseen clean`` (analysis included) on the same file.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval" / "video" / "street_1080p.mp4"

SEEK_JS = """async (n) => {
  const t0 = performance.now();
  showFrame(n);
  while (!(S.img && S.img.frame === n && !S.frameLoading)) await new Promise((r) => setTimeout(r, 2));
  return performance.now() - t0;
}"""


def make_clip(path: Path, seconds: int = 10, fps: int = 25) -> None:
    import av
    import numpy as np
    from PIL import Image
    from skimage import data

    head = np.asarray(Image.fromarray(data.astronaut()[40:260, 120:340]).resize((300, 300)))
    out = av.open(str(path), "w", format="mp4")
    v = out.add_stream("libx264", rate=fps, options={"g": str(seconds * fps)})
    v.width, v.height, v.pix_fmt = 1920, 1080, "yuv420p"
    v.time_base = Fraction(1, fps)
    rng = np.random.default_rng(0)
    base = rng.integers(40, 200, (1080 // 8, 1920 // 8, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    for i in range(seconds * fps):
        canvas = base.copy()
        x = 100 + i * 6
        canvas[300:600, x : x + 300] = head
        f = av.VideoFrame.from_ndarray(canvas, format="rgb24")
        f.pts = i
        for p in v.encode(f):
            out.mux(p)
    for p in v.encode():
        out.mux(p)
    out.close()


def render_time(video: Path, plan: Path, out: Path) -> float:
    """``unseen clean --plan``: the same plan rendered (and verified) by the command line, in a
    process of its own (the detectors are not shared across threads of one process)."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "unseen", "clean", "-q", "--plan", str(plan), "-o", str(out), str(video)], check=True)
    return time.perf_counter() - t


def publish_time(page: object) -> float:
    """Press P on the page and wait for the verified output's path (or fail on its reason)."""
    n = page.evaluate("() => S.cur.job.n")  # type: ignore[attr-defined]
    t = time.perf_counter()
    page.keyboard.press("p")  # type: ignore[attr-defined]
    page.wait_for_function("() => S.cur.job.n > %d && (S.cur.job.state === 'done' || S.cur.job.state === 'failed')" % n, timeout=900_000, polling=20)  # type: ignore[attr-defined]
    took = time.perf_counter() - t
    job = page.evaluate("() => S.cur.job")  # type: ignore[attr-defined]
    assert job["state"] == "done", job["error"]
    page.wait_for_function("() => !S.saving && S.rev === S.cur.rev", timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    return took


def stats(ms: list[float]) -> dict[str, float]:
    s = sorted(ms)
    return {"n": len(s), "median_ms": round(statistics.median(s), 1), "p95_ms": round(s[min(len(s) - 1, int(0.95 * len(s)))], 1), "max_ms": round(s[-1], 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("video", nargs="?", type=Path)
    ap.add_argument("--seeks", type=int, default=30)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--rounds", type=int, default=3, help="publishes from the page (and API renders between them)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    import unseen
    from unseen.review.server import ReviewServer

    work = Path(tempfile.mkdtemp(prefix="review-speed-"))
    try:
        video = args.video or (EVAL if EVAL.is_file() else None)
        if video is None:
            video = work / "clip_1080p.mp4"
            make_clip(video)
        result: dict[str, object] = {"video": video.name}
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        server = ReviewServer([video], work / "page")
        server.start_thread()
        rnd = random.Random(1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            t0 = time.perf_counter()
            page.goto(server.url)
            page.wait_for_function("() => typeof S !== 'undefined' && S.img && S.img.frame === 0", timeout=60_000, polling=5)
            result["first_frame_s"] = round(time.perf_counter() - t0, 3)
            page.wait_for_function("() => (S.plan && S.img) || (S.cur && S.cur.state === 'failed')", timeout=600_000)
            assert page.evaluate("() => S.cur.state") == "ready", page.evaluate("() => S.cur.error")
            result["analysed_s"] = round(time.perf_counter() - t0, 1)
            n = page.evaluate("() => S.plan.input.frames")
            result["frames"] = n
            result["size"] = page.evaluate("() => [S.plan.input.width, S.plan.input.height]")
            # seeks right after the plan arrives (the background decoding may still be going)
            early = [page.evaluate(SEEK_JS, rnd.randrange(n)) for _ in range(5)]
            page.wait_for_timeout(3000)
            later = [page.evaluate(SEEK_JS, rnd.randrange(n)) for _ in range(args.seeks)]
            result["seek_first_5"] = stats(early)
            result["seek"] = stats(later)
            steps = []
            for _ in range(10):  # stepping with the arrow key
                steps.append(page.evaluate(SEEK_JS.replace("showFrame(n)", "showFrame(S.frame + 1)").replace("S.img.frame === n", "S.img.frame === S.frame"), 0))
            result["step"] = stats(steps)
            plan = work / "bench.plan.json"
            unseen.plan.Plan.from_json(page.evaluate("() => S.plan")).save(plan)
            # the same plan through the API and from the page, taken in turns (a shared machine's
            # load moves both alike), then compared by their medians
            renders, publishes = [], []
            for k in range(args.rounds):
                renders.append(render_time(video, plan, work / f"api{k}"))
                publishes.append(publish_time(page))
            renders.append(render_time(video, plan, work / "api-last"))
            browser.close()
        server.stop()
        result["render_api_s"] = [round(x, 2) for x in renders]
        result["publish_page_s"] = [round(x, 2) for x in publishes]
        t3 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "unseen", "clean", "-q", "-o", str(work / "cli"), str(video)], check=True)
        result["clean_cli_s"] = round(time.perf_counter() - t3, 2)
        result["publish_overhead_vs_render"] = round(statistics.median(publishes) / statistics.median(renders) - 1, 3)
        result["publish_vs_clean"] = round(statistics.median(publishes) / result["clean_cli_s"] - 1, 3)  # type: ignore[operator]
        print(json.dumps(result, indent=1))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=1) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
