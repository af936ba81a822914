"""Where the collateral of still photos comes from, and what dropping faint small masks would cost.

    python bench/still_collateral.py [--data ../shared/eval/faces-wider] [--reuse]

Runs `unseen analyse` on bench/faces.py's 200 squeezed PNGs (run that script first) and masks
each plan's faces as `clean` does on a PNG (head shapes, no grid; the faces verification adds on
the rendered picture, 0.2 points of collateral, are left out). Every masked pixel away from the
annotated faces (metrics §1: outside every box enlarged 1.8x) is given to the mask that covers it
(the surest, where masks overlap), and each mask is labelled by the face box it was grown from:
on an annotated face (IoU 0.3 or more), on a face WIDER flags invalid, touching one (IoU over
0.05) or on none. Prints the collateral in points of the picture by label, face height and
detector score, and by how crowded the photo is; then, from the same plans, protected faces
(cover 0.9, 12 px and up) and collateral when the faint small masks are dropped. Writes
bench/results/still_collateral.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from faces import flat, load_gt  # noqa: E402
from scene_size import iou  # noqa: E402

from unseen.mask import region_mask  # noqa: E402
from unseen.pipeline.still import VOTED_MARGIN  # noqa: E402
from unseen.types import Region  # noqa: E402

SIDE = 416  # the set's photos are 416x416
HEIGHTS = [(0, 16), (16, 32), (32, 64), (64, 10**9)]
SCORES = [(0.0, 0.3), (0.3, 0.6), (0.6, 1.01)]
CROWDS = [(0, 10), (10, 30), (30, 100), (100, 10**9)]
DROPS = [(16, 0.1), (16, 0.15), (16, 0.2), (16, 0.3), (32, 0.15), (32, 0.2)]


@dataclass
class Mask:
    face: Region  # the detector's eyes-to-chin box the head was grown from
    score: float
    label: str


def face_of(head: Region) -> Region:
    """The face box whose head (Region.head at the plan's margin) is ``head``: found by fixed
    point, since the margins depend on the face's own height."""
    f = head
    for _ in range(40):
        h = f.head(VOTED_MARGIN)
        kx, ky = head.width / max(h.width, 1e-6), head.height / max(h.height, 1e-6)
        f = Region(f.x0 + (head.x0 - h.x0) * kx, f.y0 + (head.y0 - h.y0) * ky, f.x1 + (head.x1 - h.x1) * kx, f.y1 + (head.y1 - h.y1) * ky)
    return f


def bucket(value: float, bins: list[tuple[float, float]]) -> str:
    a, b = next((a, b) for a, b in bins if a <= value < b)
    return f"{a:g}+" if b is bins[-1][1] else f"{a:g}-{b:g}"


def painted(masks: list[Mask], margin: float = VOTED_MARGIN) -> tuple[np.ndarray, np.ndarray]:
    """Which pixels the masks cover (heads at ``margin``), and which mask each pixel is given
    to (-1: none)."""
    covered = np.zeros((SIDE, SIDE), bool)
    owner = np.full((SIDE, SIDE), -1)
    for i in sorted(range(len(masks)), key=lambda i: masks[i].score):  # the surest painted last
        (x0, y0, x1, y1), inside = region_mask(masks[i].face.head(margin), SIDE, SIDE, 1)
        area = np.ones((y1 - y0, x1 - x0), bool) if inside is None else inside
        covered[y0:y1, x0:x1] |= area
        owner[y0:y1, x0:x1][area] = i
    return covered, owner


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "eval" / "faces-wider")
    ap.add_argument("--reuse", action="store_true", help="score the plans the last run made (no new analysis)")
    args = ap.parse_args()
    inputs = HERE / "out" / "faces" / "input"
    if not inputs.is_dir():
        sys.exit("run python bench/faces.py first (it writes bench/out/faces/input)")
    valid, every = load_gt(args.data), load_gt(args.data, invalid=True)
    plans = HERE / "out" / "still_collateral"
    if not (args.reuse and plans.is_dir()):
        shutil.rmtree(plans, ignore_errors=True)
        subprocess.run([shutil.which("unseen") or "unseen", "analyse", str(inputs), "-o", str(plans), "-q"], check=False)

    photos = []
    for name, boxes in valid.items():
        truth = np.array([[x, y, x + w, y + h] for x, y, w, h in boxes], float).reshape(-1, 4)
        flagged = np.array([[x, y, x + w, y + h] for x, y, w, h in every[name] if [x, y, w, h] not in boxes], float).reshape(-1, 4)
        near = np.zeros((SIDE, SIDE), bool)
        for x, y, w, h in boxes:
            cx, cy = x + w / 2, y + h / 2
            near[max(0, int(cy - 0.9 * h)) : int(np.ceil(cy + 0.9 * h)), max(0, int(cx - 0.9 * w)) : int(np.ceil(cx + 0.9 * w))] = True
        masks = []
        for r in json.loads((plans / flat(name).replace(".png", ".plan.json")).read_text())["regions"]:
            if r["kind"] != "face" or not r["on"]:
                continue
            face = face_of(Region(*r["box"]))
            a = np.array([face.x0, face.y0, face.x1, face.y1])
            on_valid = iou(a, truth).max() if len(truth) else 0.0
            on_flagged = iou(a, flagged).max() if len(flagged) else 0.0
            label = "face" if on_valid >= 0.3 else "flagged face" if on_flagged >= 0.3 else "touching a face" if max(on_valid, on_flagged) > 0.05 else "none"
            masks.append(Mask(face, float(r["source"].get("score", 1.0)), label))
        photos.append((boxes, near, masks))

    away = sum(int((~near).sum()) for _, near, _ in photos)
    points: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for boxes, near, masks in photos:
        _, owner = painted(masks)
        lost = owner[~near]
        crowd = bucket(len(boxes), CROWDS)
        for i, m in enumerate(masks):
            p = 100 * int((lost == i).sum()) / away
            points["label"][m.label] += p
            points["label, face height"][f"{m.label}, {bucket(m.face.height, HEIGHTS)} px"] += p
            points["label, detector score"][f"{m.label}, {bucket(m.score, SCORES)}"] += p
            points["label, annotated faces in the photo"][f"{m.label}, {crowd}"] += p

    def scored(keep: Callable[[Mask], bool], margin: float = VOTED_MARGIN) -> dict[str, float]:
        protected = total = lost = 0
        for boxes, near, masks in photos:
            covered, _ = painted([m for m in masks if keep(m)], margin)
            for x, y, w, h in boxes:
                if h < 12:
                    continue
                x0, y0, x1, y1 = max(0, int(np.floor(x))), max(0, int(np.floor(y))), min(SIDE, int(np.ceil(x + w))), min(SIDE, int(np.ceil(y + h)))
                total += 1
                protected += int(x1 > x0 and y1 > y0 and covered[y0:y1, x0:x1].mean() >= 0.9)
            lost += int((covered & ~near).sum())
        return {"protected": protected, "faces": total, "collateral": lost / away}

    drops = [{"dropped": "none", **scored(lambda m: True)}]
    for height, score in DROPS:
        drops.append({"dropped": f"faces under {height} px scoring under {score}", **scored(lambda m, h=height, s=score: not (m.face.height < h and m.score < s))})

    for margin in (1.1, 1.0):
        drops.append({"dropped": f"none, margins x{margin} (x{VOTED_MARGIN} above)", **scored(lambda m: True, margin)})
        drops.append({"dropped": f"faces under 16 px scoring under 0.1, margins x{margin}", **scored(lambda m: not (m.face.height < 16 and m.score < 0.1), margin)})

    print(f"collateral from the plans' masks: {sum(points['label'].values()):.2f} points of the picture")
    for table, rows in points.items():
        print(f"\n| by {table} | points |\n|---|---|")
        for k, v in sorted(rows.items(), key=lambda kv: -kv[1]):
            if v >= 0.05:
                print(f"| {k} | {v:.2f} |")
    print("\n| dropped | protected (cover 0.9) | collateral |\n|---|---|---|")
    for d in drops:
        print(f"| {d['dropped']} | {d['protected']}/{d['faces']} | {d['collateral']:.2%} |")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "still_collateral.json").write_text(json.dumps({"points": points, "drops": drops}, indent=2))


if __name__ == "__main__":
    main()
