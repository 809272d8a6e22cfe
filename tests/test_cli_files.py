"""The files beside the database and the files commands write, through the real command line
(`cli.main` in process; a real process where the process itself matters): no command writes onto the
database or its lock, queue or WAL file, however the path leads there; a lock file that cannot be
opened and a cut-off database are sentences in every command; a killed backup's hidden copy folder
goes at the next backup; restore names a folder or a missing backup for what it is."""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT
from nobody import nobody

from pop_analytics import accounts, cli
from pop_analytics.access import cli_viewer
from pop_analytics.database import Database
from pop_analytics.errors import DatabaseUnreadable
from pop_analytics.i18n import t
from pop_analytics.settings import DEMO_DIR

NAME = "pop.duckdb"
PASSWORD = "correct horse battery"


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    """A copy of the demo database with its lock and queue files, as any reader leaves them."""
    path = tmp_path / "data" / NAME
    path.parent.mkdir()
    shutil.copy(demo_db, path)
    Database(path).version()
    return path


def run(capsys, *args: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def error(key: str, lang: str = "en", **params: object) -> str:
    return f"{t('cli.error', lang)}: {t(key, lang, **params)}\n"


def state(folder: Path) -> dict[str, object]:
    """Every entry of a folder: a link as where it points, a file as its bytes."""
    return {p.name: f"→ {os.readlink(p)}" if p.is_symlink() else p.read_bytes() if p.is_file() else "folder"
            for p in sorted(folder.iterdir())}


# ── no command writes onto the database or the files beside it ───────────────────────────────

# What a command is told to write to: (the path, given the database; the file it leads to).
TARGETS = {
    "the database": lambda db: (db, NAME),
    "its lock file": lambda db: (db.with_name(NAME + ".lock"), NAME + ".lock"),
    "its queue file": lambda db: (db.with_name(NAME + ".queue"), NAME + ".queue"),
    "its WAL file (not there now)": lambda db: (db.with_name(NAME + ".wal"), NAME + ".wal"),
    "a link to the database": lambda db: (_link(db.with_name("report.pdf"), db), NAME),
    "a link to its lock file": lambda db: (_link(db.with_name("out.pdf"), db.with_name(NAME + ".lock")),
                                           NAME + ".lock"),
    "a link to where its WAL file would be": lambda db: (_link(db.with_name("w.pdf"), db.with_name(NAME + ".wal")),
                                                         NAME + ".wal"),
    "a hard link to the database": lambda db: (_hard_link(db.with_name("copy.pdf"), db), NAME),
    "the database through a linked folder": lambda db: (_link(db.parent.parent / "linked", db.parent) / NAME, NAME),
}


def _link(path: Path, target: Path) -> Path:
    path.symlink_to(target)
    return path


def _hard_link(path: Path, target: Path) -> Path:
    os.link(target, path)
    return path


@pytest.mark.parametrize("command", [["report"], ["report", "--format", "xlsx"], ["backup"], ["template"]],
                         ids=" ".join)
@pytest.mark.parametrize("target", list(TARGETS))
def test_no_command_writes_onto_the_database_or_a_file_beside_it(db, capsys, command, target):
    out, led_to = TARGETS[target](db)
    before = state(db.parent)
    code, printed, said = run(capsys, "--db", db, *command, out)
    key = "database.output_is_database" if led_to == NAME else "database.output_is_companion"
    assert (code, printed, said) == (1, "", error(key, name=NAME, out=out.name, file=led_to))
    assert state(db.parent) == before  # no byte, no file and no link changed


def test_the_refusal_is_in_albanian_too_and_a_file_named_after_the_database_is_written(db, capsys):
    code, _, said = run(capsys, "--lang", "sq", "--db", db, "backup", db.with_name(NAME + ".lock"))
    assert (code, said) == (1, error("database.output_is_companion", "sq", name=NAME, out=NAME + ".lock",
                                     file=NAME + ".lock"))
    assert said == ("Gabim: pop.duckdb.lock është pop.duckdb.lock, një skedar që baza e të dhënave pop.duckdb mban "
                    "pranë vetes (ose një lidhje drejt tij): nuk u shkrua asgjë. Zgjidhni një skedar tjetër për të "
                    "shkruar.\n")
    code, _, said = run(capsys, "--db", db, "backup", db.with_name(NAME + ".bak"))
    assert (code, said) == (0, "")
    assert duckdb.connect(str(db.with_name(NAME + ".bak")), read_only=True).execute(
        "SELECT count(*) FROM imports").fetchone() == (5,)


# ── the lock files and a cut-off database: a sentence in every command ─────────────────────

# Every command that opens the database, with what it needs to get that far.
COMMANDS = {
    "kpis": ["kpis", "--year", "2020"],
    "history": ["history"],
    "audit": ["audit"],
    "users list": ["users", "list"],
    "users add": ["users", "add", "koord", "--role", "coordinator"],
    "aliases list": ["aliases", "list"],
    "migrate": ["migrate"],
    "backup": ["backup", "{tmp}/backups/copy.duckdb"],
    "report": ["report", "{tmp}/report.pdf"],
    "import": ["import", str(DEMO_DIR / "aktivitetet.csv")],
    "undo": ["undo", "1"],
    "approve": ["approve", "1"],
    "demo": ["demo"],
    "restore": ["restore", "{demo}"],
}


def _command(name: str, tmp_path: Path, demo_db: Path) -> list[str]:
    return [part.format(tmp=tmp_path, demo=demo_db) for part in COMMANDS[name]]


@pytest.fixture
def password_on_stdin(monkeypatch):
    """users add reads the password from standard input when it is not a terminal."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))


@pytest.mark.parametrize("lock", [".lock", ".queue"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_folder_at_a_lock_files_path_is_a_sentence_in_every_command(db, demo_db, tmp_path, capsys, password_on_stdin,
                                                                     lock, command):
    lock_path = db.with_name(NAME + lock)
    lock_path.unlink()
    lock_path.mkdir()
    before = db.read_bytes()
    code, printed, said = run(capsys, "--db", db, *_command(command, tmp_path, demo_db))
    assert (code, printed, said) == (1, "", error("database.lock_unusable", name=NAME, lock=NAME + lock))
    assert db.read_bytes() == before and lock_path.is_dir()


def test_a_lock_file_this_user_may_not_open_is_a_sentence_for_reads_and_writes(demo_db):
    """Run as user nobody: the lock or queue file belongs to another user and only they may open it."""
    with nobody("pop-lock-denied-") as user:
        runs = []
        for lock in (".lock", ".queue"):
            folder = user.base / lock.strip(".")
            folder.mkdir(mode=0o777)
            folder.chmod(0o777)
            path = folder / NAME
            shutil.copy(demo_db, path)
            path.chmod(0o666)
            Database(path).version()
            for made in (path.with_name(NAME + ".lock"), path.with_name(NAME + ".queue")):
                made.chmod(0o600 if made.name.endswith(lock) else 0o666)
            runs += [(path, lock, command) for command in (["kpis", "--year", "2020"], ["users", "list"], ["migrate"],
                                                            ["backup", str(folder / "copy.duckdb")])]
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda case: user.cli("--db", case[0], *case[2]), runs))
        for (_path, lock, command), result in zip(runs, results):
            assert (result.returncode, result.stdout, result.stderr) == (
                1, "", error("database.lock_denied", name=NAME, lock=NAME + lock)), (lock, command)


BLOCK = 262_144  # DuckDB's block size; its file is three 4 KiB headers, then whole blocks

# Where a copy of the database is cut off: (a name, the bytes kept given the file's size).
CUTS = {
    "10000 bytes (inside its headers)": lambda size: 10_000,
    "its first block": lambda size: 12_288 + BLOCK,
    "a third": lambda size: size // 3,
    "one block short": lambda size: size - BLOCK,
    "one byte short": lambda size: size - 1,
}


def cut_copy(source: Path, path: Path, cut: str) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[:CUTS[cut](len(data))])
    return path


@pytest.mark.parametrize("cut", list(CUTS))
@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "restore"])
def test_a_cut_off_database_is_a_sentence_in_every_command_and_stays_as_it_is(db, demo_db, tmp_path, capsys,
                                                                              password_on_stdin, cut, command):
    cut_copy(demo_db, db, cut)
    before = db.read_bytes(), sorted(p.name for p in db.parent.iterdir())
    code, printed, said = run(capsys, "--db", db, *_command(command, tmp_path, demo_db))
    assert (code, printed, said) == (1, "", error("database.unreadable", name=NAME))
    assert (db.read_bytes(), sorted(p.name for p in db.parent.iterdir())) == before  # a writer's lock count aside
    assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())


def test_a_file_whose_free_end_blocks_duckdb_gave_back_is_whole_and_a_cut_past_them_is_not(db, capsys):
    """DuckDB shortens a file by the free blocks at its end without changing the block count in its
    header: such a file is shorter than its header says, and whole."""
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM targets")
    con.execute("CHECKPOINT")
    con.close()
    code, printed, said = run(capsys, "--db", db, "users", "list")
    assert (code, said) == (0, "")
    assert printed == t("cli.users.none", "en") + "\n"
    db.write_bytes(db.read_bytes()[:-BLOCK])
    code, printed, said = run(capsys, "--db", db, "users", "list")
    assert (code, printed, said) == (1, "", error("database.unreadable", name=NAME))


def test_signing_in_on_a_cut_off_database_raises_its_sentence(db):
    accounts.add(Database(db), "koord", "coordinator", [], PASSWORD, cli_viewer())
    cut_copy(db, db, "one block short")
    with pytest.raises(DatabaseUnreadable) as caught:
        accounts.sign_in(Database(db), "koord", PASSWORD, "127.0.0.1")
    assert caught.value.message("sq") == t("database.unreadable", "sq", name=NAME)


# ── a killed backup's copy folder ───────────────────────────────────────────────────────────

def _copy_folders(folder: Path) -> list[Path]:
    return sorted(folder.glob(".pop-backup-*"))


def _wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _backup_process(db: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pop_analytics", "--db", str(db), "backup", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def writer_holding(db):
    """A writer holds the database, so that a backup waits with its copy folder made; released at the end."""
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with Database(db).writing():
            entered.set()
            release.wait(120)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert entered.wait(30)
    yield release
    release.set()
    thread.join(30)


def test_the_copy_folder_of_a_killed_backup_goes_at_the_next_backup(db, tmp_path, capsys, writer_holding):
    backups = tmp_path / "backups"
    killed = _backup_process(db, backups / "first.duckdb")
    _wait_for(lambda: bool(backups.is_dir() and _copy_folders(backups)))
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(30) == -signal.SIGKILL
    writer_holding.set()
    left = _copy_folders(backups)
    assert len(left) == 1 and left[0].is_dir()  # what the killed process left behind
    code, _, said = run(capsys, "--db", db, "backup", backups / "second.duckdb")
    assert (code, said) == (0, "")
    assert sorted(p.name for p in backups.iterdir()) == ["second.duckdb"]


def test_a_backup_in_progress_keeps_its_copy_folder_while_another_backup_starts(db, tmp_path, writer_holding):
    backups = tmp_path / "backups"
    first = _backup_process(db, backups / "first.duckdb")
    _wait_for(lambda: bool(backups.is_dir() and _copy_folders(backups)))
    waiting = _copy_folders(backups)
    second: dict[str, object] = {}
    thread = threading.Thread(target=lambda: second.update(Database(db).backup(backups / "second.duckdb")))
    thread.start()
    _wait_for(lambda: len(_copy_folders(backups)) == 2)
    assert set(waiting) < set(_copy_folders(backups))  # the first backup's folder was left alone
    writer_holding.set()
    thread.join(60)
    assert first.wait(60) == 0, first.stderr.read() if first.stderr else ""
    assert second["imports"] == 5
    assert sorted(p.name for p in backups.iterdir()) == ["first.duckdb", "second.duckdb"]


# ── restore names what it was given ─────────────────────────────────────────────────────────

@pytest.mark.parametrize(("given", "key"), [("a folder", "database.backup_not_a_file"),
                                            ("nothing", "database.backup_missing")])
@pytest.mark.parametrize("lang", ["en", "sq"])
def test_restore_of_a_folder_or_of_nothing_says_so_and_changes_nothing(db, tmp_path, capsys, given, key, lang):
    source = tmp_path / "backups"
    if given == "a folder":
        source.mkdir()
    before = state(db.parent)
    code, printed, said = run(capsys, "--lang", lang, "--db", db, "restore", source)
    assert (code, printed, said) == (1, "", error(key, lang, name="backups"))
    assert state(db.parent) == before
