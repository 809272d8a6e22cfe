"""An open tab after its user was removed, in a real browser (`streamlit run serve.py`, Debian's
Chromium): the Reports page's download is checked again when clicked, so no file comes, and the
tab says that the session ended."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from browser_support import PENDING_JS, demo_database, serving
from playwright.sync_api import expect

from pop_analytics import access, accounts
from pop_analytics.database import Database
from pop_analytics.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
PASSWORD = "a long enough passphrase"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # two coordinators: the last one cannot be removed
    db = demo_database(tmp_path_factory.mktemp("sessions"), dict.fromkeys(("koord", "chief"), ("coordinator", [])),
                       PASSWORD)
    with serving(db) as process:
        yield SimpleNamespace(url=process.url, db=db)


def test_a_removed_coordinators_open_tab_downloads_nothing_and_says_the_session_ended(server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        downloads = []
        page.on("download", lambda download: downloads.append(download.suggested_filename))
        page.goto(server.url + "/reports?lang=en")
        page.fill("#name", "koord")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/reports\?lang=en"))
        page.wait_for_function(f"() => ({PENDING_JS})().length === 0", polling=100)
        button = page.locator(".st-key-report_xlsx button")
        expect(button).to_have_text(re.compile(re.escape(t("reports.download.xlsx", "en"))))

        accounts.remove(Database(server.db), "koord", access.cli_viewer())
        button.click()

        expect(page).to_have_url(re.compile(r"/signin\?.*expired=1"))
        expect(page.locator(".note")).to_have_text(t("signin.expired", "en"))
        page.wait_for_timeout(500)  # a file that was coming would have arrived by now
        assert downloads == []
    finally:
        context.close()
