"""Which face box makes the best head mask: the box a photo's faces are masked from, compared
face by face with the annotated faces (metrics.md §1 geometry).

    python bench/head_boxes.py [--data ../shared/eval/faces-wider] [--true-aspect] [--limit N] [--results NAME.json]

`find_faces` groups the boxes the judge calls faces (two rules, two detectors) into one per
face. For every such face matched to an annotated face (IoU 0.3 or more, faces at least 12 px
tall; matched by the group's best box, pairs taken by IoU, highest first) three boxes are
compared:

- *span*: the group's boxes spanned (what unseen masked before: the widest edge of any box);
- *best*: the group's best-scoring box alone;
- *voted*: the score-weighted mean of every pass's candidates over the face (box voting; what
  unseen masks now, see detect._voted_faces).

Each box becomes the head shape `clean` draws (Region.head, margins scaled by 1.0 to 1.4), with
no grid and no neighbour's mask, and two things are counted: the share of faces it protects
(covers 90% of the annotated box) and how much of it lies beyond the annotated box enlarged
1.8x (in annotated-face areas, mean per face: the part of the head that costs collateral).
A better box protects as many faces with less beyond. Writes bench/results/head_boxes.json
(or head_boxes_true_aspect.json).
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
from faces import load_gt, true_aspect  # noqa: E402

MARGINS = (1.0, 1.1, 1.2, 1.4)
SAMPLES = 16  # points per side sampled in each box


def captured_groups():  # type: ignore[no-untyped-def]
    """Wrap detect._voted_faces so that each call's groups are recorded: (span, best, voted)."""
    import unseen.detect as det
    from unseen.detect.boxes import span

    calls: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
    inner = det._voted_faces

    def recording(d, raw):  # type: ignore[no-untyped-def]
        out = inner(d, raw)
        boxes = d.boxes()
        rows = []
        for (top, members), v in zip(det._same_face(d), out.boxes()):
            rows.append((span(boxes[members]), boxes[top], v))
        calls.append(rows)
        return out

    det._voted_faces = recording
    return calls


def head_boxes(boxes: np.ndarray, margin: float) -> np.ndarray:
    from unseen.types import Region

    heads = [Region(*map(float, b)).head(margin) for b in boxes]
    return np.array([[h.x0, h.y0, h.x1, h.y1] for h in heads]).reshape(-1, 4)


def measure(gt: np.ndarray, heads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per face: protected (the head shape covers 90% of the annotated box), and the head's area
    beyond the annotated box enlarged 1.8x, in annotated-face areas."""
    from unseen.mask import HEAD_EXPONENT as E

    u = (np.arange(SAMPLES) + 0.5) / SAMPLES
    cx, cy = (heads[:, 0] + heads[:, 2]) / 2, (heads[:, 1] + heads[:, 3]) / 2
    ax, ay = np.maximum((heads[:, 2] - heads[:, 0]) / 2, 0.5), np.maximum((heads[:, 3] - heads[:, 1]) / 2, 0.5)
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    gx, gy = gt[:, :1] + u * gw[:, None], gt[:, 1:2] + u * gh[:, None]
    inside = (np.abs(gx - cx[:, None]) / ax[:, None])[:, None, :] ** E + (np.abs(gy - cy[:, None]) / ay[:, None])[:, :, None] ** E <= 1
    protected = inside.mean(axis=(1, 2)) >= 0.9
    hx, hy = cx[:, None] + (2 * u - 1) * ax[:, None], cy[:, None] + (2 * u - 1) * ay[:, None]
    shape = (np.abs(2 * u - 1)[None, :] ** E + np.abs(2 * u - 1)[:, None] ** E <= 1)[None]
    far_x = np.abs(hx - (gt[:, 0] + gt[:, 2])[:, None] / 2) > 0.9 * gw[:, None]
    far_y = np.abs(hy - (gt[:, 1] + gt[:, 3])[:, None] / 2) > 0.9 * gh[:, None]
    beyond = (shape & (far_x[:, None, :] | far_y[:, :, None])).mean(axis=(1, 2)) * 4 * ax * ay / (gw * gh)
    return protected, beyond


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "eval" / "faces-wider")
    ap.add_argument("--true-aspect", action="store_true", help="each photo in its original proportions (see bench/faces.py)")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--results")
    args = ap.parse_args()
    from unseen.detect import find_faces
    from unseen.detect.boxes import iou_matrix

    calls = captured_groups()
    gt_all = load_gt(args.data)
    names = list(gt_all)[: args.limit or None]
    kinds = ("span", "best", "voted")
    matched: dict[str, list] = {k: [] for k in kinds}
    truth = []
    for name in names:
        img = Image.open(args.data / "images" / name).convert("RGB")
        boxes = gt_all[name]
        if args.true_aspect:
            img, boxes = true_aspect(args.data, name, img, boxes)
        calls.clear()
        find_faces(np.asarray(img))
        rows = [row for call in calls for row in call]
        g = np.array([[x, y, x + w, y + h] for x, y, w, h in boxes if h >= 12], dtype=np.float32).reshape(-1, 4)
        if not rows or not len(g):
            continue
        # matched by the group's best box (the detector's own, whatever the method), pairs
        # taken by IoU, highest first, each face and each group once
        iou = iou_matrix(np.array([r[1] for r in rows], dtype=np.float32), g)
        used_rows: set[int] = set()
        used_faces: set[int] = set()
        for k, j in zip(*np.unravel_index(np.argsort(-iou, axis=None), iou.shape)):
            if iou[k, j] < 0.3:
                break
            if k in used_rows or j in used_faces:
                continue
            used_rows.add(int(k))
            used_faces.add(int(j))
            truth.append(g[j])
            for kind, box in zip(kinds, rows[k]):
                matched[kind].append(box)
    gt = np.array(truth)
    table: dict = {"faces_matched": len(gt), "images": len(names), "true_aspect": args.true_aspect, "boxes": {}}
    print(f"{len(gt)} annotated faces (>= 12 px) matched by a masked face, {len(names)} photos{' (true proportions)' if args.true_aspect else ''}")
    print("| box | " + " | ".join(f"margins x{m}: protected / beyond" for m in MARGINS) + " |")
    print("|---|" + "---|" * len(MARGINS))
    for kind in kinds:
        b = np.array(matched[kind])
        cells, out = [], {}
        for m in MARGINS:
            protected, beyond = measure(gt, head_boxes(b, m))
            out[str(m)] = {"protected": float(protected.mean()), "beyond": float(beyond.mean())}
            cells.append(f"{100 * protected.mean():.1f}% / {beyond.mean():.3f}")
        table["boxes"][kind] = out
        print(f"| {kind} | " + " | ".join(cells) + " |")
    name = args.results or ("head_boxes_true_aspect.json" if args.true_aspect else "head_boxes.json")
    (HERE / "results" / name).write_text(json.dumps(table, indent=1) + "\n")


if __name__ == "__main__":
    main()
