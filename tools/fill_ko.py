"""Put Korean texts from a Python dict file (KO = {...}) into the ko catalogue, keeping the rest."""
import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

po = Path(__file__).resolve().parents[1] / "src/unseen/locale/ko/LC_MESSAGES/unseen.po"
ko = runpy.run_path(sys.argv[1])["KO"]
with po.open("rb") as f:
    cat = read_po(f, locale="ko", domain="unseen")
for m in cat:
    if m.id in ko:
        m.string = ko[m.id]
with po.open("wb") as f:
    write_po(f, cat, width=0, sort_output=False, include_lineno=False)
missing = [m.id for m in cat if m.id and not m.string]
print("untranslated:", missing)
