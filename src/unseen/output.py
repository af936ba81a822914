"""Where outputs go, and how they appear: a temporary name first, the final name only after
verification, never over an existing file unless asked."""
from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import OutputError

MARK = ".unseen"
_NO_HARDLINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV, errno.ENOSYS}
TMP_PREFIX = ".unseen-tmp-"


def is_output_name(path: Path) -> bool:
    return MARK in path.suffixes or path.name.startswith(TMP_PREFIX)


def output_path(src: Path, out_dir: Path | None, ext: str, same_family_exts: tuple[str, ...] = ()) -> Path:
    """``NAME.unseen.EXT`` beside the input or in ``out_dir``; keeps the input's extension when
    it already names the output format (``.jpeg`` stays ``.jpeg``). When the format changes
    (``clip.mov`` to MP4) and that name was already written in this run by another input of
    the same stem, the input's extension is kept in the name: ``clip.mov.unseen.mp4``."""
    folder = out_dir if out_dir is not None else src.parent
    if src.suffix.lower() in same_family_exts:
        return folder / f"{src.stem}{MARK}{src.suffix}"
    plain = folder / f"{src.stem}{MARK}{ext}"
    if plain.resolve() in _WRITTEN:
        return folder / f"{src.name}{MARK}{ext}"
    return plain


_WRITTEN: set[Path] = set()  # outputs published by this process


def check_dir(folder: Path) -> None:
    if not folder.exists():
        raise OutputError(f"output directory does not exist: {folder}")
    if not folder.is_dir():
        raise OutputError(f"output path is not a directory: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output directory is not writable: {folder}")


@contextlib.contextmanager
def staged(final: Path) -> Iterator[Path]:
    """A temporary file beside ``final``; removed on any exit that did not publish it."""
    check_dir(final.parent)
    try:
        fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=final.suffix, dir=final.parent)
    except OSError as e:
        raise OutputError(f"cannot create a file in {final.parent}: {e.strerror}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def publish(tmp: Path, final: Path, overwrite: bool) -> None:
    """Move the verified file into place atomically; without ``overwrite`` never clobber."""
    _WRITTEN.add(final.resolve())
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
        raise OutputError(f"output exists: {final} (use --overwrite)") from None
    except OSError as e:
        raise OutputError(f"cannot write {final}: {e.strerror}") from None
