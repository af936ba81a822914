"""Masks a journalist would publish: faces judged (not every candidate masked), neighbours kept
apart, heads shaped, nothing masked on pictures without people, and ``audit`` agreeing with
``clean``. Inputs: scikit-image's photographs (the astronaut has a real face; the cat, the
coffee cup and the rocket have none) and crowds tiled from the astronaut."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import FACE_BOX, covered, squeezed_crowd
from PIL import Image
from skimage import data as skdata

import unseen
from unseen.cli import main


def _masked(src: np.ndarray, out: np.ndarray) -> np.ndarray:
    return (out[..., :3] == 0).all(-1) & ~(src[..., :3] == 0).all(-1)


@pytest.mark.parametrize("name", ["chelsea", "coffee", "rocket"])
def test_pictures_without_people_keep_their_picture(name: str, tmp_path: Path) -> None:
    """The cat's face, the cup's rim and the rocket's windows were masked before: the old rule
    masked every candidate above 0.07 (the cat lost 100% of its picture)."""
    rgb = np.ascontiguousarray(getattr(skdata, name)())
    src = tmp_path / f"{name}.png"
    Image.fromarray(rgb).save(src)
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    out = np.asarray(Image.open(res.output).convert("RGB"))
    assert _masked(rgb, out).mean() < 0.01


def test_neighbours_stay_apart(astronaut: np.ndarray, tmp_path: Path) -> None:
    """Two heads side by side become two head-shaped masks; the gap between them and the space
    below them keep the picture (they were one rectangle spanning both)."""
    head = astronaut[40:260, 120:340]  # 220 px square, face at x 60-160 in it
    canvas = np.full((300, 440, 3), 90, dtype=np.uint8)
    canvas[40:260, 0:220] = head
    canvas[40:260, 200:420] = head[:, :220]
    src = tmp_path / "pair.png"
    Image.fromarray(canvas).save(src)
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    out = np.asarray(Image.open(res.output).convert("RGB"))
    masked = _masked(canvas, out)
    for dx in (0, 200):  # both faces covered
        fx0, fy0, fx1, fy1 = FACE_BOX
        assert masked[fy0 : fy1, fx0 - 120 + dx : fx1 - 120 + dx].mean() > 0.97
    assert len([r for r in res.regions if r.shape == "head"]) >= 2
    assert masked[40:300, 180:250].mean() < 0.5  # between the two faces: shoulders and background
    assert masked[250:300].mean() < 0.05  # below the chins


def test_mask_is_rounded_like_a_head(astronaut: np.ndarray, tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    Image.fromarray(astronaut).save(src)
    [res] = unseen.clean([src])
    out = np.asarray(Image.open(res.output).convert("RGB"))
    masked = _masked(astronaut, out)
    head = max(res.regions, key=lambda r: r.area)
    x0, y0, x1, y1 = (int(round(v)) for v in (head.x0, head.y0, head.x1, head.y1))
    assert covered(out, FACE_BOX, tol=0) > 0.99
    inner = masked[y0 + (y1 - y0) // 4 : y1 - (y1 - y0) // 4, x0 + (x1 - x0) // 4 : x1 - (x1 - x0) // 4]
    assert inner.all()
    corner = max(3, (x1 - x0) // 10)
    assert not masked[y0 : y0 + corner, x0 : x0 + corner].any()  # a head has no corners


def test_second_look_tells_a_face_from_a_texture(astronaut: np.ndarray) -> None:
    """The same faint candidate (score 0.08, under every bar) is a face on the astronaut and
    not on gravel: the second look at the zoomed crop decides."""
    from unseen.detect import face_finder, judge_for
    from unseen.types import Detections, Region

    judge = judge_for(face_finder())
    box = Region(*map(float, FACE_BOX), score=0.08, source="centerface")
    gravel = np.ascontiguousarray(np.stack([skdata.gravel()] * 3, axis=-1)[:512, :512])
    on_face = judge.candidates(astronaut, Detections([box]))
    on_gravel = judge.candidates(gravel, Detections([box]))
    assert [r.source for r in on_face.faces] == ["centerface+second-look"]
    assert on_gravel.faces == []


def test_audit_agrees_with_clean_and_names_uncertain_spots(crowd, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A crowd cleaned as verified is a crowd audit does not flag: both use one rule. Whatever
    is below that rule is reported as uncertain spots, never as faces, and does not fail audit."""
    canvas, boxes = crowd
    src = tmp_path / "crowd.png"
    Image.fromarray(canvas).save(src)
    assert main(["audit", str(src)]) == 1  # the input shows faces
    capsys.readouterr()
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    assert main(["audit", "--json", res.output]) == 0
    import json

    [report] = json.loads(capsys.readouterr().out)
    assert report["faces"] == [] and not report["identifying"]
    out = np.asarray(Image.open(res.output).convert("RGB"))
    for box in boxes[:6]:  # the faces of 40 px and up are all covered
        assert covered(out, box, tol=0) > 0.9


def test_a_large_box_does_not_swallow_the_small_faces_inside_it() -> None:
    """Two boxes are one face when they overlap by half, or one lies inside another of about its
    size; a large box (a false candidate over a crowd) keeps the small ones inside it apart, to
    be judged on their own."""
    from unseen.detect import _nms
    from unseen.types import Detections, Region

    big = Region(0, 0, 300, 300, 0.3, "centerface")
    faces = [Region(40, 40, 64, 68, 0.25, "centerface"), Region(200, 100, 222, 126, 0.2, "centerface")]
    head = Region(36, 30, 70, 72, 0.1, "centerface")  # around the first face, about its size
    kept = list(_nms(Detections([big, *faces, head])))
    assert kept == [big, *faces]


def test_a_box_with_no_area_is_its_own_face_not_a_crash() -> None:
    """A box past the picture's edge clips to nothing; grouping it found no member (its overlap
    with itself is 0) and spanning an empty group raised."""
    from unseen.detect import _voted_faces, one_per_face
    from unseen.types import Detections, Region

    flat = Region(512, 100, 512, 160, 0.9, "blazeface-full-range")
    other = Region(100, 100, 160, 170, 0.8, "centerface")
    assert list(_voted_faces(Detections([flat]), Detections([other]))) == [flat]
    assert list(one_per_face(Detections([flat, other]))) == [flat, other]


def test_a_face_is_masked_where_the_passes_agree_not_across_their_widest_edges() -> None:
    """Both rules and both detectors box a face, each a little differently. The mask's box is
    the score-weighted mean of every pass's candidates over the face (box voting), not the span
    of the group (which took the widest edge of any box: on WIDER twice the head beyond the face
    for about the same protection); a face only the second detector boxed keeps its group's span."""
    from unseen.detect import _voted_faces
    from unseen.types import Detections, Region

    judged = Detections([
        Region(100, 100, 130, 136, 0.9, "centerface"),
        Region(94, 96, 136, 140, 0.8, "blazeface"),  # the same face, boxed wider
        Region(300, 50, 320, 74, 0.7, "blazeface"),  # a face no pass of the main detector boxed
        Region(303, 48, 323, 73, 0.6, "blazeface"),  # the same face, by the other rule
    ])
    passes = Detections([
        Region(100, 100, 130, 136, 0.9, "centerface"),
        Region(102, 101, 130, 135, 0.6, "centerface"),  # the mirrored pass
        Region(98, 99, 128, 137, 0.3, "centerface"),  # the upscaled pass
        Region(10, 10, 30, 34, 0.5, "centerface"),  # another face altogether
    ])
    face, other = _voted_faces(judged, passes)
    w = np.array([0.9, 0.6, 0.3])
    expected = (np.array([[100, 100, 130, 136], [102, 101, 130, 135], [98, 99, 128, 137]]) * w[:, None]).sum(0) / w.sum()
    assert np.allclose([face.x0, face.y0, face.x1, face.y1], expected)
    assert (face.score, face.source) == (0.9, "centerface")
    assert (other.x0, other.y0, other.x1, other.y1) == (300, 48, 323, 74)


def test_a_photos_face_is_masked_from_the_vote_of_the_detector_passes(astronaut: np.ndarray, tmp_path: Path) -> None:
    """On a real portrait: the box masked lies within what the main detector's passes say on
    every side, though BlazeFace boxes the face wider (a span would have taken its edges), and
    the plan's mask is that box's head with the photo margins."""
    from unseen.detect import face_checker, face_finder, find_faces
    from unseen.detect.boxes import iou_matrix
    from unseen.pipeline.still import VOTED_MARGIN
    from unseen.types import Detections

    [face] = find_faces(astronaut).faces
    edges = np.array([face.x0, face.y0, face.x1, face.y1])
    raw = sum(face_finder().runs(astronaut).values(), Detections()).boxes()
    passes = raw[iou_matrix(edges[None].astype(np.float32), raw)[0] >= 0.5]
    assert len(passes) >= 2
    lo, hi = passes.min(axis=0), passes.max(axis=0)
    assert ((lo - 0.01 <= edges) & (edges <= hi + 0.01)).all()
    [checked] = [r for r in face_checker().find(astronaut) if r.iou(face) > 0.5]
    assert checked.x0 < lo[0] or checked.x1 > hi[2] or checked.y0 < lo[1] or checked.y1 > hi[3]
    src = tmp_path / "a.png"
    Image.fromarray(astronaut).save(src)
    [mask] = [r for r in unseen.analyse(src).regions if r.on]
    head = face.head(VOTED_MARGIN)
    assert np.allclose(mask.box, (head.x0, head.y0, head.x1, head.y1), atol=0.06)


def test_a_fill_is_not_a_face_but_a_dim_blurred_or_busy_one_is_not_a_fill(astronaut: np.ndarray) -> None:
    """Solid masks and noise, drawn a pixel or a block at a time, are fills (``audit`` found a
    "face" on a noise mask with hair around it in a third of the PNGs and half of the JPEGs
    ``clean --fill noise`` released); a dim face through JPEG, a pixelated face and the busiest
    textures of a photo are not."""
    from io import BytesIO

    from unseen.detect import fill_share
    from unseen.types import Region

    box = Region(20, 20, 60, 70)
    solid = np.full((100, 100, 3), 120, dtype=np.uint8)
    solid[10:80, 10:70] = 0
    assert fill_share(solid, box) == 1.0
    rng = np.random.default_rng(1)
    noisy = solid.copy()
    noisy[10:80, 10:70] = rng.integers(0, 256, (70, 60, 3), dtype=np.uint8)
    assert fill_share(noisy, box) > 0.95
    noisy[10:80, 10:70] = rng.integers(0, 256, (70, 60, 1), dtype=np.uint8)  # greys (a GIF's)
    assert fill_share(noisy, box) > 0.95
    # noise on a lossy output: one colour a block, through the codec (JPEG 4:4:4 at 8 px, WebP at 16)
    for fmt, g, extra in (("JPEG", 8, {"quality": 92, "subsampling": 0}), ("WEBP", 16, {"quality": 90})):
        blocks = np.full((112, 112, 3), 120, dtype=np.uint8)
        cells = rng.integers(0, 256, (112 // g, 112 // g, 3), dtype=np.uint8)
        blocks[:] = np.repeat(np.repeat(cells, g, 0), g, 1)
        buf = BytesIO()
        Image.fromarray(blocks).save(buf, fmt, **extra)
        assert fill_share(np.asarray(Image.open(buf).convert("RGB")), Region(16, 16, 96, 96)) > 0.8, fmt
    # a face pixelated on that grid is not noise: neighbouring blocks of a face differ little
    pixelated = astronaut.copy()
    face = pixelated[56:200, 184:296].reshape(18, 8, 14, 8, 3).mean(axis=(1, 3)).astype(np.uint8)
    pixelated[56:200, 184:296] = np.repeat(np.repeat(face, 8, 0), 8, 1)
    assert fill_share(pixelated, Region(190, 60, 290, 200)) < 0.5
    # nor is a dithered one (a 1-bit scan or GIF): its neighbours differ as noise's do, but in
    # two levels (it was taken for noise, and audit called the astronaut's face no face)
    dithered = np.asarray(Image.fromarray(astronaut).convert("1").convert("RGB"))
    assert fill_share(dithered, Region(176, 70, 275, 170)) < 0.5
    assert fill_share(np.repeat(np.repeat(dithered[::2, ::2], 2, 0), 2, 1), Region(176, 70, 275, 170)) < 0.5
    # a dim, soft face-sized blob, as night footage shows one, through JPEG
    yy, xx = np.mgrid[0:100, 0:100]
    dim = (8 + 20 * np.exp(-(((xx - 40) / 18) ** 2 + ((yy - 45) / 24) ** 2))).astype(np.uint8)
    buf = BytesIO()
    Image.fromarray(np.stack([dim] * 3, -1)).save(buf, "JPEG", quality=85)
    decoded = np.asarray(Image.open(buf).convert("RGB"))
    assert fill_share(decoded, box) < 0.5
    # the astronaut's face, her hair, and the flag's stripes and stars: a photo, not a fill
    for box in (Region(190, 60, 290, 200), Region(150, 20, 330, 110), Region(420, 0, 512, 90)):
        assert fill_share(astronaut, box) < 0.1


def test_faces_squeezed_sideways_are_found_stretched_back(astronaut: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Faces squeezed to a third of their width: the pyramid misses the smallest (26 px tall, 9
    wide), the picture searched stretched sideways finds them, and they are masked; only there
    (the space between the heads keeps its picture)."""
    import unseen.detect as detect

    canvas, boxes = squeezed_crowd(astronaut, 3.0)
    src = tmp_path / "banner.png"
    Image.fromarray(canvas).save(src)

    def masked_faces(out_dir: str) -> list[bool]:
        [res] = unseen.clean([src], out_dir=tmp_path / out_dir)
        assert res.status == "ok", res.error
        masked = _masked(canvas, np.asarray(Image.open(res.output).convert("RGB")))
        assert masked.mean() < 0.1 and masked[250:].mean() < 0.02  # heads, not a slab
        # (the astronaut's face box reaches past her squeezed head's rounded mask at its corners)
        return [bool(masked[y0:y1, x0:x1].mean() >= 0.5) for x0, y0, x1, y1 in boxes]

    assert all(masked_faces("with"))
    monkeypatch.setattr(detect, "sideways_faces", lambda *args, **kwargs: [])
    assert not all(masked_faces("without"))  # the sideways pass is what found them
