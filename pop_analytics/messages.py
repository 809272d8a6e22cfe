"""Building located problems from message codes and parameters, written in a language only when shown."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .errors import Problem
from .settings import MAX_PROBLEMS_PER_KIND


def localized(sq: str, en: str) -> dict[str, str]:
    """A message parameter written in each language by the caller (a term's labels, as the reference
    data gives them)."""
    return {"sq": sq, "en": en}


def phrase(key: str, **params: object) -> dict[str, object]:
    """A message parameter that is itself a catalogue sentence, written in the reader's language
    when the message is shown (errors.worded)."""
    return {"key": key, **params}


def counted(n: float, decimals: int = 0) -> dict[str, float]:
    """A message parameter that is a number, written as the reader's language writes numbers
    (formats.number: its digit grouping and decimal mark) when the message is shown."""
    return {"number": n if decimals else int(n), "decimals": decimals}


def problem(code: str, *, sheet: str, row: int | None = None, column: str = "", value: object = "",
            vocabulary: str = "", choices: tuple[str, ...] = (), unread: str = "", **params: object) -> Problem:
    """A problem (or warning) located in a sheet; params fill the message (see errors.worded for
    those written per language). vocabulary and choices say, for a value not read, which terms a
    person may choose from."""
    shown = "" if value is None else str(value)
    return Problem(code, sheet, row, column, shown, params, vocabulary, tuple(choices), unread)


def row_ranges(rows: Iterable[int], shown: int = 6) -> dict[str, object]:
    """Excel rows as runs, in the reader's language: [5, 6, 7, 9] → 'rows 5–7, 9' ('rreshtat 5–7, 9')."""
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
    return phrase("problem.rows", count=len(ordered), rows=text)


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

    def __iadd__(self, items: Iterable[Problem]) -> ProblemLog:  # type: ignore[override, misc]
        self.extend(items)
        return self

    @property
    def omitted(self) -> int:
        return sum(max(0, n - self.cap) for n in self.found.values())

    def summary(self) -> list[Problem]:
        return [problem("more_problems", sheet=first.sheet, column=first.column, count=self.found[code] - self.cap,
                        listed=self.cap)
                for code, first in self._first.items() if self.found[code] > self.cap]

