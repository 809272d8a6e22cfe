"""Reading partners' files (.xlsx, .csv) into sheets of raw cells, located as Excel shows them.

Nothing here interprets a value; that is normalise's and validate's work. The reader finds
the header row under any title, maps headers to fields, tells each sheet's kind, fills merged
cells, and sets aside blank rows and total rows (keeping the totals to compare later).

A sheet is held column by column, each column as its distinct raw values and one index per row
(Cells): a partner's sheet repeats the same municipalities, types and dates thousands of times,
so blank rows, total rows and later every parse are decided once per distinct value. A CSV is
parsed by pyarrow's reader when it is a plain rectangle, else by the csv module, cell for cell
the same.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import string
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import python_calamine

from . import file_checks, isolation, matching, reference
from .errors import FileRefused, Problem
from .file_checks import error_detail
from .matching import NO_MAPPINGS, Mappings, NoMatch, Reading
from .messages import localized, phrase, problem
from .settings import HEADER_SEARCH_ROWS, MAX_COLUMNS, MAX_FIELD_CHARS, MAX_SHEET_CELLS
from .text import fold

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


class Cells(Sequence):
    """One column's raw cells, each distinct value held once: row i's cell is uniques[codes[i]].

    Reads like the list of cells it stands for (indexing, slicing, iterating, == with a list).
    Distinct means distinct in type and value: 1, 1.0 and True stay three values.
    """

    __slots__ = ("_array", "codes", "uniques")

    def __init__(self, uniques: list | ArrowTexts, codes: np.ndarray):
        self.uniques, self.codes = uniques, codes
        self._array: np.ndarray | None = None

    @classmethod
    def from_values(cls, values: Sequence) -> Cells:
        array = values if isinstance(values, np.ndarray) else _object_array(values)
        types = set(map(type, array))
        if len(types & {bool, int, float}) <= 1:  # else 1, 1.0 and True would hash as one value
            codes, uniques = pd.factorize(array, use_na_sentinel=True)  # hashes in C; equal values of one type
            missing = np.flatnonzero(codes < 0)
            if all(array[i] is None for i in missing):  # pandas sets None aside, but NaN too: those go below
                uniques = uniques.tolist()
                if len(missing):
                    uniques.append(None)
                    codes = np.where(codes < 0, len(uniques) - 1, codes)
                return cls(uniques, codes)
        index: dict[tuple, int] = {}
        codes = np.fromiter((index.setdefault(key, len(index)) for key in zip(map(type, array), array)),
                            dtype=np.int64, count=len(array))
        return cls([value for _, value in index], codes)

    @classmethod
    def blank(cls, length: int) -> Cells:
        return cls([None], np.zeros(length, dtype=np.int64))

    def array(self) -> np.ndarray:
        """The distinct values as an object array."""
        if self._array is None:
            self._array = _object_array(self.uniques)
        return self._array

    def take(self, positions: np.ndarray) -> Cells:
        """The cells at these rows, holding only the distinct values those rows use."""
        if len(positions) and positions[-1] - positions[0] + 1 == len(positions):
            first, last = positions[0], positions[-1]
            codes = self.codes[first:last + 1]  # rows without a gap (the usual sheet): a view, not a copy
            left_out = np.concatenate([self.codes[:first], self.codes[last + 1:]])
        else:
            codes = self.codes[positions]
            outside = np.ones(len(self.codes), dtype=bool)
            outside[positions] = False
            left_out = self.codes[outside]
        # Only a value of the rows left out (title, header, totals) can be one no taken row has.
        candidates = np.unique(left_out).tolist()
        if len(candidates) > 16:
            unused = np.flatnonzero(np.bincount(codes, minlength=len(self.uniques)) == 0).tolist()
        else:
            unused = [c for c in candidates if not (codes == c).any()]
        if not unused:
            return Cells(self.uniques, codes)
        order, codes = list(range(len(self.uniques))), codes.copy()
        for code in sorted(unused, reverse=True):  # each unused value gives its place to the last one
            last = len(order) - 1
            if code != last:
                order[code] = order[last]
                codes[codes == last] = code
            order.pop()
        if isinstance(self.uniques, ArrowTexts):
            return Cells(self.uniques.subset(order), codes)
        return Cells([self.uniques[i] for i in order], codes)

    def tolist(self) -> list:
        return self.array()[self.codes].tolist()

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            if self._array is None and isinstance(self.uniques, ArrowTexts):  # a preview's first rows
                return [self.uniques[code] for code in self.codes[index].tolist()]
            return self.array()[self.codes[index]].tolist()
        return self.uniques[self.codes[index]]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Cells):
            return self.tolist() == other.tolist()
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self.tolist() == list(other)
        return NotImplemented

    # Defining __eq__ without __hash__ leaves Cells unhashable, as the list it stands for is.

    def __repr__(self) -> str:
        return repr(self.tolist())


def _object_array(values: Sequence[object]) -> np.ndarray:
    return np.fromiter(values, dtype=object, count=len(values))


class ArrowTexts(Sequence):
    """A CSV column's distinct texts, kept in Arrow and made Python strings a block at a time, when
    first looked at: a hostile file's column of half a million different wrong values is looked at
    only until validation has seen enough of them (MAX_WRONG_VALUES), and the rest stay bytes.
    order, when given, says which of texts are these values, in which order (a subset, not copied)."""

    __slots__ = ("_blocks", "order", "texts")
    BLOCK = 4096

    def __init__(self, texts: pa.Array, order: np.ndarray | None = None):
        self.texts, self.order = texts, order
        self._blocks: dict[int, list[str]] = {}

    def _block(self, number: int) -> list[str]:
        block = self._blocks.get(number)
        if block is None:
            start = number * self.BLOCK
            part = (self.texts.slice(start, self.BLOCK) if self.order is None
                    else self.texts.take(pa.array(self.order[start:start + self.BLOCK])))
            block = self._blocks[number] = part.to_pylist()
        return block

    def __len__(self) -> int:
        return len(self.texts) if self.order is None else len(self.order)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._block(index // self.BLOCK)[index % self.BLOCK]

    def __iter__(self) -> Iterator[str | None]:
        for number in range(-(-len(self) // self.BLOCK)):
            yield from self._block(number)

    def matching(self, pattern: str) -> np.ndarray:
        """Per distinct text: does it match the regular expression (found in Arrow, none made Python)?"""
        found = pc.match_substring_regex(self.texts, pattern).to_numpy(zero_copy_only=False)
        return found if self.order is None else found[self.order]

    def lengths(self) -> np.ndarray:
        """Per distinct text: its length in characters, as len() counts them."""
        found = pc.utf8_length(self.texts).to_numpy(zero_copy_only=False)
        return found if self.order is None else found[self.order]

    def in_order(self) -> pa.Array:
        """These texts as one Arrow array, in their order."""
        return self.texts if self.order is None else self.texts.take(pa.array(self.order))

    def subset(self, order: list[int]) -> ArrowTexts:
        chosen = np.asarray(order, dtype=np.int64)
        return ArrowTexts(self.texts, chosen if self.order is None else self.order[chosen])


@dataclass
class Sheet:
    """One table of a file: raw cells per field, with the Excel row number of every data row."""

    name: str
    kind: str
    header_row: int
    headers: dict[str, str]  # field → header as written
    cells: dict[str, Sequence] = field(default_factory=dict)  # field → one raw value per data row (Cells)
    excel_rows: list[int] = field(default_factory=list)
    totals: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)  # header cells read as no field
    header_warnings: list[Problem] = field(default_factory=list)  # headers read by the rule, columns left unread
    header_problems: list[Problem] = field(default_factory=list)  # columns of numbers no field could take

    def __len__(self) -> int:
        return len(self.excel_rows)


@dataclass
class ReadResult:
    sheets: list[Sheet]
    skipped: list[str]  # names of sheets with no recognisable header (instructions, lists, blanks)
    warnings: list[Problem] = field(default_factory=list)  # what reading had to repair (encoding, NUL bytes)
    complete: bool = True  # False for head(): only the first rows, to show; a check reads the file again


def head(result: ReadResult, rows: int) -> ReadResult:
    """The sheets as read with only their first rows: what a page shows of a file, kept without the
    rest of it (a session holds this, never a whole file's cells)."""
    sheets = [replace(sheet, cells={f: Cells.from_values(cells[:rows]) for f, cells in sheet.cells.items()},
                      excel_rows=sheet.excel_rows[:rows], totals=sheet.totals[:rows]) for sheet in result.sheets]
    return ReadResult(sheets, result.skipped, result.warnings, complete=False)


def _header_reading(kind: str, raw: object, mappings: Mappings) -> Reading | NoMatch | None:
    """A header cell → how it reads as one of the kind's fields (the one matching rule), trying the
    whole cell, then each part of 'Bashkia / Municipality'; None for a blank or non-text cell."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    vocabulary = mappings.vocabulary(f"column.{kind}")
    refused: NoMatch | None = None
    for candidate in (raw, *_HEADER_PARTS.split(raw)):
        if not candidate.strip():
            continue
        try:
            return vocabulary.read(candidate)
        except NoMatch as no_match:
            refused = refused or no_match
    return refused


_HEADER_PARTS = re.compile(r"[/(\n]")
_KIND_MARKERS = {"priorities": "status", "activities": "type", "figures": "indicator", "targets": "objective"}
# A header read by the rule counts for less than one read exactly when choosing a sheet's kind.
_CLOSE_WEIGHT = 0.5


@dataclass
class _HeaderRow:
    kind: str
    mapping: dict[int, str]  # column index → field
    readings: dict[int, Reading]
    unread: dict[int, NoMatch]  # header cells that fit no field or several
    score: float


def _match_header(row: list, mappings: Mappings) -> _HeaderRow | None:
    """Best reading of a row as a header. Exact readings claim their fields first, so a header
    read by the rule never takes a field another column names exactly."""
    best = None
    for kind in reference.SHEET_KINDS:
        found = {i: _header_reading(kind, cell, mappings) for i, cell in enumerate(row)}
        readings = {i: r for i, r in found.items() if isinstance(r, Reading)}
        mapping: dict[int, str] = {}
        for i in sorted(readings, key=lambda i: (readings[i].how == "close", i)):
            if readings[i].key not in mapping.values():
                mapping[i] = readings[i].key
        mapping = dict(sorted(mapping.items()))
        close = sum(readings[i].how == "close" for i in mapping)
        score = len(mapping) - close * (1 - _CLOSE_WEIGHT) + (2 if _KIND_MARKERS[kind] in mapping.values() else 0)
        if len(mapping) >= 2 and (best is None or score > best.score):
            unread = {i: r for i, r in found.items() if isinstance(r, NoMatch)}
            best = _HeaderRow(kind, mapping, readings, unread, score)
    return best


def _read_group_headers(header: _HeaderRow, above: list, header_cells: list, written: dict[int, str],
                        mappings: Mappings) -> None:
    """A two-row header: 'Pjesëmarrës' merged above 'Gjithsej | Gra | Burra'. A header cell that
    names no column alone is read together with the (merged) cell above it."""
    mapping = header.mapping
    for index, own in enumerate(header_cells):
        group = above[index] if index < len(above) else None
        alone = header.readings.get(index) if index in mapping else None
        if (alone is not None and alone.how != "close") or not (
                isinstance(group, str) and group.strip() and isinstance(own, str) and own.strip()):
            continue
        combined = f"{group.strip()} {own.strip()}"
        reading = _header_reading(header.kind, combined, mappings)
        if not isinstance(reading, Reading) or (alone is not None and reading.how == "close"):
            continue  # the cell alone reads as well as with its group
        if reading.key in mapping.values() and mapping.get(index) != reading.key:
            continue
        mapping[index], written[index], header.readings[index] = reading.key, combined, reading
        header.unread.pop(index, None)


def _is_blank_cell(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


_SEPARATOR_CHARS = " \t\n\r\x0b\x0c-_/.,:;'’\"“”()*"


@cache
def _not_a_total() -> str:
    """A cell whose first letter or digit (after separators) is ASCII and none a word of a total row
    starts with (g, s, t) folds to a word that starts so: not a total row's label."""
    starts = {word[0] for word in reference.spellings("total")}
    first = "".join(c for c in string.digits + string.ascii_letters if c.lower() not in starts)
    return rf"^[ \t\n\r\x0b\x0c\-_/.,:;'’\"“”()*]*[{first}]"


def _blank_flags(uniques: list | ArrowTexts) -> np.ndarray:
    """Per distinct cell: is it blank? A text with an ASCII letter or digit is not (found in Arrow
    for a CSV's column); every other cell is looked at."""
    if not isinstance(uniques, ArrowTexts):
        return np.fromiter(map(_is_blank_cell, uniques), dtype=bool, count=len(uniques))
    flags = np.zeros(len(uniques), dtype=bool)
    unsure = np.flatnonzero(~uniques.matching("[0-9A-Za-z]"))
    flags[unsure] = [_is_blank_cell(uniques[i]) for i in unsure.tolist()]
    return flags


def _is_total_word(cell: str) -> bool:
    if cell.lstrip(_SEPARATOR_CHARS)[:1] in "0123456789" and cell.lstrip(_SEPARATOR_CHARS):
        return False  # a date or a number: no word of a total row starts with a digit (spares fold())
    folded = fold(cell)
    words = reference.spellings("total")
    return folded in words or folded.split(" ")[0] in words


def tabulate(name: str, rows: list[list], first_row_number: int = 1, mappings: Mappings = NO_MAPPINGS) -> Sheet | None:
    """Rows of raw cells → a Sheet, or None when no header row can be found."""
    widths = set(map(len, rows))
    width = max(widths, default=0)
    if len(widths) > 1:  # a missing cell reads as None, as an empty one would
        rows_ = [row if len(row) == width else [*row, *([None] * (width - len(row)))] for row in rows]
    else:
        rows_ = rows
    columns = [Cells.from_values(column) for column in zip(*rows_)] if rows_ else []
    return _tabulate(name, columns, len(rows), rows[:HEADER_SEARCH_ROWS], first_row_number, mappings)


def _tabulate(name: str, columns: list[Cells], length: int, head: list[list], first_row_number: int = 1,
              mappings: Mappings = NO_MAPPINGS) -> Sheet | None:
    """Columns of raw cells (and the first rows as lists, for the header search) → a Sheet.

    The rules are those of a row-by-row reading: below the header, a row whose cells are all
    blank is skipped; a row whose first text cell among its first four says Total is a total row.
    """
    best = None
    for offset, row in enumerate(head[:HEADER_SEARCH_ROWS]):
        match = _match_header(row, mappings)
        if match and (best is None or match.score > best[1].score):
            best = (offset, match)
    if best is None:
        return None
    header_offset, header = best
    kind, mapping = header.kind, header.mapping
    header_cells = head[header_offset]
    written = {i: str(header_cells[i]).strip() for i in mapping}
    if header_offset > 0:
        _read_group_headers(header, head[header_offset - 1], header_cells, written, mappings)
    sheet = Sheet(
        name=name,
        kind=kind,
        header_row=header_offset + first_row_number,
        headers={f: written[i] for i, f in mapping.items()},
        cells={f: [] for f in mapping.values()},
    )
    start = header_offset + 1
    below = max(length - start, 0)
    blank = np.ones(below, dtype=bool)
    for column in columns:
        blank &= _blank_flags(column.uniques)[column.codes[start:]]
    # A total row: among its first four cells, the first that holds text says Total.
    total = np.zeros(below, dtype=bool)
    undecided = ~blank
    for column in columns[:4]:
        if not undecided.any():
            break
        codes = column.codes[start:]
        text = np.zeros(len(column.uniques), dtype=bool)
        says_total = np.zeros(len(column.uniques), dtype=bool)
        used = np.flatnonzero(np.bincount(codes[undecided], minlength=len(column.uniques)))
        if isinstance(column.uniques, ArrowTexts):  # text that surely says no Total, found in Arrow
            plain = column.uniques.matching(_not_a_total())[used]
            text[used[plain]] = True
            used = used[~plain]
        for code in used:
            cell = column.uniques[code]
            if isinstance(cell, str) and cell.strip():
                text[code], says_total[code] = True, _is_total_word(cell)
        total |= undecided & says_total[codes]
        undecided &= ~text[codes]
    indexed = list(mapping.items())
    for position in np.flatnonzero(total) + start:
        sheet.totals.append((int(position) + first_row_number, {f: columns[i][position] for i, f in indexed}))
    data_rows = np.flatnonzero(~blank & ~total) + start
    sheet.excel_rows = (data_rows + first_row_number).tolist()
    for i, f in indexed:
        sheet.cells[f] = columns[i].take(data_rows) if i < len(columns) else Cells.blank(len(data_rows))
    _header_warnings(sheet, header, header_cells, written, columns, data_rows)
    return sheet


_ROW_NUMBER_HEADERS = frozenset({"nr", "no", "#", "n", "numri", "nr rendor", "nr rendi", "rendi", "numri rendor"})


# The fields whose values are numbers, per sheet kind: a column of numbers left unread could be one.
NUMBER_FIELDS = {"priorities": ("year",), "activities": ("events", "participants", "women", "men", "youth"),
                 "figures": ("year", "value"), "targets": ("year", "target")}


def _header_warnings(sheet: Sheet, header: _HeaderRow, cells: list, written: dict[int, str], columns: list[Cells],
                     data_rows: np.ndarray) -> None:
    """What a person must see about the header before storing: each header read by the rule or a
    saved mapping, and each column left unread (naming the fields it might be). A row-number column
    (Nr., No, # holding 1, 2, 3 …) is left unread quietly; any other column of numbers is read as
    the one number field it could be, or stops the file (_place_numbers)."""
    vocabulary = f"column.{header.kind}"
    for index, field_name in header.mapping.items():
        reading = header.readings.get(index)
        if reading is not None and reading.how != "exact":
            term = localized(matching.term_label(vocabulary, field_name, "sq"),
                             matching.term_label(vocabulary, field_name, "en"))
            sheet.header_warnings.append(problem("header_saved" if reading.how == "saved" else "header_read_as",
                                                 sheet=sheet.name, row=sheet.header_row, column=written[index],
                                                 value=written[index], term=term, mapping=reading.mapping_id))
    for index in range(max(len(cells), len(columns))):
        if index in header.mapping:
            continue
        text = str(cells[index]).strip() if index < len(cells) and cells[index] is not None else ""
        values = columns[index].take(data_rows) if index < len(columns) and len(data_rows) else Cells.blank(0)
        if _is_row_numbers(text, values):
            continue
        if _holds_numbers(values):
            _place_numbers(sheet, header, index, text, values)
            continue
        if not text:
            continue
        sheet.ignored_headers.append(text)
        choices = _header_choices(header, index)
        if choices:
            sheet.header_warnings.append(problem(
                "header_unclear", sheet=sheet.name, row=sheet.header_row, column=text, value=text,
                candidates=matching.labels(vocabulary, choices, " / "), vocabulary=vocabulary, choices=choices))
        else:
            sheet.header_warnings.append(problem("ignored_column", sheet=sheet.name, row=sheet.header_row,
                                                 column=text, value=text))


def _header_choices(header: _HeaderRow, index: int) -> tuple[str, ...]:
    """The fields an unread header could be: those that fit it (or come closest), or the field it
    names when another column names it too."""
    unread = header.unread.get(index)
    if unread is not None:
        return unread.candidates
    reading = header.readings.get(index)
    return (reading.key,) if reading is not None else ()


def _place_numbers(sheet: Sheet, header: _HeaderRow, index: int, text: str, values: Cells) -> None:
    """A column of numbers that its header does not name: read as the one number field among those
    the rule fits the header to ('Takime' fits date and events) that no other column fills, with a
    warning; else the file stops, naming the number fields the header comes close to, since leaving
    the column out would count each row as one event, or its people as none."""
    vocabulary = f"column.{header.kind}"
    column_name = _cell_name(1, index + 1).removesuffix("1")
    if not text:
        sheet.header_problems.append(problem("unnamed_numbers", sheet=sheet.name, row=sheet.header_row,
                                             column=column_name, value=column_name))
        return
    numeric = [f for f in _header_choices(header, index) if f in NUMBER_FIELDS[header.kind]]
    unread = header.unread.get(index)
    free = [f for f in (unread.fits if unread is not None else ()) if f in numeric and f not in sheet.headers]
    if len(free) == 1:  # of the fields the rule fits the header to, the one number field still free
        [field_name] = free
        header.mapping[index] = field_name
        sheet.headers[field_name], sheet.cells[field_name] = text, values
        term = localized(matching.term_label(vocabulary, field_name, "sq"),
                         matching.term_label(vocabulary, field_name, "en"))
        sheet.header_warnings.append(problem("numbers_read_as", sheet=sheet.name, row=sheet.header_row,
                                             column=text, value=text, term=term))
    elif numeric:
        sheet.header_problems.append(problem(
            "numbers_unclear", sheet=sheet.name, row=sheet.header_row, column=text, value=text,
            candidates=matching.labels(vocabulary, tuple(numeric), " / ")))
    else:
        sheet.header_problems.append(problem("numbers_unread", sheet=sheet.name, row=sheet.header_row,
                                             column=text, value=text))


def _number(cell: object) -> float | None:
    """A cell as a number; NaN for a blank cell, None when it holds anything else."""
    if _is_blank_cell(cell):
        return float("nan")
    if isinstance(cell, bool):
        return None
    if isinstance(cell, (int, float)):
        return float(cell)
    try:
        return float(str(cell).strip().replace(",", "."))
    except ValueError:
        return None


def _numbers(values: Cells) -> np.ndarray | None:
    """A column as one number per row (NaN where blank), or None when a cell holds anything else.
    Each distinct cell is looked at once."""
    distinct = []
    for cell in values.uniques:  # stops at the first cell that is no number
        number = _number(cell)
        if number is None:
            return None
        distinct.append(number)
    return np.array(distinct, dtype=float)[values.codes]


def _holds_numbers(values: Cells) -> bool:
    found = _numbers(values)
    return found is not None and bool((~np.isnan(found)).any())


def _is_row_numbers(header: str, values: Cells) -> bool:
    """A row-number column: headed Nr., No, # (or nothing) and counting 1, 2, 3 … down the rows;
    a headed one left empty too (it holds nothing to lose)."""
    if header and fold(header) not in _ROW_NUMBER_HEADERS:
        return False
    found = _numbers(values)
    if found is None or not len(found):
        return found is not None and bool(header)
    if np.isnan(found).all():
        return bool(header)
    return not np.isnan(found).any() and found[0] in (0.0, 1.0) and bool((np.diff(found) == 1).all())


def _fill_merged(rows: list[list], merged: list[tuple[tuple[int, int], tuple[int, int]]] | None) -> None:
    """Excel keeps a merged block's value in its top-left cell; partners mean it for every row."""
    for (r0, c0), (r1, c1) in merged or []:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, len(rows[r]) - 1) + 1):
                if (r, c) != (r0, c0):
                    rows[r][c] = value


def _read_xlsx(data: bytes, file_name: str) -> list[tuple[str, list[list]]]:
    """The visible sheets' cells. Runs in a child process (read_workbook): anything the xlsx reader
    raises on an untrusted file (its own errors, OSError for a broken zip member, XmlError, a panic)
    must become a refusal, never a traceback."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in workbook.sheets_metadata:
            if meta.visible != python_calamine.SheetVisibleEnum.Visible:
                continue  # hidden sheets hold drop-down lists and helpers, never a partner's rows
            sheet = workbook.get_sheet_by_name(meta.name)
            _check_extent(meta.name, sheet.end, file_name)
            rows = sheet.to_python(skip_empty_area=False)
            _fill_merged(rows, sheet.merged_cell_ranges)
            sheets.append((meta.name, rows))
        return sheets
    except FileRefused:
        raise
    except Exception as error:  # noqa: BLE001 - see the docstring
        raise FileRefused([problem("unreadable_file", sheet="", value=file_name, detail=error_detail(error))]) from None


def _check_extent(name: str, end: tuple[int, int] | None, file_name: str) -> None:
    """A sheet is read from A1 to its last cell: refuse one whose last cell makes that grid huge."""
    if end is None:
        return
    rows, columns = end[0] + 1, end[1] + 1
    if columns > MAX_COLUMNS:
        raise FileRefused([problem("too_many_columns", sheet=name, value=file_name, count=columns,
                                   limit=MAX_COLUMNS)])
    if rows * columns > MAX_SHEET_CELLS:
        raise FileRefused([problem("sheet_too_large", sheet=name, value=file_name, cell=_cell_name(rows, columns),
                                   limit=MAX_SHEET_CELLS)])


def _cell_name(row: int, column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def read_workbook(data: bytes, file_name: str, mappings: Mappings = NO_MAPPINGS) -> ReadResult:
    """A workbook's bytes → its sheets (what read() does for a workbook, run in a child process)."""
    return _tables(_read_xlsx(data, file_name), file_name, mappings)


_PLAUSIBLE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_/()%\"'\t\r\nëËçÇ")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else whichever of Windows-1250/1252 reads more plausibly; a
    UTF-8 file with a few lines pasted from a Windows file gets those lines decoded the Windows way."""
    return decode_with_evidence(data)[0]


def decode_with_evidence(data: bytes) -> tuple[str, list[int]]:
    """The text, and the line numbers that were not in the file's main encoding: decided for the
    whole file from what its lines show, never from one byte."""
    with suppress(UnicodeDecodeError):
        return data.decode("utf-8-sig"), []
    lines = data.split(b"\n")
    odd, utf8_accented = [], 0
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            odd.append(number)
            continue
        utf8_accented += not text.isascii()
    if not utf8_accented:  # no line reads as accented UTF-8: a Windows file throughout
        return _legacy(data), []
    decoded = [_legacy(line) if number in set(odd) else line.decode("utf-8") for number, line in
               enumerate(lines, start=1)]
    return "\n".join(decoded).removeprefix("\ufeff"), odd


def _legacy(data: bytes) -> str:
    candidates = [data.decode(codec, errors="replace") for codec in ("cp1250", "cp1252")]
    return max(candidates, key=lambda text: sum(ch in _PLAUSIBLE for ch in text))


def _utf16(data: bytes) -> bool:
    """Excel's "Unicode text" export: UTF-16, with a BOM or with every other byte NUL."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = data[:4096]
    return len(sample) >= 4 and sample.count(b"\x00") * 3 > len(sample)


def _clean_text(data: bytes, file_name: str) -> tuple[bytes, list[Problem]]:
    """A text file as plain UTF-8 bytes (no BOM, no NUL), and a warning for each repair."""
    warnings: list[Problem] = []
    name = Path(file_name).name
    if _utf16(data):
        try:
            data = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else
                               ("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")).encode("utf-8")
        except UnicodeDecodeError as error:
            raise FileRefused([problem("unreadable_file", sheet="", value=file_name, detail=str(error))]) from None
    if b"\x00" in data:
        lines = [n for n, line in enumerate(data.split(b"\n"), start=1) if b"\x00" in line]
        data = data.replace(b"\x00", b"")
        warnings.append(problem("nul_bytes", sheet=name, rows=_row_list(lines), count=len(lines)))
    if not _valid_utf8(data):
        text, odd = decode_with_evidence(data)
        if odd:
            warnings.append(problem("mixed_encoding", sheet=name, rows=_row_list(odd), count=len(odd)))
        data = text.encode("utf-8")
    return data.removeprefix(_UTF8_BOM), warnings


def _valid_utf8(data: bytes) -> bool:
    """Whether data is UTF-8, checked by Arrow in place (no copy of a 100 MB file into a str)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _row_list(numbers: list[int], shown: int = 10) -> str:
    text = ", ".join(map(str, numbers[:shown]))
    return text + (f" … (+{len(numbers) - shown})" if len(numbers) > shown else "")


def _first_lines(text: str, count: int) -> list[str]:
    """text.splitlines()[:count], without splitting the whole of a large text."""
    size = 1 << 16
    while size < len(text):
        lines = text[:size].splitlines()
        if len(lines) > count:  # the first count lines each end before the cut
            return lines[:count]
        size *= 4
    return text.splitlines()[:count]


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab that splits the first lines into the most steady columns."""
    sample = _first_lines(text, 50)
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t"):
        try:
            widths = [len(r) for r in csv.reader(sample, delimiter=delimiter) if any(c.strip() for c in r)]
        except csv.Error:  # a field past the limit, or an open quote in the sample: not this one
            continue
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = widths.count(common) * (common > 1) * common
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _head(utf8: bytes) -> str:
    """The first lines of a UTF-8 text, enough to find its delimiter and width."""
    prefix = utf8[:1 << 20]
    head = codecs.getincrementaldecoder("utf-8")().decode(prefix, final=len(prefix) == len(utf8))
    if len(prefix) < len(utf8) and len(_first_lines(head, 51)) <= 50:
        head = utf8.decode("utf-8")  # lines too long to see fifty of them in the first megabyte
    return head


def _check_width(head: str, delimiter: str, file_name: str) -> None:
    """Refuse a text whose first lines hold more columns than any sheet of ours could use."""
    try:
        width = max((len(row) for row in csv.reader(_first_lines(head, HEADER_SEARCH_ROWS), delimiter=delimiter)),
                    default=0)
    except csv.Error:
        return  # an over-long field: the parse says which row
    if width > MAX_COLUMNS:
        raise FileRefused([problem("too_many_columns", sheet=Path(file_name).name, value=file_name, count=width,
                                   limit=MAX_COLUMNS)])


def _read_csv(utf8: bytes, delimiter: str, file_name: str) -> list[tuple[str, list[list]]]:
    reader = csv.reader(io.StringIO(utf8.decode("utf-8"), newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise _field_too_long(file_name, reader.line_num) from None
        raise FileRefused([problem("unreadable_file", sheet="", value=file_name, detail=str(error))]) from None
    return [(Path(file_name).name, rows)]


def _field_too_long(file_name: str, row: int, column: str = "") -> FileRefused:
    return FileRefused([problem("field_too_long", sheet=Path(file_name).name, row=row, column=column,
                                value="", limit=MAX_FIELD_CHARS)])


_UTF8_BOM = b"\xef\xbb\xbf"

# A CSV read by pyarrow: its columns, its row count and its first rows (for the header search).
_CsvColumns = tuple[list[Cells], int, list[list]]


def _csv_columns(utf8: bytes, delimiter: str, file_name: str) -> _CsvColumns | None:
    """A CSV (clean UTF-8) read by pyarrow into columns: (columns, row count, first rows), or None
    when it is not a plain rectangle of fields (uneven rows, an open quote), which the csv module
    then reads as it always has."""
    table = _arrow_csv(utf8, delimiter)
    if table is None or table.num_columns == 0 or table.num_columns > len(_ALL_TEXT):
        return None
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:  # Arrow works outside the GIL
        columns = list(pool.map(_distinct, table.columns))
    for number, column in enumerate(columns, start=1):
        too_long = _too_long(column)
        if too_long:
            row = int(np.flatnonzero(np.isin(column.codes, too_long))[0]) + 1
            raise _field_too_long(file_name, row, column=_cell_name(1, number).removesuffix("1"))
    first_rows = [list(row.values()) for row in table.slice(0, HEADER_SEARCH_ROWS).to_pylist()]
    return columns, table.num_rows, first_rows


def _too_long(column: Cells) -> list[int]:
    """The distinct values longer than Excel's limit (in characters, as len() counts them)."""
    uniques = column.uniques
    lengths = uniques.lengths() if isinstance(uniques, ArrowTexts) else np.array([len(cell) for cell in uniques])
    return np.flatnonzero(lengths > MAX_FIELD_CHARS).tolist()


def _arrow_csv(utf8: bytes, delimiter: str) -> pa.Table | None:
    """Every field as text, parsed as the csv module parses (quotes doubled, newlines inside quotes),
    each column dictionary-encoded as it is read; None when Arrow cannot (uneven rows, invalid UTF-8,
    an open quote)."""
    try:
        return pa_csv.read_csv(
            pa.BufferReader(utf8),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=1 << 22),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
                                              newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=_ALL_TEXT, strings_can_be_null=False,
                                                  quoted_strings_can_be_null=False))
    except pa.ArrowException:  # whatever Arrow cannot parse, the csv module reads (or refuses) as before
        return None


def _distinct(chunked: pa.ChunkedArray) -> Cells:
    encoded = chunked.combine_chunks()  # one dictionary for the blocks read in parallel
    if not pa.types.is_dictionary(encoded.type):
        encoded = pc.dictionary_encode(encoded)
    return Cells(ArrowTexts(encoded.dictionary), encoded.indices.to_numpy(zero_copy_only=False))


_ALL_TEXT = {f"f{i}": pa.dictionary(pa.int32(), pa.string()) for i in range(4096)}

# The csv module says which row holds a field past the limit; the limit is the one Excel has.
csv.field_size_limit(MAX_FIELD_CHARS)


def read(data: bytes, file_name: str, mappings: Mappings = NO_MAPPINGS) -> ReadResult:
    """A file's bytes → the sheets in it that carry a recognisable header row. What the file is
    comes from its bytes, not its name; a workbook is checked against the budget, then parsed in a
    child process (isolation)."""
    if not data[:4096].strip() and not data.strip():  # the prefix decides for any file with content
        raise FileRefused([problem("empty_file", sheet="", value=file_name)])
    found = file_checks.check_kind(data, file_name)
    if found in ("xlsx", "xls"):
        if found == "xlsx":
            file_checks.check_archive(data, file_name)
        result: ReadResult = isolation.run(read_workbook, data, file_name, mappings, file_name=file_name)
        return result
    suffix = Path(file_name).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:  # named a workbook, but text: read it as the CSV it may be
        try:
            return _read_text(data, file_name, mappings)
        except FileRefused:
            raise FileRefused([problem("unreadable_file", sheet="", value=file_name,
                                       detail=phrase("problem.detail.not_a_workbook"))]) from None
    if suffix not in (".csv", ".txt", ".tsv", ""):
        raise FileRefused([problem("unsupported_file", sheet="", value=file_name)])
    return _read_text(data, file_name, mappings)


def _read_text(data: bytes, file_name: str, mappings: Mappings = NO_MAPPINGS) -> ReadResult:
    utf8, repairs = _clean_text(data, file_name)
    head = _head(utf8)
    delimiter = sniff_delimiter(head)
    _check_width(head, delimiter, file_name)
    columns = _csv_columns(utf8, delimiter, file_name)
    tables = _read_csv(utf8, delimiter, file_name) if columns is None else [(Path(file_name).name, columns)]
    result = _tables(tables, file_name, mappings)
    result.warnings = repairs + result.warnings
    return result


def _tables(tables: Sequence[tuple[str, list[list] | _CsvColumns]], file_name: str,
            mappings: Mappings = NO_MAPPINGS) -> ReadResult:
    result = ReadResult(sheets=[], skipped=[])
    for name, rows in tables:
        sheet = (_tabulate(name, *rows, mappings=mappings) if isinstance(rows, tuple)
                 else tabulate(name, rows, mappings=mappings))
        if sheet is None:
            result.skipped.append(name)
        else:
            result.sheets.append(sheet)
    if not result.sheets:
        expected = ", ".join(dict.fromkeys(c.header for c in reference.columns() if c.required))
        raise FileRefused([problem("no_header", sheet="", value=file_name, expected=expected)])
    return result
