"""A fast slice of the project's own fuzz corpus (tests/fuzz_corpus.py; the whole corpus is
bench/fuzz.py): every case ends cleaned and verified, or refused with one FAILED line and
nothing left behind; never a traceback, never a hang, never a changed input."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fuzz_corpus import GOOD, corpus, fast_slice, run_case

TIMEOUT = 60  # seconds a case may take before it counts as a hang


def test_fuzz_slice(tmp_path: Path) -> None:
    cases = fast_slice(corpus(full=False))
    with ThreadPoolExecutor(2) as pool:  # two at a time: this machine's cores
        outcomes = list(pool.map(lambda ic: run_case(ic[1], tmp_path / f"case{ic[0]}", TIMEOUT), enumerate(cases)))
    bad = [f"{o.case!r}: {o.outcome} {o.detail}" for o in outcomes if o.outcome not in GOOD]
    assert bad == [], "\n".join(bad)
    kinds = {o.outcome for o in outcomes}
    assert kinds == {"cleaned", "refused"}, kinds  # the slice holds both: damage a codec shrugs off, and refusals
