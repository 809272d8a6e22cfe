"""Turning what partners type into canonical values. Each function takes one raw cell.

A value that cannot be placed raises InvalidValue with a message code and its parameters;
validation adds the sheet, row and column. Vocabulary values are read by the one rule of
matching; a reading that was not exact is noted for the person to see.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import matching, reference
from .errors import PopError
from .messages import counted, phrase
from .settings import MAX_COUNT
from .text import fold


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
            "what": phrase(f"vocabulary.{vocabulary}"), "choices": no_match.fits,
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


def themes(raw: object, mappings: matching.Mappings = matching.NO_MAPPINGS,
           noted: Noted | None = None) -> tuple[str, ...]:
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


# "10 fokus grupe - 200 gra dhe burra": several events, and maybe participants, in one cell; what
# follows the dash is read as a count cell is ('2O0 gra' is refused, not read as 2).
_COUNTED_TYPE = re.compile(r"^\s*(\d+)\s+(.+?)(?:\s+[-–—]\s*(\d.*))?$")


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


# ── numbers ──
# A number cell is read only when all of it is a number: a sign, digits, and either groups of three
# after one to three digits, each after the same separator (1 157, 1.157, 1,157), or a decimal part
# (74,5, 74.5), or both with the other separator (1.157,5, 1,157.5). Nothing else is taken for a
# digit: a letter among digits is refused, never dropped ('2O' is not 2), nor is 1e3, 1_000 or ١٢.
_GROUP_SEPARATORS = "., "  # every kind of space is made a plain one first (_spaced)
_GROUPED = re.compile(rf"([+-]?)([1-9][0-9]{{0,2}})([{_GROUP_SEPARATORS}])([0-9]{{3}}(?:\3[0-9]{{3}})*)"
                      r"(?:([.,])([0-9]+))?")
_UNGROUPED = re.compile(r"([+-]?)([0-9]+)(?:([.,])([0-9]+))?")
# Letters a hand or a scan puts for a digit: O for 0, l and I for 1.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1"})
_LOOKALIKE_TOKEN = re.compile(r"[0-9OolI.,+-]*[0-9][0-9OolI.,+-]*")
# Two numbers with a dash between them: a range, not a count.
_RANGE = re.compile(r"[+-]?[0-9][0-9.,]*\s*[-–—]\s*[0-9][0-9.,]*")
# Texts that do not start with a letter, then words from the first that does (two letters at least).
_NUMBER_THEN_WORDS = re.compile(r"((?![^\W\d_])[^ ]+(?: (?![^\W\d_])[^ ]+)*) ([^\W\d_]{2,}(?:\W.*)?)")


def _parsed(text_value: str) -> tuple[str, str, str] | None:
    """A number written whole → (its sign, its digits before the decimal separator, its decimal
    digits), or None when the text is not all a number."""
    grouped = _GROUPED.fullmatch(text_value)
    if grouped and grouped.group(5) != grouped.group(3):  # a decimal separator unlike the groups'
        sign, first, _, rest, _, decimals = grouped.groups()
        return sign, first + re.sub(r"[^0-9]", "", rest), decimals or ""
    plain = _UNGROUPED.fullmatch(text_value)
    if plain:
        sign, digits, _, decimals = plain.groups()
        return sign, digits, decimals or ""
    return None


def _spaced(raw: str) -> str:
    """The cell with its spaces (no-break ones too) made one plain space each, none around."""
    return " ".join(raw.split())


def _number_then_words(cell: str) -> tuple[str, str] | None:
    """'200 gra dhe burra' → ('200', 'gra dhe burra'): a number followed by words and nothing else
    (the first word of two letters or more, no digit after the number); else None."""
    found = _NUMBER_THEN_WORDS.fullmatch(cell)
    if found is None or any(ch.isdigit() for ch in found.group(2)):
        return None
    return found.group(1), found.group(2)


def _refusal_of_number(cell: str, share: bool) -> InvalidValue:
    """Why a cell is not a number, in the words a person needs to fix it."""
    spaced = _spaced(cell)
    part = spaced.rstrip("%").rstrip() if share else spaced
    corrected = _LOOKALIKE_TOKEN.sub(lambda m: m.group().translate(_DIGIT_LOOKALIKES), part)
    if corrected != part:  # one letter for one digit: the texts stay aligned
        split = _number_then_words(corrected)
        meant = split[0] if split is not None else corrected
        if _parsed(meant) is not None:
            letter = next(a for a, b in zip(part, corrected) if a != b)
            return InvalidValue("letter_in_number", letter=letter, meant=meant)
    split = _number_then_words(part)
    if _RANGE.fullmatch(split[0] if split is not None else part):
        return InvalidValue("two_numbers")
    return InvalidValue("not_a_number")


def number(raw: object) -> float | None:
    """A number as partners write it, percentages included: '74,5%' → 74.5."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        raise InvalidValue("not_a_number")
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        found = _parsed(_spaced(str(raw)).rstrip("%").rstrip())
        if found is None:
            raise _refusal_of_number(str(raw), share=True)
        sign, digits, decimals = found
        value = float(f"{sign}{digits}.{decimals or 0}")
    if not math.isfinite(value):  # 'inf', 'NaN', '1e999': no count or figure is endless or undefined
        raise InvalidValue("not_a_number")
    return value


def _whole(sign: str, digits: str, decimals: str) -> int:
    if decimals.strip("0"):
        raise InvalidValue("not_a_whole_number")
    return int(sign + digits)


def _count_text(raw: str) -> int:
    """A count written as text: all of it a number, or a number followed by words ('200 gra dhe
    burra'); a share ('50%'), a number in thousands ('2 mijë') or anything else is refused."""
    cell = _spaced(raw)
    found = _parsed(cell)
    if found is None:
        split = _number_then_words(cell)
        if split is not None and fold(split[1]).split(" ")[0] in reference.spellings("multiplier"):
            raise InvalidValue("count_in_words")
        found = _parsed(split[0]) if split is not None else None
    if found is None:
        if "%" in cell:
            raise InvalidValue("count_is_share")
        raise _refusal_of_number(cell, share=False)
    return _whole(*found)


def count(raw: object) -> int | None:
    """A whole number of events or people; '200 gra dhe burra' → 200; blank → None."""
    if is_blank(raw):
        return None
    value = _count_text(raw) if isinstance(raw, str) else number(raw)
    if value is None or not float(value).is_integer():
        raise InvalidValue("not_a_whole_number")
    if abs(value) > MAX_COUNT:
        raise InvalidValue("count_too_large", limit=counted(MAX_COUNT))
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
    raise _refusal_of_date(s)


# The shapes of _DATE_FORMATS, to tell a day its month does not have (31.09) from text that is no date.
_DATE_SHAPES = tuple(re.compile(p) for p in (
    r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})\.?", r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",
    r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})", r"(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})",
    r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{2})", r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"))


def _refusal_of_date(s: str) -> InvalidValue:
    """A date written in a known shape whose day its month does not have (31.09.2026, 29.02.2026)
    says so, with the month's last day; anything else is told the format."""
    for shape in _DATE_SHAPES:
        found = shape.fullmatch(s)
        if found is None:
            continue
        day, month, year_ = int(found["d"]), int(found["m"]), int(found["y"])
        if len(found["y"]) == 2:  # as strptime's %y reads it
            year_ += 1900 if year_ >= 69 else 2000
        if 1 <= month <= 12 and 28 < day <= 31 and year_ >= 1:
            last = calendar.monthrange(year_, month)[1]
            if day > last:
                return InvalidValue("day_not_in_month", last=f"{last:02d}.{month:02d}.{year_:04d}")
    return InvalidValue("not_a_date")


def year(raw: object) -> int:
    try:
        value = count(raw)
    except InvalidValue as error:
        if error.code == "letter_in_number":  # '2O23': the sentence says which letter
            raise
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


# ── many distinct texts at once ──
# A CSV's column is held in Arrow (reading.ArrowTexts): the texts whose shape leaves no doubt are
# read there, exactly as the function they stand for reads them, and only the others one by one.
# A file of half a million different counts, dates or notes is then read in C, not in Python.

# Letters and signs none of which str.split() takes for a space (ASCII, Latin-1 from ¡, Latin Extended).
_WORD = "[!-~\\x{00A1}-\\x{024F}]+"


def _shaped(texts: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(texts, pattern).to_numpy(zero_copy_only=False)


def _texts_in_arrow(texts: pa.Array) -> tuple[np.ndarray, list]:
    """text(): words of such letters, one space between them, none around, stay as written."""
    found = _shaped(texts, f"^{_WORD}( {_WORD})*$")
    return found, texts.filter(found).to_pylist()


def _counts_in_arrow(texts: pa.Array) -> tuple[np.ndarray, list]:
    """count(): digits alone (a minus before them at most), fewer than MAX_COUNT has, are int() of them."""
    found = _shaped(texts, f"^-?[0-9]{{1,{len(str(MAX_COUNT)) - 1}}}$")
    return found, pc.cast(texts.filter(found), pa.int64()).to_pylist()


def _dates_in_arrow(texts: pa.Array) -> tuple[np.ndarray, list]:
    """date(): dd.mm.yyyy, the first format it tries, when it names a day of the calendar (Arrow reads
    31.02 as 3 March, so a date counts only when it is written back as it was read)."""
    parsed = pc.strptime(texts, format="%d.%m.%Y", unit="s", error_is_null=True)
    same = pc.fill_null(pc.equal(pc.strftime(parsed, format="%d.%m.%Y"), texts), False)
    found = _shaped(texts, r"^[0-9]{2}\.[0-9]{2}\.[1-9][0-9]{3}$") & same.to_numpy(zero_copy_only=False)
    return found, pc.cast(parsed.filter(found), pa.date32()).to_pylist()


# The parsers above that read many texts at once, and how.
IN_ARROW: dict[Callable, Callable[[pa.Array], tuple[np.ndarray, list]]] = {
    text: _texts_in_arrow, count: _counts_in_arrow, date: _dates_in_arrow}
