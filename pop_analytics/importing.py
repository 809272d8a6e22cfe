"""One file from bytes to the store: read → validate → write, with a report of what happened."""
from __future__ import annotations

import datetime as dt
import hashlib
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from . import aliases, reading, review, store, validate
from .access import Viewer, require
from .database import Database
from .errors import FileRefused, Problem
from .matching import NO_MAPPINGS, Mappings
from .messages import ProblemLog, counted, phrase, problem
from .settings import MAX_FILE_BYTES


@dataclass
class ImportReport:
    file: str
    sha256: str
    status: str  # imported | duplicate | refused | valid (a dry run that would import)
    kind: str | None = None
    rows: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    import_id: int | None = None
    batch: validate.Batch | None = None
    read: reading.ReadResult | None = None  # the sheets as read: a refused file's cells are shown, and re-checked
    omitted: int = 0  # errors found past the cap per kind: counted, summarised in errors, not listed
    review: str | None = None  # once stored: approved (donors see it) or submitted (waiting for a coordinator)
    mode: str = store.REPLACE_MODE  # its activities replace their months, or are added (store.ADD_MODE)

    @property
    def problem_count(self) -> int:
        """Every problem found: those listed (the count sentences aside) and those only counted."""
        return sum(1 for p in self.errors if p.code != "more_problems") + self.omitted

    def as_dict(self, lang: str = "en") -> dict:
        return {
            "file": self.file, "sha256": self.sha256, "status": self.status, "kind": self.kind, "rows": self.rows,
            "import_id": self.import_id, "review": self.review, "mode": self.mode,
            "errors": [p.as_dict(lang) for p in self.errors],
            "errors_not_listed": self.omitted,
            "warnings": [p.as_dict(lang) for p in self.warnings],
        }


def _replacement_warnings(replaced: dict[str, list[tuple[int, str, int]]]) -> list[Problem]:
    """'This file replaces 1 activity row stored earlier by import #1 …': counted in each language's words."""
    warnings = []
    for table, rows in replaced.items():
        for import_id, file_name, count in rows:
            what = phrase(f"count.replaced.{table}", count=count)
            warnings.append(problem("replaces", sheet="", count=count, what=what, import_id=import_id, file=file_name))
    return warnings


def check(data: bytes, file_name: str, today: dt.date | None = None, limit: int = MAX_FILE_BYTES,
          mappings: Mappings = NO_MAPPINGS, by: Viewer | None = None) -> ImportReport:
    """Read and validate one file's content, touching no database: status valid or refused, with
    every error and every warning found (a row for a municipality the uploader is not bound to is one)."""
    report = ImportReport(file=file_name, sha256=hashlib.sha256(data).hexdigest(), status="refused")
    if len(data) > limit:
        report.errors = [_too_large(file_name, len(data), limit)]
        return report
    try:
        report.read = reading.read(data, file_name, mappings)
    except FileRefused as refused:
        report.errors, report.omitted, report.warnings = refused.problems, refused.omitted, refused.warnings
        return report
    return recheck(report, mappings, today, by)


def recheck(report: ImportReport, mappings: Mappings, today: dt.date | None = None,
            by: Viewer | None = None) -> ImportReport:
    """Validate the sheets a check has read again, with other mappings (a person chose terms for
    values it could not read): the file is not read a second time."""
    assert report.read is not None and report.read.complete  # a kept head (reading.head) is read again instead
    checked = ImportReport(file=report.file, sha256=report.sha256, status="refused", read=report.read)
    try:
        batch = validate.validate(report.read, today=today, mappings=mappings)
    except FileRefused as refused:
        checked.errors, checked.omitted, checked.warnings = refused.problems, refused.omitted, refused.warnings
        return checked
    outside = not_theirs(batch, by)
    if outside:
        checked.errors, checked.warnings = outside, batch.warnings
        return checked
    checked.batch, checked.kind = batch, "+".join(batch.kinds)
    checked.rows, checked.warnings = batch.rows, batch.warnings
    checked.status = "valid"
    return checked


def not_theirs(batch: validate.Batch, by: Viewer | None) -> list[Problem]:
    """A problem for each row about a municipality the uploader is not bound to (a partner's file
    may hold only its own municipalities' rows; network-wide figures and targets are a coordinator's)."""
    if by is None or by.municipalities is None:
        return []
    log = ProblemLog()
    yours = ", ".join(by.municipalities)
    for frame, network in ((batch.priorities, ""), (batch.activities, ""), (batch.figures, "network_figure_not_yours"),
                           (batch.targets, "network_target_not_yours")):
        if not len(frame):
            continue
        outside = frame[~frame["municipality"].isin(list(by.municipalities))]
        for sheet, row, municipality in zip(outside["sheet"], outside["excel_row"], outside["municipality"]):
            code = "not_your_municipality" if isinstance(municipality, str) else network
            if log.room(code):
                log.keep(problem(code, sheet=sheet, row=int(row), value=municipality if isinstance(municipality, str)
                                 else "", yours=yours))
    return [*log, *log.summary()]


def _too_large(file_name: str, size: int, limit: int) -> Problem:
    return problem("file_too_large", sheet="", value=file_name, size=counted(size / 2**20, decimals=1),
                   limit=limit // 2**20)


def _before_checking(target: Database | duckdb.DuckDBPyConnection, sha256: str) -> tuple[int | None, Mappings]:
    """From one read snapshot: the import that stored these bytes already, if any, and the saved
    mappings to read the file with."""
    if not isinstance(target, Database):
        return store.find_stored(target, sha256), aliases.mappings(target)
    if not target.exists():
        return None, NO_MAPPINGS
    with target.reading() as con:
        return store.find_stored(con, sha256), aliases.mappings(con)


def _store(con: duckdb.DuckDBPyConnection, report: ImportReport, who: str | None, by: Viewer | None = None,
           mode: str = store.REPLACE_MODE) -> ImportReport:
    """Write a checked report's batch in one transaction, unless the same bytes are stored already.
    With by (a signed-in user), the role is checked again here, whatever checked the file before:
    a partner's import arrives submitted, a coordinator's approved, and both are in the audit log."""
    assert report.batch is not None
    if by is not None:
        require(by, "upload")
        outside = not_theirs(report.batch, by)
        if outside:
            report.status, report.errors, report.batch = "refused", outside, None
            return report
    stored = store.find_stored(con, report.sha256)  # the same bytes, stored meanwhile by another process
    if stored is not None:
        report.status, report.import_id = "duplicate", stored
        return report
    report.import_id, replaced = store.write(
        con, report.batch, report.file, report.sha256, who=by.name if by else who, kind=report.kind,
        review=by.review if by else "approved", audit=(by.address if by else None, "import"), mode=mode,
        warnings=report.warnings)
    report.warnings = report.warnings + _replacement_warnings(replaced)
    report.status, report.review, report.mode = "imported", by.review if by else "approved", mode
    return report


def mappings_of(target: Database | duckdb.DuckDBPyConnection) -> Mappings:
    """The saved mappings an import into target reads with."""
    return aliases.current(target) if isinstance(target, Database) else aliases.mappings(target)


def store_checked(db: Database, report: ImportReport, who: str | None = None, by: Viewer | None = None,
                  mode: str = store.REPLACE_MODE) -> ImportReport:
    """Store what a check found valid, as it was checked: the file is not read again."""
    with db.writing() as con:
        return _store(con, report, who, by, mode)


def leaving(target: Database | duckdb.DuckDBPyConnection, report: ImportReport, mode: str = store.REPLACE_MODE
            ) -> dict[str, pd.DataFrame]:
    """The stored rows that storing a checked file in this mode takes out of every view, per table
    (review.leaving_on_store), read without writing."""
    if report.batch is None:
        return {}
    if not isinstance(target, Database):
        return review.leaving_on_store(target, report.batch, mode)
    if not target.exists():
        return {}
    with target.reading() as con:
        return review.leaving_on_store(con, report.batch, mode)


def import_bytes(target: Database | duckdb.DuckDBPyConnection, data: bytes, file_name: str, who: str | None = None,
                 dry_run: bool = False, today: dt.date | None = None, limit: int = MAX_FILE_BYTES,
                 by: Viewer | None = None, mode: str = store.REPLACE_MODE) -> ImportReport:
    """Import one file's content. Never raises for a bad file: the report says what is wrong.
    target is a Database (the shared way: the file is read and validated outside the write lock, so
    other processes keep reading and writing meanwhile, and the lock is held only to store it), or a
    read-write connection the caller owns (tests, a tool that holds the file).
    The role and the uploader's municipalities are checked before the duplicate check: whether a
    file is stored already is told only to someone who may store its rows."""
    if by is not None:
        require(by, "upload")
    sha = hashlib.sha256(data).hexdigest()
    stored, mappings = _before_checking(target, sha)
    bound = by is not None and by.municipalities is not None
    if stored is not None and not bound:
        return ImportReport(file=file_name, sha256=sha, status="duplicate", import_id=stored)
    report = check(data, file_name, today=today, limit=limit, mappings=mappings, by=by)
    if stored is not None and report.status == "valid":  # a partner's own file, sent again
        return ImportReport(file=file_name, sha256=sha, status="duplicate", import_id=stored)
    report.mode = mode
    if report.status == "refused" or dry_run:
        return report
    if not isinstance(target, Database):
        return _store(target, report, who, by, mode)
    with target.writing() as con:
        return _store(con, report, who, by, mode)


def import_path(target: Database | duckdb.DuckDBPyConnection, path: str | Path, **options: Any) -> ImportReport:
    """Import a file from disk: only a regular file, and never more of it than the limit (a pipe
    or a device such as /dev/zero would otherwise be read without end)."""
    path = Path(path)
    if options.get("by") is not None:  # the role first: a donor learns nothing about the file either
        require(options["by"], "upload")
    limit = options.get("limit", MAX_FILE_BYTES)
    report = ImportReport(file=str(path), sha256="", status="refused")
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            report.errors = [problem("not_a_file", sheet="", value=path.name)]
            return report
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        report.errors = [problem("unreadable_file", sheet="", value=path.name, detail=error.strerror or str(error))]
        return report
    if len(data) > limit:
        report.errors = [_too_large(path.name, path.stat().st_size, limit)]
        return report
    report = import_bytes(target, data, path.name, **options)
    report.file = str(path)
    return report
