"""Turning what partners type into canonical values. Each function takes one raw cell.

A value that cannot be placed raises InvalidValue with a message code and its parameters;
validation adds the sheet, row and column. Vocabulary values are read by the one rule of
matching; a reading that was not exact is noted for the person to see.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable

from . import matching, reference
from .errors import PopError
from .messages import localized
from .settings import MAX_COUNT


class InvalidValue(PopError):
    """A cell that cannot be placed: a message code and its parameters. For a vocabulary value,
    vocabulary and choices (the terms to offer) too; parameters that take a search to find (the
    closest terms) are computed only when a message is written."""

    def __init__(self, code: str, *, vocabulary: str = "", lazy: Callable[[], dict] | None = None,
                 **params: object):
        self.code, self.vocabulary, self._params, self._lazy = code, vocabulary, params, lazy
        super().__init__(code)

    @property
    def params(self) -> dict:
        if self._lazy is not None:
            self._params, self._lazy = {**self._lazy(), **self._params}, None
        return self._params


# What a vocabulary's term is called in a message.
_WHAT = {"municipality": ("bashki", "municipality"), "theme": ("temë", "theme"), "status": ("status", "status"),
         "activity_type": ("lloj aktiviteti", "activity type"), "indicator": ("tregues", "indicator"),
         "cycle": ("cikël", "cycle")}
_UNKNOWN_CODE = {"municipality": "unknown_municipality", "theme": "unknown_theme", "status": "unknown_status",
                 "activity_type": "unknown_type", "indicator": "unknown_indicator", "cycle": "unknown_cycle"}

# A reading noted while parsing: (vocabulary, the value as written, how it was read).
Noted = list[tuple[str, str, matching.Reading]]


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, float) and math.isnan(raw))


def text(raw: object) -> str | None:
    if is_blank(raw):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return " ".join(str(raw).split())


def _refusal(vocabulary: str, raw: object, no_match: matching.NoMatch) -> InvalidValue:
    """The refusal of a value no single term fits. Its parameters are built only when its message is
    written: a file may hold a million such values, of which a report lists a few hundred."""
    if no_match.ambiguous:
        return InvalidValue("ambiguous_value", vocabulary=vocabulary, lazy=lambda: {
            "what": localized(*_WHAT[vocabulary]), "choices": no_match.fits,
            "candidates": matching.labels(vocabulary, no_match.fits), "unread": text(raw) or ""})

    def closest() -> dict:
        found = no_match.candidates
        # Suggest what the partner would write (the Albanian label), never the internal key.
        return {"choices": found, "suggestion": "', '".join(matching.term_label(vocabulary, k, "sq") for k in found),
                "allowed": ", ".join(matching.term_label(vocabulary, k, "sq") for k in no_match.vocabulary.term_keys()),
                "unread": text(raw) or ""}

    return InvalidValue(_UNKNOWN_CODE[vocabulary], vocabulary=vocabulary, lazy=closest)


def read_term(vocabulary: str, raw: object, mappings: matching.Mappings = matching.NO_MAPPINGS,
              noted: Noted | None = None) -> str:
    """A value → its term's key under the one matching rule; a reading that was not exact is
    noted, so the person can see it."""
    try:
        reading = mappings.vocabulary(vocabulary).read(raw)
    except matching.NoMatch as no_match:
        raise _refusal(vocabulary, raw, no_match) from None
    if noted is not None and reading.how != "exact":
        noted.append((vocabulary, text(raw) or "", reading))
    return reading.key


def municipality(raw: object, mappings: matching.Mappings = matching.NO_MAPPINGS, noted: Noted | None = None) -> str:
    """Any spelling in the reference data → canonical name ('TIRANA ' → 'Tiranë', 'Bashkia e Tiranës' too)."""
    return read_term("municipality", raw, mappings, noted)


def status(raw: object, mappings: matching.Mappings = matching.NO_MAPPINGS, noted: Noted | None = None) -> str:
    return read_term("status", raw, mappings, noted)


def indicator(raw: object, mappings: matching.Mappings = matching.NO_MAPPINGS, noted: Noted | None = None) -> str:
    return read_term("indicator", raw, mappings, noted)


THEME_SEPARATORS = re.compile(r"[;,\n]+")


def themes(raw: object, mappings: matching.Mappings = matching.NO_MAPPINGS, noted: Noted | None = None) -> tuple[str, ...]:
    """'Uji i pijshëm; Rrugët' → ('water', 'roads'); order kept, repeats dropped."""
    if is_blank(raw):
        return ()
    keys: list[str] = []
    for part in THEME_SEPARATORS.split(raw if type(raw) is str else str(raw)):
        if part.strip():
            key = read_term("theme", part, mappings, noted)
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def theme(raw: object, mappings: matching.Mappings = matching.NO_MAPPINGS, noted: Noted | None = None) -> str:
    """A priority has exactly one theme."""
    keys = themes(raw, mappings, noted)
    if len(keys) != 1:
        raise InvalidValue("one_theme_only")
    return keys[0]


# "10 fokus grupe - 200 gra dhe burra": several events, and maybe participants, in one cell.
_COUNTED_TYPE = re.compile(r"^\s*(\d+)\s+(.+?)(?:\s+[-–—]\s*(\d[\d.,]*)\b.*)?$")


def activity_type(raw: object, mappings: matching.Mappings = matching.NO_MAPPINGS,
                  noted: Noted | None = None) -> tuple[str, int | None, int | None]:
    """Type cell → (type key, events written in the cell, participants written in the cell).
    The counted reading is tried first when the cell starts with a number, so a cell such as
    '10 fokus grupe' never pays for a search of the whole text."""
    match = _COUNTED_TYPE.match(raw if type(raw) is str else str(raw))
    if match:
        try:
            key = read_term("activity_type", match.group(2), mappings, noted)
        except InvalidValue:
            pass  # not a count and a type: the whole cell is read, and refused as written
        else:
            participants = count(match.group(3)) if match.group(3) else None
            return key, int(match.group(1)), participants
    return read_term("activity_type", raw, mappings, noted), None, None


def activity_type_key(raw: object, mappings: matching.Mappings = matching.NO_MAPPINGS,
                      noted: Noted | None = None) -> str:
    return activity_type(raw, mappings, noted)[0]


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
    try:
        value = float(raw) if isinstance(raw, (int, float)) else _plain_number(str(raw).strip().rstrip("%").strip())
    except ValueError:
        raise InvalidValue("not_a_number") from None
    if not math.isfinite(value):  # 'inf', 'NaN', '1e999': no count or figure is endless or undefined
        raise InvalidValue("not_a_number")
    return value


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


def cycle(raw: object, mappings: matching.Mappings = matching.NO_MAPPINGS, noted: Noted | None = None) -> str:
    """'2019-2023', '2019 – 2023', 'Kontrata 2019/2023' → '2019-2023'; a saved mapping reads other
    names ('Kontrata e parë')."""
    match = _YEARS.search(str(raw))
    if match and f"{match.group(1)}-{match.group(2)}" in reference.cycles():
        return f"{match.group(1)}-{match.group(2)}"
    try:
        return read_term("cycle", raw, mappings, noted)
    except InvalidValue:
        raise InvalidValue("unknown_cycle", vocabulary="cycle", allowed=", ".join(reference.cycles()),
                           choices=tuple(reference.cycles()), unread=text(raw) or "") from None


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
