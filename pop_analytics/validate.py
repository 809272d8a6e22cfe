"""Validating sheets of raw cells into typed rows, collecting every problem before refusing.

Each column is parsed once per distinct value (partners repeat municipality names, types and
dates thousands of times), then row-level rules run over whole columns at once.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import normalise, reference
from .errors import FileRefused, Problem
from .i18n import t
from .messages import problem
from .normalise import InvalidValue
from .reading import ReadResult, Sheet
from .settings import EARLIEST_DATE_YEAR

COUNT_FIELDS = ("events", "participants", "women", "men", "youth")


@dataclass
class Batch:
    """The validated content of one file, ready to store."""

    priorities: pd.DataFrame
    activities: pd.DataFrame
    figures: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        return [k for k in reference.SHEET_KINDS if len(getattr(self, k))]

    @property
    def rows(self) -> int:
        return len(self.priorities) + len(self.activities) + len(self.figures)


class _SheetCheck:
    """Parses one sheet column by column, collecting problems located by Excel row and header."""

    def __init__(self, sheet: Sheet, problems: list[Problem]):
        self.sheet, self.problems = sheet, problems
        self.rows = sheet.excel_rows

    def header(self, name: str) -> str:
        return self.sheet.headers.get(name) or _column_label(self.sheet.kind, name)

    def report(self, code: str, row: int | None, name: str, value: object, **params) -> None:
        self.problems.append(problem(code, sheet=self.sheet.name, row=row, column=self.header(name), value=value, **params))

    def column(self, name: str, parse: Callable[[object], object], required: bool = False) -> list:
        """Parsed values of one column (None where blank or wrong); problems are reported."""
        raw_values = self.sheet.cells.get(name)
        if raw_values is None:
            return [None] * len(self.rows)
        parsed_by_raw: dict[object, object] = {}
        out = []
        for raw, row in zip(raw_values, self.rows):
            if normalise.is_blank(raw):
                if required:
                    self.report("required_value", row, name, "")
                out.append(None)
                continue
            key = (type(raw), raw)
            value = parsed_by_raw.get(key, parsed_by_raw)
            if value is parsed_by_raw:
                try:
                    value = parse(raw)
                except InvalidValue as invalid:
                    value = invalid
                parsed_by_raw[key] = value
            if isinstance(value, InvalidValue):
                self.report(value.code, row, name, normalise.text(raw), **value.params)
                out.append(None)
            else:
                out.append(value)
        return out

    def flag(self, mask: np.ndarray, code: str, name: str, values: pd.Series, **params: pd.Series) -> None:
        """Report code on every row where mask holds; params are per-row values for the message."""
        for i in np.flatnonzero(mask):
            self.report(code, self.rows[i], name, _shown(values.iloc[i]), **{k: _shown(v.iloc[i]) for k, v in params.items()})


def _shown(value: object) -> object:
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _column_label(kind: str, name: str) -> str:
    return next(c.header for c in reference.columns(kind) if c.field == name)


def _check_required_columns(sheet: Sheet, problems: list[Problem]) -> bool:
    missing = [c for c in reference.columns(sheet.kind) if c.required and c.field not in sheet.headers]
    for column in missing:
        problems.append(problem("missing_column", sheet=sheet.name, row=sheet.header_row, column=column.header,
                                kind_sq=t(f"kind.{sheet.kind}", "sq"), kind_en=t(f"kind.{sheet.kind}", "en")))
    return not missing


def _counts(check: _SheetCheck, names: tuple[str, ...]) -> dict[str, pd.Series]:
    """Count columns as nullable integers, negatives reported."""
    series = {}
    for name in names:
        values = pd.array(check.column(name, normalise.count), dtype="Int64")
        s = pd.Series(values)
        check.flag((s < 0).fillna(False).to_numpy(), "negative_count", name, s)
        series[name] = s.mask(s < 0)
    return series


def _check_dates(check: _SheetCheck, name: str, dates: pd.Series, today: dt.date) -> None:
    earliest = dt.date(EARLIEST_DATE_YEAR, 1, 1)
    known = dates.notna()
    check.flag((known & (dates > today)).to_numpy(), "date_in_future", name, dates, today=pd.Series([today] * len(dates)))
    check.flag((known & (dates < earliest)).to_numpy(), "date_too_early", name, dates,
               earliest=pd.Series([EARLIEST_DATE_YEAR] * len(dates)))


def _activities(sheet: Sheet, problems: list[Problem], warnings: list[Problem], today: dt.date) -> pd.DataFrame:
    check = _SheetCheck(sheet, problems)
    dates = pd.Series(check.column("date", normalise.date, required=True), dtype=object)
    municipalities = check.column("municipality", normalise.municipality, required=True)
    typed = check.column("type", normalise.activity_type, required=True)
    types = [t_[0] if t_ else None for t_ in typed]
    counts = _counts(check, COUNT_FIELDS)
    themes = [list(v) if v else [] for v in check.column("themes", normalise.themes)]
    _check_dates(check, "date", dates, today)

    # Several events (and their participants) may be written in the type cell itself.
    in_cell_events = pd.array([t_[1] if t_ else None for t_ in typed], dtype="Int64")
    in_cell_people = pd.array([t_[2] if t_ else None for t_ in typed], dtype="Int64")
    events = counts["events"].fillna(pd.Series(in_cell_events)).fillna(1)
    women, men, youth = counts["women"], counts["men"], counts["youth"]
    participants = counts["participants"].fillna(pd.Series(in_cell_people)).fillna(women + men)

    parts = women.fillna(0) + men.fillna(0)
    over = (participants.notna() & (parts > participants)).fillna(False).to_numpy()
    check.flag(over, "parts_exceed_total", "participants", participants, women=women.fillna(0), men=men.fillna(0), parts=parts)
    check.flag((participants.notna() & (youth > participants)).fillna(False).to_numpy(), "youth_exceeds_total", "youth",
               youth, total=participants)

    if "cycle" in sheet.headers:
        cycles = check.column("cycle", normalise.cycle)
    else:
        cycles = [None] * len(sheet)
        if len(sheet):
            warnings.append(problem("cycle_from_date", sheet=sheet.name))
    cycles = [c or (normalise.cycle_of_date(d) if d else None) for c, d in zip(cycles, dates)]

    partners = check.column("partner", normalise.text)
    missing_partner = sum(1 for p in partners if p is None)
    partner_names = reference.partners()
    partners = [p or partner_names.get(m, {}).get("sq") for p, m in zip(partners, municipalities)]
    if missing_partner and "partner" in sheet.headers:
        warnings.append(problem("partner_filled", sheet=sheet.name, count=missing_partner))

    _compare_totals(sheet, {"events": events, "participants": participants, "women": women, "men": men, "youth": youth},
                    warnings)
    return pd.DataFrame({
        "date": pd.Series(dates, dtype=object),
        "cycle": cycles,
        "municipality": municipalities,
        "type": types,
        "events": events.astype("Int64"),
        "participants": participants.astype("Int64"),
        "women": women, "men": men, "youth": youth,
        "themes": themes,
        "partner": partners,
        "note": check.column("note", normalise.text),
        "link": check.column("link", normalise.text),
        "source": check.column("source", normalise.text),
        "sheet": sheet.name,
        "excel_row": sheet.excel_rows,
    })


def _compare_totals(sheet: Sheet, itemised: dict[str, pd.Series], warnings: list[Problem]) -> None:
    """A total row is not data, but when it disagrees with the rows above, people must see it."""
    for row, values in sheet.totals:
        for name, series in itemised.items():
            try:
                reported = normalise.count(values.get(name))
            except InvalidValue:
                continue
            total = int(series.sum(skipna=True))
            if reported is not None and reported != total:
                warnings.append(problem("total_mismatch", sheet=sheet.name, row=row, column=sheet.headers.get(name, name),
                                        value=reported, reported=reported, itemised=total))


def _priorities(sheet: Sheet, problems: list[Problem], warnings: list[Problem], today: dt.date) -> pd.DataFrame:
    check = _SheetCheck(sheet, problems)
    years = pd.Series(pd.array(check.column("year", normalise.year, required=True), dtype="Int64"))
    check.flag((years > today.year).fillna(False).to_numpy(), "year_in_future", "year", years)
    check.flag((years < EARLIEST_DATE_YEAR).fillna(False).to_numpy(), "year_too_early", "year", years,
               earliest=pd.Series([EARLIEST_DATE_YEAR] * len(years)))
    if "cycle" in sheet.headers:
        cycles = check.column("cycle", normalise.cycle)
    else:
        cycles = [None] * len(sheet)
        if len(sheet):
            warnings.append(problem("cycle_from_year", sheet=sheet.name))
    frame = pd.DataFrame({
        "cycle": [c or (normalise.cycle_of_year(int(y)) if pd.notna(y) else None) for c, y in zip(cycles, years)],
        "municipality": check.column("municipality", normalise.municipality, required=True),
        "code": check.column("code", normalise.text, required=True),
        "title": check.column("title", normalise.text, required=True),
        "theme": check.column("theme", normalise.theme, required=True),
        "year": years,
        "status": check.column("status", normalise.status, required=True),
        "note": check.column("note", normalise.text),
        "source": check.column("source", normalise.text),
        "sheet": sheet.name,
        "excel_row": sheet.excel_rows,
    })
    return _drop_repeated_priorities(check, frame, warnings)


def _drop_repeated_priorities(check: _SheetCheck, frame: pd.DataFrame, warnings: list[Problem]) -> pd.DataFrame:
    key = ["cycle", "municipality", "code", "year"]
    repeated = frame.duplicated(key, keep=False) & frame[key].notna().all(axis=1)
    if not repeated.any():
        return frame
    keep = pd.Series(True, index=frame.index)
    for _, group in frame[repeated].groupby(key, dropna=True):
        first = group.iloc[0]
        for index, row in group.iloc[1:].iterrows():
            if row["status"] == first["status"]:
                warnings.append(problem("repeated_row", sheet=check.sheet.name, row=int(row["excel_row"]),
                                        other_row=int(first["excel_row"])))
                keep[index] = False
            else:
                check.report("conflicting_duplicate", int(row["excel_row"]), "status",
                             reference.term_label("statuses", row["status"], "sq"), other_row=int(first["excel_row"]))
    return frame[keep]


def _figures(sheet: Sheet, problems: list[Problem], warnings: list[Problem], today: dt.date) -> pd.DataFrame:
    check = _SheetCheck(sheet, problems)
    years = pd.Series(pd.array(check.column("year", normalise.year, required=True), dtype="Int64"))
    check.flag((years > today.year).fillna(False).to_numpy(), "year_in_future", "year", years)
    starts = pd.Series(check.column("date_from", normalise.date), dtype=object)
    ends = pd.Series(check.column("date_to", normalise.date), dtype=object)
    _check_dates(check, "date_from", starts, today)
    _check_dates(check, "date_to", ends, today)
    both = starts.notna() & ends.notna()
    reversed_ = np.array([bool(b) and e < s for b, s, e in zip(both, starts, ends)], dtype=bool)
    check.flag(reversed_, "period_reversed", "date_to", ends, start=starts)
    values = pd.Series(check.column("value", normalise.number, required=True), dtype="Float64")
    check.flag((values < 0).fillna(False).to_numpy(), "negative_count", "value", values)
    types = check.column("type", lambda raw: normalise.activity_type(raw)[0])
    return pd.DataFrame({
        "year": years,
        "date_from": starts, "date_to": ends,
        "municipality": check.column("municipality", normalise.municipality),
        "type": types,
        "indicator": check.column("indicator", normalise.indicator, required=True),
        "value": values,
        "source": check.column("source", normalise.text),
        "note": check.column("note", normalise.text),
        "sheet": sheet.name,
        "excel_row": sheet.excel_rows,
    })


_BUILDERS = {"priorities": _priorities, "activities": _activities, "figures": _figures}


def validate(read_result: ReadResult, today: dt.date | None = None) -> Batch:
    """Every sheet of a file → one Batch; raises FileRefused with every problem found."""
    today = today or dt.date.today()
    problems: list[Problem] = []
    warnings = [problem("skipped_sheet", sheet=name) for name in read_result.skipped]
    frames: dict[str, list[pd.DataFrame]] = {kind: [] for kind in reference.SHEET_KINDS}
    empty_sheets: list[Sheet] = []
    for sheet in read_result.sheets:
        warnings += [problem("ignored_column", sheet=sheet.name, value=h) for h in sheet.ignored_headers]
        if not _check_required_columns(sheet, problems):
            continue
        if not len(sheet):
            empty_sheets.append(sheet)
            continue
        frames[sheet.kind].append(_BUILDERS[sheet.kind](sheet, problems, warnings, today))
    if len(empty_sheets) == len(read_result.sheets):
        problems += [problem("no_data_rows", sheet=s.name, row=s.header_row) for s in empty_sheets]
    else:
        warnings += [problem("empty_sheet", sheet=s.name) for s in empty_sheets]
    if problems:
        raise FileRefused(sorted(problems, key=lambda p: (p.sheet, p.row or 0)))
    return Batch(*(_concat(frames[k]) for k in reference.SHEET_KINDS), warnings=warnings)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
