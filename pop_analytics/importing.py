"""One file from bytes to the store: read → validate → write, with a report of what happened."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import reading, store, validate
from .errors import FileRefused, Problem
from .messages import localized, problem
from .settings import MAX_UPLOAD_BYTES

_REPLACED_WHAT = {
    "priorities": ("prioritete", "priorities"),
    "priority_status": ("statuse vjetore", "yearly statuses"),
    "activities": ("rreshta aktivitetesh", "activity rows"),
    "figures": ("shifra të raportuara", "reported figures"),
}


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

    def as_dict(self, lang: str = "en") -> dict:
        return {
            "file": self.file, "sha256": self.sha256, "status": self.status, "kind": self.kind, "rows": self.rows,
            "import_id": self.import_id,
            "errors": [p.as_dict(lang) for p in self.errors],
            "warnings": [p.as_dict(lang) for p in self.warnings],
        }


def _replacement_warnings(replaced: dict[str, list[tuple[int, str, int]]]) -> list[Problem]:
    warnings = []
    for table, rows in replaced.items():
        what_sq, what_en = _REPLACED_WHAT[table]
        for import_id, file_name, count in rows:
            warnings.append(problem("replaces", sheet="", count=count, what=localized(what_sq, what_en),
                                    import_id=import_id, file=file_name))
    return warnings


def import_bytes(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, who: str | None = None,
                 dry_run: bool = False, today: dt.date | None = None) -> ImportReport:
    """Import one file's content. Never raises for a bad file: the report says what is wrong."""
    sha = hashlib.sha256(data).hexdigest()
    report = ImportReport(file=file_name, sha256=sha, status="refused")
    if len(data) > MAX_UPLOAD_BYTES:
        report.errors = [problem("file_too_large", sheet="", value=file_name, size=len(data) // 2**20,
                                 limit=MAX_UPLOAD_BYTES // 2**20)]
        return report
    stored = store.find_stored(con, sha)
    if stored is not None:
        report.status, report.import_id = "duplicate", stored
        return report
    try:
        batch = validate.validate(reading.read(data, file_name), today=today)
    except FileRefused as refused:
        report.errors = refused.problems
        return report
    report.batch, report.kind, report.rows, report.warnings = batch, "+".join(batch.kinds), batch.rows, batch.warnings
    if dry_run:
        report.status = "valid"
        return report
    report.import_id, replaced = store.write(con, batch, file_name, sha, who=who, kind=report.kind)
    report.warnings = report.warnings + _replacement_warnings(replaced)
    report.status = "imported"
    return report


def import_path(con: duckdb.DuckDBPyConnection, path: str | Path, **options) -> ImportReport:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        report = ImportReport(file=str(path), sha256="", status="refused")
        report.errors = [problem("unreadable_file", sheet="", value=path.name, detail=error.strerror or str(error))]
        return report
    report = import_bytes(con, data, path.name, **options)
    report.file = str(path)
    return report
