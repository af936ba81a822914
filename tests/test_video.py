"""Video: faces masked in every frame, same frames and timestamps, nothing of the container kept.

Clips are made here with PyAV from scikit-image's astronaut portrait moving across a canvas,
with real container tags, a location atom, an audio track and a rotation matrix."""
from __future__ import annotations

import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np
import pytest
from PIL import Image

import unseen
from unseen.cli import main

from conftest import FACE_BOX, mux_mono, needs_exiftool, sha, squeezed_crowd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from leaks import exiftool_tags, identifying  # noqa: E402

W, H, N = 480, 320, 24
HEAD = 200  # the 220x220 head-and-shoulders crop is drawn at this size


def _positions() -> list[int]:
    return [int(10 + i * (W - HEAD - 20) / (N - 1)) for i in range(N)]


def face_box(i: int) -> tuple[int, int, int, int]:
    k = HEAD / 220
    x = _positions()[i]
    fx0, fy0, fx1, fy1 = FACE_BOX
    return (int(x + (fx0 - 120) * k), int(60 + (fy0 - 40) * k), int(x + (fx1 - 120) * k), int(60 + (fy1 - 40) * k))


def make_clip(path: Path, astronaut: np.ndarray, *, audio: bool = True, rotation: int = 0, frames: int = N) -> list[int]:
    """An MP4 with variable frame timing; returns the pts written (time base 1/1000)."""
    head = np.asarray(Image.fromarray(astronaut[40:260, 120:340]).resize((HEAD, HEAD)))
    out = av.open(str(path), "w", format="mp4")
    out.metadata.update({"title": "Interview with Kim", "artist": "Kim Secret", "location": "+41.8083+129.5000/", "creation_time": "2026-03-01T10:11:12Z", "comment": "safe house"})
    v = out.add_stream("libx264", rate=10)
    v.width, v.height, v.pix_fmt = (H, W, "yuv420p") if rotation % 180 else (W, H, "yuv420p")
    v.time_base = Fraction(1, 1000)
    v.metadata["handler_name"] = "Kim's phone camera"
    if rotation:
        v.set_display_rotation(rotation)
    a = out.add_stream("aac", rate=16000) if audio else None
    pts, t = [], 0
    for i in range(frames):
        canvas = np.full((H, W, 3), 70, np.uint8)
        x = _positions()[i]
        canvas[60 : 60 + HEAD, x : x + HEAD] = head
        stored = np.ascontiguousarray(np.rot90(canvas, k=-(rotation // 90))) if rotation else canvas
        f = av.VideoFrame.from_ndarray(stored, format="rgb24")
        f.pts, f.time_base = t, Fraction(1, 1000)
        pts.append(t)
        t += 100 if i % 3 else 160  # variable frame rate
        for p in v.encode(f):
            out.mux(p)
    for p in v.encode():
        out.mux(p)
    if a is not None:
        tone = (0.2 * np.sin(np.arange(16000 * 2) * 2 * np.pi * 440 / 16000)).astype(np.float32)
        mux_mono(out, a, tone, 16000)
    out.close()
    return pts


def write_h264(path: Path, frames: Iterable[np.ndarray], size: tuple[int, int], rate: int = 25) -> Path:
    """An H.264 MP4 of RGB ``frames`` of ``size`` (width, height)."""
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=rate)
        v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
        for rgb in frames:
            for p in v.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
    return path


def read_frames(path: Path) -> tuple[list[np.ndarray], list[Fraction], list[str]]:
    """Frames, their presentation times in seconds, and the stream kinds."""
    with av.open(str(path)) as c:
        kinds = [s.type for s in c.streams]
        frames, times = [], []
        for f in c.decode(video=0):
            frames.append(f.to_ndarray(format="rgb24"))
            times.append(f.pts * f.time_base)
    return frames, times, kinds


def covered(rgb: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x0, y0, x1, y1 = box
    return float((rgb[y0:y1, x0:x1] <= 40).all(-1).mean())


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> tuple[Path, list[int]]:
    folder = tmp_path_factory.mktemp("clip")
    path = folder / "interview.mov"
    make_clip(path, astronaut)
    times = read_frames(path)[1]
    assert len(set(np.diff([float(t) for t in times]).round(3))) > 1  # really variable frame rate
    return path, times


@pytest.fixture(scope="module")
def cleaned(clip, tmp_path_factory: pytest.TempPathFactory):
    src, pts = clip
    out_dir = tmp_path_factory.mktemp("out")
    before = sha(src)
    [res] = unseen.clean([src], out_dir)
    assert res.status == "ok", res.error
    assert sha(src) == before
    return res, pts


def test_every_frame_masked_same_timing(cleaned) -> None:
    res, pts = cleaned
    out = Path(res.output)
    assert out.name == "interview.unseen.mp4"
    frames, out_pts, kinds = read_frames(out)
    assert kinds == ["video"]
    assert out_pts == pts  # same frames, same (variable) timestamps
    for i, rgb in enumerate(frames):
        assert rgb.shape == (H, W, 3)
        assert covered(rgb, face_box(i)) > 0.97, f"frame {i}"
    assert any("audio dropped" in w for w in res.warnings)


def test_nothing_of_the_container_kept(cleaned) -> None:
    res, _ = cleaned
    raw = Path(res.output).read_bytes()
    for needle in (b"Kim", b"safe house", b"+41.8", b"2026", b"x264 - core", b"Lavf", b"Lavc"):
        assert needle not in raw, needle
    with av.open(res.output) as c:
        assert set(c.metadata) <= {"major_brand", "minor_version", "compatible_brands"}
        assert c.streams.video[0].metadata.get("handler_name") == "VideoHandler"
    assert "location" in res.metadata_found and "audio stream" in res.metadata_found


@needs_exiftool
def test_exiftool_and_ffprobe_see_nothing_identifying(clip, cleaned) -> None:
    src, _ = clip
    res, _ = cleaned
    assert len(identifying(exiftool_tags(src))) >= 4
    assert identifying(exiftool_tags(Path(res.output))) == []
    if shutil.which("ffprobe"):
        out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type:format_tags", "-of", "compact", res.output], capture_output=True, text=True).stdout
        assert "codec_type=audio" not in out and "creation_time" not in out and "location" not in out


def test_audio_kept_when_asked(clip, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, pts = clip
    assert main(["clean", str(src), "-o", str(tmp_path), "--audio", "keep"]) == 0
    said = capsys.readouterr()
    assert (said.out + said.err).count("voices identify people") == 1  # on the video's own line, once
    out = tmp_path / "interview.unseen.mp4"
    _, out_pts, kinds = read_frames(out)
    assert sorted(kinds) == ["audio", "video"] and out_pts == pts
    with av.open(str(out)) as c:
        assert c.streams.audio[0].codec_context.name == "aac"


def test_rotation_applied_to_pixels(astronaut: np.ndarray, tmp_path: Path) -> None:
    src = tmp_path / "sideways.mp4"
    make_clip(src, astronaut, audio=False, rotation=90, frames=8)
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    frames, _, _ = read_frames(Path(res.output))
    with av.open(res.output) as c:
        f = next(c.decode(video=0))
        assert int(f.rotation or 0) == 0
    for i, rgb in enumerate(frames):
        assert rgb.shape == (H, W, 3)
        assert covered(rgb, face_box(i)) > 0.97
    # audit says so of the input, at its upright size, as clean wrote it
    [aud] = unseen.audit([src], faces=False)
    assert (aud.width, aud.height) == (W, H) and any(f.name == "rotation" and "90" in f.value for f in aud.findings), aud.findings


def _planes(path: Path) -> list[np.ndarray]:
    """Each frame's values as stored (8-bit yuv420p, packed; deeper formats shortened), no range
    conversion, and the stream's colour description."""
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="yuv420p", src_color_range=f.color_range or None, dst_color_range=f.color_range or None) for f in c.decode(video=0)]


def _colour(path: Path) -> tuple[int, int, int, int]:
    with av.open(str(path)) as c:
        cc = c.streams.video[0].codec_context
        return int(cc.color_primaries), int(cc.color_trc), int(cc.colorspace), int(cc.color_range == 2)


def _coded_clip(path: Path, astronaut: np.ndarray, codec: str, pix_fmt: str, colour: tuple[int, int, int, int], frames: int = 6) -> None:
    """The astronaut on a flat ground, coded with the given pixel format and colour description."""
    out = av.open(str(path), "w")
    v = out.add_stream(codec, rate=10)
    v.width, v.height, v.pix_fmt = W, H, pix_fmt
    cc = v.codec_context
    cc.color_primaries, cc.color_trc, cc.colorspace, cc.color_range = colour[0], colour[1], colour[2], 2 if colour[3] else 1
    if codec == "libx265":
        cc.options = {"x265-params": "log-level=error:bframes=0"}  # (with B-frames a short clip now and then did not mux)
    head = np.asarray(Image.fromarray(astronaut[40:260, 120:340]).resize((HEAD, HEAD)))
    for i in range(frames):
        canvas = np.full((H, W, 3), 90, np.uint8)
        canvas[60 : 60 + HEAD, 140 : 140 + HEAD] = head
        f = av.VideoFrame.from_ndarray(canvas, format="rgb24").reformat(format=pix_fmt, dst_colorspace="BT2020" if colour[2] == 9 else None, dst_color_range=2 if colour[3] else 1)
        f.pts = i
        for pk in v.encode(f):
            out.mux(pk)
    for pk in v.encode():
        out.mux(pk)
    out.close()


@pytest.mark.parametrize("name,codec,pix_fmt,colour", [
    ("hlg.mp4", "libx265", "yuv420p10le", (9, 18, 9, 0)),  # a phone's HDR video: BT.2020, HLG, 10 bits
    ("full.mp4", "libx264", "yuvj420p", (1, 1, 1, 1)),  # full range (webcams, some phones)
])
def test_the_picture_keeps_its_colour_description_and_values(astronaut: np.ndarray, tmp_path: Path, name: str, codec: str, pix_fmt: str, colour: tuple[int, int, int, int]) -> None:
    """The output holds the input's values (8 bits of them), and says how they are to be shown
    as the input did: an HDR video described as nothing plays washed out, a full-range one
    shown as limited loses its shadows."""
    src = tmp_path / name
    _coded_clip(src, astronaut, codec, pix_fmt, colour)
    assert _colour(src) == colour
    [res] = unseen.clean([src], tmp_path / "out")
    assert res.status == "ok", res.error
    assert _colour(Path(res.output)) == colour
    before, after = _planes(src), _planes(Path(res.output))
    assert len(before) == len(after)
    for a, b in zip(before, after):
        black = 0 if colour[3] else 16  # the mask is black in the picture's own range
        assert (np.abs(b[90:180, 200:280].astype(int) - black) <= 2).mean() > 0.9
        away = np.abs(a[:H, :120].astype(int) - b[:H, :120].astype(int))  # the ground: the same values
        assert away.mean() < 2, away.mean()


def test_the_cut_detector_reads_a_deep_picture_as_it_looks(astronaut: np.ndarray, tmp_path: Path) -> None:
    """10-bit luma (a phone's HDR video) is thumbnailed by its values, not by its bytes (whose
    low halves changed like noise between frames of one shot)."""
    from unseen.media.video import DecodedFrame

    src = tmp_path / "deep.mp4"
    _coded_clip(src, astronaut, "libx265", "yuv420p10le", (9, 18, 9, 0), frames=2)
    with av.open(str(src)) as c:
        for i, f in enumerate(c.decode(video=0)):
            luma = f.to_ndarray(format="yuv420p")[:H].astype(np.float32)
            grid = luma[np.linspace(0, H - 1, 18).astype(int)][:, np.linspace(0, W - 1, 32).astype(int)]
            assert np.abs(DecodedFrame(i, f, c.streams.video[0].time_base).thumbnail() - grid).max() <= 1


def test_a_turned_phone_video_is_masked_in_its_own_values(astronaut: np.ndarray, tmp_path: Path) -> None:
    """A portrait phone video (stored sideways, with a rotation) is turned and masked in its
    YUV values, as any other: away from the masks the output is the input turned upright."""
    src = tmp_path / "portrait.mp4"
    make_clip(src, astronaut, audio=False, rotation=270, frames=8)
    [res] = unseen.clean([src], tmp_path / "out")
    assert res.status == "ok", res.error
    with av.open(str(src)) as c:
        wanted = [np.rot90(f.to_ndarray(format="rgb24"), k=(int(f.rotation) % 360) // 90) for f in c.decode(video=0)]
    frames, _, _ = read_frames(Path(res.output))
    for i, (want, got) in enumerate(zip(wanted, frames)):
        assert got.shape == want.shape == (H, W, 3)
        assert covered(got, face_box(i)) > 0.97
        bare = (got > 12).any(-1)  # not masked
        assert np.abs(got[bare].astype(int) - want[bare].astype(int)).mean() < 3


def test_non_square_pixels_kept_and_faces_found_in_their_true_shape(astronaut: np.ndarray, tmp_path: Path) -> None:
    """Anamorphic video (DV, HDV): stored pixels are half as wide as tall here, so the stored
    face is squeezed to half its width. The detector sees frames stretched back to the true
    shape; the output keeps the pixel aspect (players show it unsqueezed) and the face masked."""
    head = np.asarray(Image.fromarray(astronaut[40:260, 120:340]).resize((HEAD // 2, HEAD)))
    src = tmp_path / "anamorphic.mp4"
    out = av.open(str(src), "w")
    v = out.add_stream("libx264", rate=10)
    v.width, v.height, v.pix_fmt = W // 2, H, "yuv420p"
    v.codec_context.sample_aspect_ratio = Fraction(2, 1)
    for i in range(6):
        canvas = np.full((H, W // 2, 3), 70, np.uint8)
        canvas[60 : 60 + HEAD, 20 + 4 * i : 20 + 4 * i + HEAD // 2] = head
        f = av.VideoFrame.from_ndarray(canvas, format="rgb24")
        f.pts, f.time_base = i, Fraction(1, 10)
        for pk in v.encode(f):
            out.mux(pk)
    for pk in v.encode():
        out.mux(pk)
    out.close()
    from unseen.media.video import iter_frames, probe_video

    assert probe_video(src).sample_aspect == 2
    assert next(iter(iter_frames(src))).scaled_rgb(1.0, sample_aspect=2.0).shape == (H, W, 3)
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    with av.open(res.output) as c:
        assert c.streams.video[0].sample_aspect_ratio == Fraction(2, 1)
    frames, _, _ = read_frames(Path(res.output))
    k = HEAD / 220
    fx0, fy0, fx1, fy1 = FACE_BOX
    for i, rgb in enumerate(frames):
        box = (int(20 + 4 * i + (fx0 - 120) * k / 2), int(60 + (fy0 - 40) * k), int(20 + 4 * i + (fx1 - 120) * k / 2), int(60 + (fy1 - 40) * k))
        assert covered(rgb, box) > 0.97, i


def test_video_bad_inputs(clip, astronaut: np.ndarray, tmp_path: Path) -> None:
    src, _ = clip
    raw = src.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(raw[: len(raw) // 2])
    garbage = tmp_path / "garbage.mkv"
    garbage.write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 500)
    sound = tmp_path / "sound.m4a"
    out = av.open(str(sound), "w", format="mp4")
    mux_mono(out, out.add_stream("aac", rate=16000), np.zeros(1024, np.float32), 16000)
    out.close()
    # a codec FFmpeg has no decoder for: the sample entry's four-character code made unknown
    unknown = tmp_path / "unknown_codec.mp4"
    unknown.write_bytes(raw.replace(b"avc1", b"zzzz").replace(b"avcC", b"zzzC"))
    results = unseen.clean([cut, garbage, unknown])
    errors = [r.error for r in results]
    assert all(r.status == "error" and r.output is None for r in results), errors
    assert all(("media" in e or "video" in e or "recording" in e) and "\n" not in e for e in errors)
    assert "without its index" in errors[0]  # an MP4 cut before the index it writes last
    assert "codec not supported" in errors[2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4", "garbage.mkv", "sound.m4a", "unknown_codec.mp4"]
    # a container without a picture stream is sound: it goes to the audio pipeline
    [res] = unseen.clean([sound], voice="mute")
    assert res.status == "ok" and res.kind == "audio" and res.output.endswith("sound.unseen.m4a")


def test_audit_video_reports_tags_audio_and_faces(clip, capsys: pytest.CaptureFixture[str]) -> None:
    src, _ = clip
    [res] = unseen.audit([src])
    names = {f.name: f for f in res.findings}
    assert res.format == "mp4"  # written as an MP4 (brand isom); FFmpeg calls the whole family "mov"
    assert names["container tag 'location'"].category == "location"
    assert names["container tag 'artist'"].value == "Kim Secret"
    assert any(f.category == "voice" for f in res.findings)
    assert "stream 0 (video) tag 'handler_name'" in names
    assert res.faces and all(" at " in r.source for r in res.faces)
    assert main(["audit", str(src), "--no-faces"]) == 1
    assert "+41.8083+129.5000/" in capsys.readouterr().out
    # one person seen on every frame checked is counted in frames, not as that many faces
    assert main(["audit", str(src)]) == 1
    frames = len({r.source.rsplit(" at ", 1)[-1] for r in res.faces})
    table = capsys.readouterr().out
    assert f"faces on {frames} checked frame" in table and "faces found" not in table, table


@pytest.mark.parametrize("voice", ["mute", "disguise"])
def test_video_sound_muted_or_disguised(clip, tmp_path: Path, voice: str) -> None:
    src, times = clip
    [res] = unseen.clean([src], tmp_path, audio="keep", voice=voice)
    assert res.status == "ok", res.error
    with av.open(res.output) as c:
        assert sorted(s.type for s in c.streams) == ["audio", "video"]
        sound = np.concatenate([f.to_ndarray().ravel() for f in c.decode(audio=0)])
    [aud] = unseen.audit([res.output], faces=False)
    track = [f for f in aud.findings if f.name.endswith("audio track")]
    if voice == "mute":
        assert np.abs(sound).max() < 1e-4
        # audit listens: the silence clean kept is said to be silent, not flagged
        assert [(f.value, f.identifying) for f in track] == [("silent throughout", False)], aud.findings
    else:
        assert np.abs(sound).max() > 0.01 and any("not removal" in w for w in res.warnings)
        assert [f.identifying for f in track] == [True]


def test_audio_drop_said_outright_drops_the_sound_whatever_the_voice(clip, tmp_path: Path) -> None:
    """--voice disguise keeps a video's sound (disguised) unless --audio drop is said: then the
    sound goes (a batch of videos and recordings: the recordings' voices are disguised)."""
    src, _ = clip
    for audio, kinds in ((None, ["audio", "video"]), ("drop", ["video"])):
        [res] = unseen.clean([src], tmp_path / str(audio), audio=audio, voice="disguise", faces=False)
        assert res.status == "ok", res.error
        with av.open(res.output) as c:
            assert sorted(s.type for s in c.streams) == kinds


def _grey_picture(out: "av.container.OutputContainer", n: int, rate: int, sound: str, sound_rate: int, value: int = 100) -> "av.audio.stream.AudioStream":
    """``n`` flat grey 64x64 frames at ``rate`` a second, encoded into ``out`` beside a mono
    ``sound`` stream, returned for the test to fill."""
    v = out.add_stream("libx264", rate=rate)
    v.width, v.height, v.pix_fmt = 64, 64, "yuv420p"
    a = out.add_stream(sound, rate=sound_rate, layout="mono")
    for i in range(n):
        f = av.VideoFrame.from_ndarray(np.full((64, 64, 3), value, np.uint8), format="rgb24")
        f.pts, f.time_base = i, Fraction(1, rate)
        for p in v.encode(f):
            out.mux(p)
    for p in v.encode():
        out.mux(p)
    return a


def test_kept_sound_that_starts_after_the_picture_stays_in_step(tmp_path: Path) -> None:
    """A sound track that starts 1.5 s into the picture (a camera's transport stream, an edited
    clip) was written from zero: heard 1.5 s early."""
    from fractions import Fraction

    rate, path = 16000, tmp_path / "late.mkv"
    out = av.open(str(path), "w")
    a = _grey_picture(out, 75, 25, "pcm_s16le", rate)
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)).astype(np.float32)
    for k in range(0, rate, 1600):
        fr = av.AudioFrame.from_ndarray(tone[None, k : k + 1600], format="flt", layout="mono")
        fr.sample_rate, fr.pts, fr.time_base = rate, int(1.5 * rate) + k, Fraction(1, rate)
        for p in a.encode(fr):
            out.mux(p)
    for p in a.encode():
        out.mux(p)
    out.close()
    [res] = unseen.clean([path], tmp_path / "out", audio="keep", voice="keep", faces=False)
    assert res.status == "ok", res.error
    with av.open(res.output) as c:
        r = c.streams.audio[0].rate
        sound = np.concatenate([f.to_ndarray().ravel() for f in c.decode(audio=0)])
    heard = int(np.argmax(np.abs(sound) > 0.05)) / r
    assert 1.45 < heard < 1.6, heard  # AAC's priming: a frame of 1024 samples at most


def test_a_quiet_sound_in_a_video_is_not_called_silence(tmp_path: Path) -> None:
    """Sound 90 dB down is still sound (turned up, it is heard): only exact zeros are silence."""
    path, rate = tmp_path / "quiet.mkv", 16000
    out = av.open(str(path), "w")
    a = _grey_picture(out, 10, 10, "pcm_f32le", rate, 128)
    t = np.arange(rate) / rate
    mux_mono(out, a, (3e-5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), rate)
    out.close()
    [aud] = unseen.audit([path], faces=False)
    assert [(f.value, f.identifying) for f in aud.findings if f.name.endswith("audio track")] == [("voices and background sounds can identify people and places", True)], aud.findings


def test_missing_masks_fail_closed(clip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A render that forgets to draw the masks is caught by the read-back: no output."""
    import unseen.pipeline.video_encode as ve

    monkeypatch.setattr(ve, "fill_yuv420", lambda planes, *rest: planes)
    src, _ = clip
    [res] = unseen.clean([src], tmp_path)
    assert res.status == "error"
    assert "mask not present in frame" in res.error
    assert list(tmp_path.iterdir()) == []


def test_file_must_hold_the_checked_packets(clip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The frame check decodes the encoder's packets; the released file must hold exactly
    those. A packet that reaches the file unchecked fails verification."""
    import unseen.pipeline.video as vp

    real_render = vp.encode

    def render_skipping_one(*args, **kwargs):  # type: ignore[no-untyped-def]
        feed = args[9]
        seen = []

        def feed_but_one(data, *rest):  # type: ignore[no-untyped-def]
            seen.append(1)
            if len(seen) != 5:
                feed(data, *rest)

        return real_render(*args[:9], feed_but_one, **kwargs)

    monkeypatch.setattr(vp, "encode", render_skipping_one)
    src, _ = clip
    [res] = unseen.clean([src], tmp_path)
    assert res.status == "error"
    # the skipped packet shifts every later frame: caught by the masks (which now follow each
    # face frame by frame) or by the packet digest, whichever check reads it first
    assert any(m in res.error for m in ("differ from the checked stream", "frames, input", "mask not present"))
    assert list(tmp_path.iterdir()) == []


def test_second_detector_covers_a_missed_face_in_the_same_render(clip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the analysis misses a face, the checks before encoding find it: the main detector
    on the frames the analysis did not search, BlazeFace on the read-back's sample of masked
    frames; frames around each checked frame are covered in the first render."""
    import unseen.pipeline.video as vp

    real_search = vp.search

    def blind_search(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = real_search(*args, **kwargs)
        return vp.Analysis(looked=found.looked, cuts=found.cuts, pts=found.pts)

    monkeypatch.setattr(vp, "search", blind_search)
    src, _ = clip
    [res] = unseen.clean([src], tmp_path)
    assert res.status == "ok", res.error
    assert res.verification.rounds == 1
    assert res.regions and {r.source.split(" ")[0].split("-")[0] for r in res.regions} == {"verify:blazeface", "verify:centerface"}
    frames, _, _ = read_frames(Path(res.output))
    for i in (0, 12, N - 1):  # sampled frames: checked before encoding, covered
        assert covered(frames[i], face_box(i)) > 0.97, f"frame {i}"


def test_a_find_on_a_solid_mask_is_no_face_to_the_read_back_nor_to_audit(astronaut: np.ndarray) -> None:
    """The read-back counted a face BlazeFace saw on a solid mask as covered while ``audit``,
    which knows no masks, reported it: both now drop it by the photos' rule (a find on a fill)."""
    from unseen.types import Detections, Region
    from unseen.verify.video import checker_faces, readback_judge

    frame = astronaut.copy()
    frame[300:440, 20:160] = 0  # a solid mask
    on_mask, on_face = Region(40, 320, 140, 420, 0.95, "blazeface"), Region(*FACE_BOX, 0.95, "blazeface")

    class Checker:
        def find_shrunk(self, small: np.ndarray, width: int, height: int) -> Detections:
            return Detections([on_mask, on_face])

    found = checker_faces(Checker(), readback_judge(), frame, 512, 512, 0.6)  # type: ignore[arg-type]
    assert [(r.x0, r.y0, r.x1, r.y1) for r in found.faces] == [(on_face.x0, on_face.y0, on_face.x1, on_face.y1)]


@pytest.mark.parametrize("fill", ["pixelate", "blur", "noise", "solid"])
def test_a_face_seen_through_a_mosaic_fails_the_read_back(fill: str, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--fill pixelate --grid 32`` released a crowd clip as verified whose mosaic BlazeFace
    still read as a face, and ``audit`` flagged it: the read-back counted a face under a mask
    as covered, whatever the mask was. Through a mosaic, a blur or noise it now fails."""
    import unseen.verify.video as vv
    from unseen.detect.judge import Judgement
    from unseen.mask import MaskStyle
    from unseen.types import Region

    face = Region(*FACE_BOX, shape="head")
    monkeypatch.setattr(vv, "checker_faces", lambda *a, **k: Judgement([Region(*FACE_BOX, 0.9, "blazeface")]))
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt, codec.time_base = 512, 512, "yuv420p", Fraction(1, 25)
    frame = av.VideoFrame.from_ndarray(astronaut, format="rgb24").reformat(format="yuv420p")
    frame.pts = 0
    check = vv.FrameCheck({0: [face]}, MaskStyle(fill, (0, 0, 0), 8), {0}, True)
    for p in [*codec.encode(frame), *codec.encode(None)]:
        check.feed(bytes(p), p.pts, p.dts, Fraction(1, 25), codec.extradata)
    check.finish()
    shows = [p for p in check.problems if "shows through" in p]
    assert bool(shows) == (fill != "solid") and not check.unmasked


@pytest.mark.parametrize("phase", ["analysis", "render"])
def test_ctrl_c_leaves_nothing_and_stops_every_thread(clip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], phase: str) -> None:
    """Ctrl-C while the read-ahead thread decodes (analysis), or while the encoder, the
    checker before encoding and the read-back run (render): exit 130, no output and no
    temporary file, the input untouched, and no thread of unseen's left running."""
    import threading

    import unseen.pipeline.video_encode as ve
    from unseen.media.video import DecodedFrame

    if phase == "analysis":
        real_thumbnail = DecodedFrame.thumbnail

        def thumbnail(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            if self.index == 10:  # runs in the read-ahead thread: raised in the caller
                raise KeyboardInterrupt
            return real_thumbnail(self, *args, **kwargs)

        monkeypatch.setattr(DecodedFrame, "thumbnail", thumbnail)
    else:
        real_fill = ve.fill_yuv420
        calls = []

        def fill(planes, *rest):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 15:  # frames already encoded and checked, others waiting
                raise KeyboardInterrupt
            return real_fill(planes, *rest)

        monkeypatch.setattr(ve, "fill_yuv420", fill)
    src, _ = clip
    before = sha(src)
    assert main(["clean", str(src), "-o", str(tmp_path)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert sha(src) == before
    for _ in range(50):  # the read-back thread notices the abort at its next packet
        if not [t for t in threading.enumerate() if t.name.startswith("unseen-")]:
            break
        threading.Event().wait(0.1)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("unseen-")]


@pytest.mark.skipif(sys.platform != "linux", reason="file-size limit as a stand-in for a full disk")
def test_full_disk_fails_closed(clip, tmp_path: Path) -> None:
    """Writes that fail part-way (here a file-size limit, as a full disk or a quota does):
    one line on stderr, exit 1, no output and no temporary file left, the input untouched."""
    import resource
    import signal

    src, _ = clip

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG, as with ENOSPC
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    before = sha(src)
    p = subprocess.run([sys.executable, "-m", "unseen", "clean", str(src), "-o", str(tmp_path)], preexec_fn=limited, capture_output=True, text=True, timeout=300)
    assert p.returncode == 1
    failed = [line for line in p.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "too large" in failed[0].lower(), p.stderr
    assert list(tmp_path.iterdir()) == []
    assert sha(src) == before


def test_mask_check_on_a_sample_of_pixels_agrees_with_every_pixel() -> None:
    """The read-back looks at every second pixel of every second row: full masks still read as
    full, a partly covered box as partly covered, a box on odd coordinates included."""
    from unseen.verify.video import colour_share

    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    img[20:80, 32:96] = 0
    img[100:150, 101:157] = 12
    boxes = [(32, 20, 96, 80), (101, 100, 157, 150), (31, 19, 97, 81), (150, 120, 199, 199), (0, 0, 300, 200)]
    areas = [(b, None) for b in boxes]
    # a head shape filled exactly, in a box whose corners show the picture
    from unseen.mask import region_mask
    from unseen.types import Region

    head = region_mask(Region(200, 30, 260, 110, shape="head"), 300, 200, 2)
    img[30:110, 200:260][head[1]] = 0
    areas.append(head)
    full = colour_share(img, areas, (0, 0, 0))
    sampled = colour_share(img, areas, (0, 0, 0), step=2)
    assert full[:2] == sampled[:2] == [1.0, 1.0]
    assert full[5] == sampled[5] == 1.0
    assert colour_share(img, [((200, 30, 260, 110), None)], (0, 0, 0))[0] < 0.97  # the box is not all masked
    assert sampled == pytest.approx(full, abs=0.01)
    assert 0.9 < sampled[2] < 0.97 and sampled[3] < 0.1 and sampled[4] < 0.25


def test_scene_cuts_found_by_structure_not_brightness() -> None:
    """A cut between two dark shots changes little brightness but everything else; a camera
    move or a brightness change keeps the structure; a fade to black is no cut."""
    from unseen.track.cuts import scene_cut

    rng = np.random.default_rng(5)
    shot_a = rng.uniform(0, 60, (18, 32)).astype(np.float32)
    shot_b = rng.uniform(0, 60, (18, 32)).astype(np.float32)
    assert float(np.abs(shot_a - shot_b).mean()) < 38  # the old brightness test missed this cut
    assert scene_cut(shot_a, shot_b)
    smooth = np.add.outer(np.linspace(0, 120, 18), np.linspace(0, 160, 32)).astype(np.float32)
    assert not scene_cut(smooth, np.roll(smooth, 2, axis=1))  # a small pan
    assert not scene_cut(smooth, smooth * 0.8 + 10)  # the light changes
    assert not scene_cut(np.full((18, 32), 3.0, np.float32), np.full((18, 32), 1.0, np.float32))  # black
    assert scene_cut(smooth, np.full((18, 32), 250.0, np.float32))  # to a white frame


def test_odd_grid_is_made_even_for_video(clip, tmp_path: Path) -> None:
    """Chroma is stored per 2x2 pixels: an odd --grid is doubled, never a crash."""
    src, _ = clip
    [res] = unseen.clean([src], tmp_path, grid=3)
    assert res.status == "ok", res.error
    frames, _, _ = read_frames(Path(res.output))
    assert covered(frames[0], face_box(0)) > 0.97


@pytest.mark.parametrize("size", [(512, 512), (1920, 1080)])
def test_a_face_shown_for_two_frames_between_searched_ones_is_covered(astronaut: np.ndarray, tmp_path: Path, size: tuple[int, int]) -> None:
    """The analysis searches one frame in three; a face shown only on two frames between them (a
    grey card lowered for an instant, no scene cut) was released bare as verified. Every frame it
    did not search is now searched before it is encoded: at the size it searches its mid frames,
    so a 70-px head (a 30-px face) in a 1080p frame too (the second detector's shrunken look
    missed heads under about 100 px there)."""
    from skimage import data

    path = tmp_path / "peek.mp4"
    shown = (13, 14)  # neither a key frame (0, 6, 12, ...) nor a half-way frame (3, 9, 15, ...)
    w, h = size
    if size == (512, 512):
        fx0, fy0, fx1, fy1 = FACE_BOX
        peek = astronaut
        card = astronaut.copy()
        card[fy0 - 40 : fy1 + 20, fx0 - 20 : fx1 + 20] = 128  # the face behind a card
        inner = (fx0 + 10, fy0 + 10, fx1 - 10, fy1 - 10)
    else:
        card = np.asarray(Image.fromarray(data.coffee()).resize(size))
        peek = card.copy()
        peek[324:394, 96:149] = np.asarray(Image.fromarray(astronaut[15:215, 150:300]).resize((53, 70), Image.LANCZOS))  # face and hair
        inner = (103, 345, 142, 376)
    # 60 frames: long enough that the read-back samples one frame in three, not most
    [res] = unseen.clean([write_h264(path, (peek if i in shown else card for i in range(60)), size)], tmp_path / "out")
    assert res.status == "ok", res.error
    frames, _, _ = read_frames(Path(res.output))
    for i in shown:
        assert covered(frames[i], inner) > 0.97, f"frame {i}"


def test_a_small_face_on_a_shaken_camera_stays_covered(astronaut: np.ndarray, tmp_path: Path) -> None:
    """A hand-held camera shaking faster than the analysis searches (one frame in three) moved
    a 50-px head out from under its track's box between searched frames: 15 of 50 frames came
    out a tenth to three quarters bare, verified. Tracked heads are now looked for at their
    zoom on every frame not searched at full detail, and masked where they are."""
    import math

    from skimage import data

    w, h = 1920, 1080
    canvas = np.array(Image.fromarray(data.coffee()).resize((w + 200, h + 200)))
    canvas[500:550, 900:938] = np.asarray(Image.fromarray(astronaut[15:215, 150:300]).resize((38, 50), Image.LANCZOS))  # face and hair
    inner = (905, 515, 933, 537)  # eyes to mouth, in the canvas
    path = tmp_path / "handheld.mp4"
    shifts = [(round(100 + 30 * math.sin(2 * math.pi * 5 * i / 25)), round(100 + 30 * math.cos(2 * math.pi * 6.5 * i / 25))) for i in range(36)]
    [res] = unseen.clean([write_h264(path, (canvas[dy : dy + h, dx : dx + w] for dx, dy in shifts), (w, h))], tmp_path / "out")
    assert res.status == "ok", res.error
    frames, _, _ = read_frames(Path(res.output))
    x0, y0, x1, y1 = inner
    shares = [covered(f, (x0 - dx, y0 - dy, x1 - dx, y1 - dy)) for f, (dx, dy) in zip(frames, shifts)]
    assert min(shares) > 0.97, [(i, round(s, 2)) for i, s in enumerate(shares) if s <= 0.97]


def test_a_banner_of_squeezed_faces_is_found_on_key_frames_stretched_sideways(astronaut: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A banner of portraits squeezed to a third of their width (filmed at an angle): the key
    frames' pass misses the narrowest, the key frames searched stretched sideways find them, and
    every frame masks them; only there (the picture below the heads stays)."""
    import unseen.detect as detect

    banner, faces = squeezed_crowd(astronaut, 3.0)
    frame = np.full((360, 640, 3), 90, dtype=np.uint8)
    frame[30:330, 70:570] = banner
    faces = [(x0 + 70, y0 + 30, x1 + 70, y1 + 30) for x0, y0, x1, y1 in faces]
    src = write_h264(tmp_path / "banner.mp4", [frame] * 13, (640, 360))

    def masked_faces(out_dir: str) -> list[bool]:
        [res] = unseen.clean([src], tmp_path / out_dir)
        assert res.status == "ok", res.error
        frames, _, _ = read_frames(Path(res.output))
        assert len(frames) == 13
        for f in frames:
            assert covered(f, (0, 290, 640, 360)) < 0.02  # heads, not a slab
        return [min(covered(f, box) for f in frames) >= 0.5 for box in faces]

    assert all(masked_faces("with"))
    monkeypatch.setattr(detect, "stretched_faces", lambda *args, **kwargs: [])
    assert not all(masked_faces("without"))  # the sideways search is what found them


def test_a_wall_clock_start_is_not_carried_into_the_output(clip, tmp_path: Path) -> None:
    """An IP camera's clip (``-use_wallclock_as_timestamps``) or a segment cut from a longer
    recording starts at a clock reading: the output kept it as an empty edit before the
    picture, which gives away when it was filmed. The output starts at zero, frames in step."""
    src, times = clip
    start = 1733565600  # 2024-12-07 10:00:00 UTC
    path = tmp_path / "camera.mp4"
    with av.open(str(src)) as c, av.open(str(path), "w") as out:
        s = out.add_stream_from_template(c.streams.video[0])
        for p in c.demux(c.streams.video[0]):
            if p.dts is None:
                continue
            p.pts += int(start / p.time_base)
            p.dts += int(start / p.time_base)
            p.stream = s
            out.mux(p)
    with av.open(str(path)) as c:
        assert float(c.streams.video[0].start_time * c.streams.video[0].time_base) > start - 1
    [res] = unseen.clean([path], tmp_path / "out")
    assert res.status == "ok", res.error
    with av.open(res.output) as c:
        v = c.streams.video[0]
        assert float((v.start_time or 0) * v.time_base) < 1
        assert (c.start_time or 0) < 1_000_000 and float(c.duration) / 1_000_000 < 10
    got = read_frames(Path(res.output))[1]
    assert [t - got[0] for t in got] == [t - times[0] for t in times]
    [after, before] = unseen.audit([res.output, path], faces=False)
    assert not any("clock" in f.name for f in after.findings), after.findings
    assert any("clock" in f.name and f.identifying for f in before.findings), before.findings


def test_a_segment_cut_from_a_longer_recording_is_not_called_damaged(tmp_path: Path) -> None:
    """Matroska's DURATION counts from zero: a 2 s segment starting 6 s in (``ffmpeg -f
    segment``) declares 8 s and was refused as damaged; cut short, it still is."""
    path = tmp_path / "cam_002.mkv"
    out = av.open(str(path), "w")
    v = out.add_stream("libx264", rate=25)
    v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
    for i in range(50):
        f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 40 + i * 3, np.uint8), format="rgb24")
        f.pts, f.time_base = 150 + i, Fraction(1, 25)
        for p in v.encode(f):
            out.mux(p)
    for p in v.encode():
        out.mux(p)
    out.close()
    [res] = unseen.clean([path], tmp_path / "out", faces=False)
    assert res.status == "ok", res.error
    assert len(read_frames(Path(res.output))[0]) == 50
    cut = tmp_path / "cam_003.mkv"
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    [res] = unseen.clean([cut], tmp_path / "out", faces=False)
    assert res.status == "error" and "declares" in (res.error or ""), res.error
    # mkvmerge writes the length, not the end: the same segment remuxed, whole and cut short
    if shutil.which("mkvmerge") is None:
        return
    remuxed = tmp_path / "remuxed.mkv"
    subprocess.run(["mkvmerge", "-q", "-o", str(remuxed), str(path)], check=True)
    [res] = unseen.clean([remuxed], tmp_path / "out", faces=False)
    assert res.status == "ok", res.error
    data = remuxed.read_bytes()
    cut.write_bytes(data[: len(data) * 9 // 10])
    [res] = unseen.clean([cut], tmp_path / "out", faces=False, overwrite=True)
    assert res.status == "error" and "declares" in (res.error or ""), res.error


def test_the_search_before_encoding_keeps_the_masked_crowd_that_vouches_for_a_faint_face(monkeypatch: pytest.MonkeyPatch) -> None:
    """A faint face beside a crowd is a face by the crowd's company; the crowd is masked by then,
    and masked candidates get no second look there, but not those a bare faint face may need."""
    import unseen.detect
    import unseen.pipeline.video_encode as ve
    from unseen.detect import Judgement
    from unseen.detect.judge import FaceJudge
    from unseen.pipeline.video_search import VIDEO_RULE
    from unseen.types import Detections, Region

    class Look:  # the second look: the crowd's faces are plain when zoomed, the faint one less so
        def scores(self, rgb: np.ndarray, regions: list[Region], memo: object = None) -> np.ndarray:
            return np.array([0.4 if r.score >= 0.3 else 0.1 for r in regions], np.float32)

    crowd = [Region(100 + 60 * k, 100, 120 + 60 * k, 120, 0.3, "centerface") for k in range(3)]
    faint = Region(400, 100, 420, 120, 0.15, "centerface")

    class Finder:
        def find(self, rgb: np.ndarray, scales: list[float]) -> Detections:
            return Detections(crowd + [faint])

    monkeypatch.setattr(ve, "video_finder", lambda: Finder())
    monkeypatch.setattr(unseen.detect, "judge_for", lambda finder, rule=None: FaceJudge(Look(), VIDEO_RULE))  # type: ignore[arg-type]
    monkeypatch.setattr("unseen.pipeline.video_search.pole_faces", lambda *args: Judgement())
    masks = [Region(r.x0 - 4, r.y0 - 4, r.x1 + 4, r.y1 + 4, 1.0, "track") for r in crowd]
    yy, xx = np.mgrid[0:540, 0:960]
    rgb = np.stack([xx // 4, yy // 3, (xx + yy) // 6], -1).astype(np.uint8)  # smooth: neither a fill nor noise
    assert [r.x0 for r in ve.searched_faces(rgb, 960, 540, masks, 8)] == [r.x0 for r in crowd + [faint]]
    # a masked crowd with nobody bare beside it gets no second look at all
    monkeypatch.setattr(Finder, "find", lambda self, rgb, scales: Detections(crowd))
    monkeypatch.setattr(Look, "scores", lambda self, rgb, regions, memo=None: pytest.fail(f"second look at {regions}"))
    assert ve.searched_faces(rgb, 960, 540, masks, 8) == []
