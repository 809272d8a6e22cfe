"""What a reader waits for, in Chromium: each page from its address until it has settled, and a
filter change until the page has settled again, on the real server (`streamlit run serve.py`),
beside a one-line Streamlit app (st.title and st.metric, a select box for its rerun) measured the
same way in the same run: the floor no Streamlit page goes below on this machine.

Settled: the app is connected, no script is running, the page's heading is there, and what the main
area shows (its text, and each table as drawn on its canvas) has not changed for 200 ms; the time is taken when it
last changed, from the navigation's start (or from the key press that changed the filter).
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .stats import Figure

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGES = ("overview", "tracker", "priority", "participation", "municipality", "targets", "reports", "quality")
# Pages whose sidebar filters change what they show: a year chosen there is the filter change timed.
FILTERED = ("overview", "tracker", "participation", "quality")
PAGE_RATIO_TARGET = {"demo": 1.5, "1M": 2.0}
FILTER_TARGET_MS = {"demo": 300.0, "1M": 500.0}

FLOOR_APP = '''import streamlit as st
st.title("Floor")
st.metric("Priorities addressed", "74.5%")
st.selectbox("Year", ["2023", "2024", "2025"], key="year")
'''

# Resolves to the time (ms since navigation) at which the page took its final look, once it has
# held it for four polls at 50 ms; null until then. A table is read as drawn, from its canvas's
# pixels: the grid's accessible copy of its cells (table[role=grid]) follows 200 ms after its last
# redraw (Glide's debounce), a delay no drawn pixel waits for (PERFORMANCE.md › Tables).
SETTLED_SINCE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .filter(chart => chart.checkVisibility())
    .every(chart => { const drawn = chart.querySelector('svg.marks, canvas');
                      return drawn && drawn.getBoundingClientRect().height >= 20; });
  const canvases = [...document.querySelectorAll('[data-testid="stDataFrame"]')]
    .filter(grid => grid.checkVisibility())
    .map(grid => grid.querySelector('canvas[data-testid="data-grid-canvas"]'));
  const tables = canvases.every(canvas => canvas && canvas.width > 0 && canvas.height > 0);
  const ready = app && app.dataset.testConnectionState === 'CONNECTED'
    && app.dataset.testScriptState === 'notRunning' && main && main.querySelector('h1') !== null
    && !document.querySelector('[data-testid="stSkeleton"]') && charts && tables
    && document.fonts.status === 'loaded';
  if (!ready) { window.__settling = null; return null; }
  const drawn = canvases.map(canvas => {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 0;
    for (let i = 0; i < pixels.length; i += 97) hash = (hash * 31 + pixels[i]) | 0;
    return canvas.width + 'x' + canvas.height + ':' + hash;
  }).join('|');
  const mark = main.innerText.length + '#' + main.innerText + '#' + drawn;
  const now = performance.now();
  const last = window.__settling;
  if (!last || last.mark !== mark) { window.__settling = {mark, since: now, polls: 1}; return null; }
  last.polls += 1;
  return last.polls >= 4 ? last.since : null;
}"""


def _free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(script: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """`streamlit run script` on a free port, once its health endpoint answers: (process, base URL)."""
    port = _free_port()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
                                    "--server.address", "127.0.0.1", "--server.headless", "true",
                                    "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(900):
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{script} did not start:\n" + log.read_text()[-2000:])


def _settled_since(page, timeout_s: float = 120.0) -> float:
    page.evaluate("() => { window.__settling = null; }")
    handle = page.wait_for_function(SETTLED_SINCE_JS, timeout=timeout_s * 1000, polling=50)
    return float(handle.json_value())


def _load(context, url: str) -> float:
    """ms from the navigation's start until the page settled (a fresh tab: no state of a previous one)."""
    page = context.new_page()
    try:
        page.goto(url)
        return _settled_since(page)
    finally:
        page.close()


def _change(context, url: str, label: str, typed: str, type_it: bool) -> float:
    """ms from clicking a value in the list of the select box or multiselect labelled `label` until
    the page settled again (the page opened and settled first)."""
    page = context.new_page()
    received = [0]  # messages from the server: a rerun sends some, however short it is
    page.on("websocket", lambda socket: socket.on("framereceived", lambda _: received.__setitem__(0, received[0] + 1)))
    try:
        page.goto(url)
        _settled_since(page)
        box = page.get_by_role("combobox", name=label, exact=True)
        box.click()
        if type_it:  # a multiselect's long list shows only its first options until typed into
            box.fill(typed)
        option = page.get_by_role("option", name=re.compile(re.escape(typed))).first
        option.wait_for(timeout=30_000)
        before = received[0]
        started = page.evaluate("() => performance.now()")
        option.click()
        deadline = time.monotonic() + 30
        while received[0] == before and time.monotonic() < deadline:
            page.wait_for_timeout(10)
        return _settled_since(page) - started
    finally:
        page.close()


def measure(db: Path, scale: str, runs: int) -> list[Figure]:
    """Each page's navigation → settled and each filtered page's filter change → settled, alternated
    with the floor app's, on a copy of db in local mode."""
    from playwright.sync_api import sync_playwright

    from pop_analytics.i18n import t

    with tempfile.TemporaryDirectory(prefix="browser-", dir=db.parent) as folder:
        work = Path(folder)
        copy = work / "pop.duckdb"
        copy.write_bytes(db.read_bytes())
        (work / "floor.py").write_text(FLOOR_APP)
        env = {**os.environ, "POP_DB": str(copy)}
        app, app_url = serve("serve.py", env, work / "app.log")
        floor, floor_url = serve(str(work / "floor.py"), dict(os.environ), work / "floor.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
                for url in (f"{floor_url}/", f"{app_url}/overview?lang=en"):  # the scripts and styles cached
                    _load(context, url)
                floors, loads = [], {name: [] for name in PAGES}
                for _ in range(runs):
                    for name in PAGES:
                        floors.append(_load(context, f"{floor_url}/"))
                        loads[name].append(_load(context, f"{app_url}/{name}?lang=en"))
                floor_changes, changes = [], {name: [] for name in FILTERED}
                for _ in range(runs):
                    for name in FILTERED:
                        floor_changes.append(_change(context, f"{floor_url}/", "Year", "2024", False))
                        changes[name].append(_change(context, f"{app_url}/{name}?lang=en",
                                                     t("filter.year", "en"), "2023", True))
                browser.close()
        finally:
            for process in (app, floor):
                process.terminate()
                process.wait(timeout=30)
    return _figures(scale, floors, loads, floor_changes, changes)


def _figures(scale: str, floors: list[float], loads: dict[str, list[float]], floor_changes: list[float],
             changes: dict[str, list[float]]) -> list[Figure]:
    floor = statistics.median(floors)
    ratio_target = PAGE_RATIO_TARGET[scale]
    found = [Figure(f"browser_floor_{scale}", f"one-line app, navigation → settled ({scale} run)", "ms", floors,
                    percentiles=True)]
    for name, samples in loads.items():
        ratio = statistics.median(samples) / floor
        figure = Figure(f"browser_{name}_{scale}", f"{name}, navigation → settled, {scale}", "ms", samples,
                        target=f"<= {ratio_target}x floor", notes=[f"{ratio:.1f}x the floor's median {floor:,.0f} ms"])
        figure.passed = ratio <= ratio_target
        found.append(figure)
    change_target = FILTER_TARGET_MS[scale]
    found.append(Figure(f"browser_floor_change_{scale}", f"one-line app, select box → settled ({scale} run)", "ms",
                        floor_changes, percentiles=True))
    floor_change = statistics.median(floor_changes)
    for name, samples in changes.items():
        figure = Figure(f"browser_change_{name}_{scale}", f"{name}, a year chosen → settled, {scale}", "ms", samples,
                        target=f"<= {change_target:.0f} ms",
                        notes=[f"{statistics.median(samples) / floor_change:.1f}x the floor's {floor_change:,.0f} ms"])
        figure.passed = figure.median <= change_target
        found.append(figure)
    return found
