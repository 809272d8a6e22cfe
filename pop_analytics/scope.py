"""The filters as SQL: the one builder of `(sql, params)` behind the KPI object and every page query,
so that a tile, a chart and `python -m pop_analytics kpis` always count the same rows.

Only the filters that are set become SQL, each value a bound parameter (`municipality IN ($f_municipality_0,
…)`): a million activity rows are then tested only for what was chosen, with tests DuckDB runs fast.
Every relation read here is a current_* view (store.py): rows a newer file replaced never count.
"""
from __future__ import annotations

from dataclasses import dataclass, field

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
    theme is a single-theme column, themes a list of themes (an activity touches several)."""

    municipality: str
    year: str
    cycle: str | None = None
    theme: str | None = None
    themes: str | None = None


PRIORITY_COLUMNS = Columns(municipality="s.municipality", year="s.year", cycle="s.cycle", theme="p.theme")
ACTIVITY_COLUMNS = Columns(municipality="municipality", year="year", cycle="cycle", themes="themes")
FIGURE_COLUMNS = Columns(municipality="f.municipality", year="f.year")


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
    elif filters.theme and columns.themes and len(filters.theme) == 1:
        tests.append(f"list_contains({columns.themes}, {placeholders('theme', filters.theme, 'VARCHAR')})")
    elif filters.theme and columns.themes:
        # A lambda over the row's short list, not list_has_any, which builds a set per row: about
        # three times faster over a million rows, the same rows.
        tests.append(f"list_bool_or(list_transform({columns.themes}, lambda theme: theme IN "
                     f"({placeholders('theme', filters.theme, 'VARCHAR')})))")
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


def activities(filters: Filters) -> tuple[str, dict[str, object]]:
    """`FROM current_activities WHERE …` for the filters: an activity counts for the calendar year
    of its date, and for a theme when any of its themes matches."""
    clause = where(filters, ACTIVITY_COLUMNS)
    return f"FROM current_activities\nWHERE true{clause.sql}\n", clause.params


def figures(filters: Filters) -> tuple[str, dict[str, object]]:
    """`FROM current_figures f WHERE …`: reported figures of the chosen years and municipalities."""
    clause = where(filters, FIGURE_COLUMNS)
    return f"FROM current_figures f\nWHERE true{clause.sql}\n", clause.params
