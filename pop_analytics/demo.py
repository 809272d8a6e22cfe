"""The demo data set: partner-shaped files in data/demo/, loaded through the normal importer."""
from __future__ import annotations

import duckdb

from . import importing
from .database import Database
from .settings import DEMO_DIR

DEMO_IMPORTER = "demo"


def files() -> list:
    return sorted(p for p in DEMO_DIR.iterdir() if p.suffix.lower() in (".csv", ".xlsx"))


def load(target: Database | duckdb.DuckDBPyConnection) -> list[importing.ImportReport]:
    """Import every demo file; files already stored are reported as duplicates, not stored twice."""
    return [importing.import_path(target, path, who=DEMO_IMPORTER) for path in files()]
