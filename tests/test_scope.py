"""The one builder of filter SQL: exact clauses, and the same rows as plain per-row list tests."""
from __future__ import annotations

import duckdb
import pytest

from pop_analytics import kpis, scope
from pop_analytics.filters import Filters


@pytest.mark.parametrize(("chosen", "columns", "sql", "params"), [
    (Filters(), scope.ACTIVITY_COLUMNS, "", {}),
    (Filters(municipality=("Tiranë", "Fier")), scope.ACTIVITY_COLUMNS,
     "\n  AND municipality IN (CAST($f_municipality_0 AS VARCHAR), CAST($f_municipality_1 AS VARCHAR))",
     {"f_municipality_0": "Tiranë", "f_municipality_1": "Fier"}),
    (Filters(year=(2020,), cycle="2019-2023"), scope.PRIORITY_COLUMNS,
     "\n  AND s.year IN (CAST($f_year_0 AS INTEGER))\n  AND s.cycle = CAST($f_cycle AS VARCHAR)",
     {"f_year_0": 2020, "f_cycle": "2019-2023"}),
    (Filters(theme=("water",)), scope.PRIORITY_COLUMNS, "\n  AND p.theme IN (CAST($f_theme_0 AS VARCHAR))",
     {"f_theme_0": "water"}),
    # An activity's themes are bits (water 1, transport 2, roads 8): one AND per row tests them all.
    (Filters(theme=("water",)), scope.ACTIVITY_COLUMNS, "\n  AND (theme_mask & CAST($f_theme_mask AS BIGINT)) <> 0",
     {"f_theme_mask": 1}),
    (Filters(theme=("water", "roads", "transport")), scope.ACTIVITY_COLUMNS,
     "\n  AND (theme_mask & CAST($f_theme_mask AS BIGINT)) <> 0", {"f_theme_mask": 11}),
    # Figures have no theme or cycle: those filters do not narrow them.
    (Filters(year=(2023,), theme=("water",), cycle="2019-2023"), scope.FIGURE_COLUMNS,
     "\n  AND f.year IN (CAST($f_year_0 AS INTEGER))", {"f_year_0": 2023}),
])
def test_only_the_filters_that_are_set_become_sql_with_every_value_bound(chosen, columns, sql, params):
    assert scope.where(chosen, columns) == scope.Clause(sql, params)


def test_a_hostile_value_is_bound_never_written_into_the_sql():
    clause = scope.where(Filters(municipality=("x'); DROP TABLE activities; --",)), scope.ACTIVITY_COLUMNS)
    assert "DROP" not in clause.sql
    assert clause.params == {"f_municipality_0": "x'); DROP TABLE activities; --"}


# An independent statement of the same rules, per row with lists (the way they were first written):
# the builder must select exactly these rows.
PLAIN_PRIORITIES = """
SELECT s.municipality, s.cycle, s.code, s.year, s.status, p.theme
FROM priority_status s JOIN priorities p USING (cycle, municipality, code)
WHERE s.superseded_by IS NULL AND p.superseded_by IS NULL
  AND (len($municipalities) = 0 OR list_contains($municipalities, s.municipality))
  AND (len($years) = 0 OR list_contains($years, s.year))
  AND (len($themes) = 0 OR list_contains($themes, p.theme))
  AND ($cycle IS NULL OR s.cycle = $cycle)"""
PLAIN_ACTIVITIES = """
SELECT municipality, type, date, events, participants, excel_row, import_id FROM activities
WHERE superseded_by IS NULL
  AND (len($municipalities) = 0 OR list_contains($municipalities, municipality))
  AND (len($years) = 0 OR list_contains($years, year))
  AND (len($themes) = 0 OR list_has_any($themes, themes))
  AND ($cycle IS NULL OR cycle = $cycle)"""


def test_the_plain_statement_sees_the_demo_rows(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        counted = (len(_plain(con, PLAIN_PRIORITIES, Filters())), len(_plain(con, PLAIN_ACTIVITIES, Filters())))
        assert counted == (735, 298)
    finally:
        con.close()


def _plain(con, sql: str, chosen: Filters) -> list:
    typed = (sql.replace("$municipalities", "CAST($municipalities AS VARCHAR[])")
             .replace("$years", "CAST($years AS INTEGER[])").replace("$themes", "CAST($themes AS VARCHAR[])")
             .replace("$cycle", "CAST($cycle AS VARCHAR)"))
    params = {"municipalities": list(chosen.municipality), "years": list(chosen.year), "themes": list(chosen.theme),
              "cycle": chosen.cycle}
    return sorted(map(repr, con.execute(typed, params).fetchall()))


@pytest.mark.parametrize("chosen", [
    Filters(), Filters(municipality=("Tiranë", "Fier")), Filters(year=(2020, 2023)), Filters(theme=("water",)),
    Filters(theme=("water", "roads", "water")), Filters(cycle="2019-2023"), Filters(cycle="2023-2027"),
    Filters(municipality=("Tiranë",), year=(2021,), theme=("roads", "kindergartens"), cycle="2019-2023"),
])
def test_the_builder_selects_the_rows_the_plain_list_tests_select(demo_db, chosen):
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        sql, params = scope.priority_status(chosen)
        built = kpis.rows(con, f"SELECT municipality, cycle, code, year, status, theme FROM ({sql})", params)
        assert sorted(repr(tuple(r.values())) for r in built) == _plain(con, PLAIN_PRIORITIES, chosen)
        sql, params = scope.activities(chosen)
        built = kpis.rows(con, f"SELECT municipality, type, date, events, participants, excel_row, import_id {sql}",
                          params)
        plain = _plain(con, PLAIN_ACTIVITIES, chosen)
        assert sorted(repr(tuple(r.values())) for r in built) == plain
    finally:
        con.close()
