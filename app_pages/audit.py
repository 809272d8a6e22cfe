"""Audit log (coordinators only): every import, approval, rejection, undo, saved mapping, sign-in
and user change, with who, when, from where and what. Read-only: nothing here changes it."""
import streamlit as st

from pop_analytics import app, queries

app.require_page("audit")
app.header("audit")
language = app.lang()

log = app.data(queries.audit)
if log.empty:
    app.empty("audit.empty")
    st.stop()
actions, people = st.columns(2)
chosen_actions = actions.multiselect(app.tr("audit.action"), sorted(log["action"].unique()), key="audit_actions",
                                     format_func=lambda action: app.t(f"audit_action.{action}", language),
                                     placeholder=app.tr("audit.all_actions"))
chosen_people = people.multiselect(app.tr("audit.who"), sorted(log["who"].unique()), key="audit_who",
                                   placeholder=app.tr("audit.everyone"))
search = st.text_input(app.tr("audit.search"), key="audit_search", placeholder=app.tr("audit.search_placeholder"))
app.table(app.audit_view(log, chosen_actions, chosen_people, search), "audit",
          # what a phone shows first: when, who, what, on what and how; the address and the entry's number last
          ["happened_at", "who", "action", "target", "detail", "address", "entry"], empty_key="audit.no_match")
