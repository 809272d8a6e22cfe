"""Reading partners' files (.xlsx, .csv) into sheets of raw cells, located as Excel shows them.

Nothing here interprets a value; that is normalise's and validate's work. The reader finds
the header row under any title, maps headers to fields, tells each sheet's kind, fills merged
cells, and sets aside blank rows and total rows (keeping the totals to compare later).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import python_calamine

from . import reference
from .errors import FileRefused
from .messages import problem
from .settings import HEADER_SEARCH_ROWS
from .text import fold

TOTAL_WORDS = ("gjithsej", "totali", "total", "totale", "shuma", "totals", "grand total")


@dataclass
class Sheet:
    """One table of a file: raw cells per field, with the Excel row number of every data row."""

    name: str
    kind: str
    header_row: int
    headers: dict[str, str]  # field → header as written
    cells: dict[str, list] = field(default_factory=dict)  # field → one raw value per data row
    excel_rows: list[int] = field(default_factory=list)
    totals: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.excel_rows)


@dataclass
class ReadResult:
    sheets: list[Sheet]
    skipped: list[str]  # names of sheets with no recognisable header (instructions, lists, blanks)


@cache
def _header_lookup() -> dict[str, dict[str, str]]:
    """kind → folded header spelling → field."""
    lookup: dict[str, dict[str, str]] = {kind: {} for kind in reference.SHEET_KINDS}
    for column in reference.columns():
        for spelling in (column.label_sq, column.label_en, column.field, column.header, *column.aliases):
            lookup[column.kind].setdefault(fold(spelling), column.field)
    return lookup


def _header_field(kind: str, raw: object) -> str | None:
    """A header cell → field, trying the whole cell then each part of 'Bashkia / Municipality'."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    lookup = _header_lookup()[kind]
    for candidate in (raw, *re.split(r"[/(\n]", raw)):
        key = fold(candidate)
        if key in lookup:
            return lookup[key]
    return None


_KIND_MARKERS = {"priorities": "status", "activities": "type", "figures": "indicator"}


def _match_header(row: list) -> tuple[str, dict[int, str], int] | None:
    """Best reading of a row as a header: (kind, column index → field, score)."""
    best = None
    for kind in reference.SHEET_KINDS:
        mapping: dict[int, str] = {}
        for index, cell in enumerate(row):
            name = _header_field(kind, cell)
            if name and name not in mapping.values():
                mapping[index] = name
        marker = _KIND_MARKERS[kind] in mapping.values()
        score = len(mapping) + (2 if marker else 0)
        if len(mapping) >= 2 and (best is None or score > best[2]):
            best = (kind, mapping, score)
    return best


def _is_blank_row(row: list) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def _is_total_row(row: list) -> bool:
    for cell in row[:4]:
        if isinstance(cell, str) and cell.strip():
            folded = fold(cell)
            return folded in TOTAL_WORDS or folded.split(" ")[0] in TOTAL_WORDS
    return False


def tabulate(name: str, rows: list[list], first_row_number: int = 1) -> Sheet | None:
    """Rows of raw cells → a Sheet, or None when no header row can be found."""
    best = None
    for offset, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        match = _match_header(row)
        if match and (best is None or match[2] > best[1][2]):
            best = (offset, match)
    if best is None:
        return None
    header_offset, (kind, mapping, _score) = best
    header_cells = rows[header_offset]
    sheet = Sheet(
        name=name,
        kind=kind,
        header_row=header_offset + first_row_number,
        headers={f: str(header_cells[i]).strip() for i, f in mapping.items()},
        cells={f: [] for f in mapping.values()},
    )
    sheet.ignored_headers = [
        str(cell).strip() for i, cell in enumerate(header_cells) if i not in mapping and str(cell or "").strip()
    ]
    indexed = list(mapping.items())
    for offset in range(header_offset + 1, len(rows)):
        row = rows[offset]
        if _is_blank_row(row):
            continue
        values = {f: (row[i] if i < len(row) else None) for i, f in indexed}
        if _is_total_row(row):
            sheet.totals.append((offset + first_row_number, values))
            continue
        sheet.excel_rows.append(offset + first_row_number)
        for f, value in values.items():
            sheet.cells[f].append(value)
    return sheet


def _fill_merged(rows: list[list], merged: list) -> None:
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
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as error:  # calamine raises several private error types for broken files
        raise FileRefused([problem("unreadable_file", sheet="", value=file_name, detail=str(error))]) from None
    sheets = []
    for meta in workbook.sheets_metadata:
        if meta.visible != python_calamine.SheetVisibleEnum.Visible:
            continue  # hidden sheets hold drop-down lists and helpers, never a partner's rows
        name = meta.name
        sheet = workbook.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        _fill_merged(rows, sheet.merged_cell_ranges)
        sheets.append((name, rows))
    return sheets


_PLAUSIBLE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_/()%\"'\t\r\nëËçÇ")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else whichever of Windows-1250/1252 reads more plausibly."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    candidates = [data.decode(codec, errors="replace") for codec in ("cp1250", "cp1252")]
    return max(candidates, key=lambda text: sum(ch in _PLAUSIBLE for ch in text))


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab that splits the first lines into the most steady columns."""
    sample = text.splitlines()[:50]
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t"):
        widths = [len(r) for r in csv.reader(sample, delimiter=delimiter) if any(c.strip() for c in r)]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = widths.count(common) * (common > 1) * common
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(data: bytes, file_name: str) -> list[tuple[str, list[list]]]:
    text = decode(data)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))
    return [(Path(file_name).name, rows)]


def read(data: bytes, file_name: str) -> ReadResult:
    """A file's bytes → the sheets in it that carry a recognisable header row."""
    if not data.strip():
        raise FileRefused([problem("empty_file", sheet="", value=file_name)])
    suffix = Path(file_name).suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        tables = _read_xlsx(data, file_name)
    elif suffix in (".csv", ".txt", ".tsv"):
        tables = _read_csv(data, file_name)
    else:
        raise FileRefused([problem("unsupported_file", sheet="", value=file_name)])
    result = ReadResult(sheets=[], skipped=[])
    for name, rows in tables:
        sheet = tabulate(name, rows)
        if sheet is None:
            result.skipped.append(name)
        else:
            result.sheets.append(sheet)
    if not result.sheets:
        expected = ", ".join(dict.fromkeys(c.header for c in reference.columns() if c.required))
        raise FileRefused([problem("no_header", sheet="", value=file_name, expected=expected)])
    return result
