"""What each person should be told now, worked out from the data: the one rule behind the bell on
every page and the e-mail `notify` sends, so both always agree.

A notice has a key that stays the same while it is current (`review:42`, `late:activities:2026-11`):
the bell marks it read by key, and each recipient gets it in one e-mail at most (deliveries). What a
person is told follows their capabilities (access) and their sight: a partner only about their own
imports and municipalities, a donor only about approved figures.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import duckdb
import pandas as pd

from . import formats, reporting, settings, store
from .access import Viewer
from .filters import Filters
from .i18n import t

# Each kind of notice, in the order preferences list them, and the capability that hears it.
NEEDS = {"review_waiting": "hear_reviews", "partners_late": "hear_reviews", "approved": "hear_own_imports",
         "rejected": "hear_own_imports", "deadline_soon": "report", "overdue": "report",
         "summary_ready": "follow_summaries"}
KINDS = tuple(NEEDS)
# How often each kind is e-mailed until its recipient chooses otherwise.
DEFAULT_CADENCE = {"review_waiting": "daily", "partners_late": "weekly", "approved": "immediately",
                   "rejected": "immediately", "deadline_soon": "immediately", "overdue": "immediately",
                   "summary_ready": "immediately"}


@dataclass(frozen=True)
class Notice:
    """One thing to tell one person: its sentence is notice.<kind> with params (text and numbers only,
    worded in the reader's language where it is shown), its link a page of the app with a query."""

    key: str
    kind: str
    at: dt.datetime
    params: dict[str, object] = field(default_factory=dict)
    page: str = "overview"
    query: dict[str, str] = field(default_factory=dict)

    def link(self, lang: str) -> str:
        """The notice's view as a path and query (a share link: the same view for anyone who may see it)."""
        return f"/{self.page}?" + urlencode({**self.query, "lang": lang})


@dataclass(frozen=True)
class Facts:
    """What notices are made of, read once for everyone (notify) or for one reader (the bell)."""

    today: dt.date
    imports: pd.DataFrame
    cells: dict[str, pd.DataFrame]
    schedules: dict[str, reporting.Schedule]


def gather(con: duckdb.DuckDBPyConnection, today: dt.date) -> Facts:
    """The imports of the last NOTICE_DAYS (or still waiting) and each reported kind's cells for the
    periods whose deadlines fall near today, as the connection's reader may see them."""
    since = today - dt.timedelta(days=settings.NOTICE_DAYS)
    imports = con.execute(f"""
        SELECT id, file_name, imported_by, imported_at, {store.IMPORT_STATUS_SQL} AS status, reviewed_by,
               reviewed_at, review_comment,
               list_sort(list_distinct(list(p.municipality) FILTER (WHERE p.municipality IS NOT NULL)))
                   AS municipalities
        FROM imports i LEFT JOIN import_periods p ON p.import_id = i.id
        WHERE ({store.IMPORT_STATUS_SQL} = 'submitted') OR CAST(reviewed_at AS DATE) >= ?
        GROUP BY ALL ORDER BY id""", [since]).df()
    schedules = reporting.schedules(con)
    # every period whose deadline falls in the window: it ended up to its deadline's days before
    longest = max((s.deadline_days for s in schedules.values() if s.active), default=0)
    first, last = since - dt.timedelta(days=longest), today + dt.timedelta(days=settings.DEADLINE_NOTICE_DAYS)
    window = Filters(year=tuple(range(first.year, last.year + 1)))
    cells = {kind: reporting.cells(con, window, kind, today) for kind, s in schedules.items() if s.active}
    return Facts(today=today, imports=imports, cells=cells, schedules=schedules)


def for_viewer(facts: Facts, viewer: Viewer) -> list[Notice]:
    """Everything viewer should be told now, newest first."""
    found: list[Notice] = []
    for kind, make in _MAKERS.items():
        if viewer.may(NEEDS[kind]):
            found.extend(make(facts, viewer))
    return sorted(found, key=lambda n: (n.at, n.key), reverse=True)


def _review_waiting(facts: Facts, viewer: Viewer) -> Iterable[Notice]:
    waiting = facts.imports[facts.imports["status"] == "submitted"]
    for row in waiting.itertuples():
        yield Notice(f"review:{row.id}", "review_waiting", _moment(row.imported_at),
                     {"import_id": int(row.id), "file": str(row.file_name), "who": str(row.imported_by)},
                     "history", {"review": str(row.id)})


def _own_reviews(facts: Facts, viewer: Viewer, status: str) -> Iterable[Notice]:
    mine = facts.imports[(facts.imports["imported_by"] == viewer.name) & (facts.imports["status"] == status)]
    for row in mine.itertuples():
        params: dict[str, object] = {"import_id": int(row.id), "file": str(row.file_name),
                                     "who": str(row.reviewed_by or "")}
        if status == "rejected":
            params["comment"] = str(row.review_comment or "")
        yield Notice(f"{status}:{row.id}", status, _moment(row.reviewed_at), params, "history", {})


def _approved(facts: Facts, viewer: Viewer) -> Iterable[Notice]:
    return _own_reviews(facts, viewer, "approved")


def _rejected(facts: Facts, viewer: Viewer) -> Iterable[Notice]:
    return _own_reviews(facts, viewer, "rejected")


def _periods(facts: Facts, viewer: Viewer, statuses: tuple[str, ...], near: tuple[int, int]
             ) -> Iterable[tuple[str, reporting.Period, dt.date, list[str]]]:
    """(kind, period, due date, municipalities of viewer's whose cell has one of statuses) for the
    periods due between today + near[0] and today + near[1] days (a report rejected and not sent
    again counts as not there)."""
    first, last = (facts.today + dt.timedelta(days=d) for d in near)
    for kind, cells in facts.cells.items():
        if cells.empty:
            continue
        schedule = facts.schedules[kind]
        mine = cells if viewer.municipalities is None else cells[cells["municipality"].isin(viewer.municipalities)]
        for key, group in mine.groupby("period", sort=True):
            due = group["due"].iloc[0]
            if first <= due <= last:
                names = sorted(group.loc[group["reporting_status"].isin(statuses), "municipality"])
                period = reporting.parse_period(schedule.frequency, str(key))
                if names and period is not None:
                    yield kind, period, due, names


def _late_or_overdue(facts: Facts, viewer: Viewer, kind_of_notice: str, prefix: str) -> Iterable[Notice]:
    for kind, period, due, names in _periods(facts, viewer, ("missing", "rejected"), (-settings.NOTICE_DAYS, -1)):
        yield Notice(f"{prefix}:{kind}:{period.key}", kind_of_notice, _day_after(due),
                     {"kind": kind, "period": period.key, "frequency": period.frequency, "due": due.isoformat(),
                      "municipalities": ", ".join(names), "count": len(names)},
                     "reporting", {"kind": kind, "year": str(period.year)})


def _partners_late(facts: Facts, viewer: Viewer) -> Iterable[Notice]:
    return _late_or_overdue(facts, viewer, "partners_late", "late")


def _overdue(facts: Facts, viewer: Viewer) -> Iterable[Notice]:
    return _late_or_overdue(facts, viewer, "overdue", "overdue")


def _deadline_soon(facts: Facts, viewer: Viewer) -> Iterable[Notice]:
    for kind, period, due, names in _periods(facts, viewer, ("due",), (0, settings.DEADLINE_NOTICE_DAYS)):
        start = dt.datetime.combine(due - dt.timedelta(days=settings.DEADLINE_NOTICE_DAYS), dt.time())
        yield Notice(f"deadline:{kind}:{period.key}", "deadline_soon", start,
                     {"kind": kind, "period": period.key, "frequency": period.frequency, "due": due.isoformat(),
                      "days": (due - facts.today).days, "municipalities": ", ".join(names), "count": len(names)},
                     "upload", {})


def _summary_ready(facts: Facts, viewer: Viewer) -> Iterable[Notice]:
    schedule = facts.schedules.get(reporting.SUMMARY_KIND)
    if schedule is None or not schedule.active:
        return
    since = facts.today - dt.timedelta(days=settings.NOTICE_DAYS)
    for period in reporting.periods(schedule.frequency, since - dt.timedelta(days=schedule.deadline_days),
                                    facts.today):
        due = period.due(schedule.deadline_days)
        if since <= due < facts.today:
            yield Notice(f"summary:{period.key}", "summary_ready", _day_after(due),
                         {"period": period.key, "frequency": period.frequency, "year": period.year},
                         "overview", {"year": str(period.year)})


_MAKERS = {"review_waiting": _review_waiting, "partners_late": _partners_late, "approved": _approved,
           "rejected": _rejected, "deadline_soon": _deadline_soon, "overdue": _overdue,
           "summary_ready": _summary_ready}


def _moment(value: object) -> dt.datetime:
    return pd.Timestamp(value).to_pydatetime() if value is not None and not pd.isna(value) else dt.datetime.min


def _day_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def render(notice: Notice, lang: str, short: bool = False) -> str:
    """The notice's sentence in lang (short: a line for an e-mail's subject)."""
    params = dict(notice.params)
    if "kind" in params:
        params["kind"] = t(f"reporting.kind.{params['kind']}", lang)
    period = reporting.parse_period(str(params.get("frequency", "")), str(params.get("period", "")))
    if period is not None:
        params["period"] = period.label(lang)
    if "due" in params:
        params["due"] = formats.date(dt.date.fromisoformat(str(params["due"])), lang)
    if "count" in params:  # how many municipalities it names chooses the sentence (a whole number again after JSON)
        params["count"] = int(str(params["count"]))
    return t(f"notice_short.{notice.kind}" if short else f"notice.{notice.kind}", lang, **params)


def bell(con: duckdb.DuckDBPyConnection, viewer: Viewer, today: dt.date) -> list[tuple[Notice, bool]]:
    """The bell of a page: what viewer should be told now (within the connection's sight), each
    with whether they marked it read, unread first, newest first."""
    found = for_viewer(gather(con, today), viewer)
    done = read_keys(con, viewer.name)
    return sorted(((n, n.key in done) for n in found), key=lambda pair: pair[1])


# ── read and unread ──────────────────────────────────────────────────────────────────────────


def read_keys(con: duckdb.DuckDBPyConnection, name: str) -> frozenset[str]:
    return frozenset(k for (k,) in con.execute("SELECT key FROM notices_read WHERE name = ?", [name]).fetchall())


def mark_read(con: duckdb.DuckDBPyConnection, name: str, keys: Iterable[str]) -> None:
    """name has read these notices: the bell no longer counts them (inside the caller's write)."""
    now = dt.datetime.now()
    for key in sorted(set(keys)):
        con.execute("INSERT INTO notices_read (name, key, read_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    [name, key, now])
