"""The DuckDB store: schema and migrations, and the one place that writes.

Nothing is deleted by a newer file: rows it replaces are marked superseded_by that import, so
undo can bring them back exactly. Current data is every row whose superseded_by is NULL: the views
current_<table>, which every reader uses. What donors see is a second layer over the same rows: rows
of approved imports not replaced by a later approved one (approved_superseded_by), the views
approved_<table>; a reader that may see only those reads them under the current_ names (scope.Sight).
"""
from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import reference
from .errors import DatabaseTooNew, MigrationFailed, Problem, ReviewRefused, UndoRefused
from .settings import DUCKDB_CONFIG, database_path

if TYPE_CHECKING:  # validate needs nothing of store: only the type is named here
    from .validate import Batch


def theme_mask_sql(themes: str) -> str:
    """SQL for the bits of a list of theme keys ORed together (a list holds each theme once). A
    theme filter then tests one integer per row instead of searching a list."""
    cases = " ".join(f"WHEN '{key}' THEN {bit}" for key, bit in reference.theme_bits().items())
    return f"coalesce(list_sum(list_transform({themes}, lambda t: CASE t {cases} ELSE 0 END)), 0)"


# How a file's activities are stored: replacing the stored activities of each municipality and month
# it holds (the rule, and the default), or added beside them (a late activity for a month reported).
# Priorities, figures and targets always replace their key: a key holds one value.
REPLACE_MODE, ADD_MODE = "replace", "add"
MODES = (REPLACE_MODE, ADD_MODE)

# What an import reported: for each municipality, every month from its first activity to its last (a
# sheet of three months with activities in two of them reported the third too: nothing happened), and
# each year it gave priorities a status for. {only} narrows it to one import.
REPORTED_PERIODS_SQL = """
    SELECT import_id, 'activities', municipality, year(first_day), month(first_day) FROM (
        SELECT import_id, municipality, unnest(generate_series(CAST(date_trunc('month', min(date)) AS DATE),
                                                               CAST(date_trunc('month', max(date)) AS DATE),
                                                               INTERVAL 1 MONTH)) AS first_day
        FROM activities WHERE true {only} GROUP BY import_id, municipality)
    UNION SELECT DISTINCT import_id, 'priorities', municipality, year, NULL FROM priority_status WHERE true {only}"""

# The rows the women's share counts: those that give both women and men (a row without the split
# says nothing of it). kpis counts them over rows, ACTIVITY_TOTALS_SQL over its sums.
SPLIT_GIVEN = "women IS NOT NULL AND men IS NOT NULL"

# The imports whose rows donors may see (those rows not replaced there: approved_superseded_by).
APPROVED_IMPORTS = "SELECT id FROM imports WHERE review = 'approved'"

# The activities summed per what the filters test and the KPI object groups by, and per the views
# that hold them (everyone's current rows, what donors see; rows in neither are left out). The KPI
# object reads these sums, so its cost follows the number of such groups (bounded by municipalities,
# types, years, cycles and theme sets), not of rows. Every write that stores, replaces, approves or
# takes away activities sums again, in the same transaction, the municipalities and years whose rows
# it may have marked (_refresh_totals). {only} chooses the rows summed.
ACTIVITY_TOTAL_COLUMNS = ("in_current, in_approved, municipality, type, year, cycle, theme_mask, "
                          "events, participants, women, men, youth, split_women, split_men")
ACTIVITY_TOTALS_SQL = f"""
    INSERT INTO activity_totals ({ACTIVITY_TOTAL_COLUMNS})
    SELECT in_current, in_approved, municipality, type, year, cycle, theme_mask,
           CAST(sum(events) AS BIGINT), CAST(sum(participants) AS BIGINT), CAST(sum(women) AS BIGINT),
           CAST(sum(men) AS BIGINT), CAST(sum(youth) AS BIGINT),
           CAST(sum(women) FILTER (WHERE {SPLIT_GIVEN}) AS BIGINT),
           CAST(sum(men) FILTER (WHERE {SPLIT_GIVEN}) AS BIGINT)
    FROM (SELECT municipality, type, year, cycle, theme_mask, events, participants, women, men, youth,
                 superseded_by IS NULL AS in_current,
                 approved_superseded_by IS NULL AND import_id IN ({APPROVED_IMPORTS}) AS in_approved
          FROM activities WHERE {{only}})
    WHERE in_current OR in_approved
    GROUP BY ALL"""

# Each entry moves the schema one version forward; a file of any older version is migrated on open.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: imports, priorities with yearly status observations, activities
        "CREATE SEQUENCE import_ids START 1",
        """CREATE TABLE imports (
            id INTEGER PRIMARY KEY, file_name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
            kind VARCHAR NOT NULL, rows INTEGER NOT NULL, imported_by VARCHAR NOT NULL,
            imported_at TIMESTAMP NOT NULL, state VARCHAR NOT NULL, undone_at TIMESTAMP)""",
        """CREATE TABLE priorities (
            cycle VARCHAR NOT NULL, municipality VARCHAR NOT NULL, code VARCHAR NOT NULL,
            title VARCHAR NOT NULL, theme VARCHAR NOT NULL,
            import_id INTEGER NOT NULL, sheet VARCHAR, excel_row INTEGER, superseded_by INTEGER)""",
        """CREATE TABLE priority_status (
            cycle VARCHAR NOT NULL, municipality VARCHAR NOT NULL, code VARCHAR NOT NULL,
            year INTEGER NOT NULL, status VARCHAR NOT NULL, note VARCHAR, source VARCHAR,
            import_id INTEGER NOT NULL, sheet VARCHAR, excel_row INTEGER, superseded_by INTEGER)""",
        """CREATE TABLE activities (
            date DATE NOT NULL, year INTEGER NOT NULL, month INTEGER NOT NULL, cycle VARCHAR NOT NULL,
            municipality VARCHAR NOT NULL, type VARCHAR NOT NULL, events INTEGER NOT NULL,
            participants INTEGER, women INTEGER, men INTEGER, youth INTEGER, themes VARCHAR[] NOT NULL,
            partner VARCHAR, note VARCHAR, link VARCHAR, source VARCHAR,
            import_id INTEGER NOT NULL, sheet VARCHAR, excel_row INTEGER, superseded_by INTEGER)""",
    ),
    (  # 2: figures reported as totals (newsletters, annual reports) to set beside itemised rows
        """CREATE TABLE figures (
            year INTEGER NOT NULL, date_from DATE, date_to DATE, municipality VARCHAR, type VARCHAR,
            indicator VARCHAR NOT NULL, value DOUBLE NOT NULL, source VARCHAR, note VARCHAR,
            import_id INTEGER NOT NULL, sheet VARCHAR, excel_row INTEGER, superseded_by INTEGER)""",
    ),
    (  # 3: the one definition of current rows, which every reader uses
        *(f"CREATE VIEW current_{table} AS SELECT * EXCLUDE (superseded_by) FROM {table} WHERE superseded_by IS NULL"
          for table in ("priorities", "priority_status", "activities", "figures")),
    ),
    (  # 4: every activity's themes also as bits, for fast theme filters at millions of rows
        "ALTER TABLE activities ADD COLUMN theme_mask BIGINT",
        f"UPDATE activities SET theme_mask = {theme_mask_sql('themes')}",
    ),
    (  # 5: saved mappings (a partner's spelling → a term or a column), with who added them, when and why
        "CREATE SEQUENCE alias_ids START 1",
        """CREATE TABLE aliases (
            id INTEGER PRIMARY KEY, vocabulary VARCHAR NOT NULL, value VARCHAR NOT NULL, folded VARCHAR NOT NULL,
            key VARCHAR NOT NULL, added_by VARCHAR NOT NULL, added_at TIMESTAMP NOT NULL, reason VARCHAR,
            removed_by VARCHAR, removed_at TIMESTAMP)""",
    ),
    (  # 6: sign-in, approval before donors see an import, and the audit log
        # Imports stored before approval existed were live at once: they count as approved.
        "ALTER TABLE imports ADD COLUMN review VARCHAR DEFAULT 'approved'",
        "UPDATE imports SET review = 'approved'",
        "ALTER TABLE imports ADD COLUMN reviewed_by VARCHAR",
        "ALTER TABLE imports ADD COLUMN reviewed_at TIMESTAMP",
        "ALTER TABLE imports ADD COLUMN review_comment VARCHAR",
        # What donors see is a second layer over the same rows: replaced there only by approved imports.
        *(statement for table in ("priorities", "priority_status", "activities", "figures") for statement in (
            f"ALTER TABLE {table} ADD COLUMN approved_superseded_by INTEGER",
            f"UPDATE {table} SET approved_superseded_by = superseded_by",
            f"""CREATE OR REPLACE VIEW current_{table} AS SELECT * EXCLUDE (superseded_by, approved_superseded_by)
                FROM {table} WHERE superseded_by IS NULL""",
            f"""CREATE VIEW approved_{table} AS SELECT * EXCLUDE (superseded_by, approved_superseded_by)
                FROM {table} WHERE approved_superseded_by IS NULL
                  AND import_id IN ({APPROVED_IMPORTS})""")),
        """CREATE TABLE users (
            name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, municipalities VARCHAR[] NOT NULL,
            password_hash VARCHAR NOT NULL, created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            password_changed_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE sessions (
            token_hash VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, address VARCHAR, started_at TIMESTAMP NOT NULL,
            last_seen TIMESTAMP NOT NULL, ended_at TIMESTAMP)""",
        "CREATE SEQUENCE audit_ids START 1",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY, happened_at TIMESTAMP NOT NULL, who VARCHAR NOT NULL, address VARCHAR,
            action VARCHAR NOT NULL, target VARCHAR, detail VARCHAR)""",
    ),
    (  # 7: the project's targets per objective, indicator, year and municipality (NULL: the whole network)
        """CREATE TABLE targets (
            objective VARCHAR NOT NULL, indicator VARCHAR NOT NULL, year INTEGER NOT NULL, municipality VARCHAR,
            target DOUBLE NOT NULL, unit VARCHAR NOT NULL, source VARCHAR, note VARCHAR,
            import_id INTEGER NOT NULL, sheet VARCHAR, excel_row INTEGER, superseded_by INTEGER,
            approved_superseded_by INTEGER)""",
        """CREATE VIEW current_targets AS SELECT * EXCLUDE (superseded_by, approved_superseded_by)
            FROM targets WHERE superseded_by IS NULL""",
        f"""CREATE VIEW approved_targets AS SELECT * EXCLUDE (superseded_by, approved_superseded_by)
            FROM targets WHERE approved_superseded_by IS NULL
              AND import_id IN ({APPROVED_IMPORTS})""",
    ),
    (  # 8: whether an import's activities replace their months or are added beside them (ADD_MODE), and
       # the warnings the uploader saw, which the coordinator who reviews it reads too (JSON)
        f"ALTER TABLE imports ADD COLUMN mode VARCHAR DEFAULT '{REPLACE_MODE}'",
        f"UPDATE imports SET mode = '{REPLACE_MODE}'",
        "ALTER TABLE imports ADD COLUMN warnings VARCHAR",
    ),
    (  # 9: when the partner who stored an import read the comment of its rejection (shown until then)
        "ALTER TABLE imports ADD COLUMN comment_read_at TIMESTAMP",
    ),
    (  # 10: API tokens, each acting as its user (its hash only is kept), with its uses counted
        "CREATE SEQUENCE token_ids START 1",
        """CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY, token_hash VARCHAR NOT NULL UNIQUE, name VARCHAR NOT NULL, label VARCHAR NOT NULL,
            created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, revoked_by VARCHAR, revoked_at TIMESTAMP,
            uses BIGINT NOT NULL DEFAULT 0, first_used_at TIMESTAMP, last_used_at TIMESTAMP)""",
    ),
    (  # 11: the network's calendar and the messages that reach people
        # A coordinator's choices that are not per user (whether donors see reporting rates, the key that
        # signs unsubscribe links), each with who set it and when.
        """CREATE TABLE options (
            key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL, set_by VARCHAR NOT NULL, set_at TIMESTAMP NOT NULL)""",
        # How often partners report each kind of sheet and how many days after a period ends it is due, as a
        # coordinator set it (a kind without a row follows data/reference/reporting.csv). A migration step
        # writes no rows of its own: a PostgreSQL replica runs the steps before loading the rows.
        """CREATE TABLE reporting_schedule (
            kind VARCHAR PRIMARY KEY, frequency VARCHAR NOT NULL, deadline_days INTEGER NOT NULL,
            set_by VARCHAR NOT NULL, set_at TIMESTAMP NOT NULL)""",
        # Which municipality and month (NULL: the whole year) each import reported, kept after an undo or a
        # rejection takes its rows away: a rejected report is still a report that came.
        """CREATE TABLE import_periods (
            import_id INTEGER NOT NULL, kind VARCHAR NOT NULL, municipality VARCHAR NOT NULL, year INTEGER NOT NULL,
            month INTEGER)""",
        f"""INSERT INTO import_periods (import_id, kind, municipality, year, month)
            {REPORTED_PERIODS_SQL.format(only="")}""",
        # What a reader may know was reported: restricted to a partner's municipalities like the data (scope).
        "CREATE VIEW reported_periods AS SELECT import_id, kind, municipality, year, month FROM import_periods",
        # Where and in which language a user is written to, and how often for each kind of message.
        "ALTER TABLE users ADD COLUMN email VARCHAR",
        "ALTER TABLE users ADD COLUMN language VARCHAR",
        """CREATE TABLE preferences (
            name VARCHAR NOT NULL, kind VARCHAR NOT NULL, cadence VARCHAR NOT NULL, PRIMARY KEY (name, kind))""",
        # Notifications are worked out from the data each time; only who marked which one read is stored.
        """CREATE TABLE notices_read (
            name VARCHAR NOT NULL, key VARCHAR NOT NULL, read_at TIMESTAMP NOT NULL, PRIMARY KEY (name, key))""",
        # Every e-mail, recorded before it is sent and marked sent after; each notification goes into one
        # message per recipient (deliveries), which is what makes two notify runs never send it twice.
        "CREATE SEQUENCE message_ids START 1",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY, recipient VARCHAR NOT NULL, address VARCHAR NOT NULL, cadence VARCHAR NOT NULL,
            language VARCHAR NOT NULL, items VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, state VARCHAR NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, claimed_by VARCHAR, claimed_at TIMESTAMP, sent_at TIMESTAMP,
            last_error VARCHAR)""",
        """CREATE TABLE deliveries (
            recipient VARCHAR NOT NULL, key VARCHAR NOT NULL, message_id INTEGER NOT NULL,
            PRIMARY KEY (recipient, key))""",
        # A priority's own deadline, when the sheet gives one (else its contract cycle's end).
        "ALTER TABLE priorities ADD COLUMN due DATE",
        """CREATE OR REPLACE VIEW current_priorities AS SELECT * EXCLUDE (superseded_by, approved_superseded_by)
            FROM priorities WHERE superseded_by IS NULL""",
        f"""CREATE OR REPLACE VIEW approved_priorities AS SELECT * EXCLUDE (superseded_by, approved_superseded_by)
            FROM priorities WHERE approved_superseded_by IS NULL
              AND import_id IN ({APPROVED_IMPORTS})""",
    ),
    (  # 12: the activities' sums the KPI object reads (ACTIVITY_TOTALS_SQL), with views as over the rows
        """CREATE TABLE activity_totals (
            in_current BOOLEAN NOT NULL, in_approved BOOLEAN NOT NULL,
            municipality VARCHAR NOT NULL, type VARCHAR NOT NULL, year INTEGER NOT NULL, cycle VARCHAR NOT NULL,
            theme_mask BIGINT, events BIGINT NOT NULL, participants BIGINT, women BIGINT, men BIGINT, youth BIGINT,
            split_women BIGINT, split_men BIGINT)""",
        ACTIVITY_TOTALS_SQL.format(only="true"),
        """CREATE VIEW current_activity_totals AS SELECT * EXCLUDE (in_current, in_approved)
            FROM activity_totals WHERE in_current""",
        """CREATE VIEW approved_activity_totals AS SELECT * EXCLUDE (in_current, in_approved)
            FROM activity_totals WHERE in_approved""",
    ),
)


SCHEMA_VERSION = len(MIGRATIONS)

# Each id sequence and the table whose id column it numbers (a replica restarts each past the highest id).
ID_SEQUENCES = {"import_ids": "imports", "alias_ids": "aliases", "audit_ids": "audit", "token_ids": "api_tokens",
                "message_ids": "messages"}

# What a newer file replaces: rows of the same key that are still current.
SUPERSEDE_KEYS = {
    "priorities": ("cycle", "municipality", "code"),
    "priority_status": ("cycle", "municipality", "code", "year"),
    "activities": ("municipality", "year", "month"),
    "figures": ("year", "indicator", "municipality", "type", "date_from", "date_to"),
    "targets": ("objective", "indicator", "year", "municipality"),
}
DATA_TABLES = tuple(SUPERSEDE_KEYS)

# One word for where an import stands: submitted, approved, rejected or undone.
IMPORT_STATUS_SQL = "CASE WHEN review = 'rejected' THEN 'rejected' WHEN state = 'undone' THEN 'undone' ELSE review END"


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The file's schema version; 0 for a file without the table (new, or not this application's).
    Every snapshot opens the file and asks this first: information_schema would cost a fresh
    connection about 12 ms, the table's own description 2 ms. Not for a caller inside a transaction:
    on a file without the table, the error that says so ends it. (The table is named as text: a
    missing table named in SQL is looked for among the caller's Python variables.)"""
    try:
        con.execute("SELECT 1 FROM pragma_table_info('schema_version') LIMIT 1").fetchone()
    except duckdb.CatalogException:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file holds this application's tables (not some other DuckDB database)."""
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('schema_version', "
                      "'imports')").fetchone()
    return bool(row and row[0] == 2)


def migrate(con: duckdb.DuckDBPyConnection, target: int = SCHEMA_VERSION, name: str = "database",
            migrations: tuple[tuple[str, ...], ...] = MIGRATIONS, current: int | None = None) -> int:
    """Bring the file forward to target: one transaction per step, its version record included, so
    a failed step leaves the file at the version before it. A file newer than this code is refused
    before anything is written to it. Returns the version reached. A caller already in a transaction
    says the current version (schema_version would end the transaction on a file without one)."""
    current = schema_version(con) if current is None else current
    if current > len(migrations):
        raise DatabaseTooNew(name, version=current, supported=len(migrations))
    for version in range(current + 1, target + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP)")
            for statement in migrations[version - 1]:
                con.execute(statement)
            con.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", [version, dt.datetime.now()])
            con.execute("COMMIT")
        except duckdb.Error as error:
            con.execute("ROLLBACK")
            raise MigrationFailed(name, version=version, detail=str(error).splitlines()[0]) from error
    return max(current, target)


def configured(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Per-connection settings: DuckDB's progress bar would print into the CLI's JSON and the
    server's log during a long query."""
    con.execute("SET enable_progress_bar = false")
    return con


def connect(path: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A direct connection (read-write ones created and migrated; read-only ones never migrate), for
    tests and tools that own the file. The app and the CLI go through pop_analytics.database."""
    path = database_path(path)
    if read_only:
        return configured(duckdb.connect(str(path), read_only=True, config=DUCKDB_CONFIG))
    path.parent.mkdir(parents=True, exist_ok=True)
    con = configured(duckdb.connect(str(path), config=DUCKDB_CONFIG))
    try:
        migrate(con, name=path.name)
    except BaseException:
        con.close()
        raise
    return con


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None, sql  # aggregates and nextval always return one row
    return int(row[0])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def find_stored(con: duckdb.DuckDBPyConnection, sha256: str) -> int | None:
    """The id of a stored (not undone) import of exactly this content, if any."""
    row = con.execute("SELECT id FROM imports WHERE sha256 = ? AND state = 'stored' ORDER BY id LIMIT 1",
                      [sha256]).fetchone()
    return row[0] if row else None


def _unregister(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a registered frame; after a failed statement the aborted transaction refuses even this,
    and the error that matters is the statement's own, so that one must not be masked."""
    with suppress(duckdb.TransactionException):
        con.unregister(name)


def _lists(column: pd.Series) -> pa.Array:
    """A column of lists of text as Arrow, each distinct list object converted once (validation lets
    rows with the same cell share one list)."""
    values = column.to_numpy(dtype=object)
    codes, _ = pd.factorize(np.fromiter(map(id, values), dtype=np.int64, count=len(values)))
    seen = np.maximum.accumulate(codes)  # codes are numbered in order of first appearance
    distinct = pa.array(values[np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]])].tolist(), type=pa.list_(pa.string()))
    # Row i is distinct list codes[i]: its items are that list's run of the flattened items.
    starts = distinct.offsets.to_numpy()[:-1].astype(np.int64)
    lengths = np.diff(distinct.offsets.to_numpy()).astype(np.int64)[codes]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    items = np.repeat(starts[codes] - offsets[:-1], lengths) + np.arange(offsets[-1])
    valid = pa.array(~np.asarray(distinct.is_null())[codes]) if distinct.null_count else None
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), distinct.flatten().take(pa.array(items)),
                                    mask=None if valid is None else pc.invert(valid))


def _arrow(frame: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """The frame as an Arrow table, which DuckDB reads in bulk (text columns are Arrow already);
    the frame itself when a column has no plain Arrow form."""
    try:
        columns = {}
        for name in frame.columns:
            column = frame[name]
            if column.dtype == object and any(isinstance(v, list) for v in column.iloc[:1000]):
                columns[name] = _lists(column)
            else:
                columns[name] = pa.Array.from_pandas(column)
        return pa.table(columns) if columns else frame
    except pa.ArrowException:  # DuckDB reads the pandas frame itself, only more slowly
        return frame


@contextmanager
def _incoming(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> Iterator[None]:
    """The frame readable as `incoming` while the block runs."""
    con.register("incoming", _arrow(frame))
    try:
        yield
    finally:
        _unregister(con, "incoming")


def _insert(con: duckdb.DuckDBPyConnection, table: str, import_id: int, select: str) -> None:
    con.execute(f"INSERT INTO {table} BY NAME SELECT {select}, ? AS import_id, NULL AS superseded_by FROM incoming",
                [import_id])


def replaces(table: str, mode: str) -> bool:
    """Whether an import in this mode replaces the stored rows of table that share a key with its
    own (only activities may be added beside their month's rows)."""
    return mode == REPLACE_MODE or table != "activities"


def _replaced(table: str) -> tuple[str, str]:
    """The one definition of what incoming rows replace: (FROM clause of the incoming keys, the
    condition a stored row t meets when it shares a key with them and is still current)."""
    keys = SUPERSEDE_KEYS[table]
    derived = _ACTIVITY_MONTH if table == "activities" else {}
    selected = ", ".join(f"{derived.get(k, k)} AS {k}" for k in keys)
    match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM n.{k}" for k in keys)
    return f"(SELECT DISTINCT {selected} FROM incoming) AS n", f"t.superseded_by IS NULL AND {match}"


def _supersede(con: duckdb.DuckDBPyConnection, table: str, import_id: int, mode: str) -> list[tuple[int, str, int]]:
    """Mark current rows sharing a key with the incoming rows (none when the mode adds them);
    returns (import, file, count) replaced."""
    if not replaces(table, mode):
        return []
    incoming, condition = _replaced(table)
    con.execute(f"UPDATE {table} AS t SET superseded_by = ? FROM {incoming} WHERE t.import_id <> ? AND {condition}",
                [import_id, import_id])
    return con.execute(f"""SELECT t.import_id, i.file_name, count(*) FROM {table} t JOIN imports i ON i.id = t.import_id
                           WHERE t.superseded_by = ? GROUP BY ALL ORDER BY 1""", [import_id]).fetchall()


# An activity's year and month, as stored and as its supersede key.
_ACTIVITY_MONTH = {"year": "year(CAST(date AS DATE))", "month": "month(CAST(date AS DATE))"}


def write(con: duckdb.DuckDBPyConnection, batch: Batch, file_name: str, sha256: str, who: str | None = None,
          kind: str | None = None, review: str = "approved", audit: tuple[str | None, str] | None = None,
          mode: str = REPLACE_MODE, warnings: list | None = None,
          ) -> tuple[int, dict[str, list[tuple[int, str, int]]]]:
    """Store a validated batch in one transaction, approved (donors see it at once) or submitted (it
    waits for a coordinator), its activities replacing their months or added (mode), with the
    warnings its check found (kept for the reviewer). audit=(address, action) records it in the
    audit log in the same transaction. Returns the import id and what it replaced."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}")
    replaced: dict[str, list[tuple[int, str, int]]] = {}
    who = who or getpass.getuser()
    with transaction(con):
        import_id = _scalar(con, "SELECT nextval('import_ids')")
        now = dt.datetime.now()
        con.execute("""INSERT INTO imports (id, file_name, sha256, kind, rows, imported_by, imported_at, state, review,
                                            reviewed_by, reviewed_at, mode, warnings)
                       VALUES (?, ?, ?, ?, ?, ?, ?, 'stored', ?, ?, ?, ?, ?)""",
                    [import_id, file_name, sha256, kind or "+".join(batch.kinds) or "empty", batch.rows, who, now,
                     review, who if review == "approved" else None, now if review == "approved" else None, mode,
                     _problems_json(warnings)])
        if len(batch.priorities):
            frame = batch.priorities
            definitions = (frame.sort_values("year").drop_duplicates(["cycle", "municipality", "code"], keep="last"))
            with _incoming(con, definitions):
                replaced["priorities"] = _supersede(con, "priorities", import_id, mode)
                _insert(con, "priorities", import_id, "cycle, municipality, code, title, theme, sheet, excel_row"
                        + (", CAST(due AS DATE) AS due" if "due" in frame.columns else ""))
            with _incoming(con, frame):
                replaced["priority_status"] = _supersede(con, "priority_status", import_id, mode)
                _insert(con, "priority_status", import_id,
                        "cycle, municipality, code, year, status, note, source, sheet, excel_row")
        if len(batch.activities):
            with _incoming(con, batch.activities):
                replaced["activities"] = _supersede(con, "activities", import_id, mode)
                _insert(con, "activities", import_id,
                        f"CAST(date AS DATE) AS date, {_ACTIVITY_MONTH['year']} AS year, {_ACTIVITY_MONTH['month']} "
                        "AS month, cycle, municipality, type, events, participants, women, men, youth, "
                        f"CAST(themes AS VARCHAR[]) AS themes, {theme_mask_sql('CAST(themes AS VARCHAR[])')} AS "
                        "theme_mask, partner, note, link, source, sheet, excel_row")
        if len(batch.figures):
            with _incoming(con, batch.figures):
                replaced["figures"] = _supersede(con, "figures", import_id, mode)
                _insert(con, "figures", import_id,
                        "year, CAST(date_from AS DATE) AS date_from, CAST(date_to AS DATE) AS date_to, municipality, "
                        "type, indicator, value, source, note, sheet, excel_row")
        if len(batch.targets):
            with _incoming(con, batch.targets):
                replaced["targets"] = _supersede(con, "targets", import_id, mode)
                _insert(con, "targets", import_id,
                        "objective, indicator, year, municipality, target, unit, source, note, sheet, excel_row")
        _record_periods(con, import_id)
        if review == "approved":
            _show_to_donors(con, import_id)
        _totals_to_refresh(con, import_id)
        _refresh_totals(con)
        if audit is not None:
            record(con, who, audit[0], audit[1], str(import_id),
                   {"file": file_name, "rows": batch.rows, "kind": kind or "+".join(batch.kinds), "review": review})
    return import_id, {k: v for k, v in replaced.items() if v}


def _totals_to_refresh(con: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """Note the municipalities and years where import_id has activities: the only rows its storing,
    approval or undo can mark or unmark (_supersede and _settle_donor_view match within a municipality
    and month), whose sums _refresh_totals then makes again."""
    con.execute("CREATE OR REPLACE TEMP TABLE totals_to_refresh AS "
                "SELECT DISTINCT municipality, year FROM activities WHERE import_id = ?", [import_id])


def _refresh_totals(con: duckdb.DuckDBPyConnection) -> None:
    """Sum again the activities of the municipalities and years _totals_to_refresh noted."""
    con.execute("DELETE FROM activity_totals t USING temp.main.totals_to_refresh k "
                "WHERE t.municipality = k.municipality AND t.year = k.year")
    con.execute(ACTIVITY_TOTALS_SQL.format(
        only="(municipality, year) IN (SELECT municipality, year FROM temp.main.totals_to_refresh)"))
    con.execute("DROP TABLE temp.main.totals_to_refresh")


def _record_periods(con: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """What the import reported (municipality and month, or year), kept after its rows go."""
    con.execute("INSERT INTO import_periods (import_id, kind, municipality, year, month) "
                + REPORTED_PERIODS_SQL.format(only="AND import_id = $id"), {"id": import_id})


# A problem's fields as stored with its import: enough to show it again in either language.
_PROBLEM_FIELDS = ("code", "sheet", "row", "column", "value", "params")


def _problems_json(problems: list | None) -> str | None:
    """Problems as their code and parameters: each is written in its reader's language when shown."""
    if not problems:
        return None
    return json.dumps([{f: getattr(p, f) for f in _PROBLEM_FIELDS} for p in problems], ensure_ascii=False,
                      default=_json_scalar)


def _json_scalar(value: object) -> object:
    """A NumPy number (a count from a frame) as the Python number it is."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def import_warnings(con: duckdb.DuckDBPyConnection, import_id: int) -> list[Problem]:
    """The warnings an import's check found, as its uploader read them (none stored before version 8;
    before code and parameters were stored, the two sentences themselves, which stay as written)."""
    row = con.execute("SELECT warnings FROM imports WHERE id = ?", [import_id]).fetchone()
    return [_stored_problem(item) for item in json.loads(row[0])] if row and row[0] else []


def _stored_problem(item: dict) -> Problem:
    written = {lang: item.pop(f"message_{lang}") for lang in ("sq", "en") if f"message_{lang}" in item}
    return Problem(**item, written=written)


def replacing_imports(table: str) -> str:
    """SQL: the approved imports whose rows in table replace, in what donors see, the older rows of
    their key (in the activities, only those stored in replace mode)."""
    return APPROVED_IMPORTS + ("" if replaces(table, ADD_MODE) else f" AND mode = '{REPLACE_MODE}'")


def _show_to_donors(con: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """Put an approved import's rows in what donors see (its keys settled again)."""
    for table in DATA_TABLES:
        _settle_donor_view(con, table, _keys_of(con, table, import_id))


def _keys_of(con: duckdb.DuckDBPyConnection, table: str, import_id: int) -> str:
    """A temporary table of the keys an import's rows have in table; its name."""
    name = f"donor_keys_{table}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT {', '.join(SUPERSEDE_KEYS[table])} "
                f"FROM {table} WHERE import_id = ?", [import_id])
    return name


def _settle_donor_view(con: duckdb.DuckDBPyConnection, table: str, keys: str) -> None:
    """What donors see under these keys: per key, the rows of the newest approved import that has
    rows there and replaces (replacing_imports), and of the approved imports after it that added
    rows; every older approved row is marked replaced by it. One rule whatever the order of
    approvals and undos (a coordinator's import may be approved before an older submitted one)."""
    columns = SUPERSEDE_KEYS[table]
    match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM n.{k}" for k in columns)
    in_keys = " AND ".join(f"s.{k} IS NOT DISTINCT FROM k.{k}" for k in columns)
    settled = "CASE WHEN n.newest IS NULL OR t.import_id >= n.newest THEN NULL ELSE n.newest END"
    con.execute(f"""UPDATE {table} AS t SET approved_superseded_by = {settled}
        FROM (SELECT {', '.join(f'k.{k}' for k in columns)}, max(s.import_id) AS newest
              FROM {keys} AS k LEFT JOIN (SELECT * FROM {table} WHERE import_id IN ({replacing_imports(table)})) AS s
                ON {in_keys}
              GROUP BY ALL) AS n
        WHERE {match} AND t.import_id IN ({APPROVED_IMPORTS})
          AND t.approved_superseded_by IS DISTINCT FROM {settled}""")  # only the rows that change
    con.execute(f"DROP TABLE {keys}")


def _submitted(con: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """Refused unless the import is stored and waits for approval."""
    row = con.execute(f"SELECT {IMPORT_STATUS_SQL} FROM imports WHERE id = ?", [import_id]).fetchone()
    if row is None:
        raise ReviewRefused("unknown", import_id)
    if row[0] != "submitted":
        raise ReviewRefused("not_submitted", import_id, row[0])


def approve(con: duckdb.DuckDBPyConnection, import_id: int, who: str, comment: str | None = None,
            address: str | None = None) -> None:
    """A submitted import becomes what donors see, recorded under who."""
    with transaction(con):
        _submitted(con, import_id)
        con.execute("UPDATE imports SET review = 'approved', reviewed_by = ?, reviewed_at = ?, review_comment = ? "
                    "WHERE id = ?", [who, dt.datetime.now(), comment, import_id])
        _show_to_donors(con, import_id)
        _totals_to_refresh(con, import_id)
        _refresh_totals(con)
        record(con, who, address, "approve", str(import_id), {"comment": comment})


def reject(con: duckdb.DuckDBPyConnection, import_id: int, who: str, comment: str,
           address: str | None = None) -> dict[str, int]:
    """A submitted import is taken out as undo would (the rows it replaced come back), and kept in
    the history as rejected with the comment."""
    _submitted(con, import_id)
    return undo(con, import_id, who=who, address=address, rejected=comment)


def unread_rejections(con: duckdb.DuckDBPyConnection, who: str) -> pd.DataFrame:
    """who's rejected imports whose comment they have not yet marked read, newest first."""
    return con.execute("""SELECT id, file_name, reviewed_by, reviewed_at, review_comment FROM imports
                          WHERE review = 'rejected' AND imported_by = ? AND comment_read_at IS NULL
                          ORDER BY id DESC""", [who]).df()


def mark_rejection_read(con: duckdb.DuckDBPyConnection, import_id: int, who: str) -> None:
    """who read the comment of the rejection of their import: it is no longer shown to them."""
    con.execute("""UPDATE imports SET comment_read_at = ? WHERE id = ? AND imported_by = ? AND review = 'rejected'
                   AND comment_read_at IS NULL""", [dt.datetime.now(), import_id, who])


def _incoming_frames(batch: Batch) -> dict[str, pd.DataFrame]:
    """Each table's incoming rows in a batch (a priority's definition and its statuses come from one frame)."""
    return {"priorities": batch.priorities, "priority_status": batch.priorities, "activities": batch.activities,
            "figures": batch.figures, "targets": batch.targets}


def replaced_rows(con: duckdb.DuckDBPyConnection, batch: Batch, mode: str, columns: dict[str, tuple[str, ...]]
                  ) -> dict[str, pd.DataFrame]:
    """The current rows storing a batch in this mode would replace (the rule _supersede applies),
    each with the columns asked for its table and the file of its import; without writing."""
    found = {}
    for table, frame in _incoming_frames(batch).items():
        if not len(frame) or not replaces(table, mode):
            continue
        incoming, condition = _replaced(table)
        with _incoming(con, frame):
            rows = con.execute(f"""SELECT {', '.join(f't.{c}' for c in columns[table])}, i.file_name
                                   FROM {table} AS t JOIN imports AS i ON i.id = t.import_id, {incoming}
                                   WHERE {condition} ORDER BY ALL""").df()
        if len(rows):
            found[table] = rows
    return found


def leaving_donors(con: duckdb.DuckDBPyConnection, import_id: int, columns: dict[str, tuple[str, ...]]
                   ) -> dict[str, pd.DataFrame]:
    """The rows donors see now that approving a submitted import would take out of their view: the
    rule of _settle_donor_view, which shows per key only the newest replacing approved import and
    the approved imports after it, so the import hides the visible approved rows of its keys that
    are older than itself (none when it adds activities)."""
    row = con.execute("SELECT mode FROM imports WHERE id = ?", [import_id]).fetchone()
    found: dict[str, pd.DataFrame] = {}
    if row is None:
        return found
    for table in DATA_TABLES:
        if not replaces(table, row[0]):
            continue
        keys = SUPERSEDE_KEYS[table]
        match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM n.{k}" for k in keys)
        rows = con.execute(f"""SELECT {', '.join(f't.{c}' for c in columns[table])}, i.file_name
            FROM {table} AS t JOIN imports AS i ON i.id = t.import_id,
                 (SELECT DISTINCT {', '.join(keys)} FROM {table} WHERE import_id = ?) AS n
            WHERE {match} AND t.import_id < ? AND t.approved_superseded_by IS NULL
              AND t.import_id IN ({APPROVED_IMPORTS}) ORDER BY ALL""", [import_id, import_id]).df()
        if len(rows):
            found[table] = rows
    return found


def import_rows(con: duckdb.DuckDBPyConnection, import_id: int, columns: dict[str, tuple[str, ...]]
                ) -> dict[str, pd.DataFrame]:
    """An import's own rows, per table, in the order of its sheets."""
    found = {}
    for table in DATA_TABLES:
        rows = con.execute(f"SELECT {', '.join(columns[table])} FROM {table} WHERE import_id = ? "
                           "ORDER BY sheet, excel_row", [import_id]).df()
        if len(rows):
            found[table] = rows
    return found


def import_record(con: duckdb.DuckDBPyConnection, import_id: int) -> dict | None:
    """One import as the history holds it, with its mode."""
    cursor = con.execute(f"""SELECT id, file_name, kind, rows, imported_by, imported_at, mode,
                                    {IMPORT_STATUS_SQL} AS status, reviewed_by, review_comment
                             FROM imports WHERE id = ?""", [import_id])
    row = cursor.fetchone()
    return None if row is None else dict(zip([d[0] for d in cursor.description or ()], row))


def add_alias(con: duckdb.DuckDBPyConnection, vocabulary: str, value: str, folded: str, key: str, who: str,
              why: str | None, address: str | None = None) -> int:
    """Save a mapping; one that maps the same value is retired by it (kept, with who and when)."""
    with transaction(con):
        now = dt.datetime.now()
        con.execute("UPDATE aliases SET removed_by = ?, removed_at = ? WHERE vocabulary = ? AND folded = ? "
                    "AND removed_at IS NULL", [who, now, vocabulary, folded])
        alias_id = _scalar(con, "SELECT nextval('alias_ids')")
        con.execute("INSERT INTO aliases (id, vocabulary, value, folded, key, added_by, added_at, reason) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [alias_id, vocabulary, value, folded, key, who, now, why])
        record(con, who, address, "mapping_add", str(alias_id),
               {"vocabulary": vocabulary, "value": value, "key": key, "why": why})
    return alias_id


def remove_alias(con: duckdb.DuckDBPyConnection, alias_id: int, who: str, address: str | None = None) -> bool:
    """Retire a mapping (later imports no longer use it); False when no such mapping is in use."""
    with transaction(con):
        found = con.execute("SELECT count(*) FROM aliases WHERE id = ? AND removed_at IS NULL", [alias_id]).fetchone()
        if not found or not found[0]:
            return False
        con.execute("UPDATE aliases SET removed_by = ?, removed_at = ? WHERE id = ?",
                    [who, dt.datetime.now(), alias_id])
        record(con, who, address, "mapping_remove", str(alias_id))
    return True


def alias_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str, str]]:
    """(id, vocabulary, value, key) of the mappings in use, as an import reads with them."""
    return con.execute("SELECT id, vocabulary, value, key FROM aliases WHERE removed_at IS NULL ORDER BY id").fetchall()


def aliases(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The mappings in use, oldest first."""
    return con.execute("SELECT id, vocabulary, value, key, added_by, added_at, reason FROM aliases "
                       "WHERE removed_at IS NULL ORDER BY id").df()


def undo(con: duckdb.DuckDBPyConnection, import_id: int, who: str | None = None, address: str | None = None,
         rejected: str | None = None) -> dict[str, int]:
    """Restore exactly the state before import_id: its rows go, the rows it replaced come back (in
    what donors see too). With who, the audit log records it (as a rejection with its comment when
    rejected is given)."""
    row = con.execute("SELECT state FROM imports WHERE id = ?", [import_id]).fetchone()
    if row is None:
        raise UndoRefused("unknown", import_id)
    if row[0] != "stored":
        raise UndoRefused("already_undone", import_id)
    later = _later_dependants(con, import_id)
    if later:
        raise UndoRefused("replaced_later", import_id, tuple(later))
    removed: dict[str, int] = {}
    with transaction(con):
        _totals_to_refresh(con, import_id)
        for table in DATA_TABLES:
            removed[table] = _scalar(con, f"SELECT count(*) FROM {table} WHERE import_id = ?", [import_id])
            keys = _keys_of(con, table, import_id)
            con.execute(f"DELETE FROM {table} WHERE import_id = ?", [import_id])
            con.execute(f"UPDATE {table} SET superseded_by = NULL WHERE superseded_by = ?", [import_id])
            con.execute(f"UPDATE {table} SET approved_superseded_by = NULL WHERE approved_superseded_by = ?",
                        [import_id])
            _settle_donor_view(con, table, keys)
        _refresh_totals(con)
        now = dt.datetime.now()
        con.execute("UPDATE imports SET state = 'undone', undone_at = ? WHERE id = ?", [now, import_id])
        if rejected is not None:
            con.execute("UPDATE imports SET review = 'rejected', reviewed_by = ?, reviewed_at = ?, review_comment = ? "
                        "WHERE id = ?", [who, now, rejected, import_id])
        if who is not None:
            record(con, who, address, "reject" if rejected is not None else "undo", str(import_id),
                   {"rows": sum(removed.values()), **({"comment": rejected} if rejected is not None else {})})
    return removed


def _later_dependants(con: duckdb.DuckDBPyConnection, import_id: int) -> list[int]:
    union = " UNION ".join(
        f"SELECT DISTINCT superseded_by AS id FROM {t} WHERE import_id = ? AND superseded_by IS NOT NULL"
        for t in DATA_TABLES)
    rows = con.execute(f"SELECT id FROM ({union}) ORDER BY id", [import_id] * len(DATA_TABLES)).fetchall()
    return [r[0] for r in rows]


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(f"""SELECT id, imported_at, imported_by, file_name, kind, rows, state, undone_at, sha256,
                                  {IMPORT_STATUS_SQL} AS status, reviewed_by, reviewed_at, review_comment
                           FROM imports ORDER BY id DESC""").df()


# ── the audit log: appended to, never changed ───────────────────────────────────────────────

def record(con: duckdb.DuckDBPyConnection, who: str, address: str | None, action: str, target: str | None = None,
           detail: dict | None = None) -> int:
    """Append one audit row (inside the caller's transaction when there is one)."""
    audit_id = _scalar(con, "SELECT nextval('audit_ids')")
    con.execute(f"INSERT INTO audit ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [audit_id, dt.datetime.now(), who, address, action, target,
                 json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else None])
    return audit_id


AUDIT_COLUMNS = "id, happened_at, who, address, action, target, detail"


def audit_log(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every audit row as stored, to carry into a restored file (none in a file older than the log)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'audit'").fetchall()[0][0]
    return con.sql(f"SELECT {AUDIT_COLUMNS} FROM audit").to_arrow_table() if exists else no_audit_rows()


def no_audit_rows() -> pa.Table:
    return pa.table({"id": pa.array([], pa.int32())})


def continue_after_restore(con: duckdb.DuckDBPyConnection, live_log: pa.Table | None, who: str, backup: str,
                           replaced: str | None) -> dict:
    """Make a restored file go on from the live one, in one transaction: the live log's rows that the
    backup does not hold are appended (the log only grows, whatever file is restored), every session
    ends (none from the backup's time comes back, a removed user's included), every API token is
    revoked (one revoked since the backup must not work again), and the restore is recorded under
    who. live_log is None when the live file could not be read."""
    with transaction(con):
        carried = _carry_audit(con, live_log) if live_log is not None and live_log.num_rows else 0
        ended = _scalar(con, "SELECT count(*) FROM sessions WHERE ended_at IS NULL")
        con.execute("UPDATE sessions SET ended_at = ? WHERE ended_at IS NULL", [dt.datetime.now()])
        con.execute("UPDATE api_tokens SET revoked_by = ?, revoked_at = ? WHERE revoked_at IS NULL",
                    [who, dt.datetime.now()])
        done = {"carried": carried if live_log is not None else None, "sessions_ended": ended}
        record(con, who, None, "restore", backup, {"backup": backup, "replaced": replaced, **done})
    return done


def _carry_audit(con: duckdb.DuckDBPyConnection, live_log: pa.Table) -> int:
    """Append the live rows the backup does not hold. They keep their ids, which follow the backup's
    own when it is an earlier copy of this file; a row whose id the backup gives to another row (a
    backup of some other file) is numbered after every other. The id sequence moves past them all."""
    con.register("live_audit", live_log)
    try:
        backup_top, top, before = con.execute(
            "SELECT coalesce(max(id), 0), "
            "greatest(coalesce(max(id), 0), (SELECT coalesce(max(id), 0) FROM live_audit)), count(*) FROM audit"
        ).fetchall()[0]
        con.execute(f"""INSERT INTO audit ({AUDIT_COLUMNS})
            SELECT CASE WHEN l.id > ? THEN l.id ELSE ? + row_number() OVER (ORDER BY l.id) END,
                   l.happened_at, l.who, l.address, l.action, l.target, l.detail
            FROM live_audit AS l
            WHERE NOT EXISTS (SELECT 1 FROM audit AS b
                              WHERE b.id = l.id AND b.happened_at = l.happened_at AND b.action = l.action)""",
                    [backup_top, top])
    finally:
        _unregister(con, "live_audit")
    next_id, after = con.execute("SELECT coalesce(max(id), 0) + 1, count(*) FROM audit").fetchall()[0]
    con.execute(f"CREATE OR REPLACE SEQUENCE audit_ids START WITH {int(next_id)}")
    return int(after - before)


def audit_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The audit log, newest first."""
    return con.execute("SELECT id, happened_at, who, address, action, target, detail FROM audit ORDER BY id DESC").df()


def failures_since(con: duckdb.DuckDBPyConnection, since: dt.datetime, name: str, address: str | None
                   ) -> tuple[int, dt.datetime | None]:
    """Failed sign-ins since a moment for this name or from this address, and the latest of them (an
    unknown address is nobody's: it does not slow every other sign-in without one down)."""
    row = con.execute("""SELECT count(*), max(happened_at) FROM audit
                         WHERE action = 'signin_failed' AND happened_at >= ? AND (target = ? OR address = ?)""",
                      [since, name, address]).fetchone()
    assert row is not None
    return int(row[0]), row[1]


# ── users and sessions ───────────────────────────────────────────────────────────────────────

def user_count(con: duckdb.DuckDBPyConnection) -> int:
    return _scalar(con, "SELECT count(*) FROM users")


def user(con: duckdb.DuckDBPyConnection, name: str) -> dict | None:
    row = con.execute("SELECT name, role, municipalities, password_hash, password_changed_at FROM users WHERE name = ?",
                      [name]).fetchone()
    return None if row is None else dict(zip(("name", "role", "municipalities", "password_hash",
                                               "password_changed_at"), row))


def users(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("""SELECT name, role, municipalities, email, language, created_by, created_at,
                                 password_changed_at
                          FROM users ORDER BY role, name""").df()


def put_user(con: duckdb.DuckDBPyConnection, name: str, role: str, municipalities: list[str], password_hash: str,
             who: str, address: str | None) -> None:
    with transaction(con):
        now = dt.datetime.now()
        con.execute("INSERT INTO users (name, role, municipalities, password_hash, created_by, created_at, "
                    "password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [name, role, municipalities, password_hash, who, now, now])
        record(con, who, address, "user_add", name, {"role": role, "municipalities": municipalities})


def set_password(con: duckdb.DuckDBPyConnection, name: str, password_hash: str, who: str, address: str | None) -> None:
    """A new password ends every session of that user."""
    with transaction(con):
        now = dt.datetime.now()
        con.execute("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?",
                    [password_hash, now, name])
        con.execute("UPDATE sessions SET ended_at = ? WHERE name = ? AND ended_at IS NULL", [now, name])
        record(con, who, address, "user_password", name)


def delete_user(con: duckdb.DuckDBPyConnection, name: str, who: str, address: str | None) -> None:
    """The user goes, every session of theirs ends and every API token of theirs is revoked (a user
    added later under the same name must not inherit them); what they did stays in the history and audit."""
    with transaction(con):
        con.execute("DELETE FROM users WHERE name = ?", [name])
        con.execute("DELETE FROM preferences WHERE name = ?", [name])  # a later user of the name starts afresh
        con.execute("DELETE FROM notices_read WHERE name = ?", [name])
        con.execute("UPDATE sessions SET ended_at = ? WHERE name = ? AND ended_at IS NULL", [dt.datetime.now(), name])
        con.execute("UPDATE api_tokens SET revoked_by = ?, revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                    [who, dt.datetime.now(), name])
        record(con, who, address, "user_remove", name)


def start_session(con: duckdb.DuckDBPyConnection, token_hash: str, name: str, address: str | None) -> None:
    with transaction(con):
        now = dt.datetime.now()
        con.execute("INSERT INTO sessions (token_hash, name, address, started_at, last_seen) VALUES (?, ?, ?, ?, ?)",
                    [token_hash, name, address, now, now])
        record(con, name, address, "signin", name)


def session(con: duckdb.DuckDBPyConnection, token_hash: str) -> dict | None:
    """A session still open, with its user as now stored (None when either is gone)."""
    row = con.execute("""SELECT s.name, s.started_at, s.last_seen, u.role, u.municipalities
                         FROM sessions s JOIN users u USING (name)
                         WHERE s.token_hash = ? AND s.ended_at IS NULL""", [token_hash]).fetchone()
    return None if row is None else dict(zip(("name", "started_at", "last_seen", "role", "municipalities"), row))


def end_session(con: duckdb.DuckDBPyConnection, token_hash: str, address: str | None, reason: str) -> None:
    with transaction(con):
        row = con.execute("SELECT name FROM sessions WHERE token_hash = ? AND ended_at IS NULL",
                          [token_hash]).fetchone()
        if row is None:
            return
        con.execute("UPDATE sessions SET ended_at = ? WHERE token_hash = ?", [dt.datetime.now(), token_hash])
        record(con, row[0], address, reason, row[0])


def add_token(con: duckdb.DuckDBPyConnection, token_hash: str, name: str, label: str, who: str,
              address: str | None) -> int:
    with transaction(con):
        token_id = _scalar(con, "SELECT nextval('token_ids')")
        con.execute("INSERT INTO api_tokens (id, token_hash, name, label, created_by, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [token_id, token_hash, name, label, who, dt.datetime.now()])
        record(con, who, address, "token_add", name, {"token": token_id, "label": label})
    return token_id


def token_user(con: duckdb.DuckDBPyConnection, token_hash: str) -> dict | None:
    """A token not revoked, with its user as now stored (None when either is gone)."""
    row = con.execute("""SELECT t.id, t.name, u.role, u.municipalities FROM api_tokens t JOIN users u USING (name)
                         WHERE t.token_hash = ? AND t.revoked_at IS NULL""", [token_hash]).fetchone()
    return None if row is None else dict(zip(("id", "name", "role", "municipalities"), row))


def tokens(con: duckdb.DuckDBPyConnection, name: str | None = None) -> pd.DataFrame:
    """Every token (of one user, when name is given), newest first; never its hash."""
    return con.execute("""SELECT id, name, label, created_by, created_at, uses, first_used_at, last_used_at,
                                 revoked_by, revoked_at
                          FROM api_tokens WHERE CAST($name AS VARCHAR) IS NULL OR name = $name ORDER BY id DESC""",
                       {"name": name}).df()


def token_owner(con: duckdb.DuckDBPyConnection, token_id: int) -> tuple[str, bool] | None:
    """(the user a token acts for, whether it is revoked), None for an unknown token."""
    row = con.execute("SELECT name, revoked_at IS NOT NULL FROM api_tokens WHERE id = ?", [token_id]).fetchone()
    return None if row is None else (str(row[0]), bool(row[1]))


def revoke_token(con: duckdb.DuckDBPyConnection, token_id: int, who: str, address: str | None) -> None:
    with transaction(con):
        con.execute("UPDATE api_tokens SET revoked_by = ?, revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                    [who, dt.datetime.now(), token_id])
        record(con, who, address, "token_revoke", None, {"token": token_id})


def count_token_uses(con: duckdb.DuckDBPyConnection, uses: dict[int, tuple[int, dt.datetime, dt.datetime]]) -> None:
    """Add uses counted in memory: token id → (count, first use, last use)."""
    with transaction(con):
        for token_id, (count, first, last) in uses.items():
            con.execute("""UPDATE api_tokens SET uses = uses + ?, first_used_at = coalesce(first_used_at, ?),
                           last_used_at = greatest(coalesce(last_used_at, ?), ?) WHERE id = ?""",
                        [count, first, last, last, token_id])


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every current row of every data table, sorted: two snapshots are equal when the data is."""
    return {t: sorted(repr(row) for row in con.execute(f"SELECT * EXCLUDE (import_id) FROM current_{t}").fetchall())
            for t in DATA_TABLES}
