"""`notify` against a real SMTP server (aiosmtpd on 127.0.0.1): who is written to, in which language,
with which links and attachment; exactly once (a second run, two processes at once, a server gone
before or during a run, a claim left by a run that died); cadences; scope; the unsubscribe link on
the real app server."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import json
import os
import re
import shutil
import smtplib
import subprocess
import sys
import threading
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from browser_support import free_port, serving
from conftest import ACTIVITY_HEADERS, QUICK, ROOT, TODAY, run_cli, write_csv

from pop_analytics import (
    accounts,
    approval,
    formats,
    importing,
    mail,
    notices,
    notify,
    preferences,
    reference,
    settings,
    store,
)
from pop_analytics import report as kpi_report
from pop_analytics.access import Viewer, cli_viewer, user_viewer
from pop_analytics.database import Database
from pop_analytics.filters import Filters
from pop_analytics.i18n import t

BASE_URL = "https://pop.example.org"
SENDER = "POP Analytics <pop@example.org>"
SMTP_USER, SMTP_PASSWORD = "pop-mailer", "correct horse battery staple 42"
# Kamëz and Pogradec reported neither October nor November 2025 in the demo: October's deadline
# (10 November) has passed, November's (10 December) is three days away; the other members reported both.
NOW = dt.datetime(2025, 12, 7, 9, 0)
# name: role, municipalities, language
PEOPLE = {"Drita": ("coordinator", [], "sq"), "Arben": ("partner", ["Kamëz"], "sq"),
          "Besa": ("partner", ["Pogradec"], "en"), "Jane": ("partner", ["Tiranë"], "en"),
          "Hana": ("donor", [], "en")}
COORDINATOR = Viewer("Drita", "coordinator")
JANE = Viewer("Jane", "partner", ("Tiranë",))
REJECTION = "Mungojnë gratë dhe burrat"
# The demo's participants in 2025, approved imports only (the donors' report).
DONOR_PARTICIPANTS_2025 = 3384
SUBMITTED_PARTICIPANTS = 1000


def address(name: str) -> str:
    return f"{name.lower()}@example.org"


# ── the SMTP server ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class Mailbox:
    """aiosmtpd on 127.0.0.1 keeping what it accepted; it asks for SMTP_USER and SMTP_PASSWORD when a
    client signs in. Stopped and started again on the same port, as a mail server is restarted.
    drop_after: the connection is cut when that many messages have been accepted (a server gone mid-run)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.drop_after: int | None = None
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                          authenticator=self._authenticate, auth_require_tls=False)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def take(self) -> list[Received]:
        with self._lock:
            taken, self.received = self.received, []
        return taken

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        with self._lock:
            if self.drop_after is not None and len(self.received) >= self.drop_after:
                server.transport.close()
                return "421 4.3.0 gone"
            self.received.append(Received(tuple(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    @staticmethod
    def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        given = auth_data if isinstance(auth_data, LoginPassword) else None
        right = given is not None and (given.login, given.password) == (SMTP_USER.encode(), SMTP_PASSWORD.encode())
        return AuthResult(success=right, handled=False)  # handled=False: aiosmtpd answers a refusal with 535


@pytest.fixture(scope="module")
def smtp():
    server = Mailbox()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp: Mailbox):
    """The module's SMTP server, running, empty, keeping every message."""
    smtp.start()
    smtp.drop_after = None
    smtp.take()
    yield smtp
    smtp.drop_after = None


def config(box: Mailbox) -> dict[str, str]:
    return {"smtp_url": box.url, "user": SMTP_USER, "password": SMTP_PASSWORD, "sender": SENDER,
            "base_url": BASE_URL}


def environment(box: Mailbox) -> dict[str, str]:
    return {"POP_SMTP_URL": box.url, "POP_SMTP_USER": SMTP_USER, "POP_SMTP_PASSWORD": SMTP_PASSWORD,
            "POP_MAIL_FROM": SENDER, "POP_BASE_URL": BASE_URL}


# ── the data ─────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def people_db(demo_db: Path, tmp_path_factory) -> Path:
    """The demo data with PEOPLE, each with an e-mail address and a language (copy before writing)."""
    path = tmp_path_factory.mktemp("notify") / "people.duckdb"
    shutil.copy(demo_db, path)
    db = Database(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", QUICK)
        for name, (role, municipalities, language) in PEOPLE.items():
            accounts.add(db, name, role, municipalities, "a long enough passphrase", cli_viewer())
            preferences.set_contact(db, name, cli_viewer(), email=address(name), language=language)
    return path


@pytest.fixture
def db(people_db: Path, tmp_path: Path) -> Database:
    path = tmp_path / "pop.duckdb"
    shutil.copy(people_db, path)
    return Database(path)


def jane_submits(db: Database, folder: Path, number: int, participants: int = 20, month: int = 11) -> int:
    """Jane (partner, Tiranë) uploads an activity of a month of 2025: it waits for review. Returns its id."""
    path = write_csv(folder / f"tirane_{month:02d}_{number}.csv", [
        ACTIVITY_HEADERS, [f"15.{month:02d}.2025", "Tiranë", "Fokus grup", 1, participants + number, None, None, None,
                           "Uji i pijshëm"]])
    done = importing.import_bytes(db, path.read_bytes(), path.name, by=JANE, today=TODAY)
    assert (done.status, done.review) == ("imported", "submitted"), done.errors
    assert done.import_id is not None
    return done.import_id


def review(db: Database, import_id: int, approve: bool) -> None:
    if approve:
        approval.approve(db, import_id, COORDINATOR)
    else:
        approval.reject(db, import_id, COORDINATOR, REJECTION)


def only_write_to(db: Database, *kept: str) -> None:
    for name in PEOPLE:
        if name not in kept:
            preferences.set_contact(db, name, cli_viewer(), clear_email=True)


def messages(db: Database) -> list[dict]:
    with db.reading() as con:
        rows = con.execute("SELECT id, recipient, cadence, state, attempts, last_error, items, claimed_by "
                           "FROM messages ORDER BY id").fetchall()
    names = ("id", "recipient", "cadence", "state", "attempts", "last_error", "items", "claimed_by")
    return [dict(zip(names, row)) for row in rows]


def deliveries(db: Database) -> list[tuple[str, str, int]]:
    with db.reading() as con:
        return con.execute("SELECT recipient, key, message_id FROM deliveries ORDER BY ALL").fetchall()


def signing_key(db: Database) -> str:
    with db.reading() as con:
        key = mail.signing_key(con)
    assert key
    return key


def current_notices(db: Database, name: str, now: dt.datetime) -> list[notices.Notice]:
    with db.reading() as con:
        facts = notices.gather(con, now.date())
        user = store.user(con, name)
    return notices.for_viewer(facts, user_viewer(user))


# ── reading a message ────────────────────────────────────────────────────────────────────────


def message_id(message: EmailMessage) -> int:
    """The messages row a sent e-mail came from (its Message-ID names it)."""
    found = re.match(r"<pop-(\d+)\.[0-9a-f]{16}@", str(message["Message-ID"]))
    assert found, message["Message-ID"]
    return int(found.group(1))


def plain(message: EmailMessage) -> str:
    """The text part, its lines ended by \\n (SMTP carries them as \\r\\n)."""
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def hypertext(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


def links(text: str) -> list[str]:
    return re.findall(re.escape(BASE_URL) + r"/\S+", text)


def unsubscribe_link(message: EmailMessage) -> str:
    found = [link for link in links(plain(message)) if link.startswith(BASE_URL + "/unsubscribe?")]
    assert len(found) == 1, plain(message)
    return found[0]


def token_of(link: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0]


def pdf_text(content: bytes, folder: Path) -> str:
    path = folder / "attached.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def raw_header(raw: bytes, name: str) -> str:
    """A header as it went over the wire, unfolded (not decoded)."""
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").decode("ascii")
    found = re.search(rf"^{re.escape(name)}:[ \t]*(.*(?:\n[ \t].*)*)", head, re.MULTILINE | re.IGNORECASE)
    assert found, head
    return re.sub(r"\n[ \t]+", " ", found.group(1))


# ── one run on the demo data ─────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def first_run(smtp: Mailbox, people_db: Path, tmp_path_factory):
    """One run at NOW after Jane's first upload was rejected and her second waits for review: the
    outcome, every e-mail received, and the database (read only by the tests that share it)."""
    folder = tmp_path_factory.mktemp("first_run")
    shutil.copy(people_db, folder / "pop.duckdb")
    db = Database(folder / "pop.duckdb")
    rejected = jane_submits(db, folder, 1)
    review(db, rejected, approve=False)
    waiting = jane_submits(db, folder, 2, participants=SUBMITTED_PARTICIPANTS)
    smtp.start()
    smtp.take()
    outcome = notify.run(db, now=NOW, config=config(smtp))
    received = smtp.take()
    return SimpleNamespace(db=db, folder=folder, outcome=outcome, received=received, rejected=rejected,
                           waiting=waiting, by_id={message_id(r.message): r for r in received})


def received_by(run: SimpleNamespace, name: str) -> list[EmailMessage]:
    return [r.message for r in run.received if r.recipients == (address(name),)]


# The messages of the first run: recipient, cadence, the keys of its notices, the view each links to.
FIRST_RUN = [
    ("Arben", "immediately", ["deadline:activities:2025-11"], ["/upload?lang=sq"]),
    ("Arben", "immediately", ["overdue:activities:2025-10"], ["/reporting?kind=activities&year=2025&lang=sq"]),
    ("Besa", "immediately", ["deadline:activities:2025-11"], ["/upload?lang=en"]),
    ("Besa", "immediately", ["overdue:activities:2025-10"], ["/reporting?kind=activities&year=2025&lang=en"]),
    ("Drita", "daily", ["review:{waiting}"], ["/history?review={waiting}&lang=sq"]),
    ("Drita", "weekly", ["late:activities:2025-10"], ["/reporting?kind=activities&year=2025&lang=sq"]),
    ("Hana", "immediately", ["summary:2025-10"], ["/overview?year=2025&lang=en"]),
    ("Jane", "immediately", ["rejected:{rejected}"], ["/history?lang=en"]),
]


def test_a_run_writes_to_each_user_what_they_should_hear(first_run):
    stored = messages(first_run.db)
    made = sorted((m["recipient"], m["cadence"], [i["key"] for i in json.loads(m["items"])]) for m in stored)
    expected = [(name, cadence, [k.format(**vars(first_run)) for k in keys]) for name, cadence, keys, _ in FIRST_RUN]
    assert made == sorted(expected)
    assert first_run.outcome == notify.Outcome(queued=8, sent=8, waiting=0, problems=[])
    assert sorted(first_run.by_id) == [m["id"] for m in stored]
    assert {m["state"] for m in stored} == {"sent"}
    for m in stored:
        received = first_run.by_id[m["id"]]
        assert received.recipients == (address(m["recipient"]),)
        assert (received.message["To"], received.message["From"]) == (address(m["recipient"]), SENDER)


def test_each_message_is_in_its_recipients_language_with_the_exact_sentences_and_links(first_run):
    views = {(name, tuple(k.format(**vars(first_run)) for k in keys)): [v.format(**vars(first_run)) for v in paths]
             for name, _, keys, paths in FIRST_RUN}
    for m in messages(first_run.db):
        lang = PEOPLE[m["recipient"]][2]
        items = [notices.Notice(i["key"], i["kind"], dt.datetime.fromisoformat(i["at"]), i["params"], i["page"],
                                i["query"]) for i in json.loads(m["items"])]
        message = first_run.by_id[m["id"]].message
        if m["cadence"] == "immediately":
            assert message["Subject"] == t("mail.subject.single", lang, what=notices.render(items[0], lang, short=True))
        else:  # the digest's date: test_a_digest_is_titled_with_the_day_it_was_made_also_when_sent_later
            assert message["Subject"] in {t(f"mail.subject.{m['cadence']}", lang, count=len(items),
                                            date=formats.date(day, lang)) for day in (NOW.date(), dt.date.today())}
        text, page = plain(message), hypertext(message)
        assert text.startswith(t("mail.greeting", lang, name=m["recipient"]) + "\n")
        wanted = [BASE_URL + view for view in views[(m["recipient"], tuple(n.key for n in items))]]
        assert links(text) == [*wanted, f"{BASE_URL}/account?lang={lang}", unsubscribe_link(message)]
        for notice, link in zip(items, wanted, strict=True):
            assert f"• {notices.render(notice, lang)}\n  {link}\n" in text
            assert html.escape(notices.render(notice, lang)) in page
            assert f'href="{html.escape(link)}"' in page
        assert f'href="{html.escape(unsubscribe_link(message))}"' in page
        assert f'<html lang="{lang}">' in page


def test_a_rejection_tells_the_partner_the_reviewers_comment(first_run):
    [message] = received_by(first_run, "Jane")
    assert REJECTION in plain(message)
    assert html.escape(REJECTION) in hypertext(message)


def test_each_message_says_its_language_in_content_language(first_run):
    for received in first_run.received:
        name = received.recipients[0].split("@")[0].capitalize()
        assert received.message["Content-Language"] == PEOPLE[name][2], received.message["Subject"]


def test_each_unsubscribe_link_is_signed_for_its_user_and_kind_and_offered_for_one_click(first_run):
    key = signing_key(first_run.db)
    for m in messages(first_run.db):
        message = first_run.by_id[m["id"]].message
        link = unsubscribe_link(message)
        kinds = {i["kind"] for i in json.loads(m["items"])}
        assert mail.read_token(key, token_of(link)) == (m["recipient"], kinds.pop() if len(kinds) == 1 else "all")
        assert link == (f"{BASE_URL}/unsubscribe?token={token_of(link)}&lang={PEOPLE[m['recipient']][2]}")
        assert message["List-Unsubscribe"] == f"<{link}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize("name", ["Arben", "Jane"])
def test_the_list_unsubscribe_header_goes_out_as_a_plain_address_not_encoded_words(mailbox, name):
    """RFC 2369/8058: mail programs read <https://…> from the header as it is; an RFC 2047 encoded word
    (=?utf-8?q?…?=) is not allowed in it and leaves the one-click button out. Twenty signing keys: how
    the header is folded depends on the token's characters."""
    notice = notices.Notice("approved:1", "approved", NOW, {"import_id": 1, "file": "a.csv", "who": "Drita"},
                            "history", {})
    with smtplib.SMTP("127.0.0.1", mailbox.port, timeout=30) as conn:
        for number in range(20):
            conn.send_message(mail.compose(mail.Recipient(name, address(name), "en"), [notice], "immediately",
                                           number, BASE_URL, SENDER, f"signing-key-{number}"))
    for received in mailbox.take():
        assert raw_header(received.raw, "List-Unsubscribe") == f"<{unsubscribe_link(received.message)}>"


def test_a_donors_summary_carries_the_kpi_report_of_its_year_with_approved_figures_only(first_run):
    [message] = received_by(first_run, "Hana")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == kpi_report.file_name(Filters(year=(2025,)), "en", "pdf")
    text = pdf_text(attachment.get_content(), first_run.folder)
    assert t("report.title", "en") in text
    assert t("report.approved_only", "en") in text
    # Jane's upload awaiting review (1,002 participants) is not counted
    assert re.search(rf"Participants\s+{formats.number(DONOR_PARTICIPANTS_2025, 'en')}\s", text), text
    assert formats.number(DONOR_PARTICIPANTS_2025 + SUBMITTED_PARTICIPANTS + 2, "en") not in text


def municipalities_named(text: str) -> set[str]:
    return {m.name for m in reference.municipalities() if re.search(rf"(?<!\w){re.escape(m.name)}(?!\w)", text)}


@pytest.mark.parametrize(("name", "named"), [("Arben", {"Kamëz"}), ("Besa", {"Pogradec"}), ("Jane", set()),
                                              ("Drita", {"Kamëz", "Pogradec"}), ("Hana", set())])
def test_a_partner_is_told_only_of_their_own_municipalities(first_run, name, named):
    found: set[str] = set()
    for message in received_by(first_run, name):
        found |= municipalities_named(f"{message['Subject']}\n{plain(message)}\n{hypertext(message)}")
    assert found == named


def test_a_donor_is_never_told_of_a_submitted_import(first_run):
    donors = [m for m in messages(first_run.db) if m["recipient"] == "Hana"]
    assert [[i["kind"] for i in json.loads(m["items"])] for m in donors] == [["summary_ready"]]
    for message in received_by(first_run, "Hana"):
        assert "tirane_11_" not in plain(message) + hypertext(message)
        assert f"#{first_run.waiting}" not in plain(message)


def test_a_second_run_sends_nothing_new(first_run, mailbox):
    assert notify.run(first_run.db, now=NOW + dt.timedelta(hours=3), config=config(mailbox)) == notify.Outcome()
    assert mailbox.take() == []


# ── the command ──────────────────────────────────────────────────────────────────────────────


def test_the_notify_command_sends_what_is_due_with_the_servers_environment(db, mailbox):
    result = run_cli("notify", db=db.path, env=environment(mailbox))
    received = mailbox.take()
    stored = messages(db)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == t("cli.notify.done", "en", queued=len(stored), sent=len(stored), waiting=0) + "\n"
    assert sorted(message_id(r.message) for r in received) == [m["id"] for m in stored]
    keys = {name: {i["key"].rsplit(":", 1)[0] for m in stored if m["recipient"] == name
                   for i in json.loads(m["items"])} for name in PEOPLE}
    # whatever the day: a monthly deadline passed within NOTICE_DAYS (overdue, and its summary)
    assert "overdue:activities" in keys["Arben"]
    assert {k.split(":")[0] for k in keys["Hana"]} == {"summary"}
    for r in received:
        assert all(link.startswith(BASE_URL + "/") for link in links(plain(r.message)))
        assert r.message["From"] == SENDER


def test_the_notify_command_says_when_mail_is_off(db):
    result = run_cli("notify", db=db.path, env={"POP_SMTP_URL": "", "POP_BASE_URL": BASE_URL})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"{t('cli.error', 'en')}: {t('mail.problem.off', 'en')}\n"
    assert messages(db) == []


def test_an_unreachable_server_leaves_every_message_waiting_until_a_run_reaches_it(db, mailbox):
    mailbox.stop()
    result = run_cli("notify", db=db.path, env=environment(mailbox))
    stored = messages(db)
    assert result.returncode == 1
    assert result.stdout == t("cli.notify.done", "en", queued=len(stored), sent=0, waiting=len(stored)) + "\n"
    assert result.stderr == f"{t('cli.error', 'en')}: {t('mail.problem.unreachable', 'en', server=mailbox.url)}\n"
    assert SMTP_PASSWORD not in result.stdout + result.stderr
    assert stored and {m["state"] for m in stored} == {"pending"}

    mailbox.start()
    again = run_cli("notify", db=db.path, env=environment(mailbox))
    assert (again.returncode, again.stderr) == (0, "")
    assert again.stdout == t("cli.notify.done", "en", queued=0, sent=len(stored), waiting=0) + "\n"
    assert run_cli("notify", db=db.path, env=environment(mailbox)).stdout == t(
        "cli.notify.done", "en", queued=0, sent=0, waiting=0) + "\n"
    delivered = Counter(message_id(r.message) for r in mailbox.take())
    assert delivered == Counter(m["id"] for m in stored)
    assert {m["state"] for m in messages(db)} == {"sent"}


def test_a_wrong_mail_password_is_a_sentence_without_the_password(db, mailbox):
    result = run_cli("notify", db=db.path, env={**environment(mailbox), "POP_SMTP_PASSWORD": "wrong horse 41"})
    assert result.returncode == 1
    assert result.stderr == f"{t('cli.error', 'en')}: {t('mail.problem.login', 'en', server=mailbox.url)}\n"
    assert "wrong horse 41" not in result.stdout + result.stderr
    assert {m["state"] for m in messages(db)} == {"pending"}
    assert mailbox.take() == []


def test_a_server_gone_during_a_run_keeps_the_rest_waiting_and_the_next_run_sends_each_once(db, mailbox):
    mailbox.drop_after = 2
    outcome = notify.run(db, now=NOW, config=config(mailbox))
    assert (outcome.queued, outcome.sent, outcome.waiting) == (6, 2, 4)
    assert [p.message("en") for p in outcome.problems] == [t("mail.problem.unreachable", "en", server=mailbox.url)]
    first = [message_id(r.message) for r in mailbox.take()]
    stored = messages(db)
    assert [m["id"] for m in stored if m["state"] == "sent"] == first == [stored[0]["id"], stored[1]["id"]]
    assert [(m["state"], m["attempts"], m["last_error"]) for m in stored[2:]] == (
        [("pending", 1, "unreachable")] + [("pending", 0, None)] * 3)

    mailbox.stop()
    mailbox.drop_after = None
    mailbox.start()
    assert notify.run(db, now=NOW, config=config(mailbox)) == notify.Outcome(queued=0, sent=4, waiting=0)
    second = [message_id(r.message) for r in mailbox.take()]
    assert sorted(first + second) == [m["id"] for m in stored]


def test_a_message_claimed_by_a_run_that_died_is_sent_by_the_next_run_and_a_fresh_claim_is_not(db, mailbox):
    assert notify.queue(db, NOW) == 6
    stored = messages(db)
    dead, busy = stored[0]["id"], stored[1]["id"]
    lease = dt.timedelta(minutes=settings.SENDING_LEASE_MINUTES)
    with db.writing() as con:
        con.execute("UPDATE messages SET state = 'sending', claimed_by = 'died', claimed_at = ? WHERE id = ?",
                    [NOW - lease - dt.timedelta(minutes=1), dead])
        con.execute("UPDATE messages SET state = 'sending', claimed_by = 'busy', claimed_at = ? WHERE id = ?",
                    [NOW - lease + dt.timedelta(minutes=1), busy])
    assert notify.run(db, now=NOW, config=config(mailbox)) == notify.Outcome(queued=0, sent=5, waiting=0)
    sent = sorted(message_id(r.message) for r in mailbox.take())
    assert sent == [m["id"] for m in stored if m["id"] != busy]
    after = {m["id"]: (m["state"], m["claimed_by"]) for m in messages(db)}
    assert after[busy] == ("sending", "busy")
    assert after[dead][0] == "sent"


# ── cadences ─────────────────────────────────────────────────────────────────────────────────

MONDAY = dt.datetime(2025, 12, 8, 9, 0)


def later(days: int = 0, hours: int = 0) -> dt.datetime:
    return MONDAY + dt.timedelta(days=days, hours=hours)


@pytest.mark.parametrize(("cadence", "runs"), [
    # each run: (when, Jane's uploads reviewed just before it, the notices in each message it sends)
    ("immediately", [(MONDAY, 2, [1, 1]), (later(hours=5), 1, [1]), (later(days=1), 0, [])]),
    ("daily", [(MONDAY, 2, [2]), (later(hours=5), 1, []), (later(days=1), 0, [1])]),
    ("weekly", [(MONDAY, 2, [2]), (later(days=2), 1, []), (later(days=7), 0, [1])]),
    ("never", [(MONDAY, 2, []), (later(days=1), 1, []), (later(days=7), 0, [])]),
])
def test_a_cadence_decides_how_many_messages_and_when(db, mailbox, tmp_path, cadence, runs):
    only_write_to(db, "Jane")
    preferences.set_contact(db, "Jane", cli_viewer(), cadences={"approved": cadence, "rejected": cadence})
    uploads = 0
    for when, reviewed, sizes in runs:
        for _ in range(reviewed):
            uploads += 1
            review(db, jane_submits(db, tmp_path, uploads), approve=uploads % 2 == 1)
        outcome = notify.run(db, now=when, config=config(mailbox))
        received = [r.message for r in mailbox.take()]
        assert outcome == notify.Outcome(queued=len(sizes), sent=len(sizes), waiting=0), when
        assert sorted(len(links(plain(m))) - 2 for m in received) == sorted(sizes), when
        assert {m["To"] for m in received} <= {address("Jane")}
    assert len(deliveries(db)) == (0 if cadence == "never" else uploads)


def test_a_digest_is_titled_with_the_day_it_was_made_also_when_sent_later(db, mailbox, tmp_path):
    only_write_to(db, "Jane")
    preferences.set_contact(db, "Jane", cli_viewer(), cadences={"approved": "daily", "rejected": "daily"})
    review(db, jane_submits(db, tmp_path, 1), approve=True)
    review(db, jane_submits(db, tmp_path, 2), approve=False)
    assert notify.queue(db, MONDAY) == 1
    assert notify.run(db, now=MONDAY + dt.timedelta(days=1), config=config(mailbox)).sent == 1
    [received] = mailbox.take()
    assert received.message["Subject"] == t("mail.subject.daily", "en", count=2, date=formats.date(MONDAY.date(), "en"))


# ── two processes at once ────────────────────────────────────────────────────────────────────

ROUNDS = 20


def notify_process(db: Database, box: Mailbox) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pop_analytics", "--db", str(db.path), "notify", "--json"],
                            cwd=ROOT, env={**os.environ, "PYTHONIOENCODING": "utf-8", **environment(box)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")


def test_two_notify_processes_at_once_deliver_every_message_exactly_once(db, mailbox, tmp_path):
    """Each round Jane uploads a file and the coordinator approves or rejects the one before: new
    notices for both; two `notify` processes then run at once."""
    preferences.set_contact(db, "Drita", cli_viewer(), cadences={"review_waiting": "immediately"})
    only_write_to(db, "Drita", "Jane", "Arben")
    received: list[Received] = []
    before = 0
    for number in range(1, ROUNDS + 1):
        made = jane_submits(db, tmp_path, number, month=number % 12 + 1)  # never the month of the one before
        if number > 1:
            review(db, made - 1, approve=number % 2 == 0)
        runs = [notify_process(db, mailbox) for _ in range(2)]
        answers = [process.communicate(timeout=120) for process in runs]
        assert [process.returncode for process in runs] == [0, 0], answers
        counts = [json.loads(out) for out, _ in answers]
        stored = messages(db)
        assert sum(c["queued"] for c in counts) == sum(c["sent"] for c in counts) == len(stored) - before
        assert [c["waiting"] for c in counts] == [0, 0]
        received += mailbox.take()
        before = len(stored)
        keys = {(m["recipient"], i["key"]) for m in stored for i in json.loads(m["items"])}
        assert ("Drita", f"review:{made}") in keys
        if number > 1:
            assert ("Jane", f"{'approved' if number % 2 == 0 else 'rejected'}:{made - 1}") in keys
    stored = messages(db)
    assert {m["state"] for m in stored} == {"sent"}
    by_message = Counter(message_id(r.message) for r in received)
    assert by_message == Counter(m["id"] for m in stored)
    told = Counter((m["recipient"], i["key"]) for r in received for m in stored if m["id"] == message_id(r.message)
                   for i in json.loads(m["items"]))
    assert set(told.values()) == {1}
    assert sorted(told) == sorted((r, k) for r, k, _ in deliveries(db))


# ── unsubscribing by the link, on the real app server ────────────────────────────────────────


@pytest.fixture(scope="module")
def app_server(first_run, tmp_path_factory):
    """The first run's database served by `streamlit run serve.py` (the unsubscribe routes beside it)."""
    folder = tmp_path_factory.mktemp("unsubscribe")
    shutil.copy(first_run.db.path, folder / "pop.duckdb")
    with serving(folder / "pop.duckdb") as process:
        yield SimpleNamespace(url=process.url, db=Database(folder / "pop.duckdb"))


def on_server(server: SimpleNamespace, link: str) -> str:
    return server.url + link.removeprefix(BASE_URL)


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, str]:
    import urllib.error
    import urllib.request
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method=method, headers=headers),
                                    timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def cadence(db: Database, name: str, kind: str) -> str:
    with db.reading() as con:
        found = preferences.contact(con, name)
    assert found is not None
    return found.cadences[kind]


def overdue_message(run: SimpleNamespace, name: str) -> EmailMessage:
    [message] = [m for m in received_by(run, name) if "/reporting?" in plain(m)]
    return message


def test_the_unsubscribe_link_asks_first_and_its_form_stops_that_kind(first_run, app_server, mailbox):
    link = unsubscribe_link(overdue_message(first_run, "Arben"))
    status, page = http("GET", on_server(app_server, link))
    assert status == 200
    assert html.escape(t("unsubscribe.ask", "sq", name="Arben", kinds=t("notice_kind.overdue", "sq"))) in page
    assert cadence(app_server.db, "Arben", "overdue") == "immediately"  # a GET changes nothing
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))
    status, page = http("POST", app_server.url + action, b"")
    assert status == 200
    assert html.escape(t("unsubscribe.done", "sq", kinds=t("notice_kind.overdue", "sq"))) in page
    assert cadence(app_server.db, "Arben", "overdue") == "never"
    assert cadence(app_server.db, "Arben", "deadline_soon") == "immediately"


def test_a_mail_programs_one_click_unsubscribe_stops_that_kind(first_run, app_server):
    header = str(overdue_message(first_run, "Besa")["List-Unsubscribe"]).strip("<>")
    status, page = http("POST", on_server(app_server, header), b"List-Unsubscribe=One-Click")
    assert status == 200
    assert html.escape(t("unsubscribe.done", "en", kinds=t("notice_kind.overdue", "en"))) in page
    assert cadence(app_server.db, "Besa", "overdue") == "never"


def test_after_unsubscribing_the_next_run_sends_none_of_that_kind(first_run, app_server, mailbox):
    for name, link in [("Arben", unsubscribe_link(overdue_message(first_run, "Arben"))),
                       ("Besa", unsubscribe_link(overdue_message(first_run, "Besa")))]:
        assert http("POST", on_server(app_server, link), b"")[0] == 200, name
    later = dt.datetime(2025, 12, 12, 9, 0)  # November's deadline has passed: a new overdue notice for both
    assert {n.key for n in current_notices(app_server.db, "Arben", later)} >= {"overdue:activities:2025-11"}
    notify.run(app_server.db, now=later, config=config(mailbox))
    kinds = Counter((m["recipient"], i["kind"]) for m in messages(app_server.db) if m["state"] == "sent"
                    for i in json.loads(m["items"]))
    assert kinds[("Arben", "overdue")] == kinds[("Besa", "overdue")] == 1  # the first run's only
    assert kinds[("Drita", "partners_late")] == 2
    mailbox.take()


@pytest.mark.parametrize("tamper", [
    lambda token: token.replace(".overdue.", ".all."),  # another kind, the same signature
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # the signature changed
    lambda token: "RHJpdGE" + token[token.index("."):],  # another user's name (Drita)
    lambda token: "",
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_changed_unsubscribe_link_is_refused_with_a_sentence(first_run, app_server, tamper, method):
    link = unsubscribe_link(overdue_message(first_run, "Arben"))
    changed = link.replace(token_of(link), urllib.parse.quote(tamper(token_of(link))))
    status, page = http(method, on_server(app_server, changed), b"" if method == "POST" else None)
    assert status == 400
    assert html.escape(t("unsubscribe.invalid", "sq")) in page
