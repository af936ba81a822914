"""Damaged sound: refused by default, like a truncated photo; ``--salvage`` keeps what decodes and
the result line says how much was lost. Sound is cleaned in blocks: memory is flat in length."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import av
import numpy as np
import pytest

import unseen
from unseen.cli import main

from conftest import mux_mono

RATE = 16000
SECONDS = 4.0
KINDS = {  # name: (container, codec, muxer options); each format shows a cut its own way
    "s.wav": ("wav", "pcm_s16le", {}),  # a packet cut short
    "s.aiff": ("aiff", "pcm_s16be", {}),  # fewer samples than declared
    "s.flac": ("flac", "flac", {}),
    "s.mp3": ("mp3", "libmp3lame", {}),  # with a Xing header (FFmpeg's default): its length is known
    "raw.mp3": ("mp3", "libmp3lame", {"write_xing": "0"}),  # no length anywhere: a frame cut short
    "s.aac": ("adts", "aac", {}),  # ADTS: a frame cut short, or one that does not decode
    "s.opus": ("ogg", "libopus", {}),  # no end-of-stream page
}
DECLARE_LENGTH = {"s.aiff", "s.flac", "s.mp3"}


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def _write(path: Path, fmt: str, codec: str, options: dict[str, str] | None = None, seconds: float = SECONDS) -> Path:
    out = av.open(str(path), "w", format=fmt, options=options or {})
    mux_mono(out, out.add_stream(codec, rate=RATE, layout="mono"), _tone(seconds), RATE)
    out.close()
    return path


def _seconds(path: Path) -> float:
    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        return sum(f.samples for f in c.decode(a)) / a.codec_context.sample_rate


def _outputs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".unseen" in p.name)


@pytest.mark.parametrize("name", sorted(KINDS))
@pytest.mark.parametrize("keep", [0.3, 0.7])
def test_cut_sound_refused_unless_salvaged(tmp_path: Path, name: str, keep: float) -> None:
    whole = _write(tmp_path / f"whole-{name}", *KINDS[name])
    src = tmp_path / name
    raw = whole.read_bytes()
    src.write_bytes(raw[: int(len(raw) * keep)])
    whole.unlink()
    [res] = unseen.clean([src], voice="mute")
    assert res.status == "error" and "damaged sound" in res.error and "--salvage" in res.error, res.error
    assert _outputs(tmp_path) == []
    [res] = unseen.clean([src], voice="mute", salvage=True)
    assert res.status == "ok", res.error
    [note] = [w for w in res.warnings if w.startswith("damaged input salvaged: kept")]
    kept = float(note.split("kept ")[1].split(" s")[0])
    assert abs(_seconds(Path(res.output)) - kept) < 0.2
    assert 0 < kept < 0.95 * SECONDS  # (FFmpeg's FLAC parser gives up the frames it held at a cut)
    if name in DECLARE_LENGTH:  # these declare their whole length: the loss is named
        assert f"of {SECONDS:.1f} s" in note


def test_whole_files_are_not_called_damaged(tmp_path: Path) -> None:
    for name, (fmt, codec, options) in KINDS.items():
        [res] = unseen.clean([_write(tmp_path / name, fmt, codec, options)], voice="mute")
        assert res.status == "ok", (name, res.error)
        assert not any("damaged" in w for w in res.warnings)


def test_corrupt_middle_refused_and_salvage_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "s.flac", "flac", "flac")
    raw = bytearray(src.read_bytes())
    mid = len(raw) // 2
    raw[mid : mid + 3000] = bytes(3000)  # zeroed: frames there fail their checksums
    src.write_bytes(bytes(raw))
    assert main(["clean", "--voice", "mute", str(src)]) == 1
    assert "damaged sound" in capsys.readouterr().err and _outputs(tmp_path) == []
    assert main(["clean", "--voice", "mute", "--salvage", str(src)]) == 0
    line = capsys.readouterr().out
    assert "damaged input salvaged: kept" in line and line.count("\n") == 1


def _peak_bytes(src: Path, voice: str) -> int:
    tracemalloc.start()
    try:
        [res] = unseen.clean([src], voice=voice, overwrite=True)
        assert res.status == "ok", res.error
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("voice", ["mute", "disguise"])
def test_memory_flat_in_duration(tmp_path: Path, voice: str) -> None:
    """Three times the length, about the same peak (before: ~120 bytes per sample frame)."""
    warm = _write(tmp_path / "warm.flac", "flac", "flac", seconds=1.0)
    short = _write(tmp_path / "short.flac", "flac", "flac", seconds=20.0)
    long = _write(tmp_path / "long.flac", "flac", "flac", seconds=60.0)
    _peak_bytes(warm, voice)  # imports and first-use set-up are not what is measured
    p_short, p_long = _peak_bytes(short, voice), _peak_bytes(long, voice)
    grown = p_long - p_short
    assert grown < 4_000_000, (voice, p_short, p_long)  # whole-file decoding added 12.5 MB (mute), 68 MB (disguise)
    assert abs(_seconds(long.with_name("long.unseen.flac")) - 60.0) < 0.1


def test_full_disk_while_writing_sound_fails_closed(tmp_path: Path) -> None:
    """A write that fails part-way through the block-by-block encoder (a file-size limit
    standing in for a full disk): one FAILED line naming the write, no file left behind."""
    import resource
    import signal
    import subprocess
    import sys

    (tmp_path / "in").mkdir()
    src = _write(tmp_path / "in" / "long.wav", "wav", "pcm_s16le", seconds=20.0)
    out = tmp_path / "out"
    out.mkdir()

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG, as with ENOSPC
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    p = subprocess.run([sys.executable, "-m", "unseen", "clean", "--voice", "mute", str(src), "-o", str(out)], preexec_fn=limited, capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, p.stderr
    [failed] = [line for line in p.stderr.splitlines() if line.startswith("FAILED")]
    assert "cannot write .wav output: File too large" in failed and ".unseen-tmp" not in failed, failed
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name,fmt,codec", [("short.mp3", "mp3", "libmp3lame"), ("short.m4a", "mp4", "aac")])
def test_one_second_at_8khz_is_not_too_long(tmp_path: Path, name: str, fmt: str, codec: str) -> None:
    """The length check allows the output codec's priming and padding in frames, not a fixed
    0.1 s (a 1-s MP3 at 8 kHz gains 0.15 s of encoder delay and padding, and was refused)."""
    out = av.open(str(tmp_path / name), "w", format=fmt)
    t = np.arange(8000) / 8000
    mux_mono(out, out.add_stream(codec, rate=8000, layout="mono"), (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 8000)
    out.close()
    [res] = unseen.clean([tmp_path / name], voice="mute")
    assert res.status == "ok", res.error
