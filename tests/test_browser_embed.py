"""Embedding (README › Embedding), in Chromium: a page opened with `?embed=true` is the page alone,
and a site may show it in a frame only when POP_EMBED_ORIGINS names it (Content-Security-Policy
frame-ancestors); any other site's frame is refused by the browser."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from browser_support import demo_database, free_port, rendered, start_streamlit, stop
from playwright.sync_api import Browser

from pop_analytics.i18n import t

TIMEOUT_MS = 30_000
VIEW = "overview?embed=true&lang=en&year=2023&municipality=Tiranë"


def site(port: int, app_url: str) -> ThreadingHTTPServer:
    """Another origin's page (the network's website) that frames the app's Overview."""
    page = (f'<!doctype html><html><body><h1>The network\'s website</h1>'
            f'<iframe id="tile" src="{app_url}/{VIEW}" width="1000" height="800"></iframe></body></html>').encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def embedding(tmp_path_factory) -> Iterator[SimpleNamespace]:
    """The app with the public view on (a website shows approved figures to anyone), allowing one
    outside origin to frame it; and two outside sites, that one and another."""
    folder = tmp_path_factory.mktemp("embed")
    db = demo_database(folder, {"koord": ("coordinator", [])}, "a long enough passphrase")
    allowed_port, other_port = free_port(), free_port()
    process, url = start_streamlit({**os.environ, "POP_DB": str(db), "POP_PUBLIC_VIEW": "1",
                                    "POP_EMBED_ORIGINS": f"http://127.0.0.1:{allowed_port}"}, folder / "streamlit.log")
    sites = [site(allowed_port, url), site(other_port, url)]
    try:
        yield SimpleNamespace(url=url, allowed=f"http://127.0.0.1:{allowed_port}/",
                              other=f"http://127.0.0.1:{other_port}/")
    finally:
        for server in sites:
            server.shutdown()
        stop(process)


def test_a_page_opened_to_embed_shows_the_page_alone(browser: Browser, embedding):
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    try:
        page.goto(f"{embedding.url}/{VIEW}")
        rendered(page, TIMEOUT_MS)
        assert page.locator('[data-testid="stMain"] h1').first.inner_text() == t("page.overview.title", "en")
        assert page.locator('[data-testid="stSidebar"]').count() == 0  # no navigation, filters or language
        assert "Tiranë · 2023" in page.locator('[data-testid="stMain"]').inner_text()  # the link's filters
        assert "Public view:" not in page.locator('[data-testid="stMain"]').inner_text()  # nor the banner
    finally:
        page.close()


@pytest.mark.parametrize("which", ["allowed", "other"])
def test_only_the_configured_site_may_frame_the_app(browser: Browser, embedding, which):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text) if "frame-ancestors" in message.text else None)
    try:
        with page.expect_event("framenavigated", predicate=lambda frame: frame.parent_frame is not None,
                               timeout=TIMEOUT_MS):
            page.goto(getattr(embedding, which))
        frame = page.frame_locator("#tile")
        if which == "allowed":
            frame.locator('[data-testid="stMain"] h1').first.wait_for(timeout=TIMEOUT_MS)
            assert frame.locator('[data-testid="stMain"] h1').first.inner_text() == t("page.overview.title", "en")
            frame.locator('[data-testid="stMetric"]').first.wait_for(state="visible", timeout=TIMEOUT_MS)  # the tiles
            chart = frame.locator('[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas').first
            chart.wait_for(state="visible", timeout=TIMEOUT_MS)  # and a chart, drawn
            assert refusals == []
        else:
            [child] = [f for f in page.frames if f.parent_frame is not None]
            child.wait_for_load_state(timeout=TIMEOUT_MS)
            assert child.url.startswith("chrome-error://")  # the browser refused to show it
            assert any("frame-ancestors" in text for text in refusals), refusals
    finally:
        page.close()
