"""The dashboard where someone decides about an import (AppTest, on a copy of the demo database):
the Upload page says which stored rows leave before anything is stored and offers to add the
file's rows instead; the coordinator's Overview links each import waiting for review; the review
block shows what the partner saw and what approving takes out of donors' view."""
from __future__ import annotations

import urllib.parse

import pytest
from dashboard_support import ACTIVITY_HEADER, assert_clean, frame_with_column, markdown_texts, metrics, xlsx
from test_app_roles import USERS, kpis_as, shown, signed_in

from pop_analytics import access, accounts, store
from pop_analytics.database import Database
from pop_analytics.i18n import t

# One late Tiranë activity for July 2019, a month the demo holds two rows for (import #1).
TIRANE_JULY = [ACTIVITY_HEADER, ["25.07.2019", "Tirana", "Fokus grup", 3, 40, 25, 15, "Uji i pijshëm"]]
TIRANE_2019 = {"municipality": "Tiranë", "year": "2019"}
JULY_LEAVES = {  # the demo's two July rows, as the upload page and the review say they leave
    "en": ("Tiranë, Jul 2019: 2 activity rows from import #1 (aktivitetet.csv): other (1 event, 21 participants); "
           "citizen workshop (3 events, 78 participants)"),
    "sq": ("Tiranë, 07.2019: 2 rreshta aktivitetesh nga importi #1 (aktivitetet.csv): Tjetër (1 aktivitet, "
           "21 pjesëmarrës); Workshop qytetar (3 aktivitete, 78 pjesëmarrës)"),
}


@pytest.fixture
def users_db(app_db, quick_hashes):
    for name, (role, municipalities) in USERS.items():
        accounts.add(Database(app_db), name, role, municipalities, "a long enough passphrase", access.cli_viewer())
    return app_db


def upload(db, lang: str = "en", mode: str | None = None):
    at = signed_in(db, "arta", "upload", {"lang": lang})
    at.file_uploader(key="upload_file").upload("tirane_korrik_2019.xlsx", xlsx(TIRANE_JULY)).run()
    assert_clean(at)
    if mode is not None:
        at.radio(key="upload_mode").set_value(mode).run()
    return at


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_the_upload_page_says_what_leaves_and_offers_to_add_instead(users_db, lang):
    at = upload(users_db, lang)
    choice = at.radio(key="upload_mode")
    assert (choice.value, choice.options) == ("replace", [t("upload.mode.replace", lang), t("upload.mode.add", lang)])
    assert "- " + JULY_LEAVES[lang] in [shown(m) for m in markdown_texts(at)]
    leaving = frame_with_column(at, t("col.id", lang))
    assert leaving[[t("col.id", lang), t("col.events", lang), t("col.participants", lang)]].values.tolist() == [
        [1, 1, 21], [1, 3, 78]]
    at.radio(key="upload_mode").set_value("add").run()
    texts = [shown(m) for m in markdown_texts(at)]
    assert "- " + JULY_LEAVES[lang] not in texts and "- " + t("upload.adds_only", lang) in texts


@pytest.mark.parametrize(("mode", "events", "participants"), [("replace", "3", "40"), ("add", "7", "139")])
def test_the_uploaders_choice_decides_what_donors_see_once_approved(users_db, mode, events, participants):
    at = upload(users_db, mode=mode)
    at.button(key="upload_confirm").click().run()
    assert_clean(at)
    with Database(users_db).reading() as con:
        assert con.execute("SELECT mode, review FROM imports WHERE id = 6").fetchone() == (mode, "submitted")
    history = signed_in(users_db, "koord", "history")
    history.button(key="review_approve").click().run()
    after = kpis_as(users_db, "dora", TIRANE_2019)
    assert (after["Events"], after["Participants"]) == (events, participants)


def test_the_coordinators_overview_links_each_import_waiting_for_review(users_db):
    upload(users_db).button(key="upload_confirm").click().run()
    overview = signed_in(users_db, "koord")
    assert t("review.awaiting.one", "en") in " ".join(shown(m) for m in markdown_texts(overview))
    [link] = review_links(overview)
    assert link.proto.page == "history"
    assert urllib.parse.parse_qs(link.proto.query_string) == {"review": ["6"], "lang": ["en"]}
    assert shown(link.proto.label) == "Review import #6 · tirane_korrik_2019.xlsx · arta"
    assert not review_links(signed_in(users_db, "dora"))  # a donor reviews nothing


def review_links(at) -> list:
    """The page's links to a review (not the reader's own account, nor the tracker's overdue priorities)."""
    return [link for link in at.get("page_link") if link.proto.page == "history"]


@pytest.mark.parametrize("mode", ["replace", "add"])
def test_the_review_shows_what_the_partner_saw_and_what_leaves_donors_view(users_db, mode):
    upload(users_db, mode=mode).button(key="upload_confirm").click().run()
    at = signed_in(users_db, "koord", "history", {"review": "6"})
    assert_clean(at)
    assert at.selectbox(key="review_choice").value == 6
    texts = [shown(m) for m in markdown_texts(at)]
    summary = ("Import #6 · tirane_korrik_2019.xlsx · from arta: 1 row of activities for Tiranë (Jul 2019). "
               + t(f"review.mode.{mode}", "en"))
    assert summary in texts
    totals = frame_with_column(at, "Activity type")
    assert totals.values.tolist()[0] == ["focus group", 3, 40, 25, 15, 1]
    assert t("review.warnings", "en", count=1) in [m.replace("*", "") for m in texts]
    assert ("- The sheet 'Aktivitetet' has no contract-cycle column; each row's cycle was taken from its date "
            "(elections of 14 May 2023 start the 2023-2027 cycle).") in texts
    if mode == store.REPLACE_MODE:
        assert "- " + JULY_LEAVES["en"] in texts
    else:
        assert t("review.leaves_none.add", "en") in texts
        assert "- " + JULY_LEAVES["en"] not in texts


def test_the_review_pages_through_a_long_import(users_db):
    rows = [ACTIVITY_HEADER, *[[f"{day:02d}.03.2024", "Tirana", "Fokus grup", 1, 10 + day, 5, 5, "Uji i pijshëm"]
                               for day in range(1, 31)]]
    at = signed_in(users_db, "arta", "upload")
    at.file_uploader(key="upload_file").upload("tirane_mars_2024.xlsx", xlsx(rows)).run()
    at.button(key="upload_confirm").click().run()
    history = signed_in(users_db, "koord", "history")
    pages = history.selectbox(key="review_page_6_activities")
    assert pages.options == ["Page 1 of 2", "Page 2 of 2"]
    first = frame_with_column(history, "Themes")
    assert (len(first), first["Participants"].iloc[0]) == (25, 11)
    pages.set_value(2).run()
    second = frame_with_column(history, "Themes")
    assert second["Participants"].tolist() == [36, 37, 38, 39, 40]
    assert metrics(history) == {}
