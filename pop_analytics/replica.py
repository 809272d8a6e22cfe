"""PostgreSQL mode: the system of record is a PostgreSQL database (pop_analytics.postgres); each
process reads an in-memory DuckDB replica of it, so every query, view and sight works unchanged.

- **Reading.** A snapshot is a DuckDB transaction on the replica: one consistent state for a page
  run. Before it starts, the version row is asked (one small query); a replica behind it catches
  up with the rows written since (incrementally: each row carries the version that wrote it). A
  listener thread does the same when PostgreSQL's NOTIFY wakes it, and every PG_POLL_SECONDS in
  case a notification was lost. When PostgreSQL cannot be reached, a snapshot serves the replica as
  it is, marked with the time it was last known to be current.
- **Writing.** A write takes PostgreSQL's writers' lock, brings the replica up to date, and runs
  the store's own code on the replica inside one DuckDB transaction. Before anything is committed,
  the rows it changed (found by each row's hash, in the tables its statements name) are sent to
  PostgreSQL in the same PostgreSQL transaction as the version row; PostgreSQL commits first, then
  the replica. A write that fails anywhere leaves both as they were.
"""
from __future__ import annotations

import atexit
import datetime as dt
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Self, TypeVar, cast

import duckdb
import psycopg
import pyarrow as pa

from . import postgres, settings, store
from .database import Database, Snapshot, describe_file, output_problem, same_file, stage_backup
from .errors import (
    DatabaseMissing,
    DatabaseProblem,
    DatabaseTooNew,
    DatabaseUnreachable,
    OutputIsDatabase,
)
from .postgres import Column
from .scope import EVERYTHING, Sight, restrict

T = TypeVar("T")

_ROW_ID = "_rid"
# Statements that change a table's rows, and the table they name.
_CHANGES = re.compile(r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)
_TRANSACTION = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|ABORT|END)\b", re.IGNORECASE)


class Replica:
    """One process's copy of a PostgreSQL database, in memory."""

    def __init__(self, url: str, name: str):
        self.url, self.name = url, name
        self.con = empty()
        self.columns: dict[str, list[Column]] = {}
        self.schema = self.generation = -1
        self.version = self.data_version = -1
        self.as_of: dt.datetime | None = None  # when the replica was last known to be current
        self.failed_at = 0.0  # monotonic time of the last failed try to reach PostgreSQL
        self.changing = threading.RLock()  # one refresh or write at a time in this process
        self.pinning = threading.Lock()  # a replica commit and a snapshot's start exclude each other
        self._checker: psycopg.Connection | None = None
        self._checking = threading.Lock()
        self._listener: threading.Thread | None = None
        self.closing = False

    # ── loading and catching up ─────────────────────────────────────────────────────────────────

    def load(self, pg: psycopg.Connection) -> None:
        """Build the replica afresh from PostgreSQL (at start, and when the schema moved or every row
        was replaced)."""
        now = postgres.state(pg)
        con, columns, schema = loaded(pg, self.name)
        with self.pinning:
            self.con, self.columns, self.schema, self.generation = con, columns, schema, now.generation
            self.version, self.data_version = now.version, now.data_version
            self.as_of = dt.datetime.now()

    def catch_up(self, pg: psycopg.Connection) -> None:
        """Bring the replica to PostgreSQL's current version (the caller holds self.changing)."""
        now = postgres.state(pg)
        version, data_version = now.version, now.data_version
        if version == self.version:
            self.as_of = dt.datetime.now()
            return
        # Afresh when every row was replaced, the schema moved, or the version went back (a pg_restore).
        if (self.version < 0 or now.generation != self.generation or version < self.version
                or postgres.schema_version(pg) != self.schema):
            self.load(pg)
            return
        cursor = cursor_of(self.con)
        try:
            cursor.execute("BEGIN TRANSACTION")
            for table, rids in postgres.deleted_since(pg, self.version).items():
                if table in self.columns:
                    cursor.execute(f'DELETE FROM "{table}" WHERE {_ROW_ID} IN (SELECT unnest(?))', [rids])
            for table, cols in self.columns.items():
                for rows in postgres.read_rows(pg, table, cols, since=self.version):
                    cursor.register("pop_changed", rows)
                    cursor.execute(f'DELETE FROM "{table}" WHERE {_ROW_ID} IN '
                                   "(SELECT CAST(rid AS BIGINT) FROM pop_changed)")
                    cursor.unregister("pop_changed")
                    insert_rows(cursor, table, cols, rows)
            reset_sequences(cursor)
            with self.pinning:
                cursor.execute("COMMIT")
                self.version, self.data_version = version, data_version
                self.as_of = dt.datetime.now()
        finally:
            cursor.close()
        compress(self.con)

    def check(self) -> None:
        """Catch up if PostgreSQL moved on (a page run's first step): ask the version row, and when
        the replica is behind, catch up, after any catch-up or write of this process in progress
        (as a file's readers wait for its writer). Unreachable: the replica stays as it is
        (snapshots say since when)."""
        if self.failed_at and time.monotonic() - self.failed_at < settings.PG_RETRY_SECONDS:
            if self.version < 0:
                raise DatabaseUnreachable(self.name)  # nothing to serve meanwhile
            return
        now = self._ask()
        if now is None or (now.version == self.version and now.generation == self.generation):
            return
        if not self.changing.acquire(timeout=settings.READ_WAIT_SECONDS):
            return  # a long write of this process: it brings the replica up to date itself
        try:
            with self._checking:
                self._reaching(self._in_one_view)
        finally:
            self.changing.release()

    def _ask(self) -> postgres.State | None:
        """PostgreSQL's version row, or None when it cannot be reached (a replica that has
        nothing yet says so)."""
        with self._checking:
            found = self._reaching(postgres.state)
        if found is not None:
            self.as_of = dt.datetime.now() if found.version == self.version else self.as_of
        return found

    def _reaching(self, use: Callable[[psycopg.Connection], T]) -> T | None:
        """use(the checking connection) with failures handled (the caller holds self._checking)."""
        try:
            if self._checker is None or self._checker.closed:
                self._checker = postgres.connect(self.url, autocommit=True)
            found = use(self._checker)
            self.failed_at = 0.0
            return found
        except (DatabaseUnreachable, psycopg.OperationalError):
            self._drop_checker()
            self.failed_at = time.monotonic()
            if self.version < 0:
                raise DatabaseUnreachable(self.name) from None
            return None
        except psycopg.Error as error:
            self._drop_checker()
            raise postgres.problem(error, self.name) from None

    def _in_one_view(self, pg: psycopg.Connection) -> None:
        """Catch up reading one consistent state of PostgreSQL."""
        pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            self.catch_up(pg)
        finally:
            pg.execute("COMMIT")

    def close(self) -> None:
        self.closing = True
        with self._checking:
            self._drop_checker()
        with suppress(duckdb.Error):
            self.con.close()

    def _drop_checker(self) -> None:
        if self._checker is not None:
            with suppress(Exception):
                self._checker.close()
        self._checker = None

    @property
    def stale(self) -> bool:
        return bool(self.failed_at)

    # ── the listener ────────────────────────────────────────────────────────────────────────────

    def listen(self) -> None:
        """Start, once per process, the thread that catches up when another process writes."""
        if self._listener is None or not self._listener.is_alive():
            self._listener = threading.Thread(target=self._listen, name="pop-replica-listener", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        while not self.closing:
            try:
                with postgres.connect(self.url, autocommit=True) as pg:
                    pg.execute(f"LISTEN {postgres.CHANNEL}")
                    while not self.closing:
                        # woken by another process's commit, or the poll's time is up
                        list(pg.notifies(timeout=settings.PG_POLL_SECONDS, stop_after=1))
                        if self.changing.acquire(blocking=False):
                            try:
                                self._in_one_view(pg)
                                self.failed_at = 0.0
                            finally:
                                self.changing.release()
            except (DatabaseProblem, psycopg.Error):
                self.failed_at = self.failed_at or time.monotonic()
                time.sleep(settings.PG_POLL_SECONDS)

    # ── reading ─────────────────────────────────────────────────────────────────────────────────

    def pinned(self) -> tuple[duckdb.DuckDBPyConnection, int, int]:
        """A cursor inside a transaction that sees the replica as it is now, and its versions."""
        with self.pinning:
            cursor = cursor_of(self.con)
            cursor.execute("BEGIN TRANSACTION")
            cursor.execute("SELECT count(*) FROM schema_version").fetchone()  # the transaction starts here
            return cursor, self.version, self.data_version


# The replica's own in-memory database: compressed (as a file is) once checkpointed, which makes it
# a tenth of the memory and scans as fast as from a file; plain in-memory tables are neither.
_CATALOG = "pop_replica"


def empty() -> duckdb.DuckDBPyConnection:
    con = store.configured(duckdb.connect(":memory:", config=settings.DUCKDB_CONFIG))
    con.execute(f"ATTACH ':memory:' AS {_CATALOG} (COMPRESS)")
    con.execute(f"USE {_CATALOG}")
    return con


def cursor_of(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Another connection to the replica (a cursor starts in DuckDB's default database)."""
    cursor = con.cursor()
    cursor.execute(f"USE {_CATALOG}")
    return cursor


def compress(con: duckdb.DuckDBPyConnection) -> None:
    """Compress what was written since the last time; a reader's transaction may put it off."""
    with suppress(duckdb.Error):
        con.execute(f"CHECKPOINT {_CATALOG}")


def loaded(pg: psycopg.Connection, name: str) -> tuple[duckdb.DuckDBPyConnection, dict[str, list[Column]], int]:
    """An in-memory DuckDB copy of everything PostgreSQL holds (in the caller's transaction)."""
    schema = postgres.schema_version(pg)
    if schema > store.SCHEMA_VERSION:
        raise DatabaseTooNew(name, version=schema, supported=store.SCHEMA_VERSION)
    con = empty()
    store.migrate(con, target=schema, name=name)
    columns = prepare(con)
    if schema:
        con.execute("DELETE FROM schema_version")  # PostgreSQL's own records of its steps follow
    for table, cols in columns.items():
        for rows in postgres.read_rows(pg, table, cols):
            insert_rows(con, table, cols, rows)
            compress(con)  # batch by batch: memory holds the compressed rows and one batch as text
    reset_sequences(con)
    return con, columns, schema


def from_file(path: Path, name: str) -> tuple[duckdb.DuckDBPyConnection, dict[str, list[Column]]]:
    """An in-memory copy of a DuckDB file of the current schema, each row given its identity."""
    con = empty()
    store.migrate(con, name=name)
    columns = prepare(con)
    con.execute("DELETE FROM schema_version")
    con.execute(f"ATTACH {_literal(str(path))} AS pop_source (READ_ONLY)")
    try:
        for table, cols in columns.items():
            names = ", ".join(f'"{c.name}"' for c in cols)
            con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM pop_source.main."{table}"')
    finally:
        con.execute("DETACH pop_source")
    number_new_rows(con, columns)
    reset_sequences(con)
    return con, columns


def to_file(con: duckdb.DuckDBPyConnection, columns: dict[str, list[Column]], path: Path) -> None:
    """Write an in-memory copy into a new DuckDB file of the current schema."""
    made = store.connect(path)
    made.close()
    con.execute(f"ATTACH {_literal(str(path))} AS pop_target")
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM pop_target.main.schema_version")
        for table, cols in columns.items():
            names = ", ".join(f'"{c.name}"' for c in cols)
            con.execute(f'INSERT INTO pop_target.main."{table}" ({names}) SELECT {names} FROM "{table}"')
        con.execute("COMMIT")
        reset_sequences(con, "pop_target.main.")
    finally:
        con.execute("DETACH pop_target")


def to_postgres(pg: psycopg.Connection, con: duckdb.DuckDBPyConnection, columns: dict[str, list[Column]],
                version: int) -> None:
    """Replace every row PostgreSQL holds by the copy's (in the caller's transaction)."""
    postgres.replace_everything(pg, list(columns))
    for table, cols in columns.items():
        postgres.write_rows(pg, table, cols, outgoing(con, table, cols, "true"), version)


def write_file(con: duckdb.DuckDBPyConnection, columns: dict[str, list[Column]], out: Path) -> None:
    """A new DuckDB file at out, written beside it first and renamed in (never half a file)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_name(f".{out.name}.{os.getpid()}.writing")
    with suppress(FileNotFoundError):
        staged.unlink()
    try:
        to_file(con, columns, staged)
        os.replace(staged, out)
    finally:
        with suppress(FileNotFoundError):
            staged.unlink()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def number_new_rows(con: duckdb.DuckDBPyConnection, columns: dict[str, list[Column]]) -> None:
    """Give each row without an identity one past the table's highest."""
    for table in columns:
        top = con.execute(f'SELECT coalesce(max({_ROW_ID}), 0) FROM "{table}"').fetchone()
        con.execute(f"CREATE OR REPLACE TEMP SEQUENCE pop_new_rows START {int(top[0] if top else 0) + 1}")
        con.execute(f'UPDATE "{table}" SET {_ROW_ID} = nextval(\'pop_new_rows\') WHERE {_ROW_ID} IS NULL')


def prepare(con: duckdb.DuckDBPyConnection) -> dict[str, list[Column]]:
    """Give every table of a freshly migrated replica its row identity, keep it out of the views,
    and return each table's columns as PostgreSQL mirrors them."""
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall():
        if _ROW_ID not in [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]).fetchall()]:
            con.execute(f'ALTER TABLE "{table}" ADD COLUMN {_ROW_ID} BIGINT')
    prepare_views(con)
    return table_columns(con)


def table_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[Column]]:
    found: dict[str, list[Column]] = {}
    for table, column, kind in con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE NOT internal "
            "AND database_name = current_database() AND schema_name = 'main' "
            "AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE NOT temporary) "
            "ORDER BY table_name, column_index").fetchall():
        if column != _ROW_ID:
            found.setdefault(table, []).append(Column(column, kind.upper()))
    return found


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: list[Column], rows: pa.Table) -> None:
    """Rows read from PostgreSQL as text, typed again by DuckDB."""
    if not rows.num_rows:
        return
    cells = ["CAST(rid AS BIGINT)"]
    for column in columns:
        name = f'"{column.name}"'
        cells.append(f"CAST(CAST({name} AS JSON) AS {column.duck_type})" if column.is_list
                     else f"CAST({name} AS {column.duck_type})")
    targets = ", ".join([_ROW_ID, *(f'"{c.name}"' for c in columns)])
    con.register("pop_incoming", rows)
    try:
        con.execute(f'INSERT INTO "{table}" ({targets}) SELECT {", ".join(cells)} FROM pop_incoming')
    finally:
        con.unregister("pop_incoming")


def outgoing(con: duckdb.DuckDBPyConnection, table: str, columns: list[Column], where: str) -> pa.Table:
    """Rows of the replica as the text PostgreSQL reads (lists as JSON)."""
    cells = [f"CAST({_ROW_ID} AS VARCHAR) AS rid"]
    for column in columns:
        name = f'"{column.name}"'
        cells.append(f"CAST(to_json({name}) AS VARCHAR) AS {name}" if column.is_list
                     else f"CAST({name} AS VARCHAR) AS {name}")
    return con.sql(f'SELECT {", ".join(cells)} FROM "{table}" WHERE {where}').to_arrow_table()


def reset_sequences(con: duckdb.DuckDBPyConnection, catalog: str = "") -> None:
    """Each id sequence starts past the highest id stored: another process may have used some."""
    for sequence, table in store.ID_SEQUENCES.items():
        try:
            row = con.execute(f'SELECT coalesce(max(id), 0) + 1 FROM {catalog}"{table}"').fetchone()
        except duckdb.CatalogException:
            continue  # an older schema without this table
        con.execute(f"CREATE OR REPLACE SEQUENCE {catalog}{sequence} START {int(row[0]) if row else 1}")


class _NoResult:
    """What the store's BEGIN or COMMIT returns inside a write block: they ran nowhere."""

    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list:
        return []


class _Writing:
    """The connection a write block is given: the replica's, inside one transaction. The store's own
    BEGIN and COMMIT mark nothing here (the block is one transaction, sent to PostgreSQL at its end);
    a ROLLBACK undoes the whole block."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection):
        self._cursor = cursor
        self.touched: set[str] = set()
        self.failed = False

    def _note(self, query: str) -> bool:
        """Whether the statement is the store's transaction control (handled here)."""
        control = _TRANSACTION.match(query)
        if control:
            if control.group(1).upper() in ("ROLLBACK", "ABORT"):
                self._cursor.execute("ROLLBACK")
                self._cursor.execute("BEGIN TRANSACTION")
                self.failed = True
            return True
        changed = _CHANGES.match(query)
        if changed:
            self.touched.add(changed.group(1))
        return False

    def execute(self, query: str, parameters: object = None) -> Any:
        if self._note(query):
            return _NoResult()
        return self._cursor.execute(query, parameters) if parameters is not None else self._cursor.execute(query)

    def executemany(self, query: str, parameters: object = None) -> Any:
        self._note(query)
        return self._cursor.executemany(query, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def ship(replica: Replica, cursor: duckdb.DuckDBPyConnection, pg: psycopg.Connection, tables: Sequence[str],
         version: int) -> None:
    """Send what this transaction changed in tables to PostgreSQL, each row under version."""
    before = cursor_of(replica.con)  # outside the transaction: the rows as committed
    try:
        for table in tables:
            cols = replica.columns[table]
            try:
                hashes = before.sql(f'SELECT {_ROW_ID} AS r, hash(t) AS h FROM "{table}" AS t').to_arrow_table()
            except duckdb.CatalogException:  # a table this transaction made (a migration step)
                hashes = pa.table({"r": pa.array([], pa.int64()), "h": pa.array([], pa.uint64())})
            cursor.register("pop_before", hashes)
            try:
                number_new_rows(cursor, {table: cols})
                changed = outgoing(cursor, table, cols, f"{_ROW_ID} NOT IN (SELECT b.r FROM pop_before b JOIN "
                                   f'"{table}" AS t ON t.{_ROW_ID} = b.r WHERE b.h = hash(t))')
                gone = [int(r) for (r,) in cursor.execute(
                    f'SELECT r FROM pop_before WHERE r NOT IN (SELECT {_ROW_ID} FROM "{table}")').fetchall()]
            finally:
                cursor.unregister("pop_before")
            postgres.delete_rows(pg, table, gone, version)
            postgres.write_rows(pg, table, cols, changed, version)
    finally:
        before.close()


class ReplicaSnapshot(Snapshot):
    """A snapshot of the replica: the same interface as a DuckDB file's."""

    def __init__(self, db: PostgresDatabase, sight: Sight = EVERYTHING):  # super().__init__ locks a file
        self.db: PostgresDatabase = db
        self.sight = sight
        replica = db.replica()
        replica.check()
        self._cursor, version, data_version = replica.pinned()
        self.version, self.data_version = f"pg:{version}", f"pg:{data_version}"
        self.stale_since = replica.as_of if replica.stale else None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = None
        self._open = True
        self._register()

    def connection(self) -> duckdb.DuckDBPyConnection:
        if not self._open:
            raise RuntimeError("snapshot used after close")
        if self._con is None:
            restrict(self._cursor, self.sight)
            self._con = self._cursor
        return self._con

    @contextmanager
    def beside(self, sight: Sight) -> Iterator[duckdb.DuckDBPyConnection]:
        cursor, _, _ = self.db.replica().pinned()
        try:
            restrict(cursor, sight)
            yield cursor
        finally:
            with suppress(duckdb.Error):
                cursor.execute("COMMIT")
            cursor.close()

    def close(self) -> None:
        if self._open:
            with suppress(duckdb.Error):
                self._cursor.execute("COMMIT")
            self._cursor.close()
            self._open = False
            self._con = None
            self._unregister()

    @property
    def closed(self) -> bool:
        return not self._open

    def __enter__(self) -> Self:
        return self


_replicas: dict[str, Replica] = {}
_replicas_lock = threading.Lock()


def release(url: str) -> None:
    """Forget a database's replica and close its connections (a test's database is dropped next)."""
    with _replicas_lock:
        found = _replicas.pop(url, None)
    if found is not None:
        found.close()


@atexit.register
def _close_replicas() -> None:
    """DuckDB's objects are let go before the interpreter ends (else it lists them as leaked)."""
    for replica in _replicas.values():
        with suppress(Exception):
            replica.con.close()


class PostgresDatabase(Database):
    """The Database interface over PostgreSQL and this process's replica."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.url = settings.database_spec(path)
        self.name = postgres.display_name(self.url)
        self.key = self.url
        self.path = Path(os.devnull)  # no file: nothing beside it to protect or lock

    def replica(self) -> Replica:
        with _replicas_lock:
            found = _replicas.get(self.url)
            if found is None:
                found = _replicas[self.url] = Replica(self.url, self.name)
            return found

    def follow(self) -> None:
        """Catch up as soon as another process writes (a server's replica; a command's lives too
        briefly to need it)."""
        self.replica().listen()

    def exists(self) -> bool:
        with postgres.connect(self.url) as pg, postgres.failures_as_sentences(self.name):
            return postgres.check_ours(pg, self.name)

    # ── reading ──────────────────────────────────────────────────────────────────────────────

    def snapshot(self, wait: float | None = None, sight: Sight = EVERYTHING) -> Snapshot:
        if self.replica().version < 0 and not self.exists():
            raise DatabaseMissing(self.name)
        return ReplicaSnapshot(self, sight)

    def version(self, wait: float | None = None) -> str:
        with self.snapshot(wait) as snap:
            return snap.version

    # ── writing ──────────────────────────────────────────────────────────────────────────────

    @contextmanager
    def writing(self, wait: float | None = None, data: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        self.refuse_inside_snapshot()
        replica = self.replica()
        with replica.changing, postgres.connect(self.url) as pg, postgres.failures_as_sentences(self.name):
            if replica.schema != store.SCHEMA_VERSION:  # once per process: the schema never goes back
                self._bring_forward(pg)
            postgres.lock_writers(pg)
            replica.catch_up(pg)
            cursor = cursor_of(replica.con)
            block = _Writing(cursor)
            cursor.execute("BEGIN TRANSACTION")
            try:
                yield block  # type: ignore[misc]  # a DuckDB connection to the store's code
                if block.failed:
                    raise RuntimeError("a write block went on after its transaction was rolled back")
                version = postgres.advance(pg, data)
                ship(replica, cursor, pg, sorted(t for t in block.touched if t in replica.columns), version)
                pg.commit()
                with replica.pinning:
                    cursor.execute("COMMIT")
                    replica.version = version
                    if data:
                        replica.data_version += 1
                if block.touched:
                    compress(replica.con)
            except BaseException:
                with suppress(duckdb.Error):
                    cursor.execute("ROLLBACK")
                with suppress(psycopg.Error):
                    pg.rollback()
                raise
            finally:
                cursor.close()

    def _bring_forward(self, pg: psycopg.Connection) -> None:
        """Create the schema in an empty database, or bring an older one forward: one PostgreSQL
        transaction per step, its version record included, each under the writers' lock (another
        process may be doing the same: it finds the step done). Leaves no transaction open."""
        while True:
            postgres.lock_writers(pg)
            ours = postgres.check_ours(pg, self.name)
            current = postgres.schema_version(pg) if ours else 0
            if current > store.SCHEMA_VERSION:
                raise DatabaseTooNew(self.name, version=current, supported=store.SCHEMA_VERSION)
            if ours and current == store.SCHEMA_VERSION:
                self.replica().catch_up(pg)
                pg.commit()
                return
            if not ours:
                postgres.create_state(pg)
            self._step(pg, current + 1)

    def _step(self, pg: psycopg.Connection, target: int) -> None:
        """One migration step: run on the replica (as the state before it) inside one DuckDB
        transaction; the tables and columns it adds and every row it changes go to PostgreSQL with
        the version row; PostgreSQL commits first."""
        replica = self.replica()
        replica.load(pg)
        cursor = cursor_of(replica.con)
        block = _Writing(cursor)
        cursor.execute("BEGIN TRANSACTION")
        try:
            store.migrate(cast(duckdb.DuckDBPyConnection, block), target=target, name=self.name, current=target - 1)
            replica.columns = prepare(cursor)
            present = postgres.tables(pg)
            for table, cols in replica.columns.items():
                if table not in present:
                    postgres.create_table(pg, table, cols)
                for column in cols:
                    if table in present and column.name not in present[table]:
                        postgres.add_column(pg, table, column)
            version = postgres.advance(pg, True)
            ship(replica, cursor, pg, sorted(replica.columns), version)
            pg.commit()
            cursor.execute("COMMIT")
        except BaseException:
            with suppress(duckdb.Error):
                cursor.execute("ROLLBACK")
            with suppress(psycopg.Error):
                pg.rollback()
            replica.version = -1  # loaded afresh at its next use
            raise
        finally:
            cursor.close()
        replica.version = -1  # the next step, or the next use, loads it afresh

    def ensure(self) -> None:
        with self.writing(data=False):
            return

    # ── backup and restore ───────────────────────────────────────────────────────────────────

    def refuse_as_output(self, out: str | os.PathLike) -> None:
        if same_file(Path(out), Path(os.devnull)):
            raise OutputIsDatabase(self.name, out=Path(out).name, file=self.name)

    @contextmanager
    def consistent(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, list[Column]]]]:
        """An in-memory copy of one consistent state of PostgreSQL (writers go on meanwhile)."""
        with postgres.connect(self.url) as pg, postgres.failures_as_sentences(self.name):
            pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            if not postgres.check_ours(pg, self.name):
                raise DatabaseMissing(self.name)
            con, columns, _ = loaded(pg, self.name)
            pg.rollback()
        try:
            yield con, columns
        finally:
            con.close()

    def backup(self, out: str | os.PathLike, wait: float | None = None) -> dict:
        """A consistent snapshot of PostgreSQL in one self-contained DuckDB file (what restore and
        copy-db read back)."""
        out = Path(out)
        with self.consistent() as (con, columns):
            try:
                write_file(con, columns, out)
            except (OSError, duckdb.Error) as error:  # as a file's backup says it
                raise output_problem(error, out.name) from None
        return describe_file(out)

    def restore(self, source: str | os.PathLike, who: str, wait: float | None = None) -> tuple[dict, Path | None]:
        """Replace everything PostgreSQL holds by a backup file, in one transaction. As with a file,
        the audit log only grows, every session ends and every token is revoked; what it replaces is
        first written to a backup beside the one restored (returned)."""
        source = Path(source)
        staged, summary = stage_backup(source)
        try:
            aside = source.with_name(f"{source.stem}.replaced-{dt.datetime.now():%Y%m%d-%H%M%S}.duckdb")
            self.backup(aside)
            with self.consistent() as (live, _):
                log = store.audit_log(live)
            staged_con = store.configured(duckdb.connect(str(staged), config=settings.DUCKDB_CONFIG))
            try:
                summary |= store.continue_after_restore(staged_con, log, who, source.name, aside.name)
                staged_con.execute("CHECKPOINT")
            finally:
                staged_con.close()
            self.load_from(staged)
        finally:
            with suppress(FileNotFoundError):
                staged.unlink()
        return summary, aside

    def load_from(self, path: Path) -> None:
        """Every row of a DuckDB file of the current schema in place of PostgreSQL's, in one transaction."""
        con, columns = from_file(path, self.name)
        try:
            self.replace_with(con, columns)
        finally:
            con.close()

    def replace_with(self, con: duckdb.DuckDBPyConnection, columns: dict[str, list[Column]]) -> None:
        """Every row of an in-memory copy in place of PostgreSQL's, in one transaction."""
        with self.replica().changing, postgres.connect(self.url) as pg, postgres.failures_as_sentences(self.name):
            self._bring_forward(pg)
            postgres.lock_writers(pg)
            to_postgres(pg, con, columns, postgres.advance(pg, True))
            pg.commit()
            self.replica().version = -1  # loads afresh at its next use

    def holds_data(self) -> bool:
        with postgres.connect(self.url) as pg, postgres.failures_as_sentences(self.name):
            return postgres.check_ours(pg, self.name) and postgres.holds_data(pg)


def prepare_views(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the row identity out of every view (views bind * when they are read)."""
    for text, in con.execute("SELECT sql FROM duckdb_views() WHERE NOT internal AND NOT temporary").fetchall():
        rewritten = _without_row_id(text)
        if rewritten is not None:
            con.execute(rewritten)


_EXCLUDED = re.compile(r"EXCLUDE\s*\(([^)]*)\)", re.IGNORECASE)
_CREATE_VIEW = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW", re.IGNORECASE)


def _without_row_id(text: str) -> str | None:
    """A view's SQL with the row identity excluded as well; None when it is already (or excludes nothing)."""
    found = _EXCLUDED.search(text)
    if found is None or _ROW_ID in [name.strip().strip('"') for name in found.group(1).split(",")]:
        return None
    return _CREATE_VIEW.sub("CREATE OR REPLACE VIEW", text[:found.start(1)] + f"{_ROW_ID}, " + text[found.start(1):],
                            count=1)
