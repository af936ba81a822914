"""What the review server holds for each file: its plan and revision, analysis and publishing.

Every change the page sends carries the revision it was made on; a change made on an older
revision (another tab) is refused, so two tabs never silently overwrite each other. The plan is
saved beside where the output will go (``NAME.plan.json``) on every change, and found there again
when the same file is opened later.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from ..api import SKIPPED_HIDDEN, SKIPPED_HIDDEN_FOLDER, SKIPPED_UNFINISHED
from ..errors import UnseenError, one_line
from ..media.probe import require_regular
from ..pipeline.common import sha256_file
from ..plan import Plan, PlanError, load_plan, plan_path


# The detectors are shared by every file of the process and are not safe to run from two threads
# at once (TensorFlow Lite refuses, mid-render): analyses, renders and following a face take turns.
# On two cores nothing would be gained by overlapping them anyway.
HEAVY = threading.Lock()


class Stale(Exception):
    """A change made on a revision that is no longer the file's."""


class Stopping(Exception):
    """Raised from a render's progress callback when the server stops: the render leaves no file."""


def output_stem(path: Path) -> str:
    return path.name.rsplit(".", 1)[0] if "." in path.name.lstrip(".") else path.name


def probe_kind(path: Path) -> str | None:
    """image, video or audio at a glance (the page shows a video's first frame while it is analysed)."""
    try:
        from PIL import Image

        with Image.open(path):
            return "image"
    except Exception:  # noqa: BLE001 - not a picture Pillow reads: ask FFmpeg
        pass
    try:
        import av

        with av.open(str(path), metadata_errors="ignore") as c:
            return "video" if c.streams.video and c.streams.video[0].frames != 1 else ("audio" if c.streams.audio else None)
    except Exception:  # noqa: BLE001
        return None


def picture_count(path: Path) -> int:
    """How many pictures clean reads from a still: a TIFF's pages, an animation's frames (as
    media.still decodes them: an MPO's second picture or a HEIC's others are not among them);
    1 when unknown (the analysis says what is wrong)."""
    try:
        from ..media.probe import probe
        from ..media.still import STILL, pictures_decoded

        fmt = probe(path).format
        with STILL.open(path, fmt) as im:
            return pictures_decoded(im, fmt)
    except Exception:  # noqa: BLE001 - probe_kind read it; a count it cannot give is one picture
        return 1


def _fits_canvas(path: Path, plan: Plan) -> bool:
    """Whether a still's plan lies on its pictures' extent (releases before this one gave a TIFF's
    plan its first page's size, which clean now refuses)."""
    from ..media.probe import probe
    from ..media.still import STILL

    return STILL.decode(path, probe(path).format).canvas == (plan.input.width, plan.input.height)



@dataclass
class Job:
    """A publish in progress or done."""

    state: str = "idle"  # idle | running | done | failed
    n: int = 0  # which publish of this file this is (the page tells a new result from the last)
    stage: str = ""
    done: int = 0
    total: int | None = None
    started: float = 0.0
    output: str | None = None
    error: str | None = None
    added: list[dict[str, Any]] = field(default_factory=list)
    rev: int | None = None  # the plan's revision the copy holds: a later one is not in it
    bare: int = 0  # masks and tracks a person switched off: left visible in the copy on purpose
    warnings: list[str] = field(default_factory=list)  # the render's own, in English (translated when sent)

    def to_json(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started if self.started else 0.0
        rate = self.done / elapsed if elapsed > 0 and self.done else None
        left = (self.total - self.done) / rate if rate and self.total else None
        return {"n": self.n, "state": self.state, "stage": self.stage, "done": self.done, "total": self.total, "rate": rate, "left": left,
                "output": self.output, "error": self.error, "added": self.added, "rev": self.rev, "bare": self.bare, "warnings": self.warnings}


@dataclass
class _Run:
    """Revisions a save made on an earlier one may still replace (see replace_plan): each since
    ``start`` came from one page's saves (``client``; None while only a publish came) or from a
    publish that added masks (``added``: the revision it made and the ids it added)."""

    client: str | None
    start: int
    seq: int  # the page's last save's number
    rev: int  # the run's last revision: any other change ends the run
    added: tuple[tuple[int, frozenset[str]], ...] = ()


class ReviewFile:
    """One input: where its output and plan go, its plan, and the jobs running on it."""

    def __init__(self, file_id: str, path: Path, out_dir: Path, *, uploaded: bool = False, taken: set[str] | None = None, sha: str | None = None, hashed: bool = False) -> None:
        """``hashed``: the caller hashed the file already, ``sha`` its SHA-256 (None: it could
        not be read; see file_sha)."""
        from ..output_names import review_output

        self.id = file_id
        self.path = path
        self.name = path.name
        self.out_dir = out_dir
        self.uploaded = uploaded
        # hashed once: naming, resuming and the plan check
        self.sha: str | None = sha if hashed else file_sha(path)
        # named as clean names it (no date, time or device of the input's name), never another
        # file's: a plan made for another file, or a safe copy with no plan, is left alone
        try:
            self.output = review_output(path, out_dir, self.sha, taken if taken is not None else set()) if self.sha else None
        except (OSError, UnseenError):
            self.output = None
        self.plan_file = plan_path(self.output if self.output is not None else out_dir / f"{output_stem(path)}.unseen{path.suffix}")
        self.plan: Plan | None = None
        self.rev = 0
        self.state = "new"  # new | analysing | ready | failed
        self.error: str | None = None
        self.resumed = False
        self.progress: dict[str, Any] | None = None
        self.kind: str | None = None
        self.pictures = 1  # a still's pages or animation frames (the page steps through them)
        self.save_error: str | None = None
        self.audit: dict[str, Any] | None = None
        self.job = Job()
        self._run: _Run | None = None  # see replace_plan
        self.lock = threading.RLock()

    # --- analysis ---------------------------------------------------------------------------
    def analyse(self) -> None:
        """Resume from the saved plan when it was made for this very file, else analyse afresh."""
        from .. import analyse

        with self.lock:
            self.state = "analysing"
        try:
            require_regular(self.path)
            self.kind = probe_kind(self.path)
            if self.kind == "image":
                self.pictures = picture_count(self.path)
            sha = self.sha or sha256_file(self.path)
            plan = None
            if self.plan_file.is_file():
                try:
                    plan = load_plan(self.plan_file, sha)
                    self.resumed = True
                except PlanError:
                    plan = None  # a plan for another file of the same name, or damaged: start again
                if plan is not None and self.pictures > 1 and not _fits_canvas(self.path, plan):
                    plan, self.resumed = None, False  # an earlier release's plan of a TIFF: page 1's size
            if plan is None:
                with HEAVY:
                    plan = analyse(self.path, on_progress=self._analysing)
                self._save(plan)
            with self.lock:
                self.plan, self.rev, self.state = plan, self.rev + 1, "ready"
        except Exception as e:  # noqa: BLE001 - every failure becomes the one line the page shows
            with self.lock:
                self.state, self.error = "failed", one_line(e)

    def _analysing(self, stage: str, done: int, total: int | None) -> None:
        self.progress = {"stage": stage, "done": done, "total": total}

    def run_audit(self) -> None:
        from .. import audit

        try:
            r = audit([self.path], faces=False)[0]
            findings = [{"category": f.category, "name": f.name, "value": f.value, "identifying": f.identifying} for f in r.findings]
            self.audit = {"format": r.format, "kind": r.kind, "findings": findings, "error": r.error}
        except Exception as e:  # noqa: BLE001
            self.audit = {"findings": [], "error": one_line(e)}

    # --- changes ----------------------------------------------------------------------------
    def _save(self, plan: Plan) -> None:
        """Save the plan; where it cannot be (a read-only card or folder), the review goes on
        with the plan in memory and the page says the edits are not kept."""
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            plan.save(self.plan_file)
            self.save_error = None
        except OSError as e:
            self.save_error = e.strerror or one_line(e)

    def replace_plan(self, rev: int, data: Any, client: str | None = None, seq: int = 0) -> tuple[int, dict[str, Any] | None]:
        """The page's edited plan, on the revision it was made on; returns the new revision, and
        the plan as saved where it is not the one sent (the page lays its later edits over it).

        A page sends its whole plan each time, so a save a page (``client``) sent while its
        earlier ones were on their way (a quick second edit, a reload, a hidden tab: the page
        had not yet heard the new revision) holds their edits: while every revision since the
        one it was made on came from that page's saves, it replaces them rather than being
        refused as another tab's. ``seq`` numbers a page's saves: an older one arriving last
        changes nothing. A publish ending meanwhile only adds what its final check found: a save
        made before it is taken too, with those masks added (refused, the page had thrown the
        edit away as another tab's, and the poll had already taken it off the page)."""
        plan = Plan.from_json(data)
        with self.lock:
            if self.plan is None:
                raise Stale
            run = self._current_run()
            ours = run is not None and run.client in (None, client)
            if rev != self.rev:
                if not (run is not None and ours and run.start <= rev < self.rev):
                    raise Stale
                if run.client is not None and seq <= run.seq:
                    return self.rev, self.plan.to_json()
            if plan.input.sha256 != self.plan.input.sha256:
                raise PlanError("plan: made for another file")
            missing = {i for at, ids in (run.added if run is not None and ours else ()) if at > rev for i in ids}
            if missing:
                plan = _with_added_from(plan, self.plan, missing.__contains__, keep_ids=True)
            self._save(plan)
            self.plan, self.rev = plan, self.rev + 1
            if client:
                self._run = _Run(client, run.start, max(seq, run.seq), self.rev, run.added) if run is not None and ours else _Run(client, rev, seq, self.rev)
            else:
                self._run = None
            return self.rev, plan.to_json() if missing else None

    def _current_run(self) -> _Run | None:
        return self._run if self._run is not None and self._run.rev == self.rev else None

    def change(self, rev: int, edit: Callable[[Plan], Any]) -> Any:
        """Apply ``edit`` to a copy of the plan at revision ``rev`` and save it."""
        with self.lock:
            if self.plan is None or rev != self.rev:
                raise Stale
            plan = Plan.from_json(self.plan.to_json())
        with HEAVY:  # following a face runs the detector, and may take a while: the file's lock is not held
            result = edit(plan)
        plan = Plan.from_json(plan.to_json())  # checked as a plan file is: no edit saves one that cannot be read back
        with self.lock:
            if rev != self.rev:
                raise Stale
            self._save(plan)
            self.plan, self.rev = plan, self.rev + 1
        return result

    # --- publishing -------------------------------------------------------------------------
    def start_publish(self, rev: int, start: Callable[[Callable[[], None]], None], stopping: threading.Event) -> None:
        """Render the plan as it stands at revision ``rev`` (one render at a time)."""
        with self.lock:
            if self.plan is None or rev != self.rev:
                raise Stale
            if self.job.state == "running":
                return
            plan = Plan.from_json(self.plan.to_json())
            self.job = job = Job("running", n=self.job.n + 1, started=time.monotonic())
        start(lambda: self._publish(plan, job, stopping, rev))

    def _publish(self, plan: Plan, job: Job, stopping: threading.Event, rev: int) -> None:
        from .. import render

        before = {r.id for r in plan.regions} | {t.id for t in plan.tracks}

        def progress(stage: str, done: int, total: int | None) -> None:
            if stopping.is_set():
                raise Stopping("the review was closed before the file was finished; no output was written")
            job.stage, job.done, job.total = stage, done, total

        try:
            job.stage = "waiting"
            with HEAVY:
                result = render(self.path, plan, out_dir=self.out_dir, output=self.output, overwrite=True, on_progress=progress)
            if getattr(result, "error", None) or not getattr(result, "output", None):
                job.state, job.error = "failed", result.error or "no output"
                return
            # what the person switched off is bare in the copy: the page says so in its own words
            # (the render's warning about it speaks of `audit`, a command this person never runs)
            job.bare = sum(1 for r in plan.regions if not r.on and not r.uncertain) + sum(1 for t in plan.tracks if not t.on)
            job.warnings = [w for w in getattr(result, "warnings", []) if not (job.bare and "(switched off by a person)" in w)]
            after: Plan | None = getattr(result, "plan", None)
            if after is not None:
                job.added = [r.to_json() for r in after.regions if r.id not in before] + [dict(t.to_json(), boxes=[]) | {"frames": [t.first, t.last]} for t in after.tracks if t.id not in before]
                with self.lock:
                    edited = self.rev != rev and self.plan is not None
                    if edited:
                        # the person edited while it rendered: their plan stands, with what
                        # verification added (replacing it threw the newer edits away); the copy
                        # holds the plan as it was, and the page says the edits are not in it
                        after = _with_added_from(self.plan, after, lambda i: i not in before)
                    had = {r.id for r in self.plan.regions} | {t.id for t in self.plan.tracks} if self.plan is not None else before
                    added = frozenset({r.id for r in after.regions} | {t.id for t in after.tracks}) - had
                    run = self._current_run()
                    self._save(after)
                    self.plan, self.rev = after, self.rev + 1
                    job.rev = rev if edited else self.rev
                    # a save on its way, made before these additions, is no other tab's (replace_plan)
                    self._run = replace(run, rev=self.rev, added=run.added + ((self.rev, added),)) if run else _Run(None, self.rev - 1, 0, self.rev, ((self.rev, added),))
            job.output = str(result.output)
            job.state = "done"
        except Exception as e:  # noqa: BLE001
            job.state, job.error = "failed", one_line(e)

    @property
    def output_temporary(self) -> bool:
        """The safe copy goes to the review's private uploads folder, removed when it ends (a file
        added from the page, with no output folder named)."""
        return self.uploaded and self.out_dir == self.path.parent

    def to_json(self, with_plan: bool = True) -> dict[str, Any]:
        with self.lock:
            d: dict[str, Any] = {"id": self.id, "name": self.name, "state": self.state, "error": self.error, "rev": self.rev,
                                 "uploaded": self.uploaded, "output_temporary": self.output_temporary, "progress": self.progress, "save_error": self.save_error, "resumed": self.resumed, "plan_file": str(self.plan_file),
                                 "kind": self.plan.input.kind if self.plan else self.kind, "job": self.job.to_json(), "audit": self.audit, "pictures": self.pictures}
            if with_plan and self.plan is not None:
                d["plan"] = self.plan.to_json()
            return d


def _with_added_from(plan: Plan, released: Plan, taken: Callable[[str], bool], keep_ids: bool = False) -> Plan:
    """``plan`` with the regions and tracks of ``released`` whose ids are ``taken`` (what
    verification added), under ids of their own in ``plan`` (``keep_ids``: their own where
    ``plan`` has no such id)."""
    out = Plan.from_json(plan.to_json())
    for kind in ("regions", "tracks"):
        for x in getattr(released, kind):
            if taken(x.id):
                own = keep_ids and x.id not in {r.id for r in out.regions} | {t.id for t in out.tracks}
                getattr(out, kind).append(replace(x, id=x.id if own else out.new_id(x.id.rstrip("0123456789") or "v")))
    return out


# What a folder walk passed over that the page lists, by the kind the page words it as: not an
# earlier review's outputs and plans (a folder reviewed twice would list every one of them)
LISTED_SKIPS = {SKIPPED_HIDDEN: "hidden", SKIPPED_HIDDEN_FOLDER: "hidden folder", SKIPPED_UNFINISHED: "unfinished"}


class Session:
    """Every file of one ``unseen review``, and the private folder uploads go to."""

    def __init__(self, out_dir: Path | None = None, skipped: list[tuple[Path, str]] | None = None) -> None:
        self.out_dir = out_dir
        self.files: dict[str, ReviewFile] = {}
        self.skipped = list(skipped or [])  # what a folder walk passed over, and why (English, as data)
        self._names: set[str] = set()  # outputs this review's files publish to (see review_output)
        self.stopping = threading.Event()
        self._uploads: Path | None = None
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    @property
    def uploads(self) -> Path:
        """A private folder (0700) for files added from the page; removed when the review ends."""
        with self._lock:
            if self._uploads is None:
                self._uploads = Path(tempfile.mkdtemp(prefix="unseen-review-"))
                os.chmod(self._uploads, 0o700)
            return self._uploads

    def add(self, path: Path, *, uploaded: bool = False) -> ReviewFile:
        path = path.resolve()
        with self._lock:
            for f in self.files.values():
                if f.path == path:
                    return f
        # hashed outside the lock: seconds for a large video, while uploads and lists go on
        sha = file_sha(path)
        with self._lock:
            for f in self.files.values():
                if f.path == path:  # added meanwhile
                    return f
            file_id = f"f{len(self.files) + 1}"
            out_dir = self.out_dir or path.parent
            rf = ReviewFile(file_id, path, out_dir, uploaded=uploaded, taken=self._names, sha=sha, hashed=True)
            self.files[file_id] = rf
        self.start(rf.analyse)
        self.start(rf.run_audit)
        return rf

    def listed(self) -> list[ReviewFile]:
        """The files, as they stand (an upload adds one from a worker thread meanwhile)."""
        with self._lock:
            return list(self.files.values())

    def opened_after_all(self, f: ReviewFile) -> None:
        """A file the walk passed over, added from the page (as its entry says to do) under its
        name without the dot: no longer listed as not opened. Hashed outside the lock."""
        if f.sha is None:
            return
        with self._lock:
            named = [p for p, _ in self.skipped if p.name.lstrip(".") == f.name]
        same = {p for p in named if p.is_file() and _same_file(p, f.sha)}
        with self._lock:
            self.skipped = [(p, why) for p, why in self.skipped if p not in same]

    def start(self, target: Callable[[], None]) -> None:
        t = threading.Thread(target=target, daemon=True)
        self._threads.append(t)
        t.start()

    def close(self, wait: float = 30.0) -> None:
        """Stop renders (they leave no file), wait for them, remove the uploads folder."""
        self.stopping.set()
        deadline = time.monotonic() + wait
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if self._uploads is not None:
            shutil.rmtree(self._uploads, ignore_errors=True)


def file_sha(path: Path) -> str | None:
    """The file's SHA-256, or None where it is not a regular file or cannot be read (the
    analysis then says why)."""
    try:
        require_regular(path)  # a named pipe would block the hash, and the review with it
        return sha256_file(path)
    except (OSError, UnseenError):
        return None


def _same_file(p: Path, sha: str) -> bool:
    try:
        return sha256_file(p) == sha
    except OSError:
        return False
