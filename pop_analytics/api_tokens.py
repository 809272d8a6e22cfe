"""API tokens: how a program (a donor's system, the network's website) reads the API as a user, with
that user's role and sight. A user creates, names and revokes their own (the account page, `tokens`
on the command line); a coordinator may revoke anyone's. Only a token's SHA-256 is stored (it is
random and long, so a hash that is fast to check is safe, unlike a password's); the token itself is
shown once. Every use is counted: in memory, written by a thread of its own
settings.TOKEN_USES_FLUSH_SECONDS after the first use since the last write, so that reading the API
never waits for the write lock.
"""
from __future__ import annotations

import datetime as dt
import secrets
import threading
import unicodedata

import pandas as pd

from . import settings, store
from .access import Viewer, require, user_viewer
from .accounts import token_hash
from .database import Database
from .errors import DatabaseProblem, TokenRefused

PREFIX = "pop_"


def create(db: Database, name: str, label: str, by: Viewer) -> str:
    """A new token for user name (one's own, or anyone's for a coordinator); the token, shown once."""
    if by.name != name:
        require(by, "manage_users")
    label = unicodedata.normalize("NFC", str(label)).strip()
    if not label or len(label) > settings.MAX_TOKEN_LABEL_CHARS or not label.isprintable():
        raise TokenRefused("label", limit=settings.MAX_TOKEN_LABEL_CHARS)
    token = PREFIX + secrets.token_urlsafe(32)
    with db.writing(data=False) as con:
        if store.user(con, name) is None:
            raise TokenRefused("unknown_user", name=name)
        store.add_token(con, token_hash(token), name, label, by.name, by.address)
    return token


def listed(db: Database, by: Viewer, everyone: bool = False) -> pd.DataFrame:
    """The tokens of by's user, or everyone's (a coordinator), newest first."""
    if everyone:
        require(by, "manage_users")
    with db.reading() as con:
        return store.tokens(con, None if everyone else by.name)


def revoke(db: Database, token_id: int, by: Viewer) -> None:
    """A token stops working at once, in every process; it stays listed, with who revoked it."""
    with db.writing(data=False) as con:
        found = store.token_owner(con, token_id)
        if found is None:
            raise TokenRefused("unknown", token=token_id)
        owner, revoked = found
        if owner != by.name:
            require(by, "manage_users")
        if revoked:
            raise TokenRefused("revoked", token=token_id)
        store.revoke_token(con, token_id, by.name, by.address)


# A token's stored row as read at a version of the database: any write since (a revocation, a user
# removed, a role changed, any process) moves the version, so a row is read again only then.
_known: dict[str, tuple[str, dict]] = {}
_KNOWN_MOST = 10_000  # tokens remembered at once: a flood of made-up ones cannot fill the memory


def viewer_of(db: Database, token: str, address: str | None) -> tuple[int, Viewer] | None:
    """(the token's id, the user it acts as), or None for a token unknown, revoked, or of a user
    since removed. Its use is counted."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    hashed, version = token_hash(token), db.version()
    remembered = _known.get(hashed)
    found: dict | None
    if remembered is not None and remembered[0] == version:
        found = remembered[1]
    else:
        with db.reading() as con:
            found = store.token_user(con, hashed)
        if found is not None:  # made-up tokens are not remembered: they cannot push real ones out
            if len(_known) >= _KNOWN_MOST:
                _known.clear()
            _known[hashed] = (version, found)
    if found is None:
        return None
    _count_use(db, int(found["id"]))
    return int(found["id"]), user_viewer(found, address=address, how="token")


# ── uses, counted in memory and written now and then ─────────────────────────────────────────

_uses: dict[int, tuple[int, dt.datetime, dt.datetime]] = {}
_uses_lock = threading.Lock()
_flushing = threading.Event()  # set from a use's counting until its write: one write waiting at a time


def _count_use(db: Database, token_id: int) -> None:
    """Count a use; the first one since the last write has the counts written a few seconds later,
    by a thread of its own (the request goes on)."""
    now = dt.datetime.now()
    with _uses_lock:
        count, first, _ = _uses.get(token_id, (0, now, now))
        _uses[token_id] = (count + 1, first, now)
        start = not _flushing.is_set()
        _flushing.set()
    if start:
        writer = threading.Timer(settings.TOKEN_USES_FLUSH_SECONDS, flush, args=(db,))
        writer.daemon = True
        writer.start()


def flush(db: Database) -> None:
    """Write the uses counted so far (a failed write keeps them for the next time)."""
    with _uses_lock:
        pending = dict(_uses)
        _uses.clear()
    try:
        if pending:
            with db.writing(data=False) as con:
                store.count_token_uses(con, pending)
    except DatabaseProblem:
        with _uses_lock:
            for token_id, (count, first, last) in pending.items():
                more, earlier, later = _uses.get(token_id, (0, first, last))
                _uses[token_id] = (count + more, min(first, earlier), max(last, later))
    finally:
        _flushing.clear()
