"""`make bench`: the performance figures at scale, one line each, with their targets.

python -m benchmarks [--runs N] [--only KEY ...] [--skip KEY ...] [--readme]

Data is generated under benchmarks/.cache/ with a fixed seed on the first run and reused after;
the `big` figures also build a 10M-row database there, once (`--skip big` leaves them out).
Exits 1 when a target is missed, 0 when all are met.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from pop_analytics import demo
from pop_analytics.database import Database

from . import data, figures, report
from .stats import Figure

FIGURES = ("xlsx", "fuzzy", "csv", "kpi", "api", "report", "app", "cli", "two", "filters", "browser", "big",
           "huge", "postgres", "notify")
CHOICES_HELP = ("measure only these figures: xlsx, fuzzy (values written other ways) and csv (imports), kpi (KPI "
                "object), api (the API's /kpis over HTTP, warm and after a data change, beside the KPI object), "
                "report (the KPI report, demo and 1M rows), app (page reruns at 1M rows and on the demo "
                "data, and memory), cli (a CLI "
                "import seen by an open page), two (two app processes at once), filters "
                "(uncached filter changes), browser (in Chromium against the real server: each page's navigation "
                "and a filter change until settled, demo data and 1M rows, beside a one-line app), "
                "big (KPI, filter changes and memory at 10M rows; its first use "
                "generates ten 1M-row yearly files and builds the 10M database, a few minutes and 1.4 GB), "
                "huge (the KPI object at 100M rows, its p95 against its own at 1M in the same run; its first "
                "use builds the 100M database from the 10M one, about two minutes and 1.2 GB), "
                "postgres (PostgreSQL mode beside the DuckDB file in the same run, on a throwaway cluster: "
                "replica load and memory, a CLI import seen by another process, page reruns and filter changes, "
                "a 100k-row import, sessions held; at 10M rows too with big), notify (a `notify` run, first and "
                "second, 60 municipalities × 24 months × 200 users, against a local SMTP server). Default: all")


def parser() -> argparse.ArgumentParser:
    """The options of `python -m benchmarks` (the README's commands are checked against it)."""
    options = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=5, help="timed runs of each import (default 5)")
    options.add_argument("--baseline-runs", type=int, default=3,
                         help="timed runs of the pandas+openpyxl read (default 3)")
    options.add_argument("--kpi-runs", type=int, default=10, help="timed calls per filter combination (default 10)")
    options.add_argument("--api-runs", type=int, default=5, help="timed /api/v1/kpis requests per filter combination "
                                                                 "(default 5)")
    options.add_argument("--report-runs", type=int, default=3, help="reports built per form and database (default 3)")
    options.add_argument("--reruns", type=int, default=15, help="timed reruns per page (default 15, fewer when slow)")
    options.add_argument("--import-rounds", type=int, default=10,
                         help="CLI imports seen by an open page (default 10)")
    options.add_argument("--import-rows", type=int, default=200, help="rows of each of those files (default 200)")
    options.add_argument("--concurrent-reruns", type=int, default=5,
                         help="reruns per page in each of the two app processes (default 5)")
    options.add_argument("--filter-changes", type=int, default=10,
                         help="uncached filter changes per page (default 10, fewer past --filter-budget-s)")
    options.add_argument("--filter-budget-s", type=float, default=30.0,
                         help="stop a page's filter changes after this many seconds, 3 changes at least (default 30)")
    options.add_argument("--browser-runs", type=int, default=3,
                         help="page loads and filter changes per page in Chromium (default 3)")
    options.add_argument("--big-kpi-runs", type=int, default=5,
                         help="timed KPI calls per filter combination at 10M and 100M rows (default 5)")
    options.add_argument("--sessions", type=int, default=50,
                         help="sessions held at once over two app processes, PostgreSQL figure (default 50)")
    options.add_argument("--only", nargs="+", choices=FIGURES, metavar="KEY", help=CHOICES_HELP)
    options.add_argument("--skip", nargs="+", choices=FIGURES, metavar="KEY", default=[],
                         help="measure all but these figures (e.g. --skip big)")
    options.add_argument("--readme", action="store_true",
                         help="also write the README's Performance section from this run")
    return options


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    chosen = [key for key in args.only or FIGURES if key not in args.skip]

    started = time.perf_counter()
    load_before = os.getloadavg()
    print("POP Analytics benchmark — " + report.machine_line() + f"; load average {load_before[0]:.1f}", flush=True)
    generated: list[str] = []

    def log(text: str) -> None:
        generated.append(text)
        print(f"  {text}", flush=True)

    paths = data.ensure(log=log, big="big" in chosen, huge="huge" in chosen)
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
        show(*figures.xlsx_process(paths["activities_xlsx"], args.runs))
    if "fuzzy" in chosen:
        show(figures.fuzzy_import(paths["fuzzy_xlsx"], args.runs))
    if "csv" in chosen:
        show(figures.csv_import(paths["activities_csv"], args.runs))
    kpi_1m: Figure | None = None
    if "kpi" in chosen:
        kpi_1m, kpi_1m_first = figures.kpi_object(paths["large_db"], args.kpi_runs)
        show(kpi_1m, kpi_1m_first)
    if "api" in chosen:
        show(*figures.api_kpis(paths["large_db"], args.api_runs))
    if "report" in chosen:
        show(*figures.report_build(None, args.report_runs), *figures.report_build(paths["large_db"], args.report_runs))
    if "app" in chosen:
        show(*figures.app_process(paths["large_db"], args.reruns))
        show(*figures.demo_pages(args.reruns))
    if "cli" in chosen:
        show(figures.cli_import_visible(paths["large_db"], args.import_rounds, args.import_rows))
    if "two" in chosen:
        show(*figures.two_app_processes(paths["large_db"], args.concurrent_reruns))
    if "filters" in chosen:
        show(*figures.filter_change(paths["large_db"], args.filter_changes, budget_s=args.filter_budget_s))
    if "browser" in chosen:
        from . import browser  # Playwright and Chromium: only this figure needs them
        with tempfile.TemporaryDirectory(prefix="pop-demo-", dir=data.CACHE) as folder:
            demo_db = Path(folder) / "demo.duckdb"
            demo.load(Database(demo_db))
            show(*browser.measure(demo_db, "demo", args.browser_runs))
        show(*browser.measure(paths["large_db"], "1M", args.browser_runs))
    if "big" in chosen:
        show(*figures.kpi_object(paths["big_db"], args.big_kpi_runs, scale="10M"))
        show(*figures.filter_change(paths["big_db"], args.filter_changes, scale="10M", budget_s=args.filter_budget_s,
                                    timeout_s=1800))
    if "huge" in chosen:
        if kpi_1m is None:  # the growth is measured against the 1M figure of the same run
            kpi_1m = figures.kpi_object(paths["large_db"], args.kpi_runs)[0]
            show(kpi_1m)
        kpi_100m = figures.kpi_object(paths["huge_db"], args.big_kpi_runs, scale="100M")
        show(*kpi_100m, figures.kpi_growth(kpi_100m[0], kpi_1m, "100M"))

    if "postgres" in chosen:
        from . import postgres  # psycopg and a PostgreSQL cluster: only this figure needs them
        show(*postgres.measure(paths, "big" in chosen, args.reruns, args.filter_changes, args.filter_budget_s,
                               args.import_rounds, args.runs, args.sessions, log=log))

    if "notify" in chosen:
        from . import notify  # aiosmtpd: only this figure needs it
        show(*notify.measure())

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
        path = report.write_section(record, tuple(FIGURES))
        print(f"wrote {path}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
