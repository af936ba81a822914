"""Where outputs go, and how they appear: a temporary name first, the final name only after
verification, never over an existing file unless asked."""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import platform
import re
import tempfile
from pathlib import Path
from typing import Iterator

from .i18n import N_
from .errors import OutputDirError, OutputError
from .signals import checkpoint, removed_if_stopped, signals_held

MARK = ".unseen"
_NO_HARDLINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV, errno.ENOSYS}
TMP_PREFIX = ".unseen-tmp-"
# .unseen-tmp-HOST-PID-RANDOM.EXT: whose the file is, so that a later run can tell one left by a
# process killed outright (SIGKILL, out of memory, power cut) from one still being written
_TMP_NAME = re.compile(r"\.unseen-tmp-([0-9a-f]{8})-([0-9]+)-[a-z0-9_]+(\.[A-Za-z0-9]+)?")


def _host() -> str:
    """A tag for this machine: a PID means nothing to another host sharing the folder."""
    return hashlib.sha256(platform.node().encode()).hexdigest()[:8]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process, or the system cannot tell: assume alive
        return True
    return True


_SWEPT: set[Path] = set()  # folders already swept by this process


def sweep_stale(folder: Path, again: bool = False) -> list[Path]:
    """Remove this machine's unseen temporary files in ``folder`` whose process is gone; never
    another host's, a running process's (a reused PID keeps a file, which is the safe side),
    or a file named any other way. Once per folder and process, unless ``again``."""
    key = folder.resolve()
    if (key in _SWEPT and not again) or os.name != "posix":
        return []
    _SWEPT.add(key)
    removed: list[Path] = []
    host = _host()
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for e in entries:
            m = _TMP_NAME.fullmatch(e.name)
            if m is None or m.group(1) != host or _alive(int(m.group(2))) or not e.is_file(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                os.unlink(e.path)
                removed.append(Path(e.path))
    return removed


def is_output_name(path: Path) -> bool:
    return MARK in path.suffixes or path.name.startswith(TMP_PREFIX)


def output_path(src: Path, out_dir: Path | None, ext: str, same_family_exts: tuple[str, ...] = (), decided: Path | None = None) -> Path:
    """The output's path: ``decided`` for the whole batch (see output_names), its extension
    made ``ext`` unless it already names the output's format; otherwise (one file rendered on
    its own) ``NAME.unseen.EXT`` beside the input or in ``out_dir``, keeping the input's
    extension when it names the output format (``.jpeg`` stays ``.jpeg``)."""
    if decided is not None:
        return decided if decided.suffix.lower() in same_family_exts else decided.with_suffix(ext)
    folder = out_dir if out_dir is not None else src.parent
    if src.suffix.lower() in same_family_exts:
        return folder / f"{src.stem}{MARK}{src.suffix}"
    return folder / f"{src.stem}{MARK}{ext}"


def check_dir(folder: Path) -> None:
    if not folder.exists():
        raise OutputDirError(N_("output directory does not exist: {path}").format(path=folder))
    if not folder.is_dir():
        raise OutputDirError(N_("output path is not a directory: {path}").format(path=folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputDirError(N_("output directory is not writable: {path}").format(path=folder))


def ensure_dir(folder: Path) -> None:
    """``-o DIR``: created when missing (with its parents), then checked as check_dir does."""
    if not folder.exists() and not folder.is_symlink():
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise OutputDirError(N_("cannot create output folder {path}: {reason}").format(path=folder, reason=e.strerror or e)) from None
    check_dir(folder)


@contextlib.contextmanager
def staged(final: Path) -> Iterator[Path]:
    """A temporary file beside ``final``, named as this process's own; removed on any exit that
    did not publish it (and by a later run if this process is killed outright)."""
    check_dir(final.parent)
    sweep_stale(final.parent)
    # registered from its creation (a stop in between would leave it) until it is gone
    with contextlib.ExitStack() as registered:
        with signals_held():
            try:
                fd, name = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{_host()}-{os.getpid()}-", suffix=final.suffix, dir=final.parent)
            except OSError as e:
                raise OutputError(N_("cannot create a file in {path}: {reason}").format(path=final.parent, reason=e.strerror)) from None
            os.close(fd)
            tmp = Path(name)
            registered.enter_context(removed_if_stopped(tmp))
        try:
            yield tmp
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def publish(tmp: Path, final: Path, overwrite: bool) -> None:
    """Move the verified file into place atomically; without ``overwrite`` never clobber."""
    checkpoint()  # a stopped command publishes nothing, even where its stop was swallowed
    os.chmod(tmp, 0o644)
    try:
        if overwrite:
            os.replace(tmp, final)
        else:
            try:
                os.link(tmp, final)  # fails if final exists, even if it appeared meanwhile
                tmp.unlink()
            except FileExistsError:
                raise
            except OSError as e:
                if e.errno not in _NO_HARDLINKS:
                    raise
                # FAT/exFAT sticks and some network shares have no hard links: check, then rename
                if final.exists():
                    raise FileExistsError(str(final)) from None
                os.replace(tmp, final)
    except FileExistsError:
        raise OutputError(N_("output exists: {path} (use --overwrite)").format(path=final)) from None
    except OSError as e:
        raise OutputError(N_("cannot write {path}: {reason}").format(path=final, reason=e.strerror)) from None
