"""The ``unseen`` command: parse arguments, call the API, print one line per file.

Exit status: 0 every file done (analyse, clean) / nothing identifying (audit); 1 at least one
file not done (analyse, clean) / something identifying or unreadable (audit); 2 bad usage (a bad
regions file, plan or output folder: errors.UsageError); 128 + the signal's number when stopped
(130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import warnings
from pathlib import Path
from typing import Callable, Sequence

from . import __version__
from .api import Skipped, audit, clean, iter_files, walk
from .display import shown, skipped_line
from .errors import UnseenError, UsageError
from .i18n import N_, Msg, argparse_language, localize, ngettext
from .i18n import gettext as _
from .mask import FILLS, WEAK_FILLS, WEAK_WARNING
from .results import AuditResult, CleanResult
from .names import item_count
from .plan import Plan, load_plan, plan_path
from .signals import Interrupted, exit_status, stops_handled

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# the words of the audit table that are data in --json (a finding's category, a file's kind)
# the operating system's reasons (strerror is English whatever the locale), shown inside our lines
_OS_REASONS = (N_("Permission denied"), N_("No such file or directory"), N_("No space left on device"), N_("Read-only file system"), N_("Is a directory"), N_("Not a directory"), N_("File name too long"), N_("Too many levels of symbolic links"), N_("Disk quota exceeded"), N_("Input/output error"), N_("File exists"), N_("Operation not permitted"))
_TABLE_WORDS = (N_("location"), N_("time"), N_("device"), N_("software"), N_("owner"), N_("hidden-picture"), N_("voice"), N_("other"), N_("trailer"), N_("name"), N_("face"), N_("image"), N_("video"), N_("audio"), N_("plan"), N_("metadata file"), N_("PNG custom text field"))


def _color(text: str) -> tuple[int, int, int]:
    t = text.strip().lstrip("#")
    named = {"black": "000000", "white": "ffffff", "gray": "808080", "grey": "808080"}
    t = named.get(t.lower(), t)
    try:
        if "," in t:
            r, g, b = (int(v) for v in t.split(","))
        else:
            r, g, b = int(t[0:2], 16), int(t[2:4], 16), int(t[4:6], 16)
            if len(t) != 6:
                raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(_("bad colour {text}: use black, #rrggbb or r,g,b").format(text=repr(text))) from None
    if not all(0 <= v <= 255 for v in (r, g, b)):
        raise argparse.ArgumentTypeError(_("bad colour {text}: components must be 0-255").format(text=repr(text)))
    return r, g, b


def _whole(option: str, lo: int, hi: int) -> Callable[[str], int]:
    """An option's whole number within [lo, hi] (``--grid 0`` divided by zero deep inside)."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = lo - 1
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(_("{field} must be a whole number from {lo} to {hi}").format(field=option, lo=lo, hi=hi))
        return v

    return parse


def named_path(text: str) -> str:
    """A path argument; an empty one (an unset shell variable) would name the current folder
    and clean everything in it."""
    if not text:
        raise argparse.ArgumentTypeError(_("an empty name is no file (is a variable unset?)"))
    return text


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="unseen", description=_("Make photos, videos and recordings safe to share: hide faces, disguise voices, rebuild files without metadata, verify before release. Works offline."))
    p.add_argument("--version", action="version", version=f"unseen {__version__}", help=_("show the version number and exit"))
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("clean", help=_("write cleaned copies (NAME.unseen.EXT); inputs are never modified"), description=_("write cleaned copies (NAME.unseen.EXT); inputs are never modified"))
    c.add_argument("paths", nargs="+", type=named_path, help=_("files or directories (walked recursively)"))
    c.add_argument("-o", "--out-dir", type=Path, help=_("write outputs here instead of beside each input"))
    c.add_argument("--fill", choices=FILLS, default="solid", help=_("how faces are covered (default: solid)"))
    c.add_argument("--color", type=_color, default=None, help=_("solid fill colour: black, #rrggbb or r,g,b (default black)"))
    c.add_argument("--regions", type=Path, help=_("JSON file of extra boxes to mask: [[x0,y0,x1,y1],...] or {\"name.jpg\": [...]}"))
    c.add_argument("--plan", type=Path, help=_("render exactly this plan (written by 'unseen analyse', edited or not) instead of analysing; one input file"))
    c.add_argument("--update-plan", action="store_true", help=_("write the plan as released (with what verification added) back to the --plan file, or beside the output"))
    c.add_argument("--no-faces", action="store_true", help=_("do not look for faces; clean metadata only"))
    c.add_argument("--grid", type=_whole("--grid", 1, 256), default=None, help=_("block grid masks grow to (default: 8 for lossy outputs and video, 16 for noise on WebP, HEIC and AVIF, 1 for lossless outputs)"))
    c.add_argument("--overwrite", action="store_true", help=_("replace an existing output file"))
    c.add_argument("--keep-names", action="store_true", help=_("keep each input's own name in its output's (by default a name holding a date, time, phone number, device or app pattern, such as IMG_20220814_141231 or WhatsApp Image 2024-05-01 at 12.00.00, becomes photo-1, video-2...)"))
    c.add_argument("--audio", choices=("drop", "keep"), default=None, help=_("video: drop the sound (default) or keep it as AAC; with --voice mute it becomes silence of the same length"))
    c.add_argument("--voice", choices=("mute", "disguise", "keep"), default=None, help=_("voices: disguise (default for sound files), mute (the only complete protection; default for video, whose sound is dropped), or keep (warned). With video, disguise and keep keep the sound"))
    c.add_argument("--salvage", action="store_true", help=_("sound: keep what decodes of a damaged (cut or corrupt) file instead of refusing it; the result line says how much was lost"))
    c.add_argument("--crf", type=_whole("--crf", 0, 40), default=18, help=_("video: x264 quality, lower is better (default 18)"))
    c.add_argument("--jobs", "-j", type=_whole("--jobs", 1, 256), default=None, help=_("files cleaned in parallel (default: one per CPU core)"))
    c.add_argument("--report", type=Path, help=_("write a JSON report (hashes, regions, models, checks; never metadata values)"))
    c.add_argument("--json", action="store_true", help=_("print one JSON object per file instead of text"))
    c.add_argument("--quiet", "-q", action="store_true", help=_("print errors only"))

    n = sub.add_parser("analyse", aliases=["analyze"], help=_("find what clean would mask and write it as an editable plan (NAME.plan.json); nothing else is written"), description=_("find what clean would mask and write it as an editable plan (NAME.plan.json); nothing else is written"))
    n.add_argument("paths", nargs="+", type=named_path, help=_("files or directories (walked recursively)"))
    n.add_argument("-o", "--out-dir", type=Path, help=_("write plans here instead of beside each input"))
    n.add_argument("--regions", type=Path, help=_("JSON file of extra boxes to mask (become manual regions of the plan)"))
    n.add_argument("--no-faces", action="store_true", help=_("do not look for faces"))
    n.add_argument("--overwrite", action="store_true", help=_("replace an existing plan file"))
    n.add_argument("--keep-names", action="store_true", help=_("keep each input's own name in its plan's (by default a name holding a date, time, phone number, device or app pattern, such as IMG_20220814_141231 or WhatsApp Image 2024-05-01 at 12.00.00, becomes photo-1, video-2...)"))
    n.add_argument("--json", action="store_true", help=_("print one JSON object per file instead of text"))
    n.add_argument("--quiet", "-q", action="store_true", help=_("print errors only"))

    a = sub.add_parser("audit", help=_("show what files give away (exit 1 when anything identifying is found)"), description=_("show what files give away (exit 1 when anything identifying is found)"))
    a.add_argument("paths", nargs="+", type=named_path, help=_("files or directories"))
    a.add_argument("--no-faces", action="store_true", help=_("do not look for faces"))
    a.add_argument("--json", action="store_true", help=_("print a JSON list instead of tables"))

    from .review.command import add_parser as add_review

    add_review(sub, named_path)
    for parser in (p, *sub.choices.values()):
        parser.formatter_class = _Formatter
    return p


class _Bar:
    """A progress bar on stderr for batches, only when stderr is a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        if enabled and total > 1 and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=_("file"), file=sys.stderr, leave=False)

    def write(self, line: str, err: bool = False) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr if err else sys.stdout)
        else:
            print(line, file=sys.stderr if err else sys.stdout, flush=True)

    def step(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _clean_line(r: CleanResult) -> str:
    """One line per file; names and messages escaped (a name can hold escapes or line breaks)."""
    return shown(_clean_text(r))


def _clean_text(r: CleanResult) -> str:
    # the result's own texts (error, warnings, fallback) stay English in --json; translated here
    if r.status == "skipped":
        return skipped_line(r.input, r.error or "")
    if r.status != "ok":
        return _failed(r.input, r.error or "")
    n = len(r.regions)
    details: list[str] = []
    notes = [localize(w) for w in r.warnings]
    if r.kind == "audio":
        k = item_count(r.metadata_found)
        details.append(ngettext("sound re-encoded, {n} tag dropped", "sound re-encoded, {n} tags dropped", k).format(n=k))
    elif r.kind == "video":
        details.append(ngettext("{n} face track masked", "{n} face tracks masked", n).format(n=n))
    else:
        added = r.verification.added if r.verification else 0  # regions, not rounds; none a plan carried in
        details.append(ngettext("{n} region masked", "{n} regions masked", n).format(n=n))
        if added:
            details.append(ngettext("{n} added by verification", "{n} added by verification", added).format(n=added))
        if r.uncertain:
            k = len(r.uncertain)
            details.append(ngettext("{n} uncertain spot left for a look", "{n} uncertain spots left for a look", k).format(n=k))
        if r.metadata_found:
            k = item_count(r.metadata_found)
            details.append(ngettext("{n} metadata item dropped", "{n} metadata items dropped", k).format(n=k))
        notes += [localize(r.fallback)] if r.fallback else []
    if r.kind in ("image", "video") and not r.models:  # --no-faces: "verified" is of the file, not of faces
        details.append(_("faces not searched"))
    line = _("ok      {input} -> {output} ({details}; verified)").format(input=r.input, output=r.output, details=_(", ").join(details))
    return f"{line} [{'; '.join(notes)}]" if notes else line


def _failed(path: object, reason: str) -> str:
    """The line of a file that got no output: its name and the one-line reason, translated."""
    return _("FAILED  {path}: {reason}").format(path=path, reason=localize(reason))


def _warning(text: str) -> str:
    return _("warning: {message}").format(message=localize(" ".join(text.split())))


def _run_clean(args: argparse.Namespace) -> int:
    if args.fill in WEAK_FILLS:
        print(_warning(WEAK_WARNING), file=sys.stderr)
    if args.color is not None and args.fill != "solid":  # said, not silently dropped
        print(_warning(N_("--color colours the solid fill only; --fill {fill} does not use it").format(fill=args.fill)), file=sys.stderr)
    args.color = args.color or (0, 0, 0)
    if args.voice == "keep":
        from .pipeline.audio import KEEP_WARNING

        print(_warning(KEEP_WARNING), file=sys.stderr)
    # --audio keep's warning is each video's own (its result line says it): a photo keeps no sound
    regions = None
    if args.regions:
        from .pipeline.common import load_regions

        regions = load_regions(args.regions)
    if args.report:
        from .report import check_report_path

        check_report_path(args.report)
    if args.plan is not None:
        return _run_render(args)
    total = sum(1 for _ in walk(args.paths))
    bar = _Bar(total, not args.json and not args.quiet)

    def show(r: CleanResult) -> None:
        if args.json:
            print(json.dumps(r.to_dict()), flush=True)
        elif r.status != "ok":
            bar.write(_clean_line(r), err=True)
        elif not args.quiet:
            bar.write(_clean_line(r))
        bar.step()

    try:
        results = clean(args.paths, args.out_dir, fill=args.fill, color=args.color, faces=not args.no_faces, regions=regions, overwrite=args.overwrite, grid=args.grid, audio=args.audio, voice=args.voice, crf=args.crf, jobs=args.jobs, salvage=args.salvage, keep_names=args.keep_names, progress=sys.stderr.isatty() and not args.json and not args.quiet, on_result=show)
    finally:
        bar.close()
    if args.report:
        from .report import write_report

        write_report(args.report, results)
    if args.update_plan:
        for r in results:
            if r.status == "ok" and r.plan is not None and r.output:
                r.plan.save(plan_path(r.output))
    failed = sum(r.status == "error" for r in results)
    tried = sum(r.status != "skipped" for r in results)
    if not tried:
        print(_("unseen: no files found") if not results else _("unseen: every file found was skipped; nothing done"), file=sys.stderr)
        return EXIT_FAILED
    if failed and not args.json:
        print(ngettext("unseen: {failed} of {total} file not cleaned", "unseen: {failed} of {total} files not cleaned", tried).format(failed=failed, total=tried), file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _run_render(args: argparse.Namespace) -> int:
    """clean --plan: one input, rendered from the plan as it stands."""
    files = list(iter_files(args.paths))
    if len(files) != 1 or args.regions:
        raise UsageError(N_("--plan renders one input file (and takes no --regions: add boxes to the plan)"))
    from .api import render
    from .output import ensure_dir
    from .output_names import output_for_plan
    from .pipeline.common import sha256_file

    # a malformed or hostile plan, or one made for another file: one line, exit 2 (a special
    # file is not read here: the pipeline refuses it)
    try:
        sha = sha256_file(files[0]) if files[0].is_file() else None
    except OSError:  # unreadable: the pipeline refuses it in its one line
        sha = None
    plan = load_plan(args.plan, sha)
    if args.out_dir is not None:
        ensure_dir(args.out_dir)
    output = output_for_plan(files[0], args.plan, args.out_dir, keep_names=args.keep_names, overwrite=args.overwrite)
    res = render(files[0], plan, args.out_dir, output=output, fill=args.fill, color=args.color, faces=not args.no_faces, overwrite=args.overwrite, grid=args.grid, audio=args.audio, voice=args.voice, crf=args.crf, salvage=args.salvage, progress=sys.stderr.isatty() and not args.json and not args.quiet)
    if args.json:
        print(json.dumps(res.to_dict()), flush=True)
    elif res.status != "ok":
        print(_clean_line(res), file=sys.stderr)
    elif not args.quiet:
        print(_clean_line(res))
    if args.report:
        from .report import write_report

        write_report(args.report, [res])
    if args.update_plan and res.status == "ok" and res.plan is not None:
        res.plan.save(args.plan)
    return EXIT_OK if res.status == "ok" else EXIT_FAILED


def _plan_line(path: Path, plan: "Plan | None", where: Path | None, error: str | None) -> str:
    if error is not None:
        return shown(_failed(path, error))
    assert plan is not None and where is not None
    faces = sum(r.on and r.kind == "face" for r in plan.regions)
    manual = sum(r.on and r.kind != "face" for r in plan.regions)
    unsure = len(plan.uncertain)
    tracks = len(plan.tracks)
    what = [ngettext("{n} face track", "{n} face tracks", tracks).format(n=tracks) if plan.input.kind == "video" else ngettext("{n} face", "{n} faces", faces).format(n=faces)]
    if manual:
        what.append(ngettext("{n} manual region", "{n} manual regions", manual).format(n=manual))
    if unsure:
        what.append(ngettext("{n} uncertain spot, switched off", "{n} uncertain spots, switched off", unsure).format(n=unsure))
    if plan.input.kind == "audio":
        what = [_("a sound: nothing to mask; the voice is treated when rendered")]
    return shown(_("planned {input} -> {plan} ({details})").format(input=path, plan=where, details=_(", ").join(what)))


def _run_analyse(args: argparse.Namespace) -> int:
    from .api import analyse_files

    regions = None
    if args.regions:
        from .pipeline.common import load_regions

        regions = load_regions(args.regions)
    failed = 0
    done = 0
    passed: list[Skipped] = []

    def skipped(item: Skipped) -> None:
        passed.append(item)
        if args.json:
            print(json.dumps({"input": str(item.path), "plan": None, "error": None, "skipped": item.reason}), flush=True)
        else:
            print(shown(skipped_line(item.path, item.reason)), file=sys.stderr, flush=True)

    for path, plan, where, error in analyse_files(args.paths, args.out_dir, faces=not args.no_faces, regions=regions, overwrite=args.overwrite, keep_names=args.keep_names, progress=sys.stderr.isatty() and not args.json and not args.quiet, on_skip=skipped):
        done += 1
        failed += error is not None
        if args.json:
            print(json.dumps({"input": str(path), "plan": str(where) if where else None, "error": error, **({"summary": _summary(plan)} if plan else {})}), flush=True)
        elif error is not None:
            print(_plan_line(path, plan, where, error), file=sys.stderr, flush=True)
        elif not args.quiet:
            print(_plan_line(path, plan, where, error), flush=True)
    if not done:
        print(_("unseen: every file found was skipped; nothing done") if passed else _("unseen: no files found"), file=sys.stderr)
        return EXIT_FAILED
    if failed and not args.json:
        print(ngettext("unseen: {failed} of {total} file not analysed", "unseen: {failed} of {total} files not analysed", done).format(failed=failed, total=done), file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _summary(plan: "Plan") -> dict[str, int]:
    return {"regions_on": sum(r.on for r in plan.regions), "uncertain": len(plan.uncertain), "tracks": len(plan.tracks)}


def _audit_table(r: AuditResult) -> str:
    lines = [f"== {shown(r.input)}"]
    if r.error and not r.findings:
        # a reason that says so itself ("cannot read file: ...") is not prefixed with it again
        said = localize(r.error) if r.error.startswith("cannot read") else _("cannot read: {reason}").format(reason=localize(r.error))
        return f"== {shown(r.input)}\n   " + shown(said)
    lines.append(f"   {r.format} {_(r.kind)}" + (f", {r.width}x{r.height}" if r.width else ""))
    if r.error:  # the picture could not be read, its tags could: both are said
        lines.append("   " + _("cannot read the picture, so it was not searched for faces: {reason}").format(reason=shown(localize(r.error))))
    # what follows is said for information; a search cut short ("frames") is no "nothing found"
    elif not any(f.identifying or f.name == "frames" for f in r.findings) and not r.faces:
        if r.kind == "audio":  # a recording has no picture; what it holds can still tell
            lines.append("   " + _("nothing identifying found in the file's data (the sounds in it may still tell places or people)"))
        else:
            lines.append("   " + _("nothing identifying found in the file's data (the picture itself may still show places or people)"))
    for f in r.findings:
        mark = "!" if f.identifying else " "
        # a value is the file's own data (shown as it is) unless unseen wrote it (a Msg: translated)
        value = localize(f.value) if isinstance(f.value, Msg) else f.value
        lines.append(shown(f" {mark} {_pad(_(f.category), 15)} {_pad(localize(f.name), 32)} {value}"))
    if r.faces:
        boxes = ", ".join(f"({x.x0:.0f},{x.y0:.0f})-({x.x1:.0f},{x.y1:.0f})" for x in r.faces[:8])
        more = _(" and {n} more").format(n=len(r.faces) - 8) if len(r.faces) > 8 else ""
        if r.kind == "video":  # one face is found again on every frame checked: count the frames
            k = len({x.source.rsplit(" at ", 1)[-1] for x in r.faces})
            found = ngettext("faces on {n} checked frame", "faces on {n} checked frames", k).format(n=k)
        else:
            found = ngettext("{n} face found", "{n} faces found", len(r.faces)).format(n=len(r.faces))
        lines.append(f" ! {_pad(_('face'), 15)} {_pad(found, 32)} {boxes}{more}")
    if r.uncertain:
        boxes = ", ".join(f"({x.x0:.0f},{x.y0:.0f})-({x.x1:.0f},{x.y1:.0f})" for x in r.uncertain[:8])
        more = _(" and {n} more").format(n=len(r.uncertain) - 8) if len(r.uncertain) > 8 else ""
        spots = ngettext("{n} uncertain spot", "{n} uncertain spots", len(r.uncertain)).format(n=len(r.uncertain))
        lines.append(f"   {_pad(_('uncertain'), 15)} {_pad(spots, 32)} {boxes}{more} " + _("(below the face rule; worth a look)"))
    return "\n".join(lines)


def _cols(text: str) -> int:
    """Terminal columns ``text`` takes (a Korean syllable takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns."""
    return text + " " * max(0, width - _cols(text))


def _wrap(text: str, width: int) -> list[str]:
    """``text``'s words in lines of at most ``width`` terminal columns (a longer word alone)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and _cols(line) + 1 + _cols(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


class _Formatter(argparse.HelpFormatter):
    """argparse's layout, wrapped by terminal columns: argparse counts characters, and Korean
    help would run past the edge of the terminal."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return _wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in _wrap(text, max(width - len(indent), 11)))


def _run_audit(args: argparse.Namespace) -> int:
    results = audit(args.paths, faces=not args.no_faces, progress=sys.stderr.isatty() and not args.json, on_result=None if args.json else lambda r: print(_audit_table(r), flush=True))
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    if not results:
        print(_("unseen: no files found"), file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FAILED if any(r.identifying or r.error for r in results) else EXIT_OK


def _run_review(args: argparse.Namespace) -> int:
    from .review.command import run

    return run(args)


def main(argv: Sequence[str] | None = None) -> int:
    with argparse_language():  # argparse's own words ("usage:", "error:") from our catalogue
        args = _parser().parse_args(argv)
    # only unseen's own lines reach the terminal: libraries' warnings about a damaged file (Pillow's
    # "Corrupt EXIF data", "Truncated File Read") would precede its FAILED line as noise
    warnings.simplefilter("ignore")
    # a name no escaping foresaw must still never end the batch with a traceback
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        with stops_handled():  # SIGTERM and SIGHUP stop it as Ctrl-C does
            run = {"clean": _run_clean, "analyse": _run_analyse, "analyze": _run_analyse, "audit": _run_audit, "review": _run_review}[args.command]
            return run(args)
    except KeyboardInterrupt as e:
        if isinstance(e, Interrupted) and e.signum != signal.SIGINT:
            print(_("unseen: interrupted ({signal}); no partial output was left").format(signal=e.args[0]), file=sys.stderr)
        else:
            print(_("unseen: interrupted; no partial output was left"), file=sys.stderr)
        return exit_status(e)
    except UnseenError as e:
        print("unseen: " + shown(localize(" ".join(str(e).split()))), file=sys.stderr)
        return EXIT_USAGE if isinstance(e, UsageError) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
