"""The review server's own behaviour, without a browser: what a page's requests get while the
server is busy with another one."""
from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

import unseen.review.session as session
from unseen.review.server import ReviewServer


def test_the_page_is_answered_while_an_upload_is_hashed(astronaut: np.ndarray, tmp_path: Path, monkeypatch: Any) -> None:
    """Hashing an uploaded video takes seconds; the page polls meanwhile and must be answered
    (the hash ran inside the server's event loop and held every request until it ended)."""
    entered, release = threading.Event(), threading.Event()
    real = session.sha256_file

    def slow_hash(path: Path) -> str:
        entered.set()
        release.wait(30)
        return real(path)

    monkeypatch.setattr(session, "sha256_file", slow_hash)
    buf = io.BytesIO()
    Image.fromarray(astronaut).save(buf, "PNG")
    server = ReviewServer([], tmp_path / "out")
    server.start_thread()
    base, headers = f"http://127.0.0.1:{server.port}", {"X-Unseen-Token": server.token}
    uploaded: dict[str, Any] = {}

    def upload() -> None:
        r = httpx.post(base + "/api/upload?name=portrait.png", content=buf.getvalue(), headers=headers, timeout=60)
        uploaded.update(r.json(), status=r.status_code)

    t = threading.Thread(target=upload)
    try:
        t.start()
        assert entered.wait(30), "the upload was never hashed"
        listed = httpx.get(base + "/api/files", headers=headers, timeout=5)  # the hash is still held
        assert listed.status_code == 200 and listed.json()["files"] == []
        assert httpx.get(base + "/api/strings?lang=ko", headers=headers, timeout=5).json()["lang"] == "ko"
        release.set()
        t.join(60)
        assert uploaded["status"] == 200 and uploaded["name"] == "portrait.png"
        assert [f["name"] for f in httpx.get(base + "/api/files", headers=headers, timeout=5).json()["files"]] == ["portrait.png"]
    finally:
        release.set()
        t.join(60)
        server.stop()


def test_the_file_manager_is_asked_for_by_each_system_with_the_copy_alone(tmp_path: Path) -> None:
    """"Show it in its folder": the copy selected in its folder where the system can, its folder
    opened elsewhere; the command holds the copy's path and nothing else of the page's."""
    from unseen.review.reveal import opener

    copy = tmp_path / "사진 1.unseen.jpg"
    assert opener(copy, "darwin") == ["open", "-R", str(copy)]
    assert opener(copy, "win32") == ["explorer", f"/select,{copy}"]
    assert opener(copy, "linux") == ["xdg-open", str(tmp_path)]
