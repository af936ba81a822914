"""Registry of format handlers, chosen by the probed content type."""
from __future__ import annotations

from typing import Protocol

from ..errors import UnsupportedFormat
from .probe import Probe


class Handler(Protocol):
    kind: str
    formats: tuple[str, ...]


_REGISTRY: dict[str, object] = {}


def register(handler: object) -> object:
    for fmt in getattr(handler, "formats"):
        _REGISTRY[fmt] = handler
    return handler


def handler_for(p: Probe) -> object:
    try:
        return _REGISTRY[p.format]
    except KeyError:
        raise UnsupportedFormat(f"no handler for {p.format}") from None


from . import still  # noqa: E402,F401  (registers itself)
