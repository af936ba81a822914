"""Reports name only metadata from a fixed vocabulary: tag names a stranger wrote (PNG text
keywords, Vorbis comments, ID3 TXXX frames, MP4 keys) are counted, never repeated."""
from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
from PIL import Image, PngImagePlugin

import unseen
from unseen.cli import main
from unseen.names import finding_names, item_count, tag_names

from conftest import mux_mono

SECRET = "JANE_FUZZOWNER_HOME"


def _no_secret(res: unseen.CleanResult) -> None:
    assert not any("fuzzowner" in n.lower() for n in res.metadata_found), res.metadata_found


def test_vocabulary_rules() -> None:
    keys = ["title", "ARTIST", "stream:title-eng", "com.apple.quicktime.location.ISO6709", "com.fuzz.jane-fuzzowner-home", SECRET, "stream:" + SECRET]
    assert tag_names(keys) == ["artist", "com.apple.quicktime.location.iso6709", "stream:title", "title", "3 custom text fields"]
    assert finding_names(["GPS position", "PNG custom text field", "PNG custom text field"]) == ["GPS position", "2 custom text fields"]
    assert item_count(["title", "3 custom text fields"]) == 4 and tag_names([]) == []


def test_png_text_keywords_counted(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Kim Secret")
    info.add_text(SECRET, "the flat above the bakery")
    info.add_itxt("com.fuzz.jane-fuzzowner-home", "more")
    src = tmp_path / "a.png"
    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(src, pnginfo=info)
    assert main(["clean", "--no-faces", "--json", str(src)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert sorted(res["metadata_found"]) == ["2 custom text fields", "PNG text 'Author'"]
    # audit still shows the owner what is in the file (values are its job)
    [audited] = unseen.audit([src], faces=False)
    assert any(SECRET in f.value for f in audited.findings)
    assert main(["clean", "--no-faces", "--overwrite", str(src)]) == 0
    assert "3 metadata items dropped" in capsys.readouterr().out


def _sound(path: Path, fmt: str, codec: str, tags: dict[str, str], options: dict[str, str] | None = None) -> Path:
    out = av.open(str(path), "w", format=fmt, options=options or {})
    out.metadata.update(tags)
    t = np.arange(32000) / 16000
    mux_mono(out, out.add_stream(codec, rate=16000, layout="mono"), (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
    out.close()
    return path


def test_sound_and_video_tag_names_counted(tmp_path: Path) -> None:
    tags = {"title": "Testimony", SECRET: "Yanji", "com.fuzz.jane-fuzzowner-home": "x"}
    flac = _sound(tmp_path / "a.flac", "flac", "flac", tags)  # Vorbis comments
    mp3 = _sound(tmp_path / "b.mp3", "mp3", "libmp3lame", tags)  # ID3v2 TXXX frames
    m4a = _sound(tmp_path / "c.m4a", "mp4", "aac", tags, {"movflags": "use_metadata_tags"})  # MP4 keys
    for res in unseen.clean([flac, mp3, m4a], voice="mute"):
        assert res.status == "ok", res.error
        _no_secret(res)
        assert "title" in res.metadata_found and "2 custom text fields" in res.metadata_found, (res.input, res.metadata_found)
    clip = tmp_path / "d.mkv"
    out = av.open(str(clip), "w", format="matroska")
    out.metadata.update(tags)
    st = out.add_stream("libx264", rate=25)
    st.width, st.height, st.pix_fmt = 64, 48, "yuv420p"
    st.metadata[SECRET] = "y"
    for i in range(5):
        f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * i, np.uint8), format="rgb24")
        f.pts = i
        for p in st.encode(f):
            out.mux(p)
    for p in st.encode():
        out.mux(p)
    out.close()
    [res] = unseen.clean([clip], faces=False)
    assert res.status == "ok", res.error
    _no_secret(res)
    assert "title" in res.metadata_found and "3 custom text fields" in res.metadata_found, res.metadata_found
