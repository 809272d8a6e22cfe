"""Data and cache: the database this process serves, the one snapshot each page run reads (it
shows what the viewer may see, decided by roles.admit before the first query), and the cached
queries, forgotten when any process changes the data.

The app keeps no connection between reads (pop_analytics.database): each page run reads one
snapshot, opened on its first uncached query and closed when the run ends, so the CLI, a backup
and other app processes can use the file at any other moment."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

import duckdb
import streamlit as st

from .. import formats, notices, preferences, queries, reporting, settings
from ..access import Viewer
from ..database import Database, Snapshot
from ..errors import DatabaseBusy, DatabaseProblem
from ..scope import DONOR_SIGHT, Sight
from ..stores import is_postgres, open_database
from .run import PageRun, current, running, sight
from .state import escape, lang, language_choice, tr


def database() -> str:
    """The database this process serves: a file's full path, or a PostgreSQL address."""
    return settings.database_spec() if is_postgres() else str(settings.database_path().resolve())


@st.cache_resource(show_spinner=False)
def _database(path: str) -> Database:
    """One per process and file; the file is created, or brought forward, once before any read."""
    db = open_database(path)
    db.ensure()
    db.follow()
    return db


def db() -> Database:
    return _database(database())


@st.cache_resource(show_spinner=False)
def _seen_versions() -> dict[str, str]:
    """The data version each database was last read at, for this process."""
    return {}


Admit = Callable[[Snapshot], tuple[Viewer | None, Sight]]


@contextmanager
def page_run(admit: Admit) -> Iterator[None]:
    """Everything a page run reads comes from one snapshot, showing what admit (roles.admit) says
    the person here may see. When any process wrote since this process last looked, the cached
    queries are forgotten first."""
    try:
        snapshot = db().snapshot()
    except DatabaseProblem as problem:
        _cannot_read(problem)
        return
    seen = _seen_versions()
    if seen.get(database()) != snapshot.data_version:  # a sign-in or a user change keeps the figures
        _cached.clear()
        _network_cached.clear()
        seen[database()] = snapshot.data_version
    _say_if_stale(snapshot)
    try:
        person, rows = admit(snapshot)
        snapshot.show(rows)
        with running(PageRun(snapshot, person, rows)):
            yield
    except DatabaseProblem as problem:  # the file went bad or busy under a running app
        _cannot_read(problem)
    finally:
        snapshot.close()


def _say_if_stale(snapshot: Snapshot) -> None:
    """PostgreSQL cannot be reached: the page shows the data this process holds, and says since when."""
    since = snapshot.stale_since
    if since is not None:
        st.warning(tr("database.stale", time=formats.moment(since, lang()), name=db().name),
                   icon=":material/cloud_off:")


def _cannot_read(problem: DatabaseProblem) -> None:
    """A sentence instead of the page (the language can still be switched)."""
    with st.sidebar:
        language_choice()
    st.title(tr("app.title"))
    st.error(escape(problem.message(lang())), icon=":material/database:")
    if isinstance(problem, DatabaseBusy):
        st.button(tr("app.busy_retry"), icon=":material/refresh:", key="busy_retry")
    st.stop()


P = ParamSpec("P")
R = TypeVar("R")
# A function of pop_analytics.queries: a connection first, then what it counts.
Query = Callable[Concatenate[duckdb.DuckDBPyConnection, P], R]
AnyQuery = Callable[..., object]


def _name(query: AnyQuery) -> str:
    """What a query's cached answers are kept under: the same in every process and after a reload."""
    return f"{query.__module__}.{query.__qualname__}"


def _snapshot_connection() -> duckdb.DuckDBPyConnection:
    found = current()
    if found is None:
        raise RuntimeError("app.data() is for page runs (app.page_run); downloads use app.read()")
    return found.snapshot.connection()


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached(path: str, version: str, sight: str, name: str, language: str, args: tuple[object, ...],
            kwargs: tuple[tuple[str, object], ...], _query: AnyQuery) -> Any:
    """Any query, cached per database, data version, what the reader may see, query (by name: the
    function itself is not hashed), filters (in args) and language."""
    return _query(_snapshot_connection(), *args, **dict(kwargs))


# Queries that read what writes other than the data's change (users, sessions, the audit log):
# cached per write of any kind.
# The reporting view counts partner users' municipalities; the bell, what its reader marked read.
_OF_EVERY_WRITE: frozenset[AnyQuery] = frozenset({queries.audit, queries.users, queries.unread_rejections,
                                                   queries.tokens, reporting.view, reporting.donors_see_rates,
                                                   notices.bell, preferences.contact})


def data(query: Query[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """query(snapshot, *args, **kwargs), cached until any process changes the data."""
    found = current()
    version = ("" if found is None else
               found.snapshot.version if query in _OF_EVERY_WRITE else found.snapshot.data_version)
    return _cached(database(), version, repr(sight()), _name(query), lang(), args, tuple(sorted(kwargs.items())),
                   _query=query)


# The queries whose answer is numbers over the whole network, never a row or a name: the only ones
# network() runs over rows its reader may not see.
NETWORK_AGGREGATES: frozenset[AnyQuery] = frozenset({queries.network_benchmark, queries.network_trend})


def network(query: Query[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """query (one of NETWORK_AGGREGATES) over the whole network. A reader who sees only some
    municipalities (a partner) gets it from the approved rows of all of them, what donors see,
    counted on a connection of its own beside the page run's snapshot: only the aggregate reaches the
    page. Any other reader counts their own rows, as data() does."""
    if query not in NETWORK_AGGREGATES:
        raise ValueError(f"{_name(query)} is not an aggregate of the whole network")
    found = current()
    if sight().municipalities is None or found is None:
        return data(query, *args, **kwargs)
    return _network_cached(database(), found.snapshot.data_version, _name(query), lang(), args,
                           tuple(sorted(kwargs.items())), _query=query)


@st.cache_data(show_spinner=False, max_entries=200)
def _network_cached(path: str, version: str, name: str, language: str, args: tuple[object, ...],
                    kwargs: tuple[tuple[str, object], ...], _query: AnyQuery) -> Any:
    found = current()
    if found is None:
        raise RuntimeError("app.network() is for page runs (app.page_run)")
    with found.snapshot.beside(DONOR_SIGHT) as con:
        return _query(con, *args, **dict(kwargs))


def read(query: Query[P, R], seen: Sight, /, *args: P.args, **kwargs: P.kwargs) -> R:
    """query(*args, **kwargs) on a snapshot of its own, showing the rows seen (the page run's sight,
    taken when the page ran): for work outside a page run (a download button's deferred data), uncached."""
    with db().reading(sight=seen) as con:
        return query(con, *args, **kwargs)
