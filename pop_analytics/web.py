"""Sign-in and sign-out as plain HTTP beside the Streamlit app (serve.py mounts them): only an
HTTP response can set the HttpOnly cookie that keeps a browser signed in across page refreshes,
which Streamlit's own messages (over a WebSocket) cannot.

The form is a plain HTML page in the reader's language, with no script. It is protected against
cross-site posting by a same-origin check and a token that must match a SameSite=Strict cookie.
Pages of the app itself redirect here when someone who is not signed in opens them.
"""
from __future__ import annotations

import html
import secrets
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import accounts, settings, store
from .database import Database
from .errors import DatabaseProblem, SignInRefused
from .i18n import preferred, t

CSRF_COOKIE = "pop_signin_form"
# Paths Streamlit serves besides its pages (scripts, styles, the WebSocket, uploads, media): never redirected.
_NOT_PAGES = ("/_stcore", "/static", "/component", "/media", "/app/static", "/signin", "/signout", "/favicon",
              "/manifest.json", "/robots.txt")


def _db() -> Database:
    return Database(settings.database_path())


def _lang(request: Request) -> str:
    """?lang= when given, else the browser's first language we have, else Albanian."""
    asked = request.query_params.get("lang", "")
    if asked in settings.LANGUAGES:
        return asked
    return preferred(request.headers.get("accept-language", "").split(","))


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never //host or a scheme)."""
    target = target or "/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(c < " " for c in target):
        return "/"
    return target


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    host = request.headers.get("host", "")
    return bool(host) and origin.split("://", 1)[-1].split("/", 1)[0] == host


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


async def signout(request: Request) -> Response:
    token = request.cookies.get(settings.SESSION_COOKIE)
    if token:
        try:
            await run_in_threadpool(accounts.sign_out, _db(), token, _address(request))
        except DatabaseProblem:
            pass  # the cookie goes below all the same; the session also ends when idle
    lang = _lang(request)
    response = RedirectResponse("/signin?" + urlencode({"lang": lang, "signed_out": 1}), status_code=303)
    response.delete_cookie(settings.SESSION_COOKIE, path="/")
    return response


def routes() -> list[Route]:
    return [Route("/signin", signin_form, methods=["GET"]), Route("/signin", signin_submit, methods=["POST"]),
            Route("/signout", signout, methods=["GET"])]


def admission(token: str | None, address: str | None) -> str:
    """Whether a browser may open the app's pages: "open" with no users yet (local mode), with the
    public donor view or with an open session; "expired" when its session timed out (recorded
    now); "closed" otherwise."""
    db = _db()
    if not db.path.exists() or settings.PUBLIC_DONOR_VIEW:
        return "open"
    with db.reading() as con:
        if store.user_count(con) == 0:
            return "open"
        found = store.session(con, accounts.token_hash(token)) if token else None
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
        if scope["type"] != "http" or scope.get("method") != "GET" or scope["path"].startswith(_NOT_PAGES):
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


def middleware() -> list[Middleware]:
    return [Middleware(SignInFirst)]


_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

_FORM = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {app}</title>
<style>
 body {{ font-family: "Source Sans Pro", "Segoe UI", system-ui, sans-serif; background: #f6f7f9; color: #1f2430;
        margin: 0; display: flex; min-height: 100vh; align-items: center; justify-content: center; }}
 main {{ background: #fff; border: 1px solid #dde1e6; border-radius: 10px; padding: 2rem; width: min(24rem, 88vw); }}
 h1 {{ font-size: 1.5rem; margin: 0 0 .25rem; }} .app {{ color: #5a6170; margin: 0 0 1.25rem; }}
 label {{ display: block; font-weight: 600; margin: 1rem 0 .3rem; }}
 input {{ width: 100%; box-sizing: border-box; font-size: 1rem; padding: .55rem .6rem; border: 1px solid #b8bfc9;
         border-radius: 6px; }}
 button {{ margin-top: 1.4rem; width: 100%; font-size: 1rem; padding: .6rem; border: 0; border-radius: 6px;
          background: #d62d20; color: #fff; font-weight: 600; cursor: pointer; }}
 .error {{ background: #fdecea; color: #8a1c12; padding: .6rem .75rem; border-radius: 6px; }}
 .note {{ background: #e8f1fb; color: #123c69; padding: .6rem .75rem; border-radius: 6px; }}
 .help, .switch {{ color: #5a6170; font-size: .9rem; margin-top: 1.2rem; }}
</style></head>
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
