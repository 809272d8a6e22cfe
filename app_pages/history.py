"""Import history: who stored which file when; undo an import after confirming."""
import streamlit as st

from pop_analytics import app

app.header("history")
lang = app.lang()

outcome = st.session_state.pop("undo_outcome", None)
if outcome and outcome[0]:
    st.success(outcome[1], icon=":material/check_circle:")
elif outcome:
    st.error(outcome[1], icon=":material/block:")

imports = app.data("imports")
if imports.empty:
    app.empty("history.empty")
    st.stop()
app.table(imports, "imports", ["id", "imported_at", "imported_by", "file_name", "kind", "rows", "state", "undone_at"])

st.subheader(app.tr("history.undo_heading"))
st.caption(app.tr("history.undo_help"))
stored = imports[imports["state"] == "stored"]
if stored.empty:
    app.empty("history.nothing_to_undo")
    st.stop()
labels = {int(r.id): f"#{r.id} · {r.file_name} · {r.imported_at:%d.%m.%Y %H:%M} · {r.imported_by}"
          for r in stored.itertuples()}
choice = st.selectbox(app.tr("history.choose"), list(labels), format_func=labels.get, key="undo_choice")
st.button(app.tr("history.undo"), key="undo_open", icon=":material/undo:", on_click=app.ask_undo, args=(choice,))
pending = st.session_state.get("undo_pending")
if pending in labels:
    app.confirm_undo_dialog(pending, labels[pending])
