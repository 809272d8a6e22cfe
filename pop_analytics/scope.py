"""The filters as SQL: the one builder of `(sql, params)` behind the KPI object and every page query,
so that a tile, a chart and `python -m pop_analytics kpis` always count the same rows.

Only the filters that are set become SQL, each value a bound parameter (`municipality IN ($f_municipality_0,
…)`): a million activity rows are then tested only for what was chosen, with tests DuckDB runs fast.
Every relation read here is a current_* view (store.py): rows a newer file replaced never count.
Which rows those views hold for one reader (approved only, some municipalities, no notes) is the
reader's Sight, set once on its connection (restrict), so no query can forget it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from . import reference
from .filters import Filters


@dataclass(frozen=True)
class Clause:
    """SQL to append after a WHERE (each test as an `AND …` line; empty when no filter is set) and
    the values it binds."""

    sql: str = ""
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Columns:
    """Where a relation keeps what the filters test; None where a filter does not apply to it.
    theme is a single-theme column, theme_mask the bits of a row's themes (an activity touches
    several; reference.theme_bits)."""

    municipality: str
    year: str
    cycle: str | None = None
    theme: str | None = None
    theme_mask: str | None = None


PRIORITY_COLUMNS = Columns(municipality="s.municipality", year="s.year", cycle="s.cycle", theme="p.theme")
ACTIVITY_COLUMNS = Columns(municipality="municipality", year="year", cycle="cycle", theme_mask="theme_mask")
FIGURE_COLUMNS = Columns(municipality="f.municipality", year="f.year")
# Targets are set per indicator, year and municipality: neither a theme nor a contract cycle applies.
TARGET_COLUMNS = Columns(municipality="t.municipality", year="t.year")


def where(filters: Filters, columns: Columns) -> Clause:
    """The set filters as tests over columns, and their bound values."""
    params: dict[str, object] = {}

    def placeholders(name: str, values: tuple, sql_type: str) -> str:
        params.update({f"f_{name}_{i}": value for i, value in enumerate(values)})
        return ", ".join(f"CAST($f_{name}_{i} AS {sql_type})" for i in range(len(values)))

    tests = []
    if filters.municipality:
        tests.append(f"{columns.municipality} IN ({placeholders('municipality', filters.municipality, 'VARCHAR')})")
    if filters.year:
        tests.append(f"{columns.year} IN ({placeholders('year', filters.year, 'INTEGER')})")
    if filters.theme and columns.theme:
        tests.append(f"{columns.theme} IN ({placeholders('theme', filters.theme, 'VARCHAR')})")
    elif filters.theme and columns.theme_mask:
        # One AND per row: several times faster than searching each row's list of themes.
        bits = reference.theme_bits()
        tests.append(f"({columns.theme_mask} & CAST($f_theme_mask AS BIGINT)) <> 0")
        params["f_theme_mask"] = sum({bits[key] for key in filters.theme})
    if filters.cycle is not None and columns.cycle:
        tests.append(f"{columns.cycle} = CAST($f_cycle AS VARCHAR)")
        params["f_cycle"] = filters.cycle
    return Clause("".join(f"\n  AND {test}" for test in tests), params)


def priority_status(filters: Filters) -> tuple[str, dict[str, object]]:
    """Current priority definitions with their yearly observations, within the filters: one row per
    priority and monitoring year (s.municipality, s.cycle, s.code, s.year, s.status, p.theme, p.title)."""
    clause = where(filters, PRIORITY_COLUMNS)
    return f"""
SELECT s.municipality, s.cycle, s.code, s.year, s.status, p.theme, p.title
FROM current_priority_status s
JOIN current_priorities p USING (cycle, municipality, code)
WHERE true{clause.sql}
""", clause.params


# After priority_status's SELECT (and any further test of its WHERE): each priority's latest
# observation within the filters, the one a share of priorities counts.
LATEST_STATUS = "QUALIFY row_number() OVER (PARTITION BY s.cycle, s.municipality, s.code ORDER BY s.year DESC) = 1"


def latest_status(filters: Filters) -> tuple[str, dict[str, object]]:
    """priority_status's rows narrowed to each priority's latest observation within the filters."""
    sql, params = priority_status(filters)
    return sql + LATEST_STATUS + "\n", params


def activities(filters: Filters) -> tuple[str, dict[str, object]]:
    """`FROM current_activities WHERE …` for the filters: an activity counts for the calendar year
    of its date, and for a theme when any of its themes matches."""
    clause = where(filters, ACTIVITY_COLUMNS)
    return f"FROM current_activities\nWHERE true{clause.sql}\n", clause.params


def figures(filters: Filters) -> tuple[str, dict[str, object]]:
    """`FROM current_figures f WHERE …`: reported figures of the chosen years and municipalities."""
    clause = where(filters, FIGURE_COLUMNS)
    return f"FROM current_figures f\nWHERE true{clause.sql}\n", clause.params


def targets(filters: Filters) -> tuple[str, dict[str, object]]:
    """`FROM current_targets t WHERE …`: targets of the chosen years; with a municipality filter, only
    those municipalities' targets (the whole network's are not a municipality's)."""
    clause = where(filters, TARGET_COLUMNS)
    return f"FROM current_targets t\nWHERE true{clause.sql}\n", clause.params


# ── what one reader may see ──────────────────────────────────────────────────────────────────

DATA_VIEWS = ("priorities", "priority_status", "activities", "figures", "targets")
# Sums kept of a data view's rows (store.ACTIVITY_TOTALS_SQL): restricted as the rows are.
SUM_VIEWS = ("activity_totals",)
# Free text a person typed about an activity or a status: it may name participants.
NOTE_COLUMNS = {"priority_status": ("note",), "activities": ("note",), "figures": ("note",), "targets": ("note",)}


@dataclass(frozen=True)
class Sight:
    """Which stored rows a reader may see: only approved imports' (what donors see) or submitted
    ones too; only some municipalities' (a partner's) or all; with or without free-text notes."""

    approved_only: bool = False
    municipalities: tuple[str, ...] | None = None
    notes: bool = True

    @property
    def everything(self) -> bool:
        return self == EVERYTHING


EVERYTHING = Sight()
DONOR_SIGHT = Sight(approved_only=True, notes=False)


def published(sight: Sight) -> Sight:
    """What may leave as open data for a reader who sees sight: what donors see, within the
    reader's municipalities."""
    return Sight(approved_only=True, municipalities=sight.municipalities, notes=False)


def restrict(con: duckdb.DuckDBPyConnection, sight: Sight) -> None:
    """Make this connection's current_* views hold only what sight allows: temporary views of the
    same names shadow the stored ones for this connection alone (before its transaction starts)."""
    if sight.everything:
        return
    row = con.execute("SELECT current_database()").fetchone()
    catalog = '"' + str(row[0] if row else "").replace('"', '""') + '"'
    source = "approved" if sight.approved_only else "current"
    within = ""
    if sight.municipalities is not None:
        con.execute("CREATE TEMP TABLE sight_municipalities (municipality VARCHAR)")
        if sight.municipalities:
            con.executemany("INSERT INTO sight_municipalities VALUES (?)", [[m] for m in sight.municipalities])
        within = " WHERE municipality IN (SELECT municipality FROM temp.main.sight_municipalities)"
    for table in DATA_VIEWS + SUM_VIEWS:
        hidden = () if sight.notes else NOTE_COLUMNS.get(table, ())
        replace = f" REPLACE ({', '.join(f'CAST(NULL AS VARCHAR) AS {c}' for c in hidden)})" if hidden else ""
        con.execute(f"CREATE TEMP VIEW current_{table} AS "
                    f"SELECT *{replace} FROM {catalog}.main.{source}_{table}{within}")
    if within:  # which municipality reported which period is theirs to know only for their municipalities
        con.execute(f"CREATE TEMP VIEW reported_periods AS SELECT * FROM {catalog}.main.reported_periods{within}")
