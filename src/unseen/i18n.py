"""Catalogue of every string a person reads, in Korean and English (gettext .po files, read by
Babel at run time: no compile step at install).

The message ids are the English text. ``gettext``/``ngettext`` translate for the locale the
environment names (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as gettext looks them up);
``strings(lang)`` gives the review page its whole catalogue as one mapping.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

DOMAIN = "unseen"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "ko")
DEFAULT = "en"


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def catalog(lang: str) -> Catalog:
    """The parsed catalogue of ``lang`` (one of LANGUAGES)."""
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


def ngettext(singular: str, plural: str, n: int) -> str:
    m = catalog(env_language()).get(singular)
    if m is not None and isinstance(m.string, (tuple, list)):
        forms = [s for s in m.string]
        idx = catalog(env_language()).plural_func(n) if len(forms) > 1 else 0
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
