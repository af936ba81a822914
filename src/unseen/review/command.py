"""``unseen review [PATH...]``: the command line of the review page (kept light: the web stack is
imported only when the command runs)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from ..i18n import gettext as _


def add_parser(sub: argparse._SubParsersAction, named: Callable[[str], str]) -> None:  # type: ignore[type-arg]
    """``named``: the command line's check of a path argument (an empty one is refused)."""
    r = sub.add_parser("review", help=_("open a page in your browser to see, fix and approve every mask before publishing"), description=_("open a page in your browser to see, fix and approve every mask before publishing"))
    r.add_argument("paths", nargs="*", type=lambda text: Path(named(text)), help=_("photos or videos to review (more can be added from the page)"))
    r.add_argument("-o", "--out-dir", type=Path, help=_("write safe copies and plans here instead of beside each input"))
    r.add_argument("--no-browser", action="store_true", help=_("print the page's address instead of opening a browser"))
    r.add_argument("--exit-when-closed", action="store_true", help=_("end the review by itself a few minutes after its page is closed (how the desktop shortcut starts it)"))
    r.add_argument("--shortcut", action="store_true", help=_("put an 'unseen review' icon in the applications menu and on the desktop, so the review opens without a terminal"))


IDLE_EXIT = 180.0  # seconds: longer than a hidden tab's slowest poll (browsers throttle to one a minute)


def gather(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files to review under ``paths``, and what a folder walk passed over that the page
    lists, with the reason (English, as data; see session.LISTED_SKIPS): a review started from
    its icon has no terminal. Everything passed over gets its line on the terminal, as in clean."""
    from ..api import Input, walk
    from ..display import shown, skipped_line
    from .session import LISTED_SKIPS

    files, skipped = [], []
    for item in walk(paths):
        if isinstance(item, Input):
            files.append(item.path)
            continue
        print(shown(skipped_line(item.path, item.reason)), file=sys.stderr, flush=True)
        if item.reason in LISTED_SKIPS:
            skipped.append((item.path, item.reason))
    return files, skipped


def run(args: argparse.Namespace) -> int:
    from .server import ReviewServer

    if args.shortcut:
        from .shortcut import install

        for where in install():
            print(_("shortcut written: {path}").format(path=where), flush=True)
        return 0

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(_("unseen: no such file: {path}").format(path=missing[0]), file=sys.stderr)
        return 2
    files, skipped = gather(args.paths)
    server = ReviewServer(files, args.out_dir, IDLE_EXIT if args.exit_when_closed else None, skipped)
    print(f"unseen review: {server.url}", flush=True)
    if not args.exit_when_closed:
        print(_("Keep this window open while you review; press Ctrl-C here to stop."), flush=True)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(server.url)
    server.serve()
    return 0
