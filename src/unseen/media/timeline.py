"""Input frame timestamps mapped onto the MP4 output, and compared as exact times.

Containers other than MP4 use other clocks (Matroska, WebM, FLV and ASF count milliseconds,
AVI counts frames, MPEG-TS a 90 kHz clock that wraps after 2**33 ticks), and some frames carry
no timestamp at all (AVI, raw streams) or repeat one. The encoder needs strictly increasing
timestamps, and the MP4 muxer re-times every track to a clock of at least 10 kHz, so the
written numbers differ from the input's even where the times are equal. Timestamps are
therefore kept in the input's time base, repaired only where they are missing or out of order,
and every comparison is made in seconds, as exact fractions.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable

from ..i18n import N_

TS_WRAP = 1 << 33  # MPEG-TS timestamps are 33-bit counters of a 90 kHz clock


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

    def __init__(self, time_base: Fraction, rate: Fraction | None) -> None:
        self.time_base = Fraction(time_base)
        frame = 1 / (Fraction(rate) * self.time_base) if rate else Fraction(1, 25) / self.time_base
        self.step = max(1, round(frame))  # one frame, in ticks
        self.last: int | None = None
        self.offset = 0
        self.shift = 0  # ticks added to every time: minus the input's first
        self.started = False  # a timestamp was seen (frames before the first have none)
        self.repaired = 0

    def next(self, pts: int | None) -> int:
        if pts is not None and not self.started:
            # the first time there is lands where the frames before it (without one) left off
            self.started = True
            self.offset = self.shift = (self.last + self.step if self.last is not None else 0) - pts
        elif pts is not None and self.last is not None and self.time_base == Fraction(1, 90000) and pts + self.offset < self.last - TS_WRAP // 2:
            self.offset += TS_WRAP  # the transport stream's clock wrapped: continue counting
        out = self.last + self.step if pts is None and self.last is not None else (pts or 0) + self.offset
        if self.last is not None and out <= self.last:
            out = self.last + 1
        if pts is None or out != pts + self.offset:  # missing or out of order (a shift is not a repair)
            self.repaired += 1
        self.last = out
        return out


def expected(pts: Iterable[int | None], time_base: Fraction, rate: Fraction | None) -> tuple[list[int], int]:
    """The timestamps ``Timeline`` gives frames with these input timestamps; and how many it
    had to repair."""
    line = Timeline(time_base, rate)
    out = [line.next(p) for p in pts]
    return out, line.repaired


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
