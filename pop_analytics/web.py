"""Sign-in and sign-out as plain HTTP beside the Streamlit app (serve.py mounts them): only an
HTTP response can set the HttpOnly cookie that keeps a browser signed in across page refreshes,
which Streamlit's own messages (over a WebSocket) cannot.

The form is a plain HTML page in the reader's language, with no script. It is protected against
cross-site posting by a same-origin check and a token that must match a SameSite=Strict cookie.
Pages of the app itself redirect here when someone who is not signed in opens them.
"""
from __future__ import annotations

import gzip
import html
import logging
import secrets
from collections.abc import MutableMapping
from contextlib import suppress
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import accounts, negotiation, settings
from .database import Database
from .errors import DatabaseProblem, SignInRefused
from .i18n import requested, t
from .stores import open_database

CSRF_COOKIE = "pop_signin_form"
# Paths Streamlit serves besides its pages (scripts, styles, the WebSocket, uploads, media), and
# these routes: never redirected. Each is a whole path or a folder, never a prefix of a longer name.
_NOT_PAGES = ("/_stcore", "/static", "/component", "/media", "/app/static", "/signin", "/signout", "/favicon.png",
              "/favicon.ico", "/manifest.json", "/robots.txt", "/api", "/unsubscribe")
_LOG = logging.getLogger(__name__)


def _not_a_page(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in _NOT_PAGES)


def _db() -> Database:
    return open_database(settings.database_spec())


def _lang(request: Request) -> str:
    """?lang= when given, else the browser's first language we have, else Albanian."""
    return requested(request.query_params.get("lang", ""), request.headers.get("accept-language", ""))


def _address(request: HTTPConnection) -> str | None:
    return request.client.host if request.client else None


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never //host or a scheme)."""
    target = target or "/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(c < " " for c in target):
        return "/"
    return target


def trusted_origin(origin: str | None, host: str | None) -> bool:
    """Whether a browser request comes from the app's own pages: its origin is the configured public
    address (POP_BASE_URL), or exactly the address the request was sent to (host and port: a page
    on another port of localhost is another origin, though the same site for cookies) when that
    address is this machine (a page served under another name is DNS rebinding)."""
    if not origin or not host:
        return False
    origin = origin.strip().lower().rstrip("/")
    if settings.BASE_URL and origin == _origin_of(settings.BASE_URL):
        return True
    parts = urlsplit(origin)
    try:
        hostname = urlsplit("//" + host).hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc == host.lower() and hostname in settings.LOOPBACK_HOSTS


def _origin_of(url: str) -> str:
    parts = urlsplit(url.strip().lower())
    return f"{parts.scheme}://{parts.netloc}"


def _same_origin(request: Request) -> bool:
    """A form posted by the app's own page (Origin; Referer where a browser sends no Origin)."""
    origin = request.headers.get("origin")
    if not origin and request.headers.get("referer"):
        origin = _origin_of(request.headers["referer"])
    return trusted_origin(origin, request.headers.get("host"))


def _page(request: Request, lang: str, message: str = "", status: int = 200, name: str = "",
          note: str = "") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    target = safe_next(request.query_params.get("next"))
    other = [code for code in settings.LANGUAGES if code != lang]
    switch = " · ".join(f'<a href="/signin?{html.escape(urlencode({"lang": code, "next": target}))}">'
                        f'{html.escape(t(f"lang.{code}", code))}</a>' for code in other)
    body = _FORM.format(
        lang=lang, title=html.escape(t("signin.title", lang)), app=html.escape(t("app.title", lang)),
        intro=html.escape(t("signin.intro", lang)), name_label=html.escape(t("signin.name", lang)),
        password_label=html.escape(t("signin.password", lang)), submit=html.escape(t("signin.submit", lang)),
        action=html.escape("/signin?" + urlencode({"lang": lang, "next": target})), csrf=token,
        name=html.escape(name), switch=switch,
        note=f'<p class="note" role="status">{html.escape(note)}</p>' if note else "",
        message=f'<p class="error" role="alert">{html.escape(message)}</p>' if message else "",
        help=html.escape(t("signin.help", lang)))
    response = HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store",
                                                               "Content-Security-Policy": _CSP})
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/signin",
                        secure=request.url.scheme == "https")
    return response


async def signin_form(request: Request) -> Response:
    lang = _lang(request)
    note = t("signin.signed_out", lang) if request.query_params.get("signed_out") else ""
    if request.query_params.get("expired"):
        note = t("signin.expired", lang)
    return _page(request, lang, note=note)


async def signin_submit(request: Request) -> Response:
    lang = _lang(request)
    form = await request.form()
    name, password = str(form.get("name", ""))[:200], str(form.get("password", ""))[:1000]
    sent, expected = str(form.get("csrf", "")), request.cookies.get(CSRF_COOKIE, "")
    if not _same_origin(request) or not expected or not secrets.compare_digest(sent, expected):
        return _page(request, lang, t("signin.form_expired", lang), status=403, name=name)
    try:
        token = await run_in_threadpool(accounts.sign_in, _db(), name, password, _address(request))
    except SignInRefused as refused:
        return _page(request, lang, refused.message(lang), status=429 if refused.reason == "slowed" else 401,
                     name=name)
    except DatabaseProblem as problem:
        return _page(request, lang, problem.message(lang), status=503, name=name)
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(settings.SESSION_COOKIE, token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    response.delete_cookie(CSRF_COOKIE, path="/signin")
    return response


async def signout_form(request: Request) -> Response:
    """A link to /signout asks first: signing out changes state, so only a POST from the app does it."""
    lang = _lang(request)
    return _asking_page(lang, t("signout.title", lang), t("signout.intro", lang),
                        "/signout?" + urlencode({"lang": lang}), t("signout.submit", lang))


async def signout(request: Request) -> Response:
    lang = _lang(request)
    if not _same_origin(request):  # another page cannot sign a person out
        return HTMLResponse(_SIGNOUT_REFUSED.format(lang=lang, message=html.escape(t("signout.form_expired", lang)),
                                                    title=html.escape(t("signout.title", lang)), style=_STYLE),
                            status_code=403, headers={"Cache-Control": "no-store", "Content-Security-Policy": _CSP})
    token = request.cookies.get(settings.SESSION_COOKIE)
    if token:
        # the cookie goes below all the same; the session also ends when idle
        with suppress(DatabaseProblem):
            await run_in_threadpool(accounts.sign_out, _db(), token, _address(request))
    response = RedirectResponse("/signin?" + urlencode({"lang": lang, "signed_out": 1}), status_code=303)
    response.delete_cookie(settings.SESSION_COOKIE, path="/")
    return response


def _asking_page(lang: str, title: str, message: str, action: str = "", submit: str = "",
                 status: int = 200) -> HTMLResponse:
    """A page of its own that says one thing and, with an action, asks for one button's press (a GET
    changes nothing: a link opened by a mail scanner or another site must not sign out or unsubscribe)."""
    form = (f'<form method="post" action="{html.escape(action)}"><button type="submit">{html.escape(submit)}'
            "</button></form>") if action else ""
    body = _ASKING.format(lang=lang, title=html.escape(title), app=html.escape(t("app.title", lang)),
                          message=html.escape(message), form=form, style=_STYLE)
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store",
                                                          "Content-Security-Policy": _CSP})


def _unsubscribe_page(lang: str, message: str, status: int = 200, action: str = "") -> HTMLResponse:
    return _asking_page(lang, t("unsubscribe.title", lang), message, action, t("unsubscribe.submit", lang), status)


def _unsubscribing(request: Request) -> tuple[str, str] | None:
    """(user, kind) the link's signed token names; None when it is not one this installation signed."""
    from . import mail
    token = request.query_params.get("token", "")[:1000]
    with _db().reading() as con:
        key = mail.signing_key(con)
    return mail.read_token(key, token)


def _kind_words(kind: str, lang: str) -> str:
    return t("unsubscribe.all", lang) if kind == "all" else t(f"notice_kind.{kind}", lang)


async def unsubscribe_form(request: Request) -> Response:
    """An e-mail's unsubscribe link, without signing in: says what it stops, and asks (a GET changes
    nothing: mail scanners open links)."""
    lang = _lang(request)
    try:
        found = await run_in_threadpool(_unsubscribing, request)
    except DatabaseProblem as problem:
        return _unsubscribe_page(lang, problem.message(lang), status=503)
    if found is None:
        return _unsubscribe_page(lang, t("unsubscribe.invalid", lang), status=400)
    action = "/unsubscribe?" + urlencode({"token": request.query_params.get("token", ""), "lang": lang})
    return _unsubscribe_page(lang, t("unsubscribe.ask", lang, name=found[0], kinds=_kind_words(found[1], lang)),
                             action=action)


async def unsubscribe(request: Request) -> Response:
    """The form's button, or a mail program's one-click unsubscribe (RFC 8058): the signed token is
    what allows it, so no session and no origin is asked for."""
    from . import preferences
    lang = _lang(request)
    try:
        found = await run_in_threadpool(_unsubscribing, request)
        if found is None:
            return _unsubscribe_page(lang, t("unsubscribe.invalid", lang), status=400)
        kept = await run_in_threadpool(preferences.unsubscribe, _db(), found[0], found[1], _address(request))
    except DatabaseProblem as problem:
        return _unsubscribe_page(lang, problem.message(lang), status=503)
    if not kept:
        return _unsubscribe_page(lang, t("unsubscribe.invalid", lang), status=400)
    return _unsubscribe_page(lang, t("unsubscribe.done", lang, kinds=_kind_words(found[1], lang)))


def routes() -> list[Route]:
    """Sign-in and sign-out, and the read-only API (pop_analytics.api)."""
    from . import api  # the API's modules load with the server, not with every sign-in test
    return [Route("/signin", signin_form, methods=["GET"]), Route("/signin", signin_submit, methods=["POST"]),
            Route("/signout", signout_form, methods=["GET"]), Route("/signout", signout, methods=["POST"]),
            Route("/unsubscribe", unsubscribe_form, methods=["GET"]),
            Route("/unsubscribe", unsubscribe, methods=["POST"]),
            *api.routes()]


def admission(token: str | None, address: str | None) -> str:
    """Whether a browser may open the app's pages: "open" with no users yet (local mode), with the
    public donor view or with an open session; "expired" when its session timed out (recorded
    now); "closed" otherwise."""
    db = _db()
    if not db.exists() or settings.PUBLIC_DONOR_VIEW:
        return "open"
    with db.snapshot() as snapshot:
        users_exist, found = accounts.sessions_seen(snapshot, accounts.token_hash(token) if token else "")
    if not users_exist:
        return "open"
    if token is None or found is None:
        return "closed"
    if accounts.session_viewer(found, accounts.token_hash(token), address) is None:
        accounts.expired(db, token, address)
        return "expired"
    return "open"


class SignInFirst:
    """A page of the app opened by a browser that is not signed in goes to the sign-in form, with
    the page (and its query string) to come back to. The app checks the session again on every run."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or _not_a_page(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            state = await run_in_threadpool(admission, request.cookies.get(settings.SESSION_COOKIE),
                                            _address(request))
        except DatabaseProblem:
            state = "open"  # the app itself says what is wrong with the database
        if state == "open":
            await self.app(scope, receive, send)
            return
        wanted = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else "")
        query = {"next": safe_next(wanted), **({"expired": "1"} if state == "expired" else {})}
        if request.query_params.get("lang") in settings.LANGUAGES:
            query["lang"] = request.query_params["lang"]
        await RedirectResponse("/signin?" + urlencode(query), status_code=303)(scope, receive, send)


class SocketGate:
    """The app's WebSocket (every page's data and every click travel on it) opens only for a page
    of the app's own origin, only with an open session once users exist, and only while this
    process holds fewer than MAX_SESSIONS_PER_PROCESS: checked where the upgrade arrives, before
    Streamlit accepts it. A refused upgrade is answered 403 and never becomes a session."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.open = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        refusal = await self._refusal(scope)
        if refusal:
            _LOG.warning("WebSocket refused (%s): origin %r, host %r", refusal,
                         _header(scope, "origin"), _header(scope, "host"))
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008 if refusal != "full" else 1013})
            return
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1

    async def _refusal(self, scope: Scope) -> str:
        origin = _header(scope, "origin")
        if origin is not None and not trusted_origin(origin, _header(scope, "host")):
            return "origin"
        if self.open >= settings.MAX_SESSIONS_PER_PROCESS:
            return "full"
        connection = HTTPConnection(scope)
        try:
            state = await run_in_threadpool(admission, connection.cookies.get(settings.SESSION_COOKIE),
                                            _address(connection))
        except DatabaseProblem:
            state = "open"  # the app's page says what is wrong with the database
        return "" if state == "open" else "session"


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode("latin-1")
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return value.decode("latin-1")
    return None


class NoFraming:
    """Pages of the app are not framed by other origins (clickjacking): same-site pages on other
    ports included, unless settings.EMBED_ORIGINS names them (a tile or chart embedded in the
    network's website, `?embed=true`). A response that sets its own policy keeps it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def framed(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {key.lower() for key, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", frame_ancestors().encode("latin-1")))
                if b"x-frame-options" not in names and not settings.EMBED_ORIGINS:
                    headers.append((b"x-frame-options", b"SAMEORIGIN"))  # older browsers: no frame-ancestors
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, framed)


def frame_ancestors() -> str:
    """Who may frame the app's pages: itself, and the origins settings.EMBED_ORIGINS names."""
    return " ".join(["frame-ancestors 'self'", *settings.EMBED_ORIGINS])


class KnownBase:
    """A page opened by its address (/tracker) tells Streamlit's script where the server is: left to
    guess, the script asks /tracker/_stcore/health first, is answered 404, and connects only at its
    retry of the folder above, about 100 ms later on every page opened by address or refreshed. The
    base is the page's folder as the browser sees it, so it holds behind a proxy that adds a prefix."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _a_named_page(scope):
            await self.app(scope, receive, send)
            return
        started: MutableMapping[str, Any] = {}
        body = bytearray()

        async def told(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
                return
            if message["type"] != "http.response.body" or not _html(started) or started.get("status") != 200:
                if started:
                    await send(dict(started))
                    started.clear()
                await send(message)
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                await _send_with_base(started, bytes(body), send, compressed)

        # Streamlit compresses its pages inside this middleware: asked for plain bytes, it sends them
        # plain, to be read, changed and compressed here again for a browser that asked for it.
        headers = scope.get("headers", [])
        compressed = accepts_gzip(b",".join(value for key, value in headers if key.lower() == b"accept-encoding"))
        plain = [(key, value) for key, value in headers if key.lower() != b"accept-encoding"]
        await self.app({**scope, "headers": plain}, receive, told)


def accepts_gzip(accept_encoding: bytes) -> bool:
    """Whether an Accept-Encoding header allows gzip (RFC 9110 § 12.5.3): named, or matched by "*",
    with a weight above 0; "gzip;q=0" refuses it whatever else the header says."""
    found = negotiation.weights(accept_encoding.decode("latin-1"))
    for coding in ("gzip", "x-gzip", "*"):
        if coding in found:
            return found[coding] > 0
    return False


_BASE_SCRIPT = b'<script>window.__streamlit = {BACKEND_BASE_URL: new URL(".", location.href).href}</script>'
_FIRST_SCRIPT = b"<script"


def _a_named_page(scope: Scope) -> bool:
    """A GET of one of the app's pages by its name: one path segment (/tracker), not the main page
    (/, where the script's guess is right) nor a path with a trailing slash (whose folder is itself)."""
    path = scope.get("path", "")
    return (scope["type"] == "http" and scope.get("method") == "GET" and not _not_a_page(path)
            and path.count("/") == 1 and len(path) > 1)


def _html(started: MutableMapping[str, Any]) -> bool:
    return any(key.lower() == b"content-type" and value.startswith(b"text/html")
               for key, value in started.get("headers", []))


async def _send_with_base(started: MutableMapping[str, Any], page: bytes, send: Send, compressed: bool) -> None:
    """The page with the base set before its first script, gzipped when the browser asked (8 KB →
    2.4 KB). Its validators go: the file's ETag no longer names these bytes, and a browser asking
    again gets the page whole."""
    at = page.find(_FIRST_SCRIPT)
    if at >= 0:
        page = page[:at] + _BASE_SCRIPT + page[at:]
    dropped = {b"content-length", b"content-encoding", b"vary", b"etag", b"last-modified"}
    headers = [(key, value) for key, value in started.get("headers", []) if key.lower() not in dropped]
    headers.append((b"vary", b"Accept-Encoding"))
    if compressed:
        page = gzip.compress(page)
        headers.append((b"content-encoding", b"gzip"))
    await send({**started, "headers": [*headers, (b"content-length", str(len(page)).encode("latin-1"))]})
    await send({"type": "http.response.body", "body": page, "more_body": False})


def middleware() -> list[Middleware]:
    return [Middleware(NoFraming), Middleware(SocketGate), Middleware(SignInFirst), Middleware(KnownBase)]


_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

_STYLE = """<style>
 body { font-family: "Source Sans Pro", "Segoe UI", system-ui, sans-serif; background: #f6f7f9; color: #1f2430;
        margin: 0; display: flex; min-height: 100vh; align-items: center; justify-content: center; }
 main { background: #fff; border: 1px solid #dde1e6; border-radius: 10px; padding: 2rem; width: min(24rem, 88vw); }
 h1 { font-size: 1.5rem; margin: 0 0 .25rem; } .app { color: #5a6170; margin: 0 0 1.25rem; }
 label { display: block; font-weight: 600; margin: 1rem 0 .3rem; }
 input { width: 100%; box-sizing: border-box; font-size: 1rem; padding: .55rem .6rem; border: 1px solid #b8bfc9;
         border-radius: 6px; }
 button { margin-top: 1.4rem; width: 100%; font-size: 1rem; padding: .6rem; border: 0; border-radius: 6px;
          background: #d62d20; color: #fff; font-weight: 600; cursor: pointer; }
 .error { background: #fdecea; color: #8a1c12; padding: .6rem .75rem; border-radius: 6px; }
 .note { background: #e8f1fb; color: #123c69; padding: .6rem .75rem; border-radius: 6px; }
 .help, .switch { color: #5a6170; font-size: .9rem; margin-top: 1.2rem; }
</style>"""

_FORM = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {app}</title>
""" + _STYLE.replace("{", "{{").replace("}", "}}") + """</head>
<body><main>
<h1>{title}</h1><p class="app">{app}</p>
<p>{intro}</p>
{note}{message}
<form method="post" action="{action}">
<input type="hidden" name="csrf" value="{csrf}">
<label for="name">{name_label}</label>
<input id="name" name="name" autocomplete="username" required maxlength="64" value="{name}" autofocus>
<label for="password">{password_label}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{submit}</button>
</form>
<p class="help">{help}</p>
<p class="switch">{switch}</p>
</main></body></html>
"""

_SIGNOUT_REFUSED = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
{style}</head>
<body><main><h1>{title}</h1><p class="error" role="alert">{message}</p></main></body></html>
"""

_ASKING = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {app}</title>
{style}</head>
<body><main>
<h1>{title}</h1><p class="app">{app}</p>
<p role="status">{message}</p>
{form}
</main></body></html>
"""
