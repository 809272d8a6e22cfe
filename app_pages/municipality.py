"""Municipality profile: one municipality's monitoring and participation beside the network average."""
import streamlit as st

from pop_analytics import app, charts, present, queries, reference

chosen = app.current_filters()
lang = app.lang()
app.header("municipality")
name = app.profile_choice(chosen)
if name is None:
    st.stop()
scoped = chosen.but(municipality=(name,))
app.showing(scoped)
if app.nothing_to_show(scoped):
    st.stop()

partner = reference.partners().get(name)
st.markdown(f"### {app.escape(name)}")
st.markdown(app.tr("profile.partner", name=partner[lang]) if partner else app.tr("profile.no_partner"))
member_since = reference.municipality(name).pop_member_since
if member_since:
    st.caption(app.tr("profile.member_since", year=member_since))

# The network's averages: a partner's come from every municipality's approved rows (aggregates only).
result = app.data(queries.profile, chosen, name, benchmark=app.network(queries.network_benchmark, chosen))
app.tiles(present.profile_tiles(result, lang), per_row=5, delta_description=app.tr("profile.vs_network"))
st.caption(app.tr("profile.network_note", count=result["municipalities"]))
person = app.viewer()
if person is not None and person.municipalities is not None:
    st.caption(app.tr("profile.network_approved"))

st.subheader(app.tr("profile.cycles"))
app.table(app.data(queries.municipality_cycles, name), "cycles",
          ["cycle", "election_date", "priorities", "first_year", "last_year"], empty_key="profile.no_cycles",
          shown_for=scoped.but(year=(), theme=(), cycle=None))

st.subheader(app.tr("profile.comparison"))
comparison = present.profile_comparison(result, name, lang)
# All four columns on a phone: the indicator wraps, the figures are short.
app.table(comparison, "comparison", labelled=True, shown_for=scoped, wrap=True,
          widths=dict(zip(comparison.columns, (app.settings.PHONE_LABEL_COLUMN_PX,
                                               *[app.settings.PHONE_NUMBER_COLUMN_PX] * 3))))
left, right = st.columns(2)
with left:
    trend = app.data(queries.profile_trend, chosen, name, network=app.network(queries.network_trend, chosen),
                     network_label=app.tr("profile.network_average"))
    app.chart(charts.trend_comparison, trend, shown_for=scoped)
with right:
    app.chart(charts.status_by_theme, app.data(queries.status_by_theme, scoped), shown_for=scoped)
left, right = st.columns(2)
with left:
    app.chart(charts.by_type, app.data(queries.activities_by_type, scoped), shown_for=scoped)
with right:
    app.chart(charts.by_month, app.data(queries.activities_by_month, scoped), "participants", shown_for=scoped)

st.subheader(app.tr("profile.priorities"))
priorities = app.data(queries.priorities, scoped, search="")
app.table(priorities, "priorities", ["title", "status", "code", *present.status_columns(priorities), "theme", "cycle"],
          empty_key="tracker.no_priorities", status_colours=True, widths={"title": app.settings.PHONE_TEXT_COLUMN_PX},
          wrap=True, shown_for=scoped)
