"""The partners' Excel template: one sheet per kind, bilingual headers, drop-down lists, instructions."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from . import reference
from .i18n import t

SHEET_TITLES = {"priorities": "Prioritetet", "activities": "Aktivitetet", "figures": "Shifrat", "targets": "Synimet"}
LISTS_SHEET = "Listat"
INSTRUCTIONS_SHEET = "Udhëzime"
ROWS_WITH_LISTS = 2000  # drop-downs reach this far down; partners rarely send more in one sheet

# Which reference list each field's drop-down offers.
_DROPDOWNS = {"municipality": "municipality", "theme": "theme", "themes": "theme", "status": "status",
              "type": "type", "cycle": "cycle", "indicator": "indicator"}
# A field whose list differs in one kind of sheet: a target's indicator is not a reported figure's.
_KIND_DROPDOWNS = {("targets", "objective"): "objective", ("targets", "indicator"): "target_indicator",
                   ("targets", "unit"): "unit"}
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")


def _lists() -> dict[str, list[str]]:
    return {
        "municipality": sorted((m.name for m in reference.municipalities()), key=lambda n: (n not in reference.pop_municipalities(), n)),
        "theme": [x.label_sq for x in reference.terms("themes")],
        "status": [x.label_sq for x in reference.terms("statuses")],
        "type": [x.label_sq for x in reference.terms("activity_types")],
        "cycle": list(reference.cycles()),
        # The Albanian label, never the internal key: partners pick what they can read, and the
        # importer reads the label back to its key.
        "indicator": [reference.term_label("indicators", key, "sq") for key in reference.term_keys("indicators")],
        "objective": [o.key for o in reference.objectives()],
        "target_indicator": [i.label_sq for i in reference.target_indicators()],
        "unit": list(dict.fromkeys(i.unit_sq for i in reference.target_indicators())),
    }


def _write_lists(workbook: Workbook) -> dict[str, str]:
    """A hidden sheet holding every list; returns list name → absolute range for validations."""
    sheet = workbook.create_sheet(LISTS_SHEET)
    ranges = {}
    for col, (name, values) in enumerate(_lists().items(), start=1):
        letter = get_column_letter(col)
        sheet.cell(1, col, name)
        for row, value in enumerate(values, start=2):
            sheet.cell(row, col, value)
        ranges[name] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
    sheet.sheet_state = "hidden"
    return ranges


def _write_kind(workbook: Workbook, kind: str, ranges: dict[str, str]) -> None:
    sheet = workbook.create_sheet(SHEET_TITLES[kind])
    for col, column in enumerate(reference.columns(kind), start=1):
        cell = sheet.cell(1, col, column.header + (" *" if column.required else ""))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(col)].width = max(14, len(column.header) + 2)
        listed = _KIND_DROPDOWNS.get((kind, column.field)) or _DROPDOWNS.get(column.field)
        if listed:
            # Themes may be several in one cell, so their list only suggests; the rest must match.
            strict = column.field != "themes"
            validation = DataValidation(type="list", formula1=ranges[listed], allow_blank=True,
                                        showErrorMessage=strict, errorStyle="stop" if strict else "information",
                                        error=t("template.dropdown_error", "sq"), errorTitle=column.label_sq)
            letter = get_column_letter(col)
            validation.add(f"{letter}2:{letter}{ROWS_WITH_LISTS}")
            sheet.add_data_validation(validation)
        if column.field in ("date", "date_from", "date_to"):
            for row in range(2, ROWS_WITH_LISTS + 1):
                sheet.cell(row, col).number_format = "DD.MM.YYYY"
    sheet.freeze_panes = "A2"


def _write_instructions(workbook: Workbook) -> None:
    sheet = workbook.active
    sheet.title = INSTRUCTIONS_SHEET
    sheet.column_dimensions["A"].width = 110
    lines = [t(f"template.instructions.{i}", lang) for lang in ("sq", "en") for i in range(1, 9)]
    sheet.cell(1, 1, t("template.title", "sq") + " / " + t("template.title", "en")).font = Font(bold=True, size=14)
    for row, line in enumerate(lines, start=3):
        sheet.cell(row, 1, line).alignment = Alignment(wrap_text=True)


def write(path: str | Path) -> Path:
    """Write the template workbook to path and return it."""
    workbook = Workbook()
    _write_instructions(workbook)
    ranges = _write_lists(workbook)
    for kind in reference.SHEET_KINDS:
        _write_kind(workbook, kind, ranges)
    workbook.move_sheet(LISTS_SHEET, offset=len(workbook.sheetnames))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
