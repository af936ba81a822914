"""A fuzz corpus the project owns: small media of every format unseen reads, made here, and
corrupted and hostile variants derived from them (cut short, bits flipped, ranges zeroed or
repeated, junk appended, the wrong extension, sizes declared huge, decompression and length
bombs, names made to fool a terminal). ``run_case`` runs ``unseen clean`` on one case in a
process of its own under a timeout and sorts what happened into one outcome.

Used by tests/test_fuzz.py (a fast slice in CI) and bench/fuzz.py (the whole corpus)."""
from __future__ import annotations

import hashlib
import io
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import av
import numpy as np
from PIL import Image

SIDE = (96, 64)  # photos and video frames: width, height


# ---- seeds: one small, valid file per format ------------------------------------------------


def _picture(w: int = SIDE[0], h: int = SIDE[1], k: int = 0) -> Image.Image:
    """A gradient with a little seeded noise: compressible, yet every codec has work to do."""
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([(x * 255 // max(1, w - 1) + 40 * k) % 256, y * 255 // max(1, h - 1), (x + y) % 256], -1)
    rgb = rgb + np.random.default_rng(k).integers(0, 24, rgb.shape)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def _saved(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _photo_seeds() -> dict[str, bytes]:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    im = _picture()
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131] = "FuzzMaker", "FuzzCam 1", "Firmware 1.0"
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Comment", "made by the fuzz corpus")
    frames = [_picture(k=k) for k in range(3)]
    seeds = {
        "photo.jpg": _saved(im, "JPEG", quality=85, exif=exif),
        "photo.png": _saved(im, "PNG", pnginfo=text),
        "photo.webp": _saved(im, "WEBP", quality=80),
        "anim.gif": _saved(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0),
        "pages.tif": _saved(frames[0], "TIFF", save_all=True, append_images=frames[1:], compression="tiff_adobe_deflate"),
        "photo.bmp": _saved(im, "BMP"),
        "photo.heic": _saved(im, "HEIF", quality=80),
        "photo.avif": _saved(im, "AVIF", quality=70),
        "photo.ppm": _saved(im, "PPM"),
        "photo.ico": _saved(im.resize((48, 48)), "ICO", sizes=[(48, 48)]),
        "photo.pcx": _saved(im, "PCX"),
        "photo.jp2": _saved(im, "JPEG2000"),
    }
    return seeds


def _encode_audio(out: av.container.OutputContainer, st: av.stream.Stream, rate: int, seconds: float, layout: str = "mono") -> None:
    t = np.arange(int(rate * seconds)) / rate
    x = (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    channels = 2 if layout == "stereo" else 1
    x = np.repeat(x[None], channels, 0)
    for k in range(0, x.shape[1], 1024):
        f = av.AudioFrame.from_ndarray(np.ascontiguousarray(x[:, k : k + 1024]), format="fltp", layout=layout)
        f.sample_rate = rate
        for p in st.encode(f):
            out.mux(p)
    for p in st.encode():
        out.mux(p)


def _sound(fmt: str, codec: str, rate: int = 16000, seconds: float = 1.0, **options: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s")
        out = av.open(path, "w", format=fmt, options=options)
        _encode_audio(out, out.add_stream(codec, rate=rate, layout="mono"), rate, seconds)
        out.close()
        return Path(path).read_bytes()


def _video(fmt: str, codec: str, audio: str | None, frames: int = 6, rate: int = 10) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "v")
        out = av.open(path, "w", format=fmt)
        v = out.add_stream(codec, rate=rate)
        v.width, v.height, v.pix_fmt = SIDE[0], SIDE[1], "yuv420p"
        a = out.add_stream(audio, rate=48000 if audio == "libopus" else 16000 if audio != "libmp3lame" else 22050, layout="mono") if audio else None
        for i in range(frames):
            for p in v.encode(av.VideoFrame.from_image(_picture(k=i))):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        if a is not None:
            _encode_audio(out, a, a.codec_context.sample_rate, frames / rate)
        out.close()
        return Path(path).read_bytes()


def _video_seeds() -> dict[str, bytes]:
    return {
        "clip.mp4": _video("mp4", "libx264", "aac"),
        "clip.mov": _video("mov", "libx264", None),
        "clip.mkv": _video("matroska", "libx264", "aac"),
        "clip.webm": _video("webm", "libvpx", "libopus"),
        "clip.avi": _video("avi", "mpeg4", "libmp3lame"),
        "clip.ts": _video("mpegts", "libx264", "aac"),
        "clip.wmv": _video("asf", "wmv2", None),
    }


def _sound_seeds() -> dict[str, bytes]:
    return {
        "sound.wav": _sound("wav", "pcm_s16le"),
        "sound.mp3": _sound("mp3", "libmp3lame", rate=22050),
        "sound.flac": _sound("flac", "flac"),
        "sound.opus": _sound("ogg", "libopus", rate=48000),
        "sound.m4a": _sound("ipod", "aac"),
        "sound.aiff": _sound("aiff", "pcm_s16be"),
        **({"sound.amr": amr} if (amr := _amr()) else {}),
    }


def _amr() -> bytes | None:
    """A phone's AMR voice memo, written by PyAV where its FFmpeg has the encoder (PyAV 18.1.1's
    wheels have none), else by the ffmpeg command where it has; None where neither has."""
    from unseen.media.audio import can_encode

    if can_encode("libopencore_amrnb"):
        return _sound("amr", "libopencore_amrnb", rate=8000)
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        wav, amr = os.path.join(d, "s.wav"), os.path.join(d, "s.amr")
        Path(wav).write_bytes(_sound("wav", "pcm_s16le", rate=8000))
        made = subprocess.run([ffmpeg, "-v", "error", "-i", wav, "-c:a", "libopencore_amrnb", "-ar", "8000", "-ac", "1", amr], capture_output=True)
        return Path(amr).read_bytes() if made.returncode == 0 and os.path.exists(amr) else None


def seeds() -> dict[str, bytes]:
    """Every seed by name; the extension says the format."""
    return {**_photo_seeds(), **_video_seeds(), **_sound_seeds()}


# ---- mutations of any file --------------------------------------------------------------------


def _rng(name: str, how: str) -> random.Random:
    return random.Random(hashlib.sha256(f"{name}/{how}".encode()).digest())


def _flip(data: bytes, n: int, rnd: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(n):
        b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
    return bytes(b)


def _zero(data: bytes, start: float, share: float) -> bytes:
    b = bytearray(data)
    a = int(len(b) * start)
    n = max(1, int(len(b) * share))
    b[a : a + n] = bytes(len(b[a : a + n]))
    return bytes(b)


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "cut10": lambda d, r: d[: len(d) // 10],
    "cut50": lambda d, r: d[: len(d) // 2],
    "cut90": lambda d, r: d[: len(d) * 9 // 10],
    "cut-1": lambda d, r: d[:-1],
    "header": lambda d, r: d[:32],
    "flip1": lambda d, r: _flip(d, 1, r),
    "flip8": lambda d, r: _flip(d, 8, r),
    "flip64": lambda d, r: _flip(d, 64, r),
    "zero-head": lambda d, r: _zero(d, 0.02, 0.05),
    "zero-mid": lambda d, r: _zero(d, 0.5, 0.05),
    "zero-tail": lambda d, r: _zero(d, 0.9, 0.1),
    "repeat-mid": lambda d, r: d[: len(d) // 2] + d[len(d) // 3 : len(d) // 2] + d[len(d) // 2 :],
    "junk-tail": lambda d, r: d + r.randbytes(4096),
    "shuffle": lambda d, r: d[:64] + bytes(r.sample(list(d[64:]), len(d) - 64)),
}
# the same bytes under another kind's extension (content, not extension, decides the format)
WRONG_EXT = {".jpg": ".mp4", ".png": ".wav", ".mp4": ".jpg", ".mkv": ".png", ".wav": ".jpg", ".mp3": ".gif", ".flac": ".mov"}


# ---- hostile files made on purpose --------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png_of_zeros(w: int, h: int) -> bytes:
    """A grey PNG of w x h zero pixels: a few hundred KB that decode to w*h bytes."""
    z = zlib.compressobj(9)
    row = bytes(w + 1)  # filter byte and the row
    body = b"".join(z.compress(row) for _ in range(h)) + z.flush()
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")


def _png_declaring(data: bytes, w: int, h: int) -> bytes:
    """The seed PNG with its IHDR claiming w x h (CRC fixed, so only the size is wrong)."""
    ihdr = data[16:29]
    new = struct.pack(">II", w, h) + ihdr[8:]
    return data[:8] + _png_chunk(b"IHDR", new) + data[33:]


def _jpeg_declaring(data: bytes, w: int, h: int) -> bytes:
    b = bytearray(data)
    i = 2
    while i + 9 < len(b):
        marker, size = b[i + 1], struct.unpack(">H", b[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            b[i + 5 : i + 9] = struct.pack(">HH", h, w)
            break
        i += 2 + size
    return bytes(b)


def _gif_declaring(data: bytes, w: int, h: int) -> bytes:
    return data[:6] + struct.pack("<HH", w, h) + data[10:]


def _bmp_declaring(data: bytes, w: int, h: int) -> bytes:
    return data[:18] + struct.pack("<ii", w, h) + data[26:]


def _tiff_declaring(w: int, h: int) -> bytes:
    b = bytearray(_saved(_picture(), "TIFF"))  # uncompressed, little-endian: IFD entries are 12 bytes
    ifd = struct.unpack("<I", b[4:8])[0]
    for k in range(struct.unpack("<H", b[ifd : ifd + 2])[0]):
        at = ifd + 2 + 12 * k
        tag, typ = struct.unpack("<HH", b[at : at + 4])
        if tag in (256, 257):
            value = w if tag == 256 else h
            b[at + 2 : at + 12] = struct.pack("<HII", 4, 1, value)  # LONG
    return bytes(b)


def _wav_declaring(data: bytes) -> bytes:
    """RIFF and data chunk sizes of almost 4 GB on a 1-s file."""
    b = bytearray(data)
    b[4:8] = struct.pack("<I", 0xFFFFFFF0)
    at = b.find(b"data")
    b[at + 4 : at + 8] = struct.pack("<I", 0xFFFFFFF0)
    return bytes(b)


def _mp4_box_huge(data: bytes, box: bytes) -> bytes:
    b = bytearray(data)
    at = b.find(box)
    if at >= 4:
        b[at - 4 : at] = struct.pack(">I", 0xFFFFFFF0)
    return bytes(b)


def _many_frames_gif(n: int) -> bytes:
    # each frame unlike the one before (Pillow merges repeated frames into one)
    frames = [Image.new("RGB", (2, 2), (i % 256, i // 256 * 40, 0)) for i in range(n)]
    return _saved(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=10)


def _many_pages_tiff(n: int) -> bytes:
    pages = [Image.new("L", (2, 2), i % 256) for i in range(n)]
    return _saved(pages[0], "TIFF", save_all=True, append_images=pages[1:])


def _silent_flac(seconds: int) -> bytes:
    """A length bomb: an hour of silence is a few hundred KB of FLAC."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.flac")
        out = av.open(path, "w", format="flac")
        st = out.add_stream("flac", rate=8000, layout="mono")
        zero = np.zeros((1, 8000), np.float32)
        for _ in range(seconds):
            f = av.AudioFrame.from_ndarray(zero, format="fltp", layout="mono")
            f.sample_rate = 8000
            for p in st.encode(f):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
        out.close()
        return Path(path).read_bytes()


def hostile(base: dict[str, bytes], full: bool) -> dict[str, bytes]:
    """Files made to exhaust memory or time, or to be read as what they are not. ``full`` adds
    the slow ones (a 100-megapixel picture that is allowed, an hour of sound, 2,500 frames)."""
    cases = {
        "empty.jpg": b"",
        "empty.mp4": b"",
        "empty.wav": b"",
        "magic-only.png": b"\x89PNG\r\n\x1a\n",
        "magic-only.mp4": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",
        "random.jpg": random.Random(1).randbytes(20_000),
        "random.mp3": random.Random(2).randbytes(20_000),
        "text.png": b"this is not a picture\n" * 100,
        "zero-size.png": _png_declaring(base["photo.png"], 0, 0),
        "huge-ihdr.png": _png_declaring(base["photo.png"], 0x7FFFFFFF, 0x7FFFFFFF),
        "huge-sof.jpg": _jpeg_declaring(base["photo.jpg"], 65500, 65500),
        "huge-screen.gif": _gif_declaring(base["anim.gif"], 65535, 65535),
        "huge-dims.bmp": _bmp_declaring(base["photo.bmp"], 0x7FFFFFFF, 0x7FFFFFFF),
        "huge-dims.tif": _tiff_declaring(0x7FFFFFFF, 0x7FFFFFFF),
        "huge-sizes.wav": _wav_declaring(base["sound.wav"]),
        "huge-moov.mp4": _mp4_box_huge(base["clip.mp4"], b"moov"),
        "huge-mdat.mp4": _mp4_box_huge(base["clip.mp4"], b"mdat"),
    }
    if full:
        cases.update({
            "bomb-900mp.png": _png_of_zeros(30_000, 30_000),  # over the pixel limit
            "many-pages.tif": _many_pages_tiff(300),
            "bomb-100mp.png": _png_of_zeros(10_000, 10_000),  # under the limit: cleaned, at a cost
            "frames-2500.gif": _many_frames_gif(2500),  # over the 2,000-frame limit
            "pages-2500.tif": _many_pages_tiff(2500),
            "hour-of-silence.flac": _silent_flac(3600),
        })
    return cases


# names a person reads on a terminal: escapes, line breaks, bytes that are not UTF-8, and one
# too long for its output's name ("NAME.unseen.EXT" past the 255-byte limit)
ODD_NAMES = [b"evil\x1b[2J\nok      forged.jpg", b"latin1-\xe9\xff.png", b"x" * 245 + b".jpg"]


@dataclass(frozen=True)
class Case:
    name: str  # file name (str; odd names as os.fsdecode of their bytes)
    data: bytes
    seed: str  # the seed it came from ("" for files made on purpose)
    how: str  # the mutation, or "hostile" / "odd-name" / "wrong-ext"


def corpus(full: bool = True) -> list[Case]:
    """Every case, in a stable order. Without ``full``, the slow hostile files are left out."""
    base = seeds()
    cases: list[Case] = []
    for name, data in base.items():
        stem, ext = os.path.splitext(name)
        for how, mutate in MUTATIONS.items():
            cases.append(Case(f"{stem}.{how}{ext}", mutate(data, _rng(name, how)), name, how))
        if ext in WRONG_EXT:
            cases.append(Case(f"{stem}.wrong{WRONG_EXT[ext]}", data, name, "wrong-ext"))
    for name, data in hostile(base, full).items():
        cases.append(Case(name, data, "", "hostile"))
    for raw in ODD_NAMES:
        seed = "photo.jpg" if raw.endswith(b".jpg") else "photo.png"
        cases.append(Case(os.fsdecode(raw), base[seed], seed, "odd-name"))
    return cases


def fast_slice(cases: list[Case]) -> list[Case]:
    """One case per seed (the mutations taken in turn, so each is met about twice), the quick
    hostile files, the odd names and two wrong extensions: under a minute on two cores."""
    hows = list(MUTATIONS)
    seeds_seen: dict[str, int] = {}
    picked = []
    for c in cases:
        if c.how in MUTATIONS:
            i = seeds_seen.setdefault(c.seed, len(seeds_seen))
            if c.how == hows[i % len(hows)]:
                picked.append(c)
        elif c.how in ("hostile", "odd-name") or c.name in ("photo.wrong.mp4", "sound.wrong.jpg"):
            picked.append(c)
    return picked


# ---- running one case -----------------------------------------------------------------------

GOOD = ("cleaned", "refused")


@dataclass
class Outcome:
    case: str
    outcome: str  # cleaned | refused | traceback | hang | leftover | input-changed | bad-exit | noise
    seconds: float
    peak_kib: int  # maximum resident set of the command (KiB)
    detail: str = ""


@dataclass
class _Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_kib: int
    hung: bool


def _run(cmd: list[str], timeout: float) -> _Run:
    """Run in a process group of its own, killed whole at ``timeout``; the exit status, output,
    wall time and maximum resident set (KiB, from the kernel's accounting of this child)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, for its rusage
        out.seek(0)
        err.seek(0)
        return _Run(proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"), round(time.monotonic() - start, 2), usage.ru_maxrss, killed.is_set())


def run_case(case: Case, folder: Path, timeout: float, extra_args: tuple[str, ...] = ("--no-faces",)) -> Outcome:
    """``unseen clean`` on the case alone in ``folder``, killed at ``timeout``; sorted into one
    outcome. Good: exit 0 with one ``ok`` line, a verified output and nothing else in the
    folder, or exit 1 with one ``FAILED`` line (and the count) and nothing but the input left.
    The input must not change."""
    folder.mkdir(parents=True)
    src = folder / case.name
    src.write_bytes(case.data)
    run = _run([sys.executable, "-m", "unseen", "clean", *extra_args, str(src)], timeout)
    left = sorted(p.name for p in folder.iterdir() if p.name != case.name)
    stdout, stderr = run.stdout, run.stderr

    def result(outcome: str, detail: str = "") -> Outcome:
        return Outcome(case.name, outcome, run.seconds, run.peak_kib, detail)

    if run.hung:
        return result("hang", f"killed after {timeout:.0f} s")
    if "Traceback" in stdout + stderr:
        return result("traceback", (stdout + stderr)[-2000:])
    if src.read_bytes() != case.data:
        return result("input-changed")
    out_lines, err_lines = stdout.splitlines(), stderr.splitlines()
    if run.code == 0:
        outputs = [n for n in left if ".unseen." in n]
        if len(out_lines) != 1 or not out_lines[0].startswith("ok ") or "verified" not in out_lines[0] or err_lines:
            return result("noise", stdout + stderr)
        if len(outputs) != 1 or left != outputs:
            return result("leftover", ", ".join(left))
        return result("cleaned", out_lines[0][-200:])
    if run.code == 1:
        failed = [line for line in err_lines if line.startswith("FAILED")]
        if len(failed) != 1 or out_lines or len(err_lines) != 2 or not err_lines[1].startswith("unseen: 1 of 1"):
            return result("noise", stdout + stderr)
        if left:
            return result("leftover", ", ".join(left))
        return result("refused", failed[0][-300:])
    return result("bad-exit", f"exit {run.code}: {(stdout + stderr)[-500:]}")


def audit_case(case: Case, folder: Path, timeout: float) -> Outcome:
    """``unseen audit --no-faces`` on the case: exit 0 (nothing found) or 1 (something found, or
    unreadable: a 'cannot read' line, alone or beside the tags it could read), nothing on stderr,
    no file written, the input unchanged."""
    folder.mkdir(parents=True)
    src = folder / case.name
    src.write_bytes(case.data)
    run = _run([sys.executable, "-m", "unseen", "audit", "--no-faces", str(src)], timeout)

    def result(outcome: str, detail: str = "") -> Outcome:
        return Outcome(case.name, outcome, run.seconds, run.peak_kib, detail)

    if run.hung:
        return result("hang", f"killed after {timeout:.0f} s")
    if "Traceback" in run.stdout + run.stderr:
        return result("traceback", (run.stdout + run.stderr)[-2000:])
    if src.read_bytes() != case.data or sorted(folder.iterdir()) != [src]:
        return result("input-changed" if src.read_bytes() != case.data else "leftover")
    if run.code not in (0, 1) or run.stderr.strip():
        return result("noise" if run.code in (0, 1) else "bad-exit", (run.stdout + run.stderr)[-500:])
    # the table's own line (indented), not a tag's value that happens to hold the words
    return result("unreadable" if re.search(r"^ {3}cannot read", run.stdout, re.M) else "read", run.stdout.splitlines()[-1][-200:] if run.stdout else "")
