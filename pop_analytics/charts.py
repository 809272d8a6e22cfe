"""Every chart of the dashboard: functions from a query's DataFrame and a language to an Altair chart.

Charts carry their own titles, axis titles, tooltips and number/time locale, so a chart saved as
PNG from its menu reads the same as it did on the page. Pages show an empty-state sentence
instead of calling these with an empty frame.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from . import reference
from .i18n import t
from .kpis import STATUSES

STATUS_COLOURS = {"fully": "#1a9850", "partially": "#f4a637", "not_addressed": "#d73027"}
GENDER_COLOURS = {"women": "#8e44ad", "men": "#2e86c1", "unsplit": "#b3b3b3"}
SERIES_COLOURS = ("#1f4e79", "#9e9e9e")
ACCENT = "#1f4e79"

_LOCALES = {
    "sq": alt.Locale(
        number={"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", "\u00a0L"]},
        time={"dateTime": "%A, %e %B %Y, %X", "date": "%d.%m.%Y", "time": "%H:%M:%S", "periods": ["PD", "MD"],
              "days": ["e diel", "e hënë", "e martë", "e mërkurë", "e enjte", "e premte", "e shtunë"],
              "shortDays": ["Die", "Hën", "Mar", "Mër", "Enj", "Pre", "Sht"],
              "months": ["janar", "shkurt", "mars", "prill", "maj", "qershor", "korrik", "gusht", "shtator", "tetor",
                         "nëntor", "dhjetor"],
              "shortMonths": ["jan", "shk", "mar", "pri", "maj", "qer", "korr", "gush", "sht", "tet", "nën", "dhj"]}),
    "en": alt.Locale(
        number={"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
        time={"dateTime": "%x, %X", "date": "%-m/%-d/%Y", "time": "%-I:%M:%S %p", "periods": ["AM", "PM"],
              "days": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
              "shortDays": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
              "months": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                         "October", "November", "December"],
              "shortMonths": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]}),
}


_COUNT_AXIS = alt.Axis(tickMinStep=1, format=",d")


def _finish(chart, lang: str, title_key: str, **title_params):
    titled = chart.properties(title=t(title_key, lang, **title_params))
    return titled.configure(locale=_LOCALES.get(lang, _LOCALES["en"]))


def _labels(vocabulary: str, keys, lang: str) -> list[str]:
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
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("year:O", title=_col("year", lang)), alt.Tooltip("cycle:N", title=_col("cycle", lang)),
                 alt.Tooltip("progress_pct:Q", title=_col("progress_pct", lang), format=".1f"),
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
        y=alt.Y("theme_label:N", title=None, sort=themes, axis=alt.Axis(labelLimit=260)),
        x=alt.X("priorities:Q", title=_col("priorities", lang), stack="zero", axis=_COUNT_AXIS),
        color=alt.Color("status_label:N", title=_col("status", lang), scale=_status_scale(lang),
                        legend=alt.Legend(orient="bottom", columns=1, labelLimit=300)),
        order=alt.Order("status_order:Q"),
        tooltip=[alt.Tooltip("theme_label:N", title=_col("theme", lang)),
                 alt.Tooltip("status_label:N", title=_col("status", lang)),
                 alt.Tooltip("priorities:Q", title=_col("priorities", lang))],
    ).properties(height=alt.Step(30))
    return _finish(chart, lang, "chart.status_by_theme")


def status_matrix(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Municipality × theme heat map of progress (fully 1, partially ½, over all monitored), with
    the counts in each cell and the tooltip."""
    data = frame.assign(theme_label=_labels("themes", frame["theme"], lang),
                        cell=[f"{f}·{p}·{n}" for f, p, n in
                              zip(frame["fully"], frame["partially"], frame["not_addressed"])])
    themes = _labels("themes", [k for k in reference.term_keys("themes") if k in set(frame["theme"])], lang)
    base = alt.Chart(data).encode(
        x=alt.X("theme_label:N", title=None, sort=themes,
                axis=alt.Axis(labelAngle=-30, labelLimit=220, labelOverlap=False, orient="top")),
        y=alt.Y("municipality:N", title=None, sort=list(dict.fromkeys(data["municipality"]))),
        tooltip=[alt.Tooltip("municipality:N", title=_col("municipality", lang)),
                 alt.Tooltip("theme_label:N", title=_col("theme", lang)),
                 alt.Tooltip("addressed_pct:Q", title=_col("addressed_pct", lang), format=".1f"),
                 alt.Tooltip("fully:Q", title=_col("fully", lang)),
                 alt.Tooltip("partially:Q", title=_col("partially", lang)),
                 alt.Tooltip("not_addressed:Q", title=_col("not_addressed", lang))],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("progress_pct:Q", title=_col("progress_pct", lang),
                        scale=alt.Scale(domain=[0, 50, 100], range=["#d73027", "#fee08b", "#1a9850"]),
                        legend=alt.Legend(orient="bottom")))
    text = base.mark_text(fontSize=11).encode(text="cell:N")
    return _finish((cells + text).properties(height=alt.Step(30)), lang, "chart.status_matrix")


def trend_comparison(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Share addressed per year for a municipality beside the network (column 'series')."""
    data = frame.assign(year=frame["year"].astype(str))
    series = list(dict.fromkeys(data["series"]))
    base = alt.Chart(data).encode(
        x=alt.X("year:O", title=_col("year", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("addressed_pct:Q", title=_col("addressed_pct", lang), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("series:N", title=None, sort=series, scale=alt.Scale(domain=series, range=list(SERIES_COLOURS)),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("year:O", title=_col("year", lang)),
                 alt.Tooltip("addressed_pct:Q", title=_col("addressed_pct", lang), format=".1f")],
    )
    chart = base.mark_line(strokeWidth=3) + base.mark_point(size=60, filled=True)
    return _finish(chart.properties(height=280), lang, "chart.trend_comparison")


# ── activities ───────────────────────────────────────────────────────────────────────────────

def by_month(frame: pd.DataFrame, lang: str, measure: str = "participants") -> alt.Chart:
    """Participants (or events) per month."""
    chart = alt.Chart(frame).mark_bar(color=ACCENT).encode(
        # each bar centred on its month's tick: the label names the bar, not the gap between two bars
        x=alt.X("yearmonth(month):T", title=None, bandPosition=0),
        y=alt.Y(f"{measure}:Q", title=_col(measure, lang)),
        tooltip=[alt.Tooltip("yearmonth(month):T", title=_col("month", lang), format="%B %Y"),
                 alt.Tooltip("events:Q", title=_col("events", lang), format=","),
                 alt.Tooltip("participants:Q", title=_col("participants", lang), format=",")],
    ).properties(height=280)
    return _finish(chart, lang, f"chart.{measure}_by_month")


def by_year_type(frame: pd.DataFrame, lang: str, measure: str = "events") -> alt.Chart:
    """Events (or participants) per year, stacked by activity type."""
    keys = reference.term_keys("activity_types")
    data = frame.assign(year=frame["year"].astype(str), type_label=_labels("activity_types", frame["type"], lang),
                        type_order=[keys.index(k) if k in keys else 99 for k in frame["type"]])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("year:O", title=_col("year", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{measure}:Q", title=_col(measure, lang), stack="zero"),
        color=alt.Color("type_label:N", title=_col("type", lang), sort=_labels("activity_types", keys, lang),
                        scale=alt.Scale(domain=_labels("activity_types", keys, lang), scheme="tableau10"),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=260)),
        order=alt.Order("type_order:Q"),
        tooltip=[alt.Tooltip("year:O", title=_col("year", lang)), alt.Tooltip("type_label:N", title=_col("type", lang)),
                 alt.Tooltip(f"{measure}:Q", title=_col(measure, lang), format=",")],
    ).properties(height=300)
    return _finish(chart, lang, f"chart.{measure}_by_year_type")


def by_type(frame: pd.DataFrame, lang: str) -> alt.Chart:
    """Events per activity type, participants in the tooltip."""
    data = frame.assign(type_label=_labels("activity_types", frame["type"], lang))
    chart = alt.Chart(data).mark_bar(color=ACCENT).encode(
        y=alt.Y("type_label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
        x=alt.X("events:Q", title=_col("events", lang), axis=_COUNT_AXIS),
        tooltip=[alt.Tooltip("type_label:N", title=_col("type", lang)),
                 alt.Tooltip("events:Q", title=_col("events", lang), format=","),
                 alt.Tooltip("participants:Q", title=_col("participants", lang), format=",")],
    ).properties(height=alt.Step(28))
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
        y=alt.Y("municipality:N", title=None, sort=list(frame["municipality"])),
        x=alt.X("participants:Q", title=_col("participants", lang), stack="zero"),
        color=alt.Color("part_label:N", title=None, sort=parts,
                        scale=alt.Scale(domain=parts, range=list(GENDER_COLOURS.values())),
                        legend=alt.Legend(orient="bottom")),
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
    """Reported total beside the itemised sum, per figure (indicator and period)."""
    long = []
    for row in frame.itertuples():
        indicator = reference.term_label("indicators", row.indicator, lang)
        figure = f"{indicator} · {row.date_from:%d.%m.%Y}–{row.date_to:%d.%m.%Y}"
        long += [{"figure": figure, "series": _col("reported", lang), "value": float(row.reported)},
                 {"figure": figure, "series": _col("itemised", lang), "value": float(row.itemised)}]
    data = pd.DataFrame(long)
    series = [_col("reported", lang), _col("itemised", lang)]
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("series:N", title=None, sort=series, axis=None),
        x=alt.X("value:Q", title=None),
        color=alt.Color("series:N", title=None, sort=series, scale=alt.Scale(domain=series, range=["#d73027", ACCENT]),
                        legend=alt.Legend(orient="bottom")),
        row=alt.Row("figure:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left", labelLimit=320)),
        tooltip=[alt.Tooltip("figure:N", title=" "), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("value:Q", title=" ", format=",")],
    ).properties(height=50)
    return _finish(chart, lang, "chart.reported_vs_itemised")
