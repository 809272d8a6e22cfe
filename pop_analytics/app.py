"""The Streamlit side of the dashboard (the only module of the package that imports streamlit):
the database connection, the language, the shared filters and the URL, cached queries, and the
few ways a page shows things (tiles, tables with downloads, charts, empty states).

Pages stay short: they ask here for data and for the ways to show it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from . import access, accounts, aliases, approval, importing, present, queries, reference, settings, store, template
from . import filters as filtering
from .access import Viewer
from .database import Database, Snapshot
from .errors import AccessDenied, DatabaseBusy, DatabaseProblem, Refusal, UndoRefused
from .filters import Filters
from .i18n import t
from .matching import SavedMapping
from .scope import DONOR_SIGHT, EVERYTHING, Sight
from .text import fold

LANG_KEY = "lang"
WIDGET_KEYS = {"municipality": "filter_municipality", "year": "filter_year", "theme": "filter_theme",
               "cycle": "filter_cycle"}
URL_KEYS = (*WIDGET_KEYS, "lang")

# The pages: name (catalogue key and URL path), file, icon.
PAGES = (
    ("overview", "app_pages/overview.py", ":material/dashboard:"),
    ("tracker", "app_pages/tracker.py", ":material/fact_check:"),
    ("participation", "app_pages/participation.py", ":material/groups:"),
    ("municipality", "app_pages/municipality.py", ":material/location_city:"),
    ("quality", "app_pages/quality.py", ":material/rule:"),
    ("upload", "app_pages/upload.py", ":material/upload_file:"),
    ("history", "app_pages/history.py", ":material/history:"),
    ("users", "app_pages/users.py", ":material/manage_accounts:"),
    ("audit", "app_pages/audit.py", ":material/policy:"),
)
SECTIONS = {"section.explore": ("overview", "tracker", "participation", "municipality"),
            "section.data": ("quality", "upload", "history"),
            "section.admin": ("users", "audit")}
# The browser's session token, when the app was opened without the cookie (a test, a tab of its own).
TOKEN_KEY = "_session_token"
INCLUDE_SUBMITTED_KEY = "include_submitted"


# ── language ─────────────────────────────────────────────────────────────────────────────────

def lang() -> str:
    value = st.session_state.get(LANG_KEY)
    return value if value in settings.LANGUAGES else settings.LANGUAGES[0]


def tr(key: str, **params: object) -> str:
    """The catalogue text for key in the reader's language, for an element that renders Markdown
    (every st.* text element, alert, caption, label and help does): the catalogue's own Markdown
    stays, every parameter is escaped, so a value from a sheet, a file name or a link shows as typed.
    Where nothing renders Markdown (an option of a select box, a table cell) use i18n.t."""
    return t(key, lang(), **{name: escape(value) for name, value in params.items()})


def term(vocabulary: str, key: str) -> str:
    return reference.term_label(vocabulary, key, lang())


# ── database ─────────────────────────────────────────────────────────────────────────────────
# The app keeps no connection between reads (pop_analytics.database): each page run reads one
# snapshot, opened on its first uncached query and closed when the run ends, so the CLI, a backup
# and other app processes can use the file at any other moment.

def database() -> str:
    return str(settings.database_path().resolve())


@st.cache_resource(show_spinner=False)
def _database(path: str) -> Database:
    """One per process and file; the file is created, or brought forward, once before any read."""
    db = Database(path)
    db.ensure()
    return db


def db() -> Database:
    return _database(database())


# The snapshot of the page run on this thread (Streamlit runs each session's script on its own thread).
_run = threading.local()


@st.cache_resource(show_spinner=False)
def _seen_versions() -> dict[str, str]:
    """The data version each database was last read at, for this process."""
    return {}


@contextmanager
def page_run() -> Iterator[None]:
    """Everything a page run reads comes from one snapshot, showing what the person here may see
    (viewer()). When any process wrote since this process last looked, the cached queries are
    forgotten first."""
    try:
        snapshot = db().snapshot()
    except DatabaseProblem as problem:
        _cannot_read(problem)
        return
    _run.snapshot = snapshot
    seen = _seen_versions()
    if seen.get(database()) != snapshot.version:
        _cached.clear()
        _sessions_seen().clear()
        seen[database()] = snapshot.version
    try:
        _run.viewer = _who(snapshot)
        snapshot.show(current_sight())
        yield
    except DatabaseProblem as problem:  # the file went bad or busy under a running app
        _cannot_read(problem)
    finally:
        _run.snapshot = None
        _run.viewer = None
        snapshot.close()


def _cannot_read(problem: DatabaseProblem) -> None:
    """A sentence instead of the page (the language can still be switched)."""
    with st.sidebar:
        language_choice()
    st.title(tr("app.title"))
    st.error(escape(problem.message(lang())), icon=":material/database:")
    if isinstance(problem, DatabaseBusy):
        st.button(tr("app.busy_retry"), icon=":material/refresh:", key="busy_retry")
    st.stop()


# ── who is here, and what they may see and do ───────────────────────────────────────────────
# The one place the app asks about roles: the router offers only the pages viewer() may open,
# current_sight() decides the rows every query counts, and permit() checks every write again.

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


@st.cache_resource(show_spinner=False)
def _sessions_seen() -> dict[tuple[str, str], tuple[bool, dict | None]]:
    """Per data version: whether the database has users, and each session token's row (a sign-in,
    sign-out or user change is a write, so it changes the version and empties this)."""
    return {}


def _who(snapshot: Snapshot) -> Viewer | None:
    """The person this run is for: local mode without users; else the signed-in user (None when
    nobody is signed in, or the session ended), or an anonymous donor when the public view is on."""
    token = _token()
    hashed = accounts.token_hash(token) if token else ""
    cache, key = _sessions_seen(), (snapshot.version, hashed)
    if key not in cache:
        with snapshot.beside(EVERYTHING) as con:
            cache[key] = (store.user_count(con) > 0, store.session(con, hashed) if hashed else None)
    users_exist, found = cache[key]
    if not users_exist:
        return access.local_viewer(_address())
    viewer = accounts.session_viewer(found, hashed, _address())
    if viewer is None and found is not None:
        st.session_state["_session_ended"] = True
    if viewer is None and settings.PUBLIC_DONOR_VIEW:
        return access.public_viewer(_address())
    return viewer


def viewer() -> Viewer | None:
    return getattr(_run, "viewer", None)


def current_sight() -> Sight:
    """The rows this run counts: the viewer's, with or without submitted imports as a coordinator chose."""
    person = viewer()
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
        raise AccessDenied(action, name="—", role="—")
    access.require(person, action)
    return person


def _callback_viewer() -> Viewer | None:
    """The viewer outside a page run (a button's callback), from a snapshot of its own."""
    snapshot = db().snapshot()
    try:
        return _who(snapshot)
    finally:
        snapshot.close()


def require_page(name: str) -> None:
    """First line of every page that not every role may open: a URL typed by hand ends here."""
    person = viewer()
    if person is None or not person.may_open(name):
        st.error(tr("access.page", role=tr(f"role.{person.role}") if person else "—"), icon=":material/block:")
        st.stop()


def _snapshot_connection():
    snapshot = getattr(_run, "snapshot", None)
    if snapshot is None:
        raise RuntimeError("app.data() is for page runs (app.page_run); downloads use app.read()")
    return snapshot.connection()


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached(path: str, version: str, sight: str, name: str, language: str, args: tuple, kwargs: tuple):
    """Any pop_analytics.queries function, cached per database, data version, what the reader may
    see, filters (in args) and language."""
    return getattr(queries, name)(_snapshot_connection(), *args, **dict(kwargs))


def data(name: str, *args, **kwargs):
    """queries.<name>(snapshot, *args, **kwargs), cached until any process changes the data."""
    snapshot = getattr(_run, "snapshot", None)
    version = snapshot.version if snapshot is not None else ""
    return _cached(database(), version, repr(current_sight()), name, lang(), args, tuple(sorted(kwargs.items())))


def read(name: str, *args, sight: Sight = DONOR_SIGHT, **kwargs):
    """queries.<name> on a snapshot of its own, showing what sight allows (the page run's, taken
    when the page ran): for work outside a page run (a download button's deferred data), uncached."""
    with db().reading(sight=sight) as con:
        return getattr(queries, name)(con, *args, **kwargs)


# ── the URL and the filters ──────────────────────────────────────────────────────────────────

def start() -> None:
    """Once per session: take language and filters from the URL; a bad value becomes a note."""
    if st.session_state.get("_started"):
        return
    st.session_state["_started"] = True
    params = st.query_params
    chosen, rejected = filtering.resolve_lenient(**{k: params.get_all(k) for k in WIDGET_KEYS})
    notes = [(u.kind, u.value, u.suggestion) for u in rejected]
    asked = [v.strip().lower() for v in params.get_all("lang") for v in v.split(",") if v.strip()]
    if asked and asked[-1] in settings.LANGUAGES:
        st.session_state[LANG_KEY] = asked[-1]
    else:
        st.session_state[LANG_KEY] = settings.LANGUAGES[0]
        notes += [("lang", value, None) for value in asked[-1:]]
    _set_widgets(chosen)
    st.session_state["_url_filters"] = chosen
    st.session_state["_url_notes"] = notes


def _set_widgets(chosen: Filters) -> None:
    st.session_state[WIDGET_KEYS["municipality"]] = list(chosen.municipality)
    st.session_state[WIDGET_KEYS["year"]] = list(chosen.year)
    st.session_state[WIDGET_KEYS["theme"]] = list(chosen.theme)
    st.session_state[WIDGET_KEYS["cycle"]] = chosen.cycle or ""


def _reset() -> None:
    _set_widgets(Filters())


def current_filters() -> Filters:
    state = st.session_state
    return Filters(municipality=tuple(state.get(WIDGET_KEYS["municipality"]) or ()),
                   year=tuple(sorted(state.get(WIDGET_KEYS["year"]) or ())),
                   theme=tuple(state.get(WIDGET_KEYS["theme"]) or ()),
                   cycle=state.get(WIDGET_KEYS["cycle"]) or None)


def _url_note(kind: str, value: str, suggestion: str | None) -> str:
    text = tr(f"url.ignored.{kind}", value=value)
    if suggestion and kind in ("municipality", "theme"):
        text += " " + tr("url.did_you_mean", suggestion=suggestion)
    return text


def pages() -> dict[str, list[StreamlitPage]]:
    """The pages this viewer may open, in the reader's language (their URL paths never change).
    Streamlit serves its default page at "/" only, so /overview would be "page not found": the
    default is a hidden page that forwards to /overview with the link's query string. Nobody signed
    in: only the way to sign in."""
    person = viewer()
    if person is None:
        return {"": [st.Page(_sign_in_first, title=tr("signin.title"), url_path="signin_first", default=True)]}
    by_name = {name: st.Page(path, title=tr(f"page.{name}.title"), icon=icon, url_path=name)
               for name, path, icon in PAGES if person.may_open(name)}
    home = st.Page(_home, title=tr("page.overview.title"), url_path="home", default=True, visibility="hidden")
    listed = {tr(section): [by_name[n] for n in names if n in by_name] for section, names in SECTIONS.items()}
    listed = {section: found for section, found in listed.items() if found}
    next(iter(listed.values())).append(home)
    return listed


def _sign_in_first() -> None:
    """Nobody is signed in here (a session that ended while the tab was open, or the app served
    without the sign-in routes): say so, and go to the sign-in form."""
    ended = st.session_state.pop("_session_ended", False)
    signed_out = st.session_state.pop("_signed_out", False)
    st.title(tr("app.title"))
    if signed_out:
        target = "/signout?" + urlencode({"lang": lang()})
        st.info(tr("signin.signed_out"), icon=":material/logout:")
    else:
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


def go_to(target: str) -> None:
    """Send the browser to a path of this site (the sign-in and sign-out routes, which Streamlit's
    own messages cannot reach): target is built here from fixed paths and encoded values only."""
    if not target.startswith("/") or target.startswith("//"):
        raise ValueError(target)
    script = json.dumps(target).replace("</", "<\\/")
    st.html(f"<script>window.location.replace({script});</script>", unsafe_allow_javascript=True)


def banner() -> None:
    """What the reader must know about this view before reading it: local mode (no users yet),
    submitted imports counted in it, or the public view."""
    person = viewer()
    if person is None:
        return
    # Banners, not alerts: the alerts of a page are its own news (a link's ignored value, a file's problems).
    if person.how == "local":
        st.markdown(f":orange-background[:material/lock_open: {tr('app.local_mode')}]")
    elif person.how == "public":
        st.markdown(f":blue-background[:material/public: {tr('app.public_view', link='/signin?' + urlencode({'lang': lang()}))}]")
    if person.may("see_submitted") and not current_sight().approved_only:
        waiting = data("submitted_count", by=None if person.may("review") else person.name)
        if waiting:
            st.caption(tr("app.includes_submitted", count=present.number(waiting, lang())))


def account_box() -> None:
    """Who is signed in, and the way out; a coordinator chooses whether submitted data counts."""
    person = viewer()
    if person is None or person.how in ("local", "public"):
        return
    places = ", ".join(person.municipalities) if person.municipalities else tr("account.all_municipalities")
    st.caption(tr("account.signed_in", name=person.name, role=tr(f"role.{person.role}"), places=places))
    st.button(tr("account.sign_out"), key="sign_out", icon=":material/logout:", on_click=_sign_out)


def _sign_out() -> None:
    token = _token()
    if token:
        try:
            accounts.sign_out(db(), token, _address())
        except DatabaseProblem:
            pass  # the session still ends when idle; the cookie goes on the sign-out route
    st.session_state.pop(TOKEN_KEY, None)
    st.session_state["_signed_out"] = True


def _home() -> None:
    params = st.query_params
    overview = next(path for name, path, _ in PAGES if name == "overview")
    st.switch_page(overview, query_params=[(k, v) for k in params for v in params.get_all(k)])


def language_choice() -> None:
    st.radio(t("app.language", lang()), settings.LANGUAGES, key=LANG_KEY, horizontal=True, persist_state="session",
             format_func=lambda code: t(f"lang.{code}", code))


def sidebar() -> Filters:
    """Language and the shared filters; the URL always says what the view shows."""
    language = lang()
    person = viewer()
    with st.sidebar:
        language_choice()
        if person is None:
            return current_filters()
        account_box()
        st.subheader(tr("filter.heading"))
        chosen = current_filters()
        municipalities = sorted(set(reference.pop_municipalities()) | set(data("municipalities"))
                                | set(chosen.municipality), key=fold)
        if person.municipalities is not None:
            municipalities = [m for m in municipalities if m in person.municipalities or m in chosen.municipality]
        st.multiselect(tr("filter.municipality"), municipalities, key=WIDGET_KEYS["municipality"],
                       persist_state="session",
                       placeholder=tr("filter.all_municipalities"))
        years = sorted(set(data("years")) | set(chosen.year))
        st.multiselect(tr("filter.year"), years, key=WIDGET_KEYS["year"], persist_state="session",
                       placeholder=tr("filter.all_years"),
                       help=tr("filter.year_help"))
        st.multiselect(tr("filter.theme"), reference.term_keys("themes"), key=WIDGET_KEYS["theme"],
                       persist_state="session",
                       format_func=lambda key: reference.term_label("themes", key, language),
                       placeholder=tr("filter.all_themes"))
        st.selectbox(tr("filter.cycle"), ["", *reference.cycles()], key=WIDGET_KEYS["cycle"], persist_state="session",
                     format_func=lambda key: key or t("filter.all_cycles", language))
        if person.may("review"):
            st.toggle(tr("filter.include_submitted"), key=INCLUDE_SUBMITTED_KEY, value=True,
                      help=tr("filter.include_submitted_help"))
        st.button(tr("filter.reset"), on_click=_reset, icon=":material/filter_alt_off:", key="filter_reset")
        st.caption(tr("filter.link_hint"))
        st.caption(tr("app.database", name=Path(database()).name))
    chosen = current_filters()
    _write_url(chosen)
    if st.session_state.get("_url_notes"):
        if chosen != st.session_state.get("_url_filters"):
            st.session_state["_url_notes"] = []
        for note in st.session_state["_url_notes"]:
            st.warning(_url_note(*note), icon=":material/link_off:")
    return chosen


def _write_url(chosen: Filters) -> None:
    wanted = {**filtering.to_query(chosen), "lang": lang()}
    for key in URL_KEYS:
        if key in wanted:
            if st.query_params.get_all(key) != [wanted[key]]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


# ── showing things ───────────────────────────────────────────────────────────────────────────

def header(name: str, chosen: Filters | None = None) -> None:
    """Page title, what the page is for, and what the view shows."""
    st.title(tr(f"page.{name}.title"))
    st.caption(tr(f"page.{name}.intro"))
    if chosen is not None:
        showing(chosen)


def showing(chosen: Filters) -> None:
    st.markdown(f":material/filter_alt: **{tr('common.showing')}** {escape(present.filters_text(chosen, lang()))}")


def profile_choice(chosen: Filters) -> str | None:
    """The municipality of the profile page: the first one filtered on, else the reader's choice.
    Choosing here sets the shared municipality filter, so the URL reproduces the profile."""
    options = sorted(set(data("municipalities")) | set(chosen.municipality), key=fold) \
        or sorted(reference.pop_municipalities(), key=fold)
    if not options:
        return None
    current = st.session_state.get("profile_municipality")
    if chosen.municipality and current not in chosen.municipality:
        st.session_state["profile_municipality"] = chosen.municipality[0]
    elif current not in options:
        st.session_state["profile_municipality"] = options[0]
    return st.selectbox(tr("profile.choose"), options, key="profile_municipality", on_change=_focus_profile)


def _focus_profile() -> None:
    st.session_state[WIDGET_KEYS["municipality"]] = [st.session_state["profile_municipality"]]


def empty(key: str = "empty.filters", **params) -> None:
    """A sentence where there is nothing to show."""
    st.info(tr(key, **params), icon=":material/info:")


def tile(column, name: str, value: str, delta: str | None = None, delta_color: str = "normal",
         help_params: dict | None = None, delta_description: str | None = None) -> None:
    """A KPI tile: label and definition from the catalogue (kpi.<name>, kpi.<name>.help)."""
    unchanged = delta is not None and delta.startswith("±")
    column.metric(tr(f"kpi.{name}"), value, delta=delta, delta_color="off" if unchanged else delta_color,
                  delta_arrow="off" if unchanged else "auto", help=tr(f"kpi.{name}.help", **(help_params or {})),
                  border=True, delta_description=delta_description if delta is not None else None)


def tiles(specs: list[dict], per_row: int = 4, delta_description: str | None = None) -> None:
    """present.*_tiles, laid out per_row to a row."""
    for start in range(0, len(specs), per_row):
        for column, spec in zip(st.columns(per_row), specs[start:start + per_row]):
            tile(column, **spec, delta_description=delta_description)


def nothing_to_show(chosen: Filters) -> bool:
    """True (after saying why) when the database is empty or the filters match nothing at all."""
    if not data("years"):
        empty("empty.database")
        return True
    in_view = data("years", chosen)
    if not in_view or (chosen.year and not set(chosen.year) & set(in_view)):
        empty("empty.filters")
        return True
    return False


def chart(make: Callable, frame: pd.DataFrame, *args, empty_key: str = "empty.filters", **kwargs) -> None:
    """A chart from pop_analytics.charts, or a sentence when there is nothing to draw. The chart's
    menu (save as PNG/SVG) stays on."""
    if frame is None or frame.empty:
        empty(empty_key)
        return
    st.altair_chart(make(frame, lang(), *args, **kwargs), width="stretch")


def table(frame: pd.DataFrame, name: str, columns: list[str] | None = None, *, empty_key: str = "empty.filters",
          height: int | Literal["auto", "stretch", "content"] = "auto", labelled: bool = False, status_colours: bool = False,
          total: int | None = None, everything: Callable[[], pd.DataFrame] | None = None) -> None:
    """A table headed in the reader's language, with CSV and Excel downloads of all its rows.
    Past settings.TABLE_ROW_LIMIT rows only the first are shown; everything() (when given) fetches
    all of them, at download time only, for a table the page fetched only the first rows of."""
    if frame is None or frame.empty:
        empty(empty_key)
        return
    language = lang()  # a download runs after the page run, where the session's language is not known

    def heading(rows: pd.DataFrame) -> pd.DataFrame:
        return rows if labelled else present.table(rows, language, columns)
    total = len(frame) if total is None else total
    shown = heading(frame.head(settings.TABLE_ROW_LIMIT))
    if total > len(shown):
        st.caption(tr("table.first_rows", shown=present.number(len(shown), lang()),
                      total=present.number(total, lang())))
    tint = status_colours and len(shown) <= settings.STYLED_ROW_LIMIT
    st.dataframe(_tinted(shown) if tint else shown, hide_index=True, height=height, placeholder=present.DASH)
    if everything is not None:
        downloads(lambda: heading(everything()), name, total)
    else:
        downloads(lambda: heading(frame), name, total)


STATUS_TINTS = {"fully": "rgba(26, 152, 80, 0.22)", "partially": "rgba(244, 166, 55, 0.25)",
                "not_addressed": "rgba(215, 48, 39, 0.20)"}
STATUS_BADGES = {"fully": "green", "partially": "orange", "not_addressed": "red"}


def _tinted(shown: pd.DataFrame):
    """Status cells tinted green / amber / red (the downloads stay plain)."""
    tints = {term("statuses", key): colour for key, colour in STATUS_TINTS.items()}
    columns = [c for c in shown.columns if shown[c].astype(object).isin(list(tints)).any()]
    if not columns:
        return shown
    return shown.style.map(lambda v: f"background-color: {tints[v]}" if v in tints else "", subset=columns)


def badge(status: str) -> str:
    return f":{STATUS_BADGES.get(status, 'gray')}-badge[{escape(term('statuses', status))}]"


# What Markdown would read as syntax: links, images, HTML, formatting, lists, tables, math, entities.
_MARKDOWN_SYNTAX = frozenset("\\`*_{}[]<>()#+-.!|~:$&")
# Streamlit turns http://..., www...., a@b.c, :material/...: icons and :emoji: into links and icons
# after it has read the escapes; an invisible word joiner after ':' and '@' and before the '.' of
# 'www.' stops that (checked in Chromium: no link, image, icon or colour; the text reads as typed).
_WORD_JOINER = "\u2060"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape(text: object) -> str:
    """Text from outside the catalogue (a sheet, a file name, a link, the database) for an element
    that renders Markdown, shown as typed: never a link, an image, an HTML tag, an icon, a colour or
    formatting. Line breaks and other control characters become spaces."""
    plain = _CONTROL.sub(" ", str(text))
    out = []
    for position, ch in enumerate(plain):
        if ch == "." and plain[max(0, position - 3):position].casefold() == "www":
            out.append(_WORD_JOINER)
        out.append("\\" + ch if ch in _MARKDOWN_SYNTAX else ch)
        if ch in ":@":
            out.append(_WORD_JOINER)
    return "".join(out)


def priority_detail(cycle: str, municipality: str, code: str) -> None:
    """One priority: what it is, its status year by year, with notes, sources and where each came from."""
    definition = data("priority_definition", cycle, municipality, code)
    if definition is None:
        empty("tracker.no_match")
        return
    history = data("priority_history", cycle, municipality, code)
    with st.container(border=True):
        st.markdown(f"#### {escape(definition['title'])}")
        facts = [(tr("col.municipality"), municipality), (tr("col.cycle"), cycle), (tr("col.code"), code),
                 (tr("col.theme"), term("themes", definition["theme"]))]
        st.markdown(" · ".join(f"**{label}:** {escape(value)}" for label, value in facts))
        partner = reference.partners().get(municipality)
        if partner:
            st.caption(tr("common.partner", name=partner[lang()]))
        steps = zip(history["year"], history["status"])
        st.markdown(" → ".join(f"**{year}** {badge(status)}" for year, status in steps))
        table(history, f"priority_{cycle}_{code}", ["year", "status", "note", "source", "file_name", "sheet",
                                                   "excel_row"], status_colours=True)


def downloads(rows: Callable[[], pd.DataFrame], name: str, total: int) -> None:
    """CSV and Excel buttons; rows() runs only when one is pressed. Past Excel's limit, CSV only.
    A table's name may hold a partner's code ('priority_2019-2023_DUR/07'): file names, the sheet
    title and the keys are made of safe characters (present.safe_name)."""
    today = dt.date.today()
    row = st.container(horizontal=True, gap="small")
    row.download_button(tr("download.csv"), lambda: present.csv_bytes(rows()),
                        file_name=present.download_name(name, lang(), today, "csv"), mime="text/csv",
                        key=download_key("csv", name), on_click="ignore", icon=":material/download:")
    if total <= settings.EXCEL_MAX_ROWS:
        row.download_button(tr("download.xlsx"), lambda: present.xlsx_bytes(rows(), name),
                            file_name=present.download_name(name, lang(), today, "xlsx"),
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            key=download_key("xlsx", name), on_click="ignore", icon=":material/download:")


def download_key(kind: str, name: str) -> str:
    """csv_<name> / xlsx_<name>; a name with other characters than safe_name keeps is reduced to
    them and told apart by a short hash of the name as it was, so every table keeps its own key."""
    safe = present.safe_name(name)
    if safe != name:
        safe += "_" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{kind}_{safe}"


def long_table(name: str, chosen: Filters, columns: list[str], **options) -> int:
    """A table that may hold a million rows: the first rows are fetched and shown, all of them
    download. Returns how many rows there are."""
    total = data(f"{name}_count", chosen)
    sight = current_sight()
    table(data(name, chosen, limit=settings.TABLE_ROW_LIMIT), name, columns, total=total,
          everything=lambda: read(name, chosen, sight=sight), **options)
    return total


# ── upload and undo ──────────────────────────────────────────────────────────────────────────

@st.cache_data(show_spinner=False)
def template_bytes(version: str = "1") -> bytes:
    """The partners' Excel template, as template.write makes it."""
    with tempfile.TemporaryDirectory() as folder:
        return template.write(Path(folder) / "POP_template.xlsx").read_bytes()


def uploading_as() -> str:
    """Whom an upload is stored under, for which municipalities, and whether it waits for approval."""
    person = viewer()
    if person is None:
        return ""
    places = ", ".join(person.municipalities) if person.municipalities else tr("account.all_municipalities")
    key = "upload.as_submitted" if person.review == "submitted" else "upload.as_approved"
    return tr(key, name=person.name, places=places)


def _upload_key(content: bytes, file_name: str) -> str:
    person = viewer()
    return "_checked_" + hashlib.sha256(content).hexdigest() + file_name + "\x00" + (person.name if person else "")


def _problem_note(problem: DatabaseProblem | Refusal | aliases.AliasRefused) -> dict[str, str]:
    return {code: problem.message(code) for code in settings.LANGUAGES}


def check_upload(content: bytes, file_name: str) -> importing.ImportReport:
    """A dry run: what the file holds and what is wrong with it; nothing stored. The file is read
    once: the report (with the sheets as read) is kept for the session, re-checked with the terms a
    person chooses and stored as checked. Only the latest file's report is kept, so a session does
    not hold on to every file it was shown."""
    key = _upload_key(content, file_name)
    if key not in st.session_state:
        _forget_uploads()
        st.session_state[key] = importing.import_bytes(db(), content, file_name, dry_run=True,
                                                       limit=settings.MAX_UPLOAD_BYTES, by=viewer())
    return st.session_state[key]


def _forget_uploads() -> None:
    for older in [k for k in st.session_state if str(k).startswith(("_checked_", "_chosen_"))]:
        del st.session_state[older]


def choice_key(unknown: present.Unknown) -> str:
    """The widget key of the choice for one unknown value, the same on every rerun."""
    return "choose_" + hashlib.sha1(f"{unknown.vocabulary}\x00{unknown.value}".encode()).hexdigest()[:12]


def recheck_upload(content: bytes, file_name: str, unknowns: list[present.Unknown]) -> None:
    """The Upload page's re-check: each chosen term is read for this upload, those to remember are
    saved for every later import too, and the same sheets are checked again (not read again)."""
    try:
        by = permit("upload")
        key = "_checked_" + hashlib.sha256(content).hexdigest() + file_name + "\x00" + by.name
        report = st.session_state.get(key)
        if report is None or report.read is None:
            return
        picked = [(u, st.session_state.get(choice_key(u)), bool(st.session_state.get("remember_" + choice_key(u))))
                  for u in unknowns]
        remembered = [(u, term) for u, term, remember in picked if term and remember]
        if remembered:
            access.require(by, "save_mapping")
            with db().writing() as con:
                for unknown, term in remembered:
                    aliases.add(con, unknown.vocabulary, unknown.value, term, who=by.name, why=f"Upload: {file_name}",
                                address=by.address)
        chosen = [*st.session_state.get("_chosen_" + key, []),
                  *(SavedMapping(0, u.vocabulary, u.value, term) for u, term, remember in picked if term and not remember)]
        st.session_state["_chosen_" + key] = chosen
        st.session_state[key] = importing.recheck(report, importing.mappings_of(db()).adding(chosen), by=by)
    except (DatabaseProblem, aliases.AliasRefused, Refusal) as problem:
        st.session_state["upload_problem"] = _problem_note(problem)


def replacements(report: importing.ImportReport) -> list[str]:
    """What storing a checked file replaces, a sentence each in the reader's language (the file
    names and municipalities in them shown as typed)."""
    return [tr("upload.replaces_item", **params)
            for params in present.replacements(importing.would_replace(db(), report), lang())]


def store_upload(content: bytes, file_name: str) -> importing.ImportReport:
    """Store a file as it was checked (with the terms chosen for it), under the one write lock of
    every process, as the signed-in user (their role checked again here); a file not checked in
    this session is checked first."""
    by = permit("upload")
    key = "_checked_" + hashlib.sha256(content).hexdigest() + file_name + "\x00" + by.name
    report = st.session_state.get(key)
    if report is None or report.status != "valid":
        return importing.import_bytes(db(), content, file_name, limit=settings.MAX_UPLOAD_BYTES, by=by)
    return importing.store_checked(db(), report, by=by)


def confirm_upload(content: bytes, file_name: str) -> None:
    """The Upload page's confirm button: store, and say so on the next run."""
    try:
        report = store_upload(content, file_name)
    except (DatabaseProblem, Refusal) as problem:
        st.session_state["upload_problem"] = _problem_note(problem)
        return
    _forget_uploads()
    if report.status == "imported":
        st.session_state["upload_stored"] = {
            "file": file_name, "import_id": report.import_id, "rows": report.rows, "review": report.review,
            "warnings": {code: [w.message(code) for w in report.warnings] for code in settings.LANGUAGES}}
    elif report.status == "refused":  # the role or the rows changed since the check
        st.session_state["upload_problem"] = {code: " ".join(p.message(code) for p in report.errors[:3])
                                              for code in settings.LANGUAGES}


def import_labels(imports: pd.DataFrame) -> dict[int, str]:
    """One line per import for a choice: number, file, when, who."""
    return {int(r.id): f"#{r.id} · {r.file_name} · {r.imported_at:%d.%m.%Y %H:%M} · {r.imported_by}"
            for r in imports.itertuples()}


def undo(import_id: int) -> tuple[bool, str]:
    """Undo an import; the answer is what to tell the reader."""
    try:
        removed = approval.undo(db(), import_id, permit("undo"))
    except UndoRefused as refused:
        return False, tr("history.undo_refused", import_id=import_id, reason=refused.message(lang()))
    except (DatabaseProblem, Refusal) as problem:
        return False, escape(problem.message(lang()))
    return True, tr("history.undone", import_id=import_id, **_removed(removed))


def _removed(removed: dict[str, int]) -> dict[str, str]:
    """How many rows went, as a phrase ('1 row', '7 rows') and as a number, in the reader's language."""
    count = sum(removed.values())
    return {"rows": present.rows_phrase(count, lang()), "n": present.number(count, lang())}


def review(import_id: int, approve: bool) -> None:
    """The Import-history page's approve and reject buttons (a rejection needs its comment)."""
    comment = st.session_state.get(f"review_comment_{import_id}", "")
    try:
        by = permit("review")
        if approve:
            approval.approve(db(), import_id, by, comment)
            outcome = (True, tr("history.approved", import_id=import_id))
        else:
            removed = approval.reject(db(), import_id, by, comment)
            outcome = (True, tr("history.rejected", import_id=import_id, **_removed(removed)))
    except (UndoRefused, DatabaseProblem, Refusal) as problem:
        outcome = (False, escape(problem.message(lang())))
    st.session_state["undo_outcome"] = outcome


# ── users ────────────────────────────────────────────────────────────────────────────────────

def audit_view(log: pd.DataFrame, actions: list[str], people: list[str], search: str) -> pd.DataFrame:
    """The audit rows chosen on the page, each action named in the reader's language."""
    shown = log
    if actions:
        shown = shown[shown["action"].isin(actions)]
    if people:
        shown = shown[shown["who"].isin(people)]
    if search.strip():
        needle = fold(search.strip())
        text = (shown["target"].fillna("") + " " + shown["detail"].fillna("") + " " + shown["who"]).map(fold)
        shown = shown[text.str.contains(needle, regex=False)]
    return shown


def add_user() -> None:
    """The Users page's form: a new user, checked and stored as the command line would."""
    state = st.session_state
    try:
        name = accounts.add(db(), state.get("new_user_name", ""), state.get("new_user_role", ""),
                            list(state.get("new_user_municipalities") or []), state.get("new_user_password", ""),
                            permit("manage_users"))
        state["users_outcome"] = (True, tr("users.added", name=name, role=tr(f"role.{state.get('new_user_role')}")))
        for key in ("new_user_name", "new_user_password"):
            state[key] = ""
    except (DatabaseProblem, Refusal) as problem:
        state["users_outcome"] = (False, escape(problem.message(lang())))


def change_password() -> None:
    state = st.session_state
    name = state.get("password_user", "")
    try:
        accounts.change_password(db(), name, state.get("password_new", ""), permit("manage_users"))
        state["users_outcome"] = (True, tr("users.password_changed", name=name))
        state["password_new"] = ""
    except (DatabaseProblem, Refusal) as problem:
        state["users_outcome"] = (False, escape(problem.message(lang())))


def remove_user() -> None:
    state = st.session_state
    name = state.get("remove_user", "")
    try:
        accounts.remove(db(), name, permit("manage_users"))
        state["users_outcome"] = (True, tr("users.removed", name=name))
    except (DatabaseProblem, Refusal) as problem:
        state["users_outcome"] = (False, escape(problem.message(lang())))


def ask_undo(import_id: int) -> None:
    st.session_state["undo_pending"] = import_id


def _cancel_undo() -> None:
    st.session_state.pop("undo_pending", None)


def _do_undo(import_id: int) -> None:
    st.session_state.pop("undo_pending", None)
    st.session_state["undo_outcome"] = undo(import_id)


def confirm_undo_dialog(import_id: int, described: str) -> None:
    """Ask before undoing: what goes, what comes back."""
    def body() -> None:
        if st.session_state.get("undo_pending") != import_id:
            # Answered: a dialog is a fragment, so the click reran only the dialog, which would ask
            # again. The whole page runs instead, and no longer opens it. (The answer itself is
            # carried out in the buttons' callbacks, before any run reads the database.)
            st.rerun()
        st.markdown(tr("history.confirm_text", import_id=import_id, described=described))
        yes, no = st.columns(2)
        yes.button(tr("history.confirm_yes"), type="primary", key="undo_yes", on_click=_do_undo, args=(import_id,),
                   width="stretch")
        no.button(tr("history.confirm_no"), key="undo_no", on_click=_cancel_undo, width="stretch")

    st.dialog(tr("history.confirm_title"), on_dismiss=_cancel_undo)(body)()
