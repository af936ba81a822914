"""Face protection in still images, metrics.md section 1, unseen and deface side by side.

    python bench/faces.py [--data ../shared/eval/faces-wider] [--deface PATH] [--limit N]
                          [--unseen-args "--grid 1 ..."] [--skip-deface] [--results NAME.json]
                          [--true-aspect] [--format jpeg|webp|heic|avif]

Reports, per tool: protected faces (cover 0.9 and 0.5, by box height), over-masking (share of
masked pixels outside every ground-truth box enlarged 1.8x about its centre), collateral (share
of the picture outside every such enlarged box that is masked; pooled over all images, and the
mean and maximum per image) and speed. Writes bench/out/faces/ (PNGs and outputs) and
bench/results/faces.json, prints a table.

The 416x416 copies of WIDER forced every photo to a square: 173 of these 200 were wider than
tall (up to 2.85x) and came out squeezed, most faces about half as wide as they are tall; 24
were taller (to 0.65x) and came out stretched. --true-aspect resizes each back to its original proportions
(416 px tall; boxes with it): the faces' true shapes, at the copies' detail.

--format gives the tools each photo in a lossy format instead of a PNG (JPEG as a camera
saves it, quality 95, 4:2:0; WebP 90; HEIC 90; AVIF 85), so that outputs are in it too, whose
masks cover whole blocks of the codec (a pixel counts as masked at 8 levels or less on every
channel, the input's own dark pixels excepted). deface reads JPEG and WebP, not HEIC or AVIF.
"""
from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
BINS = [(12, 24), (24, 48), (48, 96), (96, 10**9)]


def load_gt(root: Path, invalid: bool = False) -> dict[str, list[list[float]]]:
    lines = (root / "gt" / "subset_416x416_bbx_gt.txt").read_text().splitlines()
    out, i = {}, 0
    while i < len(lines) and lines[i].strip():
        name, n = lines[i].strip(), int(lines[i + 1])
        rows = lines[i + 2 : i + 2 + max(n, 1)]
        # skip faces WIDER flags invalid (8th field) unless asked for them (faces all the same)
        out[name] = [[float(v) for v in r.split()[:4]] for r in rows if n and (invalid or r.split()[7] == "0")]
        i += 2 + max(n, 1)
    return out


@lru_cache(maxsize=1)
def original_sizes(data: Path) -> dict[str, tuple[int, int]]:
    """Each image's original (width, height), from the set's gt/original_sizes.csv."""
    import csv

    with open(data / "gt" / "original_sizes.csv", newline="") as f:
        return {r["image"]: (int(r["orig_width"]), int(r["orig_height"])) for r in csv.DictReader(f)}


def true_aspect(data: Path, name: str, img: Image.Image, boxes: list[list[float]]) -> tuple[Image.Image, list[list[float]]]:
    """The photo in its original proportions (as tall as given), and its boxes."""
    ow, oh = original_sizes(data)[name]
    wide = round(img.height * ow / oh)
    k = wide / img.width
    return img.resize((wide, img.height), Image.BICUBIC), [[x * k, y, w * k, h] for x, y, w, h in boxes]


EXT = ".png"  # another with --format
QUALITY = {".jpg": 95, ".webp": 90, ".heic": 90, ".avif": 85}


def flat(name: str) -> str:
    return name.replace("/", "__").rsplit(".", 1)[0] + EXT


def write_inputs(data: Path, gt: dict[str, list[list[float]]], inputs: Path, restore_aspect: bool = False) -> None:
    """Each photo as a lossless RGB PNG in ``inputs``; with ``restore_aspect`` in its original
    proportions, its boxes in ``gt`` with it."""
    for name in gt:
        img = Image.open(data / "images" / name).convert("RGB")
        if restore_aspect:
            img, gt[name] = true_aspect(data, name, img, gt[name])
        img.save(inputs / flat(name), quality=QUALITY.get(EXT, 95))  # (lossy formats only)


def score(inputs: Path, outputs: dict[str, Path], gt: dict[str, list[list[float]]]) -> dict:
    prot90 = prot50 = total = 0
    bins = {(f"{a}-{b}" if b < 10**9 else f"{a}+"): [0, 0] for a, b in BINS}
    small = [0, 0]
    inside = outside = 0
    away = 0  # pixels outside every enlarged box (the denominator of collateral)
    per_image_collateral = []
    missing = 0
    for name, boxes in gt.items():
        src = np.asarray(Image.open(inputs / flat(name)).convert("RGB"))
        out_path = outputs.get(name)
        if out_path is None or not out_path.exists():
            missing += 1
            masked = np.zeros(src.shape[:2], bool)
        else:
            out = np.asarray(Image.open(out_path).convert("RGB"))
            dark = 0 if EXT == ".png" else 8  # a lossy codec decodes black within a few levels
            masked = (out <= dark).all(-1) & ~(src <= dark).all(-1)
        h, w = masked.shape
        near = np.zeros_like(masked)
        for x, y, bw, bh in boxes:
            cx, cy = x + bw / 2, y + bh / 2
            near[max(0, int(cy - 0.9 * bh)) : int(np.ceil(cy + 0.9 * bh)), max(0, int(cx - 0.9 * bw)) : int(np.ceil(cx + 0.9 * bw))] = True
            x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
            x1, y1 = min(w, int(np.ceil(x + bw))), min(h, int(np.ceil(y + bh)))
            cov = float(masked[y0:y1, x0:x1].mean()) if x1 > x0 and y1 > y0 else 0.0
            if bh < 12:
                small[1] += 1
                small[0] += int(cov >= 0.9)
                continue
            total += 1
            prot90 += int(cov >= 0.9)
            prot50 += int(cov >= 0.5)
            for a, b in BINS:
                if a <= bh < b:
                    k = f"{a}-{b}" if b < 10**9 else f"{a}+"
                    bins[k][1] += 1
                    bins[k][0] += int(cov >= 0.9)
        inside += int((masked & near).sum())
        outside += int((masked & ~near).sum())
        n_away = int((~near).sum())
        away += n_away
        if n_away:
            per_image_collateral.append(float((masked & ~near).sum()) / n_away)
    return {
        "faces": total,
        "protected_90": prot90 / total,
        "protected_90_count": prot90,
        "protected_50": prot50 / total,
        "by_height": {k: {"protected": v[0], "faces": v[1], "share": v[0] / max(1, v[1])} for k, v in bins.items()},
        "under_12px": {"protected": small[0], "faces": small[1]},
        "overmasking": outside / max(1, inside + outside),
        "collateral": outside / max(1, away),
        "collateral_mean_per_image": float(np.mean(per_image_collateral)) if per_image_collateral else 0.0,
        "collateral_max_per_image": float(np.max(per_image_collateral)) if per_image_collateral else 0.0,
        "images_collateral_over_1pct": int(sum(c > 0.01 for c in per_image_collateral)),
        "missing_outputs": missing,
    }


def run(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    if p.returncode != 0:
        print(f"  {cmd[0]} exited {p.returncode}: {p.stderr.strip().splitlines()[-3:]}", file=sys.stderr)
    return time.perf_counter() - t, p.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "eval" / "faces-wider")
    ap.add_argument("--deface", default=str(HERE / ".venv-deface" / "bin" / "deface"))
    ap.add_argument("--unseen", default=shutil.which("unseen") or "unseen")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--unseen-args", default="", help="extra arguments for `unseen clean`, one shell-quoted string")
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--results", default="faces.json", help="file name under bench/results/ (another name also works in bench/out/faces_STEM, apart from other runs)")
    ap.add_argument("--true-aspect", action="store_true", help="each photo in its original proportions (see above)")
    ap.add_argument("--format", choices=["png", "jpeg", "webp", "heic", "avif"], default="png", help="inputs and outputs in this format (see above)")
    args = ap.parse_args()
    global EXT
    EXT = {"jpeg": ".jpg"}.get(args.format, "." + args.format)
    if args.format in ("heic", "avif"):
        import pillow_heif

        pillow_heif.register_heif_opener()

    gt = load_gt(args.data)
    if args.limit:
        gt = dict(list(gt.items())[: args.limit])
    work = HERE / "out" / ("faces" if args.results == "faces.json" else "faces_" + Path(args.results).stem)
    inputs = work / "input"
    shutil.rmtree(work, ignore_errors=True)
    inputs.mkdir(parents=True)
    write_inputs(args.data, gt, inputs, args.true_aspect)  # step 1: lossless RGB PNGs

    results = {"images": len(gt), "unseen_args": args.unseen_args}
    out_u = work / "unseen"
    out_u.mkdir()
    secs, rc = run([args.unseen, "clean", str(inputs), "-o", str(out_u), "--fill", "solid", "-q", *shlex.split(args.unseen_args)])
    results["unseen"] = {"seconds": secs, "images_per_s": len(gt) / secs, "exit": rc, **score(inputs, {n: out_u / flat(n).replace(EXT, ".unseen" + EXT) for n in gt}, gt)}

    if not args.skip_deface and args.format not in ("heic", "avif"):  # deface reads neither
        out_d = work / "deface"
        shutil.copytree(inputs, out_d)
        files = sorted(str(p) for p in out_d.glob("*" + EXT))
        secs, rc = run([args.deface, *files, "--replacewith", "solid"])
        results["deface"] = {"seconds": secs, "images_per_s": len(gt) / secs, "exit": rc, **score(inputs, {n: out_d / flat(n).replace(EXT, "_anonymized" + EXT) for n in gt}, gt)}

    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / args.results).write_text(json.dumps(results, indent=2))
    tools = [t for t in ("unseen", "deface") if t in results]
    print(f"| {len(gt)} images | " + " | ".join(tools) + " |")
    print("|---|" + "---|" * len(tools))
    r = [results[t] for t in tools]
    print("| protected (cover 0.9), faces >= 12 px | " + " | ".join(f"{x['protected_90']:.1%} ({x['protected_90_count']}/{x['faces']})" for x in r) + " |")
    print("| protected (cover 0.5) | " + " | ".join(f"{x['protected_50']:.1%}" for x in r) + " |")
    for k in r[0]["by_height"]:
        print(f"| {k} px | " + " | ".join(f"{x['by_height'][k]['share']:.1%} ({x['by_height'][k]['protected']}/{x['by_height'][k]['faces']})" for x in r) + " |")
    print("| under 12 px | " + " | ".join(f"{x['under_12px']['protected']}/{x['under_12px']['faces']}" for x in r) + " |")
    print("| over-masking | " + " | ".join(f"{x['overmasking']:.3f}" for x in r) + " |")
    print("| collateral (picture away from faces masked) | " + " | ".join(f"{x['collateral']:.1%}" for x in r) + " |")
    print("| collateral per image: mean / max / images > 1% | " + " | ".join(f"{x['collateral_mean_per_image']:.1%} / {x['collateral_max_per_image']:.1%} / {x['images_collateral_over_1pct']}" for x in r) + " |")
    print("| speed | " + " | ".join(f"{x['seconds']:.1f} s = {x['images_per_s']:.1f} images/s" for x in r) + " |")


if __name__ == "__main__":
    main()
