"""Video through PyAV/FFmpeg: what a container holds, and its frames as upright RGB pixels."""
from __future__ import annotations

import heapq
import os
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from ..i18n import N_
from ..errors import CorruptInput, UnseenError, UnsupportedFormat, one_line


@dataclass(frozen=True)
class Colour:
    """How a video's stored values are to be shown (ITU-T H.273 codes, as FFmpeg numbers them;
    2: unspecified). The output holds the input's values, so it carries the same description:
    a phone's HDR video (BT.2020 primaries, HLG or PQ transfer) described as nothing is shown as
    ordinary video, washed out; full-range values shown as limited lose shadows and highlights.
    The description says how to show pixels, not who made them."""

    primaries: int = 2
    transfer: int = 2
    matrix: int = 2
    full_range: bool = False

    @classmethod
    def of(cls, frame) -> "Colour":  # type: ignore[no-untyped-def]
        """A decoded frame's description (a JPEG-range pixel format is full range too)."""
        def code(name: str) -> int:
            value = int(getattr(frame, name, 2) or 2)
            return value if 0 < value < 256 else 2

        full = int(getattr(frame, "color_range", 0) or 0) == 2 or frame.format.name.startswith("yuvj")
        return cls(code("color_primaries"), code("color_trc"), code("colorspace"), full)

    def written(self) -> "Colour":
        """The description as an H.264 stream from FFmpeg's x264 carries it: codes past the
        ones its wrapper passes on (primaries past SMPTE 432, transfers past HLG, matrices past
        BT.2020 constant luminance) are written as unspecified."""
        return Colour(self.primaries if self.primaries <= 12 else 2, self.transfer if self.transfer <= 18 else 2, self.matrix if self.matrix <= 10 else 2, self.full_range)


@dataclass
class VideoInfo:
    format: str
    width: int  # upright (rotation applied)
    height: int
    rotation: int  # degrees the stored frames must turn to be upright
    frames: int | None
    duration: float | None
    codec: str
    time_base: Fraction
    rate: Fraction | None
    has_audio: bool
    container_tags: dict[str, str] = field(default_factory=dict)
    stream_kinds: list[str] = field(default_factory=list)  # e.g. video, audio, data, subtitle, attachment
    stream_tags: list[dict[str, str]] = field(default_factory=list)
    chapters: int = 0
    # width of a stored pixel over its height (anamorphic DV, HDV, DVD); 1 for most video
    sample_aspect: Fraction = Fraction(1)
    colour: Colour = Colour()  # of the first frame

    @property
    def upright_aspect(self) -> Fraction:
        """The pixel aspect of the upright picture (a quarter turn swaps it)."""
        return 1 / self.sample_aspect if self.rotation % 180 else self.sample_aspect


def _without_index(path: Path | str) -> bool:
    from .containers import bmff_without_index

    try:
        return bmff_without_index(Path(path))
    except (OSError, struct.error):
        return False


def open_container(path: Path | str):  # type: ignore[no-untyped-def]
    import av

    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except av.error.InvalidDataError:
        if _without_index(path):
            raise CorruptInput(N_("an MP4 or MOV recording without its index (the recording stopped before writing it, or the copy was cut short): nothing in it can be decoded or salvaged")) from None
        raise CorruptInput(N_("not a readable media file (invalid or truncated data)")) from None
    except (av.error.FFmpegError, OSError) as e:
        raise CorruptInput(N_("cannot open media file: {reason}").format(reason=one_line(e))) from None


def probe_video(path: Path, decode_first: bool = True) -> VideoInfo:
    """Streams, tags and geometry; ``decode_first`` also proves a frame decodes and reads rotation."""
    with open_container(path) as c:
        vs = [s for s in c.streams if s.type == "video" and not _is_cover_art(s)]
        if not vs:
            raise UnsupportedFormat(N_("no video stream (audio-only and other media are not supported yet)"))
        v = vs[0]
        cc = v.codec_context
        if cc is None:  # FFmpeg knows no decoder for the stream's codec
            raise UnsupportedFormat(N_("video codec not supported (FFmpeg has no decoder for it)"))
        if not cc.width or not cc.height:
            raise CorruptInput(N_("video stream has no picture size"))
        if cc.width < 2 or cc.height < 2:
            raise CorruptInput(N_("video is {size}: too small to encode").format(size=f"{cc.width}x{cc.height}"))
        rotation, colour = _first_frame(c, v) if decode_first else (0, Colour())
        w, h = (cc.height, cc.width) if rotation % 180 else (cc.width, cc.height)
        duration = float(v.duration * v.time_base) if v.duration and v.time_base else (c.duration / 1e6 if c.duration else None)
        return VideoInfo(
            format=c.format.name.split(",")[0],
            width=w,
            height=h,
            rotation=rotation,
            frames=v.frames or None,
            duration=duration,
            codec=cc.name,
            time_base=v.time_base or Fraction(1, 90000),
            rate=v.average_rate,
            has_audio=any(s.type == "audio" for s in c.streams),
            container_tags={k: str(val) for k, val in c.metadata.items()},
            stream_kinds=[("cover-art" if _is_cover_art(s) else s.type) for s in c.streams],
            stream_tags=[{k: str(val) for k, val in s.metadata.items()} for s in c.streams],
            chapters=len(getattr(c, "chapters", lambda: [])()) if callable(getattr(c, "chapters", None)) else 0,
            sample_aspect=sample_aspect(v),
            colour=colour,
        )


def sample_aspect(stream) -> Fraction:  # type: ignore[no-untyped-def]
    """A stream's stored-pixel width over height; 1 when unset or absurd."""
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    return Fraction(sar) if sar and 0.1 < float(sar) < 10 else Fraction(1)


def _is_cover_art(stream) -> bool:  # type: ignore[no-untyped-def]
    disp = getattr(stream, "disposition", None)
    try:
        import av

        return bool(disp is not None and disp & av.stream.Disposition.attached_pic)
    except (AttributeError, TypeError):
        return False


def has_video(path: Path) -> bool:
    """True when the file has a picture stream that is not just cover art."""
    with open_container(path) as c:
        return any(s.type == "video" and not _is_cover_art(s) for s in c.streams)


def _first_frame(c, v) -> tuple[int, Colour]:  # type: ignore[no-untyped-def]
    """The display rotation and colour description, read from the first decoded frame (FFmpeg
    attaches the stream's display matrix to every frame); also proves the stream has a
    decodable frame."""
    import av

    try:
        for frame in decode(c, v):
            return frame_rotation(frame), Colour.of(frame)
    except av.error.FFmpegError as e:
        raise CorruptInput(N_("video cannot be decoded: {reason}").format(reason=one_line(e))) from None
    raise CorruptInput(N_("video has no decodable frames"))


def decode(container, stream) -> Iterator:  # type: ignore[no-untyped-def]
    """The frames of ``stream`` in presentation order, as ``container.decode(stream)`` gives
    them but for empty packets: libtheora writes one for each frame that repeats the last (AVI
    for a dropped frame). FFmpeg's decoder refuses one (EINVAL: the video was refused) and its
    command line drops it, losing the time it stands for (a still ending was cut off). Each
    becomes a copy of the frame shown before it at the packet's own time, as a player shows it;
    one without a time, or before the first picture, is dropped."""
    empty: list[tuple[int, int]] = []  # heap of (time, duration) of empty packets not yet given a frame
    last = None
    again = _Again()

    def repeats(upto):  # type: ignore[no-untyped-def]
        """The repeats due before a frame at ``upto`` (None: all), of the frame shown last;
        one timed at or before that frame (before the first picture) is dropped."""
        while empty and last is not None and (upto is None or empty[0][0] < upto):
            t, d = heapq.heappop(empty)
            if last.pts is None or t > last.pts:
                yield again.of(last, t, d)

    def shown(frames):  # type: ignore[no-untyped-def]
        nonlocal last
        for frame in frames:
            if frame.time_base is None:  # flushed frames carry none
                frame.time_base = stream.time_base
            # frames come out in time order (packets come in decoding order), after the
            # decoder's delay: a repeat is due once a later frame comes out, and it repeats the
            # one that came out before it
            yield from repeats(frame.pts)
            yield frame
            last = frame

    for packet in container.demux(stream):
        if packet.size:
            yield from shown(packet.decode())
        elif packet.pts is not None:  # (the demuxer's own end marker has no time)
            heapq.heappush(empty, (packet.pts, packet.duration or 0))
    yield from shown(stream.decode(None))
    yield from repeats(None)


class _Again:
    """A decoded frame again under another time: a frame of its own (PyAV has no copy) holding
    the same picture and properties (rotation, colour description), passed through a filter
    graph that does nothing to it."""

    def __init__(self) -> None:
        self._graph = None
        self._for: tuple | None = None

    def of(self, frame, pts: int, duration: int):  # type: ignore[no-untyped-def]
        import av

        key = (frame.width, frame.height, frame.format.name, frame.colorspace, frame.color_range, frame.time_base)
        if key != self._for:  # described as the frame is, so the buffer takes it as it is
            graph = av.filter.Graph()
            src = graph.add("buffer", video_size=f"{frame.width}x{frame.height}", pix_fmt=str(int(frame.format)), time_base=str(frame.time_base), pixel_aspect="1/1", colorspace=str(frame.colorspace), range=str(frame.color_range))
            src.link_to(graph.add("buffersink"))
            graph.configure()
            self._graph, self._for = graph, key
        self._graph.push(frame)
        copy = self._graph.pull()
        copy.pts, copy.duration, copy.time_base = pts, duration, frame.time_base
        return copy


def upright(frame, rotation: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """RGB pixels as a viewer shows them. FFmpeg's rotation is counter-clockwise, as is np.rot90."""
    # full-range values are read as such (FFmpeg assumes limited range unless the pixel format says)
    rgb = frame.to_ndarray(format="rgb24", src_color_range=2 if Colour.of(frame).full_range else None)
    if rotation % 90 == 0 and rotation % 360:
        rgb = np.rot90(rgb, k=(rotation % 360) // 90)
    return np.ascontiguousarray(rgb)


def upright_yuv420(frame, rotation: int, full_range: bool) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The frame's values as 8-bit yuv420p in FFmpeg's packed layout (Y rows, then U, then V,
    each chroma plane folded into rows of the full width), turned upright: the values
    themselves, never converted between ranges or matrices (a deeper format is only shortened
    to 8 bits). Even sizes only."""
    rng = 2 if full_range else 1
    planes = frame.to_ndarray(format="yuv420p", src_color_range=rng, dst_color_range=rng)
    k = (rotation % 360) // 90 if rotation % 90 == 0 else 0
    if not k:
        return planes
    # the chroma planes turn with the picture: each sample stays on its 2x2 block of pixels
    return np.concatenate([np.rot90(p, k).reshape(-1) for p in yuv420_planes(planes)]).reshape(-1, frame.height if k % 2 else frame.width)


def yuv420_planes(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Y, U and V planes of a yuv420p frame in FFmpeg's packed layout (``to_ndarray``: Y
    rows, then U, then V, each chroma plane folded into rows of the full width), as views."""
    h, w = packed.shape[0] * 2 // 3, packed.shape[1]
    flat = packed.reshape(-1)
    return flat[: h * w].reshape(h, w), flat[h * w : h * w + h * w // 4].reshape(h // 2, w // 2), flat[h * w + h * w // 4 :].reshape(h // 2, w // 2)


def rgb_at(frame, width: int, height: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A frame's RGB pixels at ``width`` x ``height``, resized by FFmpeg as it converts (no
    full-size RGB copy when shrinking); as stored, rotation not applied."""
    if (width, height) == (frame.width, frame.height):
        return frame.to_ndarray(format="rgb24")
    return frame.to_ndarray(width=width, height=height, format="rgb24", interpolation="BILINEAR")


def frame_rotation(frame) -> int:  # type: ignore[no-untyped-def]
    return int(getattr(frame, "rotation", 0) or 0) % 360


class DecodedFrame:
    """One decoded frame; pixels are converted only when asked for (most frames of the
    analysis pass are only looked at through a tiny grey thumbnail)."""

    __slots__ = ("_frame", "_rgb", "index", "pts", "time_base")

    def __init__(self, index: int, frame, time_base: Fraction) -> None:  # type: ignore[no-untyped-def]
        self.index, self.pts, self.time_base = index, frame.pts, time_base
        self._frame = frame
        self._rgb: np.ndarray | None = None

    @property
    def frame(self):  # type: ignore[no-untyped-def]
        """The decoded PyAV frame itself."""
        return self._frame

    def rgb(self) -> np.ndarray:
        """Upright RGB pixels, as a viewer shows them."""
        if self._rgb is None:
            self._rgb = upright(self._frame, frame_rotation(self._frame))
        return self._rgb

    def scaled_rgb(self, scale: float, sample_aspect: float = 1.0, stretch: float = 1.0) -> np.ndarray:
        """Upright RGB resized by ``scale`` by FFmpeg (several times faster than Pillow on full
        frames; no resampling at all at scale 1); the stored width also stretched by
        ``sample_aspect`` so non-square pixels show faces in their true shape, and the upright
        width by ``stretch`` (the sideways search: detect.SIDEWAYS)."""
        f = self._frame
        rotation = frame_rotation(f)
        turned = rotation % 180 == 90  # the stored height is the upright width
        w = max(1, round(f.width * scale * sample_aspect * (1.0 if turned else stretch)))
        h = max(1, round(f.height * scale * (stretch if turned else 1.0)))
        if (w, h) == (f.width, f.height):
            rgb = f.to_ndarray(format="rgb24")
        else:
            rgb = f.to_ndarray(width=w, height=h, format="rgb24", interpolation="BILINEAR")
        if rotation % 90 == 0 and rotation % 360:
            rgb = np.rot90(rgb, k=(rotation % 360) // 90)
        return np.ascontiguousarray(rgb)

    def grey(self, side: int) -> tuple[np.ndarray, float]:
        """The luma as stored, shrunk by FFmpeg (averaging) so that its long side is about
        ``side`` px, and the scale it was shrunk by."""
        f = self._frame
        k = min(1.0, side / max(f.width, f.height, 1))
        w, h = max(8, round(f.width * k)), max(8, round(f.height * k))
        return f.to_ndarray(width=w, height=h, format="gray", interpolation="AREA"), k

    def thumbnail(self, cols: int = 32, rows: int = 18) -> np.ndarray:
        """A coarse grid of luma samples, enough to tell one shot from the next."""
        f = self._frame
        h, w = f.height, f.width
        bits = f.format.components[0].bits if f.format.components else 8
        if f.format.name.startswith(("yuv", "yuvj", "nv")) and bits == 8:  # the luma plane as decoded: no conversion
            plane = f.planes[0]
            grey = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:h, :w]
        elif f.format.name.startswith("yuv") and f.format.name.endswith("le") and bits <= 16:
            # a deeper luma plane (a phone's 10-bit HDR video), two bytes a sample: read as
            # bytes, its low and high halves looked like noise to the cut detector
            plane = f.planes[0]
            grey = (np.frombuffer(plane, "<u2").reshape(-1, plane.line_size // 2)[:h, :w] >> (bits - 8 if bits > 8 else 0))
        else:
            grey = f.to_ndarray(format="gray")
        return grey[np.linspace(0, h - 1, rows).astype(int)][:, np.linspace(0, w - 1, cols).astype(int)].astype(np.float32)


def size_changed(i: int, before: tuple[int, int], after: tuple[int, int]) -> UnsupportedFormat:
    """The refusal of a stream whose picture changes size at frame ``i``: the output keeps one
    size, and the frames of another came out cropped, a mask off the face it was for."""
    return UnsupportedFormat(N_("the picture changes size at frame {frame} ({before} to {after}): not supported").format(frame=i, before=f"{before[0]}x{before[1]}", after=f"{after[0]}x{after[1]}"))


# A picture or sound that starts this late reads a clock: the time of day (an IP camera's
# wall-clock timestamps) or a place in a longer recording (a cut segment). A transport stream's
# own clock starts within a few seconds.
CLOCK_START_S = 60.0


def clock_start(path: Path) -> float | None:
    """When the picture starts, in seconds (the earliest sound's without one), when it is
    ``CLOCK_START_S`` or more (clean writes from zero), else None. A sound that starts a while
    after the picture is an edit, not a clock."""
    try:
        with open_container(path) as c:
            starts = {kind: [float(s.start_time * s.time_base) for s in c.streams if s.type == kind and s.start_time is not None and s.time_base] for kind in ("video", "audio")}
    except UnseenError:
        return None
    late = starts["video"][0] if starts["video"] else min(starts["audio"], default=0.0)
    return late if late >= CLOCK_START_S else None


def hidden_frames(path: Path) -> int:
    """Frames of the first video track an MP4/MOV edit list tells players to skip: a clip
    trimmed without re-encoding (LosslessCut, ``ffmpeg -c copy``) still holds the samples it cut,
    and a tool that ignores the edit list shows them. Read from the boxes (no decoding): the
    track's presentation span (its samples' durations, from the earliest composition time, so an
    encoder's B-frame delay is no trim) against the spans its edits show. 0 for other containers."""
    try:
        with open(path, "rb") as f:
            end = os.fstat(f.fileno()).st_size
            moov = next(((a, b) for t, a, b in _boxes(f, 0, end) if t == b"moov"), None)
            if moov is None:
                return 0
            movie_scale = 0
            for t, a, b in _boxes(f, *moov):
                if t == b"mvhd":
                    movie_scale = _timescale(f, a)
                elif t == b"trak" and movie_scale:
                    hidden = _trak_hidden(f, a, b, movie_scale)
                    if hidden is not None:
                        return hidden
    except (OSError, struct.error, ValueError):
        pass
    return 0


def _boxes(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, body end) of the ISO BMFF boxes between ``start`` and ``end``."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        head = f.read(16)
        size, kind = struct.unpack(">I4s", head[:8])
        skip = 8
        if size == 1:
            (size,) = struct.unpack(">Q", head[8:16])
            skip = 16
        elif size == 0:
            size = end - pos
        if size < skip or not kind.isascii():
            return
        yield kind, pos + skip, min(end, pos + size)
        pos += size


def _child(f: BinaryIO, span: tuple[int, int], *path: bytes) -> tuple[int, int] | None:
    for kind in path:
        found = next(((a, b) for t, a, b in _boxes(f, *span) if t == kind), None)
        if found is None:
            return None
        span = found
    return span


def _timescale(f: BinaryIO, body: int) -> int:
    """mvhd's or mdhd's time scale (after version, flags and the two times)."""
    f.seek(body)
    version = f.read(1)[0]
    f.seek(body + (20 if version == 1 else 12))
    return int(struct.unpack(">I", f.read(4))[0])


def _trak_hidden(f: BinaryIO, a: int, b: int, movie_scale: int) -> int | None:
    """Frames a video track's edits leave out; None for a track that is not video."""
    hdlr, mdhd = _child(f, (a, b), b"mdia", b"hdlr"), _child(f, (a, b), b"mdia", b"mdhd")
    if hdlr is None or mdhd is None:
        return None
    f.seek(hdlr[0] + 8)
    if f.read(4) != b"vide":
        return None
    elst, stts = _child(f, (a, b), b"edts", b"elst"), _child(f, (a, b), b"mdia", b"minf", b"stbl", b"stts")
    if elst is None or stts is None:
        return 0
    media_scale = _timescale(f, mdhd[0])
    f.seek(stts[0] + 4)
    (n,) = struct.unpack(">I", f.read(4))
    table = np.frombuffer(f.read(8 * n), ">u4").reshape(-1, 2).astype(np.int64)
    if table[:, 0].sum() > 20_000_000:  # a hostile table's counts: not expanded into memory
        return 0
    durations = np.repeat(table[:, 1], table[:, 0])
    if not len(durations) or not durations.sum():
        return 0
    times = np.cumsum(durations) - durations  # decoding times
    ctts = _child(f, (a, b), b"mdia", b"minf", b"stbl", b"ctts")
    if ctts is not None:  # composition offsets: presentation runs from the earliest shown time
        f.seek(ctts[0])
        signed = f.read(1)[0] == 1
        f.seek(ctts[0] + 4)
        (k,) = struct.unpack(">I", f.read(4))
        rows = np.frombuffer(f.read(8 * k), ">u4").reshape(-1, 2)
        if rows[:, 0].astype(np.int64).sum() != len(times):
            rows = rows[:0]
        offsets = np.repeat(rows[:, 1].astype(">i4" if signed else ">u4").astype(np.int64), rows[:, 0].astype(np.int64))
        if len(offsets) == len(times):
            times = times + offsets
    lo, hi, frame = float(times.min()), float((times + durations).max()), float(durations.mean())
    f.seek(elst[0])
    version = f.read(1)[0]
    f.seek(elst[0] + 4)
    (k,) = struct.unpack(">I", f.read(4))
    shown: list[tuple[float, float]] = []
    for _ in range(k):
        dur, at = struct.unpack(">Qq", f.read(16)) if version == 1 else struct.unpack(">Ii", f.read(8))
        f.read(4)  # rate
        if at >= 0:  # -1: an empty edit (a pause), no samples
            shown.append((at, at + dur * media_scale / movie_scale))
    covered, reach = 0.0, lo
    for s, e in sorted(shown):
        s, e = max(s, reach), min(e, hi)
        if e > s:
            covered += e - s
            reach = e
    frames = round((hi - lo - covered) / frame)
    return frames if frames > 1 else 0  # a frame's rounding is no trim


def iter_frames(path: Path, one_size: bool = False) -> Iterator[DecodedFrame]:
    """Every frame of the first video stream, in decoding order. ``one_size``: refuse a stream
    whose picture changes size (a TS or MKV may; see size_changed)."""
    import av

    with open_container(path) as c:
        v = [s for s in c.streams if s.type == "video" and not _is_cover_art(s)][0]
        v.thread_type = "AUTO"
        i = 0
        size = None
        try:
            for frame in decode(c, v):
                if one_size:
                    size = size or (frame.width, frame.height)
                    if (frame.width, frame.height) != size:
                        raise size_changed(i, size, (frame.width, frame.height))
                yield DecodedFrame(i, frame, frame.time_base or v.time_base)
                i += 1
        except av.error.FFmpegError as e:
            raise CorruptInput(N_("video decoding failed at frame {frame}: {reason}").format(frame=i, reason=one_line(e))) from None
