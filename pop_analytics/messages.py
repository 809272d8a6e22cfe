"""Building located, bilingual problems from message codes."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .errors import Problem
from .i18n import catalogue, t
from .settings import MAX_PROBLEMS_PER_KIND


def localized(sq: str, en: str) -> dict[str, str]:
    """A message parameter that is itself a word to translate."""
    return {"sq": sq, "en": en}


def _render(code: str, lang: str, params: dict) -> str:
    params = {k: (v[lang] if isinstance(v, dict) else v) for k, v in params.items()}
    key = f"problem.{code}" if f"problem.{code}" in catalogue(lang) else f"warning.{code}"
    text = t(key, lang, **params)
    if params.get("suggestion"):
        text += " " + t("problem.did_you_mean", lang, suggestion=params["suggestion"])
    return text


def problem(code: str, *, sheet: str, row: int | None = None, column: str = "", value: object = "",
            vocabulary: str = "", choices: tuple[str, ...] = (), unread: str = "", **params) -> Problem:
    """A problem (or warning) located in a sheet; params fill the message, localized() ones per language.
    vocabulary and choices say, for a value not read, which terms a person may choose from."""
    shown = "" if value is None else str(value)
    params = {"sheet": sheet, "row": row, "column": column, "value": shown, **params}
    return Problem(code, sheet, row, column, shown, _render(code, "sq", params), _render(code, "en", params),
                   vocabulary, tuple(choices), unread)


def row_ranges(rows: Iterable[int], shown: int = 6) -> dict[str, str]:
    """Excel rows as runs, in each language: [5, 6, 7, 9] → 'rows 5–7, 9' ('rreshtat 5–7, 9')."""
    ordered = sorted(set(rows))
    runs: list[tuple[int, int]] = []
    for row in ordered:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    text = ", ".join(f"{a}–{b}" if b > a else str(a) for a, b in runs[:shown])
    if len(runs) > shown:
        text += " …"
    if len(ordered) == 1:
        return localized(f"rreshti {text}", f"row {text}")
    return localized(f"rreshtat {text}", f"rows {text}")


class ProblemLog(list[Problem]):
    """Problems in the order found, at most MAX_PROBLEMS_PER_KIND of each code: a file with half a
    million wrong rows would otherwise hold millions of messages. The rest are only counted, and
    summary() says how many in one sentence per code."""

    def __init__(self, cap: int = MAX_PROBLEMS_PER_KIND):
        super().__init__()
        self.cap = cap
        self.found: Counter[str] = Counter()
        self._first: dict[str, Problem] = {}

    def room(self, code: str, wanted: int = 1) -> int:
        """How many of wanted more problems of code to write out (append them); the rest are
        counted here and not built at all."""
        listed = min(max(0, self.cap - self.found[code]), wanted)
        self.found[code] += wanted
        return listed

    def keep(self, item: Problem) -> None:
        """Add a problem room() has already counted."""
        self._first.setdefault(item.code, item)
        super().append(item)

    def append(self, item: Problem) -> None:
        self.found[item.code] += 1
        self._first.setdefault(item.code, item)
        if self.found[item.code] <= self.cap:
            super().append(item)

    def extend(self, items: Iterable[Problem]) -> None:
        for item in items:
            self.append(item)

    def __iadd__(self, items: Iterable[Problem]):  # type: ignore[override, misc]
        self.extend(items)
        return self

    @property
    def omitted(self) -> int:
        return sum(max(0, n - self.cap) for n in self.found.values())

    def summary(self) -> list[Problem]:
        return [problem("more_problems", sheet=first.sheet, column=first.column, count=_count(self.found[code] - self.cap),
                        listed=self.cap)
                for code, first in self._first.items() if self.found[code] > self.cap]


def _count(n: int) -> dict[str, str]:
    """A count as each language groups its digits (1 157 in Albanian, 1,157 in English)."""
    return localized(f"{n:,}".replace(",", "\u202f"), f"{n:,}")
