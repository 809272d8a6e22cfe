"""The dashboard for each role (AppTest): which pages each may open, what a partner may upload, what
a donor sees before and after a coordinator approves a partner's import, the Users and Audit pages,
and sessions that end (idle, password changed, user removed, signed out)."""
from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
from conftest import QUICK
from dashboard_support import (
    ACTIVITY_HEADER,
    DASHBOARD,
    PAGE_FILES,
    TIMEOUT,
    assert_clean,
    frame_with_column,
    markdown_texts,
    metrics,
    xlsx,
)
from streamlit.testing.v1 import AppTest

from pop_analytics import access, accounts, api_tokens, approval, importing, present, queries, settings, store
from pop_analytics.access import Viewer
from pop_analytics.app import escape
from pop_analytics.database import Database
from pop_analytics.filters import Filters
from pop_analytics.i18n import t
from pop_analytics.scope import DONOR_SIGHT

PASSWORD = "a long enough passphrase"


def shown(markdown: str) -> str:
    """What a reader sees of a text whose values app.escape escaped."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")

USERS = {"koord": ("coordinator", []), "arta": ("partner", ["Tiranë"]), "dora": ("donor", [])}
EXPLORE = ["overview", "tracker", "priority", "participation", "municipality", "targets", "reports", "quality"]
# The Reporting page is a donor's only once a coordinator shares the rates.
REACHABLE = {"koord": [*EXPLORE, "reporting", "upload", "history", "users", "audit", "account"],
             "arta": [*EXPLORE, "reporting", "upload", "history", "account"], "dora": [*EXPLORE, "account"]}
# One Tiranë activity in June 2019, a month with one stored event of 21 participants.
TIRANE_JUNE = [ACTIVITY_HEADER, ["15.06.2019", "Tirana", "Fokus grup", 3, 40, 25, 15, "Uji i pijshëm"]]


@pytest.fixture(scope="module")
def users_reader_db(demo_db, tmp_path_factory):
    """USERS on a demo copy the app opens, shared by the module's tests that sign in and read: the
    queries one caches serve the next. Signing in writes sessions, never the data: the module ends by
    checking that no test changed the data (one that does takes users_db)."""
    path = tmp_path_factory.mktemp("roles_reader") / "demo.duckdb"
    shutil.copy(demo_db, path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", QUICK)
        for name, (role, municipalities) in USERS.items():
            accounts.add(Database(path), name, role, municipalities, PASSWORD, access.cli_viewer())
        before = data_version(path)
        patch.setenv("POP_DB", str(path))
        yield path
    assert data_version(path) == before, "a test given users_reader_db changed the data: give it users_db"


def data_version(path) -> str:
    with Database(path).snapshot() as snapshot:
        return snapshot.data_version


@pytest.fixture
def users_db(app_db, quick_hashes):
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
def test_each_role_is_offered_only_its_pages(users_reader_db, name):
    at = signed_in(users_reader_db, name)
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
def test_a_page_run_outside_the_router_refuses_a_role_it_is_not_for(users_reader_db, name, page):
    """A page's own first line refuses, whatever reached it: the page file run on its own, where no
    router has said who is here, shows the refusal and nothing of the page."""
    at = AppTest.from_file(str(DASHBOARD).replace("dashboard.py", PAGE_FILES[page]), default_timeout=TIMEOUT)
    at.run()
    assert [e.value for e in at.error] == [t("access.page", "sq", role="—")]
    assert not at.dataframe and not at.button and not at.file_uploader if hasattr(at, "file_uploader") else True


def test_nobody_signed_in_is_asked_to_sign_in_and_sees_no_data(users_reader_db):
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
def test_free_text_notes_are_shown_to_coordinators_and_partners_and_never_to_donors(users_reader_db, name, notes):
    at = signed_in(users_reader_db, name, "participation",
                   {"municipality": "Tiranë", "year": "2019", "tab": t("participation.tab.rows", "en")})
    assert_clean(at)
    rows = frame_with_column(at, "Partner organisation")  # the activity rows behind the charts
    assert ("Note" in rows.columns) is notes
    if notes:
        assert "Fushatë informimi në lagje" in list(rows["Note"])


# ── issue 19: the Users and Audit pages in the reader's words ──────────────────────────────────

@pytest.mark.parametrize("lang", ["en", "sq"])
def test_removing_a_user_chooses_nobody_first_and_asks_before_it_removes(users_db, lang):
    at = signed_in(users_db, "koord", "users", {"lang": lang})
    assert at.selectbox(key="remove_user").value is None  # never the coordinator signed in
    at.button(key="remove_user_open").click().run()
    assert [shown(e.value) for e in at.error] == [t("users.choose_first", lang)]
    at.selectbox(key="remove_user").set_value("dora")
    at.button(key="remove_user_open").click().run()
    assert_clean(at)
    assert [shown(m.value) for m in at.markdown if "dora" in m.value] == [
        t("users.confirm_text", lang, name="dora", role=t("role.donor", lang))]
    assert "dora" in set(accounts.listed(Database(users_db))["name"])  # asked, not yet removed
    at.button(key="remove_no").click().run()
    assert "dora" in set(accounts.listed(Database(users_db))["name"])
    at.selectbox(key="remove_user").set_value("dora")
    at.button(key="remove_user_open").click().run()
    at.button(key="remove_yes").click().run()
    assert_clean(at)
    assert [shown(s.value) for s in at.success] == [t("users.removed", lang, name="dora")]
    assert "dora" not in set(accounts.listed(Database(users_db))["name"])
    assert at.selectbox(key="remove_user").value is None


@pytest.mark.parametrize("lang", ["en", "sq"])
@pytest.mark.parametrize(("role", "municipalities", "key", "params"), [
    ("partner", [], "users.refused.partner_needs_municipality", {}),
    ("donor", ["Fier"], "users.refused.municipality_not_partner", {"role": "role.donor"})])
def test_the_users_page_says_what_to_fix_in_its_own_words_not_the_command_lines(users_reader_db, lang, role,
                                                                                 municipalities, key, params):
    at = signed_in(users_reader_db, "koord", "users", {"lang": lang})
    at.text_input(key="new_user_name").set_value("besa")
    at.selectbox(key="new_user_role").set_value(role)
    at.multiselect(key="new_user_municipalities").set_value(municipalities)
    at.text_input(key="new_user_password").set_value("besa's own passphrase")
    at.button[[b.label for b in at.button].index(t("users.add", lang))].click().run()
    said = [shown(e.value) for e in at.error]
    assert said == [t(key, lang, field=t("users.municipalities", lang), **{k: t(v, lang) for k, v in params.items()})]
    assert "--" not in said[0]


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_the_audit_log_says_each_entrys_details_in_the_readers_language(users_db, lang):
    with Database(users_db).writing() as con:
        store.record(con, "koord", None, "user_add", "vesa", {"role": "donor", "municipalities": [], "team": "NED"})
    at = signed_in(users_db, "koord", "audit", {"lang": lang})
    assert_clean(at)
    log = frame_with_column(at, t("col.detail", lang))
    details = dict(zip(log[t("col.target", lang)], log[t("col.detail", lang)]))
    assert details["arta"] == t("audit_detail.user_add", lang, role=t("role.partner", lang), municipalities="Tiranë")
    assert details["vesa"] == (t("audit_detail.user_add", lang, role=t("role.donor", lang),
                                 municipalities=t("account.all_municipalities", lang)) + " · team: NED")
    rows = t("count.rows.other", lang, n="298")
    assert details["1"] == t("audit_detail.import", lang, file="aktivitetet.csv", rows=rows,
                             kind=t("kind.activities", lang), review=t("audit_detail.review.approved", lang))
    assert not [d for d in log[t("col.detail", lang)] if d and "{" in d]


@pytest.mark.parametrize("lang", ["en", "sq"])
@pytest.mark.parametrize(("name", "page"), [("dora", "upload"), ("dora", "users"), ("arta", "audit")])
def test_a_page_typed_into_the_address_bar_that_the_role_may_not_open_says_so_on_the_overview(users_reader_db, lang,
                                                                                                name, page):
    from streamlit.util import calc_hash
    at = signed_in(users_reader_db, name, query={"lang": lang})
    at._page_hash = calc_hash(page)  # what the browser asks for at /<page>: AppTest switches only to listed files
    at.run()
    assert_clean(at)
    assert at.title[0].value == t("page.overview.title", lang)
    role = t(f"role.{USERS[name][0]}", lang)
    assert [w.value for w in at.warning] == [t("access.page_not_for_role", lang, page=t(f"page.{page}.title", lang),
                                               role=role)]
    at.switch_page(PAGE_FILES["tracker"]).run()  # said once, where it forwarded to
    assert_clean(at)
    assert not at.warning


# ── issue 19, item 7: a partner's view says whose it is, and is set against the approved network ──

OTHER_MUNICIPALITIES = sorted({"Durrës", "Shkodër", "Kukës", "Pukë", "Vlorë", "Fier", "Kamëz", "Pogradec", "Elbasan",
                               "Korçë", "Vau i Dejës"})


@pytest.mark.parametrize("lang", ["en", "sq"])
@pytest.mark.parametrize("page", ["overview", "tracker", "participation"])
def test_a_partners_view_says_your_municipalities_never_all(users_reader_db, lang, page):
    at = signed_in(users_reader_db, "arta", page, {"lang": lang})
    assert_clean(at)
    showing = [shown(m.value) for m in at.markdown if t("common.showing", lang) in m.value]
    assert showing == [f":material/filter_alt: **{t('common.showing', lang)}** "
                       + present.filters_text(Filters(), lang, ("Tiranë",))]
    assert showing[0].split("** ")[1].startswith(t("common.your_municipalities", lang, names="Tiranë"))
    assert t("common.all_municipalities", lang) not in showing[0]
    assert at.multiselect(key="filter_municipality").placeholder == t("filter.your_municipalities", lang,
                                                                       names="Tiranë")


def test_a_partners_profile_is_set_against_the_approved_network_and_shows_no_row_of_another_municipality(users_db):
    """Arta (Tiranë) submits a file: her own figures count it, the network's are every municipality's
    approved rows (what donors see), and no table on her profile holds another municipality's row."""
    partner = Viewer(name="arta", role="partner", municipalities=("Tiranë",), how="cli")
    importing.import_bytes(Database(users_db), xlsx(TIRANE_JUNE), "tirane_qershor_2019.xlsx", by=partner)
    with Database(users_db).reading(sight=DONOR_SIGHT) as con:
        network = queries.network_benchmark(con, Filters())
        expected = queries.profile(con, Filters(), "Tiranë", benchmark=network)
    at = signed_in(users_db, "arta", "municipality")
    assert_clean(at)
    comparison = frame_with_column(at, t("profile.network_average", "en"))
    cycles = [c["cycle"] for c in expected["cycles"]]
    assert comparison[t("profile.network_average", "en")].tolist() == [
        *(present.percent(c["network_pct"], "en") for c in expected["cycles"]),
        present.number(network["average"]["events"], "en", 1),
        present.number(network["average"]["participants"], "en", 1),
        present.percent(network["average"]["women_pct"], "en")]
    differences = comparison[t("col.difference", "en")].tolist()
    assert len(cycles) == 2 and not [d for d in differences if d.startswith("±")]  # never Tiranë against itself
    assert t("profile.network_note", "en", count=12) in [c.value for c in at.caption]
    assert t("profile.network_approved", "en") in [c.value for c in at.caption]
    for table in at.dataframe:
        cells = {str(v) for v in table.value.astype(str).to_numpy().ravel()} | set(map(str, table.value.columns))
        assert not cells & set(OTHER_MUNICIPALITIES), table.value.columns.tolist()
    assert not [text for text in markdown_texts(at) if any(name in text for name in OTHER_MUNICIPALITIES)]


def test_the_network_aggregates_hold_no_municipality(users_reader_db):
    """What app.network counts over rows its reader may not see: numbers, never a name or a row."""
    from pop_analytics.app.data import NETWORK_AGGREGATES
    assert {queries.network_benchmark, queries.network_trend} == NETWORK_AGGREGATES
    with Database(users_reader_db).reading(sight=DONOR_SIGHT) as con:
        benchmark = queries.network_benchmark(con, Filters())
        trend = queries.network_trend(con, Filters(municipality=("Tiranë",)))

    def leaves(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield key
                yield from leaves(inner)
        else:
            yield value
    assert not [v for v in leaves(benchmark) if isinstance(v, str) and v not in ("2019-2023", "2023-2027")
                and v not in ("average", "events", "participants", "women_pct", "municipalities", "cycles", "mean")]
    assert list(trend.columns) == ["cycle", "year", "addressed_pct", "total"]
    assert trend["total"].sum() > 12 * 12  # the whole network's priorities, not Tiranë's


# ── issue 19, item 8: a rejection's comment is shown to the partner in full until read ─────────

LONG_COMMENT = ("Participants: 40 is the whole month, not one event. Split the rows by date and send the file "
                "again, one row per focus group, with women and men for each.")


# A comment is typed text: Markdown in it (a link, bold, an image) is shown as typed, never rendered.
MARKDOWN_COMMENT = "See [the rules](http://evil.example/x) **now** ![i](http://evil.example/i.png) <b>x</b>"


@pytest.mark.parametrize(("lang", "comment"), [("en", LONG_COMMENT), ("sq", LONG_COMMENT), ("en", MARKDOWN_COMMENT)])
def test_a_rejection_comment_shows_on_the_partners_upload_and_overview_until_read(users_db, lang, comment):
    partner = Viewer(name="arta", role="partner", municipalities=("Tiranë",), how="cli")
    report = importing.import_bytes(Database(users_db), xlsx(TIRANE_JUNE), "tirane_qershor_2019.xlsx", by=partner)
    approval.reject(Database(users_db), report.import_id, access.cli_viewer(), comment)
    note = t("rejection.note", lang, import_id=6, file="tirane_qershor_2019.xlsx", who=access.cli_viewer().name,
             comment=comment)
    for page in ("upload", "overview", "history"):
        at = signed_in(users_db, "arta", page, {"lang": lang})
        assert_clean(at)
        notes = [m.value for m in at.markdown if "#6" in m.value]
        assert [shown(value) for value in notes] == [":material/block: " + note], page
        assert not [value for value in notes if "://" in value], page  # no live link
    coordinator = signed_in(users_db, "koord", "overview", {"lang": lang})
    assert not [m for m in coordinator.markdown if "#6" in m.value]  # the partner's to read, not the reviewer's

    at.button(key="rejection_read_6").click().run()
    assert_clean(at)
    with Database(users_db).reading() as con:
        assert store.unread_rejections(con, "arta").empty
    for page in ("upload", "overview", "history"):
        at = signed_in(users_db, "arta", page, {"lang": lang})
        assert not [m for m in at.markdown if "#6" in m.value], page


# ── issue 19, item 10: a coordinator's choice of approved data only is in the link ────────────

def test_a_coordinators_approved_only_view_is_in_the_link_and_a_link_opens_it(users_db):
    partner = Viewer(name="arta", role="partner", municipalities=("Tiranë",), how="cli")
    importing.import_bytes(Database(users_db), xlsx(TIRANE_JUNE), "tirane_qershor_2019.xlsx", by=partner)
    tirana_2019 = {"municipality": "Tiranë", "year": "2019"}
    at = signed_in(users_db, "koord", query=tirana_2019)
    assert "submitted" not in at.query_params
    at.toggle(key="include_submitted").set_value(False).run()
    assert at.query_params["submitted"] == "0"
    donors = {k: v for k, (v, _) in metrics(at).items()}
    assert (donors["Events"], donors["Participants"]) == ("4", "99")

    opened = signed_in(users_db, "koord", query={**tirana_2019, "submitted": "0"})  # the copied link
    assert_clean(opened)
    assert opened.toggle(key="include_submitted").value is False
    assert {k: v for k, (v, _) in metrics(opened).items()} == donors
    opened.toggle(key="include_submitted").set_value(True).run()
    assert "submitted" not in opened.query_params
    assert (metrics(opened)["Events"][0], metrics(opened)["Participants"][0]) == ("7", "139")


# ── the account page: a user's own API tokens ────────────────────────────────────────────────

@pytest.mark.parametrize("name", ["arta", "dora"])
def test_a_user_creates_an_api_token_sees_it_once_and_revokes_it_on_their_account_page(users_db, name):
    at = signed_in(users_db, name, "account")
    assert [m.value for m in at.markdown][0].startswith(f"Signed in as **{name}**")
    assert [i.value for i in at.info] == [t("account.no_tokens", "en")]
    at.text_input(key="token_label").input("the network's website")
    token_button(at).click().run()
    assert_clean(at)
    [shown] = [c.value for c in at.code]
    assert shown.startswith("pop_") and len(shown) > 40
    assert [s.value for s in at.success] == [t("account.created", "en", label="the network's website")]
    assert api_tokens.viewer_of(Database(users_db), shown, "127.0.0.1")[1].name == name  # it reads as its user
    at.run()
    assert not at.code  # shown once
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == ["the network's website"]
    at.selectbox(key="token_revoke").select_index(0)
    at.button(key="token_revoke_button").click().run()
    assert [s.value for s in at.success] == [t("account.revoked", "en", label="the network's website")]
    assert api_tokens.viewer_of(Database(users_db), shown, "127.0.0.1") is None
    with Database(users_db).reading() as con:
        assert [a for a in store.audit_rows(con)["action"] if a.startswith("token")][:2] == ["token_revoke",
                                                                                        "token_add"]


def token_button(at):
    """The token form's button (the page's e-mail form has one too)."""
    return next(b for b in at.button if b.label == t("account.create", "en"))


def test_an_empty_token_name_is_refused_with_a_sentence_and_nothing_is_stored(users_db):
    at = signed_in(users_db, "dora", "account")
    token_button(at).click().run()
    assert [e.value for e in at.error] == [escape(t("token.refused.label", "en", limit=80))]
    with Database(users_db).reading() as con:
        assert store.tokens(con).empty


def test_a_token_list_holds_only_the_users_own_tokens(users_db):
    koord = access.cli_viewer()
    api_tokens.create(Database(users_db), "koord", "coordinator's script", koord)
    api_tokens.create(Database(users_db), "arta", "partner's sheet", koord)
    at = signed_in(users_db, "arta", "account")
    assert list(at.dataframe[0].value.iloc[:, 0]) == ["partner's sheet"]
