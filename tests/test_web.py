"""The sign-in and sign-out routes beside the app (pop_analytics.web), over real HTTP to
`streamlit run serve.py`: the redirect of a page opened without a session, the form's protection
against cross-site posting, the HttpOnly session cookie, open redirects refused, sign-out."""
from __future__ import annotations

import gzip
import html
import http.client
import os
import re
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from browser_support import demo_database, free_port, serving, start_streamlit, stop
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from pop_analytics import settings, store, web
from pop_analytics.database import Database
from pop_analytics.i18n import t

PASSWORD = "a long enough passphrase"


@pytest.mark.parametrize(("target", "safe"), [
    (None, "/"), ("", "/"), ("/overview?lang=en", "/overview?lang=en"), ("/tracker", "/tracker"),
    ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("javascript:alert(1)", "/"),
    ("/\\evil.example", "/"), ("/ok\r\nSet-Cookie: x=1", "/"), ("overview", "/"),
])
def test_after_signing_in_only_a_path_of_this_site_is_followed(target, safe):
    assert web.safe_next(target) == safe


@pytest.mark.parametrize(("header", "gzipped"), [
    (b"gzip, deflate, br, zstd", True), (b"GZIP", True), (b"br;q=1.0, gzip;q=0.5", True), (b"*", True),
    (b"x-gzip", True), (b"gzip;q=0", False), (b"gzip;q=0.000, *", False), (b"*;q=0, gzip", True),
    (b"br, *;q=0", False), (b"identity", False), (b"", False), (b"gzip;q=zero", False),
    (b"gzip;level=9;q=0", False), (b"gzip ; q=0.3", True),
])
def test_a_page_is_gzipped_only_for_a_browser_that_accepts_gzip(header, gzipped):
    assert web.accepts_gzip(header) is gzipped


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = demo_database(tmp_path_factory.mktemp("web"), {"koord": ("coordinator", [])}, PASSWORD)
    with serving(db) as process:
        yield SimpleNamespace(host=urllib.parse.urlsplit(process.url).netloc, db=db, pid=process.pid)


def request(server, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    """One HTTP request, redirects not followed: (status, headers as a list, body text)."""
    connection = http.client.HTTPConnection(server.host, timeout=30)
    data = urllib.parse.urlencode(body) if body is not None else None
    sent = {"Accept": "text/html", **({"Content-Type": "application/x-www-form-urlencoded"} if data else {}),
            **(headers or {})}
    connection.request(method, path, body=data, headers=sent)
    answer = connection.getresponse()
    result = answer.status, answer.getheaders(), answer.read().decode("utf-8", "replace")
    connection.close()
    return result


def header(headers, name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name]


def form(server, lang: str = "en", next_path: str = "/overview?lang=en") -> tuple[str, str]:
    """The form's token and its cookie, as a browser gets them."""
    status, headers, body = request(server, "GET", "/signin?" + urllib.parse.urlencode({"lang": lang,
                                                                                      "next": next_path}))
    assert status == 200
    token = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    cookie = next(c for c in header(headers, "set-cookie") if c.startswith(web.CSRF_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    return token, cookie.split(";")[0]


def post_signin(server, name: str, password: str, token: str, cookie: str, origin: str | None = None,
                next_path: str = "/overview?lang=en"):
    return request(server, "POST", "/signin?" + urllib.parse.urlencode({"lang": "en", "next": next_path}),
                   {"name": name, "password": password, "csrf": token},
                   {"Cookie": cookie, "Origin": origin or f"http://{server.host}"})


def test_a_page_opened_without_a_session_goes_to_the_sign_in_form_and_comes_back(server):
    status, headers, _ = request(server, "GET", "/tracker?lang=en&year=2023")
    assert status == 303
    assert header(headers, "location") == ["/signin?next=%2Ftracker%3Flang%3Den%26year%3D2023&lang=en"]
    status, _, body = request(server, "GET", header(headers, "location")[0])
    assert status == 200 and f"<h1>{t('signin.title', 'en')}</h1>" in body
    for path in ("/_stcore/health", "/static/js/none.js", "/favicon.png"):  # never redirected
        assert request(server, "GET", path)[0] != 303, path


def test_the_right_password_sets_an_httponly_session_cookie_and_opens_the_pages(server):
    token, cookie = form(server)
    status, headers, _ = post_signin(server, "koord", PASSWORD, token, cookie)
    assert status == 303 and header(headers, "location") == ["/overview?lang=en"]
    session = next(c for c in header(headers, "set-cookie") if c.startswith("pop_session="))
    assert {part.strip() for part in session.split(";")[1:]} == {"HttpOnly", "Path=/", "SameSite=strict"}
    value = session.split(";")[0]
    assert request(server, "GET", "/overview?lang=en", headers={"Cookie": value})[0] == 200

    status, headers, _ = request(server, "POST", "/signout?lang=en",
                                 headers={"Cookie": value, "Origin": f"http://{server.host}"})
    assert status == 303 and header(headers, "location") == ["/signin?lang=en&signed_out=1"]
    assert any(c.startswith('pop_session=""') and "Max-Age=0" in c for c in header(headers, "set-cookie"))
    assert request(server, "GET", "/overview?lang=en", headers={"Cookie": value})[0] == 303  # that session ended


@pytest.mark.parametrize("case", ["no token", "other token", "cross-site origin"])
def test_a_form_posted_from_elsewhere_is_refused_and_nobody_is_signed_in(server, case):
    token, cookie = form(server)
    sent_token = {"no token": "", "other token": "x" * len(token)}.get(case, token)
    origin = "http://evil.example" if case == "cross-site origin" else None
    status, headers, body = post_signin(server, "koord", PASSWORD, sent_token, cookie, origin)
    assert status == 403
    assert t("signin.form_expired", "en") in body
    assert not [c for c in header(headers, "set-cookie") if c.startswith("pop_session=")]


def test_a_wrong_password_is_refused_with_the_sentence_and_recorded(server):
    token, cookie = form(server)
    status, _, body = post_signin(server, "koord", "not the passphrase", token, cookie)
    assert status == 401
    assert t("signin.wrong", "en") in body and 'value="koord"' in body
    with Database(server.db).reading() as con:
        assert store.audit_rows(con).iloc[0][["who", "action", "target"]].to_list() == [
            "koord", "signin_failed", "koord"]


def test_an_outside_next_is_not_followed_after_signing_in(server):
    token, cookie = form(server, next_path="//evil.example/")
    status, headers, _ = post_signin(server, "koord", PASSWORD, token, cookie, next_path="//evil.example/")
    assert status == 303 and header(headers, "location") == ["/"]


def test_the_form_is_in_the_browsers_language_and_names_its_fields(server):
    status, _, body = request(server, "GET", "/signin", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert status == 200 and '<html lang="en">' in body
    status, _, body = request(server, "GET", "/signin", headers={"Accept-Language": "de-DE"})
    assert '<html lang="sq">' in body and f">{t('signin.submit', 'sq')}</button>" in body
    assert 'autocomplete="current-password"' in body and "<script" not in body


# ── where a request comes from ──────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("origin", "host", "base_url", "trusted"), [
    ("http://localhost:8640", "localhost:8640", "", True),
    ("http://127.0.0.1:8640", "127.0.0.1:8640", "", True),
    ("http://[::1]:8640", "[::1]:8640", "", True),
    ("HTTP://LOCALHOST:8640", "localhost:8640", "", True),
    ("http://localhost:8649", "localhost:8640", "", False),  # another port: same site, another origin
    ("http://127.0.0.1:8640", "localhost:8640", "", False),
    ("http://evil.example:8640", "evil.example:8640", "", False),  # DNS rebinding: the name is not this machine
    ("null", "localhost:8640", "", False),  # a sandboxed frame or a file
    ("", "localhost:8640", "", False),
    (None, "localhost:8640", "", False),
    ("http://localhost:8640", None, "", False),
    ("https://pop.example.org", "127.0.0.1:8501", "https://pop.example.org", True),  # behind the proxy
    ("https://pop.example.org", "127.0.0.1:8501", "https://pop.example.org/", True),
    ("http://pop.example.org", "127.0.0.1:8501", "https://pop.example.org", False),
    ("https://pop.example.org:8443", "127.0.0.1:8501", "https://pop.example.org", False),
    ("https://pop.example.org.evil.example", "127.0.0.1:8501", "https://pop.example.org", False),
    ("https://pop.example.org", "pop.example.org", "", False),  # not configured: not trusted
])
def test_only_the_apps_own_origin_is_trusted(monkeypatch, origin, host, base_url, trusted):
    monkeypatch.setattr(settings, "BASE_URL", base_url.rstrip("/"))
    assert web.trusted_origin(origin, host) is trusted


def signed_in_cookie(server, name: str = "koord", password: str = PASSWORD) -> str:
    token, cookie = form(server)
    status, headers, _ = post_signin(server, name, password, token, cookie)
    assert status == 303
    return next(c for c in header(headers, "set-cookie") if c.startswith("pop_session=")).split(";")[0]


def socket(server, origin: str | None, cookie: str | None) -> int:
    """Open the app's WebSocket as a browser page of origin would: 101 when it opens, else the status."""
    headers = {"Cookie": cookie} if cookie else {}
    try:
        with ws_connect(f"ws://{server.host}/_stcore/stream", origin=origin, additional_headers=headers,
                        open_timeout=20):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


@pytest.mark.parametrize(("case", "status"), [
    ("own origin, signed in", 101),
    ("other port, signed in", 403),  # the attack: a page on another localhost port, the cookie sent along
    ("other host, signed in", 403),
    ("own origin, no session", 403),  # users exist: nobody gets a session without signing in
    ("own origin, ended session", 403),
    ("no origin (not a browser), no session", 403),
])
def test_the_websocket_opens_only_for_the_apps_own_pages_with_an_open_session(server, case, status):
    own = f"http://{server.host}"
    port = int(server.host.rsplit(":", 1)[1])
    cookie = signed_in_cookie(server)
    if case == "own origin, ended session":
        request(server, "POST", "/signout", headers={"Cookie": cookie, "Origin": own})
    origin = {"other port": f"http://127.0.0.1:{port + 1}", "other host": "http://evil.example",
              "no origin": None}.get(case.split(",")[0].split(" (")[0], own)
    sent_cookie = None if "no session" in case else cookie
    assert socket(server, origin, sent_cookie) == status


def test_signing_out_is_a_post_from_the_apps_own_page(server):
    own = f"http://{server.host}"
    cookie = signed_in_cookie(server)
    status, _, body = request(server, "GET", "/signout?lang=en", headers={"Cookie": cookie})
    assert status == 200 and f">{t('signout.submit', 'en')}</button>" in body and 'method="post"' in body
    assert request(server, "GET", "/overview?lang=en", headers={"Cookie": cookie})[0] == 200  # a GET changes nothing
    for origin in ("http://evil.example", f"http://127.0.0.1:{int(server.host.rsplit(':', 1)[1]) + 1}"):
        status, headers, body = request(server, "POST", "/signout?lang=en", headers={"Cookie": cookie,
                                                                                    "Origin": origin})
        assert status == 403 and html.escape(t("signout.form_expired", "en")) in body
        assert not header(headers, "set-cookie")
    assert request(server, "GET", "/overview?lang=en", headers={"Cookie": cookie})[0] == 200  # still signed in
    status, headers, _ = request(server, "POST", "/signout?lang=en", headers={"Cookie": cookie, "Origin": own})
    assert status == 303 and header(headers, "location") == ["/signin?lang=en&signed_out=1"]
    assert request(server, "GET", "/overview?lang=en", headers={"Cookie": cookie})[0] == 303


@pytest.mark.parametrize("path", ["/", "/overview?lang=en", "/static/js/none.js", "/_stcore/health"])
def test_no_other_origin_may_frame_the_app(server, path):
    cookie = signed_in_cookie(server)
    _, headers, _ = request(server, "GET", path, headers={"Cookie": cookie})
    assert header(headers, "content-security-policy") == ["frame-ancestors 'self'"]
    assert header(headers, "x-frame-options") == ["SAMEORIGIN"]


BASE_SCRIPT = '<script>window.__streamlit = {BACKEND_BASE_URL: new URL(".", location.href).href}</script>'


@pytest.mark.parametrize(("path", "told"), [
    ("/overview?lang=en", True), ("/tracker", True), ("/", False), ("/overview/more", False),
])
def test_a_page_opened_by_its_name_tells_the_script_the_servers_folder(server, path, told):
    """Left to guess, Streamlit's script asks /overview/_stcore/health first and connects only at a
    retry (tests/test_browser_views.py checks that a browser asks once). A browser asks for a
    compressed page; it comes compressed, its length exact, without the file's validators."""
    connection = http.client.HTTPConnection(server.host, timeout=30)
    connection.request("GET", path, headers={"Cookie": signed_in_cookie(server), "Accept-Encoding": "gzip, br"})
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    sent = len(body)
    if answer.getheader("content-encoding") == "gzip":
        body = gzip.decompress(body)
    page = body.decode("utf-8")
    assert answer.status == 200 and "<div id=\"root\"></div>" in page
    assert page.count(BASE_SCRIPT) == (1 if told else 0)
    if told:
        assert page.index(BASE_SCRIPT) < page.index("<script>\n      window.prerenderReady")
        assert (answer.getheader("content-encoding"), int(answer.getheader("content-length"))) == ("gzip", sent)
        assert (answer.getheader("etag"), answer.getheader("last-modified")) == (None, None)


def test_the_sign_in_form_is_framed_by_nobody(server):
    _, headers, _ = request(server, "GET", "/signin")
    assert "frame-ancestors 'none'" in header(headers, "content-security-policy")[0]


@pytest.mark.parametrize("path", ["/signinx", "/signout-now", "/favicon.pngx/../overview", "/_stcorex"])
def test_a_path_that_only_begins_like_a_route_still_needs_a_session(server, path):
    status, headers, _ = request(server, "GET", path)
    assert status == 303 and header(headers, "location")[0].startswith("/signin?next=")


# ── guessing in bursts ──────────────────────────────────────────────────────────────────────

def burst(server, name: str, address: str, count: int) -> list[tuple[int, str]]:
    """count sign-ins with a wrong password at the same moment, from address (as the proxy says)."""
    forms = [form(server) for _ in range(count)]
    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(lambda sent: request(
            server, "POST", "/signin?lang=en", {"name": name, "password": "wrong guess", "csrf": sent[0]},
            {"Cookie": sent[1], "Origin": f"http://{server.host}", "X-Forwarded-For": address}), forms))
    return [(status, body) for status, _, body in answers]


def server_memory(server) -> tuple[int, int]:
    """The server's resident and peak resident memory in bytes."""
    status = Path(f"/proc/{server.pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines())
    return (int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024)


def test_concurrent_guesses_after_the_slowing_began_are_refused_and_audited_not_checked(server):
    address, name = "198.51.100.7", "burst"  # neither has failed before in this module
    for _ in range(settings.SIGNIN_FREE_TRIES):
        assert burst(server, name, address, 1)[0][0] == 401
    time.sleep(settings.SIGNIN_FIRST_WAIT_SECONDS + 0.2)  # the first wait is over: one more try is allowed
    answers = burst(server, name, address, 20)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [401] + [429] * 19  # counted before it was checked: the others find it
    assert all(t("signin.slowed", "en", seconds=4)[:40] in body for status, body in answers if status == 429)
    with Database(server.db).reading() as con:
        rows = store.audit_rows(con)
    slowed = rows[(rows["action"] == "signin_slowed") & (rows["address"] == address)]
    assert slowed[["who", "target", "detail"]].values.tolist() == [[name, name, '{"refused": 1}']]


def test_a_burst_of_guesses_for_many_names_holds_a_bounded_amount_of_memory(server):
    """Each argon2 check holds 64 MiB: before, 20 at once took the server from 300 MB to 1.5 GB."""
    before, _ = server_memory(server)
    answers = [status for name in range(4) for status, _ in
               burst(server, f"guess{name}", f"203.0.113.{name + 1}", settings.SIGNIN_FREE_TRIES)]
    assert answers == [401] * (4 * settings.SIGNIN_FREE_TRIES)
    _, peak = server_memory(server)
    assert peak - before < (settings.MAX_CONCURRENT_SIGNINS + 2) * 64 * 2**20


EVIL_PAGE = """<!doctype html><title>waiting</title><script>
const socket = new WebSocket("ws://{app}/_stcore/stream");
socket.onopen = () => {{ document.title = "opened"; }};
socket.onclose = () => {{ if (document.title === "waiting") document.title = "refused"; }};
</script>"""


@pytest.mark.browser
def test_a_page_on_another_port_cannot_open_the_websocket_with_the_signed_in_cookie(server, browser):
    """The attack: the coordinator is signed in; a page served from another port of the same host
    (the same site, so the SameSite=Strict cookie goes along) opens the app's WebSocket."""
    host = server.host.rsplit(":", 1)[0]
    page_html = EVIL_PAGE.format(app=server.host).encode()

    class Evil(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page_html)

        def log_message(self, *args):
            pass

    evil = ThreadingHTTPServer((host, free_port()), Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://{server.host}/signin?lang=en&next=/overview")
        page.fill("#name", "koord")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/overview"))
        assert any(c["name"] == settings.SESSION_COOKIE for c in context.cookies())
        page.goto(f"http://{host}:{evil.server_address[1]}/")
        page.wait_for_function("document.title !== 'waiting'")
        assert page.title() == "refused"
        page.goto(f"http://{server.host}/overview?lang=en")  # the app's own page still opens its socket
        page.wait_for_function("document.querySelector('[data-testid=\"stApp\"]')"
                               "?.dataset.testConnectionState === 'CONNECTED'")
    finally:
        context.close()
        evil.shutdown()


def test_signing_in_on_a_cut_off_database_answers_its_sentence_not_a_server_error(tmp_path, server):
    """Before, a truncated database made POST /signin answer 500."""
    cut = tmp_path / "pop.duckdb"
    cut.write_bytes(server.db.read_bytes()[:10_000])
    process, url = start_streamlit({**os.environ, "POP_DB": str(cut)}, tmp_path / "streamlit.log")
    try:
        other = SimpleNamespace(host=urllib.parse.urlsplit(url).netloc)
        token, cookie = form(other)
        status, _, body = post_signin(other, "koord", PASSWORD, token, cookie)
        assert status == 503
        assert html.escape(t("database.unreadable", "en", name="pop.duckdb")) in body
    finally:
        stop(process)
