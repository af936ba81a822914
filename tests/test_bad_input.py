"""Bad input: a clear one-line error, non-zero status, no partial file, the batch goes on."""
from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import unseen
from unseen.cli import main
from unseen.errors import ModelError

from conftest import sha


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".unseen" in p.name)


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def _bad_files(tmp_path: Path, astronaut: np.ndarray) -> dict[str, tuple[Path, str]]:
    good = tmp_path / "good.jpg"
    Image.fromarray(astronaut).save(good, quality=90)
    raw = good.read_bytes()
    cases = {}

    def put(name: str, data: bytes, expect: str) -> None:
        p = tmp_path / name
        p.write_bytes(data)
        cases[name] = (p, expect)

    put("empty.jpg", b"", "empty")
    put("truncated.jpg", raw[: len(raw) // 3], "truncated")
    put("corrupt.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "PNG")
    put("zero.png", _png_header(0, 10) + b"\x00" * 20, "PNG")
    idat = zlib.compress(b"\x00" * 1000)
    body = struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    put("bomb.png", _png_header(60000, 60000) + body, "too large")
    put("notes.jpg", b"this is a text file, not a picture\n" * 10, "not a supported")
    put("header-only.gif", b"GIF89a\x10\x00\x10\x00", "GIF")
    good.unlink()
    return cases


def test_each_bad_file_fails_cleanly(tmp_path: Path, astronaut: np.ndarray) -> None:
    cases = _bad_files(tmp_path, astronaut)
    hashes = {n: sha(p) for n, (p, _) in cases.items()}
    results = unseen.clean([p for p, _ in cases.values()])
    for res, (name, (path, expect)) in zip(results, cases.items()):
        assert res.status == "error" and res.output is None, name
        assert "\n" not in res.error and expect.lower() in res.error.lower(), (name, res.error)
        assert sha(path) == hashes[name]
    assert _leftovers(tmp_path) == []


def test_batch_goes_on_after_a_bad_file(tmp_path: Path, astronaut: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    Image.fromarray(astronaut).save(tmp_path / "ok.png")
    assert main(["clean", str(tmp_path)]) == 1
    cap = capsys.readouterr()
    assert "broken.png" in cap.err and "FAILED" in cap.err and "1 of 2" in cap.err
    assert (tmp_path / "ok.unseen.png").exists() and not (tmp_path / "broken.unseen.png").exists()


def test_missing_and_directory_paths(tmp_path: Path) -> None:
    [res] = unseen.clean([tmp_path / "nope.jpg"])
    assert res.status == "error" and "No such file" in res.error
    assert main(["clean", str(tmp_path / "empty-dir-does-not-exist")]) == 1


@pytest.mark.parametrize("command", ["clean", "analyse", "audit", "review"])
def test_an_empty_path_is_refused_not_the_current_folder(command: str, tmp_path: Path, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``unseen clean "$UNSET"`` cleaned every file in the current folder (Path("") is ".")."""
    Image.fromarray(astronaut).save(tmp_path / "a.png")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main([command, "", "--no-browser"] if command == "review" else [command, ""])
    assert stop.value.code == 2
    assert "empty name" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_output_dir_problems(tmp_path: Path, astronaut: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.png"
    Image.fromarray(astronaut).save(src)
    # a missing output folder is made (with its parents), as the folders mirrored below it are
    assert main(["clean", str(src), "-o", str(tmp_path / "missing" / "deeper")]) == 0
    assert (tmp_path / "missing" / "deeper" / "a.unseen.png").is_file()
    capsys.readouterr()
    afile = tmp_path / "file"
    afile.write_text("x")
    assert main(["clean", str(src), "-o", str(afile)]) == 2
    assert "not a directory" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_dir(tmp_path: Path, astronaut: np.ndarray) -> None:
    src = tmp_path / "a.png"
    Image.fromarray(astronaut).save(src)
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    assert main(["clean", str(src), "-o", str(ro)]) == 2


def test_existing_output_kept_unless_overwrite(tmp_path: Path, astronaut: np.ndarray) -> None:
    src = tmp_path / "a.png"
    Image.fromarray(astronaut).save(src)
    (tmp_path / "a.unseen.png").write_bytes(b"precious")
    [res] = unseen.clean([src])
    assert res.status == "error" and "exists" in res.error
    assert (tmp_path / "a.unseen.png").read_bytes() == b"precious"
    [res] = unseen.clean([src], overwrite=True)
    assert res.status == "ok" and (tmp_path / "a.unseen.png").read_bytes().startswith(b"\x89PNG")


def test_already_an_output_is_refused(tmp_path: Path, astronaut: np.ndarray) -> None:
    src = tmp_path / "a.unseen.png"
    Image.fromarray(astronaut).save(src)
    [res] = unseen.clean([src])
    assert res.status == "error" and "already an unseen output" in res.error
    # walking a folder skips it instead, with its line
    [res] = unseen.clean([tmp_path])
    assert res.status == "skipped" and "already an unseen output" in res.error and res.output is None


def test_a_folder_walk_says_what_it_skips(tmp_path: Path, astronaut: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    """A file named like an output may never have been cleaned (a face in it): walking a folder
    skips it, and a plan, with a line each, in its place; the batch is done all the same."""
    folder = tmp_path / "sk"
    folder.mkdir()
    Image.fromarray(astronaut).save(folder / "trip.unseen.faces.jpg")
    Image.fromarray(astronaut).save(folder / "b.png")
    (folder / "c.plan.json").write_text("{}")
    assert main(["clean", str(folder), "--no-faces", "-o", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in err.splitlines()] == ["skipped", "skipped"], err
    assert f"skipped {folder / 'c.plan.json'}: an unseen plan" in err and f"skipped {folder / 'trip.unseen.faces.jpg'}: already an unseen output" in err
    assert "b.png" in out and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b.unseen.png"]
    assert main(["clean", str(folder), "--no-faces", "-o", str(tmp_path / "json"), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(Path(d["input"]).name, d["status"], d["output"] is None) for d in lines] == [("b.png", "ok", False), ("c.plan.json", "skipped", True), ("trip.unseen.faces.jpg", "skipped", True)]
    assert main(["analyse", str(folder), "--no-faces", "-o", str(tmp_path / "plans"), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(Path(d["input"]).name, d.get("skipped", "")[:14]) for d in lines] == [("b.png", ""), ("c.plan.json", "an unseen plan"), ("trip.unseen.faces.jpg", "already an uns")]
    # nothing but outputs: nothing done, said so
    (folder / "b.png").unlink()
    assert main(["clean", str(folder), "--no-faces"]) == 1
    assert "every file found was skipped" in capsys.readouterr().err


def test_a_file_named_twice_is_cleaned_once(tmp_path: Path, astronaut: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    """``clean a.png a.png`` (or a file and its folder) wrote a.unseen.png and a-2.unseen.png:
    two copies of one photo, the second named as if it were another. Done once, the rest said."""
    folder = tmp_path / "trip"
    folder.mkdir()
    Image.fromarray(astronaut).save(folder / "a.png")
    named = [str(folder / "a.png"), str(folder / "a.png"), str(folder / ".." / "trip" / "a.png"), str(folder)]
    assert main(["clean", *named, "--no-faces", "-o", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    assert sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file()) == ["a.unseen.png"], out
    assert err.count("named more than once") == 3, err
    assert main(["audit", str(folder / "a.png"), str(folder)]) == 1  # audit too: one report
    assert capsys.readouterr().out.count("== ") == 1
    # "link/../a.png" is where the link leads, not trip/a.png: another photo, cleaned too
    (tmp_path / "elsewhere" / "sub").mkdir(parents=True)
    Image.fromarray(astronaut[::-1]).save(tmp_path / "elsewhere" / "a.png")
    os.symlink(tmp_path / "elsewhere" / "sub", folder / "link")
    assert main(["clean", str(folder / "a.png"), str(folder / "link" / ".." / "a.png"), "--no-faces", "-o", str(tmp_path / "out2")]) == 0
    assert "named more than once" not in capsys.readouterr().err
    assert len(list((tmp_path / "out2").iterdir())) == 2


def test_hidden_files_are_said_of_in_a_folder_walk(tmp_path: Path, astronaut: np.ndarray, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A hidden photo, a hidden folder and an unfinished output were passed over without a word
    (the user believed the folder done): each gets its line, in clean, analyse and review alike.
    A Mac's AppleDouble files (``._NAME``: not pictures) pass quietly, but audit, which looks
    at what a folder gives away, reads the hidden files and says what an AppleDouble one is."""
    folder = tmp_path / "trip"
    (folder / ".thumbs").mkdir(parents=True)
    Image.fromarray(astronaut).save(folder / "a.png")
    Image.fromarray(astronaut).save(folder / ".secret.png")
    Image.fromarray(astronaut).save(folder / ".thumbs" / "t.png")
    (folder / ".unseen-tmp-host-1-x.png").write_bytes(b"half written")
    (folder / "._a.png").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 40)
    assert main(["clean", str(folder), "--no-faces", "-o", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 3 and all(line.startswith("skipped ") for line in lines), err
    assert f"skipped {folder / '.secret.png'}: a hidden file" in err and f"skipped {folder / '.thumbs'}: a hidden folder" in err
    assert f"skipped {folder / '.unseen-tmp-host-1-x.png'}: an unseen output not yet verified" in err and "._a.png" not in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.unseen.png"]
    assert main(["analyse", str(folder), "--no-faces", "-o", str(tmp_path / "plans")]) == 0
    assert capsys.readouterr().err.count("skipped ") == 3
    # review: the same lines, the same files
    from unseen.review import server

    opened: list[list[Path]] = []
    passed_over: list[list[tuple[Path, str]]] = []

    class Server:
        def __init__(self, files: list[Path], out_dir: Path | None, idle: float | None, skipped: list[tuple[Path, str]]) -> None:
            opened.append(files)
            passed_over.append(skipped)
            self.url = "http://127.0.0.1:1/"

        def serve(self) -> None:
            pass

    monkeypatch.setattr(server, "ReviewServer", Server)
    assert main(["review", str(folder), "--no-browser"]) == 0
    assert opened == [[folder / "a.png"]] and capsys.readouterr().err.count("skipped ") == 3
    assert [p.name for p, _ in passed_over[0]] == [".secret.png", ".thumbs", ".unseen-tmp-host-1-x.png"]  # the page lists them too
    # audit reads every file of the folder: hidden ones are shared with it
    by_name = {Path(r.input).name: r for r in unseen.audit([folder], faces=False)}
    assert sorted(by_name) == ["._a.png", ".secret.png", ".unseen-tmp-host-1-x.png", "a.png", "t.png"]
    assert by_name["._a.png"].format == "AppleDouble" and by_name["._a.png"].identifying
    assert by_name[".unseen-tmp-host-1-x.png"].error


def test_ctrl_c_leaves_no_partial_file(tmp_path: Path, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from unseen.media.still import STILL

    src = tmp_path / "a.png"
    Image.fromarray(astronaut).save(src)
    real = STILL.encode

    def interrupted(pic, out, fmt):
        real(pic, out, fmt)  # the temporary file is fully written...
        raise KeyboardInterrupt  # ...when the user presses Ctrl-C

    monkeypatch.setattr(STILL, "encode", interrupted)
    assert main(["clean", str(src)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_verification_blocks_an_unmasked_output(tmp_path: Path, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the encoder wrote the original pixels, the mask check must refuse to release."""
    from unseen.media import still
    from unseen.pipeline import still as pipeline

    src = tmp_path / "a.png"
    Image.fromarray(astronaut).save(src)
    original = still.Picture([astronaut.copy()], "png")
    real = still.STILL.encode
    monkeypatch.setattr(still.STILL, "encode", lambda pic, out, fmt: real(original, out, fmt))
    [res] = unseen.clean([src])
    assert res.status == "error" and "not covered" in res.error
    assert _leftovers(tmp_path) == []
    assert pipeline.MAX_VERIFY_ROUNDS >= 2


def test_verification_catches_a_missed_face(tmp_path: Path, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the analysis blinded, the check of the rendered picture finds the face (both
    detectors, the rule audit uses) and it is masked before anything is released."""
    from unseen import detect

    monkeypatch.setattr(detect, "find_faces", lambda rgb, tick=None: detect.Judgement())
    src = tmp_path / "a.png"
    Image.fromarray(astronaut).save(src)
    [res] = unseen.clean([src])
    assert res.status == "ok"
    assert res.verification.rounds >= 2
    assert res.regions and all(r.source.startswith("verify:") for r in res.regions)
    assert {r.source.split("+")[0] for r in res.regions} <= {"verify:centerface", "verify:blazeface-full-range", "verify:blazeface-short-range"}
    from conftest import FACE_BOX, covered

    out = np.asarray(Image.open(res.output).convert("RGB"))
    assert covered(out, FACE_BOX, tol=0) > 0.9


def test_tampered_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from unseen.detect import weights

    bad = replace(weights.CENTERFACE, sha256="0" * 64)
    weights.load_verified.cache_clear()
    with pytest.raises(ModelError, match="SHA-256"):
        weights.load_verified(bad)
    missing = replace(weights.CENTERFACE, package="no_such_package_here")
    with pytest.raises(ModelError, match="not installed"):
        weights.load_verified(missing)


def test_unexpected_failure_fails_closed(tmp_path: Path, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug inside a stage still leaves no output and a one-line message, and the batch goes on."""
    from unseen import mask

    for name in ("a.png", "b.png"):
        Image.fromarray(astronaut).save(tmp_path / name)
    calls = []

    def broken(frame, regions, style, rng):
        calls.append(1)
        if len(calls) == 1:
            raise IndexError("tuple index out of range")
        return real(frame, regions, style, rng)

    real = mask.apply
    monkeypatch.setattr("unseen.pipeline.still.apply", broken)
    a, b = unseen.clean([tmp_path / "a.png", tmp_path / "b.png"], jobs=1)
    assert a.status == "error" and "internal error" in a.error and "\n" not in a.error
    assert b.status == "ok"
    assert _leftovers(tmp_path) == ["b.unseen.png"]


def test_publish_without_hard_links(tmp_path: Path, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """On file systems without hard links (FAT sticks) outputs still appear, never clobbering."""
    import errno

    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr("unseen.output.os.link", no_links)
    src = tmp_path / "a.png"
    Image.fromarray(astronaut).save(src)
    [res] = unseen.clean([src])
    assert res.status == "ok" and (tmp_path / "a.unseen.png").exists()
    [res] = unseen.clean([src])
    assert res.status == "error" and "exists" in res.error
    assert _leftovers(tmp_path) == ["a.unseen.png"]


def test_pages_whose_extent_is_a_bomb_are_refused(tmp_path: Path) -> None:
    """Two thin pages, 80,000 pixels in all, whose extent (the canvas a plan and the review page
    lay out) is 40000x40000: refused in one line, as an oversized picture is."""
    src = tmp_path / "strips.tif"
    Image.new("RGB", (40000, 2)).save(src, save_all=True, append_images=[Image.new("RGB", (2, 40000))])
    [res] = unseen.clean([src], tmp_path / "out")
    assert res.status == "error" and "40000x40000" in (res.error or "") and res.output is None
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
