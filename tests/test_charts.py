"""Every chart: an Altair chart that Vega-Lite accepts, titled and labelled in the reader's language."""
from __future__ import annotations

import json

import altair as alt
import pandas as pd
import pytest

from pop_analytics import charts, formats, queries
from pop_analytics.filters import Filters, resolve
from pop_analytics.i18n import t


@pytest.fixture(scope="module")
def con(demo_reader):
    return demo_reader


def _cases(con):
    chosen = resolve(year="2022-2023")
    return {
        "addressed_trend": (charts.addressed_trend, queries.addressed_by_year(con, Filters()), (),
                            "chart.addressed_trend"),
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


def _title(spec) -> str:
    """A chart's title as one line (a long one is written on several)."""
    title = spec["title"]
    text = title["text"] if isinstance(title, dict) else title
    return " ".join(text) if isinstance(text, list) else text


def _views(spec):
    """Every view of a spec (top level, layers, concatenated parts) that has an encoding."""
    if "encoding" in spec:
        yield spec
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for part in spec.get(key, []):
            yield from _views(part)
    if "spec" in spec:
        yield from _views(spec["spec"])


def _tooltip_fields(view) -> set[str]:
    tooltip = view["encoding"].get("tooltip", [])
    return {tip.get("field") for tip in (tooltip if isinstance(tooltip, list) else [tooltip])}


CASES = ["addressed_trend", "status_by_theme", "status_matrix", "trend_comparison", "by_month", "by_month_events",
         "by_year_type", "by_type", "by_municipality", "women_share", "reported_vs_itemised"]


@pytest.mark.parametrize("lang", ["sq", "en"])
@pytest.mark.parametrize("case", CASES)
def test_each_chart_is_valid_vega_lite_with_a_title_in_the_language(con, case, lang):
    make, frame, args, title_key = _cases(con)[case]
    chart = make(frame, lang, *args)
    assert isinstance(chart, alt.TopLevelMixin)
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert _title(spec) == t(title_key, lang)
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


# ── on a phone as on a desktop (Chromium at 390 and 1440 px) ──────────────────────────────────

def _sized(node, path=""):
    """Every fixed width or height in pixels, and every part that Streamlit cannot stretch."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("datasets", "data", "config"):
                continue
            if key == "width" and not (value == "container" or isinstance(value, dict)):
                found.append(f"{path}.width={value}")
            if key in ("facet", "row", "column", "hconcat", "concat", "repeat"):
                found.append(f"{path}.{key}")
            found += _sized(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _sized(value, f"{path}[{i}]")
    return found


@pytest.mark.parametrize("lang", ["sq", "en"])
@pytest.mark.parametrize("case", CASES)
def test_every_chart_takes_the_width_of_its_container(con, case, lang):
    """No fixed width and no facet or side-by-side parts (which Streamlit leaves at their own
    width, past a phone's edge); a single view fits its whole self, axes and legend included,
    into the container's width (a stack of views gets the width part by part from Streamlit)."""
    make, frame, args, _ = _cases(con)[case]
    spec = make(frame, lang, *args).to_dict()
    assert _sized(spec) == []
    if "vconcat" not in spec:
        assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}


@pytest.mark.parametrize("lang", ["sq", "en"])
@pytest.mark.parametrize("case", CASES)
def test_legends_sit_below_or_above_in_columns_with_their_labels_whole(con, case, lang):
    make, frame, args, _ = _cases(con)[case]
    for view in _views(make(frame, lang, *args).to_dict()):
        for channel in ("color", "fill", "stroke", "strokeDash", "shape"):
            encoding = view["encoding"].get(channel)
            if not encoding or encoding.get("type") != "nominal" or encoding.get("legend", {}) is None:
                continue
            legend = encoding.get("legend", {})
            assert legend.get("orient") in ("bottom", "top"), (channel, legend)
            assert legend.get("labelLimit") == 0, (channel, legend)
            assert legend.get("columns", 0) >= 1, (channel, legend)


@pytest.mark.parametrize("lang", ["sq", "en"])
@pytest.mark.parametrize("case", CASES)
def test_long_category_labels_are_limited_and_whole_in_the_tooltip(con, case, lang):
    make, frame, args, _ = _cases(con)[case]
    for view in _views(make(frame, lang, *args).to_dict()):
        for channel in ("x", "y"):
            encoding = view["encoding"].get(channel)
            if not encoding or encoding.get("type") != "nominal" or encoding.get("axis", {}) is None:
                continue
            assert 0 < encoding["axis"].get("labelLimit", 0) <= 160, (channel, encoding)
            assert encoding["field"] in _tooltip_fields(view), (channel, encoding)


def test_a_long_theme_is_written_on_two_lines_and_no_label_is_dropped(con):
    spec = charts.status_by_theme(queries.status_by_theme(con, Filters()), "en").to_dict()
    axis = spec["encoding"]["y"]["axis"]
    assert axis["labelOverlap"] is False
    assert '"civic engagement and local transparency": ["civic engagement and", "local transparency"]' in axis[
        "labelExpr"]


def test_the_theme_chart_keeps_its_last_count_label_inside(con):
    """The last count label sits flush with the end of the axis instead of half past the edge."""
    for lang in ("sq", "en"):
        frame = queries.status_by_theme(con, resolve(municipality="Durrës"))
        axis = charts.status_by_theme(frame, lang).to_dict()["encoding"]["x"]["axis"]
        assert axis["labelFlush"] is True
        assert axis["labelOverlap"] is True


@pytest.mark.parametrize("lang", ["sq", "en"])
def test_monthly_bars_are_a_month_wide_with_months_written_as_the_language_writes_them(con, lang):
    spec = charts.by_month(queries.activities_by_month(con, Filters()), lang, "events").to_dict()
    x = spec["encoding"]["x"]
    assert (x["type"], x["timeUnit"], x["bandPosition"]) == ("temporal", "yearmonth", 0)
    # Streamlit's theme leaves a few pixels between bars: on a phone, 80 months left hairlines
    assert spec["mark"]["binSpacing"] <= 1
    assert x["axis"]["format"] == formats.of(lang).month
    assert spec["encoding"]["tooltip"][0]["format"] == formats.of(lang).month


@pytest.mark.parametrize("measure", ["events", "participants"])
def test_by_year_and_type_has_room_for_its_bars_and_lists_every_type_whole(con, measure):
    """The height is the plot's own (the width alone fits the container), so the legend of eight
    types below does not squash the bars to a strip; one type a line, never cut."""
    spec = charts.by_year_type(queries.activities_by_year_type(con, Filters()), "en", measure).to_dict()
    assert spec["autosize"]["type"] == "fit-x"
    assert 280 <= spec["height"] <= 320
    legend = spec["encoding"]["color"]["legend"]
    assert (legend["orient"], legend["columns"], legend["labelLimit"]) == ("bottom", 1, 0)


def test_the_profile_trend_draws_a_line_per_series_and_contract_cycle(con):
    """Durrës 2023 (last year of its 2019–2023 contract) and 2024 (first of its 2023–2027 one)
    are two lines' ends, not one segment."""
    frame = queries.profile_trend(con, resolve(year="2023-2024"), "Durrës", "Network")
    spec = charts.trend_comparison(frame, "en").to_dict()
    lines = [layer for layer in spec["layer"] if layer["mark"]["type"] == "line"]
    assert lines
    for line in lines:
        assert line["encoding"]["color"]["field"] == "series"
        grouping = line["encoding"].get("detail") or line["encoding"].get("strokeDash")
        assert grouping["field"] == "cycle"
        assert "cycle" in _tooltip_fields(line)
    values = next(iter(spec["datasets"].values()))
    assert {(row["series"], row["cycle"]) for row in values} == {
        ("Durrës", "2019-2023"), ("Durrës", "2023-2027"), ("Network", "2019-2023"), ("Network", "2023-2027")}


def test_each_reported_figure_has_its_own_scale(con):
    """62 events beside 52 are drawn on their own axis, not on the one of 1,157 participants."""
    frame = queries.reported_vs_itemised(con, Filters())
    spec = charts.reported_vs_itemised(frame, "en").to_dict()
    assert len(spec["vconcat"]) == len(frame) == 2
    assert spec["resolve"]["scale"]["x"] == "independent"
    assert [part["title"]["text"] for part in spec["vconcat"]] == [
        ["events reported", "1 Sep 2023–30 Nov 2023"], ["participants reported", "1 Sep 2023–30 Nov 2023"]]
    sq = charts.reported_vs_itemised(frame, "sq").to_dict()
    assert sq["vconcat"][0]["title"]["text"][1] == "01.09.2023–30.11.2023"


@pytest.mark.parametrize(("lang", "names", "index", "name"), [
    ("sq", "months", 10, "nëntor"), ("sq", "shortMonths", 10, "nën"), ("sq", "shortMonths", 6, "korr"),
    ("sq", "days", 0, "e diel"), ("sq", "days", 1, "e hënë"), ("sq", "shortDays", 3, "mër"),
    ("sq", "periods", 0, "p.d."),
    ("en", "months", 8, "September"), ("en", "shortMonths", 8, "Sep"), ("en", "days", 0, "Sunday"),
    ("en", "shortDays", 6, "Sat"), ("en", "periods", 1, "PM"),
])
def test_the_chart_locale_names_days_and_months_as_cldr_writes_them_in_a_date(con, lang, names, index, name):
    """d3 counts days from Sunday; the names are Babel's (CLDR's format context), not written by hand."""
    locale = charts.by_month(queries.activities_by_month(con, Filters()), lang).to_dict()["config"]["locale"]
    assert locale["time"][names][index] == name
    assert len(locale["time"][names]) == {"months": 12, "shortMonths": 12, "periods": 2}.get(names, 7)


@pytest.mark.parametrize("lang", ["sq", "en"])
def test_the_chart_locale_writes_numbers_and_dates_as_formats_does(con, lang):
    locale = charts.by_month(queries.activities_by_month(con, Filters()), lang).to_dict()["config"]["locale"]
    written = formats.of(lang)
    assert (locale["number"]["decimal"], locale["number"]["thousands"]) == (written.decimal, written.thousands)
    assert (locale["time"]["date"], locale["time"]["dateTime"]) == (written.date, written.moment)


def test_a_long_title_is_written_on_lines_a_phone_shows_whole(con):
    frame = queries.activities_by_municipality(con, Filters())
    title = charts.by_municipality(frame, "sq").to_dict()["title"]
    assert isinstance(title["text"], list) and all(len(line) <= 40 for line in title["text"])
    assert title["limit"] == 0


@pytest.mark.parametrize(("lang", "cells"), [("en", {"50", "100", "0"}), ("sq", {"50", "100", "0"})])
def test_a_matrix_cell_says_its_progress_short_enough_for_a_phone_and_its_counts_in_the_tooltip(lang, cells):
    frame = pd.DataFrame({"municipality": ["Fier", "Fier", "Pukë"], "theme": ["water", "roads", "water"],
                          "total": [2, 1, 3], "fully": [0, 1, 0], "partially": [2, 0, 0], "not_addressed": [0, 0, 3],
                          "addressed_pct": [100.0, 100.0, 0.0], "progress_pct": [50.0, 100.0, 0.0]})
    spec = charts.status_matrix(frame, lang).to_dict()
    values = next(iter(spec["datasets"].values()))
    assert {row["cell"] for row in values} == cells
    assert [row["counts"] for row in values] == ["0 · 2 · 0", "1 · 0 · 0", "0 · 0 · 3"]
    text_layer = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    assert text_layer["encoding"]["text"]["field"] == "cell"


# ── a chart as it leaves the page ────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("make", "args", "expected"), [
    (charts.addressed_trend, (), "addressed_by_year"),
    (charts.status_by_theme, (), "status_by_theme"),
    (charts.by_month, ("participants",), "participants_by_month"),
    (charts.by_year_type, ("events",), "events_by_year_and_type"),
    (charts.women_share, (), "women_share_by_year"),
])
def test_a_saved_chart_is_named_for_what_it_draws(make, args, expected):
    assert charts.export_name(make, *args) == expected


def test_a_saved_chart_carries_the_filters_and_the_source_under_its_own_title(demo_reader):
    chosen = resolve(year=[2023], cycle="2019-2023")
    chart = charts.addressed_trend(queries.addressed_by_year(demo_reader, chosen), "en")
    lines = ["all municipalities · 2023 · all themes · contract cycle 2019-2023",
             "Source: POP Network monitoring data, approved imports up to 2 Dec 2026."]
    title = charts.for_export(chart, lines).to_dict()["title"]
    assert title["text"] == t("chart.addressed_trend", "en")
    assert title["subtitle"] == ["all municipalities · 2023 · all themes · contract", "cycle 2019-2023",
                                 "Source: POP Network monitoring data, approved", "imports up to 2 Dec 2026."]
    png = charts.png(charts.for_export(chart, lines))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def _axis_labels(chart) -> list[list[str]]:
    """The labels of each axis as the saved image (and so the PDF report) draws them, at its width."""
    import re

    import vl_convert
    svg = vl_convert.vegalite_to_svg(chart.properties(width=charts.EXPORT_WIDTH).to_dict())
    return [re.findall(r"<text[^>]*>([^<]*)</text>", group) for group in
            re.findall(r'<g class="mark-text role-axis-label"[^>]*>(.*?)</g>', svg, re.DOTALL)]


@pytest.mark.parametrize(("make", "frame", "args", "counts"), [
    (charts.status_by_theme, pd.DataFrame({"theme": ["water", "roads"], "status": ["fully", "partially"],
                                           "priorities": [2, 1]}), (), ["0", "1", "2"]),
    (charts.by_type, pd.DataFrame({"type": ["focus_group"], "events": [1], "participants": [12]}), (), ["0", "1"]),
    (charts.by_month, pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-02-01"]), "events": [1, 2],
                                    "participants": [3, 2]}), ("events",), ["0", "1", "2"]),
])
def test_a_count_axis_is_labelled_in_whole_numbers_even_for_two_or_three(make, frame, args, counts):
    """A PDF's axis from 0 to 2 read '0 1 1 2 2' (ticks at halves written as whole numbers)."""
    labels = _axis_labels(make(frame, "en", *args))
    assert counts in labels
