"""Who is here, and what they may see and do: the one place the app asks about roles. The router
offers only the pages the viewer may open (pages), admit decides the rows every query of a page run
counts, permit checks every write again on the server, and require_page is every restricted page's
first line."""
from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

import streamlit as st
from streamlit import runtime
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from .. import access, accounts, present, queries, reporting, settings
from ..access import Viewer
from ..database import Snapshot
from ..errors import AccessDenied, DatabaseProblem
from ..i18n import t
from ..scope import DONOR_SIGHT, Sight
from .data import data, db
from .run import sight, viewer
from .state import INCLUDE_SUBMITTED_KEY, embedded, lang, tr

# The pages in the order the menu lists them: name (catalogue key, URL path and app_pages/<name>.py)
# and Material icon.
_ICONS = {"overview": "dashboard", "tracker": "fact_check", "priority": "flag", "participation": "groups",
          "municipality": "location_city", "targets": "track_changes", "reports": "summarize",
          "reporting": "event_available", "quality": "rule",
          "upload": "upload_file", "history": "history", "users": "manage_accounts", "audit": "policy",
          "account": "key"}
# name, file, icon
PAGES = tuple((name, f"app_pages/{name}.py", f":material/{icon}:") for name, icon in _ICONS.items())


# Pages the shared filters do not change: the sidebar shows no filters there (the URL keeps them).
UNFILTERED_PAGES = frozenset({"upload", "history", "users", "audit", "account"})
SECTIONS = {"section.explore": ("overview", "tracker", "priority", "participation", "municipality", "targets",
                                 "reports"),
            "section.data": ("reporting", "quality", "upload", "history"),
            "section.admin": ("users", "audit")}
# Pages reached from the account box, not the menu: Streamlit folds a menu of more than twelve
# pages behind "View more", and the one page about the reader's own account belongs beside their name.
ACCOUNT_PAGE = "account"


# The browser's session token, when the app was opened without the cookie (a test, a tab of its own).
TOKEN_KEY = "_session_token"


def _address() -> str | None:
    try:
        address = st.context.ip_address
    except (AttributeError, RuntimeError):
        return None
    return address if isinstance(address, str) and address else "localhost"  # Streamlit gives None for localhost


def _token() -> str | None:
    token = st.session_state.get(TOKEN_KEY)
    if token:
        return str(token)
    try:
        cookie = st.context.cookies.get(settings.SESSION_COOKIE)
    except (AttributeError, RuntimeError):
        return None
    return cookie if isinstance(cookie, str) and cookie else None  # AppTest has no browser, hence no cookies


def _who(snapshot: Snapshot) -> Viewer | None:
    """The person this run is for: local mode without users; else the signed-in user (None when
    nobody is signed in, or the session ended), or an anonymous donor when the public view is on."""
    token = _token()
    hashed = accounts.token_hash(token) if token else ""
    users_exist, found = accounts.sessions_seen(snapshot, hashed)
    person = _viewer_of(users_exist, found, hashed, _address())
    if users_exist and (person is None or person.how == "public") and (found is not None or _ended_here(hashed)):
        st.session_state["_session_ended"] = True
    return person


def _viewer_of(users_exist: bool, found: dict | None, hashed: str, address: str | None) -> Viewer | None:
    """Who a request is for, from what the database says now: everyone is the local coordinator
    without users; else the session's user while it is open, an anonymous donor with the public
    view, or nobody."""
    if not users_exist:
        return access.local_viewer(address)
    person = accounts.session_viewer(found, hashed, address)
    if person is None and settings.PUBLIC_DONOR_VIEW:
        return access.public_viewer(address)
    return person


# Sessions (token hashes) this process refused a click for: the page run after it says the session
# ended, also when its row is gone (signed out elsewhere, user removed, password changed).
_refused: set[str] = set()
_refused_lock = threading.Lock()


def _end_here(hashed: str) -> None:
    if not hashed:
        return
    with _refused_lock:
        if len(_refused) > 10_000:  # a tab that never came back; its page would only say "sign in"
            _refused.clear()
        _refused.add(hashed)


def _ended_here(hashed: str) -> bool:
    with _refused_lock:
        if hashed in _refused:
            _refused.discard(hashed)
            return True
        return False


def admit(snapshot: Snapshot) -> tuple[Viewer | None, Sight]:
    """At the start of a page run: who is here, and so what the run's queries may count."""
    person = _who(snapshot)
    return person, _sight_of(person)


def current_sight() -> Sight:
    """The rows this run counts: the viewer's, with or without submitted imports as a coordinator chose."""
    return _sight_of(viewer())


def _sight_of(person: Viewer | None) -> Sight:
    if person is None:
        return DONOR_SIGHT
    return person.sight(include_submitted=bool(st.session_state.get(INCLUDE_SUBMITTED_KEY, True)))


def may(action: str) -> bool:
    person = viewer()
    return person is not None and person.may(action)


def permit(action: str) -> Viewer:
    """The viewer, when their role allows action; AccessDenied otherwise. Every write calls this on
    the server, whatever its page showed. Callbacks run before the page run: they find the viewer
    from the session themselves."""
    person = viewer() or _callback_viewer()
    if person is None:
        token = _token()
        _end_here(accounts.token_hash(token) if token else "")
        raise AccessDenied("session_ended")
    access.require(person, action)
    return person


def _callback_viewer() -> Viewer | None:
    """The viewer outside a page run (a button's callback), from a snapshot of its own."""
    snapshot = db().snapshot()
    try:
        return _who(snapshot)
    finally:
        snapshot.close()


@dataclass(frozen=True)
class Reader:
    """Who a page run showed a download to, taken while it ran: the download's data is made later,
    on a thread of its own, when the button is clicked (Streamlit's deferred download)."""

    token_hash: str
    address: str | None
    viewer: Viewer | None
    sight: Sight
    tab: str | None  # Streamlit's session id of the browser tab, to run its page again


def reader() -> Reader:
    token = _token()
    ctx = get_script_run_ctx()
    return Reader(accounts.token_hash(token) if token else "", _address(), viewer(), sight(),
                  ctx.session_id if ctx is not None else None)


def still_reading(captured: Reader) -> Viewer:
    """At click time: the viewer, when the session the page ran for is still open (not signed out,
    its user not removed, not idle, not past a working day, no new password since) and shows the
    same person the same rows. AccessDenied otherwise, and the tab's page runs again to say the
    session ended."""
    with db().snapshot() as snapshot:
        users_exist, found = accounts.sessions_seen(snapshot, captured.token_hash)
    person = _viewer_of(users_exist, found, captured.token_hash, captured.address)
    if person is None or person != captured.viewer or \
            captured.sight not in (person.sight(include_submitted=True), person.sight(include_submitted=False)):
        _end_here(captured.token_hash)
        _run_page_again(captured.tab)
        raise AccessDenied("session_ended")
    return person


Made = TypeVar("Made")


def checked_at_click(make: Callable[[], Made]) -> Callable[[], Made]:
    """make, as a download button's deferred data: it runs only if still_reading allows it, for the
    reader of this page run."""
    captured = reader()

    def checked() -> Made:
        still_reading(captured)
        return make()
    return checked


def _run_page_again(tab: str | None) -> None:
    """Ask Streamlit to run a tab's page again from a download's thread, where no page runs, as its
    own "run on save" does (AppSession.request_rerun with the tab's last state, on the event loop):
    Streamlit offers no public call for it. A tab already closed, or AppTest, has nothing to rerun;
    the download is refused all the same."""
    if not tab or not runtime.exists():
        return
    session = runtime.get_instance().get_app_session(tab)
    if session is None:
        return
    loop, last_state = getattr(session, "_event_loop", None), getattr(session, "_client_state", None)
    if loop is None:
        return
    with suppress(RuntimeError):  # the server is shutting down: no page to show
        loop.call_soon_threadsafe(session.request_rerun, last_state)


def require_page(name: str) -> None:
    """First line of every page that not every role may open: a URL typed by hand ends here."""
    person = viewer()
    if person is None or not person.may_open(name):
        st.error(tr("access.page", role=tr(f"role.{person.role}") if person else "—"), icon=":material/block:")
        st.stop()


def pages() -> dict[str, list[StreamlitPage]]:
    """The pages this viewer may open, in the reader's language (their URL paths never change).
    Streamlit serves its default page at "/" only, so /overview would be "page not found": the
    default is a hidden page that forwards to /overview with the link's query string. Nobody signed
    in: only the way to sign in."""
    person = viewer()
    if person is None:
        return {"": [st.Page(_sign_in_first, title=tr("signin.title"), url_path="signin_first", default=True)]}
    by_name = {name: st.Page(path, title=tr(f"page.{name}.title"), icon=icon, url_path=name,
                             visibility="hidden" if name == ACCOUNT_PAGE else "visible")
               for name, path, icon in PAGES if person.may_open(name) and _shared(person, name)}
    home = st.Page(_home, title=tr("page.overview.title"), url_path="home", default=True, visibility="hidden")
    # A page the role may not open, typed into the address bar, says so on the Overview (instead of
    # Streamlit's English "Page not found"); it runs nothing of the page itself.
    closed = [st.Page(functools.partial(_not_for_role, name), title=tr(f"page.{name}.title"), url_path=name,
                      visibility="hidden") for name, _, _ in PAGES if name not in by_name]
    listed = {tr(section): [by_name[n] for n in names if n in by_name] for section, names in SECTIONS.items()}
    listed = {section: found for section, found in listed.items() if found}
    mine = [by_name[ACCOUNT_PAGE]] if ACCOUNT_PAGE in by_name else []
    next(iter(listed.values())).extend([home, *mine, *closed])
    return listed


def _shared(person: Viewer, name: str) -> bool:
    """The Reporting page, for a reader who does not see who reported (a donor), only once a
    coordinator shared the rates."""
    return name != "reporting" or person.may("see_reporting") or bool(data(reporting.donors_see_rates))


NOT_FOR_ROLE_KEY = "_page_not_for_role"


def _not_for_role(name: str) -> None:
    st.session_state[NOT_FOR_ROLE_KEY] = name
    _home()


def _sign_in_first() -> None:
    """Nobody is signed in here (a session that ended while the tab was open, or the app served
    without the sign-in routes): say so, and go to the sign-in form."""
    ended = st.session_state.pop("_session_ended", False)
    signed_out = st.session_state.pop("_signed_out", False)
    st.title(tr("app.title"))
    if signed_out:  # the session ended in the button's callback; the sign-out route drops the cookie
        st.info(tr("signin.signed_out"), icon=":material/logout:")
        st.markdown(f"[{tr('signin.title')}](/signin?{urlencode({'lang': lang(), 'signed_out': 1})})")
        go_to("/signout?" + urlencode({"lang": lang()}), post=True)
        return
    query = {"lang": lang(), "next": "/" + _page_path(), **({"expired": 1} if ended else {})}
    target = "/signin?" + urlencode(query)
    st.info(tr("signin.expired" if ended else "signin.needed"), icon=":material/lock:")
    st.markdown(f"[{tr('signin.title')}]({target})")
    go_to(target)


def _page_path() -> str:
    try:
        url = st.context.url or ""
    except (AttributeError, RuntimeError):
        url = ""
    return url.split("://", 1)[-1].partition("/")[2].split("?")[0]


def go_to(target: str, post: bool = False) -> None:
    """Send the browser to a path of this site (the sign-in and sign-out routes, which Streamlit's
    own messages cannot reach): target is built here from fixed paths and encoded values only. A
    route that changes state (sign-out) is posted to, as a form of this origin."""
    if not target.startswith("/") or target.startswith("//"):
        raise ValueError(target)
    script = json.dumps(target).replace("</", "<\\/")
    if post:
        action = ("const f = document.createElement('form'); f.method = 'post'; "
                  f"f.action = {script}; document.body.appendChild(f); f.submit();")
    else:
        action = f"window.location.replace({script});"
    st.html(f"<script>{action}</script>", unsafe_allow_javascript=True)


def current_page() -> str:
    """The URL path of the page this run shows ('' outside a page run)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return ""
    found = ctx.pages_manager.get_pages().get(ctx.pages_manager.current_page_script_hash)
    return str(found.get("url_pathname") or "") if found else ""


def _home() -> None:
    params = st.query_params
    overview = next(path for name, path, _ in PAGES if name == "overview")
    st.switch_page(overview, query_params=[(k, v) for k in params for v in params.get_all(k)])


def banner() -> None:
    """What the reader must know before reading any page: local mode (no users yet), or the
    public view."""
    person = viewer()
    if person is None:
        return
    closed = st.session_state.get(NOT_FOR_ROLE_KEY)
    if closed and current_page() != closed:  # said on the page it forwarded to, once
        del st.session_state[NOT_FOR_ROLE_KEY]
        st.warning(tr("access.page_not_for_role", page=tr(f"page.{closed}.title"), role=tr(f"role.{person.role}")),
                   icon=":material/block:")
    # Banners, not alerts: the alerts of a page are its own news (a link's ignored value, a file's problems).
    if embedded():  # a tile on the network's website: the page alone
        return
    if person.how == "local":
        st.markdown(f":orange-background[:material/lock_open: {tr('app.local_mode')}]")
    elif person.how == "public":
        link = "/signin?" + urlencode({"lang": lang()})
        st.markdown(f":blue-background[:material/public: {tr('app.public_view', link=link)}]")


def submitted_note() -> None:
    """Under a view's filters: how many imports still waiting for approval it counts (donors see
    none of them). A partner counts their own."""
    person = viewer()
    if person is None or not person.may("see_submitted") or current_sight().approved_only:
        return
    waiting = data(queries.submitted_count, by=None if person.may("review") else person.name)
    if waiting:
        imports = t(f"count.submitted.{'one' if waiting == 1 else 'other'}", lang(), n=present.number(waiting, lang()))
        st.caption(f":orange[:material/hourglass_top: {tr('app.includes_submitted', imports=imports)}]")


def account_box() -> None:
    """Who is signed in, and the way out; a coordinator chooses whether submitted data counts."""
    person = viewer()
    if person is None or person.how in ("local", "public"):
        return
    places = ", ".join(person.municipalities) if person.municipalities else tr("account.all_municipalities")
    st.caption(tr("account.signed_in", name=person.name, role=tr(f"role.{person.role}"), places=places))
    st.page_link(f"app_pages/{ACCOUNT_PAGE}.py", label=tr("account.link"), icon=":material/key:")
    st.button(tr("account.sign_out"), key="sign_out", icon=":material/logout:", on_click=_sign_out)


def _sign_out() -> None:
    token = _token()
    if token:
        with suppress(DatabaseProblem):  # the session still ends when idle; the cookie goes on the sign-out route
            accounts.sign_out(db(), token, _address())
    st.session_state.pop(TOKEN_KEY, None)
    st.session_state["_signed_out"] = True
