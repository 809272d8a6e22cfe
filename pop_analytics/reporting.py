"""The network's reporting calendar: how often partners report each kind of sheet, when each period's
report is due, and who reported which period, on time or late (the DHIS2 definitions).

A municipality is expected to report a period once the period has ended, from the year it joined
the network. Its report is the first import that brought rows of that kind for that municipality and
period (import_periods keeps this after an undo or a rejection takes the rows away). The cell's
status, in this order: approved (on time when it was submitted by the deadline, else late), waiting
for review, rejected, missing (the deadline passed with no report), or due (not yet late).

reporting rate = approved reports / expected reports; on time = approved reports submitted by the
deadline / expected reports, over the periods whose deadline has passed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from . import access, formats, reference, settings, store
from .access import Viewer
from .database import Database
from .errors import ScheduleRefused
from .filters import Filters
from .i18n import t
from .text import fold

KINDS = ("activities", "priorities")
FREQUENCIES = ("monthly", "quarterly", "yearly", "off")
# Each cell of the grid, in the order a legend lists them.
STATUSES = ("on_time", "late", "awaiting_review", "rejected", "missing", "due")
# The statuses that count as a report received and approved (the reporting rate's numerator).
REPORTED = ("on_time", "late")
_MONTHS_IN = {"monthly": 1, "quarterly": 3, "yearly": 12}
# The kind whose periods make a period's summary and the report's section (activities are what a
# period's KPI summary counts).
SUMMARY_KIND = "activities"


@dataclass(frozen=True, order=True)
class Period:
    """A month, a quarter or a year: part is the month (1–12), the quarter (1–4) or 1."""

    frequency: str
    year: int
    part: int

    @property
    def key(self) -> str:
        if self.frequency == "monthly":
            return f"{self.year}-{self.part:02d}"
        if self.frequency == "quarterly":
            return f"{self.year}-Q{self.part}"
        return str(self.year)

    @property
    def first_month(self) -> int:
        return (self.part - 1) * _MONTHS_IN[self.frequency] + 1

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        """The period's last day."""
        return self.following().start - dt.timedelta(days=1)

    def due(self, deadline_days: int) -> dt.date:
        """The last day a report of this period is on time."""
        return self.end + dt.timedelta(days=deadline_days)

    def following(self) -> Period:
        parts = 12 // _MONTHS_IN[self.frequency]
        return Period(self.frequency, self.year + self.part // parts, self.part % parts + 1)

    def label(self, lang: str) -> str:
        if self.frequency == "monthly":
            return formats.month(self.start, lang)
        if self.frequency == "quarterly":
            return t("reporting.quarter", lang, quarter=self.part, year=self.year)
        return str(self.year)


def period_of(frequency: str, day: dt.date) -> Period:
    """The period of frequency that holds day."""
    return Period(frequency, day.year, (day.month - 1) // _MONTHS_IN[frequency] + 1)


def parse_period(frequency: str, key: str) -> Period | None:
    """A period from its key (as a link carries it); None when it is not one of frequency's."""
    for candidate in _around(frequency, key):
        if candidate.key == key:
            return candidate
    return None


def _around(frequency: str, key: str) -> list[Period]:
    try:
        year = int(key[:4])
    except ValueError:
        return []
    if not 1900 <= year <= 2200 or frequency not in _MONTHS_IN:
        return []
    return [Period(frequency, year, part) for part in range(1, 12 // _MONTHS_IN[frequency] + 1)]


def periods(frequency: str, first: dt.date, last: dt.date) -> list[Period]:
    """Every period of frequency from the one holding first to the one holding last."""
    found, period, final = [], period_of(frequency, first), period_of(frequency, last)
    while period <= final:
        found.append(period)
        period = period.following()
    return found


def shown_periods(frequency: str, years: tuple[int, ...], today: dt.date) -> list[Period]:
    """The periods a view covers: those of the chosen years that have started, else the last
    settings.REPORTING_MONTHS_SHOWN months' up to the current one."""
    if frequency not in _MONTHS_IN:
        return []
    current = period_of(frequency, today)
    if years:
        return [p for year in sorted(set(years)) for p in periods(frequency, dt.date(year, 1, 1),
                                                                   dt.date(year, 12, 31)) if p <= current]
    back = settings.REPORTING_MONTHS_SHOWN - 1
    first = dt.date(today.year + (today.month - 1 - back) // 12, (today.month - 1 - back) % 12 + 1, 1)
    return periods(frequency, first, today)


# ── the schedule ──────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Schedule:
    kind: str
    frequency: str
    deadline_days: int
    set_by: str | None = None  # None: the default (data/reference/reporting.csv)
    set_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.frequency != "off"


def schedules(con: duckdb.DuckDBPyConnection) -> dict[str, Schedule]:
    """Each kind's schedule: as a coordinator set it, else the default."""
    found = {kind: Schedule(kind, row["frequency"], int(row["deadline_days"]))
             for kind, row in reference.reporting_defaults().items()}
    for kind, frequency, days, by, at in con.execute(
            "SELECT kind, frequency, deadline_days, set_by, set_at FROM reporting_schedule").fetchall():
        if kind in found:
            found[kind] = Schedule(kind, frequency, int(days), by, at)
    return found


def frequencies(kind: str) -> tuple[str, ...]:
    """The frequencies a kind may have (a priority's status is yearly: it has no month)."""
    return tuple(reference.reporting_defaults()[kind]["frequencies"].split("|"))


def set_schedule(db: Database, by: Viewer, kind: str, frequency: str, deadline_days: int) -> Schedule:
    """A coordinator sets how often a kind is reported and its deadline, recorded in the audit log."""
    access.require(by, "set_schedule")
    if kind not in reference.reporting_defaults():
        raise ScheduleRefused("kind", kind=kind, kinds=", ".join(reference.reporting_defaults()))
    if frequency not in frequencies(kind):
        raise ScheduleRefused("frequency", kind=kind, frequency=frequency, frequencies=", ".join(frequencies(kind)))
    if not 0 <= deadline_days <= settings.MAX_DEADLINE_DAYS:
        raise ScheduleRefused("days", days=deadline_days, limit=settings.MAX_DEADLINE_DAYS)
    with db.writing() as con:
        now = dt.datetime.now()
        con.execute("DELETE FROM reporting_schedule WHERE kind = ?", [kind])
        con.execute("INSERT INTO reporting_schedule (kind, frequency, deadline_days, set_by, set_at) "
                    "VALUES (?, ?, ?, ?, ?)", [kind, frequency, deadline_days, by.name, now])
        store.record(con, by.name, by.address, "schedule_set", kind,
                     {"frequency": frequency, "deadline_days": deadline_days})
    return Schedule(kind, frequency, deadline_days, by.name, now)


# ── who reported what ─────────────────────────────────────────────────────────────────────────


def expected_municipalities(con: duckdb.DuckDBPyConnection, chosen: Filters) -> dict[str, int]:
    """The municipalities expected to report, each with the first year it is: the network's members
    (reference data) and every municipality a partner user reports for, within the chosen ones."""
    found = {m.name: int(m.pop_member_since) for m in reference.municipalities() if m.pop_member_since}
    for (municipality,) in con.execute(
            "SELECT DISTINCT unnest(municipalities) FROM users WHERE role IN (SELECT unnest(CAST(? AS VARCHAR[])))",
            [[role for role in access.ROLES if access.may(role, "report")]]).fetchall():
        found.setdefault(municipality, 0)
    return {m: year for m, year in found.items() if not chosen.municipality or m in chosen.municipality}


_CELL_COLUMNS = ["municipality", "period", "period_start", "due", "reporting_status", "import_id", "submitted_at",
                 "closed"]


def cells(con: duckdb.DuckDBPyConnection, chosen: Filters, kind: str, today: dt.date) -> pd.DataFrame:
    """One row per expected municipality and shown period of kind: its status, the import behind
    it and when that import was submitted (the municipalities the connection's reader may see)."""
    schedule = schedules(con)[kind]
    shown = shown_periods(schedule.frequency, chosen.year, today) if schedule.active else []
    expected = expected_municipalities(con, chosen)
    visible = _visible(con, expected)
    if not shown or not visible:
        return pd.DataFrame(columns=_CELL_COLUMNS)
    reports = _reports(con, kind, schedule.frequency, shown[0].start, shown[-1].end)
    rows = []
    for municipality in sorted(visible, key=fold):
        for period in shown:
            if period.year < expected[municipality]:
                continue
            due = period.due(schedule.deadline_days)
            found = reports.get((municipality, period.key), [])
            status, import_id, submitted = _status(found, due, today)
            rows.append((municipality, period.key, period.start, due, status, import_id, submitted, today > due))
    return pd.DataFrame(rows, columns=_CELL_COLUMNS).astype({"import_id": "Int64", "closed": bool})


def _visible(con: duckdb.DuckDBPyConnection, expected: dict[str, int]) -> list[str]:
    """Of the expected municipalities, those this connection's reader may see (a partner: theirs)."""
    restricted = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = 'reported_periods'").fetchone()
    if not restricted or not restricted[0]:
        return list(expected)
    allowed = {m for (m,) in con.execute("SELECT municipality FROM temp.main.sight_municipalities").fetchall()}
    return [m for m in expected if m in allowed]


def _reports(con: duckdb.DuckDBPyConnection, kind: str, frequency: str, first: dt.date, last: dt.date
             ) -> dict[tuple[str, str], list[tuple[int, dt.datetime, str]]]:
    """Every import that reported kind for a municipality and period between first and last:
    (id, submitted at, where it stands), in the order they came."""
    months = _MONTHS_IN[frequency]
    rows = con.execute(f"""
        SELECT DISTINCT r.municipality, r.year, coalesce(r.month, 1) AS month, i.id, i.imported_at,
               {store.IMPORT_STATUS_SQL} AS status
        FROM reported_periods r JOIN imports i ON i.id = r.import_id
        WHERE r.kind = ? AND make_date(r.year, coalesce(r.month, 1), 1) BETWEEN ? AND ?
          AND (r.month IS NOT NULL OR ? = 12)
        ORDER BY i.imported_at, i.id""", [kind, first, last, months]).fetchall()
    found: dict[tuple[str, str], list[tuple[int, dt.datetime, str]]] = {}
    for municipality, year, month, import_id, at, status in rows:
        key = period_of(frequency, dt.date(year, month, 1)).key
        entries = found.setdefault((municipality, key), [])
        if all(e[0] != import_id for e in entries):
            entries.append((import_id, at, status))
    return found


def _status(found: list[tuple[int, dt.datetime, str]], due: dt.date, today: dt.date
            ) -> tuple[str, int | None, dt.datetime | None]:
    for wanted in ("approved", "submitted", "rejected"):
        for import_id, at, status in found:
            if status == wanted:
                if wanted == "approved":
                    return ("on_time" if at.date() <= due else "late"), import_id, at
                return ("awaiting_review" if wanted == "submitted" else "rejected"), import_id, at
    return ("missing" if today > due else "due"), None, None


def rates(cells_frame: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Reporting rate and reporting rate on time (percent) over the cells whose deadline has passed
    (a report sent early counts once its deadline has passed, as everyone's does), for all of them (by
    None) or per period or municipality: expected, reported, on_time, both rates."""
    closed = cells_frame[cells_frame["closed"].astype(bool)] if len(cells_frame) else cells_frame
    keys = [by] if by else []
    columns = [*keys, "expected", "reported", "on_time", "reporting_rate", "on_time_rate"]
    if closed.empty:
        return pd.DataFrame(columns=columns)
    counted = closed.assign(reported=closed["reporting_status"].isin(REPORTED),
                            on_time=closed["reporting_status"] == "on_time")
    grouped = (counted.groupby(keys, sort=True) if keys else counted.groupby(lambda _: 0))
    summary = grouped.agg(expected=("reporting_status", "size"), reported=("reported", "sum"),
                          on_time=("on_time", "sum")).reset_index(drop=not keys)
    summary["reporting_rate"] = (100 * summary["reported"] / summary["expected"]).round(1)
    summary["on_time_rate"] = (100 * summary["on_time"] / summary["expected"]).round(1)
    return summary[columns].astype({"expected": "int64", "reported": "int64", "on_time": "int64"})


def grid(cells_frame: pd.DataFrame) -> pd.DataFrame:
    """The cells as municipality × period, each holding its status."""
    if cells_frame.empty:
        return pd.DataFrame()
    order = sorted(cells_frame["period"].unique())
    table = cells_frame.pivot(index="municipality", columns="period", values="reporting_status")
    return table.reindex(columns=order).loc[sorted(table.index, key=fold)]


# ── what a page shows ─────────────────────────────────────────────────────────────────────────

DONORS_OPTION = "donors_see_reporting"


def donors_see_rates(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a coordinator let donors see the reporting rates (off until they do)."""
    row = con.execute("SELECT value FROM options WHERE key = ?", [DONORS_OPTION]).fetchone()
    return row is not None and row[0] == "yes"


def allow_donors(db: Database, by: Viewer, allowed: bool) -> None:
    """A coordinator lets donors see the reporting rates (never the cells: which import, when), or stops it."""
    access.require(by, "set_schedule")
    with db.writing(data=False) as con:
        con.execute("DELETE FROM options WHERE key = ?", [DONORS_OPTION])
        con.execute("INSERT INTO options (key, value, set_by, set_at) VALUES (?, ?, ?, ?)",
                    [DONORS_OPTION, "yes" if allowed else "no", by.name, dt.datetime.now()])
        store.record(con, by.name, by.address, "option_set", DONORS_OPTION, {"value": allowed})


@dataclass(frozen=True)
class View:
    """Everything the Reporting page shows for a kind and the filters: its schedule, the cells and
    the rates over all of them, per period and per municipality."""

    schedule: Schedule
    cells: pd.DataFrame
    overall: pd.DataFrame
    by_period: pd.DataFrame
    by_municipality: pd.DataFrame


def view(con: duckdb.DuckDBPyConnection, chosen: Filters, kind: str, today: dt.date) -> View:
    found = cells(con, chosen, kind, today)
    return View(schedules(con)[kind], found, rates(found), rates(found, by="period"),
                rates(found, by="municipality"))


def period_labels(frequency: str, keys: list[str], lang: str) -> dict[str, str]:
    """Each period key as the reader reads it (Nov 2026, Q4 2026, 2026)."""
    found = {key: parse_period(frequency, key) for key in keys}
    return {key: (period.label(lang) if period is not None else key) for key, period in found.items()}
