"""Albanian pages without Streamlit's English (issue 19, item 9), and the Upload page taking every
file the importer reads (item 4): `streamlit run serve.py` on a demo database of its own (no users:
local mode, a coordinator's every page), Debian's Chromium driven through Playwright, at 1440 and
390 px.

Streamlit's frontend writes its own words in English only: the multiselect's "Select all" and "No
results", a text input's "Press Enter to apply", the uploader's "5.7KB" and its errors, labels read
aloud ("Help for …", "Collapse sidebar"), the table and chart toolbars ("Download as CSV", "Show
data", "Copy Vega-Lite spec", "Fullscreen") and the main menu ("Print", "Record screen"). Each is
looked for in what the page shows, its tooltips and its labels (aria-label, title, placeholder),
after the widgets that bring them out were opened, typed into and given a file
(browser_support.english). Every page's own words, its toolbars hovered, are checked with the page
itself in test_browser_views.py (test_the_page_reads_whole_in_its_language_…).

One server, one browser, one page per width, shared by every check of that width.
"""
from __future__ import annotations

import os
import re

import browser_support
import pytest
from browser_support import english, start_streamlit, stop
from hostile_files import old_xls
from playwright.sync_api import Page

from pop_analytics import demo, present, settings, store
from pop_analytics.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
VIEWPORTS = {1440: {"width": 1440, "height": 900}, 390: {"width": 390, "height": 844}}

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("language")
    db = folder / "pop.duckdb"
    con = store.connect(db)
    assert {r.status for r in demo.load(con)} == {"imported"}
    con.close()
    process, url = start_streamlit({**os.environ, "POP_DB": str(db)}, folder / "streamlit.log")
    try:
        yield url, folder
    finally:
        stop(process)


@pytest.fixture(scope="module")
def pages(server, browser):
    """One page per width, for every check of that width."""
    made = {}
    for width, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport, is_mobile=width < 600, has_touch=width < 600,
                                      locale="sq-AL", timezone_id="Europe/Tirane")
        context.set_default_timeout(TIMEOUT_MS)
        made[width] = context.new_page()
    yield made
    for page in made.values():
        page.context.close()


def rendered(page: Page) -> None:
    browser_support.rendered(page, TIMEOUT_MS)  # settled: the translator's observer has run


def open_page(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/{name}?lang=sq")
    rendered(page)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_a_multiselects_list_and_a_text_inputs_hint_are_in_albanian(server, pages, width):
    url, _ = server
    page = pages[width]
    open_page(page, url, "users")  # the municipalities a partner is bound to: enough of them for 'Select all'
    chooser = page.locator('[data-testid="stMultiSelect"]').first
    select_all = page.get_by_text(t("streamlit.select_all", "sq"), exact=True)
    browser_support.open_list(page, chooser, select_all, TIMEOUT_MS)
    assert english(page) == []
    page.keyboard.type("zzzq")
    page.get_by_text(t("streamlit.no_results", "sq"), exact=True).wait_for()
    assert english(page) == []
    page.keyboard.press("Escape")
    open_page(page, url, "audit")
    search = page.locator('[data-testid="stTextInput"] input').first
    search.click()
    search.type("Durr")
    page.get_by_text(t("streamlit.enter_apply", "sq"), exact=True).wait_for()
    assert english(page) == []
    search.press("Enter")
    rendered(page)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_upload_page_takes_an_xls_and_says_its_size_and_errors_in_albanian(server, pages, width):
    url, folder = server
    page = pages[width]
    open_page(page, url, "upload")
    dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    dropzone.set_input_files(str(old_xls(folder)))
    rendered(page)
    valid = t("upload.valid", "sq", file="old.xls", rows=present.rows_phrase(1, "sq"), kind=t("kind.activities", "sq"))
    page.get_by_text(valid).wait_for()
    shown = page.locator('[data-testid="stFileUploader"]').first.inner_text()
    assert re.search(r"\b\d+(,\d)? KB\b", shown), shown  # '5,5 KB', not '5.5KB'
    assert english(page) == []
    too_large = folder / f"{width}" / "i_madh.csv"  # the browser reads it from disk: no 21 MB sent through Playwright
    too_large.parent.mkdir(exist_ok=True)
    with open(too_large, "wb") as file:
        file.truncate(settings.MAX_UPLOAD_BYTES + 1024 * 1024)
    dropzone.set_input_files(str(too_large))
    limit = present.number(settings.MAX_UPLOAD_BYTES / 2**20, "sq", 1)
    refused = t("streamlit.file_too_large", "sq", number=limit, unit="MB")
    alert = page.locator('[data-testid="stFileUploader"] [role="alert"]').filter(has_text=refused)
    alert.wait_for()
    assert alert.inner_text().strip() == f"{t('streamlit.error', 'sq')} {refused}"
    assert english(page) == []
