"""The DuckDB store: schema and migrations, and the one place that writes.

Nothing is deleted by a newer file: rows it replaces are marked superseded_by that import, so
undo can bring them back exactly. Current data is every row whose superseded_by is NULL.
"""
from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from .errors import DatabaseBusy, UndoRefused
from .settings import database_path

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
)
SCHEMA_VERSION = len(MIGRATIONS)

# What a newer file replaces: rows of the same key that are still current.
SUPERSEDE_KEYS = {
    "priorities": ("cycle", "municipality", "code"),
    "priority_status": ("cycle", "municipality", "code", "year"),
    "activities": ("municipality", "year", "month"),
    "figures": ("year", "indicator", "municipality", "type", "date_from", "date_to"),
}
DATA_TABLES = tuple(SUPERSEDE_KEYS)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'").fetchone()[0]
    return con.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0 if exists else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int = SCHEMA_VERSION) -> int:
    """Bring the file forward to target, one transaction per step. Returns the version reached."""
    current = schema_version(con)
    if current == 0:
        con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP)")
    for version in range(current + 1, target + 1):
        con.execute("BEGIN")
        for statement in MIGRATIONS[version - 1]:
            con.execute(statement)
        con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, dt.datetime.now()])
        con.execute("COMMIT")
    return max(current, target)


def connect(path: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database (creating and migrating it when writable)."""
    path = database_path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise DatabaseBusy(
                f"The database {path} is open in another program (probably the dashboard). "
                "Stop it, or import through the dashboard's Upload page.") from None
        raise
    if not read_only:
        migrate(con)
    return con


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


def _insert(con, table: str, frame: pd.DataFrame, import_id: int, select: str) -> None:
    con.register("incoming", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT {select}, ? AS import_id, NULL AS superseded_by FROM incoming",
                    [import_id])
    finally:
        con.unregister("incoming")


def _supersede(con, table: str, keys_frame: pd.DataFrame, import_id: int) -> list[tuple[int, str, int]]:
    """Mark current rows sharing a key with the new rows; returns (import, file, count) replaced."""
    if keys_frame.empty:
        return []
    keys = SUPERSEDE_KEYS[table]
    con.register("new_keys", keys_frame[list(keys)].drop_duplicates())
    try:
        match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM n.{k}" for k in keys)
        con.execute(f"""UPDATE {table} AS t SET superseded_by = ? FROM new_keys AS n
                        WHERE t.superseded_by IS NULL AND t.import_id <> ? AND {match}""", [import_id, import_id])
    finally:
        con.unregister("new_keys")
    return con.execute(f"""SELECT t.import_id, i.file_name, count(*) FROM {table} t JOIN imports i ON i.id = t.import_id
                           WHERE t.superseded_by = ? GROUP BY ALL ORDER BY 1""", [import_id]).fetchall()


def _activity_rows(frame: pd.DataFrame) -> pd.DataFrame:
    dates = pd.to_datetime(frame["date"])
    return frame.assign(date=dates, year=dates.dt.year, month=dates.dt.month)


def write(con: duckdb.DuckDBPyConnection, batch, file_name: str, sha256: str, who: str | None = None,
          kind: str | None = None) -> tuple[int, dict[str, list[tuple[int, str, int]]]]:
    """Store a validated batch in one transaction. Returns the import id and what it replaced."""
    replaced: dict[str, list[tuple[int, str, int]]] = {}
    with transaction(con):
        import_id = con.execute("SELECT nextval('import_ids')").fetchone()[0]
        con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, 'stored', NULL)",
                    [import_id, file_name, sha256, kind or "+".join(batch.kinds) or "empty", batch.rows,
                     who or getpass.getuser(), dt.datetime.now()])
        if len(batch.priorities):
            frame = batch.priorities
            definitions = (frame.sort_values("year").drop_duplicates(["cycle", "municipality", "code"], keep="last"))
            replaced["priorities"] = _supersede(con, "priorities", definitions, import_id)
            _insert(con, "priorities", definitions, import_id, "cycle, municipality, code, title, theme, sheet, excel_row")
            replaced["priority_status"] = _supersede(con, "priority_status", frame, import_id)
            _insert(con, "priority_status", frame, import_id,
                    "cycle, municipality, code, year, status, note, source, sheet, excel_row")
        if len(batch.activities):
            frame = _activity_rows(batch.activities)
            replaced["activities"] = _supersede(con, "activities", frame, import_id)
            _insert(con, "activities", frame, import_id,
                    "CAST(date AS DATE) AS date, year, month, cycle, municipality, type, events, participants, women, "
                    "men, youth, CAST(themes AS VARCHAR[]) AS themes, partner, note, link, source, sheet, excel_row")
        if len(batch.figures):
            frame = batch.figures
            replaced["figures"] = _supersede(con, "figures", frame, import_id)
            _insert(con, "figures", frame, import_id,
                    "year, CAST(date_from AS DATE) AS date_from, CAST(date_to AS DATE) AS date_to, municipality, type, "
                    "indicator, value, source, note, sheet, excel_row")
    return import_id, {k: v for k, v in replaced.items() if v}


def undo(con: duckdb.DuckDBPyConnection, import_id: int) -> dict[str, int]:
    """Restore exactly the state before import_id: its rows go, the rows it replaced come back."""
    row = con.execute("SELECT state FROM imports WHERE id = ?", [import_id]).fetchone()
    if row is None:
        raise UndoRefused(f"There is no import #{import_id}. See 'history' for the imports stored.")
    if row[0] != "stored":
        raise UndoRefused(f"Import #{import_id} was already undone.")
    later = _later_dependants(con, import_id)
    if later:
        listed = ", ".join(f"#{i}" for i in later)
        raise UndoRefused(f"Import #{import_id} cannot be undone while later imports replace some of its rows: "
                          f"undo {listed} first.")
    removed: dict[str, int] = {}
    with transaction(con):
        for table in DATA_TABLES:
            removed[table] = con.execute(f"SELECT count(*) FROM {table} WHERE import_id = ?", [import_id]).fetchone()[0]
            con.execute(f"DELETE FROM {table} WHERE import_id = ?", [import_id])
            con.execute(f"UPDATE {table} SET superseded_by = NULL WHERE superseded_by = ?", [import_id])
        con.execute("UPDATE imports SET state = 'undone', undone_at = ? WHERE id = ?", [dt.datetime.now(), import_id])
    return removed


def _later_dependants(con, import_id: int) -> list[int]:
    union = " UNION ".join(
        f"SELECT DISTINCT superseded_by AS id FROM {t} WHERE import_id = ? AND superseded_by IS NOT NULL"
        for t in DATA_TABLES)
    return [r[0] for r in con.execute(f"SELECT id FROM ({union}) ORDER BY id", [import_id] * len(DATA_TABLES)).fetchall()]


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("""SELECT id, imported_at, imported_by, file_name, kind, rows, state, undone_at, sha256
                          FROM imports ORDER BY id DESC""").df()


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every current row of every data table, sorted: two snapshots are equal when the data is."""
    return {t: sorted(map(repr, con.execute(f"SELECT * EXCLUDE (import_id, superseded_by) FROM {t} "
                                            "WHERE superseded_by IS NULL").fetchall())) for t in DATA_TABLES}
