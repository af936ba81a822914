"""Video frames on demand, by index, as the pipeline counts them (the n-th decoded frame).

Opening a video reads its packets once (no decoding) for the keyframes' timestamps. A seek
decodes from the last keyframe at or before the frame asked for; the decoder stays where it
stopped, so the next frames (playing, stepping) continue without seeking again, and the last
frames shown are kept as JPEG in a small cache.
"""
from __future__ import annotations

import bisect
import io
import threading
from collections import OrderedDict
from pathlib import Path

import av
import numpy as np
from PIL import Image

from ..media.video import decode


PREFETCH_BYTES = 384 << 20  # JPEGs kept of one video (about 3,000 frames at 1280 px wide)


class VideoFrames:
    """Frame ``i`` of a video as upright RGB (rotation applied), in the plan's frame numbering."""

    def __init__(self, path: Path, pts: list[int | None] | None = None, cache: int = 48) -> None:
        self.path = path
        self.lock = threading.Lock()
        self._c = av.open(str(path), metadata_errors="ignore")
        self._v = self._c.streams.video[0]
        self._v.thread_type = "AUTO"
        keys: list[int] = []
        seen: list[int] = []
        with av.open(str(path), metadata_errors="ignore") as c:
            for p in c.demux(c.streams.video[0]):
                if p.pts is None:
                    continue
                seen.append(p.pts)
                if p.is_keyframe:
                    keys.append(p.pts)
        ordered = sorted(seen)
        given = [p for p in (pts or []) if p is not None]
        # The plan's timestamps are the authority when there is one per frame; a file whose
        # packets carry no usable timestamps is decoded in order from the start instead.
        self.from_plan = bool(pts and len(given) == len(pts) and len(set(given)) == len(given))
        if self.from_plan:
            self.pts = list(pts)  # type: ignore[arg-type]
        elif ordered and len(set(ordered)) == len(ordered):
            self.pts = ordered
        else:
            self.pts = []
        self.count = len(pts) if pts else len(ordered)
        self.index = {p: i for i, p in enumerate(self.pts)}
        self.keys = sorted(set(keys))
        self._at = -1  # index of the frame the decoder gave last (-1: needs a seek)
        self._gen = None
        self._jpegs: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._cache = cache
        # every frame at the width the page shows, decoded once in order in the background, so
        # that a seek anywhere costs a dictionary look-up (a 1080p video often has one keyframe)
        self._all: dict[int, bytes] = {}
        self._all_width: int | None = None
        self._stop = threading.Event()
        self._prefetch: threading.Thread | None = None
        self._filled = threading.Condition()
        self._fill_at = -1  # the last frame the background decoder has done

    def close(self) -> None:
        self._stop.set()
        if self._prefetch is not None:
            self._prefetch.join(5)
        self._c.close()

    def prefetch(self, width: int | None, budget: int = PREFETCH_BYTES) -> None:
        """Start decoding every frame at ``width`` in the background (once per VideoFrames)."""
        if self._prefetch is not None:
            return
        self._all_width = width
        self._prefetch = threading.Thread(target=self._fill, args=(width, budget), daemon=True)
        self._prefetch.start()

    def _fill(self, width: int | None, budget: int) -> None:
        used = 0
        try:
            with av.open(str(self.path), metadata_errors="ignore") as c:
                v = c.streams.video[0]
                v.thread_type = "AUTO"
                n = -1
                for frame in decode(c, v):
                    n += 1
                    i = self.index.get(frame.pts) if self.pts else n
                    if self._stop.is_set() or i is None:
                        if self._stop.is_set():
                            return
                        continue
                    if i not in self._all:
                        data = _encode(_upright(frame), width, 85)
                        self._all[i] = data
                        used += len(data)
                    with self._filled:
                        self._fill_at = max(self._fill_at, i)
                        self._filled.notify_all()
                    if used > budget:
                        return  # a long video: the rest is decoded on demand, from its keyframes
        except av.error.FFmpegError:
            return
        finally:
            with self._filled:
                self._fill_at = self.count  # nothing more will come: nobody waits for it
                self._filled.notify_all()

    def _key_before(self, i: int) -> int:
        """The index of the last keyframe at or before frame ``i``."""
        if not self.pts or not self.keys:
            return 0
        k = bisect.bisect_right(self.keys, self.pts[i]) - 1
        return self.index.get(self.keys[max(k, 0)], 0)

    def _wait_for_fill(self, i: int) -> bytes | None:
        """Frame ``i`` from the background decoder when it will be there sooner than a seek
        would find it (a seek decodes from the keyframe before; the background decoder, which
        also encodes each frame, goes about half as fast), else None."""
        if self._prefetch is None or not self._prefetch.is_alive():
            return self._all.get(i)
        with self._filled:
            ahead = i - self._fill_at
            if ahead <= 0 or 2 * ahead >= i - self._key_before(i):
                return self._all.get(i)
            self._filled.wait_for(lambda: self._fill_at >= i or self._stop.is_set(), timeout=5)
        return self._all.get(i)

    def _frames(self):  # type: ignore[no-untyped-def]
        for frame in decode(self._c, self._v):
            yield frame

    def _seek_to(self, i: int) -> None:
        if not self.pts or not self.keys:
            self._c.seek(0, stream=self._v, backward=True)
            self._gen, self._at = self._frames(), -1
            return
        target = self.pts[i]
        k = bisect.bisect_right(self.keys, target) - 1
        start = self.keys[max(k, 0)]
        self._c.seek(start, stream=self._v, backward=True, any_frame=False)
        self._gen, self._at = self._frames(), None  # type: ignore[assignment]

    def rgb(self, i: int) -> np.ndarray:
        """Upright RGB pixels of frame ``i`` (0-based)."""
        with self.lock:
            if not 0 <= i < self.count:
                raise IndexError(i)
            # continue decoding when the frame asked for lies a little ahead (playing, stepping)
            if self._gen is None or self._at is None or not (self._at < i <= self._at + 12) or not self._next_key_after(self._at, i):
                self._seek_to(i)
            for frame in self._gen:  # type: ignore[union-attr]
                at = self.index.get(frame.pts) if self.pts else (self._at if self._at is not None else -1) + 1
                if at is None:
                    continue
                self._at = at
                if at == i:
                    return _upright(frame)
                if at > i:
                    break
            self._gen = None
            raise IndexError(f"frame {i} could not be decoded")

    def picture(self, i: int) -> np.ndarray:
        """Frame ``i`` for a thumbnail: from the frames decoded ahead when it is there (a look-up
        and a JPEG decode), decoded otherwise."""
        data = self._wait_for_fill(i)
        if data is not None:
            with Image.open(io.BytesIO(data)) as im:
                return np.asarray(im.convert("RGB"))
        return self.rgb(i)

    def _next_key_after(self, at: int, i: int) -> bool:
        """True when no keyframe lies between the decoder's frame and frame ``i`` (so decoding
        on is cheaper than seeking)."""
        if not self.pts:
            return True
        a, b = self.pts[at], self.pts[i]
        return bisect.bisect_right(self.keys, b) == bisect.bisect_right(self.keys, a)

    def jpeg(self, i: int, width: int | None = None, quality: int = 85) -> bytes:
        """Frame ``i`` as JPEG, shrunk to ``width`` (never enlarged)."""
        if width == self._all_width:
            data = self._wait_for_fill(i)
            if data is not None:
                return data
        key = (i, width or 0)
        hit = self._jpegs.get(key)
        if hit is not None:
            self._jpegs.move_to_end(key)
            return hit
        ahead = self._all.get(i)
        if ahead is not None and width is not None and (self._all_width is None or width <= self._all_width):
            data = _encode(self.picture(i), width, quality)  # smaller than the frame decoded ahead: from it
        else:
            data = _encode(self.rgb(i), width, quality)
        self._jpegs[key] = data
        while len(self._jpegs) > self._cache:
            self._jpegs.popitem(last=False)
        return data


def _encode(rgb: np.ndarray, width: int | None, quality: int) -> bytes:
    img = Image.fromarray(rgb)
    if width and width < img.width:
        img = img.resize((width, max(1, round(img.height * width / img.width))), Image.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _upright(frame) -> np.ndarray:  # type: ignore[no-untyped-def]
    rgb = frame.to_ndarray(format="rgb24")
    rotation = int(getattr(frame, "rotation", 0) or 0) % 360
    if rotation % 90 == 0 and rotation:
        rgb = np.rot90(rgb, k=rotation // 90)
    return np.ascontiguousarray(rgb)
