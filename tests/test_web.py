"""The sign-in and sign-out routes beside the app (pop_analytics.web), over real HTTP to
`streamlit run serve.py`: the redirect of a page opened without a session, the form's protection
against cross-site posting, the HttpOnly session cookie, open redirects refused, sign-out."""
from __future__ import annotations

import http.client
import os
import re
import urllib.parse
from types import SimpleNamespace

import pytest
from browser_support import start_streamlit, stop

from pop_analytics import access, accounts, demo, store, web
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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    db = folder / "pop.duckdb"
    con = store.connect(db)
    demo.load(con)
    con.close()
    accounts.add(Database(db), "koord", "coordinator", [], PASSWORD, access.cli_viewer())
    process, url = start_streamlit({**os.environ, "POP_DB": str(db)}, folder / "streamlit.log")
    try:
        yield SimpleNamespace(host=urllib.parse.urlsplit(url).netloc, db=db)
    finally:
        stop(process)


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

    status, headers, _ = request(server, "GET", "/signout?lang=en", headers={"Cookie": value})
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
