"""`make bench`: the performance figures at scale, one line each, with their targets.

python -m benchmarks [--runs N] [--only KEY ...] [--readme]

Data is generated under benchmarks/.cache/ with a fixed seed on the first run and reused after.
Exits 1 when a target is missed, 0 when all are met.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from . import data, figures, report
from .stats import Figure

FIGURES = ("xlsx", "csv", "kpi", "app")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each import (default 5)")
    parser.add_argument("--baseline-runs", type=int, default=3, help="timed runs of the pandas+openpyxl read (default 3)")
    parser.add_argument("--kpi-runs", type=int, default=10, help="timed calls per filter combination (default 10)")
    parser.add_argument("--reruns", type=int, default=15, help="timed reruns per page (default 15, fewer when slow)")
    parser.add_argument("--only", nargs="+", choices=FIGURES, help="measure only these figures")
    parser.add_argument("--readme", action="store_true", help="also write benchmarks/README_SECTION.md")
    args = parser.parse_args(argv)
    chosen = args.only or FIGURES

    started = time.perf_counter()
    load_before = os.getloadavg()
    print("POP Analytics benchmark — " + report.machine_line() + f"; load average {load_before[0]:.1f}", flush=True)
    generated: list[str] = []

    def log(text: str) -> None:
        generated.append(text)
        print(f"  {text}", flush=True)

    paths = data.ensure(log=log)
    results: list[Figure] = []

    def show(*measured: Figure) -> None:
        for figure in measured:
            results.append(figure)
            print(figure.line(), flush=True)

    if "xlsx" in chosen:
        imported = figures.xlsx_import(paths["activities_xlsx"], args.runs)
        show(imported)
        baseline = figures.pandas_baseline(paths["activities_xlsx"], args.baseline_runs)
        show(baseline, figures.speedup(imported, baseline))
    if "csv" in chosen:
        show(figures.csv_import(paths["activities_csv"], args.runs))
    if "kpi" in chosen:
        show(*figures.kpi_object(paths["large_db"], args.kpi_runs))
    if "app" in chosen:
        show(*figures.app_process(paths["large_db"], args.reruns))

    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()
    missed = [f.label for f in results if f.passed is False]
    print(f"{len(results)} figures in {elapsed:.0f} s (load average {load_after[0]:.1f} now, {load_after[2]:.1f} over "
          "15 min: other work on the machine slows every figure); "
          + ("all targets met" if not missed else f"{len(missed)} target(s) MISSED: " + "; ".join(missed)))
    record = {"machine": report.machine(), "elapsed_s": elapsed, "figures": [f.as_dict() for f in results],
              "generated": generated,
              "load_average": {"start_1min": load_before[0], "end_1min": load_after[0], "end_15min": load_after[2]}}
    (data.CACHE / "last.json").write_text(json.dumps(record, indent=2, ensure_ascii=False))
    if args.readme:
        path = report.write_section(record)
        print(f"wrote {path}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
