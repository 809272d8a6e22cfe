"""The Reporting page's parts: which kind of sheet, the schedule (set by a coordinator), the rates as
tiles, who reported which period as a grid, and each cell with the import behind it."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from .. import present, queries, reporting, settings
from ..errors import DatabaseProblem, Refusal
from ..filters import Filters
from ..i18n import t
from .data import data, db
from .roles import permit, viewer
from .state import escape, lang, tr
from .widgets import downloads, tiles

KIND_KEY = "kind"
# Each status's tint in the grid: approved on time green, late orange, waiting grey-blue, rejected and
# missing red, not yet due left plain (the same hues as a priority's status).
TINTS = {"on_time": "rgba(26, 152, 80, 0.22)", "late": "rgba(244, 166, 55, 0.30)",
         "awaiting_review": "rgba(66, 133, 244, 0.18)", "rejected": "rgba(215, 48, 39, 0.30)",
         "missing": "rgba(215, 48, 39, 0.16)", "due": ""}


def kind_choice() -> str:
    """Activities or priority monitoring, kept in the link (?kind=priorities): a link that names it
    chooses it; a click writes it back."""
    language = lang()  # the options are worded when AppTest reads them, too
    asked = st.query_params.get(KIND_KEY)
    if asked in reporting.KINDS:
        st.session_state[KIND_KEY] = asked
    elif st.session_state.get(KIND_KEY) not in reporting.KINDS:
        st.session_state[KIND_KEY] = reporting.KINDS[0]
    chosen = st.segmented_control(tr("reporting.kind"), list(reporting.KINDS), key=KIND_KEY, required=True,
                                  on_change=_kind_to_link,
                                  format_func=lambda kind: t(f"reporting.kind_title.{kind}", language))
    return str(chosen or reporting.KINDS[0])


def _kind_to_link() -> None:
    st.query_params[KIND_KEY] = str(st.session_state.get(KIND_KEY) or reporting.KINDS[0])


def may_see() -> bool:
    """Whether this reader sees the page's figures: who reported (coordinators and partners), or the
    rates alone (donors, when a coordinator allowed it)."""
    person = viewer()
    if person is None:
        return False
    return person.may("see_reporting") or data(reporting.donors_see_rates)


def nothing_stored() -> bool:
    """True (after saying so) before the first import: every cell would say missing."""
    if data(queries.years):
        return False
    st.info(tr("empty.database"), icon=":material/info:")
    return True


def view(chosen: Filters, kind: str) -> reporting.View:
    return data(reporting.view, chosen, kind, dt.date.today())


def schedule_line(found: reporting.View) -> None:
    schedule = found.schedule
    if not schedule.active:
        st.info(tr("reporting.off", kind=tr(f"reporting.kind.{schedule.kind}")), icon=":material/event_busy:")
        return
    st.caption(tr("reporting.schedule", kind=tr(f"reporting.kind_title.{schedule.kind}"),
                  frequency=tr(f"reporting.frequency.{schedule.frequency}"), count=schedule.deadline_days))


def schedule_form(found: reporting.View) -> None:
    """A coordinator changes how often this kind is reported and its deadline, and whether donors see rates."""
    if not (viewer() or permit("read")).may("set_schedule"):
        return
    outcome = st.session_state.pop("reporting_outcome", None)
    if outcome:
        (st.success if outcome[0] else st.error)(outcome[1])
    schedule, language = found.schedule, lang()
    with st.expander(tr("reporting.change"), icon=":material/edit_calendar:"):
        with st.form(key=f"schedule_{schedule.kind}", border=False):
            options = list(reporting.frequencies(schedule.kind))
            st.selectbox(tr("reporting.frequency"), options, index=options.index(schedule.frequency),
                         key=f"schedule_frequency_{schedule.kind}",
                         format_func=lambda f: t(f"reporting.frequency.{f}", language))
            st.number_input(tr("reporting.deadline_days"), min_value=0, max_value=settings.MAX_DEADLINE_DAYS,
                            value=schedule.deadline_days, step=1, key=f"schedule_days_{schedule.kind}")
            st.form_submit_button(tr("reporting.save"), type="primary", icon=":material/save:",
                                  on_click=save_schedule, args=(schedule.kind,))
        st.toggle(tr("reporting.donors"), value=data(reporting.donors_see_rates), key="reporting_donors",
                  on_change=save_donors, help=tr("reporting.donors_help"))


def save_schedule(kind: str) -> None:
    state = st.session_state
    try:
        reporting.set_schedule(db(), permit("set_schedule"), kind, str(state.get(f"schedule_frequency_{kind}")),
                               int(state.get(f"schedule_days_{kind}", 0)))
        state["reporting_outcome"] = (True, tr("reporting.saved"))
    except (DatabaseProblem, Refusal) as problem:
        state["reporting_outcome"] = (False, escape(problem.message(lang())))


def save_donors() -> None:
    state = st.session_state
    try:
        reporting.allow_donors(db(), permit("set_schedule"), bool(state.get("reporting_donors")))
        state["reporting_outcome"] = (True, tr("reporting.saved"))
    except (DatabaseProblem, Refusal) as problem:
        state["reporting_outcome"] = (False, escape(problem.message(lang())))


def rate_tiles(found: reporting.View) -> None:
    language = lang()
    overall = found.overall.iloc[0] if len(found.overall) else None
    counts = found.cells["reporting_status"].value_counts() if len(found.cells) else pd.Series(dtype=int)

    def share(value: float | None) -> str:
        return present.percent(value, language)
    specs = [
        {"name": "reporting_rate", "value": share(None if overall is None else float(overall["reporting_rate"]))},
        {"name": "reporting_on_time", "value": share(None if overall is None else float(overall["on_time_rate"]))},
        {"name": "reports_expected", "value": present.number(0 if overall is None else int(overall["expected"]),
                                                             language)},
        {"name": "reports_missing", "value": present.number(int(counts.get("missing", 0)), language)},
    ]
    if viewer() is not None and viewer().may("see_reporting"):  # type: ignore[union-attr]
        specs.append({"name": "reports_waiting",
                      "value": present.number(int(counts.get("awaiting_review", 0)), language)})
    tiles(specs)


def _labelled(found: reporting.View) -> dict[str, str]:
    keys = sorted(found.cells["period"].unique()) if len(found.cells) else []
    return reporting.period_labels(found.schedule.frequency, keys, lang())


def trend_rows(found: reporting.View) -> pd.DataFrame:
    """The rates per period, each period with its label, for charts.reporting_trend."""
    rows = found.by_period
    return rows.assign(label=rows["period"].map(_labelled(found))) if len(rows) else rows


def grid(found: reporting.View) -> None:
    """Municipality × period, each cell its status, tinted."""
    table = reporting.grid(found.cells)
    if table.empty:
        st.info(tr("reporting.none"), icon=":material/info:")
        return
    labels = _labelled(found)
    words = {status: tr(f"reporting_status.{status}") for status in reporting.STATUSES}
    shown = table.rename(columns=labels).map(lambda s: words.get(s, present.DASH) if isinstance(s, str) else None)
    shown.index.name = tr("col.municipality")
    colours = {words[s]: tint for s, tint in TINTS.items() if tint}
    styled = shown.style.map(lambda v: f"background-color: {colours[v]}" if v in colours else "")
    st.dataframe(styled, placeholder=present.DASH,
                 column_config={tr("col.municipality"): st.column_config.TextColumn(pinned=True)})
    st.caption(tr("reporting.legend"))


def cells_table(found: reporting.View, chosen: Filters) -> None:
    """Every cell with its deadline, when its report came and the import behind it (a link to it)."""
    if found.cells.empty:
        return
    language = lang()
    labels = _labelled(found)
    frame = found.cells.assign(period=found.cells["period"].map(labels),
                               due=pd.to_datetime(found.cells["due"]))  # a date column, written as dates are

    def written(rows: pd.DataFrame) -> pd.DataFrame:  # in the page's language, also when downloaded later
        return present.table(rows, language, ["municipality", "period", "reporting_status", "due", "submitted_at",
                                              "import_id"])
    shown = written(frame)
    link = tr("col.import_id")
    shown[link] = [f"/history?review={i}&lang={language}" if not pd.isna(i) else None for i in frame["import_id"]]
    st.dataframe(present.styled(shown, language), hide_index=True, placeholder=present.DASH,
                 column_config={link: st.column_config.LinkColumn(link, display_text=r"review=(\d+)")})
    downloads(lambda: written(frame), f"reporting_{found.schedule.kind}", len(frame), chosen)


def rates_table(frame: pd.DataFrame, name: str, by: str, found: reporting.View, chosen: Filters) -> None:
    if frame.empty:
        return
    language = lang()
    shown_rows = frame.assign(period=frame["period"].map(_labelled(found))) if by == "period" else frame
    columns = [by, "reporting_rate", "on_time_rate", "expected", "reported", "on_time"]  # the rates fit a phone
    st.dataframe(present.styled(present.table(shown_rows, language, columns), language), hide_index=True,
                 placeholder=present.DASH)
    downloads(lambda: present.table(shown_rows, language, columns), name, len(frame), chosen)
