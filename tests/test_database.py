"""database: short read snapshots, one writer at a time, the data version, faults as sentences,
backup and restore. Real DuckDB files, real threads and processes; no mocks."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, TODAY, kpi_state, run_cli, run_cli_process, tirane_activities, write_csv
from dashboard_support import metrics, open_app

from pop_analytics import accounts, cli, importing, settings, store
from pop_analytics.access import cli_viewer
from pop_analytics.app import escape
from pop_analytics.database import Database
from pop_analytics.errors import (
    DatabaseBusy,
    DatabaseMissing,
    DatabaseOutdated,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnreadable,
    SignInRefused,
)
from pop_analytics.i18n import t


def hold(entered: threading.Event, release: threading.Event, context) -> threading.Thread:
    """A thread that enters context (a snapshot or a write), says so, and leaves when told."""
    def run() -> None:
        with context:
            entered.set()
            release.wait(30)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert entered.wait(30)
    return thread


def older_file(path: Path, version: int) -> Path:
    con = duckdb.connect(str(path))
    store.migrate(con, target=version)
    con.close()
    return path


def newer_file(path: Path) -> Path:
    con = store.connect(path)
    con.execute("INSERT INTO schema_version VALUES (99, now())")
    con.close()
    return path


# A current file taken back to schema version 2, as an older release left it: what migrations 12 (the
# activities' sums), 11 (the calendar and the messages, a priority's own deadline), 10 (API tokens), 9
# and 8 (review columns), 7 (targets with its views), 6 (users, sessions, the audit log, review
# columns, donors' supersede marks and views), 5 (aliases), 4 (theme_mask) and 3 (current_* views)
# added is taken out again, newest first.
UNDO_MIGRATIONS_3_TO_10 = (
    "DROP VIEW approved_activity_totals; DROP VIEW current_activity_totals; DROP TABLE activity_totals; "
    "DROP TABLE deliveries; DROP TABLE messages; DROP SEQUENCE message_ids; DROP TABLE notices_read; "
    "DROP TABLE preferences; DROP VIEW reported_periods; DROP TABLE import_periods; DROP TABLE reporting_schedule; "
    "DROP TABLE options; ALTER TABLE users DROP COLUMN language; ALTER TABLE users DROP COLUMN email; "
    "ALTER TABLE priorities DROP COLUMN due; "
    "DROP TABLE api_tokens; DROP SEQUENCE token_ids; "
    "ALTER TABLE imports DROP COLUMN comment_read_at; ALTER TABLE imports DROP COLUMN warnings; "
    "ALTER TABLE imports DROP COLUMN mode; "
    "DROP VIEW approved_targets; DROP VIEW current_targets; DROP TABLE targets; "
    "DROP TABLE audit; DROP SEQUENCE audit_ids; DROP TABLE sessions; DROP TABLE users; "
    + "".join(f"DROP VIEW approved_{table}; DROP VIEW current_{table}; "
              f"ALTER TABLE {table} DROP COLUMN approved_superseded_by; "
              for table in store.DATA_TABLES if table != "targets")
    + "ALTER TABLE imports DROP COLUMN review_comment; ALTER TABLE imports DROP COLUMN reviewed_at; "
      "ALTER TABLE imports DROP COLUMN reviewed_by; ALTER TABLE imports DROP COLUMN review; "
      "DROP TABLE aliases; DROP SEQUENCE alias_ids; ALTER TABLE activities DROP COLUMN theme_mask; "
      "DELETE FROM schema_version WHERE version >= 3")


def layout(path: Path) -> dict[str, list[str]]:
    """Every table and view of a file with its columns in order, and its sequences."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        found: dict[str, list[str]] = {}
        for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                         "ORDER BY table_name, ordinal_position").fetchall():
            found.setdefault(table, []).append(column)
        sequences = con.execute("SELECT sequence_name FROM duckdb_sequences()").fetchall()
        found["sequences"] = sorted(r[0] for r in sequences)
        return found
    finally:
        con.close()


def truncated_copy(source: Path, path: Path) -> Path:
    path.write_bytes(source.read_bytes()[:5000])
    return path


# ── faults become sentences ──────────────────────────────────────────────────────────────────

FAULTS = {
    "missing": lambda folder, demo: folder / "pop.duckdb",
    "directory": lambda folder, demo: (folder / "pop.duckdb").mkdir() or folder / "pop.duckdb",
    "text_file": lambda folder, demo: (folder / "pop.duckdb").write_text("name,value\n") and folder / "pop.duckdb",
    "truncated": lambda folder, demo: truncated_copy(demo, folder / "pop.duckdb"),
    "other_duckdb": lambda folder, demo: _other_duckdb(folder / "pop.duckdb"),
    "newer": lambda folder, demo: newer_file(folder / "pop.duckdb"),
    "older": lambda folder, demo: older_file(folder / "pop.duckdb", 2),
    # a copy cut off past its headers: DuckDB opens it and fails only at a query that needs a lost block
    "cut_off": lambda folder, demo: _cut_off_copy(demo, folder / "pop.duckdb"),
    "lock_folder": lambda folder, demo: _lock_folder(demo, folder / "pop.duckdb"),
}


def _cut_off_copy(source: Path, path: Path) -> Path:
    path.write_bytes(source.read_bytes()[:300_000])
    return path


def _lock_folder(source: Path, path: Path) -> Path:
    shutil.copy(source, path)
    path.with_name(path.name + ".lock").mkdir()
    return path


def _other_duckdb(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (amount INTEGER)")
    con.close()
    return path


READ_FAULTS = [
    ("missing", DatabaseMissing, ("There is no database pop.duckdb yet. Load the demo data (python -m pop_analytics "
                                 "demo) or import a file first.")),
    ("directory", DatabaseUnreadable, t("database.unreadable", "en", name="pop.duckdb")),
    ("text_file", DatabaseUnreadable, t("database.unreadable", "en", name="pop.duckdb")),
    ("truncated", DatabaseUnreadable, t("database.unreadable", "en", name="pop.duckdb")),
    ("other_duckdb", DatabaseOutdated, ("The database pop.duckdb has an older layout (schema version 0; this release "
                                       f"needs {store.SCHEMA_VERSION}). Bring it forward once with: python -m "
                                       "pop_analytics migrate")),
    ("newer", DatabaseTooNew, ("The database pop.duckdb was written by a newer release of POP Analytics (schema "
                              f"version 99; this release reads up to {store.SCHEMA_VERSION}). Nothing was read from or "
                              "written to it. "
                              "Update POP Analytics.")),
    ("older", DatabaseOutdated, ("The database pop.duckdb has an older layout (schema version 2; this release needs "
                                f"{store.SCHEMA_VERSION}). Bring it forward once with: "
                                "python -m pop_analytics migrate")),
]


@pytest.mark.parametrize(("fault", "error", "message"), READ_FAULTS)
def test_a_read_of_a_faulty_database_raises_its_sentence_and_changes_nothing(tmp_path, demo_db, fault, error,
                                                                               message):
    path = FAULTS[fault](tmp_path, demo_db)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(error) as caught, Database(path).reading():
        pass
    assert caught.value.message("en") == message
    assert (path.read_bytes() if path.is_file() else None) == before
    assert not (tmp_path / "pop.duckdb.wal").exists()


@pytest.mark.parametrize(("fault", "error"), [
    ("directory", DatabaseUnreadable), ("text_file", DatabaseUnreadable), ("truncated", DatabaseUnreadable),
    ("newer", DatabaseTooNew),
])
def test_a_write_to_a_faulty_database_is_refused_and_writes_nothing(tmp_path, demo_db, fault, error):
    path = FAULTS[fault](tmp_path, demo_db)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(error), Database(path).writing():
        pytest.fail("the block must not run")
    assert (path.read_bytes() if path.is_file() else None) == before


@pytest.mark.parametrize(("fault", "lang", "stderr"), [
    ("missing", "en", "Error: " + READ_FAULTS[0][2]),
    ("directory", "en", "Error: " + t("database.unreadable", "en", name="pop.duckdb")),
    ("text_file", "sq", "Gabim: " + t("database.unreadable", "sq", name="pop.duckdb")),
    ("truncated", "en", "Error: " + t("database.unreadable", "en", name="pop.duckdb")),
    ("newer", "en", "Error: " + READ_FAULTS[5][2]),
    ("newer", "sq", "Gabim: " + t("database.too_new", "sq", name="pop.duckdb", version=99,
                                  supported=store.SCHEMA_VERSION)),
    ("older", "en", "Error: " + READ_FAULTS[6][2]),
])
def test_the_command_line_says_what_is_wrong_with_the_database(tmp_path, demo_db, fault, lang, stderr):
    path = FAULTS[fault](tmp_path, demo_db)
    result = run_cli("--lang", lang, "kpis", "--year", "2020", db=path)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", stderr + "\n")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("fault", "key", "params"), [
    ("directory", "database.unreadable", {}),
    ("text_file", "database.unreadable", {}),
    ("truncated", "database.unreadable", {}),
    ("newer", "database.too_new", {"version": 99, "supported": store.SCHEMA_VERSION}),
    ("cut_off", "database.unreadable", {}),
    ("lock_folder", "database.lock_unusable", {"lock": "pop.duckdb.lock"}),
])
@pytest.mark.parametrize("lang", ["sq", "en"])
def test_a_page_on_a_faulty_database_shows_the_sentence_in_the_readers_language(tmp_path, demo_db, monkeypatch,
                                                                                fault, key, params, lang):
    path = FAULTS[fault](tmp_path, demo_db)
    monkeypatch.setenv("POP_DB", str(path))
    at = open_app("overview", {"lang": lang})
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [escape(t(key, lang, name="pop.duckdb", **params))]
    assert not at.metric


def test_the_app_creates_a_missing_database_and_brings_an_older_one_forward(tmp_path, monkeypatch):
    older = older_file(tmp_path / "old.duckdb", 2)
    for path in (tmp_path / "new.duckdb", older):
        monkeypatch.setenv("POP_DB", str(path))
        at = open_app("overview", {"lang": "en"})
        assert not at.exception and not at.error
        assert [i.value for i in at.info] == [t("empty.database", "en")]
        con = store.connect(path, read_only=True)
        assert store.schema_version(con) == store.SCHEMA_VERSION
        con.close()


def test_migrate_brings_an_older_file_forward_with_its_data_and_leaves_a_current_one_alone(tmp_path, demo_copy):
    result = run_cli("migrate", db=demo_copy)
    assert (result.returncode, result.stdout) == (
        0, f"The database demo_copy.duckdb is at schema version {store.SCHEMA_VERSION}.\n")
    con = duckdb.connect(str(demo_copy))
    con.execute(UNDO_MIGRATIONS_3_TO_10)
    con.close()
    with pytest.raises(DatabaseOutdated), Database(demo_copy).reading():
        pass
    assert run_cli("migrate", db=demo_copy).returncode == 0
    with Database(demo_copy).reading() as con:
        assert store.schema_version(con) == store.SCHEMA_VERSION
        assert con.execute("SELECT count(*), sum(theme_mask) FROM current_activities").fetchone() == (298, 8685)
        # the imports an older release stored were live at once: they come forward approved, seen by donors
        assert con.execute("SELECT review, count(*) FROM imports GROUP BY ALL").fetchall() == [("approved", 5)]
        assert con.execute("SELECT count(*), sum(theme_mask) FROM approved_activities").fetchone() == (298, 8685)
        # the activities' sums the KPI object reads are made from the rows the file already held
        assert con.execute("SELECT sum(events), sum(participants), sum(split_women) FROM approved_activity_totals"
                           ).fetchone() == (757, 15266, 6881)
        assert con.execute("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM sessions), "
                           "(SELECT count(*) FROM audit)").fetchone() == (0, 0, 0)
    stamp = demo_copy.stat().st_mtime_ns
    Database(demo_copy).ensure()
    assert demo_copy.stat().st_mtime_ns == stamp


def test_taking_a_current_file_back_leaves_exactly_a_version_2_layout(tmp_path, demo_copy):
    con = duckdb.connect(str(demo_copy))
    con.execute(UNDO_MIGRATIONS_3_TO_10)
    con.close()
    assert layout(demo_copy) == layout(older_file(tmp_path / "v2.duckdb", 2))


# ── one writer, many readers ─────────────────────────────────────────────────────────────────

def test_a_writer_waits_for_a_reader_then_writes(demo_copy):
    db = Database(demo_copy)
    entered, release = threading.Event(), threading.Event()
    reader = hold(entered, release, db.reading())
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    with db.writing(wait=10) as con:
        waited = time.monotonic() - started
        con.execute("CREATE TABLE written (a INTEGER)")
    reader.join(10)
    assert waited >= 0.4


@pytest.mark.parametrize(("holder", "attempt", "key"), [
    ("read", "write", "database.busy_write"),
    ("write", "read", "database.busy_read"),
    ("write", "write", "database.busy_write"),
])
def test_past_its_wait_a_blocked_reader_or_writer_says_busy_and_nothing_changes(demo_copy, holder, attempt, key):
    db = Database(demo_copy)
    before = kpi_state(store.connect(demo_copy, read_only=True))
    entered, release = threading.Event(), threading.Event()
    thread = hold(entered, release, db.reading() if holder == "read" else db.writing())
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseBusy) as caught, (db.reading(wait=0.3) if attempt == "read"
                                                     else db.writing(wait=0.3)):
            pytest.fail("the block must not run")
        assert 0.3 <= time.monotonic() - started < 2
        assert caught.value.message("en") == t(key, "en", name="demo_copy.duckdb")
    finally:
        release.set()
        thread.join(10)
    assert kpi_state(store.connect(demo_copy, read_only=True)) == before


def test_a_waiting_writer_goes_before_readers_that_come_after_it(demo_copy):
    db = Database(demo_copy)
    entered, release = threading.Event(), threading.Event()
    first_reader = hold(entered, release, db.reading())
    order: list[str] = []

    def write() -> None:
        with db.writing(wait=10):
            order.append("writer")
    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.3)  # the writer is queued behind the first reader
    with pytest.raises(DatabaseBusy), db.reading(wait=0.3):
        pass
    release.set()
    with db.reading(wait=10):
        order.append("reader")
    writer.join(10)
    first_reader.join(10)
    assert order == ["writer", "reader"]


def test_a_read_inside_a_snapshot_uses_it_even_while_a_writer_waits(demo_copy):
    db = Database(demo_copy)
    with db.snapshot() as snapshot:
        writer = threading.Thread(target=lambda: db.writing(wait=10).__enter__().close())
        writer.start()
        time.sleep(0.2)
        with db.reading(wait=0.5) as con:
            assert con is snapshot.connection()
        with pytest.raises(RuntimeError, match="close it before writing"), db.writing(wait=0.5):
            pass
    writer.join(10)


def test_a_snapshot_reads_one_state_in_a_read_only_transaction_with_extensions_off(demo_copy):
    db = Database(demo_copy)
    with db.reading() as con:
        assert con.execute("SELECT current_setting('autoload_known_extensions'), "
                           "current_setting('autoinstall_known_extensions')").fetchone() == (False, False)
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("DELETE FROM activities")
    with db.writing() as con:
        assert con.execute("SELECT current_setting('autoload_known_extensions')").fetchone() == (False,)


def test_a_program_outside_the_protocol_holding_the_file_is_waited_for_then_reported_busy(demo_copy):
    holder = subprocess.Popen(
        [sys.executable, "-c", (f"import duckdb, sys; c = duckdb.connect({str(demo_copy)!r}); "
                               "print('open', flush=True); sys.stdin.read()")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(DatabaseBusy) as caught, Database(demo_copy).reading(wait=0.5):
            pass
        assert caught.value.message("en") == t("database.busy_read", "en", name="demo_copy.duckdb")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    with Database(demo_copy).reading() as con:  # free again
        assert con.execute("SELECT count(*) FROM imports").fetchone() == (5,)


# ── the data version ─────────────────────────────────────────────────────────────────────────

def test_the_data_version_moves_with_every_write_from_any_process_and_only_then(demo_copy, tmp_path):
    db = Database(demo_copy)
    first = db.version()
    with db.reading() as con:
        kpi_state(con)
    assert db.version() == first
    assert run_cli_process("kpis", "--json", db=demo_copy).returncode == 0
    assert db.version() == first
    result = run_cli_process("import", str(tirane_activities(tmp_path)), db=demo_copy)
    assert result.returncode == 0, result.stderr
    second = db.version()
    assert second != first
    assert run_cli_process("undo", "6", db=demo_copy).returncode == 0
    assert db.version() not in (first, second)


def versions(db: Database) -> tuple[str, str]:
    with db.snapshot() as snap:
        return snap.version, snap.data_version


@pytest.mark.parametrize("write", ["sign in", "sign out", "failed sign-in", "add a user", "new password",
                                   "remove a user"])
def test_a_sign_in_or_a_user_change_moves_the_version_but_not_the_datas(demo_copy, write, quick_hashes):
    """Every process empties its caches of figures when data_version moves: a sign-in must not."""
    db = Database(demo_copy)
    accounts.add(db, "koord", "coordinator", [], "a long enough passphrase", cli_viewer())
    accounts.add(db, "dona", "donor", [], "a long enough passphrase", cli_viewer())
    token = accounts.sign_in(db, "koord", "a long enough passphrase", "192.0.2.1")
    before = versions(db)
    if write == "sign in":
        accounts.sign_in(db, "dona", "a long enough passphrase", "192.0.2.2")
    elif write == "sign out":
        accounts.sign_out(db, token, "192.0.2.1")
    elif write == "failed sign-in":
        with pytest.raises(SignInRefused):
            accounts.sign_in(db, "dona", "not the passphrase", "192.0.2.2")
    elif write == "add a user":
        accounts.add(db, "arta", "partner", ["Tiranë"], "a long enough passphrase", cli_viewer())
    elif write == "new password":
        accounts.change_password(db, "dona", "another long passphrase", cli_viewer())
    else:
        accounts.remove(db, "dona", cli_viewer())
    after = versions(db)
    assert after[0] != before[0] and after[1] == before[1]


def test_a_write_of_data_or_a_restore_moves_the_datas_version(demo_copy, tmp_path):
    db = Database(demo_copy)
    first = versions(db)
    db.backup(tmp_path / "backup.duckdb")
    assert versions(db) == first  # a backup only reads
    importing.import_path(db, tirane_activities(tmp_path), by=cli_viewer())
    second = versions(db)
    assert second[0] != first[0] and second[1] != first[1]
    db.restore(tmp_path / "backup.duckdb", who=cli_viewer().name)
    third = versions(db)
    assert third[1] not in (first[1], second[1])


def test_an_open_page_shows_another_processs_import_at_its_next_run(app_db, tmp_path):
    at = open_app("overview", {"lang": "en", "year": "2023", "municipality": "Tiranë"})
    assert metrics(at)["Events"][0] == "21"
    assert run_cli_process("import", str(tirane_activities(tmp_path)), db=app_db).returncode == 0
    at.run()
    assert metrics(at)["Events"][0] == "35"  # its July-September rows replaced by the file's, 14 events more


# ── backup and restore ───────────────────────────────────────────────────────────────────────

def test_a_backup_is_taken_while_readers_read_and_holds_exactly_the_data(demo_copy, tmp_path):
    db = Database(demo_copy)
    entered, release = threading.Event(), threading.Event()
    reader = hold(entered, release, db.reading())
    try:
        summary = db.backup(tmp_path / "backup.duckdb")
    finally:
        release.set()
        reader.join(10)
    assert {k: summary[k] for k in ("schema_version", "imports", "stored_imports")} == {
        "schema_version": store.SCHEMA_VERSION, "imports": 5, "stored_imports": 5}
    assert summary["bytes"] == (tmp_path / "backup.duckdb").stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == ["backup.duckdb"]
    assert kpi_state(store.connect(tmp_path / "backup.duckdb", read_only=True)) == kpi_state(
        store.connect(demo_copy, read_only=True))


def test_a_backup_folds_in_what_a_killed_writer_committed(demo_copy, tmp_path):
    script = ("import os, sys; from pop_analytics import store, importing; import datetime as dt; "
              f"con = store.connect({str(demo_copy)!r}); "
              f"r = importing.import_path(con, {str(tirane_activities(tmp_path))!r}, today=dt.date(2026, 11, 21)); "
              "assert r.status == 'imported', r.errors; os._exit(9)")
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert killed.returncode == 9, killed.stderr
    assert Path(str(demo_copy) + ".wal").exists()
    Database(demo_copy).backup(tmp_path / "backup.duckdb")
    assert not Path(str(tmp_path / "backup.duckdb") + ".wal").exists()
    con = duckdb.connect(str(tmp_path / "backup.duckdb"), read_only=True)
    assert con.execute("SELECT id, file_name, state FROM imports WHERE id = 6").fetchall() == [
        (6, "Raporti_Tirane_T3_2023.xlsx", "stored")]
    con.close()


def test_restore_brings_a_backup_back_and_keeps_the_replaced_file_aside(demo_copy, tmp_path):
    db = Database(demo_copy)
    db.backup(tmp_path / "backup.duckdb")
    with db.reading() as con:
        before = kpi_state(con)
    report = importing.import_path(db, tirane_activities(tmp_path), today=TODAY)
    assert report.status == "imported"
    replaced_bytes = demo_copy.read_bytes()
    version = db.version()
    result = run_cli("restore", str(tmp_path / "backup.duckdb"), db=demo_copy)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (f"Restored from {tmp_path / 'backup.duckdb'}: 5 imports (5 stored), schema version "
                        f"{store.SCHEMA_VERSION}.")
    aside = Path(lines[1].removeprefix("The database it replaced is kept as ").removesuffix("."))
    assert aside.parent == demo_copy.parent and aside.name.startswith("demo_copy.duckdb.replaced-")
    assert aside.read_bytes() == replaced_bytes
    with db.reading() as con:
        assert kpi_state(con) == before
    assert db.version() != version


@pytest.mark.parametrize(("fault", "error"), [
    ("text_file", DatabaseUnreadable), ("truncated", DatabaseUnreadable), ("other_duckdb", DatabaseUnreadable),
    ("newer", DatabaseTooNew), ("missing", DatabaseMissing),
])
def test_restore_of_something_that_is_not_a_usable_backup_changes_nothing(demo_copy, demo_db, tmp_path, fault, error):
    folder = tmp_path / "source"
    folder.mkdir()
    source = FAULTS[fault](folder, demo_db)
    before = demo_copy.read_bytes()
    with pytest.raises(error):
        Database(demo_copy).restore(source, who="admin")
    assert demo_copy.read_bytes() == before
    assert sorted(p.name for p in demo_copy.parent.iterdir() if p.name.startswith("demo_copy")) == [
        "demo_copy.duckdb", *(["demo_copy.duckdb.lock"] if (demo_copy.parent / "demo_copy.duckdb.lock").exists()
                              else [])]


def test_restore_is_refused_while_a_writer_is_at_work(demo_copy, tmp_path):
    db = Database(demo_copy)
    db.backup(tmp_path / "backup.duckdb")
    before = demo_copy.read_bytes()
    entered, release = threading.Event(), threading.Event()
    writer = hold(entered, release, db.writing())
    try:
        with pytest.raises(DatabaseBusy) as caught:
            db.restore(tmp_path / "backup.duckdb", who="admin", wait=0.3)
        assert caught.value.reason == "busy_write"
    finally:
        release.set()
        writer.join(10)
    assert demo_copy.read_bytes() == before
    assert not list(demo_copy.parent.glob("demo_copy.duckdb.replaced-*"))


def test_an_older_backup_is_brought_forward_when_restored(demo_copy, tmp_path):
    old = tmp_path / "old.duckdb"
    shutil.copy(demo_copy, old)
    con = duckdb.connect(str(old))
    con.execute(UNDO_MIGRATIONS_3_TO_10)
    con.close()
    summary, _aside = Database(demo_copy).restore(old, who="admin")
    assert summary["schema_version"] == store.SCHEMA_VERSION
    with Database(demo_copy).reading() as con:
        assert con.execute("SELECT count(*) FROM current_priority_status").fetchone() == (735,)
        assert con.execute("SELECT count(*) FROM approved_priority_status").fetchone() == (735,)


# ── a restore and the audit log, users and sessions ──────────────────────────────────────────

PASSWORD = "correct horse battery"


def audit_log(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT id, happened_at, who, address, action, target, detail FROM audit ORDER BY id").fetchall()
    finally:
        con.close()


def restore_by_cli(capsys, db: Path, backup: Path) -> list[str]:
    code = cli.main(["--db", str(db), "restore", str(backup)])
    printed = capsys.readouterr()
    assert (code, printed.err) == (0, "")
    return printed.out.splitlines()


def test_restore_carries_the_audit_rows_since_the_backup_over_and_is_recorded_itself(demo_copy, tmp_path, capsys,
                                                                                   quick_hashes):
    db, backup = Database(demo_copy), tmp_path / "backup.duckdb"
    accounts.add(db, "koord", "coordinator", [], PASSWORD, cli_viewer())
    db.backup(backup)
    in_backup = audit_log(backup)
    accounts.add(db, "partner", "partner", ["Tiranë"], PASSWORD, cli_viewer())
    with pytest.raises(SignInRefused):
        accounts.sign_in(db, "koord", "not the password", "10.0.0.9")
    accounts.remove(db, "partner", cli_viewer())
    since = audit_log(demo_copy)[len(in_backup):]
    assert [row[4] for row in since] == ["user_add", "signin_failed", "user_remove"]

    lines = restore_by_cli(capsys, demo_copy, backup)
    aside = Path(lines[1].removeprefix("The database it replaced is kept as ").removesuffix("."))
    assert lines[2] == t("cli.restore.carried", "en", count=3) == (
        "3 audit log entries written since the backup were carried over, the restore itself is recorded, and every "
        "session has ended (everyone signs in again).")
    after = audit_log(demo_copy)
    assert after[:-1] == in_backup + since  # the same rows, ids and times
    restored = after[-1]
    assert (restored[0], *restored[2:6]) == (since[-1][0] + 1, cli_viewer().name, None, "restore", "backup.duckdb")
    assert json.loads(restored[6]) == {"backup": "backup.duckdb", "replaced": aside.name, "carried": 3,
                                       "sessions_ended": 0}

    # The log goes on after it, and a second restore of the same backup keeps every row again.
    accounts.add(db, "donor", "donor", [], PASSWORD, cli_viewer())
    before_second = audit_log(demo_copy)
    assert before_second[:-1] == after and before_second[-1][0] == restored[0] + 1
    lines = restore_by_cli(capsys, demo_copy, backup)
    assert lines[2] == t("cli.restore.carried", "en", count=5)
    again = audit_log(demo_copy)
    assert again[:-1] == before_second and again[-1][4] == "restore"
    assert [p.name for p in sorted(demo_copy.parent.glob("demo_copy.duckdb.replaced-*"))] == sorted(
        [aside.name, Path(lines[1].removeprefix("The database it replaced is kept as ").removesuffix(".")).name])


def test_every_session_ends_at_a_restore_and_a_removed_user_comes_back_without_theirs(demo_copy, tmp_path,
                                                                                    quick_hashes):
    db, backup = Database(demo_copy), tmp_path / "backup.duckdb"
    accounts.add(db, "koord", "coordinator", [], PASSWORD, cli_viewer())
    accounts.add(db, "partner", "partner", ["Tiranë"], PASSWORD, cli_viewer())
    tokens = [accounts.sign_in(db, name, PASSWORD, "10.0.0.1") for name in ("koord", "partner")]
    db.backup(backup)
    tokens.append(accounts.sign_in(db, "koord", PASSWORD, "10.0.0.2"))
    accounts.remove(db, "partner", cli_viewer())
    summary, _aside = db.restore(backup, who="admin")
    assert summary["sessions_ended"] == 2  # the backup's two; the one begun since is not in it at all
    with db.reading() as con:
        assert store.users(con)["name"].tolist() == ["koord", "partner"]  # a restore brings users back
        assert [store.session(con, accounts.token_hash(token)) for token in tokens] == [None, None, None]
        assert con.execute("SELECT count(*) FROM sessions WHERE ended_at IS NULL").fetchone() == (0,)


def test_sign_in_slowing_survives_a_restore(demo_copy, tmp_path, quick_hashes):
    db, backup = Database(demo_copy), tmp_path / "backup.duckdb"
    accounts.add(db, "koord", "coordinator", [], PASSWORD, cli_viewer())
    db.backup(backup)
    for _ in range(settings.SIGNIN_FREE_TRIES):
        with pytest.raises(SignInRefused):
            accounts.sign_in(db, "koord", "not the password", "10.0.0.7")
    with pytest.raises(SignInRefused) as slowed:
        accounts.sign_in(db, "koord", PASSWORD, "10.0.0.7")
    assert slowed.value.reason == "slowed"
    db.restore(backup, who="admin")
    with pytest.raises(SignInRefused) as still:
        accounts.sign_in(db, "koord", PASSWORD, "10.0.0.7")
    assert still.value.reason == "slowed"


def test_restore_replaces_a_damaged_database_and_says_its_log_could_not_be_carried_over(demo_copy, tmp_path, capsys):
    backup = tmp_path / "backup.duckdb"
    Database(demo_copy).backup(backup)
    damaged = demo_copy.read_bytes()[:300_000]
    demo_copy.write_bytes(damaged)
    lines = restore_by_cli(capsys, demo_copy, backup)
    assert lines[2] == t("cli.restore.log_unread", "en")
    aside = Path(lines[1].removeprefix("The database it replaced is kept as ").removesuffix("."))
    assert aside.read_bytes() == damaged  # its log is there still
    last = audit_log(demo_copy)[-1]
    assert last[4] == "restore" and json.loads(last[6])["carried"] is None


def test_a_fresh_database_made_by_the_writer_is_current(tmp_path):
    path = tmp_path / "sub" / "pop.duckdb"
    with Database(path).writing() as con:
        assert store.schema_version(con) == store.SCHEMA_VERSION
    assert sorted(p.name for p in path.parent.iterdir()) == ["pop.duckdb", "pop.duckdb.lock", "pop.duckdb.queue"]
    with Database(path).reading() as con:
        assert store.history(con).empty


@pytest.fixture
def read_only_mount(tmp_path, demo_db):
    """A copy of the demo database on a read-only bind mount (root may mount; a read-only mount
    stops root's writes too, which permissions do not)."""
    source, mounted = tmp_path / "source", tmp_path / "mounted"
    source.mkdir()
    mounted.mkdir()
    shutil.copy(demo_db, source / "pop.duckdb")
    steps = [["mount", "--bind", str(source), str(mounted)], ["mount", "-o", "remount,bind,ro", str(mounted)]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            subprocess.run(["umount", str(mounted)], capture_output=True, check=False)
            pytest.skip(f"this machine does not allow a read-only bind mount: {done.stderr.strip()}")
    yield mounted / "pop.duckdb"
    subprocess.run(["umount", str(mounted)], capture_output=True, check=True)


def test_pages_read_a_database_on_a_read_only_mount_and_an_upload_says_it_cannot_write(read_only_mount,
                                                                                       monkeypatch):
    monkeypatch.setenv("POP_DB", str(read_only_mount))
    before = read_only_mount.read_bytes()
    at = open_app("overview", {"lang": "en", "year": "2020"})
    assert not at.exception and not at.error
    assert metrics(at)["Fully addressed"][0] == "17.0%"
    with pytest.raises(DatabaseReadOnly) as caught, Database(read_only_mount).writing():
        pass
    assert caught.value.message("en") == t("database.read_only", "en", name="pop.duckdb")
    assert read_only_mount.read_bytes() == before


def test_a_full_disk_during_an_import_is_a_sentence_and_the_data_stays_as_it_was(tmp_path, demo_db):
    """A tmpfs a little larger than the demo database: the import's write runs out of room."""
    small = tmp_path / "small"
    small.mkdir()
    size_kb = demo_db.stat().st_size // 1024 + 600
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(small)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"this machine does not allow a tmpfs mount: {done.stderr.strip()}")
    try:
        db = small / "pop.duckdb"
        shutil.copy(demo_db, db)
        with Database(db).reading() as con:
            before = kpi_state(con)
        rows = [["Data", "Bashkia", "Lloji i aktivitetit", "Numri i aktiviteteve", "Shënime"]]
        rows += [[f"{day % 28 + 1:02d}.{month:02d}.2024", "Fier", "Fokus grup", 1, "x" * 40]
                 for month in range(1, 13) for day in range(2500)]
        big = write_csv(tmp_path / "big.csv", rows)
        result = run_cli("import", str(big), db=db)
        assert (result.returncode, result.stderr) == (1, "Error: " + t("database.disk_full", "en", name="pop.duckdb")
                                                      + "\n")
        with Database(db).reading() as con:
            assert kpi_state(con) == before
    finally:
        subprocess.run(["umount", str(small)], capture_output=True, check=True)
