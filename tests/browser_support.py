"""What the tests that drive a real `streamlit run serve.py` share: starting and stopping the server, and
reading what Chromium shows."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page

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
