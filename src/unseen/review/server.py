"""The review server: one page and a small JSON API, on 127.0.0.1 only.

Guards, on every request: a random token (in the address the page is opened with, then in a
same-site cookie); a ``Host`` header naming this very address (a web page elsewhere that points
its own name at 127.0.0.1 - DNS rebinding - is refused); no CORS headers; a Content-Security-
Policy that lets the page load nothing from anywhere but this server.
"""
from __future__ import annotations

import io
import re
import secrets
import socket
import threading
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable

import numpy as np

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import i18n
from ..errors import one_line
from ..i18n import N_
from ..plan import PlanError, PlanTrack
from .frames import VideoFrames
from .session import LISTED_SKIPS, ReviewFile, Session, Stale
from .reveal import reveal
from .tracks import new_track, set_key, set_span

if TYPE_CHECKING:
    from ..media.still import Picture

STATIC = Path(__file__).resolve().parent / "static"
IMAGES_KEPT = 32  # pictures' JPEGs kept for the page (an animation's frames are stepped through)
COOKIE = "unseen_review"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
MAX_UPLOAD = 16 << 30

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class Guard:
    """Refuses any request without the token or with a foreign Host; adds the security headers."""

    def __init__(self, app: ASGIApp, token: str, port: Callable[[], int]) -> None:
        self.app, self.token, self.port = app, token, port
        self.last = time.monotonic()  # when the page last asked anything (see ReviewServer's idle exit)

    def _allowed(self, scope: Scope) -> tuple[int, str] | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if host not in (f"127.0.0.1:{self.port()}", f"localhost:{self.port()}"):
            return 400, "wrong host"
        origin = headers.get("origin")
        if origin is not None and origin not in (f"http://127.0.0.1:{self.port()}", f"http://localhost:{self.port()}"):
            return 403, "wrong origin"
        given = Request(scope).query_params.get("t") or headers.get("x-unseen-token") or Request(scope).cookies.get(COOKIE) or ""
        if not secrets.compare_digest(given.encode(), self.token.encode()):
            return 403, "forbidden"
        return None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        refused = self._allowed(scope)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                h = [(k, v) for k, v in message.get("headers", []) if not k.lower().startswith(b"access-control-")]
                h += [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                      (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"), (b"cache-control", b"no-store")]
                message = dict(message, headers=h)
            await send(message)

        if refused is not None:
            await Response(refused[1], status_code=refused[0], media_type="text/plain")(scope, receive, send_with_headers)
            return
        self.last = time.monotonic()
        await self.app(scope, receive, send_with_headers)


def _lang(request: Request) -> str | None:
    """The page's language: on its polls as ``?lang=``, on its edits as a header (app.js api())."""
    return request.query_params.get("lang") or request.headers.get("x-unseen-lang") or None


def _said(request: Request, text: str | None) -> str | None:
    lang = _lang(request)
    return i18n.localize(text, lang) if text and lang in i18n.LANGUAGES else text


# The pipelines' messages end with the command line's way out ("(unless --keep-names)", "(use
# --audio keep to keep it)"): the page has no such options, and its readers no terminal
_OPTION_HINT = re.compile(r"\s*\([^()]*--[a-z][^()]*\)")


def page_words(text: str) -> str:
    """A message of unseen's as the page says it: without the command line's options."""
    return _OPTION_HINT.sub("", text)


def localized(d: dict[str, Any], lang: str | None) -> dict[str, Any]:
    """The reasons and audit findings a person reads, in the page's language (the pipelines make
    them in English, as data; the catalogue knows their templates), without the command line's
    options."""
    lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT
    tr = lambda text: page_words(i18n.localize(text, lang)) if isinstance(text, str) else text  # noqa: E731
    d["error"] = tr(d.get("error"))
    d["save_error"] = tr(d.get("save_error"))
    d["job"] = dict(d["job"], error=tr(d["job"].get("error")), warnings=[tr(w) for w in d["job"].get("warnings", [])])
    if d.get("audit"):
        d["audit"] = dict(d["audit"], error=tr(d["audit"].get("error")),
                          # a value is translated only where unseen wrote it: a tag's own text stays as the file says
                          findings=[dict(x, name=tr(x["name"]), value=tr(x["value"]) if isinstance(x["value"], i18n.Msg) else x["value"]) for x in d["audit"]["findings"]])
    return d


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


class ReviewApp:
    """Routes over one Session."""

    def __init__(self, session: Session, token: str) -> None:
        self.session, self.token = session, token
        self._frames: dict[str, VideoFrames] = {}
        self._images: OrderedDict[tuple[str, int], bytes] = OrderedDict()  # JPEGs of pictures shown, the last IMAGES_KEPT
        self._decoded: tuple[str, Picture] | None = None  # the last still shown, decoded as clean decodes it
        self._decode_lock = threading.Lock()
        self._lock = threading.Lock()

    # --- helpers ---------------------------------------------------------------------------
    def file(self, request: Request) -> ReviewFile:
        f = self.session.files.get(request.path_params["fid"])
        if f is None:
            raise KeyError("no such file")
        return f

    def frames(self, f: ReviewFile) -> VideoFrames:
        with self._lock:
            v = self._frames.get(f.id)
            if v is not None and f.plan is not None and not v.from_plan and v.pts != f.plan.input.pts:
                v.close()  # counted by packets before the plan came, and the plan counts otherwise
                v = None
            if v is None:
                # before the plan is there (analysis running), frames are counted by the packets' timestamps
                v = self._frames[f.id] = VideoFrames(f.path, f.plan.input.pts if f.plan else None)
            return v

    def image(self, f: ReviewFile, n: int = 0) -> bytes:
        """Picture ``n`` of the file (a TIFF's page, an animation's frame) as clean decodes it
        (the same decoder: orientation, colour, pages), laid on the plan's canvas (the largest
        page's extent, where the masks fall on each page); a transparent picture over white, as
        viewers show it. The last file's decoded picture and a few JPEGs are kept."""
        from ..media.still import over, transparent

        pic = self._picture(f)
        n = min(max(0, n), len(pic.frames) - 1)
        hit = self._images.get((f.id, n))
        if hit is None:
            from PIL import Image

            frame = pic.frames[n]
            frame = over(frame, 255) if transparent(frame) else frame[..., :3]
            width, height = pic.canvas
            if frame.shape[:2] != (height, width):
                canvas = np.full((height, width, 3), 128, np.uint8)
                canvas[: frame.shape[0], : frame.shape[1]] = frame
                frame = canvas
            buf = io.BytesIO()
            Image.fromarray(np.ascontiguousarray(frame)).save(buf, "JPEG", quality=92)
            hit = self._images[f.id, n] = buf.getvalue()
            while len(self._images) > IMAGES_KEPT:
                self._images.popitem(last=False)
        self._images.move_to_end((f.id, n))
        return hit

    def _picture(self, f: ReviewFile) -> "Picture":
        from ..media.probe import probe
        from ..media.still import STILL

        with self._decode_lock:
            if self._decoded is None or self._decoded[0] != f.id:
                self._decoded = None  # the last file's pixels go before the next's come
                self._decoded = (f.id, STILL.decode(f.path, probe(f.path).format))
            return self._decoded[1]

    # --- routes ----------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        r = FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")
        r.set_cookie(COOKIE, self.token, httponly=True, samesite="strict", path="/")
        return r

    async def strings(self, request: Request) -> Response:
        lang = i18n.normalise(request.query_params.get("lang")) if request.query_params.get("lang") else i18n.from_accept_language(request.headers.get("accept-language"))
        return _json({"lang": lang, "languages": list(i18n.LANGUAGES), "strings": i18n.strings(lang)})

    async def list_files(self, request: Request) -> Response:
        skipped = [{"name": p.name, "path": str(p), "reason": reason, "kind": LISTED_SKIPS.get(reason)} for p, reason in self.session.skipped]
        return _json({"files": [f.to_json(with_plan=False) for f in self.session.listed()], "skipped": skipped})

    async def upload(self, request: Request) -> Response:
        """One file as the request body (streamed into the session's private folder, 0600)."""
        name = Path(request.query_params.get("name") or "file").name.strip().lstrip(".") or "file"
        folder = self.session.uploads / secrets.token_hex(4)
        folder.mkdir(mode=0o700)
        while len(name.encode("utf-8", "surrogateescape")) > 200:  # file systems allow 255 bytes
            name = name[:-1]
        path = folder / name
        size = 0
        with open(path, "xb", opener=lambda p, fl: __import__("os").open(p, fl, 0o600)) as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_UPLOAD:
                    out.close()
                    path.unlink(missing_ok=True)
                    limit = f"{MAX_UPLOAD >> 30} GiB" if MAX_UPLOAD >= 1 << 30 else f"{MAX_UPLOAD >> 20} MiB"
                    return _json({"error": _said(request, N_("too large to add (over {size})").format(size=limit))}, 413)
                out.write(chunk)
        # hashing a large video takes seconds: in a worker thread, so the page's polls go on
        f = await run_in_threadpool(self.session.add, path, uploaded=True)
        await run_in_threadpool(self.session.opened_after_all, f)
        return _json(localized(f.to_json(with_plan=False), _lang(request)))

    async def get_file(self, request: Request) -> Response:
        """The file's state; its plan only when its revision differs from ``since`` (the page polls)."""
        f = self.file(request)
        since = request.query_params.get("since")
        return _json(localized(f.to_json(with_plan=since is None or since != str(f.rev)), _lang(request)))

    async def get_image(self, request: Request) -> Response:
        n = request.query_params.get("n", "0")
        data = await run_in_threadpool(self.image, self.file(request), int(n) if n.isdigit() else 0)
        return Response(data, media_type="image/jpeg")

    async def get_frame(self, request: Request) -> Response:
        f = self.file(request)
        n = int(request.path_params["n"])
        w = request.query_params.get("w")
        width = max(16, min(int(w), 8192)) if w and w.isdigit() else None
        frames = await run_in_threadpool(self.frames, f)
        frames.prefetch(width)
        data = await run_in_threadpool(frames.jpeg, n, width)
        return Response(data, media_type="image/jpeg")

    async def get_thumb(self, request: Request) -> Response:
        f = self.file(request)
        if f.plan is None:
            raise KeyError("not ready")
        t = f.plan.find(request.path_params["tid"])
        frame = sorted(t.boxes)[len(t.boxes) // 2] if isinstance(t, PlanTrack) else (t.frames[0] if t.frames else 0)
        box = t.boxes[frame] if isinstance(t, PlanTrack) else t.box

        def crop() -> bytes:
            from PIL import Image

            rgb = self.frames(f).picture(frame)
            h, w = rgb.shape[:2]
            k = w / (f.plan.input.width or w)  # the frames decoded ahead are at the page's width
            x0, y0, x1, y1 = (v * k for v in box)
            m = 0.25 * max(x1 - x0, y1 - y0)
            img = Image.fromarray(rgb[max(0, int(y0 - m)):min(h, int(y1 + m)), max(0, int(x0 - m)):min(w, int(x1 + m))])
            img.thumbnail((96, 96))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=85)
            return buf.getvalue()

        return Response(await run_in_threadpool(crop), media_type="image/jpeg")

    async def put_plan(self, request: Request) -> Response:
        f = self.file(request)
        body = await request.json()
        client, seq = body.get("client"), body.get("seq")
        client = client[:64] if isinstance(client, str) and client else None
        seq = seq if isinstance(seq, int) and not isinstance(seq, bool) else 0
        rev, plan = await run_in_threadpool(f.replace_plan, int(body.get("rev", -1)), body.get("plan"), client, seq)
        # the plan only where it is not the one sent (a publish's final check added to it meanwhile)
        return _json({"rev": rev, "save_error": _said(request, f.save_error)} | ({"plan": plan} if plan is not None else {}))

    async def follow(self, request: Request) -> Response:
        """A box on one frame: a new track following it (``track`` absent), or a keyframe of ``track``."""
        f = self.file(request)
        body = await request.json()
        frame, box, tid = int(body["frame"]), tuple(float(v) for v in body["box"]), body.get("track")
        face = body.get("spot") is True  # a spot worth a look masked: a face, not a drawn box
        assert len(box) == 4
        frames = VideoFrames(f.path, f.plan.input.pts if f.plan else None)  # its own decoder: seeks go on beside it

        def edit(plan: Any) -> str:
            if tid:
                return set_key(plan, frames, str(tid), frame, box).id  # type: ignore[arg-type]
            return new_track(plan, frames, frame, box, face=face).id  # type: ignore[arg-type]

        try:
            track_id = await run_in_threadpool(f.change, int(body.get("rev", -1)), edit)
        finally:
            frames.close()
        return _json({"track": track_id, **localized(f.to_json(), _lang(request))})

    async def span(self, request: Request) -> Response:
        f = self.file(request)
        body = await request.json()
        tid, first, last = str(body["track"]), int(body["first"]), int(body["last"])
        await run_in_threadpool(f.change, int(body.get("rev", -1)), lambda plan: set_span(plan, tid, first, last))
        return _json(localized(f.to_json(), _lang(request)))

    async def publish(self, request: Request) -> Response:
        f = self.file(request)
        body = await request.json()
        f.start_publish(int(body.get("rev", -1)), self.session.start, self.session.stopping)
        return _json(localized(f.to_json(with_plan=False), _lang(request)))

    async def output(self, request: Request) -> Response:
        f = self.file(request)
        out = f.job.output
        if f.job.state != "done" or not out or not Path(out).is_file():
            raise KeyError("no output")
        # ?look: shown in a tab of its own (the page's "Look at the safe copy"), else saved
        how = "inline" if "look" in request.query_params else "attachment"
        return FileResponse(out, filename=Path(out).name, content_disposition_type=how)

    async def reveal(self, request: Request) -> Response:
        """The safe copy shown in the file manager (the page's "Show in its folder")."""
        f = self.file(request)
        out = f.job.output
        if f.job.state != "done" or not out or not Path(out).is_file():
            raise KeyError("no output")
        await run_in_threadpool(reveal, Path(out))
        return _json({"shown": True})

    def close(self) -> None:
        for v in self._frames.values():
            v.close()


async def _errors(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Stale):
        return _json({"error": "stale"}, 409)
    if isinstance(exc, (KeyError, IndexError)):
        return _json({"error": _said(request, N_("not found"))}, 404)
    if isinstance(exc, (PlanError, ValueError, TypeError, AssertionError)):
        return _json({"error": _said(request, one_line(exc))}, 400)
    return _json({"error": _said(request, one_line(exc))}, 500)


def make_app(session: Session, token: str, port: Callable[[], int]) -> Guard:
    """The whole ASGI application (guards included) over ``session``."""
    r = ReviewApp(session, token)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(session.close)
        r.close()

    routes = [
        Route("/", r.index),
        Route("/api/strings", r.strings),
        Route("/api/files", r.list_files),
        Route("/api/upload", r.upload, methods=["POST"]),
        Route("/api/files/{fid}", r.get_file),
        Route("/api/files/{fid}/image", r.get_image),
        Route("/api/files/{fid}/frame/{n:int}", r.get_frame),
        Route("/api/files/{fid}/thumb/{tid}", r.get_thumb),
        Route("/api/files/{fid}/plan", r.put_plan, methods=["PUT"]),
        Route("/api/files/{fid}/follow", r.follow, methods=["POST"]),
        Route("/api/files/{fid}/span", r.span, methods=["POST"]),
        Route("/api/files/{fid}/publish", r.publish, methods=["POST"]),
        Route("/api/files/{fid}/output", r.output),
        Route("/api/files/{fid}/reveal", r.reveal, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC)),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={Exception: _errors, KeyError: _errors, Stale: _errors, PlanError: _errors, ValueError: _errors, IndexError: _errors})
    return Guard(app, token, port)


# The port a review listens on when it is free. The page keeps the language a person chose in the
# browser, which keeps it per address: on a port picked afresh each time it was forgotten at every
# review. Another review (or program) holding it: any free port, as before (the token guards both).
PREFERRED_PORT = 47913


def loopback_socket(port: int = PREFERRED_PORT) -> socket.socket:
    """A listening socket on 127.0.0.1: ``port`` when it is free, else one the system picks.
    SO_REUSEADDR lets a review take the port its last one left (closed connections linger a
    minute) and still refuses one another review listens on; on Windows it would let two share
    it, so there the port is taken exclusively."""
    for want in (port, 0):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)
            s.setsockopt(socket.SOL_SOCKET, exclusive if exclusive is not None else socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", want))
            s.listen(64)
            return s
        except OSError:
            s.close()
            if not want:
                raise
    raise OSError("no free port")  # not reached: the loop returns or raises


class ReviewServer:
    """``unseen review`` as an object: start, the address, stop (tests run it in a thread)."""

    def __init__(self, paths: list[Path], out_dir: Path | None = None, idle_exit: float | None = None, skipped: list[tuple[Path, str]] | None = None) -> None:
        """``idle_exit``: seconds without a request from the page (its tab closed: an open page
        asks every two seconds, a hidden one at least once a minute) after which the review ends
        by itself, once no publish is running; for a review started without a terminal.
        ``skipped``: what a folder walk passed over, with the reason (the page lists them: a
        review started from a shortcut has no terminal to say it)."""
        import uvicorn

        self.session = Session(out_dir, skipped)
        for p in paths:
            self.session.add(p)
        self.token = secrets.token_urlsafe(24)
        self.sock = loopback_socket()
        self.port = self.sock.getsockname()[1]
        app = self.guard = make_app(self.session, self.token, lambda: self.port)
        self.idle_exit = idle_exit
        self.thread: threading.Thread | None = None
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", server_header=False, date_header=False))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?t={self.token}"

    def serve(self) -> None:
        if self.idle_exit is not None:
            threading.Thread(target=self._exit_when_idle, name="unseen-idle", daemon=True).start()
        self.server.run(sockets=[self.sock])

    def _exit_when_idle(self) -> None:
        assert self.idle_exit is not None
        while not self.server.should_exit:
            time.sleep(min(5.0, self.idle_exit / 4))
            busy = any(f.job.state == "running" for f in list(self.session.files.values()))
            if not busy and time.monotonic() - self.guard.last > self.idle_exit:
                self.server.should_exit = True  # as Ctrl-C: the uploads folder goes, nothing half-written stays

    def start_thread(self) -> threading.Thread:
        t = self.thread = threading.Thread(target=self.serve, daemon=True)
        t.start()
        while not self.server.started and t.is_alive():
            threading.Event().wait(0.02)
        return t

    def stop(self, wait: float = 60.0) -> None:
        """Stop as Ctrl-C does: renders in progress leave no file, the uploads folder goes."""
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(wait)
