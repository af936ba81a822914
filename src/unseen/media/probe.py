"""Find what a file is from its content, never its name."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..i18n import N_
from ..errors import CorruptInput, UnsupportedFormat


@dataclass(frozen=True)
class Probe:
    kind: str  # "image", "video" or "audio" (a container with a picture stream is video)
    format: str  # jpeg | png | webp | tiff | bmp | gif | heif | avif | psd | jpeg2000 | ppm | ico | pcx


_HEAD = 64


def sniff(head: bytes) -> Probe | None:
    """Return the format for the first bytes of a file, or None if it is not one unseen knows."""
    if head.startswith(b"\xff\xd8\xff"):
        return Probe("image", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Probe("image", "png")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Probe("image", "webp")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Probe("image", "tiff")
    if head[:2] == b"BM" and len(head) >= 26:
        return Probe("image", "bmp")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Probe("image", "gif")
    if head[:4] == b"8BPS":
        return Probe("image", "psd")
    if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or head.startswith(b"\xff\x4f\xff\x51"):
        return Probe("image", "jpeg2000")
    if head[:1] == b"P" and head[1:2] in b"123456" and head[2:3] in (b" ", b"\n", b"\r", b"\t"):
        return Probe("image", "ppm")
    if head[:4] == b"\x00\x00\x01\x00" and int.from_bytes(head[4:6], "little") > 0:
        return Probe("image", "ico")
    if head[:1] == b"\x0a" and head[1:2] in b"\x00\x02\x03\x04\x05" and head[2:3] == b"\x01" and head[3:4] in b"\x01\x02\x04\x08":
        return Probe("image", "pcx")
    if head[4:8] == b"ftyp":
        brands = {head[i : i + 4] for i in range(8, min(len(head), 40), 4)}
        if brands & {b"avif", b"avis"}:
            return Probe("image", "avif")
        if brands & {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"hevc", b"hevx"}:
            return Probe("image", "heif")
        return Probe("video", "mp4")  # MP4, MOV, M4V, 3GP (ISO base media)
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return Probe("video", "mov")  # QuickTime files without an ftyp box
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Probe("audio", "wav")
    if head[:4] == b"fLaC":
        return Probe("audio", "flac")
    if head[:4] == b"OggS":
        return Probe("audio", "ogg")  # Vorbis, Opus (or Theora video: PyAV decides)
    if head[:3] == b"ID3" or (head[:1] == b"\xff" and head[1:2] and head[1] & 0xE0 == 0xE0):
        return Probe("audio", "mp3")  # MP3 or ADTS AAC frame sync
    if head[:5] == b"#!AMR":
        return Probe("audio", "amr")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Probe("audio", "aiff")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return Probe("video", "matroska")  # MKV, WebM
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Probe("video", "avi")
    if head[:1] == b"\x47" or head[4:5] == b"\x47":
        return Probe("video", "mpegts")  # TS, MTS/M2TS (checked by FFmpeg on open)
    if head[:4] == b"\x30\x26\xb2\x75":
        return Probe("video", "asf")
    if head[:3] == b"FLV":
        return Probe("video", "flv")
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return Probe("video", "mpeg")
    return None


# FFmpeg demuxers that accept nearly any bytes (text as ANSI art, raw data): never trusted
_PERMISSIVE = {"tty", "image2", "image2pipe", "data", "bin", "txt", "lavfi", "subviewer", "webvtt", "srt", "ass", "mpl2"}


# The first bytes of an AppleDouble file: a Mac's record of the file beside it (its extended
# attributes: where it was downloaded from, tags, comments; its resource fork), written as
# ._NAME on disks that cannot hold them and into zip files made on a Mac
APPLE_DOUBLE = b"\x00\x05\x16\x07"


def apple_double(path: Path) -> bool:
    """``path`` is an AppleDouble file (read by its first bytes; False when unreadable or not a
    regular file: opening a named pipe would wait for a writer forever)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as fh:
            return fh.read(4) == APPLE_DOUBLE
    except OSError:
        return False


def _ffmpeg_probe(path: Path) -> Probe | None:
    """Media without a signature unseen knows (DV, MXF, RealMedia, ...): ask FFmpeg."""
    try:
        import av

        with av.open(str(path), metadata_errors="ignore") as c:
            name = c.format.name.split(",")[0]
            kinds = {s.type for s in c.streams}
    except Exception:  # noqa: BLE001 - not a media file FFmpeg can open
        return None
    if name in _PERMISSIVE or name.endswith("_pipe") or not kinds & {"video", "audio"}:
        return None  # *_pipe: still-image formats FFmpeg reads (HDR, EXR...): not written here
    return Probe("video" if "video" in kinds else "audio", name)


_SPECIAL = [
    (stat.S_ISDIR, N_("a directory")),
    (stat.S_ISFIFO, N_("a named pipe")),
    (stat.S_ISSOCK, N_("a socket")),
    (stat.S_ISCHR, N_("a character device")),
    (stat.S_ISBLK, N_("a block device")),
]


def _not_regular(mode: int) -> str:
    return next((what for test, what in _SPECIAL if test(mode)), N_("not a regular file"))


def require_regular(path: Path) -> None:
    """Refuse anything but a regular file (a link to one is followed) before any reader opens
    it: a named pipe blocks the reader forever, a device never ends, a linked folder may loop."""
    try:
        link = os.lstat(path)
        st = os.stat(path) if stat.S_ISLNK(link.st_mode) else link
    except OSError as e:
        raise CorruptInput(N_("cannot read file: {reason}").format(reason=e.strerror or e)) from None
    if not stat.S_ISREG(st.st_mode):
        via = "a link to " if stat.S_ISLNK(link.st_mode) else ""
        raise UnsupportedFormat((N_("is a link to {what}, not a regular file: not opened") if via else N_("is {what}, not a regular file: not opened")).format(what=_not_regular(st.st_mode)))
    # the name may have been swapped since: open without blocking and check what was opened
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise CorruptInput(N_("cannot read file: {reason}").format(reason=e.strerror or e)) from None
    try:
        mode = os.fstat(fd).st_mode
    finally:
        os.close(fd)
    if not stat.S_ISREG(mode):
        raise UnsupportedFormat(N_("is {what}, not a regular file: not opened").format(what=_not_regular(mode)))


def probe(path: Path) -> Probe:
    require_regular(path)
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
    except IsADirectoryError:
        raise UnsupportedFormat(N_("is a directory")) from None
    except OSError as e:
        raise CorruptInput(N_("cannot read file: {reason}").format(reason=e.strerror or e)) from None
    if not head:
        raise CorruptInput(N_("file is empty"))
    found = sniff(head) or _ffmpeg_probe(path)
    if found is None:
        raise UnsupportedFormat(N_("not a supported image, video or audio format (content not recognised)"))
    return found
