"""Every page renders, in both languages, on the demo data and on an empty database. How long a page's
first run and its reruns take is a figure of `make bench` (benchmarks.figures.demo_pages), not a test."""
from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_support import PAGE_NAMES, assert_clean, metrics, open_app, opened, texts

from pop_analytics.i18n import t

HEADINGS = {
    "en": {"overview": "Overview", "tracker": "Social Contract tracker", "priority": "Priority",
           "participation": "Participation",
           "municipality": "Municipality profile", "targets": "Targets", "reports": "Reports",
           "reporting": "Reporting", "quality": "Data quality", "upload": "Upload",
           "history": "Import history", "users": "Users", "audit": "Audit log", "account": "Your account"},
    "sq": {"overview": "Përmbledhje", "tracker": "Ndjekja e Kontratës Sociale", "priority": "Prioriteti",
           "participation": "Pjesëmarrja",
           "municipality": "Profili i bashkisë", "targets": "Synimet", "reports": "Raporte",
           "reporting": "Raportimi", "quality": "Cilësia e të dhënave", "upload": "Ngarko të dhëna",
           "history": "Historiku i importeve", "users": "Përdoruesit", "audit": "Regjistri i veprimeve",
           "account": "Llogaria juaj"},
}


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "empty.duckdb"
    monkeypatch.setenv("POP_DB", str(path))
    return path


@pytest.mark.parametrize("lang", ["sq", "en"])
@pytest.mark.parametrize("page", PAGE_NAMES)
def test_page_renders_on_demo_data_with_its_heading_and_no_missing_text(app_reader_db, page, lang):
    at = open_app(page, {"lang": lang})
    at.run()  # a rerun on the same page, as after any widget change
    assert_clean(at)
    assert at.title[0].value == HEADINGS[lang][page]
    shown = texts(at) + [str(column) for table in at.dataframe for column in table.value.columns]
    assert not [text for text in shown if "⟦" in text]  # a catalogue key missing in this language shows ⟦key⟧


@pytest.mark.parametrize("lang", ["sq", "en"])
@pytest.mark.parametrize("page", PAGE_NAMES)
def test_page_on_an_empty_database_says_so_in_a_sentence(empty_db, page, lang):
    at = open_app(page, {"lang": lang})
    assert_clean(at)
    assert at.title[0].value == HEADINGS[lang][page]
    sentences = {"overview": "empty.database", "tracker": "empty.database", "priority": "empty.database",
                 "participation": "empty.database",
                 "municipality": "empty.database", "targets": "empty.database", "reports": "empty.database",
                 "reporting": "empty.database", "quality": "empty.database", "upload": "upload.waiting",
                 "history": "history.empty", "users": "users.none", "audit": "audit.empty",
                 "account": "account.local"}
    from pop_analytics.i18n import t
    assert t(sentences[page], lang) in [info.value for info in at.info]
    assert not at.get("vega_lite_chart") and not at.dataframe and not at.metric


@pytest.mark.parametrize("page", ["overview", "tracker", "priority", "participation", "municipality", "quality"])
def test_filters_matching_nothing_give_a_sentence_not_an_empty_chart(app_reader_db, page):
    at = open_app(page, {"lang": "en", "municipality": "Berat"})  # a real municipality with no data
    assert_clean(at)
    infos = [info.value for info in at.info]
    assert any(text.startswith("Nothing matches these filters") for text in infos), infos
    assert not at.get("vega_lite_chart") and not at.metric


def test_overview_shows_eight_tiles_and_three_charts(app_reader_db):
    at = open_app("overview", {"lang": "en", "year": "2023"})
    assert list(metrics(at)) == ["Priorities addressed", "Fully addressed", "Partially addressed", "Not addressed",
                                 "Events", "Participants", "Women's share", "Municipalities covered"]
    assert len(at.get("vega_lite_chart")) == 3
    assert [b.key for b in at.download_button if b.key.startswith("png_")] == [
        "png_pop_addressed_by_year_2023", "png_pop_status_by_theme_2023", "png_pop_participants_by_month_2023"]


@pytest.mark.parametrize(("lang", "year", "expected"), [
    ("en", "2025", [("Unique participants, 2025 (reported)", "2,984"), ("Persons reached, 2025 (reported)", "129,466"),
                    ("Candidates engaged, 2025 (reported)", "42"),
                    ("Monitoring reports published, 2025 (reported)", "10")]),
    ("sq", "2025", [("Pjesëmarrës unikë, 2025 (sipas raportit)", "2\u00a0984"),
                    ("Persona të arritur, 2025 (sipas raportit)", "129\u00a0466"),
                    ("Kandidatë të angazhuar, 2025 (sipas raportit)", "42"),
                    ("Raporte monitorimi të publikuara, 2025 (sipas raportit)", "10")]),
    ("en", "2020", [("Social contracts signed, 2020 (reported)", "6")]),
    ("en", "2023", []),  # the 2023 newsletter's totals are itemised too: Data quality compares them
])
def test_the_overview_shows_the_period_s_reported_totals_as_tiles_of_their_own(app_reader_db, lang, year, expected):
    at = open_app("overview", {"lang": lang, "year": year})
    assert_clean(at)
    assert [(m.label, m.value) for m in at.metric][8:] == expected
    assert (t("overview.reported", lang) in [h.value for h in at.subheader]) == bool(expected)


def test_reported_totals_are_not_shown_for_a_theme_they_do_not_break_down_by(app_reader_db):
    at = open_app("overview", {"lang": "en", "year": "2025", "theme": "water"})
    assert len(at.metric) == 8
    assert t("overview.reported_by_theme", "en") in [c.value for c in at.caption]


def csv_tables(at) -> set[str]:
    return {b.key.split("_", 1)[1] for b in at.download_button if b.key.startswith("csv_")}


# Participation's tabs run only when chosen (a link names the tab): each tab's tables, and the rows
# behind the first tab's charts once that section is opened.
PARTICIPATION_TABS = [
    ("participation.tab.time", set()),
    ("participation.tab.type", {"activities_by_type"}),
    ("participation.tab.municipality", {"activities_by_municipality"}),
    ("participation.tab.gender", {"women_men_by_year"}),
    ("participation.tab.rows", {"activity_rows"}),
]


@pytest.mark.parametrize(("tab", "tables"), PARTICIPATION_TABS)
def test_every_table_has_csv_and_excel_downloads_and_only_the_chosen_tab_runs(app_reader_db, tab, tables):
    at = open_app("participation", {"lang": "en", "year": "2023", "tab": t(tab, "en")})
    assert csv_tables(at) == tables
    assert {f"xlsx_{name}" for name in tables} <= {b.key for b in at.download_button}


def test_the_rows_behind_the_charts_run_once_opened(app_reader_db):
    at = opened(open_app("participation", {"lang": "en", "year": "2023"}), "rows_behind_participation")
    assert csv_tables(at) == {"activities_by_year_type", "activities_by_month"}
    assert {"xlsx_activities_by_year_type", "xlsx_activities_by_month"} <= {b.key for b in at.download_button}


