"""The tracker on boxes with known motion: camera motion estimated from the faces, boxes carried
along it between and beyond detections, held longer for faces seen more than once, never
across a scene cut, never smaller than a detection."""
from __future__ import annotations

import json

import av
import numpy as np
import pytest

from unseen.mask import MaskStyle
from unseen.types import Region
from unseen.track.tracks import (
    Motion,
    TrackSettings,
    camera_path,
    estimate_motion,
    link,
    match_motion,
    render_boxes,
)
from unseen.pipeline.video_encode import fill_yuv420

FACES = [(100.0, 100.0), (300.0, 120.0), (500.0, 90.0), (200.0, 300.0)]
SIDE = 24.0


def true_box(x: float, y: float, f: int, pan: float, zoom: float) -> Region:
    """A face at (x, y) on frame 0 as a camera panning ``pan`` px and zooming ``zoom`` per frame shows it."""
    m = Motion(zoom**f, pan * f, 0.0)
    return m.apply(Region(x, y, x + SIDE, y + SIDE, 0.9, "test"))


def detections(frames: list[int], pan: float, zoom: float = 1.0) -> dict[int, list[Region]]:
    return {f: [true_box(x, y, f, pan, zoom) for x, y in FACES] for f in frames}


def contains(outer: Region, inner: Region) -> bool:
    return outer.x0 <= inner.x0 and outer.y0 <= inner.y0 and outer.x1 >= inner.x1 and outer.y1 >= inner.y1


def covered(boxes: list[Region], target: Region) -> bool:
    return any(contains(b, target) for b in boxes)


def test_motion_estimated_from_faces_that_agree() -> None:
    pairs = [(true_box(x, y, 0, 4.0, 1.01), true_box(x, y, 6, 4.0, 1.01)) for x, y in FACES]
    m = estimate_motion(pairs)
    assert m is not None
    assert m.s == pytest.approx(1.01**6, rel=1e-3)
    assert m.dx == pytest.approx(24.0, abs=0.5)
    assert m.dy == pytest.approx(0.0, abs=0.5)


def test_motion_matched_without_knowing_which_face_is_which() -> None:
    a = [true_box(x, y, 0, 7.0, 1.01) for x, y in FACES]
    b = [true_box(x, y, 6, 7.0, 1.01) for x, y in reversed(FACES)] + [Region(600, 400, 630, 430)]  # and a stranger
    m = match_motion(a, b)
    assert m is not None
    assert m.dx == pytest.approx(42.0, abs=1.0)
    assert m.s == pytest.approx(1.01**6, rel=1e-3)


def test_motion_found_in_a_crowd_among_false_detections() -> None:
    """A crowd of small faces and as many false detections that change from frame to frame, and
    boxes 13% taller on the second frame (key frames run upscaled, and the detector's boxes grow
    with the scale it ran at): the camera's motion is still found, from the faces' positions."""
    rng = np.random.default_rng(7)
    m = Motion(1.02, -21.0, 6.0)
    faces = [Region(x, y, x + 14, y + 20, float(sc), "t") for x, y, sc in zip(rng.uniform(0, 1260, 150), rng.uniform(0, 700, 150), rng.uniform(0.1, 0.9, 150))]

    def noise() -> list[Region]:
        return [Region(x, y, x + h * 0.7, y + h, float(sc), "t") for x, y, h, sc in zip(rng.uniform(0, 1260, 150), rng.uniform(0, 700, 150), rng.uniform(12, 40, 150), rng.uniform(0.05, 0.3, 150))]

    def taller(r: Region) -> Region:
        cy, h = (r.y0 + r.y1) / 2, r.height * 1.13
        return Region(r.x0, cy - h / 2, r.x1, cy + h / 2, r.score, r.source)

    a = faces + noise()
    b = [taller(m.apply(r)) for r in faces] + noise()
    order = rng.permutation(len(b))
    found = match_motion(a, [b[k] for k in order])
    assert found is not None
    for x, y in ((0.0, 0.0), (1280.0, 720.0), (640.0, 360.0)):
        assert abs(found.s * x + found.dx - (m.s * x + m.dx)) < 3 and abs(found.s * y + found.dy - (m.s * y + m.dy)) < 3


def test_no_motion_from_too_few_or_disagreeing_faces() -> None:
    two = [(true_box(x, y, 0, 4.0, 1.0), true_box(x, y, 6, 4.0, 1.0)) for x, y in FACES[:2]]
    assert estimate_motion(two) is None
    # people walking in different directions: no camera motion explains them
    scattered = [(Region(x, y, x + SIDE, y + SIDE), Region(x + d, y - d, x + d + SIDE, y - d + SIDE)) for (x, y), d in zip(FACES, (60.0, -80.0, 40.0, -20.0))]
    assert estimate_motion(scattered) is None


def test_held_boxes_follow_a_panning_zooming_camera() -> None:
    pan, zoom, n = 5.0, 1.005, 40
    dets = detections(list(range(0, n, 6)), pan, zoom)
    # the first face turns away after frame 12: only the others show where the camera went
    for f in range(18, n, 6):
        dets[f] = dets[f][1:]
    s = TrackSettings(hold=25, pad=3)
    path = camera_path(dets, n, set(), s)
    # the camera moves each face more than its own width between analysed frames: only the
    # camera's motion links them
    tracks = link(dets, set(), s, path)
    assert len(tracks) == len(FACES)
    assert len(link(dets, set(), s)) > len(FACES)
    boxes = render_boxes(tracks, n, set(), s, path)
    for f in range(12 + s.hold + 1):
        for x, y in FACES[:1] if f > 12 else FACES:
            assert covered(boxes[f], true_box(x, y, f, pan, zoom)), f"face at {x},{y} uncovered on frame {f}"
    # without the camera's motion the held boxes stay behind: the same face is lost
    still = render_boxes(tracks, n, set(), s)
    assert not all(covered(still[30], true_box(x, y, 30, pan, zoom)) for x, y in FACES)


def test_hold_depends_on_evidence_and_stops_at_cuts() -> None:
    s = TrackSettings(hold=20, pad=3)
    once = {10: [Region(50, 50, 80, 80, 0.9, "t")]}
    boxes = render_boxes(link(once, set(), s), 60, set(), s)
    assert set(boxes) == set(range(7, 14))  # 3 frames each side of a single sighting
    twice = {10: [Region(50, 50, 80, 80, 0.9, "t")], 16: [Region(50, 50, 80, 80, 0.9, "t")]}
    boxes = render_boxes(link(twice, set(), s), 60, set(), s)
    assert set(boxes) == set(range(37))  # held 20 frames beyond, clipped at the start
    boxes = render_boxes(link(twice, {25}, s), 60, {25}, s)
    assert max(boxes) == 24  # nothing dragged across the cut at frame 25


def test_rendered_box_never_smaller_than_its_detection() -> None:
    rng = np.random.default_rng(1)
    dets = {f: [Region(100 + rng.uniform(-8, 8), 100, 140 + rng.uniform(-8, 8), 150, 0.9, "t")] for f in range(0, 30, 3)}
    boxes = render_boxes(link(dets, set()), 30, set())
    for f, (d,) in dets.items():
        assert covered(boxes[f], d)


@pytest.mark.parametrize("color", [(0, 0, 0), (255, 255, 255), (200, 30, 60)])
def test_solid_fill_in_yuv_planes_decodes_to_the_colour(color: tuple[int, int, int]) -> None:
    yy, xx = np.mgrid[0:96, 0:128]
    rgb = np.stack([xx * 2, yy * 2, 255 - xx], -1).astype(np.uint8)  # smooth: survives 4:2:0
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    planes = fill_yuv420(frame.to_ndarray(format="yuv420p"), [Region(17, 9, 61, 50)], MaskStyle("solid", color, 2))
    out = av.VideoFrame.from_ndarray(planes, format="yuv420p").to_ndarray(format="rgb24").astype(int)
    inside = out[9:50, 17:61]
    assert np.abs(inside - np.array(color)).max() <= 6
    # outside the (even-aligned) box the picture is what it was, up to the YUV round trip
    assert np.abs(out[60:, 70:] - rgb[60:, 70:].astype(int)).mean() < 4


def test_still_camera_kept_when_it_explains_as_much() -> None:
    """A still camera filming a crowd where a few people walk the same way: their shared
    movement is not taken for the camera's (it would carry every other box along with them)."""
    rng = np.random.default_rng(3)
    still = [Region(x, y, x + 24, y + 30, 0.8, "t") for x, y in zip(rng.uniform(0, 1200, 12), rng.uniform(0, 650, 12))]
    walkers = [Region(100.0 + 60 * k, 500.0, 124.0 + 60 * k, 530.0, 0.9, "t") for k in range(4)]
    a = still + walkers
    b = still + [Region(r.x0 + 40, r.y0 - 10, r.x1 + 40, r.y1 - 10, r.score, r.source) for r in walkers]
    assert match_motion(a, b) is None
    # the same walkers alone do move together: with nothing still in view that is the motion
    m = match_motion(walkers, b[-4:])
    assert m is not None and m.dx == pytest.approx(40, abs=2) and m.dy == pytest.approx(-10, abs=2)



def test_two_couples_walking_do_not_move_a_still_camera() -> None:
    """A camera on a tripod over a walkway (opencv-doc's vtest.avi): tiny faint candidates come
    and go, and two couples walk their own ways. Two groups of two can always be explained by a
    zoom and a shift; that motion carried every held mask along with it (by the end of the clip
    the camera had 'zoomed out' 2.5x and the masks hung off the faces). A camera's motion moves
    most of what is in view: a motion that carries a small minority is believed as a pan at most."""
    rng = np.random.default_rng(11)

    def faint() -> list[Region]:  # a different ten every frame: they agree with nothing
        return [Region(x, y, x + 7, y + 10, 0.06, "t") for x, y in zip(rng.uniform(0, 760, 10), rng.uniform(0, 570, 10))]

    def couple(x: float, y: float) -> list[Region]:
        return [Region(x, y, x + 7, y + 10, 0.3, "t"), Region(x + 32, y - 4, x + 39, y + 6, 0.3, "t")]

    a = faint() + couple(400, 200) + couple(705, 278)
    b = faint() + couple(399, 197) + couple(685, 270)
    assert match_motion(a, b) is None
    # a real pan of a few faces among as many flickering faint detections is still the camera's
    faces = [Region(x, y, x + 20, y + 26, 0.8, "t") for x, y in zip(rng.uniform(0, 700, 6), rng.uniform(0, 520, 6))]
    m = match_motion(faint() + faces, faint() + [r.shifted(-12.0, 3.0) for r in faces])
    assert m is not None and m.dx == pytest.approx(-12, abs=1) and m.dy == pytest.approx(3, abs=1) and m.s == 1.0


def test_hold_ends_at_a_confident_miss_and_not_before() -> None:
    """Beyond its last sighting a face is held until a searched frame where it would have been
    plain to see (40 px at the detector) shows nothing at all near it; a candidate the judge
    turned down still counts as something seen there."""
    s = TrackSettings(hold=30, pad=3)
    face = Region(100, 100, 150, 160, 0.9, "t")
    tracks = link({0: [face], 6: [face], 12: [face]}, set(), s)
    looked = {0: 1.0, 6: 1.0, 12: 1.0, 18: 1.0, 24: 1.0}
    gone = render_boxes(tracks, 60, set(), s, looked=looked, seen={})
    assert max(gone) == 17  # the face was not found on frame 18: it left before
    faint = {18: [Region(102, 104, 148, 158, 0.06, "t")]}
    still = render_boxes(tracks, 60, set(), s, looked=looked, seen=faint)
    assert max(still) == 23  # something was there on 18: held on to the next searched frame
    small = render_boxes(tracks, 60, set(), s, looked={f: 0.5 for f in looked}, seen={})
    assert max(small) == 12 + s.hold  # at half size a miss proves nothing: the set hold


def test_a_miss_is_no_evidence_for_a_face_the_detector_missed_while_it_was_there() -> None:
    """A face the detector found on frames 6 and 18 but not on 12, searched at the same zoom, is
    one it misses now and then: finding nothing on frames 0 and 24 does not mean it left, and it
    is held the whole hold, before its first sighting as after its last. Found on 12 as well, or
    missed on 12 only at a zoom where it was too small to count, the misses on 0 and 24 end the
    hold as before. The face moves: what was found on 12 counts only where the face was then."""
    s = TrackSettings(hold=30, pad=3)

    def face(f: int) -> Region:  # walking right, 2 px a frame
        return Region(100 + 2 * f, 100, 150 + 2 * f, 160, 0.9, "t")

    looked = {0: 1.0, 6: 1.0, 12: 1.0, 18: 1.0, 24: 1.0, 30: 1.0}
    missed = link({6: [face(6)], 18: [face(18)]}, set(), s)
    boxes = render_boxes(missed, 60, set(), s, looked=looked, seen={6: [face(6)], 18: [face(18)]})
    assert max(boxes) == 18 + s.hold and min(boxes) == 0  # the miss on 12 makes 0 and 24 no evidence
    steady = link({6: [face(6)], 12: [face(12)], 18: [face(18)]}, set(), s)
    boxes = render_boxes(steady, 60, set(), s, looked=looked, seen={6: [face(6)], 12: [face(12)], 18: [face(18)]})
    assert max(boxes) == 23 and min(boxes) == 1  # found whenever searched: the misses on 0 and 24 tell
    elsewhere = {6: [face(6)], 12: [face(60)], 18: [face(18)]}  # a find on 12, but not where the face was
    boxes = render_boxes(missed, 60, set(), s, looked=looked, seen=elsewhere)
    assert max(boxes) == 18 + s.hold and min(boxes) == 0
    small = render_boxes(missed, 60, set(), s, looked={**looked, 12: 0.5}, seen={6: [face(6)], 18: [face(18)]})
    assert max(small) == 23 and min(small) == 1  # 30 px at the detector on 12: that miss proves nothing
    trusting = TrackSettings(hold=30, pad=3, distrust_misses=False)
    boxes = render_boxes(missed, 60, set(), trusting, looked=looked, seen={6: [face(6)], 18: [face(18)]})
    assert max(boxes) == 23 and min(boxes) == 1


def test_time_vouches_for_small_uncertain_faces_only() -> None:
    """A track of uncertain detections seen on three searched frames is masked while it is small
    (a faint face in a crowd); a large one (a helmet, a fist, a banner) needs a detection the
    judge calls a face; one judged detection keeps any track."""
    from unseen.pipeline.video_search import FAINT_HEIGHT, Analysis

    def box(x: float, h: float, score: float = 0.1) -> Region:
        return Region(x, 100.0, x + 0.8 * h, 100.0 + h, score, "centerface")

    small, large, judged = 20.0, 1.25 * FAINT_HEIGHT, 1.5 * FAINT_HEIGHT  # searched at 1x: frame px
    frames = [0, 3, 6, 9]
    found = Analysis(pts=list(range(12)))
    for f in frames:
        found.looked[f] = 1.0
        found.uncertain[f] = [box(100, small), box(400, large)]
        found.faces[f] = [box(800, judged, 0.9)] if f == 6 else []
        found.uncertain[f] += [box(800, judged)] if f != 6 else []

    def kept(seen: int = 3) -> list[int]:
        return sorted(round(next(iter(t.boxes.values())).x0) for t in found.face_tracks(TrackSettings(), [Motion()] * 12, seen))

    assert kept() == [100, 800]
    # seen on fewer searched frames than asked, a small uncertain face is not masked either
    assert kept(seen=5) == [800]


def test_a_plan_keeps_no_box_the_camera_carried_off_the_frame() -> None:
    """A panning camera carries a face's held box along: once it has left the picture it masks
    nothing, and a plan holding it was refused on reading back (the review page could not save
    a crowd clip's plan, nor `clean --plan` render it). Such boxes are left out of the plan."""
    from fractions import Fraction

    from unseen.media.video import VideoInfo
    from unseen.pipeline.video import plan_from
    from unseen.pipeline.video_search import Analysis, VideoOptions
    from unseen.plan import Plan

    width, height, n = 640, 360, 60
    found = Analysis(pts=list(range(n)))
    for f in range(0, 24, 3):  # the camera pans left 12 px a frame: faces move right
        found.looked[f] = 1.0
        found.faces[f] = [Region(x + 12 * f, y, x + 12 * f + 30, y + 38, 0.9, "centerface") for x, y in ((40, 40), (200, 150), (330, 60), (120, 260))]
        found.candidates[f] = list(found.faces[f])
    for f in range(24, n, 3):  # then nothing is found: the faces are held along the pan, off the frame
        found.looked[f] = 0.25
    info = VideoInfo("mp4", width, height, 0, n, n / 25, "h264", Fraction(1, 25), Fraction(25), False)
    plan = plan_from(found, info, "0" * 64, [], VideoOptions())
    boxes = [b for t in plan.tracks for b in t.boxes.values()]
    assert boxes and all(b[2] > 0 and b[3] > 0 and b[0] < width and b[1] < height for b in boxes)
    assert max(b[2] for b in boxes) > width  # a face at the edge is still covered as far as it shows
    again = Plan.from_json(json.loads(plan.dumps()))  # the checks a saved plan goes through
    assert len(again.tracks) == len(plan.tracks)


def test_the_read_back_checks_every_frame_audit_of_the_output_will() -> None:
    """An MKV declares no frame count: the read-back took audit's one frame in 25 of a length
    unknown, while audit of the MP4 written (it declares n frames) looks at n/20, so a face on
    a frame only audit looked at went out "verified"."""
    from unseen.verify.video import audit_frames, readback_frames

    for n, declared in ((150, None), (150, 150), (1000, None), (40, 40)):
        sample = readback_frames(n, 10, {33}, declared)
        assert audit_frames(n) & set(range(n)) <= sample and 33 in sample and {0, n - 1} <= sample
    assert 7 in readback_frames(150, 10, set(), None) and 7 not in audit_frames(None)


def test_a_kept_sound_is_led_in_or_cut_to_stay_in_step() -> None:
    """The sound is written from zero: a track starting later gets that much silence first, one
    starting before the picture's zero loses what comes before it, across block boundaries."""
    from unseen.pipeline.video_encode import _led_in

    def blocks():
        yield np.ones((2, 5), np.float32)
        yield 2 * np.ones((2, 5), np.float32)

    later = np.concatenate(list(_led_in(blocks(), 3, 2)), axis=1)
    assert later.shape == (2, 13) and (later[:, :3] == 0).all() and (later[:, 3:8] == 1).all()
    earlier = np.concatenate(list(_led_in(blocks(), -7, 2)), axis=1)
    assert earlier.shape == (2, 3) and (earlier == 2).all()
    assert list(_led_in(blocks(), -20, 2)) == []


def test_a_video_that_starts_before_or_after_zero_is_moved_and_says_by_how_much() -> None:
    from fractions import Fraction

    from unseen.media.timeline import Timeline

    line = Timeline(Fraction(1, 90000), Fraction(25))
    assert [line.next(p) for p in (-7200, -3600, 0)] == [0, 3600, 7200]
    assert line.shift * line.time_base == Fraction(2, 25)
    later = Timeline(Fraction(1, 90000), Fraction(25))
    assert [later.next(p) for p in (900, 4500)] == [0, 3600] and later.shift == -900


@pytest.mark.parametrize("rate,written", [(44100, 44100), (48000, 48000), (192000, 96000), (37800, 44100), (10000, 11025), (4000, 7350), (1000, 7350)])
def test_aac_is_written_at_a_rate_it_has(rate: int, written: int) -> None:
    from unseen.media.audio import aac_rate

    assert aac_rate(rate) == written


def _frames_moved(shifts: list[tuple[int, int]]) -> list[np.ndarray]:
    """Luma frames of a textured picture seen through a 560x360 window moved by ``shifts``."""
    from skimage import data

    picture = data.coffee()[..., 1].astype(np.float32)  # 400x600, green as luma
    big = np.pad(picture, 60, mode="reflect")
    return [big[60 + dy : 60 + dy + 360, 60 + dx : 60 + dx + 560] for dx, dy in shifts]


def test_a_shaken_camera_is_told_from_a_steady_one_and_a_smooth_pan() -> None:
    """The render looks for small tracked faces at their zoom where the camera strayed from the
    straight line between the frames searched in full detail: near zero for a still camera
    and a steady pan, large for a hand's shake; the same from a plan alone, looking back."""
    from unseen.track.shake import Moves, Shake, off_line

    still = [(0, 0)] * 18
    pan = [(3 * i, i) for i in range(18)]
    shaken = [(round(20 * np.sin(2 * np.pi * 5 * i / 25)), round(12 * np.cos(2 * np.pi * 6 * i / 25))) for i in range(18)]

    def strays(shifts: list[tuple[int, int]]) -> list[float]:
        moves = Moves()
        return off_line([moves.feed(f, 1.0) for f in _frames_moved(shifts)], [0, 6, 12])

    def jerks(shifts: list[tuple[int, int]]) -> list[float]:
        shake = Shake()
        return [shake.feed(f, 1.0) for f in _frames_moved(shifts)][4:]  # (a start looks like a jerk)

    assert max(strays(still)) < 0.5 and max(strays(pan)) < 1.0, (strays(still), strays(pan))
    assert max(strays(shaken)) > 10, strays(shaken)
    assert max(jerks(still)) < 0.5 and max(jerks(pan)) < 1.0, (jerks(still), jerks(pan))
    assert min(jerks(shaken)) > 8, jerks(shaken)


def test_a_shift_says_how_sure_it_is() -> None:
    """A picture moved by the camera gives one clear peak; two unrelated pictures (a dark stage
    under moving lights) give none, and such a shift is not trusted to move masks."""
    from unseen.track.shake import SURE_PEAK, Moves

    a, b = _frames_moved([(0, 0), (7, -4)])
    moves = Moves()
    moves.feed(a, 1.0)
    dx, dy, sure = moves.feed(b, 1.0)
    assert (round(dx), round(dy)) == (-7, 4) and sure > 3 * SURE_PEAK, (dx, dy, sure)
    rng = np.random.default_rng(1)
    moves = Moves()
    moves.feed(rng.normal(size=(180, 320)).astype(np.float32), 1.0)
    assert moves.feed(rng.normal(size=(180, 320)).astype(np.float32), 1.0)[2] < SURE_PEAK


def _shaken_face(f: int) -> Region:
    """A 30-px face standing still in a scene that a hand shakes by 40 px every other frame."""
    dx = 40.0 * (f % 2)
    return Region(200.0 + dx, 100.0, 230.0 + dx, 130.0, 0.9, "test")


def test_a_bridged_box_and_the_tracker_follow_a_shaken_camera() -> None:
    """Between two sightings (and beyond them) a bridged (held) box went in a straight line while
    a hand-held camera shook the face off it; with the picture's measured moves it goes where the face went (where
    every move on the way was sure, the face moved with the picture and the camera did not
    zoom), and the face's sightings on shaken frames make one track."""
    from unseen.track.tracks import link, track_boxes

    still = [Motion()] * 12  # the faces tell no camera motion (as for people walking past)
    # the picture's shift from the frame before: +40, -40, ... (sure), the fifth one unsure
    moves = [(0.0, 0.0, float("inf"))] + [(40.0 if f % 2 else -40.0, 0.0, 1.0 if f == 5 else 50.0) for f in range(1, 12)]
    seen = {f: [_shaken_face(f)] for f in (0, 2, 4, 6)}
    [alone] = link(seen, set(), path=still)
    followed: list[set[int]] = []
    [boxes] = track_boxes([alone], 12, set(), path=still, moves=moves, followed=followed)
    for f in (1, 3):
        without = track_boxes([alone], 12, set(), path=still)[0][f]
        assert not contains(without, _shaken_face(f)), f  # on the straight line: the face left it
        assert contains(boxes[f], _shaken_face(f)) and boxes[f].width < 40, (f, boxes[f])
    # frame 5's move was unsure: that box stays on its line, for the render's look to check
    assert not contains(boxes[5], _shaken_face(5))
    # beyond the last sighting (6) the held box goes with the picture too (every move since sure)
    for f in (7, 9):
        assert contains(boxes[f], _shaken_face(f)) and not contains(track_boxes([alone], 12, set(), path=still)[0][f], _shaken_face(f)), f
    assert followed == [{0, 1, 2, 3, 4, 6}]
    # a face that did not move as the picture did (a near passer-by moved most of it) keeps its line
    away = {0: [_shaken_face(0)], 2: [Region(220.0, 100.0, 250.0, 130.0, 0.9, "test")]}  # 20 px, the picture 0
    [other] = link(away, set(), path=still)
    followed = []
    assert track_boxes([other], 12, set(), path=still, moves=moves, followed=followed)[0][1] == track_boxes([other], 12, set(), path=still)[0][1]
    assert followed == [{0, 2}]
    # ...and so does a box while the faces' path zooms (the picture's shift is its middle's)
    zoom = [Motion(1.0 + 0.02 * f) for f in range(12)]
    followed = []
    track_boxes([alone], 12, set(), path=zoom, moves=moves, followed=followed)
    assert followed == [{0, 2, 4, 6}]
    # sightings a frame apart, each 40 px off the last: several tracks, or one with the moves
    every = {f: [_shaken_face(f)] for f in range(0, 5)}
    assert len(link(every, set(), path=still)) > 1
    assert len(link(every, set(), path=still, moves=moves)) == 1
    # where the faces give the camera a path, the picture's shift does not link
    panned = [Motion(1.0, 5.0 * f) for f in range(12)]
    assert len(link(every, set(), path=panned, moves=moves)) > 1


def test_a_face_is_refound_off_its_tracked_box_at_its_zoom(astronaut: np.ndarray) -> None:
    """On a 1080p frame a 50-px head moved 25 px from where its track put it is found again in
    its crop (a face of about 30 px: too small for the whole-frame search at half size), and
    a second box over the same face shares the first one's crop."""
    from PIL import Image

    from unseen.detect.zoom import crops, refound
    from unseen.pipeline.video_search import video_finder

    frame = np.full((1080, 1920, 3), 90, np.uint8)
    frame[525:575, 925:963] = np.asarray(Image.fromarray(astronaut[15:215, 150:300]).resize((38, 50), Image.LANCZOS))
    tracked = Region(900.0, 500.0, 938.0, 550.0, 0.9, "centerface", "head")  # 25 px up and left
    duplicate = Region(902.0, 503.0, 942.0, 555.0, 0.9, "centerface", "head")
    elsewhere = Region(300.0, 300.0, 338.0, 350.0, 0.9, "centerface", "head")
    c = crops(frame, [tracked, duplicate, elsewhere])
    assert c.group[0] == c.group[1] != c.group[2] and len(c.boxes) == 2
    found = refound(video_finder().model, c)
    assert found[2] is None
    for face in found[:2]:
        assert face is not None
        cx, cy = (face.x0 + face.x1) / 2, (face.y0 + face.y1) / 2
        assert 930 < cx < 958 and 535 < cy < 565, face
