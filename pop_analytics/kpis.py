"""The KPIs in DOMAIN.md, as SQL over current rows. Values are always bound, never formatted in."""
from __future__ import annotations

import duckdb

from . import reference
from .filters import Filters
from .text import fold

STATUSES = ("fully", "partially", "not_addressed")

# Current priority definitions and their observations, within the filters. With years, each
# priority's latest observation among those years counts; without, its latest observation.
PRIORITY_STATUS_SQL = """
SELECT s.municipality, s.cycle, s.code, s.year, s.status, p.theme, p.title
FROM priority_status s
JOIN priorities p USING (cycle, municipality, code)
WHERE s.superseded_by IS NULL AND p.superseded_by IS NULL
  AND (len($municipalities) = 0 OR list_contains($municipalities, s.municipality))
  AND (len($years) = 0 OR list_contains($years, s.year))
  AND (len($themes) = 0 OR list_contains($themes, p.theme))
  AND ($cycle IS NULL OR s.cycle = $cycle)
"""

# The KPI object's two queries. {where} holds only the filters that are set, one bound value per
# placeholder (see _kpi_filters): a million activity rows are then tested only for what was chosen,
# with tests DuckDB runs fast (IN over a handful of values, not a list built per row).
PRIORITIES_BY_MUNICIPALITY_SQL = """
WITH latest AS (
  SELECT s.municipality, s.status
  FROM priority_status s
  JOIN priorities p USING (cycle, municipality, code)
  WHERE s.superseded_by IS NULL AND p.superseded_by IS NULL{where}
  QUALIFY row_number() OVER (PARTITION BY s.cycle, s.municipality, s.code ORDER BY s.year DESC) = 1
)
SELECT municipality, count(*) AS total,
       count(*) FILTER (WHERE status = 'fully') AS fully,
       count(*) FILTER (WHERE status = 'partially') AS partially,
       count(*) FILTER (WHERE status = 'not_addressed') AS not_addressed
FROM latest GROUP BY municipality
"""

# An activity touches a chosen theme when any of its themes is among them. Written as a lambda
# over the row's (short) list rather than list_has_any, which builds a set per row: about three
# times faster over a million rows, same rows.
ACTIVITY_FILTER_SQL = """
WHERE superseded_by IS NULL
  AND (len($municipalities) = 0 OR list_contains($municipalities, municipality))
  AND (len($years) = 0 OR list_contains($years, year))
  AND (len($themes) = 0 OR list_bool_or(list_transform(themes, lambda theme: list_contains($themes, theme))))
  AND ($cycle IS NULL OR cycle = $cycle)
"""

ACTIVITIES_BY_MUNICIPALITY_TYPE_SQL = """
SELECT municipality, type,
       sum(events) AS events, coalesce(sum(participants), 0) AS participants,
       coalesce(sum(women), 0) AS women, coalesce(sum(men), 0) AS men, coalesce(sum(youth), 0) AS youth,
       coalesce(sum(women) FILTER (WHERE women IS NOT NULL AND men IS NOT NULL), 0) AS split_women,
       coalesce(sum(men) FILTER (WHERE women IS NOT NULL AND men IS NOT NULL), 0) AS split_men
FROM activities
WHERE superseded_by IS NULL{where}
GROUP BY municipality, type
"""


def percent(part: int | float, whole: int | float) -> float | None:
    """Share with one decimal, None when nothing is counted."""
    return round(100.0 * part / whole, 1) if whole else None


def query(con: duckdb.DuckDBPyConnection, sql: str, filters: Filters) -> list[dict]:
    """Run one of this package's filter queries with the filters bound; rows as dicts."""
    cursor = con.cursor()
    try:
        result = cursor.execute(typed_sql(sql), filters.params())
        names = [d[0] for d in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]
    finally:
        cursor.close()


def _kpi_filters(filters: Filters, municipality: str, year: str, cycle: str, theme: str | None = None,
                 themes: str | None = None) -> tuple[str, dict]:
    """The set filters as SQL over the given columns ("AND ..." lines) and the values they bind.
    The same rows as the len(..) = 0 OR list_contains(..) tests of PRIORITY_STATUS_SQL and
    ACTIVITY_FILTER_SQL; theme is a single-theme column, themes a list of themes."""
    params: dict[str, object] = {}

    def placeholders(name: str, values: tuple, sql_type: str) -> str:
        params.update({f"{name}_{i}": value for i, value in enumerate(values)})
        return ", ".join(f"CAST(${name}_{i} AS {sql_type})" for i in range(len(values)))

    tests = []
    if filters.municipality:
        tests.append(f"{municipality} IN ({placeholders('municipality', filters.municipality, 'VARCHAR')})")
    if filters.year:
        tests.append(f"{year} IN ({placeholders('year', filters.year, 'INTEGER')})")
    if filters.theme and theme:
        tests.append(f"{theme} IN ({placeholders('theme', filters.theme, 'VARCHAR')})")
    elif filters.theme and themes and len(filters.theme) == 1:
        tests.append(f"list_contains({themes}, {placeholders('theme', filters.theme, 'VARCHAR')})")
    elif filters.theme and themes:
        tests.append(f"list_bool_or(list_transform({themes}, lambda theme: theme IN "
                     f"({placeholders('theme', filters.theme, 'VARCHAR')})))")
    if filters.cycle is not None:
        tests.append(f"{cycle} = CAST($cycle AS VARCHAR)")
        params["cycle"] = filters.cycle
    return "".join(f"\n  AND {test}" for test in tests), params


def _kpi_query(con: duckdb.DuckDBPyConnection, sql: str, where: tuple[str, dict]) -> list[dict]:
    cursor = con.cursor()
    try:
        result = cursor.execute(sql.format(where=where[0]), where[1])
        names = [d[0] for d in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]
    finally:
        cursor.close()


def typed_sql(sql: str) -> str:
    """Empty lists have no element type of their own; give the bound lists theirs."""
    return (sql.replace("$municipalities", "CAST($municipalities AS VARCHAR[])")
               .replace("$years", "CAST($years AS INTEGER[])")
               .replace("$themes", "CAST($themes AS VARCHAR[])")
               .replace("$cycle", "CAST($cycle AS VARCHAR)"))


def priority_counts(rows: list[dict]) -> dict:
    total = sum(r["total"] for r in rows)
    counts = {s: sum(r[s] for r in rows) for s in STATUSES}
    return {
        "total": total, **counts,
        **{f"{s}_pct": percent(counts[s], total) for s in STATUSES},
        "addressed_pct": percent(counts["fully"] + counts["partially"], total),
    }


def activity_totals(rows: list[dict]) -> dict:
    keys = ("events", "participants", "women", "men", "youth")
    totals = {k: int(sum(r[k] for r in rows)) for k in keys}
    split_women = sum(r["split_women"] for r in rows)
    split_men = sum(r["split_men"] for r in rows)
    totals["women_pct"] = percent(split_women, split_women + split_men)
    return totals


def kpis(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict:
    """The KPI object (see README): priorities, activities, by type, by municipality."""
    priority_rows = _kpi_query(con, PRIORITIES_BY_MUNICIPALITY_SQL,
                               _kpi_filters(filters, "s.municipality", "s.year", "s.cycle", theme="p.theme"))
    activity_rows = _kpi_query(con, ACTIVITIES_BY_MUNICIPALITY_TYPE_SQL,
                               _kpi_filters(filters, "municipality", "year", "cycle", themes="themes"))

    activities = activity_totals(activity_rows)
    activities["by_type"] = {
        key: {"events": int(sum(r["events"] for r in activity_rows if r["type"] == key)),
              "participants": int(sum(r["participants"] for r in activity_rows if r["type"] == key))}
        for key in reference.term_keys("activity_types")
    }
    names = sorted({r["municipality"] for r in priority_rows} | {r["municipality"] for r in activity_rows}
                   | set(filters.municipality), key=fold)
    by_municipality = []
    for name in names:
        p = priority_counts([r for r in priority_rows if r["municipality"] == name])
        a = [r for r in activity_rows if r["municipality"] == name]
        by_municipality.append({
            "municipality": name,
            "events": int(sum(r["events"] for r in a)),
            "participants": int(sum(r["participants"] for r in a)),
            "priorities": p["total"],
            "addressed_pct": p["addressed_pct"],
        })
    return {
        "filters": filters.as_dict(),
        "priorities": priority_counts(priority_rows),
        "activities": activities,
        "by_municipality": by_municipality,
        "municipalities_covered": sum(1 for m in by_municipality if m["events"] or m["priorities"]),
    }
