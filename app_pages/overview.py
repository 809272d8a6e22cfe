"""Overview: the KPI tiles with their change from the previous year, and three charts."""
import datetime as dt

import streamlit as st

from pop_analytics import app, charts, present, queries

chosen = app.current_filters()
app.header("overview", chosen)
app.rejection_notes()  # a partner's rejected import, with what to fix, until read
app.awaiting_review()  # a coordinator: the imports waiting for approval, each linked to its review
if app.nothing_to_show(chosen):
    st.stop()

lang = app.lang()
# today in the cache key: a year under way is compared with the same months of the year before
today = dt.date.today()
result = app.data(queries.overview, chosen, today=today)


def delta_note(part: dict, partial: bool = False) -> str:
    """What the arrows compare with; partial: the activities' note, which says when a year under way
    is set against the same months of the year before."""
    if part["previous"]:
        note = app.tr("overview.delta_note", period=present.years_text(part["previous_years"], lang))
        return f"{note} {present.partial_note(part, lang)}".strip() if partial else note
    return app.tr("overview.no_delta")


def priority_tiles(part: dict, per_row: int) -> None:
    """One cycle's priority tiles: a share over two cycles' contracts would be easy to misquote."""
    app.tiles(present.overview_tiles(part, lang)[:4], per_row=per_row)
    monitored = present.number(part["current"]["priorities"]["total"], lang)
    st.caption(app.tr("overview.priorities_note", total=monitored) + " " + delta_note(part))


cycles = result["cycles"]
if len(cycles) > 1:
    st.subheader(app.tr("overview.priorities"))
    st.caption(app.tr("overview.cycles_apart"))
    for column, part in zip(st.columns(len(cycles)), cycles):
        with column:
            st.markdown(f"**{app.tr('overview.cycle_heading', cycle=part['cycle'])}**")
            priority_tiles(part, per_row=2)
else:
    heading = app.tr("overview.priorities")
    if cycles:
        heading += " · " + app.tr("overview.cycle_heading", cycle=cycles[0]["cycle"])
    st.subheader(heading)
    priority_tiles(cycles[0] if cycles else result, per_row=4)
app.overdue_tile(chosen, today)  # over every cycle in view: a deadline is each priority's own
st.subheader(app.tr("overview.activities"))
app.tiles(present.overview_tiles(result, lang)[4:])
st.caption(app.tr("overview.activities_note", years=present.years_text(result["years"], lang)) + " "
           + delta_note(result, partial=True))
reported = app.data(queries.reported_totals, chosen)
if chosen.theme:
    st.caption(app.tr("overview.reported_by_theme"))
elif not reported.empty:
    st.subheader(app.tr("overview.reported"))
    app.tiles(present.reported_tiles(reported, lang))
    st.caption(app.tr("overview.reported_note"))

by_year = app.data(queries.addressed_by_year, chosen)
by_theme = app.data(queries.status_by_theme, chosen)
by_month = app.data(queries.activities_by_month, chosen)
left, right = st.columns(2)
with left:
    app.chart(charts.addressed_trend, by_year, empty_key="tracker.no_priorities")
with right:
    app.chart(charts.status_by_theme, by_theme, empty_key="tracker.no_priorities")
app.chart(charts.by_month, by_month, "participants")
rows_behind = app.on_demand(app.tr("common.rows_behind_charts"), key="rows_behind_overview")
if rows_behind is not None:
    with rows_behind:
        app.table(by_year, "addressed_by_year", ["year", "cycle", "total", "fully", "partially", "not_addressed",
                                                  "addressed_pct"], empty_key="tracker.no_priorities")
        app.table(by_theme, "status_by_theme", ["theme", "status", "priorities"], empty_key="tracker.no_priorities")
        app.table(by_month, "participants_by_month", ["month", "events", "participants"])
