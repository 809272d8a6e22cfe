"""The package's own exceptions. Only pages and the CLI turn them into messages."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class PopError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a partner's file, located as Excel shows it: a message code and its
    parameters, written in the reader's language only when it is shown (message(lang))."""

    code: str
    sheet: str
    row: int | None
    column: str
    value: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)  # see worded() for their forms
    vocabulary: str = ""  # for a value not read: the vocabulary it belongs in
    choices: tuple[str, ...] = ()  # and the terms to offer, best first
    unread: str = ""  # and the part of the value not read (one theme of several in a cell)
    written: Mapping[str, str] = field(default_factory=dict, hash=False)  # sentences an older release stored

    def as_dict(self, lang: str = "en") -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message(lang),
            "message_sq": self.message_sq,
            "message_en": self.message_en,
            "code": self.code,
            "vocabulary": self.vocabulary,
            "choices": list(self.choices),
        }

    def message(self, lang: str) -> str:
        lang = "en" if lang == "en" else "sq"
        if self.written:
            return self.written[lang]
        from .i18n import catalogue, t  # the catalogue reads files; errors stays importable on its own
        params = {"sheet": self.sheet, "row": self.row, "column": self.column, "value": self.value,
                  **{name: worded(value, lang) for name, value in self.params.items()}}
        key = f"problem.{self.code}" if f"problem.{self.code}" in catalogue(lang) else f"warning.{self.code}"
        text = t(key, lang, **params)
        if params.get("suggestion"):
            text += " " + t("problem.did_you_mean", lang, suggestion=params["suggestion"])
        return text

    @property
    def message_sq(self) -> str:
        return self.message("sq")

    @property
    def message_en(self) -> str:
        return self.message("en")


def worded(value: object, lang: str) -> object:
    """A problem's parameter as lang writes it. Parameters stay JSON: a mapping by language
    ({"sq": …, "en": …}, a term's labels), a catalogue sentence ({"key": …, its own params}), or a
    number ({"number": 1157.5, "decimals": 1}, written as formats.number writes it); anything else is
    as it is."""
    if not isinstance(value, Mapping):
        return value
    if "key" in value:
        from .i18n import t
        return t(str(value["key"]), lang, **{k: worded(v, lang) for k, v in value.items() if k != "key"})
    if "number" in value:
        from .formats import number
        return number(float(str(value["number"])), lang, int(str(value.get("decimals", 0))))
    return value.get(lang, "")


@dataclass
class ProblemList(PopError):
    """Raised when a file has problems; carries all of them, never just the first."""

    problems: list[Problem] = field(default_factory=list)
    omitted: int = 0  # problems found but not listed (past the cap per kind); summarised in problems
    warnings: list[Problem] = field(default_factory=list)  # what else was found, shown with the problems

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


class DatabaseProblem(PopError):
    """The database cannot be used as asked; reason names the sentence (database.<reason> in the
    catalogues), which says what is wrong and what to do. No server path goes into it beyond the
    file's own name."""

    reason = "unreadable"

    def __init_subclass__(cls, reason: str = "", **kwargs: object) -> None:
        """class DatabaseMissing(DatabaseProblem, reason="missing"): a kind of problem is its sentence."""
        super().__init_subclass__(**kwargs)
        cls.reason = reason or cls.reason

    def __init__(self, name: str, **params: object):
        self.name, self.params = name, params
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        from .i18n import t  # the catalogue reads files; errors stays importable on its own
        return t(f"database.{self.reason}", lang, name=self.name, **self.params)


class DatabaseBusy(DatabaseProblem):
    """Another reader or writer held the database past the wait; trying again later works."""

    def __init__(self, name: str, writing: bool):
        self.reason = "busy_write" if writing else "busy_read"
        super().__init__(name)


class DatabaseMissing(DatabaseProblem, reason="missing"):
    """No database file at the path (reads never create one)."""


class DatabaseUnreadable(DatabaseProblem, reason="unreadable"):
    """The path is a directory, not a DuckDB database, or a damaged one."""


class DatabaseReadOnly(DatabaseProblem, reason="read_only"):
    """A write was asked of a file, folder or mount that cannot be written."""


class DatabaseFull(DatabaseProblem, reason="disk_full"):
    """The disk filled up during a write; the transaction was rolled back."""


class DatabaseTooNew(DatabaseProblem, reason="too_new"):
    """The file was written by a newer release; nothing is read from or written to it."""


class DatabaseOutdated(DatabaseProblem, reason="outdated"):
    """The file's schema is older than the code's; a read cannot migrate it."""


class DatabaseUnreachable(DatabaseProblem, reason="unreachable"):
    """The PostgreSQL server does not answer (stopped, a network fault, a wrong host or port)."""


class DatabaseLoginRefused(DatabaseProblem, reason="login_refused"):
    """The PostgreSQL server refused the user or password in POP_DB."""


class DatabaseUrlInvalid(DatabaseProblem, reason="url_invalid"):
    """POP_DB or --db looks like a postgresql:// address but cannot be read as one."""


class DatabaseForeign(DatabaseProblem, reason="foreign"):
    """The PostgreSQL database holds tables of another application: nothing is written to it."""


class TargetNotEmpty(DatabaseProblem, reason="target_not_empty"):
    """copy-db refuses a target that already holds data."""


class CopyMismatch(DatabaseProblem, reason="copy_mismatch"):
    """Read back, a copy's counts or KPI object differ from its source's (it must never happen)."""


class BackupMissing(DatabaseMissing, reason="backup_missing"):
    """restore was given a path where no file is."""


class BackupNotAFile(DatabaseProblem, reason="backup_not_a_file"):
    """restore was given a folder (or a device) instead of a backup file."""


class LockUnusable(DatabaseProblem):
    """A lock file beside the database (<db>.lock, <db>.queue) cannot be opened: this user may not
    (lock_denied), or something else stands at its path, such as a folder (lock_unusable)."""

    def __init__(self, name: str, lock: str, denied: bool):
        self.reason = "lock_denied" if denied else "lock_unusable"
        super().__init__(name, lock=lock)


class OutputIsDatabase(DatabaseProblem):
    """A command was to write its output (a report, a backup, the template) onto the database or one
    of the files it keeps beside it (lock, queue, WAL), directly or through a link: nothing is written."""

    def __init__(self, name: str, out: str, file: str):
        self.reason = "output_is_database" if file == name else "output_is_companion"
        super().__init__(name, out=out, file=file)


class MigrationFailed(DatabaseProblem, reason="migration_failed"):
    """A migration step failed and was rolled back; the file stays at the version before it."""


class Refusal(PopError):
    """An error whose sentence is <prefix>.<reason> in the catalogues, with its params filled in."""

    prefix = ""

    def __init__(self, reason: str, **params: object):
        self.reason, self.params = reason, params
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        from .i18n import t  # the catalogue reads files; errors stays importable on its own
        return t(f"{self.prefix}.{self.reason}", lang, **self.params)


class ReportRefused(Refusal):
    """A report cannot be written: reason is format (neither pdf nor xlsx) or unwritable (path)."""

    prefix = "report.refused"


class PublishRefused(Refusal):
    """An open data package cannot be written: reason is not_a_folder or not_empty (path)."""

    prefix = "publish.refused"


class ReviewRefused(Refusal):
    """An import cannot be approved or rejected: reason is unknown or not_submitted (it stands at state)."""

    prefix = "review"

    def __init__(self, reason: str, import_id: int, state: str = ""):
        self.import_id, self.state = import_id, state
        super().__init__(reason, import_id=import_id, state=state)

    def message(self, lang: str) -> str:
        from .i18n import t
        return t(f"review.{self.reason}", lang, import_id=self.import_id,
                 state=t(f"import_status.{self.state}", lang) if self.state else "")


class AccessDenied(Refusal):
    """The signed-in user's role does not allow this (reason names the action), whatever a page showed."""

    prefix = "access"


class UserRefused(Refusal):
    """A user cannot be added or changed as asked: reason names what to fix (name, role, municipality…)."""

    prefix = "user"


class TokenRefused(Refusal):
    """An API token cannot be made or revoked as asked: reason is label, unknown_user, unknown or revoked."""

    prefix = "token.refused"


class SignInRefused(Refusal):
    """A sign-in did not succeed: wrong (name or password, never which) or slowed (wait seconds)."""

    prefix = "signin"


class ScheduleRefused(Refusal):
    """A reporting schedule cannot be set as asked: reason is kind, frequency or days."""

    prefix = "schedule.refused"


class PreferenceRefused(Refusal):
    """A user's e-mail, language or message preferences cannot be set as asked: reason names what to fix."""

    prefix = "preferences.refused"


class MailProblem(Refusal):
    """Mail cannot be sent: reason is off, url, credentials_in_url, no_base_url, unreachable, login or
    refused (the server said no); never with a password."""

    prefix = "mail.problem"
