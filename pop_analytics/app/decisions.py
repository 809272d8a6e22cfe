"""What an import takes out of view and what it holds, on the pages where someone decides: the
Upload page before storing (replace the file's months or add its rows), the Import history page
before approving, and the coordinator's Overview pointing at what waits (pop_analytics.review
finds the rows; this module only shows them)."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from .. import importing, present, queries, review, settings, store
from ..i18n import t
from .data import data, db
from .roles import may
from .state import escape, lang, tr

MODE_KEY = "upload_mode"
REVIEW_KEY = "review_choice"


def _leaving_rows(leaving: dict[str, pd.DataFrame]) -> None:
    """Each leaving row, per table, under the reader's headings, folded away under the sentences."""
    language = lang()
    for name, frame in review.leaving_tables(leaving, language).items():
        with st.expander(tr("review.rows_leaving", rows=_rows(name, len(frame)))):
            _frame(frame)


def _frame(shown: pd.DataFrame) -> None:
    """A table of rows, its numbers and dates narrow, so that on a phone the type, events and
    participants show beside the date without scrolling sideways."""
    narrow = {heading: st.column_config.Column(width="small") for heading in shown.columns
              if pd.api.types.is_numeric_dtype(shown[heading]) or pd.api.types.is_datetime64_any_dtype(shown[heading])}
    st.dataframe(present.styled(shown, lang()), hide_index=True, placeholder=present.DASH, column_config=narrow)


def _rows(table_name: str, count: int) -> str:
    """'3 activity rows', '1 priority': how many rows of a table."""
    return t(f"count.replaced.{table_name}", lang(), count=count)


def _lines(lines: list[str]) -> None:
    for line in lines:
        st.markdown("- " + escape(line))


def leaving_view(report: importing.ImportReport) -> str:
    """Before storing: what leaves every view, in the reader's words, and (when activity rows would
    leave) the choice to add the file's rows instead. Returns the mode chosen."""
    st.subheader(tr("upload.replaces_heading"))
    replacing = importing.leaving(db(), report, store.REPLACE_MODE)
    mode = store.REPLACE_MODE
    if "activities" in replacing:
        language = lang()  # the options are written again outside the page run, where it is not known
        mode = st.radio(tr("upload.mode"), store.MODES, key=MODE_KEY,
                        format_func=lambda m: t(f"upload.mode.{m}", language))
        st.caption(tr("upload.mode_help"))
    leaving = replacing if mode == store.REPLACE_MODE else importing.leaving(db(), report, mode)
    if leaving:
        _lines(review.leaving_lines(leaving, lang()))
        _leaving_rows(leaving)
        st.caption(tr("upload.replaces_help"))
    else:
        st.markdown("- " + tr("upload.replaces_none" if mode == store.REPLACE_MODE else "upload.adds_only"))
    return mode


def chosen_from_link(waiting: list[int]) -> None:
    """An import named in the address (?review=ID, the Overview's links) is the one chosen, once."""
    asked = st.query_params.get("review")
    if asked is not None and asked.isdigit() and int(asked) in waiting:
        st.session_state[REVIEW_KEY] = int(asked)
    if "review" in st.query_params:
        del st.query_params["review"]


def details(import_id: int) -> None:
    """What a coordinator reads before approving: where and when the rows are, totals per activity
    type, the warnings the partner saw, the rows that leave donors' view, and the rows themselves."""
    language = lang()
    with db().reading() as con:
        held = review.held(con, import_id)
    if held is None:
        return
    st.markdown(escape(review.summary_line(held, language)))
    if "activities" in held.rows:
        st.markdown(f"**{tr('review.totals')}**")
        _frame(review.totals_table(held, language))
    st.markdown(f"**{tr('review.warnings', count=len(held.warnings))}**")
    if held.warnings:  # whole sentences: a table cell would cut them short
        _lines([w.message(language) for w in held.warnings])
    else:
        st.caption(tr("review.no_warnings"))
    st.markdown(f"**{tr('review.leaves_heading')}**")
    if held.leaving:
        _lines(review.leaving_lines(held.leaving, language))
        _leaving_rows(held.leaving)
    else:
        st.caption(tr(f"review.leaves_none.{held.record['mode']}"))
    for name in held.rows:
        _paged_rows(held, name, import_id)


def _paged_rows(held: review.Held, name: str, import_id: int) -> None:
    language = lang()
    frame = review.rows_table(held, name, language)
    size = settings.REVIEW_PAGE_ROWS
    pages = max(1, math.ceil(len(frame) / size))
    st.markdown(f"**{tr('review.rows_held', rows=_rows(name, len(frame)))}**")
    page = 1
    if pages > 1:
        page = st.selectbox(tr("review.page"), range(1, pages + 1), key=f"review_page_{import_id}_{name}",
                            format_func=lambda p: t("review.page_of", language, page=p, pages=pages))
    shown = frame.iloc[(page - 1) * size: page * size]
    _frame(shown)


def awaiting_review() -> None:
    """On a coordinator's Overview: how many imports wait, and a link to each one's review."""
    if not may("review"):
        return
    imports = data(queries.imports)
    waiting = imports[imports["import_status"] == "submitted"]
    if waiting.empty:
        return
    language = lang()
    count = len(waiting)
    with st.container(border=True):
        awaiting = tr("review.awaiting", count=count)
        st.markdown(f":orange[:material/hourglass_top:] **{awaiting}**")
        for row in waiting.sort_values("id").itertuples():
            st.page_link("app_pages/history.py", icon=":material/rate_review:",
                         label=tr("review.awaiting_item", import_id=row.id, file=row.file_name, who=row.imported_by),
                         query_params={"review": str(row.id), "lang": language})
