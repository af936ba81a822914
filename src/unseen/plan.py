"""The plan: what analysis found and what rendering will hide, as one editable JSON document.

A plan sits between ``analyse`` and ``render``. A person (or the review page) may switch regions
off and on, add boxes, remove video tracks or add boxes on single frames; rendering masks
exactly what the plan says is on, then verification may add what it still finds (recorded as
regions whose source is ``verification``).

Format (``"unseen_plan": 1``)::

    {
      "unseen_plan": 1,
      "input": {"sha256": "...", "kind": "image" | "video" | "audio", "format": "jpeg",
                "width": 1920, "height": 1080,                    # absent for sound
                "frames": 250, "time_base": "1/12800", "pts": [0, 512, ...]},  # video only
      "regions": [                                                 # stills: all; video: boxes on a span of frames
        {"id": "r1", "kind": "face" | "manual" | "text" | "hand" | "person",
         "on": true, "shape": "head" | "box", "box": [x0, y0, x1, y1],
         "source": {"by": "detector" | "checker" | "person" | "verification",
                    "model": "centerface", "score": 0.93},
         "uncertain": false,                                       # below the face rule: off, worth a look
         "frames": [first, last]}                                  # video only; absent = every frame
      ],
      "tracks": [                                                  # video only
        {"id": "t1", "kind": "face", "on": true, "shape": "head",
         "source": {"by": "detector", "model": "centerface", "score": 0.88},
         "boxes": [[frame, x0, y0, x1, y1], ...],                  # every frame it masks, ascending
         "keyframes": [frame, ...]}                                # frames whose box a person set
      ]
    }

Boxes are in pixels of the upright picture (x0, y0 inclusive; x1, y1 exclusive) and are exactly
the area the mask's shape is inscribed in: ``head`` is the rounded head shape, ``box`` the whole
box. A plan never holds a metadata value or the input's name; it names its input by SHA-256 and
is refused for any other file.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .i18n import N_
from .errors import UsageError
from .types import Region, finite_number

SCHEMA = 1
PLAN_SUFFIX = ".plan.json"
KINDS = ("face", "manual", "text", "hand", "person")
SHAPES = ("head", "box")
SOURCES = ("detector", "checker", "person", "verification")
MEDIA = ("image", "video", "audio")
# Hostile documents: a plan larger than this, or holding more than these, is refused before parsing
MAX_BYTES = 256 << 20
MAX_REGIONS = 100_000
MAX_TRACK_BOXES = 5_000_000
MAX_FRAMES = 10_000_000
MAX_ID = 64


# Below this score the detector was unsure of a face it masked: the review page says so, and its
# slider switches such masks off, the least sure first (Plan.doubtful; static/app.js, doubtful())
DOUBT = 0.5


class PlanError(UsageError):
    """A plan that cannot be used: malformed, hostile, newer, or for another file."""


@dataclass(frozen=True)
class Source:
    by: str = "person"  # detector | checker | person | verification
    model: str | None = None
    score: float | None = None

    def label(self) -> str:
        """The Region.source string results and reports show."""
        return _source_label(self)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"by": self.by}
        if self.model is not None:
            d["model"] = self.model
        if self.score is not None:
            d["score"] = round(float(self.score), 3)
        return d


@dataclass
class PlanRegion:
    """One box to hide (or, switched off, not to hide). ``frames``: the video frames it applies
    on (inclusive), None for every frame."""

    id: str
    box: tuple[float, float, float, float]
    kind: str = "manual"
    on: bool = True
    shape: str = "box"
    source: Source = field(default_factory=Source)
    uncertain: bool = False
    frames: tuple[int, int] | None = None

    def region(self) -> Region:
        """The mask region (what mask.py draws)."""
        return Region(*self.box, score=self.source.score if self.source.score is not None else 1.0, source=_source_label(self.source), shape=self.shape)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "kind": self.kind, "on": self.on, "shape": self.shape, "box": [round(float(v), 1) for v in self.box], "source": self.source.to_json()}
        if self.uncertain:
            d["uncertain"] = True
        if self.frames is not None:
            d["frames"] = list(self.frames)
        return d


@dataclass
class PlanTrack:
    """A face followed through a video: its box on every frame it masks."""

    id: str
    boxes: dict[int, tuple[float, float, float, float]]
    kind: str = "face"
    on: bool = True
    shape: str = "head"
    source: Source = field(default_factory=lambda: Source("detector"))
    keyframes: set[int] = field(default_factory=set)

    @property
    def first(self) -> int:
        return min(self.boxes)

    @property
    def last(self) -> int:
        return max(self.boxes)

    def region_at(self, frame: int) -> Region | None:
        b = self.boxes.get(frame)
        if b is None:
            return None
        return Region(*b, score=self.source.score if self.source.score is not None else 1.0, source=_source_label(self.source), shape=self.shape)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "on": self.on, "shape": self.shape, "source": self.source.to_json(),
            "boxes": [[f, *(round(float(v), 1) for v in b)] for f, b in sorted(self.boxes.items())],
            "keyframes": sorted(self.keyframes),
        }


@dataclass
class InputInfo:
    sha256: str
    kind: str  # image | video | audio
    format: str
    width: int | None = None
    height: int | None = None
    frames: int | None = None  # video
    time_base: str | None = None  # video: "num/den" of the pts below
    pts: list[int | None] | None = None  # video: every frame's timestamp as decoded

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"sha256": self.sha256, "kind": self.kind, "format": self.format}
        for k in ("width", "height", "frames", "time_base", "pts"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        return d


@dataclass
class Plan:
    input: InputInfo
    regions: list[PlanRegion] = field(default_factory=list)
    tracks: list[PlanTrack] = field(default_factory=list)

    # --- reading what the plan says -------------------------------------------------------
    def masks(self) -> list[Region]:
        """Stills (and sound: nothing): every region switched on."""
        return [r.region() for r in self.regions if r.on and r.frames is None]

    def masks_at(self, frame: int) -> list[Region]:
        """Video: what frame ``frame`` masks (tracks and regions switched on)."""
        out = [r.region() for r in self.regions if r.on and (r.frames is None or r.frames[0] <= frame <= r.frames[1])]
        for t in self.tracks:
            if t.on:
                reg = t.region_at(frame)
                if reg is not None:
                    out.append(reg)
        return out

    def frame_masks(self) -> dict[int, list[Region]]:
        """Video: every frame's masks (frames with none are absent)."""
        n = self.input.frames or 0
        out: dict[int, list[Region]] = {}
        for r in self.regions:
            if r.on:
                lo, hi = r.frames if r.frames is not None else (0, n - 1)
                for f in range(lo, hi + 1):
                    out.setdefault(f, []).append(r.region())
        for t in self.tracks:
            if t.on:
                for f in t.boxes:
                    reg = t.region_at(f)
                    assert reg is not None
                    out.setdefault(f, []).append(reg)
        return out

    def added_by_verification(self) -> list[dict[str, Any]]:
        """What verification masked beyond the plan it was given (for results and reports)."""
        out = [r.to_json() for r in self.regions if r.source.by == "verification"]
        for t in self.tracks:
            if t.source.by == "verification":
                bs = list(t.boxes.values())
                extent = [round(min(b[0] for b in bs), 1), round(min(b[1] for b in bs), 1), round(max(b[2] for b in bs), 1), round(max(b[3] for b in bs), 1)]
                out.append({"id": t.id, "kind": t.kind, "frames": [t.first, t.last], "box": extent, "source": t.source.to_json()})
        return out

    def switched_off(self, frame: int | None = None) -> list[Region]:
        """Regions and tracks a person switched off (not the uncertain spots, which are off until
        someone looks): verification leaves a face there visible. ``frame``: on that video frame."""
        out = [r.region() for r in self.regions if not r.on and not r.uncertain and (frame is None or r.frames is None or r.frames[0] <= frame <= r.frames[1])]
        for t in self.tracks:
            if not t.on:
                if frame is None:
                    out += [reg for f in t.boxes if (reg := t.region_at(f)) is not None]
                elif (reg := t.region_at(frame)) is not None:
                    out.append(reg)
        return out

    @property
    def uncertain(self) -> list[PlanRegion]:
        return [r for r in self.regions if r.uncertain]

    def doubtful(self) -> list[PlanRegion | PlanTrack]:
        """The detector's face masks scored under DOUBT, switched on or off, the least sure first
        (ties by id): the order the review page's slider switches them in. A video's are its
        tracks, a still's its regions; uncertain spots are not masks and are left out."""
        pool: list[PlanRegion | PlanTrack] = list(self.tracks) if self.input.kind == "video" else [r for r in self.regions if not r.uncertain]
        # scores as the plan file (and so the page) holds them, to 3 decimals: the same set and order
        scored = [(round(r.source.score, 3), r.id, r) for r in pool if r.kind == "face" and r.source.by == "detector" and r.source.score is not None]
        return [r for s, _, r in sorted(x for x in scored if x[0] < DOUBT)]

    # --- changing it ------------------------------------------------------------------------
    def copy(self) -> "Plan":
        """A plan that verification may add to, leaving this one as it was given (the regions
        and tracks themselves are shared: additions are new objects, nothing is changed in place)."""
        return Plan(self.input, list(self.regions), list(self.tracks))

    def new_id(self, prefix: str) -> str:
        taken = {r.id for r in self.regions} | {t.id for t in self.tracks}
        # past the highest number: a number freed by a removed box is not given again (the
        # review page's Undo finds each mask by its id)
        n = 1 + max((int(i[len(prefix) :]) for i in taken if i.startswith(prefix) and i[len(prefix) :].isdigit()), default=0)
        while f"{prefix}{n}" in taken:
            n += 1
        return f"{prefix}{n}"

    def add_region(self, box: Iterable[float], *, kind: str = "manual", shape: str = "box", source: Source | None = None, frames: tuple[int, int] | None = None, on: bool = True, uncertain: bool = False, prefix: str = "m") -> PlanRegion:
        """A region over ``box``, which must lie as a plan may hold it (in_picture): a plan
        that ``load_plan`` would refuse is never written (ValueError)."""
        b = as_box(box)
        if self._fitted(b) != b:
            raise ValueError(f"box {list(b)} is empty, inverted or not finite, or lies outside the {self.input.width}x{self.input.height} picture or reaches far past it")
        r = PlanRegion(self.new_id(prefix), b, kind, on, shape, source or Source("person"), uncertain, frames)
        self.regions.append(r)
        return r

    def _fitted(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float] | None:
        """``box`` as the plan may hold it (in_picture); None where it masks nothing: empty,
        inverted, not finite, or wholly outside the picture."""
        if not (all(finite_number(c) for c in box) and box[2] > box[0] and box[3] > box[1]):
            return None
        if self.input.width is None or self.input.height is None:
            return box
        return in_picture(box, self.input.width, self.input.height)

    def add_found(self, r: Region, *, shape: str, on: bool = True, uncertain: bool = False, frames: tuple[int, int] | None = None, prefix: str = "f") -> PlanRegion | None:
        """A face the detectors or verification found, as a region fitted to the picture the way
        a plan holds boxes (in_picture); None for one wholly outside, which would mask nothing (the
        detector's faintest finds at an edge can lie past it, and a plan holding one is refused
        when it is read back)."""
        box = self._fitted(as_box((r.x0, r.y0, r.x1, r.y1)))
        if box is None:
            return None
        return self.add_region(box, kind="face", shape=shape, source=source_of(r), frames=frames, on=on, uncertain=uncertain, prefix=prefix)

    def add_drawn(self, r: Region, *, frames: tuple[int, int] | None = None) -> PlanRegion | None:
        """A box a person drew (``--regions``), fitted to the picture like a found face; None for
        one wholly outside it (a box meant for every file may miss a smaller picture)."""
        box = self._fitted(as_box((r.x0, r.y0, r.x1, r.y1)))
        if box is None:
            return None
        return self.add_region(box, kind="manual", shape=r.shape, source=Source("person"), frames=frames)

    def find(self, item_id: str) -> PlanRegion | PlanTrack:
        for r in self.regions:
            if r.id == item_id:
                return r
        for t in self.tracks:
            if t.id == item_id:
                return t
        raise KeyError(item_id)

    # --- JSON ------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"unseen_plan": SCHEMA, "input": self.input.to_json(), "regions": [r.to_json() for r in self.regions]}
        if self.input.kind == "video":
            d["tracks"] = [t.to_json() for t in self.tracks]
        return d

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":") if self.tracks else (", ", ": "), indent=None if self.tracks else 1)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically (a temporary name, then a rename): a plan is never half-written."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(self.dumps() + "\n", encoding="utf-8")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    @classmethod
    def from_json(cls, data: Any) -> "Plan":
        """Validate and build; a PlanError (one line) for anything malformed or hostile."""
        return _parse(data)


def _source_label(s: Source) -> str:
    """The Region.source string results and reports show."""
    if s.by == "verification":
        return "verify:" + (s.model or "checker")
    if s.by == "person":
        return "manual"
    return s.model or s.by


def source_of(r: Region) -> Source:
    """The plan's source for a region the pipeline produced."""
    if r.source.startswith("verify:"):
        return Source("verification", r.source.split(":", 1)[1] or None, float(r.score))
    if r.source == "manual":
        return Source("person")
    by = "checker" if r.source.startswith("blazeface") else "detector"
    return Source(by, r.source, float(r.score))


def as_box(box: Iterable[float]) -> tuple[float, float, float, float]:
    """A box as the plan keeps it: to a tenth of a pixel, as written, so that a plan read back
    renders to exactly the pixels of the plan in memory."""
    b = [round(float(v), 1) for v in box]
    if len(b) != 4:
        raise PlanError(N_("plan: a box needs 4 numbers, got {n}").format(n=len(b)))
    return b[0], b[1], b[2], b[3]


# --- validation ---------------------------------------------------------------------------------


def load_plan(path: str | os.PathLike[str], input_sha256: str | None = None) -> Plan:
    """Read and validate a plan file; with ``input_sha256``, refuse a plan made for another file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise PlanError(N_("plan {name}: {size} bytes is more than a plan can hold ({limit})").format(name=path.name, size=size, limit=MAX_BYTES))
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PlanError(N_("cannot read plan {path}: {reason}").format(path=path, reason=getattr(e, "strerror", None) or e)) from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        raise PlanError(N_("plan {name} is not valid JSON: {reason}").format(name=path.name, reason=" ".join(str(e).split())[:120])) from None
    plan = Plan.from_json(data)
    if input_sha256 is not None and plan.input.sha256 != input_sha256:
        raise PlanError(N_("plan {name} was made for another file (SHA-256 {plan_sha}..., this file {sha}...); nothing rendered").format(name=path.name, plan_sha=plan.input.sha256[:12], sha=input_sha256[:12]))
    return plan


def _no_constant(name: str) -> None:
    raise ValueError(N_("{name} is not a number a plan may hold").format(name=name))


def _need(cond: bool, what: "str | Callable[[], str]") -> None:
    """``what``: the problem, or a function saying it (a crowd's plan holds 100,000 boxes: the
    words are made only for the one that fails, which saved 2 of a 2.5-s read)."""
    if not cond:
        raise PlanError(N_("plan: {what}").format(what=what() if callable(what) else what))


def _obj(d: Any, what: str, allowed: set[str]) -> dict[str, Any]:
    _need(isinstance(d, dict), lambda: N_("{field} must be an object").format(field=what))
    extra = set(d) - allowed
    _need(not extra, lambda: N_("{field} has unknown field(s): {names}").format(field=what, names=", ".join(sorted(map(str, extra)))[:80]))
    return d


def _int(v: Any, what: str, lo: int, hi: int) -> int:
    _need(isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi, lambda: N_("{field} must be a whole number from {lo} to {hi}").format(field=what, lo=lo, hi=hi))
    return int(v)


def _num(v: Any, what: str) -> float:
    _need(finite_number(v), lambda: N_("{field} must be a finite number").format(field=what))
    return float(v)


def _text(v: Any, what: str, choices: tuple[str, ...] | None = None) -> str:
    _need(isinstance(v, str) and 0 < len(v) <= MAX_ID, lambda: N_("{field} must be a short text").format(field=what))
    if choices is not None:
        _need(v in choices, lambda: N_("{field} must be one of {choices} (got {value})").format(field=what, choices=", ".join(choices), value=repr(v[:20])))
    return str(v)


def in_picture(box: tuple[float, float, float, float], width: int, height: int) -> tuple[float, float, float, float] | None:
    """A box as a plan may hold it for a ``width`` x ``height`` picture: None when it lies wholly
    outside (it would mask nothing: a held box the camera carried off the frame), otherwise the
    box with its far sides brought within a picture's size of the edges. A head box may reach
    past the edge (a face at the border): its shape is drawn from the whole box."""
    x0, y0, x1, y1 = box
    if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
        return None
    return max(x0, -width), max(y0, -height), min(x1, 2 * width), min(y1, 2 * height)


def _checked_box(v: Any, what: str, width: int | None, height: int | None) -> tuple[float, float, float, float]:
    _need(isinstance(v, list) and len(v) == 4, lambda: N_("{field} must be [x0, y0, x1, y1]").format(field=what))
    # judged as the plan keeps it (a tenth of a pixel): a box thinner than that read back empty
    x0, y0, x1, y1 = as_box(_num(c, what) for c in v)
    _need(x1 > x0 and y1 > y0, lambda: N_("{field} is empty or inverted: {box}").format(field=what, box=v))
    if width is not None and height is not None:
        fitted = in_picture((x0, y0, x1, y1), width, height)
        _need(fitted is not None, lambda: N_("{field} {box} lies outside the {size} picture").format(field=what, box=[round(c) for c in (x0, y0, x1, y1)], size=f"{width}x{height}"))
        _need(fitted == (x0, y0, x1, y1), lambda: N_("{field} reaches far outside the {size} picture").format(field=what, size=f"{width}x{height}"))
    return x0, y0, x1, y1


def _source(v: Any, what: str) -> Source:
    d = _obj(v, what, {"by", "model", "score"})
    by = _text(d.get("by"), f"{what}.by", SOURCES)
    model = _text(d["model"], f"{what}.model") if d.get("model") is not None else None
    score = _num(d["score"], f"{what}.score") if d.get("score") is not None else None
    return Source(by, model, score)


def _parse_input(v: Any) -> InputInfo:
    d = _obj(v, "input", {"sha256", "kind", "format", "width", "height", "frames", "time_base", "pts"})
    sha = d.get("sha256")
    _need(isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha), N_("input.sha256 must be 64 hex digits"))
    kind = _text(d.get("kind"), "input.kind", MEDIA)
    fmt = _text(d.get("format"), "input.format")
    info = InputInfo(sha, kind, fmt)
    if kind != "audio":
        info.width = _int(d.get("width"), "input.width", 1, 1 << 20)
        info.height = _int(d.get("height"), "input.height", 1, 1 << 20)
    if kind == "video":
        info.frames = _int(d.get("frames"), "input.frames", 1, MAX_FRAMES)
        tb = d.get("time_base")
        _need(isinstance(tb, str) and len(tb) <= 32 and tb.count("/") == 1 and all(p.isdigit() for p in tb.split("/")) and not tb.endswith("/0"), N_("input.time_base must be 'num/den'"))
        info.time_base = tb
        pts = d.get("pts")
        _need(isinstance(pts, list) and len(pts) == info.frames, N_("input.pts must list one timestamp per frame"))
        _need(all(p is None or (isinstance(p, int) and not isinstance(p, bool) and abs(p) < 1 << 62) for p in pts), N_("input.pts must hold whole numbers"))
        info.pts = pts
    return info


def _parse(data: Any) -> Plan:
    _need(isinstance(data, dict), N_("a plan is a JSON object"))
    version = data.get("unseen_plan")
    _need(isinstance(version, int) and not isinstance(version, bool), N_("not an unseen plan (no \"unseen_plan\" version)"))
    if version > SCHEMA:
        raise PlanError(N_("plan: schema {version} is newer than this unseen reads ({schema}); update unseen").format(version=version, schema=SCHEMA))
    _need(version >= 1, lambda: N_("plan: unknown schema {version}").format(version=version))
    d = _obj(data, "plan", {"unseen_plan", "input", "regions", "tracks"})
    info = _parse_input(d.get("input"))
    w, h = info.width, info.height
    raw_regions = d.get("regions", [])
    _need(isinstance(raw_regions, list) and len(raw_regions) <= MAX_REGIONS, lambda: N_("regions must be a list of at most {limit}").format(limit=MAX_REGIONS))
    ids: set[str] = set()
    plan = Plan(info)
    for k, rv in enumerate(raw_regions):
        what = f"regions[{k}]"
        r = _obj(rv, what, {"id", "kind", "on", "shape", "box", "source", "uncertain", "frames"})
        rid = _text(r.get("id"), f"{what}.id")
        _need(rid not in ids, lambda: N_("{field}.id {id} is used twice").format(field=what, id=repr(rid)))
        ids.add(rid)
        on = r.get("on", True)
        _need(isinstance(on, bool), lambda: N_("{field}.on must be true or false").format(field=what))
        unc = r.get("uncertain", False)
        _need(isinstance(unc, bool), lambda: N_("{field}.uncertain must be true or false").format(field=what))
        frames = None
        if r.get("frames") is not None:
            _need(info.kind == "video", lambda: N_("{field}.frames: only a video has frames").format(field=what))
            fr = r["frames"]
            _need(isinstance(fr, list) and len(fr) == 2, lambda: N_("{field}.frames must be [first, last]").format(field=what))
            assert info.frames is not None
            a, b = (_int(x, f"{what}.frames", 0, info.frames - 1) for x in fr)
            _need(a <= b, lambda: N_("{field}.frames: first after last").format(field=what))
            frames = (a, b)
        _need(info.kind != "audio", lambda: N_("{field}: a sound has no picture to mask").format(field=what))
        plan.regions.append(PlanRegion(
            rid, _checked_box(r.get("box"), f"{what}.box", w, h), _text(r.get("kind", "manual"), f"{what}.kind", KINDS), on,
            _text(r.get("shape", "box"), f"{what}.shape", SHAPES), _source(r.get("source", {"by": "person"}), f"{what}.source"), unc, frames,
        ))
    raw_tracks = d.get("tracks", [])
    _need(isinstance(raw_tracks, list), N_("tracks must be a list"))
    _need(not raw_tracks or info.kind == "video", N_("tracks: only a video has tracks"))
    total = 0
    for k, tv in enumerate(raw_tracks):
        what = f"tracks[{k}]"
        t = _obj(tv, what, {"id", "kind", "on", "shape", "source", "boxes", "keyframes"})
        tid = _text(t.get("id"), f"{what}.id")
        _need(tid not in ids, lambda: N_("{field}.id {id} is used twice").format(field=what, id=repr(tid)))
        ids.add(tid)
        on = t.get("on", True)
        _need(isinstance(on, bool), lambda: N_("{field}.on must be true or false").format(field=what))
        raw = t.get("boxes")
        _need(isinstance(raw, list) and raw, lambda: N_("{field}.boxes must be a non-empty list").format(field=what))
        total += len(raw)
        _need(total <= MAX_TRACK_BOXES, lambda: N_("tracks hold more than {limit} boxes").format(limit=MAX_TRACK_BOXES))
        assert info.frames is not None
        boxes: dict[int, tuple[float, float, float, float]] = {}
        for j, e in enumerate(raw):
            _need(isinstance(e, list) and len(e) == 5, lambda: N_("{field}.boxes[{j}] must be [frame, x0, y0, x1, y1]").format(field=what, j=j))
            f = _int(e[0], f"{what}.boxes[{j}] frame", 0, info.frames - 1)
            _need(f not in boxes, lambda: N_("{field}.boxes: frame {frame} twice").format(field=what, frame=f))
            boxes[f] = _checked_box(e[1:], f"{what}.boxes[{j}]", w, h)
        keys = t.get("keyframes", [])
        _need(isinstance(keys, list) and len(keys) <= len(boxes), lambda: N_("{field}.keyframes must be a list of its frames").format(field=what))
        key_set = {_int(x, f"{what}.keyframes", 0, info.frames - 1) for x in keys}
        _need(key_set <= set(boxes), lambda: N_("{field}.keyframes names a frame the track has no box on").format(field=what))
        plan.tracks.append(PlanTrack(tid, boxes, _text(t.get("kind", "face"), f"{what}.kind", KINDS), on, _text(t.get("shape", "head"), f"{what}.shape", SHAPES), _source(t.get("source", {"by": "detector"}), f"{what}.source"), key_set))
    return plan


def plan_path(output: str | os.PathLike[str]) -> Path:
    """Where the plan of an output lives: beside it, ``NAME.plan.json`` for ``NAME.unseen.EXT``."""
    out = Path(output)
    stem = out.name.split(".unseen.")[0] if ".unseen." in out.name else out.stem
    return out.with_name(f"{stem}{PLAN_SUFFIX}")
