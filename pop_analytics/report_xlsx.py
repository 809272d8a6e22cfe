"""The report as an Excel workbook: one sheet per section, the filters written above each table,
numbers as numbers with number formats, the heading row frozen, columns as wide as their text,
and every text cell kept text (never a formula: spreadsheet.write_text), whoever typed it."""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from . import formats, present, spreadsheet
from .i18n import t
from .report_content import Report, Table

# Excel number formats per cell kind (Excel writes the separators of the reader's own locale).
_NUMBER_FORMATS = {"count": "#,##0", "decimal": "#,##0.0", "percent": '0.0"%"', "change": "+#,##0;-#,##0;0",
                   "year": "0"}
_HEADING_FILL = PatternFill("solid", fgColor="EEF3F8")
_WIDEST = 60  # characters: a longer text wraps within its cell


def _write(cell: Cell, value: object, kind: str, lang: str) -> str:
    """Write one cell; what it shows, to size the column."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if kind == "date":
        day = pd.Timestamp(value).to_pydatetime()
        cell.value = day.date() if isinstance(day, dt.datetime) else day
        cell.number_format = formats.of(lang).excel_date
        return formats.date(day, lang)
    if kind == "points":  # the unit in the reader's language, as the page writes it (present.points)
        cell.value = float(value)  # type: ignore[arg-type]
        cell.number_format = present.excel_points_format(lang)
        return present.points(cell.value, lang) or ""
    if kind in _NUMBER_FORMATS:
        number = float(value)  # type: ignore[arg-type]
        cell.value = int(number) if number.is_integer() and kind in ("count", "change", "year") else number
        cell.number_format = _NUMBER_FORMATS[kind]
        return present.number(number, lang, 0 if kind in ("count", "change", "year") else 1) + "  "
    spreadsheet.write_text(cell, value)
    return str(cell.value)


def _sheet(book: Workbook, table: Table, report: Report, used: set[str]) -> None:
    title = present.sheet_title(table.sheet(report.lang))
    while title in used:
        title = present.sheet_title(title[:28] + f"_{len(used)}")
    used.add(title)
    sheet = book.create_sheet(title)
    lang = report.lang
    spreadsheet.write_text(sheet.cell(1, 1), table.title)
    sheet.cell(1, 1).font = Font(bold=True, size=13)
    spreadsheet.write_text(sheet.cell(2, 1), t("report.fact.filters", lang) + ": " + report.filters_line)
    spreadsheet.write_text(sheet.cell(3, 1), report.approval + " " + report.source)
    first = 5
    widths = [len(h) for h in table.headings]
    for column, heading in enumerate(table.headings, start=1):
        cell = sheet.cell(first, column)
        spreadsheet.write_text(cell, heading)
        cell.font = Font(bold=True)
        cell.fill = _HEADING_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for number, row in enumerate(table.rows, start=first + 1):
        for column, item in enumerate(row, start=1):
            shown = _write(sheet.cell(number, column), item.value, item.kind, lang)
            widths[column - 1] = max(widths[column - 1], len(shown))
    if not table.rows and table.note:
        spreadsheet.write_text(sheet.cell(first + 1, 1), table.note)
    elif table.note:
        spreadsheet.write_text(sheet.cell(first + len(table.rows) + 2, 1), table.note)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(_WIDEST, width + 2)
    sheet.freeze_panes = sheet.cell(first + 1, 1)


def render(report: Report) -> bytes:
    book = Workbook()
    cover = book.active
    cover.title = present.sheet_title(t("report.sheet.cover", report.lang))
    spreadsheet.write_text(cover.cell(1, 1), report.title)
    cover.cell(1, 1).font = Font(bold=True, size=16)
    for number, (label, text) in enumerate(report.facts, start=3):
        spreadsheet.write_text(cover.cell(number, 1), label)
        cover.cell(number, 1).font = Font(bold=True)
        spreadsheet.write_text(cover.cell(number, 2), text)
    after = 3 + len(report.facts) + 1
    spreadsheet.write_text(cover.cell(after, 1), report.approval)
    cover.cell(after, 1).font = Font(bold=True)
    spreadsheet.write_text(cover.cell(after + 1, 1), report.source)
    for number, (term, text) in enumerate(report.definitions, start=after + 3):
        spreadsheet.write_text(cover.cell(number, 1), term)
        cover.cell(number, 1).font = Font(bold=True)
        spreadsheet.write_text(cover.cell(number, 2), text)
        cover.cell(number, 2).alignment = Alignment(wrap_text=True, vertical="top")
    cover.column_dimensions["A"].width = max(len(label) for label, _ in [*report.facts, *report.definitions]) + 2
    cover.column_dimensions["B"].width = 90
    used = {cover.title}
    for table in report.sections:
        _sheet(book, table, report, used)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
