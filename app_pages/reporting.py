"""Reporting: who reported which period, on time or late (municipality × period), the reporting rate
and the reporting rate on time, and the schedule a coordinator sets. A partner sees their own
municipalities; a donor sees the rates only, when a coordinator allowed it."""
import streamlit as st

from pop_analytics import app, charts

chosen = app.current_filters()
app.header("reporting", chosen)
if not app.reporting.may_see():
    app.empty("reporting.not_shared")
    st.stop()
kind = app.reporting.kind_choice()
found = app.reporting.view(chosen, kind)
app.reporting.schedule_line(found)
app.reporting.schedule_form(found)  # a coordinator may set the calendar before any report came
if not found.schedule.active or app.reporting.nothing_stored():
    st.stop()
app.reporting.rate_tiles(found)
app.chart(charts.reporting_trend, app.reporting.trend_rows(found), found.schedule.frequency,
          empty_key="reporting.none")
if app.may("see_reporting"):
    st.subheader(app.tr("reporting.grid"))
    app.reporting.grid(found)
    st.subheader(app.tr("reporting.cells"))
    app.reporting.cells_table(found, chosen)
    st.subheader(app.tr("reporting.by_municipality"))
    app.reporting.rates_table(found.by_municipality, f"reporting_rates_{kind}", "municipality", found, chosen)
st.subheader(app.tr("reporting.by_period"))
app.reporting.rates_table(found.by_period, f"reporting_periods_{kind}", "period", found, chosen)
