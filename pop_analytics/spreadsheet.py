"""The one rule for a cell of every file a spreadsheet opens (a page's CSV and Excel downloads, the
report's workbook): text came from partners' sheets, file names and links, and a spreadsheet must
show it, never run it; numbers and dates stay numbers and dates, whatever their sign."""
from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell

# Excel and LibreOffice read a cell typed as text as a formula when it starts with one of these
# (OWASP, "CSV injection"): '=HYPERLINK(...)', '+1', '-1+2', '@SUM(A1)', a tab, a carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """True for text a spreadsheet would evaluate. Only text counts: numbers (-5 among them) and
    dates are written as numbers and dates."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def formula_cells(values: pd.Series) -> np.ndarray:
    """formula_like for each cell of a column, as a boolean array (at the speed of a million rows)."""
    if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
        return np.zeros(len(values), dtype=bool)  # numbers, dates, booleans
    try:  # text, or text mixed with other values (which count as not formula-like)
        starts = values.str.startswith(FORMULA_STARTS, na=False)
        return starts.to_numpy(dtype=bool, na_value=False)
    except AttributeError:  # an object column holding no text at all (dates, say)
        return np.fromiter((formula_like(v) for v in values), dtype=bool, count=len(values))


def cells_to_mark(values: pd.Series) -> np.ndarray:
    """The cells of a column that openpyxl, given the text, would not keep a plain string cell: the
    formula-like ones and the texts of Excel's error values ('#N/A' typed in a sheet)."""
    marked = formula_cells(values)
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        marked = marked | values.isin(ERROR_CODES).to_numpy(dtype=bool)
    return marked


def prefixed(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """A copy of frame with prefix before every formula-like heading and text cell (a CSV, which has
    no cell types: an apostrophe is what a spreadsheet reads as 'typed as text')."""
    shown = frame.copy()
    shown.columns = [prefix + c if formula_like(c) else c for c in shown.columns]
    for position in range(shown.shape[1]):
        values = shown.iloc[:, position]
        risky = formula_cells(values)
        if risky.any():
            changed = values.copy()
            changed.iloc[risky] = (prefix + values.iloc[risky].astype(str)).to_numpy()
            shown.isetitem(position, changed)
    return shown


def clean(value: object) -> object:
    """Text without the control characters a damaged sheet leaves (openpyxl refuses to write them)."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def mark_text(cell: Cell) -> None:
    """A cell holding text is a string cell, never a formula or an error value; a formula-like one is
    also marked as Excel marks text typed after an apostrophe (quotePrefix), so it shows as typed."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if formula_like(cell.value):
            cell.quotePrefix = True


def write_text(cell: Cell, value: object) -> None:
    """value written as text into cell, by mark_text's rule."""
    cell.value = clean(str(value))
    mark_text(cell)
