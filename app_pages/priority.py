"""One priority on a page of its own (its link names it): what was promised, its status each year
with the monitoring's note and source, and the file and row each status came from."""
import datetime as dt

import streamlit as st

from pop_analytics import app, queries

chosen = app.current_filters()
app.header("priority", chosen)
if app.nothing_to_show(chosen):
    st.stop()
today = dt.date.today()  # in the cache keys: a deadline passes at midnight
choice = app.priority_choice(app.data(queries.priorities, chosen, search="", today=today),
                             offered=app.settings.TABLE_ROW_LIMIT)
if choice is None:
    app.empty("tracker.no_priorities")
    st.stop()
app.priority_detail(*choice, today=today)
