"""Turning query results into what a reader sees: numbers in the reader's convention, codes as
labels, columns under catalogue headings, files to download. No Streamlit here: pages call it
through pop_analytics.app, tests call it directly."""
from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, SupportsFloat

import numpy as np
import pandas as pd

from . import formats, kpis, reference, spreadsheet
from .filters import Filters
from .i18n import t

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

DASH = "–"

# Coded columns and the vocabulary whose labels they show.
_VOCABULARY = {"status": "statuses", "theme": "themes", "type": "activity_types", "indicator": "indicators",
               "target_indicator": "target_indicators"}


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def number(value: SupportsFloat | None, lang: str, decimals: int = 0) -> str:
    """1157 → '1,157' (en) / '1 157' (sq); None → '–'."""
    if value is None or _missing(value):
        return DASH
    return formats.number(float(value), lang, decimals)


def rows_phrase(count: int, lang: str) -> str:
    """1 → '1 row', 1157 → '1,157 rows' (en); '1 rresht', '1 157 rreshta' (sq)."""
    return t("count.rows", lang, count=count, n=number(count, lang))


def removed_phrase(count: int, lang: str) -> str:
    """1 → '1 row removed', 7 → '7 rows removed' (en); 'u hoq 1 rresht', 'u hoqën 7 rreshta' (sq)."""
    return t("count.removed", lang, count=count, n=number(count, lang))


def problems_phrase(count: int, lang: str) -> str:
    """1 → '1 problem', 3 → '3 problems' (en); '1 problem', '3 probleme' (sq)."""
    return t("count.problems", lang, count=count, n=number(count, lang))


def percent(value: SupportsFloat | None, lang: str) -> str:
    """74.5 → '74.5%' (en) / '74,5%' (sq), one decimal as the KPI object rounds it."""
    return DASH if _missing(value) else number(value, lang, 1) + "%"


def signed(value: float | None, lang: str, decimals: int = 0, unit: str = "") -> str | None:
    """A change for st.metric's delta: '+12', '-3,5 p.p.'; None when there is nothing to compare."""
    if value is None or _missing(value):
        return None
    sign = "+" if value > 0 else "-" if value < 0 else "±"
    text = sign + number(abs(value), lang, decimals)
    return f"{text} {unit}" if unit else text


def points(value: float | None, lang: str) -> str | None:
    """A change of a share as every page, report and workbook writes it: '+16.1 pp' (en), '-16,1 p.p.'
    (sq), '±0.0 pp'; None when there is nothing to compare."""
    return signed(value, lang, 1, t("unit.pp", lang))


def excel_points_format(lang: str) -> str:
    """The Excel number format that writes a change of a share as points() does, in the reader's
    language (Excel puts in its own decimal sign)."""
    unit = t("unit.pp", lang).replace('"', "")
    return f'+0.0" {unit}";-0.0" {unit}";"±"0.0" {unit}"'


def change(current: SupportsFloat | None, previous: SupportsFloat | None) -> float | None:
    if current is None or previous is None or _missing(current) or _missing(previous):
        return None
    return round(float(current) - float(previous), 1)


def label(vocabulary: str, key: object, lang: str) -> str:
    return DASH if _missing(key) else reference.term_label(vocabulary, str(key), lang)


def years_text(years: Sequence[int], lang: str) -> str:
    """(2020, 2021, 2022) → '2020–2022'; (2019, 2021) → '2019, 2021'; () → 'all years'."""
    years = sorted(years)
    if not years:
        return t("common.all_years", lang)
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(map(str, years))


def filters_text(filters: Filters, lang: str, own: Sequence[str] | None = None) -> str:
    """One line saying what the view shows, for headings and for reports forwarded on. own: the
    municipalities a reader's rows are limited to (a partner's), said as theirs, never as 'all'."""
    if filters.municipality:
        places = ", ".join(filters.municipality)
    elif own is not None:
        places = t("common.your_municipalities", lang, names=", ".join(own) or DASH)
    else:
        places = t("common.all_municipalities", lang)
    parts = [
        places,
        years_text(filters.year, lang),
        ", ".join(label("themes", k, lang) for k in filters.theme) if filters.theme else t("common.all_themes", lang),
        t("common.cycle_named", lang, cycle=filters.cycle) if filters.cycle else t("common.all_cycles", lang),
    ]
    return " · ".join(parts)


# Columns whose values are words of the catalogue: <prefix>.<value>.
_WORDS = {"state": "state", "import_status": "import_status", "role": "role", "action": "audit_action",
          "achieved_from": "achieved_from", "reporting_status": "reporting_status", "language": "lang"}


def _cell(column: str, value: object, lang: str) -> object:
    if _missing(value):
        return None
    if column in _VOCABULARY:
        return label(_VOCABULARY[column], value, lang)
    if column in _WORDS:
        return t(f"{_WORDS[column]}.{value}", lang)
    if column == "kind":
        return " + ".join(t(f"kind.{k}", lang) for k in str(value).split("+"))
    if column in ("themes",):
        return ", ".join(label("themes", k.strip(), lang) for k in str(value).split(",") if k.strip())
    if column == "overdue" and isinstance(value, bool):  # a mark on the overdue rows only
        return t("deadline.overdue", lang) if value else None
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang)
    return value


def _date_kind(column: str, values: pd.Series) -> str:
    """How a column of moments reads: 'month' (a month of a year), 'date' (days) or 'moment' (to the minute)."""
    if column == "month":
        return "month"
    known = values.dropna()
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        known = known.dt.tz_localize(None)
    return "date" if bool((known == known.dt.normalize()).all()) else "moment"


def _whole(column: str, values: pd.Series) -> pd.Series:
    """A column of counts stored as decimals (a reported figure, its difference from the itemised
    rows) as whole numbers: 62, not 62.0. Shares (…_pct) and columns with a fraction stay decimals."""
    if not pd.api.types.is_float_dtype(values) or column.endswith("_pct"):
        return values
    known = values.dropna()
    if len(known) and bool((known == known.round()).all()) and bool((known.abs() < 2**53).all()):
        return values.astype("Int64")
    return values


# A table's attrs[MOMENTS] says, per heading, whether its dates are months, days or moments:
# after the heading is translated, 'month' can no longer be told from its name.
MOMENTS = "pop_moments"
# ... and attrs[IDENTIFIERS] the headings of whole numbers that name rather than count (a year, a
# row of a sheet, an import's number): written without a thousands separator (2023, not 2,023).
IDENTIFIERS = "pop_identifiers"
# ... and attrs[AS_NEEDED] the headings of columns holding counts and shares alike (targets): each
# number with the decimals it has (3 643 and 51,9), not one decimal for all.
AS_NEEDED = "pop_as_needed"
_AS_NEEDED_COLUMNS = frozenset({"target_value", "achieved"})
_IDENTIFIER_COLUMNS = frozenset({"year", "excel_row", "row", "id", "first_year", "last_year", "monitoring_year",
                                 "entry"})


def table(frame: pd.DataFrame, lang: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """The columns asked for, codes shown as labels, headed in the reader's language.
    Year columns (named '2020', '2021', ...) hold statuses and keep their year as heading. Numbers
    and dates stay numbers and dates (sorting, Excel); written() and styled() write them."""
    columns = list(columns) if columns is not None else list(frame.columns)
    shown = pd.DataFrame(index=frame.index)
    moments: dict[str, str] = {}
    for column in columns:
        values = frame[column] if column in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        if column.isdigit():
            heading, kind = column, "status"
        else:
            heading, kind = t(f"col.{column}", lang), column
        if kind in _VOCABULARY or kind in _WORDS or kind in ("kind", "themes") or values.dtype == bool:
            values = pd.Series([_cell(kind, v, lang) for v in values], index=values.index, dtype=object)
        if isinstance(values.dtype, pd.DatetimeTZDtype):  # shown in the server's time, as the readers live
            values = values.dt.tz_convert(None)
        if pd.api.types.is_datetime64_any_dtype(values):
            moments[heading] = _date_kind(column, values)
        values = _whole(column, values)
        if kind == "municipality":
            values = values.astype(object).where(values.notna(), t("common.whole_network", lang))
        shown[heading] = values
    shown = shown.reset_index(drop=True)
    shown.attrs[MOMENTS] = moments
    shown.attrs[IDENTIFIERS] = [t(f"col.{c}", lang) for c in columns if c in _IDENTIFIER_COLUMNS]
    shown.attrs[AS_NEEDED] = [t(f"col.{c}", lang) for c in columns if c in _AS_NEEDED_COLUMNS]
    return shown


def status_columns(frame: pd.DataFrame) -> list[str]:
    """The year columns of a priorities table, oldest first."""
    return sorted((c for c in frame.columns if str(c).isdigit()), key=int)


# ── deadlines ────────────────────────────────────────────────────────────────────────────────

def _months_later(day: dt.date, months: int) -> dt.date:
    """The same day so many months later (31 January + 1 month → 28 or 29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def span(start: dt.date, end: dt.date, lang: str) -> str:
    """The time from start to end (start first) in whole months and days: '2 months and 5 days',
    '1 muaj', '12 ditë'."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if _months_later(start, months) > end:
        months -= 1
    days = (end - _months_later(start, months)).days
    parts = {"months": t("deadline.months", lang, count=months) if months else "",
             "days": t("deadline.days", lang, count=days) if days else ""}
    return t("deadline.span", lang, **parts) if months and days else parts["months"] or parts["days"]


def time_left(deadline: dt.date, today: dt.date, status: str, lang: str) -> str | None:
    """What is left to a priority's deadline ('2 months and 5 days left'), or how long it is past
    ('1 month past the deadline'); None for a fully addressed priority, which has nothing left to do."""
    if status == "fully":
        return None
    if deadline == today:
        return t("deadline.today", lang)
    if deadline > today:
        return t("deadline.left", lang, span=span(today, deadline, lang))
    return t("deadline.past", lang, span=span(deadline, today, lang))


def with_time_left(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A table of kpis.with_deadlines with its time_left written in the reader's language. Priorities
    share a few deadlines (their cycle's end, mostly): each sentence is written once per deadline,
    days left and whether the priority is done, not once per row (20,000 rows at 1M activities)."""
    table = table.copy()
    # Rows of one deadline, days left and doneness share a number; NaN where there is no deadline.
    shared = table.groupby([table["deadline"], table["days_left"], table["status"].eq("fully")], sort=False,
                           dropna=True).ngroup()
    dated = shared.notna().to_numpy()
    numbers = shared[dated].to_numpy(dtype=np.int64)
    firsts = table[dated].iloc[np.unique(numbers, return_index=True)[1]]  # numbered by first appearance
    sentences = np.array([time_left(d.date(), d.date() - dt.timedelta(days=int(n)), s, lang)
                          for d, n, s in zip(firsts["deadline"], firsts["days_left"], firsts["status"])],
                         dtype=object)
    column = np.full(len(table), None, dtype=object)
    column[dated] = sentences[numbers]
    table["time_left"] = pd.Series(column, index=table.index, dtype=object)
    return table


def deadline_sentences(definition: dict, status: str | None, today: dt.date, lang: str) -> tuple[bool, list[str]]:
    """A priority's deadline as its page says it (queries.priority_definition's, its latest status):
    whether it is overdue, and the sentences: the date and where it comes from, then the time left,
    how long it is overdue, or that it is done."""
    due = definition.get("due")
    deadline = kpis.deadline(due, definition["cycle"])
    own = due is not None and not pd.isna(due)
    said = [t("priority.deadline_own" if own else "priority.deadline_cycle", lang,
              date=formats.date(deadline, lang), cycle=definition["cycle"])]
    if status is None:
        return False, said
    if status == "fully":
        return False, [*said, t("priority.fully", lang)]
    if kpis.overdue(deadline, status, today):
        return True, [*said, t("priority.overdue", lang, date=formats.date(deadline, lang),
                               span=span(deadline, today, lang))]
    return False, [*said, time_left(deadline, today, status, lang) or ""]


# ── files ────────────────────────────────────────────────────────────────────────────────────

_UNSAFE_IN_NAMES = re.compile(r"[^A-Za-z0-9_.\-]+")


def safe_name(text: object, limit: int = 80) -> str:
    """Text as part of a file name or a sheet title: accents dropped, letters, digits, '_', '-' and
    '.' kept, anything else one '_' ('priority_2019-2023_DUR/07' -> 'priority_2019-2023_DUR_07').
    Never starts with '.' or '-' (a hidden file, an option), at most limit long, never empty."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    safe = _UNSAFE_IN_NAMES.sub("_", bare).lstrip("._-")[:limit].rstrip("._")
    return safe or "data"

SHEET_TITLE_LIMIT = 31  # Excel's


def sheet_title(name: object) -> str:
    """A valid Excel sheet title from a table name: safe_name's characters (none of []:*?/\\ or an
    apostrophe), at most 31 of them, not Excel's reserved 'History'."""
    title = safe_name(name, SHEET_TITLE_LIMIT)
    return title + "_" if title.casefold() == "history" else title


def download_name(name: str, lang: str, day: dt.date, extension: str, filters: Filters | None = None) -> str:
    """pop_<table>[_<filters>]_<lang>_<date>.<extension> (view_stem's filters, so a file saved from
    a filtered view says which), every part reduced to safe_name's characters."""
    return f"{view_stem(name, filters or Filters())}_{safe_name(lang)}_{day:%Y-%m-%d}.{safe_name(extension)}"


def view_stem(name: str, filters: Filters) -> str:
    """pop_<what>[_<cycle>][_<years>][_<municipalities>][_<themes>] for a chart image or a report,
    so the file says what it shows: pop_addressed_by_year_2019-2023_2023."""
    years = sorted(filters.year)
    if years and years == list(range(years[0], years[-1] + 1)) and len(years) > 1:
        span = f"{years[0]}-{years[-1]}"
    else:
        span = "_".join(map(str, years))
    # each part made safe on its own: a name's leading dots ('../x') must not survive inside the stem
    parts = ["pop", safe_name(name), filters.cycle or "", span, "_".join(filters.municipality),
             "_".join(filters.theme)]
    return safe_name("_".join(part for part in parts if part), limit=120)


def source_line(as_of: dict, lang: str) -> str:
    """Where the figures come from and how recent they are, under a chart or on a report's title page."""
    date = formats.date(as_of["latest"], lang) if as_of.get("latest") is not None else DASH
    key = "report.source_with_submitted" if as_of.get("submitted") else "report.source"
    return t(key, lang, date=date, count=int(as_of.get("submitted") or 0))


def _moments(frame: pd.DataFrame) -> dict[str, str]:
    """Per date column of frame: 'month', 'date' or 'moment' (from table()'s attrs, else its values)."""
    known = frame.attrs.get(MOMENTS, {})
    return {str(c): known.get(c) or _date_kind(str(c), frame[c]) for c in frame.columns
            if pd.api.types.is_datetime64_any_dtype(frame[c])}


def _is_decimal(values: pd.Series) -> bool:
    return pd.api.types.is_float_dtype(values)


def styled(shown: pd.DataFrame, lang: str, dates: bool = True,
           numbers: dict[object, Callable[[Any], str]] | None = None) -> Styler:
    """A pandas Styler that shows shown's numbers and dates as the reader's language writes them
    (1 157 / 51,9 / 01.09.2023 in Albanian), while the table still sorts them as numbers and dates.
    dates=False leaves the dates to the table grid, which writes them itself (grid_dates); numbers:
    number_writers(shown, lang), when the caller has them already."""
    formatter: dict[object, Callable[[Any], str]] = {}
    writers: dict[str, Callable[[Any, str], str]] = {"month": formats.month, "date": formats.date,
                                                     "moment": formats.moment}
    for heading, kind in _moments(shown).items() if dates else ():
        formatter[heading] = functools.partial(_written_with, writers[kind], lang=lang)
    formatter.update(number_writers(shown, lang) if numbers is None else numbers)
    return shown.style.format({heading: _once_per_value(write) for heading, write in formatter.items()}, na_rep=DASH)


def number_writers(shown: pd.DataFrame, lang: str) -> dict[object, Callable[[Any], str]]:
    """Per column of counts or shares (not identifiers, flags or dates): how the reader's language
    writes its values. A table with none needs no Styler: its dates go to the grid (grid_dates)."""
    written: dict[object, Callable[[Any], str]] = {}
    dates = _moments(shown)
    for heading in shown.columns:
        values = shown[heading]
        if pd.api.types.is_bool_dtype(values) or heading in dates or heading in shown.attrs.get(IDENTIFIERS, ()):
            continue
        if _is_decimal(values) and heading in shown.attrs.get(AS_NEEDED, ()):
            written[heading] = functools.partial(_decimals_as_needed, lang=lang)
        elif _is_decimal(values):
            written[heading] = functools.partial(_written_one_decimal, lang=lang)
        elif pd.api.types.is_integer_dtype(values):
            written[heading] = functools.partial(_written_whole, lang=lang)
    return written


def grid_dates(shown: pd.DataFrame, lang: str) -> dict[str, tuple[str, str]]:
    """Per date column of shown: its kind ('date', 'month' or 'moment') and the table grid's pattern
    that writes it as formats does in the reader's language (the grid's own format wins over a
    Styler's, and the column still sorts as dates)."""
    convention = formats.of(lang)
    patterns = {"date": convention.grid_date, "month": convention.grid_month, "moment": convention.grid_moment}
    return {heading: (kind, patterns[kind]) for heading, kind in _moments(shown).items()}


def _written_one_decimal(value: Any, lang: str) -> str:
    return number(value, lang, 1)


def _written_whole(value: Any, lang: str) -> str:
    return number(value, lang)


def _once_per_value(write: Callable[[Any], str]) -> Callable[[Any], str]:
    """write, run once per distinct value of a column: a table of 1,000 rows repeats its dates and counts."""
    written: dict[Any, str] = {}

    def once(value: Any) -> str:
        try:
            return written[value]
        except KeyError:
            written[value] = text = write(value)
            return text
    return once


def _decimals_as_needed(value: Any, lang: str) -> str:
    """A count as a whole number, a share with its one decimal, in one column (a target and what was achieved)."""
    return number(value, lang, 0 if float(value).is_integer() else 1)


def _written_with(write: Callable[[Any, str], str], value: Any, lang: str) -> str:
    return write(value, lang)


def written(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """frame as a CSV in lang holds it: dates in the language's format (text, as a spreadsheet in
    that language reads them back as dates); numbers stay numbers, to be written with its decimal sign."""
    shown = frame.copy()
    patterns = {"month": formats.of(lang).month, "date": formats.of(lang).date, "moment": formats.of(lang).moment}
    for heading, kind in _moments(frame).items():
        values = shown[heading]
        shown[heading] = values.dt.strftime(patterns[kind]).astype(object).where(values.notna(), None)
    return shown


def csv_bytes(frame: pd.DataFrame, lang: str = "en") -> bytes:
    """CSV that Excel opens with Albanian letters intact (UTF-8 with a byte-order mark), in the
    reader's convention: Albanian with ';' between fields and a decimal comma (what Excel in that
    language expects), English with ',' and a decimal point; dates as the language writes them,
    numbers without thousands separators (so a spreadsheet reads them back as numbers). A text
    cell that a spreadsheet would evaluate starts with an apostrophe ('=1+1 shows as '=1+1). Lines
    end in CRLF, so that a cell holding a carriage return or a line break is quoted and stays one cell."""
    shown = spreadsheet.prefixed(written(frame, lang), "'")
    convention = formats.of(lang)
    return shown.to_csv(index=False, lineterminator="\r\n", sep=convention.csv_separator,
                        decimal=convention.decimal).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data", lang: str = "en") -> bytes:
    """An Excel file of frame, on one sheet titled after sheet (see sheet_title). Every text cell
    follows spreadsheet.mark_text's rule, so nothing is ever evaluated; numbers and dates stay numbers
    and dates, dates shown in the reader's format."""
    buffer = io.BytesIO()
    title = sheet_title(sheet)
    convention = formats.of(lang)
    kinds = _moments(frame)
    plain = frame.copy()
    for position in range(plain.shape[1]):
        values = plain.iloc[:, position]
        if isinstance(values.dtype, pd.DatetimeTZDtype):  # Excel has no time zones; dates stay dates
            plain.isetitem(position, values.dt.tz_localize(None))
        elif values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            # control characters a damaged export leaves would stop the file being written at all
            plain.isetitem(position, values.map(spreadsheet.clean))
    plain.columns = [spreadsheet.clean(c) for c in plain.columns]
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        plain.to_excel(writer, index=False, sheet_name=title)
        worksheet = writer.sheets[title]
        for index, column in enumerate(plain.columns, start=1):
            values = plain.iloc[:, index - 1]
            kind = kinds.get(str(frame.columns[index - 1]))
            shown = [formats.moment(v, lang) for v in values.head(200)] if kind else values.head(200)
            width = max([len(str(column))] + [len(str(v)) for v in shown]) + 2
            worksheet.column_dimensions[worksheet.cell(1, index).column_letter].width = min(60, width)
            spreadsheet.mark_text(worksheet.cell(1, index))
            if kind:
                number_format = {"month": convention.excel_month, "date": convention.excel_date,
                                 "moment": convention.excel_moment}[kind]
                for row in range(2, len(values) + 2):
                    worksheet.cell(row, index).number_format = number_format
            for flagged in np.flatnonzero(spreadsheet.cells_to_mark(values)):
                spreadsheet.mark_text(worksheet.cell(int(flagged) + 2, index))
        worksheet.freeze_panes = "A2"
    return buffer.getvalue()


# ── uploads ──────────────────────────────────────────────────────────────────────────────────

# What to fix comes right after where: on a phone the first columns are the ones that show.
PROBLEM_COLUMNS = ("severity", "row", "message", "value", "column", "sheet")


def problems(errors: Sequence, warnings: Sequence, lang: str) -> pd.DataFrame:
    """The validation report: one row per problem, where it is and what to do, in lang."""
    rows = [{"severity": t(f"upload.severity.{severity}", lang), "sheet": p.sheet or None, "row": p.row,
             "column": p.column or None, "value": p.value or None, "message": p.message(lang)}
            for severity, listed in (("error", errors), ("warning", warnings)) for p in listed]
    frame = pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    return table(frame, lang)


# ── KPI tiles ────────────────────────────────────────────────────────────────────────────────

def _tile(name: str, value: str, delta: str | None = None, delta_color: str = "normal", **help_params: object) -> dict:
    return {"name": name, "value": value, "delta": delta, "delta_color": delta_color, "help_params": help_params}


def overview_tiles(result: dict, lang: str) -> list[dict]:
    """The eight tiles of the overview from queries.overview: value as the reader writes numbers,
    change from the previous period (percentage points for shares, from the counts: kpis.points),
    definition parameters."""
    current, previous = result["current"], result["previous"]
    p, a = current["priorities"], current["activities"]
    pp = previous["priorities"] if previous else {}
    pa = previous["activities"] if previous else {}

    def share(name: str, key: str, statuses: tuple[str, ...], delta_color: str = "normal") -> dict:
        count = sum(p[s] for s in statuses)
        delta = kpis.points(count, p["total"], sum(pp[s] for s in statuses), pp["total"]) if pp.get("total") else None
        return _tile(name, percent(p[key], lang), points(delta, lang), delta_color,
                     count=int(count), total=number(p["total"], lang))

    def count(name: str, value: int, before: int | None, **params: str) -> dict:
        return _tile(name, number(value, lang), signed(None if before is None else value - before, lang), **params)

    women_before = pa.get("women_pct") if previous else None
    return [
        share("addressed", "addressed_pct", ("fully", "partially")),
        share("fully", "fully_pct", ("fully",)),
        share("partially", "partially_pct", ("partially",), "off"),
        share("not_addressed", "not_addressed_pct", ("not_addressed",), "inverse"),
        count("events", a["events"], pa.get("events") if previous else None),
        count("participants", a["participants"], pa.get("participants") if previous else None),
        _tile("women_pct", percent(a["women_pct"], lang), points(change(a["women_pct"], women_before), lang), "off",
              women=number(a["women"], lang), men=number(a["men"], lang)),
        count("municipalities_covered", current["municipalities_covered"],
              previous["municipalities_covered"] if previous else None),
    ]


def overdue_tile(counted: dict, today: dt.date, lang: str) -> dict:
    """The overview's card of overdue priorities (queries.overdue_count): its label, the sentence with
    how many of how many in view, and the definition (help)."""
    return {"label": t("kpi.overdue", lang),
            "text": t("overview.overdue", lang, count=counted["overdue"], total=number(counted["total"], lang)),
            "help": t("kpi.overdue.help", lang, today=formats.date(today, lang), total=number(counted["total"], lang))}


def partial_note(part: dict, lang: str) -> str:
    """What a comparison with a year still under way sets it against: '' for whole years."""
    partial = part.get("partial")
    if not partial:
        return ""
    return t("overview.partial_note", lang, year=partial["year"], to=formats.date(partial["to"], lang),
             previous_to=formats.date(partial["previous_to"], lang))


def capital(text: str) -> str:
    """A label that begins a tile or a line: its first letter a capital ('Persons reached')."""
    return text[:1].upper() + text[1:]


def reported_tiles(totals: pd.DataFrame, lang: str) -> list[dict]:
    """queries.reported_totals as tiles, each labelled with its year and as reported: a total a
    partner or a publication gave, not one counted from itemised rows."""
    return [{**_tile("reported", number(row.value, lang), year=row.year, source=row.source or DASH),
             "label_params": {"indicator": capital(label("indicators", row.indicator, lang)), "year": row.year}}
            for row in totals.itertuples()]


def profile_tiles(result: dict, lang: str) -> list[dict]:
    """The profile's tiles: the municipality's value and its distance from the network average;
    the share of priorities one tile per contract cycle, set against the network's same cycle."""
    own, average = result["own"], result["average"]
    a = own["activities"]
    addressed = [{**_tile("addressed_in_cycle", percent(part["priorities"]["addressed_pct"], lang),
                          points(part["difference"], lang),
                          count=int(part["priorities"]["fully"] + part["priorities"]["partially"]),
                          total=number(part["priorities"]["total"], lang), cycle=part["cycle"],
                          network=percent(part["network_pct"], lang),
                          municipalities=number(part["network_municipalities"], lang)),
                  "label_params": {"cycle": part["cycle"]}} for part in result["cycles"]]
    return [
        *addressed,
        _tile("events", number(a["events"], lang), signed(change(a["events"], average["events"]), lang, 1)),
        _tile("participants", number(a["participants"], lang),
              signed(change(a["participants"], average["participants"]), lang, 1)),
        _tile("women_pct", percent(a["women_pct"], lang), points(change(a["women_pct"], average["women_pct"]), lang),
              "off", women=number(a["women"], lang), men=number(a["men"], lang)),
    ]


def profile_comparison(result: dict, municipality: str, lang: str) -> pd.DataFrame:
    """The profile's comparison table: the municipality, the network average, the difference; the
    share of priorities one row per contract cycle."""
    own, average = result["own"], result["average"]
    rows = [(t("profile.addressed_in_cycle", lang, cycle=part["cycle"]), part["priorities"]["addressed_pct"],
             part["network_pct"], part["difference"], True) for part in result["cycles"]]
    for name, value, mean, is_share in (
            ("events", own["activities"]["events"], average["events"], False),
            ("participants", own["activities"]["participants"], average["participants"], False),
            ("women_pct", own["activities"]["women_pct"], average["women_pct"], True)):
        rows.append((t(f"kpi.{name}", lang), value, mean, change(value, mean), is_share))
    shown = []
    for name, value, mean, difference, is_share in rows:
        delta = points(difference, lang) if is_share else signed(difference, lang, 1)
        shown.append({
            t("col.indicator", lang): name,
            municipality: percent(value, lang) if is_share else number(value, lang),
            t("profile.network_average", lang): percent(mean, lang) if is_share else number(mean, lang, 1),
            t("col.difference", lang): delta if delta is not None else DASH,
        })
    return pd.DataFrame(shown)
