"""Messages that blame the right thing (issue 13, point 9): a full disk is called a write failure,
not a damaged input; a damaged TIFF gets unseen's one line and nothing from Pillow or libtiff."""
from __future__ import annotations

import random
import resource
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import unseen


def _noise(h: int, w: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8))


def _limited() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG, as with ENOSPC
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


@pytest.mark.parametrize("ext", [".jpg", ".png", ".tif"])
def test_full_disk_while_writing_a_picture_says_so(tmp_path: Path, ext: str) -> None:
    """Pillow's JPEG encoder ignored the short write at the limit: the cut file was then refused
    as 'cannot decode JPEG: image file is truncated'. (A file-size limit stands in for a full
    disk; on a full 300 KB tmpfs the line reads 'No space left on device'.)"""
    src = tmp_path / f"noise{ext}"
    _noise(600, 800).save(src, quality=95) if ext == ".jpg" else _noise(600, 800).save(src)
    out = tmp_path / "out"
    out.mkdir()
    run = subprocess.run([sys.executable, "-m", "unseen", "clean", "--no-faces", str(src), "-o", str(out)], preexec_fn=_limited, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    [failed] = [line for line in run.stderr.splitlines() if line.startswith("FAILED")]
    assert failed.endswith("output: File too large") and "decode" not in failed, failed
    assert list(out.iterdir()) == []


def _broken_tiffs(folder: Path) -> list[Path]:
    """Cut and bit-flipped TIFFs in each compression: the kind that made Pillow warn and libtiff
    print its own lines ('ZIPDecode: Decoding error at scanline 0, incorrect data check.')."""
    rnd = random.Random(2)
    made = []
    for comp in ("raw", "tiff_adobe_deflate", "tiff_lzw", "jpeg", "packbits"):
        base = folder / f"base-{comp}.tif"
        _noise(64, 80, 1).save(base, compression=comp)
        raw = base.read_bytes()
        base.unlink()
        (folder / f"cut-{comp}.tif").write_bytes(raw[: len(raw) // 2])
        made.append(folder / f"cut-{comp}.tif")
        for k in range(4):
            b = bytearray(raw)
            for _ in range(20):
                b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
            (folder / f"flip{k}-{comp}.tif").write_bytes(bytes(b))
            made.append(folder / f"flip{k}-{comp}.tif")
    return made


def test_broken_tiffs_print_only_unseen_lines(tmp_path: Path) -> None:
    files = _broken_tiffs(tmp_path)
    run = subprocess.run([sys.executable, "-m", "unseen", "clean", "--no-faces", "--jobs", "1", *map(str, files)], capture_output=True, text=True, timeout=300)
    lines = run.stderr.splitlines()
    failed = [line for line in lines if line.startswith("FAILED")]
    assert failed, run.stderr  # the corpus does hold damaged files that are refused
    stray = [line for line in lines if not line.startswith(("FAILED", "unseen: "))]
    assert stray == [], stray  # before: 'UserWarning: Corrupt EXIF data', 'ZIPDecode: Decoding error ...'
    done = len(run.stdout.splitlines())
    assert done + len(failed) == len(files)


def test_api_lets_no_decoding_warning_out(tmp_path: Path) -> None:
    files = _broken_tiffs(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = unseen.clean(files, faces=False, jobs=1)
    assert any(r.status == "error" for r in results)
    assert [str(w.message) for w in caught] == []
