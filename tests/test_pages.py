"""Every page renders, in both languages, on the demo data and on an empty database; and how long a rerun takes."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from dashboard_support import PAGE_NAMES, assert_clean, metrics, open_app, texts

HEADINGS = {
    "en": {"overview": "Overview", "tracker": "Social Contract tracker", "priority": "Priority",
           "participation": "Participation",
           "municipality": "Municipality profile", "quality": "Data quality", "upload": "Upload",
           "history": "Import history", "users": "Users", "audit": "Audit log"},
    "sq": {"overview": "Përmbledhje", "tracker": "Ndjekja e Kontratës Sociale", "priority": "Prioriteti",
           "participation": "Pjesëmarrja",
           "municipality": "Profili i bashkisë", "quality": "Cilësia e të dhënave", "upload": "Ngarko të dhëna",
           "history": "Historiku i importeve", "users": "Përdoruesit", "audit": "Regjistri i veprimeve"},
}


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "empty.duckdb"
    monkeypatch.setenv("POP_DB", str(path))
    return path


@pytest.mark.parametrize("lang", ["sq", "en"])
@pytest.mark.parametrize("page", PAGE_NAMES)
def test_page_renders_on_demo_data_with_its_heading_and_no_missing_text(app_db, page, lang):
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
                 "municipality": "empty.database", "quality": "empty.database", "upload": "upload.waiting",
                 "history": "history.empty", "users": "users.none", "audit": "audit.empty"}
    from pop_analytics.i18n import t
    assert t(sentences[page], lang) in [info.value for info in at.info]
    assert not at.get("vega_lite_chart") and not at.dataframe and not at.metric


@pytest.mark.parametrize("page", ["overview", "tracker", "priority", "participation", "municipality", "quality"])
def test_filters_matching_nothing_give_a_sentence_not_an_empty_chart(app_db, page):
    at = open_app(page, {"lang": "en", "municipality": "Berat"})  # a real municipality with no data
    assert_clean(at)
    infos = [info.value for info in at.info]
    assert any(text.startswith("Nothing matches these filters") for text in infos), infos
    assert not at.get("vega_lite_chart") and not at.metric


def test_overview_shows_eight_tiles_and_three_charts(app_db):
    at = open_app("overview", {"lang": "en", "year": "2023"})
    assert list(metrics(at)) == ["Priorities addressed", "Fully addressed", "Partially addressed", "Not addressed",
                                 "Events", "Participants", "Women's share", "Municipalities covered"]
    assert len(at.get("vega_lite_chart")) == 3


def test_every_table_has_csv_and_excel_downloads(app_db):
    at = open_app("participation", {"lang": "en", "year": "2023"})
    keys = {b.key for b in at.download_button}
    tables = {key.split("_", 1)[1] for key in keys if key.startswith("csv_")}
    assert tables == {"activities_by_year_type", "activities_by_month", "activities_by_type",
                      "activities_by_municipality", "women_men_by_year", "activity_rows"}
    assert {f"xlsx_{name}" for name in tables} <= keys


def test_rerun_server_time_of_each_page_is_measured(app_db, capsys):
    """Prints, for each page, the first render and the median of five reruns (warm cache) on the demo data."""
    rows = []
    for page in PAGE_NAMES:
        started = time.perf_counter()
        at = open_app(page, {"lang": "en"})
        first = time.perf_counter() - started
        reruns = []
        for _ in range(5):
            started = time.perf_counter()
            at.run()
            reruns.append(time.perf_counter() - started)
        assert_clean(at)
        rows.append((page, first, sorted(reruns)[2]))
    with capsys.disabled():
        print("\nrerun server time per page (demo data, AppTest):")
        for page, first, rerun in rows:
            print(f"  {page:<14} first {first * 1000:7.0f} ms   rerun {rerun * 1000:6.0f} ms")
