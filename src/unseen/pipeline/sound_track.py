"""A video's sound track as it will be written: muted, disguised or as recorded, read from the
input block by block each time the video is rendered, so memory stays flat in its length (it
was decoded whole before: about 120 bytes a sample frame)."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from .audio import treated
from ..media.audio import SoundReader
from ..voice import Disguise


@dataclass(frozen=True)
class SoundTrack:
    src: Path
    voice: str  # mute | disguise | keep
    rate: int
    channels: int
    disguise: Disguise | None  # one set of parameters for every render of this file
    start: Fraction = Fraction(0)  # when its first sound is heard, in the container's clock (seconds)

    @staticmethod
    def open(src: Path, voice: str) -> "SoundTrack":
        """Read the track's header now: a file without decodable sound fails before any work."""
        with SoundReader(src, in_video=True) as r:
            return SoundTrack(src, voice, r.rate, r.channels, Disguise.random() if voice == "disguise" else None, _start(src))

    def blocks(self) -> Iterator[np.ndarray]:
        """(channels, n) float blocks; a damaged track raises CorruptInput (never salvaged: a
        video's sound is not worth keeping part of)."""
        with SoundReader(self.src, in_video=True) as r:
            yield from treated(r, self.voice, self.disguise)


def _start(src: Path) -> Fraction:
    """The time of the sound's first decoded samples (a codec's priming, which the decoder
    drops, is not counted): a track that starts after the picture (a camera's transport stream,
    an edited clip) was written from zero, out of step with the picture."""
    import av

    from ..media.video import open_container

    with open_container(src) as c:
        a = next(s for s in c.streams if s.type == "audio")
        try:
            for frame in c.decode(a):
                if frame.pts is not None:
                    return frame.pts * Fraction(frame.time_base or a.time_base)
        except av.error.FFmpegError:
            pass  # a damaged track is refused when it is read (SoundReader)
    return Fraction(0)
