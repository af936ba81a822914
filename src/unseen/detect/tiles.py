"""The one tiler both detectors share: a picture larger than a model's input is searched in
overlapping tiles, so a face on a seam is whole in at least one of them."""
from __future__ import annotations


def tile_corners(height: int, width: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Top-left corners (x, y) of ``tile``-pixel tiles overlapping by ``overlap`` pixels that
    cover a ``width`` x ``height`` picture (the last row and column may be cut by the edge)."""
    step = max(1, tile - overlap)
    return [(x, y) for y in range(0, max(1, height - overlap), step) for x in range(0, max(1, width - overlap), step)]
