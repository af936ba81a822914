"""audit: what a file gives away, for people and for scripts."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import unseen
from unseen.cli import main

from conftest import png_chunk


def _by_name(res):
    return {f.name: f for f in res.findings}


def test_audit_reports_everything(tagged_jpeg: Path) -> None:
    [res] = unseen.audit([tagged_jpeg])
    f = _by_name(res)
    assert f["GPS position"].value == "41.808333, 129.500000"
    assert f["camera make"].value == "TestMaker"
    assert f["camera model"].value == "PhoneModel X1"
    assert f["camera body serial number"].value == "SN123456789"
    assert f["camera owner name"].value == "Kim Secret"
    assert f["capture time"].value == "2026:03:01 10:11:12"
    assert f["software"].value == "Firmware 9.9"
    assert "Kim Secret" in f["artist"].value
    assert f["unique image id"].category == "device"
    assert f["comment"].value == "taken by Kim"
    assert "photoshop:City" in f["XMP place name"].value
    assert "dc:creator" in f["XMP author/rights"].value
    assert "160x120" in f["EXIF thumbnail"].value and "differs" in f["EXIF thumbnail"].value
    assert f["bytes after the end of the image"].value.startswith("280 bytes")
    assert "ICC colour profile" in f
    assert res.faces and res.faces[0].x0 < 230 < res.faces[0].x1
    assert res.identifying


def test_audit_exit_status_and_json(tagged_jpeg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(tagged_jpeg)]) == 1
    table = capsys.readouterr().out
    assert "GPS position" in table and "41.808333, 129.500000" in table and "1 face found" in table
    plain = tmp_path / "plain.png"
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(plain)
    assert main(["audit", str(plain), "--json"]) == 0
    [doc] = json.loads(capsys.readouterr().out)
    assert doc["identifying"] is False and doc["findings"] == [] and doc["faces"] == []


def test_audit_png_text_and_trailer(astronaut: np.ndarray, tmp_path: Path) -> None:
    src = tmp_path / "t.png"
    Image.fromarray(astronaut[:64, :64]).save(src)
    raw = src.read_bytes()
    iend = raw.rindex(b"IEND") - 4
    raw = raw[:iend] + png_chunk(b"tEXt", b"Author\x00Kim Secret") + raw[iend:] + b"hidden"
    src.write_bytes(raw)
    [res] = unseen.audit([src], faces=False)
    f = _by_name(res)
    assert f["PNG text 'Author'"].value == "Kim Secret" and f["PNG text 'Author'"].category == "owner"
    assert f["bytes after the end of the image"].value.startswith("6 bytes")


def test_audit_after_clean_is_quiet(tagged_jpeg: Path) -> None:
    [res] = unseen.clean([tagged_jpeg])
    [aud] = unseen.audit([res.output], faces=False)
    assert aud.findings == []


def test_audit_of_a_folder_checks_the_safe_copies_in_it(tagged_jpeg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Clean a folder into another, then audit that one: the copies are what is checked (the
    folder walk skipped unseen's outputs, as `clean` must, and audit said "no files found")."""
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    (photos / "trip.jpg").write_bytes(tagged_jpeg.read_bytes())
    assert main(["clean", str(photos), "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    assert main(["audit", str(out), "--no-faces", "--json"]) == 0
    [doc] = json.loads(capsys.readouterr().out)
    assert ".unseen." in doc["input"] and doc["findings"] == []
    # a plan beside the copies gives away where the faces were and the original's fingerprint
    assert main(["analyse", str(photos / "trip.jpg"), "-o", str(out), "--no-faces", "-q"]) == 0
    capsys.readouterr()
    assert main(["audit", str(out), "--no-faces", "--json"]) == 1
    docs = json.loads(capsys.readouterr().out)
    assert sorted(d["kind"] for d in docs) == ["image", "plan"] and all(d["identifying"] == (d["kind"] == "plan") for d in docs), docs
    next(out.glob("*.plan.json")).unlink()
    # beside the original, both are checked: the original's GPS position is reported
    (photos / "trip.unseen.jpg").write_bytes(next(out.iterdir()).read_bytes())
    assert main(["audit", str(photos), "--no-faces", "--json"]) == 1
    docs = json.loads(capsys.readouterr().out)
    assert sorted(Path(d["input"]).name for d in docs) == ["trip.jpg", "trip.unseen.jpg"]


def test_audit_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0garbage")
    assert main(["audit", str(bad)]) == 1
    assert "cannot read: cannot open JPEG" in capsys.readouterr().out


def test_a_photo_cut_short_still_says_what_its_tags_give_away(tagged_jpeg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JPEG cut in half (a broken download, a card pulled out) keeps its EXIF at the start:
    audit said only that it could not be decoded, not that it carries a GPS position."""
    half = tmp_path / "IMG_20220814_141231.jpg"
    raw = tagged_jpeg.read_bytes()
    half.write_bytes(raw[: len(raw) // 2])
    [r] = unseen.audit([half])
    assert r.error and "truncated" in r.error  # the picture: not searched for faces, and said so
    assert any(f.category == "location" and f.identifying for f in r.findings)
    assert any(f.category == "name" for f in r.findings)  # its name tells the time too
    capsys.readouterr()
    assert main(["audit", str(half)]) == 1
    out = capsys.readouterr().out
    assert "cannot read the picture, so it was not searched for faces" in out and "GPS" in out
    assert "nothing identifying" not in out
    # a file that cannot be read at all is said once, not "cannot read: cannot read file: ..."
    assert main(["audit", str(tmp_path / "missing.jpg")]) == 1
    out = capsys.readouterr().out
    assert out.count("cannot read") == 1, out


def test_audit_says_what_it_cannot_read_and_what_clean_leaves_out(astronaut: np.ndarray, tmp_path: Path) -> None:
    """audit said "nothing identifying" of a JPEG 2000 and of a GeoTIFF whose tags place it on a
    map, and missed a HEIC's second image; clean dropped that image without a word."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    small = Image.fromarray(astronaut).resize((128, 128))
    jp2 = tmp_path / "scan.jp2"
    small.save(jp2, "JPEG2000")
    geo = tmp_path / "map.tif"
    small.save(geo, tiffinfo={33550: (0.5, 0.5, 0.0), 33922: (0.0, 0.0, 0.0, 129.5, 41.8, 0.0)})
    two = tmp_path / "two.heic"
    small.save(two, save_all=True, append_images=[Image.fromarray(astronaut[::4, ::4])])
    by_file = {Path(r.input).name: r for r in unseen.audit([jp2, geo, two], faces=False)}
    assert any(f.name == "metadata unseen does not read" and "JPEG 2000" in f.value for f in by_file["scan.jp2"].findings)
    assert [f.category for f in by_file["map.tif"].findings if f.name == "GeoTIFF map position"] == ["location"]
    assert [f.category for f in by_file["two.heic"].findings if f.name == "more images in the file"] == ["hidden-picture"]
    assert all(r.identifying for r in by_file.values())
    [res] = unseen.clean([two], tmp_path / "out")
    assert res.status == "ok" and any("1 more image" in w for w in res.warnings), res.warnings
    [again] = unseen.audit([res.output], faces=False)
    assert not again.identifying, again.findings


def test_a_second_picture_is_said_of_and_left_out(tmp_path: Path) -> None:
    """An MPO (a stereo camera's JPEG: a picture for each eye) lost its second picture without
    a word, and audit did not see it (Pillow keeps the MPF list off ``info``); a HEIC whose main
    image is its second item was said to keep "the first"."""
    import pillow_heif

    dark, light = (Image.fromarray(np.full((64, 96, 3), v, np.uint8)) for v in (60, 200))
    mpo = tmp_path / "stereo.jpg"
    dark.save(mpo, "MPO", save_all=True, append_images=[light])
    heic = tmp_path / "second.heic"
    both = pillow_heif.from_pillow(dark)
    both.add_from_pillow(light)
    both.save(heic, quality=90, primary_index=1)
    by_file = {Path(r.input).name: r for r in unseen.audit([mpo, heic], faces=False)}
    assert [f.category for f in by_file["stereo.jpg"].findings if f.name == "MPF secondary images"] == ["hidden-picture"]
    # the second picture lies after the first's end: said once, not again as a trailer...
    assert not [f for f in by_file["stereo.jpg"].findings if f.category == "trailer"], by_file["stereo.jpg"].findings
    # ...but bytes beyond the pictures the MPF block lists still are
    padded = tmp_path / "padded.jpg"
    padded.write_bytes(mpo.read_bytes() + b"x" * 500)
    [res] = unseen.audit([padded], faces=False)
    assert [f.value for f in res.findings if f.category == "trailer"] == ["500 bytes (may hold another picture or data)"], res.findings
    assert [f.value for f in by_file["second.heic"].findings if f.name == "more images in the file"] == ["2 images: the main one is the picture shown; unseen's safe copy leaves the others out"]
    for src, kept in ((mpo, 60), (heic, 200)):
        [res] = unseen.clean([src], tmp_path / "out", faces=False)
        assert res.status == "ok" and res.warnings == ["the file holds 1 more image(s): only the main image is in the safe copy"], (src, res.warnings)
        with Image.open(res.output) as out:
            assert getattr(out, "n_frames", 1) == 1 and abs(np.asarray(out.convert("RGB")).mean() - kept) < 3
        [again] = unseen.audit([res.output], faces=False)
        assert not again.identifying, again.findings


def _face_clip(path: Path, astronaut: np.ndarray, frames: int, gop: int = 12) -> None:
    import av

    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=25, options={"g": str(gop), "bf": "0"})
        v.width, v.height, v.pix_fmt = 256, 256, "yuv420p"
        face = np.asarray(Image.fromarray(astronaut).resize((256, 256)))
        for i in range(frames):
            pic = face if i < frames // 2 else np.full_like(face, 90)  # the face in the first half only
            for p in v.encode(av.VideoFrame.from_ndarray(pic, format="rgb24")):
                out.mux(p)
        for p in v.encode():
            out.mux(p)


def test_a_second_video_stream_is_reported_and_left_out_by_clean(astronaut: np.ndarray, tmp_path: Path) -> None:
    """A dual dash cam's file: two pictures. audit searched the first alone and said nothing of
    the second; clean left it out without a word."""
    import av

    src = tmp_path / "dual.mp4"
    with av.open(str(src), "w") as out:
        streams = [out.add_stream("libx264", rate=25) for _ in range(2)]
        for s in streams:
            s.width, s.height, s.pix_fmt = 128, 128, "yuv420p"
        face = np.asarray(Image.fromarray(astronaut).resize((128, 128)))
        for i in range(10):
            for s, pic in zip(streams, (np.full_like(face, 90), face)):
                for p in s.encode(av.VideoFrame.from_ndarray(pic, format="rgb24")):
                    out.mux(p)
        for s in streams:
            for p in s.encode():
                out.mux(p)
    [res] = unseen.audit([src], faces=False)
    assert any(f.category == "hidden-picture" and "another video" in f.name for f in res.findings)
    [done] = unseen.clean([src], tmp_path / "out")
    assert done.status == "ok", done.error
    assert any("second video stream" in w for w in done.warnings)
    with av.open(done.output) as c:
        assert len(c.streams.video) == 1


def test_frames_an_edit_list_hides_are_reported(astronaut: np.ndarray, tmp_path: Path) -> None:
    """A clip trimmed without re-encoding: the packets before the cut are still in the file, and
    a player that ignores the edit list shows them (here: the face)."""
    import shutil
    import subprocess

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("no ffmpeg binary (apt-get install ffmpeg): it makes the trimmed clip")
    whole, cut = tmp_path / "whole.mp4", tmp_path / "cut.mp4"
    _face_clip(whole, astronaut, 100, gop=100)
    subprocess.run([ffmpeg, "-v", "error", "-y", "-ss", "2.2", "-i", str(whole), "-c", "copy", str(cut)], check=True)
    [res] = unseen.audit([cut], faces=False)
    hidden = [f for f in res.findings if f.name == "frames hidden by an edit list"]
    assert hidden and hidden[0].identifying
    assert hidden[0].value.startswith("55 frames"), hidden[0].value  # 2.2 s at 25 fps
    [plain] = unseen.audit([whole], faces=False)
    assert not any(f.name == "frames hidden by an edit list" for f in plain.findings)
    # an encoder's B-frame delay is an edit list too, and hides nothing
    from unseen.media.video import hidden_frames

    [done] = unseen.clean([whole], tmp_path / "out")
    assert hidden_frames(Path(done.output)) == 0


def test_a_video_audit_says_how_many_frames_it_searched(astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """audit samples a video's frames; "nothing identifying" is not to be read as every frame
    looked at (a face shown on one frame between them is not seen): it says how many."""
    src = tmp_path / "clip.mp4"
    _face_clip(src, np.full_like(astronaut, 90), 100)
    [done] = unseen.clean([src], tmp_path / "out")  # no tags left: nothing identifying
    [res] = unseen.audit([done.output])
    said = [f for f in res.findings if f.name == "frames searched for faces"]
    assert said and not said[0].identifying and said[0].value.startswith("20 of 100")
    capsys.readouterr()
    assert main(["audit", str(done.output)]) == 0
    out = capsys.readouterr().out
    assert "nothing identifying found" in out and "20 of 100" in out


def test_a_recording_with_nothing_identifying_is_not_said_to_have_a_picture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Audit of a quiet recording said "the picture itself may still show places or people"."""
    import wave

    src = tmp_path / "room.wav"
    with wave.open(str(src), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(16000, dtype="<i2").tobytes())
    assert main(["audit", str(src)]) == 0
    out = capsys.readouterr().out
    assert "nothing identifying found" in out and "the sounds in it may still tell places or people" in out and "picture" not in out, out
