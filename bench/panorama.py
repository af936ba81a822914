"""Faces in 360-degree pictures: near the poles, where an equirectangular picture stretches them.

    python bench/panorama.py [--width 1600] [--skip-deface] [--results panorama.json]

Makes 18 panoramas (width x width/2, equirectangular, as 360 cameras save them) of scikit-image's
astronaut portrait seen 18 x 22 degrees round (a selfie at arm's length, the camera on a stick)
at 50 to 86 degrees below the horizon and 72 above, beside the seam (longitude 178) and away from
it (60), and runs unseen and deface on the same PNGs (solid fill). Reports, per picture and tool:
the share of the face's inner half (eyes, nose, mouth) masked, and the share of the sphere
masked (each row counts for the cosine of its latitude, as a 360 viewer shows it); and each
tool's time for the batch. Writes bench/results/panorama.json.

The same is asked of pictures that merely have a panorama's shape: bench/people_free.py's 42
photos with nobody in them, each cropped to twice as wide as tall about its centre, are cleaned
by both tools too and the share of each picture masked is reported (a 2:1 screenshot or crop
gets the pole views as well: what they add there is collateral).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def panorama(face: np.ndarray, lon: float, lat: float, half: tuple[float, float] = (9.0, 11.0), width: int = 1600) -> tuple[np.ndarray, np.ndarray]:
    """A ``width`` x ``width``/2 equirectangular picture (sky above the horizon, grass below)
    with ``face`` seen as a flat picture half[0] x half[1] degrees round, centred at ``lon``,
    ``lat``; and the picture's pixels of the face's inner half (eyes, nose, mouth). Made with
    numpy alone: tests/test_panorama.py makes its inputs with it, and any release is measured."""
    W, h = width, width // 2
    lon0, lat0 = np.radians(lon), np.radians(lat)
    lons = (np.arange(W) + 0.5) / W * 2 * np.pi - np.pi
    lats = np.pi / 2 - (np.arange(h) + 0.5) / h * np.pi
    LON, LAT = np.meshgrid(lons, lats)
    d = np.stack([np.cos(LAT) * np.cos(LON), np.cos(LAT) * np.sin(LON), np.sin(LAT)], -1)
    img = np.where((LAT > 0)[..., None], np.uint8([150, 180, 220]), np.uint8([90, 110, 70]))
    c = np.array([np.cos(lat0) * np.cos(lon0), np.cos(lat0) * np.sin(lon0), np.sin(lat0)])
    e1 = np.array([-np.sin(lon0), np.cos(lon0), 0.0])
    e2 = np.cross(c, e1)
    dc = d @ c
    u, v = (d @ e1) / dc, (d @ e2) / dc
    hw, hh = np.tan(np.radians(half[0])), np.tan(np.radians(half[1]))
    on = (dc > 0) & (abs(u) < hw) & (abs(v) < hh)
    fh, fw = face.shape[:2]
    img[on] = face[((1 - (v[on] / hh + 1) / 2) * (fh - 1)).astype(int), ((u[on] / hw + 1) / 2 * (fw - 1)).astype(int)]
    inner = (dc > 0) & (abs(u) < hw / 2) & (abs(v) < hh / 2)
    return img, inner


PLACES = [(lat, lon) for lat in (-50, -60, -65, -70, -75, -78, -82, -86, 72) for lon in (60, 178)]


def sphere_share(masked: np.ndarray) -> float:
    rows = np.cos(np.pi / 2 - (np.arange(masked.shape[0]) + 0.5) / masked.shape[0] * np.pi)
    return float((masked.mean(axis=1) * rows).sum() / rows.sum())


def people_free(work: Path, args: argparse.Namespace) -> dict:
    """bench/people_free.py's photos cropped to 2:1 about their centres, both tools: the share of
    each picture masked."""
    from people_free import PHOTOS, prepare

    src = prepare([p[0] for p in PHOTOS])
    crops = work / "people_free"
    crops.mkdir()
    for f in sorted(src.glob("*.png")):
        im = Image.open(f).convert("RGB")
        w, h = im.size
        nw, nh = (2 * h, h) if w >= 2 * h else (w - w % 2, (w - w % 2) // 2)
        x, y = (w - nw) // 2, (h - nh) // 2
        im.crop((x, y, x + nw, y + nh)).save(crops / f.name)
    out: dict = {}
    subprocess.run([args.unseen, "clean", str(crops), "-o", str(work / "people_free_unseen"), "--fill", "solid", "--keep-names", "-q"], check=False)
    tools = {"unseen": lambda n: work / "people_free_unseen" / f"{n}.unseen.png"}
    if not args.skip_deface:
        shutil.copytree(crops, work / "people_free_deface")
        subprocess.run([args.deface, *sorted(str(p) for p in (work / "people_free_deface").glob("*.png")), "--replacewith", "solid"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        tools["deface"] = lambda n: work / "people_free_deface" / f"{n}_anonymized.png"
    for tool, out_of in tools.items():
        shares = {}
        for f in sorted(crops.glob("*.png")):
            if out_of(f.stem).exists():
                a = np.asarray(Image.open(f).convert("RGB"))
                b = np.asarray(Image.open(out_of(f.stem)).convert("RGB"))
                shares[f.stem] = float(((b == 0).all(-1) & ~(a == 0).all(-1)).mean())
        got = list(shares.values())
        out[tool] = {"per_photo": shares, "median": float(np.median(got)) if got else None, "max": max(got, default=None), "over_1pct": sum(v > 0.01 for v in got), "any": sum(v > 0 for v in got)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=1600)
    ap.add_argument("--unseen", default=shutil.which("unseen") or "unseen")
    ap.add_argument("--deface", default=str(HERE / ".venv-deface" / "bin" / "deface"))
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--results", default="panorama.json")
    args = ap.parse_args()
    import skimage.data

    face = skimage.data.astronaut()[30:230, 150:310]
    work = HERE / "out" / "panorama"
    shutil.rmtree(work, ignore_errors=True)
    (work / "input").mkdir(parents=True)
    inner = {}
    for lat, lon in PLACES:
        img, inner[lat, lon] = panorama(face, float(lon), float(lat), width=args.width)
        Image.fromarray(img).save(work / "input" / f"pano_{lat}_{lon}.png")
    results: dict = {"width": args.width, "pictures": len(PLACES)}
    outputs = {"unseen": lambda n: work / "unseen" / f"{n}.unseen.png"}
    t = time.perf_counter()
    subprocess.run([args.unseen, "clean", str(work / "input"), "-o", str(work / "unseen"), "--fill", "solid", "--keep-names", "-q"], check=False)
    results["unseen_seconds"] = time.perf_counter() - t
    if not args.skip_deface:
        shutil.copytree(work / "input", work / "deface")
        files = sorted(str(p) for p in (work / "deface").glob("*.png"))
        t = time.perf_counter()
        subprocess.run([args.deface, *files, "--replacewith", "solid"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        results["deface_seconds"] = time.perf_counter() - t
        outputs["deface"] = lambda n: work / "deface" / f"{n}_anonymized.png"
    results["people_free_2to1"] = people_free(work, args)
    rows = []
    for lat, lon in PLACES:
        name = f"pano_{lat}_{lon}"
        row: dict = {"latitude": lat, "longitude": lon}
        for tool, out_of in outputs.items():
            if not out_of(name).exists():
                row[tool] = None
                continue
            src = np.asarray(Image.open(work / "input" / f"{name}.png").convert("RGB"))
            out = np.asarray(Image.open(out_of(name)).convert("RGB"))
            masked = (out == 0).all(-1) & ~(src == 0).all(-1)
            row[tool] = {"face_inner_masked": float(masked[inner[lat, lon]].mean()), "sphere_masked": sphere_share(masked)}
        rows.append(row)
    results["per_picture"] = rows
    for tool in outputs:
        got = [r[tool] for r in rows if r[tool] is not None]
        results[tool] = {
            "faces_covered_90": sum(g["face_inner_masked"] >= 0.9 for g in got),
            "sphere_masked_median": float(np.median([g["sphere_masked"] for g in got])) if got else None,
            "missing_outputs": len(rows) - len(got),
        }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / args.results).write_text(json.dumps(results, indent=1))
    tools = list(outputs)
    print("| latitude, longitude | " + " | ".join(f"{t}: face's inner half masked / sphere masked" for t in tools) + " |")
    print("|---|" + "---|" * len(tools))
    for r in rows:
        cells = ["-" if r[t] is None else f"{r[t]['face_inner_masked']:.0%} / {r[t]['sphere_masked']:.1%}" for t in tools]
        print(f"| {r['latitude']}, {r['longitude']} | " + " | ".join(cells) + " |")
    print("| faces 90% covered | " + " | ".join(f"{results[t]['faces_covered_90']} of {len(rows)}" for t in tools) + " |")
    print("| time | " + " | ".join(f"{results[t + '_seconds']:.1f} s" for t in tools) + " |")
    pf = results["people_free_2to1"]
    print("\n| people-free photos cropped to 2:1 | " + " | ".join(pf) + " |\n|---|" + "---|" * len(pf))
    for key in ("median", "max"):
        print(f"| {key} share masked | " + " | ".join(f"{pf[t][key]:.2%}" for t in pf) + " |")
    for key in ("over_1pct", "any"):
        print(f"| photos {'above 1%' if key == 'over_1pct' else 'with any masked pixel'} | " + " | ".join(f"{pf[t][key]} of {len(pf[t]['per_photo'])}" for t in pf) + " |")


if __name__ == "__main__":
    main()
