"""The KPIs of the README (› KPI definitions), as SQL over current rows. Values are always bound, never
formatted in."""
from __future__ import annotations

import datetime as dt
from fractions import Fraction

import duckdb
import pandas as pd

from . import reference, scope, store
from .filters import Filters
from .text import fold

STATUSES = ("fully", "partially", "not_addressed")

# How many priorities, and how many at each status (of rows with a status column).
STATUS_COUNTS_SQL = """count(*) AS total,
       count(*) FILTER (WHERE status = 'fully') AS fully,
       count(*) FILTER (WHERE status = 'partially') AS partially,
       count(*) FILTER (WHERE status = 'not_addressed') AS not_addressed"""


def deadline(due: dt.date | None, cycle: str) -> dt.date:
    """A priority's deadline: its own due date when the sheet gave one, else its contract cycle's end."""
    if due is None or pd.isna(due):
        return reference.cycle_end(cycle)
    return due.date() if isinstance(due, dt.datetime) else due  # a pandas Timestamp, as a query's frame holds it


def overdue(deadline: dt.date, status: str, today: dt.date) -> bool:
    """The one rule of an overdue promise: its deadline is before today and its latest status in
    view (scope.LATEST_STATUS) is not fully addressed. On the deadline day itself it is not yet."""
    return deadline < today and status != "fully"


def with_deadlines(table: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """A table of priorities (cycle, status and due: the priority's own date or empty) with each
    one's deadline, the days left to it (negative once past) and whether it is overdue."""
    table = table.copy()
    # as lists first: stepping through an Arrow-backed column value by value costs ~5 µs a value
    deadlines = [deadline(d, c) for d, c in zip(table["due"].tolist(), table["cycle"].tolist())]
    table["deadline"] = pd.to_datetime(pd.Series(deadlines, index=table.index, dtype=object))
    table["days_left"] = pd.Series([(d - today).days for d in deadlines], index=table.index, dtype="int64")
    table["overdue"] = pd.Series([overdue(d, s, today) for d, s in zip(deadlines, table["status"].tolist())],
                                 index=table.index, dtype=bool)
    return table


def split_sum(column: str, sql_type: str) -> str:
    """SQL: the sum of column (women or men) over the activity rows that give both women and men, the
    only rows the women's share counts (store.SPLIT_GIVEN)."""
    return f"CAST(coalesce(sum({column}) FILTER (WHERE {store.SPLIT_GIVEN}), 0) AS {sql_type})"


# Each priority's latest observation within the filters (scope.latest_status), counted per municipality.
PRIORITIES_BY_MUNICIPALITY_SQL = f"""
SELECT municipality, {STATUS_COUNTS_SQL}
FROM ({{latest}}) GROUP BY municipality
"""

# The activities' sums per municipality and type, from the rows (for part of a year: only the rows know
# their day) or from the sums the store keeps per import (store.ACTIVITY_TOTALS_SQL), which hold the
# same numbers in a few hundred thousand rows however many activities there are.
_ACTIVITY_SUMS = """
SELECT municipality, type,
       sum(events) AS events, coalesce(sum(participants), 0) AS participants,
       coalesce(sum(women), 0) AS women, coalesce(sum(men), 0) AS men, coalesce(sum(youth), 0) AS youth,
       {split_women} AS split_women, {split_men} AS split_men
FROM {source}
WHERE true{{where}}
GROUP BY municipality, type
"""
ACTIVITIES_BY_MUNICIPALITY_TYPE_SQL = _ACTIVITY_SUMS.format(
    split_women=split_sum("women", "BIGINT"), split_men=split_sum("men", "BIGINT"), source="current_activities")
TOTALS_BY_MUNICIPALITY_TYPE_SQL = _ACTIVITY_SUMS.format(
    split_women="CAST(coalesce(sum(split_women), 0) AS BIGINT)",
    split_men="CAST(coalesce(sum(split_men), 0) AS BIGINT)", source="current_activity_totals")


def percent(part: float, whole: float) -> float | None:
    """Share with one decimal, None when nothing is counted."""
    return round(100.0 * part / whole, 1) if whole else None


def women_share(women: float, men: float) -> float | None:
    """The women's share in percent of the participants counted with the split (split_sum),
    unrounded; None when there is none."""
    return 100.0 * women / (women + men) if women + men else None


def women_pct(women: float, men: float) -> float | None:
    """women_share with one decimal, as the KPI object and every page show it."""
    share = women_share(women, men)
    return None if share is None else round(share, 1)


def rounded(share: Fraction | None) -> float | None:
    """An exact share (a fraction of one) in percent, rounded once to one decimal (half to even)."""
    return None if share is None else float(round(100 * share, 1))


def points(part: int, whole: int, part_before: int, whole_before: int) -> float | None:
    """The change of a share in percentage points, from the counts and rounded once: a priority
    moving from partially to fully addressed moves both shares by the same points (+16.1 and −16.1,
    where the difference of the two rounded shares would say +16.1 and −16.0). None when either
    share has nothing counted."""
    if not whole or not whole_before:
        return None
    return rounded(Fraction(part, whole) - Fraction(part_before, whole_before))


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
    totals["women_pct"] = women_pct(split_women, split_men)
    return totals


def priority_cycles(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[str]:
    """The contract cycles with a priority status within the filters, oldest first."""
    sql, params = scope.priority_status(filters)
    return [str(row["cycle"]) for row in rows(con, f"SELECT DISTINCT cycle FROM ({sql}) ORDER BY 1", params)]


def cycle_views(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[tuple[str, Filters]]:
    """The one rule for every share of priorities (Overview, profile, tracker, report, `kpis`): it is
    counted within one contract cycle, since a share over two cycles' contracts is easy to misquote.
    The cycle chosen, else each cycle with a priority status within the filters, oldest first, each
    with the filters narrowed to it."""
    chosen = [filters.cycle] if filters.cycle else priority_cycles(con, filters)
    return [(cycle, filters.but(cycle=cycle)) for cycle in chosen]


def with_cycles(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict:
    """The KPI object with its priorities once per contract cycle under priorities_by_cycle, as
    `kpis --json` prints it (the keys before it stay as they were, for scripts that read them)."""
    return {**kpis(con, filters), "priorities_by_cycle": by_cycle(con, filters)}


def by_cycle(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[dict]:
    """The priority part of the KPI object once per contract cycle of cycle_views (`kpis --json`'s
    priorities_by_cycle): the shares and each municipality's, counted over that cycle's contracts."""
    found = []
    for cycle, view in cycle_views(con, filters):
        per_municipality = priorities_by_municipality(con, view)
        found.append({"cycle": cycle, "priorities": priority_counts(per_municipality),
                      "by_municipality": [{"municipality": r["municipality"], "priorities": r["total"],
                                           "addressed_pct": percent(r["fully"] + r["partially"], r["total"])}
                                          for r in sorted(per_municipality, key=lambda r: fold(r["municipality"]))]})
    return found


def priorities_by_municipality(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[dict]:
    """Per municipality: priorities at each latest status within the filters (the counts behind the shares)."""
    sql, params = scope.latest_status(filters)
    return rows(con, PRIORITIES_BY_MUNICIPALITY_SQL.format(latest=sql), params)


def activities_by_municipality_type(con: duckdb.DuckDBPyConnection, filters: Filters,
                                    until: dt.date | None = None) -> list[dict]:
    """The activities' sums within the filters per municipality and type (with until, of those held
    up to that day)."""
    sql = TOTALS_BY_MUNICIPALITY_TYPE_SQL if until is None else ACTIVITIES_BY_MUNICIPALITY_TYPE_SQL
    return _kpi_query(con, sql, _activity_clause(filters, until))


def _activity_clause(filters: Filters, until: dt.date | None) -> scope.Clause:
    """The filters over activities and, with until, only the activities held up to that day."""
    clause = scope.where(filters, scope.ACTIVITY_COLUMNS)
    if until is None:
        return clause
    return scope.Clause(clause.sql + "\n  AND date <= CAST($kpi_until AS DATE)", {**clause.params, "kpi_until": until})


def kpis(con: duckdb.DuckDBPyConnection, filters: Filters, until: dt.date | None = None) -> dict:
    """The KPI object (see README): priorities, activities, by type, by municipality. until (for
    the same months of an earlier year) counts only the activities held up to that day."""
    priority_rows = priorities_by_municipality(con, filters)
    activity_rows = activities_by_municipality_type(con, filters, until)

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
