"""E-mail without a mail server: the configuration refused with a sentence that never shows the
password, the signed unsubscribe token (made up or changed: refused), and each message composed in
its recipient's language with every notice's exact link and a working unsubscribe link."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import socket

import pytest
from test_notices import APPROVED_TIRANE, OVERDUE, PARTNERS_LATE, REJECTED_BERAT, SUMMARY

from pop_analytics import formats, mail, notices
from pop_analytics.database import Database
from pop_analytics.errors import MailProblem
from pop_analytics.i18n import t

BASE = "https://pop.example.org"
KEY = "a key only this installation has"
SENDER = "POP Analytics <pop@example.org>"
PASSWORD = "s3cret-Pa55"


def config(**changes: str) -> dict[str, str]:
    return {"smtp_url": "smtp+starttls://mail.example.org", "user": "pop", "password": PASSWORD, "sender": SENDER,
            "base_url": BASE, **changes}


# ── the server ───────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("url", "scheme", "port"), [("smtp+starttls://mail.example.org", "smtp+starttls", 587),
                                                     ("smtps://mail.example.org", "smtps", 465),
                                                     ("smtp://mail.example.org", "smtp", 25),
                                                     ("smtp://mail.example.org:2525", "smtp", 2525)])
def test_a_server_address_gives_its_scheme_and_port_and_is_shown_without_credentials(url, scheme, port):
    found = mail.server(config(smtp_url=url))
    assert (found.scheme, found.host, found.port, found.user, found.password, found.base_url) == (
        scheme, "mail.example.org", port, "pop", PASSWORD, BASE)
    assert found.shown == f"{scheme}://mail.example.org:{port}"


REFUSED = {  # (changes, reason, en sentence)
    "off": ({"smtp_url": ""}, "off",
            "E-mail is off: no mail server is set. Set POP_SMTP_URL (e.g. smtp+starttls://mail.example.org:587) "
            "and POP_BASE_URL, then run notify again."),
    "no scheme": ({"smtp_url": "mail.example.org"}, "url",
                  "POP_SMTP_URL is not a mail server address. Write smtp://, smtp+starttls:// or smtps:// followed "
                  "by the host and, if needed, the port."),
    "a web address": ({"smtp_url": "https://mail.example.org"}, "url", None),
    "no host": ({"smtp_url": "smtp://"}, "url", None),
    "a port out of range": ({"smtp_url": "smtp://mail.example.org:99999"}, "url", None),
    "credentials in the address": ({"smtp_url": f"smtp://pop:{PASSWORD}@mail.example.org:587"}, "credentials_in_url",
                                   "POP_SMTP_URL holds a user name or password. Put them in POP_SMTP_USER and "
                                   "POP_SMTP_PASSWORD instead, so that no log shows them."),
    "a password only": ({"smtp_url": f"smtps://:{PASSWORD}@mail.example.org"}, "credentials_in_url", None),
    "no base address": ({"base_url": ""}, "no_base_url",
                        "POP_BASE_URL is not set, so messages could not link to the app. Set it to the address "
                        "people open the app at (e.g. https://pop.example.org)."),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_mail_setting_that_cannot_work_is_a_sentence_that_never_shows_the_password(case):
    changes, reason, sentence = REFUSED[case]
    with pytest.raises(MailProblem) as refused:
        mail.server(config(**changes))
    assert refused.value.reason == reason
    if sentence:
        assert refused.value.message("en") == sentence
    assert refused.value.message("sq") == t(f"mail.problem.{reason}", "sq")
    for shown in (refused.value.message("en"), refused.value.message("sq"), str(refused.value), repr(refused.value),
                  repr(refused.value.params)):
        assert PASSWORD not in shown


def test_the_mail_settings_come_from_the_environment_when_a_run_starts(monkeypatch):
    monkeypatch.setenv("POP_SMTP_URL", " smtps://mail.example.org:2465 ")
    monkeypatch.setenv("POP_SMTP_USER", "pop")
    monkeypatch.setenv("POP_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("POP_BASE_URL", "https://pop.example.org/")
    monkeypatch.delenv("POP_MAIL_FROM", raising=False)
    found = mail.server()
    assert (found.shown, found.base_url, found.sender) == ("smtps://mail.example.org:2465", BASE,
                                                           "POP Analytics <pop-analytics@localhost>")
    monkeypatch.setenv("POP_SMTP_URL", "")
    with pytest.raises(MailProblem) as refused:
        mail.server()
    assert refused.value.reason == "off"


def test_a_server_that_cannot_be_reached_is_named_without_credentials():
    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    where = mail.Server("smtp", "127.0.0.1", port, "pop", PASSWORD, SENDER, BASE)
    with pytest.raises(MailProblem) as refused:
        mail.connect(where)
    assert refused.value.message("en") == (f"The mail server smtp://127.0.0.1:{port} cannot be reached; the messages "
                                           "wait and are sent at the next run.")
    assert PASSWORD not in refused.value.message("en") + refused.value.message("sq")


# ── the unsubscribe token ────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("name", "kind"), [("arta", "rejected"), ("besa", "all"), ("ëlira.hoxha", "summary_ready")])
def test_a_token_reads_back_as_the_user_and_kind_it_was_made_for(name, kind):
    token = mail.unsubscribe_token(KEY, name, kind)
    assert mail.read_token(KEY, token) == (name, kind)
    assert token.count(".") == 2 and KEY not in token


def _changed(token: str, part: int, value: str) -> str:
    parts = token.split(".")
    parts[part] = value
    return ".".join(parts)


ARTA_REJECTED = mail.unsubscribe_token(KEY, "arta", "rejected")
FORGED = {
    "another installation's key": (KEY + "!", ARTA_REJECTED),
    "no key yet": (None, ARTA_REJECTED),
    "another kind": (KEY, _changed(ARTA_REJECTED, 1, "all")),
    "another user": (KEY, _changed(ARTA_REJECTED, 0, mail.unsubscribe_token(KEY, "besa", "rejected").split(".")[0])),
    "a signature cut short": (KEY, ARTA_REJECTED[:-2]),
    "a signature of another token": (KEY, _changed(ARTA_REJECTED, 2, mail.unsubscribe_token(KEY, "arta", "all")
                                                   .split(".")[2])),
    "a name that is not base64": (KEY, _changed(ARTA_REJECTED, 0, "!!!")),
    "a name that is not UTF-8": (KEY, _changed(ARTA_REJECTED, 0, "_w")),
    "two parts": (KEY, "YXJ0YQ.rejected"),
    "four parts": (KEY, ARTA_REJECTED + ".x"),
    "nothing": (KEY, ""),
}


@pytest.mark.parametrize("case", FORGED)
def test_a_token_made_up_or_changed_is_refused(case):
    key, token = FORGED[case]
    assert mail.read_token(key, token) is None


def test_the_signing_key_is_made_once_and_kept(tmp_path):
    db = Database(tmp_path / "pop.duckdb")
    db.ensure()
    with db.reading() as con:
        assert mail.signing_key(con) is None
    with db.writing(data=False) as con:
        made = mail.ensure_signing_key(con)
    with db.writing(data=False) as con:
        assert mail.ensure_signing_key(con) == made
    with db.reading() as con:
        assert mail.signing_key(con) == made
    assert len(made) >= 40


# ── composing ────────────────────────────────────────────────────────────────────────────────

ARTA_EN = mail.Recipient("arta", "arta@example.org", "en")
ARTA_SQ = mail.Recipient("arta", "arta@example.org", "sq")


def _body(message: email.message.EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return part.get_content()


def _unsubscribe(recipient: mail.Recipient, kind: str) -> str:
    return (f"{BASE}/unsubscribe?token={mail.unsubscribe_token(KEY, recipient.name, kind)}"
            f"&lang={recipient.language}")


@pytest.mark.parametrize("recipient", [ARTA_EN, ARTA_SQ], ids=lambda r: r.language)
def test_a_notice_sent_at_once_is_one_message_in_the_recipients_language(recipient):
    lang = recipient.language
    message = mail.compose(recipient, [APPROVED_TIRANE], "immediately", 7, BASE, SENDER, KEY)
    assert message["Subject"] == {"en": "POP Analytics: import #2 approved",
                                  "sq": "POP Analytics: importi #2 u miratua"}[lang]
    assert (message["To"], message["From"], message["Auto-Submitted"]) == ("arta@example.org", SENDER, "auto-generated")
    assert message["List-Unsubscribe"] == f"<{_unsubscribe(recipient, 'approved')}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the same id at every attempt: the message's number and the installation (its key), never random
    installation = hashlib.sha256(KEY.encode()).hexdigest()[:16]
    assert message["Message-ID"] == f"<pop-7.{installation}@pop.example.org>" == mail.compose(
        recipient, [APPROVED_TIRANE], "immediately", 7, BASE, SENDER, KEY)["Message-ID"]
    assert _body(message, "plain") == "\n".join([
        t("mail.greeting", lang, name="arta"), "",
        f"• {notices.render(APPROVED_TIRANE, lang)}", f"  {BASE}/history?lang={lang}", "",
        "-- ", t("mail.why.kind", lang, kind=t("notice_kind.approved", lang)),
        f"{t('mail.settings', lang)} {BASE}/account?lang={lang}",
        f"{t('mail.unsubscribe', lang)} {_unsubscribe(recipient, 'approved')}", ""])


def test_the_plain_text_in_english_reads_as_written():
    message = mail.compose(ARTA_EN, [REJECTED_BERAT], "immediately", 8, BASE, SENDER, KEY)
    assert _body(message, "plain") == (
        "Hello arta,\n\n"
        "• Your import #6 (berat_mar.xlsx) was rejected by besa, who wrote: “Mungojnë pjesëmarrësit e marsit.” "
        "Fix it and upload it again.\n"
        f"  {BASE}/history?lang=en\n\n"
        "-- \n"
        "You get this e-mail for “my imports rejected”, as your settings ask.\n"
        f"Choose which messages you get and how often: {BASE}/account?lang=en\n"
        f"Stop these e-mails: {_unsubscribe(ARTA_EN, 'rejected')}\n")


@pytest.mark.parametrize("recipient", [ARTA_EN, ARTA_SQ], ids=lambda r: r.language)
def test_a_digest_holds_every_notice_with_its_link_and_unsubscribes_from_all(recipient):
    lang = recipient.language
    items = [PARTNERS_LATE, OVERDUE, REJECTED_BERAT]
    message = mail.compose(recipient, items, "daily", 9, BASE, SENDER, KEY)
    assert message["Subject"] == t("mail.subject.daily", lang, count=3, date=formats.date(dt.date.today(), lang))
    assert message["List-Unsubscribe"] == f"<{_unsubscribe(recipient, 'all')}>"
    assert mail.read_token(KEY, _unsubscribe(recipient, "all").split("token=")[1].split("&")[0]) == ("arta", "all")
    text, page = _body(message, "plain"), _body(message, "html")
    for notice in items:
        link = BASE + notice.link(lang)
        assert f"• {notices.render(notice, lang)}\n  {link}\n" in text
        assert f'<a href="{link.replace("&", "&amp;")}">{t("mail.open", lang)}</a>' in page
    assert t("mail.why.all", lang) in text
    assert f'<html lang="{lang}">' in page
    assert f'href="{_unsubscribe(recipient, "all").replace("&", "&amp;")}"' in page
    assert PARTNERS_LATE.link(lang) == f"/reporting?kind=activities&year=2024&lang={lang}"


@pytest.mark.parametrize(("cadence", "items", "en", "sq"), [
    ("weekly", [OVERDUE], "POP Analytics: this week's notification", "POP Analytics: njoftimi i kësaj jave"),
    ("weekly", [OVERDUE, PARTNERS_LATE], "POP Analytics: this week's 2 notifications",
     "POP Analytics: 2 njoftimet e kësaj jave"),
    ("daily", [OVERDUE, PARTNERS_LATE], "POP Analytics: 2 notifications (8 Apr 2024)",
     "POP Analytics: 2 njoftime (08.04.2024)"),
    ("immediately", [SUMMARY], "POP Analytics: the summary for Feb 2024 is ready",
     "POP Analytics: përmbledhja për 02.2024 është gati"),
])
def test_a_subject_says_what_came_or_how_many(cadence, items, en, sq):
    made = dt.date(2024, 4, 8)  # a daily digest is titled with the day it was made, whenever it is sent
    assert (mail.subject(items, cadence, "en", made), mail.subject(items, cadence, "sq", made)) == (en, sq)


def test_a_summary_carries_its_report_and_says_so():
    report = mail.Attachment("POP_raporti_2024.pdf", b"%PDF-1.7\nthe report\n%%EOF\n")
    message = mail.compose(ARTA_SQ, [SUMMARY], "immediately", 10, BASE, SENDER, KEY, [report])
    attached = list(message.iter_attachments())
    assert [(a.get_filename(), a.get_content_type(), a.get_content()) for a in attached] == [
        ("POP_raporti_2024.pdf", "application/pdf", report.content)]
    assert t("mail.why.summary_ready", "sq", kind=t("notice_kind.summary_ready", "sq")) in _body(message, "plain")
    assert message["List-Unsubscribe"] == f"<{_unsubscribe(ARTA_SQ, 'summary_ready')}>"


@pytest.mark.parametrize("recipient", [ARTA_EN, ARTA_SQ], ids=lambda r: r.language)
@pytest.mark.parametrize("items", [[APPROVED_TIRANE], [PARTNERS_LATE, OVERDUE]], ids=["one", "a digest"])
def test_the_message_names_its_language(recipient, items):
    message = mail.compose(recipient, items, "immediately" if len(items) == 1 else "daily", 7, BASE, SENDER, KEY)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Content-Language"] == recipient.language


@pytest.mark.parametrize("recipient", [ARTA_EN, ARTA_SQ], ids=lambda r: r.language)
def test_the_unsubscribe_header_is_sent_as_the_link_itself(recipient):
    """What the mail server receives: a mail client finds the link in List-Unsubscribe only as
    <https://…> (RFC 2369), never as an encoded word (RFC 2047 allows none inside a URL)."""
    message = mail.compose(recipient, [APPROVED_TIRANE], "immediately", 7, BASE, SENDER, KEY)
    sent = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    assert f"List-Unsubscribe: <{_unsubscribe(recipient, 'approved')}>\r\n".encode() in sent
    parsed = email.message_from_bytes(sent, policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == f"<{_unsubscribe(recipient, 'approved')}>"
