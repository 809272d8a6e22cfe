"""Actions: what the Upload, Import-history and Users pages do on a click (check, re-check and store
a file; undo, approve, reject; add, change and remove users). Each runs in its widget's callback,
before the page run reads the database, and checks the role on the server (roles.permit)."""
from __future__ import annotations

import hashlib

import streamlit as st

from .. import (
    access,
    accounts,
    aliases,
    api_tokens,
    approval,
    importing,
    preferences,
    present,
    reading,
    settings,
    store,
    upload_view,
)
from ..errors import DatabaseProblem, Refusal, UndoRefused, UserRefused
from ..i18n import catalogue
from ..matching import SavedMapping
from .data import db
from .roles import permit, viewer
from .state import escape, lang, tr


def uploading_as() -> str:
    """Whom an upload is stored under, for which municipalities, and whether it waits for approval."""
    person = viewer()
    if person is None:
        return ""
    places = ", ".join(person.municipalities) if person.municipalities else tr("account.all_municipalities")
    key = "upload.as_submitted" if person.review == "submitted" else "upload.as_approved"
    return tr(key, name=person.name, places=places)


def _upload_key(content: bytes, file_name: str) -> str:
    person = viewer()
    return "_checked_" + hashlib.sha256(content).hexdigest() + file_name + "\x00" + (person.name if person else "")


def _problem_note(problem: DatabaseProblem | Refusal | aliases.AliasRefused) -> dict[str, str]:
    return {code: problem.message(code) for code in settings.LANGUAGES}


def check_upload(content: bytes, file_name: str) -> importing.ImportReport:
    """A dry run: what the file holds and what is wrong with it; nothing stored. The report is kept
    for the session (_kept) and stored as checked. Only the latest file's report is kept, so a
    session does not hold on to every file it was shown."""
    key = _upload_key(content, file_name)
    if key not in st.session_state:
        _forget_uploads()
        st.session_state[key] = _kept(importing.import_bytes(db(), content, file_name, dry_run=True,
                                                             limit=settings.MAX_UPLOAD_BYTES, by=viewer()))
    return st.session_state[key]


def _kept(report: importing.ImportReport) -> importing.ImportReport:
    """A report as a session keeps it: its problems (capped per kind), counts and batch, and of the
    sheets as read only the first rows the page shows; a re-check reads the file again."""
    if report.read is not None:
        report.read = reading.head(report.read, settings.UPLOAD_PREVIEW_ROWS)
    return report


def _forget_uploads() -> None:
    for older in [k for k in st.session_state if str(k).startswith(("_checked_", "_chosen_"))]:
        del st.session_state[older]


def choice_key(unknown: upload_view.Unknown) -> str:
    """The widget key of the choice for one unknown value, the same on every rerun."""
    return "choose_" + hashlib.sha1(f"{unknown.vocabulary}\x00{unknown.value}".encode()).hexdigest()[:12]


def recheck_upload(content: bytes, file_name: str, unknowns: list[upload_view.Unknown]) -> None:
    """The Upload page's re-check: each chosen term is read for this upload, those to remember are
    saved for every later import too, and the file is checked again with them."""
    try:
        by = permit("upload")
        key = "_checked_" + hashlib.sha256(content).hexdigest() + file_name + "\x00" + by.name
        report = st.session_state.get(key)
        if report is None or report.read is None:
            return
        picked = [(u, st.session_state.get(choice_key(u)), bool(st.session_state.get("remember_" + choice_key(u))))
                  for u in unknowns]
        remembered = [(u, term) for u, term, remember in picked if term and remember]
        if remembered:
            access.require(by, "save_mapping")
            with db().writing() as con:
                for unknown, term in remembered:
                    aliases.add(con, unknown.vocabulary, unknown.value, term, who=by.name, why=f"Upload: {file_name}",
                                address=by.address)
        chosen = [*st.session_state.get("_chosen_" + key, []),
                  *(SavedMapping(0, u.vocabulary, u.value, term)
                    for u, term, remember in picked if term and not remember)]
        st.session_state["_chosen_" + key] = chosen
        st.session_state[key] = _kept(importing.check(content, file_name, limit=settings.MAX_UPLOAD_BYTES,
                                                      mappings=importing.mappings_of(db()).adding(chosen), by=by))
    except (DatabaseProblem, aliases.AliasRefused, Refusal) as problem:
        st.session_state["upload_problem"] = _problem_note(problem)


def store_upload(content: bytes, file_name: str, mode: str = store.REPLACE_MODE) -> importing.ImportReport:
    """Store a file as it was checked (with the terms chosen for it), its activities replacing their
    months or added (mode), under the one write lock of every process, as the signed-in user (their
    role checked again here); a file not checked in this session is checked first."""
    by = permit("upload")
    key = "_checked_" + hashlib.sha256(content).hexdigest() + file_name + "\x00" + by.name
    report = st.session_state.get(key)
    if report is None or report.status != "valid":
        return importing.import_bytes(db(), content, file_name, limit=settings.MAX_UPLOAD_BYTES, by=by, mode=mode)
    return importing.store_checked(db(), report, by=by, mode=mode)


def confirm_upload(content: bytes, file_name: str, mode: str = store.REPLACE_MODE) -> None:
    """The Upload page's confirm button: store, and say so on the next run."""
    try:
        report = store_upload(content, file_name, mode)
    except (DatabaseProblem, Refusal) as problem:
        st.session_state["upload_problem"] = _problem_note(problem)
        return
    _forget_uploads()
    st.session_state.pop("upload_mode", None)  # the next file starts from the documented rule: replace
    if report.status == "imported":
        st.session_state["upload_stored"] = {
            "file": file_name, "import_id": report.import_id, "rows": report.rows, "review": report.review,
            "warnings": {code: [w.message(code) for w in report.warnings] for code in settings.LANGUAGES}}
    elif report.status == "refused":  # the role or the rows changed since the check
        st.session_state["upload_problem"] = {code: " ".join(p.message(code) for p in report.errors[:3])
                                              for code in settings.LANGUAGES}


def undo(import_id: int) -> tuple[bool, str]:
    """Undo an import; the answer is what to tell the reader."""
    try:
        removed = approval.undo(db(), import_id, permit("undo"))
    except UndoRefused as refused:
        return False, tr("history.undo_refused", import_id=import_id, reason=refused.message(lang()))
    except (DatabaseProblem, Refusal) as problem:
        return False, escape(problem.message(lang()))
    return True, tr("history.undone", import_id=import_id, **_removed(removed))


def _removed(removed: dict[str, int]) -> dict[str, str]:
    """How many rows went, in the reader's language ('1 row removed', 'u hoqën 7 rreshta')."""
    return {"removed": present.removed_phrase(sum(removed.values()), lang())}


def review(import_id: int, approve: bool) -> None:
    """The Import-history page's approve and reject buttons (a rejection needs its comment)."""
    comment = st.session_state.get(f"review_comment_{import_id}", "")
    try:
        by = permit("review")
        if approve:
            approval.approve(db(), import_id, by, comment)
            outcome = (True, tr("history.approved", import_id=import_id))
        else:
            removed = approval.reject(db(), import_id, by, comment)
            outcome = (True, tr("history.rejected", import_id=import_id, **_removed(removed)))
    except (UndoRefused, DatabaseProblem, Refusal) as problem:
        outcome = (False, escape(problem.message(lang())))
    st.session_state["undo_outcome"] = outcome


def add_user() -> None:
    """The Users page's form: a new user, checked and stored as the command line would."""
    state = st.session_state
    try:
        name = accounts.add(db(), state.get("new_user_name", ""), state.get("new_user_role", ""),
                            list(state.get("new_user_municipalities") or []), state.get("new_user_password", ""),
                            permit("manage_users"))
        state["users_outcome"] = (True, tr("users.added", name=name, role=tr(f"role.{state.get('new_user_role')}")))
        for key in ("new_user_name", "new_user_password"):
            state[key] = ""
    except (DatabaseProblem, Refusal) as problem:
        state["users_outcome"] = (False, _users_page_words(problem))


def _save_messages(name: str, prefix: str, outcome_key: str, kinds: tuple[str, ...]) -> None:
    """A messages form (the account page's own, or the Users page's for anyone): address, language and
    how often each kind of message comes, saved in one write."""
    state = st.session_state
    try:
        found = preferences.set_contact(
            db(), name, permit("read"), email=str(state.get(f"{prefix}_email") or ""),
            language=str(state.get(f"{prefix}_language") or settings.LANGUAGES[0]),
            cadences={kind: str(state[f"{prefix}_cadence_{kind}"]) for kind in kinds
                      if state.get(f"{prefix}_cadence_{kind}")},
            clear_email=not str(state.get(f"{prefix}_email") or "").strip())
        state[outcome_key] = (True, tr("messages.saved", name=found.name))
    except (DatabaseProblem, Refusal) as problem:
        state[outcome_key] = (False, escape(problem.message(lang())))


def save_my_messages(name: str, prefix: str, kinds: tuple[str, ...]) -> None:
    _save_messages(name, prefix, "account_outcome", kinds)


def save_user_messages(name: str, prefix: str, kinds: tuple[str, ...]) -> None:
    _save_messages(name, prefix, "users_outcome", kinds)


def _users_page_words(problem: DatabaseProblem | Refusal) -> str:
    """A refusal as the Users page says it: where the command line's sentence names its flag
    (--municipality), the page names its own field."""
    key = f"users.refused.{problem.reason}" if isinstance(problem, UserRefused) else ""
    if key not in catalogue(lang()):
        return escape(problem.message(lang()))
    role = problem.params.get("role")
    return tr(key, role=tr(f"role.{role}") if role else "", field=tr("users.municipalities"))


def create_token() -> None:
    """The account page's form: a token for the signed-in user, shown once on the next run."""
    state = st.session_state
    label = state.get("token_label", "")
    try:
        by = permit("read")
        state["account_new_token"] = (label.strip(), api_tokens.create(db(), by.name, label, by))
        state["token_label"] = ""
    except (DatabaseProblem, Refusal) as problem:
        state["account_outcome"] = (False, escape(problem.message(lang())))


def revoke_token(labels: dict[int, str]) -> None:
    state = st.session_state
    token_id = state.get("token_revoke")
    if token_id is None:
        return
    try:
        api_tokens.revoke(db(), int(token_id), permit("read"))
        state["account_outcome"] = (True, tr("account.revoked", label=labels.get(int(token_id), "")))
        state["token_revoke"] = None
    except (DatabaseProblem, Refusal) as problem:
        state["account_outcome"] = (False, escape(problem.message(lang())))


def change_password() -> None:
    state = st.session_state
    name = state.get("password_user", "")
    try:
        accounts.change_password(db(), name, state.get("password_new", ""), permit("manage_users"))
        state["users_outcome"] = (True, tr("users.password_changed", name=name))
        state["password_new"] = ""
    except (DatabaseProblem, Refusal) as problem:
        state["users_outcome"] = (False, escape(problem.message(lang())))


def remove_user(name: str) -> None:
    state = st.session_state
    state.pop("remove_pending", None)
    state["remove_user"] = None  # the next removal starts from no one chosen
    try:
        accounts.remove(db(), name, permit("manage_users"))
        state["users_outcome"] = (True, tr("users.removed", name=name))
    except (DatabaseProblem, Refusal) as problem:
        state["users_outcome"] = (False, escape(problem.message(lang())))


def ask_remove_user() -> None:
    """Open the confirmation for the user chosen, for a coordinator whose session is still open."""
    state = st.session_state
    try:
        permit("manage_users")
    except Refusal as problem:
        state["users_outcome"] = (False, escape(problem.message(lang())))
        return
    if state.get("remove_user"):
        state["remove_pending"] = state["remove_user"]
    else:
        state["users_outcome"] = (False, tr("users.choose_first"))


def _cancel_remove() -> None:
    st.session_state.pop("remove_pending", None)


def confirm_remove_dialog(name: str, role: str) -> None:
    """Ask before removing a user: who, and what it ends (the signed-in coordinator is told it is them)."""
    def body() -> None:
        if st.session_state.get("remove_pending") != name:
            st.rerun()  # answered: the whole page runs again, as for undo's dialog
        st.markdown(tr("users.confirm_text", name=name, role=tr(f"role.{role}")))
        person = viewer()
        if person is not None and person.name == name:
            st.warning(tr("users.confirm_self"), icon=":material/logout:")
        yes, no = st.columns(2)
        yes.button(tr("users.confirm_yes"), type="primary", key="remove_yes", on_click=remove_user, args=(name,),
                   width="stretch")
        no.button(tr("users.confirm_no"), key="remove_no", on_click=_cancel_remove, width="stretch")

    st.dialog(tr("users.confirm_title"), on_dismiss=_cancel_remove)(body)()


def ask_undo(import_id: int) -> None:
    st.session_state["undo_pending"] = import_id


def _cancel_undo() -> None:
    st.session_state.pop("undo_pending", None)


def _do_undo(import_id: int) -> None:
    st.session_state.pop("undo_pending", None)
    st.session_state["undo_outcome"] = undo(import_id)


def confirm_undo_dialog(import_id: int, described: str) -> None:
    """Ask before undoing: what goes, what comes back."""
    def body() -> None:
        if st.session_state.get("undo_pending") != import_id:
            # Answered: a dialog is a fragment, so the click reran only the dialog, which would ask
            # again. The whole page runs instead, and no longer opens it. (The answer itself is
            # carried out in the buttons' callbacks, before any run reads the database.)
            st.rerun()
        st.markdown(tr("history.confirm_text", import_id=import_id, described=described))
        yes, no = st.columns(2)
        yes.button(tr("history.confirm_yes"), type="primary", key="undo_yes", on_click=_do_undo, args=(import_id,),
                   width="stretch")
        no.button(tr("history.confirm_no"), key="undo_no", on_click=_cancel_undo, width="stretch")

    st.dialog(tr("history.confirm_title"), on_dismiss=_cancel_undo)(body)()
