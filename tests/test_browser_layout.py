"""Every page's main table shows the columns its reader needs on a 390 px phone, in Albanian and in
English, without scrolling sideways (issue 19, item 8): `streamlit run serve.py` on a demo database
with a partner's rejected import, Debian's Chromium at 390 px, a coordinator and a Durrës partner
each signed in through the form. One server and one browser for the module. On the way, the
tracker's table saved as CSV is named for the view's filters (issue 19, item 10).

The data grid is drawn on a canvas; its accessible table (browser_support.GRID_JS) lists exactly
the columns whose left edge lies within the grid's width, in order (glide-data-grid's visible
region, no more). So a needed column is wholly in view when it is listed and a column after it is
listed too, or when it is the last column of a grid that does not scroll sideways.
"""
from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from browser_support import PENDING_JS, demo_database, serving, visit
from dashboard_support import ACTIVITY_HEADER, xlsx
from playwright.sync_api import Page, expect

from pop_analytics import access, approval, importing
from pop_analytics.access import Viewer
from pop_analytics.database import Database
from pop_analytics.i18n import t

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}
PASSWORD = "a long enough passphrase"
PARTNER = "duro"
COMMENT = ("Participants: 40 is the whole month, not one event. Split the rows by date and send the file again, "
           "one row per focus group.")

# Per grid: its first column's heading, then whether each needed column is wholly in view (a column
# after it listed, or the last column of a grid that does not scroll), and what it lists.
LISTED_JS = """(first) => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
  .filter(grid => grid.checkVisibility())
  .map(grid => ({grid, table: grid.querySelector('table[role="grid"]'), scroller: grid.querySelector('.dvn-scroller')}))
  .filter(({table}) => table && table.querySelector('thead th')
                      && table.querySelector('thead th').innerText.trim() === first)
  .map(({table, scroller}) => ({
    listed: Array.from(table.querySelectorAll('thead th')).map(th => th.innerText.trim()),
    columns: Number(table.getAttribute('aria-colcount')),
    sideways: scroller.scrollWidth > scroller.clientWidth + 1}))"""


def heading(key: str, lang: str) -> str:
    """A column's heading: a catalogue key's text, or a heading as it is (a municipality's name)."""
    return t(key, lang) if "." in key else key


# What each reader needs of each page's main table, first: (page, tab to open, needed columns).
PRIORITY = ["col.title", "col.status"]
COMPARISON = ["col.indicator", "Durrës", "profile.network_average", "col.difference"]
NEEDED = {
    "coordinator": [  # the view with filters last: the filters stay with the pages after it
        ("municipality", None, COMPARISON),
        ("municipality", None, PRIORITY),
        ("targets", None, ["col.target_indicator", "col.target_value", "col.achieved", "col.reached_pct"]),
        ("participation", "participation.tab.municipality", ["col.municipality", "col.events", "col.participants"]),
        ("quality", None, ["col.indicator", "col.reported", "col.itemised", "col.difference"]),
        ("history", None, ["col.id", "col.import_status", "col.imported_by"]),
        ("tracker?municipality=Durrës&year=2024", None, PRIORITY),
    ],
    "partner": [
        ("tracker", None, PRIORITY),
        ("municipality", None, COMPARISON),
        ("municipality", None, PRIORITY),
        ("history", None, ["col.import_status", "col.reviewed_by", "col.review_comment"]),
    ],
}
USERS = {"coordinator": "koord", "partner": PARTNER}
# The tracker's table saved as CSV: its name says the view's filters (a partner's view is Durrës's).
CSV_NAMES = {"coordinator": "pop_priorities_2024_Durres_{lang}_{day}.csv",
             "partner": "pop_priorities_Durres_{lang}_{day}.csv"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = demo_database(tmp_path_factory.mktemp("layout"),
                       {"koord": ("coordinator", []), PARTNER: ("partner", ["Durrës"])}, PASSWORD)
    partner = Viewer(name=PARTNER, role="partner", municipalities=("Durrës",), how="cli")
    sheet = xlsx([ACTIVITY_HEADER, ["15.06.2024", "Durrës", "Fokus grup", 3, 40, 25, 15, "Uji i pijshëm"]])
    report = importing.import_bytes(Database(db), sheet, "durres_qershor_2024.xlsx", by=partner)
    approval.reject(Database(db), report.import_id, access.cli_viewer(), COMMENT)
    with serving(db) as process:
        yield SimpleNamespace(url=process.url)


def rendered(page: Page) -> None:
    page.wait_for_function(f"() => ({PENDING_JS})().length === 0", timeout=TIMEOUT_MS, polling=200)
    assert page.locator('[data-testid="stException"]').count() == 0


def cut_columns(page: Page, needed: list[str]) -> list[str]:
    """What is wrong with the grids whose first column is needed[0]: a needed column not wholly in view."""
    grids = page.evaluate(LISTED_JS, needed[0])
    if not grids:
        return [f"no table starts with {needed[0]!r}"]
    problems = []
    for grid in grids:
        listed, last = grid["listed"], grid["columns"] - 1
        for column in needed:
            position = listed.index(column) if column in listed else None
            whole = position is not None and (position < len(listed) - 1 or (position == last and not grid["sideways"]))
            if not whole:
                problems.append(f"{column!r} is not wholly in view; the grid shows {listed}")
    return problems


@pytest.mark.parametrize("lang", ["sq", "en"])
@pytest.mark.parametrize("role", ["coordinator", "partner"])
def test_every_main_table_shows_the_columns_its_reader_needs_on_a_phone(server, browser, role, lang):
    context = browser.new_context(viewport=PHONE, locale="sq-AL" if lang == "sq" else "en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/overview?lang={lang}")
        expect(page).to_have_url(re.compile(r"/signin\?"))
        page.fill("#name", USERS[role])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/overview\?"))
        problems = []
        for name, tab, needed in NEEDED[role]:
            if "?" in name:  # a view with filters: opened from its address
                page.goto(f"{server.url}/{name}&lang={lang}")
                rendered(page)
            elif urlsplit(page.url).path != f"/{name}":  # a page as it opens: through the sidebar's link
                visit(page, name, TIMEOUT_MS)
                rendered(page)
            if tab:  # a tab runs once chosen: its table comes with the rerun the click starts
                page.get_by_role("tab", name=t(tab, lang)).click()
                page.wait_for_function(f"(first) => ({LISTED_JS})(first).length > 0", arg=heading(needed[0], lang),
                                       timeout=TIMEOUT_MS)
                rendered(page)
            problems += [f"{name}: {p}" for p in cut_columns(page, [heading(key, lang) for key in needed])]
            if name.startswith("tracker"):
                with page.expect_download() as download:
                    page.locator(".st-key-csv_priorities button").click()
                saved_as = download.value.suggested_filename
        assert problems == []
        assert saved_as == CSV_NAMES[role].format(lang=lang, day=dt.date.today().isoformat())
    finally:
        context.close()
