"""360-degree pictures: a face near a pole is stretched sideways (four times its width 75 degrees
below the horizon) and bent round the pole; both detectors missed it and `clean` released it as
verified. The panoramas are made here: scikit-image's astronaut projected onto an
equirectangular picture, as a 360 camera on a stick overhead films the person holding it."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import unseen
from unseen.media.panorama import Band, Cap, is_panorama, pole_views
from unseen.types import Region

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from panorama import panorama  # noqa: E402  (the projection bench/panorama.py measures with)

W = 1600


@pytest.fixture(scope="module")
def face(astronaut: np.ndarray) -> np.ndarray:
    return astronaut[30:230, 150:310]


def test_only_twice_as_wide_as_tall_is_a_panorama() -> None:
    assert is_panorama(1600, 800) and is_panorama(6080, 3040) and is_panorama(5377, 2688)
    assert not is_panorama(1920, 1080) and not is_panorama(1600, 801 + 2) and not is_panorama(400, 200)
    assert pole_views(1920, 1080) == []


def test_a_box_across_the_seam_or_round_the_pole_maps_back_whole() -> None:
    views = pole_views(W, W // 2)
    band = next(v for v in views if isinstance(v, Band) and v.squeeze == 1 / 3 and v.y0 > W // 4)
    # a box on the squeezed band past the picture's last column is split at the seam
    [right, left] = band.back(Region(1550 / 3, 10, 1700 / 3, 40))
    assert (right.x0, right.x1, left.x0, left.x1) == pytest.approx((1550, W, 0, 100))
    assert right.y0 == left.y0 == band.y0 + 10
    assert right.shape == left.shape == "box"  # a rounded head fitted to each half would bare the seam
    # a head grown past the band's left edge wraps round to the picture's right end
    [end, start] = band.back(Region(-10 / 3, 10, 60 / 3, 40, shape="head"))
    assert (end.x0, end.x1, start.x0, start.x1) == pytest.approx((W - 10, W, 0, 60))
    [whole] = band.back(Region(100 / 3, 10, 160 / 3, 40, shape="head"))
    assert whole.shape == "head" and (whole.x0, whole.x1) == pytest.approx((100, 160))
    nadir = next(v for v in views if isinstance(v, Cap) and v.down)
    # a box over the pole is every longitude from its edge down to the bottom row
    [cap] = nadir.back(Region(nadir.side * 0.4, nadir.side * 0.4, nadir.side * 0.6, nadir.side * 0.6))
    assert (cap.x0, cap.x1, cap.y1) == (0, W, W // 2) and cap.y0 > W // 2 * 0.85


@pytest.mark.parametrize(("lon", "lat"), [(178.0, -75.0), (60.0, -86.0), (60.0, 72.0)])
def test_a_face_near_a_pole_is_masked_and_clean_and_audit_agree(face: np.ndarray, tmp_path: Path, lon: float, lat: float) -> None:
    """75 degrees below the horizon across the seam, 86 (bent round the nadir), 72 above."""
    img, inner = panorama(face, lon, lat)
    src = tmp_path / "pano.png"
    Image.fromarray(img).save(src)
    [before] = unseen.audit([src])
    assert before.faces, "the face is visible in the input, to audit too"
    [res] = unseen.clean([src], tmp_path / "out")
    assert res.status == "ok", res.error
    out = np.asarray(Image.open(res.output).convert("RGB"))
    assert (out[inner] == 0).all(-1).mean() > 0.95
    # the picture is kept: the head and its surroundings, not a band round the world (the sphere
    # as a 360 viewer shows it: each row counts for the cosine of its latitude; the face is
    # 18 x 22 degrees, a selfie at arm's length, 1% of the sphere)
    rows = np.cos(np.pi / 2 - (np.arange(out.shape[0]) + 0.5) / out.shape[0] * np.pi)
    assert float(((out == 0).all(-1).mean(axis=1) * rows).sum() / rows.sum()) < 0.1
    [after] = unseen.audit([res.output])
    assert not after.faces


def test_a_360_video_masks_a_face_near_the_nadir_on_every_frame_it_is_on(face: np.ndarray, tmp_path: Path) -> None:
    """Every frame the video's analysis searches is searched at the poles too (its checks look
    as before), since the tracker takes a frame searched with nothing near a face as the face
    gone. The face comes into view on frame 5, moves, and leaves after frame 10."""
    import av
    from fractions import Fraction

    empty, _ = panorama(face, 100.0, -84.0, half=(1e-4, 1e-4))  # the grass alone
    shown = {i: panorama(face, 100.0 + 2 * i, -84.0 + 0.3 * i) for i in range(5, 11)}
    src = tmp_path / "360.mp4"
    with av.open(str(src), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = W, W // 2, "yuv420p"
        for i in range(20):
            f = av.VideoFrame.from_ndarray(shown[i][0] if i in shown else empty, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            for p in v.encode(f):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
    [res] = unseen.clean([src], tmp_path / "out")
    assert res.status == "ok", res.error
    with av.open(res.output) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 20
    covered = {i: float((frames[i][inner] <= 16).all(-1).mean()) for i, (_, inner) in shown.items()}
    assert min(covered.values()) > 0.95, covered
    # audit looks at a video's poles by the read-back's rule: the face in the input, none after
    [before, after] = unseen.audit([src, res.output])
    assert before.faces and not after.faces, (before.faces, after.faces)
