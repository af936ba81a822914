"""The pipelines, one per kind of media, each in two halves: ``analyse`` (probe -> decode ->
detect -> track -> a Plan) and ``render`` (a Plan -> mask -> encode -> verify -> publish).

``clean_file`` is both in one go; a plan edited in between (by a person, or the review page)
renders to exactly what it says, and verification may only add to it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..i18n import N_
from ..errors import UnseenError
from ..media.probe import Probe, probe
from ..media import handler_for
from ..output import is_output_name
from ..plan import Plan, PlanError
from ..results import CleanResult
from . import audio, still, video
from .common import Options, sha256_file

__all__ = ["Options", "analyse_file", "clean_file", "output_extension", "render_file"]


def _open(src: Path) -> tuple[Probe, str]:
    """The file's probe and its kind: image, video or audio (a container with no picture)."""
    if is_output_name(src):
        raise UnseenError(N_("already an unseen output (name contains .unseen); not cleaning it again"))
    p = probe(src)
    return p, handler_for(p).kind_of(src, p)


VIDEO_EXTENSIONS = (".mp4", ".m4v")  # H.264 in MP4: an input named either keeps its extension


def output_extension(src: Path) -> tuple[str, str, bool]:
    """What ``clean_file`` will write for ``src``, told cheaply (a sniff, and a container's
    header for video and sound): the media kind, the output's extension, and whether that is
    the input's own. Raises as ``clean_file`` would for a file it cannot open."""
    p, kind = _open(src)
    if kind == "image":
        return (kind, *still.output_extension(src, p.format))
    if kind == "video":
        own = src.suffix.lower() in VIDEO_EXTENSIONS
        return kind, src.suffix if own else ".mp4", own
    return (kind, *audio.output_extension(src))


def analyse_file(src: Path, opts: Options) -> Plan:
    """What ``render_file`` would mask, as a plan to look at and edit."""
    p, kind = _open(src)
    if kind == "image":
        return still.analyse(src, p, sha256_file(src), opts).plan
    if kind == "video":
        return video.analyse(src, sha256_file(src), opts).plan
    return audio.analyse(src, sha256_file(src), p.format)


def render_file(src: Path, plan: Plan, opts: Options) -> CleanResult:
    """Render exactly what ``plan`` switches on, with full verification (refused for a plan made
    for another file). The result's ``plan`` holds what verification added."""
    p, kind = _open(src)
    if kind == "image":
        raw = src.read_bytes()  # read once: hashed here, scanned for metadata in render
        _check(plan, hashlib.sha256(raw).hexdigest(), kind)
        return still.render(src, p, raw, plan, opts)
    _check(plan, sha256_file(src), kind)
    return video.render(src, plan, opts) if kind == "video" else audio.render(src, plan, opts)


def clean_file(src: Path, opts: Options) -> CleanResult:
    """Analyse and render in one go (the file is decoded for analysis once, and read again to render)."""
    p, kind = _open(src)
    if kind == "image":
        raw = src.read_bytes()
        found = still.analyse(src, p, hashlib.sha256(raw).hexdigest(), opts)
        return still.render(src, p, raw, found.plan, opts, found.picture)
    sha = sha256_file(src)
    if kind == "video":
        analysed = video.analyse(src, sha, opts)
        return video.render(src, analysed.plan, opts, analysed)
    return audio.render(src, audio.analyse(src, sha, p.format), opts)


def _check(plan: Plan, sha256: str, kind: str) -> None:
    if plan.input.sha256 != sha256:
        raise PlanError(N_("the plan was made for another file (SHA-256 {plan_sha}..., this file {sha}...); nothing rendered").format(plan_sha=plan.input.sha256[:12], sha=sha256[:12]))
    if plan.input.kind != kind:
        raise PlanError(N_("the plan is for {plan_kind}, this file is {kind}; nothing rendered").format(plan_kind=plan.input.kind, kind=kind))
