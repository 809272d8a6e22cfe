"""Data and cache: the database this process serves, the one snapshot each page run reads (it
shows what the viewer may see, decided by roles.admit before the first query), and the cached
queries, forgotten when any process changes the data.

The app keeps no connection between reads (pop_analytics.database): each page run reads one
snapshot, opened on its first uncached query and closed when the run ends, so the CLI, a backup
and other app processes can use the file at any other moment."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from .. import queries, settings
from ..database import Database, Snapshot
from ..errors import DatabaseBusy, DatabaseProblem
from ..scope import DONOR_SIGHT, Sight
from .state import escape, lang, language_choice, tr


def database() -> str:
    return str(settings.database_path().resolve())


@st.cache_resource(show_spinner=False)
def _database(path: str) -> Database:
    """One per process and file; the file is created, or brought forward, once before any read."""
    db = Database(path)
    db.ensure()
    return db


def db() -> Database:
    return _database(database())


# The snapshot of the page run on this thread (Streamlit runs each session's script on its own thread).
_run = threading.local()


@st.cache_resource(show_spinner=False)
def _seen_versions() -> dict[str, str]:
    """The data version each database was last read at, for this process."""
    return {}


@contextmanager
def page_run(admit: Callable[[Snapshot], Sight]) -> Iterator[None]:
    """Everything a page run reads comes from one snapshot, showing what admit (roles.admit) says
    the person here may see. When any process wrote since this process last looked, the cached
    queries are forgotten first."""
    try:
        snapshot = db().snapshot()
    except DatabaseProblem as problem:
        _cannot_read(problem)
        return
    _run.snapshot = snapshot
    seen = _seen_versions()
    if seen.get(database()) != snapshot.data_version:  # a sign-in or a user change keeps the figures
        _cached.clear()
        _network_cached.clear()
        seen[database()] = snapshot.data_version
    try:
        _run.sight = admit(snapshot)
        snapshot.show(_run.sight)
        yield
    except DatabaseProblem as problem:  # the file went bad or busy under a running app
        _cannot_read(problem)
    finally:
        _run.snapshot = None
        _run.sight = None
        _run.viewer = None
        snapshot.close()


def _cannot_read(problem: DatabaseProblem) -> None:
    """A sentence instead of the page (the language can still be switched)."""
    with st.sidebar:
        language_choice()
    st.title(tr("app.title"))
    st.error(escape(problem.message(lang())), icon=":material/database:")
    if isinstance(problem, DatabaseBusy):
        st.button(tr("app.busy_retry"), icon=":material/refresh:", key="busy_retry")
    st.stop()


def _snapshot_connection():
    snapshot = getattr(_run, "snapshot", None)
    if snapshot is None:
        raise RuntimeError("app.data() is for page runs (app.page_run); downloads use app.read()")
    return snapshot.connection()


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached(path: str, version: str, sight: str, name: str, language: str, args: tuple, kwargs: tuple):
    """Any pop_analytics.queries function, cached per database, data version, what the reader may
    see, filters (in args) and language."""
    return getattr(queries, name)(_snapshot_connection(), *args, **dict(kwargs))


# Queries that read what writes other than the data's change (users, sessions, the audit log):
# cached per write of any kind.
_OF_EVERY_WRITE = frozenset({"audit", "users", "unread_rejections"})


def data(name: str, *args, **kwargs):
    """queries.<name>(snapshot, *args, **kwargs), cached until any process changes the data."""
    snapshot = getattr(_run, "snapshot", None)
    version = "" if snapshot is None else snapshot.version if name in _OF_EVERY_WRITE else snapshot.data_version
    return _cached(database(), version, repr(sight()), name, lang(), args, tuple(sorted(kwargs.items())))


# The queries whose answer is numbers over the whole network, never a row or a name: the only ones
# network() runs over rows its reader may not see.
NETWORK_AGGREGATES = frozenset({"network_benchmark", "network_trend"})


def network(name: str, *args, **kwargs):
    """queries.<name> (one of NETWORK_AGGREGATES) over the whole network. A reader who sees only
    some municipalities (a partner) gets it from the approved rows of all of them, what donors see,
    counted on a connection of its own beside the page run's snapshot: only the aggregate reaches the
    page. Any other reader counts their own rows, as data() does."""
    if name not in NETWORK_AGGREGATES:
        raise ValueError(f"{name} is not an aggregate of the whole network")
    snapshot = getattr(_run, "snapshot", None)
    if sight().municipalities is None or snapshot is None:
        return data(name, *args, **kwargs)
    return _network_cached(database(), snapshot.data_version, name, lang(), args, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, max_entries=200)
def _network_cached(path: str, version: str, name: str, language: str, args: tuple, kwargs: tuple):
    with _run.snapshot.beside(DONOR_SIGHT) as con:
        return getattr(queries, name)(con, *args, **dict(kwargs))


def sight() -> Sight:
    """What this page run's queries count (what a download taken from the page must count too)."""
    return getattr(_run, "sight", None) or DONOR_SIGHT


def read(name: str, *args, sight: Sight = DONOR_SIGHT, **kwargs):
    """queries.<name> on a snapshot of its own, showing what sight allows (the page run's, taken
    when the page ran): for work outside a page run (a download button's deferred data), uncached."""
    with db().reading(sight=sight) as con:
        return getattr(queries, name)(con, *args, **kwargs)
