"""Recall against over-masking for unseen's detector at several thresholds (metrics.md §1 scoring).

    python bench/faces_curve.py [--data ../shared/eval/faces-wider]

Detects once at a very low threshold with unseen's own passes (1x and 1.5x, each mirrored), then
keeps the boxes above each threshold, masks them as `unseen clean` does on a lossless output
(head-sized, no grid) and scores protection (cover 0.9, faces >= 12 px) and over-masking.
This is the curve behind the README's recall-first choice; the verifier's additions are not
included, so recall is slightly below the whole command's.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from faces import load_gt  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "eval" / "faces-wider")
    args = ap.parse_args()
    from unseen.detect import DetectorSettings, FaceFinder
    from unseen.mask import coverage

    finder = FaceFinder(DetectorSettings(threshold=0.04))
    gt = load_gt(args.data)
    found = {}
    for name in gt:
        rgb = np.asarray(Image.open(args.data / "images" / name).convert("RGB"))
        found[name] = (rgb.shape[:2], list(finder.find(rgb)))
    rows = []
    for thr in (0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5):
        prot = total = inside = outside = 0
        for name, boxes in gt.items():
            (h, w), regions = found[name]
            masked = coverage([r.head() for r in regions if r.score >= thr], w, h, 1)
            near = np.zeros_like(masked)
            for x, y, bw, bh in boxes:
                cx, cy = x + bw / 2, y + bh / 2
                near[max(0, int(cy - 0.9 * bh)) : int(np.ceil(cy + 0.9 * bh)), max(0, int(cx - 0.9 * bw)) : int(np.ceil(cx + 0.9 * bw))] = True
                if bh < 12:
                    continue
                x0, y0, x1, y1 = max(0, int(np.floor(x))), max(0, int(np.floor(y))), min(w, int(np.ceil(x + bw))), min(h, int(np.ceil(y + bh)))
                total += 1
                prot += int(x1 > x0 and y1 > y0 and masked[y0:y1, x0:x1].mean() >= 0.9)
            inside += int((masked & near).sum())
            outside += int((masked & ~near).sum())
        rows.append({"threshold": thr, "protected_90": prot / total, "overmasking": outside / max(1, inside + outside)})
        print(f"threshold {thr:.2f}: protected {prot / total:.1%}  over-masking {outside / max(1, inside + outside):.3f}")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "faces_curve.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
