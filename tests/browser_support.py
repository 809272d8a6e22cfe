"""What the tests that drive a real `streamlit run serve.py` share: starting and stopping the server, and
reading what Chromium shows."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pop_analytics.app import style

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STARTUP_SECONDS = 60

# The rows of the first table on the page with this column heading, read from the grid's
# accessible table (the grid itself is drawn on a canvas).
GRID_JS = """(column) => {
  for (const grid of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    const table = grid.querySelector('table[role="grid"]');
    if (!table) continue;
    const headings = Array.from(table.querySelectorAll('thead th')).map(th => th.innerText.trim());
    if (!headings.includes(column)) continue;
    const rows = Array.from(table.querySelectorAll('tbody tr')).map(tr =>
      Object.fromEntries(Array.from(tr.querySelectorAll('td')).map((td, i) => [headings[i], td.innerText.trim()])));
    return rows.length ? rows : null;
  }
  return null;
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_streamlit(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    """The dashboard on a free port, once its health endpoint answers: (process, base URL)."""
    port = free_port()
    with open(log_path, "w", encoding="utf-8") as log:  # streamlit writes to its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             # an edit to the checkout during the run must not put a 'source file changed' prompt on the page
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log_path.read_text()}")
        if healthy(url):
            return process, url
        if time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"streamlit did not answer {url}/_stcore/health within {STARTUP_SECONDS} s:\n"
                        f"{log_path.read_text()}")
        time.sleep(0.2)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.read().decode().strip() == "ok"
    except OSError:
        return False


def demo_database(folder: Path, users: dict[str, tuple[str, list[str]]] | None = None,
                  password: str = "") -> Path:
    """The demo data in folder/pop.duckdb, with these users (name → role, municipalities) if any."""
    from pop_analytics import access, accounts, demo, store
    from pop_analytics.database import Database

    db = folder / "pop.duckdb"
    con = store.connect(db)
    demo.load(con)
    con.close()
    for name, (role, municipalities) in (users or {}).items():
        accounts.add(Database(db), name, role, municipalities, password, access.cli_viewer())
    return db


@contextmanager
def serving(db: Path) -> Iterator[subprocess.Popen]:
    """`streamlit run serve.py` on db while the block lasts; its log beside the database. Yields the
    process, whose .url is the address it answers on."""
    process, url = start_streamlit({**os.environ, "POP_DB": str(db)}, db.parent / "streamlit.log")
    process.url = url  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def metric_pairs(page: Page) -> list[tuple[str, str]]:
    """(tile label, value) as shown, in page order: two cycles' tiles share their labels."""
    return [(tile.locator('[data-testid="stMetricLabel"]').inner_text().strip(),
             tile.locator('[data-testid="stMetricValue"]').inner_text().strip())
            for tile in page.locator('[data-testid="stMetric"]').all()]


def metrics(page: Page) -> dict[str, str]:
    """Tile label → value as shown."""
    return dict(metric_pairs(page))


BROWSER_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium per test worker, shared by every test file on it (conftest.py loads this module as a
    plugin); each test or module opens contexts of its own in it, so no cookie carries over. Playwright
    allows one sync_playwright per thread: every test takes this one, none launches its own."""
    with chromium(BROWSER_TIMEOUT_MS) as launched:
        yield launched


@contextmanager
def chromium(timeout_ms: int) -> Iterator[Browser]:
    """Debian's Chromium, headless, for a test module; Playwright's own browser download cannot work
    here. Expectations wait timeout_ms: a loaded CI machine may take more than Playwright's 5 s."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    expect.set_options(timeout=timeout_ms)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


# What is still pending on a page: the script running (the status widget says 'Running'), skeletons,
# a chart not yet drawn, a table without its canvas or its cells, no title yet. Charts and tables
# that are not visible (hidden tabs, closed expanders) do not count. An empty list: it is rendered.
PENDING_JS = """() => {
  const pending = [];
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return ['no app'];
  if (app.dataset.testScriptState !== 'notRunning') pending.push('script ' + app.dataset.testScriptState);
  if (app.dataset.testConnectionState !== 'CONNECTED') pending.push('connection ' + app.dataset.testConnectionState);
  const skeletons = document.querySelectorAll('[data-testid="stSkeleton"]').length;
  if (skeletons) pending.push(skeletons + ' skeletons');
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  if (status) pending.push('status widget: ' + status.innerText);
  const visible = e => e.checkVisibility(
    {contentVisibilityAuto: true, opacityProperty: false, visibilityProperty: true});
  document.querySelectorAll('[data-testid="stVegaLiteChart"]').forEach((chart, i) => {
    if (!visible(chart)) return;
    const drawn = chart.querySelector('svg.marks, canvas');
    if (!drawn || drawn.getBoundingClientRect().height < 20) pending.push('chart ' + i + ' not drawn');
  });
  document.querySelectorAll('[data-testid="stDataFrame"]').forEach((grid, i) => {
    if (visible(grid) && !grid.querySelector('canvas')) pending.push('table ' + i + ' not drawn');
    else if (visible(grid) && !grid.querySelector('table[role="grid"] tbody'))
      pending.push('table ' + i + ' has no cells yet');
  });
  if (!document.querySelector('[data-testid="stMain"] h1')) pending.push('no title');
  return pending;
}"""


# Rendered and settled: nothing pending, the fonts loaded, and the main area's text and the tables' cells
# the same over four polls in a row (a table's accessible cells follow its canvas a moment later; Vega's
# last frame and the page's own observers run in between). The state lives on the window and is reset
# before each wait. The app's signal, not a fixed delay: on a loaded machine a delay is too short or wasted.
SETTLED_JS = f"""() => {{
  const main = document.querySelector('[data-testid="stMain"]');
  const cells = [...document.querySelectorAll('[data-testid="stDataFrame"] table[role="grid"]')]
    .map(table => table.getAttribute('aria-rowcount') + ':' + table.innerText).join('|');
  const mark = (main ? main.innerText.length : -1) + '#' + cells;
  const settled = ({PENDING_JS})().length === 0 && document.fonts.status === 'loaded';
  window.__settled = settled && window.__settled && window.__settled.mark === mark
    ? {{mark, polls: window.__settled.polls + 1}} : {{mark, polls: settled ? 1 : 0}};
  return window.__settled.polls >= 4;
}}"""


def rendered(page: Page, timeout_ms: int) -> None:
    """Wait until the script has finished, every visible chart and table is drawn, and the page settled."""
    try:
        page.evaluate("() => { window.__settled = null; }")
        page.wait_for_function(SETTLED_JS, timeout=timeout_ms, polling=50)
    except PlaywrightTimeout:
        pytest.fail(f"{page.url} did not finish rendering: {page.evaluate(PENDING_JS)}")


def open_list(page: Page, box: Locator, shown: Locator, timeout_ms: int, typed: str | None = None) -> None:
    """Open the list of a select box or multiselect (typing `typed` into it, if given) and wait until it
    shows `shown`. On a loaded machine a click that lands while a rerun redraws the box is lost, and the
    list lags the keys: the box is tried again, up to three times, each time once the page has settled."""
    for attempt in range(3):
        rendered(page, timeout_ms)  # no rerun under way that would redraw the box while it is used
        box.click()
        if typed is not None:
            box.fill(typed)
        try:
            shown.wait_for(timeout=timeout_ms // 2)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


# ── Streamlit's English on a page in another language ────────────────────────────────────────

# Streamlit's English that the page hides rather than translates (its menu, the uploader's
# instructions that the stylesheet replaces), and Vega's descriptions of a chart. The toolbars of
# tables and charts are hidden and their labels translated too (streamlit.* in the catalogues).
HIDDEN_ENGLISH = ("Print", "Record screen", "Made with Streamlit", "Drag and drop file here",
                  "Drag and drop a file here", "Browse files", "per file")
VEGA_ENGLISH = ("X-axis", "Y-axis", "legend titled", "Title text '", "for a linear scale", "for a discrete scale")

# Every visible text (icon ligatures such as 'expand_more' are drawn as icons, not read) and every
# label of a visible element a screen reader reads, that is wholly one of Streamlit's translated
# texts, or holds one of the hidden ones.
ENGLISH_JS = """([patterns, parts]) => {
  const whole = patterns.map(p => new RegExp(p));
  const english = s => whole.some(r => r.test(s.trim())) || parts.some(p => s.includes(p));
  const seen = e => e.checkVisibility({visibilityProperty: true, opacityProperty: true});
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement, text = n.nodeValue.trim();
    if (!text || !p || p.closest('style, script, noscript, [data-testid="stIconMaterial"]') || !seen(p)) continue;
    if (english(text)) found.push('text: ' + text);
  }
  for (const e of document.querySelectorAll('[aria-label], [title], [placeholder], [aria-placeholder]')) {
    if (!seen(e) || e.closest('[aria-hidden="true"]')) continue;  // neither shown nor read aloud
    for (const name of ['aria-label', 'title', 'placeholder', 'aria-placeholder']) {
      const value = e.getAttribute(name);
      if (value && english(value)) found.push(name + ': ' + value);
    }
  }
  return [...new Set(found)];
}"""


def english_patterns() -> list[str]:
    """Streamlit's texts the page translates, and an icon's name read aloud ('add icon'), as
    whole-text expressions for the browser."""
    return [*(style.streamlit_pattern(text).replace("(?P<", "(?<") for text in style.streamlit_texts().values()),
            "^[a-z0-9_]+ icon$"]


def english(page: Page) -> list[str]:
    """Streamlit's English words the page shows or reads aloud (none belong on an Albanian page)."""
    return page.evaluate(ENGLISH_JS, [english_patterns(), [*HIDDEN_ENGLISH, *VEGA_ENGLISH]])


# The hovered element's toolbar has come in (Streamlit fades it in over a frame or two), or it has none.
TOOLBAR_IN_JS = """(element) => {
  const box = element.closest('[data-testid="stElementContainer"]') || element.parentElement;
  const bar = box && box.querySelector('[data-testid="stElementToolbar"]');
  return !bar || getComputedStyle(bar).opacity === '1';
}"""


def hover_toolbars(page: Page) -> None:
    """Where Streamlit shows a table's or a chart's toolbar: the pointer over the first of each, until
    its toolbar has come in (the stylesheet keeps it hidden; its words are read either way)."""
    for selector in ('[data-testid="stDataFrame"]', '[data-testid="stVegaLiteChart"]'):
        found = page.locator(selector)
        if found.count() and found.first.is_visible():
            found.first.scroll_into_view_if_needed()
            found.first.hover()
            page.wait_for_function(TOOLBAR_IN_JS, arg=found.first.element_handle(), polling=20)


def shown_toolbars(page: Page) -> list[str]:
    toolbars = page.locator('[data-testid="stElementToolbar"]')
    return [f"toolbar shown: {toolbars.nth(i).inner_text()!r}" for i in range(toolbars.count())
            if toolbars.nth(i).is_visible()]


# ── moving between pages ─────────────────────────────────────────────────────────────────────

def visit(page: Page, name: str, timeout_ms: int) -> None:
    """The page `name` of the app already open in `page`, through its link in the sidebar as a reader's
    click goes (no reload: the session, its language and filters stay; a fresh load costs Chromium and
    the server three times the work), once it is rendered. On a phone the sidebar is closed: the click
    is given to the link where it lies."""
    page.locator(f'[data-testid="stSidebarNavLink"][href$="/{name}"]').dispatch_event("click")
    page.wait_for_url(re.compile(rf"/{re.escape(name)}(\?|$)"), timeout=timeout_ms)
    rendered(page, timeout_ms)
