"""The dashboard's users and their sessions: accounts with argon2 password hashes in the database,
sign-in slowed after repeated failures (per name and per address), sessions that end when idle,
after a working day, when the user is removed or the password changes, and on sign-out.

A session is a random token: the browser keeps it in an HttpOnly cookie (or a tab in its state),
the database only its SHA-256, so a copy of the database opens no session.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import threading
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from functools import cache

import argon2
import pandas as pd

from . import settings, store
from .access import ROLES, Viewer, may, require, user_viewer
from .database import Database, Snapshot
from .errors import DatabaseProblem, SignInRefused, UnknownFilterValue, UserRefused
from .filters import resolve_municipality
from .scope import EVERYTHING

_hasher = argon2.PasswordHasher()


@cache
def _nobody() -> str:
    """Checked when the name is unknown, so that an unknown name takes as long as a wrong password
    (made at the first sign-in, not at import: every CLI command imports this module)."""
    return _hasher.hash("no user has this password")


# ── users ────────────────────────────────────────────────────────────────────────────────────

def check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", str(name)).strip()
    if not name or len(name) > settings.MAX_USER_NAME_CHARS or not name.isprintable():
        raise UserRefused("bad_name", name=name[:settings.MAX_USER_NAME_CHARS], most=settings.MAX_USER_NAME_CHARS)
    return name


def check_password(password: str) -> str:
    if len(password) < settings.MIN_PASSWORD_CHARS:
        raise UserRefused("short_password", least=settings.MIN_PASSWORD_CHARS)
    return password


def _municipalities(role: str, given: list[str]) -> list[str]:
    if role not in ROLES:
        raise UserRefused("bad_role", role=role, allowed=", ".join(ROLES))
    if may(role, "all_municipalities"):
        if given:
            raise UserRefused("municipality_not_partner", role=role)
        return []
    if not given:
        raise UserRefused("partner_needs_municipality")
    keys = []
    for raw in given:
        try:
            keys.append(resolve_municipality(raw))
        except UnknownFilterValue as unknown:
            if unknown.suggestion:
                raise UserRefused("bad_municipality", value=raw, suggestion=unknown.suggestion) from None
            raise UserRefused("unknown_municipality", value=raw) from None
    return sorted(set(keys))


def add(db: Database, name: str, role: str, municipalities: list[str], password: str, by: Viewer) -> str:
    """A new user; returns the name as stored."""
    require(by, "manage_users")
    name, role = check_name(name), str(role).strip().lower()
    keys = _municipalities(role, municipalities)
    hashed = _hasher.hash(check_password(password))
    with db.writing(data=False) as con:
        if store.user(con, name) is not None:
            raise UserRefused("exists", name=name)
        if not may(role, "manage_users") and store.user_count(con) == 0:
            raise UserRefused("first_is_coordinator")  # else nobody could manage users from the dashboard
        store.put_user(con, name, role, keys, hashed, by.name, by.address)
    return name


def change_password(db: Database, name: str, password: str, by: Viewer) -> None:
    """A new password for a user; every session of that user ends."""
    if by.name != name or by.how != "signed_in":
        require(by, "manage_users")
    hashed = _hasher.hash(check_password(password))
    with db.writing(data=False) as con:
        if store.user(con, name) is None:
            raise UserRefused("unknown", name=name)
        store.set_password(con, name, hashed, by.name, by.address)


def remove(db: Database, name: str, by: Viewer) -> None:
    """A user goes; every session of theirs ends. The last one who may manage users stays, so that
    someone can still manage the others."""
    require(by, "manage_users")
    with db.writing(data=False) as con:
        found = store.user(con, name)
        if found is None:
            raise UserRefused("unknown", name=name)
        managers = [role for role in store.users(con)["role"] if may(role, "manage_users")]
        if may(found["role"], "manage_users") and len(managers) == 1:
            raise UserRefused("last_coordinator", name=name)
        store.delete_user(con, name, by.name, by.address)


def listed(db: Database) -> pd.DataFrame:
    with db.reading() as con:
        return store.users(con)


# ── signing in ───────────────────────────────────────────────────────────────────────────────

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Per database and version: whether it has users, and each session token's row. A sign-in, a
# sign-out and a user change are writes, which change the version: each is read once per version
# (a page's address, its WebSocket and its run ask the same question within a second).
_SESSIONS_SEEN: dict[tuple[str, str, str], tuple[bool, dict | None]] = {}
_SESSIONS_SEEN_LIMIT = 10_000  # entries of older versions are never asked for again


def sessions_seen(snapshot: Snapshot, hashed: str) -> tuple[bool, dict | None]:
    """(whether the database has users, the row of the session whose token hashes to `hashed`, or
    None) as of the snapshot."""
    key = (snapshot.db.key, snapshot.version, hashed)
    seen = _SESSIONS_SEEN.get(key)
    if seen is None:
        with snapshot.beside(EVERYTHING) as con:
            seen = store.user_count(con) > 0, store.session(con, hashed) if hashed else None
        if len(_SESSIONS_SEEN) >= _SESSIONS_SEEN_LIMIT:
            _SESSIONS_SEEN.clear()
        _SESSIONS_SEEN[key] = seen
    return seen


def wait_before_next_try(failures: int, last: dt.datetime | None, now: dt.datetime) -> float:
    """Seconds to wait before another try: none for the first few failures, then doubling."""
    if failures < settings.SIGNIN_FREE_TRIES or last is None:
        return 0.0
    wait = min(settings.SIGNIN_FIRST_WAIT_SECONDS * 2 ** (failures - settings.SIGNIN_FREE_TRIES),
               settings.SIGNIN_MAX_WAIT_SECONDS)
    return max(0.0, wait - (now - last).total_seconds())


def sign_in(db: Database, name: str, password: str, address: str | None, now: dt.datetime | None = None) -> str:
    """A new session's token for the right name and password; SignInRefused otherwise, never
    saying which of the two was wrong. Every attempt is in the audit log (refusals while slowed,
    counted a minute at a time)."""
    now = now or dt.datetime.now()
    name = unicodedata.normalize("NFC", str(name)).strip()[:settings.MAX_USER_NAME_CHARS]
    with db.reading() as con:
        failures, last = store.failures_since(con, now - dt.timedelta(minutes=settings.SIGNIN_WINDOW_MINUTES),
                                              name, address)
        found = store.user(con, name) if name else None
    attempt = _Attempt(name, address)
    _begin(attempt, failures, last, now, db)
    try:
        if not _verified_in_turn(found, password):
            with db.writing(data=False) as con:
                store.record(con, name or "?", address, "signin_failed", name)
            raise SignInRefused("wrong")
    finally:
        _end(attempt)
    token = secrets.token_urlsafe(32)
    with db.writing(data=False) as con:
        store.start_session(con, token_hash(token), name, address)
    _seen(token_hash(token), now)
    return token


# ── attempts in flight ───────────────────────────────────────────────────────────────────────
# An attempt counts as a failure from the moment it is let through until its outcome is stored,
# so that concurrent guesses cannot all pass the same check: the check and the count are one step
# under a lock. (Across app processes each counts its own; the stored failures are shared.)

@dataclass(frozen=True)
class _Attempt:
    name: str
    address: str | None

    def matches(self, other: _Attempt) -> bool:
        return self.name == other.name or (self.address is not None and self.address == other.address)


_in_flight: list[_Attempt] = []
_in_flight_lock = threading.Lock()
# Each argon2 check holds 64 MiB: bounding how many run at once bounds a burst's memory.
_verifying = threading.BoundedSemaphore(settings.MAX_CONCURRENT_SIGNINS)
# Refusals while slowed, per address (or name), not yet in the audit log: (count, last recorded).
_refused: dict[str, tuple[int, dt.datetime | None]] = {}


def _begin(attempt: _Attempt, failures: int, last: dt.datetime | None, now: dt.datetime, db: Database) -> None:
    with _in_flight_lock:
        pending = sum(attempt.matches(other) for other in _in_flight)
        wait = wait_before_next_try(failures + pending, now if pending else last, now)
        if wait <= 0:
            _in_flight.append(attempt)
            return
    _audit_refusal(db, attempt, now)
    raise SignInRefused("slowed", seconds=math.ceil(wait))


def _end(attempt: _Attempt) -> None:
    with _in_flight_lock:
        _in_flight.remove(attempt)


def _verified_in_turn(found: dict | None, password: str) -> bool:
    if not _verifying.acquire(timeout=settings.SIGNIN_QUEUE_SECONDS):
        raise SignInRefused("busy")
    try:
        return _verified(found, password)
    finally:
        _verifying.release()


def _audit_refusal(db: Database, attempt: _Attempt, now: dt.datetime) -> None:
    """A refusal while slowed is recorded at most once a minute per address, with how many there
    were since the last row: each is audited, and a flood of them cannot become a flood of writes."""
    key = attempt.address or f"name:{attempt.name}"
    with _in_flight_lock:
        if len(_refused) > 10_000:  # addresses seen long ago; their counts were recorded, or are a minute's at most
            _refused.clear()
        count, recorded = _refused.get(key, (0, None))
        count += 1
        due = recorded is None or now - recorded >= dt.timedelta(seconds=settings.SIGNIN_REFUSALS_AUDIT_SECONDS)
        _refused[key] = (0, now) if due else (count, recorded)
    if due:
        # the refusal stands whether or not the row can be written
        with suppress(DatabaseProblem), db.writing(data=False) as con:
            store.record(con, attempt.name or "?", attempt.address, "signin_slowed", attempt.name, {"refused": count})


def _verified(found: dict | None, password: str) -> bool:
    try:
        return _hasher.verify(found["password_hash"] if found else _nobody(), password) and found is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def sign_out(db: Database, token: str, address: str | None, reason: str = "signout") -> None:
    with db.writing(data=False) as con:
        store.end_session(con, token_hash(token), address, reason)
    _last_seen.pop(token_hash(token), None)


# When each session of this process was last used: idle time is measured here, so that a page
# run never writes; a session this process has not seen counts from its sign-in.
_last_seen: dict[str, dt.datetime] = {}
_lock = threading.Lock()


def _seen(hashed: str, now: dt.datetime) -> None:
    with _lock:
        _last_seen[hashed] = now


def session_viewer(found: dict | None, hashed: str, address: str | None, now: dt.datetime | None = None
                   ) -> Viewer | None:
    """The viewer of an open session (found: store.session's row), or None when there is none or
    it has been idle too long or lived too long; using it counts as activity."""
    now = now or dt.datetime.now()
    if found is None:
        return None
    with _lock:
        last = _last_seen.get(hashed, found["last_seen"])
    if now - last > dt.timedelta(minutes=settings.IDLE_MINUTES) or \
            now - found["started_at"] > dt.timedelta(hours=settings.SESSION_MAX_HOURS):
        return None
    _seen(hashed, now)
    return user_viewer(found, address)


def expired(db: Database, token: str, address: str | None) -> None:
    """End a session that timed out, recorded as such."""
    sign_out(db, token, address, reason="session_expired")
