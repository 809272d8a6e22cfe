"""Users (coordinators only): who may sign in, with which role and municipalities; add a user,
set a password, set where and how often messages reach a user, remove a user. Every change is in
the audit log."""
import streamlit as st

from pop_analytics import app, queries, reference
from pop_analytics.access import ROLES

app.require_page("users")
app.header("users")
language = app.lang()

outcome = st.session_state.pop("users_outcome", None)
if outcome:
    (st.success if outcome[0] else st.error)(outcome[1], icon=":material/check_circle:" if outcome[0] else
                                             ":material/block:")
if app.viewer().how == "local":
    st.info(app.tr("users.local_first"), icon=":material/lock_open:")

users = app.data(queries.users)
if users.empty:
    app.empty("users.none")
else:
    app.table(users, "users", ["name", "role", "municipalities", "email", "language", "created_by", "created_at",
                               "password_changed_at"])

add, password, messages, remove = st.tabs([app.tr("users.add_heading"), app.tr("users.password_heading"),
                                           app.tr("messages.heading"), app.tr("users.remove_heading")])
with add, st.form(key="add_user", border=False):
    st.text_input(app.tr("users.name"), key="new_user_name", max_chars=64)
    st.selectbox(app.tr("users.role"), ROLES, key="new_user_role",
                 format_func=lambda role: app.t(f"role.{role}", language))
    st.multiselect(app.tr("users.municipalities"), reference.pop_municipalities(), key="new_user_municipalities",
                   help=app.tr("users.municipalities_help"), placeholder=app.tr("users.municipalities_none"))
    st.text_input(app.tr("users.password"), key="new_user_password", type="password",
                  help=app.tr("users.password_help"))
    st.form_submit_button(app.tr("users.add"), type="primary", icon=":material/person_add:", on_click=app.add_user)
names = list(users["name"]) if not users.empty else []
with password:
    if names:
        with st.form(key="change_password", border=False):
            st.selectbox(app.tr("users.name"), names, key="password_user")
            st.text_input(app.tr("users.password"), key="password_new", type="password",
                          help=app.tr("users.password_help"))
            st.form_submit_button(app.tr("users.set_password"), icon=":material/password:",
                                  on_click=app.change_password)
    else:
        app.empty("users.none")
with messages:
    if names:
        chosen_user = st.selectbox(app.tr("users.name"), names, key="messages_user")
        app.messages_form(chosen_user, "theirs", app.save_user_messages)
    else:
        app.empty("users.none")
with remove:
    if names:
        # Nobody is chosen at first (never the coordinator signed in), and the button asks before it removes.
        st.selectbox(app.tr("users.name"), names, index=None, key="remove_user", placeholder=app.tr("users.choose"))
        st.caption(app.tr("users.remove_help"))
        st.button(app.tr("users.remove"), icon=":material/person_remove:", key="remove_user_open",
                  on_click=app.ask_remove_user)
        pending = st.session_state.get("remove_pending")
        if pending in names:
            app.confirm_remove_dialog(pending, str(users.loc[users["name"] == pending, "role"].iloc[0]))
    else:
        app.empty("users.none")
