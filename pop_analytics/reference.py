"""Reference data: the one place that reads data/reference/. Everything else asks here."""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .settings import REFERENCE_DIR
from .text import fold


def _read(name: str, directory: Path = REFERENCE_DIR) -> list[dict[str, str]]:
    with open(directory / name, encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _aliases(cell: str) -> list[str]:
    return [a.strip() for a in cell.split("|") if a.strip()]


@dataclass(frozen=True)
class Municipality:
    name: str
    country: str
    county: str
    aliases: tuple[str, ...]
    pop_member_since: int | None


@dataclass(frozen=True)
class Labelled:
    """What the reference data names in both languages, by its key."""

    key: str
    label_sq: str
    label_en: str

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_sq


@dataclass(frozen=True)
class Term(Labelled):
    """A controlled term (theme, status, activity type, indicator) with its labels and other spellings."""

    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Column:
    kind: str
    field: str
    required: bool
    label_sq: str
    label_en: str
    aliases: tuple[str, ...]

    @property
    def header(self) -> str:
        """The bilingual header written in templates and shown in messages."""
        return f"{self.label_sq} / {self.label_en}"


def _definite_forms(name: str) -> list[str]:
    """Albanian names also arrive definite and genitive: Lushnjë → Lushnja, Lushnjës; Berat → Berati,
    Beratit; Dibër → Dibra, Dibrës; Shijak → Shijaku, Shijakut."""
    if name.endswith("ër"):
        return [name[:-2] + "ra", name[:-2] + "rës"]
    if name.endswith("ë"):
        return [name[:-1] + "a", name + "s"]
    if name[-1] in "kg":  # k and g take -u ("sh", "zh" are letters of their own and take -i)
        return [name + "u", name + "ut"]
    if name[-1] not in "aeiouy":
        return [name + "i", name + "it"]
    return []


@cache
def municipalities() -> tuple[Municipality, ...]:
    return tuple(
        Municipality(
            name=row["name"],
            country=row["country"],
            county=row["county"],
            aliases=tuple(_aliases(row["aliases"]) + _definite_forms(row["name"])),
            pop_member_since=int(row["pop_member_since"]) if row["pop_member_since"] else None,
        )
        for row in _read("municipalities.csv")
    )


@cache
def municipality_lookup() -> dict[str, str]:
    """Folded spelling → canonical name, for every spelling the reference data knows."""
    lookup: dict[str, str] = {}
    for m in municipalities():
        for spelling in (m.name, *m.aliases):
            lookup.setdefault(fold(spelling), m.name)
    return lookup


@cache
def pop_municipalities() -> tuple[str, ...]:
    return tuple(m.name for m in municipalities() if m.pop_member_since)


@cache
def municipality(name: str) -> Municipality:
    return next(m for m in municipalities() if m.name == name)


@cache
def partners() -> dict[str, dict[str, str]]:
    """Canonical municipality → {"sq": name, "en": name} of its partner organisation."""
    return {row["municipality"]: {"sq": row["name_sq"], "en": row["name_en"]} for row in _read("partners.csv")}


@cache
def countries() -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in _read("countries.csv")}


def _terms(file_name: str) -> tuple[Term, ...]:
    return tuple(
        Term(row["key"], row["label_sq"], row["label_en"], tuple(_aliases(row.get("aliases", ""))))
        for row in _read(file_name)
    )


@cache
def terms(vocabulary: str) -> tuple[Term, ...]:
    """vocabulary is one of: themes, statuses, activity_types, indicators, objectives, target_indicators."""
    return _terms(f"{vocabulary}.csv")


@cache
def theme_bits() -> dict[str, int]:
    """Each theme's bit in an activity's theme_mask (1 << the `bit` of themes.csv). Stored in the
    database, so a bit is fixed for good: a new theme takes a new bit, none is ever reused."""
    return {row["key"]: 1 << int(row["bit"]) for row in _read("themes.csv")}


def term_keys(vocabulary: str) -> tuple[str, ...]:
    return tuple(t.key for t in terms(vocabulary))


def term_label(vocabulary: str, key: str, lang: str) -> str:
    return next((t.label(lang) for t in terms(vocabulary) if t.key == key), key)


@cache
def indicator_itemised_as() -> dict[str, str]:
    return {row["key"]: row["itemised_as"] for row in _read("indicators.csv") if row["itemised_as"]}


@dataclass(frozen=True)
class TargetIndicator(Labelled):
    """An indicator a target is set for, and how what was achieved is found: computed from itemised
    activity rows (measure: events, participants or women_pct; events of activity_type only, when
    given) or taken from the reported figures of the indicator of the same key."""

    unit: str
    unit_sq: str
    unit_en: str
    computed_from: str  # itemised | reported
    measure: str | None
    activity_type: str | None


@cache
def target_indicators() -> tuple[TargetIndicator, ...]:
    """The indicators of the targets sheet (target_indicators.csv), in the file's order; their labels
    and aliases are also terms("target_indicators")."""
    return tuple(
        TargetIndicator(row["key"], row["label_sq"], row["label_en"], row["unit"], row["unit_sq"], row["unit_en"],
                        row["computed_from"], row["measure"] or None, row["activity_type"] or None)
        for row in _read("target_indicators.csv")
    )


@cache
def target_indicator(key: str) -> TargetIndicator:
    return next(i for i in target_indicators() if i.key == key)


@cache
def objectives() -> tuple[Term, ...]:
    """The project's specific objectives (SO1–SO4), as terms("objectives")."""
    return terms("objectives")


@cache
def spellings(kind: str) -> frozenset[str]:
    """Words partners write that the reading recognises, folded as a cell is: 'network' (a
    municipality cell naming the whole network), 'total' (the label of a total row), 'multiplier'
    (a word after a number that multiplies it: '200 mijë' is not 200)."""
    return frozenset(fold(row["spelling"]) for row in _read(f"{kind}_words.csv"))


@cache
def cycles() -> dict[str, dict[str, str]]:
    return {row["key"]: row for row in _read("cycles.csv")}


@cache
def cycle_end(key: str) -> dt.date:
    """The last day of a contract cycle: the end of its last monitoring year, a priority's deadline
    when the sheet gives it none (KeyError for a cycle the reference data does not know)."""
    return dt.date.fromisoformat(cycles()[key]["end_date"])


@cache
def columns(kind: str | None = None) -> tuple[Column, ...]:
    rows = _read("columns.csv")
    return tuple(
        Column(r["kind"], r["field"], r["required"] == "yes", r["label_sq"], r["label_en"],
               tuple(_aliases(r["aliases"])))
        for r in rows
        if kind is None or r["kind"] == kind
    )


SHEET_KINDS = ("priorities", "activities", "figures", "targets")


@cache
def reporting_defaults() -> dict[str, dict[str, str]]:
    """Per kind of sheet partners report periodically: how often and the days after a period it is
    due, unless a coordinator set otherwise, and the frequencies it may have."""
    return {row["kind"]: row for row in _read("reporting.csv")}
