"""Identifying metadata left behind, metrics.md section 4: unseen and mat2 side by side.

    python bench/metadata.py [--data ../shared/eval/metadata-exiftool] [--mat2 mat2]

Every file is copied to a scratch folder, cleaned by each tool, and each output read with
`exiftool -j -a -G1 -ee -u -s -n`. Writes bench/results/metadata.json and prints a summary.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from leaks import exiftool_tags, identifying  # noqa: E402

HERE = Path(__file__).resolve().parent
MEDIA_TYPES = {"JPEG", "PNG", "GIF", "TIFF", "BMP", "WEBP", "HEIC", "AVIF", "JXL", "MP4", "MOV", "M4A", "MP3", "AAC", "WAV", "FLAC", "OGG", "OPUS", "MKV", "WEBM", "AVI", "WMV", "ASF", "MTS", "M2TS", "3GP", "3G2", "AIFF", "APE", "MPC", "WV", "DSF", "MIE", "MPO", "JP2", "J2C", "BPG", "PCX", "PSD", "PPM", "PGM", "PBM", "ICO", "DJVU", "ORF", "CR2", "CR3", "CRW", "NEF", "ARW", "DNG", "RAF", "RW2", "PEF", "SRW", "X3F", "ERF", "MRW", "IIQ", "3FR", "DCR", "RWL", "EIP", "MEF", "NRW", "SR2", "SRF", "K25", "KDC", "FFF", "EXR", "HDR", "FLIF", "QTIF", "RIFF", "AMR", "OGV", "OGA", "DV", "FLV", "SWF", "MXF", "M2V", "MPG", "MPEG", "RM", "RA", "AA", "AAX", "WMA", "VOB", "DFONT", "HEIF", "CRM", "LRV", "INSV", "GPR", "MQV", "F4V", "M4V"}


def file_type(path: Path) -> str:
    out = subprocess.run(["exiftool", "-s3", "-FileType", str(path)], capture_output=True, text=True)
    return out.stdout.strip() or "?"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "eval" / "metadata-exiftool")
    ap.add_argument("--unseen", default=shutil.which("unseen") or "unseen")
    ap.add_argument("--mat2", default=shutil.which("mat2") or "mat2")
    args = ap.parse_args()

    work = HERE / "out" / "metadata"
    shutil.rmtree(work, ignore_errors=True)
    for d in ("in", "unseen", "mat2"):
        (work / d).mkdir(parents=True)
    rows = []
    for src in sorted(args.data.iterdir()):
        if not src.is_file():
            continue
        ftype = file_type(src)
        row = {"file": src.name, "type": ftype, "media": ftype.upper() in MEDIA_TYPES}
        row["input_identifying"] = len(identifying(exiftool_tags(src)))
        # unseen
        copy = work / "in" / src.name
        shutil.copy2(src, copy)
        # one folder per input: ExifTool's corpus has same-stem files (Jpeg2000.jp2, .j2c) that
        # unseen writes to the same PNG name and, run one file at a time, would refuse to clobber
        dest = work / "unseen" / src.name
        dest.mkdir()
        p = subprocess.run([args.unseen, "clean", str(copy), "-o", str(dest), "--json"], capture_output=True, text=True, timeout=600)
        try:
            res = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            res = {"status": "crash", "error": (p.stderr.strip().splitlines() or ["no output"])[-1]}
        if p.returncode not in (0, 1) or "Traceback" in p.stderr:
            res = {"status": "crash", "error": p.stderr.strip().splitlines()[-1]}
        row["unseen"] = {"status": res["status"], "error": res.get("error")}
        if res["status"] == "ok":
            left = identifying(exiftool_tags(Path(res["output"])))
            row["unseen"]["left"] = left
        # mat2 (writes NAME.cleaned.EXT beside its input)
        mcopy = work / "mat2" / src.name
        shutil.copy2(src, mcopy)
        p = subprocess.run([args.mat2, str(mcopy)], capture_output=True, text=True, timeout=600)
        cleaned = mcopy.with_name(mcopy.stem + ".cleaned" + mcopy.suffix)
        if cleaned.exists():
            row["mat2"] = {"status": "ok", "left": identifying(exiftool_tags(cleaned))}
        else:
            row["mat2"] = {"status": "error", "error": (p.stdout + p.stderr).strip().splitlines()[-1:] or ["no output"]}
        rows.append(row)

    def summary(tool: str, subset: list[dict]) -> dict:
        ok = [r for r in subset if r[tool]["status"] == "ok"]
        return {
            "files": len(subset),
            "cleaned_zero_identifying": sum(1 for r in ok if not r[tool]["left"]),
            "cleaned_but_leaking": [r["file"] for r in ok if r[tool]["left"]],
            "refused": [r["file"] for r in subset if r[tool]["status"] == "error"],
            "crashed": [r["file"] for r in subset if r[tool]["status"] == "crash"],
            "tags_left": sum(len(r[tool]["left"]) for r in ok),
        }

    media = [r for r in rows if r["media"]]
    images = [r for r in media if r["type"].upper() in {"JPEG", "PNG", "GIF", "TIFF", "BMP", "WEBP", "HEIC", "AVIF", "MPO"}]
    result = {
        "files": len(rows),
        "media_files": len(media),
        "media_with_identifying_tags": sum(1 for r in media if r["input_identifying"]),
        "identifying_tags_in_media": sum(r["input_identifying"] for r in media),
        "unseen_media": summary("unseen", media),
        "mat2_media": summary("mat2", media),
        "unseen_images": summary("unseen", images),
        "mat2_images": summary("mat2", images),
        "unseen_all": summary("unseen", rows),
        "rows": rows,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "metadata.json").write_text(json.dumps(result, indent=2))
    for key in ("unseen_media", "mat2_media", "unseen_images", "mat2_images"):
        s = result[key]
        print(f"{key:14} files {s['files']:3}  cleaned with 0 identifying tags {s['cleaned_zero_identifying']:3}  "
              f"leaking {len(s['cleaned_but_leaking'])} ({s['tags_left']} tags)  refused {len(s['refused'])}  crashed {len(s['crashed'])}")
    print(f"media files: {result['media_files']}, with identifying tags: {result['media_with_identifying_tags']} ({result['identifying_tags_in_media']} tags)")


if __name__ == "__main__":
    main()
