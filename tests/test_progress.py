"""Progress where people wait: a large photo ticks through the detector's real runs (each tile
of each pass) and the verification steps; auditing a video ticks through its frames. On a
terminal a bar shows on stderr; with --json (or a pipe) nothing is drawn."""
from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import numpy as np
from PIL import Image

import unseen


def _on_terminal(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run ``unseen ARGS`` with stderr on a pseudo-terminal (120 columns, as a real one has:
    tqdm draws nothing on a terminal of width 0); returns status, stdout and what the
    terminal showed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "unseen", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, cwd=cwd)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    out = proc.stdout.read().decode() if proc.stdout else ""
    return proc.wait(timeout=300), out, shown.decode(errors="replace")


def _large_photo(path: Path, astronaut: np.ndarray) -> Path:
    """2600x1950: above the detector's tile size, so its passes run in tiles."""
    Image.fromarray(astronaut).resize((2600, 1950), Image.LANCZOS).save(path, quality=90)
    return path


def test_photo_progress_counts_the_detector_runs_and_the_checks(tmp_path: Path, astronaut: np.ndarray) -> None:
    from unseen.detect import find_faces_steps

    src = _large_photo(tmp_path / "large.jpg", astronaut)
    seen: list[tuple[str, int, int | None]] = []
    plan = unseen.analyse(src, on_progress=lambda stage, done, total: seen.append((stage, done, total)))
    steps = find_faces_steps(2600, 1950)
    assert steps > 6  # tiles of several passes, the second detector, the judging
    assert [d for s, d, _ in seen if s == "analyse"] == list(range(steps + 1))
    assert {t for s, _, t in seen if s == "analyse"} == {steps}
    seen.clear()
    res = unseen.render(src, plan, on_progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert res.status == "ok", res.error
    rounds = res.verification.rounds
    assert seen[-1] == ("render", 4 * rounds, 4 * rounds)  # mask, look, encode, verify: each round


def test_large_photo_shows_a_bar_on_a_terminal(tmp_path: Path, astronaut: np.ndarray) -> None:
    _large_photo(tmp_path / "large.jpg", astronaut)
    status, out, shown = _on_terminal("clean", "large.jpg", cwd=tmp_path)
    assert status == 0 and "large.jpg -> large.unseen.jpg" in out
    assert "analyse large.jpg" in shown and "step" in shown and "render large.unseen.jpg" in shown
    assert "encoding JPEG" in shown
    # --json: the terminal shows nothing but what went wrong (nothing)
    status, out, shown = _on_terminal("clean", "--json", "--overwrite", "large.jpg", cwd=tmp_path)
    assert status == 0 and '"status": "ok"' in out and shown.strip() == ""


def test_audit_of_a_video_shows_a_bar_on_a_terminal(tmp_path: Path, astronaut: np.ndarray) -> None:
    from test_video import make_clip

    make_clip(tmp_path / "clip.mp4", astronaut, audio=False)
    status, out, shown = _on_terminal("audit", "clip.mp4", cwd=tmp_path)
    assert status == 1 and "face" in out  # the astronaut's face, visible
    assert "audit clip.mp4" in shown and "frame" in shown
    status, out, shown = _on_terminal("audit", "--json", "clip.mp4", cwd=tmp_path)
    assert status == 1 and shown.strip() == ""
