"""How a user is written to: an e-mail address, a language, and for each kind of message how often
(immediately, in a daily or weekly digest, or never). A user sets their own; a coordinator who
manages users sets anyone's; an unsubscribe link (mail.read_token) sets one kind, or all, to never.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb

from . import access, settings, store
from .access import Viewer
from .database import Database
from .errors import PreferenceRefused
from .notices import DEFAULT_CADENCE, KINDS, NEEDS

_EMAIL = re.compile(r"[^@\s<>\"',;]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    email: str | None
    language: str
    cadences: dict[str, str]  # every kind this user may hear: how often


def check_email(raw: str | None) -> str | None:
    """An address as stored (None: no e-mail), or a refusal naming what to fix."""
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > settings.MAX_EMAIL_CHARS or not _EMAIL.fullmatch(text):
        raise PreferenceRefused("email", value=text[:settings.MAX_EMAIL_CHARS])
    return text


def _check_language(raw: str) -> str:
    if raw not in settings.LANGUAGES:
        raise PreferenceRefused("language", value=raw, allowed=", ".join(settings.LANGUAGES))
    return raw


def _check_cadence(kind: str, cadence: str, role: str) -> None:
    if kind not in KINDS or not access.may(role, NEEDS[kind]):
        raise PreferenceRefused("kind", value=kind, allowed=", ".join(k for k in KINDS if access.may(role, NEEDS[k])))
    if cadence not in settings.CADENCES:
        raise PreferenceRefused("cadence", value=cadence, allowed=", ".join(settings.CADENCES))


def contact(con: duckdb.DuckDBPyConnection, name: str) -> Contact | None:
    row = con.execute("SELECT name, role, email, language FROM users WHERE name = ?", [name]).fetchone()
    if row is None:
        return None
    chosen = dict(con.execute("SELECT kind, cadence FROM preferences WHERE name = ?", [name]).fetchall())
    cadences = {kind: chosen.get(kind, DEFAULT_CADENCE[kind]) for kind in KINDS if access.may(row[1], NEEDS[kind])}
    return Contact(row[0], row[1], row[2], row[3] or settings.LANGUAGES[0], cadences)


def _allowed(by: Viewer, name: str) -> None:
    if by.name != name or by.how not in ("signed_in", "cli"):
        access.require(by, "manage_users")


def set_contact(db: Database, name: str, by: Viewer, email: str | None = None, language: str | None = None,
                cadences: dict[str, str] | None = None, clear_email: bool = False) -> Contact:
    """Change what is given (email, language, cadence per kind) for name, in one write, in the audit log."""
    _allowed(by, name)
    address = check_email(email) if email is not None else None
    if language is not None:
        _check_language(language)
    with db.writing(data=False) as con, store.transaction(con):
        found = contact(con, name)
        if found is None:
            raise PreferenceRefused("unknown", name=name)
        for kind, cadence in (cadences or {}).items():
            _check_cadence(kind, cadence, found.role)
        changed: dict[str, object] = {}
        if address is not None or clear_email:
            con.execute("UPDATE users SET email = ? WHERE name = ?", [address, name])
            changed["email"] = "set" if address else "removed"  # the address itself stays out of the log
        if language is not None:
            con.execute("UPDATE users SET language = ? WHERE name = ?", [language, name])
            changed["language"] = language
        for kind, cadence in sorted((cadences or {}).items()):
            _put(con, name, kind, cadence)
            changed[kind] = cadence
        if changed:
            store.record(con, by.name, by.address, "preferences", name, changed)
        result = contact(con, name)
    assert result is not None
    return result


def _put(con: duckdb.DuckDBPyConnection, name: str, kind: str, cadence: str) -> None:
    con.execute("DELETE FROM preferences WHERE name = ? AND kind = ?", [name, kind])
    con.execute("INSERT INTO preferences (name, kind, cadence) VALUES (?, ?, ?)", [name, kind, cadence])


def unsubscribe(db: Database, name: str, kind: str, address: str | None) -> bool:
    """The unsubscribe link's work: kind (or every kind, 'all') is never e-mailed to name again.
    False when the user is gone."""
    with db.writing(data=False) as con:
        found = contact(con, name)
        if found is None:
            return False
        kinds = list(found.cadences) if kind == "all" else [kind] if kind in found.cadences else []
        for each in kinds:
            _put(con, name, each, "never")
        store.record(con, name, address, "unsubscribe", name, {"kinds": kinds, "at": dt.datetime.now().isoformat()})
    return True
