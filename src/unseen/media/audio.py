"""Audio through PyAV/FFmpeg: decode to float samples, encode a fresh file of the same family."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np

from ..i18n import N_
from ..errors import CorruptInput, UnsupportedFormat, one_line
from .frame_length import cut_short
from .video import _is_cover_art, open_container


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


BLOCK = 1 << 16  # sample frames per block handed on: memory stays flat in a file's length


class SoundReader:
    """A sound file decoded block by block, and whether it was whole.

    Damage is found five ways: FFmpeg fails to read or decode a packet; the demuxer hands over a
    packet cut short by the end of the file (WAV, AIFF and other raw audio); fewer samples
    decode than the file declares (WAV, AIFF, FLAC, MP4, MP3 with a Xing or VBRI header); the
    last frame of a raw MP3 or ADTS stream is shorter than its header says; an Ogg stream does
    not end on its end-of-stream page. Without ``salvage`` any of these raises ``CorruptInput``
    (so no output is released); with it, damaged packets are skipped, reading stops where the
    file stops, and ``damage`` says what was lost."""

    def __init__(self, path: Path, salvage: bool = False, in_video: bool = False) -> None:
        self.path, self.salvage, self.in_video = path, salvage, in_video
        self._c = open_container(path)
        try:
            self._setup()
        except BaseException:
            self._c.close()
            raise

    def _setup(self) -> None:
        import av

        streams = [s for s in self._c.streams if s.type == "audio"]
        if not streams:
            raise UnsupportedFormat(N_("no audio or video stream"))
        self._a = a = streams[0]
        if a.codec_context is None:  # FFmpeg has no decoder for it
            raise UnsupportedFormat(N_("no decoder for this sound"))
        self.source_channels = a.codec_context.channels or 1  # before any mix-down
        self.rate = a.codec_context.sample_rate or 0
        if self.rate <= 0:
            raise CorruptInput(N_("audio stream has no sample rate"))
        self.channels = min(2, a.codec_context.channels or 1)
        self.layout = "stereo" if self.channels == 2 else "mono"
        self.format = self._c.format.name.split(",")[0]
        self.codec = a.codec_context.name
        self.tags = {k: str(v) for k, v in self._c.metadata.items()}
        for s in self._c.streams:
            self.tags.update({f"stream:{k}": str(v) for k, v in s.metadata.items()})
        self.extra_streams = [("cover-art" if _is_cover_art(s) else s.type) for s in self._c.streams if s is not a]
        self.declared = _declared_samples(self._c, a, self.path)
        self.frames = 0  # sample frames decoded so far
        self.skipped = 0  # damaged packets skipped (salvage)
        self.damage: str | None = None
        self._resampler = av.AudioResampler(format="fltp", layout=self.layout, rate=self.rate)

    def __enter__(self) -> "SoundReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._c.close()

    def _damaged(self, reason: str) -> None:
        if not self.salvage:
            if self.in_video:  # never salvaged (see pipeline.sound_track): the way out is without it
                raise CorruptInput(N_("damaged sound track ({reason}); nothing written (--audio drop leaves it out)").format(reason=reason))
            raise CorruptInput(N_("damaged sound ({reason}); nothing written (--salvage keeps what decodes)").format(reason=reason))
        self.damage = self.damage or reason

    def blocks(self) -> Iterator[np.ndarray]:
        """Float samples, (channels, n) each, in file order; damage checked at the end."""
        import av

        pending: list[np.ndarray] = []
        held = 0
        last = None  # the last packet: a raw MP3 or ADTS stream cut inside a frame ends short
        packets = self._c.demux(self._a)
        while True:
            try:
                pk = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as e:
                self._damaged(N_("reading stopped at {time} s: {reason}").format(time=f"{self.frames / self.rate:.1f}", reason=_reason(e)))
                break
            if pk.size == 0 and pk.pts is None:  # the demuxer's end-of-stream marker
                continue
            last = pk
            if pk.is_corrupt:
                self._damaged(N_("a packet at {time} s is cut short").format(time=f"{self.frames / self.rate:.1f}"))
            try:
                frames = pk.decode()
            except av.error.FFmpegError as e:
                self._damaged(N_("a packet at {time} s does not decode: {reason}").format(time=f"{self.frames / self.rate:.1f}", reason=_reason(e)))
                self.skipped += 1
                continue
            for frame in frames:
                for out in self._resampler.resample(frame):
                    pending.append(out.to_ndarray())
                    held += out.samples
                    self.frames += out.samples
            if held >= BLOCK:
                yield self._take(pending)
                pending, held = [], 0
        if last is not None and cut_short(self.format, bytes(last)):
            self._damaged(N_("the last frame, at {time} s, is cut short").format(time=f"{self.frames / self.rate:.1f}"))
        try:
            for frame in self._a.decode(None):  # the decoder's last frames
                pending += [o.to_ndarray() for o in self._resampler.resample(frame)]
        except av.error.FFmpegError as e:
            self._damaged(N_("the last packet does not decode: {reason}").format(reason=_reason(e)))
        pending += [o.to_ndarray() for o in self._resampler.resample(None)]
        self.frames += sum(p.shape[1] for p in pending) - held
        if pending:
            yield self._take(pending)
        if self.frames == 0:
            raise CorruptInput(N_("audio has no decodable samples (zero length)"))
        self._check_length()

    @staticmethod
    def _take(pending: list[np.ndarray]) -> np.ndarray:
        block = np.concatenate(pending, axis=1).astype(np.float32, copy=False)
        # a float file may hold NaN or infinity: silence and full scale, not a disguise that
        # fails on them (or an encoder that writes them on)
        return np.nan_to_num(block, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)

    def _check_length(self) -> None:
        # decoders add or trim up to a few codec frames (priming, padding): allow two and 50 ms
        slack = 2 * max(self._a.codec_context.frame_size or 0, 1152) + self.rate // 20
        if self.declared is not None and self.frames + slack < self.declared:
            self._damaged(N_("{decoded} s of the {declared} s the file declares decode").format(decoded=f"{self.frames / self.rate:.1f}", declared=f"{self.declared / self.rate:.1f}"))
        if self.format == "ogg" and not _ogg_ends(self.path):
            self._damaged(N_("the Ogg stream has no end page (cut short)"))

    @property
    def lost(self) -> str:
        """What salvaging gave up, in words (empty when nothing was)."""
        if self.damage is None:
            return ""
        kept = f"kept {self.frames / self.rate:.1f} s"
        if self.declared is not None and self.declared > self.frames + self.rate // 20:
            kept += f" of {self.declared / self.rate:.1f} s, {(self.declared - self.frames) / self.rate:.1f} s lost"
        else:
            kept += ", what followed in the file is lost"
        skipped = f", {self.skipped} damaged packet(s) skipped" if self.skipped else ""
        return f"damaged input salvaged: {kept}{skipped} ({self.damage})"


def _reason(e: BaseException) -> str:
    """FFmpeg's reason without its error number and call name."""
    return " ".join(str(getattr(e, "strerror", None) or one_line(e)).split())


def _declared_samples(c, a, path: Path) -> int | None:  # type: ignore[no-untyped-def]
    """Sample frames the file's header or index declares, where it is exact; None otherwise
    (raw MP3 without a Xing or VBRI header, or ADTS, has only an estimate from its size)."""
    rate = a.codec_context.sample_rate
    fmt = c.format.name.split(",")[0]
    if fmt in ("mp3", "aac") and not _has_vbr_header(path):
        return None
    if fmt == "ogg":  # its length is read from the last page: what is there, not what was meant
        return None
    if a.duration and a.time_base:
        return round(a.duration * a.time_base * rate)
    if a.frames and fmt in ("aiff",):
        return int(a.frames)
    return None


def _has_vbr_header(path: Path) -> bool:
    """Whether an MP3's first frame carries a Xing, Info or VBRI header (its exact length)."""
    with open(path, "rb") as f:
        head = f.read(10)
        skip = 0
        if head[:3] == b"ID3" and len(head) == 10:
            skip = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
        f.seek(skip)
        first = f.read(4096)
    return any(tag in first for tag in (b"Xing", b"Info", b"VBRI"))


def _ogg_ends(path: Path) -> bool:
    """Whether the file's last Ogg page is whole and flagged end-of-stream (a writer sets the
    flag on its last page; a file cut short ends inside or after an ordinary page)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - 70_000))  # an Ogg page is at most 65,307 bytes
        tail = f.read()
    at = tail.rfind(b"OggS")
    if at < 0 or len(tail) < at + 27:
        return False
    segments = tail[at + 26]
    table = tail[at + 27 : at + 27 + segments]
    whole = len(table) == segments and at + 27 + segments + sum(table) == len(tail)
    return whole and bool(tail[at + 5] & 0x04)


def probe_tags(path: Path) -> tuple[str, dict[str, str], list[str]]:
    """Container format, every tag (stream tags prefixed), and the non-audio streams."""
    with open_container(path) as c:
        tags = {k: str(v) for k, v in c.metadata.items()}
        for i, s in enumerate(c.streams):
            tags.update({f"stream {i}:{k}": str(v) for k, v in s.metadata.items()})
        first_audio = next((s for s in c.streams if s.type == "audio"), None)
        extra = [("cover-art" if _is_cover_art(s) else s.type) for s in c.streams if s is not first_audio]
        return c.format.name.split(",")[0], tags, extra


def target_for(sound: SoundReader) -> AudioTarget:
    return target_of(sound.codec, sound.format)


def target_of(codec: str, container: str) -> AudioTarget:
    """The family a sound is written in: its codec's, else its container's, else M4A/AAC; also
    M4A/AAC where this FFmpeg build cannot write that family (PyAV 18.1.1's wheels came without
    the AMR encoder its earlier ones had: a phone's AMR voice memo was refused)."""
    target = TARGETS.get(codec) or TARGETS.get(container) or DEFAULT_TARGET
    return target if can_encode(target.codec) else DEFAULT_TARGET


@lru_cache(maxsize=None)
def can_encode(codec: str) -> bool:
    """This FFmpeg build has an encoder named ``codec``."""
    import av

    try:
        av.Codec(codec, "w")
    except Exception:  # noqa: BLE001 - av.codec.codec.UnknownCodecError, or any refusal
        return False
    return True


AAC_RATES = (7350, 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)


def aac_rate(rate: int) -> int:
    """The rate AAC is written at for sound of ``rate``: its own where AAC has it, else the next
    above (96 kHz at most): AAC has no other, and its encoder refused to open."""
    return rate if rate in AAC_RATES else next((r for r in AAC_RATES if r > rate), AAC_RATES[-1])


class SoundWriter:
    """A fresh file of the target family, written block by block: ``write`` (channels, n) float
    blocks at ``rate``, then ``close``."""

    def __init__(self, path: Path, target: AudioTarget, rate: int, channels: int) -> None:
        import av

        self.path, self.target, self.rate = path, target, rate
        out_rate = rate
        if target.codec == "libopus" and rate not in (8000, 12000, 16000, 24000, 48000):
            out_rate = 48000
        if target.codec == "libopencore_amrnb":
            out_rate = 8000
        if target.codec == "aac":
            out_rate = aac_rate(rate)
        self.mono = target.codec == "libopencore_amrnb" or channels == 1
        self.layout = "mono" if self.mono else "stereo"
        self._out = av.open(str(path), mode="w", format=target.container, container_options={"fflags": "+bitexact", **dict(target.options)})
        try:
            self._st = self._out.add_stream(target.codec, rate=out_rate, layout=self.layout)
            self._st.codec_context.flags |= getattr(av.codec.context.Flags, "bitexact", 0)
        except BaseException:
            self._out.close()
            raise
        self.frame_size = 0

    def write(self, samples: np.ndarray) -> None:
        import av

        if self.mono and samples.shape[0] > 1:
            samples = samples.mean(0, keepdims=True)
        for start in range(0, samples.shape[1], 4096):
            f = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, start : start + 4096], dtype=np.float32), format="fltp", layout=self.layout)
            f.sample_rate = self.rate
            f.pts = None  # PyAV resamples to the encoder's rate and frame size
            for p in self._st.encode(f):
                self._out.mux(p)

    def close(self) -> None:
        """Flush the encoder and finish the file (raises on a failed write)."""
        try:
            for p in self._st.encode():
                self._out.mux(p)
            self.frame_size = self._st.codec_context.frame_size or 0
        finally:
            self._out.close()
        if self.target.codec == "libmp3lame":
            _scrub_lame_tag(self.path)

    def abort(self) -> None:
        """Close after a failure; the temporary file is removed by the caller. Closing flushes,
        which fails again on a full disk: that second failure must not hide the first."""
        try:
            self._out.close()
        except Exception:  # noqa: BLE001
            pass


def _scrub_lame_tag(path: Path) -> None:
    """libmp3lame writes its name and version into the frames' unused ancillary bytes (which
    decoders skip); overwrite them with the padding byte LAME itself uses there. In chunks that
    overlap by a name's length, so memory stays flat in the file's length."""
    import re

    name = re.compile(rb"LAME[0-9.a-z]{0,8}")
    chunk, overlap = 1 << 20, 12
    with open(path, "r+b") as f:
        pos = 0
        while True:
            f.seek(pos)
            data = f.read(chunk + overlap)
            if not data:
                break
            for m in name.finditer(data):
                f.seek(pos + m.start())
                f.write(b"U" * len(m.group(0)))
            if len(data) <= chunk:
                break
            pos += chunk
