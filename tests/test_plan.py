"""The plan between analysis and rendering: written by ``analyse``, edited by hand, rendered to
exactly what it says (pixels checked), verification's additions recorded, hostile plans refused."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import unseen
from unseen.cli import main
from unseen.plan import MAX_REGIONS, PlanError, Source, load_plan

from conftest import covered, covered_oval, sha


@pytest.fixture
def photo(tmp_path: Path, astronaut: np.ndarray) -> Path:
    src = tmp_path / "in" / "astro.png"
    src.parent.mkdir()
    Image.fromarray(astronaut).save(src)
    return src


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_analyse_writes_a_plan_and_clean_renders_it_as_clean_would(photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyse", str(photo)]) == 0
    plan_file = photo.with_name("astro.plan.json")
    assert "planned" in capsys.readouterr().out and plan_file.exists()
    doc = json.loads(plan_file.read_text())
    assert doc["unseen_plan"] == 1 and doc["input"]["sha256"] == sha(photo) and doc["input"]["kind"] == "image"
    faces = [r for r in doc["regions"] if r["kind"] == "face" and r["on"]]
    assert len(faces) == 1 and faces[0]["shape"] == "head" and faces[0]["source"]["by"] in ("detector", "checker")
    assert "astro" not in plan_file.read_text().replace("astro.plan", "")  # no name, no metadata
    one_go = tmp_path / "one"
    from_plan = tmp_path / "two"
    one_go.mkdir(), from_plan.mkdir()
    assert main(["clean", str(photo), "-o", str(one_go)]) == 0
    assert main(["clean", str(photo), "--plan", str(plan_file), "-o", str(from_plan)]) == 0
    assert np.array_equal(_pixels(one_go / "astro.unseen.png"), _pixels(from_plan / "astro.unseen.png"))


def test_the_masks_the_detector_doubted_come_least_sure_first(photo: Path) -> None:
    """What the review page's slider switches off, in its order: the detector's face masks under
    its doubt bar, on or off; never a sure face, a person's box, the second detector's find or an
    uncertain spot (which is not a mask)."""
    plan = unseen.analyse(photo)
    sure = [r.id for r in plan.regions if r.on]
    assert sure and all(plan.find(i).source.score >= 0.5 for i in sure)
    c = plan.add_region((90, 10, 120, 40), kind="face", shape="head", source=Source("detector", "centerface", 0.3), on=False, prefix="c")
    a = plan.add_region((50, 10, 80, 40), kind="face", shape="head", source=Source("detector", "centerface", 0.12), prefix="a")
    b = plan.add_region((10, 10, 40, 40), kind="face", shape="head", source=Source("detector", "centerface", 0.30004), prefix="b")  # 0.3 in the file
    plan.add_region((130, 10, 160, 40), kind="face", shape="head", source=Source("detector", "centerface", 0.2), on=False, uncertain=True, prefix="u")
    plan.add_region((170, 10, 200, 40), kind="face", shape="head", source=Source("checker", "blazeface", 0.3), prefix="k")
    plan.add_region((210, 10, 240, 40))  # drawn by a person
    plan.add_region((250, 10, 280, 40), kind="face", shape="head", source=Source("detector", "centerface", 0.4996), prefix="e")  # 0.5 in the file: sure
    assert [r.id for r in plan.doubtful()] == [a.id, b.id, c.id]  # by score as the file holds it, then id


def test_a_find_past_the_picture_edge_never_makes_a_plan_unreadable(photo: Path, tmp_path: Path) -> None:
    """The detector's faintest finds at an edge can lie wholly past it (two of 200 WIDER photos in
    their true proportions): such a find masks nothing and is left out, one reaching past the edge
    is kept as far as a plan holds it, and the plan reads back and renders."""
    from unseen.types import Region

    plan = unseen.analyse(photo)
    w, h = plan.input.width, plan.input.height
    assert plan.add_found(Region(-22.2, 74.9, -12.8, 89.7, 0.08, "centerface"), shape="box", on=False, uncertain=True, prefix="u") is None
    assert plan.add_found(Region(70.8, h + 0.6, 81.4, h + 7.5, 0.07, "centerface"), shape="box", on=False, uncertain=True, prefix="u") is None
    edge = plan.add_found(Region(w - 10, 40, w + 3 * w, 80, 0.9, "centerface"), shape="head")
    assert edge is not None and edge.box == (w - 10, 40, 2 * w, 80) and edge.source.score == pytest.approx(0.9)
    plan.save(tmp_path / "edge.plan.json")
    res = unseen.render(photo, load_plan(tmp_path / "edge.plan.json"), tmp_path)
    assert res.status == "ok", res.error


def test_edited_plan_renders_exactly_that(photo: Path, tmp_path: Path, astronaut: np.ndarray) -> None:
    """A false region switched off stays untouched; a hand-drawn box is filled whole."""
    plan = unseen.analyse(photo)
    false = plan.add_region((380, 60, 470, 150), kind="face", shape="head", source=Source("detector", "centerface", 0.4))
    false.on = False  # a person said: not a face
    plan.add_region((20, 400, 120, 480))  # a person drew a box over something to hide
    plan.save(tmp_path / "edited.plan.json")
    res = unseen.render(photo, load_plan(tmp_path / "edited.plan.json"), tmp_path)
    assert res.status == "ok", res.error
    out = _pixels(Path(res.output))
    assert np.array_equal(out[60:150, 380:470], astronaut[60:150, 380:470])
    assert covered(out, (20, 400, 120, 480)) == 1.0
    face = next(r for r in plan.regions if r.kind == "face" and r.on)
    assert covered_oval(out, tuple(int(v) for v in face.box)) > 0.97
    assert res.plan is not None and not res.plan.added_by_verification()


def test_a_face_a_person_switched_off_stays_visible_and_is_said(photo: Path, tmp_path: Path, astronaut: np.ndarray) -> None:
    """The person has the last word: verification does not put back a face they switched off,
    the result says so, and audit (which tells the truth about the file) reports the face."""
    plan = unseen.analyse(photo)
    face = next(r for r in plan.regions if r.kind == "face" and r.on)
    face.on = False
    res = unseen.render(photo, plan, tmp_path)
    assert res.status == "ok", res.error
    x0, y0, x1, y1 = (int(v) for v in face.box)
    x0, y0 = max(x0, 0), max(y0, 0)
    assert np.array_equal(_pixels(Path(res.output))[y0:y1, x0:x1], astronaut[y0:y1, x0:x1])
    assert any("left visible" in w for w in res.warnings)
    [audit] = unseen.audit([res.output])
    assert audit.faces


def test_verification_adds_what_the_plan_left_out_and_update_plan_keeps_it(photo: Path, tmp_path: Path) -> None:
    """A face removed from the plan altogether is found by verification, masked, recorded as
    verification's, and --update-plan writes it back so a later edit starts from the release."""
    assert main(["analyse", str(photo)]) == 0
    plan_file = photo.with_name("astro.plan.json")
    doc = json.loads(plan_file.read_text())
    doc["regions"] = [r for r in doc["regions"] if r["kind"] != "face"]
    plan_file.write_text(json.dumps(doc))
    assert main(["clean", str(photo), "--plan", str(plan_file), "-o", str(tmp_path), "--update-plan", "--report", str(tmp_path / "r.json")]) == 0
    added = [r for r in json.loads(plan_file.read_text())["regions"] if r["source"]["by"] == "verification"]
    assert len(added) == 1 and added[0]["on"] and added[0]["kind"] == "face"
    report = json.loads((tmp_path / "r.json").read_text())
    assert len(report["files"][0]["added_by_verification"]) == 1
    assert covered_oval(_pixels(tmp_path / "astro.unseen.png"), tuple(int(v) for v in added[0]["box"])) > 0.97


def test_the_result_line_counts_the_regions_verification_added(tmp_path: Path, astronaut: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    """Two faces left out of the plan, both found and masked in one round: the line says 2
    (it said the number of extra rounds, 1); a later render from the updated plan adds none."""
    photo = tmp_path / "pair.png"
    Image.fromarray(np.concatenate([astronaut, astronaut], axis=1)).save(photo)
    assert main(["analyse", str(photo)]) == 0
    plan_file = photo.with_name("pair.plan.json")
    doc = json.loads(plan_file.read_text())
    doc["regions"] = [r for r in doc["regions"] if r["kind"] != "face"]
    plan_file.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["clean", str(photo), "--plan", str(plan_file), "-o", str(tmp_path / "out"), "--update-plan"]) == 0
    assert "2 added by verification" in capsys.readouterr().out
    # the plan now carries them: a render from it adds nothing, and says nothing was added
    assert main(["clean", str(photo), "--plan", str(plan_file), "-o", str(tmp_path / "again")]) == 0
    assert "added by verification" not in capsys.readouterr().out


def test_regions_file_becomes_manual_regions_of_the_plan(photo: Path, tmp_path: Path) -> None:
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps([[10, 10, 60, 50]]))
    assert main(["analyse", str(photo), "--regions", str(boxes), "--no-faces", "-o", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "astro.plan.json").read_text())
    assert [(r["kind"], r["box"], r["source"]["by"]) for r in doc["regions"]] == [("manual", [10, 10, 60, 50], "person")]


def test_hand_drawn_boxes_are_fitted_to_the_picture_so_the_plan_loads(photo: Path, tmp_path: Path) -> None:
    """A box meant for every file ("*") may miss a smaller picture or reach far past it: the plan
    holds it as a plan may (or not at all), so the plan ``analyse`` writes is one ``clean`` takes."""
    w, h = Image.open(photo).size
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"*": [[w + 100, 10, w + 200, 50], [-5000, 10, 60, 50], [10, 10, 60, 50]]}))
    assert main(["analyse", str(photo), "--regions", str(boxes), "--no-faces", "-o", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "astro.plan.json").read_text())
    assert [r["box"] for r in doc["regions"]] == [[-w, 10, 60, 50], [10, 10, 60, 50]]
    assert main(["clean", str(photo), "--plan", str(tmp_path / "astro.plan.json"), "--no-faces", "-o", str(tmp_path)]) == 0


@pytest.mark.parametrize("text", ['{"*": 5}', '[[0, 0, NaN, 10]]', '[[0, 0, Infinity, 10]]', "[[0, 0, " + "9" * 400 + ", 10]]", '[[0, 0, true, 10]]', "boxes: 10 10 60 50", "\u00ff\u00d8 a photo given by mistake"])
def test_a_bad_regions_file_is_one_line_and_nothing_is_written(text: str, photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    boxes = tmp_path / "boxes.json"
    boxes.write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["clean", str(photo), "--regions", str(boxes), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "regions file" in err[0], err
    assert "Expecting" not in err[0] and "codec" not in err[0]  # no JSON parser's words
    assert list(out.iterdir()) == []


def test_an_in_memory_plan_is_checked_as_a_plan_file_is(photo: Path, tmp_path: Path) -> None:
    """An inverted box rendered as "ok, verified" with nothing masked, and saved a plan that
    load_plan refused."""
    plan = unseen.analyse(photo, faces=False)
    with pytest.raises(ValueError, match="inverted"):
        plan.add_region((300, 300, 200, 200))
    plan.add_region((200, 200, 300, 300)).box = (300.0, 300.0, 200.0, 200.0)  # behind the API's back
    res = unseen.render(photo, plan, tmp_path)
    assert res.status == "error" and "inverted" in (res.error or "") and res.output is None
    assert not list(tmp_path.glob("*.unseen.*"))


def test_a_report_that_cannot_be_written_is_refused_before_any_work(photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """--report into a missing folder, or onto a folder: a traceback after every file was
    cleaned, and a stray temporary file in the working folder."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for report in (tmp_path / "missing" / "r.json", out):
        assert main(["clean", str(photo), "--no-faces", "-o", str(out), "--report", str(report)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "cannot write" in err[0], err
    assert list(out.iterdir()) == [] and not list(tmp_path.glob(".unseen-report-*"))


def _hostile(doc: dict, case: str) -> str:
    if case == "other file":
        doc["input"]["sha256"] = "0" * 64
    elif case == "newer schema":
        doc["unseen_plan"] = 99
    elif case == "nan":
        doc["regions"][0]["box"][0] = float("nan")  # json.dumps writes NaN, which JSON has not
    elif case == "outside":
        doc["regions"][0]["box"] = [5000, 5000, 5100, 5100]
    elif case == "inverted":
        doc["regions"][0]["box"] = [50, 50, 10, 10]
    elif case == "thinner than a tenth":  # a plan keeps boxes to a tenth of a pixel: this one read back empty
        doc["regions"][0]["box"] = [100.01, 100, 100.04, 200]
    elif case == "400 digits":
        return json.dumps(doc).replace(json.dumps(doc["regions"][0]["box"]), "[0, 0, " + "9" * 400 + ", 50]", 1)
    elif case == "huge":
        doc["regions"] = [dict(doc["regions"][0], id=f"x{k}") for k in range(MAX_REGIONS + 1)]
    elif case == "unknown field":
        doc["regions"][0]["metadata"] = "GPS 38.9N"
    elif case == "wrong kind":
        doc["input"]["kind"] = "video"
    elif case == "truncated":
        return json.dumps(doc)[:-40]
    elif case == "duplicate id":
        doc["regions"].append(dict(doc["regions"][0]))
    return json.dumps(doc)


@pytest.mark.parametrize("case", ["other file", "newer schema", "nan", "outside", "inverted", "thinner than a tenth", "400 digits", "huge", "unknown field", "wrong kind", "truncated", "duplicate id"])
def test_hostile_plans_get_one_line_and_nothing_is_rendered(case: str, photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = unseen.analyse(photo)
    doc = plan.to_json()
    bad = tmp_path / "bad.plan.json"
    bad.write_text(_hostile(doc, case))
    out = tmp_path / "out"
    out.mkdir()
    before = sha(photo)
    code = main(["clean", str(photo), "--plan", str(bad), "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code in (1, 2) and len(err) >= 1 and "plan" in err[0].lower(), err
    if case != "wrong kind":
        assert code == 2  # refused on load
    assert list(out.iterdir()) == [] and sha(photo) == before


def test_plan_validation_messages_name_the_problem(tmp_path: Path) -> None:
    good = {"unseen_plan": 1, "input": {"sha256": "a" * 64, "kind": "image", "format": "png", "width": 100, "height": 80}, "regions": []}
    assert unseen.Plan.from_json(good).input.width == 100
    for bad, words in [
        ({**good, "regions": [{"id": "a", "box": [0, 0, 1e400, 5]}]}, "finite"),
        ({**good, "regions": [{"id": "a", "box": [0, 0, 10, 10], "frames": [0, 1]}]}, "only a video"),
        ({**good, "tracks": [{"id": "t", "boxes": [[0, 1, 1, 5, 5]]}]}, "only a video"),
        ({**good, "input": {**good["input"], "sha256": "xyz"}}, "sha256"),
        ([1, 2, 3], "object"),
    ]:
        with pytest.raises(PlanError, match=words):
            unseen.Plan.from_json(json.loads(json.dumps(bad)))


def test_video_plan_edits_render_exactly(tmp_path: Path, astronaut: np.ndarray) -> None:
    """A video's plan: its face track switched off leaves the face as it was (the person's
    word), a box added on one frame masks that frame only, and the plan names every frame."""
    from test_video import N, face_box, make_clip, read_frames

    src = tmp_path / "clip.mp4"
    make_clip(src, astronaut, audio=False)
    plan = unseen.analyse(src)
    assert plan.input.kind == "video" and plan.input.frames == N and plan.input.pts is not None
    assert len(plan.input.pts) == N and plan.input.pts == sorted(plan.input.pts)
    assert len([t for t in plan.tracks if t.on]) == 1 and set(plan.tracks[0].boxes) == set(range(N))
    plan.tracks[0].on = False
    plan.add_region((400, 240, 464, 304), frames=(7, 7))
    plan.save(tmp_path / "clip.plan.json")
    res = unseen.render(src, load_plan(tmp_path / "clip.plan.json", sha(src)), tmp_path)
    assert res.status == "ok", res.error
    frames, _, _ = read_frames(Path(res.output))
    assert covered(frames[7], (400, 240, 464, 304)) == 1.0
    assert covered(frames[6], (400, 240, 464, 304)) < 0.1 and covered(frames[8], (400, 240, 464, 304)) < 0.1
    for i in (0, 7, N - 1):
        assert covered(frames[i], face_box(i)) < 0.1, f"frame {i}: the switched-off face was masked"
    assert any("left visible" in w for w in res.warnings)


def test_video_track_deleted_from_the_plan_is_put_back_by_verification(tmp_path: Path, astronaut: np.ndarray) -> None:
    """Deleting a track is not a decision to show a face (switching it off is): verification
    finds the face and masks it, and the released plan holds what it added."""
    from test_video import N, face_box, make_clip, read_frames

    src = tmp_path / "clip.mp4"
    make_clip(src, astronaut, audio=False)
    plan = unseen.analyse(src)
    plan.tracks = []
    res = unseen.render(src, plan, tmp_path)
    assert res.status == "ok", res.error
    assert res.plan is not None and res.plan.added_by_verification()
    frames, _, _ = read_frames(Path(res.output))
    for i in range(0, N, 6):
        assert covered(frames[i], face_box(i)) > 0.9, f"frame {i}"


def test_the_result_line_says_what_was_left_visible(photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyse", str(photo), "-o", str(tmp_path)]) == 0
    plan_file = tmp_path / "astro.plan.json"
    doc = json.loads(plan_file.read_text())
    for r in doc["regions"]:
        r["on"] = False
    plan_file.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["clean", str(photo), "--plan", str(plan_file), "-o", str(tmp_path)]) == 0
    assert "left visible as the plan says" in capsys.readouterr().out
