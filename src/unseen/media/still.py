"""Still and animated images through Pillow (and pillow-heif for HEIF): decode to plain pixels,
encode a fresh file that carries nothing but those pixels."""
from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from PIL import Image, ImageCms, ImageSequence

from ..i18n import N_
from ..errors import CorruptInput, OutputError, one_line
from ..quiet import quiet_stderr
from . import register
from ..types import Region
from .panorama import PoleView, brought_back, pole_views
from .probe import Probe

# Decompression bombs: Pillow warns past this many pixels and refuses past twice as many; both
# are treated as refusals so a crafted file cannot exhaust memory.
MAX_PIXELS = 120_000_000
MAX_FRAMES = 2_000
# Every frame or page is held in memory at once (several copies while masking and verifying,
# about 24 bytes a pixel in all: a 118-megapixel PNG peaks at 3.6 GiB), so frames and pages
# together share the single-picture budget.
MAX_TOTAL_PIXELS = MAX_PIXELS

_PIL_NAME = {
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "tiff": "TIFF",
    "bmp": "BMP",
    "gif": "GIF",
    "heif": "HEIF",
    "avif": "AVIF",
    "psd": "PSD",
    "jpeg2000": "JPEG2000",
    "ppm": "PPM",
    "ico": "ICO",
    "pcx": "PCX",
}
EXTENSION = {
    "jpeg": ".jpg",
    "png": ".png",
    "webp": ".webp",
    "tiff": ".tif",
    "bmp": ".bmp",
    "gif": ".gif",
    "heif": ".heic",
    "avif": ".avif",
    "psd": ".psd",
    "jpeg2000": ".jp2",
    "ppm": ".ppm",
    "ico": ".ico",
    "pcx": ".pcx",
}
# Formats read but not written as such: the output is PNG, and the result line says so.
# (Pillow cannot write PSD; its JPEG 2000 writer stamps an encoder comment into the file.)
OUTPUT_FORMAT = {"psd": "png", "jpeg2000": "png"}
# On a lossy output a mask decodes to exactly its colour (what the read-back check looks for)
# only where it covers the codec's blocks whole, so masks there grow outward to an 8-px grid:
# JPEG is written without chroma subsampling, so its blocks are 8x8 in every plane (at 4:2:0 a
# colour block spans 16 px: a small face's mask took up to four times its area). VP8, HEVC and
# AV1 bring solid 8-px blocks back too (147 of 147 crowd photos passed the read-back), but not
# noise drawn 8 px a block (6 of 48 failed on WebP and AVIF): noise there stays on 16 px.
# Lossless codecs store the fill exactly and need no grid.
BLOCK_GRID = {"jpeg": 8, "webp": 8, "heif": 8, "avif": 8}
NOISE_GRID = {"webp": 16, "heif": 16, "avif": 16}
LOSSY = set(BLOCK_GRID)
PALETTE = {"gif"}  # at most 256 colours: a photo's are approximated

_heif_ready = False


def _ensure_heif() -> None:
    global _heif_ready
    if not _heif_ready:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_ready = True


@dataclass
class Picture:
    """Decoded pixels, orientation applied, in sRGB: the only thing an output is built from."""

    frames: list[np.ndarray]  # HxWx3 (RGB) or HxWx4 (RGBA) uint8
    format: str
    durations: list[int] = field(default_factory=list)  # ms per frame, animations only
    loop: int | None = None
    left_out: int = 0  # images of the file not decoded (a HEIC's, AVIF's or MPO's besides the main one)

    @property
    def width(self) -> int:
        return int(self.frames[0].shape[1])

    @property
    def height(self) -> int:
        return int(self.frames[0].shape[0])

    @property
    def canvas(self) -> tuple[int, int]:
        """(width, height) the plan's boxes are placed on: the largest page's extent (a TIFF's
        pages may differ in size; every box lands on each page at the same pixels, clipped)."""
        return max(int(f.shape[1]) for f in self.frames), max(int(f.shape[0]) for f in self.frames)

    @property
    def has_alpha(self) -> bool:
        return self.frames[0].shape[2] == 4


def transparent(frame: np.ndarray) -> bool:
    return frame.shape[2] == 4 and int(frame[..., 3].min()) < 255


def over(frame: np.ndarray, background: int) -> np.ndarray:
    """An RGBA frame laid over a grey level (255 white, 0 black), as a viewer shows it; made a
    band of rows at a time (the 16-bit sums of a whole 100-megapixel frame would take 1.2 GB)."""
    out = np.empty((*frame.shape[:2], 3), np.uint8)
    for y in range(0, frame.shape[0], 256):
        part = frame[y : y + 256]
        alpha = part[..., 3:].astype(np.uint16)
        out[y : y + 256] = (part[..., :3] * alpha + background * (255 - alpha) + 127) // 255
    return out


@dataclass(frozen=True)
class View:
    """Pixels a person can be shown of a frame, and the way back from a box on them to the
    frame's coordinates (``pole``: a 360 picture's pole band or cap; None: the frame's own)."""

    rgb: np.ndarray
    pole: PoleView | None = None

    def back(self, regions: Iterable[Region]) -> list[Region]:
        return list(regions) if self.pole is None else brought_back(self.pole, regions)


def views(frame: np.ndarray) -> Iterator[View]:
    """What a person can be shown of a frame, each as RGB, one at a time: its colours (a viewer
    shows them where it is opaque, and any tool that drops the alpha channel shows them
    everywhere) and, where it is transparent anywhere, the picture over white and over black as
    viewers lay it: a face drawn in the alpha channel alone (black ink on a transparent sheet)
    shows only there. A 360 picture's pole views follow each, squeezed back to true shapes
    (see media.panorama): a 360 viewer shows a face there as it was."""
    poles = pole_views(frame.shape[1], frame.shape[0])
    for rgb in _shown(frame):
        yield View(rgb)
        for pole in poles:
            yield View(pole.pixels(rgb), pole)


def _shown(frame: np.ndarray) -> Iterator[np.ndarray]:
    """The frame's colours, then over white and over black where it is transparent (each made
    when it is wanted: it is a frame's size)."""
    yield frame[..., :3] if frame.shape[2] == 4 else frame
    if transparent(frame):
        yield over(frame, 255)
        yield over(frame, 0)


def view_sizes(frame: np.ndarray) -> list[tuple[int, int]]:
    """(width, height) of each of ``views(frame)``, without making them."""
    h, w = frame.shape[:2]
    one = [(w, h)] + [p.size for p in pole_views(w, h)]
    return one * (3 if transparent(frame) else 1)


_SRGB = None


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert any mode to RGB/RGBA, through the embedded ICC profile when there is one."""
    global _SRGB
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (im.mode == "P" and "transparency" in im.info)
    target = "RGBA" if has_alpha else "RGB"
    if icc and im.mode in ("RGB", "RGBA", "CMYK", "L", "LA"):
        try:
            if _SRGB is None:
                _SRGB = ImageCms.createProfile("sRGB")
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            alpha = im.getchannel("A") if "A" in im.getbands() else None
            base = im.convert("L") if im.mode == "LA" else im.convert("RGB") if im.mode == "RGBA" else im
            out = ImageCms.profileToProfile(base, src, _SRGB, outputMode="RGB")
            if out is not None:
                if alpha is not None:
                    out.putalpha(alpha)
                return out.convert(target)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to a plain conversion, the profile is dropped anyway
    if im.mode in ("I;16", "I;16B", "I;16L"):
        im = Image.fromarray((np.asarray(im, dtype=np.uint32) * 255 // 65535).astype(np.uint8), "L")
    elif im.mode == "I":
        # 32-bit signed: 8-bit or 16-bit values as such, anything wider (a scientific or
        # thermal camera's counts) over its own range; scaled as 16-bit, values above 65535
        # wrapped round into noise
        arr = np.asarray(im, dtype=np.int32)
        lo, hi = min(0, int(arr.min())), int(arr.max())
        peak = 255 if hi <= 255 else 65535 if hi <= 65535 else hi
        scaled = (arr.astype(np.float32) - lo) * np.float32(255 / max(1, peak - lo))
        im = Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")
    elif im.mode == "F":
        arr = np.asarray(im, dtype=np.float32)
        im = Image.fromarray(np.clip(arr * (255.0 if arr.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8), "L")
    return im.convert(target)


def _pixels(im: Image.Image) -> np.ndarray:
    arr = np.asarray(im)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise CorruptInput(N_("unexpected pixel layout {shape}").format(shape=arr.shape))
    return np.ascontiguousarray(arr)


class StillImages:
    family = "still"
    formats = tuple(_PIL_NAME)

    def kind_of(self, path: Path, p: Probe) -> str:
        return "image"

    def open(self, path: Path | io.BytesIO, fmt: str) -> Image.Image:
        """Open with Pillow restricted to the sniffed format; every failure becomes one line."""
        if fmt == "heif":
            _ensure_heif()
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        try:
            with _quiet():
                im = Image.open(path, formats=[_PIL_NAME[fmt]])
                if im.width <= 0 or im.height <= 0:
                    raise CorruptInput(N_("image has no pixels (zero width or height)"))
                if im.width * im.height > MAX_PIXELS:
                    raise CorruptInput(N_("image too large ({size}, limit {limit} pixels): possible decompression bomb").format(size=f"{im.width}x{im.height}", limit=MAX_PIXELS))
                return im
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise CorruptInput(N_("image too large (over {limit} pixels): possible decompression bomb").format(limit=MAX_PIXELS)) from None
        except Image.UnidentifiedImageError:
            raise CorruptInput(N_("not a readable {format} file (corrupt or truncated header)").format(format=fmt.upper())) from None
        except (OSError, SyntaxError, ValueError, EOFError) as e:
            raise CorruptInput(N_("cannot open {format}: {reason}").format(format=fmt.upper(), reason=one_line(e))) from None

    def decode_bytes(self, data: bytes, fmt: str) -> Picture:
        return self.decode(io.BytesIO(data), fmt)

    def decode(self, path: Path | io.BytesIO, fmt: str) -> Picture:
        im = self.open(path, fmt)
        try:
            with _quiet():
                return self._decode(im, fmt)
        except CorruptInput:
            raise
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, Image.DecompressionBombWarning) as e:
            raise CorruptInput(N_("cannot decode {format}: {reason}").format(format=fmt.upper(), reason=one_line(e))) from None
        finally:
            im.close()

    def _decode(self, im: Image.Image, fmt: str) -> Picture:
        # Orientation is read once from the first frame and applied to every frame's pixels.
        exif = im.getexif()
        orientation = exif.get(0x0112, 1) if exif else 1
        frames: list[np.ndarray] = []
        durations: list[int] = []
        animated = is_animation(im, fmt)
        seq = ImageSequence.Iterator(im) if (animated or fmt == "tiff") else [im]
        total = 0
        what = N_("pages") if fmt == "tiff" else N_("frames")
        for frame in seq:
            if len(frames) >= MAX_FRAMES:
                raise CorruptInput(N_("more than {limit} {what}").format(limit=MAX_FRAMES, what=what))
            total += frame.width * frame.height
            if total > MAX_TOTAL_PIXELS:
                raise CorruptInput(N_("too large: its first {n} {what} hold over {limit} megapixels in all (the limit for one file)").format(n=len(frames) + 1, what=what, limit=MAX_TOTAL_PIXELS // 1_000_000))
            frame.load()
            icc = frame.info.get("icc_profile") or im.info.get("icc_profile")
            rgb = _to_srgb(frame, icc)
            turn = orientation
            if fmt == "tiff":
                # each page has its own; Pillow 13 turns a page upright as it loads it and drops
                # the tag (it was turned twice: upside down, mirrored), earlier ones leave both
                turn = getattr(frame, "tag_v2", {}).get(0x0112, 1)
            if turn in range(2, 9):
                rgb = _orient(rgb, turn)
            # a TIFF's pages are separate pictures and keep their own sizes; an animation's
            # frames share one canvas
            own_size = fmt == "tiff"
            if frames and ((rgb.size != (frames[0].shape[1], frames[0].shape[0]) and not own_size) or rgb.mode != ("RGBA" if frames[0].shape[2] == 4 else "RGB")):
                rgb = _match(rgb, frames[0], keep_size=own_size)
            frames.append(_pixels(rgb))
            durations.append(int(frame.info.get("duration", im.info.get("duration", 0)) or 0))
        if not frames:
            raise CorruptInput(N_("image has no frames"))
        width, height = max(f.shape[1] for f in frames), max(f.shape[0] for f in frames)
        if width * height > MAX_PIXELS:  # the pages' extent, which plans and the review page lay out
            raise CorruptInput(N_("pages of very different shapes: together they span {size}, over the limit of {limit} pixels").format(size=f"{width}x{height}", limit=MAX_PIXELS))
        loop = im.info.get("loop") if animated else None
        left = image_count(im) - 1 if fmt in ("heif", "avif") or im.format == "MPO" else 0
        return Picture(frames, fmt, durations if animated else [], loop, left)

    def encode(self, pic: Picture, out: Path, fmt: str) -> str:
        """Write ``pic`` to ``out`` as ``fmt``; return the format actually written."""
        images = [Image.fromarray(f, "RGBA" if f.shape[2] == 4 else "RGB") for f in pic.frames]
        first, rest = images[0], images[1:]
        if fmt == "jpeg" and pic.has_alpha:
            # JPEG has no alpha; composite on black so a masked area can never become see-through
            images = [Image.alpha_composite(Image.new("RGBA", i.size, (0, 0, 0, 255)), i).convert("RGB") for i in images]
            first, rest = images[0], images[1:]
        params: dict = {}
        multi = bool(rest)
        if multi:
            params.update(save_all=True, append_images=rest)
            if pic.durations:
                params["duration"] = pic.durations
            if pic.loop is not None:
                params["loop"] = pic.loop
        if fmt == "jpeg":
            params.update(quality=92, subsampling=0, optimize=True)
        elif fmt == "png":
            params.update(compress_level=4)
        elif fmt == "webp":
            params.update(quality=90, method=4)
        elif fmt == "tiff":
            params.update(compression="tiff_adobe_deflate")
        elif fmt == "gif":
            params.update(optimize=False, disposal=1)
        elif fmt == "heif":
            _ensure_heif()
            params.update(quality=90)
        elif fmt == "avif":
            params.update(quality=85)
        elif fmt == "ico":
            params.update(sizes=[first.size])
        # Encoded in memory, then written with Python's checked writes: Pillow's C encoders write
        # straight to the descriptor and ignore a short write, so a full disk left a silently
        # cut file that verification then called a truncated JPEG. (Pillow's multi-page TIFF
        # writer reads back what it wrote, which a BytesIO allows.)
        buf = io.BytesIO()
        first.save(buf, format=_PIL_NAME[fmt], **params)
        try:
            with open(out, "wb") as fh:
                fh.write(buf.getbuffer())
        except OSError as e:
            raise OutputError(N_("cannot write {format} output: {reason}").format(format=fmt.upper(), reason=e.strerror or one_line(e))) from None
        return fmt


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Pillow's warnings about a damaged file ("Corrupt EXIF data", "Truncated File Read") and
    libtiff's own lines on stderr stay off the terminal: the one-line reason is unseen's to give.
    A decompression bomb's warning becomes an error."""
    with warnings.catch_warnings(), quiet_stderr():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def is_animation(im: Image.Image, fmt: str) -> bool:
    """An animation whose every frame is decoded (an MPO's or a HEIC's other pictures are not)."""
    return bool(getattr(im, "is_animated", False)) and fmt in ("gif", "webp", "png")


def pictures_decoded(im: Image.Image, fmt: str) -> int:
    """How many pictures ``decode`` makes of an opened file: a TIFF's pages, an animation's frames."""
    return max(1, int(getattr(im, "n_frames", 1))) if is_animation(im, fmt) or fmt == "tiff" else 1


def image_count(im: Image.Image) -> int:
    """How many images a HEIC, AVIF or MPO (a stereo camera's JPEG: a picture for each eye)
    holds; the main one is the picture shown, the others are not decoded. Only for those:
    counting a TIFF's or GIF's frames reads them all, damage too."""
    try:
        return max(1, int(getattr(im, "n_frames", 1) or 1))
    except Exception:  # noqa: BLE001 - a damaged container: its first image is what is read
        return 1


def _orient(im: Image.Image, orientation: int) -> Image.Image:
    """Apply the EXIF orientation to the pixels (the tag itself is never written)."""
    return im.transpose(_TRANSPOSE[orientation])


def _match(im: Image.Image, ref: np.ndarray, keep_size: bool = False) -> Image.Image:
    """Frames of one file must share mode, and (but for TIFF pages) size: paste a differing
    frame on a blank canvas."""
    mode = "RGBA" if ref.shape[2] == 4 else "RGB"
    if keep_size:
        return im.convert(mode)
    canvas = Image.new(mode, (ref.shape[1], ref.shape[0]))
    canvas.paste(im.convert(mode), (0, 0))
    return canvas


STILL = StillImages()
register(STILL)
