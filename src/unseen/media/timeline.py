"""Input frame timestamps mapped onto the MP4 output, and compared as exact times.

Containers other than MP4 use other clocks (Matroska, WebM, FLV and ASF count milliseconds,
AVI counts frames, MPEG-TS a 90 kHz clock that wraps after 2**33 ticks), and some frames carry
no timestamp at all (AVI, raw streams) or repeat one. The encoder needs strictly increasing
timestamps, and the MP4 muxer re-times every track to a clock of at least 10 kHz, so the
written numbers differ from the input's even where the times are equal. Timestamps are
therefore kept in the input's time base, repaired only where they are missing or out of order,
and every comparison is made in seconds, as exact fractions.

The output's clock is not the input's: a container's clock says which device or app wrote it
(iPhones count 600 ticks a second, which the MP4 muxer writes as 19200; many Android phones
90000; some cameras 30000). Every video is written on a clock of 90000 ticks a second, or on a
multiple of it where the frames' own times need one to stay exact (23.976 fps: 360000): what
it says comes from the frames' times, which the picture shows anyway.
"""
from __future__ import annotations

from fractions import Fraction
from math import lcm
from pathlib import Path
from typing import Iterable

from ..i18n import N_

TS_WRAP = 1 << 33  # MPEG-TS timestamps are 33-bit counters of a 90 kHz clock
OUTPUT_CLOCK = 90000  # ticks a second of every video written (MPEG's clock: says nothing of the device)
# a finer clock than this is not sought: times that need one are rounded to OUTPUT_CLOCK ticks
# (11 microseconds at most), and MP4 stores ticks as 32-bit durations
MAX_CLOCK = 100 * OUTPUT_CLOCK


def seconds(ticks: int | None, time_base: Fraction) -> Fraction | None:
    """A timestamp as an exact time; None stays None."""
    return None if ticks is None else ticks * Fraction(time_base)


class Timeline:
    """Feeds the encoder: each frame's input timestamp, or a repaired one where the input's is
    missing (one frame after the last), wrapped (the 33-bit clock restarted) or not after the
    previous one (the smallest step after it). The output starts at zero whatever the input's
    first time: a later start would be written as an empty edit before the picture, and a
    clock that counts from the epoch (IP cameras, ``-use_wallclock_as_timestamps``) or from the
    start of a longer recording (a cut segment) tells when it was filmed; one before zero
    (FFmpeg unwraps a transport stream's clock into negative times) cannot be shown in MP4.
    Same input, same output: the read-back uses ``expected`` on the analysis pass's timestamps
    to know what the file must hold."""

    def __init__(self, time_base: Fraction, rate: Fraction | None, out: Fraction | None = None) -> None:
        """``out``: the clock the times are given in (see ``output_clock``); the input's own by
        default."""
        self.in_base = Fraction(time_base)
        self.time_base = Fraction(out) if out is not None else self.in_base  # of what ``next`` returns
        frame = 1 / (Fraction(rate) * self.in_base) if rate else Fraction(1, 25) / self.in_base
        self.step = max(1, round(frame))  # one frame, in the input's ticks
        self._last: int | None = None  # in the input's ticks
        self.last: int | None = None  # in the output's
        self.offset = 0
        self.shift = 0  # input ticks added to every time: minus the input's first
        self.started = False  # a timestamp was seen (frames before the first have none)
        self.repaired = 0

    def next(self, pts: int | None) -> int:
        last = self._last
        if pts is not None and not self.started:
            # the first time there is lands where the frames before it (without one) left off
            self.started = True
            self.offset = self.shift = (last + self.step if last is not None else 0) - pts
        elif pts is not None and last is not None and self.in_base == Fraction(1, 90000) and pts + self.offset < last - TS_WRAP // 2:
            self.offset += TS_WRAP  # the transport stream's clock wrapped: continue counting
        out = last + self.step if pts is None and last is not None else (pts or 0) + self.offset
        if last is not None and out <= last:
            out = last + 1
        if pts is None or out != pts + self.offset:  # missing or out of order (a shift is not a repair)
            self.repaired += 1
        self._last = out
        ticks = round(out * self.in_base / self.time_base)
        if self.last is not None and ticks <= self.last:  # two input ticks within one of the output's
            ticks = self.last + 1
        self.last = ticks
        return ticks

    @property
    def shift_seconds(self) -> Fraction:
        """What every time was moved by, in seconds."""
        return self.shift * self.in_base


def expected(pts: Iterable[int | None], time_base: Fraction, rate: Fraction | None, out: Fraction | None = None) -> tuple[list[int], int]:
    """The timestamps ``Timeline`` gives frames with these input timestamps (on the clock
    ``out``, the input's by default); and how many it had to repair."""
    line = Timeline(time_base, rate, out)
    ticks = [line.next(p) for p in pts]
    return ticks, line.repaired


def output_clock(pts: list[int | None], time_base: Fraction, rate: Fraction | None) -> Fraction:
    """The clock a video with these input timestamps is written on: OUTPUT_CLOCK ticks a second,
    or the smallest multiple of it that holds every frame's time exactly, up to MAX_CLOCK."""
    ticks, _ = expected(pts, time_base, rate)
    clock = OUTPUT_CLOCK
    for t in ticks:
        clock = lcm(clock, (t * Fraction(time_base)).denominator)
        if clock > MAX_CLOCK:
            return Fraction(1, OUTPUT_CLOCK)
    return Fraction(1, clock)


def _clock(text: str) -> float | None:
    """Matroska's DURATION tag, "HH:MM:SS.fraction", in seconds."""
    try:
        h, m, s = text.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    except ValueError:
        return None


def declared_seconds(path: Path) -> float | None:
    """How long the file says its picture lasts: the video stream's own duration (MP4, AVI, ASF,
    MPEG), Matroska's per-stream DURATION tag, or the container's duration when the picture is
    its only stream (otherwise a longer sound track would pass for a longer picture). None where
    the file says nothing (an MPEG-TS length is only estimated from what is there)."""
    from .video import _is_cover_art, open_container

    with open_container(path) as c:
        v = next((s for s in c.streams if s.type == "video" and not _is_cover_art(s)), None)
        if v is None:
            return None
        if v.duration and v.time_base:
            return float(v.duration * v.time_base)
        # FFmpeg writes Matroska's DURATION tag and the segment's duration as where the picture
        # ends: a segment cut from a longer recording (``ffmpeg -f segment``) starts later and
        # lasts that much less. mkvmerge writes both as the length (its statistics tags say so,
        # and an end cannot come before the start: a cut-short file has lost those tags)
        start = max(0.0, float(v.start_time * v.time_base)) if v.start_time is not None and v.time_base else 0.0
        if "_STATISTICS_WRITING_APP" in v.metadata:
            start = 0.0
        tag = v.metadata.get("DURATION") or v.metadata.get("duration")
        fmt = c.format.name.split(",")[0]
        told = _clock(str(tag)) if tag else None
        if told is None and c.duration and len(c.streams) == 1 and fmt not in ("mpegts", "mpeg"):
            told = c.duration / 1_000_000
        if told is not None:
            return told - start if told > start else told
    return None


def cut_short(path: Path, pts: list[int | None], time_base: Fraction, rate: Fraction | None) -> str | None:
    """Why the decoded frames fall short of the length the file declares (a file cut short, or
    frames that did not decode), or None. Half a second and two frames of slack: containers
    round their durations, and B-frame reordering shifts the first time."""
    declared = declared_seconds(path)
    if declared is None or not pts:
        return None
    times, _ = expected(pts, time_base, rate)
    frame = float(1 / rate) if rate else 0.04
    decoded = float((times[-1] - times[0]) * Fraction(time_base)) + frame
    if declared - decoded > 0.5 + 2 * frame:
        return N_("{decoded} s of the {declared} s of picture the file declares decode").format(decoded=f"{decoded:.1f}", declared=f"{declared:.1f}")
    return None
