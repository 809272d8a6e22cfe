"""The dashboard for each role (AppTest): which pages each may open, what a partner may upload, what
a donor sees before and after a coordinator approves a partner's import, the Users and Audit pages,
and sessions that end (idle, password changed, user removed, signed out)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from dashboard_support import (
    ACTIVITY_HEADER,
    DASHBOARD,
    PAGE_FILES,
    TIMEOUT,
    assert_clean,
    frame_with_column,
    metrics,
    xlsx,
)
from streamlit.testing.v1 import AppTest

from pop_analytics import access, accounts, importing, settings, store
from pop_analytics.access import Viewer
from pop_analytics.database import Database
from pop_analytics.i18n import t

PASSWORD = "a long enough passphrase"


def shown(markdown: str) -> str:
    """What a reader sees of a text whose values app.escape escaped."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")

USERS = {"koord": ("coordinator", []), "arta": ("partner", ["Tiranë"]), "dora": ("donor", [])}
EXPLORE = ["overview", "tracker", "priority", "participation", "municipality", "targets", "reports", "quality"]
REACHABLE = {"koord": [*EXPLORE, "upload", "history", "users", "audit"], "arta": [*EXPLORE, "upload", "history"],
             "dora": EXPLORE}
# One Tiranë activity in June 2019, a month with one stored event of 21 participants.
TIRANE_JUNE = [ACTIVITY_HEADER, ["15.06.2019", "Tirana", "Fokus grup", 3, 40, 25, 15, "Uji i pijshëm"]]


@pytest.fixture
def users_db(app_db):
    for name, (role, municipalities) in USERS.items():
        accounts.add(Database(app_db), name, role, municipalities, PASSWORD, access.cli_viewer())
    return app_db


def signed_in(db, name: str, page: str = "overview", query: dict | None = None) -> AppTest:
    """The app as NAME sees it after signing in (the session token as the cookie would carry it)."""
    token = accounts.sign_in(Database(db), name, PASSWORD, "127.0.0.1")
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
    at.session_state[app_token_key()] = token
    at.query_params.update({"lang": "en", **(query or {})})
    at.run()
    if page != "overview":
        at.switch_page(PAGE_FILES[page]).run()
    return at


def app_token_key() -> str:
    from pop_analytics import app
    return app.TOKEN_KEY


@pytest.mark.parametrize("name", list(USERS))
def test_each_role_is_offered_only_its_pages(users_db, name):
    at = signed_in(users_db, name)
    assert_clean(at)
    for page in PAGE_FILES:
        if page in REACHABLE[name]:
            at.switch_page(PAGE_FILES[page]).run()
            assert_clean(at)
            assert at.title[0].value == t(f"page.{page}.title", "en")
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(PAGE_FILES[page])


@pytest.mark.parametrize(("name", "page"), [("dora", "upload"), ("dora", "history"), ("dora", "users"),
                                            ("arta", "users"), ("arta", "audit")])
def test_a_page_run_outside_the_router_refuses_a_role_it_is_not_for(users_db, name, page):
    """A page's own first line refuses, whatever reached it: the page file run on its own, where no
    router has said who is here, shows the refusal and nothing of the page."""
    at = AppTest.from_file(str(DASHBOARD).replace("dashboard.py", PAGE_FILES[page]), default_timeout=TIMEOUT)
    at.run()
    assert [e.value for e in at.error] == [t("access.page", "sq", role="—")]
    assert not at.dataframe and not at.button and not at.file_uploader if hasattr(at, "file_uploader") else True


def test_nobody_signed_in_is_asked_to_sign_in_and_sees_no_data(users_db):
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    at.run()
    assert_clean(at)
    assert [i.value for i in at.info] == [t("signin.needed", "en")]
    assert [m.value for m in at.markdown if m.value.startswith("[")] == ["[Sign in](/signin?lang=en&next=%2F)"]
    assert not at.metric and not at.dataframe


def test_a_partners_file_with_another_municipalitys_row_is_refused_and_nothing_is_stored(users_db):
    content = xlsx([*TIRANE_JUNE, ["16.06.2019", "Durrës", "Fokus grup", 1, 10, 5, 5, "Uji i pijshëm"]])
    at = signed_in(users_db, "arta", "upload")
    at.file_uploader(key="upload_file").upload("tirane_durres.xlsx", content).run()
    assert_clean(at, errors_shown=True)
    report = frame_with_column(at, "What to fix")
    assert report[["Kind", "Row", "Value", "What to fix"]].iloc[0].to_list() == [
        "error", 3, "Durrës", ("This row is for Durrës, but you upload for Tiranë only. Remove the row, or ask a "
                              "coordinator to import it.")]
    assert "upload_confirm" not in [b.key for b in at.button]
    with Database(users_db).reading() as con:
        assert len(store.history(con)) == 5


def kpis_as(db, name: str, query: dict) -> dict[str, str]:
    at = signed_in(db, name, query=query)
    assert_clean(at)
    return {label: value for label, (value, _) in metrics(at).items()}


def test_a_partners_import_changes_nothing_donors_see_until_a_coordinator_approves_it(users_db):
    tirana_2019 = {"municipality": "Tiranë", "year": "2019"}
    before = kpis_as(users_db, "dora", tirana_2019)
    assert (before["Events"], before["Participants"]) == ("4", "99")

    at = signed_in(users_db, "arta", "upload")
    at.file_uploader(key="upload_file").upload("tirane_qershor_2019.xlsx", xlsx(TIRANE_JUNE)).run()
    at.button(key="upload_confirm").click().run()
    assert_clean(at)
    assert t("upload.submitted", "en", import_id=6) in [shown(i.value) for i in at.info]

    assert kpis_as(users_db, "dora", tirana_2019) == before  # submitted: donors see exactly what they saw
    partner = kpis_as(users_db, "arta", tirana_2019)
    assert (partner["Events"], partner["Participants"]) == ("7", "139")
    coordinator = signed_in(users_db, "koord", query=tirana_2019)
    assert (metrics(coordinator)["Events"][0], metrics(coordinator)["Participants"][0]) == ("7", "139")
    coordinator.toggle(key="include_submitted").set_value(False).run()
    assert {k: v for k, (v, _) in metrics(coordinator).items()} == before  # the donors' view, on demand

    history = signed_in(users_db, "koord", "history")
    assert history.selectbox(key="review_choice").value == 6
    history.button(key="review_approve").click().run()
    assert_clean(history)
    assert [shown(s.value) for s in history.success] == ["Import #6 was approved: donors see it from now on."]
    after = kpis_as(users_db, "dora", tirana_2019)
    assert (after["Events"], after["Participants"]) == ("7", "139")
    with Database(users_db).reading() as con:
        audit = store.audit_rows(con)
    changes = audit[audit["action"] != "signin"]
    assert changes[["who", "action", "target"]].head(2).values.tolist() == [["koord", "approve", "6"],
                                                                             ["arta", "import", "6"]]


def test_a_rejection_needs_a_comment_and_the_partner_reads_it(users_db):
    at = signed_in(users_db, "arta", "upload")
    at.file_uploader(key="upload_file").upload("tirane_qershor_2019.xlsx", xlsx(TIRANE_JUNE)).run()
    at.button(key="upload_confirm").click().run()
    history = signed_in(users_db, "koord", "history")
    history.button(key="review_reject").click().run()
    assert [shown(e.value) for e in history.error] == [t("user.reject_needs_comment", "en")]
    history.text_input(key="review_comment_6").set_value("Participants: 40 is the whole month, not one event.")
    history.button(key="review_reject").click().run()
    assert [shown(s.value) for s in history.success] == [
        "Import #6 was rejected: 1 row removed; the rows it had replaced are current again."]
    mine = signed_in(users_db, "arta", "history")
    rows = frame_with_column(mine, "File")
    assert rows[["Import", "Status", "Comment"]].values.tolist() == [
        [6, "rejected", "Participants: 40 is the whole month, not one event."]]
    assert "review_approve" not in [b.key for b in mine.button] and "undo_open" not in [b.key for b in mine.button]


def test_a_coordinator_adds_a_user_and_the_audit_page_shows_it(users_db):
    at = signed_in(users_db, "koord", "users")
    at.text_input(key="new_user_name").set_value("besa")
    at.selectbox(key="new_user_role").set_value("partner")
    at.multiselect(key="new_user_municipalities").set_value(["Fier"])
    at.text_input(key="new_user_password").set_value("short")
    at.button[[b.label for b in at.button].index("Add user")].click().run()
    assert [shown(e.value) for e in at.error] == [t("user.short_password", "en", least=settings.MIN_PASSWORD_CHARS)]
    at.text_input(key="new_user_password").set_value("besa's own passphrase")
    at.button[[b.label for b in at.button].index("Add user")].click().run()
    assert_clean(at)
    assert [shown(s.value) for s in at.success] == ["User 'besa' added as partner."]
    users = frame_with_column(at, "Role")
    assert users[["Name", "Role", "Municipalities"]].values.tolist() == [
        ["koord", "coordinator", ""], ["dora", "donor", ""], ["arta", "partner", "Tiranë"], ["besa", "partner", "Fier"]]
    at.switch_page(PAGE_FILES["audit"]).run()
    at.multiselect(key="audit_actions").set_value(["user_add"]).run()
    log = frame_with_column(at, "What")
    assert log[["Who", "What", "On"]].values.tolist()[0] == ["koord", "user added", "besa"]


@pytest.mark.parametrize("how", ["idle", "password_changed", "removed", "signed_out"])
def test_a_session_that_ended_asks_to_sign_in_again(users_db, monkeypatch, how):
    at = signed_in(users_db, "arta")
    assert metrics(at)
    db = Database(users_db)
    if how == "idle":
        token = at.session_state[app_token_key()]
        accounts._last_seen[accounts.token_hash(token)] = dt.datetime.now() - dt.timedelta(
            minutes=settings.IDLE_MINUTES + 1)
    elif how == "password_changed":
        accounts.change_password(db, "arta", "another long passphrase", access.cli_viewer())
    elif how == "removed":
        accounts.remove(db, "arta", access.cli_viewer())
    else:
        at.button(key="sign_out").click()
    at.run()
    assert_clean(at)
    assert not at.metric and not at.dataframe
    expected = {"idle": "signin.expired", "signed_out": "signin.signed_out"}.get(how, "signin.needed")
    assert [i.value for i in at.info] == [t(expected, "en")]


def test_the_public_donor_view_shows_approved_figures_without_signing_in(users_db, monkeypatch):
    tirana_2019 = {"municipality": "Tiranë", "year": "2019"}
    partner = Viewer(name="arta", role="partner", municipalities=("Tiranë",), how="cli")
    content = xlsx(TIRANE_JUNE)
    assert importing.import_bytes(Database(users_db), content, "tirane_qershor_2019.xlsx", by=partner).review == \
        "submitted"
    monkeypatch.setattr(settings, "PUBLIC_DONOR_VIEW", True)
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
    at.query_params.update({"lang": "en", **tirana_2019})
    at.run()
    assert_clean(at)
    assert (metrics(at)["Events"][0], metrics(at)["Participants"][0]) == ("4", "99")  # the submitted file not counted
    assert [shown(m.value) for m in at.markdown if "Public view" in m.value] == [
        (":blue-background[:material/public: **Public view:** approved figures only. [Sign in](/signin?lang=en) to "
        "see more.]")]
    for page in ("upload", "history", "users", "audit"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(PAGE_FILES[page])


@pytest.mark.parametrize(("name", "notes"), [("koord", True), ("arta", True), ("dora", False)])
def test_free_text_notes_are_shown_to_coordinators_and_partners_and_never_to_donors(users_db, name, notes):
    at = signed_in(users_db, name, "participation", {"municipality": "Tiranë", "year": "2019"})
    assert_clean(at)
    rows = frame_with_column(at, "Partner organisation")  # the activity rows behind the charts
    assert ("Note" in rows.columns) is notes
    if notes:
        assert "Fushatë informimi në lagje" in list(rows["Note"])
