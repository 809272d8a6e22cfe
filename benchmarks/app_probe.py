"""Run in a child process by the benchmark: the dashboard through AppTest on $POP_DB.

Prints one JSON line, with the process's peak RSS (VmHWM from /proc/self/status) at the end. Four
modes:

- reruns (the default): per page the first run and the reruns in ms. A page's reruns stop at
  --reruns, or once they have taken --budget-s (three at least), so that a slow page cannot hold
  `make bench` past its time.
- --filter-changes N: per page the first run, then N reruns each after setting the shared filters
  to a year and municipality never set before in this process, so no query of that rerun is
  cached (same budget rule).
- --sessions N: N sessions at once (an AppTest each), every one rerun --reruns times in turn.
- --cli-import ROUNDS: the overview page, run twice so its caches are warm; then per round a small
  activities CSV (benchmarks.data.small_activities) is stored by a real CLI process,
  `python -m pop_analytics --db $POP_DB import FILE`, and the next rerun is timed: the page sees
  the new data version, forgets its caches and queries again. The Events tile is read before and
  after, to check the new rows are counted; a second rerun shows the warm time for comparison.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _timed_run(app: AppTest) -> float:
    started = time.perf_counter()
    app.run()
    return (time.perf_counter() - started) * 1000


def _exceptions(app: AppTest, page: str | None) -> list[str]:
    return [f"{page}: {e.value}" for e in app.exception]


def _open(app: AppTest, page: str | None) -> float:
    """Switch to page (None: stay) and run it; the first run's time in ms."""
    started = time.perf_counter()
    if page is not None:
        app.switch_page(page)
    app.run()
    return (time.perf_counter() - started) * 1000


def reruns(app: AppTest, pages: list[str | None], count: int, budget_s: float) -> dict:
    results, exceptions = [], []
    for page in pages:
        first = _open(app, page)
        times: list[float] = []
        while len(times) < count and (len(times) < 3 or sum(times) / 1000 < budget_s):
            times.append(_timed_run(app))
        exceptions += _exceptions(app, page)
        results.append({"page": page or "dashboard.py", "first_ms": first, "reruns_ms": times})
    return {"pages": results, "exceptions": exceptions}


def _combinations(years: list[int], municipalities: list[str]):
    """(year, municipality) pairs, each once, consecutive ones differing in both: pair i is year
    i mod len(years) and municipality step·i mod len(municipalities)."""
    step = next(s for s in (7, 11, 13, 17, 1) if len(municipalities) % s)
    seen = set()
    for i in range(2 * len(years) * len(municipalities)):
        pair = (years[i % len(years)], municipalities[(i * step) % len(municipalities)])
        if pair not in seen:
            seen.add(pair)
            yield pair


def filter_changes(app: AppTest, pages: list[str | None], count: int, budget_s: float) -> dict:
    results, exceptions = [], []
    combos = None
    used = 0
    for page in pages:
        first = _open(app, page)
        if not [w for w in app.multiselect if w.key == "filter_year"]:
            continue  # a page without the shared filters (Your account, Users, …)
        if combos is None:
            years = list(app.multiselect(key="filter_year").options)
            municipalities = list(app.multiselect(key="filter_municipality").options)
            combos = _combinations([int(y) for y in years], municipalities)
        times: list[float] = []
        chosen = []
        while len(times) < count and (len(times) < 3 or sum(times) / 1000 < budget_s):
            pair = next(combos, None)
            if pair is None:
                break
            year, municipality = pair
            used += 1
            app.multiselect(key="filter_year").set_value([year])
            app.multiselect(key="filter_municipality").set_value([municipality])
            times.append(_timed_run(app))
            chosen.append(f"{municipality} {year}")
            if app.exception:
                break
        exceptions += _exceptions(app, page)
        results.append({"page": page or "dashboard.py", "first_ms": first, "changes_ms": times, "filters": chosen})
    return {"pages": results, "exceptions": exceptions, "combinations": used}


def _events_tile(app: AppTest) -> int | None:
    from pop_analytics.i18n import t

    labels = {t("kpi.events", lang) for lang in ("sq", "en")}
    for metric in app.metric:
        if metric.label in labels:
            digits = re.sub(r"\D", "", str(metric.value))
            return int(digits) if digits else None
    return None


def cli_import(app: AppTest, page: str | None, rounds: int, rows: int) -> dict:
    from benchmarks import data

    db = os.environ["POP_DB"]
    if page is not None:
        app.switch_page(page)
    app.run()
    warm = [_timed_run(app)]  # already run once: this rerun is served from the caches
    results = []
    exceptions = _exceptions(app, page)
    with tempfile.TemporaryDirectory(prefix="cli-import-", dir=None if "://" in db else Path(db).parent) as folder:
        for number in range(rounds):
            before = _events_tile(app)
            path = Path(folder) / f"aktivitetet_raund_{number:03d}.csv"
            added = data.small_activities(path, rows, number)
            started = time.perf_counter()
            cli = subprocess.run([sys.executable, "-m", "pop_analytics", "--db", db, "import", str(path), "--json"],
                                 check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
            cli_s = time.perf_counter() - started
            status = json.loads(cli.stdout)[0]["status"] if cli.returncode == 0 and cli.stdout.strip() else None
            if status != "imported":
                raise RuntimeError(f"CLI import of {path.name} failed ({cli.returncode}, {status}): "
                                   f"{(cli.stderr or cli.stdout)[-2000:]}")
            rerun = _timed_run(app)
            after = _events_tile(app)
            warm.append(_timed_run(app))
            exceptions += _exceptions(app, page)
            results.append({"cli_s": cli_s, "rerun_ms": rerun, "events_before": before, "events_after": after,
                            "events_added": added})
    return {"rounds": results, "warm_ms": warm, "exceptions": exceptions}


def sessions(pages: list[str | None], count: int, reruns_each: int) -> dict:
    """count sessions at once in this process (one AppTest each, as a server holds one script run per
    WebSocket), each opened on a page in turn and rerun reruns_each times, round robin."""
    apps = [AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600) for _ in range(count)]
    exceptions: list[str] = []
    for number, app in enumerate(apps):
        page = pages[number % len(pages)]
        _open(app, page)
        exceptions += _exceptions(app, page)
    times = []
    for _ in range(reruns_each):
        for number, app in enumerate(apps):
            times.append(_timed_run(app))
            exceptions += _exceptions(app, pages[number % len(pages)])
    return {"reruns_ms": times, "sessions": count, "exceptions": exceptions}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--budget-s", type=float, default=30.0, help="stop a page's reruns after this (3 at least)")
    parser.add_argument("--filter-changes", type=int, default=0, help="time this many uncached filter changes per page")
    parser.add_argument("--cli-import", type=int, default=0, help="rounds of a CLI import seen by the next rerun")
    parser.add_argument("--import-rows", type=int, default=200, help="rows of each CLI-imported file")
    parser.add_argument("--sessions", type=int, default=0, help="this many sessions at once, each rerun in turn")
    parser.add_argument("pages", nargs="*")
    args = parser.parse_args()
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    pages: list[str | None] = list(args.pages) or [None]
    if args.sessions:
        result = sessions(pages, args.sessions, args.reruns)
    elif args.cli_import:
        result = cli_import(app, pages[0], args.cli_import, args.import_rows)
    elif args.filter_changes:
        result = filter_changes(app, pages, args.filter_changes, args.budget_s)
    else:
        result = reruns(app, pages, args.reruns, args.budget_s)
    print(json.dumps({**result, "peak_rss_mb": peak_rss_mb(), "pid": os.getpid()}))


if __name__ == "__main__":
    main()
