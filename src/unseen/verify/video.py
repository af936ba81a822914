"""Video verification: every output is read back before it is released.

Two halves. ``FrameCheck`` decodes the encoder's packets with a decoder of its own, in a thread
beside the encoder (so reading back costs little extra time on two cores), and checks sampled
frames: masks present, and no face the second detector sees outside them. ``check_file`` then
reads the written file: streams and tags exactly as meant, no encoder strings, the input's
frame count and timestamps, and the very packets the frame check decoded (compared by digest),
so what was checked is what is released.
"""
from __future__ import annotations

import hashlib
import queue
import threading
from functools import lru_cache
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..i18n import N_
from ..media import timeline
from ..media.video import Colour, VideoInfo, open_container, rgb_at, sample_aspect
from ..mask import Area, MaskStyle, mask_areas
from ..types import Detections, Region
from ..media.timeline import seconds
from .still import has_area, strings_in_file, unmasked_faces

if TYPE_CHECKING:
    from ..detect import FaceChecker, FaceJudge, Judgement

# The checker's threshold on video: 0.5 (its still-image setting) fires on hands and stage
# lights in crowded footage, every round adding boxes that create new edges; 0.6 keeps real
# faces (BlazeFace scores frontal faces above 0.8) and converges.
VIDEO_CHECK_THRESHOLD = 0.6
# masks are checked on every second pixel of every second row: a quarter of the work on the
# read-back's thread (0.4 s of CPU on the 1080p test clip at full density), every box still
# sampled evenly (video masks are on the 8-px grid)
MASK_SAMPLE_STEP = 2
ALLOWED_CONTAINER_TAGS = {"major_brand", "minor_version", "compatible_brands"}
ALLOWED_STREAM_TAGS = {"language", "handler_name", "vendor_id"}
GENERIC_HANDLERS = {"VideoHandler", "SoundHandler", ""}
# what x264 and FFmpeg write of themselves, in forms too long to turn up in compressed data by
# chance (see verify.still.strings_in_file)
ENCODER_STRINGS = (rb"x264 - core", rb"Lavf\d+\.\d+\.\d+", rb"Lavc\d+\.\d+\.\d+", rb"libx264")


def colour_share(rgb: np.ndarray, areas: "list[Area]", color: tuple[int, int, int], tolerance: int = 40, step: int = 1) -> list[float]:
    """Share of the pixels each mask area covers (see mask.region_mask) that are within
    ``tolerance`` of ``color`` in every channel (H.264 is lossy). With ``step``, only every
    step-th pixel of every step-th row of the frame is looked at (each area keeps a regular
    sample of its own pixels; a missing or shifted mask shows just the same)."""
    shares = []
    for (x0, y0, x1, y1), inside in areas:
        sx0, sy0 = -(-x0 // step) * step, -(-y0 // step) * step  # the sample grid is the frame's
        part = rgb[sy0:y1:step, sx0:x1:step]
        near = np.ones(part.shape[:2], dtype=bool)
        for c, value in enumerate(color):  # uint8 comparisons per channel: no wide copy
            if value - tolerance > 0:
                near &= part[..., c] >= value - tolerance
            if value + tolerance < 255:
                near &= part[..., c] <= value + tolerance
        if inside is not None:
            near = near[inside[sy0 - y0 :: step, sx0 - x0 :: step]]
        shares.append(float(near.mean()) if near.size else 1.0)
    return shares


def checker_faces(checker: "FaceChecker", judge: "FaceJudge", small: np.ndarray, width: int, height: int, threshold: float) -> "Judgement":
    """The second detector's finds on a ``width`` x ``height`` frame given shrunk to its working
    size, at ``threshold`` and up, judged (a second look on the shrunk picture where the checker
    is not sure; bars by the face's height in the frame), none lying on a fill; boxes in the
    frame's pixels. Used before encoding, on the read-back and by ``audit``: one rule for a face
    on a video frame."""
    from ..detect import FILL_SHARE, Judgement, fill_share
    from ..media.panorama import brought_back, pole_views

    kx, ky = small.shape[1] / width, small.shape[0] / height
    found = Detections(r.scaled(kx, ky) for r in checker.find_shrunk(small, width, height) if r.score >= threshold)
    # as for photos: a find lying on a fill (a solid mask) is no face, before encoding, on the
    # read-back and to ``audit`` alike (the read-back counted it covered, audit reported it)
    found = Detections(r for r in found if fill_share(small, r) < FILL_SHARE)
    verdict = judge.checker_finds(small, found, scale=ky)
    for view in pole_views(small.shape[1], small.shape[0]):  # a 360 video's poles (see media.panorama)
        px = view.pixels(small)
        seen = judge.checker_finds(px, Detections(r for r in checker.find(px) if r.score >= threshold and fill_share(px, r) < FILL_SHARE), scale=ky)
        verdict = verdict + Judgement(brought_back(view, seen.faces), brought_back(view, seen.uncertain))
    return Judgement([r.scaled(1 / kx, 1 / ky) for r in verdict.faces], [r.scaled(1 / kx, 1 / ky) for r in verdict.uncertain])


@lru_cache(maxsize=1)
def readback_judge() -> "FaceJudge":
    """The read-back thread's own judge (model runtimes are not shared between threads)."""
    from ..detect import VISIBLE_RULE, FaceJudge, SecondLook
    from ..detect.centerface import CenterFace

    return FaceJudge(SecondLook(CenterFace()), VISIBLE_RULE)


def audit_frames(total: int | None, samples: int = 20) -> set[int]:
    """The frames ``audit`` looks at in a video said to hold ``total`` frames; the read-back
    checks them too, so that a video ``clean`` released is one ``audit`` does not flag."""
    step = max(1, total // samples) if total else 25
    return {k * step for k in range(samples)}


def readback_frames(n: int, every: int, track_ends: set[int], declared: int | None) -> set[int]:
    """The frames of an ``n``-frame output the read-back checks for faces: ``sampled_frames``,
    and those ``audit`` of the output will look at. The output (MP4) declares its ``n`` frames
    where an MKV, WebM or TS input (``declared``) said none: audit then samples n/20, not the
    one frame in 25 of a length unknown."""
    return {f for f in sampled_frames(n, every, track_ends) | audit_frames(n) | audit_frames(declared) if f < n}


def sampled_frames(n: int, every: int, track_ends: set[int]) -> set[int]:
    """One frame in ``every``, both ends of the video, and the ends of every track (thinned to
    one frame in six on crowded footage, where every analysed frame ends some track)."""
    ends = sorted(track_ends)
    if len(ends) > n // 6:
        ends = ends[:: max(1, -(-len(ends) // max(1, n // 6)))]
    return set(range(0, n, max(1, every))) | {0, n - 1} | set(ends)


def annexb_units(data: bytes) -> list[bytes]:
    """H.264 NAL units of a byte stream (start codes), as the encoder emits them."""
    units, i = [], data.find(b"\x00\x00\x01")
    while i >= 0:
        j = data.find(b"\x00\x00\x01", i + 3)
        units.append(data[i + 3 : j if j >= 0 else len(data)].rstrip(b"\x00"))
        i = j
    return [u for u in units if u]


def avcc_units(data: bytes, size: int = 4) -> list[bytes]:
    """H.264 NAL units of an MP4 sample (each unit prefixed by its length)."""
    units, i = [], 0
    while i + size <= len(data):
        n = int.from_bytes(data[i : i + size], "big")
        units.append(data[i + size : i + size + n].rstrip(b"\x00"))
        i += size + n
    return [u for u in units if u]


def _counted_units(record: bytes, i: int, count: int) -> tuple[list[bytes], int]:
    """``count`` units from ``record`` at ``i``, each after its 16-bit length; and where they end."""
    units = []
    for _ in range(count):
        n = int.from_bytes(record[i : i + 2], "big")
        units.append(record[i + 2 : i + 2 + n].rstrip(b"\x00"))
        i += 2 + n
    return units, i


def avcc_setup(record: bytes) -> tuple[list[bytes], int]:
    """The SPS and PPS units of an MP4 'avcC' record, and the sample length-prefix size."""
    if len(record) < 7:
        return [], 4
    sps, i = _counted_units(record, 6, record[5] & 0x1F)  # SPS count in byte 5
    pps, _ = _counted_units(record, i + 1, record[i]) if i < len(record) else ([], i)  # PPS count, then PPS
    return sps + pps, (record[4] & 3) + 1


def _digest(units: list[bytes], pts: int | None, dts: int | None, time_base: Fraction, h: "hashlib._Hash") -> None:
    """Hash a packet's units and its times in seconds (the muxer re-times packets to its own
    clock: the same time is another number in the file)."""
    for u in units:
        h.update(len(u).to_bytes(8, "little"))
        h.update(u)
    h.update(repr((seconds(pts, time_base), seconds(dts, time_base))).encode())


class FrameCheck:
    """Decodes the encoder's packets in a thread and checks the sampled frames.

    ``feed`` every video packet before it is muxed, then ``finish``. Afterwards: ``problems``
    (masks missing, decode errors), ``unmasked`` (faces found outside the masks, per frame),
    ``seen`` (frames the face check ran on), ``pts`` (decoded frames' timestamps) and
    ``digest`` (of all packets fed, for ``check_file``).
    """

    def __init__(self, masks: dict[int, list[Region]], style: MaskStyle, sample: set[int], faces: bool, skip_faces: frozenset[int] | set[int] = frozenset()) -> None:
        self.masks, self.style, self.sample, self.faces, self.skip = masks, style, sample, faces, skip_faces
        self.problems: list[str] = []
        self.unmasked: dict[int, list[Region]] = {}
        self.seen: set[int] = set()
        self.pts: list[int | None] = []
        self.time_base = Fraction(1)  # of ``pts``: the encoder's packets'
        self._hash = hashlib.sha256()
        self._queue: queue.Queue = queue.Queue(maxsize=64)
        self._error: BaseException | None = None
        self._stop = False
        self._decoder = None
        self._checker = None
        if faces:
            from ..detect import FaceChecker

            # an instance of its own: LiteRT interpreters are not shared between threads, and
            # the render thread checks frames before encoding (video_pipeline.PreCheck)
            self._checker = FaceChecker(threads=1)
        self._thread = threading.Thread(target=self._work, name="unseen-verify", daemon=True)
        self._thread.start()

    def feed(self, data: bytes, pts: int | None, dts: int | None, time_base, extradata: bytes | None) -> None:  # type: ignore[no-untyped-def]
        _digest(annexb_units(data), pts, dts, time_base, self._hash)
        self.time_base = Fraction(time_base)
        self._queue.put((data, pts, dts, time_base, extradata))

    def finish(self) -> None:
        """Wait for the last frames to be checked; errors in the thread are raised here."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """The render failed or was interrupted: stop checking, do not wait for the backlog."""
        self._stop = True
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass  # the queue is full: the thread sees the flag at its next item and returns
        # wait for the frame being checked: a model still running in a thread when the process
        # exits aborts it (C++ "terminate called"), which would turn a clean failure into a crash
        self._thread.join(timeout=30)

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()

    def _work(self) -> None:
        import av

        try:
            while True:
                item = self._queue.get()
                if self._stop:
                    return
                if self._decoder is None and item is not None:
                    self._decoder = av.CodecContext.create("h264", "r")
                    if item[4]:
                        self._decoder.extradata = item[4]
                if item is None:
                    for frame in self._decoder.decode(None) if self._decoder is not None else []:
                        self._check(frame)
                    return
                data, pts, dts, time_base, _ = item
                pk = av.Packet(data)
                pk.pts, pk.dts, pk.time_base = pts, dts, time_base
                for frame in self._decoder.decode(pk):
                    self._check(frame)
        except av.error.FFmpegError as e:
            self.problems.append(N_("output does not decode: {reason}").format(reason=" ".join(str(e).split())))
            self._drain()
        except BaseException as e:  # surfaced by finish(): a failed check never passes silently
            self._error = e
            self._drain()

    def _drain(self) -> None:
        while self._queue.get() is not None:
            pass

    def _check(self, frame) -> None:  # type: ignore[no-untyped-def]
        i = len(self.pts)
        self.pts.append(frame.pts)
        if i not in self.sample:
            return
        w, h = frame.width, frame.height
        masks, style = self.masks.get(i, []), self.style
        if style.fill == "solid" and masks:  # the only check that needs the full-size picture
            rgb = frame.to_ndarray(format="rgb24")
            areas = mask_areas(masks, w, h, style.grid)
            for ((x0, y0, _, _), _), share in zip(areas, colour_share(rgb, areas, style.color, step=MASK_SAMPLE_STEP)):
                if share < 0.97:
                    self.problems.append(N_("mask not present in frame {frame} at {point}").format(frame=i, point=f"({x0},{y0})"))
        if self._checker is None or i in self.skip:
            return
        self.seen.add(i)
        small = rgb_at(frame, *self._checker.working_size(w, h))
        seen = Detections(checker_faces(self._checker, readback_judge(), small, w, h, VIDEO_CHECK_THRESHOLD).faces)
        open_ = unmasked_faces(seen, masks, w, h, style.grid)
        for r in open_:
            self.unmasked.setdefault(i, []).append(Region(r.x0, r.y0, r.x1, r.y1, r.score, "verify:" + r.source))
        on_fill = [r for r in seen if r not in open_ and has_area(r, w, h)]
        if style.fill != "solid" and on_fill:
            # a face seen through a mosaic, a blur or noise: ``audit`` reports it, and another
            # mosaic or blur would show it again (stills draw noise afresh; a video fails, and
            # cleaning it again draws new noise)
            self.problems.append(N_("a face still shows through the {fill} fill in frame {frame} (--fill solid hides it)").format(fill=style.fill, frame=i))


def check_file(path: Path, info: VideoInfo, pts_in: list[int | None], want_audio: bool, checked: FrameCheck, extradata: bytes | None, clock: Fraction | None = None) -> list[str]:
    """The written file: streams and tags exactly as meant, no encoder strings, the input's
    frames and timestamps (on ``clock``, see media.timeline.output_clock), and video packets
    identical to those ``checked`` decoded."""
    problems: list[str] = []
    for text in strings_in_file(path, ENCODER_STRINGS):
        problems.append(N_("encoder string {text} in output").format(text=repr(text)))
    want = {"video"} | ({"audio"} if want_audio else set())
    with open_container(path) as c:
        kinds = [s.type for s in c.streams]
        if sorted(kinds) != sorted(want):
            problems.append(N_("output streams {kinds}, expected {expected}").format(kinds=kinds, expected=sorted(want)))
        extra = {k for k in c.metadata if k not in ALLOWED_CONTAINER_TAGS}
        if extra:
            problems.append(N_("container tags in output: {tags}").format(tags=sorted(extra)))
        for s in c.streams:
            bad = {k for k in s.metadata if k not in ALLOWED_STREAM_TAGS}
            if s.metadata.get("handler_name", "") not in GENERIC_HANDLERS:
                bad.add("handler_name")
            if bad:
                problems.append(N_("stream tags in output: {tags}").format(tags=sorted(bad)))
        if callable(getattr(c, "chapters", None)) and c.chapters():
            problems.append(N_("chapters in output"))
        v = c.streams.video[0]
        file_clock = Fraction(v.time_base)
        vc = v.codec_context
        said = Colour(int(vc.color_primaries or 2), int(vc.color_trc or 2), int(vc.colorspace or 2), int(vc.color_range or 0) == 2)
        if said != info.colour.written():  # the input's description, and nothing else (see media.video.Colour)
            problems.append(N_("output colour description {said}, expected {expected}").format(said=said, expected=info.colour.written()))
        if sample_aspect(v) != info.upright_aspect:
            problems.append(N_("output pixel aspect {aspect}, expected {expected}").format(aspect=sample_aspect(v), expected=info.upright_aspect))
        setup, size = avcc_setup(v.codec_context.extradata or b"")
        if setup != annexb_units(extradata or b""):
            problems.append(N_("output decoder setup (SPS/PPS) differs from the checked stream"))
        h = hashlib.sha256()
        pts_file: list[Fraction] = []
        for pk in c.demux(v):
            if pk.size == 0 and pk.pts is None:  # the demuxer's end-of-stream marker
                continue
            _digest(avcc_units(bytes(pk), size), pk.pts, pk.dts, v.time_base, h)
            if pk.pts is not None:
                pts_file.append(pk.pts * Fraction(v.time_base))
    if h.hexdigest() != checked.digest:
        problems.append(N_("output video packets differ from the checked stream"))
    if len(checked.pts) != len(pts_in):
        problems.append(N_("output has {n} frames, input {expected}").format(n=len(checked.pts), expected=len(pts_in)))
    else:  # like with like: exact times in seconds, the input's as the encoder was given them
        clock = Fraction(clock or info.time_base)
        if file_clock != clock:
            problems.append(N_("output clock {clock}, expected {expected}").format(clock=file_clock, expected=clock))
        want = [seconds(p, clock) for p in timeline.expected(pts_in, info.time_base, info.rate, clock)[0]]
        got = [seconds(p, checked.time_base) for p in checked.pts]
        if got != want or sorted(pts_file) != want:
            problems.append(N_("output timestamps differ from the input's"))
    return problems
