"""Turning what partners type into canonical values. Each function takes one raw cell.

A value that cannot be placed raises InvalidValue with a message code and its parameters;
validation adds the sheet, row and column. Nothing here guesses: a close match is only
ever offered as a suggestion.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re

from . import reference
from .errors import PopError
from .messages import localized
from .settings import MAX_COUNT, SUGGESTION_CUTOFF
from .text import fold


class InvalidValue(PopError):
    def __init__(self, code: str, **params: object):
        self.code, self.params = code, params
        super().__init__(code)


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, float) and math.isnan(raw))


def text(raw: object) -> str | None:
    if is_blank(raw):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return " ".join(str(raw).split())


def _suggest(folded: str, lookup: dict[str, str]) -> str | None:
    match = difflib.get_close_matches(folded, lookup.keys(), n=1, cutoff=SUGGESTION_CUTOFF)
    return lookup[match[0]] if match else None


_MUNICIPALITY_PREFIX = re.compile(r"^(bashkia|bashkise|bashki|komuna|komunes|municipality of|municipality)\s+((e|se|i|te)\s+)?")


def municipality(raw: object) -> str:
    """Any spelling in the reference data → canonical name ('TIRANA ' → 'Tiranë')."""
    folded = _MUNICIPALITY_PREFIX.sub("", fold(raw))
    lookup = reference.municipality_lookup()
    if folded in lookup:
        return lookup[folded]
    suggestion = _suggest(folded, lookup)
    raise InvalidValue("unknown_municipality", suggestion=suggestion or "")


def _term(vocabulary: str, code: str, raw: object) -> str:
    lookup = reference.term_lookup(vocabulary)
    folded = fold(raw)
    if folded in lookup:
        return lookup[folded]
    suggestion = _suggest(folded, lookup)
    allowed = ", ".join(t.label_sq for t in reference.terms(vocabulary))
    # Suggest what the partner would write (the Albanian label), never the internal key.
    shown = reference.term_label(vocabulary, suggestion, "sq") if suggestion else ""
    raise InvalidValue(code, suggestion=shown, allowed=allowed)


def status(raw: object) -> str:
    return _term("statuses", "unknown_status", raw)


def indicator(raw: object) -> str:
    return _term("indicators", "unknown_indicator", raw)


_THEME_SEPARATORS = re.compile(r"[;,\n]+")


def themes(raw: object) -> tuple[str, ...]:
    """'Uji i pijshëm; Rrugët' → ('water', 'roads'); order kept, repeats dropped."""
    if is_blank(raw):
        return ()
    keys: list[str] = []
    for part in _THEME_SEPARATORS.split(str(raw)):
        if part.strip():
            key = _term("themes", "unknown_theme", part)
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def theme(raw: object) -> str:
    """A priority has exactly one theme."""
    keys = themes(raw)
    if len(keys) != 1:
        raise InvalidValue("one_theme_only")
    return keys[0]


# "10 fokus grupe - 200 gra dhe burra": several events, and maybe participants, in one cell.
_COUNTED_TYPE = re.compile(r"^\s*(\d+)\s+(.+?)(?:\s+[-–—]\s*(\d[\d.,]*)\b.*)?$")


def activity_type(raw: object) -> tuple[str, int | None, int | None]:
    """Type cell → (type key, events written in the cell, participants written in the cell)."""
    try:
        return _term("activity_types", "unknown_type", raw), None, None
    except InvalidValue as unknown:
        match = _COUNTED_TYPE.match(str(raw))
        if not match:
            raise
        try:
            key = _term("activity_types", "unknown_type", match.group(2))
        except InvalidValue:
            raise unknown from None
        participants = count(match.group(3)) if match.group(3) else None
        return key, int(match.group(1)), participants


_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}([.,\s ])\d{3}(\1\d{3})*$")  # "0,157" is a decimal
_LEADING_NUMBER = re.compile(r"^\s*(-?\d[\d.,\s ]*?)\s*[a-zA-ZëËçÇ].*$")


def _plain_number(text_value: str) -> float:
    """'1,157' '1.157' '1 157' → 1157; '74,5' → 74.5; '1.157,5' / '1,157.5' → 1157.5."""
    s = text_value.strip().replace("\u00a0", " ")
    if _THOUSANDS.match(s):
        return float(re.sub(r"[.,\s ]", "", s))
    s = s.replace(" ", "")
    if "," in s and "." in s:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        s = s.replace(thousands, "").replace(decimal, ".")
    else:
        s = s.replace(",", ".")
    return float(s)


def number(raw: object) -> float | None:
    """A number as partners write it, percentages included: '74,5%' → 74.5."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        raise InvalidValue("not_a_number")
    if isinstance(raw, (int, float)):
        return float(raw)
    s = str(raw).strip().rstrip("%").strip()
    try:
        return _plain_number(s)
    except ValueError:
        raise InvalidValue("not_a_number") from None


def count(raw: object) -> int | None:
    """A whole number of events or people; '200 gra dhe burra' → 200; blank → None."""
    if is_blank(raw):
        return None
    if isinstance(raw, str):
        leading = _LEADING_NUMBER.match(raw)
        if leading:
            raw = leading.group(1)
    value = number(raw)
    if value is None or not float(value).is_integer():
        raise InvalidValue("not_a_whole_number")
    if abs(value) > MAX_COUNT:
        raise InvalidValue("count_too_large", limit=localized(f"{MAX_COUNT:,}".replace(",", "\u202f"), f"{MAX_COUNT:,}"))
    return int(value)


_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%y", "%Y/%m/%d", "%d.%m.%Y.")


def date(raw: object) -> dt.date:
    """Excel dates and serials, dd.mm.yyyy, yyyy-mm-dd, dd/mm/yyyy → date."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if 1 <= raw < 2958466:  # Excel's serial range; the epoch absorbs the 1900 leap-year bug
            return _EXCEL_EPOCH + dt.timedelta(days=int(raw))
        raise InvalidValue("not_a_date")
    s = str(raw).strip()
    s = s.split(" ")[0].split("T")[0] if re.match(r"^\d{4}-\d\d-\d\d[ T]\d", s) else s
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    if re.fullmatch(r"\d+(\.0+)?", s):
        return date(float(s))
    raise InvalidValue("not_a_date")


def year(raw: object) -> int:
    try:
        value = count(raw)
    except InvalidValue:
        raise InvalidValue("not_a_year") from None
    if value is None or not 1900 <= value <= 2100:
        raise InvalidValue("not_a_year")
    return value


_YEARS = re.compile(r"(\d{4})\D+(\d{4})")


def cycle(raw: object) -> str:
    """'2019-2023', '2019 – 2023', 'Kontrata 2019/2023' → '2019-2023'."""
    match = _YEARS.search(str(raw))
    key = f"{match.group(1)}-{match.group(2)}" if match else ""
    if key not in reference.cycles():
        raise InvalidValue("unknown_cycle", allowed=", ".join(reference.cycles()))
    return key


def cycle_of_date(day: dt.date) -> str:
    """The contract cycle an activity belongs to when the sheet does not say: the latest
    cycle whose elections came before it."""
    current = None
    for key, row in sorted(reference.cycles().items(), key=lambda kv: kv[1]["election_date"]):
        if day >= dt.date.fromisoformat(row["election_date"]):
            current = key
    return current or next(iter(reference.cycles()))


def cycle_of_year(monitoring_year: int) -> str:
    """The cycle a monitoring year belongs to: the one whose monitoring years include it."""
    for key, row in reference.cycles().items():
        if int(row["first_monitoring_year"]) <= monitoring_year <= int(row["last_monitoring_year"]):
            return key
    return cycle_of_date(dt.date(monitoring_year, 12, 31))
