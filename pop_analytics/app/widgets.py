"""Widgets: the shared sidebar (language, account, filters) and the few ways a page shows things:
tiles, tables with downloads, charts, empty states, a priority's history."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

import altair as alt
import duckdb
import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.metric import DeltaColor

# Streamlit's own conversion of an Altair chart (what st.altair_chart does on every run), called once per
# chart shown so that its result can be kept (screen_spec); streamlit is pinned in requirements.txt.
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from .. import charts, formats, open_data, present, queries, reference, report, settings, store, template
from .. import filters as filtering
from ..access import Viewer
from ..errors import AccessDenied, DatabaseProblem
from ..filters import Filters
from ..i18n import t
from ..scope import NOTE_COLUMNS, published
from ..text import fold
from . import audit_details, style
from .data import data, db, read
from .roles import (
    INCLUDE_SUBMITTED_KEY,
    UNFILTERED_PAGES,
    account_box,
    checked_at_click,
    current_page,
    permit,
    submitted_note,
)
from .run import sight, viewer
from .state import (
    WIDGET_KEYS,
    current_filters,
    embedded,
    escape,
    lang,
    language_choice,
    reset_filters,
    sync_link,
    term,
    tr,
)


def sidebar(page: str = "") -> Filters:
    """Language, who is signed in and the shared filters (on the pages they change); the URL
    always says what the view shows, and keeps the filters on a page without them."""
    person = viewer()
    style.apply(lang())
    if embedded():  # the filters, the language and the sign-in come from the link alone
        return sync_link() if person is not None else current_filters()
    with st.sidebar:
        language_choice()
        if person is None:
            return current_filters()
        account_box()
        if page not in UNFILTERED_PAGES:
            _filters(person)
        st.caption(tr("app.database", name=db().name))  # a file's name; a server's database and host, never a password
    return sync_link()


def _filters(person: Viewer) -> None:
    """The shared filters (a partner is offered only its municipalities)."""
    language = lang()
    st.subheader(tr("filter.heading"))
    chosen = current_filters()
    municipalities = sorted(set(reference.pop_municipalities()) | set(data(queries.municipalities))
                            | set(chosen.municipality), key=fold)
    if person.municipalities is not None:
        municipalities = [m for m in municipalities if m in person.municipalities or m in chosen.municipality]
    # a partner's rows are their municipalities' only: "all" would say otherwise
    st.multiselect(tr("filter.municipality"), municipalities, key=WIDGET_KEYS["municipality"],
                   persist_state="session",
                   placeholder=tr("filter.all_municipalities") if person.municipalities is None else
                   t("filter.your_municipalities", language, names=", ".join(person.municipalities)))
    years = sorted(set(data(queries.years)) | set(chosen.year))
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
        # its value is the session's, which the link sets (state.start): no default here
        st.toggle(tr("filter.include_submitted"), key=INCLUDE_SUBMITTED_KEY, persist_state="session",
                  help=tr("filter.include_submitted_help"))
    st.button(tr("filter.reset"), on_click=reset_filters, icon=":material/filter_alt_off:", key="filter_reset")
    st.caption(tr("filter.link_hint"))


def header(name: str, chosen: Filters | None = None) -> None:
    """Page title, what the page is for, and what the view shows."""
    st.title(tr(f"page.{name}.title"))
    st.caption(tr(f"page.{name}.intro"))
    if chosen is not None:
        showing(chosen)


def showing(chosen: Filters) -> None:
    st.markdown(f":material/filter_alt: **{tr('common.showing')}** {escape(view_text(chosen))}")
    submitted_note()


def view_text(chosen: Filters) -> str:
    """What the view shows in one line; a partner's rows are their municipalities', said so."""
    return present.filters_text(chosen, lang(), sight().municipalities)


def rejection_notes() -> None:
    """A partner's rejected imports, each with the reviewer's comment in full (the history's table
    has room for its start only), until they say they have read it."""
    person = viewer()
    if person is None or person.may("review") or not person.may("upload"):
        return
    problem = st.session_state.pop("rejection_problem", None)
    if problem:
        st.error(problem, icon=":material/database:")
    for note in data(queries.unread_rejections, person.name).itertuples():
        with st.container(border=True):
            st.markdown(":material/block: " + tr("rejection.note", import_id=note.id, file=note.file_name,
                                                 who=note.reviewed_by, comment=note.review_comment))
            st.button(tr("rejection.read"), key=f"rejection_read_{note.id}", icon=":material/done:",
                      on_click=_rejection_read, args=(int(note.id),))


def _rejection_read(import_id: int) -> None:
    try:
        person = permit("upload")
        with db().writing(data=False) as con:  # no figure changes: the caches of figures stay
            store.mark_rejection_read(con, import_id, person.name)
    except (DatabaseProblem, AccessDenied) as problem:
        st.session_state["rejection_problem"] = escape(problem.message(lang()))


def profile_choice(chosen: Filters) -> str | None:
    """The municipality of the profile page: the first one filtered on, else the reader's choice.
    Choosing here sets the shared municipality filter, so the URL reproduces the profile."""
    options = sorted(set(data(queries.municipalities)) | set(chosen.municipality), key=fold) \
        or sorted(reference.pop_municipalities(), key=fold)
    if not options:
        return None
    current = st.session_state.get("profile_municipality")
    if chosen.municipality and current not in chosen.municipality:
        st.session_state["profile_municipality"] = chosen.municipality[0]
    elif current not in options:
        st.session_state["profile_municipality"] = options[0]
    name = st.selectbox(tr("profile.choose"), options, key="profile_municipality", on_change=_focus_profile)
    if len(chosen.municipality) > 1:  # the link named several: say which one shows, never silently
        st.info(tr("profile.several", count=len(chosen.municipality), names=", ".join(chosen.municipality),
                   name=name), icon=":material/info:")
    return name


def _focus_profile() -> None:
    st.session_state[WIDGET_KEYS["municipality"]] = [st.session_state["profile_municipality"]]


def empty(key: str = "empty.filters", **params: object) -> None:
    """A sentence where there is nothing to show."""
    st.info(tr(key, **params), icon=":material/info:")


def tile(column: DeltaGenerator, name: str, value: str, delta: str | None = None,
         delta_color: DeltaColor = "normal", help_params: dict[str, object] | None = None,
         delta_description: str | None = None, label_params: dict[str, object] | None = None) -> None:
    """A KPI tile: label and definition from the catalogue (kpi.<name>, kpi.<name>.help)."""
    unchanged = delta is not None and delta.startswith("±")
    column.metric(tr(f"kpi.{name}", **(label_params or {})), value, delta=delta,
                  delta_color="off" if unchanged else delta_color, delta_arrow="off" if unchanged else "auto",
                  help=tr(f"kpi.{name}.help", **(help_params or {})),
                  border=True, delta_description=delta_description if delta is not None else None)


def tiles(specs: list[dict], per_row: int = 4, delta_description: str | None = None) -> None:
    """present.*_tiles, at most per_row to a row, fewer where the page is narrower (two on a phone)."""
    grid = st.grid(per_row, min_column_width=settings.TILE_MIN_WIDTH)
    for spec in specs:
        tile(grid, **spec, delta_description=delta_description)


def overdue_tile(chosen: Filters, today: dt.date) -> None:
    """The count of overdue priorities in view (queries.overdue_count) on a card of its own beside the
    KPI tiles (not one of them: the tiles are the KPI object's), and a link to the tracker showing
    them, with the view's filters."""
    counted = data(queries.overdue_count, chosen, today=today)
    card = present.overdue_tile(counted, today, lang())
    with st.container(border=True, key="overdue_tile"):
        st.markdown(f":material/event_busy: **{escape(card['label'])}**", help=card["help"])
        st.markdown(card["text"])
        if counted["overdue"]:
            query = {**filtering.to_query(chosen), "lang": lang(), "overdue": "true"}
            st.page_link("app_pages/tracker.py", label=tr("overview.overdue_link"), icon=":material/open_in_new:",
                         query_params={k: v for k, v in query.items() if v})


def on_demand(label: str, key: str) -> DeltaGenerator | None:
    """An expander whose content runs only once a reader opens it: Streamlit sends a closed
    expander's content too, and the browser lays it out at every rerun (the three tables under
    Overview's charts cost about 80 ms of a year change). The container when open, else None."""
    box = st.expander(label, key=key, on_change="rerun")
    return box if box.open else None


def nothing_to_show(chosen: Filters) -> bool:
    """True (after saying why) when the database is empty or the filters match nothing at all."""
    if not data(queries.years):
        empty("empty.database")
        return True
    in_view = data(queries.years, chosen)
    if not in_view or (chosen.year and not set(chosen.year) & set(in_view)):
        empty("empty.filters")
        return True
    return False


def chart(make: Callable[..., alt.Chart], frame: pd.DataFrame, *args: str, empty_key: str = "empty.filters",
          shown_for: Filters | None = None, part: str = "", **kwargs: object) -> None:
    """A chart from pop_analytics.charts, or a sentence when there is nothing to draw, and a button
    that saves it as a PNG named after the view, with the filters (shown_for: the filters the chart
    shows, when the page narrows them further) and the data's source and date under its title.
    part tells apart two charts of one kind on a page (an objective's targets) in name and key."""
    if frame is None or frame.empty:
        empty(empty_key)
        return
    view = shown_for or current_filters()
    language = lang()
    lines = [view_text(view), present.source_line(data(queries.data_as_of), language)]
    stem = present.view_stem(charts.export_name(make, *args) + (f"_{part}" if part else ""), view)
    st.vega_lite_chart(screen_spec(make, frame, language, args, kwargs), width="stretch")

    def saved() -> bytes:  # the page says its filters; the saved image carries them (built only when saved)
        return charts.png(charts.for_export(make(frame, language, *args, **kwargs), lines))
    st.download_button(tr("download.chart"), checked_at_click(saved),
                       file_name=f"{stem}.png", mime="image/png", key=download_key("png", stem), on_click="ignore",
                       type="tertiary", icon=":material/image:")


_SPECS: OrderedDict[tuple[object, ...], dict[str, Any]] = OrderedDict()
_SPECS_LOCK = threading.Lock()
_PLAIN = (str, int, float, bool, type(None))


def screen_spec(make: Callable[..., alt.Chart], frame: pd.DataFrame, language: str, args: tuple[object, ...],
                kwargs: dict[str, object]) -> dict[str, Any]:
    """The chart as Streamlit sends it (a Vega-Lite spec, its data as Arrow), kept per process by what
    it shows: the chart function, its arguments and the frame's content. A key made of the content
    cannot outlive a change of the data, so nothing needs clearing when an import lands."""
    key = _spec_key(make, frame, language, args, kwargs)
    if key is not None:
        with _SPECS_LOCK:
            kept = _SPECS.get(key)
            if kept is not None:
                _SPECS.move_to_end(key)
                return dict(kept)  # Streamlit moves the datasets out of the spec's top level: a copy of that level
    spec = _convert_altair_to_vega_lite_spec(_without_vega_aria(make(frame, language, *args, **kwargs)))
    if key is not None:
        with _SPECS_LOCK:
            _SPECS[key] = spec
            while len(_SPECS) > settings.CHART_SPECS_KEPT:
                _SPECS.popitem(last=False)
    return dict(spec)


def _spec_key(make: Callable[..., object], frame: pd.DataFrame, language: str, args: tuple[object, ...],
              kwargs: dict[str, object]) -> tuple[object, ...] | None:
    """What a chart shows, as a key; None (not kept) when an argument or a cell is not plain data."""
    options = (*args, *kwargs.values())
    if not all(isinstance(value, _PLAIN) for value in options):
        return None
    try:
        rows = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    except TypeError:  # a cell holding a list or a dict
        return None
    shape = repr((list(frame.columns), [str(dtype) for dtype in frame.dtypes])).encode()
    digest = hashlib.blake2b(rows + shape, digest_size=20).hexdigest()
    return (make.__module__, make.__qualname__, language, args, tuple(sorted(kwargs.items())), digest)


def _without_vega_aria(made: alt.Chart) -> alt.Chart:
    """The chart without Vega's own descriptions of its axes and marks ('X-axis titled … for a linear
    scale'), which Vega writes in English only; the chart's title and its table say what it shows."""
    quiet = made.copy()
    quiet.config = made.config.copy() if made.config is not alt.Undefined else alt.Config()
    quiet.config.aria = False
    _quiet_titles(quiet)
    return quiet


def _quiet_titles(part: alt.SchemaBase) -> None:
    """Titles too ('Title text …'), the chart's and those of the charts it is made of."""
    title = getattr(part, "title", alt.Undefined)
    if isinstance(title, str | list):
        part.title = alt.TitleParams(text=title, aria=False)
    elif isinstance(title, alt.TitleParams):
        title.aria = False
    for parts in ("layer", "concat", "hconcat", "vconcat"):
        for inner in getattr(part, parts, None) or []:
            if hasattr(inner, "to_dict"):
                _quiet_titles(inner)


# The free-text columns a reader without notes (a donor) is not shown.
NOTE_COLUMN_NAMES = frozenset(name for names in NOTE_COLUMNS.values() for name in names)


def table(frame: pd.DataFrame, name: str, columns: list[str] | None = None, *, empty_key: str = "empty.filters",
          height: int | Literal["auto", "stretch", "content"] = "auto", labelled: bool = False,
          status_colours: bool = False,
          total: int | None = None, everything: Callable[[], pd.DataFrame] | None = None,
          shown_for: Filters | None = None, widths: dict[str, int] | None = None, wrap: bool = False) -> None:
    """A table headed in the reader's language, with CSV and Excel downloads of all its rows.
    Past settings.TABLE_ROW_LIMIT rows only the first are shown; everything() (when given) fetches
    all of them, at download time only, for a table the page fetched only the first rows of.
    shown_for: the filters the table shows when the page narrows them further (its files' names).
    widths: pixels for some columns (by key; by heading in a labelled table), so that the columns a
    reader needs, put first, fit a phone's screen (tests/test_browser_layout.py); wrap: cells of long
    text wrap onto three lines."""
    if frame is None or frame.empty:
        empty(empty_key)
        return
    language = lang()  # a download runs after the page run, where the session's language is not known
    if columns is not None and not sight().notes:  # the rows hold no notes for this reader: no empty column
        columns = [c for c in columns if c not in NOTE_COLUMN_NAMES]

    def heading(rows: pd.DataFrame) -> pd.DataFrame:
        return rows if labelled else present.table(rows, language, columns)
    total = len(frame) if total is None else total
    shown = heading(frame.head(settings.TABLE_ROW_LIMIT))
    if total > len(shown):
        st.caption(tr("table.first_rows", shown=present.number(len(shown), lang()),
                      total=present.number(total, lang())))
    sized = {key if labelled or key.isdigit() else t(f"col.{key}", language): width
             for key, width in (widths or {}).items()}
    statuses = _status_columns(shown)
    st.dataframe(_shown_as_written(_as_tags(shown, statuses) if status_colours else shown, language, labelled),
                 hide_index=True, height=height, placeholder=present.DASH,
                 row_height=settings.WRAPPED_ROW_PX if wrap else None,
                 column_config={**_status_config(statuses, status_colours),
                                **{heading: st.column_config.Column(width=width)
                                   for heading, width in sized.items() if heading in shown},
                                **_date_columns(shown, language, sized)})
    if everything is not None:
        downloads(lambda: heading(everything()), name, total, shown_for)
    else:
        downloads(lambda: heading(frame), name, total, shown_for)


def _shown_as_written(shown: pd.DataFrame, language: str, labelled: bool) -> pd.DataFrame | Styler:
    """The table with its numbers written in the reader's language (a Styler); the frame itself when
    it has no numbers to write: pandas' Styler builds every cell (about 0.1 s for the tracker's
    1,000 rows at every rerun), and the grid writes the dates (_date_columns) and tints the
    statuses (_status_config)."""
    if labelled:
        return shown.style
    numbers = present.number_writers(shown, language)
    if not numbers:
        return shown
    return present.styled(shown, language, dates=False, numbers=numbers)  # the grid writes the dates (_date_columns)


def _date_columns(shown: pd.DataFrame, language: str, sized: dict[str, int]) -> dict:
    """Each date column written by the grid as formats writes it in the reader's language."""
    made = {"moment": st.column_config.DatetimeColumn}
    return {heading: made.get(kind, st.column_config.DateColumn)(format=pattern, width=sized.get(heading))
            for heading, (kind, pattern) in present.grid_dates(shown, language).items()}


def _tint(colour: str, opacity: float) -> str:
    """A chart's status colour (#rrggbb) faded behind a table's text."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {opacity:.2f})"


# Each status's colour in the charts, faded as far as dark text on it stays easy to read.
STATUS_TINTS = {status: _tint(charts.STATUS_COLOURS[status], opacity)
                for status, opacity in {"fully": 0.22, "partially": 0.25, "not_addressed": 0.20}.items()}


STATUS_BADGES = {"fully": "green", "partially": "orange", "not_addressed": "red"}


def _status_labels() -> dict[str, str]:
    """Each status's label in the reader's language, and the overdue mark, → its tint."""
    tints = {term("statuses", key): colour for key, colour in STATUS_TINTS.items()}
    tints[tr("deadline.overdue")] = STATUS_TINTS["not_addressed"]  # the overdue mark, red as a promise not kept
    return tints


def _status_columns(shown: pd.DataFrame) -> list[str]:
    labels = list(_status_labels())
    return [c for c in shown.columns if shown[c].dtype == object and shown[c].isin(labels).any()]


def _as_tags(shown: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Each status cell as the one tag the grid draws in its tint (a missing status stays missing:
    the grid writes its dash). The downloads keep the labels as text."""
    if not columns:
        return shown
    tagged = shown.copy()
    for column in columns:
        tagged[column] = [None if pd.isna(value) else [str(value)] for value in shown[column]]
    return tagged


# About the width of one character of the table's font, and a cell's padding, in pixels.
_CHARACTER_PX, _CELL_PADDING_PX = 7.5, 28


def _status_config(columns: list[str], tinted: bool) -> dict:
    """Status columns as wide as their longest label ('Nuk është adresuar' is never cut), and, when
    tinted, each label drawn as a tag in its status's tint, on every row: the grid draws them, at no
    cost to the page run (pandas' Styler tinted only the first 300 rows, at 30-100 ms a run)."""
    longest = max(len(term("statuses", key)) for key in STATUS_TINTS)
    width = int(longest * _CHARACTER_PX + _CELL_PADDING_PX)
    if not tinted:
        return {column: st.column_config.TextColumn(width=width) for column in columns}
    tints = _status_labels()
    return {column: st.column_config.MultiselectColumn(width=width, options=list(tints), color=list(tints.values()))
            for column in columns}


def badge(status: str) -> str:
    return f":{STATUS_BADGES.get(status, 'gray')}-badge[{escape(term('statuses', status))}]"


PriorityKey = tuple[str, str, str]  # cycle, municipality, code


def priority_choice(listed: pd.DataFrame, offered: int | None = None) -> PriorityKey | None:
    """A choice of one of the listed priorities, kept in the link (?priority=...), so that a copied
    link opens the same priority. The link holds the choice as it reads (municipality, code, cycle
    and title): a priority's code alone may repeat across municipalities and cycles. offered: at most
    this many of them, and the one the link names (20,000 choices made a 1.3 MB page, and no
    reader scrolls them), with a sentence saying how to reach the others."""
    if listed.empty:
        return None
    if offered is not None and len(listed) > offered:
        st.caption(tr("priority.first_offered", shown=present.number(offered, lang()),
                      total=present.number(len(listed), lang())))
        listed = pd.concat([listed.head(offered), _linked(listed.iloc[offered:])])
    keys: list[PriorityKey] = list(zip(listed["cycle"].tolist(), listed["municipality"].tolist(),
                                       listed["code"].tolist()))
    titles = dict(zip(keys, listed["title"].tolist()))

    def shown(key: PriorityKey) -> str:
        return priority_label(key[0], key[1], key[2], titles.get(key, ""))

    return st.selectbox(tr("tracker.choose"), keys, key="priority", bind="query-params", format_func=shown)


def priority_label(cycle: str, municipality: str, code: str, title: str) -> str:
    return f"{municipality} · {code} · {cycle} — {title}"


def _linked(listed: pd.DataFrame) -> pd.DataFrame:
    """The listed priority the link names (?priority=, as priority_label writes it), if any."""
    named = st.query_params.get("priority")
    if not named:
        return listed.head(0)
    labels = [priority_label(*row) for row in zip(listed["cycle"], listed["municipality"], listed["code"],
                                                  listed["title"])]
    return listed[[label == named for label in labels]]


def priority_link(chosen: Filters, cycle: str, municipality: str, code: str) -> None:
    """A link to the priority's own page, with the view's filters and language."""
    title = data(queries.priority_definition, cycle, municipality, code) or {}
    query = {**filtering.to_query(chosen), "lang": lang(),
             "priority": priority_label(cycle, municipality, code, title.get("title", ""))}
    st.page_link("app_pages/priority.py", label=tr("tracker.open_priority"), icon=":material/open_in_new:",
                 query_params={k: v for k, v in query.items() if v})


def priority_detail(cycle: str, municipality: str, code: str, today: dt.date | None = None) -> None:
    """One priority: what it is, its deadline as of today (the real date unless given) and whether it
    is overdue, its status year by year, with notes, sources and where each came from."""
    definition = data(queries.priority_definition, cycle, municipality, code)
    if definition is None:
        empty("tracker.no_match")
        return
    history = data(queries.priority_history, cycle, municipality, code)
    with st.container(border=True):
        st.markdown(f"#### {escape(definition['title'])}")
        facts = [(tr("col.municipality"), municipality), (tr("col.cycle"), cycle), (tr("col.code"), code),
                 (tr("col.theme"), term("themes", definition["theme"]))]
        st.markdown(" · ".join(f"**{label}:** {escape(value)}" for label, value in facts))
        partner = reference.partners().get(municipality)
        if partner:
            st.caption(tr("common.partner", name=partner[lang()]))
        latest = str(history["status"].iloc[-1]) if len(history) else None
        overdue, said = present.deadline_sentences(definition, latest, today or dt.date.today(), lang())
        shown = ":material/event: " + " · ".join(escape(sentence) for sentence in said)
        st.markdown(f":red-badge[{escape(tr('deadline.overdue'))}] {shown}" if overdue else shown)
        steps = zip(history["year"], history["status"])
        st.markdown(" → ".join(f"**{year}** {badge(status)}" for year, status in steps))
        table(history, f"priority_{cycle}_{code}", ["year", "status", "note", "source", "file_name", "sheet",
                                                   "excel_row"], status_colours=True)


def _named_view(shown_for: Filters | None) -> Filters:
    """The filters a download's name carries: none on a page the filters do not change; a partner's
    municipalities when none is chosen (their rows are only theirs)."""
    if shown_for is None and current_page() in UNFILTERED_PAGES:
        return Filters()
    view = shown_for or current_filters()
    seen = sight().municipalities
    return view.but(municipality=seen) if seen is not None and not view.municipality else view


def downloads(rows: Callable[[], pd.DataFrame], name: str, total: int, shown_for: Filters | None = None) -> None:
    """CSV and Excel buttons; rows() runs only when one is pressed, while the reader's session is
    still open (roles.checked_at_click, as every deferred download here). Past Excel's limit, CSV only.
    A table's name may hold a partner's code ('priority_2019-2023_DUR/07'): file names, the sheet
    title and the keys are made of safe characters (present.safe_name)."""
    today = dt.date.today()
    row = st.container(horizontal=True, gap="small")
    language = lang()  # a download runs after the page run, where the session's language is not known
    view = _named_view(shown_for)
    row.download_button(tr("download.csv"), checked_at_click(lambda: present.csv_bytes(rows(), language)),
                        file_name=present.download_name(name, lang(), today, "csv", view), mime="text/csv",
                        key=download_key("csv", name), on_click="ignore", icon=":material/download:")
    if total <= settings.EXCEL_MAX_ROWS:
        row.download_button(tr("download.xlsx"), checked_at_click(lambda: present.xlsx_bytes(rows(), name, language)),
                            file_name=present.download_name(name, lang(), today, "xlsx", view),
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            key=download_key("xlsx", name), on_click="ignore", icon=":material/download:")


_REPORT_MIME = {"pdf": "application/pdf",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def report_downloads(chosen: Filters) -> None:
    """The KPI report of the view as a PDF and as a workbook. Each is built only when its button is
    pressed, after the page run: the language, the rows this reader may see and their name are
    taken now, while the page run knows them."""
    language, seen, person = lang(), sight(), viewer()
    internal = True if person is not None and person.may("see_reporting") else None
    who = person.name if person is not None and person.how != "public" else tr("role.donor")
    if seen.municipalities is not None and not chosen.municipality:  # a partner sees their municipalities only
        chosen = chosen.but(municipality=seen.municipalities)

    def built(fmt: str) -> bytes:
        with db().reading(sight=seen) as con:
            return report.render(report.build(con, chosen, language, generated_by=who, reporting_rates=internal), fmt)

    row = st.container(horizontal=True, gap="small")
    for fmt in report.FORMATS:
        row.download_button(tr(f"reports.download.{fmt}"), checked_at_click(functools.partial(built, fmt)),
                            file_name=report.file_name(chosen, language, fmt), mime=_REPORT_MIME[fmt],
                            key=f"report_{fmt}", on_click="ignore", type="primary" if fmt == "pdf" else "secondary",
                            icon=":material/picture_as_pdf:" if fmt == "pdf" else ":material/table_view:")


def open_data_download() -> None:
    """The open data package (pop_analytics.open_data) of what this reader may publish: what donors
    see, within a partner's municipalities; the whole data set, whatever the filters. Built when the
    button is pressed."""
    seen = published(sight())

    def built() -> bytes:
        with db().reading(sight=seen) as con:
            return open_data.zipped(open_data.build(con))
    st.subheader(tr("reports.open_data"))
    st.markdown(tr("reports.open_data.network" if seen.municipalities is None else "reports.open_data.partner"))
    st.download_button(tr("reports.download.open_data"), checked_at_click(built),
                       file_name=f"{open_data.PACKAGE_NAME}.zip", mime="application/zip", key="open_data",
                       on_click="ignore", icon=":material/dataset:")


def download_key(kind: str, name: str) -> str:
    """csv_<name> / xlsx_<name>; a name with other characters than safe_name keeps is reduced to
    them and told apart by a short hash of the name as it was, so every table keeps its own key."""
    safe = present.safe_name(name)
    if safe != name:
        safe += "_" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{kind}_{safe}"


class LongRows(Protocol):
    """A query of rows that may number a million: the first limit of them, or (limit None) all."""

    __name__: str

    def __call__(self, con: duckdb.DuckDBPyConnection, filters: Filters, limit: int | None = None) -> pd.DataFrame:
        ...


def long_table(rows: LongRows, count: Callable[[duckdb.DuckDBPyConnection, Filters], int], chosen: Filters,
               columns: list[str], **options: Any) -> int:
    """A table that may hold a million rows (named as its query, rows): the first rows are fetched
    and shown, all of them download; count says how many there are. Returns that number."""
    total = data(count, chosen)
    seen = sight()
    table(data(rows, chosen, limit=settings.TABLE_ROW_LIMIT), rows.__name__, columns, total=total,
          everything=lambda: read(rows, seen, chosen), **options)
    return total


def template_bytes() -> bytes:
    """The partners' Excel template, as template.write makes it; a partner's holds their
    municipalities only and their current contract's priorities, ready for a year and a status."""
    person = viewer()
    if person is None or person.municipalities is None:
        return _template(None, None)
    return _template(person.municipalities, data(queries.contract_priorities, person.municipalities))


@st.cache_data(show_spinner=False, max_entries=100)
def _template(municipalities: tuple[str, ...] | None, priorities: pd.DataFrame | None) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return template.write(Path(folder) / "POP_template.xlsx", municipalities, priorities).read_bytes()


def import_labels(imports: pd.DataFrame) -> dict[int, str]:
    """One line per import for a choice: number, file, when, who."""
    language = lang()
    return {int(r.id): f"#{r.id} · {r.file_name} · {formats.moment(r.imported_at, language)} · {r.imported_by}"
            for r in imports.itertuples()}


def audit_view(log: pd.DataFrame, actions: list[str], people: list[str], search: str) -> pd.DataFrame:
    """The audit rows chosen on the page, each action named and its details said in the reader's
    language (the search finds the words shown and the details as stored)."""
    language = lang()
    shown = log.assign(stored=log["detail"],
                       detail=[audit_details.sentence(a, d, language) for a, d in zip(log["action"], log["detail"])])
    if actions:
        shown = shown[shown["action"].isin(actions)]
    if people:
        shown = shown[shown["who"].isin(people)]
    if search.strip():
        needle = fold(search.strip())
        text = (shown["target"].fillna("") + " " + shown["detail"] + " " + shown["stored"].fillna("") + " "
                + shown["who"]).map(fold)
        shown = shown[text.str.contains(needle, regex=False)]
    return shown.drop(columns="stored")
