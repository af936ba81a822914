"""Catalogue of every string a person reads, in Korean and English (gettext .po files, read by
Babel at run time: no compile step at install).

The message ids are the English text. ``gettext``/``ngettext`` translate for the locale the
environment names (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as gettext looks them up);
``strings(lang)`` gives the review page its whole catalogue as one mapping.
"""
from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

DOMAIN = "unseen"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "ko")
DEFAULT = "en"


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def catalog(lang: str) -> Catalog:
    """The parsed catalogue of ``lang`` (one of LANGUAGES)."""
    from babel.messages.pofile import read_po  # imported when first needed: the pipelines import N_

    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def normalise(tag: str | None) -> str:
    """A language tag or locale name (``ko_KR.UTF-8``, ``ko-KR``, ``en``) -> one of LANGUAGES."""
    if tag:
        base = tag.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
        if base in LANGUAGES:
            return base
    return DEFAULT


def from_accept_language(header: str | None) -> str:
    """The first language of an Accept-Language header that has a catalogue (quality order)."""
    tags: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        name, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if name and q > 0:
            tags.append((-q, i, name))
    for _, _, name in sorted(tags):
        base = name.replace("-", "_").split("_")[0].lower()
        if base in LANGUAGES:
            return base
    return DEFAULT


def env_language() -> str:
    """The language the environment asks for, looked up in gettext's order."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            # LANGUAGE may list several (ko:en); the first with a catalogue wins
            for tag in value.split(":"):
                if normalise(tag) != DEFAULT or tag.lower().startswith(("en", "c", "posix")):
                    return normalise(tag)
            return DEFAULT
    return DEFAULT


def translate(msg: str, lang: str) -> str:
    m = catalog(lang).get(msg)
    text = m.string if m is not None else None
    return text if isinstance(text, str) and text else msg


def gettext(msg: str) -> str:
    return translate(msg, env_language())


@lru_cache(maxsize=None)
def _plural_index(lang: str):  # type: ignore[no-untyped-def]
    """The catalogue's Plural-Forms rule as a function of n (gettext's own parser of it)."""
    from gettext import c2py

    return c2py(catalog(lang).plural_expr)


def ngettext(singular: str, plural: str, n: int) -> str:
    m = catalog(env_language()).get(singular)
    if m is not None and isinstance(m.string, (tuple, list)):
        forms = [s for s in m.string]
        idx = _plural_index(env_language())(n) if len(forms) > 1 else 0
        if idx < len(forms) and forms[idx]:
            return forms[idx]
    return singular if n == 1 else plural


def strings(lang: str) -> dict[str, str]:
    """Every message of ``lang``'s catalogue, id -> text (untranslated ones as their id)."""
    out: dict[str, str] = {}
    for m in catalog(lang):
        if not m.id or isinstance(m.id, tuple):
            continue
        out[str(m.id)] = translate(str(m.id), lang)
    return out


# --- the command line ------------------------------------------------------------------------
# Messages made deep in the pipelines (errors, warnings, audit findings) stay English where they
# are made: they are data too (``--json``, ``--report``, the review page's API), and scripts read
# them. ``N_`` marks them for the catalogue; what a person reads is translated where it is shown,
# by ``localize``, which finds the message's template and formats its translation with the same
# values (themselves localised: a reason inside a reason).


class Msg(str):
    """English text made from a catalogue message: a plain ``str`` to everything (JSON, pickling,
    comparison), but known for a message, so a place that also shows a file's own data (the
    audit table's values) translates only these."""

    __slots__ = ()

    def format(self, *args: object, **kwargs: object) -> Msg:  # type: ignore[override]
        return Msg(str.format(self, *args, **kwargs))

    def __add__(self, other: str) -> Msg:  # type: ignore[override]
        return Msg(str.__add__(self, other))


def N_(msg: str) -> Msg:
    """Mark ``msg`` (a catalogue id, with ``{name}`` placeholders) as made in English and shown
    translated: ``N_("output exists: {path} (use --overwrite)").format(path=p)``."""
    return Msg(msg)


# placeholders whose values are messages themselves (a reason inside a reason), translated too;
# any other value (a path, a name, a number, a tag's key) is shown exactly as it is
NAMES = frozenset({"path", "name", "input", "output", "file", "folder", "dir"})  # a file's name may hold anything
NESTED = frozenset({"reason", "problems", "problem", "what", "why", "kind", "plan_kind", "error", "message"})


_FIELD = re.compile(r"\{(\w+)\}")


# a template: its literal pieces around the placeholders, the placeholders' names, its id
Template = tuple[tuple[str, ...], tuple[str, ...], str, int]


@lru_cache(maxsize=None)
def _templates(lang: str) -> tuple[Template, ...]:
    """Every message of ``lang`` with ``{name}`` placeholders, as the literal pieces its English
    text is made of and the names between them, with its count of literal characters; the most
    literal first (the surest match wins)."""
    found = []
    for m in catalog(lang):
        if not m.id or isinstance(m.id, tuple) or not m.string or not _FIELD.search(m.id):
            continue
        pieces = tuple(_FIELD.split(m.id)[0::2])
        names = tuple(_FIELD.findall(m.id))
        found.append((pieces, names, str(m.id), sum(map(len, pieces))))
    found.sort(key=lambda t: -t[3])
    return tuple(found)


def _fill(text: str, pieces: tuple[str, ...], names: tuple[str, ...]) -> dict[str, str] | None:
    """The values that make ``text`` from a template's pieces, or None. In one pass, each
    piece at its first place (no backtracking: a hostile file name cannot make it slow)."""
    first, last = pieces[0], pieces[-1]
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return None
    pos, end, values = len(first), len(text) - len(last), {}
    for name, piece in zip(names[:-1], pieces[1:-1]):
        at = text.find(piece, pos, end)
        if at < 0:
            return None
        values.setdefault(name, text[pos:at])
        pos = at + len(piece)
    values.setdefault(names[-1], text[pos:end])
    # a number, box or format holds no "; ": such a value spanning one is two messages joined
    # ("... in frame 12 (...); ... in frame 24 (...)" read as one with frame "12 (...); ... 24")
    if any("; " in v for k, v in values.items() if k not in NESTED and k not in NAMES):
        return None
    return values


def localize(text: str, lang: str | None = None, _depth: int = 0) -> str:
    """``text``, an English message of the catalogue (made with ``N_(...).format(...)``), in
    ``lang`` (default: the environment's). Text the catalogue does not know comes back as it is;
    parts joined by ``"; "`` are translated one by one."""
    lang = lang or env_language()
    if lang == DEFAULT or not text or _depth > 4:
        return text
    m = catalog(lang).get(text)
    if m is not None and isinstance(m.string, str) and m.string:
        return m.string
    templates = _templates(lang)
    # a template of a few literal characters ("{reason}: {path}") would swallow any text with a
    # colon: tried only after the parts of a text joined by "; "
    strong = [t for t in templates if t[3] >= _WEAK]
    if (done := _by_template(text, lang, strong, _depth)) is not None:
        return done
    if "; " in text:
        parts = text.split("; ")
        joined = [localize(p, lang, _depth + 1) for p in parts]
        if joined != parts:
            return "; ".join(joined)
    weak = [t for t in templates if t[3] < _WEAK]
    done = _by_template(text, lang, weak, _depth)
    return text if done is None else done


_WEAK = 4


def _by_template(text: str, lang: str, templates: list[Template], depth: int) -> str | None:
    for pieces, names, msgid, _ in templates:
        found = _fill(text, pieces, names)
        if found is not None:
            values = {k: localize(v, lang, depth + 1) if k in NESTED else v for k, v in found.items()}
            try:
                return translate(msgid, lang).format(**values)
            except (KeyError, IndexError, ValueError):
                return text
    return None


@contextlib.contextmanager
def argparse_language() -> Iterator[None]:
    """argparse's own words ("usage:", "error:", "show this help message and exit") from this
    catalogue while a parser is built and used: argparse looks them up in gettext's ``argparse``
    domain, for which no Korean ships."""
    import argparse

    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = gettext  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]
