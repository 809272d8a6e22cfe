"""The system of record as several processes share it: short read snapshots, one writer at a time
across every process, a data version that tells each process when to forget its caches, and
backup and restore.

DuckDB lets one process write or many processes read, never both at once, so nothing here keeps
the file open. A reader holds a shared lock on `<db>.lock` and a read-only connection for one page
run or one command; a writer holds the exclusive lock and a read-write connection only while it
writes. Waiting writers go first: they hold `<db>.queue`, which new readers must pass through.

A PostgreSQL system of record would implement the same calls (snapshot/reading, writing, version,
backup, restore) with its own transactions and a version row; callers see only this interface.
"""
from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Self

import duckdb

from . import settings, store
from .errors import (
    DatabaseBusy,
    DatabaseFull,
    DatabaseMissing,
    DatabaseOutdated,
    DatabaseProblem,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnreadable,
)
from .scope import EVERYTHING, Sight, restrict
from .settings import DUCKDB_CONFIG, database_path

_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)

# The snapshot each thread has open, per database file: a read nested inside it (a page's run, an
# import's duplicate check) uses it instead of queueing for a second lock behind a waiting writer.
_open_snapshots = threading.local()


def _active(path: Path) -> Snapshot | None:
    return getattr(_open_snapshots, "by_path", {}).get(path)


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


class _Lock:
    """A flock on a small file beside the database. flock conflicts between separate opens even in
    one process, so the same lock orders the threads of one app and the processes of the machine."""

    def __init__(self, path: Path, exclusive: bool, deadline: float, name: str, writing: bool):
        self.fd = self._open(path, exclusive)
        if self.fd is None:
            return
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        while True:
            try:
                fcntl.flock(self.fd, mode)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self.release()
                    raise DatabaseBusy(name, writing=writing) from None
                time.sleep(settings.LOCK_POLL_SECONDS)

    @staticmethod
    def _open(path: Path, exclusive: bool) -> int | None:
        """The lock file's descriptor; None for a reader where no lock file can exist (a read-only
        folder): no writer can work there either."""
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
        except OSError as error:
            if error.errno not in _READ_ONLY_ERRNOS:
                raise
        try:
            return os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            if exclusive:
                raise
            return None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None


class Snapshot:
    """One consistent view of the data: no writer can change the file from its start to close().
    The connection opens on first use, so a page served from caches never touches the file."""

    def __init__(self, db: Database, wait: float, sight: Sight = EVERYTHING):
        self.db = db
        self.sight = sight
        deadline = time.monotonic() + wait
        queue = _Lock(db.queue_path, False, deadline, db.name, writing=False)  # behind any waiting writer
        try:
            self._lock: _Lock | None = _Lock(db.lock_path, False, deadline, db.name, writing=False)
        finally:
            queue.release()
        self._deadline_wait = wait
        self._con: duckdb.DuckDBPyConnection | None = None
        self.version = db._version(self._lock.fd if self._lock else None)
        if not hasattr(_open_snapshots, "by_path"):
            _open_snapshots.by_path = {}
        self._outer = _open_snapshots.by_path.get(db.path)
        _open_snapshots.by_path[db.path] = self

    def show(self, sight: Sight) -> None:
        """Show what sight allows: decided before the first query (a page run learns who it is for
        from this snapshot first)."""
        if self._con is not None and sight != self.sight:
            raise RuntimeError("a snapshot's sight is chosen before its first query")
        self.sight = sight

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._lock is None:
            raise RuntimeError("snapshot used after close")
        if self._con is None:
            self._con = self._connect(self.sight)
        return self._con

    def _connect(self, sight: Sight) -> duckdb.DuckDBPyConnection:
        con = self.db._open(read_only=True, deadline=time.monotonic() + self._deadline_wait)
        try:
            _check_readable_version(con, self.db.name)
            restrict(con, sight)
            con.execute("BEGIN TRANSACTION READ ONLY")
        except BaseException:
            con.close()
            raise
        return con

    @contextmanager
    def beside(self, sight: Sight) -> Iterator[duckdb.DuckDBPyConnection]:
        """A second connection under this snapshot's lock (the file cannot change meanwhile) that
        sees what another sight allows: a page run's import checks read every row."""
        if self._lock is None:
            raise RuntimeError("snapshot used after close")
        con = self._connect(sight)
        try:
            yield con
        finally:
            with suppress(duckdb.Error):
                con.execute("COMMIT")
            con.close()

    def close(self) -> None:
        if self._con is not None:
            with suppress(duckdb.Error):
                self._con.execute("COMMIT")
            self._con.close()
            self._con = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
            if _open_snapshots.by_path.get(self.db.path) is self:
                if self._outer is None or self._outer.closed:
                    del _open_snapshots.by_path[self.db.path]
                else:
                    _open_snapshots.by_path[self.db.path] = self._outer

    @property
    def closed(self) -> bool:
        return self._lock is None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _disk_full(error: BaseException) -> bool:
    return getattr(error, "errno", None) == errno.ENOSPC or "no space left on device" in str(error).lower()


def _check_readable_version(con: duckdb.DuckDBPyConnection, name: str) -> None:
    try:
        version = store.schema_version(con)
    except duckdb.Error as error:
        raise DatabaseUnreadable(name) from error
    if version > store.SCHEMA_VERSION:
        raise DatabaseTooNew(name, version=version, supported=store.SCHEMA_VERSION)
    if version < store.SCHEMA_VERSION:
        raise DatabaseOutdated(name, version=version, supported=store.SCHEMA_VERSION)


class Database:
    """The database file at path (else $POP_DB, else the default), used only through short
    snapshots and writes."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(os.path.abspath(database_path(path)))
        self.name = self.path.name
        self.lock_path = _sidecar(self.path, ".lock")
        self.queue_path = _sidecar(self.path, ".queue")
        self.wal_path = _sidecar(self.path, ".wal")

    # ── reading ──────────────────────────────────────────────────────────────────────────────

    def snapshot(self, wait: float | None = None, sight: Sight = EVERYTHING) -> Snapshot:
        """A snapshot the caller closes (a page run opens one and closes it at its end), showing
        the rows sight allows."""
        wait = settings.READ_WAIT_SECONDS if wait is None else wait
        if not self.path.exists():
            raise DatabaseMissing(self.name)
        if not self.path.is_file():
            raise DatabaseUnreadable(self.name)
        return Snapshot(self, wait, sight)

    @contextmanager
    def reading(self, wait: float | None = None, sight: Sight = EVERYTHING) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection inside one read-only transaction, for one command or download;
        inside a snapshot this thread holds already (a page run), that snapshot's connection."""
        outer = _active(self.path)
        if outer is not None and not outer.closed:
            if outer.sight == sight:
                yield outer.connection()
            else:
                with outer.beside(sight) as con:
                    yield con
            return
        with self.snapshot(wait, sight) as snap:
            yield snap.connection()

    def version(self, wait: float | None = None) -> str:
        """The data version: it changes whenever a writer may have changed the data (or the file
        was replaced), and only then."""
        with self.snapshot(wait) as snap:
            return snap.version

    def _version(self, lock_fd: int | None) -> str:
        counter = os.pread(lock_fd, 64, 0).decode("ascii", "replace").strip() if lock_fd is not None else ""
        files = []
        for path in (self.path, self.wal_path):
            with suppress(FileNotFoundError):
                info = path.stat()
                files.append(f"{info.st_ino}.{info.st_size}.{info.st_mtime_ns}")
        return "/".join([counter, *files])

    # ── writing ──────────────────────────────────────────────────────────────────────────────

    @contextmanager
    def writing(self, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """The one writer: waits (bounded) for readers and writers of every process to finish,
        opens the file read-write (creating and migrating it), and closes it when the block ends.
        The block runs its own transaction (store.write and store.undo do)."""
        wait = settings.WRITE_WAIT_SECONDS if wait is None else wait
        with self._exclusive(wait):
            con = self._open(read_only=False, deadline=time.monotonic() + wait)
            try:
                store.migrate(con, name=self.name)
                yield con
            except (duckdb.Error, OSError) as error:
                if _disk_full(error):  # the transaction did not commit: the data is as it was
                    raise DatabaseFull(self.name) from error
                raise
            finally:
                con.close()

    @contextmanager
    def _exclusive(self, wait: float) -> Iterator[None]:
        held = _active(self.path)
        if held is not None and not held.closed:
            raise RuntimeError("this thread holds a read snapshot of the database: close it before writing")
        if self.path.exists() and not self.path.is_file():
            raise DatabaseUnreadable(self.name)
        deadline = time.monotonic() + wait
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            queue = _Lock(self.queue_path, True, deadline, self.name, writing=True)
        except OSError:  # no lock file can be made beside it: nothing can be written there
            raise DatabaseReadOnly(self.name) from None
        try:
            lock = _Lock(self.lock_path, True, deadline, self.name, writing=True)
        finally:
            queue.release()
        try:
            self._bump(lock.fd)
            yield
        finally:
            lock.release()

    @staticmethod
    def _bump(fd: int | None) -> None:
        """Readers clear their caches when this changes. Bumped before the write starts, so that
        even a writer killed half-way leaves a version no cache was filled under."""
        if fd is None:
            return
        current = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        number = int(current.split(":")[0]) + 1 if current.split(":")[0].isdigit() else 1
        text = f"{number}:{os.getpid()}:{time.time_ns()}".encode("ascii")
        with suppress(OSError):  # a lock file on a read-only mount cannot carry it: the file stat still does
            os.pwrite(fd, text.ljust(64), 0)

    def ensure(self) -> None:
        """Create the file, or bring an older one forward, so that readers can use it. A file that is
        current is not opened for writing (it may be on a read-only mount)."""
        if self.path.exists() and self._current():
            return
        with self.writing():  # creates the file, or migrates it, on opening
            return

    def _current(self) -> bool:
        try:
            with self.reading():
                return True
        except DatabaseOutdated:
            return False

    # ── opening ──────────────────────────────────────────────────────────────────────────────

    def _open(self, read_only: bool, deadline: float) -> duckdb.DuckDBPyConnection:
        """duckdb.connect with every failure turned into a sentence. A lock held by a program
        outside this protocol (another DuckDB client) is waited for like ours."""
        while True:
            try:
                return store.configured(duckdb.connect(str(self.path), read_only=read_only, config=DUCKDB_CONFIG))
            except duckdb.IOException as error:
                text = str(error).lower()
                if "lock" in text and time.monotonic() < deadline:
                    time.sleep(settings.LOCK_POLL_SECONDS * 5)
                    continue
                if "lock" in text:
                    raise DatabaseBusy(self.name, writing=not read_only) from None
                if any(word in text for word in ("read-only", "read only", "permission denied")):
                    raise DatabaseReadOnly(self.name) from None
                raise DatabaseUnreadable(self.name) from None
            except duckdb.ConnectionException as error:
                # This process still holds the file under the other mode (a result not yet let go):
                # as good as a lock, and gone in a moment.
                if "different configuration" in str(error) and time.monotonic() < deadline:
                    time.sleep(settings.LOCK_POLL_SECONDS * 5)
                    continue
                raise DatabaseBusy(self.name, writing=not read_only) from None
            except duckdb.Error:
                raise DatabaseUnreadable(self.name) from None
            except OSError as error:
                raise self._os_problem(error) from None

    def _os_problem(self, error: OSError) -> DatabaseProblem:
        if _disk_full(error):
            return DatabaseFull(self.name)
        if error.errno in _READ_ONLY_ERRNOS:
            return DatabaseReadOnly(self.name)
        return DatabaseUnreadable(self.name)

    # ── backup and restore ───────────────────────────────────────────────────────────────────

    def backup(self, out: str | os.PathLike, wait: float | None = None) -> dict:
        """A consistent copy in one self-contained file while readers and the app go on: writers
        wait only while the bytes are copied. Returns what the copy holds."""
        out = Path(out)
        if out.resolve() == self.path.resolve():
            raise DatabaseUnreadable(out.name)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix=".pop-backup-", dir=out.parent))
        except OSError:
            raise DatabaseReadOnly(out.name) from None
        try:
            copy = folder / "backup.duckdb"
            with self.snapshot(wait):
                try:
                    shutil.copyfile(self.path, copy)
                    if self.wal_path.exists():  # a writer that was killed leaves its committed work here
                        shutil.copyfile(self.wal_path, _sidecar(copy, ".wal"))
                except OSError as error:
                    raise (DatabaseFull(out.name) if _disk_full(error) else self._os_problem(error)) from None
            summary = _fold_and_describe(copy, out.name)
            shutil.move(str(copy), str(out))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return summary

    def restore(self, source: str | os.PathLike, wait: float | None = None) -> tuple[dict, Path | None]:
        """Replace the database by a backup. The file it replaces is kept aside (returned); nothing
        changes when the backup is not a database this release reads, or when the database does
        not fall idle within wait."""
        wait = settings.RESTORE_WAIT_SECONDS if wait is None else wait
        source = Path(source)
        if not source.is_file():
            raise DatabaseMissing(source.name)
        staged = _sidecar(self.path, ".restoring")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staged)
        except OSError as error:
            raise self._os_problem(error) from None
        try:
            summary = _fold_and_describe(staged, source.name, migrate=True)
            with self._exclusive(wait):
                aside = None
                if self.path.exists():
                    aside = _sidecar(self.path, dt.datetime.now().strftime(".replaced-%Y%m%d-%H%M%S"))
                    os.replace(self.path, aside)
                    if self.wal_path.exists():
                        os.replace(self.wal_path, _sidecar(aside, ".wal"))
                os.replace(staged, self.path)
        finally:
            with suppress(FileNotFoundError):
                staged.unlink()
            with suppress(FileNotFoundError):
                _sidecar(staged, ".wal").unlink()
        return summary, aside


def _fold_and_describe(path: Path, name: str, migrate: bool = False) -> dict:
    """Open a private copy read-write: its WAL is folded into the file, its schema checked (and
    brought forward when migrate), and its contents counted."""
    try:
        con = duckdb.connect(str(path), config=DUCKDB_CONFIG)
    except duckdb.Error:
        raise DatabaseUnreadable(name) from None
    try:
        try:
            version = store.schema_version(con)
            if not store.has_schema(con):
                raise DatabaseUnreadable(name)
        except duckdb.Error:
            raise DatabaseUnreadable(name) from None
        if version > store.SCHEMA_VERSION:
            raise DatabaseTooNew(name, version=version, supported=store.SCHEMA_VERSION)
        if migrate:
            store.migrate(con, name=name)
        con.execute("CHECKPOINT")
        imports, stored = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'stored') FROM imports").fetchone() or (0, 0)
        return {"schema_version": store.schema_version(con), "imports": imports, "stored_imports": stored,
                "bytes": path.stat().st_size}
    finally:
        con.close()
