"""Collect every string a person reads into the catalogue (src/unseen/locale).

    python tools/catalogue.py          # rewrite unseen.pot; add new ids to ko and en (untranslated)
    python tools/catalogue.py --check  # exit 1 when a string is missing or has no Korean

Page strings are the ``data-i18n`` / ``data-i18n-title`` attributes of static/*.html and the
``t("...")`` / ``N_("...")`` calls of static/*.js. Command-line strings are the ``_("...")``,
``gettext("...")``, ``ngettext("...", "...", n)`` and ``N_("...")`` calls of src/unseen/**/*.py
(found in the syntax tree), and argparse's own words (its ``_()``/``ngettext()`` calls, which
unseen routes to this catalogue). Existing translations are kept.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "unseen" / "review" / "static"
LOCALE = ROOT / "src" / "unseen" / "locale"
SRC = ROOT / "src" / "unseen"
CALLS = {"_", "gettext", "ngettext", "N_"}
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


Key = str | tuple[str, str]  # a message, or a plural's (singular, plural)


def _calls(tree: ast.AST) -> list[tuple[Key, int]]:
    """The messages of ``_``/``gettext``/``ngettext``/``N_`` calls with literal ids in ``tree``."""
    out: list[tuple[Key, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "i18n" else None
        if name not in CALLS or not node.args:
            continue
        lits = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name == "ngettext" and len(lits) == 2:
            out.append(((lits[0], lits[1]), node.lineno))
        elif name != "ngettext" and lits and isinstance(node.args[0], ast.Constant):
            out.append((lits[0], node.lineno))
    return out


def code_strings() -> dict[Key, list[tuple[str, int]]]:
    """Every message the Python code marks (command line, errors, warnings), with its places."""
    found: dict[Key, list[tuple[str, int]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "i18n.py":
            continue
        for key, line in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            found.setdefault(key, []).append((path.relative_to(ROOT).as_posix(), line))
    return found


def argparse_strings() -> dict[Key, list[tuple[str, int]]]:
    """argparse's own words ("usage: ", "%(prog)s: error: %(message)s\\n"), from its source."""
    import argparse
    import inspect

    found: dict[Key, list[tuple[str, int]]] = {}
    for key, line in _calls(ast.parse(inspect.getsource(argparse))):
        found.setdefault(key, []).append(("argparse.py (Python)", line))
    return found


def all_strings() -> dict[Key, list[tuple[str, int]]]:
    out: dict[Key, list[tuple[str, int]]] = {}
    for part in (page_strings(), code_strings(), argparse_strings()):
        for key, places in part.items():
            out.setdefault(key, []).extend(places)
    return out


def _id(key: Key) -> str:
    return key[0] if isinstance(key, tuple) else key


def untranslated(cat: Catalog, keys: object) -> list[Key]:
    """The keys with no message, or an empty text (any empty plural form), in ``cat``."""
    bad = []
    for key in keys:  # type: ignore[attr-defined]
        m = cat.get(_id(key))
        text = m.string if m is not None else None
        if not text or (isinstance(text, (tuple, list)) and not all(text)) or isinstance(key, tuple) != isinstance(m.id, tuple):
            bad.append(key)
    return bad


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
    strings = all_strings()
    if "--check" in argv:
        ko = read(LOCALE / "ko" / "LC_MESSAGES" / "unseen.po", "ko")
        bad = untranslated(ko, strings)
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
        ids = {_id(k) for k in strings}
        for s, places in strings.items():
            prev = old.get(_id(s))
            empty = ("", "") if isinstance(s, tuple) else ""
            kept = prev.string if prev is not None and isinstance(prev.string, tuple) == isinstance(s, tuple) else empty
            cat.add(s, kept, locations=places)
        for m in old:  # strings no code uses any more stay (translations are not thrown away)
            if m.id and _id(m.id) not in ids:
                cat.add(m.id, m.string, locations=m.locations)
        write(path, cat)
    print(f"{len(strings)} strings ({len(page_strings())} of the page)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
