"""What an import holds and what it takes out of view, for the person about to decide: the uploader
before storing (replace the file's months or add its rows), the coordinator before approving, and
the command line (`import --dry-run`, `show ID`). The rows that leave are found by the rules that
store (store.replaced_rows, store.leaving_donors); here they are only gathered and put in words."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from . import formats, store
from .errors import Problem
from .i18n import t
from .present import DASH, label, number, table

if TYPE_CHECKING:  # validate needs nothing of review: only the type is named here
    from .validate import Batch

# The columns a person reads to recognise a stored row that would leave (on a phone, the first ones show).
LEAVING_COLUMNS: dict[str, tuple[str, ...]] = {
    "activities": ("import_id", "date", "type", "events", "participants", "municipality", "women", "men"),
    "priorities": ("import_id", "cycle", "municipality", "code", "title"),
    "priority_status": ("import_id", "cycle", "municipality", "code", "year", "status"),
    "figures": ("import_id", "year", "municipality", "type", "indicator", "value"),
    "targets": ("import_id", "objective", "indicator", "year", "municipality", "target"),
}
# ... and an import's own rows as its partner sent them, where in the file each came from.
ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "activities": ("date", "type", "events", "participants", "municipality", "women", "men", "youth", "sheet",
                   "excel_row", "themes"),
    "priorities": ("cycle", "municipality", "code", "title", "theme", "sheet", "excel_row"),
    "priority_status": ("cycle", "municipality", "code", "year", "status", "sheet", "excel_row"),
    "figures": ("year", "date_from", "date_to", "municipality", "type", "indicator", "value", "sheet", "excel_row"),
    "targets": ("objective", "indicator", "year", "municipality", "target", "unit", "sheet", "excel_row"),
}
# A target's indicator and value are headed apart from a reported figure's (present's vocabularies).
_TARGET_NAMES = {"indicator": "target_indicator", "target": "target_value"}
_COUNTS = ("events", "participants", "women", "men")


@dataclass
class Held:
    """One stored import, as a coordinator reviews it."""

    record: dict
    rows: dict[str, pd.DataFrame]
    warnings: list[Problem]
    leaving: dict[str, pd.DataFrame] = field(default_factory=dict)  # from donors' view, once approved

    @property
    def municipalities(self) -> list[str]:
        return sorted({m for frame in self.rows.values() for m in frame["municipality"].dropna()})

    @property
    def months(self) -> list[pd.Timestamp]:
        activities = self.rows.get("activities")
        if activities is None:
            return []
        return sorted(set(pd.to_datetime(activities["date"]).dt.to_period("M").dt.to_timestamp()))

    @property
    def years(self) -> list[int]:
        return sorted({int(y) for name, frame in self.rows.items() if name != "activities" and "year" in frame
                       for y in frame["year"].dropna()})


def leaving_on_store(con: duckdb.DuckDBPyConnection, batch: Batch, mode: str) -> dict[str, pd.DataFrame]:
    """The stored rows that leave every view when a checked batch is stored in this mode."""
    return store.replaced_rows(con, batch, mode, LEAVING_COLUMNS)


def held(con: duckdb.DuckDBPyConnection, import_id: int) -> Held | None:
    """What an import holds, the warnings its check found, and, while it waits for approval, the
    rows donors see now that approving it would take out."""
    record = store.import_record(con, import_id)
    if record is None:
        return None
    waiting = record["status"] == "submitted"
    return Held(record, store.import_rows(con, import_id, ROW_COLUMNS), store.import_warnings(con, import_id),
                store.leaving_donors(con, import_id, LEAVING_COLUMNS) if waiting else {})


def type_totals(activities: pd.DataFrame | None) -> pd.DataFrame:
    """Per activity type: events and participants (women, men) as a partner's total row counts them, and rows."""
    columns = ["type", *_COUNTS, "rows"]
    if activities is None or activities.empty:
        return pd.DataFrame(columns=columns)
    grouped = activities.groupby("type", sort=True)
    totals = grouped[list(_COUNTS)].sum(min_count=1).astype("Int64")
    totals.insert(0, "rows", grouped.size())
    return totals.reset_index()[columns]


# ── in the reader's words ────────────────────────────────────────────────────────────────────

def _count(key: str, n: object, lang: str) -> str:
    return t(f"count.{key}.{'one' if n == 1 else 'other'}", lang, n=number(n, lang))  # type: ignore[arg-type]


def _types(frame: pd.DataFrame, lang: str) -> str:
    """The activity types of some rows, each with its events and participants."""
    parts = []
    for row in type_totals(frame).itertuples(index=False):
        counts = [_count("events", int(row.events), lang)]
        if not pd.isna(row.participants):
            counts.append(_count("participants", int(row.participants), lang))
        parts.append(t("review.type_part", lang, type=label("activity_types", row.type, lang),
                       counts=", ".join(counts)))
    return "; ".join(parts)


def _items(table_name: str, frame: pd.DataFrame) -> str:
    """What a group of non-activity rows are: their codes, years or indicators."""
    if table_name == "priorities":
        items = frame["code"].astype(str)
    elif table_name == "priority_status":
        items = frame["code"].astype(str) + " · " + frame["year"].astype(str)
    elif table_name == "figures":
        items = frame["indicator"].astype(str) + " · " + frame["year"].astype(str)
    else:
        items = (frame["objective"].astype(str) + " · " + frame["indicator"].astype(str) + " · "
                 + frame["year"].astype(str))
    distinct = sorted(set(items))
    return ", ".join(distinct[:6]) + (f" … (+{len(distinct) - 6})" if len(distinct) > 6 else "")


def leaving_lines(leaving: dict[str, pd.DataFrame], lang: str) -> list[str]:
    """One sentence per earlier import, municipality and month (activities: their types, events and
    participants) or per earlier import and municipality (priorities, statuses, figures, targets)."""
    lines = []
    for table_name, frame in leaving.items():
        frame = frame.assign(municipality=frame["municipality"].fillna(t("common.whole_network", lang)))
        if table_name == "activities":
            frame = frame.assign(month=pd.to_datetime(frame["date"]).dt.to_period("M").dt.to_timestamp())
            for (import_id, file_name, municipality, month), rows in frame.groupby(
                    ["import_id", "file_name", "municipality", "month"], sort=True):
                lines.append(t("review.leaves_activities", lang, municipality=municipality,
                               month=formats.month(month, lang), import_id=import_id, file=file_name,
                               rows=t("count.replaced.activities", lang, count=len(rows)),
                               what=_types(rows, lang)))
            continue
        for (import_id, file_name, municipality), rows in frame.groupby(["import_id", "file_name", "municipality"],
                                                                        sort=True):
            lines.append(t("upload.replaces_item", lang, import_id=import_id, file=file_name,
                           municipality=municipality or DASH, items=_items(table_name, rows),
                           rows=t(f"count.replaced.{table_name}", lang, count=len(rows))))
    return lines


def leaving_tables(leaving: dict[str, pd.DataFrame], lang: str) -> dict[str, pd.DataFrame]:
    """The rows that leave, per table, under the reader's headings (their import last: the sentences name it)."""
    return {name: _shown(frame.rename(columns={"import_id": "id"}), name, lang,
                         [*[c for c in LEAVING_COLUMNS[name] if c != "import_id"], "id"])
            for name, frame in leaving.items()}


def rows_table(held_import: Held, table_name: str, lang: str) -> pd.DataFrame:
    """An import's rows of one table under the reader's headings."""
    frame = held_import.rows[table_name]
    if "themes" in frame:
        frame = frame.assign(themes=frame["themes"].map(lambda keys: ", ".join(keys) if keys is not None else None))
    return _shown(frame, table_name, lang, list(ROW_COLUMNS[table_name]))


def totals_table(held_import: Held, lang: str) -> pd.DataFrame:
    return table(type_totals(held_import.rows.get("activities")), lang)


def _shown(frame: pd.DataFrame, table_name: str, lang: str, columns: list[str]) -> pd.DataFrame:
    if table_name == "targets":
        frame = frame.rename(columns=_TARGET_NAMES)
        columns = [_TARGET_NAMES.get(c, c) for c in columns]
    for column in {"date", "date_from", "date_to"} & set(frame.columns):  # dates, so styled() writes them
        frame = frame.assign(**{column: pd.to_datetime(frame[column])})
    return table(frame, lang, columns)


def summary_line(held_import: Held, lang: str) -> str:
    """Where and when an import's rows are: municipalities, months (activities) or years, and its mode."""
    record = held_import.record
    places = ", ".join(held_import.municipalities) or t("common.whole_network", lang)
    when = [formats.month(m, lang) for m in held_import.months] + [str(y) for y in held_import.years]
    kinds = " + ".join(t(f"kind.{k}", lang) for k in str(record["kind"]).split("+"))
    line = t("review.summary", lang, import_id=record["id"], file=record["file_name"], who=record["imported_by"],
             places=places, when=", ".join(when) or DASH, kind=kinds, rows=_count("rows", int(record["rows"]), lang))
    if "activities" not in held_import.rows:
        return line
    return line + " " + t(f"review.mode.{record['mode']}", lang)
