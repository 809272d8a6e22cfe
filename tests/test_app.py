"""The dashboard as people use it: links that reproduce a view, the language switch, filters, the
numbers against the command line, uploading a partner's file, and undoing an import."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import urllib.parse

import pandas as pd
import pytest
from dashboard_support import (
    ACTIVITY_HEADER,
    ROOT,
    assert_clean,
    frame_with_column,
    markdown_texts,
    metrics,
    number,
    open_app,
    opened,
    xlsx,
)

from pop_analytics import access, filters, importing, present, queries, settings, store
from pop_analytics.app import widgets
from pop_analytics.database import Database
from pop_analytics.i18n import t


def shown(markdown: str) -> str:
    """What a reader sees of a text whose values app.escape escaped: the backslashes and the
    invisible word joiners go (tests/test_rendering.py checks this in detail)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


# ── links ────────────────────────────────────────────────────────────────────────────────────

def test_a_link_with_filters_and_language_opens_that_view(app_reader_db):
    at = open_app("overview", {"municipality": "Tirana,Korce", "year": "2023", "lang": "en"})
    assert_clean(at)
    assert at.multiselect(key="filter_municipality").value == ["Tiranë", "Korçë"]
    assert at.multiselect(key="filter_year").value == [2023]
    assert at.title[0].value == "Overview"
    assert metrics(at)["Priorities addressed"] == ("54.2%", "±0.0 pp")
    assert metrics(at)["Events"] == ("35", "+23")
    assert not at.warning


def test_the_url_always_says_what_the_view_shows_in_canonical_spelling(app_reader_db):
    at = open_app("overview", {"municipality": ["tirana", "KORÇA"], "year": "2020-2022", "theme": "Uji", "lang": "en"})
    assert at.query_params == {"municipality": "Tiranë,Korçë", "year": "2020-2022", "theme": "water", "lang": "en"}
    at.multiselect(key="filter_year").set_value([2021]).run()
    assert at.query_params["year"] == "2021"
    at.switch_page("app_pages/tracker.py").run()
    assert at.query_params == {"municipality": "Tiranë,Korçë", "year": "2021", "theme": "water", "lang": "en"}
    assert at.multiselect(key="filter_theme").value == ["water"]


@pytest.mark.parametrize(("lang", "note"), [
    ("en", "The link names a theme this dashboard does not know, 'Ujii'; it was left out. "
           "Did you mean 'drinking water'?"),
    ("sq", "Lidhja përmend një temë që ky panel nuk e njeh, 'Ujii'; u la jashtë. Mos keni parasysh 'Uji i pijshëm'?"),
])
def test_a_links_close_theme_is_suggested_in_the_readers_language(app_reader_db, lang, note):
    at = open_app("overview", {"theme": "Ujii", "lang": lang})
    assert [shown(w.value) for w in at.warning] == [note]


def test_a_bad_value_in_the_link_is_left_out_with_a_visible_note(app_reader_db):
    at = open_app("overview", {"municipality": "Tirana,Tyranna,Atlantis", "year": "20x3", "cycle": "1999-2000",
                               "lang": "en"})
    assert_clean(at)
    assert at.multiselect(key="filter_municipality").value == ["Tiranë"]
    assert at.multiselect(key="filter_year").value == []
    assert at.selectbox(key="filter_cycle").value == ""
    assert [shown(w.value) for w in at.warning] == [
        "The link names a municipality this dashboard does not know, 'Tyranna'; it was left out. "
        "Did you mean 'Tiranë'?",
        "The link names a municipality this dashboard does not know, 'Atlantis'; it was left out.",
        "The link gives '20x3' as a year, which is not a year; it was left out.",
        "The link names a contract cycle that does not exist, '1999-2000'; all cycles are shown.",
    ]
    at.multiselect(key="filter_municipality").set_value(["Fier"]).run()
    assert not at.warning  # the note goes once the reader changes the view


def test_an_unknown_language_in_the_link_falls_back_to_albanian_with_a_note(app_reader_db):
    at = open_app("overview", {"lang": "fr"})
    assert at.title[0].value == "Përmbledhje"
    assert [w.value for w in at.warning] == [
        "Lidhja kërkon gjuhën 'fr', që ky panel nuk e ka; shfaqet në shqip."]


def test_url_filters_round_trip_through_compact_text():
    chosen, rejected = filters.resolve_lenient(municipality=["Tirana,Durresi", "Vau-Dejes"], year=["2019", "2021-2023"],
                                               theme="Uji i pijshëm,roads", cycle="2019 – 2023")
    assert rejected == []
    assert chosen == filters.Filters(("Tiranë", "Durrës", "Vau i Dejës"), (2019, 2021, 2022, 2023),
                                     ("water", "roads"), "2019-2023")
    query = filters.to_query(chosen)
    assert query == {"municipality": "Tiranë,Durrës,Vau i Dejës", "year": "2019,2021-2023", "theme": "water,roads",
                     "cycle": "2019-2023"}
    assert filters.resolve_lenient(**query) == (chosen, [])


def test_a_year_range_reads_in_either_order_and_with_a_dash_or_dots():
    assert filters.resolve(year="2020-2023").year == (2020, 2021, 2022, 2023)
    assert filters.resolve(year="2023–2021").year == (2021, 2022, 2023)
    assert filters.resolve(year=["2019..2020", "2025"]).year == (2019, 2020, 2025)
    assert filters.compact_years([2019, 2020, 2022, 2023, 2024]) == "2019,2020,2022-2024"


# ── language ─────────────────────────────────────────────────────────────────────────────────

def test_the_language_switch_changes_every_label(app_reader_db):
    at = open_app("overview", {"year": "2023"})
    assert at.title[0].value == "Përmbledhje"
    assert metrics(at)["Prioritete të adresuara"] == ("74,5%", "±0,0 p.p.")
    assert metrics(at)["Pjesëmarrës"] == ("4\u00a0106", "+2\u00a0480")
    at.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "Overview"
    assert metrics(at)["Priorities addressed"] == ("74.5%", "±0.0 pp")
    assert metrics(at)["Participants"] == ("4,106", "+2,480")
    assert at.multiselect(key="filter_municipality").label == "Municipality"
    assert at.query_params["lang"] == "en"


def test_the_language_holds_across_pages(app_reader_db):
    at = open_app("overview", {"lang": "en"})
    at.switch_page("app_pages/quality.py").run()
    assert at.title[0].value == "Data quality"


# ── filters and numbers ──────────────────────────────────────────────────────────────────────

def test_changing_a_filter_changes_the_numbers(app_reader_db):
    at = open_app("overview", {"year": "2023", "lang": "en"})
    assert {k: v[0] for k, v in metrics(at).items()} == {
        "Priorities addressed": "74.5%", "Fully addressed": "43.8%", "Partially addressed": "30.7%",
        "Not addressed": "25.5%", "Events": "156", "Participants": "4,106", "Women's share": "53.0%",
        "Municipalities covered": "12"}
    at.multiselect(key="filter_municipality").set_value(["Korçë"]).run()
    assert {k: v for k, v in metrics(at).items()} == {
        "Priorities addressed": ("58.3%", "±0.0 pp"), "Fully addressed": ("41.7%", "+25.0 pp"),
        "Partially addressed": ("16.7%", "-25.0 pp"), "Not addressed": ("41.7%", "±0.0 pp"),
        "Events": ("14", "+12"), "Participants": ("221", "+164"), "Women's share": ("50.3%", "-0.6 pp"),
        "Municipalities covered": ("1", "±0")}


def test_the_first_monitoring_year_shows_the_published_shares(app_reader_db):
    at = open_app("overview", {"year": "2020", "lang": "en"})
    shown = {k: v[0] for k, v in metrics(at).items()}
    assert (shown["Fully addressed"], shown["Partially addressed"], shown["Not addressed"]) == ("17.0%", "58.0%",
                                                                                                 "25.0%")


def printed_kpis(db, query: dict) -> dict:
    arguments = [f"--{key}={value}" for key, value in query.items()]
    command = [sys.executable, "-m", "pop_analytics", "kpis", "--json", "--db", str(db), *arguments]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout)


@pytest.mark.parametrize(("query", "cycles"), [
    ({"municipality": "Tirana,Korce", "year": "2023"}, ["2019-2023"]),
    ({"year": "2020"}, ["2019-2023"]),
    ({"cycle": "2023-2027", "theme": "water,transport"}, ["2023-2027"]),
    ({"year": "2023,2024"}, ["2019-2023", "2023-2027"]),
    ({}, ["2019-2023", "2023-2027"]),
])
def test_tiles_equal_what_the_command_line_prints_for_the_same_filters(demo_db, tmp_path, monkeypatch, query, cycles):
    """Each cycle's priority tiles equal `kpis --cycle` (a view over two cycles shows them apart,
    never one share over both); the participation tiles equal `kpis` for the whole view."""
    cli_db, app_db = tmp_path / "cli.duckdb", tmp_path / "app.duckdb"
    shutil.copy(demo_db, cli_db)
    shutil.copy(demo_db, app_db)
    whole = printed_kpis(cli_db, query)
    per_cycle = [printed_kpis(cli_db, {**query, "cycle": c}) if len(cycles) > 1 else whole for c in cycles]
    monkeypatch.setenv("POP_DB", str(app_db))
    for lang in ("en", "sq"):
        tiles = [(m.label, number(m.value)) for m in open_app("overview", {**query, "lang": lang}).metric]
        priority_labels = [t(f"kpi.{k}", lang) for k in ("addressed", "fully", "partially", "not_addressed")]
        expected = []
        for found in per_cycle:
            p = found["priorities"]
            expected += zip(priority_labels, [p["addressed_pct"], p["fully_pct"], p["partially_pct"],
                                              p["not_addressed_pct"]])
        a = whole["activities"]
        expected += zip([t(f"kpi.{k}", lang)
                         for k in ("events", "participants", "women_pct", "municipalities_covered")],
                        [a["events"], a["participants"], a["women_pct"], whole["municipalities_covered"]])
        with Database(cli_db).reading() as con:  # then the totals reported for the period, as reported
            reported = queries.reported_totals(con, filters.resolve(**query))
        expected += [(t("kpi.reported", lang, indicator=present.capital(present.label("indicators", r.indicator, lang)),
                        year=r.year), r.value) for r in reported.itertuples()]
        assert tiles == expected


def test_the_profile_shows_the_partner_and_sets_the_shared_filter(app_reader_db):
    at = open_app("municipality", {"lang": "en", "year": "2023"})
    at.selectbox(key="profile_municipality").set_value("Korçë").run()
    assert_clean(at)
    assert at.multiselect(key="filter_municipality").value == ["Korçë"]
    assert at.query_params["municipality"] == "Korçë"
    assert "**Partner organisation:** Women in Development" in [m.value for m in at.markdown]
    assert metrics(at)["Priorities addressed · contracts 2019\\-2023"][0] == "58.3%"
    cycles = frame_with_column(at, "Elections")
    assert cycles.to_dict("records") == [
        {"Contract cycle": "2019-2023", "Elections": pd.Timestamp(2019, 6, 30), "Priorities": 12,
         "First year monitored": 2021, "Latest year monitored": 2023},
        {"Contract cycle": "2023-2027", "Elections": pd.Timestamp(2023, 5, 14), "Priorities": 10,
         "First year monitored": 2024, "Latest year monitored": 2025}]


@pytest.mark.parametrize(("lang", "expected", "rows"), [
    ("en", {"Priorities addressed · contracts 2019\\-2023": ("90.9%", "+15.9 pp"),
            "Priorities addressed · contracts 2023\\-2027": ("58.3%", "-6.8 pp")},
     [["Addressed, 2019-2023", "90.9%", "75.0%", "+15.9 pp"], ["Addressed, 2023-2027", "58.3%", "65.1%", "-6.8 pp"]]),
    ("sq", {"Prioritete të adresuara · kontratat 2019\\-2023": ("90,9%", "+15,9 p.p."),
            "Prioritete të adresuara · kontratat 2023\\-2027": ("58,3%", "-6,8 p.p.")},
     [["Të adresuara, 2019-2023", "90,9%", "75,0%", "+15,9 p.p."],
      ["Të adresuara, 2023-2027", "58,3%", "65,1%", "-6,8 p.p."]]),
])
def test_the_durres_profile_gives_each_contract_cycle_s_share_beside_the_network_s_same_cycle(app_reader_db, lang,
                                                                                              expected, rows):
    """It said 73.9 % addressed of 23 priorities: 10 of 11 of 2019-2023 and 7 of 12 of 2023-2027 blended."""
    at = open_app("municipality", {"municipality": "Durres", "lang": lang})
    assert_clean(at)
    shown = metrics(at)
    assert {label: shown[label] for label in expected} == expected
    assert not [label for label in shown if label in (t("kpi.addressed", lang), t("kpi.priorities", lang))]
    comparison = frame_with_column(at, t("profile.network_average", lang))
    assert comparison.values.tolist()[:2] == rows


def test_the_tracker_summarises_and_draws_each_contract_cycle_apart(app_reader_db):
    at = opened(open_app("tracker", {"municipality": "Durres", "lang": "en"}), "rows_behind_tracker")
    assert_clean(at)
    summaries = [m.value for m in at.markdown if m.value.startswith("Contracts ")]
    assert summaries == [
        ("Contracts 2019\\-2023: **11** priorities: **5** fully, **5** partially and **1** not addressed "
        "(latest status in view)."),
        ("Contracts 2023\\-2027: **12** priorities: **1** fully, **6** partially and **5** not addressed "
        "(latest status in view).")]
    assert [b.key for b in at.download_button if b.key.startswith("png_")] == [
        "png_pop_status_by_municipality_and_theme_2019-2023_Durres",
        "png_pop_status_by_municipality_and_theme_2023-2027_Durres"]
    rows = frame_with_column(at, "Progress (%)")
    assert list(rows.columns[:3]) == ["Contract cycle", "Municipality", "Theme"]
    assert rows.groupby("Contract cycle")["Priorities monitored"].sum().to_dict() == {"2019-2023": 11, "2023-2027": 12}


def test_the_tracker_search_ignores_accents_and_the_detail_shows_history(app_reader_db):
    at = open_app("tracker", {"lang": "en", "municipality": "Tirana", "cycle": "2019-2023"})
    at.text_input(key="search").set_value("ure").run()  # finds 'urës' (bridge)
    table = frame_with_column(at, "Priority")
    assert list(table["Code"]) == ["TIR-01"]
    assert list(table[["2020", "2021", "2022", "2023"]].iloc[0]) == ["partially addressed", "partially addressed",
                                                                   "fully addressed", "fully addressed"]
    history = frame_with_column(at, "Note")
    assert list(history["Year"]) == [2020, 2021, 2022, 2023]
    assert history["Note"].iloc[-1] == "Shërbimi funksionon"
    assert list(history["File"].unique()) == ["prioritetet_2019_2023.csv"]


def test_the_data_quality_page_sets_the_newsletter_beside_its_rows(app_reader_db):
    at = open_app("quality", {"lang": "en", "year": "2023"})
    assert [w.value for w in at.warning] == ["2 of 2 reported totals differ from their itemised rows."]
    table = frame_with_column(at, "Itemised")
    assert table[["Indicator", "Reported", "Itemised", "Difference", "Rows"]].to_dict("records") == [
        {"Indicator": "events reported", "Reported": 62.0, "Itemised": 52, "Difference": 10.0, "Rows": 10},
        {"Indicator": "participants reported", "Reported": 1000.0, "Itemised": 1157, "Difference": -157.0,
         "Rows": 10}]


# ── upload ───────────────────────────────────────────────────────────────────────────────────

def test_a_good_file_is_checked_previewed_then_stored_on_confirmation(app_db):
    content = xlsx([ACTIVITY_HEADER, ["15.06.2019", "Tirana", "Fokus grup", 3, 40, 25, 15, "Uji i pijshëm"]])
    at = open_app("overview", {"lang": "en", "year": "2019", "municipality": "Tiranë"})
    assert (metrics(at)["Events"][0], metrics(at)["Participants"][0]) == ("4", "99")
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="upload_file").upload("tirane_qershor_2019.xlsx", content).run()
    assert_clean(at)
    assert [shown(s.value) for s in at.success] == [
        "'tirane_qershor_2019.xlsx' is valid: 1 row of activities. Check the preview, then confirm to store it."]
    preview = frame_with_column(at, "Activity type")
    assert preview.drop(columns="Date").to_dict("records")[0] == {
        "Municipality": "Tiranë", "Activity type": "focus group", "Events": 3,
        "Participants": 40, "Women": 25, "Men": 15, "Youth": None, "Themes": "drinking water",
        "Contract cycle": "2019-2023"}
    at.button(key="upload_confirm").click().run()
    assert_clean(at)
    assert shown(at.success[0].value) == ("'tirane_qershor_2019.xlsx' was stored as import #6 (1 row). "
                                   "The dashboard now includes it.")
    assert [shown(i.value) for i in at.info] == [
        ("The sheet 'Aktivitetet' has no contract-cycle column; each row's cycle was taken from its date "
         "(elections of 14 May 2023 start the 2023-2027 cycle).")]
    at.switch_page("app_pages/overview.py").run()
    assert (metrics(at)["Events"][0], metrics(at)["Participants"][0]) == ("7", "139")
    at.switch_page("app_pages/history.py").run()
    history = frame_with_column(at, "File")
    assert history.iloc[0][["Import", "Who", "File", "Content", "Rows", "Status"]].to_list() == [
        6, access.local_viewer().name, "tirane_qershor_2019.xlsx", "activities", 1, "approved"]


def test_a_bad_file_shows_every_problem_with_sheet_row_and_column(app_db):
    content = xlsx([["Aktivitetet e vitit 2024"], ACTIVITY_HEADER,
                    ["12.03.2024", "Tyranna", "Fokus grup", 1, 20, 10, 10, "Uji i pijshëm"],
                    ["13.03.2024", "Fier", "Fokus grup", 1, 20, 15, 10, "Rrugët"]])
    at = open_app("upload", {"lang": "en"})
    at.file_uploader(key="upload_file").upload("fier_mars.xlsx", content).run()
    assert_clean(at, errors_shown=True)
    assert [shown(e.value) for e in at.error] == [
        "'fier_mars.xlsx' cannot be stored yet: 2 problems to fix. Nothing was stored."]
    report = frame_with_column(at, "What to fix")
    assert report[["Kind", "Sheet", "Row", "Column", "Value"]].iloc[:2].to_dict("records") == [
        {"Kind": "error", "Sheet": "Aktivitetet", "Row": 3, "Column": "Bashkia", "Value": "Tyranna"},
        {"Kind": "error", "Sheet": "Aktivitetet", "Row": 4, "Column": "Pjesëmarrës gjithsej", "Value": "20"}]
    assert list(report["Kind"]) == ["error", "error", "warning"]  # the warnings come with the errors
    assert report["What to fix"].iloc[0] == ("'Tyranna' is not a municipality this tool knows. "
                                             "Write the municipality's name, e.g. Tiranë. Did you mean 'Tiranë'?")
    assert "upload_confirm" not in [b.key for b in at.button]  # nothing to confirm for a refused file
    as_read = next(d.value for d in at.dataframe if "Bashkia" in d.value.columns)
    assert list(as_read.index) == [3, 4] and list(as_read["Bashkia"]) == ["Tyranna", "Fier"]
    at.radio(key="lang").set_value("sq").run()
    report = frame_with_column(at, "Çfarë duhet rregulluar")
    assert report["Çfarë duhet rregulluar"].iloc[0].startswith("'Tyranna' nuk është bashki që ky program e njeh.")


PRIORITY_HEADER = ["Cikli", "Bashkia", "Kodi", "Prioriteti", "Tema", "Viti i monitorimit", "Statusi"]


def priorities_with_realizuar(code: str) -> bytes:
    """A Pukë priority sheet whose status 'Realizuar' fits two statuses (rows 2 and 3)."""
    return xlsx([PRIORITY_HEADER,
                 ["2019-2023", "Pukë", code, "Ujësjellësi i Qerretit", "Uji i pijshëm", 2022, "Realizuar"],
                 ["2019-2023", "Pukë", code + "b", "Rruga e Qelzës", "Rrugët", 2022, "Realizuar"],
                 ["2019-2023", "Pukë", code + "c", "Kopshti i ri", "Kopshtet", 2022, "Pjesërisht"]],
                sheet="Prioritetet")


def test_a_value_that_fits_two_terms_is_chosen_remembered_and_read_so_in_the_next_file(app_db):
    at = open_app("upload", {"lang": "en"})
    at.file_uploader(key="upload_file").upload("puke_2022.xlsx", priorities_with_realizuar("PUK-90")).run()
    assert_clean(at, errors_shown=True)
    assert [shown(e.value) for e in at.error] == [
        "'puke_2022.xlsx' cannot be stored yet: 2 problems to fix. Nothing was stored."]
    report = frame_with_column(at, "What to fix")
    assert report[["Kind", "Row", "Column", "Value"]].to_dict("records") == [
        {"Kind": "error", "Row": 2, "Column": "Statusi", "Value": "Realizuar"},
        {"Kind": "error", "Row": 3, "Column": "Statusi", "Value": "Realizuar"},
        {"Kind": "warning", "Row": 4, "Column": "Tema", "Value": "Kopshtet"}]  # shown with the errors
    assert report["What to fix"].iloc[0] == ("'Realizuar' fits more than one status: fully addressed, partially "
                                             "addressed. Write the one you mean.")
    assert report["What to fix"].iloc[2] == "'Kopshtet' read as 'schools and kindergartens' (Tema, row 4)."
    # the value is asked about once, with the candidates offered and the best one chosen already
    [choice] = [s for s in at.selectbox if s.key.startswith("choose_")]
    assert (choice.options, choice.value) == (["fully addressed", "partially addressed", "not addressed"], "fully")
    assert [shown(m.value) for m in at.markdown if "Realizuar" in m.value] == ["'Realizuar' · Statusi · rows 2–3"]
    choice.set_value("partially")
    at.checkbox(key="remember_" + choice.key).check()
    at.button[[b.label for b in at.button].index("Check again with these choices")].click().run()
    assert_clean(at)
    assert [shown(s.value) for s in at.success] == [
        "'puke_2022.xlsx' is valid: 3 rows of priorities. Check the preview, then confirm to store it."]
    report = frame_with_column(at, "What to fix")
    assert "'Realizuar' read as 'partially addressed' through saved mapping #1 (Statusi, rows 2–3)." in list(
        report["What to fix"])
    assert [shown(m.value) for m in at.markdown if m.value.startswith("- ")] == [
        "- Storing this file replaces nothing stored earlier: every row is new."]
    at.button(key="upload_confirm").click().run()
    assert_clean(at)
    assert shown(at.success[0].value).startswith("'puke_2022.xlsx' was stored as import #6 (3 rows).")
    con = store.connect(app_db, read_only=True)
    assert con.execute("SELECT code, status FROM current_priority_status WHERE code LIKE 'PUK-90%' ORDER BY code"
                       ).fetchall() == [("PUK-90", "partially"), ("PUK-90b", "partially"), ("PUK-90c", "partially")]
    assert con.execute("SELECT id, vocabulary, value, key, added_by FROM aliases").fetchall() == [
        (1, "status", "Realizuar", "partially", access.local_viewer().name)]
    con.close()
    # a new file with the same value is read through the saved mapping: nothing to choose
    at.file_uploader(key="upload_file").upload("puke_2022_b.xlsx", priorities_with_realizuar("PUK-91")).run()
    assert_clean(at)
    assert not [s for s in at.selectbox if s.key.startswith("choose_")]
    assert [shown(s.value) for s in at.success][-1] == (
        "'puke_2022_b.xlsx' is valid: 3 rows of priorities. Check the preview, then confirm to store it.")


def test_before_storing_the_page_says_which_stored_rows_the_file_replaces(app_db):
    at = open_app("upload", {"lang": "en"})
    content = xlsx([ACTIVITY_HEADER, ["12.03.2023", "Tiranë", "Fokus grup", 2, 40, 20, 20, "Uji i pijshëm"]])
    at.file_uploader(key="upload_file").upload("tirane_mars.xlsx", content).run()
    assert_clean(at)
    lines = [shown(m.value) for m in at.markdown if m.value.startswith("- ")]
    assert lines == [("- Tiranë, Mar 2023: 2 activity rows from import #1 (aktivitetet.csv): public forum (2 events, "
                      "161 participants)")]
    at.radio(key="lang").set_value("sq").run()
    assert [shown(m.value) for m in at.markdown if m.value.startswith("- ")] == [
        ("- Tiranë, 03.2023: 2 rreshta aktivitetesh nga importi #1 (aktivitetet.csv): Forum publik (2 aktivitete, "
         "161 pjesëmarrës)")]


def test_the_template_downloads_from_the_upload_page(app_db):
    at = open_app("upload", {"lang": "en"})
    assert at.download_button(key="upload_template").label == "Download the template"


# ── undo ─────────────────────────────────────────────────────────────────────────────────────

def test_undo_asks_first_then_restores_the_state_before_the_import(app_db):
    at = open_app("history", {"lang": "en"})
    at.selectbox(key="undo_choice").set_value(4).run()
    at.button(key="undo_open").click().run()
    assert any(m.value.startswith("Import **#4**") and "shifrat" in m.value for m in at.markdown)
    at.button(key="undo_no").click().run()
    assert not [b for b in at.button if b.key == "undo_yes"]
    at.button(key="undo_open").click().run()
    at.button(key="undo_yes").click().run()
    assert_clean(at)
    assert shown(at.success[0].value) == ("Import #4 was undone: 7 rows removed; "
                                          "the rows it had replaced are current again.")
    assert frame_with_column(at, "File").set_index("Import").loc[4, "Status"] == "undone"  # listed below the newer #5
    at.switch_page("app_pages/quality.py").run()
    assert "No reported total of events or participants in this view." in [i.value for i in at.info]


def test_undo_refused_says_why(app_db):
    con = store.connect(app_db)
    content = xlsx([ACTIVITY_HEADER, ["20.07.2019", "Tiranë", "Fokus grup", 1, 20, 10, 10, "Uji i pijshëm"]])
    assert importing.import_bytes(con, content, "tirane_korrik_2019.xlsx").status == "imported"  # replaces July 2019
    con.close()
    at = open_app("history", {"lang": "en"})
    at.selectbox(key="undo_choice").set_value(1).run()
    at.button(key="undo_open").click().run()
    at.button(key="undo_yes").click().run()
    assert_clean(at, errors_shown=True)
    assert [shown(e.value) for e in at.error] == [
        ("Import #1 was not undone. Import #1 cannot be undone while later imports replace some of its rows: "
         "undo #6 first.")]


def test_clear_filters_empties_every_filter_and_the_url(app_reader_db):
    at = open_app("overview", {"municipality": "Fier", "year": "2023", "theme": "water", "cycle": "2019-2023",
                               "lang": "en"})
    at.button(key="filter_reset").click().run()
    assert at.query_params == {"lang": "en"}
    assert metrics(at)["Events"][0] == "757"


@pytest.mark.parametrize("page", ["upload", "history", "users", "audit"])
def test_pages_the_filters_do_not_change_show_no_filters_and_keep_them_for_the_next_page(app_reader_db, page):
    at = open_app("overview", {"lang": "en", "municipality": "Fier", "year": "2022"})
    at.switch_page(f"app_pages/{page}.py").run()
    assert_clean(at)
    assert [w.key for w in at.selectbox if (w.key or "").startswith("filter_")] == []
    assert [w.key for w in at.multiselect if (w.key or "").startswith("filter_")] == []
    assert at.query_params["municipality"] == "Fier" and at.query_params["year"] == "2022"
    at.switch_page("app_pages/overview.py").run()
    assert at.multiselect(key="filter_municipality").value == ["Fier"]
    assert at.multiselect(key="filter_year").value == [2022]


# ── every view in its link ──────────────────────────────────────────────────────────────────

def test_a_tracker_link_reproduces_its_search_and_chosen_priority(app_reader_db):
    label = "Tiranë · TIR-01 · 2019-2023 — Riparimi i urës në NjA Shëngjergj"
    # (the browser test checks the address bar; AppTest does not hold what a bound widget writes there)
    again = open_app("tracker", {"municipality": "Tiranë", "lang": "en", "search": "ure", "priority": label})
    assert_clean(again)
    assert again.text_input(key="search").value == "ure"
    assert again.selectbox(key="priority").value == ("2019-2023", "Tiranë", "TIR-01")
    assert "#### Riparimi i urës në NjA Shëngjergj" in [m.value for m in again.markdown]


def test_a_priority_has_a_page_of_its_own_that_its_link_opens(app_reader_db):
    label = "Korçë · KOR-03 · 2019-2023 — Zyrë me një ndalesë për shërbimet në NjA Mollaj"
    at = open_app("priority", {"lang": "sq", "priority": label})
    assert_clean(at)
    assert at.title[0].value == "Prioriteti"
    assert at.selectbox(key="priority").value == ("2019-2023", "Korçë", "KOR-03")
    assert "#### Zyrë me një ndalesë për shërbimet në NjA Mollaj" in [m.value for m in at.markdown]
    history = frame_with_column(at, "Burimi")
    assert list(history["Viti"]) == [2021, 2022, 2023]
    assert list(history["Skedari"].unique()) == ["prioritetet_2019_2023.csv"]


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_the_priority_page_offers_the_first_priorities_and_the_one_its_link_names(app_reader_db, monkeypatch,
                                                                                 lang):
    monkeypatch.setattr(settings, "TABLE_ROW_LIMIT", 5)  # the demo lists a few hundred; a network 20,000
    with Database(app_reader_db).reading() as con:
        listed = queries.priorities(con, filters.Filters(), search="")
    keys = list(zip(listed["cycle"], listed["municipality"], listed["code"]))
    offered = t("priority.first_offered", lang, shown="5", total=present.number(len(listed), lang))
    at = open_app("priority", {"lang": lang})
    assert_clean(at)
    assert at.selectbox(key="priority").options == [widgets.priority_label(*key[:3], title) for key, title in
                                                    zip(keys[:5], listed["title"][:5])]
    assert offered in [c.value for c in at.caption]
    tenth = widgets.priority_label(*keys[9], listed["title"][9])
    at = open_app("priority", {"lang": lang, "priority": tenth})
    assert_clean(at)
    assert at.selectbox(key="priority").value == keys[9]
    assert len(at.selectbox(key="priority").options) == 6
    assert f"#### {listed['title'][9]}" in [m.value for m in at.markdown]


def test_the_tracker_links_the_chosen_priority_to_its_page_with_the_view(app_reader_db):
    at = open_app("tracker", {"lang": "en", "municipality": "Tirana", "cycle": "2019-2023"})
    at.selectbox(key="priority").set_value(("2019-2023", "Tiranë", "TIR-01")).run()
    [link] = at.get("page_link")
    assert link.proto.page == "priority"
    assert urllib.parse.parse_qs(link.proto.query_string) == {
        "municipality": ["Tiranë"], "cycle": ["2019-2023"], "lang": ["en"],
        "priority": ["Tiranë · TIR-01 · 2019-2023 — Riparimi i urës në NjA Shëngjergj"]}


@pytest.mark.parametrize(("lang", "tab"), [("en", "Women and men"), ("sq", "Gra dhe burra"), ("en", "By type")])
def test_a_participation_link_opens_the_tab_it_names(app_reader_db, lang, tab):
    at = open_app("participation", {"lang": lang, "tab": tab})
    assert_clean(at)
    assert at.session_state["tab"] == tab
    assert at.query_params["tab"] == tab


def test_a_profile_link_naming_several_municipalities_says_which_it_shows(app_reader_db):
    at = open_app("municipality", {"lang": "en", "municipality": "Tirana,Korca"})
    assert [i.value for i in at.info] == [
        ("The filters name 2 municipalities (Tiranë, Korçë); a profile shows one at a time: this is Tiranë. "
         "Choose another above, or compare them on the Overview.")]
    assert "### Tiranë" in [m.value for m in at.markdown]


@pytest.mark.parametrize(("query", "headings"), [
    ({"year": "2023"}, ["Social Contract priorities · Contracts 2019\\-2023"]),
    ({"year": "2025"}, ["Social Contract priorities · Contracts 2023\\-2027"]),
    ({"year": "2023,2024"}, ["**Contracts 2019\\-2023**", "**Contracts 2023\\-2027**"]),
    ({}, ["**Contracts 2019\\-2023**", "**Contracts 2023\\-2027**"]),
])
def test_the_overview_names_the_contract_cycle_of_its_priority_tiles(app_reader_db, query, headings):
    at = open_app("overview", {"lang": "en", **query})
    named = [s.value for s in at.subheader if "Contracts" in s.value] + \
        [m.value for m in at.markdown if m.value.startswith("**Contracts")]
    assert named == headings


def test_the_quality_page_says_once_that_no_total_was_reported(app_reader_db):
    at = open_app("quality", {"lang": "en", "year": "2021"})
    assert [i.value for i in at.info].count("No reported total of events or participants in this view.") == 1
    assert not at.get("vega_lite_chart") or all("reported" not in str(c.proto.spec) for c in at.get("vega_lite_chart"))


# ── issue 19: the upload page takes what the importer reads, and speaks the reader's language ──

@pytest.mark.parametrize("lang", ["sq", "en"])
def test_the_upload_page_takes_an_old_xls_workbook_as_the_command_line_does(app_db, tmp_path, lang):
    from hostile_files import old_xls
    at = open_app("upload", {"lang": lang})
    assert at.file_uploader(key="upload_file").allowed_type == []  # the browser refuses nothing in its own English
    at.file_uploader(key="upload_file").upload("old.xls", old_xls(tmp_path).read_bytes()).run()
    assert_clean(at)
    assert [shown(s.value) for s in at.success] == [t("upload.valid", lang, file="old.xls",
                                                      rows=present.rows_phrase(1, lang),
                                                      kind=t("kind.activities", lang))]


@pytest.mark.parametrize("lang", ["sq", "en"])
def test_a_file_the_importer_does_not_read_is_refused_in_the_readers_language(app_db, lang):
    at = open_app("upload", {"lang": lang})
    at.file_uploader(key="upload_file").upload("raporti.pdf", b"%PDF-1.7\n" + bytes(200)).run()
    assert_clean(at, errors_shown=True)
    assert [shown(e.value) for e in at.error] == [t("upload.refused", lang, file="raporti.pdf",
                                             problems=present.problems_phrase(1, lang))]
    report = frame_with_column(at, t("col.message", lang))
    assert report[t("col.message", lang)].tolist() == [t("problem.unsupported_file", lang, value="raporti.pdf")]


@pytest.mark.parametrize(("lang", "line"), [
    ("en", ("- Durrës, Jul 2019: 1 activity row from import #1 (aktivitetet.csv): citizen workshop (2 events, "
            "35 participants)")),
    ("sq", ("- Durrës, 07.2019: 1 rresht aktivitetesh nga importi #1 (aktivitetet.csv): Workshop qytetar "
            "(2 aktivitete, 35 pjesëmarrës)"))])
def test_one_replaced_row_is_counted_in_the_singular(app_db, lang, line):
    at = open_app("upload", {"lang": lang})
    content = xlsx([ACTIVITY_HEADER, ["12.07.2019", "Durrës", "Fokus grup", 2, 40, 20, 20, "Uji i pijshëm"]])
    at.file_uploader(key="upload_file").upload("durres_korrik.xlsx", content).run()
    assert_clean(at)
    assert [shown(m.value) for m in at.markdown if m.value.startswith("- ")] == [line]


NUMBERS_UNPLACED = ("Data,Bashkia,Lloji i aktivitetit,Tema,Nr.\r\n02.03.2025,Durrës,Fokus grup,Uji i pijshëm,10\r\n"
                    "03.03.2025,Durrës,Fokus grup,Uji i pijshëm,4\r\n").encode()
NUMBERS_PLACED = NUMBERS_UNPLACED.replace(b"Tema,Nr.", b"Tema,Nr aktivitetesh")


@pytest.mark.parametrize("lang", ["sq", "en"])
def test_a_column_of_numbers_no_field_takes_is_an_error_listed_above_what_was_read(app_db, lang):
    """Issue 19: 'Nr aktivitetesh' was a warning among others and the file stored 1 event a row."""
    at = open_app("upload", {"lang": lang})
    at.file_uploader(key="upload_file").upload("durres.csv", NUMBERS_UNPLACED).run()
    assert_clean(at, errors_shown=True)
    assert [shown(e.value) for e in at.error] == [t("upload.refused", lang, file="durres.csv",
                                                    problems=present.problems_phrase(1, lang))]
    candidates = {"en": "Number of events / Participants total / Women / Men",
                  "sq": "Numri i aktiviteteve / Pjesëmarrës gjithsej / Gra / Burra"}[lang]
    report = at.dataframe[0].value  # the report comes first, above the rows as read
    assert report[[t("col.column", lang), t("col.message", lang)]].iloc[0].tolist() == [
        "Nr.", t("problem.numbers_unclear", lang, value="Nr.", sheet="durres.csv", candidates=candidates)]
    assert "upload_confirm" not in [b.key for b in at.button]


@pytest.mark.parametrize("lang", ["sq", "en"])
def test_the_issues_nr_aktivitetesh_column_is_read_as_the_number_of_events_and_said_so(app_db, lang):
    at = open_app("upload", {"lang": lang})
    at.file_uploader(key="upload_file").upload("durres.csv", NUMBERS_PLACED).run()
    assert_clean(at)
    assert frame_with_column(at, t("col.type", lang))[t("col.events", lang)].tolist() == [10, 4]
    report = frame_with_column(at, t("col.message", lang))
    term = {"en": "Number of events", "sq": "Numri i aktiviteteve"}[lang]
    assert t("warning.header_read_as", lang, value="Nr aktivitetesh", sheet="durres.csv", term=term) in report[
        t("col.message", lang)].tolist()


def cells_as_shown(at, column: str) -> list[str]:
    """The cells of the first table with this heading as the reader sees them (its styler's display values)."""
    import pyarrow as pa
    for element in at.dataframe:
        if column in element.value.columns and element.proto.arrow_data.HasField("styler"):
            shown_values = pa.ipc.open_stream(element.proto.arrow_data.styler.display_values).read_all().to_pandas()
            return shown_values[column].tolist()
    raise AssertionError(f"no styled table with the column {column!r}")


@pytest.mark.parametrize(("lang", "written"), [("sq", ["12.07.2019", "03.11.2025"]),
                                               ("en", ["12 Jul 2019", "3 Nov 2025"])])
def test_the_upload_preview_writes_dates_as_the_readers_language_does(app_db, lang, written):
    at = open_app("upload", {"lang": lang})
    content = xlsx([ACTIVITY_HEADER, ["12.07.2019", "Durrës", "Fokus grup", 2, 40, 20, 20, "Uji i pijshëm"],
                    ["03.11.2025", "Durrës", "Fokus grup", 1, 12, 6, 6, "Uji i pijshëm"]])
    at.file_uploader(key="upload_file").upload("durres.xlsx", content).run()
    assert_clean(at)
    assert cells_as_shown(at, t("col.date", lang)) == written


# ── overdue promises (issue 23, item 6) ──────────────────────────────────────────────────────
# The demo's 2019-2023 contracts ended with 2023 and no demo priority has a deadline of its own: in a
# view of 2023, the 77 of its 137 priorities not fully addressed are overdue on any day from 2024 on.

@pytest.mark.parametrize("lang", ["en", "sq"])
def test_the_overview_counts_the_overdue_priorities_in_view_and_links_to_them_in_the_tracker(app_reader_db, lang):
    at = open_app("overview", {"year": "2023", "lang": lang})
    assert_clean(at)
    said = markdown_texts(at)
    assert t("overview.overdue", lang, count=77, total="137") in said
    assert f":material/event_busy: **{t('kpi.overdue', lang)}**" in said
    [link] = [e for e in at.get("page_link") if e.proto.label == t("overview.overdue_link", lang)]
    assert link.proto.page == "tracker"
    assert urllib.parse.parse_qs(link.proto.query_string) == {"year": ["2023"], "lang": [lang], "overdue": ["true"]}
    assert not [m for m in at.metric if m.label == t("kpi.overdue", lang)]  # a card beside the KPI tiles, not one


def test_a_view_with_no_overdue_priority_says_none_and_offers_no_link(app_reader_db):
    at = open_app("overview", {"year": "2025", "lang": "en"})  # 2023-2027 runs to the end of 2027
    assert_clean(at)
    assert t("overview.overdue", "en", count=0, total="101") in markdown_texts(at)
    assert not [e for e in at.get("page_link") if e.proto.label == t("overview.overdue_link", "en")]


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_the_tracker_marks_the_overdue_priorities_and_lists_only_them_on_demand(app_reader_db, lang):
    at = open_app("tracker", {"year": "2023", "cycle": "2019-2023", "lang": lang})
    assert_clean(at)
    captions = [c.value for c in at.caption]
    assert f"{t('tracker.in_view', lang, count=137)} {t('tracker.overdue_count', lang, count=77)}" in captions
    assert {"en": "137 priorities in view. 77 of them are overdue.",
            "sq": "137 prioritete në pamje. 77 prej tyre janë jashtë afatit."}[lang] in captions
    table = frame_with_column(at, t("col.time_left", lang))
    marked = table[t("col.overdue", lang)]
    assert (len(table), int((marked == t("deadline.overdue", lang)).sum()), int(marked.isna().sum())) == (137, 77, 60)
    assert set(table[t("col.deadline", lang)]) == {pd.Timestamp(2023, 12, 31)}
    fully = table[table[t("col.status", lang)] == present.label("statuses", "fully", lang)]
    assert (len(fully), fully[t("col.time_left", lang)].isna().all()) == (60, True)  # nothing left to do

    at.toggle(key="overdue").set_value(True).run()
    assert_clean(at)
    assert f"{t('tracker.in_view', lang, count=77)} {t('tracker.overdue_count', lang, count=77)}" in [
        c.value for c in at.caption]
    only = frame_with_column(at, t("col.time_left", lang))
    assert set(only[t("col.overdue", lang)]) == {t("deadline.overdue", lang)}


def test_the_tracker_opened_from_the_overview_s_link_shows_the_overdue_only(app_reader_db):
    at = open_app("tracker", {"year": "2023", "lang": "en", "overdue": "true", "municipality": "Durres"})
    assert_clean(at)
    assert at.toggle(key="overdue").value is True
    table = frame_with_column(at, "Time left")
    assert table["Code"].tolist() == ["DUR-02", "DUR-03", "DUR-05", "DUR-06", "DUR-10", "DUR-11"]
    # the detail below is the first of them, marked overdue with its deadline and how long ago it passed
    definition = {"cycle": "2019-2023", "due": None}
    overdue, said = present.deadline_sentences(definition, "partially", dt.date.today(), "en")
    assert overdue
    assert f":red-badge[Overdue] :material/event: {' · '.join(said)}" in [shown(m) for m in markdown_texts(at)]


def test_a_fully_addressed_priority_s_page_says_it_has_nothing_left_to_do(app_reader_db):
    at = open_app("priority", {"lang": "sq", "municipality": "Tirana", "cycle": "2019-2023"})
    assert_clean(at)
    assert at.selectbox(key="priority").value == ("2019-2023", "Tiranë", "TIR-01")  # fully addressed in 2023
    expected = (":material/event: Afati: 31.12.2023 (fundi i ciklit të kontratës 2019-2023) · "
                "Adresuar plotësisht: nuk ka mbetur asgjë për t'u bërë brenda afatit.")
    assert expected in [shown(m) for m in markdown_texts(at)]


@pytest.mark.parametrize(("page", "query", "columns", "lang", "labels"), [
    ("tracker", {"year": "2023"}, ["col.status", "col.overdue", "2023"], "en",
     ["fully addressed", "partially addressed", "not addressed", "Overdue"]),
    ("tracker", {"year": "2023"}, ["col.status", "col.overdue", "2023"], "sq",
     ["Plotësisht", "Pjesërisht", "Nuk është adresuar", "Jashtë afatit"]),
    ("priority", {}, ["col.status"], "en", ["fully addressed", "partially addressed", "not addressed", "Overdue"]),
])
def test_every_status_in_a_table_is_a_tag_in_its_tint_on_every_row(app_reader_db, page, query, columns, lang, labels):
    """The grid draws the tags (no Styler at every run, no row limit); the rows hold the labels."""
    at = open_app(page, {"lang": lang, **query})
    assert_clean(at)
    tints = ["rgba(26, 152, 80, 0.22)", "rgba(244, 166, 55, 0.25)", "rgba(215, 48, 39, 0.20)",
             "rgba(215, 48, 39, 0.20)"]
    grid = at.dataframe[0]
    config = json.loads(grid.proto.columns)
    for column in columns:
        heading = t(column, lang) if column.startswith("col.") else column
        assert config[heading]["type_config"] == {
            "type": "multiselect", "options": [{"value": label, "color": tint} for label, tint in zip(labels, tints)]}
        tagged = [cell for cell in grid.value[heading] if cell is not None]
        assert tagged and all(len(cell) == 1 and cell[0] in labels for cell in tagged)


@pytest.mark.parametrize(("page", "column", "lang", "config"), [
    ("tracker", "col.deadline", "en", {"type": "date", "format": "D MMM YYYY"}),
    ("tracker", "col.deadline", "sq", {"type": "date", "format": "DD.MM.YYYY"}),
    ("history", "col.imported_at", "en", {"type": "datetime", "format": "D MMM YYYY HH:mm"}),
    ("history", "col.imported_at", "sq", {"type": "datetime", "format": "DD.MM.YYYY HH:mm"}),
])
def test_a_tables_dates_are_written_by_the_grid_as_the_page_language_writes_them(app_reader_db, page, column, lang,
                                                                                config):
    at = open_app(page, {"lang": lang})
    assert_clean(at)
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns[t(column, lang)]["type_config"] == config
