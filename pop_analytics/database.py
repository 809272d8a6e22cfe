"""The system of record as several processes share it: short read snapshots, one writer at a time
across every process, a data version that tells each process when to forget its caches, and
backup and restore.

DuckDB lets one process write or many processes read, never both at once, so nothing here keeps
the file open. A reader holds a shared lock on `<db>.lock` and a read-only connection for one page
run or one command; a writer holds the exclusive lock and a read-write connection only while it
writes. Waiting writers go first: they hold `<db>.queue`, which new readers must pass through.

PostgreSQL as the system of record (pop_analytics.replica) implements the same calls (snapshot/reading,
writing, version, backup, restore) with its own transactions and a version row; callers see only
this interface, and pop_analytics.stores.open_database picks the store a path or address names.
"""
from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import shutil
import stat
import struct
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO, Self

import duckdb
import pyarrow as pa

from . import settings, store
from .errors import (
    BackupMissing,
    BackupNotAFile,
    DatabaseBusy,
    DatabaseFull,
    DatabaseMissing,
    DatabaseOutdated,
    DatabaseProblem,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnreadable,
    LockUnusable,
    OutputIsDatabase,
)
from .scope import EVERYTHING, Sight, restrict
from .settings import DUCKDB_CONFIG, database_path

_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)

# The snapshot each thread has open, per database file: a read nested inside it (a page's run, an
# import's duplicate check) uses it instead of queueing for a second lock behind a waiting writer.
_open_snapshots = threading.local()


def _active(key: str) -> Snapshot | None:
    return getattr(_open_snapshots, "by_path", {}).get(key)


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


class _Lock:
    """A flock on a small file beside the database. flock conflicts between separate opens even in
    one process, so the same lock orders the threads of one app and the processes of the machine."""

    def __init__(self, path: Path, exclusive: bool, deadline: float, name: str, writing: bool):
        self.fd = self._open(path, exclusive, name)
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
    def _open(path: Path, exclusive: bool, name: str) -> int | None:
        """The lock file's descriptor; None for a reader where no lock file can exist (a read-only
        folder): no writer can work there either. A lock file this user may not open, or a folder
        at its path, is a sentence naming it."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o664)
        except OSError as error:
            if error.errno not in _READ_ONLY_ERRNOS:
                raise LockUnusable(name, path.name, denied=False) from None
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            except FileNotFoundError:
                if exclusive:
                    raise DatabaseReadOnly(name) from None
                return None
            except OSError as again:
                raise LockUnusable(name, path.name, denied=again.errno in _READ_ONLY_ERRNOS) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a folder opens read-only, and then reads fail
            os.close(fd)
            raise LockUnusable(name, path.name, denied=False)
        return fd

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
        # version moves with every write; data_version only with writes of the data, so a sign-in
        # or a user change does not empty every process's caches of figures.
        self.version, self.data_version = db._versions(self._lock.fd if self._lock else None)
        # When the data shown was last known to be current, if the store cannot be reached now (a
        # file is always current).
        self.stale_since: dt.datetime | None = None
        self._register()

    def _register(self) -> None:
        """This thread's reads of the database use this snapshot until it closes."""
        if not hasattr(_open_snapshots, "by_path"):
            _open_snapshots.by_path = {}
        self._outer = _open_snapshots.by_path.get(self.db.key)
        _open_snapshots.by_path[self.db.key] = self

    def _unregister(self) -> None:
        if _open_snapshots.by_path.get(self.db.key) is self:
            if self._outer is None or self._outer.closed:
                del _open_snapshots.by_path[self.db.key]
            else:
                _open_snapshots.by_path[self.db.key] = self._outer

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
            self._unregister()

    @property
    def closed(self) -> bool:
        return self._lock is None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _counters(text: str) -> tuple[int, int]:
    """The lock file's (data writes, other writes) counters: "data:other:pid:time" (an older
    release wrote "data:pid:time")."""
    parts = text.split(":")
    data = int(parts[0]) if parts[0].isdigit() else 0
    other = int(parts[1]) if len(parts) == 4 and parts[1].isdigit() else 0
    return data, other


def _disk_full(error: BaseException) -> bool:
    return getattr(error, "errno", None) == errno.ENOSPC or "no space left on device" in str(error).lower()


def _damaged(error: BaseException) -> bool:
    """DuckDB reads a block only when a query needs it, so a damaged block shows in that query."""
    text = str(error).lower()
    return isinstance(error, duckdb.Error) and ("corrupt database file" in text or "could not read enough" in text)


# DuckDB's file (storage of DuckDB 2.0): a main header and two database headers of 4 KiB each, then
# whole blocks, each starting with an 8-byte checksum. The newer database header (the higher
# iteration) counts the blocks and points to the list of free ones, which is kept in a metadata
# block: 64 parts of one block, each starting with a pointer to the part that goes on.
_HEADERS_BYTES = 3 * 4096
_DATABASE_HEADERS = (4096, 8192)
_BLOCK_HEADER_BYTES = 8
_METADATA_PARTS = 64
_NO_POINTER = 2**64 - 1


def _cut_off(path: Path) -> bool:
    """Whether a DuckDB file lacks blocks it uses: cut off by a copy, `head -c` or a full disk.
    DuckDB reads a block only when a query needs it, so such a file opens, and a command that needs
    none of the missing blocks would report success on it. A file may be shorter than its header
    counts and still whole: DuckDB gives the free blocks at its end back to the disk (whole
    blocks), so every block past the end must be on the file's list of free blocks."""
    try:
        with open(path, "rb") as file:
            return _lacks_blocks(file)
    except OSError:
        return False  # a file that cannot be opened is for DuckDB to name


def _lacks_blocks(file: BinaryIO) -> bool:
    try:
        head = file.read(_HEADERS_BYTES)
        size = os.fstat(file.fileno()).st_size
        if head[8:12] != b"DUCK":
            return False  # not a DuckDB file: opening it says so
        if len(head) < _HEADERS_BYTES:
            return True
        # each database header: checksum, iteration, meta block, free list, block count, block size
        _, _, free_list, counted, block_size = max(
            struct.unpack_from("<6Q", head, offset)[1:] for offset in _DATABASE_HEADERS)
        if block_size < 4096 or block_size & (block_size - 1):
            return False  # a header of another layout: DuckDB judges the file itself
        on_disk, part = divmod(size - _HEADERS_BYTES, block_size)
        if on_disk >= counted:
            return False
        if part:
            return True
        return not set(range(on_disk, counted)) <= _free_blocks(file, free_list, block_size, on_disk, counted)
    except (OSError, struct.error, ValueError):
        return True  # a list of free blocks that cannot be read is damage too


def _free_blocks(file: BinaryIO, pointer: int, block_size: int, on_disk: int, counted: int) -> set[int]:
    """The blocks on a DuckDB file's list of free blocks (a count, then that many block numbers)."""
    part_size = (block_size - _BLOCK_HEADER_BYTES) // _METADATA_PARTS // 8 * 8
    data = b""

    def read_part(pointer: int) -> tuple[int, bytes]:
        block, index = pointer & (2**56 - 1), pointer >> 56
        if block >= on_disk or index >= _METADATA_PARTS:
            raise ValueError("the list lies past the end of the file")
        file.seek(_HEADERS_BYTES + block * block_size + _BLOCK_HEADER_BYTES + index * part_size)
        found = file.read(part_size)
        return struct.unpack_from("<Q", found)[0], found[8:]

    if pointer == _NO_POINTER:
        return set()
    pointer, data = read_part(pointer)
    count = struct.unpack_from("<Q", data)[0]
    if count > counted:
        raise ValueError("more free blocks than blocks")
    while len(data) < 8 + 8 * count:
        if pointer == _NO_POINTER:
            raise ValueError("the list ends early")
        pointer, more = read_part(pointer)
        data += more
    return set(struct.unpack_from(f"<{count}q", data, 8))


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
        self.key = str(self.path)
        self.lock_path = _sidecar(self.path, ".lock")
        self.queue_path = _sidecar(self.path, ".queue")
        self.wal_path = _sidecar(self.path, ".wal")

    # ── reading ──────────────────────────────────────────────────────────────────────────────

    def follow(self) -> None:
        """Learn of other processes' writes as they happen: a file's version is read at each snapshot."""

    def exists(self) -> bool:
        """Whether there is a database yet (reads never create one)."""
        return self.path.exists()

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
        outer = _active(self.key)
        if outer is not None and not outer.closed:
            if outer.sight == sight:
                yield outer.connection()
            else:
                with outer.beside(sight) as con:
                    yield con
            return
        try:
            with self.snapshot(wait, sight) as snap:
                yield snap.connection()
        except duckdb.Error as error:
            if _damaged(error):
                raise DatabaseUnreadable(self.name) from None
            raise

    def version(self, wait: float | None = None) -> str:
        """The data version: it changes whenever a writer may have changed the data (or the file
        was replaced), and only then."""
        with self.snapshot(wait) as snap:
            return snap.version

    def _versions(self, lock_fd: int | None) -> tuple[str, str]:
        """(every write's version, the data's version): the counters in the lock file, with the file's
        identity (a restore replaces it) and, for the first, its size and time too."""
        text = os.pread(lock_fd, 64, 0).decode("ascii", "replace").strip() if lock_fd is not None else ""
        data, _ = _counters(text)
        files, identity = [], ""
        for path in (self.path, self.wal_path):
            with suppress(FileNotFoundError):
                info = path.stat()
                files.append(f"{info.st_ino}.{info.st_size}.{info.st_mtime_ns}")
                identity = identity or str(info.st_ino)
        return "/".join([text, *files]), f"{data}/{identity}"

    # ── writing ──────────────────────────────────────────────────────────────────────────────

    @contextmanager
    def writing(self, wait: float | None = None, data: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """The one writer: waits (bounded) for readers and writers of every process to finish,
        opens the file read-write (creating and migrating it), and closes it when the block ends.
        The block runs its own transaction (store.write and store.undo do). data=False for a write
        that changes no figure (sign-in, sessions, users): caches of figures stay."""
        wait = settings.WRITE_WAIT_SECONDS if wait is None else wait
        with self._exclusive(wait, data):
            con = self._open(read_only=False, deadline=time.monotonic() + wait)
            try:
                store.migrate(con, name=self.name)
                yield con
            except (duckdb.Error, OSError) as error:
                if _disk_full(error):  # the transaction did not commit: the data is as it was
                    raise DatabaseFull(self.name) from error
                if _damaged(error):
                    raise DatabaseUnreadable(self.name) from None
                raise
            finally:
                con.close()

    def refuse_inside_snapshot(self) -> None:
        held = _active(self.key)
        if held is not None and not held.closed:
            raise RuntimeError("this thread holds a read snapshot of the database: close it before writing")

    @contextmanager
    def _exclusive(self, wait: float, data: bool = True) -> Iterator[None]:
        self.refuse_inside_snapshot()
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
            self._bump(lock.fd, data)
            yield
        finally:
            lock.release()

    @staticmethod
    def _bump(fd: int | None, data: bool = True) -> None:
        """Readers clear their caches when this changes. Bumped before the write starts, so that
        even a writer killed half-way leaves a version no cache was filled under."""
        if fd is None:
            return
        counts, others = _counters(os.pread(fd, 64, 0).decode("ascii", "replace").strip())
        counts, others = (counts + 1, others) if data else (counts, others + 1)
        text = f"{counts}:{others}:{os.getpid()}:{time.time_ns()}".encode("ascii")
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
                if _cut_off(self.path):
                    raise DatabaseUnreadable(self.name)
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
        return _os_problem(error, self.name)

    # ── backup and restore ───────────────────────────────────────────────────────────────────

    def refuse_as_output(self, out: str | os.PathLike) -> None:
        """The one check before a command writes a file it was given (a report, a backup, the
        template): never the database or a file it keeps beside it (lock, queue, WAL), whether
        named directly, through a symbolic link or as a hard link to the same file."""
        for own in (self.path, self.lock_path, self.queue_path, self.wal_path):
            if same_file(Path(out), own):
                raise OutputIsDatabase(self.name, out=Path(out).name, file=own.name)

    def backup(self, out: str | os.PathLike, wait: float | None = None) -> dict:
        """A consistent copy in one self-contained file while readers and the app go on: writers
        wait only while the bytes are copied. Returns what the copy holds."""
        out = Path(out)
        self.refuse_as_output(out)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            folder, held = _copy_folder(out.parent)
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
            summary = _fold_and_describe(copy, self.name)  # a byte copy: what is wrong with it is the database's
            shutil.move(str(copy), str(out))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            os.close(held)
        return summary

    def restore(self, source: str | os.PathLike, who: str, wait: float | None = None) -> tuple[dict, Path | None]:
        """Replace the database by a backup. The audit log only grows: the live file's rows that the
        backup does not hold are carried into the restored file, and the restore is recorded under
        who; every session ends. All of it is done to a staged copy before the one rename that swaps
        it in. The file it replaces is kept aside (returned); nothing changes when the backup is not
        a database this release reads, or when the database does not fall idle within wait."""
        wait = settings.RESTORE_WAIT_SECONDS if wait is None else wait
        source = Path(source)
        staged = _sidecar(self.path, ".restoring")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self._os_problem(error) from None
        staged, summary = stage_backup(source, staged, self.name)
        try:
            deadline = time.monotonic() + wait
            with self._exclusive(wait):
                aside = self._aside_path() if self.path.exists() else None
                summary |= self._continue_log(staged, source.name, who, aside, deadline)
                if aside is not None:
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

    def _aside_path(self) -> Path:
        stamp = dt.datetime.now().strftime(".replaced-%Y%m%d-%H%M%S")
        aside, number = _sidecar(self.path, stamp), 1
        while aside.exists():  # two restores within a second keep both replaced files
            number += 1
            aside = _sidecar(self.path, f"{stamp}-{number}")
        return aside

    def _continue_log(self, staged: Path, backup: str, who: str, aside: Path | None, deadline: float) -> dict:
        """The live audit log carried into the staged copy, its sessions ended, the restore recorded."""
        live = self._audit_log(deadline)
        try:
            con = store.configured(duckdb.connect(str(staged), config=DUCKDB_CONFIG))
            try:
                done = store.continue_after_restore(con, live, who, backup, aside.name if aside else None)
                con.execute("CHECKPOINT")
            finally:
                con.close()
        except duckdb.Error as error:
            raise (DatabaseFull(self.name) if _disk_full(error) else DatabaseUnreadable(backup)) from None
        return done

    def _audit_log(self, deadline: float) -> pa.Table | None:
        """The live file's audit log (empty before there was one); None when the file cannot be
        read: a restore also replaces a damaged database, whose log then stays in the file kept aside."""
        if not self.path.is_file():
            return store.no_audit_rows()
        try:
            con = self._open(read_only=True, deadline=deadline)
        except DatabaseBusy:
            raise
        except DatabaseProblem:
            return None
        try:
            return store.audit_log(con)
        except duckdb.Error:
            return None
        finally:
            con.close()


def same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file: the same path once links are followed (also where no file
    is yet), or the same file under two names (a hard link)."""
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        one, other = os.stat(first), os.stat(second)
    except OSError:
        return False
    return (one.st_dev, one.st_ino) == (other.st_dev, other.st_ino)


_COPY_PREFIX = ".pop-backup-"


def _copy_folder(parent: Path) -> tuple[Path, int]:
    """A hidden folder beside the backup for the copy in progress, and the descriptor of its flock,
    held while this backup lives: the kernel lets go of it when the process ends, however it ends.
    A folder nobody holds is a killed backup's, so it is removed first. Both steps happen under an
    flock on the parent folder, so that no backup sees another's folder before it is held."""
    guard = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(guard, fcntl.LOCK_EX)  # held for the few milliseconds of these steps
        _remove_abandoned(parent)
        folder = Path(tempfile.mkdtemp(prefix=_COPY_PREFIX, dir=parent))
        held = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return folder, held
    finally:
        os.close(guard)


def _remove_abandoned(parent: Path) -> None:
    for folder in parent.glob(_COPY_PREFIX + "*"):
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue  # not a folder of ours (a file, a link)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a backup in progress
        else:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)


def output_problem(error: BaseException, name: str) -> DatabaseProblem:
    """The sentence for an output file (a backup) that could not be written: a full disk, or a place
    that cannot be written."""
    return DatabaseFull(name) if _disk_full(error) else DatabaseReadOnly(name)


def _os_problem(error: OSError, name: str) -> DatabaseProblem:
    if _disk_full(error):
        return DatabaseFull(name)
    if error.errno in _READ_ONLY_ERRNOS:
        return DatabaseReadOnly(name)
    return DatabaseUnreadable(name)


def stage_backup(source: Path, staged: Path | None = None, name: str | None = None) -> tuple[Path, dict]:
    """A private copy of a backup file (beside it unless staged names the place), folded, checked,
    brought forward to this release's schema and described; nothing is read from the original again."""
    if source.exists() and not source.is_file():
        raise BackupNotAFile(source.name)
    if not source.is_file():
        raise BackupMissing(source.name)
    staged = staged or source.with_name(f".{source.name}.{os.getpid()}.restoring")
    try:
        shutil.copyfile(source, staged)
    except OSError as error:
        raise _os_problem(error, name or staged.name) from None
    try:
        return staged, _fold_and_describe(staged, source.name, migrate=True)
    except BaseException:
        with suppress(FileNotFoundError):
            staged.unlink()
        raise


def describe_file(path: Path) -> dict:
    """What a backup file holds (it is whole: just written by this process)."""
    return _fold_and_describe(path, path.name)


def _fold_and_describe(path: Path, name: str, migrate: bool = False) -> dict:
    """Open a private copy read-write: its WAL is folded into the file, its schema checked (and
    brought forward when migrate), and its contents counted."""
    if _cut_off(path):
        raise DatabaseUnreadable(name)
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
        try:
            con.execute("CHECKPOINT")
            imports, stored = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE state = 'stored') FROM imports").fetchone() or (0, 0)
        except duckdb.Error as error:
            raise (DatabaseFull(name) if _disk_full(error) else DatabaseUnreadable(name)) from None
        return {"schema_version": store.schema_version(con), "imports": imports, "stored_imports": stored,
                "bytes": path.stat().st_size}
    finally:
        con.close()
