"""Every chart of the dashboard: functions from a query's DataFrame and a language to an Altair chart.

Charts carry their own titles, axis titles, tooltips and number/time locale, so a chart saved as
PNG from its menu reads the same as it did on the page. Pages show an empty-state sentence
instead of calling these with an empty frame.

Every chart takes the width of its container (a phone's 390 px as well as a desktop column): no
fixed width, legends below the chart in columns with their labels never cut, long axis labels on
two lines at most (the full text in the tooltip), and a height that is the plot's own, so a legend
or an axis below it never squashes the bars.
"""
from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

import altair as alt
import pandas as pd

from . import formats, reference
from .i18n import t
from .kpis import STATUSES

STATUS_COLOURS = {"fully": "#1a9850", "partially": "#f4a637", "not_addressed": "#d73027"}
GENDER_COLOURS = {"women": "#8e44ad", "men": "#2e86c1", "unsplit": "#b3b3b3"}
SERIES_COLOURS = ("#1f4e79", "#9e9e9e")
ACCENT = "#1f4e79"

# The currency; the names of days, months and day periods are CLDR's (Babel), and the decimal and
# thousands separators and the date formats come from pop_analytics.formats, the one place that
# defines them for tiles, tables and charts.
_CURRENCIES = {"sq": ["", "\u00a0L"], "en": ["$", ""]}


def _locale(lang: str) -> alt.Locale:
    """The chart's d3 locale, built from formats.of(lang): the same separators and dates as the tables."""
    written = formats.of(lang)
    lang = lang if lang in _CURRENCIES else "en"
    return alt.Locale(
        number={"decimal": written.decimal, "thousands": written.thousands, "grouping": [3],
                "currency": _CURRENCIES[lang]},
        time={"dateTime": written.moment, "date": written.date, "time": "%H:%M:%S", **formats.calendar_names(lang)})


_LOCALES = {lang: _locale(lang) for lang in formats.FORMATS}

# The width follows the container (Streamlit's width="stretch"); the height set on a chart is its plot's.
_FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
# Category labels on an axis: at most this many characters a line, two lines, this many pixels a line.
_LINE_CHARS = 24
LABEL_LIMIT = 160
# A title longer than this goes on more lines: a phone's chart is about 40 characters of title wide.
_TITLE_CHARS = 40


# Vega's tickMinStep only caps the number of ticks: an axis from 0 to 2 still gets ticks at halves,
# which ',d' labels "0 1 1 2 2". Up to this largest count, every whole number is given as a tick.
_FEW_COUNTS = 10


def _count_axis(largest: float | None = None, **options: Any) -> alt.Axis:
    """A count axis: whole numbers only (largest: the longest bar's value), its last label flush
    with the end of the axis (never cut)."""
    if largest is not None and not pd.isna(largest) and largest <= _FEW_COUNTS:
        options["values"] = list(range(max(1, math.ceil(largest)) + 1))
    return alt.Axis(tickMinStep=1, format=",d", labelFlush=True, labelOverlap=True, **options)


def _legend(columns: int, **options: Any) -> alt.Legend:
    """A legend below the chart, in `columns` columns so that it wraps on a phone, labels never cut."""
    return alt.Legend(orient="bottom", columns=columns, labelLimit=0, titleLimit=0, **options)


def _category_axis(labels: Iterable[str], **options: Any) -> alt.Axis:
    """An axis of category labels: a long one on two lines, each line at most LABEL_LIMIT pixels
    (the chart's tooltip gives the full text)."""
    lines = {label: textwrap.wrap(label, _LINE_CHARS, max_lines=2, placeholder="…")
             for label in dict.fromkeys(labels) if len(label) > _LINE_CHARS}
    expression = f"{json.dumps(lines, ensure_ascii=False)}[datum.label] || datum.label" if lines else "datum.label"
    return alt.Axis(labelLimit=LABEL_LIMIT, labelExpr=expression, labelOverlap=False, **options)


def _title(text: str, **options: Any) -> alt.Title:
    """A title on as many lines as it needs, from the chart's left edge, never cut short."""
    lines = textwrap.wrap(text, _TITLE_CHARS)
    return alt.Title(lines if len(lines) > 1 else text, frame="bounds", limit=0, **options)


def _finish(chart: Any, lang: str, title_key: str, **title_params: object) -> Any:
    titled = chart.properties(title=_title(t(title_key, lang, **title_params)))
    if not isinstance(chart, (alt.VConcatChart, alt.HConcatChart, alt.ConcatChart)):
        titled = titled.properties(autosize=_FIT_WIDTH)  # a concatenation: Streamlit sets each part's width
    return titled.configure(locale=_LOCALES.get(lang, _LOCALES["en"]))


def for_export(chart: Any, lines: list[str]) -> Any:
    """The chart as it leaves the page (a saved PNG, a report): the filters and the source under its title."""
    title = chart.title if isinstance(chart.title, alt.Title) else alt.Title(str(chart.title))
    subtitle = [wrapped for line in lines for wrapped in textwrap.wrap(line, _TITLE_CHARS + 10)]
    return chart.properties(title=alt.Title(title.text, subtitle=subtitle, subtitleColor="#555555",
                                            subtitleFontSize=11, frame="bounds", limit=0))


# A saved chart's width in pixels (drawn at twice that for print): about an A4 page's text width.
EXPORT_WIDTH = 640


def png(chart: Any) -> bytes:
    """The chart as a PNG, drawn offline by vl-convert (no browser, no outside request)."""
    import vl_convert  # loads a JavaScript engine: only when a chart is saved

    sized = chart if isinstance(chart, (alt.VConcatChart, alt.HConcatChart, alt.ConcatChart)) \
        else chart.properties(width=EXPORT_WIDTH)
    return vl_convert.vegalite_to_png(sized.to_dict(), scale=2)


# What a saved chart's file is called, per chart function ({measure}: the one it draws).
_EXPORT_NAMES = {"addressed_trend": "addressed_by_year", "status_matrix": "status_by_municipality_and_theme",
                 "trend_comparison": "addressed_compared", "by_month": "{measure}_by_month",
                 "by_year_type": "{measure}_by_year_and_type", "by_type": "activities_by_type",
                 "by_municipality": "activities_by_municipality", "women_share": "women_share_by_year"}


def export_name(make: Callable[..., object], *args: str) -> str:
    """The name a chart function's saved image goes by (addressed_trend → addressed_by_year)."""
    name = getattr(make, "__name__", "chart")
    return _EXPORT_NAMES.get(name, name).format(measure=args[0] if args else "events")


def _labels(vocabulary: str, keys: Iterable[str], lang: str) -> list[str]:
    return [reference.term_label(vocabulary, k, lang) for k in keys]


def _status_scale(lang: str) -> alt.Scale:
    return alt.Scale(domain=_labels("statuses", STATUSES, lang), range=[STATUS_COLOURS[s] for s in STATUSES])


def _col(name: str, lang: str) -> str:
    return t(f"col.{name}", lang)


# ── priorities ───────────────────────────────────────────────────────────────────────────────

def addressed_trend(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Share of priorities addressed (fully + partially) per monitoring year, one line per cycle."""
    data = frame.assign(year=frame["year"].astype(str))
    base = alt.Chart(data).encode(
        x=alt.X("year:O", title=_col("year", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("addressed_pct:Q", title=_col("addressed_pct", lang), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("cycle:N", title=_col("cycle", lang), scale=alt.Scale(range=list(SERIES_COLOURS)),
                        legend=_legend(columns=3)),
        tooltip=[alt.Tooltip("year:O", title=_col("year", lang)), alt.Tooltip("cycle:N", title=_col("cycle", lang)),
                 alt.Tooltip("addressed_pct:Q", title=_col("addressed_pct", lang), format=".1f"),
                 alt.Tooltip("fully:Q", title=_col("fully", lang)),
                 alt.Tooltip("partially:Q", title=_col("partially", lang)),
                 alt.Tooltip("not_addressed:Q", title=_col("not_addressed", lang)),
                 alt.Tooltip("total:Q", title=_col("total", lang))],
    )
    chart = (base.mark_line(strokeWidth=3) + base.mark_point(size=70, filled=True)
             + base.mark_text(dy=-12, fontSize=12).encode(text=alt.Text("addressed_pct:Q", format=".1f")))
    return _finish(chart.properties(height=300), lang, "chart.addressed_trend")


def status_by_theme(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Stacked bars: priorities per theme at each (latest) status."""
    data = frame.assign(theme_label=_labels("themes", frame["theme"], lang),
                        status_label=_labels("statuses", frame["status"], lang),
                        status_order=[STATUSES.index(s) for s in frame["status"]])
    themes = list(dict.fromkeys(data["theme_label"]))
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("theme_label:N", title=None, sort=themes, axis=_category_axis(themes)),
        x=alt.X("priorities:Q", title=_col("priorities", lang), stack="zero",
                axis=_count_axis(data.groupby("theme_label")["priorities"].sum().max())),
        color=alt.Color("status_label:N", title=_col("status", lang), scale=_status_scale(lang),
                        legend=_legend(columns=1)),
        order=alt.Order("status_order:Q"),
        tooltip=[alt.Tooltip("theme_label:N", title=_col("theme", lang)),
                 alt.Tooltip("status_label:N", title=_col("status", lang)),
                 alt.Tooltip("priorities:Q", title=_col("priorities", lang))],
    ).properties(height=alt.Step(34))
    return _finish(chart, lang, "chart.status_by_theme")


def status_matrix(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Municipality × theme heat map of progress (fully 1, partially ½, over all monitored), with
    the counts in each cell and the tooltip."""
    # A cell says its progress in a few characters (it fits a phone's cell); fully · partially ·
    # not addressed are in the tooltip and the rows behind the chart.
    data = frame.assign(theme_label=_labels("themes", frame["theme"], lang),
                        cell=[formats.number(v, lang) if pd.notna(v) else "" for v in frame["progress_pct"]],
                        counts=[f"{f} · {p} · {n}" for f, p, n in
                                zip(frame["fully"], frame["partially"], frame["not_addressed"])])
    themes = _labels("themes", [k for k in reference.term_keys("themes") if k in set(frame["theme"])], lang)
    base = alt.Chart(data).encode(
        # slanted labels on one line (two slanted lines run into each other); the tooltip names the theme in full
        x=alt.X("theme_label:N", title=None, sort=themes,
                axis=alt.Axis(labelAngle=-30, labelLimit=LABEL_LIMIT, labelOverlap=False, orient="top")),
        y=alt.Y("municipality:N", title=None, sort=list(dict.fromkeys(data["municipality"])),
                axis=_category_axis(data["municipality"])),
        tooltip=[alt.Tooltip("municipality:N", title=_col("municipality", lang)),
                 alt.Tooltip("theme_label:N", title=_col("theme", lang)),
                 alt.Tooltip("progress_pct:Q", title=_col("progress_pct", lang), format=".1f"),
                 alt.Tooltip("counts:N", title=t("tracker.matrix_counts", lang)),
                 alt.Tooltip("addressed_pct:Q", title=_col("addressed_pct", lang), format=".1f"),
                 alt.Tooltip("fully:Q", title=_col("fully", lang)),
                 alt.Tooltip("partially:Q", title=_col("partially", lang)),
                 alt.Tooltip("not_addressed:Q", title=_col("not_addressed", lang))],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("progress_pct:Q", title=_col("progress_pct", lang),
                        scale=alt.Scale(domain=[0, 50, 100], range=["#d73027", "#fee08b", "#1a9850"]),
                        legend=alt.Legend(orient="bottom", titleLimit=0)))
    text = base.mark_text(fontSize=11).encode(text="cell:N")
    return _finish((cells + text).properties(height=alt.Step(30)), lang, "chart.status_matrix")


def trend_comparison(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Share addressed per year for a municipality beside the network (column 'series'), one line
    per series and contract cycle: one contract's last year is not joined to the next one's first."""
    data = frame.assign(year=frame["year"].astype(str))
    series = list(dict.fromkeys(data["series"]))
    base = alt.Chart(data).encode(
        x=alt.X("year:O", title=_col("year", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("addressed_pct:Q", title=_col("addressed_pct", lang), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("series:N", title=None, sort=series, scale=alt.Scale(domain=series, range=list(SERIES_COLOURS)),
                        legend=_legend(columns=2)),
        detail=alt.Detail("cycle:N"),
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("cycle:N", title=_col("cycle", lang)),
                 alt.Tooltip("year:O", title=_col("year", lang)),
                 alt.Tooltip("addressed_pct:Q", title=_col("addressed_pct", lang), format=".1f"),
                 alt.Tooltip("total:Q", title=_col("total", lang))],
    )
    chart = base.mark_line(strokeWidth=3) + base.mark_point(size=60, filled=True)
    return _finish(chart.properties(height=280), lang, "chart.trend_comparison")


# ── activities ───────────────────────────────────────────────────────────────────────────────

def by_month(frame: pd.DataFrame, lang: str, measure: str = "participants") -> alt.Chart:
    """Participants (or events) per month: a bar a month, as wide as its month less a pixel."""
    month = formats.of(lang).month
    chart = alt.Chart(frame).mark_bar(color=ACCENT, binSpacing=1).encode(
        # each bar centred on its month's tick: the label names the bar, not the gap between two bars
        x=alt.X("yearmonth(month):T", title=None, bandPosition=0, axis=alt.Axis(format=month)),
        y=alt.Y(f"{measure}:Q", title=_col(measure, lang), axis=_count_axis(frame[measure].max())),
        tooltip=[alt.Tooltip("yearmonth(month):T", title=_col("month", lang), format=month),
                 alt.Tooltip("events:Q", title=_col("events", lang), format=","),
                 alt.Tooltip("participants:Q", title=_col("participants", lang), format=",")],
    ).properties(height=280)
    return _finish(chart, lang, f"chart.{measure}_by_month")


def by_year_type(frame: pd.DataFrame, lang: str, measure: str = "events") -> alt.Chart:
    """Events (or participants) per year, stacked by activity type; the types listed below, one a line."""
    keys = reference.term_keys("activity_types")
    data = frame.assign(year=frame["year"].astype(str), type_label=_labels("activity_types", frame["type"], lang),
                        type_order=[keys.index(k) if k in keys else 99 for k in frame["type"]])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("year:O", title=_col("year", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{measure}:Q", title=_col(measure, lang), stack="zero",
                axis=_count_axis(data.groupby("year")[measure].sum().max())),
        color=alt.Color("type_label:N", title=_col("type", lang), sort=_labels("activity_types", keys, lang),
                        scale=alt.Scale(domain=_labels("activity_types", keys, lang), scheme="tableau10"),
                        legend=_legend(columns=1)),
        order=alt.Order("type_order:Q"),
        tooltip=[alt.Tooltip("year:O", title=_col("year", lang)), alt.Tooltip("type_label:N", title=_col("type", lang)),
                 alt.Tooltip(f"{measure}:Q", title=_col(measure, lang), format=",")],
    ).properties(height=300)
    return _finish(chart, lang, f"chart.{measure}_by_year_type")


def by_type(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Events per activity type, participants in the tooltip."""
    data = frame.assign(type_label=_labels("activity_types", frame["type"], lang))
    chart = alt.Chart(data).mark_bar(color=ACCENT).encode(
        y=alt.Y("type_label:N", title=None, sort="-x", axis=_category_axis(data["type_label"])),
        x=alt.X("events:Q", title=_col("events", lang), axis=_count_axis(data["events"].max())),
        tooltip=[alt.Tooltip("type_label:N", title=_col("type", lang)),
                 alt.Tooltip("events:Q", title=_col("events", lang), format=","),
                 alt.Tooltip("participants:Q", title=_col("participants", lang), format=",")],
    ).properties(height=alt.Step(32))
    return _finish(chart, lang, "chart.events_by_type")


def by_municipality(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Participants per municipality: women, men, and those reported without a split."""
    long = []
    for row in frame.itertuples():
        unsplit = max(0, int(row.participants) - int(row.women) - int(row.men))
        for part, value in (("women", row.women), ("men", row.men), ("unsplit", unsplit)):
            long.append({"municipality": row.municipality, "part": part, "part_label": _col(part, lang),
                         "order": list(GENDER_COLOURS).index(part), "participants": int(value)})
    data = pd.DataFrame(long)
    parts = [_col(p, lang) for p in GENDER_COLOURS]
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("municipality:N", title=None, sort=list(frame["municipality"]),
                axis=_category_axis(frame["municipality"])),
        x=alt.X("participants:Q", title=_col("participants", lang), stack="zero",
                axis=_count_axis(data.groupby("municipality")["participants"].sum().max())),
        color=alt.Color("part_label:N", title=None, sort=parts,
                        scale=alt.Scale(domain=parts, range=list(GENDER_COLOURS.values())),
                        legend=_legend(columns=3)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("municipality:N", title=_col("municipality", lang)),
                 alt.Tooltip("part_label:N", title=" "),
                 alt.Tooltip("participants:Q", title=_col("participants", lang), format=",")],
    ).properties(height=alt.Step(26))
    return _finish(chart, lang, "chart.participants_by_municipality")


def women_share(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Women's share of participants per year (rows that give the split), against parity."""
    data = frame.assign(year=frame["year"].astype(str))
    base = alt.Chart(data).encode(
        x=alt.X("year:O", title=_col("year", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("women_pct:Q", title=_col("women_pct", lang), scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("year:O", title=_col("year", lang)),
                 alt.Tooltip("women_pct:Q", title=_col("women_pct", lang), format=".1f"),
                 alt.Tooltip("women:Q", title=_col("women", lang), format=","),
                 alt.Tooltip("men:Q", title=_col("men", lang), format=",")],
    )
    parity = alt.Chart(pd.DataFrame({"y": [50]})).mark_rule(strokeDash=[4, 4], color="#777").encode(y="y:Q")
    chart = parity + base.mark_line(color=GENDER_COLOURS["women"], strokeWidth=3) + base.mark_point(
        color=GENDER_COLOURS["women"], filled=True, size=60)
    return _finish(chart.properties(height=260), lang, "chart.women_share")


def reported_vs_itemised(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Reported total beside the itemised sum: a small chart per figure (indicator and period), one
    under the other, each on its own scale (62 events are not drawn on the axis of 1,157 participants)."""
    series = [_col("reported", lang), _col("itemised", lang)]
    panels = []
    for row in frame.itertuples():
        indicator = reference.term_label("indicators", row.indicator, lang)
        period = f"{formats.date(row.date_from, lang)}–{formats.date(row.date_to, lang)}"
        data = pd.DataFrame({"figure": f"{indicator} · {period}", "series": series,
                             "value": [float(row.reported), float(row.itemised)]})
        panels.append(alt.Chart(data, title=alt.Title([indicator, period], anchor="start", frame="bounds", limit=0,
                                                      fontSize=12, fontWeight="normal")).mark_bar().encode(
            y=alt.Y("series:N", title=None, sort=series, axis=_category_axis(series)),
            x=alt.X("value:Q", title=None, axis=_count_axis(data["value"].max())),
            color=alt.Color("series:N", title=None, sort=series,
                            scale=alt.Scale(domain=series, range=["#d73027", ACCENT]), legend=None),
            tooltip=[alt.Tooltip("figure:N", title=" "), alt.Tooltip("series:N", title=" "),
                     alt.Tooltip("value:Q", title=" ", format=",")],
        ).properties(height=alt.Step(22)))
    chart = alt.vconcat(*panels, spacing=16).resolve_scale(x="independent")
    return _finish(chart, lang, "chart.reported_vs_itemised")


# ── targets ──────────────────────────────────────────────────────────────────────────────────

TARGET_MET = "#1a9850"


def target_progress(table: pd.DataFrame, lang: str) -> alt.Chart:
    """Targets as bullets (targets.progress's rows, one objective's): a bar per target to the share of it
    reached, the target itself the dashed line at 100 %, a target met in green. Targets with nothing
    achieved known yet are left out (the table lists them). A bar past the end of the axis is cut
    there; its label still says how far."""
    known = table[table["reached_pct"].notna()]
    end = float(max(110, min(150, 10 * -(-float(known["reached_pct"].max()) // 10)))) if len(known) else 110.0
    whole = t("common.whole_network", lang)
    labels = [" · ".join([str(year), *([] if municipality is None or pd.isna(municipality) else [municipality]),
                          reference.term_label("target_indicators", indicator, lang)])
              for year, municipality, indicator in zip(known["year"], known["municipality"], known["indicator"])]
    drawn = known["reached_pct"].clip(upper=end)
    data = known.assign(
        target_label=labels, drawn=drawn, met=known["reached_pct"] >= 100,
        place=[municipality if isinstance(municipality, str) else whole for municipality in known["municipality"]],
        indicator_label=_labels("target_indicators", known["indicator"], lang),
        reached_text=[formats.number(v, lang, 1) + "%" for v in known["reached_pct"]],
        inside=drawn > 0.6 * end)
    order = list(dict.fromkeys(labels))
    y = alt.Y("target_label:N", title=None, sort=order, axis=_category_axis(order))
    tooltip = [alt.Tooltip("indicator_label:N", title=_col("target_indicator", lang)),
               alt.Tooltip("year:O", title=_col("year", lang)),
               alt.Tooltip("place:N", title=_col("municipality", lang)),
               alt.Tooltip("target:Q", title=_col("target_value", lang), format=","),
               alt.Tooltip("achieved:Q", title=_col("achieved", lang), format=","),
               alt.Tooltip("reached_pct:Q", title=_col("reached_pct", lang), format=".1f")]
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    bars = base.mark_bar().encode(
        x=alt.X("drawn:Q", title=_col("reached_pct", lang), scale=alt.Scale(domain=[0, end], clamp=True),
                axis=alt.Axis(labelFlush=True, tickCount=5)),
        color=alt.condition("datum.met", alt.value(TARGET_MET), alt.value(ACCENT)))
    outside = base.mark_text(align="left", dx=4, color="#333333").encode(
        x="drawn:Q", text="reached_text:N").transform_filter("!datum.inside")
    inside = base.mark_text(align="right", dx=-4, color="white").encode(
        x="drawn:Q", text="reached_text:N").transform_filter("datum.inside")
    full = alt.Chart(pd.DataFrame({"x": [100]})).mark_rule(strokeDash=[4, 4], color="#555555").encode(x="x:Q")
    chart = alt.layer(bars, full, outside, inside).properties(height=alt.Step(30))
    return _finish(chart, lang, "chart.target_progress")


# ── the reporting calendar ───────────────────────────────────────────────────────────────────

def reporting_trend(frame: pd.DataFrame, lang: str, frequency: str = "monthly") -> alt.Chart:
    """The reporting rate and the reporting rate on time per period (frame: period, label,
    reporting_rate, on_time_rate, expected), in the periods' order."""
    names = {"reporting_rate": t("kpi.reporting_rate", lang), "on_time_rate": t("kpi.reporting_on_time", lang)}
    long = frame.melt(id_vars=["period", "label", "expected"], value_vars=list(names), var_name="measure",
                      value_name="rate")
    long["measure"] = long["measure"].map(names)
    order = list(frame["label"])
    base = alt.Chart(long).encode(
        x=alt.X("label:O", sort=order, title=_col("period", lang), axis=alt.Axis(labelAngle=-45 if len(order) > 8
                                                                                  else 0)),
        y=alt.Y("rate:Q", title=_col("reporting_rate", lang), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("measure:N", title=None, sort=list(names.values()),
                        scale=alt.Scale(domain=list(names.values()), range=list(SERIES_COLOURS)),
                        legend=_legend(columns=2)),
        tooltip=[alt.Tooltip("label:O", title=_col("period", lang)), alt.Tooltip("measure:N", title=" "),
                 alt.Tooltip("rate:Q", title="%", format=".1f"),
                 alt.Tooltip("expected:Q", title=_col("expected", lang))],
    )
    chart = base.mark_line(strokeWidth=3) + base.mark_point(size=50, filled=True)
    return _finish(chart.properties(height=280), lang, "chart.reporting_trend")
