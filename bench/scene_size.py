"""Does a face's size for its place in the scene tell judged faces from the rest?

    python bench/scene_size.py [--data ../shared/eval/faces-wider] [--sure 0.5]

Issue 11 names "plausible size for the scene" as a signal. In a crowd photo the heads of people
standing on one floor grow with their height in the picture (perspective), so a hand, a collar
or a badge judged a face is often much smaller than the sure faces beside it. This script runs
`unseen analyse` on bench/faces.py's 200 squeezed PNGs (made by that script first), takes every
face the plan masks, and fits, per photo, log(box height) against the box's vertical centre
over the other faces whose detector score is at least --sure (three or more needed); a face's
residual is its log height minus the fit's. A masked face overlapping an annotated face by IoU
0.3 or more is a face, one overlapping none by 0.05 is not. For bars on the residual (and on the
detector score below which a face may be dropped) it prints how many true and false faces the
bar would drop and the share of the false faces' box area (their masks' cost) it would give
back. Writes bench/results/scene_size.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from faces import flat, load_gt  # noqa: E402


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x0, y0 = np.maximum(a[0], b[:, 0]), np.maximum(a[1], b[:, 1])
    x1, y1 = np.minimum(a[2], b[:, 2]), np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter)


def faces_with_residuals(plans: Path, gt: dict, sure: float) -> list[tuple[int, float, float, float]]:
    """(label: 1 face, 0 not, -1 neither; box area; detector score; residual or NaN)."""
    rows = []
    for name, boxes in gt.items():
        regions = [r for r in json.loads((plans / flat(name).replace(".png", ".plan.json")).read_text())["regions"] if r["kind"] == "face" and r["on"]]
        truth = np.array([[x, y, x + w, y + h] for x, y, w, h in boxes], float).reshape(-1, 4)
        box = np.array([r["box"] for r in regions], float).reshape(-1, 4)
        score = np.array([r["source"].get("score", 1.0) for r in regions])
        height, centre = box[:, 3] - box[:, 1], (box[:, 1] + box[:, 3]) / 2
        for i in range(len(regions)):
            best = iou(box[i], truth).max() if len(truth) else 0.0
            label = 1 if best >= 0.3 else (0 if best < 0.05 else -1)
            others = [j for j in range(len(regions)) if j != i and score[j] >= sure]
            residual = float("nan")
            if len(others) >= 3:
                a, b = np.polyfit(centre[others], np.log(height[others]), 1)[::-1]
                residual = float(np.log(height[i]) - (a + b * centre[i]))
            rows.append((label, float((box[i, 2] - box[i, 0]) * height[i]), float(score[i]), residual))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "eval" / "faces-wider")
    ap.add_argument("--sure", type=float, default=0.5, help="detector score of the faces the fit is made from")
    args = ap.parse_args()
    inputs = HERE / "out" / "faces" / "input"
    if not inputs.is_dir():
        sys.exit("run python bench/faces.py first (it writes bench/out/faces/input)")
    gt = load_gt(args.data)
    plans = HERE / "out" / "scene_size"
    shutil.rmtree(plans, ignore_errors=True)
    subprocess.run([shutil.which("unseen") or "unseen", "analyse", str(inputs), "-o", str(plans), "-q"], check=False)
    rows = np.array(faces_with_residuals(plans, gt, args.sure))
    label, area, score, residual = rows.T
    true, false = label == 1, label == 0
    out = {"masked_faces": len(rows), "true": int(true.sum()), "false": int(false.sum()), "bars": []}
    print(f"{len(rows)} masked faces: {int(true.sum())} on an annotated face, {int(false.sum())} on none")
    print("| residual below | detector score below | true faces dropped | false faces dropped | false faces' area given back |")
    print("|---|---|---|---|---|")
    for bar in (-0.5, -0.7, -0.9, -1.1):
        for top in (0.3, 0.5, 1.01):
            drop = (residual < bar) & (score < top)
            given = float(area[drop & false].sum() / area[false].sum())
            out["bars"].append({"residual": bar, "score_below": top, "true_dropped": int((drop & true).sum()), "false_dropped": int((drop & false).sum()), "false_area": given})
            print(f"| {bar} (x{np.exp(bar):.2f}) | {top:g} | {int((drop & true).sum())} | {int((drop & false).sum())} | {given:.1%} |")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "scene_size.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
