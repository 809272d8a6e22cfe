"""Overview: the KPI tiles with their change from the previous year, and three charts."""
import streamlit as st

from pop_analytics import app, charts, present

chosen = app.current_filters()
app.header("overview", chosen)
if app.nothing_to_show(chosen):
    st.stop()

result = app.data("overview", chosen)
specs = present.overview_tiles(result, app.lang())
if result["previous"]:
    note = app.tr("overview.delta_note", period=present.years_text(result["previous_years"], app.lang()))
else:
    note = app.tr("overview.no_delta")

st.subheader(app.tr("overview.priorities"))
app.tiles(specs[:4])
monitored = present.number(result["current"]["priorities"]["total"], app.lang())
st.caption(app.tr("overview.priorities_note", total=monitored) + " " + note)
st.subheader(app.tr("overview.activities"))
app.tiles(specs[4:])
st.caption(app.tr("overview.activities_note") + " " + note)

by_year = app.data("addressed_by_year", chosen)
by_theme = app.data("status_by_theme", chosen)
by_month = app.data("activities_by_month", chosen)
left, right = st.columns(2)
with left:
    app.chart(charts.addressed_trend, by_year, empty_key="tracker.no_priorities")
with right:
    app.chart(charts.status_by_theme, by_theme, empty_key="tracker.no_priorities")
app.chart(charts.by_month, by_month, "participants")
with st.expander(app.tr("common.rows_behind_charts")):
    app.table(by_year, "addressed_by_year", ["year", "cycle", "total", "fully", "partially", "not_addressed",
                                              "addressed_pct"], empty_key="tracker.no_priorities")
    app.table(by_theme, "status_by_theme", ["theme", "status", "priorities"], empty_key="tracker.no_priorities")
    app.table(by_month, "participants_by_month", ["month", "events", "participants"])
