"""Targets: the project's targets per objective (SO1–SO4) beside what was achieved, and the share reached."""
import streamlit as st

from pop_analytics import app, charts, reference, targets

chosen = app.current_filters()
app.header("targets", chosen)
st.caption(app.tr("targets.note"))
progress = app.data("target_progress", chosen)
if progress.empty:
    app.empty("targets.none" if app.data("years") else "empty.database")
    st.stop()

lang = app.lang()
shown = targets.for_table(progress)
for objective in reference.objectives():
    mine = progress["objective"] == objective.key
    if not mine.any():
        continue
    st.subheader(app.tr("targets.objective", code=objective.key, label=objective.label(lang)))
    app.chart(charts.target_progress, progress[mine & progress["reached_pct"].notna()], empty_key="targets.no_progress",
              part=objective.key)
    app.table(shown[mine], f"targets_{objective.key}", ["target_indicator", "year", "municipality", "target_value",
                                                        "achieved", "reached_pct", "achieved_from"])
