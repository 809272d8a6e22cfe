"""The network's approved figures as open data: a Frictionless Data Package (datapackage.json and one
CSV per resource, https://specs.frictionlessdata.io/data-package/), written by `python -m
pop_analytics publish OUT/` and offered as a zip on the Reports page.

What a package holds is what donors see (scope.DONOR_SIGHT), narrowed to a partner's
municipalities for a partner: rows of approved imports only, never a note, never an activity
row (activities are summed by municipality, month and type). Each resource's Table Schema gives
its types, its constraints and its vocabularies as enums, with their labels in both languages.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from . import queries, reference, settings, targets
from .errors import PublishRefused
from .filters import Filters
from .i18n import t
from .text import fold

PACKAGE_NAME = "pop-network-monitoring"
DESCRIPTOR = "datapackage.json"

_PRIORITIES_SQL = """
SELECT cycle, municipality, code, title, theme FROM current_priorities ORDER BY cycle, municipality, code
"""


@dataclass(frozen=True)
class Resource:
    name: str
    rows: pd.DataFrame
    fields: list[dict[str, Any]]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[dict[str, Any], ...] = ()

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"fields": self.fields, "missingValues": [""]}
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        if self.foreign_keys:
            schema["foreignKeys"] = list(self.foreign_keys)
        return schema

    def csv(self) -> bytes:
        """UTF-8 without a byte-order mark, ',' between fields, '.' before decimals, ISO dates, an
        empty field for a missing value: what every reader of open data expects, in any language."""
        return self.rows.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d").encode("utf-8")


@dataclass(frozen=True)
class Package:
    descriptor: dict[str, Any]
    resources: tuple[Resource, ...]

    def files(self) -> dict[str, bytes]:
        """Each file of the package by its name in the package."""
        text = json.dumps(self.descriptor, ensure_ascii=False, indent=2) + "\n"
        return {DESCRIPTOR: text.encode("utf-8"), **{r.path: r.csv() for r in self.resources}}


# ── the fields ───────────────────────────────────────────────────────────────────────────────
# Every title and description is written in English, then in Albanian (open_data.* in the catalogues).

def _both(key: str) -> str:
    return f"{t(key, 'en')}\n{t(key, 'sq')}"


def _labels(vocabulary: str) -> str:
    return "; ".join(f"{term.key}: {term.label_en} / {term.label_sq}" for term in reference.terms(vocabulary))


def _field(name: str, kind: str, required: bool = False, about: str = "", **constraints: Any) -> dict[str, Any]:
    """A field described by open_data.field.<about or name>."""
    field: dict[str, Any] = {"name": name, "type": kind, "description": _both(f"open_data.field.{about or name}")}
    if required:
        constraints["required"] = True
    if constraints:
        field["constraints"] = constraints
    return field


def _term(name: str, vocabulary: str, required: bool = True, about: str = "") -> dict[str, Any]:
    """A field of a vocabulary's keys: its enum, and each key's labels after the description."""
    field = _field(name, "string", required, about, enum=list(reference.term_keys(vocabulary)))
    field["description"] += f" ({_labels(vocabulary)})"
    return field


def _municipality(required: bool = True) -> dict[str, Any]:
    names = sorted((m.name for m in reference.municipalities()), key=fold)
    return _field("municipality", "string", required, "" if required else "municipality_or_network", enum=names)


def _count(name: str) -> dict[str, Any]:
    return _field(name, "integer", True, minimum=0)


def _cycle() -> dict[str, Any]:
    return _field("cycle", "string", True, pattern=r"\d{4}-\d{4}")


def _year() -> dict[str, Any]:
    return _field("year", "integer", True, minimum=settings.EARLIEST_DATE_YEAR, maximum=2100)


def _code() -> dict[str, Any]:
    return _field("code", "string", True)


# ── the resources ────────────────────────────────────────────────────────────────────────────

def _priorities(con: duckdb.DuckDBPyConnection) -> Resource:
    return Resource(
        "priorities", queries.frame(con, _PRIORITIES_SQL),
        [_cycle(), _municipality(), _code(), _field("title", "string", True), _term("theme", "themes")],
        primary_key=("cycle", "municipality", "code"))


def _statuses(con: duckdb.DuckDBPyConnection) -> Resource:
    return Resource(
        "priority_statuses",
        queries.priority_statuses(con, Filters())[["cycle", "municipality", "code", "year", "status", "source"]],
        [_cycle(), _municipality(), _code(), _year(), _term("status", "statuses"), _field("source", "string")],
        primary_key=("cycle", "municipality", "code", "year"),
        foreign_keys=({"fields": ["cycle", "municipality", "code"],
                       "reference": {"resource": "priorities", "fields": ["cycle", "municipality", "code"]}},))


_ACTIVITY_COUNTS = ("events", "participants", "women", "men", "youth", "women_in_split", "men_in_split")


def _activities(con: duckdb.DuckDBPyConnection) -> Resource:
    frame = queries.activity_sums(con, Filters())
    return Resource(
        "activities_by_month", frame.astype({c: "int64" for c in ("year", "month", *_ACTIVITY_COUNTS)}),
        [_municipality(), _cycle(), _year(), _field("month", "integer", True, minimum=1, maximum=12),
         _term("type", "activity_types"), *(_count(name) for name in _ACTIVITY_COUNTS)],
        primary_key=("municipality", "cycle", "year", "month", "type"))


def _figures(con: duckdb.DuckDBPyConnection) -> Resource:
    return Resource(
        "reported_figures", queries.figures(con, Filters()).drop(columns=["note"]),
        [_year(), _field("date_from", "date"), _field("date_to", "date"), _municipality(required=False),
         _term("type", "activity_types", required=False, about="type_or_all"),
         _term("indicator", "indicators", about="figure_indicator"),
         _field("value", "number", True, minimum=0), _field("source", "string")])


def _targets(con: duckdb.DuckDBPyConnection) -> Resource:
    frame = targets.progress(con, Filters()).rename(columns={"source": "achieved_from"})
    units = sorted({indicator.unit for indicator in reference.target_indicators()})
    return Resource(
        "targets", frame,
        [_term("objective", "objectives"), _term("indicator", "target_indicators", about="target_indicator"),
         _year(), _municipality(required=False), _field("target", "number", True, minimum=0),
         _field("unit", "string", True, enum=units), _field("achieved", "number", minimum=0),
         _field("reached_pct", "number", minimum=0),
         _field("achieved_from", "string", True, enum=["itemised", "reported"])])


RESOURCES = (_priorities, _statuses, _activities, _figures, _targets)


# ── the package ──────────────────────────────────────────────────────────────────────────────

def build(con: duckdb.DuckDBPyConnection) -> Package:
    """The package of what con's views hold: call it on a connection whose sight is approved-only
    without notes (scope.published)."""
    resources = tuple(make(con) for make in RESOURCES)
    as_of = queries.data_as_of(con)["latest"]
    sources = queries.imports_counted(con)
    descriptor: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": t("open_data.title", "en"),
        "description": _both("open_data.description"),
        "licenses": [dict(settings.OPEN_DATA_LICENCE)],
        "contributors": [{"title": settings.OPEN_DATA_ATTRIBUTION, "role": "publisher"}],
        "sources": [{"title": f"{row.file_name} (import {row.id})"} for row in sources.itertuples()],
        "keywords": ["Albania", "Social Contracts", "local government", "citizen participation", "monitoring"],
        # The date of the data: the latest approval it holds (the same data, the same package).
        "created": _iso(as_of or dt.datetime.now()),
        "resources": [{"name": r.name, "path": r.path, "title": t(f"open_data.{r.name}.title", "en"),
                       "description": _both(f"open_data.{r.name}.description"),
                       "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
                       "encoding": "utf-8", "schema": r.schema()} for r in resources],
    }
    return Package(descriptor, resources)


def _iso(moment: dt.datetime) -> str:
    """ISO 8601 with the offset from UTC (times are stored as this machine's local time)."""
    return moment.replace(microsecond=0).astimezone().isoformat()


def write(package: Package, out: Path) -> list[Path]:
    """The package's files in the folder out (created; it must not hold anything yet). Written beside
    it first and moved in at the end: a folder is never left half-written."""
    for place in (out, *out.parents):  # the folder itself, else the nearest folder above it that exists
        if place.exists():
            if not place.is_dir():
                raise PublishRefused("not_a_folder", path=str(place))
            break
    if out.is_dir() and any(out.iterdir()):
        raise PublishRefused("not_empty", path=str(out))
    files = package.files()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=".pop-publish-", dir=out.parent))
    except OSError as error:
        raise PublishRefused("unwritable", path=str(out), cause=error.strerror or type(error).__name__) from None
    try:
        for name, content in files.items():
            (staged / name).write_bytes(content)
        if out.is_dir():
            out.rmdir()  # empty, checked above
        os.replace(staged, out)
    except OSError as error:
        shutil.rmtree(staged, ignore_errors=True)
        raise PublishRefused("unwritable", path=str(out), cause=error.strerror or type(error).__name__) from None
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return [out / name for name in files]


def zipped(package: Package) -> bytes:
    """The package as one zip, its files in one folder named for it, for a download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in package.files().items():
            archive.writestr(f"{PACKAGE_NAME}/{name}", content)
    return buffer.getvalue()
