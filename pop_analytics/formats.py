"""How each language writes numbers and dates: defined once here and used by tiles, tables,
charts (their Altair locale and axis formats) and downloads.

Albanian as CLDR writes it (1 157,5 · 01.09.2023); English with the day first and the month
spelt out (1,157.5 · 1 Sep 2023), which neither an American nor a European reader can misread.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Formats:
    thousands: str
    decimal: str
    date: str    # strftime, a day
    moment: str  # strftime, a day and a time to the minute
    month: str   # strftime, a month of a year
    excel_date: str    # Excel number formats for the same, so an XLSX cell stays a real date
    excel_moment: str
    excel_month: str
    csv_separator: str  # the list separator a spreadsheet in that language expects


FORMATS = {
    # A decimal comma means Excel in Albanian expects ';' between CSV fields.
    "sq": Formats(thousands="\u00a0", decimal=",", date="%d.%m.%Y", moment="%d.%m.%Y %H:%M", month="%m.%Y",
                  excel_date="dd.mm.yyyy", excel_moment="dd.mm.yyyy hh:mm", excel_month="mm.yyyy",
                  csv_separator=";"),
    "en": Formats(thousands=",", decimal=".", date="%-d %b %Y", moment="%-d %b %Y %H:%M", month="%b %Y",
                  excel_date="d mmm yyyy", excel_moment="d mmm yyyy hh:mm", excel_month="mmm yyyy",
                  csv_separator=","),
}


def of(lang: str) -> Formats:
    return FORMATS.get(lang, FORMATS["en"])


_ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _strftime(value: dt.date, pattern: str) -> str:
    """strftime without the C library's locale: %b is always English, %-d is the day unpadded."""
    pattern = pattern.replace("%-d", str(value.day)).replace("%b", _ENGLISH_MONTHS[value.month - 1])
    return value.strftime(pattern)


def date(value: dt.date | pd.Timestamp | None, lang: str) -> str:
    return "" if value is None or pd.isna(value) else _strftime(value, of(lang).date)


def moment(value: dt.datetime | pd.Timestamp | None, lang: str) -> str:
    return "" if value is None or pd.isna(value) else _strftime(value, of(lang).moment)


def month(value: dt.date | pd.Timestamp | None, lang: str) -> str:
    return "" if value is None or pd.isna(value) else _strftime(value, of(lang).month)


def number(value: float, lang: str, decimals: int = 0, grouped: bool = True) -> str:
    """1157 → '1,157' (en) / '1 157' (sq); grouped=False leaves out the thousands separator (a
    CSV cell a spreadsheet in that language reads back as a number)."""
    formats = of(lang)
    text = f"{float(value):,.{decimals}f}" if decimals else f"{round(float(value)):,d}"
    return text.replace(",", "\x00").replace(".", formats.decimal).replace(
        "\x00", formats.thousands if grouped else "")
