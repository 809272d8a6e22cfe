"""copy-db: move an installation between stores (a DuckDB file into an empty PostgreSQL database,
or PostgreSQL back into a file for an offline copy), refusing a target that holds data and
checking, once copied, that every table's count and the KPI object are the same on both sides."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from . import filters, kpis
from .database import Database
from .errors import CopyMismatch, DatabaseMissing, TargetNotEmpty
from .postgres import Column
from .replica import PostgresDatabase, from_file, write_file
from .stores import open_database

Copy = tuple[duckdb.DuckDBPyConnection, dict[str, list[Column]]]


@contextmanager
def _contents(db: Database) -> Iterator[Copy]:
    """Everything a database holds, in memory, as one consistent state."""
    if isinstance(db, PostgresDatabase):
        with db.consistent() as found:
            yield found
        return
    if not db.exists():
        raise DatabaseMissing(db.name)
    db.ensure()  # a file of an older release is brought forward first
    with db.reading():  # no writer changes the file while it is read
        con, columns = from_file(db.path, db.name)
    try:
        yield con, columns
    finally:
        con.close()


def _refuse_filled(db: Database) -> None:
    if isinstance(db, PostgresDatabase):
        if db.holds_data():
            raise TargetNotEmpty(db.name)
    elif db.path.exists():
        raise TargetNotEmpty(db.name)


def _summary(con: duckdb.DuckDBPyConnection, columns: dict[str, list[Column]]) -> tuple[dict[str, int], dict]:
    counts = {}
    for table in columns:
        row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts, kpis.kpis(con, filters.resolve())


def copy_database(source: str, target: str) -> dict:
    """Copy source into target; what was copied: rows per table, and the check on both sides."""
    origin, destination = open_database(source), open_database(target)
    _refuse_filled(destination)
    with _contents(origin) as (con, columns):
        counts, figures = _summary(con, columns)
        if isinstance(destination, PostgresDatabase):
            destination.replace_with(con, columns)
        else:
            write_file(con, columns, destination.path)
    with _contents(destination) as (copied, copied_columns):
        if _summary(copied, copied_columns) != (counts, figures):
            raise CopyMismatch(destination.name)
    return {"source": origin.name, "target": destination.name, "tables": len(counts), "rows": sum(counts.values()),
            "imports": counts.get("imports", 0)}
