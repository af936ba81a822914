"""The still-image pipeline: probe -> decode -> detect -> mask -> encode -> verify -> publish."""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import verify
from .errors import OutputError, UnseenError, VerificationFailed
from .formats import handler_for
from .formats.still import BLOCK_GRID, EXTENSION, LOSSY, OUTPUT_FORMAT, Picture
from .mask import MaskStyle, apply
from .metadata import image_findings
from .names import finding_names
from .model import CleanResult, Detections, Region, Verification
from .output import is_output_name, output_path, publish, staged
from .probe import probe

if TYPE_CHECKING:
    from .detect import Judgement

MAX_VERIFY_ROUNDS = 6
_SAME_FAMILY = {
    "jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "tiff": (".tif", ".tiff"),
    "heif": (".heic", ".heif", ".hif"),
    "ppm": (".ppm", ".pgm", ".pbm", ".pnm"),
}


@dataclass
class Options:
    out_dir: Path | None = None
    fill: str = "solid"
    color: tuple[int, int, int] = (0, 0, 0)
    faces: bool = True
    manual: dict[str, list[Region]] = field(default_factory=dict)  # file name or "*" -> regions
    overwrite: bool = False
    grid: int | None = None  # None: 16 for lossy outputs, 1 for lossless
    audio: str = "drop"  # video: drop | keep
    voice: str | None = None  # audio files: mute | disguise (default) | keep
    crf: int = 18  # video: x264 quality
    progress: bool = False  # video: per-frame progress bars (fps, time left) on stderr
    salvage: bool = False  # sound: keep what decodes of a damaged file (and say what was lost)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_regions(path: Path) -> dict[str, list[Region]]:
    """Read hand-drawn boxes: ``[[x0,y0,x1,y1], ...]`` for every file, or
    ``{"file name": [[x0,y0,x1,y1], ...], "*": [...]}`` per file."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise UnseenError(f"cannot read regions file {path}: {e}") from None
    if isinstance(data, list):
        data = {"*": data}
    if not isinstance(data, dict):
        raise UnseenError("regions file must hold a list of boxes or an object of lists")
    out: dict[str, list[Region]] = {}
    for key, boxes in data.items():
        regs = []
        for b in boxes:
            if isinstance(b, dict):
                b = [b.get("x0"), b.get("y0"), b.get("x1"), b.get("y1")]
            if not (isinstance(b, list) and len(b) == 4 and all(isinstance(v, (int, float)) for v in b)) or b[2] <= b[0] or b[3] <= b[1]:
                raise UnseenError(f"regions file: bad box {b!r} (want [x0, y0, x1, y1] in pixels)")
            regs.append(Region(*map(float, b), score=1.0, source="manual"))
        out[str(key)] = regs
    return out


def _models_used(opts: Options) -> dict[str, str]:
    if not opts.faces:
        return {}
    from .detect import face_checker, face_finder

    return {w.name: w.sha256 for w in [*face_finder().weights, *face_checker().weights]}


def detect_faces(pic: Picture) -> Judgement:
    """Faces (as head-shaped regions) and uncertain spots in every frame; animations get the
    union over frames so a moving face stays covered in between (recall first)."""
    from .detect import Judgement, find_faces

    found = Judgement()
    seen: set[bytes] = set()
    for frame in pic.frames:
        key = hashlib.blake2b(frame.tobytes(), digest_size=16).digest()
        if key in seen:
            continue
        seen.add(key)
        found = found + find_faces(frame)
    return Judgement([r.head() for r in found.faces], found.uncertain)


def _render(pic: Picture, regions: list[Region], style: MaskStyle, seed: int) -> Picture:
    rng = np.random.default_rng(seed)
    return Picture([apply(f, regions, style, rng) for f in pic.frames], pic.format, pic.durations, pic.loop)


def _unmasked(frames: list[np.ndarray], regions: list[Region], style: MaskStyle) -> list[Region]:
    """Heads of the faces visible on ``frames`` by the rule ``audit`` reports by. With a solid
    fill that rule alone decides (a face mostly under a solid mask is not visible to it); the
    other fills leave texture under the mask, so there a face 80% covered counts as covered."""
    from .detect import visible_faces

    out: list[Region] = []
    for frame in frames:
        h, w = frame.shape[:2]
        found = Detections(visible_faces(frame).faces)
        if style.fill != "solid":
            found = Detections(verify.unmasked_faces(found, regions, w, h, style.grid))
        out += [Region(r.x0, r.y0, r.x1, r.y1, r.score, "verify:" + r.source).head() for r in found]
    return out


def _verify(fmt: str, data: bytes, rendered: Picture, regions: list[Region], style: MaskStyle, faces: bool) -> verify.Check:
    """Read the written bytes back: structure, metadata, masks, and no visible face. A frame that
    decodes to exactly the rendered pixels was already judged before encoding (see
    _encode_verified); every other frame is judged again as decoded."""
    from .formats.still import STILL

    check = verify.Check()
    check.problems += verify.structure(fmt, data)
    check.problems += verify.decoded_view(fmt, data)
    tmp_decoded = STILL.decode_bytes(data, fmt)
    if len(tmp_decoded.frames) != len(rendered.frames):
        check.problems.append(f"output has {len(tmp_decoded.frames)} frames, expected {len(rendered.frames)}")
        return check
    lossy = fmt in LOSSY
    for exp, got in zip(rendered.frames, tmp_decoded.frames):
        check.problems += verify.masks(exp, got, regions, style, lossy)
    if faces and not check.problems:
        changed = [got for exp, got in zip(rendered.frames, tmp_decoded.frames) if not np.array_equal(exp, got)]
        check.unmasked += _unmasked(changed, regions, style)
    return check


def clean_image(src: Path, opts: Options) -> CleanResult:
    res = CleanResult(input=str(src))
    if is_output_name(src):
        raise UnseenError("already an unseen output (name contains .unseen); not cleaning it again")
    p = probe(src)
    if p.kind in ("video", "audio"):
        from .formats.video import has_video
        from .video_pipeline import clean_video

        if has_video(src):
            return clean_video(src, opts)
        from .audio_pipeline import clean_audio

        return clean_audio(src, opts)
    raw = src.read_bytes()  # read once: hashed here, scanned for metadata below
    res.input_sha256 = hashlib.sha256(raw).hexdigest()
    res.kind, res.format = p.kind, p.format
    handler = handler_for(p)
    out_fmt = OUTPUT_FORMAT.get(p.format, p.format)
    if out_fmt != p.format:
        res.fallback = f"{p.format.upper()} is not written by unseen; wrote {out_fmt.upper()}"
    final = output_path(src, opts.out_dir, EXTENSION[out_fmt], _SAME_FAMILY.get(out_fmt, (EXTENSION[out_fmt],)))
    if final.exists() and not opts.overwrite:
        raise OutputError(f"output exists: {final} (use --overwrite)")
    with handler.open(src, p.format) as im:  # type: ignore[attr-defined]
        try:
            res.metadata_found = finding_names(f.name for f in image_findings(im, p.format, raw))
        except Exception:  # noqa: BLE001 - listing names is informative; cleaning must not depend on it
            res.metadata_found = ["unreadable metadata"]
    pic: Picture = handler.decode(src, p.format)  # type: ignore[attr-defined]
    regions = list(opts.manual.get(src.name, [])) + list(opts.manual.get("*", []))
    if opts.faces:
        found = detect_faces(pic)
        regions += found.faces
        res.uncertain = found.uncertain
        res.models = _models_used(opts)
    seed = secrets.randbits(64)  # noise fill comes from the OS entropy pool, never stored
    try:
        regions, rounds = _encode_verified(pic, regions, _style(opts, out_fmt), seed, out_fmt, final, opts)
    except _EncodeFailed as e:
        # the format could not be written here (no encoder): fall back to PNG and say so
        res.fallback = f"{out_fmt.upper()} could not be encoded ({e}); wrote PNG"
        out_fmt = "png"
        final = output_path(src, opts.out_dir, EXTENSION[out_fmt])
        if final.exists() and not opts.overwrite:
            raise OutputError(f"output exists: {final} (use --overwrite)") from None
        regions, rounds = _encode_verified(pic, regions, _style(opts, out_fmt), seed, out_fmt, final, opts)
    res.verification = Verification(
        True,
        {
            "structure": "no metadata blocks, nothing after the end",
            "masks": f"{len(regions)} regions covered in the decoded output",
            "faces": "no unmasked face in the written file (both detectors, judged as audit judges)" if opts.faces else "skipped (--no-faces)",
        },
        rounds,
    )
    res.output, res.output_format, res.regions = str(final), out_fmt, regions
    return res


class _EncodeFailed(Exception):
    pass


def _style(opts: Options, out_fmt: str) -> MaskStyle:
    grid = opts.grid if opts.grid is not None else (BLOCK_GRID if out_fmt in LOSSY else 1)
    return MaskStyle(opts.fill, opts.color, grid)


def _encode_verified(
    pic: Picture, regions: list[Region], style: MaskStyle, seed: int, fmt: str, final: Path, opts: Options
) -> tuple[list[Region], int]:
    """Render, encode under a temporary name, verify; mask what the checker still finds and
    repeat; publish only a file that passed. Returns the final regions and the rounds used."""
    from .formats.still import STILL

    regions = list(regions)
    with staged(final) as tmp:
        for round_ in range(1, MAX_VERIFY_ROUNDS + 1):
            rendered = _render(pic, regions, style, seed)
            # faces visible on the rendered picture are covered before anything is encoded
            unmasked = _unmasked(rendered.frames, regions, style) if opts.faces else []
            if unmasked:
                check = verify.Check(unmasked=unmasked)
                regions += unmasked
                continue
            try:
                STILL.encode(rendered, tmp, fmt)
            except (OSError, ValueError, KeyError) as e:
                if fmt == "png":
                    raise OutputError(f"cannot encode output: {' '.join(str(e).split())}") from None
                raise _EncodeFailed(" ".join(str(e).split())[:80]) from None
            check = _verify(fmt, tmp.read_bytes(), rendered, regions, style, opts.faces)
            if check.problems:
                raise VerificationFailed("verification failed: " + "; ".join(check.problems[:3]))
            if not check.unmasked:
                publish(tmp, final, opts.overwrite)
                return regions, round_
            regions += check.unmasked
        where = ", ".join(f"({r.x0:.0f},{r.y0:.0f})-({r.x1:.0f},{r.y1:.0f})" for r in check.unmasked[:5])
        raise VerificationFailed(f"verification failed: faces still unmasked after {MAX_VERIFY_ROUNDS} rounds at {where}")
