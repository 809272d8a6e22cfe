"""The figures of `make bench`: each function measures one thing and returns a Figure."""
from __future__ import annotations

import datetime as dt
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from pop_analytics import filters, importing, kpis, store

from .stats import Figure, timed

ROOT = Path(__file__).resolve().parent.parent
# Validation compares dates with today; the generated data ends in 2025, so any later day works.
TODAY = max(dt.date.today(), dt.date(2026, 1, 1))

XLSX_TARGET_S = 2.5
XLSX_SPEEDUP_TARGET = 3.0
CSV_TARGET_S = 5.0
KPI_P95_TARGET_MS = 100.0
PAGE_P95_TARGET_MS = 500.0
MEMORY_TARGET_MB = 1024.0


def _import_once(path: Path, workdir: Path) -> float:
    """Whole-process import (read, validate, store) of one file into a new database."""
    db = workdir / f"import-{os.getpid()}.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    con = store.connect(db)
    try:
        gc.collect()
        seconds, report = timed(lambda: importing.import_path(con, path, who="benchmark", today=TODAY))
        if report.status != "imported":
            raise RuntimeError(f"{path.name}: {report.status}: " + "; ".join(p.message_en for p in report.errors[:5]))
        return seconds
    finally:
        con.close()
        for stale in (db, db.with_suffix(".duckdb.wal")):
            stale.unlink(missing_ok=True)


def _import_figure(key: str, label: str, path: Path, runs: int, target_s: float) -> Figure:
    """Whole-process import of path, runs times, each into a new database."""
    with tempfile.TemporaryDirectory(dir=path.parent) as workdir:
        samples = [_import_once(path, Path(workdir)) for _ in range(runs)]
    figure = Figure(key, label, "s", samples, target=f"<= {target_s} s")
    figure.passed = figure.median <= target_s
    return figure


def xlsx_import(path: Path, runs: int) -> Figure:
    return _import_figure("xlsx_import", "import 100k-row .xlsx (read+validate+store)", path, runs, XLSX_TARGET_S)


def pandas_baseline(path: Path, runs: int) -> Figure:
    import pandas as pd

    samples = []
    for _ in range(runs):
        gc.collect()
        seconds, frame = timed(lambda: pd.read_excel(path, engine="openpyxl", header=None))
        del frame
        samples.append(seconds)
    return Figure("pandas_openpyxl", "same .xlsx: pandas.read_excel(openpyxl) only", "s", samples)


def speedup(imported: Figure, baseline: Figure) -> Figure:
    ratio = baseline.median / imported.median
    figure = Figure("xlsx_speedup", "import vs pandas+openpyxl read (medians)", "x", [ratio],
                    target=f">= {XLSX_SPEEDUP_TARGET:.0f}x")
    figure.passed = ratio >= XLSX_SPEEDUP_TARGET
    return figure


def csv_import(path: Path, runs: int) -> Figure:
    return _import_figure("csv_import", "import 1M-row .csv (read+validate+store)", path, runs, CSV_TARGET_S)


def filter_combinations() -> list[filters.Filters]:
    """Twenty combinations a coordinator or donor would pick, from none to all four filters."""
    r = filters.resolve
    return [
        r(),
        r(municipality="Tiranë"),
        r(municipality="Librazhd"),
        r(municipality="Tiranë,Durrës,Shkodër,Fier,Vlorë"),
        r(municipality="Berat,Kuçovë,Poliçan,Skrapar,Ura Vajgurore,Bulqizë,Dibër,Klos,"
                       "Mat,Krujë,Shijak,Belsh,Cërrik,Gramsh,Librazhd,Peqin"),
        r(year="2025"),
        r(year="2020,2021,2022,2023"),
        r(year="2016,2017,2018,2019,2020,2021,2022,2023,2024,2025"),
        r(theme="water"),
        r(theme="water,roads,transport"),
        r(cycle="2019-2023"),
        r(cycle="2023-2027"),
        r(municipality="Tiranë", year="2024"),
        r(municipality="Korçë", theme="kindergartens"),
        r(year="2023", theme="social_justice"),
        r(cycle="2019-2023", theme="civic_engagement"),
        r(cycle="2023-2027", municipality="Kukës,Pukë,Shkodër"),
        r(municipality="Elbasan", year="2021,2022", theme="local_development", cycle="2019-2023"),
        r(municipality="Pustec", year="2016", theme="transport", cycle="2019-2023"),
        r(municipality="Tiranë,Durrës", year="2024,2025", theme="water,roads", cycle="2023-2027"),
    ]


def kpi_object(db: Path, runs: int) -> tuple[Figure, Figure]:
    """The full KPI object per filter combination on the large database, opened read-only as the app does."""
    con = store.connect(db, read_only=True)
    combos = filter_combinations()
    by_combo: list[list[float]] = []
    try:
        for combo in combos:
            kpis.kpis(con, combo)  # first call per combination warms DuckDB's caches, as the app's first view does
        first = [timed(lambda c=c: kpis.kpis(con, c))[0] * 1000 for c in combos]
        for combo in combos:
            by_combo.append([timed(lambda c=combo: kpis.kpis(con, c))[0] * 1000 for _ in range(runs)])
    finally:
        con.close()
    samples = [s for combo in by_combo for s in combo]
    figure = Figure("kpi", f"KPI object, 1M rows, {len(combos)} filter combos", "ms", samples,
                    target=f"p95 <= {KPI_P95_TARGET_MS:.0f} ms", percentiles=True)
    worst = max(range(len(combos)), key=lambda i: Figure("", "", "ms", by_combo[i]).p95)
    worst_p95 = Figure("", "", "ms", by_combo[worst]).p95
    figure.notes.append(f"slowest combo p95 {worst_p95:,.0f} ms: {json.dumps(combos[worst].as_dict(), ensure_ascii=False)}")
    figure.passed = figure.p95 <= KPI_P95_TARGET_MS and worst_p95 <= KPI_P95_TARGET_MS
    first_figure = Figure("kpi_first", "KPI object, first call per combo", "ms", first, percentiles=True)
    return figure, first_figure


def _pages() -> list[str]:
    """Page scripts the dashboard has now (the dashboard is written alongside this benchmark)."""
    return sorted(str(p.relative_to(ROOT)) for folder in ("app_pages", "pages") for p in (ROOT / folder).glob("*.py")
                  if not p.name.startswith("_"))


def app_process(db: Path, reruns: int, timeout_s: float = 420) -> tuple[Figure, Figure, Figure]:
    """A child process runs the dashboard through AppTest on the large database: page reruns timed
    inside it, and its peak resident memory (VmHWM, checked against RUSAGE_CHILDREN)."""
    pages = _pages()
    env = {**os.environ, "POP_DB": str(db), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "benchmarks.app_probe", "--reruns", str(reruns), *pages]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise RuntimeError(f"the app probe took more than {timeout_s:.0f} s") from None
    # communicate() has reaped the child, so RUSAGE_CHILDREN's high-water mark includes it; that mark
    # covers every child this process ever had, so the probe's own VmHWM is the figure, this a check.
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if process.returncode != 0:
        raise RuntimeError(f"the app probe failed ({process.returncode}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    reruns_ms = [s for page in result["pages"] for s in page["reruns_ms"]]
    first_ms = [page["first_ms"] for page in result["pages"]]
    per_page = "; ".join(f"{Path(p['page']).stem} p50 {Figure('', '', 'ms', p['reruns_ms']).median:,.0f}/"
                         f"p95 {Figure('', '', 'ms', p['reruns_ms']).p95:,.0f}" for p in result["pages"])
    rerun = Figure("page_rerun", f"page rerun via AppTest, 1M rows ({len(result['pages'])} page(s))", "ms", reruns_ms,
                   target=f"p95 <= {PAGE_P95_TARGET_MS:.0f} ms", percentiles=True, notes=[f"per page ms: {per_page}"])
    # Each page is held to the target: pooled reruns would let a slow page (fewer reruns) hide.
    worst = max(result["pages"], key=lambda p: Figure("", "", "ms", p["reruns_ms"]).p95)
    worst_p95 = Figure("", "", "ms", worst["reruns_ms"]).p95
    rerun.notes.insert(0, f"slowest page {Path(worst['page']).stem}: p95 {worst_p95:,.0f} ms")
    rerun.passed = worst_p95 <= PAGE_P95_TARGET_MS
    first = Figure("page_first", "page first run via AppTest (cold)", "ms", first_ms, percentiles=True)
    memory = Figure("app_memory", "app process peak RSS, large db loaded", "MB", [result["peak_rss_mb"]],
                    target=f"<= {MEMORY_TARGET_MB:.0f} MB",
                    notes=[f"VmHWM of the AppTest process; RUSAGE_CHILDREN max {children_mb:,.0f} MB"])
    memory.passed = result["peak_rss_mb"] <= MEMORY_TARGET_MB
    if result.get("exceptions"):
        rerun.notes.append("page exceptions: " + "; ".join(result["exceptions"])[:300])
    return rerun, first, memory
