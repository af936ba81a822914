"""Multi-page TIFF: every page is cleaned and kept at its own size, or the file is refused."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

import unseen

from conftest import FACE_BOX, covered


def _pages(path: Path) -> list[np.ndarray]:
    with Image.open(path) as im:
        return [np.asarray(p.convert("RGB")) for p in ImageSequence.Iterator(im)]


def test_every_page_kept_and_masked(tmp_path: Path, astronaut: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    plain = [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for h, w in ((60, 90), (120, 40), (33, 77))]
    pages = [plain[0], plain[1], astronaut, plain[2]]  # the face is on page 3 only
    src = tmp_path / "scan.tif"
    images = [Image.fromarray(p) for p in pages]
    images[0].save(src, save_all=True, append_images=images[1:], compression="tiff_deflate")
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    assert res.output_format == "tiff" and Path(res.output).suffix == ".tif"
    out = _pages(Path(res.output))
    assert [p.shape for p in out] == [p.shape for p in pages]
    assert covered(out[2], FACE_BOX) > 0.95
    # pages without a face come back as they were (TIFF is lossless; masks of page 3 lie outside them)
    for before, after in zip(plain, (out[0], out[1], out[3])):
        assert np.array_equal(before, after)


def test_hundreds_of_pages(tmp_path: Path) -> None:
    n = 300
    images = [Image.fromarray(np.full((24, 32, 3), i % 256, np.uint8)) for i in range(n)]
    src = tmp_path / "fax.tif"
    images[0].save(src, save_all=True, append_images=images[1:])
    [res] = unseen.clean([src], faces=False)
    assert res.status == "ok", res.error
    out = _pages(Path(res.output))
    assert len(out) == n and [int(p[0, 0, 0]) for p in out] == [i % 256 for i in range(n)]


def test_pages_over_the_memory_budget_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from unseen.media import still

    monkeypatch.setattr(still, "MAX_TOTAL_PIXELS", 64 * 64 * 4)
    images = [Image.fromarray(np.full((64, 64, 3), 9 * i, np.uint8)) for i in range(5)]
    src = tmp_path / "long.tif"
    images[0].save(src, save_all=True, append_images=images[1:])
    [res] = unseen.clean([src], faces=False)
    assert res.status == "error" and "first 5 pages" in res.error and res.output is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.tif"]
