"""Public entry points: ``analyse``, ``render``, ``clean`` and ``audit``. The command line and the
review page are thin layers over these."""
from __future__ import annotations

import multiprocessing
import os
from dataclasses import replace
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple, Sequence

from .i18n import N_
from .audit import audit_file
from .detect.runtime import cpu_count
from .errors import UnseenError, one_line
from .results import AuditResult, CleanResult
from .types import Region
from .media.probe import apple_double
from .output import TMP_PREFIX, is_output_name, sweep_stale
from .output_names import Input, decide, make_folders, name_finding
from .pipeline import analyse_file, clean_file, render_file
from .pipeline.common import Options, ProgressFn
from .plan import PLAN_SUFFIX, Plan, plan_path
from .signals import children_ignore_ctrl_c, worker_setup

Progress = Callable[[CleanResult], None]


def iter_files(paths: Iterable[str | os.PathLike[str]], *, outputs: bool = False) -> Iterator[Path]:
    """Expand directories (recursively, in a stable order); skip hidden files and folders,
    unfinished outputs and unseen's own outputs and plans found while walking (unless
    ``outputs``: audit checks every file, hidden ones too).
    Named files are yielded as given. Links to folders are never walked (a loop, or a path out
    of the folder): they are yielded like files, and refused with one line as everything that
    is not a regular file is."""
    return (item.path for item in iter_inputs(paths, outputs=outputs))


def iter_inputs(paths: Iterable[str | os.PathLike[str]], *, outputs: bool = False) -> Iterator[Input]:
    """As ``iter_files``, each file with the folder argument it was found under (``-o DIR``
    mirrors the folders below it)."""
    return (item for item in walk(paths, outputs=outputs) if isinstance(item, Input))


class Skipped(NamedTuple):
    """A file a folder walk passes over, and why: each gets its line (a file named like an
    output may be one never cleaned, a face in it)."""

    path: Path
    reason: str


SKIPPED_OUTPUT = N_("already an unseen output (name contains .unseen); not cleaning it again")
SKIPPED_PLAN = N_("an unseen plan (name ends in .plan.json), not a picture, video or recording")
SKIPPED_HIDDEN = N_("a hidden file (its name starts with a dot); not cleaning it: name it without the dot, or name it alone, to clean it")
SKIPPED_HIDDEN_FOLDER = N_("a hidden folder (its name starts with a dot); not walked: name it to walk it")
SKIPPED_UNFINISHED = N_("an unseen output not yet verified (a run still writing it, or one that stopped); not cleaning it")
SKIPPED_AGAIN = N_("named more than once (or found again in a folder named too); done once")


def walk(paths: Iterable[str | os.PathLike[str]], *, outputs: bool = False) -> Iterator[Input | Skipped]:
    """As ``iter_inputs``, with what a folder walk passes over as ``Skipped``, in its place:
    hidden files and folders, unfinished outputs and (unless ``outputs``) unseen's outputs and
    plans. A Mac's AppleDouble files (``._IMG_1234.JPG`` beside every photo on a USB stick) are
    not pictures: passed over without a word. ``outputs`` (audit): every file is yielded, hidden
    ones too (they are shared with the folder), and hidden folders are walked. A file reached
    twice (named twice, or named and inside a folder named too) is done once."""
    seen: set[str] = set()

    def once(item: Input) -> Input | Skipped:
        # the same path, however written (its folders' links followed, so "link/.." is where the
        # link leads); a link to a file is a name of its own (a folder of links to photos
        # elsewhere cleans each)
        key = os.path.join(os.path.realpath(os.path.dirname(item.path) or "."), os.path.basename(item.path))
        if key in seen:
            return Skipped(item.path, SKIPPED_AGAIN)
        seen.add(key)
        return item

    for raw in paths:
        if not os.fspath(raw):  # Path("") is the current folder: an unset variable, not a wish
            raise ValueError("an empty path names no file")
        p = Path(raw)
        if p.is_dir() and not p.is_symlink():
            for root, dirs, files in os.walk(p):
                linked = [d for d in dirs if os.path.islink(os.path.join(root, d))]  # os.walk lists these as folders
                hidden = [] if outputs else sorted(d for d in dirs if d.startswith(".") and d not in linked)
                dirs[:] = sorted(d for d in dirs if d not in linked and d not in hidden)
                entries = sorted([(name, False) for name in files + linked] + [(d, True) for d in hidden])
                for name, folder in entries:
                    f = Path(root) / name
                    if folder:
                        yield Skipped(f, SKIPPED_HIDDEN_FOLDER)
                    elif outputs:
                        yield once(Input(f, p))
                    elif name.startswith(TMP_PREFIX):
                        yield Skipped(f, SKIPPED_UNFINISHED)
                    elif name.startswith("."):
                        if not (name.startswith("._") and apple_double(f)):
                            yield Skipped(f, SKIPPED_HIDDEN)
                    elif is_output_name(f) or name.endswith(PLAN_SUFFIX):
                        yield Skipped(f, SKIPPED_OUTPUT if is_output_name(f) else SKIPPED_PLAN)
                    else:
                        yield once(Input(f, p))
        else:
            yield once(Input(p))


# A worker killed outright (the kernel's out-of-memory killer, kill -9) breaks the pool: every
# file not finished by then fails with this, and the batch still ends with one line per file.
KILLED_WORKER = N_("a worker process was stopped (killed, or out of memory) before this file was done; no output written")


def clean(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    fill: str = "solid",
    color: tuple[int, int, int] = (0, 0, 0),
    faces: bool = True,
    regions: dict[str, list[Region]] | None = None,
    overwrite: bool = False,
    grid: int | None = None,
    audio: str | None = None,
    voice: str | None = None,
    crf: int = 18,
    jobs: int | None = None,
    progress: bool = False,
    salvage: bool = False,
    keep_names: bool = False,
    on_result: Progress | None = None,
) -> list[CleanResult]:
    """Clean every file (directories are walked). Never raises for a bad file: each result says
    ``status`` ``ok`` (with ``output``) or ``error`` (with a one-line ``error``, and no output);
    an output or plan found while walking a folder is ``skipped`` (``error`` says why).
    ``jobs``: files cleaned side by side (default: one per CPU core, for batches). ``salvage``:
    a damaged sound file keeps what decodes instead of being refused (the result says what was lost).
    Every output's name is decided before any file is cleaned (see output_names): unique in the
    batch, the folders below a folder argument mirrored in ``out_dir``, and a name that tells a
    date, time or device replaced by a neutral one unless ``keep_names``."""
    opts = Options(Path(out_dir) if out_dir is not None else None, fill, color, faces, regions or {}, overwrite, grid, audio, voice, crf, progress, salvage=salvage)
    if opts.out_dir is not None:
        from .output import ensure_dir

        ensure_dir(opts.out_dir)
    found = list(walk(paths))
    inputs = [i for i in found if isinstance(i, Input)]
    files = [i.path for i in inputs]
    # a made-up name skips one whose plan is there too: --update-plan writes NAME.plan.json
    # beside the output, and another file's plan (from analyse) was overwritten
    outputs = decide(inputs, opts.out_dir, keep_names=keep_names, overwrite=overwrite, others_plans=True)
    if opts.out_dir is not None:
        make_folders(outputs)
    each = [replace(opts, output=out) for out in outputs]
    workers = min(jobs if jobs is not None else cpu_count(), len(files))
    results: list[CleanResult] = []

    def report(result: Callable[[int], CleanResult]) -> None:
        """Each file's result (``result`` of the k-th cleaned) in the walk's order, a skipped
        one's in its place, handed on as it comes."""
        k = 0
        for item in found:
            if isinstance(item, Skipped):
                res = CleanResult(input=str(item.path), status="skipped", error=item.reason)
            else:
                res, k = result(k), k + 1
            results.append(res)
            if on_result:
                on_result(res)

    if workers >= 2 and len(files) >= PARALLEL_MIN_FILES:
        # separate processes, one model thread each (see detect.runtime.cpu_threads)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker) as pool:
            try:
                with children_ignore_ctrl_c():
                    # one bar per file would garble the terminal from several processes: the batch's bar shows
                    futures = [pool.submit(_clean_one, path, replace(o, progress=False)) for path, o in zip(files, each)]

                def result(k: int) -> CleanResult:  # in the order given, as one process would
                    try:
                        return futures[k].result()
                    except BrokenProcessPool:
                        return CleanResult(input=str(files[k]), status="error", error=KILLED_WORKER)

                report(result)
            except BaseException:  # Ctrl-C, SIGTERM, SIGHUP: stop every worker
                _stop_workers(pool)
                # each worker removes its own temporary file as it stops; one whose stop came
                # at a moment it could not (seen once in CI) left it: the workers are gone now
                _sweep(files, outputs)
                raise
        if any(r.error == KILLED_WORKER for r in results):  # its temporary file, now, not next run
            _sweep(files, outputs)
        return results
    report(lambda k: _clean_one(files[k], each[k]))
    return results


PARALLEL_MIN_FILES = 6


def _sweep(files: list[Path], outputs: list[Path | None]) -> None:
    """The temporary files of this batch's finished workers, removed from every output folder."""
    for folder in {(o or p).parent for p, o in zip(files, outputs)}:
        sweep_stale(folder, again=True)


def _init_worker() -> None:
    os.environ["UNSEEN_THREADS"] = "1"
    worker_setup()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel the files not started and SIGTERM the workers: each removes its temporary file and
    exits (see signals.py). The pool keeps no public list of its processes."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)  # shutdown(wait=False) forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join()
    # let the pool's manager thread close its wake-up pipe before the interpreter's exit hook
    # writes to it: on Python 3.11 the two race, and the exit printed "Bad file descriptor"
    # under the one-line "interrupted" (seen once in CI's test_signals)
    if manager is not None:
        manager.join(timeout=10)


def _clean_one(path: Path, opts: Options, plan: Plan | None = None) -> CleanResult:
    """Clean one file (from ``plan`` when given); every failure becomes a result with a one-line error."""
    try:
        if plan is not None:  # checked as a plan file is (an in-memory plan can hold anything)
            plan = Plan.from_json(plan.to_json())
        return clean_file(path, opts) if plan is None else render_file(path, plan, opts)
    except UnseenError as e:
        return CleanResult(input=str(path), status="error", error=one_line(e))
    except MemoryError:
        return CleanResult(input=str(path), status="error", error=N_("out of memory while cleaning"))
    except OSError as e:
        return CleanResult(input=str(path), status="error", error=N_("{reason}: {path}").format(reason=e.strerror or one_line(e), path=e.filename or path))
    except Exception as e:  # noqa: BLE001 - fail closed: a bug still leaves no output, and the batch goes on
        return CleanResult(input=str(path), status="error", error=N_("internal error ({error}); no output written").format(error=f"{type(e).__name__}: {one_line(e)}"))


def analyse(path: str | os.PathLike[str], *, faces: bool = True, regions: list[Region] | None = None, progress: bool = False, on_progress: ProgressFn | None = None) -> Plan:
    """Find what ``render`` would mask in one file, as a plan to look at and edit (see plan.py).
    Raises UnseenError (one line) for a file that cannot be analysed."""
    opts = Options(faces=faces, manual={"*": list(regions or [])}, progress=progress, on_progress=on_progress)
    return analyse_file(Path(path), opts)


def plan_location(src: Path, out_dir: Path | None, *, keep_names: bool = False) -> Path:
    """Where ``analyse`` writes a file's plan when it is analysed on its own: ``NAME.plan.json``
    where its output ``NAME.unseen.EXT`` will go (see output_names)."""
    [out] = decide([Input(src)], out_dir, keep_names=keep_names, plans=True)
    return plan_path(out) if out is not None else (out_dir or src.parent) / f"{src.stem}{PLAN_SUFFIX}"


def analyse_files(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    faces: bool = True,
    regions: dict[str, list[Region]] | None = None,
    overwrite: bool = False,
    progress: bool = False,
    keep_names: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
) -> Iterator[tuple[Path, Plan | None, Path | None, str | None]]:
    """Analyse every file and write its plan; yields (input, plan, plan file, error), one per
    file as it is done. A bad file gets an error and no plan file; nothing else is written.
    Plans are named as ``clean`` names the outputs (``NAME.plan.json`` beside ``NAME.unseen.EXT``).
    An output or plan found while walking a folder is handed to ``on_skip`` in its place."""
    folder = Path(out_dir) if out_dir is not None else None
    if folder is not None:
        from .output import ensure_dir

        ensure_dir(folder)
    found = list(walk(paths))
    inputs = [i for i in found if isinstance(i, Input)]
    decided = decide(inputs, folder, keep_names=keep_names, overwrite=overwrite, plans=True)
    if folder is not None:
        make_folders(decided)
    outputs = iter(decided)
    for item in found:
        if isinstance(item, Skipped):
            if on_skip:
                on_skip(item)
            continue
        path, out = item.path, next(outputs)
        opts = Options(faces=faces, manual=regions or {}, progress=progress)
        where = plan_path(out) if out is not None else (folder or path.parent) / f"{path.stem}{PLAN_SUFFIX}"
        try:
            if where.exists() and not overwrite:
                raise UnseenError(N_("plan exists: {path} (use --overwrite)").format(path=where))
            plan = analyse_file(path, opts)
            plan.save(where)
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # noqa: BLE001 - one line per file, as clean does
            yield path, None, None, _failure(e, path)
            continue
        yield path, plan, where, None


def _failure(e: BaseException, path: Path) -> str:
    """The one line a failed file gets."""
    if isinstance(e, UnseenError):
        return one_line(e)
    if isinstance(e, MemoryError):
        return "out of memory"
    if isinstance(e, OSError):
        return N_("{reason}: {path}").format(reason=e.strerror or one_line(e), path=e.filename or path)
    if isinstance(e, Exception):
        return N_("internal error ({error}); nothing written").format(error=f"{type(e).__name__}: {one_line(e)}")
    raise e


def render(
    path: str | os.PathLike[str],
    plan: Plan,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    output: str | os.PathLike[str] | None = None,
    fill: str = "solid",
    color: tuple[int, int, int] = (0, 0, 0),
    faces: bool = True,
    overwrite: bool = False,
    grid: int | None = None,
    audio: str | None = None,
    voice: str | None = None,
    crf: int = 18,
    salvage: bool = False,
    progress: bool = False,
    on_progress: ProgressFn | None = None,
) -> CleanResult:
    """Render exactly what ``plan`` switches on in ``path``, verify, publish: the result's
    ``plan`` adds what verification still found (``faces=False`` skips that search). Never
    raises for a bad file or plan: the result says ``error``. ``output``: the output's path
    (its extension follows the format written); otherwise ``NAME.unseen.EXT`` beside the input
    or in ``out_dir``. ``on_progress(stage, done, total)`` is called as it goes; an exception
    raised from it stops the render and leaves no file (``status`` error)."""
    opts = Options(Path(out_dir) if out_dir is not None else None, fill, color, faces, {}, overwrite, grid, audio, voice, crf, progress, salvage=salvage, output=Path(output) if output is not None else None, on_progress=on_progress)
    return _clean_one(Path(path), opts, plan)


def audit(paths: Sequence[str | os.PathLike[str]], *, faces: bool = True, progress: bool = False, on_result: Callable[[AuditResult], None] | None = None) -> list[AuditResult]:
    """Report what each file gives away, its name included (see output_names). Never raises
    for a bad file (``error`` is set). ``progress``: a bar on stderr while a video's frames are searched."""
    results = []
    for path in iter_files(paths, outputs=True):
        try:
            res = audit_file(path, faces, progress)
        except UnseenError as e:
            res = AuditResult(input=str(path), error=one_line(e))
        except OSError as e:
            res = AuditResult(input=str(path), error=N_("{reason}: {path}").format(reason=e.strerror or one_line(e), path=e.filename or path))
        except Exception as e:  # noqa: BLE001 - an unreadable file is reported, never a traceback
            res = AuditResult(input=str(path), error=N_("internal error ({error})").format(error=f"{type(e).__name__}: {one_line(e)}"))
        if (res.error is None or res.findings) and (finding := name_finding(path)) is not None:
            res.findings.insert(0, finding)
        results.append(res)
        if on_result:
            on_result(res)
    return results
