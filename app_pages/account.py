"""Your account (every signed-in user): who you are signed in as, where and how often messages reach
you by e-mail, and your API tokens: create one (shown once), see where each is used and how often,
revoke one."""
import streamlit as st

from pop_analytics import app, queries

app.require_page("account")
app.header("account")
person = app.viewer()

if person.how == "local":  # nobody is stored yet: a token acts as a stored user
    st.info(app.tr("account.local"), icon=":material/lock_open:")
    st.stop()

outcome = st.session_state.pop("account_outcome", None)
if outcome:
    (st.success if outcome[0] else st.error)(outcome[1], icon=":material/check_circle:" if outcome[0] else
                                             ":material/block:")
places = ", ".join(person.municipalities) if person.municipalities is not None else app.tr("account.all_municipalities")
st.markdown(app.tr("account.signed_in_as", name=person.name, role=app.tr(f"role.{person.role}"),
                   places=places))

st.subheader(app.tr("messages.heading"))
st.caption(app.tr("messages.help"))
app.messages_form(person.name, "mine", app.save_my_messages)

st.subheader(app.tr("account.tokens"))
st.markdown(app.tr("account.tokens_help"))
created = st.session_state.pop("account_new_token", None)
if created:  # shown this once: only its hash is stored
    st.success(app.tr("account.created", label=created[0]), icon=":material/key:")
    st.code(created[1], language=None)

tokens = app.data(queries.tokens, person.name)
if tokens.empty:
    app.empty("account.no_tokens")
else:
    app.table(tokens.rename(columns={"label": "token_label"}), "api_tokens",
              ["token_label", "created_at", "uses", "first_used_at", "last_used_at", "revoked_at"])

with st.form(key="create_token", border=False):
    st.text_input(app.tr("account.label"), key="token_label", max_chars=app.settings.MAX_TOKEN_LABEL_CHARS,
                  placeholder=app.tr("account.label_placeholder"))
    st.form_submit_button(app.tr("account.create"), type="primary", icon=":material/key:", on_click=app.create_token)

active = tokens[tokens["revoked_at"].isna()] if not tokens.empty else tokens
if not active.empty:
    labels = {int(row.id): str(row.label) for row in active.itertuples()}
    st.selectbox(app.tr("account.revoke_choice"), list(labels), index=None, key="token_revoke",
                 format_func=lambda token_id: labels[token_id], placeholder=app.tr("account.choose"))
    st.button(app.tr("account.revoke"), icon=":material/key_off:", key="token_revoke_button",
              on_click=app.revoke_token, args=(labels,))
