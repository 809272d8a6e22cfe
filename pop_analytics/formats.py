"""How each language writes numbers and dates: defined once here and used by tiles, tables,
charts (their Altair locale and axis formats), downloads and messages.

Babel writes them as CLDR says: Albanian groups digits with a no-break space and writes dates with
dots (1 157,5 · 01.09.2023); English groups with commas and spells the month out, day first
(1,157.5 · 1 Sep 2023), which neither an American nor a European reader can misread.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from babel import Locale
from babel.dates import format_date, format_datetime, get_day_names, get_month_names, get_period_names
from babel.numbers import NumberPattern, get_decimal_symbol, get_group_symbol, parse_pattern


@dataclass(frozen=True)
class Formats:
    thousands: str
    decimal: str
    date: str    # strftime (and d3, for charts), a day
    moment: str  # strftime, a day and a time to the minute
    month: str   # strftime, a month of a year
    cldr_date: str    # the same three as CLDR (Babel) patterns, which write what a person reads
    cldr_moment: str
    cldr_month: str
    excel_date: str    # Excel number formats for the same, so an XLSX cell stays a real date
    excel_moment: str
    excel_month: str
    grid_date: str     # momentJS patterns for the same, so a table's date column still sorts as dates
    grid_moment: str
    grid_month: str
    csv_separator: str  # the list separator a spreadsheet in that language expects


def _formats(lang: str, **patterns: str) -> Formats:
    return Formats(thousands=get_group_symbol(locale=lang), decimal=get_decimal_symbol(locale=lang), **patterns)


FORMATS = {
    # A decimal comma means Excel in Albanian expects ';' between CSV fields.
    "sq": _formats("sq", date="%d.%m.%Y", moment="%d.%m.%Y %H:%M", month="%m.%Y",
                   cldr_date="dd.MM.yyyy", cldr_moment="dd.MM.yyyy HH:mm", cldr_month="MM.yyyy",
                   excel_date="dd.mm.yyyy", excel_moment="dd.mm.yyyy hh:mm", excel_month="mm.yyyy",
                   grid_date="DD.MM.YYYY", grid_moment="DD.MM.YYYY HH:mm", grid_month="MM.YYYY",
                   csv_separator=";"),
    "en": _formats("en", date="%-d %b %Y", moment="%-d %b %Y %H:%M", month="%b %Y",
                   cldr_date="d MMM yyyy", cldr_moment="d MMM yyyy HH:mm", cldr_month="MMM yyyy",
                   excel_date="d mmm yyyy", excel_moment="d mmm yyyy hh:mm", excel_month="mmm yyyy",
                   grid_date="D MMM YYYY", grid_moment="D MMM YYYY HH:mm", grid_month="MMM YYYY",
                   csv_separator=","),
}


def of(lang: str) -> Formats:
    return FORMATS.get(lang, FORMATS["en"])


def _language(lang: str) -> str:
    return lang if lang in FORMATS else "en"


def date(value: dt.date | pd.Timestamp | None, lang: str) -> str:
    return "" if value is None or pd.isna(value) else format_date(value, of(lang).cldr_date, locale=_language(lang))


def moment(value: dt.datetime | pd.Timestamp | None, lang: str) -> str:
    if value is None or pd.isna(value):
        return ""
    return format_datetime(value, of(lang).cldr_moment, locale=_language(lang))


def month(value: dt.date | pd.Timestamp | None, lang: str) -> str:
    return "" if value is None or pd.isna(value) else format_date(value, of(lang).cldr_month, locale=_language(lang))


def number(value: float, lang: str, decimals: int = 0, grouped: bool = True) -> str:
    """1157 → '1,157' (en) / '1 157' (sq); grouped=False leaves out the thousands separator (a
    CSV cell a spreadsheet in that language reads back as a number)."""
    # The float's exact binary value, rounded half to even as Python's own formatting rounds it, so
    # 2.675 stays 2.67 and -0.4 is 0 (a whole number is rounded first: no '-0').
    exact: Decimal | int = Decimal(float(value)) if decimals else round(float(value))
    return _pattern(decimals).apply(exact, _locale(lang), group_separator=grouped)


# What format_decimal looks up on every call, once: a table of 1,000 rows formats thousands of numbers a run.
@functools.cache
def _pattern(decimals: int) -> NumberPattern:
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))


@functools.cache
def _locale(lang: str) -> Locale:
    return Locale.parse(_language(lang))


def calendar_names(lang: str) -> dict[str, list[str]]:
    """A chart's d3 locale names: days (Sunday first), months and AM/PM, as CLDR writes them inside a date."""
    days, short_days = (get_day_names(width, "format", lang) for width in ("wide", "abbreviated"))
    months, short_months = (get_month_names(width, "format", lang) for width in ("wide", "abbreviated"))
    periods = get_period_names("abbreviated", "format", lang)
    sunday_first = (6, 0, 1, 2, 3, 4, 5)  # CLDR counts from Monday (0), d3 from Sunday
    return {"days": [days[i] for i in sunday_first], "shortDays": [short_days[i] for i in sunday_first],
            "months": [months[i] for i in range(1, 13)], "shortMonths": [short_months[i] for i in range(1, 13)],
            "periods": [periods["am"], periods["pm"]]}
