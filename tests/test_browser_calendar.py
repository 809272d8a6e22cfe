"""The calendar in a real browser (`streamlit run serve.py`, Debian's Chromium): the Reporting page and
the bell for a coordinator and a partner in both languages at 1440 and 390 px; each link of an e-mail
opens the view it names; marking a notification read lowers the count; a donor is offered the page
only once a coordinator shares the rates, and then sees the rates alone.

What the bell should hold is worked out in process (notices.for_viewer) for the day the test runs:
the demo's reports all arrived the day the demo was loaded, so some period is always overdue."""
from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import demo_database, rendered, serving
from playwright.sync_api import Page, expect

from pop_analytics import access, mail, notices, reporting, store
from pop_analytics.database import Database
from pop_analytics.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
PASSWORD = "a long enough passphrase"
USERS = {"koord": ("coordinator", []), "arta": ("partner", ["Tiranë"]), "dora": ("donor", [])}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = demo_database(tmp_path_factory.mktemp("calendar"), USERS, PASSWORD)
    with serving(db) as process:
        yield SimpleNamespace(url=process.url, db=db)


@pytest.fixture
def opened(browser):
    """A browser of its own at a width (no cookie carries over from another user)."""
    contexts = []

    def make(width: int) -> Page:
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()
    yield make
    for context in contexts:
        context.close()


def settled(page: Page) -> None:
    """The script has run, every chart and table is drawn, and nothing failed."""
    rendered(page, TIMEOUT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0


def sign_in(page: Page, server, name: str, path: str) -> None:
    page.goto(server.url + path)
    expect(page).to_have_url(re.compile(r"/signin\?"))
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(path.split("?")[0])))
    settled(page)


def title(page: Page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.inner_text().strip()


def told(db, name: str) -> list[notices.Notice]:
    """What name should be told now, newest first."""
    with Database(db).reading() as con:
        viewer = access.user_viewer(store.user(con, name))  # type: ignore[arg-type]
        return notices.for_viewer(notices.gather(con, dt.date.today()), viewer)


def unread(db, name: str) -> list[notices.Notice]:
    """What name's bell counts now: their notices, not yet marked read."""
    with Database(db).reading() as con:
        done = notices.read_keys(con, name)
    return [n for n in told(db, name) if n.key not in done]


def bell(page: Page):
    return page.locator(".st-key-bell button").first


def bell_label(count: int, lang: str) -> str:
    return t("bell.label", lang, count=count) if count else t("bell.none_label", lang)


@pytest.mark.parametrize(("name", "lang", "width"), [("koord", "en", 1440), ("koord", "sq", 390),
                                                     ("arta", "sq", 1440), ("arta", "en", 390)])
def test_the_reporting_page_and_the_bell_in_each_language_and_width(opened, server, name, lang, width):
    page = opened(width)
    sign_in(page, server, name, f"/reporting?lang={lang}")
    assert title(page) == t("page.reporting.title", lang)
    expect(page.locator('[data-testid="stMetricLabel"]')).to_have_text([t(f"kpi.{key}", lang) for key in (
        "reporting_rate", "reporting_on_time", "reports_expected", "reports_missing", "reports_waiting")])
    headings = [h.strip() for h in page.locator('[data-testid="stMain"] h3').all_inner_texts()]
    assert headings == [t(f"reporting.{key}", lang) for key in ("grid", "cells", "by_municipality", "by_period")]
    grid = page.locator('[data-testid="stDataFrame"]').first
    expect(grid).to_contain_text("Tiranë")
    if name == "arta":  # a partner's grid holds their municipality alone
        expect(grid).not_to_contain_text("Durrës")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    waiting = unread(server.db, name)
    assert waiting, "the demo always has a period overdue"
    expect(bell(page)).to_have_text(re.compile(re.escape(bell_label(len(waiting), lang))))
    bell(page).click()
    listed = page.locator('[data-testid="stPopoverBody"]')
    opening = listed.get_by_role("button", name=t("bell.open", lang))
    expect(opening).to_have_count(min(len(waiting), 15))
    shown = listed.inner_text().replace("\u2060", "")  # the word joiner escape() puts after a colon
    assert all(notices.render(notice, lang) in shown for notice in waiting[:15])
    opening.first.click()
    first = waiting[0]
    wanted = {key: [value] for key, value in first.query.items()}

    def named(url: str) -> bool:  # the view may be the page already open: wait for its address to change
        parts = urlsplit(url)
        shown = parse_qs(parts.query)
        return parts.path == f"/{first.page}" and all(shown.get(key) == value for key, value in wanted.items())
    page.wait_for_url(named)
    settled(page)
    assert title(page) == t(f"page.{first.page}.title", lang)


def test_marking_a_notification_read_lowers_the_count(opened, server):
    page = opened(1440)
    sign_in(page, server, "koord", "/overview?lang=en")
    before = unread(server.db, "koord")
    bell(page).click()
    page.locator('[data-testid="stPopoverBody"]').get_by_role(
        "button", name=t("bell.mark_read", "en")).first.click()
    expect(bell(page)).to_have_text(re.compile(re.escape(bell_label(len(before) - 1, "en"))))
    assert len(unread(server.db, "koord")) == len(before) - 1


@pytest.mark.parametrize(("name", "lang"), [("arta", "sq"), ("koord", "en"), ("dora", "en")])
def test_each_link_of_an_e_mail_opens_the_view_it_names(opened, server, name, lang):
    """The e-mail as notify composes it (links made of the server's address), each link opened by
    the signed-in reader."""
    items = told(server.db, name)
    assert items
    message = mail.compose(mail.Recipient(name, f"{name}@example.org", lang), items, "daily", 1, server.url,
                           "POP <pop@example.org>", "a key")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    links = re.findall(rf"^  ({re.escape(server.url)}/\S+)$", text, flags=re.MULTILINE)
    assert links == [server.url + n.link(lang) for n in items]
    page = opened(1440)
    sign_in(page, server, name, f"/overview?lang={lang}")
    for notice, link in zip(items, links, strict=True):
        page.goto(link)
        settled(page)
        assert title(page) == t(f"page.{notice.page}.title", lang), link
        # the link's filters stay in the address; a choice at its default leaves it (Streamlit's binding),
        # and the review the history page opens is taken from it
        shown = parse_qs(urlsplit(page.url).query)
        kept = {key: value for key, value in notice.query.items()
                if key != "review" and not (key == "kind" and value == reporting.KINDS[0])}
        assert all(shown.get(key) == [value] for key, value in kept.items()), (link, page.url)


def test_a_donor_sees_the_rates_only_once_a_coordinator_shares_them(opened, server):
    page = opened(1440)
    sign_in(page, server, "dora", "/overview?lang=en")
    link = page.locator('[data-testid="stSidebarNavLink"][href$="/reporting"]')
    assert link.count() == 0
    reporting.allow_donors(Database(server.db), access.cli_viewer(), True)
    try:
        page.goto(f"{server.url}/reporting?lang=en")
        settled(page)
        assert title(page) == t("page.reporting.title", "en")
        expect(page.locator('[data-testid="stMetricLabel"]')).to_have_text(
            [t(f"kpi.{key}", "en") for key in ("reporting_rate", "reporting_on_time", "reports_expected",
                                               "reports_missing")])
        headings = [h.strip() for h in page.locator('[data-testid="stMain"] h3').all_inner_texts()]
        assert headings == [t("reporting.by_period", "en")]  # the rates, never who sent which import
        expect(page.get_by_text(t("reporting.change", "en"))).to_have_count(0)
    finally:
        reporting.allow_donors(Database(server.db), access.cli_viewer(), False)
