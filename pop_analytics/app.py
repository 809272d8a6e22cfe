"""The Streamlit side of the dashboard (the only module of the package that imports streamlit):
the database connection, the language, the shared filters and the URL, cached queries, and the
few ways a page shows things (tiles, tables with downloads, charts, empty states).

Pages stay short: they ask here for data and for the ways to show it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pandas as pd
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from . import aliases, importing, present, queries, reference, settings, store, template
from . import filters as filtering
from .database import Database
from .errors import DatabaseBusy, DatabaseProblem, UndoRefused
from .filters import Filters
from .i18n import t
from .matching import SavedMapping
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
)
SECTIONS = {"section.explore": ("overview", "tracker", "participation", "municipality"),
            "section.data": ("quality", "upload", "history")}


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
    """Everything a page run reads comes from one snapshot. When any process wrote since this
    process last looked, the cached queries are forgotten first."""
    try:
        snapshot = db().snapshot()
    except DatabaseProblem as problem:
        _cannot_read(problem)
        return
    _run.snapshot = snapshot
    seen = _seen_versions()
    if seen.get(database()) != snapshot.version:
        _cached.clear()
        seen[database()] = snapshot.version
    try:
        yield
    except DatabaseProblem as problem:  # the file went bad or busy under a running app
        _cannot_read(problem)
    finally:
        _run.snapshot = None
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


def _snapshot_connection():
    snapshot = getattr(_run, "snapshot", None)
    if snapshot is None:
        raise RuntimeError("app.data() is for page runs (app.page_run); downloads use app.read()")
    return snapshot.connection()


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached(path: str, version: str, name: str, language: str, args: tuple, kwargs: tuple):
    """Any pop_analytics.queries function, cached per database, data version, filters (in args)
    and language."""
    return getattr(queries, name)(_snapshot_connection(), *args, **dict(kwargs))


def data(name: str, *args, **kwargs):
    """queries.<name>(snapshot, *args, **kwargs), cached until any process changes the data."""
    snapshot = getattr(_run, "snapshot", None)
    version = snapshot.version if snapshot is not None else ""
    return _cached(database(), version, name, lang(), args, tuple(sorted(kwargs.items())))


def read(name: str, *args, **kwargs):
    """queries.<name> on a snapshot of its own: for work outside a page run (a download button's
    deferred data), uncached."""
    with db().reading() as con:
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
    """The pages in the reader's language (their URL paths never change). Streamlit serves its
    default page at "/" only, so /overview would be "page not found": the default is a hidden page
    that forwards to /overview with the link's query string."""
    by_name = {name: st.Page(path, title=tr(f"page.{name}.title"), icon=icon, url_path=name)
               for name, path, icon in PAGES}
    home = st.Page(_home, title=tr("page.overview.title"), url_path="home", default=True, visibility="hidden")
    listed = {tr(section): [by_name[n] for n in names] for section, names in SECTIONS.items()}
    next(iter(listed.values())).append(home)
    return listed


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
    with st.sidebar:
        language_choice()
        st.subheader(tr("filter.heading"))
        chosen = current_filters()
        municipalities = sorted(set(reference.pop_municipalities()) | set(data("municipalities"))
                                | set(chosen.municipality), key=fold)
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
    table(data(name, chosen, limit=settings.TABLE_ROW_LIMIT), name, columns, total=total,
          everything=lambda: read(name, chosen), **options)
    return total


# ── upload and undo ──────────────────────────────────────────────────────────────────────────

@st.cache_data(show_spinner=False)
def template_bytes(version: str = "1") -> bytes:
    """The partners' Excel template, as template.write makes it."""
    with tempfile.TemporaryDirectory() as folder:
        return template.write(Path(folder) / "POP_template.xlsx").read_bytes()


def _upload_key(content: bytes, file_name: str) -> str:
    return "_checked_" + hashlib.sha256(content).hexdigest() + file_name


def check_upload(content: bytes, file_name: str) -> importing.ImportReport:
    """A dry run: what the file holds and what is wrong with it; nothing stored. The file is read
    once: the report (with the sheets as read) is kept for the session, re-checked with the terms a
    person chooses and stored as checked. Only the latest file's report is kept, so a session does
    not hold on to every file it was shown."""
    key = _upload_key(content, file_name)
    if key not in st.session_state:
        _forget_uploads()
        st.session_state[key] = importing.import_bytes(db(), content, file_name, dry_run=True,
                                                       limit=settings.MAX_UPLOAD_BYTES)
    return st.session_state[key]


def _forget_uploads() -> None:
    for older in [k for k in st.session_state if str(k).startswith(("_checked_", "_chosen_"))]:
        del st.session_state[older]


def choice_key(unknown: present.Unknown) -> str:
    """The widget key of the choice for one unknown value, the same on every rerun."""
    return "choose_" + hashlib.sha1(f"{unknown.vocabulary}\x00{unknown.value}".encode()).hexdigest()[:12]


def recheck_upload(content: bytes, file_name: str, who: str, unknowns: list[present.Unknown]) -> None:
    """The Upload page's re-check: each chosen term is read for this upload, those to remember are
    saved for every later import too, and the same sheets are checked again (not read again)."""
    key = _upload_key(content, file_name)
    report = st.session_state.get(key)
    if report is None or report.read is None:
        return
    picked = [(u, st.session_state.get(choice_key(u)), bool(st.session_state.get("remember_" + choice_key(u))))
              for u in unknowns]
    try:
        remembered = [(u, term) for u, term, remember in picked if term and remember]
        if remembered:
            with db().writing() as con:
                for unknown, term in remembered:
                    aliases.add(con, unknown.vocabulary, unknown.value, term, who=who.strip() or "dashboard",
                                why=f"Upload: {file_name}")
        chosen = [*st.session_state.get("_chosen_" + key, []),
                  *(SavedMapping(0, u.vocabulary, u.value, term) for u, term, remember in picked if term and not remember)]
        st.session_state["_chosen_" + key] = chosen
        st.session_state[key] = importing.recheck(report, importing.mappings_of(db()).adding(chosen))
    except (DatabaseProblem, aliases.AliasRefused) as problem:
        st.session_state["upload_problem"] = {code: problem.message(code) for code in settings.LANGUAGES}


def replacements(report: importing.ImportReport) -> list[str]:
    """What storing a checked file replaces, a sentence each in the reader's language (the file
    names and municipalities in them shown as typed)."""
    return [tr("upload.replaces_item", **params)
            for params in present.replacements(importing.would_replace(db(), report), lang())]


def store_upload(content: bytes, file_name: str, who: str) -> importing.ImportReport:
    """Store a file as it was checked (with the terms chosen for it), under the one write lock of
    every process; a file not checked in this session is checked first."""
    report = st.session_state.get(_upload_key(content, file_name))
    if report is None or report.status != "valid":
        return importing.import_bytes(db(), content, file_name, who=who.strip() or "dashboard",
                                      limit=settings.MAX_UPLOAD_BYTES)
    return importing.store_checked(db(), report, who=who.strip() or "dashboard")


def confirm_upload(content: bytes, file_name: str, who: str) -> None:
    """The Upload page's confirm button: store, and say so on the next run."""
    try:
        report = store_upload(content, file_name, who)
    except DatabaseProblem as problem:
        st.session_state["upload_problem"] = {code: problem.message(code) for code in settings.LANGUAGES}
        return
    _forget_uploads()
    if report.status == "imported":
        st.session_state["upload_stored"] = {
            "file": file_name, "import_id": report.import_id, "rows": report.rows,
            "warnings": {code: [w.message(code) for w in report.warnings] for code in settings.LANGUAGES}}


def undo(import_id: int) -> tuple[bool, str]:
    """Undo an import; the answer is what to tell the reader."""
    try:
        with db().writing() as con:
            removed = store.undo(con, import_id)
    except UndoRefused as refused:
        return False, tr("history.undo_refused", import_id=import_id, reason=refused.message(lang()))
    except DatabaseProblem as problem:
        return False, escape(problem.message(lang()))
    return True, tr("history.undone", import_id=import_id, rows=present.number(sum(removed.values()), lang()))


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
