"""Targets: the project's targets per objective (SO1–SO4) beside what was achieved, and the share reached."""
import streamlit as st

from pop_analytics import app, charts, queries, reference, targets

chosen = app.current_filters()
app.header("targets", chosen)
st.caption(app.tr("targets.note"))
progress = app.data(queries.target_progress, chosen)
if progress.empty:
    app.empty("targets.none" if app.data(queries.years) else "empty.database")
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
    # What is set against what was reached first, sized to fit a phone; the indicator wraps.
    app.table(shown[mine], f"targets_{objective.key}", ["target_indicator", "target_value", "achieved", "reached_pct",
                                                        "year", "municipality", "achieved_from"],
              widths={"target_indicator": app.settings.PHONE_LABEL_COLUMN_PX,
                      **dict.fromkeys(("target_value", "achieved", "reached_pct"),
                                      app.settings.PHONE_NUMBER_COLUMN_PX)},
              wrap=True)
