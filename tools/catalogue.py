"""Collect every string of the review page into the catalogue (src/unseen/locale).

    python tools/catalogue.py          # rewrite unseen.pot; add new ids to ko and en (untranslated)
    python tools/catalogue.py --check  # exit 1 when a page string is missing or has no Korean

Page strings are the ``data-i18n`` / ``data-i18n-title`` attributes of static/*.html and the
``t("...")`` / ``N_("...")`` calls of static/*.js. Existing translations are kept.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "unseen" / "review" / "static"
LOCALE = ROOT / "src" / "unseen" / "locale"
PATTERNS = [re.compile(r'data-i18n(?:-title)?="([^"]+)"'), re.compile(r'\b(?:t|N_)\("((?:[^"\\]|\\.)+)"')]


def page_strings() -> dict[str, list[tuple[str, int]]]:
    """Every page string, with the places it occurs (file, line)."""
    found: dict[str, list[tuple[str, int]]] = {}
    for path in sorted(STATIC.glob("*.*")):
        if path.suffix not in (".html", ".js"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pat in PATTERNS:
                for m in pat.finditer(line):
                    found.setdefault(m.group(1).replace('\\"', '"'), []).append((f"src/unseen/review/static/{path.name}", n))
    return found


def read(path: Path, locale: str | None) -> Catalog:
    if not path.exists():
        return Catalog(locale=locale, domain="unseen", project="unseen")
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain="unseen")


def write(path: Path, cat: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, cat, width=0, omit_header=False, sort_output=False, include_lineno=False)


def main(argv: list[str]) -> int:
    strings = page_strings()
    if "--check" in argv:
        ko = read(LOCALE / "ko" / "LC_MESSAGES" / "unseen.po", "ko")
        bad = [s for s in strings if ko.get(s) is None or not ko.get(s).string]
        for s in bad:
            print(f"no Korean for: {s}")
        return 1 if bad else 0
    pot = Catalog(domain="unseen", project="unseen", header_comment="# The strings of unseen a person reads.\n")
    for s, places in strings.items():
        pot.add(s, locations=places)
    write(LOCALE / "unseen.pot", pot)
    for lang in ("en", "ko"):
        path = LOCALE / lang / "LC_MESSAGES" / "unseen.po"
        old = read(path, lang)
        cat = Catalog(locale=lang, domain="unseen", project="unseen", header_comment=f"# unseen: {'English' if lang == 'en' else 'Korean'} catalogue.\n")
        for s, places in strings.items():
            prev = old.get(s)
            cat.add(s, prev.string if prev is not None else "", locations=places)
        for m in old:  # strings other code (the command line) added stay
            if m.id and m.id not in strings:
                cat.add(m.id, m.string, locations=m.locations)
        write(path, cat)
    print(f"{len(strings)} page strings")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
