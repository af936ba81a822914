"""Why the synthetic video benchmark's banner crowd stays exposed: its faces are squeezed.

    python bench/squeezed.py [--image NAME]

WIDER FACE's 416x416 subset squeezed wide photos into squares. The crowd printed on a banner in
clip 7 of bench/video_protect.py (2_Demonstration_Demonstration_Or_Protest_2_771) has face boxes
3-11 px wide for 9-54 px tall. This runs unseen's video detector settings (CenterFace, threshold
0.05, one pass) on that image enlarged as the clips show it (zoom 1.4x-2.8x) and, beside it,
stretched horizontally back towards its true shape, and counts the annotated faces (9 px tall or
more) that a detection overlaps by at least 30% of the face's box. Writes bench/results/squeezed.json.
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
    ap.add_argument("--image", default="2--Demonstration/2_Demonstration_Demonstration_Or_Protest_2_771.jpg")
    args = ap.parse_args()
    from unseen.detect import DetectorSettings, FaceFinder

    finder = FaceFinder(DetectorSettings(threshold=0.05, flip=False))
    image = Image.open(args.data / "images" / args.image).convert("RGB")
    faces = [b for b in load_gt(args.data)[args.image] if b[3] >= 9]
    rows = []
    for zoom in (1.4, 2.0, 2.8):
        for stretch in (1.0, 1.5, 2.0, 2.5):
            sx, sy = 416 * zoom * stretch / image.width, 416 * zoom / image.height
            rgb = np.asarray(image.resize((round(image.width * sx), round(image.height * sy)), Image.BILINEAR))
            found = finder.find(rgb, [1.0])
            hits = 0
            for x, y, w, h in faces:
                X0, Y0, X1, Y1 = x * sx, y * sy, (x + w) * sx, (y + h) * sy
                if any(max(0.0, min(X1, r.x1) - max(X0, r.x0)) * max(0.0, min(Y1, r.y1) - max(Y0, r.y0)) > 0.3 * (X1 - X0) * (Y1 - Y0) for r in found):
                    hits += 1
            rows.append({"zoom": zoom, "stretch": stretch, "found": hits, "faces": len(faces), "detections": len(found)})
            print(f"zoom {zoom}x, stretched {stretch}x: {hits}/{len(faces)} faces found ({len(found)} detections)")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "squeezed.json").write_text(json.dumps({"image": args.image, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
