"""The media stage: probe (what a file is, from its content) and one handler per container
family, in a single registry keyed by the sniffed format. Every kind is registered: stills
(Pillow), and video and sound (FFmpeg, through PyAV)."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..i18n import N_
from ..errors import UnsupportedFormat
from .probe import Probe


class Handler(Protocol):
    family: str  # "still" | "av"
    formats: tuple[str, ...]  # sniffed formats it reads (its allow-list)

    def kind_of(self, path: Path, p: Probe) -> str:
        """image, video, or audio (a container with no picture but cover art is a sound)."""
        ...


_REGISTRY: dict[str, Handler] = {}
_FALLBACK: dict[str, Handler] = {}  # by kind: formats FFmpeg named that no handler lists


def register(handler: Handler, fallback_for: tuple[str, ...] = ()) -> Handler:
    for fmt in handler.formats:
        _REGISTRY[fmt] = handler
    for kind in fallback_for:
        _FALLBACK[kind] = handler
    return handler


def handler_for(p: Probe) -> Handler:
    found = _REGISTRY.get(p.format) or _FALLBACK.get(p.kind)
    if found is None:
        raise UnsupportedFormat(N_("no handler for {format}").format(format=p.format))
    return found


class AVContainers:
    """Video and sound containers, read by FFmpeg (see media.video and media.audio)."""

    family = "av"
    formats = ("mp4", "mov", "matroska", "avi", "mpegts", "asf", "flv", "mpeg", "mp3", "amr", "aiff", "wav", "flac", "ogg", "m4a", "caf", "wv", "ape")

    def kind_of(self, path: Path, p: Probe) -> str:
        from .video import has_video

        return "video" if has_video(path) else "audio"


from . import still  # noqa: E402,F401  (registers itself)

register(AVContainers(), fallback_for=("video", "audio"))
