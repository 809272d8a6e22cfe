"""The partners' Excel template: one sheet per kind, bilingual headers, drop-down lists, instructions."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from . import reference
from .i18n import t

# The workbook is the partners': its sheets are named in Albanian, as they write their own.
SHEET_TITLES = {kind: t(f"template.sheet.{kind}", "sq") for kind in ("priorities", "activities", "figures", "targets")}
LISTS_SHEET = t("template.sheet.lists", "sq")
INSTRUCTIONS_SHEET = t("template.sheet.instructions", "sq")
ROWS_WITH_LISTS = 2000  # drop-downs reach this far down; partners rarely send more in one sheet

# Which reference list each field's drop-down offers.
_DROPDOWNS = {"municipality": "municipality", "theme": "theme", "themes": "theme", "status": "status",
              "type": "type", "cycle": "cycle", "indicator": "indicator"}
# A field whose list differs in one kind of sheet: a target's indicator is not a reported figure's.
_KIND_DROPDOWNS = {("targets", "objective"): "objective", ("targets", "indicator"): "target_indicator",
                   ("targets", "unit"): "unit"}
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")


def _lists(municipalities: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Every drop-down's values; a partner's municipality list holds only theirs (the importer
    refuses another municipality's row from them)."""
    return {
        "municipality": list(municipalities) if municipalities is not None else
        sorted((m.name for m in reference.municipalities()),
               key=lambda n: (n not in reference.pop_municipalities(), n)),
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


def _write_lists(workbook: Workbook, municipalities: Sequence[str] | None = None) -> dict[str, str]:
    """A hidden sheet holding every list; returns list name → absolute range for validations."""
    sheet = workbook.create_sheet(LISTS_SHEET)
    ranges = {}
    for col, (name, values) in enumerate(_lists(municipalities).items(), start=1):
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
        if column.field in ("date", "date_from", "date_to", "due"):
            for row in range(2, ROWS_WITH_LISTS + 1):
                sheet.cell(row, col).number_format = "DD.MM.YYYY"
    sheet.freeze_panes = "A2"


# A priority's fields a partner's template fills in from their contract (year and status are theirs to write);
# its own deadline too, so that the sheet sent back keeps it (a blank cell means the cycle's end).
PREFILLED = ("cycle", "municipality", "code", "title", "theme", "due")


def _write_priorities(workbook: Workbook, priorities: pd.DataFrame) -> None:
    """The partner's contract's priorities on the priorities sheet, one row each, in the columns of
    the template (the theme as its Albanian label, as the drop-down offers it)."""
    sheet = workbook[SHEET_TITLES["priorities"]]
    fields = [column.field for column in reference.columns("priorities")]
    for row, priority in enumerate(priorities.itertuples(index=False), start=2):
        for field in PREFILLED:
            value = getattr(priority, field, None)
            if value is None or pd.isna(value):
                continue
            if field == "due":
                value = pd.Timestamp(value).date()
            sheet.cell(row, fields.index(field) + 1, reference.term_label("themes", value, "sq")
                       if field == "theme" else value)


def _write_instructions(workbook: Workbook, municipalities: Sequence[str] | None = None,
                        priorities: pd.DataFrame | None = None) -> None:
    sheet = workbook.active
    sheet.title = INSTRUCTIONS_SHEET
    sheet.column_dimensions["A"].width = 110
    lines = [t(f"template.instructions.{i}", lang) for lang in ("sq", "en") for i in range(1, 9)]
    if municipalities is not None:  # whose template this is, first, in both languages
        cycles = ", ".join(sorted(set(priorities["cycle"]))) if priorities is not None and len(priorities) else "–"
        lines[:0] = [t("template.for_partner", lang, municipalities=", ".join(municipalities), cycles=cycles,
                       count=len(priorities) if priorities is not None else 0) for lang in ("sq", "en")]
    sheet.cell(1, 1, t("template.title", "sq") + " / " + t("template.title", "en")).font = Font(bold=True, size=14)
    for row, line in enumerate(lines, start=3):
        sheet.cell(row, 1, line).alignment = Alignment(wrap_text=True)


def write(path: str | Path, municipalities: Sequence[str] | None = None,
          priorities: pd.DataFrame | None = None) -> Path:
    """Write the template workbook to path and return it. A partner's (municipalities: theirs) offers
    only their municipalities and holds their contract's priorities (PREFILLED fields of each row of
    priorities, as queries.contract_priorities gives them), ready for a year and a status."""
    workbook = Workbook()
    _write_instructions(workbook, municipalities, priorities)
    ranges = _write_lists(workbook, municipalities)
    for kind in reference.SHEET_KINDS:
        _write_kind(workbook, kind, ranges)
    if priorities is not None:
        _write_priorities(workbook, priorities)
    workbook.move_sheet(LISTS_SHEET, offset=len(workbook.sheetnames))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
