"""Every container the README promises for video, generated here with PyAV and cleaned end to
end: the MP4 output has the input's frames at the input's times (exact, as fractions of a
second), whatever clock the input counted in."""
from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import av
import numpy as np
import pytest

import unseen
from unseen.media.timeline import MAX_CLOCK, TS_WRAP, Timeline, expected, output_clock
from unseen.media.video import decode, iter_frames

W, H, N = 160, 120, 24


def _clip(path: Path, fmt: str, codec: str, options: dict[str, str] | None = None, pts: Callable[[int], int] | None = None, time_base: Fraction = Fraction(1, 25), n: int = N, rotation: int = 0) -> Path:
    out = av.open(str(path), "w", format=fmt)
    st = out.add_stream(codec, rate=25)
    st.width, st.height, st.pix_fmt = W, H, "yuv420p"
    if rotation:
        st.set_display_rotation(rotation)
    st.codec_context.time_base = time_base  # the encoder counts in the frames' clock
    if options:
        st.codec_context.options = options
    for i in range(n):
        rgb = np.full((H, W, 3), 40, np.uint8)
        rgb[:, (i * 5) % W : (i * 5) % W + 16] = 220  # a moving bar: every frame differs
        f = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        f.pts, f.time_base = (pts(i) if pts else i), time_base
        for p in st.encode(f):
            out.mux(p)
    for p in st.encode():
        out.mux(p)
    out.close()
    return path


def _times(path: Path) -> list[Fraction]:
    """Presentation times of the decoded frames, in seconds, from the start of the video."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        ticks = [f.pts for f in c.decode(v)]
        tb = Fraction(v.time_base)
    return [(t - ticks[0]) * tb for t in ticks]


CONTAINERS = {
    "clip.mkv": ("matroska", "libx264", {"bf": "3"}),  # B-frames, millisecond clock
    "clip.webm": ("webm", "libvpx", None),
    "clip.avi": ("avi", "mpeg4", {"bf": "2"}),  # packed B-frames: frames without timestamps
    "clip.wmv": ("asf", "wmv2", None),
    "clip.ts": ("mpegts", "libx264", {"bf": "2"}),
    "clip.ogv": ("ogg", "libvpx", None),  # Ogg video (this FFmpeg has no Theora encoder)
    "clip.3gp": ("3gp", "libx264", None),
    "clip.flv": ("flv", "flv", None),
    "clip.mpg": ("mpeg", "mpeg2video", {"bf": "2"}),
}


@pytest.mark.parametrize("name", sorted(CONTAINERS))
def test_each_container_cleans_with_the_input_times(tmp_path: Path, name: str) -> None:
    fmt, codec, options = CONTAINERS[name]
    src = _clip(tmp_path / name, fmt, codec, options)
    [res] = unseen.clean([src], faces=False)
    assert res.status == "ok", res.error
    assert res.output_format == "mp4" and Path(res.output).suffix == ".mp4"
    assert _times(Path(res.output)) == _times(src)
    assert len(_times(src)) == N
    assert not any("timestamp" in w for w in res.warnings)  # nothing was missing: nothing filled


def test_transport_stream_clock_wrapping_mid_clip(tmp_path: Path) -> None:
    """A 90 kHz clock that passes 2**33 half-way through the clip (a camera left running)."""
    src = _clip(tmp_path / "wrap.ts", "mpegts", "libx264", None, lambda i: TS_WRAP - 45_000 + 3600 * i, Fraction(1, 90000))
    [res] = unseen.clean([src], faces=False)
    assert res.status == "ok", res.error
    assert _times(Path(res.output)) == [Fraction(i, 25) for i in range(N)]


def test_variable_frame_rate_times_kept(tmp_path: Path) -> None:
    uneven = [0, 40, 70, 150, 160, 230, 300, 301, 380, 420, 500, 520, 600, 640, 700, 777, 800, 840, 900, 960, 1000, 1040, 1111, 1200]
    src = _clip(tmp_path / "vfr.mkv", "matroska", "libx264", {"bf": "2"}, lambda i: uneven[i], Fraction(1, 1000))
    [res] = unseen.clean([src], faces=False)
    assert res.status == "ok", res.error
    assert _times(Path(res.output)) == [Fraction(t, 1000) for t in uneven]


def _clock(path: Path) -> Fraction:
    with av.open(str(path)) as c:
        return Fraction(c.streams.video[0].time_base)


@pytest.mark.parametrize("fmt,time_base,step,clock", [
    ("mov", Fraction(1, 600), 20, Fraction(1, 90000)),  # an iPhone's clock (written as 1/19200 when kept)
    ("mp4", Fraction(1, 30000), 1001, Fraction(1, 90000)),  # 29.97 fps on a camera's clock
    ("mp4", Fraction(1, 24000), 1001, Fraction(1, 360000)),  # 23.976 fps: a finer clock keeps it exact
])
def test_the_output_clock_is_not_the_inputs(tmp_path: Path, fmt: str, time_base: Fraction, step: int, clock: Fraction) -> None:
    """A container's clock tells which device or app wrote it: every output is written on 90 kHz,
    or on a multiple of it the frames' own times need, with the input's times exact."""
    src = _clip(tmp_path / f"clip.{fmt}", fmt, "libx264", {"bf": "2"}, lambda i: step * i, time_base)
    assert _clock(src) != clock
    [res] = unseen.clean([src], faces=False)
    assert res.status == "ok", res.error
    assert _clock(Path(res.output)) == clock
    assert _times(Path(res.output)) == [i * step * time_base for i in range(N)]


def test_times_no_clock_of_ours_holds_are_rounded_to_it() -> None:
    """A clock finer than any multiple of 90 kHz up to MAX_CLOCK: times move by under one tick,
    and two input ticks within one output tick stay apart."""
    base = Fraction(1, 1_000_003)  # prime: no multiple of 90 kHz holds its times
    assert output_clock([0, 7, 40_000], base, Fraction(25)) == Fraction(1, 90000)
    out, _ = expected([0, 7, 40_000], base, Fraction(25), Fraction(1, 90000))
    assert out == [0, 1, round(Fraction(40_000 * 90000, 1_000_003))]
    assert output_clock([0, 1001, 2002], Fraction(1, 24000), Fraction(24000, 1001)) == Fraction(1, 360000) and MAX_CLOCK >= 360000


def test_timeline_repairs_only_what_is_broken() -> None:
    line = Timeline(Fraction(1, 1000), Fraction(25))
    assert [line.next(p) for p in (0, 40, None, 120, 120, 100, 200)] == [0, 40, 80, 120, 121, 122, 200]
    assert line.repaired == 3
    # a 90 kHz clock that wraps: counting goes on past 2**33 (from zero, as every output starts)
    out, repaired = expected([TS_WRAP - 3600, 0, 3600], Fraction(1, 90000), Fraction(25))
    assert out == [0, 3600, 7200] and repaired == 0
    # starting before zero, or long after it (a wall clock): moved to zero, spacing kept
    assert expected([-7200, -3600, 0], Fraction(1, 90000), Fraction(25)) == ([0, 3600, 7200], 0)
    clock = 1733565600 * 90000
    assert expected([clock, clock + 3600], Fraction(1, 90000), Fraction(25)) == ([0, 3600], 0)
    # a first frame without a time: the clock's first reading still lands a frame after it
    assert expected([None, clock + 3600, clock + 7200], Fraction(1, 90000), Fraction(25)) == ([0, 3600, 7200], 1)


def test_raw_stream_without_timestamps(tmp_path: Path) -> None:
    """An H.264 elementary stream carries no timestamps at all: frames are placed one frame
    apart at the stream's rate."""
    src = _clip(tmp_path / "clip.h264", "h264", "libx264", {"bf": "2"})
    with av.open(str(src)) as c:
        assert all(f.pts is None for f in c.decode(video=0))
    [res] = unseen.clean([src], faces=False)
    assert res.status == "ok", res.error
    assert _times(Path(res.output)) == [Fraction(i, 25) for i in range(N)]
    assert f"{N} frame timestamp(s) missing or out of order" in " ".join(res.warnings)


@pytest.mark.parametrize("name", ["cut.mkv", "cut.avi"])
def test_cut_video_refused_unless_salvaged(tmp_path: Path, name: str) -> None:
    """A video cut short is damaged input, refused like a cut photo or recording; Matroska
    and AVI declare their length (an MPEG-TS does not, so a cut one cannot be told)."""
    fmt, codec = ("matroska", "libx264") if name.endswith(".mkv") else ("avi", "mpeg4")
    whole = _clip(tmp_path / f"whole-{name}", fmt, codec, n=75)  # 3 s
    src = tmp_path / name
    raw = whole.read_bytes()
    src.write_bytes(raw[: len(raw) // 2])
    whole.unlink()
    [res] = unseen.clean([src], faces=False)
    assert res.status == "error" and "damaged video" in res.error and "--salvage" in res.error, res.error
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    [res] = unseen.clean([src], faces=False, salvage=True)
    assert res.status == "ok", res.error
    # Matroska states its length in a header; a cut AVI's length is what FFmpeg's scan finds
    stated = "of the 3.0 s" if name.endswith(".mkv") else "s of picture the file declares"
    assert any(w.startswith("damaged input salvaged:") and stated in w for w in res.warnings), res.warnings


@pytest.mark.parametrize("ext", [".mp4", ".mov"])
def test_a_recording_cut_before_its_index_says_nothing_can_be_salvaged(tmp_path: Path, ext: str) -> None:
    """A phone's recording stopped abruptly (or a copy cut short) lacks the index an MP4 or MOV
    writes last: nothing decodes. It read "not a readable media file" with and without
    --salvage, which left a person trying; now it says why and that salvage cannot help.
    A file that begins as an MP4 and holds no index is said so too."""
    whole = _clip(tmp_path / f"whole{ext}", "mp4" if ext == ".mp4" else "mov", "libx264", n=75)
    src = tmp_path / f"cut{ext}"
    raw = whole.read_bytes()
    assert raw.rfind(b"moov") > len(raw) // 2  # the index is written last
    src.write_bytes(raw[: len(raw) // 2])
    for salvage in (False, True):
        [res] = unseen.clean([src], faces=False, salvage=salvage, out_dir=tmp_path / "out")
        assert res.status == "error" and "without its index" in res.error and "nothing in it can be decoded or salvaged" in res.error, res.error
    [seen] = unseen.audit([src])
    assert seen.error and "without its index" in seen.error
    junk = tmp_path / f"junk{ext}"
    junk.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 4)
    [res] = unseen.clean([junk], faces=False, out_dir=tmp_path / "out")
    assert res.status == "error" and "without its index" in (res.error or ""), res.error
    text = tmp_path / f"notes{ext}"  # not an MP4 at all: the plain words
    text.write_bytes(b"these are my notes, not a video" * 20)
    [res] = unseen.clean([text], faces=False, out_dir=tmp_path / "out")
    assert res.status == "error" and "without its index" not in (res.error or ""), res.error
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_encoder_strings_are_found_by_their_whole_form_not_by_chance(tmp_path: Path) -> None:
    """A bare 4-byte name turns up in compressed data once in 4 GiB: a 1 GB video failed its
    check a third of the time. What FFmpeg and x264 write carries a version: that is looked for,
    across the read's chunk boundaries too."""
    from unseen.verify.still import strings_in_file
    from unseen.verify.video import ENCODER_STRINGS

    rng = np.random.default_rng(5)
    data = bytearray(rng.integers(0, 256, 3 << 20, dtype=np.uint8).tobytes())
    data[1000:1004] = b"Lavf"  # by chance, in the picture's bytes
    data[(1 << 20) - 11 : (1 << 20) + 2] = b"Lavc60.31.102"  # across a chunk boundary, "Lavc60.31.1" before it
    f = tmp_path / "out.mp4"
    f.write_bytes(bytes(data))
    assert strings_in_file(f, ENCODER_STRINGS, chunk=1 << 20) == ["Lavc60.31.102"]
    data[2 << 20 : (2 << 20) + 15] = b"x264 - core 164"
    f.write_bytes(bytes(data))
    assert sorted(strings_in_file(f, ENCODER_STRINGS, chunk=1 << 20)) == ["Lavc60.31.102", "x264 - core"]


def _grey_ts(path: Path, w: int, h: int, n: int, start: int) -> bytes:
    out = av.open(str(path), "w", format="mpegts")
    s = out.add_stream("libx264", rate=25)
    s.width, s.height, s.pix_fmt = w, h, "yuv420p"
    for i in range(n):
        f = av.VideoFrame.from_ndarray(np.full((h, w, 3), 40 + 3 * i, np.uint8), format="rgb24")
        f.pts = start + i
        for p in s.encode(f):
            out.mux(p)
    for p in s.encode():
        out.mux(p)
    out.close()
    return path.read_bytes()


def test_a_stream_that_changes_size_is_refused_not_cropped(tmp_path: Path) -> None:
    """A transport stream may change its picture's size midway: the second half came out as its
    top-left corner, a mask off the face it was for, and "verified"."""
    both = tmp_path / "both.ts"
    both.write_bytes(_grey_ts(tmp_path / "a.ts", 320, 240, 10, 0) + _grey_ts(tmp_path / "b.ts", 640, 480, 10, 10))
    out = tmp_path / "out"
    for faces in (True, False):
        [res] = unseen.clean([both], out, faces=faces)
        assert res.status == "error" and "changes size at frame 10 (320x240 to 640x480)" in (res.error or ""), res.error
    assert not out.exists() or list(out.iterdir()) == []


class _Empty:
    """An empty packet, as libtheora writes for a frame that repeats the last (PyAV's muxers
    drop empty packets, so they are added while reading)."""

    size, duration = 0, 1

    def __init__(self, pts: int) -> None:
        self.pts = pts


class _EmptyAfterEach:
    """A container whose every packet is followed by an empty one a tick later."""

    def __init__(self, container: av.container.InputContainer) -> None:
        self.container = container

    def demux(self, stream: av.video.stream.VideoStream) -> Iterator[object]:
        for p in self.container.demux(stream):
            yield p
            if p.size:
                yield _Empty(p.pts + 1)


def test_an_empty_packet_is_the_picture_before_it_at_its_own_time(tmp_path: Path) -> None:
    """Whatever the decoder's delay and reordering (threads, B-frames), each empty packet comes
    out in time order as a copy of the frame shown before it, turned as it is; the one after
    the last frame keeps the picture on to the end."""
    src = _clip(tmp_path / "b.mp4", "mp4", "libx264", {"bf": "3"}, n=12, rotation=90)
    with av.open(str(src)) as c:
        v = c.streams.video[0]
        v.thread_type = "AUTO"
        frames = [(f.pts, f.time_base, f.rotation, f.to_ndarray(format="rgb24")) for f in decode(_EmptyAfterEach(c), v)]
        c.seek(0)
        shown = sorted(f.pts for f in c.decode(v))
        assert [f[0] for f in frames] == sorted(shown + [t + 1 for t in shown]) and len(shown) == 12
        assert {(f[1], f[2]) for f in frames} == {(v.time_base, 90)}
    for shown, again in zip(frames[::2], frames[1::2]):
        assert np.array_equal(shown[3], again[3])
    assert not np.array_equal(frames[0][3], frames[2][3])


def _theora(tmp_path: Path) -> Path:
    """Three pictures of a bar, 0.6 s each, in Theora as ``ffmpeg -c:v libtheora`` writes it:
    an empty packet for each frame that repeats the one before."""
    from PIL import Image

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None or b"libtheora" not in subprocess.run([ffmpeg, "-hide_banner", "-encoders"], capture_output=True).stdout:
        pytest.skip("needs the ffmpeg command with the libtheora encoder (PyAV's FFmpeg has no Theora encoder)")
    for k in range(3):
        rgb = np.full((48, 64, 3), 40, np.uint8)
        rgb[:, 16 * k + 4 : 16 * k + 20] = 220
        Image.fromarray(rgb).save(tmp_path / f"p{k}.png")
    src = tmp_path / "still.ogv"
    subprocess.run([ffmpeg, "-v", "error", "-framerate", "5/3", "-i", str(tmp_path / "p%d.png"), "-r", "25", "-c:v", "libtheora", "-q:v", "7", str(src)], check=True)
    return src


def _bars(frames: list[np.ndarray]) -> list[int]:
    """Which of the three pictures each frame shows (where its bar starts, a sixteenth of the way)."""
    return [int(np.argmax(rgb[24, :, 0] > 128)) // 16 for rgb in frames]


def test_theora_repeated_frames_are_shown_at_their_times(tmp_path: Path) -> None:
    """libtheora's empty packets (FFmpeg's decoder refuses them: the video was refused) are the
    picture before shown again: a frame for each packet's time, each showing the picture a
    player shows then."""
    src = _theora(tmp_path)
    with av.open(str(src)) as c:
        packets = [(p.pts, p.size) for p in c.demux(video=0) if p.pts is not None]
    assert sum(1 for _, size in packets if not size) > len(packets) // 2
    frames = list(iter_frames(src))
    assert [f.pts for f in frames] == [t for t, _ in packets]
    assert _bars([f.rgb() for f in frames]) == [t // 15 for t, _ in packets]
    # the review page's frames, by seeking, too
    from unseen.review.frames import VideoFrames

    page = VideoFrames(src)
    try:
        assert page.count == len(packets)
        assert _bars([page.rgb(i) for i in (40, 7, 20, 21)]) == [packets[i][0] // 15 for i in (40, 7, 20, 21)]
    finally:
        page.close()


def test_theora_repeated_frames_clean(tmp_path: Path) -> None:
    src = _theora(tmp_path)
    [res] = unseen.clean([src], faces=False)
    assert res.status == "ok", res.error
    assert _times(Path(res.output)) == [Fraction(f.pts, 25) for f in iter_frames(src)]
    assert _bars([f.rgb() for f in iter_frames(Path(res.output))]) == [f.pts // 15 for f in iter_frames(src)]
