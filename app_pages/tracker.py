"""Social Contract tracker: the status of every priority, by municipality and theme, year by year."""
import streamlit as st

from pop_analytics import app, charts, present

chosen = app.current_filters()
app.header("tracker", chosen)
if app.nothing_to_show(chosen):
    st.stop()

counts = app.data("overview", chosen)["current"]["priorities"]
lang = app.lang()
st.markdown(app.tr("tracker.summary", total=present.number(counts["total"], lang),
                   fully=present.number(counts["fully"], lang), partially=present.number(counts["partially"], lang),
                   not_addressed=present.number(counts["not_addressed"], lang)))

st.subheader(app.tr("tracker.matrix"))
st.caption(app.tr("tracker.matrix_help"))
matrix = app.data("status_matrix", chosen)
app.chart(charts.status_matrix, matrix, empty_key="tracker.no_priorities")
if not matrix.empty:
    with st.expander(app.tr("common.rows_behind")):
        app.table(matrix, "status_matrix", ["municipality", "theme", "total", "fully", "partially", "not_addressed",
                                            "addressed_pct", "progress_pct"])

st.subheader(app.tr("tracker.priorities"))
search = st.text_input(app.tr("tracker.search"), key="search", bind="query-params",
                       placeholder=app.tr("tracker.search_placeholder"))
priorities = app.data("priorities", chosen, search=search or "")
years = present.status_columns(priorities)
st.caption(app.tr("tracker.count", count=present.number(len(priorities), lang)))
app.table(priorities, "priorities", ["municipality", "code", "status", *years, "title", "theme", "cycle"],
          empty_key="tracker.no_match", status_colours=True)

st.subheader(app.tr("tracker.detail"))
# The detail offers the priorities the table shows; a search narrows a longer list.
choice = app.priority_choice(priorities.head(app.settings.TABLE_ROW_LIMIT))
if choice is None:
    app.empty("tracker.no_match")
    st.stop()
app.priority_detail(*choice)
app.priority_link(chosen, *choice)
