"""PostgreSQL as the system of record, on a real throwaway cluster (tests/postgres_support.py): the
same files give the same figures as in a DuckDB file; faults are sentences that never show the
password; copy-db, backup and restore; a replica catching up with another writer; a killed import
leaves all of it or none; the server stopped and started under a running app."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from conftest import (
    KPI_FILTER_SETS,
    ROOT,
    TODAY,
    corrected_tirane_2023,
    kpi_state,
    run_cli,
    tirane_activities,
)
from postgres_support import PASSWORD
from streamlit.testing.v1 import AppTest

from pop_analytics import demo, filters, importing, kpis, replica, report, settings, store
from pop_analytics.access import Viewer
from pop_analytics.app.state import escape
from pop_analytics.database import Database
from pop_analytics.errors import DatabaseMissing
from pop_analytics.i18n import t
from pop_analytics.scope import DONOR_SIGHT
from pop_analytics.stores import open_database

# ── the same files, the same figures ────────────────────────────────────────────────────────

ARTA = Viewer("arta", "partner", ("Tiranë",), "10.0.0.7")


def _same_story(db: Database, corrected: Path, activities: Path) -> None:
    """Demo, a partner's submitted correction (approved), a coordinator's file (then undone), a
    partner's file left waiting."""
    demo.load(db)
    approved = importing.import_path(db, corrected, today=TODAY, by=ARTA)
    with db.writing() as con:
        store.approve(con, approved.import_id, "besa", "checked", "10.0.0.9")
    added = importing.import_path(db, activities, today=TODAY, who="besa")
    with db.writing() as con:
        store.undo(con, added.import_id, who="besa", address="10.0.0.9")
    importing.import_path(db, activities, today=TODAY, by=ARTA)


def _what_readers_see(db: Database) -> dict:
    with db.reading() as con:
        history = store.history(con).drop(columns=["imported_at", "reviewed_at", "undone_at"])
        chosen = filters.resolve()
        return {"state": kpi_state(con), "history": history.to_dict("records"),
                "report": [table.rows for table in report.headline(con, chosen, "en", today=TODAY)],
                "by_municipality": report.by_municipality(con, chosen, "sq").rows,
                "donors": [kpis.kpis(con, filters.resolve(**c)) for c in KPI_FILTER_SETS[:3]]}


def test_the_same_files_give_the_same_figures_history_and_report_in_both_stores(tmp_path, new_postgres):
    file_db, pg_db = open_database(tmp_path / "pop.duckdb"), open_database(new_postgres(demo=False))
    files = corrected_tirane_2023(tmp_path), tirane_activities(tmp_path)  # one copy each: the same bytes
    _same_story(file_db, *files)
    _same_story(pg_db, *files)
    in_file, in_postgres = _what_readers_see(file_db), _what_readers_see(pg_db)
    assert in_postgres == in_file
    assert [row["status"] for row in in_postgres["history"]] == [
        "submitted", "undone", "approved", "approved", "approved", "approved", "approved", "approved"]
    with file_db.reading(sight=DONOR_SIGHT) as one, pg_db.reading(sight=DONOR_SIGHT) as other:
        assert kpi_state(one) == kpi_state(other)


# ── faults are sentences, never the password ───────────────────────────────────────────────


def _faulty(cluster, case: str) -> tuple[str, str]:
    """(the address, the sentence's key and the name it gives)."""
    port = cluster.port
    if case == "wrong password":
        return f"postgresql://postgres:not-the-{PASSWORD}@127.0.0.1:{port}/postgres", "database.login_refused"
    if case == "nothing listening":
        with __import__("socket").socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free}/pop", "database.unreachable"
    if case == "no such database":
        return cluster.url("no_such_database"), "database.missing"
    if case == "not an address":
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/pop?sslmode=sometimes", "database.url_invalid"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["wrong password", "nothing listening", "no such database", "not an address"])
@pytest.mark.parametrize("lang", ["en", "sq"])
def test_a_database_that_cannot_be_used_is_a_sentence_without_the_password(postgres_cluster, case, lang):
    url, key = _faulty(postgres_cluster, case)
    result = run_cli("kpis", "--lang", lang, db=url)
    name = url.rsplit("/", 1)[1].split("?")[0]
    host = f"127.0.0.1:{url.split(':')[3].split('/')[0]}"
    expected = t(key, lang, name=f"{name} ({host})")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"{t('cli.error', lang)}: {expected}\n")
    assert PASSWORD not in result.stderr


def test_a_database_of_another_application_is_refused_and_left_alone(postgres_cluster, new_postgres):
    url = new_postgres(demo=False)
    name = url.rsplit("/", 1)[1]
    postgres_cluster.admin("CREATE TABLE customers (id integer)", database=name)
    result = run_cli("import", str(ROOT / "data" / "demo" / "aktivitetet.csv"), db=url)
    assert result.returncode == 1
    shown = f"{name} (127.0.0.1:{postgres_cluster.port})"
    assert result.stderr == f"Error: {t('database.foreign', 'en', name=shown)}\n"
    with psycopg.connect(url) as pg:
        tables = pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    assert tables == [("customers",)]


def test_a_database_of_a_newer_release_is_refused(postgres_cluster, new_postgres):
    url = new_postgres()
    name = url.rsplit("/", 1)[1]
    newer = store.SCHEMA_VERSION + 1
    postgres_cluster.admin(f"INSERT INTO schema_version (rid, v, version) VALUES (1000, 1, {newer})", database=name)
    postgres_cluster.admin("UPDATE pop_state SET version = version + 1", database=name)
    result = run_cli("kpis", db=url)
    assert result.stderr == "Error: " + t("database.too_new", "en", name=f"{name} (127.0.0.1:{postgres_cluster.port})",
                                          version=newer, supported=store.SCHEMA_VERSION) + "\n"


def test_a_new_database_gets_every_migration_step_in_a_transaction_of_its_own(new_postgres):
    url = new_postgres(demo=False)
    assert run_cli("migrate", db=url).returncode == 0
    with psycopg.connect(url) as pg:
        # each step's version record was written under a version of its own: one transaction a step
        steps = pg.execute("SELECT version, v FROM schema_version ORDER BY version").fetchall()
        assert steps == [(n, n) for n in range(1, store.SCHEMA_VERSION + 1)]
        assert pg.execute("SELECT count(*) FROM imports").fetchone() == (0,)


def test_an_older_database_with_data_is_brought_forward_and_keeps_its_data(postgres_cluster, new_postgres):
    url = new_postgres()
    name = url.rsplit("/", 1)[1]
    with open_database(url).reading() as con:
        before = kpi_state(con)
    last = store.SCHEMA_VERSION
    # the database as release 9 left it: step 10 added the api_tokens table, step 11 the calendar's and
    # the messages' tables and three columns (a later step that changes more must be taken back here too)
    postgres_cluster.admin("DROP TABLE api_tokens, options, reporting_schedule, import_periods, preferences, "
                           "notices_read, messages, deliveries; ALTER TABLE users DROP COLUMN email, "
                           "DROP COLUMN language; ALTER TABLE priorities DROP COLUMN due; "
                           "DELETE FROM schema_version WHERE version >= 10; "
                           "UPDATE pop_state SET version = version + 1, data_version = data_version + 1", database=name)
    replica.release(url)
    assert run_cli("migrate", db=url).returncode == 0
    with psycopg.connect(url) as pg:
        assert pg.execute("SELECT max(version) FROM schema_version").fetchone() == (last,)
        assert pg.execute("SELECT count(*) FROM api_tokens").fetchone() == (0,)
        # what each import reported is worked out from the rows it brought: each municipality's months
        # from its first activity to its last
        assert pg.execute("SELECT count(*) FROM import_periods WHERE kind = 'activities'").fetchone() == \
            pg.execute("SELECT CAST(sum(months) AS bigint) FROM (SELECT (extract(year FROM max(date)) * 12 "
                       "+ extract(month FROM max(date))) - (extract(year FROM min(date)) * 12 "
                       "+ extract(month FROM min(date))) + 1 AS months FROM activities "
                       "GROUP BY import_id, municipality) AS spans").fetchone()
    replica.release(url)
    with open_database(url).reading() as con:
        assert kpi_state(con) == before


# ── moving an installation ─────────────────────────────────────────────────────────────────


def test_copy_db_moves_a_file_into_postgresql_and_back_with_the_same_figures(demo_db, tmp_path, new_postgres):
    url = new_postgres(demo=False)
    name = url.rsplit("/", 1)[1]
    copied = run_cli("copy-db", str(demo_db), url)
    assert copied.returncode == 0, copied.stderr
    with open_database(demo_db).reading() as con:
        rows = sum(con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
                   for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        expected = kpi_state(con)
    assert copied.stdout == t("cli.copy_db.done", "en", rows=rows, imports=5, tables=20, source="demo.duckdb",
                              target=f"{name} (127.0.0.1:{url.split(':')[3].split('/')[0]})") + "\n"
    with open_database(url).reading() as con:
        assert kpi_state(con) == expected
    back = tmp_path / "back.duckdb"
    assert run_cli("copy-db", url, str(back)).returncode == 0
    with open_database(back).reading() as con:
        assert kpi_state(con) == expected


@pytest.mark.parametrize("into", ["postgresql", "file"])
def test_copy_db_refuses_a_target_that_holds_data(demo_db, tmp_path, new_postgres, into):
    target = new_postgres() if into == "postgresql" else str(tmp_path / "taken.duckdb")
    if into == "file":
        Path(target).write_bytes(b"")
    before = Path(target).stat().st_mtime_ns if into == "file" else None
    result = run_cli("copy-db", str(demo_db), target)
    name = open_database(target).name
    assert (result.returncode, result.stderr) == (1, f"Error: {t('database.target_not_empty', 'en', name=name)}\n")
    if before is not None:
        assert Path(target).stat().st_mtime_ns == before


def test_backup_and_restore_in_postgresql_mode_bring_back_the_data_and_keep_the_log(tmp_path, new_postgres):
    url = new_postgres()
    db = open_database(url)
    with db.reading() as con:
        before = kpi_state(con)
    backup = tmp_path / "pop-backup.duckdb"
    assert run_cli("backup", str(backup), db=url).returncode == 0
    importing.import_path(db, tirane_activities(tmp_path), today=TODAY, who="besa")
    with db.reading() as con:
        assert kpi_state(con) != before
    restored = run_cli("restore", str(backup), db=url)
    assert restored.returncode == 0, restored.stderr
    with db.reading() as con:
        assert kpi_state(con) == before
        actions = [a for (a,) in con.execute("SELECT action FROM audit ORDER BY id").fetchall()]
    assert actions[-2:] == ["import", "restore"]  # the import is still on record, then the restore
    kept = sorted(tmp_path.glob("pop-backup.replaced-*.duckdb"))
    assert len(kept) == 1
    with open_database(kept[0]).reading() as con:
        assert con.execute("SELECT count(*) FROM imports").fetchone() == (6,)


def test_a_backup_that_cannot_be_written_is_the_same_sentence_in_both_stores(demo_store, tmp_path):
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    result = run_cli("backup", str(blocked / "pop-backup.duckdb"), db=demo_store)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"Error: {t('database.read_only', 'en', name='pop-backup.duckdb')}\n"


# ── another writer, and the replica catching up ─────────────────────────────────────────────


def test_a_replica_catches_up_with_another_processs_import_at_its_next_read(tmp_path, new_postgres):
    url = new_postgres()
    db = open_database(url)
    with db.reading() as con:
        events = kpis.kpis(con, filters.resolve())["activities"]["events"]
    path = tirane_activities(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pop_analytics", "--db", url, "import", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    with db.reading() as con:
        assert con.execute("SELECT max(id) FROM imports").fetchone() == (6,)
        assert kpis.kpis(con, filters.resolve())["activities"]["events"] != events


def test_a_replica_catches_up_with_another_processs_undo_and_the_rows_it_deleted(tmp_path, new_postgres):
    url = new_postgres()
    db = open_database(url)
    with db.reading() as con:
        before = kpi_state(con)
    report = importing.import_path(db, tirane_activities(tmp_path), today=TODAY, who="besa")
    with db.reading() as con:
        assert kpi_state(con) != before
        assert con.execute("SELECT count(*) FROM activities WHERE import_id = ?", [report.import_id]).fetchone() != (0,)
    done = subprocess.run([sys.executable, "-m", "pop_analytics", "--db", url, "undo", str(report.import_id)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    with db.reading() as con:
        assert kpi_state(con) == before
        assert con.execute("SELECT count(*) FROM activities WHERE import_id = ?", [report.import_id]).fetchone() == (0,)


# ── kill -9 during a large import ──────────────────────────────────────────────────────────


def _lock_holder(url: str) -> int | None:
    """The pid of the PostgreSQL session holding the writers' lock, if any."""
    with psycopg.connect(url, autocommit=True) as pg:
        row = pg.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted").fetchone()
    return int(row[0]) if row else None


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """200,000 valid activity rows, written once for the module."""
    from benchmarks import data as bench_data  # only these tests need the generator

    big = tmp_path_factory.mktemp("big") / "aktivitete_200k.csv"
    bench_data.write_csv(big, bench_data.activities(200_000, 20260202))
    return big


@pytest.mark.parametrize("after_lock", [0.0, 1.0, 2.5])
def test_sigkill_during_a_200000_row_import_leaves_all_of_it_or_none(tmp_path, new_postgres, big_csv, after_lock):
    url = new_postgres()
    big = big_csv
    with open_database(url).reading() as con:
        before = kpi_state(con)
    process = subprocess.Popen([sys.executable, "-m", "pop_analytics", "--db", url, "import", str(big)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    locked = None
    while process.poll() is None:
        if locked is None and _lock_holder(url) is not None:
            locked = time.monotonic()
        if locked is not None and time.monotonic() >= locked + after_lock:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    process.wait(timeout=120)
    replica.release(url)
    with open_database(url).reading() as con:
        imports = con.execute("SELECT count(*) FROM imports").fetchone()
        after = kpi_state(con)
        stored = con.execute("SELECT count(*) FROM activities WHERE import_id = 6").fetchone()
    assert (imports, stored) in {((5,), (0,)), ((6,), (200_000,))}
    if imports == (5,):
        assert after == before
    # the killed writer's lock went with its connection: the next import is not kept waiting
    report = importing.import_path(open_database(url), corrected_tirane_2023(tmp_path), today=TODAY)
    assert report.status == "imported"


# ── the server stopped and started under a running app ─────────────────────────────────────


def test_a_stopped_server_shows_the_last_data_with_a_banner_and_the_app_recovers_by_itself(
        postgres_cluster, new_postgres, monkeypatch):
    url = new_postgres()
    monkeypatch.setenv("POP_DB", url)
    monkeypatch.setattr(settings, "PG_RETRY_SECONDS", 0.0)
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    app.run()
    assert not app.exception and not app.warning
    tiles = [m.value for m in app.metric]
    shown = [c.value for c in app.sidebar.caption]  # the database by its name and server, never the password
    assert t("app.database", "sq", name=escape(open_database(url).name)) in shown
    assert not any(PASSWORD in s for s in shown)
    postgres_cluster.stop()
    try:
        app.run()
        assert not app.exception
        assert [m.value for m in app.metric] == tiles
        stale = [w.value for w in app.warning]
        assert len(stale) == 1 and stale[0].startswith("Të dhënat janë si në orën ")  # the app's first language
        assert "nuk arrihet" in stale[0] and PASSWORD not in stale[0]
        with pytest.raises(Exception) as refused:
            importing.import_path(open_database(url), corrected_tirane_2023(Path(os.environ.get("TMPDIR", "/tmp"))),
                                  today=TODAY)
        assert str(refused.value) == t("database.unreachable", "en", name=open_database(url).name)
    finally:
        postgres_cluster.start()
    app.run()
    assert not app.exception and not app.warning
    assert [m.value for m in app.metric] == tiles


def test_reading_an_empty_database_says_there_is_no_data_yet(new_postgres):
    url = new_postgres(demo=False)
    with pytest.raises(DatabaseMissing) as missing:
        open_database(url).snapshot()
    assert missing.value.message("en") == t("database.missing", "en", name=open_database(url).name)
