"""`make bench --only notify`: the time of a `notify` run for 60 municipalities × 24 monthly periods ×
200 users (170 partners over the 60 municipalities, 20 coordinators, 10 donors, all with an e-mail
address, half in each language), against a local SMTP server (aiosmtpd on 127.0.0.1).

The reporting history is written straight into the tables, for speed: one import per municipality and
month (most approved on time, some late, rejected, waiting for review or missing), its `imports` and
`import_periods` rows inserted directly rather than imported file by file. The figures donors' KPI
reports count come from one generated activities file imported the normal way (its own reported
periods taken out, so that the calendar is the generated imports'). The data follows today's date,
since the `notify` command works out what is due from the clock.

Figures: a first run (everything new) and a second run (nothing new) of `python -m pop_analytics
notify`, each a whole process by the wall clock; and, on another copy in this process, the two halves
of a first run (queueing, then sending) and the second run's queueing.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pop_analytics import importing, mail, notify, store
from pop_analytics.database import Database

from . import data
from .stats import Figure, timed

ROOT = Path(__file__).resolve().parent.parent
MUNICIPALITIES = 60
PERIODS = 24
PARTNERS, COORDINATORS, DONORS = 170, 20, 10
CONTENT_ROWS = 20_000
BASE_URL = "https://pop.example.org"
# What became of each municipality's report of a month: its share of the cells.
OUTCOMES = {"on_time": .80, "late": .08, "rejected": .03, "submitted": .03, "missing": .06}
DEADLINE_DAYS = 10  # the default schedule of activities (data/reference/reporting.csv)


class _Mailbox:
    """An SMTP server that counts what it accepts."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        with self._lock:
            self.count += 1
        return "250 OK"


def _months(today: dt.date) -> list[tuple[int, int]]:
    """The PERIODS months up to the one before today's, oldest first."""
    index = today.year * 12 + today.month - 2
    return [((index - back) // 12, (index - back) % 12 + 1) for back in range(PERIODS - 1, -1, -1)]


def _users(names: list[str]) -> pd.DataFrame:
    rows = []
    for i in range(PARTNERS):
        own = [names[i % MUNICIPALITIES]] + ([names[(i + 7) % MUNICIPALITIES]] if i % 5 == 0 else [])
        rows.append((f"partner{i:03d}", "partner", own))
    rows += [(f"coordinator{i:02d}", "coordinator", []) for i in range(COORDINATORS)]
    rows += [(f"donor{i:02d}", "donor", []) for i in range(DONORS)]
    frame = pd.DataFrame(rows, columns=["name", "role", "municipalities"])
    frame["email"] = frame["name"] + "@example.org"
    frame["language"] = np.where(frame.index % 2 == 0, "sq", "en")
    return frame


def _history(names: list[str], partners: pd.DataFrame, today: dt.date, first_id: int, seed: int
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One import per municipality and month (none where it is missing): the imports rows and their
    reported periods."""
    rng = np.random.default_rng(seed)
    by_municipality = {m: sorted(partners.loc[partners["municipalities"].map(lambda own, m=m: m in own), "name"])
                       for m in names}
    imports, periods = [], []
    now = dt.datetime.combine(today, dt.time(8))
    for municipality in names:
        for year, month in _months(today):
            outcome = rng.choice(list(OUTCOMES), p=list(OUTCOMES.values()))
            if outcome == "missing":
                continue
            due = dt.date(year + month // 12, month % 12 + 1, 1) + dt.timedelta(days=DEADLINE_DAYS - 1)
            if outcome == "submitted" and due < today - dt.timedelta(days=60):
                outcome = "late"  # a report waits for review weeks, not years
            days = int(rng.integers(1, 9))
            at = min(dt.datetime.combine(due + dt.timedelta(days=days if outcome == "late" else -days), dt.time(10)),
                     now - dt.timedelta(hours=2))
            reviewed = at + dt.timedelta(hours=30) if outcome != "submitted" else None
            reviewed = min(reviewed, now - dt.timedelta(hours=1)) if reviewed else None
            review = {"rejected": "rejected", "submitted": "submitted"}.get(outcome, "approved")
            import_id = first_id + len(imports)
            imports.append((import_id, f"aktivitetet_{year}_{month:02d}.xlsx", f"{import_id:064x}", "activities", 40,
                            by_municipality[municipality][0], at, "undone" if review == "rejected" else "stored",
                            review, None if reviewed is None else "coordinator00", reviewed,
                            "Mungojnë të dhënat e grave" if review == "rejected" else None))
            periods.append((import_id, "activities", municipality, year, month))
    columns = ["id", "file_name", "sha256", "kind", "rows", "imported_by", "imported_at", "state", "review",
               "reviewed_by", "reviewed_at", "review_comment"]
    return (pd.DataFrame(imports, columns=columns),
            pd.DataFrame(periods, columns=["import_id", "kind", "municipality", "year", "month"]))


def build(path: Path, today: dt.date) -> dict[str, int]:
    """The database notify reads: what it holds, counted."""
    names = data.municipality_names()[:MUNICIPALITIES]
    first, last = _months(today)[0], _months(today)[-1]
    content = path.parent / "aktivitetet_notify.csv"
    data.write_csv(content, data.activities(CONTENT_ROWS, data.SEED + 500, municipalities=names,
                                            period=(dt.date(*first, 1), dt.date(*last, 28))))
    con = store.connect(path)
    try:
        imported = importing.import_path(con, content, who="benchmark", today=today)
        if imported.status != "imported":
            raise RuntimeError(f"{content.name}: {imported.status}")
        con.execute("DELETE FROM import_periods WHERE import_id = ?", [imported.import_id])
        users = _users(names)
        now = dt.datetime.now()
        con.register("users_frame", users)
        con.execute("""INSERT INTO users (name, role, municipalities, password_hash, created_by, created_at,
                                          password_changed_at, email, language)
                       SELECT name, role, municipalities, 'no password: never signs in', 'benchmark', ?, ?, email,
                              language FROM users_frame""", [now, now])
        [(last_id,)] = con.execute("SELECT max(id) FROM imports").fetchall()
        imports, periods = _history(names, users[users["role"] == "partner"], today, int(last_id) + 1, data.SEED + 501)
        con.register("imports_frame", imports)
        con.register("periods_frame", periods)
        con.execute(f"INSERT INTO imports ({', '.join(imports.columns)}) SELECT * FROM imports_frame")
        con.execute("INSERT INTO import_periods (import_id, kind, municipality, year, month) "
                    "SELECT * FROM periods_frame")
        # the sequence goes past the ids written here, so that a later import gets a new one
        con.execute(f"SELECT nextval('import_ids') FROM range({len(imports)})").fetchall()
    finally:
        con.close()
    return {"users": len(users), "imports": len(imports), "cells": MUNICIPALITIES * PERIODS}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _process(path: Path, env: dict[str, str]) -> tuple[float, dict]:
    command = [sys.executable, "-m", "pop_analytics", "--db", str(path), "notify", "--json"]
    seconds, done = timed(lambda: subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                                                 text=True, timeout=3600, check=False))
    assert isinstance(done, subprocess.CompletedProcess)
    if done.returncode != 0:
        raise RuntimeError(f"notify exited with {done.returncode}: {done.stderr}")
    return seconds, json.loads(done.stdout)


def measure() -> list[Figure]:
    from aiosmtpd.controller import Controller  # the test server: only this figure needs it

    today = dt.date.today()
    box = _Mailbox()
    port = _free_port()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    config = {"smtp_url": f"smtp://127.0.0.1:{port}", "user": "", "password": "", "sender": "POP <pop@example.org>",
              "base_url": BASE_URL}
    env = {"POP_SMTP_URL": config["smtp_url"], "POP_BASE_URL": BASE_URL, "POP_SMTP_USER": "", "POP_SMTP_PASSWORD": ""}
    try:
        with tempfile.TemporaryDirectory(prefix="pop-notify-", dir=data.CACHE) as folder:
            built = Path(folder) / "notify.duckdb"
            started = time.perf_counter()
            counts = build(built, today)
            seconds = time.perf_counter() - started
            scale = f"{MUNICIPALITIES} municipalities × {PERIODS} months × {counts['users']} users"
            copy = Path(folder) / "process.duckdb"
            shutil.copy(built, copy)
            first_s, first_out = _process(copy, env)
            first_sent = box.count
            second_s, second_out = _process(copy, env)
            in_process = Path(folder) / "in_process.duckdb"
            shutil.copy(built, in_process)
            db = Database(in_process)
            now = dt.datetime.now()
            queue_s, queued = timed(lambda: notify.queue(db, now))
            outcome = notify.Outcome()
            send_s, _ = timed(lambda: notify.send(db, mail.server(config), now, outcome))
            requeue_s, requeued = timed(lambda: notify.queue(db, now))
            with db.reading() as con:
                kinds = dict(con.execute("""
                    SELECT kind, count(*) FROM (SELECT unnest(json_extract_string(items, '$[*].kind')) AS kind
                                                FROM messages) GROUP BY ALL""").fetchall())
            pdfs = kinds.get("summary_ready", 0)
    finally:
        server.stop()
    detail = f"{first_sent} messages, {pdfs} with the KPI report PDF"
    return [
        Figure("notify_first", f"notify run, first (everything new), {scale}", "s", [first_s],
               notes=[f"a whole process; {detail}; {first_out['queued']} queued, {first_out['sent']} sent",
                      f"data built in {seconds:.1f} s"]),
        Figure("notify_second", "notify run, second (nothing new), same data", "s", [second_s],
               notes=[f"a whole process; {second_out['queued']} queued, {second_out['sent']} sent"]),
        Figure("notify_queue", "notify: queueing, first run (in process)", "s", [queue_s],
               notes=[f"{queued} messages recorded in one write; by kind of notice: "
                      + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))]),
        Figure("notify_send", "notify: sending, first run (in process)", "s", [send_s],
               notes=[f"{outcome.sent} sent, one claim and one settle write each; {pdfs} carry the KPI report PDF, "
                      "made once per year and language"]),
        Figure("notify_requeue", "notify: queueing, second run (nothing new)", "s", [requeue_s],
               notes=[f"{requeued} messages"]),
    ]
