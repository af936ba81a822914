"""A video's sound track as it will be written: muted, disguised or as recorded, read from the
input block by block each time the video is rendered, so memory stays flat in its length (it
was decoded whole before: about 120 bytes a sample frame)."""
from __future__ import annotations

from dataclasses import dataclass
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

    @staticmethod
    def open(src: Path, voice: str) -> "SoundTrack":
        """Read the track's header now: a file without decodable sound fails before any work."""
        with SoundReader(src, in_video=True) as r:
            return SoundTrack(src, voice, r.rate, r.channels, Disguise.random() if voice == "disguise" else None)

    def blocks(self) -> Iterator[np.ndarray]:
        """(channels, n) float blocks; a damaged track raises CorruptInput (never salvaged: a
        video's sound is not worth keeping part of)."""
        with SoundReader(self.src, in_video=True) as r:
            yield from treated(r, self.voice, self.disguise)
