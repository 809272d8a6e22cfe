"""The filters every view shares (municipality, year, theme, contract cycle), resolved from any spelling."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeAlias

from . import matching, normalise, reference
from .errors import UnknownFilterValue
from .i18n import t
from .normalise import InvalidValue

# A filter as typed or linked: one value, several, or comma-separated ones.
RawValues: TypeAlias = Iterable[object] | str | int | None


@dataclass(frozen=True)
class Filters:
    municipality: tuple[str, ...] = ()
    year: tuple[int, ...] = ()
    theme: tuple[str, ...] = ()
    cycle: str | None = None

    def as_dict(self) -> dict:
        return {"municipality": list(self.municipality), "year": list(self.year), "theme": list(self.theme),
                "cycle": self.cycle}

    def but(self, **changes: object) -> Filters:
        return Filters(**{**self.__dict__, **changes})


def split_values(values: RawValues) -> list[str]:
    """Repeatable and comma-separated values: ['Tiranë,Durrës', 'Fier'] → three values."""
    if values is None:
        return []
    listed: Iterable[object] = [values] if isinstance(values, (str, int)) else values
    return [part.strip() for value in listed for part in str(value).split(",") if part.strip()]


def _exactly(vocabulary: str, kind: str, raw: str) -> str:
    """A filter value read by the one matching rule, but only exactly: a value the rule would read
    as a close fit is answered with that fit as a suggestion (its key: the reader's language names
    it, see suggestion_label), since a filter has no report to say how it was read."""
    try:
        reading = matching.NO_MAPPINGS.vocabulary(vocabulary).read(raw)
    except matching.NoMatch as no_match:
        found = no_match.candidates
        raise UnknownFilterValue(kind, raw, found[0] if found else None) from None
    if reading.how != "exact":
        raise UnknownFilterValue(kind, raw, reading.key)
    return reading.key


def suggestion_label(kind: str, key: str, lang: str) -> str:
    """A suggested filter value as the reader's language names it ('drinking water', 'Uji i pijshëm')."""
    return matching.term_label(kind, key, lang) if kind in ("municipality", "theme") else key


def unknown_sentence(unknown: UnknownFilterValue, lang: str) -> str:
    """What is wrong with a filter value, with the closest value known when there is one (the
    command line's and the API's sentence)."""
    hint = t("cli.did_you_mean", lang, suggestion=suggestion_label(unknown.kind, unknown.suggestion, lang)) \
        if unknown.suggestion else ""
    return t(f"cli.unknown.{unknown.kind}", lang, value=unknown.value, known=", ".join(reference.cycles())) + hint


def resolve_municipality(raw: str) -> str:
    return _exactly("municipality", "municipality", raw)


def resolve_theme(raw: str) -> str:
    return _exactly("theme", "theme", raw)


def resolve_year(raw: object) -> int:
    try:
        return normalise.year(raw)
    except (InvalidValue, ValueError):  # ValueError: a number too long for int() to read
        raise UnknownFilterValue("year", str(raw)[:40]) from None


# A span of years: 2020-2023, 2020–2023, 2020..2023 (either order).
_YEAR_RANGE = re.compile(r"^(\d{4})\s*(?:-|–|—|\.\.)\s*(\d{4})$")


def resolve_years(raw: object) -> list[int]:
    """One year or a span of years → every year it names ('2020-2023' → 2020, 2021, 2022, 2023)."""
    match = _YEAR_RANGE.match(str(raw).strip())
    if not match:
        return [resolve_year(raw)]
    first, last = sorted(resolve_year(group) for group in match.groups())
    return list(range(first, last + 1))


def resolve_cycle(raw: str | None) -> str | None:
    if raw is None or not str(raw).strip():
        return None
    try:
        return normalise.cycle(raw)
    except InvalidValue:
        raise UnknownFilterValue("cycle", str(raw)) from None


def _unique(values: Iterable) -> tuple:
    return tuple(dict.fromkeys(values))


def resolve(municipality: RawValues = None, year: RawValues = None, theme: RawValues = None,
            cycle: str | None = None) -> Filters:
    """Raw filter values (any spelling, repeatable, comma-separated) → Filters; raises UnknownFilterValue."""
    return Filters(
        municipality=_unique(resolve_municipality(v) for v in split_values(municipality)),
        year=tuple(sorted(_unique(y for v in split_values(year) for y in resolve_years(v)))),
        theme=_unique(resolve_theme(v) for v in split_values(theme)),
        cycle=resolve_cycle(cycle),
    )


def resolve_lenient(municipality: RawValues = None, year: RawValues = None, theme: RawValues = None,
                    cycle: RawValues = None) -> tuple[Filters, list[UnknownFilterValue]]:
    """Like resolve, but a value that cannot be placed is left out and returned with the reason,
    so that a link with one bad value still shows the rest of its view."""
    rejected: list[UnknownFilterValue] = []

    def keep(resolver: Callable[[str], object], values: Iterable[str]) -> list:
        kept: list = []
        for value in values:
            try:
                result = resolver(value)
            except UnknownFilterValue as unknown:
                rejected.append(unknown)
                continue
            kept.extend(result if isinstance(result, list) else [result])
        return kept

    municipalities = keep(resolve_municipality, split_values(municipality))
    years = keep(resolve_years, split_values(year))
    themes = keep(resolve_theme, split_values(theme))
    cycles = keep(resolve_cycle, split_values(cycle)[-1:])
    chosen = Filters(municipality=_unique(municipalities), year=tuple(sorted(_unique(years))), theme=_unique(themes),
                     cycle=cycles[0] if cycles else None)
    return chosen, rejected


def compact_years(years: Iterable[int]) -> str:
    """Years as a short text that resolve_years reads back: 2020, 2021, 2022, 2025 → '2020-2022,2025'."""
    ordered = sorted(set(years))
    runs: list[list[int]] = []
    for value in ordered:
        if runs and value == runs[-1][-1] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in runs)


def to_query(filters: Filters) -> dict[str, str]:
    """The filters as URL query parameters (only those that are set); resolve_lenient reads them back."""
    query = {"municipality": ",".join(filters.municipality), "year": compact_years(filters.year),
             "theme": ",".join(filters.theme), "cycle": filters.cycle or ""}
    return {key: value for key, value in query.items() if value}
