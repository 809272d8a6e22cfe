"""The package's own exceptions. Only pages and the CLI turn them into messages."""
from __future__ import annotations

from dataclasses import dataclass, field


class PopError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a partner's file, located as Excel shows it, in both languages."""

    code: str
    sheet: str
    row: int | None
    column: str
    value: str
    message_sq: str
    message_en: str

    def as_dict(self, lang: str = "en") -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message_en if lang == "en" else self.message_sq,
            "message_sq": self.message_sq,
            "message_en": self.message_en,
            "code": self.code,
        }

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_sq


@dataclass
class ProblemList(PopError):
    """Raised when a file has problems; carries all of them, never just the first."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(p.message_en for p in self.problems)


class FileRefused(ProblemList):
    """The file cannot be stored: nothing of it was written."""


class UnknownFilterValue(PopError):
    """A KPI filter names a municipality, theme or cycle the reference data does not know."""

    def __init__(self, kind: str, value: str, suggestion: str | None = None):
        self.kind, self.value, self.suggestion = kind, value, suggestion
        hint = f" Did you mean '{suggestion}'?" if suggestion else ""
        super().__init__(f"Unknown {kind} '{value}'.{hint}")


class UndoRefused(PopError):
    """An import cannot be undone: reason is unknown, already_undone or replaced_later (by later)."""

    def __init__(self, reason: str, import_id: int, later: tuple[int, ...] = ()):
        self.reason, self.import_id, self.later = reason, import_id, later
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        from .i18n import t  # the catalogue reads files; errors stays importable on its own
        return t(f"undo.{self.reason}", lang, import_id=self.import_id, later=", ".join(f"#{i}" for i in self.later))


class DatabaseBusy(PopError):
    """Another process holds the database file open for writing."""
