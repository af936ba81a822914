"""No network, enforced: ``clean`` and ``audit`` on a photo, a video and a sound file (a batch,
so the worker processes too) run with Python's sockets replaced by a guard that records every
attempt to resolve a name or connect anywhere but a local Unix socket, and raises. Where strace
works, the same runs are traced too, so a library's C code (FFmpeg, OpenVINO, LiteRT) cannot
open an Internet socket unseen either."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from conftest import mux_mono

# loaded by every Python process started with this folder on PYTHONPATH (spawned workers too)
GUARD = '''
import os, socket, traceback

with open(os.environ["UNSEEN_NET_LOG"] + ".pids", "a") as _pids:  # which processes were guarded
    _pids.write(f"{os.getpid()}\\n")

def _blocked(name):
    def refuse(*args, **kwargs):
        target = args[1:] if args and isinstance(args[0], socket.socket) else args
        if args and isinstance(args[0], socket.socket) and args[0].family == getattr(socket, "AF_UNIX", None):
            return _saved[name](*args, **kwargs)
        with open(os.environ["UNSEEN_NET_LOG"], "a") as log:
            log.write(f"{os.getpid()} {name}{target!r}\\n{''.join(traceback.format_stack(limit=6))}\\n")
        raise OSError(f"network blocked by the test: {name}")
    return refuse

_saved = {}
for _name in ("connect", "connect_ex", "sendto", "sendmsg"):
    _saved[_name] = getattr(socket.socket, _name)
    setattr(socket.socket, _name, _blocked(_name))
for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
    setattr(socket, _name, _blocked(_name))
'''


@pytest.fixture
def guarded(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "guard"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "network.log"
    path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "UNSEEN_NET_LOG": str(log)}


def _strace_works(tmp_path: Path) -> bool:
    """strace is installed and may trace here (containers often forbid ptrace), and sees a socket."""
    if shutil.which("strace") is None:
        return False
    out = tmp_path / "strace-probe"
    run = subprocess.run(["strace", "-f", "-qq", "-e", "trace=socket", "-o", str(out), sys.executable, "-c", "import socket; socket.socket()"], capture_output=True)
    return run.returncode == 0 and "AF_INET" in out.read_text()


def _media(folder: Path, astronaut: np.ndarray) -> list[Path]:
    """A photo with a face, a short video with a face and sound, a sound file; three more photos
    make it a batch, cleaned by worker processes."""
    folder.mkdir()
    Image.fromarray(astronaut).save(folder / "photo.jpg", quality=90)
    for i in range(3):
        Image.fromarray(astronaut[:, ::-1] if i % 2 else astronaut).resize((256, 256)).save(folder / f"more{i}.png")
    out = av.open(str(folder / "clip.mp4"), "w")
    v = out.add_stream("libx264", rate=10)
    v.width, v.height, v.pix_fmt = 256, 256, "yuv420p"
    a = out.add_stream("aac", rate=16000, layout="mono")
    small = np.asarray(Image.fromarray(astronaut).resize((256, 256)))
    for _ in range(6):
        for p in v.encode(av.VideoFrame.from_ndarray(small, format="rgb24")):
            out.mux(p)
    for p in v.encode():
        out.mux(p)
    mux_mono(out, a, (0.2 * np.sin(2 * np.pi * 200 * np.arange(9600) / 16000)).astype(np.float32), 16000)
    out.close()
    out = av.open(str(folder / "voice.wav"), "w")
    mux_mono(out, out.add_stream("pcm_s16le", rate=16000, layout="mono"), (0.2 * np.sin(2 * np.pi * 150 * np.arange(32000) / 16000)).astype(np.float32), 16000)
    out.close()
    return sorted(folder.iterdir())


def _run(args: list[str], env: dict[str, str], trace: Path | None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "unseen", *args]
    if trace is not None:  # every socket and connect call, from any thread of any process
        cmd = ["strace", "-f", "-qq", "-e", "trace=socket,connect", "-o", str(trace), *cmd]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_guard_catches_an_attempt(guarded: dict[str, str]) -> None:
    """The guard itself: a connection and a name lookup are refused and recorded."""
    code = "import socket\nfor f in (lambda: socket.create_connection(('192.0.2.1', 80), 1), lambda: socket.socket().connect(('192.0.2.1', 80)), lambda: socket.getaddrinfo('example.org', 443)):\n    try: f()\n    except OSError as e: print(e)"
    run = subprocess.run([sys.executable, "-c", code], env=guarded, capture_output=True, text=True, timeout=60)
    assert run.stdout.count("network blocked by the test") == 3, run.stdout + run.stderr
    log = Path(guarded["UNSEEN_NET_LOG"]).read_text()
    assert "create_connection" in log and "connect(('192.0.2.1', 80),)" in log and "getaddrinfo" in log


def test_clean_and_audit_never_touch_the_network(tmp_path: Path, guarded: dict[str, str], astronaut: np.ndarray) -> None:
    files = _media(tmp_path / "in", astronaut)
    out = tmp_path / "out"
    out.mkdir()
    trace = tmp_path / "trace" if _strace_works(tmp_path) else None
    runs = [
        _run(["clean", "--audio", "keep", "--voice", "disguise", "--jobs", "2", str(tmp_path / "in"), "-o", str(out)], guarded, trace),
        # audit of each kind, with the face search (the detectors load their models)
        _run(["audit", *map(str, files)], guarded, trace and trace.with_name("trace-audit")),
    ]
    clean, audit = runs
    assert clean.returncode == 0, clean.stderr
    assert len(clean.stdout.splitlines()) == len(files)
    assert audit.returncode == 1 and "face" in audit.stdout, audit.stderr  # it did look: faces found
    for run in runs:
        assert "Traceback" not in run.stderr, run.stderr
    log = Path(guarded["UNSEEN_NET_LOG"])
    assert not log.exists(), log.read_text()
    guarded_pids = set(log.with_name(log.name + ".pids").read_text().split())
    assert len(guarded_pids) >= 4, guarded_pids  # clean, its two workers, audit (and helpers)
    if trace is not None:
        lines = [line for t in (trace, trace.with_name("trace-audit")) for line in t.read_text().splitlines()]
        inet = [line for line in lines if "AF_INET" in line or "AF_NETLINK" in line]
        assert inet == [], inet
