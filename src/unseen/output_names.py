"""Output names, decided once for a whole batch before any file is cleaned.

The names do not depend on how many processes clean the batch, nor on which file finishes
first: every input's output is fixed here, in the batch's order, from the inputs' names and
sniffed formats alone. Within a batch no two inputs share an output or a plan (``NAME`` of
``NAME.unseen.EXT`` and ``NAME.plan.json`` is unique per folder, compared as a case-blind file
system compares it). With ``-o DIR`` the folders below each folder argument are mirrored.

A name that tells when or with what a file was made (``IMG_20220814_141231``, ``PXL_...``,
``DSC01234``, ``WhatsApp Image 2024-05-01 at 12.00.00``, a bare timestamp, a camera's UUID) is
replaced by a neutral one (``photo-1``, ``video-2``, ``recording-3``: numbered in the batch's
order) unless the names are kept on purpose; ``identifying_name`` says why a name was replaced,
and ``audit`` reports the same reason.
"""
from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .i18n import N_
from .errors import OutputDirError, UnseenError
from .output import MARK
from .pipeline import output_extension
from .pipeline.common import sha256_file
from .plan import PLAN_SUFFIX
from .types import Finding

# --- names that give something away ----------------------------------------------------------

# A name is read as its digits and marks mean, not as they are typed (``_plain``): NFKC turns
# full-width digits, letters, marks and spaces (２０２２－０８－１４, (０１０) from a Chinese, Japanese
# or Korean input method; no-break and ideographic spaces) into plain ones, and joins a Hangul
# name a Mac stored decomposed (통화 녹음); every other script's decimal digits (٢٠٢٢ Arabic, ۲۰۲۲
# Persian, २०२२ Devanagari) become 0-9; every dash (‐ ‑ ‒ – — ―, the minus sign −) becomes '-', and
# so does the Japanese long-vowel mark between two digits (０９０ー１２３４ー５６７８, as Japanese
# input methods type a phone number); invisible marks (the left-to-right marks Windows puts in a
# date it copies, zero-width spaces, soft hyphens) are dropped.
_DASHES = {"\u2212"}  # the minus sign (a maths symbol, not a dash to Unicode); dashes are category Pd
_LONG_VOWEL_DASH = re.compile(r"(?<=\d)\u30fc(?=\d)")


def _plain(name: str) -> str:
    """``name`` as the patterns below read it (see above)."""
    chars = []
    for ch in unicodedata.normalize("NFKC", name):
        if ch.isascii():
            chars.append(ch)
            continue
        category = unicodedata.category(ch)
        if category == "Nd":
            chars.append(str(unicodedata.decimal(ch)))
        elif category == "Pd" or ch in _DASHES:
            chars.append("-")
        elif category != "Cf":
            chars.append(ch)
    return _LONG_VOWEL_DASH.sub("-", "".join(chars))


_YEAR = r"(?:19[89]\d|20[0-4]\d)"
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = r"(?:0[1-9]|[12]\d|3[01])"
_MONTH_OF = r"(?:1[0-2]|0?[1-9])"  # a month or day without its leading zero too
_DAY_OF = r"(?:3[01]|[12]\d|0?[1-9])"
_YY = r"\d\d"
_SEP = r"[-_.]?"  # between a camera's date parts: 20220814, 2022-08-14
# between the parts of a date a person or a phone wrote: a mark with spaces around it or not
# (2022-8-14; 2022. 8. 14., as Korean phones and Windows write a date; 2022:08:14, as a Mac stores
# the 2022/08/14 typed in the Finder)
_MARK = r"\s*[-_.:]\s*"
# A date with a two-digit year is told from a version, chapter or track number by its digits:
# - joined by dots or underscores, each of its three parts has two digits and they make a year,
#   a month and a day in some order (22.08.14, 14.08.22, 08.14.22, 22_08_14); a part of one
#   digit (1.10.12, 3.1.2, iOS 15.6.1), a fourth part (1.22.08.14, 22.08.14.2) or a v before
#   it (v01.02.03) makes a version;
# - with a dot and a space, as Korean phones write a date, a part may have one digit (22. 8. 14.);
# - joined by dashes, a part may have one digit (22-8-14, 14-8-22; in the US order 5-1-24 below).
# Numbers with spaces alone need a four-digit year and a two-digit month and day (2022 08 14):
# 2 8 14, Chapter 12 13, room 101 202 or a score (World Cup 2022 3 1) are counted things.
_ORDERS = ((_YY, _MONTH, _DAY), (_DAY, _MONTH, _YY), (_MONTH, _DAY, _YY))
_SHORT = "|".join(rf"{y}{m}{md}{m}{d}" for m in (r"\.", "_") for y, md, d in _ORDERS)
_SHORT_DASHED = "|".join(rf"{a}-{b}-{c}" for a, b, c in ((_YY, _MONTH_OF, _DAY_OF), (_DAY_OF, _MONTH_OF, _YY)))
_DATE = re.compile(
    rf"(?<!\d){_YEAR}{_SEP}{_MONTH}{_SEP}{_DAY}"
    rf"|(?<!\d){_YEAR}{_MARK}{_MONTH_OF}{_MARK}{_DAY_OF}(?!\d)"
    rf"|(?<!\d){_YEAR}\s+{_MONTH}\s+{_DAY}(?!\d)"
    rf"|(?<!\d)(?<!\d\.)(?:{_DAY_OF}{_MARK}{_MONTH_OF}|{_MONTH_OF}{_MARK}{_DAY_OF}){_MARK}{_YEAR}(?!\d)"
    rf"|(?<!\d)(?:{_DAY}\s+{_MONTH}|{_MONTH}\s+{_DAY})\s+{_YEAR}(?!\d)"
    rf"|(?<![\dvV])(?<!\d\.)(?:{_SHORT})(?!\d|\.\d)"
    rf"|(?<!\d)(?<!\d\.){_YY}\.\s+{_MONTH_OF}\.\s+{_DAY_OF}(?!\d)"
    rf"|(?<![\d-])(?:{_SHORT_DASHED})(?![\d-])"
)
# a time: 141231, 14.12.31, 14h12m31; an hour of one digit only before a mark (오후 2.12.31)
_TIME = re.compile(r"(?<!\d)(?:(?:[01]\d|2[0-3])[-_.:h ]?|\d[-_.:h])[0-5]\d[-_.:m ]?[0-5]\d")
_DATE_TIME = re.compile(rf"(?<!\d){_YEAR}{_SEP}{_MONTH}{_SEP}{_DAY}(?:[-_ T.]|\s*at\s*)?(?:[01]\d|2[0-3])[-_.:h]?[0-5]\d[-_.:m]?[0-5]\d", re.IGNORECASE)
# two-digit years: dash cams (FILE240501-120000F, 240501_120000_001F) and phones' call recorders
_SHORT_DATE_TIME = re.compile(rf"(?<!\d)\d\d{_MONTH}{_DAY}[-_ ]?(?:[01]\d|2[0-3])[0-5]\d[0-5]\d(?!\d)")
# dates in words (Mon_Apr_2013, 1st of May, 2024 May), in the US order with dashes (Movie on
# 5-1-24), in Korean, Chinese or Japanese (2024년 5월 1일, 5월 1일, 2024年5月1日); a month's name
# only as a whole word (not Mario, deck, maybe)
_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])"
_WORD_DATE = re.compile(
    rf"(?<![a-z]){_MONTHS}[-_ .,]*(?:{_DAY_OF}(?:st|nd|rd|th)?|{_YEAR})(?!\d)"
    rf"|(?<!\d){_DAY_OF}(?:st|nd|rd|th)?(?:[-_ .]*of)?[-_ .]*{_MONTHS}"
    rf"|(?<!\d){_YEAR}[-_ .,]*{_MONTHS}"
    rf"|(?<![\d-]){_MONTH_OF}-{_DAY_OF}-(?:\d\d|{_YEAR})(?![\d-])"
    rf"|(?<!\d){_YEAR}\s*[년年]|(?<!\d){_MONTH_OF}\s*[월月]\s*{_DAY_OF}\s*[일日]",
    re.IGNORECASE,
)
# phone numbers: international (+82 10-1234-5678, 0049 170 1234567, +1 (415) 555-2671), Korean
# (010-1234-5678, (02) 123-4567, 01012345678), Chinese mobiles (138 1234 5678) and North American
# ones without +1 (415-555-2671, 415.555.2671, (415) 555-2671: an area code and an exchange never
# start with 0 or 1; one mark twice, or the area code in brackets, as three numbers with spaces
# alone may be anything)
_PHONE = re.compile(
    r"(?<![\d+])(?:\+|00)[1-9](?:[-. ()]*\d){7,14}(?!\d)"
    r"|(?<!\d)\(?0\d{1,2}\)?[-. ]?\d{3,4}[-. ]\d{4}(?!\d)|(?<!\d)01[016789]\d{7,8}(?!\d)"
    r"|(?<!\d)1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"
    r"|(?<![\d+])\([2-9]\d\d\)\s*[2-9]\d\d[-. ]?\d{4}(?!\d)|(?<![\d+])[2-9]\d\d(?P<nanp>[-.])[2-9]\d\d(?P=nanp)\d{4}(?!\d)"
)
# seconds since 1970 (2001-2033), alone or in milliseconds: what apps and messengers name files by
_EPOCH = re.compile(r"(?<!\d)1[0-9]{9}(?:[0-9]{3})?(?!\d)")
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)
_LONG_HEX = re.compile(r"(?<![0-9a-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{16,}(?![0-9a-z])", re.IGNORECASE)
# cameras', phones' and apps' own names: a maker's prefix and a counter, or an app's name
_DEVICE = [
    (re.compile(p, re.IGNORECASE), what)
    for p, what in (
        (r"^(?:IMG|VID|PXL|MVIMG|PANO|BURST|MOV|MVI|AUD|PTT|SAM|CIMG|IMAG|HPIM|PICT|DSCN|DSCF|DSC|_DSC|DJI|GOPR|G[HX]\d\d|WP|_MG|FB_IMG|received|KakaoTalk|LINE|Snapchat|InShot|VN)[ _-]*E?\d{3,}", N_("a camera's, phone's or app's own file name and counter")),
        # (Korean phones: Samsung's recorder says 음성 001, iPhone's Voice Memos 새로운 녹음 2)
        (r"^(?:New )?Recording \d+$|^Voice \d{3,}$|^(?:새로운 )?녹음(?: \d+)?$|^음성 \d{3,}$", N_("a voice recorder's own file name and counter")),
        (r"^(?:Call[ _-]?recording|통화[ _]?녹음|通话录音)", N_("a call recording's own file name (it holds the other person's name or number)")),
        (r"^P\d{7}$", N_("a camera's own file name and counter")),
        (r"(?:^|[-_ ])WA\d{4}(?:$|[-_ ])", N_("WhatsApp's own file name and counter")),
        (r"^WhatsApp[ _-]*(?:Image|Video|Audio|Ptt|Voice)", N_("WhatsApp's own file name")),
        (r"^signal[-_ ]", N_("Signal's own file name")),
        (r"^(?:photo|video|file|voice)_\d+@", N_("Telegram's own file name")),
        (r"^telegram[-_ ]", N_("Telegram's own file name")),
        (r"^Screen[ _-]?(?:shot|Recording|cast)", N_("a screenshot's or screen recording's own file name")),
        (r"^Capture[ _-]d[’' ]?[ée]cran", N_("a screenshot's own file name")),
        (r"^\d{4,}$", N_("a camera's or app's file counter")),
        (r"^\d{3}[A-Z][A-Z0-9_]{4}$", N_("a camera's own folder name (its maker and counter)")),
    )
]


def identifying_name(name: str) -> str | None:
    """Why a file name gives something away (a capture date and time, a device's or app's
    naming), or None. ``name`` is a file name with or without its extension, or a folder's
    name; it is read as its digits and marks mean (``_plain``: full-width or Arabic digits,
    Unicode dashes)."""
    stem = _plain(name)
    for _ in range(2):  # photo.jpg, clip.tar.gz: the stem without one or two short extensions
        head, dot, ext = stem.rpartition(".")
        if dot and head and 1 <= len(ext) <= 5 and ext.isalnum() and not ext.isdigit():
            stem = head
    if _DATE_TIME.search(stem) or _SHORT_DATE_TIME.search(stem) or (_DATE.search(stem) and _TIME.search(_DATE.sub(" ", stem))):
        return N_("the file name holds a capture date and time")
    if _DATE.search(stem) or _WORD_DATE.search(stem):
        return N_("the file name holds a date")
    if _PHONE.search(stem):
        return N_("the file name holds a phone number")
    if _EPOCH.search(stem):
        return N_("the file name holds a timestamp")
    if _UUID.search(stem) or _LONG_HEX.search(stem):
        return N_("the file name holds a unique ID a camera or app gave the file")
    for pattern, what in _DEVICE:
        if pattern.search(stem):
            return N_("the file name is {what}").format(what=what)
    return None


# --- the batch's names -----------------------------------------------------------------------

NEUTRAL = {"image": "photo", "video": "video", "audio": "recording"}


class Target(NamedTuple):
    """What an input becomes: its media kind, the output's extension, whether that is its own."""

    kind: str
    ext: str
    own: bool


@dataclass(frozen=True)
class Input:
    """One file of a batch, and the folder argument it was found under (None: named itself)."""

    path: Path
    root: Path | None = None


def output_folder(item: Input, out_dir: Path | None) -> Path:
    """Beside the input; or, with ``out_dir``, its folders below the folder argument mirrored."""
    if out_dir is None:
        return item.path.parent
    if item.root is None:
        return out_dir
    try:
        rel = item.path.parent.relative_to(item.root)
    except ValueError:
        return out_dir
    return out_dir / rel


def _mirrored(inputs: Sequence[Input], out_dir: Path | None, keep_names: bool) -> list[Path]:
    """Each input's output folder. Below ``out_dir`` a mirrored folder whose name tells a date
    or a device (``2024-05-01 Trip``, ``100MSDCF``... as ``identifying_name`` says) becomes
    ``folder-1``, ``folder-2``... in each parent, in the batch's order, unless ``keep_names``."""
    folders = [output_folder(i, out_dir) for i in inputs]
    if out_dir is None or keep_names:
        return folders
    rels = [f.relative_to(out_dir).parts for f in folders]
    children: dict[tuple[str, ...], list[str]] = {}  # a mirrored folder -> its subfolders, in the batch's order
    for parts in rels:
        for k in range(len(parts)):
            kids = children.setdefault(parts[:k], [])
            if parts[k] not in kids:
                kids.append(parts[k])
    named: dict[tuple[str, ...], Path] = {(): out_dir}
    for parent in sorted(children, key=len):  # a parent is named before its subfolders
        own = {_key(c) for c in children[parent] if not identifying_name(c)}  # claimed first
        n = 1
        for child in children[parent]:
            if identifying_name(child):
                while _key(f"folder-{n}") in own:
                    n += 1
                own.add(_key(f"folder-{n}"))
                named[(*parent, child)] = named[parent] / f"folder-{n}"
            else:
                named[(*parent, child)] = named[parent] / child
    return [named[parts] for parts in rels]


def _key(name: str | Path) -> str:
    """A name as a case-blind, normalising file system (FAT, exFAT, APFS, NTFS) compares it."""
    return unicodedata.normalize("NFC", str(name)).casefold()


def decide(
    inputs: Sequence[Input],
    out_dir: Path | None = None,
    *,
    keep_names: bool = False,
    overwrite: bool = False,
    plans: bool = False,
    others_plans: bool = False,
) -> list[Path | None]:
    """Every input's output path (``NAME.unseen.EXT``), in the batch's order; None where the
    file cannot be opened (its cleaning fails the same way, with no output).

    ``NAME`` is the input's own unless it gives something away (``identifying_name``) and
    ``keep_names`` is off; then ``photo-N``/``video-N``/``recording-N``. Where two inputs want
    one ``NAME`` in one folder, the one whose extension stays wins (then the first), and the
    others get ``NAME-2``, ``NAME-3``... A name made up here (numbered) is never one that exists
    on disk, unless ``overwrite`` (so that a batch run again replaces its own outputs); an
    input's own name that exists is left for the pipeline to refuse (``output exists``).
    ``plans``: an existing ``NAME.plan.json`` takes a made-up name too (``unseen analyse``);
    ``others_plans``: one made for another file does (``clean``, whose ``--update-plan`` writes
    the plan beside the output: the name ``analyse`` gave this very file's plan is taken up)."""
    targets = [_target(i.path) for i in inputs]
    folders = _mirrored(inputs, out_dir, keep_names)
    own = [None if t is None or (not keep_names and identifying_name(i.path.name)) else i.path.stem for i, t in zip(inputs, targets)]
    taken: dict[str, set[str]] = {}  # output folder -> the names (before .unseen) given in it
    stems = _own_names(own, targets, folders, taken)
    if others_plans:  # an own name whose plan is another file's: numbered below (NAME-2), the name left taken
        stems = [None if stem is not None and _others_plan(folders[i] / f"{stem}{PLAN_SUFFIX}", inputs[i].path) else stem for i, stem in enumerate(stems)]
    counters: dict[tuple[str, str], int] = {}  # photo-1, photo-2... video-1: each kind counted per folder
    for i, target in enumerate(targets):  # the rest, in the batch's order
        if stems[i] is not None or target is None:
            continue
        names = taken.setdefault(_key(folders[i]), set())
        wanted = own[i]
        base = wanted if wanted is not None else NEUTRAL[target.kind]  # a second NAME, or a revealing one
        n = 2 if wanted is not None else counters.get((_key(folders[i]), base), 1)
        while _key(f"{base}-{n}") in names or (not overwrite and _on_disk(folders[i], f"{base}-{n}", target.ext, plans)) or (others_plans and _others_plan(folders[i] / f"{base}-{n}{PLAN_SUFFIX}", inputs[i].path)):
            n += 1
        if wanted is None:
            counters[_key(folders[i]), base] = n + 1
        names.add(_key(f"{base}-{n}"))
        stems[i] = f"{base}-{n}"
    return [None if stem is None or t is None else folder / f"{stem}{MARK}{t.ext}" for stem, t, folder in zip(stems, targets, folders)]


def _own_names(own: list[str | None], targets: list[Target | None], folders: list[Path], taken: dict[str, set[str]]) -> list[str | None]:
    """Each input that keeps its own name gets it, unless another took it in the same folder:
    first the inputs whose extension stays (a PNG named photo.png before one named photo.jpg),
    then in the batch's order."""
    stems: list[str | None] = [None] * len(own)
    wanting = [(i, stem, t) for i, (stem, t) in enumerate(zip(own, targets)) if stem is not None and t is not None]
    for i, stem, _ in sorted(wanting, key=lambda w: (not w[2].own, w[0])):
        names = taken.setdefault(_key(folders[i]), set())
        if _key(stem) not in names:
            names.add(_key(stem))
            stems[i] = stem
    return stems


def output_for_plan(src: Path, plan_file: Path, out_dir: Path | None = None, *, keep_names: bool = False, overwrite: bool = False) -> Path | None:
    """The output of ``clean --plan NAME.plan.json``: ``NAME.unseen.EXT`` (the name ``analyse``
    chose for it) beside the input or in ``out_dir``; a plan named any other way, or after a
    revealing name, gets the name a batch of this one file would."""
    name = plan_file.name
    stem = name[: -len(PLAN_SUFFIX)] if name.endswith(PLAN_SUFFIX) else ""
    if stem and MARK not in stem and (keep_names or not identifying_name(stem)):
        target = _target(src)
        if target is not None:
            return (out_dir if out_dir is not None else src.parent) / f"{stem}{MARK}{target.ext}"
    return decide([Input(src)], out_dir, keep_names=keep_names, overwrite=overwrite)[0]


def review_output(src: Path, folder: Path, sha256: str, taken: set[str]) -> Path | None:
    """Where a review of ``src`` publishes (and keeps its plan): the input's own name, or
    ``photo-N``... for a name that gives something away, as ``clean`` names it; a name whose
    plan belongs to another file, or whose output exists with no plan, or that another file of
    this review took (``taken``, updated here), skips to the next number; the name whose plan is
    this very file's (its SHA-256) is taken up again, so a review reopened resumes."""
    target = _target(src)
    if target is None:
        return None
    own = None if identifying_name(src.name) else src.stem
    base = own if own is not None else NEUTRAL[target.kind]
    n = 1
    while True:
        stem = base if own is not None and n == 1 else f"{base}-{n}"
        n += 1
        out = folder / f"{stem}{MARK}{target.ext}"
        if _key(out) in taken:
            continue
        plan = folder / f"{stem}{PLAN_SUFFIX}"
        if plan.exists() and _plan_for(plan) != sha256:
            continue
        if not plan.exists() and out.exists():
            continue  # another file's safe copy, made without a plan: never replaced
        taken.add(_key(out))
        return out


def _plan_for(plan: Path) -> str | None:
    """The SHA-256 of the input a plan file was made for (None: not a readable plan)."""
    import json

    try:
        return str(json.loads(plan.read_text(encoding="utf-8"))["input"]["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _target(path: Path) -> Target | None:
    """What the input becomes, told cheaply; None for a file that cannot be opened."""
    try:
        return Target(*output_extension(path))
    except (UnseenError, OSError):
        return None


def _others_plan(plan: Path, src: Path) -> bool:
    """Whether ``plan`` exists and was made for another file than ``src`` (hashed only then)."""
    if not plan.exists():
        return False
    try:
        return _plan_for(plan) != sha256_file(src)
    except OSError:
        return True


def _on_disk(folder: Path, stem: str, ext: str, plans: bool) -> bool:
    return (folder / f"{stem}{MARK}{ext}").exists() or (plans and (folder / f"{stem}{PLAN_SUFFIX}").exists())


def make_folders(outputs: Iterable[Path | None]) -> None:
    """Create the mirrored folders below ``-o DIR`` before any work starts; one line when one
    cannot be made (a file in the way, no permission)."""
    for folder in sorted({o.parent for o in outputs if o is not None}):
        if folder.is_dir():
            continue
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise OutputDirError(N_("cannot create output folder {path}: {reason}").format(path=folder, reason=e.strerror or e)) from None


def name_finding(path: Path) -> Finding | None:
    """What ``audit`` says of a file whose name gives something away."""
    why = identifying_name(path.name)
    return Finding("name", N_("file name"), N_("{why}: cleaned copies get a neutral name (unless --keep-names)").format(why=why)) if why else None
