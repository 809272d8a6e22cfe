"""The KPIs in DOMAIN.md, as SQL over current rows. Values are always bound, never formatted in."""
from __future__ import annotations

import duckdb

from . import reference, scope
from .filters import Filters
from .text import fold

STATUSES = ("fully", "partially", "not_addressed")

# Each priority's latest observation within the filters, counted per municipality. {where} holds
# only the filters that are set (scope.where).
PRIORITIES_BY_MUNICIPALITY_SQL = """
WITH latest AS (
  SELECT s.municipality, s.status
  FROM current_priority_status s
  JOIN current_priorities p USING (cycle, municipality, code)
  WHERE true{where}
  QUALIFY row_number() OVER (PARTITION BY s.cycle, s.municipality, s.code ORDER BY s.year DESC) = 1
)
SELECT municipality, count(*) AS total,
       count(*) FILTER (WHERE status = 'fully') AS fully,
       count(*) FILTER (WHERE status = 'partially') AS partially,
       count(*) FILTER (WHERE status = 'not_addressed') AS not_addressed
FROM latest GROUP BY municipality
"""

ACTIVITIES_BY_MUNICIPALITY_TYPE_SQL = """
SELECT municipality, type,
       sum(events) AS events, coalesce(sum(participants), 0) AS participants,
       coalesce(sum(women), 0) AS women, coalesce(sum(men), 0) AS men, coalesce(sum(youth), 0) AS youth,
       coalesce(sum(women) FILTER (WHERE women IS NOT NULL AND men IS NOT NULL), 0) AS split_women,
       coalesce(sum(men) FILTER (WHERE women IS NOT NULL AND men IS NOT NULL), 0) AS split_men
FROM current_activities
WHERE true{where}
GROUP BY municipality, type
"""


def percent(part: float, whole: float) -> float | None:
    """Share with one decimal, None when nothing is counted."""
    return round(100.0 * part / whole, 1) if whole else None


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> list[dict]:
    """Run sql with params bound; rows as dicts."""
    result = con.execute(sql, params)
    names = [d[0] for d in result.description or ()]
    return [dict(zip(names, row)) for row in result.fetchall()]


def _kpi_query(con: duckdb.DuckDBPyConnection, sql: str, clause: scope.Clause) -> list[dict]:
    return rows(con, sql.format(where=clause.sql), clause.params)


def priority_counts(found: list[dict]) -> dict:
    total = sum(r["total"] for r in found)
    counts = {s: sum(r[s] for r in found) for s in STATUSES}
    return {
        "total": total, **counts,
        **{f"{s}_pct": percent(counts[s], total) for s in STATUSES},
        "addressed_pct": percent(counts["fully"] + counts["partially"], total),
    }


def activity_totals(found: list[dict]) -> dict:
    keys = ("events", "participants", "women", "men", "youth")
    totals: dict[str, int | float | None] = {k: int(sum(r[k] for r in found)) for k in keys}
    split_women = sum(r["split_women"] for r in found)
    split_men = sum(r["split_men"] for r in found)
    totals["women_pct"] = percent(split_women, split_women + split_men)
    return totals


def kpis(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict:
    """The KPI object (see README): priorities, activities, by type, by municipality."""
    priority_rows = _kpi_query(con, PRIORITIES_BY_MUNICIPALITY_SQL, scope.where(filters, scope.PRIORITY_COLUMNS))
    activity_rows = _kpi_query(con, ACTIVITIES_BY_MUNICIPALITY_TYPE_SQL, scope.where(filters, scope.ACTIVITY_COLUMNS))

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
