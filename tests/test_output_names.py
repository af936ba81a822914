"""Output names: decided once per batch (the same whatever --jobs says), never shared by two
inputs, the folder tree mirrored under -o, and no capture date, time or device left in a name.

Every input is made here (Pillow pictures, a WAV written with the standard library), and every
check reads the files the command wrote."""
from __future__ import annotations

import hashlib
import json
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import unseen
from unseen.cli import main
from unseen.output_names import Input, decide, identifying_name


def _picture(path: Path, value: int, fmt: str | None = None) -> Path:
    """A flat picture of one grey ``value``, so that each output can be told by its pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((48, 64, 3), value, np.uint8)).save(path, format=fmt or ("PNG" if path.suffix == ".png" else "JPEG"))
    return path


def _value(path: Path) -> int:
    with Image.open(path) as im:
        return round(float(np.asarray(im.convert("RGB")).mean()))


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((np.sin(np.arange(8000) * 0.3) * 8000).astype("<i2").tobytes())
    return path


def _outputs(results: list) -> dict[str, str]:
    """Input to output of the files cleaned (a folder walk also reports the earlier outputs it skips)."""
    done = [r for r in results if r.status != "skipped"]
    assert all(r.status == "ok" for r in done), [r.error for r in done]
    assert all(".unseen." in Path(r.input).name for r in results if r.status == "skipped")
    return {r.input: r.output for r in done}


def test_png_named_jpg_beside_png_get_two_outputs(tmp_path: Path) -> None:
    png = _picture(tmp_path / "photo.png", 40)
    disguised = _picture(tmp_path / "photo.jpg", 200, "PNG")  # a PNG named .jpg
    for overwrite in (False, True):  # the --overwrite hint must not make one output replace the other
        out = _outputs(unseen.clean([tmp_path], faces=False, overwrite=overwrite))
        assert Path(out[str(png)]).name == "photo.unseen.png"  # its extension stays: it keeps the name
        assert Path(out[str(disguised)]).name == "photo-2.unseen.png"
        assert _value(Path(out[str(png)])) == 40 and _value(Path(out[str(disguised)])) == 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo-2.unseen.png", "photo.jpg", "photo.png", "photo.unseen.png"]


@pytest.mark.parametrize("as_folders", [False, True])
def test_same_name_in_two_folders_with_out_dir(tmp_path: Path, as_folders: bool, capsys: pytest.CaptureFixture[str]) -> None:
    a = _picture(tmp_path / "a" / "photo.jpg", 30)
    b = _picture(tmp_path / "b" / "photo.jpg", 220)
    out = tmp_path / "out"
    out.mkdir()
    args = [str(tmp_path / "a"), str(tmp_path / "b")] if as_folders else [str(a), str(b)]
    for flags in ([], ["--overwrite"]):
        assert main(["clean", "--no-faces", "--json", "-o", str(out), *flags, *args]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        got = {r["input"]: Path(r["output"]) for r in lines}
        assert got[str(a)] == out / "photo.unseen.jpg" and got[str(b)] == out / "photo-2.unseen.jpg"
        assert abs(_value(got[str(a)]) - 30) <= 2 and abs(_value(got[str(b)]) - 220) <= 2
    assert sorted(p.name for p in out.iterdir()) == ["photo-2.unseen.jpg", "photo.unseen.jpg"]


def _batch(root: Path) -> list[Path]:
    """Eight files (parallel starts at six) with every kind of clash and a revealing name."""
    files = [
        _picture(root / "photo.png", 10),
        _picture(root / "photo.jpg", 20, "PNG"),
        _picture(root / "IMG_20220814_141231.jpg", 30),
        _picture(root / "photo-1.jpg", 40),
        _picture(root / "x" / "photo.jpg", 50),
        _picture(root / "x" / "PXL_20220814_141231512.jpg", 60),
        _picture(root / "y" / "photo.jpg", 70),
        _picture(root / "y" / "DSC01234.JPG", 80),
    ]
    return files


def test_names_are_the_same_serial_or_parallel(tmp_path: Path) -> None:
    files = _batch(tmp_path / "in")
    named = []
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        out.mkdir()
        results = unseen.clean([tmp_path / "in" / "photo.png", tmp_path / "in"], out, faces=False, jobs=jobs)
        # photo.png named, then found again in its folder: cleaned once, the second time said
        again = [r for r in results if r.status == "skipped"]
        assert len(results) == len(files) + 1 and [Path(r.input).name for r in again] == ["photo.png"]
        assert "named more than once" in (again[0].error or "")
        results = [r for r in results if r.status != "skipped"]
        assert all(r.status == "ok" for r in results), [r.error for r in results]
        named.append([(r.input, str(Path(r.output).relative_to(out))) for r in results])
        assert len({r.output for r in results}) == len(results)
        for r in results:  # each output holds its own input's picture
            assert abs(_value(Path(r.output)) - _value(Path(r.input))) <= 2
    assert named[0] == named[1]
    assert dict(named[0][1:]) == {
        str(tmp_path / "in" / "photo.jpg"): "photo-3.unseen.png",  # a PNG named .jpg: its extension changes
        str(tmp_path / "in" / "IMG_20220814_141231.jpg"): "photo-2.unseen.jpg",  # photo-1 is someone's own
        str(tmp_path / "in" / "photo-1.jpg"): "photo-1.unseen.jpg",
        str(tmp_path / "in" / "x" / "photo.jpg"): "x/photo.unseen.jpg",
        str(tmp_path / "in" / "x" / "PXL_20220814_141231512.jpg"): "x/photo-1.unseen.jpg",
        str(tmp_path / "in" / "y" / "photo.jpg"): "y/photo.unseen.jpg",
        str(tmp_path / "in" / "y" / "DSC01234.JPG"): "y/photo-1.unseen.JPG",
    }
    assert named[0][0] == (str(tmp_path / "in" / "photo.png"), "photo.unseen.png")


def test_out_dir_mirrors_the_folder_tree_and_creates_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "trip"
    _picture(root / "top.png", 10)
    _picture(root / "day 1" / "beach.png", 20)
    _picture(root / "day 1" / "evening" / "dinner.png", 30)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["clean", "--no-faces", "-q", "-o", str(out), str(root)]) == 0
    made = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert made == ["day 1/beach.unseen.png", "day 1/evening/dinner.unseen.png", "top.unseen.png"]
    assert _value(out / "day 1" / "evening" / "dinner.unseen.png") == 30
    # a folder that cannot be made: one line, exit 2, nothing cleaned
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "day 1").write_text("a file where a folder must go")
    capsys.readouterr()
    assert main(["clean", "--no-faces", "-o", str(blocked), str(root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot create output folder" in err[0] and "day 1" in err[0]
    assert sorted(p.name for p in blocked.iterdir()) == ["day 1"]


def test_mirrored_folders_with_dates_get_neutral_names(tmp_path: Path) -> None:
    root = tmp_path / "phone"
    _picture(root / "2024-05-01 Trip" / "beach.png", 10)
    _picture(root / "2024-05-01 Trip" / "100APPLE" / "dinner.png", 20)
    _picture(root / "2024-05-02" / "IMG_20240502_101010.jpg", 30)
    _picture(root / "Kim" / "garden.png", 40)
    _picture(root / "folder-1" / "own.png", 50)  # someone's own folder of that name keeps it
    for keep, expected in (
        (False, ["Kim/garden.unseen.png", "folder-1/own.unseen.png", "folder-2/beach.unseen.png", "folder-2/folder-1/dinner.unseen.png", "folder-3/photo-1.unseen.jpg"]),
        (True, ["2024-05-01 Trip/100APPLE/dinner.unseen.png", "2024-05-01 Trip/beach.unseen.png", "2024-05-02/IMG_20240502_101010.unseen.jpg", "Kim/garden.unseen.png", "folder-1/own.unseen.png"]),
    ):
        out = tmp_path / f"out-{keep}"
        out.mkdir()
        results = unseen.clean([root], out, faces=False, keep_names=keep)
        assert sorted(str(Path(r.output).relative_to(out)) for r in results) == expected
        assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == expected


REVEALING = {
    "IMG_20220814_141231.jpg": "capture date and time",
    "PXL_20220814_141231512.jpg": "capture date and time",
    "VID_20240501_120000.mp4": "capture date and time",
    "Screenshot_2024-05-01-12-00-00.png": "capture date and time",
    "WhatsApp Image 2024-05-01 at 12.00.00.jpeg": "capture date and time",
    "signal-2024-05-01-120000.jpg": "capture date and time",
    "photo_2024-05-01_12-00-00.jpg": "capture date and time",
    "IMG-20240501-WA0001.jpg": "date",
    "20240501.jpg": "date",
    "1714564800123.jpg": "timestamp",
    "1714564800.mp4": "timestamp",
    "DSC01234.JPG": "counter",
    "IMG_E1234.JPG": "counter",  # an iPhone's edited copy of IMG_1234
    "DSCN0042.jpg": "counter",
    "DJI_0001.MP4": "counter",
    "GOPR0123.MP4": "counter",
    "P1010001.JPG": "counter",
    "_MG_4821.CR2.jpg": "counter",
    "photo_123@01-05-2024_12-00-00.jpg": "capture date and time",
    "photo_5021@x.jpg": "Telegram",
    "WhatsApp Image.jpeg": "WhatsApp",
    "3F2504E0-4F89-11D3-9A0C-0305E82C3301.jpg": "unique ID",
    "New Recording 12.m4a": "voice recorder",
    "새로운 녹음 2.m4a": "voice recorder",
    "음성 001.m4a": "voice recorder",
    "100APPLE": "folder",
    "FILE240501-120000F.MP4": "capture date and time",  # a dash cam's
    "240501_120000_001F.MP4": "capture date and time",
    "Call recording John Smith_240501_120000.m4a": "capture date and time",
    "Call recording John Smith.m4a": "call recording",
    "통화 녹음 홍길동.m4a": "call recording",
    "+491701234567.m4a": "phone number",
    "010-1234-5678.m4a": "phone number",
    "13812345678.mp3": "phone number",
    "Mon_Apr_2013__10_48_56.m4a": "date",
    "Movie on 5-1-24 at 12.00 PM.mov": "date",
    "trip 3 May.jpg": "date",
    "1st of May.jpg": "date",
    "2024 May.jpg": "date",
    "2024-5-1.jpg": "date",
    "2024년 5월 1일.jpg": "date",
    "5월 1일 가족.jpg": "date",
    "2024年5月1日.jpg": "date",
    "+82 10-1234-5678.m4a": "phone number",
    "+1 (415) 555-2671.m4a": "phone number",
    "0049 170 1234567.m4a": "phone number",
    "(010) 1234-5678.m4a": "phone number",
    "01012345678.m4a": "phone number",
    "138 1234 5678.mp3": "phone number",
    # read as their digits and marks mean: full-width (typed with a CJK input method), other
    # scripts' digits, Unicode dashes, invisible marks, Hangul a Mac stored decomposed
    "２０２２年８月１４日": "date",
    "０１０-１２３４-５６７８": "phone number",
    "２０２２-０８-１４ １４.１２.３１.jpg": "capture date and time",
    "ＩＭＧ＿２０２２０８１４＿１４１２３１.jpg": "capture date and time",
    "（４１５）５５５－２６７１.m4a": "phone number",
    "٢٠٢٢-٠٨-١٤.jpg": "date",  # Arabic-Indic digits
    "۲۰۲۲-۰۸-۱۴.jpg": "date",  # Persian
    "२०२२-०८-१४.jpg": "date",  # Devanagari
    "٠١٠-١٢٣٤-٥٦٧٨.m4a": "phone number",
    "2022\u201008\u201014.jpg": "date",  # hyphen
    "2022\u201108\u201114.jpg": "date",  # non-breaking hyphen
    "2022\u201208\u201214.jpg": "date",  # figure dash
    "2022\u201308\u201314.jpg": "date",  # en dash
    "2022\u221208\u221214.jpg": "date",  # minus sign
    "2022\uff0d08\uff0d14.jpg": "date",  # full-width hyphen-minus
    "010\u20131234\u20135678.m4a": "phone number",
    "０９０ー１２３４ー５６７８.m4a": "phone number",  # a Japanese long-vowel mark for the dashes
    "2022\u200e-08-\u200e14.jpg": "date",  # left-to-right marks, as Windows copies a date
    "\u1110\u1169\u11bc\u1112\u116a \u1102\u1169\u11a8\u110b\u1173\u11b7 홍길동.m4a": "call recording",  # 통화 녹음, decomposed
    # dates as people, Korean phones and Windows write them; short years; spaces
    "2022. 8. 14. 오후 2.12.31.jpg": "capture date and time",
    "2022. 8. 14..jpg": "date",
    "22. 8. 14. 회령.jpg": "date",
    "회령 22.08.14.jpg": "date",
    "trip.22.08.14.jpg": "date",
    "22.08.14": "date",
    "08.14.22.jpg": "date",
    "22_08_14.jpg": "date",
    "14-08-22": "date",
    "22-8-14.jpg": "date",
    "14.8.2022.jpg": "date",
    "2022 08 14.jpg": "date",
    "14 08 2022.jpg": "date",
    "2022 08 14 14 12 31.jpg": "capture date and time",
    "2022:08:14 14:12:31.jpg": "capture date and time",  # the Finder's 2022/08/14 on disk
    "Screenshot 2024-05-01 at 9.41.07\u202fPM.png": "capture date and time",  # a Mac's
    # North American numbers without +1
    "from 415-555-2671.jpg": "phone number",
    "(415) 555-2671": "phone number",
    "415.555.2671.m4a": "phone number",
}
PLAIN = ["photo.jpg", "holiday at the sea.png", "astronaut.jpg", "a.png", "photo-1.unseen.jpg", "video-12.unseen.mp4",
         "recording-250.unseen.wav", "photo-1.plan.json", "Kim family.jpg", "scan 12.png", "report.pdf",
         "the march.jpg", "Mayflower.png", "maybe later.jpg", "summary 2.png", "chapter 3.1.2.png", "dec.wav",
         "Mario 2.png", "deck 3.png", "market 5.jpg", "novel 2.jpg", "Jane 3.jpg", "Maya 4.jpg", "octave 2.wav",
         "Marco 2023.jpg", "top 5 decoys.png", "2 marchers.png", "3 maybe.png", "v1.2.10.png", "build 1.10.24.png",
         "track 12.mp3", "room 101.jpg",
         # numbers that are not a date (see output_names: a two-digit year needs two-digit parts
         # when dotted; with spaces alone, a four-digit year and a two-digit month and day)
         "IMG.jpg", "vacation 3.jpg", "v1.2.3 release.mp4", "Chapter 12 13.mp3", "room 101 202.jpg", "3 cats.jpg",
         "2 8 14.jpg", "1.10.12.png", "version 1.10.12.png", "iOS 15.6.1 update.png", "python 3.10.12.png",
         "1.22.08.14.png", "22.08.14.2.png", "v01.02.03.png", "12.00.00.png", "World Cup 2022 3 1.jpg",
         "score 250 300 1000.jpg",
         # full-width or with Unicode dashes, and still innocent
         "ｖａｃａｔｉｏｎ ３.jpg", "１０１호.jpg", "사진 ①.jpg", "コーヒー 2.jpg", "Kim\u2013Lee wedding.jpg", "Seoul\u2013Busan 3\u20132.jpg"]


@pytest.mark.parametrize("name", sorted(REVEALING))
def test_revealing_names_are_told(name: str) -> None:
    why = identifying_name(name)
    assert why is not None and REVEALING[name] in why


@pytest.mark.parametrize("name", PLAIN)
def test_plain_names_are_left_alone(name: str) -> None:
    assert identifying_name(name) is None


@pytest.mark.parametrize(("folder", "renamed"), [
    ("２０２２년 ８월 １４일", True), ("회령 22.08.14", True), ("2022. 8. 14", True), ("2022 08 14", True), ("from 415-555-2671", True),
    ("2022\u201008\u201014", True), ("٢٠٢٢-٠٨-١٤", True), ("v1.2.3 release", False), ("2 8 14", False), ("room 101 202", False),
])
def test_mirrored_folder_names_are_read_as_file_names(tmp_path: Path, folder: str, renamed: bool) -> None:
    """A folder mirrored under -o is named by the same rule (identifying_name) as a file."""
    src = _picture(tmp_path / "in" / folder / "beach.png", 10)
    assert decide([Input(src, tmp_path / "in")], tmp_path / "out") == [tmp_path / "out" / ("folder-1" if renamed else folder) / "beach.unseen.png"]


def test_audit_flags_full_width_short_and_spaced_dates(tmp_path: Path) -> None:
    """audit reads a name as clean does: each of these tells a date or a phone number."""
    told = ["２０２２-０８-１４.png", "회령 22.08.14.png", "2022. 8. 14. 오후 2.12.31.png", "2022 08 14 14 12 31.png", "from 415-555-2671.png"]
    for i, name in enumerate(told):
        _picture(tmp_path / name, 10 * i)
    _picture(tmp_path / "2 8 14.png", 100)
    named = {Path(r.input).name: [f.category for f in r.findings] for r in unseen.audit([tmp_path], faces=False)}
    assert {name for name, found in named.items() if "name" in found} == set(told)


def test_dated_names_cleaned_to_neutral_kept_on_request_and_flagged_by_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    a = _picture(src / "IMG_20220814_141231.jpg", 30)
    b = _picture(src / "WhatsApp Image 2024-05-01 at 12.00.00.jpeg", 60)
    c = _picture(src / "DSC01234.JPG", 90)
    d = _wav(src / "PTT-20240501-WA0003.wav")
    plain = _picture(src / "beach.png", 120)
    out = _outputs(unseen.clean([src], faces=False))
    assert {k: Path(v).name for k, v in out.items()} == {
        str(c): "photo-1.unseen.JPG",  # numbered in the batch's order (a folder is walked sorted)
        str(a): "photo-2.unseen.jpg",
        str(d): "recording-1.unseen.wav",
        str(b): "photo-3.unseen.jpeg",
        str(plain): "beach.unseen.png",
    }
    # audit: each revealing input is flagged (exit 1) and says why; no cleaned copy is
    capsys.readouterr()
    assert main(["audit", "--no-faces", str(a)]) == 1
    assert "file name holds a capture date and time" in capsys.readouterr().out
    audited = unseen.audit([src], faces=False)
    named = {r.input: [f for f in r.findings if f.category == "name"] for r in audited}
    assert all(named[str(p)] for p in (a, b, c, d)) and not named[str(plain)]
    assert not any(f.category == "name" for r in unseen.audit(list(out.values()), faces=False) for f in r.findings)
    # --keep-names: the names stay (and audit says what they tell)
    kept = tmp_path / "kept"
    kept.mkdir()
    capsys.readouterr()
    assert main(["clean", "--no-faces", "--keep-names", "--json", "-o", str(kept), str(a), str(d)]) == 0
    outs = [Path(json.loads(line)["output"]).name for line in capsys.readouterr().out.splitlines()]
    assert outs == ["IMG_20220814_141231.unseen.jpg", "PTT-20240501-WA0003.unseen.wav"]
    [res] = unseen.audit([kept / outs[0]], faces=False)
    assert res.identifying and res.findings[0].category == "name"


def test_analyse_names_plans_as_clean_names_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _picture(tmp_path / "IMG_20220814_141231.jpg", 30)
    b = _picture(tmp_path / "PXL_20230101_101010101.jpg", 60)
    assert main(["analyse", "--no-faces", "-q", str(a), str(b)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.plan.json")) == ["photo-1.plan.json", "photo-2.plan.json"]
    # rendered from its plan, each file takes the name its plan was given
    assert main(["clean", "--no-faces", "--json", "--plan", str(tmp_path / "photo-2.plan.json"), str(b)]) == 0
    assert Path(json.loads(capsys.readouterr().out)["output"]) == tmp_path / "photo-2.unseen.jpg"
    assert abs(_value(tmp_path / "photo-2.unseen.jpg") - 60) <= 2
    # a plain clean of the batch decides the same names
    results = unseen.clean([a, b], faces=False, overwrite=True)
    assert [Path(r.output).name for r in results] == ["photo-1.unseen.jpg", "photo-2.unseen.jpg"]
    assert main(["analyse", "--no-faces", "-q", "--keep-names", str(a)]) == 0
    assert (tmp_path / "IMG_20220814_141231.plan.json").exists()


def test_clean_update_plan_never_takes_another_files_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """analyse named one phone photo's plan photo-1; a clean of another with --update-plan took
    photo-1 as well (its output did not exist yet) and wrote its plan over the first's."""
    a = _picture(tmp_path / "IMG_20240501_120000.jpg", 30)
    b = _picture(tmp_path / "IMG_20240502_130000.jpg", 60)
    assert main(["analyse", "--no-faces", "-q", str(a)]) == 0
    first = (tmp_path / "photo-1.plan.json").read_text()
    assert main(["clean", "--no-faces", "--json", "--update-plan", str(b)]) == 0
    assert Path(json.loads(capsys.readouterr().out)["output"]).name == "photo-2.unseen.jpg"
    assert (tmp_path / "photo-1.plan.json").read_text() == first
    assert (tmp_path / "photo-2.plan.json").exists()
    # an input's own name too: holiday.png's plan is not holiday.jpg's to take
    c, d = _picture(tmp_path / "holiday.png", 30), _picture(tmp_path / "holiday.jpg", 90)
    assert main(["analyse", "--no-faces", "-q", str(c)]) == 0
    mine = (tmp_path / "holiday.plan.json").read_text()
    assert main(["clean", "--no-faces", "--json", "--update-plan", str(d)]) == 0
    assert Path(json.loads(capsys.readouterr().out)["output"]).name == "holiday-2.unseen.jpg"
    assert (tmp_path / "holiday.plan.json").read_text() == mine


def test_a_video_and_a_photo_of_one_name_and_a_dated_clip(tmp_path: Path, astronaut: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    """clip.jpg and clip.mp4 would share clip.plan.json: the second is clip-2. A phone's
    VID_... clip becomes video-1, in MP4 whatever it was named."""
    from test_video import make_clip

    photo = _picture(tmp_path / "clip.jpg", 90)
    make_clip(tmp_path / "clip.mp4", astronaut, audio=False, frames=6)
    make_clip(tmp_path / "VID_20240501_120000.mov", astronaut, audio=False, frames=6)
    assert main(["analyse", "--no-faces", "-q", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.plan.json")) == ["clip-2.plan.json", "clip.plan.json", "video-1.plan.json"]
    results = unseen.clean([tmp_path], faces=False)
    assert {Path(r.input).name: Path(r.output).name for r in results if r.status == "ok"} == {
        "clip.jpg": "clip.unseen.jpg",
        "clip.mp4": "clip-2.unseen.mp4",
        "VID_20240501_120000.mov": "video-1.unseen.mp4",
    }
    assert abs(_value(tmp_path / "clip.unseen.jpg") - 90) <= 2 and photo.exists()


def test_review_names_its_outputs_as_clean_does_and_never_takes_another_files(tmp_path: Path, astronaut: np.ndarray) -> None:
    """The review page publishes under a neutral name for a dated one; a name whose plan was
    made for another file, or whose safe copy exists with no plan, is skipped; this file's own
    plan is taken up again (a review reopened); two files of one review never share a name."""
    from unseen.output_names import review_output
    from unseen.plan import InputInfo, Plan

    src = tmp_path / "PXL_20220814_141231512.jpg"
    Image.fromarray(astronaut).save(src)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    assert review_output(src, tmp_path, sha, set()) == tmp_path / "photo-1.unseen.jpg"
    Plan(InputInfo("0" * 64, "image", "jpeg", 10, 10)).save(tmp_path / "photo-1.plan.json")  # another file's
    (tmp_path / "photo-2.unseen.jpg").write_bytes(b"someone else's safe copy")
    assert review_output(src, tmp_path, sha, set()) == tmp_path / "photo-3.unseen.jpg"
    Plan(InputInfo(sha, "image", "jpeg", 512, 512)).save(tmp_path / "photo-3.plan.json")  # this file's
    taken: set[str] = set()
    assert review_output(src, tmp_path, sha, taken) == tmp_path / "photo-3.unseen.jpg"
    assert review_output(src, tmp_path, sha, taken) == tmp_path / "photo-4.unseen.jpg"  # a second file of the review
    plain = tmp_path / "harbour.jpg"
    Image.fromarray(astronaut).save(plain)
    assert review_output(plain, tmp_path, "f" * 64, set()) == tmp_path / "harbour.unseen.jpg"
