"""`python -m pop_analytics notify`: e-mail what is due, exactly once.

A run has two halves. Queueing, in one write: for every user with an e-mail address, the notices
they should be told (notices.for_viewer, within their sight) that no message of theirs holds yet
become messages, recorded with their deliveries (one row per recipient and notice, so a notice goes
into one message only), a digest when its day or week has come. Sending: each waiting message is
claimed in a write of its own (a second notify running at once skips it), sent, and marked sent.
A message whose server refused or could not be reached waits for the next run; one claimed by a run
that died is tried again after SENDING_LEASE_MINUTES.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import duckdb

from . import access, mail, notices, settings
from .database import Database
from .errors import MailProblem, PopError
from .filters import Filters
from .notices import Notice


@dataclass
class Outcome:
    """What a run did: messages queued and sent, and the problems of those that wait."""

    queued: int = 0
    sent: int = 0
    waiting: int = 0
    problems: list[MailProblem] = field(default_factory=list)


def run(db: Database, now: dt.datetime | None = None, config: dict[str, str] | None = None) -> Outcome:
    """Queue what is due and send every waiting message; a MailProblem when mail is not set up."""
    where = mail.server(config)
    now = now or dt.datetime.now()
    outcome = Outcome(queued=queue(db, now))
    send(db, where, now, outcome)
    return outcome


# ── queueing ─────────────────────────────────────────────────────────────────────────────────


def _preferences(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    return {(name, kind): cadence for name, kind, cadence in
            con.execute("SELECT name, kind, cadence FROM preferences").fetchall()}


def cadence_of(prefs: dict[tuple[str, str], str], name: str, kind: str) -> str:
    return prefs.get((name, kind), notices.DEFAULT_CADENCE[kind])


def queue(db: Database, now: dt.datetime) -> int:
    """Record the messages now due (in one write); returns how many."""
    made = 0
    with db.writing(data=False) as con:
        mail.ensure_signing_key(con)
        facts = notices.gather(con, now.date())
        prefs = _preferences(con)
        delivered = {(r, k) for r, k in con.execute("SELECT recipient, key FROM deliveries").fetchall()}
        last_digest = {(r, c): at for r, c, at in con.execute(
            "SELECT recipient, cadence, max(created_at) FROM messages WHERE cadence IN ('daily', 'weekly') "
            "GROUP BY ALL").fetchall()}
        for user in _recipients(con):
            viewer = access.user_viewer(user)
            fresh = [n for n in notices.for_viewer(facts, viewer)
                     if (user["name"], n.key) not in delivered]
            for cadence, items in _due_messages(fresh, prefs, user["name"], last_digest, now):
                _record(con, user, cadence, items, now)
                made += 1
    return made


def _recipients(con: duckdb.DuckDBPyConnection) -> list[dict]:
    names = ("name", "role", "municipalities", "email", "language", "created_at")
    return [dict(zip(names, row)) for row in con.execute(
        "SELECT name, role, municipalities, email, language, created_at FROM users "
        "WHERE email IS NOT NULL AND email <> '' ORDER BY name").fetchall()]


def _due_messages(fresh: list[Notice], prefs: dict[tuple[str, str], str], name: str,
                  last_digest: dict[tuple[str, str], dt.datetime], now: dt.datetime
                  ) -> Iterator[tuple[str, list[Notice]]]:
    """(cadence, notices) for each message to make now: one per notice sent at once, one digest per
    cadence whose day (or ISO week) has no digest yet."""
    by_cadence: dict[str, list[Notice]] = {}
    for notice in sorted(fresh, key=lambda n: (n.at, n.key)):
        by_cadence.setdefault(cadence_of(prefs, name, notice.kind), []).append(notice)
    for notice in by_cadence.get("immediately", []):
        yield "immediately", [notice]
    for cadence in ("daily", "weekly"):
        items = by_cadence.get(cadence, [])
        last = last_digest.get((name, cadence))
        if items and (last is None or _digest_due(cadence, last, now)):
            yield cadence, items


def _digest_due(cadence: str, last: dt.datetime, now: dt.datetime) -> bool:
    if cadence == "daily":
        return last.date() < now.date()
    return last.isocalendar()[:2] < now.isocalendar()[:2]


def _record(con: duckdb.DuckDBPyConnection, user: dict, cadence: str, items: list[Notice], now: dt.datetime) -> None:
    row = con.execute("SELECT nextval('message_ids')").fetchone()
    message_id = int(row[0]) if row else 0
    con.execute("""INSERT INTO messages (id, recipient, address, cadence, language, items, created_at, state)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')""",
                [message_id, user["name"], user["email"], cadence, user["language"] or settings.LANGUAGES[0],
                 json.dumps([_stored(n) for n in items], ensure_ascii=False), now])
    con.executemany("INSERT INTO deliveries (recipient, key, message_id) VALUES (?, ?, ?)",
                    [[user["name"], n.key, message_id] for n in items])


def _stored(notice: Notice) -> dict:
    return {"key": notice.key, "kind": notice.kind, "at": notice.at.isoformat(), "params": notice.params,
            "page": notice.page, "query": notice.query}


def _notice(item: dict) -> Notice:
    return Notice(item["key"], item["kind"], dt.datetime.fromisoformat(item["at"]), item["params"], item["page"],
                  item["query"])


# ── sending ──────────────────────────────────────────────────────────────────────────────────


def _waiting(db: Database, now: dt.datetime) -> list[int]:
    stale = now - dt.timedelta(minutes=settings.SENDING_LEASE_MINUTES)
    with db.reading() as con:
        return [i for (i,) in con.execute(
            "SELECT id FROM messages WHERE state = 'pending' OR (state = 'sending' AND claimed_at < ?) ORDER BY id",
            [stale]).fetchall()]


def _claim(db: Database, message_id: int, run_id: str, now: dt.datetime) -> dict | None:
    """The message, when this run took it (no other run holds it); else None."""
    stale = now - dt.timedelta(minutes=settings.SENDING_LEASE_MINUTES)
    with db.writing(data=False) as con:
        row = con.execute("""SELECT recipient, address, cadence, language, items, created_at FROM messages WHERE id = ?
                             AND (state = 'pending' OR (state = 'sending' AND claimed_at < ?))""",
                          [message_id, stale]).fetchone()
        if row is None:
            return None
        con.execute("UPDATE messages SET state = 'sending', claimed_by = ?, claimed_at = ? WHERE id = ?",
                    [run_id, dt.datetime.now(), message_id])
        key = mail.signing_key(con) or ""
    return dict(zip(("recipient", "address", "cadence", "language", "items", "created_at"), row), key=key)


def _settle(db: Database, message_id: int, sent: bool, error: str | None = None) -> None:
    with db.writing(data=False) as con:
        if sent:
            con.execute("UPDATE messages SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL "
                        "WHERE id = ?", [dt.datetime.now(), message_id])
        else:
            con.execute("UPDATE messages SET state = 'pending', claimed_by = NULL, claimed_at = NULL, "
                        "attempts = attempts + 1, last_error = ? WHERE id = ?", [error, message_id])


def send(db: Database, where: mail.Server, now: dt.datetime, outcome: Outcome) -> None:
    waiting = _waiting(db, now)
    if not waiting:
        return
    try:
        conn = mail.connect(where)
    except MailProblem as problem:
        outcome.waiting, outcome.problems = len(waiting), [problem]
        return
    run_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    reports: dict[tuple[int, str], mail.Attachment | None] = {}  # each year's PDF once per run and language
    try:
        for position, message_id in enumerate(waiting):
            claimed = _claim(db, message_id, run_id, now)
            if claimed is None:
                continue
            try:
                conn.send_message(_message(db, message_id, claimed, where, reports))
            except smtplib.SMTPRecipientsRefused:
                _settle(db, message_id, False, "refused")
                outcome.waiting += 1
                outcome.problems.append(MailProblem("refused", server=where.shown, address=claimed["address"]))
                continue
            except (OSError, smtplib.SMTPException):
                _settle(db, message_id, False, "unreachable")
                outcome.waiting += len(waiting) - position
                outcome.problems.append(MailProblem("unreachable", server=where.shown))
                return
            _settle(db, message_id, True)
            outcome.sent += 1
    finally:
        mail.with_quit(conn)


def _message(db: Database, message_id: int, claimed: dict, where: mail.Server,
             reports: dict[tuple[int, str], mail.Attachment | None]) -> mail.EmailMessage:
    items = [_notice(item) for item in json.loads(claimed["items"])]
    recipient = mail.Recipient(claimed["recipient"], claimed["address"], claimed["language"])
    attachments = []
    for notice in items:
        if notice.kind == "summary_ready":
            asked = (int(str(notice.params["year"])), recipient.language)
            if asked not in reports:
                reports[asked] = _summary_report(db, *asked)
            found = reports[asked]
            if found is not None:
                attachments.append(found)
    return mail.compose(recipient, items, claimed["cadence"], message_id, where.base_url, where.sender,
                        claimed["key"], attachments, made=claimed["created_at"].date())


def _summary_report(db: Database, year: int, lang: str) -> mail.Attachment | None:
    """The KPI report (PDF) of the summary's year, as donors see it (approved rows only)."""
    from . import report  # Typst and the charts load only for a run that attaches a report
    from .scope import DONOR_SIGHT
    chosen = Filters(year=(year,))
    try:
        with db.reading(sight=DONOR_SIGHT) as con:
            built = report.build(con, chosen, lang, generated_by="POP Analytics")
        content = report.render(built, "pdf")
    except PopError:
        return None
    return mail.Attachment(report.file_name(chosen, lang, "pdf"), content)
