"""Sign-in in a real browser (`streamlit run serve.py`, Debian's Chromium): a coordinator, a partner
and a donor each sign in through the form, see exactly the pages their role may open, cannot reach
the others by typing their address, stay signed in across a page refresh, and sign out. Pages a
role may open are reached through the sidebar's links (each typed address is a fresh load)."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from browser_support import demo_database, serving, visit
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pop_analytics import store
from pop_analytics.database import Database
from pop_analytics.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
PASSWORD = "a long enough passphrase"
USERS = {"koord": ("coordinator", []), "arta": ("partner", ["Tiranë"]), "dora": ("donor", [])}
PAGES = ("overview", "tracker", "priority", "participation", "municipality", "targets", "reports", "reporting",
         "quality", "upload", "history", "users", "audit")
# A donor is offered the Reporting page only once a coordinator shares the rates (test_browser_calendar.py).
REACHABLE = {
    "coordinator": set(PAGES),
    "partner": {"overview", "tracker", "priority", "participation", "municipality", "targets", "reports", "reporting",
                "quality", "upload", "history"},
    "donor": {"overview", "tracker", "priority", "participation", "municipality", "targets", "reports", "quality"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = demo_database(tmp_path_factory.mktemp("roles"), USERS, PASSWORD)
    with serving(db) as process:
        yield SimpleNamespace(url=process.url, db=db)


@pytest.fixture
def page(browser):
    """A browser of its own per test: no cookie carries over from another user."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def settled(page: Page) -> None:
    """The script has run and the page has its title."""
    try:
        page.wait_for_function("""() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.dataset.testScriptState === 'notRunning'
                && app.dataset.testConnectionState === 'CONNECTED'
                && document.querySelector('[data-testid="stMain"] h1') !== null;
        }""", timeout=TIMEOUT_MS, polling=100)
    except PlaywrightTimeout:
        pytest.fail(f"{page.url} did not finish rendering")
    assert page.locator('[data-testid="stException"]').count() == 0


def title(page: Page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.inner_text().strip()


def sign_in(page: Page, server, name: str, password: str = PASSWORD, path: str = "/overview?lang=en") -> None:
    page.goto(server.url + path)
    expect(page).to_have_url(re.compile(r"/signin\?"))
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")


def listed_pages(page: Page) -> set[str]:
    """The pages the sidebar offers, by their English titles."""
    titles = {t(f"page.{name}.title", "en"): name for name in PAGES}
    labels = [label.get_attribute("label") or "" for label in
              page.locator('[data-testid="stSidebarNavLink"] span[label]').all()]
    assert set(labels) <= set(titles), labels
    return {titles[label] for label in labels}


@pytest.mark.parametrize("name", list(USERS))
def test_each_role_signs_in_and_reaches_exactly_its_pages_even_after_a_refresh(page, server, name):
    role = USERS[name][0]
    sign_in(page, server, name)
    expect(page).to_have_url(re.compile(r"/overview\?lang=en"))
    settled(page)
    assert title(page) == t("page.overview.title", "en")
    assert listed_pages(page) == REACHABLE[role]
    places = "Tiranë" if role == "partner" else "all municipalities"
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(
        f"Signed in as {name} ({t(f'role.{role}', 'en')}) · {places}")

    for target in PAGES:  # each page offered, through its link; each other one typed into the address bar
        if target in REACHABLE[role]:
            visit(page, target, TIMEOUT_MS)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert title(page) == t(f"page.{target}.title", "en"), target
        else:  # Streamlit does not serve a page the router did not offer: the reader lands on the overview
            page.goto(f"{server.url}/{target}?lang=en")
            settled(page)
            assert title(page) != t(f"page.{target}.title", "en"), target
            assert title(page) == t("page.overview.title", "en"), target

    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=t("account.link", "en")).click()
    expect(page).to_have_url(re.compile(r"/account\?"))
    settled(page)
    assert title(page) == t("page.account.title", "en")  # every role's own account, from beside their name

    page.goto(f"{server.url}/tracker?lang=en")
    settled(page)
    page.reload()
    settled(page)
    assert title(page) == t("page.tracker.title", "en")
    assert listed_pages(page) == REACHABLE[role]


def test_a_partner_sees_only_its_municipality(page, server):
    sign_in(page, server, "arta", path="/municipality?lang=en")
    settled(page)
    choice = page.locator(".st-key-profile_municipality")
    expect(choice.get_by_role("combobox")).to_have_value("Tiranë")
    choice.get_by_role("combobox").click()
    page.locator('[role="option"]').first.wait_for()  # the list is open
    options = page.locator('[role="option"]').all_inner_texts()
    assert [o.strip() for o in options] == ["Tiranë"]


def test_a_wrong_password_is_refused_and_signing_out_ends_the_session(page, server):
    sign_in(page, server, "koord", password="not the password")
    expect(page.locator(".error")).to_have_text(t("signin.wrong", "en"))
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/overview\?lang=en"))
    settled(page)
    page.locator(".st-key-sign_out button").click()
    expect(page).to_have_url(re.compile(r"/signin\?"))
    expect(page.locator(".note")).to_have_text(t("signin.signed_out", "en"))
    page.goto(f"{server.url}/overview?lang=en")
    expect(page).to_have_url(re.compile(r"/signin\?"))
    with Database(server.db).reading() as con:
        actions = [a for a in store.audit_rows(con)["action"] if a.startswith("sign")]
    assert actions[:3] == ["signout", "signin", "signin_failed"]  # newest first


def test_the_sign_in_form_is_in_albanian_by_default_and_fits_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="sq-AL")
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        expect(page).to_have_url(re.compile(r"/signin\?"))
        expect(page.locator("h1")).to_have_text(t("signin.title", "sq"))
        expect(page.locator("button[type=submit]")).to_have_text(t("signin.submit", "sq"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
