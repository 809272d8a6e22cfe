"""PostgreSQL as the system of record: connecting (every failure a sentence, never a password), the
tables that mirror the DuckDB schema, the version row every write moves, the lock that serialises
writers on every machine, and moving rows in and out in bulk (COPY as CSV, read by Arrow).

PostgreSQL only stores. Every rule (what an import replaces, what donors see, every query) runs in
DuckDB on each process's replica (pop_analytics.replica), so both stores hold the same rows and
answer with the same numbers. Each mirrored table has the DuckDB table's columns plus `rid`, the
row's identity across every process, and `v`, the version that last wrote the row: a replica asks
for the rows written since the version it holds. Deleted rows are kept in pop_deleted for the same
reason. Lists (themes, a user's municipalities) are stored as JSON arrays.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from . import settings
from .errors import (
    DatabaseForeign,
    DatabaseLoginRefused,
    DatabaseMissing,
    DatabaseProblem,
    DatabaseUnreachable,
    DatabaseUrlInvalid,
)

# Every writer of every machine takes this transaction-scoped advisory lock first (an arbitrary
# number of our own: "POP" in ASCII).
WRITER_LOCK = 0x504F50

# Woken replicas refresh at once; the version row stays the truth.
CHANNEL = "pop_changes"

# The tables of PostgreSQL alone: the version row and the rows deleted, by version.
STATE_TABLES = ("pop_state", "pop_deleted")

_TYPES = {"INTEGER": "integer", "BIGINT": "bigint", "VARCHAR": "text", "DOUBLE": "double precision",
          "DATE": "date", "TIMESTAMP": "timestamp", "BOOLEAN": "boolean"}


def display_name(url: str) -> str:
    """What sentences call the database: its name and server, never its password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "PostgreSQL"
    host = str(parts.get("host") or "localhost")
    if host.startswith("/"):
        host = "localhost"
    return f"{parts.get('dbname') or parts.get('user') or 'postgres'} ({host}:{parts.get('port') or 5432})"


@dataclass(frozen=True)
class Column:
    name: str
    duck_type: str  # the DuckDB type, as duckdb_columns() names it

    @property
    def is_list(self) -> bool:
        return self.duck_type.endswith("[]")

    @property
    def pg_type(self) -> str:
        return "jsonb" if self.is_list else _TYPES[self.duck_type]


def connect(url: str, autocommit: bool = False) -> psycopg.Connection:
    """A connection, or the sentence for why there is none: a wrong URL, a server that does not
    answer, a refused login, a database that does not exist."""
    name = display_name(url)
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise DatabaseUrlInvalid(name) from None
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=settings.PG_CONNECT_SECONDS,
                               application_name="pop_analytics")
    except psycopg.OperationalError as error:
        raise problem(error, name) from None
    except psycopg.ProgrammingError:
        raise DatabaseUrlInvalid(name) from None


def problem(error: BaseException, name: str) -> DatabaseProblem:
    """The sentence for a failure of PostgreSQL; its own text (which can name the server's
    configuration) is never shown."""
    state = getattr(error, "sqlstate", None) or ""
    text = str(error).lower()
    if state in ("28P01", "28000") or "password" in text or "authentication" in text:
        return DatabaseLoginRefused(name)
    if state == "3D000" or ("database" in text and "does not exist" in text):
        return DatabaseMissing(name)
    if "invalid" in text and any(word in text for word in ("option", "value", "uri", "integer")):
        return DatabaseUrlInvalid(name)  # libpq reads some parts of the address only when connecting
    return DatabaseUnreachable(name)


@contextmanager
def failures_as_sentences(name: str) -> Iterator[None]:
    try:
        yield
    except psycopg.Error as error:
        raise problem(error, name) from None


# ── the schema ──────────────────────────────────────────────────────────────────────────────────

def tables(pg: psycopg.Connection) -> dict[str, list[str]]:
    """The mirrored tables PostgreSQL holds, with their columns (rid and v left out)."""
    rows = pg.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "ORDER BY table_name, ordinal_position").fetchall()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, [])
        if column not in ("rid", "v"):
            found[table].append(column)
    return found


def check_ours(pg: psycopg.Connection, name: str) -> bool:
    """Whether the database holds this application's tables (True), nothing yet (False); a database
    of another application is refused with a sentence."""
    present = tables(pg)
    if "pop_state" in present:
        return True
    if present:
        raise DatabaseForeign(name)
    return False


def create_state(pg: psycopg.Connection) -> None:
    """The version row: version moves with every write, data_version with writes of the data (a
    sign-in does not empty every process's caches of figures), generation when every row was
    replaced at once (a restore), which makes every replica load afresh."""
    pg.execute("CREATE TABLE pop_state (version bigint NOT NULL, data_version bigint NOT NULL, "
               "generation bigint NOT NULL DEFAULT 0, changed_at timestamptz NOT NULL DEFAULT now())")
    pg.execute("INSERT INTO pop_state (version, data_version) VALUES (0, 0)")
    pg.execute("CREATE TABLE pop_deleted (tbl text NOT NULL, rid bigint NOT NULL, v bigint NOT NULL)")
    pg.execute("CREATE INDEX pop_deleted_v ON pop_deleted (v)")


def create_table(pg: psycopg.Connection, table: str, columns: list[Column]) -> None:
    defined: list[sql.Composable] = [sql.SQL("rid BIGINT PRIMARY KEY"), sql.SQL("v BIGINT NOT NULL")]
    defined += [sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type)) for c in columns]
    pg.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), sql.SQL(", ").join(defined)))
    pg.execute(sql.SQL("CREATE INDEX {} ON {} (v)").format(sql.Identifier(f"{table}_v"), sql.Identifier(table)))


def add_column(pg: psycopg.Connection, table: str, column: Column) -> None:
    pg.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
        sql.Identifier(table), sql.Identifier(column.name), sql.SQL(column.pg_type)))


def drop_table(pg: psycopg.Connection, table: str) -> None:
    pg.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))


def schema_version(pg: psycopg.Connection) -> int:
    if "schema_version" not in tables(pg):
        return 0
    row = pg.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


# ── versions and the writers' lock ─────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class State:
    version: int
    data_version: int
    generation: int


def state(pg: psycopg.Connection) -> State:
    row = pg.execute("SELECT version, data_version, generation FROM pop_state").fetchone()
    return State(*(int(value) for value in row)) if row else State(0, 0, 0)


def replace_everything(pg: psycopg.Connection, tables: list[str]) -> None:
    """Empty every mirrored table for rows that replace them all (a restore, a copy): every replica
    loads afresh rather than catching up."""
    for table in [*tables, "pop_deleted"]:
        pg.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table)))
    pg.execute("UPDATE pop_state SET generation = generation + 1")


def holds_data(pg: psycopg.Connection) -> bool:
    """Whether an application's database holds anything a copy into it would overwrite."""
    present = tables(pg)
    return any(pg.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(t))).fetchone() == (True,)
               for t in ("imports", "users", "audit", "aliases", "targets") if t in present)


def lock_writers(pg: psycopg.Connection) -> None:
    """Wait for every other writer, on every machine; released when this transaction ends."""
    pg.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])


def advance(pg: psycopg.Connection, data: bool) -> int:
    """Move the version row for this transaction's write and wake every replica when it commits.
    Returns the new version, which the rows written carry."""
    row = pg.execute(
        "UPDATE pop_state SET version = version + 1, data_version = data_version + CASE WHEN %s THEN 1 ELSE 0 END, "
        "changed_at = now() RETURNING version", [data]).fetchone()
    assert row is not None  # pop_state holds its row from creation on
    pg.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(row[0])])
    return int(row[0])


# ── rows in and out ─────────────────────────────────────────────────────────────────────────────

def _select_list(columns: list[Column]) -> sql.Composable:
    parts: list[sql.Composable] = [sql.SQL("rid")]
    for column in columns:
        name = sql.Identifier(column.name)
        parts.append(sql.SQL("{}::text").format(name) if column.is_list else name)
    return sql.SQL(", ").join(parts)


def read_rows(pg: psycopg.Connection, table: str, columns: list[Column], since: int | None = None
              ) -> Iterator[pa.Table]:
    """Rows of a table as text (rid first), those written after version since (all when None), in
    batches of about PG_COPY_BATCH_BYTES of CSV: a replica of millions of rows is built without
    ever holding the whole table as text. An empty text and a missing value stay apart (CSV quotes
    the one, leaves the other bare)."""
    query = sql.SQL("SELECT {} FROM {}").format(_select_list(columns), sql.Identifier(table))
    if since is not None:
        query = sql.SQL("{} WHERE v > {}").format(query, sql.Literal(since))
    names = ["rid", *(c.name for c in columns)]
    batch: list[bytes] = []
    size = 0
    with pg.cursor().copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(query)) as copy:
        for row in copy:  # libpq hands COPY's output over one whole row at a time
            batch.append(bytes(row))
            size += len(row)
            if size >= settings.PG_COPY_BATCH_BYTES:
                yield _parsed(b"".join(batch), names)
                batch, size = [], 0
    if batch:
        yield _parsed(b"".join(batch), names)


def _parsed(text: bytes, names: list[str]) -> pa.Table:
    return pa_csv.read_csv(
        io.BytesIO(text),
        read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                              strings_can_be_null=True, quoted_strings_can_be_null=False))


def deleted_since(pg: psycopg.Connection, since: int) -> dict[str, list[int]]:
    """Per table, the rows deleted after version since."""
    rows = pg.execute("SELECT tbl, array_agg(rid) FROM pop_deleted WHERE v > %s GROUP BY tbl", [since])
    return {str(table): [int(rid) for rid in rids] for table, rids in rows}


def write_rows(pg: psycopg.Connection, table: str, columns: list[Column], rows: pa.Table, version: int) -> None:
    """Put rows (rid first, each cell as text) in a table, replacing any of the same rid, marked
    with the version that writes them."""
    if not rows.num_rows:
        return
    stage = f"pop_stage_{table}"
    names = sql.SQL(", ").join(sql.Identifier(n) for n in ["rid", *(c.name for c in columns)])
    pg.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(stage)))
    pg.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
        sql.Identifier(stage), names, sql.Identifier(table)))
    buffer = io.BytesIO()
    pa_csv.write_csv(rows, buffer, pa_csv.WriteOptions(include_header=False))
    with pg.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(sql.Identifier(stage), names)) as copy:
        copy.write(buffer.getvalue())
    pg.execute(sql.SQL("DELETE FROM {} t USING {} s WHERE t.rid = s.rid").format(
        sql.Identifier(table), sql.Identifier(stage)))
    pg.execute(sql.SQL("INSERT INTO {} ({}, v) SELECT {}, %s FROM {}").format(
        sql.Identifier(table), names, names, sql.Identifier(stage)), [version])


def delete_rows(pg: psycopg.Connection, table: str, rids: list[int], version: int) -> None:
    if not rids:
        return
    pg.execute(sql.SQL("DELETE FROM {} WHERE rid = ANY(%s)").format(sql.Identifier(table)), [rids])
    pg.execute("INSERT INTO pop_deleted (tbl, rid, v) SELECT %s, unnest(%s::bigint[]), %s", [table, rids, version])
