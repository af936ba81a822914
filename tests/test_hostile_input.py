"""Files a stranger sends: special files where pictures are expected, names made to fool a
terminal or a script. Each case runs the real command in a subprocess under a timeout, so a
hang fails the test instead of stopping the suite."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import unseen
from unseen.display import shown

TIMEOUT = 120


def _unseen(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "unseen", *args], capture_output=True, timeout=TIMEOUT, env={**os.environ, **(env or {})}, cwd=cwd)


def _picture(path: Path | str) -> None:
    Image.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_special_files_get_one_failed_line_and_the_batch_goes_on(tmp_path: Path) -> None:
    _picture(tmp_path / "a.jpg")
    _picture(tmp_path / "z.png")
    os.mkfifo(tmp_path / "pipe.jpg")  # no writer: opening it for reading would block forever
    (tmp_path / "album").mkdir()
    _picture(tmp_path / "album" / "inside.png")
    os.symlink(tmp_path / "album", tmp_path / "x.jpg")  # a link to a folder, named like a photo
    os.symlink("/dev/zero", tmp_path / "endless.png")  # a device that never ends
    os.symlink(tmp_path / "a.jpg", tmp_path / "link.jpg")  # a link to a regular file is fine
    run = _unseen("clean", "--no-faces", str(tmp_path))
    err = run.stderr.decode()
    assert run.returncode == 1
    failed = [line for line in err.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 3, err
    assert any("pipe.jpg: is a named pipe" in line for line in failed)
    assert any("x.jpg: is a link to a directory" in line for line in failed)
    assert any("endless.png: is a link to a character device" in line for line in failed)
    assert "3 of 7" in err  # a.jpg, album/inside.png, link.jpg, z.png cleaned; nothing walked twice
    names = sorted(p.name for p in tmp_path.rglob("*.unseen.*"))
    assert names == ["a.unseen.jpg", "inside.unseen.png", "link.unseen.jpg", "z.unseen.png"]
    # named on the command line: the same refusal, and audit refuses too
    run = _unseen("clean", "--no-faces", str(tmp_path / "pipe.jpg"), str(tmp_path / "x.jpg"))
    assert run.returncode == 1 and run.stderr.decode().count("FAILED") == 2
    [res] = unseen.audit([tmp_path / "pipe.jpg"], faces=False)
    assert res.error and "named pipe" in res.error


def test_shown_escapes_what_a_terminal_would_act_on() -> None:
    name = os.fsdecode(b"a\xff\x1b[2J\nok      b\xe2\x80\xae.jpg") + " café"
    out = shown(name)
    assert out == "a\\xff\\x1b[2J\\x0aok      b\\u202e.jpg café"
    assert out.isprintable() and shown("plain name.jpg") == "plain name.jpg"


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file names must be UTF-8")
def test_hostile_names_under_strict_utf8_stdout(tmp_path: Path) -> None:
    forged = os.fsdecode(b"evil\xff\x1b[2J\nok      forged.jpg")
    _picture(tmp_path / forged)
    _picture(tmp_path / "good.png")
    (tmp_path / os.fsdecode(b"broken\x1b]0;title\x07\xfe.png")).write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    env = {"PYTHONIOENCODING": "utf-8"}
    run = _unseen("clean", "--no-faces", str(tmp_path), env=env)
    out, err = run.stdout.decode(), run.stderr.decode()
    assert run.returncode == 1, err  # one file broken; no traceback changed the status
    assert "Traceback" not in err and "\x1b" not in out + err
    assert len(out.splitlines()) == 2 and all(line.startswith("ok ") for line in out.splitlines()), out
    assert "evil\\xff\\x1b[2J\\x0aok      forged.jpg" in out
    [failed] = [line for line in err.splitlines() if "FAILED" in line]
    assert "broken\\x1b]0;title\\x07\\xfe.png" in failed
    # --json: one parseable object per line, the exact names (bytes restored from the escapes)
    run = _unseen("clean", "--no-faces", "--json", "--overwrite", str(tmp_path), env=env)
    lines = [json.loads(line) for line in run.stdout.decode().splitlines()]
    objects = [o for o in lines if o["status"] != "skipped"]
    skipped = [Path(o["input"]).name for o in lines if o["status"] == "skipped"]  # the first run's outputs, each said
    assert len(objects) == 3 and len(skipped) == 2 and all(".unseen." in name for name in skipped)
    outputs = {os.fsencode(o["output"]) for o in objects if o["status"] == "ok"}
    assert os.fsencode(str(tmp_path / os.fsdecode(b"evil\xff\x1b[2J\nok      forged.unseen.jpg"))) in outputs
    assert all(Path(o["output"]).exists() for o in objects if o["status"] == "ok")
    # audit prints names and values escaped too
    run = _unseen("audit", "--no-faces", str(tmp_path / forged), env=env)
    assert "Traceback" not in run.stderr.decode() and "\x1b" not in run.stdout.decode()
    assert run.stdout.decode().splitlines()[0] == "== " + shown(str(tmp_path / forged))
