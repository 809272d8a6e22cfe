"""Import history: who stored which file when, and where it stands. A coordinator approves or
rejects partners' submitted imports and undoes imports after confirming; a partner sees their own."""
import streamlit as st

from pop_analytics import app, queries

app.require_page("history")
app.header("history")
app.rejection_notes()  # a partner's rejected import, with what to fix, until read
person = app.viewer()
reviewer = app.may("review")

outcome = st.session_state.pop("undo_outcome", None)
if outcome and outcome[0]:
    st.success(outcome[1], icon=":material/check_circle:")
elif outcome:
    st.error(outcome[1], icon=":material/block:")

imports = app.data(queries.imports, by=None if reviewer else person.name)
if imports.empty:
    app.empty("history.empty")
    st.stop()
# Where each import stands first; a partner's own name is no news to them, the reviewer's comment is.
app.table(imports, "imports", ["id", "import_status", "imported_by", "file_name", "imported_at", "kind", "rows",
                               "reviewed_by", "review_comment"] if reviewer else
          ["import_status", "reviewed_by", "review_comment", "file_name", "id", "imported_at", "kind", "rows"],
          widths={"review_comment": app.settings.PHONE_TEXT_COLUMN_PX}, wrap=True)
if not reviewer:
    st.stop()

waiting = imports[imports["import_status"] == "submitted"]
st.subheader(app.tr("history.review_heading"))
if waiting.empty:
    app.empty("history.nothing_to_review")
else:
    st.caption(app.tr("history.review_help"))
    labels = app.import_labels(waiting)
    app.chosen_from_link(list(labels))  # the Overview links to one import's review
    chosen = st.selectbox(app.tr("history.choose"), list(labels), format_func=labels.get, key="review_choice")
    with st.container(border=True):
        app.review_details(chosen)  # what the partner saw, and what approving it takes out of donors' view
    st.text_input(app.tr("history.review_comment"), key=f"review_comment_{chosen}", max_chars=2000,
                  placeholder=app.tr("history.review_comment_placeholder"))
    approve, reject = st.columns(2)
    approve.button(app.tr("history.approve"), type="primary", icon=":material/verified:", key="review_approve",
                   on_click=app.review, args=(chosen, True), width="stretch")
    reject.button(app.tr("history.reject"), icon=":material/block:", key="review_reject",
                  on_click=app.review, args=(chosen, False), width="stretch")

st.subheader(app.tr("history.undo_heading"))
st.caption(app.tr("history.undo_help"))
stored = imports[imports["import_status"].isin(["submitted", "approved"])]
if stored.empty:
    app.empty("history.nothing_to_undo")
    st.stop()
labels = app.import_labels(stored)
choice = st.selectbox(app.tr("history.choose"), list(labels), format_func=labels.get, key="undo_choice")
st.button(app.tr("history.undo"), key="undo_open", icon=":material/undo:", on_click=app.ask_undo, args=(choice,))
pending = st.session_state.get("undo_pending")
if pending in labels:
    app.confirm_undo_dialog(pending, labels[pending])
