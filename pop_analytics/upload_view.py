"""What an upload shows before anything is stored: the cells as read from each sheet, what a valid
file will store (as the reader will later see it), and the values of a refused file that a person
can place by choosing a term. Kept apart from present, which turns stored rows into what a reader
sees and needs nothing of reading, matching or validating a file."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from . import matching, reading, reference, validate
from .errors import Problem, worded
from .messages import row_ranges
from .present import table
from .text import fold

_PREVIEW_COLUMNS = {
    "priorities": ["cycle", "municipality", "code", "title", "theme", "year", "status", "note"],
    "activities": ["date", "municipality", "type", "events", "participants", "women", "men", "youth", "themes",
                   "cycle"],
    "figures": ["year", "date_from", "date_to", "municipality", "type", "indicator", "value"],
    "targets": ["objective", "target_indicator", "year", "municipality", "target_value", "note"],
}


def batch_preview(batch: validate.Batch, lang: str) -> dict[str, pd.DataFrame]:
    """What a valid file will store, per kind, as the reader will later see it."""
    previews = {}
    for kind in reference.SHEET_KINDS:
        frame = getattr(batch, kind)
        if kind == "targets":  # a target's indicator is not a reported figure's
            frame = frame.rename(columns={"indicator": "target_indicator", "target": "target_value"})
        if len(frame):
            frame = frame.copy()
            if "themes" in frame.columns:
                frame["themes"] = frame["themes"].map(lambda keys: ", ".join(keys) if keys is not None else None)
            for column in {"date", "date_from", "date_to"} & set(frame.columns):  # dates, so styled() writes them
                frame[column] = pd.to_datetime(frame[column])
            previews[kind] = table(frame, lang, [c for c in _PREVIEW_COLUMNS[kind] if c in frame.columns])
    return previews


def _as_typed(value: object) -> str | None:
    """A raw cell as the partner typed it: 20.0 read from Excel shows as 20, a date as dd.mm.yyyy."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    return str(value)


def read_preview(result: reading.ReadResult | None, rows: int = 50) -> list[tuple[str, pd.DataFrame]]:
    """The cells as read from each recognised sheet (an import report's `read`), under the headers
    as written, numbered as in Excel: what the reader saw, shown beside the problems even when the
    file is refused. Nothing when the file could not be read at all."""
    if result is None:
        return []
    previews = []
    for sheet in result.sheets:
        fields = list(sheet.cells)
        frame = pd.DataFrame({sheet.headers.get(f, f): [_as_typed(v) for v in sheet.cells[f][:rows]] for f in fields})
        frame.index = sheet.excel_rows[:rows]
        previews.append((sheet.name, frame))
    return previews


@dataclass(frozen=True)
class Unknown:
    """A value a check could not read, once however many rows hold it: what to ask a person about."""

    vocabulary: str
    value: str
    column: str
    choices: tuple[str, ...]  # the terms that fit or come closest, best first
    rows: tuple[int, ...] = ()  # every row holding it, in the order the check found them

    def where(self, lang: str) -> dict[str, str]:
        """The parameters of the sentence that says which value, where (upload.choose_value)."""
        return {"value": self.value, "column": self.column, "rows": str(worded(row_ranges(self.rows), lang))}


def unknown_values(errors: Sequence[Problem]) -> list[Unknown]:
    """The values of a refused file that a person can place by choosing a term (not headers: a
    header is renamed in the file)."""
    found: dict[tuple[str, str], Unknown] = {}
    for p in errors:
        value = p.unread or p.value
        if not p.vocabulary or p.vocabulary.startswith("column.") or not fold(value):
            continue
        key = (p.vocabulary, fold(value))
        first = found.get(key) or Unknown(p.vocabulary, value, p.column, p.choices)
        found[key] = dataclasses.replace(first, rows=(*first.rows, p.row)) if p.row is not None else first
    return list(found.values())


def term_options(vocabulary: str) -> list[str]:
    """Every term a value of vocabulary may be read as, in the reference data's order."""
    return list(matching.reference_vocabulary(vocabulary).term_keys())
