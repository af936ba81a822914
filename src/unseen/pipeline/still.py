"""Stills: analyse (decode -> detect -> plan), then render (mask -> encode -> verify -> publish)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..i18n import N_
from ..errors import OutputError, VerificationFailed
from ..mask import MaskStyle, apply
from ..media.metadata import image_findings
from ..media.probe import Probe
from ..media.still import BLOCK_GRID, EXTENSION, LOSSY, NOISE_GRID, OUTPUT_FORMAT, PALETTE, STILL, Picture, view_sizes, views
from ..names import finding_names
from ..output import output_path, publish, staged
from ..plan import InputInfo, Plan
from ..results import CleanResult, Verification
from ..types import Detections, Region
from ..verify import still as verify
from .common import Options
from .progress import Progress, Stage

if TYPE_CHECKING:
    from ..detect import Judgement

MAX_VERIFY_ROUNDS = 6
_SAME_FAMILY = {
    "jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "tiff": (".tif", ".tiff"),
    "heif": (".heic", ".heif", ".hif"),
    "ppm": (".ppm", ".pgm", ".pbm", ".pnm"),
}


def output_extension(src: Path, fmt: str) -> tuple[str, bool]:
    """The output's extension for a still of sniffed format ``fmt``, and whether it is the
    input's own (``.jpeg`` stays ``.jpeg``; a PNG named ``.jpg`` becomes ``.png``)."""
    out_fmt = OUTPUT_FORMAT.get(fmt, fmt)
    if src.suffix.lower() in _SAME_FAMILY.get(out_fmt, (EXTENSION[out_fmt],)):
        return src.suffix, True
    return EXTENSION[out_fmt], False


def _models_used(opts: Options) -> dict[str, str]:
    if not opts.faces:
        return {}
    from ..detect import face_checker, face_finder

    return {w.name: w.sha256 for w in [*face_finder().weights, *face_checker().weights]}


# A photo's face boxes are voted over the pyramid's passes (detect._voted_faces), nearer the face
# than the span of its boxes, and their heads a fifth wider: on bench/faces.py more faces are
# protected than with spanned boxes at about the same collateral (squeezed set 1859 against 1848,
# 5.2% against 5.3%; true proportions 1983 against 1978, 6.6% against 6.4%; README "Which
# candidates are faces" has the margins tried)
VOTED_MARGIN = 1.2


def detect_faces(pic: Picture, stage: Progress | None = None) -> Judgement:
    """Faces (as head-shaped regions) and uncertain spots in every frame; animations get the
    union over frames so a moving face stays covered in between (recall first). ``stage``
    ticks once per detector run (see ``detect_steps``)."""
    from ..detect import Judgement, find_faces

    found = Judgement()
    for frame in _distinct(pic):
        for view in views(frame):  # with transparency and a 360 picture's poles, as viewers show them
            seen = find_faces(view.rgb, stage.tick if stage is not None else None)
            # heads drawn where the face was found, then brought back: a face split at a 360
            # picture's seam keeps the whole head's margins
            found = found + Judgement(view.back([r.head(VOTED_MARGIN) for r in seen.faces]), view.back(seen.uncertain))
    return found


def _distinct(pic: Picture) -> list[np.ndarray]:
    """The frames, each picture once (a still animation repeats its frames)."""
    seen: dict[bytes, np.ndarray] = {}
    for frame in pic.frames:
        seen.setdefault(hashlib.blake2b(frame.tobytes(), digest_size=16).digest(), frame)
    return list(seen.values())


def detect_steps(pic: Picture) -> int:
    """How many times ``detect_faces`` ticks: every tile of every detector pass, per frame."""
    from ..detect import find_faces_steps

    return sum(find_faces_steps(w, h) for f in _distinct(pic) for w, h in view_sizes(f))


def _render(pic: Picture, regions: list[Region], style: MaskStyle, seed: int) -> Picture:
    rng = np.random.default_rng(seed)
    return Picture([apply(f, regions, style, rng) for f in pic.frames], pic.format, pic.durations, pic.loop)


def _without_repeats(pic: Picture) -> Picture:
    """An animation's consecutive identical frames as one, shown for as long as they were: the
    GIF, APNG and WebP writers merge them, and the read-back found fewer frames than rendered (a
    held frame, or a blinking face the masks made the same). A TIFF's pages stay as they are."""
    if len(pic.frames) < 2 or pic.format == "tiff" or not pic.durations:
        return pic
    frames, durations = [pic.frames[0]], [pic.durations[0]]
    for frame, duration in zip(pic.frames[1:], pic.durations[1:]):
        if np.array_equal(frame, frames[-1]):
            durations[-1] += duration
        else:
            frames.append(frame)
            durations.append(duration)
    return Picture(frames, pic.format, durations, pic.loop)


def _unmasked(frames: list[np.ndarray], regions: list[Region], style: MaskStyle, kept: Sequence[Region] = ()) -> tuple[list[Region], list[Region]]:
    """Heads of the faces visible on ``frames`` by the rule ``audit`` reports by, and the faces
    that rule sees on the masks themselves. With a solid fill the rule alone decides (a face
    mostly under a solid mask is not visible to it); the other fills leave texture under the
    mask, so a face 80% covered is not masked again, but it is returned apart: ``audit`` of the
    output would report it (a head of noise with hair around it can read as a face).
    A face where a person switched a region off (``kept``) stays visible: theirs is the last word."""
    from ..detect import visible_faces

    out: list[Region] = []
    on_fill: list[Region] = []
    for frame, view in ((f, view) for f in frames for view in views(f)):
        h, w = frame.shape[:2]
        found = Detections(view.back(visible_faces(view.rgb).faces))
        if style.fill != "solid":
            open_ = verify.unmasked_faces(found, regions, w, h, style.grid)
            on_fill += [r for r in found if r not in open_ and verify.has_area(r, w, h)]
            found = Detections(open_)
        heads = [Region(r.x0, r.y0, r.x1, r.y1, r.score, "verify:" + r.source).head() for r in found]
        out += [h for h in heads if not any(verify.left_visible(h, k) for k in kept)]
    return out, on_fill


def _verify(fmt: str, data: bytes, rendered: Picture, regions: list[Region], style: MaskStyle, faces: bool, kept: Sequence[Region] = ()) -> verify.Check:
    """Read the written bytes back: structure, metadata, masks, and no visible face. A frame that
    decodes to exactly the rendered pixels was already judged before encoding (see
    _encode_verified); every other frame is judged again as decoded."""

    check = verify.Check()
    check.problems += verify.structure(fmt, data)
    check.problems += verify.decoded_view(fmt, data)
    tmp_decoded = STILL.decode_bytes(data, fmt)
    if len(tmp_decoded.frames) != len(rendered.frames):
        check.problems.append(f"output has {len(tmp_decoded.frames)} frames, expected {len(rendered.frames)}")
        return check
    # a palette approximates colours, a flat fill's too: beside a transparent colour that took
    # black's entry, a black mask came back (4, 1, 1)
    lossy = fmt in LOSSY
    for exp, got in zip(rendered.frames, tmp_decoded.frames):
        check.problems += verify.masks(exp, got, regions, style, lossy, palette=fmt in PALETTE)
    if faces and not check.problems:
        changed = [got for exp, got in zip(rendered.frames, tmp_decoded.frames) if not np.array_equal(exp, got)]
        unmasked, check.on_fill = _unmasked(changed, regions, style, kept)
        check.unmasked += unmasked
    return check


@dataclass
class Analysed:
    """A still's plan, with the decoded picture (so ``clean`` decodes once)."""

    plan: Plan
    picture: Picture


def analyse(src: Path, p: Probe, sha256: str, opts: Options) -> Analysed:
    """Decode and find faces: every face a region switched on, every uncertain spot one
    switched off; hand-drawn regions (``--regions``) switched on."""
    pic = STILL.decode(src, p.format)
    plan = Plan(InputInfo(sha256, "image", p.format, *pic.canvas))
    for r in opts.manual_for(src):
        plan.add_drawn(r)
    if opts.faces:
        with Stage(opts, "analyse", detect_steps(pic), N_("analyse {name}").format(name=src.name), unit="step") as stage:
            found = detect_faces(pic, stage)
        for r in found.faces:
            plan.add_found(r, shape=r.shape, prefix="f")  # a head; a box round a 360 picture's pole or seam
        for r in found.uncertain:
            plan.add_found(r, shape="box", on=False, uncertain=True, prefix="u")
    return Analysed(plan, pic)


def render(src: Path, p: Probe, raw: bytes, plan: Plan, opts: Options, pic: Picture | None = None) -> CleanResult:
    """Mask what ``plan`` switches on, encode, verify (adding what verification still finds to
    the result's plan) and publish. ``raw``: the input's bytes (scanned for the metadata list)."""
    res = CleanResult(input=str(src), input_sha256=plan.input.sha256, kind="image", format=p.format)
    handler = STILL
    out_fmt = OUTPUT_FORMAT.get(p.format, p.format)
    if out_fmt != p.format:
        res.fallback = N_("{format} is not written by unseen; wrote {written}").format(format=p.format.upper(), written=out_fmt.upper())
    final = output_path(src, opts.out_dir, EXTENSION[out_fmt], _SAME_FAMILY.get(out_fmt, (EXTENSION[out_fmt],)), opts.output)
    if final.exists() and not opts.overwrite:
        raise OutputError(N_("output exists: {path} (use --overwrite)").format(path=final))
    with handler.open(src, p.format) as im:
        try:
            res.metadata_found = finding_names(f.name for f in image_findings(im, p.format, raw))
        except Exception:  # noqa: BLE001 - listing names is informative; cleaning must not depend on it
            res.metadata_found = ["unreadable metadata"]
    if pic is None:
        pic = handler.decode(src, p.format)
    if pic.canvas != (plan.input.width, plan.input.height):
        raise VerificationFailed(N_("the plan is for a {plan_size} picture, this one decodes to {size}").format(plan_size=f"{plan.input.width}x{plan.input.height}", size="{}x{}".format(*pic.canvas)))
    if pic.left_out:
        res.warnings.append(N_("the file holds {n} more image(s): only the main image is in the safe copy").format(n=pic.left_out))
    regions = plan.masks()
    planned = len(regions)
    res.uncertain = [r.region() for r in plan.uncertain if not r.on]
    kept = plan.switched_off()
    if kept:
        res.warnings.append(N_("{n} region(s) left visible as the plan says (switched off by a person); audit reports any face among them").format(n=len(kept)))
    if opts.faces:
        res.models = _models_used(opts)
    seed = secrets.randbits(64)  # noise fill comes from the OS entropy pool, never stored
    try:
        regions, rounds = _encode_verified(pic, regions, _style(opts, out_fmt), seed, out_fmt, final, opts, kept)
    except _EncodeFailed as e:
        # the format could not be written here (no encoder): fall back to PNG and say so
        res.fallback = N_("{format} could not be encoded ({reason}); wrote PNG").format(format=out_fmt.upper(), reason=e)
        out_fmt = "png"
        final = final.with_suffix(EXTENSION[out_fmt])
        if final.exists() and not opts.overwrite:
            raise OutputError(N_("output exists: {path} (use --overwrite)").format(path=final)) from None
        regions, rounds = _encode_verified(pic, regions, _style(opts, out_fmt), seed, out_fmt, final, opts, kept)
    added = regions[planned:]
    res.plan = _with_added(plan, added)
    res.verification = Verification(
        True,
        {
            "structure": "no metadata blocks, nothing after the end",
            "masks": f"{len(regions)} regions covered in the decoded output",
            "faces": "no unmasked face in the written file (both detectors, judged as audit judges)" if opts.faces else "skipped (--no-faces)",
        },
        rounds,
        len(added),
    )
    res.output, res.output_format, res.regions = str(final), out_fmt, regions
    return res


def _with_added(plan: Plan, added: list[Region]) -> Plan:
    """The plan as released: what verification masked added as regions of its own."""
    out = plan.copy()
    for r in added:
        out.add_found(r, shape=r.shape, prefix="v")
    return out


class _EncodeFailed(Exception):
    pass


def _redraw(style: MaskStyle, on_fill: list[Region], seed: int) -> int:
    """The seed of the next round: noise that reads as a face is drawn afresh; a blur or mosaic
    that still shows a face would show it again, so it fails at once."""
    if not on_fill:
        return seed
    if style.fill != "noise":
        raise VerificationFailed(_fill_shows_a_face(style, on_fill))
    return secrets.randbits(64)


def _fill_shows_a_face(style: MaskStyle, on_fill: list[Region]) -> str:
    r = on_fill[0]
    return N_("a face still shows through the {fill} fill at {box} (--fill solid hides it)").format(fill=style.fill, box=f"({r.x0:.0f},{r.y0:.0f})-({r.x1:.0f},{r.y1:.0f})")


def _style(opts: Options, out_fmt: str) -> MaskStyle:
    codec_grid = (NOISE_GRID.get(out_fmt) if opts.fill == "noise" else None) or BLOCK_GRID.get(out_fmt, 1)
    grid = opts.grid if opts.grid is not None else codec_grid
    return MaskStyle(opts.fill, opts.color, grid, palette=out_fmt in PALETTE)


def _encode_verified(
    pic: Picture, regions: list[Region], style: MaskStyle, seed: int, fmt: str, final: Path, opts: Options, kept: Sequence[Region] = ()
) -> tuple[list[Region], int]:
    """Render, encode under a temporary name, verify; mask what the checker still finds (but
    what a person switched off, ``kept``) and repeat; publish only a file that passed. Returns
    the final regions and the rounds used."""
    regions = list(regions)
    # each round: mask, look on the rendered picture, encode, verify (a large HEIC encodes for long)
    with staged(final) as tmp, Stage(opts, "render", 4, N_("render {name}").format(name=final.name), unit="step") as stage:
        for round_ in range(1, MAX_VERIFY_ROUNDS + 1):
            if round_ > 1:
                stage.grow(4)
            stage.note(N_("masking"))
            rendered = _without_repeats(_render(pic, regions, style, seed))
            stage.tick()
            stage.note(N_("looking for faces left"))
            # faces visible on the rendered picture are covered before anything is encoded
            unmasked, on_fill = _unmasked(rendered.frames, regions, style, kept) if opts.faces else ([], [])
            if unmasked or on_fill:
                check = verify.Check(unmasked=unmasked, on_fill=on_fill)
                regions += unmasked
                seed = _redraw(style, on_fill, seed)
                stage.tick(3)
                continue
            stage.tick()
            stage.note(N_("encoding {format}").format(format=fmt.upper()))
            try:
                STILL.encode(rendered, tmp, fmt)
            except (OSError, ValueError, KeyError) as e:
                if fmt == "png":
                    raise OutputError(N_("cannot encode output: {reason}").format(reason=" ".join(str(e).split()))) from None
                raise _EncodeFailed(" ".join(str(e).split())[:80]) from None
            stage.tick()
            stage.note(N_("verifying the written file"))
            check = _verify(fmt, tmp.read_bytes(), rendered, regions, style, opts.faces, kept)
            stage.tick()
            if check.problems:
                raise VerificationFailed(N_("verification failed: {problems}").format(problems="; ".join(check.problems[:3])))
            if not check.unmasked and not check.on_fill:
                publish(tmp, final, opts.overwrite)
                return regions, round_
            regions += check.unmasked
            seed = _redraw(style, check.on_fill, seed)
        if not check.unmasked:
            raise VerificationFailed(_fill_shows_a_face(style, check.on_fill))
        where = ", ".join(f"({r.x0:.0f},{r.y0:.0f})-({r.x1:.0f},{r.y1:.0f})" for r in check.unmasked[:5])
        raise VerificationFailed(N_("verification failed: faces still unmasked after {rounds} rounds at {where}").format(rounds=MAX_VERIFY_ROUNDS, where=where))
