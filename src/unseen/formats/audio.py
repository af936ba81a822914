"""Audio through PyAV/FFmpeg: decode to float samples, encode a fresh file of the same family."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CorruptInput, UnsupportedFormat
from .video import _err, _is_cover_art, open_container


@dataclass(frozen=True)
class AudioTarget:
    """How one input family is written back: container, codec, file extension."""

    container: str
    codec: str
    ext: str
    options: tuple[tuple[str, str], ...] = ()


# input container (FFmpeg's name) or codec -> output; anything else becomes M4A/AAC
TARGETS = {
    "wav": AudioTarget("wav", "pcm_s16le", ".wav"),
    "flac": AudioTarget("flac", "flac", ".flac"),
    "mp3": AudioTarget("mp3", "libmp3lame", ".mp3", (("id3v2_version", "0"), ("write_id3v1", "0"), ("write_xing", "0"))),
    "opus": AudioTarget("ogg", "libopus", ".opus"),
    "vorbis": AudioTarget("ogg", "libopus", ".opus"),  # FFmpeg's own Vorbis encoder is experimental
    "amr": AudioTarget("amr", "libopencore_amrnb", ".amr"),
    "aiff": AudioTarget("aiff", "pcm_s16be", ".aiff"),
}
DEFAULT_TARGET = AudioTarget("ipod", "aac", ".m4a")


@dataclass
class Sound:
    samples: np.ndarray  # (channels, n) float32 in [-1, 1]
    rate: int
    format: str
    codec: str
    tags: dict[str, str]
    extra_streams: list[str]


def decode_audio(path: Path) -> Sound:
    import av

    with open_container(path) as c:
        streams = [s for s in c.streams if s.type == "audio"]
        if not streams:
            raise UnsupportedFormat("no audio or video stream")
        a = streams[0]
        rate = a.codec_context.sample_rate or 0
        if rate <= 0:
            raise CorruptInput("audio stream has no sample rate")
        channels = min(2, a.codec_context.channels or 1)
        resampler = av.AudioResampler(format="fltp", layout="stereo" if channels == 2 else "mono", rate=rate)
        chunks = []
        try:
            for frame in c.decode(a):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except av.error.FFmpegError as e:
            raise CorruptInput(f"audio decoding failed: {_err(e)}") from None
        if not chunks or sum(ch.shape[1] for ch in chunks) == 0:
            raise CorruptInput("audio has no decodable samples (zero length)")
        samples = np.concatenate(chunks, axis=1).astype(np.float32)
        extra = [("cover-art" if _is_cover_art(s) else s.type) for s in c.streams if s is not a]
        tags = {k: str(v) for k, v in c.metadata.items()}
        for s in c.streams:
            tags.update({f"stream:{k}": str(v) for k, v in s.metadata.items()})
        return Sound(samples, rate, c.format.name.split(",")[0], a.codec_context.name, tags, extra)


def probe_tags(path: Path) -> tuple[str, dict[str, str], list[str]]:
    """Container format, every tag (stream tags prefixed), and the non-audio streams."""
    with open_container(path) as c:
        tags = {k: str(v) for k, v in c.metadata.items()}
        for i, s in enumerate(c.streams):
            tags.update({f"stream {i}:{k}": str(v) for k, v in s.metadata.items()})
        first_audio = next((s for s in c.streams if s.type == "audio"), None)
        extra = [("cover-art" if _is_cover_art(s) else s.type) for s in c.streams if s is not first_audio]
        return c.format.name.split(",")[0], tags, extra


def target_for(sound: Sound) -> AudioTarget:
    return TARGETS.get(sound.codec) or TARGETS.get(sound.format) or DEFAULT_TARGET


def encode_audio(sound: Sound, samples: np.ndarray, path: Path, target: AudioTarget) -> None:
    import av

    rate = sound.rate
    if target.codec == "libopus" and rate not in (8000, 12000, 16000, 24000, 48000):
        rate = 48000
    if target.codec == "libopencore_amrnb":
        rate = 8000
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    if target.codec == "libopencore_amrnb":
        samples, layout = samples.mean(0, keepdims=True), "mono"
    out = av.open(str(path), mode="w", format=target.container, container_options={"fflags": "+bitexact", **dict(target.options)})
    try:
        st = out.add_stream(target.codec, rate=rate, layout=layout)
        st.codec_context.flags |= getattr(av.codec.context.Flags, "bitexact", 0)
        frame_len = 4096
        pts = 0
        for start in range(0, samples.shape[1], frame_len):
            chunk = np.ascontiguousarray(samples[:, start : start + frame_len])
            f = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            f.sample_rate = sound.rate
            f.pts = None
            for p in st.encode(f):
                out.mux(p)
            pts += chunk.shape[1]
        for p in st.encode():
            out.mux(p)
    finally:
        out.close()
    if target.codec == "libmp3lame":
        _scrub_lame_tag(path)


def _scrub_lame_tag(path: Path) -> None:
    """libmp3lame writes its name and version into the frames' unused ancillary bytes (which
    decoders skip); overwrite them with the padding byte LAME itself uses there."""
    import re

    raw = path.read_bytes()
    cleaned = re.sub(rb"LAME[0-9.a-z]{0,8}", lambda m: b"U" * len(m.group(0)), raw)
    if cleaned != raw:
        path.write_bytes(cleaned)
