"""Participation: events and participants over time, by type, by municipality; women and men."""
import datetime as dt

import streamlit as st

from pop_analytics import app, charts, present, queries

chosen = app.current_filters()
app.header("participation", chosen)
if app.nothing_to_show(chosen):
    st.stop()

lang = app.lang()
result = app.data(queries.overview, chosen, today=dt.date.today())  # a year under way: against the same months
app.tiles(present.overview_tiles(result, lang)[4:7], per_row=3)
st.caption(f"{app.tr('participation.note')} {present.partial_note(result, lang)}".strip())

over_time, by_type, by_municipality, gender, rows = st.tabs(
    [app.tr("participation.tab.time"), app.tr("participation.tab.type"), app.tr("participation.tab.municipality"),
     app.tr("participation.tab.gender"), app.tr("participation.tab.rows")], key="tab", bind="query-params")
# Only the chosen tab runs (bound tabs rerun when another is chosen): Streamlit otherwise sends every
# tab's charts and tables, and the browser draws them all at every rerun.
if over_time.open:
    with over_time:
        year_type = app.data(queries.activities_by_year_type, chosen)
        left, right = st.columns(2)
        with left:
            app.chart(charts.by_year_type, year_type, "events")
        with right:
            app.chart(charts.by_year_type, year_type, "participants")
        months = app.data(queries.activities_by_month, chosen)
        app.chart(charts.by_month, months, "events")
        rows_behind = app.on_demand(app.tr("common.rows_behind"), key="rows_behind_participation")
        if rows_behind is not None:
            with rows_behind:
                app.table(year_type, "activities_by_year_type", ["year", "type", "events", "participants"])
                app.table(months, "activities_by_month", ["month", "events", "participants"])
if by_type.open:
    with by_type:
        types = app.data(queries.activities_by_type, chosen)
        app.chart(charts.by_type, types)
        app.table(types, "activities_by_type", ["type", "events", "participants"])
if by_municipality.open:
    with by_municipality:
        places = app.data(queries.activities_by_municipality, chosen)
        app.chart(charts.by_municipality, places)
        app.table(places, "activities_by_municipality", ["municipality", "events", "participants", "women", "men",
                                                         "women_pct"])
if gender.open:
    with gender:
        genders = app.data(queries.gender_by_year, chosen)
        st.caption(app.tr("participation.gender_note",
                          count=int(genders["rows_without_split"].sum()) if len(genders) else 0))
        app.chart(charts.women_share, genders)
        app.table(genders, "women_men_by_year", ["year", "women", "men", "women_pct", "rows_without_split"])
if rows.open:
    with rows:
        counted = app.data(queries.activity_rows_count, chosen)
        st.caption(app.tr("participation.rows_note", count=int(counted)))
        app.long_table(queries.activity_rows, queries.activity_rows_count, chosen,
                       ["date", "municipality", "type", "events", "participants", "women", "men", "youth", "themes",
                        "partner", "note", "link", "source"], height=420)
