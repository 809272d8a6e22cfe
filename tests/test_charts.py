"""Every chart: an Altair chart that Vega-Lite accepts, titled and labelled in the reader's language."""
from __future__ import annotations

import json

import altair as alt
import pytest

from pop_analytics import charts, queries
from pop_analytics.filters import Filters, resolve
from pop_analytics.i18n import t


@pytest.fixture(scope="module")
def con(demo_reader):
    return demo_reader


def _cases(con):
    chosen = resolve(year="2022-2023")
    return {
        "addressed_trend": (charts.addressed_trend, queries.addressed_by_year(con, Filters()), (), "chart.addressed_trend"),
        "status_by_theme": (charts.status_by_theme, queries.status_by_theme(con, chosen), (), "chart.status_by_theme"),
        "status_matrix": (charts.status_matrix, queries.status_matrix(con, chosen), (), "chart.status_matrix"),
        "trend_comparison": (charts.trend_comparison, queries.profile_trend(con, chosen, "Korçë", "Network"), (),
                             "chart.trend_comparison"),
        "by_month": (charts.by_month, queries.activities_by_month(con, chosen), ("participants",),
                     "chart.participants_by_month"),
        "by_month_events": (charts.by_month, queries.activities_by_month(con, chosen), ("events",),
                            "chart.events_by_month"),
        "by_year_type": (charts.by_year_type, queries.activities_by_year_type(con, chosen), ("events",),
                         "chart.events_by_year_type"),
        "by_type": (charts.by_type, queries.activities_by_type(con, chosen), (), "chart.events_by_type"),
        "by_municipality": (charts.by_municipality, queries.activities_by_municipality(con, chosen), (),
                            "chart.participants_by_municipality"),
        "women_share": (charts.women_share, queries.gender_by_year(con, chosen), (), "chart.women_share"),
        "reported_vs_itemised": (charts.reported_vs_itemised, queries.reported_vs_itemised(con, chosen), (),
                                 "chart.reported_vs_itemised"),
    }


CASES = ["addressed_trend", "status_by_theme", "status_matrix", "trend_comparison", "by_month", "by_month_events",
         "by_year_type", "by_type", "by_municipality", "women_share", "reported_vs_itemised"]


@pytest.mark.parametrize("lang", ["sq", "en"])
@pytest.mark.parametrize("case", CASES)
def test_each_chart_is_valid_vega_lite_with_a_title_in_the_language(con, case, lang):
    make, frame, args, title_key = _cases(con)[case]
    chart = make(frame, lang, *args)
    assert isinstance(chart, alt.TopLevelMixin)
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert spec["title"] == t(title_key, lang)
    json.dumps(spec)  # what Streamlit sends to the browser
    assert "usermeta" not in spec  # the chart menu (save as PNG) is never switched off


def test_charts_carry_the_albanian_number_and_month_format(con):
    spec = charts.by_month(queries.activities_by_month(con, Filters()), "sq").to_dict()
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["config"]["locale"]["time"]["months"][8] == "shtator"
    assert charts.by_month(queries.activities_by_month(con, Filters()), "en").to_dict()["config"]["locale"][
        "number"]["thousands"] == ","


def test_status_colours_follow_the_status_labels_in_each_language(con):
    frame = queries.status_by_theme(con, Filters())
    for lang, labels in {"en": ["fully addressed", "partially addressed", "not addressed"],
                         "sq": ["Plotësisht", "Pjesërisht", "Nuk është adresuar"]}.items():
        scale = charts.status_by_theme(frame, lang).to_dict()["encoding"]["color"]["scale"]
        assert scale == {"domain": labels, "range": ["#1a9850", "#f4a637", "#d73027"]}


def test_theme_and_type_labels_replace_keys_in_the_data(con):
    spec = charts.by_type(queries.activities_by_type(con, resolve(year=2023)), "sq").to_dict()
    values = next(iter(spec["datasets"].values()))
    assert {row["type_label"] for row in values} >= {"Fokus grup", "Forum publik"}
    spec = charts.status_matrix(queries.status_matrix(con, resolve(year=2023)), "en").to_dict()
    values = next(iter(spec["datasets"].values()))
    assert {row["theme_label"] for row in values} >= {"drinking water", "road infrastructure"}


def test_participants_by_municipality_shows_the_rows_without_a_split(con):
    frame = queries.activities_by_municipality(con, resolve(year=2023, municipality="Tirana"))
    values = next(iter(charts.by_municipality(frame, "en").to_dict()["datasets"].values()))
    assert {row["part"]: row["participants"] for row in values} == {
        "women": int(frame["women"][0]), "men": int(frame["men"][0]),
        "unsplit": int(frame["participants"][0] - frame["women"][0] - frame["men"][0])}
