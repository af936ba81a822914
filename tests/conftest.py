"""Inputs the tests make themselves: scikit-image's photographs (the astronaut portrait has a
real face), tiled into crowds, saved with real metadata written by Pillow and piexif."""
from __future__ import annotations

import hashlib
import io
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import piexif
import pytest
from PIL import Image, ImageCms
from skimage import data as skdata

# Astronaut portrait: Eileen Collins' face lies inside this box (512x512 image).
FACE_BOX = (180, 80, 280, 190)
# ...and her whole head: hair above and beside the face, down to the chin.
HEAD_BOX = (152, 40, 290, 210)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(skdata.astronaut())


@pytest.fixture(scope="session")
def crowd(astronaut: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A 960x640 canvas of astronaut crops at several scales; returns the image and face boxes."""
    canvas = np.full((640, 960, 3), 90, dtype=np.uint8)
    head = Image.fromarray(astronaut[40:260, 120:340])  # head and shoulders, 220x220
    boxes = []
    x, y, row_h = 10, 10, 0
    for side in (200, 150, 110, 90, 70, 60, 50, 50, 40, 40):
        if x + side > 950:
            x, y, row_h = 10, y + row_h + 10, 0
        canvas[y : y + side, x : x + side] = np.asarray(head.resize((side, side), Image.LANCZOS))
        k = side / 220
        fx0, fy0, fx1, fy1 = FACE_BOX
        boxes.append((int(x + (fx0 - 120) * k), int(y + (fy0 - 40) * k), int(x + (fx1 - 120) * k), int(y + (fy1 - 40) * k)))
        x += side + 10
        row_h = max(row_h, side)
    return canvas, boxes


def gps_exif(thumbnail: bytes | None = None, orientation: int = 1) -> bytes:
    zeroth = {
        piexif.ImageIFD.Make: b"TestMaker",
        piexif.ImageIFD.Model: b"PhoneModel X1",
        piexif.ImageIFD.Software: b"Firmware 9.9",
        piexif.ImageIFD.Artist: b"Kim Secret",
        piexif.ImageIFD.Copyright: b"Kim Secret 2026",
        piexif.ImageIFD.Orientation: orientation,
        piexif.ImageIFD.DateTime: b"2026:03:01 10:11:12",
    }
    exif = {
        piexif.ExifIFD.DateTimeOriginal: b"2026:03:01 10:11:12",
        piexif.ExifIFD.BodySerialNumber: b"SN123456789",
        piexif.ExifIFD.CameraOwnerName: b"Kim Secret",
        piexif.ExifIFD.ImageUniqueID: b"0123456789abcdef0123456789abcdef",
        piexif.ExifIFD.UserComment: b"ASCII\x00\x00\x00met at the safe house",
    }
    gps = {
        piexif.GPSIFD.GPSLatitudeRef: b"N",
        piexif.GPSIFD.GPSLatitude: ((41, 1), (48, 1), (3000, 100)),
        piexif.GPSIFD.GPSLongitudeRef: b"E",
        piexif.GPSIFD.GPSLongitude: ((129, 1), (30, 1), (0, 1)),
    }
    d = {"0th": zeroth, "Exif": exif, "GPS": gps, "1st": {}, "thumbnail": None}
    if thumbnail:
        d["1st"] = {piexif.ImageIFD.Compression: 6}
        d["thumbnail"] = thumbnail
    return piexif.dump(d)


XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'photoshop:City="Yanji" photoshop:Country="China"><dc:creator><rdf:Seq><rdf:li>Kim Secret</rdf:li></rdf:Seq></dc:creator>'
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def _icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def thumb_of(rgb: np.ndarray) -> bytes:
    """A thumbnail of a different crop than the main image (as a cropped photo keeps)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).resize((160, 120)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


@pytest.fixture
def tagged_jpeg(tmp_path: Path, astronaut: np.ndarray) -> Path:
    """JPEG with EXIF (GPS, serials, owner, thumbnail), XMP, ICC, a comment and a trailer."""
    path = tmp_path / "photo.jpg"
    buf = io.BytesIO()
    Image.fromarray(astronaut).save(buf, "JPEG", quality=90, exif=gps_exif(thumb_of(astronaut)), icc_profile=_icc(), comment=b"taken by Kim")
    raw = buf.getvalue()
    # insert an XMP APP1 after SOI, and hidden bytes after EOI
    app1 = b"http://ns.adobe.com/xap/1.0/\x00" + XMP
    raw = raw[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + raw[2:] + b"SECRET-TRAILER" * 20
    path.write_bytes(raw)
    return path


def png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def write_format(rgb: np.ndarray, path: Path, fmt: str, **kw: object) -> Path:
    im = Image.fromarray(rgb)
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    im.save(path, fmt, **kw)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def exiftool(path: Path) -> dict:
    """Every tag ExifTool reads, as in metrics.md section 4."""
    import json

    out = subprocess.run(["exiftool", "-j", "-a", "-G1", "-ee", "-u", "-s", "-n", str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)[0]


HAVE_EXIFTOOL = shutil.which("exiftool") is not None
needs_exiftool = pytest.mark.skipif(not HAVE_EXIFTOOL, reason="ExifTool not installed (apt install libimage-exiftool-perl)")


def mean_in(rgb: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x0, y0, x1, y1 = box
    return float(rgb[y0:y1, x0:x1, :3].mean())


def covered(rgb: np.ndarray, box: tuple[int, int, int, int], color: int = 0, tol: int = 8) -> float:
    """Share of the box's pixels equal to the fill colour (within tol)."""
    x0, y0, x1, y1 = box
    patch = rgb[y0:y1, x0:x1, :3].astype(int)
    return float((np.abs(patch - color) <= tol).all(-1).mean())


def covered_oval(rgb: np.ndarray, box: tuple[int, int, int, int], color: int = 0, tol: int = 8) -> float:
    """The same over the ellipse inscribed in the box: a head, without the box's corners."""
    x0, y0, x1, y1 = box
    ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5
    inside = ((xs - (x0 + x1) / 2) / ((x1 - x0) / 2)) ** 2 + ((ys - (y0 + y1) / 2) / ((y1 - y0) / 2)) ** 2 <= 1
    patch = rgb[y0:y1, x0:x1, :3].astype(int)
    return float((np.abs(patch - color) <= tol).all(-1)[inside].mean())


def mux_mono(out, stream, samples: np.ndarray, rate: int) -> None:  # type: ignore[no-untyped-def]
    """Encode mono float samples into ``stream`` of the open PyAV container ``out``, and flush."""
    import av

    for k in range(0, len(samples), 1024):
        f = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[None, k : k + 1024]), format="fltp", layout="mono")
        f.sample_rate = rate
        for p in stream.encode(f):
            out.mux(p)
    for p in stream.encode():
        out.mux(p)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def squeezed_crowd(astronaut: np.ndarray, squeeze: float) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A row of astronaut heads 110 to 26 px tall, each squeezed sideways ``squeeze`` times (a
    banner of portraits filmed at an angle); returns the picture and the faces' boxes."""
    head = Image.fromarray(astronaut[40:260, 120:340])
    canvas = np.full((300, 500, 3), 90, dtype=np.uint8)
    boxes, x = [], 10
    for side in (110, 90, 70, 60, 50, 50, 40, 40, 32, 32, 26, 26):
        w = round(side / squeeze)
        canvas[100 : 100 + side, x : x + w] = np.asarray(head.resize((w, side), Image.LANCZOS))
        k = side / 220
        fx0, fy0, fx1, fy1 = FACE_BOX
        boxes.append((round(x + (fx0 - 120) * k / squeeze), round(100 + (fy0 - 40) * k), round(x + (fx1 - 120) * k / squeeze), round(100 + (fy1 - 40) * k)))
        x += w + 8
    return canvas, boxes
