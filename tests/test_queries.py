"""The SQL behind the pages, on the demo data: exact values, agreement with the KPI object, bound values."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import ACTIVITY_HEADERS, TODAY, import_file, postgres_snapshot, write_csv

from pop_analytics import charts, kpis, queries, store
from pop_analytics.filters import Filters, resolve


@pytest.fixture(scope="module")
def con(demo_reader):
    return demo_reader


def test_years_and_municipalities_with_data(con):
    assert queries.years(con) == [2019, 2020, 2021, 2022, 2023, 2024, 2025]
    assert queries.years(con, resolve(cycle="2023-2027")) == [2023, 2024, 2025]  # spring 2023 forums open the cycle
    assert queries.municipalities(con) == ["Durrës", "Elbasan", "Fier", "Kamëz", "Korçë", "Kukës", "Pogradec", "Pukë",
                                           "Shkodër", "Tiranë", "Vau i Dejës", "Vlorë"]


def test_the_previous_period_moves_each_year_back_or_ends_before_the_latest():
    assert queries.previous_period(resolve(year="2021,2023"), [2019, 2025]).year == (2020, 2022)
    assert queries.previous_period(Filters(), [2019, 2020, 2021]).year == (2019, 2020)
    assert queries.previous_period(Filters(), [2019]) is None
    assert queries.previous_period(Filters(), []) is None


def test_overview_gives_the_kpis_now_and_one_year_earlier(con):
    result = queries.overview(con, resolve(year=2023))
    assert result["current"] == kpis.kpis(con, resolve(year=2023))
    assert result["previous"] == kpis.kpis(con, resolve(year=2022))
    assert result["previous_years"] == [2022]


def test_addressed_by_year_realises_the_published_figures(con):
    table = queries.addressed_by_year(con, Filters())
    assert table.to_dict("records") == [
        {"year": 2020, "cycle": "2019-2023", "total": 100, "fully": 17, "partially": 58, "not_addressed": 25,
         "addressed_pct": 75.0},
        {"year": 2021, "cycle": "2019-2023", "total": 137, "fully": 19, "partially": 83, "not_addressed": 35,
         "addressed_pct": 74.5},
        {"year": 2022, "cycle": "2019-2023", "total": 137, "fully": 38, "partially": 64, "not_addressed": 35,
         "addressed_pct": 74.5},
        {"year": 2023, "cycle": "2019-2023", "total": 137, "fully": 60, "partially": 42, "not_addressed": 35,
         "addressed_pct": 74.5},
        {"year": 2024, "cycle": "2023-2027", "total": 123, "fully": 7, "partially": 45, "not_addressed": 71,
         "addressed_pct": 42.3},
        # 10 municipalities monitored in 2025 (the published key figure): Kamëz and Pogradec's 22 priorities not
        {"year": 2025, "cycle": "2023-2027", "total": 101, "fully": 22, "partially": 46, "not_addressed": 33,
         "addressed_pct": 67.3},
    ]


@pytest.mark.parametrize("chosen", [Filters(), resolve(year=2023), resolve(municipality="Korce", year="2021-2022"),
                                    resolve(theme="water,roads", cycle="2023-2027")])
def test_status_by_theme_and_matrix_count_what_the_kpis_count(con, chosen):
    expected = kpis.kpis(con, chosen)["priorities"]
    by_theme = queries.status_by_theme(con, chosen).groupby("status")["priorities"].sum().to_dict()
    assert {s: by_theme.get(s, 0) for s in kpis.STATUSES} == {s: expected[s] for s in kpis.STATUSES}
    matrix = queries.status_matrix(con, chosen)
    assert int(matrix["total"].sum()) == expected["total"]


def test_status_matrix_for_one_municipality(con):
    matrix = queries.status_matrix(con, resolve(year=2023, municipality="Korce"))
    assert matrix[["theme", "total", "fully", "partially", "not_addressed", "addressed_pct"]].to_dict("records") == [
        {"theme": "civic_engagement", "total": 1, "fully": 0, "partially": 0, "not_addressed": 1, "addressed_pct": 0.0},
        {"theme": "kindergartens", "total": 1, "fully": 0, "partially": 1, "not_addressed": 0, "addressed_pct": 100.0},
        {"theme": "local_development", "total": 2, "fully": 1, "partially": 0, "not_addressed": 1,
         "addressed_pct": 50.0},
        {"theme": "roads", "total": 2, "fully": 2, "partially": 0, "not_addressed": 0, "addressed_pct": 100.0},
        {"theme": "social_justice", "total": 3, "fully": 1, "partially": 0, "not_addressed": 2, "addressed_pct": 33.3},
        {"theme": "transport", "total": 2, "fully": 0, "partially": 1, "not_addressed": 1, "addressed_pct": 50.0},
        {"theme": "water", "total": 1, "fully": 1, "partially": 0, "not_addressed": 0, "addressed_pct": 100.0},
    ]


def test_priorities_table_has_a_status_column_per_year(con):
    table = queries.priorities(con, resolve(municipality="Tirana", cycle="2019-2023"))
    assert len(table) == 12
    first = table.iloc[0]
    assert (first["code"], first["status"], first["2020"], first["2021"], first["2022"], first["2023"]) == (
        "TIR-01", "fully", "partially", "partially", "fully", "fully")


def test_priority_search_ignores_case_and_accents_and_binds_its_text(con):
    assert len(queries.priorities(con, resolve(municipality="Korce"), "KORCE")) == 22  # matches 'Korçë'
    assert len(queries.priorities(con, Filters(), "kopsht")) == 18
    assert queries.priorities(con, Filters(), "'; DROP TABLE priorities; --").empty
    assert queries.priorities(con, Filters(), "%").empty  # no wildcard: what is typed is searched as text
    assert con.execute("SELECT count(*) FROM priorities").fetchone()[0] > 0


def test_priority_history_with_notes_sources_and_file(con):
    history = queries.priority_history(con, "2019-2023", "Tiranë", "TIR-01")
    assert history[["year", "status", "source", "file_name", "excel_row"]].to_dict("records") == [
        {"year": 2020, "status": "partially", "source": "published", "file_name": "prioritetet_2019_2023.csv",
         "excel_row": 2},
        {"year": 2021, "status": "partially", "source": "invented for the demo",
         "file_name": "prioritetet_2019_2023.csv", "excel_row": 3},
        {"year": 2022, "status": "fully", "source": "invented for the demo", "file_name": "prioritetet_2019_2023.csv",
         "excel_row": 4},
        {"year": 2023, "status": "fully", "source": "published", "file_name": "prioritetet_2019_2023.csv",
         "excel_row": 5},
    ]
    assert history["note"].iloc[-1] == "Shërbimi funksionon"
    assert queries.priority_definition(con, "2019-2023", "Tiranë", "TIR-01") == {
        "cycle": "2019-2023", "municipality": "Tiranë", "code": "TIR-01",
        "title": "Riparimi i urës në NjA Shëngjergj", "theme": "roads", "due": None}
    assert queries.priority_definition(con, "2019-2023", "Tiranë", "NONE") is None


def test_municipality_cycles_with_their_election_dates(con):
    assert queries.municipality_cycles(con, "Korçë").to_dict("records") == [
        {"cycle": "2019-2023", "election_date": pd.Timestamp(2019, 6, 30), "priorities": 12, "first_year": 2021,
         "last_year": 2023},
        {"cycle": "2023-2027", "election_date": pd.Timestamp(2023, 5, 14), "priorities": 10, "first_year": 2024,
         "last_year": 2025}]


def test_activity_breakdowns_add_up_to_the_kpis(con):
    chosen = resolve(year=2023)
    expected = kpis.kpis(con, chosen)["activities"]
    by_type = queries.activities_by_type(con, chosen)
    assert by_type.to_dict("records")[:2] == [{"type": "focus_group", "events": 67, "participants": 1181},
                                              {"type": "participatory_budgeting", "events": 27, "participants": 931}]
    assert {r["type"]: {"events": r["events"], "participants": r["participants"]} for r in by_type.to_dict("records")} \
        == {k: v for k, v in expected["by_type"].items() if v["events"]}
    for table in (queries.activities_by_month(con, chosen), queries.activities_by_year_type(con, chosen),
                  queries.activities_by_municipality(con, chosen)):
        assert (int(table["events"].sum()), int(table["participants"].sum())) == (expected["events"],
                                                                                  expected["participants"])
    gender = queries.gender_by_year(con, chosen)
    assert gender.to_dict("records") == [{"year": 2023, "women": 1519, "men": 1347, "rows_without_split": 11,
                                          "women_pct": expected["women_pct"]}]
    assert len(queries.activity_rows(con, chosen)) == queries.activity_rows_count(con, chosen) == 60


def test_activity_rows_come_latest_first_and_stop_at_the_limit(con):
    chosen = resolve(year=2023)
    first = queries.activity_rows(con, chosen, limit=5)
    assert len(first) == 5
    key = ["date", "municipality", "type", "events", "participants"]
    everything = queries.activity_rows(con, chosen)
    assert first[key].to_dict("records") == everything[key].head(5).to_dict("records")
    assert list(first["date"]) == sorted(first["date"], reverse=True)


def test_activities_by_month_for_one_municipality(con):
    table = queries.activities_by_month(con, resolve(year=2023, municipality="Tirana"))
    assert [(m.month, e, p) for m, e, p in zip(table["month"], table["events"], table["participants"])] == [
        (2, 3, 57), (3, 2, 161), (5, 3, 118), (6, 3, 86), (10, 10, 200)]


def test_the_newsletter_totals_stand_beside_their_itemised_rows(con):
    table = queries.reported_vs_itemised(con, resolve(year=2023))
    assert table[["indicator", "reported", "itemised", "difference", "rows"]].to_dict("records") == [
        {"indicator": "events", "reported": 62.0, "itemised": 52, "difference": 10.0, "rows": 10},
        {"indicator": "participants", "reported": 1000.0, "itemised": 1157, "difference": -157.0, "rows": 10}]
    assert queries.reported_vs_itemised(con, resolve(year=2023, municipality="Tirana")).empty  # network-wide only


def test_figures_reported_only_as_totals(con):
    table = queries.reported_figures(con, resolve(year=2025))
    assert dict(zip(table["indicator"], table["value"])) == {
        "candidates_engaged": 42.0, "monitoring_reports": 10.0, "persons_reached": 129466.0,
        "unique_participants": 2984.0}


def test_rows_without_a_women_men_split(con):
    assert len(queries.rows_without_split(con, Filters())) == queries.rows_without_split_count(con, Filters()) == 30
    assert len(queries.rows_without_split(con, Filters(), limit=4)) == 4
    table = queries.rows_without_split(con, resolve(year=2023))
    assert len(table) == 11
    assert set(table["file_name"]) == {"aktivitetet.csv"}
    assert (table["women"].isna() | table["men"].isna()).all()


def test_reporting_gaps_name_a_member_with_nothing_reported(con):
    # the demo network reports every year, but for the two municipalities the 2025 key figures leave out
    assert queries.missing_reports(con, resolve(year="2019-2025")).to_dict("records") == [
        {"year": 2025, "municipality": name, "priorities_monitored": 0, "activities": 0, "monitoring_year": True}
        for name in ("Kamëz", "Pogradec")]
    gaps = queries.reporting_gaps(con, resolve(year=2021, municipality="Korce,Berat"))
    assert gaps.to_dict("records") == [
        {"year": 2021, "municipality": "Berat", "priorities_monitored": 0, "activities": 0, "monitoring_year": True},
        {"year": 2021, "municipality": "Korçë", "priorities_monitored": 12, "activities": 2, "monitoring_year": True}]
    assert list(queries.missing_reports(con, resolve(year=2021, municipality="Korce,Berat"))["municipality"]) == [
        "Berat"]


def test_the_profile_compares_with_the_mean_of_the_network(con):
    result = queries.profile(con, resolve(year=2023), "Korçë")
    assert result["own"] == kpis.kpis(con, resolve(year=2023, municipality="Korçë"))
    assert result["average"] == {"events": 13.0, "participants": 342.2, "women_pct": 53.1}
    assert result["municipalities"] == 12
    [cycle] = result["cycles"]
    assert (cycle["cycle"], cycle["priorities"]["addressed_pct"], cycle["network_pct"], cycle["difference"],
            cycle["network_municipalities"]) == ("2019-2023", 58.3, 75.0, -16.7, 12)
    trend = queries.profile_trend(con, resolve(year="2022-2023"), "Korçë", "Network")
    assert trend.to_dict("records") == [
        {"series": "Korçë", "cycle": "2019-2023", "year": 2022, "addressed_pct": 58.3, "total": 12},
        {"series": "Korçë", "cycle": "2019-2023", "year": 2023, "addressed_pct": 58.3, "total": 12},
        {"series": "Network", "cycle": "2019-2023", "year": 2022, "addressed_pct": 74.5, "total": 137},
        {"series": "Network", "cycle": "2019-2023", "year": 2023, "addressed_pct": 74.5, "total": 137}]


def test_the_profile_trend_keeps_each_contract_cycle_apart(con):
    """2023 closes the 2019–2023 contracts and 2024 opens the 2023–2027 ones: two series, not one line."""
    trend = queries.profile_trend(con, resolve(year="2023-2024"), "Durrës", "Network")
    assert trend[["series", "cycle", "year", "total"]].to_dict("records") == [
        {"series": "Durrës", "cycle": "2019-2023", "year": 2023, "total": 11},
        {"series": "Durrës", "cycle": "2023-2027", "year": 2024, "total": 12},
        {"series": "Network", "cycle": "2019-2023", "year": 2023, "total": 137},
        {"series": "Network", "cycle": "2023-2027", "year": 2024, "total": 123}]


def test_imports_newest_first(con):
    assert queries.imports(con)[["id", "file_name", "rows", "import_status"]].to_dict("records") == [
        {"id": 5, "file_name": "synimet.csv", "rows": 17, "import_status": "approved"},
        {"id": 4, "file_name": "shifrat.csv", "rows": 7, "import_status": "approved"},
        {"id": 3, "file_name": "prioritetet_2023_2027.csv", "rows": 224, "import_status": "approved"},
        {"id": 2, "file_name": "prioritetet_2019_2023.csv", "rows": 511, "import_status": "approved"},
        {"id": 1, "file_name": "aktivitetet.csv", "rows": 298, "import_status": "approved"}]


@pytest.mark.parametrize("name", ["addressed_by_year", "status_by_theme", "status_matrix", "priorities",
                                  "activities_by_month", "activities_by_year_type", "activities_by_type",
                                  "activities_by_municipality", "gender_by_year", "activity_rows",
                                  "reported_vs_itemised", "reported_figures", "rows_without_split"])
def test_every_query_answers_an_empty_database_with_an_empty_table(tmp_path, name):
    connection = store.connect(tmp_path / "empty.duckdb")
    try:
        assert getattr(queries, name)(connection, resolve(year=2023)).empty
        assert queries.missing_reports(connection, Filters()).empty  # no year in view: nothing to expect
        assert len(queries.missing_reports(connection, resolve(year=2023))) == 12  # every member owes 2023
    finally:
        connection.close()


def test_a_filter_matching_nothing_gives_empty_tables(con):
    nothing = resolve(municipality="Berat")
    assert queries.years(con, nothing) == []
    assert queries.addressed_by_year(con, nothing).empty and queries.activities_by_type(con, nothing).empty


def test_the_matrix_colour_counts_a_partly_addressed_priority_as_half_done(con):
    """0·1·0 (one priority, partially addressed) is 100 % addressed but 50 % progress; the chart is
    coloured by progress, with its legend named so."""
    matrix = queries.status_matrix(con, resolve(year=2023, municipality="Korce"))
    rows = {r["theme"]: (r["fully"], r["partially"], r["not_addressed"], r["addressed_pct"], r["progress_pct"])
            for r in matrix.to_dict("records")}
    assert rows["kindergartens"] == (0, 1, 0, 100.0, 50.0)
    assert rows["civic_engagement"] == (0, 0, 1, 0.0, 0.0)
    colour = charts.status_matrix(matrix, "en").to_dict()["layer"][0]["encoding"]["color"]
    assert (colour["field"], colour["title"], colour["legend"]["orient"]) == ("progress_pct", "Progress (%)", "bottom")


# ── every share of priorities within one contract cycle (issue 19, item 3) ──────────────────

def test_the_durres_profile_counts_each_contract_cycle_apart_as_the_overview_does(con):
    """Durrës holds 10 of 11 priorities addressed of 2019-2023 and 7 of 12 of 2023-2027: 90.9 % and
    58.3 %, never the 73.9 % of 17 over 23; each beside the network's average for the same cycle."""
    profile = queries.profile(con, Filters(), "Durrës")
    overview = queries.overview(con, resolve(municipality="Durrës"))
    shown = [(c["cycle"], c["priorities"]["fully"] + c["priorities"]["partially"], c["priorities"]["total"],
              c["priorities"]["addressed_pct"], c["network_pct"], c["difference"]) for c in profile["cycles"]]
    assert shown == [("2019-2023", 10, 11, 90.9, 75.0, 15.9), ("2023-2027", 7, 12, 58.3, 65.1, -6.8)]
    assert [(c["cycle"], c["current"]["priorities"]["addressed_pct"]) for c in overview["cycles"]] == [
        ("2019-2023", 90.9), ("2023-2027", 58.3)]
    network = {c["cycle"]: c for c in queries.overview(con, Filters())["cycles"]}
    assert [network[c]["current"]["priorities"]["total"] for c in ("2019-2023", "2023-2027")] == [137, 123]


def test_the_tracker_matrix_counts_each_contract_cycle_apart(con):
    matrix = queries.status_matrix(con, resolve(municipality="Durrës"))
    per_cycle = matrix.groupby("cycle")[["total", "fully", "partially", "not_addressed"]].sum()
    assert per_cycle.reset_index().to_dict("records") == [
        {"cycle": "2019-2023", "total": 11, "fully": 5, "partially": 5, "not_addressed": 1},
        {"cycle": "2023-2027", "total": 12, "fully": 1, "partially": 6, "not_addressed": 5}]
    water = matrix[matrix["theme"] == "water"][["cycle", "total", "fully", "partially", "not_addressed"]]
    assert water.to_dict("records") == [
        {"cycle": "2019-2023", "total": 1, "fully": 0, "partially": 1, "not_addressed": 0},
        {"cycle": "2023-2027", "total": 2, "fully": 0, "partially": 1, "not_addressed": 1}]


@pytest.mark.parametrize(("chosen", "cycles"), [
    (Filters(), ["2019-2023", "2023-2027"]), (resolve(year=2023), ["2019-2023"]),
    (resolve(year="2023,2024"), ["2019-2023", "2023-2027"]), (resolve(cycle="2023-2027"), ["2023-2027"]),
    (resolve(municipality="Berat"), []),
])
def test_one_rule_names_the_cycles_every_share_of_priorities_is_counted_in(con, chosen, cycles):
    assert [cycle for cycle, _ in kpis.cycle_views(con, chosen)] == cycles
    overview = queries.overview(con, chosen)
    assert [part["cycle"] for part in overview["cycles"]] == cycles
    assert [part["cycle"] for part in kpis.by_cycle(con, chosen)] == cycles
    # the tracker's summaries: the Overview's counts per cycle, without its activities and earlier periods
    assert [(part["cycle"], part["priorities"]) for part in queries.cycle_priorities(con, chosen)] == [
        (part["cycle"], part["current"]["priorities"]) for part in overview["cycles"]]
    # the pages and the report show each cycle's priorities apart, else the view's (none) once
    assert [part.get("cycle") for part in queries.priority_parts(overview)] == (cycles or [None])


# ── a year under way (issue 19, item 10) ─────────────────────────────────────────────────────

def _with_2026_so_far(demo_con, tmp_path) -> None:
    """One Durrës focus group in March 2026: the whole of 2026 so far (conftest's TODAY is 21 Nov 2026)."""
    import_file(demo_con, write_csv(tmp_path / "durres_2026.csv", [
        ACTIVITY_HEADERS, ["02.03.2026", "Durrës", "Fokus grup", 2, 40, 20, 20, None, "Uji i pijshëm"]]))


def test_a_year_under_way_is_compared_with_the_same_months_of_the_year_before(demo_con, tmp_path):
    _with_2026_so_far(demo_con, tmp_path)
    result = queries.overview(demo_con, resolve(year=2026), today=TODAY)
    assert result["partial"] == {"year": 2026, "to": TODAY, "previous_to": dt.date(2025, 11, 21)}
    until = kpis.kpis(demo_con, resolve(year=2025), until=dt.date(2025, 11, 21))["activities"]
    whole = kpis.kpis(demo_con, resolve(year=2025))["activities"]
    assert (until["events"], until["participants"]) == (result["previous"]["activities"]["events"],
                                                       result["previous"]["activities"]["participants"])
    assert (until["events"], until["participants"]) == (180, 2617)  # all of 2025: 215 events, 3,384 participants
    assert (whole["events"], whole["participants"]) == (215, 3384)
    # municipalities count for priorities too, monitored once a year: not compared until the year is over
    assert (result["current"]["municipalities_covered"], result["previous"]["municipalities_covered"]) == (1, None)


def test_a_whole_year_is_compared_with_the_whole_year_before(demo_con, tmp_path):
    _with_2026_so_far(demo_con, tmp_path)
    result = queries.overview(demo_con, resolve(year=2026), today=dt.date(2027, 1, 5))
    assert result["partial"] is None
    assert result["previous"] == kpis.kpis(demo_con, resolve(year=2025))
    assert queries.overview(demo_con, resolve(year=2025), today=TODAY)["partial"] is None


@pytest.mark.parametrize(("years", "today", "partial"), [
    ([2026], dt.date(2026, 11, 21), True), ([2025, 2026], dt.date(2026, 1, 1), True),
    ([2026], dt.date(2026, 12, 31), False), ([2025], dt.date(2026, 6, 1), False), ([], dt.date(2026, 6, 1), False),
])
def test_only_the_calendar_year_still_under_way_is_partial(years, today, partial):
    assert queries.partial_year(years, today) is partial


def test_the_same_day_a_year_earlier_of_29_february_is_28_february():
    assert queries.a_year_before(dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)
    assert queries.a_year_before(dt.date(2026, 12, 6)) == dt.date(2025, 12, 6)


# ── overdue promises (issue 23, item 6) ──────────────────────────────────────────────────────

DEADLINE_HEADERS = ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi", "Afati"]


def _dated_file(directory) -> object:
    """Seven priorities, hand-worked on 6 Dec 2026: F1 (cycle ended 2023, partially) and G1 (own
    deadline 30.06.2025, partially) and D1 (own deadline 31.03.2026, not addressed) are overdue; F2 is
    fully addressed; G2's own deadline (31.12.2026) and G3's cycle end (2027) are still ahead; G4 was
    partially addressed in 2024 and fully in 2025, so it is overdue only in a view of 2024."""
    def row(cycle, place, code, year, status, due=None):
        return [cycle, place, code, f"Prioriteti {code}", "Uji i pijshëm", year, status, due]
    return write_csv(directory / "prioritetet_afatet.csv", [
        DEADLINE_HEADERS,
        row("2019-2023", "Fier", "F1", 2022, "Pjesërisht"),
        row("2019-2023", "Fier", "F2", 2022, "Plotësisht"),
        row("2023-2027", "Fier", "G1", 2024, "Pjesërisht", "30.06.2025"),
        row("2023-2027", "Fier", "G2", 2024, "Pjesërisht", "31.12.2026"),
        row("2023-2027", "Fier", "G3", 2024, "Nuk është adresuar"),
        row("2023-2027", "Fier", "G4", 2024, "Pjesërisht", "30.06.2025"),
        row("2023-2027", "Fier", "G4", 2025, "Plotësisht", "30.06.2025"),
        row("2023-2027", "Durrës", "D1", 2025, "Nuk është adresuar", "31.03.2026"),
    ])


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def dated(request, tmp_path_factory):
    """The seven priorities in each store: a DuckDB file, or imported into PostgreSQL and read from the replica."""
    path = _dated_file(tmp_path_factory.mktemp("dated"))
    if request.param == "duckdb":
        con = store.connect(tmp_path_factory.mktemp("dated_db") / "dated.duckdb")
        import_file(con, path)
        yield con
        con.close()
        return
    with postgres_snapshot(request, None, lambda db: import_file(db, path)) as con:
        yield con


PINNED = dt.date(2026, 12, 6)


def test_each_priority_s_deadline_is_its_own_date_else_its_cycle_s_end(dated):
    table = queries.deadlines(dated, Filters(), PINNED)
    shown = [(r.code, r.status, r.deadline.date(), r.days_left, r.overdue) for r in table.itertuples()]
    assert shown == [  # overdue first, the longest overdue first; then the others, the earliest deadline first
        ("F1", "partially", dt.date(2023, 12, 31), -1071, True),
        ("G1", "partially", dt.date(2025, 6, 30), -524, True),
        ("D1", "not_addressed", dt.date(2026, 3, 31), -250, True),
        ("F2", "fully", dt.date(2023, 12, 31), -1071, False),
        ("G4", "fully", dt.date(2025, 6, 30), -524, False),
        ("G2", "partially", dt.date(2026, 12, 31), 25, False),
        ("G3", "not_addressed", dt.date(2027, 12, 31), 390, False),
    ]
    assert [None if pd.isna(d) else d.date() for d in table.sort_values("code")["due"]] == [
        dt.date(2026, 3, 31), None, None, dt.date(2025, 6, 30), dt.date(2026, 12, 31), None, dt.date(2025, 6, 30)]


@pytest.mark.parametrize(("chosen", "today", "expected"), [
    (Filters(), PINNED, {"overdue": 3, "total": 7}),
    (resolve(year=2024), PINNED, {"overdue": 2, "total": 4}),  # G1 and G4, whose latest status in view is partial
    (resolve(municipality="Durres"), PINNED, {"overdue": 1, "total": 1}),
    (resolve(cycle="2019-2023"), PINNED, {"overdue": 1, "total": 2}),
    (Filters(), dt.date(2026, 12, 31), {"overdue": 3, "total": 7}),  # G2 on its deadline day: not yet
    (Filters(), dt.date(2027, 1, 1), {"overdue": 4, "total": 7}),
    (Filters(), dt.date(2023, 12, 31), {"overdue": 0, "total": 7}),
    (resolve(municipality="Berat"), PINNED, {"overdue": 0, "total": 0}),
])
def test_the_overdue_count_is_of_the_priorities_in_view_on_the_day_given(dated, chosen, today, expected):
    assert queries.overdue_count(dated, chosen, today) == expected


def test_the_priorities_table_gives_each_one_s_deadline_and_may_list_only_the_overdue(dated):
    table = queries.priorities(dated, Filters(), today=PINNED)
    assert table[["code", "days_left", "overdue"]].values.tolist() == [
        ["D1", -250, True], ["F1", -1071, True], ["F2", -1071, False], ["G1", -524, True], ["G2", 25, False],
        ["G3", 390, False], ["G4", -524, False]]
    only = queries.priorities(dated, Filters(), today=PINNED, overdue_only=True)
    assert only["code"].tolist() == ["D1", "F1", "G1"]
    assert list(only.columns) == list(table.columns)  # the year columns stay, empty or not
    assert queries.priorities(dated, resolve(year=2024), today=PINNED, overdue_only=True)["code"].tolist() == [
        "G1", "G4"]


def test_a_priority_s_definition_carries_its_own_deadline(dated):
    assert queries.priority_definition(dated, "2023-2027", "Fier", "G1")["due"] == dt.date(2025, 6, 30)
    assert queries.priority_definition(dated, "2023-2027", "Fier", "G3")["due"] is None


def test_the_demo_s_overdue_priorities_are_the_2019_2023_ones_not_fully_addressed(con):
    """No demo priority has a deadline of its own: 2019-2023 ended with 2023 (77 of its 137 not fully
    addressed), 2023-2027 ends with 2027."""
    assert queries.overdue_count(con, Filters(), PINNED) == {"overdue": 77, "total": 260}
    assert queries.overdue_count(con, resolve(cycle="2023-2027"), PINNED) == {"overdue": 0, "total": 123}
    # from 2028 every 2023-2027 priority not fully addressed (23 are, by their latest status) is overdue
    assert queries.overdue_count(con, resolve(cycle="2023-2027"), dt.date(2028, 1, 1)) == {"overdue": 100,
                                                                                          "total": 123}
