"""Sound files: re-encoded from samples with no tags, voices muted, disguised or kept.

The "voice" is synthesised here: a glottal pulse train (pitch 120 Hz with vibrato) through
vowel formant resonators, so pitch and formants are known."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from scipy.signal import lfilter

import unseen
from unseen.cli import main
from unseen.names import item_count
from unseen.voice import Disguise, disguise

from conftest import mux_mono, needs_exiftool, sha
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from leaks import exiftool_tags, identifying  # noqa: E402

RATE = 16000


def vowel_voice(seconds: float = 2.0, f0: float = 120.0) -> np.ndarray:
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    phase = np.cumsum(2 * np.pi * f0 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t)) / RATE)
    pulses = (np.diff(np.floor(phase / (2 * np.pi)), prepend=0) > 0).astype(float)
    y = pulses
    for formant, bw in ((700, 90), (1200, 110), (2600, 160)):  # an /a/-like vowel
        r = np.exp(-np.pi * bw / RATE)
        y = lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * formant / RATE), r * r], y)
    y *= np.hanning(n) ** 0.2
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def pitch_of(x: np.ndarray) -> float:
    seg = x[len(x) // 4 : len(x) // 4 + 4096].astype(float)
    ac = np.correlate(seg, seg, "full")[len(seg) - 1 :]
    lo, hi = RATE // 400, RATE // 60
    return RATE / (lo + int(np.argmax(ac[lo:hi])))


def write_audio(path: Path, samples: np.ndarray, fmt: str, codec: str, rate: int = RATE) -> Path:
    out = av.open(str(path), "w", format=fmt)
    out.metadata.update({"artist": "Kim Secret", "title": "Testimony from Yanji", "comment": "recorded at the safe house"})
    mux_mono(out, out.add_stream(codec, rate=rate, layout="mono"), samples, RATE)
    out.close()
    return path


def read(path: Path) -> tuple[np.ndarray, int, list[str], dict]:
    with av.open(str(path)) as c:
        rate = c.streams.audio[0].rate
        res = av.AudioResampler(format="flt", layout="mono", rate=rate)
        x = np.concatenate([o.to_ndarray().ravel() for f in c.decode(audio=0) for o in res.resample(f)])
        return x, rate, [s.type for s in c.streams], dict(c.metadata)


def test_disguise_moves_pitch_keeps_length() -> None:
    x = vowel_voice()
    p = Disguise(alpha=0.78, pitch=2 ** (4 / 12), tilt=0.1)
    y = disguise(x, RATE, p)
    assert len(y) == len(x) and np.abs(y).max() <= 1.0
    shift = 12 * np.log2(pitch_of(y) / pitch_of(x))
    assert 2.5 < shift < 5.5, shift
    # formants move too: the spectral centroid of the voiced part rises
    def centroid(s: np.ndarray) -> float:
        spec = np.abs(np.fft.rfft(s[RATE // 2 : RATE // 2 + 8192]))
        return float((spec * np.fft.rfftfreq(8192, 1 / RATE)).sum() / spec.sum())
    assert centroid(y) > centroid(x) * 1.1


def test_each_file_gets_its_own_voice() -> None:
    draws = {Disguise.random() for _ in range(20)}
    assert len(draws) == 20
    assert all((0.65 < d.alpha < 0.85 or 1.1 < d.alpha < 1.3) and 3.4 <= abs(12 * np.log2(d.pitch)) <= 7.1 for d in draws)


FORMATS = [("wav", "pcm_s16le", ".wav"), ("flac", "flac", ".flac"), ("mp3", "libmp3lame", ".mp3"), ("ipod", "aac", ".m4a"), ("ogg", "libopus", ".opus")]


@pytest.mark.parametrize("fmt,codec,ext", FORMATS, ids=[f[2] for f in FORMATS])
def test_audio_formats_rebuilt(fmt: str, codec: str, ext: str, tmp_path: Path) -> None:
    src = write_audio(tmp_path / f"voice{ext}", vowel_voice(), fmt, codec, 48000 if codec == "libopus" else RATE)
    before = sha(src)
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    out = Path(res.output)
    assert out.suffix == ext and sha(src) == before
    y, rate, kinds, tags = read(out)
    x, _, _, _ = read(src)
    assert kinds == ["audio"]
    assert set(tags) <= {"major_brand", "minor_version", "compatible_brands", "encoder"} and "encoder" not in tags
    assert abs(len(y) / rate - len(x) / rate) < 0.12
    raw = out.read_bytes()
    for needle in (b"Kim", b"Yanji", b"safe house", b"Lavf", b"LAME", b"ID3"):
        assert needle not in raw, needle
    assert {"artist", "stream:artist"} & set(res.metadata_found)
    # clean counts as dropped what audit lists of the input: not FFmpeg's constants (an M4A's
    # brands, a stream's handler) that audit leaves out as telling nothing
    [seen] = unseen.audit([src])
    tags = [f for f in seen.findings if "tag" in f.name]
    assert item_count(res.metadata_found) == len(tags), (res.metadata_found, [f.name for f in tags])


@needs_exiftool
@pytest.mark.parametrize("fmt,codec,ext", FORMATS, ids=[f[2] for f in FORMATS])
def test_audio_exiftool_clean(fmt: str, codec: str, ext: str, tmp_path: Path) -> None:
    src = write_audio(tmp_path / f"voice{ext}", vowel_voice(0.5), fmt, codec, 48000 if codec == "libopus" else RATE)
    assert identifying(exiftool_tags(src))
    [res] = unseen.clean([src], voice="mute")
    assert identifying(exiftool_tags(Path(res.output))) == []


def test_every_sound_is_written_in_a_family_this_ffmpeg_can_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyAV 18.1.1's wheels came without the AMR encoder the earlier ones had: a phone's AMR
    voice memo was refused ("cannot encode"). A family the build cannot write becomes M4A/AAC."""
    from unseen.media import audio

    for family in audio.TARGETS:
        target = audio.target_of(family, family)
        assert audio.can_encode(target.codec), (family, target)
        av.Codec(target.codec, "w")  # PyAV agrees
    monkeypatch.setattr(audio, "can_encode", lambda codec: codec != "libopencore_amrnb")
    assert audio.target_of("amr_nb", "amr") == audio.DEFAULT_TARGET
    assert audio.target_of("flac", "flac").ext == ".flac"


def test_voice_modes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_audio(tmp_path / "v.wav", vowel_voice(), "wav", "pcm_s16le")
    x, _, _, _ = read(src)
    assert main(["clean", str(src), "--voice", "mute"]) == 0
    y, _, _, _ = read(tmp_path / "v.unseen.wav")
    assert len(y) == len(x) and np.abs(y).max() == 0
    assert main(["clean", str(src), "--voice", "keep", "--overwrite"]) == 0
    assert "voice print" in capsys.readouterr().err
    y, _, _, _ = read(tmp_path / "v.unseen.wav")
    assert np.abs(y - x).max() < 1e-3
    assert main(["clean", str(src), "--overwrite"]) == 0  # default: disguise
    assert "not removal" in capsys.readouterr().out
    y, _, _, _ = read(tmp_path / "v.unseen.wav")
    assert abs(12 * np.log2(pitch_of(y) / pitch_of(x))) >= 2.5


def test_a_float_recording_with_nan_or_infinity_is_disguised(tmp_path: Path) -> None:
    """One NaN sample made the default disguise fail with an internal error."""
    x = vowel_voice().astype(np.float32)
    x[1000], x[2000], x[3000] = np.nan, np.inf, -np.inf
    src = write_audio(tmp_path / "nan.wav", x, "wav", "pcm_f32le")
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    y, _, _, _ = read(Path(res.output))
    assert np.isfinite(y).all() and abs(len(y) - len(x)) < RATE // 10


@pytest.mark.parametrize("rate", [192000, 37800, 10000])
def test_a_rate_aac_lacks_is_written_at_one_it_has(rate: int, tmp_path: Path) -> None:
    """ALAC (.m4a) at 192 kHz or 10 kHz becomes AAC, which has neither: its encoder refused to
    open and the file failed with FFmpeg's "Invalid argument"."""
    t = np.arange(rate) / rate
    src = tmp_path / "tone.m4a"
    out = av.open(str(src), "w", format="ipod")
    mux_mono(out, out.add_stream("alac", rate=rate, layout="mono"), (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)
    out.close()
    [res] = unseen.clean([src], voice="keep")
    assert res.status == "ok", res.error
    with av.open(res.output) as c:
        a = c.streams.audio[0]
        assert a.codec_context.name == "aac" and a.rate in (44100, 11025, 96000)
        got = sum(f.samples for f in c.decode(audio=0)) / a.rate
    assert abs(got - 1.0) < 3 * 1024 / a.rate + 0.05  # AAC's priming and padding: three frames at most


def test_audio_bad_inputs(tmp_path: Path) -> None:
    good = write_audio(tmp_path / "good.flac", vowel_voice(1.0), "flac", "flac")
    raw = good.read_bytes()
    (tmp_path / "cut.flac").write_bytes(raw[:60])
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "bad.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
    silent = write_audio(tmp_path / "zero.wav", np.zeros(0, np.float32), "wav", "pcm_s16le")
    good.unlink()
    results = unseen.clean([tmp_path / n for n in ("cut.flac", "empty.wav", "bad.wav", silent.name)])
    for r in results:
        assert r.status == "error" and r.output is None and "\n" not in r.error, (r.input, r.error)
    assert not [p for p in tmp_path.iterdir() if ".unseen" in p.name]


def test_audit_sound_tags_and_speech(tmp_path: Path) -> None:
    src = write_audio(tmp_path / "v.flac", vowel_voice(), "flac", "flac")
    silent = write_audio(tmp_path / "s.flac", np.zeros(RATE, np.float32), "flac", "flac")
    a, b = unseen.audit([src, silent])
    names = {f.name: f for f in a.findings}
    assert names["tag 'artist'"].value == "Kim Secret" and names["tag 'artist'"].category == "owner"
    assert names["speech"].identifying and a.identifying
    assert not {f.name: f for f in b.findings}["speech"].identifying


def test_a_cleaned_m4a_audits_clean(tmp_path: Path) -> None:
    """FFmpeg's constants in unseen's own M4A (stream language 'und', handler 'SoundHandler')
    are not findings, and a muted file says no voice is heard: audit agrees with clean."""
    import av

    from conftest import mux_mono

    src = tmp_path / "msg.m4a"
    with av.open(str(src), "w", format="ipod") as out:
        out.metadata["artist"] = "Kim Secret"
        tone = (0.2 * np.sin(np.arange(16000 * 2) * 2 * np.pi * 220 / 16000)).astype(np.float32)
        mux_mono(out, out.add_stream("aac", rate=16000), tone, 16000)
    [before] = unseen.audit([src])
    assert any("artist" in f.name for f in before.findings)
    assert before.format == "m4a"  # not FFmpeg's "mov" family name
    [res] = unseen.clean([src], tmp_path, voice="mute")
    assert res.status == "ok", res.error
    [after] = unseen.audit([res.output])
    assert not after.identifying, [(f.name, f.value) for f in after.findings]
    assert any(f.category == "voice" and "no voice" in f.value for f in after.findings)
