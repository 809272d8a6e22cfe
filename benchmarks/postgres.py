"""PostgreSQL mode in `make bench` (`--only postgres`): each figure beside the DuckDB file's from the
same run, on a throwaway cluster (benchmarks/cluster.py) holding a copy of the 1M-row database.

- replica load: a fresh process's first read (the replica built from PostgreSQL; for the file, its
  first snapshot) and its resident memory after it, at 1M rows (10M with `big`);
- commit → other process: the next rerun of an open page after a CLI import (the page's process
  catches up with the version row first);
- page reruns and uncached filter changes at 1M rows (target: within 10 % of the file's);
- a 100,000-row workbook imported;
- sessions held: 50 sessions (AppTests) over two app processes at once, rerun latency and memory.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pop_analytics import importing
from pop_analytics.copying import copy_database
from pop_analytics.stores import open_database

from . import figures
from .cluster import Cluster
from .stats import Figure, timed

ROOT = Path(__file__).resolve().parent.parent
WITHIN = 1.10  # PostgreSQL mode's page figures: at most 10 % above the file's


def _first_read(db: str) -> dict:
    """A new process: its first snapshot and KPI object, timed, and its peak memory (VmHWM: getrusage's
    high-water mark would carry this benchmark's own over the exec)."""
    code = ("import json, time; from pop_analytics.stores import open_database; "
            "from pop_analytics import kpis, filters; started = time.perf_counter(); "
            f"db = open_database({db!r}); "
            "snap = db.snapshot(); kpis.kpis(snap.connection(), filters.resolve()); snap.close(); "
            "seconds = time.perf_counter() - started; "
            "from benchmarks.app_probe import peak_rss_mb; "
            "print(json.dumps({'seconds': seconds, 'rss_mb': peak_rss_mb()}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=3600,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pair(key: str, label: str, unit: str, file_samples: list[float], pg_samples: list[float],
          within: float | None = None, percentiles: bool = False, notes: list[str] | None = None) -> list[Figure]:
    file_figure = Figure(f"{key}_file", f"{label}, DuckDB file", unit, file_samples, percentiles=percentiles)
    pg_figure = Figure(f"{key}_pg", f"{label}, PostgreSQL", unit, pg_samples, percentiles=percentiles,
                       notes=list(notes or []))
    measure = (lambda f: f.p95) if percentiles else (lambda f: f.median)
    ratio = measure(pg_figure) / measure(file_figure) if measure(file_figure) else float("inf")
    pg_figure.notes.insert(0, f"{ratio:.2f}× the file's")
    if within is not None:
        pg_figure.target = f"<= {within:.2f}× the file's"
        pg_figure.passed = ratio <= within
    return [file_figure, pg_figure]


def replica_load(file_db: Path, url: str, scale: str, runs: int = 3) -> list[Figure]:
    files = [_first_read(str(file_db)) for _ in range(runs)]
    pgs = [_first_read(url) for _ in range(runs)]
    return [*_pair(f"first_read_{scale.lower()}", f"first read of a new process, {scale} rows (replica load)", "s",
                   [r["seconds"] for r in files], [r["seconds"] for r in pgs]),
            *_pair(f"first_read_memory_{scale.lower()}", f"memory of that process, {scale} rows", "MB",
                   [r["rss_mb"] for r in files], [r["rss_mb"] for r in pgs])]


def pages(file_db: Path, url: str, reruns: int, changes: int, budget_s: float) -> list[Figure]:
    file_rerun, _, _ = figures.app_process(file_db, reruns)
    pg_rerun, _, pg_memory = figures.app_process(url, reruns)  # type: ignore[arg-type]
    file_change, _ = figures.filter_change(file_db, changes, budget_s=budget_s)
    pg_change, _ = figures.filter_change(url, changes, budget_s=budget_s)  # type: ignore[arg-type]
    return [*_pair("page_rerun_1m", "page rerun via AppTest, 1M rows", "ms", file_rerun.samples, pg_rerun.samples,
                   within=WITHIN, percentiles=True, notes=[f"app process peak RSS {pg_memory.samples[0]:,.0f} MB"]),
            *_pair("filter_change_1m", "filter change rerun (uncached), 1M rows", "ms", file_change.samples,
                   pg_change.samples, within=WITHIN, percentiles=True)]


def commit_to_other_process(file_db: Path, url: str, rounds: int) -> list[Figure]:
    file_figure = figures.cli_import_visible(file_db, rounds)
    overview = next(p for p in figures.pages_list() if Path(p).stem == "overview")
    pg = figures.finish_probe(figures.start_probe(url, "--cli-import", str(rounds), overview), 900)  # type: ignore[arg-type]
    samples = [r["rerun_ms"] for r in pg["rounds"]]
    counted = sum(r["events_after"] - r["events_before"] == r["events_added"] for r in pg["rounds"])
    pair = _pair("import_seen_by_other_process", "CLI import → the open page's next rerun, 1M rows", "ms",
                 file_figure.samples, samples, percentiles=True,
                 notes=[f"new rows counted in {counted} of {len(samples)} rounds"])
    pair[1].target, pair[1].passed = "p95 <= 1,000 ms", Figure("", "", "ms", samples).p95 <= 1000 and counted == len(
        samples)
    return pair


def import_100k(xlsx: Path, cluster: Cluster, runs: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(dir=xlsx.parent) as folder:
        file_samples = [figures.import_once(xlsx, Path(folder)) for _ in range(runs)]
    pg_samples = []
    for _ in range(runs):
        url = cluster.create()
        db = open_database(url)
        db.ensure()
        seconds, report = timed(lambda db=db: importing.import_path(db, xlsx, who="benchmark", today=figures.TODAY))
        if report.status != "imported":
            raise RuntimeError(f"{xlsx.name}: {report.status}")
        pg_samples.append(seconds)
        cluster.drop(url)
    return _pair("import_100k", "100,000-row workbook imported", "s", file_samples, pg_samples)


def sessions_held(file_db: Path, url: str, sessions: int, reruns: int) -> list[Figure]:
    def two_processes(db: str) -> list[dict]:
        each = str(sessions // 2)
        started = [figures.start_probe(db, "--sessions", each, "--reruns", str(reruns),  # type: ignore[arg-type]
                                       *figures.pages_list()) for _ in range(2)]
        return [figures.finish_probe(process, 1800) for process in started]

    file_runs, pg_runs = two_processes(str(file_db)), two_processes(url)
    file_ms = [s for r in file_runs for s in r["reruns_ms"]]
    pg_ms = [s for r in pg_runs for s in r["reruns_ms"]]
    label = f"{sessions} sessions over two app processes, 1M rows: rerun"
    return [*_pair("sessions_rerun", label, "ms", file_ms, pg_ms, percentiles=True),
            *_pair("sessions_memory", f"{sessions} sessions over two app processes: peak RSS per process", "MB",
                   [r["peak_rss_mb"] for r in file_runs], [r["peak_rss_mb"] for r in pg_runs])]


def measure(paths: dict[str, Path], big: bool, reruns: int, changes: int, budget_s: float, rounds: int,
            runs: int, sessions: int, log=print) -> list[Figure]:
    cluster = Cluster()
    results: list[Figure] = []
    try:
        url = cluster.create()
        started = time.perf_counter()
        copy_database(str(paths["large_db"]), url)
        log(f"copy-db of the 1M-row database into PostgreSQL: {time.perf_counter() - started:.1f} s")
        results += replica_load(paths["large_db"], url, "1M")
        if big:
            big_url = cluster.create()
            started = time.perf_counter()
            copy_database(str(paths["big_db"]), big_url)
            log(f"copy-db of the 10M-row database into PostgreSQL: {time.perf_counter() - started:.1f} s")
            results += replica_load(paths["big_db"], big_url, "10M", runs=1)
            cluster.drop(big_url)
        results += commit_to_other_process(paths["large_db"], url, rounds)
        results += pages(paths["large_db"], url, reruns, changes, budget_s)
        results += import_100k(paths["activities_xlsx"], cluster, runs)
        results += sessions_held(paths["large_db"], url, sessions, 3)
    finally:
        cluster.close()
    return results
