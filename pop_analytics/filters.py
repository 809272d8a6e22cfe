"""The filters every view shares (municipality, year, theme, contract cycle), resolved from any spelling."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import normalise, reference
from .errors import UnknownFilterValue
from .normalise import InvalidValue


@dataclass(frozen=True)
class Filters:
    municipality: tuple[str, ...] = ()
    year: tuple[int, ...] = ()
    theme: tuple[str, ...] = ()
    cycle: str | None = None

    def as_dict(self) -> dict:
        return {"municipality": list(self.municipality), "year": list(self.year), "theme": list(self.theme),
                "cycle": self.cycle}

    def params(self) -> dict:
        """Bound parameters for the KPI SQL: lists are empty when a filter is off."""
        return {"municipalities": list(self.municipality), "years": list(self.year), "themes": list(self.theme),
                "cycle": self.cycle}

    def but(self, **changes) -> "Filters":
        return Filters(**{**self.__dict__, **changes})


def split_values(values: Iterable[object] | object | None) -> list[str]:
    """Repeatable and comma-separated values: ['Tiranë,Durrës', 'Fier'] → three values."""
    if values is None:
        return []
    if isinstance(values, (str, int)):
        values = [values]
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


def resolve_municipality(raw: str) -> str:
    try:
        return normalise.municipality(raw)
    except InvalidValue as invalid:
        raise UnknownFilterValue("municipality", raw, invalid.params.get("suggestion") or None) from None


def resolve_theme(raw: str) -> str:
    try:
        return normalise.themes(raw)[0]
    except (InvalidValue, IndexError) as invalid:
        suggestion = getattr(invalid, "params", {}).get("suggestion") or None
        raise UnknownFilterValue("theme", raw, suggestion) from None


def resolve_year(raw: object) -> int:
    try:
        return normalise.year(raw)
    except InvalidValue:
        raise UnknownFilterValue("year", str(raw)) from None


def resolve_cycle(raw: str | None) -> str | None:
    if raw is None or not str(raw).strip():
        return None
    try:
        return normalise.cycle(raw)
    except InvalidValue:
        raise UnknownFilterValue("cycle", str(raw), ", ".join(reference.cycles())) from None


def _unique(values: Iterable) -> tuple:
    return tuple(dict.fromkeys(values))


def resolve(municipality=None, year=None, theme=None, cycle=None) -> Filters:
    """Raw filter values (any spelling, repeatable, comma-separated) → Filters; raises UnknownFilterValue."""
    return Filters(
        municipality=_unique(resolve_municipality(v) for v in split_values(municipality)),
        year=tuple(sorted(_unique(resolve_year(v) for v in split_values(year)))),
        theme=_unique(resolve_theme(v) for v in split_values(theme)),
        cycle=resolve_cycle(cycle),
    )
