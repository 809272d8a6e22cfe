"""Every view exactly shareable, readable on a phone, and in the reader's language end to end,
downloads included: `streamlit run serve.py` on a demo database of its own, Debian's Chromium
driven through Playwright.

* Every page, in Albanian and English, at 1440 px and 390 px wide: a full-page screenshot under
  tests/artifacts/views/, no exception, no KPI tile or status badge with its text cut short, no chart
  past the right edge, no sideways scrolling, no request leaving this machine; on an Albanian page,
  none of Streamlit's English words. One page per language and width goes from page to page through
  the sidebar.
* Downloads read back: the CSV and Excel files of the tables on Overview, Tracker, Participation and
  Data quality, headed in the page's language and written as that language writes numbers and dates
  (pop_analytics.formats), compared cell by cell with the database.
* Copied links: a view set through the widgets, opened from its URL in a new browser, shows the
  same main area and keeps its query.

One server and one browser for the module; one browser context per viewport width.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import browser_support
import duckdb
import openpyxl
import pandas as pd
import pytest
from browser_support import start_streamlit, stop
from PIL import Image
from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from pop_analytics import charts, demo, formats, kpis, present, queries, reference, store
from pop_analytics.app.roles import PAGES as APP_PAGES
from pop_analytics.database import Database
from pop_analytics.filters import Filters
from pop_analytics.i18n import t
from pop_analytics.scope import DONOR_SIGHT

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "artifacts" / "views"
TIMEOUT_MS = 30_000
MAX_SHOT_HEIGHT = 12_000
LANGS = ("en", "sq")
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {1440: DESKTOP, 390: PHONE}
PAGES = tuple(name for name, _, _ in APP_PAGES)  # every page of the router (local mode opens them all)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})


# Text cut short: an element of a KPI tile's label or value, or of a status badge, whose text is wider
# than its box (scrollWidth > clientWidth + 1). Inline elements have no box of their own (both 0).
CUT_JS = """() => [...document.querySelectorAll([
    '[data-testid="stMetricLabel"]', '[data-testid="stMetricLabel"] *',
    '[data-testid="stMetricValue"]', '[data-testid="stMetricValue"] *',
    '.stMarkdownBadge', '.stMarkdownBadge *', '[data-testid="stBadge"]', '[data-testid="stBadge"] *'].join(','))]
  .filter(e => e.getClientRects().length && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.closest('[data-testid="stMetric"]') ? 'tile' : 'badge'} '${e.textContent.trim()}'`
            + ` (${e.scrollWidth} px of text in ${e.clientWidth} px)`)"""

# A chart, or the canvas or SVG it is drawn on, whose right edge is past the viewport.
WIDE_CHARTS_JS = """() => [...document.querySelectorAll(
    '[data-testid="stVegaLiteChart"], [data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg')]
  .map(e => e.getBoundingClientRect())
  .filter(r => r.width > 0 && r.right > window.innerWidth + 1)
  .map(r => Math.round(r.right))"""

# How much wider than the viewport the document is, and the main area (Streamlit scrolls inside it).
OVERFLOW_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return {document: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          main: main ? main.scrollWidth - main.clientWidth : 0};
}"""

TALL_JS = """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stSidebarContent"]']
    .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight), window.innerHeight)"""


# ── the downloads: what each table holds, and how each column must be written ───────────────

COUNTS = frozenset({"year", "total", "fully", "partially", "not_addressed", "events", "participants", "women", "men",
                    "youth", "reported", "itemised", "difference", "rows"})
DATES = frozenset({"date", "date_from", "date_to"})
MONTHS = frozenset({"month"})


def kind_of(column: str) -> str:
    if column in COUNTS:
        return "count"
    if column.endswith("_pct"):
        return "decimal"
    if column in DATES:
        return "date"
    if column in MONTHS:
        return "month"
    return "text"


@dataclass(frozen=True)
class Table:
    """A table of a page with download buttons: its download name (csv_<name>, xlsx_<name>), the
    query behind it, the columns the page asks for, and what to open first to reach its buttons."""
    name: str
    query: Callable[[duckdb.DuckDBPyConnection, Filters], pd.DataFrame]
    columns: tuple[str, ...]
    opener: tuple[str, str] | None = None  # ("expander" | "tab", catalogue key)
    filters: Filters = field(default_factory=Filters)


DOWNLOADS = {
    "quality": (
        Table("reported_vs_itemised", queries.reported_vs_itemised,
              ("indicator", "reported", "itemised", "difference", "date_from", "date_to", "municipality", "type",
               "rows", "note", "source", "year")),
    ),
    "overview": (
        Table("addressed_by_year", queries.addressed_by_year,
              ("year", "cycle", "total", "fully", "partially", "not_addressed", "addressed_pct"),
              opener=("expander", "common.rows_behind_charts")),
        Table("participants_by_month", queries.activities_by_month, ("month", "events", "participants"),
              opener=("expander", "common.rows_behind_charts")),
    ),
    "participation": (
        Table("activities_by_municipality", queries.activities_by_municipality,
              ("municipality", "events", "participants", "women", "men", "women_pct"),
              opener=("tab", "participation.tab.municipality")),
        Table("activity_rows", queries.activity_rows,
              ("date", "municipality", "type", "events", "participants", "women", "men", "youth", "themes",
               "partner", "note", "link", "source"),
              opener=("tab", "participation.tab.rows")),
    ),
    "tracker": (
        Table("status_matrix", queries.status_matrix,
              ("cycle", "municipality", "theme", "total", "fully", "partially", "not_addressed", "addressed_pct",
               "progress_pct"),
              opener=("expander", "common.rows_behind")),
    ),
}
DOWNLOAD_CASES = [pytest.param(page, table, lang, id=f"{page}-{table.name}-{lang}")
                  for page, tables in DOWNLOADS.items() for table in tables for lang in LANGS]


# ── the server, the browser, one context per viewport ────────────────────────────────────────

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh demo database (no users: local mode, every page open); the rows each download must
    hold, read before the server takes the file; then the dashboard on a free port."""
    folder = tmp_path_factory.mktemp("views")
    db = folder / "pop.duckdb"
    con = store.connect(db)
    reports = demo.load(con)
    con.close()
    assert [r.status for r in reports] == ["imported"] * len(reports)

    con = store.connect(db, read_only=True)
    try:
        frames = {table.name: table.query(con, table.filters)
                  for tables in DOWNLOADS.values() for table in tables}
    finally:
        con.close()
    log = folder / "streamlit.log"
    process, url = start_streamlit({**os.environ, "POP_DB": str(db)}, log)
    try:
        yield SimpleNamespace(url=url, log=log, frames=frames, downloads=folder / "downloads", db=db)
    finally:
        stop(process)


def new_context(browser, width: int) -> BrowserContext:
    """A reader's browser at this width (a phone below 600 px), locale and time zone fixed."""
    context = browser.new_context(viewport=VIEWPORTS[width], is_mobile=width < 600, has_touch=width < 600,
                                  locale="en-GB", timezone_id="Europe/Tirane", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture(scope="module")
def contexts(browser):
    """One context per viewport width for the module, so Streamlit's scripts load from the cache."""
    made = {width: new_context(browser, width) for width in VIEWPORTS}
    yield made
    for context in made.values():
        context.close()


# ── what the page shows ──────────────────────────────────────────────────────────────────────

def rendered(page: Page) -> None:
    browser_support.rendered(page, TIMEOUT_MS)


def exceptions(page: Page) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()


def outside_requests(page: Page) -> list[str]:
    """Starts collecting every request to a host other than this machine (data: and blob: have none)."""
    outside: list[str] = []

    def seen(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            outside.append(request.url)

    page.on("request", seen)
    return outside


def server_questions(page: Page) -> list[tuple[str, int]]:
    """Starts collecting the path and status of every request the page's script makes to the
    server before its WebSocket opens (Streamlit's health and host-config)."""
    asked: list[tuple[str, int]] = []

    def answered(response) -> None:
        path = urlsplit(response.url).path
        if "/_stcore/" in path and not path.endswith("/_stcore/stream"):
            asked.append((path, response.status))

    page.on("response", answered)
    return asked


def full_screenshot(page: Page, path: Path) -> None:
    """The whole page: the window made as tall as the content first (Streamlit scrolls inside its
    main area), then put back."""
    viewport = page.viewport_size
    height = page.evaluate(TALL_JS)
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height) + 40, MAX_SHOT_HEIGHT)})
    rendered(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(viewport)
    rendered(page)  # the page goes on at its own size (Vega redraws its charts for it)


# The main area as a reader reads it: the text of every shown element in document order (hidden tabs,
# closed expanders and the like left out). A chart's text (title, axes, legend) counts as one line,
# sorted: Vega orders its SVG text by the order it drew things in, which differs after a rerun. A
# table (drawn on a canvas) counts as its size and the cells of its first two columns and ten rows:
# its accessible table holds only the cells in view, and a grid redrawn with new rows keeps the
# column widths it had, so further columns come and go with the history of the page.
MAIN_TEXT_JS = """() => {
  const out = [];
  const walk = node => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.replace(/\\s+/g, ' ').trim();
      if (text) out.push(text);
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE || node.matches('style, script, noscript, template')) return;
    const style = getComputedStyle(node);  // checkVisibility: also the inside of a closed expander
    if (style.display !== 'contents' && !node.checkVisibility({visibilityProperty: true})) return;
    if (node.matches('[data-testid="stVegaLiteChart"]')) {
      const texts = [...node.querySelectorAll('text')]
        .map(e => (e.querySelector('tspan') ? [...e.querySelectorAll('tspan')].map(s => s.textContent).join(' ')
                                            : e.textContent).trim())
        .filter(Boolean).sort();
      out.push('chart: ' + texts.join(' | '));
      return;
    }
    if (node.matches('[data-testid="stDataFrame"]')) {
      const grid = node.querySelector('table[role="grid"]');
      if (!grid) { out.push('table not drawn'); return; }
      const cells = [...grid.querySelectorAll('tr')].filter(tr => +tr.getAttribute('aria-rowindex') <= 11)
        .map(tr => [...tr.children].filter(c => +c.getAttribute('aria-colindex') <= 2)
                                   .map(c => c.innerText.trim()).join(' | '));
      const size = `${grid.getAttribute('aria-rowcount')}×${grid.getAttribute('aria-colcount')}`;
      out.push(`table ${size}: ${cells.join(' / ')}`);
      return;
    }
    node.childNodes.forEach(walk);
  };
  walk(document.querySelector('[data-testid="stMain"]'));
  return out;
}"""


def main_text(page: Page) -> list[str]:
    return page.evaluate(MAIN_TEXT_JS)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


# ── 1. every page, both languages, desktop and phone ─────────────────────────────────────────

# Reached from beside the signed-in reader's name, not the menu (this server is in local mode): by address.
NOT_IN_THE_MENU = frozenset({"account"})


@pytest.fixture(scope="module")
def readers(contexts, server):
    """One page per (language, width) for the checks of every page: the first check opens its page from
    its address, each next one goes to its page through the sidebar as a reader does."""
    opened: dict[tuple[str, int], tuple[Page, list[str]]] = {}

    def reader(name: str, lang: str, width: int) -> tuple[Page, list[str]]:
        """The page showing `name`, and the requests it made to hosts other than this machine since
        it was opened (every page's, so that a font or script one page asks for is not missed)."""
        if (lang, width) in opened:
            page, outside = opened[(lang, width)]
            page.bring_to_front()  # a tab behind another gets its timers slowed to one a second
            if name in NOT_IN_THE_MENU:
                page.goto(f"{server.url}/{name}?lang={lang}")
                rendered(page)
            else:
                browser_support.visit(page, name, TIMEOUT_MS)
        else:
            page = contexts[width].new_page()
            outside = outside_requests(page)
            opened[(lang, width)] = page, outside
            page.goto(f"{server.url}/{name}?lang={lang}")
            rendered(page)
        return page, outside

    yield reader
    for page, _ in opened.values():
        page.close()


@pytest.mark.parametrize("width", VIEWPORTS)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PAGES)
def test_the_page_reads_whole_in_its_language_without_cut_text_overflow_or_outside_requests(readers, name, lang,
                                                                                             width):
    """On an Albanian page also none of Streamlit's English (browser_support.english), with the
    pointer over the first table and chart so that their toolbars would show."""
    page, outside = readers(name, lang, width)
    found = {
        "exceptions": exceptions(page),
        "cut text": page.evaluate(CUT_JS),
        "charts past the right edge (px)": page.evaluate(WIDE_CHARTS_JS),
        "wider than the viewport by (px)": {k: v for k, v in page.evaluate(OVERFLOW_JS).items() if v > 0},
    }
    full_screenshot(page, SHOTS / f"{name}_{lang}_{width}.png")
    if lang != "en":
        browser_support.hover_toolbars(page)
        found["Streamlit's English"] = browser_support.english(page) + browser_support.shown_toolbars(page)
        found["the main menu"] = page.locator('[data-testid="stMainMenu"]').count()
        page.mouse.move(0, 0)  # no tooltip left over the next page
    found["requests leaving this machine"] = sorted(set(outside))
    assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == t(f"page.{name}.title", lang)
    assert {what: problems for what, problems in found.items() if problems} == {}


# ── 2. downloads read back ───────────────────────────────────────────────────────────────────

def open_section(page: Page, opener: tuple[str, str] | None, lang: str) -> None:
    if opener is None:
        return
    how, key = opener
    if how == "expander":
        expander = page.locator('[data-testid="stExpander"]').filter(has_text=t(key, lang)).first
        if expander.locator("details").get_attribute("open") is None:
            expander.locator("summary").click()
    else:
        chosen_tab(page, page.get_by_role("tab", name=t(key, lang)))
    rendered(page)


# A tab shown empty until its run arrives (a tab runs only once chosen: Participation): its panel holds
# an element once the rerun the click starts has drawn it.
TAB_FILLED_JS = """() => { const panel = [...document.querySelectorAll('[data-testid="stMain"] [role="tabpanel"]')]
    .find(p => p.checkVisibility());
  return !!panel && panel.querySelector('[data-testid="stElementContainer"]') !== null; }"""


def chosen_tab(page: Page, tab) -> None:
    tab.click()
    page.wait_for_function(TAB_FILLED_JS, timeout=TIMEOUT_MS, polling=50)


@pytest.fixture(scope="module")
def downloaded(contexts, server):
    """(page, lang) → table name → kind → the saved file, or the reason there is none. Each page is
    opened once per language, the first time a test asks for one of its downloads."""
    cache: dict[tuple[str, str], dict[str, dict[str, Path | str]]] = {}

    def get(name: str, lang: str) -> dict[str, dict[str, Path | str]]:
        if (name, lang) in cache:
            return cache[(name, lang)]
        files: dict[str, dict[str, Path | str]] = {}
        page = contexts[1440].new_page()
        try:
            page.goto(f"{server.url}/{name}?lang={lang}")
            rendered(page)
            for table in DOWNLOADS[name]:
                files[table.name] = {}
                try:
                    open_section(page, table.opener, lang)
                except (PlaywrightError, AssertionError) as problem:
                    files[table.name] = {kind: f"could not open {table.opener}: {problem}" for kind in ("csv", "xlsx")}
                    continue
                for kind in ("csv", "xlsx"):
                    button = page.locator(f".st-key-{kind}_{table.name} button")
                    # a click lands on the button of the run that drew it: never while another run is
                    # redrawing the page (the file behind a button belongs to its run)
                    rendered(page)
                    try:
                        with page.expect_download(timeout=TIMEOUT_MS) as started:
                            button.click(timeout=10_000)
                        download = started.value
                        target = server.downloads / f"{name}_{lang}" / f"{kind}_{download.suggested_filename}"
                        target.parent.mkdir(parents=True, exist_ok=True)
                        download.save_as(target)
                        files[table.name][kind] = target
                    except PlaywrightError as problem:
                        files[table.name][kind] = f"no {kind} download of {table.name}: {str(problem).splitlines()[0]}"
        finally:
            page.close()
        cache[(name, lang)] = files
        return files

    return get


def saved(downloaded, name: str, table: Table, lang: str, kind: str) -> Path:
    found = downloaded(name, lang)[table.name][kind]
    if isinstance(found, str):
        pytest.fail(found)
    return found


def headers(table: Table, lang: str) -> list[str]:
    """The header row: each column's catalogue name in the page's language."""
    return [t(f"col.{column}", lang) for column in table.columns]


def missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or \
        (not isinstance(value, (str, list, tuple)) and bool(pd.isna(value)))


def text_cells(frame: pd.DataFrame, table: Table, lang: str) -> pd.DataFrame:
    """Text columns as the page labels them (codes shown as words): the text a download holds."""
    return present.table(frame, lang, list(table.columns))


def csv_cell_problem(column: str, value: object, label: object, cell: str, lang: str) -> str | None:
    """Why a CSV cell is not value written as lang writes it (None: it is)."""
    kind, written = kind_of(column), formats.of(lang)
    if kind == "text":
        expected = "" if missing(label) else str(label)
        return None if cell == expected else f"{cell!r} ≠ {expected!r}"
    if missing(value):
        return None if cell == "" else f"{cell!r} for an empty {kind}"
    if kind == "count":
        expected = str(int(value))  # whole, no thousands separator, no '.0'
        return None if cell == expected else f"{cell!r} ≠ {expected!r}"
    if kind == "decimal":
        pattern = rf"-?\d+(?:{re.escape(written.decimal)}\d+)?"
        if not re.fullmatch(pattern, cell):
            return f"{cell!r} is not a number with a {written.decimal!r} decimal mark and no thousands separator"
        read = float(cell.replace(written.decimal, "."))
        return None if read == pytest.approx(float(value), abs=1e-9) else f"{cell!r} ≠ {value}"
    expected = formats.date(value, lang) if kind == "date" else formats.month(value, lang)
    return None if cell == expected else f"{cell!r} ≠ {expected!r}"


def xlsx_cell_problem(column: str, value: object, label: object, cell: object, lang: str) -> str | None:
    """Why an Excel cell is not value as a typed cell (numbers are numbers, dates are dates)."""
    kind = kind_of(column)
    if kind == "text":
        expected = None if missing(label) else str(label)
        return None if cell == expected or (expected == "" and cell is None) else f"{cell!r} ≠ {expected!r}"
    if missing(value):
        return None if cell is None else f"{cell!r} for an empty {kind}"
    if kind == "count":
        ok = type(cell) is int and cell == int(value)
        return None if ok else f"{cell!r} ({type(cell).__name__}) ≠ {int(value)} (int)"
    if kind == "decimal":
        ok = isinstance(cell, (int, float)) and not isinstance(cell, bool) and cell == pytest.approx(float(value))
        return None if ok else f"{cell!r} ({type(cell).__name__}) ≠ {value} (number)"
    expected_day = pd.Timestamp(value).to_pydatetime()
    if kind == "month":
        expected_day = expected_day.replace(day=1)
    ok = isinstance(cell, dt.datetime) and cell == expected_day
    return None if ok else f"{cell!r} ({type(cell).__name__}) ≠ {expected_day:%Y-%m-%d} (datetime)"


def compare_rows(frame: pd.DataFrame, labels: pd.DataFrame, rows: list[list], table: Table, lang: str,
                 problem_of) -> list[str]:
    """Every cell against the database's value; the first problems of each column, as sentences."""
    problems: dict[str, list[str]] = {}
    if len(rows) != len(frame):
        return [f"{len(rows)} rows, the database has {len(frame)}"]
    for index, row in enumerate(rows):
        if len(row) != len(table.columns):
            return [f"row {index + 2} has {len(row)} cells, not {len(table.columns)}: {row[:4]}…"]
        for position, column in enumerate(table.columns):
            value = frame[column].iloc[index] if column in frame.columns else None
            problem = problem_of(column, value, labels.iloc[index, position], row[position], lang)
            if problem:
                problems.setdefault(column, []).append(f"row {index + 2}: {problem}")
    return [f"{column}: {'; '.join(found[:2])}" + (f" (+{len(found) - 2} more)" if len(found) > 2 else "")
            for column, found in problems.items()]


@pytest.mark.parametrize(("name", "table", "lang"), DOWNLOAD_CASES)
def test_a_csv_download_is_headed_and_written_as_the_page_language_writes(downloaded, server, name, table, lang):
    """en: ',' between fields, '.' decimal point, '1 Sep 2023'; sq: ';' between fields, ',' decimal
    comma, '01.09.2023'; neither groups thousands; counts whole; UTF-8 with a byte-order mark."""
    raw = saved(downloaded, name, table, lang, "csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"no UTF-8 byte-order mark: {raw[:12]!r}"
    separator = formats.of(lang).csv_separator
    assert separator == {"en": ",", "sq": ";"}[lang]
    text = raw.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    assert header == headers(table, lang), f"header line: {text.splitlines()[0]!r}"
    frame = server.frames[table.name]
    assert compare_rows(frame, text_cells(frame, table, lang), rows, table, lang, csv_cell_problem) == []


@pytest.mark.parametrize(("name", "table", "lang"), DOWNLOAD_CASES)
def test_an_excel_download_has_the_page_language_header_and_real_numbers_and_dates(downloaded, server, name, table,
                                                                                   lang):
    book = openpyxl.load_workbook(saved(downloaded, name, table, lang, "xlsx"))
    sheet = book.worksheets[0]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == headers(table, lang)
    frame = server.frames[table.name]
    assert compare_rows(frame, text_cells(frame, table, lang), rows, table, lang, xlsx_cell_problem) == []


# ── 3. copied links reproduce the view ───────────────────────────────────────────────────────

def pick(page: Page, label: str, typed: str, where: str = "stMain") -> None:
    """Choose an option of the select box or multiselect with this label by typing it, as a reader does."""
    box = page.locator(f'[data-testid="{where}"]').get_by_role("combobox", name=label, exact=True)
    option = page.get_by_role("option", name=re.compile(re.escape(typed))).first
    browser_support.open_list(page, box, option, TIMEOUT_MS, typed=typed)  # Enter only once it shows the option
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    rendered(page)


def search(page: Page, label: str, typed: str) -> None:
    box = page.locator('[data-testid="stMain"]').get_by_role("textbox", name=label, exact=True)
    box.fill(typed)
    box.press("Enter")
    rendered(page)


def switch_tab(page: Page, label: str) -> None:
    chosen_tab(page, page.locator('[data-testid="stMain"]').get_by_role("tab", name=label, exact=True))
    rendered(page)


def settled_url(page: Page) -> str:
    """The page's address once a settled page leaves it as it is: a bound widget writes it as the reader
    changes it, the script's query parameters arrive before its run ends."""
    for _ in range(20):
        link = page.url
        rendered(page)
        if page.url == link:
            return link
    pytest.fail(f"the address kept changing: {page.url}")


def switch_language(page: Page, lang: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text(t(f"lang.{lang}", lang), exact=True).click()
    rendered(page)


def sidebar_filters(page: Page, lang: str, municipalities=("Tiranë", "Vlorë"), year="2023") -> None:
    for name in municipalities:
        pick(page, t("filter.municipality", lang), name, where="stSidebar")
    pick(page, t("filter.year", lang), year, where="stSidebar")


def set_tracker(page: Page, lang: str) -> None:
    sidebar_filters(page, lang)
    search(page, t("tracker.search", lang), "ujë")
    pick(page, t("tracker.choose", lang), "TIR-11")


def set_participation(page: Page, lang: str) -> None:
    sidebar_filters(page, lang)
    switch_tab(page, t("participation.tab.gender", lang))


def set_municipality(page: Page, lang: str) -> None:
    pick(page, t("profile.choose", lang), "Korçë")


def set_quality(page: Page, lang: str) -> None:
    pick(page, t("filter.year", lang), "2023", where="stSidebar")
    pick(page, t("filter.theme", lang), reference.term_label("themes", "roads", lang), where="stSidebar")


def set_priority(page: Page, lang: str) -> None:
    sidebar_filters(page, lang, municipalities=("Vlorë",))
    pick(page, t("tracker.choose", lang), "VLO-03")


def other_language(lang: str):
    return lambda page, _: switch_language(page, {"en": "sq", "sq": "en"}[lang])


# Per page: the language the link starts in, and what the reader then does there.
VIEW_STATES = {
    "overview": ("en", sidebar_filters),
    "tracker": ("en", set_tracker),
    "priority": ("sq", set_priority),
    "participation": ("sq", set_participation),
    "municipality": ("en", set_municipality),
    "quality": ("sq", set_quality),
    "upload": ("en", other_language("en")),
    "history": ("sq", other_language("sq")),
    "users": ("en", other_language("en")),
    "audit": ("sq", other_language("sq")),
}


@pytest.mark.parametrize("name", PAGES)
def test_a_copied_link_opens_the_same_view_in_a_new_browser(browser, contexts, server, name):
    start_lang, act = VIEW_STATES.get(name, ("en", other_language("en")))
    page = contexts[1440].new_page()
    try:
        page.goto(f"{server.url}/{name}?lang={start_lang}")
        rendered(page)
        before = main_text(page)
        act(page, start_lang)
        link = settled_url(page)
        shown = main_text(page)
        assert shown != before, "the actions changed nothing on the page"
    finally:
        page.close()

    fresh = new_context(browser, 1440)  # another reader: no cookies, no session, no cache
    try:
        other = fresh.new_page()
        asked = server_questions(other)
        other.goto(link)
        rendered(other)
        assert exceptions(other) == []
        # connected at the first try: the script is told the server's folder (web.KnownBase)
        assert sorted(asked) == [("/_stcore/health", 200), ("/_stcore/host-config", 200)]
        assert query_of(other.url) == query_of(link), f"{link} became {other.url}"
        copied = main_text(other)
        if copied != shown:  # both texts beside the screenshots, and the lines that differ in the message
            for which, lines in (("original", shown), ("copy", copied)):
                (SHOTS / f"link_{name}_{which}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert copied == shown, "\n".join(list(difflib.unified_diff(shown, copied, "original", "copy", n=1,
                                                                     lineterm=""))[:40])
    finally:
        fresh.close()


# ── reports and chart images ─────────────────────────────────────────────────────────────────

REPORT_VIEW = "year=2023&cycle=2019-2023"


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_the_reports_page_downloads_the_view_s_pdf_and_workbook_in_the_page_language(contexts, server, tmp_path, lang):
    """One click each: a PDF whose text holds the view's headline numbers in the language's format,
    and a workbook whose sheets are named and filled in that language with numbers as numbers."""
    chosen = Filters(year=(2023,), cycle="2019-2023")
    with Database(server.db).reading(sight=DONOR_SIGHT) as con:
        found = kpis.kpis(con, chosen)
    page = contexts[1440].new_page()
    try:
        page.goto(f"{server.url}/reports?lang={lang}&{REPORT_VIEW}")
        rendered(page)
        saved_files = {}
        for fmt in ("pdf", "xlsx"):
            with page.expect_download(timeout=TIMEOUT_MS) as download:
                page.get_by_role("button", name=t(f"reports.download.{fmt}", lang)).click()
            assert download.value.suggested_filename == f"pop_kpi_report_2019-2023_2023_{lang}.{fmt}"
            saved_files[fmt] = tmp_path / download.value.suggested_filename
            download.value.save_as(saved_files[fmt])
    finally:
        page.close()
    text = subprocess.run(["pdftotext", "-layout", str(saved_files["pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]
    p = found["priorities"]
    assert lines[0] == t("report.title", lang)
    addressed = " ".join([t("kpi.addressed", lang), present.percent(p["addressed_pct"], lang),
                          present.number(p["fully"] + p["partially"], lang)])
    assert any(line.startswith(re.sub(r"\s+", " ", addressed) + " ") for line in lines), addressed
    book = openpyxl.load_workbook(saved_files["xlsx"])
    sheet = book[present.sheet_title(f"{t('report.sheet.priorities', lang)} 2019-2023")]
    values = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=6) if row[0].value}
    assert values[t("kpi.addressed", lang)] == p["addressed_pct"] == 74.5


@pytest.mark.parametrize("width", [1440, 390])
def test_a_chart_saves_as_a_png_named_for_the_view_with_its_filters_under_the_title(contexts, server, tmp_path, width):
    page = contexts[width].new_page()
    try:
        page.goto(f"{server.url}/overview?lang=en&{REPORT_VIEW}")
        rendered(page)
        with page.expect_download(timeout=TIMEOUT_MS) as download:
            page.get_by_role("button", name=t("download.chart", "en")).first.click()
        name = download.value.suggested_filename
        download.value.save_as(tmp_path / name)
        # not Streamlit's own '<time>_chart.png'
        assert page.locator('button[aria-label="Download as PNG"]:visible').count() == 0
    finally:
        page.close()
    assert name == "pop_addressed_by_year_2019-2023_2023.png"
    with Image.open(tmp_path / name) as image:
        assert image.format == "PNG" and image.width >= 2 * charts.EXPORT_WIDTH
