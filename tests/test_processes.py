"""Processes sharing one database file, as in real use: a running dashboard, app sessions in other
processes, the command line, a writer killed with SIGKILL half-way, and a database nobody may write.

Everything here is a real process on a real DuckDB file (pop_analytics.database: short read-only
snapshots under a shared flock on `<db>.lock`, one writer at a time under the exclusive one).
The SIGKILL tests use a CSV of 200,000 activity rows from the benchmark's generator (benchmarks.data);
everything else the demo and files of a few rows."""
from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from browser_support import GRID_JS, metric_pairs, start_streamlit, stop
from conftest import ACTIVITY_HEADERS, KPI_FILTER_SETS, TODAY, kpi_state, run_cli, run_cli_process, write_csv
from dashboard_support import number
from nobody import SETPRIV, as_nobody, nobody
from streamlit.testing.v1 import AppTest

from pop_analytics import filters, importing, kpis, present, queries, reference, settings, store
from pop_analytics.database import Database
from pop_analytics.errors import DatabaseBusy
from pop_analytics.i18n import t

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(glob.glob("app_pages/*.py", root_dir=ROOT))
TIMEOUT = 120

# Municipalities the demo has no activities for: each small file below is one municipality-month
# no other import touches, so every import adds its rows and replaces nothing.
OTHER_MUNICIPALITIES = sorted(m.name for m in reference.municipalities()
                              if m.country == "AL" and m.name not in set(reference.pop_municipalities()))

BIG_ROWS = 200_000
BIG_SEED = 20260202


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": "utf-8", **extra}


def cli_command(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pop_analytics", "--db", str(db), *args]


def small_file(directory: Path, index: int) -> tuple[Path, int, int]:
    """A small valid activity file for municipality-month number index: (path, rows, events)."""
    name = OTHER_MUNICIPALITIES[index]
    month = index % 12 + 1
    year = 2024 + index // 12
    rows, events = [ACTIVITY_HEADERS], 0
    for row in range(2 + index % 3):
        count = index % 4 + row + 1
        women, men = 10 + row, 12 + index
        rows.append([f"{year}-{month:02d}-{row + 3:02d}", name, "Fokus grup", count, women + men + 3, women, men, row,
                     "Uji i pijshëm"])
        events += count
    path = write_csv(directory / f"aktivitete_{index:02d}_{year}_{month:02d}.csv", rows)
    return path, len(rows) - 1, events


def activity_totals(db: Path) -> tuple[int, int, int]:
    """Rows (superseded ones too), current rows and current events of the activities table."""
    with Database(db).reading() as con:
        row = con.execute("""SELECT (SELECT count(*) FROM activities), count(*), coalesce(sum(events), 0)
                             FROM current_activities""").fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def history_rows(db: Path) -> list[tuple]:
    with Database(db).reading() as con:
        return con.execute("SELECT id, file_name, rows, state FROM imports ORDER BY id").fetchall()


def as_json(value: object) -> object:
    """What the CLI's --json makes of a value (a missing value, NaN or NaT, is null)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=lambda v: None if pd.isna(v) else str(v)))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ── 1. a running dashboard, a browser on it, and the command line ───────────────────────────

TILES_SHOWN_JS = """(count) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testScriptState === 'notRunning'
    && document.querySelectorAll('[data-testid="stMetric"]').length === count;
}"""


def _overview_tiles(db: Path, lang: str = "en") -> list[tuple[str, str]]:
    """(tile label, value) in the order the overview without filters shows them: each contract
    cycle's priority tiles apart when the view holds two, then the activity tiles, then the reported totals."""
    with Database(db).reading() as con:
        result = queries.overview(con, filters.Filters())
        reported = queries.reported_totals(con, filters.Filters())
    parts = result["cycles"] if len(result["cycles"]) > 1 else [result]
    specs = [spec for part in parts for spec in present.overview_tiles(part, lang)[:4]]
    specs += present.overview_tiles(result, lang)[4:] + present.reported_tiles(reported, lang)
    return [(t(f"kpi.{spec['name']}", lang, **spec.get("label_params", {})), spec["value"]) for spec in specs]


def _shown_tiles(page, count: int) -> list[tuple[str, str]]:
    page.wait_for_function(TILES_SHOWN_JS, arg=count, timeout=60_000, polling=100)
    assert page.locator('[data-testid="stException"]').count() == 0
    return metric_pairs(page)


@pytest.mark.browser
def test_the_cli_reads_imports_and_backs_up_while_the_dashboard_serves_the_file(demo_copy, tmp_path, browser):
    from playwright.sync_api import expect

    db = demo_copy
    before_tiles = _overview_tiles(db)
    before_history = history_rows(db)
    new_file, new_rows, new_events = small_file(tmp_path, 0)
    server, url = start_streamlit(env(POP_DB=str(db)), tmp_path / "streamlit.log")
    try:
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{url}/overview?lang=en")
            assert _shown_tiles(page, len(before_tiles)) == before_tiles  # the app has read the file

            with Database(db).reading() as con:
                expected_kpis = as_json(kpis.with_cycles(con, filters.resolve(year=2020)))
                expected_history = as_json(store.history(con).to_dict(orient="records"))
            read_kpis = run_cli_process("kpis", "--year", "2020", "--json", db=db)
            read_history = run_cli_process("history", "--json", db=db)
            assert (read_kpis.returncode, read_kpis.stderr) == (0, "")
            assert json.loads(read_kpis.stdout) == expected_kpis
            assert (read_history.returncode, read_history.stderr) == (0, "")
            assert json.loads(read_history.stdout) == expected_history
            assert [r["id"] for r in expected_history] == [5, 4, 3, 2, 1]

            imported = run_cli_process("import", str(new_file), "--json", db=db)
            assert (imported.returncode, imported.stderr) == (0, ""), imported.stdout
            [report] = json.loads(imported.stdout)
            assert {k: report[k] for k in ("file", "status", "kind", "rows", "import_id", "errors")} == {
                "file": str(new_file), "status": "imported", "kind": "activities", "rows": new_rows,
                "import_id": 6, "errors": []}
            assert [w["code"] for w in report["warnings"]] == ["cycle_from_date"]

            out = tmp_path / "backups" / "pop-backup.duckdb"
            out.parent.mkdir()
            backup = run_cli_process("backup", str(out), db=db)
            assert (backup.returncode, backup.stderr) == (0, "")
            summary = {"schema_version": store.SCHEMA_VERSION, "imports": 6, "stored_imports": 6,
                       "bytes": out.stat().st_size}
            assert backup.stdout.strip() == t("cli.backup.done", "en", path=out, **summary)
            assert sorted(p.name for p in out.parent.iterdir()) == ["pop-backup.duckdb"]
            copy = store.connect(out, read_only=True)
            try:
                assert copy.execute("SELECT id, file_name, rows, state FROM imports ORDER BY id").fetchall() \
                    == [*before_history, (6, new_file.name, new_rows, "stored")]
                assert copy.execute("SELECT municipality, count(*), sum(events) FROM activities "
                                    "WHERE import_id = 6 GROUP BY 1").fetchall() \
                    == [(OTHER_MUNICIPALITIES[0], new_rows, new_events)]
                with Database(db).reading() as con:
                    assert store.snapshot(copy) == store.snapshot(con)
            finally:
                copy.close()

            after_tiles = _overview_tiles(db)
            events = t("kpi.events", "en")
            assert number(dict(after_tiles)[events]) == number(dict(before_tiles)[events]) + new_events
            page.reload()
            tile = page.locator('[data-testid="stMetric"]').filter(
                has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{events}$")))
            # a loaded machine (CI runs two test workers) may take longer than Playwright's 5 s to rerun
            expect(tile.locator('[data-testid="stMetricValue"]')).to_have_text(dict(after_tiles)[events],
                                                                               timeout=60_000)
            assert _shown_tiles(page, len(after_tiles)) == after_tiles

            page.goto(f"{url}/history?lang=en")
            newest = page.wait_for_function(GRID_JS, arg=t("col.file_name", "en"), timeout=60_000).json_value()[0]
            assert [newest[t(f"col.{key}", "en")] for key in ("id", "file_name", "import_status")] == [
                "6", new_file.name, t("import_status.approved", "en")]
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            context.close()
    finally:
        stop(server)
    assert "Traceback" not in (tmp_path / "streamlit.log").read_text()


# ── 2. two app processes and the CLI at once ────────────────────────────────────────────────

# One app process: an AppTest session that goes through every page until told to stop, then once
# more; what it saw goes to stdout as JSON.
APP_LOOP = r"""
import json, sys, time
from pathlib import Path
from streamlit.testing.v1 import AppTest

ready, stop, events_label = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
pages = sys.argv[4:]
seen = {"passes": 0, "runs": 0, "exceptions": [], "errors": [], "imports": [], "events": []}
at = AppTest.from_file("dashboard.py", default_timeout=120)
at.query_params["lang"] = "en"
at.run()
seen["exceptions"] += [f"start: {e.value}" for e in at.exception]
ready.touch()
while True:
    last = stop.exists()
    for page in pages:
        time.sleep(0.3)  # a reader, not a load generator: the importers and the other test worker need the CPU
        at.switch_page(page).run()
        seen["runs"] += 1
        seen["exceptions"] += [f"{page}: {e.value}" for e in at.exception]
        seen["errors"] += [f"{page}: {e.value}" for e in at.error]
        if page.endswith("history.py"):
            seen["imports"].append(len(at.dataframe[0].value) if at.dataframe else None)
        if page.endswith("overview.py"):
            seen["events"].append(next((m.value for m in at.metric if m.label == events_label), None))
    seen["passes"] += 1
    if last:
        break
print(json.dumps(seen))
sys.exit(1 if seen["exceptions"] else 0)
"""

# The 20 files, imported one round after another: one importer alone, then five at once, then four
# and two (each must succeed: each waits for the writer before it), and last the same file by two
# importers at once (it must be stored once: the second finds it stored when its turn to write comes).
# Few rounds: every process start costs a second of CPU the app processes also want.
ROUNDS = [[0], [1, 2, 3, 4, 5], [6, 7, 8, 9], [10, 11], [12, 13, 14, 15, 16], [17, 18], [19, 19]]


def test_two_app_processes_and_twenty_cli_imports_lose_and_duplicate_nothing(demo_copy, tmp_path):
    db = demo_copy
    before_history = history_rows(db)
    before_rows, before_current, before_events = activity_totals(db)
    files = [small_file(tmp_path, index) for index in range(20)]
    stop = tmp_path / "stop"
    ready = [tmp_path / f"ready_{n}" for n in range(2)]
    apps = [subprocess.Popen([sys.executable, "-c", APP_LOOP, str(ready[n]), str(stop), t("kpi.events", "en"), *PAGES],
                             cwd=ROOT, env=env(POP_DB=str(db)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
            for n in range(2)]
    outputs: list[tuple[str, str]] = []
    try:
        deadline = time.monotonic() + TIMEOUT
        while not all(r.exists() for r in ready):
            assert all(a.poll() is None for a in apps), [a.communicate() for a in apps if a.poll() is not None]
            assert time.monotonic() < deadline, "the app processes did not start"
            time.sleep(0.1)

        reports: dict[int, list[dict]] = {}
        for chosen in ROUNDS:
            importers = [subprocess.Popen(cli_command(db, "import", str(files[i][0]), "--json"), cwd=ROOT, env=env(),
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                         for i in chosen]
            for i, importer in zip(chosen, importers):
                out, err = importer.communicate(timeout=TIMEOUT)
                assert (importer.returncode, err) == (0, ""), out  # neither of a pair is refused
                reports.setdefault(i, []).extend(json.loads(out))
        stop.touch()
        for app in apps:
            outputs.append(app.communicate(timeout=TIMEOUT))
    finally:
        stop.touch()
        for app in apps:
            if app.poll() is None:
                app.kill()
                app.wait()

    assert [[r["status"] for r in reports[i]] for i in range(19)] == [["imported"]] * 19
    assert sorted(r["status"] for r in reports[19]) == ["duplicate", "imported"]
    assert reports[19][0]["import_id"] == reports[19][1]["import_id"]
    import_ids = {i: reports[i][0]["import_id"] for i in range(20)}
    assert sorted(import_ids.values()) == list(range(6, 26))

    listed = run_cli("history", "--json", db=db)
    assert (listed.returncode, listed.stderr) == (0, "")
    history = json.loads(listed.stdout)
    new = [row for row in history if row["id"] > len(before_history)]
    assert len(history) == len(before_history) + 20
    assert sorted((row["file_name"], row["rows"], row["state"]) for row in new) \
        == sorted((path.name, rows, "stored") for path, rows, _ in files)
    assert sorted((row["id"], row["file_name"]) for row in new) \
        == sorted((import_ids[i], files[i][0].name) for i in range(20))

    added_rows, added_events = sum(f[1] for f in files), sum(f[2] for f in files)
    assert activity_totals(db) == (before_rows + added_rows, before_current + added_rows, before_events + added_events)
    with Database(db).reading() as con:
        per_import = con.execute("""SELECT i.file_name, count(*), sum(a.events) FROM activities a
                                    JOIN imports i ON i.id = a.import_id WHERE i.id > ? GROUP BY 1 ORDER BY 1""",
                                 [len(before_history)]).fetchall()
    assert per_import == sorted((path.name, rows, events) for path, rows, events in files)

    final_events = present.number(before_events + added_events, "en")
    for app, (out, err) in zip(apps, outputs):
        assert app.returncode == 0, (out, err)
        seen = json.loads(out.strip().splitlines()[-1])
        assert (seen["exceptions"], seen["errors"]) == ([], [])
        assert seen["passes"] >= 2 and seen["runs"] == seen["passes"] * len(PAGES)
        counts = seen["imports"]
        assert None not in counts and None not in seen["events"], seen
        assert counts == sorted(counts) and counts[-1] == len(before_history) + 20  # never fewer, finally all
        shown = [int(e.replace(",", "")) for e in seen["events"]]
        assert shown == sorted(shown) and seen["events"][-1] == final_events


# ── 3. and 4. SIGKILL in the middle of a large import and of its undo ───────────────────────

def _fingerprint(con) -> dict:
    """The current rows of each data table, counted and hashed (import ids left out)."""
    found = {}
    for table in store.DATA_TABLES:
        row = con.execute(f"SELECT count(*), coalesce(sum(hash(r)), 0) FROM "
                          f"(SELECT * EXCLUDE (import_id) FROM current_{table}) r").fetchone()
        assert row is not None
        found[table] = (int(row[0]), int(row[1]))
    return found


def _state(con) -> dict:
    """What a reader sees, cheap enough for 200,000 rows: the imports, every import's rows, a
    fingerprint of the current rows and the KPI objects."""
    return {
        "imports": con.execute("SELECT id, file_name, rows, state FROM imports ORDER BY id").fetchall(),
        "rows": con.execute("""SELECT import_id, count(*), sum(events), count(superseded_by) FROM activities
                               GROUP BY 1 ORDER BY 1""").fetchall(),
        "fingerprint": _fingerprint(con),
        "kpis": [kpis.kpis(con, filters.resolve(**chosen)) for chosen in KPI_FILTER_SETS],
    }


@pytest.fixture(scope="module")
def big(tmp_path_factory, demo_db):
    """A CSV of 200,000 valid activity rows; the demo before and after importing it; after undoing it."""
    from benchmarks import data as bench_data  # only these tests need the generator

    folder = tmp_path_factory.mktemp("big")
    columns = bench_data.activities(BIG_ROWS, BIG_SEED)
    csv_path = folder / "aktivitete_200k.csv"
    bench_data.write_csv(csv_path, columns)
    events = int(columns["_events"].sum())

    with Database(demo_db).reading() as con:
        before, before_full = _state(con), kpi_state(con)

    imported = folder / "imported.duckdb"
    shutil.copy(demo_db, imported)
    report = importing.import_path(Database(imported), csv_path)
    assert (report.status, report.rows, report.import_id) == ("imported", BIG_ROWS, 6)
    with Database(imported).reading() as con:
        after = _state(con)
    assert after["imports"] == [*before["imports"], (6, csv_path.name, BIG_ROWS, "stored")]
    assert (6, BIG_ROWS, events, 0) in after["rows"]

    undone = folder / "undone.duckdb"
    shutil.copy(imported, undone)
    with Database(undone).writing() as con:
        store.undo(con, 6)
    with Database(undone).reading() as con:
        after_undo, after_undo_full = _state(con), kpi_state(con)
    assert after_undo_full == before_full  # a clean undo is exactly the state before the import
    assert after_undo["imports"] == [*before["imports"], (6, csv_path.name, BIG_ROWS, "undone")]
    return {"demo": demo_db, "csv": csv_path, "events": events, "before": before, "before_full": before_full,
            "after": after, "imported": imported, "after_undo": after_undo, "after_undo_full": after_undo_full}


def _kill_at(db: Path, args: tuple[str, ...], delay: float | None = None, after_lock: float | None = None,
             on_wal: bool = False) -> dict:
    """Run the CLI on db and SIGKILL it delay seconds after its start, after_lock seconds after it
    took the write lock (it writes its pid into the lock file then), or on_wal as soon as its
    commit is being written to the write-ahead log (there is none before); unless it finished first."""
    started = time.monotonic()
    process = subprocess.Popen(cli_command(db, *args), cwd=ROOT, env=env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    lock, wal, locked = db.with_name(db.name + ".lock"), db.with_name(db.name + ".wal"), None
    assert not wal.exists()
    while process.poll() is None:
        now = time.monotonic() - started
        if locked is None:
            with open(lock, "rb") if lock.exists() else open(os.devnull, "rb") as handle:
                fields = handle.read(64).decode("ascii", "replace").split(":")
            if len(fields) > 1 and fields[1] == str(process.pid):
                locked = now
        if on_wal:
            due = now if locked is not None and wal.exists() and wal.stat().st_size > 0 else None
        elif delay is not None:
            due = delay
        else:
            due = None if locked is None else locked + (after_lock or 0.0)
        if due is not None and now >= due:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    process.wait(timeout=TIMEOUT)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.returncode in (0, -signal.SIGKILL), stderr
    return {"killed": process.returncode == -signal.SIGKILL, "at": round(time.monotonic() - started, 2),
            "locked": None if locked is None else round(locked, 2)}


def _landing(db: Path, states: dict[str, dict], full: dict[str, dict]) -> str:
    """Which of the named states the file holds, read through a snapshot and through store.connect."""
    with Database(db).reading(wait=10) as con:
        observed = _state(con)
        names = [name for name, state in states.items() if observed == state]
        assert len(names) == 1, observed
        if names[0] in full:
            assert kpi_state(con) == full[names[0]]
    direct = store.connect(db, read_only=True)
    try:
        assert _state(direct) == observed
    finally:
        direct.close()
    return names[0]


def _later_import(db: Path, folder: Path, monkeypatch) -> None:
    """A write after the kill: the lock files the killed process held must not block it."""
    path, rows, events = small_file(folder, 19)
    previous = history_rows(db)
    monkeypatch.setattr(settings, "WRITE_WAIT_SECONDS", 5.0)
    started = time.monotonic()
    report = importing.import_path(Database(db), path, today=TODAY)
    assert (report.status, report.import_id, report.rows) == ("imported", len(previous) + 1, rows)
    assert time.monotonic() - started < 5
    assert history_rows(db) == [*previous, (len(previous) + 1, path.name, rows, "stored")]
    with Database(db).reading() as con:
        assert con.execute("SELECT count(*), sum(events) FROM activities WHERE import_id = ?",
                           [report.import_id]).fetchone() == (rows, events)


IMPORT_KILLS = [("0.3 s", {"delay": 0.3}), ("0.8 s", {"delay": 0.8}), ("1.5 s", {"delay": 1.5}),
                ("2.5 s", {"delay": 2.5}), ("4 s", {"delay": 4.0}), ("lock + 0 s", {"after_lock": 0.0}),
                ("lock + 0.4 s", {"after_lock": 0.4}), ("WAL being written", {"on_wal": True})]


def test_sigkill_during_a_large_import_leaves_all_of_it_or_none(big, tmp_path, monkeypatch):
    landed = {}
    for label, when in IMPORT_KILLS:
        db = tmp_path / f"kill_{len(landed)}.duckdb"
        shutil.copy(big["demo"], db)
        run = _kill_at(db, ("import", str(big["csv"]), "--json"), **when)
        landing = _landing(db, {"none": big["before"], "all": big["after"]}, {"none": big["before_full"]})
        landed[label] = (landing, run)
        _later_import(db, tmp_path, monkeypatch)
    print("\nSIGKILL during import:", {k: v[0] + f" (killed={v[1]['killed']}, at {v[1]['at']} s, "
                                         f"lock taken at {v[1]['locked']} s)" for k, v in landed.items()})
    assert {v[0] for v in landed.values()} <= {"none", "all"}
    assert landed["0.3 s"][0] == "none"
    assert "none" in {v[0] for v in landed.values()}


UNDO_KILLS = [("0.3 s", {"delay": 0.3}), ("lock + 0 s", {"after_lock": 0.0}), ("lock + 0.05 s", {"after_lock": 0.05}),
              ("lock + 0.1 s", {"after_lock": 0.1}), ("lock + 0.2 s", {"after_lock": 0.2}),
              ("WAL being written", {"on_wal": True})]


def test_sigkill_during_undo_leaves_the_state_before_it_or_after_it(big, tmp_path, monkeypatch):
    landed = {}
    for label, when in UNDO_KILLS:
        db = tmp_path / f"undo_{len(landed)}.duckdb"
        shutil.copy(big["imported"], db)
        run = _kill_at(db, ("undo", "6"), **when)
        landing = _landing(db, {"before the undo": big["after"], "undone": big["after_undo"]},
                           {"undone": big["after_undo_full"]})
        landed[label] = (landing, run)
        if landing == "before the undo":  # the undo can still be done, and then it is complete
            with Database(db).writing(wait=5) as con:
                assert store.undo(con, 6)["activities"] == BIG_ROWS
            with Database(db).reading() as con:
                assert _state(con) == big["after_undo"]
        _later_import(db, tmp_path, monkeypatch)
    print("\nSIGKILL during undo:", {k: v[0] + f" (killed={v[1]['killed']}, at {v[1]['at']} s, "
                                       f"lock taken at {v[1]['locked']} s)" for k, v in landed.items()})
    assert landed["0.3 s"][0] == "before the undo"


# ── 5. a page opened while another process writes ───────────────────────────────────────────

# Holds the write lock (and the read-write connection) for argv[2] seconds, or until a line comes
# on stdin; says when it took it and, just before letting go, the time.
WRITER = r"""
import select, sys, time
from pop_analytics.database import Database
with Database(sys.argv[1]).writing():
    print("writing", flush=True)
    select.select([sys.stdin], [], [], float(sys.argv[2]))
    print("releasing", time.time(), flush=True)
"""


def _hold_write_lock(db: Path, seconds: float) -> subprocess.Popen:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(seconds)], cwd=ROOT, env=env(),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    line = writer.stdout.readline()
    assert line == "writing\n", (line, writer.communicate())
    return writer


def _released_at(writer: subprocess.Popen, release: bool = False) -> float:
    """When the writer let go (at once if release, else when its time was up)."""
    out, err = writer.communicate("release\n" if release else None, timeout=TIMEOUT)
    assert (writer.returncode, err) == (0, "")
    return float(out.split()[-1])


def _as_read(markdown: str) -> str:
    """Text as a page shows it: the Markdown escapes (and invisible word joiners) the app adds to
    text from outside its catalogue do not show."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def _at_tiles(at: AppTest) -> list[tuple[str, str]]:
    return [(_as_read(m.label), _as_read(m.value)) for m in at.metric]


def _tiles_sq(db: Path) -> list[tuple[str, str]]:
    return _overview_tiles(db, "sq")


def test_a_page_opened_while_another_process_writes_waits_and_shows_its_data(app_db):
    expected = _tiles_sq(app_db)
    writer = _hold_write_lock(app_db, 3.0)
    started = time.time()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
    at.run()
    finished = time.time()
    released = _released_at(writer)
    assert started < released <= finished  # the page waited for the writer, then read
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert _at_tiles(at) == expected


def test_a_page_that_cannot_wait_long_enough_says_the_data_is_busy(app_db, monkeypatch):
    expected = _tiles_sq(app_db)
    monkeypatch.setattr(settings, "READ_WAIT_SECONDS", 0.5)
    writer = _hold_write_lock(app_db, 60.0)  # it lets go once the page has given up
    try:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
        at.run()
        assert writer.poll() is None  # still writing when the page gave up
        assert not at.exception, [e.value for e in at.exception]
        assert [_as_read(e.value) for e in at.error] == [DatabaseBusy(app_db.name, writing=False).message("sq")]
        assert not at.metric
    finally:
        _released_at(writer, release=True)
    at.button(key="busy_retry").click().run()
    assert not at.exception and not at.error
    assert _at_tiles(at) == expected


# ── 6. a database nobody may write ──────────────────────────────────────────────────────────

def _read_only_sentence(name: str) -> str:
    catalogue = json.loads((ROOT / "data" / "i18n" / "en.json").read_text(encoding="utf-8"))
    return f"{t('cli.error', 'en')}: {catalogue['database.read_only'].format(name=name)}\n"


@pytest.fixture(scope="module")
def demo_expected(demo_db):
    """What kpis --year 2020 --json and history --json must print for the demo."""
    with Database(demo_db).reading() as con:
        return {"kpis": as_json(kpis.with_cycles(con, filters.resolve(year=2020))),
                "history": as_json(store.history(con).to_dict(orient="records"))}


def _writable_copy(demo_db: Path, folder: Path, with_lock_files: bool) -> Path:
    folder.mkdir()
    db = folder / "pop.duckdb"
    shutil.copy(demo_db, db)
    if with_lock_files:  # left by an earlier reader
        Database(db).version()
        assert sorted(p.name for p in folder.iterdir()) == ["pop.duckdb", "pop.duckdb.lock", "pop.duckdb.queue"]
    return db


def _check_read_only(dbs: list[Path], upload: Path, expected: dict, prefix: list[str],
                     checkout: Path = ROOT, python: str = sys.executable) -> None:
    """kpis and history work on each database; an import is refused with the read-only sentence, and
    no byte and no file changes. The CLI runs from checkout (its package and data) with python."""
    before = {db: (sha256(db), sorted(p.name for p in db.parent.iterdir())) for db in dbs}

    def run(db: Path, *args: str) -> subprocess.CompletedProcess:
        command = [*prefix, python, "-m", "pop_analytics", "--db", str(db), *args]
        return subprocess.run(command, cwd=checkout, env=env(PYTHONPATH=str(checkout)), capture_output=True,
                              text=True, encoding="utf-8", timeout=TIMEOUT, check=False)

    commands = [(db, args) for db in dbs for args in (("kpis", "--year", "2020", "--json"), ("history", "--json"),
                                                        ("import", str(upload), "--json"))]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda c: run(c[0], *c[1]), commands))
    for (db, args), result in zip(commands, results):
        if args[0] == "import":
            assert (result.returncode, result.stdout, result.stderr) == (1, "", _read_only_sentence(db.name)), args
        else:
            assert (result.returncode, result.stderr) == (0, ""), (db, args)
            assert json.loads(result.stdout) == expected[args[0]], (db, args)
    assert {db: (sha256(db), sorted(p.name for p in db.parent.iterdir())) for db in dbs} == before


def test_reads_work_and_an_import_is_refused_on_a_read_only_mount(demo_db, demo_expected, tmp_path):
    upload, _, _ = small_file(tmp_path, 0)
    mounted: list[Path] = []
    try:
        dbs = []
        for with_lock_files in (False, True):
            source = _writable_copy(demo_db, tmp_path / f"source_{with_lock_files}", with_lock_files)
            target = tmp_path / f"read_only_{with_lock_files}"
            target.mkdir()
            bind = subprocess.run(["mount", "--bind", str(source.parent), str(target)], capture_output=True, text=True,
                                  check=False)
            if bind.returncode != 0:
                pytest.skip(f"mount --bind is not permitted here: {bind.stderr.strip()}")
            mounted.append(target)
            remount = subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], capture_output=True, text=True,
                                     check=False)
            if remount.returncode != 0:
                pytest.skip(f"a read-only remount is not permitted here: {remount.stderr.strip()}")
            with pytest.raises(OSError, match="Read-only file system"):
                (target / "probe").touch()
            dbs.append(target / "pop.duckdb")
        _check_read_only(dbs, upload, demo_expected, prefix=[])
    finally:
        for target in reversed(mounted):
            subprocess.run(["umount", str(target)], check=True)


def test_reads_work_and_an_import_is_refused_when_permissions_forbid_writing(demo_db, demo_expected):
    with nobody("pop-read-only-") as user:
        upload, _, _ = small_file(user.base, 0)
        upload.chmod(0o444)
        dbs = []
        for with_lock_files in (False, True):
            db = _writable_copy(demo_db, user.base / f"db_{with_lock_files}", with_lock_files)
            db.chmod(0o444)
            db.parent.chmod(0o555)
            dbs.append(db)
        probe = as_nobody("touch", dbs[0])
        assert probe.returncode != 0 and "Permission denied" in probe.stderr
        _check_read_only(dbs, upload, demo_expected, prefix=SETPRIV, checkout=user.checkout, python=user.python)
