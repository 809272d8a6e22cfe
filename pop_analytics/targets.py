"""The project's targets beside what was achieved: per objective (SO1–SO4), indicator, year and
municipality (None: the whole network).

What was achieved comes from one of two places, as target_indicators.csv says per indicator:
- itemised: counted from the activity rows of that year, as the KPI object counts them (scope.activities,
  so the reader's Sight applies: approved rows only for a donor): events (of one activity type, or all),
  participants, or the women's share (women / (women + men) over rows that give both). A network target
  is set against every municipality's rows, a municipality's against its own. Unknown (None) when no
  activity row of that year (and municipality) is there at all: a year not reported yet is not 0.
- reported: the reported figures of the indicator of the same key and year (scope.figures), those that
  count every activity type; the whole network's rows for a network target, the municipality's rows for
  a municipality's target; several rows (periods) are added up. Unknown when there is none.

reached_pct = achieved / target × 100, one decimal as the KPIs round percentages (kpis.percent); for the
women's share the target is a share too, so reached = achieved share / target share × 100 (from the
unrounded share; achieved itself is shown rounded to one decimal, as the KPI object shows it). None
(NaN) when the target is 0 or what was achieved is unknown.

The filters: years as chosen; a municipality filter shows only those municipalities' targets (the whole
network's are no municipality's); the theme and contract-cycle filters do not apply to targets.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from . import kpis, reference, scope
from .filters import Filters
from .text import fold

COLUMNS = ("objective", "indicator", "year", "municipality", "target", "unit", "achieved", "reached_pct", "source")

_ITEMISED_SQL = f"""
SELECT year, municipality, type, CAST(sum(events) AS DOUBLE) AS events,
       CAST(coalesce(sum(participants), 0) AS DOUBLE) AS participants,
       {kpis.split_sum("women", "DOUBLE")} AS split_women, {kpis.split_sum("men", "DOUBLE")} AS split_men
{{source}}GROUP BY ALL
"""

_REPORTED_SQL = """
SELECT f.year, f.municipality, f.indicator, sum(f.value) AS value
{source}  AND f.type IS NULL
GROUP BY ALL
"""


_DTYPES = {"objective": object, "indicator": object, "year": "int64", "municipality": object, "target": "float64",
           "unit": object, "achieved": "float64", "reached_pct": "float64", "source": object}


def _frame(rows: list[dict]) -> pd.DataFrame:
    """The rows as the frame progress() returns: None stays None in text columns, NaN in numbers."""
    return pd.DataFrame({column: pd.Series([r[column] for r in rows], dtype=_DTYPES[column]) for column in COLUMNS})


def stored(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[dict]:
    """The current targets within the filters (years, municipalities), as rows."""
    sql, params = scope.targets(Filters(municipality=filters.municipality, year=filters.year))
    return kpis.rows(con, f"SELECT objective, indicator, year, municipality, target, unit {sql}", params)


def _itemised(con: duckdb.DuckDBPyConnection, years: tuple[int, ...]) -> dict[tuple[int, str | None], list[dict]]:
    """Per (year, municipality) and per (year, None) for the whole network: the activity rows' sums by type."""
    sql, params = scope.activities(Filters(year=years))
    result = con.execute(_ITEMISED_SQL.format(source=sql), params)
    names = [d[0] for d in result.description or ()]
    found: dict[tuple[int, str | None], list[dict]] = {}
    for values in result.fetchall():
        row = dict(zip(names, values))
        found.setdefault((row["year"], row["municipality"]), []).append(row)
        found.setdefault((row["year"], None), []).append(row)
    return found


def _reported(con: duckdb.DuckDBPyConnection, years: tuple[int, ...]) -> dict[tuple[int, str | None, str], float]:
    """(year, municipality or None for the network-wide rows, indicator) → the reported value."""
    sql, params = scope.figures(Filters(year=years))
    rows = con.execute(_REPORTED_SQL.format(source=sql), params).fetchall()
    return {(year, municipality, indicator): float(value) for year, municipality, indicator, value in rows}


def _achieved(indicator: reference.TargetIndicator, rows: list[dict] | None) -> float | None:
    """What the activity rows of one year (and municipality) give for an itemised indicator; the
    women's share unrounded."""
    if not rows:
        return None
    if indicator.measure == "events":
        return float(sum(r["events"] for r in rows
                         if indicator.activity_type is None or r["type"] == indicator.activity_type))
    if indicator.measure == "participants":
        return float(sum(r["participants"] for r in rows))
    if indicator.measure == "women_pct":
        return kpis.women_share(sum(r["split_women"] for r in rows), sum(r["split_men"] for r in rows))
    raise ValueError(f"unknown measure {indicator.measure!r} of {indicator.key}")


def progress(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Every target within the filters with what was achieved and the share of it reached: columns
    objective, indicator, year, municipality (None: the whole network), target, unit, achieved and
    reached_pct (NaN when unknown), source ('itemised' or 'reported'); sorted by objective, indicator,
    year and municipality, the whole network first."""
    targets = stored(con, filters)
    if not targets:
        return _frame([])
    years = tuple(sorted({t["year"] for t in targets}))
    itemised = _itemised(con, years)
    reported = _reported(con, years)
    rows = []
    for target in targets:
        indicator = reference.target_indicator(target["indicator"])
        year, municipality = int(target["year"]), target["municipality"]
        if indicator.computed_from == "itemised":
            achieved = _achieved(indicator, itemised.get((year, municipality)))
        else:
            achieved = reported.get((year, municipality, indicator.key))
        reached = kpis.percent(achieved, target["target"]) if achieved is not None else None
        if achieved is not None and indicator.unit == "percent":
            achieved = round(achieved, 1)
        rows.append({"objective": target["objective"], "indicator": indicator.key, "year": year,
                     "municipality": municipality, "target": float(target["target"]), "unit": indicator.unit,
                     "achieved": achieved, "reached_pct": reached, "source": indicator.computed_from})
    rows.sort(key=lambda r: (r["objective"], r["indicator"], r["year"], r["municipality"] is not None,
                             fold(r["municipality"] or "")))
    return _frame(rows)


def for_table(progress: pd.DataFrame) -> pd.DataFrame:
    """progress() under the names its table columns are headed by (present.table): a target's indicator
    (not a reported figure's), the target value, and where what was achieved comes from."""
    return progress.rename(columns={"indicator": "target_indicator", "target": "target_value",
                                    "source": "achieved_from"})
