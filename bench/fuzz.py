"""The whole fuzz corpus (tests/fuzz_corpus.py) through ``unseen clean`` (and ``--audit``:
``unseen audit``), each case alone in a folder, in a process of its own under a timeout.

Reports the count per outcome (good: cleaned / refused; bad: traceback, hang, leftover,
input-changed, noise, bad-exit), the slowest case and the largest peak memory (maximum resident
set of one command), and lists every bad case. Exit status 1 when any case is bad.

    python bench/fuzz.py [--jobs 2] [--timeout 120] [--faces] [--audit] [--results bench/results/fuzz.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fuzz_corpus import GOOD, Outcome, audit_case, corpus, fast_slice, run_case  # noqa: E402

AUDIT_GOOD = ("read", "unreadable")


def summary(outcomes: list[Outcome], good: tuple[str, ...]) -> dict:
    slowest = max(outcomes, key=lambda o: o.seconds)
    biggest = max(outcomes, key=lambda o: o.peak_kib)
    return {
        "cases": len(outcomes),
        "outcomes": dict(Counter(o.outcome for o in outcomes).most_common()),
        "slowest": {"case": slowest.case, "seconds": slowest.seconds, "outcome": slowest.outcome},
        "largest_peak": {"case": biggest.case, "mib": round(biggest.peak_kib / 1024, 1), "outcome": biggest.outcome},
        "median_seconds": sorted(o.seconds for o in outcomes)[len(outcomes) // 2],
        "bad": [asdict(o) for o in outcomes if o.outcome not in good],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2, help="cases run side by side (default 2)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a case counts as a hang")
    ap.add_argument("--faces", action="store_true", help="clean with the face search (default --no-faces)")
    ap.add_argument("--audit", action="store_true", help="also run unseen audit --no-faces on every case")
    ap.add_argument("--slice", action="store_true", help="only the fast slice CI runs")
    ap.add_argument("--results", type=Path, default=Path(__file__).parent / "results" / "fuzz.json")
    ap.add_argument("--work", type=Path, default=None, help="folder for the cases (default: a temporary one)")
    args = ap.parse_args()

    t0 = time.monotonic()
    cases = corpus(full=not args.slice)
    if args.slice:
        cases = fast_slice(cases)
    made = time.monotonic() - t0
    work = args.work or Path(tempfile.mkdtemp(prefix="unseen-fuzz-"))
    extra = () if args.faces else ("--no-faces",)
    print(f"{len(cases)} cases generated in {made:.1f} s; working in {work}", flush=True)

    def clean_one(ic: tuple[int, object]) -> Outcome:
        i, case = ic
        o = run_case(case, work / "clean" / f"{i:04d}", args.timeout, extra)  # type: ignore[arg-type]
        if o.outcome not in GOOD:
            print(f"BAD {o.outcome}: {o.case!r} {o.detail[-300:]}", flush=True)
        return o

    def audit_one(ic: tuple[int, object]) -> Outcome:
        i, case = ic
        o = audit_case(case, work / "audit" / f"{i:04d}", args.timeout)  # type: ignore[arg-type]
        if o.outcome not in AUDIT_GOOD:
            print(f"BAD audit {o.outcome}: {o.case!r} {o.detail[-300:]}", flush=True)
        return o

    t1 = time.monotonic()
    with ThreadPoolExecutor(args.jobs) as pool:
        cleaned = list(pool.map(clean_one, enumerate(cases)))
        report = {"command": " ".join(["python bench/fuzz.py", *sys.argv[1:]]), "clean_args": list(extra), "timeout_s": args.timeout, "jobs": args.jobs,
                  "generate_s": round(made, 1), "clean": summary(cleaned, GOOD), "clean_wall_s": round(time.monotonic() - t1, 1)}
        if args.audit:
            t2 = time.monotonic()
            audited = list(pool.map(audit_one, enumerate(cases)))
            report["audit"] = summary(audited, AUDIT_GOOD)
            report["audit_wall_s"] = round(time.monotonic() - t2, 1)
    report["per_case"] = {o.case: [o.outcome, o.seconds, round(o.peak_kib / 1024)] for o in cleaned}
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=1, ensure_ascii=True) + "\n")
    for part in ("clean", "audit"):
        if part in report:
            r = report[part]
            print(f"{part}: {r['cases']} cases: {r['outcomes']}; slowest {r['slowest']}; largest peak {r['largest_peak']}; median {r['median_seconds']} s")
    bad = len(report["clean"]["bad"]) + len(report.get("audit", {}).get("bad", []))
    print(f"{bad} bad case(s); results in {args.results}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
