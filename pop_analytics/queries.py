"""The SQL behind the dashboard's pages. Every value is a bound parameter; the filter clauses come
from pop_analytics.scope, as the KPI object's do, so a page and `python -m pop_analytics kpis` count
the same rows.

Each function takes a connection (one snapshot: pop_analytics.database) and the Filters, and
returns a DataFrame whose coded columns (status, theme, type) keep their keys; pop_analytics.present
turns them into labels in the reader's language.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from fractions import Fraction

import duckdb
import pandas as pd

from . import kpis, reference, scope, settings, store
from .filters import Filters
from .kpis import STATUSES, percent
from .text import fold, folded

# Text search over a priority: accents and case never matter ('korce' finds 'Korçë'); % and _ are text.
_SEARCH_SQL = """
  AND ($search = '' OR contains(strip_accents(lower(p.title || ' ' || p.code || ' ' || s.municipality)),
                                strip_accents(lower($search))))
"""


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None,
          **values: object) -> pd.DataFrame:
    """Run sql with params (a scope clause's) and any further values bound; only the parameters it
    names are passed."""
    bound = {**(params or {}), **values}
    return con.execute(sql, {k: v for k, v in bound.items() if f"${k}" in sql}).df()


def _with_addressed(table: pd.DataFrame) -> pd.DataFrame:
    """Add addressed_pct (fully + partially over all monitored), rounded as the KPI object rounds it."""
    table = table.copy()
    if table.empty:
        table["addressed_pct"] = pd.Series(dtype="float64")
        return table
    table["addressed_pct"] = [percent(f + p, t) for f, p, t in zip(table["fully"], table["partially"], table["total"])]
    return table


# ── what there is ────────────────────────────────────────────────────────────────────────────

def years(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> list[int]:
    """Years with data within the filters (all years when filters is None): monitoring or activities."""
    filters = (filters or Filters()).but(year=())
    priorities_sql, priority_params = scope.priority_status(filters)
    activities_sql, activity_params = scope.activities(filters)
    table = frame(con, f"""
        SELECT DISTINCT year FROM ({priorities_sql})
        UNION SELECT DISTINCT year {activities_sql}
        ORDER BY 1""", {**priority_params, **activity_params})
    return [int(y) for y in table["year"]]


def municipalities(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Municipalities with current data of any kind."""
    table = frame(con, """
        SELECT municipality FROM current_priorities
        UNION SELECT municipality FROM current_activities
        UNION SELECT municipality FROM current_figures WHERE municipality IS NOT NULL""")
    return sorted(table["municipality"], key=fold)


def previous_period(filters: Filters, years_in_view: list[int]) -> Filters | None:
    """The same view one year earlier: the chosen years each moved back a year; with no year
    chosen, everything up to the year before the latest. None when there is nothing earlier."""
    if filters.year:
        return filters.but(year=tuple(y - 1 for y in filters.year))
    earlier = tuple(y for y in years_in_view if y < max(years_in_view)) if years_in_view else ()
    return filters.but(year=earlier) if earlier else None


def overview(con: duckdb.DuckDBPyConnection, filters: Filters, today: dt.date | None = None) -> dict:
    """The KPI object for the filters and for the previous period (None when there is none), and
    under 'cycles' the same for each contract cycle of kpis.cycle_views. today (the real date unless
    given) tells whether the latest year in view is still under way (see partial_year)."""
    today = today or dt.date.today()
    result = _overview(con, filters, today)
    # each cycle against its own previous year: 2024's contracts of 2023-2027 have no 2023 to compare with
    result["cycles"] = [{"cycle": cycle, **(result if cycle == filters.cycle else _overview(con, view, today))}
                        for cycle, view in kpis.cycle_views(con, filters)]
    return result


def cycle_priorities(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[dict]:
    """Each contract cycle in view (kpis.cycle_views) with its priorities' counts under
    "priorities", the same counts as overview's cycles[i]["current"]["priorities"], without the
    activities and the earlier periods the Overview counts beside them (the tracker's summaries)."""
    return kpis.by_cycle(con, filters)


def priority_parts(result: dict) -> list[dict]:
    """The parts of an overview whose priorities are shown, each on its own: one per contract cycle
    (kpis.cycle_views), else the whole view (no cycle has a priority status in it: its counts are 0)."""
    return result["cycles"] or [result]


def partial_year(years_shown: list[int], today: dt.date) -> bool:
    """True when the latest year shown is the calendar year still under way: its counts so far are
    not a whole year's, and set against a whole year they would read as a collapse."""
    return bool(years_shown) and max(years_shown) == today.year and today < dt.date(today.year, 12, 31)


def a_year_before(day: dt.date) -> dt.date:
    """The same day one year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _overview(con: duckdb.DuckDBPyConnection, filters: Filters, today: dt.date) -> dict:
    in_view = years(con, filters)
    earlier = previous_period(filters, in_view)
    if earlier is not None and not set(years(con, earlier)) & set(earlier.year):
        earlier = None  # nothing recorded then: no change to show, rather than a change from zero
    shown = list(filters.year) or in_view
    # A year under way is compared with the same months of the year before, never with all of it.
    until = a_year_before(today) if earlier is not None and partial_year(shown, today) else None
    previous = kpis.kpis(con, earlier, until=until) if earlier else None
    if previous is not None and until is not None:
        # a municipality also counts for its priorities, monitored once a year: no months to compare
        previous["municipalities_covered"] = None
    return {
        "current": kpis.kpis(con, filters),
        "previous": previous,
        "previous_years": list(earlier.year) if earlier else [],
        "years": shown,
        "partial": {"year": today.year, "to": today, "previous_to": until} if until else None,
    }


# ── priorities ───────────────────────────────────────────────────────────────────────────────

def addressed_by_year(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Per monitoring year, the statuses recorded that year (what the KPIs say for that one year)."""
    sql, params = scope.priority_status(filters)
    table = frame(con, f"""
        SELECT year, min(cycle) AS cycle, {kpis.STATUS_COUNTS_SQL}
        FROM ({sql}) GROUP BY year ORDER BY year""", params)
    return _with_addressed(table)


def status_by_theme(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Priorities by theme and latest status: one row per theme and status."""
    sql, params = scope.latest_status(filters)
    table = frame(con, f"""
        SELECT theme, status, count(*) AS priorities
        FROM ({sql}) GROUP BY theme, status""", params)
    order = {k: i for i, k in enumerate(reference.term_keys("themes"))}
    table["_order"] = [(order.get(t, 99), STATUSES.index(s)) for t, s in zip(table["theme"], table["status"])]
    return table.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def status_matrix(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Contract cycle × municipality × theme: how many priorities are at each latest status, and the
    share addressed; each cycle's contracts counted apart (kpis.cycle_views' rule)."""
    sql, params = scope.latest_status(filters)
    table = frame(con, f"""
        SELECT cycle, municipality, theme, {kpis.STATUS_COUNTS_SQL}
        FROM ({sql}) GROUP BY cycle, municipality, theme""", params)
    table = _with_addressed(table)
    # Progress colours the matrix: a partly addressed priority is not a done one (0·2·0 is 50 %, not 100 %).
    table["progress_pct"] = [percent(f + p / 2, t)
                             for f, p, t in zip(table["fully"], table["partially"], table["total"])]
    if not table.empty:
        table = table.sort_values(["cycle", "municipality", "theme"], key=folded).reset_index(drop=True)
    return table


# Each priority's own due date (NULL: its cycle's end is its deadline) beside its latest status.
_WITH_DUE = "SELECT l.*, d.due FROM ({latest}) l JOIN current_priorities d USING (cycle, municipality, code)"
DEADLINE_COLUMNS = ["due", "deadline", "days_left", "overdue"]


def priorities(con: duckdb.DuckDBPyConnection, filters: Filters, search: str = "", today: dt.date | None = None,
               overdue_only: bool = False) -> pd.DataFrame:
    """One row per priority: its definition, its latest status in view, its status in each year, and
    its deadline as of today (kpis.with_deadlines); overdue_only: the overdue ones only."""
    sql, params = scope.priority_status(filters)
    observed = frame(con, sql + _SEARCH_SQL, params, search=search.strip())
    columns = ["cycle", "municipality", "code", "title", "theme", "status"]
    if observed.empty:
        return pd.DataFrame(columns=columns + DEADLINE_COLUMNS)
    keys = ["cycle", "municipality", "code"]
    latest = frame(con, _WITH_DUE.format(latest=sql + _SEARCH_SQL + scope.LATEST_STATUS), params,
                   search=search.strip())
    latest = kpis.with_deadlines(latest, today or dt.date.today())
    if overdue_only:
        latest = latest[latest["overdue"]]
    by_year = observed.pivot_table(index=keys, columns="year", values="status", aggfunc="first")
    by_year.columns = [str(c) for c in by_year.columns]
    table = latest[columns].merge(by_year.reset_index(), on=keys, how="inner" if overdue_only else "left")
    table = table.merge(latest[keys + DEADLINE_COLUMNS], on=keys, how="left")
    return table.sort_values(["municipality", "cycle", "code"], key=folded).reset_index(drop=True)


def deadlines(con: duckdb.DuckDBPyConnection, filters: Filters, today: dt.date | None = None) -> pd.DataFrame:
    """Each priority in view with its latest status and its deadline as of today (kpis.with_deadlines):
    cycle, municipality, code, title, theme, status, due, deadline, days_left, overdue. The overdue
    ones first, the longest overdue first, then the others, the earliest deadline first; ties by
    municipality, cycle and code."""
    sql, params = scope.latest_status(filters)
    table = frame(con, _WITH_DUE.format(latest=sql), params)
    columns = ["cycle", "municipality", "code", "title", "theme", "status", *DEADLINE_COLUMNS]
    if table.empty:
        return pd.DataFrame(columns=columns)
    table = kpis.with_deadlines(table, today or dt.date.today())[columns]
    table = table.sort_values(["municipality", "cycle", "code"], key=folded)
    return table.sort_values(["overdue", "days_left"], ascending=[False, True], kind="stable").reset_index(drop=True)


def overdue_count(con: duckdb.DuckDBPyConnection, filters: Filters, today: dt.date | None = None) -> dict:
    """How many priorities in view are overdue, of how many (deadlines' rows)."""
    table = deadlines(con, filters, today)
    return {"overdue": int(table["overdue"].sum()) if len(table) else 0, "total": len(table)}


def contract_priorities(con: duckdb.DuckDBPyConnection, municipalities: tuple[str, ...]) -> pd.DataFrame:
    """Each municipality's priorities of its latest contract cycle (what its partner monitors now):
    cycle, municipality, code, title, theme, due (its own deadline), in code order (a partner's
    template holds them)."""
    return frame(con, """
        SELECT cycle, municipality, code, title, theme, due FROM current_priorities
        WHERE list_contains($municipalities, municipality)
        QUALIFY cycle = max(cycle) OVER (PARTITION BY municipality)
        ORDER BY municipality, code""", municipalities=list(municipalities))


def priority_history(con: duckdb.DuckDBPyConnection, cycle: str, municipality: str, code: str) -> pd.DataFrame:
    """Every yearly status of one priority with its note and source, and the file it came from."""
    return frame(con, """
        SELECT s.year, s.status, s.note, s.source, i.file_name, s.sheet, s.excel_row, i.imported_at, i.imported_by
        FROM current_priority_status s JOIN imports i ON i.id = s.import_id
        WHERE s.cycle = $cycle AND s.municipality = $municipality AND s.code = $code
        ORDER BY s.year""", cycle=cycle, municipality=municipality, code=code)


def priority_definition(con: duckdb.DuckDBPyConnection, cycle: str, municipality: str, code: str) -> dict | None:
    """A priority as its contract says it: cycle, municipality, code, title, theme and its own due
    date (None: its cycle's end is its deadline, kpis.deadline)."""
    table = frame(con, """
        SELECT cycle, municipality, code, title, theme, due FROM current_priorities
        WHERE cycle = $cycle AND municipality = $municipality AND code = $code""",
                  cycle=cycle, municipality=municipality, code=code)
    if not len(table):
        return None
    found = table.iloc[0].to_dict()
    return {**found, "due": None if pd.isna(found["due"]) else pd.Timestamp(found["due"]).date()}


def municipality_cycles(con: duckdb.DuckDBPyConnection, municipality: str) -> pd.DataFrame:
    """The contract cycles of one municipality: election date, priorities, years monitored so far."""
    table = frame(con, """
        SELECT p.cycle, count(DISTINCT p.code) AS priorities, min(s.year) AS first_year, max(s.year) AS last_year
        FROM current_priorities p LEFT JOIN current_priority_status s
          ON s.cycle = p.cycle AND s.municipality = p.municipality AND s.code = p.code
        WHERE p.municipality = $municipality
        GROUP BY p.cycle ORDER BY p.cycle""", municipality=municipality)
    cycles = reference.cycles()
    table.insert(1, "election_date", pd.to_datetime([cycles[c]["election_date"] if c in cycles else None
                                                     for c in table["cycle"]]))
    return table


# ── activities ───────────────────────────────────────────────────────────────────────────────

def activities_by_month(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    sql, params = scope.activities(filters)
    return frame(con, f"""
        SELECT make_date(year, month, 1) AS month, CAST(sum(events) AS BIGINT) AS events,
               CAST(coalesce(sum(participants), 0) AS BIGINT) AS participants
        {sql} GROUP BY ALL ORDER BY 1""", params)


def activities_by_year_type(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    sql, params = scope.activities(filters)
    return frame(con, f"""
        SELECT year, type, CAST(sum(events) AS BIGINT) AS events,
               CAST(coalesce(sum(participants), 0) AS BIGINT) AS participants
        {sql} GROUP BY ALL ORDER BY year, type""", params)


def activities_by_type(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    sql, params = scope.activities(filters)
    table = frame(con, f"""
        SELECT type, CAST(sum(events) AS BIGINT) AS events,
               CAST(coalesce(sum(participants), 0) AS BIGINT) AS participants
        {sql} GROUP BY type""", params)
    return _ranked(table, ["events", "participants"], "type")


def _ranked(table: pd.DataFrame, by: list[str], name: str) -> pd.DataFrame:
    """Largest first; ties in name order, so a table and its download list rows alike in every run
    (GROUP BY returns groups in no fixed order)."""
    table = table.sort_values(name, key=folded, kind="stable")
    return table.sort_values(by, ascending=False, kind="stable").reset_index(drop=True)


def activities_by_municipality(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Events, participants and the women / men split (rows that give both) per municipality."""
    sql, params = scope.activities(filters)
    table = frame(con, f"""
        SELECT municipality, CAST(sum(events) AS BIGINT) AS events,
               CAST(coalesce(sum(participants), 0) AS BIGINT) AS participants,
               {kpis.split_sum("women", "BIGINT")} AS women, {kpis.split_sum("men", "BIGINT")} AS men
        {sql} GROUP BY municipality""", params)
    table["women_pct"] = [kpis.women_pct(w, m) for w, m in zip(table["women"], table["men"])]
    return _ranked(table, ["participants"], "municipality")


def gender_by_year(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Women and men per year, counted on the rows that give both (as the women's share KPI is)."""
    sql, params = scope.activities(filters)
    table = frame(con, f"""
        SELECT year,
               {kpis.split_sum("women", "BIGINT")} AS women, {kpis.split_sum("men", "BIGINT")} AS men,
               count(*) FILTER (WHERE participants > 0 AND (women IS NULL OR men IS NULL)) AS rows_without_split
        {sql} GROUP BY year ORDER BY year""", params)
    table["women_pct"] = [kpis.women_pct(w, m) for w, m in zip(table["women"], table["men"])]
    return table


def activity_rows(con: duckdb.DuckDBPyConnection, filters: Filters, limit: int | None = None,
                  offset: int = 0) -> pd.DataFrame:
    """The itemised rows behind the activity charts (counts only: no person is ever named),
    latest first; limit keeps a page from fetching a million rows it cannot show (offset: the rows
    skipped before them, for the API's pages)."""
    sql, params = scope.activities(filters)
    return frame(con, f"""
        SELECT date, municipality, type, events, participants, women, men, youth,
               array_to_string(themes, ', ') AS themes, partner, note, link, source
        {sql} ORDER BY date DESC, municipality, import_id, sheet, excel_row
        {"LIMIT $limit OFFSET $offset" if limit is not None else ""}""", params, limit=limit, offset=offset)


# The women and men of every row; *_in_split of the rows that give both, the rows the women's share
# counts (kpis.split_sum): the share is women_in_split / (women_in_split + men_in_split).
_SUMS_SQL = f"""
SELECT municipality, cycle, year, month, type, CAST(sum(events) AS BIGINT) AS events,
       CAST(coalesce(sum(participants), 0) AS BIGINT) AS participants,
       CAST(coalesce(sum(women), 0) AS BIGINT) AS women, CAST(coalesce(sum(men), 0) AS BIGINT) AS men,
       CAST(coalesce(sum(youth), 0) AS BIGINT) AS youth,
       {kpis.split_sum("women", "BIGINT")} AS women_in_split, {kpis.split_sum("men", "BIGINT")} AS men_in_split
{{where}}
GROUP BY ALL"""


def activity_sums(con: duckdb.DuckDBPyConnection, filters: Filters, limit: int | None = None,
                  offset: int = 0) -> pd.DataFrame:
    """Activities summed by municipality, contract cycle, year, month and type: what leaves the
    dashboard as open data and what a donor's API token reads (no row, no name, no note)."""
    sql, params = scope.activities(filters)
    return frame(con, f"""{_SUMS_SQL.format(where=sql)}
        ORDER BY municipality, cycle, year, month, type
        {"LIMIT $limit OFFSET $offset" if limit is not None else ""}""", params, limit=limit, offset=offset)


def activity_sums_count(con: duckdb.DuckDBPyConnection, filters: Filters) -> int:
    sql, params = scope.activities(filters)
    return int(frame(con, f"SELECT count(*) AS n FROM ({_SUMS_SQL.format(where=sql)})", params)["n"].iloc[0])


def priority_statuses(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Every priority within the filters with its status each year (one row per priority and year)."""
    sql, params = scope.priority_status(filters)
    return frame(con, f"""
        SELECT q.cycle, q.municipality, q.code, q.title, q.theme, q.year, q.status, s.source, s.note
        FROM ({sql}) q JOIN current_priority_status s USING (cycle, municipality, code, year)
        ORDER BY q.cycle, q.municipality, q.code, q.year""", params)


def figures(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Every figure reported as a total within the filters."""
    sql, params = scope.figures(filters)
    return frame(con, f"""
        SELECT f.year, f.date_from, f.date_to, f.municipality, f.type, f.indicator, f.value, f.source, f.note
        {sql}
        ORDER BY f.year, f.indicator, f.municipality NULLS FIRST, f.type NULLS FIRST, f.date_from NULLS FIRST,
                 f.date_to NULLS FIRST""", params)


def activity_rows_count(con: duckdb.DuckDBPyConnection, filters: Filters) -> int:
    sql, params = scope.activities(filters)
    return int(frame(con, f"SELECT count(*) AS n {sql}", params)["n"].iloc[0])


# ── data quality ─────────────────────────────────────────────────────────────────────────────

# The itemised activity rows a reported figure covers: its period (else its whole year), its
# municipality (all when network-wide) and its activity type (all when not given).
_COVERED_ACTIVITIES = """FROM current_activities a
                  WHERE a.date BETWEEN coalesce(f.date_from, make_date(f.year, 1, 1))
                                   AND coalesce(f.date_to, make_date(f.year, 12, 31))
                    AND (f.municipality IS NULL OR a.municipality = f.municipality)
                    AND (f.type IS NULL OR a.type = f.type)"""


def reported_vs_itemised(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Totals reported as figures beside the sum of the itemised activity rows they cover."""
    itemised_as = reference.indicator_itemised_as()
    sql, params = scope.figures(filters)
    table = frame(con, f"""
        SELECT f.year, coalesce(f.date_from, make_date(f.year, 1, 1)) AS date_from,
               coalesce(f.date_to, make_date(f.year, 12, 31)) AS date_to, f.municipality, f.type, f.indicator,
               f.value AS reported, f.source, f.note,
               (SELECT count(*) {_COVERED_ACTIVITIES}) AS rows,
               (SELECT CAST(coalesce(sum(a.events), 0) AS BIGINT) {_COVERED_ACTIVITIES}) AS itemised_events,
               (SELECT CAST(coalesce(sum(a.participants), 0) AS BIGINT) {_COVERED_ACTIVITIES}) AS itemised_participants
        {sql}
          AND list_contains($indicators, f.indicator)
        ORDER BY f.year, f.date_from, f.indicator""", params, indicators=list(itemised_as))
    table["itemised"] = [int(e if itemised_as[i] == "events" else p) for i, e, p in
                         zip(table["indicator"], table["itemised_events"], table["itemised_participants"])]
    table["difference"] = table["reported"] - table["itemised"]
    columns = ["year", "date_from", "date_to", "municipality", "type", "indicator", "reported", "itemised",
               "difference", "rows", "source", "note"]
    return table[columns]


def reported_figures(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Figures that only exist as reported totals (unique participants, persons reached, ...)."""
    sql, params = scope.figures(filters)
    return frame(con, f"""
        SELECT f.year, f.date_from, f.date_to, f.municipality, f.indicator, f.value, f.source, f.note
        {sql}
          AND NOT list_contains($indicators, f.indicator)
        ORDER BY f.year, f.indicator""", params, indicators=list(reference.indicator_itemised_as()))


def reported_totals(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Per reported-only indicator, its latest year in view: the value as reported for the whole
    network (or, with municipalities chosen, the sum of theirs), with that year and its sources.
    Empty with a theme chosen: reported totals are not broken down by theme."""
    if filters.theme:
        return pd.DataFrame(columns=["indicator", "year", "value", "source"])
    found = reported_figures(con, filters)
    if not filters.municipality:
        found = found[found["municipality"].isna()]
    rows = []
    for indicator, part in found.groupby("indicator", sort=False):
        latest = part[part["year"] == part["year"].max()]
        sources = dict.fromkeys(str(s) for s in latest["note"].fillna(latest["source"]).dropna())
        rows.append({"indicator": indicator, "year": int(latest["year"].iloc[0]), "value": float(latest["value"].sum()),
                     "source": "; ".join(sources)})
    order = {key: i for i, key in enumerate(reference.term_keys("indicators"))}
    rows.sort(key=lambda r: order.get(r["indicator"], len(order)))
    return pd.DataFrame(rows, columns=["indicator", "year", "value", "source"])


def _without_split(filters: Filters) -> tuple[str, dict[str, object]]:
    sql, params = scope.activities(filters)
    return f"""
FROM (SELECT * {sql}) a JOIN imports i ON i.id = a.import_id
WHERE coalesce(a.participants, 0) > 0 AND (a.women IS NULL OR a.men IS NULL)
""", params


def rows_without_split(con: duckdb.DuckDBPyConnection, filters: Filters, limit: int | None = None) -> pd.DataFrame:
    """Activity rows with participants but no women / men split, with where they came from, latest first."""
    sql, params = _without_split(filters)
    return frame(con, f"""
        SELECT a.date, a.municipality, a.type, a.events, a.participants, a.women, a.men,
               i.file_name, a.sheet, a.excel_row
        {sql} ORDER BY a.date DESC, a.municipality, a.import_id, a.excel_row
        {"LIMIT $limit" if limit is not None else ""}""", params, limit=limit)


def rows_without_split_count(con: duckdb.DuckDBPyConnection, filters: Filters) -> int:
    sql, params = _without_split(filters)
    return int(frame(con, f"SELECT count(*) AS n {sql}", params)["n"].iloc[0])


def reporting_gaps(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """For each year in view (the latest when none is chosen) and each network municipality that
    should report (a member by then, or one chosen in the filters): priorities monitored and
    activities reported that year. Rows with a zero are the gaps."""
    in_view = list(filters.year) or years(con, filters)[-1:]
    if not in_view:
        return pd.DataFrame(columns=["year", "municipality", "priorities_monitored", "activities", "monitoring_year"])
    in_years = filters.but(year=tuple(in_view))
    priorities_sql, priority_params = scope.priority_status(in_years)
    activities_sql, activity_params = scope.activities(in_years)
    monitored = frame(con, f"SELECT year, municipality, count(*) AS priorities_monitored FROM ({priorities_sql}) "
                           "GROUP BY ALL", priority_params)
    reported = frame(con, f"SELECT year, municipality, count(*) AS activities {activities_sql} GROUP BY ALL",
                     activity_params)
    cycles = reference.cycles().values()
    rows = []
    for year in in_view:
        members = filters.municipality or tuple(
            m.name for m in reference.municipalities() if m.pop_member_since and m.pop_member_since <= year)
        monitoring_year = any(int(c["first_monitoring_year"]) <= year <= int(c["last_monitoring_year"]) for c in cycles)
        for name in sorted(members, key=fold):
            rows.append({"year": year, "municipality": name, "monitoring_year": monitoring_year})
    table = pd.DataFrame(rows, columns=["year", "municipality", "monitoring_year"])  # none: no member yet
    for counts, column in ((monitored, "priorities_monitored"), (reported, "activities")):
        table = table.merge(counts, on=["year", "municipality"], how="left")
        table[column] = table[column].fillna(0).astype(int)
    return table[["year", "municipality", "priorities_monitored", "activities", "monitoring_year"]]


def missing_reports(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """The gaps of reporting_gaps: no monitoring in a monitoring year, or no activity at all."""
    table = reporting_gaps(con, filters)
    if table.empty:
        return table
    gap = ((table["priorities_monitored"] == 0) & table["monitoring_year"]) | (table["activities"] == 0)
    return table[gap].reset_index(drop=True)


# ── imports ──────────────────────────────────────────────────────────────────────────────────

# The imports whose rows a reader's views hold (what its sight lets it count).
_SEEN_IMPORTS = " UNION ".join(f"SELECT DISTINCT import_id FROM current_{table}" for table in scope.DATA_VIEWS)


def data_as_of(con: duckdb.DuckDBPyConnection) -> dict:
    """The date of the data a reader sees: the latest approved import still stored, and how many
    imports awaiting review this reader's rows come from (a coordinator's or a partner's view)."""
    latest = con.execute(f"""SELECT max(coalesce(reviewed_at, imported_at)) FROM imports
                             WHERE {store.IMPORT_STATUS_SQL} = 'approved'""").fetchone()
    submitted = con.execute(f"""SELECT count(*) FROM imports WHERE id IN ({_SEEN_IMPORTS})
                                AND {store.IMPORT_STATUS_SQL} = 'submitted'""").fetchone()
    return {"latest": latest[0] if latest else None, "submitted": int(submitted[0]) if submitted else 0}


def imports_counted(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The imports whose rows this reader's views hold (a report's sources), oldest first."""
    return frame(con, f"SELECT id, file_name, kind, rows, imported_at FROM imports WHERE id IN ({_SEEN_IMPORTS}) "
                      "ORDER BY id")


def imports(con: duckdb.DuckDBPyConnection, by: str | None = None) -> pd.DataFrame:
    """The import history, newest first (as store.history gives it, without the file hash); with
    by, only the imports that user stored (a partner sees their own)."""
    return frame(con, f"""
        SELECT id, imported_at, imported_by, file_name, kind, rows, {store.IMPORT_STATUS_SQL} AS import_status,
               reviewed_by, reviewed_at, review_comment, undone_at
        FROM imports WHERE CAST($by AS VARCHAR) IS NULL OR imported_by = $by ORDER BY id DESC""", by=by)


def unread_rejections(con: duckdb.DuckDBPyConnection, by: str) -> pd.DataFrame:
    """by's rejected imports with the reviewer's comment, until by marks it read (store.mark_rejection_read)."""
    return store.unread_rejections(con, by)


def submitted_count(con: duckdb.DuckDBPyConnection, by: str | None = None) -> int:
    """Imports waiting for approval (with by, only that user's)."""
    return int(frame(con, f"""SELECT count(*) AS n FROM imports WHERE {store.IMPORT_STATUS_SQL} = 'submitted'
                              AND (CAST($by AS VARCHAR) IS NULL OR imported_by = $by)""", by=by)["n"].iloc[0])


def tokens(con: duckdb.DuckDBPyConnection, by: str) -> pd.DataFrame:
    """A user's API tokens, newest first (never the tokens: only their hashes are stored)."""
    return store.tokens(con, by)


def audit(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The audit log, newest first (each entry numbered: "entry", not an import's id)."""
    return store.audit_rows(con).rename(columns={"id": "entry"})


def users(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The dashboard's users, each partner's municipalities as one text and the language their
    messages go in (the first of settings.LANGUAGES until they choose)."""
    table = store.users(con)
    table["municipalities"] = [", ".join(m) for m in table["municipalities"]]
    table["language"] = table["language"].fillna(settings.LANGUAGES[0])
    return table


# ── one municipality ─────────────────────────────────────────────────────────────────────────

def _mean(values: Iterable[float | None]) -> float | None:
    known = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return round(sum(known) / len(known), 1) if known else None


def network_benchmark(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict:
    """The network's averages in a view, its municipality filter set aside: each the mean over the
    municipalities with data of each one's own value, and per contract cycle (kpis.cycle_views) the
    mean share addressed, exact. Numbers only, never a row or a name: it may be counted over rows its
    reader may not see (a partner's benchmark, app.network)."""
    view = filters.but(municipality=())
    network = kpis.kpis(con, view)
    active = [r for r in network["by_municipality"] if r["events"] or r["priorities"]]
    shares = activities_by_municipality(con, view)
    cycles = {}
    for cycle, cycle_view in kpis.cycle_views(con, view):
        counted = [r for r in kpis.priorities_by_municipality(con, cycle_view) if r["total"]]
        mean = sum((Fraction(r["fully"] + r["partially"], r["total"]) for r in counted), Fraction(0)) / len(counted) \
            if counted else None
        cycles[cycle] = {"mean": mean, "municipalities": len(counted)}
    return {"average": {"events": _mean(r["events"] for r in active),
                        "participants": _mean(r["participants"] for r in active),
                        "women_pct": _mean(shares["women_pct"])},
            "municipalities": len(active), "cycles": cycles}


def profile(con: duckdb.DuckDBPyConnection, filters: Filters, municipality: str,
            benchmark: dict | None = None) -> dict:
    """One municipality's KPI object beside the network's averages (network_benchmark: from this
    connection's rows unless given, as a partner's page gives the approved network's). Its share of
    priorities is under 'cycles', one per contract cycle of kpis.cycle_views, each beside the network's
    average for that same cycle."""
    benchmark = benchmark if benchmark is not None else network_benchmark(con, filters)
    own = filters.but(municipality=(municipality,))
    return {
        "own": kpis.kpis(con, own),
        "average": benchmark["average"],
        "municipalities": benchmark["municipalities"],
        "cycles": [_profile_cycle(con, cycle, view, benchmark["cycles"].get(cycle))
                   for cycle, view in kpis.cycle_views(con, own)],
    }


def _profile_cycle(con: duckdb.DuckDBPyConnection, cycle: str, view: Filters, network: dict | None) -> dict:
    """One cycle's priorities of the municipality in view beside the network's average share
    addressed for the same cycle (network_benchmark's), and the difference, computed from the exact
    shares and rounded once."""
    counts = kpis.priority_counts(kpis.priorities_by_municipality(con, view))
    mean = network["mean"] if network else None
    own = Fraction(counts["fully"] + counts["partially"], counts["total"]) if counts["total"] else None
    return {"cycle": cycle, "priorities": counts, "network_pct": kpis.rounded(mean),
            "network_municipalities": network["municipalities"] if network else 0,
            "difference": kpis.rounded(own - mean) if own is not None and mean is not None else None}


def addressed_trend(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Share addressed per contract cycle and year within the filters: counts and shares only."""
    sql, params = scope.priority_status(filters)
    table = frame(con, f"""
        SELECT year, cycle, {kpis.STATUS_COUNTS_SQL}
        FROM ({sql}) GROUP BY year, cycle ORDER BY cycle, year""", params)
    return _with_addressed(table)[["cycle", "year", "addressed_pct", "total"]]


def network_trend(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """addressed_trend of the whole network (the municipality filter set aside): aggregates only,
    so that it may be counted over rows its reader may not see (app.network)."""
    return addressed_trend(con, filters.but(municipality=()))


def profile_trend(con: duckdb.DuckDBPyConnection, filters: Filters, municipality: str,
                  network_label: str, network: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share addressed per year and contract cycle for the municipality and for the whole network
    (column 'series'; network: network_trend's, from this connection's rows unless given). Each
    cycle's contracts are counted apart (column 'cycle'), so a chart can draw one line per series and
    cycle instead of joining one contract's last year to the next one's first."""
    network = network if network is not None else network_trend(con, filters)
    parts = [addressed_trend(con, filters.but(municipality=(municipality,))).assign(series=municipality),
             network.assign(series=network_label)]
    return pd.concat(parts, ignore_index=True)[["series", "cycle", "year", "addressed_pct", "total"]]


def target_progress(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Every target within the filters beside what was achieved (pop_analytics.targets.progress)."""
    from . import targets  # imported here: the one function that needs it
    return targets.progress(con, filters)
