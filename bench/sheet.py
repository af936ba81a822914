"""Before/after contact sheets for the README: input | unseen | deface, same run, opaque black fill.

    python bench/sheet.py [--unseen-args "..."] [--skip-deface] [--cell 240]

Only pictures that packages ship (never ../shared/eval):
- bench/results/sheet_photos.png: photos with people (scikit-image's astronaut and camera;
  opencv-doc's messi5, a footballer before a stadium crowd, and basketball1, two men indoors;
  a frame of opencv-doc's vtest.avi, pedestrians on a campus; a generated montage of those
  faces on one canvas) and people-free photos of bench/people_free.py (a cat, a living room,
  autumn leaves, boats at sunset), each with the share of its pixels that came out masked.
- bench/results/sheet_video.png: frames of a synthetic clip (the camera of bench/video_protect.py
  over the montage, zoomed 1.25x further and panned half as far, 1280x720, 50 frames) and of the first 100 frames of vtest.avi, a real
  pedestrian video, after each tool.
opencv-doc (BSD-3-Clause data) is fetched with `apt-get download` and unpacked under
bench/out/people_free like the wallpapers. Sheets are quantised PNGs under 1.5 MB.
"""
from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from people_free import LONG_SIDE, PHOTOS, debian_file, source_file  # noqa: E402
from video_protect import camera, geometry, render_frame, write_clip  # noqa: E402

WORK = HERE / "out" / "sheet"
OCV = "usr/share/doc/opencv-doc/examples/data/"
PEOPLE = [  # (name, package, path, licence, what)
    ("astronaut", "scikit-image", "astronaut.png", "public domain (NASA)", "an astronaut's portrait"),
    ("cameraman", "scikit-image", "camera.png", "scikit-image data (BSD-3-Clause package)", "a man behind a camera, buildings far away"),
    ("stadium", "opencv-doc", OCV + "messi5.jpg", "BSD-3-Clause", "a footballer before a stadium crowd"),
    ("basketball", "opencv-doc", OCV + "basketball1.png", "BSD-3-Clause", "two men with a ball, indoors (grey)"),
]
PEOPLE_FREE = ["chelsea", "wine", "fallen_leaf", "boats"]
VIDEO_FRAMES = (0, 12, 25, 37, 49)
VTEST_FRAMES = (30, 90)


def vtest(frames: int) -> Path:
    """The first `frames` frames of opencv-doc's vtest.avi (768x576, 10 fps) as H.264."""
    out = WORK / f"vtest_{frames}.mp4"
    if not out.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        src = debian_file("opencv-doc", OCV + "vtest.avi")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-frames:v", str(frames), "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def frames_at(path: Path, wanted: tuple[int, ...], size: tuple[int, int] | None = None) -> dict[int, np.ndarray]:
    import av

    got = {}
    if not path.exists():
        return got
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i in wanted:
                if size and (f.width, f.height) != size:  # deface writes 1080 lines as 1088
                    got[i] = f.to_ndarray(width=size[0], height=size[1], format="rgb24")
                else:
                    got[i] = f.to_ndarray(format="rgb24")
            if i >= max(wanted):
                break
    return got


def montage(side: int = 832) -> Image.Image:
    """The package-shipped faces on one square canvas: four tiles, each a square crop."""
    tiles = []
    for _, pkg, rel, *_ in PEOPLE:
        im = Image.open(source_file(pkg, rel)).convert("RGB")
        w, h = im.size
        c = min(w, h)
        x0 = 0 if w - c > 0 and Path(rel).name in ("messi5.jpg", "basketball1.png") else (w - c) // 2  # keep the people
        tiles.append(im.crop((x0, 0, x0 + c, c)).resize((side // 2, side // 2), Image.LANCZOS))
    canvas = Image.new("RGB", (side, side))
    for k, t in enumerate(tiles):
        canvas.paste(t, ((k % 2) * side // 2, (k // 2) * side // 2))
    return canvas


def masked_share(a: np.ndarray, b: np.ndarray | None) -> float | None:
    if b is None or a.shape != b.shape:
        return None
    return float(((b == 0).all(-1) & ~(a == 0).all(-1)).mean())


def dark_share(a: np.ndarray, b: np.ndarray | None) -> float | None:
    """Video (lossy): dark in the output (every channel <= 16), not dark in the input."""
    if b is None or a.shape != b.shape:
        return None
    return float(((b <= 16).all(-1) & ~(a <= 16).all(-1)).mean())


def draw_sheet(rows: list[tuple[str, list[np.ndarray | None], list[str]]], tools: list[str], cell: int, per_line: int, title: str, out: Path) -> None:
    """rows: (label, [input, tool outputs...], [caption per tool]); per_line triplets side by side."""
    cols = 1 + len(tools)
    head, lab = 18, 16
    box_h = int(cell * 0.75)  # pictures fit a cell x box_h box (portrait ones get narrower)

    def fit(h: int, w: int) -> tuple[int, int]:
        k = min(cell / w, box_h / h)
        return max(1, round(w * k)), max(1, round(h * k))

    hs = [fit(*pics[0].shape[:2])[1] for _, pics, _ in rows]
    lines = [rows[i : i + per_line] for i in range(0, len(rows), per_line)]
    line_h = [max(hs[i : i + per_line]) + lab for i in range(0, len(rows), per_line)]
    gap = 8
    W = per_line * cols * cell + (per_line - 1) * gap
    H = head + 16 + sum(line_h) + gap * len(lines)
    sheet = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(sheet)
    d.text((4, 2), title, fill="black")
    for j in range(per_line):
        for c, name in enumerate(["input", *tools]):
            d.text((j * (cols * cell + gap) + c * cell + 4, head), name, fill="black")
    y = head + 16
    for li, line in enumerate(lines):
        for j, (label, pics, caps) in enumerate(line):
            x = j * (cols * cell + gap)
            d.text((x + 4, y + 1), label, fill="black")
            for c, pic in enumerate(pics):
                cx = x + c * cell
                if c:
                    d.text((cx + 4, y + 1), caps[c - 1], fill=(160, 0, 0))
                if pic is None:
                    d.text((cx + 4, y + lab + 10), "no output", fill="red")
                    continue
                im = Image.fromarray(pic)
                w, h = fit(im.height, im.width)
                sheet.paste(im.resize((w, h), Image.LANCZOS), (cx + (cell - w) // 2, y + lab))
        y += line_h[li] + gap
    for colors in (256, 128, 64):  # quantised PNG: keep it small for the README
        q = sheet.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        q.save(out, optimize=True)
        if out.stat().st_size < 1_400_000:
            break
    print(f"{out.relative_to(HERE.parent)}: {sheet.width}x{sheet.height}, {out.stat().st_size / 1e6:.2f} MB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--unseen", default=shutil.which("unseen") or "unseen")
    ap.add_argument("--deface", default=str(HERE / ".venv-deface" / "bin" / "deface"))
    ap.add_argument("--unseen-args", default="", help="extra arguments for `unseen clean`, one shell-quoted string")
    ap.add_argument("--skip-deface", action="store_true")
    ap.add_argument("--cell", type=int, default=240, help="width of one picture on the sheet, px")
    args = ap.parse_args()
    extra = shlex.split(args.unseen_args)
    tools = ["unseen"] + ([] if args.skip_deface else ["deface"])
    shutil.rmtree(WORK / "run", ignore_errors=True)
    inp, out_u, out_d = WORK / "run" / "input", WORK / "run" / "unseen", WORK / "run" / "deface"
    for d in (inp, out_u, out_d):
        d.mkdir(parents=True)

    # stills: people, a frame of vtest, the montage, then people-free photos
    names: list[str] = []
    for name, pkg, rel, *_ in PEOPLE:
        im = Image.open(source_file(pkg, rel)).convert("RGB")
        im.save(inp / f"{name}.png")
        names.append(name)
    clip_v = vtest(100)
    Image.fromarray(frames_at(clip_v, (VTEST_FRAMES[0],))[VTEST_FRAMES[0]]).save(inp / "pedestrians.png")
    names.append("pedestrians")
    mont = montage()
    mont.save(inp / "montage.png")
    names.append("montage")
    chosen = {p[0]: p for p in PHOTOS}
    for n in PEOPLE_FREE:
        _, pkg, rel, *_ = chosen[n]
        im = Image.open(source_file(pkg, rel)).convert("RGB")
        if max(im.size) > LONG_SIDE:
            im.thumbnail((LONG_SIDE, LONG_SIDE), Image.LANCZOS)
        im.save(inp / f"{n}.png")
        names.append(n)

    # the synthetic clip: video_protect.py's camera (seed 3: pan, zoom, shake) over the montage,
    # zoomed in 1.25x further and panned half as far, so that the montage fills most of the frame
    size, n_frames, side = (1280, 720), 50, mont.width
    clips = WORK / "run" / "clips"
    clips.mkdir()

    def synthetic():  # type: ignore[no-untyped-def]
        for z, px, py in camera(3, n_frames):
            yield render_frame(mont, size, *geometry(size, 1.25 * z, px / 2, py / 2, img_side=side)), None

    write_clip(clips / "montage_pan.mp4", synthetic())
    shutil.copy(clip_v, clips / "vtest.mp4")

    unseen_cmd = [args.unseen, "clean", "--fill", "solid", "-q", *extra]
    subprocess.run([*unseen_cmd, *(str(inp / f"{n}.png") for n in names), "-o", str(out_u)], check=False)
    subprocess.run([*unseen_cmd, str(clips), "-o", str(out_u)], check=False)
    if not args.skip_deface:
        for n in names:
            shutil.copy(inp / f"{n}.png", out_d / f"{n}.png")
        subprocess.run([args.deface, *(str(out_d / f"{n}.png") for n in names), "--replacewith", "solid"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        for c in ("montage_pan", "vtest"):
            subprocess.run([args.deface, str(clips / f"{c}.mp4"), "--replacewith", "solid", "-o", str(out_d / f"{c}.mp4")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    summary: dict = {"stills": {}, "video": {}}
    rows = []
    for n in names:
        a = np.asarray(Image.open(inp / f"{n}.png").convert("RGB"))
        pics: list[np.ndarray | None] = [a]
        caps = []
        for t, path in (("unseen", out_u / f"{n}.unseen.png"), ("deface", out_d / f"{n}_anonymized.png")):
            if t not in tools:
                continue
            b = np.asarray(Image.open(path).convert("RGB")) if path.exists() else None
            s = masked_share(a, b)
            pics.append(b)
            caps.append("missing" if s is None else f"{s:.1%} masked")
            summary["stills"].setdefault(n, {})[t] = s
        rows.append((n, pics, caps))
    draw_sheet(rows, tools, args.cell, 2, "Stills (package-shipped pictures): input | unseen | deface, opaque black fill; caption: share of the picture masked", HERE / "results" / "sheet_photos.png")

    rows = []
    for c, wanted, sz in (("montage_pan", VIDEO_FRAMES, size), ("vtest", VTEST_FRAMES, (768, 576))):
        ins = frames_at(clips / f"{c}.mp4", wanted)
        outs = {"unseen": frames_at(out_u / f"{c}.unseen.mp4", wanted, sz), "deface": frames_at(out_d / f"{c}.mp4", wanted, sz)}
        for i in wanted:
            pics = [ins[i]]
            caps = []
            for t in tools:
                b = outs[t].get(i)
                s = dark_share(ins[i], b)
                pics.append(b)
                caps.append("missing" if s is None else f"{s:.1%} newly dark")
                summary["video"].setdefault(f"{c}#{i}", {})[t] = s
            rows.append((f"{c} frame {i}", pics, caps))
    draw_sheet(rows, tools, args.cell, 2, "Video: a synthetic pan/zoom over the montage (1280x720) and opencv-doc's vtest.avi (768x576): input | unseen | deface", HERE / "results" / "sheet_video.png")
    (WORK / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
