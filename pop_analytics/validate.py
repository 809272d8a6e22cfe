"""Validating sheets of raw cells into typed rows, collecting every problem before refusing.

Each column is parsed once per distinct value (partners repeat municipality names, types and
dates thousands of times), then row-level rules run over whole columns at once. A parsed column
is its distinct values with one index per row (_Parsed), as the reader's Cells are: per-row
values are only ever taken with numpy, never built in a Python loop.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from . import matching, normalise, reference
from .errors import FileRefused, Problem
from .matching import NO_MAPPINGS, Mappings, Reading
from .messages import ProblemLog, counted, localized, phrase, problem, row_ranges
from .normalise import InvalidValue
from .reading import ArrowTexts, Cells, ReadResult, Sheet
from .settings import EARLIEST_DATE_YEAR, MAX_PROBLEMS_PER_KIND, MAX_WRONG_VALUES
from .text import fold

COUNT_FIELDS = ("events", "participants", "women", "men", "youth")

_V = TypeVar("_V")
_W = TypeVar("_W")


@dataclass
class Batch:
    """The validated content of one file, ready to store."""

    priorities: pd.DataFrame
    activities: pd.DataFrame
    figures: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def kinds(self) -> list[str]:
        return [k for k in reference.SHEET_KINDS if len(getattr(self, k))]

    @property
    def rows(self) -> int:
        return len(self.priorities) + len(self.activities) + len(self.figures) + len(self.targets)


class _Parsed(Generic[_V]):
    """A parsed column: values[codes[i]] is row i's value (None where the cell is blank or wrong)."""

    __slots__ = ("codes", "values")

    def __init__(self, values: list[_V | None], codes: np.ndarray):
        self.values, self.codes = values, codes

    @classmethod
    def blank(cls, length: int) -> _Parsed[Any]:  # no value at all, so a column of any type
        return cls([None], np.zeros(length, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.codes)

    def map(self, function: Callable[[_V | None], _W]) -> _Parsed[_W]:
        """function applied to each distinct value (once), rows unchanged."""
        return _Parsed([function(v) for v in self.values], self.codes)

    def rows(self) -> np.ndarray:
        """One value per row, as an object array."""
        return np.fromiter(self.values, dtype=object, count=len(self.values))[self.codes]

    def tolist(self) -> list:
        return self.rows().tolist()

    def truthy(self) -> np.ndarray:
        """Per row: does the value count as given (the `value or fallback` test)?"""
        return np.fromiter(map(bool, self.values), dtype=bool, count=len(self.values))[self.codes]

    def or_else(self, fallback: _Parsed[_V]) -> _Parsed[_V]:
        """Row-wise `value or fallback`."""
        codes = np.where(self.truthy(), self.codes, fallback.codes + len(self.values))
        return _Parsed(self.values + fallback.values, codes)

    def _any_row_has(self, wanted: list[int]) -> bool:
        return _has_code(self.codes, wanted)

    def integers(self) -> pd.arrays.IntegerArray:
        """Whole numbers (or None) as a nullable Int64 array, as pd.array(values, dtype="Int64") gives."""
        missing = np.fromiter((v is None for v in self.values), dtype=bool, count=len(self.values))
        data = np.array([0 if v is None else v for v in self.values], dtype=np.int64)
        return pd.arrays.IntegerArray(data[self.codes], missing[self.codes])

    def text(self) -> pd.api.extensions.ExtensionArray | np.ndarray:
        """A column of text (or None) as pandas infers it from the per-row values: str, or object
        when no row has a value. Built in Arrow from the distinct values."""
        if (_TEXT_DTYPE is None or not all(v is None or type(v) is str for v in self.values)
                or not self._any_row_has([i for i, v in enumerate(self.values) if v is not None])):
            return self.rows()
        strings = pa.array(self.values, type=pa.large_string()).take(pa.array(self.codes.astype(np.int32)))
        return pd.array(strings, dtype=_TEXT_DTYPE)


def _in_arrow(cells: Cells, parse: Callable) -> tuple[list[bool], Iterator]:
    """Per distinct value: was it read in Arrow; and the values read, in order."""
    reader = normalise.IN_ARROW.get(parse)
    if reader is None or not isinstance(cells.uniques, ArrowTexts):
        return [False] * len(cells.uniques), iter(())
    found, values = reader(cells.uniques.in_order())
    return found.tolist(), iter(values)


def _has_code(codes: np.ndarray, wanted: list[int]) -> bool:
    """Does any row hold one of these distinct values?"""
    if not len(codes) or not wanted:
        return False
    for code in wanted[:8]:  # usually the first one does
        if (codes == code).any():
            return True
    return len(wanted) > 8 and bool(np.bincount(codes)[[w for w in wanted if w <= codes.max()]].any())


def _text_dtype() -> object:
    """The dtype pandas gives a column of text, when it is Arrow-backed (else rows are built as objects)."""
    dtype = pd.Series(["x"]).dtype
    return dtype if getattr(dtype, "storage", None) == "pyarrow" else None


_TEXT_DTYPE = _text_dtype()


_READING_WARNING = {"close": "read_as", "saved": "read_saved", "chosen": "read_chosen"}


class _SheetCheck:
    """Parses one sheet column by column, collecting problems located by Excel row and header, and
    the readings of values that were not exact (one warning per value, naming its rows)."""

    def __init__(self, sheet: Sheet, problems: list[Problem], warnings: list[Problem], mappings: Mappings):
        self.sheet, self.problems, self.warnings, self.mappings = sheet, problems, warnings, mappings
        self.rows = sheet.excel_rows
        self.noted: normalise.Noted = []
        self._found_before = self._found()

    def _found(self) -> int:
        return sum(self.problems.found.values()) if isinstance(self.problems, ProblemLog) else len(self.problems)

    def clean(self) -> bool:
        """Whether every row of the sheet was read without a problem so far."""
        return self._found() == self._found_before

    def term(self, parse: Callable[..., _V]) -> Callable[[object], _V]:
        """A vocabulary parser of normalise, reading with this import's mappings and noting readings."""
        return lambda raw: parse(raw, self.mappings, self.noted)

    def header(self, name: str) -> str:
        return self.sheet.headers.get(name) or _column_label(self.sheet.kind, name)

    def report(self, code: str, row: int | None, name: str, value: object, **params: Any) -> None:
        if self.room(code, 1):  # else counted, not written out: the file is refused on the ones listed
            self._write(code, row, name, value, **params)

    def _write(self, code: str, row: int | None, name: str, value: object, **params: Any) -> None:
        """A problem the log has made room for (room() counted it already)."""
        item = problem(code, sheet=self.sheet.name, row=row, column=self.header(name), value=value, **params)
        if isinstance(self.problems, ProblemLog):
            self.problems.keep(item)
        else:
            self.problems.append(item)

    def room(self, code: str, wanted: int) -> int:
        return self.problems.room(code, wanted) if isinstance(self.problems, ProblemLog) else wanted

    def column(self, name: str, parse: Callable[[object], _V], required: bool = False) -> _Parsed[_V]:
        """Parsed values of one column (None where blank or wrong); problems are reported, row by row.

        parse runs once per distinct raw value (distinct in type and value), until the column holds
        MAX_WRONG_VALUES different wrong values: the rows of the values left unread then share one
        value, None, and are counted in one sentence."""
        raw_values = self.sheet.cells.get(name)
        if raw_values is None:
            return _Parsed.blank(len(self.rows))
        cells = raw_values if isinstance(raw_values, Cells) else Cells.from_values(raw_values)
        values, failed, invalid, readings = self._parse(cells, parse, required)
        self._report_readings(name, readings, cells)
        unread = len(values) < len(cells.uniques)
        codes = np.minimum(cells.codes, len(values)) if unread else cells.codes
        kinds = np.empty(len(failed), dtype=object)  # distinct value → the code of its problem
        for code in np.flatnonzero(failed).tolist():
            kinds[code] = invalid[code].code if code in invalid else "required_value"
        failing = np.flatnonzero(failed[codes])
        problem_codes = kinds[codes[failing]]
        for problem_code in dict.fromkeys(problem_codes.tolist()):
            positions = failing[problem_codes == problem_code]
            for i in positions[:self.room(problem_code, len(positions))]:
                code = codes[i]
                wrong = invalid.get(code)
                self._write(problem_code, self.rows[i], name,
                            "" if wrong is None else normalise.text(cells.uniques[code]),
                            **({} if wrong is None else {**wrong.params, "vocabulary": wrong.vocabulary}))
        if unread:
            self._report_unread(name, cells, len(values))
            values.append(None)
        return _Parsed(values, codes)

    def _parse(self, cells: Cells, parse: Callable[[object], _V], required: bool) -> tuple[
            list[_V | None], np.ndarray, dict[int, InvalidValue], dict[tuple[str, str, Reading], list[int]]]:
        """Each distinct value parsed in turn (fewer values than cells.uniques when the column held
        too many wrong ones); per distinct value whether it failed, why, and how it was read. A CSV's
        values that Arrow reads as parse would (normalise.IN_ARROW) are read there, all at once."""
        values: list[_V | None] = []
        failed = np.zeros(len(cells.uniques) + 1, dtype=bool)  # and one for the values left unread
        invalid: dict[int, InvalidValue] = {}
        readings: dict[tuple[str, str, Reading], list[int]] = {}
        ready, read = _in_arrow(cells, parse)
        for code in range(len(cells.uniques)):
            if ready[code]:
                values.append(next(read))
                continue
            if len(invalid) >= MAX_WRONG_VALUES:  # not a sheet with typos: the rest goes unread
                return values, failed[:code + 1], invalid, readings
            raw = cells.uniques[code]
            if (not raw.strip()) if type(raw) is str else normalise.is_blank(raw):
                values.append(None)
                failed[code] = required
                continue
            try:
                values.append(parse(raw))
            except InvalidValue as error:
                values.append(None)
                failed[code], invalid[code] = True, error.with_traceback(None)  # its frames are not kept
            if self.noted:
                for noted in self.noted:
                    readings.setdefault(noted, []).append(code)
                self.noted.clear()
        return values, failed[:len(values)], invalid, readings

    def _report_unread(self, name: str, cells: Cells, stopped: int) -> None:
        """The rows whose values were left unread once a column held MAX_WRONG_VALUES different wrong
        values: counted in one sentence, so the report says the check of that column is not complete."""
        unread = np.flatnonzero(cells.codes >= stopped)
        if len(unread):
            self.report("values_not_checked", self.rows[unread[0]], name, "", count=len(unread),
                        limit=counted(MAX_WRONG_VALUES))

    def _report_readings(self, name: str, readings: dict[tuple[str, str, Reading], list[int]], cells: Cells) -> None:
        """One warning per value read other than exactly, with the rows that hold it, in row order;
        past MAX_PROBLEMS_PER_KIND values in a column, one sentence counts the rest."""
        if not readings:
            return
        which = np.full(len(cells.uniques), -1, dtype=np.int64)  # distinct value → its reading
        for number, codes in enumerate(readings.values()):
            which[codes] = number
        per_row = which[cells.codes]
        order = np.argsort(per_row, kind="stable")
        starts = np.searchsorted(per_row[order], np.arange(len(readings) + 1))
        excel_rows = np.asarray(self.rows)
        located = [(excel_rows[order[starts[n]:starts[n + 1]]], noted) for n, noted in enumerate(readings)]
        located.sort(key=lambda found: found[0][:1].tolist())
        if len(located) > MAX_PROBLEMS_PER_KIND:
            self.warnings.append(problem("more_readings", sheet=self.sheet.name, column=self.header(name),
                                         count=len(located) - MAX_PROBLEMS_PER_KIND, listed=MAX_PROBLEMS_PER_KIND))
        for rows, (vocabulary, value, reading) in located[:MAX_PROBLEMS_PER_KIND]:
            term = localized(_term_label(vocabulary, reading.key, "sq"), _term_label(vocabulary, reading.key, "en"))
            self.warnings.append(problem(_READING_WARNING[reading.how], sheet=self.sheet.name,
                                         row=int(rows[0]) if len(rows) else None, column=self.header(name), value=value,
                                         term=term, mapping=reading.mapping_id, rows=row_ranges(rows.tolist())))

    def cycles(self, basis: _Parsed[_V], derive: Callable[[_V], str], warning: str,
               warnings: list[Problem]) -> _Parsed[str]:
        """The cycle column, or where a row leaves it out, the cycle derived from its date or year."""
        if "cycle" in self.sheet.headers:
            given = self.column("cycle", self.term(normalise.cycle))
        else:
            given = _Parsed.blank(len(self.rows))
            if self.rows:
                warnings.append(problem(warning, sheet=self.sheet.name))
        derived: list[str | None] = [None] * len(basis.values)
        for code in np.unique(basis.codes[~given.truthy()]):  # derived only where a row needs it
            b = basis.values[code]
            derived[code] = None if b is None else derive(b)
        return given.or_else(_Parsed(derived, basis.codes))

    def flag(self, mask: np.ndarray, code: str, name: str, values: pd.Series, **params: object) -> None:
        """Report code on every row where mask holds; params are per-row values (Series) or one for all."""
        positions = np.flatnonzero(mask)
        for i in positions[:self.room(code, len(positions))]:
            self._write(code, self.rows[i], name, _shown(values.iloc[i]),
                        **{k: _shown(v.iloc[i] if isinstance(v, pd.Series) else v) for k, v in params.items()})


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
                                kind=phrase(f"kind.{sheet.kind}")))
    return not missing


def _counts(check: _SheetCheck, names: tuple[str, ...]) -> dict[str, pd.Series]:
    """Count columns as nullable integers, negatives reported."""
    series = {}
    for name in names:
        s = pd.Series(check.column(name, normalise.count).integers())
        check.flag((s < 0).fillna(False).to_numpy(), "negative_count", name, s)
        series[name] = s.mask(s < 0)
    return series


def _check_dates(check: _SheetCheck, name: str, dates: _Parsed[dt.date], today: dt.date) -> None:
    """Dates after today or before monitoring began, each compared once per distinct date."""
    earliest = dt.date(EARLIEST_DATE_YEAR, 1, 1)
    future = dates.map(lambda d: d is not None and d > today).rows().astype(bool)
    early = dates.map(lambda d: d is not None and d < earliest).rows().astype(bool)
    if future.any() or early.any():
        shown = pd.Series(dates.rows(), dtype=object)
        check.flag(future, "date_in_future", name, shown, today=today)
        check.flag(early, "date_too_early", name, shown, earliest=EARLIEST_DATE_YEAR)


def _activities(check: _SheetCheck, today: dt.date) -> pd.DataFrame:
    sheet, warnings = check.sheet, check.warnings
    parsed_dates = check.column("date", normalise.date, required=True)
    dates = parsed_dates.rows()
    municipalities = check.column("municipality", check.term(normalise.municipality), required=True)
    typed = check.column("type", check.term(normalise.activity_type), required=True)
    types = typed.map(lambda t_: t_[0] if t_ else None)
    counts = _counts(check, COUNT_FIELDS)
    # Rows with the same cell share one list of themes, and rows without themes one empty list.
    no_themes: list[str] = []
    themes = check.column("themes", check.term(normalise.themes)).map(lambda v: list(v) if v else no_themes).rows()
    _check_dates(check, "date", parsed_dates, today)

    # Several events (and their participants) may be written in the type cell itself.
    in_cell_events = typed.map(lambda t_: t_[1] if t_ else None).integers()
    in_cell_people = typed.map(lambda t_: t_[2] if t_ else None).integers()
    events = counts["events"].fillna(pd.Series(in_cell_events)).fillna(1)
    women, men, youth = counts["women"], counts["men"], counts["youth"]
    participants = counts["participants"].fillna(pd.Series(in_cell_people)).fillna(women + men)

    parts = women.fillna(0) + men.fillna(0)
    over = (participants.notna() & (parts > participants)).fillna(False).to_numpy()
    check.flag(over, "parts_exceed_total", "participants", participants, women=women.fillna(0), men=men.fillna(0),
               parts=parts)
    check.flag((participants.notna() & (youth > participants)).fillna(False).to_numpy(), "youth_exceeds_total", "youth",
               youth, total=participants)

    cycles = check.cycles(parsed_dates, normalise.cycle_of_date, "cycle_from_date", warnings)

    given_partners = check.column("partner", normalise.text)
    missing_partner = int(np.count_nonzero(given_partners.map(lambda p: p is None).rows().astype(bool)))
    partner_names = reference.partners()
    partners = given_partners.or_else(
        municipalities.map(lambda m: partner_names.get(m, {}).get("sq") if m is not None else None))
    if missing_partner and "partner" in sheet.headers:
        warnings.append(problem("partner_filled", sheet=sheet.name, count=missing_partner))

    if check.clean():  # sums over rows that could not all be read would mislead
        _compare_totals(sheet, {"events": events, "participants": participants, "women": women, "men": men,
                                "youth": youth}, warnings)
    return pd.DataFrame({
        "date": pd.Series(dates, dtype=object),
        "cycle": cycles.text(),
        "municipality": municipalities.text(),
        "type": types.text(),
        "events": events.astype("Int64"),
        "participants": participants.astype("Int64"),
        "women": women, "men": men, "youth": youth,
        "themes": themes,
        "partner": partners.text(),
        "note": check.column("note", normalise.text).text(),
        "link": check.column("link", normalise.text).text(),
        "source": check.column("source", normalise.text).text(),
        "sheet": _repeated(sheet.name, len(sheet)),
        "excel_row": np.array(sheet.excel_rows, dtype=np.int64),
    })


def _repeated(text: str, length: int) -> pd.api.extensions.ExtensionArray | str:
    """The sheet name on every row, as the frame would spread it."""
    return _Parsed([text], np.zeros(length, dtype=np.int64)).text() if _TEXT_DTYPE is not None else text


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
                warnings.append(problem("total_mismatch", sheet=sheet.name, row=row,
                                        column=sheet.headers.get(name, name), value=reported, reported=reported,
                                        itemised=total))


def _priorities(check: _SheetCheck, today: dt.date) -> pd.DataFrame:
    sheet, warnings = check.sheet, check.warnings
    parsed_years = check.column("year", normalise.year, required=True)
    years = pd.Series(parsed_years.integers())
    check.flag((years > today.year).fillna(False).to_numpy(), "year_in_future", "year", years)
    check.flag((years < EARLIEST_DATE_YEAR).fillna(False).to_numpy(), "year_too_early", "year", years,
               earliest=EARLIEST_DATE_YEAR)
    frame = pd.DataFrame({
        "cycle": check.cycles(parsed_years, normalise.cycle_of_year, "cycle_from_year", warnings).text(),
        "municipality": check.column("municipality", check.term(normalise.municipality), required=True).text(),
        "code": check.column("code", normalise.text, required=True).text(),
        "title": check.column("title", normalise.text, required=True).text(),
        "theme": check.column("theme", check.term(normalise.theme), required=True).text(),
        "year": years,
        "status": check.column("status", check.term(normalise.status), required=True).text(),
        "note": check.column("note", normalise.text).text(),
        "source": check.column("source", normalise.text).text(),
        # a cell that is not wholly a date is an error, never a guess; blank: the cycle's end is the deadline
        "due": pd.Series(check.column("due", _due).rows(), dtype=object),
        "sheet": _repeated(sheet.name, len(sheet)),
        "excel_row": np.array(sheet.excel_rows, dtype=np.int64),
    })
    _check_due(check, frame)
    return _drop_repeated_priorities(check, frame, warnings)


def _due(raw: object) -> dt.date:
    """A priority's own deadline: a date cell or a date written out. A bare number is refused, not
    read as an Excel serial: in this column it is a year (2025) far likelier than a day."""
    if (isinstance(raw, int | float) and not isinstance(raw, bool)) or _BARE_NUMBER.fullmatch(str(raw)):
        raise InvalidValue("not_a_date")
    return normalise.date(raw)


_BARE_NUMBER = re.compile(r"\s*\d+([.,]\d+)?\s*")


def _check_due(check: _SheetCheck, frame: pd.DataFrame) -> None:
    """A priority's own deadline outside its contract cycle (before the election that made the
    contract, or after the cycle's end) is kept, with one warning per priority: a later deadline
    may have been agreed, but a year's typo is likelier."""
    cycles = reference.cycles()
    given = frame[frame["due"].notna() & frame["cycle"].isin(list(cycles))]
    for _, row in given.drop_duplicates(["cycle", "municipality", "code"]).iterrows():
        start = dt.date.fromisoformat(cycles[row["cycle"]]["election_date"])
        end = reference.cycle_end(row["cycle"])
        if not start <= row["due"] <= end:
            check.warnings.append(problem("due_outside_cycle", sheet=check.sheet.name, row=int(row["excel_row"]),
                                          column=check.header("due"), value=_shown(row["due"]), cycle=row["cycle"],
                                          start=_shown(start), end=_shown(end)))


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


def _figures(check: _SheetCheck, today: dt.date) -> pd.DataFrame:
    sheet = check.sheet
    years = pd.Series(check.column("year", normalise.year, required=True).integers())
    check.flag((years > today.year).fillna(False).to_numpy(), "year_in_future", "year", years)
    check.flag((years < EARLIEST_DATE_YEAR).fillna(False).to_numpy(), "year_too_early", "year", years,
               earliest=EARLIEST_DATE_YEAR)
    parsed_starts = check.column("date_from", normalise.date)
    parsed_ends = check.column("date_to", normalise.date)
    starts = pd.Series(parsed_starts.rows(), dtype=object)
    ends = pd.Series(parsed_ends.rows(), dtype=object)
    _check_dates(check, "date_from", parsed_starts, today)
    _check_dates(check, "date_to", parsed_ends, today)
    both = starts.notna() & ends.notna()
    reversed_ = np.array([bool(b) and e < s for b, s, e in zip(both, starts, ends)], dtype=bool)
    check.flag(reversed_, "period_reversed", "date_to", ends, start=starts)
    values = pd.Series(check.column("value", normalise.number, required=True).tolist(), dtype="Float64")
    check.flag((values < 0).fillna(False).to_numpy(), "negative_count", "value", values)
    types = check.column("type", check.term(normalise.activity_type_key))
    return pd.DataFrame({
        "year": years,
        "date_from": starts, "date_to": ends,
        "municipality": check.column("municipality", check.term(normalise.municipality)).text(),
        "type": types.text(),
        "indicator": check.column("indicator", check.term(normalise.indicator), required=True).text(),
        "value": values,
        "source": check.column("source", normalise.text).text(),
        "note": check.column("note", normalise.text).text(),
        "sheet": sheet.name,
        "excel_row": np.array(sheet.excel_rows, dtype=np.int64),
    })


# ── targets ──────────────────────────────────────────────────────────────────────────────────
# The targets sheet's own vocabularies (objectives, target indicators, units), read by the one
# matching rule (matching.Vocabulary over the reference data). They are not among the vocabularies
# a saved mapping can name, so a value no term fits is an error to correct in the file.



@cache
def target_vocabulary(name: str) -> matching.Vocabulary:
    """objective, target_indicator or unit, as the reference data spells their terms."""
    spellings: dict[str, list[str]] = {}
    if name == "unit":
        for indicator in reference.target_indicators():
            spellings.setdefault(indicator.unit, [indicator.unit, indicator.unit_sq, indicator.unit_en])
    else:
        for term in reference.terms("objectives" if name == "objective" else "target_indicators"):
            spellings[term.key] = [term.key, term.key.replace("_", " "), term.label_sq, term.label_en, *term.aliases]
    return matching.Vocabulary(name, spellings)


def _term_label(vocabulary: str, key: str, lang: str) -> str:
    """A term as a message names it: an objective by its key (SO2), a target indicator by its label."""
    if vocabulary == "objective":
        return key
    if vocabulary == "target_indicator":
        return reference.term_label("target_indicators", key, lang)
    return matching.term_label(vocabulary, key, lang)


def _target_labels(name: str, keys: tuple[str, ...]) -> dict[str, str]:
    return localized(", ".join(_term_label(name, k, "sq") for k in keys),
                     ", ".join(_term_label(name, k, "en") for k in keys))


def _target_refusal(name: str, raw: object, no_match: matching.NoMatch) -> InvalidValue:
    """A value of the objective or indicator column that no single term fits, refused as the other
    vocabularies' values are: the terms that fit, or the closest ones suggested."""
    unread = normalise.text(raw) or ""
    if no_match.ambiguous:
        return InvalidValue("ambiguous_value", lazy=lambda: {
            "what": phrase(f"vocabulary.{name}"), "candidates": _target_labels(name, no_match.fits), "unread": unread})
    return InvalidValue(f"unknown_{name}", lazy=lambda: {
        "suggestion": localized(*("', '".join(_term_label(name, k, lang) for k in no_match.candidates)
                                  for lang in ("sq", "en"))),
        "allowed": _target_labels(name, no_match.vocabulary.term_keys()), "unread": unread})


def _target_term(check: _SheetCheck, name: str) -> Callable[[object], str]:
    """A parser of the objective or indicator column: the term's key, noted when not read exactly."""
    def parse(raw: object) -> str:
        try:
            reading = target_vocabulary(name).read(raw)
        except matching.NoMatch as no_match:
            raise _target_refusal(name, raw, no_match) from None
        if reading.how != "exact":
            check.noted.append((name, normalise.text(raw) or "", reading))
        return reading.key
    return parse


# A municipality cell that names the whole network: the same as an empty one.
_NETWORK = ""


def _municipality_or_network(check: _SheetCheck) -> Callable[[object], str]:
    read, network = check.term(normalise.municipality), reference.spellings("network")
    return lambda raw: _NETWORK if fold(raw) in network else read(raw)


def _unit(raw: object) -> tuple[str | None, str]:
    """A unit as written → (its key, or None when no unit fits; the text as written): whether it is the
    indicator's unit is decided row by row."""
    written = normalise.text(raw) or ""
    try:
        return target_vocabulary("unit").read(raw).key, written
    except matching.NoMatch:
        return None, written


def _targets(check: _SheetCheck, today: dt.date) -> pd.DataFrame:
    """The project's targets: objective, indicator, year, municipality (empty for the whole network),
    target value and unit (the indicator's; a cell may leave it out, not name another)."""
    sheet = check.sheet
    years = pd.Series(check.column("year", normalise.year, required=True).integers())
    check.flag((years < EARLIEST_DATE_YEAR).fillna(False).to_numpy(), "year_too_early", "year", years,
               earliest=EARLIEST_DATE_YEAR)
    objectives = check.column("objective", _target_term(check, "objective"), required=True)
    indicators = check.column("indicator", _target_term(check, "target_indicator"), required=True)
    municipalities = check.column("municipality", _municipality_or_network(check)).map(lambda m: m or None)
    targets = pd.Series(check.column("target", normalise.number, required=True).tolist(), dtype="Float64")
    check.flag((targets < 0).fillna(False).to_numpy(), "negative_target", "target", targets)
    keys = pd.Series(indicators.rows(), dtype=object)
    known = {i.key: i for i in reference.target_indicators()}
    expected = keys.map(lambda k: known[k].unit if k in known else None)
    shares = (expected == "percent").to_numpy()
    check.flag(shares & (targets > 100).fillna(False).to_numpy(), "share_over_100", "target", targets,
               indicator=keys.map(lambda k: _target_labels("target_indicator", (k,)) if k in known else ""))
    units = check.column("unit", _unit)
    given = pd.Series(units.map(lambda u: u is not None).rows(), dtype=bool)
    read_as = pd.Series(units.map(lambda u: u[0] if u else None).rows(), dtype=object)
    wrong_unit = (given & expected.notna() & (read_as != expected)).to_numpy()
    check.flag(wrong_unit, "unit_mismatch", "unit", pd.Series(units.map(lambda u: u[1] if u else None).rows()),
               indicator=keys.map(lambda k: _target_labels("target_indicator", (k,)) if k in known else ""),
               unit=keys.map(lambda k: localized(known[k].unit_sq, known[k].unit_en) if k in known else ""))
    frame = pd.DataFrame({
        "objective": objectives.text(),
        "indicator": indicators.text(),
        "year": years,
        "municipality": municipalities.text(),
        "target": targets,
        "unit": _Parsed(expected.tolist(), np.arange(len(expected), dtype=np.int64)).text(),
        "source": check.column("source", normalise.text).text(),
        "note": check.column("note", normalise.text).text(),
        "sheet": _repeated(sheet.name, len(sheet)),
        "excel_row": np.array(sheet.excel_rows, dtype=np.int64),
    })
    return _drop_repeated_targets(check, frame)


def _drop_repeated_targets(check: _SheetCheck, frame: pd.DataFrame) -> pd.DataFrame:
    """The same target twice: once is stored (a warning); with two different values, an error."""
    key = ["objective", "indicator", "year", "municipality"]
    compared = frame[key].astype(object).where(frame[key].notna(), _NETWORK)
    complete = frame[["objective", "indicator", "year", "target"]].notna().all(axis=1)
    repeated = compared.duplicated(keep=False) & complete
    if not repeated.any():
        return frame
    keep = pd.Series(True, index=frame.index)
    for _, group in frame[repeated].groupby([compared[k] for k in key], dropna=False):
        first = group.iloc[0]
        for index, row in group.iloc[1:].iterrows():
            if row["target"] == first["target"]:
                check.warnings.append(problem("repeated_target", sheet=check.sheet.name, row=int(row["excel_row"]),
                                              other_row=int(first["excel_row"])))
                keep[index] = False
            else:
                check.report("conflicting_target", int(row["excel_row"]), "target", _shown(row["target"]),
                             other_row=int(first["excel_row"]))
    return frame[keep]


_BUILDERS = {"priorities": _priorities, "activities": _activities, "figures": _figures, "targets": _targets}


def validate(read_result: ReadResult, today: dt.date | None = None, mappings: Mappings = NO_MAPPINGS) -> Batch:
    """Every sheet of a file → one Batch; raises FileRefused with every problem found, and every
    warning, so that a person sees both at once."""
    today = today or dt.date.today()
    problems = ProblemLog()
    warnings = [*read_result.warnings, *(problem("skipped_sheet", sheet=name) for name in read_result.skipped)]
    frames: dict[str, list[pd.DataFrame]] = {kind: [] for kind in reference.SHEET_KINDS}
    empty_sheets: list[Sheet] = []
    for sheet in read_result.sheets:
        warnings += sheet.header_warnings
        problems += sheet.header_problems
        if not _check_required_columns(sheet, problems):
            continue
        if not len(sheet):
            empty_sheets.append(sheet)
            continue
        frames[sheet.kind].append(_BUILDERS[sheet.kind](_SheetCheck(sheet, problems, warnings, mappings), today))
    if len(empty_sheets) == len(read_result.sheets):
        problems += [problem("no_data_rows", sheet=s.name, row=s.header_row) for s in empty_sheets]
    else:
        warnings += [problem("empty_sheet", sheet=s.name) for s in empty_sheets]
    if problems:
        raise FileRefused(sorted(problems, key=lambda p: (p.sheet, p.row or 0)) + problems.summary(),
                          omitted=problems.omitted, warnings=warnings)
    return Batch(priorities=_concat(frames["priorities"]), activities=_concat(frames["activities"]),
                 figures=_concat(frames["figures"]), warnings=warnings, targets=_concat(frames["targets"]))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
