"""What the tests that drive a real `streamlit run serve.py` share: starting and stopping the server, and
reading what Chromium shows."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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
