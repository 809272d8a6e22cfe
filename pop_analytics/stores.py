"""The store a path or address names: a postgresql:// address (in --db or POP_DB) is PostgreSQL with
a replica in this process (pop_analytics.replica), anything else a DuckDB file (pop_analytics.database)."""
from __future__ import annotations

import os

from . import settings
from .database import Database

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(spec: str | os.PathLike | None = None) -> bool:
    return settings.database_spec(spec).startswith(POSTGRES_SCHEMES)


def open_database(spec: str | os.PathLike | None = None) -> Database:
    """The database spec names, else $POP_DB, else the default file."""
    if is_postgres(spec):
        from .replica import PostgresDatabase  # psycopg is loaded only where PostgreSQL is used
        return PostgresDatabase(spec)
    return Database(spec)
