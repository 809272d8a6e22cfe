"""E-mail: a message in its recipient's language (plain text and HTML, each notice with its exact
link, an unsubscribe link that works without signing in), and the SMTP connection that sends it.

The unsubscribe link carries a token signed with a key kept in the database (options), so it names
one user and one kind of message (or all) and cannot be made up or changed; no password is in it.
"""
from __future__ import annotations

import base64
import datetime as dt
import email.policy
import hashlib
import hmac
import html
import secrets
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlencode, urlsplit

import duckdb

from . import formats, settings
from .errors import MailProblem
from .i18n import t
from .notices import Notice, render

SIGNING_KEY_OPTION = "mail_signing_key"
ALL_KINDS = "all"


# ── the signed unsubscribe token ─────────────────────────────────────────────────────────────


def signing_key(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT value FROM options WHERE key = ?", [SIGNING_KEY_OPTION]).fetchone()
    return str(row[0]) if row else None


def ensure_signing_key(con: duckdb.DuckDBPyConnection) -> str:
    """The key, made once (inside the caller's write)."""
    found = signing_key(con)
    if found:
        return found
    made = secrets.token_urlsafe(32)
    con.execute("INSERT INTO options (key, value, set_by, set_at) VALUES (?, ?, 'notify', ?)",
                [SIGNING_KEY_OPTION, made, dt.datetime.now()])
    return made


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: str, name: str, kind: str) -> str:
    return _b64(hmac.new(key.encode(), f"unsubscribe\n{name}\n{kind}".encode(), hashlib.sha256).digest())


def unsubscribe_token(key: str, name: str, kind: str) -> str:
    return f"{_b64(name.encode())}.{kind}.{_signature(key, name, kind)}"


def read_token(key: str | None, token: str) -> tuple[str, str] | None:
    """(user name, kind) when the token is one this installation signed; else None."""
    parts = token.split(".")
    if key is None or len(parts) != 3:
        return None
    try:
        name = _unb64(parts[0]).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(parts[2], _signature(key, name, parts[1])):
        return None
    return name, parts[1]


# ── composing ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Recipient:
    name: str
    address: str
    language: str


@dataclass(frozen=True)
class Attachment:
    file_name: str
    content: bytes
    subtype: str = "pdf"


def compose(recipient: Recipient, items: Sequence[Notice], cadence: str, message_id: int, base_url: str,
            sender: str, key: str, attachments: Sequence[Attachment] = (), made: dt.date | None = None
            ) -> EmailMessage:
    """One e-mail: a notice (cadence immediately) or a digest of several (titled with the day it was
    made), in the recipient's language. Its Message-ID is the same at every attempt: a message sent
    again after a dead run's lease is one the receiving side can tell is a copy."""
    lang = recipient.language
    kinds = sorted({n.kind for n in items})
    unsubscribe_kind = kinds[0] if len(kinds) == 1 else ALL_KINDS
    unsubscribe = f"{base_url}/unsubscribe?" + urlencode(
        {"token": unsubscribe_token(key, recipient.name, unsubscribe_kind), "lang": lang})
    settings_link = f"{base_url}/account?" + urlencode({"lang": lang})
    lines = [(render(n, lang), base_url + n.link(lang)) for n in items]
    # headers one line each up to RFC 5322's 998 characters: a long unsubscribe link folded at 78
    # would be sent as an encoded word that mail programs do not read as a link
    message = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    message["Subject"] = subject(items, cadence, lang, made or dt.date.today())
    message["From"] = sender
    message["To"] = recipient.address
    message["Date"] = format_datetime(dt.datetime.now().astimezone())
    installation = hashlib.sha256(key.encode()).hexdigest()[:16]  # one per database: ids never collide
    message["Message-ID"] = f"<pop-{message_id}.{installation}@{urlsplit(base_url).hostname or 'localhost'}>"
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    why_key = unsubscribe_kind if unsubscribe_kind in (ALL_KINDS, "summary_ready") else "kind"
    why = t(f"mail.why.{why_key}", lang, kind=_kind_name(unsubscribe_kind, lang))
    message.set_content(_text(recipient, lines, why, settings_link, unsubscribe, lang))
    message.add_alternative(_html(recipient, lines, why, settings_link, unsubscribe, lang), subtype="html")
    for attachment in attachments:
        message.add_attachment(attachment.content, maintype="application", subtype=attachment.subtype,
                               filename=attachment.file_name)
    message["Content-Language"] = lang  # after the bodies: setting them clears every Content-* header
    return message


def _kind_name(kind: str, lang: str) -> str:
    return t(f"notice_kind.{kind}", lang) if kind != ALL_KINDS else ""


def subject(items: Sequence[Notice], cadence: str, lang: str, made: dt.date) -> str:
    if cadence == "immediately" and len(items) == 1:
        return t("mail.subject.single", lang, what=render(items[0], lang, short=True))
    day = formats.date(made, lang)
    return t(f"mail.subject.{cadence}", lang, count=len(items), date=day)


def _text(recipient: Recipient, lines: list[tuple[str, str]], why: str, settings_link: str, unsubscribe: str,
          lang: str) -> str:
    body = [t("mail.greeting", lang, name=recipient.name), ""]
    for sentence, link in lines:
        body += [f"• {sentence}", f"  {link}", ""]
    body += ["-- ", why, t("mail.settings", lang) + " " + settings_link,
             t("mail.unsubscribe", lang) + " " + unsubscribe, ""]
    return "\n".join(body)


def _html(recipient: Recipient, lines: list[tuple[str, str]], why: str, settings_link: str, unsubscribe: str,
          lang: str) -> str:
    e = html.escape
    items = "".join(f'<li style="margin-bottom:12px">{e(sentence)}<br><a href="{e(link)}">{e(t("mail.open", lang))}'
                    f"</a></li>" for sentence, link in lines)
    return (f'<!DOCTYPE html><html lang="{e(lang)}"><body style="font-family:sans-serif;max-width:40em">'
            f"<p>{e(t('mail.greeting', lang, name=recipient.name))}</p><ul>{items}</ul>"
            f'<hr><p style="color:#555;font-size:small">{e(why)}<br>'
            f'<a href="{e(settings_link)}">{e(t("mail.settings", lang))}</a> · '
            f'<a href="{e(unsubscribe)}">{e(t("mail.unsubscribe", lang))}</a></p></body></html>')


# ── sending ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Server:
    scheme: str  # smtp (plain), smtp+starttls or smtps (TLS from the start)
    host: str
    port: int
    user: str
    password: str
    sender: str
    base_url: str

    @property
    def shown(self) -> str:
        """The server as messages name it: never a user name or a password."""
        return f"{self.scheme}://{self.host}:{self.port}"


_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


def server(config: dict[str, str] | None = None) -> Server:
    """The configured mail server, or a MailProblem saying what to set."""
    config = config or settings.mail_settings()
    url = config["smtp_url"]
    if not url:
        raise MailProblem("off")
    try:
        parts = urlsplit(url)
        port = parts.port or _PORTS.get(parts.scheme, 0)
    except ValueError:
        raise MailProblem("url") from None
    if parts.username or parts.password:
        raise MailProblem("credentials_in_url")
    if parts.scheme not in _PORTS or not parts.hostname:
        raise MailProblem("url")
    if not config["base_url"]:
        raise MailProblem("no_base_url")
    return Server(parts.scheme, parts.hostname, port, config["user"], config["password"], config["sender"],
                  config["base_url"])


def connect(where: Server) -> smtplib.SMTP:
    """An open, signed-in SMTP connection, or a MailProblem (unreachable, login)."""
    context = ssl.create_default_context()
    try:
        if where.scheme == "smtps":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(where.host, where.port, timeout=settings.SMTP_TIMEOUT_SECONDS,
                                                  context=context)
        else:
            conn = smtplib.SMTP(where.host, where.port, timeout=settings.SMTP_TIMEOUT_SECONDS)
            if where.scheme == "smtp+starttls":
                conn.starttls(context=context)
    except (OSError, smtplib.SMTPException):  # a timeout is an OSError
        raise MailProblem("unreachable", server=where.shown) from None
    if where.user:
        try:
            conn.login(where.user, where.password)
        except smtplib.SMTPException:
            with_quit(conn)
            raise MailProblem("login", server=where.shown) from None
    return conn


def with_quit(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (OSError, smtplib.SMTPException):
        conn.close()
