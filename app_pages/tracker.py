"""Social Contract tracker: the status of every priority, by municipality and theme, year by year."""
import datetime as dt

import streamlit as st

from pop_analytics import app, charts, present, queries

chosen = app.current_filters()
app.header("tracker", chosen)
if app.nothing_to_show(chosen):
    st.stop()

lang = app.lang()
today = dt.date.today()  # in the cache keys: a deadline passes at midnight
cycles = app.data(queries.cycle_priorities, chosen)
matrix = app.data(queries.status_matrix, chosen)
st.subheader(app.tr("tracker.matrix"))
st.caption(app.tr("tracker.matrix_help"))
if len(cycles) > 1:
    st.caption(app.tr("tracker.cycles_apart"))
if not cycles:
    app.empty("tracker.no_priorities")
# One summary and one matrix per contract cycle (kpis.cycle_views): one under the other reads at any width.
for part in cycles:
    counts = part["priorities"]
    st.markdown(app.tr("tracker.summary_cycle", cycle=part["cycle"], total=present.number(counts["total"], lang),
                       fully=present.number(counts["fully"], lang), partially=present.number(counts["partially"], lang),
                       not_addressed=present.number(counts["not_addressed"], lang)))
    app.chart(charts.status_matrix, matrix[matrix["cycle"] == part["cycle"]], empty_key="tracker.no_priorities",
              shown_for=chosen.but(cycle=part["cycle"]))
if not matrix.empty:
    rows_behind = app.on_demand(app.tr("common.rows_behind"), key="rows_behind_tracker")
    if rows_behind is not None:
        with rows_behind:
            app.table(matrix, "status_matrix", ["cycle", "municipality", "theme", "total", "fully", "partially",
                                                "not_addressed", "addressed_pct", "progress_pct"])

st.subheader(app.tr("tracker.priorities"))
search = st.text_input(app.tr("tracker.search"), key="search", bind="query-params",
                       placeholder=app.tr("tracker.search_placeholder"))
overdue_only = st.toggle(app.tr("tracker.only_overdue"), key="overdue", bind="query-params",
                         help=app.tr("tracker.overdue_help"))
priorities = present.with_time_left(
    app.data(queries.priorities, chosen, search=search or "", today=today, overdue_only=overdue_only), lang)
years = present.status_columns(priorities)
overdue = int(priorities["overdue"].sum())
st.caption(app.tr("tracker.in_view", count=len(priorities)) + " "
           + (app.tr("tracker.overdue_count", count=overdue) if overdue else app.tr("tracker.no_overdue")))
# The priority, its status and whether it is overdue first, sized to fit a phone; the title wraps rather than being cut.
app.table(priorities, "priorities", ["title", "status", "overdue", "deadline", "time_left", "municipality", "code",
                                     *years, "theme", "cycle"],
          empty_key="tracker.no_match", status_colours=True, widths={"title": app.settings.PHONE_TEXT_COLUMN_PX},
          wrap=True)

st.subheader(app.tr("tracker.detail"))
# The detail offers the priorities the table shows; a search narrows a longer list.
choice = app.priority_choice(priorities.head(app.settings.TABLE_ROW_LIMIT))
if choice is None:
    app.empty("tracker.no_match")
    st.stop()
app.priority_detail(*choice, today=today)
app.priority_link(chosen, *choice)
