"""Independent re-checks of an output before it is released.

1. structure: the file is walked with unseen's own container reader (not the writer's library)
   and must hold no metadata block of any kind and nothing after its end;
2. decoded view: Pillow must see no EXIF, XMP, ICC or comment when it re-opens the file;
3. masks: every region meant to be covered is covered in the decoded output (this catches
   orientation, alpha and scaling mistakes, and a codec that smeared the fill);
4. faces: a detector of another model family must find no face outside the masks.
"""
from __future__ import annotations

import re

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..i18n import N_
from ..media import containers
from ..mask import MaskStyle, coverage, mask_areas
from ..types import Detections, Region

def strings_in_file(path: Path, patterns: tuple[bytes, ...], chunk: int = 1 << 22) -> list[str]:
    """What encoders write of themselves (``patterns``, regular expressions) found anywhere in
    the file, read in chunks that overlap: memory stays flat however long the video.

    Compressed data is as good as random, so a pattern must be long enough not to turn up in it
    by chance: a bare 4-byte name does once in 4 GiB, and a 1 GB video failed its check a third
    of the time, every time it was cleaned again (solid masks encode to the same bytes). The
    names FFmpeg writes carry their version (``Lavf60.16.100``). With ``+bitexact``, which
    unseen's muxers set, FFmpeg writes no version; the Vorbis-comment vendor ``ffmpeg`` that Ogg
    and FLAC require stays, the same in every file FFmpeg writes (README, "Metadata")."""
    regex = re.compile(b"|".join(b"(?:" + p + b")" for p in patterns))
    found: dict[str, None] = {}
    keep = 64  # longer than any match the patterns make
    tail = b""
    with open(path, "rb") as fh:
        block = fh.read(chunk)
        while block:
            window = tail + block
            block = fh.read(chunk)
            # a match reaching into the last bytes may go on in the next read: taken from there
            edge = len(window) - keep if block else len(window)
            found.update((m.group().decode("latin-1"), None) for m in regex.finditer(window) if m.end() <= edge)
            tail = window[max(0, edge):] if block else b""
    return list(found)


# Blocks a fresh encode is allowed to contain (format identification only, no content about
# the picture's origin).
_ALLOWED_BLOCKS = {"APP0:JFIF"}
_SIGNATURES = (b"Exif\x00\x00", b"<x:xmpmeta", b"ICC_PROFILE\x00", b"Photoshop 3.0\x00", b"http://ns.adobe.com/xap/1.0/")
_INFO_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop", "mpinfo", "iptc")
# TIFF tags describing pixels only; anything else in an output IFD is a leak
_TIFF_OK = {256, 257, 258, 259, 262, 273, 274, 277, 278, 279, 282, 283, 284, 296, 317, 320, 322, 323, 324, 325, 338, 339}


@dataclass
class Check:
    problems: list[str] = field(default_factory=list)
    unmasked: list[Region] = field(default_factory=list)
    on_fill: list[Region] = field(default_factory=list)  # faces the visibility rule sees on a non-solid mask

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unmasked and not self.on_fill


def structure(fmt: str, data: bytes) -> list[str]:
    problems = []
    lay = containers.layout(fmt, data)
    if lay is not None:
        leaked = [b for b in lay.blocks if b not in _ALLOWED_BLOCKS]
        if leaked:
            problems.append(N_("metadata blocks in output: {names}").format(names=", ".join(sorted(set(leaked)))))
        if lay.trailer:
            problems.append(N_("{n} bytes after the end of the image").format(n=lay.trailer))
        problems += [N_("output structure: {problem}").format(problem=p) for p in lay.problems]
    if fmt == "bmp" and len(data) >= 18:
        header = int.from_bytes(data[14:18], "little")
        declared = int.from_bytes(data[2:6], "little")
        if header > 40 and header != 108:  # V5 headers may embed an ICC profile
            problems.append(N_("BMP header of {n} bytes may carry a colour profile").format(n=header))
        if declared != len(data):
            problems.append(N_("BMP size field {declared} differs from file size {size}").format(declared=declared, size=len(data)))
    for sig in _SIGNATURES:
        if sig in data:
            problems.append(N_("metadata signature {signature} found in output bytes").format(signature=repr(sig[:12])))
    return problems


def decoded_view(fmt: str, data: bytes) -> list[str]:
    problems = []
    with Image.open(io.BytesIO(data)) as im:
        frame = 0
        while True:
            present = [k for k in _INFO_KEYS if im.info.get(k)]
            if present:
                problems.append(N_("frame {frame}: {names} readable in output").format(frame=frame, names=", ".join(present)))
            if fmt == "tiff":
                extra = sorted(set(im.tag_v2.keys()) - _TIFF_OK)
                if extra:
                    problems.append(N_("frame {frame}: TIFF tags {tags} in output").format(frame=frame, tags=extra))
            exif = im.getexif() if fmt != "tiff" else {}  # a TIFF's own IFD is checked above
            if len(exif):
                problems.append(N_("frame {frame}: {n} EXIF tags in output").format(frame=frame, n=len(exif)))
            if fmt == "png" and getattr(im, "text", None):
                problems.append(N_("PNG text chunks in output"))
            frame += 1
            try:
                im.seek(frame)
            except EOFError:
                break
    return problems


PALETTE_ERROR = 24


def masks(expected: np.ndarray, actual: np.ndarray, regions: list[Region], style: MaskStyle, lossy: bool, palette: bool = False) -> list[str]:
    """Compare the covered pixels of the decoded output with what was rendered."""
    if expected.shape[:2] != actual.shape[:2]:
        return [f"output is {actual.shape[1]}x{actual.shape[0]}, expected {expected.shape[1]}x{expected.shape[0]}"]
    problems = []
    h, w = expected.shape[:2]
    for (x0, y0, x1, y1), inside in mask_areas(regions, w, h, style.grid):
        exp = expected[y0:y1, x0:x1, :3].astype(np.int16)
        got = actual[y0:y1, x0:x1, :3].astype(np.int16)
        diff = np.abs(exp - got) if inside is None else np.abs(exp - got)[inside]
        # lossless codecs must return the fill exactly; lossy ones within codec noise
        limit_mean, limit_max = (12.0, 96) if lossy else (0.0, 0)
        if style.fill in ("blur", "pixelate") and lossy:
            limit_mean, limit_max = 16.0, 160
        if palette:
            # a palette of 256 colours moves each pixel a little, none far: every pixel within
            # PALETTE_ERROR (measured: solid 0-2, grey noise up to 16)
            if diff.size and int(diff.max()) > PALETTE_ERROR:
                problems.append(N_("region at {box} is not covered in the decoded output").format(box=f"({x0},{y0})-({x1},{y1})"))
        elif diff.mean() > limit_mean or np.percentile(diff, 99) > limit_max:
            problems.append(N_("region at {box} is not covered in the decoded output").format(box=f"({x0},{y0})-({x1},{y1})"))
        alpha = actual[y0:y1, x0:x1, 3] if actual.shape[2] == 4 else None
        if alpha is not None and int((alpha if inside is None else alpha[inside]).min()) < 255:
            problems.append(N_("region at {box} is partly transparent").format(box=f"({x0},{y0})-({x1},{y1})"))
    return problems


def has_area(r: Region, width: int, height: int) -> bool:
    """Whether a box covers a pixel of a ``width`` x ``height`` picture."""
    x0, y0, x1, y1 = r.pixel_box(width, height)
    return x1 > x0 and y1 > y0


def unmasked_faces(found: Detections, regions: list[Region], width: int, height: int, grid: int) -> list[Region]:
    """Faces the checker sees that the masks do not already cover (at least 80%)."""
    if len(found) == 0:  # the usual case on video frames: no coverage map to build
        return []
    cov = coverage(regions, width, height, grid)
    return [r for r in found if not covered_by(cov, r, width, height)]


def covered_by(cov: np.ndarray, r: Region, width: int, height: int, share: float = 0.8) -> bool:
    """Whether the masks of coverage map ``cov`` cover at least ``share`` of ``r`` (or it has
    no pixels in the picture)."""
    x0, y0, x1, y1 = r.pixel_box(width, height)
    return x1 <= x0 or y1 <= y0 or float(cov[y0:y1, x0:x1].mean()) >= share


def left_visible(head: Region, kept: Region) -> bool:
    """Whether a face verification found is the one a person switched off: its head and the
    switched-off box are about the same area (verification must not put it back)."""
    ix = max(0.0, min(head.x1, kept.x1) - max(head.x0, kept.x0))
    iy = max(0.0, min(head.y1, kept.y1) - max(head.y0, kept.y0))
    smaller = min(head.area, kept.area)
    return head.iou(kept) >= 0.3 or (smaller > 0 and ix * iy / smaller >= 0.7 and max(head.area, kept.area) <= 4 * smaller)
