"""An open tab after its session ended (AppTest, in process): every deferred download (report,
table, chart PNG) checks the session again when it is clicked and makes nothing once it is signed
out, removed, idle, past a working day, has a new password or shows another role; every action
checks it again in its callback; the page run after either says the session ended. Local mode and
the public donor view download as before."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pandas as pd
import pytest
from dashboard_support import ACTIVITY_HEADER, DASHBOARD, PAGE_FILES, TIMEOUT, assert_clean, open_app, xlsx
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from pop_analytics import access, accounts, importing, open_data, settings, store
from pop_analytics.access import Viewer
from pop_analytics.app import TOKEN_KEY
from pop_analytics.database import Database
from pop_analytics.errors import AccessDenied
from pop_analytics.i18n import t
from pop_analytics.scope import Sight, published

PASSWORD = "a long enough passphrase"
USERS = {"koord": ("coordinator", []), "chief": ("coordinator", []), "arta": ("partner", ["Tiranë"]),
         "dora": ("donor", [])}
ENDED = t("signin.expired", "en")
REFUSED = t("access.session_ended", "en")


@pytest.fixture
def users_db(app_db, quick_hashes):
    for name, (role, municipalities) in USERS.items():
        accounts.add(Database(app_db), name, role, municipalities, PASSWORD, access.cli_viewer())
    return app_db


@pytest.fixture
def deferred(monkeypatch) -> dict[str, object]:
    """The data callables the page runs hand to Streamlit's deferred downloads, by file name (the
    real MediaFileManager keeps them; this only notes them, as the browser's click would find them)."""
    found: dict[str, object] = {}
    register = MediaFileManager.add_deferred

    def noted(self, data_callable, mimetype, coordinates, file_name=None, **options):
        found[file_name or coordinates] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name, **options)

    monkeypatch.setattr(MediaFileManager, "add_deferred", noted)
    return found


def signed_in(db, name: str, page: str, deferred: dict | None = None, query: dict | None = None) -> AppTest:
    """The app on page as NAME sees it after signing in (the link's query, if any); deferred then holds
    that page's downloads."""
    token = accounts.sign_in(Database(db), name, PASSWORD, "127.0.0.1")
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
    at.session_state[TOKEN_KEY] = token
    at.query_params.update({"lang": "en", **(query or {})})
    at.run()
    if deferred is not None:
        deferred.clear()
    at.switch_page(PAGE_FILES[page]).run()
    assert_clean(at)
    return at


def report_xlsx(deferred: dict):
    [name] = [n for n in deferred if n.startswith("pop_kpi_report") and n.endswith(".xlsx")]
    return deferred[name]


def _end(how: str, db, at: AppTest) -> None:
    """What happens to the session of the user of `at` while the tab stays open."""
    token = at.session_state[TOKEN_KEY]
    hashed = accounts.token_hash(token)
    name = "koord"
    if how == "signed_out":  # in another tab, or with the sign-out route
        accounts.sign_out(Database(db), token, "127.0.0.1")
    elif how == "removed":
        accounts.remove(Database(db), name, access.cli_viewer())
    elif how == "password_changed":
        accounts.change_password(Database(db), name, "another long passphrase", access.cli_viewer())
    elif how == "idle":
        accounts._last_seen[hashed] = dt.datetime.now() - dt.timedelta(minutes=settings.IDLE_MINUTES + 1)
    elif how == "past_a_working_day":
        with Database(db).writing() as con:
            con.execute("UPDATE sessions SET started_at = ? WHERE token_hash = ?",
                        [dt.datetime.now() - dt.timedelta(hours=settings.SESSION_MAX_HOURS, minutes=1), hashed])
    elif how == "role_changed":  # the same session, its user now a donor
        with Database(db).writing() as con:
            con.execute("UPDATE users SET role = 'donor' WHERE name = ?", [name])


@pytest.mark.parametrize(("how", "page_after"), [
    ("still_open", "reports"),
    ("signed_out", ENDED),
    ("removed", ENDED),
    ("idle", ENDED),
    ("past_a_working_day", ENDED),
    ("password_changed", ENDED),
    ("role_changed", "reports"),  # the session is open: the page shows what a donor sees
])
def test_a_report_download_checks_the_session_when_clicked(users_db, deferred, how, page_after):
    at = signed_in(users_db, "koord", "reports", deferred)
    report = report_xlsx(deferred)
    _end(how, users_db, at)
    if how == "still_open":
        assert report()[:2] == b"PK"
    else:
        with pytest.raises(AccessDenied) as refused:
            report()
        assert refused.value.message("en") == REFUSED
    at.run()
    assert_clean(at)
    if page_after == ENDED:
        assert not at.metric and not at.dataframe and not at.get("download_button")
        assert [i.value for i in at.info] == [ENDED]
    else:
        assert at.title[0].value == t("page.reports.title", "en")


def test_every_download_of_a_page_is_refused_once_its_user_is_removed(users_db, deferred):
    signed_in(users_db, "koord", "participation", deferred, {"tab": t("participation.tab.type", "en")})
    names = sorted(deferred)
    assert {n.rsplit(".", 1)[1] for n in names} == {"png", "csv", "xlsx"}  # a chart and its table
    accounts.remove(Database(users_db), "koord", access.cli_viewer())
    for name in names:
        with pytest.raises(AccessDenied):
            deferred[name]()


@pytest.mark.parametrize("view", ["local", "public"])
def test_local_mode_and_the_public_view_download_as_before(app_db, deferred, monkeypatch, view):
    if view == "public":
        accounts.add(Database(app_db), "koord", "coordinator", [], PASSWORD, access.cli_viewer())
        monkeypatch.setattr(settings, "PUBLIC_DONOR_VIEW", True)
    at = open_app("reports", {"lang": "en"})
    assert_clean(at)
    assert report_xlsx(deferred)()[:2] == b"PK"


TIRANE_JUNE = [ACTIVITY_HEADER, ["15.06.2019", "Tirana", "Fokus grup", 3, 40, 25, 15, "Uji i pijshëm"]]


def _submitted(db) -> int:
    partner = Viewer(name="arta", role="partner", municipalities=("Tiranë",), how="cli")
    return importing.import_bytes(Database(db), xlsx(TIRANE_JUNE), "tirane_qershor_2019.xlsx", by=partner).import_id


def _users(db) -> dict[str, str | None]:
    with Database(db).reading() as con:
        return {r.name: str(r.password_changed_at) for r in store.users(con).itertuples()}


def _imports(db) -> list:
    with Database(db).reading() as con:
        return con.execute("SELECT id, state, review FROM imports ORDER BY id").fetchall()


def _add(at: AppTest) -> None:
    at.text_input(key="new_user_name").set_value("besa")
    at.text_input(key="new_user_password").set_value("besa's own passphrase")
    at.button[[b.label for b in at.button].index(t("users.add", "en"))].click()


def _password(at: AppTest) -> None:
    at.selectbox(key="password_user").set_value("dora")
    at.text_input(key="password_new").set_value("dora's new passphrase")
    at.button[[b.label for b in at.button].index(t("users.set_password", "en"))].click()


def _remove(at: AppTest) -> None:
    at.selectbox(key="remove_user").set_value("dora")
    at.button[[b.label for b in at.button].index(t("users.remove", "en"))].click()


def _approve(at: AppTest) -> None:
    at.button(key="review_approve").click()


def _reject(at: AppTest) -> None:
    at.text_input(key="review_comment_6").set_value("Participants: 40 is the whole month.")
    at.button(key="review_reject").click()


@pytest.mark.parametrize(("page", "act"), [("users", _add), ("users", _password), ("users", _remove),
                                           ("history", _approve), ("history", _reject)])
def test_an_action_after_the_session_ended_does_nothing_and_the_page_says_why(users_db, page, act):
    assert _submitted(users_db) == 6
    before = (_users(users_db), _imports(users_db))
    at = signed_in(users_db, "koord", page)
    accounts.remove(Database(users_db), "koord", access.cli_viewer())
    before = ({k: v for k, v in before[0].items() if k != "koord"}, before[1])
    act(at)
    at.run()
    assert_clean(at)
    assert (_users(users_db), _imports(users_db)) == before
    assert [i.value for i in at.info] == [ENDED]


@pytest.mark.parametrize(("name", "municipalities", "text_key"), [
    ("dora", None, "reports.open_data.network"),
    ("koord", None, "reports.open_data.network"),  # a coordinator's package holds no submitted data either
    ("arta", {"Tiranë"}, "reports.open_data.partner"),
])
def test_the_reports_page_offers_the_open_data_package_of_what_donors_see_within_the_readers_municipalities(
        users_db, deferred, name, municipalities, text_key):
    _submitted(users_db)  # Tiranë, June 2019: in no package until approved
    at = signed_in(users_db, name, "reports", deferred)
    assert t(text_key, "en") in [m.value for m in at.markdown]
    archive = zipfile.ZipFile(io.BytesIO(deferred["pop-network-monitoring.zip"]()))
    activities = pd.read_csv(io.BytesIO(archive.read("pop-network-monitoring/activities_by_month.csv")))
    with Database(users_db).reading(sight=published(Sight(municipalities=None if municipalities is None
                                                           else tuple(municipalities)))) as con:
        expected = open_data.build(con).files()
    assert {n.removeprefix("pop-network-monitoring/"): archive.read(n) for n in archive.namelist()} == expected
    if municipalities is None:
        assert len(set(activities["municipality"])) == 12  # every municipality of the demo with activities
    else:
        assert set(activities["municipality"]) == municipalities
    assert activities[(activities["municipality"] == "Tiranë") & (activities["year"] == 2019)
                      & (activities["month"] == 6)].empty
